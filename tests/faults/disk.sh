#!/bin/sh
# A full disk under stoked run's embedded PostgreSQL (--state-dir on a
# small filesystem) and under stoked agent's spool (--state-dir too):
# each says clearly that the disk is full, nothing crashes, and once
# there is room again writing resumes by itself, nothing written twice.
#
# The small filesystems are tmpfs mounts (as root, as CI runs); else a
# loop-mounted ext4 image; when neither can be mounted, the cases are
# skipped, said, and the suite passes.
set -eu
. "$TESTS_DIR/lib/db_suite.sh"
. "$TESTS_DIR/lib/fault_suite.sh"

suite_begin disk
suite_origin oport -n 400
suite_varnish v default.vcl
n="$work/v/n"

# small_fs DIR MB: a filesystem of MB megabytes mounted on DIR, left on
# exit; fails when none can be mounted here.
small_fs() {
	mkdir -p "$1"
	if mount -t tmpfs -o "size=$2m,mode=0755" tmpfs "$1" 2> /dev/null; then
		suite_atexit "umount -l '$1'"
		return 0
	fi
	truncate -s "$2M" "$1.img" && mkfs.ext4 -q -F "$1.img" \
	    > /dev/null 2>&1 || return 1
	mount -o loop "$1.img" "$1" 2> /dev/null || return 1
	suite_atexit "umount -l '$1'"
	chmod 755 "$1"
}

# fill DIR: not a byte left on DIR's filesystem; unfill DIR: room again.
fill() {
	dd if=/dev/zero of="$1/filler" bs=64k 2> /dev/null || true
	dd if=/dev/zero of="$1/filler2" bs=512 2> /dev/null || true
}
unfill() {
	rm -f "$1/filler" "$1/filler2"
}

# purge FROM TO: visitors cache pages FROM to TO, which are purged then:
# each purge is an invalidation and a re-warm, rows to write.
purge() {
	seq "$1" "$2" | xargs -P 2 -I N \
	    curl -sf -o /dev/null "http://127.0.0.1:$v/product/N"
	seq "$1" "$2" | xargs -P 2 -I N \
	    curl -sf -o /dev/null -X PURGE "http://127.0.0.1:$v/product/N"
}

# purge_until WHY CMD...: pages $i, $i + 1... purged one after another
# (a batch each, as likely as not) until CMD holds, within 30 s.
purge_until() {
	pu_why=$1
	shift
	pu_end=$(($(date +%s) + 30))
	until "$@"; do
		[ "$(date +%s)" -lt "$pu_end" ] || fail "$pu_why"
		purge "$i" "$i"
		i=$((i + 1))
		sleep 0.05
	done
}

# The control plane's stand-in, with the agent's token.
tok=sta_0123456789abcdefghijABCDEFGHIJ0123456789
echo "$tok" > "$work/token"
. "$TESTS_DIR/lib/control_plane.sh"

st_true() {
	[ "$(st "$1")" = True ]
}

# said_once FILE TEXT: FILE has one line with TEXT.
said_once() {
	[ "$(grep -cF "$2" "$1" || true)" -eq 1 ] ||
	    fail "$1: not one line with \"$2\": $(grep -cF "$2" "$1" || true)"
}

# said_by_turns FILE DOWN UP: FILE says DOWN, and says it again only
# once it has said UP in between: an outage told once, not a line a
# failed write.  (PostgreSQL may find a page's room on the full disk,
# a checkpoint's or a recycled WAL segment's: a write that then goes
# through ends the outage as far as stoked can tell.)
said_by_turns() {
	grep -F -e "$2" -e "$3" "$1" | awk -v down="$2" '
		index($0, down) { if (last == "down") bad = 1; last = "down"; n++; next }
		{ last = "up" }
		END { exit (n == 0 || bad) }' ||
	    fail "$1: \"$2\" not told once an outage: $(grep -cF "$2" "$1" || true)"
}

echo "== stoked run's embedded PostgreSQL on a full disk"
state="$work/state"
# Killed, stoked run would leave its server running in the mount: it is
# stopped before the mount goes.
suite_atexit "pg_as $(pg_bindir)/pg_ctl -D '$state/pg/data' -m immediate stop > /dev/null 2>&1"
if ! small_fs "$state" 80; then
	echo "SKIP: no small filesystem can be mounted here: the embedded"
	echo "PostgreSQL's full disk is not tested"
