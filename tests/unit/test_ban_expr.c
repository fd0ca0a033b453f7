/*
 * Unit tests for ban_expr.c, the Varnish 7.1 ban-expression evaluator.
 * The expected answers are what a real varnishd 7.1.1 did with the same
 * ban given to std.ban() (see the top of ban_expr.c): quotes and
 * backslashes are literal, a missing header matches only !=, obj.status
 * is a string, obj.ttl and obj.age are pinned to the ban time, and the
 * error messages are varnishd's.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "index/ban_expr.h"
#include "unit.h"

#define NOW 1700000000.0

/*--------------------------------------------------------------------
 * A test object: headers are NULL terminated name, value lists
 */

struct tobj {
	const char *const *req;
	const char *const *obj;
	unsigned ncalls; /* header look-ups */
	char last[256]; /* last name looked up */
};

static const char *
tobj_find(struct tobj *t, const char *const *h, const char *name)
{
	t->ncalls++;
	(void)snprintf(t->last, sizeof t->last, "%s", name);
	/* Header names are case-insensitive: that is the index's job */
	for (; h != NULL && *h != NULL; h += 2)
		if (strcasecmp(h[0], name) == 0)
			return (h[1]);
	return (NULL);
}

static const char *
tobj_req(const void *priv, const char *name)
{
	struct tobj *t = (struct tobj *)(uintptr_t)priv;

	return (tobj_find(t, t->req, name));
}

static const char *
tobj_obj(const void *priv, const char *name)
{
	struct tobj *t = (struct tobj *)(uintptr_t)priv;

	return (tobj_find(t, t->obj, name));
}

/* Fetched 10s before NOW, default ttl, grace and keep, status 200 */
static struct ban_subject
subj(const char *url, struct tobj *t)
{
	struct ban_subject s;

	memset(&s, 0, sizeof s);
	s.req_url = url;
	s.req_hdr = tobj_req;
	s.obj_hdr = tobj_obj;
	s.priv = t;
	s.obj_status = 200;
	s.t_origin = NOW - 10;
	s.ttl = 120;
	s.grace = 10;
	s.keep = 0;
	return (s);
}

/* 1 match, 0 no match, -1 did not compile */
static int
m(const char *expr, const struct ban_subject *s)
{
	struct ban_expr *be;
	char err[256];
	int r;

	if (ban_expr_compile(expr, &be, err, sizeof err))
		return (-1);
	r = ban_expr_match(be, s, NOW);
	ban_expr_free(&be);
	return (r);
}

/* The error message, or "OK" */
static const char *
e(const char *expr)
{
	static char err[512];
	struct ban_expr *be;

	if (ban_expr_compile(expr, &be, err, sizeof err) == 0) {
		ban_expr_free(&be);
		return ("OK");
	}
	CHECK(be == NULL);
	return (err);
}

/*--------------------------------------------------------------------*/

static void
test_doc_examples(void)
{
	static const char *const rh_com[] = { "Host", "example.com", NULL };
	static const char *const rh_org[] = { "Host", "example.org", NULL };
	static const char *const oh_foo[] = { "x-url", "/foo/bar", "x-host",
		"example.com", NULL };
	static const char *const oh_other[] = { "x-url", "/foo/bar", "x-host",
		"example.org", NULL };
	struct tobj t1 = { rh_com, oh_foo, 0, "" };
	struct tobj t2 = { rh_org, oh_other, 0, "" };
	struct ban_subject s;

	s = subj("/news/today", &t1);
	CHECK_INT_EQ(m("req.url ~ ^/news/", &s), 1);
	s = subj("/sport/news/", &t1);
	CHECK_INT_EQ(m("req.url ~ ^/news/", &s), 0);

	s = subj("/x", &t1);
	CHECK_INT_EQ(m("obj.http.x-url ~ ^/foo && "
	               "obj.http.x-host == example.com",
	                 &s),
	    1);
	s = subj("/x", &t2);
	CHECK_INT_EQ(m("obj.http.x-url ~ ^/foo && "
	               "obj.http.x-host == example.com",
	                 &s),
	    0);

	s = subj("/img/a.png", &t1);
	CHECK_INT_EQ(m("req.http.host == example.com && req.url ~ \\.png$", &s),
	    1);
	s = subj("/img/a.png", &t2);
	CHECK_INT_EQ(m("req.http.host == example.com && req.url ~ \\.png$", &s),
	    0);
	s = subj("/img/apng", &t1);
	CHECK_INT_EQ(m("req.http.host == example.com && req.url ~ \\.png$", &s),
	    0);

	s = subj("/", &t1);
	s.obj_status = 404;
	CHECK_INT_EQ(m("obj.status == 404", &s), 1);
	s.obj_status = 200;
	CHECK_INT_EQ(m("obj.status == 404", &s), 0);

	/* 120s ttl fetched 10s ago: 110s left */
	CHECK_INT_EQ(m("obj.ttl < 1h", &s), 1);
	s.ttl = 7200;
	CHECK_INT_EQ(m("obj.ttl < 1h", &s), 0);
}

