#!/bin/sh
# Storing results against warming: sitemap jobs of stoked run through a
# varnishd, every page in cache already (the fastest warming there is,
# so the hardest for storage), first without a database (the peer), then
# with the embedded PostgreSQL at its default settings (fsync on).
# Reported: warm requests a second each way, result rows stored a second
# while warming, and how fast a backlog is written once the database
# comes back (what storage could take).  Target: storage keeps up, rows
# stored a second at least the warm rate.
#
# The jobs' own peer: a plain sitemap warmer, what a shop runs from cron
# without stoked (each site's /sitemap.xml, its <loc>s, then
# "xargs -P 32 -n 1 curl"), on the same cached pages through the same
# varnishd, over the first 2 sites: a rate is a rate, and a curl a URL
# costs some 10 ms of CPU to start, so that all sites would only make
# the run longer.
#
# usage: bench/result_store.sh BUILDDIR [SITES]   (1006 URLs a site)
set -eu

build=$1
sites=${2:-16}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/figure.sh"
dir=$(mktemp -d /tmp/stoke-bench.XXXXXX)
# As root the embedded PostgreSQL runs as postgres, who must reach it.
chmod 755 "$dir"
stoked=$build/daemon/stoked
sp=

cleanup() {
	for p in "$sp" "${op:-}"; do
		[ -n "$p" ] && kill "$p" 2> /dev/null || true
	done
	[ -n "$sp" ] && wait "$sp" 2> /dev/null || true
	"$stoked" db stop --state-dir "$dir/state" > /dev/null 2>&1 || true
	[ -f "$dir/varnishd.pid" ] && kill "$(cat "$dir/varnishd.pid")" 2> /dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

fail() {
	echo "result_store: $*" >&2
	[ -f "$dir/stoked.out" ] && tail -5 "$dir/stoked.out" >&2
	exit 1
}

now() {
	date +%s.%N
}

# minus A B: A - B, both seconds.
minus() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a - b }'
}

"$build/tests/origin/stoke-origin" -p 0 -n 1000 > "$dir/origin.out" 2>&1 &
op=$!
"$top/tests/vcl/site.sh" "$top/vcl/default.vcl" "$dir" > /dev/null
varnishd -n "$dir/v" -a 127.0.0.1:0 -f "$dir/site.vcl" -T 127.0.0.1:0 \
    -s malloc,256m -p vcl_path="$top/vcl" \
    -p vmod_path="$build/vmod/.libs:$(pkg-config --variable=vmoddir varnishapi)" \
    -P "$dir/varnishd.pid" > /dev/null
port=$(varnishadm -n "$dir/v" debug.listen_address | awk 'NR == 1 { print $3 }')
site="http://127.0.0.1:$port"
i=0
until curl -sf -o /dev/null "$site/robots.txt"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "varnishd did not start"
	sleep 0.1
done

# Every page of every site in cache first.
for s in $(seq 1 "$sites"); do
	"$stoked" warm --node "$site" --quiet --concurrency 32 \
	    --sitemap "http://shop$s.example/" > /dev/null 2>&1 ||
	    fail "warming shop$s.example first"
done

# start ARGS...: stoked run in the background ($sp, $api).
start() {
	"$stoked" run -n "$dir/v" --node "$site" --secret-file "$dir/secret" \
	    --listen 127.0.0.1:0 --warm-concurrency 32 --origin-max 64 "$@" \
	    > "$dir/stoked.out" 2>&1 &
	sp=$!
	i=0
	until grep -q ' listening on ' "$dir/stoked.out" 2> /dev/null; do
		kill -0 "$sp" 2> /dev/null || fail "stoked exited"
		i=$((i + 1)); [ $i -lt 1200 ] || fail "stoked does not listen"
		sleep 0.05
	done
	api=http://127.0.0.1:$("$top/tests/lib/wait_port.sh" "$dir/stoked.out")
}

stop() {
	kill "$sp"
	wait "$sp" || true
	sp=
}

metric() {
	curl -s "$api/metrics" | sed -n "s/^$1 //p"
}

# jobs: a job a site, four at a time (what stoked runs at once); prints
# the seconds from the first start to the last end.
jobs() {
	t0=$(now)
	next=1
	ids=
	while [ "$next" -le "$sites" ]; do
		id=$(curl -sf -X POST -H 'Content-Type: application/json' \
		    -d "{\"sitemap\": \"http://shop$next.example/\"}" \
		    "$api/api/v1/jobs" 2> /dev/null |
		    sed -n 's/^{"id":\([0-9]*\)}$/\1/p')
		if [ -n "$id" ]; then
			ids="$ids $id"
			next=$((next + 1))
		else
			sleep 0.01
		fi
	done
	for id in $ids; do
		until curl -s "$api/api/v1/jobs?id=$id" | grep -q '"state":"done"'; do
			sleep 0.01
		done
	done
	minus "$(now)" "$t0"
}

