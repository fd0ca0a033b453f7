"""The tenants' API's description held to stoked: argv is the document
(daemon/api/openapi.json), the routes stoked serve --print-routes
printed, a replica's port (allowing private addresses) and the
database's URL (to change a plan, which no route does yet).

(a) the document has exactly the routes of the tenants' table;
(b) it is sound as far as jsonschema can tell: every schema in it is
    valid JSON Schema 2020-12, every $ref resolves, every route says
    who may call it as the table does, every error answer is an Error;
(c) real answers are valid: a flow through every route, and its
    errors, each answer validated against the document's schema for
    its route and status, and each body sent checked against the
    route's request schema (accepted: valid; refused for its shape:
    invalid), so that the bounds written here are the handlers'.

Written for the jsonschema of Debian 12 (4.10) and newer ones: refs are
resolved by validating against the document itself with a "$ref" at its
root, which needs no resolver API."""

import copy
import http.client
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

DOC_FILE, ROUTES_FILE, PORT, PGURL = sys.argv[1:5]
PORT = int(PORT)
DOC = json.load(open(DOC_FILE))
METHODS = ("get", "put", "post", "delete", "patch", "head", "options",
           "trace")
checks = 0


def fail(msg):
    sys.exit("FAIL: " + msg)


def expect(what, got, want):
    global checks
    checks += 1
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))


