#!/bin/sh
# The tenants' accounts over real HTTP: two stoked serve replicas on one
# PostgreSQL, sign-up, login, logout honoured by the other replica,
# projects and members with their roles, and hostile input.  The
# assertions are in accounts.py; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin accounts
suite_pg

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
for i in 1 2; do
	"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
	    --jwt-keys "$work/keys" > "$work/serve$i.log" 2>&1 &
	suite_bg $!
	eval "port$i=\$(\"\$TESTS_DIR/lib/wait_port.sh\" \"\$work/serve$i.log\")"
done

python3 "$TESTS_DIR/api/accounts.py" "$port1" "$port2" ||
    fail "accounts.py"

# stoked run serves the same tenants' API beside the operator's.
"$STOKED" run -n "$work/no-varnish" --listen 127.0.0.1:0 \
    --database-url "$PGURL" --jwt-keys "$work/keys" > "$work/run.log" 2>&1 &
suite_bg $!
rport=$("$TESTS_DIR/lib/wait_port.sh" "$work/run.log")
tok=$(curl -sf -H 'Content-Type: application/json' -d \
    '{"email": "bob@shop.example", "password": "a different secret"}' \
    "http://127.0.0.1:$rport/api/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])') ||
    fail "no login through stoked run"
curl -sf -H "Authorization: Bearer $tok" "http://127.0.0.1:$rport/api/auth/me" |
    grep -q '"email" *: *"bob@shop.example"' || fail "me through stoked run"
curl -sf "http://127.0.0.1:$rport/api/v1/instances" | grep -q no-varnish ||
    fail "the operator's API is gone from stoked run"

# A key file others may read is refused, with the reason.
chmod 644 "$work/keys"
if "$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" > "$work/refused.log" 2>&1; then
	fail "a world-readable key file was taken"
fi
grep -q 'token keys' "$work/refused.log" || fail "no reason given"
echo "accounts: ok"
