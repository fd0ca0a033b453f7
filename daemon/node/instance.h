/*
 * One varnishd that stoked watches: its log reader, the observer turning
 * the log into events, and what those events are applied to.  Each
 * Varnish node is a cache of its own, so each gets its own instance.
 */

#ifndef STOKE_INSTANCE_H
#define STOKE_INSTANCE_H

#include <stdint.h>

#include "core/metrics.h"
#include "vsl/events.h"
#include "warm/rewarm.h"

struct event_base;
struct instance;

struct index_apply;

struct rewarm_conf;
struct warm_verify;

/* One invalidation's share on one host: what it dropped, and re-warms. */
struct instance_inval {
	const char *kind; /* purge, ban, tag */
	unsigned soft;
	const char *subject; /* the URL purged, the ban, the tag list */
	unsigned dropped; /* objects of the host dropped (or made stale) */
	unsigned queued; /* of those, queued for re-warming */
	double t; /* when Varnish answered it */
};

/*
 * Told what the instance re-warms and why, to keep a record of it.  Each
 * host's share of an invalidation, and the refreshes before expiry of a
 * host, are queued under a key of the watcher's, which each of their
 * results carries back.
 */
struct instance_watch {
	/* A new key, for one host's share of an invalidation. */
	uint64_t (*key)(void *priv);
	/* The key to queue refreshes before expiry of host under, now. */
	uint64_t (*expiry_key)(void *priv, const char *node, const char *host);
	/* n objects of host were queued under key: by an invalidation
	 * (inv), or refreshes (inv NULL). */
	void (*queued)(void *priv, uint64_t key, const char *node,
	    const char *host, unsigned n, const struct instance_inval *inv);
	rewarm_result_f *result;
};

/* rc: how to re-warm what the instance loses, or NULL not to. */
struct instance *instance_new(struct event_base *, const char *name,
    size_t index_bytes, const struct rewarm_conf *rc);
void instance_free(struct instance **);
const char *instance_name(const struct instance *);
/* The VCL's doorbell rang: its log is read at once. */
void instance_wake(struct instance *);
struct index_apply *instance_apply(const struct instance *);
int instance_attached(const struct instance *);
const char *instance_dims(const struct instance *);
/* Matches warm requests through this node with their log. */
struct warm_verify *instance_verify(const struct instance *);
/* stoke_vsl_*, stoke_index_*, stoke_rewarm_*, stoke_verify_* and
 * stoke_events_total of the instance (priv); register it with /metrics. */
metrics_f instance_metrics;
/*
 * Where the variant dimensions come from, as the control plane says
 * ("name=cookie:x name=header:Y"), in place of the log's; NULL: the
 * log's again.  Copied.
 */
void instance_set_dims(struct instance *, const char *dims);
/* Every event of the log is told to tap too, after the index has it. */
void instance_set_tap(struct instance *, ev_sink_f *tap, void *priv);
/* Tells w (kept) what it re-warms; nothing without re-warming. */
void instance_set_watch(struct instance *, const struct instance_watch *w,
    void *priv);

/*
 * Warm path (with its query) of host in variant on the node, as a
 * re-warm goes (signed, its variant replayed, its verdict from the
 * log, within the origin guard), for someone else than the index: a
 * task the control plane gave the agent.  key (below INSTANCE_KEY_WARM)
 * comes back with the result to instance_set_warm_results()'s fn, not
 * to the watcher.  As rewarm_object(): 1 queued; 0 the same object is
 * queued or in flight already; -1 the queue is full, or the instance
 * does not re-warm.
 */
#define INSTANCE_KEY_WARM (UINT64_C(1) << 61)
int instance_warm(struct instance *, const char *host, const char *path,
    const char *variant, double priority, uint64_t key);
void
instance_set_warm_results(struct instance *, rewarm_result_f *fn, void *priv);

#endif