static void
test_string_operators(void)
{
	static const char *const rh[] = { "x-dev", "mobile", NULL };
	static const char *const oh[] = { "x-host", "shop", NULL };
	struct tobj t = { rh, oh, 0, "" };
	struct ban_subject s;

	s = subj("/a/b?c=d", &t);
	CHECK_INT_EQ(m("req.url == /a/b?c=d", &s), 1);
	CHECK_INT_EQ(m("req.url == /a/b", &s), 0);
	CHECK_INT_EQ(m("req.url != /a/b", &s), 1);
	CHECK_INT_EQ(m("req.url != /a/b?c=d", &s), 0);
	CHECK_INT_EQ(m("req.url ~ ^/a/", &s), 1);
	CHECK_INT_EQ(m("req.url ~ ^/b/", &s), 0);
	CHECK_INT_EQ(m("req.url !~ ^/b/", &s), 1);
	CHECK_INT_EQ(m("req.url !~ ^/a/", &s), 0);

	CHECK_INT_EQ(m("req.http.x-dev == mobile", &s), 1);
	CHECK_INT_EQ(m("req.http.x-dev != mobile", &s), 0);
	CHECK_INT_EQ(m("req.http.x-dev ~ ^mob", &s), 1);
	CHECK_INT_EQ(m("req.http.x-dev !~ ^mob", &s), 0);

	CHECK_INT_EQ(m("obj.http.x-host == shop", &s), 1);
	CHECK_INT_EQ(m("obj.http.x-host == Shop", &s), 0); /* strcmp */
	CHECK_INT_EQ(m("obj.http.x-host != shop", &s), 0);
	CHECK_INT_EQ(m("obj.http.x-host ~ ho", &s), 1);
	CHECK_INT_EQ(m("obj.http.x-host !~ ho", &s), 0);
	CHECK_INT_EQ(m("obj.http.x-host !~ HO", &s), 1);
}

static void
test_quoting(void)
{
	static const char *const oh_plain[] = { "x-host", "shop", NULL };
	static const char *const oh_quoted[] = { "x-host", "\"shop\"", NULL };
	static const char *const oh_bs[] = { "x-url", "/x\\.png", NULL };
	struct tobj tp = { NULL, oh_plain, 0, "" };
	struct tobj tq = { NULL, oh_quoted, 0, "" };
	struct tobj tb = { NULL, oh_bs, 0, "" };
	struct ban_subject s;

	/* varnishd 7.1.1, std.ban(): the quotes are part of the argument */
	s = subj("/", &tp);
	CHECK_INT_EQ(m("obj.http.x-host == \"shop\"", &s), 0);
	CHECK_INT_EQ(m("obj.http.x-host == 'shop'", &s), 0);
	CHECK_INT_EQ(m("obj.http.x-host ~ \"shop\"", &s), 0);
	s = subj("/", &tq);
	CHECK_INT_EQ(m("obj.http.x-host == \"shop\"", &s), 1);
	CHECK_INT_EQ(m("obj.http.x-host ~ \"shop\"", &s), 1);

	/* Quotes do not group: "a b" is two tokens */
	CHECK_STR_EQ(e("obj.http.x-host == \"a b\""),
	    "Expected && between conditions, found \"b\"\"");

	/* Backslashes reach the regex and the string as they are */
	s = subj("/", &tb);
	CHECK_INT_EQ(m("obj.http.x-url == /x\\.png", &s), 1);
	CHECK_INT_EQ(m("obj.http.x-url ~ ^/x\\\\\\.png$", &s), 1);
	CHECK_INT_EQ(m("obj.http.x-url ~ \\.png$", &s), 1);
	CHECK_INT_EQ(m("obj.http.x-url ~ ^/x\\.png$", &s), 0);
}

