#!/bin/sh
# A project's websites over real HTTP: two stoked serve replicas that
# allow private addresses (the sites here are on loopback) and one that
# does not, on one PostgreSQL.  Create, list, read, change and delete;
# roles; the plan's limit; every hostile setting refused with its
# field; loopback, private, metadata addresses refused without
# --allow-private, by address and by name.  The assertions are in
# websites.py; this sets up what it talks to.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin websites
suite_pg

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"
for i in 1 2 3; do
	allow=--allow-private
	[ "$i" = 3 ] && allow=
	"$STOKED" serve --listen 127.0.0.1:0 --database-url "$PGURL" \
	    --jwt-keys "$work/keys" $allow > "$work/serve$i.log" 2>&1 &
	suite_bg $!
	eval "port$i=\$(\"\$TESTS_DIR/lib/wait_port.sh\" \"\$work/serve$i.log\")"
done

python3 "$TESTS_DIR/api/websites.py" "$port1" "$port2" "$port3" "$PGURL" ||
    fail "websites.py"
echo "websites: ok"
