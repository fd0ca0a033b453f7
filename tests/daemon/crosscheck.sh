#!/bin/sh
# Does stoked's index agree with what varnishd holds?  For each URL, ask
# the index first (all of them, before any request changes anything),
# then ask Varnish: an object the index holds fresh or stale must be a
# hit (stale ones are served in grace), one it does not hold a miss.
#
# usage: crosscheck.sh API_PORT VARNISH_ADDR:PORT URL...
set -eu
api=$1
varnish=$2
shift 2

state() {
	j=$(curl -sf "http://127.0.0.1:$api/api/v1/index?host=$varnish&url=$1")
	n=$(printf '%s' "$j" | sed -n 's/.*"matched":\([0-9]*\).*/\1/p')
	if [ "${n:-0}" -eq 0 ]; then
		echo absent
	elif printf '%s' "$j" | grep -q '"ttl_left":-'; then
		echo stale
	else
		echo fresh
	fi
}

for u in "$@"; do
	echo "$u $(state "$u")"
done > "${TMPDIR:-/tmp}/crosscheck.$$"

bad=0
while read -r u s; do
	xv=$(curl -s -o /dev/null -w '%{header_json}' "http://$varnish$u" |
	    sed -n 's/.*"x-varnish":\["\([0-9 ]*\)"\].*/\1/p')
	case "$xv" in
	*" "*) got=hit ;;
	*) got=miss ;;
	esac
	want=hit
	[ "$s" = absent ] && want=miss
	printf '%-14s index: %-6s varnish: %s\n' "$u" "$s" "$got"
	[ "$got" = "$want" ] || bad=$((bad + 1))
done < "${TMPDIR:-/tmp}/crosscheck.$$"
rm -f "${TMPDIR:-/tmp}/crosscheck.$$"
[ "$bad" -eq 0 ] || { echo "$bad disagreements" >&2; exit 1; }
