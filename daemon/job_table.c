/*
 * Each job has a fetcher of its own (so that freeing one stops just its
 * requests) guarded by the daemon's one origin guard.  Its sitemap crawl
 * fetches through the first node, like its pages: stoked fetches from
 * the Varnish nodes it was given and from nowhere else, whatever URL a
 * caller names.
 */

#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vdef.h"
#include "vqueue.h"
#include "vtim.h"
#include "fetcher.h"
#include "job_table.h"
#include "sitemap_crawl.h"

struct job {
	unsigned magic;
#define JOB_MAGIC 0x70b7ab1e
	struct job_table *jt;
	unsigned id;
	char *sitemap;
	const char *trigger;
	unsigned refresh;
	enum jt_state state;
	double created, finished;
	struct fetcher *f;
	struct sitemap_crawl *crawl;
	struct warm_job *wj;
	struct wj_progress final;
	struct sc_stats crawl_stats;
	char *error;
	unsigned nfailure;
	struct jt_failure failure[JT_FAILURES];
	/* Its URLs and fetcher go once it ends, from the loop. */
	struct event *retire_ev;
	VTAILQ_ENTRY(job) list;
};

struct job_table {
	unsigned magic;
#define JOB_TABLE_MAGIC 0x70b7ab1f
	struct event_base *eb;
	struct origin_guard *guard;
	struct jt_conf conf;
	char **nodes;
	char *key;
	unsigned next_id;
	unsigned njob, running;
	VTAILQ_HEAD(jobhead, job) jobs; /* newest first */
};

#define CHECK_JT(t) assert((t) != NULL && (t)->magic == JOB_TABLE_MAGIC)
#define CHECK_JOB(j) assert((j) != NULL && (j)->magic == JOB_MAGIC)

static void fill(const struct job *, struct jt_info *);

/* Jobs get their id once started: nothing is told of one before. */
static void
tell(const struct job *j, enum jt_event e, const struct wj_result *r)
{
	struct jt_info i;

	if (j->jt->conf.watch == NULL || j->id == 0)
		return;
	fill(j, &i);
	j->jt->conf.watch(j->jt->conf.watch_priv, e, &i, r);
}

