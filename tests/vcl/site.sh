#!/bin/sh
# Prepare one of the shipped VCL files for a test run: wait until the
# test origin (started by the test) says where it listens, write a shared
# secret, and render the VCL with that port and secret into DIR/site.vcl;
# its doorbell rings at DIR/doorbell.
#
# usage: site.sh VCL DIR     (the origin writes its banner to DIR/origin.out)
set -eu
vcl=$1
dir=$2

port=$("$(dirname "$0")/../lib/wait_port.sh" "$dir/origin.out")

echo "0123456789abcdef0123456789abcdef" > "$dir/secret"
sed -e "s|/etc/varnish/stoke.secret|$dir/secret|" \
    -e "s|/run/stoked/doorbell|$dir/doorbell|" \
    -e "s|\.port = \"8080\"|.port = \"$port\"|" "$vcl" > "$dir/site.vcl"
grep -q "\"$port\"" "$dir/site.vcl"
echo "$port"
