/*
 * robots: Sitemap: lines in every spelling a robots.txt has, relative
 * URLs resolved, bad values skipped and counted, limits.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitemap/robots.h"
#include "unit.h"

#define ROBOTS "https://shop.example/robots.txt"
#define NGOT 8

struct got {
	size_t n;
	size_t stop_after; /* 0: never */
	char *url[NGOT];
	unsigned line[NGOT];
};

static int
collect(void *priv, const char *url, unsigned line)
{
	struct got *g = priv;

	if (g->n < NGOT) {
		g->url[g->n] = strdup(url);
		g->line[g->n] = line;
	}
	g->n++;
	return (g->stop_after > 0 && g->n >= g->stop_after);
}

static struct got g;
static struct robots_stats st;
static char err[256];

static void
got_reset(void)
{
	size_t i;

	for (i = 0; i < NGOT; i++)
		free(g.url[i]);
	memset(&g, 0, sizeof g);
}

static int
scan_len(const char *base, const char *body, size_t len,
    const struct robots_limits *lim)
{
	got_reset();
	memset(&st, 0xa5, sizeof st);
	strcpy(err, "(untouched)");
	return (robots_sitemaps(base, body, len, lim, collect, &g, &st, err,
	    sizeof err));
}

static int
scan(const char *body, const struct robots_limits *lim)
{
	return (scan_len(ROBOTS, body, strlen(body), lim));
}

static void
t_basic(void)
{
	CHECK_INT_EQ(scan("User-agent: *\n"
	                  "Disallow: /checkout/\n"
	                  "Sitemap: https://shop.example/sitemap.xml\n"
	                  "\n"
	                  "sitemap:https://shop.example/s2.xml.gz # the news\n"
	                  "SITEMAP :\t https://shop.example/s3.xml \t\n"
	                  "  SiteMap: https://shop.example/s4.xml\n",
	                 NULL),
	    0);
	CHECK_STR_EQ(err, "");
	CHECK_INT_EQ(g.n, 4);
	CHECK_INT_EQ(st.sitemaps, 4);
	CHECK_INT_EQ(st.skipped, 0);
	CHECK_INT_EQ(st.first_skip_line, 0);
	CHECK_STR_EQ(g.url[0], "https://shop.example/sitemap.xml");
	CHECK_INT_EQ(g.line[0], 3);
	CHECK_STR_EQ(g.url[1], "https://shop.example/s2.xml.gz");
	CHECK_INT_EQ(g.line[1], 5);
	CHECK_STR_EQ(g.url[2], "https://shop.example/s3.xml");
	CHECK_STR_EQ(g.url[3], "https://shop.example/s4.xml");
	CHECK_INT_EQ(g.line[3], 7);

	/* Not Sitemap: lines. */
	CHECK_INT_EQ(scan("Sitemaps: https://shop.example/a.xml\n"
	                  "XSitemap: https://shop.example/b.xml\n"
	                  "Site map: https://shop.example/c.xml\n"
	                  "# Sitemap: https://shop.example/d.xml\n"
	                  "Disallow: /x # Sitemap: https://shop.example/e.xml\n"
	                  "Allow: /sitemap: https://shop.example/f.xml\n"
	                  "Sitemap https://shop.example/g.xml\n"
	                  "https://shop.example/h.xml\n",
	                 NULL),
	    0);
	CHECK_INT_EQ(g.n, 0);
	CHECK_INT_EQ(st.skipped, 0);

	/* Nothing at all. */
	CHECK_INT_EQ(scan_len(ROBOTS, NULL, 0, NULL), 0);
	CHECK_INT_EQ(st.sitemaps, 0);
	CHECK_STR_EQ(err, "");

	/* Other hosts are given as they are: sitemaps.org allows them. */
	CHECK_INT_EQ(scan("Sitemap: http://other.example:8080/s.xml?a=b&c\n",
	                 NULL),
	    0);
	CHECK_STR_EQ(g.url[0], "http://other.example:8080/s.xml?a=b&c");
}

