/*
 * Each job has a fetcher of its own (so that freeing one stops just its
 * requests) guarded by the daemon's one origin guard.  Its sitemap crawl
 * fetches through the first node, like its pages: stoked fetches from
 * the Varnish nodes it was given and from nowhere else, whatever URL a
 * caller names.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "fetch/fetcher.h"
#include "sitemap_crawl.h"
#include "sitemap_jobs.h"

struct job {
	unsigned magic;
#define JOB_MAGIC 0x70b7ab1e
	struct sitemap_jobs *sj;
	unsigned id;
	char *sitemap;
	const char *trigger;
	unsigned refresh;
	enum sj_state state;
	double created, finished;
	struct fetcher *f;
	struct sitemap_crawl *crawl;
	struct warm_batch *wb;
	struct wb_progress final;
	struct sc_stats crawl_stats;
	char *error;
	unsigned nfailure;
	struct sj_failure failure[SJ_FAILURES];
	/* Its URLs and fetcher go once it ends, from the loop. */
	struct event *retire_ev;
	VTAILQ_ENTRY(job) list;
};

struct sitemap_jobs {
	unsigned magic;
#define JOB_TABLE_MAGIC 0x70b7ab1f
	struct event_base *eb;
	struct origin_guard *guard;
	struct sj_conf conf;
	char **nodes;
	char *key;
	unsigned next_id;
	unsigned njob, running;
	VTAILQ_HEAD(jobhead, job) jobs; /* newest first */
};

static void sj_fill(const struct job *, struct sj_info *);

/* Jobs get their id once started: nothing is told of one before. */
static void
tell(const struct job *j, enum sj_event e, const struct wb_result *r)
{
	struct sj_info i;

	if (j->sj->conf.watch == NULL || j->id == 0)
		return;
	sj_fill(j, &i);
	j->sj->conf.watch(j->sj->conf.watch_priv, e, &i, r);
}

/* What is left of a finished job: its figures, not its machinery. */
static void
retire(struct job *j)
{
	if (j->wb != NULL) {
		wb_progress(j->wb, &j->final);
		wb_free(&j->wb);
	}
	if (j->crawl != NULL) {
		j->crawl_stats = *sc_stats(j->crawl);
		sc_free(&j->crawl);
	}
	fetcher_free(&j->f);
}

static void
on_retire(evutil_socket_t fd, short what, void *priv)
{
	struct job *j;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(j, priv, JOB_MAGIC);
	retire(j);
}

static void
sj_job_free(struct job *j)
{
	if (j->retire_ev != NULL)
		event_free(j->retire_ev);
	retire(j);
	free(j->sitemap);
	free(j->error);
	j->magic = 0;
	free(j);
}

static void
on_result(void *priv, const struct wb_result *r)
{
	struct job *j;
	struct sj_failure *f;

	CAST_OBJ_NOTNULL(j, priv, JOB_MAGIC);
	tell(j, SJ_RESULT, r);
	if (r->outcome == WO_CACHED || r->outcome == WO_FRESH ||
	    j->nfailure == SJ_FAILURES)
		return;
	f = &j->failure[j->nfailure++];
	snprintf(f->url, sizeof f->url, "%s", r->url);
	f->outcome = r->outcome;
	f->status = r->status;
	snprintf(f->reason, sizeof f->reason, "%s",
	    r->reason != NULL ? r->reason : "");
}

/* The warm job's end callback; it is not freed from inside itself. */
static void
sj_on_end(void *priv)
{
	struct job *j;

	CAST_OBJ_NOTNULL(j, priv, JOB_MAGIC);
	j->state = SJ_DONE;
	j->finished = VTIM_real();
	wb_progress(j->wb, &j->final);
	assert(j->sj->running > 0);
	j->sj->running--;
	tell(j, SJ_ENDED, NULL);
	/*
	 * Not from here, deep in its own callbacks: a job's URL set can be
	 * large, so it goes as soon as the loop is back.
	 */
	event_active(j->retire_ev, EV_TIMEOUT, 0);
}

