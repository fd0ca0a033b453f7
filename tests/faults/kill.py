"""SIGKILL mid-job, then a restart, for each of stoked's long-running
commands: stoked, the suite's work directory (the node's in v/, the
token keys in keys), the database's URL, the node's and the origin's
ports.

A job is done when every URL has exactly one result: none lost with
the process that held it, none written twice by the process that
took its place.  Every wait polls with a deadline.  One thing stands
for time: the leases an agent held when it was killed (120 s) are made
to have run out in the database, rather than waited for."""

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
NODE, ORIGIN = int(sys.argv[4]), int(sys.argv[5])
HOST = "127.0.0.1:%d" % ORIGIN
checks = 0
procs = {}


def fail(msg):
    print("FAIL: " + msg, flush=True)
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


def start(name, args):
    """A process of ours, its output appended to WORK/name.log."""
    log = open(os.path.join(WORK, name + ".log"), "a")
    procs[name] = subprocess.Popen([STOKED] + args, stdout=log,
                                   stderr=subprocess.STDOUT)
    return procs[name]


def kill9(name):
    p = procs.pop(name)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    print("killed %s mid-job" % name, flush=True)


def listening(name, since=0):
    """The port the name's log last said it listens on, after offset
    since (a restarted process says it again)."""
    path = os.path.join(WORK, name + ".log")
    return int(until(name + " listening", lambda: re.findall(
        r"listening on .*:(\d+)$", open(path).read()[since:], re.M))[-1])


def logsize(name):
    path = os.path.join(WORK, name + ".log")
    return os.path.getsize(path) if os.path.exists(path) else 0


port = 0


def serve_start():
    global port
    since = logsize("serve")
    start("serve", ["serve", "--listen", "127.0.0.1:%d" % port,
                    "--database-url", PGURL, "--jwt-keys",
                    os.path.join(WORK, "keys"), "--allow-private"])
    port = listening("serve", since)
    # Listening comes before its database connections: a request in
    # between is told 503, as a load balancer's readiness probe would be.
    until("stoked serve ready", lambda: call("GET", "/readyz")[0] == 200)


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


def worker_start(name):
    start(name, ["worker", "--database-url", PGURL, "--id", name,
                 "--allow-private", "--poll", "0.2", "--timeout", "10",
                 "--lease", "3", "--concurrency", "4"])


def done_count(jid):
    return int(sql("SELECT count(*) FROM warm_tasks WHERE job_id = %d"
                   " AND state = 'done'" % jid))


def exactly_once(what, jid, urls):
    """The job done, and one result for each of its URLs."""
    until(what + ": the job done", lambda: sql(
        "SELECT status FROM cache_jobs WHERE id = %d" % jid) == "done", 120)
    expect(what + ": its counters", sql(
        "SELECT urls_total || ' ' || urls_completed || ' ' || urls_failed"
        " FROM cache_jobs WHERE id = %d" % jid),
        "%d %d 0" % (len(urls), len(urls)))
    expect(what + ": URLs with other than one result", sql(
        "SELECT count(*) FROM (SELECT url FROM page_results"
        " WHERE job_id = %d GROUP BY url HAVING count(*) <> 1) x" % jid),
        "0")
    expect(what + ": every URL has its result", sql(
        "SELECT count(DISTINCT url) FROM page_results"
        " WHERE job_id = %d" % jid), str(len(urls)))


# --- a tenant, a website ----------------------------------------------
serve_start()
tok = ok("sign up", call("POST", "/api/auth/register", {
    "name": "Ops", "email": "ops@shop.example",
    "password": "a long enough secret"}), 201)["token"]
pid = ok("project", call("POST", "/api/projects", {"name": "Shop"},
                         token=tok), 201)["id"]
wid = ok("website", call("POST", "/api/projects/%d/websites" % pid, {
    "name": "Shop", "base_url": "http://%s/" % HOST}, token=tok), 201)["id"]


def url(path):
    return "http://%s%s" % (HOST, path)


