#!/bin/sh
# The whole topology on one machine, on loopback: two varnishd nodes
# (vcl/shopware6.vcl) with a stoked agent each, two stoked serve
# replicas behind a small round-robin proxy (deploy/rr_proxy.py) that
# the agents and the tenant talk to, three stoked workers, one
# PostgreSQL.  While a sitemap job runs and purges and broadcast tag
# invalidations go on, each piece is restarted in turn: the workers
# (one SIGKILLed), each serve replica, each agent (SIGKILLed, its spool
# kept in --state-dir), node 1's child.  The job ends with one result
# per URL and node, every invalidation is stored once, every URL is a
# hit on both nodes at the end, and nothing crashed.  The assertions,
# and the processes they restart, are in topology.py; this sets up the
# rest.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin topology
suite_pg
products=400
# 40 ms a page, two fetches at a time per node: a job of 400 URLs
# lasts the rolling restart.
suite_origin origin -n $products -d 40
suite_varnish va shopware6.vcl
suite_varnish vb shopware6.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"

python3 "$TESTS_DIR/deploy/topology.py" "$STOKED" "$work" "$PGURL" \
    "$va" "$vb" "$origin" "$TESTS_DIR" "$products" || fail "topology.py"
echo "topology: ok"
