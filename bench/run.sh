#!/bin/sh
# Run every benchmark on an optimised build (no sanitizers) and print
# each figure beside a peer measured in the same run.
#
# usage: bench/run.sh [SECONDS-OF-LOAD]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/_build/bench"

"$top/scripts/install-deps.sh"
mkdir -p "$build"
"$top/scripts/build.sh" "$build" > "$build/build.log" 2>&1 ||
    { cat "$build/build.log" >&2; exit 1; }
make -s -C "$build/bench" $(sed -n 's/^EXTRA_PROGRAMS = //p' "$top/bench/Makefile.am")

echo "== ban evaluation over 1M indexed objects"
"$build/bench/ban_eval"
echo
echo "== the cache index: memory and speed at 1M objects"
"$build/bench/index_mem"
echo
echo "== reading varnishd's log"
"$top/bench/vsl_reader.sh" "$build" "${1:-10}"
echo
echo "== re-warming after a purge"
"$top/bench/rewarm_latency.sh" "$build" 200
echo
echo "== warm throughput on cached URLs"
"$top/bench/warm_throughput.sh" "$build" 50000 32 "${1:-10}"
echo
echo "== storing results while warming"
"$top/bench/result_store.sh" "$build" 16
echo
echo "== the tenants' API against pgbench on the same statements"
"$top/bench/api.sh" "$build" "${1:-20}" 8
echo
echo "== stoked agent: re-warming while reporting, and a control plane's intake"
"$top/bench/agent.sh" "$build" 100 200000
