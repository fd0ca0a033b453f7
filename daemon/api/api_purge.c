/*
 * A website's purge.  It goes through four steps, each of which may
 * answer the request and end it:
 *
 *	1. the body's shape (api_input), on the loop;
 *	2. the website, read for the caller (purge_store.h): its nodes,
 *	   its base_url, its variants, the caller's role; then each URL
 *	   made absolute and kept to the website's host (api_tasks.h);
 *	3. every URL and tag sent to every node (fetch/purger.h), from
 *	   this process's loop, on the tenants' fetcher, whose connections
 *	   are held to the address policy (--allow-private);
 *	4. what the nodes did, recorded (an invalidation_events row for each
 *	   item a node invalidated) with the re-warm job of the URLs purged
 *	   somewhere, whose tasks (URL by the website's variants) are then
 *	   queued for the workers; the job answered as it is then.
 *
 * The answer is 200 whatever the nodes said: each node's answer to each
 * item is in it (207-like), a node down showing its error beside those
 * that purged.  A website's agents (stoked agent) are each given the
 * purge as a command in step 4, to do on their own node, and each is
 * an entry of the answer, {"agent": name, "queued": true}; a website
 * with agents needs no varnish_nodes.  Tags are not re-warmed from here: which URLs carried a
 * tag is known to the nodes (and stoked run's index, which re-warms
 * what a node's log shows dropped), not to the API.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/log.h"
#include "fetch/addr_policy.h"
#include "fetch/purger.h"
#include "store/purge_store.h"
#include "store/task_queue.h"
#include "store/tjob_store.h"
#include "api_answer.h"
#include "api_bodies.h"
#include "api_input.h"
#include "api_purge.h"
#include "api_tasks.h"
#include "api_tenant.h"

/* Each item goes to every node (32 at most): bounded, so that the
 * answer comes within the timeout. */
/* Seconds a purge may take, all nodes and items together. */
#define PURGE_TIMEOUT 5.0

/*--------------------------------------------------------------------
 * How the route answers what the store says
 */

static const struct api_answer op_website = { .ok = 200,
	.what = "reading a website to purge",
	.not_found = "no such website",
	.forbidden = "only an owner or an admin purges" };
static const struct api_answer op_record = { .ok = 200,
	.what = "recording a purge",
	.not_found = "no such website",
	.forbidden = "only an owner or an admin purges" };

/* A request on its way through the steps above. */
struct api_pg {
	unsigned magic;
#define API_PG_MAGIC 0x5e7a0c71
	struct api_req *r;
	struct api_tenant *t;
	int64_t user, id; /* id: the website's */
	json_t *urls, *tags; /* given, or NULL */
	int hard;
	json_t *website;
	unsigned nurl, nvariant;
	char **url, **variant; /* made absolute; as the index writes them */
	const char **node, **tag; /* the website's, the body's */
	const char **rewarm; /* the URLs purged somewhere, url's */
	unsigned nrewarm;
	json_t *report; /* {"results", "purged", "failed"} */
	int64_t job;
};

static struct api_pg *
api_pg_new(struct api_req *r, void *priv, int64_t id)
{
	struct api_pg *p;

	ALLOC_OBJ(p, API_PG_MAGIC);
	AN(p);
	CAST_OBJ_NOTNULL(p->t, priv, API_TENANT_MAGIC);
	p->r = r;
	p->user = api_caller(r)->user;
	p->id = id;
	return (p);
}

static void
api_pg_free(struct api_pg **pp)
{
	struct api_pg *p;
	unsigned u;

	TAKE_OBJ_NOTNULL(p, pp, API_PG_MAGIC);
	if (p->urls != NULL)
		json_decref(p->urls);
	if (p->tags != NULL)
		json_decref(p->tags);
	if (p->website != NULL)
		json_decref(p->website);
	if (p->report != NULL)
		json_decref(p->report);
	for (u = 0; p->url != NULL && u < p->nurl; u++)
		free(p->url[u]);
	for (u = 0; p->variant != NULL && u < p->nvariant; u++)
		free(p->variant[u]);
	free(p->url);
	free(p->variant);
	free(p->rewarm);
	free(p->node);
	free(p->tag);
	FREE_OBJ(p);
}

/* The store said no, or failed: answered as the row says; p ends. */
static void
api_pg_refusal(struct api_pg **pp, const struct api_answer *op,
    enum as_status st, const char *err)
{
	struct api_pg *p;
	struct api_req *r;