static void
t_line_ends(void)
{
	/* CRLF, CR, LF, a BOM, no end of line at the end. */
	CHECK_INT_EQ(scan("\xef\xbb\xbfSitemap: https://shop.example/1.xml\r\n"
	                  "Sitemap: https://shop.example/2.xml\r"
	                  "Sitemap: https://shop.example/3.xml\n"
	                  "\r\n\r\r\n\n"
	                  "Sitemap: https://shop.example/4.xml",
	                 NULL),
	    0);
	CHECK_INT_EQ(g.n, 4);
	CHECK_STR_EQ(g.url[0], "https://shop.example/1.xml");
	CHECK_INT_EQ(g.line[0], 1);
	CHECK_STR_EQ(g.url[1], "https://shop.example/2.xml");
	CHECK_INT_EQ(g.line[1], 2);
	CHECK_STR_EQ(g.url[2], "https://shop.example/3.xml");
	CHECK_INT_EQ(g.line[2], 3);
	CHECK_STR_EQ(g.url[3], "https://shop.example/4.xml");
	CHECK_INT_EQ(g.line[3], 8);

	/* A BOM is only skipped at the very start. */
	CHECK_INT_EQ(scan("\n\xef\xbb\xbfSitemap: https://shop.example/1.xml\n",
	                 NULL),
	    0);
	CHECK_INT_EQ(g.n, 0);

	/* A NUL byte spoils its own line only. */
	CHECK_INT_EQ(scan_len(ROBOTS,
	                 "Sitemap: https://shop.example/a\0.xml\n"
	                 "Sit\0emap: https://shop.example/b.xml\n"
	                 "Sitemap: https://shop.example/c.xml\n",
	                 37 + 37 + 36, NULL),
	    0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.url[0], "https://shop.example/c.xml");
	CHECK_INT_EQ(g.line[0], 3);
	CHECK_INT_EQ(st.skipped, 1);
	CHECK_INT_EQ(st.first_skip_line, 1);
}

static void
t_relative(void)
{
	CHECK_INT_EQ(scan_len("https://shop.example/shop/robots.txt",
	                 "Sitemap: /sitemap.xml\n"
	                 "Sitemap: sitemap2.xml\n"
	                 "Sitemap: ../../s3.xml\n"
	                 "Sitemap: //cdn.example/s4.xml\n"
	                 "Sitemap: ?page=2\n",
	                 strlen("Sitemap: /sitemap.xml\n"
	                        "Sitemap: sitemap2.xml\n"
	                        "Sitemap: ../../s3.xml\n"
	                        "Sitemap: //cdn.example/s4.xml\n"
	                        "Sitemap: ?page=2\n"),
	                 NULL),
	    0);
	CHECK_INT_EQ(g.n, 5);
	CHECK_STR_EQ(g.url[0], "https://shop.example/sitemap.xml");
	CHECK_STR_EQ(g.url[1], "https://shop.example/shop/sitemap2.xml");
	CHECK_STR_EQ(g.url[2], "https://shop.example/s3.xml");
	CHECK_STR_EQ(g.url[3], "https://cdn.example/s4.xml");
	CHECK_STR_EQ(g.url[4], "https://shop.example/shop/robots.txt?page=2");

	/* The robots.txt URL must be an http(s) one. */
	CHECK_INT_EQ(scan_len("ftp://shop.example/robots.txt", "Sitemap: /s\n",
	                 12, NULL),
	    -1);
	CHECK_STR_EQ(err, "bad robots.txt URL (not http or https)");
	CHECK_INT_EQ(g.n, 0);
	CHECK_INT_EQ(scan_len("/robots.txt", "Sitemap: /s\n", 12, NULL), -1);
	CHECK_STR_EQ(err, "bad robots.txt URL (Bad scheme)");
	CHECK_INT_EQ(scan_len("javascript:alert(1)", "Sitemap: /s\n", 12, NULL),
	    -1);
	CHECK_STR_EQ(err, "bad robots.txt URL (Unsupported URL scheme)");
}

