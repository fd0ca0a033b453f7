#!/bin/sh
# What visitors ask for, from an agent to the jobs: one varnishd
# (vcl/shopware6.vcl) in front of a Shopware-like origin, its stoked
# agent, one stoked serve, one stoked worker, one PostgreSQL.  Visitors'
# requests through the node come to the control plane as per-path and
# per-term counts (nothing of their query strings but the search term,
# no e-mail address); a sitemap job then ranks a popular product before
# the others of equal <priority>, and a Shopware job warms a term only
# visitors searched beside the configured one, saying which was which.
# The assertions are in popular.py, which starts the control plane, the
# agent and the worker; this sets up the rest.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin popular
suite_pg
suite_origin shop -s shopware -n 6 -l "$work/shop-requests.txt"
suite_varnish v shopware6.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"

python3 "$TESTS_DIR/agent/popular.py" "$STOKED" "$work" "$PGURL" \
    "$v" "$shop" || fail "popular.py"
echo "popular: ok"
