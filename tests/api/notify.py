"""Assertions on notifications, over HTTP and SMTP: the API's port (which
allows loopback channels), a replica's that does not, a command that
runs a stoked worker in the background (warming and delivering) given
its SMTP server's port, and the database's URL.

Receivers here: a webhook's that checks the signature and its time and
records the idempotency keys; Slack's and Teams' that check their
documented shapes; an SMTP server that takes the multipart message; and
a webhook that is down until the test brings it up."""

import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

A, STRICT = int(sys.argv[1]), int(sys.argv[2])
WORKER, PGURL = sys.argv[3], sys.argv[4]
checks = 0
lock = threading.Lock()
got = {}  # receiver -> [(key, event, body)]
bad = []  # what a receiver refused, and why


def call(method, path, body=None, token=None, port=A):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    return status, (json.loads(text) if text else None)


def expect(what, got_, want):
    global checks
    checks += 1
    if got_ != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got_, want))


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def error(what, res, status, code, field=None):
    st, doc = res
    expect(what + ": status " + repr(doc), st, status)
    err = (doc or {}).get("error") or {}
    expect(what + ": code " + repr(err), err.get("code"), code)
    if field is not None:
        expect(what + ": field", err.get("field"), field)


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def until(what, fn, seconds=30):
    deadline = time.time() + seconds
    while True:
        v = fn()
        if v:
            return v
        if bad:
            sys.exit("FAIL: a receiver refused: %r" % bad)
        if time.time() > deadline:
            sys.exit("FAIL: not within %d s: %s" % (seconds, what))
        time.sleep(0.1)


def received(name, event=None):
    with lock:
        return [r for r in got.get(name, [])
                if event is None or r[1] == event]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# ------------------------------------------------------------------
# The receivers

SECRETS = {}  # path -> a webhook's secret


def check_slack(doc):
    """Slack's incoming webhook: text, and blocks of known types."""
    assert isinstance(doc.get("text"), str) and doc["text"]
    assert isinstance(doc.get("blocks"), list) and doc["blocks"]
    for b in doc["blocks"]:
        assert b["type"] in ("header", "section", "actions"), b
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text"
            assert len(b["text"]["text"]) <= 150
        if b["type"] == "section":
            assert "text" in b or "fields" in b
            for f in b.get("fields", []):
                assert f["type"] == "mrkdwn"
            assert len(b.get("fields", [])) <= 10
        if b["type"] == "actions":
            for e in b["elements"]:
                assert e["type"] == "button" and e["url"].startswith("http")
    return doc["text"]


