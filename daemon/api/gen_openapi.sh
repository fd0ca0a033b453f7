#!/bin/sh
# Compile the API's description into stoked: print a C file defining
# api_openapi_json, the text of FILE as it is, one C string piece per
# line.  Plain sh and awk, as gen_migrations.sh, so that building needs
# nothing more; that the file is valid JSON and OpenAPI is for the
# tests (tests/api/openapi.sh).
#
# usage: gen_openapi.sh FILE
set -eu

f=$1
[ -s "$f" ] || {
	echo "gen_openapi.sh: $f: missing or empty" >&2
	exit 1
}
echo "/* Made by gen_openapi.sh from api/openapi.json: do not edit. */"
echo
echo '#include "config.h"'
echo
echo '#include "api/api_openapi.h"'
echo
echo 'const char api_openapi_json[] ='
# One piece per line, each with its newline but the last's
# (http_api_reply_text ends the answer with one).  Character by
# character, because awk implementations disagree on backslashes in
# gsub(); '?' is escaped so that no trigraph can form.
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
NR > 1 { printf "    \"%s\\n\"\n", prev }
{ prev = esc($0) }
END { printf "    \"%s\";\n", prev }
' "$f"
