/*
 * stoke-origin: a small shop-like HTTP origin.  It is the demo site behind
 * Varnish (scripts/demo.sh) and a controllable origin for integration
 * tests: every page carries xkey tags and ESI includes like a real shop,
 * and query parameters let a test slow a response down (delay=ms), force a
 * status (status=code) or change its TTL (ttl=s).
 *
 * Latency is an event timer, never a sleep, so one thread can hold many
 * slow requests at once; /stats reports the highest number of requests
 * seen in flight, which is how tests prove that a warmer kept its
 * concurrency limit.
 *
 * It can also behave like a shop with a few PHP workers (-c N): requests
 * beyond N queue for a worker, so each takes longer the more there are,
 * and beyond a queue of -q M it answers 503 with Retry-After at once.
 * GET /fail?status=500 makes it answer every page with that status (a
 * broken deploy); GET /fail heals it.
 *
 * GET /fault?mode=M breaks it the ways real origins break (fault_names
 * below): slow (each page twenty times slower), flaky (every other page
 * a 503), hang (requests accepted and never answered), reset (the
 * connection reset instead of an answer) or garbage (bytes that are no
 * HTTP, then the connection closed).  GET /fault heals it and answers
 * what hung.  A hung request whose client went stops counting in flight,
 * so that inflight_max in /stats is what the origin really had to bear.
 *
 * With -t it is a site without a sitemap, laid with the traps a crawler
 * meets (traps() below), and -l FILE logs every request's path, and
 * whether it came through Varnish, for a test to see what was fetched.
 * With -s shopware it is a Shopware 6-like storefront, without ESI
 * (origin_shopware.c).  -g SIZE,... tags product pages in groups of
 * those sizes too, for invalidations of known sizes (bench/).
 */

#define _POSIX_C_SOURCE 200809L

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <zlib.h>

#include "origin.h"

#define CHECK_OBJ(ptr, m)                                                      \
	do {                                                                   \
		assert((ptr) != NULL);                                         \
		assert((ptr)->magic == (m));                                   \
	} while (0)

#define N_CATEGORIES 5
/*
 * A category page names every product in one xkey header; Varnish refuses
 * backend header lines over http_resp_hdr_len (8 KiB by default), so the
 * catalogue stays small enough for that header to fit.
 */
#define MAX_PRODUCTS 1000
#define MAX_DELAY_MS 10000
#define MAX_TTL_S 31536000
#define XKEY_LEN 4096
#define ECHO_MAX 200
/* -g: how many group sizes a product page may be tagged with. */
#define MAX_GROUPS 4
#define CURRENCY_COOKIE "sw-currency"

#define HTML "text/html; charset=utf-8"
#define TEXT "text/plain; charset=utf-8"
#define XML "application/xml"

struct pending;

enum fault { F_NONE, F_SLOW, F_FLAKY, F_HANG, F_RESET, F_GARBAGE, F__MAX };

static const char *const fault_names[F__MAX] = {
	[F_NONE] = "none",
	[F_SLOW] = "slow",
	[F_FLAKY] = "flaky",
	[F_HANG] = "hang",
	[F_RESET] = "reset",
	[F_GARBAGE] = "garbage",
};

/* How much slower "slow" is, and its latency when -d and delay= say 0. */
#define SLOW_FACTOR 20
#define SLOW_BASE_MS 5

struct origin {
	unsigned magic;
#define ORIGIN_MAGIC 0x4f524947
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	long nproducts;
	long delay_ms;
	long workers; /* 0: as many as there are requests */
	long queue_max; /* 0: no limit */
	long fail; /* answer every page with this status; 0: don't */
	int traps; /* -t: the crawler's trap site */
	const char *offsite; /* -t: where its off-site link leads */
	int shop6; /* -s shopware: the storefront */
	long groups[MAX_GROUPS]; /* -g: tag sizes, 0 ends the list */
	FILE *log; /* -l: every request's path */
	int stopping;
	enum fault fault;
	unsigned long long requests, refused, faulted;
	unsigned inflight;
	unsigned inflight_max;
	TAILQ_HEAD(, pending) waiting;
	TAILQ_HEAD(, pending) hung;
};

/* One request between its arrival and its reply. */
struct pending {
	unsigned magic;
#define PENDING_MAGIC 0x50454e44
	struct origin *origin;
	struct evhttp_request *req;
	struct event *timer;
	unsigned long long seq;
	long delay_ms;
	long status;
	long ttl;
	int cookie;
	enum fault fault; /* reset or garbage: how its timer ends it */
	int hung;
	const char *bad;
	TAILQ_ENTRY(pending) list;
};

typedef int route_f(struct pending *, const char *path, struct evkeyvalq *,
    struct evbuffer *);

static const char *const cat_names[N_CATEGORIES] = { "Coffee", "Tea", "Cocoa",
	"Mugs", "Grinders" };

static const struct currency {
	const char *name;
	long rate_pct;
} currencies[] = {
	{ "EUR", 100 }, /* the default comes first */
	{ "USD", 108 },
	{ "GBP", 85 },
};

/*--------------------------------------------------------------------
 * Parsing.  Numbers are plain decimal digits only: no sign, no blanks,
 * so "-1", " 5" and "5x" are all refused rather than half-accepted.
 */

