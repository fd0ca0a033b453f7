"""Assertions on the jobs of websites of cache_type shopware, over HTTP:
the API's port, the Varnish node's port (vcl/shopware6.vcl), the
storefront origin's port (stoke-origin -s shopware), the plain origin's
port, a command that drains the queue once (a stoked worker, one URL at
a time), and the storefront's request log ("TIME URL varnish|direct" a
line)."""

import json
import sys
import time
import urllib.error
import urllib.request

A, NODE, SHOP_PORT, PLAIN_PORT = (int(x) for x in sys.argv[1:5])
WORKER, LOG = sys.argv[5], sys.argv[6]
SHOP = "http://127.0.0.1:%d" % SHOP_PORT
PLAIN = "http://127.0.0.1:%d" % PLAIN_PORT
EUR = "b7d2554b0ce847cd82f3ac9bd1c0dfca"
USD = "1c1e2a9a0bd543a0a4bd16a4b1aa2d4f"
GBP = "3a8c1b5e2f9d4c7b8e6a0d1f2c3b4a59"
EN = "2fbb5fe2e29a4d70aa5854ce7ce3e20b"
DE = "9d4d1bc5a0d44a3a8e0e3a4fce5a1b7e"
CHANNEL = "98432def39fc4624b33213a56b8c944d"
CATEGORIES = ["/", "/de/", "/Coffee/", "/Tea/", "/Cocoa/",
              "/Coffee/Specials/", "/Tea/Specials/", "/Cocoa/Specials/"]
PRODUCTS = ["/Product-%d/SW%05d" % (i, 10000 + i) for i in range(1, 7)]
SEARCHES = ["/search?search=coffee+beans", "/search?search=caf%C3%A9",
            "/search?search=tea"]
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


def error(what, res, status, code, field=None):
    st, doc = res
    expect(what + ": status " + repr(doc), st, status)
    err = (doc or {}).get("error") or {}
    expect(what + ": code " + repr(err), err.get("code"), code)
    if field is not None:
        expect(what + ": field", err.get("field"), field)


def ok(what, res, status=200):
    expect(what + ": status " + repr(res[1]), res[0], status)
    return res[1]


def user(name):
    return ok("register " + name, call("POST", "/api/auth/register", {
        "name": name, "email": name + "@shop.example",
        "password": "a long enough secret"}), 201)["token"]


def run_job(website, token):
    import subprocess
    job = ok("a sitemap job", call("POST", "/api/websites/%d/jobs" % website,
                                   {}, token=token), 201)
    subprocess.run([WORKER], check=True, timeout=300)
    deadline = time.time() + 120
    while True:
        j = ok("poll job", call("GET", "/api/jobs/%d" % job["id"],
                                token=token))
        if j["status"] not in ("queued", "running"):
            return j
        if time.time() > deadline:
            sys.exit("FAIL: job %d still %s" % (job["id"], j["status"]))
        time.sleep(0.2)


