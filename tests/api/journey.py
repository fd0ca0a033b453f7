"""A tenant's journey over HTTP, end to end: the ports of replicas A and
B, of the test origin, of the Varnish node in front of it, and a
command that drains the queue once (a stoked worker).

Each step reads what the one before it made, on whichever replica: the
job started on A with an API key is followed on B as a browser would
(EventSource, the token in the query), and what the stream said is what
the results, the analytics and the usage say afterwards."""

import csv
import http.client
import io
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

A, B, ORIGIN, NODE = (int(p) for p in sys.argv[1:5])
WORKER = sys.argv[5]
checks = 0


def fail(msg):
    sys.exit("FAIL: " + msg)


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))


def call(port, method, path, body=None, token=None, accept=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    if accept is not None:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        doc = json.loads(text) if text and accept is None else text
    except ValueError:
        doc = text
    return status, doc


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1])[:300], res[0], status)
    return res[1]


def events(port, path, token, seconds=60):
    """Every event of a stream, as EventSource reads them, to its end."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=seconds)
    c.request("GET", path + "?" + urllib.parse.urlencode(
        {"access_token": token}), headers={"Accept": "text/event-stream"})
    r = c.getresponse()
    expect("the stream opens", (r.status, r.headers.get(
        "Content-Type", "").split(";")[0]), (200, "text/event-stream"))
    deadline = time.time() + seconds
    out, ev, buf = [], {}, b""
    while True:
        while b"\n" not in buf:
            if time.time() > deadline:
                fail("the stream did not end within %d s" % seconds)
            c.sock.settimeout(max(deadline - time.time(), 0.1))
            try:
                data = r.read1(65536)
            except socket.timeout:
                continue
            if not data:
                return out
            buf += data
        line, buf = buf.split(b"\n", 1)
        line = line.decode()
        if line == "":
            if "data" in ev:
                ev["data"] = json.loads(ev["data"])
                out.append(ev)
                if ev.get("event") == "end":
                    c.close()
                    return out
            ev = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            ev[name] = value[1:] if value.startswith(" ") else value


# Sign up, a project, the shop as a website with its Varnish node.
tok = ok("sign up", call(A, "POST", "/api/auth/register", {
    "name": "Jo", "email": "jo@shop.example",
    "password": "a long enough secret"}), 201)["token"]
me = ok("me on B", call(B, "GET", "/api/auth/me", token=tok))
expect("who", me["user"]["email"], "jo@shop.example")
pid = ok("a project", call(A, "POST", "/api/projects", {"name": "Shop"},
                          token=tok), 201)["id"]
site = ok("a website", call(B, "POST", "/api/projects/%d/websites" % pid, {
    "name": "Shop", "base_url": "http://127.0.0.1:%d/" % ORIGIN,
    "varnish_nodes": ["http://127.0.0.1:%d" % NODE]}, token=tok), 201)
wid = site["id"]

# CI starts the job of the website's sitemap with a key of its own.
key = ok("a CI key", call(A, "POST", "/api/projects/%d/keys" % pid, {
    "name": "deploy", "scopes": ["read", "jobs"]}, token=tok), 201)["key"]
job = ok("a sitemap job", call(A, "POST", "/api/websites/%d/jobs" % wid,
                              {}, token=key), 201)
jid = job["id"]
expect("queued, of the sitemap", (job["status"], job["source"]),
       ("queued", "sitemap"))

# Followed on B while a worker carries it out.
worker = subprocess.Popen([WORKER])
evs = events(B, "/api/jobs/%d/events" % jid, tok)
expect("the worker ended", worker.wait(timeout=120), 0)
end = [e for e in evs if e.get("event") == "end"]
expect("one end, last", (len(end), evs[-1].get("event")), (1, "end"))
final = end[0]["data"]
total = final["urls_total"]
expect("done, every URL", (final["status"], final["urls_completed"] +
                           final["urls_failed"]), ("done", total))
expect("the sitemap's URLs", total > 100, True)
streamed = [e for e in evs if e.get("event") == "result"]
ids = [int(e["id"]) for e in streamed]
expect("each result once, in order", (len(ids), ids), (total, sorted(set(
    ids))))
expect("a result is the results route's row", sorted(streamed[0]["data"]),
       sorted(["id", "url", "variant", "node", "status", "load_ms",
               "ttfb_ms", "cache_status", "outcome", "reason", "ttl",
               "recorded_at", "fragment", "asset_of", "timings",
               "headers"]))
expect("a result streamed: the headers Varnish answered with",
       "X-Varnish" in (streamed[0]["data"]["headers"] or {}), True)

# The results: paged on A, exported as CSV with the key: the same rows.
seen, cursor = [], None
while True:
    q = "?limit=50" + ("&cursor=" + cursor if cursor else "")
    page = ok("a page", call(A, "GET", "/api/jobs/%d/results%s" % (jid, q),
                             token=tok))
    seen += page["results"]
    cursor = page["next_cursor"]
    if cursor is None:
        break
expect("the pages: the streamed results", sorted(r["id"] for r in seen),
       ids)
st, text = call(B, "GET", "/api/jobs/%d/results?limit=1000" % jid,
                token=key, accept="text/csv")
expect("CSV", st, 200)
rows = list(csv.DictReader(io.StringIO(text, newline="")))
expect("CSV: the same rows", sorted(int(r["id"]) for r in rows), ids)
outcomes = {}
for r in seen:
    outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1

# The analytics, the usage: what the results were.
an = ok("analytics", call(B, "GET", "/api/websites/%d/analytics" % wid,
                          token=tok))
t = an["totals"]
expect("analytics: every result", t["results"], total)
expect("analytics: by outcome",
       {k: v for k, v in t["outcomes"].items() if v}, outcomes)
expect("analytics: times", t["ttfb_ms"]["n"] > 0 and
       0 < t["ttfb_ms"]["p50"] <= t["ttfb_ms"]["p95"] <= t["ttfb_ms"]["p99"],
       True)
expect("analytics: one series total", sum(b["results"] for b in an["series"]),
       total)
dash = ok("dashboard", call(A, "GET", "/api/analytics/dashboard",
                            token=tok))
expect("the dashboard: the same", dash["totals"]["results"], total)
ok("recommendations", call(A, "GET", "/api/websites/%d/recommendations"
                           % wid, token=key))
use = ok("usage", call(B, "GET", "/api/projects/%d/usage" % pid, token=tok))
expect("usage: warms today", use["warms_today"]["used"], total)

# Signed out on A: refused on B at once, the key still works.
ok("logout", call(A, "POST", "/api/auth/logout", token=tok), 204)
st, doc = call(B, "GET", "/api/auth/me", token=tok)
expect("signed out, on B", (st, doc["error"]["code"]),
       (401, "token_revoked"))
ok("the key still reads", call(B, "GET", "/api/jobs/%d" % jid, token=key))
print("journey: %d URLs, %d checks" % (total, checks))