	TAKE_OBJ_NOTNULL(p, pp, API_PG_MAGIC);
	r = p->r;
	api_pg_free(&p);
	api_answer(r, op, st, NULL, err);
}

/* The store refused to queue it: said, and p undone. */
static void
api_pg_refused(struct api_pg **pp, const char *err)
{
	struct api_pg *p;

	TAKE_OBJ_NOTNULL(p, pp, API_PG_MAGIC);
	http_api_error(p->r, 503, NULL, NULL, "%s", err);
	api_pg_free(&p);
}

/* The report, with the re-warm job (or null, taken); p ends. */
static void
api_pg_answer(struct api_pg **pp, json_t *job)
{
	struct api_pg *p;

	TAKE_OBJ_NOTNULL(p, pp, API_PG_MAGIC);
	AN(job);
	AZ(json_object_set_new(p->report, "job", job));
	http_api_reply(p->r, 200, json_incref(p->report), NULL);
	api_pg_free(&p);
}

/*--------------------------------------------------------------------
 * Step 4: recorded, re-warmed
 */

static void
api_pg_job(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_pg *p;
	json_t *job;

	CAST_OBJ_NOTNULL(p, priv, API_PG_MAGIC);
	if (st != AS_OK || json == NULL) {
		api_pg_refusal(&p, &op_record, st, err);
		return;
	}
	job = json_loads(json, 0, NULL);
	AN(job);
	api_pg_answer(&p, job);
}

static void
api_pg_enqueued(void *priv, unsigned inserted, const char *err)
{
	struct api_pg *p;
	const char *e;

	CAST_OBJ_NOTNULL(p, priv, API_PG_MAGIC);
	(void)inserted;
	/* tq_enqueue marked the job failed: the job answered says so. */
	if (err != NULL)
		log_warning("api", "queueing the re-warm job %jd: %s",
		    (intmax_t)p->job, err);
	if (tj_get(p->t->pool, p->user, p->job, api_pg_job, p, &e) != 0)
		api_pg_refused(&p, e);
}

static void
api_pg_recorded(void *priv, enum as_status st, const char *json,
    const char *err)
{
	struct api_pg *p;
	struct tq_new_task *task;
	json_t *rec, *a;
	unsigned v, n;
	size_t u;

	CAST_OBJ_NOTNULL(p, priv, API_PG_MAGIC);
	if (st != AS_OK || json == NULL) {
		api_pg_refusal(&p, &op_record, st, err);
		return;
	}
	rec = json_loads(json, 0, NULL);
	AN(rec);
	p->job = json_integer_value(json_object_get(rec, "job_id"));
	json_array_foreach(json_object_get(rec, "agents"), u, a)
	{
		AZ(json_array_append_new(json_object_get(p->report, "results"),
		    json_pack("{s:O,s:b}", "agent", a, "queued", 1)));
	}
	json_decref(rec);
	if (p->job <= 0) {
		api_pg_answer(&p, json_null());
		return;
	}
	n = p->nrewarm * p->nvariant;
	task = calloc(n, sizeof *task);
	AN(task);
	for (u = 0; u < p->nrewarm; u++)
		for (v = 0; v < p->nvariant; v++) {
			task[u * p->nvariant + v].url = p->rewarm[u];
			task[u * p->nvariant + v].variant = p->variant[v];
		}
	/* The tasks are copied: ours go now, p's strings with p. */
	tq_enqueue(p->t->pool, p->job, task, n, 0, api_pg_enqueued, p);
	free(task);
}

/*--------------------------------------------------------------------
 * Step 3: what the nodes said
 */

/* One node's answer to one item, as the report shows it. */
static json_t *
api_pg_entry(const struct purge_result *pr)
{
	json_t *e;

	e = json_pack("{s:s,s:s,s:o,s:b,s:o}", "node", pr->node,
	    pr->kind == PURGE_URL ? "url" : "tag", pr->subject, "status",
	    pr->status > 0 ? json_integer(pr->status) : json_null(), "ok",
	    pr->ok, "error",
	    pr->error != NULL ? json_string(pr->error) : json_null());
	AN(e);
	if (pr->kind == PURGE_TAG)
		AZ(json_object_set_new(e, "objects",
		    pr->objects >= 0 ? json_integer(pr->objects)
		                     : json_null()));
	return (e);
}

