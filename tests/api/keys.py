"""Assertions on a project's API keys, over HTTP: two replicas' ports (the
second with a per-user rate of 5 at once), the Varnish node's port, a
command that drains the queue once (a stoked worker), the database's URL
(to look under the API)."""

import hashlib
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

A, B, NODE = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
WORKER, PGURL = sys.argv[4], sys.argv[5]
checks = 0


def call(method, path, body=None, token=None, port=A):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
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
    expect(what + ": field", err.get("field"), field)
    return err


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


def wait_done(job, token):
    deadline = time.time() + 60
    while True:
        j = ok("poll job", call("GET", "/api/jobs/%d" % job, token=token))
        if j["status"] not in ("queued", "running"):
            return j
        if time.time() > deadline:
            sys.exit("FAIL: job %d still %s" % (job, j["status"]))
        time.sleep(0.2)


alice, bob, carol = user("alice"), user("bob"), user("carol")
pa = ok("project A", call("POST", "/api/projects", {"name": "Shop"},
                          token=alice), 201)["id"]
pb = ok("project B", call("POST", "/api/projects", {"name": "Other"},
                          token=carol), 201)["id"]
ok("bob a viewer of A", call("POST", "/api/projects/%d/members" % pa, {
    "email": "bob@shop.example", "role": "viewer"}, token=alice))
site = {"base_url": "http://localhost/",
        "varnish_nodes": ["http://127.0.0.1:%d" % NODE]}
wa = ok("website of A", call("POST", "/api/projects/%d/websites" % pa, site,
                             token=alice), 201)["id"]
wb = ok("website of B", call("POST", "/api/projects/%d/websites" % pb, site,
                             token=carol), 201)["id"]
jb = ok("a job of B", call("POST", "/api/websites/%d/jobs" % wb, {
    "urls": ["/product/1"]}, token=carol), 201)["id"]
KA, KB = "/api/projects/%d/keys" % pa, "/api/projects/%d/keys" % pb

# ------------------------------------------------------------------
# Created, shown once

FIELDS = ["created_at", "id", "last_used_at", "name", "prefix", "revoked_at",
          "scopes"]
rk = ok("a read key", call("POST", KA, {"name": "CI read"}, token=alice), 201)
expect("its fields", sorted(rk), sorted(FIELDS + ["key"]))
expect("read by default", rk["scopes"], ["read"])
expect("shaped", bool(re.match(r"^stk_[0-9A-Za-z]{40}$", rk["key"])), True)
expect("prefix", rk["prefix"], rk["key"][:12])
expect("never used, not revoked", (rk["last_used_at"], rk["revoked_at"]),
       (None, None))
jk = ok("a jobs key", call("POST", KA, {"name": "CI deploy",
                                        "scopes": ["jobs", "read"]},
                           token=alice), 201)
expect("scopes in their order", jk["scopes"], ["read", "jobs"])
wk = ok("a jobs-only key", call("POST", KA, {"name": "CI warm",
                                             "scopes": ["jobs"]},
                                token=alice), 201)
ck = ok("a key of B", call("POST", KB, {"name": "B's", "scopes": ["read"]},
                           token=carol), 201)
READ, JOBS, WARM, KEYB = rk["key"], jk["key"], wk["key"], ck["key"]
expect("keys differ", len({READ, JOBS, WARM, KEYB}), 4)

lst = ok("list", call("GET", KA, token=alice))["keys"]
expect("listed, oldest first", [k["id"] for k in lst],
       [rk["id"], jk["id"], wk["id"]])
for k in lst:
    expect("listed without the key", sorted(k), FIELDS)
expect("the prefixes", [k["prefix"] for k in lst],
       [READ[:12], JOBS[:12], WARM[:12]])
expect("a viewer lists them", ok("bob lists", call("GET", KA, token=bob)),
       {"keys": lst})
expect("only B's in B", [k["id"] for k in ok("carol lists", call(
    "GET", KB, token=carol))["keys"]], [ck["id"]])
# Stored as its SHA-256 and its prefix; the key itself nowhere.
expect("hashed", sql("SELECT encode(key_hash, 'hex') FROM api_keys"
                     " WHERE id = %d" % rk["id"]),
       hashlib.sha256(READ.encode()).hexdigest())
expect("the key is not in the table", sql(
    "SELECT count(*) FROM api_keys WHERE position('%s' IN"
    " api_keys::text) > 0" % READ[12:]), "0")

