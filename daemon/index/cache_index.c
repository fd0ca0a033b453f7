/*
 * cache_index: stoked's in-memory index of cached objects.  See
 * cache_index.h for the model; this is about how it is stored.
 *
 * Memory is the constraint (millions of objects, several tags each), so
 * the per-object parts are few and flat:
 *
 *  - struct ci_obj, one slot of a slab (cache_index_slab.c), named by a
 *    32-bit id everywhere the index refers to it: the attributes
 *    (ttl/grace/keep as float, like Varnish's struct exp), then the "ext"
 *    area: an array of struct ci_tref (tag id, our index in the tag's
 *    member array) and the headers packed as "name\0value\0...\0",
 *    then the key "host\0url\0variant\0".  The ext area gets whatever
 *    the slot rounds up by, so an update with a few more bytes of tags or
 *    headers may still fit; one that does not spills them to a separate
 *    allocation whose pointer the area then holds (the object cannot
 *    move: callers and ESI links point at it).
 *
 *  - The object table: open addressing with linear probing, one id and
 *    one 32-bit hash per slot, max load 7/8.  The hash covers host
 *    and URL but not the variant, so all variants of a URL sit in one
 *    probe run and ci_foreach_url() needs no extra links.  Deletion
 *    shifts entries back (no tombstones), which also keeps iteration
 *    safe when the callback removes the current object.  uthash (whose
 *    handle is 56 bytes per entry, plus a bucket array) would not fit
 *    the budget of 128 bytes per object; it is used for ESI links, which
 *    few objects have.
 *
 *  - Tags: interned in a table like the objects' one, one struct ci_tag
 *    per distinct tag holding its name and an array of member objects.  Objects refer
 *    to a tag by a 32-bit id (index in ci->tagv) and remember their
 *    position in its member array, so adding and removing a membership is
 *    O(1) and costs 8 bytes on the object side plus one id slot.
 *    A tag lives as long as it has members or an iteration holds it.
 *
 *  - ESI links: only a few objects have them, so they live in a side
 *    table (uthash keyed by the object pointer) of struct ci_esi, each
 *    with arrays of edges to children and to parents.  An edge remembers
 *    the index of its reverse edge, which makes unlinking O(1).
 *
 *  - Expiry: a binary min-heap of object ids on t_origin + ttl +
 *    grace + keep; each object knows its heap index, which is how an
 *    object finds its own id.
 *
 *  - Eviction: sampling, like Redis' approximated LFU: each round looks
 *    at CI_SAMPLES consecutive objects of the table from a random slot,
 *    keeps the least valuable of them in a pool of CI_POOL candidates,
 *    and evicts the pool's least valuable.  O(1) per eviction, nothing
 *    per hit.  With CI_SAMPLES objects or fewer it is exact.
 *
 *  - Objects by vxid, to forget what Varnish nuked: a table of ids made
 *    on the first nuke only (cache_index_vxid.c).
 *
 * Every allocation is counted in ci->bytes as glibc's malloc would size
 * its chunk, and every object as its slot, so ci_bytes() is what the
 * index really costs.  Free slots in partly used slab chunks are not
 * counted, as glibc's free chunks were not either.
 *
 * This file has the object table and the entry points; the slabs, the
 * expiry heap, tags, ESI links, eviction and the vxid table are in
 * cache_index_slab.c, _expiry.c, _tags.c, _esi.c, _evict.c and _vxid.c,
 * which share cache_index_priv.h.
 */

#include "config.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "cache_index_priv.h"

#define CI_MIN_SLOTS 16 /* power of two */
#define CI_NONE ((size_t)-1)
#define CI_NOTMP UINT32_MAX
#define CI_PREFETCH 16 /* slots ahead, in ci_foreach() */

/*--------------------------------------------------------------------
 * Accounting: the size of the chunk glibc's malloc carves for n bytes
 * (8 bytes of header, 16 byte granules, 32 minimum; page granules once
 * the request is big enough to be mmap()ed).
 */

