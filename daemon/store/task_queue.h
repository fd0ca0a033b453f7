/*
 * The durable queue of warm tasks (table warm_tasks) that many workers
 * share, on a pg_pool.
 *
 * A worker claims tasks with a lease in its name; the queue renews the
 * leases of what it still holds, and writes completions back in batches.
 * A completion changes only rows still leased by this worker, and counts
 * in the job exactly the rows it changed, so a task whose lease ran out
 * and was taken over by another worker is counted once, by that worker.
 * Every write may run twice (after a dropped connection) without
 * counting anything twice.
 */

#ifndef STOKE_TASK_QUEUE_H
#define STOKE_TASK_QUEUE_H

#include <stdint.h>

#include "warm/warm_verdict.h"

struct event_base;
struct pg_pool;
struct task_queue;

#define TQ_CHANNEL "stoke_tasks" /* NOTIFYed when tasks become claimable */

/*--------------------------------------------------------------------
 * Enqueueing
 */

struct tq_new_task {
	const char *url;
	const char *variant; /* NULL: the plain one */
	double priority;
};

/* inserted: new tasks (a URL already in the job is not added again). */
typedef void tq_enqueued_f(void *priv, unsigned inserted, const char *err);

/*
 * Add tasks to a job that is being created, in a few large statements,
 * then NOTIFY the workers.  urls_total ends as the number inserted; the
 * job cannot finish early meanwhile, since its total is raised first.
 * On failure the job is marked failed.  The tasks are copied.
 *
 * With agents, each task is queued too for each agent of the job's
 * website at work, to warm on its own node (0015_agent_tasks.sql's
 * warm_targets(): then without the workers' when the website has no
 * varnish_nodes); inserted counts them all.  Without (a purge's
 * re-warm, which each agent does from its own node's log), for the
 * workers only.
 */
void tq_enqueue(struct pg_pool *, int64_t job_id, const struct tq_new_task *,
    unsigned n, int agents, tq_enqueued_f *, void *priv);

/*--------------------------------------------------------------------
 * Working
 */

enum tq_kind {
	TQ_WARM, /* fetch url in variant */
	TQ_SITEMAP, /* read the sitemap at url, queue what it lists */
};

/* A claimed task, the queue's until completed, expanded or released. */
struct tq_task {
	unsigned magic;
#define TQ_TASK_MAGIC 0x6a7b1c01
	int64_t id, job_id;
	enum tq_kind kind;
	const char *url;
	const char *variant;
	const char *nodes; /* the website's Varnish nodes, space separated */
	const char *base_url; /* the website's */
	/* Where its variants' dimensions come from, a dims record's
	 * fields, as the website's variant_inputs say; "": not said. */
	const char *dims;
	/* A sitemap task's crawl settings, as the job's API took them
	 * (0019_crawl.sql); "": none said. */
	const char *crawl;
	/* A sitemap task of a website of cache_type shopware: its
	 * settings, {"search_terms": [...], "visitor_terms": the terms its
	 * visitors searched most in the last 7 days, "auto_variants": false,
	 * "currency_input": "cookie:sw-currency" or null, "variants": the
	 * task's}; "": another website's, or a warm task. */
	const char *shopware;
	/* A sitemap task's: the paths the website's visitors asked for
	 * most in the last 7 days, {"path": hits, ...} (0026_popularity.sql,
	 * as its agents report them); "": a warm task. */
	const char *popular;
	unsigned max_urls; /* in a job, as the website's plan says */
	/* A page to render too (0023_render.sql): its job's or website's
	 * render, for a warm task that is neither an asset nor an ESI
	 * fragment; and the hosts besides base_url's that it may pull
	 * assets from, space separated. */
	int render;
	const char *asset_hosts;
	unsigned attempts; /* this one included */
	void *priv; /* the caller's */
	struct tq_task *next, *prev; /* the queue's */
};

/* What one fetch of a task found: a page_results row. */
struct tq_page {
	const char *node; /* NULL: fetched from the URL itself */
	long status; /* 0: no answer */
	double load_ms, ttfb_ms; /* < 0: unknown */
	const char *cache_status; /* "hit", "miss", NULL */
	enum warm_outcome outcome;
	const char *reason; /* why, for anything but cached and fresh */
	double ttl; /* seconds in cache; < 0: unknown */
	const char *timings; /* a rendered page's, as JSON; or NULL */
	/* The answer's headers kept (fetch/fetch_kept.h), as JSON; or
	 * NULL */
	const char *headers;
};

