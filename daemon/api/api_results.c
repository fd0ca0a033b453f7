/*
 * Stored results as JSON: the query string checked here, the query
 * itself in store/result_query.c, answered when the database answers
 * (http_api's deferred replies).
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "store/result_query.h"
#include "api_results.h"
#include "http_api.h"
#include "routes.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 1000

/* A request waiting for the database. */
struct results_wait {
	unsigned magic;
#define RESULTS_WAIT_MAGIC 0x3e5a71c5
	struct api_req *req;
	int job;
};

static void
results_answer(void *priv, const char *json, const char *err)
{
	struct results_wait *w;
	json_error_t je;
	char msg[512];
	json_t *body;

	CAST_OBJ_NOTNULL(w, priv, RESULTS_WAIT_MAGIC);
	if (err != NULL) {
		snprintf(msg, sizeof msg, "database: %s", err);
		http_api_reply(w->req, 503, NULL, msg);
	} else if (json == NULL || (body = json_loads(json, 0, &je)) == NULL) {
		http_api_reply(w->req, 500, NULL,
		    "the database's answer is not JSON");
	} else if (w->job && json_is_null(json_object_get(body, "job"))) {
		json_decref(body);
		http_api_reply(w->req, 404, NULL, "no such job");
	} else {
		http_api_reply(w->req, 200, body, NULL);
	}
	FREE_OBJ(w);
}

void
api_results_get(struct api_req *r, void *priv)
{
	struct results_wait *w;
	struct api_ctx *ctx;
	int64_t job, after, limit;
	const char *err;
	int rv;

	CAST_OBJ_NOTNULL(ctx, priv, API_CTX_MAGIC);
	if (ctx->pool == NULL) {
		http_api_reply(r, 404, NULL, "no such endpoint");
		return;
	}
	if (api_query_int(r, "job", 0, 1, INT64_MAX, &job) != 0) {
		http_api_reply(r, 400, NULL, "job: a stored job's id");
		return;
	}
	if (api_query_int(r, "after", 0, 0, INT64_MAX, &after) != 0) {
		http_api_reply(r, 400, NULL, "after: a result's id");
		return;
	}
	if (api_query_int(r, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX, &limit) !=
	    0) {
		http_api_reply(r, 400, NULL, "limit: 1 to 1000");
		return;
	}
	ALLOC_OBJ(w, RESULTS_WAIT_MAGIC);
	AN(w);
	w->req = r;
	w->job = job > 0;
	if (w->job)
		rv = rq_job(ctx->pool, job, after, limit, results_answer, w,
		    &err);
	else
		rv = rq_latest(ctx->pool, limit, results_answer, w, &err);
	if (rv != 0) {
		FREE_OBJ(w);
		http_api_reply(r, 503, NULL, err);
	}
}