static void
on_url(void *priv, const char *url, double prio)
{
	struct job *j;

	CAST_OBJ_NOTNULL(j, priv, JOB_MAGIC);
	(void)prio;
	(void)wb_add(j->wb, url);
}

static void
on_crawled(void *priv, const struct sc_stats *st, const char *err)
{
	struct job *j;

	CAST_OBJ_NOTNULL(j, priv, JOB_MAGIC);
	j->crawl_stats = *st;
	if (err != NULL && j->error == NULL) {
		j->error = strdup(err);
		AN(j->error);
	}
	j->state = SJ_WARMING;
	wb_close(j->wb);
}

/* Oldest finished jobs go first when there are too many. */
static void
forget(struct sitemap_jobs *sj)
{
	struct job *j, *j2;

	VTAILQ_FOREACH_REVERSE_SAFE(j, &sj->jobs, jobhead, list, j2)
	{
		if (sj->njob <= SJ_KEEP)
			return;
		if (j->state != SJ_DONE && j->state != SJ_STOPPED)
			continue;
		VTAILQ_REMOVE(&sj->jobs, j, list);
		sj->njob--;
		sj_job_free(j);
	}
}

unsigned
sj_start(struct sitemap_jobs *sj, const char *url, unsigned refresh,
    const char *trigger, char *why, size_t whylen)
{
	struct sc_conf scc;
	struct wb_conf wc;
	struct job *j, *old;
	unsigned i;

	CHECK_OBJ_NOTNULL(sj, JOB_TABLE_MAGIC);
	if (sj->conf.nnode == 0) {
		snprintf(why, whylen,
		    "no Varnish node to warm through (stoked run --node)");
		return (0);
	}
	if (refresh && sj->conf.keylen == 0) {
		snprintf(why, whylen, "a refresh job needs the secret");
		return (0);
	}
	if (sj->running >= sj->conf.max_running) {
		snprintf(why, whylen, "%u jobs running already: try later",
		    sj->running);
		return (0);
	}
	/* Finished jobs' machinery goes as soon as a new one starts. */
	VTAILQ_FOREACH(old, &sj->jobs, list)
	if (old->state == SJ_DONE && old->f != NULL)
		retire(old);
	j = calloc(1, sizeof *j);
	AN(j);
	j->magic = JOB_MAGIC;
	j->sj = sj;
	j->sitemap = strdup(url);
	AN(j->sitemap);
	j->refresh = refresh;
	j->trigger = trigger;
	j->created = VTIM_real();
	j->state = SJ_LISTING;
	j->f = fetcher_new(sj->eb, sj->conf.concurrency);
	j->retire_ev = evtimer_new(sj->eb, on_retire, j);
	AN(j->retire_ev);
	fetcher_set_guard(j->f, sj->guard);
	memset(&wc, 0, sizeof wc);
	for (i = 0; i < sj->conf.nnode; i++) {
		wc.nodes[i] = sj->nodes[i];
		wc.verify[i] = sj->conf.verify[i];
	}
	wc.nnode = sj->conf.nnode;
	if (refresh) {
		wc.key = sj->key;
		wc.keylen = sj->conf.keylen;
	}
	wc.concurrency = sj->conf.concurrency;
	j->wb = wb_new(j->f, &wc, on_result, sj_on_end, j);
	memset(&scc, 0, sizeof scc);
	scc.start = url;
	scc.node = sj->nodes[0];
	sj->running++;
	j->crawl = sc_new(j->f, &scc, on_url, NULL, on_crawled, j);
	if (j->crawl == NULL) {
		snprintf(why, whylen, "not an http(s) URL: %.200s", url);
		sj->running--;
		sj_job_free(j);
		return (0);
	}
	j->id = ++sj->next_id;
	VTAILQ_INSERT_HEAD(&sj->jobs, j, list);
	sj->njob++;
	tell(j, SJ_STARTED, NULL);
	forget(sj);
	return (j->id);
}

