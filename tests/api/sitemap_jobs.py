"""Assertions on jobs of a website's sitemap, over HTTP: the API's port,
the Varnish node's port, the test origin's port, a command that drains
the queue once (a stoked worker; its arguments added), the database's
URL (to look under the API).  The sitemaps the origin does not serve
(other hosts, redirects, broken ones) are served here."""

import gzip
import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

A, NODE, ORIGIN = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
WORKER, PGURL = sys.argv[4], sys.argv[5]
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
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
    return status, json.loads(text) if text else None


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def error(what, res, status, code, field=None):
    st, doc = res
    expect(what + ": status " + repr(doc), st, status)
    err = (doc or {}).get("error") or {}
    expect(what + ": code " + repr(err), err.get("code"), code)
    expect(what + ": a message", bool(err.get("message")), True)
    if field is not None:
        expect(what + ": field", err.get("field"), field)


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def user(name):
    return ok("register " + name, call("POST", "/api/auth/register", {
        "name": name, "email": name + "@shop.example",
        "password": "a long enough secret"}), 201)["token"]


def drain(*args):
    subprocess.run([WORKER] + list(args), check=True, timeout=300)


def wait_end(job, token):
    deadline = time.time() + 120
    while True:
        j = ok("poll job", call("GET", "/api/jobs/%d" % job, token=token))
        if j["status"] not in ("queued", "running"):
            return j
        if time.time() > deadline:
            sys.exit("FAIL: job %d still %s" % (job, j["status"]))
        time.sleep(0.2)