def failed_after_kill(name, restart, job, why):
    """name killed under a job of its own (an id, or a subquery that is
    one): its row as the process left it, then, started again, failed,
    and why."""
    status = "SELECT status FROM cache_jobs WHERE id = %s" % job
    kill9(name)
    expect("the killed %s's job, as it left it" % name, sql(status),
           "running")
    restart()
    until("the killed %s's job failed" % name,
          lambda: sql(status) == "failed", 30)
    expect("why it failed", sql(
        "SELECT error || ' ' || (finished_at IS NOT NULL) FROM cache_jobs"
        " WHERE id = %s" % job), why + " true")


# 1. stoked serve and stoked worker, each killed a third of the way.
print("== a job of 300 URLs the workers warm; serve and a worker killed",
      flush=True)
worker_start("w1")
urls = [url("/product/%d" % i) for i in range(1, 301)]
j1 = ok("a URL job", call("POST", "/api/websites/%d/jobs" % wid,
                          {"urls": urls}, token=tok), 201)["id"]
until("a third done", lambda: done_count(j1) >= 100)
kill9("serve")
serve_start()
ok("the API again", call("GET", "/api/jobs/%d" % j1, token=tok))
until("two thirds done", lambda: done_count(j1) >= 200)
held = int(sql("SELECT count(*) FROM warm_tasks WHERE job_id = %d"
               " AND state = 'leased'" % j1))
kill9("w1")
print("the worker held %d leases" % held, flush=True)
worker_start("w2")
exactly_once("workers' job", j1, urls)
expect("the API says it", ok("job", call("GET", "/api/jobs/%d" % j1,
                                         token=tok))["status"], "done")

# 2. stoked agent, then stoked serve, killed under an agent's job.
print("== a job an agent warms; the agent killed, then serve", flush=True)
kill9("w2")
# The website's node has an agent: its tasks are the agent's.
ta = ok("an agent's token", call("POST", "/api/websites/%d/agents" % wid,
                                 {"name": "node"}, token=tok), 201)
adir = os.path.join(WORK, "agent")
os.makedirs(adir, exist_ok=True)
with open(os.path.join(adir, "token"), "w") as f:
    f.write(ta["token"] + "\n")
os.chmod(os.path.join(adir, "token"), 0o600)


def agent_start():
    start("agent", [
        "agent", "-n", os.path.join(WORK, "v", "n"),
        "--node", "http://127.0.0.1:%d" % NODE,
        "--secret-file", os.path.join(WORK, "v", "secret"),
        "--control", "http://127.0.0.1:%d" % port,
        "--token-file", os.path.join(adir, "token"), "--state-dir", adir,
        "--listen", "127.0.0.1:0", "--poll-wait", "1",
        "--agent-name", "node"])


agent_start()
until("the agent claims", lambda: sql(
    "SELECT count(*) FROM agents WHERE website_id = %d"
    " AND claimed_at IS NOT NULL" % wid) == "1")
# A worker too: the sitemap reading is its; warming, the agent's.
worker_start("w3")
urls2 = [url("/product/%d" % i) for i in range(1, 201)]
j2 = ok("an agent's job", call("POST", "/api/websites/%d/jobs" % wid,
                               {"urls": urls2}, token=tok), 201)["id"]
until("a third done", lambda: done_count(j2) >= 60)
kill9("agent")
# Its leases (120 s) run out.
sql("UPDATE warm_tasks SET lease_until = now() - interval '1 second'"
    " WHERE job_id = %d AND state = 'leased'" % j2)
agent_start()
until("two thirds done", lambda: done_count(j2) >= 130)
kill9("serve")
serve_start()
exactly_once("agent's job", j2, urls2)
expect("no task of the job a worker's", sql(
    "SELECT count(*) FROM warm_tasks WHERE job_id = %d"
    " AND agent_id IS NULL" % j2), "0")

# 2b. stoked agent killed under a job of its own, a ban's re-warm: that
# job lives in its memory, and the agent's next run says it failed.
print("== the agent killed under a ban's re-warm", flush=True)
ok("one fetch at a time", call("PUT", "/api/websites/%d" % wid,
                               {"concurrency": 1}, token=tok))
