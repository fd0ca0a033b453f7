/*
 * A website's warm jobs.  A creation goes through four steps, each of
 * which may answer the request and end it:
 *
 *	1. the body's shape (api_input), on the loop;
 *	2. the website, read for the caller (tjob_store.h tj_website): its
 *	   base_url, its variants, the caller's role and the plan's limit;
 *	   then each URL, made absolute and kept to the website's host, and
 *	   each variant, written as the index writes one ("currency=EUR");
 *	3. the job's row, the role and the plan checked again there: its
 *	   URLs in a job, and the day's warm requests, to which the URLs
 *	   are cut (or, none left, the job refused: 429);
 *	4. its tasks, one per URL and variant, queued (tq_enqueue), and the
 *	   job answered as it is then.
 *
 * A job of the website's sitemap (a body without urls) is made in step
 * 3 with the one task that reads it (tj_create_sitemap); a worker reads
 * the sitemap and queues its URLs (queue/sitemap_task.c), never this
 * request, whose answer is the job queued.  A crawl ("source":
 * "crawl") is the same task told to follow the site's links from its
 * base_url instead; a sitemap job crawls too when the site has no
 * sitemap.  Either takes the crawl's settings (max_depth, max_pages,
 * drop_params), checked here and kept with the task as JSON.  Any job
 * may say "render": true (or false) to render its pages in headless
 * Chromium, whatever its website says (0023_render.sql).
 *
 * The website's host was judged when the website was made
 * (api_websites.c); a job's URLs, and the sitemap it reads, are held to
 * that host, so they need no resolving of their own here: the worker
 * judges the addresses it connects to.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/log.h"
#include "fetch/addr_policy.h"
#include "sitemap/site_crawl.h"
#include "store/task_queue.h"
#include "store/tjob_store.h"
#include "api_answer.h"
#include "api_bodies.h"
#include "api_input.h"
#include "api_tasks.h"
#include "api_tenant.h"
#include "api_tjobs.h"

#define TJ_LIST_DEFAULT 20
#define TJ_LIST_MAX 100

/*--------------------------------------------------------------------
 * How each route answers what the store says
 */

/* How each route answers what the store says. */
static const struct api_answer op_list = { .ok = 200,
	.what = "listing jobs",
	.not_found = "no such website" };
static const struct api_answer op_create = { .ok = 201,
	.what = "creating a job",
	.not_found = "no such website",
	.forbidden = "only an owner or an admin starts jobs" };
static const struct api_answer op_get = { .ok = 200,
	.what = "reading a job",
	.not_found = "no such job" };
static const struct api_answer op_cancel = { .ok = 200,
	.what = "cancelling a job",
	.not_found = "no such job",
	.forbidden = "only an owner or an admin cancels jobs",
	.conflict_code = "job_ended",
	.conflict = "the job has ended already" };

/* A request on its way through the steps above. */
struct api_tj {
	unsigned magic;
#define API_TJ_MAGIC 0x5e7a0c51
	struct api_req *r;
	struct api_tenant *t;
	const struct api_answer *op;
	int64_t user, id; /* id: the website's, else the job's */
	json_t *urls, *variants; /* given, or NULL */
	char *sitemap; /* sitemap_url given, or NULL */
	char *crawl; /* the crawl's settings as JSON, or NULL */
	json_int_t max_pages; /* given, or 0 */
	int force; /* a crawl, not a sitemap job */
	int render; /* 1, 0; -1: as the website says */
	unsigned nurl, nvariant;
	char **url, **variant; /* made absolute; as the index writes them */
	int64_t job;
};

static struct api_tj *
api_tj_new(struct api_req *r, void *priv, const struct api_answer *op,
    int64_t id)
{
	struct api_tj *j;

	ALLOC_OBJ(j, API_TJ_MAGIC);
	AN(j);
	CAST_OBJ_NOTNULL(j->t, priv, API_TENANT_MAGIC);
	j->r = r;
	j->op = op;
	j->user = api_caller(r)->user;
	j->id = id;
	return (j);
}

