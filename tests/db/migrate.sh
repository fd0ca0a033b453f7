#!/bin/sh
# stoked migrate against a real PostgreSQL (lib/pg.sh): the schema from
# nothing, re-runs, concurrent runs, refusals, and the retention
# function of 0002_retention.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"

# MIGRATE_LOCK_KEY in daemon/store/migrate.h: "stoke" in ASCII.
LOCK_KEY=495874698085

suite_begin mig

# q URL SQL: the result, unaligned, one row per line (several databases
# here, unlike the other suites).
q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"
}

# within SECONDS DESCRIPTION COMMAND...: poll until COMMAND succeeds.
within() {
	end=$(($(date +%s) + $1))
	desc=$2
	shift 2
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || fail "timed out: $desc"
		sleep 0.05
	done
}

# What this tree's migrations are, from their files.
names=$(ls "$TOP_SRCDIR/daemon/store/migrations" | sed -n 's/\.sql$//p' | sort)
latest=$(expr "$(echo "$names" | tail -1)" : '0*\([0-9]*\)_')
applied_all="applied $(echo "$names" | paste -sd, - | sed 's/,/, /g')"
rows=$(echo "$names" | awk -F_ '{ printf "%d|%s\n", $1, $0 }')

pg_start "$work/pg"
url=$PGURL
sock=$PGSOCK

echo "== from an empty database"
out=$("$STOKED" migrate --database-url "$url")
[ "$out" = "$applied_all" ] || fail "first run said '$out'"
[ "$(q "$url" 'SELECT version, name FROM schema_migrations ORDER BY 1')" = \
    "$rows" ] || fail "schema_migrations holds the wrong rows"

echo "== a re-run does nothing"
before=$(q "$url" 'SELECT version, applied_at FROM schema_migrations')
out=$("$STOKED" migrate --database-url "$url")
[ "$out" = "schema up to date (version $latest)" ] ||
    fail "second run said '$out'"
[ "$(q "$url" 'SELECT version, applied_at FROM schema_migrations')" = \
    "$before" ] || fail "a re-run changed schema_migrations"

echo "== tables, foreign keys, indexes"
tables="agent_batches agent_commands agents api_keys auth_throttle cache_jobs
invalidation_events notify_anomalies notify_channels notify_outbox page_results plans project_members project_quota projects revoked_tokens
rollup_cache_status rollup_day_hists rollup_day_slow_urls rollup_hists
rollup_hours rollup_slow_urls rollup_uncacheable rollup_uncacheable_urls
schema_migrations search_terms_seen url_popularity usage_daily users
visitor_traffic visitor_uncacheable warm_tasks websites"
have=$(q "$url" "SELECT tablename FROM pg_tables WHERE schemaname = 'public'" |
    LC_ALL=C sort | tr '\n' ' ')
want=$(printf '%s\n' $tables | LC_ALL=C sort | tr '\n' ' ')
[ "$have" = "$want" ] || fail "tables: '$have', want '$want'"

# Each foreign key as table>referenced:on-delete (a cascade, n set null,
# a no action).
have=$(q "$url" "SELECT conrelid::regclass || '>' || confrelid::regclass ||
    ':' || confdeltype::text FROM pg_constraint WHERE contype = 'f'" |
    LC_ALL=C sort | tr '\n' ' ')
want=$(printf '%s\n' api_keys\>projects:c api_keys\>users:c \
    cache_jobs\>websites:c \
    invalidation_events\>cache_jobs:n invalidation_events\>websites:c \
    project_members\>projects:c project_members\>users:c \
    projects\>plans:a usage_daily\>projects:c warm_tasks\>cache_jobs:c \
    project_quota\>projects:c \
    websites\>projects:c rollup_hists\>websites:c \
    rollup_day_hists\>websites:c rollup_cache_status\>websites:c \
    rollup_hours\>websites:c rollup_day_slow_urls\>websites:c \
    rollup_slow_urls\>websites:c rollup_uncacheable\>websites:c \
    rollup_uncacheable_urls\>websites:c agents\>websites:c \
    agent_batches\>agents:c agent_commands\>agents:c warm_tasks\>agents:c \
    visitor_traffic\>websites:c visitor_uncacheable\>websites:c \
    notify_channels\>projects:c notify_outbox\>projects:c \
    notify_outbox\>notify_channels:c notify_anomalies\>notify_channels:c \
    notify_anomalies\>websites:c url_popularity\>websites:c \
    search_terms_seen\>websites:c |
    LC_ALL=C sort | tr '\n' ' ')
[ "$have" = "$want" ] || fail "foreign keys: '$have', want '$want'"

