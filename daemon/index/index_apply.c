/*
 * Events → index: keep one instance's cache index true to what its
 * varnishd holds, and journal what each invalidation dropped.
 *
 * Hard invalidations (purge, ban, xkey purge) remove objects; soft ones
 * (soft purge, xkey softpurge) leave them stale, since Varnish keeps
 * delivering them in grace until they are fetched again.
 */

#include "config.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "proto/tag_list.h"
#include "vsl/vary_key.h"
#include "ban_expr.h"
#include "cache_index.h"
#include "index_apply.h"
#include "journal.h"

#define MAX_TAGS 256

struct index_apply {
	unsigned magic;
#define INDEX_APPLY_MAGIC 0x41b7c90e
	struct cache_index *ci;
	struct journal *journal;
	index_lost_f *lost;
	void *lost_priv;
	struct index_apply_stats stats;
};

/* An invalidation in progress: what to do to each object it selects. */
struct inval {
	unsigned magic;
#define INVAL_MAGIC 0x701a363c
	struct index_apply *ia;
	struct journal_entry *je;
	unsigned soft;
	double now;
	const char *variant; /* purge: the key dimensions to match */
	double t_lost; /* when Varnish answered the invalidation */
	struct ban_expr *ban;
};

/*
 * Does the object's variant hold every "name=value" of sub?  Both are
 * space-separated, values encoded, so tokens compare as bytes.
 */
static int
variant_contains(const char *var, const char *sub)
{
	const char *s = sub, *e, *v, *ve;
	size_t len;
	int found;

	while (*s != '\0') {
		e = strchr(s, ' ');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		found = 0;
		for (v = var; *v != '\0' && !found; v = *ve ? ve + 1 : ve) {
			ve = strchr(v, ' ');
			if (ve == NULL)
				ve = v + strlen(v);
			found = ((size_t)(ve - v) == len && !memcmp(v, s, len));
		}
		if (!found)
			return (0);
		s = e != NULL ? e + 1 : s + len;
	}
	return (1);
}

/* Drop or stale one selected object; safe inside a ci_foreach*(). */
static void
invalidate(struct inval *iv, struct ci_obj *o)
{
	CHECK_OBJ_NOTNULL(iv, INVAL_MAGIC);
	journal_drop(iv->je, ci_host(o), ci_url(o), ci_variant(o));
	if (iv->ia->lost != NULL)
		iv->ia->lost(iv->ia->lost_priv, ci_host(o), ci_url(o),
		    ci_variant(o), ci_popularity(iv->ia->ci, o, iv->now),
		    iv->t_lost);
	if (iv->soft) {
		ci_make_stale(iv->ia->ci, o, iv->now);
		iv->ia->stats.staled++;
	} else {
		ci_remove(iv->ia->ci, o);
		iv->ia->stats.removed++;
	}
}

static int
purge_one(void *priv, struct ci_obj *o)
{
	struct inval *iv;

	CAST_OBJ_NOTNULL(iv, priv, INVAL_MAGIC);
	if (variant_contains(ci_variant(o), iv->variant))
		invalidate(iv, o);
	return (0);
}

static int
tag_one(void *priv, struct ci_obj *o)
{
	struct inval *iv;

	CAST_OBJ_NOTNULL(iv, priv, INVAL_MAGIC);
	invalidate(iv, o);
	return (0);
}

static const char *
req_hdr(const void *priv, const char *name)
{
	const struct ci_obj *o = priv;

	/* The index knows the request's host and nothing else of it. */
	return (strcasecmp(name, "host") == 0 ? ci_host(o) : NULL);
}

static const char *
obj_hdr(const void *priv, const char *name)
{
	return (ci_hdr(priv, name));
}

