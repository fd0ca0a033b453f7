/*
 * result_store: the PostgreSQL writer (result_rows.h).  The statements,
 * the row keys and arrays they take, and the write in flight with what
 * comes back of it.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vsb.h"
#include "vtim.h"

#include "core/log.h"
#include "default_project.h"
#include "pg_array.h"
#include "pg_pool.h"
#include "result_store_priv.h"

#define JOB_UPDATE 2.0 /* seconds between writes of a running job */
#define JOBS_MAX 1000 /* jobs per statement */
#define BACKOFF_MIN 0.25
#define BACKOFF_MAX 5.0
#define UNREACHABLE_AFTER 5.0 /* seconds down before it is said */

enum rs_writing { W_IDLE, W_ORPHANS, W_JOBS, W_INVALS, W_RESULTS };

/* The writer: the pool, and the write in flight. */
struct rs_pg {
	unsigned magic;
#define RS_PG_MAGIC 0x5e7d0a06
	struct pg_pool *pool;
	char *runner; /* cache_jobs.runner of our jobs, or NULL */
	unsigned orphans_done : 1; /* an earlier run's jobs are ended */
	struct result_store *rs; /* while a write is in flight */
	enum rs_writing writing;
	struct rs_job **sent; /* the jobs in flight, in order made */
	unsigned nsent, lsent;
	void **inflight; /* the invalidations or results in flight */
	unsigned nsend, linflight; /* rows in flight */
	double retry_at, backoff;
	double down_since; /* monotonic; 0: connected */
	unsigned said_down : 1;
	unsigned failing : 1; /* a write failed: said once */
};

/*--------------------------------------------------------------------
 * Statements
 */

/*
 * New jobs, each with its website found or made, and the counters of
 * jobs written before.  A job sent again after an unknown outcome is
 * updated, and its ids returned all the same.
 */
static const struct pg_stmt st_jobs = { "rs_jobs",
	"WITH " SQL_DEFAULT_PROJECT ", n AS ("
	"  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[],"
	"    $4::text[], $5::float8[], $6::text[], $7::float8[],"
	"    $8::integer[], $9::integer[], $10::integer[], $11::text[])"
	"  AS n(k, base, trig, source, t0, status, t1, total, done, failed,"
	"    error)"
	"), w AS ("
	"  INSERT INTO websites (project_id, base_url)"
	"  SELECT p.id, b.base FROM default_project p,"
	"    (SELECT DISTINCT base FROM n) b"
	"  ON CONFLICT (project_id, base_url)"
	"    DO UPDATE SET base_url = EXCLUDED.base_url"
	"  RETURNING id, base_url"
	"), u AS ("
	"  UPDATE cache_jobs c SET status = x.status::job_status,"
	"    finished_at = to_timestamp(x.t1), urls_total = x.total,"
	"    urls_completed = x.done, urls_failed = x.failed, error = x.error"
	"  FROM unnest($12::bigint[], $13::text[], $14::float8[],"
	"    $15::integer[], $16::integer[], $17::integer[], $18::text[])"
	"    AS x(id, status, t1, total, done, failed, error)"
	"  WHERE c.id = x.id"
	"  RETURNING 1"
	")"
	"INSERT INTO cache_jobs (row_key, website_id, trigger, source, status,"
	"  created_at, started_at, finished_at, urls_total, urls_completed,"
	"  urls_failed, error, runner)"
	" SELECT n.k, w.id, n.trig::job_trigger, n.source,"
	"  n.status::job_status, to_timestamp(n.t0), to_timestamp(n.t0),"
	"  to_timestamp(n.t1), n.total, n.done, n.failed, n.error, $19"
	" FROM n JOIN w ON w.base_url = n.base"
	" ON CONFLICT (row_key) WHERE row_key IS NOT NULL DO UPDATE SET"
	"  status = EXCLUDED.status, finished_at = EXCLUDED.finished_at,"
	"  urls_total = EXCLUDED.urls_total,"
	"  urls_completed = EXCLUDED.urls_completed,"
	"  urls_failed = EXCLUDED.urls_failed, error = EXCLUDED.error"
	" RETURNING row_key, id, website_id",
	19 };

/*
 * The jobs an earlier run of the same stoked left unfinished: it was
 * killed, and they will never end.  Their rows say so, as they would
 * have at a clean exit (cancelled), but failed: nobody asked.
 */
