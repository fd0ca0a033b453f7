/*
 * Reading one varnishd's shared memory log on the daemon's event loop.
 *
 * Transactions are delivered grouped by request (a client request with
 * its backend fetches and ESI subrequests), as "varnishlog -g request"
 * shows them, by vsl_group.h (a vsl_group_f is called once per group).  The reader never blocks: it polls on a libevent timer
 * whose interval shrinks while there is traffic and grows while idle,
 * and it survives varnishd starting late, restarting, and log overruns.
 */

#ifndef STOKE_VSL_READER_H
#define STOKE_VSL_READER_H

#include <stdint.h>

#include "vsl_group.h"

struct event_base;

struct vsl_reader_stats {
	uint64_t groups; /* transaction groups delivered */
	uint64_t incomplete; /* of those, delivered before all ended */
	uint64_t orphans; /* transactions never delivered (vsl_group.h) */
	uint64_t dropped_strings; /* too much text in one transaction */
	uint64_t overruns; /* the log wrapped around us */
	uint64_t abandons; /* varnishd went away under the cursor */
	uint64_t reconnects; /* cursors (re)opened after the first */
	uint64_t wakes; /* reads at once for the VCL's doorbell (one a burst) */
	unsigned attached; /* 1 while reading a live log */
};

/*
 * varnishd's cache child went away (restarted, killed), or varnishd
 * itself: everything it had cached is gone.  Told once for each cache
 * whose log was read, after its last group and before the first group
 * of the next one.
 */
typedef void vsl_restart_f(void *priv);

struct vsl_reader;

/* name: the -n argument of varnishd, NULL for the default instance. */
struct vsl_reader *vsl_reader_new(struct event_base *, const char *name,
    vsl_group_f *, void *priv);
void vsl_reader_free(struct vsl_reader **);
void vsl_reader_on_restart(struct vsl_reader *, vsl_restart_f *, void *priv);
const struct vsl_reader_stats *vsl_reader_stats(const struct vsl_reader *);
const char *vsl_reader_name(const struct vsl_reader *);
/*
 * The VCL says an invalidation was just written (vmod_stoke's doorbell):
 * read now, not at the next poll, and twice more soon after.
 */
void vsl_reader_wake(struct vsl_reader *);

#endif
