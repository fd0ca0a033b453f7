"""What the chart renders, held to what it promises.

usage: helm_check.py TOP VARIANT RENDERED.yaml OUT.json

Reads what helm template printed for VARIANT (one of VARIANTS, in
helm.sh), writes the manifests as a JSON array (OUT, for the schema
validation) and asserts the facts that matter for that variant:
non-root read-only containers, the probes, the agent sharing varnishd's
working directory in memory, the worker's autoscaler, the secrets kept,
the migration hook, the VCL, the database, the monitoring resources
(whose metric names must be ones stoked exports).
"""
import base64
import json
import re
import sys

import yaml

top, variant, rendered, out = sys.argv[1:5]
docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
json.dump(docs, open(out, "w"))
FULL = "t-stoke"
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def find(kind, name=None):
    return [d for d in docs if d["kind"] == kind and
            (name is None or d["metadata"]["name"] == name)]


def one(kind, name):
    found = find(kind, name)
    check(len(found) == 1, f"{kind} {name}: {len(found)} rendered, not 1")
    return found[0] if found else None


def container(pod, name):
    for c in pod["spec"]["containers"]:
        if c["name"] == name:
            return c
    failures.append(f"no container {name}")
    return None


def ann(d):
    return d["metadata"].get("annotations") or {}


metrics = set(re.findall(r'METRIC\(\w+, "(stoke_\w+)"',
                         open(f"{top}/daemon/core/metrics_tbl.h").read()))
check("stoke_queue_depth" in metrics, "metrics_tbl.h: no stoke_queue_depth")


def known_metrics(text, where):
    for m in set(re.findall(r"\bstoke_[a-z_]+", text)):
        base = re.sub(r"_(bucket|sum|count)$", "", m)
        check(m in metrics or base in metrics,
              f"{where}: {m} is no metric stoked exports")


# Every pod: not root, nothing gained, a read-only root.
for d in docs:
    spec = d.get("spec", {})
    tpl = spec.get("jobTemplate", {}).get("spec", spec).get("template")
    if not tpl:
        continue
    where = f"{d['kind']} {d['metadata']['name']}"
    ps = tpl["spec"].get("securityContext", {})
    check(ps.get("runAsNonRoot") is True, f"{where}: pod may run as root")
    check(tpl["spec"].get("automountServiceAccountToken") is False,
          f"{where}: mounts a service account token it has no use for")
    for c in tpl["spec"]["containers"] + tpl["spec"].get("initContainers", []):
        sc = c.get("securityContext", {})
        w = f"{where} {c['name']}"
        check(sc.get("runAsNonRoot") is True, f"{w}: may run as root")
        check((sc.get("runAsUser") or ps.get("runAsUser") or 0) > 0,
              f"{w}: runs as uid 0")
        check(sc.get("readOnlyRootFilesystem") is True,
              f"{w}: root filesystem writable")
        check(sc.get("allowPrivilegeEscalation") is False,
              f"{w}: may escalate")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"],
              f"{w}: keeps capabilities")
        check("resources" in c and c["resources"].get("requests"),
              f"{w}: no resource requests")

# stoked serve: probes on /healthz and /readyz, metrics apart.
serve = one("Deployment", f"{FULL}-serve")
if serve:
    c = container(serve["spec"]["template"], "serve")
    check(c["livenessProbe"]["httpGet"]["path"] == "/healthz",
          "serve: liveness is not /healthz")
    check(c["readinessProbe"]["httpGet"]["path"] == "/readyz",
          "serve: readiness is not /readyz")
    check("--metrics-listen" in c["args"], "serve: /metrics on the API port")
    env = {e["name"]: e for e in c["env"]}
    check("STOKE_DATABASE_URL" in env and "STOKE_JWT_KEYS" in env,
          "serve: database URL or JWT keys not in its environment")

