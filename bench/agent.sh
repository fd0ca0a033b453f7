#!/bin/sh
# stoked agent and the control plane, each beside a peer measured in
# the same run, while visitors' requests keep the node busy:
#
#  rewarm: from Varnish's answer to a PURGE to the object cached again,
#          PAGES pages purged one by one through an origin of 50 ms,
#          by stoked agent reporting every re-warm to a control plane
#          (stoked serve on PostgreSQL), beside stoked run with no
#          database on the same node, as bench/rewarm_latency.sh
#          measures it.  Goal: the agent no worse.
#  ingest: the results a second one control plane stores from agents'
#          batches (4 agents sending at once, 1000 results a batch,
#          gzip'd, each batch stored in one transaction, once, with
#          row keys as agents make them: their run, then a sequence),
#          beside PostgreSQL's own COPY of as many rows into the same
#          table, its triggers included.  Goal: 50,000 a second.
#
#          Printed beside it: the CPU seconds PostgreSQL, stoked serve
#          and the load generator spent, to tell which is the limit.
#
# usage: bench/agent.sh [BUILDDIR [PAGES [ROWS]]]
#        (no BUILDDIR: an optimised build in _build/bench is made)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/figure.sh"
build=${1:-}
pages=${2:-100}
rows=${3:-200000}
if [ -z "$build" ]; then
	build=$top/_build/bench
	mkdir -p "$build"
	"$top/scripts/build.sh" "$build" > "$build/build.log" 2>&1 ||
	    { cat "$build/build.log" >&2; exit 1; }
fi
stoked=$build/daemon/stoked
for t in varnishd varnishadm psql curl python3; do
	command -v "$t" > /dev/null ||
	    { echo "agent: no $t: run scripts/install-deps.sh" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/stoke-bench.XXXXXX)
chmod 755 "$dir"
sp= op= rp= ap= vp=
. "$top/tests/lib/pg.sh"

cleanup() {
	for p in $vp $ap $rp $sp $op; do
		kill "$p" 2> /dev/null || true
	done
	[ -f "$dir/varnishd.pid" ] &&
	    kill "$(cat "$dir/varnishd.pid")" 2> /dev/null || true
	pg_stop > /dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "agent: $*" >&2
	exit 1
}

q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$PGURL" -c "$1"
}

json() {
	python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

post() {
	curl -sf -H 'Content-Type: application/json' \
	    -H "Authorization: Bearer ${token:-none}" -d "$2" "$api$1"
}

# The node: the test origin at 50 ms a page behind varnishd.
"$build/tests/origin/stoke-origin" -p 0 -n $((pages * 2)) -d 50 \
    > "$dir/origin.out" 2>&1 &
op=$!
"$top/tests/vcl/site.sh" "$top/vcl/default.vcl" "$dir" > /dev/null
varnishd -n "$dir/v" -a 127.0.0.1:0 -f "$dir/site.vcl" -T 127.0.0.1:0 \
    -p vcl_path="$top/vcl" \
    -p vmod_path="$build/vmod/.libs:$(pkg-config --variable=vmoddir varnishapi)" \
    -P "$dir/varnishd.pid" > /dev/null
port=$(varnishadm -n "$dir/v" debug.listen_address | awk 'NR == 1 { print $3 }')
site="http://127.0.0.1:$port"
i=0
until curl -sf -o /dev/null "$site/robots.txt"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "varnishd did not start"
	sleep 0.1
done

# The control plane.
pg_start "$dir/pg" > /dev/null
"$stoked" migrate --database-url "$PGURL" > /dev/null
"$stoked" serve --new-jwt-key > "$dir/keys"
chmod 600 "$dir/keys"
"$stoked" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$dir/keys" --allow-private --db-connections 4 \
    > "$dir/serve.log" 2>&1 &
sp=$!
api=http://127.0.0.1:$("$top/tests/lib/wait_port.sh" "$dir/serve.log")
token=$(post /api/auth/register '{"name": "Bench", "email": "bench@shop.example",
    "password": "a long enough secret"}' | json token) || fail "signing up"
project=$(post /api/projects '{"name": "Bench"}' | json id) ||
    fail "a project"
q "UPDATE projects SET plan_id = (SELECT id FROM plans
    WHERE name = 'unlimited') WHERE id = $project"
website=$(post "/api/projects/$project/websites" \
    '{"base_url": "http://127.0.0.1/"}' | json id) || fail "a website"
