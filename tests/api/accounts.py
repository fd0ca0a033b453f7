"""Assertions on the tenants' accounts API, over HTTP, against two
stoked serve replicas sharing one database (ports in argv)."""

import base64
import json
import sys
import urllib.error
import urllib.request

A, B = (int(p) for p in sys.argv[1:3])
checks = 0


def call(port, method, path, body=None, token=None, raw=None,
         ctype="application/json"):
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, headers, text = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, headers, text = e.code, e.headers, e.read()
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = None
    return status, headers, doc


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def error(what, res, status, code, field=None):
    """An error in the one shape: {"error": {"code", "message", "field"}}"""
    st, _, doc = res
    expect(what + ": status", st, status)
    err = (doc or {}).get("error")
    expect(what + ": an error object", isinstance(err, dict), True)
    expect(what + ": code", err.get("code"), code)
    expect(what + ": a message", bool(err.get("message")), True)
    if field is not None:
        expect(what + ": field", err.get("field"), field)


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[2]), res[0], status)
    return res[2]


def b64(obj):
    return base64.urlsafe_b64encode(
        json.dumps(obj).encode()).rstrip(b"=").decode()


# Liveness and readiness
ok("healthz", call(A, "GET", "/healthz"))
expect("readyz", ok("readyz", call(B, "GET", "/readyz"))["status"], "ready")

# Sign-up
alice = ok("register alice", call(A, "POST", "/api/auth/register", {
    "name": "Alice", "email": "alice@shop.example",
    "password": "correct horse battery"}), 201)
expect("alice's e-mail", alice["user"]["email"], "alice@shop.example")
expect("a token", len(alice["token"]) > 20, True)
atok = alice["token"]
aid = alice["user"]["id"]
error("the same e-mail in capitals", call(B, "POST", "/api/auth/register", {
    "name": "Eve", "email": "ALICE@shop.example",
    "password": "another long one"}), 409, "email_taken", "email")
error("a short password", call(A, "POST", "/api/auth/register", {
    "name": "Bob", "email": "bob@shop.example", "password": "short"}),
    422, "weak_password", "password")
error("a password holding the e-mail", call(A, "POST", "/api/auth/register", {
    "name": "Bob", "email": "bob@shop.example",
    "password": "bob-is-my-password"}), 422, "weak_password", "password")
error("not an e-mail", call(A, "POST", "/api/auth/register", {
    "name": "Bob", "email": "bob at shop", "password": "long enough pass"}),
    422, "invalid_email", "email")
error("an unknown field", call(A, "POST", "/api/auth/register", {
    "name": "Bob", "email": "bob@shop.example", "password": "x" * 12,
    "admin": True}), 400, "unknown_field", "admin")
error("a missing field", call(A, "POST", "/api/auth/register", {
    "name": "Bob", "password": "long enough pass"}), 422, "required", "email")
error("a number for a name", call(A, "POST", "/api/auth/register", {
    "name": 5, "email": "bob@shop.example", "password": "long enough pass"}),
    422, "invalid", "name")
error("a name too long", call(A, "POST", "/api/auth/register", {
    "name": "n" * 201, "email": "bob@shop.example",
    "password": "long enough pass"}), 422, "too_long", "name")
error("bad JSON", call(A, "POST", "/api/auth/register", raw=b'{"name": '),
      400, "bad_json")
error("not JSON", call(A, "POST", "/api/auth/register", raw=b"name=bob",
                       ctype="application/x-www-form-urlencoded"),
      415, "unsupported_media_type")
error("JSON nested deep", call(A, "POST", "/api/auth/register",
                               raw=b'{"name":' + b"[" * 40 + b"]" * 40 + b"}"),
      400, "bad_json")
expect("a body too large", call(A, "POST", "/api/auth/register",
                                raw=b'{"name": "' + b"x" * 70000 + b'"}')[0],
       413)
error("a NUL in a string", call(A, "POST", "/api/auth/register", raw=(
    b'{"name": "a\\u0000b", "email": "bob@shop.example",'
    b' "password": "long enough pass"}')), 400, "bad_json")
bob = ok("register bob", call(B, "POST", "/api/auth/register", {
    "name": "Bob", "email": "bob@shop.example",
    "password": "a different secret"}), 201)
btok = bob["token"]
bid = bob["user"]["id"]

# Login
error("a wrong password", call(A, "POST", "/api/auth/login", {
    "email": "alice@shop.example", "password": "wrong horse battery"}),
    401, "invalid_credentials")
error("nobody's e-mail", call(A, "POST", "/api/auth/login", {
    "email": "carol@shop.example", "password": "correct horse battery"}),
    401, "invalid_credentials")