/* An invalidation_events row of what a node did. */
static json_t *
api_pg_event(const struct api_pg *p, const struct purge_result *pr)
{
	json_t *e;

	e = json_pack("{s:s,s:s,s:s,s:b,s:I}", "kind",
	    pr->kind == PURGE_URL ? "purge" : "tag", "node", pr->node,
	    "subject", pr->subject, "soft", pr->kind == PURGE_TAG && !p->hard,
	    "dropped", (json_int_t)(pr->objects > 0 ? pr->objects : 0));
	AN(e);
	return (e);
}

/* What the website's agents are told: the URLs made absolute. */
static char *
api_pg_command(const struct api_pg *p)
{
	json_t *c, *urls;
	unsigned u;
	char *s;

	urls = json_array();
	AN(urls);
	for (u = 0; u < p->nurl; u++)
		AZ(json_array_append_new(urls, json_string(p->url[u])));
	c = json_pack("{s:o,s:o,s:b}", "urls", urls, "tags",
	    p->tags != NULL ? json_incref(p->tags) : json_array(), "hard",
	    p->hard);
	AN(c);
	s = json_dumps(c, JSON_COMPACT);
	AN(s);
	json_decref(c);
	return (s);
}

static void
api_pg_purged(void *priv, const struct purge_result *res, unsigned n)
{
	struct api_pg *p;
	json_t *results, *events;
	unsigned i, nok = 0, nnode;
	const char *err;
	char *ev, *cmd;
	int rv;

	CAST_OBJ_NOTNULL(p, priv, API_PG_MAGIC);
	nnode = n / (p->nurl + (unsigned)json_array_size(p->tags));
	results = json_array();
	events = json_array();
	AN(results);
	AN(events);
	for (i = 0; i < n; i++) {
		AZ(json_array_append_new(results, api_pg_entry(&res[i])));
		if (!res[i].ok)
			continue;
		nok++;
		AZ(json_array_append_new(events, api_pg_event(p, &res[i])));
		/* A URL's nodes are one after another: counted once. */
		if (res[i].kind == PURGE_URL &&
		    (p->nrewarm == 0 ||
		        p->rewarm[p->nrewarm - 1] != p->url[i / nnode]))
			p->rewarm[p->nrewarm++] = p->url[i / nnode];
	}
	p->report = json_pack("{s:o,s:I,s:I}", "results", results, "purged",
	    (json_int_t)nok, "failed", (json_int_t)(n - nok));
	AN(p->report);
	ev = json_dumps(events, JSON_COMPACT);
	AN(ev);
	json_decref(events);
	cmd = api_pg_command(p);
	rv = purge_record(p->t->pool, p->user, p->id, p->nrewarm, ev, cmd,
	    api_pg_recorded, p, &err);
	free(ev);
	free(cmd);
	if (rv != 0)
		api_pg_refused(&p, err);
}

/*--------------------------------------------------------------------
 * Step 2: the website
 */

/* The URLs and the website's variants made; -1 once answered. */
static int
api_pg_urls(struct api_pg *p, const char *base)
{
	struct addr_url b;
	const char *why;
	size_t i;
	json_t *u;

	if (addr_url_parse(base, &b, &why) != 0) {
		http_api_error(p->r, 422, "invalid_url", NULL,
		    "the website's base_url: %s", why);
		return (-1);
	}
	p->url = calloc(json_array_size(p->urls) + 1, sizeof *p->url);
	p->rewarm = calloc(json_array_size(p->urls) + 1, sizeof *p->rewarm);
	AN(p->url);
	AN(p->rewarm);
	json_array_foreach(p->urls, i, u)
	{
		if (api_task_url(p->r, "urls", (unsigned)i,
		        json_string_value(u), base, &b, &p->url[i]) != 0)
			return (-1);
		p->nurl++;
	}
	return (api_task_variants(p->r, json_object_get(p->website, "variants"),
	    &p->variant, &p->nvariant));
}

/* The Host of tag purges: the website's, as a URL of it sends. */
static void
api_pg_host(const struct addr_url *b, char *host, size_t len)
{
	int v6 = strchr(b->host, ':') != NULL;
	char port[16] = "";

	if (b->has_port)
		snprintf(port, sizeof port, ":%u", b->port);
	snprintf(host, len, "%s%s%s%s", v6 ? "[" : "", b->host, v6 ? "]" : "",
	    port);
}