static const struct pg_stmt st_orphans = { "rs_orphans",
	"UPDATE cache_jobs SET status = 'failed', finished_at = now(),"
	"  error = 'stoked run stopped before it ended'"
	" WHERE runner = $1 AND status IN ('queued', 'running')"
	" RETURNING id",
	1 };

static const struct pg_stmt st_invals = { "rs_invals",
	"INSERT INTO invalidation_events (row_key, website_id, job_id, kind,"
	"  soft, node, subject, objects_dropped, objects_queued, occurred_at)"
	" SELECT y.k, y.site, y.job, y.kind::invalidation_kind, y.soft,"
	"  y.node, y.subject, y.dropped, y.queued, to_timestamp(y.t)"
	" FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[],"
	"  $5::boolean[], $6::text[], $7::text[], $8::integer[],"
	"  $9::integer[], $10::float8[])"
	"  AS y(k, site, job, kind, soft, node, subject, dropped, queued, t)"
	" ON CONFLICT (row_key) WHERE row_key IS NOT NULL DO NOTHING",
	10 };

/* A result row's arrays, one a column. */
#define RS_RESULT_COLUMNS 15

static const struct pg_stmt st_results = { "rs_results",
	"INSERT INTO page_results (row_key, job_id, website_id, url, variant,"
	"  node, status, load_ms, ttfb_ms, cache_status, outcome, reason, ttl,"
	"  recorded_at, headers)"
	" SELECT r.k, r.job, r.site, r.url, r.variant, r.node, r.status,"
	"  r.load_ms, r.ttfb_ms, r.cs, r.outcome::warm_outcome, r.reason,"
	"  r.ttl, to_timestamp(r.t), r.headers"
	" FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[],"
	"  $5::text[], $6::text[], $7::integer[], $8::real[], $9::real[],"
	"  $10::text[], $11::text[], $12::text[], $13::real[], $14::float8[],"
	"  $15::jsonb[])"
	"  AS r(k, job, site, url, variant, node, status, load_ms, ttfb_ms,"
	"    cs, outcome, reason, ttl, t, headers)"
	" ON CONFLICT (row_key) WHERE row_key IS NOT NULL DO NOTHING",
	RS_RESULT_COLUMNS };

/*--------------------------------------------------------------------
 * Row keys and arrays
 */

/* The row's half of a row key, as PostgreSQL writes uuids back. */
static uint64_t
key_seq(const char *uuid)
{
	char hex[17];

	if (strlen(uuid) != 36)
		return (0);
	memcpy(hex, uuid + 19, 4);
	memcpy(hex + 4, uuid + 24, 12);
	hex[16] = '\0';
	return (strtoull(hex, NULL, 16));
}

static void
arr_time(struct vsb *a, double t)
{
	char buf[32];

	if (t <= 0) {
		pg_array_null(a);
		return;
	}
	/* Not pg_array_real(): six digits would lose the seconds. */
	snprintf(buf, sizeof buf, "%.6f", t);
	pg_array_text(a, buf);
}

static void
arr_key(const struct result_store *rs, struct vsb *a, uint64_t seq)
{
	char buf[40];

	rs_row_key(rs, seq, buf, sizeof buf);
	pg_array_text(a, buf);
}

static void
arr_opt(struct vsb *a, double v)
{
	if (v < 0)
		pg_array_null(a);
	else
		pg_array_real(a, v);
}

/*--------------------------------------------------------------------
 * Writing
 */

static void
said_back(struct rs_pg *pw)
{
	struct result_store *rs = pw->rs;
	pw->backoff = 0;
	pw->retry_at = 0;
	if (pw->failing) {
		pw->failing = 0;
		log_notice("store", "writing to the database again");
	}
	rs_room_again(rs);
}

/*
 * A write failed.  1: for its data, so it never will pass (the caller
 * drops its rows); 0: try again later.
 */