static void
test_header_names(void)
{
	static const char *const rh[] = { "X-Foo", "v", NULL };
	static const char *const oh[] = { "X-Mixed", "v", NULL };
	struct tobj t = { rh, oh, 0, "" };
	struct ban_subject s;

	s = subj("/", &t);
	CHECK_INT_EQ(m("obj.http.x-mixed == v", &s), 1);
	CHECK_STR_EQ(t.last, "x-mixed"); /* passed as written */
	CHECK_INT_EQ(m("obj.http.X-MIXED == v", &s), 1);
	CHECK_STR_EQ(t.last, "X-MIXED");
	CHECK_INT_EQ(m("req.http.x-FOO == v", &s), 1);
	CHECK_STR_EQ(t.last, "x-FOO");

	/* The field names themselves are case-sensitive */
	CHECK_STR_EQ(e("OBJ.HTTP.x == v"),
	    "Unknown or unsupported field \"OBJ.HTTP.x\"");
	CHECK_STR_EQ(e("Req.Url == /"),
	    "Unknown or unsupported field \"Req.Url\"");

	/* 7.1 matches field names as prefixes: req.urlx is req.url */
	CHECK_INT_EQ(m("req.urlx == /", &s), 1);
	CHECK_INT_EQ(m("obj.statusfoo == 200", &s), 1);
	CHECK_INT_EQ(m("obj.ttl_ > 1m", &s), 1);

	/* An empty header name is accepted and never found */
	t.ncalls = 0;
	CHECK_INT_EQ(m("req.http. == v", &s), 0);
	CHECK_INT_EQ(m("req.http. != v", &s), 1);
	CHECK_INT_EQ(m("obj.http. ~ .", &s), 0);
	CHECK_INT_EQ(t.ncalls, 0);

	/* varnishd asserts on names over 126 characters */
	{
		char buf[512];

		(void)snprintf(buf, sizeof buf, "obj.http.%0126d == v", 0);
		CHECK_STR_EQ(e(buf), "OK");
		(void)snprintf(buf, sizeof buf, "obj.http.%0127d == v", 0);
		CHECK(strncmp(e(buf), "Header name too long (max 126): ", 32) ==
		    0);
		(void)snprintf(buf, sizeof buf, "req.http.%0127d == v", 0);
		CHECK(strncmp(e(buf), "Header name too long", 20) == 0);
	}
}

static void
test_absent(void)
{
	static const char *const oh[] = { "x-other", "1", NULL };
	struct tobj t = { NULL, oh, 0, "" };
	struct ban_subject s;

	/*
	 * varnishd 7.1.1: a missing header only matches !=.  (vmod_std(3)
	 * says !~ matches too; the daemon disagrees and wins.)
	 */
	s = subj("/", &t);
	CHECK_INT_EQ(m("obj.http.x-host == bar", &s), 0);
	CHECK_INT_EQ(m("obj.http.x-host != bar", &s), 1);
	CHECK_INT_EQ(m("obj.http.x-host ~ .*", &s), 0);
	CHECK_INT_EQ(m("obj.http.x-host ~ ^$", &s), 0);
	CHECK_INT_EQ(m("obj.http.x-host !~ bar", &s), 0);
	CHECK_INT_EQ(m("req.http.x-host == bar", &s), 0);
	CHECK_INT_EQ(m("req.http.x-host != bar", &s), 1);
	CHECK_INT_EQ(m("req.http.x-host ~ .*", &s), 0);
	CHECK_INT_EQ(m("req.http.x-host !~ bar", &s), 0);

	/* No callbacks at all, no URL: the same */
	s.req_hdr = NULL;
	s.obj_hdr = NULL;
	s.req_url = NULL;
	CHECK_INT_EQ(m("obj.http.x-other == 1", &s), 0);
	CHECK_INT_EQ(m("obj.http.x-other != 1", &s), 1);
	CHECK_INT_EQ(m("req.http.x != 1", &s), 1);
	CHECK_INT_EQ(m("req.http.x !~ 1", &s), 0);
	CHECK_INT_EQ(m("req.url != /", &s), 1);
	CHECK_INT_EQ(m("req.url ~ .", &s), 0);
}

static void
test_empty_value(void)
{
	static const char *const oh[] = { "x-e", "", NULL };
	struct tobj t = { NULL, oh, 0, "" };
	struct ban_subject s;

	s = subj("/", &t);
	CHECK_INT_EQ(m("obj.http.x-e ~ ^$", &s), 1);
	CHECK_INT_EQ(m("obj.http.x-e !~ .", &s), 1);
	CHECK_INT_EQ(m("obj.http.x-e == \"\"", &s), 0);
	CHECK_INT_EQ(m("obj.http.x-e != x", &s), 1);
}

