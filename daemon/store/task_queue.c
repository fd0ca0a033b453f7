/*
 * The queue's statements, and the bookkeeping of what this worker holds.
 *
 * Each write (completions, releases, renewals) is one statement, so it
 * commits whole or not at all, and each matches only rows that are still
 * leased by this worker: run twice, the second run changes nothing.
 * Writes go one at a time: two statements of ours updating the same task
 * rows at once could only deadlock each other.
 */

#include "config.h"

#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vsb.h"

#include "core/log.h"
#include "pg_array.h"
#include "pg_pool.h"
#include "task_queue.h"

#define ENQUEUE_BATCH 5000
#define WRITE_DELAY 0.1 /* seconds a completion may wait for others */
#define RETRY_MIN 0.25
#define RETRY_MAX 5.0

/*
 * claim_tasks() of 0021_plan_quotas.sql chooses and leases: leases that
 * ran out (their worker died or stalled) first, then queued tasks, each
 * by its own partial index, with SKIP LOCKED so that workers claim side
 * by side, as far as each project's plan allows (its concurrency, its
 * warm requests of the day).  What this worker still holds ($4) is not
 * claimed again, even when its lease ran out (the database was away):
 * one task held twice would be completed twice in one statement.  An
 * agent's task (agent_id) is its agent's alone (0015_agent_tasks.sql).
 * A page is rendered too as its job, else its website, says
 * (0023_render.sql), unless it is an asset or a fragment.  A sitemap
 * task comes with what the website's visitors asked for most
 * (0026_popularity.sql), its 10,000 most popular paths at most.
 */
static const struct pg_stmt st_claim = { "tq_claim",
	"WITH t AS ("
	"  SELECT * FROM claim_tasks($1, $2::float8, $3::integer,"
	"    $4::bigint[], NULL)"
	")"
	"SELECT t.id, t.job_id, t.url, t.variant, t.attempts,"
	"  array_to_string(ws.varnish_nodes, ' '), t.kind = 'sitemap',"
	"  ws.base_url, pl.max_urls_per_job,"
	"  (SELECT coalesce(string_agg(d.key || '=' || d.value, ' '"
	"    ORDER BY d.key), '') FROM jsonb_each_text(ws.variant_inputs) d),"
	"  coalesce(t.crawl::text, ''),"
	"  CASE WHEN t.kind = 'sitemap' AND ws.cache_type = 'shopware' THEN"
	"    json_build_object('search_terms', ws.search_terms,"
	"      'visitor_terms', website_search_terms(ws.id, 7, 10),"
	"      'auto_variants', ws.auto_variants,"
	"      'currency_input', ws.variant_inputs->>'currency',"
	"      'variants', t.variants)::text"
	"  ELSE '' END,"
	"  coalesce(j.render, ws.render) AND t.kind = 'warm'"
	"    AND wt.asset_of IS NULL AND NOT wt.fragment,"
	"  array_to_string(ws.asset_hosts, ' '),"
	"  CASE WHEN t.kind = 'sitemap' THEN"
	"    website_popular_paths(ws.id, 7, 10000)::text ELSE '' END"
	" FROM t JOIN warm_tasks wt ON wt.id = t.id"
	"  JOIN cache_jobs j ON j.id = t.job_id"
	"  JOIN websites ws ON ws.id = j.website_id"
	"  JOIN projects p ON p.id = ws.project_id"
	"  JOIN plans pl ON pl.id = p.plan_id",
	4 };

/*
 * Only the tasks still leased by us change; their pages are inserted and
 * the jobs counted by exactly as many; a job whose count reaches its
 * total is done.  "id = ANY" as well as the join: the planner then finds
 * the rows by primary key whatever it believes of the leased index.  The
 * job row's lock orders concurrent completions, and each sees the
 * counters the one before it left.  It is taken (lk, in the order of the
 * ids, as every completion takes it) before the pages are made, so that
 * a job's pages take their ids in the order they commit: an event
 * stream that has read a job's results up to an id never sees one
 * below it appear later (0010_live_events.sql).  u reads lk too: the
 * CTEs that change rows run in no promised order, and a row this
 * statement has updated already could no longer be locked by it.  A
 * project whose last claim held tasks back for its plan has a slot
 * again: the workers are told (wk), and its agents with tasks waiting
 * (wa, 0021_plan_quotas.sql).
 */
static const struct pg_stmt st_complete = { "tq_complete",
	"WITH r AS ("
	"  SELECT * FROM unnest($2::bigint[], $3::boolean[]) AS r(id, ok)"
	"), t AS ("
	"  UPDATE warm_tasks w SET"
	"    state = CASE WHEN r.ok THEN 'done'::task_state"
	"      ELSE 'failed'::task_state END,"
	"    lease_until = NULL, finished_at = now()"
	"  FROM r WHERE w.id = r.id AND w.id = ANY($2::bigint[])"
	"    AND w.state = 'leased' AND w.lease_owner = $1"
	"    AND w.agent_id IS NULL"
	"  RETURNING w.id, w.job_id, w.url, w.variant, w.fragment, w.asset_of,"
	"    r.ok"
	"), lk AS MATERIALIZED ("
	"  SELECT id, website_id FROM cache_jobs"
	"  WHERE id IN (SELECT job_id FROM t) ORDER BY id FOR UPDATE"
	"), p AS ("
	"  INSERT INTO page_results (job_id, website_id, task_id, url,"
	"    variant, node, status, load_ms, ttfb_ms, cache_status, outcome,"
	"    reason, ttl, fragment, asset_of, timings, headers)"
	"  SELECT t.job_id, j.website_id, t.id, t.url, t.variant, g.node,"
	"    g.status, g.load_ms, g.ttfb_ms, g.cache_status,"
	"    g.outcome::warm_outcome, g.reason, g.ttl, t.fragment, t.asset_of,"
	"    g.timings, g.headers"
	"  FROM unnest($4::bigint[], $5::text[], $6::integer[], $7::real[],"
	"    $8::real[], $9::text[], $10::text[], $11::text[], $12::real[],"
	"    $13::jsonb[], $14::jsonb[])"
	"    AS g(task_id, node, status, load_ms, ttfb_ms, cache_status,"
	"      outcome, reason, ttl, timings, headers)"
	"  JOIN t ON t.id = g.task_id JOIN lk j ON j.id = t.job_id"
	"), n AS ("
	"  SELECT job_id, count(*) FILTER (WHERE ok) AS ok,"
	"    count(*) FILTER (WHERE NOT ok) AS bad FROM t GROUP BY job_id"
	"), u AS ("
	"  UPDATE cache_jobs j SET"
	"    urls_completed = j.urls_completed + n.ok,"
	"    urls_failed = j.urls_failed + n.bad,"
	"    status = CASE WHEN j.status IN ('queued', 'running') AND"
	"      j.urls_completed + j.urls_failed + n.ok + n.bad >= j.urls_total"
	"      THEN 'done'::job_status ELSE j.status END,"
	"    finished_at = CASE WHEN j.status IN ('queued', 'running') AND"
	"      j.urls_completed + j.urls_failed + n.ok + n.bad >= j.urls_total"
	"      THEN now() ELSE j.finished_at END"
	"  FROM n JOIN lk ON lk.id = n.job_id WHERE j.id = n.job_id"
	"), wk AS ("
	"  SELECT pg_notify('" TQ_CHANNEL "', '') FROM project_quota q"
	"  WHERE q.waiting AND q.project_id IN (SELECT w.project_id"
	"    FROM lk JOIN websites w ON w.id = lk.website_id)"
	"  LIMIT 1"
	"), wa AS ("
	"  INSERT INTO agent_commands (agent_id, kind, body)"
	"  SELECT a.agent, 'tasks', jsonb_build_object('job', a.job)"
	"  FROM quota_waiting_agents(ARRAY(SELECT w.project_id FROM lk"
	"    JOIN websites w ON w.id = lk.website_id)) a"
	")"
	"SELECT count(*), (SELECT count(*) FROM wk) FROM t",
	14 };

