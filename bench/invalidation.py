#!/usr/bin/env python3
"""Tag invalidations while visitors browse (bench/invalidation.sh).

Visitors (a few threads, paced) ask for products by a Zipf law over
the catalogue, each in one of three currencies, all along.  Meanwhile
tags of 1, 20 and 500 products are invalidated, hard then soft, each
once the one before has settled.  For each: the re-warm latency of
every object-variant dropped (stoked's debug log says it, from
Varnish's answer to the invalidation), against the physical limit
(objects / concurrency x origin time); the share of visitors' requests
for the affected pages that missed; the origin's fetches of those
pages against one per object-variant dropped.

usage: invalidation.py SITE METRICS_URL STOKED_LOG ORIGIN_LOG ORIGIN_URL
                       PRODUCTS CONCURRENCY
"""

import bisect
import http.client
import math
import random
import re
import sys
import threading
import time
import urllib.parse
import urllib.request

CURRENCIES = ("EUR", "USD", "GBP")
VISITORS = 4
VISITOR_RATE = 50.0  # requests a second, each visitor
HEADERS = {"Accept-Encoding": "gzip"}
SETTLE_MAX = 60.0
# Tags and how many products they name: the origin runs with -g 20,500.
SCENARIOS = (
    ("1", "product-1", 1),
    ("20", "group-20-0", 20),
    ("500", "group-500-0", 500),
)


def now():
    return time.time()


def metrics_of(url):
    """stoked's metrics, each name's values (every label) summed."""
    with urllib.request.urlopen(url, timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name = re.split(r"[{ ]", line, 1)[0]
        out[name] = out.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return out


def metric(url, name):
    return metrics_of(url).get(name)


def outcomes(url):
    """(object-variants the index dropped, of those re-warms stoked was
    told of, re-warms ended)."""
    v = metrics_of(url)

    def m(*names):
        return sum(v.get("stoke_rewarm_%s_total" % n, 0) for n in names)
    return (v.get("stoke_index_invalidated_total", 0),
            m("queued", "duplicates", "dropped"),
            m("refreshed", "not_warm", "recached", "failed", "uncacheable",
              "unreplayable", "dropped", "duplicates"))


def wait_for(what, fn, deadline):
    while now() < deadline:
        if fn():
            return
        time.sleep(0.02)
    sys.exit("invalidation: timed out waiting for " +
             (what() if callable(what) else what))


class Site:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port

    def conn(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=30)


def get(conn, product, currency):
    h = dict(HEADERS)
    h["Cookie"] = "sw-currency=" + currency
    conn.request("GET", "/product/%d" % product, headers=h)
    r = conn.getresponse()
    r.read()
    # "X-Varnish: 32770 8": a hit names the object's fetch too.
    return r.status, " " in (r.getheader("X-Varnish") or "")


class Visitors:
    """Zipf visitors, each request kept as (start, product, hit)."""

    def __init__(self, site, products):
        self.site = site
        w = [1.0 / k for k in range(1, products + 1)]
        acc, self.cdf = 0.0, []
        for x in w:
            acc += x
            self.cdf.append(acc)
        self.seen = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,))
                        for i in range(VISITORS)]

    def pick(self, rnd):
        return bisect.bisect_left(self.cdf, rnd.random() * self.cdf[-1]) + 1

    def run(self, i):
        rnd = random.Random(i)
        conn = self.site.conn()
        nxt = now()
        while not self.stop.is_set():
            p, c = self.pick(rnd), rnd.choice(CURRENCIES)
            t = now()
            try:
                status, hit = get(conn, p, c)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = self.site.conn()
                continue
            with self.lock:
                self.seen.append((t, p, hit))
            nxt += 1.0 / VISITOR_RATE
            d = nxt - now()
            if d > 0:
                time.sleep(d)
            else:
                nxt = now()

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()

    def between(self, t0, t1, products):
        with self.lock:
            return [(t, p, h) for (t, p, h) in self.seen
                    if t0 <= t < t1 and p in products]


def purge(site, tag, hard):
    conn = site.conn()
    conn.request("PURGE", "/", headers={"xkey-hard" if hard else "xkey": tag})
    r = conn.getresponse()
    r.read()
    conn.close()
    m = re.match(r"Invalidated (\d+) objects", r.reason or "")
    if r.status != 200 or m is None:
        sys.exit("invalidation: PURGE %s: %d %s" % (tag, r.status, r.reason))
    return int(m.group(1))


