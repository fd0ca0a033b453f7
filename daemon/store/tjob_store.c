/*
 * The SQL behind tjob_store.h, run as the account store runs its own
 * (as_statement: one row, a verdict and the JSON).
 *
 * Pages (of jobs, of results) are keyset pages: the statement reads one
 * row more than asked, and the last row asked for is where the next
 * page starts only if that extra row exists.  Results are sorted by a
 * key and the id, and the next page starts after that pair, so rows of
 * equal keys are neither repeated nor skipped; an unknown time sorts as
 * 'Infinity', so that the key is never NULL and the pair always
 * compares.  Each sort and order is a statement of its own, written out
 * below, whose ORDER BY an index of 0006_tenant_jobs.sql serves.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "vdef.h"
#include "vas.h"
#include "vsb.h"

#include "pg_array.h"
#include "pg_pool.h"
#include "task_queue.h"
#include "tjob_store.h"
#include "tjob_store_priv.h"

const char *const tj_sort_name[TJ_SORT__MAX] = {
	[TJ_SORT_ID] = "id",
	[TJ_SORT_TTFB] = "ttfb",
	[TJ_SORT_LOAD] = "load_time",
	[TJ_SORT_URL] = "url",
};

/* The caller's role in the project of website $2 ($1 the caller). */
#define TJ_ME_WEBSITE                                                          \
	"me AS (SELECT m.role FROM websites w JOIN project_members m"          \
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"          \
	"  WHERE w.id = $2::bigint)"
/* The caller's role in the project of job $2. */
#define TJ_ME_JOB                                                              \
	"me AS (SELECT m.role FROM cache_jobs j"                               \
	"  JOIN websites w ON w.id = j.website_id"                             \
	"  JOIN project_members m"                                             \
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"          \
	"  WHERE j.id = $2::bigint)"
#define TJ_MAY_CHANGE "me.role IN ('owner', 'admin')"

static const struct pg_stmt tj_st_website = { "tj_website",
	"SELECT 'ok', json_build_object('base_url', w.base_url,"
	"  'sitemap_url', w.sitemap_url,"
	"  'variants', w.variants, 'role', m.role,"
	"  'max_urls_per_job', pl.max_urls_per_job, 'plan', pl.name)::text"
	" FROM websites w JOIN project_members m"
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"
	"  JOIN projects p ON p.id = w.project_id"
	"  JOIN plans pl ON pl.id = p.plan_id"
	" WHERE w.id = $2::bigint",
	2 };

/*
 * $3 URLs in $4 variants: over the plan's URLs in a job, refused; else
 * as many as the day's warm requests leave (0021_plan_quotas.sql's
 * job_urls_today(), counting who will warm them as tq_enqueue() will),
 * told in "urls_today" beside the job, whose notes say what was cut;
 * none left, refused.  A refusal's JSON is what the plan refused.
 */
static const struct pg_stmt tj_st_create = { "tj_create",
	"WITH " TJ_ME_WEBSITE ", pl AS ("
	"  SELECT pl.*, p.id AS project_id FROM websites w"
	"    JOIN projects p ON p.id = w.project_id"
	"    JOIN plans pl ON pl.id = p.plan_id"
	"  WHERE w.id = $2::bigint"
	"), k AS ("
	"  SELECT job_urls_today($2::bigint, $3::integer, $4::integer,"
	"    warm_targets($2::bigint, true)) AS n FROM me"
	"  WHERE " TJ_MAY_CHANGE "), verdict AS ("
	"  SELECT CASE"
	"    WHEN NOT " TJ_MAY_CHANGE " THEN 'forbidden'"
	"    WHEN $3::integer > pl.max_urls_per_job THEN 'plan_limit'"
	"    WHEN k.n = 0 THEN 'plan_limit'"
	"    ELSE 'ok' END AS status,"
	"  CASE WHEN $3::integer > pl.max_urls_per_job"
	"    THEN plan_refusal('urls_per_job', pl.max_urls_per_job,"
	"      $3::integer, pl.name)"
	"    WHEN k.n = 0 THEN (SELECT plan_refusal('warms_per_day', q.lim,"
	"      q.used + q.pending, q.plan) FROM project_warms(pl.project_id) q)"
	"    END AS refusal, k.n"
	"  FROM me, pl LEFT JOIN k ON true"
	"), j AS ("
	"  INSERT INTO cache_jobs (website_id, trigger, source, notes, render)"
	"  SELECT $2::bigint, 'manual', 'urls', CASE WHEN v.n < $3::integer"
	"    THEN job_cut_note($2::bigint, v.n, $3::integer) END, $5::boolean"
	"  FROM verdict v WHERE v.status = 'ok'"
	"  RETURNING *"
	") SELECT v.status, CASE WHEN v.status = 'ok'"
	"  THEN (SELECT json_build_object(" TJ_FIELDS ", 'urls_today', v.n)"
	"    ::text FROM j)"
	"  ELSE v.refusal::text END"
	" FROM verdict v",
	5 };

