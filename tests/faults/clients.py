"""Slowloris and idle clients against stoked serve: its API's port and
its pid (it runs with --client-timeout 3); then against a replica with
--max-connections 40: its API's port, its /metrics port and its pid."""

import json
import os
import resource
import socket
import sys
import time
import urllib.request

PORT, PID = int(sys.argv[1]), int(sys.argv[2])
LPORT, LMPORT, LPID = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
LIMIT = 40
TIMEOUT = 3
checks = 0


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def fds(pid=PID):
    return len(os.listdir("/proc/%d/fd" % pid))


def answered_within(bound):
    """A request of someone else's: answered, and within bound s."""
    t = time.time()
    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % PORT,
                                timeout=bound) as r:
        expect("/healthz", r.status, 200)
    return time.time() - t


most = 0


def connect(n, first, port=PORT):
    """n clients; the server's descriptors are sampled meanwhile, since
    on a loaded machine the first may be cut before the last connect."""
    global most
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if first:
            s.sendall(first)
        socks.append(s)
        if port == PORT and i % 50 == 49:
            most = max(most, fds())
    return socks


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
N = min(2000, (hard - 100) // 2)
base = fds()

# Half a request each, the rest never sent; idle connections that sent
# nothing; and connections that send a header's byte now and then.
slow = connect(N, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ")
idle = connect(N // 2, None)
drip = connect(50, b"GET /healthz HTTP/1.1\r\n")
print("%d slow, %d idle, %d dripping clients" % (len(slow), len(idle),
                                                 len(drip)), flush=True)
# The kernel's backlog holds them until the loop accepts them: the most
# it held at once, until the timeout starts cutting them.
end = time.time() + TIMEOUT
while time.time() < end:
    most = max(most, fds())
print("stoked serve held %d descriptors at most" % most, flush=True)
expect("the server held many of them at once", most >= base + N // 2, True)
worst = 0.0
end = time.time() + TIMEOUT + 2
while time.time() < end:
    worst = max(worst, answered_within(2))
    for s in drip:
        try:
            s.sendall(b"X")
        except OSError:
            pass
    time.sleep(0.2)
print("others answered within %.3f s" % worst, flush=True)


def closed(s):
    s.settimeout(0.5)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


# Silent past the timeout: cut.  (A byte now and then is not silence;
# those are cut by the headers' size limit, not waited for here.)
deadline = time.time() + TIMEOUT + 15
left = slow + idle
while left and time.time() < deadline:
    left = [s for s in left if not closed(s)]
expect("silent clients still open after the timeout", len(left), 0)
for s in slow + idle + drip:
    s.close()
deadline = time.time() + 15
while fds() > base + 10 and time.time() < deadline:
    time.sleep(0.2)
expect("the server's descriptors back", fds() <= base + 10, True)
answered_within(2)


# -- A replica with --max-connections 40 ------------------------------
def metric(name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % LMPORT,
                                timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def until(what, fn, seconds=15):
    deadline = time.time() + seconds
    while not fn():
        if time.time() > deadline:
            sys.exit("FAIL: not within %d s: %s" % (seconds, what))
        time.sleep(0.05)


def healthz(port):
    """The answer to a /healthz: its status and body, or the error."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while True:
            got = s.recv(65536)
            if not got:
                break
            data += got
    except OSError as e:
        return None, repr(e)
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]) if head else None, body


held = []
for _ in range(LIMIT):
    held.append(socket.create_connection(("127.0.0.1", LPORT), timeout=5))
until("the replica counts the 40 held",
      lambda: metric("stoke_api_connections") >= LIMIT)
# Newcomers: answered 503 in the API's error shape and closed at once,
# whether they said nothing yet or sent their request.
worst = 0.0
for i in range(20):
    s = socket.create_connection(("127.0.0.1", LPORT), timeout=5)
    t = time.time()
    if i % 2:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    try:
        while True:
            got = s.recv(65536)
            if not got:
                break
            data += got
    except ConnectionResetError:
        pass
    worst = max(worst, time.time() - t)
    s.close()
    if i % 2 == 0 or data:
        head, _, body = data.partition(b"\r\n\r\n")
        expect("a newcomer past the limit: status", head.split(b" ", 2)[1],
               b"503")
        err = json.loads(body)["error"]
        expect("its code", err["code"], "too_many_connections")
        expect("a message", bool(err["message"]), True)
        expect("when to come back", b"Retry-After: 1" in head, True)
print("20 newcomers past the limit refused within %.3f s" % worst,
      flush=True)
expect("refused at once", worst < 1.0, True)
expect("refusals counted", metric("stoke_api_connections_refused_total"),
       20)
for s in held:
    s.close()
# Answered again once they go.
until("answered again", lambda: healthz(LPORT)[0] == 200)
until("the held connections counted out",
      lambda: metric("stoke_api_connections") <= 2)

# No descriptor left at all (the open-file limit lowered under the
# running replica, below its --max-connections): newcomers wait in the
# kernel's queue, the listener pauses rather than retries at once, and
# all comes back once descriptors do.
base = fds(LPID)
lsoft, lhard = resource.prlimit(LPID, resource.RLIMIT_NOFILE)
resource.prlimit(LPID, resource.RLIMIT_NOFILE, (base + 5, lhard))


def cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")


flood = connect(30, None, LPORT)
until("the replica out of descriptors", lambda: fds(LPID) >= base + 5)
c0 = cpu(LPID)
time.sleep(2)
spent = cpu(LPID) - c0
print("out of descriptors: %.2f s of CPU in 2 s" % spent, flush=True)
expect("no spinning on accept() (%.2f s of CPU in 2 s)" % spent,
       spent < 0.5, True)
for s in flood:
    s.close()
resource.prlimit(LPID, resource.RLIMIT_NOFILE, (lsoft, lhard))
until("answered once descriptors are back",
      lambda: healthz(LPORT)[0] == 200)
print("clients: %d checks" % checks)
