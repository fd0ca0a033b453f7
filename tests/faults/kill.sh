#!/bin/sh
# Each of stoked's long-running commands killed with SIGKILL mid-job and
# started again: stoked serve and stoked worker under a job the workers
# warm, stoked agent and stoked serve under a job an agent warms, stoked
# agent under a ban's re-warm (a job of its own, which its next run
# says failed), stoked run under its sitemap warm (its next run's job).
# Every job ends with every URL warmed exactly once.  The assertions, and the
# processes they kill, are in kill.py; this sets up the rest.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
suite_begin kill
suite_pg
# 20 ms a page, so that a job of a few hundred URLs lasts seconds.
suite_origin origin -n 400 -d 20
suite_varnish v default.vcl

"$STOKED" serve --new-jwt-key > "$work/keys"
chmod 600 "$work/keys"

python3 "$TESTS_DIR/faults/kill.py" "$STOKED" "$work" "$PGURL" "$v" \
    "$origin" || fail "kill.py"
echo "kill: ok"
