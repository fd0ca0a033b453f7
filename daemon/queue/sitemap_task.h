/*
 * A sitemap task of the queue (task_queue.h TQ_SITEMAP): a tenant's
 * sitemap read by a worker on its loop with the crawler of sitemap/
 * (robots.txt, indexes, gzip, redirects to the same host), and its URLs
 * queued as the job's warm tasks, once per variant, in one statement
 * (tq_expand).  Only URLs on the website's host are kept, each once, at
 * most the plan's max_urls_per_job of them, the most valuable by the
 * sitemap's priority and lastmod (sitemap_value()), each queued with
 * that priority; what was left out is said in the job's notes.  A
 * sitemap that cannot be read fails the job with why.
 *
 * A crawl job's task, and a sitemap job's on a site that has no sitemap
 * at all, crawls the site's pages instead (site_crawl.h), with the
 * job's settings (0019_crawl.sql) within the plan's cap, and queues the
 * pages it read, the shallowest first, and their ESI fragments, marked
 * as such.
 *
 * The fetcher must be one of tenants' fetches (fetcher_check_addresses):
 * a tenant's sitemap URL, and whatever its robots.txt and indexes name,
 * is fetched from the tenant's host, never from the operator's network.
 */

#ifndef STOKE_SITEMAP_TASK_H
#define STOKE_SITEMAP_TASK_H

struct event_base;
struct fetcher;
struct sitemap_task;
struct task_queue;
struct tq_task;

/* Once taken up so often, the task's worker died reading it each time. */
#define SITEMAP_TASK_TRIES 3

/* The task has ended: written back, given back or left to its lease.
 * Free it from here or later. */
typedef void sitemap_task_end_f(void *priv, struct sitemap_task *);

/* Begun from the loop: end is never called from in here. */
struct sitemap_task *sitemap_task_start(struct event_base *, struct fetcher *,
    struct task_queue *, struct tq_task *, sitemap_task_end_f *, void *priv);
/*
 * Read no more and give the task back for another worker; end is
 * called, now or once its end is written if that had begun.
 */
void sitemap_task_stop(struct sitemap_task *);
/* Call nothing any more (the queue and the fetcher are going). */
void sitemap_task_close(struct sitemap_task *);
void sitemap_task_free(struct sitemap_task **);

#endif