indexes=$(q "$url" "SELECT indexname FROM pg_indexes
    WHERE schemaname = 'public'")
for i in users_email projects_plan project_members_user api_keys_project \
    websites_project cache_jobs_website cache_jobs_active warm_tasks_ready \
    warm_tasks_leased page_results_job \
    page_results_recorded invalidation_events_website \
    invalidation_events_job schema_migrations_pkey revoked_tokens_pkey \
    revoked_tokens_expires auth_throttle_pkey auth_throttle_window \
    api_keys_user_id_key agents_website agent_batches_received \
    agent_commands_agent agents_token_hash_key warm_tasks_once \
    warm_tasks_agent notify_outbox_due notify_anomalies_open; do
	echo "$indexes" | grep -qx "$i" || fail "no index $i"
done
[ "$(q "$url" "SELECT pg_get_function_result(
    'prune_page_results(integer)'::regprocedure)")" = bigint ] ||
    fail "no prune_page_results(integer) returning bigint"

echo "== three migrates at once apply each migration once"
q "$url" "CREATE DATABASE race" > /dev/null
race="postgresql://stoke@/race?host=$sock"
# psql holds the migration lock while the three start, so that they all
# wait on it together: then it lets go.
mkfifo "$work/hold"
psql -X -q -At -v ON_ERROR_STOP=1 "$race" < "$work/hold" > "$work/hold.out" 2>&1 &
holder=$!
exec 3> "$work/hold"
echo "SELECT pg_advisory_lock($LOCK_KEY);" >&3
locks() {
	[ "$(q "$race" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
	    AND classid = 115 AND objid = 1953459045 AND granted = $1")" = "$2" ]
}
within 20 "psql takes the lock" locks true 1
for i in 1 2 3; do
	"$STOKED" migrate --database-url "$race" > "$work/m$i.out" 2>&1 &
	eval "pid$i=\$!"
done
within 20 "the three migrates wait on the lock" locks false 3
echo "SELECT pg_advisory_unlock($LOCK_KEY);" >&3
exec 3>&-
wait "$holder" || fail "the psql holding the lock failed: $(cat "$work/hold.out")"
for i in 1 2 3; do
	eval "pid=\$pid$i"
	wait "$pid" || fail "migrate $i failed: $(cat "$work/m$i.out")"
done
cat "$work"/m?.out
for n in $names; do
	[ "$(cat "$work"/m?.out | tr ',' '\n' | grep -c "$n")" = 1 ] ||
	    fail "$n was not applied exactly once"
done
[ "$(q "$race" 'SELECT version, name FROM schema_migrations ORDER BY 1')" = \
    "$rows" ] || fail "the raced database holds the wrong rows"

echo "== the database from STOKE_DATABASE_URL; --database-url first"
out=$(STOKE_DATABASE_URL=$url "$STOKED" migrate)
[ "$out" = "schema up to date (version $latest)" ] || fail "env: '$out'"
out=$(STOKE_DATABASE_URL=postgresql://nobody@127.0.0.1:1/x "$STOKED" migrate \
    --database-url "$url")
[ "$out" = "schema up to date (version $latest)" ] || fail "option: '$out'"

echo "== a newer schema is refused"
q "$url" "INSERT INTO schema_migrations (version, name)
    VALUES (999, '0999_future')"
rc=0
"$STOKED" migrate --database-url "$url" > "$work/out" 2> "$work/err" || rc=$?
cat "$work/err"
[ $rc -eq 1 ] || fail "newer schema: exit $rc"
grep -q "version 999 (0999_future), newer than this stoked knows ($latest)" \
    "$work/err" || fail "newer schema: no clear error"
q "$url" "DELETE FROM schema_migrations WHERE version = 999"

echo "== a database of other migrations is refused"
q "$url" "UPDATE schema_migrations SET name = name || '_other'
    WHERE version = 1"
rc=0
"$STOKED" migrate --database-url "$url" > "$work/out" 2> "$work/err" || rc=$?
cat "$work/err"
[ $rc -eq 1 ] && grep -q "not the same schema" "$work/err" ||
    fail "other migrations: exit $rc"
q "$url" "UPDATE schema_migrations SET name = left(name, -6)
    WHERE version = 1"

echo "== an unreachable database fails fast and clearly, password masked"
for bad in "postgresql://stoke:sekret@127.0.0.1:1/stoke" \
    "postgresql://stoke@/stoke?host=$work/nowhere&password=sekret" \
    "host=$work/nowhere dbname=stoke password='sek ret'"; do
	t0=$(date +%s)
	rc=0
	"$STOKED" migrate --database-url "$bad" > "$work/out" 2> "$work/err" ||
	    rc=$?
	cat "$work/err"
	[ $rc -eq 1 ] || fail "unreachable: exit $rc"
	[ $(($(date +%s) - t0)) -le 5 ] || fail "unreachable: too slow"
	grep -q "cannot connect to .*\*\*\*\*" "$work/err" ||
	    fail "unreachable: no clear error"
	! grep -q "sek" "$work/err" || fail "the password was printed"
done

echo "== prune_page_results deletes what is past retention, batch by batch"
# free keeps results 7 days, pro 30.  Each row's url says its plan and
# age in days.
q "$url" "
INSERT INTO projects (name, plan_id) SELECT name, id FROM plans
    WHERE name IN ('free', 'pro');
INSERT INTO websites (project_id, base_url)
    SELECT id, 'https://' || name || '.example' FROM projects;
INSERT INTO cache_jobs (website_id, trigger) SELECT id, 'manual' FROM websites;
INSERT INTO page_results (job_id, website_id, url, outcome, recorded_at)
    SELECT j.id, w.id, '/' || p.name || '-' || age, 'fresh',
        now() - age * interval '1 day'
    FROM cache_jobs j JOIN websites w ON w.id = j.website_id
    JOIN projects p ON p.id = w.project_id,
    LATERAL unnest(CASE p.name WHEN 'free' THEN '{1,6,8,10,20}'::int[]
        ELSE '{8,20,29,31,40}'::int[] END) age"
left() {
	q "$url" "SELECT url FROM page_results ORDER BY url" | tr '\n' ' '
}
[ "$(left)" = "/free-1 /free-10 /free-20 /free-6 /free-8 /pro-20 /pro-29 /pro-31 /pro-40 /pro-8 " ] ||
    fail "page_results set up wrong: $(left)"
# Oldest first: pro-40, pro-31, then free-20, free-10, then free-8.
for step in "2:/free-1 /free-10 /free-20 /free-6 /free-8 /pro-20 /pro-29 /pro-8 " \
    "2:/free-1 /free-6 /free-8 /pro-20 /pro-29 /pro-8 " \
    "1:/free-1 /free-6 /pro-20 /pro-29 /pro-8 " \
    "0:/free-1 /free-6 /pro-20 /pro-29 /pro-8 "; do
	n=$(q "$url" "SELECT prune_page_results(2)")
	[ "$n" = "${step%%:*}" ] || fail "prune_page_results(2) said $n"
	[ "$(left)" = "${step#*:}" ] || fail "after pruning $n: $(left)"
done
! q "$url" "SELECT prune_page_results(0)" 2> /dev/null ||
    fail "prune_page_results(0) was accepted"

echo "== a result belongs to a job of its website, and goes with it"
# One check a statement (0028_ingest.sql), as the foreign keys did row
# by row.
job_of() {
	q "$url" "SELECT j.id FROM cache_jobs j JOIN websites w
	    ON w.id = j.website_id WHERE w.base_url = 'https://$1.example'"
}
site_of() {
	q "$url" "SELECT id FROM websites WHERE base_url = 'https://$1.example'"
}
fj=$(job_of free) pj=$(job_of pro) fw=$(site_of free) pw=$(site_of pro)
refused() {
	! q "$url" "$1" 2> "$work/err" || fail "accepted: $1"
	grep -q "$2" "$work/err" || fail "$1: $(cat "$work/err")"
}
refused "INSERT INTO page_results (job_id, website_id, url, outcome)
    VALUES ($fj, $fw, '/ok', 'fresh'), ($pj, $fw, '/x', 'fresh')" \
    "website $fw has no job $pj"
refused "INSERT INTO page_results (job_id, website_id, url, outcome)
    VALUES (1000000, $fw, '/x', 'fresh')" "has no job 1000000"
refused "UPDATE page_results SET job_id = $pj WHERE job_id = $fj" \
    "has no job $pj"
refused "UPDATE cache_jobs SET website_id = $pw WHERE id = $fj" \
    "job $fj has results"
[ "$(q "$url" "SELECT count(*) FROM page_results WHERE url = '/ok'")" = 0 ] ||
    fail "a refused statement stored a row"
q "$url" "DELETE FROM cache_jobs WHERE id = $fj"
[ "$(q "$url" "SELECT count(*) FROM page_results WHERE job_id = $fj")" = 0 ] ||
    fail "a deleted job's results stayed"
[ "$(q "$url" "SELECT count(*) FROM page_results WHERE job_id = $pj")" = 3 ] ||
    fail "another job's results went"
q "$url" "DELETE FROM websites WHERE id = $pw"
[ "$(q "$url" "SELECT count(*) FROM page_results")" = 0 ] ||
    fail "a deleted website's results stayed"

echo "ok"