/*
 * A sitemap job is its row and one task of kind sitemap, whose worker
 * reads the sitemap ($3) and queues its URLs in the variants ($4)
 * (0008_sitemap_tasks.sql), or crawls the site with the settings $5
 * (0019_crawl.sql: "force" makes it a crawl job), as TJ_SITEMAP_JOB
 * says; none while the day's warm requests are all made or queued.
 * The plan's cap on URLs is the worker's to apply: only the sitemap
 * (or the site) says how many URLs there are.
 */
static const struct pg_stmt tj_st_create_sitemap = { "tj_create_sitemap",
	"WITH " TJ_ME_WEBSITE ", verdict AS ("
	"  SELECT CASE WHEN NOT " TJ_MAY_CHANGE " THEN 'forbidden'"
	"    WHEN q.lim - q.used - q.pending <= 0 THEN 'plan_limit'"
	"    ELSE 'ok' END AS status,"
	"  plan_refusal('warms_per_day', q.lim, q.used + q.pending, q.plan)"
	"    AS refusal"
	"  FROM me, websites w CROSS JOIN LATERAL project_warms(w.project_id) q"
	"  WHERE w.id = $2::bigint"
	"), " TJ_SITEMAP_JOB("$2::bigint", "manual",
	    "CASE WHEN coalesce(($5::jsonb->>'force')::boolean, false)"
	    " THEN 'crawl' ELSE 'sitemap' END",
	    "FROM verdict WHERE verdict.status = 'ok'", "$3::text",
	    "$4::text[]", "$5::jsonb",
	    "$6::boolean") " SELECT v.status, CASE WHEN"
	                   " v.status = 'ok' THEN (SELECT"
	                   " json_build_object(" TJ_FIELDS
	                   ")::text FROM j) ELSE"
	                   " v.refusal::text END"
	                   " FROM verdict v",
	6 };

static const struct pg_stmt tj_st_list = { "tj_list",
	"WITH " TJ_ME_WEBSITE ", p AS ("
	"  SELECT * FROM cache_jobs WHERE website_id = $2::bigint"
	"    AND ($3::bigint = 0 OR id < $3::bigint)"
	"  ORDER BY id DESC LIMIT $4::integer + 1"
	"), n AS ("
	"  SELECT row_number() OVER (ORDER BY id DESC) AS rn, * FROM p"
	") SELECT 'ok', json_build_object('jobs', coalesce("
	"  (SELECT json_agg(json_build_object(" TJ_FIELDS ") ORDER BY j.rn)"
	"    FROM n j WHERE j.rn <= $4::integer), '[]'),"
	"  'next_before', (SELECT j.id FROM n j WHERE j.rn = $4::integer"
	"    AND EXISTS (SELECT 1 FROM n WHERE rn > $4::integer)))::text"
	" FROM me",
	4 };

