#!/bin/sh
# Install the Debian packages in scripts/packages.txt that are missing.
# Runs apt only when something is missing, so a prepared machine is not
# touched and needs no network.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
list="$here/packages.txt"

missing=
for p in $(sed -e 's/#.*//' "$list"); do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo > /dev/null; then
	sudo=sudo
else
	echo "install-deps: need root (or sudo) to install:$missing" >&2
	exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing > /dev/null