static int
parse_num(const char *s, size_t len, long min, long max, long *out)
{
	char buf[24], *end;
	size_t i;
	long v;

	assert(out != NULL);
	if (s == NULL || len == 0 || len >= sizeof buf)
		return (-1);
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return (-1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* Ids in paths have one spelling each, so "/product/07" is not a page. */
static int
parse_id(const char *s, long max, long *out)
{
	if (s[0] == '0')
		return (-1);
	return (parse_num(s, strlen(s), 1, max, out));
}

/* Values are digits when valid, so no percent-decoding is needed. */
static const char *
query_param(const char *q, const char *name, size_t *lenp)
{
	size_t nlen = strlen(name);
	const char *e;

	while (q != NULL && *q != '\0') {
		e = strchr(q, '&');
		if (e == NULL)
			e = q + strlen(q);
		if ((size_t)(e - q) > nlen && !memcmp(q, name, nlen) &&
		    q[nlen] == '=') {
			*lenp = (size_t)(e - q) - nlen - 1;
			return (q + nlen + 1);
		}
		q = (*e == '&') ? e + 1 : e;
	}
	return (NULL);
}

static void
parse_params(struct pending *p)
{
	const struct evhttp_uri *uri;
	const char *q, *v;
	size_t len;

	CHECK_OBJ(p, PENDING_MAGIC);
	uri = evhttp_request_get_evhttp_uri(p->req);
	q = (uri == NULL) ? NULL : evhttp_uri_get_query(uri);
	if (q == NULL)
		return;
	v = query_param(q, "delay", &len);
	if (v != NULL && parse_num(v, len, 0, MAX_DELAY_MS, &p->delay_ms)) {
		p->delay_ms = 0;
		p->bad = "invalid delay: expected milliseconds, 0 to 10000\n";
		return;
	}
	v = query_param(q, "status", &len);
	if (v != NULL && parse_num(v, len, 100, 599, &p->status)) {
		p->bad = "invalid status: expected 100 to 599\n";
		return;
	}
	v = query_param(q, "ttl", &len);
	if (v != NULL && parse_num(v, len, 0, MAX_TTL_S, &p->ttl)) {
		p->bad = "invalid ttl: expected seconds, 0 to 31536000\n";
		return;
	}
	/* Like a shop starting a session on any page. */
	v = query_param(q, "cookie", &len);
	p->cookie = (v != NULL && len == 1 && *v == '1');
}

/* The first sw-currency cookie wins; unknown values mean the default. */
static const struct currency *
cookie_currency(const char *cookie)
{
	const char *p = cookie, *name, *val;
	size_t nlen, vlen, u;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		name = p;
		while (*p != '\0' && *p != '=' && *p != ';')
			p++;
		nlen = (size_t)(p - name);
		if (*p != '=')
			continue;
		val = ++p;
		while (*p != '\0' && *p != ';')
			p++;
		vlen = (size_t)(p - val);
		if (nlen != strlen(CURRENCY_COOKIE) ||
		    memcmp(name, CURRENCY_COOKIE, nlen))
			continue;
		for (u = 0; u < sizeof currencies / sizeof *currencies; u++)
			if (vlen == strlen(currencies[u].name) &&
			    !memcmp(val, currencies[u].name, vlen))
				return (&currencies[u]);
		break;
	}
	return (&currencies[0]);
}

/*
 * The Host header ends up in XML and text bodies; rather than escape it
 * for each, anything but a plain host[:port] falls back to localhost.
 */
const char *
req_host(struct evhttp_request *req)
{
	const char *h;
	size_t i, len;
	char c;

	h = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	if (h == NULL)
		return ("localhost");
	len = strlen(h);
	if (len == 0 || len > 255)
		return ("localhost");
	for (i = 0; i < len; i++) {
		c = h[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == ':' || c == '[' || c == ']')
			continue;
		return ("localhost");
	}
	return (h);
}

/*--------------------------------------------------------------------
 * Output helpers.
 */

void
html_escape(struct evbuffer *b, const char *s, size_t max)
{
	unsigned char c;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == max) {
			evbuffer_add_printf(b, "...");
			return;
		}
		c = (unsigned char)s[i];
		switch (c) {
		case '<':
			evbuffer_add_printf(b, "&lt;");
			break;
		case '>':
			evbuffer_add_printf(b, "&gt;");
			break;
		case '&':
			evbuffer_add_printf(b, "&amp;");
			break;
		case '"':
			evbuffer_add_printf(b, "&quot;");
			break;
		case '\'':
			evbuffer_add_printf(b, "&#39;");
			break;
		default:
			/* Keep the page valid UTF-8 without control bytes. */
			if (c < 0x20 || c >= 0x7f)
				c = '?';
			evbuffer_add_printf(b, "%c", c);
		}
	}
}

static void
page_head(struct evbuffer *b, const char *title)
{
	evbuffer_add_printf(b,
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>"
	    "<meta charset=\"utf-8\"><title>%s - Stoke demo shop</title>"
	    "</head>\n<body>\n<esi:include src=\"/esi/header\"/>\n"
	    "<main>\n<h1>%s</h1>\n",
	    title, title);
}

static void
page_foot(struct evbuffer *b)
{
	evbuffer_add_printf(b, "</main>\n</body>\n</html>\n");
}

static void
category_links(struct evbuffer *b, const char *pre, const char *post)
{
	int c;

	for (c = 1; c <= N_CATEGORIES; c++)
		evbuffer_add_printf(b, "%s<a href=\"/category/%d\">%s</a>%s",
		    pre, c, cat_names[c - 1], post);
}

/* Prices are made up, but stable per product so tests can expect them. */
static void
add_price(struct evbuffer *b, long id, const struct currency *cur)
{
	long cents;

	cents = (500 + (id * 7919) % 9500) * cur->rate_pct / 100;
	evbuffer_add_printf(b, "%s %ld.%02ld", cur->name, cents / 100,
	    cents % 100);
}

static int
text_reply(struct evkeyvalq *oh, struct evbuffer *b, int code, const char *msg)
{
	evhttp_add_header(oh, "Content-Type", TEXT);
	evhttp_add_header(oh, "Cache-Control", "no-store");
	evbuffer_add_printf(b, "%s", msg);
	return (code);
}

/*--------------------------------------------------------------------
 * Routes write the body and their own special headers, and return the
 * status, or 0 without writing anything when the path names nothing.
 */

static int
r_home(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	page_head(b, "Welcome");
	evbuffer_add_printf(b, "<ul class=\"categories\">\n");
	category_links(b, "<li>", "</li>\n");
	evbuffer_add_printf(b, "</ul>\n");
	page_foot(b);
	evhttp_add_header(oh, "xkey", "home");
	return (200);
}

