#!/bin/sh
# The control plane's side of stoked agent over real HTTP: two stoked
# serve replicas on one PostgreSQL, and agents.py acting as the agents
# with raw HTTP (gzip bodies too).  Tokens made, listed, revoked (at
# once, on both replicas); hello; batches stored once, under the
# token's website only; commands by long poll, woken by NOTIFY on
# either replica; hostile bodies.  The assertions are in agents.py;
# this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin agents
suite_pg

"$STOKED" serve --new-jwt-key > "$work/jwt"
chmod 600 "$work/jwt"
for i in 1 2; do
	"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
	    --jwt-keys "$work/jwt" --allow-private \
	    --rate-user-burst 100000 > "$work/serve$i.log" 2>&1 &
	suite_bg $!
	eval "pid$i=$!"
done
port1=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve1.log")
port2=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve2.log")

python3 "$TESTS_DIR/api/agents.py" "$port1" "$port2" "$PGURL" \
    "$work/token" ||
	fail "agents.py"

# A replica that stops with a poll held ends it, and exits cleanly.
token=$(cat "$work/token")
# A held poll is counted when its answer starts.
polls() {
	curl -s "http://127.0.0.1:$port1/metrics" |
	    grep '^stoke_api_requests_total{.*/api/agent/v1/commands.*"200"' |
	    awk '{ n += $2 } END { print n + 0 }'
}
n0=$(polls)
curl -s -o "$work/poll.out" -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port1/api/agent/v1/commands?wait=30" &
curl_pid=$!
end=$(($(date +%s) + 10))
until [ "$(polls)" -gt "$n0" ]; do
	[ "$(date +%s)" -lt "$end" ] || fail "the poll was never held"
	sleep 0.1
done
kill -TERM "$pid1"
wait_exit "$pid1" 20 || fail "stoked serve exited $? with a poll held"
wait_exit "$curl_pid" 20 || true
grep -q AddressSanitizer "$work/serve1.log" && fail "sanitizer errors"
echo "agents: ok"
