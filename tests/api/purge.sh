#!/bin/sh
# A website's purge over real HTTP: one stoked serve on PostgreSQL, the
# test origin behind a real varnishd running vcl/shopware6.vcl (URL
# purges and xkey tags) that is the website's first node, a second node
# that is down, and a stoked worker that purge.py runs to have the
# re-warm job done.  Purged objects are missed next, tags dropped with
# their count, the node down reported beside the one that purged, the
# URLs cached again by the job; roles, isolation, hostile bodies and
# the address policy at connect time.  The assertions are in purge.py;
# this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin purge
suite_pg
suite_origin origin -n 100
suite_varnish v shopware6.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

# What purge.py runs to have the queue drained once, through the node
# that is up.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/purge.py" "$port" "$v" "$work/worker" "$PGURL" ||
    fail "purge.py"
echo "purge: ok"
