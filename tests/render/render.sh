#!/bin/sh
# Render mode over real HTTP: PostgreSQL, stoked serve, the test origin's
# render site behind a real varnishd (vcl/default.vcl), a second origin
# on another port (another host) whose script the pages pull in, and
# stoked worker runs with headless Chromium that render.py starts to
# drain the queue, and a stoked agent that renders, beside a second
# varnishd, that render.py starts too.  The assertions are in render.py;
# this sets up what it talks to, and runs stoked warm --render once.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin render
suite_pg
# Elsewhere: every request it gets is logged, and it must get none.
"$ORIGIN" -p 0 -l "$work/offsite-requests" > "$work/offsite.log" 2>&1 &
suite_bg $!
offsite=$("$TESTS_DIR/lib/wait_port.sh" "$work/offsite.log")
suite_origin origin -o "http://127.0.0.1:$offsite"
suite_varnish v default.vcl
# The agent's node (render.py starts the agent): each node has its secret.
suite_varnish va default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

# One tab, so that the pages that hang and crash come before the one
# that must still render; a bound under the 10 s the hanging page's
# image takes (its fetch may take longer), long enough for a page on a
# busy machine; a small heap.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/v/secret" --exit-when-idle --poll 0.2 --timeout 20 \
    --render-tabs 1 --render-timeout 9 --render-heap 64 \
    >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/render/render.py" "$port" "$v" "$work/worker" "$PGURL" \
    "$work/offsite-requests" "$STOKED" "$va" "$work" || fail "render.py"

# stoked warm --render: the page and what it pulls in, the timings said.
"$STOKED" warm --node "http://127.0.0.1:$v" --secret-file "$work/v/secret" \
    --render --render-timeout 20 "http://localhost/render/page?cli" \
    > "$work/warm.out" 2> "$work/warm.log" || fail "stoked warm --render"
grep -q '^render http://localhost/render/page?cli  ttfb [0-9]' \
    "$work/warm.out" || fail "stoked warm --render: no timings"
grep -q '1 pages rendered, 0 of them not in full' "$work/warm.out" ||
    fail "stoked warm --render: not rendered"
# The page, and its ten assets, each once.
grep -q '^11 requests' "$work/warm.out" ||
    fail "stoked warm --render: $(tail -n 3 "$work/warm.out")"
[ ! -s "$work/offsite-requests" ] ||
    fail "the off-site origin was asked: $(cat "$work/offsite-requests")"

echo "render: ok"
