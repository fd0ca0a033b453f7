#!/bin/sh
# Configure and build Stoke out of tree.
#
# usage: scripts/build.sh BUILDDIR [configure options...]
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$1
shift

cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
    [ -n "$(find . -name Makefile.am -newer configure)" ]; then
	autoreconf -fi > /dev/null
fi

mkdir -p "$builddir"
cd "$builddir"
# Reconfigure when the options change, not on every run.
want="$*"
if [ ! -f Makefile ] || [ "$(cat .stoke-configure 2>/dev/null)" != "$want" ]; then
	"$top/configure" --quiet "$@"
	printf '%s' "$want" > .stoke-configure
fi
make -s -j"$(nproc)"