static size_t
ci_uthash_bytes(const UT_hash_table *tbl)
{
	if (tbl == NULL)
		return (0);
	return (ci_msize(sizeof *tbl) +
	    ci_msize(tbl->num_buckets * sizeof(UT_hash_bucket)));
}

/* Grow or shrink an array, keeping ci->bytes right; -1 leaves it be. */
int
ci_realloc(struct cache_index *ci, void *pp, size_t oldsz, size_t newsz)
{
	void **p = pp;
	void *n;

	if (newsz == 0) {
		free(*p);
		*p = NULL;
	} else {
		n = realloc(*p, newsz);
		if (n == NULL)
			return (-1);
		*p = n;
	}
	ci->bytes -= ci_msize(oldsz);
	ci->bytes += ci_msize(newsz);
	return (0);
}

/*--------------------------------------------------------------------
 * Keys and small helpers
 */

/* Over host, a NUL, and the URL. */
static uint32_t
ci_hash(const char *host, const char *url)
{
	return (
	    ci_fmix(ci_fnv(ci_fnv(CI_FNV_BASIS, host) * CI_FNV_PRIME, url)));
}

static const char *
ci_next_str(const char *p)
{
	return (p + strlen(p) + 1);
}

static const char *
ci_key(const struct ci_obj *o)
{
	return ((const char *)o->data + o->ecap);
}

/* If o is (host, url), its variant, else NULL. */
static const char *
ci_match(const struct ci_obj *o, const char *host, const char *url)
{
	const char *p = ci_key(o);

	if (strcmp(p, host) != 0)
		return (NULL);
	p = ci_next_str(p);
	if (strcmp(p, url) != 0)
		return (NULL);
	return (ci_next_str(p));
}

static size_t
ci_key_len(const struct ci_obj *o)
{
	const char *k = ci_key(o), *p;

	p = ci_next_str(ci_next_str(ci_next_str(k)));
	return ((size_t)(p - k));
}

/* The ext area: in data[], or where data[] points if it spilled. */
static unsigned char *
ci_ext(const struct ci_obj *o)
{
	unsigned char *p;

	if (!(o->flags & CI_F_SPILL))
		return (TRUST_ME(o->data));
	memcpy(&p, o->data, sizeof p);
	return (p);
}

struct ci_tref *
ci_trefs(const struct ci_obj *o)
{
	return ((struct ci_tref *)(void *)ci_ext(o));
}

static const char *
ci_hdr_area(const struct ci_obj *o)
{
	return ((const char *)ci_ext(o) + o->ntags * sizeof(struct ci_tref));
}

/* Length of a packed header area, final NUL included. */
static size_t
ci_hdr_area_len(const char *a)
{
	const char *p = a;

	while (*p != '\0')
		p = ci_next_str(ci_next_str(p));
	return ((size_t)(p - a) + 1);
}

static size_t
ci_ext_len(const struct ci_obj *o)
{
	return (o->ntags * sizeof(struct ci_tref) +
	    ci_hdr_area_len(ci_hdr_area(o)));
}

/* Bytes of the spilled ext allocation, 0 if none. */
static size_t
ci_spill_size(const struct ci_obj *o)
{
	return ((o->flags & CI_F_SPILL) ? ci_msize(ci_ext_len(o)) : 0);
}

/* Header bytes we count as key bytes: none for a bare terminator. */
static size_t
ci_ext_key_bytes(const struct ci_obj *o)
{
	size_t l;

	l = ci_hdr_area_len(ci_hdr_area(o));
	return (l > 1 ? l : 0);
}

/*
 * Size of an object's slot for this much ext and key: give the ext area
 * the bytes the slot rounds up by anyway, and at least room for the
 * spill pointer.
 */
static size_t
ci_obj_alloc(size_t elen, size_t klen, size_t *ecap)
{
	size_t need, sz;

	if (elen < sizeof(void *))
		elen = sizeof(void *);
	need = offsetof(struct ci_obj, data) + elen + klen;
	sz = (need + 7) & ~(size_t)7;
	*ecap = elen + (sz - need);
	return (sz);
}

