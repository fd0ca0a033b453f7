/*
 * The store's bookkeeping.  A job is kept in memory from its first
 * mention until its row is written in its final state and no waiting
 * row refers to it.  Invalidations and results wait in FIFOs until the
 * database has their job; the job's ids are then known here (from its
 * insert's RETURNING), so they are written with them and the database
 * looks nothing up.
 *
 * One write is in flight at a time, in this order: jobs (new ones, and
 * the counters of running ones every JOB_UPDATE seconds), invalidations,
 * results.  A write that fails is sent again, same rows, same keys,
 * after a backoff: rows that made it the first time are skipped
 * (ON CONFLICT (row_key) DO NOTHING), and a job's insert is an upsert.
 * Keys rather than a table of batches written: nothing more to prune,
 * and a row is written at most once whatever batch it travels in.  A
 * write the server refuses for its data (SQLSTATE classes 22 and 23)
 * would never pass: its rows are dropped and counted, not tried for
 * ever.  Strings are made valid UTF-8 first, so that one odd URL cannot
 * sink a batch.
 *
 * This file keeps the books and the store's life; the strings are made
 * fit in result_store_str.c, the rows written by a writer
 * (result_rows.h: PostgreSQL's in result_store_write.c, the agent
 * link's in link/batch.c), and what the job table and the instances say
 * is heard in result_store_watch.c.  They share result_store_priv.h.
 */

#include "config.h"

#include <sys/types.h>
#include <sys/random.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "core/log.h"
#include "core/metrics.h"
#include "core/str.h"
#include "node/instance.h"
#include "warm/warm_batch.h"
#include "warm/warm_verdict.h"
#include "result_store_priv.h"

#define MAX_ROWS_DEFAULT 200000
#define BATCH_DEFAULT 1000
#define INTERVAL_DEFAULT 0.25

static int
rs_connected(const struct result_store *rs)
{
	return (rs->w->connected(rs->wpriv));
}

/*--------------------------------------------------------------------
 * Jobs
 */

struct rs_job *
rs_job_find(const struct result_store *rs, uint64_t key)
{
	struct rs_job *j;

	HASH_FIND(hh, rs->jobs, &key, sizeof key, j);
	CHECK_OBJ_ORNULL(j, RS_JOB_MAGIC);
	return (j);
}

struct rs_job *
rs_job_get(struct result_store *rs, uint64_t key)
{
	struct rs_job *j;

	j = rs_job_find(rs, key);
	if (j != NULL)
		return (j);
	ALLOC_OBJ(j, RS_JOB_MAGIC);
	AN(j);
	j->key = key;
	j->seq = ++rs->seq;
	j->status = "running";
	j->hour = -1;
	j->created = VTIM_real();
	HASH_ADD(hh, rs->jobs, key, sizeof j->key, j);
	VTAILQ_INSERT_TAIL(&rs->joblist, j, list);
	rs->njob++;
	return (j);
}

static void
rs_job_free(struct result_store *rs, struct rs_job *j)
{
	CHECK_OBJ_NOTNULL(j, RS_JOB_MAGIC);
	HASH_DEL(rs->jobs, j);
	VTAILQ_REMOVE(&rs->joblist, j, list);
	if (j->hour >= 0)
		VTAILQ_REMOVE(&rs->expiring, j, elist);
	rs->njob--;
	free(j->base);
	free(j->source);
	free(j->error);
	free(j->node);
	free(j->host);
	FREE_OBJ(j);
}

int
rs_job_final(const struct rs_job *j)
{
	return (strcmp(j->status, "running") != 0);
}

/* A job goes once the database has the last of it. */
void
rs_forget(struct result_store *rs, struct rs_job *j)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	CHECK_OBJ_NOTNULL(j, RS_JOB_MAGIC);
	if (j->sending || j->nrows > 0)
		return;
	if (!j->described || j->lost) {
		/* Never to be written: gone once nothing more can come. */
		if (j->ended &&
		    (rs_job_final(j) || j->completed + j->failed >= j->total))
			rs_job_free(rs, j);
		return;
	}
	if (j->written && rs_job_final(j) && j->written_version == j->version)
		rs_job_free(rs, j);
}

