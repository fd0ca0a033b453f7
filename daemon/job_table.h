/*
 * The warm jobs stoked runs itself: a site warmed from its sitemaps
 * through every Varnish node stoked re-warms through, on request (the
 * API) or on a schedule.  Jobs share the daemon's origin guard with
 * re-warming, so together they never push an origin harder than it
 * allows.  The last JT_KEEP jobs are remembered, with their failures.
 */

#ifndef STOKE_JOB_TABLE_H
#define STOKE_JOB_TABLE_H

#include <stddef.h>

#include "warm_job.h"

struct event_base;
struct origin_guard;
struct job_table;
struct jt_info;

#define JT_KEEP 50
#define JT_FAILURES 20

enum jt_event { JT_STARTED, JT_RESULT, JT_ENDED };
/*
 * Told of each job's start, each of its results (r, else NULL) and its
 * end, to keep a record of them; not of the end of jobs still running
 * when the table is freed.
 */
typedef void jt_watch_f(void *priv, enum jt_event, const struct jt_info *,
    const struct wj_result *r);

struct jt_conf {
	const char *nodes[WJ_MAX_NODES];
	struct warm_verify *verify[WJ_MAX_NODES]; /* each node's log */
	unsigned nnode;
	const char *key; /* for refresh jobs; may be empty */
	size_t keylen;
	unsigned concurrency; /* per job */
	unsigned max_running; /* jobs at once */
	jt_watch_f *watch; /* or NULL */
	void *watch_priv;
};

enum jt_state { JT_LISTING, JT_WARMING, JT_DONE, JT_STOPPED };

struct jt_failure {
	char url[512];
	enum wj_outcome outcome;
	long status;
	char reason[160];
};

struct jt_info {
	unsigned id;
	const char *sitemap;
	const char *trigger; /* jt_start()'s */
	unsigned refresh;
	enum jt_state state;
	double created, finished; /* finished 0: not yet */
	struct wj_progress progress;
	unsigned sitemaps, sitemaps_failed;
	size_t urls_rejected;
	const char *error; /* the first sitemap error, or NULL */
	unsigned nfailure;
	const struct jt_failure *failure;
};

struct job_table *
jt_new(struct event_base *, struct origin_guard *, const struct jt_conf *);
void jt_free(struct job_table **);
/*
 * Starts warming the site or sitemap at url (refresh: signed requests,
 * everything fetched anew); trigger says why ("manual", "schedule"), a
 * static string.  Returns the job's id, or 0 with why.
 */
unsigned jt_start(struct job_table *, const char *url, unsigned refresh,
    const char *trigger, char *why, size_t whylen);
/* 0, or -1 if no such job is remembered. */
int jt_info(const struct job_table *, unsigned id, struct jt_info *);
typedef void jt_each_f(void *priv, const struct jt_info *);
/* Newest first. */
void jt_foreach(const struct job_table *, jt_each_f *, void *priv);
const char *jt_state_name(enum jt_state);

#endif