/* Packed length of name, value, ..., NULL; 0 for no headers. */
static size_t
ci_hdrs_len(const char *const *hdrs)
{
	size_t l = 0;

	if (hdrs == NULL)
		return (0);
	for (; hdrs[0] != NULL; hdrs += 2) {
		AN(hdrs[1]);
		if (hdrs[0][0] == '\0')
			continue; /* would end the list */
		l += strlen(hdrs[0]) + strlen(hdrs[1]) + 2;
	}
	return (l > 0 ? l + 1 : 0);
}

static void
ci_hdrs_pack(char *p, const char *const *hdrs)
{
	size_t l;

	for (; hdrs != NULL && hdrs[0] != NULL; hdrs += 2) {
		if (hdrs[0][0] == '\0')
			continue;
		l = strlen(hdrs[0]) + 1;
		memcpy(p, hdrs[0], l);
		p += l;
		l = strlen(hdrs[1]) + 1;
		memcpy(p, hdrs[1], l);
		p += l;
	}
	*p = '\0';
}

static void
ci_key_pack(char *p, const char *host, const char *url, const char *variant)
{
	size_t l;

	l = strlen(host) + 1;
	memcpy(p, host, l);
	p += l;
	l = strlen(url) + 1;
	memcpy(p, url, l);
	p += l;
	memcpy(p, variant, strlen(variant) + 1);
}

/*--------------------------------------------------------------------
 * Object table
 */

/*
 * The slots of the object and tag tables: open addressing with linear
 * probing on a power of two.
 */
void
ci_slots_insert(struct ci_slot *slot, size_t nslot, uint32_t h, uint32_t id)
{
	size_t i, mask = nslot - 1;

	AN(h);
	for (i = h & mask; slot[i].hv != 0; i = (i + 1) & mask)
		continue;
	slot[i].hv = h;
	slot[i].id = id;
}

/*
 * Backward-shift deletion: pull later entries of the probe run into the
 * hole unless that would put them before their home slot.  Entries only
 * ever move towards the hole and never across an empty slot, which is
 * what ci_foreach() and ci_foreach_url() rely on.
 */