static const struct pg_stmt tj_st_get = { "tj_get",
	"SELECT 'ok', json_build_object(" TJ_FIELDS ")::text"
	" FROM cache_jobs j JOIN websites w ON w.id = j.website_id"
	"  JOIN project_members m"
	"  ON m.project_id = w.project_id AND m.user_id = $1::bigint"
	" WHERE j.id = $2::bigint",
	2 };

/*
 * Marking the job and deleting its queued tasks in one statement: a
 * worker's claim (FOR UPDATE SKIP LOCKED) either took a task before,
 * and the DELETE, finding it leased once the claim commits, leaves it
 * to finish; or finds it gone.  A completion of a cancelled job counts
 * but no longer ends it (task_queue.c ends only queued or running jobs).
 */
static const struct pg_stmt tj_st_cancel = { "tj_cancel",
	"WITH " TJ_ME_JOB ", c AS ("
	"  UPDATE cache_jobs j SET status = 'cancelled',"
	"    finished_at = now()"
	"  FROM me WHERE j.id = $2::bigint AND " TJ_MAY_CHANGE
	"    AND j.status IN ('queued', 'running')"
	"  RETURNING j.*"
	"), d AS ("
	"  DELETE FROM warm_tasks t USING c"
	"  WHERE t.job_id = c.id AND t.state = 'queued'"
	") SELECT CASE"
	"  WHEN NOT " TJ_MAY_CHANGE " THEN 'forbidden'"
	"  WHEN NOT EXISTS (SELECT 1 FROM c) THEN 'conflict'"
	"  ELSE 'ok' END,"
	" (SELECT json_build_object(" TJ_FIELDS ")::text FROM c j)"
	" FROM me",
	2 };

/*
 * Results.  $1 the caller, $2 the job, $3..$6 and $10 the filters
 * (NULL: any), $7 and $8 the key and id to start after ($7 NULL: the
 * first page), $9 the limit.  The substring is matched with LIKE, its
 * own %, _ and \ escaped first, so that it is taken literally.
 *
 * The job is a range of one, and the first column of the order: with
 * "r.job_id = $2" the planner drops the job, a constant, from the
 * order, and then the primary key gives the order by id as well as the
 * job's index does; for a job of most of the table it took the primary
 * key, read backwards past every later job's rows (28 ms where the
 * job's index takes 1).  And a generic plan, whose guess for a job is
 * half the table, gathered the rows with parallel workers (20 ms).  A
 * range keeps the job in the order, which only its indexes give.
 *
 * The page's cursor (tjob_store.h) is made here, so that the page goes
 * to the client as PostgreSQL wrote it: cur ("id asc") and the last
 * row's id and key, in the client's encoding as the key will come back,
 * in base64url without padding.  encode() writes base64 in lines of 76:
 * the newlines go with the padding.
 */
