#!/bin/sh
# GET /api/overview over real HTTP against a real stoked serve and
# PostgreSQL: each website of the caller's projects with its latest
# jobs, its agents and its visitors, the jobs running, and nobody
# else's; a viewer, an API key (its own project's only) and a stranger.
# The assertions are in overview.py.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin overview
suite_pg

"$STOKED" serve --new-jwt-key > "$work/jwt"
chmod 600 "$work/jwt"
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/jwt" --allow-private \
    --rate-user-burst 100000 > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

python3 "$TESTS_DIR/api/overview.py" "$port" "$PGURL" || fail "overview.py"
grep -q AddressSanitizer "$work/serve.log" && fail "sanitizer errors"
echo "overview: ok"
