"""Jobs of a two-node website warmed by its agents, over real HTTP:
stoked, the suite's work directory (the nodes' in va/ and vb/, the
token keys in keys), the database's URL, the nodes' and the origin's
ports.

This starts the control plane, an agent beside each node and a stoked
worker (it reads sitemaps; warming is the agents'); the rest the suite
started.  Every wait polls with a deadline.  One thing stands for
time: a lease of 120 s that ran out is made to have run out in the
database, rather than waited for."""

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
VA, VB, ORIGIN = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
HOST = "127.0.0.1:%d" % ORIGIN
NODE_A, NODE_B = "http://127.0.0.1:%d" % VA, "http://127.0.0.1:%d" % VB
checks = 0
procs = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.kill()
    for name in ("serve", "worker", "node-a", "node-b"):
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


def until(what, fn, seconds=60):
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


def logged(name):
    return open(os.path.join(WORK, name + ".log"), "a")


# --- the control plane, the worker ------------------------------------
serve = subprocess.Popen([
    STOKED, "serve", "--listen", "127.0.0.1:0", "--database-url", PGURL,
    "--jwt-keys", os.path.join(WORK, "keys"), "--allow-private"],
    stdout=logged("serve"), stderr=subprocess.STDOUT)
procs.append(serve)
port = int(until("stoked serve listening", lambda: re.findall(
    r"stoked listening on .*:(\d+)$",
    open(os.path.join(WORK, "serve.log")).read(), re.M))[-1])
worker = subprocess.Popen([
    STOKED, "worker", "--database-url", PGURL, "--allow-private",
    "--poll", "0.2", "--timeout", "10"],
    stdout=logged("worker"), stderr=subprocess.STDOUT)
procs.append(worker)


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


