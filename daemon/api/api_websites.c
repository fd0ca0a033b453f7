/*
 * The websites of a project.  A creation or a change goes through
 * three steps, each of which may answer the request and end it:
 *
 *	1. the body, checked against the settings (api_input) and then
 *	   each setting's syntax: URLs, the sitemap on the site's host, the
 *	   schedule, the cache type (on the loop, at once);
 *	2. the hosts of its URLs, resolved on the offload threads, since
 *	   getaddrinfo blocks, and judged on the loop (addr_policy.h): a
 *	   tenant may not point stoked at the operator's own network;
 *	3. the store, bound to the caller.
 *
 * A change that gives base_url or sitemap_url alone reads the website
 * first, since each is checked against the other.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/cron.h"
#include "core/log.h"
#include "core/offload.h"
#include "core/tzfile.h"
#include "fetch/addr_policy.h"
#include "store/website_store.h"
#include "warm/variant_replay.h"
#include "api_answer.h"
#include "api_bodies.h"
#include "api_input.h"
#include "api_tenant.h"
#include "api_websites.h"

/* base_url, sitemap_url, the nodes */
#define WEBSITE_HOSTS_MAX (2 + WEBSITE_NODES_MAX)

/*--------------------------------------------------------------------
 * How each route answers what the store says
 */

/* How each route answers what the store says. */
static const struct api_answer op_list = { .ok = 200,
	.what = "listing websites",
	.not_found = "no such project" };
static const struct api_answer op_create = {
	.ok = 201,
	.what = "creating a website",
	.not_found = "no such project",
	.forbidden = "only an owner or an admin adds websites",
	.conflict_field = "base_url",
	.conflict = "the project has a website of this base_url already",
	/* 402: what would let it through is a bigger plan, not another
	 * request; a client can offer the upgrade. */
	.plan_status = 402,
	.plan = "the project's plan allows no more websites: delete one or "
	        "change the plan",
};
static const struct api_answer op_get = { .ok = 200,
	.what = "reading a website",
	.not_found = "no such website" };
static const struct api_answer op_change = {
	.ok = 200,
	.what = "changing a website",
	.not_found = "no such website",
	.forbidden = "only an owner or an admin changes a website",
	.conflict_field = "base_url",
	.conflict = "the project has a website of this base_url already",
};
static const struct api_answer op_delete = { .ok = 204,
	.what = "deleting a website",
	.not_found = "no such website",
	.forbidden = "only an owner or an admin deletes a website" };

/* A host to resolve, and what came of it. */
struct api_ws_host {
	char field[48]; /* the setting it came from: "varnish_nodes[3]" */
	char host[ADDR_HOST_MAX + 1];
	unsigned mask; /* its addresses' classes; 0: did not resolve */
	const char *why; /* when it did not */
};

/* A request on its way through the steps above. */
struct api_ws {
	unsigned magic;
#define API_WS_MAGIC 0x5e7a0c41
	struct api_req *r;
	struct api_tenant *t;
	const struct api_answer *op;
	int64_t user, id; /* id: the project's to create, else the site's */
	json_t *set; /* the settings given */
	unsigned nhost;
	struct api_ws_host host[WEBSITE_HOSTS_MAX];
};

static struct api_ws *
api_ws_new(struct api_req *r, void *priv, const struct api_answer *op,
    int64_t id)
{
	struct api_ws *w;

	ALLOC_OBJ(w, API_WS_MAGIC);
	AN(w);
	CAST_OBJ_NOTNULL(w->t, priv, API_TENANT_MAGIC);
	w->r = r;
	w->op = op;
	w->user = api_caller(r)->user;
	w->id = id;
	return (w);
}

static void
api_ws_free(struct api_ws **wp)
{
	struct api_ws *w;

	TAKE_OBJ_NOTNULL(w, wp, API_WS_MAGIC);
	if (w->set != NULL)
		json_decref(w->set);
	FREE_OBJ(w);
}

/* What the store said, answered; w ends here. */
static void
api_ws_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_ws *w;
	struct api_req *r;
	const struct api_answer *op;

	CAST_OBJ_NOTNULL(w, priv, API_WS_MAGIC);
	r = w->r;
	op = w->op;
	api_ws_free(&w);
	api_answer(r, op, st, json, err);
}

/* The store refused to queue it: said, and w undone. */
static void
api_ws_refused(struct api_ws **wp, const char *err)
{
	struct api_ws *w;

	TAKE_OBJ_NOTNULL(w, wp, API_WS_MAGIC);
	http_api_error(w->r, 503, NULL, NULL, "%s", err);
	api_ws_free(&w);
}

