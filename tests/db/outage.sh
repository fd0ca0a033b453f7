#!/bin/sh
# PostgreSQL goes away under a running stoked worker, for longer than a
# lease, and comes back: the worker reconnects, writes back what it did
# meanwhile and finishes the job, every task done exactly once.
set -eu

. "$TESTS_DIR/lib/db_suite.sh"

suite_begin outage
suite_pg
suite_origin port -n 1000

echo "== a job of 5000 URLs, each answered in 5 ms"
awk -v port="$port" 'BEGIN {
	for (v = 0; v < 5; v++)
		for (i = 1; i <= 1000; i++)
			printf "http://127.0.0.1:%d/product/%d?v=%d&delay=5\n",
			    port, i, v
}' > "$work/urls"
job=$("$STOKED" job create --database-url "$PGURL" \
    --website-url "http://127.0.0.1:$port/" --urls-file "$work/urls")

echo "== one worker; PostgreSQL stopped once 1000 are done"
"$STOKED" worker --database-url "$PGURL" --id w --lease 3 --poll 1 \
    --allow-private \
    --concurrency 4 --exit-when-idle > "$work/w.log" 2>&1 &
w=$!
suite_bg "$w"
until_true 60 "SELECT count(*) >= 1000 FROM warm_tasks WHERE state = 'done'"
before=$(requests "$port")
pg_stop
# Longer than a lease: what it holds must still be its own to finish.
sleep 4
alive "$w" || fail "the worker died with the database"
during=$(requests "$port")
echo "the worker fetched $((during - before)) URLs while the database was down"
pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$PGSOCK' -c fsync=off" \
    start > /dev/null || fail "PostgreSQL does not start again"

echo "== it reconnects and finishes"
rc=0
wait_exit "$w" 120 || rc=$?
cat "$work/w.log"
[ "$rc" = 0 ] || fail "the worker exited $rc"
grep -q ' [1-9][0-9]* database reconnects' "$work/w.log" ||
    fail "the worker says it never reconnected"

echo "== every task done exactly once, the job done"
[ "$(q "SELECT count(*) FROM warm_tasks WHERE state = 'done'")" = 5000 ] ||
    fail "not all 5000 tasks done: $(q "SELECT state || ' ' || count(*)
        FROM warm_tasks GROUP BY state")"
[ "$(q "SELECT count(*) || ' ' || count(DISTINCT task_id) FROM page_results")" = \
    "5000 5000" ] || fail "page_results is not one row per task"
[ "$(q "SELECT status || ' ' || urls_completed || ' ' || urls_failed
    FROM cache_jobs WHERE id = $job")" = "done 5000 0" ] ||
    fail "job: $(q "SELECT row_to_json(j) FROM cache_jobs j")"
echo "PASS"