void
ci_slots_delete(struct ci_slot *slot, size_t nslot, size_t i)
{
	size_t j, k, mask = nslot - 1;

	for (;;) {
		slot[i].hv = 0;
		slot[i].id = CI_NOID;
		j = i;
		for (;;) {
			j = (j + 1) & mask;
			if (slot[j].hv == 0)
				return;
			k = slot[j].hv & mask;
			/* Stays if its home k is cyclically in (i, j]. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		slot[i] = slot[j];
		i = j;
	}
}

static int
ci_tbl_resize(struct cache_index *ci, size_t nslot)
{
	struct ci_slot *slot;
	size_t i;

	assert(nslot >= CI_MIN_SLOTS && (nslot & (nslot - 1)) == 0);
	assert(ci->count < nslot);
	slot = calloc(nslot, sizeof *slot);
	if (slot == NULL)
		return (-1);
	for (i = 0; i < ci->nslot; i++)
		if (ci->slot[i].hv != 0)
			ci_slots_insert(slot, nslot, ci->slot[i].hv,
			    ci->slot[i].id);
	ci->bytes -= ci_msize(ci->nslot * sizeof *slot);
	ci->bytes += ci_msize(nslot * sizeof *slot);
	free(ci->slot);
	ci->slot = slot;
	ci->nslot = nslot;
	return (0);
}

/* Make room for one more object: keep the load at most 7/8. */
static int
ci_tbl_reserve(struct cache_index *ci)
{
	if (ci->count + 1 <= ci->nslot - ci->nslot / 8)
		return (0);
	return (ci_tbl_resize(ci, ci->nslot * 2));
}

/* Give memory back once the load is under 1/8; not while iterating. */
static void
ci_tbl_maybe_shrink(struct cache_index *ci)
{
	size_t n;

	if (ci->tbl_busy > 0 || ci->nslot <= CI_MIN_SLOTS ||
	    ci->count >= ci->nslot / 8)
		return;
	for (n = CI_MIN_SLOTS; n / 2 < ci->count; n *= 2)
		continue;
	(void)ci_tbl_resize(ci, n);
}

static struct ci_obj *
ci_tbl_find(const struct cache_index *ci, uint32_t h, const char *host,
    const char *url, const char *variant)
{
	const struct ci_slot *sl;
	struct ci_obj *o;
	const char *v;
	size_t i, mask = ci->nslot - 1;

	for (i = h & mask; (sl = &ci->slot[i])->hv != 0; i = (i + 1) & mask) {
		if (sl->hv != h)
			continue;
		o = ci_obj(ci, sl->id);
		v = ci_match(o, host, url);
		if (v != NULL && strcmp(v, variant) == 0)
			return (o);
	}
	return (NULL);
}

static size_t
ci_tbl_slot_of(const struct cache_index *ci, const struct ci_obj *o,
    uint32_t id)
{
	size_t i, mask = ci->nslot - 1;
	uint32_t h;

	h = ci_hash(ci_key(o), ci_next_str(ci_key(o)));
	for (i = h & mask; ci->slot[i].hv != 0; i = (i + 1) & mask)
		if (ci->slot[i].id == id)
			return (i);
	WRONG("object not in table");
	return (CI_NONE);
}

static void
ci_tbl_insert(struct cache_index *ci, uint32_t id, uint32_t h)
{
	ci_slots_insert(ci->slot, ci->nslot, h, id);
	ci->count++;
}

static void
ci_tbl_delete(struct cache_index *ci, size_t i)
{
	ci->count--;
	ci_slots_delete(ci->slot, ci->nslot, i);
}

/*--------------------------------------------------------------------
 * The index
 */

struct cache_index *
ci_new(size_t max_bytes, double half_life)
{
	struct cache_index *ci;

	ALLOC_OBJ(ci, CI_MAGIC);
	if (ci == NULL)
		return (NULL);
	ci->max_bytes = max_bytes;
	ci->half_life = half_life;
	ci->rnd = 0x9e3779b97f4a7c15ULL;
	ci->bytes = ci_msize(sizeof *ci);
	ci_slab_init(ci);
	if (ci_tbl_resize(ci, CI_MIN_SLOTS)) {
		FREE_OBJ(ci);
		return (NULL);
	}
	return (ci);
}

void
ci_free(struct cache_index **pci)
{
	struct cache_index *ci;
	struct ci_tag *t;
	struct ci_esi *r, *rr;
	struct ci_obj *o;
	size_t i;

	TAKE_OBJ_NOTNULL(ci, pci, CI_MAGIC);
	AZ(ci->tbl_busy);
	for (i = 0; i < ci->nslot; i++) {
		if (ci->slot[i].hv == 0)
			continue;
		o = ci_obj(ci, ci->slot[i].id);
		CHECK_OBJ(o, CI_OBJ_MAGIC);
		if (o->flags & CI_F_SPILL)
			free(ci_ext(o));
	}
	ci_slab_fini(ci);
	for (i = 0; i < ci->ntagv; i++) {
		if (ci->tagv[i] & 1)
			continue;
		t = ci_tagv(ci, (uint32_t)i);
		free(t->mem);
		FREE_OBJ(t);
	}
	free(ci->ttbl);
	HASH_ITER(hh, ci->esi, r, rr)
	{
		HASH_DEL(ci->esi, r);
		free(r->kid);
		free(r->par);
		FREE_OBJ(r);
	}
	free(ci->tagv);
	free(ci->heap);
	free(ci->slot);
	free(ci->vx);
	FREE_OBJ(ci);
}

void
ci_set_max_bytes(struct cache_index *ci, size_t max_bytes)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	ci->max_bytes = max_bytes;
}

/*
 * A NaN deadline would break the heap order, so no NaN, and no -inf
 * either (-inf + inf is NaN); out of float range the cast is undefined.
 */
static float
ci_float(double x)
{
	if (isnan(x))
		return (0.f);
	if (x > FLT_MAX)
		return (INFINITY);
	if (x < -FLT_MAX)
		return (-FLT_MAX);
	return ((float)x);
}

/* To the nearest 64th of a second, from 1970 to 2106. */
static void
ci_set_t_origin(struct ci_obj *o, double t)
{
	const uint64_t qmax = (uint64_t)UINT32_MAX << 6 | 63;
	uint64_t q;

	if (!(t > 0.))
		t = 0.;
	if (t > (double)qmax / 64.)
		t = (double)qmax / 64.;
	q = (uint64_t)(t * 64. + .5);
	o->t_sec = (uint32_t)(q >> 6);
	o->t_frac = q & 63;
}

/* The last hit is relative to t_origin: t_hit moves with it. */
static void
ci_set_attrs(struct ci_obj *o, const struct ci_attrs *a, double now,
    double t_hit)
{
	ci_set_t_origin(o, isfinite(a->t_origin) ? a->t_origin : now);
	o->ttl = ci_float(a->ttl);
	o->grace = ci_float(a->grace);
	o->keep = ci_float(a->keep);
	o->size = a->size > CI_SIZE_MAX ? CI_SIZE_MAX : a->size;
	o->status = a->status > CI_STATUS_MAX ? CI_STATUS_MAX : a->status;
	o->vxid = a->vxid;
	o->dt_hit = ci_float(t_hit - ci_t_origin(o));
}

/*
 * Install o's new ext area, built in buf (elen bytes), in place of the
 * old one: in data[] if it fits, else buf itself becomes the spill.
 */
static void
ci_ext_replace(struct cache_index *ci, struct ci_obj *o, unsigned char *buf,
    size_t elen, unsigned nt)
{
	unsigned char *spill = NULL;

	ci->bytes -= ci_spill_size(o);
	ci->key_bytes -= ci_ext_key_bytes(o);
	if (o->flags & CI_F_SPILL)
		spill = ci_ext(o);
	if (elen <= o->ecap) {
		memcpy(o->data, buf, elen);
		free(buf);
		o->flags &= ~CI_F_SPILL;
	} else {
		memcpy(o->data, &buf, sizeof buf);
		o->flags |= CI_F_SPILL;
	}
	free(spill);
	o->ntags = nt & 0xfff;
	ci->bytes += ci_spill_size(o);
	ci->key_bytes += ci_ext_key_bytes(o);
}

struct ci_obj *
ci_put(struct cache_index *ci, const char *host, const char *url,
    const char *variant, const struct ci_attrs *a, const char *const *tags,
    unsigned ntags, const char *const *hdrs, double now)
{
	struct ci_tag *tvbuf[32], **tv = tvbuf, *t;
	struct ci_tref *otr = NULL, *tr;
	struct ci_obj *o = NULL, *old;
	unsigned char *buf = NULL;
	size_t elen, klen = 0, sz = 0, ecap;
	uint64_t s_old, s_new;
	unsigned u, nt = 0;
	uint32_t h, id = CI_NOID;
	int err = ENOMEM;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AN(host);
	AN(url);
	AN(a);
	AZ(ci->tbl_busy);
	assert(ntags == 0 || tags != NULL);
	if (variant == NULL)
		variant = "";

	h = ci_hash(host, url);
	old = ci_tbl_find(ci, h, host, url, variant);

	if (ntags > 32) {
		tv = malloc(ntags * sizeof *tv);
		if (tv == NULL) {
			errno = ENOMEM;
			return (NULL);
		}
	}

	/*
	 * Prepare everything that can fail.  Marks tell the old tags (kept
	 * if named again, their tmp is the index in the old trefs) from new
	 * ones and catch duplicates.
	 */
	ci->serial += 2;
	s_old = ci->serial - 1;
	s_new = ci->serial;
	if (old != NULL) {
		otr = ci_trefs(old);
		for (u = 0; u < old->ntags; u++) {
			t = ci_tagv(ci, otr[u].id);
			t->mark = s_old;
			t->tmp = u;
		}
	}
	for (u = 0; u < ntags; u++) {
		AN(tags[u]);
		if (tags[u][0] == '\0')
			continue;
		t = ci_tag_intern(ci, tags[u]);
		if (t == NULL)
			goto fail;
		if (t->mark == s_new)
			continue;
		if (t->mark != s_old) {
			t->tmp = CI_NOTMP;
			if (ci_tag_reserve(ci, t))
				goto fail;
		}
		t->mark = s_new;
		tv[nt++] = t;
	}
	if (nt > CI_MAX_TAGS) {
		err = E2BIG;
		goto fail;
	}
	/* The ext area: trefs, then headers or at least their final NUL. */
	elen = nt * sizeof *tr + ci_hdrs_len(hdrs);
	if (elen == nt * sizeof *tr)
		elen++;
	if (elen + 7 > CI_ECAP_MAX) {
		err = E2BIG;
		goto fail;
	}
	if (old == NULL) {
		klen = strlen(host) + strlen(url) + strlen(variant) + 3;
		sz = ci_obj_alloc(elen, klen, &ecap);
		assert(ecap <= CI_ECAP_MAX);
		if (ci_tbl_reserve(ci) || ci_heap_reserve(ci) ||
		    ci_vx_reserve(ci))
			goto fail;
		o = ci_slab_alloc(ci, sz, &id);
		if (o == NULL)
			goto fail;
		memset(o, 0, offsetof(struct ci_obj, data));
		o->magic = CI_OBJ_MAGIC;
		o->ecap = ecap & CI_ECAP_MAX;
		ci_key_pack((char *)o->data + ecap, host, url, variant);
		o->score = 1.f;
		buf = o->data;
	} else {
		/* The old trefs are needed until the commit is done. */
		o = old;
		id = ci_id(ci, o);
		/* Its vxid's entry may be another's now: it takes one more. */
		if (ci_vx_reserve(ci))
			goto fail;
		buf = malloc(elen);
		if (buf == NULL)
			goto fail;
	}

	/* Commit: nothing fails from here on. */
	tr = (struct ci_tref *)(void *)buf;
	for (u = 0; u < nt; u++) {
		t = tv[u];
		tr[u].id = t->id;
		if (t->tmp != CI_NOTMP) {
			AN(otr);
			tr[u].pos = otr[t->tmp].pos;
		} else
			tr[u].pos = ci_tag_add(t, id);
	}
	ci_hdrs_pack((char *)(buf + nt * sizeof *tr), hdrs);
	if (old != NULL) {
		for (u = 0; u < old->ntags; u++) {
			t = ci_tagv(ci, otr[u].id);
			if (t->mark == s_old)
				ci_tag_del(ci, t, otr[u].pos);
		}
		ci_ext_replace(ci, o, buf, elen, nt);
		ci_vx_delete(ci, o, id);
		ci_set_attrs(o, a, now, ci_t_hit(o));
		ci_vx_insert(ci, o, id);
		ci_heap_fix(ci, o);
	} else {
		o->ntags = nt & 0xfff;
		ci_set_attrs(o, a, now, now);
		ci_vx_insert(ci, o, id);
		ci_tbl_insert(ci, id, h);
		ci_heap_insert(ci, o, id);
		ci->key_bytes += klen + ci_ext_key_bytes(o);
	}
	if (tv != tvbuf)
		free(tv);

	while (ci->max_bytes > 0 && ci_bytes(ci) > ci->max_bytes &&
	    ci_evict_one(ci, now, o))
		continue;
	return (o);

fail:
	/* Tags interned for us alone have no members: free them. */
	for (u = 0; u < ntags; u++) {
		if (tags[u] == NULL || tags[u][0] == '\0')
			continue;
		t = ci_tag_find(ci, tags[u]);
		if (t != NULL)
			ci_tag_maybe_free(ci, t);
	}
	if (old == NULL && o != NULL) {
		o->magic = 0;
		ci_slab_free(ci, id);
	} else if (old != NULL)
		free(buf);
	if (tv != tvbuf)
		free(tv);
	errno = err;
	return (NULL);
}

struct ci_obj *
ci_get(const struct cache_index *ci, const char *host, const char *url,
    const char *variant)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AN(host);
	AN(url);
	return (ci_tbl_find(ci, ci_hash(host, url), host, url,
	    variant == NULL ? "" : variant));
}

void
ci_hit(struct cache_index *ci, struct ci_obj *o, double now)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	/* A hit logged out of order adds, but does not rewind the clock. */
	o->score = ci_float(ci_decayed(ci, o, now) + 1.);
	if (now > ci_t_hit(o))
		o->dt_hit = ci_float(now - ci_t_origin(o));
	if (o->hits < CI_HITS_MAX)
		o->hits++;
}

