#!/bin/sh
# Run the benchmarks on an optimised build (no sanitizers), each figure
# beside a peer or a limit measured in the same run, and print them as
# one table headed by the machine and the build; the same written as
# JSON, for bench/compare.py.  See bench/README.md.
#
# usage: bench/run.sh [--json FILE] [--only NAME...] [SECONDS-OF-LOAD]
#   NAME: a bench script (api, vsl_reader, ...) or a figure's key
#   (api_results, warm_throughput, ...): only the scripts that make
#   them run, and the table shows those figures.
#   --json: default _build/bench/bench-DATE.json.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/_build/bench"
tab=$(printf '\t')
json= only= secs=

usage() {
	sed -n 's/^# usage: /usage: /p' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--json)
		[ $# -ge 2 ] || usage
		json=$2
		shift 2
		;;
	--json=*)
		json=${1#--json=}
		shift
		;;
	--only)
		shift
		while [ $# -gt 0 ] && [ "${1#-}" = "$1" ] &&
		    [ -n "$(echo "$1" | tr -d 0-9)" ]; do
			only="$only $1"
			shift
		done
		[ -n "$only" ] || usage
		;;
	-*)
		usage
		;;
	*)
		[ -z "$(echo "$1" | tr -d 0-9)" ] || usage
		secs=$1
		shift
		;;
	esac
done
stamp=$(date -u +%Y%m%d-%H%M%S)
json=${json:-$build/bench-$stamp.json}

"$top/scripts/install-deps.sh"
mkdir -p "$build"
"$top/scripts/build.sh" "$build" > "$build/build.log" 2>&1 ||
    { cat "$build/build.log" >&2; exit 1; }
make -s -C "$build/bench" $(sed -n 's/^EXTRA_PROGRAMS = //p' "$top/bench/Makefile.am")

work=$(mktemp -d /tmp/stoke-bench-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
: > "$work/figures"
: > "$work/notes"

# The machine and the build, "section<TAB>what<TAB>description".
. "$top/tests/lib/pg.sh"
describe() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$work/header"
}
describe machine cpu "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
describe machine cores "$(nproc)"
describe machine memory "$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
describe machine kernel "$(uname -sr)"
describe machine debian "$(cat /etc/debian_version 2> /dev/null || echo -)"
describe machine varnishd "$(varnishd -V 2>&1 | head -1)"
describe machine postgres "$("$(pg_bindir)/postgres" --version 2> /dev/null || echo -)"
describe build git "$(git -C "$top" describe --always --dirty 2> /dev/null || echo -)"
cc=$(sed -n "s/^CC='\(.*\)'$/\1/p" "$build/config.log" | head -1)
describe build compiler "$(${cc:-cc} --version 2> /dev/null | head -1)"
describe build cflags "$(sed -n "s/^CFLAGS='\(.*\)'$/\1/p" "$build/config.log" | head -1)"
describe run date "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
describe run arguments "$(echo "${secs:+$secs s of load,}${only:+ only$only}" |
    sed 's/^ //; s/,$//')"
describe run load_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# wanted NAME KEYS: whether --only asks for the script NAME, one of its
# figures' KEYS, or a key NAME_... of a script whose keys are not known
# beforehand.
wanted() {
	[ -z "$only" ] && return 0
	for w in $only; do
		case " $1 $2 " in
		*" $w "*) return 0 ;;
		esac
		case $w in
		"$1"_*) return 0 ;;
		esac
	done
	return 1
}

# bench NAME KEYS TITLE COMMAND...: runs COMMAND when wanted; its
# output shown but for its FIGURE lines, which are kept, each after its
# script's name.
bench() {
	name=$1 keys=$2 title=$3
	shift 3
	wanted "$name" "$keys" || return 0
	echo "== $title"
	{
		rc=0
		"$@" || rc=$?
		echo "$rc" > "$work/rc"
	} | while IFS= read -r line; do
		case $line in
		"FIGURE$tab"*) printf '%s\t%s\n' "$name" "$line" >> "$work/figures" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done
	rc=$(cat "$work/rc")
	if [ "$rc" -ne 0 ]; then
		printf 'failed\t%s\texit %s\n' "$name" "$rc" >> "$work/notes"
	elif ! grep -q "^$name$tab" "$work/figures"; then
		printf 'failed\t%s\tno figure printed\n' "$name" >> "$work/notes"
	fi
	echo
}

# skip NAME KEYS WHY: a script that cannot run here.
skip() {
	wanted "$1" "$2" || return 0
	echo "== $1: skipped, $3"
	echo
	printf 'skipped\t%s\t%s\n' "$1" "$3" >> "$work/notes"
}

bench ban_eval ban_eval "ban evaluation over 1M indexed objects" \
    "$build/bench/ban_eval"
bench index_mem "index_bytes index_get" \
    "the cache index: memory and speed at 1M objects" \
    "$build/bench/index_mem"
bench vsl_reader "vsl_read_rate vsl_lost" "reading varnishd's log" \
    "$top/bench/vsl_reader.sh" "$build" "${secs:-10}"
bench rewarm_latency "rewarm_p99 rewarm_p50" "re-warming after a purge" \
    "$top/bench/rewarm_latency.sh" "$build" 200
if [ -x "$top/bench/invalidation.sh" ]; then
	bench invalidation "" "tag invalidations while visitors browse" \
	    "$top/bench/invalidation.sh" "$build"
else
	skip invalidation "" "no bench/invalidation.sh"
fi
bench warm_throughput \
    "warm_throughput warm_throughput_one_loop warm_throughput_batch_peer warm_client_cpu" \
    "warm throughput on cached URLs" \
    "$top/bench/warm_throughput.sh" "$build" 50000 32 "${secs:-3}"
bench result_store \
    "sitemap_jobs result_store_warm result_store_rows result_store_backlog" \
    "sitemap jobs, and storing their results" \
    "$top/bench/result_store.sh" "$build" 16
bench api "api_results api_analytics_p99 api_analytics" \
    "the tenants' API against pgbench on the same statements" \
    "$top/bench/api.sh" "$build" "${secs:-20}" 8
bench agent "agent_rewarm_p99 agent_ingest" \
    "stoked agent: re-warming while reporting, and a control plane's intake" \
    "$top/bench/agent.sh" "$build" 100 200000
modules=${PLAYWRIGHT_MODULES:-$top/dashboard/node_modules}
if [ -d "$modules/playwright-core" ] &&
    command -v "${CHROMIUM:-/usr/bin/chromium}" > /dev/null; then
	export PLAYWRIGHT_MODULES="$modules"
	bench render "render_rate render_mem" \
	    "render mode against playwright-core" "$top/bench/render.sh" "$build"
else
	skip render "render_rate render_mem" \
	    "no Chromium or no playwright-core (npm ci in dashboard/)"
fi

describe run load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$(dirname "$json")"
python3 "$top/bench/table.py" "$work/header" "$work/figures" "$work/notes" \
    "$json" $only
! grep -q '^failed' "$work/notes"
