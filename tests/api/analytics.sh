#!/bin/sh
# Analytics, VCL recommendations, plans and usage, and a website's
# invalidations over real HTTP: one stoked serve on PostgreSQL, the test
# origin behind a real varnishd (vcl/default.vcl) that is the website's
# node, and a stoked worker that runs a real job of cached and
# uncacheable pages; rows seeded with SQL over a few hours with known
# times.  The assertions are in analytics.py; this sets up what it
# talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin analytics
suite_pg
suite_origin origin -n 100
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private --rate-user-burst 100000 \
    > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

# What analytics.py runs to have the queue drained once.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/analytics.py" "$port" "$v" "$work/worker" "$PGURL" \
    "$work" || fail "analytics.py"
echo "analytics: ok"
