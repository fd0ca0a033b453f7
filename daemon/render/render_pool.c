/*
 * The pool: a fixed array of browser slots, a queue of pages waiting.
 * Everything that starts or stops a browser runs from the pool's own
 * event (pump), never from a browser's callbacks: a browser is freed
 * only there, once no page of its is left.
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

#include "core/log.h"
#include "render_pool.h"

#define RPOOL_MAX_BROWSERS 16

/* A page waiting or rendering. */
struct rpool_job {
	unsigned magic;
#define RPOOL_JOB_MAGIC 0x2c0f7a21
	struct render_pool *pool;
	struct rpool_browser *b; /* NULL: waiting */
	struct render_page *page;
	struct render_req rq; /* its strings our own */
	render_done_f *done;
	void *priv;
	VTAILQ_ENTRY(rpool_job) list;
};

struct rpool_browser {
	unsigned magic;
#define RPOOL_BROWSER_MAGIC 0x2c0f7a22
	struct render_pool *pool;
	struct cdp_pipe *cdp;
	unsigned running, served;
	int ready; /* it answered: pages may start */
	int retiring; /* no new page: restarted once its pages end */
	VTAILQ_HEAD(, rpool_job) jobs;
};

struct render_pool {
	unsigned magic;
#define RENDER_POOL_MAGIC 0x2c0f7a23
	struct event_base *eb;
	struct fetcher *f;
	struct render_pool_conf cf;
	struct rpool_browser *b[RPOOL_MAX_BROWSERS];
	VTAILQ_HEAD(, rpool_job) waiting;
	unsigned nwaiting;
	struct event *kick;
	struct render_pool_stats st;
};

static void
rpool_kick(struct render_pool *p)
{
	event_active(p->kick, EV_TIMEOUT, 0);
}

/*--------------------------------------------------------------------
 * Requests, copied
 */

static char *
rpool_dup(const char *s)
{
	char *d;

	if (s == NULL)
		return (NULL);
	d = strdup(s);
	AN(d);
	return (d);
}

static void
rpool_rq_copy(struct render_req *to, const struct render_req *from)
{
	unsigned u;

	*to = *from;
	to->url = rpool_dup(from->url);
	to->node = rpool_dup(from->node);
	for (u = 0; u < from->nhost; u++)
		to->hosts[u] = rpool_dup(from->hosts[u]);
	for (u = 0; u < from->nhdr; u++)
		to->hdrs[u] = rpool_dup(from->hdrs[u]);
}

static void
rpool_job_free(struct rpool_job *j)
{
	unsigned u;

	if (j->page != NULL)
		render_page_free(&j->page);
	free((void *)(uintptr_t)j->rq.url);
	free((void *)(uintptr_t)j->rq.node);
	for (u = 0; u < j->rq.nhost; u++)
		free((void *)(uintptr_t)j->rq.hosts[u]);
	for (u = 0; u < j->rq.nhdr; u++)
		free((void *)(uintptr_t)j->rq.hdrs[u]);
	FREE_OBJ(j);
}

/*--------------------------------------------------------------------
 * Browsers
 */

static void
rpool_on_event(void *priv, const char *session, const char *method,
    json_t *params)
{
	struct rpool_browser *b;
	struct rpool_job *j;

	CAST_OBJ_NOTNULL(b, priv, RPOOL_BROWSER_MAGIC);
	VTAILQ_FOREACH(j, &b->jobs, list)
	if (render_page_event(j->page, session, method, params))
		return;
}

static void
rpool_on_gone(void *priv, const char *why)
{
	struct rpool_browser *b;
	struct rpool_job *j;

	CAST_OBJ_NOTNULL(b, priv, RPOOL_BROWSER_MAGIC);
	log_warning("render", "browser %jd: %s", (intmax_t)cdp_pipe_pid(b->cdp),
	    why);
	b->retiring = 1;
	VTAILQ_FOREACH(j, &b->jobs, list)
	render_page_lost(j->page, why);
	rpool_kick(b->pool);
}

/* A page's time starts once its browser is up, not while it starts. */
static void
rpool_on_ready(void *priv, json_t *result, const char *error)
{
	struct rpool_browser *b;

	(void)result;
	CAST_OBJ_NOTNULL(b, priv, RPOOL_BROWSER_MAGIC);
	if (error != NULL)
		return; /* gone: rpool_on_gone() */
	b->ready = 1;
	rpool_kick(b->pool);
}

