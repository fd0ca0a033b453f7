"""Visitors browsing, paced, until killed: argv the site's URL, the first
and last product they ask for, their requests a second in all.

VISITORS threads on kept connections, each asking for a product picked
at random in [FIRST, LAST] at its share of the rate, so that the
benchmark beside them runs under traffic without their requests
touching the pages it measures.  Each answer must be a 200; the first
that is not, or a connection lost, stops them all with an error."""

import http.client
import random
import sys
import threading
import time
import urllib.parse

VISITORS = 4

u = urllib.parse.urlsplit(sys.argv[1])
FIRST, LAST, RATE = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
failed = threading.Event()


def visitor(i):
    rnd = random.Random(i)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    step = VISITORS / RATE
    nxt = time.monotonic()
    try:
        while not failed.is_set():
            conn.request("GET", "/product/%d" % rnd.randint(FIRST, LAST))
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError("HTTP %d" % r.status)
            nxt += step
            time.sleep(max(0.0, nxt - time.monotonic()))
    except Exception as e:  # any: the others stop with this one
        print("visitors: %s" % e, file=sys.stderr)
        failed.set()


threads = [threading.Thread(target=visitor, args=(i,), daemon=True)
           for i in range(VISITORS)]
for t in threads:
    t.start()
failed.wait()
sys.exit(1)
