/*
 * The SQL behind analytics_store.h, run as the account store runs its
 * own (as_statement: one row, a verdict and the JSON).
 *
 * One body for the three scopes: each statement first says which
 * websites it reads (scope) and whether the caller may (me: no row, no
 * answer, AS_NOT_FOUND), then the body reads only the rollups of those
 * websites in [from, to), through their primary keys (website, hour).
 *
 * Times are histograms (0016_analytics_hists.sql): one row per
 * website, metric and hour (rollup_hists) or UTC day (rollup_day_hists),
 * each holding its bins as an array and its own p50/p95/p99.  A bucket
 * of one histogram (an hour or a day of one website) answers with
 * those; a bucket of several (a project's websites) and the range's
 * totals sum their bins and walk up them: the first bin where the
 * running count reaches ceil(p * n), p and n as float8 as
 * percentile_disc computes that rank, so that the bin holds the very
 * value percentile_disc would answer.  The range's totals read the days
 * it covers whole and the hours around them.  Counts are summed as
 * float8, exact to 2^53.  (A website of a million results over a week,
 * by the hour: 338 rows of histograms for the series, and for the
 * totals 7 days' rows and at most 46 hours', where 16,000 rows of bins
 * were walked; 40 to 60 ms then, 5 to 9 now.)
 *
 * The range's distribution of TTFB and load time: the same bins as its
 * percentiles', by half a doubling (1.41 times), for a histogram.
 *
 * The slowest URLs: each URL's slowest of the range, by a hash
 * aggregate, the N slowest of those, and their rows joined back for
 * their TTFB and time: the earliest result with that load time, as the
 * rollups keep it (0016), where sorting every row by URL took 4 ms.
 *
 * Parameters: $1 the caller, $2 the website or project (0 for the
 * dashboard), $3 and $4 from and to (seconds since the epoch), $5 the
 * bucket ('hour' or 'day'), $6 how many slowest URLs.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "vdef.h"
#include "vas.h"

#include "analytics_store.h"
#include "pg_pool.h"

const char *const an_bucket_name[AN_BUCKET__MAX] = {
	[AN_HOUR] = "hour",
	[AN_DAY] = "day",
};

const int64_t an_bucket_len[AN_BUCKET__MAX] = {
	[AN_HOUR] = 3600,
	[AN_DAY] = 86400,
};

/* clang-format off */
/* The bins' percentile p of what bc/tc (bin, cum, total) hold. */
#define AN_PCT(p)                                                              \
	"rollup_bin_ms(min(bin) FILTER (WHERE cum >= ceil(" p "::float8"       \
	"  * total::float8)))"
#define AN_TIME                                                                \
	"json_build_object('n', max(total)::bigint, 'p50', " AN_PCT("0.5")     \
	", 'p95', " AN_PCT("0.95") ", 'p99', " AN_PCT("0.99") ")"
/* A histogram's own percentiles (h of rollup_hists' columns). */
#define AN_TIME_OF_HIST                                                        \
	"json_build_object('n', n, 'p50', p50, 'p95', p95, 'p99', p99)"
/* The running count (cum) and the total of the bins of tbl, by keys. */
#define AN_WALK(tbl, keys)                                                     \
	"  SELECT " keys ", bin,"                                              \
	"    sum(n) OVER (PARTITION BY " keys " ORDER BY bin) AS cum,"  \
	"    sum(n) OVER (PARTITION BY " keys ") AS total"              \
	"  FROM " tbl
#define AN_NO_TIME                                                             \
	"json_build_object('n', 0, 'p50', NULL, 'p95', NULL, 'p99', NULL)"

/* Rows of the scope's rollup table tbl (alias a) in [from, to). */
#define AN_IN_RANGE(a, col)                                                    \
	a ".website_id IN (SELECT id FROM scope)"                              \
	"  AND " a "." col " >= p.t0 AND " a "." col " < p.t1"

/*
 * The range as the days it covers whole, [d0, d1), from the days'
 * rollups (a, its column day), and the hours around them from the
 * hours' (a, its column hour).
 */
#define AN_IN_DAYS(a)                                                          \
	a ".website_id IN (SELECT id FROM scope)"                              \
	"  AND " a ".day >= p.d0 AND " a ".day < p.d1"
