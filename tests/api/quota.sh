#!/bin/sh
# Plans' quotas over real HTTP: one stoked serve on PostgreSQL, the test
# origin (slow, so that fetches overlap) behind a real varnishd that is
# the websites' node, and stoked workers that quota.py starts, kills and
# restarts itself: two at a time share the queue.  Each limit's refusal,
# the concurrency held over both workers, the day's warms counted once
# (across a worker killed mid-job), a job cut to the day's rest and the
# next one refused, and old results pruned by the workers.  The
# assertions are in quota.py; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin quota
suite_pg
suite_origin origin -n 1000 -d 150
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

# What quota.py runs as a worker, its name the first argument: the
# websites' nodes, short leases (a killed one's tasks come back soon),
# old results looked for every second.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --id "\$1" \
    --secret-file "$work/secret" --allow-private --poll 0.5 --timeout 10 \
    --lease 3 --prune-every 1 >> "$work/worker-\$1.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/quota.py" "$port" "$v" "$origin" "$work/worker" \
    "$PGURL" || fail "quota.py"
echo "quota: ok"
