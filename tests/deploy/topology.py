"""The whole topology on loopback, restarted one piece at a time while a
job and purges run: stoked, the suite's work directory (the nodes' in
va/ and vb/, the token keys in keys), the database's URL, the nodes'
and the origin's ports, the tests' source directory.

This starts two stoked serve replicas behind rr_proxy.py, three
workers and an agent beside each node; agents and this script talk to
the control plane through the proxy only.  The rest (PostgreSQL, the
origin, the two varnishd) the suite started.

Every wait polls with a deadline.  Two things stand for time: the
short pause between two restarts, and the leases a SIGKILLed agent
held (120 s), made to have run out in the database rather than waited
for, as faults/kill.py does."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

STOKED, WORK, PGURL = sys.argv[1:4]
VA, VB, ORIGIN = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
TESTS, PRODUCTS = sys.argv[7], int(sys.argv[8])
HOST = "127.0.0.1:%d" % ORIGIN
NODE = {VA: "http://127.0.0.1:%d" % VA, VB: "http://127.0.0.1:%d" % VB}
VDIR = {VA: "va", VB: "vb"}
AGENT = {VA: "node-a", VB: "node-b"}
PAUSE = 1.0  # between two restarts: a rolling restart's pace
checks = 0
procs = {}
ended = []  # (name, exit status, what it should be)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    purger.stop = True
    for p in procs.values():
        if p.poll() is None:
            p.kill()
    for name in sorted(os.listdir(WORK)):
        if name.endswith(".log"):
            print("--- " + name)
            print("".join(open(os.path.join(WORK, name)).readlines()[-20:]))
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
        time.sleep(0.1)


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", PGURL, "-c", q],
                          check=True, capture_output=True,
                          text=True).stdout.strip()


def say(msg):
    print("%6.1f s  %s" % (time.time() - t0, msg), flush=True)


# --- processes ---------------------------------------------------------
def logsize(name):
    path = os.path.join(WORK, name + ".log")
    return os.path.getsize(path) if os.path.exists(path) else 0


def start(name, argv):
    """A process of ours, its output appended to WORK/name.log; the port
    it then says it listens on, if it says one."""
    since = logsize(name)
    log = open(os.path.join(WORK, name + ".log"), "a")
    procs[name] = subprocess.Popen(argv, stdout=log,
                                   stderr=subprocess.STDOUT)
    return since


def listening(name, since):
    path = os.path.join(WORK, name + ".log")
    return int(until(name + " listening", lambda: re.findall(
        r"listening on .*:(\d+)$", open(path).read()[since:], re.M))[-1])


def stop(name, sig=signal.SIGTERM):
    p = procs.pop(name)
    p.send_signal(sig)
    rc = p.wait(timeout=60)
    ended.append((name, rc, -sig if sig == signal.SIGKILL else 0))
    return rc


serve_port = {}


def serve_start(name):
    since = start(name, [
        STOKED, "serve", "--listen",
        "127.0.0.1:%d" % serve_port.get(name, 0), "--database-url", PGURL,
        "--jwt-keys", os.path.join(WORK, "keys"), "--allow-private"])
    serve_port[name] = listening(name, since)


def worker_start(name):
    start(name, [STOKED, "worker", "--database-url", PGURL, "--id", name,
                 "--allow-private", "--poll", "0.2", "--timeout", "10",
                 "--lease", "3", "--concurrency", "4"])


agent_port = {}


def agent_start(p):
    name = AGENT[p]
    d = os.path.join(WORK, name)
    since = start(name, [
        STOKED, "agent", "-n", os.path.join(WORK, VDIR[p], "n"),
        "--node", NODE[p],
        "--secret-file", os.path.join(WORK, VDIR[p], "secret"),
        "--control", "http://127.0.0.1:%d" % proxy_port,
        "--token-file", os.path.join(d, "token"), "--state-dir", d,
        "--listen", "127.0.0.1:0", "--poll-wait", "1",
        "--agent-name", name])
    agent_port[p] = listening(name, since)


def metric(port, name):
    """The sum of a metric's samples on a process's /metrics."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                    timeout=5) as r:
            text = r.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return None
    return sum(float(ln.split()[-1]) for ln in text.splitlines()
               if ln.startswith(name + " ") or ln.startswith(name + "{"))


# --- the API, through the proxy ---------------------------------------
def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (proxy_port, path),
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


# --- the nodes ---------------------------------------------------------
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
    except (urllib.error.URLError, ConnectionError) as e:
        return str(e), []


