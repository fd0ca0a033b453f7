#!/bin/sh
# The Helm chart (deploy/helm/stoke) and the images' Dockerfiles,
# without a cluster or a container engine.  A real helm lints the chart
# and renders it for the default values and each variant below; every
# manifest is validated against the Kubernetes API's schemas with
# unknown fields refused (k8s_validate.mjs), and helm_check.py asserts
# what the chart promises on each.  The rendered VCL is compiled by
# varnishd -C; bad values must be refused; the README's table of values
# must be the schema's; the Dockerfiles are checked by
# dockerfile_check.py (no hadolint is to be had from Debian or npm).
#
# Skipped (77) only when helm is missing and scripts/install-helm.sh
# cannot install it (scripts/test.sh counts that skip as a failure).
set -eu

top=$TOP_SRCDIR
here=$TESTS_DIR/deploy
chart=$top/deploy/helm/stoke
work=$TESTS_BUILDDIR/deploy/helm.work
rm -rf "$work"
mkdir -p "$work"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

if ! command -v helm > /dev/null; then
	"$top/scripts/install-helm.sh" || true
fi
if ! command -v helm > /dev/null; then
	echo "SKIP: no helm, and scripts/install-helm.sh could not install it"
	exit 77
fi
helm version --template 'helm {{.Version}}
'