# Varnish with the agent beside it, sharing -n in memory.
varnish = one("StatefulSet", f"{FULL}-varnish")
agent_on = variant != "no-agent"
if varnish:
    pod = varnish["spec"]["template"]
    vols = {v["name"]: v for v in pod["spec"]["volumes"]}
    vd = container(pod, "varnishd")
    args = vd["args"]
    workdir = args[args.index("-n") + 1]
    mounts = {m["mountPath"]: m["name"] for m in vd["volumeMounts"]}
    shared = [p for p in mounts if workdir.startswith(p + "/")]
    check(len(shared) == 1, "varnishd: -n is on no volume")
    wvol = vols.get(mounts[shared[0]]) if shared else None
    check(wvol and wvol.get("emptyDir", {}).get("medium") == "Memory",
          "varnishd: -n is not on a memory-backed emptyDir")
    check(vd["readinessProbe"] and vd["livenessProbe"], "varnishd: no probes")
    ag = [c for c in pod["spec"]["containers"] if c["name"] == "agent"]
    check(bool(ag) == agent_on, "agent sidecar: present or not as asked")
    if ag and shared:
        ag = ag[0]
        check(ag["args"][ag["args"].index("-n") + 1] == workdir,
              "agent: -n is not varnishd's")
        am = {m["mountPath"]: m for m in ag["volumeMounts"]}
        check(shared[0] in am and am[shared[0]]["name"] == mounts[shared[0]],
              "agent: does not mount varnishd's working directory")
        check(am[shared[0]].get("readOnly") is True,
              "agent: may write varnishd's working directory")
        for probe in ("livenessProbe", "readinessProbe"):
            check(ag[probe]["httpGet"]["path"] == "/healthz",
                  f"agent: {probe} is not /healthz")
        token = ag["args"][ag["args"].index("--token-file") + 1]
        check(token.endswith("/$(POD_NAME)"),
              "agent: token file is not the pod's own")
        check("--secret-file" in ag["args"], "agent: no warm secret")
        # The doorbell the VCL rings, on a volume both containers mount.
        bell = ag["args"][ag["args"].index("--doorbell") + 1]
        bdir = bell.rsplit("/", 1)[0]
        check(bdir in am and bdir in mounts and
              am[bdir]["name"] == mounts[bdir],
              "agent: its doorbell is not where varnishd can ring it")
        check(bell == "/run/stoked/doorbell",
              "agent: the doorbell is not where the VCL rings")
    # The VCL and the secret, where the VCL reads them.
    ev = vols["etc-varnish"]["projected"]["sources"]
    cms = [s["configMap"] for s in ev if "configMap" in s]
    check(any(i["path"] == "site.vcl" for i in cms[0]["items"]),
          "varnish: no /etc/varnish/site.vcl")
    check(any("secret" in s and s["secret"]["items"][0]["path"] ==
              "stoke.secret" for s in ev), "varnish: no /etc/varnish/stoke.secret")
    vcl_cm = cms[0]["name"]

# The worker and its autoscaler.
worker = one("Deployment", f"{FULL}-worker")
hpa = find("HorizontalPodAutoscaler")
if variant == "hpa-off":
    check(not hpa, "hpa-off: an HPA rendered")
    check(worker and worker["spec"].get("replicas") == 3,
          "hpa-off: the worker's replicas are not 3")
else:
    check(len(hpa) == 1, "no HPA for the workers")
    if hpa:
        s = hpa[0]["spec"]
        check(s["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind":
              "Deployment", "name": f"{FULL}-worker"}, "HPA: wrong target")
        check(s["minReplicas"] == 2 and s["maxReplicas"] == 20,
              "HPA: not min 2, max 20")
        b = s["behavior"]
        check(b["scaleUp"]["stabilizationWindowSeconds"] == 60,
              "HPA: scale-up stabilisation is not 60 s")
        check(b["scaleDown"]["stabilizationWindowSeconds"] == 300,
              "HPA: scale-down stabilisation is not 300 s")
        kinds = {m["type"]: m for m in s["metrics"]}
        check(kinds.get("Resource", {}).get("resource", {}).get("name") ==
              "cpu", "HPA: not on CPU")
        ext = kinds.get("External", {}).get("external", {})
        check(ext.get("metric", {}).get("name") == "stoke_queue_depth",
              "HPA: not on stoke_queue_depth")
        check(worker and "replicas" not in worker["spec"],
              "HPA on, yet the Deployment sets replicas")

# Secrets made once, kept.
for s in ("jwt", "warm"):
    sec = one("Secret", f"{FULL}-{s}")
    if sec:
        check(ann(sec).get("helm.sh/resource-policy") == "keep",
              f"Secret {s}: not kept")
jwt = one("Secret", f"{FULL}-jwt")
if jwt:
    line = base64.b64decode(jwt["data"]["keys"]).decode()
    kid, _, key = line.partition(" ")
    check(re.fullmatch(r"[A-Za-z0-9._-]{1,63}", kid) and
          len(base64.b64decode(key)) >= 32, f"JWT key line malformed: {kid}")
warm = one("Secret", f"{FULL}-warm")
if warm:
    check(len(base64.b64decode(warm["data"]["stoke.secret"])) >= 16,
          "warm secret under 16 bytes")
if agent_on:
    tokens = one("Secret", f"{FULL}-agent")
    if tokens:
        check(ann(tokens).get("helm.sh/resource-policy") == "keep",
              "Secret agent: not kept")
    if tokens and varnish:
        n = varnish["spec"]["replicas"]
        want = {f"{FULL}-varnish-{i}" for i in range(n)}
        check(set(tokens["data"]) == want, "agent tokens: not one a pod")
        for k, v in tokens["data"].items():
            t = base64.b64decode(v).decode()
            check(re.fullmatch(r"sta_[A-Za-z0-9]{40}", t),
                  f"agent token of {k} malformed")
            if variant == "tokens" and k.endswith("-0"):
                check(t == "sta_" + "A" * 40, "agent token given not used")

