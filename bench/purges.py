"""Pages purged one at a time, from one process: argv Varnish's URL,
stoked's URL (its /metrics), the number of pages, and optionally the
origin's URL and a file for the peer's times.

With the origin's URL, first the peer: each page asked of the origin
directly, on one kept connection as Varnish keeps its own, its time
written to the file (seconds, a line each).  Then each PURGE of
/product/N waits until stoke_rewarm_refreshed_total has grown by one
(polled every 20 ms, for at most 10 s), so that each loss comes only
after the last re-warm, and the latency stoked measures is one
re-warm's alone.  Exits non-zero, saying why, on any failure.  One process on kept connections: a curl and a shell
started for each purge and each poll took this machine's two cores
just when stoked was to see the purge, and its 1 ms poll came 2 to 3
ms late."""

import http.client
import sys
import time
import urllib.parse

SITE, STOKED, PAGES = sys.argv[1], sys.argv[2], int(sys.argv[3])
ORIGIN, TIMES = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else (None,
                                                                      None)
COUNTER = "stoke_rewarm_refreshed_total"


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=10)


def counted(conn):
    """The counter, summed over its labels."""
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    body = r.read().decode()
    if r.status != 200:
        sys.exit("purges: /metrics: %d" % r.status)
    n = 0
    for line in body.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name == COUNTER:
            n += int(float(line.rsplit(" ", 1)[1]))
    return n


if ORIGIN is not None:
    origin = connect(ORIGIN)
    with open(TIMES, "w") as out:
        for n in range(1, PAGES + 1):
            t0 = time.monotonic()
            origin.request("GET", "/product/%d" % n)
            r = origin.getresponse()
            r.read()
            if r.status != 200:
                sys.exit("purges: the origin's /product/%d: %d" % (
                    n, r.status))
            out.write("%.6f\n" % (time.monotonic() - t0))
    origin.close()

site, stoked = connect(SITE), connect(STOKED)
base = counted(stoked)
for n in range(1, PAGES + 1):
    site.request("PURGE", "/product/%d" % n)
    r = site.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("purges: PURGE /product/%d: %d %s" % (n, r.status, r.reason))
    deadline = time.monotonic() + 10
    while counted(stoked) < base + n:
        if time.monotonic() > deadline:
            sys.exit("purges: /product/%d not re-warmed within 10 s" % n)
        time.sleep(0.02)
