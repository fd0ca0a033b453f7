/*
 * cache_index: stoked's in-memory index of cached objects.  See
 * cache_index.h for the model; this is about how it is stored.
 *
 * Memory is the constraint (millions of objects, several tags each), so
 * the per-object parts are few and flat:
 *
 *  - struct ci_obj, one malloc: the attributes (ttl/grace/keep as float,
 *    like Varnish's struct exp), then the "ext" area: an array of struct
 *    ci_tref (tag id, our index in the tag's member array) and the
 *    headers packed as "name\0value\0...\0", then the key
 *    "host\0url\0variant\0".  The ext area gets whatever malloc would
 *    round the chunk up by, so an update with a few more bytes of tags or
 *    headers still fits; one that does not spills them to a separate
 *    allocation whose pointer the area then holds (the object cannot
 *    move: callers, tags, ESI links and the heap point at it).
 *
 *  - The object table: open addressing with linear probing, one pointer
 *    and one 32-bit hash per slot, max load 7/8.  The hash covers host
 *    and URL but not the variant, so all variants of a URL sit in one
 *    probe run and ci_foreach_url() needs no extra links.  Deletion
 *    shifts entries back (no tombstones), which also keeps iteration
 *    safe when the callback removes the current object.  uthash (whose
 *    handle is 56 bytes per entry, plus a bucket array) would not fit
 *    the budget of 200 bytes per object; it is used below for the small
 *    tables, where that does not matter.
 *
 *  - Tags: interned in a uthash table, one struct ci_tag per distinct
 *    tag holding its name and an array of member objects.  Objects refer
 *    to a tag by a 32-bit id (index in ci->tagv) and remember their
 *    position in its member array, so adding and removing a membership is
 *    O(1) and costs 8 bytes on the object side plus one pointer slot.
 *    A tag lives as long as it has members or an iteration holds it.
 *
 *  - ESI links: only a few objects have them, so they live in a side
 *    table (uthash keyed by the object pointer) of struct ci_esi, each
 *    with arrays of edges to children and to parents.  An edge remembers
 *    the index of its reverse edge, which makes unlinking O(1).
 *
 *  - Expiry: a binary min-heap of object pointers on t_origin + ttl +
 *    grace + keep; each object knows its heap index.
 *
 *  - Eviction: sampling, like Redis' approximated LFU: each round looks
 *    at CI_SAMPLES consecutive objects of the table from a random slot,
 *    keeps the least valuable of them in a pool of CI_POOL candidates,
 *    and evicts the pool's least valuable.  O(1) per eviction, nothing
 *    per hit.  With CI_SAMPLES objects or fewer it is exact.
 *
 * Every allocation is counted in ci->bytes as glibc's malloc would size
 * its chunk, so ci_bytes() is what the index really costs.
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

/* A failed insert leaves the table as it was and hh.tbl NULL. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "cache_index.h"

#define CI_MIN_SLOTS 16 /* power of two */
#define CI_SAMPLES 16
#define CI_POOL 16
#define CI_NONE ((size_t)-1)
#define CI_NOTMP UINT32_MAX
#define CI_PREFETCH 16 /* slots ahead, in ci_foreach() */

#define CI_F_ESI 0x1 /* has a struct ci_esi */
#define CI_F_POOL 0x2 /* is an eviction candidate */
#define CI_F_SPILL 0x4 /* ext area holds a pointer to it */

struct ci_tref {
	uint32_t id; /* index in ci->tagv */
	uint32_t pos; /* our index in the tag's mem[] */
};

struct ci_obj {
	unsigned magic;
#define CI_OBJ_MAGIC 0x0b1ec7ed
	uint32_t hits; /* saturating */
	double t_origin;
	float ttl;
	float grace;
	float keep;
	uint32_t xidx; /* index in ci->heap */
	uint64_t size;
	uint64_t vxid;
	double t_hit;
	double score; /* popularity at t_hit */
	uint32_t ecap; /* bytes of ext area in data[] */
	uint16_t status;
	uint16_t ntags : 12;
	uint16_t flags : 4;
	unsigned char data[]; /* ext area, then key */
};

struct ci_tag {
	unsigned magic;
#define CI_TAG_MAGIC 0x7a9c0de1
	uint32_t id;
	uint32_t n; /* members */
	uint32_t cap;
	uint32_t pin; /* iterations holding us */
	uint32_t tmp; /* ci_put(): index in the old trefs */
	uint64_t mark; /* ci_put(): ci->serial stamp */
	struct ci_obj **mem;
	UT_hash_handle hh;
	char name[];
};

struct ci_eref {
	struct ci_esi *peer;
	uint32_t back; /* index of the reverse edge */
};

struct ci_esi {
	unsigned magic;
#define CI_ESI_MAGIC 0xe5110c4e
	uint32_t pin;
	struct ci_obj *obj; /* NULL once the object is gone */
	struct ci_eref *kid;
	struct ci_eref *par;
	uint32_t nkid, akid;
	uint32_t npar, apar;
	UT_hash_handle hh;
};

