#!/bin/sh
# Replay each harness's kept findings, then fuzz it for a bounded time;
# print one table.  Exits 1 when anything was found (fuzz/README.md).
#
# usage: run.sh SRC OUT SECONDS HARNESS...
set -u

src=$1
out=$2
secs=$3
shift 3

# Harnesses that make files (the agent's spool) make them in memory
# where there is a tmpfs: a disk's metadata work would be most of their
# time.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR=/dev/shm
	export TMPDIR
fi

status=0
mkdir -p "$out/logs"
table="$out/fuzz-table.txt"
printf '%-12s %8s %12s %9s %7s %8s %8s\n' harness seconds executions "exec/s" \
    corpus regress findings > "$table"
for h in "$@"; do
	bin="$out/fuzz_$h"
	log="$out/logs/$h.log"
	work="$out/corpus/$h"
	found="$out/findings/$h"
	rm -rf "$found"
	mkdir -p "$work" "$found"
	set --
	[ -f "$src/fuzz/$h.dict" ] && set -- "-dict=$src/fuzz/$h.dict"

	# Every input that once crashed must not crash again.
	nreg=0
	rfail=0
	if [ -d "$src/fuzz/regress/$h" ]; then
		for f in "$src/fuzz/regress/$h"/*; do
			[ -f "$f" ] || continue
			nreg=$((nreg + 1))
			if ! "$bin" "$@" "$f" > "$out/logs/$h.regress.log" 2>&1
			then
				rfail=$((rfail + 1))
				cp "$f" "$found/regress-$(basename "$f")"
				tail -30 "$out/logs/$h.regress.log"
			fi
		done
	fi

	# New inputs go to the working corpus, never to the committed seeds.
	start=$(date +%s)
	"$bin" "$@" -max_total_time="$secs" -print_final_stats=1 \
	    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$found/" \
	    "$work" "$src/fuzz/corpus/$h" > "$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -1)
	execs=${execs:-0}
	rate=$((execs / (took > 0 ? took : 1)))
	ncorp=$(find "$work" -type f | wc -l)
	nfound=$(find "$found" -type f | wc -l)
	if [ "$rc" -ne 0 ] && [ "$nfound" -eq 0 ]; then
		# Died without an artifact (the harness's own fault?): say so.
		nfound=1
		cp "$log" "$found/no-artifact.log"
	fi
	if [ "$nfound" -gt 0 ]; then
		status=1
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" |
		    head -5
	fi
	printf '%-12s %8s %12s %9s %7s %8s %8s\n' "$h" "$took" "$execs" \
	    "$rate" "$ncorp" "$nreg" "$nfound" >> "$table"
done
cat "$table"
if [ "$status" -ne 0 ]; then
	echo "findings: $out/findings/<harness>/ (logs: $out/logs/)"
fi
exit $status