#define AN_AROUND_DAYS(a)                                                      \
	AN_IN_RANGE(a, "hour") " AND NOT (" a ".hour >= p.d0"                  \
	"  AND " a ".hour < p.d1)"

#define AN_BODY                                                                \
	"p AS ("                                                               \
	"  SELECT to_timestamp($3::float8) AS t0,"                             \
	"    to_timestamp($4::float8) AS t1, $5::text AS unit,"                \
	"    to_timestamp(ceil($3::float8 / 86400) * 86400) AS d0,"            \
	"    to_timestamp(floor($4::float8 / 86400) * 86400) AS d1"            \
	"), hrs AS ("                                                          \
	"  SELECT CASE p.unit WHEN 'hour' THEN h.hour"                         \
	"    ELSE date_trunc(p.unit, h.hour, 'UTC') END AS t,"                 \
	"    sum(h.results) AS results, sum(h.cached) AS cached,"              \
	"    sum(h.fresh) AS fresh, sum(h.uncacheable) AS uncacheable,"        \
	"    sum(h.origin_error) AS origin_error, sum(h.timeout) AS timeout,"  \
	"    sum(h.failed) AS failed, sum(h.hits) AS hits,"                    \
	"    sum(h.answered) AS answered"                                      \
	"  FROM rollup_hours h, p WHERE " AN_IN_RANGE("h", "hour")             \
	"  GROUP BY 1"                                                         \
	"), tot AS ("                                                          \
	"  SELECT sum(results) AS results, sum(cached) AS cached,"             \
	"    sum(fresh) AS fresh, sum(uncacheable) AS uncacheable,"            \
	"    sum(origin_error) AS origin_error, sum(timeout) AS timeout,"      \
	"    sum(failed) AS failed, sum(hits) AS hits,"                        \
	"    sum(answered) AS answered"                                        \
	"  FROM hrs"                                                           \
	"), sh AS ("                                                           \
	"  SELECT h.hour AS t, h.metric, h.lo, h.counts, h.n, h.p50, h.p95,"   \
	"    h.p99"                                                            \
	"  FROM rollup_hists h, p"                                             \
	"  WHERE p.unit = 'hour' AND " AN_IN_RANGE("h", "hour")                \
	"  UNION ALL"                                                          \
	"  SELECT d.day, d.metric, d.lo, d.counts, d.n, d.p50, d.p95, d.p99"   \
	"  FROM rollup_day_hists d, p"                                         \
	"  WHERE p.unit = 'day' AND " AN_IN_RANGE("d", "day")                  \
	"), sg AS ("                                                           \
	"  SELECT t, metric, count(*) AS k, sum(n) AS n, min(p50) AS p50,"     \
	"    min(p95) AS p95, min(p99) AS p99"                                 \
	"  FROM sh GROUP BY 1, 2"                                              \
	"), sb AS ("                                                           \
	"  SELECT sh.t, sh.metric, (sh.lo + u.i - 1)::smallint AS bin, sum(u.c::float8) AS n" \
	"  FROM sh JOIN sg ON sg.t = sh.t AND sg.metric = sh.metric"           \
	"    AND sg.k > 1, unnest(sh.counts) WITH ORDINALITY AS u(c, i)"       \
	"  GROUP BY 1, 2, 3"                                                   \
	"), bc AS ("                                                           \
	AN_WALK("sb", "t, metric")                                             \
	"), bp AS ("                                                           \
	"  SELECT t, metric, " AN_TIME_OF_HIST " AS pct FROM sg WHERE k = 1"   \
	"  UNION ALL"                                                          \
	"  SELECT t, metric, " AN_TIME " AS pct FROM bc GROUP BY 1, 2"         \
	"), th AS ("                                                           \
	"  SELECT d.metric, d.lo, d.counts"                                    \
	"  FROM rollup_day_hists d, p WHERE " AN_IN_DAYS("d")                  \
	"  UNION ALL"                                                          \
	"  SELECT h.metric, h.lo, h.counts"                                    \
	"  FROM rollup_hists h, p WHERE " AN_AROUND_DAYS("h")                  \
	"), tn AS ("                                                           \
	"  SELECT th.metric, (th.lo + u.i - 1)::smallint AS bin, sum(u.c::float8) AS n" \
	"  FROM th, unnest(th.counts) WITH ORDINALITY AS u(c, i)"              \
	"  GROUP BY 1, 2"                                                      \
	"), tc AS ("                                                           \
	AN_WALK("tn", "metric")                                                \
	"), tp AS ("                                                           \
	"  SELECT metric, " AN_TIME " AS pct FROM tc GROUP BY 1"               \
	"), td AS ("                                                           \
	"  SELECT metric, floor(bin / 8.0)::integer AS g, sum(n) AS n"         \
	"  FROM tn WHERE metric IN (1, 2) GROUP BY 1, 2"                       \
	"), tdf AS ("                                                          \
	"  SELECT r.metric, s.g, coalesce(td.n, 0)::bigint AS n"               \
	"  FROM (SELECT metric, min(g) AS lo, max(g) AS hi FROM td"            \
	"    GROUP BY 1) r CROSS JOIN generate_series(r.lo, r.hi) AS s(g)"     \
	"  LEFT JOIN td ON td.metric = r.metric AND td.g = s.g"                \
