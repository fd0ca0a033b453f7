#!/bin/sh
# stoked agent beside a real varnishd, reporting to a stand-in control
# plane (control_plane.py, the protocol's other side): a purge on the
# node is re-warmed and reported (invalidation, job and result rows,
# with keys; a large batch gzip'd); a batch answered 500 is sent again
# with its key and stored once; the control plane away while purges go
# on: the node stays warm, batches spool in memory then on disk, and
# every row arrives once and in order when it is back; an agent
# restarted with --state-dir sends what its spool held; a purge command
# empties the object on the node; a settings command changes the
# concurrency; a revoked token stops sending and is said; a full spool
# drops and counts rows, and the agent goes on.
set -eu

. "$TESTS_DIR/lib/db_suite.sh"

suite_begin agent
suite_origin origin -n 200
suite_varnish vport default.vcl
site="http://127.0.0.1:$vport"
tok=sta_0123456789abcdefghijABCDEFGHIJ0123456789
echo "$tok" > "$work/token"

. "$TESTS_DIR/lib/control_plane.sh"

# agent_start NAME ARGS...: $ap, $mport.
agent_start() {
	aname=$1
	shift
	"$STOKED" agent -n "$work/vport/n" --node "$site" \
	    --secret-file "$work/secret" --control "$cp" \
	    --token-file "$work/token" --listen 127.0.0.1:0 --poll-wait 1 \
	    --agent-name node-a "$@" > "$work/$aname.log" 2>&1 &
	ap=$!
	suite_bg "$ap"
	mport=$("$TESTS_DIR/lib/wait_port.sh" "$work/$aname.log")
	"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_vsl_attached.* 1$'
}

agent_stop() {
	kill -TERM "$ap"
	wait_exit "$ap" 30 || fail "the agent exited $?"
}

metric() {
	curl -sf "http://127.0.0.1:$mport/metrics" | sed -n "s/^$1 //p"
}

# until_st SECONDS PYTHON-EXPR: poll until it is True.
until_st() {
	end=$(($(date +%s) + $1))
	while [ "$(st "$2" 2> /dev/null)" != True ]; do
		[ "$(date +%s)" -lt "$end" ] || fail "not within $1 s: $2"
		sleep 0.1
	done
}

# until_log SECONDS FILE TEXT
until_log() {
	end=$(($(date +%s) + $1))
	until grep -qF "$3" "$2"; do
		[ "$(date +%s)" -lt "$end" ] || fail "not within $1 s in $2: $3"
		sleep 0.1
	done
}

# xv PATH: the object's vxid (X-Varnish's second), empty on a miss.
xv() {
	curl -sf -o /dev/null -D - -H 'Host: shop.example' "$site$1" |
	    tr -d '\r' | sed -n 's/^X-Varnish: [0-9]* \([0-9]*\)$/\1/p'
}

warm() {
	curl -sf -o /dev/null -H 'Host: shop.example' "$site$1"
}

purge() {
	curl -sf -o /dev/null -X PURGE -H 'Host: shop.example' "$site$1"
}

# A purge's rows: its invalidation, its job, the re-warm's result with
# the headers the node answered it with.
reported() {
	until_st 15 "any(i['subject'] == 'http://shop.example$1' and
	    i['kind'] == 'purge' and i['job'] in s['jobs'] and
	    s['jobs'][i['job']]['trigger'] == 'purge' and
	    any(r['job'] == i['job'] and r['url'] == 'http://shop.example$1'
	        and r['outcome'] == 'cached'
	        and 'X-Varnish' in r.get('headers', {})
	        for r in s['results'].values())
	    for i in s['invalidations'].values())"
}

cp_start

echo "== hello, and a purge re-warmed and reported"
# The VCL rings the doorbell site.sh put at $work/vport/doorbell.
agent_start a1 --state-dir "$work/state" --spool-memory 2000 \
    --doorbell "$work/vport/doorbell"
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_agent_link_up 1$'
until_st 10 "s['hellos'][-1]['name'] == 'node-a' and
    s['hellos'][-1]['node'] == '$site' and len(s['hellos'][-1]['run']) == 36"
warm /category/1
purge /category/1
reported /category/1
st "[(k, i['kind'], i['objects_dropped'], i['objects_queued'])
    for k, i in s['invalidations'].items()]"
[ -n "$(xv /category/1)" ] || fail "/category/1 not warm again"
# The purge rang: the agent read the log at once.
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_vsl_wakes_total.* [1-9][0-9]*$' ||
    fail "the purge did not ring the agent's doorbell"
until_st 10 "any(t['host'] == 'shop.example' and t['misses'] >= 1
    for t in s['traffic'])"

echo "== a large batch is gzip'd"
for i in $(seq 1 40); do warm "/product/$i"; done
curl -sf -o /dev/null -X BAN -H 'Host: shop.example' -H 'Ban-Url: ^/product/' "$site/"
until_st 20 "len([r for r in s['results'].values()
    if r['url'].startswith('http://shop.example/product/')]) >= 40"
[ "$(st "s['gzip'] > 0")" = True ] || fail "no gzip'd batch"

