#!/bin/sh
# Set up and run every test of Stoke on this machine.
#
# Installs what is missing from Debian's packages (and Node.js, and
# helm from the npm registry), builds with ASan and UBSan, builds the
# dashboard and runs its Vitest suite, runs every suite (varnishtest
# cases against a real varnishd, the VCL library against the demo
# origin, unit tests, the dashboard in Chromium), fuzzes each parser of
# untrusted input briefly, checks the code's format and that the release
# tarball builds and passes on its own (make distcheck-short).  The
# fault tests (make check-faults) run after make check.
# Ends with one line: "N passed, N failed".
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build="$top/_build/test"
passed=0
failed=0
failures=

count() {
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures $2"
	fi
}

echo "== installing what is missing"
scripts/install-deps.sh || exit 1

echo "== building with sanitizers"
scripts/build.sh "$build" --enable-sanitizers || exit 1

# Before make check: tests/dashboard/e2e.sh drives this build.
echo "== the dashboard: npm ci, Vitest, vite build"
(cd dashboard && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    npm ci --no-audit --no-fund > "$build/dashboard.out" 2>&1 &&
    npm test >> "$build/dashboard.out" 2>&1 &&
    npm run build >> "$build/dashboard.out" 2>&1)
rc=$?
[ $rc -eq 0 ] || tail -40 "$build/dashboard.out"
grep -E 'Tests|first load' "$build/dashboard.out" || true
count $rc dashboard

# check_log NAME OUTPUT: count what make's test-suite.log says, and
# show the failing cases' logs, for whoever reads CI's output.
check_log() {
	log="$build/tests/test-suite.log"
	if [ ! -f "$log" ]; then
		cat "$2"
		count 1 "$1"
		return
	fi
	p=$(sed -n 's/^# PASS: *//p' "$log")
	f=$(sed -n 's/^# FAIL: *//p' "$log")
	e=$(sed -n 's/^# ERROR: *//p' "$log")
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0}))
	grep -E '^(PASS|FAIL|ERROR|SKIP):' "$2" || true
	if [ "$((${f:-0} + ${e:-0}))" -gt 0 ]; then
		failures="$failures $1"
		for t in $(sed -n 's/^\(FAIL\|ERROR\): //p' "$2"); do
			echo "---- $t"
			case $t in
			*.vtc) grep -E '^(----|\*   top|#)' "$build/tests/${t%.*}.log" | tail -20 ;;
			*) tail -40 "$build/tests/${t%.*}.log" ;;
			esac
		done
	fi
}

echo "== make check"
rm -f "$build/tests/test-suite.log"
(cd "$build" && make -s -j2 check > "$build/check.out" 2>&1)
check_log make-check "$build/check.out"
# Here Node.js and Chromium are installed: a skipped browser suite is a
# failure of this script, not of the dashboard's.
if grep -q '^SKIP: dashboard/e2e.sh' "$build/check.out"; then
	count 1 dashboard-e2e-skipped
fi
# And helm: the install step installed it.
if grep -q '^SKIP: deploy/helm.sh' "$build/check.out"; then
	count 1 deploy-helm-skipped
fi

# After make check, whose test-suite.log check_log has read: this one
# writes its own.
echo "== make check-faults"
rm -f "$build/tests/test-suite.log"
(cd "$build" && make -s check-faults > "$build/faults.out" 2>&1)
check_log make-check-faults "$build/faults.out"

# Each parser of untrusted input fuzzed a few seconds, its kept findings
# replayed: a finding fails (fuzz/README.md).
echo "== fuzzing (smoke)"
(cd "$build" && make -s fuzz-smoke > "$build/fuzz.out" 2>&1)
rc=$?
sed -n '/^harness/,$p' "$build/fuzz.out"
[ $rc -eq 0 ] || tail -30 "$build/fuzz.out"
count $rc fuzz-smoke

echo "== format"
scripts/format.sh
count $? format

# The tarball on its own: built, installed, its unit and varnishtest
# cases and a few shell suites run (the rest ran above).
echo "== make distcheck-short"
(cd "$build" && make -s distcheck-short > "$build/distcheck.out" 2>&1)
rc=$?
[ $rc -eq 0 ] || tail -30 "$build/distcheck.out"
count $rc distcheck

[ -z "$failures" ] || echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
