/*
 * From a transaction group to events.  The client requests of a group
 * come first and carry the cache key (host, URL, variant); their backend
 * fetches are matched to them by parent vxid, since a fetch itself does
 * not know the variant it was made for.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vapi/vsl.h"
#include "vtim.h"

#include "proto/record_parse.h"
#include "observer.h"
#include "txn.h"
#include "vary_key.h"

#define OBS_MAX_TXN 64
#define OBS_ARENA (256 * 1024)

const char *const ev_type_name[EV__MAX] = {
	[EV_HIT] = "hit",
	[EV_MISS] = "miss",
	[EV_PASS] = "pass",
	[EV_SYNTH] = "synth",
	[EV_FETCH] = "fetch",
	[EV_PURGE] = "purge",
	[EV_BAN] = "ban",
	[EV_TAGS] = "tags",
	[EV_ESI] = "esi",
	[EV_WARM] = "warm",
	[EV_NUKE] = "nuke",
};

struct observer {
	unsigned magic;
#define OBSERVER_MAGIC 0x0b5e47e1
	ev_sink_f *sink;
	void *priv;
	struct arena arena; /* what events are made of, for one group */
	const struct txn *const *txn; /* the group being turned to events */
	unsigned ntxn;
	char *dims;
	struct observer_stats stats;
};

static void
emit(struct observer *o, struct event_rec *ev)
{
	o->stats.events[ev->type]++;
	o->sink(o->priv, ev);
}

static const char *
decode(struct observer *o, const char *v, size_t vlen)
{
	struct arena *a = &o->arena;
	ssize_t n;

	if (v == NULL)
		return (NULL);
	if (a->used + vlen + 1 > a->size) {
		a->overflows++;
		return (NULL);
	}
	n = rec_decode(a->buf + a->used, vlen, v, vlen);
	if (n < 0) {
		o->stats.bad_records++;
		return (NULL);
	}
	a->buf[a->used + (size_t)n] = '\0';
	v = a->buf + a->used;
	a->used += (size_t)n + 1;
	return (v);
}

/* "name=value name=value" from a record's v.* fields, still encoded. */
static const char *
variant_of(struct observer *o, const struct rec_view *rv)
{
	struct arena *a = &o->arena;
	const struct rec_field *f;
	char *start = a->buf + a->used;
	size_t need;
	unsigned i, n = 0;

	for (i = 0; i < rv->nfield; i++) {
		f = &rv->field[i];
		if (f->klen < 3 || memcmp(f->key, "v.", 2) != 0)
			continue;
		need = (n > 0) + (f->klen - 2) + 1 + f->vlen;
		if (a->used + need + 1 > a->size) {
			a->overflows++;
			break;
		}
		if (n++ > 0)
			a->buf[a->used++] = ' ';
		memcpy(a->buf + a->used, f->key + 2, f->klen - 2);
		a->used += f->klen - 2;
		a->buf[a->used++] = '=';
		memcpy(a->buf + a->used, f->val, f->vlen);
		a->used += f->vlen;
	}
	if (a->used + 1 > a->size)
		return ("");
	a->buf[a->used++] = '\0';
	return (start);
}

static const struct txn *
find_txn(const struct observer *o, uint32_t vxid, unsigned bereq)
{
	unsigned i;

	for (i = 0; i < o->ntxn; i++)
		if (o->txn[i]->vxid == vxid && o->txn[i]->is_bereq == bereq)
			return (o->txn[i]);
	return (NULL);
}

/* The cache key of a client request; the variant from its record. */
static void
client_key(struct observer *o, const struct txn *t, struct obj_key *k)
{
	struct rec_view rv;
	unsigned i;

	k->host = t->host != NULL ? t->host : "";
	k->url = t->url != NULL ? t->url : "";
	k->variant = "";
	k->nhdr = t->nreqhdr;
	k->hdr_name = t->reqhdr_name;
	k->hdr_val = t->reqhdr_val;
	for (i = t->nrec; i-- > 0;) {
		if (rec_parse(t->rec[i], t->rec_len[i], &rv) == 0 &&
		    rec_event_is(&rv, "variant")) {
			k->variant = variant_of(o, &rv);
			break;
		}
	}
}