else
	"$STOKED" run -n "$n" --node "http://127.0.0.1:$v" \
	    --secret-file "$work/secret" --listen 127.0.0.1:0 \
	    --state-dir "$state" > "$work/run.log" 2>&1 &
	run=$!
	suite_bg "$run"
	mport=$("$TESTS_DIR/lib/wait_port.sh" "$work/run.log")
	db=$(sed -n 's/^stoked: storing results in //p' "$work/run.log")
	rundb() {
		psql -X -At "$db" -c "$1"
	}
	rundb_is() {
		[ "$(rundb "$1")" = "$2" ]
	}
	"$TESTS_DIR/lib/wait_metric.sh" "$mport" '^stoke_db_connected 1$'
	purge 1 20
	until_sh 30 metric_is "$mport" stoke_db_rows_buffered 0
	until_sh 30 metric_gt "$mport" stoke_db_rows_written_total 0

	echo "-- the disk full: rows wait, the error said once"
	fill "$state"
	e=$(metric "$mport" stoke_db_flush_errors_total)
	purge 21 60
	until_sh 30 metric_gt "$mport" stoke_db_flush_errors_total "$e"
	metric_gt "$mport" stoke_db_rows_buffered 0 ||
	    fail "no rows wait while the disk is full"
	metric_is "$mport" stoke_db_rows_dropped_total 0 ||
	    fail "rows dropped while they fit in memory"
	purge 61 80
	alive "$run" || fail "stoked run died with the disk full"
	curl -sf -o /dev/null "http://127.0.0.1:$mport/healthz" ||
	    fail "stoked run does not answer with the disk full"
	said_by_turns "$work/run.log" "the database's disk is full" \
	    "writing to the database again"
	grep -F "disk is full" "$work/run.log"

	echo "-- room again: what waited is written, once"
	unfill "$state"
	until_sh 30 metric_is "$mport" stoke_db_rows_buffered 0
	grep -F -e "disk is full" -e "writing to the database again" \
	    "$work/run.log" | tail -1 | grep -qF "writing to the database again" ||
	    fail "room again, and not said"
	said_by_turns "$work/run.log" "the database's disk is full" \
	    "writing to the database again"
	purge 81 90
	until_sh 30 rundb_is "SELECT count(DISTINCT url) FROM page_results" 90
	rundb_is "SELECT count(*) FROM page_results" 90 ||
	    fail "a result written twice: $(rundb "SELECT url, count(*)
	        FROM page_results GROUP BY 1 HAVING count(*) > 1")"
	rundb_is "SELECT count(*) FROM invalidation_events" 90 ||
	    fail "not one row a purge: $(rundb "SELECT count(*)
	        FROM invalidation_events")"
	kill "$run"
	wait_exit "$run" 30 || fail "stoked run exited $?"
fi

echo "== stoked agent's spool on a full disk"
astate="$work/astate"
if ! small_fs "$astate" 1; then
	echo "SKIP: no small filesystem can be mounted here: the agent's"
	echo "spool's full disk is not tested"
else
	cp_start
	# Every batch to disk: none waits in memory.
	"$STOKED" agent -n "$n" --node "http://127.0.0.1:$v" \
	    --secret-file "$work/secret" --control "$cp" \
	    --token-file "$work/token" --listen 127.0.0.1:0 --poll-wait 1 \
	    --agent-name node-a --state-dir "$astate" --spool-memory 0 \
	    > "$work/agent.log" 2>&1 &
	ap=$!
	suite_bg "$ap"
	aport=$("$TESTS_DIR/lib/wait_port.sh" "$work/agent.log")
	"$TESTS_DIR/lib/wait_metric.sh" "$aport" '^stoke_agent_link_up 1$'
	purge 101 105
	until_sh 20 st_true "len(s['invalidations']) >= 5"
	cp_stop

	echo "-- the disk full: rows dropped and counted, said once"
	fill "$astate"
	i=106
	purge_until "no rows dropped" metric_gt "$aport" \
	    stoke_agent_rows_dropped_total 0
	purge "$i" $((i + 5))
	alive "$ap" || fail "the agent died with the disk full"
	curl -sf -o /dev/null "http://127.0.0.1:$aport/healthz" ||
	    fail "the agent does not answer with the disk full"
	said_once "$work/agent.log" "a batch cannot be written"
	grep -F "cannot be written" "$work/agent.log"

	echo "-- room again: batches spool on disk, and are sent once"
	unfill "$astate"
	d=$(metric "$aport" stoke_agent_rows_dropped_total)
	i=$((i + 6))
	purge_until "nothing spooled again" metric_gt "$aport" \
	    stoke_agent_spool_bytes 0
	said_once "$work/agent.log" "batches are written again"
	metric_is "$aport" stoke_agent_rows_dropped_total "$d" ||
	    fail "rows dropped with room on disk"
	ls "$astate/spool/"*.batch > /dev/null || fail "no batch on disk"
	cp_start
	until_sh 30 metric_is "$aport" stoke_agent_spool_rows 0
	until_sh 20 st_true "any(i['subject'].endswith('/product/$((i - 1))')
	    for i in s['invalidations'].values())"
	# The batches dropped leave gaps in the order, no more.
	st_true "s['dup_rows'] == [] and all(int(k.split(':')[1]) > last
	    for k, last in s['order_errors'])" ||
	    fail "rows twice or out of order: $(st "s['dup_rows'],
	        s['order_errors']")"
	kill "$ap"
	wait_exit "$ap" 30 || fail "the agent exited $?"
fi
echo "disk: ok"