static void
test_status(void)
{
	struct tobj t = { NULL, NULL, 0, "" };
	struct ban_subject s;

	s = subj("/", &t);
	s.obj_status = 404;
	CHECK_INT_EQ(m("obj.status == 404", &s), 1);
	CHECK_INT_EQ(m("obj.status != 404", &s), 0);
	CHECK_INT_EQ(m("obj.status != 200", &s), 1);
	CHECK_INT_EQ(m("obj.status ~ ^4", &s), 1);
	CHECK_INT_EQ(m("obj.status !~ ^4", &s), 0);
	CHECK_INT_EQ(m("obj.status ~ ^40[34]$", &s), 1);
	/* It is text, not a number */
	CHECK_INT_EQ(m("obj.status == 0404", &s), 0);
	CHECK_INT_EQ(m("obj.status == 404.0", &s), 0);
	/* VCL may use the top digits; the stored text drops them */
	s.obj_status = 1404;
	CHECK_INT_EQ(m("obj.status == 404", &s), 1);
	s.obj_status = 503;
	CHECK_INT_EQ(m("obj.status ~ ^5", &s), 1);
	CHECK_INT_EQ(m("obj.status == 404", &s), 0);

	/* Ordering operators are for durations only */
	CHECK_STR_EQ(e("obj.status > 300"),
	    "expected conditional (==, !=, ~ or !~) got \">\"");
	CHECK_STR_EQ(e("obj.status <= 300"),
	    "expected conditional (==, !=, ~ or !~) got \"<=\"");
}

static void
test_ttl_age(void)
{
	struct tobj t = { NULL, NULL, 0, "" };
	struct ban_subject s;

	/* Fetched 30s before the ban with ttl 100: 70s left, 30s old */
	s = subj("/", &t);
	s.t_origin = NOW - 30;
	s.ttl = 100;
	CHECK_INT_EQ(m("obj.ttl == 70s", &s), 1);
	CHECK_INT_EQ(m("obj.ttl != 70s", &s), 0);
	CHECK_INT_EQ(m("obj.ttl < 71s", &s), 1);
	CHECK_INT_EQ(m("obj.ttl < 70s", &s), 0);
	CHECK_INT_EQ(m("obj.ttl <= 70s", &s), 1);
	CHECK_INT_EQ(m("obj.ttl > 69s", &s), 1);
	CHECK_INT_EQ(m("obj.ttl > 70s", &s), 0);
	CHECK_INT_EQ(m("obj.ttl >= 70s", &s), 1);
	CHECK_INT_EQ(m("obj.ttl == 100s", &s), 0);

	CHECK_INT_EQ(m("obj.age == 30s", &s), 1);
	CHECK_INT_EQ(m("obj.age != 30s", &s), 0);
	CHECK_INT_EQ(m("obj.age > 29s", &s), 1);
	CHECK_INT_EQ(m("obj.age > 30s", &s), 0);
	CHECK_INT_EQ(m("obj.age >= 30s", &s), 1);
	CHECK_INT_EQ(m("obj.age < 31s", &s), 1);
	CHECK_INT_EQ(m("obj.age <= 29s", &s), 0);
	CHECK_INT_EQ(m("obj.age < 0.5m", &s), 0);

	/* Expired objects have a negative ttl left */
	s.ttl = 10;
	CHECK_INT_EQ(m("obj.ttl < 0s", &s), 1);
	CHECK_INT_EQ(m("obj.ttl == -20s", &s), 1);
	CHECK_INT_EQ(m("obj.ttl > -21s", &s), 1);

	/* grace and keep are the stored values, not relative to now */
	s.grace = 3600;
	s.keep = 0;
	CHECK_INT_EQ(m("obj.grace == 1h", &s), 1);
	CHECK_INT_EQ(m("obj.grace == 60m", &s), 1);
	CHECK_INT_EQ(m("obj.grace != 1h", &s), 0);
	CHECK_INT_EQ(m("obj.grace > 59m", &s), 1);
	CHECK_INT_EQ(m("obj.grace >= 61m", &s), 0);
	CHECK_INT_EQ(m("obj.keep == 0s", &s), 1);
	CHECK_INT_EQ(m("obj.keep <= 0s", &s), 1);
	CHECK_INT_EQ(m("obj.keep < 0s", &s), 0);
}