#define TJ_RESULTS(name, cur, key, type, cmp, dir)                             \
	{                                                                      \
		name,                                                          \
		    "WITH " TJ_ME_JOB ", p AS ("                               \
		    "  SELECT r.*, " key " AS k FROM page_results r"           \
		    "  WHERE r.job_id BETWEEN $2::bigint AND $2::bigint"       \
		    "    AND EXISTS (SELECT 1 FROM me)"                        \
		    "    AND ($3::warm_outcome IS NULL"                        \
		    "      OR r.outcome = $3::warm_outcome)"                   \
		    "    AND ($4::text IS NULL OR r.cache_status = $4::text)"  \
		    "    AND ($5::integer IS NULL OR r.status = $5::integer)"  \
		    "    AND ($6::text IS NULL OR r.url LIKE '%' || replace("  \
		    "      replace(replace($6::text, '\\', '\\\\'), '%', "     \
		    "'\\%'),"                                                  \
		    "      '_', '\\_') || '%')"                                \
		    "    AND ($10::boolean IS NULL"                            \
		    "      OR r.fragment = $10::boolean)"                      \
		    "    AND ($7::" type " IS NULL"                            \
		    "      OR (" key ", r.id) " cmp " ($7::" type              \
		    ", $8::bigint))"                                           \
		    "  ORDER BY r.job_id " dir ", " key " " dir ", r.id " dir  \
		    "  LIMIT $9::integer + 1"                                  \
		    "), n AS ("                                                \
		    "  SELECT row_number() OVER (ORDER BY k " dir ", id " dir  \
		    "    ) AS rn, * FROM p"                                    \
		    ") SELECT 'ok', json_build_object('results', coalesce("    \
		    "  (SELECT json_agg(json_build_object(" TJ_RESULT_FIELDS   \
		    "    ) ORDER BY r.rn) FROM n r WHERE r.rn <= "             \
		    "$9::integer),"                                            \
		    "    '[]'),"                                               \
		    "  'next_cursor', (SELECT "                                \
		    "translate(encode(convert_to('" cur                        \
		    " ' || r.id || ' ' || r.k::text,"                          \
		    "    pg_client_encoding()), 'base64'),"                    \
		    "    '+/=' || chr(10), '-_') FROM n r"                     \
		    "    WHERE r.rn = $9::integer"                             \
		    "    AND EXISTS (SELECT 1 FROM n WHERE rn > "              \
		    "$9::integer)))"                                           \
		    "  ::text FROM me",                                        \
		    10                                                         \
	}

#define TJ_KEY_ID "r.id"
#define TJ_KEY_TTFB "coalesce(r.ttfb_ms, 'Infinity'::real)"
#define TJ_KEY_LOAD "coalesce(r.load_ms, 'Infinity'::real)"
#define TJ_KEY_URL "r.url"

/* [sort][desc]; each cursor's sort and order as tj_sort_name says. */
static const struct pg_stmt tj_st_results[TJ_SORT__MAX][2] = {
	[TJ_SORT_ID] = {
	    TJ_RESULTS("tj_results_id_asc", "id asc", TJ_KEY_ID, "bigint",
		">", "ASC"),
	    TJ_RESULTS("tj_results_id_desc", "id desc", TJ_KEY_ID, "bigint",
		"<", "DESC"),
	},
	[TJ_SORT_TTFB] = {
	    TJ_RESULTS("tj_results_ttfb_asc", "ttfb asc", TJ_KEY_TTFB, "real",
		">", "ASC"),
	    TJ_RESULTS("tj_results_ttfb_desc", "ttfb desc", TJ_KEY_TTFB,
		"real", "<", "DESC"),
	},
	[TJ_SORT_LOAD] = {
	    TJ_RESULTS("tj_results_load_asc", "load_time asc", TJ_KEY_LOAD,
		"real", ">", "ASC"),
	    TJ_RESULTS("tj_results_load_desc", "load_time desc", TJ_KEY_LOAD,
		"real", "<", "DESC"),
	},
	[TJ_SORT_URL] = {
	    TJ_RESULTS("tj_results_url_asc", "url asc", TJ_KEY_URL, "text",
		">", "ASC"),
	    TJ_RESULTS("tj_results_url_desc", "url desc", TJ_KEY_URL, "text",
		"<", "DESC"),
	},
};

/*--------------------------------------------------------------------
 * tjob_store.h
 */

#define TJ_ID_LEN 24

static void
tj_id(char *buf, int64_t id)
{
	snprintf(buf, TJ_ID_LEN, "%" PRId64, id);
}

/* A job's render as SQL: NULL, the website's. */
static const char *
tj_render(int render)
{
	return (render < 0 ? NULL : render ? "true" : "false");
}

/* A statement of the caller and one id. */
static int
tj_run(struct pg_pool *pool, const struct pg_stmt *st, int64_t user, int64_t id,
    as_done_f *cb, void *priv, const char **err)
{
	char u[TJ_ID_LEN], i[TJ_ID_LEN];
	const char *v[2] = { u, i };

	assert(st->nparams == 2);
	tj_id(u, user);
	tj_id(i, id);
	return (as_statement(pool, st, v, cb, priv, err));
}

