/*
 * How popular a website's URLs are with its visitors, as its agents
 * report it (0026_popularity.sql: the last days' hits per path), and
 * what that makes of a URL's value in a job: after a sitemap's
 * <priority>, before its <lastmod>; after a crawl's depth.
 *
 * Popularity counts in doublings (popularity_level(): 0 for none, then
 * 1 + log2(hits)): a URL twice as visited is worth more, one with a few
 * more hits is not, and the levels fit between the values a sitemap or
 * a crawl gives, whatever the hits.
 */

#ifndef STOKE_POPULARITY_H
#define STOKE_POPULARITY_H

#include <stdint.h>

#define POPULARITY_LEVELS 41 /* 0 .. 40 */

struct popularity;

/* From {"path": hits, ...}; NULL when json is empty or holds none. */
struct popularity *popularity_new(const char *json);
void popularity_free(struct popularity **);
/* Paths known. */
unsigned popularity_len(const struct popularity *);

/* The hits of url (absolute): of its path and query, else of its path
 * alone; 0 when unknown. */
uint64_t popularity_hits(const struct popularity *, const char *url);
unsigned popularity_level(uint64_t hits);

/*
 * A sitemap's value (sitemap_value(): priority, then lastmod below 0.01)
 * with the level between the two: the 0.01 band of priority first,
 * then the level, then the rest of the value.
 */
double popularity_sitemap_value(double value, uint64_t hits);
/* A crawl's value of a page at depth (1 / (1 + depth)) with the level
 * below the next depth's. */
double popularity_crawl_value(unsigned depth, uint64_t hits);

#endif
