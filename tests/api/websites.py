"""Assertions on a project's websites, over HTTP: ports A and B allow
private addresses, C does not; the database's URL last (to change a
project's plan, which no route does yet)."""

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request

A, B, C = (int(p) for p in sys.argv[1:4])
PGURL = sys.argv[4]
checks = 0


def call(port, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        doc = json.loads(text) if text else None
    except ValueError:
        doc = None
    return status, doc


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        sys.exit("FAIL: %s: got %r, want %r" % (what, got, want))


def error(what, res, status, code, field=None):
    st, doc = res
    expect(what + ": status " + repr(doc), st, status)
    err = (doc or {}).get("error") or {}
    expect(what + ": code " + repr(err), err.get("code"), code)
    expect(what + ": a message", bool(err.get("message")), True)
    if field is not None:
        expect(what + ": field", err.get("field"), field)


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def sql(q):
    subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                    PGURL, "-c", q], check=True, stdout=subprocess.DEVNULL)


def user(name):
    doc = ok("register " + name, call(A, "POST", "/api/auth/register", {
        "name": name, "email": name + "@shop.example",
        "password": "a long enough secret"}), 201)
    return doc["token"]


alice, bob, carol = user("alice"), user("bob"), user("carol")
pid = ok("a project", call(A, "POST", "/api/projects", {"name": "Shop"},
                          token=alice), 201)["id"]
ok("bob a viewer", call(A, "POST", "/api/projects/%d/members" % pid, {
    "email": "bob@shop.example", "role": "viewer"}, token=alice))
sites = "/api/projects/%d/websites" % pid

expect("none yet", ok("list empty", call(B, "GET", sites, token=alice)),
       {"websites": []})

# Create, with every setting
full = {
    "name": "Shop DE",
    "base_url": "http://127.0.0.1:8080/",
    "sitemap_url": "http://127.0.0.1:8080/sitemap.xml",
    "cache_type": "shopware",
    "concurrency": 4,
    "rate_limit": 2.5,
    "schedule": "*/30 1-5 * * 1,3,5",
    "variants": [{}, {"currency": "EUR", "country-code": "de_1"}],
    "variant_inputs": {"currency": "cookie:sw-currency",
                       "country-code": "header:X-Country"},
    "varnish_nodes": ["http://127.0.0.1:6081", "https://[::1]:6443/"],
}
w = ok("create", call(A, "POST", sites, full, token=alice), 201)
wid = w["id"]
for k, v in full.items():
    expect("created " + k, w[k], v)
expect("its project", w["project_id"], pid)
expect("a creation time", bool(w["created_at"]), True)
site = "/api/websites/%d" % wid

lst = ok("list", call(B, "GET", sites, token=bob))["websites"]
expect("one website, seen by the viewer", [x["id"] for x in lst], [wid])
expect("read on the other replica", ok("get", call(B, "GET", site,
                                                   token=bob)), w)

# The plan's limit: the free plan has one website
error("a second website on the free plan", call(A, "POST", sites, {
    "base_url": "http://127.0.0.1:8081/"}, token=alice), 402, "plan_limit")
sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'pro')"
    " WHERE id = %d" % pid)
w2 = ok("a second website on pro", call(B, "POST", sites, {
    "base_url": "http://127.0.0.1:8081/"}, token=alice), 201)
expect("defaults: cache_type", w2["cache_type"], "varnish")
expect("defaults: concurrency", w2["concurrency"], 8)
expect("defaults: variants", w2["variants"], [])
expect("defaults: variant_inputs", w2["variant_inputs"], {})
expect("defaults: nodes", w2["varnish_nodes"], [])
expect("defaults: no sitemap", w2["sitemap_url"], None)
expect("defaults: no rate", w2["rate_limit"], None)
error("the same base_url twice", call(A, "POST", sites, {
    "base_url": "http://127.0.0.1:8080/"}, token=alice), 409, "conflict",
    "base_url")
