#!/bin/sh
# Poll stoked's /metrics until a line matches the extended regex, or fail
# after a deadline (10 s) printing what the metrics were.
#
# usage: wait_metric.sh PORT REGEX
set -eu
i=0
while [ $i -lt 200 ]; do
	if curl -sf "http://127.0.0.1:$1/metrics" | grep -Eq "$2"; then
		exit 0
	fi
	i=$((i + 1))
	sleep 0.05
done
echo "wait_metric.sh: no line matches /$2/ in:" >&2
curl -s "http://127.0.0.1:$1/metrics" >&2 || true
exit 1