/* What is left of a finished job: its figures, not its machinery. */
static void
retire(struct job *j)
{
	if (j->wj != NULL) {
		wj_progress(j->wj, &j->final);
		wj_free(&j->wj);
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
	struct job *j = priv;

	(void)fd;
	(void)what;
	CHECK_JOB(j);
	retire(j);
}

static void
job_free(struct job *j)
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
on_result(void *priv, const struct wj_result *r)
{
	struct job *j = priv;
	struct jt_failure *f;

	CHECK_JOB(j);
	tell(j, JT_RESULT, r);
	if (r->outcome == WO_CACHED || r->outcome == WO_FRESH ||
	    j->nfailure == JT_FAILURES)
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
on_end(void *priv)
{
	struct job *j = priv;

	CHECK_JOB(j);
	j->state = JT_DONE;
	j->finished = VTIM_real();
	wj_progress(j->wj, &j->final);
	assert(j->jt->running > 0);
	j->jt->running--;
	tell(j, JT_ENDED, NULL);
	/*
	 * Not from here, deep in its own callbacks: a job's URL set can be
	 * large, so it goes as soon as the loop is back.
	 */
	event_active(j->retire_ev, EV_TIMEOUT, 0);
}

static void
on_url(void *priv, const char *url, double prio)
{
	struct job *j = priv;

	CHECK_JOB(j);
	(void)prio;
	(void)wj_add(j->wj, url);
}

static void
on_crawled(void *priv, const struct sc_stats *st, const char *err)
{
	struct job *j = priv;

	CHECK_JOB(j);
	j->crawl_stats = *st;
	if (err != NULL && j->error == NULL) {
		j->error = strdup(err);
		assert(j->error != NULL);
	}
	j->state = JT_WARMING;
	wj_close(j->wj);
}

/* Oldest finished jobs go first when there are too many. */
static void
forget(struct job_table *jt)
{
	struct job *j, *j2;

	VTAILQ_FOREACH_REVERSE_SAFE(j, &jt->jobs, jobhead, list, j2)
	{
		if (jt->njob <= JT_KEEP)
			return;
		if (j->state != JT_DONE && j->state != JT_STOPPED)
			continue;
		VTAILQ_REMOVE(&jt->jobs, j, list);
		jt->njob--;
		job_free(j);
	}
}

unsigned
jt_start(struct job_table *jt, const char *url, unsigned refresh,
    const char *trigger, char *why, size_t whylen)
{
	struct sc_conf scc;
	struct wj_conf wc;
	struct job *j, *old;
	unsigned i;

	CHECK_JT(jt);
	if (jt->conf.nnode == 0) {
		snprintf(why, whylen,
		    "no Varnish node to warm through (stoked run --node)");
		return (0);
	}
	if (refresh && jt->conf.keylen == 0) {
		snprintf(why, whylen, "a refresh job needs the secret");
		return (0);
	}
	if (jt->running >= jt->conf.max_running) {
		snprintf(why, whylen, "%u jobs running already: try later",
		    jt->running);
		return (0);
	}
	/* Finished jobs' machinery goes as soon as a new one starts. */
	VTAILQ_FOREACH(old, &jt->jobs, list)
	if (old->state == JT_DONE && old->f != NULL)
		retire(old);
	j = calloc(1, sizeof *j);
	assert(j != NULL);
	j->magic = JOB_MAGIC;
	j->jt = jt;
	j->sitemap = strdup(url);
	assert(j->sitemap != NULL);
	j->refresh = refresh;
	j->trigger = trigger;
	j->created = VTIM_real();
	j->state = JT_LISTING;
	j->f = fetcher_new(jt->eb, jt->conf.concurrency);
	j->retire_ev = evtimer_new(jt->eb, on_retire, j);
	assert(j->retire_ev != NULL);
	fetcher_set_guard(j->f, jt->guard);
	memset(&wc, 0, sizeof wc);
	for (i = 0; i < jt->conf.nnode; i++) {
		wc.nodes[i] = jt->nodes[i];
		wc.verify[i] = jt->conf.verify[i];
	}
	wc.nnode = jt->conf.nnode;
	if (refresh) {
		wc.key = jt->key;
		wc.keylen = jt->conf.keylen;
	}
	wc.concurrency = jt->conf.concurrency;
	j->wj = wj_new(j->f, &wc, on_result, on_end, j);
	memset(&scc, 0, sizeof scc);
	scc.start = url;
	scc.node = jt->nodes[0];
	jt->running++;
	j->crawl = sc_new(j->f, &scc, on_url, NULL, on_crawled, j);
	if (j->crawl == NULL) {
		snprintf(why, whylen, "not an http(s) URL: %.200s", url);
		jt->running--;
		job_free(j);
		return (0);
	}
	j->id = ++jt->next_id;
	VTAILQ_INSERT_HEAD(&jt->jobs, j, list);
	jt->njob++;
	tell(j, JT_STARTED, NULL);
	forget(jt);
	return (j->id);
}

static void
fill(const struct job *j, struct jt_info *i)
{
	memset(i, 0, sizeof *i);
	i->id = j->id;
	i->sitemap = j->sitemap;
	i->trigger = j->trigger;
	i->refresh = j->refresh;
	i->state = j->state;
	i->created = j->created;
	i->finished = j->finished;
	if (j->wj != NULL && j->state != JT_DONE)
		wj_progress(j->wj, &i->progress);
	else
		i->progress = j->final;
	if (j->crawl != NULL && j->state == JT_LISTING) {
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
jt_info(const struct job_table *jt, unsigned id, struct jt_info *i)
{
	const struct job *j;

	CHECK_JT(jt);
	VTAILQ_FOREACH(j, &jt->jobs, list)
	if (j->id == id) {
		fill(j, i);
		return (0);
	}
	return (-1);
}

void
jt_foreach(const struct job_table *jt, jt_each_f *fn, void *priv)
{
	const struct job *j;
	struct jt_info i;

	CHECK_JT(jt);
	VTAILQ_FOREACH(j, &jt->jobs, list)
	{
		fill(j, &i);
		fn(priv, &i);
	}
}

const char *
jt_state_name(enum jt_state s)
{
	switch (s) {
	case JT_LISTING:
		return ("listing");
	case JT_WARMING:
		return ("warming");
	case JT_DONE:
		return ("done");
	case JT_STOPPED:
		return ("stopped");
	}
	return ("?");
}

struct job_table *
jt_new(struct event_base *eb, struct origin_guard *guard,
    const struct jt_conf *c)
{
	struct job_table *jt;
	unsigned i;

	assert(eb != NULL && guard != NULL && c != NULL);
	assert(c->nnode <= WJ_MAX_NODES);
	jt = calloc(1, sizeof *jt);
	assert(jt != NULL);
	jt->magic = JOB_TABLE_MAGIC;
	jt->eb = eb;
	jt->guard = guard;
	jt->conf = *c;
	if (jt->conf.concurrency == 0)
		jt->conf.concurrency = 8;
	if (jt->conf.max_running == 0)
		jt->conf.max_running = 4;
	jt->nodes = calloc(c->nnode + 1, sizeof *jt->nodes);
	assert(jt->nodes != NULL);
	for (i = 0; i < c->nnode; i++) {
		jt->nodes[i] = strdup(c->nodes[i]);
		assert(jt->nodes[i] != NULL);
	}
	jt->key = malloc(c->keylen + 1);
	assert(jt->key != NULL);
	if (c->keylen > 0)
		memcpy(jt->key, c->key, c->keylen);
	jt->key[c->keylen] = '\0';
	VTAILQ_INIT(&jt->jobs);
	return (jt);
}

void
jt_free(struct job_table **jtp)
{
	struct job_table *jt;
	struct job *j;
	unsigned i;

	assert(jtp != NULL);
	jt = *jtp;
	*jtp = NULL;
	if (jt == NULL)
		return;
	CHECK_JT(jt);
	while ((j = VTAILQ_FIRST(&jt->jobs)) != NULL) {
		VTAILQ_REMOVE(&jt->jobs, j, list);
		job_free(j);
	}
	for (i = 0; i < jt->conf.nnode; i++)
		free(jt->nodes[i]);
	free(jt->nodes);
	memset(jt->key, 0, jt->conf.keylen);
	free(jt->key);
	jt->magic = 0;
	free(jt);
}
