"""Assertions on crawl jobs, over HTTP: the API's port, the Varnish
node's port, the trap origin's port, the off-site origin's port, a
command that drains the queue once (a stoked worker; its arguments
added), the database's URL (to look under the API), and the trap
origin's request log ("TIME URL varnish|direct" a line).  A sitemap of
priorities is served here."""

import csv
import http.server
import io
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

A, NODE, TRAP, OTHER = (int(x) for x in sys.argv[1:5])
WORKER, PGURL, LOG = sys.argv[5], sys.argv[6], sys.argv[7]
SITE = "http://127.0.0.1:%d" % TRAP
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


def csv_of(path, token):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (A, path),
                                 headers={"Accept": "text/csv",
                                          "Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=60) as r:
        return list(csv.DictReader(io.StringIO(r.read().decode(),
                                               newline="")))


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


def requests_of(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/stats" % port,
                                timeout=30) as r:
        body = r.read().decode()
    return int([ln for ln in body.splitlines()
                if ln.startswith("requests ")][0].split()[1])


def log_lines():
    with open(LOG) as f:
        return [ln.split() for ln in f if ln.strip()]


def direct_since(mark):
    """The trap origin's requests not through Varnish, since mark: what
    the crawl itself fetched, in order, with their times."""
    return [(float(t), u) for t, u, via in log_lines()[mark:]
            if via == "direct"]


alice, bob, eve = user("alice"), user("bob"), user("eve")
pid = ok("a project", call("POST", "/api/projects", {"name": "Shop"},
                          token=alice), 201)["id"]
ok("bob a viewer", call("POST", "/api/projects/%d/members" % pid, {
    "email": "bob@shop.example", "role": "viewer"}, token=alice))
sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'pro')"
    " WHERE id = %d" % pid)
wid = ok("the trap site", call("POST", "/api/projects/%d/websites" % pid, {
    "base_url": SITE + "/", "varnish_nodes": ["http://127.0.0.1:%d" % NODE]},
    token=alice), 201)["id"]
jobs = "/api/websites/%d/jobs" % wid

# The crawl, to depth 3: bounded, on the site, as robots.txt says.
other_before = requests_of(OTHER)
mark = len(log_lines())
job = ok("a crawl job", call("POST", jobs, {
    "source": "crawl", "max_depth": 3, "max_pages": 100}, token=alice), 201)
expect("queued", (job["status"], job["source"], job["urls_total"]),
       ("queued", "crawl", 0))
expect("nothing fetched in the request", direct_since(mark), [])
expect("its task", sql(
    "SELECT kind || ' ' || url || ' ' || (crawl->>'force')"
    " FROM warm_tasks WHERE job_id = %d" % job["id"]),
    "sitemap %s/ true" % SITE)
drain()
done = wait_end(job["id"], bob)
notes = done["notes"] or ""
expect("done " + repr(done), (done["status"], done["error"]), ("done", None))
fetched = direct_since(mark)
urls = [u for _, u in fetched]
print("crawl fetched: %s" % " ".join(urls))
print("notes: %s" % notes)
expect("robots.txt first", urls[0], "/robots.txt")
expect("each URL fetched once", len(urls), len(set(urls)))
for u in urls:
    for bad in ("/private-area/", "/secret", "/only-via-meta", "/big/late",
                "/offsite", "/in-pdf", "utm_", "gclid", "PHPSESSID",
                "jsessionid", "#"):
        expect("never fetched: %s (%s)" % (bad, u), bad in u, False)
# The one request the other site got since: this one's own /stats.
expect("nothing fetched off the site", requests_of(OTHER) - other_before, 1)
months = sorted(int(u.split("=")[1]) for u in urls
                if u.startswith("/calendar?month="))
expect("the endless calendar to the depth", months, [1, 2, 3])
for u in ("/", "/category/1", "/shop", "/session", "/session/page?p=1",
          "/loop/a", "/loop/b", "/redirect/inside", "/moved/here",
          "/redirect/away", "/big", "/big/early", "/manual.pdf",
          "/meta-nofollow", "/missing"):
    expect("fetched: " + u, u in urls, True)
gaps = [b[0] - a[0] for a, b in zip(fetched, fetched[1:])]
expect("Crawl-delay kept (%r)" % min(gaps), min(gaps) >= 0.045, True)
for why in ("Crawl-delay 0.05 s kept", "1 URL kept out by robots.txt",
            "links to other sites not followed",
            "nofollow links not followed", "past the depth not followed",
            "(a loop)", "1 page cut at the byte cap",
            "1 answer not HTML", "it ended: every page within the depth "
            "was read", "/big: longer than 2097152 bytes",
            "/loop/b: redirected to %s/loop/a, seen before" % SITE):
    expect("notes say: " + why, why in notes, True)