def pointer(*parts):
    """A JSON pointer into the document."""
    return "#/" + "/".join(
        str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def resolve(ref):
    """What a local $ref names, or a failure."""
    if not ref.startswith("#/"):
        fail("a $ref outside the document: " + ref)
    node = DOC
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif part in node:
            node = node[part]
        else:
            fail("$ref does not resolve: " + ref)
    return node


def target(ref, node):
    """Where node (at ref) is, after its $refs: a pointer to go on from."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        node = resolve(ref)
    return ref


def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(node["$ref"])
    return node


# The document as a schema: its root keys (openapi, paths, ...) are no
# JSON Schema keywords, so a "$ref" beside them is all that applies, and
# every ref inside resolves within the document.
ROOT = copy.deepcopy(DOC)


def errors(ref, instance):
    """Why instance is not valid against the schema at ref: [] if it is."""
    ROOT["$ref"] = ref
    v = Draft202012Validator(ROOT)
    return [("%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)",
                         e.message)) for e in v.iter_errors(instance)]


# ------------------------------------------------------------------
# (a) the routes

served, scopes, keyscopes = set(), {}, {}
operator = 0
for line in open(ROUTES_FILE):
    method, path, scope, keyscope = line.split()
    # The operator's API (/metrics, /api/v1/*) is stoked run's, on its
    # loopback listener, with no accounts; stoked serve answers /metrics
    # too, a table of its own of that one operator's route.  Neither is
    # the hosted service's, so not in the tenants' description, and both
    # are left out here by their scope.
    if scope == "operator":
        operator += 1
        continue
    key = (method, re.sub(r":([A-Za-z_]+)", r"{\1}", path))
    served.add(key)
    scopes[key] = scope
    keyscopes[key] = keyscope
expect("operator routes listed (and left out on purpose)", operator > 0, True)
documented = {(m.upper(), p) for p, item in DOC["paths"].items()
              for m in item if m in METHODS}
missing = sorted(served - documented)
extra = sorted(documented - served)
if missing:
    fail("served but not in openapi.json: %s" %
         ", ".join("%s %s" % r for r in missing))
if extra:
    fail("in openapi.json but not served: %s" %
         ", ".join("%s %s" % r for r in extra))
expect("tenant routes listed", len(served) > 0, True)

# ------------------------------------------------------------------
# (b) the document itself

expect("openapi 3.1", bool(re.match(r"^3\.1\.\d+$", DOC["openapi"])), True)
expect("a title and a version",
       bool(DOC["info"].get("title") and DOC["info"].get("version")), True)


def walk(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))


# Every $ref resolves; every schema is valid JSON Schema 2020-12: those
# of components, and each one a parameter, a header, a body holds.
nschema = 0
for path, node in walk(DOC):
    if "$ref" in node:
        resolve(node["$ref"])
schemas = [(("components", "schemas", k), v)
           for k, v in DOC["components"]["schemas"].items()]
schemas += [(p, n["schema"]) for p, n in walk(DOC)
            if "schema" in n and isinstance(n["schema"], dict)
            and p[:2] != ("components", "schemas")]
for path, s in schemas:
    try:
        Draft202012Validator.check_schema(s)
    except SchemaError as e:
        fail("%s: not a valid 2020-12 schema: %s" % (pointer(*path),
                                                      e.message))
    nschema += 1
expect("schemas checked", nschema > 30, True)
for name in ("User", "Project", "Member", "Website", "Error"):
    expect("schema " + name, name in DOC["components"]["schemas"], True)
schemes = DOC["components"]["securitySchemes"]
expect("bearer JWT", (schemes["bearer"]["type"], schemes["bearer"]["scheme"],
                      schemes["bearer"]["bearerFormat"]),
       ("http", "bearer", "JWT"))
expect("signed in by default", DOC["security"], [{"bearer": []}])
expect("an API key, a bearer too", (schemes["apiKey"]["type"],
                                    schemes["apiKey"]["scheme"]),
       ("http", "bearer"))


def is_error(schema):
    """The schema is Error, or all of Error and more."""
    if schema.get("$ref") == "#/components/schemas/Error":
        return True
    return any(is_error(s) for s in schema.get("allOf", []))


opids = set()
for (method, path) in sorted(served):
    op = DOC["paths"][path][method.lower()]
    where = "%s %s" % (method, path)
    expect(where + ": an operationId, once", op["operationId"] in opids,
           False)
    opids.add(op["operationId"])
    # Who may call it, as the route's scope says.
    public = scopes[(method, path)] == "public"
    expect(where + ": security as its scope (%s)" % scopes[(method, path)],
           op.get("security") == [], public)
    # The scope an API key needs, as the route's key column says; none:
    # the document's default, a person's token only.
    # A route that takes the token in its query says so as well.
    # An agent's route takes an agent's token, and nothing else.
    ks = keyscopes[(method, path)]
    query = scopes[(method, path)] == "user-query-token"
    agent = scopes[(method, path)] == "agent"
    expect(where + ": an API key's scope (%s)" % ks, op.get("security"),
           [] if public else [{"agentToken": []}] if agent else
           None if ks == "none" else
           [{"bearer": []}] + [{"accessToken": []}] * query +
           [{"apiKey": [ks]}])
    # Path parameters: those of the template, each declared (and so
    # required); a query's are optional.
    want = set(re.findall(r"\{([^}]+)\}", path))
    params = [deref(p) for p in op.get("parameters", [])]
    got = {p["name"] for p in params if p["in"] == "path"}
    expect(where + ": path parameters", got, want)
    for p in params:
        expect(where + ": %s required" % p["name"], bool(p.get("required")),
               p["in"] == "path")
    responses = {k: deref(v) for k, v in op["responses"].items()}
    ok = [k for k in responses if k.startswith("2")]
    expect(where + ": one success", len(ok), 1)
    for status, r in responses.items():
        expect(where + " %s: a description" % status,
               bool(r.get("description")), True)
        if int(status) < 400 or status == "413":
            continue
        schema = r.get("content", {}).get("application/json", {}).get(
            "schema", {})
        expect(where + " %s: an Error" % status, is_error(schema), True)
    if agent:
        expect(where + ": 401", "401" in responses, True)
    elif not public:
        expect(where + ": 401", "401" in responses, True)
        # Any key may be sent, and refused for its scope.
        expect(where + ": 403", "403" in responses, True)
        at = target(pointer("paths", path, method.lower(), "responses",
                            "403"), op["responses"]["403"])
        expect(where + ": 403 key_scope", errors(
            at + "/content/application~1json/schema",
            {"error": {"code": "key_scope", "message": "m"}}), [])
    # Rate limits: every signed-in route (a bucket per user), logins and
    # sign-ups (per address and e-mail); 429 with Retry-After.
    if (not public and not agent) or path in ("/api/auth/login",
                                              "/api/auth/register"):
        expect(where + ": 429", op["responses"].get("429"),
               {"$ref": "#/components/responses/RateLimited"})
    if method in ("POST", "PUT"):
        for status in ("400", "413", "415"):
            expect(where + ": " + status, status in responses, True)
        body = op.get("requestBody")
        expect(where + ": a request body", body is not None, True)
        s = deref(body["content"]["application/json"]["schema"])
        if s.get("properties"):
            expect(where + ": no other field",
                   s.get("additionalProperties"), False)
            expect(where + ": 422", "422" in responses, True)

# ------------------------------------------------------------------
# (c) real answers


def call(method, path, body=None, token=None, ctype="application/json",
         raw=None, accept=None, encoding=None):
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (PORT, path),
                                 data=data, method=method)
    if data is not None and ctype is not None:
        req.add_header("Content-Type", ctype)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    if accept is not None:
        req.add_header("Accept", accept)
    if encoding is not None:
        req.add_header("Content-Encoding", encoding)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


exercised = set()
# What a refusal for the body's shape is: the document must refuse it too.
SHAPE = {"unknown_field", "required", "too_short", "too_long",
         "out_of_range", "invalid"}


def api(method, template, args=(), body=None, token=None, status=200,
        code=None, query="", **kw):
    """A request to a documented route, its answer checked against the
    document; the answer's JSON."""
    path = template
    for a in args:
        path = re.sub(r"\{[^}]+\}", str(a), path, count=1)
    path += query
    where = "%s %s" % (method, path)
    st, headers, text = call(method, path, body=body, token=token, **kw)
    doc = None
    if text and (headers.get("Content-Type") or "").startswith(
            "application/json"):
        doc = json.loads(text)
    expect(where + ": status " + repr(doc if doc is not None else text), st,
           status)
    op = DOC["paths"][template][method.lower()]
    r = op["responses"].get(str(st))
    if r is None:
        fail("%s: status %d is not in openapi.json for %s %s" %
             (where, st, method, template))
    r = deref(r)
    content = r.get("content")
    if content is None:
        expect(where + ": no body, as documented", text, b"")
    else:
        ct = (headers.get("Content-Type") or "").split(";")[0]
        expect(where + ": a documented Content-Type", ct in content, True)
        if ct == "application/json":
            at = target(pointer("paths", template, method.lower(),
                                "responses", str(st)),
                        op["responses"][str(st)])
            bad = errors(at + "/content/application~1json/schema", doc)
            if bad:
                fail("%s %d: the answer does not match openapi.json: %s\n%s"
                     % (where, st, "; ".join(bad), text.decode()))
    # Its headers, as documented: a required one there, each valid.
    for name, h in r.get("headers", {}).items():
        h = deref(h)
        value = headers.get(name)
        if value is None:
            expect(where + ": header " + name, h.get("required", False),
                   False)
            continue
        schema = h.get("schema", {})
        if schema.get("type") == "integer":
            expect(where + ": header %s %r an integer" % (name, value),
                   bool(re.match(r"^[0-9]+$", value)), True)
            value = int(value)
        bad = Draft202012Validator(schema).iter_errors(value)
        expect(where + ": header %s %r as documented" % (name, value),
               [e.message for e in bad], [])
    if code is not None:
        expect(where + ": code", doc["error"]["code"], code)
    # The body sent, as the document's request schema judges it.
    rb = op.get("requestBody")
    if body is not None and rb is not None and "raw" not in kw:
        at = target(pointer("paths", template, method.lower(),
                            "requestBody"), rb)
        bad = errors(at + "/content/application~1json/schema", body)
        if 200 <= st < 300 and bad:
            fail("%s: accepted, but openapi.json refuses %r: %s" %
                 (where, body, "; ".join(bad)))
        # (A Job has an "error" of its own, null: only an Error's counts.)
        err = ((doc or {}).get("error") or {}).get("code") \
            if st >= 400 else None
        if st in (400, 422) and err in SHAPE and not bad:
            fail("%s: refused (%s), but openapi.json takes %r" %
                 (where, err, body))
    exercised.add((method, template, st))
    return doc


def plain(method, path, status, code, token=None):
    """An answer of no route (unknown path, method): an Error."""
    st, headers, text = call(method, path, token=token)
    expect("%s %s: status" % (method, path), st, status)
    doc = json.loads(text)
    bad = errors("#/components/schemas/Error", doc)
    if bad:
        fail("%s %s: not an Error: %s" % (method, path, "; ".join(bad)))
    expect("%s %s: code" % (method, path), doc["error"]["code"], code)


def sql(q):
    subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                    PGURL, "-c", q], check=True, stdout=subprocess.DEVNULL)


