/*
 * Analytics and VCL recommendations over the tenants' API.  The range
 * is read and checked here, on the loop, widened to whole buckets, and
 * handed to the store, which reads the rollups for the caller; the
 * recommendations are the store's reasons, each joined here to what
 * Stoke advises for it (api_an_advice[]).
 */

#define _GNU_SOURCE /* timegm() */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "store/analytics_store.h"
#include "api_analytics.h"
#include "api_answer.h"
#include "api_tenant.h"

#define AN_DEFAULT_RANGE (24 * 3600)
#define AN_REASONS_RANGE (7 * 24 * 3600)
#define AN_RANGE_MAX (93 * 24 * 3600)
#define AN_BUCKETS_MAX 744
#define AN_SLOW_DEFAULT 10
#define AN_SLOW_MAX 25
/* Real numbers as PostgreSQL wrote them (api_tresults.c). */
#define AN_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/*--------------------------------------------------------------------
 * What to change, for each reason an uncacheable result gave
 * (uncacheable_reason() in 0009_analytics.sql).  The VCL is VCL 4.1 for
 * Varnish 7.1, whole subroutines that Varnish appends to its own; the
 * paths in it are examples to adapt.
 */

struct api_an_advice {
	const char *reason;
	const char *title;
	const char *change;
	const char *vcl; /* NULL: nothing VCL alone should do */
};

