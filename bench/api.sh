#!/bin/sh
# The tenants' API against its own limit: a route's requests a second
# and latency through stoked serve (HTTP, the bearer token checked, the
# store's statement, JSON), beside pgbench running the very statement
# the route ran, on the same database, at the same concurrency, in the
# same run.
#
#  results:   GET /api/jobs/:id/results?limit=100, the first page of a
#             job of 100,000 results.  Goal: the API at 0.5 or more of
#             pgbench's rate.
#  analytics: GET /api/websites/:id/analytics?from=..&to=..&bucket=hour
#             over a website of 1,000,000 results (7 days of them),
#             read from the rollups that the trigger of
#             0009_analytics.sql and 0016_analytics_hists.sql keeps as
#             the results are inserted.  Goal: p99 under 100 ms.
#
# The statement is not copied here: the database logs the one the
# route's request ran (its text and its parameters), found by its
# prepared name, and pgbench runs that (-M prepared, each parameter a
# pgbench variable; pgbench having no NULL variable, a NULL one is
# nullif(:var, '-') of a variable "-", a parameter still, so that
# PostgreSQL plans both alike).  A route runs more than its statement:
# the token's check is a query of its own, which pgbench does not run.
# Latencies: wrk's (--latency) for the API, each transaction's from
# pgbench's log for pgbench.  The machine's cores are shared by all
# three (stoked serve, PostgreSQL, the load): figures of one run only
# compare with each other.
#
# usage: bench/api.sh [BUILDDIR [SECONDS [CONNECTIONS]]]
#        (no BUILDDIR: an optimised build in _build/bench is made)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/figure.sh"
build=${1:-}
secs=${2:-20}
conns=${3:-8}
if [ -z "$build" ]; then
	build=$top/_build/bench
	mkdir -p "$build"
	"$top/scripts/build.sh" "$build" > "$build/build.log" 2>&1 ||
	    { cat "$build/build.log" >&2; exit 1; }
fi
stoked=$build/daemon/stoked
for t in wrk pgbench psql curl python3; do
	command -v "$t" > /dev/null ||
	    { echo "api: no $t: run scripts/install-deps.sh" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/stoke-bench.XXXXXX)
# As root the cluster runs as postgres, who must reach it.
chmod 755 "$dir"
sp=
. "$top/tests/lib/pg.sh"

cleanup() {
	[ -n "$sp" ] && kill "$sp" 2> /dev/null || true
	pg_stop || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "api: $*" >&2
	[ -f "$dir/serve.log" ] && tail -5 "$dir/serve.log" >&2
	exit 1
}

q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$PGURL" -c "$1"
}

