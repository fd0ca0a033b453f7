/*
 * One varnishd's log, read through VSM and a raw VSL cursor, grouped by
 * vsl_group.c (not VSLQ, which copies and walks every record twice), and
 * driven by a libevent timer instead of a sleeping loop.
 *
 * Attaching is tried with a zero VSM timeout, so a missing varnishd costs
 * one failed attempt per retry period and never blocks the loop.  Each
 * tick drains a bounded number of batches so that a busy log cannot
 * starve the other events; the next tick comes at once while there is a
 * backlog, after MIN_POLL when the log ran dry and for QUICK_FOR after
 * it last moved (BUSY_POLL when it is busy), and backs off to MAX_POLL
 * when it has long been idle.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vapi/vsl.h"
#include "vapi/vsm.h"
#include "vtim.h"

#include "txn.h"
#include "vsl_reader.h"

/*
 * An invalidation is seen at the next tick after varnishd writes it:
 * every millisecond, on a loop whose timers are precise (loop_new()),
 * keeps that within the re-warm's budget of a few milliseconds.  Each
 * tick is a sleep and a wake (some 15-20 us of kernel time on a busy
 * virtual machine): polling twice as often cost a third of the
 * reader's CPU at 45,000 transactions a second.
 */
#define MIN_POLL_US 1000
#define MAX_POLL_US 5000
/*
 * A busy log, BUSY_BATCHES or more a millisecond (some 15,000
 * transactions a second), is read every BUSY_POLL: each wake then finds
 * twice as much to read for its cost (533,000 to 589,000 transactions
 * a CPU-second where 1 ms polls read 490,000), and an invalidation
 * waits at most a millisecond more when there is that much traffic.
 * The rate, not a tick's count, decides: at either interval the same
 * traffic is busy or not.
 */
#define BUSY_BATCHES 16 /* a millisecond */
#define BUSY_POLL_US 2000
#define QUICK_FOR 1.0 /* seconds at MIN_POLL after the log last moved */
/*
 * vmod_stoke rings as the request that invalidated ends, a few
 * microseconds before varnishd flushes its log: a read at once may
 * come too soon, so RUNG_TICKS more follow, RUNG_POLL apart, before the
 * poll goes on as it was.
 */
#define RUNG_TICKS 2
#define RUNG_POLL_US 250
/*
 * How often VSM is asked whether varnishd or its child changed while a
 * cursor reads: each ask stats its segment lists, some ten system calls,
 * and at every tick that was some 9% of the reader's CPU.  Overruns the cursor reports
 * itself; a restart shows at the next ask, at most this much later.
 */
#define STATUS_EVERY 0.05 /* seconds */
#define ATTACH_RETRY_US 500000
#define BATCHES_PER_TICK 256
#define AWAIT_CHILD_US 10000
#define AWAIT_CHILD_TICKS 200

struct vsl_reader {
	unsigned magic;
#define VSL_READER_MAGIC 0x6c9a3e21
	char *name;
	struct event *timer;
	struct vsm *vsm;
	struct VSL_data *vsl;
	struct VSL_cursor *cursor;
	struct vsl_group *group;
	uint32_t *copy; /* a record about to be overwritten (copy_rec()) */
	size_t ncopy; /* words */
	unsigned have_cursor;
	unsigned opened_once;
	unsigned from_head;
	unsigned await_child; /* ticks waited for a new child's log */
	unsigned changed; /* a new child showed since the cursor opened */
	unsigned read_cache; /* a cursor opened since the last restart */
	long poll_us;
	unsigned rung; /* quick ticks left after a ring */
	double status_next; /* VSM asked again from then (VTIM_mono) */
	double news; /* when the log last moved (VTIM_mono) */
	vsl_group_f *fn;
	void *priv;
	vsl_restart_f *restart_fn;
	void *restart_priv;
	struct vsl_reader_stats stats;
};

static void
arm(struct vsl_reader *r, long us)
{
	struct timeval tv;

	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	AZ(evtimer_add(r->timer, &tv));
}

static void
group_cb(void *priv, const struct txn *const txn[], unsigned n)
{
	struct vsl_reader *r;

	CAST_OBJ_NOTNULL(r, priv, VSL_READER_MAGIC);
	r->fn(r->priv, txn, n);
}