static void
test_duration_units(void)
{
	static const struct {
		const char *arg;
		double val;
	} ok[] = { { "1s", 1 }, { "100ms", 0.1 }, { "1.5m", 90 },
		{ "2h", 7200 }, { "1d", 86400 }, { "1w", 604800 },
		{ "1y", 31536000 }, { "0s", 0 }, { "-1s", -1 }, { ".5s", 0.5 },
		{ "-.5s", -0.5 }, { "5.s", 5 }, { "1.25h", 4500 },
		{ "123456789012345s", 123456789012345.0 }, { NULL, 0 } };
	static const char *const bad[] = { "1", "s", "-s", ".s", "-.s", "+1s",
		"1S", "1H", "1e3s", "1 s", "1mss", "1sec", "1.5", "0x10s",
		"1,5s", "1234567890123.5s", "1234567890123456s", "1..5s",
		"--1s", "ms", "1ss", NULL };
	struct tobj t = { NULL, NULL, 0, "" };
	struct ban_subject s;
	char buf[128], msg[160];
	unsigned u;

	s = subj("/", &t);
	for (u = 0; ok[u].arg != NULL; u++) {
		s.grace = ok[u].val;
		(void)snprintf(buf, sizeof buf, "obj.grace == %s", ok[u].arg);
		if (!CHECK_INT_EQ(m(buf, &s), 1))
			fprintf(stderr, "\t%s\n", buf);
	}

	/* Lenient like VNUM_duration(): decimals past the third are dropped */
	s.grace = 1.2345;
	CHECK_INT_EQ(m("obj.grace > 1.2349s", &s), 1); /* 1.234 really */
	CHECK_INT_EQ(m("obj.grace < 1.2351s", &s), 1); /* 1.235 really */
	CHECK_INT_EQ(m("obj.grace > 1.2341s && obj.grace > 1.2345999s", &s), 1);
	CHECK_STR_EQ(e("obj.grace == 1.0000000000000000000000000000000000000"
	               "0000000000000000000000000000000001s"),
	    "OK");
	CHECK_STR_EQ(e("obj.keep == 123456789012.999s"), "OK");

	for (u = 0; bad[u] != NULL; u++) {
		(void)snprintf(buf, sizeof buf, "obj.keep == %s", bad[u]);
		(void)snprintf(msg, sizeof msg,
		    "expected duration <n.nn>[ms|s|m|h|d|w|y] got \"%s\"",
		    bad[u]);
		if (strchr(bad[u], ' ') != NULL)
			continue; /* two tokens; below */
		if (!CHECK_STR_EQ(e(buf), msg))
			fprintf(stderr, "\t%s\n", buf);
	}
	CHECK_STR_EQ(e("obj.keep == 1 s"),
	    "expected duration <n.nn>[ms|s|m|h|d|w|y] got \"1\"");
}

static void
test_regex(void)
{
	struct tobj t = { NULL, NULL, 0, "" };
	struct ban_subject s;

	s = subj("/a?page=2", &t);
	CHECK_INT_EQ(m("req.url ~ \\?page=", &s), 1);
	CHECK_INT_EQ(m("req.url ~ ?page=", &s), -1);
	CHECK_INT_EQ(m("req.url ~ ^/a$", &s), 0);
	CHECK_INT_EQ(m("req.url ~ ^/a", &s), 1);
	CHECK_INT_EQ(m("req.url ~ =2$", &s), 1);
	CHECK_INT_EQ(m("req.url ~ .", &s), 1);
	CHECK_INT_EQ(m("req.url ~ ^", &s), 1);

	s = subj("/x.png", &t);
	CHECK_INT_EQ(m("req.url ~ [.]png$", &s), 1);
	CHECK_INT_EQ(m("req.url ~ \\.PNG$", &s), 0); /* case-sensitive */
	CHECK_INT_EQ(m("req.url ~ (?i)\\.PNG$", &s), 1);
	s = subj("/xapng", &t);
	CHECK_INT_EQ(m("req.url ~ [.]png$", &s), 0);
	CHECK_INT_EQ(m("req.url ~ .png$", &s), 1);

	/* No UTF mode, as in varnishd: bytes, and bad UTF-8 is fine */
	s = subj("/caf\xc3\xa9/\xff", &t);
	CHECK_INT_EQ(m("req.url ~ ^/caf..?/", &s), 1);
	CHECK_INT_EQ(m("req.url ~ ^/caf.{2}/.$", &s), 1);
	CHECK_INT_EQ(m("req.url ~ \\xff$", &s), 1);

	/* Alternation and groups need no quoting, just no spaces */
	s = subj("/news/1", &t);
	CHECK_INT_EQ(m("req.url ~ ^/(news|sport)/[0-9]+$", &s), 1);
	CHECK_INT_EQ(m("req.url ~ ^/(?:weather|sport)/", &s), 0);
	/* \s is how a ban matches whitespace */
	s = subj("/a b", &t);
	CHECK_INT_EQ(m("req.url ~ ^/a\\sb$", &s), 1);
}