class Purger(threading.Thread):
    """Purges and tag invalidations, one every PACE s, on the nodes that
    are up: a URL purge on one node, every third a tag on one node
    (broadcast, the other does it too).  Each subject once, so that its
    events can be counted.

    An invalidation that drops nothing the agent knows of is no event,
    and an agent learns an object from the log a moment after the
    visitor had it: what is invalidated was asked for by a visitor
    LEAD turns before, on each node that drops it, since that node's
    agent started.  An agent learns an object's tags only from its
    fetch, not from a hit on it: for a tag, an object of the product
    no node holds yet (a query string of the agent's lifetime) is
    fetched.  A node is taken out (down()) before its agent or
    its child stops: what the agent has not read by then it would never
    read (it starts at the log's tail)."""
    PACE = 0.25
    LEAD = 8

    def __init__(self):
        super().__init__(daemon=True)
        self.lock = threading.Lock()
        self.up = {VA: True, VB: True}
        self.asked = {VA: set(), VB: set()}
        self.purges, self.tags, self.errors = [], [], []
        self.stop = False
        self.life = 0

    def run(self):
        k = 0
        while not self.stop and k + self.LEAD < PRODUCTS:
            k += 1
            with self.lock:
                ups = [p for p in (VA, VB) if self.up[p]]
                for p in ups:
                    q = k + self.LEAD
                    node(p, "GET", "/product/%d" % q)
                    node(p, "GET", "/product/%d?life=%d" % (q, self.life))
                    self.asked[p].add(q)
                self.one(k, [p for p in ups if k in self.asked[p]])
            time.sleep(self.PACE)

    def one(self, k, ready):
        if not ready:
            return
        p = ready[k % len(ready)]
        if k % 3 == 0 and len(ready) == 2:
            st = node(p, "PURGE", "/", {"xkey": "product-%d" % k})[0]
            (self.tags if st == 200 else self.errors).append((p, k, st))
        else:
            st = node(p, "PURGE", "/product/%d" % k)[0]
            (self.purges if st == 200 else self.errors).append((p, k, st))

    def down(self, p):
        with self.lock:
            self.up[p] = False
            self.asked[p].clear()
            self.life += 1

    def back(self, p):
        with self.lock:
            self.up[p] = True


def events():
    """{(kind, node, subject): rows} of the website's invalidations."""
    got = {}
    for ln in sql("SELECT kind, node, subject, count(*)"
                  " FROM invalidation_events WHERE website_id = %d"
                  " GROUP BY 1, 2, 3" % wid).splitlines():
        kind, n, subj, c = ln.split("|")
        got[(kind, n, subj)] = int(c)
    return got


def issued():
    """What the purger's invalidations should have stored, each once."""
    with purger.lock:
        want = {("purge", NODE[p], "http://%s/product/%d" % (HOST, k)): 1
                for p, k, _ in purger.purges}
        for _, k, _ in purger.tags:
            for n in NODE.values():
                want[("tag", n, "product-%d" % k)] = 1
    return want


def delivered():
    """Every invalidation so far stored, every command taken: nothing an
    agent still holds."""
    want = issued()
    got = events()
    return all(got.get(k) == v for k, v in want.items()) and sql(
        "SELECT count(*) FROM agent_commands") == "0"


def undelivered():
    """What delivered() waits for, to say what it waited for."""
    want, got = issued(), events()
    return ({k: got.get(k) for k, v in want.items() if got.get(k) != v},
            {k: v for k, v in got.items() if k not in want},
            sql("SELECT string_agg(kind || ' for ' || agent_id, ', ')"
                " FROM agent_commands"))


def all_delivered(what):
    deadline = time.time() + 60
    while not delivered():
        if time.time() > deadline:
            fail("%s not delivered within 60 s: (missing, more, commands)"
                 " %r" % (what, undelivered()))
        time.sleep(0.1)


def take_out(p):
    purger.down(p)
    all_delivered(AGENT[p] + "'s invalidations")


def done_tasks(jid):
    return int(sql("SELECT count(*) FROM warm_tasks WHERE job_id = %d"
                   " AND state IN ('done', 'failed')" % jid))


def step(what):
    time.sleep(PAUSE)
    say("%s (job %d: %d of %s tasks ended, %d purges, %d tags)" % (
        what, j1, done_tasks(j1), sql(
            "SELECT urls_total FROM cache_jobs WHERE id = %d" % j1),
        len(purger.purges), len(purger.tags)))


