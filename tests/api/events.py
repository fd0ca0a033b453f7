"""Assertions on the event streams (Server-Sent Events) over HTTP: the
ports of replicas A (heartbeat 0.5 s) and B (heartbeat 60 s), the
Varnish node's port, a command that drains the queue once (a stoked
worker), the database's URL (to write an invalidation as an agent
would, and to look under the API).

Streams are read as a browser's EventSource reads them, line by line
from a raw HTTP/1.1 answer; every wait has a deadline."""

import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

A, B, NODE = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
WORKER, PGURL = sys.argv[4], sys.argv[5]
checks = 0


def fail(msg):
    sys.exit("FAIL: " + msg)


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))


def call(port, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = text.decode()
    return status, doc


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def sql(*qs):
    """Each query's answer, one after the other, from one psql."""
    args = []
    for q in qs:
        args += ["-c", q]
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL] + args, check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def user(name):
    return ok("register " + name, call(A, "POST", "/api/auth/register", {
        "name": name, "email": name + "@shop.example",
        "password": "a long enough secret"}), 201)["token"]


def login(name):
    return ok("login " + name, call(A, "POST", "/api/auth/login", {
        "email": name + "@shop.example",
        "password": "a long enough secret"}))["token"]


class Stream:
    """One event stream, as EventSource reads it: events are dicts of
    their fields (id, event, data parsed as JSON), comments ": ..."
    strings, None the end of the stream."""

    def __init__(self, port, path, token=None, headers=None, query=None):
        if query:
            path += "?" + urllib.parse.urlencode(query)
        self.conn = http.client.HTTPConnection("127.0.0.1", port,
                                               timeout=30)
        h = {"Accept": "text/event-stream"}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        self.conn.request("GET", path, headers=h)
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = self.resp.headers
        self.buf = b""
        self.eof = False
        self.retry = None
        self.last_id = None
        if self.status != 200:
            self.body = json.loads(self.resp.read())
            self.close()

    def line(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                fail("the stream said nothing in time")
            self.sock.settimeout(left)
            try:
                data = self.resp.read1(65536)
            except socket.timeout:
                fail("the stream said nothing in time")
            if not data:
                self.eof = True
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def next(self, seconds=20):
        """The next event or comment; None at the stream's end."""
        deadline = time.time() + seconds
        ev = {}
        while True:
            line = self.line(deadline)
            if line is None:
                return None
            if line == "":
                if "data" in ev:
                    ev["data"] = json.loads(ev["data"])
                    return ev
                if "id" in ev:
                    # An id and no data: kept, no event (as a browser).
                    self.last_id = ev["id"]
                ev = {}
                continue
            if line.startswith(":"):
                if ev:
                    fail("a comment inside an event: %r" % line)
                return line
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "retry":
                self.retry = int(value)
            elif name == "id":
                ev["id"] = value
                self.last_id = value
            elif name == "data":
                ev["data"] = ev["data"] + "\n" + value if "data" in ev \
                    else value
            elif name == "event":
                ev["event"] = value
            else:
                fail("an unknown field: %r" % line)

    def event(self, seconds=20):
        """The next event, comments skipped; None at the end."""
        deadline = time.time() + seconds
        while True:
            ev = self.next(max(deadline - time.time(), 0.01))
            if not isinstance(ev, str):
                return ev

    def close(self):
        self.resp.close()
        self.conn.close()


def refused(what, s, status, code):
    expect(what + ": status", s.status, status)
    expect(what + ": code", s.body["error"]["code"], code)
    expect(what + ": a message", bool(s.body["error"]["message"]), True)


def metric(port, name):
    st, text = call(port, "GET", "/metrics")
    expect("metrics", st, 200)
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def until(what, fn, seconds=20):
    deadline = time.time() + seconds
    while not fn():
        if time.time() > deadline:
            fail("not within %d s: %s" % (seconds, what))
        time.sleep(0.05)


PROGRESS = {"job_id", "urls_total", "urls_completed", "urls_failed", "rate",
            "eta_seconds", "status"}
RESULT = {"id", "url", "variant", "node", "status", "load_ms", "ttfb_ms",
          "cache_status", "outcome", "reason", "ttl", "recorded_at",
          "fragment", "asset_of", "timings", "headers"}


SEEN = {}


def follow(s, results, progress, until_results=None, seconds=60):
    """A job stream's events, into results and progress, up to its end
    (the end event, then EOF) or until until_results results were read.
    The end's job, or None."""
    deadline = time.time() + seconds
    while True:
        if until_results is not None and len(results) >= until_results:
            return None
        ev = s.event(max(deadline - time.time(), 0.01))
        if ev is None:
            fail("the stream ended before its job")
        if ev["event"] == "result":
            expect("a result's fields", set(ev["data"]), RESULT)
            expect("a result's id is its event's", ev["id"],
                   str(ev["data"]["id"]))
            results.append(ev["data"]["id"])
            SEEN[ev["data"]["id"]] = ev["data"]
        elif ev["event"] == "progress":
            expect("progress's fields", set(ev["data"]), PROGRESS)
            expect("progress has no id", "id" in ev, False)
            progress.append(ev["data"])
        elif ev["event"] == "end":
            expect("end has no id", "id" in ev, False)
            expect("after the end, the stream ends", s.next(10), None)
            return ev["data"]
        else:
            fail("an unknown event %r" % ev)


alice, bob = user("alice"), user("bob")
pid = ok("a project", call(A, "POST", "/api/projects", {"name": "Shop"},
                           token=alice), 201)["id"]
w = ok("a website", call(A, "POST", "/api/projects/%d/websites" % pid, {
    "base_url": "http://localhost/",
    "variants": [{}, {"currency": "EUR"}],
    "varnish_nodes": ["http://127.0.0.1:%d" % NODE]}, token=alice), 201)
wid = w["id"]
WEV = "/api/websites/%d/events" % wid

# A heartbeat with nothing happening (A: every 0.5 s), after the retry
# line; the answer's headers as a proxy needs them.
s = Stream(A, WEV, token=alice)
expect("a stream", s.status, 200)
expect("its type", s.headers["Content-Type"], "text/event-stream")
expect("not cached", s.headers["Cache-Control"], "no-cache")
expect("not buffered", s.headers["X-Accel-Buffering"], "no")
expect("a heartbeat", s.next(5), ": ping")
expect("retry: said first", s.retry, 3000)
expect("an id to come back with, set before any event", s.last_id, "0")
expect("another heartbeat", s.next(5), ": ping")
s.close()

# Who may: a member only, signed in, with a live token.
s = Stream(B, WEV, token=bob)
refused("another user's website", s, 404, "not_found")
s = Stream(B, WEV)
refused("no token", s, 401, "unauthorized")
s = Stream(B, WEV, token="not.a.token")
refused("a bad token", s, 401, "invalid_token")
s = Stream(B, "/api/websites/999999/events", token=alice)
refused("no such website", s, 404, "not_found")
s = Stream(B, "/api/jobs/abc/events", token=alice)
refused("not an id", s, 404, "not_found")
s = Stream(B, WEV, token=alice, headers={"Last-Event-ID": "x"})
refused("a bad Last-Event-ID", s, 422, "invalid")
st, _ = call(B, "GET", "/api/websites/%d?access_token=%s" % (wid, alice))
expect("?access_token= is for the event streams only", st, 401)

# The website's stream on B, opened as a browser would (the token in
# the query), before the job is made on A.
ws = Stream(B, WEV, query={"access_token": alice})
expect("a stream, by ?access_token=", ws.status, 200)

# A job of N URLs and 2 variants, made on A; its stream on B.
N = 60
urls = ["/product/%d" % i for i in range(1, N + 1)]
job = ok("a job", call(A, "POST", "/api/websites/%d/jobs" % wid,
                       {"urls": urls}, token=alice), 201)
jid = job["id"]
JEV = "/api/jobs/%d/events" % jid
s = Stream(B, JEV, token=bob)
refused("another user's job", s, 404, "not_found")
js = Stream(B, JEV, token=alice)
expect("the job's stream", js.status, 200)
first = js.event(10)
expect("first, the job as it is", (first["event"], first["data"]["status"],
                                   first["data"]["urls_total"]),
       ("progress", "queued", 2 * N))
worker = subprocess.Popen([WORKER])

# Half of it, then the client goes; it comes back to B with the last id
# it saw, and gets exactly what it missed, then what comes, then the end.
results, progress = [], [first["data"]]
follow(js, results, progress, until_results=N)
js.close()
until("the stream gone from B's gauge",
      lambda: metric(B, "stoke_api_sse_streams") == 1)
last = results[-1]
js = Stream(B, JEV, token=alice, headers={"Last-Event-ID": str(last)})
expect("the job's stream again", js.status, 200)
end = follow(js, results, progress)
js.close()
expect("the end: the job done", (end["id"], end["status"],
                                 end["urls_completed"] + end["urls_failed"]),
       (jid, "done", 2 * N))
expect("every result once, in order", results, sorted(set(results)))
expect("a result per URL and variant", len(results), 2 * N)
expect("the job's results, all of them", results, [int(x) for x in sql(
    "SELECT string_agg(id::text, ' ' ORDER BY id) FROM page_results"
    " WHERE job_id = %d" % jid).split()])
rows = ok("the job's results", call(A, "GET", "/api/jobs/%d/results"
                                   "?limit=1000" % jid, token=alice))
expect("each result as GET .../results says it",
       {r["id"]: r for r in rows["results"]}, SEEN)
done = [p["urls_completed"] + p["urls_failed"] for p in progress]
expect("progress only grows", done, sorted(done))
expect("progress while it ran",
       any(p["status"] == "running" and 0 < p["urls_completed"] < 2 * N
           for p in progress), True)
expect("progress at the end", progress[-1]["urls_completed"] +
       progress[-1]["urls_failed"], 2 * N)
running = [p for p in progress if p["status"] == "running"]
expect("a rate while running", all(p["rate"] is not None for p in running),
       True)
worker.wait(60)
expect("the worker", worker.returncode, 0)

# A job that has ended: its progress, the results after the id, its
# end, and the stream closes (?last_event_id=, as on a first
# connection); on A this time.
again, prog = [], []
js = Stream(A, JEV, token=alice,
            query={"last_event_id": str(results[N - 1])})
end2 = follow(js, again, prog)
js.close()
expect("an ended job: the rest of its results", again, results[N:])
expect("an ended job: its progress once", len(prog), 1)
expect("an ended job: its end", end2["status"], "done")
js = Stream(A, JEV, token=alice)
everything = []
follow(js, everything, [])
expect("from the start: all of them", everything, results)

# The website's stream saw the job's progress and its end.
seen, ends = [], []
while not ends:
    ev = ws.event(30)
    if ev is None:
        fail("the website's stream ended")
    expect("the website's events", ev["event"] in ("progress", "end"), True)
    if ev["event"] == "progress":
        expect("progress's fields", set(ev["data"]), PROGRESS)
        seen.append(ev["data"])
    else:
        ends.append(ev["data"])
expect("the job's progress on the website's stream",
       {p["job_id"] for p in seen}, {jid})
expect("it ran", any(p["status"] == "running" for p in seen), True)
expect("its end", (ends[0]["id"], ends[0]["status"]), (jid, "done"))

# An invalidation, written as an agent would: the website's stream
# tells it, with its row's id.
inv = int(sql("INSERT INTO invalidation_events (website_id, kind, subject,"
              " objects_dropped) VALUES (%d, 'ban', 'obj.http.x ~ y', 3)"
              " RETURNING id" % wid))
ev = ws.event(20)
expect("an invalidation", (ev["event"], ev["id"], ev["data"]["id"],
                           ev["data"]["kind"], ev["data"]["subject"],
                           ev["data"]["objects_dropped"]),
       ("invalidation", str(inv), inv, "ban", "obj.http.x ~ y", 3))
ws.close()
inv2 = int(sql("INSERT INTO invalidation_events (website_id, kind, subject)"
               " VALUES (%d, 'purge', '/product/1') RETURNING id" % wid))
# Resuming from the first: what was missed, on A, then live, and only
# the website's own.
ws = Stream(A, WEV, token=alice, headers={"Last-Event-ID": str(inv)})
ev = ws.event(10)
expect("resumed: the one missed", (ev["event"], ev["id"]),
       ("invalidation", str(inv2)))
sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'pro')"
    " WHERE id = %d" % pid)