# The validators, from the npm registry at the versions locked.
k8s=$TESTS_BUILDDIR/deploy/k8s
mkdir -p "$k8s"
if ! cmp -s "$here/package-lock.json" "$k8s/package-lock.json" ||
    [ ! -d "$k8s/node_modules/kubernetes-models" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$k8s/"
	(cd "$k8s" && npm ci --no-audit --no-fund --prefer-offline \
	    --loglevel=error > "$work/npm.out" 2>&1) || {
		cat "$work/npm.out"
		fail "npm ci of the validators"
	}
fi
# Beside node_modules, where its imports resolve.
cp "$here/k8s_validate.mjs" "$k8s/"
validate() {
	node "$k8s/k8s_validate.mjs" "$@"
}

echo "== lint"
helm lint --strict "$chart" > "$work/lint.out" 2>&1 ||
    { cat "$work/lint.out"; fail "helm lint"; }
helm lint --strict "$chart" --set database.mode=external \
    --set database.external.url=postgresql://db/stoke > "$work/lint.out" 2>&1 ||
    { cat "$work/lint.out"; fail "helm lint, external database"; }
python3 "$top/deploy/helm/values-doc.py" --check "$chart" ||
    fail "the chart's README does not document the values of its schema"
for f in default shopware6; do
	cmp -s "$chart/files/$f.vcl" "$top/vcl/$f.vcl" ||
	    fail "the chart's $f.vcl is not vcl/$f.vcl"
done

# NAME and its helm template options, one a line.
variants='default
external-existing --set database.mode=external --set database.external.existingSecret=pgdsn --set database.external.existingSecretKey=dsn
external-url --set database.mode=external --set database.external.url=postgresql://u:p@db.example:5432/stoke
no-ingress --set serve.ingress.enabled=false
hpa-off --set worker.autoscaling.enabled=false --set worker.replicas=3
shopware6 --set varnish.vcl.source=shopware6 --set varnish.vcl.backend.host=127.0.0.1 --set varnish.vcl.backend.port=8000 --set varnish.vcl.purgers={10.0.0.0/8}
custom
custom-configmap --set varnish.vcl.source=custom --set varnish.vcl.existingConfigMap=my-vcl
no-agent --set agent.enabled=false
tokens --set agent.tokens.t-stoke-varnish-0=sta_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA --set varnish.replicas=3
no-crds'

echo "== render"
echo "$variants" | while read -r name opts; do
	api="--api-versions monitoring.coreos.com/v1"
	[ "$name" != no-crds ] || api=
	extra=
	# A VCL with newlines and quotes is easier from a file.
	if [ "$name" = custom ]; then
		printf 'vcl 4.1;\nbackend b { .host = "10.1.2.3"; }' > "$work/custom.vcl"
		opts="--set varnish.vcl.source=custom"
		extra="--set-file varnish.vcl.custom=$work/custom.vcl"
	fi
	# shellcheck disable=SC2086
	helm template t "$chart" --namespace stoke $api $opts $extra \
	    > "$work/$name.yaml" 2> "$work/$name.err" ||
	    { cat "$work/$name.err"; fail "helm template ($name)"; }
	python3 "$here/helm_check.py" "$top" "$name" "$work/$name.yaml" \
	    "$work/$name.json" || fail "what the chart renders ($name)"
done
[ -f "$work/no-crds.json" ] || fail "a variant was not rendered"

echo "== validate against the Kubernetes API's schemas"
validate "$work"/*.json || fail "manifests the API would refuse"
# The validator itself: an unknown field, a missing required one.
python3 - "$work/default.json" "$work/broken.json" << 'PY'
import json, sys
docs = json.load(open(sys.argv[1]))
for d in docs:
    if d["kind"] == "StatefulSet":
        d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFS"] = True
    if d["kind"] == "HorizontalPodAutoscaler":
        d["spec"]["behavior"]["scaleUp"]["stabilisationWindowSeconds"] = 60
    if d["kind"] == "ServiceMonitor":
        d["spec"]["endpoints"][0]["every"] = "30s"
    if d["kind"] == "Service":
        del d["spec"]["ports"][0]["port"]
json.dump(docs, open(sys.argv[2], "w"))
PY
if validate "$work/broken.json" > "$work/broken.out"; then
	fail "the validator took manifests with unknown fields"
fi
for want in 'unknown field /spec/template/spec/containers/0/securityContext/readOnlyRootFS' \
    'unknown field /spec/behavior/scaleUp/stabilisationWindowSeconds' \
    'unknown field /spec/endpoints/0/every' \
    'must have required property port'; do
	grep -qF "$want" "$work/broken.out" ||
	    { cat "$work/broken.out"; fail "the validator missed: $want"; }
done

echo "== the rendered VCL compiles"
helm template t "$chart" --set varnish.vcl.backend.host=127.0.0.1 \
    --show-only templates/varnish-vcl.yaml > "$work/vcl-default.yaml"
for name in vcl-default shopware6; do
	python3 -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap" and "site.vcl" in d["data"]:
        open(sys.argv[2], "w").write(d["data"]["site.vcl"])
' "$work/$name.yaml" "$work/$name.vcl"
	varnishd -C -n "$work/varnishd" -f "$work/$name.vcl" \
	    -p vcl_path="$top/vcl:/usr/share/varnish/vcl" \
	    -p vmod_path="$VMOD_PATH" > /dev/null 2> "$work/$name.vcc" ||
	    { cat "$work/$name.vcc"; fail "varnishd -C: $name"; }
done

echo "== bad values refused"
refuse() {
	want=$1
	shift
	if helm template t "$chart" "$@" > /dev/null 2> "$work/refused.err"; then
		fail "helm took: $*"
	fi
	grep -qF -- "$want" "$work/refused.err" ||
	    { cat "$work/refused.err"; fail "refused without saying '$want': $*"; }
}
refuse "additional properties 'bogus' not allowed" --set serve.bogus=1
refuse "at '/varnish/vcl/source'" --set varnish.vcl.source=nginx
refuse "needs database.external.url" --set database.mode=external
refuse "at '/agent/tokens/t-stoke-varnish-0'" \
    --set agent.tokens.t-stoke-varnish-0=sta_short
refuse "minReplicas is above maxReplicas" \
    --set worker.autoscaling.minReplicas=30
refuse "needs varnish.vcl.custom" --set varnish.vcl.source=custom
refuse "at '/varnish/replicas'" --set varnish.replicas=0

echo "== Dockerfiles"
python3 "$here/dockerfile_check.py" "$top" \
    "$top/deploy/images/stoked.Dockerfile" stoke || fail "stoked.Dockerfile"
python3 "$here/dockerfile_check.py" "$top" \
    "$top/deploy/images/stoke-varnish.Dockerfile" varnish-stoke ||
    fail "stoke-varnish.Dockerfile"
# The checker itself, on a Dockerfile wrong in four ways.
sed -e 's/^USER 10001:10001/USER root/' \
    -e 's|^COPY \. /src/stoke|COPY no-such-dir /src/stoke|' \
    -e 's/bookworm-slim AS build/latest AS build/' \
    -e 's|rm -rf /var/lib/apt/lists/\* /tmp/debs|rm -rf /tmp/debs|' \
    "$top/deploy/images/stoked.Dockerfile" > "$work/bad.Dockerfile"
if python3 "$here/dockerfile_check.py" "$top" "$work/bad.Dockerfile" stoke \
    > "$work/bad.out"; then
	fail "the Dockerfile checker took a bad Dockerfile"
fi
for want in 'USER root: root' 'COPY no-such-dir' 'debian:latest' \
    'apt lists left'; do
	grep -qF "$want" "$work/bad.out" ||
	    { cat "$work/bad.out"; fail "the Dockerfile checker missed: $want"; }
done

echo "PASS: the chart and the Dockerfiles"
