#!/bin/sh
# Render mode: pages rendered a second, and memory per tab, by stoked
# warm --render (headless Chromium over the DevTools pipe, every request
# answered by stoked through the node), beside the same pages loaded by
# a plain playwright-core script driving the same Chromium
# (bench/render_peer.mjs), the same number of tabs at once, each page
# scrolled to its end and left until its network is idle.  The pages
# are the test origin's /render/page (a stylesheet, images, a script,
# API calls, a listing fetched when scrolled into view), PAGES of them
# (?n=1..PAGES), through a varnishd that has them cached already, so
# that both measure the browser and its driver, not the origin.
#
# stoked's run warms too: the pages once more and their ten shared
# assets, through the node; counted in its time.  Memory: the
# proportional set size (PSS) of all the browser's processes together,
# the most seen while it ran, divided by the tabs.  Goal: a ratio of at
# least 1 (stoked as fast as the peer).
#
# usage: bench/render.sh [BUILDDIR [PAGES [TABS]]]
#        (no BUILDDIR: an optimised build in _build/bench is made)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-}
pages=${2:-60}
tabs=${3:-4}
chromium=${CHROMIUM:-/usr/bin/chromium}
modules=${PLAYWRIGHT_MODULES:-$top/dashboard/node_modules}
if [ -z "$build" ]; then
	build=$top/_build/bench
	mkdir -p "$build"
	"$top/scripts/build.sh" "$build" > "$build/build.log" 2>&1 ||
	    { cat "$build/build.log" >&2; exit 1; }
fi
build=$(cd "$build" && pwd)
stoked=$build/daemon/stoked
for t in varnishd varnishadm curl python3 node "$chromium"; do
	command -v "$t" > /dev/null ||
	    { echo "render: no $t: run scripts/install-deps.sh" >&2; exit 1; }
done
[ -d "$modules/playwright-core" ] || {
	echo "render: no playwright-core in $modules: npm ci in dashboard/" >&2
	exit 1
}

dir=$(mktemp -d /tmp/stoke-bench.XXXXXX)
chmod 755 "$dir"
op= sampler=
cleanup() {
	for p in $sampler $op; do
		kill "$p" 2> /dev/null || true
	done
	[ -f "$dir/varnishd.pid" ] &&
	    kill "$(cat "$dir/varnishd.pid")" 2> /dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$build/tests/origin/stoke-origin" -p 0 > "$dir/origin.out" 2>&1 &
op=$!
"$top/tests/vcl/site.sh" "$top/vcl/default.vcl" "$dir" > /dev/null
varnishd -n "$dir/v" -a 127.0.0.1:0 -f "$dir/site.vcl" -T 127.0.0.1:0 \
    -p vcl_path="$top/vcl" \
    -p vmod_path="$build/vmod/.libs:$(pkg-config --variable=vmoddir varnishapi)" \
    -P "$dir/varnishd.pid" > /dev/null
port=$(varnishadm -n "$dir/v" debug.listen_address | awk 'NR == 1 { print $3 }')
base="http://127.0.0.1:$port"
urls=
for n in $(seq 0 $((pages - 1))); do
	urls="$urls $base/render/page?n=$n"
done
# Cached beforehand, pages and assets: both runs find the same cache.
"$stoked" warm --node "$base" --render -q $urls > /dev/null

# The most PSS all Chromium processes had together while it ran, in KiB.
sample() {
	python3 - "$1" <<'EOP' &
import glob, sys, time
peak = 0
def pss():
    total = 0
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/cmdline", "rb") as f:
                if b"chromium" not in f.read().split(b"\0")[0]:
                    continue
            with open(d + "/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total
while True:
    peak = max(peak, pss())
    with open(sys.argv[1], "w") as f:
        f.write("%d\n" % peak)
    time.sleep(0.1)
EOP
	sampler=$!
}
stop_sample() {
	kill "$sampler" 2> /dev/null || true
	wait "$sampler" 2> /dev/null || true
	sampler=
}

sample "$dir/stoked.pss"
t0=$(date +%s.%N)
"$stoked" warm --node "$base" --render --render-tabs "$tabs" -q $urls \
    > "$dir/stoked.out"
t1=$(date +%s.%N)
stop_sample
grep -q "$pages pages rendered, 0 of them not in full" "$dir/stoked.out" || {
	cat "$dir/stoked.out" >&2
	exit 1
}

sample "$dir/peer.pss"
node "$top/bench/render_peer.mjs" "$base" "$pages" "$tabs" "$chromium" \
    "$modules" > "$dir/peer.out"
stop_sample

python3 - "$pages" "$tabs" "$t0" "$t1" "$dir/stoked.pss" "$dir/peer.out" \
    "$dir/peer.pss" <<'EOP'
import json, sys
pages, tabs = int(sys.argv[1]), int(sys.argv[2])
s_secs = float(sys.argv[4]) - float(sys.argv[3])
s_pss = int(open(sys.argv[5]).read())
peer = json.load(open(sys.argv[6]))
p_pss = int(open(sys.argv[7]).read())
s_rate, p_rate = pages / s_secs, pages / peer["seconds"]
print("render: %d pages, %d tabs, one browser" % (pages, tabs))
print("  stoked warm --render: %6.2f pages/s (%.1f s), %5.0f MiB a tab"
      % (s_rate, s_secs, s_pss / 1024 / tabs))
print("  playwright-core:      %6.2f pages/s (%.1f s), %5.0f MiB a tab%s"
      % (p_rate, peer["seconds"], p_pss / 1024 / tabs,
         ", %d failed" % peer["failed"] if peer["failed"] else ""))
print("  ratio (stoked / peer): %.2f pages/s, %.2f memory"
      % (s_rate / p_rate, s_pss / p_pss if p_pss else 0))
# The lines of bench/run.sh's table (bench/figure.sh's format).
fig = "FIGURE\t%s\t%s\t%.2f\t%s\tplaywright-core\t%.2f\t%.2f\t%s\t%s"
print(fig % ("render_rate", "pages rendered, %d tabs" % tabs, s_rate,
             "pages/s", p_rate, s_rate / p_rate, ">= 1x playwright-core",
             "yes" if s_rate >= p_rate else "no"))
s_tab, p_tab = s_pss / 1024 / tabs, p_pss / 1024 / tabs
print(fig % ("render_mem", "browser memory a tab (PSS)", s_tab, "MiB", p_tab,
             s_tab / p_tab if p_tab else 0, "-", "-"))
EOP