def results(job, token):
    rows, cursor = [], None
    while True:
        q = "?limit=1000" + ("&cursor=" + cursor if cursor else "")
        page = ok("results", call("GET", "/api/jobs/%d/results%s" % (job, q),
                                  token=token))
        rows += page["results"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read()
    return gzip.decompress(body) if url.endswith(".gz") else body


def origin_urls():
    """The origin's pages as its own robots.txt and sitemaps list them,
    read here independently of stoked."""
    base = "http://127.0.0.1:%d" % ORIGIN
    robots = fetch(base + "/robots.txt").decode()
    todo = [ln.split(":", 1)[1].strip() for ln in robots.splitlines()
            if ln.lower().startswith("sitemap:")]
    urls = []
    while todo:
        doc = ET.fromstring(fetch(todo.pop(0)))
        locs = [e.text.strip() for e in doc.iter(SM + "loc")]
        if doc.tag == SM + "sitemapindex":
            todo += locs
        else:
            urls += locs
    return urls


def origin_requests():
    body = fetch("http://127.0.0.1:%d/stats" % ORIGIN).decode()
    return int([ln for ln in body.splitlines()
                if ln.startswith("requests ")][0].split()[1])


# The documents the origin does not serve: a site of its own here.
class Site(http.server.BaseHTTPRequestHandler):
    docs = {}

    def do_GET(self):
        status, headers, body = self.docs.get(
            self.path, (404, {}, b"not here\n"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
threading.Thread(target=srv.serve_forever, daemon=True).start()
PY = srv.server_address[1]
HERE = "http://127.0.0.1:%d" % PY


def urlset(locs):
    return ("<?xml version=\"1.0\"?>\n<urlset xmlns=\"http://www.sitemaps.org"
            "/schemas/sitemap/0.9\">\n" + "".join(
                "<url><loc>%s</loc></url>\n" % u for u in locs) +
            "</urlset>\n").encode()


def index(locs):
    return ("<?xml version=\"1.0\"?>\n<sitemapindex xmlns=\"http://www."
            "sitemaps.org/schemas/sitemap/0.9\">\n" + "".join(
                "<sitemap><loc>%s</loc></sitemap>\n" % u for u in locs) +
            "</sitemapindex>\n").encode()


OWN = [HERE + "/product/%d" % i for i in range(1, 6)]
XML = {"Content-Type": "application/xml"}
Site.docs = {
    "/foreign.xml": (200, XML, urlset(OWN[:3] + [
        "http://evil.example/x", OWN[0], "http://other.example/y"] +
        OWN[3:])),
    "/gz.xml.gz": (200, {}, gzip.compress(urlset(OWN))),
    "/notxml.xml": (200, XML, b"this is no sitemap\n"),
    "/deep0.xml": (200, XML, index([HERE + "/deep1.xml"])),
    "/deep1.xml": (200, XML, index([HERE + "/deep2.xml"])),
    "/deep2.xml": (200, XML, index([HERE + "/deep3.xml"])),
    "/deep3.xml": (200, XML, urlset(OWN)),
    "/moved.xml": (301, {"Location": "/foreign.xml"}, b""),
    "/away.xml": (302, {"Location": "http://localhost:%d/foreign.xml" % PY},
                  b""),
}

alice, bob, eve = user("alice"), user("bob"), user("eve")
pid = ok("a project", call("POST", "/api/projects", {"name": "Shop"},
                          token=alice), 201)["id"]
ok("bob a viewer", call("POST", "/api/projects/%d/members" % pid, {
    "email": "bob@shop.example", "role": "viewer"}, token=alice))
wid = ok("the shop", call("POST", "/api/projects/%d/websites" % pid, {
    "base_url": "http://127.0.0.1:%d/" % ORIGIN,
    "varnish_nodes": ["http://127.0.0.1:%d" % NODE]}, token=alice), 201)["id"]
jobs = "/api/websites/%d/jobs" % wid
sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'pro')"
    " WHERE id = %d" % pid)

# The default job: robots.txt, its sitemap index, a sitemap and a gzip'd
# one, all read by the worker; the API's request fetches nothing.
want = origin_urls()
expect("the origin lists more than the free plan's 1000", len(want) > 1000,
       True)
quiet = origin_requests()
quiet = origin_requests() - quiet
before = origin_requests()
job = ok("a sitemap job", call("POST", jobs, {}, token=alice), 201)
expect("no fetch in the API's request", origin_requests() - before, quiet)
jid = job["id"]
expect("queued", (job["status"], job["source"], job["urls_total"],
                  job["trigger"], job["notes"]),
       ("queued", "sitemap", 0, "manual", None))
expect("one sitemap task", sql(
    "SELECT kind || ' ' || url || ' ' || variants::text"
    " FROM warm_tasks WHERE job_id = %d" % jid),
    "sitemap http://127.0.0.1:%d/ {\"\"}" % ORIGIN)
lst = ok("listed", call("GET", jobs, token=bob))
expect("listed for the viewer", [j["id"] for j in lst["jobs"]], [jid])
drain("--allow-private")
done = wait_end(jid, bob)
# The origin's pages hold one ESI include, the header: found on the
# first pages read from the origin, and warmed as the job's own.
HEADER = "http://127.0.0.1:%d/esi/header" % ORIGIN
expect("done", (done["status"], done["error"], done["urls_total"],
                done["urls_completed"] + done["urls_failed"]),
       ("done", None, len(want) + 1, len(want) + 1))
expect("notes: what was read", done["notes"].startswith(
    "http://127.0.0.1:%d/: 3 sitemaps read, %d URLs" % (ORIGIN, len(want))),
    True)
expect("notes: the fragment " + done["notes"], "; 1 ESI fragment found on "
       "the first 3 pages read from the origin" in done["notes"], True)
rows = results(jid, bob)
expect("one result per URL", len(rows), len(want) + 1)
expect("exactly the sitemap's URLs", sorted(
    r["url"] for r in rows if not r["fragment"]), sorted(want))
expect("and its fragment, marked", [r["url"] for r in rows
                                    if r["fragment"]], [HEADER])
expect("warmed through the node", {r["node"] for r in rows},
       {"http://127.0.0.1:%d" % NODE})
expect("the sitemap task ended", sql(
    "SELECT state FROM warm_tasks WHERE job_id = %d AND kind = 'sitemap'"
    % jid), "done")

# One sitemap given, in two variants: each URL once per variant.
pages = "http://127.0.0.1:%d/sitemap-pages.xml" % ORIGIN
v = ok("variants", call("POST", jobs, {
    "sitemap_url": pages, "variants": [{}, {"currency": "EUR"}]},
    token=alice), 201)
drain("--allow-private")
vd = wait_end(v["id"], alice)
npages = len(ET.fromstring(fetch(pages)).findall(SM + "url"))
expect("variants: done", (vd["status"], vd["urls_total"]),
       ("done", 2 * (npages + 1)))
vrows = results(v["id"], alice)
expect("variants: URLs x variants", len(vrows), 2 * (npages + 1))
expect("variants: both", {r["variant"] for r in vrows}, {"", "currency=EUR"})

# The free plan's cap: the first 1000, and the job says so.
sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'free')"
    " WHERE id = %d" % pid)
c = ok("capped", call("POST", jobs, {}, token=alice), 201)
drain("--allow-private")
cd = wait_end(c["id"], alice)
expect("capped: done", (cd["status"], cd["urls_total"]), ("done", 1000))
expect("capped: said", "capped at 1000 URLs" in cd["notes"], True)
crow = results(c["id"], alice)
expect("capped: 1000 results", len(crow), 1000)
expect("capped: the sitemap's", set(r["url"] for r in crow) <= set(want) |
       {HEADER}, True)
expect("capped: the home page kept, priority 1.0", "http://127.0.0.1:%d/"
       % ORIGIN in set(r["url"] for r in crow), True)

# Cancelled before any worker ran: nothing of it is ever queued.
x = ok("to cancel", call("POST", jobs, {}, token=alice), 201)
error("a viewer cancels", call("DELETE", "/api/jobs/%d" % x["id"], token=bob),
      403, "forbidden")