REFRESHED = re.compile(
    r"refreshed \S*?(/product/(\d+)) \[[^]]*\] ([0-9.]+) ms after its loss: "
    r"queued ([0-9.]+), origin guard ([0-9.]+), fetch ([0-9.]+) "
    r"\(first byte ([0-9.]+)\), log ([0-9.]+), origin's own ([0-9.]+)")


def refreshes(log, offset, products):
    """Latency lines for these products written after offset: each
    (latency, queued, guard, fetch, first byte, log, origin's own)."""
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    out = []
    for m in REFRESHED.finditer(text):
        if int(m.group(2)) in products:
            out.append(tuple(float(m.group(i)) for i in range(3, 10)))
    return out


def origin_fetches(log, t0, t1, products):
    n = 0
    with open(log) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or not t0 <= float(parts[0]) < t1:
                continue
            m = re.match(r"/product/(\d+)$", parts[1])
            if m and int(m.group(1)) in products:
                n += 1
    return n


def quantile(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(math.ceil(q * len(v))) - 1)] if v else 0.0


def figure(key, label, value, unit, peer, peer_value, ratio, goal, met):
    print("FIGURE\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s" % (
        key, label, value, unit, peer, peer_value, ratio, goal, met))


def main():
    (site_url, metrics, stoked_log, origin_log, origin_url, products,
     conc) = sys.argv[1:8]
    products, conc = int(products), int(conc)
    site = Site(site_url)

    # The origin's own time, asked directly: the limit's unit.
    o = Site(origin_url).conn()
    times = []
    for p in range(1, 41):
        t = now()
        get(o, p, "EUR")
        times.append(now() - t)
    origin_ms = quantile(times, 0.5) * 1e3

    # Every product in every currency cached, and stoked knowing it.
    print("invalidation: caching %d products x %d currencies ..." %
          (products, len(CURRENCIES)), flush=True)
    todo = [(p, c) for p in range(1, products + 1) for c in CURRENCIES]

    def fill(part):
        conn = site.conn()
        for p, c in part:
            get(conn, p, c)
    ts = [threading.Thread(target=fill, args=(todo[i::16],))
          for i in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    want = products * len(CURRENCIES)
    wait_for("the index", lambda: (metric(metrics, "stoke_index_objects")
                                   or 0) >= want, now() + 60)

    visitors = Visitors(site, products)
    visitors.start()
    time.sleep(2)  # visitors' traffic established: a steady state
    results = []
    try:
        for size, tag, nprod in SCENARIOS:
            for hard in (True, False):
                results.append(scenario(site, metrics, stoked_log,
                                        origin_log, visitors, size, tag,
                                        nprod, hard, conc, origin_ms))
    finally:
        visitors.finish()
    with visitors.lock:
        n = len(visitors.seen)
    print("  visitors: %d threads, %d requests in all, Zipf over %d "
          "products x %d currencies" % (VISITORS, n, products,
                                          len(CURRENCIES)))
    print("  origin asked directly: p50 %.1f ms; allowed concurrency %d"
          % (origin_ms, conc))
    for r in results:
        report(r)


def scenario(site, metrics, stoked_log, origin_log, visitors, size, tag,
             nprod, hard, conc, origin_ms):
    products = set(range(1, nprod + 1))
    before = outcomes(metrics)
    m0 = metrics_of(metrics)
    backoffs = m0.get("stoke_origin_backoffs_total", 0)
    skipped0 = m0.get("stoke_rewarm_recached_total", 0)
    with open(stoked_log, "rb") as f:
        offset = f.seek(0, 2)
    t0 = now()
    gone = purge(site, tag, hard)

    # Varnish's count holds stale copies a soft purge left; the index
    # counts object-variants, each one re-warm.
    def settled():
        dropped, seen, ended = (a - b for a, b in
                                zip(outcomes(metrics), before))
        return dropped > 0 and seen >= dropped and ended >= seen and \
            metric(metrics, "stoke_rewarm_queue_length") == 0
    wait_for(lambda: "the re-warm of %s (Varnish: %d gone; index "
             "dropped, told of, ended: %s)" % (
                 tag, gone,
                 [a - b for a, b in zip(outcomes(metrics), before)]),
             settled, t0 + SETTLE_MAX)
    t1 = now()
    # Visitors a while after, for the share of misses 1 s after.
    time.sleep(max(0.0, t0 + 3.0 - now()) + 0.5)
    objects = int(outcomes(metrics)[0] - before[0])
    g = metrics_of(metrics)
    guard = (g.get("stoke_origin_limit", 0),
             g.get("stoke_origin_backoffs_total", 0) - backoffs)
    skipped = int(g.get("stoke_rewarm_recached_total", 0) - skipped0)
    lat = refreshes(stoked_log, offset, products)
    early = visitors.between(t0, t0 + 1.0, products)
    late = visitors.between(t0 + 1.0, t0 + 3.0, products)
    return dict(size=size, tag=tag, hard=hard, gone=objects, conc=conc,
                varnish_gone=gone, guard=guard, skipped=skipped,
                origin_ms=origin_ms, took=(t1 - t0) * 1e3, lat=lat,
                early=early, late=late,
                fetches=origin_fetches(origin_log, t0, now(), products))


def report(r):
    how = "hard" if r["hard"] else "soft"
    n, conc, o = r["gone"], r["conc"], r["origin_ms"]
    total = [x[0] for x in r["lat"]]
    # The q-th object cannot be back before its turn at the origin.
    lim50 = math.ceil(max(1, n) * 0.5 / conc) * o
    lim99 = math.ceil(max(1, n) * 0.99 / conc) * o
    p50, p99 = quantile(total, 0.5), quantile(total, 0.99)
    def share(v):
        return 100.0 * sum(1 for x in v if not x[2]) / len(v) if v else 0.0
    early, late = share(r["early"]), share(r["late"])
    print("%s purge of %s (%s products): %d object-variants dropped "
          "(Varnish: %d objects), re-warmed %d in %.0f ms, %d cached "
          "again by others first" % (
              how, r["tag"], r["size"], n, r["varnish_gone"], len(total),
              r["took"], r["skipped"]))
    print("  re-warm latency: p50 %.1f ms (limit %.1f, over %+.1f)  "
          "p99 %.1f ms (limit %.1f, over %+.1f)" % (
              p50, lim50, p50 - lim50, p99, lim99, p99 - lim99))
    if r["lat"]:
        ph = list(zip(*r["lat"]))
        print("  where the time went, p50/p99 ms: queued %.1f/%.1f, "
              "origin guard %.1f/%.1f, fetch %.1f/%.1f, log %.1f/%.1f" % (
                  quantile(ph[1], .5), quantile(ph[1], .99),
                  quantile(ph[2], .5), quantile(ph[2], .99),
                  quantile(ph[3], .5), quantile(ph[3], .99),
                  quantile(ph[5], .5), quantile(ph[5], .99)))
    print("  origin guard: limit %.1f after, %d backoffs during" %
          r["guard"])
    print("  visitors on those pages missing: %.1f%% of %d in the first "
          "second, %.1f%% of %d in the two after" % (
              early, len(r["early"]), late, len(r["late"])))
    print("  origin fetches of those pages: %d, against %d dropped" % (
        r["fetches"], n))
    k = "inval_%s_%s" % (how, r["size"])
    label = "%s tag invalidation of %s products under visitors" % (
        how, r["size"])
    figure(k + "_p50_over", label + ": re-warm p50 over the limit",
           "%.1f" % (p50 - lim50), "ms", "limit", "%.1f" % lim50, "-",
           "<= 20 ms over", "yes" if p50 - lim50 <= 20 else "no")
    figure(k + "_p99_over", label + ": re-warm p99 over the limit",
           "%.1f" % (p99 - lim99), "ms", "limit", "%.1f" % lim99, "-",
           "<= 20 ms over", "yes" if p99 - lim99 <= 20 else "no")
    # Only a limit under a second leaves nothing to miss a second after.
    reach = lim99 + 20 < 1000
    figure(k + "_miss_after_1s",
           label + ": visitors' misses on them 1-3 s after",
           "%.1f" % late, "%", "limit", "-", "-",
           "0 %" if reach else "0 % (limit over 1 s: -)",
           ("yes" if late == 0 else "no") if reach else "-")
    figure(k + "_origin_fetches",
           label + ": origin fetches per object-variant dropped",
           r["fetches"], "fetches", "dropped", n,
           "%.2f" % (r["fetches"] / n if n else 0), "1.00x",
           "yes" if r["fetches"] <= n else "no")


if __name__ == "__main__":
    main()
