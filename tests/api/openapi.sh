#!/bin/sh
# The tenants' API's description (daemon/api/openapi.json) held to what
# stoked serves: the same routes as the router's tables (stoked serve
# --print-routes), a document whose schemas are valid JSON Schema
# 2020-12, served as written at /api/openapi.json, and real answers of
# a replica, each valid against the document's schema for its route and
# status.  The assertions are in openapi.py; this sets up what it talks
# to (the database's URL too, to change a plan, which no route does yet).
set -eu
. "$TESTS_DIR/lib/db_suite.sh"

# The python that has jsonschema (python3-jsonschema, scripts/packages.txt):
# the first python3 on PATH, else Debian's own.
py=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import jsonschema' 2> /dev/null; then
		py=$p
		break
	fi
done
[ -n "$py" ] || {
	echo "FAIL: no python3 with jsonschema: run scripts/install-deps.sh" >&2
	exit 1
}

suite_begin openapi
"$STOKED" serve --print-routes > "$work/routes" || fail "--print-routes"
suite_pg
"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
# Loopback websites: --allow-private.  The flow asks more of one user,
# faster, than the per-user limit lets through (a burst of 100): the
# hidden --rate-user-burst lifts it, so that no answer is a 429 by
# chance (logins' 429 is asked for on purpose; limits.sh holds the rate).
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private --rate-user-burst 100000 \
    > "$work/serve.log" 2>&1 &
suite_bg $!
port=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve.log")

"$py" "$TESTS_DIR/api/openapi.py" "$TOP_SRCDIR/daemon/api/openapi.json" \
    "$work/routes" "$port" "$PGURL" || fail "openapi.py"
echo "openapi: ok"