struct cache_index {
	unsigned magic;
#define CI_MAGIC 0x5c1d3a71
	unsigned tbl_busy; /* table iterations */

	/* Object table: slot[] and hv[] share one allocation. */
	struct ci_obj **slot;
	uint32_t *hv; /* 0 = empty */
	size_t nslot;
	size_t count;

	/* Expiry heap. */
	struct ci_obj **heap;
	size_t nheap;
	size_t aheap;

	/* Tags: odd tagv[] entries are free ids, chained via tagfree. */
	struct ci_tag *tags;
	uintptr_t *tagv;
	uint32_t ntagv;
	uint32_t atagv;
	uint32_t tagfree; /* free id + 1, 0 = none */
	size_t ndistinct;
	uint64_t serial;

	struct ci_esi *esi;

	struct ci_obj *pool[CI_POOL];
	unsigned npool;
	uint64_t rnd;

	size_t max_bytes;
	double half_life;
	size_t bytes;
	size_t key_bytes;
	uint64_t evictions;
	uint64_t expirations;
};

static void ci_tbl_maybe_shrink(struct cache_index *);

/*--------------------------------------------------------------------
 * Accounting: the size of the chunk glibc's malloc carves for n bytes
 * (8 bytes of header, 16 byte granules, 32 minimum; page granules once
 * the request is big enough to be mmap()ed).
 */

static size_t
ci_msize(size_t n)
{
	if (n == 0)
		return (0);
	if (n >= 128 * 1024)
		return ((n + 8 + 4095) & ~(size_t)4095);
	if (n + 8 + 15 < 32)
		return (32);
	return ((n + 8 + 15) & ~(size_t)15);
}

static size_t
ci_uthash_bytes(const UT_hash_table *tbl)
{
	if (tbl == NULL)
		return (0);
	return (ci_msize(sizeof *tbl) +
	    ci_msize(tbl->num_buckets * sizeof(UT_hash_bucket)));
}

/* Grow or shrink an array, keeping ci->bytes right; -1 leaves it be. */
static int
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

/*
 * FNV-1a over host, a NUL, and the URL, finished with murmur3's fmix64
 * because FNV's low bits, which pick the slot, are weak.  Never 0: that
 * marks an empty slot.
 */
