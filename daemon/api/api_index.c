/*
 * JSON answers about the index and the journal of invalidations.  Reads
 * only: the index is changed by events alone.
 */

#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "vdef.h"
#include "vtim.h"

#include "index/cache_index.h"
#include "index/index_apply.h"
#include "index/journal.h"
#include "node/instance.h"
#include "vsl/vsl_reader.h"
#include "api_index.h"
#include "http_api.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 10000

struct api_index {
	unsigned magic;
#define API_INDEX_MAGIC 0x5e1d3a77
	unsigned n;
	struct instance *const *inst;
};

/* What a listing collects as it walks the index. */
struct listing {
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
	assert(j != NULL);
	return (j);
}

static int
list_one(void *priv, struct ci_obj *o)
{
	struct listing *l = priv;

	if (l->url != NULL && strcmp(ci_url(o), l->url) != 0)
		return (0);
	l->matched++;
	if (json_array_size(l->objects) < l->limit)
		json_array_append_new(l->objects, obj_json(l->ci, o, l->now));
	return (0);
}

static struct instance *
pick(const struct api_index *ai, const struct evkeyvalq *q, const char **err)
{
	const char *name = evhttp_find_header(q, "instance");
	unsigned i;

	if (name == NULL)
		return (ai->inst[0]);
	for (i = 0; i < ai->n; i++)
		if (!strcmp(instance_name(ai->inst[i]), name))
			return (ai->inst[i]);
	*err = "no such instance";
	return (NULL);
}

static int
limit_of(const struct evkeyvalq *q, unsigned *limit, const char **err)
{
	const char *v = evhttp_find_header(q, "limit");
	char *end;
	long l;

	*limit = LIMIT_DEFAULT;
	if (v == NULL)
		return (0);
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || l < 1 || l > LIMIT_MAX) {
		*err = "limit must be 1 to 10000";
		return (-1);
	}
	*limit = (unsigned)l;
	return (0);
}

static int
h_index(void *priv, const struct evkeyvalq *q, json_t **body, const char **err)
{
	const struct api_index *ai = priv;
	const char *tag, *url, *host;
	struct instance *inst;
	struct cache_index *ci;
	struct listing l;

	inst = pick(ai, q, err);
	if (inst == NULL)
		return (404);
	memset(&l, 0, sizeof l);
	if (limit_of(q, &l.limit, err) != 0)
		return (400);
	ci = index_apply_index(instance_apply(inst));
	l.ci = ci;
	l.now = VTIM_real();
	l.objects = json_array();
	tag = evhttp_find_header(q, "tag");
	url = evhttp_find_header(q, "url");
	host = evhttp_find_header(q, "host");
	if (tag != NULL && url != NULL) {
		json_decref(l.objects);
		*err = "give tag or url, not both";
		return (400);
	}
	if (tag != NULL)
		(void)ci_foreach_tag(ci, tag, list_one, &l);
	else if (url != NULL && host != NULL)
		(void)ci_foreach_url(ci, host, url, list_one, &l);
	else {
		l.url = url;
		(void)ci_foreach(ci, list_one, &l);
	}
	*body = json_pack("{s:s,s:I,s:I,s:o}", "instance", instance_name(inst),
	    "objects_total", (json_int_t)ci_count(ci), "matched",
	    (json_int_t)l.matched, "objects", l.objects);
	return (200);
}

static int
h_invalidations(void *priv, const struct evkeyvalq *q, json_t **body,
    const char **err)
{
	const struct api_index *ai = priv;
	struct instance *inst;
	unsigned limit;

	inst = pick(ai, q, err);
	if (inst == NULL)
		return (404);
	if (limit_of(q, &limit, err) != 0)
		return (400);
	*body = json_pack("{s:s,s:o}", "instance", instance_name(inst),
	    "invalidations",
	    journal_json(index_apply_journal(instance_apply(inst)), limit));
	return (200);
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
	assert(copy != NULL);
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

static int
h_instances(void *priv, const struct evkeyvalq *q, json_t **body,
    const char **err)
{
	const struct api_index *ai = priv;
	const struct cache_index *ci;
	json_t *a = json_array();
	unsigned i;

	(void)q;
	(void)err;
	for (i = 0; i < ai->n; i++) {
		ci = index_apply_index(instance_apply(ai->inst[i]));
		json_array_append_new(a,
		    json_pack("{s:s,s:b,s:I,s:I,s:o}", "name",
		        instance_name(ai->inst[i]), "attached",
		        instance_attached(ai->inst[i]), "objects",
		        (json_int_t)ci_count(ci), "index_bytes",
		        (json_int_t)ci_bytes(ci), "variants",
		        dims_json(instance_dims(ai->inst[i]))));
	}
	*body = json_pack("{s:o}", "instances", a);
	return (200);
}

struct api_index *
api_index_new(struct http_api *api, struct instance *const *inst, unsigned n)
{
	struct api_index *ai;

	assert(n > 0);
	ai = calloc(1, sizeof *ai);
	assert(ai != NULL);
	ai->magic = API_INDEX_MAGIC;
	ai->n = n;
	ai->inst = inst;
	http_api_route(api, "/api/v1/index", h_index, ai);
	http_api_route(api, "/api/v1/invalidations", h_invalidations, ai);
	http_api_route(api, "/api/v1/instances", h_instances, ai);
	return (ai);
}

/* After the API: its routes point here. */
void
api_index_free(struct api_index **aip)
{
	struct api_index *ai;

	assert(aip != NULL);
	ai = *aip;
	*aip = NULL;
	if (ai == NULL)
		return;
	assert(ai->magic == API_INDEX_MAGIC);
	ai->magic = 0;
	free(ai);
}