static int
r_category(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	char xkey[XKEY_LEN];
	size_t pos;
	long cat, i;
	int n;

	CHECK_OBJ(p, PENDING_MAGIC);
	if (parse_id(path + strlen("/category/"), N_CATEGORIES, &cat))
		return (0);
	n = snprintf(xkey, sizeof xkey, "category-%ld", cat);
	assert(n > 0 && (size_t)n < sizeof xkey);
	pos = (size_t)n;
	page_head(b, cat_names[cat - 1]);
	evbuffer_add_printf(b, "<ul class=\"products\">\n");
	for (i = 1; i <= p->origin->nproducts; i++) {
		if (i % N_CATEGORIES + 1 != cat)
			continue;
		evbuffer_add_printf(b,
		    "<li><a href=\"/product/%ld\">Product "
		    "%ld</a> ",
		    i, i);
		add_price(b, i, &currencies[0]);
		evbuffer_add_printf(b, "</li>\n");
		/* MAX_PRODUCTS keeps this in bounds. */
		n = snprintf(xkey + pos, sizeof xkey - pos, " product-%ld", i);
		assert(n > 0 && (size_t)n < sizeof xkey - pos);
		pos += (size_t)n;
	}
	evbuffer_add_printf(b, "</ul>\n");
	page_foot(b);
	evhttp_add_header(oh, "xkey", xkey);
	return (200);
}

static int
r_product(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	const struct currency *cur;
	char title[32], xkey[64 + MAX_GROUPS * 32];
	long id, cat;
	size_t pos;
	int n, g;

	CHECK_OBJ(p, PENDING_MAGIC);
	if (parse_id(path + strlen("/product/"), p->origin->nproducts, &id))
		return (0);
	cat = id % N_CATEGORIES + 1;
	cur = cookie_currency(
	    evhttp_find_header(evhttp_request_get_input_headers(p->req),
	        "Cookie"));
	(void)snprintf(title, sizeof title, "Product %ld", id);
	page_head(b, title);
	evbuffer_add_printf(b, "<p class=\"price\">");
	add_price(b, id, cur);
	evbuffer_add_printf(b,
	    "</p>\n<p>In <a href=\"/category/%ld\">%s</a>"
	    "</p>\n",
	    cat, cat_names[cat - 1]);
	page_foot(b);
	n = snprintf(xkey, sizeof xkey, "product-%ld category-%ld", id, cat);
	assert(n > 0 && (size_t)n < sizeof xkey);
	/* Groups of known sizes, for invalidations of known sizes. */
	for (g = 0; g < MAX_GROUPS && p->origin->groups[g] > 0; g++) {
		pos = (size_t)n;
		n += snprintf(xkey + pos, sizeof xkey - pos, " group-%ld-%ld",
		    p->origin->groups[g], (id - 1) / p->origin->groups[g]);
		assert((size_t)n < sizeof xkey);
	}
	evhttp_add_header(oh, "xkey", xkey);
	return (200);
}

static int
r_header(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	evbuffer_add_printf(b,
	    "<header><a href=\"/\">Stoke demo shop</a>"
	    "<nav>");
	category_links(b, " ", "");
	evbuffer_add_printf(b, "</nav></header>\n");
	evhttp_add_header(oh, "xkey", "header");
	return (200);
}

#define URLSET_HEAD                                                            \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"

/* The home page and the categories, as sitemap entries. */
static void
page_urls(struct evbuffer *b, const char *host)
{
	long i;

	evbuffer_add_printf(b,
	    "<url><loc>http://%s/</loc><priority>1.0</priority></url>\n", host);
	for (i = 1; i <= N_CATEGORIES; i++)
		evbuffer_add_printf(b,
		    "<url><loc>http://%s/category/%ld</loc></url>\n", host, i);
}

static void
product_urls(struct evbuffer *b, const char *host, long n)
{
	long i;

	for (i = 1; i <= n; i++)
		evbuffer_add_printf(b,
		    "<url><loc>http://%s/product/%ld</loc>"
		    "<lastmod>2026-11-01</lastmod></url>\n",
		    host, i);
}

/* One sitemap of everything: what most small shops have. */
static int
r_sitemap(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	const char *host;

	CHECK_OBJ(p, PENDING_MAGIC);
	host = req_host(p->req);
	evbuffer_add_printf(b, URLSET_HEAD);
	page_urls(b, host);
	product_urls(b, host, p->origin->nproducts);
	evbuffer_add_printf(b, "</urlset>\n");
	return (200);
}

/* Shopware's layout: an index naming the pages and a gzip'd product file. */
static int
r_sitemap_index(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	const char *host;

	CHECK_OBJ(p, PENDING_MAGIC);
	host = req_host(p->req);
	evbuffer_add_printf(b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<sitemapindex "
	    "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
	    "<sitemap><loc>http://%s/sitemap-pages.xml</loc></sitemap>\n"
	    "<sitemap><loc>http://%s/sitemap-products.xml.gz</loc>"
	    "</sitemap>\n"
	    "</sitemapindex>\n",
	    host, host);
	return (200);
}

static int
r_sitemap_pages(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	const char *host;

	CHECK_OBJ(p, PENDING_MAGIC);
	host = req_host(p->req);
	evbuffer_add_printf(b, URLSET_HEAD);
	page_urls(b, host);
	/* ?more=1: pages a warmer cannot cache, for tests. */
	if (strstr(evhttp_request_get_uri(p->req), "more=1") != NULL)
		evbuffer_add_printf(b,
		    "<url><loc>http://%s/private</loc></url>\n"
		    "<url><loc>http://%s/product/1?cookie=1</loc></url>\n"
		    "<url><loc>http://%s/product/2?ttl=0</loc></url>\n"
		    "<url><loc>http://%s/product/3?status=503</loc></url>\n",
		    host, host, host, host);
	evbuffer_add_printf(b, "</urlset>\n");
	return (200);
}

