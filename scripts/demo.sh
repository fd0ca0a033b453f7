#!/bin/sh
# Stoke's demo: a small shop (the demo origin) behind a local varnishd
# running vcl/shopware6.vcl with vmod_stoke and xkey, set up from
# scratch; stoked warms it from its sitemap, then puts back at once what
# a purge, a ban and a tag invalidation take out of the cache.  Last, a
# tenant of the hosted API warms the shop with a sitemap job, which a
# stoked worker carries out, and purges a page of it; the dashboard (the
# tenants' web UI, built when Node.js is there) shows it all on stoked's
# port, signed in as the demo tenant.
#
#   scripts/demo.sh          install what is missing, build, start, show
#   scripts/demo.sh stop     stop what the demo started
#   scripts/demo.sh status   say what is running
#
# Everything lives in $STOKE_DEMO_DIR (default /tmp/stoke-demo), stoked's
# embedded PostgreSQL too (in state/); the ports are $STOKE_DEMO_PORT (Varnish, 8090) and $STOKE_ORIGIN_PORT
# (the origin, 8080); stoked's API listens on $STOKE_API_PORT (6086).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${STOKE_DEMO_DIR:-/tmp/stoke-demo}
port=${STOKE_DEMO_PORT:-8090}
oport=${STOKE_ORIGIN_PORT:-8080}
aport=${STOKE_API_PORT:-6086}
build="$top/_build/demo"
site="http://127.0.0.1:$port"

say() {
	printf '\n\033[1m%s\033[0m\n' "$*"
}

running() {
	[ -f "$1" ] && kill -0 "$(cat "$1")" 2> /dev/null
}

stop() {
	for p in "$dir/worker.pid" "$dir/stoked.pid" "$dir/varnishd.pid" \
	    "$dir/origin.pid"; do
		if running "$p"; then
			pid=$(cat "$p")
			kill "$pid"
			# Gone before anything new starts: an exiting origin
			# removes its pidfile, which may be the next one's.
			i=0
			while kill -0 "$pid" 2> /dev/null && [ $i -lt 200 ]; do
				sleep 0.1
				i=$((i + 1))
			done
		fi
		rm -f "$p"
	done
	# stoked stops the PostgreSQL it started; not if it was killed.
	if [ -x "$build/daemon/stoked" ] && [ -d "$dir/state" ]; then
		"$build/daemon/stoked" db stop --state-dir "$dir/state" > /dev/null
	fi
}

# Poll until the command succeeds or the deadline (seconds) passes.
wait_for() {
	deadline=$1
	shift
	i=0
	while ! "$@" > /dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt $((deadline * 10)) ]; then
			return 1
		fi
		sleep 0.1
	done
}

case "${1:-start}" in
stop)
	stop
	echo "demo stopped"
	exit 0
	;;
status)
	running "$dir/origin.pid" && echo "origin running on :$oport" ||
	    echo "origin stopped"
	running "$dir/varnishd.pid" && echo "varnishd running on :$port" ||
	    echo "varnishd stopped"
	running "$dir/stoked.pid" && echo "stoked running, API on :$aport" ||
	    echo "stoked stopped"
	running "$dir/worker.pid" && echo "stoked worker running" ||
	    echo "stoked worker stopped"
	exit 0
	;;
start) ;;
*)
	echo "usage: scripts/demo.sh [start|stop|status]" >&2
	exit 2
	;;
esac

say "Installing what is missing and building"
"$top/scripts/install-deps.sh"
mkdir -p "$build"
if ! "$top/scripts/build.sh" "$build" > "$build/build.log" 2>&1; then
	cat "$build/build.log" >&2
	exit 1
fi

# The dashboard: built when Node.js is there (scripts/install-deps.sh
# installs it); without, stoked's / says how to build it.
dashboard="$top/dashboard/dist"
if command -v npm > /dev/null; then
	say "Building the dashboard (npm ci, vite build)"
	if ! (cd "$top/dashboard" && npm ci --no-audit --no-fund &&
	    npm run build) > "$build/dashboard.log" 2>&1; then
		cat "$build/dashboard.log" >&2
		exit 1
	fi
	sed -n 's/^first load/    first load/p' "$build/dashboard.log"
else
	echo "    no Node.js: the dashboard is not built (cd dashboard && npm ci && npm run build)"
fi

stop
rm -rf "$dir"
mkdir -p "$dir/vcl" "$dir/vmods"
chmod 755 "$dir"

