"""Assertions on what an attacker tries against stoked serve, over HTTP:
replica A (--allow-private, trusts a proxy on loopback, serves a
dashboard), replica B (hosted: neither), the token key file and another
one, stoked serve --print-routes' table, openapi.json, a command that
drains the queue once with a worker without --allow-private, and the
database's URL.

Covered elsewhere, and not tested twice here:
  - alg=none and a changed payload: api/accounts.py ("alg none", "a
    payload changed"); the verifier's cases: unit/test_token.c
  - revoked API keys on every replica: api/keys.py ("revoked, replica");
    revoked agent tokens: api/agents.py ("a revoked agent")
  - logins locked after 10 failures per e-mail and 20 per address, 429
    with Retry-After, honoured by the other replica: api/limits.py
  - the dashboard's files: "..", encoded, double-encoded, backslash,
    NUL, hidden files, links out: api/static.sh
  - sitemap redirects to another host never followed, a worker without
    --allow-private refusing a loopback site: api/sitemap_jobs.py
  - zip bombs in sitemaps: unit/test_sitemap.c, api/agents.py"""

import base64
import hashlib
import hmac
import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

A, B = int(sys.argv[1]), int(sys.argv[2])
KEYS, OTHER_KEYS, ROUTES, OPENAPI = sys.argv[3:7]
WORKER, PGURL = sys.argv[7], sys.argv[8]
checks = 0
xff_n = 0


def next_client():
    """A client address of its own for each request to A (a trusted
    proxy's word), so that the sign-up and login limits per address,
    tested in api/limits.py, do not end this suite's requests early."""
    global xff_n
    xff_n += 1
    return "198.18.%d.%d" % (xff_n // 250, xff_n % 250 + 1)


def call(port, method, path, body=None, token=None, raw=None,
         ctype="application/json", headers=None):
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    if port == A:
        req.add_header("X-Forwarded-For", next_client())
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    for attempt in range(6):
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, hdrs, text = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, e.headers, e.read()
        # An agent has a rate of its own (50 a second, bursts of 200),
        # which a test sending every field's every hostile value goes
        # past: it waits as an agent does, as long as it is told.
        if status != 429 or not (token or "").startswith("sta_"):
            break
        time.sleep(float(hdrs.get("Retry-After") or 1))
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = None
    return status, hdrs, doc


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def shape(what, res):
    """An error in the one shape: {"error": {"code", "message"[, "field"]}}"""
    st, hdrs, doc = res
    expect(what + ": JSON", (hdrs.get("Content-Type") or "").split(";")[0],
           "application/json")
    err = (doc or {}).get("error") if isinstance(doc, dict) else None
    expect(what + ": an error object " + repr(doc), isinstance(err, dict),
           True)
    expect(what + ": a code", isinstance(err.get("code"), str) and
           bool(re.match(r"^[a-z_]+$", err["code"])), True)
    expect(what + ": a message", bool(err.get("message")), True)
    return err


def error(what, res, status, code=None, field=None):
    expect(what + ": status " + repr(res[2]), res[0], status)
    err = shape(what, res)
    if code is not None:
        expect(what + ": code", err.get("code"), code)
    if field is not None:
        expect(what + ": field", err.get("field"), field)


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[2]), res[0], status)
    return res[2]


def alive(what):
    expect(what + ": /healthz after", call(A, "GET", "/healthz")[0], 200)


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def b64(data):
    if not isinstance(data, bytes):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_of(path):
    kid, secret = open(path).read().split()[:2]
    return kid, base64.b64decode(secret)


def jwt(header, claims, key):
    head = b64(header) + "." + b64(claims)
    sig = hmac.new(key, head.encode(), hashlib.sha256).digest()
    return head + "." + b64(sig)


# An account to attack with, and its genuine token's claims.
alice = ok("register alice", call(A, "POST", "/api/auth/register", {
    "name": "Alice", "email": "alice@shop.example",
    "password": "correct horse battery"}), 201)
atok, aid = alice["token"], alice["user"]["id"]
ok("bob", call(A, "POST", "/api/auth/register", {
    "name": "Bob", "email": "bob@shop.example",
    "password": "correct horse battery"}), 201)
h, p, s = atok.split(".")
header = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
kid, key = key_of(KEYS)
expect("the header names our key", (header.get("alg"), header.get("kid")),
       ("HS256", kid))

# -- Tokens: built here with the real key, each wrong in one way --------
now = int(time.time())
me = "/api/auth/me"
ok("a token built here, as ours are", call(B, "GET", me, token=jwt(
    header, claims, key)))
