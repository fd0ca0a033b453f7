/*
 * An instance wires VSL reader → observer → event sink for one varnishd.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "core/log.h"
#include "core/metrics.h"
#include "core/str.h"
#include "index/cache_index.h"
#include "index/index_apply.h"
#include "vsl/events.h"
#include "vsl/observer.h"
#include "vsl/vsl_reader.h"
#include "warm/rewarm.h"
#include "warm/warm_verify.h"
#include "instance.h"

/* One host's share of the invalidation being applied. */
struct inval_host {
	char *host;
	uint64_t key;
	unsigned dropped, queued;
};

/*
 * Where a host's share is in the array: hosts come from visitors, and a
 * ban over many objects of many hosts must not search them all for each.
 */
struct ih_index {
	const char *host; /* the share's own copy */
	unsigned idx;
	UT_hash_handle hh;
};

struct instance {
	unsigned magic;
#define INSTANCE_MAGIC 0x1a5f7c02
	char *name;
	char *who; /* "node NAME", as the log names it */
	char *node; /* re-warming's, without a trailing / */
	struct vsl_reader *reader;
	struct observer *observer;
	struct index_apply *apply;
	struct rewarm *rewarm;
	struct warm_verify *verify;
	double refresh_before, refresh_popularity;
	struct event *expiry;
	const struct instance_watch *watch;
	void *watch_priv;
	/* While a watched invalidation is applied: each host's share. */
	const struct event_rec *inval;
	struct inval_host *ih;
	unsigned nih, lih;
	struct ih_index *ihx;
	char *dims; /* the control plane's, or NULL: the log's */
	ev_sink_f *tap;
	void *tap_priv;
	rewarm_result_f *task_result; /* what instance_warm() queued */
	void *task_priv;
	uint64_t resets; /* the index emptied: varnishd's cache restarted */
};

static struct inval_host *
inval_host(struct instance *inst, const char *host)
{
	struct inval_host *h;
	struct ih_index *x;

	HASH_FIND_STR(inst->ihx, host, x);
	if (x != NULL)
		return (&inst->ih[x->idx]);
	if (inst->nih == inst->lih) {
		inst->lih = inst->lih > 0 ? inst->lih * 2 : 4;
		inst->ih = realloc(inst->ih, inst->lih * sizeof *inst->ih);
		AN(inst->ih);
	}
	h = &inst->ih[inst->nih++];
	memset(h, 0, sizeof *h);
	h->host = strdup(host);
	AN(h->host);
	x = calloc(1, sizeof *x);
	AN(x);
	x->host = h->host;
	x->idx = inst->nih - 1;
	HASH_ADD_KEYPTR(hh, inst->ihx, x->host, strlen(x->host), x);
	h->key = inst->watch->key(inst->watch_priv);
	return (h);
}

/* The invalidation is applied: each host's share that queued, told. */
static void
inval_told(struct instance *inst, const struct event_rec *ev)
{
	struct instance_inval iv;
	struct inval_host *h;
	struct ih_index *x, *x2;
	char *url = NULL;
	unsigned u;

	memset(&iv, 0, sizeof iv);
	iv.t = ev->t_logged > 0 ? ev->t_logged : ev->now;
	switch (ev->type) {
	case EV_PURGE:
		iv.kind = "purge";
		iv.soft = ev->u.purge.soft;
		break;
	case EV_BAN:
		iv.kind = "ban";
		iv.subject = ev->u.ban.expr;
		break;
	default:
		iv.kind = "tag";
		iv.soft = ev->u.tags.soft;
		iv.subject = ev->u.tags.tags;
		break;
	}
	HASH_ITER(hh, inst->ihx, x, x2)
	{
		HASH_DEL(inst->ihx, x);
		free(x);
	}
	for (u = 0; u < inst->nih; u++) {
		h = &inst->ih[u];
		if (h->queued > 0) {
			if (ev->type == EV_PURGE) {
				/* A purge is of one URL: said in full. */
				free(url);
				url = str_printf("http://%s%s", h->host,
				    ev->key.url);
				iv.subject = url;
			}
			iv.dropped = h->dropped;
			iv.queued = h->queued;
			inst->watch->queued(inst->watch_priv, h->key,
			    inst->node, h->host, h->queued, &iv);
		}
		free(h->host);
	}
	free(url);
	inst->nih = 0;
}