static void
api_tj_free(struct api_tj **jp)
{
	struct api_tj *j;
	unsigned u;

	TAKE_OBJ_NOTNULL(j, jp, API_TJ_MAGIC);
	if (j->urls != NULL)
		json_decref(j->urls);
	if (j->variants != NULL)
		json_decref(j->variants);
	for (u = 0; j->url != NULL && u < j->nurl; u++)
		free(j->url[u]);
	for (u = 0; j->variant != NULL && u < j->nvariant; u++)
		free(j->variant[u]);
	free(j->sitemap);
	free(j->crawl);
	free(j->url);
	free(j->variant);
	FREE_OBJ(j);
}

/* What the store said, answered; j ends here. */
static void
api_tj_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_tj *j;
	struct api_req *r;
	const struct api_answer *op;

	CAST_OBJ_NOTNULL(j, priv, API_TJ_MAGIC);
	r = j->r;
	op = j->op;
	api_tj_free(&j);
	api_answer(r, op, st, json, err);
}

/* The store refused to queue it: said, and j undone. */
static void
api_tj_refused(struct api_tj **jp, const char *err)
{
	struct api_tj *j;

	TAKE_OBJ_NOTNULL(j, jp, API_TJ_MAGIC);
	http_api_error(j->r, 503, NULL, NULL, "%s", err);
	api_tj_free(&j);
}

/* The route's :id; -1 once answered 404. */
static int
api_tj_id(struct api_req *r, const char *what, int64_t *id)
{
	if (api_param_id(r, "id", id) == 0)
		return (0);
	http_api_error(r, 404, NULL, "id", "no such %s", what);
	return (-1);
}

/*--------------------------------------------------------------------
 * Steps 3 and 4
 */

static void
api_tj_enqueued(void *priv, unsigned inserted, const char *err)
{
	struct api_tj *j;
	const char *e;

	CAST_OBJ_NOTNULL(j, priv, API_TJ_MAGIC);
	(void)inserted;
	if (err != NULL) {
		/* tq_enqueue marked the job failed. */
		log_warning("api", "queueing job %jd: %s", (intmax_t)j->job,
		    err);
		api_tj_refused(&j,
		    "the job's tasks could not be queued; "
		    "try again");
		return;
	}
	if (tj_get(j->t->pool, j->user, j->job, api_tj_done, j, &e) != 0)
		api_tj_refused(&j, e);
}

static void
api_tj_created(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_tj *j;
	struct tq_new_task *task;
	json_int_t kept;
	json_t *job;
	unsigned u, v, n;

	CAST_OBJ_NOTNULL(j, priv, API_TJ_MAGIC);
	if (st != AS_OK || json == NULL) {
		api_tj_done(j, st, json, err);
		return;
	}
	job = json_loads(json, 0, NULL);
	AN(job);
	j->job = json_integer_value(json_object_get(job, "id"));
	kept = json_integer_value(json_object_get(job, "urls_today"));
	json_decref(job);
	assert(j->job > 0);
	/* Cut to the day's warms, the first kept: the job's notes say so. */
	assert(kept > 0);
	if ((unsigned)kept < j->nurl)
		j->nurl = (unsigned)kept;
	n = j->nurl * j->nvariant;
	task = calloc(n, sizeof *task);
	AN(task);
	for (u = 0; u < j->nurl; u++)
		for (v = 0; v < j->nvariant; v++) {
			task[u * j->nvariant + v].url = j->url[u];
			task[u * j->nvariant + v].variant = j->variant[v];
		}
	/* The tasks are copied: ours go now, j's strings with j. */
	tq_enqueue(j->t->pool, j->job, task, n, 1, api_tj_enqueued, j);
	free(task);
}

/*--------------------------------------------------------------------
 * Step 2: the URLs and the variants
 */

/* The variants given, else the website's, else the plain one. */
static int
api_tj_variants(struct api_tj *j, json_t *website)
{
	return (api_task_variants(j->r,
	    j->variants != NULL ? j->variants
	                        : json_object_get(website, "variants"),
	    &j->variant, &j->nvariant));
}

