/*
 * A warm job: a list of URLs (given, or found in sitemaps while the job
 * already runs) fetched through each Varnish node, each answer judged:
 * cached now (with its TTL), already fresh in cache, uncacheable and
 * why, an origin error, a timeout.  `stoked warm` and the daemon's jobs
 * both run one.  URLs are taken once each, in the order given.
 */

#ifndef STOKE_WARM_BATCH_H
#define STOKE_WARM_BATCH_H

#include <stddef.h>

#include "fetch/fetcher.h"
#include "warm_verdict.h"

struct warm_batch;
struct warm_verify;

#define WB_MAX_NODES 32

struct wb_conf {
	const char *nodes[WB_MAX_NODES]; /* http://ADDR:PORT; none: the URL */
	unsigned nnode;
	/* With a key, requests are signed warm requests: refreshed in
	 * cache even when fresh.  Without, only what is missing is
	 * fetched. */
	const char *key;
	size_t keylen;
	const char *hdrs[FETCH_MAX_HDRS - 1]; /* variant inputs */
	unsigned nhdr;
	const char *method; /* GET (default) or HEAD */
	unsigned concurrency; /* in flight at most; 0: 8 */
	double timeout; /* per request; 0: 30 s */
	unsigned max_attempts; /* on 5xx, 429, timeouts; 0: 2 */
	/* Each node's log, where stoked reads it: results are then
	 * checked against the requests' own transactions. */
	struct warm_verify *verify[WB_MAX_NODES];
	/* Results without their headers (wb_result.headers NULL): the
	 * caller shows none, and a JSON object a request is not free. */
	unsigned no_headers;
};

struct wb_result {
	const char *url;
	const char *node; /* NULL: fetched from the URL itself */
	long status;
	enum warm_outcome outcome;
	const char *reason; /* why, for anything but cached and fresh */
	double ttl; /* seconds, as the answer says; -1: unknown */
	double time, ttfb; /* seconds */
	unsigned attempts;
	unsigned verified; /* matched with its transaction in the log */
	/* The answer's headers kept (fetch/fetch_kept.h), a JSON object;
	 * NULL: none, or no answer. */
	const char *headers;
};

struct wb_progress {
	size_t total; /* requests known so far (URLs x nodes) */
	size_t done;
	size_t outcome[WO__MAX];
	size_t verified; /* of those done */
	unsigned listing; /* more URLs may come */
	double elapsed; /* seconds */
	double rate; /* requests done a second, lately */
	double eta; /* seconds; -1: unknown */
};

typedef void wb_result_f(void *priv, const struct wb_result *);
/* Everything added is done and wb_close() was called. */
typedef void wb_end_f(void *priv);

struct warm_batch *wb_new(struct fetcher *, const struct wb_conf *,
    wb_result_f *, wb_end_f *, void *priv);
/* An http(s) URL: one wb_add() takes. */
int wb_url_ok(const char *url);
/* 1: added; 0: already there; -1: not a URL we can fetch. */
int wb_add(struct warm_batch *, const char *url);
/*
 * As wb_add(), for a URL the caller knows is new to the batch and keeps
 * until wb_free() (warm_feed.h): neither copied nor looked up.
 */
void wb_add_listed(struct warm_batch *, const char *url);
/*
 * While the batch is open, low is called whenever fewer than `low` of its
 * requests are left to start: for the caller to add more, or to close
 * it.  Not called again from within itself.
 */
typedef void wb_low_f(void *priv);
void wb_set_low(struct warm_batch *, unsigned low, wb_low_f *, void *priv);
/* Asks again (the low callback had nothing to give, and now may have). */
void wb_kick(struct warm_batch *);
/* No more URLs: the end callback comes once the rest is done. */
void wb_close(struct warm_batch *);
void wb_progress(const struct warm_batch *, struct wb_progress *);
/* Another batch's progress added to sum's (a job over several loops). */
void wb_progress_add(struct wb_progress *sum, const struct wb_progress *);
/* p's rate and ETA again, from what it counts (its total changed). */
void wb_progress_reckon(struct wb_progress *);
/* Stops it: what is in flight is left to finish, unreported. */
void wb_free(struct warm_batch **);

#endif