/* Done once everything queued is accounted for. */
void
rs_maybe_done(struct rs_job *j)
{
	if (!j->ended || rs_job_final(j) || j->completed + j->failed < j->total)
		return;
	j->status = "done";
	j->finished = VTIM_real();
	j->version++;
}

/* Room for one more row, or it is dropped (and that said once). */
static int
admit(struct result_store *rs)
{
	if (rs->nbuf < rs->conf.max_rows)
		return (1);
	rs->dropped++;
	rs->dropped_episode++;
	if (!rs->full) {
		rs->full = 1;
		if (rs_connected(rs))
			log_error("store",
			    "database too slow: result buffer full "
			    "(%zu rows), dropping results until it catches "
			    "up",
			    rs->nbuf);
		else
			log_error("store",
			    "database unreachable: result buffer full "
			    "(%zu rows), dropping results until it is back",
			    rs->nbuf);
	}
	return (0);
}

/* What the job is, now that it is known: from now on it may be written. */
void
rs_describe(struct result_store *rs, struct rs_job *j, const char *trigger,
    const char *host, const char *source)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	CHECK_OBJ_NOTNULL(j, RS_JOB_MAGIC);
	if (j->described || j->lost)
		return;
	j->trigger = trigger;
	j->base = rs_base_of(host);
	j->source = rs_clean_dup(source);
	if (!admit(rs)) {
		j->lost = 1;
		return;
	}
	j->described = 1;
	j->version++;
	rs->nbuf++;
}

/*--------------------------------------------------------------------
 * Rows
 */

void
rs_kick(struct result_store *rs)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	event_active(rs->kick, EV_TIMEOUT, 0);
}

static const char *
cache_status(const struct wb_result *r)
{
	if (r->outcome == WO_FRESH)
		return ("hit");
	if (r->status > 0)
		return ("miss");
	return (NULL);
}

void
rs_add_result(struct result_store *rs, struct rs_job *j,
    const struct wb_result *r, const char *host, const char *variant)
{
	const char *node = r->node, *reason = r->reason;
	size_t lu, lv, ln, lr, lh;
	struct rs_row *row;
	char *s, *url = NULL;

	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	CHECK_OBJ_NOTNULL(j, RS_JOB_MAGIC);
	if (warm_verdict_failed(r->outcome))
		j->failed++;
	else
		j->completed++;
	j->version++;
	if (j->lost) {
		rs->dropped++;
		return;
	}
	if (!admit(rs))
		return;
	if (host != NULL) {
		/* A re-warm's: the path of an object of host. */
		url = str_printf("http://%s%s", host, r->url);
	}
	lu = rs_clean_len(url != NULL ? url : r->url);
	lv = rs_clean_len(variant != NULL ? variant : "");
	ln = node != NULL ? rs_clean_len(node) : 0;
	lr = reason != NULL ? rs_clean_len(reason) : 0;
	lh = r->headers != NULL ? rs_clean_len(r->headers) : 0;
	row = calloc(1, sizeof *row + lu + lv + ln + lr + lh);
	AN(row);
	row->magic = RS_ROW_MAGIC;
	s = (char *)(row + 1);
	row->url = rs_clean(s, url != NULL ? url : r->url);
	row->variant = rs_clean(s + lu, variant != NULL ? variant : "");
	if (node != NULL)
		row->node = rs_clean(s + lu + lv, node);
	if (reason != NULL)
		row->reason = rs_clean(s + lu + lv + ln, reason);
	if (r->headers != NULL)
		row->headers = rs_clean(s + lu + lv + ln + lr, r->headers);
	free(url);
	row->job = j;
	row->seq = ++rs->seq;
	row->outcome = warm_outcome_name[r->outcome];
	row->cache_status = cache_status(r);
	row->status = r->status;
	row->load_ms = r->time > 0 ? r->time * 1e3 : -1;
	row->ttfb_ms = r->ttfb > 0 ? r->ttfb * 1e3 : -1;
	row->ttl = r->ttl;
	row->t = VTIM_real();
	VTAILQ_INSERT_TAIL(&rs->rows, row, list);
	j->nrows++;
	rs->nresult++;
	rs->nbuf++;
	if (rs->nresult >= rs->conf.batch)
		rs_kick(rs);
}