static void
sync_stats(struct vsl_reader *r)
{
	const struct vsl_group_stats *gs;

	gs = vsl_group_stats(r->group);
	r->stats.groups = gs->groups;
	r->stats.incomplete = gs->incomplete;
	r->stats.orphans = gs->orphans;
	r->stats.dropped_strings = gs->arena_overflows;
}

static void
delete_cursor(struct vsl_reader *r)
{
	if (r->cursor != NULL)
		VSL_DeleteCursor(r->cursor);
	r->cursor = NULL;
	r->have_cursor = 0;
	r->stats.attached = 0;
}

/*
 * The cache went away with the log: its open groups are dropped, as
 * VSLQ did when its cursor was deleted, and counted.
 */
static void
detach(struct vsl_reader *r)
{
	r->await_child = 0;
	delete_cursor(r);
	vsl_group_drop(r->group);
	sync_stats(r);
	if (r->vsl != NULL) {
		VSL_Delete(r->vsl);
		r->vsl = NULL;
	}
	if (r->vsm != NULL)
		VSM_Destroy(&r->vsm);
}

static int
attach(struct vsl_reader *r)
{
	AZ(r->vsm);
	r->vsm = VSM_New();
	AN(r->vsm);
	/* One attempt, no waiting: the timer does the retrying. */
	if (VSM_Arg(r->vsm, 't', "0") <= 0 ||
	    (r->name != NULL && VSM_Arg(r->vsm, 'n', r->name) <= 0) ||
	    VSM_Attach(r->vsm, -1) != 0) {
		VSM_Destroy(&r->vsm);
		return (-1);
	}
	/* Status reports changes since the last call: start from now. */
	(void)VSM_Status(r->vsm);
	r->vsl = VSL_New();
	AN(r->vsl);
	return (0);
}

static int
open_cursor(struct vsl_reader *r)
{
	struct VSL_cursor *c;

	/*
	 * The first time, start at the tail: what happened before stoked
	 * came is history.  After a restart, an overrun, or when varnishd
	 * came after us, everything in the log is news: start at the head.
	 */
	c = VSL_CursorVSM(r->vsl, r->vsm,
	    (r->from_head ? 0 : VSL_COPT_TAIL) | VSL_COPT_BATCH);
	if (c == NULL) {
		VSL_ResetError(r->vsl);
		return (-1);
	}
	AZ(r->cursor);
	r->cursor = c;
	r->have_cursor = 1;
	r->from_head = 1;
	r->changed = 0;
	r->read_cache = 1;
	r->stats.attached = 1;
	if (r->opened_once)
		r->stats.reconnects++;
	r->opened_once = 1;
	return (0);
}

/*
 * Lose the cursor, delivering the groups it left open as they are; the
 * next tick opens a new one.
 */
static void
drop_cursor(struct vsl_reader *r)
{
	vsl_group_flush(r->group);
	sync_stats(r);
	delete_cursor(r);
	r->rung = 0;
}

/*
 * The cache whose log we read is gone.  VSM may say so twice for one
 * restart (the old child's segments gone, the new child's come), but
 * no cursor opens in between, so each emptied cache is told once.
 */
static void
restarted(struct vsl_reader *r)
{
	if (!r->read_cache)
		return;
	r->read_cache = 0;
	if (r->restart_fn != NULL)
		r->restart_fn(r->restart_priv);
}

/*
 * What VSM says of varnishd and its child: 0 to go on reading the log,
 * or -1 when this tick is over (the timer armed again).
 */
