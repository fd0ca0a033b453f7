"""A tenant's two-node cluster against hosted Stoke, over real HTTP:
stoked, the suite's work directory (the nodes' in va/ and vb/, the
token keys in keys), the database's URL, the nodes' ports.

This starts the control plane (stoked serve, stopped and started again
on the same port half way) and an agent beside each node; the rest
(PostgreSQL, the origin, the two varnishd) the suite started.  Every
wait polls with a deadline; the one pause that stands for time is the
control plane's 30 s away, which the issue asks for."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

STOKED, WORK, PGURL = sys.argv[1:4]
VA, VB = int(sys.argv[4]), int(sys.argv[5])
HOST = "localhost"
checks = 0
procs = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for p in procs:
        if p.poll() is None:
            p.kill()
    for name in ("serve", "agent-a", "agent-b"):
        path = os.path.join(WORK, name + ".log")
        if os.path.exists(path):
            print("--- " + name + ".log")
            print("".join(open(path).readlines()[-30:]))
    # Said again after the logs: a summary of the run shows its tail.
    sys.stdout.flush()
    sys.exit("FAIL: " + msg)


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))


def until(what, fn, seconds=30):
    deadline = time.time() + seconds
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            fail("not within %d s: %s" % (seconds, what))
        time.sleep(0.2)


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", PGURL, "-c", q],
                          check=True, capture_output=True,
                          text=True).stdout.strip()


# --- the control plane ------------------------------------------------
port = 0


def serve_start():
    global port, serve
    log = open(os.path.join(WORK, "serve.log"), "a")
    serve = subprocess.Popen([
        STOKED, "serve", "--listen", "127.0.0.1:%d" % port,
        "--database-url", PGURL, "--jwt-keys", os.path.join(WORK, "keys"),
        "--allow-private"], stdout=log, stderr=subprocess.STDOUT)
    procs.append(serve)

    def listening():
        m = re.findall(r"stoked listening on .*:(\d+)$",
                       open(os.path.join(WORK, "serve.log")).read(), re.M)
        return int(m[-1]) if m and len(m) == serve_starts + 1 else None
    port = until("stoked serve listening", listening)
    # Listening comes before its database connections: a request in
    # between is told 503, as a load balancer's readiness probe would be.
    until("stoked serve ready", lambda: call("GET", "/readyz")[0] == 200)


def serve_stop():
    serve.send_signal(signal.SIGTERM)
    expect("stoked serve stopped", serve.wait(timeout=30), 0)


def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    return status, json.loads(text) if text else None


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1])[:300], res[0], status)
    return res[1]


# --- the nodes ----------------------------------------------------------
def node(p, method, path, headers=None):
    """(status, X-Varnish's ids) of a request to the node on port p."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (p, path),
                                 method=method)
    req.add_header("Host", HOST)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            return r.status, (r.headers.get("X-Varnish") or "").split()
    except urllib.error.HTTPError as e:
        return e.code, []


def cached(p, path):
    """A visitor's request is a hit (X-Varnish names two transactions)."""
    return len(node(p, "GET", path)[1]) == 2


def agent_start(name, p, token):
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "token"), "w") as f:
        f.write(token + "\n")
    os.chmod(os.path.join(d, "token"), 0o600)
    v = "va" if p == VA else "vb"
    log = open(os.path.join(WORK, name + ".log"), "a")
    a = subprocess.Popen([
        STOKED, "agent", "-n", os.path.join(WORK, v, "n"),
        "--node", "http://127.0.0.1:%d" % p,
        "--secret-file", os.path.join(WORK, v, "secret"),
        "--control", "http://127.0.0.1:%d" % port,
        "--token-file", os.path.join(d, "token"), "--state-dir", d,
        "--listen", "127.0.0.1:0", "--poll-wait", "1",
        "--agent-name", name], stdout=log, stderr=subprocess.STDOUT)
    procs.append(a)
    return a


def invals(**where):
    """The website's invalidations as the API lists them, oldest first."""
    got = ok("invalidations", call(
        "GET", "/api/websites/%d/invalidations?limit=100" % wid,
        token=tok))["invalidations"]
    return [i for i in reversed(got)
            if all(i.get(k) == v for k, v in where.items())]


# --- a tenant, a website, two agents --------------------------------------
serve_starts = 0
serve_start()
tok = ok("sign up", call("POST", "/api/auth/register", {
    "name": "Ops", "email": "ops@shop.example",
    "password": "a long enough secret"}), 201)["token"]