static const struct pg_stmt st_renew = { "tq_renew",
	"UPDATE warm_tasks"
	" SET lease_until = now() + $2::float8 * interval '1 second'"
	" WHERE id = ANY($3::bigint[]) AND state = 'leased'"
	"  AND lease_owner = $1"
	" RETURNING id",
	3 };

/* Never started, so not an attempt; others are told to come and get it. */
static const struct pg_stmt st_release = { "tq_release",
	"WITH r AS ("
	"  UPDATE warm_tasks SET state = 'queued', lease_owner = NULL,"
	"    lease_until = NULL, attempts = greatest(attempts - 1, 0)"
	"  WHERE id = ANY($2::bigint[]) AND state = 'leased'"
	"    AND lease_owner = $1"
	"  RETURNING id"
	")"
	"SELECT count(*), pg_notify('" TQ_CHANNEL "', '') FROM r",
	2 };

/* A task of a project whose day's warms are spent waits for the next
 * day (0021_plan_quotas.sql): nothing for anyone meanwhile. */
static const struct pg_stmt st_outlook = { "tq_outlook",
	"SELECT EXISTS (SELECT 1 FROM warm_tasks t"
	"    JOIN cache_jobs j ON j.id = t.job_id"
	"    JOIN websites w ON w.id = j.website_id"
	"    WHERE t.state = 'queued' AND t.agent_id IS NULL"
	"      AND (t.kind = 'sitemap' OR w.project_id <> ALL((SELECT"
	"        quota_spent((now() AT TIME ZONE 'UTC')::date))::bigint[]))),"
	"  extract(epoch FROM (SELECT min(lease_until) FROM warm_tasks"
	"    WHERE state = 'leased' AND agent_id IS NULL) - now())",
	0 };

/*
 * Who warms the job's URLs ($3: its website's agents too) is read once,
 * here (warm_targets() of 0015_agent_tasks.sql): the total is raised by
 * as many tasks per URL, and each batch queues for those targets.
 */
static const struct pg_stmt st_enq_open = { NULL,
	"WITH g AS ("
	"  SELECT warm_targets(website_id, $3::boolean) AS a FROM cache_jobs"
	"  WHERE id = $1::bigint"
	") UPDATE cache_jobs SET urls_total = urls_total"
	"  + $2::integer * cardinality(g.a)"
	" FROM g WHERE id = $1::bigint RETURNING id, cardinality(g.a), g.a",
	3 };

/*
 * Only into a job still open, its row share-locked: a cancel waits for
 * the batch, and then 0008_sitemap_tasks.sql's trigger deletes what the
 * batch queued, in a snapshot of its own; a batch that waited for the
 * cancel finds the job over and queues nothing.  Each URL once per
 * target ($5, NULL the workers), an agent's only while it is not
 * revoked, its row share-locked for the same reason (agent_revoked()).
 * Each agent given tasks is told to come and claim them.
 */
static const struct pg_stmt st_enq_batch = { NULL,
	"WITH ag AS ("
	"  SELECT id FROM agents WHERE id = ANY($5::bigint[])"
	"    AND revoked_at IS NULL FOR SHARE"
	"), g AS ("
	"  SELECT a FROM unnest($5::bigint[]) AS g(a) WHERE a IS NULL"
	"  UNION ALL SELECT id FROM ag"
	"), i AS ("
	"  INSERT INTO warm_tasks (job_id, url, variant, priority, agent_id)"
	"  SELECT $1::bigint, x.u, coalesce(x.v, ''), coalesce(x.p, 0), g.a"
	"  FROM unnest($2::text[], $3::text[], $4::float8[]) AS x(u, v, p), g"
	"  WHERE EXISTS (SELECT 1 FROM cache_jobs WHERE id = $1::bigint"
	"    AND status IN ('queued', 'running') FOR SHARE)"
	"  ON CONFLICT (job_id, url, variant, coalesce(agent_id, 0))"
	"  DO NOTHING"
	"  RETURNING agent_id"
	"), cm AS ("
	"  INSERT INTO agent_commands (agent_id, kind, body)"
	"  SELECT DISTINCT agent_id, 'tasks',"
	"    jsonb_build_object('job', $1::bigint)"
	"  FROM i WHERE agent_id IS NOT NULL"
	")"
	"SELECT count(*), pg_notify('" TQ_CHANNEL "', $1::bigint::text) FROM i",
	5 };

/* The total was an upper bound; now it is exact, and may be reached. */
static const struct pg_stmt st_enq_close = { NULL,
	"UPDATE cache_jobs SET urls_total = urls_total - $2::integer,"
	"  status = CASE WHEN status IN ('queued', 'running') AND"
	"    urls_completed + urls_failed >= urls_total - $2::integer"
	"    THEN 'done'::job_status ELSE status END,"
	"  finished_at = CASE WHEN status IN ('queued', 'running') AND"
	"    urls_completed + urls_failed >= urls_total - $2::integer"
	"    THEN now() ELSE finished_at END"
	" WHERE id = $1::bigint",
	2 };

static const struct pg_stmt st_enq_fail = { NULL,
	"UPDATE cache_jobs SET status = 'failed', error = $2,"
	"  finished_at = now()"
	" WHERE id = $1::bigint AND status IN ('queued', 'running')",
	2 };

/*
 * A sitemap task's end, in one statement: the task leaves the queue
 * only if still leased by us, and only a job still open gets its URLs,
 * each once per variant of the task (or those the worker found, $9)
 * and per target (warm_targets() of 0015_agent_tasks.sql: the workers,
 * the website's agents), with its priority ($6) and whether it is a
 * fragment ($7), its urls_total, its notes and what it detected ($8),
 * or ends failed ($4 the error).  The URLs are cut to what is left of
 * the project's warm requests of the day (0021_plan_quotas.sql), the
 * most valuable kept, and the notes say so.  The job's row is locked
 * before its
 * status is read, so that a cancellation either came first and is seen
 * (nothing is queued), or comes after and finds the tasks (and a
 * trigger of 0008_sitemap_tasks.sql deletes them).
 */