static int
vsm_watch(struct vsl_reader *r)
{
	unsigned status;

	status = VSM_Status(r->vsm);
	if (!(status & VSM_MGT_RUNNING)) {
		/* varnishd is gone; attach afresh when it is back. */
		detach(r);
		restarted(r);
		arm(r, ATTACH_RETRY_US);
		return (-1);
	}
	/*
	 * The old child going away shows as WRK_RESTARTED (without
	 * WRK_RUNNING), the new one as a changed segment list with
	 * WRK_RUNNING.  Either way the next log is all news.
	 */
	if (status & (VSM_WRK_RESTARTED | VSM_WRK_CHANGED | VSM_MGT_CHANGED)) {
		if (r->have_cursor && (status & VSM_WRK_RESTARTED))
			drop_cursor(r);
		r->await_child = 0;
		r->from_head = 1;
		r->changed = 1;
	}
	if (status & (VSM_WRK_RESTARTED | VSM_MGT_RESTARTED))
		restarted(r);
	if (!(status & VSM_WRK_RUNNING)) {
		/* No child: its old log may still be found, so wait. */
		arm(r, AWAIT_CHILD_US);
		return (-1);
	}
	if (r->await_child > 0) {
		/*
		 * Abandoned, and no sign of a new child yet: reading the
		 * same log again from its head would deliver it twice.
		 * If no change shows, take the tail.
		 */
		if (++r->await_child < AWAIT_CHILD_TICKS) {
			arm(r, AWAIT_CHILD_US);
			return (-1);
		}
		r->await_child = 0;
		r->from_head = 0;
	}
	return (0);
}

/*
 * A record or batch about to be overwritten (VSL_Check() warns when
 * varnishd is close behind) is copied before it is parsed, as VSLQ
 * copies its chunks: parsing it where it lies could read a length that
 * varnishd is rewriting, and run past the batch.  Returns NULL when it
 * was overwritten before the copy was made.
 */
#define COPY_MAX (16U << 20)

static const uint32_t *
copy_rec(struct vsl_reader *r, const struct VSL_cursor *c)
{
	const uint32_t *p = c->rec.ptr;
	size_t words;
	uint32_t *b;

	if (VSL_TAG(p) == SLT__Batch)
		words = (size_t)(VSL_END(p, VSL_BATCHLEN(p)) - p);
	else
		words = (size_t)(VSL_NEXT(p) - p);
	if (words * 4 > COPY_MAX)
		return (NULL);
	if (words > r->ncopy) {
		b = realloc(r->copy, words * sizeof *b);
		AN(b);
		r->copy = b;
		r->ncopy = words;
	}
	memcpy(r->copy, p, words * sizeof *p);
	if (VSL_Check(c, &c->rec) == vsl_check_e_inval)
		return (NULL);
	return (r->copy);
}

/*
 * At most BATCHES_PER_TICK records or batches, each grouped as it is
 * read.  Should the log overtake the cursor, what was read may be torn:
 * that is an overrun, like one the cursor reports itself, and what the
 * open groups hold is not trusted (dropped, not delivered).
 */
static int
read_log(struct vsl_reader *r, unsigned *np)
{
	struct VSL_cursor *c = r->cursor;
	const uint32_t *p;
	unsigned n;
	int i = vsl_end;

	for (n = 0; n < BATCHES_PER_TICK; n++) {
		i = VSL_Next(c);
		if (i != vsl_more)
			break;
		p = c->rec.ptr;
		switch (VSL_Check(c, &c->rec)) {
		case vsl_check_e_inval:
			p = NULL;
			break;
		case vsl_check_warn:
			p = copy_rec(r, c);
			break;
		default:
			break;
		}
		if (p == NULL) {
			i = vsl_e_overrun;
			break;
		}
		vsl_group_feed(r->group, p);
		if (p == c->rec.ptr &&
		    VSL_Check(c, &c->rec) == vsl_check_e_inval) {
			vsl_group_drop(r->group);
			i = vsl_e_overrun;
			break;
		}
	}
	*np = n;
	return (i);
}