static const struct api_an_advice api_an_advice[] = {
	{ "set_cookie",
	    "The origin sets a cookie on pages that could be shared",
	    "Varnish's builtin VCL never caches a response with Set-Cookie: "
	    "it makes it a hit-for-miss for two minutes, so every visitor "
	    "goes to the origin.  Have the origin send no session cookie to "
	    "anonymous visitors on these pages; for static files and pages "
	    "that are the same for everyone, drop the header in "
	    "vcl_backend_response (never on login, cart or account pages).",
	    "sub vcl_backend_response {\n"
	    "\t# Static files and catalogue pages are the same for everyone:\n"
	    "\t# the cookie the origin sets on them is not needed.\n"
	    "\tif (bereq.url ~ \"^/(category|product)/\" ||\n"
	    "\t    bereq.url ~ "
	    "\"(?i)\\.(css|js|png|jpe?g|gif|svg|webp|woff2?)(\\?.*)?$\") {\n"
	    "\t\tunset beresp.http.Set-Cookie;\n"
	    "\t}\n"
	    "}\n" },
	{ "private", "The origin marks pages Cache-Control: private",
	    "private asks shared caches not to keep the page, and the "
	    "builtin VCL obeys.  If these pages are in fact the same for "
	    "every visitor, send public (with max-age or s-maxage) from the "
	    "origin.  Overriding it in VCL is safe only for paths that never "
	    "hold anything personal: set a TTL and deliver before the "
	    "builtin VCL runs; the header still keeps browsers' copies "
	    "private.",
	    "sub vcl_backend_response {\n"
	    "\t# Only paths that hold nothing personal.\n"
	    "\tif (bereq.url ~ \"^/(category|product)/\" &&\n"
	    "\t    beresp.http.Cache-Control ~ \"(?i)\\bprivate\\b\" &&\n"
	    "\t    !beresp.http.Set-Cookie) {\n"
	    "\t\tset beresp.ttl = 10m;\n"
	    "\t\tset beresp.grace = 1h;\n"
	    "\t\treturn (deliver);\n"
	    "\t}\n"
	    "}\n" },
	{ "no_store", "The origin sends Cache-Control: no-store",
	    "no-store forbids any cache to keep the response, and the "
	    "builtin VCL makes it a hit-for-miss.  Send no-store from the "
	    "origin only for what must never be stored (account, checkout); "
	    "for pages that may be shared, send public with a max-age, or "
	    "s-maxage for Varnish alone.  As with private, a VCL override is "
	    "safe only for paths that hold nothing personal.",
	    "sub vcl_backend_response {\n"
	    "\t# Only paths that hold nothing personal.\n"
	    "\tif (bereq.url ~ \"^/(category|product)/\" &&\n"
	    "\t    beresp.http.Cache-Control ~ \"(?i)\\bno-store\\b\" &&\n"
	    "\t    !beresp.http.Set-Cookie) {\n"
	    "\t\tset beresp.ttl = 10m;\n"
	    "\t\tset beresp.grace = 1h;\n"
	    "\t\treturn (deliver);\n"
	    "\t}\n"
	    "}\n" },
	{ "no_cache", "The origin sends Cache-Control: no-cache",
	    "no-cache asks caches to check with the origin before every "
	    "use; the builtin VCL does not cache it at all.  If the pages "
	    "may be a little stale, send a short max-age or s-maxage from "
	    "the origin; Varnish's grace then serves the old copy while it "
	    "fetches the new one.",
	    "sub vcl_backend_response {\n"
	    "\t# Only paths that hold nothing personal.\n"
	    "\tif (bereq.url ~ \"^/(category|product)/\" &&\n"
	    "\t    beresp.http.Cache-Control ~ \"(?i)\\bno-cache\\b\" &&\n"
	    "\t    !beresp.http.Set-Cookie) {\n"
	    "\t\tset beresp.ttl = 1m;\n"
	    "\t\tset beresp.grace = 1h;\n"
	    "\t\treturn (deliver);\n"
	    "\t}\n"
	    "}\n" },
	{ "zero_ttl", "Pages come with no time to live",
	    "max-age=0 (or an Expires in the past) gives the object a TTL "
	    "of zero: Varnish does not keep it, and a warm request warms "
	    "nothing.  Send a max-age or s-maxage from the origin, or give "
	    "such pages a TTL in VCL, with grace so that visitors get the "
	    "cached copy while it is refreshed.",
	    "sub vcl_backend_response {\n"
	    "\tif (beresp.ttl <= 0s && bereq.url ~ \"^/(category|product)/\" "
	    "&&\n"
	    "\t    !beresp.http.Set-Cookie) {\n"
	    "\t\tset beresp.ttl = 5m;\n"
	    "\t\tset beresp.grace = 1h;\n"
	    "\t}\n"
	    "}\n" },
	{ "pass", "The VCL passes these requests",
	    "vcl_recv returned pass, so Varnish never looked in its cache. "
	    " The builtin VCL passes every request with a Cookie or an "
	    "Authorization header, and every method but GET and HEAD; a "
	    "site's own vcl_recv may pass more.  Strip the cookies the pages "
	    "do not need before the builtin VCL sees them, and check the "
	    "return (pass) rules of the site's vcl_recv.",
	    "sub vcl_recv {\n"
	    "\t# Catalogue pages need no cookie: without one, the builtin\n"
	    "\t# VCL looks them up instead of passing them.\n"
	    "\tif (req.url ~ \"^/(category|product)/\") {\n"
	    "\t\tunset req.http.Cookie;\n"
	    "\t}\n"
	    "}\n" },
	{ "hit_for_miss", "Varnish keeps these pages as hit-for-miss",
	    "The response was made uncacheable in vcl_backend_response "
	    "(beresp.uncacheable): for its TTL, requests for the URL go to "
	    "the origin one by one.  The builtin VCL does this for a zero "
	    "TTL, Set-Cookie, Surrogate-Control: no-store, Cache-Control "
	    "no-cache, no-store or private, and Vary: *.  Find which with "
	    "varnishlog -g request -q 'ReqURL eq \"/the/url\"' -i "
	    "BerespHeader,TTL; fix it at the origin, and keep hit-for-miss "
	    "objects short so that a fixed page is cached soon.",
	    "sub vcl_backend_response {\n"
	    "\t# Vary: * matches no other request; vary on what the pages\n"
	    "\t# depend on instead.\n"
	    "\tif (beresp.http.Vary == \"*\") {\n"
	    "\t\tset beresp.http.Vary = \"Accept-Encoding\";\n"
	    "\t}\n"
	    "\t# Ten seconds of hit-for-miss rather than the builtin's two\n"
	    "\t# minutes.\n"
	    "\tif (beresp.ttl <= 0s || beresp.http.Set-Cookie) {\n"
	    "\t\tset beresp.ttl = 10s;\n"
	    "\t\tset beresp.uncacheable = true;\n"
	    "\t\treturn (deliver);\n"
	    "\t}\n"
	    "}\n" },
	{ "other", "Uncacheable for another reason",
	    "The warm request's answer did not say why Varnish would not "
	    "keep the page.  Look at one of the examples with varnishlog -g "
	    "request, at its TTL and VCL_return records.",
	    NULL },
};
#define API_AN_NADVICE (sizeof api_an_advice / sizeof api_an_advice[0])