static int
ban_one(void *priv, struct ci_obj *o)
{
	struct inval *iv;
	struct ci_attrs a = ci_attrs(o);
	struct ban_subject s;

	CAST_OBJ_NOTNULL(iv, priv, INVAL_MAGIC);
	s.req_url = ci_url(o);
	s.req_hdr = req_hdr;
	s.obj_hdr = obj_hdr;
	s.priv = o;
	s.obj_status = a.status;
	s.t_origin = a.t_origin;
	s.ttl = a.ttl;
	s.grace = a.grace;
	s.keep = a.keep;
	if (ban_expr_match(iv->ban, &s, iv->now))
		invalidate(iv, o);
	return (0);
}

/* Looking for the object a request gets, Vary and all. */
struct vary_probe {
	unsigned magic;
#define VARY_PROBE_MAGIC 0xedfe02cc
	struct index_apply *ia;
	const struct obj_key *key;
	struct ci_obj *found;
};

static int
probe_one(void *priv, struct ci_obj *o)
{
	struct vary_probe *vp;
	const char *var = ci_variant(o), *vk = vary_key_of(var);
	size_t dl;
	char key[1024], tail[768];

	CAST_OBJ_NOTNULL(vp, priv, VARY_PROBE_MAGIC);
	dl = strlen(vp->key->variant);
	/* Same declared part, then the vary tokens. */
	if (*vk == '\0' || (size_t)(vk - var) != (dl > 0 ? dl + 1 : 0) ||
	    strncmp(var, vp->key->variant, dl) != 0)
		return (0);
	if (vary_key_like(tail, sizeof tail, var, vp->key->hdr_name,
	        vp->key->hdr_val, vp->key->nhdr) <= 0)
		return (0);
	if (snprintf(key, sizeof key, "%s%s%s", vp->key->variant,
	        dl > 0 ? " " : "", tail) >= (int)sizeof key)
		return (0);
	vp->found = ci_get(vp->ia->ci, vp->key->host, vp->key->url, key);
	return (vp->found != NULL);
}

/*
 * The object a client request maps to.  Its declared variant is known;
 * what the object varies on (Vary) is learned from a variant of the
 * same URL already indexed, and the request's own values complete the
 * key, as Varnish matches Vary.
 */
static struct ci_obj *
find_obj(struct index_apply *ia, const struct obj_key *k)
{
	struct vary_probe vp;
	struct ci_obj *o;

	o = ci_get(ia->ci, k->host, k->url, k->variant);
	if (o != NULL || k->nhdr == 0)
		return (o);
	INIT_OBJ(&vp, VARY_PROBE_MAGIC);
	vp.ia = ia;
	vp.key = k;
	vp.found = NULL;
	(void)ci_foreach_url(ia->ci, k->host, k->url, probe_one, &vp);
	return (vp.found);
}

/*
 * Split tag headers as sent into tags[], at most MAX_TAGS.  The strings
 * point into the copy returned, which the caller frees; NULL when there
 * are none.
 */
static char *
split_tags(const char *list, const char *tags[MAX_TAGS], unsigned *ntags)
{
	const char *p, *t;
	char *buf, *end;
	size_t len;
	int more;

	*ntags = 0;
	if (list == NULL)
		return (NULL);
	/* Split a copy: the event's strings are not ours. */
	buf = strdup(list);
	AN(buf);
	p = buf;
	while (*ntags < MAX_TAGS && (t = tag_list_next(&p, &len)) != NULL) {
		end = buf + (t - buf) + len;
		more = (*end != '\0');
		*end = '\0';
		tags[(*ntags)++] = t;
		/* p stopped on the separator just cut: step over it. */
		if (more)
			p = end + 1;
	}
	return (buf);
}

