#!/bin/sh
# Re-warm latency: from Varnish's answer to a PURGE to the object cached
# again by stoked, with an origin of fixed latency, reported re-warm by
# re-warm as latency minus the origin's own time for that fetch in
# Varnish's log (and, beside it, as quantiles against the origin asked
# directly in the same run), while visitors browse other pages of the
# site (bench/visitors.py).
# Goal (issue 14): p99 at most 3 ms over the origin's latency.
#
# stoked listens on the doorbell the VCL rings (--doorbell), as the
# systemd units and the Helm chart set it up; DOORBELL=no leaves it out,
# to measure the log's poll alone.
#
# usage: bench/rewarm_latency.sh BUILDDIR [PAGES]
set -eu

build=$1
pages=${2:-100}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/figure.sh"
dir=$(mktemp -d /tmp/stoke-bench.XXXXXX)
chmod 755 "$dir"
delay=50
# Visitors' requests a second, on pages other than those purged.
visitors=200

cleanup() {
	for p in "${vp:-}" "${sp:-}" "${op:-}"; do
		[ -n "$p" ] && kill "$p" 2> /dev/null || true
	done
	[ -f "$dir/varnishd.pid" ] && kill "$(cat "$dir/varnishd.pid")" 2> /dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"$build/tests/origin/stoke-origin" -p 0 -n $((pages * 2)) -d "$delay" > "$dir/origin.out" 2>&1 &
op=$!
"$top/tests/vcl/site.sh" "$top/vcl/default.vcl" "$dir" > /dev/null
varnishd -n "$dir/v" -a 127.0.0.1:0 -f "$dir/site.vcl" -T 127.0.0.1:0 \
    -p vcl_path="$top/vcl" -p vmod_path="$build/vmod/.libs:$(pkg-config --variable=vmoddir varnishapi)" \
    -P "$dir/varnishd.pid" > /dev/null
# varnishd picked a free port; ask it which.
port=$(varnishadm -n "$dir/v" debug.listen_address | awk 'NR == 1 { print $3 }')
site="http://127.0.0.1:$port"
i=0
until curl -sf -o /dev/null "$site/robots.txt"; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "varnishd did not start" >&2; exit 1; }
	sleep 0.1
done

# At debug level stoked says each re-warm's phases, the origin's own
# time among them.
bell="--doorbell $dir/doorbell"
[ "${DOORBELL:-yes}" = yes ] || bell=
STOKE_LOG_LEVEL=debug "$build/daemon/stoked" run --no-database -n "$dir/v" \
    --node "$site" --secret-file "$dir/secret" $bell \
    --listen 127.0.0.1:0 > "$dir/stoked.out" 2>&1 &
sp=$!
sport=$("$top/tests/lib/wait_port.sh" "$dir/stoked.out")
"$top/tests/lib/wait_metric.sh" "$sport" '^stoke_vsl_attached.* 1$'
metric() {
	curl -s "http://127.0.0.1:$sport/metrics" | grep -F "$1 " |
	    awk '{ print $2 }'
}

# The pages measured and the visitors' pages, cached; then visitors
# browsing theirs all along, hits as the pages purged are before.
for n in $(seq 1 $((pages * 2))); do
	curl -s -o /dev/null "$site/product/$n"
done
"$top/tests/lib/wait_metric.sh" "$sport" "^stoke_index_objects.* $((pages * 2 + 1))\$"
python3 "$top/bench/visitors.py" "$site" $((pages + 1)) $((pages * 2)) \
    "$visitors" &
vp=$!

# The peer, the origin's latency asked directly, then one purge at a
# time: latency, not throughput.
oport=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$dir/origin.out")
python3 "$top/bench/purges.py" "$site" "http://127.0.0.1:$sport" "$pages" \
    "http://127.0.0.1:$oport" "$dir/origin.raw"
sort -n "$dir/origin.raw" > "$dir/origin.times"
kill -0 "$vp" 2> /dev/null || { echo "rewarm_latency: the visitors failed" >&2; exit 1; }

q() {
	metric "stoke_rewarm_latency_seconds{instance=\"$dir/v\",quantile=\"$1\"}"
}
p50=$(q 0.5) p99=$(q 0.99)
o50=$(sed -n "$(( (pages + 1) / 2 ))p" "$dir/origin.times")
o99=$(sed -n "$(( (pages * 99 + 99) / 100 ))p" "$dir/origin.times")
awk -v p50="$p50" -v p99="$p99" -v max="$(q 1)" -v n="$pages" \
    -v o50="$o50" -v o99="$o99" -v v="$visitors" 'BEGIN {
	printf "rewarm_latency: %d pages purged one by one, origin latency set to 50 ms, %d visitors a second browsing other pages\n", n, v
	printf "  purge answered -> cached again: p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", p50 * 1e3, p99 * 1e3, max * 1e3
	printf "  peer, the origin asked directly: p50 %.1f ms  p99 %.1f ms\n", o50 * 1e3, o99 * 1e3
	printf "  the difference: p50 %.1f ms  p99 %.1f ms\n", (p50 - o50) * 1e3, (p99 - o99) * 1e3
}'

# Re-warm by re-warm: its latency less that fetch's time at the origin
# as Varnish logged it (the peer above is timed apart, by another
# client); the figures' own.
set -- $(python3 - "$top/bench" "$dir/stoked.out" "$pages" << 'EOF'
import sys
sys.path.insert(0, sys.argv[1])
from invalidation import quantile, refreshes
n = int(sys.argv[3])
lat = refreshes(sys.argv[2], 0, set(range(1, n + 1)))
if len(lat) < n:
    sys.exit("rewarm_latency: %d re-warms traced of %d" % (len(lat), n))
added = [x[0] - x[6] for x in lat]
own = [x[6] for x in lat]
print("%.1f %.1f %.1f %.1f" % (quantile(added, .5), quantile(added, .99),
                               quantile(own, .5), quantile(own, .99)))
EOF
)
[ $# -eq 4 ] || exit 1
echo "  re-warm by re-warm, less the origin's time in Varnish's log (p50 $3 ms, p99 $4 ms):"
echo "    stoked adds p50 $1 ms  p99 $2 ms   goal: p99 <= 3 ms"
figure rewarm_p99 "re-warm after one purge, p99 added to the origin's" \
    "$2" ms "the origin's time in Varnish's log, p99" "$4" \
    "p99 <= 3 ms added" "v <= 3" -
figure rewarm_p50 "re-warm after one purge, p50 added to the origin's" \
    "$1" ms "the origin's time in Varnish's log, p50" "$3" - - -
