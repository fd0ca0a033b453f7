/*
 * The SQL behind website_store.h, run as the account store runs its
 * own (as_statement: one row, a verdict and the JSON).
 *
 * Settings arrive as one jsonb object and become a row of websites with
 * jsonb_populate_record(): for a new website over NULL (the defaults
 * then written out, as the schema has them), for a change over the row
 * itself, so that what is not given stays and what is given as null is
 * cleared.  The columns a tenant may not set (id, project_id,
 * created_at) are never read from it.
 *
 * The plan's limit is counted in the statement that inserts, and again
 * by a trigger that waits for any creation racing it (0012_plan_limits.sql).
 * A concurrency over the plan's is refused by a trigger
 * (0021_plan_quotas.sql), with what the plan allows; one not given is
 * 8, or the plan's if less.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "vdef.h"
#include "vas.h"

#include "pg_pool.h"
#include "website_store.h"

#define WS_FIELDS                                                              \
	"'id', w.id, 'project_id', w.project_id, 'name', w.name,"              \
	" 'base_url', w.base_url, 'sitemap_url', w.sitemap_url,"               \
	" 'cache_type', w.cache_type, 'concurrency', w.concurrency,"           \
	" 'rate_limit', w.rate_limit, 'schedule', w.schedule,"                 \
	" 'schedule_tz', w.schedule_tz,"                                       \
	" 'variants', w.variants, 'variant_inputs', w.variant_inputs,"         \
	" 'broadcast_invalidations', w.broadcast_invalidations,"               \
	" 'varnish_nodes', w.varnish_nodes,"                                   \
	" 'search_terms', w.search_terms, 'auto_variants', w.auto_variants,"   \
	" 'render', w.render, 'asset_hosts', w.asset_hosts,"                   \
	" 'created_at', w.created_at"

/* The settings, in the order of WS_SET_ROW. */
#define WS_SET_COLUMNS                                                         \
	"name, base_url, sitemap_url, cache_type, concurrency, rate_limit,"    \
	" schedule, schedule_tz, variants, variant_inputs,"                    \
	" broadcast_invalidations, varnish_nodes, search_terms, "              \
	"auto_variants,"                                                       \
	" render, asset_hosts"
#define WS_SET_ROW                                                             \
	"r.name, r.base_url, r.sitemap_url, r.cache_type, r.concurrency,"      \
	" r.rate_limit, r.schedule, r.schedule_tz, r.variants,"                \
	" r.variant_inputs, r.broadcast_invalidations, r.varnish_nodes,"       \
	" r.search_terms, r.auto_variants, r.render, r.asset_hosts"

/* The caller's role in project $2 ($1 the caller). */
#define WS_ME_PROJECT                                                          \
	"me AS (SELECT role FROM project_members"                              \
	"  WHERE project_id = $2::bigint AND user_id = $1::bigint)"
/* The caller's role in the project of website $2. */
#define WS_ME_WEBSITE                                                          \
	"me AS (SELECT m.role FROM websites w JOIN project_members m"          \
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"          \
	"  WHERE w.id = $2::bigint)"
#define WS_MAY_CHANGE "me.role IN ('owner', 'admin')"

static const struct pg_stmt ws_st_list = { "ws_list",
	"WITH " WS_ME_PROJECT " SELECT 'ok', json_build_object('websites',"
	"  coalesce((SELECT json_agg(json_build_object(" WS_FIELDS ")"
	"    ORDER BY w.id)"
	"    FROM websites w WHERE w.project_id = $2::bigint), '[]'))::text"
	" FROM me",
	2 };

/* The defaults are the schema's (0001_schema.sql). */
static const struct pg_stmt ws_st_create = { "ws_create",
	"WITH " WS_ME_PROJECT ", lim AS ("
	"  SELECT pl.max_websites AS max, (SELECT count(*) FROM websites"
	"    WHERE project_id = $2::bigint) AS n, pl.name AS plan,"
	"    pl.max_concurrency AS conc"
	"  FROM projects p JOIN plans pl ON pl.id = p.plan_id"
	"  WHERE p.id = $2::bigint"
	"), verdict AS ("
	"  SELECT CASE"
	"    WHEN NOT " WS_MAY_CHANGE " THEN 'forbidden'"
	"    WHEN lim.n >= lim.max THEN 'plan_limit'"
	"    ELSE 'ok' END AS status"
	"  FROM me, lim"
	"), w AS ("
	"  INSERT INTO websites (project_id, " WS_SET_COLUMNS ")"
	"  SELECT $2::bigint, coalesce(r.name, ''), r.base_url, r.sitemap_url,"
	"    coalesce(r.cache_type, 'varnish'),"
	"    coalesce(r.concurrency, least(8, lim.conc)),"
	"    r.rate_limit, r.schedule, coalesce(r.schedule_tz, 'UTC'),"
	"    coalesce(r.variants, '[]'),"
	"    coalesce(r.variant_inputs, '{}'),"
	"    coalesce(r.broadcast_invalidations, false),"
	"    coalesce(r.varnish_nodes, '{}'), coalesce(r.search_terms, '{}'),"
	"    coalesce(r.auto_variants, false), coalesce(r.render, false),"
	"    coalesce(r.asset_hosts, '{}')"
	"  FROM verdict, lim,"
	"    jsonb_populate_record(NULL::websites, $3::jsonb) r"
	"  WHERE verdict.status = 'ok'"
	"  RETURNING *"
	") SELECT v.status, CASE WHEN v.status = 'plan_limit'"
	"  THEN (SELECT plan_refusal('websites', lim.max, lim.n, lim.plan)"
	"    ::text FROM lim)"
	"  ELSE (SELECT json_build_object(" WS_FIELDS ")::text FROM w) END"
	" FROM verdict v",
	3 };

