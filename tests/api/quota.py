"""Assertions on the plans' quotas, over HTTP and in the database: the
API's port, the Varnish node's port, the origin's port, a command that
runs a stoked worker named by its argument, and the database's URL.

A plan of small numbers (2 websites, 50 URLs a job, 70 warm requests a
day, a concurrency of 3, results kept 2 days) makes each limit easy to
reach; the project of the test is put on it under the API."""

import atexit
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

A, NODE, ORIGIN = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
WORKER, PGURL = sys.argv[4], sys.argv[5]
checks = 0
workers = {}


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
            status, text, hdrs = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, text, hdrs = e.code, e.read(), e.headers
    return status, json.loads(text) if text else None, hdrs


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def refused(what, res, status, quota, limit, used, field=None):
    """A plan's refusal: its status, and the error saying the limit."""
    st, doc, hdrs = res
    expect(what + ": status " + repr(doc), st, status)
    err = (doc or {}).get("error") or {}
    expect(what + ": the error", (err.get("code"), err.get("quota"),
                                  err.get("limit"), err.get("used"),
                                  err.get("plan"), err.get("field")),
           ("plan_limit", quota, limit, used, "tiny", field))
    expect(what + ": the message names the limit",
           str(limit) in err.get("message", ""), True)
    return hdrs


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def until(what, fn, seconds=60, every=0.05):
    deadline = time.time() + seconds
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            sys.exit("FAIL: not within %d s: %s" % (seconds, what))
        time.sleep(every)


def start(name):
    workers[name] = subprocess.Popen([WORKER, name])


def stop(name, sig=signal.SIGTERM):
    p = workers.pop(name)
    p.send_signal(sig)
    p.wait(timeout=60)


@atexit.register
def stop_all():
    for p in workers.values():
        p.kill()


def user(name):
    return ok("register " + name, call("POST", "/api/auth/register", {
        "name": name, "email": name + "@shop.example",
        "password": "a long enough secret"}), 201)["token"]


def job_done(jid, token):
    j = ok("poll job", call("GET", "/api/jobs/%d" % jid, token=token))
    return j if j["status"] not in ("queued", "running") else None


def today_warms(project):
    return int(sql("SELECT coalesce((SELECT warms FROM usage_daily"
                   " WHERE project_id = %d AND day = (now() AT TIME ZONE"
                   " 'UTC')::date), 0)" % project))


def usage(project, token):
    return ok("usage", call("GET", "/api/projects/%d/usage" % project,
                            token=token))


def origin_inflight_max():
    with urllib.request.urlopen("http://127.0.0.1:%d/stats" % ORIGIN) as r:
        body = r.read().decode()
    return int([ln for ln in body.splitlines()
                if ln.startswith("inflight_max ")][0].split()[1])


alice, bob = user("alice"), user("bob")
pid = ok("a project", call("POST", "/api/projects", {"name": "Shop"},
                          token=alice), 201)["id"]
sql("INSERT INTO plans (name, max_websites, max_urls_per_job,"
    " max_warms_per_day, max_concurrency, result_retention)"
    " VALUES ('tiny', 2, 50, 70, 3, '2 days')")
sql("UPDATE projects SET plan_id = (SELECT id FROM plans"
    " WHERE name = 'tiny') WHERE id = %d" % pid)
WS = "/api/projects/%d/websites" % pid
node = ["http://127.0.0.1:%d" % NODE]

# Websites and their concurrency.
w1 = ok("a website", call("POST", WS, {"base_url": "http://localhost/",
                                       "varnish_nodes": node},
                          token=alice), 201)
expect("a concurrency not given: the plan's, under 8", w1["concurrency"], 3)
refused("a concurrency over the plan's", call("POST", WS, {
    "base_url": "http://localhost:8081/", "concurrency": 4}, token=alice),
    402, "concurrency", 3, 4, "concurrency")
w2 = ok("a second website", call("POST", WS, {
    "base_url": "http://localhost:8081/", "concurrency": 2}, token=alice),
    201)
refused("a concurrency raised over the plan's", call(
    "PUT", "/api/websites/%d" % w2["id"], {"concurrency": 5}, token=alice),
    402, "concurrency", 3, 5, "concurrency")
