/*
 * HTML pages as a crawl reads them (sitemap/html_links.c): links and
 * <esi:include> fragments, made absolute against the page (or its
 * <base href>) and normalised; every URL given must be one that
 * url_norm() gives back unchanged.
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"

#include "sitemap/html_links.h"
#include "sitemap/url_norm.h"

#include "fuzz/fuzz.h"

static void
link(void *priv, enum html_link_kind kind, const char *url)
{
	char again[URL_NORM_MAX + 1];
	const char *why;
	unsigned *n = priv;

	assert(kind == HTML_LINK || kind == HTML_ESI);
	AN(url);
	assert(strlen(url) <= URL_NORM_MAX);
	assert(url_norm_site_len(url) > 0);
	/* Normalised once is normalised: nothing changes a second time. */
	AZ(url_norm(NULL, url, &url_norm_tracking, again, sizeof again, &why));
	assert(!strcmp(again, url));
	++*n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct html_links_stats st;
	unsigned n = 0;

	AZ(html_links("https://shop.example/dir/page.html?x=1", data, size,
	    &url_norm_tracking, link, &n, &st));
	assert(n == st.links + st.esi);
	(void)html_is_html("text/html; charset=utf-8");
	return (0);
}