# ------------------------------------------------------------------
# Its user: a member of its project only, never shown as one

expect("bots: viewer, admin, admin", sql(
    "SELECT string_agg(m.role::text || ':' || (u.email IS NULL)::text ||"
    " ':' || (u.password_hash IS NULL)::text, ' ' ORDER BY k.id)"
    " FROM api_keys k JOIN users u ON u.id = k.user_id AND u.kind = 'key'"
    " JOIN project_members m ON m.user_id = u.id AND m.project_id ="
    " k.project_id WHERE k.project_id = %d" % pa),
    "viewer:true:true admin:true:true admin:true:true")
expect("a bot is a member of one project", sql(
    "SELECT max(n) FROM (SELECT count(*) AS n FROM project_members m"
    " JOIN users u ON u.id = m.user_id AND u.kind = 'key'"
    " GROUP BY u.id) c"), "1")
members = ok("members", call("GET", "/api/projects/%d/members" % pa,
                             token=alice))["members"]
expect("members: persons only", sorted(m["email"] for m in members),
       ["alice@shop.example", "bob@shop.example"])
expect("counted: persons only", ok("project", call(
    "GET", "/api/projects/%d" % pa, token=alice))["members"], 2)
bot = int(sql("SELECT user_id FROM api_keys WHERE id = %d" % jk["id"]))
error("a bot is no member to remove", call(
    "DELETE", "/api/projects/%d/members/%d" % (pa, bot), token=alice), 404,
    "not_found")
expect("still a member", sql("SELECT role FROM project_members"
                             " WHERE user_id = %d" % bot), "admin")
joined = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                         PGURL, "-c", "INSERT INTO project_members"
                         " (project_id, user_id, role) VALUES (%d, %d,"
                         " 'viewer')" % (pb, bot)],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
expect("a bot joins no other project, whoever asks",
       (joined.returncode != 0,
        b"is a key of another project" in joined.stderr), (True, True))

# ------------------------------------------------------------------
# As a bearer, within its scopes

projects = ok("a key's projects", call("GET", "/api/projects", token=READ))
expect("its project only", [p["id"] for p in projects["projects"]], [pa])
expect("as a viewer", projects["projects"][0]["role"], "viewer")
ok("its project", call("GET", "/api/projects/%d" % pa, token=READ))
ok("its websites", call("GET", "/api/projects/%d/websites" % pa,
                        token=READ))
ok("its website", call("GET", "/api/websites/%d" % wa, token=READ))
e = error("a read key starts a job", call(
    "POST", "/api/websites/%d/jobs" % wa, {"urls": ["/"]}, token=READ), 403,
    "key_scope")
expect("the scope needed is said", "'jobs'" in e["message"], True)
job = ok("a jobs key starts a job", call(
    "POST", "/api/websites/%d/jobs" % wa,
    {"urls": ["/product/%d" % i for i in range(1, 11)]}, token=JOBS), 201)
jid = job["id"]
ok("a jobs-only key starts one too", call(
    "POST", "/api/websites/%d/jobs" % wa, {"urls": ["/product/11"]},
    token=WARM), 201)
error("a jobs-only key reads no job", call("GET", "/api/jobs/%d" % jid,
                                           token=WARM), 403, "key_scope")
expect("the read key sees it", ok("read the job", call(
    "GET", "/api/jobs/%d" % jid, token=READ))["urls_total"], 10)
subprocess.run([WORKER], check=True, timeout=120)
done = wait_done(jid, READ)
expect("warmed", (done["status"], done["urls_completed"]), ("done", 10))
res = ok("its results", call("GET", "/api/jobs/%d/results" % jid,
                             token=READ))["results"]
expect("a result a URL", len(res), 10)
ok("the jobs list", call("GET", "/api/websites/%d/jobs" % wa, token=READ))
c = ok("a job to cancel", call("POST", "/api/websites/%d/jobs" % wa,
                               {"urls": ["/product/12"]}, token=alice), 201)
error("a read key cancels", call("DELETE", "/api/jobs/%d" % c["id"],
                                 token=READ), 403, "key_scope")
expect("a jobs key cancels", ok("cancel", call(
    "DELETE", "/api/jobs/%d" % c["id"], token=JOBS))["status"], "cancelled")

