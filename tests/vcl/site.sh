#!/bin/sh
# Prepare one of the shipped VCL files for a test run: wait until the
# test origin (started by the test) says where it listens, write a shared
# secret, and render the VCL with that port and secret into DIR/site.vcl.
#
# usage: site.sh VCL DIR     (the origin writes its banner to DIR/origin.out)
set -eu
vcl=$1
dir=$2

port=
i=0
while [ $i -lt 200 ]; do
	port=$(sed -n 's/^stoke-origin listening on .*:\([0-9][0-9]*\)$/\1/p' \
	    "$dir/origin.out" 2>/dev/null || true)
	[ -n "$port" ] && break
	i=$((i + 1))
	sleep 0.05
done
if [ -z "$port" ]; then
	echo "site.sh: the origin did not start:" >&2
	cat "$dir/origin.out" >&2 || true
	exit 1
fi

echo "0123456789abcdef0123456789abcdef" > "$dir/secret"
sed -e "s|/etc/varnish/stoke.secret|$dir/secret|" \
    -e "s|\.port = \"8080\"|.port = \"$port\"|" "$vcl" > "$dir/site.vcl"
grep -q "\"$port\"" "$dir/site.vcl"
echo "$port"
