#!/bin/sh
# The accounts store (daemon/store/account_store.c) against a real
# PostgreSQL: db/test_account_store drives every call, then the rows it
# left are checked here, and that the database itself keeps each
# project an owner whoever writes.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"

suite_begin acc
suite_pg

"$TESTS_BUILDDIR/db/test_account_store" "$PGURL" > "$work/driver.log" 2>&1 ||
    fail "test_account_store failed"
cat "$work/driver.log"

echo "== what the driver left"
[ "$(q "SELECT jti FROM revoked_tokens")" = jti-1 ] ||
    fail "revoked_tokens: $(q "SELECT jti FROM revoked_tokens")"
[ "$(q "SELECT p.name || ':' || u.name || ':' || m.role
    FROM projects p JOIN project_members m ON m.project_id = p.id
    JOIN users u ON u.id = m.user_id")" = "Dave's:Dave:owner" ] ||
    fail "projects left: $(q "SELECT name FROM projects")"

echo "== a project keeps its last owner, whatever the statement"
! q "DELETE FROM project_members WHERE role = 'owner'" 2> "$work/err" ||
    fail "the last owner was deleted"
grep -q "would have no owner" "$work/err" || fail "$(cat "$work/err")"
! q "UPDATE project_members SET role = 'viewer'" 2> "$work/err" ||
    fail "the last owner was demoted"
! q "DELETE FROM users WHERE name = 'Dave'" 2> /dev/null ||
    fail "the last owner's user was deleted with the project left"
q "DELETE FROM projects" > /dev/null
[ "$(q "SELECT count(*) FROM project_members")" = 0 ] ||
    fail "members outlived their project"

echo "== the new columns' checks"
! q "INSERT INTO users (email) VALUES ('$(printf 'a%.0s' $(seq 250))@b.example')" \
    2> /dev/null || fail "an e-mail longer than 254 was taken"
! q "INSERT INTO users (name, email) VALUES (repeat('n', 201), 'n@b.example')" \
    2> /dev/null || fail "a name longer than 200 was taken"
q "INSERT INTO projects (name, plan_id) SELECT 'k', id FROM plans LIMIT 1" \
    > /dev/null
# A key's user (0007_api_keys.sql): no e-mail, no password.
q "INSERT INTO users (kind, name) VALUES ('key', 'k1'), ('key', 'k2'),
    ('key', 'k3')" > /dev/null
! q "INSERT INTO users (kind, email) VALUES ('key', 'k@b.example')" \
    2> /dev/null || fail "a key's user with an e-mail was taken"
! q "INSERT INTO users (kind, password_hash) VALUES ('key', 'x')" \
    2> /dev/null || fail "a key's user with a password was taken"
! q "INSERT INTO users (name) VALUES ('nobody')" 2> /dev/null ||
    fail "a person with no e-mail was taken"
q "INSERT INTO api_keys (project_id, user_id, prefix, key_hash)
    SELECT p.id, u.id, 'k1', '\\x01' FROM projects p, users u
    WHERE u.name = 'k1'" > /dev/null
[ "$(q "SELECT scopes FROM api_keys")" = "{read}" ] || fail "default scopes"
q "INSERT INTO api_keys (project_id, user_id, prefix, key_hash, scopes)
    SELECT p.id, u.id, 'k2', '\\x02', '{read,jobs,purge}'
    FROM projects p, users u WHERE u.name = 'k2'" > /dev/null
! q "INSERT INTO api_keys (project_id, user_id, prefix, key_hash, scopes)
    SELECT p.id, u.id, 'k3', '\\x03', '{read,admin}'
    FROM projects p, users u WHERE u.name = 'k3'" 2> /dev/null ||
    fail "an unknown scope was taken"
! q "INSERT INTO api_keys (project_id, prefix, key_hash)
    SELECT id, 'k4', '\\x04' FROM projects" 2> /dev/null ||
    fail "a key with no user was taken"
# Either goes with the other.
q "DELETE FROM api_keys WHERE prefix = 'k1'" > /dev/null
[ "$(q "SELECT count(*) FROM users WHERE name = 'k1'")" = 0 ] ||
    fail "a key's user outlived it"
q "DELETE FROM users WHERE name = 'k2'" > /dev/null
[ "$(q "SELECT count(*) FROM api_keys WHERE prefix = 'k2'")" = 0 ] ||
    fail "a key outlived its user"

echo "ok"