# The database.
db = find("Secret", f"{FULL}-database")
pg = find("StatefulSet", f"{FULL}-postgresql")
env = {e["name"]: e for e in container(serve["spec"]["template"], "serve")["env"]} if serve else {}
ref = env.get("STOKE_DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
if variant == "external-existing":
    check(not db and not pg, "external-existing: a database Secret or PostgreSQL")
    check(ref == {"name": "pgdsn", "key": "dsn"},
          "external-existing: not the Secret given")
elif variant == "external-url":
    check(not pg, "external-url: a bundled PostgreSQL rendered")
    check(db and base64.b64decode(db[0]["data"]["url"]).decode() ==
          "postgresql://u:p@db.example:5432/stoke", "external-url: URL not kept")
else:
    check(len(pg) == 1 and len(db) == 1, "bundled: no PostgreSQL or no Secret")
    if db:
        url = base64.b64decode(db[0]["data"]["url"]).decode()
        pw = base64.b64decode(db[0]["data"]["password"]).decode()
        check(url == f"postgresql://stoke:{pw}@{FULL}-postgresql:5432/stoke",
              "bundled: URL is not the bundled PostgreSQL's")
        check(ann(db[0]).get("helm.sh/resource-policy") == "keep",
              "bundled: database Secret not kept")
if db:
    h = ann(db[0]).get("helm.sh/hook", "")
    check("pre-install" in h and "pre-upgrade" in h,
          "database Secret: not there before the migration hook")

# Migrations: a hook Job, before an upgrade, and before an install
# unless the database is the release's own.
job = one("Job", f"{FULL}-migrate")
if job:
    a = ann(job)
    hooks = set(a.get("helm.sh/hook", "").split(","))
    check("pre-upgrade" in hooks, "migrate: not a pre-upgrade hook")
    first = "post-install" if pg else "pre-install"
    check(first in hooks, f"migrate: not a {first} hook")
    check("before-hook-creation" in a.get("helm.sh/hook-delete-policy", ""),
          "migrate: an old Job would block the next")
    check(int(a.get("helm.sh/hook-weight", "0")) >
          int(ann(db[0]).get("helm.sh/hook-weight", "0")) if db else True,
          "migrate: runs before its database Secret")
    c = job["spec"]["template"]["spec"]["containers"][0]
    check(c["args"] == ["migrate"], "migrate: not stoked migrate")

# Ingress.
ing = find("Ingress")
check(bool(ing) == (variant != "no-ingress"), "Ingress: present or not as asked")

# PodDisruptionBudgets and NetworkPolicies for each part.
for part in ("varnish", "serve", "worker"):
    one("PodDisruptionBudget", f"{FULL}-{part}")
    one("NetworkPolicy", f"{FULL}-{part}")

# The VCL.
vcl = find("ConfigMap", f"{FULL}-vcl")
if variant == "custom-configmap":
    check(not vcl and varnish and vcl_cm == "my-vcl",
          "custom-configmap: not the ConfigMap given")
else:
    text = vcl[0]["data"]["site.vcl"] if check(vcl, "no VCL ConfigMap") else ""
    if variant == "custom":
        check(text == "vcl 4.1;\nbackend b { .host = \"10.1.2.3\"; }",
              "custom: the VCL is not the one given")
    elif variant == "shopware6":
        check("import xkey;" in text, "shopware6: not Shopware's VCL")
        check('.host = "127.0.0.1";\n\t.port = "8000";' in text,
              "shopware6: backend not the one given")
        check('\t"10.0.0.0/8";\n}' in text, "shopware6: purgers not added")
    else:
        check('.host = "origin";\n\t.port = "80";' in text,
              "default: backend not origin:80")
        check("8080" not in text, "default: the library's backend left")

# Monitoring: only with the Prometheus Operator's API.
crds = variant != "no-crds"
sm, pr = find("ServiceMonitor"), find("PrometheusRule")
check(bool(sm) == crds and bool(pr) == crds,
      "ServiceMonitor/PrometheusRule: present or not as the API is")
if pr:
    rules = pr[0]["spec"]["groups"][0]["rules"]
    names = {r["alert"] for r in rules}
    check(names == {"StokeQueueBackingUp", "StokeOriginBreakerOpen",
                    "StokeAgentSilent", "StokeDatabaseDown"},
          f"alerts: {sorted(names)}")
    known_metrics(" ".join(r["expr"] for r in rules), "PrometheusRule")
if sm:
    ports = {e["port"] for s in sm for e in s["spec"]["endpoints"]}
    want = {"metrics", "agent-metrics"} if agent_on else {"metrics"}
    check(ports == want, f"ServiceMonitors: {ports}")
dash = one("ConfigMap", f"{FULL}-dashboard")
if dash:
    check(dash["metadata"]["labels"].get("grafana_dashboard") == "1",
          "dashboard: no grafana_dashboard label")
    panels = json.loads(dash["data"]["stoke.json"])["panels"]
    check(len(panels) >= 8, "dashboard: few panels")
    known_metrics(dash["data"]["stoke.json"], "dashboard")

for f in failures:
    print(f"{variant}: {f}")
print(f"{variant}: {len(docs)} manifests, {len(failures)} failures")
sys.exit(1 if failures else 0)
