/*
 * cache_index: where objects live.  A malloc() an object would cost 8
 * bytes of chunk header and up to 15 of rounding, and a pointer to it 8
 * bytes in each of the table, the heap and every tag it has; at a
 * million objects that is most of the index.
 *
 * So objects live in slabs: chunks of about CI_CHUNK_BYTES cut into
 * slots of one size, a multiple of 8, one size class per multiple up to
 * CI_SLAB_MAX; a bigger object gets a chunk of its own.  An object is
 * named by a 32-bit id, its chunk number and slot (ci_obj() in
 * cache_index_priv.h), and it never moves: callers keep pointers.  Ids
 * allow 2^22 - 1 chunks, 256 GiB of small objects or 4M big ones; past
 * that ci_put() fails with ENOMEM.
 *
 * A class chains its chunks that have a free slot; a chunk hands out its
 * freed slots first (chained through their first bytes), then the ones
 * it never gave out, and goes back to malloc once empty.  Under ASan the
 * slots not in use are poisoned, so a stale object pointer is caught
 * where it is read.
 *
 * ci->bytes counts the slots in use, which is what eviction frees: a
 * partly used chunk's free slots, at most a chunk a class, are not
 * counted.
 */

#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "cache_index_priv.h"

#define CI_CHUNK_BYTES (64 * 1024)
#define CI_MAX_CHUNKS ((UINT32_C(1) << (32 - CI_SLOT_BITS)) - 1)

void
ci_slab_init(struct cache_index *ci)
{
	unsigned u;

	ci->chunkfree = CI_NOID;
	for (u = 0; u < CI_NCLASS; u++)
		ci->cls[u] = CI_NOID;
}

/*--------------------------------------------------------------------
 * Chunk numbers
 */

static uint32_t
ci_chunk_number(struct cache_index *ci)
{
	uint32_t n;
	size_t a;

	if (ci->chunkfree != CI_NOID) {
		n = ci->chunkfree;
		ci->chunkfree = ci->chunk[n].next;
		return (n);
	}
	if (ci->nchunk == ci->achunk) {
		a = ci->achunk == 0 ? 16 : (size_t)ci->achunk * 2;
		if (a > CI_MAX_CHUNKS)
			a = CI_MAX_CHUNKS;
		if (a == ci->achunk ||
		    ci_realloc(ci, &ci->chunk, ci->achunk * sizeof *ci->chunk,
		        a * sizeof *ci->chunk))
			return (CI_NOID);
		ci->achunk = (uint32_t)a;
	}
	return (ci->nchunk++);
}

/* The last chunk gone, so is the array: an empty index's footprint. */
static void
ci_chunk_release(struct cache_index *ci, uint32_t n)
{
	struct ci_chunk *c = &ci->chunk[n];

	memset(c, 0, sizeof *c);
	c->next = ci->chunkfree;
	ci->chunkfree = n;
	AN(ci->chunkused);
	if (--ci->chunkused > 0)
		return;
	AZ(ci_realloc(ci, &ci->chunk, ci->achunk * sizeof *ci->chunk, 0));
	ci->nchunk = ci->achunk = 0;
	ci->chunkfree = CI_NOID;
}

/*--------------------------------------------------------------------
 * A class's chunks with room
 */

static void
ci_class_link(struct cache_index *ci, uint32_t n)
{
	struct ci_chunk *c = &ci->chunk[n];
	uint32_t *head = &ci->cls[c->size / 8];

	c->prev = CI_NOID;
	c->next = *head;
	if (*head != CI_NOID)
		ci->chunk[*head].prev = n;
	*head = n;
}

static void
ci_class_unlink(struct cache_index *ci, uint32_t n)
{
	struct ci_chunk *c = &ci->chunk[n];

	if (c->prev != CI_NOID)
		ci->chunk[c->prev].next = c->next;
	else
		ci->cls[c->size / 8] = c->next;
	if (c->next != CI_NOID)
		ci->chunk[c->next].prev = c->prev;
	c->prev = c->next = CI_NOID;
}

static uint32_t
ci_chunk_new(struct cache_index *ci, size_t sz, size_t nslot)
{
	struct ci_chunk *c;
	unsigned char *mem;
	uint32_t n;

	assert(nslot >= 1 && nslot <= CI_SLOT_MASK + 1);
	mem = malloc(sz * nslot);
	if (mem == NULL)
		return (CI_NOID);
	n = ci_chunk_number(ci);
	if (n == CI_NOID) {
		free(mem);
		return (CI_NOID);
	}
	ci->chunkused++;
	c = &ci->chunk[n];
	c->mem = mem;
	c->size = (uint32_t)sz;
	c->nslot = (uint16_t)nslot;
	c->nused = c->free = c->fresh = 0;
	c->prev = c->next = CI_NOID;
	ASAN_POISON_MEMORY_REGION(mem, sz * nslot);
	return (n);
}

