#!/bin/sh
# stoked run keeps what it does in PostgreSQL (a real server, lib/pg.sh)
# while it warms through a real varnishd: a job's cache_jobs row and one
# page_results row per request, with their outcomes and reasons; a
# purge's and a ban's invalidation_events and re-warm results; a
# database that goes away in the middle of a job and comes back, every
# result stored exactly once; a buffer too small for the outage, rows
# dropped, counted and said once; and the embedded PostgreSQL, by
# default, in the state directory.
set -eu

. "$TESTS_DIR/lib/db_suite.sh"

suite_begin store
# The last part's embedded cluster, and varnishd, go too.
suite_atexit '"$STOKED" db stop --state-dir "$work/st" > /dev/null 2>&1'
suite_atexit '[ ! -f "$work/varnishd.pid" ] || kill "$(cat "$work/varnishd.pid")"'

# run NAME ARGS...: stoked run in the background; sets $sp and $api.
run() {
	name=$1
	shift
	"$STOKED" run -n "$work/v" --node "$site" --secret-file "$work/secret" \
	    --listen 127.0.0.1:0 "$@" > "$work/$name.log" 2>&1 &
	sp=$!
	suite_bg "$sp"
	i=0
	until grep -q ' listening on ' "$work/$name.log" 2> /dev/null; do
		alive "$sp" || fail "stoked ($name) exited"
		i=$((i + 1))
		[ $i -lt 1200 ] || fail "stoked ($name) does not listen"
		sleep 0.05
	done
	api=http://127.0.0.1:$("$TESTS_DIR/lib/wait_port.sh" "$work/$name.log")
	"$TESTS_DIR/lib/wait_metric.sh" "${api##*:}" '^stoke_vsl_attached.* 1$'
}

# stop: stoked ends cleanly, having written what it had.
stop() {
	kill -TERM "$sp"
	rc=0
	wait "$sp" || rc=$?
	[ $rc -eq 0 ] || fail "stoked exited $rc"
}

# job SITEMAP: its id in the API once done.
job() {
	id=$(curl -sf -X POST -H 'Content-Type: application/json' \
	    -d "{\"sitemap\": \"$1\"}" "$api/api/v1/jobs" |
	    sed -n 's/^{"id":\([0-9]*\)}$/\1/p')
	[ -n "$id" ] || fail "no job for $1"
	i=0
	until curl -sf "$api/api/v1/jobs?id=$id" | grep -q '"state":"done"'; do
		i=$((i + 1))
		[ $i -lt 1200 ] || fail "job $id for $1 not done"
		sleep 0.1
	done
	echo "$id"
}

metric() {
	curl -sf "$api/metrics" | sed -n "s/^$1 //p"
}

pg_start "$work/pg"

# The shop behind varnishd, with default.vcl; 1000 products.
"$ORIGIN" -p 0 -n 1000 > "$work/origin.out" 2>&1 &
suite_bg $!
"$TESTS_DIR/vcl/site.sh" "$TOP_SRCDIR/vcl/default.vcl" "$work" > /dev/null
varnishd -n "$work/v" -a 127.0.0.1:0 -T 127.0.0.1:0 -f "$work/site.vcl" \
    -p vcl_path="$TOP_SRCDIR/vcl" \
    -p vmod_path="$(dirname "$STOKED")/../vmod/.libs:$(pkg-config --variable=vmoddir varnishapi)" \
    -P "$work/varnishd.pid" > /dev/null
vport=$(varnishadm -n "$work/v" debug.listen_address | awk 'NR == 1 { print $3 }')
site="http://127.0.0.1:$vport"

