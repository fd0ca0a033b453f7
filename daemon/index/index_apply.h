/*
 * Applying events to one instance's cache index, and journaling what
 * invalidations dropped.  An ev_sink_f: the observer feeds it.
 */

#ifndef STOKE_INDEX_APPLY_H
#define STOKE_INDEX_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "vsl/events.h"

struct cache_index;
struct journal;
struct index_apply;

struct index_apply_stats {
	uint64_t removed; /* objects dropped by invalidations */
	uint64_t staled; /* objects made stale by soft ones */
	uint64_t learned_from_hits; /* cached before stoked came */
	uint64_t ban_errors; /* bans varnishd took and we could not */
	uint64_t ban_match_errors; /* regex match limits hit */
};

/* Told of each object an invalidation drops or makes stale. */
typedef void index_lost_f(void *priv, const char *host, const char *url,
    const char *variant, double popularity, double now);

struct index_apply *index_apply_new(size_t max_bytes, double half_life);
void index_apply_on_lost(struct index_apply *, index_lost_f *, void *priv);
void index_apply_free(struct index_apply **);
void index_apply_event(void *priv, const struct event_rec *);
struct cache_index *index_apply_index(const struct index_apply *);
const struct journal *index_apply_journal(const struct index_apply *);
const struct index_apply_stats *index_apply_stats(const struct index_apply *);

#endif