w2 = ok("another website", call(A, "POST", "/api/projects/%d/websites" % pid,
                                {"base_url": "http://127.0.0.2/"},
                                token=alice), 201)["id"]
sql("INSERT INTO invalidation_events (website_id, kind, subject)"
    " VALUES (%d, 'purge', '/elsewhere')" % w2)
inv3 = int(sql("INSERT INTO invalidation_events (website_id, kind, subject)"
               " VALUES (%d, 'tag', 'product-1'), (%d, 'tag', 'x')"
               " RETURNING id" % (wid, wid)).split()[0])
ev = ws.event(10)
expect("then what comes", (ev["event"], ev["id"]),
       ("invalidation", str(inv3)))
ws.close()

# B's LISTEN connection cut, and an invalidation written before it is
# made again: its notification is lost, but a LISTEN made again has
# every stream read again (B's heartbeat cannot stand in for it).
ws = Stream(B, WEV, token=alice, headers={"Last-Event-ID": str(inv3 + 1)})
ins = ("INSERT INTO invalidation_events (website_id, kind, subject)"
       " VALUES (%d, 'purge', '/%%s') RETURNING id" % wid)
x1 = int(sql(ins % "before"))
ev = ws.event(10)
expect("before the cut", (ev["event"], ev["id"]), ("invalidation", str(x1)))
cut = sql("SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 10000)"
          " FROM pg_stat_activity WHERE query LIKE 'LISTEN%stoke_events%')"
          " t", ins % "while cut").split("\n")
