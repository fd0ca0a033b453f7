#!/bin/sh
# The durable queue: a 50,000-URL job drained by three stoked workers at
# once against the test origin, one of them killed (SIGKILL) halfway.
# Every task must be done exactly once, with exactly one page_results row,
# the job's counters exact and the job done, and what the dead worker
# held taken over by the others once its leases ran out.
set -eu

. "$TESTS_DIR/lib/db_suite.sh"

suite_begin queue
suite_pg
# 2 ms a page, so that requests overlap at the origin.
suite_origin port -n 1000 -d 2

echo "== a job of 50,000 URLs (50 variants of 1000 products)"
awk -v port="$port" 'BEGIN {
	for (v = 0; v < 50; v++)
		for (i = 1; i <= 1000; i++)
			printf "http://127.0.0.1:%d/product/%d?v=%d\n", port, i, v
}' > "$work/urls"
t0=$(date +%s)
job=$("$STOKED" job create --database-url "$PGURL" \
    --website-url "http://127.0.0.1:$port/" --urls-file "$work/urls")
echo "job $job queued in $(($(date +%s) - t0)) s"
[ "$(q "SELECT urls_total || ' ' || status FROM cache_jobs WHERE id = $job")" = \
    "50000 queued" ] || fail "the job is not 50000 queued tasks"
[ "$(q "SELECT count(*) FROM warm_tasks WHERE job_id = $job AND state = 'queued'")" = \
    50000 ] || fail "not 50000 tasks queued"

echo "== three workers; worker 1 killed once it has done 2000"
t0=$(date +%s)
for n in 1 2 3; do
	# Each its own application_name, to see when its sessions end.
	"$STOKED" worker --database-url "$PGURL&application_name=w$n" \
	    --id "w$n" --lease 3 --poll 1 --exit-when-idle --origin-max 6 \
	    --allow-private \
	    > "$work/w$n.log" 2>&1 &
	eval "w$n=$!"
	suite_bg $!
done
until_true 60 "SELECT count(*) >= 2000 FROM warm_tasks
    WHERE lease_owner = 'w1' AND state = 'done'"
kill -9 "$w1"
wait_exit "$w1" 10 || true
# A statement of w1's may still be committing: wait for its sessions.
until_true 30 "SELECT count(*) = 0 FROM pg_stat_activity
    WHERE application_name = 'w1'"
q "CREATE TABLE w1_held AS SELECT id FROM warm_tasks
    WHERE lease_owner = 'w1' AND state = 'leased'"
held=$(q "SELECT count(*) FROM w1_held")
echo "worker 1 killed holding $held leases," \
    "$(q "SELECT count(*) FROM warm_tasks WHERE state = 'done'") tasks done"
[ "$held" -gt 0 ] || fail "worker 1 held no lease when killed"

echo "== the other two drain the queue and exit"
wait_exit "$w2" 300 || fail "worker 2 exited $?"
wait_exit "$w3" 300 || fail "worker 3 exited $?"
elapsed=$(($(date +%s) - t0))
cat "$work/w2.log" "$work/w3.log"
echo "50000 URLs warmed by 3 workers (one killed) in $elapsed s"
# Each worker's origin guard: 6 at most each, 16 allowed by concurrency.
max=$(curl -sf "http://127.0.0.1:$port/stats" | sed -n 's/^inflight_max //p')
echo "the origin saw $max requests at once at most"
[ "$max" -le 18 ] || fail "the origin saw $max requests at once"

echo "== every task done exactly once"
[ "$(q "SELECT count(*) FROM warm_tasks WHERE job_id = $job")" = 50000 ] ||
    fail "tasks appeared or vanished"
[ "$(q "SELECT count(*) FROM warm_tasks WHERE state = 'done'")" = 50000 ] ||
    fail "not all 50000 tasks done: $(q "SELECT state || ' ' || count(*)
        FROM warm_tasks GROUP BY state")"
[ "$(q "SELECT count(*) || ' ' || count(DISTINCT task_id) FROM page_results
    WHERE job_id = $job")" = "50000 50000" ] ||
    fail "page_results is not one row per task"
[ "$(q "SELECT count(*) FROM warm_tasks t WHERE NOT EXISTS
    (SELECT 1 FROM page_results p WHERE p.task_id = t.id)")" = 0 ] ||
    fail "a task has no page_results row"
[ "$(q "SELECT count(*) FROM page_results
    WHERE outcome <> 'cached' OR status <> 200 OR load_ms IS NULL")" = 0 ] ||
    fail "a fetch did not go well"

echo "== the job's counters exact, the job done"
[ "$(q "SELECT status || ' ' || urls_total || ' ' || urls_completed || ' ' ||
    urls_failed || ' ' || (started_at IS NOT NULL) || ' ' ||
    (finished_at IS NOT NULL) FROM cache_jobs WHERE id = $job")" = \
    "done 50000 50000 0 true true" ] ||
    fail "job: $(q "SELECT row_to_json(j) FROM cache_jobs j")"
"$STOKED" job show --database-url "$PGURL" "$job" | grep -q '"status": "done"' ||
    fail "stoked job show does not say done"

echo "== what worker 1 held was taken over"
[ "$(q "SELECT count(*) FROM warm_tasks t JOIN w1_held USING (id)
    WHERE t.state = 'done' AND t.attempts > 1 AND t.lease_owner <> 'w1'")" = \
    "$held" ] || fail "not all of worker 1's tasks were taken over"
[ "$(q "SELECT count(*) > 0 FROM warm_tasks
    WHERE attempts > 1 AND state = 'done'")" = t ] ||
    fail "no task was taken over"
[ "$(q "SELECT count(*) FROM warm_tasks WHERE lease_owner = 'w1'
    AND id NOT IN (SELECT id FROM w1_held)
    AND state = 'done'")" -ge 2000 ] || fail "worker 1's own work was lost"

requests=$(requests "$port")
echo "the origin answered $requests requests"
[ "$requests" -ge 50000 ] || fail "fewer requests than URLs"
echo "PASS"
