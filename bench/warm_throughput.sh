#!/bin/sh
# Warm throughput on cached URLs: "stoked warm" over URLs all in cache,
# every answer judged (a Varnish hit: "fresh"), beside wrk fetching the
# same URLs round-robin with as many connections, in the same run,
# alternating, against the same varnishd.  Goal (issue 14): stoked at
# least 0.95 times wrk's requests a second, with every answer verified.
#
# The figure is the median of each round's ratio: what the machine
# lends both (its speed here drifts by a quarter within minutes, a
# neighbour's load) is alike within a round, less so across rounds.  In
# a round each client runs twice, placed alike (w2 s2 s1 w1 w1 s1 s2
# w2), and its rate is the mean of the two.  wrk runs about as long as
# stoked takes for the URLs.
#
# wrk runs on two threads, a loop each, and stoked warm on two loops
# (--loops 2), each with half the connections; a second pair each
# round, wrk on one thread (-t1) and stoked on one loop, is a figure of
# its own: what a request costs either, one loop against one.
#
# stoked warm runs its loops as SCHED_BATCH (daemon/core/sched_batch.h):
# the kernel does not preempt varnishd's threads to wake it.  wrk under
# the same policy (chrt -b 0, "b2") runs in each round as well, so that
# what the policy gives is told apart from what the loops do.
#
# usage: bench/warm_throughput.sh BUILDDIR [URLS [CONNECTIONS [SECONDS]]]
#   URLS (50000) distinct pages, CONNECTIONS (32) for both, wrk running
#   SECONDS (3) a run; ROUNDS (environment, 7) rounds.
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

# One run of KIND (w2, s2: wrk -t2, stoked --loops 2; w1, s1: on one;
# b2: wrk -t2 as SCHED_BATCH),
# a line in $dir/runs: kind round rate requests fresh failed cpu ucpu.
run() {
	mark; c0=$cpu; u0=$ucpu
	case $1 in
	w* | b*)
		batch=
		[ "${1#b}" = "$1" ] || batch="chrt -b 0"
		$batch wrk -t"${1#[wb]}" -c"$conns" -d"${secs}s" -s "$dir/urls.lua" \
		    "$site" -- "$dir/paths" > "$dir/wrk.out" ||
		    fail "$batch wrk -t${1#[wb]} failed"
		rps=$(sed -n 's/^Requests\/sec: *//p' "$dir/wrk.out")
		req=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$dir/wrk.out")
		err=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$dir/wrk.out")
		[ -n "$rps" ] && [ -n "$req" ] ||
		    fail "wrk said: $(cat "$dir/wrk.out")"
		fresh=$req failed=${err:-0}
		;;
	s*)
		line=$(stoked "$conns" "${1#s}")
		req=$(echo "$line" | sed -n 's/^\([0-9]*\) requests in .*/\1/p')
		t=$(echo "$line" | sed -n 's/.* requests in \([0-9.]*\) s:.*/\1/p')
		[ -n "$req" ] && [ -n "$t" ] || fail "stoked warm said: $line"
		rps=$(awk -v n="$req" -v t="$t" 'BEGIN { print n / (t > 0 ? t : 0.01) }')
		fresh=$(echo "$line" | field fresh)
		failed=$(echo "$line" | field failed)
		;;
	esac
	mark
	echo "$1 $r $rps $req ${fresh:-0} ${failed:-0}" \
	    "$(awk -v a="$c0" -v b="$cpu" -v c="$u0" -v d="$ucpu" \
	    'BEGIN { print b - a, d - c }')" >> "$dir/runs"
}