def sse_events(text):
    """A text/event-stream's events: (name, id or None, data) each."""
    out, ev = [], {}
    for line in text.split("\n"):
        if line == "":
            if "data" in ev:
                out.append((ev.get("event", "message"), ev.get("id"),
                            json.loads(ev["data"])))
            ev = {}
        elif not line.startswith(":"):
            k, _, v = line.partition(":")
            ev[k] = v[1:] if v.startswith(" ") else v
    return out


def check_events(template, events):
    """Each event of a stream is one the document names, its data valid
    against the document's schema for it."""
    media = ("paths", template, "get", "responses", "200", "content",
             "text/event-stream")
    named = DOC
    for k in media:
        named = named[k]
    for name, _, data in events:
        if name not in named["x-events"]:
            fail("%s: event %r is not in openapi.json" % (template, name))
        bad = errors(pointer(*media, "x-events", name, "schema"), data)
        if bad:
            fail("%s: event %s does not match openapi.json: %s\n%r"
                 % (template, name, "; ".join(bad), data))


def stream(template, args, token, enough, sql_after=None):
    """A stream that does not end by itself: read until enough(events)
    holds, sql_after run once it has started; its events."""
    path = re.sub(r"\{[^}]+\}", str(args[0]), template)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    expect(path + ": status", r.status, 200)
    ct = (r.headers.get("Content-Type") or "").split(";")[0]
    op = DOC["paths"][template]["get"]
    expect(path + ": a documented Content-Type",
           ct in op["responses"]["200"]["content"], True)
    text = ""
    while "\n\n" not in text:
        text += r.read1(65536).decode()
    if sql_after is not None:
        sql(sql_after)
    while not enough(sse_events(text)):
        data = r.read1(65536)
        if not data:
            fail(path + ": the stream ended")
        text += data.decode()
    r.close()
    conn.close()
    exercised.add(("GET", template, 200))
    return sse_events(text)


# Health, and the document as served
api("GET", "/healthz")
api("GET", "/readyz")
served_doc = api("GET", "/api/openapi.json")
expect("the document served is the file", served_doc, DOC)
api("GET", "/healthz", query="?x", status=400, code="bad_request")
plain("DELETE", "/healthz", 405, "method_not_allowed")
plain("GET", "/api/nothing", 404, "not_found")

# Accounts
REG = "/api/auth/register"
pw = "a long enough secret"
alice = api("POST", REG, body={"name": "Alice", "email": "alice@shop.example",
                               "password": pw}, status=201)
alice = alice["token"]
bob = api("POST", REG, body={"name": "B" * 200, "email": "bob@shop.example",
                             "password": pw}, status=201)["token"]
api("POST", REG, body={"name": "Alice", "email": "ALICE@shop.example",
                       "password": pw}, status=409, code="email_taken")
for bad, code in (({"name": "", "email": "c@shop.example", "password": pw},
                   "required"),
                  ({"name": "B" * 201, "email": "c@shop.example",
                    "password": pw}, "too_long"),
                  ({"name": "C", "email": "c@shop.example"}, "required"),
                  ({"name": "C", "email": "c@shop.example",
                    "password": "x" * 257}, "too_long"),
                  ({"name": "C", "email": "c@shop", "password": pw},
                   "invalid_email"),
                  ({"name": "C", "email": "c@shop.example",
                    "password": "short"}, "weak_password"),
                  ({"name": 5, "email": "c@shop.example", "password": pw},
                   "invalid")):
    api("POST", REG, body=bad, status=422, code=code)
api("POST", REG, body={"name": "C", "email": "c@shop.example",
                       "password": pw, "admin": True}, status=400,
    code="unknown_field")
api("POST", REG, raw=b"name=C", ctype="text/plain", status=415,
    code="unsupported_media_type")
api("POST", REG, raw=b"{", status=400, code="bad_json")
api("POST", REG, raw=b"[]", status=400, code="bad_json")
api("POST", REG, raw=b'{"name": "' + b"x" * 70000 + b'"}', status=413)

LOGIN = "/api/auth/login"
api("POST", LOGIN, body={"email": "alice@shop.example", "password": pw})
api("POST", LOGIN, body={"email": "alice@shop.example", "password": "nope"},
    status=401, code="invalid_credentials")
api("POST", LOGIN, body={"email": "", "password": pw}, status=422,
    code="required")
me = api("GET", "/api/auth/me", token=alice)
expect("me", (me["user"]["name"], me["projects"]), ("Alice", []))
api("GET", "/api/auth/me", status=401, code="unauthorized")
# An e-mail's logins are locked after 10 failures (those of the address,
# after 20: 11 here).
for i in range(10):
    api("POST", LOGIN, body={"email": "mallory@shop.example",
                             "password": "guess %d" % i}, status=401,
        code="invalid_credentials")
api("POST", LOGIN, body={"email": "mallory@shop.example", "password": pw},
    status=429, code="rate_limited")
api("GET", "/api/auth/me", token="not.a.token", status=401,
    code="invalid_token")

# Projects
PS, P = "/api/projects", "/api/projects/{id}"
pid = api("POST", PS, body={"name": "Shop"}, token=alice, status=201)["id"]
api("POST", PS, body={"name": ""}, token=alice, status=422, code="required")
api("POST", PS, body={"name": "x" * 201}, token=alice, status=422,
    code="too_long")
api("POST", PS, body={"title": "Shop"}, token=alice, status=400,
    code="unknown_field")
api("GET", P, [pid], token=alice)
api("PUT", P, [pid], body={"name": "x" * 200}, token=alice)
api("PUT", P, [pid], body={"name": None}, token=alice, status=422,
    code="required")
lst = api("GET", PS, token=alice)
expect("one project", [p["id"] for p in lst["projects"]], [pid])
expect("me, with it", [p["id"] for p in
                       api("GET", "/api/auth/me", token=alice)["projects"]],
       [pid])
for bad in ("999999", "abc", "0"):
    api("GET", P, [bad], token=alice, status=404, code="not_found")
