/*
 * What the statements about tenants' jobs share (tjob_store.c, the
 * event streams' event_store.c, the scheduler's schedule_store.c): a
 * job and a result as JSON, so that a job read by a stream is the job
 * the API answers, field for field; and how a sitemap job is made, so
 * that a scheduled one is the job a tenant's POST makes.  The SQL names
 * the job j and the result r.
 */

#ifndef STOKE_TJOB_STORE_PRIV_H
#define STOKE_TJOB_STORE_PRIV_H

#include "task_queue.h"

/* A sitemap task's variant: no variant's name ("name=value ..."). */
#define TJ_SITEMAP_VARIANT "(sitemap)"

/*
 * The CTEs "j AS (...), t AS (...)" that make a sitemap job of website
 * (SQL) for each row of from ("FROM verdict WHERE ..."), trigger its
 * job_trigger, source its source (SQL: 'sitemap' or 'crawl'), with the
 * one task a worker takes up to read the sitemap at start (SQL text),
 * or crawl the site with the settings crawl (SQL jsonb, NULL: as a
 * sitemap job without a sitemap does), and queue each URL it finds once
 * per variant (SQL text[]), rendering its pages or not as render (SQL
 * boolean, NULL: as the website says), woken by the queue's channel; both in one
 * statement, so that there is never a job no worker will take up.  The plan's cap on
 * URLs is the worker's to apply: only the sitemap says how many there
 * are (0008_sitemap_tasks.sql).
 */
#define TJ_SITEMAP_JOB(website, trigger, source, from, start, variants, crawl, \
    render)                                                                    \
	"j AS ("                                                               \
	"  INSERT INTO cache_jobs (website_id, trigger, source, render)"       \
	"  SELECT " website ", '" trigger "', " source ", " render " " from    \
	"  RETURNING *"                                                        \
	"), t AS ("                                                            \
	"  INSERT INTO warm_tasks (job_id, kind, url, variant, variants,"      \
	"    crawl)"                                                           \
	"  SELECT j.id, 'sitemap', " start ", '" TJ_SITEMAP_VARIANT            \
	"', " variants ", " crawl " FROM j"                                    \
	"  RETURNING pg_notify('" TQ_CHANNEL "', job_id::text))"

#define TJ_FIELDS                                                              \
	"'id', j.id, 'website_id', j.website_id, 'status', j.status,"          \
	" 'trigger', j.trigger, 'source', j.source,"                           \
	" 'urls_total', j.urls_total, 'urls_completed', j.urls_completed,"     \
	" 'urls_failed', j.urls_failed, 'error', j.error,"                     \
	" 'created_at', j.created_at, 'started_at', j.started_at,"             \
	" 'finished_at', j.finished_at, 'notes', j.notes,"                     \
	" 'detected', j.detected, 'render', j.render,"                         \
	" 'rate', " TJ_RATE ","                                                \
	" 'eta_seconds', CASE WHEN " TJ_RATE " > 0 THEN"                       \
	"  (j.urls_total - j.urls_completed - j.urls_failed) / " TJ_RATE       \
	"  END"
/* URLs a second since it started, while it runs. */
#define TJ_RATE                                                                \
	"(CASE WHEN j.status = 'running' AND j.started_at IS NOT NULL THEN"    \
	"  (j.urls_completed + j.urls_failed)::float8 / greatest(extract("     \
	"  epoch FROM clock_timestamp() - j.started_at)::float8, 0.001) END)"

#define TJ_RESULT_FIELDS                                                       \
	"'id', r.id, 'url', r.url, 'variant', r.variant, 'node', r.node,"      \
	" 'status', r.status, 'load_ms', r.load_ms, 'ttfb_ms', r.ttfb_ms,"     \
	" 'cache_status', r.cache_status, 'outcome', r.outcome,"               \
	" 'reason', r.reason, 'ttl', r.ttl, 'recorded_at', r.recorded_at,"     \
	" 'fragment', r.fragment, 'asset_of', r.asset_of,"                     \
	" 'timings', r.timings, 'headers', r.headers"

#endif
