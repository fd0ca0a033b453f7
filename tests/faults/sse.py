"""Ten thousand idle event streams on stoked serve: its API's port, its
pid, the database's URL, its token keys and its heartbeat (seconds).

The streams are those of 10,000 users, a hundred to a project, as a
hosted control plane serving that many open dashboards would have: each
user follows their project's website (GET /api/websites/:id/events),
with a token signed here with the server's key, as the server signs
its own.  One loop reads every stream (selectors), as a browser's
EventSource would, without a thread per socket.  Meanwhile, others are
answered within a bound, heartbeats reach every stream, a job's
progress reaches the streams of its website, the server's memory per
stream stays bounded, and every stream goes when its client does."""

import base64
import hashlib
import hmac
import json
import os
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

PORT, PID, PGURL, KEYS = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3],
                          sys.argv[4])
BEAT = float(sys.argv[5])
N = int(os.environ.get("STOKE_SSE_CLIENTS", "10000"))
PER_PROJECT = 100
# Requests of others, answered meanwhile: their 99th percentile, at most
# (a loaded, sanitized build on two shared cores).
P99_BOUND = 0.5
# What the server may keep for an idle stream, at most (its connection,
# request, buffers and the stream's own state; a sanitized build's
# allocator adds its redzones and shadow).
RSS_PER_STREAM_BOUND = 32 * 1024
checks = 0


def fail(msg):
    sys.exit("FAIL: " + msg)


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def b64(data):
    if not isinstance(data, bytes):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


KID, KEY = open(KEYS).read().split()[:2]
KEY = base64.b64decode(KEY)


def token(user):
    """A token for user, as the server issues one (auth/token.c)."""
    now = int(time.time())
    head = b64({"alg": "HS256", "typ": "JWT", "kid": KID}) + "." + b64({
        "sub": str(user), "iat": now, "exp": now + 3600,
        "jti": os.urandom(16).hex()})
    sig = hmac.new(KEY, head.encode(), hashlib.sha256).digest()
    return head + "." + b64(sig)


def rss():
    with open("/proc/%d/status" % PID) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    fail("no VmRSS")


def fds():
    return len(os.listdir("/proc/%d/fd" % PID))


def get(path, tok=None, timeout=10):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (PORT, path))
    if tok is not None:
        req.add_header("Authorization", "Bearer " + tok)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def metric(name):
    st, text = get("/metrics")
    expect("/metrics", st, 200)
    for line in text.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


# -- The tenants: users, their projects and websites, one job ----------
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
N = min(N, hard - 200)
projects = (N + PER_PROJECT - 1) // PER_PROJECT
sql("INSERT INTO users (email, name) SELECT 'load' || i || '@load.example',"
    " 'load ' || i FROM generate_series(1, %d) i" % (N + 1))
sql("INSERT INTO projects (name, plan_id) SELECT 'load ' || i,"
    " (SELECT id FROM plans WHERE name = 'pro')"
    " FROM generate_series(0, %d) i" % (projects - 1))
sql("INSERT INTO websites (project_id, base_url) SELECT id,"
    " 'http://w' || id || '.load.example' FROM projects"
    " WHERE name LIKE 'load %'")
sql("INSERT INTO project_members (project_id, user_id, role)"
    " SELECT p.id, u.id, 'owner' FROM users u JOIN projects p"
    " ON p.name = 'load ' || ((u.id - 1) %% %d)"
    " WHERE u.email LIKE 'load%%' AND u.email <> 'load%d@load.example'"
    % (projects, N + 1))
pairs = [tuple(int(x) for x in line.split("|")) for line in sql(
    "SELECT u.id, w.id FROM users u JOIN project_members m ON m.user_id ="
    " u.id JOIN websites w ON w.project_id = m.project_id"
    " WHERE u.email LIKE 'load%' ORDER BY u.id").splitlines()]
expect("users with a website", len(pairs), N)
other = int(sql("SELECT id FROM users WHERE email = 'load%d@load.example'"
                % (N + 1)))
other_tok = token(other)
watched = pairs[0][1]
job = int(sql("INSERT INTO cache_jobs (website_id, trigger, status,"
              " urls_total) VALUES (%d, 'manual', 'running', 100)"
              " RETURNING id" % watched))


# -- The streams: one selector loop ------------------------------------
class Client:
    def __init__(self, user, website):
        self.user, self.website = user, website
        self.sock = None
        self.status = None
        self.head = b""
        self.tail = b""  # the end of what came, for a split line
        self.pings = 0
        self.progress = 0
        self.data = b""  # all of it, for the watched website's


sel = selectors.DefaultSelector()
clients = [Client(u, w) for u, w in pairs]
opening = 0


def open_one(c):
    global opening
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    s.sendall(("GET /api/websites/%d/events HTTP/1.1\r\nHost: x\r\n"
               "Accept: text/event-stream\r\nAuthorization: Bearer %s\r\n"
               "\r\n" % (c.website, token(c.user))).encode())
    s.setblocking(False)
    c.sock = s
    opening += 1
    sel.register(s, selectors.EVENT_READ, c)