/*--------------------------------------------------------------------
 * How each route answers what the store says
 */

static const struct api_answer op_website = { .ok = 200,
	.what = "reading a website's analytics",
	.not_found = "no such website" };
static const struct api_answer op_project = { .ok = 200,
	.what = "reading a project's analytics",
	.not_found = "no such project" };
static const struct api_answer op_dashboard = { .ok = 200,
	.what = "reading the dashboard" };
static const struct api_answer op_reasons = { .ok = 200,
	.what = "reading recommendations",
	.not_found = "no such website" };

struct api_an {
	unsigned magic;
#define API_AN_MAGIC 0x5e7a0c71
	struct api_req *r;
	const struct api_answer *op;
};

static struct api_an *
api_an_new(struct api_req *r, const struct api_answer *op)
{
	struct api_an *a;

	ALLOC_OBJ(a, API_AN_MAGIC);
	AN(a);
	a->r = r;
	a->op = op;
	return (a);
}

static void
api_an_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_an *a;
	struct api_req *r;
	const struct api_answer *op;

	CAST_OBJ_NOTNULL(a, priv, API_AN_MAGIC);
	r = a->r;
	op = a->op;
	FREE_OBJ(a);
	api_answer(r, op, st, json, err);
}

/*--------------------------------------------------------------------
 * The range
 */

static int
api_an_digits(const char *s, unsigned n, int *v)
{
	unsigned u;

	*v = 0;
	for (u = 0; u < n; u++) {
		if (s[u] < '0' || s[u] > '9')
			return (-1);
		*v = *v * 10 + (s[u] - '0');
	}
	return (0);
}

/*
 * An RFC 3339 date-time ("2026-03-01T12:00:00Z", "...T12:00:00.5+01:00")
 * as seconds since the epoch, fractions dropped; -1 if it is not one.
 * A query string's + arrives as a space, so a space is read as + in
 * the offset.
 */
static int
api_an_time(const char *s, int64_t *t)
{
	struct tm tm, back;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	time_t e;

	if (strlen(s) < 20 || api_an_digits(s, 4, &y) || s[4] != '-' ||
	    api_an_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    api_an_digits(s + 8, 2, &d) || strchr("Tt", s[10]) == NULL ||
	    api_an_digits(s + 11, 2, &h) || s[13] != ':' ||
	    api_an_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    api_an_digits(s + 17, 2, &sec))
		return (-1);
	s += 19;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return (-1);
		for (s++; *s >= '0' && *s <= '9'; s++)
			continue;
	}
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0') {
		sign = 0;
	} else if (*s != '\0' && strchr("+- ", *s) != NULL &&
	    !api_an_digits(s + 1, 2, &oh) && s[3] == ':' &&
	    !api_an_digits(s + 4, 2, &om) && s[6] == '\0') {
		sign = *s == '-' ? -1 : 1;
	} else {
		return (-1);
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return (-1);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second */
	back = tm;
	e = timegm(&tm);
	/* timegm() carries a 31st of April over; a date does not. */
	if (e == (time_t)-1 || tm.tm_mday != back.tm_mday ||
	    tm.tm_mon != back.tm_mon)
		return (-1);
	*t = (int64_t)e - sign * (oh * 3600 + om * 60);
	return (0);
}