static const struct pg_stmt st_expand = { "tq_expand",
	"WITH t AS ("
	"  UPDATE warm_tasks SET lease_until = NULL, finished_at = now(),"
	"    state = CASE WHEN $4::text IS NULL THEN 'done'::task_state"
	"      ELSE 'failed'::task_state END"
	"  WHERE id = $2::bigint AND kind = 'sitemap' AND state = 'leased'"
	"    AND lease_owner = $1"
	"  RETURNING job_id, variants"
	"), j AS ("
	"  SELECT c.id, c.website_id FROM cache_jobs c, t"
	"  WHERE c.id = t.job_id AND c.status IN ('queued', 'running')"
	"  FOR UPDATE OF c"
	"), ga AS ("
	"  SELECT warm_targets(j.website_id, true) AS a FROM j"
	"  WHERE $4::text IS NULL"
	"), g AS ("
	"  SELECT unnest(ga.a) AS a FROM ga"
	"), k AS ("
	"  SELECT job_urls_today(j.website_id, cardinality($3::text[]),"
	"    cardinality(coalesce($9::text[], t.variants)), ga.a) AS n"
	"  FROM j, t, ga"
	"), i AS ("
	"  INSERT INTO warm_tasks (job_id, url, variant, agent_id, priority,"
	"    fragment)"
	"  SELECT j.id, u.url, v.variant, g.a, u.p, u.f FROM j, t, g, k,"
	"    (SELECT x.*, row_number() OVER (ORDER BY x.p DESC NULLS LAST,"
	"      x.o) AS rk FROM unnest($3::text[], $6::float8[],"
	"      $7::boolean[]) WITH ORDINALITY AS x(url, p, f, o)) u,"
	"    unnest(coalesce($9::text[], t.variants)) AS v(variant)"
	"  WHERE $4::text IS NULL AND u.rk <= k.n"
	"  ON CONFLICT (job_id, url, variant, coalesce(agent_id, 0))"
	"  DO NOTHING"
	"  RETURNING agent_id"
	"), cm AS ("
	"  INSERT INTO agent_commands (agent_id, kind, body)"
	"  SELECT DISTINCT i.agent_id, 'tasks', jsonb_build_object('job', j.id)"
	"  FROM i, j WHERE i.agent_id IS NOT NULL"
	"), n AS ("
	"  SELECT count(*)::integer AS n FROM i"
	"), u AS ("
	"  UPDATE cache_jobs c SET urls_total = c.urls_total + n.n,"
	"    notes = CASE WHEN k.n < cardinality($3::text[])"
	"      THEN concat_ws('; ', $5::text, job_cut_note(j.website_id, k.n,"
	"        cardinality($3::text[]))) ELSE $5 END,"
	"    error = coalesce($4, c.error),"
	"    detected = $8::jsonb,"
	"    status = CASE WHEN $4::text IS NOT NULL THEN 'failed'::job_status"
	"      WHEN c.urls_completed + c.urls_failed >= c.urls_total + n.n"
	"      THEN 'done'::job_status ELSE c.status END,"
	"    finished_at = CASE WHEN $4::text IS NOT NULL"
	"      OR c.urls_completed + c.urls_failed >= c.urls_total + n.n"
	"      THEN now() ELSE c.finished_at END"
	"  FROM j, n LEFT JOIN k ON true WHERE c.id = j.id"
	"  RETURNING c.id"
	")"
	"SELECT (SELECT count(*) FROM t), (SELECT n FROM n),"
	"  (SELECT count(*) FROM u),"
	"  (SELECT count(*) FROM (SELECT pg_notify('" TQ_CHANNEL "', '')"
	"    FROM n WHERE n.n > 0) x)",
	9 };

/*
 * A rendered page's assets ($3) into its job, in its variant, while the
 * page's task ($2) is still ours ($1) and its job open, the job's row
 * locked as tq_expand's statement locks it; deduplicated across the
 * job by the tasks' unique key.  Those new to the job (a) are queued as
 * far as the plan's warm requests of today allow, in the order the page
 * asked for them (job_urls_today() of 0021_plan_quotas.sql, as a new
 * job's URLs are cut); the rest are not warmed, and said so (cut, and
 * asset_cut_note() of 0027_render_rollups.sql).  Not under the
 * project's quota lock, which a claim takes before the job's row: two
 * pages of a project may each take the last of a day's warms, and
 * claim_tasks() then holds what is over for the next day.
 */
static const struct pg_stmt st_assets = { "tq_assets",
	"WITH t AS ("
	"  SELECT job_id, url, variant FROM warm_tasks"
	"  WHERE id = $2::bigint AND state = 'leased' AND lease_owner = $1"
	"), j AS ("
	"  SELECT c.id, c.website_id FROM cache_jobs c, t"
	"  WHERE c.id = t.job_id AND c.status IN ('queued', 'running')"
	"  FOR UPDATE OF c"
	"), a AS ("
	"  SELECT u.url, min(u.o) AS o"
	"  FROM j, t, unnest($3::text[]) WITH ORDINALITY AS u(url, o)"
	"  WHERE NOT EXISTS (SELECT 1 FROM warm_tasks x WHERE x.job_id = j.id"
	"    AND x.url = u.url AND x.variant = t.variant"
	"    AND x.agent_id IS NULL)"
	"  GROUP BY u.url"
	"), k AS ("
	"  SELECT j.website_id, (SELECT count(*) FROM a)::integer AS want,"
	"    job_urls_today(j.website_id, (SELECT count(*) FROM a)::integer,"
	"      1, ARRAY[NULL::bigint]) AS kept"
	"  FROM j"
	"), i AS ("
	"  INSERT INTO warm_tasks (job_id, url, variant, asset_of)"
	"  SELECT j.id, s.url, t.variant, t.url"
	"  FROM j, t, (SELECT a.url FROM a ORDER BY a.o"
	"    LIMIT (SELECT kept FROM k)) s"
	"  ON CONFLICT (job_id, url, variant, coalesce(agent_id, 0))"
	"  DO NOTHING"
	"  RETURNING 1"
	"), n AS ("
	"  SELECT count(*)::integer AS n FROM i"
	"), u AS ("
	"  UPDATE cache_jobs c SET urls_total = c.urls_total + n.n"
	"  FROM j, n WHERE c.id = j.id AND n.n > 0"
	")"
	"SELECT n.n, (SELECT count(*) FROM (SELECT pg_notify('" TQ_CHANNEL
	"', '') WHERE n.n > 0) x),"
	"  coalesce((SELECT want - kept FROM k WHERE want > kept), 0),"
	"  (SELECT asset_cut_note(website_id, kept, want) FROM k"
	"    WHERE want > kept)"
	" FROM n",
	3 };