def on_data(c, data):
    global opening
    if c.status is None:
        c.head += data
        if b"\r\n\r\n" not in c.head:
            return
        c.head, data = c.head.split(b"\r\n\r\n", 1)
        c.status = int(c.head.split(b" ", 2)[1])
        opening -= 1
        if c.status != 200:
            fail("a stream refused: %r" % c.head)
    seen = c.tail + data
    c.pings += seen.count(b": ping\n") - c.tail.count(b": ping\n")
    c.progress += (seen.count(b"event: progress\n") -
                   c.tail.count(b"event: progress\n"))
    c.tail = seen[-32:]
    if c.website == watched:
        c.data += data


def pump(seconds):
    """Reads what the streams say for a while."""
    for key, _ in sel.select(timeout=seconds):
        c = key.data
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            continue
        if not data:
            fail("stream of user %d closed by the server" % c.user)
        on_data(c, data)


base_fds, base_rss = fds(), rss()
t0 = time.time()
deadline = t0 + 90
i = 0
while i < N or opening > 0:
    if time.time() > deadline:
        fail("%d of %d streams open after 90 s" % (i - opening, N))
    # A few hundred opening at once: a browser's dashboards do not all
    # come in the same millisecond either.
    while i < N and opening < 256:
        open_one(clients[i])
        i += 1
        if i % 2000 == 0:
            print("  %d asked at %.1f s" % (i, time.time() - t0), flush=True)
    pump(0.05)
print("%d streams open in %.1f s" % (N, time.time() - t0), flush=True)
expect("streams the server counts", metric("stoke_api_sse_streams"), N)
held = rss()
per_stream = (held - base_rss) / N
print("stoked serve: %d descriptors, RSS %.1f MiB more, %.0f bytes a stream"
      % (fds() - base_fds, (held - base_rss) / 1048576, per_stream),
      flush=True)
expect("RSS per stream within %d bytes (%.0f)" % (RSS_PER_STREAM_BOUND,
                                                  per_stream),
       per_stream <= RSS_PER_STREAM_BOUND, True)

# -- Idle: heartbeats to all, others answered meanwhile ----------------
lat = []
probing = True


def probe():
    while probing:
        for path, tok in (("/healthz", None), ("/api/projects", other_tok)):
            t = time.time()
            st, _ = get(path, tok)
            lat.append(time.time() - t)
            if st != 200:
                print("others: %s answered %s" % (path, st), flush=True)
                lat.append(float("inf"))
        # Under the user's own rate limit (20 a second): this is one
        # user's traffic, not a flood.
        time.sleep(0.1)


for c in clients:
    c.pings = 0
prober = threading.Thread(target=probe)
prober.start()
end = time.time() + BEAT * 2 + 5
while time.time() < end and min(c.pings for c in clients) == 0:
    pump(0.2)
probing = False
prober.join()
quiet = [c.user for c in clients if c.pings == 0]
expect("streams with no ping within two heartbeats (%s...)" % quiet[:5],
       len(quiet), 0)
lat.sort()
p99 = lat[int(len(lat) * 0.99) - 1] if lat else float("inf")
print("others: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
    len(lat), lat[len(lat) // 2] * 1e3, p99 * 1e3, lat[-1] * 1e3),
    flush=True)
expect("others' p99 within %.1f s (%.3f)" % (P99_BOUND, p99),
       p99 <= P99_BOUND, True)

# -- A job's progress reaches its website's streams --------------------
sample = [c for c in clients if c.website == watched]
want = b'"urls_completed":42'
t = time.time()
sql("UPDATE cache_jobs SET urls_completed = 42 WHERE id = %d" % job)
end = t + 20
while time.time() < end and not all(want in c.data for c in sample):
    pump(0.1)
told = sum(1 for c in sample if want in c.data)
print("the job's progress reached %d of %d streams in %.2f s" % (
    told, len(sample), time.time() - t), flush=True)
expect("streams of the job's website told its progress", told, len(sample))
expect("streams of other websites told of it",
       sum(c.progress for c in clients if c.website != watched), 0)

# -- Gone: every stream released ----------------------------------------
t = time.time()
for c in clients:
    sel.unregister(c.sock)
    c.sock.close()
end = t + 30
while time.time() < end and (metric("stoke_api_sse_streams") > 0 or
                             fds() > base_fds + 10):
    time.sleep(0.2)
print("released in %.1f s; RSS %.1f MiB above the start" % (
    time.time() - t, (rss() - base_rss) / 1048576), flush=True)
expect("streams left", metric("stoke_api_sse_streams"), 0)
expect("the server's descriptors back", fds() <= base_fds + 10, True)
st, _ = get("/api/projects", other_tok)
expect("answering after", st, 200)
print("sse: %d checks" % checks)