/* The URLs and variants made; -1 once answered. */
static int
api_tj_tasks(struct api_tj *j, json_t *website)
{
	const char *base, *why, *plan;
	struct addr_url b;
	json_int_t max;
	size_t i;
	json_t *u;

	base = json_string_value(json_object_get(website, "base_url"));
	max = json_integer_value(json_object_get(website, "max_urls_per_job"));
	plan = json_string_value(json_object_get(website, "plan"));
	AN(base);
	AN(plan);
	if ((json_int_t)json_array_size(j->urls) > max) {
		u = json_pack("{s:s, s:I, s:I, s:s}", "quota", "urls_per_job",
		    "limit", max, "used", (json_int_t)json_array_size(j->urls),
		    "plan", plan);
		AN(u);
		AZ(api_plan_refused(j->r, u));
		json_decref(u);
		return (-1);
	}
	if (addr_url_parse(base, &b, &why) != 0) {
		http_api_error(j->r, 422, "invalid_url", NULL,
		    "the website's base_url: %s", why);
		return (-1);
	}
	j->url = calloc(json_array_size(j->urls), sizeof *j->url);
	AN(j->url);
	json_array_foreach(j->urls, i, u)
	{
		if (api_task_url(j->r, "urls", (unsigned)i,
		        json_string_value(u), base, &b, &j->url[i]) != 0)
			return (-1);
		j->nurl++;
	}
	return (api_tj_variants(j, website));
}

/*--------------------------------------------------------------------
 * Step 2 of a sitemap job: where its worker starts reading
 */

/*
 * The sitemap_url given, on the website's host or a subdomain of it as
 * a website's own sitemap_url is (api_websites.c); else where the
 * website's jobs start (api_task_sitemap_start), as a scheduled job's
 * do.  In *start, to free; -1 once answered.
 */
static int
api_tj_start(struct api_tj *j, json_t *website, char **start)
{
	const char *base, *sm, *why, *p;
	struct addr_url b, s;

	base = json_string_value(json_object_get(website, "base_url"));
	sm = json_string_value(json_object_get(website, "sitemap_url"));
	AN(base);
	if (addr_url_parse(base, &b, &why) != 0) {
		http_api_error(j->r, 422, "invalid_url", NULL,
		    "the website's base_url: %s", why);
		return (-1);
	}
	if (j->sitemap != NULL) {
		for (p = j->sitemap; *p != '\0'; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
				http_api_error(j->r, 422, "invalid_url",
				    "sitemap_url",
				    "sitemap_url: a URL holds no spaces or "
				    "control bytes");
				return (-1);
			}
		if (addr_url_parse(j->sitemap, &s, &why) != 0) {
			http_api_error(j->r, 422, "invalid_url", "sitemap_url",
			    "sitemap_url: %s", why);
			return (-1);
		}
		if (!addr_host_within(s.host, b.host)) {
			http_api_error(j->r, 422, "foreign_host", "sitemap_url",
			    "sitemap_url: %s is not on the website's host (%s) "
			    "or a subdomain of it",
			    s.host, b.host);
			return (-1);
		}
		sm = j->sitemap;
	}
	/* A crawl begins where the website does. */
	if (j->force)
		sm = base;
	*start = api_task_sitemap_start(base, sm);
	return (0);
}

/* A crawl's pages are URLs of the job: the plan's cap holds them. */
static int
api_tj_pages(struct api_tj *j, json_t *website)
{
	const char *plan;
	json_int_t max;
	json_t *u;

	max = json_integer_value(json_object_get(website, "max_urls_per_job"));
	if (j->max_pages <= max)
		return (0);
	plan = json_string_value(json_object_get(website, "plan"));
	AN(plan);
	u = json_pack("{s:s, s:I, s:I, s:s}", "quota", "crawl_pages", "limit",
	    max, "used", j->max_pages, "plan", plan);
	AN(u);
	AZ(api_plan_refused(j->r, u));
	json_decref(u);
	return (-1);
}