int
gzip_buffer(struct evbuffer *x, struct evbuffer *b)
{
	unsigned char out[16384];
	z_stream z;
	size_t len;
	int r;

	len = evbuffer_get_length(x);
	memset(&z, 0, sizeof z);
	/* 16 + window bits: a gzip file, as .xml.gz means. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	        Z_DEFAULT_STRATEGY) != Z_OK)
		return (-1);
	z.next_in = evbuffer_pullup(x, -1);
	z.avail_in = (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = sizeof out;
		r = deflate(&z, Z_FINISH);
		evbuffer_add(b, out, sizeof out - z.avail_out);
	} while (r == Z_OK);
	deflateEnd(&z);
	return (r == Z_STREAM_END ? 0 : -1);
}

static int
r_sitemap_products(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	struct evbuffer *x = evbuffer_new();
	int r;

	CHECK_OBJ(p, PENDING_MAGIC);
	if (x == NULL)
		return (text_reply(oh, b, 503, "out of memory\n"));
	evbuffer_add_printf(x, URLSET_HEAD);
	product_urls(x, req_host(p->req), p->origin->nproducts);
	evbuffer_add_printf(x, "</urlset>\n");
	r = gzip_buffer(x, b);
	evbuffer_free(x);
	return (r == 0 ? 200 : text_reply(oh, b, 503, "no zlib\n"));
}

static int
r_robots(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	evbuffer_add_printf(b,
	    "User-agent: *\nAllow: /\n"
	    "Sitemap: http://%s/sitemap_index.xml\n",
	    req_host(p->req));
	return (200);
}

static int
r_private(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	char cookie[64];

	CHECK_OBJ(p, PENDING_MAGIC);
	(void)snprintf(cookie, sizeof cookie,
	    "session=%016llx; Path=/; "
	    "HttpOnly",
	    p->seq * 0x9e3779b97f4a7c15ULL);
	evhttp_add_header(oh, "Set-Cookie", cookie);
	page_head(b, "Your account");
	evbuffer_add_printf(b, "<p>This page is for you alone.</p>\n");
	page_foot(b);
	return (200);
}

static int
r_stats(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	const struct origin *o;

	CHECK_OBJ(p, PENDING_MAGIC);
	o = p->origin;
	CHECK_OBJ(o, ORIGIN_MAGIC);
	evbuffer_add_printf(b,
	    "requests %llu\ninflight_max %u\ninflight %u\nrefused %llu\n"
	    "fault %s\nfaulted %llu\n",
	    o->requests, o->inflight_max, o->inflight, o->refused,
	    fault_names[o->fault], o->faulted);
	return (200);
}

static int
r_notfound(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	page_head(b, "Not found");
	evbuffer_add_printf(b, "<p>Nothing lives at <code>");
	html_escape(b, path, ECHO_MAX);
	evbuffer_add_printf(b, "</code>.</p>\n");
	page_foot(b);
	return (404);
}

/*
 * Cache-Control is cache + "max-age=" + ttl, or cache alone when ttl is -1:
 * those pages must never become cacheable through ttl=.
 */
static const struct route {
	const char *path;
	int prefix;
	route_f *func;
	const char *type;
	const char *cache;
	long ttl;
} routes[] = {
	{ "/",		  0, r_home,	 HTML,	"public, ",	300 },
	{ "/category/",	  1, r_category, HTML,	"public, ",	300 },
	{ "/product/",	  1, r_product,	 HTML,	"public, ",	300 },
	{ "/esi/header",  0, r_header,	 HTML,	"public, ",	600 },
	{ "/sitemap.xml", 0, r_sitemap,	 XML,	"public, ",	300 },
	{ "/sitemap_index.xml", 0, r_sitemap_index, XML, "public, ", 300 },
	{ "/sitemap-pages.xml", 0, r_sitemap_pages, XML, "public, ", 300 },
	{ "/sitemap-products.xml.gz", 0, r_sitemap_products, "application/gzip",
	    "public, ", 300 },
	{ "/robots.txt",  0, r_robots,	 TEXT,	"public, ",	300 },
	{ "/private",	  0, r_private,	 HTML,	"private",	-1 },
	{ "/stats",	  0, r_stats,	 TEXT,	"no-store",	-1 },
}, notfound = { "", 0, r_notfound, HTML, "", 10 };

static int
dispatch(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	const struct route *r = &notfound;
	char buf[64];
	size_t u;
	int code;

	CHECK_OBJ(p, PENDING_MAGIC);
	for (u = 0; u < sizeof routes / sizeof *routes; u++) {
		if (routes[u].prefix
		        ? !strncmp(path, routes[u].path, strlen(routes[u].path))
		        : !strcmp(path, routes[u].path)) {
			r = &routes[u];
			break;
		}
	}
	code = r->func(p, path, oh, b);
	if (code == 0) {
		r = &notfound;
		code = r->func(p, path, oh, b);
	}
	evhttp_add_header(oh, "Content-Type", r->type);
	if (r->ttl < 0) {
		evhttp_add_header(oh, "Cache-Control", r->cache);
		return (code);
	}
	(void)snprintf(buf, sizeof buf, "%smax-age=%ld", r->cache,
	    p->ttl >= 0 ? p->ttl : r->ttl);
	evhttp_add_header(oh, "Cache-Control", buf);
	return (code);
}

/*--------------------------------------------------------------------
 * The trap site (-t): no sitemap, and whatever a crawler must not fall
 * for.  Its home page links to each trap; robots.txt keeps crawlers
 * out of /private-area/ and asks for a Crawl-delay.
 */

#define BIG_PAGE (10L * 1024 * 1024)

static void
trap_page(struct evbuffer *b, const char *title, const char *links)
{
	page_head(b, title);
	evbuffer_add_printf(b, "%s", links);
	page_foot(b);
}

static int
trap_redirect(struct evkeyvalq *oh, struct evbuffer *b, const char *to)
{
	evhttp_add_header(oh, "Location", to);
	evhttp_remove_header(oh, "Content-Type");
	evhttp_add_header(oh, "Content-Type", TEXT);
	evbuffer_add_printf(b, "moved\n");
	return (302);
}

static void
trap_home(struct pending *p, struct evbuffer *b)
{
	page_head(b, "Traps");
	evbuffer_add_printf(b,
	    "<ul>\n"
	    "<li><a href=\"/category/1\">Coffee</a>"
	    " <a href=\"/category/1?utm_source=news&amp;gclid=x\">again</a>"
	    " <a href=\"/category/1#top\">and again</a>\n"
	    "<li><a href=\"/calendar?month=1\">Calendar</a>\n"
	    "<li><a href=\"/session\">Sessions</a>\n"
	    "<li><a href=\"/shop;jsessionid=%llu\">Shop</a>\n"
	    "<li><a href=\"/loop/a\">Loop</a>\n"
	    "<li><a href=\"/redirect/inside\">Moved</a>\n"
	    "<li><a href=\"/redirect/away\">Moved away</a>\n"
	    "<li><a href=\"/big\">Big</a>\n"
	    "<li><a href=\"/manual.pdf\">Manual</a>\n"
	    "<li><a href=\"/private-area/account\">Account</a>\n"
	    "<li><a href=\"/secret\" rel=\"nofollow\">Secret</a>\n"
	    "<li><a href=\"/meta-nofollow\">Quiet</a>\n"
	    "<li><a href=\"/missing\">Gone</a>\n"
	    "<li><a href=\"mailto:shop@example.com\">Mail</a>\n"
	    "<li><a href=\"%s\">Elsewhere</a>\n"
	    "<li><a href=\"//other.example/\">Elsewhere too</a>\n"
	    "</ul>\n",
	    p->seq,
	    p->origin->offsite != NULL ? p->origin->offsite
	                               : "http://other.example/");
	page_foot(b);
}

/* A page far over any crawler's byte cap, a link at each end. */
static void
trap_big(struct evbuffer *b)
{
	static const char filler[] = "<p>Lorem ipsum dolor sit amet.</p>\n";
	long n = 0;

	page_head(b, "Big");
	evbuffer_add_printf(b, "<a href=\"/big/early\">early</a>\n");
	while (n < BIG_PAGE) {
		evbuffer_add(b, filler, sizeof filler - 1);
		n += (long)sizeof filler - 1;
	}
	evbuffer_add_printf(b, "<a href=\"/big/late\">late</a>\n");
	page_foot(b);
}

/* The trap site's answer, or 0 for the shop's own routes. */
static int
traps(struct pending *p, const char *path, struct evkeyvalq *oh,
    struct evbuffer *b)
{
	const struct evhttp_uri *uri;
	const char *q, *v;
	char buf[128];
	size_t len;
	long month;

	uri = evhttp_request_get_evhttp_uri(p->req);
	q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (!strcmp(path, "/robots.txt")) {
		evhttp_add_header(oh, "Content-Type", TEXT);
		evbuffer_add_printf(b,
		    "User-agent: *\nDisallow: /private-area/\n"
		    "Crawl-delay: 0.05\n");
		return (200);
	}
	if (!strcmp(path, "/sitemap.xml") || !strncmp(path, "/sitemap", 8) ||
	    !strcmp(path, "/missing")) {
		evhttp_add_header(oh, "Content-Type", TEXT);
		evbuffer_add_printf(b, "not here\n");
		return (404);
	}
	evhttp_add_header(oh, "Content-Type", HTML);
	evhttp_add_header(oh, "Cache-Control", "public, max-age=300");
	if (!strcmp(path, "/")) {
		trap_home(p, b);
	} else if (!strcmp(path, "/calendar")) {
		/* Endless: every month links to the next. */
		v = q != NULL ? query_param(q, "month", &len) : NULL;
		if (v == NULL || parse_num(v, len, 1, 1000000000, &month))
			month = 1;
		(void)snprintf(buf, sizeof buf,
		    "<a href=\"/calendar?month=%ld\">next month</a>",
		    month + 1);
		trap_page(b, "Calendar", buf);
	} else if (!strcmp(path, "/session")) {
		/* A new session id in the link on every visit. */
		(void)snprintf(buf, sizeof buf,
		    "<a href=\"/session/page?PHPSESSID=%llu&amp;p=1\">on</a>",
		    p->seq);
		trap_page(b, "Session", buf);
	} else if (!strcmp(path, "/loop/a")) {
		return (trap_redirect(oh, b, "/loop/b"));
	} else if (!strcmp(path, "/loop/b")) {
		return (trap_redirect(oh, b, "/loop/a"));
	} else if (!strcmp(path, "/redirect/inside")) {
		return (trap_redirect(oh, b, "/moved/here"));
	} else if (!strcmp(path, "/redirect/away")) {
		return (trap_redirect(oh, b,
		    p->origin->offsite != NULL ? p->origin->offsite
		                               : "http://other.example/"));
	} else if (!strcmp(path, "/big")) {
		trap_big(b);
	} else if (!strcmp(path, "/manual.pdf")) {
		evhttp_remove_header(oh, "Content-Type");
		evhttp_add_header(oh, "Content-Type", "application/pdf");
		evbuffer_add_printf(b, "%%PDF-1.4 <a href=\"/in-pdf\">\n");
	} else if (!strcmp(path, "/meta-nofollow")) {
		trap_page(b, "Quiet",
		    "<meta name=\"robots\" content=\"nofollow\">"
		    "<a href=\"/only-via-meta\">hidden</a>");
	} else {
		/* Every other page: a leaf, linking home. */
		trap_page(b, "Leaf", "<a href=\"/\">home</a>");
	}
	return (200);
}

/*--------------------------------------------------------------------
 * Faults: /fault?mode=M, and what each mode does to a request.
 */

static void finish(struct pending *);
static void unhang(struct pending *);

/*
 * evhttp reads nothing more while a request is ours, so it would not
 * see its client go: a hung request watches its socket itself.  When
 * the client went, the connection goes, and the request with it.
 */
static void
on_hung_readable(evutil_socket_t fd, short what, void *priv)
{
	struct pending *p = priv;
	struct evhttp_connection *evcon;
	struct origin *o;
	char c;

	CHECK_OBJ(p, PENDING_MAGIC);
	assert(p->hung);
	if (recv(fd, &c, 1, MSG_PEEK) > 0)
		return; /* more from a live client: it waits on */
	o = p->origin;
	evcon = evhttp_request_get_connection(p->req);
	unhang(p);
	if (evcon != NULL)
		evhttp_connection_free(evcon);
	assert(o->inflight > 0);
	o->inflight--;
	p->magic = 0;
	free(p);
}

static void
unhang(struct pending *p)
{
	CHECK_OBJ(p, PENDING_MAGIC);
	assert(p->hung);
	TAILQ_REMOVE(&p->origin->hung, p, list);
	p->hung = 0;
	event_free(p->timer);
	p->timer = NULL;
}

static void
hang(struct pending *p)
{
	struct evhttp_connection *evcon;
	evutil_socket_t fd;

	CHECK_OBJ(p, PENDING_MAGIC);
	evcon = evhttp_request_get_connection(p->req);
	assert(evcon != NULL);
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	p->timer = event_new(p->origin->base, fd, EV_READ, on_hung_readable, p);
	assert(p->timer != NULL);
	assert(event_add(p->timer, NULL) == 0);
	p->hung = 1;
	TAILQ_INSERT_TAIL(&p->origin->hung, p, list);
}

/*
 * Reset (SO_LINGER 0, then close: an RST) or garbage then close, from a
 * timer rather than the request's callback, in which evhttp still uses
 * the connection.  Freeing the connection frees its request.
 */
static void
break_connection(struct pending *p)
{
	static const char garbage[] = "\x01\x7fNOT-HTTP garbage\r\n\r\n\xff";
	struct evhttp_connection *evcon;
	struct origin *o;
	struct linger l = { 1, 0 };
	evutil_socket_t fd;
	int spare;

	CHECK_OBJ(p, PENDING_MAGIC);
	o = p->origin;
	evcon = evhttp_request_get_connection(p->req);
	if (evcon == NULL) {
		/* Its client went first: nothing left to break. */
		p->fault = F_NONE;
		finish(p);
		return;
	}
	TAILQ_REMOVE(&o->waiting, p, list);
	event_free(p->timer);
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (p->fault == F_RESET) {
		/*
		 * evhttp would say FIN before it closes: the socket goes
		 * now, with an RST alone, and its number is left to evhttp
		 * on a socket of no use.
		 */
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
		spare = socket(AF_INET, SOCK_STREAM, 0);
		assert(spare >= 0);
		assert(dup2(spare, fd) == fd);
		(void)close(spare);
	} else
		(void)send(fd, garbage, sizeof garbage - 1, MSG_NOSIGNAL);
	evhttp_connection_free(evcon);
	assert(o->inflight > 0);
	o->inflight--;
	p->magic = 0;
	free(p);
}

/* GET /fault?mode=M breaks the origin; GET /fault heals it. */
static void
fault_control(struct origin *o, struct evhttp_request *req, const char *q)
{
	struct evbuffer *b;
	struct pending *p;
	const char *v;
	size_t len = 0;
	enum fault f;

	CHECK_OBJ(o, ORIGIN_MAGIC);
	v = (q == NULL) ? NULL : query_param(q, "mode", &len);
	f = F_NONE;
	if (v != NULL) {
		for (f = F_NONE; f < F__MAX; f++)
			if (strlen(fault_names[f]) == len &&
			    !strncmp(v, fault_names[f], len))
				break;
	}
	b = evbuffer_new();
	assert(b != NULL);
	if (f == F__MAX) {
		evbuffer_add_printf(b,
		    "unknown mode: want none, slow, "
		    "flaky, hang, reset or garbage\n");
		evhttp_send_reply(req, 400, NULL, b);
		evbuffer_free(b);
		return;
	}
	o->fault = f;
	/* Healed, or otherwise broken: what hung is answered now. */
	if (f != F_HANG)
		while ((p = TAILQ_FIRST(&o->hung)) != NULL)
			finish(p);
	evbuffer_add_printf(b, "fault %s\n", fault_names[f]);
	evhttp_send_reply(req, 200, NULL, b);
	evbuffer_free(b);
}

/*
 * What the fault does to this request before it is answered: 0 to go
 * on (its latency ms perhaps stretched), 1 if it is taken care of.
 */
static int
fault_apply(struct origin *o, struct pending *p, long *ms)
{
	CHECK_OBJ(o, ORIGIN_MAGIC);
	CHECK_OBJ(p, PENDING_MAGIC);
	switch (o->fault) {
	case F_SLOW:
		*ms = (*ms > 0 ? *ms : SLOW_BASE_MS) * SLOW_FACTOR;
		if (*ms > MAX_DELAY_MS)
			*ms = MAX_DELAY_MS;
		o->faulted++;
		return (0);
	case F_HANG:
		o->faulted++;
		hang(p);
		return (1);
	case F_RESET:
	case F_GARBAGE:
		o->faulted++;
		p->fault = o->fault;
		*ms = 1;
		return (0);
	default:
		/* flaky is an answer: respond() gives it. */
		return (0);
	}
}

/*--------------------------------------------------------------------
 * Request life cycle: arrive, wait for the latency timer, reply.
 */

static int
respond(struct pending *p, struct evkeyvalq *oh, struct evbuffer *b)
{
	const struct evhttp_uri *uri;
	enum evhttp_cmd_type cmd;
	const char *path, *ct;
	char cookie[64];
	int code;

	CHECK_OBJ(p, PENDING_MAGIC);
	if (p->origin->stopping)
		return (text_reply(oh, b, 503, "origin shutting down\n"));
	cmd = evhttp_request_get_command(p->req);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(oh, "Allow", "GET, HEAD");
		return (text_reply(oh, b, 405, "method not allowed\n"));
	}
	if (p->bad != NULL)
		return (text_reply(oh, b, 400, p->bad));
	uri = evhttp_request_get_evhttp_uri(p->req);
	path = (uri == NULL) ? NULL : evhttp_uri_get_path(uri);
	if (path == NULL || *path == '\0')
		path = "/";
	if (!strcmp(path, "/fail")) {
		p->origin->fail = p->status;
		p->status = 0;
		return (text_reply(oh, b, 200,
		    p->origin->fail ? "failing\n" : "healed\n"));
	}
	if (p->origin->fail != 0 && strcmp(path, "/stats") != 0)
		return (text_reply(oh, b, (int)p->origin->fail, "failing\n"));
	if (p->origin->fault == F_FLAKY && strcmp(path, "/stats") != 0 &&
	    p->seq % 2 == 1) {
		p->origin->faulted++;
		return (text_reply(oh, b, 503, "flaky\n"));
	}
	code = 0;
	if (!strncmp(path, "/render/", 8))
		code = render_route(path, p->origin->offsite, oh, b);
	if (code == 0 && p->origin->shop6 && strcmp(path, "/stats") != 0)
		code = shop6_route(p->req, path, p->origin->nproducts, p->seq,
		    oh, b);
	if (code == 0 && p->origin->traps && strcmp(path, "/stats") != 0 &&
	    strncmp(path, "/esi/", 5) != 0)
		code = traps(p, path, oh, b);
	if (code == 0)
		code = dispatch(p, path, oh, b);
	if (p->status != 0)
		code = (int)p->status;
	/* Pages hold ESI includes: say so, as Shopware and others do;
	 * the storefront holds none. */
	ct = evhttp_find_header(oh, "Content-Type");
	if (ct != NULL && !strncmp(ct, "text/html", 9) && !p->origin->shop6)
		evhttp_add_header(oh, "Surrogate-Control",
		    "content=\"ESI/1.0\"");
	if (p->cookie) {
		(void)snprintf(cookie, sizeof cookie,
		    "session=%016llx; "
		    "Path=/; HttpOnly",
		    p->seq * 0x9e3779b97f4a7c15ULL);
		evhttp_add_header(oh, "Set-Cookie", cookie);
	}
	return (code);
}

