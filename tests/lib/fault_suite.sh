# What the tests/faults suites share on top of db_suite.sh (source that
# first):
#
#   metric PORT NAME        the sum of NAME's samples on PORT's /metrics
#                           (every label), 0 when it has none
#   until_sh SECONDS CMD... poll until CMD succeeds, or fail saying so
#   origin_stat PORT KEY    a line of the test origin's /stats
#
# Every wait has a deadline: a fault that hangs a suite is a failure.

metric() {
	curl -sf -m 5 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '
	    $1 == n || index($1, n "{") == 1 { s += $NF }
	    END { printf "%d\n", s }'
}

until_sh() {
	until_end=$(($(date +%s) + $1))
	shift
	until "$@" 2> /dev/null; do
		[ "$(date +%s)" -lt "$until_end" ] || fail "not within deadline: $*"
		sleep 0.1
	done
}

origin_stat() {
	curl -sf -m 5 "http://127.0.0.1:$1/stats" | sed -n "s/^$2 //p"
}

# gt A B: A > B, both numbers (for until_sh).
gt() {
	[ "$1" -gt "$2" ]
}

# metric_gt PORT NAME N: NAME's sum is above N now.
metric_gt() {
	[ "$(metric "$1" "$2")" -gt "$3" ]
}

# metric_is PORT NAME N
metric_is() {
	[ "$(metric "$1" "$2")" -eq "$3" ]
}

# pg_again: the suite's PostgreSQL, stopped by pg_stop, started again
# as pg.sh started it.
pg_again() {
	pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
	    -t 60 -o "-c listen_addresses='' -c unix_socket_directories='$PGSOCK' -c fsync=off -c max_connections=200" \
	    start > /dev/null || fail "PostgreSQL does not start again"
}