static int64_t
get_int(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return (0);
	return (strtoll(PQgetvalue(r, row, col), NULL, 10));
}

/*--------------------------------------------------------------------
 * Enqueueing
 */

struct enqueue {
	unsigned magic;
#define ENQUEUE_MAGIC 0x6a7b1c02
	struct pg_pool *pool;
	char job[24];
	unsigned n, nbatch, pending, inserted;
	unsigned agents; /* the website's agents warm them too */
	unsigned total; /* tasks: n once per target */
	char *targets; /* warm_targets(), as PostgreSQL wrote it */
	struct vsb **urls, **variants, **prios;
	char err[256];
	tq_enqueued_f *cb;
	void *priv;
};

static void
enqueue_end(struct enqueue *e, const char *err)
{
	unsigned u;

	e->cb(e->priv, e->inserted, err);
	for (u = 0; u < e->nbatch; u++) {
		VSB_destroy(&e->urls[u]);
		VSB_destroy(&e->variants[u]);
		VSB_destroy(&e->prios[u]);
	}
	free(e->urls);
	free(e->variants);
	free(e->prios);
	free(e->targets);
	FREE_OBJ(e);
}

static void
on_enq_failed(void *priv, const struct pg_result *res, const char *err)
{
	struct enqueue *e;

	(void)res;
	(void)err;
	CAST_OBJ_NOTNULL(e, priv, ENQUEUE_MAGIC);
	enqueue_end(e, e->err);
}

static void
enqueue_fail(struct enqueue *e, const char *err)
{
	const char *v[2];

	if (e->err[0] == '\0')
		snprintf(e->err, sizeof e->err, "%s", err);
	if (e->pending > 0)
		return;
	v[0] = e->job;
	v[1] = e->err;
	if (pg_pool_query(e->pool, &st_enq_fail, v, on_enq_failed, e) != 0)
		enqueue_end(e, e->err);
}

static void
on_enq_closed(void *priv, const struct pg_result *res, const char *err)
{
	struct enqueue *e;

	(void)res;
	CAST_OBJ_NOTNULL(e, priv, ENQUEUE_MAGIC);
	if (err != NULL)
		enqueue_fail(e, err);
	else
		enqueue_end(e, NULL);
}

static void
enqueue_close(struct enqueue *e)
{
	char surplus[16];
	const char *v[2];

	assert(e->inserted <= e->total);
	snprintf(surplus, sizeof surplus, "%u", e->total - e->inserted);
	v[0] = e->job;
	v[1] = surplus;
	if (pg_pool_query(e->pool, &st_enq_close, v, on_enq_closed, e) != 0)
		enqueue_end(e, "stopped");
}

static void
on_enq_batch(void *priv, const struct pg_result *res, const char *err)
{
	struct enqueue *e;

	CAST_OBJ_NOTNULL(e, priv, ENQUEUE_MAGIC);
	assert(e->pending > 0);
	e->pending--;
	if (err == NULL)
		e->inserted += (unsigned)get_int((const PGresult *)res, 0, 0);
	else if (e->err[0] == '\0')
		snprintf(e->err, sizeof e->err, "%s", err);
	if (e->pending > 0)
		return;
	if (e->err[0] != '\0')
		enqueue_fail(e, e->err);
	else
		enqueue_close(e);
}

static void
on_enq_opened(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct enqueue *e;
	const char *v[5];
	unsigned u;

	CAST_OBJ_NOTNULL(e, priv, ENQUEUE_MAGIC);
	if (err == NULL && PQntuples(r) != 1)
		err = "no such job";
	if (err != NULL) {
		/*
		 * Whether the total was raised is not known (a connection
		 * lost may have committed): the job is failed, not left
		 * waiting for tasks that will never come.
		 */
		enqueue_fail(e, err);
		return;
	}
	e->total = e->n * (unsigned)get_int(r, 0, 1);
	e->targets = strdup(PQgetvalue(r, 0, 2));
	AN(e->targets);
	/* Batches may run side by side: the total is already raised. */
	v[0] = e->job;
	v[4] = e->targets;
	for (u = 0; u < e->nbatch; u++) {
		v[1] = VSB_data(e->urls[u]);
		v[2] = VSB_data(e->variants[u]);
		v[3] = VSB_data(e->prios[u]);
		if (pg_pool_query(e->pool, &st_enq_batch, v, on_enq_batch, e) ==
		    0)
			e->pending++;
	}
	if (e->nbatch == 0)
		enqueue_close(e);
	else if (e->pending == 0)
		enqueue_end(e, "stopped");
}

void
tq_enqueue(struct pg_pool *pool, int64_t job_id, const struct tq_new_task *t,
    unsigned n, int agents, tq_enqueued_f *cb, void *priv)
{
	struct enqueue *e;
	char count[16];
	const char *v[3];
	unsigned u, b;

	AN(pool);
	AN(cb);
	assert(n == 0 || t != NULL);
	ALLOC_OBJ(e, ENQUEUE_MAGIC);
	AN(e);
	e->pool = pool;
	e->cb = cb;
	e->priv = priv;
	e->n = n;
	e->agents = agents ? 1 : 0;
	snprintf(e->job, sizeof e->job, "%jd", (intmax_t)job_id);
	e->nbatch = (n + ENQUEUE_BATCH - 1) / ENQUEUE_BATCH;
	e->urls = calloc(e->nbatch + 1, sizeof *e->urls);
	e->variants = calloc(e->nbatch + 1, sizeof *e->variants);
	e->prios = calloc(e->nbatch + 1, sizeof *e->prios);
	AN(e->urls);
	AN(e->variants);
	AN(e->prios);
	for (b = 0; b < e->nbatch; b++) {
		e->urls[b] = pg_array_new();
		e->variants[b] = pg_array_new();
		e->prios[b] = pg_array_new();
		for (u = b * ENQUEUE_BATCH;
		     u < n && u < (b + 1) * ENQUEUE_BATCH; u++) {
			AN(t[u].url);
			pg_array_text(e->urls[b], t[u].url);
			pg_array_text(e->variants[b], t[u].variant);
			pg_array_real(e->prios[b], t[u].priority);
		}
		pg_array_end(e->urls[b]);
		pg_array_end(e->variants[b]);
		pg_array_end(e->prios[b]);
	}
	snprintf(count, sizeof count, "%u", n);
	v[0] = e->job;
	v[1] = count;
	v[2] = e->agents ? "true" : "false";
	if (pg_pool_query(pool, &st_enq_open, v, on_enq_opened, e) != 0)
		enqueue_end(e, "stopped");
}

/*--------------------------------------------------------------------
 * What this worker holds
 */

