"""Popular paths and search terms from an agent to a Shopware website's
jobs, over real HTTP: stoked, the suite's work directory (the node's in
v/, the token keys in keys), the database's URL, the node's and the
origin's ports.  Every wait polls with a deadline."""

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
NODE, SHOP = int(sys.argv[4]), int(sys.argv[5])
HOST = "127.0.0.1:%d" % SHOP
checks = 0
procs = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for p in procs:
        if p.poll() is None:
            p.kill()
    for name in ("serve", "worker", "agent"):
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


serve = subprocess.Popen([
    STOKED, "serve", "--listen", "127.0.0.1:0", "--database-url", PGURL,
    "--jwt-keys", os.path.join(WORK, "keys"), "--allow-private"],
    stdout=logged("serve"), stderr=subprocess.STDOUT)
procs.append(serve)
port = int(until("stoked serve listening", lambda: re.findall(
    r"stoked listening on .*:(\d+)$",
    open(os.path.join(WORK, "serve.log")).read(), re.M))[-1])


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


def visit(path):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (NODE, path))
    req.add_header("Host", HOST)
    req.add_header("Cookie", "session=secret-cookie")
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


# --- a tenant, a Shopware website, its agent ---------------------------
tok = ok("sign up", call("POST", "/api/auth/register", {
    "name": "Ops", "email": "ops@shop.example",
    "password": "a long enough secret"}), 201)["token"]
pid = ok("project", call("POST", "/api/projects", {"name": "Shop"},
                         token=tok), 201)["id"]
wid = ok("website", call("POST", "/api/projects/%d/websites" % pid, {
    "name": "Shop", "base_url": "http://%s/" % HOST,
    "cache_type": "shopware", "search_terms": ["coffee"]},
    token=tok), 201)["id"]
agent_tok = ok("agent token", call("POST", "/api/websites/%d/agents" % wid,
                                   {"name": "node"}, token=tok), 201)["token"]
d = os.path.join(WORK, "agent")
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "token"), "w") as f:
    f.write(agent_tok + "\n")
os.chmod(os.path.join(d, "token"), 0o600)
procs.append(subprocess.Popen([
    STOKED, "agent", "-n", os.path.join(WORK, "v", "n"),
    "--node", "http://127.0.0.1:%d" % NODE,
    "--secret-file", os.path.join(WORK, "v", "secret"),
    "--control", "http://127.0.0.1:%d" % port,
    "--token-file", os.path.join(d, "token"), "--state-dir", d,
    "--listen", "127.0.0.1:0", "--poll-wait", "1", "--popular-every", "1",
    "--agent-name", "node"], stdout=logged("agent"),
    stderr=subprocess.STDOUT))
until("the agent claims", lambda: sql(
    "SELECT count(*) FROM agents WHERE website_id = %d"
    " AND claimed_at IS NOT NULL" % wid) == "1")

# --- 1. visitors: a popular product, a search only they made -----------
POPULAR, OTHER = "/Product-5/SW10005", "/Product-2/SW10002"
for i in range(4):
    visit(POPULAR)
visit(POPULAR + "?sid=s3cret&utm_source=mail")
visit(OTHER)
for i in range(3):
    visit("/search?search=Visitor++Only")
visit("/search?search=someone%40mail.example")


def popular():
    return dict(r.split("|") for r in sql(
        "SELECT path || '|' || sum(hits) FROM url_popularity"
        " WHERE website_id = %d GROUP BY path" % wid).splitlines() if r)


until("the visitors' paths counted", lambda: popular().get(POPULAR) == "5"
      and popular().get(OTHER) == "1", 90)
pop = popular()
expect("a search page counted by its term",
       pop.get("/search?search=visitor+only"), "3")
expect("no query string but the search term kept",
       [p for p in pop if "s3cret" in p or "utm" in p or "mail" in p], [])
terms = until("the visitors' search terms counted", lambda: sql(
    "SELECT string_agg(term || '=' || n, ',' ORDER BY term)"
    " FROM search_terms_seen WHERE website_id = %d" % wid), 60)
expect("the search terms, normalised, no e-mail address", terms,
       "visitor only=3")
expect("by UTC day", sql(
    "SELECT count(DISTINCT day) = 1 AND min(day) = (now() AT TIME ZONE"
    " 'UTC')::date FROM url_popularity WHERE website_id = %d" % wid), "t")