static int
write_failed(struct rs_pg *pw, const struct pg_result *res, const char *err,
    const char *what)
{
	struct result_store *rs = pw->rs;
	const char *state = NULL;

	rs->errors++;
	if (res != NULL)
		state =
		    PQresultErrorField((const PGresult *)res, PG_DIAG_SQLSTATE);
	if (state != NULL &&
	    (!strncmp(state, "22", 2) || !strncmp(state, "23", 2))) {
		log_error("store",
		    "the database refused %u %s rows, dropped: %s", pw->nsend,
		    what, err);
		rs->dropped += pw->nsend;
		return (1);
	}
	/* At exit rs_drain() says what was left, the pool's "stopped". */
	if (!pw->failing && !rs->draining) {
		pw->failing = 1;
		/* 53100: disk_full.  What to do is the operator's. */
		if (state != NULL && !strcmp(state, "53100"))
			log_error("store",
			    "the database's disk is full (%s): rows wait in "
			    "memory, %zu at most, and are written once there "
			    "is room",
			    err, rs->conf.max_rows);
		else
			log_warning("store",
			    "writing %s to the database failed, trying "
			    "again: %s",
			    what, err);
	}
	pw->backoff = pw->backoff > 0 ? pw->backoff * 2 : BACKOFF_MIN;
	if (pw->backoff > BACKOFF_MAX)
		pw->backoff = BACKOFF_MAX;
	pw->retry_at = VTIM_mono() + pw->backoff;
	return (0);
}