static void
api_tj_sitemap(struct api_tj *j, json_t *website)
{
	const char *e;
	char *start;

	if (api_tj_pages(j, website) != 0 ||
	    api_tj_start(j, website, &start) != 0) {
		api_tj_free(&j);
		return;
	}
	if (api_tj_variants(j, website) != 0) {
		free(start);
		api_tj_free(&j);
		return;
	}
	if (tj_create_sitemap(j->t->pool, j->user, j->id, start,
	        (const char *const *)j->variant, j->nvariant, j->crawl,
	        j->render, api_tj_done, j, &e) != 0)
		api_tj_refused(&j, e);
	free(start);
}

static void
api_tj_website(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_tj *j;
	json_t *website;
	const char *e, *role;
	int rv;

	CAST_OBJ_NOTNULL(j, priv, API_TJ_MAGIC);
	if (st != AS_OK || json == NULL) {
		api_tj_done(j, st, json, err);
		return;
	}
	website = json_loads(json, 0, NULL);
	AN(website);
	role = json_string_value(json_object_get(website, "role"));
	AN(role);
	if (strcmp(role, "owner") && strcmp(role, "admin")) {
		json_decref(website);
		http_api_error(j->r, 403, NULL, NULL, "%s",
		    op_create.forbidden);
		api_tj_free(&j);
		return;
	}
	if (j->urls == NULL) {
		api_tj_sitemap(j, website);
		json_decref(website);
		return;
	}
	rv = api_tj_tasks(j, website);
	json_decref(website);
	if (rv != 0) {
		api_tj_free(&j);
		return;
	}
	if (tj_create(j->t->pool, j->user, j->id, j->nurl, j->nvariant,
	        j->render, api_tj_created, j, &e) != 0)
		api_tj_refused(&j, e);
}

/*--------------------------------------------------------------------
 * What the job is of: its urls, its sitemap's, or what a crawl finds
 */

static int
api_tj_refuse(struct api_req *r, const char *field, const char *msg)
{
	http_api_error(r, 422, "invalid", field, "%s", msg);
	return (-1);
}

/* The fields given agree with the source; -1 once answered. */
static int
api_tj_source(struct api_req *r, json_t **v)
{
	const char *src = api_input_str(v[TJ_IN_SOURCE]);
	int crawl_set;

	crawl_set = v[TJ_IN_DEPTH] != NULL || v[TJ_IN_PAGES] != NULL ||
	    v[TJ_IN_DROP] != NULL;
	if (v[TJ_IN_URLS] != NULL && v[TJ_IN_SITEMAP] != NULL)
		return (api_tj_refuse(r, "sitemap_url",
		    "a job warms its urls or its sitemap's, not both"));
	if (src == NULL)
		src = v[TJ_IN_URLS] != NULL ? "urls" : "sitemap";
	if (strcmp(src, "urls") && strcmp(src, "sitemap") &&
	    strcmp(src, "crawl"))
		return (api_tj_refuse(r, "source",
		    "source is urls, sitemap or crawl"));
	if (!strcmp(src, "urls") && v[TJ_IN_URLS] == NULL)
		return (api_tj_refuse(r, "urls", "a job of urls lists them"));
	if (strcmp(src, "urls") && v[TJ_IN_URLS] != NULL)
		return (api_tj_refuse(r, "urls",
		    "a job of its sitemap or of a crawl lists no urls"));
	if (!strcmp(src, "crawl") && v[TJ_IN_SITEMAP] != NULL)
		return (api_tj_refuse(r, "sitemap_url",
		    "a crawl begins at the website's base_url: it reads no "
		    "sitemap"));
	if (!strcmp(src, "urls") && crawl_set)
		return (api_tj_refuse(r,
		    v[TJ_IN_DEPTH] != NULL       ? "max_depth"
		        : v[TJ_IN_PAGES] != NULL ? "max_pages"
		                                 : "drop_params",
		    "only a crawl, or a sitemap job that may crawl, has "
		    "crawl settings"));
	return (0);
}

