#!/bin/sh
# A project's API keys over real HTTP: two stoked serve replicas on one
# PostgreSQL, the second with a small per-user rate (a key is limited as
# its own user), the test origin behind a real varnishd that is the
# website's node, and a stoked worker that keys.py runs when a job made
# with a key should be warmed.  Keys shown once, hashed in the
# database, used as bearers within their scopes and their project only,
# revoked at once on every replica, last_used_at kept; bots never shown
# as members; hostile bodies.  The assertions are in keys.py; this sets
# up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin keys
suite_pg
suite_origin origin -n 100
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/jwt"
chmod 600 "$work/jwt"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/jwt" --allow-private > "$work/serve1.log" 2>&1 &
suite_bg $!
port1=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve1.log")
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/jwt" --allow-private --rate-user 0.01 \
    --rate-user-burst 5 > "$work/serve2.log" 2>&1 &
suite_bg $!
port2=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve2.log")

cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/keys.py" "$port1" "$port2" "$v" "$work/worker" \
    "$PGURL" || fail "keys.py"
echo "keys: ok"