static void
tick(evutil_socket_t fd, short what, void *priv)
{
	struct vsl_reader *r;
	unsigned n;
	double now;
	int i = 0;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(r, priv, VSL_READER_MAGIC);

	if (r->vsm == NULL && attach(r) != 0) {
		r->from_head = 1;
		arm(r, ATTACH_RETRY_US);
		return;
	}
	/*
	 * VSM's status costs a handful of system calls, the log's cursor
	 * none: the log is polled often, for an invalidation to be seen at
	 * once, and VSM asked at most every STATUS_EVERY while a cursor is
	 * open (one that varnishd abandons says so itself).
	 */
	now = VTIM_mono();
	if (!r->have_cursor || now >= r->status_next) {
		r->status_next = now + STATUS_EVERY;
		if (vsm_watch(r) != 0)
			return;
	}
	if (!r->have_cursor && open_cursor(r) != 0) {
		arm(r, MIN_POLL_US * 10);
		return;
	}

	vsl_group_tick(r->group, now);
	i = read_log(r, &n);
	sync_stats(r);
	if (i == vsl_more) {
		/* A backlog: come back as soon as the loop is free. */
		r->poll_us = MIN_POLL_US;
		arm(r, 0);
		return;
	}
	if (i == vsl_e_overrun) {
		/* Lost what was overwritten; the rest is still to read. */
		r->stats.overruns++;
		drop_cursor(r);
		arm(r, 0);
		return;
	}
	if (i == vsl_e_abandon) {
		r->stats.abandons++;
		/* A new child already showed: its log is the one to read. */
		r->await_child = r->changed ? 0 : 1;
		drop_cursor(r);
		arm(r, r->changed ? 0 : AWAIT_CHILD_US);
		return;
	}
	/*
	 * Dry: stay quick while traffic comes and for a while after, so
	 * that an invalidation between two requests is seen within a
	 * millisecond; back off only when the log has long been still.
	 */
	if (n > 0)
		r->news = now;
	if ((double)n * 1000 >= BUSY_BATCHES * (double)r->poll_us)
		r->poll_us = BUSY_POLL_US;
	else if (now - r->news < QUICK_FOR)
		r->poll_us = MIN_POLL_US;
	else if (r->poll_us < MAX_POLL_US)
		r->poll_us *= 2;
	if (r->poll_us > MAX_POLL_US)
		r->poll_us = MAX_POLL_US;
	if (r->rung > 0) {
		r->rung--;
		arm(r, RUNG_POLL_US);
		return;
	}
	arm(r, r->poll_us);
}

void
vsl_reader_wake(struct vsl_reader *r)
{
	CHECK_OBJ_NOTNULL(r, VSL_READER_MAGIC);
	/*
	 * Attaching, or waiting for a child: that goes at its own pace.
	 * Rung already: a tick comes within RUNG_POLL anyway, and a storm
	 * of purges is read every RUNG_POLL, not once a ring.
	 */
	if (!r->have_cursor || r->rung > 0)
		return;
	r->stats.wakes++;
	r->rung = RUNG_TICKS;
	arm(r, 0);
}

struct vsl_reader *
vsl_reader_new(struct event_base *eb, const char *name, vsl_group_f *fn,
    void *priv)
{
	struct vsl_reader *r;

	AN(eb);
	AN(fn);
	r = calloc(1, sizeof *r);
	AN(r);
	r->magic = VSL_READER_MAGIC;
	if (name != NULL) {
		r->name = strdup(name);
		AN(r->name);
	}
	r->fn = fn;
	r->priv = priv;
	r->group = vsl_group_new(&txn_conf_stoke, group_cb, r);
	r->poll_us = MIN_POLL_US;
	r->timer = evtimer_new(eb, tick, r);
	AN(r->timer);
	arm(r, 0);
	return (r);
}

void
vsl_reader_free(struct vsl_reader **rp)
{
	struct vsl_reader *r;

	AN(rp);
	r = *rp;
	*rp = NULL;
	if (r == NULL)
		return;
	CHECK_OBJ_NOTNULL(r, VSL_READER_MAGIC);
	event_free(r->timer);
	detach(r);
	vsl_group_free(&r->group);
	free(r->copy);
	free(r->name);
	r->magic = 0;
	free(r);
}

void
vsl_reader_on_restart(struct vsl_reader *r, vsl_restart_f *fn, void *priv)
{
	CHECK_OBJ_NOTNULL(r, VSL_READER_MAGIC);
	r->restart_fn = fn;
	r->restart_priv = priv;
}

const struct vsl_reader_stats *
vsl_reader_stats(const struct vsl_reader *r)
{
	CHECK_OBJ_NOTNULL(r, VSL_READER_MAGIC);
	return (&r->stats);
}

const char *
vsl_reader_name(const struct vsl_reader *r)
{
	CHECK_OBJ_NOTNULL(r, VSL_READER_MAGIC);
	return (r->name != NULL ? r->name : "default");
}
