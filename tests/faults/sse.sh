#!/bin/sh
# Ten thousand idle event streams on stoked serve, one user each, as a
# control plane serving that many open dashboards has: others are still
# answered within a bound, heartbeats flow, a job's progress reaches
# its website's streams, memory per stream stays bounded, and all is
# released when the clients go.  The assertions are in sse.py.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin sse
suite_pg
# Each stream is a socket here and one in stoked serve.
ulimit -n 20000 2> /dev/null || ulimit -n "$(ulimit -Hn)"
"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
# A sanitized build keeps freed memory aside (its quarantine, 256 MiB):
# not the streams', so not in what is measured of them.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
    "$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --sse-heartbeat 5 > "$work/serve.log" 2>&1 &
serve=$!
suite_bg $serve
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")
python3 "$TESTS_DIR/faults/sse.py" "$port" "$serve" "$PGURL" "$work/keys" 5 ||
    fail "sse.py"
alive "$serve" || fail "stoked serve died"
echo "sse: ok"