forged = {
    "expired": jwt(header, dict(claims, iat=now - 7200, exp=now - 3600), key),
    "expired a second ago": jwt(header, dict(claims, exp=now - 1), key),
    "no exp": jwt(header, {k: v for k, v in claims.items() if k != "exp"},
                  key),
    "another user, re-signed with a wrong key": jwt(
        header, dict(claims, sub=str(aid + 1)), key_of(OTHER_KEYS)[1]),
    "our kid, another key": jwt(header, claims, key_of(OTHER_KEYS)[1]),
    "another kid and its key": jwt(dict(header, kid=key_of(OTHER_KEYS)[0]),
                                   claims, key_of(OTHER_KEYS)[1]),
    "tampered signature": h + "." + p + "." + (
        ("A" if s[0] != "A" else "B") + s[1:]),
    "signature cut": h + "." + p + "." + s[:-4],
    "no signature": h + "." + p + ".",
    "alg none": b64(dict(header, alg="none")) + "." + p + ".",
    "alg None, signed": jwt(dict(header, alg="None"), claims, key),
    "alg HS512 with our key": b64(dict(header, alg="HS512")) + "." + p + "." +
    b64(hmac.new(key, (b64(dict(header, alg="HS512")) + "." + p).encode(),
                 hashlib.sha512).digest()),
    "alg RS256, the key as a public key": jwt(dict(header, alg="RS256"),
                                             claims, key),
    "a sub that is not a number": jwt(header, dict(claims, sub="1 OR 1=1"),
                                      key),
    "a kid with a path": jwt(dict(header, kid="../../etc/passwd"), claims,
                             key),
    "two dots only": "..",
    "four parts": atok + ".x",
    "padding in base64": h + "==." + p + "." + s,
    "very long": "a" * 20000,
}
for what, tok in forged.items():
    for port in (A, B):
        st = call(port, "GET", me, token=tok)
        expect("token %s, replica %d: status %r" % (what, port, st[2]),
               st[0], 401 if what != "very long" else st[0])
        expect("token %s: refused" % what, st[0] in (400, 401, 431), True)
        if st[0] == 401:
            shape("token " + what, st)
alive("forged tokens")
ok("the genuine token still works", call(A, "GET", me, token=atok))

# -- Bodies: too big, too deep, not what they say ------------------------
reg = "/api/auth/register"
res = call(A, "POST", reg, raw=b'{"name": "' + b"x" * 70000 + b'"}')
error("a body over a route's 64 KiB", res, 413, "too_large")
# Past the wire's 1 MiB (an agent's batch may be that big), on any
# path: refused before it is routed, in the one shape too.
big = b'{"name": "' + b"x" * (2 << 20) + b'"}'
for path in (reg, "/api/agent/v1/batches", "/no/such/path"):
    error("a body over the wire's 1 MiB, to " + path,
          call(A, "POST", path, raw=big), 413, "too_large")
# And the connection is answered at once, not left waiting: the answer
# on a raw socket, within a bound, as soon as the body is sent.
s = socket.create_connection(("127.0.0.1", A), timeout=10)
s.sendall(b"POST " + reg.encode() + b" HTTP/1.1\r\nHost: x\r\n"
          b"Content-Type: application/json\r\nContent-Length: " +
          str(len(big)).encode() + b"\r\n\r\n" + big)
t, got = time.time(), b""
while b"\r\n\r\n" not in got and time.time() - t < 5:
    data = s.recv(65536)
    if not data:
        break
    got += data
s.close()
expect("2 MiB on a raw socket: answered 413 within 5 s",
       got.split(b" ", 2)[1:2], [b"413"])
alive("bodies over the wire's limit")
for n in (33, 1000, 100000):
    for o, c in ((b"[", b"]"), (b'{"a":', b"}")):
        res = call(A, "POST", reg, raw=b'{"name":' + o * n + b"1" + c * n +
                   b"}")
        expect("nested %d %s: status" % (n, o), res[0] in (400, 413), True)
        shape("nested %d %s" % (n, o), res)
for raw, what in ((b"", "empty"), (b"null", "null"), (b"[]", "an array"),
                  (b'"x"', "a string"), (b"{", "cut"),
                  (b'{"name":"a","name":"b"}', "a key twice"),
                  (b'{"name":"\xff"}', "invalid UTF-8"),
                  (b'{"name":"\\ud800"}', "a lone surrogate"),
                  (b"\xef\xbb\xbf{}", "a BOM"), (b"{}\x00", "a NUL after")):
    res = call(A, "POST", reg, raw=raw)
    expect("a body that is %s: 4xx" % what, 400 <= res[0] < 500, True)
    shape("a body that is " + what, res)
