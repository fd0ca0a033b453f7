/*
 * Stored results as JSON, built by PostgreSQL itself (json_agg): each
 * answer is one statement with parameters, through the daemon's pool,
 * answered when the database answers (http_api's deferred replies).
 *
 *   ?job=N[&after=ID]  a stored job (cache_jobs.id, as the results name
 *                      it), what invalidation started it if one did, and
 *                      its results oldest first, from after result ID
 *   (no job)           the latest results of every job, newest first
 *
 * limit: how many results, 100 by default, 1000 at most.
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "store/pg_pool.h"
#include "api_results.h"
#include "http_api.h"

#define LIMIT_DEFAULT "100"
#define LIMIT_MAX 1000

#define RESULT_COLUMNS                                                         \
	"id, job_id AS job, url, variant, node, status, outcome, reason,"      \
	" cache_status, ttl, load_ms, ttfb_ms, recorded_at"

static const struct pg_stmt st_job = { "api_results_job",
	"SELECT json_build_object("
	"  'job', (SELECT json_build_object('id', j.id,"
	"    'website', w.base_url, 'trigger', j.trigger, 'source', j.source,"
	"    'status', j.status, 'urls_total', j.urls_total,"
	"    'urls_completed', j.urls_completed,"
	"    'urls_failed', j.urls_failed, 'error', j.error,"
	"    'created_at', j.created_at, 'started_at', j.started_at,"
	"    'finished_at', j.finished_at,"
	"    'invalidation', (SELECT row_to_json(i) FROM (SELECT kind, soft,"
	"      node, subject, objects_dropped, objects_queued, occurred_at"
	"      FROM invalidation_events WHERE job_id = j.id"
	"      ORDER BY id LIMIT 1) i))"
	"    FROM cache_jobs j JOIN websites w ON w.id = j.website_id"
	"    WHERE j.id = $1::bigint),"
	"  'results', coalesce((SELECT json_agg(r ORDER BY r.id) FROM ("
	"    SELECT " RESULT_COLUMNS " FROM page_results"
	"    WHERE job_id = $1::bigint AND id > $2::bigint"
	"    ORDER BY id LIMIT $3::integer) r), '[]'::json))::text",
	3 };

static const struct pg_stmt st_latest = { "api_results_latest",
	"SELECT json_build_object("
	"  'results', coalesce((SELECT json_agg(r ORDER BY r.id DESC) FROM ("
	"    SELECT " RESULT_COLUMNS " FROM page_results"
	"    ORDER BY id DESC LIMIT $1::integer) r), '[]'::json))::text",
	1 };

struct results_query {
	unsigned magic;
#define RESULTS_QUERY_MAGIC 0x3e5a71c4
	struct api_reply *reply;
	int job;
};

static void
on_rows(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct results_query *q;
	json_error_t je;
	char msg[512];
	json_t *body;

	CAST_OBJ_NOTNULL(q, priv, RESULTS_QUERY_MAGIC);
	if (err != NULL) {
		snprintf(msg, sizeof msg, "database: %s", err);
		http_api_reply(q->reply, 503, NULL, msg);
	} else if (PQntuples(r) != 1 ||
	    (body = json_loads(PQgetvalue(r, 0, 0), 0, &je)) == NULL) {
		http_api_reply(q->reply, 500, NULL,
		    "the database's answer is not JSON");
	} else if (q->job && json_is_null(json_object_get(body, "job"))) {
		json_decref(body);
		http_api_reply(q->reply, 404, NULL, "no such job");
	} else {
		http_api_reply(q->reply, 200, body, NULL);
	}
	FREE_OBJ(q);
}

/* A query parameter as a whole number from min to max, or -1. */
static int64_t
number(const struct evkeyvalq *query, const char *name, const char *dflt,
    int64_t min, int64_t max)
{
	const char *v = evhttp_find_header(query, name);
	long long n;
	char *end;

	if (v == NULL)
		v = dflt;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return (-1);
	return (n);
}

static void
h_results(void *priv, const struct evkeyvalq *query, struct api_reply *ar)
{
	struct pg_pool *pool = priv;
	struct pg_pool_stats st;
	struct results_query *q;
	char job[24], after[24], limit[24];
	const char *v[3];
	int64_t n;
	int rv;

	if (evhttp_find_header(query, "job") != NULL &&
	    (n = number(query, "job", "", 1, INT64_MAX)) > 0)
		snprintf(job, sizeof job, "%" PRId64, n);
	else if (evhttp_find_header(query, "job") != NULL) {
		http_api_reply(ar, 400, NULL, "job: a stored job's id");
		return;
	} else
		job[0] = '\0';
	n = number(query, "after", "0", 0, INT64_MAX);
	if (n < 0) {
		http_api_reply(ar, 400, NULL, "after: a result's id");
		return;
	}
	snprintf(after, sizeof after, "%" PRId64, n);
	n = number(query, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX);
	if (n < 0) {
		http_api_reply(ar, 400, NULL, "limit: 1 to 1000");
		return;
	}
	snprintf(limit, sizeof limit, "%" PRId64, n);
	/* Say so at once rather than wait for a connection. */
	pg_pool_stats(pool, &st);
	if (st.connected == 0) {
		http_api_reply(ar, 503, NULL, "the database is unreachable");
		return;
	}
	ALLOC_OBJ(q, RESULTS_QUERY_MAGIC);
	AN(q);
	q->reply = ar;
	q->job = job[0] != '\0';
	if (q->job) {
		v[0] = job;
		v[1] = after;
		v[2] = limit;
		rv = pg_pool_query(pool, &st_job, v, on_rows, q);
	} else {
		v[0] = limit;
		rv = pg_pool_query(pool, &st_latest, v, on_rows, q);
	}
	if (rv != 0) {
		FREE_OBJ(q);
		http_api_reply(ar, 503, NULL, "stopping");
	}
}

void
api_results_register(struct http_api *api, struct pg_pool *pool)
{
	AN(pool);
	http_api_route_async(api, "/api/v1/results", h_results, pool);
}
