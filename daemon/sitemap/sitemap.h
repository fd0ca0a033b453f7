/*
 * Sitemaps (sitemaps.org): one document as fetched, gzip-compressed or
 * not, read entry by entry, and the check that a URL it lists may be
 * warmed.  The documents come from the network: everything here is
 * bounded by struct sitemap_limits, refuses DTDs (so no entity bombs and
 * no external entities), never touches the network or the file system,
 * and prints nothing.
 */

#ifndef STOKE_SITEMAP_H
#define STOKE_SITEMAP_H

#include <stddef.h>

/* The sitemaps.org protocol's own limits, and ours. */
#define SITEMAP_MAX_BYTES (50UL * 1024 * 1024)
#define SITEMAP_MAX_DEPTH 16U
#define SITEMAP_MAX_ENTRIES 50000UL
#define SITEMAP_MAX_URL 2048UL

/* Zero in a field means its default; NULL limits means all defaults. */
struct sitemap_limits {
	size_t max_bytes; /* the document, inflated (at most INT_MAX) */
	unsigned max_depth; /* element nesting, the root element is 1 */
	size_t max_entries; /* <url> or <sitemap> elements */
	size_t max_url; /* bytes in a <loc>, white space trimmed */
};

enum sitemap_kind {
	SITEMAP_NONE, /* not known (yet) */
	SITEMAP_URLSET, /* <urlset>: pages */
	SITEMAP_INDEX, /* <sitemapindex>: more sitemaps */
};

enum sitemap_changefreq {
	SITEMAP_CF_NONE, /* absent, or not one of the values below */
	SITEMAP_CF_ALWAYS,
	SITEMAP_CF_HOURLY,
	SITEMAP_CF_DAILY,
	SITEMAP_CF_WEEKLY,
	SITEMAP_CF_MONTHLY,
	SITEMAP_CF_YEARLY,
	SITEMAP_CF_NEVER,
};

/*
 * One <url> or <sitemap>.  The strings live until the callback returns.
 * loc is as written, entities decoded and white space trimmed, not
 * checked: see sitemap_url_check().
 */
struct sitemap_entry {
	const char *loc; /* never NULL nor empty */
	const char *lastmod; /* as written, trimmed; NULL when absent */
	double lastmod_t; /* lastmod in unix time; -1: absent or unreadable */
	double priority; /* 0.0 to 1.0; -1: absent or unreadable */
	enum sitemap_changefreq changefreq;
	unsigned line; /* where the entry starts */
};

struct sitemap_stats {
	enum sitemap_kind kind;
	size_t entries; /* given to the callback */
	size_t skipped; /* entries without a <loc> */
	size_t bytes; /* the document's size, inflated */
};

/* Non-zero stops the parse. */
typedef int
sitemap_entry_f(void *priv, enum sitemap_kind, const struct sitemap_entry *);

/*
 * Parse one sitemap or sitemap index, gzip-compressed or not.  Returns
 * 0 when the whole document was read, 1 when the callback stopped it,
 * -1 on any error or exceeded limit, with the reason in err.  Entries
 * before an error have been given to the callback: a caller that must
 * not act on a partial sitemap keeps them until the end.  stats and err
 * may be NULL.
 */
int sitemap_parse(const void *buf, size_t len, const struct sitemap_limits *,
    sitemap_entry_f *, void *priv, struct sitemap_stats *, char *err,
    size_t errlen);

/*
 * How much the sitemap makes of an entry, to warm the most valuable
 * first: its <priority> (sitemaps.org's 0.5 when absent), then, below
 * any difference of 0.01 in priority, how recent its <lastmod> is at
 * now (unix time): from 0 (absent, or long ago) to 0.0099 (now).
 */
double sitemap_value(const struct sitemap_entry *, double now);

/*
 * May loc, found in the sitemap at sitemap_url, be fetched?  It must be
 * an absolute http or https URL of at most max_url bytes (0: the
 * default), printable ASCII only, without user name or password, on the
 * same scheme, host and port as the sitemap (sitemaps.org's rule, which
 * holds for an index and the sitemaps it lists too).  Returns 0, or -1
 * with the reason in why (which may be NULL).
 */
int sitemap_url_check(const char *sitemap_url, const char *loc, size_t max_url,
    char *why, size_t whylen);

#endif
