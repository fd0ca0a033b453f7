#!/bin/sh
# The isolation matrix over real HTTP: one stoked serve on PostgreSQL,
# every route of the tenants' table tried by a stranger, a viewer, no
# token, a logged-out token and API keys (isolation.py, which reads the
# routes from stoked serve --print-routes, so that no route escapes it).
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin isolation
suite_pg

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

python3 "$TESTS_DIR/api/isolation.py" "$port" "$PGURL" "$STOKED" ||
    fail "isolation.py"
echo "isolation: ok"