static void
finish(struct pending *p)
{
	struct origin *o;
	struct evkeyvalq *oh;
	struct evbuffer *b;
	char buf[32];
	int code;

	CHECK_OBJ(p, PENDING_MAGIC);
	o = p->origin;
	CHECK_OBJ(o, ORIGIN_MAGIC);
	if (p->hung)
		unhang(p);
	if (p->timer != NULL) {
		TAILQ_REMOVE(&o->waiting, p, list);
		event_free(p->timer);
		p->timer = NULL;
	}
	oh = evhttp_request_get_output_headers(p->req);
	b = evhttp_request_get_output_buffer(p->req);
	code = respond(p, oh, b);
	(void)snprintf(buf, sizeof buf, "%llu", p->seq);
	evhttp_add_header(oh, "X-Origin-Request", buf);
	/* evhttp drops the body of a HEAD reply, and its length with it. */
	if (evhttp_request_get_command(p->req) == EVHTTP_REQ_HEAD &&
	    code >= 200 && code != 204 && code != 304) {
		(void)snprintf(buf, sizeof buf, "%zu", evbuffer_get_length(b));
		evhttp_add_header(oh, "Content-Length", buf);
	}
	/* Also frees the request if its client has gone meanwhile. */
	evhttp_send_reply(p->req, code, NULL, NULL);
	assert(o->inflight > 0);
	o->inflight--;
	p->magic = 0;
	free(p);
}

