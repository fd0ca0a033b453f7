/*
 * The job table as JSON.  What a caller sends is checked here, before
 * the job table sees it: a JSON object with a string "sitemap" and an
 * optional boolean "refresh", nothing else.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "sitemap/sitemap_jobs.h"
#include "api_jobs.h"
#include "http_api.h"
#include "routes.h"

static json_t *
job_json(const struct sj_info *i, int full)
{
	const struct wb_progress *p = &i->progress;
	json_t *j, *o, *f;
	unsigned n;

	o = json_object();
	for (n = 0; n < WO__MAX; n++)
		json_object_set_new(o, warm_outcome_name[n],
		    json_integer((json_int_t)p->outcome[n]));
	j = json_pack("{s:I,s:s,s:b,s:s,s:f,s:o,s:I,s:I,s:f,s:f,s:o,s:i,s:i,"
	              "s:I}",
	    "id", (json_int_t)i->id, "sitemap", i->sitemap, "refresh",
	    (int)i->refresh, "state", sj_state_name(i->state), "created",
	    i->created, "finished",
	    i->finished > 0 ? json_real(i->finished) : json_null(), "total",
	    (json_int_t)p->total, "done", (json_int_t)p->done, "rate", p->rate,
	    "eta", p->eta, "outcomes", o, "sitemaps", (int)i->sitemaps,
	    "sitemaps_failed", (int)i->sitemaps_failed, "urls_left_out",
	    (json_int_t)i->urls_rejected);
	json_object_set_new(j, "verified",
	    json_integer((json_int_t)p->verified));
	if (i->error != NULL)
		json_object_set_new(j, "error", json_string(i->error));
	if (!full)
		return (j);
	f = json_array();
	for (n = 0; n < i->nfailure; n++)
		json_array_append_new(f,
		    json_pack("{s:s,s:s,s:I,s:s}", "url", i->failure[n].url,
		        "outcome", warm_outcome_name[i->failure[n].outcome],
		        "status", (json_int_t)i->failure[n].status, "reason",
		        i->failure[n].reason));
	json_object_set_new(j, "failures", f);
	return (j);
}

static void
one(void *priv, const struct sj_info *i)
{
	json_t *a = priv;

	assert(json_is_array(a));
	json_array_append_new(a, job_json(i, 0));
}

void
api_jobs_get(struct api_req *r, void *priv)
{
	struct api_ctx *ctx;
	struct sj_info i;
	json_t *a;
	int64_t id;

	CAST_OBJ_NOTNULL(ctx, priv, API_CTX_MAGIC);
	if (api_query_int(r, "id", 0, 1, UINT32_MAX, &id) != 0) {
		http_api_reply(r, 400, NULL, "id: a job number");
		return;
	}
	if (id > 0) {
		if (sj_info(ctx->jobs, (unsigned)id, &i) != 0) {
			http_api_reply(r, 404, NULL, "no such job");
			return;
		}
		http_api_reply(r, 200, job_json(&i, 1), NULL);
		return;
	}
	a = json_array();
	AN(a);
	sj_foreach(ctx->jobs, one, a);
	http_api_reply(r, 200, json_pack("{s:o}", "jobs", a), NULL);
}

void
api_jobs_post(struct api_req *r, void *priv)
{
	json_t *in, *sitemap, *refresh, *v;
	struct api_ctx *ctx;
	const char *k;
	char why[256];
	unsigned id;

	CAST_OBJ_NOTNULL(ctx, priv, API_CTX_MAGIC);
	in = api_body(r);
	AN(in);
	json_object_foreach(in, k, v)
	{
		if (strcmp(k, "sitemap") && strcmp(k, "refresh")) {
			http_api_reply(r, 400, NULL,
			    "unknown field: only sitemap and refresh");
			return;
		}
	}
	sitemap = json_object_get(in, "sitemap");
	refresh = json_object_get(in, "refresh");
	if (!json_is_string(sitemap)) {
		http_api_reply(r, 400, NULL,
		    "sitemap: a site's or a sitemap's URL, as a string");
		return;
	}
	if (refresh != NULL && !json_is_boolean(refresh)) {
		http_api_reply(r, 400, NULL, "refresh: true or false");
		return;
	}
	id = sj_start(ctx->jobs, json_string_value(sitemap),
	    refresh != NULL && json_is_true(refresh), "manual", why,
	    sizeof why);
	if (id == 0) {
		http_api_reply(r, 409, NULL, why);
		return;
	}
	http_api_reply(r, 201, json_pack("{s:I}", "id", (json_int_t)id), NULL);
}