static void
ci_chunk_free(struct cache_index *ci, uint32_t n)
{
	struct ci_chunk *c = &ci->chunk[n];

	ASAN_UNPOISON_MEMORY_REGION(c->mem, (size_t)c->size * c->nslot);
	free(c->mem);
	ci_chunk_release(ci, n);
}

/*--------------------------------------------------------------------
 * Slots
 */

static size_t
ci_slot_bytes(const struct ci_chunk *c)
{
	/* A big object is a malloc() of its own: count it as one. */
	if (c->size > CI_SLAB_MAX)
		return (ci_msize(c->size));
	return (c->size);
}

/* sz bytes, a multiple of 8, and their id; NULL when out of memory. */
void *
ci_slab_alloc(struct cache_index *ci, size_t sz, uint32_t *id)
{
	struct ci_chunk *c;
	unsigned char *p;
	uint32_t n, s, link;
	size_t nslot;

	AN(id);
	assert(sz > 0 && sz % 8 == 0 && sz <= UINT32_MAX);
	if (sz > CI_SLAB_MAX) {
		n = ci_chunk_new(ci, sz, 1);
	} else {
		n = ci->cls[sz / 8];
		if (n == CI_NOID) {
			nslot = CI_CHUNK_BYTES / sz;
			if (nslot > CI_SLOT_MASK + 1)
				nslot = CI_SLOT_MASK + 1;
			n = ci_chunk_new(ci, sz, nslot);
			if (n != CI_NOID)
				ci_class_link(ci, n);
		}
	}
	if (n == CI_NOID)
		return (NULL);
	c = &ci->chunk[n];
	if (c->free != 0) {
		s = c->free - 1u;
		p = c->mem + (size_t)s * c->size;
		ASAN_UNPOISON_MEMORY_REGION(p, c->size);
		memcpy(&link, p, sizeof link);
		c->free = (uint16_t)link;
	} else {
		assert(c->fresh < c->nslot);
		s = c->fresh++;
		p = c->mem + (size_t)s * c->size;
		ASAN_UNPOISON_MEMORY_REGION(p, c->size);
	}
	if (++c->nused == c->nslot && c->size <= CI_SLAB_MAX)
		ci_class_unlink(ci, n);
	ci->bytes += ci_slot_bytes(c);
	*id = (n << CI_SLOT_BITS) | s;
	return (p);
}

/*
 * Give slot id back.  The link to the next free slot overwrites the
 * magic; the rest of the slot is poisoned.
 */
void
ci_slab_free(struct cache_index *ci, uint32_t id)
{
	struct ci_chunk *c;
	unsigned char *p;
	uint32_t n = id >> CI_SLOT_BITS, s = id & CI_SLOT_MASK, link;

	assert(n < ci->nchunk);
	c = &ci->chunk[n];
	AN(c->mem);
	assert(s < c->fresh || c->size > CI_SLAB_MAX);
	assert(c->nused > 0);
	ci->bytes -= ci_slot_bytes(c);
	if (c->size > CI_SLAB_MAX) {
		ci_chunk_free(ci, n);
		return;
	}
	if (c->nused-- == c->nslot)
		ci_class_link(ci, n);
	if (c->nused == 0) {
		ci_class_unlink(ci, n);
		ci_chunk_free(ci, n);
		return;
	}
	p = c->mem + (size_t)s * c->size;
	link = c->free;
	memcpy(p, &link, sizeof link);
	ASAN_POISON_MEMORY_REGION(p + sizeof link, c->size - sizeof link);
	c->free = (uint16_t)(s + 1);
}

/* Free every chunk; the objects in them are gone with them. */
void
ci_slab_fini(struct cache_index *ci)
{
	uint32_t n;

	for (n = 0; n < ci->nchunk; n++) {
		if (ci->chunk[n].mem == NULL)
			continue;
		ASAN_UNPOISON_MEMORY_REGION(ci->chunk[n].mem,
		    (size_t)ci->chunk[n].size * ci->chunk[n].nslot);
		free(ci->chunk[n].mem);
	}
	free(ci->chunk);
	ci->chunk = NULL;
	ci->nchunk = ci->achunk = ci->chunkused = 0;
	ci->chunkfree = CI_NOID;
}