static void
sink(void *priv, const struct event_rec *ev)
{
	struct instance *inst;

	CAST_OBJ_NOTNULL(inst, priv, INSTANCE_MAGIC);
	if (inst->watch != NULL &&
	    (ev->type == EV_PURGE || ev->type == EV_BAN ||
	        ev->type == EV_TAGS)) {
		/* lost() counts each host's share as it goes. */
		inst->inval = ev;
		index_apply_event(inst->apply, ev);
		inst->inval = NULL;
		inval_told(inst, ev);
	} else {
		index_apply_event(inst->apply, ev);
	}
	wv_event(inst->verify, ev);
	if (inst->tap != NULL)
		inst->tap(inst->tap_priv, ev);
}

/*
 * varnishd's child (or varnishd) restarted with an empty cache: what the
 * index holds is no longer there, and re-warming or refreshing it on
 * the index's word would be wrong.  Forget it all; the new child's log
 * teaches it again.
 */
static void
restarted(void *priv)
{
	struct instance *inst;
	size_t n;

	CAST_OBJ_NOTNULL(inst, priv, INSTANCE_MAGIC);
	n = ci_clear(index_apply_index(inst->apply));
	inst->resets++;
	log_notice(inst->who,
	    "varnishd's cache restarted empty: %zu objects "
	    "forgotten, learning again from its log",
	    n);
}

struct refresh_scan {
	unsigned magic;
#define REFRESH_SCAN_MAGIC 0x36887b8c
	struct instance *inst;
	struct cache_index *ci;
	double now;
};

/* Popular, and fresh for less than refresh_before: fetch it again now. */
static int
expiring_one(void *priv, struct ci_obj *o)
{
	struct refresh_scan *sc;
	struct instance *inst;
	struct ci_attrs a = ci_attrs(o);
	double end = a.t_origin + a.ttl, pop;
	uint64_t key = 0;

	CAST_OBJ_NOTNULL(sc, priv, REFRESH_SCAN_MAGIC);
	inst = sc->inst;
	if (end <= sc->now || end - sc->now > inst->refresh_before)
		return (0);
	pop = ci_popularity(sc->ci, o, sc->now);
	if (pop < inst->refresh_popularity)
		return (0);
	if (inst->watch != NULL)
		key = inst->watch->expiry_key(inst->watch_priv, inst->node,
		    ci_host(o));
	if (rewarm_object(inst->rewarm, ci_host(o), ci_url(o), ci_variant(o),
	        pop, sc->now, RW_EXPIRING, key) > 0 &&
	    inst->watch != NULL)
		inst->watch->queued(inst->watch_priv, key, inst->node,
		    ci_host(o), 1, NULL);
	return (0);
}

/*
 * Once a second: objects past ttl + grace + keep are gone from Varnish
 * too, and popular objects about to expire are refreshed, so that no
 * visitor meets a cold gap.  The scan walks the whole index (about
 * 20 ms for a million objects).
 */
static void
expire(evutil_socket_t fd, short what, void *priv)
{
	struct instance *inst;
	struct refresh_scan sc;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(inst, priv, INSTANCE_MAGIC);
	INIT_OBJ(&sc, REFRESH_SCAN_MAGIC);
	sc.inst = inst;
	sc.ci = index_apply_index(inst->apply);
	sc.now = VTIM_real();
	(void)ci_expire(sc.ci, sc.now);
	if (inst->rewarm != NULL && inst->refresh_before > 0)
		(void)ci_foreach(sc.ci, expiring_one, &sc);
}