static void
t_skipped(void)
{
	CHECK_INT_EQ(scan("Sitemap:\n"
	                  "Sitemap: javascript:alert(1)\n"
	                  "Sitemap: ftp://shop.example/s.xml\n"
	                  "Sitemap: file:///etc/passwd\n"
	                  "Sitemap: https://shop.example/a b.xml\n"
	                  "Sitemap: https://shop.example/\x01.xml\n"
	                  "Sitemap: https://shop.example/\xc3\xa4.xml\n"
	                  "Sitemap: https://[::1/s.xml\n"
	                  "Sitemap: https://shop.example:99999/s.xml\n"
	                  "Sitemap: https://shop.example/ok.xml\n"
	                  "Sitemap: # nothing\n",
	                 NULL),
	    0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_STR_EQ(g.url[0], "https://shop.example/ok.xml");
	CHECK_INT_EQ(g.line[0], 10);
	CHECK_INT_EQ(st.sitemaps, 1);
	CHECK_INT_EQ(st.skipped, 10);
	CHECK_INT_EQ(st.first_skip_line, 1);
	CHECK_STR_EQ(st.first_skip, "no URL");

	/* The first reason is kept, one per kind of bad value. */
	CHECK_INT_EQ(scan("Sitemap: javascript:alert(1)\nSitemap:\n", NULL), 0);
	CHECK_STR_EQ(st.first_skip, "not an http(s) URL");
	CHECK_INT_EQ(scan("\nSitemap: file:///etc/passwd\n", NULL), 0);
	CHECK_STR_EQ(st.first_skip, "not an http(s) URL");
	CHECK_INT_EQ(st.first_skip_line, 2);
	CHECK_INT_EQ(scan("Sitemap: https://shop.example/a b.xml\n", NULL), 0);
	CHECK_STR_EQ(st.first_skip,
	    "control character, space or non-ASCII byte in URL");
	CHECK_INT_EQ(scan("Sitemap: https://[::1/s.xml\n", NULL), 0);
	CHECK_STR_EQ(st.first_skip, "unparsable URL (Bad IPv6 address)");
	CHECK_INT_EQ(g.n, 0);
}

static void
t_limits(void)
{
	struct robots_limits lim;
	char body[4096], url[3000];
	char *big;
	size_t i, n;

	/* max_sitemaps: as many, then an error. */
	memset(&lim, 0, sizeof lim);
	lim.max_sitemaps = 3;
	for (n = 0, i = 0; i < 3; i++)
		n += (size_t)snprintf(body + n, sizeof body - n,
		    "Sitemap: /s%zu.xml\n", i);
	CHECK_INT_EQ(scan(body, &lim), 0);
	CHECK_INT_EQ(g.n, 3);
	snprintf(body + n, sizeof body - n, "Sitemap: /s3.xml\nSitemap: /s4\n");
	CHECK_INT_EQ(scan(body, &lim), -1);
	CHECK_STR_EQ(err,
	    "too many sitemaps in robots.txt (over 3, limit "
	    "max_sitemaps)");
	CHECK_INT_EQ(g.n, 3);
	CHECK_INT_EQ(st.sitemaps, 3);
	/* Skipped lines do not count. */
	snprintf(body + n, sizeof body - n, "Sitemap: ftp://x/\nSitemap:\n");
	CHECK_INT_EQ(scan(body, &lim), 0);
	CHECK_INT_EQ(st.skipped, 2);

	/* The default, 1000. */
	big = malloc(1001 * 32);
	for (n = 0, i = 0; i < 1001; i++)
		n += (size_t)snprintf(big + n, 1001 * 32 - n,
		    "Sitemap: /s%zu.xml\n", i);
	CHECK_INT_EQ(scan(big, NULL), -1);
	CHECK_STR_EQ(err,
	    "too many sitemaps in robots.txt (over 1000, limit "
	    "max_sitemaps)");
	CHECK_INT_EQ(st.sitemaps, 1000);
	CHECK_INT_EQ(g.n, 1000);
	free(big);

	/* max_bytes: as many, then an error before anything is given. */
	memset(&lim, 0, sizeof lim);
	snprintf(body, sizeof body, "Sitemap: /s.xml\n");
	lim.max_bytes = strlen(body);
	CHECK_INT_EQ(scan(body, &lim), 0);
	CHECK_INT_EQ(g.n, 1);
	lim.max_bytes = strlen(body) - 1;
	CHECK_INT_EQ(scan(body, &lim), -1);
	snprintf(url, sizeof url,
	    "robots.txt too large (over %zu bytes, limit max_bytes)",
	    strlen(body) - 1);
	CHECK_STR_EQ(err, url);
	CHECK_INT_EQ(g.n, 0);
	/* The default: 500 KiB. */
	n = ROBOTS_MAX_BYTES + 1;
	big = malloc(n);
	memset(big, '\n', n);
	memcpy(big, "Sitemap: /s.xml", 15);
	CHECK_INT_EQ(scan_len(ROBOTS, big, n, NULL), -1);
	CHECK_STR_EQ(err,
	    "robots.txt too large (over 512000 bytes, limit "
	    "max_bytes)");
	CHECK_INT_EQ(scan_len(ROBOTS, big, n - 1, NULL), 0);
	CHECK_INT_EQ(g.n, 1);
	free(big);

	/* max_url: as written, and once resolved. */
	memset(url, 'a', sizeof url);
	memcpy(url, "https://shop.example/", 21);
	url[2048] = '\0';
	snprintf(body, sizeof body, "Sitemap: %s\n", url);
	CHECK_INT_EQ(scan(body, NULL), 0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_INT_EQ(strlen(g.url[0]), 2048);
	url[2048] = 'a';
	url[2049] = '\0';
	snprintf(body, sizeof body, "Sitemap: %s\n", url);
	CHECK_INT_EQ(scan(body, NULL), 0);
	CHECK_INT_EQ(g.n, 0);
	CHECK_STR_EQ(st.first_skip, "URL too long (2049 bytes, limit 2048)");
	memset(&lim, 0, sizeof lim);
	lim.max_url = 20;
	CHECK_INT_EQ(scan("Sitemap: /twenty-chars.xml\n", &lim), 0);
	CHECK_INT_EQ(g.n, 0);
	CHECK_STR_EQ(st.first_skip, "URL too long once resolved (limit 20)");
}

static void
t_stop(void)
{
	got_reset();
	g.stop_after = 1;
	CHECK_INT_EQ(robots_sitemaps(ROBOTS, "Sitemap: /a\nSitemap: /b\n", 24,
	                 NULL, collect, &g, &st, err, sizeof err),
	    1);
	CHECK_INT_EQ(g.n, 1);
	CHECK_INT_EQ(st.sitemaps, 1);
	CHECK_STR_EQ(err, "");
	/* No callback, stats or err: counting still works. */
	CHECK_INT_EQ(robots_sitemaps(ROBOTS, "Sitemap: /a\nSitemap: /b\n", 24,
	                 NULL, NULL, NULL, &st, NULL, 0),
	    0);
	CHECK_INT_EQ(st.sitemaps, 2);
	CHECK_INT_EQ(robots_sitemaps("x", "", 0, NULL, NULL, NULL, NULL, NULL,
	                 0),
	    -1);
}

static int
allowed(const char *body, const char *agent, const char *path)
{
	struct robots_rules *r;
	int a;

	r = robots_rules_new(body, strlen(body), agent);
	a = robots_allowed(r, path);
	robots_rules_free(&r);
	return (a);
}

static double
delay(const char *body)
{
	struct robots_rules *r;
	double d;

	r = robots_rules_new(body, strlen(body), ROBOTS_AGENT);
	d = robots_crawl_delay(r);
	robots_rules_free(&r);
	return (d);
}

static void
t_rules(void)
{
	static const char shop[] =
	    "User-agent: Googlebot\n"
	    "Disallow: /\n"
	    "\n"
	    "User-agent: *\n"
	    "Disallow: /checkout\n"
	    "Disallow: /*?sort=\n"
	    "Disallow: /*.pdf$\n"
	    "Allow: /checkout/help\n"
	    "Disallow:\n"
	    "Crawl-delay: 0.5\n"
	    "Sitemap: https://shop.example/sitemap.xml\n";
	static const char ours[] = "User-agent: *\n"
	                           "Disallow: /\n"
	                           "\n"
	                           "User-agent: other\n"
	                           "User-agent: Stoke/1.0\n"
	                           "Disallow: /private/ # not for warming\n"
	                           "Allow: /private/ok$\n"
	                           "user-AGENT: stoke\n"
	                           "disallow: /also\n"
	                           "CRAWL-DELAY: 2\n";
	struct robots_rules *r;

	CHECK(allowed(shop, ROBOTS_AGENT, "/"));
	CHECK(allowed(shop, ROBOTS_AGENT, "/product/1"));
	CHECK(!allowed(shop, ROBOTS_AGENT, "/checkout"));
	CHECK(!allowed(shop, ROBOTS_AGENT, "/checkout/cart?x=1"));
	CHECK(allowed(shop, ROBOTS_AGENT, "/checkout/help"));
	CHECK(allowed(shop, ROBOTS_AGENT, "/checkout/help/more"));
	CHECK(!allowed(shop, ROBOTS_AGENT, "/cat/1?sort=price"));
	CHECK(allowed(shop, ROBOTS_AGENT, "/cat/1?page=2&sort=price"));
	CHECK(allowed(shop, ROBOTS_AGENT, "/cat/1?page=2"));
	CHECK(!allowed(shop, ROBOTS_AGENT, "/files/a.pdf"));
	CHECK(allowed(shop, ROBOTS_AGENT, "/files/a.pdf?v=2"));
	CHECK(!allowed(shop, "googlebot", "/product/1"));
	CHECK(allowed(shop, "googlebot", "/robots.txt"));
	CHECK(delay(shop) == 0.5);
	/* Our own groups (two, merged) over "*"'s. */
	CHECK(allowed(ours, ROBOTS_AGENT, "/"));
	CHECK(!allowed(ours, ROBOTS_AGENT, "/private/x"));
	CHECK(allowed(ours, ROBOTS_AGENT, "/private/ok"));
	CHECK(!allowed(ours, ROBOTS_AGENT, "/private/ok2"));
	CHECK(!allowed(ours, ROBOTS_AGENT, "/also/x"));
	CHECK(!allowed(ours, "someone", "/"));
	CHECK(delay(ours) == 2);
	/* Equal lengths: Allow wins. */
	CHECK(allowed("User-agent: *\nDisallow: /a\nAllow: /a\n", ROBOTS_AGENT,
	    "/a"));
	/* Wildcards that must backtrack. */
	CHECK(!allowed("User-agent: *\nDisallow: /*a*b$\n", ROBOTS_AGENT,
	    "/xaxxaxb"));
	CHECK(allowed("User-agent: *\nDisallow: /*a*b$\n", ROBOTS_AGENT,
	    "/xaxxaxbc"));
	CHECK(!allowed("User-agent: *\nDisallow: *\n", ROBOTS_AGENT, "/x"));
	/* Rules before any group, and a bad delay: nothing. */
	CHECK(allowed("Disallow: /\n", ROBOTS_AGENT, "/x"));
	CHECK(delay("User-agent: *\nCrawl-delay: soon\n") < 0);
	CHECK(delay("User-agent: *\nCrawl-delay: -1\n") < 0);
	CHECK(delay("") < 0);
	/* Not there, or not readable. */
	r = robots_rules_all(1);
	CHECK(robots_allowed(r, "/x"));
	robots_rules_free(&r);
	r = robots_rules_all(0);
	CHECK(!robots_allowed(r, "/x"));
	CHECK(robots_allowed(r, "/robots.txt"));
	robots_rules_free(&r);
}

int
main(void)
{
	t_rules();
	t_basic();
	t_line_ends();
	t_relative();
	t_skipped();
	t_limits();
	t_stop();
	got_reset();
	return (unit_done());
}
