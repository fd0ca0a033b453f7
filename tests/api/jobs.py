"""Assertions on a website's warm jobs and their results, over HTTP: the
API's port, the Varnish node's port, a command that drains the queue
once (a stoked worker), the database's URL (to look under the API), and
one that drains it with a worker that takes the website's nodes and does
not allow private addresses."""

import csv
import io
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

A, NODE = int(sys.argv[1]), int(sys.argv[2])
WORKER, PGURL, STRICT = sys.argv[3], sys.argv[4], sys.argv[5]
checks = 0


def call(method, path, body=None, token=None, accept=None, raw=False):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (A, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    if accept is not None:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text, ctype = r.status, r.read(), r.headers["Content-Type"]
    except urllib.error.HTTPError as e:
        status, text, ctype = e.code, e.read(), e.headers["Content-Type"]
    if raw:
        return status, text.decode(), ctype
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = None
    return status, doc


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def error(what, res, status, code, field=None):
    st, doc = res
    expect(what + ": status " + repr(doc), st, status)
    err = (doc or {}).get("error") or {}
    if code is not None:
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


def drain():
    subprocess.run([WORKER], check=True, timeout=120)


def wait_done(job, token):
    deadline = time.time() + 60
    while True:
        j = ok("poll job", call("GET", "/api/jobs/%d" % job, token=token))
        if j["status"] not in ("queued", "running"):
            return j
        if time.time() > deadline:
            sys.exit("FAIL: job %d still %s" % (job, j["status"]))
        time.sleep(0.2)


alice, bob, eve = user("alice"), user("bob"), user("eve")
pid = ok("a project", call("POST", "/api/projects", {"name": "Shop"},
                          token=alice), 201)["id"]
ok("bob a viewer", call("POST", "/api/projects/%d/members" % pid, {
    "email": "bob@shop.example", "role": "viewer"}, token=alice))
w = ok("a website", call("POST", "/api/projects/%d/websites" % pid, {
    "base_url": "http://localhost/",
    "varnish_nodes": ["http://127.0.0.1:%d" % NODE]}, token=alice), 201)
wid = w["id"]
jobs = "/api/websites/%d/jobs" % wid

# A job of N URLs: products (cached), a private page (uncacheable), a
# page that is not there (origin error); paths and absolute URLs.
N = 250
urls = ["/product/%d" % i for i in range(1, N - 1)]
urls += ["http://localhost/private", "nope/really"]
job = ok("create", call("POST", jobs, {"urls": urls}, token=alice), 201)
jid = job["id"]
expect("queued", (job["status"], job["urls_total"], job["trigger"],
                  job["source"], job["website_id"]),
       ("queued", N, "manual", "urls", wid))
expect("no rate while queued", (job["rate"], job["eta_seconds"]),
       (None, None))
expect("the tasks, absolute", sql(
    "SELECT count(*) FILTER (WHERE url LIKE 'http://localhost/%%') || ' ' ||"
    " count(*) FILTER (WHERE url = 'http://localhost/nope/really')"
    " FROM warm_tasks WHERE job_id = %d" % jid), "%d 1" % N)
lst = ok("list", call("GET", jobs, token=bob))
expect("listed for the viewer", [j["id"] for j in lst["jobs"]], [jid])
drain()
done = wait_done(jid, bob)
expect("done", (done["status"], done["urls_completed"] + done["urls_failed"]),
       ("done", N))
expect("times", bool(done["started_at"]) and bool(done["finished_at"]), True)

# Results: filters
res = "/api/jobs/%d/results" % jid
allr = ok("all results", call("GET", res + "?limit=1000", token=bob))
rows = allr["results"]
expect("one result per URL", len(rows), N)
expect("no next page", allr["next_cursor"], None)
expect("the columns", sorted(rows[0]), sorted([
    "id", "url", "variant", "node", "status", "load_ms", "ttfb_ms",
    "cache_status", "outcome", "reason", "ttl", "recorded_at", "fragment",
    "asset_of", "timings", "headers"]))
cached = ok("outcome=cached", call("GET", res + "?outcome=cached&limit=1000",
                                   token=bob))["results"]
expect("cached: the products", len(cached), N - 2)
expect("cached: all of them", {r["outcome"] for r in cached}, {"cached"})
miss = ok("cache_status=miss", call(
    "GET", res + "?cache_status=miss&limit=1000", token=bob))["results"]
expect("cache_status filters", {r["cache_status"] for r in miss}, {"miss"})
st404 = ok("status=404", call("GET", res + "?status=404", token=bob))
expect("status=404", [r["url"] for r in st404["results"]],
       ["http://localhost/nope/really"])
priv = ok("url substring", call("GET", res + "?url=priv", token=bob))
expect("url substring", [r["url"] for r in priv["results"]],
       ["http://localhost/private"])
for pat in ("%", "_", "\\", "product/1_"):
    got = ok("url " + pat, call("GET", res + "?url=" + urllib.parse.quote(
        pat), token=bob))["results"]
    expect("url %r taken literally" % pat, got, [])
p1 = ok("product/1", call("GET", res + "?url=product/1&limit=1000",
                          token=bob))["results"]
expect("url product/1", len(p1), len([u for u in urls if "product/1" in u]))


# The headers kept with each result, as Varnish answered the worker: its
# X-Varnish and Age, the origin's Cache-Control; a cookie set by the
# origin by its name only, never its value; nothing of the request.
prod = next(r for r in cached if r["url"] == "http://localhost/product/1")
h = prod["headers"]
expect("headers: an object", isinstance(h, dict), True)
expect("headers: X-Varnish, a transaction id", h.get("X-Varnish", "x").split(
    " ")[0].isdigit(), True)
expect("headers: the origin's Cache-Control", h.get("Cache-Control"),
       "public, max-age=300")
expect("headers: Age", h.get("Age", "x").isdigit(), True)
expect("headers: Content-Type", h.get("Content-Type", "").startswith(
    "text/html"), True)
expect("headers: Via, Varnish's", "varnish" in h.get("Via", "").lower(), True)
expect("headers: bounded", len(h) <= 16 and all(
    isinstance(v, str) and len(v) <= 256 for v in h.values()), True)
expect("headers: none of the request", [k for k in h if k.lower() in (
    "authorization", "cookie", "stoke-warm", "host")], [])
ph = priv["results"][0]["headers"]
expect("headers: the cookie's name", ph.get("Set-Cookie"), "session")
cookie = sql("SELECT count(*) FROM page_results WHERE job_id = %d AND"
             " headers::text ~ 'session=|[0-9a-f]{16}'" % jid)
expect("headers: never a cookie's value, in the database", cookie, "0")
expect("headers: every result that had an answer", sql(
    "SELECT count(*) FROM page_results WHERE job_id = %d AND"
    " (headers IS NULL) <> (status IS NULL)" % jid), "0")


# Sorting and paging over every row: none twice, none missing.
def pages(query, limit, token=bob):
    seen, cursor, n = [], None, 0
    while True:
        q = query + "&limit=%d" % limit
        if cursor is not None:
            q += "&cursor=" + cursor
        page = ok("page " + q, call("GET", res + "?" + q, token=token))
        expect("page size", len(page["results"]) <= limit, True)
        seen += page["results"]
        cursor = page["next_cursor"]
        n += 1
        if cursor is None:
            return seen, n


def key(r, k):
    return float("inf") if r[k] is None else r[k]


for sort, col in (("id", "id"), ("ttfb", "ttfb_ms"),
                  ("load_time", "load_ms"), ("url", "url")):
    for order in ("asc", "desc"):
        got, n = pages("sort=%s&order=%s" % (sort, order), 37)
        ids = [r["id"] for r in got]
        expect("%s %s: every row once" % (sort, order), sorted(ids),
               sorted(r["id"] for r in rows))
        expect("%s %s: pages" % (sort, order), n, (N + 36) // 37)
        if col != "url":
            ks = [(key(r, col), r["id"]) for r in got]
            expect("%s %s: in order" % (sort, order), ks,
                   sorted(ks, reverse=order == "desc"))
got, _ = pages("outcome=cached&sort=ttfb", 50)
expect("filtered pages", sorted(r["id"] for r in got),
       sorted(r["id"] for r in cached))

# CSV: the same rows, parsable.
st, text, ctype = call("GET", res + "?sort=url", token=bob,
                       accept="text/csv", raw=True)
expect("csv status", st, 200)
expect("csv type", ctype.split(";")[0], "text/csv")
table = list(csv.DictReader(io.StringIO(text, newline="")))
expect("csv rows", len(table), N)
byid = {r["id"]: r for r in rows}
for t in table:
    r = byid[int(t["id"])]
    for k in ("url", "variant", "outcome", "cache_status", "reason"):
        expect("csv " + k, t[k], r[k] if r[k] is not None else "")
    expect("csv status", t["status"], str(r["status"]))
    if r["ttfb_ms"] is not None:
        expect("csv ttfb", float(t["ttfb_ms"]), r["ttfb_ms"])
expect("csv: no headers", "headers" in table[0], False)
expect("csv: nothing of them", "X-Varnish" in text, False)
st, text, _ = call("GET", res + "?outcome=uncacheable", token=bob,
                   accept="text/csv", raw=True)
expect("csv filtered", [r["url"] for r in csv.DictReader(io.StringIO(text))],
       ["http://localhost/private"])
sql("UPDATE page_results SET reason = 'a \"quoted\", reason\nacross lines'"
    " WHERE job_id = %d AND url LIKE '%%/private'" % jid)
st, text, _ = call("GET", res + "?url=private", token=bob, accept="text/csv",
                   raw=True)
expect("csv quoting", [r["reason"] for r in csv.DictReader(
    io.StringIO(text, newline=""))], ['a "quoted", reason\nacross lines'])

# ESI fragments: a filter either way, and a column of the export.
sql("UPDATE page_results SET fragment = true WHERE job_id = %d"
    " AND url IN ('http://localhost/product/3', 'http://localhost/product/7')"
    % jid)
fr = ok("fragment=true", call("GET", res + "?fragment=true&sort=url",
                              token=bob))["results"]
expect("fragment=true: the fragments", [(r["url"], r["fragment"])
                                        for r in fr],
       [("http://localhost/product/3", True),
        ("http://localhost/product/7", True)])
pg = ok("fragment=false", call("GET", res + "?fragment=false&limit=1000",
                               token=bob))["results"]
expect("fragment=false: the pages", (len(pg), {r["fragment"] for r in pg}),
       (N - 2, {False}))
got, _ = pages("fragment=false&sort=ttfb&outcome=cached", 60)
expect("fragment=false, paged with another filter", len(got), N - 4)
error("fragment=yes", call("GET", res + "?fragment=yes", token=bob), 422,
      "invalid")
st, text, _ = call("GET", res + "?fragment=true&sort=url", token=bob,
                   accept="text/csv", raw=True)
expect("csv of fragments", [(r["url"], r["fragment"]) for r in
                            csv.DictReader(io.StringIO(text))],
       [("http://localhost/product/3", "true"),
        ("http://localhost/product/7", "true")])
st, text, _ = call("GET", res + "?url=product/2&limit=1", token=bob,
                   accept="text/csv", raw=True)
expect("csv: the fragment column last", text.split("\r\n")[0].split(",")[-1],
       "fragment")
expect("csv: a page's fragment false", {r["fragment"] for r in
                                        csv.DictReader(io.StringIO(text))},
       {"false"})
sql("UPDATE page_results SET fragment = false WHERE job_id = %d" % jid)

# A CSV export of more than one page (1000 rows): read on from each
# page's cursor, as the store made it, each row once and in order (the
# database's, whose collation sorts the URLs); URL keys hold spaces,
# and some are equal.
big = sql("INSERT INTO cache_jobs (website_id, trigger, source, status)"
          " VALUES (%d, 'manual', 'urls', 'done') RETURNING id" % wid)
sql("INSERT INTO page_results (job_id, website_id, url, node, status,"
    " outcome, recorded_at)"
    " SELECT %s, %d, 'http://localhost/a page ' || (g / 2), 'n', 200,"
    " 'cached', now() FROM generate_series(1, 2345) g" % (big, wid))
st, text, _ = call("GET", "/api/jobs/%s/results?sort=url&order=desc" % big,
                   token=bob, accept="text/csv", raw=True)
expect("csv of pages", st, 200)
got = [(r["url"], int(r["id"])) for r in csv.DictReader(io.StringIO(text))]
expect("csv of pages: every row once", len(set(got)), 2345)
want = sql("SELECT string_agg(url || '|' || id, ',' ORDER BY url DESC,"
           " id DESC) FROM page_results WHERE job_id = %s" % big)
expect("csv of pages: in the database's order",
       ",".join("%s|%d" % r for r in got), want)
sql("DELETE FROM cache_jobs WHERE id = %s" % big)

# Variants: each URL once per variant, as the index writes them.
v = ok("variants", call("POST", jobs, {
    "urls": ["/product/1", "/product/2"],
    "variants": [{}, {"currency": "EUR", "country": "de de"}]},
    token=alice), 201)
expect("variants' tasks", sql(
    "SELECT string_agg(DISTINCT variant, '|' ORDER BY variant)"
    " || ' ' || count(*) FROM warm_tasks WHERE job_id = %d" % v["id"]),
    "|country=de%20de currency=EUR 4")

# Cancel, with no worker running: nothing of it is done after.
c = ok("to cancel", call("POST", jobs, {
    "urls": ["/product/%d" % i for i in range(1, 101)]}, token=alice), 201)
cid = c["id"]
error("a viewer cancels", call("DELETE", "/api/jobs/%d" % cid, token=bob),
      403, "forbidden")
error("another user cancels", call("DELETE", "/api/jobs/%d" % cid,
                                   token=eve), 404, "not_found")
x = ok("cancel", call("DELETE", "/api/jobs/%d" % cid, token=alice))
expect("cancelled", (x["status"], bool(x["finished_at"])),
       ("cancelled", True))
error("cancel again", call("DELETE", "/api/jobs/%d" % cid, token=alice),
      409, "job_ended")
error("cancel a done job", call("DELETE", "/api/jobs/%d" % jid,
                                token=alice), 409, "job_ended")
drain()
expect("no task of it done", sql(
    "SELECT count(*) FROM warm_tasks WHERE job_id = %d" % cid), "0")
expect("no result of it", sql(
    "SELECT count(*) FROM page_results WHERE job_id = %d" % cid), "0")
expect("still cancelled", ok("get", call(
    "GET", "/api/jobs/%d" % cid, token=alice))["status"], "cancelled")
expect("the variants' job ran", wait_done(v["id"], alice)["status"], "done")

# Listing: newest first, paged by before.
lst = ok("list 2", call("GET", jobs + "?limit=2", token=alice))
expect("newest first", [j["id"] for j in lst["jobs"]], [cid, v["id"]])
lst2 = ok("list after", call("GET", jobs + "?limit=2&before=%d" %
                             lst["next_before"], token=alice))
expect("the rest", ([j["id"] for j in lst2["jobs"]], lst2["next_before"]),
       ([jid], None))

# Isolation
for path in ("/api/jobs/%d" % jid, res, jobs):
    error("another user: " + path, call("GET", path, token=eve), 404,
          "not_found")
error("another user creates", call("POST", jobs, {"urls": ["/"]}, token=eve),
      404, "not_found")
error("a viewer creates", call("POST", jobs, {"urls": ["/"]}, token=bob),
      403, "forbidden")
error("no token", call("GET", res), 401, "unauthorized")

# Hostile input
error("another host", call("POST", jobs, {"urls": [
    "/a", "http://evil.example/x"]}, token=alice), 422, "foreign_host",
    "urls[1]")
error("a subdomain is another host", call("POST", jobs, {"urls": [
    "http://www.localhost/"]}, token=alice), 422, "foreign_host", "urls[0]")
error("not http", call("POST", jobs, {"urls": ["ftp://localhost/"]},
                       token=alice), 422, "invalid_url", "urls[0]")
error("a space", call("POST", jobs, {"urls": ["/a b"]}, token=alice), 422,
      "invalid_url", "urls[0]")
error("too many URLs", call("POST", jobs, {"urls": [
    "/product/%d" % i for i in range(1001)]}, token=alice), 402,
    "plan_limit", "urls")
error("no URL", call("POST", jobs, {"urls": []}, token=alice), 422, None,
      "urls")
error("urls and a sitemap", call("POST", jobs, {
    "urls": ["/"], "sitemap_url": "http://localhost/sitemap.xml"},
    token=alice), 422, "invalid", "sitemap_url")
error("a bad variant", call("POST", jobs, {"urls": ["/"], "variants": [
    {"Currency": "EUR"}]}, token=alice), 422, None)
error("unknown field", call("POST", jobs, {"urls": ["/"], "x": 1},
                            token=alice), 400, None)
for q, field in (("cursor=abc", "cursor"), ("cursor=%25%25", "cursor"),
                 ("sort=name", "sort"), ("order=up", "order"),
                 ("outcome=great", "outcome"), ("status=99", "status"),
                 ("limit=0", "limit"), ("limit=1001", "limit")):
    err = call("GET", res + "?" + q, token=bob)
    expect(q + ": 422 " + repr(err[1]), err[0], 422)
    expect(q + ": field", err[1]["error"]["field"], field)
idc = ok("an id cursor", call("GET", res + "?limit=1", token=bob))
error("a cursor of another sort", call(
    "GET", res + "?sort=url&cursor=" + idc["next_cursor"], token=bob), 422,
    "invalid_cursor", "cursor")
error("no such job", call("GET", "/api/jobs/999999", token=alice), 404,
      "not_found")

# A variant is sent as the website's variant_inputs say; without them
# (and no --dims on the worker) it cannot be, and its result says why.
vres = ok("variant results", call("GET", "/api/jobs/%d/results" % v["id"],
                                  token=alice))["results"]
expect("no inputs: the variant not replayable", sorted(
    "no variant_inputs" in (r["reason"] or "") for r in vres),
    [False, False, True, True])
ok("variant inputs", call("PUT", "/api/websites/%d" % wid, {
    "variant_inputs": {"currency": "cookie:sw-currency",
                       "country": "header:X-Country"}}, token=alice))
vi = ok("a job of a variant", call("POST", jobs, {
    "urls": ["/product/7"], "variants": [{"currency": "CHF",
                                          "country": "de de"}]},
    token=alice), 201)
drain()
wait_done(vi["id"], alice)
vr = ok("its result", call("GET", "/api/jobs/%d/results" % vi["id"],
                           token=alice))["results"]
expect("sent as the website says: " + repr(vr),
       [(r["variant"], r["status"], "replayable" in (r["reason"] or ""))
        for r in vr], [("country=de%20de currency=CHF", 200, False)])

# The website's node is the tenant's word: a worker that does not allow
# private addresses refuses it as it connects, whatever it resolved to
# when it was saved.
strict = ok("a job for the strict worker", call(
    "POST", jobs, {"urls": ["/product/1"]}, token=alice), 201)
subprocess.run([STRICT], check=True, timeout=120)
sd = wait_done(strict["id"], alice)
expect("strict: failed", (sd["status"], sd["urls_failed"]), ("done", 1))
sr = ok("strict: results", call("GET", "/api/jobs/%d/results" % strict["id"],
                                token=alice))["results"]
expect("strict: the node refused, and why " + repr(sr),
       [("loopback address: refused" in (r["reason"] or ""), r["status"])
        for r in sr], [(True, None)])
print("%d checks, 0 failed" % checks)