int
tj_website(struct pg_pool *pool, int64_t user, int64_t website, as_done_f *cb,
    void *priv, const char **err)
{
	return (tj_run(pool, &tj_st_website, user, website, cb, priv, err));
}

int
tj_create(struct pg_pool *pool, int64_t user, int64_t website, unsigned nurls,
    unsigned nvariant, int render, as_done_f *cb, void *priv, const char **err)
{
	char u[TJ_ID_LEN], w[TJ_ID_LEN], n[TJ_ID_LEN], nv[TJ_ID_LEN];
	const char *v[5] = { u, w, n, nv, tj_render(render) };

	tj_id(u, user);
	tj_id(w, website);
	snprintf(n, sizeof n, "%u", nurls);
	snprintf(nv, sizeof nv, "%u", nvariant);
	return (as_statement(pool, &tj_st_create, v, cb, priv, err));
}

int
tj_create_sitemap(struct pg_pool *pool, int64_t user, int64_t website,
    const char *start, const char *const *variants, unsigned nvariant,
    const char *crawl, int render, as_done_f *cb, void *priv, const char **err)
{
	char u[TJ_ID_LEN], w[TJ_ID_LEN];
	const char *v[6];
	struct vsb *a;
	unsigned i;
	int rv;

	AN(start);
	assert(nvariant > 0);
	tj_id(u, user);
	tj_id(w, website);
	a = pg_array_new();
	for (i = 0; i < nvariant; i++)
		pg_array_text(a, variants[i]);
	pg_array_end(a);
	v[0] = u;
	v[1] = w;
	v[2] = start;
	v[3] = VSB_data(a);
	v[4] = crawl;
	v[5] = tj_render(render);
	rv = as_statement(pool, &tj_st_create_sitemap, v, cb, priv, err);
	VSB_destroy(&a);
	return (rv);
}

int
tj_list(struct pg_pool *pool, int64_t user, int64_t website, int64_t before,
    unsigned limit, as_done_f *cb, void *priv, const char **err)
{
	char u[TJ_ID_LEN], w[TJ_ID_LEN], b[TJ_ID_LEN], l[TJ_ID_LEN];
	const char *v[4] = { u, w, b, l };

	assert(before >= 0);
	assert(limit > 0);
	tj_id(u, user);
	tj_id(w, website);
	tj_id(b, before);
	snprintf(l, sizeof l, "%u", limit);
	return (as_statement(pool, &tj_st_list, v, cb, priv, err));
}

int
tj_get(struct pg_pool *pool, int64_t user, int64_t job, as_done_f *cb,
    void *priv, const char **err)
{
	return (tj_run(pool, &tj_st_get, user, job, cb, priv, err));
}

int
tj_cancel(struct pg_pool *pool, int64_t user, int64_t job, as_done_f *cb,
    void *priv, const char **err)
{
	return (tj_run(pool, &tj_st_cancel, user, job, cb, priv, err));
}

int
tj_results(struct pg_pool *pool, int64_t user, int64_t job,
    const struct tj_query *q, as_done_f *cb, void *priv, const char **err)
{
	char u[TJ_ID_LEN], j[TJ_ID_LEN], a[TJ_ID_LEN], l[TJ_ID_LEN];
	const char *v[10];

	AN(q);
	assert(q->sort < TJ_SORT__MAX);
	assert(q->limit > 0);
	tj_id(u, user);
	tj_id(j, job);
	tj_id(a, q->after_id);
	snprintf(l, sizeof l, "%u", q->limit);
	v[0] = u;
	v[1] = j;
	v[2] = q->outcome;
	v[3] = q->cache_status;
	v[4] = q->status;
	v[5] = q->url;
	v[6] = q->after_key;
	v[7] = a;
	v[8] = l;
	v[9] = q->fragment;
	return (as_statement(pool, &tj_st_results[q->sort][q->desc ? 1 : 0], v,
	    cb, priv, err));
}
