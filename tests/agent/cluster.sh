#!/bin/sh
# Hosted Stoke with a tenant's cluster, end to end on one machine: two
# varnishd nodes (vcl/shopware6.vcl: URL purges and xkey tags), each
# with its stoked agent, one stoked serve and one PostgreSQL.  A purge
# on node A is re-warmed on A only; a tag invalidation on A, broadcast,
# is done and re-warmed on B too, and goes no further; a purge through
# the API reaches both nodes; the control plane stopped for 30 s while
# purges go on: both nodes stay warm, and afterwards every event is
# stored exactly once; a revoked agent is refused at once.  The
# assertions, and the agents and the control plane they start and stop,
# are in cluster.py; this sets up the rest.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin cluster
suite_pg
suite_origin origin -n 100
suite_varnish va shopware6.vcl
suite_varnish vb shopware6.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"

python3 "$TESTS_DIR/agent/cluster.py" "$STOKED" "$work" "$PGURL" \
    "$va" "$vb" || fail "cluster.py"
echo "cluster: ok"
