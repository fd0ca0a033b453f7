/*
 * A Shopware 6-like storefront (stoke-origin -s shopware), written as
 * Shopware 6.5's storefront writes its pages, abridged: a start page
 * with the main navigation and its flyouts, the currency and language
 * switchers, the search form, hreflang alternates, the compiled theme's
 * assets and a generator; category listings linking their products;
 * product pages priced in the currency of the sw-currency cookie (a
 * currency's id, as Shopware sets it); the search page; a session
 * cookie on every page; and Shopware's sitemap: /sitemap.xml an index
 * of sitemap/salesChannel-SALESCHANNEL-LANGUAGE-1.xml.gz.  No ESI.
 *
 * The catalogue: SHOP6_CATEGORIES categories, each with a subcategory
 * in its flyout; product i in category i % SHOP6_CATEGORIES + 1.
 */

#define _POSIX_C_SOURCE 200809L

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "origin.h"

#define SHOP6_CATEGORIES 3
#define SHOP6_VERSION "6.5.8.2"
#define SHOP6_THEME "/theme/8d5e0a1c9f0b4d2e"
#define SHOP6_CHANNEL "98432def39fc4624b33213a56b8c944d"
#define SHOP6_SEARCH_MAX 100

#define HTML "text/html; charset=utf-8"

static const char *const shop6_cat[SHOP6_CATEGORIES] = { "Coffee", "Tea",
	"Cocoa" };

static const struct shop6_currency {
	const char *id;
	const char *label;
	long rate_pct;
} shop6_cur[] = {
	{ "b7d2554b0ce847cd82f3ac9bd1c0dfca", "&euro; EUR", 100 },
	{ "1c1e2a9a0bd543a0a4bd16a4b1aa2d4f", "$ USD", 108 },
	{ "3a8c1b5e2f9d4c7b8e6a0d1f2c3b4a59", "&pound; GBP", 85 },
};
#define SHOP6_NCUR (sizeof shop6_cur / sizeof *shop6_cur)

static const struct shop6_language {
	const char *id;
	const char *name;
	const char *hreflang;
	const char *path; /* its domain's: / or /de/ */
} shop6_lang[] = {
	{ "2fbb5fe2e29a4d70aa5854ce7ce3e20b", "English", "en-GB", "/" },
	{ "9d4d1bc5a0d44a3a8e0e3a4fce5a1b7e", "Deutsch", "de-DE", "/de/" },
};
#define SHOP6_NLANG (sizeof shop6_lang / sizeof *shop6_lang)

/* The currency of the sw-currency cookie; the default without one. */
static const struct shop6_currency *
shop6_currency(struct evhttp_request *req)
{
	const char *c, *v;
	size_t u, n;

	c = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
	for (v = c; v != NULL && (v = strstr(v, "sw-currency=")) != NULL; v++) {
		if (v != c && v[-1] != ' ' && v[-1] != ';')
			continue;
		v += strlen("sw-currency=");
		n = strcspn(v, "; ");
		for (u = 0; u < SHOP6_NCUR; u++)
			if (n == strlen(shop6_cur[u].id) &&
			    !strncmp(v, shop6_cur[u].id, n))
				return (&shop6_cur[u]);
		break;
	}
	return (&shop6_cur[0]);
}

static void
shop6_switcher(struct evbuffer *b, const char *action, const char *name,
    const char *id, const char *label, int checked)
{
	(void)action;
	evbuffer_add_printf(b,
	    "<div class=\"top-bar-list-item dropdown-item\">"
	    "<label class=\"top-bar-list-label\" for=\"top-bar-%s\">"
	    "<input class=\"top-bar-list-radio\" id=\"top-bar-%s\" "
	    "value=\"%s\" name=\"%s\" type=\"radio\"%s> %s</label></div>\n",
	    id, id, id, name, checked ? " checked" : "", label);
}