# No key, whatever its scopes, on what a person must do.
mem = {"email": "carol@shop.example", "role": "viewer"}
for method, path, body in (
        ("GET", "/api/auth/me", None),
        ("POST", "/api/auth/logout", None),
        ("POST", "/api/projects", {"name": "Mine"}),
        ("PUT", "/api/projects/%d" % pa, {"name": "Renamed"}),
        ("DELETE", "/api/projects/%d" % pa, None),
        ("GET", "/api/projects/%d/members" % pa, None),
        ("POST", "/api/projects/%d/members" % pa, mem),
        ("DELETE", "/api/projects/%d/members/%d" % (pa, bot), None),
        ("GET", KA, None),
        ("POST", KA, {"name": "more"}),
        ("DELETE", "%s/%d" % (KA, rk["id"]), None),
        ("POST", "/api/projects/%d/websites" % pa, site),
        ("PUT", "/api/websites/%d" % wa, {"name": "Renamed"}),
        ("DELETE", "/api/websites/%d" % wa, None)):
    for k in (READ, JOBS):
        e = error("a key: %s %s" % (method, path),
                  call(method, path, body, token=k), 403, "key_scope")
    expect("no key may: " + path, "cannot call this route" in e["message"],
           True)
expect("nothing changed", (
    ok("A", call("GET", "/api/projects/%d" % pa, token=alice))["name"],
    ok("website", call("GET", "/api/websites/%d" % wa, token=alice))["name"],
    len(ok("keys", call("GET", KA, token=alice))["keys"]),
    sql("SELECT count(*) FROM project_members WHERE project_id = %d" % pa)),
    ("Shop", "", 3, "5"))

# ------------------------------------------------------------------
# Its project only

for path in ("/api/projects/%d" % pb, "/api/projects/%d/websites" % pb,
             "/api/websites/%d" % wb, "/api/websites/%d/jobs" % wb,
             "/api/jobs/%d" % jb, "/api/jobs/%d/results" % jb):
    error("A's key: GET " + path, call("GET", path, token=JOBS), 404,
          "not_found")
error("A's key starts B's job", call("POST", "/api/websites/%d/jobs" % wb,
                                     {"urls": ["/"]}, token=JOBS), 404,
      "not_found")
error("A's key cancels B's job", call("DELETE", "/api/jobs/%d" % jb,
                                      token=JOBS), 404, "not_found")
expect("B's job not cancelled", ok("B's job", call(
    "GET", "/api/jobs/%d" % jb, token=KEYB))["status"] != "cancelled", True)
error("B's key: A's website", call("GET", "/api/websites/%d" % wa,
                                   token=KEYB), 404, "not_found")

# ------------------------------------------------------------------
# last_used_at: set on use, at most once a minute

lst = {k["id"]: k for k in ok("list", call("GET", KA, token=alice))["keys"]}
used = lst[rk["id"]]["last_used_at"]
expect("used", used is not None, True)
ok("used again", call("GET", "/api/projects", token=READ))
expect("not written again within the minute", {
    k["id"]: k for k in ok("list", call("GET", KA, token=alice))["keys"]}[
        rk["id"]]["last_used_at"], used)
sql("UPDATE api_keys SET last_used_at = last_used_at - interval '61 s'"
    " WHERE id = %d" % rk["id"])
ok("used a minute later", call("GET", "/api/projects", token=READ))
expect("written again after a minute", sql(
    "SELECT last_used_at > now() - interval '30 s' FROM api_keys"
    " WHERE id = %d" % rk["id"]), "t")

# ------------------------------------------------------------------
# Who may manage keys

error("a viewer creates", call("POST", KA, {"name": "mine"}, token=bob), 403,
      "forbidden")
error("a viewer revokes", call("DELETE", "%s/%d" % (KA, rk["id"]),
                               token=bob), 403, "forbidden")
for method, body in (("GET", None), ("POST", {"name": "x"})):
    error("not a member: %s keys" % method, call(method, KA, body,
                                                 token=carol), 404,
          "not_found")
error("not a member revokes", call("DELETE", "%s/%d" % (KA, rk["id"]),
                                   token=carol), 404, "not_found")
error("A's key by B's path", call("DELETE", "%s/%d" % (KB, rk["id"]),
                                  token=carol), 404, "not_found")
error("B's key by A's path", call("DELETE", "%s/%d" % (KA, ck["id"]),
                                  token=alice), 404, "not_found")
error("no such key", call("DELETE", "%s/999999" % KA, token=alice), 404,
      "not_found")
