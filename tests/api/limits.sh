#!/bin/sh
# The tenants' API's limits over real HTTP: two stoked serve replicas on
# one PostgreSQL.  Login lockouts counted in the database and honoured by
# the other replica, per e-mail and per client address; sign-ups per
# address, and behind a trusted load balancer, per the address its
# X-Forwarded-For names; each user's request rate (lowered with the hidden
# --rate-user); and the request metrics.  The assertions are in
# limits.py; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin limits
suite_pg

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
for i in 1 2; do
	"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
	    --jwt-keys "$work/keys" --rate-user 1 --rate-user-burst 5 \
	    > "$work/serve$i.log" 2>&1 &
	suite_bg $!
	eval "port$i=\$(\"\$TESTS_DIR/lib/wait_port.sh\" \"\$work/serve$i.log\")"
done

# The third behind a load balancer: the test, on loopback.
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --trusted-proxy 127.0.0.1/32 \
    --metrics-listen 127.0.0.1:0 > "$work/serve3.log" 2>&1 &
suite_bg $!
port3=$("$TESTS_DIR/lib/wait_port.sh" "$work/serve3.log")

python3 "$TESTS_DIR/api/limits.py" "$port1" "$port2" "$port3" ||
    fail "limits.py"

# Its /metrics on a listener of its own, and only there.
mport=$(sed -n 's/^stoked metrics on .*:\([0-9]*\)$/\1/p' "$work/serve3.log")
[ -n "$mport" ] || fail "no metrics listener"
code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
[ "$(code "http://127.0.0.1:$port3/metrics")" = 404 ] ||
	fail "/metrics still on the API's port"
[ "$(code "http://127.0.0.1:$mport/api/openapi.json")" = 404 ] ||
	fail "the API on the metrics port"
curl -sf "http://127.0.0.1:$mport/metrics" |
    grep -q '^stoke_api_logins_failed_total 20$' ||
	fail "/metrics on its listener: not the API's counts"

# Locked by the address the balancer named.
[ "$(q "SELECT count(*) FROM auth_throttle
    WHERE kind = 'login_address' AND key = '198.51.100.7'
    AND locked_until > now()")" = 1 ] || fail "no lock of the named client"

# The lock is a row every replica reads: there, with its lock.
[ "$(q "SELECT count(*) FROM auth_throttle
    WHERE kind = 'login_email' AND key = 'victim@shop.example'
    AND locked_until > now()")" = 1 ] || fail "no e-mail lock row"

# The test's knob stays out of the usage.
"$STOKED" serve --help > "$work/help.txt"
if grep -q rate-user "$work/help.txt"; then
	fail "--rate-user is in the usage"
fi
echo "limits: ok"