void
rs_add_inval(struct result_store *rs, struct rs_job *j,
    const struct instance_inval *iv, const char *node)
{
	struct rs_inval *i;
	size_t ln, ls;

	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	CHECK_OBJ_NOTNULL(j, RS_JOB_MAGIC);
	if (j->lost || !admit(rs))
		return;
	ln = rs_clean_len(node);
	ls = rs_clean_len(iv->subject != NULL ? iv->subject : "");
	i = calloc(1, sizeof *i + ln + ls);
	AN(i);
	i->magic = RS_INVAL_MAGIC;
	i->node = rs_clean((char *)(i + 1), node);
	i->subject = rs_clean((char *)(i + 1) + ln,
	    iv->subject != NULL ? iv->subject : "");
	i->job = j;
	i->seq = ++rs->seq;
	i->kind = iv->kind;
	i->soft = iv->soft;
	i->dropped = iv->dropped;
	i->queued = iv->queued;
	i->t = iv->t;
	VTAILQ_INSERT_TAIL(&rs->invals, i, list);
	j->nrows++;
	rs->nbuf++;
}

void
rs_row_done(struct result_store *rs, struct rs_row *row)
{
	struct rs_job *j;

	CHECK_OBJ_NOTNULL(row, RS_ROW_MAGIC);
	j = row->job;
	VTAILQ_REMOVE(&rs->rows, row, list);
	assert(j->nrows > 0 && rs->nresult > 0 && rs->nbuf > 0);
	j->nrows--;
	rs->nresult--;
	rs->nbuf--;
	FREE_OBJ(row);
	rs_forget(rs, j);
}

void
rs_inval_done(struct result_store *rs, struct rs_inval *i)
{
	struct rs_job *j;

	CHECK_OBJ_NOTNULL(i, RS_INVAL_MAGIC);
	j = i->job;
	VTAILQ_REMOVE(&rs->invals, i, list);
	assert(j->nrows > 0 && rs->nbuf > 0);
	j->nrows--;
	rs->nbuf--;
	FREE_OBJ(i);
	rs_forget(rs, j);
}

/*--------------------------------------------------------------------
 * What a writer asks
 */

struct rs_job *
rs_job_first(const struct result_store *rs)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	return (VTAILQ_FIRST(&rs->joblist));
}

struct rs_inval *
rs_inval_first(const struct result_store *rs)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	return (VTAILQ_FIRST(&rs->invals));
}

struct rs_row *
rs_row_first(const struct result_store *rs)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	return (VTAILQ_FIRST(&rs->rows));
}

size_t
rs_results_waiting(const struct result_store *rs)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	return (rs->nresult);
}

unsigned
rs_batch(const struct result_store *rs)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	return (rs->conf.batch);
}

int
rs_draining(const struct result_store *rs)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	return (rs->draining);
}

void
rs_row_key(const struct result_store *rs, uint64_t seq, char *buf, size_t len)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	snprintf(buf, len, "%08x-%04x-%04x-%04x-%04x%08x",
	    (unsigned)(rs->run >> 32), (unsigned)(rs->run >> 16) & 0xffff,
	    (unsigned)rs->run & 0xffff, (unsigned)(seq >> 48) & 0xffff,
	    (unsigned)(seq >> 32) & 0xffff, (unsigned)seq);
}

