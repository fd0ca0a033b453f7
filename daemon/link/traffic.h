/*
 * Visitor traffic, per minute and host, from the log: hits, misses,
 * passes, and why fetches were not cached.  Nothing of a visitor is
 * kept (no cookie, address, user agent): only the Host and counts, and
 * per hour the paths and search terms asked for most (popular.h).
 * Warm requests are not visitors and are left out.
 *
 * Counts add up between two traffic_take(), which hands them over (to
 * a batch) and starts again: the control plane adds them up too.
 */

#ifndef STOKE_TRAFFIC_H
#define STOKE_TRAFFIC_H

#include <jansson.h>

#include "vsl/events.h"

struct traffic;

/* The popular paths and terms are handed over every popular_every
 * seconds (the control plane sums them by day). */
struct traffic *traffic_new(double popular_every);
/* An instance's tap (instance_set_tap): every event of its log. */
ev_sink_f traffic_event;
/* What was counted since the last take, as a batch's "traffic" rows
 * (a new array), or NULL when nothing was; counting starts again. */
json_t *traffic_take(struct traffic *);
/*
 * When popular_every seconds passed since the last time (at now): the
 * popular paths and search terms counted since, as a batch's "popular"
 * and "searches" rows (new arrays, or NULL when none), and 1; else 0
 * and both NULL.
 */
int traffic_take_popular(struct traffic *, double now, json_t **paths,
    json_t **searches);
void traffic_free(struct traffic **);

#endif
