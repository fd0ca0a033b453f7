/*
 * cache_index: expiry.  A binary min-heap of object ids on their
 * deadline, t_origin + ttl + grace + keep; each object knows its heap
 * index.  See cache_index.c for how the index is stored.
 */

#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "cache_index_priv.h"

/*--------------------------------------------------------------------
 * Expiry heap
 */

static void
ci_heap_set(struct cache_index *ci, size_t i, struct ci_obj *o, uint32_t id)
{
	ci->heap[i] = id;
	o->xidx = (uint32_t)i;
}

static void
ci_heap_up(struct cache_index *ci, size_t i, struct ci_obj *o, uint32_t id)
{
	struct ci_obj *po;
	double d = ci_deadline(o);
	size_t p;

	while (i > 0) {
		p = (i - 1) / 2;
		po = ci_obj(ci, ci->heap[p]);
		if (ci_deadline(po) <= d)
			break;
		ci_heap_set(ci, i, po, ci->heap[p]);
		i = p;
	}
	ci_heap_set(ci, i, o, id);
}

static void
ci_heap_down(struct cache_index *ci, size_t i, struct ci_obj *o, uint32_t id)
{
	struct ci_obj *oc, *o2;
	double d = ci_deadline(o), dc, d2;
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= ci->nheap)
			break;
		oc = ci_obj(ci, ci->heap[c]);
		dc = ci_deadline(oc);
		if (c + 1 < ci->nheap) {
			o2 = ci_obj(ci, ci->heap[c + 1]);
			d2 = ci_deadline(o2);
			if (d2 < dc) {
				c++;
				oc = o2;
				dc = d2;
			}
		}
		if (d <= dc)
			break;
		ci_heap_set(ci, i, oc, ci->heap[c]);
		i = c;
	}
	ci_heap_set(ci, i, o, id);
}

/* o, of that id, is at its index: sift it up or down. */
static void
ci_heap_place(struct cache_index *ci, struct ci_obj *o, uint32_t id)
{
	size_t i = o->xidx;

	ci_heap_up(ci, i, o, id);
	if (o->xidx == i)
		ci_heap_down(ci, i, o, id);
}

/* Capacities of 2^k - 2 ids fill glibc chunks exactly. */
int
ci_heap_reserve(struct cache_index *ci)
{
	size_t n;

	if (ci->nheap < ci->aheap)
		return (0);
	n = ci->aheap == 0 ? 14 : ci->aheap * 2 + 2;
	if (n > UINT32_MAX)
		return (-1);
	if (ci_realloc(ci, &ci->heap, ci->aheap * sizeof *ci->heap,
	        n * sizeof *ci->heap))
		return (-1);
	ci->aheap = n;
	return (0);
}

void
ci_heap_insert(struct cache_index *ci, struct ci_obj *o, uint32_t id)
{
	assert(ci->nheap < ci->aheap);
	ci_heap_up(ci, ci->nheap++, o, id);
}

void
ci_heap_fix(struct cache_index *ci, struct ci_obj *o)
{
	ci_heap_place(ci, o, ci->heap[o->xidx]);
}

void
ci_heap_delete(struct cache_index *ci, const struct ci_obj *o)
{
	struct ci_obj *last;
	size_t i = o->xidx, n;
	uint32_t id;

	assert(i < ci->nheap);
	id = ci->heap[--ci->nheap];
	if (i < ci->nheap) {
		last = ci_obj(ci, id);
		last->xidx = (uint32_t)i;
		ci_heap_place(ci, last, id);
	}
	if (ci->nheap == 0)
		n = 0;
	else if (ci->aheap > 14 && ci->nheap < ci->aheap / 4)
		n = (ci->aheap - 2) / 2;
	else
		return;
	if (ci_realloc(ci, &ci->heap, ci->aheap * sizeof *ci->heap,
	        n * sizeof *ci->heap) == 0)
		ci->aheap = n;
}
