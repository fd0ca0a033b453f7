/*
 * The SQL behind inval_store.h: a keyset page, one row more read than
 * asked so that next_before is set only when there is more, along
 * invalidation_events_website_id (website, id) of 0009_analytics.sql.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "vdef.h"
#include "vas.h"

#include "inval_store.h"
#include "pg_pool.h"

#define IS_FIELDS                                                              \
	"'id', e.id, 'kind', e.kind, 'soft', e.soft, 'node', e.node,"          \
	" 'subject', e.subject, 'objects_dropped', e.objects_dropped,"         \
	" 'objects_queued', e.objects_queued, 'occurred_at', e.occurred_at,"   \
	" 'job', (SELECT json_build_object('id', j.id, 'status', j.status,"    \
	"  'urls_total', j.urls_total, 'urls_completed', j.urls_completed,"    \
	"  'urls_failed', j.urls_failed, 'started_at', j.started_at,"          \
	"  'finished_at', j.finished_at)"                                      \
	"  FROM cache_jobs j WHERE j.id = e.job_id)"

static const struct pg_stmt is_st_list = { "is_list",
	"WITH me AS ("
	"  SELECT 1 FROM websites w JOIN project_members m"
	"    ON m.project_id = w.project_id AND m.user_id = $1::bigint"
	"  WHERE w.id = $2::bigint"
	"), p AS ("
	"  SELECT * FROM invalidation_events"
	"  WHERE website_id = $2::bigint AND EXISTS (SELECT 1 FROM me)"
	"    AND ($3::bigint = 0 OR id < $3::bigint)"
	"    AND ($5::invalidation_kind IS NULL OR kind = "
	"$5::invalidation_kind)"
	"  ORDER BY id DESC LIMIT $4::integer + 1"
	"), n AS ("
	"  SELECT row_number() OVER (ORDER BY id DESC) AS rn, * FROM p"
	") SELECT 'ok', json_build_object('invalidations', coalesce("
	"  (SELECT json_agg(json_build_object(" IS_FIELDS ") ORDER BY e.rn)"
	"    FROM n e WHERE e.rn <= $4::integer), '[]'),"
	"  'next_before', (SELECT e.id FROM n e WHERE e.rn = $4::integer"
	"    AND EXISTS (SELECT 1 FROM n WHERE rn > $4::integer)))::text"
	" FROM me",
	5 };

int
is_list(struct pg_pool *pool, int64_t user, int64_t website, int64_t before,
    unsigned limit, const char *kind, as_done_f *cb, void *priv,
    const char **err)
{
	char u[24], w[24], b[24], l[24];
	const char *v[5] = { u, w, b, l, kind };

	assert(before >= 0);
	assert(limit > 0);
	snprintf(u, sizeof u, "%" PRId64, user);
	snprintf(w, sizeof w, "%" PRId64, website);
	snprintf(b, sizeof b, "%" PRId64, before);
	snprintf(l, sizeof l, "%u", limit);
	return (as_statement(pool, &is_st_list, v, cb, priv, err));
}
