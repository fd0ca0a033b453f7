/*
 * The observer turns one transaction group from the log into events for
 * a sink.  It keeps no state between groups but its counters.
 */

#ifndef STOKE_OBSERVER_H
#define STOKE_OBSERVER_H

#include <stdint.h>

#include "events.h"

struct observer;
struct txn;

struct observer_stats {
	uint64_t events[EV__MAX];
	uint64_t txns;
	uint64_t txns_dropped; /* more in a group than we keep */
	uint64_t arena_overflows;
	uint64_t bad_records; /* stoke/1 lines that did not parse */
};

struct observer *observer_new(ev_sink_f *, void *priv);
void observer_free(struct observer **);
/* A vsl_group_f: feed it what the VSL reader delivers. */
void observer_group(void *priv, const struct txn *const txn[], unsigned n);
const struct observer_stats *observer_stats(const struct observer *);
/*
 * Where the variant dimensions come from, as the VCL last said:
 * "name=cookie:sw-currency:key name=header:X-Device", or NULL.
 */
const char *observer_dims(const struct observer *);

#endif