void
ci_remove(struct cache_index *ci, struct ci_obj *o)
{
	struct ci_tref *tr;
	unsigned u;
	uint32_t id;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	id = ci_id(ci, o);
	assert(ci_obj(ci, id) == o);
	if (o->flags & CI_F_POOL)
		ci_pool_drop(ci, o);
	if (o->flags & CI_F_ESI)
		ci_esi_drop(ci, o);
	tr = ci_trefs(o);
	for (u = 0; u < o->ntags; u++)
		ci_tag_del(ci, ci_tagv(ci, tr[u].id), tr[u].pos);
	ci_tbl_delete(ci, ci_tbl_slot_of(ci, o, id));
	ci_vx_delete(ci, o, id);
	ci_heap_delete(ci, o);
	ci->bytes -= ci_spill_size(o);
	ci->key_bytes -= ci_ext_key_bytes(o) + ci_key_len(o);
	if (o->flags & CI_F_SPILL)
		free(ci_ext(o));
	o->magic = 0;
	ci_slab_free(ci, id);
	ci_tbl_maybe_shrink(ci);
}

void
ci_make_stale(struct cache_index *ci, struct ci_obj *o, double now)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	/* Like EXP_Rearm() with ttl 0: fresh until now, then grace. */
	if (!(ci_t_origin(o) + (double)o->ttl > now))
		return;
	o->ttl = ci_float(now - ci_t_origin(o));
	ci_heap_fix(ci, o);
}