rows = results(done["id"], alice)
pages = sorted(r["url"][len(SITE):] for r in rows if not r["fragment"])
frags = sorted(r["url"][len(SITE):] for r in rows if r["fragment"])
expect("warmed: the HTML pages read", pages, sorted([
    "/", "/big", "/big/early", "/calendar?month=1", "/calendar?month=2",
    "/calendar?month=3", "/category/1", "/meta-nofollow", "/moved/here",
    "/session", "/session/page?p=1", "/shop"]))
expect("warmed: the ESI fragment, marked", frags, ["/esi/header"])
only = ok("fragment=true", call("GET", "/api/jobs/%d/results?fragment=true"
                               % done["id"], token=alice))["results"]
expect("the fragment filter: the ESI fragment alone",
       [r["url"][len(SITE):] for r in only], ["/esi/header"])
expect("the pages' CSV, marked not fragments", sorted(
    (r["url"][len(SITE):], r["fragment"]) for r in csv_of(
        "/api/jobs/%d/results?fragment=false" % done["id"], alice)),
    [(p, "false") for p in pages])
expect("warmed through the node", {r["node"] for r in rows},
       {"http://127.0.0.1:%d" % NODE})
expect("the start first", sql(
    "SELECT url FROM warm_tasks WHERE job_id = %d AND kind = 'warm'"
    " ORDER BY priority DESC, id LIMIT 1" % done["id"]), SITE + "/")
expect("urls_total", done["urls_total"], len(rows))

# The page cap: the crawl stops there, and says so.
mark = len(log_lines())
capped = ok("a small crawl", call("POST", jobs, {
    "source": "crawl", "max_pages": 4}, token=alice), 201)
drain()
cd = wait_end(capped["id"], alice)
expect("capped: done", cd["status"], "done")
expect("capped: four pages and robots.txt fetched",
       len(direct_since(mark)), 5)
expect("capped: said", "it ended: the page limit was reached"
       in cd["notes"], True)

# A sitemap job on a site without a sitemap crawls it, and says why.
mark = len(log_lines())
fb = ok("a sitemap job", call("POST", jobs, {"max_depth": 1}, token=alice),
        201)
expect("a sitemap job", fb["source"], "sitemap")
drain()
fd = wait_end(fb["id"], alice)
expect("fallback: done " + repr(fd), fd["status"], "done")
expect("fallback: why", fd["notes"].startswith(
    "no sitemap found (%s/sitemap.xml: HTTP 404); crawled %s/ to depth 1"
    % (SITE, SITE)), True)
fu = [u for _, u in direct_since(mark)]
expect("fallback: the sitemaps tried, then the crawl",
       fu[:4], ["/robots.txt", "/sitemap.xml", "/robots.txt", "/"])
expect("fallback: depth 1", "/calendar?month=2" in fu, False)
expect("fallback: warmed", len(results(fd["id"], alice)), fd["urls_total"])

# The tenant's own tracking parameters, in place of the default.
dp = ok("drop_params", call("POST", jobs, {
    "source": "crawl", "max_depth": 1, "drop_params": ["nothing"]},
    token=alice), 201)
drain()
dd = wait_end(dp["id"], alice)
expect("drop_params: utm_ kept as the tenant said", any(
    "utm_source=news" in r["url"] for r in results(dd["id"], alice)), True)

# A site that cannot say what it allows is not crawled at all.
urllib.request.urlopen(SITE + "/fail?status=503", timeout=30).read()
mark = len(log_lines())
down = ok("a crawl of a failing site", call("POST", jobs, {
    "source": "crawl"}, token=alice), 201)
drain()
dn = wait_end(down["id"], alice)
urllib.request.urlopen(SITE + "/fail", timeout=30).read()
expect("failing: failed " + repr(dn), (dn["status"], dn["urls_total"]),
       ("failed", 0))
expect("failing: why", dn["error"], "%s/robots.txt could not be read (a "
       "server error): nothing may be crawled" % SITE)
expect("failing: robots.txt alone asked for (and /fail, healing it)",
       [u for _, u in direct_since(mark)], ["/robots.txt", "/fail"])

# Input, isolation
error("an unknown source", call("POST", jobs, {"source": "guess"},
                                token=alice), 422, "invalid", "source")
error("a crawl of a sitemap", call("POST", jobs, {
    "source": "crawl", "sitemap_url": SITE + "/sitemap.xml"}, token=alice),
    422, "invalid", "sitemap_url")
error("urls with crawl settings", call("POST", jobs, {
    "urls": ["/"], "max_depth": 2}, token=alice), 422, "invalid",
    "max_depth")
error("a crawl with urls", call("POST", jobs, {
    "source": "crawl", "urls": ["/"]}, token=alice), 422, "invalid", "urls")
error("urls without urls", call("POST", jobs, {"source": "urls"},
                                token=alice), 422, "invalid", "urls")
error("too deep", call("POST", jobs, {"source": "crawl", "max_depth": 21},
                       token=alice), 422, "out_of_range", "max_depth")
error("a bad parameter name", call("POST", jobs, {
    "source": "crawl", "drop_params": ["a b"]}, token=alice), 422,
    "invalid", "drop_params[0]")
sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'free')"
    " WHERE id = %d" % pid)
error("more pages than the plan", call("POST", jobs, {
    "source": "crawl", "max_pages": 1001}, token=alice), 402, "plan_limit",
    "max_pages")
error("a viewer", call("POST", jobs, {"source": "crawl"}, token=bob), 403,
      "forbidden")
error("another user", call("POST", jobs, {"source": "crawl"}, token=eve),
      404, "not_found")


# Priorities: a sitemap longer than the plan allows keeps its best.
class Site(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        status, body = (200, self.body) if self.path == "/prio.xml" else (
            404, b"not here\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
threading.Thread(target=srv.serve_forever, daemon=True).start()
HERE = "http://127.0.0.1:%d" % srv.server_address[1]
# 40 pages; priority i % 10 / 10, a lastmod on the odd ones, newer the
# higher i is.  Listed lowest first, so that the first ten are the worst.
entries = []
for i in range(40):
    p = (i * 7) % 10 / 10
    lastmod = "<lastmod>2026-%02d-01</lastmod>" % (1 + i % 12) \
        if i % 2 else ""
    entries.append((p, i, "<url><loc>%s/p/%d</loc><priority>%.1f</priority>"
                    "%s</url>\n" % (HERE, i, p, lastmod)))
entries.sort()
Site.body = ("<?xml version=\"1.0\"?>\n<urlset xmlns=\"http://www.sitemaps"
             ".org/schemas/sitemap/0.9\">\n" + "".join(
                 e[2] for e in entries) + "</urlset>\n").encode()
best = sorted("/p/%d" % e[1] for e in entries if e[0] >= 0.8)
sql("INSERT INTO plans (name, max_websites, max_urls_per_job,"
    " max_warms_per_day) VALUES ('eight', 5, %d, 1000)" % len(best))
sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name ="
    " 'eight') WHERE id = %d" % pid)
w2 = ok("a site of priorities", call(
    "POST", "/api/projects/%d/websites" % pid, {
        "base_url": HERE + "/",
        "varnish_nodes": ["http://127.0.0.1:%d" % NODE]},
    token=alice), 201)["id"]
mark = len(log_lines())
pj = ok("a sitemap job", call("POST", "/api/websites/%d/jobs" % w2, {
    "sitemap_url": HERE + "/prio.xml"}, token=alice), 201)
drain("--concurrency", "1", "--batch", "1")
pd = wait_end(pj["id"], alice)
expect("priorities: done", (pd["status"], pd["urls_total"]),
       ("done", len(best)))
expect("priorities: said", "those of the highest priority" in pd["notes"],
       True)
prow = results(pd["id"], alice)
expect("priorities: the highest warmed", sorted(
    r["url"][len(HERE):] for r in prow), best)
# The order they were warmed in: as Varnish fetched them from the
# origin behind it (each a miss), one at a time.
value = {"/p/%d" % e[1]: e[0] for e in entries}
warmed = [u for _, u, via in log_lines()[mark:] if via == "varnish" and
          u in value]
expect("priorities: each warmed once", sorted(warmed), best)
# Should the order be wrong: whether a task was claimed twice (its lease
# ran out) or held back, in the order the tasks ended.
hist = sql("SELECT string_agg(url || ' p' || priority || ' tries '"
           " || attempts || ' at ' || to_char(finished_at, 'HH24:MI:SS.MS'),"
           " '; ' ORDER BY finished_at) FROM warm_tasks WHERE job_id = %d"
           % pd["id"])
expect("priorities: warmed most valuable first (tasks: %s)" % hist,
       [value[u] for u in warmed], sorted((value[u] for u in warmed),
                                          reverse=True))
lm = {r: float(sql("SELECT priority FROM warm_tasks WHERE job_id = %d"
                   " AND url = '%s'" % (pd["id"], HERE + r)))
      for r in warmed}
expect("priorities: lastmod within a priority (%r)" % lm,
       [lm[u] for u in warmed], sorted(lm.values(), reverse=True))

# A crawl under that plan: its pages and fragments within the cap, the
# start and the shallowest kept.
cj = ok("a crawl under a small plan", call("POST", jobs, {
    "source": "crawl"}, token=alice), 201)
drain()
cjd = wait_end(cj["id"], alice)
expect("small plan: done " + repr(cjd), (cjd["status"],
                                          0 < cjd["urls_total"] <= len(best)),
       ("done", True))
# Pages fetched, redirects included, are held to the plan's URLs a job.
expect("small plan: said", "at most %d pages" % len(best) in cjd["notes"]
       and "it ended: the page limit was reached" in cjd["notes"], True)
crows = {r["url"][len(SITE):] for r in results(cj["id"], alice)}
expect("small plan: the start and its fragment kept",
       {"/", "/esi/header"} <= crows, True)
expect("small plan: nothing deeper than a link from the start",
       "/session/page?p=1" in crows or "/calendar?month=2" in crows, False)
print("%d checks, 0 failed" % checks)
