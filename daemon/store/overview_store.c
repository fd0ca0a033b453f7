/*
 * The SQL behind overview_store.h: the caller's websites first (scope),
 * then for each its OV_JOBS latest jobs along cache_jobs_website_id
 * (website, id), its agents, and its visitors' hours along
 * visitor_traffic's key (website, hour); the running jobs along
 * cache_jobs_active (status).
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "vdef.h"
#include "vas.h"

#include "agent_store_priv.h"
#include "overview_store.h"
#include "pg_pool.h"
#include "tjob_store_priv.h"

#define OV_STR_(x) #x
#define OV_STR(x) OV_STR_(x)

/* clang-format off */
static const struct pg_stmt ov_st_overview = { "ov_overview",
	"WITH scope AS ("
	"  SELECT w.id, w.project_id, p.name AS project_name, w.name,"
	"    w.base_url"
	"  FROM project_members m JOIN projects p ON p.id = m.project_id"
	"  JOIN websites w ON w.project_id = p.id"
	"  WHERE m.user_id = $1::bigint"
	") SELECT 'ok', json_build_object("
	"  'websites', (SELECT coalesce(json_agg(json_build_object("
	"    'id', s.id, 'project_id', s.project_id,"
	"    'project_name', s.project_name, 'name', s.name,"
	"    'base_url', s.base_url,"
	"    'jobs', (SELECT coalesce(json_agg(json_build_object(" TJ_FIELDS ")"
	"      ORDER BY j.id DESC), '[]') FROM (SELECT * FROM cache_jobs"
	"      WHERE website_id = s.id ORDER BY id DESC"
	"      LIMIT " OV_STR(OV_JOBS) ") j),"
	"    'agents', (SELECT coalesce(json_agg(json_build_object(" AGS_FIELDS ")"
	"      ORDER BY a.id), '[]') FROM agents a"
	"      WHERE a.website_id = s.id AND a.revoked_at IS NULL),"
	"    'visitors', (SELECT json_build_object("
	"      'hits', coalesce(sum(v.hits), 0),"
	"      'misses', coalesce(sum(v.misses), 0),"
	"      'passes', coalesce(sum(v.passes), 0),"
	"      'hit_ratio', CASE WHEN sum(v.hits + v.misses + v.passes) > 0"
	"        THEN round(sum(v.hits)::numeric"
	"          / sum(v.hits + v.misses + v.passes), 4) END)"
	"      FROM visitor_traffic v WHERE v.website_id = s.id"
	"        AND v.hour >= date_trunc('hour', now(), 'UTC')"
	"          - interval '24 hours')"
	"  ) ORDER BY s.project_id, s.id), '[]') FROM scope s),"
	"  'running', (SELECT coalesce(json_agg(json_build_object(" TJ_FIELDS ")"
	"    ORDER BY j.id), '[]') FROM (SELECT * FROM cache_jobs"
	"    WHERE status IN ('queued', 'running')"
	"      AND website_id IN (SELECT id FROM scope)"
	"    ORDER BY id LIMIT " OV_STR(OV_RUNNING) ") j)"
	")::text",
	1 };
/* clang-format on */

int
ov_overview(struct pg_pool *pool, int64_t user, as_done_f *cb, void *priv,
    const char **err)
{
	char u[24];
	const char *v[1] = { u };

	snprintf(u, sizeof u, "%" PRId64, user);
	return (as_statement(pool, &ov_st_overview, v, cb, priv, err));
}
