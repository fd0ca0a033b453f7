#!/bin/sh
# Compile the migrations into stoked: print a C file holding one
# { version, name, sql } per migration file, in the order given, which
# must be by increasing version.  The version is the number the file's
# name starts with (0002_retention.sql: 2), the name the file's name
# without .sql.  Plain sh and awk, so that building needs nothing more.
#
# usage: gen_migrations.sh SRCDIR FILE...   (each FILE relative to SRCDIR)
set -eu

srcdir=$1
shift

echo "/* Made by gen_migrations.sh from migrations/NNNN_name.sql: do not edit. */"
echo
echo '#include "config.h"'
echo
echo '#include <stddef.h>'
echo
echo '#include "store/migrations.h"'
echo
echo 'const struct migration migrations[] = {'
prev=0
for f in "$@"; do
	name=${f##*/}
	name=${name%.sql}
	num=$(expr "x$name" : 'x\([0-9][0-9]*\)_[A-Za-z0-9_]*$' || true)
	if [ -z "$num" ]; then
		echo "gen_migrations.sh: $f: the name must be NNNN_words.sql" >&2
		exit 1
	fi
	# expr, not printf %d: a leading zero would make the shell read octal.
	version=$(expr "$num" + 0)
	if [ "$version" -le "$prev" ]; then
		echo "gen_migrations.sh: $f: versions must increase" >&2
		exit 1
	fi
	prev=$version
	printf '\t{ %s, "%s",\n' "$version" "$name"
	# One C string piece per line.  Character by character, because
	# awk implementations disagree on backslashes in gsub(); '?' is
	# escaped so that no trigraph can form.
	awk '
	function esc(s,    out, i, c) {
		out = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\\")
				out = out "\\\\"
			else if (c == "\"")
				out = out "\\\""
			else if (c == "\t")
				out = out "\\t"
			else if (c == "\r")
				out = out "\\r"
			else if (c == "?")
				out = out "\\?"
			else
				out = out c
		}
		return out
	}
	{ printf "\t    \"%s\\n\"\n", esc($0) }
	END { if (NR == 0) printf "\t    \"\"\n" }
	' "$srcdir/$f"
	printf '\t},\n'
done
echo '};'
echo
echo 'const size_t migrations_n = sizeof migrations / sizeof migrations[0];'
