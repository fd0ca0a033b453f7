/*
 * The ESI fragments of a site's pages, found by reading a few of them
 * as the origin serves them: through Varnish a page comes with its
 * <esi:include>s already replaced, so a warm request never sees them.
 * Fragments are mostly the site's own (header, navigation, footer), the
 * same on every page: a few pages find them.
 *
 * The pages are fetched one at a time, each read up to a byte cap
 * (CRAWL_PAGE_BYTES) by html_links.h; only fragments on the page's own
 * site are given, each once.  A page that fails is skipped.
 */

#ifndef STOKE_ESI_PROBE_H
#define STOKE_ESI_PROBE_H

struct fetcher;
struct esi_probe;

/* A fragment's URL, normalised, and the page it was found on. */
typedef void esi_fragment_f(void *priv, const char *url, const char *page);
/* The end: how many pages were read as HTML.  The probe may be freed
 * from here. */
typedef void esi_probed_f(void *priv, unsigned pages);

/* The pages are copied; NULL when none can be fetched at all.  No
 * callback is called from in here. */
struct esi_probe *
esi_probe_new(struct fetcher *, const char *const *pages, unsigned npage,
    double timeout, esi_fragment_f *, esi_probed_f *, void *priv);
/* Stopped while it runs, it calls nothing any more. */
void esi_probe_free(struct esi_probe **);

#endif
