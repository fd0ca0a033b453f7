#!/bin/sh
# varnishd broken under stoked run while it warms: its cache child
# restarted (varnishadm stop, start), its child killed with SIGKILL (the
# manager starts another), and the manager itself stopped and started
# again with the same -n.  Each time stoked reattaches to the new log
# (stoke_vsl_reconnects_total, stoke_vsl_attached), forgets the index of
# the cache that went (stoke_index_resets_total, said once), events
# resume, what follows is indexed and re-warmed, and stoked never dies.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
. "$TESTS_DIR/lib/fault_suite.sh"

suite_begin varnish_faults
suite_origin oport -n 200
suite_varnish v default.vcl
n="$work/v/n"
mgr=${suite_varnishd##* }

"$STOKED" run --no-database -n "$n" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --listen 127.0.0.1:0 \
    > "$work/run.log" 2>&1 &
run=$!
suite_bg "$run"
mport=$("$TESTS_DIR/lib/wait_port.sh" "$work/run.log")
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_vsl_attached.* 1$'

attached() {
	metric_is "$mport" stoke_vsl_attached 1
}

# Visitors cache pages FROM to TO; the index learns each.
visit() {
	o=$(metric "$mport" stoke_index_objects)
	seq "$1" "$2" | xargs -P 2 -I N \
	    curl -sf -o /dev/null "http://127.0.0.1:$v/product/N"
	until_sh 20 metric_gt "$mport" stoke_index_objects $((o + $2 - $1))
}

# The index follows the log again: new pages learned, and one purged is
# re-warmed, a hit for the next visitor.
follows() {
	visit "$1" "$2"
	r=$(metric "$mport" stoke_rewarm_refreshed_total)
	curl -sf -o /dev/null -X PURGE "http://127.0.0.1:$v/product/$1"
	until_sh 20 metric_gt "$mport" stoke_rewarm_refreshed_total "$r"
	xv=$(curl -sf -o /dev/null -D - "http://127.0.0.1:$v/product/$1" |
	    tr -d '\r' | sed -n 's/^X-Varnish: //p')
	case $xv in
	*" "*) ;;
	*) fail "/product/$1 not warm again after the purge (X-Varnish $xv)" ;;
	esac
	alive "$run" || fail "stoked run died"
}

# reattached WHAT: after varnishd's WHAT, stoked opened the log again.
reattached() {
	until_sh 30 metric_gt "$mport" stoke_vsl_reconnects_total "$1"
	until_sh 30 attached
}

# before_restart: the index holds the cache that is about to go; the
# resets so far in $resets.
before_restart() {
	metric_gt "$mport" stoke_index_objects 0 ||
	    fail "nothing in the index before the restart"
	resets=$(metric "$mport" stoke_index_resets_total)
}

# emptied: varnishd's cache went with its child, and the index forgot
# it, once: no object of the old cache is left to re-warm or refresh.
emptied() {
	until_sh 30 metric_gt "$mport" stoke_index_resets_total "$resets"
	until_sh 30 metric_is "$mport" stoke_index_objects 0
}

# forgot_once: one reset for the restart, and one line saying it,
# however many times VSM told of it.
forgot_once() {
	metric_is "$mport" stoke_index_resets_total $((resets + 1)) ||
	    fail "the index was reset $(($(metric "$mport" \
	        stoke_index_resets_total) - resets)) times for one restart"
	said=$(grep -c "cache restarted empty" "$work/run.log" || true)
	[ "$said" -eq $((resets + 1)) ] ||
	    fail "$said lines say the cache restarted, after $((resets + 1))"
}

echo "== warming as usual"
follows 1 20

echo "== the child restarted: varnishadm stop, start"
k=$(metric "$mport" stoke_vsl_reconnects_total)
before_restart
varnishadm -n "$n" stop > /dev/null
varnishadm -n "$n" start > /dev/null
reattached "$k"
emptied
follows 21 40
forgot_once

echo "== the child killed with SIGKILL: the manager starts another"
k=$(metric "$mport" stoke_vsl_reconnects_total)
before_restart
child=$(ps -o pid= --ppid "$mgr" | tr -d ' ' | head -n 1)
[ -n "$child" ] || fail "no child of varnishd's manager $mgr"
kill -9 "$child"
until_sh 30 varnishadm -n "$n" status > /dev/null
reattached "$k"
emptied
follows 41 60
forgot_once

echo "== the manager stopped, and started again with the same -n"
k=$(metric "$mport" stoke_vsl_reconnects_total)
before_restart
kill "$mgr"
wait_exit "$mgr" 30 || true
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_vsl_attached.* 0$' ||
    fail "stoked did not see varnishd go"
varnishd -F -n "$n" -a "127.0.0.1:$v" -f "$work/v/site.vcl" \
    -p vcl_path="$TOP_SRCDIR/vcl" -p vmod_path="$VMOD_PATH" \
    >> "$work/v.log" 2>&1 &
mgr=$!
suite_varnishd="$suite_varnishd $mgr"
until_sh 30 varnishadm -n "$n" status > /dev/null
reattached "$k"
emptied
follows 61 80
forgot_once

curl -sf "http://127.0.0.1:$mport/metrics" |
    grep -E "^stoke_vsl_|^stoke_index_(objects|resets)"
grep -E 'error|panic|ASan|runtime error' "$work/run.log" &&
    fail "stoked run said something went wrong"
echo "varnish faults: ok"