static uint32_t
ci_hash(const char *host, const char *url)
{
	const unsigned char *p;
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t v;

	for (p = (const unsigned char *)host; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h *= 0x100000001b3ULL;
	for (p = (const unsigned char *)url; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	v = (uint32_t)h;
	return (v != 0 ? v : 1);
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

static size_t
ci_obj_size(const struct ci_obj *o)
{
	return (offsetof(struct ci_obj, data) + o->ecap + ci_key_len(o));
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

static struct ci_tref *
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
 * Size of an object's allocation for this much ext and key: give the ext
 * area the bytes malloc rounds up by anyway, and at least room for the
 * spill pointer.
 */
static size_t
ci_obj_alloc(size_t elen, size_t klen, size_t *ecap)
{
	size_t need, sz;

	if (elen < sizeof(void *))
		elen = sizeof(void *);
	need = offsetof(struct ci_obj, data) + elen + klen;
	sz = need < 128 * 1024 ? ci_msize(need) - 8 : need;
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

static double
ci_deadline(const struct ci_obj *o)
{
	return (
	    o->t_origin + (double)o->ttl + (double)o->grace + (double)o->keep);
}

static double
ci_decayed(const struct cache_index *ci, const struct ci_obj *o, double now)
{
	double dt;

	dt = now - o->t_hit;
	if (ci->half_life <= 0. || !(dt > 0.))
		return (o->score);
	return (o->score * exp2(-dt / ci->half_life));
}

/* Is a (value va, last hit ta) a better victim than b? */
static int
ci_worse(double va, double ta, double vb, double tb)
{
	if (va != vb)
		return (va < vb);
	return (ta < tb);
}

/* xorshift64*: only picks where eviction samples, so cheap is enough. */
static uint64_t
ci_rand(struct cache_index *ci)
{
	uint64_t x = ci->rnd;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	ci->rnd = x;
	return (x * 0x2545f4914f6cdd1dULL);
}

/*--------------------------------------------------------------------
 * Object table
 */

static int
ci_tbl_resize(struct cache_index *ci, size_t nslot)
{
	struct ci_obj **slot;
	uint32_t *hv;
	size_t i, j, mask;

	assert(nslot >= CI_MIN_SLOTS && (nslot & (nslot - 1)) == 0);
	assert(ci->count < nslot);
	slot = calloc(nslot, sizeof *slot + sizeof *hv);
	if (slot == NULL)
		return (-1);
	hv = (uint32_t *)(void *)(slot + nslot);
	mask = nslot - 1;
	for (i = 0; i < ci->nslot; i++) {
		if (ci->hv[i] == 0)
			continue;
		j = ci->hv[i] & mask;
		while (hv[j] != 0)
			j = (j + 1) & mask;
		hv[j] = ci->hv[i];
		slot[j] = ci->slot[i];
	}
	ci->bytes -= ci_msize(ci->nslot * (sizeof *slot + sizeof *hv));
	ci->bytes += ci_msize(nslot * (sizeof *slot + sizeof *hv));
	free(ci->slot);
	ci->slot = slot;
	ci->hv = hv;
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

static size_t
ci_tbl_find(const struct cache_index *ci, uint32_t h, const char *host,
    const char *url, const char *variant)
{
	const char *v;
	size_t i, mask = ci->nslot - 1;

	for (i = h & mask; ci->hv[i] != 0; i = (i + 1) & mask) {
		if (ci->hv[i] != h)
			continue;
		v = ci_match(ci->slot[i], host, url);
		if (v != NULL && strcmp(v, variant) == 0)
			return (i);
	}
	return (CI_NONE);
}

static size_t
ci_tbl_slot_of(const struct cache_index *ci, const struct ci_obj *o)
{
	size_t i, mask = ci->nslot - 1;
	uint32_t h;

	h = ci_hash(ci_key(o), ci_next_str(ci_key(o)));
	for (i = h & mask; ci->hv[i] != 0; i = (i + 1) & mask)
		if (ci->slot[i] == o)
			return (i);
	WRONG("object not in table");
	return (CI_NONE);
}

static void
ci_tbl_insert(struct cache_index *ci, struct ci_obj *o, uint32_t h)
{
	size_t i, mask = ci->nslot - 1;

	for (i = h & mask; ci->hv[i] != 0; i = (i + 1) & mask)
		continue;
	ci->hv[i] = h;
	ci->slot[i] = o;
	ci->count++;
}

/*
 * Backward-shift deletion: pull later entries of the probe run into the
 * hole unless that would put them before their home slot.  Entries only
 * ever move towards the hole and never across an empty slot, which is
 * what ci_foreach() and ci_foreach_url() rely on.
 */
static void
ci_tbl_delete(struct cache_index *ci, size_t i)
{
	size_t j, k, mask = ci->nslot - 1;

	ci->count--;
	for (;;) {
		ci->hv[i] = 0;
		ci->slot[i] = NULL;
		j = i;
		for (;;) {
			j = (j + 1) & mask;
			if (ci->hv[j] == 0)
				return;
			k = ci->hv[j] & mask;
			/* Stays if its home k is cyclically in (i, j]. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		ci->hv[i] = ci->hv[j];
		ci->slot[i] = ci->slot[j];
		i = j;
	}
}

/*--------------------------------------------------------------------
 * Expiry heap
 */

static void
ci_heap_set(struct cache_index *ci, size_t i, struct ci_obj *o)
{
	ci->heap[i] = o;
	o->xidx = (uint32_t)i;
}

static void
ci_heap_up(struct cache_index *ci, size_t i)
{
	struct ci_obj *o = ci->heap[i];
	double d = ci_deadline(o);
	size_t p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (ci_deadline(ci->heap[p]) <= d)
			break;
		ci_heap_set(ci, i, ci->heap[p]);
		i = p;
	}
	ci_heap_set(ci, i, o);
}

static void
ci_heap_down(struct cache_index *ci, size_t i)
{
	struct ci_obj *o = ci->heap[i];
	double d = ci_deadline(o), dc, d2;
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= ci->nheap)
			break;
		dc = ci_deadline(ci->heap[c]);
		if (c + 1 < ci->nheap) {
			d2 = ci_deadline(ci->heap[c + 1]);
			if (d2 < dc) {
				c++;
				dc = d2;
			}
		}
		if (d <= dc)
			break;
		ci_heap_set(ci, i, ci->heap[c]);
		i = c;
	}
	ci_heap_set(ci, i, o);
}

/* Capacities of 2^k - 1 pointers fill glibc chunks exactly. */
static int
ci_heap_reserve(struct cache_index *ci)
{
	size_t n;

	if (ci->nheap < ci->aheap)
		return (0);
	n = ci->aheap == 0 ? 15 : ci->aheap * 2 + 1;
	if (n > UINT32_MAX)
		return (-1);
	if (ci_realloc(ci, &ci->heap, ci->aheap * sizeof *ci->heap,
	        n * sizeof *ci->heap))
		return (-1);
	ci->aheap = n;
	return (0);
}

static void
ci_heap_insert(struct cache_index *ci, struct ci_obj *o)
{
	assert(ci->nheap < ci->aheap);
	ci_heap_set(ci, ci->nheap++, o);
	ci_heap_up(ci, o->xidx);
}

static void
ci_heap_fix(struct cache_index *ci, const struct ci_obj *o)
{
	ci_heap_up(ci, o->xidx);
	ci_heap_down(ci, o->xidx);
}

static void
ci_heap_delete(struct cache_index *ci, const struct ci_obj *o)
{
	struct ci_obj *last;
	size_t i = o->xidx, n;

	assert(i < ci->nheap && ci->heap[i] == o);
	last = ci->heap[--ci->nheap];
	if (i < ci->nheap) {
		ci_heap_set(ci, i, last);
		ci_heap_fix(ci, last);
	}
	if (ci->nheap == 0)
		n = 0;
	else if (ci->aheap > 15 && ci->nheap < ci->aheap / 4)
		n = (ci->aheap - 1) / 2;
	else
		return;
	if (ci_realloc(ci, &ci->heap, ci->aheap * sizeof *ci->heap,
	        n * sizeof *ci->heap) == 0)
		ci->aheap = n;
}

/*--------------------------------------------------------------------
 * Tags
 */

static struct ci_tag *
ci_tagv(const struct cache_index *ci, uint32_t id)
{
	struct ci_tag *t;

	assert(id < ci->ntagv);
	AZ(ci->tagv[id] & 1);
	t = (struct ci_tag *)ci->tagv[id];
	CHECK_OBJ_NOTNULL(t, CI_TAG_MAGIC);
	return (t);
}

static struct ci_tag *
ci_tag_find(const struct cache_index *ci, const char *name)
{
	struct ci_tag *t;

	HASH_FIND_STR(ci->tags, name, t);
	CHECK_OBJ_ORNULL(t, CI_TAG_MAGIC);
	return (t);
}

static struct ci_tag *
ci_tag_intern(struct cache_index *ci, const char *name)
{
	struct ci_tag *t;
	size_t len, n;

	t = ci_tag_find(ci, name);
	if (t != NULL)
		return (t);
	if (ci->tagfree == 0 && ci->ntagv == ci->atagv) {
		n = ci->atagv == 0 ? 63 : ci->atagv * 2 + 1;
		if (n > UINT32_MAX ||
		    ci_realloc(ci, &ci->tagv, ci->atagv * sizeof *ci->tagv,
		        n * sizeof *ci->tagv))
			return (NULL);
		ci->atagv = (uint32_t)n;
	}
	len = strlen(name);
	t = malloc(sizeof *t + len + 1);
	if (t == NULL)
		return (NULL);
	INIT_OBJ(t, CI_TAG_MAGIC);
	memcpy(t->name, name, len + 1);
	HASH_ADD_KEYPTR(hh, ci->tags, t->name, len, t);
	if (t->hh.tbl == NULL) {
		free(t);
		return (NULL);
	}
	if (ci->tagfree != 0) {
		t->id = ci->tagfree - 1;
		ci->tagfree = (uint32_t)(ci->tagv[t->id] >> 1);
	} else {
		t->id = ci->ntagv++;
	}
	ci->tagv[t->id] = (uintptr_t)t;
	ci->ndistinct++;
	ci->bytes += ci_msize(sizeof *t + len + 1);
	return (t);
}

/* Free a tag nobody refers to any more. */
static void
ci_tag_maybe_free(struct cache_index *ci, struct ci_tag *t)
{
	CHECK_OBJ_NOTNULL(t, CI_TAG_MAGIC);
	if (t->n > 0 || t->pin > 0)
		return;
	HASH_DEL(ci->tags, t);
	ci->tagv[t->id] = ((uintptr_t)ci->tagfree << 1) | 1;
	ci->tagfree = t->id + 1;
	AZ(ci_realloc(ci, &t->mem, t->cap * sizeof *t->mem, 0));
	ci->bytes -= ci_msize(sizeof *t + strlen(t->name) + 1);
	FREE_OBJ(t);
	if (--ci->ndistinct == 0) {
		/* Back to the empty index's footprint. */
		AZ(ci_realloc(ci, &ci->tagv, ci->atagv * sizeof *ci->tagv, 0));
		ci->ntagv = ci->atagv = ci->tagfree = 0;
	}
}

static int
ci_tag_reserve(struct cache_index *ci, struct ci_tag *t)
{
	size_t n;

	if (t->n < t->cap)
		return (0);
	/*
	 * Odd capacities fill glibc chunks exactly; past 63 grow by half
	 * rather than double: millions of memberships, and copying is
	 * still amortized O(1).
	 */
	if (t->cap < 63)
		n = t->cap == 0 ? 3 : (size_t)t->cap * 2 + 1;
	else
		n = ((size_t)t->cap + t->cap / 2) | 1;
	if (n > UINT32_MAX ||
	    ci_realloc(ci, &t->mem, t->cap * sizeof *t->mem,
	        n * sizeof *t->mem))
		return (-1);
	t->cap = (uint32_t)n;
	return (0);
}

static uint32_t
ci_tag_add(struct ci_tag *t, struct ci_obj *o)
{
	assert(t->n < t->cap);
	t->mem[t->n] = o;
	return (t->n++);
}

/*
 * Drop member pos of t: the last member moves into its place, and we
 * tell that object its new position.  Frees t if it is now unused.
 */
static void
ci_tag_del(struct cache_index *ci, struct ci_tag *t, uint32_t pos)
{
	struct ci_tref *tr;
	struct ci_obj *m;
	uint32_t last, n;
	unsigned u;

	assert(pos < t->n);
	last = t->n - 1;
	if (pos != last) {
		m = t->mem[last];
		t->mem[pos] = m;
		tr = ci_trefs(m);
		for (u = 0; u < m->ntags && tr[u].id != t->id; u++)
			continue;
		assert(u < m->ntags && tr[u].pos == last);
		tr[u].pos = pos;
	}
	t->n = last;
	if (t->n > 0 && t->cap > 3 && t->n < t->cap / 4) {
		n = (t->cap / 2) | 1;
		if (ci_realloc(ci, &t->mem, t->cap * sizeof *t->mem,
		        n * sizeof *t->mem) == 0)
			t->cap = n;
	}
	ci_tag_maybe_free(ci, t);
}

/*--------------------------------------------------------------------
 * ESI links
 */

static struct ci_esi *
ci_esi_find(const struct cache_index *ci, const struct ci_obj *o)
{
	struct ci_esi *r;

	if (!(o->flags & CI_F_ESI))
		return (NULL);
	HASH_FIND_PTR(ci->esi, &o, r);
	CHECK_OBJ_NOTNULL(r, CI_ESI_MAGIC);
	return (r);
}

static struct ci_esi *
ci_esi_get(struct cache_index *ci, struct ci_obj *o)
{
	struct ci_esi *r;

	r = ci_esi_find(ci, o);
	if (r != NULL)
		return (r);
	ALLOC_OBJ(r, CI_ESI_MAGIC);
	if (r == NULL)
		return (NULL);
	r->obj = o;
	HASH_ADD_PTR(ci->esi, obj, r);
	if (r->hh.tbl == NULL) {
		FREE_OBJ(r);
		return (NULL);
	}
	o->flags |= CI_F_ESI;
	ci->bytes += ci_msize(sizeof *r);
	return (r);
}

static void
ci_esi_maybe_free(struct cache_index *ci, struct ci_esi *r)
{
	CHECK_OBJ_NOTNULL(r, CI_ESI_MAGIC);
	if (r->nkid > 0 || r->npar > 0 || r->pin > 0)
		return;
	if (r->obj != NULL) {
		HASH_DEL(ci->esi, r);
		r->obj->flags &= ~CI_F_ESI;
	}
	AZ(ci_realloc(ci, &r->kid, r->akid * sizeof *r->kid, 0));
	AZ(ci_realloc(ci, &r->par, r->apar * sizeof *r->par, 0));
	ci->bytes -= ci_msize(sizeof *r);
	FREE_OBJ(r);
}

static int
ci_eref_reserve(struct cache_index *ci, struct ci_eref **a, uint32_t n,
    uint32_t *cap)
{
	size_t c;

	if (n < *cap)
		return (0);
	c = *cap == 0 ? 2 : (size_t)*cap * 2;
	if (c > UINT32_MAX ||
	    ci_realloc(ci, a, *cap * sizeof **a, c * sizeof **a))
		return (-1);
	*cap = (uint32_t)c;
	return (0);
}

static void
ci_eref_shrink(struct cache_index *ci, struct ci_eref **a, uint32_t n,
    uint32_t *cap)
{
	uint32_t c;

	if (n == 0)
		c = 0;
	else if (*cap > 2 && n < *cap / 4)
		c = *cap / 2;
	else
		return;
	if (ci_realloc(ci, a, *cap * sizeof **a, c * sizeof **a) == 0)
		*cap = c;
}

/*
 * Remove edge i of p->kid[] and its reverse in the child's par[]: in
 * both arrays the last edge fills the hole and its reverse learns the
 * new index.  Frees nothing; the callers know which records may go.
 */
static void
ci_esi_unlink(struct cache_index *ci, struct ci_esi *p, uint32_t i)
{
	struct ci_esi *c;
	uint32_t j, last;

	assert(i < p->nkid);
	c = p->kid[i].peer;
	j = p->kid[i].back;
	assert(j < c->npar && c->par[j].peer == p);

	last = c->npar - 1;
	if (j != last) {
		c->par[j] = c->par[last];
		c->par[j].peer->kid[c->par[j].back].back = j;
	}
	c->npar = last;

	last = p->nkid - 1;
	if (i != last) {
		p->kid[i] = p->kid[last];
		p->kid[i].peer->par[p->kid[i].back].back = i;
	}
	p->nkid = last;

	ci_eref_shrink(ci, &c->par, c->npar, &c->apar);
	ci_eref_shrink(ci, &p->kid, p->nkid, &p->akid);
}

static void
ci_esi_drop_kids(struct cache_index *ci, struct ci_esi *r)
{
	struct ci_esi *c;

	while (r->nkid > 0) {
		c = r->kid[r->nkid - 1].peer;
		ci_esi_unlink(ci, r, r->nkid - 1);
		ci_esi_maybe_free(ci, c);
	}
}

/* o is going away: drop all its links, and its record unless pinned. */
static void
ci_esi_drop(struct cache_index *ci, struct ci_obj *o)
{
	struct ci_esi *r, *p;
	struct ci_eref e;

	r = ci_esi_find(ci, o);
	AN(r);
	r->pin++;
	ci_esi_drop_kids(ci, r);
	while (r->npar > 0) {
		e = r->par[r->npar - 1];
		p = e.peer;
		ci_esi_unlink(ci, p, e.back);
		ci_esi_maybe_free(ci, p);
	}
	HASH_DEL(ci->esi, r);
	r->obj = NULL;
	o->flags &= ~CI_F_ESI;
	r->pin--;
	ci_esi_maybe_free(ci, r);
}

/*--------------------------------------------------------------------
 * Eviction
 */

static void
ci_pool_drop(struct cache_index *ci, struct ci_obj *o)
{
	unsigned u;

	for (u = 0; u < ci->npool && ci->pool[u] != o; u++)
		continue;
	assert(u < ci->npool);
	ci->pool[u] = ci->pool[--ci->npool];
	o->flags &= ~CI_F_POOL;
}

/*
 * Sample CI_SAMPLES objects into the pool, then evict the pool's least
 * valuable object other than keep.  Returns 0 when there is none.
 */
static unsigned
ci_evict_one(struct cache_index *ci, double now, const struct ci_obj *keep)
{
	double pv[CI_POOL], v;
	struct ci_obj *o;
	size_t i, k, seen, mask = ci->nslot - 1;
	unsigned u, w, best;

	for (u = 0; u < ci->npool; u++)
		pv[u] = ci_decayed(ci, ci->pool[u], now);
	i = ci_rand(ci) & mask;
	for (k = seen = 0; k < ci->nslot && seen < CI_SAMPLES;
	     k++, i = (i + 1) & mask) {
		o = ci->slot[i];
		if (o == NULL)
			continue;
		seen++;
		if (o == keep || (o->flags & CI_F_POOL))
			continue;
		v = ci_decayed(ci, o, now);
		if (ci->npool < CI_POOL) {
			u = ci->npool++;
		} else {
			/* Replace the pool's most valuable, if o is worse. */
			for (w = 0, u = 1; u < CI_POOL; u++)
				if (ci_worse(pv[w], ci->pool[w]->t_hit, pv[u],
				        ci->pool[u]->t_hit))
					w = u;
			if (!ci_worse(v, o->t_hit, pv[w], ci->pool[w]->t_hit))
				continue;
			ci->pool[w]->flags &= ~CI_F_POOL;
			u = w;
		}
		ci->pool[u] = o;
		pv[u] = v;
		o->flags |= CI_F_POOL;
	}
	best = CI_POOL;
	for (u = 0; u < ci->npool; u++) {
		if (ci->pool[u] == keep)
			continue;
		if (best == CI_POOL ||
		    ci_worse(pv[u], ci->pool[u]->t_hit, pv[best],
		        ci->pool[best]->t_hit))
			best = u;
	}
	if (best == CI_POOL)
		return (0);
	ci_remove(ci, ci->pool[best]);
	ci->evictions++;
	return (1);
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
	struct ci_tag *t, *tt;
	struct ci_esi *r, *rr;
	struct ci_obj *o;
	size_t i;

	TAKE_OBJ_NOTNULL(ci, pci, CI_MAGIC);
	AZ(ci->tbl_busy);
	for (i = 0; i < ci->nslot; i++) {
		o = ci->slot[i];
		if (o == NULL)
			continue;
		CHECK_OBJ(o, CI_OBJ_MAGIC);
		if (o->flags & CI_F_SPILL)
			free(ci_ext(o));
		FREE_OBJ(o);
	}
	HASH_ITER(hh, ci->tags, t, tt)
	{
		HASH_DEL(ci->tags, t);
		free(t->mem);
		FREE_OBJ(t);
	}
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

static void
ci_set_attrs(struct ci_obj *o, const struct ci_attrs *a, double now)
{
	o->t_origin = isfinite(a->t_origin) ? a->t_origin : now;
	o->ttl = ci_float(a->ttl);
	o->grace = ci_float(a->grace);
	o->keep = ci_float(a->keep);
	o->size = a->size;
	o->status = (uint16_t)(a->status > UINT16_MAX ? UINT16_MAX : a->status);
	o->vxid = a->vxid;
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
	size_t elen, klen = 0, sz = 0, ecap, i;
	uint64_t s_old, s_new;
	unsigned u, nt = 0;
	uint32_t h;
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
	i = ci_tbl_find(ci, h, host, url, variant);
	old = i == CI_NONE ? NULL : ci->slot[i];

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
	if (old == NULL) {
		klen = strlen(host) + strlen(url) + strlen(variant) + 3;
		sz = ci_obj_alloc(elen, klen, &ecap);
		if (ecap > UINT32_MAX) {
			err = E2BIG;
			goto fail;
		}
		o = malloc(sz);
		if (o == NULL || ci_tbl_reserve(ci) || ci_heap_reserve(ci))
			goto fail;
		memset(o, 0, offsetof(struct ci_obj, data));
		o->magic = CI_OBJ_MAGIC;
		o->ecap = (uint32_t)ecap;
		ci_key_pack((char *)o->data + ecap, host, url, variant);
		o->score = 1.;
		o->t_hit = now;
		buf = o->data;
	} else {
		/* The old trefs are needed until the commit is done. */
		o = old;
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
			tr[u].pos = ci_tag_add(t, o);
	}
	ci_hdrs_pack((char *)(buf + nt * sizeof *tr), hdrs);
	if (old != NULL) {
		for (u = 0; u < old->ntags; u++) {
			t = ci_tagv(ci, otr[u].id);
			if (t->mark == s_old)
				ci_tag_del(ci, t, otr[u].pos);
		}
		ci_ext_replace(ci, o, buf, elen, nt);
		ci_set_attrs(o, a, now);
		ci_heap_fix(ci, o);
	} else {
		o->ntags = nt & 0xfff;
		ci_set_attrs(o, a, now);
		ci_tbl_insert(ci, o, h);
		ci_heap_insert(ci, o);
		ci->bytes += ci_msize(sz);
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
	if (old == NULL)
		free(o);
	else
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
	size_t i;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AN(host);
	AN(url);
	i = ci_tbl_find(ci, ci_hash(host, url), host, url,
	    variant == NULL ? "" : variant);
	if (i == CI_NONE)
		return (NULL);
	return (ci->slot[i]);
}

void
ci_hit(struct cache_index *ci, struct ci_obj *o, double now)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	/* A hit logged out of order adds, but does not rewind the clock. */
	o->score = ci_decayed(ci, o, now) + 1.;
	if (now > o->t_hit)
		o->t_hit = now;
	if (o->hits < UINT32_MAX)
		o->hits++;
}

void
ci_remove(struct cache_index *ci, struct ci_obj *o)
{
	struct ci_tref *tr;
	unsigned u;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	if (o->flags & CI_F_POOL)
		ci_pool_drop(ci, o);
	if (o->flags & CI_F_ESI)
		ci_esi_drop(ci, o);
	tr = ci_trefs(o);
	for (u = 0; u < o->ntags; u++)
		ci_tag_del(ci, ci_tagv(ci, tr[u].id), tr[u].pos);
	ci_tbl_delete(ci, ci_tbl_slot_of(ci, o));
	ci_heap_delete(ci, o);
	ci->bytes -= ci_spill_size(o) + ci_msize(ci_obj_size(o));
	ci->key_bytes -= ci_ext_key_bytes(o) + ci_key_len(o);
	if (o->flags & CI_F_SPILL)
		free(ci_ext(o));
	FREE_OBJ(o);
	ci_tbl_maybe_shrink(ci);
}

void
ci_make_stale(struct cache_index *ci, struct ci_obj *o, double now)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	/* Like EXP_Rearm() with ttl 0: fresh until now, then grace. */
	if (!(o->t_origin + (double)o->ttl > now))
		return;
	o->ttl = ci_float(now - o->t_origin);
	ci_heap_fix(ci, o);
}

unsigned
ci_expire(struct cache_index *ci, double now)
{
	unsigned n = 0;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AZ(ci->tbl_busy);
	while (ci->nheap > 0 && ci_deadline(ci->heap[0]) < now) {
		ci_remove(ci, ci->heap[0]);
		n++;
	}
	ci->expirations += n;
	return (n);
}

/*--------------------------------------------------------------------
 * ESI API
 */

int
ci_link_esi(struct cache_index *ci, struct ci_obj *parent, struct ci_obj *child)
{
	struct ci_esi *p, *c;
	uint32_t u;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(parent, CI_OBJ_MAGIC);
	CHECK_OBJ_NOTNULL(child, CI_OBJ_MAGIC);
	if (parent == child) {
		errno = EINVAL;
		return (-1);
	}
	p = ci_esi_get(ci, parent);
	if (p == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	c = ci_esi_get(ci, child);
	if (c == NULL) {
		ci_esi_maybe_free(ci, p);
		errno = ENOMEM;
		return (-1);
	}
	/* Already linked?  Look through the shorter side. */
	if (p->nkid <= c->npar) {
		for (u = 0; u < p->nkid; u++)
			if (p->kid[u].peer == c)
				return (0);
	} else {
		for (u = 0; u < c->npar; u++)
			if (c->par[u].peer == p)
				return (0);
	}
	if (ci_eref_reserve(ci, &p->kid, p->nkid, &p->akid) ||
	    ci_eref_reserve(ci, &c->par, c->npar, &c->apar)) {
		ci_esi_maybe_free(ci, c);
		ci_esi_maybe_free(ci, p);
		errno = ENOMEM;
		return (-1);
	}
	p->kid[p->nkid].peer = c;
	p->kid[p->nkid].back = c->npar;
	c->par[c->npar].peer = p;
	c->par[c->npar].back = p->nkid;
	p->nkid++;
	c->npar++;
	return (1);
}

void
ci_unlink_children(struct cache_index *ci, struct ci_obj *parent)
{
	struct ci_esi *r;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(parent, CI_OBJ_MAGIC);
	r = ci_esi_find(ci, parent);
	if (r == NULL)
		return;
	r->pin++;
	ci_esi_drop_kids(ci, r);
	r->pin--;
	ci_esi_maybe_free(ci, r);
}

/*--------------------------------------------------------------------
 * Iteration
 */

int
ci_foreach(struct cache_index *ci, ci_iter_f *func, void *priv)
{
	struct ci_obj *o;
	size_t e, i, k, mask;
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
	for (e = 0; ci->hv[e] != 0; e++)
		assert(e < mask);
	ci->tbl_busy++;
	for (k = 1; k <= ci->nslot && r == 0; k++) {
		i = (e + k) & mask;
		/*
		 * Objects are all over the heap: ask for the ones a few slots
		 * ahead now, so that the cache misses overlap.
		 */
		o = ci->slot[(i + CI_PREFETCH) & mask];
		if (o != NULL) {
			__builtin_prefetch(o);
			__builtin_prefetch((const char *)o + 64);
			__builtin_prefetch((const char *)o + 128);
		}
		while (r == 0 && (o = ci->slot[i]) != NULL) {
			r = func(priv, o);
			if (ci->slot[i] == o)
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
	uint32_t h;
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
	while (r == 0 && ci->hv[i] != 0) {
		o = ci->slot[i];
		if (ci->hv[i] == h && ci_match(o, host, url) != NULL) {
			r = func(priv, o);
			if (ci->slot[i] != o)
				continue; /* removed: see what moved in */
		}
		i = (i + 1) & mask;
	}
	ci->tbl_busy--;
	ci_tbl_maybe_shrink(ci);
	return (r);
}

/*
 * The member and edge arrays are walked backwards: removing the current
 * object moves the last entry, already seen, into its place.  If more
 * went, restart from the (new) end rather than read past it.
 */

int
ci_foreach_tag(struct cache_index *ci, const char *tag, ci_iter_f *func,
    void *priv)
{
	struct ci_tag *t;
	uint32_t i;
	int r = 0;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AN(tag);
	AN(func);
	t = ci_tag_find(ci, tag);
	if (t == NULL)
		return (0);
	t->pin++;
	for (i = t->n; r == 0;) {
		if (i > t->n)
			i = t->n;
		if (i == 0)
			break;
		i--;
		r = func(priv, t->mem[i]);
	}
	t->pin--;
	ci_tag_maybe_free(ci, t);
	return (r);
}

/*
 * Both directions of ESI links are walked alike: from the end, re-reading
 * the count each step, so that the callback may remove what it is given.
 */
static int
ci_esi_walk(struct cache_index *ci, struct ci_obj *o, int parents,
    ci_iter_f *func, void *priv)
{
	struct ci_esi *e;
	uint32_t i, *n;
	struct ci_eref **ref;
	int r = 0;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	AN(func);
	e = ci_esi_find(ci, o);
	if (e == NULL)
		return (0);
	n = parents ? &e->npar : &e->nkid;
	ref = parents ? &e->par : &e->kid;
	e->pin++;
	for (i = *n; r == 0;) {
		if (i > *n)
			i = *n;
		if (i == 0)
			break;
		i--;
		r = func(priv, (*ref)[i].peer->obj);
	}
	e->pin--;
	ci_esi_maybe_free(ci, e);
	return (r);
}

int
ci_foreach_child(struct cache_index *ci, struct ci_obj *o, ci_iter_f *func,
    void *priv)
{
	return (ci_esi_walk(ci, o, 0, func, priv));
}

int
ci_foreach_parent(struct cache_index *ci, struct ci_obj *o, ci_iter_f *func,
    void *priv)
{
	return (ci_esi_walk(ci, o, 1, func, priv));
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
	a.t_origin = o->t_origin;
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
	return (o->t_hit);
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
	    ci_uthash_bytes(ci->tags == NULL ? NULL : ci->tags->hh.tbl) +
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
