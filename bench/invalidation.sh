#!/bin/sh
# Tag invalidations while visitors browse: an origin of fixed latency
# (20 ms) with xkey tags and currency variants behind varnishd with
# vcl/shopware6.vcl, kept warm by stoked run; visitors ask for products
# by a Zipf law all along (bench/invalidation.py); tags of 1, 20 and
# 500 products are purged hard, then soft.  Reported for each: the
# re-warm latency p50/p99 over the physical limit (objects / allowed
# concurrency x origin time), where that time went, the share of
# visitors' requests for those pages that missed, and the origin's
# fetches of them against one per object-variant dropped.
#
# usage: bench/invalidation.sh [BUILDDIR [PRODUCTS]]
#        (no BUILDDIR: an optimised build in _build/bench is made)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-}
products=${2:-1000}
delay=20
concurrency=8
if [ -z "$build" ]; then
	build=$top/_build/bench
	mkdir -p "$build"
	"$top/scripts/build.sh" "$build" > "$build/build.log" 2>&1 ||
	    { cat "$build/build.log" >&2; exit 1; }
fi
for t in varnishd varnishadm curl python3; do
	command -v "$t" > /dev/null ||
	    { echo "invalidation: no $t: run scripts/install-deps.sh" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/stoke-bench.XXXXXX)
chmod 755 "$dir"
sp= op=

cleanup() {
	for p in $sp $op; do
		kill "$p" 2> /dev/null || true
	done
	[ -f "$dir/varnishd.pid" ] &&
	    kill "$(cat "$dir/varnishd.pid")" 2> /dev/null || true
	[ -n "${STOKE_BENCH_KEEP:-}" ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$build/tests/origin/stoke-origin" -p 0 -n "$products" -d "$delay" \
    -g 20,500 -l "$dir/origin.log" > "$dir/origin.out" 2>&1 &
op=$!
"$top/tests/vcl/site.sh" "$top/vcl/shopware6.vcl" "$dir" > /dev/null
varnishd -n "$dir/v" -a 127.0.0.1:0 -f "$dir/site.vcl" -T 127.0.0.1:0 \
    -p vcl_path="$top/vcl" \
    -p vmod_path="$build/vmod/.libs:$(pkg-config --variable=vmoddir varnishapi)" \
    -s malloc,256m -P "$dir/varnishd.pid" > /dev/null
port=$(varnishadm -n "$dir/v" debug.listen_address | awk 'NR == 1 { print $3 }')
site="http://127.0.0.1:$port"
i=0
until curl -sf -o /dev/null "$site/robots.txt"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "invalidation: varnishd did not start" >&2; exit 1; }
	sleep 0.1
done

# Debug level: each refresh's time, phase by phase, is in its log.
# stoked listens on the VCL's doorbell; DOORBELL=no: the log's poll alone.
bell="--doorbell $dir/doorbell"
[ "${DOORBELL:-yes}" = yes ] || bell=
STOKE_LOG_LEVEL=debug "$build/daemon/stoked" run --no-database \
    -n "$dir/v" --node "$site" --secret-file "$dir/secret" \
    $bell \
    --warm-concurrency "$concurrency" --listen 127.0.0.1:0 \
    > "$dir/stoked.out" 2> "$dir/stoked.log" &
sp=$!
sport=$("$top/tests/lib/wait_port.sh" "$dir/stoked.out")
"$top/tests/lib/wait_metric.sh" "$sport" '^stoke_vsl_attached.* 1$'
oport=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$dir/origin.out")

echo "invalidation: tag purges under Zipf visitors, origin at $delay ms"
python3 "$top/bench/invalidation.py" "$site" \
    "http://127.0.0.1:$sport/metrics" "$dir/stoked.log" "$dir/origin.log" \
    "http://127.0.0.1:$oport" "$products" "$concurrency"
