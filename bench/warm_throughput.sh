#!/bin/sh
# Warm throughput on cached URLs: "stoked warm" over URLs all in cache,
# every answer judged (a Varnish hit: "fresh"), beside wrk fetching the
# same URLs round-robin with as many connections, in the same run,
# alternating, against the same varnishd.  Goal (issue 14): stoked at
# least 0.95 times wrk's requests a second, with every answer verified.
#
# The figure is the median of each round's ratio, stoked's rate over
# the wrk round just before it: what the machine lends both (its
# speed here drifts by a quarter within minutes, a neighbour's load)
# is alike within a round, less so across rounds.  wrk runs about as
# long as stoked takes for the URLs.
#
# wrk runs on two threads, a loop each, and stoked warm on two loops
# (--loops 2), each with half the connections; a second pair each
# round, wrk on one thread (-t1) and stoked on one loop, is a figure of
# its own: what a request costs either, one loop against one.
#
# usage: bench/warm_throughput.sh BUILDDIR [URLS [CONNECTIONS [SECONDS]]]
#   URLS (50000) distinct pages, CONNECTIONS (32) for both, wrk running
#   SECONDS (3) a round; ROUNDS (environment, 7) rounds each.
set -eu

build=$1
urls=${2:-50000}
conns=${3:-32}
secs=${4:-3}
rounds=${ROUNDS:-7}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/figure.sh"
dir=$(mktemp -d /tmp/stoke-bench.XXXXXX)
chmod 755 "$dir"
products=1000

cleanup() {
	[ -n "${op:-}" ] && kill "$op" 2> /dev/null || true
	[ -f "$dir/varnishd.pid" ] && kill "$(cat "$dir/varnishd.pid")" 2> /dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

fail() {
	echo "warm_throughput: $*" >&2
	exit 1
}

"$build/tests/origin/stoke-origin" -p 0 -n "$products" > "$dir/origin.out" 2>&1 &
op=$!
"$top/tests/vcl/site.sh" "$top/vcl/default.vcl" "$dir" > /dev/null
# Room for every page: an evicted one would be a miss.
varnishd -n "$dir/v" -a 127.0.0.1:0 -f "$dir/site.vcl" -T 127.0.0.1:0 \
    -s malloc,512m -p vcl_path="$top/vcl" \
    -p vmod_path="$build/vmod/.libs:$(pkg-config --variable=vmoddir varnishapi)" \
    -P "$dir/varnishd.pid" > "$dir/varnishd.out" 2>&1 ||
    { cat "$dir/varnishd.out" >&2; fail "varnishd did not start"; }
# varnishd picked a free port; ask it which.
port=$(varnishadm -n "$dir/v" debug.listen_address | awk 'NR == 1 { print $3 }')
site="http://127.0.0.1:$port"
i=0
until curl -sf -o /dev/null "$site/robots.txt"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "varnishd did not start"
	sleep 0.1
done

# Distinct pages: each product under as many query strings as needed
# (the origin ignores what it does not know), kept an hour.
awk -v n="$urls" -v p="$products" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "/product/%d?v=%d&ttl=3600\n", i % p + 1, int(i / p)
}' > "$dir/paths"
sed "s|^|$site|" "$dir/paths" > "$dir/urls"