error("a change to another's base_url", call(
    A, "PUT", "/api/websites/%d" % w2["id"],
    {"base_url": "http://127.0.0.1:8080/"}, token=alice), 409, "conflict",
    "base_url")

# Change: a subset, null clears, the rest stays
u = ok("change some", call(B, "PUT", site, {
    "concurrency": 16, "rate_limit": None, "schedule": None}, token=alice))
expect("changed", (u["concurrency"], u["rate_limit"], u["schedule"]),
       (16, None, None))
expect("kept", (u["name"], u["variants"], u["varnish_nodes"],
                u["sitemap_url"]),
       (full["name"], full["variants"], full["varnish_nodes"],
        full["sitemap_url"]))
u = ok("a sitemap alone, on the site's host",
       call(A, "PUT", site, {"sitemap_url": "http://127.0.0.1:8080/s.xml"},
            token=alice))
expect("sitemap changed", u["sitemap_url"], "http://127.0.0.1:8080/s.xml")
error("a sitemap alone, elsewhere", call(A, "PUT", site, {
    "sitemap_url": "http://127.0.0.2:8080/s.xml"}, token=alice), 422,
    "invalid_url", "sitemap_url")
error("a base_url away from the sitemap", call(A, "PUT", site, {
    "base_url": "http://127.0.0.2:8080/"}, token=alice), 422,
    "invalid_url", "base_url")
ok("an empty change", call(A, "PUT", site, {}, token=alice))

# Roles: a viewer reads only, a stranger sees nothing
for what, method, path, body in (
        ("creates", "POST", sites, {"base_url": "http://127.0.0.1:9/"}),
        ("changes", "PUT", site, {"concurrency": 2}),
        ("deletes", "DELETE", site, None)):
    error("a viewer " + what, call(A, method, path, body, token=bob), 403,
          "forbidden")
for what, method, path, body in (
        ("lists", "GET", sites, None),
        ("creates", "POST", sites, {"base_url": "http://127.0.0.1:9/"}),
        ("reads", "GET", site, None),
        ("changes", "PUT", site, {"concurrency": 2}),
        ("changes a sitemap", "PUT", site,
         {"sitemap_url": "http://127.0.0.1:8080/x.xml"}),
        ("deletes", "DELETE", site, None)):
    error("a stranger " + what, call(A, method, path, body, token=carol),
          404, "not_found")
for bad in ("abc", "0", "-1", "99999999999999999999", "999999"):
    error("website id " + bad, call(A, "GET", "/api/websites/" + bad,
                                    token=alice), 404, "not_found")
error("no token", call(A, "GET", site), 401, "unauthorized")

