/*
 * JSON answers about the index and the journal of invalidations.  Reads
 * only: the index is changed by events alone.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "index/cache_index.h"
#include "index/index_apply.h"
#include "index/journal.h"
#include "node/instance.h"
#include "api_index.h"
#include "http_api.h"
#include "routes.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 10000

/* What a listing collects as it walks the index. */
struct listing {
	unsigned magic;
#define LISTING_MAGIC 0x5e1d3a77
	const struct cache_index *ci;
	const char *url; /* filter, for a URL without a host */
	json_t *objects;
	unsigned limit;
	unsigned long matched;
	double now;
};

static json_t *
obj_json(const struct cache_index *ci, const struct ci_obj *o, double now)
{
	struct ci_attrs a = ci_attrs(o);
	json_t *tags = json_array(), *j;
	unsigned i;

	for (i = 0; i < ci_ntags(o); i++)
		json_array_append_new(tags, json_string(ci_tag(ci, o, i)));
	j = json_pack("{s:s,s:s,s:s,s:i,s:I,s:f,s:f,s:f,s:f,s:f,s:I,s:f,s:I,"
	              "s:o}",
	    "host", ci_host(o), "url", ci_url(o), "variant", ci_variant(o),
	    "status", (int)a.status, "size", (json_int_t)a.size, "fetched",
	    a.t_origin, "ttl", a.ttl, "ttl_left", a.t_origin + a.ttl - now,
	    "grace", a.grace, "keep", a.keep, "hits", (json_int_t)ci_hits(o),
	    "popularity", ci_popularity(ci, o, now), "vxid", (json_int_t)a.vxid,
	    "tags", tags);
	AN(j);
	return (j);
}

static int
list_one(void *priv, struct ci_obj *o)
{
	struct listing *l;

	CAST_OBJ_NOTNULL(l, priv, LISTING_MAGIC);
	if (l->url != NULL && strcmp(ci_url(o), l->url) != 0)
		return (0);
	l->matched++;
	if (json_array_size(l->objects) < l->limit)
		json_array_append_new(l->objects, obj_json(l->ci, o, l->now));
	return (0);
}

/* ?instance=NAME, the first by default; NULL when there is no such. */
static struct instance *
pick(const struct api_ctx *ctx, const struct api_req *r)
{
	const char *name = api_query(r, "instance");
	unsigned i;

	if (name == NULL)
		return (ctx->inst[0]);
	for (i = 0; i < ctx->ninst; i++)
		if (!strcmp(instance_name(ctx->inst[i]), name))
			return (ctx->inst[i]);
	return (NULL);
}

static int
limit_of(const struct api_req *r, unsigned *limit)
{
	int64_t l;

	if (api_query_int(r, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX, &l) != 0)
		return (-1);
	*limit = (unsigned)l;
	return (0);
}

void
api_index_get(struct api_req *r, void *priv)
{
	const char *tag, *url, *host;
	struct api_ctx *ctx;
	struct instance *inst;
	struct cache_index *ci;
	struct listing l;
	json_t *body;

	CAST_OBJ_NOTNULL(ctx, priv, API_CTX_MAGIC);
	inst = pick(ctx, r);
	if (inst == NULL) {
		http_api_reply(r, 404, NULL, "no such instance");
		return;
	}
	INIT_OBJ(&l, LISTING_MAGIC);
	if (limit_of(r, &l.limit) != 0) {
		http_api_reply(r, 400, NULL, "limit must be 1 to 10000");
		return;
	}
	tag = api_query(r, "tag");
	url = api_query(r, "url");
	host = api_query(r, "host");
	if (tag != NULL && url != NULL) {
		http_api_reply(r, 400, NULL, "give tag or url, not both");
		return;
	}
	ci = index_apply_index(instance_apply(inst));
	l.ci = ci;
	l.now = VTIM_real();
	l.objects = json_array();
	AN(l.objects);
	if (tag != NULL)
		(void)ci_foreach_tag(ci, tag, list_one, &l);
	else if (url != NULL && host != NULL)
		(void)ci_foreach_url(ci, host, url, list_one, &l);
	else {
		l.url = url;
		(void)ci_foreach(ci, list_one, &l);
	}
	body = json_pack("{s:s,s:I,s:I,s:o}", "instance", instance_name(inst),
	    "objects_total", (json_int_t)ci_count(ci), "matched",
	    (json_int_t)l.matched, "objects", l.objects);
	http_api_reply(r, 200, body, NULL);
}

void
api_invalidations_get(struct api_req *r, void *priv)
{
	struct api_ctx *ctx;
	struct instance *inst;
	unsigned limit;

	CAST_OBJ_NOTNULL(ctx, priv, API_CTX_MAGIC);
	inst = pick(ctx, r);
	if (inst == NULL) {
		http_api_reply(r, 404, NULL, "no such instance");
		return;
	}
	if (limit_of(r, &limit) != 0) {
		http_api_reply(r, 400, NULL, "limit must be 1 to 10000");
		return;
	}
	http_api_reply(r, 200,
	    json_pack("{s:s,s:o}", "instance", instance_name(inst),
	        "invalidations",
	        journal_json(index_apply_journal(instance_apply(inst)), limit)),
	    NULL);
}

/*
 * "currency=cookie:sw-currency:key encoding=header:Accept-Encoding" as
 * {"currency": {"from": "cookie", "name": "sw-currency", "key": true}}.
 */
static json_t *
dims_json(const char *dims)
{
	json_t *o = json_object();
	char *copy, *tok, *save = NULL, *eq, *c1, *c2;

	if (dims == NULL)
		return (o);
	copy = strdup(dims);
	AN(copy);
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (eq == NULL)
			continue;
		*eq++ = '\0';
		c1 = strchr(eq, ':');
		if (c1 == NULL)
			continue;
		*c1++ = '\0';
		c2 = strchr(c1, ':');
		if (c2 != NULL)
			*c2++ = '\0';
		json_object_set_new(o, tok,
		    json_pack("{s:s,s:s,s:b}", "from", eq, "name", c1, "key",
		        c2 != NULL && !strcmp(c2, "key")));
	}
	free(copy);
	return (o);
}

void
api_instances_get(struct api_req *r, void *priv)
{
	const struct cache_index *ci;
	struct api_ctx *ctx;
	json_t *a = json_array();
	unsigned i;

	CAST_OBJ_NOTNULL(ctx, priv, API_CTX_MAGIC);
	AN(a);
	for (i = 0; i < ctx->ninst; i++) {
		ci = index_apply_index(instance_apply(ctx->inst[i]));
		json_array_append_new(a,
		    json_pack("{s:s,s:b,s:I,s:I,s:o}", "name",
		        instance_name(ctx->inst[i]), "attached",
		        instance_attached(ctx->inst[i]), "objects",
		        (json_int_t)ci_count(ci), "index_bytes",
		        (json_int_t)ci_bytes(ci), "variants",
		        dims_json(instance_dims(ctx->inst[i]))));
	}
	http_api_reply(r, 200, json_pack("{s:o}", "instances", a), NULL);
}
