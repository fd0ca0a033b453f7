#!/bin/sh
# A website's warm jobs over real HTTP: one stoked serve on PostgreSQL,
# the test origin behind a real varnishd (vcl/default.vcl) that is the
# website's node, and stoked worker runs that jobs.py starts when it
# wants its tasks done (so that a job can be cancelled with no worker
# running).  Create, poll to done, results filtered, sorted, paged and
# exported as CSV, cancel, isolation and hostile input.  The assertions
# are in jobs.py; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin jobs
suite_pg
suite_origin origin -n 1000
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

# What jobs.py runs to have the queue drained once.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

# And one as a hosted service runs it: the website's nodes, checked.
cat > "$work/strict-worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    >> "$work/strict-worker.log" 2>&1
EOW
chmod +x "$work/strict-worker"

python3 "$TESTS_DIR/api/jobs.py" "$port" "$v" "$work/worker" "$PGURL" \
    "$work/strict-worker" ||
    fail "jobs.py"
echo "jobs: ok"