expect("raised to the plan's", ok("raised", call(
    "PUT", "/api/websites/%d" % w2["id"], {"concurrency": 3},
    token=alice))["concurrency"], 3)
refused("a third website", call("POST", WS, {
    "base_url": "http://localhost:8082/"}, token=alice), 402, "websites",
    2, 2)
expect("no third website", sql(
    "SELECT count(*) FROM websites WHERE project_id = %d" % pid), "2")

# URLs in a job.
jobs = "/api/websites/%d/jobs" % w1["id"]
refused("URLs over the plan's", call("POST", jobs, {"urls": [
    "/product/%d" % i for i in range(1, 52)]}, token=alice),
    402, "urls_per_job", 50, 51, "urls")

u = usage(pid, alice)
expect("usage: the limits", (
    u["plan"]["name"], u["plan"]["max_concurrency"], u["websites"],
    u["concurrency"], u["max_urls_per_job"], u["result_retention_days"],
    {k: u["warms_today"][k] for k in ("used", "max", "queued",
                                       "remaining")}),
    ("tiny", 3, {"used": 2, "max": 2, "remaining": 0},
     {"used": 0, "max": 3, "remaining": 3}, 50, 2,
     {"used": 0, "max": 70, "queued": 0, "remaining": 70}))
expect("usage: resets within a day",
       0 < u["warms_today"]["resets_in"] <= 86400, True)

# The pages' ESI fragment, in cache before anything is counted: the
# origin then sees warm requests only.
req = urllib.request.Request("http://127.0.0.1:%d/esi/header" % NODE,
                             headers={"Host": "localhost"})
urllib.request.urlopen(req, timeout=30).read()

# Two workers on one job, the concurrency held over both; one killed
# while it holds tasks, another started: every URL counted once.
N = 40
job1 = ok("a job", call("POST", jobs, {"urls": [
    "/product/%d" % i for i in range(1, N + 1)]}, token=alice), 201)
expect("not cut", (job1["urls_total"], job1["notes"]), (N, None))
start("wa")
start("wb")
most, killed = 0, False
deadline = time.time() + 120
while not job_done(job1["id"], alice):
    if time.time() > deadline:
        sys.exit("FAIL: job 1 did not end")
    leased = int(sql("SELECT coalesce(sum(warms), 0) FROM leased_warms"
                     " WHERE project_id = %d" % pid))
    most = max(most, leased)
    if not killed and int(sql(
            "SELECT count(*) FROM warm_tasks WHERE job_id = %d AND"
            " state = 'leased' AND lease_owner = 'wa'" % job1["id"])) > 0 \
            and int(sql("SELECT count(*) FROM warm_tasks WHERE job_id = %d"
                        " AND state = 'done'" % job1["id"])) >= 5:
        stop("wa", signal.SIGKILL)
        start("wc")
        killed = True
expect("a worker was killed mid-job", killed, True)
expect("warm requests leased at once: the plan's at most, and more than "
       "one", 2 <= most <= 3, True)
expect("the origin: at most the plan's concurrency at once",
       origin_inflight_max() <= 3, True)
done = job_done(job1["id"], alice)
expect("job 1 done, each URL once", (
    done["status"], done["urls_completed"] + done["urls_failed"]),
    ("done", N))
expect("one result a URL", sql(
    "SELECT count(*) || ' ' || count(DISTINCT url) FROM page_results"
    " WHERE job_id = %d" % job1["id"]), "%d %d" % (N, N))
expect("both workers warmed", int(sql(
    "SELECT count(DISTINCT lease_owner) FROM warm_tasks"
    " WHERE job_id = %d AND state = 'done'" % job1["id"])) >= 2, True)
expect("the day's count: neither lost nor doubled", today_warms(pid), N)

# The rest of the day: a job cut to it, the next refused until
# midnight UTC.
job2 = ok("a job past the day", call("POST", jobs, {"urls": [
    "/product/%d" % i for i in range(101, 151)]}, token=alice), 201)
expect("cut to the day's rest", job2["urls_total"], 70 - N)
expect("its notes say so", "cut to 30 of 50 URLs" in (job2["notes"] or ""),
       True)
