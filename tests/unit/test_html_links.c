/*
 * html_links: links and ESI fragments out of real-world HTML through
 * libxml2's parser, <base href>, rel=nofollow and the robots meta tag,
 * broken and cut pages, the cap on references.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "sitemap/html_links.h"
#include "unit.h"

#define PAGE "https://shop.example/cat/page"
#define NGOT 16

static struct got {
	unsigned n, nesi;
	char *url[NGOT];
	enum html_link_kind kind[NGOT];
} g;
static struct html_links_stats st;

static void
collect(void *priv, enum html_link_kind kind, const char *url)
{
	(void)priv;
	if (g.n < NGOT) {
		g.url[g.n] = strdup(url);
		g.kind[g.n] = kind;
	}
	g.n++;
	if (kind == HTML_ESI)
		g.nesi++;
}

static void
reset(void)
{
	unsigned u;

	for (u = 0; u < NGOT; u++)
		free(g.url[u]);
	memset(&g, 0, sizeof g);
	memset(&st, 0xa5, sizeof st);
}

static int
links(const char *html)
{
	reset();
	return (html_links(PAGE, html, strlen(html), &url_norm_tracking,
	    collect, NULL, &st));
}

static void
t_basic(void)
{
	CHECK_INT_EQ(links("<!DOCTYPE html><html><head><title>x</title>"
	                   "</head><body>"
	                   "<esi:include src=\"/esi/header\"/>"
	                   "<a href=\"/product/1\">one</a>"
	                   "<A HREF='next?page=2&amp;utm_source=n'>two</A>"
	                   "<a href=\"#top\">top</a>"
	                   "<a>no href</a>"
	                   "<a href=\"mailto:x@shop.example\">mail</a>"
	                   "<map><area href=\"/area\"></map>"
	                   "<a href=\"https://other.example/\">away</a>"
	                   "<a href=\"/p\" rel=\"external NoFollow\">no</a>"
	                   "<!-- <a href=\"/commented\"> -->"
	                   "<script>var s = '<a href=\"/in-script\">';</script>"
	                   "</body></html>"),
	    0);
	CHECK_INT_EQ(g.n, 6);
	CHECK_INT_EQ(g.kind[0], HTML_ESI);
	CHECK_STR_EQ(g.url[0], "https://shop.example/esi/header");
	CHECK_STR_EQ(g.url[1], "https://shop.example/product/1");
	CHECK_INT_EQ(g.kind[1], HTML_LINK);
	CHECK_STR_EQ(g.url[2], "https://shop.example/cat/next?page=2");
	CHECK_STR_EQ(g.url[3], "https://shop.example/cat/page");
	CHECK_STR_EQ(g.url[4], "https://shop.example/area");
	CHECK_STR_EQ(g.url[5], "https://other.example/");
	CHECK_INT_EQ(st.links, 5);
	CHECK_INT_EQ(st.esi, 1);
	CHECK_INT_EQ(st.nofollow, 1);
	CHECK_INT_EQ(st.unusable, 1);
	CHECK_INT_EQ(st.over, 0);
	CHECK_INT_EQ(st.meta_nofollow, 0);
	CHECK_INT_EQ(st.based, 0);
}

static void
t_base(void)
{
	/* Before or after the links, the first <base href> counts. */
	CHECK_INT_EQ(links("<html><body><a href=\"x\">x</a>"
	                   "<base href=\"https://shop.example/other/dir/\">"
	                   "<base href=\"https://elsewhere.example/\">"
	                   "<a href=\"../y\">y</a></body></html>"),
	    0);
	CHECK_INT_EQ(g.n, 2);
	CHECK_STR_EQ(g.url[0], "https://shop.example/other/dir/x");
	CHECK_STR_EQ(g.url[1], "https://shop.example/other/y");
	CHECK_INT_EQ(st.based, 1);
	/* A relative base, resolved against the page. */
	CHECK_INT_EQ(links("<head><base href=\"/b/\"></head>"
	                   "<a href=\"c\">c</a>"),
	    0);
	CHECK_STR_EQ(g.url[0], "https://shop.example/b/c");
	/* An unusable one is no base. */
	CHECK_INT_EQ(links("<base href=\"javascript:x\"><a href=\"c\">c</a>"),
	    0);
	CHECK_STR_EQ(g.url[0], "https://shop.example/cat/c");
	CHECK_INT_EQ(st.based, 0);
}

