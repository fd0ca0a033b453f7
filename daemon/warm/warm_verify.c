/*
 * The table is direct-mapped on vxid: a slot holds the last transaction
 * whose vxid fell on it, and a newer one simply takes its place.  At
 * WV_SLOTS slots that is many seconds of a busy Varnish, and a slot says
 * which vxid it holds, so a stale one is never taken for another.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "fetch/origin_guard.h"
#include "warm_verify.h"

#define WV_SLOTS 16384
#define WV_TICK_MS 100

struct slot {
	struct wv_txn t;
	unsigned done; /* the client request itself was logged */
	double when;
};

struct wv_wait {
	unsigned magic;
#define WV_WAIT_MAGIC 0x5e1f7a11
	uint32_t vxid;
	double deadline;
	wv_done_f *done;
	void *priv;
	VTAILQ_ENTRY(wv_wait) list;
};

struct warm_verify {
	unsigned magic;
#define WARM_VERIFY_MAGIC 0x5e1f7a10
	double timeout;
	struct event *tick;
	struct slot *slot;
	VTAILQ_HEAD(, wv_wait) waiting;
	struct wv_stats stats;
};

/* The slot for vxid, emptied if another transaction held it. */
static struct slot *
slot_for(struct warm_verify *wv, uint32_t vxid)
{
	struct slot *s = &wv->slot[vxid % WV_SLOTS];

	if (s->t.vxid != vxid) {
		memset(s, 0, sizeof *s);
		s->t.vxid = vxid;
	}
	return (s);
}

static void
wake(struct warm_verify *wv, const struct slot *s)
{
	struct wv_wait *w, *w2;

	VTAILQ_FOREACH_SAFE(w, &wv->waiting, list, w2)
	{
		if (w->vxid != s->t.vxid)
			continue;
		VTAILQ_REMOVE(&wv->waiting, w, list);
		wv->stats.matched++;
		w->done(w->priv, &s->t);
		w->magic = 0;
		free(w);
	}
}

void
wv_event(struct warm_verify *wv, const struct event_rec *ev)
{
	const struct ev_fetch *f;
	struct slot *s;

	CHECK_OBJ_NOTNULL(wv, WARM_VERIFY_MAGIC);
	if (ev->vxid == 0)
		return;
	switch (ev->type) {
	case EV_FETCH:
		/* Logged before the request that waited for it. */
		f = &ev->u.fetch;
		if (f->background)
			return;
		s = slot_for(wv, ev->vxid);
		s->t.fetched = 1;
		s->t.status = f->status;
		s->t.fetch_failed = f->failed;
		s->t.cacheable = f->cacheable;
		s->t.set_cookie = f->set_cookie;
		s->t.ttl = f->ttl;
		s->t.grace = f->grace;
		s->t.fetch_time = f->fetch_time;
		snprintf(s->t.cache_control, sizeof s->t.cache_control, "%s",
		    f->cache_control != NULL ? f->cache_control : "");
		return;
	case EV_HIT:
	case EV_MISS:
	case EV_PASS:
	case EV_SYNTH:
		s = slot_for(wv, ev->vxid);
		s->t.handling = ev->type;
		if (ev->type == EV_HIT)
			s->t.ttl_left = ev->u.hit.ttl_left;
		s->done = 1;
		s->when = ev->now;
		wake(wv, s);
		return;
	default:
		return;
	}
}

struct wv_wait *
wv_wait(struct warm_verify *wv, uint32_t vxid, wv_done_f *done, void *priv)
{
	struct slot *s = &wv->slot[vxid % WV_SLOTS];
	struct wv_wait *w;
	struct timeval tv = { 0, WV_TICK_MS * 1000 };

	CHECK_OBJ_NOTNULL(wv, WARM_VERIFY_MAGIC);
	AN(done);
	if (s->t.vxid == vxid && s->done) {
		wv->stats.matched++;
		done(priv, &s->t);
		return (NULL);
	}
	w = calloc(1, sizeof *w);
	AN(w);
	w->magic = WV_WAIT_MAGIC;
	w->vxid = vxid;
	w->deadline = VTIM_real() + wv->timeout;
	w->done = done;
	w->priv = priv;
	VTAILQ_INSERT_TAIL(&wv->waiting, w, list);
	if (!evtimer_pending(wv->tick, NULL))
		AZ(evtimer_add(wv->tick, &tv));
	return (w);
}