expect("the two replicas' LISTEN connections cut", cut[0], "2")
ev = ws.event(10)
expect("while cut: read again once listening again",
       (ev["event"], ev["id"]), ("invalidation", cut[1]))
x3 = int(sql(ins % "after"))
ev = ws.event(10)
expect("after: notified again", (ev["event"], ev["id"]),
       ("invalidation", str(x3)))
ws.close()

# Logout on A: the token is refused by B at once, and a stream open
# with it on A ends within a heartbeat.
t2 = login("alice")
s2 = Stream(A, WEV, token=t2)
expect("a stream of the second token", s2.status, 200)
ok("logout on A", call(A, "POST", "/api/auth/logout", token=t2), 204)
s = Stream(B, WEV, token=t2)
refused("a revoked token on B", s, 401, "token_revoked")
s = Stream(B, WEV, query={"access_token": t2})
refused("a revoked token in the query, on B", s, 401, "token_revoked")
deadline = time.time() + 10
while True:
    ev = s2.next(max(deadline - time.time(), 0.01))
    if ev is None:
        break
    expect("before its end, only pings", ev, ": ping")
s2.close()

# At most 20 streams a user on a replica; one closed, one may open.
many = [Stream(B, WEV, token=alice) for _ in range(20)]
expect("20 streams", [m.status for m in many], [200] * 20)
until("20 streams on B's gauge",
      lambda: metric(B, "stoke_api_sse_streams") == 20)
s = Stream(B, WEV, token=alice)
refused("a 21st", s, 429, "too_many_streams")
expect("a 21st: when to try again", s.headers["Retry-After"] is not None,
       True)
s = Stream(A, WEV, token=alice)
expect("on another replica, another 20", s.status, 200)
s.close()
s = Stream(B, WEV, token=bob)
refused("another user's count is theirs", s, 404, "not_found")
many.pop().close()
until("19 streams on B's gauge",
      lambda: metric(B, "stoke_api_sse_streams") == 19)
s = Stream(B, WEV, token=alice)
expect("one closed, one opens", s.status, 200)
s.close()
for m in many:
    m.close()
until("none on B's gauge", lambda: metric(B, "stoke_api_sse_streams") == 0)

print("events.py: %d checks" % checks)