static const struct pg_stmt ws_st_get = { "ws_get",
	"SELECT 'ok', json_build_object(" WS_FIELDS ")::text"
	" FROM websites w JOIN project_members m"
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"
	" WHERE w.id = $2::bigint",
	2 };

static const struct pg_stmt ws_st_update = { "ws_update",
	"WITH " WS_ME_WEBSITE ", u AS ("
	"  UPDATE websites w SET (" WS_SET_COLUMNS ") = (SELECT " WS_SET_ROW
	"    FROM jsonb_populate_record(w, $3::jsonb) r)"
	"  FROM me WHERE w.id = $2::bigint AND " WS_MAY_CHANGE "  RETURNING w.*"
	") SELECT CASE"
	"  WHEN NOT " WS_MAY_CHANGE " THEN 'forbidden'"
	"  WHEN NOT EXISTS (SELECT 1 FROM u) THEN 'not_found'"
	"  ELSE 'ok' END,"
	" (SELECT json_build_object(" WS_FIELDS ")::text FROM u w)"
	" FROM me",
	3 };

/* Its jobs and results go with it (ON DELETE CASCADE). */
static const struct pg_stmt ws_st_delete = { "ws_delete",
	"WITH " WS_ME_WEBSITE ", d AS ("
	"  DELETE FROM websites w USING me"
	"  WHERE w.id = $2::bigint AND " WS_MAY_CHANGE " RETURNING w.id"
	") SELECT CASE"
	"  WHEN NOT " WS_MAY_CHANGE " THEN 'forbidden'"
	"  WHEN NOT EXISTS (SELECT 1 FROM d) THEN 'not_found'"
	"  ELSE 'ok' END, NULL::text"
	" FROM me",
	2 };

/*--------------------------------------------------------------------
 * website_store.h
 */

#define WS_ID_LEN 24

static int
ws_run(struct pg_pool *pool, const struct pg_stmt *st, int64_t user, int64_t id,
    const char *settings, as_done_f *cb, void *priv, const char **err)
{
	char u[WS_ID_LEN], i[WS_ID_LEN];
	const char *v[3] = { u, i, settings };

	snprintf(u, sizeof u, "%" PRId64, user);
	snprintf(i, sizeof i, "%" PRId64, id);
	assert((settings != NULL) == (st->nparams == 3));
	return (as_statement(pool, st, v, cb, priv, err));
}

int
ws_list(struct pg_pool *pool, int64_t user, int64_t project, as_done_f *cb,
    void *priv, const char **err)
{
	return (ws_run(pool, &ws_st_list, user, project, NULL, cb, priv, err));
}

int
ws_create(struct pg_pool *pool, int64_t user, int64_t project,
    const char *settings, as_done_f *cb, void *priv, const char **err)
{
	AN(settings);
	return (ws_run(pool, &ws_st_create, user, project, settings, cb, priv,
	    err));
}

int
ws_get(struct pg_pool *pool, int64_t user, int64_t website, as_done_f *cb,
    void *priv, const char **err)
{
	return (ws_run(pool, &ws_st_get, user, website, NULL, cb, priv, err));
}

int
ws_update(struct pg_pool *pool, int64_t user, int64_t website,
    const char *settings, as_done_f *cb, void *priv, const char **err)
{
	AN(settings);
	return (ws_run(pool, &ws_st_update, user, website, settings, cb, priv,
	    err));
}

int
ws_delete(struct pg_pool *pool, int64_t user, int64_t website, as_done_f *cb,
    void *priv, const char **err)
{
	return (
	    ws_run(pool, &ws_st_delete, user, website, NULL, cb, priv, err));
}
