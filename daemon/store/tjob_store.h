/*
 * A website's warm jobs and their results, for the tenants' API, in
 * PostgreSQL and bound to the caller as website_store.h's statements
 * are: a job of a website whose project the caller is not a member of
 * is AS_NOT_FOUND; a viewer reads, an admin or an owner creates and
 * cancels (else AS_FORBIDDEN).  The CLI's jobs are job_store.h's; the
 * tasks of a job are queued with tq_enqueue() (task_queue.h), which the
 * API calls between tj_create() and its answer.
 *
 * A job is JSON with the table's column names: {"id", "website_id",
 * "status", "trigger", "source", "urls_total", "urls_completed",
 * "urls_failed", "error", "created_at", "started_at", "finished_at",
 * "notes", "detected", "render" (null: the website's)},
 * and while it runs "rate" (URLs finished a second since it started)
 * and "eta_seconds" (what is left at that rate), else null.
 *
 * Each function: 0, and cb called once from the loop; or -1 with *err,
 * and it will not be.
 */

#ifndef STOKE_TJOB_STORE_H
#define STOKE_TJOB_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

/* What a job is made from: {"base_url", "sitemap_url", "variants",
 * "role", "max_urls_per_job", "plan"} of a website the caller is a
 * member of ("plan" its name). */
int tj_website(struct pg_pool *, int64_t user, int64_t website, as_done_f *,
    void *, const char **err);
/*
 * An empty job (trigger manual, source "urls") of nurls URLs in
 * nvariant variants, the caller's role and the plan checked again:
 * AS_FORBIDDEN, AS_PLAN_LIMIT (nurls over the plan's max_urls_per_job;
 * or none of the day's warm requests left for even one URL).  The job
 * made, and "urls_today": how many of the URLs, the first, the day's
 * warm requests leave room for (the job's notes say the rest was cut).
 */
int tj_create(struct pg_pool *, int64_t user, int64_t website, unsigned nurls,
    unsigned nvariant, int render, as_done_f *, void *, const char **err);
/*
 * A job of the website's sitemap (source "sitemap"), the caller's role
 * checked again: queued with one task of its own, which a worker takes
 * up to read the sitemap from start (a sitemap, a robots.txt or the
 * site's root) and queue each URL it lists once per variant (as the
 * index writes them; "" the plain one).  crawl: the crawl's settings
 * as JSON (0019_crawl.sql), or NULL; with "force": true, a job of
 * source "crawl" that crawls the site from start rather than read its
 * sitemap.  The job made; AS_PLAN_LIMIT while the day's warm requests
 * are all made or queued.
 *
 * render (either job): 1, its pages are rendered too (0023_render.sql);
 * 0, they are not; -1, as its website says when they are warmed.
 */
int tj_create_sitemap(struct pg_pool *, int64_t user, int64_t website,
    const char *start, const char *const *variants, unsigned nvariant,
    const char *crawl, int render, as_done_f *, void *, const char **err);
/* {"jobs": [job, ...], "next_before": id or null}, newest first, those
 * below before (0: from the newest), at most limit. */
int tj_list(struct pg_pool *, int64_t user, int64_t website, int64_t before,
    unsigned limit, as_done_f *, void *, const char **err);
int tj_get(struct pg_pool *, int64_t user, int64_t job, as_done_f *, void *,
    const char **err);
/* The job ends cancelled and its queued tasks go, in one statement:
 * what a worker holds finishes and is recorded.  AS_CONFLICT: the job
 * had ended already.  The job after. */
int tj_cancel(struct pg_pool *, int64_t user, int64_t job, as_done_f *, void *,
    const char **err);

/*--------------------------------------------------------------------
 * Results: the job's page_results rows
 */

enum tj_sort {
	TJ_SORT_ID,
	TJ_SORT_TTFB, /* ttfb_ms; unknown last (ascending) */
	TJ_SORT_LOAD, /* load_ms; unknown last (ascending) */
	TJ_SORT_URL,
	TJ_SORT__MAX
};

extern const char *const tj_sort_name[TJ_SORT__MAX];

struct tj_query {
	enum tj_sort sort;
	int desc;
	/* Filters; NULL: any.  outcome must be a warm_outcome's name,
	 * status a number; url is a substring, taken literally; fragment
	 * "true" (ESI fragments only) or "false" (pages only). */
	const char *outcome, *cache_status, *status, *url, *fragment;
	/* After the row of this sort key and id (as the last answer's
	 * cursor says them); key NULL: from the first. */
	const char *after_key;
	int64_t after_id;
	unsigned limit;
};

/*
 * {"results": [{"id", "url", "variant", "node", "status", "load_ms",
 * "ttfb_ms", "cache_status", "outcome", "reason", "ttl",
 * "recorded_at", "fragment", "asset_of", "timings"}, ...], "next_cursor": cursor or null}: the answer of
 * GET /api/jobs/:id/results as it is.  The cursor of the page after is
 * base64url without padding of "SORT ORDER ID KEY": the sort's name
 * (tj_sort_name), "asc" or "desc", then the last row's id and sort key
 * as text, the key last since a URL may hold anything.  A key that is
 * not of the sort's type is AS_ERROR.
 */
int tj_results(struct pg_pool *, int64_t user, int64_t job,
    const struct tj_query *, as_done_f *, void *, const char **err);

#endif
