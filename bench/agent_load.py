"""Agents' batches at a control plane, as fast as it stores them: argv
the control plane's URL, a file of agent tokens (one a line, each of
its own agent: one sender each), the rows to send in all, the rows a
batch (results; each batch its own keys, its own job), the website's
host.

Each sender sends its batches one at a time, in order, as an agent does
(the next only after the last one's 200), gzip'd; the batches are made
before the clock starts, so that what is measured is the control
plane.  Prints one line: rows stored, seconds, rows a second, the
batches' p50/p99 in milliseconds, and the CPU seconds this process
spent sending them (so that it can be seen not to be the limit)."""

import gzip
import http.client
import json
import sys
import threading
import time
import urllib.parse
import uuid

URL, TOKENS, TOTAL, PER, HOST = sys.argv[1:6]
TOTAL, PER = int(TOTAL), int(PER)
u = urllib.parse.urlsplit(URL)
tokens = [t.strip() for t in open(TOKENS) if t.strip()]
nbatch = max(TOTAL // PER, len(tokens))


def key(run, seq):
    """A row key as an agent makes it: its run's 64 bits, then a
    sequence number (store/result_store.c rs_row_key)."""
    return str(uuid.UUID(int=(run << 64) | seq))


def batch(run, seq):
    now = time.time()
    job = key(run, seq * (PER + 1))
    rows = [{"key": key(run, seq * (PER + 1) + 1 + i), "job": job,
             "url": "http://%s/product/%d" % (HOST, seq * PER + i),
             "variant": "", "node": "http://10.0.0.1:6081", "status": 200,
             "load_ms": 20.0 + i % 200, "ttfb_ms": 5.0 + i % 50,
             "cache_status": "miss", "outcome": "cached", "reason": None,
             "ttl": 3600.0, "recorded_at": now - i % 60}
            for i in range(PER)]
    body = {"batch": "%016x:%d" % (run, seq), "sent_at": now,
            "jobs": [{"key": job, "trigger": "purge", "source": "bench",
                      "status": "done", "created_at": now - 60,
                      "finished_at": now, "urls_total": PER,
                      "urls_completed": PER, "urls_failed": 0,
                      "error": None}],
            "results": rows}
    return gzip.compress(json.dumps(body).encode())


# The batches, made before the clock starts: sender i sends every
# len(tokens)-th.
work = [[] for _ in tokens]
runs = [uuid.uuid4().int >> 64 for _ in tokens]
for s in range(nbatch):
    work[s % len(tokens)].append(batch(runs[s % len(tokens)], s))
times, stored, errors = [], [0], []
lock = threading.Lock()


def sender(token, batches):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    h = {"Authorization": "Bearer " + token,
         "Content-Type": "application/json", "Content-Encoding": "gzip"}
    for b in batches:
        t0 = time.monotonic()
        c.request("POST", "/api/agent/v1/batches", body=b, headers=h)
        r = c.getresponse()
        doc = json.loads(r.read())
        dt = time.monotonic() - t0
        with lock:
            if r.status != 200 or doc.get("duplicate"):
                errors.append((r.status, doc))
                return
            times.append(dt)
            stored[0] += doc["stored"]["results"]
    c.close()


threads = [threading.Thread(target=sender, args=(t, w))
           for t, w in zip(tokens, work)]
c0 = time.process_time()
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
secs = time.monotonic() - t0
cpu = time.process_time() - c0
if errors:
    sys.exit("agent_load: refused: %r" % (errors[0],))
times.sort()
print("%d %.3f %.0f %.1f %.1f %.2f" % (
    stored[0], secs, stored[0] / secs,
    times[len(times) // 2] * 1e3, times[min(len(times) - 1,
                                            (len(times) * 99) // 100)] * 1e3,
    cpu))
