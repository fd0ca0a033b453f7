#!/bin/sh
# Print the port a test server announced in FILE with a line ending in
# "listening on ADDR:PORT", polling until it appears (10 s at most).
#
# usage: wait_port.sh FILE
set -eu
i=0
while [ $i -lt 200 ]; do
	port=$(sed -n 's/.* listening on .*:\([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null || true)
	if [ -n "$port" ]; then
		echo "$port"
		exit 0
	fi
	i=$((i + 1))
	sleep 0.05
done
echo "wait_port.sh: nothing listening in $1:" >&2
cat "$1" >&2 2>/dev/null || true
exit 1