static void
index_metrics(const struct instance *inst, struct metrics *m)
{
	const struct cache_index *ci = index_apply_index(inst->apply);
	const struct index_apply_stats *st = index_apply_stats(inst->apply);
	const char *n = inst->name;

	metrics_u64(m, M_INDEX_OBJECTS, ci_count(ci), "instance", n, NULL);
	metrics_u64(m, M_INDEX_BYTES, ci_bytes(ci), "instance", n, NULL);
	metrics_u64(m, M_INDEX_KEY_BYTES, ci_key_bytes(ci), "instance", n,
	    NULL);
	metrics_u64(m, M_INDEX_TAGS, ci_ntags_distinct(ci), "instance", n,
	    NULL);
	metrics_u64(m, M_INDEX_EVICTIONS, ci_evictions(ci), "instance", n,
	    NULL);
	metrics_u64(m, M_INDEX_NUKED, ci_nuked(ci), "instance", n, NULL);
	metrics_u64(m, M_INDEX_EXPIRATIONS, ci_expirations(ci), "instance", n,
	    NULL);
	metrics_u64(m, M_INDEX_RESETS, inst->resets, "instance", n, NULL);
	metrics_u64(m, M_INDEX_INVALIDATED, st->removed, "instance", n, "how",
	    "hard", NULL);
	metrics_u64(m, M_INDEX_INVALIDATED, st->staled, "instance", n, "how",
	    "soft", NULL);
	metrics_u64(m, M_INDEX_LEARNED, st->learned_from_hits, "instance", n,
	    NULL);
	metrics_u64(m, M_BAN_ERRORS, st->ban_errors, "instance", n, NULL);
}

static const char *
dims_of(void *priv)
{
	const struct instance *inst;

	CAST_OBJ_NOTNULL(inst, priv, INSTANCE_MAGIC);
	if (inst->dims != NULL)
		return (inst->dims);
	return (observer_dims(inst->observer));
}

/* index → warm queue: what was lost is fetched again. */
static void
lost(void *priv, const char *host, const char *url, const char *variant,
    double popularity, double now)
{
	struct instance *inst;

	CAST_OBJ_NOTNULL(inst, priv, INSTANCE_MAGIC);
	struct inval_host *h = NULL;
	uint64_t key = 0;

	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	if (inst->inval != NULL) {
		h = inval_host(inst, host);
		h->dropped++;
		key = h->key;
	}
	if (rewarm_object(inst->rewarm, host, url, variant, popularity, now,
	        RW_INVALIDATED, key) > 0 &&
	    h != NULL)
		h->queued++;
}

/*
 * The index says it is cached and fresh.  Asked only after the loss was
 * applied: what a hard invalidation dropped is in the index again only
 * if fetched again, what a soft one staled is fresh again only then.
 * (The index's fetch times are whole seconds, as Varnish logs them: too
 * coarse to compare with the loss.)
 */
static int
recached(void *priv, const char *host, const char *url, const char *variant)
{
	struct instance *inst;
	struct ci_obj *o;
	struct ci_attrs a;

	CAST_OBJ_NOTNULL(inst, priv, INSTANCE_MAGIC);
	o = ci_get(index_apply_index(inst->apply), host, url, variant);
	if (o == NULL)
		return (0);
	a = ci_attrs(o);
	return (a.t_origin + a.ttl > VTIM_real());
}

static void
rewarm_metrics(const struct instance *inst, struct metrics *m)
{
	const struct rewarm_stats *st;
	const char *n = inst->name;
	double p50, p99, max;
	unsigned nlat;

	if (inst->rewarm == NULL)
		return;
	st = rewarm_stats(inst->rewarm);
	metrics_u64(m, M_REWARM_QUEUED, st->queued, "instance", n, NULL);
	metrics_u64(m, M_REWARM_EXPIRING, st->expiring, "instance", n, NULL);
	metrics_u64(m, M_REWARM_DUPLICATES, st->duplicates, "instance", n,
	    NULL);
	metrics_u64(m, M_REWARM_DROPPED, st->dropped, "instance", n, NULL);
	metrics_u64(m, M_REWARM_UNREPLAYABLE, st->unreplayable, "instance", n,
	    NULL);
	metrics_u64(m, M_REWARM_REFRESHED, st->refreshed, "instance", n, NULL);
	metrics_u64(m, M_REWARM_NOT_WARM, st->not_warm, "instance", n, NULL);
	metrics_u64(m, M_REWARM_RECACHED, st->recached, "instance", n, NULL);
	metrics_u64(m, M_REWARM_FAILED, st->failed, "instance", n, NULL);
	metrics_u64(m, M_REWARM_UNCACHEABLE, st->uncacheable, "instance", n,
	    NULL);
	metrics_u64(m, M_REWARM_UNVERIFIED, st->unverified, "instance", n,
	    NULL);
	metrics_u64(m, M_REWARM_QUEUE_LENGTH, rewarm_queue_length(inst->rewarm),
	    "instance", n, NULL);
	metrics_u64(m, M_REWARM_INFLIGHT, rewarm_inflight(inst->rewarm),
	    "instance", n, NULL);
	nlat = rewarm_latency(inst->rewarm, &p50, &p99, &max);
	if (nlat == 0)
		return;
	metrics_dbl(m, M_REWARM_LATENCY, p50, "instance", n, "quantile", "0.5",
	    NULL);
	metrics_dbl(m, M_REWARM_LATENCY, p99, "instance", n, "quantile", "0.99",
	    NULL);
	metrics_dbl(m, M_REWARM_LATENCY, max, "instance", n, "quantile", "1",
	    NULL);
	metrics_sfx_u64(m, M_REWARM_LATENCY, "_count", nlat, "instance", n,
	    NULL);
}

