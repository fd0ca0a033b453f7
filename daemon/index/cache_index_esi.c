/*
 * cache_index: ESI links between parents and the children they include,
 * in a side table, as few objects have them.  See cache_index.c for how
 * the index is stored.
 */

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "cache_index_priv.h"

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
void
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
