/*
 * cache_index's private interfaces: the structs its files share, and the
 * functions one of them calls in another.  See cache_index.c for how the
 * index is stored; only cache_index*.c include this, after vas.h and
 * miniobj.h.
 */

#ifndef STOKE_CACHE_INDEX_PRIV_H
#define STOKE_CACHE_INDEX_PRIV_H

#include <stddef.h>
#include <stdint.h>

/* A failed insert leaves the table as it was and hh.tbl NULL. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "cache_index.h"

#define CI_POOL 16 /* eviction candidates */

#define CI_F_ESI 0x1 /* has a struct ci_esi */
#define CI_F_POOL 0x2 /* is an eviction candidate */
#define CI_F_SPILL 0x4 /* ext area holds a pointer to it */

/*
 * An object's id: its chunk, then its slot in the chunk (see
 * cache_index_slab.c).  The table, the heap, the tags' member arrays and
 * the vxid table hold ids, half a pointer each.
 */
#define CI_SLOT_BITS 10
#define CI_SLOT_MASK ((1U << CI_SLOT_BITS) - 1)
#define CI_NOID UINT32_MAX

struct ci_tref {
	uint32_t id; /* index in ci->tagv */
	uint32_t pos; /* our index in the tag's mem[] */
};

/*
 * Every byte here is paid a million times: the fields are as narrow as
 * what they hold allows.  t_origin is unix seconds (to 2106) and 64ths
 * of one: expiry needs no finer.  The last hit is kept as seconds after
 * t_origin, in a float, because popularity needs it to a second at
 * most, not to a microsecond a year away.  Sizes past 2^48, statuses
 * past 1023 and hits past 2^28 saturate.  An object's own id is not
 * here: ci->heap[xidx] holds it.
 */
struct ci_obj {
	unsigned magic;
#define CI_OBJ_MAGIC 0x0b1ec7ed
	uint32_t hits : 28; /* saturating */
	uint32_t flags : 4;
	uint64_t size : 48; /* saturating */
	uint64_t status : 10; /* saturating */
	uint64_t t_frac : 6; /* t_origin's 64ths of a second */
	uint64_t vxid;
	uint32_t t_sec; /* t_origin's unix seconds */
	float ttl;
	float grace;
	float keep;
	uint32_t xidx; /* index in ci->heap */
	float dt_hit; /* last hit, seconds after t_origin */
	float score; /* popularity at the last hit */
	uint32_t ecap : 20; /* bytes of ext area in data[] */
	uint32_t ntags : 12;
	unsigned char data[]; /* ext area, then key */
};

#define CI_HITS_MAX ((1U << 28) - 1)
#define CI_SIZE_MAX ((UINT64_C(1) << 48) - 1)
#define CI_STATUS_MAX ((1U << 10) - 1)
#define CI_ECAP_MAX ((1U << 20) - 1)

/*
 * A chunk of same-sized slots, or one big object alone.  Chunks of a
 * size class with a free slot are chained through prev and next.
 */
struct ci_chunk {
	unsigned char *mem; /* NULL: the number is free, next chains it */
	uint32_t size; /* bytes a slot */
	uint16_t nslot;
	uint16_t nused;
	uint16_t free; /* a freed slot + 1, 0 = none; chained in the slots */
	uint16_t fresh; /* slots handed out from mem[] so far */
	uint32_t prev;
	uint32_t next;
};

#define CI_SLAB_MAX 2048 /* bytes; a bigger object gets a chunk alone */
#define CI_NCLASS (CI_SLAB_MAX / 8 + 1)

/* The table: open addressing, a 32-bit hash and an id a slot. */
struct ci_slot {
	uint32_t hv; /* 0 = empty */
	uint32_t id;
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
	uint32_t *mem; /* object ids */
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

	/* Object table. */
	struct ci_slot *slot;
	size_t nslot;
	size_t count;

	/* Objects' memory: chunks, and the size classes' free chunks. */
	struct ci_chunk *chunk;
	uint32_t nchunk;
	uint32_t achunk;
	uint32_t chunkused; /* chunks with memory */
	uint32_t chunkfree; /* a free chunk number, CI_NOID = none */
	uint32_t cls[CI_NCLASS]; /* CI_NOID = no chunk with room */

	/* Expiry heap, of ids. */
	uint32_t *heap;
	size_t nheap;
	size_t aheap;

	/*
	 * Tags: by name in ttbl[], by id in tagv[], whose odd entries are
	 * free ids, chained via tagfree.
	 */
	struct ci_slot *ttbl;
	size_t nttbl;
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

	/* Objects by vxid: none until the first nuke (see _vxid.c). */
	uint32_t *vx;
	size_t nvx;
	size_t nvxused;
	uint64_t nuked;