error("not an id", call("DELETE", "%s/abc" % KA, token=alice), 404,
      "not_found", "key_id")
ok("B's key still works", call("GET", "/api/websites/%d" % wb, token=KEYB))

# ------------------------------------------------------------------
# Revoked: refused at once, on every replica

ok("before", call("GET", "/api/projects", token=READ, port=B))
ok("revoke", call("DELETE", "%s/%d" % (KA, rk["id"]), token=alice), 204)
for port in (A, B):
    error("revoked, replica %d" % port, call("GET", "/api/projects",
                                             token=READ, port=port), 401,
          "invalid_key")
error("revoked again", call("DELETE", "%s/%d" % (KA, rk["id"]), token=alice),
      409, "key_revoked")
lst = {k["id"]: k for k in ok("list", call("GET", KA, token=alice))["keys"]}
expect("listed as revoked", lst[rk["id"]]["revoked_at"] is not None, True)
expect("its user a member of nothing", sql(
    "SELECT count(*) FROM project_members m JOIN api_keys k"
    " ON k.user_id = m.user_id WHERE k.id = %d" % rk["id"]), "0")
ok("the others still work", call("GET", "/api/jobs/%d" % jid, token=JOBS))
for bad in ("stk_" + "A" * 40, "stk_short", "stk_" + "A" * 39 + "!",
            JOBS + "x"):
    error("not a key: " + bad, call("GET", "/api/projects", token=bad), 401,
          "invalid_key")

# ------------------------------------------------------------------
# Rate-limited as its own user (replica B: 5 at once)

n = 0
while n < 50:
    st, doc = call("GET", "/api/projects", token=JOBS, port=B)
    if st == 429:
        break
    expect("until limited", st, 200)
    n += 1
expect("limited after its burst", n, 5)
expect("a key's limit is not its creator's", call(
    "GET", "/api/projects", token=alice, port=B)[0], 200)

# ------------------------------------------------------------------
# Hostile bodies

for body, status, code, field in (
        ({"name": "x", "scopes": ["admin"]}, 422, "invalid", "scopes[0]"),
        ({"name": "x", "scopes": ["read", "owner"]}, 422, "invalid",
         "scopes[1]"),
        ({"name": "x", "scopes": ["read", "read"]}, 422, "invalid",
         "scopes[1]"),
        ({"name": "x", "scopes": []}, 422, "required", "scopes"),
        ({"name": "x", "scopes": "read"}, 422, "invalid", "scopes"),
        ({"name": "x", "scopes": None}, 422, "invalid", "scopes"),
        ({"name": "x", "scopes": [5]}, 422, "invalid", "scopes[0]"),
        ({"name": "x", "scopes": ["read", "jobs", "purge", "read"]}, 422,
         "too_long", "scopes"),
        ({"name": "x", "scopes": ["r" * 17]}, 422, "too_long", "scopes[0]"),
        ({"name": "x" * 201}, 422, "too_long", "name"),
        ({"name": ""}, 422, "required", "name"),
        ({"scopes": ["read"]}, 422, "required", "name"),
        ({"name": 5}, 422, "invalid", "name"),
        ({"name": "x", "scope": ["read"]}, 400, "unknown_field", "scope"),
        ({"name": "x", "key": "stk_" + "A" * 40}, 400, "unknown_field",
         "key")):
    error("hostile %r" % (body,), call("POST", KA, body, token=alice),
          status, code, field)
long = ok("a name at the bound", call("POST", KA, {
    "name": "x" * 200, "scopes": ["purge"]}, token=alice), 201)
expect("purge alone", long["scopes"], ["purge"])
expect("no key made by a refusal", len(ok("list", call(
    "GET", KA, token=alice))["keys"]), 4)

# ------------------------------------------------------------------
# A project's keys and their users go with it

ok("B deleted", call("DELETE", "/api/projects/%d" % pb, token=carol), 204)
error("B's key", call("GET", "/api/projects", token=KEYB), 401,
      "invalid_key")
expect("every bot has its key, every key its bot", sql(
    "SELECT (SELECT count(*) FROM users WHERE kind = 'key') = "
    "(SELECT count(*) FROM api_keys)"), "t")
expect("B's bot gone", sql("SELECT count(*) FROM users u WHERE kind = 'key'"
                           " AND name = 'B''s'"), "0")
print("%d checks, 0 failed" % checks)