static struct rpool_browser *
rpool_browser_new(struct render_pool *p, char *err, size_t errlen)
{
	struct rpool_browser *b;

	ALLOC_OBJ(b, RPOOL_BROWSER_MAGIC);
	AN(b);
	b->pool = p;
	VTAILQ_INIT(&b->jobs);
	b->cdp = cdp_pipe_spawn(p->eb, &p->cf.cdp, rpool_on_event,
	    rpool_on_gone, b, err, errlen);
	if (b->cdp == NULL) {
		FREE_OBJ(b);
		return (NULL);
	}
	p->st.started++;
	/* Popups are seen as they are made (render_page.c). */
	(void)cdp_pipe_call(b->cdp, NULL, "Target.setDiscoverTargets",
	    json_pack("{s:b}", "discover", 1), rpool_on_ready, b);
	return (b);
}

static void
rpool_browser_free(struct rpool_browser **bp)
{
	struct rpool_browser *b;
	struct rpool_job *j;

	TAKE_OBJ_NOTNULL(b, bp, RPOOL_BROWSER_MAGIC);
	while ((j = VTAILQ_FIRST(&b->jobs)) != NULL) {
		VTAILQ_REMOVE(&b->jobs, j, list);
		rpool_job_free(j);
	}
	cdp_pipe_free(&b->cdp);
	FREE_OBJ(b);
}

/*--------------------------------------------------------------------
 * Pages
 */

static void
rpool_on_done(void *priv, const struct render_report *rep)
{
	struct rpool_browser *b;
	struct render_pool *p;
	struct rpool_job *j;
	unsigned long kb;

	CAST_OBJ_NOTNULL(j, priv, RPOOL_JOB_MAGIC);
	b = j->b;
	CHECK_OBJ_NOTNULL(b, RPOOL_BROWSER_MAGIC);
	p = b->pool;
	p->st.pages++;
	if (rep->error != NULL)
		p->st.failed++;
	if (rep->crashed)
		p->st.crashed++;
	/* Its renderer may still spin: a new browser is cheaper than
	 * a core lost. */
	if (rep->timed_out) {
		p->st.timed_out++;
		b->retiring = 1;
	}
	j->done(j->priv, rep);
	VTAILQ_REMOVE(&b->jobs, j, list);
	assert(b->running > 0);
	b->running--;
	rpool_job_free(j);
	if (!b->retiring && b->served >= p->cf.pages)
		b->retiring = 1;
	if (!b->retiring && p->cf.rss_max_mb > 0) {
		kb = cdp_pipe_rss(b->cdp);
		if (kb > p->cf.rss_max_mb * 1024) {
			log_notice("render",
			    "browser %jd: %lu MiB resident, restarted",
			    (intmax_t)cdp_pipe_pid(b->cdp), kb / 1024);
			b->retiring = 1;
		}
	}
	rpool_kick(p);
}

static void
rpool_start(struct rpool_browser *b, struct rpool_job *j)
{
	struct render_pool *p = b->pool;

	VTAILQ_REMOVE(&p->waiting, j, list);
	p->nwaiting--;
	j->b = b;
	b->running++;
	b->served++;
	VTAILQ_INSERT_TAIL(&b->jobs, j, list);
	j->page =
	    render_page_start(p->eb, b->cdp, p->f, &j->rq, rpool_on_done, j);
}

/* The browser with room for a page, started if need be; NULL: none. */
static struct rpool_browser *
rpool_room(struct render_pool *p, char *err, size_t errlen)
{
	struct rpool_browser *b;
	unsigned u;

	for (u = 0; u < p->cf.browsers; u++) {
		b = p->b[u];
		if (b != NULL && b->ready && !b->retiring &&
		    b->running < p->cf.tabs)
			return (b);
	}
	/* One starting at a time: it may take all that waits. */
	for (u = 0; u < p->cf.browsers; u++)
		if (p->b[u] != NULL && !p->b[u]->ready && !p->b[u]->retiring)
			return (NULL);
	for (u = 0; u < p->cf.browsers; u++)
		if (p->b[u] == NULL) {
			p->b[u] = rpool_browser_new(p, err, errlen);
			return (NULL);
		}
	return (NULL);
}