# --- the topology -----------------------------------------------------
t0 = time.time()
purger = Purger()
serve_start("serve-a")
serve_start("serve-b")
start("proxy", [sys.executable, os.path.join(TESTS, "deploy", "rr_proxy.py"),
                "127.0.0.1:%d" % serve_port["serve-a"],
                "127.0.0.1:%d" % serve_port["serve-b"]])
proxy_port = listening("proxy", 0)
for w in ("w1", "w2", "w3"):
    worker_start(w)

tok = ok("sign up", call("POST", "/api/auth/register", {
    "name": "Ops", "email": "ops@shop.example",
    "password": "a long enough secret"}), 201)["token"]
pid = ok("project", call("POST", "/api/projects", {"name": "Shop"},
                         token=tok), 201)["id"]
# Two fetches in flight per node: the job lasts the rolling restart.
wid = ok("website", call("POST", "/api/projects/%d/websites" % pid, {
    "name": "Shop", "base_url": "http://%s/" % HOST,
    "cache_type": "shopware", "concurrency": 2}, token=tok), 201)["id"]
for p in (VA, VB):
    t = ok(AGENT[p] + "'s token", call(
        "POST", "/api/websites/%d/agents" % wid, {"name": AGENT[p]},
        token=tok), 201)["token"]
    d = os.path.join(WORK, AGENT[p])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "token"), "w") as f:
        f.write(t + "\n")
    os.chmod(os.path.join(d, "token"), 0o600)
    agent_start(p)
until("both agents claim", lambda: sql(
    "SELECT count(*) FROM agents WHERE website_id = %d"
    " AND claimed_at IS NOT NULL" % wid) == "2")
ok("broadcast on", call("PUT", "/api/websites/%d" % wid,
                        {"broadcast_invalidations": True}, token=tok))
until("the setting taken by both", lambda: sql(
    "SELECT count(*) FROM agent_commands") == "0")
for p in (VA, VB):
    until(AGENT[p] + " reads its node's log",
          lambda: metric(agent_port[p], "stoke_vsl_attached") == 1)
say("topology up: 2 serve behind the proxy, 3 workers, 2 agents")

# --- the job, the purges, the rolling restart --------------------------
j1 = ok("a sitemap job", call("POST", "/api/websites/%d/jobs" % wid, {
    "sitemap_url": "http://%s/sitemap.xml" % HOST}, token=tok), 201)["id"]
purger.start()
until("the sitemap read, warming begun", lambda: done_tasks(j1) > 2)

for w, sig in (("w1", signal.SIGTERM), ("w2", signal.SIGKILL),
               ("w3", signal.SIGTERM)):
    step("worker %s: %s" % (w, sig.name))
    stop(w, sig)
    worker_start(w)

for s in ("serve-a", "serve-b"):
    step("%s: SIGTERM" % s)
    expect(s + " stops", stop(s), 0)
    # The other replica answers alone, through the proxy, which goes
    # round the one away as soon as its turn comes.
    refused = "refused 127.0.0.1:%d\n" % serve_port[s]
    seen = open(os.path.join(WORK, "proxy.log")).read().count(refused)

    def went_round():
        expect("the job, %s away" % s, ok("the job", call(
            "GET", "/api/jobs/%d" % j1, token=tok))["id"], j1)
        return open(os.path.join(WORK, "proxy.log")).read().count(
            refused) > seen
    until("the proxy going round " + s, went_round, 30)
    serve_start(s)

for p in (VA, VB):
    step("%s: SIGKILL" % AGENT[p])
    take_out(p)
    stop(AGENT[p], signal.SIGKILL)
    sql("UPDATE warm_tasks SET lease_until = now() - interval '1 second'"
        " WHERE job_id = %d AND state = 'leased' AND agent_id = (SELECT id"
        " FROM agents WHERE website_id = %d AND name = '%s')"
        % (j1, wid, AGENT[p]))
    agent_start(p)
    until(AGENT[p] + " back on its node's log",
          lambda: metric(agent_port[p], "stoke_vsl_attached") == 1)
    purger.back(p)

step("varnishd node 1: the child stopped and started")
take_out(VA)
reconnects = metric(agent_port[VA], "stoke_vsl_reconnects_total")
adm = ["varnishadm", "-n", os.path.join(WORK, "va", "n")]
subprocess.run(adm + ["stop"], check=True, capture_output=True)
subprocess.run(adm + ["start"], check=True, capture_output=True)
until("node 1 answers", lambda: node(VA, "GET", "/robots.txt")[0] == 200)
until("node-a reattached", lambda: metric(
    agent_port[VA], "stoke_vsl_reconnects_total") > reconnects)