"), iv AS ("                                                           \
	"  SELECT date_trunc(p.unit, e.occurred_at, 'UTC') AS t,"              \
	"    count(*) FILTER (WHERE e.kind = 'purge') AS purge,"               \
	"    count(*) FILTER (WHERE e.kind = 'ban') AS ban,"                   \
	"    count(*) FILTER (WHERE e.kind = 'tag') AS tag,"                   \
	"    sum(e.objects_dropped) AS dropped,"                               \
	"    sum(e.objects_queued) AS queued"                                  \
	"  FROM invalidation_events e, p"                                      \
	"  WHERE " AN_IN_RANGE("e", "occurred_at") " GROUP BY 1"               \
	"), ivt AS ("                                                          \
	"  SELECT sum(purge) AS purge, sum(ban) AS ban, sum(tag) AS tag,"      \
	"    sum(dropped) AS dropped, sum(queued) AS queued FROM iv"           \
	"), vt AS ("                                                           \
	"  SELECT date_trunc(p.unit, v.hour, 'UTC') AS t, sum(v.hits) AS hits,"\
	"    sum(v.misses) AS misses, sum(v.passes) AS passes"                 \
	"  FROM visitor_traffic v, p WHERE " AN_IN_RANGE("v", "hour")          \
	"  GROUP BY 1"                                                         \
	"), vtt AS ("                                                          \
	"  SELECT sum(hits) AS hits, sum(misses) AS misses,"                   \
	"    sum(passes) AS passes FROM vt"                                    \
	"), vu AS ("                                                           \
	"  SELECT u.reason, sum(u.n) AS n"                                     \
	"  FROM visitor_uncacheable u, p WHERE " AN_IN_RANGE("u", "hour")      \
	"  GROUP BY 1"                                                         \
	"), buckets AS ("                                                      \
	"  SELECT g.t FROM p, generate_series(p.t0, p.t1 - interval '1 s',"    \
	"    CASE p.unit WHEN 'hour' THEN interval '1 hour'"                   \
	"      ELSE interval '24 hours' END) AS g(t)"                          \
	"), cs AS ("                                                           \
	"  SELECT c.cache_status, sum(c.n) AS n"                               \
	"  FROM rollup_cache_status c, p WHERE " AN_IN_RANGE("c", "hour")      \
	"  GROUP BY 1"                                                         \
	"), sr AS ("                                                           \
	"  SELECT s.website_id, s.url, s.load_ms, s.ttfb_ms, s.recorded_at"    \
	"  FROM rollup_day_slow_urls s, p"                                     \
	"  WHERE " AN_IN_DAYS("s")                                             \
	"  UNION ALL"                                                          \
	"  SELECT s.website_id, s.url, s.load_ms, s.ttfb_ms, s.recorded_at"    \
	"  FROM rollup_slow_urls s, p WHERE " AN_AROUND_DAYS("s")              \
	"), sm AS ("                                                           \
	"  SELECT website_id, url, max(load_ms) AS load_ms FROM sr"            \
	"  GROUP BY 1, 2 ORDER BY 3 DESC, 2 LIMIT $6::integer"                 \
	"), slow AS ("                                                         \
	"  SELECT DISTINCT ON (m.website_id, m.url) m.website_id, m.url,"      \
	"    m.load_ms, r.ttfb_ms, r.recorded_at"                              \
	"  FROM sm m JOIN sr r ON r.website_id = m.website_id"                 \
	"    AND r.url = m.url AND r.load_ms = m.load_ms"                      \
	"  ORDER BY m.website_id, m.url, r.recorded_at"                   \
	"), " AN_REASONS

