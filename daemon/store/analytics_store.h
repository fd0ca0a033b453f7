/*
 * Analytics of warm results, for the tenants' API, read from the hourly
 * and daily rollups that 0009_analytics.sql and 0016_analytics_hists.sql
 * keep as results arrive: never from page_results itself, so that a
 * website of millions of results answers from a few rows an hour.  Bound to the caller as every tenant
 * statement is (account_store.h): a website or a project the caller is
 * not a member of is AS_NOT_FOUND; any member reads.
 *
 * Three scopes, one answer:
 *	{"from", "to", "bucket", "websites": n,
 *	 "series": [{"t", "results", "outcomes": {"cached", "fresh",
 *	   "uncacheable", "origin_error", "timeout", "failed"},
 *	   "cached_share", "ttfb_ms", "load_ms", "rewarm_ms", "dcl_ms",
 *	   "lcp_ms", "tti_ms",
 *	   "invalidations": {"purge", "ban", "tag", "objects_dropped",
 *	   "objects_queued"}}, ...],
 *	 "totals": {the same but "t", and "cache_status": {status: n},
 *	   "hits", "answered"},
 *	 "slowest_urls": [{"url", "website_id", "load_ms", "ttfb_ms",
 *	   "recorded_at"}, ...],
 *	 "uncacheable": [{"reason", "requests", "urls", "examples"}, ...]}
 * every bucket of the range in "series", empty ones too.  A time is
 * {"n", "p50", "p95", "p99"} in milliseconds, each percentile within
 * AN_PERCENTILE_ERROR of the exact one (the bins' width, see the
 * migration), null when n is 0.  dcl_ms, lcp_ms and tti_ms are the
 * browser's DOMContentLoaded, Largest Contentful Paint and
 * Time-to-Interactive estimate of the pages rendered (render mode),
 * n 0 when none was.  cached_share: the answers Varnish gave
 * from its cache, of all it gave (null: none).
 *
 * Each function: 0, and cb called once from the loop; or -1 with *err,
 * and it will not be.
 */

#ifndef STOKE_ANALYTICS_STORE_H
#define STOKE_ANALYTICS_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

/* 2^(1/32) - 1: half a bin, 16 bins a doubling, as a ratio. */
#define AN_PERCENTILE_ERROR 0.0219

enum an_bucket { AN_HOUR, AN_DAY, AN_BUCKET__MAX };

extern const char *const an_bucket_name[AN_BUCKET__MAX];
/* A bucket's length, in seconds. */
extern const int64_t an_bucket_len[AN_BUCKET__MAX];

/*
 * [from, to), seconds since the epoch, whole hours (the rollups' own
 * unit), to > from; slow: how many of the slowest URLs, 1 to 25.
 */
struct an_range {
	int64_t from, to;
	enum an_bucket bucket;
	unsigned slow;
};

int an_website(struct pg_pool *, int64_t user, int64_t website,
    const struct an_range *, as_done_f *, void *, const char **err);
/* All the project's websites. */
int an_project(struct pg_pool *, int64_t user, int64_t project,
    const struct an_range *, as_done_f *, void *, const char **err);
/* All the websites of all the caller's projects. */
int an_dashboard(struct pg_pool *, int64_t user, const struct an_range *,
    as_done_f *, void *, const char **err);

/*
 * What a website's uncacheable results of the range were, by reason:
 * {"from", "to", "reasons": [{"reason", "requests", "urls",
 * "examples"}, ...]}, the most requests first.  Reasons are
 * uncacheable_reason()'s codes (the migration): set_cookie, private,
 * no_store, no_cache, zero_ttl, pass, hit_for_miss, other.
 */
int an_reasons(struct pg_pool *, int64_t user, int64_t website,
    const struct an_range *, as_done_f *, void *, const char **err);

#endif