# --- the nodes, the agents ----------------------------------------------
def cached(p, path):
    """A visitor's request is a hit (X-Varnish names two transactions)."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (p, path))
    req.add_header("Host", HOST)
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
        return len((r.headers.get("X-Varnish") or "").split()) == 2


def agent_start(name, p, token):
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "token"), "w") as f:
        f.write(token + "\n")
    os.chmod(os.path.join(d, "token"), 0o600)
    v = "va" if p == VA else "vb"
    a = subprocess.Popen([
        STOKED, "agent", "-n", os.path.join(WORK, v, "n"),
        "--node", "http://127.0.0.1:%d" % p,
        "--secret-file", os.path.join(WORK, v, "secret"),
        "--control", "http://127.0.0.1:%d" % port,
        "--token-file", os.path.join(d, "token"), "--state-dir", d,
        "--listen", "127.0.0.1:0", "--poll-wait", "1",
        "--agent-name", name], stdout=logged(name), stderr=subprocess.STDOUT)
    procs.append(a)
    return a


def job_of(jid):
    return ok("job %d" % jid, call("GET", "/api/jobs/%d" % jid, token=tok))


def done(jid, seconds=60):
    return until("job %d done" % jid, lambda: job_of(jid)["status"] == "done"
                 and job_of(jid), seconds)


def counts(j):
    return (j["urls_total"], j["urls_completed"], j["urls_failed"])


def results(jid):
    return ok("results", call("GET", "/api/jobs/%d/results?limit=500" % jid,
                              token=tok))["results"]


def claim(token, n=100):
    return ok("a claim", call("POST", "/api/agent/v1/tasks/claim",
                              {"max": n}, token=token))["tasks"]


def said_done(token, key, *tasks):
    now = time.time()
    return ok("batch " + key, call("POST", "/api/agent/v1/batches", {
        "batch": key, "sent_at": now, "tasks": [{
            "task": t, "ok": True, "node": NODE_B, "status": 200,
            "cache_status": "miss", "outcome": "cached", "ttl": 120,
            "recorded_at": now} for t in tasks]}, token=token))


# --- a tenant, a website, two agents --------------------------------------
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
agent_a = agent_start("node-a", VA, ta["token"])
agent_b = agent_start("node-b", VB, tb["token"])
until("both agents claim", lambda: sql(
    "SELECT count(*) FROM agents WHERE website_id = %d"
    " AND claimed_at IS NOT NULL" % wid) == "2")


def url(path):
    return "http://%s%s" % (HOST, path)


# 1. A URL job: every URL on both nodes, by their agents, none by the
# workers (the website has no varnish_nodes of its own).
PAGES = ["/product/%d" % i for i in range(1, 5)]
j1 = ok("a URL job", call("POST", "/api/websites/%d/jobs" % wid,
                          {"urls": PAGES}, token=tok), 201)["id"]
expect("URL job: URLs x nodes, all warmed", counts(done(j1)), (8, 8, 0))
r1 = results(j1)
expect("a result per URL and node", sorted((r["node"], r["url"])
                                           for r in r1),
       sorted((n, url(p)) for n in (NODE_A, NODE_B) for p in PAGES))
expect("each cached", {r["outcome"] for r in r1}, {"cached"})
# What each node answered its agent, kept with the result it sent.
expect("headers kept through the agents: X-Varnish, Age", sorted(
    (r["node"], r["url"]) for r in r1
    if (r["headers"] or {}).get("X-Varnish", "x").split(" ")[0].isdigit()
    and (r["headers"] or {}).get("Age", "x").isdigit()),
    sorted((r["node"], r["url"]) for r in r1))
expect("no worker's task", sql(
    "SELECT count(*) FILTER (WHERE agent_id IS NULL), count(*)"
    " FROM warm_tasks WHERE job_id = %d" % j1), "0|8")
for p in (VA, VB):
    for path in PAGES:
        expect("%s a hit on %d, never asked for before" % (path, p),
               cached(p, path), True)

# 2. A sitemap job: read by the worker, warmed by the agents.
j2 = ok("a sitemap job", call("POST", "/api/websites/%d/jobs" % wid, {
    "sitemap_url": url("/sitemap.xml")}, token=tok), 201)["id"]
j = done(j2, 90)
r2 = results(j2)
urls = sorted({r["url"] for r in r2})
expect("the sitemap's products among them", {url("/product/%d" % i)
                                              for i in range(1, 9)}
       <= set(urls), True)
expect("sitemap job: URLs x nodes", counts(j), (2 * len(urls),
                                                2 * len(urls), 0))
expect("a result per URL and node", sorted((r["node"], r["url"])
                                           for r in r2),
       sorted((n, u) for n in (NODE_A, NODE_B) for u in urls))
for p in (VA, VB):
    for i in (5, 6, 7, 8):
        expect("/product/%d a hit on %d" % (i, p),
               cached(p, "/product/%d" % i), True)

# 3. Agent B stopped mid-job.  Its tasks are claimed (here by this
# script with B's token: a claim whose agent then went away), one of
# them reported, then their lease runs out; B back, it claims the rest
# and warms its node.  Whatever says a task is done, it counts once.
agent_b.send_signal(signal.SIGSTOP)
MORE = ["/product/6", "/product/7", "/product/8"]
j3 = ok("a job while B is stopped", call(
    "POST", "/api/websites/%d/jobs" % wid, {"urls": MORE}, token=tok),
    201)["id"]
until("A's share done", lambda: job_of(j3)["urls_completed"] == 3)
got = claim(tb["token"])
expect("B's tasks, claimed", sorted((t["job"], t["url"]) for t in got),
       sorted((j3, url(p)) for p in MORE))
t1, t2 = got[0]["id"], got[1]["id"]
b = said_done(tb["token"], "gone-run:1", t1, t1)
expect("one task done, once though said twice", (b["duplicate"],
       b["stored"]["tasks"], b["dropped"]["tasks"]), (False, 1, 0))
expect("the same batch again", said_done(tb["token"], "gone-run:1", t1),
       {"batch": "gone-run:1", "duplicate": True})
b = said_done(tb["token"], "gone-run:2", t1)
expect("the task again in another batch", (b["stored"]["tasks"],
                                           b["dropped"]["tasks"]), (0, 1))
expect("counted once", counts(job_of(j3)), (6, 4, 0))
# The lease (120 s) runs out.
sql("UPDATE warm_tasks SET lease_until = now() - interval '1 second'"
    " WHERE job_id = %d AND state = 'leased'" % j3)
agent_b.send_signal(signal.SIGCONT)
expect("B back: the job done", counts(done(j3)), (6, 6, 0))
r3 = results(j3)
expect("one result per task", len(r3), 6)
expect("B warmed the rest on its node", sorted(
    r["url"] for r in r3 if r["node"] == NODE_B and r["outcome"] == "cached"),
    sorted(url(p) for p in MORE))
b = said_done(tb["token"], "gone-run:3", t2)
expect("a stale claim's report of what B did", (b["stored"]["tasks"],
                                                b["dropped"]["tasks"]), (0, 1))
expect("still counted once", (counts(job_of(j3)), len(results(j3))),
       ((6, 6, 0), 6))

# 4. Another website's agent C.  Before it claims, it is given nothing;
# once it claims, only it gets its website's tasks: A can neither claim
# nor complete them.  Revoked, its tasks fail and the job ends.
p2 = ok("project 2", call("POST", "/api/projects", {"name": "Other"},
                         token=tok), 201)["id"]
w2 = ok("website 2", call("POST", "/api/projects/%d/websites" % p2, {
    "name": "Other", "base_url": "http://127.0.0.2:9/"}, token=tok),
    201)["id"]
tc = ok("agent C's token", call("POST", "/api/websites/%d/agents" % w2,
                                {"name": "node-c"}, token=tok), 201)
j4 = ok("a job, C never claimed", call(
    "POST", "/api/websites/%d/jobs" % w2, {"urls": ["/a", "/b"]},
    token=tok), 201)["id"]
expect("the workers' only", sql(
    "SELECT count(*) FILTER (WHERE agent_id IS NULL), count(*)"
    " FROM warm_tasks WHERE job_id = %d" % j4), "2|2")
expect("C claims: nothing yet", claim(tc["token"]), [])
j5 = ok("a job, C claims", call(
    "POST", "/api/websites/%d/jobs" % w2, {"urls": ["/a", "/b"]},
    token=tok), 201)["id"]
expect("C's only", sql(
    "SELECT count(*) FILTER (WHERE agent_id IS NULL), count(*)"
    " FROM warm_tasks WHERE job_id = %d" % j5), "0|2")
expect("A claims none of them", [t for t in claim(ta["token"])
                                 if t["job"] == j5], [])
c1 = int(sql("SELECT min(id) FROM warm_tasks WHERE job_id = %d" % j5))
b = said_done(ta["token"], "a-says:1", c1)
expect("A says C's task done: dropped", (b["stored"]["tasks"],
                                         b["dropped"]["tasks"]), (0, 1))
expect("still C's to do", sql(
    "SELECT state FROM warm_tasks WHERE id = %d" % c1), "queued")


# A claim whose answer was lost (the control plane restarted after its
# commit) is asked again under the same Idempotency-Key: it is answered
# the task it leased, not left to the lease's end, and more up to max.
def claim_keyed(key, n):
    req = urllib.request.Request(
        "http://127.0.0.1:%d/api/agent/v1/tasks/claim" % port,
        data=json.dumps({"max": n}).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Bearer " + tc["token"])
    req.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, sorted(t["id"] for t in json.load(r)["tasks"])
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


first = claim_keyed("c-run/1", 1)
expect("C's keyed claim: one task", (first[0], len(first[1])), (200, 1))
both = sorted(int(x) for x in sql(
    "SELECT id FROM warm_tasks WHERE job_id = %d" % j5).split())
expect("the same key again: that task, and the other", claim_keyed(
    "c-run/1", 2), (200, both))
expect("another key: none left", claim_keyed("c-run/2", 2), (200, []))
expect("the first key still answers its tasks", claim_keyed(
    "c-run/1", 2), (200, both))
st, body = claim_keyed("two words", 1)
expect("a key with a space", (st, body["error"]["field"]),
       (400, "Idempotency-Key"))
ok("revoke C", call("DELETE", "/api/websites/%d/agents/%d"
                    % (w2, tc["id"]), token=tok), 204)
expect("its tasks failed, the job ended", counts(done(j5, 10)), (2, 0, 2))

for a in (agent_a, agent_b, worker, serve):
    a.send_signal(signal.SIGTERM)
    expect("a process exits", a.wait(timeout=60), 0)
print("tasks: %d checks" % checks)