# until_metric NAME VALUE: the time it first reads VALUE.
until_metric() {
	until [ "$(metric "$1")" = "$2" ]; do
		sleep 0.02
	done
	now
}

requests=$((sites * 1006))
rows=$((requests + sites)) # the results and a job row a site

start --no-database
peer=$(jobs)
stop

# plain N: the plain warmer over sites 1..N; prints its seconds.  Every
# answer must be a 200.
plain() {
	t0=$(now)
	for s in $(seq 1 "$1"); do
		curl -sf --connect-to "::127.0.0.1:$port" \
		    "http://shop$s.example/sitemap.xml" |
		    sed -n 's|.*<loc>\(.*\)</loc>.*|\1|p'
	done | xargs -P 32 -n 1 curl -s -o /dev/null -w '%{http_code}\n' \
	    --connect-to "::127.0.0.1:$port" > "$dir/plain.codes"
	t1=$(now)
	[ "$(grep -c '^200$' "$dir/plain.codes")" = "$(($1 * 1006))" ] ||
	    fail "the plain warmer: $(sort "$dir/plain.codes" | uniq -c)"
	minus "$t1" "$t0"
}
psites=$((sites < 2 ? sites : 2))
plain=$(plain "$psites")

start --state-dir "$dir/state"
t0=$(now)
took=$(jobs)
t1=$(until_metric stoke_db_rows_written_total "$rows")
stored=$(minus "$t1" "$t0")

# The database away during a round of jobs, then back: the backlog.
"$stoked" db stop --state-dir "$dir/state" > /dev/null
jobs > /dev/null
[ "$(metric stoke_db_rows_buffered)" = "$rows" ] ||
    fail "$(metric stoke_db_rows_buffered) rows waiting, not $rows"
"$stoked" db start --state-dir "$dir/state" > /dev/null
until [ "$(metric stoke_db_rows_written_total)" != "$rows" ]; do
	sleep 0.005
done
b0=$(now)
b1=$(until_metric stoke_db_rows_buffered 0)
backlog=$(minus "$b1" "$b0")
[ "$(metric stoke_db_rows_dropped_total)" = 0 ] || fail "rows dropped"
stop

awk -v n="$requests" -v rows="$rows" -v peer="$peer" -v took="$took" \
    -v stored="$stored" -v backlog="$backlog" -v sites="$sites" \
    -v plain="$plain" -v pn="$((psites * 1006))" 'BEGIN {
	printf "result_store: %d sitemap jobs of 1006 cached URLs, 4 at a time, through one varnishd\n", sites
	printf "  plain warmer, xargs -P 32 curl, %d sites: %.0f req/s\n", pn / 1006, pn / plain
	printf "  warming, no database (peer): %.0f req/s (%.2f of the plain warmer)\n", n / peer, (n / peer) / (pn / plain)
	printf "  warming, results stored:     %.0f req/s (%.2f of the peer)\n", n / took, peer / took
	printf "  rows stored while warming:   %.0f rows/s, %.2f of the warm rate (all in %.2f s after the jobs began, %.2f s for the jobs)\n", rows / stored, (rows / stored) / (n / took), stored, took
	printf "  a backlog of %d rows written at %.0f rows/s: %.1fx the warm rate   target: >= 1x\n", rows, rows / backlog, (rows / backlog) / (n / took)
}'

# per N SECONDS: N a second.
per() {
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f\n", n / s }'
}
figure sitemap_jobs "sitemap jobs on cached pages, no database" \
    "$(per "$requests" "$peer")" req/s "xargs -P 32 curl" \
    "$(per "$((psites * 1006))" "$plain")" - -
figure result_store_warm "sitemap jobs, every result stored" \
    "$(per "$requests" "$took")" req/s "the same, no database" \
    "$(per "$requests" "$peer")" - -
# Rows can only follow the warming, a batch behind: about 1x is keeping
# up; what storage could take is the backlog's figure.
figure result_store_rows "result rows stored while warming" \
    "$(per "$rows" "$stored")" rows/s "the warm rate" \
    "$(per "$requests" "$took")" - -
figure result_store_backlog "a backlog written once the database is back" \
    "$(per "$rows" "$backlog")" rows/s "the warm rate" \
    "$(per "$requests" "$took")" ">= 1x the warm rate" "r >= 1"
