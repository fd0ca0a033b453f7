/*
 * From a site (or a sitemap) to the URLs it lists: robots.txt's Sitemap:
 * lines, /sitemap.xml when robots.txt names none, sitemap indexes
 * followed.  Each document is fetched on the event loop, one at a time,
 * with a size cap, and read by sitemap.c or robots.c; a sitemap that
 * fails is reported and the others still count.  A redirect is
 * followed to the same host only (a few times a document): a sitemap
 * vouches for its own site's URLs, and a redirect elsewhere would make
 * another site's sitemap vouch for them.
 */

#ifndef STOKE_SITEMAP_CRAWL_H
#define STOKE_SITEMAP_CRAWL_H

#include <stddef.h>

#include "sitemap.h"

struct fetcher;
struct sitemap_crawl;

/* A document read whole: a sitemap, or an index (index 1). */
typedef void sc_doc_f(void *priv, const char *url, int index);

struct sc_conf {
	/* https://shop.example/, .../robots.txt, or a sitemap's URL */
	const char *start;
	struct sitemap_limits limits; /* per sitemap; zeros: defaults */
	size_t max_urls; /* over all sitemaps; 0: 1,000,000 */
	unsigned max_sitemaps; /* documents fetched; 0: 1,000 */
	double timeout; /* per document; 0: 60 s */
	/* Fetch through this Varnish node (http://ADDR:PORT) with the
	 * URL's Host, for sites whose name leads elsewhere; NULL: the URL. */
	const char *node;
	sc_doc_f *doc; /* NULL, or told of each sitemap read (the crawl's
	                * priv) */
};

struct sc_stats {
	unsigned sitemaps; /* read whole */
	unsigned failed; /* could not be fetched or read */
	size_t urls; /* handed over */
	size_t rejected; /* off-site or malformed URLs left out */
	size_t foreign; /* of those, http(s) URLs on another host */
	unsigned too_deep; /* indexes below the deepest level read: left out */
	unsigned missing; /* of the failed, answered 404 or 410 */
};

/* A page URL, already checked to be on the sitemap's own site, and
 * what the sitemap makes of it (sitemap_value()). */
typedef void sc_url_f(void *priv, const char *url, double value);
/* Something worth telling whoever runs the crawl. */
typedef void sc_note_f(void *priv, const char *msg);
/*
 * The end: err is NULL when every sitemap was read, else what went
 * wrong first.  The crawl may be freed from here.
 */
typedef void sc_done_f(void *priv, const struct sc_stats *, const char *err);

struct sitemap_crawl *sc_new(struct fetcher *, const struct sc_conf *,
    sc_url_f *, sc_note_f *, sc_done_f *, void *priv);
/*
 * NULL when the start is not an http(s) URL or cannot be fetched at all.
 * Stopping it (sc_free) while it runs calls no callback.
 */
void sc_free(struct sitemap_crawl **);
/*
 * Read no more (from a callback too): the document being read ends
 * here, no other is fetched, and done is called as it would have been
 * at the end, err saying only what failed before.
 */
void sc_stop(struct sitemap_crawl *);
const struct sc_stats *sc_stats(const struct sitemap_crawl *);

#endif
