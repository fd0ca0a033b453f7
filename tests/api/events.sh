#!/bin/sh
# Live progress as Server-Sent Events, across replicas: two stoked serve
# on one PostgreSQL, the test origin (slowed, so that a job takes a few
# seconds) behind a real varnishd that is the website's node, and
# stoked worker runs that events.py starts.  Jobs are made on replica A
# and followed on replica B, which hears of the workers' progress only
# through the database's notifications: its heartbeat (a minute) is
# longer than any wait of the test, so that no periodic read stands in
# for them.  A's heartbeat is short, for the heartbeat's own checks.
# The assertions are in events.py; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin events
suite_pg
suite_origin origin -n 1000 -d 40 -c 2
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
# Many streams and requests of one user, faster than the per-user
# limit would let through: lifted, as openapi.sh does.
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private --rate-user-burst 100000 \
    --sse-heartbeat 0.5 > "$work/serve-a.log" 2>&1 &
suite_bg $!
a=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve-a.log")
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private --rate-user-burst 100000 \
    --sse-heartbeat 60 > "$work/serve-b.log" 2>&1 &
suite_bg $!
b=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve-b.log")

# What events.py runs to have the queue drained once, in the background.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    --dims "currency=cookie:sw-currency" --concurrency 2 --batch 8 \
    >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/events.py" "$a" "$b" "$v" "$work/worker" "$PGURL" ||
    fail "events.py"
echo "events: ok"