pid = ok("project", call("POST", "/api/projects", {"name": "Shop"},
                         token=tok), 201)["id"]
wid = ok("website", call("POST", "/api/projects/%d/websites" % pid, {
    "name": "Shop", "base_url": "http://%s/" % HOST,
    "cache_type": "shopware"}, token=tok), 201)["id"]
ta = ok("agent A's token", call("POST", "/api/websites/%d/agents" % wid,
                                {"name": "node-a"}, token=tok), 201)
tb = ok("agent B's token", call("POST", "/api/websites/%d/agents" % wid,
                                {"name": "node-b"}, token=tok), 201)
NODE_A, NODE_B = "http://127.0.0.1:%d" % VA, "http://127.0.0.1:%d" % VB
agent_a = agent_start("node-a", VA, ta["token"])
agent_b = agent_start("node-b", VB, tb["token"])


def seen():
    ags = ok("agents", call("GET", "/api/websites/%d/agents" % wid,
                            token=tok))["agents"]
    return {a["name"]: a["node"] for a in ags if a["last_seen_at"]}


expect("both agents said hello", until("both agents seen", lambda: len(
    seen()) == 2 and seen()), {"node-a": NODE_A, "node-b": NODE_B})

# Visitors warm both nodes.
PAGES = ["/product/%d" % i for i in range(1, 7)]
for p in (VA, VB):
    for path in PAGES:
        node(p, "GET", path)
for p in (VA, VB):
    for path in PAGES:
        until("%s cached on %d" % (path, p), lambda: cached(p, path))

# 1. A purge on node A: re-warmed on A, recorded under the website, and
# node B never touched.
b_before = node(VB, "GET", "/product/1")[1]
expect("PURGE on A", node(VA, "PURGE", "/product/1")[0], 200)
ia = until("A's purge recorded", lambda: invals(
    kind="purge", node=NODE_A, subject="http://%s/product/1" % HOST))
until("A's purge re-warmed", lambda: invals(
    kind="purge", node=NODE_A)[0]["job"] and invals(
        kind="purge", node=NODE_A)[0]["job"]["urls_completed"] >= 1)
job = invals(kind="purge", node=NODE_A)[0]["job"]
res = ok("its results", call("GET", "/api/jobs/%d/results" % job["id"],
                             token=tok))["results"]
expect("re-warmed through A only", {(r["node"], r["url"], r["outcome"])
                                    for r in res},
       {(NODE_A, "http://%s/product/1" % HOST, "cached")})
until("/product/1 cached on A again", lambda: cached(VA, "/product/1"))
expect("nothing of it on B", invals(node=NODE_B), [])
expect("B's object untouched", node(VB, "GET", "/product/1")[1][1:],
       b_before[1:])

# 2. Broadcast: a tag invalidation on A is done on B too, once.
ok("broadcast on", call("PUT", "/api/websites/%d" % wid,
                        {"broadcast_invalidations": True}, token=tok))
# Both agents took the setting (a command is gone once acknowledged).
until("the setting taken by both", lambda: sql(
    "SELECT count(*) FROM agent_commands WHERE kind = 'settings'") == "0")
expect("a tag on A", node(VA, "PURGE", "/", {"xkey": "product-3"})[0], 200)
until("the tag done on A and, broadcast, on B", lambda: len(
    invals(kind="tag")) >= 2)
tags = invals(kind="tag")
expect("each node once", sorted(i["node"] for i in tags), sorted([NODE_A, NODE_B]))
until("/product/3 cached again on B", lambda: cached(VB, "/product/3"))

# 3. A purge through the API reaches both nodes, and is not broadcast
# back (each node's invalidation of it is an echo of a command).
rep = ok("purge through the API", call(
    "POST", "/api/websites/%d/purge" % wid,
    {"urls": ["http://%s/product/2" % HOST]}, token=tok))
expect("queued for both agents", sorted(
    e.get("agent") for e in rep["results"] if e.get("queued")),
    ["node-a", "node-b"])
until("purged on both nodes", lambda: len(invals(
    kind="purge", subject="http://%s/product/2" % HOST)) >= 2)
for p in (VA, VB):
    until("/product/2 back on %d" % p, lambda: cached(p, "/product/2"))

# Nothing goes round: an echo (the tag done on B, the API's purge on
# each node) is never broadcast, so every invalidation so far is there
# once, and the commands made of them are all acknowledged.
until("every command taken", lambda: sql(
    "SELECT count(*) FROM agent_commands") == "0")