agent_token() {
	post "/api/websites/$website/agents" "{\"name\": \"$1\"}" | json token
}


# rewarm_run WHO MPORT: purges one by one, each waited for in WHO's
# metrics, while visitors browse other pages (their pages cached
# first); writes "p50 p99" in ms to $dir/WHO.lat.
rewarm_run() {
	m=http://127.0.0.1:$2/metrics
	"$top/tests/lib/wait_metric.sh" "$2" '^stoke_vsl_attached.* 1$'
	for n in $(seq 1 $((pages * 2))); do
		curl -s -o /dev/null "$site/product/$n"
	done
	"$top/tests/lib/wait_metric.sh" "$2" \
	    "^stoke_index_objects.* ($((pages * 2))|$((pages * 2 + 1)))\$"
	python3 "$top/bench/visitors.py" "$site" $((pages + 1)) \
	    $((pages * 2)) 200 &
	vp=$!
	python3 "$top/bench/purges.py" "$site" "http://127.0.0.1:$2" \
	    "$pages" || fail "$1: the purges"
	kill -0 "$vp" 2> /dev/null || fail "$1: the visitors failed"
	kill "$vp"
	wait "$vp" 2> /dev/null || true
	vp=
	curl -s "$m" | awk -v i="$dir/v" '
		index($0, "stoke_rewarm_latency_seconds{instance=\"" i "\",quantile=\"0.5\"}") == 1 { p50 = $2 }
		index($0, "stoke_rewarm_latency_seconds{instance=\"" i "\",quantile=\"0.99\"}") == 1 { p99 = $2 }
		END { if (p99 == "") exit 1
		      printf "%.1f %.1f\n", p50 * 1e3, p99 * 1e3 }' \
	    > "$dir/$1.lat" || fail "$1: no re-warm latency in its metrics"
}

# The peer first: stoked run, no database.
"$stoked" run --no-database -n "$dir/v" --node "$site" \
    --secret-file "$dir/secret" --doorbell "$dir/doorbell" \
    --listen 127.0.0.1:0 > "$dir/run.out" 2>&1 &
rp=$!
rewarm_run run "$("$top/tests/lib/wait_port.sh" "$dir/run.out")"
read -r run50 run99 < "$dir/run.lat"
kill "$rp"
wait "$rp" 2> /dev/null || true
rp=

# The agent, reporting each re-warm to the control plane, on a cache
# emptied, so that its index learns every object as run's did.
varnishadm -n "$dir/v" "ban req.url ~ ." > /dev/null
agent_token node > "$dir/token"
"$stoked" agent -n "$dir/v" --node "$site" --secret-file "$dir/secret" \
    --doorbell "$dir/doorbell" \
    --control "$api" --token-file "$dir/token" --listen 127.0.0.1:0 \
    --agent-name node > "$dir/agent.out" 2>&1 &
ap=$!
rewarm_run agent "$("$top/tests/lib/wait_port.sh" "$dir/agent.out")"
read -r ag50 ag99 < "$dir/agent.lat"
i=0
until [ "$(q "SELECT count(*) FROM invalidation_events
    WHERE website_id = $website")" -ge "$pages" ]; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "the agent's invalidations did not arrive"
	sleep 0.1
done
kill "$ap"
wait "$ap" 2> /dev/null || true
ap=
echo "rewarm: $pages pages purged one by one, origin 50 ms, visitors' requests running"
echo "  stoked agent, reporting to a control plane: p50 $ag50 ms  p99 $ag99 ms"
echo "  peer, stoked run with no database:         p50 $run50 ms  p99 $run99 ms"
awk -v a="$ag99" -v r="$run99" 'BEGIN {
	printf "  agent/run p99: %.2f   goal: no worse (about 1.0 or less)\n", a / r }'
figure agent_rewarm_p99 "agent re-warm after one purge, p99, reporting" \
    "$ag99" ms "stoked run, no database" "$run99" "<= 1x stoked run" "r <= 1"
figure agent_rewarm_p50 "agent re-warm after one purge, p50, reporting" \
    "$ag50" ms "stoked run, no database" "$run50" "<= 1x stoked run" "r <= 1"

# cpu PID...: the CPU seconds those processes have used so far.
cpu() {
	for p in "$@"; do
		cat "/proc/$p/stat" 2> /dev/null || true
	done | awk -v hz="$(getconf CLK_TCK)" '
		{ sub(/.*\) /, ""); s += $12 + $13 }
		END { printf "%.2f\n", s / hz }'
}
# The cluster's processes: the postmaster and its children (the
# control plane's connections among them).
pg_procs() {
	pm=$(head -1 "$PGDIR/data/postmaster.pid")
	echo "$pm" $(pgrep -P "$pm")
}