# wrk: each thread walks the list round-robin, the second from halfway.
cat > "$dir/urls.lua" << 'LUA'
local threads = 0
function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end
function init(args)
	reqs = {}
	for path in io.lines(args[1]) do
		reqs[#reqs + 1] = wrk.format(nil, path)
	end
	i = math.floor(#reqs / 2) * tid
end
function request()
	i = i % #reqs + 1
	return reqs[i]
end
LUA

stoked() {
	"$build/daemon/stoked" warm --concurrency "$1" --loops "${2:-1}" \
	    --quiet --urls-file "$dir/urls" || true
}
# "N requests in S s: a cached, b fresh, c uncacheable, ..., f failed"
field() {
	sed -n "s/.* \([0-9][0-9]*\) $1.*/\1/p"
}

# Fill the cache, once each, and check every page is in it.
line=$(stoked 64)
[ "$(echo "$line" | field cached)" = "$urls" ] ||
    fail "filling the cache: $line"
stat() {
	varnishstat -n "$dir/v" -1 -f "$1" | awk '{ print $2 }'
}
[ "$(stat MAIN.n_object)" -ge "$urls" ] && [ "$(stat MAIN.n_lru_nuked)" -eq 0 ] ||
    fail "not every page stayed in cache"

# CPU seconds (user and system) used by this shell's children so far, in
# $cpu, and the user part alone in $ucpu: what each client spent,
# whatever else the machine was doing.  The system part is mostly
# loopback TCP, alike for both; the user part is the client's own.
mark() {
	times > "$dir/times"
	set -- $(awk 'NR == 2 {
		for (i = 1; i <= 2; i++) {
			split($i, a, /[ms]/)
			c[i] = a[1] * 60 + a[2]
		}
		print c[1] + c[2], c[1]
	}' "$dir/times")
	cpu=$1
	ucpu=$2
}

# Alternate, so that both see the same machine.
r=1
: > "$dir/rounds"
while [ $r -le $rounds ]; do
	mark; c0=$cpu; u0=$ucpu
	wrk -t2 -c"$conns" -d"${secs}s" -s "$dir/urls.lua" "$site" -- \
	    "$dir/paths" > "$dir/wrk.out" || fail "wrk failed"
	mark; c1=$cpu; u1=$ucpu
	line=$(stoked "$conns" 2)
	mark; c2=$cpu; u2=$ucpu
	wrk -t1 -c"$conns" -d"${secs}s" -s "$dir/urls.lua" "$site" -- \
	    "$dir/paths" > "$dir/wrk1.out" || fail "wrk -t1 failed"
	line1=$(stoked "$conns" 1)
	w1rps=$(sed -n 's/^Requests\/sec: *//p' "$dir/wrk1.out")
	[ -n "$w1rps" ] || fail "wrk -t1 said: $(cat "$dir/wrk1.out")"
	wrps=$(sed -n 's/^Requests\/sec: *//p' "$dir/wrk.out")
	wreq=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$dir/wrk.out")
	werr=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$dir/wrk.out")
	[ -n "$wrps" ] && [ -n "$wreq" ] || fail "wrk said: $(cat "$dir/wrk.out")"
	done_=$(echo "$line" | sed -n 's/^\([0-9]*\) requests in .*/\1/p')
	s=$(echo "$line" | sed -n 's/.* requests in \([0-9.]*\) s:.*/\1/p')
	[ -n "$done_" ] && [ -n "$s" ] || fail "stoked warm said: $line"
	done1=$(echo "$line1" | sed -n 's/^\([0-9]*\) requests in .*/\1/p')
	s1=$(echo "$line1" | sed -n 's/.* requests in \([0-9.]*\) s:.*/\1/p')
	[ -n "$done1" ] && [ -n "$s1" ] || fail "stoked warm said: $line1"
	echo "$wrps ${werr:-0} $done_ $s $(echo "$line" | field fresh)" \
	    "$(echo "$line" | field failed) $wreq $c0 $c1 $c2 $u0 $u1 $u2" \
	    "$w1rps $done1 $s1 $(echo "$line1" | field fresh)" \
	    "$(echo "$line1" | field failed)" >> "$dir/rounds"
	r=$((r + 1))
done

awk -v n="$urls" -v c="$conns" -v secs="$secs" -v cpus="$(nproc)" \
    -v summary="$dir/summary" '
function median(a, k,    i, j, t) {
	for (i = 2; i <= k; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return (k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2)
}
{
	k++
	w[k] = $1; wr = wr sprintf(" %.0f", $1); werr += $2
	s[k] = $3 / ($4 > 0 ? $4 : 0.01); sr = sr sprintf(" %.0f", s[k])
	r[k] = s[k] / ($1 > 0 ? $1 : 1); rr = rr sprintf(" %.2f", r[k])
	w1[k] = $14; w1r = w1r sprintf(" %.0f", $14)
	s1[k] = $15 / ($16 > 0 ? $16 : 0.01); s1r = s1r sprintf(" %.0f", s1[k])
	r1[k] = s1[k] / ($14 > 0 ? $14 : 1); r1r = r1r sprintf(" %.2f", r1[k])
	if ($3 != n || $5 != n || $6 != 0 || $15 != n || $17 != n || $18 != 0)
		bad++
	fresh += $5 + $17; failed += $6 + $18; done_ += $3; all += $3 + $15
	wcpu += $9 - $8; wreq += $7; scpu += $10 - $9
	wucpu += $12 - $11; sucpu += $13 - $12
}
END {
	wm = median(w, k); sm = median(s, k); rm = median(r, k)
	w1m = median(w1, k); s1m = median(s1, k); r1m = median(r1, k)
	printf "warm_throughput: %d cached URLs, %d connections each, %d rounds alternated; wrk %d s a round\n", n, c, k, secs
	printf "  (one machine: its %d cores shared by varnishd and wrk or stoked)\n", cpus
	printf "  wrk:    %.0f req/s median (rounds:%s), %d non-2xx\n", wm, wr, werr
	printf "  stoked --loops 2: %.0f req/s median (rounds:%s)\n", sm, sr
	printf "  verified, both stoked runs: %d fresh of %d, %d failed\n", fresh, all, failed
	printf "  client CPU (user+system) a request: wrk %.1f us, stoked --loops 2 %.1f us\n", wcpu / wreq * 1e6, scpu / (done_ > 0 ? done_ : 1) * 1e6
	printf "    of which user: wrk %.1f us, stoked %.1f us\n", wucpu / wreq * 1e6, sucpu / (done_ > 0 ? done_ : 1) * 1e6
	printf "  ratio stoked/wrk, each round against the wrk round before it:%s\n", rr
	printf "  median ratio: %.2f   goal: >= 0.95 with every answer verified: %s\n", rm, (rm >= 0.95 && !bad) ? "PASS" : "FAIL"
	printf "  wrk -t1: %.0f req/s median (rounds:%s)\n", w1m, w1r
	printf "  stoked on one loop: %.0f req/s median (rounds:%s)\n", s1m, s1r
	printf "  ratio stoked/wrk -t1, each round against the wrk run before it:%s; median %.2f\n", r1r, r1m
	printf "%.0f %.0f %d %.1f %.1f %.4f %.0f %.4f %.0f\n", sm, wm, bad,
	    scpu / (done_ > 0 ? done_ : 1) * 1e6, wcpu / wreq * 1e6, rm,
	    w1m, r1m, s1m > summary
}' "$dir/rounds"

read -r srate wrate bad scpu wcpu ratio w1rate ratio1 s1rate < "$dir/summary"
# The rates are the rounds' medians; the ratio judged is the rounds'.
figure warm_throughput \
    "warm throughput on cached URLs, every answer verified, two loops" \
    "$srate" req/s wrk "$wrate" ">= 0.95x wrk" "r >= 0.95 && $bad == 0" \
    "$(printf %.2f "$ratio")"
figure warm_throughput_one_loop \
    "warm throughput on cached URLs, one loop against wrk -t1" \
    "$s1rate" req/s "wrk -t1" "$w1rate" - - "$(printf %.2f "$ratio1")"
figure warm_client_cpu "warm client CPU a request (user+system)" \
    "$scpu" us wrk "$wcpu" - -
