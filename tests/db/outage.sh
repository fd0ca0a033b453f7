#!/bin/sh
# PostgreSQL goes away under a running stoked worker, for longer than a
# lease, and comes back: the worker reconnects, writes back what it did
# meanwhile and finishes the job, every task done exactly once.
set -eu

. "$TESTS_DIR/lib/pg.sh"

work=$(mktemp -d "$PWD/outage.XXXXXX")
# As root the cluster runs as postgres, who must reach the directory.
chmod 755 "$work"
pids=
cleanup() {
	for p in $pids; do
		kill -9 "$p" 2> /dev/null || true
	done
	pg_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	[ -f "$work/w.log" ] && tail -20 "$work/w.log" >&2
	exit 1
}

q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$PGURL" -c "$1"
}

# until_true SECONDS SQL: poll until the query answers true.
until_true() {
	end=$(($(date +%s) + $1))
	while [ "$(q "$2")" != t ]; do
		[ "$(date +%s)" -lt "$end" ] || fail "not within $1 s: $2"
		sleep 0.1
	done
}

alive() {
	s=$(ps -o stat= -p "$1") || return 1
	case $s in
	Z*) return 1 ;;
	esac
}

pg_start "$work/pg"
"$STOKED" migrate --database-url "$PGURL" > /dev/null

"$ORIGIN" -p 0 -n 1000 > "$work/origin.log" 2>&1 &
pids="$pids $!"
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/origin.log")

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
    --concurrency 4 --exit-when-idle > "$work/w.log" 2>&1 &
w=$!
pids="$pids $w"
until_true 60 "SELECT count(*) >= 1000 FROM warm_tasks WHERE state = 'done'"
before=$(curl -sf "http://127.0.0.1:$port/stats" | sed -n 's/^requests //p')
pg_stop
# Longer than a lease: what it holds must still be its own to finish.
sleep 4
alive "$w" || fail "the worker died with the database"
during=$(curl -sf "http://127.0.0.1:$port/stats" | sed -n 's/^requests //p')
echo "the worker fetched $((during - before)) URLs while the database was down"
pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$PGSOCK' -c fsync=off" \
    start > /dev/null || fail "PostgreSQL does not start again"

echo "== it reconnects and finishes"
end=$(($(date +%s) + 120))
while alive "$w"; do
	[ "$(date +%s)" -lt "$end" ] || fail "the worker did not finish"
	sleep 0.2
done
rc=0
wait "$w" || rc=$?
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