# A round is w2 b2 s2 s1 w1 w1 s1 s2 b2 w2: each client runs as early and as
# late in it as its peer (on average), so a machine that speeds up or
# slows down through the round favours neither.
r=1
: > "$dir/runs"
while [ $r -le $rounds ]; do
	for k in w2 b2 s2 s1 w1 w1 s1 s2 b2 w2; do
		run $k
	done
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
function list(a, k, f,    i, out) {
	for (i = 1; i <= k; i++)
		out = out sprintf(f, a[i])
	return (out)
}
{
	kind = $1; round = $2
	rate[kind, round] += $3 / 2
	req[kind] += $4; cpu[kind] += $7; ucpu[kind] += $8
	if (kind ~ /^s/ && ($4 != n || $5 != n || $6 != 0))
		bad++
	if (kind ~ /^s/) {
		fresh += $5; failed += $6; all += $4
	} else {
		werr += $6
	}
	if (round > k)
		k = round
}
END {
	for (i = 1; i <= k; i++) {
		w2[i] = rate["w2", i]; s2[i] = rate["s2", i]
		w1[i] = rate["w1", i]; s1[i] = rate["s1", i]
		b2[i] = rate["b2", i]
		rb[i] = s2[i] / (b2[i] > 0 ? b2[i] : 1)
		r2[i] = s2[i] / (w2[i] > 0 ? w2[i] : 1)
		r1[i] = s1[i] / (w1[i] > 0 ? w1[i] : 1)
	}
	wl = list(w2, k, " %.0f"); sl = list(s2, k, " %.0f")
	w1l = list(w1, k, " %.0f"); s1l = list(s1, k, " %.0f")
	rl = list(r2, k, " %.2f"); r1l = list(r1, k, " %.2f")
	bl = list(b2, k, " %.0f"); rbl = list(rb, k, " %.2f")
	wm = median(w2, k); sm = median(s2, k); rm = median(r2, k)
	w1m = median(w1, k); s1m = median(s1, k); r1m = median(r1, k)
	bm = median(b2, k); rbm = median(rb, k)
	sc = cpu["s2"] / (req["s2"] > 0 ? req["s2"] : 1) * 1e6
	wc = cpu["w2"] / (req["w2"] > 0 ? req["w2"] : 1) * 1e6
	su = ucpu["s2"] / (req["s2"] > 0 ? req["s2"] : 1) * 1e6
	wu = ucpu["w2"] / (req["w2"] > 0 ? req["w2"] : 1) * 1e6
	bc = cpu["b2"] / (req["b2"] > 0 ? req["b2"] : 1) * 1e6
	printf "warm_throughput: %d cached URLs, %d connections each, %d rounds of w2 b2 s2 s1 w1 w1 s1 s2 b2 w2; wrk %d s a run\n", n, c, k, secs
	printf "  (one machine: its %d cores shared by varnishd and wrk or stoked)\n", cpus
	printf "  wrk -t2: %.0f req/s median (rounds, the mean of two runs:%s), %d non-2xx\n", wm, wl, werr
	printf "  stoked --loops 2: %.0f req/s median (rounds:%s)\n", sm, sl
	printf "  verified, every stoked run: %d fresh of %d, %d failed\n", fresh, all, failed
	printf "  client CPU (user+system) a request: wrk -t2 %.1f us, stoked --loops 2 %.1f us\n", wc, sc
	printf "    of which user: wrk %.1f us, stoked %.1f us\n", wu, su
	printf "  ratio stoked/wrk, round by round:%s\n", rl
	printf "  median ratio: %.2f   goal: >= 0.95 with every answer verified: %s\n", rm, (rm >= 0.95 && !bad) ? "PASS" : "FAIL"
	printf "  wrk -t1: %.0f req/s median (rounds:%s)\n", w1m, w1l
	printf "  stoked on one loop: %.0f req/s median (rounds:%s)\n", s1m, s1l
	printf "  ratio stoked/wrk -t1, round by round:%s; median %.2f\n", r1l, r1m
	printf "  wrk -t2 as SCHED_BATCH (b2), as stoked warm runs: %.0f req/s median (rounds:%s)\n", bm, bl
	printf "  ratio stoked/that, round by round:%s; median %.2f; its client CPU a request %.1f us\n", rbl, rbm, bc
	printf "%.0f %.0f %d %.1f %.1f %.4f %.0f %.4f %.0f %.0f %.4f\n", sm, wm, bad,
	    sc, wc, rm, w1m, r1m, s1m, bm, rbm > summary
}' "$dir/runs"

read -r srate wrate bad scpu wcpu ratio w1rate ratio1 s1rate brate ratiob \
    < "$dir/summary"
# The rates are the rounds' medians; the ratio judged is the rounds'.
figure warm_throughput \
    "warm throughput on cached URLs, every answer verified, two loops" \
    "$srate" req/s wrk "$wrate" ">= 0.95x wrk" "r >= 0.95 && $bad == 0" \
    "$(printf %.2f "$ratio")"
figure warm_throughput_one_loop \
    "warm throughput on cached URLs, one loop against wrk -t1" \
    "$s1rate" req/s "wrk -t1" "$w1rate" - - "$(printf %.2f "$ratio1")"
figure warm_throughput_batch_peer \
    "warm throughput, two loops, against wrk -t2 as SCHED_BATCH" \
    "$srate" req/s "chrt -b wrk" "$brate" - - "$(printf %.2f "$ratiob")"
figure warm_client_cpu "warm client CPU a request (user+system)" \
    "$scpu" us wrk "$wcpu" - -
