/*
 * A queue worker: claims warm tasks from the job queue, fetches each
 * through the Varnish nodes (signed warm requests when it has the
 * secret), in its variant, and completes them with what each fetch
 * found, judged as every warm request is (warm_verdict.h).  It keeps at
 * most `concurrency` fetches in flight and about one claim batch in hand;
 * when the queue is empty it waits for a NOTIFY, or polls.  A sitemap
 * task is read beside the fetches (sitemap_task.h), with a fetcher of
 * its own that judges the addresses of tenants' hosts.  A page of a
 * website or job in render mode is then loaded in headless Chromium too
 * (render/render_pool.h), and what it pulled in queued as tasks of its
 * job, before the page's task is completed.
 */

#ifndef STOKE_WORKER_H
#define STOKE_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "render/render_pool.h"
#include "warm/warm_verdict.h"

struct event_base;
struct fetcher;
struct task_queue;
struct worker;

#define WORKER_MAX_NODES 32

struct worker_cfg {
	const char *nodes[WORKER_MAX_NODES]; /* none: the website's */
	unsigned nnode;
	const char *key; /* the warm secret, or NULL: unsigned requests */
	size_t keylen;
	/* Where each variant dimension comes from, as a dims record says
	 * (variant_replay.h); NULL: none known, only Vary replayed. */
	const char *dims;
	unsigned concurrency; /* fetches in flight */
	unsigned batch; /* tasks per claim */
	double timeout; /* seconds per fetch */
	double poll; /* seconds between claims while the queue is empty */
	int exit_when_idle; /* end once no task is left for anyone */
	/* The website's nodes (and URLs fetched straight) may be loopback
	 * or private addresses; never link-local or metadata ones. */
	int allow_private;
	/* A task to render (tq_task.render) is rendered by a pool made
	 * with this (started with the first such task), through its first
	 * node, once its fetches ended: what the page pulled in is queued
	 * as assets of its job (tq_assets), its timings kept with the
	 * result of that node.  render_timeout: seconds a page may take. */
	struct render_pool_conf render;
	double render_timeout;
};

struct worker_stats {
	uint64_t tasks, tasks_failed;
	uint64_t fetches, fetches_failed;
	uint64_t retried; /* fetches tried again after a failure */
	uint64_t outcome[WO__MAX]; /* of the fetches */
	uint64_t claims, claim_errors;
	uint64_t sitemaps; /* sitemap tasks ended, given back or lost */
	uint64_t rendered, render_failed; /* pages */
	uint64_t assets; /* queued by rendered pages */
};

/* The worker is done: stopped and written back, or idle for good. */
typedef void worker_end_f(void *priv);

/* sitemaps: for sitemap tasks, fetcher_check_addresses()'d. */
struct worker *worker_new(struct event_base *, struct task_queue *,
    struct fetcher *, struct fetcher *sitemaps, const struct worker_cfg *,
    worker_end_f *, void *priv);
void worker_start(struct worker *);
/* Tasks may be claimable (a NOTIFY came). */
void worker_wake(struct worker *);
/*
 * Claim no more, give back the tasks not started, finish the fetches in
 * flight and write everything back; then end.  Gives up waiting after
 * a fetch timeout and a little more: leases left run out by themselves.
 */
void worker_stop(struct worker *);
/* Start nothing any more: before freeing the fetcher and the pool. */
void worker_close(struct worker *);
void worker_free(struct worker **);
void worker_stats(const struct worker *, struct worker_stats *);

#endif