echo "== a job: its row, and one result per request"
run stoked1 --database-url "$PGURL" --refresh-before 2
grep -q '^applied 0001_schema' "$work/stoked1.log" || fail "not migrated"
id=$(job http://shop.example/sitemap-pages.xml)
until_true 10 "SELECT count(*) = 1 FROM cache_jobs WHERE status = 'done'"
[ "$(q "SELECT j.trigger || ' ' || j.source || ' ' || w.base_url || ' ' ||
    j.urls_total || ' ' || j.urls_completed || ' ' || j.urls_failed ||
    ' ' || (j.finished_at >= j.started_at)
    FROM cache_jobs j JOIN websites w ON w.id = j.website_id")" = \
    "manual http://shop.example/sitemap-pages.xml http://shop.example/ 6 6 0 true" ] ||
    fail "job row: $(q "SELECT row_to_json(j) FROM cache_jobs j")"
[ "$(q "SELECT count(*) || ' ' || count(DISTINCT url) || ' ' ||
    count(*) FILTER (WHERE outcome = 'cached' AND status = 200 AND
      cache_status = 'miss' AND node = '$site' AND ttl > 0 AND
      load_ms > 0 AND ttfb_ms > 0 AND variant = '')
    FROM page_results")" = "6 6 6" ] ||
    fail "results: $(q "SELECT json_agg(r) FROM page_results r")"
db1=$(q "SELECT id FROM cache_jobs")

echo "== outcomes and reasons, as Varnish's log told them"
job http://shop.example/sitemap-pages.xml?more=1 > /dev/null
until_true 10 "SELECT count(*) = 2 FROM cache_jobs WHERE status = 'done'"
db2=$(q "SELECT max(id) FROM cache_jobs")
[ "$(q "SELECT urls_total || ' ' || urls_completed || ' ' || urls_failed
    FROM cache_jobs WHERE id = $db2")" = "10 9 1" ] ||
    fail "job $db2: $(q "SELECT row_to_json(j) FROM cache_jobs j WHERE id = $db2")"
q "SELECT outcome, url, status, reason, cache_status FROM page_results
    WHERE job_id = $db2 ORDER BY url" > "$work/mixed"
cat "$work/mixed"
for want in \
    "fresh|http://shop.example/|200||hit" \
    "uncacheable|http://shop.example/private|200|Set-Cookie|miss" \
    "uncacheable|http://shop.example/product/1?cookie=1|200|Set-Cookie|miss" \
    "uncacheable|http://shop.example/product/2?ttl=0|200|zero TTL|miss" \
    "origin_error|http://shop.example/product/3?status=503|503|HTTP 503 from the origin|miss"; do
	grep -qxF "$want" "$work/mixed" || fail "no result $want"
done
[ "$(wc -l < "$work/mixed")" = 10 ] || fail "not 10 results"

echo "== GET /api/v1/results reads them back"
curl -sf "$api/api/v1/results?job=$db2&limit=3" > "$work/r.json"
cat "$work/r.json"
grep -q "\"job\":{\"id\":$db2,\"website\":\"http://shop.example/\",\"trigger\":\"manual\"" "$work/r.json" ||
    fail "no job in the answer"
[ "$(grep -o '"outcome":' "$work/r.json" | wc -l)" = 3 ] || fail "limit 3"
curl -sf "$api/api/v1/results?job=$db2&limit=1000" | grep -q '"reason":"zero TTL"' ||
    fail "no zero TTL result"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/api/v1/results?job=999999")" = 404 ] ||
    fail "no 404 for an unknown job"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/api/v1/results?job=x")" = 400 ] ||
    fail "no 400 for a bad job"
curl -sf "$api/api/v1/results?limit=2" | grep -q "^{\"results\":\[{\"id\":" ||
    fail "no latest results"

echo "== a purge: its invalidation, a job of its own, the re-warm's result"
curl -sf -X PURGE -H 'Host: shop.example' -o /dev/null "$site/category/1"
until_true 10 "SELECT count(*) = 1 FROM cache_jobs WHERE trigger = 'purge'
    AND status = 'done'"