/* The instance's samples: its log, index, re-warming and their checks. */
void
instance_metrics(void *priv, struct metrics *m)
{
	const struct instance *inst;
	const struct vsl_reader_stats *rs;
	const struct observer_stats *os;
	const struct wv_stats *vs;
	const char *n;
	unsigned t;

	CAST_OBJ_NOTNULL(inst, priv, INSTANCE_MAGIC);
	n = inst->name;
	rs = vsl_reader_stats(inst->reader);
	os = observer_stats(inst->observer);
	vs = wv_stats(inst->verify);
	metrics_u64(m, M_VSL_ATTACHED, rs->attached, "instance", n, NULL);
	metrics_u64(m, M_VSL_GROUPS, rs->groups, "instance", n, NULL);
	metrics_u64(m, M_VSL_TRANSACTIONS, os->txns, "instance", n, NULL);
	metrics_u64(m, M_VSL_OVERRUNS, rs->overruns, "instance", n, NULL);
	metrics_u64(m, M_VSL_ABANDONS, rs->abandons, "instance", n, NULL);
	metrics_u64(m, M_VSL_RECONNECTS, rs->reconnects, "instance", n, NULL);
	metrics_u64(m, M_VSL_WAKES, rs->wakes, "instance", n, NULL);
	metrics_u64(m, M_VSL_TXN_DROPPED, os->txns_dropped, "instance", n,
	    NULL);
	metrics_u64(m, M_VSL_INCOMPLETE, rs->incomplete, "instance", n, NULL);
	metrics_u64(m, M_VSL_ORPHANS, rs->orphans, "instance", n, NULL);
	metrics_u64(m, M_VSL_TRUNCATED, rs->dropped_strings, "instance", n,
	    NULL);
	metrics_u64(m, M_RECORDS_BAD, os->bad_records, "instance", n, NULL);
	for (t = 0; t < EV__MAX; t++)
		metrics_u64(m, M_EVENTS, os->events[t], "instance", n, "type",
		    ev_type_name[t], NULL);
	index_metrics(inst, m);
	rewarm_metrics(inst, m);
	metrics_u64(m, M_VERIFY_MATCHED, vs->matched, "instance", n, NULL);
	metrics_u64(m, M_VERIFY_UNMATCHED, vs->unmatched, "instance", n, NULL);
}

/*
 * What came of an object re-warmed: one queued by instance_warm() goes
 * back to its caller, the others to the watcher.
 */
static void
instance_result(void *priv, const struct rewarm_result *rr)
{
	struct rewarm_result r;
	struct instance *inst;

	CAST_OBJ_NOTNULL(inst, priv, INSTANCE_MAGIC);
	AN(rr);
	if (rr->key & INSTANCE_KEY_WARM) {
		if (inst->task_result == NULL)
			return;
		r = *rr;
		r.key &= ~INSTANCE_KEY_WARM;
		inst->task_result(inst->task_priv, &r);
	} else if (inst->watch != NULL && inst->watch->result != NULL) {
		inst->watch->result(inst->watch_priv, rr);
	}
}