unsigned
ci_expire(struct cache_index *ci, double now)
{
	unsigned n = 0;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AZ(ci->tbl_busy);
	while (ci->nheap > 0 && ci_deadline(ci_obj(ci, ci->heap[0])) < now) {
		ci_remove(ci, ci_obj(ci, ci->heap[0]));
		n++;
	}
	ci->expirations += n;
	return (n);
}

size_t
ci_clear(struct cache_index *ci)
{
	size_t n = 0;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AZ(ci->tbl_busy);
	/* From the heap's end: nothing moves. */
	while (ci->nheap > 0) {
		ci_remove(ci, ci_obj(ci, ci->heap[ci->nheap - 1]));
		n++;
	}
	/* Every object is on the heap, so none is left. */
	AZ(ci->count);
	return (n);
}

/*--------------------------------------------------------------------
 * Iteration
 */

int
ci_foreach(struct cache_index *ci, ci_iter_f *func, void *priv)
{
	struct ci_obj *o;
	struct ci_slot *sl;
	size_t e, i, k, mask;
	uint32_t id;
	int r = 0;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AN(func);
	if (ci->count == 0)
		return (0);
	mask = ci->nslot - 1;
	/*
	 * Start after an empty slot: nothing moves across it, so removing
	 * the current object only pulls not yet seen ones into its slot.
	 */
	for (e = 0; ci->slot[e].hv != 0; e++)
		assert(e < mask);
	ci->tbl_busy++;
	for (k = 1; k <= ci->nslot && r == 0; k++) {
		i = (e + k) & mask;
		/*
		 * Objects are all over the heap: ask for the ones a few slots
		 * ahead now, so that the cache misses overlap.
		 */
		sl = &ci->slot[(i + CI_PREFETCH) & mask];
		if (sl->hv != 0) {
			o = ci_obj(ci, sl->id);
			__builtin_prefetch(o);
			__builtin_prefetch((const char *)o + 64);
			__builtin_prefetch((const char *)o + 128);
		}
		sl = &ci->slot[i];
		while (r == 0 && sl->hv != 0) {
			id = sl->id;
			r = func(priv, ci_obj(ci, id));
			if (sl->hv != 0 && sl->id == id)
				break;
		}
	}
	ci->tbl_busy--;
	ci_tbl_maybe_shrink(ci);
	return (r);
}

