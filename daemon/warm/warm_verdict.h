/*
 * What came of one warm request, as far as Varnish's answer tells:
 * cached now (with its TTL), in cache already, uncacheable and why, an
 * origin error, a timeout, a failure.  One judgement for every engine
 * that warms: `stoked warm` and the daemon's jobs (warm_batch.c), the
 * queue's workers (worker.c).  The request's own transaction in the log
 * may say more (warm_batch.c's refine()).
 */

#ifndef STOKE_WARM_VERDICT_H
#define STOKE_WARM_VERDICT_H

#include <stddef.h>

struct fetch_result;

/* As the database's warm_outcome, in its order; named for the warm
 * job, which had it first. */
enum warm_outcome {
	WO_CACHED, /* fetched, and in cache now */
	WO_FRESH, /* in cache already: nothing fetched */
	WO_UNCACHEABLE, /* fetched, but Varnish won't keep it */
	WO_ORIGIN_ERROR, /* the origin answered with an error */
	WO_TIMEOUT,
	WO_FAILED, /* no answer at all, or not taken as asked */
	WO__MAX
};

extern const char *const warm_outcome_name[WO__MAX];

/*
 * The request did not do its work.  An uncacheable page was warmed as
 * well as it can be: what Varnish keeps of it is the site's choice.
 */
int warm_verdict_failed(enum warm_outcome);

/*
 * Judge an answer.  warm_id: the id of a signed warm request, which
 * Varnish must send back; NULL for an unsigned request.  *ttl: seconds
 * in cache, -1 when unknown.  why: the reason for anything but cached
 * and fresh, "" for those.
 */
enum warm_outcome warm_verdict(const struct fetch_result *, const char *warm_id,
    double *ttl, char *why, size_t whylen);

/* The TTL a Cache-Control value gives (s-maxage over max-age), or -1. */
double warm_cc_ttl(const char *cc);
/* private, no-store or no-cache: what Varnish's builtin VCL won't keep. */
int warm_cc_uncacheable(const char *cc);

#endif
