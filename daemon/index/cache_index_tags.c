/*
 * cache_index: tags, interned once each, with the array of their member
 * objects.  See cache_index.c for how the index is stored.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "cache_index_priv.h"

/*--------------------------------------------------------------------
 * Tags
 */

#define CI_TNONE ((size_t)-1)
#define CI_TMIN 64 /* slots, power of two */

static uint32_t
ci_tag_hash(const char *name)
{
	return (ci_fmix(ci_fnv(CI_FNV_BASIS, name)));
}

static size_t
ci_ttbl_find(const struct cache_index *ci, uint32_t h, const char *name)
{
	const struct ci_slot *sl;
	size_t i, mask = ci->nttbl - 1;

	if (ci->nttbl == 0)
		return (CI_TNONE);
	for (i = h & mask; (sl = &ci->ttbl[i])->hv != 0; i = (i + 1) & mask)
		if (sl->hv == h && strcmp(ci_tagv(ci, sl->id)->name, name) == 0)
			return (i);
	return (CI_TNONE);
}

/* Room for one more tag: keep the load at most 3/4. */
static int
ci_ttbl_reserve(struct cache_index *ci)
{
	struct ci_slot *tbl;
	size_t i, n;

	if (ci->ndistinct + 1 <= ci->nttbl - ci->nttbl / 4)
		return (0);
	n = ci->nttbl == 0 ? CI_TMIN : ci->nttbl * 2;
	tbl = calloc(n, sizeof *tbl);
	if (tbl == NULL)
		return (-1);
	for (i = 0; i < ci->nttbl; i++)
		if (ci->ttbl[i].hv != 0)
			ci_slots_insert(tbl, n, ci->ttbl[i].hv, ci->ttbl[i].id);
	free(ci->ttbl);
	ci->bytes -= ci_msize(ci->nttbl * sizeof *tbl);
	ci->bytes += ci_msize(n * sizeof *tbl);
	ci->ttbl = tbl;
	ci->nttbl = n;
	return (0);
}

struct ci_tag *
ci_tag_find(const struct cache_index *ci, const char *name)
{
	size_t i;

	i = ci_ttbl_find(ci, ci_tag_hash(name), name);
	if (i == CI_TNONE)
		return (NULL);
	return (ci_tagv(ci, ci->ttbl[i].id));
}

struct ci_tag *
ci_tag_intern(struct cache_index *ci, const char *name)
{
	struct ci_tag *t;
	size_t len, n, i;
	uint32_t h;

	h = ci_tag_hash(name);
	i = ci_ttbl_find(ci, h, name);
	if (i != CI_TNONE)
		return (ci_tagv(ci, ci->ttbl[i].id));
	if (ci->tagfree == 0 && ci->ntagv == ci->atagv) {
		n = ci->atagv == 0 ? 63 : ci->atagv * 2 + 1;
		if (n > UINT32_MAX ||
		    ci_realloc(ci, &ci->tagv, ci->atagv * sizeof *ci->tagv,
		        n * sizeof *ci->tagv))
			return (NULL);
		ci->atagv = (uint32_t)n;
	}
	if (ci_ttbl_reserve(ci))
		return (NULL);
	len = strlen(name);
	t = malloc(sizeof *t + len + 1);
	if (t == NULL)
		return (NULL);
	INIT_OBJ(t, CI_TAG_MAGIC);
	memcpy(t->name, name, len + 1);
	if (ci->tagfree != 0) {
		t->id = ci->tagfree - 1;
		ci->tagfree = (uint32_t)(ci->tagv[t->id] >> 1);
	} else {
		t->id = ci->ntagv++;
	}
	ci->tagv[t->id] = (uintptr_t)t;
	ci_slots_insert(ci->ttbl, ci->nttbl, h, t->id);
	ci->ndistinct++;
	ci->bytes += ci_msize(sizeof *t + len + 1);
	return (t);
}