int
ci_foreach_url(struct cache_index *ci, const char *host, const char *url,
    ci_iter_f *func, void *priv)
{
	struct ci_obj *o;
	size_t i, mask;
	uint32_t h, id;
	int r = 0;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AN(host);
	AN(url);
	AN(func);
	h = ci_hash(host, url);
	mask = ci->nslot - 1;
	ci->tbl_busy++;
	/* All variants are in the probe run from the home slot. */
	i = h & mask;
	while (r == 0 && ci->slot[i].hv != 0) {
		id = ci->slot[i].id;
		o = ci_obj(ci, id);
		if (ci->slot[i].hv == h && ci_match(o, host, url) != NULL) {
			r = func(priv, o);
			if (ci->slot[i].hv == 0 || ci->slot[i].id != id)
				continue; /* removed: see what moved in */
		}
		i = (i + 1) & mask;
	}
	ci->tbl_busy--;
	ci_tbl_maybe_shrink(ci);
	return (r);
}

/*--------------------------------------------------------------------
 * Accessors
 */

const char *
ci_host(const struct ci_obj *o)
{
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	return (ci_key(o));
}

const char *
ci_url(const struct ci_obj *o)
{
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	return (ci_next_str(ci_key(o)));
}

const char *
ci_variant(const struct ci_obj *o)
{
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	return (ci_next_str(ci_next_str(ci_key(o))));
}

