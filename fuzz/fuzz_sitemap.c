/*
 * Sitemaps and sitemap indexes as fetched, gzip'd or not
 * (sitemap/sitemap.c): every entry the parser gives is valued and its
 * URL checked against the sitemap's, as a job does.  Small limits, so
 * that the fuzzer reaches them.
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"

#include "sitemap/sitemap.h"

#include "fuzz/fuzz.h"

static int
entry(void *priv, enum sitemap_kind kind, const struct sitemap_entry *e)
{
	char why[256];
	unsigned *n = priv;

	assert(kind == SITEMAP_URLSET || kind == SITEMAP_INDEX);
	AN(e->loc);
	assert(e->loc[0] != '\0');
	assert(e->priority == -1 || (e->priority >= 0 && e->priority <= 1));
	(void)sitemap_value(e, 1700000000.0);
	(void)sitemap_url_check("https://shop.example/sitemap.xml", e->loc, 0,
	    why, sizeof why);
	return (++*n >= 1000);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sitemap_limits lim = { 1 << 20, 8, 500, 512 };
	struct sitemap_stats st;
	char err[256];
	unsigned n = 0;
	int r;

	r = sitemap_parse(data, size, &lim, entry, &n, &st, err, sizeof err);
	assert(r >= -1 && r <= 1);
	assert(st.entries == n);
	return (0);
}
