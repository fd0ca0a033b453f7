# The control plane's stand-in (tests/agent/control_plane.py, the
# agent protocol's other side) for a suite of stoked agent.  Source it
# after db_suite.sh, the agent's token in $work/token:
#
#   cp_start     start it; started again, on the same port; $cp its
#                URL, $cpid, its output in $work/cp.log
#   cp_stop      stop it (the control plane away)
#   st EXPR      a Python expression on its state (s), printed
#
# Every wait has a deadline.

cport=0

cp_start() {
	python3 "$TESTS_DIR/agent/control_plane.py" --token-file "$work/token" \
	    --state "$work/cp.json" --port "$cport" >> "$work/cp.log" 2>&1 &
	cpid=$!
	suite_bg "$cpid"
	cp_end=$(($(date +%s) + 20))
	until [ -f "$work/cp.log" ] && grep -q "listening on" "$work/cp.log"; do
		[ "$(date +%s)" -lt "$cp_end" ] || fail "the stand-in did not start"
		sleep 0.05
	done
	cport=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$work/cp.log" |
	    tail -n 1)
	cp="http://127.0.0.1:$cport"
	until curl -sf -o /dev/null "$cp/_test/state"; do
		[ "$(date +%s)" -lt "$cp_end" ] || fail "the stand-in does not answer"
		sleep 0.05
	done
}

cp_stop() {
	kill "$cpid"
	wait "$cpid" 2> /dev/null || true
}

st() {
	curl -sf "$cp/_test/state" | python3 -c "
import json, sys
s = json.load(sys.stdin)
print($1)"
}