# varnishd drops privileges: give it copies it can read wherever the
# project lives.
cp "$build/vmod/.libs/libvmod_stoke.so" "$dir/vmods/"
cp "$top"/vcl/*.vcl "$dir/vcl/"
head -c 32 /dev/urandom | base64 > "$dir/secret"
chmod 644 "$dir/secret" "$dir"/vcl/*.vcl
sed -i -e "s|/etc/varnish/stoke.secret|$dir/secret|" \
    -e "s|/run/stoked/doorbell|$dir/doorbell|" \
    -e "s|\.port = \"8080\"|.port = \"$oport\"|" "$dir/vcl/shopware6.vcl"

say "Starting the demo origin on 127.0.0.1:$oport"
"$build/tests/origin/stoke-origin" -a 127.0.0.1 -p "$oport" \
    -P "$dir/origin.pid" > "$dir/origin.log" 2>&1 &
if ! wait_for 10 grep -q listening "$dir/origin.log"; then
	cat "$dir/origin.log" >&2
	exit 1
fi
cat "$dir/origin.log"

say "Starting varnishd with vcl/shopware6.vcl (vmod_stoke, xkey) on 127.0.0.1:$port"
vmoddir=$(pkg-config --variable=vmoddir varnishapi)
varnishd -n "$dir/varnish" -a "127.0.0.1:$port" -T 127.0.0.1:0 \
    -f "$dir/vcl/shopware6.vcl" -p vcl_path="$dir/vcl" \
    -p vmod_path="$dir/vmods:$vmoddir" -s malloc,64m \
    -P "$dir/varnishd.pid"
wait_for 15 curl -sf -o /dev/null "$site/"

say "Starting stoked: watching that varnishd, re-warming through it, API on 127.0.0.1:$aport"
# No database given: stoked makes and runs its own PostgreSQL in
# $dir/state (as the postgres user, since this runs as root).  The
# demo's tenant names a shop on 127.0.0.1: --allow-private.
"$build/daemon/stoked" run -n "$dir/varnish" --node "$site" \
    --secret-file "$dir/secret" --listen "127.0.0.1:$aport" \
    --doorbell "$dir/doorbell" --state-dir "$dir/state" --allow-private --dashboard "$dashboard" \
    > "$dir/stoked.log" 2>&1 &
echo $! > "$dir/stoked.pid"
wait_for 60 grep -q listening "$dir/stoked.log"
cat "$dir/stoked.log"
stoked_cli() {
	"$build/daemon/stoked" index "$@" --api "http://127.0.0.1:$aport" |
	    sed 's/^/    /'
}
metric() {
	curl -s "http://127.0.0.1:$aport/metrics" |
	    sed -n "s/^$1{[^}]*} //p" | head -n 1
}
# Wait until a counter reaches a value (10 s at most).
metric_at_least() {
	wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$aport/metrics | sed -n 's/^$1{[^}]*} //p' | head -n 1)\" -ge $2 ]"
}
# A hit names two transactions in X-Varnish: the request and the
# object's fetch.
hitmiss() {
	for u in "$@"; do
		x=$(curl -s -o /dev/null -D - "$site$u" | tr -d '\r' |
		    sed -n 's/^[Xx]-[Vv]arnish: //p')
		case "$x" in
		*" "*) echo "    hit   $u" ;;
		*) echo "    MISS  $u" ;;
		esac
	done
}
rewarmed() {
	echo "    stoked has re-warmed $(metric stoke_rewarm_refreshed_total)" \
	    "objects ($(metric stoke_rewarm_failed_total) failed), each" \
	    "$(curl -s "http://127.0.0.1:$aport/metrics" |
	        sed -n 's/^stoke_rewarm_latency_seconds{.*quantile="0.5"} //p') s" \
	    "after its loss (median)"
}

say "Warming the shop from its sitemap: robots.txt, a sitemap index, a sitemap and a gzip'd one"
"$build/daemon/stoked" warm --node "$site" --sitemap "$site/" 2>&1 |
    sed 's/^/    /'

say "Visitors now hit the cache everywhere"
hitmiss / /category/1 /product/1 /product/2 /product/3
wait_for 10 sh -c "'$build/daemon/stoked' index show --api http://127.0.0.1:$aport --tag product-3 | grep -q category"

say "What stoked knows is cached with the tag product-3"
stoked_cli show --tag product-3

r=$(metric stoke_rewarm_refreshed_total)
say "PURGE /product/1: Varnish drops it, stoked fetches it again at once"
curl -s -X PURGE -o /dev/null "$site/product/1"
metric_at_least stoke_rewarm_refreshed_total $((r + 1))
rewarmed
hitmiss /product/1

r=$(metric stoke_rewarm_refreshed_total)
say "BAN the category pages: stoked works out which objects the ban selects and re-warms exactly those"
curl -s -X BAN -o /dev/null "$site/category/"
metric_at_least stoke_rewarm_refreshed_total $((r + 5))
rewarmed
hitmiss /category/1 /category/2 /category/3 /category/4 /category/5

r=$(metric stoke_rewarm_refreshed_total)
say "Product 3 changes: the shop soft-purges its xkey tag (the product and every page listing it)"
curl -s -X PURGE -H 'xkey: product-3' "$site/" | sed -n 's/.*<title>\(.*\)<\/title>.*/    \1/p'
hitmiss /product/3
echo "    (a stale copy served while stoked refreshes it: no visitor waits)"
metric_at_least stoke_rewarm_refreshed_total $((r + 2))
rewarmed
hitmiss /product/3

