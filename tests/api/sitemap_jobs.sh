#!/bin/sh
# Jobs of a website's sitemap over real HTTP: one stoked serve on
# PostgreSQL, the test origin (its robots.txt, sitemap index, sitemaps
# and gzip'd one) behind a real varnishd that is the website's node,
# and stoked worker runs that sitemap_jobs.py starts when it wants the
# queue drained: with --allow-private (the origin is on loopback), and
# once without, to see the address refused.  sitemap_jobs.py serves the
# sitemaps the origin has no use for itself (other hosts, redirects,
# broken ones) and makes the assertions; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin sitemap_jobs
suite_pg
suite_origin origin -n 1000
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

# What sitemap_jobs.py runs to have the queue drained once: ARGS are
# the worker's options but the common ones (--allow-private, or none).
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    "\$@" >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/sitemap_jobs.py" "$port" "$v" "$origin" \
    "$work/worker" "$PGURL" || fail "sitemap_jobs.py"
echo "sitemap_jobs: ok"