static long
count_of(const struct rec_view *rv)
{
	const char *v = rec_get(rv, "n", NULL);

	return (v != NULL ? strtol(v, NULL, 10) : -1);
}

static int
soft_of(const struct rec_view *rv)
{
	size_t l;
	const char *v = rec_get(rv, "how", &l);

	return (v != NULL && l == 4 && !memcmp(v, "soft", 4));
}

/* Keep the latest dims record: the fields as written, values encoded. */
static void
learn_dims(struct observer *o, const struct rec_view *rv)
{
	const char *b, *e;
	char *d;

	if (rv->nfield == 0 || rv->trunc)
		return;
	b = rv->field[0].key;
	e = rv->field[rv->nfield - 1].val + rv->field[rv->nfield - 1].vlen;
	if (o->dims != NULL && strlen(o->dims) == (size_t)(e - b) &&
	    !memcmp(o->dims, b, (size_t)(e - b)))
		return;
	d = strndup(b, (size_t)(e - b));
	AN(d);
	free(o->dims);
	o->dims = d;
}

static void
record_event(struct observer *o, const struct obj_key *key, uint32_t vxid,
    const struct rec_view *rv, double now, double t_logged)
{
	struct event_rec ev;
	const char *v;
	size_t l;

	memset(&ev, 0, sizeof ev);
	ev.now = now;
	ev.t_logged = t_logged;
	ev.key = *key;
	ev.vxid = vxid;
	if (rec_event_is(rv, "purge")) {
		ev.type = EV_PURGE;
		v = rec_get(rv, "host", &l);
		ev.key.host = v != NULL ? decode(o, v, l) : NULL;
		v = rec_get(rv, "url", &l);
		ev.key.url = v != NULL ? decode(o, v, l) : NULL;
		ev.key.variant = variant_of(o, rv);
		if (ev.key.host == NULL || ev.key.url == NULL || rv->trunc) {
			o->stats.bad_records++;
			return;
		}
		ev.u.purge.soft = soft_of(rv);
		ev.u.purge.count = count_of(rv);
	} else if (rec_event_is(rv, "ban")) {
		ev.type = EV_BAN;
		v = rec_get(rv, "expr", &l);
		ev.u.ban.expr = decode(o, v, l);
		if (ev.u.ban.expr == NULL || rv->trunc) {
			o->stats.bad_records++;
			return;
		}
	} else if (rec_event_is(rv, "tags")) {
		ev.type = EV_TAGS;
		v = rec_get(rv, "tags", &l);
		if (v == NULL) {
			o->stats.bad_records++;
			return;
		}
		ev.u.tags.tags = decode(o, v, l);
		ev.u.tags.soft = soft_of(rv);
		ev.u.tags.count = count_of(rv);
		if (ev.u.tags.tags == NULL)
			return;
	} else if (rec_event_is(rv, "dims")) {
		learn_dims(o, rv);
		return;
	} else if (rec_event_is(rv, "warm")) {
		ev.type = EV_WARM;
		v = rec_get(rv, "result", &l);
		ev.u.warm.result = v != NULL ? decode(o, v, l) : "";
		v = rec_get(rv, "id", &l);
		ev.u.warm.id = v != NULL ? decode(o, v, l) : "";
	} else {
		return;
	}
	emit(o, &ev);
}