until("the agent told", lambda: sql(
    "SELECT count(*) FROM agent_commands") == "0")
ban = urllib.request.Request("http://127.0.0.1:%d/" % NODE, method="BAN")
ban.add_header("Host", HOST)
ban.add_header("Ban-Url", "^/product/")
with urllib.request.urlopen(ban, timeout=30) as r:
    expect("the ban answered", r.status, 200)
rewarm = "(SELECT job_id FROM invalidation_events WHERE website_id = %d" \
    " AND kind = 'ban')" % wid
# 200 pages, one at a time, 20 ms each: seconds under way.
until("the ban's re-warm stored running", lambda: sql(
    "SELECT status FROM cache_jobs WHERE id = %s" % rewarm) == "running")
failed_after_kill("agent", agent_start, rewarm,
                  "stoked agent stopped before it ended")
expect("whose it was", sql(
    "SELECT runner FROM cache_jobs WHERE id = %s" % rewarm),
    "agent:" + sql("SELECT id FROM agents WHERE website_id = %d" % wid))

# 3. stoked run, killed while it warms a sitemap.  Its jobs live in its
# memory: started again, it warms the sitemap as a new job, which ends
# with one result per URL, and says the killed one's job failed (it
# owns it: same host, same -n).
print("== stoked run killed while it warms the sitemap", flush=True)
for name in ("w3", "agent"):
    kill9(name)


def run_start():
    start("run", ["run", "-n", os.path.join(WORK, "v", "n"),
                  "--node", "http://127.0.0.1:%d" % NODE,
                  "--secret-file", os.path.join(WORK, "v", "secret"),
                  "--listen", "127.0.0.1:0", "--database-url", PGURL,
                  "--warm-sitemap", url("/sitemap.xml"),
                  "--warm-concurrency", "4"])


def run_job():
    return sql("SELECT max(id) FROM cache_jobs WHERE source = '%s'"
               % url("/sitemap.xml"))


run_start()
j3 = int(until("stoked run's job", run_job))
# Its results are written as they come; its row, every 2 s at most.
until("a third done", lambda: sql(
    "SELECT (SELECT count(*) FROM page_results WHERE job_id = j.id) * 3"
    " >= urls_total AND urls_total > 0"
    " FROM cache_jobs j WHERE id = %d" % j3) == "t")
failed_after_kill("run", run_start, j3, "stoked run stopped before it ended")
j4 = int(until("its next job", lambda: run_job() != str(j3) and run_job()))
expect("both runs' jobs have the one owner", sql(
    "SELECT count(DISTINCT runner) || ' ' || count(runner) FROM cache_jobs"
    " WHERE id IN (%d, %d)" % (j3, j4)), "1 2")
until("the sitemap warmed", lambda: sql(
    "SELECT status FROM cache_jobs WHERE id = %d" % j4) == "done", 120)
n = int(sql("SELECT urls_total FROM cache_jobs WHERE id = %d" % j4))
expect("the sitemap's URLs", n > 400, True)
expect("run's job: counters", sql(
    "SELECT urls_completed || ' ' || urls_failed FROM cache_jobs"
    " WHERE id = %d" % j4), "%d 0" % n)
expect("run's job: URLs with other than one result", sql(
    "SELECT count(*) FROM (SELECT url FROM page_results"
    " WHERE job_id = %d GROUP BY url HAVING count(*) <> 1) x" % j4), "0")
expect("run's job: every URL has its result", sql(
    "SELECT count(DISTINCT url) FROM page_results WHERE job_id = %d" % j4),
    str(n))

expect("the killed run's job still failed", sql(
    "SELECT status FROM cache_jobs WHERE id = %d" % j3), "failed")
expect("jobs of the durable queue have no owner", sql(
    "SELECT count(*) FROM cache_jobs WHERE id IN (%d, %d)"
    " AND runner IS NOT NULL" % (j1, j2)), "0")

for name in list(procs):
    procs[name].send_signal(signal.SIGTERM)
    expect(name + " exits", procs.pop(name).wait(timeout=60), 0)
print("kill: %d checks" % checks)
