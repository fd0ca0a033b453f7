#!/bin/sh
# Poll until a line of FILE matches the extended regex, or fail after a
# deadline (10 s) printing the file.
#
# usage: wait_line.sh FILE REGEX
set -eu
i=0
while [ $i -lt 200 ]; do
	if grep -Eq "$2" "$1" 2>/dev/null; then
		exit 0
	fi
	i=$((i + 1))
	sleep 0.05
done
echo "wait_line.sh: no line matches /$2/ in $1:" >&2
cat "$1" >&2 2>/dev/null || true
exit 1
