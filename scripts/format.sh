#!/bin/sh
# Check (default) or apply (--fix) the project's clang-format style to
# every C file git knows about.
set -eu

cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './_build/*')
if [ "${1:-}" = "--fix" ]; then
	# shellcheck disable=SC2086
	clang-format -i $files
else
	# shellcheck disable=SC2086
	clang-format --dry-run --Werror $files
fi
