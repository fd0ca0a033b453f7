/*
 * What stoked run does, kept in PostgreSQL (or, for stoked agent, sent
 * to the control plane in batches: result_rows.h): its sitemap jobs, the
 * invalidations it re-warmed after, and what came of every warm
 * request, as cache_jobs, invalidation_events and page_results rows of
 * a website per Host (http://HOST/) in the default project.
 *
 * The job table and the instances tell the store (their watch hooks);
 * it buffers rows and writes them from the event loop through a pg_pool,
 * in batches: every rs_conf.interval, or at once when rs_conf.batch
 * results wait, each kind of row in one multi-row statement.  Each row
 * carries a key made here (row_key), so that a write whose outcome is
 * unknown is sent again without anything written twice.
 *
 * While the database is away warming goes on: rows wait, and writes are
 * tried again with a backoff as the pool reconnects.  Past rs_conf.
 * max_rows waiting, new rows are dropped and counted, and said once.
 */

#ifndef STOKE_RESULT_STORE_H
#define STOKE_RESULT_STORE_H

#include <stddef.h>

#include "core/metrics.h"

struct event_base;
struct instance;
struct sj_conf;
struct pg_pool;
struct result_store;
struct rs_writer;

struct rs_conf {
	size_t max_rows; /* waiting at most; 0: 200000 */
	unsigned batch; /* results per statement; 0: 1000 */
	double interval; /* seconds between writes; 0: 0.25 */
	/*
	 * Who runs the jobs, the same each time the same stoked runs
	 * (cache_jobs.runner), or NULL.  rs_new(): before its first job is
	 * written, the jobs an earlier run of it left queued or running
	 * (it was killed) are recorded as failed.  Copied.
	 */
	const char *runner;
};

/* The pool is the caller's, and must outlive the store. */
struct result_store *
rs_new(struct event_base *, struct pg_pool *, const struct rs_conf *);
/* The same books, written by another writer (priv: the writer's own,
 * freed with the store by its fini). */
struct result_store *rs_new_writer(struct event_base *, const struct rs_conf *,
    const struct rs_writer *, void *priv);
/* Have the jobs of the table made with jc recorded (before sj_new()). */
void rs_watch_jobs(struct result_store *, struct sj_conf *jc);
/* Have what the instance re-warms, and why, recorded. */
void rs_watch_instance(struct result_store *, struct instance *);
/* The store's (priv) stoke_db_* samples; register it with /metrics. */
metrics_f rs_metrics;
/*
 * At exit, once nothing tells the store anything more: jobs not
 * finished are recorded as cancelled, and what waits is written, the
 * event loop running for timeout seconds at most.  Returns how many rows
 * were left unwritten.
 */
size_t rs_drain(struct result_store *, double timeout);
void rs_free(struct result_store **);

#endif
