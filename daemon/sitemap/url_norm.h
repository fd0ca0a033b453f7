/*
 * One spelling per page: a link found on a page (href as written, or a
 * redirect's Location) made absolute against the page and written the
 * way a crawl compares URLs, so that the same page reached by two links
 * is fetched and warmed once.
 *
 * What changes: white space around the reference goes (and tabs and
 * line ends within, as browsers drop them); relative references are
 * resolved (RFC 3986 section 5, dot segments removed, by libcurl's URL
 * parser, the one the fetches use); the scheme and host are lower
 * case, the scheme's default port and the fragment go; session ids go
 * from the path (";jsessionid=...") and the query (url_norm_session()),
 * and so do the query parameters the caller names (tracking ones:
 * "utm_*", "gclid"); an empty query goes.  What stays: the path and
 * the query's order and spelling, which are what visitors ask Varnish
 * for.  Only http(s) URLs without user names or passwords come out.
 */

#ifndef STOKE_URL_NORM_H
#define STOKE_URL_NORM_H

#include <stddef.h>

#define URL_NORM_MAX 2048 /* bytes in a URL that comes out */
#define URL_NORM_DROP_MAX 32 /* names in a list */
#define URL_NORM_NAME_MAX 64 /* bytes in one name */

/*
 * Query parameter names to drop, compared without regard to case; a
 * name ending in '*' is a prefix ("utm_*").  The strings are the
 * caller's and must outlive the list.
 */
struct url_norm_drop {
	const char *name[URL_NORM_DROP_MAX];
	unsigned n;
};

/* The tracking parameters dropped when the tenant names none. */
extern const struct url_norm_drop url_norm_tracking;

/* Is name (len bytes) a session id's ("jsessionid", "PHPSESSID", "sid"...)? */
int url_norm_session(const char *name, size_t len);
/* Does drop name it? */
int
url_norm_dropped(const struct url_norm_drop *, const char *name, size_t len);

/*
 * ref resolved against base (an absolute http(s) URL; NULL when ref is
 * absolute itself) and normalised into out.  drop may be NULL (nothing
 * but session ids dropped).  0, or -1 with why (static) when ref is not
 * an http(s) URL (mailto:, javascript:...), cannot be parsed, or is
 * longer than outlen or URL_NORM_MAX.
 */
int url_norm(const char *base, const char *ref, const struct url_norm_drop *,
    char *out, size_t outlen, const char **why);

/*
 * "https://shop.example:8443" of a normalised URL: what two URLs of the
 * same site share (scheme, host and port).  Its length, or 0 when url is
 * not one.
 */
size_t url_norm_site_len(const char *url);

#endif