/* Free a tag nobody refers to any more. */
void
ci_tag_maybe_free(struct cache_index *ci, struct ci_tag *t)
{
	size_t i, mask;

	CHECK_OBJ_NOTNULL(t, CI_TAG_MAGIC);
	if (t->n > 0 || t->pin > 0)
		return;
	mask = ci->nttbl - 1;
	for (i = ci_tag_hash(t->name) & mask;; i = (i + 1) & mask) {
		AN(ci->ttbl[i].hv);
		if (ci->ttbl[i].id == t->id)
			break;
	}
	ci_slots_delete(ci->ttbl, ci->nttbl, i);
	ci->tagv[t->id] = ((uintptr_t)ci->tagfree << 1) | 1;
	ci->tagfree = t->id + 1;
	AZ(ci_realloc(ci, &t->mem, t->cap * sizeof *t->mem, 0));
	ci->bytes -= ci_msize(sizeof *t + strlen(t->name) + 1);
	FREE_OBJ(t);
	if (--ci->ndistinct == 0) {
		/* Back to the empty index's footprint. */
		AZ(ci_realloc(ci, &ci->tagv, ci->atagv * sizeof *ci->tagv, 0));
		AZ(ci_realloc(ci, &ci->ttbl, ci->nttbl * sizeof *ci->ttbl, 0));
		ci->ntagv = ci->atagv = ci->tagfree = 0;
		ci->nttbl = 0;
	}
}

/* Capacities of 4k - 2 ids fill glibc chunks exactly. */
static size_t
ci_tag_cap(size_t n)
{
	return (((n + 2 + 3) & ~(size_t)3) - 2);
}

int
ci_tag_reserve(struct cache_index *ci, struct ci_tag *t)
{
	size_t n;

	if (t->n < t->cap)
		return (0);
	/*
	 * Past 62 grow by a quarter rather than double: millions of
	 * memberships, most of them in tags of tens of members, and
	 * copying is still amortized O(1).
	 */
	if (t->cap < 62)
		n = t->cap == 0 ? 2 : (size_t)t->cap * 2 + 2;
	else
		n = ci_tag_cap((size_t)t->cap + t->cap / 4);
	if (n > UINT32_MAX ||
	    ci_realloc(ci, &t->mem, t->cap * sizeof *t->mem,
	        n * sizeof *t->mem))
		return (-1);
	t->cap = (uint32_t)n;
	return (0);
}

uint32_t
ci_tag_add(struct ci_tag *t, uint32_t id)
{
	assert(t->n < t->cap);
	t->mem[t->n] = id;
	return (t->n++);
}

/*
 * Drop member pos of t: the last member moves into its place, and we
 * tell that object its new position.  Frees t if it is now unused.
 */
void
ci_tag_del(struct cache_index *ci, struct ci_tag *t, uint32_t pos)
{
	struct ci_tref *tr;
	struct ci_obj *m;
	uint32_t last, n;
	unsigned u;

	assert(pos < t->n);
	last = t->n - 1;
	if (pos != last) {
		t->mem[pos] = t->mem[last];
		m = ci_obj(ci, t->mem[pos]);
		CHECK_OBJ_NOTNULL(m, CI_OBJ_MAGIC);
		tr = ci_trefs(m);
		for (u = 0; u < m->ntags && tr[u].id != t->id; u++)
			continue;
		assert(u < m->ntags && tr[u].pos == last);
		tr[u].pos = pos;
	}
	t->n = last;
	if (t->n > 0 && t->cap > 2 && t->n < t->cap / 4) {
		n = (uint32_t)ci_tag_cap(t->cap / 2);
		if (ci_realloc(ci, &t->mem, t->cap * sizeof *t->mem,
		        n * sizeof *t->mem) == 0)
			t->cap = n;
	}
	ci_tag_maybe_free(ci, t);
}

/*--------------------------------------------------------------------
 * Iteration
 */

/*
 * The member array is walked backwards: removing the current object
 * moves the last entry, already seen, into its place.  If more went,
 * restart from the (new) end rather than read past it.
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
		r = func(priv, ci_obj(ci, t->mem[i]));
	}
	t->pin--;
	ci_tag_maybe_free(ci, t);
	return (r);
}
