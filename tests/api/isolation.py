"""The isolation matrix, over HTTP: for every route of the tenants'
table, as stoked serve prints it, who may do what to whose objects.

Two projects, A (alice its owner, vic a viewer) and B (bob its owner),
each with a website and a queued job.  For every route that names an
object: bob gets 404 on A's, whatever the method, and A's objects are
unchanged afterwards; vic reads A's and gets 403 on every change; no
token, a malformed one, a logged-out one get 401.  Routes that name no
object answer bob with nothing of A's.  API keys (a column of the
printed table, when there is one): a key of A gets 404 on B's objects,
403 on routes its scopes do not name, and 401 once revoked.

A route printed that the matrix lacks, or the other way round, fails:
a new route gets its row here or this test fails.

argv: port, the database's URL, stoked (to print the routes)."""

import http.client
import json
import subprocess
import sys
import urllib.error
import urllib.request

PORT = int(sys.argv[1])
PGURL = sys.argv[2]
STOKED = sys.argv[3]
checks = 0

# What each route is given, and what a viewer of its project gets.
# "obj": whose object the path names (None: it names none);
# "body": a valid body, so that what answers is the binding to the
# caller and not the input's checks; "viewer": the viewer's status;
# "stream": an event stream, read to its headers only.
W = "write"
R = "read"
MATRIX = {
    "POST /api/auth/logout": {"obj": None, "self": True},
    "GET /api/auth/me": {"obj": None},
    "GET /api/projects": {"obj": None},
    "POST /api/projects": {"obj": None, "self": True},
    "GET /api/projects/:id": {"obj": "project", "viewer": R},
    "PUT /api/projects/:id": {"obj": "project", "viewer": W,
                              "body": {"name": "taken over"}},
    "DELETE /api/projects/:id": {"obj": "project", "viewer": W},
    "GET /api/projects/:id/members": {"obj": "project", "viewer": R},
    "POST /api/projects/:id/members": {
        "obj": "project", "viewer": W,
        "body": {"email": "bob@b.example", "role": "owner"}},
    "DELETE /api/projects/:id/members/:user_id": {"obj": "project",
                                                  "viewer": W},
    "GET /api/projects/:id/keys": {"obj": "project", "viewer": R},
    "POST /api/projects/:id/keys": {
        "obj": "project", "viewer": W,
        "body": {"name": "ci", "scopes": ["read"]}},
    "DELETE /api/projects/:id/keys/:key_id": {"obj": "project",
                                              "viewer": W},
    "GET /api/projects/:id/usage": {"obj": "project", "viewer": R},
    "GET /api/projects/:id/analytics": {"obj": "project", "viewer": R},
    "GET /api/projects/:id/websites": {"obj": "project", "viewer": R},
    "POST /api/projects/:id/websites": {
        "obj": "project", "viewer": W,
        "body": {"base_url": "http://127.0.0.1:9/"}},
    "GET /api/websites/:id": {"obj": "website", "viewer": R},
    "PUT /api/websites/:id": {"obj": "website", "viewer": W,
                              "body": {"name": "taken over"}},
    "DELETE /api/websites/:id": {"obj": "website", "viewer": W},
    "GET /api/websites/:id/jobs": {"obj": "website", "viewer": R},
    "POST /api/websites/:id/jobs": {"obj": "website", "viewer": W,
                                    "body": {"urls": ["/taken"]}},
    "GET /api/websites/:id/events": {"obj": "website", "viewer": R,
                                     "stream": True},
    "GET /api/websites/:id/invalidations": {"obj": "website", "viewer": R},
    "POST /api/websites/:id/purge": {"obj": "website", "viewer": W,
                                     "body": {"urls": ["/taken"]}},
    "GET /api/websites/:id/agents": {"obj": "website", "viewer": R},
    "POST /api/websites/:id/agents": {"obj": "website", "viewer": W,
                                      "body": {"name": "taken"}},
    "DELETE /api/websites/:id/agents/:agent_id": {"obj": "website",
                                                  "viewer": W},
    "GET /api/websites/:id/analytics": {"obj": "website", "viewer": R},
    "GET /api/websites/:id/recommendations": {"obj": "website",
                                              "viewer": R},
    "GET /api/jobs/:id": {"obj": "job", "viewer": R},
    "DELETE /api/jobs/:id": {"obj": "job", "viewer": W},
    "GET /api/jobs/:id/results": {"obj": "job", "viewer": R},
    "GET /api/jobs/:id/events": {"obj": "job", "viewer": R,
                                 "stream": True},
    "GET /api/websites/:id/schedule": {"obj": "website", "viewer": R},
    "GET /api/projects/:id/channels": {"obj": "project", "viewer": R},
    "POST /api/projects/:id/channels": {
        "obj": "project", "viewer": W,
        "body": {"kind": "webhook", "name": "taken",
                 "url": "http://127.0.0.1:9/hook",
                 "events": ["job.finished"]}},
    "PATCH /api/projects/:id/channels/:channel_id": {
        "obj": "project", "viewer": W, "body": {"name": "taken over"}},
    "DELETE /api/projects/:id/channels/:channel_id": {"obj": "project",
                                                      "viewer": W},
    "POST /api/projects/:id/channels/:channel_id/test": {"obj": "project",
                                                         "viewer": W},
    "GET /api/projects/:id/deliveries": {"obj": "project", "viewer": R},
    "GET /api/analytics/dashboard": {"obj": None},
    "GET /api/overview": {"obj": None},
}


