# What the tests/db suites share, so that each says only what it tests.
# Source it after "set -eu"; it sources pg.sh.
#
#   suite_begin NAME        $work: a directory of the suite's own; all it
#                           starts is stopped and $work removed on exit
#   suite_pg                a PostgreSQL cluster of its own, migrated:
#                           $PGURL (and pg.sh's $PGDIR, $PGSOCK, $PGBIN)
#   suite_origin VAR [ARG]  a test origin (tests/origin) with ARGs; its
#                           port in VAR, its output in $work/VAR.log
#   suite_varnish VAR VCL   varnishd with vcl/VCL in front of the last
#                           origin started, and the secret in
#                           $work/secret; its port in VAR
#   suite_bg PID            stop PID on exit too
#   suite_atexit COMMAND    run COMMAND on exit too, before the rest
#
# and helpers: fail MESSAGE, q SQL, until_true SECONDS SQL, alive PID,
# wait_exit PID SECONDS, requests PORT (an origin's request count).
# On failure, the end of each $work/*.log is shown.

. "$TESTS_DIR/lib/pg.sh"

suite_pids=
suite_varnishd=
suite_exit=:

suite_cleanup() {
	eval "$suite_exit" || true
	for p in $suite_pids; do
		kill -9 "$p" 2> /dev/null || true
	done
	# The manager stops its child; -9 would leave the child running.
	for p in $suite_varnishd; do
		kill "$p" 2> /dev/null || true
	done
	pg_stop || true
	rm -rf "$work"
}

suite_begin() {
	work=$(mktemp -d "$PWD/$1.XXXXXX")
	# As root the cluster runs as postgres, who must reach the directory.
	chmod 755 "$work"
	trap suite_cleanup EXIT
	trap 'exit 1' INT TERM
}

fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do
		[ -f "$f" ] || continue
		echo "--- ${f##*/}" >&2
		tail -n 10 "$f" >&2
	done
	exit 1
}

q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$PGURL" -c "$1"
}

# until_true SECONDS SQL: poll until the query answers true.
until_true() {
	end=$(($(date +%s) + $1))
	# Quietly: the database may be down for a moment, on purpose.
	while [ "$(q "$2" 2> /dev/null)" != t ]; do
		[ "$(date +%s)" -lt "$end" ] || fail "not within $1 s: $2"
		sleep 0.1
	done
}

# Exited processes are gone even before anyone reaps them (PID 1 of
# some containers does not).
alive() {
	s=$(ps -o stat= -p "$1") || return 1
	case $s in
	Z*) return 1 ;;
	esac
}

# wait_exit PID SECONDS: its exit status, once it exits.
wait_exit() {
	end=$(($(date +%s) + $2))
	while alive "$1"; do
		[ "$(date +%s)" -lt "$end" ] || fail "pid $1 still runs after $2 s"
		sleep 0.1
	done
	rc=0
	wait "$1" || rc=$?
	return $rc
}

requests() {
	curl -sf "http://127.0.0.1:$1/stats" | sed -n 's/^requests //p'
}

suite_bg() {
	suite_pids="$suite_pids $1"
}

suite_atexit() {
	suite_exit="$suite_exit; $1"
}

suite_pg() {
	pg_start "$work/pg"
	"$STOKED" migrate --database-url "$PGURL" > /dev/null
}

suite_origin() {
	suite_v=$1
	shift
	"$ORIGIN" -p 0 "$@" > "$work/$suite_v.log" 2>&1 &
	suite_bg $!
	suite_origin_log=$work/$suite_v.log
	suite_p=$("$TESTS_DIR/lib/wait_port.sh" "$suite_origin_log")
	eval "$suite_v=\$suite_p"
}

suite_varnish() {
	suite_d=$work/$1
	mkdir -p "$suite_d"
	cp "$suite_origin_log" "$suite_d/origin.out"
	sh "$TESTS_DIR/vcl/site.sh" "$TOP_SRCDIR/vcl/$2" "$suite_d" > /dev/null
	cp "$suite_d/secret" "$work/secret"
	varnishd -F -n "$suite_d/n" -a 127.0.0.1:0 -f "$suite_d/site.vcl" \
	    -p vcl_path="$TOP_SRCDIR/vcl" -p vmod_path="$VMOD_PATH" \
	    > "$work/$1.log" 2>&1 &
	suite_varnishd="$suite_varnishd $!"
	suite_end=$(($(date +%s) + 30))
	until suite_p=$(varnishadm -n "$suite_d/n" debug.listen_address \
	    2> /dev/null | awk '{ print $3; exit }') && [ -n "$suite_p" ]; do
		[ "$(date +%s)" -lt "$suite_end" ] ||
		    fail "varnishd did not start"
		sleep 0.2
	done
	eval "$1=\$suite_p"
}