say "What the purge, the ban and the tag invalidation took out, as stoked saw it"
wait_for 5 sh -c "'$build/daemon/stoked' index invalidations --api http://127.0.0.1:$aport | grep -q tags"
stoked_cli invalidations

say "How hard stoked pushed the shop: the origin guard's view"
curl -s "http://127.0.0.1:$aport/api/v1/origins" | sed 's/^/    /'

say "The shop warmed once more, as a job of stoked's (POST /api/v1/jobs): everything is fresh"
curl -s -X POST -H 'Content-Type: application/json' \
    -d "{\"sitemap\": \"$site/\"}" "http://127.0.0.1:$aport/api/v1/jobs" |
    sed 's/^/    /'
wait_for 30 sh -c "curl -s http://127.0.0.1:$aport/api/v1/jobs?id=1 | grep -q '\"state\":\"done\"'"

say "What stoked stored in its PostgreSQL: each job, each invalidation, each result"
dburl=$("$build/daemon/stoked" db url --state-dir "$dir/state")
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$aport/metrics | sed -n 's/^stoke_db_rows_buffered //p')\" = 0 ]"
psql -X "$dburl" -c "select j.trigger, r.outcome, count(*) as results
    from page_results r join cache_jobs j on j.id = r.job_id
    group by 1, 2 order by 1, 2" | sed 's/^/    /'
psql -X "$dburl" -c "select kind, subject, objects_dropped as dropped,
    objects_queued as queued from invalidation_events order by id" |
    sed 's/^/    /'

say "A tenant of the hosted API signs up, makes a project and asks who it is"
api=http://127.0.0.1:$aport/api
json() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
token=$(curl -sf -H 'Content-Type: application/json' -d \
    '{"name": "Demo", "email": "demo@shop.example", "password": "warm caches, happy shops"}' \
    "$api/auth/register" | json '["token"]' 2> /dev/null ||
    curl -sf -H 'Content-Type: application/json' -d \
    '{"email": "demo@shop.example", "password": "warm caches, happy shops"}' \
    "$api/auth/login" | json '["token"]')
echo "    token: $token"
project=$(curl -sf -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"name": "Demo shop"}' \
    "$api/projects")
echo "$project" | sed 's/^/    /'
curl -sf -H "Authorization: Bearer $token" "$api/auth/me" | sed 's/^/    /'

say "The tenant adds the shop as a website (the origin, warmed through the demo's varnishd)"
website=$(curl -sf -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d "{\"name\": \"Demo shop\", \"base_url\": \"http://127.0.0.1:$oport/\", \"varnish_nodes\": [\"$site\"]}" \
    "$api/projects/$(echo "$project" | json '["id"]')/websites")
echo "$website" | sed 's/^/    /'

say "A stoked worker takes the hosted API's jobs from the queue in PostgreSQL"
"$build/daemon/stoked" worker --database-url "$dburl" \
    --secret-file "$dir/secret" --allow-private > "$dir/worker.log" 2>&1 &
echo $! > "$dir/worker.pid"
wait_for 30 grep -q started "$dir/worker.log"
sed 's/^/    /' "$dir/worker.log"