struct instance *
instance_new(struct event_base *eb, const char *name, size_t index_bytes,
    const struct rewarm_conf *rc)
{
	struct timeval tv = { 1, 0 };
	struct instance *inst;

	inst = calloc(1, sizeof *inst);
	AN(inst);
	inst->magic = INSTANCE_MAGIC;
	inst->name = strdup(name != NULL ? name : "default");
	AN(inst->name);
	inst->who = str_printf("node %s", inst->name);
	/* Popularity halves every hour without visitors. */
	inst->apply = index_apply_new(index_bytes, 3600.0);
	inst->verify = wv_new(eb, 0);
	inst->observer = observer_new(sink, inst);
	if (rc != NULL) {
		inst->node = strdup(rc->node);
		AN(inst->node);
		if (inst->node[0] != '\0' &&
		    inst->node[strlen(inst->node) - 1] == '/')
			inst->node[strlen(inst->node) - 1] = '\0';
		inst->rewarm = rewarm_new(eb, rc, dims_of, inst);
		rewarm_set_verify(inst->rewarm, inst->verify);
		rewarm_set_results(inst->rewarm, instance_result, inst);
		rewarm_set_recached(inst->rewarm, recached, inst);
		inst->refresh_before = rc->refresh_before;
		inst->refresh_popularity = rc->refresh_popularity;
		index_apply_on_lost(inst->apply, lost, inst);
	}
	inst->reader = vsl_reader_new(eb, name, observer_group, inst->observer);
	vsl_reader_on_restart(inst->reader, restarted, inst);
	inst->expiry = event_new(eb, -1, EV_PERSIST, expire, inst);
	AN(inst->expiry);
	AZ(event_add(inst->expiry, &tv));
	return (inst);
}

void
instance_free(struct instance **ip)
{
	struct instance *inst;

	AN(ip);
	inst = *ip;
	*ip = NULL;
	if (inst == NULL)
		return;
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	event_free(inst->expiry);
	vsl_reader_free(&inst->reader);
	rewarm_free(&inst->rewarm);
	wv_free(&inst->verify);
	observer_free(&inst->observer);
	index_apply_free(&inst->apply);
	/* Shares live while one invalidation is applied, no longer. */
	AZ(inst->ihx);
	AZ(inst->nih);
	free(inst->ih);
	free(inst->node);
	free(inst->name);
	free(inst->who);
	free(inst->dims);
	inst->magic = 0;
	free(inst);
}

const char *
instance_name(const struct instance *inst)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	return (inst->name);
}

void
instance_wake(struct instance *inst)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	vsl_reader_wake(inst->reader);
}

int
instance_attached(const struct instance *inst)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	return (vsl_reader_stats(inst->reader)->attached != 0);
}

const char *
instance_dims(const struct instance *inst)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	return (observer_dims(inst->observer));
}

struct index_apply *
instance_apply(const struct instance *inst)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	return (inst->apply);
}

struct warm_verify *
instance_verify(const struct instance *inst)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	return (inst->verify);
}

void
instance_set_dims(struct instance *inst, const char *dims)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	free(inst->dims);
	inst->dims = NULL;
	if (dims != NULL) {
		inst->dims = strdup(dims);
		AN(inst->dims);
	}
}

void
instance_set_tap(struct instance *inst, ev_sink_f *tap, void *priv)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	inst->tap = tap;
	inst->tap_priv = priv;
}

void
instance_set_watch(struct instance *inst, const struct instance_watch *w,
    void *priv)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	AN(w);
	AN(w->key);
	AN(w->expiry_key);
	AN(w->queued);
	if (inst->rewarm == NULL)
		return;
	inst->watch = w;
	inst->watch_priv = priv;
}

int
instance_warm(struct instance *inst, const char *host, const char *path,
    const char *variant, double priority, uint64_t key)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	AN(host);
	AN(path);
	AZ(key & ~(INSTANCE_KEY_WARM - 1));
	if (inst->rewarm == NULL)
		return (-1);
	return (rewarm_object(inst->rewarm, host, path,
	    variant != NULL ? variant : "", priority, VTIM_real(),
	    RW_INVALIDATED, key | INSTANCE_KEY_WARM));
}

void
instance_set_warm_results(struct instance *inst, rewarm_result_f *fn,
    void *priv)
{
	CHECK_OBJ_NOTNULL(inst, INSTANCE_MAGIC);
	inst->task_result = fn;
	inst->task_priv = priv;
}