/* A page that cannot even be started: reported failed, from here. */
static void
rpool_refuse(struct render_pool *p, struct rpool_job *j, const char *why)
{
	struct render_report rep;

	VTAILQ_REMOVE(&p->waiting, j, list);
	p->nwaiting--;
	memset(&rep, 0, sizeof rep);
	rep.error = why;
	rep.t.ttfb = rep.t.dcl = rep.t.load = rep.t.lcp = rep.t.tti = -1;
	p->st.pages++;
	p->st.failed++;
	j->done(j->priv, &rep);
	rpool_job_free(j);
}

static void
rpool_on_kick(evutil_socket_t fd, short what, void *priv)
{
	struct render_pool *p;
	struct rpool_browser *b;
	struct rpool_job *j;
	char err[256];
	unsigned u;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(p, priv, RENDER_POOL_MAGIC);
	/* Retired browsers with nothing left go first: room for new. */
	for (u = 0; u < p->cf.browsers; u++) {
		b = p->b[u];
		if (b != NULL && b->retiring && b->running == 0) {
			rpool_browser_free(&p->b[u]);
			/* That took a moment: the pages' clocks start now. */
			AZ(event_base_update_cache_time(p->eb));
		}
	}
	while ((j = VTAILQ_FIRST(&p->waiting)) != NULL) {
		err[0] = '\0';
		b = rpool_room(p, err, sizeof err);
		if (b != NULL) {
			rpool_start(b, j);
		} else if (err[0] != '\0') {
			log_error("render", "cannot start a browser: %s", err);
			rpool_refuse(p, j, err);
		} else {
			break;
		}
	}
}

/*--------------------------------------------------------------------
 * The pool
 */

void
render_pool_submit(struct render_pool *p, const struct render_req *rq,
    render_done_f *done, void *priv)
{
	struct rpool_job *j;

	CHECK_OBJ_NOTNULL(p, RENDER_POOL_MAGIC);
	AN(rq);
	AN(done);
	ALLOC_OBJ(j, RPOOL_JOB_MAGIC);
	AN(j);
	j->pool = p;
	rpool_rq_copy(&j->rq, rq);
	j->done = done;
	j->priv = priv;
	VTAILQ_INSERT_TAIL(&p->waiting, j, list);
	p->nwaiting++;
	rpool_kick(p);
}

struct render_pool *
render_pool_new(struct event_base *eb, struct fetcher *f,
    const struct render_pool_conf *cf)
{
	struct render_pool *p;

	AN(eb);
	AN(f);
	AN(cf);
	ALLOC_OBJ(p, RENDER_POOL_MAGIC);
	AN(p);
	p->eb = eb;
	p->f = f;
	p->cf = *cf;
	if (p->cf.browsers == 0)
		p->cf.browsers = 1;
	if (p->cf.browsers > RPOOL_MAX_BROWSERS)
		p->cf.browsers = RPOOL_MAX_BROWSERS;
	if (p->cf.tabs == 0)
		p->cf.tabs = 4;
	if (p->cf.pages == 0)
		p->cf.pages = 200;
	VTAILQ_INIT(&p->waiting);
	p->kick = event_new(eb, -1, 0, rpool_on_kick, p);
	AN(p->kick);
	return (p);
}

void
render_pool_stats(struct render_pool *p, struct render_pool_stats *st)
{
	unsigned u;

	CHECK_OBJ_NOTNULL(p, RENDER_POOL_MAGIC);
	AN(st);
	*st = p->st;
	st->queued = p->nwaiting;
	st->running = 0;
	st->rss_kb = 0;
	for (u = 0; u < p->cf.browsers; u++)
		if (p->b[u] != NULL) {
			st->running += p->b[u]->running;
			st->rss_kb += cdp_pipe_rss(p->b[u]->cdp);
		}
}

void
render_pool_free(struct render_pool **pp)
{
	struct render_pool *p;
	struct rpool_job *j;
	unsigned u;

	TAKE_OBJ_NOTNULL(p, pp, RENDER_POOL_MAGIC);
	for (u = 0; u < p->cf.browsers; u++)
		if (p->b[u] != NULL)
			rpool_browser_free(&p->b[u]);
	while ((j = VTAILQ_FIRST(&p->waiting)) != NULL) {
		VTAILQ_REMOVE(&p->waiting, j, list);
		rpool_job_free(j);
	}
	event_free(p->kick);
	FREE_OBJ(p);
}
