#!/bin/sh
# Where a queue worker fetches: through each of the website's Varnish
# nodes (one page_results row per node), through --node instead when
# given, and from the URL itself when there is neither.  Two test
# origins stand in for the nodes; the URLs name a host that does not
# resolve, so only a fetch through a node can succeed.  Not being
# Varnish, they could not take signed warm requests: varnish.sh does.
set -eu

. "$TESTS_DIR/lib/db_suite.sh"

suite_begin nodes
suite_pg
suite_origin a
suite_origin b

urls=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	urls="$urls http://shop.invalid/product/$i"
done

worker() {
	"$STOKED" worker --database-url "$PGURL" --exit-when-idle --poll 0.2 \
	    --allow-private \
	    --timeout 5 "$@" 2> "$work/worker.log" ||
	    fail "worker exited $?: $(cat "$work/worker.log")"
}

echo "== the website's nodes: each URL through each"
# shellcheck disable=SC2086
job=$("$STOKED" job create --database-url "$PGURL" \
    --website-url http://shop.invalid/ $urls)
q "UPDATE websites SET varnish_nodes =
    ARRAY['http://127.0.0.1:$a', 'http://127.0.0.1:$b']"
worker
[ "$(q "SELECT status || ' ' || urls_completed FROM cache_jobs
    WHERE id = $job")" = "done 10" ] || fail "job $job not done"
for port in "$a" "$b"; do
	[ "$(q "SELECT count(*) || ' ' || count(DISTINCT task_id)
	    FROM page_results WHERE job_id = $job AND outcome = 'cached'
	    AND status = 200 AND node = 'http://127.0.0.1:$port'")" = \
	    "10 10" ] || fail "not one good fetch per URL through $port"
done
[ "$(q "SELECT count(*) FROM page_results WHERE job_id = $job")" = 20 ] ||
    fail "fetches other than one per URL and node"
[ "$(requests "$a") $(requests "$b")" = "11 11" ] ||
    fail "the nodes were not asked once per URL"

echo "== --node overrides them"
# shellcheck disable=SC2086
job=$("$STOKED" job create --database-url "$PGURL" \
    --website-url http://shop.invalid/ $urls)
worker --node "http://127.0.0.1:$b"
[ "$(q "SELECT count(*) || ' ' || count(DISTINCT task_id) || ' ' ||
    min(node) FROM page_results WHERE job_id = $job
    AND outcome = 'cached'")" = "10 10 http://127.0.0.1:$b" ] ||
    fail "not one fetch per URL through --node"
[ "$(requests "$a") $(requests "$b")" = "12 22" ] ||
    fail "--node was not the only node asked"

echo "== neither: the URL itself, which fails here, and is recorded so"
q "UPDATE websites SET varnish_nodes = '{}'"
job=$("$STOKED" job create --database-url "$PGURL" \
    --website-url http://shop.invalid/ http://shop.invalid/product/1)
worker
[ "$(q "SELECT status || ' ' || urls_failed FROM cache_jobs
    WHERE id = $job")" = "done 1" ] || fail "the failure was not counted"
[ "$(q "SELECT (node IS NULL) || ' ' || outcome || ' ' || (reason <> '')
    FROM page_results WHERE job_id = $job")" = "true failed true" ] ||
    fail "the failure was not recorded"
[ "$(q "SELECT state FROM warm_tasks WHERE job_id = $job")" = failed ] ||
    fail "the task is not failed"
echo "PASS"