api("GET", P, [pid], token=bob, status=404, code="not_found")
api("GET", P, [pid], status=401, code="unauthorized")
api("GET", PS, token=alice, query="?a=1&b", status=400, code="bad_request")

# Members
MS, M = "/api/projects/{id}/members", "/api/projects/{id}/members/{user_id}"
api("GET", MS, [pid], token=alice)
m = api("POST", MS, [pid], body={"email": "bob@shop.example",
                                 "role": "viewer"}, token=alice)
bob_id = m["user_id"]
api("POST", MS, [pid], body={"email": "bob@shop.example", "role": "boss"},
    token=alice, status=422, code="invalid")
api("POST", MS, [pid], body={"email": "nobody@shop.example",
                             "role": "admin"}, token=alice, status=404)
api("POST", MS, [pid], body={"email": "alice@shop.example",
                             "role": "viewer"}, token=bob, status=403,
    code="forbidden")
alice_id = api("GET", "/api/auth/me", token=alice)["user"]["id"]
api("DELETE", M, [pid, alice_id], token=alice, status=409, code="conflict")
api("PUT", P, [pid], body={"name": "Mine"}, token=bob, status=403)
api("DELETE", P, [pid], token=bob, status=403)
expect("two members", len(api("GET", MS, [pid], token=bob)["members"]), 2)

# Websites
WS, W = "/api/projects/{id}/websites", "/api/websites/{id}"
api("GET", WS, [pid], token=alice)
full = {"name": "Shop DE", "base_url": "http://127.0.0.1:8080/",
        "sitemap_url": "http://127.0.0.1:8080/sitemap.xml",
        "cache_type": "shopware", "concurrency": 4, "rate_limit": 2.5,
        "schedule": "*/30 1-5 * * 1,3,5",
        "variants": [{}, {"currency": "EUR", "country-code": "de_1"}],
        "varnish_nodes": ["http://127.0.0.1:6081"]}
wid = api("POST", WS, [pid], body=full, token=alice, status=201)["id"]
api("POST", WS, [pid], body={"base_url": "http://127.0.0.1:8081/"},
    token=alice, status=402, code="plan_limit")
api("POST", WS, [pid], body={"base_url": "http://127.0.0.1:8081/"},
    token=bob, status=403, code="forbidden")
api("POST", WS, [pid], body={"name": "no base"}, token=alice, status=422,
    code="required")
api("POST", WS, [999999], body={"base_url": "http://127.0.0.1:8081/"},
    token=alice, status=404)
api("GET", W, [wid], token=bob)
api("GET", W, [999999], token=alice, status=404)
api("GET", WS, [pid], token=bob)
# A change at each bound, and past it: the document's bounds are the
# handler's (api() holds each body to the request schema).
node = "http://127.0.0.1:6081"
for body, status in (
        ({"name": "x" * 200}, 200), ({"name": "x" * 201}, 422),
        ({"name": ""}, 200),
        ({"concurrency": 8}, 200), ({"concurrency": 256}, 402),
        ({"concurrency": 257}, 422),
        ({"concurrency": 0}, 422), ({"concurrency": 2.5}, 422),
        ({"concurrency": "8"}, 422),
        ({"rate_limit": 10000}, 200), ({"rate_limit": 10000.5}, 422),
        ({"rate_limit": 0.001}, 200), ({"rate_limit": 0}, 422),
        ({"rate_limit": None}, 200),
        ({"schedule": "0 3 * * *"}, 200), ({"schedule": ""}, 422),
        ({"schedule": "x" * 257}, 422), ({"schedule": None}, 200),
        ({"cache_type": "varnish"}, 200), ({"cache_type": "nginx"}, 422),
        ({"cache_type": None}, 422),
        ({"sitemap_url": None}, 200), ({"sitemap_url": ""}, 422),
        ({"base_url": None}, 422), ({"base_url": ""}, 422),
        ({"base_url": "http://127.0.0.1/" + "a" * 2048}, 422),
        ({"variants": [{}] * 64}, 200), ({"variants": [{}] * 65}, 422),
        ({"variants": [{"k" * 32: "v" * 128}]}, 200),
        ({"variants": [{"k" * 33: "v"}]}, 422),
        ({"variants": [{"k": "v" * 129}]}, 422),
        ({"variants": [{"Currency": "EUR"}]}, 422),
        ({"variants": [{"n": 5}]}, 422),
        ({"variants": [dict(("k%d" % i, "v") for i in range(16))]}, 200),
        ({"variants": [dict(("k%d" % i, "v") for i in range(17))]}, 422),
        ({"variants": {}}, 422),
        ({"varnish_nodes": [node] * 32}, 200),
        ({"varnish_nodes": [node] * 33}, 422),
        ({"varnish_nodes": [""]}, 422),
        ({"varnish_nodes": []}, 200),
        ({}, 200)):
    api("PUT", W, [wid], body=body, token=alice, status=status)
api("PUT", W, [wid], body={"nmae": "typo"}, token=alice, status=400,
    code="unknown_field")
api("PUT", W, [wid], body={"schedule": "every day"}, token=alice,
    status=422, code="invalid_schedule")
for body, status in (
        ({"schedule": "@daily", "schedule_tz": "Europe/Berlin"}, 200),
        ({"schedule_tz": "x" * 65}, 422), ({"schedule_tz": ""}, 422),
        ({"schedule_tz": None}, 422), ({"schedule_tz": "Nowhere/X"}, 422)):
    api("PUT", W, [wid], body=body, token=alice, status=status)
SC = "/api/websites/{id}/schedule"
sc = api("GET", SC, [wid], token=bob)
expect("five runs", (len(sc["next_runs"]), sc["schedule_tz"]),
       (5, "Europe/Berlin"))
api("GET", SC, [999999], token=alice, status=404)
api("PUT", W, [wid], body={"sitemap_url": "http://127.0.0.2/s.xml"},
    token=alice, status=422, code="invalid_url")
api("PUT", W, [wid], body={"base_url": "http://no-such-host.invalid/"},
    token=alice, status=422, code="unresolvable_host")
api("PUT", W, [wid], body={"concurrency": 2}, token=bob, status=403)