/* One of from and to, or dflt when it is not given; -1 once answered. */
static int
api_an_bound(struct api_req *r, const char *name, int64_t dflt, int64_t *t)
{
	const char *s = api_query(r, name);

	if (s == NULL) {
		*t = dflt;
		return (0);
	}
	if (api_an_time(s, t) == 0 && *t >= 0)
		return (0);
	http_api_error(r, 422, "invalid", name,
	    "%s is an RFC 3339 date and time, such as "
	    "2026-03-01T12:00:00Z (a + in it sent as %%2B)",
	    name);
	return (-1);
}

/* The query's range, whole buckets; -1 once answered. */
static int
api_an_range(struct api_req *r, int64_t span, int bucketed, struct an_range *rg)
{
	const char *b;
	int64_t now, from, to, len, n;
	unsigned u;

	memset(rg, 0, sizeof *rg);
	rg->bucket = AN_HOUR;
	b = bucketed ? api_query(r, "bucket") : NULL;
	for (u = 0; b != NULL && u < AN_BUCKET__MAX; u++)
		if (!strcmp(b, an_bucket_name[u]))
			break;
	if (b != NULL && u == AN_BUCKET__MAX) {
		http_api_error(r, 422, "invalid", "bucket",
		    "bucket is hour or day");
		return (-1);
	}
	if (b != NULL)
		rg->bucket = (enum an_bucket)u;
	now = (int64_t)VTIM_real();
	if (api_an_bound(r, "to", now, &to) != 0)
		return (-1);
	if (api_an_bound(r, "from", to - span, &from) != 0)
		return (-1);
	if (to <= from) {
		http_api_error(r, 422, "invalid_range", "to",
		    "to must be after from");
		return (-1);
	}
	if (to - from > AN_RANGE_MAX) {
		http_api_error(r, 422, "invalid_range", "from",
		    "a range is at most %d days", AN_RANGE_MAX / 86400);
		return (-1);
	}
	len = an_bucket_len[rg->bucket];
	rg->from = from - from % len;
	rg->to = to + (len - to % len) % len;
	n = (rg->to - rg->from) / len;
	/* Unbucketed (recommendations), the range is the only bound. */
	if (bucketed && n > AN_BUCKETS_MAX) {
		http_api_error(r, 422, "too_many_buckets", "bucket",
		    "%jd buckets of an %s; at most %d: ask for days, or a "
		    "shorter range",
		    (intmax_t)n, an_bucket_name[rg->bucket], AN_BUCKETS_MAX);
		return (-1);
	}
	if (api_query_int(r, "slowest", AN_SLOW_DEFAULT, 1, AN_SLOW_MAX, &n) !=
	    0) {
		http_api_error(r, 422, "invalid", "slowest",
		    "slowest is from 1 to %d", AN_SLOW_MAX);
		return (-1);
	}
	rg->slow = (unsigned)n;
	return (0);
}

/* The route's :id; -1 once answered 404. */
static int
api_an_id(struct api_req *r, const char *what, int64_t *id)
{
	if (api_param_id(r, "id", id) == 0)
		return (0);
	http_api_error(r, 404, NULL, "id", "no such %s", what);
	return (-1);
}

static struct api_tenant *
api_an_tenant(void *priv)
{
	struct api_tenant *t;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	return (t);
}

/* The store refused at once: said, and a undone. */
static void
api_an_refused(struct api_an *a, const char *err)
{
	CHECK_OBJ_NOTNULL(a, API_AN_MAGIC);
	http_api_error(a->r, 503, NULL, NULL, "%s", err);
	FREE_OBJ(a);
}

/*--------------------------------------------------------------------
 * Analytics
 */

