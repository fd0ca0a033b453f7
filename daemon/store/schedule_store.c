/*
 * The SQL behind schedule_store.h, run as the account store runs its
 * own (as_statement: one row, a verdict and the JSON).
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "vdef.h"
#include "vas.h"
#include "vsb.h"

#include "pg_array.h"
#include "pg_pool.h"
#include "schedule_store.h"
#include "tjob_store_priv.h"

/* A time in UTC as ISO 8601; infinity (never) as null. */
#define SC_ISO(x)                                                              \
	"CASE WHEN isfinite(" x ") THEN to_char(" x " AT TIME ZONE 'UTC',"     \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END"
/* Seconds as a slot: -1 is never. */
#define SC_SLOT(p)                                                             \
	"CASE WHEN " p "::bigint < 0 THEN 'infinity'::timestamptz"             \
	" ELSE to_timestamp(" p "::bigint) END"

static const struct pg_stmt sc_st_schedule = { "sc_schedule",
	"SELECT 'ok', json_build_object('website_id', w.id,"
	"  'schedule', w.schedule, 'schedule_tz', w.schedule_tz,"
	"  'next_run_at', " SC_ISO(
	    "w.next_run_at") ","
	                     "  'last_run_at', " SC_ISO(
	                         "w.last_run_at") ","
	                                          "  'last_job_id', "
	                                          "w.last_job_id,"
	                                          "  "
	                                          "'last_skipped_at',"
	                                          " " SC_ISO("w.last_skipped_"
	                                                     "at") ","
	                                                           "  "
	                                                           "'last_"
	                                                           "skipped_"
	                                                           "job_id', "
	                                                           "w.last_"
	                                                           "skipped_"
	                                                           "job_id)::"
	                                                           "text"
	                                                           " FROM "
	                                                           "websites "
	                                                           "w JOIN "
	                                                           "project_"
	                                                           "members m"
	                                                           "  ON "
	                                                           "m.project_"
	                                                           "id = "
	                                                           "w.project_"
	                                                           "id AND "
	                                                           "m.user_id "
	                                                           "= "
	                                                           "$1::bigint"
	                                                           " WHERE "
	                                                           "w.id = "
	                                                           "$2::"
	                                                           "bigint",
	2 };

/* Those to arm first (NULLS FIRST), as websites_schedule_due orders. */
static const struct pg_stmt sc_st_due = { "sc_due",
	"SELECT 'ok', json_build_object('websites', coalesce(json_agg("
	"  json_build_object('id', d.id, 'schedule', d.schedule,"
	"    'schedule_tz', d.schedule_tz,"
	"    'slot', extract(epoch FROM d.next_run_at)::bigint,"
	"    'base_url', d.base_url, 'sitemap_url', d.sitemap_url,"
	"    'variants', d.variants) ORDER BY d.next_run_at NULLS FIRST),"
	"  '[]'))::text"
	" FROM (SELECT * FROM websites w WHERE w.schedule IS NOT NULL"
	"   AND (w.next_run_at IS NULL"
	"     OR w.next_run_at <= to_timestamp($1::bigint))"
	"   ORDER BY w.next_run_at NULLS FIRST LIMIT $2::integer) d",
	2 };

static const struct pg_stmt sc_st_arm = { "sc_arm",
	"WITH a AS ("
	"  UPDATE websites w SET next_run_at = " SC_SLOT(
	    "$4") " WHERE"
	          "  w.id = $1::bigint AND w.next_run_at IS NULL"
	          "    AND w.schedule = $2::text AND w.schedule_tz = $3::text"
	          "  RETURNING w.id"
	          ") SELECT CASE WHEN EXISTS (SELECT 1 FROM a) THEN 'ok'"
	          "  ELSE 'not_found' END, NULL::text",
	4 };

/*
 * c holds the row only if no replica claims it now (SKIP LOCKED) and
 * none claimed it since it was read: under READ COMMITTED a row updated
 * and committed meanwhile is read again as it is now, and its
 * next_run_at is no longer the slot.  The job and the move of
 * next_run_at commit together, or neither does.
 */
