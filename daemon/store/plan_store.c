/*
 * The SQL behind plan_store.h.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "vdef.h"
#include "vas.h"

#include "pg_pool.h"
#include "plan_store.h"

#define PS_FIELDS                                                              \
	"'id', pl.id, 'name', pl.name, 'max_websites', pl.max_websites,"       \
	" 'max_urls_per_job', pl.max_urls_per_job,"                            \
	" 'max_warms_per_day', pl.max_warms_per_day,"                          \
	" 'max_concurrency', pl.max_concurrency,"                              \
	" 'result_retention_days', " PS_RETENTION
#define PS_RETENTION                                                           \
	"floor(extract(epoch FROM pl.result_retention) / 86400)::integer"

static const struct pg_stmt ps_st_plans = { "ps_plans",
	"SELECT 'ok', json_build_object('plans', coalesce(json_agg("
	"  json_build_object(" PS_FIELDS ") ORDER BY pl.id), '[]'))::text"
	" FROM plans pl",
	0 };

/*
 * Each limit with its use: warms made today (usage_daily) and still to
 * make (the open jobs' tasks), and the warm requests in flight against
 * the concurrency, as a claim counts them (0021_plan_quotas.sql).
 */
static const struct pg_stmt ps_st_usage = { "ps_usage",
	"WITH d AS (SELECT (now() AT TIME ZONE 'UTC')::date AS today,"
	"  ceil(extract(epoch FROM (date_trunc('day', now(), 'UTC')"
	"    + interval '1 day') - now()))::bigint AS resets_in)"
	" SELECT 'ok', json_build_object('project_id', p.id,"
	"  'plan', json_build_object(" PS_FIELDS "),"
	"  'websites', json_build_object('used', n.websites,"
	"    'max', pl.max_websites,"
	"    'remaining', greatest(pl.max_websites - n.websites, 0)),"
	"  'warms_today', json_build_object('day', d.today,"
	"    'used', q.used, 'max', pl.max_warms_per_day,"
	"    'queued', q.pending, 'remaining',"
	"    greatest(pl.max_warms_per_day - q.used - q.pending, 0),"
	"    'resets_in', d.resets_in),"
	"  'concurrency', json_build_object('used', n.leased,"
	"    'max', pl.max_concurrency,"
	"    'remaining', greatest(pl.max_concurrency - n.leased, 0)),"
	"  'max_urls_per_job', pl.max_urls_per_job,"
	"  'result_retention_days', " PS_RETENTION ","
	"  'warms_by_day', (SELECT json_agg(json_build_object('day', g.day,"
	"    'warms', coalesce(u.warms, 0)) ORDER BY g.day)"
	"    FROM (SELECT (d.today - i) AS day FROM generate_series(29, 0, -1)"
	"      AS i) g"
	"    LEFT JOIN usage_daily u ON u.project_id = p.id"
	"      AND u.day = g.day))::text"
	" FROM d, projects p JOIN project_members m"
	"  ON m.project_id = p.id AND m.user_id = $1::bigint"
	"  JOIN plans pl ON pl.id = p.plan_id"
	"  CROSS JOIN LATERAL project_warms(p.id) q"
	"  CROSS JOIN LATERAL (SELECT (SELECT count(*) FROM websites w"
	"    WHERE w.project_id = p.id) AS websites,"
	"    (SELECT coalesce(sum(l.warms), 0) FROM leased_warms l"
	"      WHERE l.project_id = p.id) AS leased) n"
	" WHERE p.id = $2::bigint",
	2 };

int
ps_plans(struct pg_pool *pool, as_done_f *cb, void *priv, const char **err)
{
	const char *v[1] = { NULL };

	return (as_statement(pool, &ps_st_plans, v, cb, priv, err));
}

int
ps_usage(struct pg_pool *pool, int64_t user, int64_t project, as_done_f *cb,
    void *priv, const char **err)
{
	char u[24], p[24];
	const char *v[2] = { u, p };

	snprintf(u, sizeof u, "%" PRId64, user);
	snprintf(p, sizeof p, "%" PRId64, project);
	return (as_statement(pool, &ps_st_usage, v, cb, priv, err));
}
