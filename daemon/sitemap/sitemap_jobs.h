/*
 * The warm jobs stoked runs itself: a site warmed from its sitemaps
 * through every Varnish node stoked re-warms through, on request (the
 * API) or on a schedule.  Jobs share the daemon's origin guard with
 * re-warming, so together they never push an origin harder than it
 * allows.  The last SJ_KEEP jobs are remembered, with their failures.
 */

#ifndef STOKE_SITEMAP_JOBS_H
#define STOKE_SITEMAP_JOBS_H

#include <stddef.h>

#include "warm/warm_batch.h"

struct event_base;
struct origin_guard;
struct sitemap_jobs;
struct sj_info;

#define SJ_KEEP 50
#define SJ_FAILURES 20

enum sj_event { SJ_STARTED, SJ_RESULT, SJ_ENDED };
/*
 * Told of each job's start, each of its results (r, else NULL) and its
 * end, to keep a record of them; not of the end of jobs still running
 * when the table is freed.
 */
typedef void sj_watch_f(void *priv, enum sj_event, const struct sj_info *,
    const struct wb_result *r);

struct sj_conf {
	const char *nodes[WB_MAX_NODES];
	struct warm_verify *verify[WB_MAX_NODES]; /* each node's log */
	unsigned nnode;
	const char *key; /* for refresh jobs; may be empty */
	size_t keylen;
	unsigned concurrency; /* per job */
	unsigned max_running; /* jobs at once */
	sj_watch_f *watch; /* or NULL */
	void *watch_priv;
};

enum sj_state { SJ_LISTING, SJ_WARMING, SJ_DONE, SJ_STOPPED };

struct sj_failure {
	char url[512];
	enum warm_outcome outcome;
	long status;
	char reason[160];
};

struct sj_info {
	unsigned id;
	const char *sitemap;
	const char *trigger; /* sj_start()'s */
	unsigned refresh;
	enum sj_state state;
	double created, finished; /* finished 0: not yet */
	struct wb_progress progress;
	unsigned sitemaps, sitemaps_failed;
	size_t urls_rejected;
	const char *error; /* the first sitemap error, or NULL */
	unsigned nfailure;
	const struct sj_failure *failure;
};

struct sitemap_jobs *
sj_new(struct event_base *, struct origin_guard *, const struct sj_conf *);
void sj_free(struct sitemap_jobs **);
/*
 * Starts warming the site or sitemap at url (refresh: signed requests,
 * everything fetched anew); trigger says why ("manual", "schedule"), a
 * static string.  Returns the job's id, or 0 with why.
 */
unsigned sj_start(struct sitemap_jobs *, const char *url, unsigned refresh,
    const char *trigger, char *why, size_t whylen);
/* 0, or -1 if no such job is remembered. */
int sj_info(const struct sitemap_jobs *, unsigned id, struct sj_info *);
typedef void sj_each_f(void *priv, const struct sj_info *);
/* Newest first. */
void sj_foreach(const struct sitemap_jobs *, sj_each_f *, void *priv);
const char *sj_state_name(enum sj_state);

#endif