static void
test_chains(void)
{
	static const char *const oh_a[] = { "x-host", "a", NULL };
	static const char *const oh_b[] = { "x-host", "b", NULL };
	struct tobj ta = { NULL, oh_a, 0, "" };
	struct tobj tb = { NULL, oh_b, 0, "" };
	const char *x;
	struct ban_subject s;
	struct ban_expr *be;

	x = "req.url ~ ^/c/ && obj.http.x-host == a && obj.status == 200";
	s = subj("/c/1", &ta);
	CHECK_INT_EQ(m(x, &s), 1);
	s = subj("/c/1", &tb);
	CHECK_INT_EQ(m(x, &s), 0);
	s = subj("/d/1", &ta);
	CHECK_INT_EQ(m(x, &s), 0);
	s = subj("/c/1", &ta);
	s.obj_status = 404;
	CHECK_INT_EQ(m(x, &s), 0);

	CHECK_INT_EQ(ban_expr_compile(x, &be, NULL, 0), 0);
	CHECK_INT_EQ(ban_expr_nconds(be), 3);
	ban_expr_free(&be);
	CHECK(be == NULL);

	/* The same field twice, contradicting: never matches */
	s = subj("/c/1", &ta);
	CHECK_INT_EQ(m("req.url == /c/1 && req.url != /c/1", &s), 0);
	CHECK_INT_EQ(m("obj.ttl > 1s && obj.ttl < 1h && obj.age > 1s && "
	               "obj.grace == 10s && obj.keep == 0s",
	                 &s),
	    1);

	/* Cheap conditions go first: the header is never looked up */
	ta.ncalls = 0;
	CHECK_INT_EQ(m("obj.http.x-host ~ a && obj.ttl < 0s", &s), 0);
	CHECK_INT_EQ(ta.ncalls, 0);
	CHECK_INT_EQ(m("obj.http.x-host ~ a && obj.http.x == 1", &s), 0);
	CHECK_INT_EQ(ta.ncalls, 1);
	CHECK_STR_EQ(ta.last, "x");
}

static void
test_whitespace(void)
{
	struct tobj t = { NULL, NULL, 0, "" };
	struct ban_subject s;

	s = subj("/w1", &t);
	CHECK_INT_EQ(m("   req.url    ==    /w1   ", &s), 1);
	CHECK_INT_EQ(m("\treq.url\t==\t/w1\n&&\r\nobj.status\v==\f200\n", &s),
	    1);
	/* Only C-locale whitespace separates: NBSP (0xa0) does not */
	CHECK_STR_EQ(e("req.url\xa0== /w1"), "Expected second operand.");
	CHECK_INT_EQ(m("req.url ==\xa0/w1 && obj.status == 200", &s), -1);
}

static void
test_lurker(void)
{
	static const char *const lf[] = { "obj.http.x == 1",
		"obj.status == 200", "obj.ttl < 1h",
		"obj.age > 1s && obj.grace == 0s && obj.keep >= 1d",
		"obj.http.x-url ~ ^/foo && obj.http.x-host == example.com",
		NULL };
	static const char *const nlf[] = { "req.url ~ ^/", "req.http.host == a",
		"obj.http.x == 1 && req.url == /", "req.urlx == /", NULL };
	struct ban_expr *be;
	unsigned u;

	for (u = 0; lf[u] != NULL; u++) {
		CHECK_INT_EQ(ban_expr_compile(lf[u], &be, NULL, 0), 0);
		CHECK_INT_EQ(ban_expr_lurker_friendly(be), 1);
		ban_expr_free(&be);
	}
	for (u = 0; nlf[u] != NULL; u++) {
		CHECK_INT_EQ(ban_expr_compile(nlf[u], &be, NULL, 0), 0);
		CHECK_INT_EQ(ban_expr_lurker_friendly(be), 0);
		ban_expr_free(&be);
	}
}

