/*
 * What visitors ask for most, per UTC hour and Host: the URL paths
 * they request and the terms they search a Shopware shop for, for the
 * control plane to warm the most popular first.  Nothing personal is
 * kept: no query string (but a search's term), no cookie, address or
 * user agent; a term that holds an '@' (an e-mail address) is left out.
 *
 * Each is a space-saving counter (topk.h) of bounded size, so a crawler
 * asking for a million URLs costs no more memory than a shop's regular
 * visitors; popular_take() hands over the most counted, at most
 * POPULAR_PATHS paths and POPULAR_TERMS terms, and starts again.
 */

#ifndef STOKE_POPULAR_H
#define STOKE_POPULAR_H

#include <stddef.h>

#include <jansson.h>

/* Sent per take, at most (the protocol allows more). */
#define POPULAR_PATHS 200
#define POPULAR_TERMS 50
/* A path longer is not counted; a term is cut to TERM_MAX bytes. */
#define POPULAR_PATH_MAX 1024
#define POPULAR_TERM_MAX 100

struct popular;

struct popular *popular_new(void);
void popular_free(struct popular **);

/* A visitor's request for url (path and query) of host at t. */
void
popular_count(struct popular *, double t, const char *host, const char *url);

/*
 * What was counted since the last take, as a batch's "popular" rows
 * ({hour, host, path, hits}) and "searches" rows ({hour, host, term,
 * n}), new arrays, or NULL when there are none; counting starts again.
 */
void popular_take(struct popular *, json_t **paths, json_t **searches);

/*
 * The pure parts, for the unit test.  popular_path(): url's path as it
 * is counted (the query left out, but a search page's term, as
 * "PATH?search=TERM" with the term normalised and form-encoded, so that
 * it names the page a job warms); popular_term(): a search's term from
 * a query value as sent (percent-encoded, '+' a space), trimmed, its
 * spaces collapsed, lower case (ASCII), cut to POPULAR_TERM_MAX bytes
 * on a character's boundary.  Each 0, or -1: not counted.
 */
int popular_path(const char *url, char *out, size_t outlen);
int popular_term(const char *value, size_t len, char *out, size_t outlen);
/* The raw value of url's search parameter when url is a search page
 * (its path's last segment "search"), and its length; else NULL. */
const char *popular_search_of(const char *url, size_t *len);

#endif