/*
 * Uncacheable results by reason: requests and examples by the hour,
 * distinct URLs by the day, over the days the range touches.
 */
#define AN_REASONS                                                             \
	"ue AS ("                                                              \
	"  SELECT u.reason, u.n, u.examples"                                   \
	"  FROM rollup_uncacheable u, p WHERE " AN_IN_RANGE("u", "hour")       \
	"), uu AS ("                                                           \
	"  SELECT x.reason, count(*) AS urls FROM ("                           \
	"    SELECT DISTINCT u.website_id, u.reason, u.url"                    \
	"    FROM rollup_uncacheable_urls u, p"                                \
	"    WHERE u.website_id IN (SELECT id FROM scope)"                     \
	"      AND u.day >= (p.t0 AT TIME ZONE 'UTC')::date"                   \
	"      AND u.day <= ((p.t1 - interval '1 s') AT TIME ZONE 'UTC')::date" \
	"  ) x GROUP BY 1"                                                     \
	"), un AS ("                                                           \
	"  SELECT ue.reason, sum(ue.n) AS requests, (SELECT"                   \
	"    (array_agg(DISTINCT x ORDER BY x))[1:5]"                          \
	"    FROM ue e2, unnest(e2.examples) x WHERE e2.reason = ue.reason)"   \
	"    AS examples"                                                      \
	"  FROM ue GROUP BY 1"                                                 \
	"), reasons AS ("                                                      \
	"  SELECT coalesce(json_agg(json_build_object('reason', un.reason,"    \
	"    'requests', un.requests, 'urls', coalesce(uu.urls, 0),"           \
	"    'examples', un.examples) ORDER BY un.requests DESC, un.reason),"  \
	"    '[]') AS list"                                                    \
	"  FROM un LEFT JOIN uu ON uu.reason = un.reason"                      \
	")"

/* What a bucket and the totals both say: h of hrs or tot, i of iv or
 * ivt, v of vt or vtt (the visitors' traffic, as agents count it). */
#define AN_COUNTS                                                              \
	"'results', coalesce(h.results, 0),"                                   \
	" 'outcomes', json_build_object('cached', coalesce(h.cached, 0),"      \
	"  'fresh', coalesce(h.fresh, 0),"                                     \
	"  'uncacheable', coalesce(h.uncacheable, 0),"                         \
	"  'origin_error', coalesce(h.origin_error, 0),"                       \
	"  'timeout', coalesce(h.timeout, 0),"                                 \
	"  'failed', coalesce(h.failed, 0)),"                                  \
	" 'cached_share', CASE WHEN h.answered > 0"                            \
	"  THEN round(h.hits / h.answered, 4) END,"                            \
	" 'invalidations', json_build_object('purge', coalesce(i.purge, 0),"   \
	"  'ban', coalesce(i.ban, 0), 'tag', coalesce(i.tag, 0),"              \
	"  'objects_dropped', coalesce(i.dropped, 0),"                         \
	"  'objects_queued', coalesce(i.queued, 0)),"                          \
	" 'visitors', json_build_object('hits', coalesce(v.hits, 0),"          \
	"  'misses', coalesce(v.misses, 0), 'passes', coalesce(v.passes, 0),"  \
	"  'hit_ratio', CASE WHEN v.hits + v.misses + v.passes > 0"            \
	"    THEN round(v.hits::numeric / (v.hits + v.misses + v.passes), 4)"  \
	"  END)"

/*
 * The six times of a bucket or of the range: x1 to x6, the rows of
 * the metrics 1 to 6 joined (AN_TIMES_OF_*), where a subquery each
 * scanned all of bp for every bucket and metric.  4 to 6 are a
 * rendered page's own (0027_render_rollups.sql): DOMContentLoaded,
 * Largest Contentful Paint, the Time-to-Interactive estimate.
 */
#define AN_TIMES                                                               \
	" 'ttfb_ms', coalesce(x1.pct, " AN_NO_TIME "),"                        \
	" 'load_ms', coalesce(x2.pct, " AN_NO_TIME "),"                        \
	" 'rewarm_ms', coalesce(x3.pct, " AN_NO_TIME "),"                      \
	" 'dcl_ms', coalesce(x4.pct, " AN_NO_TIME "),"                         \
	" 'lcp_ms', coalesce(x5.pct, " AN_NO_TIME "),"                         \
	" 'tti_ms', coalesce(x6.pct, " AN_NO_TIME ")"