void
rs_job_taken(struct result_store *rs, struct rs_job *j)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	CHECK_OBJ_NOTNULL(j, RS_JOB_MAGIC);
	assert(!j->written && rs->nbuf > 0);
	j->written = 1;
	rs->nbuf--;
	rs->written++;
}

void
rs_written(struct result_store *rs, size_t n)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	rs->written += n;
}

void
rs_dropped(struct result_store *rs, size_t n)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	rs->dropped += n;
}

void
rs_write_error(struct result_store *rs)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	rs->errors++;
}

void
rs_room_again(struct result_store *rs)
{
	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	if (!rs->full || rs->nbuf >= rs->conf.max_rows)
		return;
	rs->full = 0;
	log_notice("store",
	    "result buffer has room again: %" PRIu64 " rows were dropped",
	    rs->dropped_episode);
	rs->dropped_episode = 0;
}

/*--------------------------------------------------------------------
 * The store
 */

/* The store's (priv) stoke_db_* samples, but retention's. */
void
rs_metrics(void *priv, struct metrics *m)
{
	struct result_store *rs;

	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	metrics_u64(m, M_DB_CONNECTED, (uint64_t)rs_connected(rs), NULL);
	metrics_u64(m, M_DB_ROWS_BUFFERED, rs->nbuf, NULL);
	metrics_u64(m, M_DB_ROWS_BUFFER_MAX, rs->conf.max_rows, NULL);
	metrics_u64(m, M_DB_ROWS_WRITTEN, rs->written, NULL);
	metrics_u64(m, M_DB_ROWS_DROPPED, rs->dropped, NULL);
	metrics_u64(m, M_DB_FLUSH_ERRORS, rs->errors, NULL);
	metrics_u64(m, M_DB_JOBS_OPEN, rs->njob, NULL);
}

static uint64_t
run_id(void)
{
	uint64_t r;

	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		r = (uint64_t)(VTIM_real() * 1e6) ^ ((uint64_t)getpid() << 40);
	return (r);
}

static void
rs_on_kick(evutil_socket_t fd, short what, void *priv)
{
	struct result_store *rs;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	rs->w->flush(rs->wpriv, rs);
}

/* The hour's refreshes before expiry are one job, ended with the hour. */
static void
end_hours(struct result_store *rs)
{
	struct rs_job *j, *j2;
	int64_t hour = (int64_t)(VTIM_real() / 3600);

	VTAILQ_FOREACH_SAFE(j, &rs->expiring, elist, j2)
	{
		if (j->hour >= hour || j->ended)
			continue;
		j->ended = 1;
		j->version++;
		if (!j->described)
			j->status = "cancelled";
		rs_maybe_done(j);
		rs_forget(rs, j);
	}
}

static void
rs_on_tick(evutil_socket_t fd, short what, void *priv)
{
	struct result_store *rs;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(rs, priv, RESULT_STORE_MAGIC);
	end_hours(rs);
	if (rs->w->tick != NULL)
		rs->w->tick(rs->wpriv, rs);
	rs->w->flush(rs->wpriv, rs);
}

