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

# A key file others may read is refused, with the reason.
chmod 644 "$work/keys"
if "$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" > "$work/refused.log" 2>&1; then
	fail "a world-readable key file was taken"
fi
grep -q 'token keys' "$work/refused.log" || fail "no reason given"
echo "accounts: ok"