static void
client_events(struct observer *o, const struct txn *t, double now)
{
	struct event_rec ev;
	const struct txn *parent;
	struct rec_view rv;
	unsigned i;

	memset(&ev, 0, sizeof ev);
	ev.now = now;
	ev.vxid = t->vxid;
	client_key(o, t, &ev.key);

	for (i = 0; i < t->nrec; i++) {
		if (rec_parse(t->rec[i], t->rec_len[i], &rv) != 0) {
			o->stats.bad_records++;
			continue;
		}
		record_event(o, &ev.key, t->vxid, &rv, now, t->t_resp);
	}

	switch (t->handling) {
	case TXN_HIT:
		if (!t->has_hit)
			break;
		ev.type = EV_HIT;
		ev.u.hit.obj_vxid = t->hit_vxid;
		ev.u.hit.ttl_left = t->hit_ttl;
		ev.u.hit.grace = t->hit_grace;
		ev.u.hit.keep = t->hit_keep;
		ev.u.hit.tags = t->tags;
		emit(o, &ev);
		break;
	case TXN_MISS:
		ev.type = EV_MISS;
		emit(o, &ev);
		break;
	case TXN_PASS:
		ev.type = EV_PASS;
		emit(o, &ev);
		break;
	case TXN_SYNTH:
		ev.type = EV_SYNTH;
		emit(o, &ev);
		break;
	default:
		break;
	}

	if (t->reason == TXN_R_ESI) {
		parent = find_txn(o, t->parent, 0);
		if (parent == NULL)
			return;
		memset(&ev.u, 0, sizeof ev.u);
		ev.type = EV_ESI;
		ev.u.esi.child = ev.key;
		client_key(o, parent, &ev.key);
		emit(o, &ev);
	}
}

/* The id of a verified warm request, from its "warm result=ok" record. */
static const char *
warm_id_of(struct observer *o, const struct txn *t)
{
	struct rec_view rv;
	const char *v;
	size_t l;
	unsigned i;

	for (i = 0; i < t->nrec; i++) {
		if (rec_parse(t->rec[i], t->rec_len[i], &rv) != 0 ||
		    !rec_event_is(&rv, "warm"))
			continue;
		v = rec_get(&rv, "result", &l);
		if (v == NULL || l != 2 || memcmp(v, "ok", 2) != 0)
			return (NULL);
		v = rec_get(&rv, "id", &l);
		return (v != NULL ? decode(o, v, l) : NULL);
	}
	return (NULL);
}

/*
 * The declared variant, and the headers the response varies on with the
 * backend request's values (what Varnish itself keys the object by).
 */
static const char *
with_vary(struct observer *o, const char *declared, const struct txn *b)
{
	struct arena *a = &o->arena;
	char *dst = a->buf + a->used;
	size_t room = a->size - a->used, dl = strlen(declared);
	int n;

	if (b->vary == NULL || room < dl + 2)
		return (declared);
	n = vary_key_build(dst + dl + 1, room - dl - 1, b->vary, b->reqhdr_name,
	    b->reqhdr_val, b->nreqhdr);
	if (n <= 0) {
		if (n < 0)
			o->stats.bad_records++;
		return (declared);
	}
	if (dl == 0) {
		memmove(dst, dst + 1, (size_t)n + 1);
	} else {
		memcpy(dst, declared, dl);
		dst[dl] = ' ';
	}
	a->used += strlen(dst) + 1;
	return (dst);
}