static void
test_errors(void)
{
	struct ban_expr *be;
	char err[16];

	/* VRT_ban_string()'s own messages */
	CHECK_STR_EQ(e(""), "No ban conditions found.");
	CHECK_STR_EQ(e(" \t\n "), "No ban conditions found.");
	CHECK_STR_EQ(e("req.url"), "Expected comparison operator.");
	CHECK_STR_EQ(e("req.url =="), "Expected second operand.");
	CHECK_STR_EQ(e("req.url == /a ||"),
	    "Expected && between conditions, found \"||\"");
	CHECK_STR_EQ(e("req.url == /a || req.url == /b"),
	    "Expected && between conditions, found \"||\"");
	CHECK_STR_EQ(e("req.url == /a req.url == /b"),
	    "Expected && between conditions, found \"req.url\"");
	CHECK_STR_EQ(e("req.url == /a &&"), "No ban conditions found.");
	CHECK_STR_EQ(e("req.url == /a && &&"), "Expected comparison operator.");
	CHECK_STR_EQ(e("req.url == /a & req.url == /b"),
	    "Expected && between conditions, found \"&\"");
	CHECK_STR_EQ(e("(req.url == /a)"),
	    "Unknown or unsupported field \"(req.url\"");

	/* BAN_AddTest()'s */
	CHECK_STR_EQ(e("foo.bar == 1"),
	    "Unknown or unsupported field \"foo.bar\"");
	CHECK_STR_EQ(e("req.url == /a && resp.status == 200"),
	    "Unknown or unsupported field \"resp.status\"");
	CHECK_STR_EQ(e("obj.hits > 1"),
	    "Unknown or unsupported field \"obj.hits\"");
	CHECK_STR_EQ(e("req.url ~~ a"),
	    "expected conditional (==, !=, ~ or !~) got \"~~\"");
	CHECK_STR_EQ(e("req.url =~ a"),
	    "expected conditional (==, !=, ~ or !~) got \"=~\"");
	CHECK_STR_EQ(e("req.url > a"),
	    "expected conditional (==, !=, ~ or !~) got \">\"");
	CHECK_STR_EQ(e("obj.http.x < a"),
	    "expected conditional (==, !=, ~ or !~) got \"<\"");
	CHECK_STR_EQ(e("obj.ttl ~ 1s"),
	    "expected conditional (==, !=, >, >=, < or <=) got \"~\"");
	CHECK_STR_EQ(e("obj.age !~ 1s"),
	    "expected conditional (==, !=, >, >=, < or <=) got \"!~\"");
	CHECK_STR_EQ(e("obj.grace === 1s"),
	    "expected conditional (==, !=, >, >=, < or <=) got \"===\"");
	CHECK_STR_EQ(e("obj.keep =< 1s"),
	    "expected conditional (==, !=, >, >=, < or <=) got \"=<\"");
	CHECK_STR_EQ(e("obj.ttl == 1"),
	    "expected duration <n.nn>[ms|s|m|h|d|w|y] got \"1\"");
	CHECK_STR_EQ(e("req.url == /a && obj.ttl < 5x"),
	    "expected duration <n.nn>[ms|s|m|h|d|w|y] got \"5x\"");

	/* Regexes: varnishd's text, then PCRE2's offset */
	CHECK_STR_EQ(e("req.url ~ (foo"),
	    "Regex compile error: missing closing parenthesis (at offset 4)");
	CHECK_STR_EQ(e("req.url ~ a["),
	    "Regex compile error: missing "
	    "terminating ] for character class (at offset 2)");
	CHECK_STR_EQ(e("req.url !~ *a"),
	    "Regex compile error: quantifier "
	    "does not follow a repeatable item (at offset 0)");
	CHECK_STR_EQ(e("req.url ~ \\"),
	    "Regex compile error: \\ at end of pattern (at offset 1)");

	/* The first error wins, as in varnishd */
	CHECK_STR_EQ(e("foo == 1 && req.url ~ ("),
	    "Unknown or unsupported field \"foo\"");
	CHECK_STR_EQ(e("req.url ~ ( && foo == 1"),
	    "Regex compile error: missing closing parenthesis (at offset 1)");
	CHECK_STR_EQ(e("req.url ~ a ||"),
	    "Expected && between conditions, found \"||\"");

	/* A small or absent buffer is fine, and *out is always set */
	be = (struct ban_expr *)(uintptr_t)1;
	CHECK_INT_EQ(ban_expr_compile("nope", &be, err, sizeof err), -1);
	CHECK(be == NULL);
	CHECK_STR_EQ(err, "Expected compar");
	CHECK_INT_EQ(ban_expr_compile("nope", &be, NULL, 0), -1);
	CHECK_INT_EQ(ban_expr_compile("nope", &be, err, 0), -1);
	CHECK_INT_EQ(ban_expr_compile("req.url == /", &be, err, sizeof err), 0);
	CHECK_STR_EQ(err, "");
	ban_expr_free(&be);
	ban_expr_free(&be); /* NULL is fine */
}

