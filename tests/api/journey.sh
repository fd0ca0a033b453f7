#!/bin/sh
# A tenant's journey, end to end, over real HTTP: two stoked serve
# replicas on one PostgreSQL, the test origin behind a real varnishd (the
# website's node), and a stoked worker.  Sign up, a project, a website,
# a CI key, a sitemap job started with the key, followed over Server-Sent
# Events on the other replica to its end, its results paged and
# exported, the analytics, the usage, and a logout honoured by both.
# The assertions are in journey.py; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin journey
suite_pg
suite_origin origin -n 200
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
for i in 1 2; do
	"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
	    --jwt-keys "$work/keys" --allow-private > "$work/serve$i.log" 2>&1 &
	suite_bg $!
	eval "port$i=\$(\"\$TESTS_DIR/lib/wait_port.sh\" \"\$work/serve$i.log\")"
done

# As a hosted service runs it: the website's nodes, checked as it
# connects (loopback allowed: everything here is).
cat > "$work/worker" <<EOW
#!/bin/sh
exec "$STOKED" worker --database-url "$PGURL" --secret-file "$work/secret" \
    --allow-private --exit-when-idle --poll 0.2 --timeout 10 \
    >> "$work/worker.log" 2>&1
EOW
chmod +x "$work/worker"

python3 "$TESTS_DIR/api/journey.py" "$port1" "$port2" "$origin" "$v" \
    "$work/worker" || fail "journey.py"
echo "journey: ok"