enum task_state {
	T_HELD, /* the caller's */
	T_EXPANDING, /* a sitemap task's end, in tq_expand()'s statement */
	T_COMPLETE, /* to be written */
	T_RELEASE,
	T_WRITING_COMPLETE,
	T_WRITING_RELEASE,
};

struct page {
	char *node, *cache_status, *reason, *timings, *headers;
	long status;
	double load_ms, ttfb_ms, ttl;
	enum warm_outcome outcome;
};

struct task {
	struct tq_task pub; /* first: a tq_task is a task */
	enum task_state state;
	int ok;
	struct page *pages;
	unsigned npage;
};

struct task_queue {
	unsigned magic;
#define JOB_QUEUE_MAGIC 0x6a7b1c03
	struct event_base *eb;
	struct pg_pool *pool;
	char *owner;
	char lease[32];
	double lease_s;
	unsigned batch;
	struct tq_task *first; /* held, in any state */
	unsigned nheld, ncomplete, nrelease;
	int claiming, writing, renew_due, write_now;
	double retry;
	struct event *kick; /* run the writer from the loop */
	struct event *delay; /* a batch of completions is due */
	struct event *renew; /* leases are due */
	struct event *backoff; /* a write failed; try again */
	tq_claimed_f *claim_cb;
	void *claim_priv;
	tq_flushed_f *flush_cb;
	void *flush_priv;
	struct tq_stats st;
};

static void
task_free(struct task_queue *q, struct task *t)
{
	unsigned u;

	CHECK_OBJ_NOTNULL(&t->pub, TQ_TASK_MAGIC);
	if (t->pub.prev != NULL)
		t->pub.prev->next = t->pub.next;
	else
		q->first = t->pub.next;
	if (t->pub.next != NULL)
		t->pub.next->prev = t->pub.prev;
	assert(q->nheld > 0);
	q->nheld--;
	for (u = 0; u < t->npage; u++) {
		free(t->pages[u].node);
		free(t->pages[u].cache_status);
		free(t->pages[u].reason);
		free(t->pages[u].timings);
		free(t->pages[u].headers);
	}
	free(t->pages);
	t->pub.magic = 0;
	free(t);
}

/* One allocation per task: the task and its strings. */
static struct task *
task_new(struct task_queue *q, const PGresult *r, int row)
{
	const char *url, *variant, *nodes, *base, *dims, *crawl, *shop, *ah;
	const char *pop;
	size_t lu, lv, ln, lb, ld, lc, ls, la, lp;
	struct task *t;
	char *s;

	url = PQgetvalue(r, row, 2);
	variant = PQgetvalue(r, row, 3);
	nodes = PQgetvalue(r, row, 5);
	base = PQgetvalue(r, row, 7);
	dims = PQgetvalue(r, row, 9);
	crawl = PQgetvalue(r, row, 10);
	shop = PQgetvalue(r, row, 11);
	ah = PQgetvalue(r, row, 13);
	pop = PQgetvalue(r, row, 14);
	lu = strlen(url) + 1;
	lv = strlen(variant) + 1;
	ln = strlen(nodes) + 1;
	lb = strlen(base) + 1;
	ld = strlen(dims) + 1;
	lc = strlen(crawl) + 1;
	ls = strlen(shop) + 1;
	la = strlen(ah) + 1;
	lp = strlen(pop) + 1;
	t = calloc(1, sizeof *t + lu + lv + ln + lb + ld + lc + ls + la + lp);
	AN(t);
	t->pub.magic = TQ_TASK_MAGIC;
	t->pub.id = get_int(r, row, 0);
	t->pub.job_id = get_int(r, row, 1);
	t->pub.attempts = (unsigned)get_int(r, row, 4);
	s = (char *)(t + 1);
	t->pub.url = memcpy(s, url, lu);
	t->pub.variant = memcpy(s + lu, variant, lv);
	t->pub.nodes = memcpy(s + lu + lv, nodes, ln);
	t->pub.base_url = memcpy(s + lu + lv + ln, base, lb);
	t->pub.dims = memcpy(s + lu + lv + ln + lb, dims, ld);
	t->pub.crawl = memcpy(s + lu + lv + ln + lb + ld, crawl, lc);
	t->pub.shopware = memcpy(s + lu + lv + ln + lb + ld + lc, shop, ls);
	t->pub.asset_hosts =
	    memcpy(s + lu + lv + ln + lb + ld + lc + ls, ah, la);
	t->pub.popular =
	    memcpy(s + lu + lv + ln + lb + ld + lc + ls + la, pop, lp);
	t->pub.render = !strcmp(PQgetvalue(r, row, 12), "t");
	t->pub.kind =
	    !strcmp(PQgetvalue(r, row, 6), "t") ? TQ_SITEMAP : TQ_WARM;
	t->pub.max_urls = (unsigned)get_int(r, row, 8);
	t->state = T_HELD;
	t->pub.next = q->first;
	if (q->first != NULL)
		q->first->prev = &t->pub;
	q->first = &t->pub;
	q->nheld++;
	return (t);
}

static struct task *
task_of(struct tq_task *tt)
{
	CHECK_OBJ_NOTNULL(tt, TQ_TASK_MAGIC);
	return ((struct task *)(void *)tt);
}

static char *
dup_or_null(const char *s)
{
	char *d;

	if (s == NULL)
		return (NULL);
	d = strdup(s);
	AN(d);
	return (d);
}

/*--------------------------------------------------------------------
 * Claiming
 */

static void
tq_on_claimed(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct tq_task **tasks = NULL;
	struct task_queue *q;
	int i, n = 0;

	CAST_OBJ_NOTNULL(q, priv, JOB_QUEUE_MAGIC);
	q->claiming = 0;
	if (err == NULL) {
		n = PQntuples(r);
		tasks = calloc((size_t)n + 1, sizeof *tasks);
		AN(tasks);
		for (i = 0; i < n; i++)
			tasks[i] = &task_new(q, r, i)->pub;
		q->st.claimed += (uint64_t)n;
	}
	q->claim_cb(q->claim_priv, tasks, (unsigned)n, err);
	free(tasks);
}

int
tq_claim(struct task_queue *q, unsigned max, tq_claimed_f *cb, void *priv)
{
	struct tq_task *tt;
	struct vsb *held;
	char smax[16];
	const char *v[4];
	int r;

	CHECK_OBJ_NOTNULL(q, JOB_QUEUE_MAGIC);
	AN(cb);
	assert(max > 0);
	if (q->claiming)
		return (-1);
	snprintf(smax, sizeof smax, "%u", max);
	held = pg_array_new();
	for (tt = q->first; tt != NULL; tt = tt->next)
		pg_array_int(held, tt->id);
	pg_array_end(held);
	v[0] = q->owner;
	v[1] = q->lease;
	v[2] = smax;
	v[3] = VSB_data(held);
	q->claim_cb = cb;
	q->claim_priv = priv;
	r = pg_pool_query(q->pool, &st_claim, v, tq_on_claimed, q);
	VSB_destroy(&held);
	if (r != 0)
		return (-1);
	q->claiming = 1;
	return (0);
}

