#!/bin/sh
# The origin broken the ways origins break, under stoked run re-warming
# through a real varnishd: twenty times slower, every other page a 503,
# requests that hang, connections reset, garbage for an answer.  Each
# time the warmer backs off or holds back (stoke_origin_*), the origin
# never has more than the ceiling in flight, and once it is well again
# warming resumes by itself.  An origin down altogether, and one that
# answers 500 to everything: daemon/backoff.vtc, in check-faults too.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
. "$TESTS_DIR/lib/fault_suite.sh"

suite_begin origin_faults
suite_origin oport -n 200 -d 5
suite_varnish v default.vcl
# A hanging origin is given up on after 2 s rather than a minute.
for p in first_byte_timeout between_bytes_timeout; do
	varnishadm -n "$work/v/n" param.set "$p" 2 > /dev/null
done
o="http://127.0.0.1:$oport"
ceiling=4

"$STOKED" run --no-database -n "$work/v/n" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --listen 127.0.0.1:0 \
    --warm-concurrency 32 --origin-max "$ceiling" > "$work/run.log" 2>&1 &
run=$!
suite_bg "$run"
mport=$("$TESTS_DIR/lib/wait_port.sh" "$work/run.log")
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_vsl_attached.* 1$'

echo "== visitors cache 40 products"
seq 1 40 | xargs -P 2 -I N curl -sf -o /dev/null "http://127.0.0.1:$v/product/N"
until_sh 10 metric_gt "$mport" stoke_index_objects 39

ban() {
	curl -sf -o /dev/null -X BAN -H 'Ban-Url: ^/product/' \
	    "http://127.0.0.1:$v/"
}

# Whatever happened, the origin never had more than the ceiling at once.
within_ceiling() {
	max=$(origin_stat "$oport" inflight_max)
	[ "$max" -le "$ceiling" ] ||
	    fail "the origin had $max requests at once, ceiling $ceiling"
}

idle() {
	metric_is "$mport" stoke_origin_open 0 &&
	    metric_is "$mport" stoke_origin_paused 0 &&
	    metric_is "$mport" stoke_rewarm_queue_length 0 &&
	    metric_is "$mport" stoke_rewarm_inflight 0
}

# Healed: warming goes on by itself.  A visitor caches a page, a purge
# drops it, and it is re-warmed.
recovers() {
	curl -sf -o /dev/null "$o/fault"
	until_sh 90 idle
	curl -sf -o /dev/null "http://127.0.0.1:$v/product/7"
	r=$(metric "$mport" stoke_rewarm_refreshed_total)
	curl -sf -o /dev/null -X PURGE "http://127.0.0.1:$v/product/7"
	until_sh 30 metric_gt "$mport" stoke_rewarm_refreshed_total "$r"
	within_ceiling
	alive "$run" || fail "stoked run died"
}

echo "== a ban re-warmed while the origin is well: its usual latency"
r=$(metric "$mport" stoke_rewarm_refreshed_total)
ban
until_sh 60 metric_gt "$mport" stoke_rewarm_refreshed_total $((r + 39))
until_sh 30 idle

echo "== twenty times slower: it backs off, and every page comes back"
b=$(metric "$mport" stoke_origin_backoffs_total)
r=$(metric "$mport" stoke_rewarm_refreshed_total)
curl -sf -o /dev/null "$o/fault?mode=slow"
ban
until_sh 60 metric_gt "$mport" stoke_rewarm_refreshed_total $((r + 39))
until_sh 10 metric_gt "$mport" stoke_origin_backoffs_total "$b"
recovers

echo "== every other page a 503: counted as failures, it backs off"
f=$(metric "$mport" stoke_origin_failures_total)
b=$(metric "$mport" stoke_origin_backoffs_total)
curl -sf -o /dev/null "$o/fault?mode=flaky"
ban
until_sh 30 metric_gt "$mport" stoke_origin_failures_total "$f"
until_sh 30 metric_gt "$mport" stoke_origin_backoffs_total "$b"
until_sh 60 idle
recovers

# Each: failures, warming held back at once by the Retry-After that
# varnishd's 503 carries, then the breaker open, and no more than the
# ceiling at the origin meanwhile.
for mode in hang reset garbage; do
	echo "== $mode: failures, warming held back, the breaker open, resumed"
	f=$(metric "$mport" stoke_origin_failures_total)
	k=$(metric "$mport" stoke_origin_breaker_opened_total)
	curl -sf -o /dev/null "$o/fault?mode=$mode"
	ban
	until_sh 60 metric_gt "$mport" stoke_origin_failures_total "$f"
	"$TESTS_DIR/lib/wait_metric.sh" "$mport" \
	    '^stoke_origin_(open|paused).* 1$' || fail "$mode: not held back"
	until_sh 60 metric_gt "$mport" stoke_origin_breaker_opened_total "$k"
	[ "$(origin_stat "$oport" faulted)" -gt 0 ] || fail "no request $mode"
	within_ceiling
	recovers
done

curl -sf "http://127.0.0.1:$mport/metrics" | grep -E '^stoke_origin_[a-z_]*(total|max)'
echo "the origin: $(curl -sf "$o/stats" | tr '\n' ' ')"
echo "origin faults: ok"