# Hostile settings, each refused with its field
hostile = [
    ({"base_url": "ftp://127.0.0.1/"}, 422, "invalid_url", "base_url"),
    ({"base_url": "javascript:alert(1)"}, 422, "invalid_url", "base_url"),
    ({"base_url": "http://user:pw@127.0.0.1/"}, 422, "invalid_url",
     "base_url"),
    ({"base_url": "http://127.0.0.1:99999/"}, 422, "invalid_url",
     "base_url"),
    ({"base_url": "http://127.0.0.1/" + "a" * 2048}, 422, "too_long",
     "base_url"),
    ({"base_url": ""}, 422, "required", "base_url"),
    ({"base_url": 5}, 422, "invalid", "base_url"),
    ({"base_url": "http://no-such-host.invalid/"}, 422,
     "unresolvable_host", "base_url"),
    ({"sitemap_url": "http://evil.example/sitemap.xml"}, 422,
     "invalid_url", "sitemap_url"),
    ({"sitemap_url": "gopher://127.0.0.1/"}, 422, "invalid_url",
     "sitemap_url"),
    ({"cache_type": "nginx"}, 422, "invalid", "cache_type"),
    ({"cache_type": None}, 422, "invalid", "cache_type"),
    ({"concurrency": 0}, 422, "out_of_range", "concurrency"),
    ({"concurrency": 257}, 422, "out_of_range", "concurrency"),
    ({"concurrency": 2.5}, 422, "invalid", "concurrency"),
    ({"concurrency": "8"}, 422, "invalid", "concurrency"),
    ({"rate_limit": 0}, 422, "out_of_range", "rate_limit"),
    ({"rate_limit": -1}, 422, "out_of_range", "rate_limit"),
    ({"rate_limit": 10000.5}, 422, "out_of_range", "rate_limit"),
    ({"rate_limit": "fast"}, 422, "invalid", "rate_limit"),
    ({"schedule": "every day"}, 422, "invalid_schedule", "schedule"),
    ({"schedule": "* * * *"}, 422, "invalid_schedule", "schedule"),
    ({"schedule": "61 * * * *"}, 422, "invalid_schedule", "schedule"),
    ({"schedule": "*/0 * * * *"}, 422, "invalid_schedule", "schedule"),
    ({"schedule": "5-1 * * * *"}, 422, "invalid_schedule", "schedule"),
    ({"variants": {"currency": "EUR"}}, 422, "invalid", "variants"),
    ({"variants": ["EUR"]}, 422, "invalid", "variants[0]"),
    ({"variants": [{"currency": {"a": "b"}}]}, 422, "invalid",
     "variants[0].currency"),
    ({"variants": [{"currency": 5}]}, 422, "invalid",
     "variants[0].currency"),
    ({"variants": [{}, {"Currency": "EUR"}]}, 422, "invalid",
     "variants[1].Currency"),
    ({"variants": [{"k" * 33: "v"}]}, 422, "too_long", None),
    ({"variants": [{"a": "v" * 129}]}, 422, "too_long", "variants[0].a"),
    ({"variants": [{"k%d" % i: "v" for i in range(17)}]}, 422, "too_long",
     "variants[0]"),
    ({"variants": [{}] * 65}, 422, "too_long", "variants"),
    ({"variant_inputs": ["cookie:x"]}, 422, "invalid", "variant_inputs"),
    ({"variant_inputs": {"currency": "query:abc"}}, 422, "invalid",
     "variant_inputs"),
    ({"variant_inputs": {"currency": "cookie:a b"}}, 422, "invalid",
     "variant_inputs.currency"),
    ({"variant_inputs": {"Currency": "cookie:c"}}, 422, "invalid",
     "variant_inputs.Currency"),
    ({"variant_inputs": {"currency": 5}}, 422, "invalid",
     "variant_inputs.currency"),
    ({"varnish_nodes": "http://127.0.0.1:6081"}, 422, "invalid",
     "varnish_nodes"),
    ({"varnish_nodes": ["http://127.0.0.1"]}, 422, "invalid_url",
     "varnish_nodes[0]"),
    ({"varnish_nodes": ["http://127.0.0.1:6081", "tcp://127.0.0.1:6081"]},
     422, "invalid_url", "varnish_nodes[1]"),
    ({"varnish_nodes": ["http://127.0.0.1:6081/admin"]}, 422,
     "invalid_url", "varnish_nodes[0]"),
    ({"varnish_nodes": ["http://127.0.0.1:%d" % (6000 + i)
                        for i in range(33)]}, 422, "too_long",
     "varnish_nodes"),
    ({"varnish_nodes": [None]}, 422, "invalid", "varnish_nodes[0]"),
    ({"name": "n" * 201}, 422, "too_long", "name"),
]
for body, status, code, field in hostile:
    what = "hostile " + json.dumps(body)[:80]
    change = body
    if "base_url" in body and "sitemap_url" not in body:
        change = dict(body, sitemap_url=None)
    error(what + " (change)", call(A, "PUT", site, change, token=alice),
          status, code, field)
    if "base_url" not in body:
        body = dict(body, base_url="http://127.0.0.1:8082/")
    error(what + " (create)", call(B, "POST", sites, body, token=alice),
          status, code, field)
error("an unknown setting", call(A, "PUT", site, {"id": 7}, token=alice),
      400, "unknown_field", "id")
error("a project_id", call(A, "PUT", site, {"project_id": 7}, token=alice),
      400, "unknown_field", "project_id")
