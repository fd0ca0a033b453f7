#!/bin/sh
# stoked db: the embedded PostgreSQL made, started, reused, stopped and
# started again with its data, in state directories of the test's own.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"

suite_begin emb
st=$work/st
st2=$work/st2
suite_atexit '"$STOKED" db stop --state-dir "$st" > /dev/null 2>&1'
suite_atexit '"$STOKED" db stop --state-dir "$st2" > /dev/null 2>&1'

# q URL SQL: the clusters here are the suite's subject.
q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"
}

count=0
for f in "$TOP_SRCDIR"/daemon/store/migrations/*.sql; do
	count=$((count + 1))
	last=${f##*/}
done
latest=$(expr "$last" : '0*\([0-9]*\)_')
data=$st/pg/data

echo "== the first start makes the cluster and migrates it"
out=$("$STOKED" db start --state-dir "$st")
echo "$out"
echo "$out" | grep -qx "started PostgreSQL in $data" || fail "not started"
echo "$out" | grep -q "^applied 0001_schema" || fail "not migrated"
[ -s "$data/PG_VERSION" ] || fail "no cluster in $data"
out=$("$STOKED" db status --state-dir "$st") || fail "status: exit $?"
[ "$out" = "PostgreSQL in $data: running" ] || fail "status said '$out'"

echo "== its URL works with psql; no TCP"
url=$("$STOKED" db url --state-dir "$st")
echo "$url"
[ "$(q "$url" 'SELECT count(*) FROM schema_migrations')" = "$count" ] ||
    fail "the migrations are not in the stoke database"
[ "$(q "$url" 'SHOW listen_addresses')" = "" ] || fail "it listens on TCP"
q "$url" "INSERT INTO plans (name, max_websites, max_urls_per_job,
    max_warms_per_day) VALUES ('kept', 1, 1, 1)"

echo "== a second start reuses the running server"
pid=$(head -1 "$data/postmaster.pid")
alive "$pid" || fail "no postmaster $pid"
out=$("$STOKED" db start --state-dir "$st")
echo "$out"
echo "$out" | grep -qx "reusing the running PostgreSQL in $data" ||
    fail "not reused"
echo "$out" | grep -q "^schema up to date" || fail "migrated twice"
[ "$(head -1 "$data/postmaster.pid")" = "$pid" ] || fail "a new postmaster"

echo "== migrate leaves a running cluster running"
out=$("$STOKED" migrate --state-dir "$st")
[ "$out" = "schema up to date (version $latest)" ] || fail "migrate: '$out'"
alive "$pid" || fail "migrate stopped the server"

echo "== stop: nothing of it is left"
out=$("$STOKED" db stop --state-dir "$st")
[ "$out" = "stopped PostgreSQL in $data" ] || fail "stop said '$out'"
! alive "$pid" || fail "postmaster $pid still runs"
left=$(ps -eo pid=,ppid=,stat= |
    awk -v p="$pid" '($1 == p || $2 == p) && $3 !~ /^Z/')
[ -z "$left" ] || fail "processes of postmaster $pid left: $left"
[ ! -e "$data/postmaster.pid" ] || fail "postmaster.pid left"
[ ! -e "$st/pg/.s.PGSQL.5432" ] || fail "the socket is left"
rc=0
out=$("$STOKED" db status --state-dir "$st") || rc=$?
[ $rc -eq 3 ] && [ "$out" = "PostgreSQL in $data: not running" ] ||
    fail "status when stopped: exit $rc, '$out'"
out=$("$STOKED" db stop --state-dir "$st")
[ "$out" = "no running PostgreSQL in $data" ] || fail "stop again: '$out'"

echo "== migrate starts a stopped cluster for the while"
out=$("$STOKED" migrate --state-dir "$st")
[ "$out" = "schema up to date (version $latest)" ] || fail "migrate: '$out'"
rc=0
"$STOKED" db status --state-dir "$st" > /dev/null || rc=$?
[ $rc -eq 3 ] || fail "migrate left the cluster running (status $rc)"

echo "== started again, the data is still there"
out=$("$STOKED" db start --state-dir "$st")
echo "$out" | grep -qx "started PostgreSQL in $data" || fail "not restarted"
[ "$(q "$url" "SELECT count(*) FROM plans WHERE name = 'kept'")" = 1 ] ||
    fail "the data is gone"
"$STOKED" db stop --state-dir "$st" > /dev/null

echo "== two first starts at once: one makes it, the other reuses it"
"$STOKED" db start --state-dir "$st2" > "$work/s1.out" 2>&1 &
p1=$!
"$STOKED" db start --state-dir "$st2" > "$work/s2.out" 2>&1 &
p2=$!
wait "$p1" || fail "start 1: $(cat "$work/s1.out")"
wait "$p2" || fail "start 2: $(cat "$work/s2.out")"
cat "$work/s1.out" "$work/s2.out"
[ "$(cat "$work/s1.out" "$work/s2.out" | grep -c '^started ')" = 1 ] &&
    [ "$(cat "$work/s1.out" "$work/s2.out" | grep -c '^reusing ')" = 1 ] ||
    fail "not one start and one reuse"
"$STOKED" db stop --state-dir "$st2" > /dev/null

echo "== stoked job and stoked worker use it when given no database"
suite_origin port
site=http://127.0.0.1:$port
job=$(env -u STOKE_DATABASE_URL "$STOKED" job create --state-dir "$st" \
    --website-url "$site/" "$site/product/1" "$site/product/2" \
    2> "$work/job.log") || fail "job create: $(cat "$work/job.log")"
cat "$work/job.log"
grep -qx "stoked job: info: database: the embedded PostgreSQL in $data, started.*" \
    "$work/job.log" || fail "job create did not say it started it"
env -u STOKE_DATABASE_URL "$STOKED" worker --state-dir "$st" \
    --exit-when-idle --poll 0.2 --allow-private 2> "$work/worker.log" ||
    fail "worker: $(cat "$work/worker.log")"
grep -qx "stoked worker: info: database: the embedded PostgreSQL in $data" \
    "$work/worker.log" || fail "the worker did not say which database"
out=$(STOKE_DATABASE_URL=$url "$STOKED" job show "$job" 2> "$work/show.log")
grep -qx "stoked job: info: database: $url" "$work/show.log" ||
    fail "job show did not say which database"
echo "$out" | grep -q '"urls_completed": 2' || fail "job $job: $out"
"$STOKED" db stop --state-dir "$st" > /dev/null

if [ "$(id -u)" -eq 0 ]; then
	echo "== as root: a state dir the postgres user cannot reach"
	mkdir -m 700 "$work/closed"
	rc=0
	"$STOKED" db start --state-dir "$work/closed/st" 2> "$work/err" || rc=$?
	cat "$work/err"
	[ $rc -eq 1 ] && grep -q "chmod o+x" "$work/err" ||
	    fail "unreachable state dir: exit $rc"
fi

echo "ok"