/* Step 3. */
static void
api_ws_store(struct api_ws *w)
{
	const char *err;
	char *set;
	int rv;

	CHECK_OBJ_NOTNULL(w, API_WS_MAGIC);
	set = json_dumps(w->set, JSON_COMPACT);
	AN(set);
	if (w->op == &op_create)
		rv = ws_create(w->t->pool, w->user, w->id, set, api_ws_done, w,
		    &err);
	else
		rv = ws_update(w->t->pool, w->user, w->id, set, api_ws_done, w,
		    &err);
	free(set);
	if (rv != 0)
		api_ws_refused(&w, err);
}

/* The route's :id; -1 once answered 404. */
static int
api_ws_id(struct api_req *r, const char *what, int64_t *id)
{
	if (api_param_id(r, "id", id) == 0)
		return (0);
	http_api_error(r, 404, NULL, "id", "no such %s", what);
	return (-1);
}

/*--------------------------------------------------------------------
 * Step 2: the addresses
 */

static void
api_ws_resolve(void *priv)
{
	struct api_ws *w;
	unsigned i;

	/* On an offload thread: w is the thread's alone until done. */
	CAST_OBJ_NOTNULL(w, priv, API_WS_MAGIC);
	for (i = 0; i < w->nhost; i++)
		w->host[i].mask =
		    addr_resolve(w->host[i].host, &w->host[i].why);
}

static void
api_ws_resolved(void *priv)
{
	struct api_ws *w;
	struct api_ws_host *h;
	unsigned i, bad;

	CAST_OBJ_NOTNULL(w, priv, API_WS_MAGIC);
	for (i = 0; i < w->nhost; i++) {
		h = &w->host[i];
		if (h->mask == 0) {
			http_api_error(w->r, 422, "unresolvable_host", h->field,
			    "%s: %s: %s", h->field, h->host, h->why);
			api_ws_free(&w);
			return;
		}
		bad = addr_verdict(h->mask, w->t->allow_private);
		if (bad != 0) {
			http_api_error(w->r, 422, "forbidden_address", h->field,
			    "%s: %s is %s, which stoked does not fetch from "
			    "for a tenant",
			    h->field, h->host,
			    addr_class_name((enum addr_class)bad));
			api_ws_free(&w);
			return;
		}
	}
	api_ws_store(w);
}

/* A host to resolve, once each. */
static void
api_ws_host(struct api_ws *w, const char *field, const char *host)
{
	unsigned i;

	for (i = 0; i < w->nhost; i++)
		if (!strcmp(w->host[i].host, host))
			return;
	assert(w->nhost < WEBSITE_HOSTS_MAX);
	snprintf(w->host[w->nhost].field, sizeof w->host[0].field, "%s", field);
	snprintf(w->host[w->nhost].host, sizeof w->host[0].host, "%s", host);
	w->nhost++;
}

/*--------------------------------------------------------------------
 * Step 1: each setting's syntax
 */

/* A URL of a setting, parsed; -1 once answered. */
static int
api_ws_url(struct api_ws *w, const char *field, const char *url,
    struct addr_url *u)
{
	const char *why;

	if (addr_url_parse(url, u, &why) == 0)
		return (0);
	http_api_error(w->r, 422, "invalid_url", field, "%s: %s", field, why);
	return (-1);
}

static int
api_ws_nodes(struct api_ws *w, json_t *nodes)
{
	struct addr_url u;
	char field[48];
	size_t i;
	json_t *n;

	json_array_foreach(nodes, i, n)
	{
		snprintf(field, sizeof field, "varnish_nodes[%zu]", i);
		if (api_ws_url(w, field, json_string_value(n), &u) != 0)
			return (-1);
		if (!u.has_port || u.has_path) {
			http_api_error(w->r, 422, "invalid_url", field,
			    "%s: a node is http(s)://HOST:PORT, with no path",
			    field);
			return (-1);
		}
		api_ws_host(w, field, u.host);
	}
	return (0);
}

/*
 * base_url and sitemap_url, each given (*_given) or the website's own,
 * the one checked against the other; the hosts of those given are to be
 * resolved.  -1 once answered.
 */
static int
api_ws_urls(struct api_ws *w, const char *base, const char *sitemap,
    int base_given, int sitemap_given)
{
	struct addr_url b, s;

	if (base == NULL)
		return (0);
	if (api_ws_url(w, "base_url", base, &b) != 0)
		return (-1);
	if (base_given)
		api_ws_host(w, "base_url", b.host);
	if (sitemap == NULL)
		return (0);
	if (api_ws_url(w, "sitemap_url", sitemap, &s) != 0)
		return (-1);
	if (!addr_host_within(s.host, b.host)) {
		http_api_error(w->r, 422, "invalid_url",
		    sitemap_given ? "sitemap_url" : "base_url",
		    "sitemap_url must be on base_url's host (%s) or a "
		    "subdomain of it",
		    b.host);
		return (-1);
	}
	if (sitemap_given)
		api_ws_host(w, "sitemap_url", s.host);
	return (0);
}

