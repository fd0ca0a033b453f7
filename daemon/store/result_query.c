/*
 * The SQL behind result_query.h.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "pg_pool.h"
#include "result_query.h"

#define RESULT_COLUMNS                                                         \
	"id, job_id AS job, url, variant, node, status, outcome, reason,"      \
	" cache_status, ttl, load_ms, ttfb_ms, recorded_at"

static const struct pg_stmt st_job = { "result_query_job",
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

static const struct pg_stmt st_latest = { "result_query_latest",
	"SELECT json_build_object("
	"  'results', coalesce((SELECT json_agg(r ORDER BY r.id DESC) FROM ("
	"    SELECT " RESULT_COLUMNS " FROM page_results"
	"    ORDER BY id DESC LIMIT $1::integer) r), '[]'::json))::text",
	1 };

/* A query on its way: whom to tell. */
struct rq_wait {
	unsigned magic;
#define RQ_WAIT_MAGIC 0x3e5a71c4
	rq_json_f *cb;
	void *priv;
};

static void
rq_on_rows(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct rq_wait *w;

	CAST_OBJ_NOTNULL(w, priv, RQ_WAIT_MAGIC);
	if (err != NULL)
		w->cb(w->priv, NULL, err);
	else if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
		w->cb(w->priv, NULL, NULL);
	else
		w->cb(w->priv, PQgetvalue(r, 0, 0), NULL);
	FREE_OBJ(w);
}

static int
rq_query(struct pg_pool *pool, const struct pg_stmt *st, const char *const *v,
    rq_json_f *cb, void *priv, const char **err)
{
	struct rq_wait *w;

	AN(pool);
	AN(cb);
	AN(err);
	ALLOC_OBJ(w, RQ_WAIT_MAGIC);
	AN(w);
	w->cb = cb;
	w->priv = priv;
	/* Said at once rather than after the pool's wait for a connection. */
	if (pg_pool_ask(pool, st, v, rq_on_rows, w, err) != 0) {
		FREE_OBJ(w);
		return (-1);
	}
	return (0);
}

int
rq_job(struct pg_pool *pool, int64_t job, int64_t after, int64_t limit,
    rq_json_f *cb, void *priv, const char **err)
{
	char j[24], a[24], l[24];
	const char *v[3] = { j, a, l };

	assert(job > 0 && after >= 0 && limit > 0);
	snprintf(j, sizeof j, "%" PRId64, job);
	snprintf(a, sizeof a, "%" PRId64, after);
	snprintf(l, sizeof l, "%" PRId64, limit);
	return (rq_query(pool, &st_job, v, cb, priv, err));
}

int
rq_latest(struct pg_pool *pool, int64_t limit, rq_json_f *cb, void *priv,
    const char **err)
{
	char l[24];
	const char *v[1] = { l };

	assert(limit > 0);
	snprintf(l, sizeof l, "%" PRId64, limit);
	return (rq_query(pool, &st_latest, v, cb, priv, err));
}