static void
test_hostile(void)
{
	static const char *const oh[] = { "x-host",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", NULL };
	struct tobj t = { NULL, oh, 0, "" };
	struct ban_subject s;
	struct ban_expr *be;
	char err[256];
	char *buf, *p;
	size_t len;
	unsigned u;
	clock_t c0;
	double secs;

	s = subj("/", &t);

	/* An 8 KiB regex argument and an 8 KiB string argument */
	len = 8192;
	buf = malloc(len + 64);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	p = buf + sprintf(buf, "req.url ~ ^/");
	memset(p, 'a', len - (size_t)(p - buf));
	buf[len] = '\0';
	CHECK_INT_EQ(ban_expr_compile(buf, &be, err, sizeof err), 0);
	CHECK_INT_EQ(m(buf, &s), 0);
	ban_expr_free(&be);
	memcpy(buf + 8, "== ", 3);
	CHECK_STR_EQ(e(buf), "OK");
	CHECK_INT_EQ(m(buf, &s), 0);

	/* An 8 KiB field: the message is cut to the buffer */
	memset(buf, 'f', len);
	buf[len] = '\0';
	CHECK_INT_EQ(ban_expr_compile(buf, &be, err, sizeof err), -1);
	CHECK(strncmp(err, "Expected comparison operator.", 29) == 0);
	memcpy(buf + len - 8, " == 1   ", 8);
	CHECK_INT_EQ(ban_expr_compile(buf, &be, err, sizeof err), -1);
	CHECK(strncmp(err, "Unknown or unsupported field \"fff", 33) == 0);
	CHECK_INT_EQ(strlen(err), sizeof err - 1);
	/* An 8 KiB duration and operator */
	memcpy(buf, "obj.ttl == ", 11);
	buf[len - 8] = '\0';
	CHECK(strncmp(e(buf), "expected duration <n.nn>", 24) == 0);
	memset(buf + 8, 'f', 3);
	CHECK_STR_EQ(e(buf), "Expected second operand.");
	memcpy(buf + len - 12, " 1s", 3);
	CHECK(strncmp(e(buf),
	          "expected conditional (==, !=, >, >=, < or <=) "
	          "got \"fff",
	          51) == 0);
	free(buf);

	/* 2000 conditions */
	buf = malloc(2000 * 32);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	p = buf;
	for (u = 0; u < 2000; u++)
		p +=
		    sprintf(p, "%sobj.http.x-host !~ ^b%u", u ? " && " : "", u);
	CHECK_INT_EQ(ban_expr_compile(buf, &be, err, sizeof err), 0);
	CHECK_INT_EQ(ban_expr_nconds(be), 2000);
	CHECK_INT_EQ(ban_expr_lurker_friendly(be), 1);
	CHECK_INT_EQ(ban_expr_match(be, &s, NOW), 1);
	ban_expr_free(&be);
	p = buf;
	for (u = 0; u < 2000; u++)
		p += sprintf(p, "%sreq.url == /", u ? " && " : "");
	CHECK_INT_EQ(ban_expr_compile(buf, &be, err, sizeof err), 0);
	CHECK_INT_EQ(ban_expr_nconds(be), 2000);
	CHECK_INT_EQ(ban_expr_match(be, &s, NOW), 1);
	ban_expr_free(&be);
	/* 2000 && and nothing else */
	p = buf;
	for (u = 0; u < 2000; u++)
		p += sprintf(p, "&& ");
	CHECK_STR_EQ(e(buf), "Unknown or unsupported field \"&&\"");
	free(buf);

	/*
	 * Catastrophic backtracking.  varnishd 7.1.1 panics on this
	 * ("Missing errorhandling code in ban_evaluate()"); we stop at the
	 * match limit, count it, and call it "did not match".
	 */
	CHECK_INT_EQ(ban_expr_compile("obj.http.x-host ~ (a+)+$", &be, err,
	                 sizeof err),
	    0);
	c0 = clock();
	CHECK_INT_EQ(ban_expr_match(be, &s, NOW), 0);
	CHECK_INT_EQ(ban_expr_match_errors(be), 1);
	CHECK_INT_EQ(ban_expr_match(be, &s, NOW), 0);
	CHECK_INT_EQ(ban_expr_match_errors(be), 2);
	secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
	CHECK(secs < 5.0);
	printf("pathological regex: 2 evaluations in %.1f ms\n", secs * 1e3);
	ban_expr_free(&be);

	CHECK_INT_EQ(ban_expr_compile("obj.http.x-host !~ (a+)+$", &be, err,
	                 sizeof err),
	    0);
	CHECK_INT_EQ(ban_expr_match(be, &s, NOW), 1);
	CHECK_INT_EQ(ban_expr_match_errors(be), 1);
	ban_expr_free(&be);

	/* A limit hit on one object does not taint the next */
	CHECK_INT_EQ(ban_expr_compile("obj.http.x-host ~ (a+)+$", &be, err,
	                 sizeof err),
	    0);
	{
		static const char *const oh2[] = { "x-host", "aaaa", NULL };
		struct tobj t2 = { NULL, oh2, 0, "" };
		struct ban_subject s2 = subj("/", &t2);

		CHECK_INT_EQ(ban_expr_match(be, &s, NOW), 0);
		CHECK_INT_EQ(ban_expr_match(be, &s2, NOW), 1);
		CHECK_INT_EQ(ban_expr_match_errors(be), 1);
	}
	ban_expr_free(&be);

	/* Deep nesting is refused by PCRE2, not by a crash */
	buf = malloc(4096);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	p = buf + sprintf(buf, "req.url ~ ");
	for (u = 0; u < 1000; u++)
		*p++ = '(';
	*p = '\0';
	CHECK(strncmp(e(buf), "Regex compile error: ", 21) == 0);
	free(buf);
}

int
main(void)
{
	test_doc_examples();
	test_string_operators();
	test_quoting();
	test_header_names();
	test_absent();
	test_empty_value();
	test_status();
	test_ttl_age();
	test_duration_units();
	test_regex();
	test_chains();
	test_whitespace();
	test_lurker();
	test_errors();
	test_hostile();
	return (unit_done());
}