login = ok("login", call(B, "POST", "/api/auth/login", {
    "email": "Alice@Shop.example", "password": "correct horse battery"}))
expect("login's user", login["user_id"], aid)
atok2 = login["token"]
expect("method not allowed",
       call(A, "DELETE", "/api/auth/login")[0], 405)

# Who am I; tokens refused
res = call(A, "GET", "/api/auth/me")
error("no token", res, 401, "unauthorized")
expect("WWW-Authenticate", res[1].get("WWW-Authenticate"), "Bearer")
error("a garbage token", call(A, "GET", "/api/auth/me", token="x.y.z"),
      401, "invalid_token")
h, p, s = atok.split(".")
claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
error("alg none", call(A, "GET", "/api/auth/me", token=b64(
    {"alg": "none", "typ": "JWT"}) + "." + p + "."), 401, "invalid_token")
claims["sub"] = str(bid)
error("a payload changed", call(A, "GET", "/api/auth/me",
                                token=h + "." + b64(claims) + "." + s),
      401, "invalid_token")
me = ok("me", call(B, "GET", "/api/auth/me", token=atok))
expect("me: e-mail", me["user"]["email"], "alice@shop.example")
expect("me: no projects yet", me["projects"], [])

# Projects and roles
p = ok("create a project", call(A, "POST", "/api/projects",
                                {"name": "Shop"}, token=atok), 201)
pid = p["id"]
expect("the creator owns it", p["role"], "owner")
path = "/api/projects/%d" % pid
expect("bob's projects", ok("bob lists", call(A, "GET", "/api/projects",
                                              token=btok))["projects"], [])
error("a stranger reads", call(A, "GET", path, token=btok), 404, "not_found")
error("a stranger renames", call(A, "PUT", path, {"name": "Mine"},
                                 token=btok), 404, "not_found")
error("a stranger deletes", call(A, "DELETE", path, token=btok), 404,
      "not_found")
error("a stranger lists members", call(A, "GET", path + "/members",
                                       token=btok), 404, "not_found")
for bad in ("abc", "0", "-1", "99999999999999999999"):
    error("project id " + bad, call(A, "GET", "/api/projects/" + bad,
                                    token=atok), 404, "not_found")
ok("add bob as viewer", call(B, "POST", path + "/members",
                             {"email": "bob@shop.example", "role": "viewer"},
                             token=atok))
expect("bob sees it", ok("bob reads", call(A, "GET", path,
                                           token=btok))["role"], "viewer")
error("a viewer renames", call(A, "PUT", path, {"name": "Mine"},
                               token=btok), 403, "forbidden")
error("a viewer deletes", call(A, "DELETE", path, token=btok), 403,
      "forbidden")
error("a viewer adds members", call(A, "POST", path + "/members", {
    "email": "alice@shop.example", "role": "viewer"}, token=btok), 403,
    "forbidden")
error("a bad role", call(A, "POST", path + "/members", {
    "email": "bob@shop.example", "role": "god"}, token=atok), 422, "invalid",
    "role")
error("nobody's e-mail as member", call(A, "POST", path + "/members", {
    "email": "carol@shop.example", "role": "viewer"}, token=atok), 404,
    "not_found")
ok("bob made admin", call(A, "POST", path + "/members",
                          {"email": "bob@shop.example", "role": "admin"},
                          token=atok))
expect("an admin renames", ok("admin renames", call(
    B, "PUT", path, {"name": "Shop EU"}, token=btok))["name"], "Shop EU")
error("an admin deletes", call(A, "DELETE", path, token=btok), 403,
      "forbidden")
members = ok("members", call(A, "GET", path + "/members", token=btok))
expect("two members", sorted(m["role"] for m in members["members"]),
       ["admin", "owner"])
error("the last owner leaves", call(A, "DELETE", path + "/members/%d" % aid,
                                    token=atok), 409, "conflict")
ok("bob leaves", call(A, "DELETE", path + "/members/%d" % bid, token=btok),
   204)
error("bob gone", call(A, "GET", path, token=btok), 404, "not_found")

# Logout on one replica, honoured by the other at once
ok("logout", call(A, "POST", "/api/auth/logout", token=atok), 204)
error("the token after logout, elsewhere", call(B, "GET", "/api/auth/me",
                                                token=atok),
      401, "token_revoked")
ok("another token of alice's still works",
   call(B, "GET", "/api/auth/me", token=atok2))
ok("the owner deletes", call(B, "DELETE", path, token=atok2), 204)
error("deleted", call(A, "GET", path, token=atok2), 404, "not_found")

print("%d checks, 0 failed" % checks)