# Jobs, on the free plan still; with no worker running, so that every
# job stays queued (and results are none) until it is cancelled.
WJ, J = "/api/websites/{id}/jobs", "/api/jobs/{id}"
JR = "/api/jobs/{id}/results"
lst = api("GET", WJ, [wid], token=bob)
expect("no job yet", lst, {"jobs": [], "next_before": None})
plainv = [{}]
job = api("POST", WJ, [wid], body={
    "urls": ["/", "shop/a", "http://127.0.0.1:8080/b?c=d"],
    "variants": [{}, {"currency": "EUR"}]}, token=alice, status=201)
jid = job["id"]
expect("a job queued", (job["status"], job["urls_total"], job["trigger"]),
       ("queued", 6, "manual"))
j2 = api("POST", WJ, [wid], body={"urls": ["/x"], "variants": plainv},
         token=alice, status=201)["id"]
api("GET", J, [jid], token=bob)
page = api("GET", WJ, [wid], token=bob, query="?limit=1")
expect("newest first", ([j["id"] for j in page["jobs"]], page["next_before"]),
       ([j2], j2))
page = api("GET", WJ, [wid], token=bob, query="?limit=1&before=%d" % j2)
expect("then the next", [j["id"] for j in page["jobs"]], [jid])
page = api("GET", JR, [jid], token=bob)
expect("no result yet", page, {"results": [], "next_cursor": None})
api("GET", JR, [jid], token=bob, query="?sort=ttfb&order=desc&outcome=cached"
    "&cache_status=hit&status=200&url=shop&fragment=false&limit=1000")
api("GET", JR, [jid], token=bob, accept="text/csv")
for q in ("?sort=name", "?order=up", "?outcome=great", "?status=99",
          "?limit=0", "?limit=1001", "?fragment=yes"):
    api("GET", JR, [jid], token=bob, query=q, status=422, code="invalid")
for q in ("?cursor=abc", "?sort=url&cursor=aWQgYXNjIDEgMQ"):
    api("GET", JR, [jid], token=bob, query=q, status=422,
        code="invalid_cursor")
api("GET", WJ, [wid], token=bob, query="?limit=101", status=422,
    code="invalid")
api("GET", WJ, [wid], token=bob, query="?before=0", status=422,
    code="invalid")
JE, WE = "/api/jobs/{id}/events", "/api/websites/{id}/events"
for t in (J, JR, JE):
    api("GET", t, [999999], token=bob, status=404, code="not_found")
api("GET", WE, [999999], token=bob, status=404, code="not_found")
api("GET", JE, [jid], status=401, code="unauthorized")
api("GET", JE, [jid], token=bob, query="?last_event_id=x", status=422,
    code="invalid")
# A website's stream: its jobs as they are, then an invalidation.
evs = stream(WE, [wid], bob, lambda e: any(
    n == "invalidation" for n, _, _ in e), sql_after=(
    "INSERT INTO invalidation_events (website_id, kind, subject)"
    " VALUES (%d, 'purge', '/shop/a')" % wid))
check_events(WE, evs)
expect("a website's stream: its jobs, an invalidation",
       sorted({n for n, _, _ in evs}), ["invalidation", "progress"])
api("GET", WJ, [999999], token=bob, status=404, code="not_found")
api("GET", J, [jid], status=401, code="unauthorized")
# Creation: each refusal the handler has, the body held to the schema.
for body, status, code in (
        ({"urls": ["/a", "http://evil.example/x"]}, 422, "foreign_host"),
        ({}, 201, None),
        ({"variants": plainv}, 201, None),
        ({"sitemap_url": "http://127.0.0.1:8080/sitemap.xml"}, 201, None),
        ({"sitemap_url": "http://evil.example/sitemap.xml"}, 422,
         "foreign_host"),
        ({"sitemap_url": "ftp://127.0.0.1/sitemap.xml"}, 422, "invalid_url"),
        ({"urls": ["/"], "sitemap_url": "http://127.0.0.1:8080/s.xml"}, 422,
         "invalid"),
        ({"urls": ["/p%d" % i for i in range(1001)]}, 402, "plan_limit"),
        ({"urls": ["/a b"]}, 422, "invalid_url"),
        ({"urls": ["ftp://127.0.0.1/"]}, 422, "invalid_url"),
        ({"urls": []}, 422, "required"),
        ({"urls": [""]}, 422, "required"),
        ({"urls": ["http://127.0.0.1:8080/" + "a" * 2026],
          "variants": plainv}, 201, None),
        ({"urls": ["/" + "a" * 2047]}, 422, "invalid_url"),
        ({"urls": ["/" + "a" * 2048]}, 422, "too_long"),
        ({"urls": "/"}, 422, "invalid"),
        ({"urls": None}, 422, "invalid"),
        ({"urls": [5]}, 422, "invalid"),
        ({"urls": ["/"], "variants": None}, 422, "invalid"),
        ({"urls": ["/"], "variants": [{}] * 65}, 422, "too_long"),
        ({"urls": ["/"], "variants": [{"Currency": "EUR"}]}, 422, "invalid"),
        ({"urls": ["/"], "variants": [{"k" * 33: "v"}]}, 422, "too_long"),
        ({"urls": ["/"], "variants": [{"k": "v" * 129}]}, 422, "too_long"),
        ({"urls": ["/"], "variants": [{"k": 5}]}, 422, "invalid"),
        ({"urls": ["/"], "variants": [dict(("k%d" % i, "v")
                                           for i in range(17))]},
         422, "too_long"),
        ({"urls": ["/"], "sitemap": True}, 400, "unknown_field")):
    api("POST", WJ, [wid], body=body, token=alice, status=status, code=code)
api("POST", WJ, [wid], body={"urls": ["/"]}, token=bob, status=403,
    code="forbidden")
api("POST", WJ, [999999], body={"urls": ["/"]}, token=alice, status=404)
api("POST", WJ, [wid], raw=b"urls=/", ctype="text/plain", token=alice,
    status=415, code="unsupported_media_type")
