/*
 * Re-warming what one instance lost: objects an invalidation dropped (or
 * made stale) are queued, most popular first, and fetched again through
 * the instance's Varnish node as signed warm requests, in the variant
 * they were in.
 */

#ifndef STOKE_REWARM_H
#define STOKE_REWARM_H

#include <stddef.h>
#include <stdint.h>

#include "warm_batch.h"

struct event_base;
struct evbuffer;
struct origin_guard;
struct rewarm;

struct rewarm_conf {
	const char *node; /* http://ADDR:PORT of the varnishd */
	const char *key; /* the warm request secret */
	size_t keylen;
	unsigned concurrency; /* fetches in flight at most */
	size_t queue_max;
	struct origin_guard *guard; /* shared by all instances, or NULL */
	unsigned max_attempts; /* tries per object when the origin fails */
	double refresh_before; /* seconds before TTL ends; 0: never */
	double refresh_popularity; /* at least this popular */
};

struct rewarm_stats {
	uint64_t queued;
	uint64_t expiring; /* of those, refreshes before expiry */
	uint64_t duplicates; /* already queued or in flight */
	uint64_t dropped; /* queue full */
	uint64_t unreplayable; /* a variant whose source is not known yet */
	uint64_t refreshed; /* fetched afresh, cached again */
	uint64_t not_warm; /* served from cache: not taken as warm */
	uint64_t recached; /* cached again by another fetch while queued */
	uint64_t failed; /* no answer, or an error status, every try */
	uint64_t retried; /* tries again after a failure */
	uint64_t uncacheable; /* fetched, but the log says not kept */
	uint64_t unverified; /* the log said nothing in time */
};

/* Where the variant dimensions come from ("dims"), when known. */
typedef const char *rewarm_dims_f(void *priv);

struct rewarm *rewarm_new(struct event_base *, const struct rewarm_conf *,
    rewarm_dims_f *, void *dims_priv);
void rewarm_free(struct rewarm **);
enum rewarm_trigger {
	RW_INVALIDATED, /* a purge, ban or tag invalidation: since */
	RW_EXPIRING, /* popular, and its TTL ends soon */
};

/*
 * Queue an object.  since: when it was lost (the invalidation's time),
 * or when it was found to be expiring.  key: the caller's (below 2^63),
 * told back with the object's result.  1: queued; 0: queued or in
 * flight already; -1: the queue is full.
 */
int rewarm_object(struct rewarm *, const char *host, const char *url,
    const char *variant, double priority, double since, enum rewarm_trigger,
    uint64_t key);

/*
 * What came of one object queued: r as a warm job's result would say
 * it (r.url is the path), with the object's host and variant and the
 * key it was queued with.
 */
struct rewarm_result {
	uint64_t key;
	enum rewarm_trigger trigger;
	const char *host;
	const char *variant;
	struct wb_result r;
};
typedef void rewarm_result_f(void *priv, const struct rewarm_result *);
/*
 * Be told of each object queued, once, whatever came of it; not of
 * those still queued or in flight when the rewarm is freed.
 */
void rewarm_set_results(struct rewarm *, rewarm_result_f *, void *priv);
const struct rewarm_stats *rewarm_stats(const struct rewarm *);
size_t rewarm_queue_length(const struct rewarm *);
/*
 * Of the last refreshes (up to REWARM_LATENCIES): seconds from Varnish's
 * answer to the invalidation to the object cached again.  Returns how
 * many there were; 0 leaves the outputs alone.
 */
#define REWARM_LATENCIES 4096
unsigned
rewarm_latency(const struct rewarm *, double *p50, double *p99, double *max);
size_t rewarm_inflight(const struct rewarm *);
/*
 * Cached again, and fresh, by a fetch of someone else's: a visitor's
 * miss, Varnish's background fetch of a stale object.  What was lost to
 * an invalidation and is back by the time its turn comes is not fetched
 * a second time.  Never asked while the loss is being told (from
 * rewarm_object()), when the index still holds what it is dropping.
 */
typedef int rewarm_recached_f(void *priv, const char *host, const char *url,
    const char *variant);
void rewarm_set_recached(struct rewarm *, rewarm_recached_f *, void *priv);
/* Check each refresh against its transaction in this log. */
struct warm_verify;
void rewarm_set_verify(struct rewarm *, struct warm_verify *);

#endif
