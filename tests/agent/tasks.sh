#!/bin/sh
# Jobs of a website whose nodes have agents: two varnishd nodes
# (vcl/shopware6.vcl), each with its stoked agent, one stoked serve,
# one stoked worker (which reads the sitemaps: the agents warm), one
# PostgreSQL.  A URL job and a sitemap job warm every URL on both nodes,
# each fetched by the node's own agent; an agent stopped mid-job warms
# its node when it is back, its leases run out; a task said done twice,
# or by two claims, counts once; an agent claims no other website's
# tasks, and a revoked one's fail so that its job ends.  The assertions
# are in tasks.py, which starts the control plane, the agents and the
# worker; this sets up the rest.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin tasks
suite_pg
suite_origin origin -n 8
suite_varnish va shopware6.vcl
suite_varnish vb shopware6.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"

python3 "$TESTS_DIR/agent/tasks.py" "$STOKED" "$work" "$PGURL" \
    "$va" "$vb" "$origin" || fail "tasks.py"
echo "tasks: ok"
