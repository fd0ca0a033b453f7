/*
 * Visitor traffic (traffic.h): one cell per minute and host, found by a
 * hash of both, and what visitors ask for most beside (popular.h).  A
 * visitor names the Host, so the cells are capped: past TRAFFIC_CELLS
 * in one period, new hosts are not counted (the minute's known hosts
 * still are).
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "popular.h"
#include "traffic.h"

#define TRAFFIC_CELLS 10000
#define TRAFFIC_HOST_MAX 255

enum tr_reason {
	TR_SET_COOKIE,
	TR_NO_CACHE,
	TR_PRIVATE,
	TR_ZERO_TTL,
	TR_STATUS,
	TR_OTHER,
	TR__MAX
};

static const char *const tr_reason_name[TR__MAX] = {
	[TR_SET_COOKIE] = "set_cookie",
	[TR_NO_CACHE] = "no_cache",
	[TR_PRIVATE] = "private",
	[TR_ZERO_TTL] = "zero_ttl",
	[TR_STATUS] = "status",
	[TR_OTHER] = "other",
};

struct tr_cell {
	unsigned magic;
#define TR_CELL_MAGIC 0x7a11c0de
	char *id; /* "MINUTE HOST" */
	int64_t minute;
	const char *host; /* in id */
	uint64_t hits, misses, passes;
	uint64_t uncacheable[TR__MAX];
	UT_hash_handle hh;
};

struct traffic {
	unsigned magic;
#define TRAFFIC_MAGIC 0x7a11c0df
	struct tr_cell *cells;
	unsigned ncell;
	uint32_t warm_vxid; /* the last warm request's: not a visitor */
	struct popular *popular;
	double popular_every, popular_last;
};

struct traffic *
traffic_new(double popular_every)
{
	struct traffic *tr;

	assert(popular_every > 0);
	ALLOC_OBJ(tr, TRAFFIC_MAGIC);
	AN(tr);
	tr->popular = popular_new();
	tr->popular_every = popular_every;
	return (tr);
}

static struct tr_cell *
tr_cell(struct traffic *tr, double now, const char *host)
{
	char id[TRAFFIC_HOST_MAX + 32];
	struct tr_cell *c;
	int64_t minute;
	int n;

	if (host == NULL || strlen(host) > TRAFFIC_HOST_MAX)
		return (NULL);
	minute = (int64_t)(now / 60) * 60;
	n = snprintf(id, sizeof id, "%jd %s", (intmax_t)minute, host);
	assert(n > 0 && (size_t)n < sizeof id);
	HASH_FIND_STR(tr->cells, id, c);
	if (c != NULL)
		return (c);
	if (tr->ncell >= TRAFFIC_CELLS)
		return (NULL);
	ALLOC_OBJ(c, TR_CELL_MAGIC);
	AN(c);
	c->id = strdup(id);
	AN(c->id);
	c->minute = minute;
	c->host = strchr(c->id, ' ') + 1;
	HASH_ADD_KEYPTR(hh, tr->cells, c->id, strlen(c->id), c);
	tr->ncell++;
	return (c);
}

/* Why Varnish did not keep a fetch, as far as its log says. */
static enum tr_reason
tr_reason_of(const struct ev_fetch *f)
{
	const char *cc = f->cache_control;

	if (f->set_cookie)
		return (TR_SET_COOKIE);
	if (cc != NULL && strstr(cc, "private") != NULL)
		return (TR_PRIVATE);
	if (cc != NULL &&
	    (strstr(cc, "no-cache") != NULL || strstr(cc, "no-store") != NULL))
		return (TR_NO_CACHE);
	if (f->status >= 300 && f->status != 301 && f->status != 404)
		return (TR_STATUS);
	if (f->ttl <= 0)
		return (TR_ZERO_TTL);
	return (TR_OTHER);
}

void
traffic_event(void *priv, const struct event_rec *ev)
{
	struct traffic *tr;
	struct tr_cell *c;
	double t;

	CAST_OBJ_NOTNULL(tr, priv, TRAFFIC_MAGIC);
	AN(ev);
	if (ev->type == EV_WARM) {
		tr->warm_vxid = ev->vxid;
		return;
	}
	if (ev->type != EV_HIT && ev->type != EV_MISS && ev->type != EV_PASS &&
	    (ev->type != EV_FETCH || ev->u.fetch.cacheable ||
	        ev->u.fetch.failed))
		return;
	/* A warm request's records come before its hit, miss or fetch. */
	if (ev->vxid != 0 && ev->vxid == tr->warm_vxid)
		return;
	t = ev->t_logged > 0 ? ev->t_logged : ev->now;
	if (ev->type != EV_FETCH)
		popular_count(tr->popular, t, ev->key.host, ev->key.url);
	c = tr_cell(tr, t, ev->key.host);
	if (c == NULL)
		return;
	switch (ev->type) {
	case EV_HIT:
		c->hits++;
		break;
	case EV_MISS:
		c->misses++;
		break;
	case EV_PASS:
		c->passes++;
		break;
	default:
		c->uncacheable[tr_reason_of(&ev->u.fetch)]++;
		break;
	}
}

static json_t *
tr_cell_json(const struct tr_cell *c)
{
	json_t *o, *u;
	unsigned i;

	u = json_object();
	AN(u);
	for (i = 0; i < TR__MAX; i++)
		if (c->uncacheable[i] > 0)
			AZ(json_object_set_new(u, tr_reason_name[i],
			    json_integer((json_int_t)c->uncacheable[i])));
	o = json_pack("{s:I, s:s, s:I, s:I, s:I, s:o}", "minute",
	    (json_int_t)c->minute, "host", c->host, "hits", (json_int_t)c->hits,
	    "misses", (json_int_t)c->misses, "passes", (json_int_t)c->passes,
	    "uncacheable", u);
	AN(o);
	return (o);
}

json_t *
traffic_take(struct traffic *tr)
{
	struct tr_cell *c, *c2;
	json_t *a;

	CHECK_OBJ_NOTNULL(tr, TRAFFIC_MAGIC);
	if (tr->cells == NULL)
		return (NULL);
	a = json_array();
	AN(a);
	HASH_ITER(hh, tr->cells, c, c2)
	{
		AZ(json_array_append_new(a, tr_cell_json(c)));
		HASH_DEL(tr->cells, c);
		free(c->id);
		FREE_OBJ(c);
	}
	tr->ncell = 0;
	return (a);
}

int
traffic_take_popular(struct traffic *tr, double now, json_t **paths,
    json_t **searches)
{
	CHECK_OBJ_NOTNULL(tr, TRAFFIC_MAGIC);
	AN(paths);
	AN(searches);
	*paths = *searches = NULL;
	if (tr->popular_last == 0)
		tr->popular_last = now;
	if (now - tr->popular_last < tr->popular_every)
		return (0);
	tr->popular_last = now;
	popular_take(tr->popular, paths, searches);
	return (*paths != NULL || *searches != NULL);
}

void
traffic_free(struct traffic **trp)
{
	struct traffic *tr;
	json_t *a;

	TAKE_OBJ_NOTNULL(tr, trp, TRAFFIC_MAGIC);
	a = traffic_take(tr);
	json_decref(a);
	popular_free(&tr->popular);
	FREE_OBJ(tr);
}