const char *
ci_hdr(const struct ci_obj *o, const char *name)
{
	const char *p, *v;

	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	AN(name);
	p = ci_hdr_area(o);
	while (*p != '\0') {
		v = ci_next_str(p);
		if (strcasecmp(p, name) == 0)
			return (v);
		p = ci_next_str(v);
	}
	return (NULL);
}

struct ci_attrs
ci_attrs(const struct ci_obj *o)
{
	struct ci_attrs a;

	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	memset(&a, 0, sizeof a);
	a.t_origin = ci_t_origin(o);
	a.ttl = o->ttl;
	a.grace = o->grace;
	a.keep = o->keep;
	a.size = o->size;
	a.status = o->status;
	a.vxid = o->vxid;
	return (a);
}

double
ci_expires(const struct ci_obj *o)
{
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	return (ci_deadline(o));
}

double
ci_popularity(const struct cache_index *ci, const struct ci_obj *o, double now)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	return (ci_decayed(ci, o, now));
}

double
ci_last_hit(const struct ci_obj *o)
{
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	return (ci_t_hit(o));
}

uint64_t
ci_hits(const struct ci_obj *o)
{
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	return (o->hits);
}

unsigned
ci_ntags(const struct ci_obj *o)
{
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	return (o->ntags);
}

const char *
ci_tag(const struct cache_index *ci, const struct ci_obj *o, unsigned i)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	assert(i < o->ntags);
	return (ci_tagv(ci, ci_trefs(o)[i].id)->name);
}

/*--------------------------------------------------------------------
 * Statistics
 */

size_t
ci_count(const struct cache_index *ci)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	return (ci->count);
}

size_t
ci_bytes(const struct cache_index *ci)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	/* uthash allocates its tables itself: add them as they stand. */
	return (ci->bytes +
	    ci_uthash_bytes(ci->esi == NULL ? NULL : ci->esi->hh.tbl));
}

size_t
ci_key_bytes(const struct cache_index *ci)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	return (ci->key_bytes);
}

uint64_t
ci_evictions(const struct cache_index *ci)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	return (ci->evictions);
}

uint64_t
ci_expirations(const struct cache_index *ci)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	return (ci->expirations);
}

size_t
ci_ntags_distinct(const struct cache_index *ci)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	return (ci->ndistinct);
}

size_t
ci_tag_count(const struct cache_index *ci, const char *tag)
{
	struct ci_tag *t;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AN(tag);
	t = ci_tag_find(ci, tag);
	return (t == NULL ? 0 : t->n);
}