void
wv_cancel(struct warm_verify *wv, struct wv_wait *w)
{
	CHECK_OBJ_NOTNULL(wv, WARM_VERIFY_MAGIC);
	CHECK_OBJ_NOTNULL(w, WV_WAIT_MAGIC);
	VTAILQ_REMOVE(&wv->waiting, w, list);
	w->magic = 0;
	free(w);
}

/* Waiters whose deadline passed hear that the log said nothing. */
static void
wv_on_tick(evutil_socket_t fd, short what, void *priv)
{
	struct warm_verify *wv;
	struct timeval tv = { 0, WV_TICK_MS * 1000 };
	struct wv_wait *w, *w2;
	double now = VTIM_real();

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(wv, priv, WARM_VERIFY_MAGIC);
	VTAILQ_FOREACH_SAFE(w, &wv->waiting, list, w2)
	{
		if (w->deadline > now)
			continue;
		VTAILQ_REMOVE(&wv->waiting, w, list);
		wv->stats.unmatched++;
		w->done(w->priv, NULL);
		w->magic = 0;
		free(w);
	}
	if (!VTAILQ_EMPTY(&wv->waiting))
		AZ(evtimer_add(wv->tick, &tv));
}

/*
 * The time to the first byte a warm request saw holds stoked's own wait
 * for the event loop and Varnish's for a worker thread: on a loaded
 * machine, or in a burst of our own, that halved the limit of an origin
 * as fast as ever.  The log's backend fetch times the origin alone; the
 * smaller of the two is taken, should a clock disagree.
 */
void
wv_guard_sample(struct origin_guard *g, const char *origin, double started,
    double first_byte, const struct wv_txn *t)
{
	struct og_outcome oc;

	AN(origin);
	if (g == NULL)
		return;
	memset(&oc, 0, sizeof oc);
	oc.started = started;
	oc.ok = 1;
	oc.latency = first_byte;
	if (t != NULL && !t->fetched)
		oc.cached = 1; /* a hit after all: the origin was not asked */
	else if (t != NULL && t->fetch_time > 0 && t->fetch_time < first_byte)
		oc.latency = t->fetch_time;
	og_sample(g, origin, VTIM_real(), &oc);
}

struct warm_verify *
wv_new(struct event_base *eb, double timeout)
{
	struct warm_verify *wv;

	AN(eb);
	wv = calloc(1, sizeof *wv);
	AN(wv);
	wv->magic = WARM_VERIFY_MAGIC;
	wv->timeout = timeout > 0 ? timeout : 2.0;
	wv->slot = calloc(WV_SLOTS, sizeof *wv->slot);
	AN(wv->slot);
	wv->tick = evtimer_new(eb, wv_on_tick, wv);
	AN(wv->tick);
	VTAILQ_INIT(&wv->waiting);
	return (wv);
}

void
wv_free(struct warm_verify **wvp)
{
	struct warm_verify *wv;
	struct wv_wait *w;

	AN(wvp);
	wv = *wvp;
	*wvp = NULL;
	if (wv == NULL)
		return;
	CHECK_OBJ_NOTNULL(wv, WARM_VERIFY_MAGIC);
	while ((w = VTAILQ_FIRST(&wv->waiting)) != NULL) {
		VTAILQ_REMOVE(&wv->waiting, w, list);
		w->done(w->priv, NULL);
		w->magic = 0;
		free(w);
	}
	event_free(wv->tick);
	free(wv->slot);
	wv->magic = 0;
	free(wv);
}

const struct wv_stats *
wv_stats(const struct warm_verify *wv)
{
	CHECK_OBJ_NOTNULL(wv, WARM_VERIFY_MAGIC);
	return (&wv->stats);
}
