"""Assertions on the tenants' API's limits, over HTTP, against two
stoked serve replicas sharing one database (ports in argv), both with
--rate-user 1 --rate-user-burst 5, and a third behind a load balancer
(--trusted-proxy 127.0.0.1/32: the test is the balancer)."""

import json
import re
import sys
import time
import urllib.error
import urllib.request

A, B, C = (int(p) for p in sys.argv[1:4])
PW = "correct horse battery staple"
checks = 0


def call(port, method, path, body=None, token=None, xff=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    if xff is not None:
        req.add_header("X-Forwarded-For", xff)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, headers, text = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, headers, text = e.code, e.headers, e.read()
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = text.decode()
    return status, headers, doc


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[2]), res[0], status)
    return res[2]


def limited(what, res, most):
    """429, code rate_limited, Retry-After whole seconds from 1 to most."""
    st, headers, doc = res
    expect(what + ": status " + repr(doc), st, 429)
    expect(what + ": code", ((doc or {}).get("error") or {}).get("code"),
           "rate_limited")
    ra = headers.get("Retry-After") or ""
    expect(what + ": Retry-After " + ra,
           ra.isdigit() and 1 <= int(ra) <= most, True)


def register(port, name, email, status=201):
    return ok("register " + email, call(port, "POST", "/api/auth/register", {
        "name": name, "email": email, "password": PW}),
        status)


def login(port, email, password, xff=None):
    return call(port, "POST", "/api/auth/login",
                {"email": email, "password": password}, xff=xff)


# Three accounts: sign-ups 1 to 3 of this address.
register(A, "victim", "victim@shop.example")
other = register(B, "other", "other@shop.example")
busy = register(A, "busy", "busy@shop.example")

# The e-mail's limit: 10 failures in a row, on A, each a 401 ...
for i in range(10):
    expect("wrong password %d" % i,
           login(A, "victim@shop.example", "wrong %d" % i)[0], 401)
# ... then the e-mail is locked, on B too, whatever its case, and the
# right password does not get in (checked before it is even verified).
limited("B after the lockout", login(B, "Victim@Shop.example", "wrong"), 900)
limited("the right password on B",
        login(B, "victim@shop.example", PW), 900)
limited("the right password on A",
        login(A, "victim@shop.example", PW), 900)

# The e-mail's lock is not the address's: another account logs in from
# the same address (10 failures of 20).
ok("another e-mail, same address",
   login(B, "other@shop.example", PW))

# The address's limit: 10 more failures, each on another e-mail (none
# reaches its own limit), on B this time: 20 for the address ...
for i in range(10):
    expect("nobody %d" % i,
           login(B, "nobody%d@shop.example" % i, "guess")[0], 401)
# ... and then the address is locked for every e-mail, on both.
limited("the address, on A",
        login(A, "other@shop.example", PW), 900)
limited("the address, on B",
        login(B, "busy@shop.example", PW), 900)

# Behind the balancer: the client is the one it names, and the lock is
# that client's, not the balancer's ...
ok("another client behind the balancer",
   login(C, "other@shop.example", PW, xff="203.0.113.9"))
ok("a client's own claim is not believed past the balancer's",
   login(C, "other@shop.example", PW, xff="127.0.0.1, 203.0.113.9"))
limited("the balancer itself, locked",
        login(C, "other@shop.example", PW), 900)
# ... and where nobody is trusted, the header is nobody's word.
limited("the header, to a replica that trusts no one",
        login(A, "other@shop.example", PW, xff="203.0.113.9"), 900)
for i in range(20):
    expect("guessing from behind the balancer %d" % i,
           login(C, "guess%d@shop.example" % i, "guess",
                 xff="198.51.100.7")[0], 401)
limited("that client, locked",
        login(C, "other@shop.example", PW, xff="198.51.100.7"), 900)
limited("that client, claiming to be someone else",
        login(C, "other@shop.example", PW, xff="203.0.113.9, 198.51.100.7"),
        900)
ok("the others behind the balancer, not",
   login(C, "other@shop.example", PW, xff="203.0.113.9"))

# Sign-ups: 10 an hour per address; 3 made, 7 more, then refused.
for i in range(7):
    register(A if i % 2 else B, "n%d" % i, "new%d@shop.example" % i)
limited("the 11th sign-up",
        call(B, "POST", "/api/auth/register", {
            "name": "late", "email": "late@shop.example",
            "password": PW}), 3600)

# Each user's rate on a replica: a burst of 5, then 1 a second.
tok = busy["token"]
codes = [call(A, "GET", "/api/auth/me", token=tok)[0] for _ in range(8)]
expect("a burst of 5, then refused", codes[:5], [200] * 5)
expect("past the burst", 429 in codes[5:], True)
limited("past the burst", call(A, "GET", "/api/auth/me", token=tok), 2)
# Another user is not held back by this one.
ok("another user", call(A, "GET", "/api/auth/me", token=other["token"]))
# Nor is the same user on the other replica (per replica, said so).
ok("the other replica", call(B, "GET", "/api/auth/me", token=tok))


def metrics(port):
    st, _, text = call(port, "GET", "/metrics")
    expect("metrics", st, 200)
    return text


def sample(text, line):
    """The value of the sample whose name and labels are line."""
    m = re.search("^" + re.escape(line) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


ma = metrics(A)
L = 'route="/api/auth/login",method="POST"'
expect("A's login 401s", sample(
    ma, 'stoke_api_requests_total{%s,status="401"}' % L), 10.0)
expect("A's login 429s", sample(
    ma, 'stoke_api_requests_total{%s,status="429"}' % L), 3.0)
expect("the histogram's type",
       "# TYPE stoke_api_request_duration_seconds histogram" in ma, True)
expect("the histogram's +Inf bucket: every login on A", sample(
    ma, 'stoke_api_request_duration_seconds_bucket{%s,le="+Inf"}' % L), 13.0)
expect("the histogram's count", sample(
    ma, 'stoke_api_request_duration_seconds_count{%s}' % L), 13.0)
expect("a login takes a while (argon2id)", sample(
    ma, 'stoke_api_request_duration_seconds_sum{%s}' % L) > 0, True)
expect("A's failed logins", sample(ma, "stoke_api_logins_failed_total"), 10.0)
expect("A locked the e-mail", sample(
    ma, 'stoke_api_lockouts_total{limit="login_email"}'), 1.0)
expect("the user's 429s on A", sample(
    ma, 'stoke_api_rate_limited_total{limit="user"}') >= 2, True)
# Read on a timer (every 5 s), not while scraping: wait for a read.
for _ in range(60):
    mq = metrics(A)
    if sample(mq, "stoke_queue_depth") is not None:
        break
    time.sleep(0.25)
expect("the queue's depth", sample(mq, "stoke_queue_depth"), 0.0)
expect("jobs queued", sample(mq, 'stoke_jobs{status="queued"}'), 0.0)
expect("unmatched paths", call(A, "GET", "/api/nowhere")[0], 404)
expect("an unmatched path, counted", sample(
    metrics(A), 'stoke_api_requests_total{route="unmatched",method="GET",'
    'status="404"}'), 1.0)

mb = metrics(B)
expect("B's failed logins", sample(mb, "stoke_api_logins_failed_total"), 10.0)
expect("B locked the address", sample(
    mb, 'stoke_api_lockouts_total{limit="login_address"}'), 1.0)
expect("B refused logins", sample(
    mb, 'stoke_api_rate_limited_total{limit="login"}'), 3.0)
expect("B refused the sign-up", sample(
    mb, 'stoke_api_rate_limited_total{limit="register"}'), 1.0)

print("limits.py: %d checks passed" % checks)