def call(method, path, body=None, token=None, stream=False):
    """(status, document, text); a stream is read to its headers."""
    if stream:
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        h = {"Authorization": "Bearer " + token} if token else {}
        c.request(method, path, headers=h)
        r = c.getresponse()
        st = r.status
        text = b"" if st == 200 else r.read()
        c.close()
    else:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (PORT, path),
                                     data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token is not None:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                st, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            st, text = e.code, e.read()
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = None
    return st, doc, text.decode(errors="replace")


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def ok(what, res, status=200):
    expect(what + ": status " + res[2][:300], res[0], status)
    return res[1]


def code(res):
    return ((res[1] or {}).get("error") or {}).get("code")


def printed_routes():
    out = subprocess.run([STOKED, "serve", "--print-routes"], check=True,
                         capture_output=True, text=True).stdout
    routes = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[2] in ("user", "user-query-token"):
            routes[f[0] + " " + f[1]] = f[3] if len(f) > 3 else None
    return routes


ROUTES = printed_routes()
for r in ROUTES:
    if r not in MATRIX:
        sys.exit("FAIL: %s is served but not in the isolation matrix" % r)
for r in MATRIX:
    if r not in ROUTES:
        sys.exit("FAIL: %s is in the matrix but not served" % r)
KEYS = "POST /api/projects/:id/keys" in ROUTES


def register(name, dom):
    st, doc, _ = call("POST", "/api/auth/register", {
        "name": name, "email": "%s@%s" % (name, dom),
        "password": "a long enough secret"})
    expect("register " + name, st, 201)
    return doc["token"], doc["user"]["id"]


def tenant(owner, dom, viewer=None):
    """A project of owner's, with a website, a queued job and a key."""
    o = {}
    o["project"] = ok("project", call("POST", "/api/projects",
                                      {"name": "secret-" + dom},
                                      token=owner), 201)["id"]
    if viewer is not None:
        ok("viewer", call("POST", "/api/projects/%d/members" % o["project"],
                          {"email": viewer, "role": "viewer"},
                          token=owner))
    o["website"] = ok("website", call(
        "POST", "/api/projects/%d/websites" % o["project"],
        {"name": "site-" + dom, "base_url": "http://127.0.0.1:9/"},
        token=owner), 201)["id"]
    o["job"] = ok("job", call("POST", "/api/websites/%d/jobs" % o["website"],
                              {"urls": ["/a", "/b"]}, token=owner),
                  201)["id"]
    if "POST /api/websites/:id/agents" in ROUTES:
        o["agent_id"] = ok("agent", call(
            "POST", "/api/websites/%d/agents" % o["website"],
            {"name": "node-" + dom}, token=owner), 201)["id"]
    if "POST /api/projects/:id/channels" in ROUTES:
        o["channel_id"] = ok("channel", call(
            "POST", "/api/projects/%d/channels" % o["project"],
            {"kind": "webhook", "name": "hook-" + dom,
             "url": "http://127.0.0.1:9/hook", "events": ["job.finished"]},
            token=owner), 201)["id"]
    if KEYS:
        k = ok("key", call("POST", "/api/projects/%d/keys" % o["project"],
                           {"name": "ci-" + dom,
                            "scopes": ["read", "jobs", "purge"]},
                           token=owner), 201)
        o["key_id"], o["key"] = k["id"], k["key"]
    return o