static void
shop6_head(struct evbuffer *b, const char *host, const char *title,
    const struct shop6_currency *cur, size_t lang)
{
	size_t u;

	evbuffer_add_printf(b,
	    "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"generator\" content=\"Shopware " SHOP6_VERSION "\">"
	    "<title>%s | Demo storefront</title>\n",
	    shop6_lang[lang].hreflang, title);
	for (u = 0; u < SHOP6_NLANG; u++)
		evbuffer_add_printf(b,
		    "<link rel=\"alternate\" hreflang=\"%s\" "
		    "href=\"http://%s%s\">\n",
		    shop6_lang[u].hreflang, host, shop6_lang[u].path);
	evbuffer_add_printf(b,
	    "<link rel=\"stylesheet\" href=\"http://%s" SHOP6_THEME
	    "/css/all.css?1700000000\">\n"
	    "<script src=\"http://%s" SHOP6_THEME
	    "/js/storefront/storefront.js?1700000000\" defer></script>\n"
	    "</head>\n<body>\n<div class=\"top-bar\">\n"
	    "<form method=\"post\" action=\"/checkout/language\" "
	    "class=\"language-form\" data-form-auto-submit=\"true\">\n",
	    host, host);
	for (u = 0; u < SHOP6_NLANG; u++)
		shop6_switcher(b, "language", "languageId", shop6_lang[u].id,
		    shop6_lang[u].name, u == lang);
	evbuffer_add_printf(b,
	    "</form>\n<form method=\"post\" action=\"/checkout/configure\" "
	    "class=\"currency-form\" data-form-auto-submit=\"true\">\n");
	for (u = 0; u < SHOP6_NCUR; u++)
		shop6_switcher(b, "currency", "currencyId", shop6_cur[u].id,
		    shop6_cur[u].label, &shop6_cur[u] == cur);
	evbuffer_add_printf(b,
	    "</form>\n</div>\n<header>"
	    "<form action=\"/search\" method=\"get\" "
	    "data-search-widget=\"true\">"
	    "<input type=\"search\" name=\"search\"></form>"
	    "<div data-offcanvas-cart=\"true\"></div></header>\n"
	    "<nav class=\"nav main-navigation-menu\" data-flyout-menu=\"true\">"
	    "<a class=\"nav-link main-navigation-link home-link\" "
	    "href=\"http://%s%s\">Home</a>",
	    host, shop6_lang[lang].path);
	for (u = 0; u < SHOP6_CATEGORIES; u++)
		evbuffer_add_printf(b,
		    "<a class=\"nav-link main-navigation-link\" "
		    "href=\"http://%s/%s/\">%s</a>",
		    host, shop6_cat[u], shop6_cat[u]);
	evbuffer_add_printf(b, "</nav>\n<div class=\"navigation-flyouts\">");
	for (u = 0; u < SHOP6_CATEGORIES; u++)
		evbuffer_add_printf(b,
		    "<a class=\"nav-item nav-link navigation-flyout-link\" "
		    "href=\"http://%s/%s/Specials/\">%s specials</a>",
		    host, shop6_cat[u], shop6_cat[u]);
	evbuffer_add_printf(b, "</div>\n<main>\n<h1>%s</h1>\n", title);
}

static void
shop6_foot(struct evbuffer *b)
{
	evbuffer_add_printf(b, "</main>\n</body>\n</html>\n");
}

static void
shop6_product_box(struct evbuffer *b, long i, const struct shop6_currency *c)
{
	long cents = (500 + (i * 7919) % 9500) * c->rate_pct / 100;

	evbuffer_add_printf(b,
	    "<div class=\"card product-box\"><a class=\"product-name\" "
	    "href=\"/Product-%ld/SW%05ld\">Product %ld</a> "
	    "<span class=\"product-price\">%ld.%02ld %s</span></div>\n",
	    i, 10000 + i, i, cents / 100, cents % 100, c->label);
}

/* "/Coffee/" or "/Coffee/Specials/": its number, or 0. */
static int
shop6_category_of(const char *path, int *special)
{
	size_t n;
	int c;

	for (c = 0; c < SHOP6_CATEGORIES; c++) {
		n = strlen(shop6_cat[c]);
		if (path[0] != '/' || strncmp(path + 1, shop6_cat[c], n) ||
		    path[n + 1] != '/')
			continue;
		if (path[n + 2] == '\0') {
			*special = 0;
			return (c + 1);
		}
		if (!strcmp(path + n + 2, "Specials/")) {
			*special = 1;
			return (c + 1);
		}
	}
	return (0);
}

/* "/Product-12/SW10012": 12, or 0. */
static long
shop6_product_of(const char *path, long nproducts)
{
	char tail[32];
	long id;
	int n = 0;

	if (sscanf(path, "/Product-%ld/%n", &id, &n) != 1 || n == 0 || id < 1 ||
	    id > nproducts)
		return (0);
	(void)snprintf(tail, sizeof tail, "SW%05ld", 10000 + id);
	return (!strcmp(path + n, tail) ? id : 0);
}

static void
shop6_sitemap(struct evbuffer *x, const char *host, long nproducts)
{
	long i;
	int c;

	evbuffer_add_printf(x,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
	    "<url><loc>http://%s/</loc></url>\n",
	    host);
	for (c = 0; c < SHOP6_CATEGORIES; c++)
		evbuffer_add_printf(x, "<url><loc>http://%s/%s/</loc></url>\n",
		    host, shop6_cat[c]);
	for (i = 1; i <= nproducts; i++)
		evbuffer_add_printf(x,
		    "<url><loc>http://%s/Product-%ld/SW%05ld</loc>"
		    "<lastmod>2026-11-01</lastmod></url>\n",
		    host, i, 10000 + i);
	evbuffer_add_printf(x, "</urlset>\n");
}

/* The search term as it came, %-decoded and with '+' a space. */
static void
shop6_term(struct evhttp_request *req, char *out, size_t outlen)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq q;
	const char *v;

	out[0] = '\0';
	TAILQ_INIT(&q);
	if (uri == NULL || evhttp_uri_get_query(uri) == NULL ||
	    evhttp_parse_query_str(evhttp_uri_get_query(uri), &q) != 0)
		return;
	v = evhttp_find_header(&q, "search");
	if (v != NULL)
		(void)snprintf(out, outlen, "%s", v);
	evhttp_clear_headers(&q);
}

