/*
 * cache_index: eviction by sampling, and the decayed popularity it goes
 * by.  See cache_index.c for how the index is stored.
 */

#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "cache_index_priv.h"

#define CI_SAMPLES 16

/*--------------------------------------------------------------------
 * Value
 */

double
ci_decayed(const struct cache_index *ci, const struct ci_obj *o, double now)
{
	double dt;

	dt = now - ci_t_hit(o);
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
 * Eviction
 */

void
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
unsigned
ci_evict_one(struct cache_index *ci, double now, const struct ci_obj *keep)
{
	/* The pool's values and last hits, computed once a round. */
	double pv[CI_POOL], pt[CI_POOL], v, t;
	struct ci_obj *o;
	size_t i, k, seen, mask = ci->nslot - 1;
	unsigned u, w, best;

	for (u = 0; u < ci->npool; u++) {
		pv[u] = ci_decayed(ci, ci->pool[u], now);
		pt[u] = ci_t_hit(ci->pool[u]);
	}
	i = ci_rand(ci) & mask;
	for (k = seen = 0; k < ci->nslot && seen < CI_SAMPLES;
	     k++, i = (i + 1) & mask) {
		if (ci->slot[i].hv == 0)
			continue;
		o = ci_obj(ci, ci->slot[i].id);
		seen++;
		if (o == keep || (o->flags & CI_F_POOL))
			continue;
		v = ci_decayed(ci, o, now);
		t = ci_t_hit(o);
		if (ci->npool < CI_POOL) {
			u = ci->npool++;
		} else {
			/* Replace the pool's most valuable, if o is worse. */
			for (w = 0, u = 1; u < CI_POOL; u++)
				if (ci_worse(pv[w], pt[w], pv[u], pt[u]))
					w = u;
			if (!ci_worse(v, t, pv[w], pt[w]))
				continue;
			ci->pool[w]->flags &= ~CI_F_POOL;
			u = w;
		}
		ci->pool[u] = o;
		pv[u] = v;
		pt[u] = t;
		o->flags |= CI_F_POOL;
	}
	best = CI_POOL;
	for (u = 0; u < ci->npool; u++) {
		if (ci->pool[u] == keep)
			continue;
		if (best == CI_POOL ||
		    ci_worse(pv[u], pt[u], pv[best], pt[best]))
			best = u;
	}
	if (best == CI_POOL)
		return (0);
	ci_remove(ci, ci->pool[best]);
	ci->evictions++;
	return (1);
}
