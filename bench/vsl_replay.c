/*
 * vsl_replay: stoked's log reading, from a file, for profiling.
 *
 * Reads a log written by "varnishlog -w FILE" with the grouping stoked's
 * reader uses (vsl_group.h), through the observer into an index, as
 * "stoked run" does with a live log; prints what it read.  A fixed
 * file makes instruction counts comparable from one change to the next
 * where timings on a shared machine are not:
 *
 *   make -C BUILD/bench vsl_replay
 *   valgrind --tool=callgrind BUILD/bench/vsl_replay FILE
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vdef.h"
#include "vas.h"
#include "vapi/vsl.h"

#include "index/cache_index.h"
#include "index/index_apply.h"
#include "vsl/observer.h"
#include "vsl/txn.h"
#include "vsl/vsl_group.h"

int
main(int argc, char **argv)
{
	const struct observer_stats *os;
	const struct vsl_group_stats *gs;
	struct index_apply *ia;
	struct observer *obs;
	struct vsl_group *vg;
	struct VSL_cursor *c;
	struct VSL_data *vsl;
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: vsl_replay FILE\n");
		return (2);
	}
	ia = index_apply_new(0, 3600.0);
	obs = observer_new(index_apply_event, ia);
	vsl = VSL_New();
	AN(vsl);
	vg = vsl_group_new(&txn_conf_stoke, observer_group, obs);
	c = VSL_CursorFile(vsl, argv[1], 0);
	if (c == NULL) {
		fprintf(stderr, "vsl_replay: %s\n", VSL_Error(vsl));
		return (1);
	}
	while ((i = VSL_Next(c)) == vsl_more)
		vsl_group_feed(vg, c->rec.ptr);
	vsl_group_flush(vg);
	os = observer_stats(obs);
	gs = vsl_group_stats(vg);
	printf("groups %ju transactions %ju fetches %ju hits %ju nukes %ju "
	       "objects %zu incomplete %ju orphans %ju (end %d)\n",
	    (uintmax_t)gs->groups, (uintmax_t)os->txns,
	    (uintmax_t)os->events[EV_FETCH], (uintmax_t)os->events[EV_HIT],
	    (uintmax_t)os->events[EV_NUKE], ci_count(index_apply_index(ia)),
	    (uintmax_t)gs->incomplete, (uintmax_t)gs->orphans, i);
	VSL_DeleteCursor(c);
	vsl_group_free(&vg);
	VSL_Delete(vsl);
	observer_free(&obs);
	index_apply_free(&ia);
	return (0);
}