static void
on_timer(evutil_socket_t fd, short what, void *priv)
{
	struct pending *p = priv;

	CHECK_OBJ(p, PENDING_MAGIC);
	if (p->fault != F_NONE)
		break_connection(p);
	else
		finish(p);
}

static double
now_real(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

static void
on_request(struct evhttp_request *req, void *priv)
{
	struct origin *o = priv;
	const struct evhttp_uri *uri;
	const char *path;
	struct pending *p;
	struct timeval tv;
	long ms;

	CHECK_OBJ(o, ORIGIN_MAGIC);
	uri = evhttp_request_get_evhttp_uri(req);
	path = (uri == NULL) ? NULL : evhttp_uri_get_path(uri);
	if (path != NULL && !strcmp(path, "/fault")) {
		fault_control(o, req, evhttp_uri_get_query(uri));
		return;
	}
	o->requests++;
	if (o->log != NULL) {
		/* The time, the URL, and who asked: Varnish, or not. */
		fprintf(o->log, "%.6f %s %s\n", now_real(),
		    evhttp_request_get_uri(req),
		    evhttp_find_header(evhttp_request_get_input_headers(req),
		        "X-Varnish") != NULL
		        ? "varnish"
		        : "direct");
		(void)fflush(o->log);
	}
	if (++o->inflight > o->inflight_max)
		o->inflight_max = o->inflight;
	p = calloc(1, sizeof *p);
	if (p == NULL) {
		o->inflight--;
		evhttp_send_error(req, 503, NULL);
		return;
	}
	p->magic = PENDING_MAGIC;
	p->origin = o;
	p->req = req;
	p->seq = o->requests;
	p->ttl = -1;
	parse_params(p);
	ms = o->delay_ms + p->delay_ms;
	/* /stats is the test's window, never queued nor refused. */
	if (o->workers > 0 &&
	    strncmp(evhttp_request_get_uri(req), "/stats", 6)) {
		if (o->queue_max > 0 && o->inflight > (unsigned)o->queue_max) {
			o->refused++;
			o->inflight--;
			evhttp_add_header(evhttp_request_get_output_headers(
			                      req),
			    "Retry-After", "1");
			evhttp_send_error(req, 503, "Overloaded");
			free(p);
			return;
		}
		/* Waiting for one of the workers to be free. */
		ms *= (long)((o->inflight + o->workers - 1) / o->workers);
	}
	if (o->fault != F_NONE && !o->stopping && path != NULL &&
	    strcmp(path, "/stats") != 0 && fault_apply(o, p, &ms))
		return;
	if (ms == 0 || o->stopping) {
		finish(p);
		return;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	p->timer = evtimer_new(o->base, on_timer, p);
	if (p->timer == NULL || evtimer_add(p->timer, &tv) != 0) {
		/* Late beats never: reply now rather than drop it. */
		if (p->timer != NULL)
			event_free(p->timer);
		p->timer = NULL;
		finish(p);
		return;
	}
	TAILQ_INSERT_TAIL(&o->waiting, p, list);
}

/*
 * Stop taking connections and answer every waiting request at once, then
 * give those replies a moment to reach their clients.  A second signal
 * does not wait.
 */
static void
on_signal(evutil_socket_t sig, short what, void *priv)
{
	struct origin *o = priv;
	struct timeval grace = { 0, 200000 };
	struct pending *p;

	CHECK_OBJ(o, ORIGIN_MAGIC);
	if (o->stopping) {
		(void)event_base_loopexit(o->base, NULL);
		return;
	}
	o->stopping = 1;
	evhttp_del_accept_socket(o->http, o->bound);
	o->bound = NULL;
	while ((p = TAILQ_FIRST(&o->waiting)) != NULL)
		finish(p);
	while ((p = TAILQ_FIRST(&o->hung)) != NULL)
		finish(p);
	(void)event_base_loopexit(o->base, &grace);
}

/*--------------------------------------------------------------------
 * Setup.
 */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: stoke-origin [-a ADDR] [-p PORT] "
	    "[-n PRODUCTS (1-%d)] [-P PIDFILE] [-d MS (0-%d)]\n"
	    "                    [-c WORKERS [-q QUEUE]] [-t [-o URL]] "
	    "[-s shopware] [-l FILE] [-g SIZE,...]\n"
	    "defaults: -a 127.0.0.1 -p 8080 -n 50 -d 0; -p 0 picks a port\n"
	    "-c: requests beyond WORKERS wait for one (each -d MS);\n"
	    "-q: beyond QUEUE in flight, 503 with Retry-After: 1\n"
	    "-t: a site without a sitemap, with traps for crawlers; "
	    "-o: its off-site link\n"
	    "    (and where the render pages' off-site script is)\n"
	    "-s shopware: a Shopware 6-like storefront, without ESI\n"
	    "-l: log each request (time, URL, varnish or direct) to FILE\n"
	    "-g: product pages also tagged group-SIZE-K, K = (id - 1) / SIZE,\n"
	    "    for invalidations of known sizes (up to %d sizes)\n",
	    MAX_PRODUCTS, MAX_DELAY_MS, MAX_GROUPS);
	exit(2);
}