struct result_store *
rs_new_writer(struct event_base *eb, const struct rs_conf *c,
    const struct rs_writer *w, void *priv)
{
	struct result_store *rs;
	struct timeval tv;

	AN(eb);
	CHECK_OBJ_NOTNULL(w, RS_WRITER_MAGIC);
	ALLOC_OBJ(rs, RESULT_STORE_MAGIC);
	AN(rs);
	rs->eb = eb;
	rs->w = w;
	rs->wpriv = priv;
	if (c != NULL)
		rs->conf = *c;
	if (rs->conf.max_rows == 0)
		rs->conf.max_rows = MAX_ROWS_DEFAULT;
	if (rs->conf.batch == 0)
		rs->conf.batch = BATCH_DEFAULT;
	if (rs->conf.interval <= 0)
		rs->conf.interval = INTERVAL_DEFAULT;
	rs->run = run_id();
	VTAILQ_INIT(&rs->joblist);
	VTAILQ_INIT(&rs->expiring);
	VTAILQ_INIT(&rs->rows);
	VTAILQ_INIT(&rs->invals);
	rs->tick = event_new(eb, -1, EV_PERSIST, rs_on_tick, rs);
	rs->kick = event_new(eb, -1, 0, rs_on_kick, rs);
	AN(rs->tick);
	AN(rs->kick);
	tv.tv_sec = (time_t)rs->conf.interval;
	tv.tv_usec =
	    (suseconds_t)((rs->conf.interval - (double)tv.tv_sec) * 1e6);
	AZ(event_add(rs->tick, &tv));
	return (rs);
}

struct result_store *
rs_new(struct event_base *eb, struct pg_pool *pool, const struct rs_conf *c)
{
	AN(pool);
	return (rs_new_writer(eb, c, &rs_pg_writer,
	    rs_pg_new(pool, c != NULL ? c->runner : NULL)));
}

/* Rows and job changes not in the database yet. */
static size_t
unwritten(const struct result_store *rs)
{
	const struct rs_job *j;
	size_t n = rs->nbuf;

	VTAILQ_FOREACH(j, &rs->joblist, list)
	if (j->described && !j->lost && j->written &&
	    j->written_version != j->version)
		n++;
	return (n);
}

static void
rs_on_deadline(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	*(int *)priv = 1;
}

size_t
rs_drain(struct result_store *rs, double timeout)
{
	struct timeval tv;
	struct event *ev;
	struct rs_job *j;
	int late = 0;
	size_t left;

	CHECK_OBJ_NOTNULL(rs, RESULT_STORE_MAGIC);
	rs->draining = 1;
	VTAILQ_FOREACH(j, &rs->joblist, list)
	{
		if (rs_job_final(j))
			continue;
		/* An hour's refreshes that are all done are done. */
		if (j->hour >= 0 && j->completed + j->failed >= j->total) {
			j->ended = 1;
			rs_maybe_done(j);
			continue;
		}
		j->status = "cancelled";
		j->finished = VTIM_real();
		j->version++;
	}
	ev = evtimer_new(rs->eb, rs_on_deadline, &late);
	AN(ev);
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(ev, &tv));
	rs_kick(rs);
	/* The tick wakes the loop four times a second at least. */
	while (!late && (unwritten(rs) > 0 || rs->w->busy(rs->wpriv)))
		(void)event_base_loop(rs->eb, EVLOOP_ONCE);
	event_free(ev);
	left = unwritten(rs);
	if (left > 0)
		log_error("store",
		    "%zu rows not stored: the database did not take "
		    "them in %.0f s",
		    left, timeout);
	return (left);
}

void
rs_free(struct result_store **rsp)
{
	struct result_store *rs;
	struct rs_inval *i;
	struct rs_row *row;
	struct rs_job *j;

	TAKE_OBJ_NOTNULL(rs, rsp, RESULT_STORE_MAGIC);
	/* Free the pool first: nothing may be in flight. */
	AZ(rs->w->busy(rs->wpriv));
	while ((row = VTAILQ_FIRST(&rs->rows)) != NULL) {
		VTAILQ_REMOVE(&rs->rows, row, list);
		FREE_OBJ(row);
	}
	while ((i = VTAILQ_FIRST(&rs->invals)) != NULL) {
		VTAILQ_REMOVE(&rs->invals, i, list);
		FREE_OBJ(i);
	}
	while ((j = VTAILQ_FIRST(&rs->joblist)) != NULL)
		rs_job_free(rs, j);
	event_free(rs->tick);
	event_free(rs->kick);
	if (rs->w->fini != NULL)
		rs->w->fini(rs->wpriv);
	FREE_OBJ(rs);
}