ok("cancel", call("DELETE", "/api/jobs/%d" % x["id"], token=alice))
drain("--allow-private")
expect("cancelled: no task", sql(
    "SELECT count(*) FROM warm_tasks WHERE job_id = %d" % x["id"]), "0")
expect("cancelled: no result", sql(
    "SELECT count(*) FROM page_results WHERE job_id = %d" % x["id"]), "0")
xd = ok("still cancelled", call("GET", "/api/jobs/%d" % x["id"], token=alice))
expect("still cancelled", (xd["status"], xd["urls_total"]), ("cancelled", 0))

# Cancelled while its sitemap is being read: the worker's end of it
# finds the job ended and queues nothing.  (The task leased as a worker
# holds it, the job cancelled, then the worker's lease run out and the
# task read again by the next worker.)
y = ok("to cancel while read", call("POST", jobs, {}, token=alice), 201)
sql("UPDATE warm_tasks SET state = 'leased', lease_owner = 'gone',"
    " lease_until = now() - interval '1 second', attempts = 1"
    " WHERE job_id = %d" % y["id"])
sql("UPDATE cache_jobs SET status = 'running' WHERE id = %d" % y["id"])
ok("cancel while read", call("DELETE", "/api/jobs/%d" % y["id"],
                             token=alice))
drain("--allow-private")
expect("cancelled while read: no warm task", sql(
    "SELECT count(*) FILTER (WHERE kind = 'warm') || ' ' || count(*)"
    " FILTER (WHERE state IN ('queued', 'leased'))"
    " FROM warm_tasks WHERE job_id = %d" % y["id"]), "0 0")
expect("cancelled while read: still", ok("get", call(
    "GET", "/api/jobs/%d" % y["id"], token=alice))["status"], "cancelled")

# A site of sitemaps of every kind, served here.
sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'pro')"
    " WHERE id = %d" % pid)
w2 = ok("a second site", call("POST", "/api/projects/%d/websites" % pid, {
    "base_url": HERE + "/", "varnish_nodes": ["http://127.0.0.1:%d" % NODE]},
    token=alice), 201)["id"]
jobs2 = "/api/websites/%d/jobs" % w2


def sitemap_job(path, *worker):
    j = ok("job of " + path, call("POST", jobs2, {"sitemap_url": HERE + path},
                                  token=alice), 201)
    drain(*(worker or ("--allow-private",)))
    return wait_end(j["id"], alice)


def warmed(what, j, urls):
    expect(what + ": done " + repr(j), (j["status"], j["urls_total"]),
           ("done", len(urls)))
    expect(what + ": its URLs", sorted(r["url"] for r in results(
        j["id"], alice)), sorted(urls))


f = sitemap_job("/foreign.xml")
warmed("other hosts", f, OWN)
expect("other hosts: said", "2 URLs on other hosts than 127.0.0.1 left out"
       in f["notes"], True)
warmed("gzip", sitemap_job("/gz.xml.gz"), OWN)
m = sitemap_job("/moved.xml")
warmed("a redirect on the host", m, OWN)

for path, why in (
        ("/missing.xml", HERE + "/missing.xml: HTTP 404"),
        ("/notxml.xml", HERE + "/notxml.xml: "),
        ("/deep0.xml", "sitemap indexes nested too deep"),
        ("/away.xml", HERE + "/away.xml: redirected to another host "
         "(localhost)")):
    j = sitemap_job(path)
    expect(path + ": failed " + repr(j), (j["status"], j["urls_total"]),
           ("failed", 0))
    expect(path + ": why " + repr(j["error"]), j["error"].startswith(why),
           True)
    expect(path + ": nothing queued", sql(
        "SELECT count(*) FROM warm_tasks WHERE job_id = %d AND kind = 'warm'"
        % j["id"]), "0")

# A worker that may not read from loopback addresses refuses the site.
j = sitemap_job("/foreign.xml", "--concurrency", "4")
expect("loopback refused " + repr(j), (j["status"], "loopback" in
                                       (j["error"] or "")), ("failed", True))

# Input, isolation
error("another host's sitemap", call("POST", jobs, {
    "sitemap_url": "http://evil.example/sitemap.xml"}, token=alice), 422,
    "foreign_host", "sitemap_url")
error("not http", call("POST", jobs, {"sitemap_url": "file:///etc/passwd"},
                       token=alice), 422, "invalid_url", "sitemap_url")
error("a space", call("POST", jobs, {"sitemap_url": HERE + "/a b"},
                      token=alice), 422, "invalid_url", "sitemap_url")
error("both", call("POST", jobs, {"urls": ["/"], "sitemap_url": pages},
                   token=alice), 422, "invalid", "sitemap_url")
error("a viewer", call("POST", jobs, {}, token=bob), 403, "forbidden")
error("another user", call("POST", jobs, {}, token=eve), 404, "not_found")
error("another user's job", call("GET", "/api/jobs/%d" % jid, token=eve),
      404, "not_found")
print("%d checks, 0 failed" % checks)
