# A throwaway PostgreSQL cluster for one test suite: Debian's server
# binaries, a data directory and a Unix socket under the suite's own
# directory, no TCP port, fsync off.  Source it, then:
#
#   pg_start DIR    # sets PGURL (a libpq URL) and PGSOCK
#   pg_stop
#
# PostgreSQL refuses to run as root; as root the cluster runs as the
# postgres user, which Debian's postgresql package creates.

pg_bindir() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	PGDIR=$1
	PGBIN=$(pg_bindir)
	if [ -z "$PGBIN" ]; then
		echo "pg.sh: no PostgreSQL server binaries (postgresql package)" >&2
		return 1
	fi
	mkdir -p "$PGDIR"
	chmod 755 "$PGDIR"
	[ "$(id -u)" -ne 0 ] || chown postgres "$PGDIR"
	PGSOCK=$PGDIR/sock
	pg_as mkdir -p "$PGSOCK"
	pg_as "$PGBIN/initdb" -D "$PGDIR/data" -U stoke -A trust -E UTF8 \
	    --no-sync > "$PGDIR/initdb.log" 2>&1 || {
		cat "$PGDIR/initdb.log" >&2
		return 1
	}
	pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
	    -t 60 -o "-c listen_addresses='' -c unix_socket_directories='$PGSOCK' -c fsync=off -c max_connections=200" \
	    start > /dev/null || {
		cat "$PGDIR/server.log" >&2
		return 1
	}
	psql -X -q -h "$PGSOCK" -U stoke -d postgres \
	    -c "CREATE DATABASE stoke" > /dev/null || return 1
	PGURL="postgresql://stoke@/stoke?host=$PGSOCK"
	export PGURL PGSOCK PGDIR PGBIN
}

pg_stop() {
	[ -n "${PGDIR:-}" ] && [ -d "$PGDIR/data" ] || return 0
	pg_as "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop > /dev/null 2>&1
}