static struct rs_job *
sent_job(const struct rs_pg *pw, uint64_t seq)
{
	unsigned lo = 0, hi = pw->nsent, mid;

	/* pw->sent is in the order jobs were made, which is by seq. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (pw->sent[mid]->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (
	    lo < pw->nsent && pw->sent[lo]->seq == seq ? pw->sent[lo] : NULL);
}

static void
on_jobs(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct result_store *rs;
	struct rs_pg *pw;
	struct rs_job *j;
	unsigned u;
	int i, drop = 0;

	CAST_OBJ_NOTNULL(pw, priv, RS_PG_MAGIC);
	rs = pw->rs;
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	assert(pw->writing == W_JOBS);
	pw->writing = W_IDLE;
	if (err != NULL)
		drop = write_failed(pw, res, err, "job");
	for (i = 0; err == NULL && i < PQntuples(r); i++) {
		j = sent_job(pw, key_seq(PQgetvalue(r, i, 0)));
		if (j == NULL || j->written)
			continue;
		j->written = 1;
		j->db_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		j->website_id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		rs->nbuf--;
		rs->written++;
	}
	for (u = 0; u < pw->nsent; u++) {
		j = pw->sent[u];
		j->sending = 0;
		if (err == NULL && j->written) {
			j->written_version = j->sent_version;
			j->last_write = VTIM_real();
		} else if (drop && !j->written) {
			j->lost = 1;
			j->described = 0;
			rs->nbuf--;
		}
		rs_forget(rs, j);
	}
	pw->nsent = 0;
	pw->nsend = 0;
	if (err == NULL) {
		said_back(pw);
		rs_kick(rs);
	}
}

/* status, finished, total, completed, failed, error: a[0] to a[5]. */
/*
 * A job that ended is said to have ended only once its rows are in: a
 * reader who sees it done finds every one of its results.  Until then
 * its row says it runs (its first write must come first all the same:
 * its rows need its id).
 */
static int
job_held(const struct rs_job *j)
{
	return (rs_job_final(j) && j->nrows > 0);
}

static void
job_values(struct vsb **a, const struct rs_job *j)
{
	unsigned total = j->total;

	/* The table checks it; results may come before the total grows. */
	if (total < j->completed + j->failed)
		total = j->completed + j->failed;
	pg_array_text(a[0], job_held(j) ? "running" : j->status);
	arr_time(a[1], job_held(j) ? 0 : j->finished);
	pg_array_int(a[2], total);
	pg_array_int(a[3], j->completed);
	pg_array_int(a[4], j->failed);
	pg_array_text(a[5], j->error);
}

/* Does the job's row need writing now? */
static int
job_due(const struct result_store *rs, const struct rs_job *j, double now)
{
	if (!j->described || j->lost || j->sending)
		return (0);
	if (!j->written)
		return (1);
	if (job_held(j))
		return (0);
	return (j->version != j->written_version &&
	    (rs_job_final(j) || rs->draining ||
	        now - j->last_write >= JOB_UPDATE));
}

static int
send_jobs(struct rs_pg *pw)
{
	struct result_store *rs = pw->rs;
	struct vsb *n[11], *x[7];
	const char *v[19];
	struct rs_job *j;
	double now = VTIM_real();
	unsigned u;
	int r;

	VTAILQ_FOREACH(j, &rs->joblist, list)
	if (job_due(rs, j, now))
		break;
	if (j == NULL)
		return (0);
	for (u = 0; u < 11; u++)
		n[u] = pg_array_new();
	for (u = 0; u < 7; u++)
		x[u] = pg_array_new();
	pw->nsent = 0;
	VTAILQ_FOREACH(j, &rs->joblist, list)
	{
		if (pw->nsent == JOBS_MAX)
			break;
		if (!job_due(rs, j, now))
			continue;
		if (pw->nsent == pw->lsent) {
			pw->lsent = pw->lsent > 0 ? pw->lsent * 2 : 64;
			pw->sent =
			    realloc(pw->sent, pw->lsent * sizeof *pw->sent);
			AN(pw->sent);
		}
		pw->sent[pw->nsent++] = j;
		j->sending = 1;
		/* Held back, it is written again once its rows are in. */
		j->sent_version = j->version - (job_held(j) ? 1 : 0);
		if (!j->written) {
			arr_key(rs, n[0], j->seq);
			pg_array_text(n[1], j->base);
			pg_array_text(n[2], j->trigger);
			pg_array_text(n[3], j->source);
			arr_time(n[4], j->created);
			job_values(n + 5, j);
		} else {
			pg_array_int(x[0], j->db_id);
			job_values(x + 1, j);
		}
	}
	for (u = 0; u < 11; u++)
		pg_array_end(n[u]);
	for (u = 0; u < 7; u++)
		pg_array_end(x[u]);
	for (u = 0; u < 11; u++)
		v[u] = VSB_data(n[u]);
	for (u = 0; u < 7; u++)
		v[11 + u] = VSB_data(x[u]);
	v[18] = pw->runner;
	r = 0;
	if (pw->nsent > 0) {
		pw->nsend = pw->nsent;
		r = pg_pool_query(pw->pool, &st_jobs, v, on_jobs, pw) == 0;
		if (r) {
			pw->writing = W_JOBS;
		} else {
			for (u = 0; u < pw->nsent; u++)
				pw->sent[u]->sending = 0;
			pw->nsent = pw->nsend = 0;
		}
	}
	for (u = 0; u < 11; u++)
		VSB_destroy(&n[u]);
	for (u = 0; u < 7; u++)
		VSB_destroy(&x[u]);
	return (r);
}

/* Rows in flight, in pw->inflight. */
static void
inflight_add(struct rs_pg *pw, void *p)
{
	if (pw->nsend == pw->linflight) {
		pw->linflight = pw->linflight > 0 ? pw->linflight * 2 : 256;
		pw->inflight =
		    realloc(pw->inflight, pw->linflight * sizeof *pw->inflight);
		AN(pw->inflight);
	}
	pw->inflight[pw->nsend++] = p;
}

static void
on_invals(void *priv, const struct pg_result *res, const char *err)
{
	struct result_store *rs;
	struct rs_pg *pw;
	struct rs_inval *i;
	unsigned u;

	CAST_OBJ_NOTNULL(pw, priv, RS_PG_MAGIC);
	rs = pw->rs;
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	assert(pw->writing == W_INVALS);
	pw->writing = W_IDLE;
	if (err != NULL && !write_failed(pw, res, err, "invalidation")) {
		pw->nsend = 0;
		return;
	}
	if (err == NULL)
		rs->written += pw->nsend;
	for (u = 0; u < pw->nsend; u++) {
		CAST_OBJ_NOTNULL(i, pw->inflight[u], RS_INVAL_MAGIC);
		rs_inval_done(rs, i);
	}
	pw->nsend = 0;
	if (err == NULL) {
		said_back(pw);
		rs_kick(rs);
	}
}

static int
send_invals(struct rs_pg *pw)
{
	struct result_store *rs = pw->rs;
	struct rs_inval *i, *i2;
	struct vsb *a[10];
	const char *v[10];
	unsigned u;
	int r = 0;

	pw->nsend = 0;
	if (VTAILQ_EMPTY(&rs->invals))
		return (0);
	for (u = 0; u < 10; u++)
		a[u] = pg_array_new();
	VTAILQ_FOREACH_SAFE(i, &rs->invals, list, i2)
	{
		if (pw->nsend == rs->conf.batch)
			break;
		if (i->job->lost) {
			rs->dropped++;
			rs_inval_done(rs, i);
			continue;
		}
		if (!i->job->written)
			continue;
		inflight_add(pw, i);
		arr_key(rs, a[0], i->seq);
		pg_array_int(a[1], i->job->website_id);
		pg_array_int(a[2], i->job->db_id);
		pg_array_text(a[3], i->kind);
		pg_array_bool(a[4], (int)i->soft);
		pg_array_text(a[5], i->node);
		pg_array_text(a[6], i->subject);
		pg_array_int(a[7], i->dropped);
		pg_array_int(a[8], i->queued);
		arr_time(a[9], i->t);
	}
	for (u = 0; u < 10; u++) {
		pg_array_end(a[u]);
		v[u] = VSB_data(a[u]);
	}
	if (pw->nsend > 0) {
		r = pg_pool_query(pw->pool, &st_invals, v, on_invals, pw) == 0;
		if (r)
			pw->writing = W_INVALS;
		else
			pw->nsend = 0;
	}
	for (u = 0; u < 10; u++)
		VSB_destroy(&a[u]);
	return (r);
}

static void
on_results(void *priv, const struct pg_result *res, const char *err)
{
	struct result_store *rs;
	struct rs_pg *pw;
	struct rs_row *row;
	unsigned u;

	CAST_OBJ_NOTNULL(pw, priv, RS_PG_MAGIC);
	rs = pw->rs;
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	assert(pw->writing == W_RESULTS);
	pw->writing = W_IDLE;
	if (err != NULL && !write_failed(pw, res, err, "result")) {
		pw->nsend = 0;
		return;
	}
	if (err == NULL)
		rs->written += pw->nsend;
	for (u = 0; u < pw->nsend; u++) {
		CAST_OBJ_NOTNULL(row, pw->inflight[u], RS_ROW_MAGIC);
		rs_row_done(rs, row);
	}
	pw->nsend = 0;
	if (err == NULL) {
		said_back(pw);
		/* The next batch at once if it is whole, else on time. */
		if (rs->nresult >= rs->conf.batch || rs->draining)
			rs_kick(rs);
	}
}

static int
send_results(struct rs_pg *pw)
{
	struct result_store *rs = pw->rs;
	struct rs_row *row, *row2;
	struct vsb *a[RS_RESULT_COLUMNS];
	const char *v[RS_RESULT_COLUMNS];
	unsigned u, looked = 0;
	int r = 0;

	pw->nsend = 0;
	if (rs->nresult == 0)
		return (0);
	for (u = 0; u < RS_RESULT_COLUMNS; u++)
		a[u] = pg_array_new();
	VTAILQ_FOREACH_SAFE(row, &rs->rows, list, row2)
	{
		/* Rows of a job not written yet wait for it. */
		if (pw->nsend == rs->conf.batch ||
		    looked++ == 4 * rs->conf.batch)
			break;
		if (row->job->lost) {
			rs->dropped++;
			rs_row_done(rs, row);
			continue;
		}
		if (!row->job->written)
			continue;
		inflight_add(pw, row);
		arr_key(rs, a[0], row->seq);
		pg_array_int(a[1], row->job->db_id);
		pg_array_int(a[2], row->job->website_id);
		pg_array_text(a[3], row->url);
		pg_array_text(a[4], row->variant);
		pg_array_text(a[5], row->node);
		if (row->status > 0)
			pg_array_int(a[6], row->status);
		else
			pg_array_null(a[6]);
		arr_opt(a[7], row->load_ms);
		arr_opt(a[8], row->ttfb_ms);
		pg_array_text(a[9], row->cache_status);
		pg_array_text(a[10], row->outcome);
		pg_array_text(a[11], row->reason);
		arr_opt(a[12], row->ttl);
		arr_time(a[13], row->t);
		pg_array_text(a[14], row->headers);
	}
	for (u = 0; u < RS_RESULT_COLUMNS; u++) {
		pg_array_end(a[u]);
		v[u] = VSB_data(a[u]);
	}
	if (pw->nsend > 0) {
		r = pg_pool_query(pw->pool, &st_results, v, on_results, pw) ==
		    0;
		if (r)
			pw->writing = W_RESULTS;
		else
			pw->nsend = 0;
	}
	for (u = 0; u < RS_RESULT_COLUMNS; u++)
		VSB_destroy(&a[u]);
	return (r);
}

static void
on_orphans(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct rs_pg *pw;

	CAST_OBJ_NOTNULL(pw, priv, RS_PG_MAGIC);
	CHECK_OBJ_NOTNULL(pw->rs, RESULT_STORE_MAGIC);
	assert(pw->writing == W_ORPHANS);
	pw->writing = W_IDLE;
	/* Failed: tried again after a backoff. */
	if (err != NULL && !write_failed(pw, res, err, "an earlier run's jobs"))
		return;
	pw->orphans_done = 1;
	if (err != NULL) {
		/* Refused for good: those stay as they are, ours go on. */
		rs_kick(pw->rs);
		return;
	}
	if (PQntuples(r) > 0)
		log_notice("store",
		    "%d jobs of an earlier run (%s) were left unfinished: "
		    "recorded as failed",
		    PQntuples(r), pw->runner);
	said_back(pw);
	rs_kick(pw->rs);
}

/* First of all: this run's jobs must not be taken for an earlier's. */
static int
send_orphans(struct rs_pg *pw)
{
	const char *v[1];

	if (pw->orphans_done)
		return (0);
	if (pw->runner == NULL) {
		pw->orphans_done = 1;
		return (0);
	}
	v[0] = pw->runner;
	/* Not queued (the pool is full): the next flush tries again. */
	if (pg_pool_query(pw->pool, &st_orphans, v, on_orphans, pw) == 0)
		pw->writing = W_ORPHANS;
	return (1);
}

static void
flush(struct rs_pg *pw)
{
	if (pw->writing != W_IDLE || VTIM_mono() < pw->retry_at ||
	    !rs_pg_connected(pw))
		return;
	if (send_orphans(pw) || send_jobs(pw) || send_invals(pw))
		return;
	(void)send_results(pw);
}

/* Said once when the database has been away a while, and when back. */
static void
watch_link(struct rs_pg *pw)
{
	struct result_store *rs = pw->rs;
	double now = VTIM_mono();

	if (rs_pg_connected(pw)) {
		if (pw->said_down)
			log_notice("store",
			    "database reachable again: writing %zu "
			    "waiting rows",
			    rs->nbuf);
		pw->down_since = 0;
		pw->said_down = 0;
		return;
	}
	if (pw->down_since == 0)
		pw->down_since = now;
	if (!pw->said_down && now - pw->down_since >= UNREACHABLE_AFTER) {
		pw->said_down = 1;
		log_warning("store",
		    "database unreachable (%s): results wait in "
		    "memory, %zu rows at most",
		    pg_pool_last_error(pw->pool), rs->conf.max_rows);
	}
}

/*--------------------------------------------------------------------
 * The writer
 */

int
rs_pg_connected(const void *priv)
{
	const struct rs_pg *pw;
	struct pg_pool_stats st;

	CAST_OBJ_NOTNULL(pw, priv, RS_PG_MAGIC);
	pg_pool_stats(pw->pool, &st);
	return (st.connected > 0);
}

static void
rs_pg_flush(void *priv, struct result_store *rs)
{
	struct rs_pg *pw;

	CAST_OBJ_NOTNULL(pw, priv, RS_PG_MAGIC);
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	pw->rs = rs;
	flush(pw);
}

static void
rs_pg_tick(void *priv, struct result_store *rs)
{
	struct rs_pg *pw;

	CAST_OBJ_NOTNULL(pw, priv, RS_PG_MAGIC);
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	pw->rs = rs;
	watch_link(pw);
}

static int
rs_pg_busy(const void *priv)
{
	const struct rs_pg *pw;

	CAST_OBJ_NOTNULL(pw, priv, RS_PG_MAGIC);
	return (pw->writing != W_IDLE);
}

static void
rs_pg_fini(void *priv)
{
	struct rs_pg *pw;

	CAST_OBJ_NOTNULL(pw, priv, RS_PG_MAGIC);
	free(pw->sent);
	free(pw->inflight);
	free(pw->runner);
	FREE_OBJ(pw);
}

void *
rs_pg_new(struct pg_pool *pool, const char *runner)
{
	struct rs_pg *pw;

	AN(pool);
	ALLOC_OBJ(pw, RS_PG_MAGIC);
	AN(pw);
	pw->pool = pool;
	if (runner != NULL) {
		pw->runner = strdup(runner);
		AN(pw->runner);
	}
	pw->down_since = VTIM_mono();
	return (pw);
}

const struct rs_writer rs_pg_writer = {
	.magic = RS_WRITER_MAGIC,
	.name = "postgresql",
	.flush = rs_pg_flush,
	.tick = rs_pg_tick,
	.connected = rs_pg_connected,
	.busy = rs_pg_busy,
	.fini = rs_pg_fini,
};