# Cancelling: an owner's or an admin's, once.
api("DELETE", J, [jid], token=bob, status=403, code="forbidden")
x = api("DELETE", J, [jid], token=alice)
expect("cancelled", (x["status"], bool(x["finished_at"])), ("cancelled", True))
api("DELETE", J, [jid], token=alice, status=409, code="job_ended")
# The stream of a job that has ended: its progress, its end, and it
# closes.
st, headers, text = call("GET", "/api/jobs/%d/events" % jid, token=bob)
expect("an ended job's stream", st, 200)
evs = sse_events(text.decode())
check_events(JE, evs)
expect("an ended job's stream: progress, end",
       [n for n, _, _ in evs], ["progress", "end"])
api("GET", JE, [jid], token=bob)
api("DELETE", J, [999999], token=alice, status=404, code="not_found")

# Purge.  Nothing listens on the node (port 9): every entry is its
# error, and the answer 200 all the same.
PG = "/api/websites/{id}/purge"
api("POST", PG, [wid], body={"urls": ["/a"]}, token=alice, status=422,
    code="no_nodes")
api("PUT", W, [wid], body={"varnish_nodes": ["http://127.0.0.1:9"],
                           "cache_type": "varnish"}, token=alice)
rep = api("POST", PG, [wid], body={"urls": ["/a", "http://127.0.0.1:8080/b"]},
          token=alice)
expect("a purge of a node down", (rep["purged"], rep["failed"], rep["job"],
                                  [e["ok"] for e in rep["results"]]),
       (0, 2, None, [False, False]))
api("POST", PG, [wid], body={"tags": ["product-1"]}, token=alice,
    status=422, code="tags_unsupported")
api("PUT", W, [wid], body={"cache_type": "shopware"}, token=alice)
rep = api("POST", PG, [wid], body={"tags": ["product-1", "a" * 128],
                                   "urls": ["/"], "hard": True}, token=alice)
expect("tags too", [e.get("tag") for e in rep["results"]],
       [None, "product-1", "a" * 128])
for body, status, code in (
        ({}, 422, "required"),
        ({"urls": [], "tags": []}, 422, "required"),
        ({"hard": True}, 422, "required"),
        ({"urls": ["/"] * 101}, 422, "too_long"),
        ({"tags": ["t"] * 101}, 422, "too_long"),
        ({"tags": ["a b"]}, 422, "invalid"),
        ({"tags": ["a,b"]}, 422, "invalid"),
        ({"tags": ["x" * 129]}, 422, "too_long"),
        ({"tags": [""]}, 422, "required"),
        ({"urls": [""]}, 422, "required"),
        ({"urls": ["/" + "a" * 2048]}, 422, "too_long"),
        ({"urls": "/"}, 422, "invalid"),
        ({"urls": ["/"], "hard": "yes"}, 422, "invalid"),
        ({"urls": ["http://evil.example/"]}, 422, "foreign_host"),
        ({"urls": ["/a b"]}, 422, "invalid_url"),
        ({"urls": ["/"], "ban": ".*"}, 400, "unknown_field")):
    api("POST", PG, [wid], body=body, token=alice, status=status, code=code)
api("POST", PG, [wid], body={"urls": ["/"]}, token=bob, status=403,
    code="forbidden")
api("POST", PG, [999999], body={"urls": ["/"]}, token=alice, status=404)

sql("UPDATE projects SET plan_id = (SELECT id FROM plans WHERE name = 'pro')"
    " WHERE id = %d" % pid)
w2 = api("POST", WS, [pid], body={"base_url": "http://127.0.0.1:8081/"},
         token=alice, status=201)["id"]
api("POST", WS, [pid], body={"base_url": "http://127.0.0.1:8081/"},
    token=alice, status=409, code="conflict")
api("PUT", W, [w2], body={"base_url": "http://127.0.0.1:8080/"},
    token=alice, status=409, code="conflict")
api("DELETE", W, [w2], token=bob, status=403)
api("DELETE", W, [w2], token=alice, status=204)
api("DELETE", W, [w2], token=alice, status=404)

# API keys: made, shown once, used within their scopes, revoked.
KS, K = "/api/projects/{id}/keys", "/api/projects/{id}/keys/{key_id}"
rk = api("POST", KS, [pid], body={"name": "CI"}, token=alice, status=201)
jk = api("POST", KS, [pid], body={"name": "x" * 200,
                                  "scopes": ["read", "jobs", "purge"]},
         token=alice, status=201)
expect("listed without the key", [sorted(k) for k in api(
    "GET", KS, [pid], token=bob)["keys"]], [sorted(set(rk) - {"key"})] * 2)
for body, status, code in (
        ({"name": "CI", "scopes": []}, 422, "required"),
        ({"name": "CI", "scopes": ["admin"]}, 422, "invalid"),
        ({"name": "CI", "scopes": ["read", "read"]}, 422, "invalid"),
        ({"name": "CI", "scopes": ["read", "jobs", "purge", "read"]}, 422,
         "too_long"),
        ({"name": "x" * 201}, 422, "too_long"),
        ({"name": ""}, 422, "required"),
        ({"name": "CI", "expires": 1}, 400, "unknown_field")):
    api("POST", KS, [pid], body=body, token=alice, status=status, code=code)
api("POST", KS, [pid], body={"name": "mine"}, token=bob, status=403,
    code="forbidden")
api("GET", P, [pid], token=rk["key"])
api("GET", JR, [jid], token=rk["key"])
api("GET", MS, [pid], token=jk["key"], status=403, code="key_scope")
api("POST", WJ, [wid], body={"urls": ["/"]}, token=rk["key"], status=403,
    code="key_scope")
api("GET", "/api/auth/me", token=jk["key"], status=403, code="key_scope")
api("DELETE", K, [pid, rk["id"]], token=bob, status=403, code="forbidden")
api("DELETE", K, [pid, rk["id"]], token=alice, status=204)
api("DELETE", K, [pid, rk["id"]], token=alice, status=409,
    code="key_revoked")
api("DELETE", K, [pid, 999999], token=alice, status=404, code="not_found")
api("GET", P, [pid], token=rk["key"], status=401, code="invalid_key")
api("GET", P, [pid], token="stk_nope", status=401, code="invalid_key")

# Agents: made, listed, their routes called with their token, revoked.
AGS, AGI = "/api/websites/{id}/agents", "/api/websites/{id}/agents/{agent_id}"
HELLO, BATCHES = "/api/agent/v1/hello", "/api/agent/v1/batches"
COMMANDS, CLAIM = "/api/agent/v1/commands", "/api/agent/v1/tasks/claim"
ag = api("POST", AGS, [wid], body={"name": "node-a"}, token=alice,
         status=201)
