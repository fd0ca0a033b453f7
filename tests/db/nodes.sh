#!/bin/sh
# Where a queue worker fetches: through each of the website's Varnish
# nodes (one page_results row per node), through --node instead when
# given, and from the URL itself when there is neither.  Two test
# origins stand in for the nodes; the URLs name a host that does not
# resolve, so only a fetch through a node can succeed.
set -eu

. "$TESTS_DIR/lib/pg.sh"

work=$(mktemp -d "$PWD/nodes.XXXXXX")
# As root the cluster runs as postgres, who must reach the directory.
chmod 755 "$work"
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2> /dev/null || true
	done
	pg_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$PGURL" -c "$1"
}

requests() {
	curl -sf "http://127.0.0.1:$1/stats" | sed -n 's/^requests //p'
}

pg_start "$work/pg"
"$STOKED" migrate --database-url "$PGURL" > /dev/null

for n in a b; do
	"$ORIGIN" -p 0 > "$work/$n.log" 2>&1 &
	pids="$pids $!"
done
a=$("$TESTS_DIR/lib/wait_port.sh" "$work/a.log")
b=$("$TESTS_DIR/lib/wait_port.sh" "$work/b.log")
head -c 32 /dev/urandom | base64 > "$work/secret"

urls=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	urls="$urls http://shop.invalid/product/$i"
done

worker() {
	"$STOKED" worker --database-url "$PGURL" --exit-when-idle --poll 0.2 \
	    --timeout 5 "$@" 2> "$work/worker.log" ||
	    fail "worker exited $?: $(cat "$work/worker.log")"
}

echo "== the website's nodes: each URL through each"
# shellcheck disable=SC2086
job=$("$STOKED" job create --database-url "$PGURL" \
    --website-url http://shop.invalid/ $urls)
q "UPDATE websites SET varnish_nodes =
    ARRAY['http://127.0.0.1:$a', 'http://127.0.0.1:$b']"
worker --secret-file "$work/secret"
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