u = usage(pid, alice)["warms_today"]
expect("usage: made and queued fill the day",
       (u["used"] + u["queued"], u["remaining"]), (70, 0))
hdrs = refused("a job with no warm left today", call("POST", jobs, {
    "urls": ["/product/300"]}, token=alice), 429, "warms_per_day", 70, 70)
midnight = 86400 - int(time.time()) % 86400
after = int(hdrs["Retry-After"])
expect("Retry-After: until the next UTC day (%d, %d)" % (after, midnight),
       0 < after <= 86400 and abs(after - midnight) <= 5, True)
refused("a sitemap job with no warm left today", call(
    "POST", jobs, {}, token=alice), 429, "warms_per_day", 70, 70)
until("job 2 done", lambda: job_done(job2["id"], alice))
expect("the day: exactly the plan's", today_warms(pid), 70)
expect("job 2: its URLs, once each", sql(
    "SELECT count(*) FROM page_results WHERE job_id = %d" % job2["id"]),
    str(70 - N))

# Tasks past the day wait for the next: a bigger plan leaves 10, a
# job takes them, and other warms (an agent's, say) spend them first.
stop("wb")
stop("wc")
sql("UPDATE plans SET max_warms_per_day = 80 WHERE name = 'tiny'")
job3 = ok("a job of the day's last", call("POST", jobs, {"urls": [
    "/product/%d" % i for i in range(201, 211)]}, token=alice), 201)
expect("not cut", job3["urls_total"], 10)
sql("UPDATE usage_daily SET warms = warms + 10 WHERE project_id = %d"
    " AND day = (now() AT TIME ZONE 'UTC')::date" % pid)
start("wd")
until("a claim finds the day spent", lambda: sql(
    "SELECT spent_day = (now() AT TIME ZONE 'UTC')::date FROM project_quota"
    " WHERE project_id = %d" % pid) == "t")
expect("its tasks wait", sql(
    "SELECT count(*) FILTER (WHERE state = 'queued') FROM warm_tasks"
    " WHERE job_id = %d" % job3["id"]), "10")
expect("nothing made past the day", today_warms(pid), 80)
# The next day, as far as the count knows: today's warms were
# yesterday's.
sql("UPDATE usage_daily SET day = day - 1 WHERE project_id = %d"
    " AND day = (now() AT TIME ZONE 'UTC')::date" % pid)
until("job 3 done the next day", lambda: job_done(job3["id"], alice))
expect("the new day's count", today_warms(pid), 10)

# Retention, by the workers: the plan's 2 days here, a free project's 7
# days for bob; each older result goes, the newer stay.
bpid = ok("bob's project", call("POST", "/api/projects", {"name": "B"},
                                token=bob), 201)["id"]
bw = ok("bob's website", call("POST", "/api/projects/%d/websites" % bpid, {
    "base_url": "http://localhost/"}, token=bob), 201)["id"]
bjob = int(sql("INSERT INTO cache_jobs (website_id, trigger, status)"
               " VALUES (%d, 'manual', 'done') RETURNING id" % bw))


def result(job, website, age, url):
    return int(sql(
        "INSERT INTO page_results (job_id, website_id, url, outcome,"
        " recorded_at) VALUES (%d, %d, '%s', 'cached',"
        " now() - interval '%s') RETURNING id" % (job, website, url, age)))


old = [result(job1["id"], w1["id"], "3 days", "/old/1"),
       result(job1["id"], w1["id"], "50 hours", "/old/2"),
       result(bjob, bw, "8 days", "/old/3")]
kept = [result(job1["id"], w1["id"], "40 hours", "/new/1"),
        result(bjob, bw, "3 days", "/new/2")]
ids = ",".join(str(i) for i in old + kept)
until("the old results pruned", lambda: sql(
    "SELECT count(*) FROM page_results WHERE id IN (%s)" % ids) == "2",
    seconds=30, every=0.2)
expect("the newer kept", sql(
    "SELECT string_agg(id::text, ',' ORDER BY id) FROM page_results"
    " WHERE id IN (%s)" % ids), ",".join(str(i) for i in kept))
stop("wd")

print("quota.py: %d checks; at most %d warm requests leased at once, the"
      " origin's most in flight %d" % (checks, most, origin_inflight_max()))
