/*
 * Visitor traffic, per minute and host, from the log: hits, misses,
 * passes, and why fetches were not cached.  Nothing of a visitor is
 * kept (no URL, cookie, address): only the Host and counts.  Warm
 * requests are not visitors and are left out.
 *
 * Counts add up between two traffic_take(), which hands them over (to
 * a batch) and starts again: the control plane adds them up too.
 */

#ifndef STOKE_TRAFFIC_H
#define STOKE_TRAFFIC_H

#include <jansson.h>

#include "vsl/events.h"

struct traffic;

struct traffic *traffic_new(void);
/* An instance's tap (instance_set_tap): every event of its log. */
ev_sink_f traffic_event;
/* What was counted since the last take, as a batch's "traffic" rows
 * (a new array), or NULL when nothing was; counting starts again. */
json_t *traffic_take(struct traffic *);
void traffic_free(struct traffic **);

#endif