alive("bodies")

# -- Every string field of every route with a body -----------------------
doc = json.load(open(OPENAPI))
S = doc["components"]["schemas"]


def resolve(s):
    while "$ref" in s:
        s = S[s["$ref"].split("/")[-1]]
    return s


def string_paths(s, path=()):
    s = resolve(s)
    t = s.get("type")
    ts = t if isinstance(t, list) else [t]
    if "string" in ts:
        yield path
    for k, v in s.get("properties", {}).items():
        yield from string_paths(v, path + (k,))
    if "array" in ts and "items" in s:
        yield from string_paths(s["items"], path + (0,))


def put(body, path, value):
    body = json.loads(json.dumps(body))
    cur = body
    for i, k in enumerate(path[:-1]):
        nxt = [] if isinstance(path[i + 1], int) else {}
        if isinstance(k, int):
            if not cur:
                cur.append(nxt)
            cur = cur[0]
        else:
            if not isinstance(cur.get(k), type(nxt)):
                cur[k] = nxt
            cur = cur[k]
    k = path[-1]
    if isinstance(k, int):
        if cur:
            cur[0] = value
        else:
            cur.append(value)
    else:
        cur[k] = value
    return body


def get(body, path):
    for k in path:
        if isinstance(body, list):
            if not body:
                return None
            k = 0
        if not isinstance(body, (dict, list)) or (
                isinstance(body, dict) and k not in body):
            return None
        body = body[k]
    return body


# What the routes act on.
pid = ok("a project", call(A, "POST", "/api/projects", {"name": "Shop"},
                           token=atok), 201)["id"]
# The biggest plan, so that what is refused is the input, not a quota.
sql("UPDATE projects SET plan_id = (SELECT id FROM plans ORDER BY"
    " max_websites DESC NULLS FIRST LIMIT 1) WHERE id = %d" % pid)
site = ok("a website", call(A, "POST", "/api/projects/%d/websites" % pid, {
    "base_url": "http://127.0.0.1:9/"}, token=atok), 201)["id"]
agent = ok("an agent", call(A, "POST", "/api/websites/%d/agents" % site,
                            {"name": "edge"}, token=atok), 201)
chan = ok("a channel", call(A, "POST", "/api/projects/%d/channels" % pid, {
    "kind": "email", "name": "ops", "recipients": ["ops@shop.example"],
    "events": ["job.failed"]}, token=atok), 201)["id"]
serial = [0]


def fresh():
    serial[0] += 1
    return serial[0]


# A valid body of each route, fresh each time (unique names, URLs).
BASE = {
    "/api/auth/register": lambda: {
        "name": "n", "email": "u%d@shop.example" % fresh(),
        "password": "a long enough secret"},
    "/api/auth/login": lambda: {"email": "bob@shop.example",
                                "password": "correct horse battery"},
    "/api/projects": lambda: {"name": "p"},
    "/api/projects/:id": lambda: {"name": "p"},
    "/api/projects/:id/members": lambda: {"email": "bob@shop.example",
                                          "role": "viewer"},
    "/api/projects/:id/keys": lambda: {"name": "k"},
    "/api/projects/:id/websites": lambda: {
        "base_url": "http://127.0.0.1:9/s%d/" % fresh()},
    "/api/websites/:id": lambda: {"name": "w"},
    "/api/websites/:id/jobs": lambda: {"urls": ["/a"]},
    "/api/websites/:id/purge": lambda: {"urls": ["/a"]},
    "/api/websites/:id/agents": lambda: {"name": "a"},
    "/api/agent/v1/hello": lambda: {"name": "a"},
    "/api/agent/v1/batches": lambda: {"batch": "r:%d" % fresh(),
                                      "sent_at": now},
    "/api/projects/:id/channels": lambda: {
        "kind": "email", "name": "c", "recipients": ["a@shop.example"],
        "events": ["job.failed"]},
    "/api/projects/:id/channels/:channel_id": lambda: {"name": "c"},
}
IDS = {":id": None, ":channel_id": str(chan)}
NOT_HERE = ("/api/auth/logout",)  # a body of nothing; it would end atok
HOSTILE = [
    ("SQL", "'; DROP TABLE users; --"),
    ("SQL quotes", "x' OR '1'='1\" OR \"1\"=\"1"),
    ("a NUL", "a\u0000b"),
    ("a NUL alone", "\u0000"),
    ("control characters", "a\r\nSet-Cookie: x=1\t\u001b[31m"),
    ("very long", "x" * 60000),
    ("not quite ASCII", "caf\u00e9 \u202e \ufeff \U0001f525"),
]
RAW = [  # as bytes on the wire, not escaped: never valid JSON text
    ("invalid UTF-8", b"\xff\xfe"),
    ("overlong UTF-8 /", b"\xc0\xaf"),
    ("a surrogate in UTF-8", b"\xed\xa0\x80"),
]
MARK = "@@HOSTILE@@"