/*--------------------------------------------------------------------
 * Writing back
 */

static void
writer_kick(struct task_queue *q)
{
	event_active(q->kick, EV_TIMEOUT, 0);
}

static void
write_done(struct task_queue *q, const char *err, const char *what)
{
	struct timeval tv;
	struct tq_task *tt;
	struct task *t;

	q->writing = 0;
	if (err == NULL) {
		q->retry = RETRY_MIN;
		writer_kick(q);
		return;
	}
	q->st.write_errors++;
	log_warning("task queue", "%s: %s", what, err);
	/* Back in line, written again later: harmless if this one took. */
	for (tt = q->first; tt != NULL; tt = tt->next) {
		t = task_of(tt);
		if (t->state == T_WRITING_COMPLETE) {
			t->state = T_COMPLETE;
			q->ncomplete++;
		} else if (t->state == T_WRITING_RELEASE) {
			t->state = T_RELEASE;
			q->nrelease++;
		}
	}
	tv.tv_sec = (time_t)q->retry;
	tv.tv_usec = (suseconds_t)((q->retry - (double)tv.tv_sec) * 1e6);
	q->retry = q->retry * 2 > RETRY_MAX ? RETRY_MAX : q->retry * 2;
	AZ(evtimer_add(q->backoff, &tv));
}

/* Remove what the statement wrote; count n of them. */
static unsigned
drop_written(struct task_queue *q, enum task_state s)
{
	struct tq_task *tt, *next;
	unsigned n = 0;

	for (tt = q->first; tt != NULL; tt = next) {
		next = tt->next;
		if (task_of(tt)->state != s)
			continue;
		task_free(q, task_of(tt));
		n++;
	}
	return (n);
}

static void
on_completed(void *priv, const struct pg_result *res, const char *err)
{
	struct task_queue *q;
	unsigned n, changed;

	CAST_OBJ_NOTNULL(q, priv, JOB_QUEUE_MAGIC);
	if (err == NULL) {
		changed = (unsigned)get_int((const PGresult *)res, 0, 0);
		n = drop_written(q, T_WRITING_COMPLETE);
		assert(changed <= n);
		q->st.completed += n;
		q->st.lost += n - changed;
	}
	write_done(q, err, "completing tasks");
}

static void
on_released(void *priv, const struct pg_result *res, const char *err)
{
	struct task_queue *q;

	(void)res;
	CAST_OBJ_NOTNULL(q, priv, JOB_QUEUE_MAGIC);
	if (err == NULL)
		q->st.released += drop_written(q, T_WRITING_RELEASE);
	write_done(q, err, "releasing tasks");
}

static void
on_renewed(void *priv, const struct pg_result *res, const char *err)
{
	struct task_queue *q;

	CAST_OBJ_NOTNULL(q, priv, JOB_QUEUE_MAGIC);
	if (err == NULL)
		q->st.renewed += (uint64_t)PQntuples((const PGresult *)res);
	else
		q->renew_due = 1;
	write_done(q, err, "renewing leases");
}

static void
write_complete(struct task_queue *q)
{
	struct vsb *ids, *oks, *pt, *node, *status, *load, *ttfb, *cs, *oc,
	    *why, *ttl, *tim, *hdr;
	struct tq_task *tt;
	struct page *pg;
	struct task *t;
	const char *v[14];
	unsigned n = 0, u;

	tim = pg_array_new();
	hdr = pg_array_new();
	ids = pg_array_new();
	oks = pg_array_new();
	pt = pg_array_new();
	node = pg_array_new();
	status = pg_array_new();
	load = pg_array_new();
	ttfb = pg_array_new();
	cs = pg_array_new();
	oc = pg_array_new();
	why = pg_array_new();
	ttl = pg_array_new();
	for (tt = q->first; tt != NULL && n < q->batch; tt = tt->next) {
		t = task_of(tt);
		if (t->state != T_COMPLETE)
			continue;
		t->state = T_WRITING_COMPLETE;
		q->ncomplete--;
		n++;
		pg_array_int(ids, tt->id);
		pg_array_bool(oks, t->ok);
		for (u = 0; u < t->npage; u++) {
			pg = &t->pages[u];
			pg_array_int(pt, tt->id);
			pg_array_text(node, pg->node);
			if (pg->status > 0)
				pg_array_int(status, pg->status);
			else
				pg_array_null(status);
			if (pg->load_ms >= 0)
				pg_array_real(load, pg->load_ms);
			else
				pg_array_null(load);
			if (pg->ttfb_ms >= 0)
				pg_array_real(ttfb, pg->ttfb_ms);
			else
				pg_array_null(ttfb);
			pg_array_text(cs, pg->cache_status);
			assert((unsigned)pg->outcome < WO__MAX);
			pg_array_text(oc, warm_outcome_name[pg->outcome]);
			pg_array_text(why, pg->reason);
			if (pg->ttl >= 0)
				pg_array_real(ttl, pg->ttl);
			else
				pg_array_null(ttl);
			pg_array_text(tim, pg->timings);
			pg_array_text(hdr, pg->headers);
		}
	}
	pg_array_end(tim);
	pg_array_end(hdr);
	pg_array_end(ids);
	pg_array_end(oks);
	pg_array_end(pt);
	pg_array_end(node);
	pg_array_end(status);
	pg_array_end(load);
	pg_array_end(ttfb);
	pg_array_end(cs);
	pg_array_end(oc);
	pg_array_end(why);
	pg_array_end(ttl);
	v[0] = q->owner;
	v[1] = VSB_data(ids);
	v[2] = VSB_data(oks);
	v[3] = VSB_data(pt);
	v[4] = VSB_data(node);
	v[5] = VSB_data(status);
	v[6] = VSB_data(load);
	v[7] = VSB_data(ttfb);
	v[8] = VSB_data(cs);
	v[9] = VSB_data(oc);
	v[10] = VSB_data(why);
	v[11] = VSB_data(ttl);
	v[12] = VSB_data(tim);
	v[13] = VSB_data(hdr);
	q->writing = 1;
	if (pg_pool_query(q->pool, &st_complete, v, on_completed, q) != 0)
		q->writing = 0;
	VSB_destroy(&ids);
	VSB_destroy(&oks);
	VSB_destroy(&pt);
	VSB_destroy(&node);
	VSB_destroy(&status);
	VSB_destroy(&load);
	VSB_destroy(&ttfb);
	VSB_destroy(&cs);
	VSB_destroy(&oc);
	VSB_destroy(&why);
	VSB_destroy(&ttl);
	VSB_destroy(&tim);
	VSB_destroy(&hdr);
}

