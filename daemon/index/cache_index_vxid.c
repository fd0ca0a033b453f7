/*
 * Objects by Varnish vxid, for what Varnish evicts for space: its log
 * names a nuked object by nothing but the vxid of the fetch that made it
 * ("ExpKill LRU x=VXID", with vsl_mask=+ExpKill).
 *
 * Most caches never nuke, or do not log it, so the table costs nothing
 * until the first ci_remove_vxid(): that one builds it from the objects
 * indexed, and from then on ci_put() and ci_remove() keep it.  It is
 * open addressing on the object ids alone (the vxid is read from the
 * object), max load 3/4, deleted by backward shift as the object
 * table is.  Objects of unknown vxid (0) are not in it; should two
 * objects share one (the counter wrapped), the later one is found.
 */

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "cache_index_priv.h"

#define CI_VX_MIN 64 /* slots, power of two */

static size_t
ci_vx_home(const struct cache_index *ci, uint64_t vxid)
{
	/* Fibonacci hashing: vxids come in runs, the high bits spread. */
	return ((size_t)((vxid * 0x9e3779b97f4a7c15ULL) >> 32) & (ci->nvx - 1));
}

static uint64_t
ci_vx_of(const struct cache_index *ci, uint32_t id)
{
	return (ci_obj(ci, id)->vxid);
}

static void
ci_vx_put(struct cache_index *ci, uint64_t vxid, uint32_t id)
{
	size_t i, mask = ci->nvx - 1;

	for (i = ci_vx_home(ci, vxid); ci->vx[i] != CI_NOID;
	     i = (i + 1) & mask) {
		if (ci_vx_of(ci, ci->vx[i]) == vxid) {
			ci->vx[i] = id;
			return;
		}
	}
	ci->vx[i] = id;
	ci->nvxused++;
}

static int
ci_vx_resize(struct cache_index *ci, size_t n)
{
	uint32_t *old = ci->vx;
	size_t i, nold = ci->nvx;

	assert(n >= CI_VX_MIN && (n & (n - 1)) == 0);
	ci->vx = malloc(n * sizeof *ci->vx);
	if (ci->vx == NULL) {
		ci->vx = old;
		return (-1);
	}
	memset(ci->vx, 0xff, n * sizeof *ci->vx); /* all CI_NOID */
	ci->nvx = n;
	ci->nvxused = 0;
	for (i = 0; i < nold; i++)
		if (old[i] != CI_NOID)
			ci_vx_put(ci, ci_vx_of(ci, old[i]), old[i]);
	free(old);
	ci->bytes -= ci_msize(nold * sizeof *ci->vx);
	ci->bytes += ci_msize(n * sizeof *ci->vx);
	return (0);
}

/* Room for one more; nothing to do while there is no table. */
int
ci_vx_reserve(struct cache_index *ci)
{
	if (ci->vx == NULL || ci->nvxused + 1 <= ci->nvx - ci->nvx / 4)
		return (0);
	return (ci_vx_resize(ci, ci->nvx * 2));
}

void
ci_vx_insert(struct cache_index *ci, const struct ci_obj *o, uint32_t id)
{
	CHECK_OBJ_NOTNULL(o, CI_OBJ_MAGIC);
	if (ci->vx == NULL || o->vxid == 0)
		return;
	assert(ci->nvxused < ci->nvx);
	ci_vx_put(ci, o->vxid, id);
}

/* o leaves the table (removed, or fetched again under a new vxid). */
void
ci_vx_delete(struct cache_index *ci, const struct ci_obj *o, uint32_t id)
{
	size_t i, j, k, mask;

	if (ci->vx == NULL || o->vxid == 0)
		return;
	mask = ci->nvx - 1;
	for (i = ci_vx_home(ci, o->vxid); ci->vx[i] != id; i = (i + 1) & mask)
		if (ci->vx[i] == CI_NOID)
			return; /* a later object took its vxid */
	ci->nvxused--;
	for (;;) {
		ci->vx[i] = CI_NOID;
		j = i;
		for (;;) {
			j = (j + 1) & mask;
			if (ci->vx[j] == CI_NOID)
				return;
			k = ci_vx_home(ci, ci_vx_of(ci, ci->vx[j]));
			/* Stays if its home k is cyclically in (i, j]. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		ci->vx[i] = ci->vx[j];
		i = j;
	}
}

static int
ci_vx_build(struct cache_index *ci)
{
	size_t n, i;

	for (n = CI_VX_MIN; n - n / 4 <= ci->count; n *= 2)
		continue;
	if (ci_vx_resize(ci, n))
		return (-1);
	for (i = 0; i < ci->nslot; i++)
		if (ci->slot[i].hv != 0)
			ci_vx_insert(ci, ci_obj(ci, ci->slot[i].id),
			    ci->slot[i].id);
	return (0);
}

int
ci_remove_vxid(struct cache_index *ci, uint64_t vxid)
{
	struct ci_obj *o;
	size_t i, mask;
	uint32_t id;

	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	AZ(ci->tbl_busy);
	if (vxid == 0)
		return (0);
	if (ci->vx == NULL && ci_vx_build(ci)) {
		errno = ENOMEM;
		return (-1);
	}
	mask = ci->nvx - 1;
	for (i = ci_vx_home(ci, vxid); (id = ci->vx[i]) != CI_NOID;
	     i = (i + 1) & mask) {
		o = ci_obj(ci, id);
		if (o->vxid != vxid)
			continue;
		ci_remove(ci, o);
		ci->nuked++;
		return (1);
	}
	return (0);
}

uint64_t
ci_nuked(const struct cache_index *ci)
{
	CHECK_OBJ_NOTNULL(ci, CI_MAGIC);
	return (ci->nuked);
}
