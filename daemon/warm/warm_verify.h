/*
 * A warm request's own transaction in Varnish's log: X-Varnish names the
 * request, and the log tells what Varnish did with it (hit, miss, pass),
 * what the origin answered, and what Varnish made of that (the TTL it
 * kept, or why it kept nothing).  One per Varnish instance stoked reads.
 *
 * The answer and the log race each other: whichever comes second
 * completes the match.  Recent transactions are remembered for a few
 * seconds in a table indexed by vxid, so a log line that came first is
 * not lost.
 */

#ifndef STOKE_WARM_VERIFY_H
#define STOKE_WARM_VERIFY_H

#include <stdint.h>

#include "vsl/events.h"

struct event_base;
struct origin_guard;
struct warm_verify;
struct wv_wait;

struct wv_txn {
	uint32_t vxid;
	enum ev_type handling; /* EV_HIT, EV_MISS, EV_PASS or EV_SYNTH */
	double ttl_left; /* a hit's */
	unsigned fetched; /* the request waited for a backend fetch */
	long status; /* the origin's */
	unsigned fetch_failed;
	unsigned cacheable; /* Varnish kept the object */
	unsigned set_cookie;
	double ttl, grace; /* as Varnish set them */
	/* The backend fetch's time to the response headers, as Varnish
	 * logged it: the origin's own, without the client's side; 0:
	 * not logged. */
	double fetch_time;
	char cache_control[96];
};

/* wv: what the log said, or NULL when it said nothing in time. */
typedef void wv_done_f(void *priv, const struct wv_txn *wv);

/* timeout: how long to wait for the log; 0: 2 s. */
struct warm_verify *wv_new(struct event_base *, double timeout);
/* Waiters still waiting hear NULL. */
void wv_free(struct warm_verify **);
/* Feed every event of the instance's log. */
void wv_event(struct warm_verify *, const struct event_rec *);
/*
 * Wait for request vxid's transaction.  Calls back at once (and
 * returns NULL) when it was logged already.
 */
struct wv_wait *
wv_wait(struct warm_verify *, uint32_t vxid, wv_done_f *, void *priv);
/* Stop waiting: no callback. */
void wv_cancel(struct warm_verify *, struct wv_wait *);

/*
 * The guard's verdict on a warm request that went well, left for later
 * (fetch_req.latency_later): the origin's own time from t's backend
 * fetch, or first_byte (seconds) when the log said nothing (t NULL).
 * started: fetch_result.started.  g NULL: nothing to tell.
 */
void wv_guard_sample(struct origin_guard *g, const char *origin, double started,
    double first_byte, const struct wv_txn *t);

struct wv_stats {
	uint64_t matched; /* answer and log met */
	uint64_t unmatched; /* the log said nothing in time */
};
const struct wv_stats *wv_stats(const struct warm_verify *);

#endif
