#!/bin/sh
# Jobs of websites of cache_type shopware, over real HTTP: one stoked
# serve on PostgreSQL; the test origin as a Shopware 6-like storefront
# (stoke-origin -s shopware: navigation, switchers, Shopware's sitemap
# layout, a search page, the sw-currency cookie), logging every request,
# behind a real varnishd running vcl/shopware6.vcl as the website's
# node; a second origin as a plain site (the demo shop, no Shopware
# markers) that a tenant calls shopware all the same; and stoked worker
# runs that shopware.py starts to drain the queue.  shopware.py makes
# the assertions.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin shopware
suite_pg
suite_origin plain -n 5
suite_origin shop -s shopware -n 6 -l "$work/shop-requests.txt"
suite_varnish v shopware6.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

# What shopware.py runs to have the queue drained once, one URL at a
# time, so that the origin's log shows the order they were warmed in.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    --allow-private --concurrency 1 --batch 1 >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/shopware.py" "$port" "$v" "$shop" "$plain" \
    "$work/worker" "$work/shop-requests.txt" || fail "shopware.py"
echo "shopware: ok"