expect("nothing personal stored", sql(
    "SELECT count(*) FROM url_popularity WHERE path LIKE '%%secret%%'"
    " OR path LIKE '%%s3cret%%'"), "0")

# A row of another site's Host is dropped, and counted.
now = time.time()
res = ok("a batch of another Host's rows", call(
    "POST", "/api/agent/v1/batches", {
        "batch": "t:1", "sent_at": now,
        "popular": [{"hour": now, "host": "evil.example", "path": "/x",
                     "hits": 9}],
        "searches": [{"hour": now, "host": HOST, "term": "tea", "n": 1}]},
    token=agent_tok))
expect("stored, dropped", (res["stored"]["popular"], res["stored"][
    "searches"], res["dropped"]["foreign_host"]), (0, 1, 1))
for bad, field in (({"hour": now, "host": HOST, "path": "/x"},
                    "popular[0].hits"),
                   ({"hour": now, "host": HOST, "term": "x" * 101, "n": 1},
                    "searches[0].term")):
    kind = "popular" if "path" in bad else "searches"
    st, doc = call("POST", "/api/agent/v1/batches", {
        "batch": "t:bad", "sent_at": now, kind: [bad]}, token=agent_tok)
    expect("a bad row: 422 (%r)" % doc, (st, doc["error"]["field"]),
           (422, field))
st, doc = call("POST", "/api/agent/v1/batches", {
    "batch": "t:big", "sent_at": now, "searches": [
        {"hour": now, "host": HOST, "term": "t%d" % i, "n": 1}
        for i in range(501)]}, token=agent_tok)
expect("too many search rows: 422 (%r)" % doc, (st, doc["error"]["code"]),
       (422, "too_long"))

# --- 2. a job: the popular product first, the visitors' term warmed ----
worker = subprocess.Popen([
    STOKED, "worker", "--database-url", PGURL, "--allow-private",
    "--poll", "0.2", "--timeout", "10"],
    stdout=logged("worker"), stderr=subprocess.STDOUT)
procs.append(worker)
job = ok("a sitemap job", call("POST", "/api/websites/%d/jobs" % wid, {},
                               token=tok), 201)["id"]


def job_of():
    return ok("the job", call("GET", "/api/jobs/%d" % job, token=tok))


done = until("the job done", lambda: job_of()["status"] not in (
    "queued", "running") and job_of(), 120)
expect("done", (done["status"], done["error"]), ("done", None))
det = done["detected"]
expect("the search terms, and where from", det["search_terms"], {
    "configured": ["coffee"], "visitors": ["visitor only", "tea"]})
expect("its search pages", det["search_pages"], 3)
expect("the notes say so", "3 search pages (1 configured, 2 of visitors'"
       " searches)" in done["notes"], True)
expect("the notes say popularity ranked it",
       "ranked by visitors' popularity too" in done["notes"], True)


def prio(path):
    return float(sql("SELECT max(priority) FROM warm_tasks WHERE job_id = %d"
                     " AND url = 'http://%s%s'" % (job, HOST, path)))


# Products are of equal <priority> and <lastmod>, listed in order.
expect("the popular product before the others", prio(POPULAR) > prio(
    "/Product-1/SW10001") and prio(OTHER) > prio("/Product-1/SW10001")
    and prio(POPULAR) > prio(OTHER), True)
expect("products after categories, before search pages",
       prio("/search?search=visitor+only") < prio("/Product-1/SW10001"),
       True)
expect("warmed most popular product first", sql(
    "SELECT url FROM warm_tasks WHERE job_id = %d AND url LIKE"
    " '%%/Product-%%' ORDER BY priority DESC, id LIMIT 1" % job),
    "http://%s%s" % (HOST, POPULAR))
expect("the visitors' term warmed", sql(
    "SELECT count(*) FROM page_results WHERE job_id = %d AND url ="
    " 'http://%s/search?search=visitor+only'" % (job, HOST)), "1")
served = [ln.split()[1] for ln in open(os.path.join(
    WORK, "shop-requests.txt")) if ln.strip()]
expect("the search for the visitors' term asked of the shop",
       "/search?search=visitor+only" in served, True)

for p in procs:
    p.send_signal(signal.SIGTERM)
for p in procs:
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
print("popular: %d checks" % checks)
