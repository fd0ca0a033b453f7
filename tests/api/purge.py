"""Assertions on a website's purge, over HTTP: the API's port, the
Varnish node's port (vcl/shopware6.vcl), a command that drains the queue
once (a stoked worker, through that node), the database's URL (to look
under the API)."""

import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

A, NODE = int(sys.argv[1]), int(sys.argv[2])
WORKER, PGURL = sys.argv[3], sys.argv[4]
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


def visit(path):
    """A visitor's GET through the node: (status, hit).  X-Varnish names
    two transactions when the object came from the cache."""
    c = http.client.HTTPConnection("127.0.0.1", NODE, timeout=30)
    c.request("GET", path, headers={"Host": "localhost"})
    r = c.getresponse()
    r.read()
    xv = r.getheader("X-Varnish") or ""
    c.close()
    return r.status, len(xv.split()) == 2


def cached(path):
    """Fetched until the node holds it: the second GET is a hit."""
    visit(path)
    expect("cached " + path, visit(path), (200, True))


def closed_port():
    """A port nothing listens on: bound, then let go."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def drain():
    subprocess.run([WORKER], check=True, timeout=120)


def wait_ended(job, token):
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
up = "http://127.0.0.1:%d" % NODE
down = "http://127.0.0.1:%d" % closed_port()
wid = ok("a website", call("POST", "/api/projects/%d/websites" % pid, {
    "base_url": "http://localhost/", "cache_type": "shopware",
    "varnish_nodes": [up, down]}, token=alice), 201)["id"]
PG = "/api/websites/%d/purge" % wid

# A URL: the node that is up purges it, the one that is down says why,
# and the purge is answered all the same, with its re-warm job.
cached("/product/1")
t0 = time.time()
rep = ok("purge a URL", call("POST", PG, {"urls": ["/product/1"]},
                             token=alice))
expect("answered within the purge's timeout", time.time() - t0 < 6, True)
res = rep["results"]
expect("one entry per node", [(e["node"], e["url"]) for e in res],
       [(up, "http://localhost/product/1"), (down,
                                              "http://localhost/product/1")])
expect("the node up purged", (res[0]["ok"], res[0]["status"], res[0]["error"]),
       (True, 200, None))
expect("the node down failed", (res[1]["ok"], res[1]["status"]), (False, None))
expect("and says why: " + repr(res[1]["error"]),
       "connect" in (res[1]["error"] or "").lower(), True)
expect("counted", (rep["purged"], rep["failed"]), (1, 1))
job = rep["job"]
expect("a re-warm job", (job["trigger"], job["source"], job["website_id"],
                         job["urls_total"], job["status"]),
       ("purge", "urls", wid, 1, "queued"))
expect("its task, the plain variant", sql(
    "SELECT url || '|' || variant FROM warm_tasks"
    " WHERE job_id = %d" % job["id"]), "http://localhost/product/1|")
expect("the node missed it next", visit("/product/1"), (200, False))
expect("an event for the node that purged", sql(
    "SELECT kind || ' ' || node || ' ' || subject || ' ' || job_id"
    " FROM invalidation_events WHERE website_id = %d" % wid),
    "purge %s http://localhost/product/1 %d" % (up, job["id"]))

# The re-warm job, run by a worker, brings the URL back.  It is purged
# again first, so that only the worker can have cached it.
cached("/product/1")
rep = ok("purge it again", call("POST", PG, {"urls": ["/product/1"]},
                                token=alice))
drain()
j = wait_ended(rep["job"]["id"], alice)
expect("the re-warm job done", (j["status"], j["urls_completed"]),
       ("done", 1))
expect("cached again by it", visit("/product/1"), (200, True))

# Tags (xkey): hard drops the tagged objects, soft keeps them for grace;
# each node says how many it invalidated.  No re-warm job: the API does
# not know which URLs carried them.
cached("/product/2")
cached("/product/3")
rep = ok("purge a tag, hard", call("POST", PG, {"tags": ["product-2"],
                                                "hard": True}, token=alice))
expect("a tag's entries", [(e["node"], e["tag"], e["ok"], e["objects"])
                           for e in rep["results"]],
       [(up, "product-2", True, 1), (down, "product-2", False, None)])
expect("no job for tags", rep["job"], None)
expect("the tagged object dropped", visit("/product/2"), (200, False))
expect("another kept", visit("/product/3"), (200, True))
rep = ok("purge a tag, soft", call("POST", PG, {"tags": ["product-3",
                                                         "nothing-here"]},
                                   token=alice))
expect("soft: counted, and a tag of nothing", [
    (e["tag"], e["objects"]) for e in rep["results"] if e["ok"]],
    [("product-3", 1), ("nothing-here", 0)])
expect("tag events", sql(
    "SELECT string_agg(subject || ' ' || soft || ' ' || objects_dropped"
    " || ' ' || (job_id IS NULL), ',' ORDER BY id) FROM invalidation_events"
    " WHERE website_id = %d AND kind = 'tag'" % wid),
    "product-2 false 1 true,product-3 true 1 true,nothing-here true 0 true")

# URLs and tags in one purge: every item to every node.
rep = ok("both", call("POST", PG, {"urls": ["/product/4",
                                            "http://localhost/product/5"],
                                   "tags": ["category-1"]}, token=alice))
expect("items by nodes", [(e.get("url") or e.get("tag"), e["node"])
                          for e in rep["results"]],
       [("http://localhost/product/4", up), ("http://localhost/product/4",
                                              down),
        ("http://localhost/product/5", up), ("http://localhost/product/5",
                                              down),
        ("category-1", up), ("category-1", down)])
expect("two URLs re-warmed", rep["job"]["urls_total"], 2)

# Who may: a viewer reads, does not purge; another user's website is
# nobody's to them.
error("a viewer", call("POST", PG, {"urls": ["/product/1"]}, token=bob),
      403, "forbidden")
error("another user", call("POST", PG, {"urls": ["/product/1"]}, token=eve),
      404, "not_found")
error("no one", call("POST", PG, {"urls": ["/product/1"]}), 401,
      "unauthorized")
error("no website", call("POST", "/api/websites/999999/purge",
                         {"urls": ["/"]}, token=alice), 404, "not_found")

# Hostile bodies, each refused before anything is sent.
before = sql("SELECT count(*) FROM invalidation_events")
for body, status, code, field in (
        ({}, 422, "required", "urls"),
        ({"urls": [], "tags": []}, 422, "required", "urls"),
        ({"urls": ["http://evil.example/x"]}, 422, "foreign_host",
         "urls[0]"),
        ({"urls": ["/a", "http://localhost.evil.example/"]}, 422,
         "foreign_host", "urls[1]"),
        ({"urls": ["/a\r\nX-Injected: 1"]}, 422, "invalid_url", "urls[0]"),
        ({"urls": ["ftp://localhost/x"]}, 422, "invalid_url", "urls[0]"),
        ({"tags": ["a\r\nX-Injected: 1"]}, 422, "invalid", "tags[0]"),
        ({"tags": ["a b"]}, 422, "invalid", "tags[0]"),
        ({"tags": ["a,b"]}, 422, "invalid", "tags[0]"),
        ({"tags": ["x" * 129]}, 422, "too_long", "tags[0]"),
        ({"urls": ["/"] * 101}, 422, "too_long", "urls"),
        ({"urls": [{"url": "/"}]}, 422, "invalid", "urls[0]"),
        ({"urls": "/product/1"}, 422, "invalid", "urls"),
        ({"urls": ["/"], "hard": 1}, 422, "invalid", "hard"),
        ({"urls": ["/"], "nodes": [up]}, 400, "unknown_field", None)):
    res = call("POST", PG, body, token=alice)
    if code is None:
        expect("refused %r" % body, res[0], status)
    else:
        error("refused %r" % body, res, status, code, field)
expect("nothing recorded for them",
       sql("SELECT count(*) FROM invalidation_events"), before)

# Tags on a website without xkey (vcl/default.vcl would purge / and say
# it did); a website without nodes.
ok("plain varnish", call("PUT", "/api/websites/%d" % wid,
                         {"cache_type": "varnish"}, token=alice))
error("tags without xkey", call("POST", PG, {"tags": ["product-1"]},
                                token=alice), 422, "tags_unsupported", "tags")
ok("no nodes", call("PUT", "/api/websites/%d" % wid,
                    {"varnish_nodes": []}, token=alice))
error("nothing to purge", call("POST", PG, {"urls": ["/"]}, token=alice),
      422, "no_nodes")

# The address policy holds when connecting, whatever the website says
# now: a node put in the database at the metadata service's address is
# refused, with no request sent.
sql("UPDATE websites SET varnish_nodes = ARRAY['http://169.254.169.254:80']"
    " WHERE id = %d" % wid)
rep = ok("a forbidden node", call("POST", PG, {"urls": ["/"]}, token=alice))
e = rep["results"][0]
expect("refused: " + repr(e["error"]), (e["ok"], e["status"],
                                        "metadata service: refused" in e["error"]),
       (False, None, True))
expect("nothing purged, nothing re-warmed", (rep["purged"], rep["job"]),
       (0, None))

print("%d checks, 0 failed" % checks)
