#!/bin/sh
# Stoke's demo: a small shop (the demo origin) behind a local varnishd
# running vcl/default.vcl with vmod_stoke, set up from scratch.
#
#   scripts/demo.sh          install what is missing, build, start, show
#   scripts/demo.sh stop     stop what the demo started
#   scripts/demo.sh status   say what is running
#
# Everything lives in $STOKE_DEMO_DIR (default /tmp/stoke-demo); the
# ports are $STOKE_DEMO_PORT (Varnish, 8090) and $STOKE_ORIGIN_PORT
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
	for p in "$dir/stoked.pid" "$dir/varnishd.pid" "$dir/origin.pid"; do
		if running "$p"; then
			pid=$(cat "$p")
			kill "$pid"
			# Gone before anything new starts: an exiting origin
			# removes its pidfile, which may be the next one's.
			i=0
			while kill -0 "$pid" 2> /dev/null && [ $i -lt 100 ]; do
				sleep 0.1
				i=$((i + 1))
			done
		fi
		rm -f "$p"
	done
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
    -e "s|\.port = \"8080\"|.port = \"$oport\"|" "$dir/vcl/default.vcl"

say "Starting the demo origin on 127.0.0.1:$oport"
"$build/tests/origin/stoke-origin" -a 127.0.0.1 -p "$oport" \
    -P "$dir/origin.pid" > "$dir/origin.log" 2>&1 &
if ! wait_for 10 grep -q listening "$dir/origin.log"; then
	cat "$dir/origin.log" >&2
	exit 1
fi
cat "$dir/origin.log"

say "Starting varnishd with vmod_stoke on 127.0.0.1:$port"
vmoddir=$(pkg-config --variable=vmoddir varnishapi)
varnishd -n "$dir/varnish" -a "127.0.0.1:$port" -T 127.0.0.1:0 \
    -f "$dir/vcl/default.vcl" -p vcl_path="$dir/vcl" \
    -p vmod_path="$dir/vmods:$vmoddir" -s malloc,64m \
    -P "$dir/varnishd.pid"
wait_for 15 curl -sf -o /dev/null "$site/"

say "Starting stoked: watching that varnishd, re-warming through it, API on 127.0.0.1:$aport"
"$build/daemon/stoked" run -n "$dir/varnish" --node "$site" \
    --secret-file "$dir/secret" --listen "127.0.0.1:$aport" \
    > "$dir/stoked.log" 2>&1 &
echo $! > "$dir/stoked.pid"
wait_for 10 grep -q listening "$dir/stoked.log"
cat "$dir/stoked.log"
stoked_cli() {
	"$build/daemon/stoked" index "$@" --api "http://127.0.0.1:$aport" |
	    sed 's/^/    /'
}

log() {
	varnishlog -n "$dir/varnish" -d -g raw -i VCL_Log |
	    sed -n "s/.*VCL_Log *c \(stoke\/1 $1.*\)/    \1/p" | tail -n 1
}
fetch() {
	curl -s -o /dev/null -w "    %{http_code}  X-Varnish: %header{x-varnish}  $1\n" \
	    "$@"
}

say "A page, twice: a miss, then a hit (X-Varnish names two requests)"
fetch "$site/product/1"
fetch "$site/product/1"
for u in / /category/1 /category/2 /product/6; do
	curl -s -o /dev/null "$site$u"
done

say "What stoked knows is cached with the tag product-1"
wait_for 5 sh -c "'$build/daemon/stoked' index show --api http://127.0.0.1:$aport --tag product-1 | grep -q category-2"
stoked_cli show --tag product-1

say "PURGE /product/1: Varnish drops it, vmod_stoke records what went"
curl -s -X PURGE -o /dev/null "$site/product/1"
log purge

say "BAN every category page: vmod_stoke performs it and records the expression"
curl -s -X BAN -H 'Ban-Url: ^/category/' -o /dev/null "$site/"
log ban

metric() {
	curl -s "http://127.0.0.1:$aport/metrics" | sed -n "s/^$1{[^}]*} //p"
}
say "stoked fetched what they dropped again at once: the next visitors hit"
wait_for 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$aport/metrics | sed -n 's/^stoke_rewarm_refreshed_total{[^}]*} //p')\" -ge 3 ]"
echo "    re-warmed: $(metric stoke_rewarm_refreshed_total), failed: $(metric stoke_rewarm_failed_total)"
fetch "$site/product/1"
fetch "$site/category/1"
fetch "$site/category/2"

say "What the purge and the ban took out of the cache, as stoked saw it"
wait_for 5 sh -c "'$build/daemon/stoked' index invalidations --api http://127.0.0.1:$aport | grep -q ban"
stoked_cli invalidations

say "A signed warm request refreshes a cached page; a forged one is refused"
h=$("$build/daemon/stoked" sign --secret-file "$dir/secret" \
    --host "127.0.0.1:$port" --url /product/2 --id demo-1)
fetch "$site/product/2"
fetch "$site/product/2" -H "Stoke-Warm: $h"
log warm
fetch "$site/product/2" -H "Stoke-Warm: 1;t=$(date +%s);id=forged;sig=$(printf '%064d' 0)"
log warm

say "Stoke's demo is running"
cat << EOF
    the shop, through Varnish:  $site/
    its sitemap:                $site/sitemap.xml
    the origin itself:          http://127.0.0.1:$oport/
    what Stoke records, live:   varnishlog -n $dir/varnish -g raw -i VCL_Log
    what stoked sees, live:     $build/daemon/stoked events -n $dir/varnish
    what is cached:             $build/daemon/stoked index show --api http://127.0.0.1:$aport
    what invalidations dropped: $build/daemon/stoked index invalidations --api http://127.0.0.1:$aport
    stoked's metrics:           http://127.0.0.1:$aport/metrics
    purge, watch it come back:  curl -X PURGE $site/product/3; curl -sI $site/product/3 | grep X-Varnish
    Stoke's counters:           varnishstat -n $dir/varnish -1 -f 'STOKE.*'
    stop it all:                scripts/demo.sh stop
EOF