# Ingest: 4 agents at once.
: > "$dir/tokens"
for n in 1 2 3 4; do
	agent_token "load-$n" >> "$dir/tokens"
done
s0=$(cpu "$sp") p0=$(cpu $(pg_procs))
set -- $(python3 "$top/bench/agent_load.py" "$api" "$dir/tokens" "$rows" \
    1000 127.0.0.1) || fail "the load"
stored=$1 secs=$2 rate=$3 b50=$4 b99=$5 lcpu=$6
s1=$(cpu "$sp") p1=$(cpu $(pg_procs))
[ "$stored" -ge "$rows" ] || fail "only $stored of $rows results stored"
# The peer: as many rows by COPY, one statement, into the same table.
job=$(q "INSERT INTO cache_jobs (website_id, trigger, source, status)
    VALUES ($website, 'purge', 'bench', 'done') RETURNING id")
python3 -c '
import sys, time, uuid
n, job, site = int(sys.argv[1]), sys.argv[2], sys.argv[3]
now = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime())
run = uuid.uuid4().int >> 64
for i in range(n):
    print("\t".join([str(uuid.UUID(int=(run << 64) | i)), job, site,
                     "http://127.0.0.1/product/%d" % i, "",
                     "http://10.0.0.1:6081", "200", str(20 + i % 200),
                     str(5 + i % 50), "miss", "cached", "\\N", "3600", now]))
' "$rows" "$job" "$website" > "$dir/rows.tsv"
t0=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 "$PGURL" -c "\\copy page_results (row_key,
    job_id, website_id, url, variant, node, status, load_ms, ttfb_ms,
    cache_status, outcome, reason, ttl, recorded_at) FROM '$dir/rows.tsv'"
t1=$(date +%s.%N)
# The machine's own limit: the same COPY into a table of the same
# columns with no index, no key, no trigger.
q "CREATE TABLE bench_bare AS SELECT row_key, job_id, website_id, url,
    variant, node, status, load_ms, ttfb_ms, cache_status, outcome, reason,
    ttl, recorded_at FROM page_results WITH NO DATA"
t2=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 "$PGURL" -c "\\copy bench_bare FROM '$dir/rows.tsv'"
t3=$(date +%s.%N)
bare=$(awk -v n="$rows" -v a="$t2" -v b="$t3" 'BEGIN { printf "%.0f\n", n / (b - a) }')
echo "ingest: $stored results from 4 agents at once, 1000 a batch, gzip'd"
awk -v n="$stored" -v s="$secs" -v r="$rate" -v b50="$b50" -v b99="$b99" \
    -v rows="$rows" -v t0="$t0" -v t1="$t1" 'BEGIN {
	c = rows / (t1 - t0)
	printf "  the control plane: %.0f results/s (%.1f s; a batch p50 %.1f ms, p99 %.1f ms)\n", r, s, b50, b99
	printf "  peer, COPY of as many rows: %.0f rows/s\n", c
	printf "  control plane/COPY: %.2f   goal: 50000 results/s (%s)\n", r / c, (r >= 50000) ? "met" : "NOT met"
}'
echo "  the machine's limit, COPY into a bare table: $bare rows/s"
awk -v s="$s1" -v s0="$s0" -v p="$p1" -v p0="$p0" -v l="$lcpu" -v w="$secs" -v n="$stored" -v c="$(nproc)" 'BEGIN {
	s -= s0; p -= p0
	printf "  CPU while storing them: PostgreSQL %.2f s (%.1f us a result), stoked serve %.2f s (%.1f us), the load generator %.2f s; %.1f s x %d cores\n", p, p / n * 1e6, s, s / n * 1e6, l, w, c
}'
uptime | sed 's/.*load average/  load average/'
figure agent_ingest "control plane ingest from 4 agents" "$rate" results/s \
    "COPY, as many rows" "$(awk -v n="$rows" -v t0="$t0" -v t1="$t1" \
    'BEGIN { printf "%.0f\n", n / (t1 - t0) }')" ">= 50000 results/s" \
    "v >= 50000"
figure agent_ingest_bare "COPY into a table with no index, key or trigger" \
    "$bare" rows/s "limit" - "the machine's limit for agent_ingest" -
