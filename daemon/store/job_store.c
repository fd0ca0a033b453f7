/*
 * Warm jobs made and shown for the CLI (job_store.h).
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

#include "default_project.h"
#include "job_store.h"
#include "pg_pool.h"

/*
 * The CLI's jobs belong to the default project, and the website is found
 * by its base URL or made.  DO UPDATE rather than DO NOTHING, so that an
 * existing website's id is returned too.
 */
static const struct pg_stmt st_create = { NULL,
	"WITH " SQL_DEFAULT_PROJECT ", w AS ("
	"  INSERT INTO websites (project_id, base_url)"
	"  SELECT id, $1 FROM default_project"
	"  ON CONFLICT (project_id, base_url)"
	"    DO UPDATE SET base_url = EXCLUDED.base_url"
	"  RETURNING id"
	")"
	"INSERT INTO cache_jobs (website_id, trigger, source)"
	" SELECT id, $2::job_trigger, $3 FROM w RETURNING id",
	3 };

static const struct pg_stmt st_show = { NULL,
	"SELECT json_build_object("
	"  'id', j.id, 'website', w.base_url, 'status', j.status,"
	"  'trigger', j.trigger, 'source', j.source,"
	"  'urls_total', j.urls_total, 'urls_completed', j.urls_completed,"
	"  'urls_failed', j.urls_failed, 'error', j.error,"
	"  'created_at', j.created_at, 'started_at', j.started_at,"
	"  'finished_at', j.finished_at,"
	"  'tasks', (SELECT coalesce(json_object_agg(state, n), '{}')"
	"    FROM (SELECT state, count(*) AS n FROM warm_tasks"
	"      WHERE job_id = j.id GROUP BY state) s))::text"
	" FROM cache_jobs j JOIN websites w ON w.id = j.website_id"
	" WHERE j.id = $1::bigint",
	1 };

/* A caller's callback, until its query is answered. */
struct job_call {
	unsigned magic;
#define JOB_CALL_MAGIC 0x10b5c0a1
	job_created_f *created;
	job_shown_f *shown;
	void *priv;
};

static struct job_call *
job_call_new(job_created_f *created, job_shown_f *shown, void *priv)
{
	struct job_call *jc;

	ALLOC_OBJ(jc, JOB_CALL_MAGIC);
	AN(jc);
	jc->created = created;
	jc->shown = shown;
	jc->priv = priv;
	return (jc);
}

/*--------------------------------------------------------------------
 * Creating a job.
 */

static void
job_on_created(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct job_call *jc;
	int64_t id = 0;

	CAST_OBJ_NOTNULL(jc, priv, JOB_CALL_MAGIC);
	if (err == NULL && PQntuples(r) != 1)
		err = "no job made";
	if (err == NULL)
		id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	jc->created(jc->priv, id, err);
	FREE_OBJ(jc);
}

void
job_store_create(struct pg_pool *pool, const char *website, const char *trigger,
    const char *source, job_created_f *cb, void *priv)
{
	const char *v[3];

	AN(pool);
	AN(website);
	AN(trigger);
	AN(cb);
	v[0] = website;
	v[1] = trigger;
	v[2] = source;
	AZ(pg_pool_query(pool, &st_create, v, job_on_created,
	    job_call_new(cb, NULL, priv)));
}

/*--------------------------------------------------------------------
 * Showing one.
 */

static void
job_on_show(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct job_call *jc;

	CAST_OBJ_NOTNULL(jc, priv, JOB_CALL_MAGIC);
	if (err != NULL)
		jc->shown(jc->priv, NULL, err);
	else
		jc->shown(jc->priv,
		    PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : NULL, NULL);
	FREE_OBJ(jc);
}

void
job_store_show(struct pg_pool *pool, int64_t id, job_shown_f *cb, void *priv)
{
	char buf[24];
	const char *v[1];

	AN(pool);
	AN(cb);
	snprintf(buf, sizeof buf, "%" PRId64, id);
	v[0] = buf;
	AZ(pg_pool_query(pool, &st_show, v, job_on_show,
	    job_call_new(NULL, cb, priv)));
}