[ "$(q "SELECT i.kind || ' ' || i.soft || ' ' || i.node || ' ' ||
    i.subject || ' ' || i.objects_dropped || ' ' || i.objects_queued ||
    ' ' || j.urls_total || ' ' || j.urls_completed || ' ' ||
    (j.source = i.subject) || ' ' || (i.website_id = j.website_id)
    FROM invalidation_events i JOIN cache_jobs j ON j.id = i.job_id")" = \
    "purge false $site http://shop.example/category/1 1 1 1 1 true true" ] ||
    fail "purge: $(q "SELECT json_agg(i) FROM invalidation_events i")"
[ "$(q "SELECT r.outcome || ' ' || r.url || ' ' || r.status
    FROM page_results r JOIN cache_jobs j ON j.id = r.job_id
    WHERE j.trigger = 'purge'")" = \
    "cached http://shop.example/category/1 200" ] ||
    fail "purge result: $(q "SELECT json_agg(r) FROM page_results r")"

echo "== a ban over the categories"
curl -sf -X BAN -H 'Host: shop.example' -H 'Ban-Url: ^/category/' -o /dev/null "$site/"
until_true 10 "SELECT count(*) = 1 FROM cache_jobs WHERE trigger = 'ban'
    AND status = 'done' AND urls_completed = 5"
[ "$(q "SELECT kind || ' ' || objects_dropped || ' ' || objects_queued ||
    ' ' || (subject LIKE '%^/category/%')
    FROM invalidation_events WHERE kind = 'ban'")" = "ban 5 5 true" ] ||
    fail "ban: $(q "SELECT json_agg(i) FROM invalidation_events i")"
[ "$(q "SELECT count(*) FROM page_results r JOIN cache_jobs j
    ON j.id = r.job_id WHERE j.trigger = 'ban' AND r.outcome = 'cached'")" = 5 ] ||
    fail "not 5 ban re-warms stored"

echo "== refreshes before expiry: a job for the hour"
for i in 1 2; do
	curl -sf -o /dev/null -H 'Host: shop.example' "$site/product/7?ttl=4"
done
until_true 15 "SELECT count(*) >= 1 FROM page_results r JOIN cache_jobs j
    ON j.id = r.job_id WHERE j.trigger = 'expiry' AND r.outcome = 'cached'
    AND r.url = 'http://shop.example/product/7?ttl=4'"
q "SELECT count(*) || ' ' || min(source) FROM cache_jobs
    WHERE trigger = 'expiry'" | grep -q '^1 refreshed before expiry, ' ||
    fail "expiry: $(q "SELECT json_agg(j) FROM cache_jobs j
        WHERE trigger = 'expiry'")"
stop
# Ended with stoked: done, or cancelled if a refresh was in flight.
[ "$(q "SELECT status IN ('done', 'cancelled') AND finished_at IS NOT NULL
    FROM cache_jobs WHERE trigger = 'expiry'")" = t ] ||
    fail "the expiry job did not end with stoked"
! grep -q "unreachable\|failed\|dropp\|ERROR" "$work/stoked1.log" ||
    fail "stoked said something wrong"

echo "== PostgreSQL away in the middle of a job: every result once"
# 1006 requests at 150 a second: about 7 s.
run stoked2 --database-url "$PGURL" --origin-rate 150
curl -sf -X POST -H 'Content-Type: application/json' \
    -d '{"sitemap": "http://shop.example/"}' "$api/api/v1/jobs" > /dev/null
until_true 20 "SELECT count(*) >= 100 FROM page_results r JOIN cache_jobs j
    ON j.id = r.job_id WHERE j.source = 'http://shop.example/'"
pg_stop
sleep 6
alive "$sp" || fail "stoked died with the database"
[ "$(metric stoke_db_connected)" = 0 ] || fail "stoked thinks it is connected"
[ "$(metric stoke_db_rows_buffered)" -gt 100 ] ||
    fail "nothing waits: $(metric stoke_db_rows_buffered)"
grep -q 'database unreachable (' "$work/stoked2.log" || fail "not said"
pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$PGSOCK' -c fsync=off" \
    start > /dev/null || fail "PostgreSQL does not start again"