static void
write_release(struct task_queue *q)
{
	struct tq_task *tt;
	struct task *t;
	struct vsb *ids;
	const char *v[2];

	ids = pg_array_new();
	for (tt = q->first; tt != NULL; tt = tt->next) {
		t = task_of(tt);
		if (t->state != T_RELEASE)
			continue;
		t->state = T_WRITING_RELEASE;
		q->nrelease--;
		pg_array_int(ids, tt->id);
	}
	pg_array_end(ids);
	v[0] = q->owner;
	v[1] = VSB_data(ids);
	q->writing = 1;
	if (pg_pool_query(q->pool, &st_release, v, on_released, q) != 0)
		q->writing = 0;
	VSB_destroy(&ids);
}

static void
write_renew(struct task_queue *q)
{
	struct tq_task *tt;
	struct vsb *ids;
	const char *v[3];

	q->renew_due = 0;
	ids = pg_array_new();
	for (tt = q->first; tt != NULL; tt = tt->next)
		pg_array_int(ids, tt->id);
	pg_array_end(ids);
	v[0] = q->owner;
	v[1] = q->lease;
	v[2] = VSB_data(ids);
	q->writing = 1;
	if (pg_pool_query(q->pool, &st_renew, v, on_renewed, q) != 0)
		q->writing = 0;
	VSB_destroy(&ids);
}

/* One write at a time: releases first (others wait for them), then
 * leases (so none runs out), then completions, in batches. */
static void
on_kick(evutil_socket_t fd, short what, void *priv)
{
	struct task_queue *q;
	struct timeval tv;
	tq_flushed_f *cb;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(q, priv, JOB_QUEUE_MAGIC);
	if (q->writing || evtimer_pending(q->backoff, NULL))
		return;
	if (q->nrelease > 0) {
		write_release(q);
	} else if (q->renew_due && q->nheld > 0) {
		write_renew(q);
	} else if (q->ncomplete > 0 &&
	    (q->ncomplete >= q->batch || q->write_now || q->flush_cb != NULL)) {
		q->write_now = 0;
		write_complete(q);
	} else if (q->ncomplete > 0) {
		if (!evtimer_pending(q->delay, NULL)) {
			tv.tv_sec = 0;
			tv.tv_usec = (suseconds_t)(WRITE_DELAY * 1e6);
			AZ(evtimer_add(q->delay, &tv));
		}
	} else if (q->flush_cb != NULL) {
		cb = q->flush_cb;
		q->flush_cb = NULL;
		cb(q->flush_priv);
	}
}

static void
on_delay(evutil_socket_t fd, short what, void *priv)
{
	struct task_queue *q;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(q, priv, JOB_QUEUE_MAGIC);
	q->write_now = 1;
	writer_kick(q);
}

static void
on_renew(evutil_socket_t fd, short what, void *priv)
{
	struct task_queue *q;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(q, priv, JOB_QUEUE_MAGIC);
	if (q->nheld > 0) {
		q->renew_due = 1;
		writer_kick(q);
	}
}

static void
on_backoff(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	writer_kick(priv);
}

void
tq_complete(struct task_queue *q, struct tq_task *tt, int ok,
    const struct tq_page *pages, unsigned npage)
{
	struct task *t;
	unsigned u;

	CHECK_OBJ_NOTNULL(q, JOB_QUEUE_MAGIC);
	t = task_of(tt);
	assert(t->state == T_HELD);
	assert(npage == 0 || pages != NULL);
	t->state = T_COMPLETE;
	t->ok = ok ? 1 : 0;
	t->npage = npage;
	t->pages = calloc(npage + 1, sizeof *t->pages);
	AN(t->pages);
	for (u = 0; u < npage; u++) {
		t->pages[u].node = dup_or_null(pages[u].node);
		t->pages[u].cache_status = dup_or_null(pages[u].cache_status);
		t->pages[u].reason = dup_or_null(pages[u].reason);
		t->pages[u].timings = dup_or_null(pages[u].timings);
		t->pages[u].headers = dup_or_null(pages[u].headers);
		t->pages[u].status = pages[u].status;
		t->pages[u].load_ms = pages[u].load_ms;
		t->pages[u].ttfb_ms = pages[u].ttfb_ms;
		t->pages[u].outcome = pages[u].outcome;
		t->pages[u].ttl = pages[u].ttl;
	}
	q->ncomplete++;
	writer_kick(q);
}

void
tq_release(struct task_queue *q, struct tq_task *tt)
{
	struct task *t;

	CHECK_OBJ_NOTNULL(q, JOB_QUEUE_MAGIC);
	t = task_of(tt);
	assert(t->state == T_HELD);
	t->state = T_RELEASE;
	q->nrelease++;
	writer_kick(q);
}

/*--------------------------------------------------------------------
 * A rendered page's assets
 */

struct assets {
	unsigned magic;
#define ASSETS_MAGIC 0x6a7b1c06
	tq_assets_f *cb;
	void *priv;
};

static void
tq_on_assets(void *priv, const struct pg_result *res, const char *err)
{
	struct tq_assets_done d;
	const PGresult *r;
	struct assets *a;

	CAST_OBJ_NOTNULL(a, priv, ASSETS_MAGIC);
	memset(&d, 0, sizeof d);
	if (err == NULL) {
		r = (const PGresult *)res;
		d.queued = (unsigned)get_int(r, 0, 0);
		d.cut = (unsigned)get_int(r, 0, 2);
		if (!PQgetisnull(r, 0, 3))
			d.note = PQgetvalue(r, 0, 3);
	}
	a->cb(a->priv, &d, err);
	FREE_OBJ(a);
}

void
tq_assets(struct task_queue *q, struct tq_task *tt, const char *const *urls,
    unsigned n, tq_assets_f *cb, void *priv)
{
	struct assets *a;
	struct vsb *u;
	const char *v[3];
	char id[24];
	unsigned i;

	CHECK_OBJ_NOTNULL(q, JOB_QUEUE_MAGIC);
	AN(cb);
	assert(n == 0 || urls != NULL);
	assert(task_of(tt)->state == T_HELD);
	ALLOC_OBJ(a, ASSETS_MAGIC);
	AN(a);
	a->cb = cb;
	a->priv = priv;
	snprintf(id, sizeof id, "%jd", (intmax_t)tt->id);
	u = pg_array_new();
	for (i = 0; i < n; i++)
		pg_array_text(u, urls[i]);
	pg_array_end(u);
	v[0] = q->owner;
	v[1] = id;
	v[2] = VSB_data(u);
	if (pg_pool_query(q->pool, &st_assets, v, tq_on_assets, a) != 0)
		tq_on_assets(a, NULL, "the database is away");
	VSB_destroy(&u);
}

/*--------------------------------------------------------------------
 * A sitemap task's end
 */

struct expand {
	unsigned magic;
#define EXPAND_MAGIC 0x6a7b1c05
	struct task_queue *q;
	struct task *t;
	tq_expanded_f *cb;
	void *priv;
};

