"""Slowloris and idle clients against stoked serve: its API's port and
its pid.  It runs with --client-timeout 3."""

import os
import resource
import socket
import sys
import time
import urllib.request

PORT, PID = int(sys.argv[1]), int(sys.argv[2])
TIMEOUT = 3
checks = 0


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def fds():
    return len(os.listdir("/proc/%d/fd" % PID))


def answered_within(bound):
    """A request of someone else's: answered, and within bound s."""
    t = time.time()
    with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % PORT,
                                timeout=bound) as r:
        expect("/healthz", r.status, 200)
    return time.time() - t


def connect(n, first):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        if first:
            s.sendall(first)
        socks.append(s)
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
most, end = 0, time.time() + TIMEOUT
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
print("clients: %d checks" % checks)