static int
shop6_listing(struct evhttp_request *req, const char *path, long nproducts,
    struct evbuffer *b)
{
	const struct shop6_currency *cur = shop6_currency(req);
	const char *host = req_host(req);
	char term[SHOP6_SEARCH_MAX + 1], title[160];
	int cat, special;
	long i;

	if (!strcmp(path, "/search")) {
		shop6_term(req, term, sizeof term);
		shop6_head(b, host, "Search", cur, 0);
		evbuffer_add_printf(b, "<p class=\"search-headline\">");
		html_escape(b, term, SHOP6_SEARCH_MAX);
		evbuffer_add_printf(b, "</p>\n");
		for (i = 1; i <= nproducts && i <= 3; i++)
			shop6_product_box(b, i, cur);
		shop6_foot(b);
		return (200);
	}
	if ((cat = shop6_category_of(path, &special)) == 0)
		return (0);
	(void)snprintf(title, sizeof title, "%s%s", shop6_cat[cat - 1],
	    special ? " specials" : "");
	shop6_head(b, host, title, cur, 0);
	evbuffer_add_printf(b,
	    "<div class=\"cms-listing-row\" "
	    "data-listing=\"true\">\n");
	for (i = 1; i <= nproducts; i++)
		if (i % SHOP6_CATEGORIES + 1 == cat && (!special || i % 2))
			shop6_product_box(b, i, cur);
	evbuffer_add_printf(b, "</div>\n");
	shop6_foot(b);
	return (200);
}

static int
shop6_page(struct evhttp_request *req, const char *path, long nproducts,
    struct evbuffer *b)
{
	const struct shop6_currency *cur = shop6_currency(req);
	const char *host = req_host(req);
	char title[32];
	long id;
	size_t u;

	for (u = 0; u < SHOP6_NLANG; u++) {
		if (strcmp(path, shop6_lang[u].path))
			continue;
		shop6_head(b, host, u == 0 ? "Home" : "Startseite", cur, u);
		evbuffer_add_printf(b, "<p>Welcome.</p>\n");
		shop6_foot(b);
		return (200);
	}
	if ((id = shop6_product_of(path, nproducts)) != 0) {
		(void)snprintf(title, sizeof title, "Product %ld", id);
		shop6_head(b, host, title, cur, 0);
		evbuffer_add_printf(b, "<div data-buy-widget=\"true\">");
		shop6_product_box(b, id, cur);
		evbuffer_add_printf(b, "</div>\n");
		shop6_foot(b);
		return (200);
	}
	return (shop6_listing(req, path, nproducts, b));
}

static int
shop6_files(struct evhttp_request *req, const char *path, long nproducts,
    struct evkeyvalq *oh, struct evbuffer *b)
{
	const char *host = req_host(req);
	struct evbuffer *x;
	char gz[160];
	int r;

	(void)snprintf(gz, sizeof gz,
	    "/sitemap/salesChannel-" SHOP6_CHANNEL "-%s-1.xml.gz",
	    shop6_lang[0].id);
	if (!strcmp(path, "/robots.txt")) {
		evhttp_add_header(oh, "Content-Type", "text/plain");
		evbuffer_add_printf(b,
		    "User-agent: *\nDisallow: /checkout/\n"
		    "Sitemap: http://%s/sitemap.xml\n",
		    host);
		return (200);
	}
	if (!strcmp(path, "/sitemap.xml")) {
		evhttp_add_header(oh, "Content-Type", "application/xml");
		evbuffer_add_printf(b,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/"
		    "sitemap/0.9\">\n<sitemap><loc>http://%s%s</loc>"
		    "</sitemap>\n</sitemapindex>\n",
		    host, gz);
		return (200);
	}
	if (strcmp(path, gz))
		return (0);
	x = evbuffer_new();
	if (x == NULL)
		return (0);
	shop6_sitemap(x, host, nproducts);
	r = gzip_buffer(x, b);
	evbuffer_free(x);
	evhttp_add_header(oh, "Content-Type", "application/gzip");
	return (r == 0 ? 200 : 503);
}

int
shop6_route(struct evhttp_request *req, const char *path, long nproducts,
    unsigned long long seq, struct evkeyvalq *oh, struct evbuffer *b)
{
	char cookie[96];
	int code;

	code = shop6_files(req, path, nproducts, oh, b);
	if (code != 0) {
		evhttp_add_header(oh, "Cache-Control", "public, max-age=300");
		return (code);
	}
	code = shop6_page(req, path, nproducts, b);
	if (code == 0)
		return (0);
	evhttp_add_header(oh, "Content-Type", HTML);
	evhttp_add_header(oh, "Cache-Control", "public, max-age=300");
	/* A session on every page, as Shopware starts one. */
	(void)snprintf(cookie, sizeof cookie,
	    "session-=%016llx; path=/; HttpOnly; SameSite=lax",
	    seq * 0x9e3779b97f4a7c15ULL);
	evhttp_add_header(oh, "Set-Cookie", cookie);
	return (code);
}
