"""Assertions on render mode, over HTTP: the API's port, the Varnish
node's port, a command that drains the queue once (a stoked worker that
renders), the database's URL, the off-site origin's request log; then
stoked, a second varnishd's port, and the suite's directory (that
varnishd's files under va/), for an agent that renders."""

import atexit
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

A, NODE = int(sys.argv[1]), int(sys.argv[2])
WORKER, PGURL, OFFSITE_LOG = sys.argv[3], sys.argv[4], sys.argv[5]
STOKED, VA, WORK = sys.argv[6], int(sys.argv[7]), sys.argv[8]
PAGE = "http://localhost/render/page"
# What the page pulls in from its own host: a stylesheet and the image
# it names, a script, an image, two API calls at load (fetch, XHR), and
# the listing fetched once scrolled into view, with its images.
ASSETS = ["/render/style.css", "/render/img/bg.png", "/render/app.js",
          "/render/img/hero.png", "/render/api/cart", "/render/api/widgets",
          "/render/api/listing", "/render/img/lazy-1.png",
          "/render/img/lazy-2.png", "/render/img/lazy-3.png"]
checks = 0


def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (A, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    return status, (json.loads(text) if text else None)


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def error(what, res, status, code, field):
    expect(what + ": status " + repr(res[1]), res[0], status)
    err = (res[1] or {}).get("error") or {}
    expect(what + ": code", err.get("code"), code)
    expect(what + ": field", err.get("field"), field)


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def drain():
    subprocess.run([WORKER], check=True, timeout=110)


def wait_done(job, token):
    deadline = time.time() + 60
    while True:
        j = ok("poll job", call("GET", "/api/jobs/%d" % job, token=token))
        if j["status"] not in ("queued", "running"):
            return j
        if time.time() > deadline:
            sys.exit("FAIL: job %d still %s" % (job, j["status"]))
        time.sleep(0.2)


def until(what, fn, seconds=60):
    deadline = time.time() + seconds
    while not fn():
        if time.time() > deadline:
            sys.exit("FAIL: %s: not within %d s" % (what, seconds))
        time.sleep(0.2)


def results(job, token):
    r = ok("results", call("GET", "/api/jobs/%d/results?limit=1000" % job,
                           token=token))
    return r["results"]


def hit(path, node=NODE):
    """Is it in the cache, for a plain client: X-Varnish names two
    transactions (this one and the one that stored it)."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (node, path))
    req.add_header("Host", "localhost")
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()
        return len(r.headers["X-Varnish"].split()) == 2


token = ok("register", call("POST", "/api/auth/register", {
    "name": "alice", "email": "alice@shop.example",
    "password": "a long enough secret"}), 201)["token"]
pid = ok("a project", call("POST", "/api/projects", {"name": "Shop"},
                          token=token), 201)["id"]
w = ok("a website", call("POST", "/api/projects/%d/websites" % pid, {
    "base_url": "http://localhost/",
    "varnish_nodes": ["http://127.0.0.1:%d" % NODE]}, token=token), 201)
wid = w["id"]
site = "/api/websites/%d" % wid
expect("render is off by default", (w["render"], w["asset_hosts"]),
       (False, []))

# The settings, checked.
error("an asset host with a space", call("PUT", site, {
    "asset_hosts": ["cdn shop"]}, token=token), 422, "invalid",
    "asset_hosts[0]")
error("an asset host as a URL", call("PUT", site, {
    "asset_hosts": ["http://cdn.example/"]}, token=token), 422, "invalid",
    "asset_hosts[0]")
error("render is a boolean", call("PUT", site, {"render": "yes"},
                                  token=token), 422, "invalid", "render")
w = ok("asset hosts", call("PUT", site, {
    "asset_hosts": ["media.localhost"]}, token=token))
expect("asset hosts kept", w["asset_hosts"], ["media.localhost"])
error("a job's render is a boolean", call("POST", site + "/jobs", {
    "urls": ["/"], "render": 1}, token=token), 422, "invalid", "render")

# A job that renders, on a website that does not: the pages that crash
# and open popups first, then two pages that share their assets, and the
# page that hangs last: its image, answered after the render gave up,
# keeps its fetch (and the origin guard's slot) until it ends, which is
# not what the pages after it are tested for.
urls = ["/render/crash", "/render/popup", "/render/page",
        "/render/page?again", "/render/hang"]
job = ok("a render job", call("POST", site + "/jobs", {
    "urls": urls, "render": True}, token=token), 201)
expect("the job says it renders", job["render"], True)
t0 = time.time()
drain()
done = wait_done(job["id"], token)
expect("done", done["status"], "done")
rows = results(job["id"], token)
by_url = {r["url"]: r for r in rows}

page = by_url[PAGE]
tm = page["timings"]
expect("the page rendered in full: " + repr(tm), tm is not None and
       tm["error"] is None, True)
for k in ("ttfb_ms", "dcl_ms", "load_ms", "lcp_ms", "tti_ms"):
    expect("a timing: " + k, isinstance(tm[k], (int, float)) and tm[k] > 0,
           True)
expect("TTI not before DOMContentLoaded", tm["tti_ms"] >= tm["dcl_ms"], True)
expect("what the page pulled in", tm["subrequests"], len(ASSETS))
expect("the off-site script refused", tm["blocked"], 1)
expect("the page is no asset", page["asset_of"], None)

# Each asset: a task of the job, marked, warmed once for both pages.
for a in ASSETS:
    url = "http://localhost" + a
    r = by_url.get(url)
    expect("an asset's result: " + a, r is not None, True)
    expect("an asset of the page: " + a, r["asset_of"] in
           (PAGE, PAGE + "?again"), True)
    expect("an asset warmed: " + a, r["outcome"], "cached")
    expect("an asset has no timings: " + a, r["timings"], None)
    expect("an asset once in the job: " + a, sql(
        "SELECT count(*) FROM warm_tasks WHERE job_id = %d AND url = '%s'"
        % (job["id"], url)), "1")
    expect("a HIT for a plain client: " + a, hit(a), True)
expect("the popup page's own image, an asset of it",
       by_url["http://localhost/render/img/popup.png"]["asset_of"],
       "http://localhost/render/popup")
expect("the job's total: the pages and their assets: " + repr(sorted(
    (r["url"], r["asset_of"]) for r in rows)), done["urls_total"],
       len(urls) + len(ASSETS) + 1)
expect("nothing asked of the off-site origin",
       os.path.exists(OFFSITE_LOG) and os.path.getsize(OFFSITE_LOG) > 0,
       False)

# The pages a browser must survive: bounded, reported, and the pool
# went on (the pages after them rendered).
hang = by_url["http://localhost/render/hang"]["timings"]
expect("the page that never loads: " + repr(hang),
       "timeout" in (hang["error"] or ""), True)
expect("bounded: " + repr(hang), hang["render_ms"] < 12000, True)
crash = by_url["http://localhost/render/crash"]["timings"]
expect("the page that crashes its tab: " + repr(crash),
       "crashed" in (crash["error"] or "") or
       "timeout" in (crash["error"] or ""), True)
popup = by_url["http://localhost/render/popup"]["timings"]
expect("the popups counted: " + repr(popup), popup["popups"], 2)
expect("the popup page rendered: " + repr(popup), popup["error"], None)
expect("a popup loads nothing", "http://localhost/render/img/from-popup.png"
       in by_url, False)
expect("the page after them rendered",
       by_url[PAGE + "?again"]["timings"]["error"], None)
expect("the job took its bound, not more", time.time() - t0 < 100, True)

# The website renders; a job may say it does not.
w = ok("render on", call("PUT", site, {"render": True}, token=token))
expect("render kept", w["render"], True)
job = ok("a plain job", call("POST", site + "/jobs", {
    "urls": ["/render/page?plain"], "render": False}, token=token), 201)
drain()
wait_done(job["id"], token)
rows = results(job["id"], token)
expect("not rendered: one result, no timings",
       [(r["url"], r["timings"]) for r in rows],
       [("http://localhost/render/page?plain", None)])
job = ok("a job as its website says", call("POST", site + "/jobs", {
    "urls": ["/render/page?site"]}, token=token), 201)
expect("the job says nothing", job["render"], None)
drain()
wait_done(job["id"], token)
rows = results(job["id"], token)
page = [r for r in rows if r["asset_of"] is None]
expect("rendered as its website says", len(page) == 1 and
       page[0]["timings"] is not None, True)
expect("its assets queued", len(rows), 1 + len(ASSETS))
# Assets count against the plan's warm requests of the day: a plan of 4
# a day, a page (one warm request, through one node) whose ten assets
# find 3 left (the page itself leased, so counted): the first three it
# asked for are warmed, the rest not, and its result says so.
sql("INSERT INTO plans (name, max_websites, max_urls_per_job,"
    " max_warms_per_day, max_concurrency, result_retention)"
    " VALUES ('four', 2, 50, 4, 4, '2 days')")
qpid = ok("a project on a small plan", call("POST", "/api/projects", {
    "name": "Small"}, token=token), 201)["id"]
sql("UPDATE projects SET plan_id = (SELECT id FROM plans"
    " WHERE name = 'four') WHERE id = %d" % qpid)
qw = ok("its website renders", call("POST", "/api/projects/%d/websites"
                                    % qpid, {
    "base_url": "http://localhost/", "render": True,
    "varnish_nodes": ["http://127.0.0.1:%d" % NODE]}, token=token), 201)
job = ok("a job of one page", call("POST", "/api/websites/%d/jobs" % qw["id"],
                                   {"urls": ["/render/page?quota"]},
                                   token=token), 201)
drain()
done = wait_done(job["id"], token)
rows = results(job["id"], token)
page = [r for r in rows if r["asset_of"] is None]
assets = [r for r in rows if r["asset_of"] is not None]
expect("one page", len(page), 1)
tm = page[0]["timings"]
expect("the page rendered: " + repr(tm), tm["error"], None)
expect("three assets warmed, what the day had left: " + repr(
    [r["url"] for r in assets]), (len(assets), done["urls_total"],
                                  done["status"]), (3, 4, "done"))
expect("each warmed", [r["outcome"] for r in assets], ["cached"] * 3)
expect("the rest cut, the result says", tm.get("assets_cut"),
       len(ASSETS) - 3)
expect("and why: " + repr(tm.get("assets_note")),
       "7 of 10 assets not warmed: the four plan allows 4 warm requests"
       in (tm.get("assets_note") or ""), True)
expect("none of the rest queued", sql(
    "SELECT count(*) FROM warm_tasks WHERE job_id = %d" % job["id"]), "4")
expect("the day's warms: all of the plan's", sql(
    "SELECT warms FROM usage_daily WHERE project_id = %d" % qpid), "4")
expect("no cut said where none was", "assets_cut" in
       by_url[PAGE]["timings"], False)

# The rendered pages' times in the website's analytics, each page that
# gave one counted, its percentiles among the times the results hold.
an = ok("analytics", call("GET", site + "/analytics", token=token))
for k in ("dcl_ms", "lcp_ms", "tti_ms"):
    got = [float(x) for x in sql(
        "SELECT (timings->>'%s')::float8 FROM page_results"
        " WHERE website_id = %d AND jsonb_typeof(timings->'%s') = 'number'"
        % (k, wid, k)).split()]
    tot = an["totals"][k]
    expect("analytics: every rendered page's " + k, tot["n"], len(got))
    expect("analytics: some page gave a " + k, tot["n"] > 0, True)
    for p in ("p50", "p95", "p99"):
        expect("analytics: %s %s near a page's: %r of %r" % (
            k, p, tot[p], got), any(abs(tot[p] - g) <= 0.022 * g + 0.001
                                     for g in got), True)
    expect("analytics: %s in the hours' series" % k,
           sum(b[k]["n"] for b in an["series"]), len(got))
# ------------------------------------------------------------------
# Render mode on an agent: a website with no Varnish node of its own
# whose one agent (stoked agent --render, beside its own varnishd)
# renders the job's page once warm; what the page pulled in comes back
# with its result, becomes tasks of that agent's, and is warmed on its
# node.
APAGE = "http://localhost/render/page?agent"
pid = ok("a project", call("POST", "/api/projects", {"name": "Agents"},
                          token=token), 201)["id"]
wid = ok("a website that renders, no node of its own", call(
    "POST", "/api/projects/%d/websites" % pid, {
        "base_url": "http://localhost/", "render": True}, token=token),
    201)["id"]
ag = ok("an agent", call("POST", "/api/websites/%d/agents" % wid,
                         {"name": "node-a"}, token=token), 201)
d = os.path.join(WORK, "agent-a")
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "token"), "w") as f:
    f.write(ag["token"] + "\n")
os.chmod(os.path.join(d, "token"), 0o600)
log = open(os.path.join(WORK, "agent-a.log"), "a")
agent = subprocess.Popen([
    STOKED, "agent", "-n", os.path.join(WORK, "va", "n"),
    "--node", "http://127.0.0.1:%d" % VA,
    "--secret-file", os.path.join(WORK, "va", "secret"),
    "--control", "http://127.0.0.1:%d" % A,
    "--token-file", os.path.join(d, "token"), "--state-dir", d,
    "--listen", "127.0.0.1:0", "--poll-wait", "1", "--agent-name", "node-a",
    "--render", "--render-tabs", "1", "--render-timeout", "20"],
    stdout=log, stderr=subprocess.STDOUT)
atexit.register(agent.terminate)
until("the agent claims", lambda: sql(
    "SELECT count(*) FROM agents WHERE website_id = %d"
    " AND claimed_at IS NOT NULL" % wid) == "1")

job = ok("a job of one page", call("POST", "/api/websites/%d/jobs" % wid, {
    "urls": ["/render/page?agent"]}, token=token), 201)["id"]
j = wait_done(job, token)
rows = ok("results", call("GET", "/api/jobs/%d/results?limit=100" % job,
                          token=token))["results"]
by_url = {r["url"]: r for r in rows}
expect("done: the page and its assets, all on the agent's node: " + repr(
    sorted((r["url"], r["node"], r["outcome"]) for r in rows)),
    (j["status"], j["urls_total"], j["urls_completed"]),
    ("done", 1 + len(ASSETS), 1 + len(ASSETS)))
page = by_url[APAGE]
tm = page["timings"]
expect("the agent rendered the page: " + repr(tm), tm is not None and
       tm["error"] is None, True)
for k in ("ttfb_ms", "dcl_ms", "load_ms"):
    expect("a timing: " + k, isinstance(tm[k], (int, float)) and tm[k] > 0,
           True)
expect("what the page pulled in", tm["subrequests"], len(ASSETS))
expect("the off-site script refused", tm["blocked"], 1)
expect("through the agent's node", page["node"],
       "http://127.0.0.1:%d" % VA)
for a in ASSETS:
    r = by_url.get("http://localhost" + a)
    expect("an asset's result: " + a, r is not None, True)
    expect("an asset of the page: " + a, r["asset_of"], APAGE)
    expect("warmed by the agent, on its node: " + a,
           (r["outcome"], r["node"], r["timings"]),
           ("cached", "http://127.0.0.1:%d" % VA, None))
    expect("a task of the agent's: " + a, sql(
        "SELECT count(*) FROM warm_tasks t JOIN agents g"
        " ON g.id = t.agent_id WHERE t.job_id = %d AND t.url = '%s'"
        " AND g.website_id = %d" % (job, "http://localhost" + a, wid)), "1")
    expect("a HIT in the agent's varnishd: " + a, hit(a, VA), True)
expect("nothing asked of the off-site origin",
       os.path.exists(OFFSITE_LOG) and os.path.getsize(OFFSITE_LOG) > 0,
       False)
expect("the workers had nothing of it", sql(
    "SELECT count(*) FROM warm_tasks WHERE job_id = %d"
    " AND agent_id IS NULL" % job), "0")
an = ok("analytics", call("GET", "/api/websites/%d/analytics" % wid,
                          token=token))
expect("the agent's render in the analytics", an["totals"]["dcl_ms"]["n"], 1)
agent.terminate()
agent.wait(timeout=30)

# An agent's assets are cut to the plan's warm requests of the day as a
# worker's are: this project has made 11 today; a plan of 14 leaves the
# page (1) and 2 of its assets.  Claimed and said done here, with the
# agent's token, as the agent would.
sql("INSERT INTO plans (name, max_websites, max_urls_per_job,"
    " max_warms_per_day, max_concurrency, result_retention)"
    " VALUES ('fourteen', 2, 50, 14, 4, '2 days')")
sql("UPDATE projects SET plan_id = (SELECT id FROM plans"
    " WHERE name = 'fourteen') WHERE id = %d" % pid)
job = ok("a job of one page, cut", call(
    "POST", "/api/websites/%d/jobs" % wid, {"urls": ["/render/page?cut"]},
    token=token), 201)["id"]
got = ok("the agent's claim", call("POST", "/api/agent/v1/tasks/claim",
                                   {"max": 10}, token=ag["token"]))["tasks"]
expect("the page, to render, with its hosts", [
    (t["url"], t.get("render"), t.get("base_url"), t.get("asset_hosts"))
    for t in got], [("http://localhost/render/page?cut", True,
                     "http://localhost/", [])])
now = time.time()
ok("said done, rendered", call("POST", "/api/agent/v1/batches", {
    "batch": "render-cut:1", "sent_at": now, "tasks": [{
        "task": got[0]["id"], "ok": True, "outcome": "cached",
        "recorded_at": now, "timings": {"dcl_ms": 12.5, "error": None},
        "assets": ["http://localhost" + a for a in ASSETS[:5]]}]},
    token=ag["token"]))
j = ok("the job", call("GET", "/api/jobs/%d" % job, token=token))
expect("the page and 2 assets in the job", (j["urls_total"],
                                            j["urls_completed"]), (3, 1))
expect("the first two the page asked for", sql(
    "SELECT string_agg(url, ' ' ORDER BY url) FROM warm_tasks"
    " WHERE job_id = %d AND asset_of IS NOT NULL" % job),
    " ".join(sorted("http://localhost" + a for a in ASSETS[:2])))
tm = ok("results", call("GET", "/api/jobs/%d/results" % job,
                        token=token))["results"][0]["timings"]
expect("the result says what was cut: " + repr(tm),
       (tm["dcl_ms"], tm["assets_cut"], tm["assets_note"]),
       (12.5, 3, "3 of 5 assets not warmed: the fourteen plan allows 14 "
        "warm requests a day, and 12 of today's are made or queued"))
print("render.py: %d checks" % checks)
