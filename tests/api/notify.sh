#!/bin/sh
# Notifications over real HTTP and SMTP: a stoked serve that lets
# tenants name loopback addresses, and one that does not (the same
# database), a Varnish node in front of the test origin for a job to
# end, and a stoked worker that warms and delivers, which notify.py
# starts once its receivers listen (a webhook's, Slack's, Teams', an SMTP
# server).  The assertions are in notify.py; this sets up what it talks
# to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin notify
suite_pg
suite_origin origin -n 100
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" > "$work/strict.log" 2>&1 &
suite_bg $!
strict=$("$TESTS_DIR/lib/wait_port.sh" "$work/strict.log")

# What notify.py runs, with its SMTP server's port, in the background:
# quick retries and looks, so that the test takes seconds.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --poll 0.2 --timeout 10 --allow-private \
    --public-url http://dash.example/ --smtp-url "smtp://127.0.0.1:\$1" \
    --smtp-from stoke@ops.example --notify-poll 0.2 --notify-watch 0.3 \
    --notify-retry 0.3 --notify-retry-max 1 >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/notify.py" "$port" "$strict" "$work/worker" \
    "$PGURL" || fail "notify.py"
echo "notify: ok"
