/*
 * vsl_replay: stoked's log reading, from a file, for profiling.
 *
 * Reads a log written by "varnishlog -w FILE" with the query stoked's
 * reader uses (vsl_reader_query()), through the observer into an index,
 * as "stoked run" does with a live log; prints what it read.  A fixed
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
#include "vsl/vsl_reader.h"

static uint64_t groups;

static int
group(struct VSL_data *vsl, struct VSL_transaction *const trans[], void *priv)
{
	(void)vsl;
	groups++;
	observer_group(priv, trans);
	return (0);
}

int
main(int argc, char **argv)
{
	const struct observer_stats *os;
	struct index_apply *ia;
	struct observer *obs;
	struct VSL_cursor *c;
	struct VSL_data *vsl;
	struct VSLQ *vslq;
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: vsl_replay FILE\n");
		return (2);
	}
	ia = index_apply_new(0, 3600.0);
	obs = observer_new(index_apply_event, ia);
	vsl = VSL_New();
	AN(vsl);
	vslq = vsl_reader_query(vsl);
	c = VSL_CursorFile(vsl, argv[1], 0);
	if (c == NULL) {
		fprintf(stderr, "vsl_replay: %s\n", VSL_Error(vsl));
		return (1);
	}
	VSLQ_SetCursor(vslq, &c);
	do
		i = VSLQ_Dispatch(vslq, group, obs);
	while (i == 1);
	(void)VSLQ_Flush(vslq, group, obs);
	os = observer_stats(obs);
	printf("groups %ju transactions %ju fetches %ju hits %ju nukes %ju "
	       "objects %zu (end %d)\n",
	    (uintmax_t)groups, (uintmax_t)os->txns,
	    (uintmax_t)os->events[EV_FETCH], (uintmax_t)os->events[EV_HIT],
	    (uintmax_t)os->events[EV_NUKE], ci_count(index_apply_index(ia)), i);
	VSLQ_Delete(&vslq);
	VSL_Delete(vsl);
	observer_free(&obs);
	index_apply_free(&ia);
	return (0);
}