error("no base_url", call(A, "POST", sites, {"name": "x"}, token=alice),
      422, "required", "base_url")
error("a null base_url", call(A, "POST", sites, {"base_url": None},
                              token=alice), 422, "required", "base_url")
error("a change to a null base_url", call(A, "PUT", site, {"base_url": None},
                                          token=alice), 422, "invalid",
      "base_url")

# Without --allow-private: loopback, private and metadata refused
refused = [
    ({"base_url": "http://127.0.0.1/"}, "base_url"),
    ({"base_url": "http://10.0.0.5/"}, "base_url"),
    ({"base_url": "http://169.254.169.254/latest/meta-data/"}, "base_url"),
    ({"base_url": "http://[::ffff:169.254.169.254]/"}, "base_url"),
    ({"base_url": "http://[::1]:8080/"}, "base_url"),
    ({"base_url": "http://localhost:8080/"}, "base_url"),
    ({"base_url": "http://127.1/"}, "base_url"),
    ({"base_url": "http://2130706433/"}, "base_url"),
    ({"base_url": "http://0.0.0.0/"}, "base_url"),
    ({"base_url": "http://100.100.100.200/"}, "base_url"),
    ({"base_url": "http://metadata.google.internal/"}, "base_url"),
    ({"base_url": "http://8.8.8.8/",
      "sitemap_url": "http://8.8.8.8/s.xml",
      "varnish_nodes": ["http://8.8.8.8:80", "http://192.168.1.1:6081"]},
     "varnish_nodes[1]"),
]
for body, field in refused:
    error("without --allow-private " + json.dumps(body)[:70],
          call(C, "POST", sites, body, token=alice), 422,
          "forbidden_address", field)
    if len(body) == 1:
        error("without --allow-private, a change " + json.dumps(body)[:60],
              call(C, "PUT", site, {"base_url": body["base_url"],
                                    "sitemap_url": None}, token=alice),
              422, "forbidden_address", "base_url")
# Even with it, link-local and the metadata service stay refused
for url in ("http://169.254.169.254/", "http://169.254.1.1/",
            "http://[fe80::1]/", "http://224.0.0.1/",
            "http://100.64.0.1/"):
    error("with --allow-private " + url, call(A, "POST", sites, {
        "base_url": url}, token=alice), 422, "forbidden_address",
        "base_url")

# Delete
ok("delete", call(A, "DELETE", site, token=alice), 204)
error("deleted", call(B, "GET", site, token=alice), 404, "not_found")
error("deleted twice", call(B, "DELETE", site, token=alice), 404,
      "not_found")
expect("one left", [x["id"] for x in ok("list after", call(
    A, "GET", sites, token=alice))["websites"]], [w2["id"]])
ok("the project deleted", call(A, "DELETE", "/api/projects/%d" % pid,
                               token=alice), 204)
error("its website gone with it", call(A, "GET", "/api/websites/%d" %
                                       w2["id"], token=alice), 404,
      "not_found")

# Creations racing for a free plan's one place, on both replicas: one
# gets it, every other is told the plan's limit (never a 5xx, never two).
race = ok("a project to race in", call(A, "POST", "/api/projects",
                                       {"name": "Race"}, token=alice), 201)
racing = "/api/projects/%d/websites" % race["id"]
gate = threading.Barrier(12)
answers = []


def create(i):
    gate.wait()
    answers.append(call(A if i % 2 else B, "POST", racing, {
        "base_url": "http://127.0.0.1:%d/" % (9000 + i)}, token=alice))


threads = [threading.Thread(target=create, args=(i,)) for i in range(12)]
for t in threads:
    t.start()
for t in threads:
    t.join()
expect("racing: one created", sorted(a[0] for a in answers),
       [201] + [402] * 11)
for a in answers:
    if a[0] == 402:
        error("racing: the others", a, 402, "plan_limit")
expect("racing: one website", len(ok("race list", call(
    A, "GET", racing, token=alice))["websites"]), 1)

print("%d checks, 0 failed" % checks)