echo "== a batch answered 500 is sent again, same key, stored once"
curl -sf -X POST -d '{"batches": 2, "status": 500}' "$cp/_test/fail" > /dev/null
warm /category/2
purge /category/2
reported /category/2
[ "$(st "len([k for k, n in s['seen'].items() if n == 3]) == 1 and
    len(s['batches']) == len(set(s['batches']))")" = True ] ||
    fail "no batch sent three times: $(st "s['seen']")"

echo "== the control plane away: the node stays warm, batches spool"
cp_stop
# One purge first, its batch alone: it waits in memory.  Then purges go
# on until batches wait on disk (how many that takes depends on how many
# purges a busy machine fits in a batch).
warm /product/41
purge /product/41
"$TESTS_DIR/lib/wait_metric.sh" "$mport" \
    '^stoke_agent_spool_bytes\{where="memory"\} [1-9]'
i=42
end=$(($(date +%s) + 30))
until [ "$(metric 'stoke_agent_spool_bytes{where="disk"}')" -gt 0 ]; do
	[ "$(date +%s)" -lt "$end" ] || fail "nothing spooled on disk"
	warm "/product/$i"
	purge "/product/$i"
	i=$((i + 1))
	sleep 0.05
done
last=$((i - 1))
end=$(($(date +%s) + 15))
for i in $(seq 41 $last); do
	until [ -n "$(xv "/product/$i")" ]; do
		[ "$(date +%s)" -lt "$end" ] || fail "/product/$i not re-warmed"
		sleep 0.1
	done
done
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_agent_link_up 0$'
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_agent_spool_rows [1-9]'
until_log 10 "$work/a1.log" "unreachable"
cp_start
for i in $(seq 41 $last); do reported "/product/$i"; done
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_agent_link_up 1$'
until_log 10 "$work/a1.log" "answers"
[ "$(grep -c unreachable "$work/a1.log")" = 1 ] || fail "down said more than once"

echo "== a purge command: the object is gone from the node"
warm /product/51
sleep 1.1
v0=$(xv /product/51)
[ -n "$v0" ] || fail "/product/51 not cached"
curl -sf -X POST -d '{"kind": "purge", "urls": ["http://shop.example/product/51"], "tags": [], "hard": false, "purge_id": "p-1"}' \
    "$cp/_test/command" > /dev/null
end=$(($(date +%s) + 10))
while [ "$(xv /product/51)" = "$v0" ]; do
	[ "$(date +%s)" -lt "$end" ] || fail "/product/51 not purged"
	sleep 0.1
done
reported /product/51
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_agent_commands_total\{kind="purge"\} 1$'

echo "== a settings command: concurrency, without a restart"
curl -sf -X POST -d '{"kind": "settings", "website": {"id": 1, "base_url": "http://shop.example/", "concurrency": 3, "rate_limit": 50, "variants": [], "variant_inputs": {"currency": "cookie:sw-currency"}, "broadcast_invalidations": true, "version": 2}}' \
    "$cp/_test/command" > /dev/null
until_log 10 "$work/a1.log" "version 2: concurrency 3, rate 50/s, variant inputs currency=cookie:sw-currency"
curl -sf -X POST -d '{"kind": "telepathy"}' "$cp/_test/command" > /dev/null
until_log 10 "$work/a1.log" 'kind "telepathy" not known'

echo "== restarted with --state-dir: what the spool held is sent"
cp_stop
warm /product/52
purge /product/52
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_agent_spool_rows [1-9]'
agent_stop
ls "$work/state/spool/"*.batch > /dev/null || fail "nothing spooled on disk"
cp_start
agent_start a2 --state-dir "$work/state"
reported /product/52
until_st 10 "s['commands'][-1]['id'] > 0 and len(s['hellos']) >= 2"
# Commands already done are not done again: the cursor was kept.
sleep 1.5
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_agent_commands_total\{kind="purge"\} 0$'

echo "== every row once, batches of each run in order"
[ "$(st "s['dup_rows'] == [] and s['order_errors'] == []")" = True ] ||
    fail "rows twice or out of order: $(st "s['dup_rows'], s['order_errors']")"

echo "== a revoked token: sending stops, and it is said"
curl -sf -X POST "$cp/_test/revoke" > /dev/null
warm /product/53
purge /product/53
until_log 15 "$work/a2.log" "refuses this agent's token"
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_agent_link_up 0$'
grep -qF "$tok" "$work/a1.log" "$work/a2.log" && fail "the token was logged"
agent_stop

echo "== the spool full: rows dropped and counted, no crash"
cp_stop
agent_start a3 --spool-memory 0 --spool-disk 6000 --state-dir "$work/state3"
# Purges go on, batch after batch, until the spool has no room left.
i=60
end=$(($(date +%s) + 30))
until [ "$(metric stoke_agent_rows_dropped_total)" -gt 0 ]; do
	[ "$(date +%s)" -lt "$end" ] || fail "no rows dropped"
	warm "/product/$i"
	purge "/product/$i"
	i=$((i + 1))
	sleep 0.05
done
alive "$ap" || fail "the agent died"
"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_agent_spool_bytes\{where="disk"\} [1-9]'
until_log 10 "$work/a3.log" "dropping rows"
[ "$(grep -c "dropping rows" "$work/a3.log")" = 1 ] || fail "full said more than once"
curl -sf "http://127.0.0.1:$mport/healthz" > /dev/null || fail "no /healthz"
agent_stop
echo ok
