#!/bin/sh
# PostgreSQL stopped, and started again, while a job is warmed by a
# stoked worker, stoked run re-warms what a purge dropped, and the API
# of stoked serve is asked.  Meanwhile: warming goes on, the API
# answers 503 with the error's JSON within a bound (never a hang),
# /readyz says not ready and /healthz alive; afterwards /readyz is
# ready again, the job ends, and no row is lost or written twice.  The
# database is away 12 s: longer than the worker's lease (3 s) and the
# API's requests' bound, which is what 30 s would show too.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
. "$TESTS_DIR/lib/fault_suite.sh"

suite_begin postgres_faults
suite_pg
suite_origin oport -n 1000 -d 10
suite_varnish v default.vcl
o="http://127.0.0.1:$oport"

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
aport=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")
a="http://127.0.0.1:$aport"

"$STOKED" run -n "$work/v/n" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --listen 127.0.0.1:0 \
    --database-url "$PGURL" > "$work/run.log" 2>&1 &
run=$!
suite_bg $run
mport=$("$TESTS_DIR/lib/wait_port.sh" "$work/run.log")
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_vsl_attached.* 1$'

# api METHOD PATH [BODY]: "STATUS BODY", within 10 s or "000".
api() {
	curl -s -m 10 -o "$work/body" -w '%{http_code}' -X "$1" \
	    -H "Authorization: Bearer ${tok:-}" -H 'Content-Type: application/json' \
	    ${3:+-d "$3"} "$a$2" || true
}
json() {
	python3 -c "import json,sys; print(json.load(open('$work/body'))$1)"
}

echo "== a tenant, a website, a job of 1000 URLs (the free plan's most)"
[ "$(api POST /api/auth/register '{"name": "Ops", "email": "ops@shop.example", "password": "a long enough secret"}')" = 201 ] ||
    fail "sign up: $(cat "$work/body")"