static long
opt_num(const char *arg, long min, long max)
{
	long v;

	if (parse_num(arg, strlen(arg), min, max, &v)) {
		fprintf(stderr, "stoke-origin: bad number '%s' (%ld to %ld)\n",
		    arg, min, max);
		usage();
	}
	return (v);
}

/* -g 20,500: up to MAX_GROUPS sizes, each 1 to MAX_PRODUCTS. */
static void
opt_groups(struct origin *o, const char *arg)
{
	const char *s = arg, *e;
	char one[16];
	size_t len;
	int g;

	for (g = 0; *s != '\0'; g++) {
		e = strchr(s, ',');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		if (g == MAX_GROUPS || len == 0 || len >= sizeof one ||
		    (e != NULL && e[1] == '\0'))
			usage();
		memcpy(one, s, len);
		one[len] = '\0';
		o->groups[g] = opt_num(one, 1, MAX_PRODUCTS);
		s += len + (e != NULL);
	}
}

/* Prints the address we really got, which matters for port 0. */
static int
announce(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[64], serv[16];
	int v6;

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	        &sl) != 0)
		return (-1);
	if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv,
	        sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return (-1);
	v6 = (ss.ss_family == AF_INET6);
	printf("stoke-origin listening on %s%s%s:%s\n", v6 ? "[" : "", host,
	    v6 ? "]" : "", serv);
	return (fflush(stdout) == 0 ? 0 : -1);
}

