/*
 * Request grouping of a raw VSL record stream, as "varnishlog -g request"
 * groups: a client request with its backend fetches, ESI subrequests and
 * restarts, delivered once the request and everything linked to it have
 * ended.  Begin and Link records say who belongs to whom; End says a
 * transaction is over.
 *
 * Each record is parsed as it comes (txn.h), into its transaction's own
 * arena, so nothing of the log is kept and nothing is parsed twice.
 * Sessions are not kept at all: request grouping never delivers them.
 *
 * Bounds: at most VSL_GROUP_MAX_TXN transactions are held at once, and
 * none stays open longer than VSL_GROUP_TIMEOUT seconds; past either,
 * the oldest open group is delivered as it is, counted incomplete.  A
 * group whose request was never seen beginning (the log was joined
 * mid-request) has nothing to deliver; its transactions are counted
 * orphaned, as are those dropped with vsl_group_drop().
 */

#ifndef STOKE_VSL_GROUP_H
#define STOKE_VSL_GROUP_H

#include <stdint.h>

#define VSL_GROUP_MAX_TXN 4096
#define VSL_GROUP_TIMEOUT 120.0 /* seconds, as varnishlog's -T default */

struct txn;
struct txn_conf;
struct vsl_group;

struct vsl_group_stats {
	uint64_t groups; /* delivered */
	uint64_t incomplete; /* delivered before all of them ended */
	uint64_t orphans; /* transactions never delivered */
	uint64_t arena_overflows; /* strings that did not fit */
	unsigned held; /* transactions held now */
};

/*
 * One group, the request first, then what it links to, breadth first;
 * valid only during the call.
 */
typedef void vsl_group_f(void *priv, const struct txn *const txn[], unsigned n);

struct vsl_group *
vsl_group_new(const struct txn_conf *, vsl_group_f *, void *priv);
void vsl_group_free(struct vsl_group **);

/*
 * One record as VSL_Next() returns it: a single record, or a batch
 * (SLT__Batch) of one transaction's records.  It is read at once and
 * not kept.
 */
void vsl_group_feed(struct vsl_group *, const uint32_t *rec);

/*
 * The time now (any monotonic clock, in seconds): groups open for too
 * long are delivered.  Never called, nothing times out.
 */
void vsl_group_tick(struct vsl_group *, double now);

/* The log goes on elsewhere: deliver every open group as it is. */
void vsl_group_flush(struct vsl_group *);

/* The log is gone with what it cached: drop every open group. */
void vsl_group_drop(struct vsl_group *);

const struct vsl_group_stats *vsl_group_stats(const struct vsl_group *);

#endif