# Which routes have a body, from the router itself.
routes = []
for line in open(ROUTES):
    m, path, scope = line.split()[:3]
    if m in ("POST", "PUT", "PATCH") and scope != "operator":
        routes.append((m, path, scope))
oa = {}
for path, ops in doc["paths"].items():
    for m, op in ops.items():
        if isinstance(op, dict) and "requestBody" in op:
            oa[(m.upper(), re.sub(r"\{([a-z_]+)\}", r":\1", path))] = \
                op["requestBody"]["content"]["application/json"]["schema"]
fields = 0
for m, path, scope in routes:
    if path in NOT_HERE:
        continue
    expect("%s %s: a request body in openapi.json" % (m, path),
           (m, path) in oa, True)
    paths = list(string_paths(oa[(m, path)]))
    if not paths:
        continue
    expect("%s %s: a valid body known here" % (m, path), path in BASE, True)
    url = path.replace(":channel_id", IDS[":channel_id"])
    url = url.replace(":id", str(pid if path.startswith("/api/projects")
                                 else site))
    token = agent["token"] if scope == "agent" else atok
    ok("%s %s: the valid body" % (m, path), call(
        A, m, url, BASE[path](), token=token), 201 if m == "POST" and
        path not in ("/api/auth/login", "/api/projects/:id/members",
                     "/api/websites/:id/purge", "/api/agent/v1/hello",
                     "/api/agent/v1/batches") else 200)
    for fp in paths:
        fields += 1
        name = "%s %s %s" % (m, path, ".".join(str(k) for k in fp))
        for what, v in HOSTILE:
            body = put(BASE[path](), fp, v)
            res = call(A, m, url, body, token=token)
            expect(name + " " + what + ": never 5xx " + repr(res[2])[:200],
                   res[0] < 500, True)
            if res[0] >= 400:
                shape(name + " " + what, res)
            elif isinstance(res[2], dict) and get(res[2], fp) is not None:
                expect(name + " " + what + ": read back as sent",
                       get(res[2], fp), v)
        for what, v in RAW:
            text = json.dumps(put(BASE[path](), fp, MARK)).encode()
            res = call(A, m, url, raw=text.replace(MARK.encode(), v),
                       token=token)
            expect(name + " " + what + ": 400", res[0], 400)
            shape(name + " " + what, res)
        alive(name)
expect("string fields tried", fields >= 40, True)
expect("the tables are intact", sql(
    "SELECT count(*) FROM users WHERE email = 'alice@shop.example'"), "1")
expect("no table made", sql(
    "SELECT count(*) FROM pg_tables WHERE tablename ILIKE '%drop%'"), "0")

# SQL metacharacters are text, stored and read back as they were.
evil = "Robert'); DROP TABLE projects; -- \\ % _ $1 ::text"
pe = ok("a project named with SQL", call(A, "POST", "/api/projects",
                                         {"name": evil}, token=atok), 201)
expect("read back", ok("get it", call(B, "GET", "/api/projects/%d" %
                                      pe["id"], token=atok))["name"], evil)
expect("listed as such", evil in [
    x["name"] for x in ok("list", call(B, "GET", "/api/projects",
                                       token=atok))["projects"]], True)