alice, alice_id = register("alice", "a.example")
vic, _ = register("vic", "a.example")
bob, bob_id = register("bob", "b.example")
A = tenant(alice, "a.example", viewer="vic@a.example")
A["user_id"] = alice_id
B = tenant(bob, "b.example")
B["user_id"] = bob_id


def path_of(route, objs):
    path = route.split(" ", 1)[1]
    spec = MATRIX[route]
    if spec["obj"] is not None:
        path = path.replace(":id", str(objs[spec["obj"]]))
    path = path.replace(":user_id", str(objs["user_id"]))
    path = path.replace(":agent_id", str(objs.get("agent_id", 1)))
    path = path.replace(":channel_id", str(objs.get("channel_id", 1)))
    return path.replace(":key_id", str(objs.get("key_id", 1)))


def send(route, objs, token):
    spec = MATRIX[route]
    method = route.split(" ", 1)[0]
    return call(method, path_of(route, objs), spec.get("body"), token,
                stream=spec.get("stream", False))


def snapshot(objs, token):
    """What the owner sees of their objects: unchanged by others."""
    p = "/api/projects/%d" % objs["project"]
    return (ok("project", call("GET", p, token=token))["name"],
            len(ok("members", call("GET", p + "/members",
                                   token=token))["members"]),
            ok("website", call("GET", "/api/websites/%d" % objs["website"],
                               token=token))["name"],
            len(ok("websites", call("GET", p + "/websites",
                                    token=token))["websites"]),
            ok("job", call("GET", "/api/jobs/%d" % objs["job"],
                           token=token))["status"],
            len(ok("jobs", call("GET", "/api/websites/%d/jobs"
                                % objs["website"], token=token))["jobs"]))


before = snapshot(A, alice)
ROUTES_LIVE = [r for r in MATRIX if r in ROUTES]

# Bob, on A's objects: 404 whatever he asks; on routes that name no
# object, nothing of A's in his answer.
for r in ROUTES_LIVE:
    spec = MATRIX[r]
    if spec.get("self"):
        continue
    res = send(r, A, bob)
    if spec["obj"] is None:
        expect(r + ": bob answered", res[0] in (200, 201), True)
        expect(r + ": nothing of A's in bob's answer",
               "a.example" in res[2], False)
    else:
        expect(r + ": bob on A's: " + res[2][:200], (res[0], code(res)),
               (404, "not_found"))
expect("A's objects, after bob", snapshot(A, alice), before)

# Vic, a viewer of A: reads, and may change nothing.
for r in ROUTES_LIVE:
    spec = MATRIX[r]
    if spec.get("viewer") == R:
        expect(r + ": vic reads", send(r, A, vic)[0], 200)
    elif spec.get("viewer") == W:
        res = send(r, A, vic)
        expect(r + ": vic may not change: " + res[2][:200],
               (res[0], code(res)), (403, "forbidden"))
expect("A's objects, after vic", snapshot(A, alice), before)

# No token, a malformed one, another signature's: 401, every route.
forged = alice[:-4] + ("AAAA" if not alice.endswith("AAAA") else "BBBB")
for r in ROUTES_LIVE:
    for what, tok in (("no token", None), ("garbage", "not.a.token"),
                      ("forged", forged)):
        res = send(r, A, tok)
        expect("%s: %s" % (r, what), res[0], 401)

# A logged-out token: refused everywhere at once.
gone, _ = register("gone", "a.example")
ok("logout", call("POST", "/api/auth/logout", token=gone), 204)
for r in ROUTES_LIVE:
    res = send(r, A, gone)
    expect(r + ": logged out", (res[0], code(res)), (401, "token_revoked"))

# Keys: a key of A's, every scope, on B's objects: 404 where a key may
# go at all, 403 where no key may; then revoked: 401.
if KEYS:
    for r in ROUTES_LIVE:
        spec = MATRIX[r]
        if spec.get("self") or spec["obj"] is None:
            continue
        res = send(r, B, A["key"])
        want = (404, "not_found") if ROUTES[r] not in (None, "none") \
            else (403, "key_scope")
        expect(r + ": A's key on B's: " + res[2][:200],
               (res[0], code(res)), want)
    ok("revoke", call("DELETE", "/api/projects/%d/keys/%d"
                      % (A["project"], A["key_id"]), token=alice), 204)
    for r in ROUTES_LIVE:
        res = send(r, A, A["key"])
        expect(r + ": revoked key", res[0], 401)
    expect("A's objects, after the keys", snapshot(A, alice), before)

print("isolation: %d routes, %d checks" % (len(ROUTES_LIVE), checks))
