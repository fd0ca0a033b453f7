#!/bin/sh
# Hostile clients on the API's port of stoked serve: thousands of
# slowloris connections (half a request, then silence, or a byte now
# and then) and idle kept-alive ones.  Others are still answered within
# a bound meanwhile, and the server cuts the silent ones after
# --client-timeout, so that its sockets come back.  And a replica with
# a low --max-connections: past it, newcomers are refused at once (503),
# and answered again once the others go; with no descriptor left at
# all, it waits rather than spins.  The assertions are in clients.py.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin clients
suite_pg
# Each slow client is a socket here and one in stoked serve.
ulimit -n 20000 2> /dev/null || ulimit -n "$(ulimit -Hn)"
"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --client-timeout 3 > "$work/serve.log" 2>&1 &
serve=$!
suite_bg $serve
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")
# A replica with few connections, and /metrics on a port of its own,
# which the limit leaves alone.
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --max-connections 40 \
    --metrics-listen 127.0.0.1:0 > "$work/limited.log" 2>&1 &
limited=$!
suite_bg $limited
lport=$("$TESTS_DIR/lib/wait_port.sh" "$work/limited.log")
lmport=$(sed -n 's/^stoked metrics on .*:\([0-9]*\)$/\1/p' "$work/limited.log")
python3 "$TESTS_DIR/faults/clients.py" "$port" "$serve" "$lport" "$lmport" \
    "$limited" || fail "clients.py"
alive "$serve" || fail "stoked serve died"
alive "$limited" || fail "the limited stoked serve died"
grep -q "cannot accept a connection: Too many open files" "$work/limited.log" ||
    fail "no descriptor left was not said"
echo "clients: ok"
