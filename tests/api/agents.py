"""Assertions on the control plane's side of stoked agent, over HTTP:
two replicas' ports and the database's URL (to count rows under the
API).  This acts as the agents, with raw HTTP."""

import gzip
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
import uuid

A, B, PGURL = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
checks = 0


def call(method, path, body=None, token=None, port=A, raw=None,
         headers=None, timeout=60):
    """(status, JSON or None, seconds taken)."""
    h = dict(headers or {})
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        h.setdefault("Content-Type", "application/json")
    if token is not None:
        h["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.monotonic()
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    text = r.read()
    took = time.monotonic() - t0
    conn.close()
    doc = json.loads(text) if text and r.getheader(
        "Content-Type", "").startswith("application/json") else None
    return r.status, doc, took


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def error(what, res, status, code, field=None):
    st, doc, _ = res
    expect(what + ": status " + repr(doc), st, status)
    err = (doc or {}).get("error") or {}
    expect(what + ": code " + repr(err), err.get("code"), code)
    expect(what + ": a message", bool(err.get("message")), True)
    if field is not None:
        expect(what + ": field", err.get("field"), field)
    return err


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def count(q):
    return int(sql("SELECT count(*) FROM " + q))


def register(name):
    r = ok("register " + name, call("POST", "/api/auth/register", {
        "name": name, "email": name + "@shop.example",
        "password": "a long enough secret"}), 201)
    return r["token"]


# Two tenants, a website each; a viewer in A's project.
alice, bob, vera = register("alice"), register("bob"), register("vera")
pa = ok("project A", call("POST", "/api/projects", {"name": "A"},
                          alice), 201)["id"]
pb = ok("project B", call("POST", "/api/projects", {"name": "B"}, bob),
        201)["id"]
ok("vera joins A", call("POST", "/api/projects/%d/members" % pa,
                        {"email": "vera@shop.example", "role": "viewer"},
                        alice))
wa = ok("website A", call("POST", "/api/projects/%d/websites" % pa,
                          {"base_url": "http://127.0.0.1:8080/"}, alice),
        201)
expect("broadcast is off by default", wa["broadcast_invalidations"], False)
wa = wa["id"]
wb = ok("website B", call("POST", "/api/projects/%d/websites" % pb,
                          {"base_url": "http://127.0.0.1:8081/"}, bob),
        201)["id"]

# ------------------------------------------------------------------
# Tokens

AG = "/api/websites/%d/agents"
a1 = ok("agent a1", call("POST", AG % wa, {"name": "node-a"}, alice), 201)
expect("a token, shown once", (a1["token"][:4], len(a1["token"]),
                               a1["prefix"], a1["last_seen_at"],
                               a1["version"], a1["node"],
                               a1["lag_seconds"], a1["website_id"]),
       ("sta_", 44, a1["token"][:12], None, None, None, None, wa))
a2 = ok("agent a2", call("POST", AG % wa, {"name": "node-b"}, alice), 201)
b1 = ok("agent b1", call("POST", AG % wb, {"name": "node-x"}, bob), 201)
T1, T2, TB = a1["token"], a2["token"], b1["token"]
lst = ok("listed", call("GET", AG % wa, token=vera))["agents"]
expect("listed, without the token", ([a["name"] for a in lst],
                                     any("token" in a for a in lst)),
       (["node-a", "node-b"], False))
expect("only the hash is kept", count(
    "agents WHERE token_hash = sha256('%s'::bytea)" % T1), 1)
error("a viewer makes none", call("POST", AG % wa, {"name": "x"}, vera),
      403, "forbidden")
error("another tenant's website", call("GET", AG % wa, token=bob), 404,
      "not_found")
error("another tenant's website", call("POST", AG % wa, {"name": "x"}, bob),
      404, "not_found")
error("a name is required", call("POST", AG % wa, {}, alice), 422,
      "required", "name")
error("no other field", call("POST", AG % wa, {"name": "x", "website": wb},
                             alice), 400, "unknown_field")

# Routes that are the agents' and those that are not.
HELLO, BATCHES, COMMANDS = ("/api/agent/v1/hello", "/api/agent/v1/batches",
                            "/api/agent/v1/commands")
error("a user's token on an agent's route",
      call("POST", HELLO, {"name": "x"}, alice), 401, "invalid_agent_token")
error("no token", call("GET", COMMANDS), 401, "invalid_agent_token")
error("a token of no agent",
      call("GET", COMMANDS, token="sta_" + "a" * 40), 401,
      "invalid_agent_token")
error("an agent's token on a user's route",
      call("GET", "/api/websites/%d" % wa, token=T1), 401, "invalid_token")
error("an agent's token on its own website's agents",
      call("GET", AG % wa, token=T1), 401, "invalid_token")

# ------------------------------------------------------------------
# Hello

run = str(uuid.uuid4())
h = ok("hello", call("POST", HELLO, {"name": "node-a", "version": "0.1.0",
                                     "node": "http://127.0.0.1:6081",
                                     "run": run}, T1))
expect("hello: the website", (h["agent_id"], h["website"]["id"],
                              h["website"]["base_url"],
                              h["website"]["broadcast_invalidations"],
                              h["cursor"]),
       (a1["id"], wa, "http://127.0.0.1:8080/", False, 0))
v0 = h["website"]["version"]
ok("hello b", call("POST", HELLO, {"name": "node-b"}, T2, port=B))
hb = ok("hello, B's", call("POST", HELLO, {"name": "node-x"}, TB))
expect("B's agent sees B's website", hb["website"]["id"], wb)
lst = ok("listed after hello", call("GET", AG % wa, token=alice))["agents"]
expect("what it said is shown", (lst[0]["version"], lst[0]["node"],
                                  lst[0]["last_seen_at"] is not None),
       ("0.1.0", "http://127.0.0.1:6081", True))
error("hello: name required", call("POST", HELLO, {"version": "1"}, T1), 422,
      "required", "name")

# ------------------------------------------------------------------
# Batches

now = time.time()


def key():
    return str(uuid.uuid4())


def metric(port, name):
    """A sample of the replica's /metrics, 0 when it has none."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0


def post_batch(batch, token=T1, port=A, gz=False):
    data = json.dumps(batch).encode()
    hdr = {}
    if gz:
        data = gzip.compress(data)
        hdr["Content-Encoding"] = "gzip"
    return call("POST", BATCHES, raw=data, token=token, port=port,
                headers=hdr)


KEPT = {"X-Varnish": "32770 8", "Age": "0", "Set-Cookie": 's="a\\b", {c}',
        "Cache-Control": "public, max-age=120"}
job = key()
ODD_URL = 'http://www.127.0.0.1:8080/q?a="1"\\,{2}%20\u00e9'
ODD_VARIANT = 'currency=\\"EUR\\", {NULL}'
batch = {
    "batch": run + ":1", "sent_at": now,
    "jobs": [{"key": job, "trigger": "purge", "source": "/p",
              "status": "done", "created_at": now - 5, "finished_at": now,
              "urls_total": 2, "urls_completed": 2, "urls_failed": 0,
              "error": None}],
    "invalidations": [{"key": key(), "job": job, "kind": "purge",
                       "soft": False, "node": "http://127.0.0.1:6081",
                       "subject": "/p", "objects_dropped": 1,
                       "objects_queued": 2, "occurred_at": now - 5}],
    "results": [{"key": key(), "job": job, "url": "http://127.0.0.1:8080/p",
                 "variant": "", "node": "http://127.0.0.1:6081",
                 "status": 200, "load_ms": 12.5, "ttfb_ms": 3.5,
                 "cache_status": "miss", "outcome": "cached",
                 "reason": None, "ttl": 120, "recorded_at": now - 4,
                 "headers": KEPT},
                # As an agent before the headers kept sends it; what
                # quotes and separates in the store's array literals.
                {"key": key(), "job": job, "url": ODD_URL,
                 "variant": ODD_VARIANT,
                 "node": None, "status": 200, "load_ms": None,
                 "ttfb_ms": None, "cache_status": "hit",
                 "outcome": "fresh", "reason": None, "ttl": None,
                 "recorded_at": now - 4},
                # Another host: dropped.
                {"key": key(), "job": job, "url": "http://evil.example/x",
                 "status": 200, "outcome": "cached", "recorded_at": now},
                # A job nobody knows: dropped.
                {"key": key(), "job": key(), "url": "http://127.0.0.1/y",
                 "outcome": "cached", "recorded_at": now}],
    "traffic": [{"minute": now // 60 * 60, "host": "127.0.0.1", "hits": 10,
                 "misses": 3, "passes": 1,
                 "uncacheable": {"set_cookie": 2}},
                {"minute": now // 60 * 60 - 60, "host": "127.0.0.1",
                 "hits": 5, "misses": 0, "passes": 0},
                {"minute": now // 60 * 60, "host": "evil.example",
                 "hits": 1, "misses": 1, "passes": 1}],
}
r = ok("a batch, gzipped", post_batch(batch, gz=True))
expect("stored", r, {"batch": run + ":1", "duplicate": False,
                     "stored": {"jobs": 1, "invalidations": 1, "results": 2,
                                "traffic": 2, "tasks": 0},
                     "dropped": {"foreign_host": 2, "unknown_job": 1,
                                 "tasks": 0}})
counts = "(SELECT count(*) FROM cache_jobs WHERE website_id = %d)," \
    " (SELECT count(*) FROM invalidation_events WHERE website_id = %d)," \
    " (SELECT count(*) FROM page_results WHERE website_id = %d)," \
    " (SELECT sum(hits) FROM visitor_traffic WHERE website_id = %d)," \
    " (SELECT sum(n) FROM visitor_uncacheable WHERE website_id = %d)" % (
        (wa,) * 5)
before = sql("SELECT " + counts)
expect("rows in the tables", before, "1|1|2|15|2")
r = ok("the same batch again, on the other replica",
       post_batch(batch, port=B))
expect("a duplicate", r, {"batch": run + ":1", "duplicate": True})
expect("nothing doubled", sql("SELECT " + counts), before)
expect("/metrics: the batch stored, its rows", (
    metric(A, 'stoke_api_agent_batches_total{outcome="stored"}') >= 1,
    metric(A, 'stoke_api_agent_rows_total{kind="results"}') >= 2,
    metric(A, 'stoke_api_agent_rows_total{kind="invalidations"}') >= 1),
    (True, True, True))
expect("/metrics: the duplicate, where it was sent", (
    metric(B, 'stoke_api_agent_batches_total{outcome="duplicate"}') >= 1,
    metric(B, 'stoke_api_agent_batches_total{outcome="stored"}')),
    (True, 0))
jid = int(sql("SELECT id FROM cache_jobs WHERE row_key = '%s'" % job))
res = ok("its results, through the API", call(
    "GET", "/api/jobs/%d/results" % jid, token=vera))["results"]
expect("results visible, as sent", sorted(
    (x["url"], x["variant"], x["load_ms"]) for x in res),
    [("http://127.0.0.1:8080/p", "", 12.5), (ODD_URL, ODD_VARIANT, None)])
expect("the headers kept, as sent, or none", sorted(
    (x["url"], x["headers"]) for x in res), [
    ("http://127.0.0.1:8080/p", KEPT), (ODD_URL, None)])
iv = ok("its invalidations", call(
    "GET", "/api/websites/%d/invalidations" % wa, token=vera))
expect("the invalidation, with its job", (
    iv["invalidations"][0]["subject"], iv["invalidations"][0]["job"]["id"]),
    ("/p", jid))
an = ok("analytics", call("GET", "/api/websites/%d/analytics" % wa,
                          token=vera))
expect("analytics count them", an["totals"]["results"], 2)
lag = float(sql("SELECT lag_seconds FROM agents WHERE id = %d" % a1["id"]))
expect("lag: from the oldest row", 4 < lag < 60, True)

# The job again, with new counters: updated, not doubled.
batch2 = {"batch": run + ":2", "sent_at": time.time(),
          "jobs": [dict(batch["jobs"][0], urls_total=3, urls_completed=3)]}
r = ok("the job again", post_batch(batch2))
expect("upserted", (r["stored"]["jobs"], count(
    "cache_jobs WHERE website_id = %d" % wa), sql(
    "SELECT urls_total FROM cache_jobs WHERE id = %d" % jid)), (1, 1, "3"))

# B's job, by its key, from A's agent: B's stays as it was.
bjob = key()
ok("B's job", post_batch({"batch": "b:1", "sent_at": now, "jobs": [
    dict(batch["jobs"][0], key=bjob, urls_total=7, urls_completed=1)]},
    token=TB))
r = ok("A's agent sends B's key", post_batch({
    "batch": run + ":3", "sent_at": now,
    "jobs": [dict(batch["jobs"][0], key=bjob, status="failed",
                  urls_total=1, urls_completed=0, urls_failed=1)],
    "results": [{"key": key(), "job": bjob, "url": "http://127.0.0.1:8080/z",
                 "outcome": "cached", "recorded_at": now}]}))
expect("nothing of it", (r["stored"]["jobs"], r["stored"]["results"],
                         r["dropped"]["unknown_job"]), (0, 0, 1))
expect("B's job untouched", sql(
    "SELECT website_id, status, urls_total FROM cache_jobs"
    " WHERE row_key = '%s'" % bjob), "%d|done|7" % wb)

# An agent's runs.  Its jobs live in its memory: one its earlier run
# left open is failed by the next run's hello; one only a batch of the
# earlier run (spooled, sent after) says is open is stored failed; an
# end said later is taken.  The same run's hello (its link back) fails
# nothing.
running = dict(batch["jobs"][0], status="running", finished_at=None)
opened, spooled, later = key(), key(), key()


def job_state(k):
    return sql("SELECT status || ' ' || coalesce(error, '-') || ' '"
               " || runner FROM cache_jobs WHERE row_key = '%s'" % k)


def hello_run(r):
    return ok("hello, run " + r[:8], call("POST", HELLO, {
        "name": "node-a", "version": "0.1.0",
        "node": "http://127.0.0.1:6081", "run": r}, T1))


GONE = "failed stoked agent stopped before it ended agent:%d" % a1["id"]
ok("a job running", post_batch({"batch": run + ":101", "sent_at": now,
                                "jobs": [dict(running, key=opened)]}))
expect("running, the agent's", job_state(opened),
       "running - agent:%d" % a1["id"])
run2 = str(uuid.uuid4())
hello_run(run2)
expect("the earlier run's job, at the next run's hello",
       job_state(opened), GONE)
ok("the earlier run's spooled batch", post_batch({
    "batch": run + ":102", "sent_at": now,
    "jobs": [dict(running, key=opened, urls_completed=1),
             dict(running, key=spooled)]}))
expect("still failed; the one never seen, stored failed",
       (job_state(opened), job_state(spooled)), (GONE, GONE))
ok("the new run's job", post_batch({"batch": run2 + ":1", "sent_at": now,
                                    "jobs": [dict(running, key=later)]}))
hello_run(run2)
expect("the same run's hello again: its job goes on", job_state(later),
       "running - agent:%d" % a1["id"])
ok("an end said late", post_batch({"batch": run + ":103", "sent_at": now,
                                   "jobs": [dict(running, key=opened,
                                                 status="done",
                                                 finished_at=now)]}))
expect("taken", job_state(opened), "done - agent:%d" % a1["id"])
ok("the new run's job ends", post_batch({
    "batch": run2 + ":2", "sent_at": now,
    "jobs": [dict(running, key=later, status="done", finished_at=now)]}))
hello_run(run)

# Hostile bodies: refused, and nothing stored.
before = sql("SELECT " + counts + ", (SELECT count(*) FROM agent_batches)")
bomb = gzip.compress(b'{"batch": "x", "sent_at": 1, "pad": "' +
                     b"a" * (17 * 1024 * 1024) + b'"}')
error("a zip bomb", call("POST", BATCHES, raw=bomb, token=T1,
                         headers={"Content-Encoding": "gzip"}), 413,
      "too_large")
# Over 1 MiB as sent: refused in the API's error shape.
error("2 MiB as sent", call("POST", BATCHES, raw=b" " * (2 * 1024 * 1024),
                            token=T1), 413, "too_large")
# Over the wire's limit (4 MiB): refused on its Content-Length, before a
# byte of it is read (it is not even sent here).
with socket.create_connection(("127.0.0.1", A), timeout=30) as s:
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s"
               "\r\nContent-Type: application/json\r\nContent-Length: %d"
               "\r\n\r\n" % (BATCHES, T1, 5 * 1024 * 1024)).encode())
    expect("5 MiB as sent: refused unread",
           s.recv(64).split(b" ")[1], b"413")
error("not gzip", call("POST", BATCHES, raw=b"{}", token=T1,
                       headers={"Content-Encoding": "gzip"}), 400, "bad_gzip")
error("bad JSON", call("POST", BATCHES, raw=b"{", token=T1), 400, "bad_json")
error("too many rows", post_batch({
    "batch": run + ":9", "sent_at": now,
    "results": [batch["results"][0]] * 5001}, gz=True), 422, "too_long",
    "results")
error("a bad outcome", post_batch({
    "batch": run + ":9", "sent_at": now,
    "results": [dict(batch["results"][0], outcome="great")]}), 422,
    "invalid", "results[0].outcome")
for what, h, code, field in (
        ("too many headers", {"X-H%d" % i: "v" for i in range(17)},
         "too_long", "results[0].headers"),
        ("a header too long", dict(KEPT, Age="1" * 257), "too_long",
         "results[0].headers.Age"),
        ("a header not a string", dict(KEPT, Age=0), "invalid",
         "results[0].headers.Age"),
        ("a name not a token", {"Bad Name": "x"}, "invalid", None),
        ("a name too long", {"X" * 65: "x"}, "invalid", None),
        ("headers not an object", ["Age: 0"], "invalid",
         "results[0].headers")):
    error(what, post_batch({
        "batch": run + ":9", "sent_at": now,
        "results": [dict(batch["results"][0], headers=h)]}), 422, code,
        field)
error("a task's headers too, bounded", post_batch({
    "batch": run + ":9", "sent_at": now,
    "tasks": [{"task": 1, "ok": True, "outcome": "cached",
               "recorded_at": now,
               "headers": {"Via": "v" * 300}}]}), 422, "too_long",
      "tasks[0].headers.Via")
# A rendered page's report and assets (render mode), bounded.
for what, extra, code, field in (
        ("a timing not a number", {"timings": {"lcp_ms": [1]}}, "invalid",
         "tasks[0].timings.lcp_ms"),
        ("a timing out of range", {"timings": {"lcp_ms": -1}},
         "out_of_range", "tasks[0].timings.lcp_ms"),
        ("timings not an object", {"timings": [1]}, "invalid",
         "tasks[0].timings"),
        ("an asset not a URL", {"assets": ["/style.css"]}, "invalid",
         "tasks[0].assets[0]"),
        ("too many assets", {"assets": ["http://a/%d" % i
                                        for i in range(1001)]},
         "too_long", "tasks[0].assets")):
    error(what, post_batch({
        "batch": run + ":9", "sent_at": now,
        "tasks": [dict({"task": 1, "ok": True, "outcome": "cached",
                        "recorded_at": now}, **extra)]}), 422, code, field)
error("a bad key", post_batch({
    "batch": run + ":9", "sent_at": now,
    "invalidations": [dict(batch["invalidations"][0], key="nope")]}), 422,
    "invalid", "invalidations[0].key")
error("a field unknown", post_batch({
    "batch": run + ":9", "sent_at": now,
    "jobs": [dict(batch["jobs"][0], website_id=wb)]}), 422,
    "unknown_field", "jobs[0].website_id")
error("no key", post_batch({"sent_at": now}), 422, "required", "batch")
error("a top field unknown", post_batch({"batch": "x", "sent_at": now,
                                         "website": wb}), 400,
      "unknown_field")
error("not JSON", call("POST", BATCHES, raw=b"x", token=T1,
                       headers={"Content-Type": "text/plain"}), 415,
      "unsupported_media_type")
expect("nothing stored", sql(
    "SELECT " + counts + ", (SELECT count(*) FROM agent_batches)"), before)

# ------------------------------------------------------------------
# Commands


def poll(token, after, wait, port=A):
    return call("GET", "%s?after=%d&wait=%d" % (COMMANDS, after, wait),
                token=token, port=port)


st, doc, took = poll(T1, 0, 0)
expect("nothing yet, at once", (st, doc, took < 2),
       (200, {"commands": [], "cursor": 0}, True))
st, doc, took = poll(T1, 0, 1)
expect("a poll that times out empty", (st, doc, 0.9 < took < 5),
       (200, {"commands": [], "cursor": 0}, True))
error("wait over 30", poll(T1, 0, 31), 422, "invalid", "wait")


def held(token, after, wait, port, out):
    out.append(poll(token, after, wait, port))


def purge_during_poll(token, port, body, wait=20):
    """A poll held on port, then a purge through the API on the other
    replica: the poll's answer and how long it was held."""
    out = []
    t = threading.Thread(target=held, args=(token, 0, wait, port, out))
    t.start()
    # The poll is held once its answer has started: wait for it.
    deadline = time.monotonic() + 10
    time.sleep(0.3)
    rep = ok("purge", call("POST", "/api/websites/%d/purge" % wa, body,
                           alice, port=A if port == B else B))
    t.join(30)
    expect("the poll answered", len(out), 1)
    expect("within the deadline", time.monotonic() < deadline + wait, True)
    return rep, out[0]


rep, (st, doc, took) = purge_during_poll(T1, B, {"urls": ["/a", "/b"]})
expect("a purge with agents and no nodes", sorted(
    (e["agent"], e["queued"]) for e in rep["results"]),
    [("node-a", True), ("node-b", True)])
expect("a held poll woken, well before its wait", (st, took < 5), (200, True))
cmds = doc["commands"]
expect("one purge command", ([c["kind"] for c in cmds], cmds[0]["urls"],
                             cmds[0]["tags"], cmds[0]["hard"],
                             len(cmds[0]["purge_id"]), doc["cursor"]),
       (["purge"], ["http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b"],
        [], False, 36, cmds[0]["id"]))
cur1 = doc["cursor"]
expect("B's agent has none", poll(TB, 0, 0)[1]["commands"], [])
# Acknowledged by the next poll, and deleted.
expect("acknowledged", poll(T1, cur1, 0)[1],
       {"commands": [], "cursor": cur1})
expect("deleted", count("agent_commands WHERE agent_id = %d" % a1["id"]), 0)

# Settings change: a settings command for each agent.
ok("a change", call("PUT", "/api/websites/%d" % wa,
                    {"concurrency": 3, "broadcast_invalidations": True},
                    alice))
doc = poll(T1, cur1, 5)[1]
s = [c for c in doc["commands"] if c["kind"] == "settings"]
expect("a settings command", (len(s), s[0]["website"]["concurrency"],
                              s[0]["website"]["broadcast_invalidations"],
                              s[0]["website"]["version"] > v0),
       (1, 3, True, True))
cur1 = doc["cursor"]
doc = poll(T2, 0, 0)[1]
cur2 = doc["cursor"]
expect("the other agent's: a purge, the settings",
       [c["kind"] for c in doc["commands"]], ["purge", "settings"])
ok("nothing changed", call("PUT", "/api/websites/%d" % wa,
                           {"concurrency": 3}, alice))
expect("no settings command for no change",
       poll(T1, cur1, 0)[1]["commands"], [])

# Broadcast: a tag invalidation from a1 goes to a2 only.
r = ok("a tag invalidation from node-a", post_batch({
    "batch": run + ":4", "sent_at": time.time(), "invalidations": [
        {"key": key(), "job": None, "kind": "tag", "soft": True,
         "node": "http://127.0.0.1:6081", "subject": "product-1",
         "objects_dropped": 3, "objects_queued": 0,
         "occurred_at": time.time()}]}))
doc = poll(T2, cur2, 5, port=B)[1]
expect("node-b is told", [(c["kind"], c["invalidation"], c["subject"],
                           c["from_node"]) for c in doc["commands"]],
       [("invalidate", "tag", "product-1", "node-a")])
expect("node-a is not", poll(T1, cur1, 0)[1]["commands"], [])
expect("B's agent is not", [c["kind"] for c in poll(TB, 0, 0)[1]["commands"]],
       [])

# One held poll per agent and replica: the next ends the one before.
out = []
t = threading.Thread(target=held, args=(T1, cur1, 20, A, out))
t.start()
time.sleep(0.5)
st, doc, took = poll(T1, cur1, 1)
t.join(10)
expect("the first poll ended by the second", (len(out), out and out[0][0],
                                              out and out[0][2] < 10),
       (1, 200, True))

# ------------------------------------------------------------------
# Revoked: refused at once on both replicas.
error("a viewer revokes none", call("DELETE", (AG % wa) + "/%d" % a2["id"],
                                    token=vera), 403, "forbidden")
error("B's owner cannot", call("DELETE", (AG % wa) + "/%d" % a2["id"],
                               token=bob), 404, "not_found")
ok("revoked", call("DELETE", (AG % wa) + "/%d" % a2["id"], token=alice),
   204)
for port in (A, B):
    error("revoked, replica %d" % port, call("POST", HELLO, {"name": "b"}, T2,
                                              port=port),
          401, "invalid_agent_token")
error("revoked twice", call("DELETE", (AG % wa) + "/%d" % a2["id"],
                            token=alice), 404, "not_found")
expect("not listed", [a["name"] for a in ok("listed", call(
    "GET", AG % wa, token=alice))["agents"]], ["node-a"])
rep = ok("purge", call("POST", "/api/websites/%d/purge" % wa,
                       {"urls": ["/c"]}, alice))
expect("a revoked agent is not told", [e["agent"] for e in rep["results"]],
       ["node-a"])

# ------------------------------------------------------------------
# An agent gone wrong, asking as fast as it can: 429 past its rate (per
# agent and replica: 50 a second, bursts of 200), the others served.
af = ok("agent flood", call("POST", AG % wa, {"name": "node-f"}, alice), 201)
conn = http.client.HTTPConnection("127.0.0.1", A, timeout=30)
hdr = {"Authorization": "Bearer " + af["token"],
       "Content-Type": "application/json"}
body = json.dumps({"name": "node-f", "version": "0.1.0",
                   "node": "http://127.0.0.1:6082", "run": key()})
limited = None
for i in range(400):
    conn.request("POST", HELLO, body=body, headers=hdr)
    r = conn.getresponse()
    text = r.read()
    if r.status == 429:
        limited = (i, r.getheader("Retry-After"),
                   json.loads(text)["error"]["code"])
        break
    expect("flood: served until its limit", r.status, 200)
conn.close()
expect("flood: refused past its burst", limited is not None and
       (limited[0] >= 150, limited[1] is not None and
        int(limited[1]) >= 1, limited[2]), (True, True, "rate_limited"))
expect("flood: counted", metric(
    A, 'stoke_api_rate_limited_total{limit="agent"}') >= 1, True)
ok("flood: another agent served", call("POST", HELLO, {
    "name": "node-a", "version": "0.1.0", "node": "http://127.0.0.1:6081",
    "run": run}, T1))
ok("flood: the other replica's own bucket", call("POST", HELLO, {
    "name": "node-f", "version": "0.1.0", "node": "http://127.0.0.1:6082",
    "run": key()}, af["token"], port=B))

# For agents.sh: a token still valid, to hold a poll while a replica
# stops.
with open(sys.argv[4], "w") as f:
    f.write(T1)
print("agents.py: %d checks" % checks)