struct tq_stats {
	uint64_t claimed;
	uint64_t completed; /* written back, done or failed */
	uint64_t lost; /* completed, but the lease was no longer ours */
	uint64_t released;
	uint64_t renewed;
	uint64_t write_errors;
};

/* tasks: valid during the call; the tasks themselves stay valid. */
typedef void
tq_claimed_f(void *priv, struct tq_task **tasks, unsigned n, const char *err);
/* queued: some task waits unclaimed; lease_in: seconds until the next
 * lease runs out, < 0 if none is held. */
typedef void
tq_outlook_f(void *priv, int queued, double lease_in, const char *err);
typedef void tq_flushed_f(void *priv);

/* owner names this worker in lease_owner; lease in seconds. */
struct task_queue *tq_new(struct event_base *, struct pg_pool *,
    const char *owner, double lease, unsigned batch);
/* Leases still held are left to run out.  Free the pool first. */
void tq_free(struct task_queue **);

/* Claim up to max tasks; -1 while a claim is in flight. */
int tq_claim(struct task_queue *, unsigned max, tq_claimed_f *, void *priv);
/* ok: the task is done, else failed.  The pages are copied. */
void tq_complete(struct task_queue *, struct tq_task *, int ok,
    const struct tq_page *, unsigned npage);
/* A URL a sitemap task found, to warm in each of its variants. */
struct tq_url {
	const char *url;
	double priority; /* claimed highest first */
	int fragment; /* an ESI fragment of a page of the job */
};

/* What came of a sitemap task's end. */
struct tq_expanded {
	int ours; /* the task was still leased by this worker */
	int open; /* its job was still queued or running, and got this: */
	unsigned queued; /* warm tasks made (a URL once per variant) */
};
/* What a sitemap task found out about the site, for its job. */
struct tq_detected {
	const char *json; /* the job's detected (0022_shopware.sql) */
	/* The variants to warm each URL in, in place of the task's; none:
	 * the task's. */
	const char *const *variant;
	unsigned nvariant;
};

/* x NULL (err): not known whether it took; the lease decides. */
typedef void
tq_expanded_f(void *priv, const struct tq_expanded *x, const char *err);
/*
 * End a sitemap task: its job gets the URLs, each once per variant the
 * task was made with (or d's), notes (may be NULL) for its owner and
 * what was detected (d, may be NULL); or, with
 * error, fails with it and gets none.  One statement, which changes
 * nothing unless the task is still ours and the job still open (a job
 * cancelled meanwhile stays so, with nothing queued).  The task is the
 * queue's no more once cb is called.
 */
void tq_expand(struct task_queue *, struct tq_task *, const struct tq_url *,
    unsigned nurl, const char *error, const char *notes,
    const struct tq_detected *d, tq_expanded_f *cb, void *priv);
/* What came of a page's assets (valid during the call). */
struct tq_assets_done {
	unsigned queued; /* an URL already in the job in that variant is
	                  * not queued again */
	unsigned cut; /* new to the job, not queued: the plan's warm
	               * requests of today are spent */
	const char *note; /* why, when cut; else NULL */
};
/* err: none queued (d says nothing). */
typedef void
tq_assets_f(void *priv, const struct tq_assets_done *d, const char *err);
/*
 * Queue what a rendered page (a warm task still held) pulled in, as
 * warm tasks of its job in its variant, for the workers, each marked
 * asset_of the page; the job's total raised by as many, in the same
 * statement, before the page is completed: the job cannot end before
 * its assets.  As a new job's URLs are, the assets are cut to what is
 * left of the plan's warm requests of today, the first the page asked
 * for kept.  Nothing is queued for a task no longer ours, or a job no
 * longer open.  The URLs are copied.
 */
void tq_assets(struct task_queue *, struct tq_task *, const char *const *urls,
    unsigned n, tq_assets_f *, void *priv);
/* Give an unstarted task back to the queue for anyone to claim. */
void tq_release(struct task_queue *, struct tq_task *);
/* Write what is pending now; cb (if any) once nothing is. */
void tq_flush(struct task_queue *, tq_flushed_f *, void *priv);
/* Tasks claimed and not yet written back. */
unsigned tq_held(const struct task_queue *);
/* Is anything left for anyone, and when does a lease next run out. */
void tq_outlook(struct task_queue *, tq_outlook_f *, void *priv);
void tq_stats(const struct task_queue *, struct tq_stats *);

#endif
