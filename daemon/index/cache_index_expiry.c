/*
 * cache_index: expiry.  A binary min-heap of object pointers on their
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
 * Deadlines
 */

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
int
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

void
ci_heap_insert(struct cache_index *ci, struct ci_obj *o)
{
	assert(ci->nheap < ci->aheap);
	ci_heap_set(ci, ci->nheap++, o);
	ci_heap_up(ci, o->xidx);
}

void
ci_heap_fix(struct cache_index *ci, const struct ci_obj *o)
{
	ci_heap_up(ci, o->xidx);
	ci_heap_down(ci, o->xidx);
}

void
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