/*
 * variant_inputs as the worker will read them, a dims record's fields
 * ("currency=cookie:sw-currency device=header:X-Device"): each source a
 * cookie's or a header's name.  -1 once answered.
 */
static int
api_ws_inputs_check(struct api_ws *w, json_t *inputs)
{
	char dims[WEBSITE_VARIANT_KEYS_MAX * (32 + 1 + 128 + 1) + 1];
	char why[256];
	const char *k;
	size_t l = 0;
	json_t *v;

	dims[0] = '\0';
	json_object_foreach(inputs, k, v)
	{
		l += (size_t)snprintf(dims + l, sizeof dims - l, "%s%s=%s",
		    l > 0 ? " " : "", k, json_string_value(v));
		assert(l < sizeof dims);
	}
	if (variant_dims_check(dims, why, sizeof why) != 0) {
		http_api_error(w->r, 422, "invalid", "variant_inputs",
		    "variant_inputs: %s (each a dimension's source: "
		    "\"cookie:NAME\" or \"header:NAME\")",
		    why);
		return (-1);
	}
	return (0);
}

/*
 * The schedule and its zone, each given: the zone one of the system's
 * (its file read once, on the loop: a few kB of the local disk, then
 * kept), the schedule one that comes some day (not "0 0 30 2 *").
 * -1 once answered.
 */
static int
api_ws_schedule(struct api_ws *w)
{
	const struct tz *z = NULL;
	const char *sched, *zone;
	char why[256];
	struct cron c;
	int64_t next;

	zone = api_input_str(json_object_get(w->set, "schedule_tz"));
	if (zone != NULL) {
		z = tz_get(zone, why, sizeof why);
		if (z == NULL) {
			http_api_error(w->r, 422, "invalid_schedule",
			    "schedule_tz", "schedule_tz: %s", why);
			return (-1);
		}
	}
	sched = api_input_str(json_object_get(w->set, "schedule"));
	if (sched == NULL)
		return (0);
	if (cron_parse(sched, &c, why, sizeof why) != 0) {
		http_api_error(w->r, 422, "invalid_schedule", "schedule",
		    "schedule: %s", why);
		return (-1);
	}
	if (z == NULL)
		z = tz_get("UTC", why, sizeof why);
	AN(z);
	if (cron_next(&c, z, (int64_t)time(NULL), &next) != 0) {
		http_api_error(w->r, 422, "invalid_schedule", "schedule",
		    "schedule: no date of the next %d years matches it",
		    CRON_HORIZON_YEARS);
		return (-1);
	}
	return (0);
}

/*
 * Search terms become URLs (sitemap/shopware.h): a control character
 * has no business in one.  -1 once answered.
 */
static int
api_ws_search_terms(struct api_ws *w, json_t *terms)
{
	const unsigned char *s;
	char field[48];
	json_t *v;
	size_t i;

	json_array_foreach(terms, i, v)
	{
		for (s = (const unsigned char *)json_string_value(v); *s; s++)
			if (*s < 0x20 || *s == 0x7f)
				break;
		if (*s == '\0' &&
		    json_string_length(v) == strlen(json_string_value(v)))
			continue;
		snprintf(field, sizeof field, "search_terms[%zu]", i);
		http_api_error(w->r, 422, "invalid", field,
		    "%s: a search term holds no control character", field);
		return (-1);
	}
	return (0);
}

/* The settings but base_url and sitemap_url; -1 once answered. */
static int
api_ws_settings(struct api_ws *w)
{
	const char *ct;
	json_t *v;

	ct = api_input_str(json_object_get(w->set, "cache_type"));
	if (ct != NULL && strcmp(ct, "varnish") && strcmp(ct, "shopware")) {
		http_api_error(w->r, 422, "invalid", "cache_type",
		    "cache_type must be varnish or shopware");
		return (-1);
	}
	if (api_ws_schedule(w) != 0)
		return (-1);
	v = json_object_get(w->set, "variant_inputs");
	if (v != NULL && api_ws_inputs_check(w, v) != 0)
		return (-1);
	v = json_object_get(w->set, "varnish_nodes");
	if (v != NULL && api_ws_nodes(w, v) != 0)
		return (-1);
	v = json_object_get(w->set, "search_terms");
	if (v != NULL && api_ws_search_terms(w, v) != 0)
		return (-1);
	return (0);
}

