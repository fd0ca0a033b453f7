"""Assertions on websites' schedules: stoked's path, the suite's work
directory (the token keys, the clock, the logs), the database's URL, the
test origin's port and the Varnish node's.  Two stoked serve replicas
are started here, over one database, both reading the time from one
file, which is moved over simulated hours: each slot starts one job
however many replicas look, none while a job of the website is still
queued, one after a long downtime, and DST nights in Europe/Berlin run
their 02:30 once.  Then one scheduled job is run by a real worker."""

import calendar
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

STOKED, WORK, PGURL = sys.argv[1], sys.argv[2], sys.argv[3]
ORIGIN, NODE = int(sys.argv[4]), int(sys.argv[5])
CLOCK = os.path.join(WORK, "clock")
checks = 0
replicas = {}


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def until(what, cond, secs=20):
    deadline = time.time() + secs
    while not cond():
        if time.time() > deadline:
            sys.exit("FAIL: not within %d s: %s" % (secs, what))
        time.sleep(0.05)


def sql(q):
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                           PGURL, "-c", q], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


now = 0


def set_clock(t):
    """Both replicas' time, written whole (a rename) so that no look
    reads half of it."""
    global now
    now = t
    with open(CLOCK + ".new", "w") as f:
        f.write("%d\n" % t)
    os.replace(CLOCK + ".new", CLOCK)


starts = 0


def start(name):
    """A replica, its log a file of its own (serve-N-NAME.log)."""
    global starts
    starts += 1
    path = os.path.join(WORK, "serve-%d-%s.log" % (starts, name))
    log = open(path, "w")
    p = subprocess.Popen([STOKED, "serve", "--listen", "127.0.0.1:0",
                          "--database-url", PGURL, "--jwt-keys",
                          os.path.join(WORK, "keys"), "--allow-private",
                          "--test-clock", CLOCK],
                         stdout=log, stderr=subprocess.STDOUT)
    log.close()
    port = []

    def listening():
        with open(path) as f:
            for line in f:
                if "stoked listening on" in line:
                    port[:] = [int(line.rsplit(":", 1)[1])]
        return bool(port) or p.poll() is not None
    until("replica %s listening" % name, listening)
    expect("replica %s runs" % name, p.poll(), None)
    replicas[name] = (p, port[-1])


def stop(name):
    p, _ = replicas.pop(name)
    p.terminate()
    p.wait(timeout=20)


def call(method, path, body=None, token=None, via="a"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (replicas[via][1], path), data=data,
        method=method)
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


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def error(what, res, status, code, field, says):
    st, doc = res
    expect(what + ": status " + repr(doc), st, status)
    err = (doc or {}).get("error") or {}
    expect(what + ": code", err.get("code"), code)
    expect(what + ": field", err.get("field"), field)
    expect(what + ": says " + repr(says) + " in " + repr(err.get("message")),
           says in (err.get("message") or ""), True)


def user(name):
    return ok("register " + name, call("POST", "/api/auth/register", {
        "name": name, "email": name + "@shop.example",
        "password": "a long enough secret"}), 201)["token"]


def next_run(w):
    return int(sql("SELECT coalesce(extract(epoch FROM next_run_at)"
                   "::bigint, 0) FROM websites WHERE id = %d" % w))


def jobs(w):
    return int(sql("SELECT count(*) FROM cache_jobs WHERE website_id = %d"
                   " AND trigger = 'schedule'" % w))


def finish(ws):
    """What a worker would do, at once: the website's jobs ended, their
    tasks gone."""
    ids = ",".join(str(w) for w in ws)
    sql("WITH j AS (UPDATE cache_jobs SET status = 'done',"
        " finished_at = now() WHERE website_id IN (%s)"
        " AND status IN ('queued', 'running') RETURNING id)"
        " DELETE FROM warm_tasks t USING j WHERE t.job_id = j.id" % ids)


def looked(ws):
    """Until a look at the time set has moved each website's next slot
    past it (a slot claimed or skipped moves, as does one armed)."""
    until("the slots of %r moved past %s" % (ws, iso(now)),
          lambda: all(next_run(w) > now for w in ws))