api("POST", AGS, [wid], body={"name": ""}, token=alice, status=422,
    code="required")
api("POST", AGS, [wid], body={"name": "x", "node": "y"}, token=alice,
    status=400, code="unknown_field")
api("POST", AGS, [wid], body={"name": "x"}, token=bob, status=403,
    code="forbidden")
api("GET", AGS, [wid], token=bob)
api("GET", AGS, [999999], token=bob, status=404, code="not_found")
api("GET", AGS, [wid], token=ag["token"], status=401, code="invalid_token")
api("GET", AGS, [wid], token=jk["key"], status=403, code="key_scope")
api("POST", HELLO, body={"name": "node-a", "version": "0.1", "node": None,
                         "run": "r"}, token=ag["token"])
api("POST", HELLO, body={"name": "node-a", "cluster": 1}, token=ag["token"],
    status=400, code="unknown_field")
api("POST", HELLO, body={"name": "n"}, token=alice, status=401,
    code="invalid_agent_token")
api("POST", BATCHES, body={"batch": "r:1", "sent_at": 1796600000.5,
                           "traffic": [{"minute": 1796600000, "host":
                                        "127.0.0.1", "hits": 1, "misses": 0,
                                        "passes": 0}]}, token=ag["token"])
api("POST", BATCHES, body={"batch": "r:1", "sent_at": 1796600000.5},
    token=ag["token"])
api("POST", BATCHES, body={"batch": "r:2", "sent_at": 1, "results": [
    {"key": "x", "job": "y", "url": "/", "outcome": "cached",
     "recorded_at": 1}]}, token=ag["token"], status=422, code="invalid")
api("POST", BATCHES, raw=b"{}", encoding="gzip", token=ag["token"],
    status=400, code="bad_gzip")
api("POST", BATCHES, raw=b"x", ctype="text/plain", token=ag["token"],
    status=415, code="unsupported_media_type")
api("GET", COMMANDS, token=ag["token"], query="?after=0&wait=0")
api("GET", COMMANDS, token=ag["token"], query="?wait=31", status=422,
    code="invalid")
api("POST", CLAIM, body={"max": 10}, token=ag["token"])
api("POST", CLAIM, body={"max": 0}, token=ag["token"], status=422,
    code="out_of_range")
api("POST", CLAIM, body={"max": 1, "job": 1}, token=ag["token"], status=400,
    code="unknown_field")
api("POST", BATCHES, body={"batch": "r:3", "sent_at": 1796600000.5,
                           "tasks": [{"task": 999999, "ok": True,
                                      "outcome": "cached",
                                      "recorded_at": 1796600000}]},
    token=ag["token"])
api("POST", BATCHES, body={"batch": "r:4", "sent_at": 1, "tasks": [
    {"task": 0, "ok": True, "outcome": "cached", "recorded_at": 1}]},
    token=ag["token"], status=422, code="out_of_range")
api("DELETE", AGI, [wid, ag["id"]], token=bob, status=403, code="forbidden")
api("DELETE", AGI, [wid, ag["id"]], token=alice, status=204)
api("DELETE", AGI, [wid, ag["id"]], token=alice, status=404,
    code="not_found")
api("GET", COMMANDS, token=ag["token"], status=401,
    code="invalid_agent_token")

# Analytics, recommendations, invalidations, plans and usage.  A purge
# and its re-warm job's results, written as stoked run writes them, so
# that every part of the answers holds something.
sql("WITH j AS (INSERT INTO cache_jobs (website_id, trigger, source, status,"
    " created_at, urls_total, urls_completed) VALUES (%d, 'purge',"
    " '/p', 'done', now() - interval '1 minute', 3, 3) RETURNING id),"
    " e AS (INSERT INTO invalidation_events (website_id, kind, node, subject,"
    " objects_dropped, objects_queued, job_id, occurred_at) SELECT %d,"
    " 'purge', 'http://127.0.0.1:6081', '/p', 2, 3, id,"
    " now() - interval '1 minute' FROM j)"
    " INSERT INTO page_results (job_id, website_id, url, status, load_ms,"
    " ttfb_ms, cache_status, outcome, reason) SELECT j.id, %d, u, 200,"
    " 12.5, 3.5, c, o::warm_outcome, r FROM j, (VALUES"
    " ('http://127.0.0.1:8080/p', 'miss', 'cached', NULL),"
    " ('http://127.0.0.1:8080/a', 'hit', 'fresh', NULL),"
    " ('http://127.0.0.1:8080/me', 'miss', 'uncacheable', 'Set-Cookie'))"
    " AS x(u, c, o, r)" % (wid, wid, wid))
sql("INSERT INTO invalidation_events (website_id, kind, subject)"
    " VALUES (%d, 'ban', 'obj.http.x-url ~ ^/c')" % wid)
# A result's headers kept, and one's none: both as the Result says.
pj = int(subprocess.run([
    "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", PGURL, "-c",
    "SELECT max(id) FROM cache_jobs WHERE website_id = %d"
    " AND trigger = 'purge'" % wid], check=True,
    stdout=subprocess.PIPE).stdout)
sql("UPDATE page_results SET headers = '{\"X-Varnish\": \"32770 8\","
    " \"Age\": \"0\", \"Set-Cookie\": \"session\"}' WHERE job_id = %d"
    " AND url LIKE '%%/p'" % pj)
kept = api("GET", JR, [pj], token=bob, query="?sort=url")["results"]
expect("results: the headers kept, or null", [r["headers"] for r in kept], [
    None, None, {"X-Varnish": "32770 8", "Age": "0", "Set-Cookie": "session"}])
WA, PA = "/api/websites/{id}/analytics", "/api/projects/{id}/analytics"
DA, WR = "/api/analytics/dashboard", "/api/websites/{id}/recommendations"
WI, PU = "/api/websites/{id}/invalidations", "/api/projects/{id}/usage"
a = api("GET", WA, [wid], token=bob)
expect("analytics: the results", (a["totals"]["results"],
                                  a["totals"]["rewarm_ms"]["n"]), (3, 2))