static const struct pg_stmt sc_st_claim = { "sc_claim",
	"WITH c AS ("
	"  SELECT w.id FROM websites w"
	"  WHERE w.id = $1::bigint AND w.schedule = $2::text"
	"    AND w.schedule_tz = $3::text"
	"    AND w.next_run_at = to_timestamp($4::bigint)"
	"  FOR UPDATE SKIP LOCKED"
	"), busy AS ("
	"  SELECT j.id FROM cache_jobs j JOIN c ON j.website_id = c.id"
	"  WHERE j.status IN ('queued', 'running')"
	"  ORDER BY j.id LIMIT 1"
	"), " TJ_SITEMAP_JOB("c.id", "schedule", "'sitemap'",
	    "FROM c WHERE NOT EXISTS (SELECT 1 FROM busy)", "$7::text",
	    "$8::text[]", "NULL",
	    "NULL::boolean") ", u AS ("
	                     "  UPDATE websites w SET next_run_at = " SC_SLOT(
	                         "$5") ","
	                               "    last_run_at = CASE WHEN EXISTS "
	                               "(SELECT 1 FROM j)"
	                               "      THEN to_timestamp($6::bigint) "
	                               "ELSE "
	                               "w.last_run_at END,"
	                               "    last_job_id = coalesce((SELECT id "
	                               "FROM j), w.last_job_id),"
	                               "    last_skipped_at = CASE WHEN EXISTS "
	                               "(SELECT 1 FROM busy)"
	                               "      THEN to_timestamp($4::bigint) "
	                               "ELSE "
	                               "w.last_skipped_at END,"
	                               "    last_skipped_job_id = "
	                               "coalesce((SELECT id FROM busy),"
	                               "      w.last_skipped_job_id)"
	                               "  FROM c WHERE w.id = c.id"
	                               "  RETURNING w.id"
	                               ") SELECT 'ok', "
	                               "json_build_object('outcome', CASE"
	                               "    WHEN NOT EXISTS (SELECT 1 FROM u) "
	                               "THEN 'taken'"
	                               "    WHEN EXISTS (SELECT 1 FROM j) THEN "
	                               "'started'"
	                               "    ELSE 'skipped' END,"
	                               "  'job_id', (SELECT id FROM j),"
	                               "  'busy_job_id', (SELECT id FROM busy),"
	                               "  'tasks', (SELECT count(*) FROM "
	                               "t))::text",
	8 };

/*--------------------------------------------------------------------
 * schedule_store.h
 */

#define SC_NUM_LEN 24

static void
sc_num(char *buf, int64_t v)
{
	snprintf(buf, SC_NUM_LEN, "%" PRId64, v);
}

int
sc_schedule(struct pg_pool *pool, int64_t user, int64_t website, as_done_f *cb,
    void *priv, const char **err)
{
	char u[SC_NUM_LEN], w[SC_NUM_LEN];
	const char *v[2] = { u, w };

	sc_num(u, user);
	sc_num(w, website);
	return (as_statement(pool, &sc_st_schedule, v, cb, priv, err));
}

int
sc_due(struct pg_pool *pool, int64_t now, unsigned limit, as_done_f *cb,
    void *priv, const char **err)
{
	char n[SC_NUM_LEN], l[SC_NUM_LEN];
	const char *v[2] = { n, l };

	assert(limit > 0);
	sc_num(n, now);
	sc_num(l, limit);
	return (as_statement(pool, &sc_st_due, v, cb, priv, err));
}

int
sc_arm(struct pg_pool *pool, int64_t website, const char *schedule,
    const char *tz, int64_t next, as_done_f *cb, void *priv, const char **err)
{
	char w[SC_NUM_LEN], n[SC_NUM_LEN];
	const char *v[4] = { w, schedule, tz, n };

	AN(schedule);
	AN(tz);
	sc_num(w, website);
	sc_num(n, next);
	return (as_statement(pool, &sc_st_arm, v, cb, priv, err));
}

int
sc_claim(struct pg_pool *pool, const struct sc_claim *c, as_done_f *cb,
    void *priv, const char **err)
{
	char w[SC_NUM_LEN], s[SC_NUM_LEN], n[SC_NUM_LEN], now[SC_NUM_LEN];
	const char *v[8];
	struct vsb *a;
	unsigned i;
	int rv;

	AN(c);
	AN(c->schedule);
	AN(c->tz);
	AN(c->start);
	assert(c->nvariant > 0);
	sc_num(w, c->website);
	sc_num(s, c->slot);
	sc_num(n, c->next);
	sc_num(now, c->now);
	a = pg_array_new();
	for (i = 0; i < c->nvariant; i++)
		pg_array_text(a, c->variants[i]);
	pg_array_end(a);
	v[0] = w;
	v[1] = c->schedule;
	v[2] = c->tz;
	v[3] = s;
	v[4] = n;
	v[5] = now;
	v[6] = c->start;
	v[7] = VSB_data(a);
	rv = as_statement(pool, &sc_st_claim, v, cb, priv, err);
	VSB_destroy(&a);
	return (rv);
}