def check_teams(doc):
    """Teams' incoming webhook: a message with one Adaptive Card."""
    assert doc["type"] == "message"
    att = doc["attachments"]
    assert len(att) == 1
    assert att[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = att[0]["content"]
    assert card["type"] == "AdaptiveCard" and card["version"]
    assert card["$schema"].startswith("http://adaptivecards.io/schemas/")
    assert card["body"][0]["type"] == "TextBlock"
    for b in card["body"]:
        assert b["type"] in ("TextBlock", "FactSet"), b
        if b["type"] == "FactSet":
            for f in b["facts"]:
                assert isinstance(f["title"], str)
                assert isinstance(f["value"], str)
    for a in card.get("actions", []):
        assert a["type"] == "Action.OpenUrl" and a["url"].startswith("http")
    return card["body"][0]["text"]


class Receiver(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers["Stoke-Delivery"]
        name = self.path.strip("/")
        try:
            assert key and self.headers["Idempotency-Key"] == key, "key"
            assert self.headers["Content-Type"] == "application/json"
            doc = json.loads(body)
            if name in SECRETS:
                sig = dict(p.split("=", 1) for p in
                           self.headers["Stoke-Signature"].split(","))
                want = hmac.new(SECRETS[name].encode(),
                                sig["t"].encode() + b"." + body,
                                hashlib.sha256).hexdigest()
                assert hmac.compare_digest(want, sig["v1"]), "signature"
                assert abs(time.time() - int(sig["t"])) < 300, "time"
                assert doc["event"] == self.headers["Stoke-Event"]
                assert key == doc["id"] + ":" + str(doc["channel_id"])
            elif name == "slack":
                check_slack(doc)
            elif name == "teams":
                check_teams(doc)
        except Exception as e:  # noqa: a refusal, recorded
            with lock:
                bad.append((name, repr(e), body[:300]))
            self.send_response(400)
            self.end_headers()
            return
        with lock:
            got.setdefault(name, []).append(
                (key, self.headers["Stoke-Event"], doc))
        self.send_response(200)
        self.end_headers()


def serve_http(port):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for one client: no TLS offered, one message a
    transaction, recorded whole."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 test ESMTP")
        rcpt, mail_from = [], None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode().strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-test")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                mail_from, rcpt = cmd, []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpt.append(cmd)
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    data += chunk
                msg = email.message_from_bytes(data[:-3],
                                               policy=email.policy.default)
                with lock:
                    got.setdefault("smtp", []).append(
                        (msg["Stoke-Delivery"], None,
                         (mail_from, rcpt, msg)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


class SmtpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


http_port = free_port()
serve_http(http_port)
smtp = SmtpServer(("127.0.0.1", 0), Smtp)
threading.Thread(target=smtp.serve_forever, daemon=True).start()
down_port = free_port()  # nobody listens there, yet

worker = subprocess.Popen([WORKER, str(smtp.server_address[1])])
try:
    # --------------------------------------------------------------
    # Accounts, a website, channels

    def user(name):
        return ok("register " + name, call("POST", "/api/auth/register", {
            "name": name, "email": name + "@shop.example",
            "password": "a long enough secret"}), 201)["token"]

    alice, bob, eve = user("alice"), user("bob"), user("eve")
    pid = ok("a project", call("POST", "/api/projects", {"name": "Shop"},
                              token=alice), 201)["id"]
    ok("bob a viewer", call("POST", "/api/projects/%d/members" % pid, {
        "email": "bob@shop.example", "role": "viewer"}, token=alice))
    wid = ok("a website", call("POST", "/api/projects/%d/websites" % pid, {
        "name": "Shop & Co", "base_url": "http://localhost/"},
        token=alice), 201)["id"]
    CH = "/api/projects/%d/channels" % pid
    H = "http://127.0.0.1:%d/" % http_port

    def channel(body, token=alice):
        return ok("channel " + body["name"], call("POST", CH, body,
                                                 token=token), 201)

    hook = channel({"kind": "webhook", "name": "hook", "url": H + "hook",
                    "events": ["job.finished", "job.failed"]})
    expect("a secret, once", len(hook["secret"]), 6 + 64)
    SECRETS["hook"] = hook["secret"]
    slack = channel({"kind": "slack", "name": "slack", "url": H + "slack",
                     "events": ["job.finished"]})
    teams = channel({"kind": "teams", "name": "teams", "url": H + "teams",
                     "events": ["job.finished"]})
    mail = channel({"kind": "email", "name": "mail",
                    "recipients": ["ops@shop.example", "cto@shop.example"],
                    "events": ["job.finished"]})
    down = channel({"kind": "webhook", "name": "down",
                    "url": "http://127.0.0.1:%d/down" % down_port,
                    "events": ["job.finished"]})
    SECRETS["down"] = down["secret"]
    anom = channel({"kind": "webhook", "name": "anomalies", "url": H + "anom",
                    "events": ["anomaly.*"],
                    "settings": {"agent_silent_minutes": 5}})
    SECRETS["anom"] = anom["secret"]
    lst = ok("list", call("GET", CH, token=bob))
    expect("listed for a viewer, no secrets",
           ([c["name"] for c in lst["channels"]],
            [c for c in lst["channels"] if "secret" in c]),
           (["hook", "slack", "teams", "mail", "down", "anomalies"], []))

    # --------------------------------------------------------------
    # A job ends: job.finished to each channel that wants it

    job = ok("a job", call("POST", "/api/websites/%d/jobs" % wid, {
        "urls": ["/product/%d" % i for i in range(1, 6)]}, token=alice), 201)
    jid = job["id"]
    for name in ("hook", "slack", "teams", "smtp"):
        until(name + " told the job finished",
              lambda: received(name), 60)
    k, ev, doc = received("hook")[0]
    expect("the webhook's event", (ev, doc["id"], k, doc["job"]["id"],
                                   doc["job"]["status"],
                                   doc["job"]["urls_total"],
                                   doc["website"]["id"]),
           ("job.finished", "job.finished/%d" % jid,
            "job.finished/%d:%d" % (jid, hook["id"]), jid, "done", 5, wid))
    expect("counts and a link", (
        doc["job"]["urls_completed"] + doc["job"]["urls_failed"],
        doc["link"], doc["job"]["duration_seconds"] >= 0,
        sum(doc["job"]["outcomes"].values())),
        (5, "http://dash.example/jobs/%d" % jid, True, 5))
    text = received("slack")[0][2]["text"]
    expect("slack's text", text, "Job %d finished: Shop & Co" % jid)
    expect("slack's button to the job",
           [e["url"] for b in received("slack")[0][2]["blocks"]
            if b["type"] == "actions" for e in b["elements"]],
           ["http://dash.example/jobs/%d" % jid])
    expect("slack's mrkdwn escaped", "Shop &amp; Co" in json.dumps(
        received("slack")[0][2]["blocks"]), True)
    card = received("teams")[0][2]["attachments"][0]["content"]
    expect("teams' title", card["body"][0]["text"],
           "Job %d finished: Shop & Co" % jid)
    mfrom, rcpt, msg = received("smtp")[0][2]
    expect("the envelope", (mfrom, sorted(rcpt)),
           ("MAIL FROM:<stoke@ops.example>",
            ["RCPT TO:<cto@shop.example>", "RCPT TO:<ops@shop.example>"]))
    expect("the headers", (msg["From"], msg["Subject"], msg["Message-ID"]),
           ("stoke@ops.example", "Job %d finished: Shop & Co" % jid,
            "<job.finished.%d.%d@stoke>" % (jid, mail["id"])))
    parts = {p.get_content_type(): p.get_content() for p in msg.walk()
             if not p.is_multipart()}
    expect("text and HTML", sorted(parts), ["text/html", "text/plain"])
    expect("the text part", ("Job %d finished" % jid in parts["text/plain"],
                             "http://dash.example/jobs/%d" % jid
                             in parts["text/plain"]), (True, True))
    expect("the HTML part", ("Shop &amp; Co" in parts["text/html"],
                             '<a href="http://dash.example/jobs/%d">' % jid
                             in parts["text/html"]), (True, True))

    # --------------------------------------------------------------
    # The test button; the receiver that is down

    DL = "/api/projects/%d/deliveries" % pid
    T = CH + "/%d/test"
    t = ok("test slack", call("POST", T % slack["id"], token=alice), 202)
    expect("a test, pending", (t["event"], t["status"], t["channel_id"]),
           ("channel.test", "pending", slack["id"]))
    until("slack's test", lambda: received("slack", "channel.test"))
    expect("the test's words", received("slack", "channel.test")[0][2][
        "text"], "Test notification from Stoke")
    error("a viewer tests", call("POST", T % slack["id"], token=bob), 403,
          "forbidden")
    tests = [ok("test down", call("POST", T % down["id"], token=alice),
                202)["idempotency_key"] for _ in range(3)]

    def down_state():
        d = ok("deliveries", call("GET", DL + "?channel=%d" % down["id"],
                                  token=bob))["deliveries"]
        return len(d) == 4 and all(x["attempts"] >= 2 and
                                   x["status"] == "pending" and
                                   x["last_error"] and x["next_attempt_at"]
                                   for x in d) and d
    d = until("the down webhook's deliveries retried", down_state)
    expect("newest first", [x["idempotency_key"] for x in d[:3]],
           tests[::-1])
    serve_http(down_port)
    want = set(tests + ["job.finished/%d:%d" % (jid, down["id"])])
    until("every delivery to the webhook once it is up",
          lambda: {r[0] for r in received("down")} >= want)
    until("each delivered", lambda: all(
        x["status"] == "delivered" and x["delivered_at"] and
        x["next_attempt_at"] is None and x["last_status"] == 200
        for x in ok("deliveries", call("GET", DL + "?channel=%d" % down["id"],
                                       token=bob))["deliveries"]))
    page = ok("a page", call("GET", DL + "?limit=2", token=bob))
    nxt = ok("the next", call("GET", DL + "?limit=2&before=%d" %
                              page["next_before"], token=bob))
    expect("pages", (len(page["deliveries"]), nxt["deliveries"][0]["id"] <
                     page["deliveries"][1]["id"]), (2, True))

    # --------------------------------------------------------------
    # An anomaly: raised once when it starts, cleared once when it ends

    sql("INSERT INTO agents (website_id, name, prefix, token_hash,"
        " last_seen_at) VALUES (%d, 'edge', 'sta_x', '\\x01',"
        " now() - interval '10 minutes')" % wid)
    until("the silent agent raised",
          lambda: received("anom", "anomaly.agent_silent"))
    time.sleep(1.5)  # a few looks more: still raised once
    raised = received("anom", "anomaly.agent_silent")
    expect("raised once", [r[2]["anomaly"]["state"] for r in raised],
           ["raised"])
    expect("its threshold", raised[0][2]["anomaly"]["threshold"], 5)
    sql("UPDATE agents SET last_seen_at = now() WHERE website_id = %d" % wid)
    until("cleared", lambda: len(received("anom")) == 2)
    time.sleep(1.5)
    expect("then cleared once", [r[2]["anomaly"]["state"]
                                 for r in received("anom")],
           ["raised", "cleared"])

    # --------------------------------------------------------------
    # The daily report: yesterday's jobs, hit ratio, slowest pages and
    # uncacheable URLs, once to each channel that wants it

    Y = "date_trunc('day', now(), 'UTC') - interval '1 day' + interval '3 hours'"
    sql("INSERT INTO cache_jobs (website_id, trigger, status, created_at)"
        " VALUES (%d, 'schedule', 'done', %s), (%d, 'schedule', 'failed', %s)"
        % (wid, Y, wid, Y))
    sql("INSERT INTO rollup_hours (website_id, hour, results, hits, answered)"
        " VALUES (%d, %s, 40, 30, 40)" % (wid, Y))
    sql("INSERT INTO rollup_slow_urls (website_id, hour, url, load_ms,"
        " recorded_at) VALUES (%d, %s, 'http://localhost/slow', 1234, %s)"
        % (wid, Y, Y))
    sql("INSERT INTO rollup_uncacheable (website_id, hour, reason, n,"
        " examples) VALUES (%d, %s, 'set_cookie', 7,"
        " '{http://localhost/cart}')" % (wid, Y))
    channel({"kind": "email", "name": "reports", "events": ["report.daily"],
             "recipients": ["boss@shop.example"]})
    rep = until("the daily report", lambda: [
        r for r in received("smtp")
        if r[2][2]["Subject"].startswith("Daily report of Shop")])
    time.sleep(1)  # a few looks more: still one
    expect("one report", len([r for r in received("smtp") if r[2][2][
        "Subject"].startswith("Daily report")]), 1)
    text = [p.get_content() for p in rep[0][2][2].walk()
            if p.get_content_type() == "text/plain"][0]
    for want in ("Shop & Co: 2 jobs (1 failed), 40 warm requests, "
                 "hit ratio 75.0 %",
                 "slow: http://localhost/slow (1234 ms)",
                 "uncacheable: set_cookie (7): http://localhost/cart",
                 "http://dash.example/projects/%d" % pid):
        expect("the report says " + want, want in text, True)

    # --------------------------------------------------------------
    # Roles, tenants, input, addresses

    error("a viewer adds one", call("POST", CH, {
        "kind": "slack", "name": "x", "url": H + "x",
        "events": ["job.failed"]}, token=bob), 403, "forbidden")
    error("a viewer changes one", call("PATCH", CH + "/%d" % slack["id"],
                                       {"name": "x"}, token=bob), 403,
          "forbidden")
    epid = ok("eve's", call("POST", "/api/projects", {"name": "Eve"},
                            token=eve), 201)["id"]
    error("another tenant's channels", call("GET", CH, token=eve), 404,
          "not_found")
    error("another tenant's deliveries", call("GET", DL, token=eve), 404,
          "not_found")
    ECH = "/api/projects/%d/channels" % epid
    for m, p, b in (("PATCH", ECH + "/%d" % hook["id"], {"name": "x"}),
                    ("DELETE", ECH + "/%d" % hook["id"], None),
                    ("POST", ECH + "/%d/test" % hook["id"], None),
                    ("PATCH", CH + "/%d" % hook["id"], {"name": "x"}),
                    ("DELETE", CH + "/%d" % hook["id"], None)):
        error("eve: %s %s" % (m, p), call(m, p, b, token=eve), 404,
              "not_found")
    expect("eve's deliveries hold none of alice's", ok(
        "eve's deliveries", call("GET", "/api/projects/%d/deliveries" % epid,
                                 token=eve))["deliveries"], [])
    error("an e-mail with a url", call("POST", CH, {
        "kind": "email", "name": "x", "url": H, "recipients": ["a@b.c"],
        "events": ["job.failed"]}, token=alice), 422, "kind_field", "url")
    error("a header in an address", call("POST", CH, {
        "kind": "email", "name": "x", "recipients": ["a@b.c\r\nBcc: x@y"],
        "events": ["job.failed"]}, token=alice), 422, "invalid_email")
    error("an event twice", call("POST", CH, {
        "kind": "slack", "name": "x", "url": H,
        "events": ["job.failed", "job.failed"]}, token=alice), 422,
        "invalid", "events")
    error("a threshold out of range", call("POST", CH, {
        "kind": "slack", "name": "x", "url": H, "events": ["anomaly.*"],
        "settings": {"hit_ratio_below": 2}}, token=alice), 422, "invalid",
        "settings")
    error("metadata, always", call("POST", CH, {
        "kind": "webhook", "name": "x", "url": "http://169.254.169.254/",
        "events": ["job.failed"]}, token=alice), 422, "forbidden_address",
        "url")
    for u in ("http://127.0.0.1:%d/hook" % http_port, "http://10.1.2.3/",
              "http://[::1]/"):
        error("private, refused: " + u, call("POST", CH, {
            "kind": "webhook", "name": "x", "url": u,
            "events": ["job.failed"]}, token=alice, port=STRICT), 422,
            "forbidden_address", "url")
    error("changed to private, refused", call(
        "PATCH", CH + "/%d" % slack["id"], {"url": "http://10.0.0.1/"},
        token=alice, port=STRICT), 422, "forbidden_address", "url")
    ok("deleted", call("DELETE", CH + "/%d" % teams["id"], token=alice), 204)
    expect("its deliveries with it", sql(
        "SELECT count(*) FROM notify_outbox WHERE channel_id = %d"
        % teams["id"]), "0")

    # At least once, and no more than that here: each key once.
    for name in ("hook", "slack", "teams", "smtp"):
        keys = [r[0] for r in received(name)]
        expect(name + ": each key once", len(keys), len(set(keys)))
    expect("nothing refused", bad, [])
finally:
    worker.terminate()
    rc = worker.wait(timeout=60)

# Its stop: what it held written back or left to its lease, nothing leaked.
expect("the worker's exit", rc, 0)
print("notify.py: %d checks" % checks)