/* The crawl's settings as the worker reads them (0019_crawl.sql). */
static void
api_tj_crawl(struct api_tj *j, json_t **v)
{
	const char *src = api_input_str(v[TJ_IN_SOURCE]);
	json_t *c;

	if (v[TJ_IN_URLS] != NULL)
		return;
	c = json_object();
	AN(c);
	j->force = src != NULL && !strcmp(src, "crawl");
	if (j->force)
		AZ(json_object_set_new(c, "force", json_true()));
	if (v[TJ_IN_DEPTH] != NULL)
		AZ(json_object_set(c, "max_depth", v[TJ_IN_DEPTH]));
	if (v[TJ_IN_PAGES] != NULL) {
		j->max_pages = json_integer_value(v[TJ_IN_PAGES]);
		AZ(json_object_set(c, "max_pages", v[TJ_IN_PAGES]));
	}
	if (v[TJ_IN_DROP] != NULL)
		AZ(json_object_set(c, "drop_params", v[TJ_IN_DROP]));
	if (json_object_size(c) > 0) {
		j->crawl = json_dumps(c, JSON_COMPACT);
		AN(j->crawl);
	}
	json_decref(c);
}

/*--------------------------------------------------------------------
 * The routes
 */

void
api_tjobs_post(struct api_req *r, void *priv)
{
	json_t *v[API_TJ_NFIELDS];
	struct api_tj *j;
	const char *err;
	int64_t id;

	if (api_tj_id(r, "website", &id) != 0)
		return;
	if (api_input(r, api_tj_fields, API_TJ_NFIELDS, v) != 0 ||
	    api_tj_source(r, v) != 0)
		return;
	j = api_tj_new(r, priv, &op_create, id);
	if (v[TJ_IN_URLS] != NULL)
		j->urls = json_incref(v[TJ_IN_URLS]);
	if (v[TJ_IN_VARIANTS] != NULL)
		j->variants = json_incref(v[TJ_IN_VARIANTS]);
	if (v[TJ_IN_SITEMAP] != NULL) {
		j->sitemap = strdup(json_string_value(v[TJ_IN_SITEMAP]));
		AN(j->sitemap);
	}
	api_tj_crawl(j, v);
	j->render =
	    v[TJ_IN_RENDER] == NULL ? -1 : json_is_true(v[TJ_IN_RENDER]);
	if (tj_website(j->t->pool, j->user, id, api_tj_website, j, &err) != 0)
		api_tj_refused(&j, err);
}

void
api_tjobs_get(struct api_req *r, void *priv)
{
	struct api_tj *j;
	const char *err;
	int64_t id, before, limit;

	if (api_tj_id(r, "website", &id) != 0)
		return;
	if (api_query_int(r, "before", 0, 1, INT64_MAX, &before) != 0) {
		http_api_error(r, 422, "invalid", "before",
		    "before is a job's id");
		return;
	}
	if (api_query_int(r, "limit", TJ_LIST_DEFAULT, 1, TJ_LIST_MAX,
	        &limit) != 0) {
		http_api_error(r, 422, "invalid", "limit",
		    "limit is from 1 to %d", TJ_LIST_MAX);
		return;
	}
	j = api_tj_new(r, priv, &op_list, id);
	if (tj_list(j->t->pool, j->user, id, before, (unsigned)limit,
	        api_tj_done, j, &err) != 0)
		api_tj_refused(&j, err);
}

void
api_tjob_get(struct api_req *r, void *priv)
{
	struct api_tj *j;
	const char *err;
	int64_t id;

	if (api_tj_id(r, "job", &id) != 0)
		return;
	j = api_tj_new(r, priv, &op_get, id);
	if (tj_get(j->t->pool, j->user, id, api_tj_done, j, &err) != 0)
		api_tj_refused(&j, err);
}

void
api_tjob_delete(struct api_req *r, void *priv)
{
	struct api_tj *j;
	const char *err;
	int64_t id;

	if (api_tj_id(r, "job", &id) != 0)
		return;
	j = api_tj_new(r, priv, &op_cancel, id);
	if (tj_cancel(j->t->pool, j->user, id, api_tj_done, j, &err) != 0)
		api_tj_refused(&j, err);
}
