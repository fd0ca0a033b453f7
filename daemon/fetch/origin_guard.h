/*
 * How hard an origin may be pushed right now.  Each origin (a site, by
 * its Host) gets a concurrency limit that adapts to what the origin says
 * (AIMD: slow start, then +1 per window of good answers, halved on 5xx,
 * 429, timeouts and rising latency), never above a hard ceiling, an
 * optional request rate, pauses for Retry-After, and a circuit breaker
 * that stops all warming of an origin that is down, probing it with one
 * request at a time until it answers again.
 *
 * Pure bookkeeping: times are passed in, nothing is fetched here.
 */

#ifndef STOKE_ORIGIN_GUARD_H
#define STOKE_ORIGIN_GUARD_H

#include <stdint.h>

struct origin_guard;

struct og_conf {
	unsigned ceiling; /* fetches in flight per origin, at most */
	unsigned initial; /* the limit to start from */
	double rate; /* requests per second per origin; 0: no limit */
	double latency_factor; /* "slow": this many times the usual latency */
	unsigned breaker_failures; /* failures in a row that open it */
	double breaker_cooldown; /* seconds open before the first probe */
	double breaker_cooldown_max; /* the cooldown doubles up to this */
	double retry_after_max; /* longest Retry-After honoured, seconds */
};

void og_conf_default(struct og_conf *);
/*
 * A command line's --origin-max N (1 to 1024) or --origin-rate R (per
 * second, 0: none): name is the option's, without the dashes.  0, or -1
 * with why.
 */
int og_conf_option(struct og_conf *, const char *name, const char *arg,
    char *why, size_t whylen);

enum og_state {
	OG_CLOSED, /* warming */
	OG_OPEN, /* the origin is down: nothing goes */
	OG_HALF_OPEN, /* one probe in flight */
};

struct og_info {
	const char *origin;
	enum og_state state;
	double limit;
	unsigned inflight;
	unsigned inflight_max;
	double latency; /* smoothed, seconds */
	double base_latency; /* the usual latency, seconds */
	double paused_until; /* Retry-After or breaker, 0: not paused */
	uint64_t requests, failures, slow, backoffs, breaker_opened;
	uint64_t retry_after;
};

/* What came of one request. */
struct og_outcome {
	double started; /* when og_admit() let it go */
	int ok; /* an HTTP answer came (no timeout, no connection error) */
	long status;
	double latency; /* seconds, to the first byte of the answer */
	double retry_after; /* seconds, from the answer; 0: none */
	/* Answered by a cache in front of the origin (a Varnish hit): the
	 * origin was not asked, so its latency says nothing of it. */
	unsigned cached;
	/* A success is judged later, by og_sample(), on the origin's own
	 * time as a better witness saw it: latency is not read here. */
	unsigned latency_later;
};

struct origin_guard *og_new(const struct og_conf *);
/*
 * From now on: ceiling fetches in flight per origin at most (an origin
 * above it comes down as its fetches end), rate a second (0: no limit).
 */
void og_set_limits(struct origin_guard *, unsigned ceiling, double rate);
void og_free(struct origin_guard **);

/*
 * May one more request to this origin start now?  Returns 0 and counts
 * it in flight (og_done() must follow), or how many seconds to wait
 * before asking again.
 */
double og_admit(struct origin_guard *, const char *origin, double now);
void og_done(struct origin_guard *, const char *origin, double now,
    const struct og_outcome *);
/* An admitted request that never went out (or was stopped): no verdict. */
void og_cancel(struct origin_guard *, const char *origin);
/*
 * The verdict og_done() left for later (latency_later): r->latency is
 * the origin's own time for the request, as the cache in front of it
 * logged its fetch, or r->cached says the origin was not asked after
 * all.  Only r->started, r->latency and r->cached are read.  Its slot
 * was given back by og_done(): a sample that never comes costs nothing
 * but the evidence.
 */
void og_sample(struct origin_guard *, const char *origin, double now,
    const struct og_outcome *);

/* Parses a Retry-After value (seconds or an HTTP date): seconds, or 0. */
double og_retry_after(const char *value, double now);

int og_info(struct origin_guard *, const char *origin, struct og_info *);
typedef void og_each_f(void *priv, const struct og_info *);
void og_foreach(struct origin_guard *, og_each_f *, void *priv);
const char *og_state_name(enum og_state);

#endif
