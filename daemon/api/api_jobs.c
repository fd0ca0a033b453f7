/*
 * The job table as JSON.  What a caller sends is checked here, before
 * the job table sees it: a JSON object with a string "sitemap" and an
 * optional boolean "refresh", nothing else.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "sitemap/sitemap_jobs.h"
#include "api_jobs.h"
#include "http_api.h"

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
	json_array_append_new(priv, job_json(i, 0));
}

static int
h_jobs(void *priv, const struct evkeyvalq *q, json_t **body, const char **err)
{
	struct sj_info i;
	const char *v;
	json_t *a;
	char *end;
	unsigned long id;

	v = evhttp_find_header(q, "id");
	if (v != NULL) {
		errno = 0;
		id = strtoul(v, &end, 10);
		if (errno || *end != '\0' || id == 0 || id > 0xffffffffUL) {
			*err = "id: a job number";
			return (400);
		}
		if (sj_info(priv, (unsigned)id, &i) != 0) {
			*err = "no such job";
			return (404);
		}
		*body = job_json(&i, 1);
		return (200);
	}
	a = json_array();
	sj_foreach(priv, one, a);
	*body = json_pack("{s:o}", "jobs", a);
	return (200);
}

static int
h_start(void *priv, const struct evkeyvalq *q, json_t *in, json_t **body,
    const char **err)
{
	static char why[256];
	json_t *sitemap, *refresh;
	const char *k;
	json_t *v;
	unsigned id;

	(void)q;
	json_object_foreach(in, k, v)
	{
		if (strcmp(k, "sitemap") && strcmp(k, "refresh")) {
			*err = "unknown field: only sitemap and refresh";
			return (400);
		}
	}
	sitemap = json_object_get(in, "sitemap");
	refresh = json_object_get(in, "refresh");
	if (!json_is_string(sitemap)) {
		*err = "sitemap: a site's or a sitemap's URL, as a string";
		return (400);
	}
	if (refresh != NULL && !json_is_boolean(refresh)) {
		*err = "refresh: true or false";
		return (400);
	}
	id = sj_start(priv, json_string_value(sitemap),
	    refresh != NULL && json_is_true(refresh), "manual", why,
	    sizeof why);
	if (id == 0) {
		/* Served at once from the loop: one buffer will do. */
		*err = why;
		return (409);
	}
	*body = json_pack("{s:I}", "id", (json_int_t)id);
	return (201);
}

void
api_jobs_register(struct http_api *api, struct sitemap_jobs *sj)
{
	http_api_route(api, "/api/v1/jobs", h_jobs, sj);
	http_api_route_post(api, "/api/v1/jobs", h_start, sj);
}