before_away = [(i["kind"], i["node"], i["subject"]) for i in invals()]
n_inval = len(before_away)
expect("so far", sorted((i["kind"], i["node"]) for i in invals()), sorted([
    ("purge", NODE_A), ("tag", NODE_A), ("tag", NODE_B),
    ("purge", NODE_A), ("purge", NODE_B)]))

# 4. The control plane away for 30 s while purges go on: the nodes stay
# warm; afterwards every event is stored exactly once.
serve_stop()
t_down = time.time()
expect("PURGE on A, control plane away", node(VA, "PURGE", "/product/4")[0],
       200)
expect("PURGE on B, control plane away", node(VB, "PURGE", "/product/5")[0],
       200)
until("/product/4 re-warmed on A with no control plane",
      lambda: cached(VA, "/product/4"))
until("/product/5 re-warmed on B with no control plane",
      lambda: cached(VB, "/product/5"))
left = 30 - (time.time() - t_down)
if left > 0:
    time.sleep(left)
serve_starts += 1
serve_start()
until("A's purge while away, delivered", lambda: invals(
    node=NODE_A, subject="http://%s/product/4" % HOST), seconds=90)
until("B's purge while away, delivered", lambda: invals(
    node=NODE_B, subject="http://%s/product/5" % HOST), seconds=90)
for n, path in ((NODE_A, "/product/4"), (NODE_B, "/product/5")):
    until("%s's re-warm of %s, delivered" % (n, path), lambda: (
        invals(node=n, subject="http://%s%s" % (HOST, path))[0]["job"] or
        {}).get("status") == "done", seconds=60)
expect("every invalidation once", sorted(
    (i["kind"], i["node"], i["subject"]) for i in invals()), sorted(
    before_away + [("purge", NODE_A, "http://%s/product/4" % HOST),
                   ("purge", NODE_B, "http://%s/product/5" % HOST)]))
expect("no row twice", sql(
    "SELECT (SELECT count(*) - count(DISTINCT row_key) FROM page_results)"
    " + (SELECT count(*) - count(DISTINCT row_key) FROM invalidation_events)"
    " + (SELECT count(*) - count(DISTINCT row_key) FROM cache_jobs"
    " WHERE row_key IS NOT NULL)"), "0")
expect("a result per re-warm and node", sql(
    "SELECT string_agg(DISTINCT (SELECT count(*) FROM page_results r"
    "  WHERE r.job_id = i.job_id)::text, ',')"
    " FROM invalidation_events i WHERE i.website_id = %d" % wid), "1")
# The visitors' hit ratio both nodes' agents counted, in the analytics.
vis = until("the visitors' traffic delivered", lambda: ok(
    "analytics", call("GET", "/api/websites/%d/analytics" % wid,
                      token=tok))["totals"]["visitors"]["hits"] > 0 and ok(
    "analytics", call("GET", "/api/websites/%d/analytics" % wid,
                      token=tok))["totals"]["visitors"])
expect("the visitors as the agents counted them", "%d|%d|%d" % (
    vis["hits"], vis["misses"], vis["passes"]), sql(
    "SELECT sum(hits) || '|' || sum(misses) || '|' || sum(passes)"
    " FROM visitor_traffic WHERE website_id = %d" % wid))
expect("a hit ratio", 0 < vis["hit_ratio"] <= 1, True)

# 5. A revoked agent is refused at once: B says so, and sends nothing.
ok("revoke B", call("DELETE", "/api/websites/%d/agents/%d"
                    % (wid, tb["id"]), token=tok), 204)
until("B told it is refused", lambda: re.search(
    r"refused|revoked|401", open(os.path.join(WORK, "node-b.log")).read()))
expect("the token never logged", tb["token"] in open(
    os.path.join(WORK, "node-b.log")).read(), False)
before = len(invals(node=NODE_B))
expect("PURGE on B, revoked", node(VB, "PURGE", "/product/6")[0], 200)
expect("PURGE on A", node(VA, "PURGE", "/product/6")[0], 200)
until("A's, still delivered", lambda: invals(
    node=NODE_A, subject="http://%s/product/6" % HOST))
expect("B's, not", len(invals(node=NODE_B)), before)

for a in (agent_a, agent_b):
    a.send_signal(signal.SIGTERM)
    expect("an agent exits", a.wait(timeout=60), 0)
serve_stop()
print("cluster: %d checks" % checks)