# json FIELD: a field of the JSON object on stdin.
json() {
	python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

post() {
	curl -sf -H 'Content-Type: application/json' \
	    -H "Authorization: Bearer ${token:-none}" -d "$2" "$api$1"
}

pg_start "$dir/pg" > /dev/null
"$stoked" migrate --database-url "$PGURL" > /dev/null

# The route's database connections as many as pgbench's; each user's
# rate limit lifted (the load is one user's).
"$stoked" serve --new-jwt-key > "$dir/keys"
chmod 600 "$dir/keys"
"$stoked" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$dir/keys" --allow-private --db-connections "$conns" \
    --rate-user 1000000 --rate-user-burst 1000000 > "$dir/serve.log" 2>&1 &
sp=$!
api=http://127.0.0.1:$("$top/tests/lib/wait_port.sh" "$dir/serve.log")

token=$(post /api/auth/register '{"name": "Bench", "email": "bench@shop.example",
    "password": "a long enough secret"}' | json token) || fail "signing up"
project=$(post /api/projects '{"name": "Bench"}' | json id) ||
    fail "a project"
website=$(post "/api/projects/$project/websites" \
    '{"base_url": "http://127.0.0.1/"}' | json id) || fail "a website"

# seed N SPREAD: a done job of N results over SPREAD seconds to now; its
# id in $job.
seed() {
	job=$(q "INSERT INTO cache_jobs (website_id, trigger, source, status,
	    urls_total, urls_completed, started_at, finished_at)
	    VALUES ($website, 'manual', 'urls', 'done', $1, $1,
	    now() - interval '$2 seconds', now()) RETURNING id")
	q "INSERT INTO page_results (job_id, website_id, url, node, status,
	    load_ms, ttfb_ms, cache_status, outcome, ttl, recorded_at)
	    SELECT $job, $website, 'http://127.0.0.1/product/' || g,
	    'http://127.0.0.1:6081', 200, 20 + g % 200, 5 + g % 50,
	    CASE WHEN g % 10 = 0 THEN 'miss' ELSE 'hit' END,
	    CASE WHEN g % 10 = 0 THEN 'fresh' ELSE 'cached' END::warm_outcome,
	    3600, now() - (g % $2) * interval '1 second'
	    FROM generate_series(1, $1) g" > /dev/null
}
# The job measured is the newest, its rows after the website's others,
# as a job's are in a table that has held results for a while.
echo "seeding: a website of 1,000,000 results, its newest job 100,000" >&2
seed 900000 604800
seed 100000 3600
q "ANALYZE" > /dev/null
# The seed's INSERTs went through the trigger that rolls results up;
# analytics reads nothing else.
rolled=$(q "SELECT coalesce(sum(results), 0) FROM rollup_hours
    WHERE website_id = $website")
[ "$rolled" = 1000000 ] ||
    fail "the rollups hold $rolled results of the website's 1,000,000"

# ms VALUE: wrk's "1.23ms", "456.00us", "1.02s" in milliseconds.
ms() {
	echo "$1" | awk '{
		v = $1 + 0
		if ($1 ~ /us$/) v /= 1000
		else if ($1 ~ /ms$/) v += 0
		else if ($1 ~ /m$/) v *= 60000
		else if ($1 ~ /s$/) v *= 1000
		printf "%.2f\n", v
	}'
}

# logged NAME PATTERN: the last statement logged whose name matches
# PATTERN, written as a pgbench script ($dir/NAME.sql) and its
# variables ($dir/NAME.vars).
logged() {
	python3 - "$PGDIR/server.log" "$2" "$dir/$1" << 'EOF'
import re, sys

log, pattern, out = sys.argv[1:4]
lines = open(log, errors="replace").read().splitlines()
found = None
for i, line in enumerate(lines):
    m = re.search(r"execute (\S+): (.*)$", line)
    if m and re.search(pattern, m.group(1)):
        found = i, m.group(2)
if found is None:
    sys.exit("no statement matching %r in the log" % pattern)
i, sql = found
params = {}
if i + 1 < len(lines) and "DETAIL:  parameters: " in lines[i + 1]:
    text = lines[i + 1].split("DETAIL:  parameters: ", 1)[1]
    for m in re.finditer(r"\$(\d+) = (NULL|'((?:[^']|'')*)')", text):
        params[int(m.group(1))] = (None if m.group(2) == "NULL"
                                   else m.group(3).replace("''", "'"))
with open(out + ".vars", "w") as f:
    for n, v in sorted(params.items()):
        f.write("p%d=%s\n" % (n, v if v is not None else "-"))
# $10 before $1.  A NULL stays a parameter, as the route's is, so that
# a generic plan is as blind to it as the route's.
for n in sorted(params, reverse=True):
    sql = re.sub(r"\$%d(?!\d)" % n, "nullif(:p%d, '-')" % n
                 if params[n] is None else ":p%d" % n, sql)
with open(out + ".sql", "w") as f:
    f.write(sql + ";\n")
EOF
}

# statement NAME PATH PATTERN: the statement of PATH's request whose
# name matches PATTERN, as the database logged it (logged).  Asked
# again until logged: a connection reads the new setting between
# statements.
statement() {
	q "ALTER SYSTEM SET log_min_duration_statement = 0" > /dev/null
	q "SELECT pg_reload_conf()" > /dev/null
	i=0
	until curl -sf -o /dev/null -H "Authorization: Bearer $token" \
	    "$api$2" && logged "$1" "$3" 2> /dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] ||
		    fail "$1: no statement of $2 matching $3 in the log"
		sleep 0.1
	done
	q "ALTER SYSTEM RESET log_min_duration_statement" > /dev/null
	q "SELECT pg_reload_conf()" > /dev/null
}

