/*
 * A robots.txt: its Sitemap: lines (RFC 9309 section 2.2.4,
 * sitemaps.org), as absolute http(s) URLs; and the rules a crawler
 * keeps to (RFC 9309: Allow, Disallow; and Crawl-delay, which most
 * crawlers honour).  The body comes from the network: it is bounded
 * and never trusted.
 */

#ifndef STOKE_ROBOTS_H
#define STOKE_ROBOTS_H

#include <stddef.h>

/* Google reads the first 500 KiB of a robots.txt. */
#define ROBOTS_MAX_BYTES (500UL * 1024)
#define ROBOTS_MAX_SITEMAPS 1000UL
#define ROBOTS_MAX_URL 2048UL

/* Zero in a field means its default; NULL limits means all defaults. */
struct robots_limits {
	size_t max_bytes; /* the body */
	size_t max_sitemaps; /* URLs given to the callback */
	size_t max_url; /* bytes in a URL, as written and once resolved */
};

struct robots_stats {
	size_t sitemaps; /* given to the callback */
	size_t skipped; /* Sitemap: lines without a usable URL */
	unsigned first_skip_line; /* 0: none skipped */
	char first_skip[128]; /* why that line was skipped */
};

/*
 * One sitemap URL, absolute, as curl writes it back; line is its line
 * in the body, from 1.  Non-zero stops the parse.
 */
typedef int robots_sitemap_f(void *priv, const char *url, unsigned line);

/*
 * Find the Sitemap: lines of a robots.txt body fetched from robots_url.
 * The field name is case-insensitive, lines end in LF, CRLF or CR, '#'
 * starts a comment, a UTF-8 BOM at the start is skipped.  A relative URL
 * is resolved against robots_url, as a browser would; the result may be
 * on another host (sitemaps.org allows that from robots.txt), so check
 * it before use.  Lines whose value is not an http(s) URL, has control
 * characters, spaces or non-ASCII bytes, or is too long are skipped and
 * counted.  Returns 0 when the whole body was read, 1 when the callback
 * stopped it, -1 with the reason in err for a bad robots_url, a body
 * over max_bytes (nothing given to the callback) or more than
 * max_sitemaps URLs (the first max_sitemaps were given).  stats and err
 * may be NULL.
 */
int robots_sitemaps(const char *robots_url, const void *body, size_t len,
    const struct robots_limits *, robots_sitemap_f *, void *priv,
    struct robots_stats *, char *err, size_t errlen);

/*--------------------------------------------------------------------
 * The rules for one crawler
 */

struct robots_rules;

/* The product token Stoke's crawls go by in robots.txt. */
#define ROBOTS_AGENT "stoke"
/* Rules kept from one robots.txt; the rest are not read. */
#define ROBOTS_MAX_RULES 1000U

/*
 * The rules for agent: those of the groups whose user-agent lines name
 * its product token (case-insensitively), merged; else those of the
 * "*" groups; else none (all allowed).  Never NULL.  The body is read
 * up to ROBOTS_MAX_BYTES, lines as robots_sitemaps() reads them.
 */
struct robots_rules *
robots_rules_new(const void *body, size_t len, const char *agent);
/*
 * No robots.txt to read: allow 1, everything allowed (it is not there,
 * RFC 9309 2.3.1.3); 0, nothing (it could not be read, 2.3.1.4).
 */
struct robots_rules *robots_rules_all(int allow);
/*
 * May path (from its '/', with its query, percent-encoded as sent) be
 * fetched?  The longest matching pattern ('*' any bytes, a final '$'
 * the end) decides, Allow on a tie; none matching allows.  /robots.txt
 * itself is always allowed.
 */
int robots_allowed(const struct robots_rules *, const char *path);
/* Crawl-delay in seconds; < 0: none said. */
double robots_crawl_delay(const struct robots_rules *);
void robots_rules_free(struct robots_rules **);

#endif
