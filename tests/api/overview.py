"""Assertions on GET /api/overview over HTTP: the port and the
database's URL (to age rows and read them under the API)."""

import http.client
import json
import subprocess
import sys
import time

PORT, PGURL = int(sys.argv[1]), sys.argv[2]
OV = "/api/overview"
checks = 0


def call(method, path, body=None, token=None):
    h = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if token is not None:
        h["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    text = r.read()
    conn.close()
    return r.status, json.loads(text) if text else None


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def register(name):
    return ok("register " + name, call("POST", "/api/auth/register", {
        "name": name, "email": name + "@shop.example",
        "password": "a long enough secret"}), 201)["token"]


def project(name, token):
    return ok("project " + name, call("POST", "/api/projects",
                                      {"name": name}, token), 201)["id"]


def website(pid, url, token):
    return ok("website " + url, call(
        "POST", "/api/projects/%d/websites" % pid,
        {"name": "port " + url.split(":")[2].strip("/"), "base_url": url},
        token), 201)["id"]


def job(wid, token):
    return ok("a job", call("POST", "/api/websites/%d/jobs" % wid,
                            {"urls": ["/a", "/b"]}, token), 201)["id"]


def ids(doc):
    return [w["id"] for w in doc["websites"]]


alice, bob, vera = register("alice"), register("bob"), register("vera")
empty = ok("nothing yet", call("GET", OV, token=alice))
expect("an empty overview", empty, {"websites": [], "running": []})

pa, pa2, pb = project("A", alice), project("A2", alice), project("B", bob)
# Two websites in A: more than the free plan's.
sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'pro')"
    " WHERE id = %d" % pa)
ok("vera a viewer of A", call("POST", "/api/projects/%d/members" % pa,
                              {"email": "vera@shop.example",
                               "role": "viewer"}, alice))
w1 = website(pa, "http://127.0.0.1:8081/", alice)
w2 = website(pa, "http://127.0.0.1:8082/", alice)
w3 = website(pa2, "http://127.0.0.1:8083/", alice)
wb = website(pb, "http://127.0.0.1:8084/", bob)

# Jobs: four of w1 (no worker runs: each stays queued), the first two
# ended since; one of w3, one of bob's.
j = [job(w1, alice) for _ in range(4)]
j3, jb = job(w3, alice), job(wb, bob)
sql("UPDATE cache_jobs SET status = 'done', finished_at = now()"
    " WHERE id IN (%d, %d)" % (j[0], j[1]))

# Agents of w2: one says hello and reports its visitors, one revoked.
a1 = ok("an agent", call("POST", "/api/websites/%d/agents" % w2,
                         {"name": "varnish-1"}, alice), 201)
a2 = ok("another", call("POST", "/api/websites/%d/agents" % w2,
                        {"name": "varnish-2"}, alice), 201)
ok("hello", call("POST", "/api/agent/v1/hello", {
    "name": "varnish-1", "version": "9.9", "node": "http://10.0.0.1:6081"},
    a1["token"]))
now = time.time()
ok("visitors", call("POST", "/api/agent/v1/batches", {
    "batch": "r:1", "sent_at": now,
    "traffic": [{"minute": now // 60 * 60, "host": "127.0.0.1",
                 "hits": 6, "misses": 1, "passes": 1}]}, a1["token"]))
ok("one revoked", call("DELETE", "/api/websites/%d/agents/%d" % (w2, a2["id"]),
                       token=alice), 204)
# Visitors of two days ago are not the last 24 hours'.
sql("INSERT INTO visitor_traffic (website_id, hour, host, hits)"
    " VALUES (%d, date_trunc('hour', now()) - interval '48 hours',"
    " '127.0.0.1', 1000)" % w2)

ov = ok("alice's overview", call("GET", OV, token=alice))
expect("her websites, by project and id", ids(ov), [w1, w2, w3])
s1, s2, s3 = ov["websites"]
expect("a website as it is", {k: s1[k] for k in ("project_id",
                                                 "project_name", "name",
                                                 "base_url")},
       {"project_id": pa, "project_name": "A", "name": "port 8081",
        "base_url": "http://127.0.0.1:8081/"})
expect("its latest jobs, newest first", [x["id"] for x in s1["jobs"]],
       [j[3], j[2], j[1]])
expect("each as GET /api/jobs/:id says", s1["jobs"][2],
       ok("a job", call("GET", "/api/jobs/%d" % j[1], token=alice)))
expect("no job yet", s2["jobs"], [])
expect("its agents, not the revoked", [a["name"] for a in s2["agents"]],
       ["varnish-1"])
expect("the agent as listed", s2["agents"][0], ok("agents", call(
    "GET", "/api/websites/%d/agents" % w2, token=alice))["agents"][0])
expect("what it said", (s2["agents"][0]["version"],
                        s2["agents"][0]["node"]),
       ("9.9", "http://10.0.0.1:6081"))
expect("its visitors of the last 24 hours", s2["visitors"],
       {"hits": 6, "misses": 1, "passes": 1, "hit_ratio": 0.75})
expect("no agent, no visitors", s1["visitors"],
       {"hits": 0, "misses": 0, "passes": 0, "hit_ratio": None})
expect("the jobs running, oldest first", [x["id"] for x in ov["running"]],
       [j[2], j[3], j3])

# Bob: his own, none of hers.
ob = ok("bob's overview", call("GET", OV, token=bob))
expect("bob's websites", ids(ob), [wb])
expect("bob's jobs running", [x["id"] for x in ob["running"]], [jb])

# Vera sees project A's, not A2's.
ov_v = ok("vera's overview", call("GET", OV, token=vera))
expect("a viewer: the project's", ids(ov_v), [w1, w2])
expect("a viewer: its running jobs", [x["id"] for x in ov_v["running"]],
       [j[2], j[3]])

# An API key of A2 reads A2's only; one that may not read, nothing.
key = ok("a key", call("POST", "/api/projects/%d/keys" % pa2,
                       {"name": "ci", "scopes": ["read"]}, alice), 201)
expect("a key: its project's", ids(ok("a key's overview",
                                      call("GET", OV, token=key["key"]))),
       [w3])
jobs_key = ok("a jobs key", call("POST", "/api/projects/%d/keys" % pa2,
                                 {"name": "ci", "scopes": ["jobs"]}, alice),
              201)
expect("a key that may not read", call("GET", OV, token=jobs_key["key"])[0],
       403)
expect("nobody", call("GET", OV)[0], 401)

# A website gone is gone from it.
ok("w1 deleted", call("DELETE", "/api/websites/%d" % w1, token=alice), 204)
ov = ok("after", call("GET", OV, token=alice))
expect("without w1", (ids(ov), [x["id"] for x in ov["running"]]),
       ([w2, w3], [j3]))
print("overview.py: %d checks" % checks)