/* Steps 2 and 3, or the answer if a host needs none. */
static void
api_ws_go(struct api_ws *w)
{
	CHECK_OBJ_NOTNULL(w, API_WS_MAGIC);
	if (w->nhost == 0)
		api_ws_store(w);
	else
		offload_run(w->t->offload, api_ws_resolve, api_ws_resolved, w);
}

/* The body checked and kept in w->set; -1 once answered. */
static int
api_ws_body(struct api_ws *w, const struct api_field *f)
{
	json_t *v[API_WS_NFIELDS];

	if (api_input(w->r, f, API_WS_NFIELDS, v) != 0)
		return (-1);
	/* Only the fields above passed: the body is the settings. */
	w->set = json_deep_copy(api_body(w->r));
	AN(w->set);
	return (api_ws_settings(w));
}

/*--------------------------------------------------------------------
 * The routes
 */

void
api_websites_get(struct api_req *r, void *priv)
{
	struct api_ws *w;
	const char *err;
	int64_t id;

	if (api_ws_id(r, "project", &id) != 0)
		return;
	w = api_ws_new(r, priv, &op_list, id);
	if (ws_list(w->t->pool, w->user, id, api_ws_done, w, &err) != 0)
		api_ws_refused(&w, err);
}

void
api_websites_post(struct api_req *r, void *priv)
{
	struct api_ws *w;
	int64_t id;

	if (api_ws_id(r, "project", &id) != 0)
		return;
	w = api_ws_new(r, priv, &op_create, id);
	if (api_ws_body(w, api_ws_create_fields) != 0 ||
	    api_ws_urls(w, api_input_str(json_object_get(w->set, "base_url")),
	        api_input_str(json_object_get(w->set, "sitemap_url")), 1,
	        1) != 0) {
		api_ws_free(&w);
		return;
	}
	api_ws_go(w);
}

void
api_website_get(struct api_req *r, void *priv)
{
	struct api_ws *w;
	const char *err;
	int64_t id;

	if (api_ws_id(r, "website", &id) != 0)
		return;
	w = api_ws_new(r, priv, &op_get, id);
	if (ws_get(w->t->pool, w->user, id, api_ws_done, w, &err) != 0)
		api_ws_refused(&w, err);
}

/* A change's website as it is: its base_url or sitemap_url checked
 * against the other given. */
static void
api_ws_current(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_ws *w;
	const char *base, *sitemap;
	json_t *cur;
	int rv;

	CAST_OBJ_NOTNULL(w, priv, API_WS_MAGIC);
	if (st != AS_OK || json == NULL) {
		api_ws_done(w, st, json, err);
		return;
	}
	cur = json_loads(json, 0, NULL);
	AN(cur);
	base = api_input_str(json_object_get(w->set, "base_url"));
	sitemap = api_input_str(json_object_get(w->set, "sitemap_url"));
	rv = api_ws_urls(w,
	    base != NULL ? base
	                 : api_input_str(json_object_get(cur, "base_url")),
	    json_object_get(w->set, "sitemap_url") != NULL
	        ? sitemap
	        : api_input_str(json_object_get(cur, "sitemap_url")),
	    base != NULL, sitemap != NULL);
	json_decref(cur);
	if (rv != 0) {
		api_ws_free(&w);
		return;
	}
	api_ws_go(w);
}

void
api_website_put(struct api_req *r, void *priv)
{
	struct api_ws *w;
	const char *err, *base, *sitemap;
	int64_t id;

	if (api_ws_id(r, "website", &id) != 0)
		return;
	w = api_ws_new(r, priv, &op_change, id);
	if (api_ws_body(w, api_ws_change_fields) != 0) {
		api_ws_free(&w);
		return;
	}
	base = api_input_str(json_object_get(w->set, "base_url"));
	sitemap = api_input_str(json_object_get(w->set, "sitemap_url"));
	if ((base == NULL) == (sitemap == NULL)) {
		/* Both or neither: nothing to read first. */
		if (api_ws_urls(w, base, sitemap, 1, 1) != 0) {
			api_ws_free(&w);
			return;
		}
		api_ws_go(w);
		return;
	}
	if (ws_get(w->t->pool, w->user, id, api_ws_current, w, &err) != 0)
		api_ws_refused(&w, err);
}

void
api_website_delete(struct api_req *r, void *priv)
{
	struct api_ws *w;
	const char *err;
	int64_t id;

	if (api_ws_id(r, "website", &id) != 0)
		return;
	w = api_ws_new(r, priv, &op_delete, id);
	if (ws_delete(w->t->pool, w->user, id, api_ws_done, w, &err) != 0)
		api_ws_refused(&w, err);
}