def results(job, token):
    rows, cursor = [], None
    while True:
        q = "?limit=1000" + ("&cursor=" + cursor if cursor else "")
        page = ok("results", call("GET", "/api/jobs/%d/results%s" % (job, q),
                                  token=token))
        rows += page["results"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def log_lines():
    with open(LOG) as f:
        return [ln.split() for ln in f if ln.strip()]


def warmed_since(mark):
    """The storefront's URLs fetched by Varnish since mark, in order."""
    return [u for _, u, via in log_lines()[mark:] if via == "varnish"]


alice, eve = user("alice"), user("eve")
pid = ok("a project", call("POST", "/api/projects", {"name": "Shop"},
                          token=alice), 201)["id"]
websites = "/api/projects/%d/websites" % pid

# The settings: search terms and auto_variants, checked.
for bad, field in ((["ok", "a\tb"], "search_terms[1]"),
                   (["x" * 101], "search_terms[0]"),
                   ([""], "search_terms[0]"),
                   (["t%d" % i for i in range(51)], "search_terms")):
    st, doc = call("POST", websites, {
        "base_url": SHOP + "/", "cache_type": "shopware",
        "search_terms": bad}, token=alice)
    expect("bad search_terms %r: 422 (%r)" % (bad[:2], doc), st, 422)
    expect("bad search_terms: field", doc["error"]["field"], field)
error("auto_variants not a bool", call("POST", websites, {
    "base_url": SHOP + "/", "auto_variants": "yes"}, token=alice), 422,
    "invalid", "auto_variants")
shop = ok("the storefront", call("POST", websites, {
    "base_url": SHOP + "/", "cache_type": "shopware",
    "varnish_nodes": ["http://127.0.0.1:%d" % NODE],
    "variant_inputs": {"currency": "cookie:sw-currency"},
    "search_terms": ["coffee beans", "caf\u00e9", "tea"]}, token=alice), 201)
expect("the settings", (shop["search_terms"], shop["auto_variants"]),
       (["coffee beans", "caf\u00e9", "tea"], False))
wid = shop["id"]

# A job: Shopware detected, then categories, products, search pages.
mark = len(log_lines())
done = run_job(wid, alice)
expect("done " + repr(done), (done["status"], done["error"]), ("done", None))
det = done["detected"]
print("detected: %s" % json.dumps(det))
print("notes: %s" % done["notes"])
expect("Shopware", det["shopware"], True)
expect("its version", (det["version"], det["version_from"]),
       ("6.5.8.2", "generator"))
expect("its markers", det["markers"], ["cookies", "generator", "theme",
                                       "plugins", "switchers",
                                       "navigation"])
expect("its currencies", [(c["id"], c["name"], c["default"])
                          for c in det["currencies"]],
       [(EUR, "\u20ac EUR", True), (USD, "$ USD", False),
        (GBP, "\u00a3 GBP", False)])
expect("its languages", [(x["id"], x["name"], x["default"])
                         for x in det["languages"]],
       [(EN, "English", True), (DE, "Deutsch", False)])
expect("its domains", det["domains"], [
    {"hreflang": "en-GB", "url": SHOP + "/"},
    {"hreflang": "de-DE", "url": SHOP + "/de/"}])
expect("its categories", det["categories"], 7)
expect("its sitemap", (det["sitemap"], det["sales_channels"]),
       ("shopware", [{"id": CHANNEL, "language_id": EN}]))
expect("its search", (det["search_form"], det["search_pages"]),
       (SHOP + "/search", 3))
expect("currencies proposed, not warmed",
       (det["currency_variants"], det["proposed_variants"]),
       ("proposed", [{"currency": USD}, {"currency": GBP}]))
expect("no error", det["error"], None)
expect("notes say it first", done["notes"].startswith(
    "Shopware 6.5.8.2 detected: 7 categories, 3 currencies, 2 languages, "
    "Shopware's sitemap; 3 search pages; its other currencies proposed as "
    "variants, not warmed (auto_variants is off); %s/: 2 sitemaps read"
    % SHOP), True)
order = warmed_since(mark)
print("warmed: %s" % " ".join(order))
expect("each warmed once, nothing else",
       sorted(order), sorted(CATEGORIES + PRODUCTS + SEARCHES))
tier = [0 if u in CATEGORIES else 1 if u in PRODUCTS else 2 for u in order]
expect("categories, then products, then search pages", tier, sorted(tier))
expect("the search terms in their order", [u for u in order
                                           if u in SEARCHES], SEARCHES)
rows = results(done["id"], alice)
expect("results: each URL once, plain", sorted(
    (r["url"][len(SHOP):], r["variant"]) for r in rows),
    sorted((u, "") for u in CATEGORIES + PRODUCTS + SEARCHES))
expect("results: through the node", {r["node"] for r in rows},
       {"http://127.0.0.1:%d" % NODE})
expect("results: warm", {r["status"] for r in rows}, {200})
expect("urls_total", done["urls_total"], len(rows))

# auto_variants: each page in each currency, through its cookie.
ok("auto_variants on", call("PUT", "/api/websites/%d" % wid, {
    "auto_variants": True}, token=alice))
mark = len(log_lines())
av = run_job(wid, alice)
expect("auto: done " + repr(av), av["status"], "done")
expect("auto: warmed", av["detected"]["currency_variants"], "warmed")
expect("auto: said", "its currencies warmed as variants" in av["notes"],
       True)
arows = results(av["id"], alice)
variants = {"", "currency=" + USD, "currency=" + GBP}
expect("auto: every URL in every currency", sorted(
    (r["url"][len(SHOP):], r["variant"]) for r in arows),
    sorted((u, v) for u in CATEGORIES + PRODUCTS + SEARCHES
           for v in variants))
# A warm request refreshes its object: Varnish asked the shop for each
# page once in each currency, each a cache object of its own.
fetched = warmed_since(mark)
expect("auto: the origin asked for each page in each currency",
       sorted(fetched), sorted((CATEGORIES + PRODUCTS + SEARCHES) * 3))
# A visitor in dollars is served from the cache, in dollars.
before = len(log_lines())
req = urllib.request.Request("http://127.0.0.1:%d%s" % (NODE, PRODUCTS[1]))
req.add_header("Host", "127.0.0.1:%d" % SHOP_PORT)
req.add_header("Cookie", "sw-currency=" + USD + "; session-=abc")
with urllib.request.urlopen(req, timeout=30) as r:
    body, xv = r.read().decode(), r.headers.get("X-Varnish", "")
expect("a visitor in dollars: a hit (%r)" % xv, len(xv.split()), 2)
expect("a visitor in dollars: dollars", "$ USD" in body, True)
expect("a visitor in dollars: the shop not asked", len(log_lines()), before)

# auto_variants without variant_inputs' currency: only proposed.
ok("no currency input", call("PUT", "/api/websites/%d" % wid, {
    "variant_inputs": {}}, token=alice))
ni = run_job(wid, alice)
expect("no input: proposed", (ni["status"],
                               ni["detected"]["currency_variants"]),
       ("done", "proposed"))
expect("no input: said", "(auto_variants without variant_inputs' "
       "currency)" in ni["notes"], True)
expect("no input: plain only", {r["variant"] for r in results(
    ni["id"], alice)}, {""})

# A plain site called shopware: not Shopware, its sitemap warmed all
# the same, and no search page.
# (Each in a project of its own: the free plan has room for one.)
def project(name):
    return "/api/projects/%d/websites" % ok(name, call(
        "POST", "/api/projects", {"name": name}, token=alice), 201)["id"]


plain = ok("a plain site", call("POST", project("Plain"), {
    "base_url": PLAIN + "/", "cache_type": "shopware",
    "search_terms": ["coffee"]}, token=alice), 201)
pj = run_job(plain["id"], alice)
expect("plain: done " + repr(pj), pj["status"], "done")
pdet = pj["detected"]
expect("plain: not Shopware", (pdet["shopware"], pdet["version"],
                               pdet["search_pages"], pdet["sitemap"],
                               pdet["currency_variants"]),
       (False, None, 0, "other", "none"))
expect("plain: said", pj["notes"].startswith(
    "not Shopware: its start page has not the markers of a Shopware 6 "
    "storefront; "), True)
prows = results(pj["id"], alice)
expect("plain: its sitemap warmed", sorted(r["url"][len(PLAIN):]
                                           for r in prows),
       sorted(["/", "/esi/header"] +
              ["/category/%d" % i for i in range(1, 6)] +
              ["/product/%d" % i for i in range(1, 6)]))

# Another website type's jobs detect nothing.
vs = ok("a varnish site", call("POST", project("Varnish"), {
    "base_url": PLAIN + "/other/", "sitemap_url": PLAIN + "/sitemap.xml"},
    token=alice), 201)
vj = run_job(vs["id"], alice)
expect("varnish: nothing detected", (vj["status"], vj["detected"]),
       ("done", None))

# Tenants see their own.
error("another tenant's job", call("GET", "/api/jobs/%d" % done["id"],
                                   token=eve), 404, "not_found")
error("another tenant's website", call("PUT", "/api/websites/%d" % wid, {
    "search_terms": ["x"]}, token=eve), 404, "not_found")
print("%d checks, 0 failed" % checks)