until_true 60 "SELECT count(*) = 1 FROM cache_jobs
    WHERE source = 'http://shop.example/' AND status = 'done'"
[ "$(q "SELECT count(*) || ' ' || count(DISTINCT url) || ' ' ||
      count(DISTINCT r.row_key)
    FROM page_results r JOIN cache_jobs j ON j.id = r.job_id
    WHERE j.source = 'http://shop.example/'")" = "1006 1006 1006" ] ||
    fail "not one row per request: $(q "SELECT count(*) FROM page_results")"
[ "$(q "SELECT urls_total || ' ' || urls_completed || ' ' || urls_failed
    FROM cache_jobs WHERE source = 'http://shop.example/'")" = "1006 1006 0" ] ||
    fail "the job's counters are wrong"
i=0
until [ "$(metric stoke_db_rows_buffered)" = 0 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "rows still wait"
	sleep 0.1
done
[ "$(metric stoke_db_rows_dropped_total)" = 0 ] || fail "rows dropped"
grep -q 'database reachable again' "$work/stoked2.log" || fail "not said back"
stop

echo "== a buffer too small for the outage: dropped, counted, said once"
run stoked3 --database-url "$PGURL" --db-buffer 40
before=$(q "SELECT count(*) FROM page_results")
pg_stop
id=$(job http://shop.example/)
dropped=$(metric stoke_db_rows_dropped_total)
# The job's row waits, and 39 results; the other 967 are dropped.
[ "$dropped" = 967 ] || fail "$dropped dropped, not 967"
[ "$(metric stoke_db_rows_buffered)" = 40 ] || fail "not 40 waiting"
[ "$(grep -c 'result buffer full' "$work/stoked3.log")" = 1 ] ||
    fail "the drop was not said exactly once"
grep -q '^stoked run: error: store: database unreachable: result buffer full (40 rows), dropping results until it is back$' \
    "$work/stoked3.log" || fail "not said as it should be"
pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$PGSOCK' -c fsync=off" \
    start > /dev/null || fail "PostgreSQL does not start again"
until_true 60 "SELECT count(*) = $before + 39 FROM page_results"
until_true 10 "SELECT urls_total || ' ' || urls_completed = '1006 1006'
    FROM cache_jobs ORDER BY id DESC LIMIT 1"
grep -q 'room again: 967 rows were dropped' "$work/stoked3.log" ||
    fail "the end of the drop was not said"
stop

echo "== results are there after a restart"
run stoked4 --database-url "$PGURL"
curl -sf "$api/api/v1/results?job=$db1" | grep -q '"url":"http://shop.example/category/5"' ||
    fail "job $db1's results are not served after a restart"
stop

echo "== no database URL: the embedded PostgreSQL in the state directory"
(
	unset STOKE_DATABASE_URL
	run stoked5 --state-dir "$work/st"
	grep -q "^stoked: started the embedded PostgreSQL in $work/st/pg/data$" \
	    "$work/stoked5.log" || fail "no embedded PostgreSQL started"
	job http://shop.example/sitemap-pages.xml > /dev/null
	url=$("$STOKED" db url --state-dir "$work/st")
	i=0
	until [ "$(psql -X -At "$url" -c "SELECT count(*) FROM page_results
	    WHERE outcome = 'fresh'" 2> /dev/null)" = 6 ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "the embedded database has not the rows"
		sleep 0.1
	done
	stop
	rc=0
	"$STOKED" db status --state-dir "$work/st" > /dev/null || rc=$?
	[ $rc -eq 3 ] || fail "stoked left the PostgreSQL it started running"
)

echo "== a schema newer than stoked: refused"
q "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')"
rc=0
"$STOKED" run -n "$work/v" --listen 127.0.0.1:0 --database-url "$PGURL" \
    > "$work/new.log" 2>&1 || rc=$?
cat "$work/new.log"
[ $rc -eq 1 ] && grep -q 'newer' "$work/new.log" || fail "exit $rc"

echo "PASS"