static void
on_fetch(struct index_apply *ia, const struct event_rec *ev)
{
	const struct ev_fetch *f = &ev->u.fetch;
	const char *tags[MAX_TAGS], *hdrs[2 * 8 + 1];
	char *tagbuf;
	struct ci_attrs a;
	struct ci_obj *o;
	unsigned ntags, i;

	if (!f->cacheable) {
		/* Nothing of this key is cached after an uncacheable fetch. */
		o = ci_get(ia->ci, ev->key.host, ev->key.url, ev->key.variant);
		if (o != NULL)
			ci_remove(ia->ci, o);
		return;
	}
	memset(&a, 0, sizeof a);
	a.t_origin = f->t_origin;
	a.ttl = f->ttl;
	a.grace = f->grace;
	a.keep = f->keep;
	a.size = f->size;
	a.status = f->status;
	a.vxid = f->vxid;
	tagbuf = split_tags(f->tags, tags, &ntags);
	for (i = 0; i < f->nhdr && i < 8; i++) {
		hdrs[2 * i] = f->hdr_name[i];
		hdrs[2 * i + 1] = f->hdr_val[i] != NULL ? f->hdr_val[i] : "";
	}
	hdrs[2 * i] = NULL;
	(void)ci_put(ia->ci, ev->key.host, ev->key.url, ev->key.variant, &a,
	    tags, ntags, hdrs, ev->now);
	free(tagbuf);
}

static void
on_hit(struct index_apply *ia, const struct event_rec *ev)
{
	const char *tags[MAX_TAGS];
	char *tagbuf;
	struct ci_attrs a;
	struct ci_obj *o;
	unsigned ntags;

	o = find_obj(ia, &ev->key);
	if (o == NULL) {
		/*
		 * Cached before stoked came (or before it restarted): learn
		 * it from the hit, with the tags the object's headers carry.
		 */
		memset(&a, 0, sizeof a);
		a.t_origin = ev->now;
		a.ttl = ev->u.hit.ttl_left;
		a.grace = ev->u.hit.grace;
		a.keep = ev->u.hit.keep;
		a.vxid = ev->u.hit.obj_vxid;
		a.status = 200;
		tagbuf = split_tags(ev->u.hit.tags, tags, &ntags);
		o = ci_put(ia->ci, ev->key.host, ev->key.url, ev->key.variant,
		    &a, tags, ntags, NULL, ev->now);
		free(tagbuf);
		ia->stats.learned_from_hits++;
	}
	if (o != NULL)
		ci_hit(ia->ci, o, ev->now);
}

static void
on_purge(struct index_apply *ia, const struct event_rec *ev)
{
	struct inval iv;

	INIT_OBJ(&iv, INVAL_MAGIC);
	iv.ia = ia;
	iv.now = ev->now;
	iv.t_lost = ev->t_logged > 0 ? ev->t_logged : ev->now;
	iv.soft = ev->u.purge.soft;
	iv.variant = ev->key.variant != NULL ? ev->key.variant : "";
	iv.je = journal_begin(ia->journal, ev->now, "purge", ev->key.url,
	    iv.soft ? "soft" : "hard");
	(void)ci_foreach_url(ia->ci, ev->key.host, ev->key.url, purge_one, &iv);
}

static void
on_ban(struct index_apply *ia, const struct event_rec *ev)
{
	char err[256];
	struct inval iv;

	INIT_OBJ(&iv, INVAL_MAGIC);
	iv.ia = ia;
	iv.now = ev->now;
	iv.t_lost = ev->t_logged > 0 ? ev->t_logged : ev->now;
	iv.je =
	    journal_begin(ia->journal, ev->now, "ban", ev->u.ban.expr, "hard");
	if (ban_expr_compile(ev->u.ban.expr, &iv.ban, err, sizeof err) != 0) {
		/* varnishd accepted it, so this is ours to fix: say so. */
		journal_error(iv.je, err);
		ia->stats.ban_errors++;
		return;
	}
	(void)ci_foreach(ia->ci, ban_one, &iv);
	ia->stats.ban_match_errors += ban_expr_match_errors(iv.ban);
	ban_expr_free(&iv.ban);
}