api("GET", WA, [wid], token=bob, query="?bucket=day&slowest=25")
api("GET", PA, [pid], token=bob, query="?from=2026-01-01T00:00:00Z"
    "&to=2026-01-02T00:00:00%2B01:00")
api("GET", DA, token=bob)
ov = api("GET", "/api/overview", token=bob)
expect("the overview: the website, its job", (
    wid in [w["id"] for w in ov["websites"]],
    [len(w["jobs"]) > 0 for w in ov["websites"] if w["id"] == wid]),
    (True, [True]))
api("GET", "/api/overview", status=401, code="unauthorized")
rec = api("GET", WR, [wid], token=bob)
expect("a recommendation", [r["reason"] for r in rec["recommendations"]],
       ["set_cookie"])
for t, args in ((WA, [wid]), (PA, [pid]), (DA, [])):
    for q, code in (("?bucket=week", "invalid"), ("?from=yesterday", "invalid"),
                    ("?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
                     "invalid_range"),
                    ("?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
                     "invalid_range"),
                    ("?from=2026-01-01T00:00:00Z&to=2026-02-01T01:00:00Z",
                     "too_many_buckets"), ("?slowest=26", "invalid")):
        api("GET", t, args, token=bob, query=q, status=422, code=code)
for t in (WA, WR, WI):
    api("GET", t, [999999], token=bob, status=404, code="not_found")
    api("GET", t, [wid], status=401, code="unauthorized")
api("GET", PA, [999999], token=bob, status=404, code="not_found")
api("GET", PU, [999999], token=bob, status=404, code="not_found")
iv = api("GET", WI, [wid], token=bob, query="?limit=1")
expect("the ban first", iv["invalidations"][0]["kind"], "ban")
iv = api("GET", WI, [wid], token=bob, query="?before=%d" % iv["next_before"])
expect("then the purge, with its job", (
    iv["invalidations"][0]["kind"], iv["invalidations"][0]["job"]["status"]),
    ("purge", "done"))
for q in ("?kind=expiry", "?limit=0", "?before=x"):
    api("GET", WI, [wid], token=bob, query=q, status=422, code="invalid")
plans = api("GET", "/api/plans")
expect("three plans", [p["name"] for p in plans["plans"]],
       ["free", "pro", "unlimited"])
u = api("GET", PU, [pid], token=bob)
expect("usage", (u["plan"]["name"], u["websites"], u["warms_today"]["used"]),
       ("pro", {"used": 1, "max": 20, "remaining": 19}, 3))

# Notification channels, a test of one, and the deliveries.  Nobody
# delivers here (no worker): the test's delivery stays pending.
CH = "/api/projects/{id}/channels"
C1 = CH + "/{channel_id}"
CT, DL = C1 + "/test", "/api/projects/{id}/deliveries"
hook = api("POST", CH, [pid], body={
    "kind": "webhook", "name": "CI", "url": "http://127.0.0.1:9/hook",
    "events": ["job.finished", "anomaly.*"],
    "settings": {"hit_ratio_below": 0.3}}, token=alice, status=201)
expect("a webhook's secret, once", hook["secret"].startswith("whsec_"), True)
mail = api("POST", CH, [pid], body={
    "kind": "email", "name": "Ops", "recipients": ["ops@shop.example"],
    "events": ["report.weekly"], "enabled": False}, token=alice,
    status=201)
expect("no secret for e-mail", "secret" in mail, False)
api("POST", CH, [pid], body={"kind": "fax", "name": "x", "url":
    "http://127.0.0.1:9/", "events": ["job.failed"]}, token=alice,
    status=422, code="invalid")
api("POST", CH, [pid], body={"kind": "slack", "name": "x",
    "events": ["job.failed"]}, token=alice, status=422, code="required")
api("POST", CH, [pid], body={"kind": "slack", "name": "x", "url":
    "http://127.0.0.1:9/", "events": ["job.done"]}, token=alice,
    status=422, code="invalid")
api("POST", CH, [pid], body={"kind": "email", "name": "x",
    "recipients": ["no address"], "events": ["job.failed"]}, token=alice,
    status=422, code="invalid_email")
api("POST", CH, [pid], body={"name": "x"}, token=alice, status=422,
    code="required")
lst = api("GET", CH, [pid], token=alice)
expect("two channels, no secret", ([c["kind"] for c in lst["channels"]],
       any("secret" in c for c in lst["channels"])), (["webhook", "email"],
                                                     False))
api("PATCH", C1, [pid, hook["id"]], body={"name": "CI hooks",
    "enabled": False}, token=alice)
api("PATCH", C1, [pid, mail["id"]], body={"url": "http://127.0.0.1:9/"},
    token=alice, status=422, code="kind_field")
api("PATCH", C1, [pid, 999999], body={"name": "x"}, token=alice,
    status=404, code="not_found")
d = api("POST", CT, [pid, hook["id"]], token=alice, status=202)
expect("a test, pending", (d["event"], d["status"], d["attempts"]),
       ("channel.test", "pending", 0))
dl = api("GET", DL, [pid], token=alice, query="?limit=1")
expect("the test delivered... not yet", dl["deliveries"][0]["id"], d["id"])
api("GET", DL, [pid], token=alice, query="?limit=0", status=422,
    code="invalid")
api("GET", DL, [999999], token=alice, status=404, code="not_found")
api("DELETE", C1, [pid, mail["id"]], token=alice, status=204)
api("DELETE", C1, [pid, mail["id"]], token=alice, status=404)

# The end of it all
api("DELETE", M, [pid, bob_id], token=alice, status=204)
api("DELETE", M, [pid, bob_id], token=alice, status=404)
api("DELETE", P, [pid], token=alice, status=204)
api("POST", "/api/auth/logout", token=alice, status=204)
api("GET", "/api/auth/me", token=alice, status=401, code="token_revoked")
api("POST", "/api/auth/logout", token=alice, status=401)

# Every route was answered its success at least once.
for (method, path) in sorted(served):
    op = DOC["paths"][path][method.lower()]
    ok = [k for k in op["responses"] if k.startswith("2")][0]
    expect("%s %s answered %s" % (method, path, ok),
           (method, path, int(ok)) in exercised, True)

print("openapi.py: %d checks, %d routes, %d schemas, %d answers validated"
      % (checks, len(served), nschema, len(exercised)))
