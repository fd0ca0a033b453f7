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
 *
 * With -e it also prints every event, one a line, so that two versions
 * of the parsing can be diffed on the same log.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "vapi/vsl.h"

#include "index/cache_index.h"
#include "index/index_apply.h"
#include "vsl/observer.h"
#include "vsl/txn.h"
#include "vsl/vsl_group.h"

static const char *
str(const char *s)
{
	return (s != NULL ? s : "-");
}

static void
print_hdrs(unsigned n, const char *const *name, const char *const *val)
{
	unsigned i;

	for (i = 0; i < n; i++)
		printf(" [%s: %s]", str(name[i]), str(val[i]));
}

static void
print_event(const struct event_rec *ev)
{
	const struct ev_fetch *f = &ev->u.fetch;

	printf("%s %u %s %s {%s}", ev_type_name[ev->type], ev->vxid,
	    str(ev->key.host), str(ev->key.url), str(ev->key.variant));
	print_hdrs(ev->key.nhdr, ev->key.hdr_name, ev->key.hdr_val);
	switch (ev->type) {
	case EV_HIT:
		printf(" obj %u %.3f %.3f %.3f tags {%s}", ev->u.hit.obj_vxid,
		    ev->u.hit.ttl_left, ev->u.hit.grace, ev->u.hit.keep,
		    str(ev->u.hit.tags));
		break;
	case EV_FETCH:
		printf(" %u %u c%u f%u b%u %.6f %.3f %.3f %.3f %.6f %ju "
		       "tags {%s} warm %s cc {%s} cookie %u",
		    f->vxid, f->status, f->cacheable, f->failed, f->background,
		    f->t_origin, f->ttl, f->grace, f->keep, f->fetch_time,
		    (uintmax_t)f->size, str(f->tags), str(f->warm_id),
		    str(f->cache_control), f->set_cookie);
		print_hdrs(f->nhdr, f->hdr_name, f->hdr_val);
		break;
	case EV_NUKE:
		printf(" obj %u", ev->u.nuke.obj_vxid);
		break;
	default:
		break;
	}
	printf("\n");
}

struct tee {
	struct index_apply *ia;
};

static void
tee_event(void *priv, const struct event_rec *ev)
{
	struct tee *t = priv;

	print_event(ev);
	index_apply_event(t->ia, ev);
}

int
main(int argc, char **argv)
{
	struct tee tee;
	int verbose = 0;
	const struct observer_stats *os;
	const struct vsl_group_stats *gs;
	struct index_apply *ia;
	struct observer *obs;
	struct vsl_group *vg;
	struct VSL_cursor *c;
	struct VSL_data *vsl;
	int i;

	if (argc == 3 && !strcmp(argv[1], "-e")) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: vsl_replay [-e] FILE\n");
		return (2);
	}
	ia = index_apply_new(0, 3600.0);
	tee.ia = ia;
	if (verbose)
		obs = observer_new(tee_event, &tee);
	else
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
