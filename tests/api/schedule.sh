#!/bin/sh
# Websites' schedules over real HTTP: two stoked serve replicas over one
# PostgreSQL, both told the time by one file (--test-clock) that
# schedule.py moves over simulated hours, days and DST nights, stopping
# and starting the replicas itself; the test origin behind a real
# varnishd for the one scheduled job a real worker runs.  The assertions
# are in schedule.py; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin schedule
suite_pg
suite_origin origin -n 20
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"

# What schedule.py runs to have the queue drained once.
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --node "http://127.0.0.1:$v" \
    --secret-file "$work/secret" --exit-when-idle --poll 0.2 --timeout 10 \
    --allow-private >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/schedule.py" "$STOKED" "$work" "$PGURL" "$origin" \
    "$v" || fail "schedule.py"
echo "schedule: ok"