static void
fetch_event(struct observer *o, const struct txn *b, double now)
{
	struct event_rec ev;
	const struct txn *parent;

	/* A pass fetch stores nothing. */
	if (b->reason != TXN_R_FETCH && b->reason != TXN_R_BGFETCH)
		return;
	parent = find_txn(o, b->parent, 0);
	if (parent == NULL)
		return;
	memset(&ev, 0, sizeof ev);
	ev.type = EV_FETCH;
	ev.now = now;
	client_key(o, parent, &ev.key);
	ev.key.variant = with_vary(o, ev.key.variant, b);
	/* The key is complete: it names what the object varies on. */
	ev.key.nhdr = 0;
	ev.u.fetch.vxid = b->vxid;
	ev.u.fetch.status = (unsigned)b->status;
	ev.u.fetch.failed = b->fetch_failed;
	ev.u.fetch.cacheable = b->has_ttl && b->cacheable && !b->fetch_failed;
	ev.u.fetch.background = (b->reason == TXN_R_BGFETCH);
	ev.u.fetch.t_origin = b->t_origin;
	ev.u.fetch.ttl = b->ttl;
	ev.u.fetch.grace = b->grace;
	ev.u.fetch.keep = b->keep;
	ev.u.fetch.size = b->body_bytes;
	if (b->t_start > 0 && b->t_beresp >= b->t_start)
		ev.u.fetch.fetch_time = b->t_beresp - b->t_start;
	ev.u.fetch.tags = b->tags;
	ev.u.fetch.warm_id = warm_id_of(o, parent);
	ev.u.fetch.cache_control = b->cache_control;
	ev.u.fetch.set_cookie = b->set_cookie;
	ev.vxid = parent->vxid;
	ev.u.fetch.nhdr = b->nhdr;
	ev.u.fetch.hdr_name = b->hdr_name;
	ev.u.fetch.hdr_val = b->hdr_val;
	emit(o, &ev);
}

/* What Varnish evicted for the transaction's room. */
static void
nuke_events(struct observer *o, const struct txn *t, double now)
{
	struct event_rec ev;
	size_t i;

	memset(&ev, 0, sizeof ev);
	ev.type = EV_NUKE;
	ev.now = now;
	ev.vxid = t->vxid;
	for (i = 0; i < t->nnuke; i++) {
		ev.u.nuke.obj_vxid = t->nuke[i];
		emit(o, &ev);
	}
}

void
observer_group(void *priv, const struct txn *const txn[], unsigned n)
{
	struct observer *o;
	double now;
	unsigned i;

	CAST_OBJ_NOTNULL(o, priv, OBSERVER_MAGIC);
	AN(txn);
	arena_reset(&o->arena);
	if (n > OBS_MAX_TXN) {
		o->stats.txns_dropped += n - OBS_MAX_TXN;
		n = OBS_MAX_TXN;
	}
	for (i = 0; i < n; i++)
		CHECK_OBJ_NOTNULL(txn[i], TXN_MAGIC);
	o->txn = txn;
	o->ntxn = n;
	o->stats.txns += n;
	now = VTIM_real();
	/*
	 * What was nuked is gone before what made room for it is in.
	 * Fetches next: a page and its fragments must be known before
	 * the ESI links between them arrive.
	 */
	for (i = 0; i < n; i++)
		if (txn[i]->nnuke > 0)
			nuke_events(o, txn[i], now);
	for (i = 0; i < n; i++)
		if (txn[i]->is_bereq)
			fetch_event(o, txn[i], now);
	for (i = 0; i < n; i++)
		if (!txn[i]->is_bereq)
			client_events(o, txn[i], now);
	o->txn = NULL;
	o->ntxn = 0;
	o->stats.arena_overflows = o->arena.overflows;
}

struct observer *
observer_new(ev_sink_f *sink, void *priv)
{
	struct observer *o;

	AN(sink);
	o = calloc(1, sizeof *o);
	AN(o);
	o->magic = OBSERVER_MAGIC;
	o->sink = sink;
	o->priv = priv;
	arena_init(&o->arena, OBS_ARENA, 0);
	return (o);
}

void
observer_free(struct observer **op)
{
	struct observer *o;

	AN(op);
	o = *op;
	*op = NULL;
	if (o == NULL)
		return;
	CHECK_OBJ_NOTNULL(o, OBSERVER_MAGIC);
	free(o->dims);
	arena_fini(&o->arena);
	o->magic = 0;
	free(o);
}

const char *
observer_dims(const struct observer *o)
{
	CHECK_OBJ_NOTNULL(o, OBSERVER_MAGIC);
	return (o->dims);
}

const struct observer_stats *
observer_stats(const struct observer *o)
{
	CHECK_OBJ_NOTNULL(o, OBSERVER_MAGIC);
	return (&o->stats);
}