# -- Loopback, however it is spelt --------------------------------------
sites = "/api/projects/%d/websites" % pid
for url in ("http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/",
            "http://0x7f000001/", "http://017700000001/", "http://127.1/",
            "http://127.0.0.1./", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
            "http://[0:0:0:0:0:ffff:7f00:1]/", "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/", "http://localhost/",
            "http://LOCALHOST./", "http://0/", "http://[::]/",
            "http://[fe80::1%25lo]/", "http://169.254.169.254/"):
    res = call(B, "POST", sites, {"base_url": url}, token=atok)
    expect("without --allow-private, %s: refused %r" % (url, res[2]),
           res[0], 422)
    err = shape(url, res)
    expect(url + ": field", err.get("field"), "base_url")
    res = call(B, "PUT", "/api/websites/%d" % site,
               {"base_url": url, "sitemap_url": None}, token=atok)
    expect("without --allow-private, a change to %s: refused" % url,
           res[0], 422)
    res = call(B, "POST", "/api/projects/%d/channels" % pid, {
        "kind": "webhook", "name": "x", "url": url + "hook",
        "events": ["job.failed"]}, token=atok)
    expect("without --allow-private, a webhook to %s: refused" % url,
           res[0], 422)

# Stored by a replica that allows them, fetched by a worker that does not:
# refused as it connects, whatever the spelling.
for url in ("http://0x7f.1:9/", "http://[::ffff:127.0.0.1]:9/",
            "http://localhost:9/", "http://2130706433:9/"):
    w = ok("stored: " + url, call(A, "POST", sites, {"base_url": url},
                                  token=atok), 201)["id"]
    j = ok("a sitemap job of " + url, call(
        A, "POST", "/api/websites/%d/jobs" % w, {"source": "sitemap"},
        token=atok), 201)["id"]
    subprocess.run([WORKER], check=True, timeout=120)
    deadline = time.time() + 60
    while True:
        job = ok("poll", call(A, "GET", "/api/jobs/%d" % j, token=atok))
        if job["status"] not in ("queued", "running"):
            break
        if time.time() > deadline:
            sys.exit("FAIL: job of %s still %s" % (url, job["status"]))
        time.sleep(0.2)
    expect("the worker refuses %s: %r" % (url, job.get("error")),
           (job["status"], "loopback" in (job.get("error") or "")),
           ("failed", True))

# -- Headers ------------------------------------------------------------
CSP_API = "default-src 'none'; frame-ancestors 'none'"
for what, port, path, kw in (
        ("an API answer", A, "/api/auth/me", {"token": atok}),
        ("an API error", B, "/api/auth/me", {}),
        ("an unknown path", B, "/api/nothing", {}),
        ("a wrong method", B, "/api/projects", {"raw": b"{}"}),
        ("the description", A, "/api/openapi.json", {}),
        ("health", B, "/healthz", {})):
    m = "PATCH" if what == "a wrong method" else "GET"
    hd = call(port, m, path, **kw)[1]
    expect(what + ": nosniff", hd.get("X-Content-Type-Options"), "nosniff")
    expect(what + ": no frames", hd.get("X-Frame-Options"), "DENY")
    expect(what + ": CSP", hd.get("Content-Security-Policy"), CSP_API)
    expect(what + ": Referrer-Policy", hd.get("Referrer-Policy"),
           "no-referrer")
    expect(what + ": no HSTS over plain HTTP",
           hd.get("Strict-Transport-Security"), None)
    expect(what + ": one of each", len(hd.get_all(
        "X-Content-Type-Options") or []), 1)
hd = call(A, "GET", "/projects/1")[1]
expect("the shell: its own CSP", "frame-ancestors 'none'" in (
    hd.get("Content-Security-Policy") or ""), True)
expect("the shell: one CSP", len(hd.get_all("Content-Security-Policy")), 1)
expect("the shell: Referrer-Policy", hd.get("Referrer-Policy"), "same-origin")
expect("the shell: nosniff, once", hd.get_all("X-Content-Type-Options"),
       ["nosniff"])
expect("the shell: no frames", hd.get("X-Frame-Options"), "DENY")
hd = call(A, "GET", "/assets/index-1.js")[1]
expect("an asset: nosniff, once", hd.get_all("X-Content-Type-Options"),
       ["nosniff"])
# HSTS when a trusted proxy says the client came over TLS, and only then.
for what, port, proto, want in (
        ("from the trusted proxy, https", A, "https", "max-age=31536000"),
        ("from the trusted proxy, HTTPS", A, "HTTPS", "max-age=31536000"),
        ("from the trusted proxy, http", A, "http", None),
        ("from anyone, https", B, "https", None)):
    for path in ("/healthz", "/"):
        hd = call(port, "GET", path,
                  headers={"X-Forwarded-Proto": proto})[1]
        expect("HSTS %s at %s" % (what, path),
               hd.get("Strict-Transport-Security"), want)

alive("the end")
print("%d checks, 0 failed" % checks)
