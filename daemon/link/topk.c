/*
 * Space-saving (topk.h): the counted keys in a hash table, by key, and
 * in a min-heap, by count, so that the least counted, which a newcomer
 * replaces, is at the top.  A count only grows, so a key moves down the
 * heap when counted again.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "topk.h"

struct tk_entry {
	unsigned magic;
#define TK_ENTRY_MAGIC 0x70b4e001
	char *key;
	uint64_t count, err;
	unsigned idx; /* in the heap */
	UT_hash_handle hh;
};

struct topk {
	unsigned magic;
#define TOPK_MAGIC 0x70b4e002
	unsigned cap, n;
	struct tk_entry **heap;
	struct tk_entry *byname;
};

struct topk *
topk_new(unsigned cap)
{
	struct topk *tk;

	assert(cap > 0);
	ALLOC_OBJ(tk, TOPK_MAGIC);
	AN(tk);
	tk->cap = cap;
	tk->heap = calloc(cap, sizeof *tk->heap);
	AN(tk->heap);
	return (tk);
}

static void
tk_swap(struct topk *tk, unsigned a, unsigned b)
{
	struct tk_entry *e = tk->heap[a];

	tk->heap[a] = tk->heap[b];
	tk->heap[b] = e;
	tk->heap[a]->idx = a;
	tk->heap[b]->idx = b;
}

static void
tk_sift_down(struct topk *tk, unsigned i)
{
	unsigned c;

	while ((c = 2 * i + 1) < tk->n) {
		if (c + 1 < tk->n &&
		    tk->heap[c + 1]->count < tk->heap[c]->count)
			c++;
		if (tk->heap[c]->count >= tk->heap[i]->count)
			return;
		tk_swap(tk, i, c);
		i = c;
	}
}

static void
tk_sift_up(struct topk *tk, unsigned i)
{
	while (i > 0 && tk->heap[i]->count < tk->heap[(i - 1) / 2]->count) {
		tk_swap(tk, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
tk_entry_free(struct tk_entry **ep)
{
	struct tk_entry *e;

	TAKE_OBJ_NOTNULL(e, ep, TK_ENTRY_MAGIC);
	free(e->key);
	FREE_OBJ(e);
}

void
topk_add(struct topk *tk, const char *key, uint64_t n)
{
	struct tk_entry *e;

	CHECK_OBJ_NOTNULL(tk, TOPK_MAGIC);
	AN(key);
	assert(n > 0);
	HASH_FIND_STR(tk->byname, key, e);
	if (e != NULL) {
		CHECK_OBJ(e, TK_ENTRY_MAGIC);
		e->count += n;
		tk_sift_down(tk, e->idx);
		return;
	}
	if (tk->n < tk->cap) {
		ALLOC_OBJ(e, TK_ENTRY_MAGIC);
		AN(e);
		e->idx = tk->n;
		tk->heap[tk->n++] = e;
	} else {
		/* The least counted gives its place, and its count. */
		e = tk->heap[0];
		CHECK_OBJ_NOTNULL(e, TK_ENTRY_MAGIC);
		HASH_DEL(tk->byname, e);
		free(e->key);
		e->err = e->count;
	}
	e->key = strdup(key);
	AN(e->key);
	e->count += n;
	HASH_ADD_KEYPTR(hh, tk->byname, e->key, strlen(e->key), e);
	tk_sift_up(tk, e->idx);
	tk_sift_down(tk, e->idx);
}

unsigned
topk_len(const struct topk *tk)
{
	CHECK_OBJ_NOTNULL(tk, TOPK_MAGIC);
	return (tk->n);
}

/* Most counted first; of equals, the surer, then by key. */
static int
tk_cmp(const void *a, const void *b)
{
	const struct tk_entry *x = *(struct tk_entry *const *)a;
	const struct tk_entry *y = *(struct tk_entry *const *)b;

	if (x->count != y->count)
		return (x->count > y->count ? -1 : 1);
	if (x->err != y->err)
		return (x->err < y->err ? -1 : 1);
	return (strcmp(x->key, y->key));
}

unsigned
topk_take(struct topk *tk, unsigned most, topk_f *cb, void *priv)
{
	unsigned u, n;

	CHECK_OBJ_NOTNULL(tk, TOPK_MAGIC);
	AN(cb);
	qsort(tk->heap, tk->n, sizeof *tk->heap, tk_cmp);
	n = most < tk->n ? most : tk->n;
	for (u = 0; u < n; u++)
		cb(priv, tk->heap[u]->key, tk->heap[u]->count,
		    tk->heap[u]->err);
	for (u = 0; u < tk->n; u++) {
		HASH_DEL(tk->byname, tk->heap[u]);
		tk_entry_free(&tk->heap[u]);
	}
	AZ(tk->byname);
	tk->n = 0;
	return (n);
}

void
topk_free(struct topk **tkp)
{
	struct topk *tk;
	unsigned u;

	TAKE_OBJ_NOTNULL(tk, tkp, TOPK_MAGIC);
	for (u = 0; u < tk->n; u++) {
		HASH_DEL(tk->byname, tk->heap[u]);
		tk_entry_free(&tk->heap[u]);
	}
	free(tk->heap);
	FREE_OBJ(tk);
}
