#!/bin/sh
# What an attacker tries against stoked serve, over real HTTP on one
# PostgreSQL: forged tokens (tampered, expired, alg none, another key),
# oversized and deeply nested bodies, SQL metacharacters, NUL, very long
# strings and invalid UTF-8 in every string field of every route with a
# body (read from --print-routes and openapi.json), loopback in every
# numeric spelling, a worker without --allow-private fetching a site
# stored on loopback, and the headers every answer carries (HSTS only
# when a trusted proxy says the client came over TLS).  What other
# suites cover already is named in security.py, not tested twice.  The
# assertions are in security.py; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin security
suite_pg

d=$work/dist
mkdir -p "$d/assets"
echo '<!doctype html><title>shell</title>' > "$d/index.html"
echo 'console.log(1)' > "$d/assets/index-1.js"

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
"$STOKED" serve --new-jwt-key > "$work/other-keys"
# A: tenants may name loopback (tests); behind a "proxy" on loopback,
# so that each request may say whose it is.  B: as hosted, nobody
# trusted, no private addresses.
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" --allow-private --trusted-proxy 127.0.0.1/32 \
    --rate-user 100000 --rate-user-burst 100000 \
    --dashboard "$d" > "$work/serveA.log" 2>&1 &
suite_bg $!
pa=$("$TESTS_DIR/lib/wait_port.sh" "$work/serveA.log")
"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
    --jwt-keys "$work/keys" > "$work/serveB.log" 2>&1 &
suite_bg $!
pb=$("$TESTS_DIR/lib/wait_port.sh" "$work/serveB.log")

"$STOKED" serve --print-routes > "$work/routes"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/secret"
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --secret-file "$work/secret" \
    --exit-when-idle --poll 0.2 --timeout 5 >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/security/security.py" "$pa" "$pb" "$work/keys" \
    "$work/other-keys" "$work/routes" "$TOP_SRCDIR/daemon/api/openapi.json" \
    "$work/worker" "$PGURL" || fail "security.py"

# Alive through all of it: no crash, no sanitizer's report.
for p in $pa $pb; do
	curl -sf "http://127.0.0.1:$p/healthz" > /dev/null ||
	    fail "a replica died"
done
if grep -q 'runtime error\|AddressSanitizer' "$work"/serve*.log; then
	fail "a sanitizer's report"
fi
echo "security: ok"