static void
sj_fill(const struct job *j, struct sj_info *i)
{
	memset(i, 0, sizeof *i);
	i->id = j->id;
	i->sitemap = j->sitemap;
	i->trigger = j->trigger;
	i->refresh = j->refresh;
	i->state = j->state;
	i->created = j->created;
	i->finished = j->finished;
	if (j->wb != NULL && j->state != SJ_DONE)
		wb_progress(j->wb, &i->progress);
	else
		i->progress = j->final;
	if (j->crawl != NULL && j->state == SJ_LISTING) {
		i->sitemaps = sc_stats(j->crawl)->sitemaps;
		i->sitemaps_failed = sc_stats(j->crawl)->failed;
		i->urls_rejected = sc_stats(j->crawl)->rejected;
	} else {
		i->sitemaps = j->crawl_stats.sitemaps;
		i->sitemaps_failed = j->crawl_stats.failed;
		i->urls_rejected = j->crawl_stats.rejected;
	}
	i->error = j->error;
	i->nfailure = j->nfailure;
	i->failure = j->failure;
}

int
sj_info(const struct sitemap_jobs *sj, unsigned id, struct sj_info *i)
{
	const struct job *j;

	CHECK_OBJ_NOTNULL(sj, JOB_TABLE_MAGIC);
	VTAILQ_FOREACH(j, &sj->jobs, list)
	if (j->id == id) {
		sj_fill(j, i);
		return (0);
	}
	return (-1);
}

void
sj_foreach(const struct sitemap_jobs *sj, sj_each_f *fn, void *priv)
{
	const struct job *j;
	struct sj_info i;

	CHECK_OBJ_NOTNULL(sj, JOB_TABLE_MAGIC);
	VTAILQ_FOREACH(j, &sj->jobs, list)
	{
		sj_fill(j, &i);
		fn(priv, &i);
	}
}

const char *
sj_state_name(enum sj_state s)
{
	switch (s) {
	case SJ_LISTING:
		return ("listing");
	case SJ_WARMING:
		return ("warming");
	case SJ_DONE:
		return ("done");
	case SJ_STOPPED:
		return ("stopped");
	}
	return ("?");
}

struct sitemap_jobs *
sj_new(struct event_base *eb, struct origin_guard *guard,
    const struct sj_conf *c)
{
	struct sitemap_jobs *sj;
	unsigned i;

	AN(eb);
	AN(guard);
	AN(c);
	assert(c->nnode <= WB_MAX_NODES);
	sj = calloc(1, sizeof *sj);
	AN(sj);
	sj->magic = JOB_TABLE_MAGIC;
	sj->eb = eb;
	sj->guard = guard;
	sj->conf = *c;
	if (sj->conf.concurrency == 0)
		sj->conf.concurrency = 8;
	if (sj->conf.max_running == 0)
		sj->conf.max_running = 4;
	sj->nodes = calloc(c->nnode + 1, sizeof *sj->nodes);
	AN(sj->nodes);
	for (i = 0; i < c->nnode; i++) {
		sj->nodes[i] = strdup(c->nodes[i]);
		AN(sj->nodes[i]);
	}
	sj->key = malloc(c->keylen + 1);
	AN(sj->key);
	if (c->keylen > 0)
		memcpy(sj->key, c->key, c->keylen);
	sj->key[c->keylen] = '\0';
	VTAILQ_INIT(&sj->jobs);
	return (sj);
}

void
sj_free(struct sitemap_jobs **sjp)
{
	struct sitemap_jobs *sj;
	struct job *j;
	unsigned i;

	AN(sjp);
	sj = *sjp;
	*sjp = NULL;
	if (sj == NULL)
		return;
	CHECK_OBJ_NOTNULL(sj, JOB_TABLE_MAGIC);
	while ((j = VTAILQ_FIRST(&sj->jobs)) != NULL) {
		VTAILQ_REMOVE(&sj->jobs, j, list);
		sj_job_free(j);
	}
	for (i = 0; i < sj->conf.nnode; i++)
		free(sj->nodes[i]);
	free(sj->nodes);
	memset(sj->key, 0, sj->conf.keylen);
	free(sj->key);
	sj->magic = 0;
	free(sj);
}