tok=$(json "['token']")
[ "$(api POST /api/projects '{"name": "Shop"}')" = 201 ] || fail "project"
pid=$(json "['id']")
[ "$(api POST "/api/projects/$pid/websites" "{\"name\": \"Shop\", \"base_url\": \"$o/\"}")" = 201 ] ||
    fail "website: $(cat "$work/body")"
wid=$(json "['id']")
python3 -c "
import json
print(json.dumps({'urls': ['/product/%d?v=%d' % (i, v)
    for v in (1,) for i in range(1, 1001)]}))" > "$work/job.json"
[ "$(api POST "/api/websites/$wid/jobs" "$(cat "$work/job.json")")" = 201 ] ||
    fail "job: $(cat "$work/body")"
job=$(json "['id']")
"$STOKED" worker --database-url "$PGURL" --id w --lease 3 --poll 0.5 \
    --allow-private --concurrency 4 > "$work/w.log" 2>&1 &
w=$!
suite_bg $w
until_true 60 "SELECT count(*) >= 300 FROM warm_tasks
    WHERE job_id = $job AND state = 'done'"

echo "== visitors cache 20 pages stoked run watches"
seq 1 20 | xargs -P 2 -I N curl -sf -o /dev/null "http://127.0.0.1:$v/category/1?p=N"
until_sh 20 metric_gt "$mport" stoke_index_objects 19
written=$(metric "$mport" stoke_db_rows_written_total)

echo "== PostgreSQL stopped"
before=$(origin_stat "$oport" requests)
pg_stop
t0=$(date +%s)
# The API: 503 and its error, each within the curl's bound.
st=$(api GET "/api/jobs/$job")
[ "$st" = 503 ] || fail "a job read while the database is down: $st $(cat "$work/body")"
json "['error']['code']" > /dev/null || fail "503 without the error's JSON"
echo "GET /api/jobs/$job: 503 $(json "['error']['code']")"
st=$(api POST "/api/websites/$wid/jobs" '{"urls": ["/a"]}')
[ "$st" = 503 ] || fail "a job made while the database is down: $st"
until_sh 15 sh -c "[ \"\$(curl -s -m 5 -o /dev/null -w '%{http_code}' $a/readyz)\" = 503 ]"
[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$a/healthz")" = 200 ] ||
    fail "/healthz not 200 while the database is down"
# Re-warms: a ban drops the 20, stoked run warms them again.
r=$(metric "$mport" stoke_rewarm_refreshed_total)
curl -sf -o /dev/null -X BAN -H 'Ban-Url: ^/category/' "http://127.0.0.1:$v/"
until_sh 20 metric_gt "$mport" stoke_rewarm_refreshed_total $((r + 19))
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_db_connected 0$' ||
    fail "stoked run says its database is connected"
# The worker goes on with what it holds.
until_sh 15 gt "$(origin_stat "$oport" requests)" "$before"
alive "$w" || fail "the worker died"
# The outage lasts 12 s, whatever the checks above took.
while [ $(($(date +%s) - t0)) -lt 12 ]; do sleep 0.5; done
pg_again

echo "== PostgreSQL back: ready, the job done, every row once"
until_sh 30 sh -c "[ \"\$(curl -s -m 5 -o /dev/null -w '%{http_code}' $a/readyz)\" = 200 ]"
until_sh 30 sh -c "[ \"\$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $tok' $a/api/jobs/$job)\" = 200 ]"
until_true 120 "SELECT status = 'done' FROM cache_jobs WHERE id = $job"
[ "$(q "SELECT urls_total || ' ' || urls_completed || ' ' || urls_failed
    FROM cache_jobs WHERE id = $job")" = "1000 1000 0" ] ||
    fail "job: $(q "SELECT row_to_json(j) FROM cache_jobs j WHERE id = $job")"
[ "$(q "SELECT count(*) || ' ' || count(DISTINCT url) FROM page_results
    WHERE job_id = $job")" = "1000 1000" ] ||
    fail "page_results is not one row per URL"
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_db_connected 1$'
until_sh 30 metric_is "$mport" stoke_db_rows_buffered 0
[ "$(metric "$mport" stoke_db_rows_dropped_total)" = 0 ] ||
    fail "stoked run dropped rows"
gt "$(metric "$mport" stoke_db_rows_written_total)" "$written" ||
    fail "stoked run wrote nothing of the re-warms"
# Each re-warm of the ban's: one row, however the outage fell.
[ "$(q "SELECT count(*) FROM (SELECT url FROM page_results p
    JOIN cache_jobs j ON j.id = p.job_id
    WHERE j.trigger = 'ban' AND p.url LIKE '%/category/1?p=%'
    GROUP BY url HAVING count(*) <> 1) x")" = 0 ] ||
    fail "a re-warm's row lost or doubled"
[ "$(q "SELECT count(DISTINCT url) FROM page_results p
    JOIN cache_jobs j ON j.id = p.job_id
    WHERE j.trigger = 'ban' AND p.url LIKE '%/category/1?p=%'")" = 20 ] ||
    fail "not every re-warm's row written"

echo "== stoked serve asked as it starts, its database slow to connect to"
# Each connection held 2 s: listening comes before the pool's first
# connection, and a request in between waits for it rather than being
# told 503 for coming early.
python3 "$TESTS_DIR/lib/slow_tcp.py" 2 "$PGSOCK/.s.PGSQL.5432" \
    > "$work/slow.log" 2>&1 &
suite_bg $!
slow=$("$TESTS_DIR/lib/wait_port.sh" "$work/slow.log")
"$STOKED" serve --listen 127.0.0.1:0 \
    --database-url "postgresql://stoke@127.0.0.1:$slow/stoke" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve2.log" 2>&1 &
suite_bg $!
a2="http://127.0.0.1:$("$TESTS_DIR/lib/wait_port.sh" "$work/serve2.log")"
st=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$a2/readyz" || true)
[ "$st" = 503 ] || fail "serve just started, its pool connecting: /readyz $st"
st=$(curl -s -m 10 -o "$work/body" -w '%{http_code}' \
    -H "Authorization: Bearer $tok" "$a2/api/jobs/$job" || true)
[ "$st" = 200 ] || fail "a request as serve starts: $st $(cat "$work/body")"
echo "postgres faults: ok"
