#!/bin/sh
# stoked run deletes page results past their project's retention by
# itself (daemon/store/retention.c): old rows go, young rows and other tables
# stay, and the figure is in /metrics.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"

suite_begin ret
suite_pg

# 'free' keeps results 7 days.  2,500 rows 30 days old, 20 of 1 day: the
# daemon prunes in batches of 5000 a round, so a round does it.
q "
INSERT INTO projects (name, plan_id) SELECT 'p', id FROM plans WHERE name = 'free';
INSERT INTO websites (project_id, base_url) SELECT id, 'https://shop.example' FROM projects;
INSERT INTO cache_jobs (website_id, trigger) SELECT id, 'manual' FROM websites;
INSERT INTO page_results (job_id, website_id, url, outcome, recorded_at)
    SELECT j.id, j.website_id, '/old/' || i, 'cached', now() - interval '30 days'
    FROM cache_jobs j, generate_series(1, 2500) i;
INSERT INTO page_results (job_id, website_id, url, outcome, recorded_at)
    SELECT j.id, j.website_id, '/young/' || i, 'cached', now() - interval '1 day'
    FROM cache_jobs j, generate_series(1, 20) i;" > /dev/null
[ "$(q "SELECT count(*) FROM page_results")" = 2520 ] || fail "set-up"

# No Varnish is needed for this: the log reader keeps trying meanwhile.
"$STOKED" run -n "$work/none" --database-url "$PGURL" --prune-every 1 \
    --listen 127.0.0.1:0 > "$work/stoked.log" 2>&1 &
pid=$!
suite_bg "$pid"
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/stoked.log")

until_true 20 "SELECT count(*) = 20 FROM page_results"
[ "$(q "SELECT count(*) FROM page_results WHERE url LIKE '/young/%'")" = 20 ] ||
    fail "young results were deleted"
[ "$(q "SELECT count(*) FROM cache_jobs")" = 1 ] || fail "the job went too"
curl -sf "http://127.0.0.1:$port/metrics" |
    grep -q '^stoke_db_results_pruned_total 2500$' ||
    fail "pruned count: $(curl -s "http://127.0.0.1:$port/metrics" | grep prune)"
echo "ok: 2500 expired results pruned, 20 kept"