void
api_website_analytics_get(struct api_req *r, void *priv)
{
	struct api_tenant *t = api_an_tenant(priv);
	struct an_range rg;
	struct api_an *a;
	const char *err;
	int64_t id;

	if (api_an_id(r, "website", &id) != 0 ||
	    api_an_range(r, AN_DEFAULT_RANGE, 1, &rg) != 0)
		return;
	a = api_an_new(r, &op_website);
	if (an_website(t->pool, api_caller(r)->user, id, &rg, api_an_done, a,
	        &err) != 0)
		api_an_refused(a, err);
}

void
api_project_analytics_get(struct api_req *r, void *priv)
{
	struct api_tenant *t = api_an_tenant(priv);
	struct an_range rg;
	struct api_an *a;
	const char *err;
	int64_t id;

	if (api_an_id(r, "project", &id) != 0 ||
	    api_an_range(r, AN_DEFAULT_RANGE, 1, &rg) != 0)
		return;
	a = api_an_new(r, &op_project);
	if (an_project(t->pool, api_caller(r)->user, id, &rg, api_an_done, a,
	        &err) != 0)
		api_an_refused(a, err);
}

void
api_dashboard_get(struct api_req *r, void *priv)
{
	struct api_tenant *t = api_an_tenant(priv);
	struct an_range rg;
	struct api_an *a;
	const char *err;

	if (api_an_range(r, AN_DEFAULT_RANGE, 1, &rg) != 0)
		return;
	a = api_an_new(r, &op_dashboard);
	if (an_dashboard(t->pool, api_caller(r)->user, &rg, api_an_done, a,
	        &err) != 0)
		api_an_refused(a, err);
}

/*--------------------------------------------------------------------
 * Recommendations
 */

static const struct api_an_advice *
api_an_advice_of(const char *reason)
{
	unsigned u;

	for (u = 0; reason != NULL && u < API_AN_NADVICE; u++)
		if (!strcmp(reason, api_an_advice[u].reason))
			return (&api_an_advice[u]);
	/* The last says nothing in particular. */
	return (&api_an_advice[API_AN_NADVICE - 1]);
}

/* The store's reasons, each with its advice. */
static void
api_an_advised(void *priv, enum as_status st, const char *json, const char *err)
{
	const struct api_an_advice *adv;
	struct api_an *a;
	json_t *doc, *list, *out, *rec;
	size_t i;
	char *text;

	CAST_OBJ_NOTNULL(a, priv, API_AN_MAGIC);
	if (st != AS_OK || json == NULL) {
		api_an_done(a, st, json, err);
		return;
	}
	doc = json_loads(json, 0, NULL);
	AN(doc);
	out = json_array();
	AN(out);
	list = json_object_get(doc, "reasons");
	json_array_foreach(list, i, rec)
	{
		adv = api_an_advice_of(
		    json_string_value(json_object_get(rec, "reason")));
		AZ(json_object_set_new(rec, "title", json_string(adv->title)));
		AZ(json_object_set_new(rec, "change",
		    json_string(adv->change)));
		AZ(json_object_set_new(rec, "vcl",
		    adv->vcl != NULL ? json_string(adv->vcl) : json_null()));
		AZ(json_array_append(out, rec));
	}
	AZ(json_object_del(doc, "reasons"));
	AZ(json_object_set_new(doc, "recommendations", out));
	text = json_dumps(doc, AN_JSON_FLAGS);
	AN(text);
	json_decref(doc);
	api_an_done(a, AS_OK, text, NULL);
	free(text);
}

void
api_recommendations_get(struct api_req *r, void *priv)
{
	struct api_tenant *t = api_an_tenant(priv);
	struct an_range rg;
	struct api_an *a;
	const char *err;
	int64_t id;

	if (api_an_id(r, "website", &id) != 0 ||
	    api_an_range(r, AN_REASONS_RANGE, 0, &rg) != 0)
		return;
	a = api_an_new(r, &op_reasons);
	if (an_reasons(t->pool, api_caller(r)->user, id, &rg, api_an_advised, a,
	        &err) != 0)
		api_an_refused(a, err);
}