/*
 * The range's distribution of a time (metric m, of tdf): its bins
 * summed by half a doubling (8 of 16), from the lowest that holds a
 * result to the highest, those between them that hold none counted 0.
 */
#define AN_DIST(m)                                                             \
	"(SELECT coalesce(json_agg(json_build_object("                          \
	"  'from_ms', round(power(2::float8, f.g / 2.0)::numeric, 3),"         \
	"  'to_ms', round(power(2::float8, (f.g + 1) / 2.0)::numeric, 3),"     \
	"  'n', f.n) ORDER BY f.g), '[]') FROM tdf f WHERE f.metric = " m ")"
/* A bucket's (b), from bp. */
#define AN_TIMES_OF_BUCKET                                                     \
	" LEFT JOIN bp x1 ON x1.t = b.t AND x1.metric = 1"                     \
	" LEFT JOIN bp x2 ON x2.t = b.t AND x2.metric = 2"                     \
	" LEFT JOIN bp x3 ON x3.t = b.t AND x3.metric = 3"                     \
	" LEFT JOIN bp x4 ON x4.t = b.t AND x4.metric = 4"                     \
	" LEFT JOIN bp x5 ON x5.t = b.t AND x5.metric = 5"                     \
	" LEFT JOIN bp x6 ON x6.t = b.t AND x6.metric = 6"
/* The range's, from tp. */
#define AN_TIMES_OF_RANGE                                                      \
	" LEFT JOIN tp x1 ON x1.metric = 1"                                    \
	" LEFT JOIN tp x2 ON x2.metric = 2"                                    \
	" LEFT JOIN tp x3 ON x3.metric = 3"                                    \
	" LEFT JOIN tp x4 ON x4.metric = 4"                                    \
	" LEFT JOIN tp x5 ON x5.metric = 5"                                    \
	" LEFT JOIN tp x6 ON x6.metric = 6"

#define AN_ANSWER                                                              \
	"SELECT 'ok', json_build_object("                                      \
	"  'from', p.t0, 'to', p.t1, 'bucket', p.unit,"                        \
	"  'websites', (SELECT count(*) FROM scope),"                          \
	"  'series', (SELECT coalesce(json_agg(json_build_object('t', b.t, "   \
	AN_COUNTS ", " AN_TIMES ") ORDER BY b.t),"                             \
	"    '[]')"                                                            \
	"    FROM buckets b LEFT JOIN hrs h ON h.t = b.t"                      \
	"    LEFT JOIN iv i ON i.t = b.t LEFT JOIN vt v ON v.t = b.t"          \
	AN_TIMES_OF_BUCKET "),"                                                \
	"  'totals', (SELECT json_build_object(" AN_COUNTS ","                 \
	"    'hits', coalesce(h.hits, 0), 'answered', coalesce(h.answered, 0)," \
	"    'cache_status', (SELECT coalesce(json_object_agg(c.cache_status," \
	"      c.n ORDER BY c.cache_status), '{}') FROM cs c),"                \
	"    'visitor_uncacheable', (SELECT coalesce(json_agg("                \
	"      json_build_object('reason', u.reason, 'requests', u.n)"          \
	"      ORDER BY u.n DESC, u.reason), '[]') FROM vu u),"                 \
	"    'distribution', json_build_object('ttfb_ms', " AN_DIST("1") ","   \
	"      'load_ms', " AN_DIST("2") "),"                                  \
	"    " AN_TIMES ") FROM tot h, ivt i, vtt v" AN_TIMES_OF_RANGE "),"    \
	"  'slowest_urls', (SELECT coalesce(json_agg(json_build_object("       \
	"    'url', s.url, 'website_id', s.website_id, 'load_ms', s.load_ms,"  \
	"    'ttfb_ms', s.ttfb_ms, 'recorded_at', s.recorded_at)"              \
	"    ORDER BY s.load_ms DESC, s.url), '[]')"                           \
	"    FROM slow s),"                                                    \
	"  'uncacheable', (SELECT list FROM reasons)"                          \
	")::text FROM p, me"

/* clang-format on */

