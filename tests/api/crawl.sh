#!/bin/sh
# Jobs that crawl a site rather than read its sitemap, over real HTTP:
# one stoked serve on PostgreSQL, the test origin as a site without a
# sitemap and full of traps (stoke-origin -t: an endless calendar,
# session ids, a redirect loop, a 10 MB page, links off the site, a
# nofollow link, a Disallow: path and a Crawl-delay), logging every
# request it gets, behind a real varnishd that is the website's node;
# a second origin as the site the off-site links lead to; and stoked
# worker runs that crawl.py starts to drain the queue.  crawl.py also
# serves a sitemap of priorities of its own, and makes the assertions.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin crawl
suite_pg
suite_origin other
suite_origin trap -t -o "http://127.0.0.1:$other/offsite" \
    -l "$work/trap-requests.txt"
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

# What crawl.py runs to have the queue drained once; ARGS are added.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    --allow-private "\$@" >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/crawl.py" "$port" "$v" "$trap" "$other" \
    "$work/worker" "$PGURL" "$work/trap-requests.txt" || fail "crawl.py"
echo "crawl: ok"