static void
on_tags(struct index_apply *ia, const struct event_rec *ev)
{
	char *list, *tag, *save = NULL;
	struct inval iv;

	INIT_OBJ(&iv, INVAL_MAGIC);
	iv.ia = ia;
	iv.now = ev->now;
	iv.t_lost = ev->t_logged > 0 ? ev->t_logged : ev->now;
	iv.soft = ev->u.tags.soft;
	iv.je = journal_begin(ia->journal, ev->now, "tags", ev->u.tags.tags,
	    iv.soft ? "soft" : "hard");
	list = strdup(ev->u.tags.tags);
	AN(list);
	for (tag = strtok_r(list, ",", &save); tag != NULL;
	     tag = strtok_r(NULL, ",", &save))
		(void)ci_foreach_tag(ia->ci, tag, tag_one, &iv);
	free(list);
}

static void
on_esi(struct index_apply *ia, const struct event_rec *ev)
{
	struct ci_obj *parent, *child;

	parent = find_obj(ia, &ev->key);
	child = find_obj(ia, &ev->u.esi.child);
	if (parent != NULL && child != NULL)
		(void)ci_link_esi(ia->ci, parent, child);
}

/*
 * Evicted for space: gone without an invalidation, so nothing is
 * journaled or re-warmed (that would only evict something else).
 */
static void
on_nuke(struct index_apply *ia, const struct event_rec *ev)
{
	(void)ci_remove_vxid(ia->ci, ev->u.nuke.obj_vxid);
}

void
index_apply_event(void *priv, const struct event_rec *ev)
{
	struct index_apply *ia;

	CAST_OBJ_NOTNULL(ia, priv, INDEX_APPLY_MAGIC);
	AN(ev);
	switch (ev->type) {
	case EV_FETCH:
		on_fetch(ia, ev);
		break;
	case EV_HIT:
		on_hit(ia, ev);
		break;
	case EV_PURGE:
		on_purge(ia, ev);
		break;
	case EV_BAN:
		on_ban(ia, ev);
		break;
	case EV_TAGS:
		on_tags(ia, ev);
		break;
	case EV_ESI:
		on_esi(ia, ev);
		break;
	case EV_NUKE:
		on_nuke(ia, ev);
		break;
	default:
		break;
	}
}

struct index_apply *
index_apply_new(size_t max_bytes, double half_life)
{
	struct index_apply *ia;

	ia = calloc(1, sizeof *ia);
	AN(ia);
	ia->magic = INDEX_APPLY_MAGIC;
	ia->ci = ci_new(max_bytes, half_life);
	AN(ia->ci);
	ia->journal = journal_new();
	return (ia);
}

void
index_apply_free(struct index_apply **iap)
{
	struct index_apply *ia;

	AN(iap);
	ia = *iap;
	*iap = NULL;
	if (ia == NULL)
		return;
	CHECK_OBJ_NOTNULL(ia, INDEX_APPLY_MAGIC);
	ci_free(&ia->ci);
	journal_free(&ia->journal);
	ia->magic = 0;
	free(ia);
}

void
index_apply_on_lost(struct index_apply *ia, index_lost_f *fn, void *priv)
{
	CHECK_OBJ_NOTNULL(ia, INDEX_APPLY_MAGIC);
	ia->lost = fn;
	ia->lost_priv = priv;
}

struct cache_index *
index_apply_index(const struct index_apply *ia)
{
	CHECK_OBJ_NOTNULL(ia, INDEX_APPLY_MAGIC);
	return (ia->ci);
}

const struct journal *
index_apply_journal(const struct index_apply *ia)
{
	CHECK_OBJ_NOTNULL(ia, INDEX_APPLY_MAGIC);
	return (ia->journal);
}

const struct index_apply_stats *
index_apply_stats(const struct index_apply *ia)
{
	CHECK_OBJ_NOTNULL(ia, INDEX_APPLY_MAGIC);
	return (&ia->stats);
}