static const struct pg_stmt an_st_website = { "an_website",
	"WITH scope AS ("
	"  SELECT w.id FROM websites w JOIN project_members m"
	"    ON m.project_id = w.project_id AND m.user_id = $1::bigint"
	"  WHERE w.id = $2::bigint"
	"), me AS (SELECT 1 FROM scope), " AN_BODY " " AN_ANSWER,
	6 };

static const struct pg_stmt an_st_project = { "an_project",
	"WITH me AS ("
	"  SELECT 1 FROM project_members m"
	"  WHERE m.project_id = $2::bigint AND m.user_id = $1::bigint"
	"), scope AS ("
	"  SELECT w.id FROM websites w"
	"  WHERE w.project_id = $2::bigint AND EXISTS (SELECT 1 FROM me)"
	"), " AN_BODY " " AN_ANSWER,
	6 };

/* $2 is 0, and said so only to give it a type. */
static const struct pg_stmt an_st_dashboard = { "an_dashboard",
	"WITH me AS (SELECT 1 WHERE $2::bigint = 0), scope AS ("
	"  SELECT w.id FROM websites w JOIN project_members m"
	"    ON m.project_id = w.project_id AND m.user_id = $1::bigint"
	"), " AN_BODY " " AN_ANSWER,
	6 };

/* $5 and $6 are unused, typed all the same. */
static const struct pg_stmt an_st_reasons = { "an_reasons",
	"WITH scope AS ("
	"  SELECT w.id FROM websites w JOIN project_members m"
	"    ON m.project_id = w.project_id AND m.user_id = $1::bigint"
	"  WHERE w.id = $2::bigint"
	"), me AS (SELECT 1 FROM scope), p AS ("
	"  SELECT to_timestamp($3::float8) AS t0,"
	"    to_timestamp($4::float8) AS t1"
	"  WHERE $5::text IS NOT NULL AND $6::integer IS NOT NULL"
	"), " AN_REASONS
	" SELECT 'ok', json_build_object('from', p.t0, 'to', p.t1,"
	"  'reasons', (SELECT list FROM reasons))::text FROM p, me",
	6 };

/*--------------------------------------------------------------------
 * analytics_store.h
 */

#define AN_NUM_LEN 24

static int
an_run(struct pg_pool *pool, const struct pg_stmt *st, int64_t user, int64_t id,
    const struct an_range *r, as_done_f *cb, void *priv, const char **err)
{
	char u[AN_NUM_LEN], i[AN_NUM_LEN], f[AN_NUM_LEN], t[AN_NUM_LEN];
	char s[AN_NUM_LEN];
	const char *v[6] = { u, i, f, t, NULL, s };

	AN(r);
	assert(r->bucket < AN_BUCKET__MAX);
	assert(r->to > r->from);
	assert(r->from % 3600 == 0 && r->to % 3600 == 0);
	assert(r->slow >= 1 && r->slow <= 25);
	snprintf(u, sizeof u, "%" PRId64, user);
	snprintf(i, sizeof i, "%" PRId64, id);
	snprintf(f, sizeof f, "%" PRId64, r->from);
	snprintf(t, sizeof t, "%" PRId64, r->to);
	snprintf(s, sizeof s, "%u", r->slow);
	v[4] = an_bucket_name[r->bucket];
	return (as_statement(pool, st, v, cb, priv, err));
}

int
an_website(struct pg_pool *pool, int64_t user, int64_t website,
    const struct an_range *r, as_done_f *cb, void *priv, const char **err)
{
	return (an_run(pool, &an_st_website, user, website, r, cb, priv, err));
}

int
an_project(struct pg_pool *pool, int64_t user, int64_t project,
    const struct an_range *r, as_done_f *cb, void *priv, const char **err)
{
	return (an_run(pool, &an_st_project, user, project, r, cb, priv, err));
}

int
an_dashboard(struct pg_pool *pool, int64_t user, const struct an_range *r,
    as_done_f *cb, void *priv, const char **err)
{
	return (an_run(pool, &an_st_dashboard, user, 0, r, cb, priv, err));
}

int
an_reasons(struct pg_pool *pool, int64_t user, int64_t website,
    const struct an_range *r, as_done_f *cb, void *priv, const char **err)
{
	return (an_run(pool, &an_st_reasons, user, website, r, cb, priv, err));
}