static void
tq_on_expanded(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct tq_expanded x;
	struct expand *e;

	CAST_OBJ_NOTNULL(e, priv, EXPAND_MAGIC);
	memset(&x, 0, sizeof x);
	if (err == NULL) {
		x.ours = get_int(r, 0, 0) > 0;
		x.queued = (unsigned)get_int(r, 0, 1);
		x.open = get_int(r, 0, 2) > 0;
		e->q->st.completed++;
		if (!x.ours)
			e->q->st.lost++;
	} else {
		/* Whether it took is not known: the lease decides. */
		e->q->st.write_errors++;
		log_warning("task queue", "ending sitemap task %jd: %s",
		    (intmax_t)e->t->pub.id, err);
	}
	task_free(e->q, e->t);
	e->cb(e->priv, err != NULL ? NULL : &x, err);
	FREE_OBJ(e);
}

void
tq_expand(struct task_queue *q, struct tq_task *tt, const struct tq_url *urls,
    unsigned nurl, const char *error, const char *notes,
    const struct tq_detected *d, tq_expanded_f *cb, void *priv)
{
	struct expand *e;
	struct vsb *a, *p, *f, *va = NULL;
	const char *v[9];
	char id[24];
	unsigned u;

	CHECK_OBJ_NOTNULL(q, JOB_QUEUE_MAGIC);
	AN(cb);
	assert(nurl == 0 || urls != NULL);
	ALLOC_OBJ(e, EXPAND_MAGIC);
	AN(e);
	e->q = q;
	e->t = task_of(tt);
	assert(e->t->state == T_HELD);
	assert(tt->kind == TQ_SITEMAP);
	e->t->state = T_EXPANDING;
	e->cb = cb;
	e->priv = priv;
	snprintf(id, sizeof id, "%jd", (intmax_t)tt->id);
	a = pg_array_new();
	p = pg_array_new();
	f = pg_array_new();
	for (u = 0; error == NULL && u < nurl; u++) {
		pg_array_text(a, urls[u].url);
		pg_array_real(p, urls[u].priority);
		pg_array_bool(f, urls[u].fragment);
	}
	pg_array_end(a);
	pg_array_end(p);
	pg_array_end(f);
	v[0] = q->owner;
	v[1] = id;
	v[2] = VSB_data(a);
	v[3] = error;
	v[4] = notes;
	v[5] = VSB_data(p);
	v[6] = VSB_data(f);
	v[7] = d != NULL ? d->json : NULL;
	v[8] = NULL;
	if (d != NULL && d->nvariant > 0) {
		va = pg_array_new();
		for (u = 0; u < d->nvariant; u++)
			pg_array_text(va, d->variant[u]);
		pg_array_end(va);
		v[8] = VSB_data(va);
	}
	if (pg_pool_query(q->pool, &st_expand, v, tq_on_expanded, e) != 0)
		tq_on_expanded(e, NULL, "the database is away");
	VSB_destroy(&a);
	VSB_destroy(&p);
	VSB_destroy(&f);
	if (va != NULL)
		VSB_destroy(&va);
}

void
tq_flush(struct task_queue *q, tq_flushed_f *cb, void *priv)
{
	CHECK_OBJ_NOTNULL(q, JOB_QUEUE_MAGIC);
	q->flush_cb = cb;
	q->flush_priv = priv;
	q->write_now = 1;
	writer_kick(q);
}

unsigned
tq_held(const struct task_queue *q)
{
	CHECK_OBJ_NOTNULL(q, JOB_QUEUE_MAGIC);
	return (q->nheld);
}

/*--------------------------------------------------------------------
 * The outlook
 */

struct outlook {
	unsigned magic;
#define OUTLOOK_MAGIC 0x6a7b1c04
	tq_outlook_f *cb;
	void *priv;
};

static void
tq_on_outlook(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct outlook *o;
	double lease_in = -1;
	int queued = 0;

	CAST_OBJ_NOTNULL(o, priv, OUTLOOK_MAGIC);
	if (err == NULL && PQntuples(r) == 1) {
		queued = !strcmp(PQgetvalue(r, 0, 0), "t");
		if (!PQgetisnull(r, 0, 1)) {
			lease_in = strtod(PQgetvalue(r, 0, 1), NULL);
			if (lease_in < 0)
				lease_in = 0;
		}
	}
	o->cb(o->priv, queued, lease_in, err);
	FREE_OBJ(o);
}

void
tq_outlook(struct task_queue *q, tq_outlook_f *cb, void *priv)
{
	struct outlook *o;

	CHECK_OBJ_NOTNULL(q, JOB_QUEUE_MAGIC);
	AN(cb);
	ALLOC_OBJ(o, OUTLOOK_MAGIC);
	AN(o);
	o->cb = cb;
	o->priv = priv;
	if (pg_pool_query(q->pool, &st_outlook, NULL, tq_on_outlook, o) != 0)
		FREE_OBJ(o);
}

/*--------------------------------------------------------------------
 * The queue
 */

struct task_queue *
tq_new(struct event_base *eb, struct pg_pool *pool, const char *owner,
    double lease, unsigned batch)
{
	struct task_queue *q;
	struct timeval tv;
	double every;

	AN(eb);
	AN(pool);
	AN(owner);
	assert(lease >= 1);
	ALLOC_OBJ(q, JOB_QUEUE_MAGIC);
	AN(q);
	q->eb = eb;
	q->pool = pool;
	q->owner = strdup(owner);
	AN(q->owner);
	q->lease_s = lease;
	snprintf(q->lease, sizeof q->lease, "%.3f", lease);
	q->batch = batch > 0 ? batch : 1;
	q->retry = RETRY_MIN;
	q->kick = event_new(eb, -1, 0, on_kick, q);
	q->delay = evtimer_new(eb, on_delay, q);
	q->renew = event_new(eb, -1, EV_PERSIST, on_renew, q);
	q->backoff = evtimer_new(eb, on_backoff, q);
	AN(q->kick);
	AN(q->delay);
	AN(q->renew);
	AN(q->backoff);
	/* Three chances to renew before a lease runs out. */
	every = lease / 3;
	tv.tv_sec = (time_t)every;
	tv.tv_usec = (suseconds_t)((every - (double)tv.tv_sec) * 1e6);
	AZ(event_add(q->renew, &tv));
	return (q);
}

void
tq_free(struct task_queue **qp)
{
	struct task_queue *q;

	TAKE_OBJ_NOTNULL(q, qp, JOB_QUEUE_MAGIC);
	while (q->first != NULL)
		task_free(q, task_of(q->first));
	event_free(q->kick);
	event_free(q->delay);
	event_free(q->renew);
	event_free(q->backoff);
	free(q->owner);
	FREE_OBJ(q);
}

void
tq_stats(const struct task_queue *q, struct tq_stats *st)
{
	CHECK_OBJ_NOTNULL(q, JOB_QUEUE_MAGIC);
	AN(st);
	*st = q->st;
}
