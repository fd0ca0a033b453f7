#!/bin/sh
# How many log transactions stoked reads per CPU-second while building its
# index, beside "varnishlog -g request > /dev/null" reading the same
# traffic in the same run, and whether stoked lost any (its request
# groups against varnishd's MAIN.client_req).
#
# Traffic: wrk over 50,000 URLs of a local varnishd in front of the test
# origin (tagged, cacheable objects), so that misses, fetches and index
# inserts mix with hits as on a real site.
#
# usage: bench/vsl_reader.sh BUILDDIR [SECONDS]
set -eu

. "$(dirname "$0")/figure.sh"
build=$1
secs=${2:-10}
dir=$(mktemp -d /tmp/stoke-bench.XXXXXX)
chmod 755 "$dir"
vn="$dir/v"

cleanup() {
	[ -n "${sp:-}" ] && kill "$sp" 2> /dev/null || true
	[ -n "${lp:-}" ] && kill "$lp" 2> /dev/null || true
	[ -n "${op:-}" ] && kill "$op" 2> /dev/null || true
	[ -f "$dir/varnishd.pid" ] && kill "$(cat "$dir/varnishd.pid")" 2> /dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"$build/tests/origin/stoke-origin" -p 0 -n 1000 > "$dir/origin.out" 2>&1 &
op=$!
i=0
until oport=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$dir/origin.out") &&
    [ -n "$oport" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "the origin did not start" >&2; exit 1; }
	sleep 0.1
done
# 50,000 objects in cache, fetched from 1,000 pages of the origin.
cat > "$dir/bench.vcl" << VCL
vcl 4.1;
backend origin { .host = "127.0.0.1"; .port = "$oport"; }
sub vcl_backend_fetch {
	set bereq.http.x-url = bereq.url;
	set bereq.url = "/product/" +
	    regsub(bereq.url, "^/p/[0-9]*?([0-9]{1,3})\$", "\\1");
}
sub vcl_backend_response {
	unset beresp.http.set-cookie;
	set beresp.ttl = 1h;
	set beresp.http.xkey = "page " +
	    regsub(bereq.http.x-url, "^/p/([0-9]+).*", "p\\1");
	set beresp.http.x-url = bereq.http.x-url;
	return (deliver);
}
VCL
cat > "$dir/urls.lua" << 'LUA'
math.randomseed(42)
request = function()
	return wrk.format("GET", "/p/" .. math.random(1, 50000))
end
LUA
varnishd -n "$vn" -a 127.0.0.1:0 -f "$dir/bench.vcl" -T 127.0.0.1:0 \
    -s malloc,32m -P "$dir/varnishd.pid" > /dev/null
# varnishd picked a free port; ask it which.
port=$(varnishadm -n "$vn" debug.listen_address | awk 'NR == 1 { print $3 }')
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$port/p/1"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "varnishd did not start" >&2; exit 1; }
	sleep 0.1
done

cpu() {	# user+system seconds of a process
	awk '{ printf "%.2f\n", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat"
}
metric() {
	curl -s "http://127.0.0.1:$sport/metrics" |
	    sed -n "s/^$1{instance=\"[^\"]*\"} //p"
}

"$build/daemon/stoked" run --no-database -n "$vn" --listen 127.0.0.1:0 > "$dir/stoked.out" 2>&1 &
sp=$!
varnishlog -n "$vn" -g request > /dev/null &
lp=$!
sport=$("$(dirname "$0")/../tests/lib/wait_port.sh" "$dir/stoked.out")
"$(dirname "$0")/../tests/lib/wait_metric.sh" "$sport" '^stoke_vsl_attached.* 1$'

stat() {
	varnishstat -n "$vn" -1 -f "$1" | awk '{print $2}'
}
req0=$(stat MAIN.client_req)
busy0=$(stat MAIN.busy_wakeup)
g0=$(metric stoke_vsl_groups_total)
wrk -t2 -c64 -d"${secs}s" -s "$dir/urls.lua" "http://127.0.0.1:$port/" \
    > "$dir/wrk.out"
# Workers add their counts to MAIN.client_req in batches: wait until it
# stops moving before taking it as the truth.
client_req() {
	stat MAIN.client_req
}
req1=$(client_req)
i=0
while [ $i -lt 30 ]; do
	sleep 0.3
	r=$(client_req)
	[ "$r" = "$req1" ] && break
	req1=$r
	i=$((i + 1))
done

# Let both readers drain what is left, then measure.
i=0
while [ "$(($(metric stoke_vsl_groups_total) - g0))" -lt \
    "$((req1 - req0 - $(stat MAIN.busy_wakeup) + busy0))" ] &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 1
groups=$(($(metric stoke_vsl_groups_total) - g0))
txns=$(metric stoke_vsl_transactions_total)
objects=$(metric stoke_index_objects)
fetches=$(curl -s "http://127.0.0.1:$sport/metrics" |
    sed -n 's/^stoke_events_total{.*type="fetch"} //p')
overruns=$(metric stoke_vsl_overruns_total)
incomplete=$(metric stoke_vsl_groups_incomplete_total)
orphans=$(metric stoke_vsl_transactions_orphaned_total)
scpu=$(cpu "$sp")
lcpu=$(cpu "$lp")
# A request woken from a busy object's waiting list is counted again in
# client_req (busy_wakeup counts those): one transaction group all the
# same, as varnishlog shows too.
busy=$(($(stat MAIN.busy_wakeup) - busy0))
reqs=$((req1 - req0 - busy))
rps=$(sed -n 's/^Requests\/sec: *//p' "$dir/wrk.out")

awk -v reqs="$reqs" -v groups="$groups" -v txns="$txns" -v scpu="$scpu" \
    -v lcpu="$lcpu" -v rps="$rps" -v ovr="$overruns" -v obj="$objects" \
    -v fetches="$fetches" -v busy="$busy" -v inc="${incomplete:-0}" \
    -v orph="${orphans:-0}" 'BEGIN {
	printf "vsl_reader: %d requests (%.0f req/s from wrk), %d fetches, %d objects indexed\n", reqs, rps, fetches, obj
	printf "  stoked:     %d transactions in %.2f CPU-s = %.0f txn/CPU-s\n", txns, scpu, txns / (scpu > 0 ? scpu : 0.01)
	printf "  varnishlog: %d transactions in %.2f CPU-s = %.0f txn/CPU-s\n", txns, lcpu, txns / (lcpu > 0 ? lcpu : 0.01)
	printf "  ratio stoked/varnishlog: %.2fx   goal: >= 500000 txn/CPU-s and >= 3x varnishlog\n", lcpu / (scpu > 0 ? scpu : 0.01)
	printf "  lost: %d of %d request groups (MAIN.client_req less %d busy wakeups; overruns %d)\n", reqs - groups, reqs, busy, ovr
	printf "  grouping: %d groups delivered incomplete, %d transactions orphaned\n", inc, orph
}'

rate() {	# transactions a CPU-second of a reader that used $1 CPU-s
	awk -v t="$txns" -v c="$1" 'BEGIN { printf "%.0f\n", t / (c > 0 ? c : 0.01) }'
}
figure vsl_read_rate "log reading while indexing" "$(rate "$scpu")" \
    txn/CPU-s "varnishlog -g request" "$(rate "$lcpu")" \
    ">= 500k/CPU-s and >= 3x varnishlog" "v >= 500000 && r >= 3"
figure vsl_lost "request groups lost by the log reader" \
    "$((reqs - groups))" groups MAIN.client_req "$reqs" "0 lost" "v == 0" -