say "The tenant warms the shop from its sitemap (POST /api/websites/:id/jobs), and follows it live (GET /api/jobs/:id/events)"
job=$(curl -sf -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{}' \
    "$api/websites/$(echo "$website" | json '["id"]')/jobs")
echo "$job" | sed 's/^/    /'
jid=$(echo "$job" | json '["id"]')
# Followed live over Server-Sent Events until its end (a minute at most):
# progress as it changes, each result counted, the job as it ended.
curl -sN --max-time 60 "$api/jobs/$jid/events?access_token=$token" |
    python3 -c '
import json, sys
event, results, said = None, 0, None
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("event: "):
        event = line[7:]
    elif line.startswith("data: "):
        d = json.loads(line[6:])
        if event == "result":
            results += 1
        elif event in ("progress", "end"):
            now = "%s %d/%d URLs" % (d["status"], d["urls_completed"] +
                                     d["urls_failed"], d["urls_total"])
            if now != said:
                print("    %-28s (%d results streamed)" % (now, results))
                said = now
            if event == "end":
                sys.exit(0)
sys.exit("the job did not end within a minute")'
job=$(curl -sf -H "Authorization: Bearer $token" "$api/jobs/$jid")
echo "$job" | sed 's/^/    /'
say "What the job's first warm requests found (GET /api/jobs/$jid/results?limit=5)"
curl -sf -H "Authorization: Bearer $token" \
    "$api/jobs/$jid/results?limit=5" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["results"]:
    print("    %-9s %-5s %4s %7.1f ms  %s" % (r["outcome"], r["cache_status"],
          r["status"], r["load_ms"] or 0, r["url"]))'

say "What the website's analytics say of the last day (GET /api/websites/:id/analytics)"
curl -sf -H "Authorization: Bearer $token" \
    "$api/websites/$(echo "$website" | json '["id"]')/analytics" | python3 -c '
import json, sys
a = json.load(sys.stdin)["totals"]
print("    %d warm requests: %s" % (a["results"], ", ".join(
    "%d %s" % (n, o) for o, n in sorted(a["outcomes"].items()) if n)))
t = a["ttfb_ms"]
print("    TTFB p50 %s ms, p95 %s ms, p99 %s ms" % (t["p50"], t["p95"], t["p99"]))'

wid=$(echo "$website" | json '["id"]')
say "The tenant purges a product page through the hosted API (POST /api/websites/$wid/purge): each node says what it did, and the page is warmed again"
curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"urls": ["/product/2"]}' "$api/websites/$wid/purge" | python3 -c '
import json, sys
p = json.load(sys.stdin)
for r in p["results"]:
    print("    %-40s %s %s" % (r["url"], r["node"], "ok" if r["ok"] else r["error"]))
if p["job"]:
    print("    re-warmed by job %d" % p["job"]["id"])'

say "Stoke's demo is running"
cat << EOF
    the dashboard:              http://127.0.0.1:$aport/
    ... its demo tenant:        demo@shop.example, password: warm caches, happy shops
    ... its job:                http://127.0.0.1:$aport/jobs/$jid
    the shop, through Varnish:  $site/
    its sitemaps:               $site/sitemap_index.xml
    the origin itself:          http://127.0.0.1:$oport/
    warm it again:              $build/daemon/stoked warm --node $site --sitemap $site/
    ... as a job of stoked's:   curl -X POST -H 'Content-Type: application/json' -d '{"sitemap": "$site/"}' http://127.0.0.1:$aport/api/v1/jobs
    jobs and what came of them: curl http://127.0.0.1:$aport/api/v1/jobs
    what Stoke records, live:   varnishlog -n $dir/varnish -g raw -i VCL_Log
    what stoked sees, live:     $build/daemon/stoked events -n $dir/varnish
    what is cached:             $build/daemon/stoked index show --api http://127.0.0.1:$aport
    what invalidations dropped: $build/daemon/stoked index invalidations --api http://127.0.0.1:$aport
    stoked's metrics:           http://127.0.0.1:$aport/metrics
    what stoked stored:         psql "$dburl" -c "select outcome, count(*) from page_results group by 1"
    ... over its API:           curl http://127.0.0.1:$aport/api/v1/results?limit=10
    the tenants' API, signed in: curl -H "Authorization: Bearer $token" http://127.0.0.1:$aport/api/projects
    the tenant's job:           curl -H "Authorization: Bearer $token" http://127.0.0.1:$aport/api/jobs/$jid
    ... live, as it happens:    curl -N "http://127.0.0.1:$aport/api/websites/$(echo "$website" | json '["id"]')/events?access_token=$token"
    the worker's log:           $dir/worker.log
    purge, watch it come back:  curl -X PURGE $site/product/3; curl -sI $site/product/3 | grep X-Varnish
    Stoke's counters:           varnishstat -n $dir/varnish -1 -f 'STOKE.*'
    stop it all:                scripts/demo.sh stop
EOF
