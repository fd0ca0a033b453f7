"""Assertions on analytics, VCL recommendations, plans and usage, and a
website's invalidations, over HTTP: the API's port, the Varnish node's
port, a command that drains the queue once (a stoked worker), the
database's URL (to seed rows and compute what the answers must be),
and a directory of the suite's own (for varnishd -C)."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

A, NODE = int(sys.argv[1]), int(sys.argv[2])
WORKER, PGURL, WORK = sys.argv[3], sys.argv[4], sys.argv[5]
# Half a bin of 16 a doubling (0009_analytics.sql); the bins are read
# back rounded to 0.001 ms.
ERR = 2 ** (1 / 32) - 1
checks = 0


def call(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (A, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    return status, json.loads(text) if text else None


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def near(what, got, exact):
    """A percentile read from the bins, against the exact one."""
    global checks
    checks += 1
    if exact is None or got is None:
        expect(what, got, exact)
        return
    if abs(got - exact) > ERR * exact + 0.0006:
        sys.exit("FAIL: %s: %r is not within %.2f %% of %r" %
                 (what, got, ERR * 100, exact))


def error(what, res, status, code, field=None):
    st, doc = res
    expect(what + ": status " + repr(doc), st, status)
    err = (doc or {}).get("error") or {}
    expect(what + ": code", err.get("code"), code)
    expect(what + ": a message", bool(err.get("message")), True)
    if field is not None:
        expect(what + ": field", err.get("field"), field)


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def sql(q, stdin=None):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True, input=stdin,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def user(name):
    return ok("register " + name, call("POST", "/api/auth/register", {
        "name": name, "email": name + "@shop.example",
        "password": "a long enough secret"}), 201)["token"]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def wait_done(job, token):
    deadline = time.time() + 60
    while True:
        j = ok("poll job", call("GET", "/api/jobs/%d" % job, token=token))
        if j["status"] not in ("queued", "running"):
            return j
        if time.time() > deadline:
            sys.exit("FAIL: job %d still %s" % (job, j["status"]))
        time.sleep(0.2)


alice, bob, eve = user("alice"), user("bob"), user("eve")
pid = ok("a project", call("POST", "/api/projects", {"name": "Shop"},
                          token=alice), 201)["id"]
ok("bob a viewer", call("POST", "/api/projects/%d/members" % pid, {
    "email": "bob@shop.example", "role": "viewer"}, token=alice))
wid = ok("a website", call("POST", "/api/projects/%d/websites" % pid, {
    "base_url": "http://localhost/",
    "varnish_nodes": ["http://127.0.0.1:%d" % NODE]}, token=alice), 201)["id"]
epid = ok("eve's project", call("POST", "/api/projects", {"name": "Eve's"},
                               token=eve), 201)["id"]
ewid = ok("eve's website", call("POST", "/api/projects/%d/websites" % epid, {
    "base_url": "http://127.0.0.1:1/"}, token=eve), 201)["id"]
WA = "/api/websites/%d/analytics" % wid
PA = "/api/projects/%d/analytics" % pid
DA = "/api/analytics/dashboard"
WR = "/api/websites/%d/recommendations" % wid
WI = "/api/websites/%d/invalidations" % wid

empty = ok("no results yet", call("GET", WA, token=bob))
# A day back from now, in whole hours: 25 of them, 24 on the hour.
expect("empty: a day of hours by default", (len(empty["series"]) in (24, 25),
                                            empty["totals"]["results"]),
       (True, 0))
expect("empty: no percentile", empty["totals"]["ttfb_ms"],
       {"n": 0, "p50": None, "p95": None, "p99": None})
for m in ("dcl_ms", "lcp_ms", "tti_ms"):
    expect("empty: no rendered " + m, empty["totals"][m],
           {"n": 0, "p50": None, "p95": None, "p99": None})
expect("empty: no distribution", empty["totals"]["distribution"],
       {"ttfb_ms": [], "load_ms": []})

# ------------------------------------------------------------------
# A real job: catalogue pages Varnish keeps, and the test origin's
# uncacheable ones: a session cookie (twice), no-store, a zero TTL; and
# a page that is not there.
urls = ["/product/%d" % i for i in range(1, 21)]
urls += ["/private", "/product/21?cookie=1", "/stats", "/product/22?ttl=0",
         "/nope"]
job = ok("a job", call("POST", "/api/websites/%d/jobs" % wid,
                       {"urls": urls}, token=alice), 201)["id"]
subprocess.run([WORKER], check=True, timeout=120)
expect("the job done", wait_done(job, bob)["status"], "done")
expect("the job's reasons, as recorded", sql(
    "SELECT string_agg(uncacheable_reason(reason), ' ' ORDER BY url)"
    " FROM page_results WHERE job_id = %d AND outcome = 'uncacheable'"
    % job), "set_cookie set_cookie zero_ttl no_store")

a = ok("analytics of the job", call("GET", WA, token=bob))
t = a["totals"]
want = dict(x.split("|") for x in sql(
    "SELECT outcome, count(*) FROM page_results WHERE website_id = %d"
    " GROUP BY 1" % wid).split("\n"))
expect("outcomes", {k: v for k, v in t["outcomes"].items() if v},
       {k: int(v) for k, v in want.items()})
expect("results", t["results"], len(urls))
expect("outcomes of the job", (t["outcomes"]["cached"],
                               t["outcomes"]["uncacheable"],
                               t["outcomes"]["origin_error"]), (20, 4, 1))
hits, answered = map(int, sql(
    "SELECT count(*) FILTER (WHERE cache_status = 'hit') || ' ' ||"
    " count(cache_status) FROM page_results WHERE website_id = %d"
    % wid).split())
expect("cached share's counts", (t["hits"], t["answered"]), (hits, answered))
expect("cached share", t["cached_share"], round(hits / answered, 4))
expect("by cache status", sum(t["cache_status"].values()), len(urls))
expect("the series sums to the totals", sum(
    b["results"] for b in a["series"]), t["results"])
# The distribution: the results by half a doubling of their bins, every
# one between the lowest and the highest, as the rows' own times fall.
for m in ("ttfb_ms", "load_ms"):
    want = dict(map(int, x.split()) for x in sql(
        "SELECT floor(rollup_bin(%s) / 8.0)::integer, count(*)"
        " FROM page_results WHERE website_id = %d AND %s IS NOT NULL"
        " GROUP BY 1" % (m, wid, m)).replace("|", " ").split("\n"))
    expect(m + ": distribution", [(b["from_ms"], b["to_ms"], b["n"])
                                  for b in t["distribution"][m]],
           [(round(2 ** (g / 2), 3), round(2 ** ((g + 1) / 2), 3),
             want.get(g, 0)) for g in range(min(want), max(want) + 1)])
expect("websites", a["websites"], 1)
unc = {u["reason"]: (u["requests"], u["urls"]) for u in a["uncacheable"]}
expect("uncacheable by reason", unc, {"set_cookie": (2, 2),
                                      "zero_ttl": (1, 1), "no_store": (1, 1)})
expect("examples", sorted(next(u["examples"] for u in a["uncacheable"]
                               if u["reason"] == "set_cookie")),
       ["http://localhost/private", "http://localhost/product/21?cookie=1"])
for m, col in (("ttfb_ms", "ttfb_ms"), ("load_ms", "load_ms")):
    exact = sql("SELECT count(%s) || ' ' || coalesce(array_to_string("
                "percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP"
                " (ORDER BY %s), ' '), '') FROM page_results"
                " WHERE website_id = %d" % (col, col, wid)).split()
    expect(m + ": n", t[m]["n"], int(exact[0]))
    for p, e in zip(("p50", "p95", "p99"), exact[1:]):
        near("job %s %s" % (m, p), t[m][p], float(e))

# Recommendations: the reasons found, each with its counts, and VCL
# that Varnish compiles.
def compiles(r):
    """The recommendation's VCL, as Varnish compiles it."""
    vcl = os.path.join(WORK, "rec_%s.vcl" % r["reason"])
    with open(vcl, "w") as f:
        f.write('vcl 4.1;\nbackend default { .host = "127.0.0.1"; }\n')
        f.write(r["vcl"])
    c = subprocess.run(["varnishd", "-C", "-f", vcl, "-n",
                        os.path.join(WORK, "vcc")], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    expect(r["reason"] + ": the VCL compiles: " +
           c.stderr.decode()[-400:], c.returncode, 0)


rec = ok("recommendations", call("GET", WR, token=bob))
got = {r["reason"]: (r["requests"], r["urls"]) for r in
       rec["recommendations"]}
expect("recommended for", got, {"set_cookie": (2, 2), "zero_ttl": (1, 1),
                                "no_store": (1, 1)})
expect("the most requests first", rec["recommendations"][0]["reason"],
       "set_cookie")
for r in rec["recommendations"]:
    expect(r["reason"] + ": what to do", bool(r["title"] and r["change"]),
           True)
    compiles(r)

# ------------------------------------------------------------------
# Seeded results over three hours, two days back, with known times;
# and a purge re-warmed 1 to 40 seconds after it.
base = (int(time.time()) // 3600 - 48) * 3600
# Every second one rendered, with the browser's times (0023_render.sql's
# timings): a page without a contentful paint (lcp null), and a few whose
# times are not times (a string, negative, past a day) counted nowhere.
sql("INSERT INTO page_results (job_id, website_id, url, status, load_ms,"
    " ttfb_ms, cache_status, outcome, reason, recorded_at, timings)"
    " SELECT %d, %d, 'http://localhost/s/' || (g %% 50), 200,"
    "  ((g * 7919) %% 3001) / 3.0 + 5, ((g * 104729) %% 997) * 0.61 + 0.2,"
    "  CASE WHEN g %% 4 = 0 THEN 'hit' ELSE 'miss' END,"
    "  (CASE WHEN g %% 4 = 0 THEN 'fresh' WHEN g %% 10 = 1 THEN"
    "   'uncacheable' ELSE 'cached' END)::warm_outcome,"
    "  CASE WHEN g %% 10 = 1 THEN 'passed by the VCL: never cached' END,"
    "  to_timestamp(%d) + (g %% 3) * interval '1 hour'"
    "   + (g %% 3599) * interval '1 second',"
    "  CASE WHEN g %% 2 = 0 THEN jsonb_build_object("
    "   'dcl_ms', ((g * 613) %% 2003) / 2.0 + 1,"
    "   'lcp_ms', CASE WHEN g %% 7 = 0 THEN NULL"
    "     ELSE ((g * 389) %% 4001) / 1.5 + 20 END,"
    "   'tti_ms', CASE g %% 97 WHEN 0 THEN to_jsonb('soon'::text)"
    "     WHEN 3 THEN to_jsonb(-5) WHEN 6 THEN to_jsonb(1e400)"
    "     ELSE to_jsonb(((g * 211) %% 6007) + 40.5) END) END"
    " FROM generate_series(1, 3000) g" % (job, wid, base))
sql("WITH j AS (INSERT INTO cache_jobs (website_id, trigger, source,"
    " status, created_at) VALUES (%d, 'purge', '/s/1', 'done',"
    " to_timestamp(%d)) RETURNING id)"
    " INSERT INTO page_results (job_id, website_id, url, outcome,"
    " recorded_at) SELECT j.id, %d, 'http://localhost/s/1', 'cached',"
    " to_timestamp(%d) + g * interval '1 second'"
    " FROM j, generate_series(1, 40) g" % (wid, base, wid, base))
# A URL slowest twice, in two hours, the later one stored first: its
# earliest such result is the one answered.
for t in (base + 3600 + 10, base + 10):
    sql("INSERT INTO page_results (job_id, website_id, url, status, load_ms,"
        " ttfb_ms, outcome, recorded_at) VALUES (%d, %d,"
        " 'http://localhost/tie', 200, 9999, %d, 'cached', to_timestamp(%d))"
        % (job, wid, t - base, t))
rng = "?from=%s&to=%s" % (iso(base), iso(base + 3 * 3600))
a = ok("seeded hours", call("GET", WA + rng, token=bob))
expect("the slowest, tied: its earliest result",
       (a["slowest_urls"][0]["url"], a["slowest_urls"][0]["recorded_at"][:19],
        a["slowest_urls"][0]["ttfb_ms"]),
       ("http://localhost/tie", iso(base + 10)[:19], 10))
expect("three hours", [b["t"][:19] for b in a["series"]],
       [iso(base + h * 3600)[:19] for h in range(3)])
expect("the range as asked", (a["from"][:19], a["to"][:19]),
       (iso(base)[:19], iso(base + 3 * 3600)[:19]))
per_hour = [int(x) for x in sql(
    "SELECT count(*) FROM page_results WHERE website_id = %d AND"
    " recorded_at >= to_timestamp(%d) AND recorded_at < to_timestamp(%d)"
    " GROUP BY date_trunc('hour', recorded_at) ORDER BY 1"
    % (wid, base, base + 3 * 3600)).split()]
expect("results by hour", sorted(b["results"] for b in a["series"]),
       sorted(per_hour))


# A rendered time as the rollups count it: a number from 0 to a day.
RENDER = {m: "(CASE WHEN jsonb_typeof(timings->'%s') = 'number'"
          " AND (timings->'%s')::numeric BETWEEN 0 AND 86400000"
          " THEN (timings->'%s')::numeric::real END)" % (m, m, m)
          for m in ("dcl_ms", "lcp_ms", "tti_ms")}

TIMES = {"ttfb_ms": "ttfb_ms", "load_ms": "load_ms", **RENDER}


def exact_pct(col, lo, hi, websites=None):
    r = sql("SELECT coalesce(array_to_string(percentile_disc(ARRAY[0.5,"
            " 0.95, 0.99]) WITHIN GROUP (ORDER BY %s), ' '), '')"
            " FROM page_results WHERE website_id IN (%s) AND %s IS NOT NULL"
            " AND recorded_at >= to_timestamp(%d)"
            " AND recorded_at < to_timestamp(%d)"
            % (col, ", ".join(map(str, websites or [wid])), col, lo, hi))
    return [float(x) for x in r.split()] or [None] * 3


def times_near(what, doc, lo, hi, websites=None):
    """Each bucket's percentiles and the range's, against the exact ones
    of the rows of lo to hi."""
    for b in doc["series"]:
        t = int(sql("SELECT extract(epoch FROM '%s'::timestamptz)::bigint"
                    % b["t"]))
        n = t + (86400 if doc["bucket"] == "day" else 3600)
        for m, col in TIMES.items():
            for p, e in zip(("p50", "p95", "p99"),
                            exact_pct(col, t, n, websites)):
                near("%s %s %s %s" % (what, b["t"], m, p), b[m][p], e)
    for m, col in TIMES.items():
        for p, e in zip(("p50", "p95", "p99"),
                        exact_pct(col, lo, hi, websites)):
            near("%s range %s %s" % (what, m, p), doc["totals"][m][p], e)


for h, b in enumerate(a["series"]):
    lo = base + h * 3600
    for m, col in (("ttfb_ms", "ttfb_ms"), ("load_ms", "load_ms")):
        for p, e in zip(("p50", "p95", "p99"),
                        exact_pct(col, lo, lo + 3600)):
            near("hour %d %s %s" % (h, m, p), b[m][p], e)
for m, col in (("ttfb_ms", "ttfb_ms"), ("load_ms", "load_ms")):
    for p, e in zip(("p50", "p95", "p99"),
                    exact_pct(col, base, base + 3 * 3600)):
        near("range %s %s" % (m, p), a["totals"][m][p], e)
for m, col in RENDER.items():
    for h, b in enumerate(a["series"]):
        lo = base + h * 3600
        for p, e in zip(("p50", "p95", "p99"), exact_pct(col, lo, lo + 3600)):
            near("hour %d %s %s" % (h, m, p), b[m][p], e)
    for p, e in zip(("p50", "p95", "p99"),
                    exact_pct(col, base, base + 3 * 3600)):
        near("range %s %s" % (m, p), a["totals"][m][p], e)
    expect("rendered %s: each counted" % m, a["totals"][m]["n"], int(sql(
        "SELECT count(*) FROM page_results WHERE website_id = %d AND %s"
        " IS NOT NULL AND recorded_at >= to_timestamp(%d)"
        " AND recorded_at < to_timestamp(%d)"
        % (wid, col, base, base + 3 * 3600))))
expect("no LCP where the page had none, no TTI that is not a time",
       (a["totals"]["dcl_ms"]["n"] - a["totals"]["lcp_ms"]["n"],
        a["totals"]["dcl_ms"]["n"] - a["totals"]["tti_ms"]["n"]),
       (214, 46))
rw = a["totals"]["rewarm_ms"]
expect("re-warm latency: each re-warmed result", rw["n"], 40)
for p, e in (("p50", 20000), ("p95", 38000), ("p99", 40000)):
    near("re-warm " + p, rw[p], e)
expect("re-warms in the first hour", [b["rewarm_ms"]["n"]
                                      for b in a["series"]], [40, 0, 0])

# The slowest URLs: the largest load time of each URL, slowest first.
want = sql("SELECT string_agg(url || '=' || m, ' ' ORDER BY m DESC, url)"
           " FROM (SELECT url, max(load_ms) AS m FROM page_results"
           " WHERE website_id = %d AND load_ms IS NOT NULL"
           " AND recorded_at >= to_timestamp(%d)"
           " AND recorded_at < to_timestamp(%d) GROUP BY url"
           " ORDER BY m DESC, url LIMIT 10) s"
           % (wid, base, base + 3 * 3600)).split()
expect("slowest URLs", ["%s=%g" % (s["url"], s["load_ms"])
                        for s in a["slowest_urls"]],
       ["%s=%g" % (w.split("=")[0], float(w.split("=")[1])) for w in want])
expect("slowest=3", len(ok("slowest=3", call(
    "GET", WA + rng + "&slowest=3", token=bob))["slowest_urls"]), 3)
expect("passes by reason", [(u["reason"], u["requests"], u["urls"])
                            for u in a["uncacheable"]],
       [("pass", int(sql("SELECT count(*) FROM page_results"
                         " WHERE website_id = %d AND reason LIKE 'passed%%'"
                         % wid)), 5)])

# The other reasons, seeded an hour before: each recommended, and its
# VCL compiled too.
sql("INSERT INTO page_results (job_id, website_id, url, outcome, reason,"
    " recorded_at) SELECT %d, %d, 'http://localhost/r/' || r, 'uncacheable',"
    " r, to_timestamp(%d) FROM unnest(ARRAY['Cache-Control: private',"
    " 'Cache-Control: no-cache', 'made uncacheable by the VCL"
    " (hit-for-miss)', 'something else']) r" % (job, wid, base - 3600))
rec = ok("recommendations of the seeded hours", call(
    "GET", WR + "?from=%s&to=%s" % (iso(base - 3600), iso(base + 3 * 3600)),
    token=bob))
expect("every other reason", sorted((r["reason"], r["urls"]) for r in
                                    rec["recommendations"]),
       [("hit_for_miss", 1), ("no_cache", 1), ("other", 1), ("pass", 5),
        ("private", 1)])
for r in rec["recommendations"]:
    if r["reason"] == "other":
        expect("nothing for VCL alone", r["vcl"], None)
    else:
        compiles(r)

# Days: the seeded day and today's job, 3 days in all.
d = ok("by day", call("GET", WA + "?bucket=day&from=" + iso(base),
                      token=bob))
expect("days", len(d["series"]), (int(time.time()) // 86400 -
                                   base // 86400) + 1)
day0 = base // 86400 * 86400
# Everything since the day from falls in (from is taken down to its
# day: between 00:00 and 01:00 UTC, the rows seeded an hour before base
# are the day before).
expect("days sum to everything since", d["totals"]["results"], int(sql(
    "SELECT count(*) FROM page_results WHERE website_id = %d"
    " AND recorded_at >= to_timestamp(%d)" % (wid, day0))))
times_near("by day", d, day0, (int(time.time()) // 86400 + 1) * 86400)
# A range of whole days and the hours around them, to the hour.
r = ok("hours around days", call("GET", WA + "?from=%s&to=%s" % (
    iso(base + 3600), iso(int(time.time()) // 3600 * 3600 + 3600)),
    token=bob))
for m in ("ttfb_ms", "load_ms"):
    for p, e in zip(("p50", "p95", "p99"), exact_pct(
            m, base + 3600, int(time.time()) // 3600 * 3600 + 3600)):
        near("hours around days %s %s" % (m, p), r["totals"][m][p], e)
want = sql("SELECT string_agg(url || '=' || m, ' ' ORDER BY m DESC, url)"
           " FROM (SELECT url, max(load_ms) AS m FROM page_results"
           " WHERE website_id = %d AND load_ms IS NOT NULL"
           " AND recorded_at >= to_timestamp(%d)"
           " AND recorded_at < to_timestamp(%d) GROUP BY url"
           " ORDER BY m DESC, url LIMIT 10) s"
           % (wid, base + 3600, int(time.time()) // 3600 * 3600 + 3600)).split()
expect("hours around days: slowest URLs",
       ["%s=%g" % (s["url"], s["load_ms"]) for s in r["slowest_urls"]],
       ["%s=%g" % (w.split("=")[0], float(w.split("=")[1])) for w in want])

# A COPY is counted as an INSERT is.
before = int(sql("SELECT coalesce(sum(results), 0) FROM rollup_hours"
                 " WHERE website_id = %d" % wid))
sql("COPY page_results (job_id, website_id, url, outcome) FROM STDIN",
    stdin=("%d\t%d\thttp://localhost/copied\tcached\n" % (job, wid) * 3)
    .encode())
expect("COPY rolled up", int(sql(
    "SELECT sum(results) FROM rollup_hours WHERE website_id = %d" % wid)),
    before + 3)

# ------------------------------------------------------------------
# The project and the dashboard: all of the caller's, and only those.
sql("WITH j AS (INSERT INTO cache_jobs (website_id, trigger) VALUES"
    " (%d, 'manual') RETURNING id) INSERT INTO page_results (job_id,"
    " website_id, url, outcome) SELECT j.id, %d, 'http://127.0.0.1:1/e',"
    " 'cached' FROM j, generate_series(1, 7)" % (ewid, ewid))
mine = int(sql("SELECT count(*) FROM page_results WHERE website_id = %d"
               " AND recorded_at > now() - interval '1 day'" % wid))
p = ok("project", call("GET", PA, token=bob))
expect("project: its website's", (p["websites"], p["totals"]["results"]),
       (1, mine))
dash = ok("alice's dashboard", call("GET", DA, token=alice))
expect("alice's dashboard", (dash["websites"], dash["totals"]["results"]),
       (1, mine))
dash = ok("eve's dashboard", call("GET", DA, token=eve))
expect("eve's dashboard: hers alone", (dash["websites"],
                                       dash["totals"]["results"]), (1, 7))
for path in (WA, PA, WR, WI, "/api/projects/%d/usage" % pid):
    error("eve: " + path, call("GET", path, token=eve), 404, "not_found")
error("no token", call("GET", DA), 401, "unauthorized")

# Bad ranges: 422, the field named.
for q, code, field in (
        ("?from=2026-02-30T00:00:00Z", "invalid", "from"),
        ("?from=2026-01-01", "invalid", "from"),
        ("?to=2026-01-01T25:00:00Z", "invalid", "to"),
        ("?to=2026-01-01T00:00:00+01:00x", "invalid", "to"),
        ("?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
         "invalid_range", "to"),
        ("?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
         "invalid_range", "to"),
        ("?from=2025-01-01T00:00:00Z&to=2025-06-01T00:00:00Z",
         "invalid_range", "from"),
        ("?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:01Z",
         "too_many_buckets", "bucket"),
        ("?bucket=minute", "invalid", "bucket"),
        ("?slowest=0", "invalid", "slowest")):
    for path in (WA, PA, DA):
        error(path + q, call("GET", path + q, token=bob), 422, code, field)
ok("31 days of hours", call("GET", WA + "?from=2026-01-01T00:00:00Z"
                            "&to=2026-02-01T00:00:00Z", token=bob))
ok("an offset", call("GET", WA + "?from=2026-01-01T00:30:00.25%2B05:30"
                     "&to=2026-01-02T00:00:00-01:00&bucket=day", token=bob))

# ------------------------------------------------------------------
# Plans and usage.
plans = ok("plans", call("GET", "/api/plans"))["plans"]
expect("plans", [(x["name"], x["max_websites"], x["result_retention_days"])
                 for x in plans], [("free", 1, 7), ("pro", 20, 30),
                                   ("unlimited", 2147483647, 90)])
u = ok("usage", call("GET", "/api/projects/%d/usage" % pid, token=bob))
today = int(sql("SELECT count(*) FROM page_results WHERE website_id = %d"
                " AND recorded_at >= date_trunc('day', now(), 'UTC')" % wid))
expect("usage", (u["plan"]["name"], u["websites"], u["warms_today"]["used"],
                 u["warms_today"]["max"], u["max_urls_per_job"],
                 u["result_retention_days"]),
       ("free", {"used": 1, "max": 1, "remaining": 0}, today, 10000, 1000,
        7))
seeded_day = time.strftime("%Y-%m-%d", time.gmtime(base))
expect("warms of the seeded day", [x["warms"] for x in u["warms_by_day"]
                                   if x["day"] == seeded_day],
       [int(sql("SELECT count(*) FROM page_results WHERE website_id = %d"
                " AND recorded_at >= '%s' AND recorded_at < '%s'::date + 1"
                % (wid, seeded_day, seeded_day)))])
expect("30 days, today last", (len(u["warms_by_day"]),
                               u["warms_by_day"][-1]["warms"]), (30, today))

# ------------------------------------------------------------------
# Invalidations: newest first, paged, by kind, with the re-warm job.
rj = sql("INSERT INTO cache_jobs (website_id, trigger, source, status,"
         " urls_total, urls_completed, urls_failed) VALUES (%d, 'ban', 'x',"
         " 'running', 10, 4, 1) RETURNING id" % wid)
ids = [int(sql("INSERT INTO invalidation_events (website_id, kind, soft,"
               " node, subject, objects_dropped, objects_queued, job_id)"
               " VALUES (%d, '%s', %s, 'http://n1', 'x%d', %d, %d, %s)"
               " RETURNING id" % (wid, k, s, i, i * 10, i, j)))
       for i, (k, s, j) in enumerate((("purge", "false", "NULL"),
                                      ("ban", "false", rj),
                                      ("tag", "true", "NULL"),
                                      ("purge", "true", "NULL"),
                                      ("ban", "false", "NULL")))]
sql("INSERT INTO invalidation_events (website_id, kind, subject)"
    " VALUES (%d, 'purge', 'eve')" % ewid)
seen, before = [], None
while True:
    q = "?limit=2" + ("&before=%d" % before if before else "")
    page = ok("invalidations " + q, call("GET", WI + q, token=bob))
    expect("a page of 2 at most", len(page["invalidations"]) <= 2, True)
    seen += page["invalidations"]
    before = page["next_before"]
    if before is None:
        break
expect("every one, newest first", [i["id"] for i in seen], ids[::-1])
ban = next(i for i in seen if i["id"] == ids[1])
expect("an invalidation", (ban["kind"], ban["soft"], ban["node"],
                           ban["subject"], ban["objects_dropped"],
                           ban["objects_queued"]),
       ("ban", False, "http://n1", "x1", 10, 1))
expect("its job's progress", (ban["job"]["id"], ban["job"]["status"],
                              ban["job"]["urls_total"],
                              ban["job"]["urls_completed"],
                              ban["job"]["urls_failed"]),
       (int(rj), "running", 10, 4, 1))
expect("no job", seen[0]["job"], None)
bans = ok("bans", call("GET", WI + "?kind=ban", token=bob))
expect("by kind", [i["id"] for i in bans["invalidations"]],
       [ids[4], ids[1]])
for q, field in (("?kind=expiry", "kind"), ("?limit=101", "limit"),
                 ("?before=0", "before")):
    error("invalidations " + q, call("GET", WI + q, token=bob), 422,
          "invalid", field)
a = ok("invalidations over time", call("GET", WA, token=bob))
expect("invalidations counted", a["totals"]["invalidations"],
       {"purge": 2, "ban": 2, "tag": 1, "objects_dropped": 100,
        "objects_queued": 10})
# ------------------------------------------------------------------
# Buckets of two websites' histograms (bob's dashboard, once he is in
# eve's project too): the bins of both summed, by hour and by day.
ok("bob in eve's project", call("POST", "/api/projects/%d/members" % epid, {
    "email": "bob@shop.example", "role": "viewer"}, token=eve))
sql("INSERT INTO page_results (job_id, website_id, url, status, load_ms,"
    " ttfb_ms, outcome, recorded_at)"
    " SELECT j.id, %d, 'http://127.0.0.1:1/t/' || (g %% 30), 200,"
    "  ((g * 31) %% 4001) / 7.0 + 1, ((g * 17) %% 211) * 1.3 + 0.05,"
    "  'cached', to_timestamp(%d) + (g %% 3) * interval '1 hour'"
    "   + (g %% 3593) * interval '1 second'"
    " FROM (SELECT max(id) AS id FROM cache_jobs WHERE website_id = %d) j,"
    "  generate_series(1, 2000) g" % (ewid, base, ewid))
both = [wid, ewid]
two = ok("two websites by hour", call("GET", DA + rng, token=bob))
expect("two websites", two["websites"], 2)
times_near("two websites by hour", two, base, base + 3 * 3600, both)
two = ok("two websites by day", call(
    "GET", DA + "?bucket=day&from=%s&to=%s" % (iso(day0), iso(
        (int(time.time()) // 86400 + 1) * 86400)), token=bob))
times_near("two websites by day", two, day0,
           (int(time.time()) // 86400 + 1) * 86400, both)
# Whole days: the slowest URLs from the days' rollups alone.
want = sql("SELECT string_agg(url || '=' || m, ' ' ORDER BY m DESC, url)"
           " FROM (SELECT url, max(load_ms) AS m FROM page_results"
           " WHERE website_id IN (%d, %d) AND load_ms IS NOT NULL"
           " AND recorded_at >= to_timestamp(%d) GROUP BY website_id, url"
           " ORDER BY m DESC, url LIMIT 10) s" % (wid, ewid, day0)).split()
expect("two websites by day: slowest URLs",
       ["%s=%g" % (s["url"], s["load_ms"]) for s in two["slowest_urls"]],
       ["%s=%g" % (w.split("=")[0], float(w.split("=")[1])) for w in want])
print("%d checks, 0 failed" % checks)