/* The purge's request to the purger; -1 once answered. */
static int
api_pg_req(struct api_pg *p, struct purge_req *rq, const char *base, char *host,
    size_t hostlen)
{
	json_t *nodes, *v;
	struct addr_url b;
	const char *why;
	size_t i;

	nodes = json_object_get(p->website, "varnish_nodes");
	if (json_array_size(nodes) == 0 &&
	    json_integer_value(json_object_get(p->website, "agents")) == 0) {
		http_api_error(p->r, 422, "no_nodes", NULL,
		    "the website has no varnish_nodes and no agents to purge");
		return (-1);
	}
	if (json_array_size(p->tags) > 0 &&
	    strcmp(json_string_value(json_object_get(p->website, "cache_type")),
	        "shopware")) {
		/* vcl/default.vcl would purge "/" and say it did. */
		http_api_error(p->r, 422, "tags_unsupported", "tags",
		    "tags are purged with xkey, which a website of "
		    "cache_type shopware has (vcl/shopware6.vcl)");
		return (-1);
	}
	p->node = calloc(json_array_size(nodes), sizeof *p->node);
	p->tag = calloc(json_array_size(p->tags) + 1, sizeof *p->tag);
	AN(p->node);
	AN(p->tag);
	json_array_foreach(nodes, i, v) p->node[i] = json_string_value(v);
	json_array_foreach(p->tags, i, v) p->tag[i] = json_string_value(v);
	/* Parsed once already (api_pg_urls). */
	AZ(addr_url_parse(base, &b, &why));
	api_pg_host(&b, host, hostlen);
	memset(rq, 0, sizeof *rq);
	rq->node = p->node;
	rq->nnode = (unsigned)json_array_size(nodes);
	rq->url = (const char *const *)p->url;
	rq->nurl = p->nurl;
	rq->tag = p->tag;
	rq->ntag = (unsigned)json_array_size(p->tags);
	rq->host = host;
	rq->hard = p->hard;
	rq->timeout = PURGE_TIMEOUT;
	return (0);
}

static void
api_pg_website(void *priv, enum as_status st, const char *json, const char *err)
{
	char host[ADDR_HOST_MAX + 16];
	struct purge_req rq;
	struct api_pg *p;
	const char *base;

	CAST_OBJ_NOTNULL(p, priv, API_PG_MAGIC);
	if (st != AS_OK || json == NULL) {
		api_pg_refusal(&p, &op_website, st, err);
		return;
	}
	p->website = json_loads(json, 0, NULL);
	AN(p->website);
	base = json_string_value(json_object_get(p->website, "base_url"));
	AN(base);
	if (api_pg_urls(p, base) != 0 ||
	    api_pg_req(p, &rq, base, host, sizeof host) != 0) {
		api_pg_free(&p);
		return;
	}
	if (p->t->purger == NULL) {
		api_pg_refused(&p, "stopping");
		return;
	}
	if (rq.nnode == 0) {
		/* Agents only: theirs to purge, step 4 tells them. */
		api_pg_purged(p, NULL, 0);
		return;
	}
	purge_send(p->t->eb, p->t->purger, &rq, api_pg_purged, p);
}

/*--------------------------------------------------------------------
 * The route
 */

void
api_purge_post(struct api_req *r, void *priv)
{
	json_t *v[API_PG_NFIELDS];
	struct api_pg *p;
	const char *err;
	int64_t id;

	if (api_param_id(r, "id", &id) != 0) {
		http_api_error(r, 404, NULL, "id", "no such website");
		return;
	}
	if (api_input(r, api_pg_fields, API_PG_NFIELDS, v) != 0)
		return;
	if (json_array_size(v[0]) == 0 && json_array_size(v[1]) == 0) {
		http_api_error(r, 422, "required", "urls",
		    "give urls, tags or both, not none");
		return;
	}
	p = api_pg_new(r, priv, id);
	if (v[0] != NULL)
		p->urls = json_incref(v[0]);
	if (v[1] != NULL)
		p->tags = json_incref(v[1]);
	p->hard = v[2] != NULL && json_is_true(v[2]);
	if (purge_website(p->t->pool, p->user, id, api_pg_website, p, &err) !=
	    0)
		api_pg_refused(&p, err);
}