	size_t max_bytes;
	double half_life;
	size_t bytes;
	size_t key_bytes;
	uint64_t evictions;
	uint64_t expirations;
};

/*
 * Small enough to be inlined where the index's hot paths (put, the
 * heap's sifting, a tag's members) call them, from any of its files.
 */

static inline size_t
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

/*
 * FNV-1a over strings, finished with murmur3's fmix64 because FNV's low
 * bits, which pick the slot, are weak.  Never 0: that marks an empty
 * slot.
 */
#define CI_FNV_BASIS 0xcbf29ce484222325ULL
#define CI_FNV_PRIME 0x100000001b3ULL

static inline uint64_t
ci_fnv(uint64_t h, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		h = (h ^ *p) * CI_FNV_PRIME;
	return (h);
}

static inline uint32_t
ci_fmix(uint64_t h)
{
	uint32_t v;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	v = (uint32_t)h;
	return (v != 0 ? v : 1);
}

/*
 * An object from its id.  Ids come from the index's own tables only, and
 * this is the lookups' innermost step: no bounds check here; callers
 * check the object's magic.
 */
static inline struct ci_obj *
ci_obj(const struct cache_index *ci, uint32_t id)
{
	const struct ci_chunk *c;

	c = &ci->chunk[id >> CI_SLOT_BITS];
	return ((struct ci_obj *)(void *)(c->mem +
	    (size_t)(id & CI_SLOT_MASK) * c->size));
}

/* An object's id: every object is on the heap. */
static inline uint32_t
ci_id(const struct cache_index *ci, const struct ci_obj *o)
{
	assert(o->xidx < ci->nheap);
	return (ci->heap[o->xidx]);
}

static inline double
ci_t_origin(const struct ci_obj *o)
{
	/* Signed: x86-64 converts that in one instruction. */
	return ((double)(int64_t)((uint64_t)o->t_sec << 6 | o->t_frac) *
	    (1. / 64.));
}

static inline double
ci_deadline(const struct ci_obj *o)
{
	return (ci_t_origin(o) + (double)o->ttl + (double)o->grace +
	    (double)o->keep);
}

static inline double
ci_t_hit(const struct ci_obj *o)
{
	return (ci_t_origin(o) + (double)o->dt_hit);
}

static inline struct ci_tag *
ci_tagv(const struct cache_index *ci, uint32_t id)
{
	struct ci_tag *t;

	assert(id < ci->ntagv);
	AZ(ci->tagv[id] & 1);
	t = (struct ci_tag *)ci->tagv[id];
	CHECK_OBJ_NOTNULL(t, CI_TAG_MAGIC);
	return (t);
}

/* cache_index.c */
int ci_realloc(struct cache_index *, void *pp, size_t oldsz, size_t newsz);
void ci_slots_insert(struct ci_slot *, size_t nslot, uint32_t h, uint32_t id);
void ci_slots_delete(struct ci_slot *, size_t nslot, size_t i);
struct ci_tref *ci_trefs(const struct ci_obj *);

/* cache_index_slab.c */
void ci_slab_init(struct cache_index *);
void *ci_slab_alloc(struct cache_index *, size_t sz, uint32_t *id);
void ci_slab_free(struct cache_index *, uint32_t id);
void ci_slab_fini(struct cache_index *);

/* cache_index_expiry.c */
int ci_heap_reserve(struct cache_index *);
void ci_heap_insert(struct cache_index *, struct ci_obj *, uint32_t id);
void ci_heap_fix(struct cache_index *, struct ci_obj *);
void ci_heap_delete(struct cache_index *, const struct ci_obj *);

/* cache_index_tags.c */
struct ci_tag *ci_tag_find(const struct cache_index *, const char *name);
struct ci_tag *ci_tag_intern(struct cache_index *, const char *name);
void ci_tag_maybe_free(struct cache_index *, struct ci_tag *);
int ci_tag_reserve(struct cache_index *, struct ci_tag *);
uint32_t ci_tag_add(struct ci_tag *, uint32_t id);
void ci_tag_del(struct cache_index *, struct ci_tag *, uint32_t pos);

/* cache_index_esi.c */
void ci_esi_drop(struct cache_index *, struct ci_obj *);

/* cache_index_vxid.c */
int ci_vx_reserve(struct cache_index *);
void ci_vx_insert(struct cache_index *, const struct ci_obj *, uint32_t id);
void ci_vx_delete(struct cache_index *, const struct ci_obj *, uint32_t id);

/* cache_index_evict.c */
double
ci_decayed(const struct cache_index *, const struct ci_obj *, double now);
void ci_pool_drop(struct cache_index *, struct ci_obj *);
unsigned
ci_evict_one(struct cache_index *, double now, const struct ci_obj *keep);

#endif