static void
t_meta(void)
{
	/* The meta tag after the links still counts; fragments stay. */
	CHECK_INT_EQ(links("<html><head></head><body>"
	                   "<a href=\"/a\">a</a><esi:include src=\"/f\"/>"
	                   "<meta name=\"ROBOTS\" content=\"noindex, "
	                   "NOFOLLOW\"></body></html>"),
	    0);
	CHECK_INT_EQ(g.n, 1);
	CHECK_INT_EQ(g.kind[0], HTML_ESI);
	CHECK_STR_EQ(g.url[0], "https://shop.example/f");
	CHECK_INT_EQ(st.meta_nofollow, 1);
	CHECK_INT_EQ(st.nofollow, 1);
	CHECK_INT_EQ(links("<meta name=\"robots\" content=\"none\">"
	                   "<a href=\"/a\">a</a>"),
	    0);
	CHECK_INT_EQ(g.n, 0);
	/* Another robot's tag, or index-only: followed. */
	CHECK_INT_EQ(links("<meta name=\"description\" content=\"nofollow\">"
	                   "<meta name=\"robots\" content=\"noindex\">"
	                   "<a href=\"/a\">a</a>"),
	    0);
	CHECK_INT_EQ(g.n, 1);
}

static void
t_broken(void)
{
	static const char cut[] = "<html><body><a href=\"/one\">one</a>"
	                          "<a href=\"/tw";
	char *big;
	size_t u, n;

	/* Cut short, as a page past the byte cap is. */
	reset();
	CHECK_INT_EQ(html_links(PAGE, cut, sizeof cut - 1, NULL, collect, NULL,
	                 &st),
	    0);
	CHECK(g.n >= 1);
	CHECK_STR_EQ(g.url[0], "https://shop.example/one");
	/* Unclosed, misnested, binary junk, NUL bytes. */
	CHECK_INT_EQ(links("<a href=/bare>x<div><a href=\"/two\"></span>"
	                   "\x01\x02\xff\xfe<p><a href=\"/three\">"),
	    0);
	CHECK_INT_EQ(g.n, 3);
	CHECK_STR_EQ(g.url[0], "https://shop.example/bare");
	CHECK_STR_EQ(g.url[2], "https://shop.example/three");
	reset();
	CHECK_INT_EQ(html_links(PAGE, "\0\0<a href=\"/z\">", 16, NULL, collect,
	                 NULL, &st),
	    0);
	CHECK_INT_EQ(links(""), 0);
	CHECK_INT_EQ(g.n, 0);
	CHECK_INT_EQ(links("no html at all"), 0);
	CHECK_INT_EQ(g.n, 0);
	/* No entity from outside, no DTD fetched. */
	CHECK_INT_EQ(links("<!DOCTYPE html SYSTEM \"http://127.0.0.1:1/x.dtd\">"
	                   "<a href=\"/ok\">ok</a>"),
	    0);
	CHECK_INT_EQ(g.n, 1);
	/* A bad page URL: refused before anything is read. */
	reset();
	CHECK_INT_EQ(html_links("mailto:x", "<a href=\"/\">", 12, NULL, collect,
	                 NULL, NULL),
	    -1);

	/* The cap on references read from one page. */
	n = HTML_LINKS_MAX + 10;
	big = malloc(n * 16 + 1);
	AN(big);
	for (u = 0; u < n; u++)
		snprintf(big + u * 16, 17, "<a href=/%06zu>", u);
	CHECK_INT_EQ(links(big), 0);
	CHECK_INT_EQ(g.n, HTML_LINKS_MAX);
	CHECK_INT_EQ(st.over, 10);
	free(big);
	reset();
}

int
main(void)
{
	t_basic();
	t_base();
	t_meta();
	t_broken();
	return (unit_done());
}