purger.back(VA)
tags = len(purger.tags)
step("all restarted")

# --- nothing lost ------------------------------------------------------
expect("the job ran through the restarts", sql(
    "SELECT status FROM cache_jobs WHERE id = %d" % j1) != "done", True)
until("more purges, and tags on both nodes since", lambda: len(
    purger.tags) >= tags + 4 and len(purger.purges) >= 30)
purger.stop = True
purger.join(timeout=30)
expect("every purge and tag answered by its node", purger.errors, [])
all_delivered("every invalidation")
expect("each invalidation stored once", events(), issued())
expect("no event row twice", sql(
    "SELECT count(row_key) - count(DISTINCT row_key) FROM invalidation_events"), "0")


def exactly_once(what, jid):
    """The job done, one result per URL and node; its failures."""
    until(what + " done", lambda: sql(
        "SELECT status FROM cache_jobs WHERE id = %d" % jid) == "done", 120)
    n, c, f = map(int, sql(
        "SELECT urls_total, urls_completed, urls_failed FROM cache_jobs"
        " WHERE id = %d" % jid).split("|"))
    expect(what + ": every task counted", c + f, n)
    expect(what + ": (URL, node)s with other than one result", sql(
        "SELECT count(*) FROM (SELECT 1 FROM page_results WHERE job_id = %d"
        " GROUP BY url, variant, node HAVING count(*) <> 1) x" % jid), "0")
    expect(what + ": a result for each URL on each node", sql(
        "SELECT count(*) FILTER (WHERE node = '%s') || ' '"
        " || count(*) FILTER (WHERE node = '%s')"
        " FROM (SELECT DISTINCT url, variant, node FROM page_results"
        " WHERE job_id = %d) x" % (NODE[VA], NODE[VB], jid)),
        "%d %d" % (n // 2, n // 2))
    expect(what + ": no row twice", sql(
        "SELECT count(row_key) - count(DISTINCT row_key) FROM page_results"
        " WHERE job_id = %d" % jid), "0")
    return n // 2, f


n1, f1 = exactly_once("the job", j1)
say("the job: %d URLs on 2 nodes, %d failed (node 1's child away)"
    % (n1, f1))
expect("the sitemap's products in it", n1 >= 300, True)
# What node 1 held went with its child, and what the purges dropped
# the agents re-warm: once all that is done, a second job of the
# sitemap warms node 1 back, and every URL is a hit on both nodes.
until("every purge's re-warm done", lambda: sql(
    "SELECT count(*) FROM invalidation_events i JOIN cache_jobs j"
    " ON j.id = i.job_id WHERE i.website_id = %d AND j.status <> 'done'"
    % wid) == "0")
j2 = ok("the sitemap again", call("POST", "/api/websites/%d/jobs" % wid, {
    "sitemap_url": "http://%s/sitemap.xml" % HOST}, token=tok), 201)["id"]
n2, f2 = exactly_once("the second job", j2)
expect("the second job: its URLs, none failed", (n2, f2), (n1, 0))
urls = sql("SELECT DISTINCT url FROM page_results WHERE job_id = %d"
           % j2).splitlines()
prefix = "http://" + HOST
for p in (VA, VB):
    cold = [u for u in urls if len(node(p, "GET", u[len(prefix):])[1]) != 2]
    expect("URLs not a hit on %s" % NODE[p], cold, [])
say("every URL a hit on both nodes")

# --- nothing crashed ---------------------------------------------------
for p in (VA, VB):
    panic = subprocess.run(["varnishadm", "-n", os.path.join(
        WORK, VDIR[p], "n"), "panic.show"], capture_output=True, text=True)
    expect("no panic on %s" % NODE[p], "has not panicked" in
           panic.stdout + panic.stderr, True)
for name in list(procs):
    stop(name)
for name, rc, want in ended:
    expect("%s's exit status" % name, rc, want)
proxy_log = open(os.path.join(WORK, "proxy.log")).read()
expect("the proxy sent each replica connections", [
    int(x) > 0 for x in re.findall(r"^taken \S+ (\d+)$", proxy_log, re.M)],
    [True, True])
for name in sorted(os.listdir(WORK)):
    if name.endswith(".log"):
        text = open(os.path.join(WORK, name), errors="replace").read()
        expect(name + ": sanitizers' reports", re.findall(
            r"AddressSanitizer|LeakSanitizer|runtime error:", text), [])
print("topology: %d checks in %.0f s" % (checks, time.time() - t0))