static int
write_pidfile(const char *path)
{
	FILE *f;

	f = fopen(path, "w");
	if (f == NULL)
		return (-1);
	fprintf(f, "%ld\n", (long)getpid());
	return (fclose(f) == 0 ? 0 : -1);
}

int
main(int argc, char **argv)
{
	struct origin origin, *o = &origin;
	struct event *sigterm, *sigint;
	struct pending *p;
	const char *addr = "127.0.0.1", *pidfile = NULL;
	long port = 8080;
	int ch;

	memset(o, 0, sizeof *o);
	o->magic = ORIGIN_MAGIC;
	o->nproducts = 50;
	TAILQ_INIT(&o->waiting);
	TAILQ_INIT(&o->hung);
	while ((ch = getopt(argc, argv, "a:c:d:g:hl:n:o:p:P:q:s:t")) != -1) {
		switch (ch) {
		case 's':
			if (strcmp(optarg, "shopware"))
				usage();
			o->shop6 = 1;
			break;
		case 't':
			o->traps = 1;
			break;
		case 'o':
			o->offsite = optarg;
			break;
		case 'l':
			o->log = fopen(optarg, "a");
			if (o->log == NULL) {
				fprintf(stderr, "stoke-origin: %s: %s\n",
				    optarg, strerror(errno));
				return (1);
			}
			break;
		case 'a':
			addr = optarg;
			break;
		case 'c':
			o->workers = opt_num(optarg, 1, 10000);
			break;
		case 'q':
			o->queue_max = opt_num(optarg, 1, 100000);
			break;
		case 'd':
			o->delay_ms = opt_num(optarg, 0, MAX_DELAY_MS);
			break;
		case 'g':
			opt_groups(o, optarg);
			break;
		case 'n':
			o->nproducts = opt_num(optarg, 1, MAX_PRODUCTS);
			break;
		case 'p':
			port = opt_num(optarg, 0, 65535);
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	/* A client that hangs up mid-reply must not kill the origin. */
	(void)signal(SIGPIPE, SIG_IGN);
	o->base = event_base_new();
	o->http = (o->base == NULL) ? NULL : evhttp_new(o->base);
	if (o->http == NULL) {
		fprintf(stderr, "stoke-origin: cannot set up libevent\n");
		return (1);
	}
	/* Our handler answers 405 itself, with the headers tests expect. */
	evhttp_set_allowed_methods(o->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	        EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(o->http, 64 * 1024);
	evhttp_set_max_body_size(o->http, 64 * 1024);
	evhttp_set_timeout(o->http, 60);
	evhttp_set_gencb(o->http, on_request, o);

	o->bound =
	    evhttp_bind_socket_with_handle(o->http, addr, (ev_uint16_t)port);
	if (o->bound == NULL) {
		fprintf(stderr, "stoke-origin: cannot listen on %s:%ld\n", addr,
		    port);
		return (1);
	}
	if (pidfile != NULL && write_pidfile(pidfile) != 0) {
		fprintf(stderr, "stoke-origin: cannot write %s: %s\n", pidfile,
		    strerror(errno));
		return (1);
	}
	sigterm = evsignal_new(o->base, SIGTERM, on_signal, o);
	sigint = evsignal_new(o->base, SIGINT, on_signal, o);
	if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) ||
	    evsignal_add(sigint, NULL) || announce(o->bound) != 0) {
		fprintf(stderr, "stoke-origin: cannot start\n");
		if (pidfile != NULL)
			(void)unlink(pidfile);
		return (1);
	}

	(void)event_base_dispatch(o->base);

	/* The loop can end without a signal; leak no request even then. */
	o->stopping = 1;
	while ((p = TAILQ_FIRST(&o->waiting)) != NULL)
		finish(p);
	while ((p = TAILQ_FIRST(&o->hung)) != NULL)
		finish(p);
	evhttp_free(o->http);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(o->base);
	if (pidfile != NULL)
		(void)unlink(pidfile);
	return (0);
}