# pgbench_run NAME: tps p50 p99 of the statement, in $dir/NAME.pg.
pgbench_run() {
	b=$dir/$1
	set --
	while IFS= read -r d; do
		set -- "$@" -D "$d"
	done < "$b.vars"
	pgbench -n -f "$b.sql" -M prepared -c "$conns" -j 2 -T "$secs" \
	    -l --log-prefix="$b.log" "$@" "$PGURL" > "$b.pgbench" 2>&1 ||
	    { cat "$b.pgbench" >&2; fail "pgbench $b.sql"; }
	tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$b.pgbench" | head -1)
	# Each transaction's latency (µs) is the log's third field.
	cat "$b.log".* | awk '{ print $3 }' | sort -n | awk -v tps="$tps" '
	    { v[NR] = $1 }
	    END {
		printf "%s %.2f %.2f\n", tps, v[int(NR * 0.50) + 1] / 1000,
		    v[int(NR * 0.99) + 1] / 1000
	    }' > "$b.pg"
}

# wrk_run NAME PATH: rate p50 p99 of the route, in $dir/NAME.api.
wrk_run() {
	wrk -t 2 -c "$conns" -d "${secs}s" --latency \
	    -H "Authorization: Bearer $token" "$api$2" > "$dir/$1.wrk" 2>&1 ||
	    { cat "$dir/$1.wrk" >&2; fail "wrk $2"; }
	! grep -q 'Non-2xx' "$dir/$1.wrk" ||
	    { cat "$dir/$1.wrk" >&2; fail "$2: answers other than 2xx"; }
	echo "$(sed -n 's/^Requests\/sec: *//p' "$dir/$1.wrk")" \
	    "$(ms "$(awk '$1 == "50%" { print $2 }' "$dir/$1.wrk")")" \
	    "$(ms "$(awk '$1 == "99%" { print $2 }' "$dir/$1.wrk")")" \
	    > "$dir/$1.api"
}

# pair NAME PATH PATTERN: the route under wrk, then its statement under
# pgbench; the figures printed.  Sets api_rate, api_p99, pg_rate.
pair() {
	statement "$1" "$2" "$3"
	wrk_run "$1" "$2"
	pgbench_run "$1"
	read -r api_rate api_p50 api_p99 < "$dir/$1.api"
	read -r pg_rate pg_p50 pg_p99 < "$dir/$1.pg"
	echo "$1: GET $2, $conns connections, $secs s each"
	awk -v a="$api_rate" -v a50="$api_p50" -v a99="$api_p99" \
	    -v p="$pg_rate" -v p50="$pg_p50" -v p99="$pg_p99" 'BEGIN {
		printf "  API (wrk; HTTP, token, JSON): %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms\n", a, a50, a99
		printf "  pgbench, the same statement:  %8.0f tps    p50 %7.2f ms  p99 %7.2f ms\n", p, p50, p99
	}'
}

echo "== the tenants' API against pgbench, on one PostgreSQL (fsync off)"
pair results "/api/jobs/$job/results?limit=100" '^tj_results_id_asc$'
awk -v a="$api_rate" -v p="$pg_rate" 'BEGIN {
	printf "  results: the API at %.2f of the rate of pgbench   goal: >= 0.5 (%s)\n",
	    a / p, (a / p >= 0.5) ? "met" : "NOT met"
}'
figure api_results "API results page (100 of a 100k-result job)" \
    "$api_rate" req/s "pgbench, the same statement" "$pg_rate" \
    ">= 0.5x pgbench" "r >= 0.5"

from=$(date -u -d '7 days ago' +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u +%Y-%m-%dT%H:%M:%SZ)
pair analytics \
    "/api/websites/$website/analytics?from=$from&to=$to&bucket=hour" \
    '^an_website$'
awk -v a="$api_rate" -v p="$pg_rate" -v p99="$api_p99" 'BEGIN {
	printf "  analytics: the API at %.2f of the rate of pgbench\n", a / p
	printf "  analytics: p99 %.2f ms   goal: < 100 ms (%s)\n", p99,
	    (p99 < 100) ? "met" : "NOT met"
}'
figure api_analytics_p99 "API analytics, 7 days by the hour, p99" \
    "$api_p99" ms "pgbench p99, the same statement" "$pg_p99" \
    "p99 < 100 ms" "v < 100"
figure api_analytics "API analytics, 7 days by the hour" \
    "$api_rate" req/s "pgbench, the same statement" "$pg_rate" - -