set_clock(epoch("2025-01-06T09:50:00Z"))  # a Monday
start("a")
start("b")
try:
    alice, eve = user("alice"), user("eve")
    pid = ok("a project", call("POST", "/api/projects", {"name": "Shop"},
                               token=alice), 201)["id"]
    sql("UPDATE projects SET plan_id = (SELECT id FROM plans"
        " WHERE name = 'unlimited') WHERE id = %d" % pid)
    sites = "/api/projects/%d/websites" % pid
    base = "http://127.0.0.1:%d/" % ORIGIN

    # Bad expressions and zones: refused, the field and why named.
    for body, field, says in (
            ({"schedule": "61 * * * *"}, "schedule", "minute"),
            ({"schedule": "0 * * * funday"}, "schedule", "day of the week"),
            ({"schedule": "0 0 * foo *"}, "schedule", "jan-dec"),
            ({"schedule": "0 0 30 2 *"}, "schedule", "no date"),
            ({"schedule": "@reboot"}, "schedule", "@reboot"),
            ({"schedule": "0 0 * *"}, "schedule", "4 fields"),
            ({"schedule": "@daily", "schedule_tz": "Mars/Olympus"},
             "schedule_tz", "no time zone"),
            ({"schedule": "@daily", "schedule_tz": "../../etc/passwd"},
             "schedule_tz", "IANA"),
            ({"schedule": "@daily", "schedule_tz": "Europe/Berlin/"},
             "schedule_tz", "IANA")):
        body = dict(body, base_url=base + "bad/")
        error("create %r" % body, call("POST", sites, body, token=alice),
              422, "invalid_schedule", field, says)
    expect("none made", sql("SELECT count(*) FROM websites"), "0")

    # Six websites, hourly, with names and macros.
    hourly = []
    for i, expr in enumerate(("0 * * * *", "@hourly", "0 */1 * JAN-dec *",
                              "0 * * * SUN-sat", "0 0-23 * * *",
                              "0 * * jan *")):
        w = ok("website %d" % i, call("POST", sites, {
            "base_url": base + "s%d/" % i, "schedule": expr}, token=alice),
            201)
        expect("its zone", w["schedule_tz"], "UTC")
        hourly.append(w["id"])
    w0 = hourly[0]
    sc = ok("schedule", call("GET", "/api/websites/%d/schedule" % w0,
                             token=alice, via="b"))
    expect("next runs", sc["next_runs"], ["2025-01-06T%02d:00:00Z" % h
                                          for h in range(10, 15)])
    expect("local", sc["next_runs_local"][0], "2025-01-06T10:00:00+00:00")
    expect("as set", (sc["schedule"], sc["schedule_tz"], sc["now"],
                      sc["last_run_at"], sc["last_job_id"], sc["error"]),
           ("0 * * * *", "UTC", "2025-01-06T09:50:00Z", None, None, None))
    # Isolation: another tenant's website is not there at all.
    error("eve", call("GET", "/api/websites/%d/schedule" % w0, token=eve),
          404, "not_found", None, "no such website")
    error("no such website", call("GET", "/api/websites/999999/schedule",
                                  token=alice), 404, "not_found", None, "")
    error("not an id", call("GET", "/api/websites/x/schedule", token=alice),
          404, "not_found", "id", "")
    expect("no token", call("GET", "/api/websites/%d/schedule" % w0)[0], 401)

    # Armed by a replica at 09:50: the first slot is 10:00.
    until("armed", lambda: all(next_run(w) == epoch("2025-01-06T10:00:00Z")
                               for w in hourly))
    expect("nothing started yet", [jobs(w) for w in hourly], [0] * 6)

    # Hour after hour, both replicas looking: each slot once.  w0's
    # 12:00 job is left queued over 13:00, whose slot it skips.
    t0 = epoch("2025-01-06T10:00:00Z")
    for h in range(6):
        set_clock(t0 + h * 3600 + 60 * (h % 3))
        looked(hourly)
        want = [h + 1] * 6
        if h >= 3:
            want[0] = h
        expect("jobs after %s" % iso(now), [jobs(w) for w in hourly], want)
        if h == 0:
            expect("a sitemap job, as POST .../jobs makes", sql(
                "SELECT string_agg(j.trigger || ' ' || j.source || ' ' ||"
                " j.status || ' ' || t.kind || ' ' || t.url, ',')"
                " FROM cache_jobs j JOIN warm_tasks t ON t.job_id = j.id"
                " WHERE j.website_id = %d" % hourly[1]),
                "schedule sitemap queued sitemap %s" % base)
        if h == 2:
            held = int(sql("SELECT max(id) FROM cache_jobs"
                           " WHERE website_id = %d" % w0))
        finish(hourly[1:] if h == 2 else hourly)
    sc = ok("skipped", call("GET", "/api/websites/%d/schedule" % w0,
                            token=alice))
    expect("the slot skipped", sc["last_skipped_at"], "2025-01-06T13:00:00Z")
    expect("the job that held it", sc["last_skipped_job_id"], held)
    expect("the last run", sc["last_run_at"], iso(t0 + 5 * 3600 + 120))
    expect("its job", sc["last_job_id"], int(sql(
        "SELECT max(id) FROM cache_jobs WHERE website_id = %d" % w0)))

    # Both replicas down for five hours and a half: one run each, then
    # the hour after.
    stop("a")
    stop("b")
    before = [jobs(w) for w in hourly]
    set_clock(t0 + 10 * 3600 + 1800)  # 20:30
    start("a")
    looked(hourly)
    expect("one catch-up run each", [jobs(w) - b for w, b in
                                     zip(hourly, before)], [1] * 6)
    expect("then the next hour", next_run(w0), t0 + 11 * 3600)
    start("b")
    finish(hourly)

    # A schedule changed is armed again; cleared, it runs no more.
    ok("change", call("PUT", "/api/websites/%d" % w0, {
        "schedule": "30 6 * * mon-fri", "schedule_tz": "America/New_York"},
        token=alice))
    sc = ok("changed", call("GET", "/api/websites/%d/schedule" % w0,
                            token=alice))
    expect("new runs", sc["next_runs"][:2], ["2025-01-07T11:30:00Z",
                                             "2025-01-08T11:30:00Z"])
    expect("local", sc["next_runs_local"][0], "2025-01-07T06:30:00-05:00")
    until("re-armed", lambda: next_run(w0) == epoch("2025-01-07T11:30:00Z"))
    error("bad change", call("PUT", "/api/websites/%d" % w0, {
        "schedule_tz": "Europe/Nowhere"}, token=alice), 422,
        "invalid_schedule", "schedule_tz", "no time zone")
    for w in hourly:
        ok("cleared", call("PUT", "/api/websites/%d" % w, {"schedule": None},
                           token=alice))
    sc = ok("none", call("GET", "/api/websites/%d/schedule" % w0,
                         token=alice))
    expect("no runs", (sc["schedule"], sc["next_runs"], sc["error"]),
           (None, [], None))

    # DST in Berlin.  S is a witness due at every step: once its slot
    # has moved past the time set, a look saw that time.
    set_clock(epoch("2025-03-29T12:00:00Z"))
    d = ok("berlin", call("POST", sites, {
        "base_url": base + "berlin/", "schedule": "30 2 * * *",
        "schedule_tz": "Europe/Berlin"}, token=alice), 201)["id"]
    s = ok("witness", call("POST", sites, {
        "base_url": base + "witness/", "schedule": "*/15 * * * *"},
        token=alice), 201)["id"]
    sc = ok("spring", call("GET", "/api/websites/%d/schedule" % d,
                           token=alice))
    expect("02:30 skipped runs at 03:00 CEST", sc["next_runs"], [
        "2025-03-30T01:00:00Z", "2025-03-31T00:30:00Z",
        "2025-04-01T00:30:00Z", "2025-04-02T00:30:00Z",
        "2025-04-03T00:30:00Z"])
    expect("in Berlin's time", sc["next_runs_local"][:2], [
        "2025-03-30T03:00:00+02:00", "2025-03-31T02:30:00+02:00"])
    looked([d, s])

    def night(start_iso, end_iso):
        """The times d started a job, a step of 15 minutes at a time;
        the witness must start one at each step."""
        t = epoch(start_iso)
        starts, steps, witness = [], 0, jobs(s)
        while t <= epoch(end_iso):
            n = jobs(d)
            set_clock(t)
            looked([d, s])
            if jobs(d) != n:
                starts.append(iso(t))
            finish([d, s])
            t += 900
            steps += 1
        expect("the witness once a step", jobs(s) - witness, steps)
        return starts
    expect("spring night", night("2025-03-29T23:00:00Z",
                                 "2025-03-30T03:00:00Z"),
           ["2025-03-30T01:00:00Z"])
    set_clock(epoch("2025-10-25T12:00:00Z"))
    looked([d, s])
    finish([d, s])
    sc = ok("autumn", call("GET", "/api/websites/%d/schedule" % d,
                           token=alice))
    expect("02:30 CEST, not 02:30 CET", sc["next_runs"][:2], [
        "2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"])
    expect("autumn night", night("2025-10-25T23:00:00Z",
                                 "2025-10-26T03:00:00Z"),
           ["2025-10-26T00:30:00Z"])

    # A scheduled job run by a real worker, as a tenant's would be.
    ok("clear witness", call("PUT", "/api/websites/%d" % s,
                             {"schedule": None}, token=alice))
    finish([d, s])
    r = ok("real", call("POST", sites, {
        "base_url": base, "schedule": "0 0 * * *",
        "varnish_nodes": ["http://127.0.0.1:%d" % NODE]}, token=alice), 201)
    until("armed", lambda: next_run(r["id"]) > 0)
    set_clock(next_run(r["id"]) + 5)
    looked([r["id"]])
    subprocess.run([os.path.join(WORK, "worker")], check=True, timeout=120)
    job = sql("SELECT status || ' ' || (urls_total > 0) || ' ' ||"
              " (urls_completed + urls_failed = urls_total) FROM cache_jobs"
              " WHERE website_id = %d AND trigger = 'schedule'" % r["id"])
    expect("warmed from its sitemap", job, "done true true")
    print("schedule.py: %d checks" % checks)
finally:
    for name in list(replicas):
        replicas[name][0].kill()
