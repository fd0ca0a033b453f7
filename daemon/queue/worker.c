/*
 * The worker's cycle: claim a batch when fewer than half a batch (or
 * the concurrency, if more) is in hand, so that the next claim's round
 * trip overlaps the fetches; start fetches up to the concurrency, complete each
 * task once all its fetches ended.  Claims stop being made on every
 * finished task once a claim came back short (the queue is drained);
 * then only a NOTIFY or the poll timer claims again.
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

#include "core/log.h"
#include "fetch/addr_policy.h"
#include "fetch/fetch_kept.h"
#include "fetch/fetcher.h"
#include "proto/warm_sig.h"
#include "store/task_queue.h"
#include "warm/variant_replay.h"
#include "warm/warm_url.h"
#include "sitemap_task.h"
#include "worker.h"

#define WHY_LEN 256

struct wfetch {
	unsigned magic;
#define WFETCH_MAGIC 0x3c9d2e01
	struct wtask *wt;
	unsigned idx;
	char target[4096];
	char id[WARM_ID_MAX + 1];
};

/* A task being fetched: one fetch per node. */
struct wtask {
	unsigned magic;
#define WTASK_MAGIC 0x3c9d2e02
	struct worker *w;
	struct tq_task *t;
	char *nodebuf;
	const char *nodes[WORKER_MAX_NODES];
	unsigned nnode, started, ended;
	/* The variant's headers, the same for every node. */
	char (*hdrs)[VARIANT_HDR_LEN];
	unsigned nhdr;
	char unreplayable[WHY_LEN]; /* why it cannot be sent, or "" */
	struct tq_page pages[WORKER_MAX_NODES];
	char reasons[WORKER_MAX_NODES][WHY_LEN];
	char *headers[WORKER_MAX_NODES]; /* pages[].headers, as JSON */
	unsigned tries[WORKER_MAX_NODES];
	int ok; /* every fetch did its work */
	char *timings; /* the render's report, as JSON */
	VTAILQ_ENTRY(wtask) rendering; /* in the pool */
};

/* A fetch that got no answer, a 5xx or a 429 goes once more. */
#define WORKER_TRIES 2

struct worker {
	unsigned magic;
#define WORKER_MAGIC 0x3c9d2e03
	struct event_base *eb;
	struct task_queue *q;
	struct fetcher *f;
	struct fetcher *sf; /* tenants' sitemaps, addresses checked */
	struct worker_cfg cfg;
	worker_end_f *end;
	void *end_priv;
	struct tq_task **ready; /* claimed, not started: a ring */
	unsigned lready, hready, nready;
	unsigned low; /* claim again below this many in hand */
	struct wtask *current; /* started, fetches still to submit */
	unsigned inflight; /* fetches */
	struct render_pool *rp; /* made with the first page to render */
	VTAILQ_HEAD(, wtask) renders; /* in the pool */
	unsigned rendering; /* pages in the pool, or their assets queued */
	unsigned render_max; /* in hand at most: twice what the pool runs */
	struct sitemap_task **sm; /* sitemap tasks being read or ended */
	unsigned nsm, lsm;
	int claiming, drained, checking, stopping, closing, ended;
	double claim_at;
	struct event *claim_timer;
	struct event *deadline;
	char lasterr[256];
	struct worker_stats st;
};

static void maybe_claim(struct worker *);
static void worker_pump(struct worker *);

static void
worker_end(struct worker *w)
{
	if (w->ended)
		return;
	w->ended = 1;
	w->end(w->end_priv);
}

static void
claim_later(struct worker *w, double delay)
{
	struct timeval tv;
	double at = VTIM_mono() + delay;

	if (w->stopping || w->closing)
		return;
	if (evtimer_pending(w->claim_timer, NULL) && w->claim_at <= at)
		return;
	w->claim_at = at;
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(w->claim_timer, &tv));
}

/*--------------------------------------------------------------------
 * The ring of claimed tasks
 */

static void
ready_push(struct worker *w, struct tq_task *t)
{
	struct tq_task **n;
	unsigned u;

	if (w->nready == w->lready) {
		n = calloc(w->lready ? w->lready * 2 : 64, sizeof *n);
		AN(n);
		for (u = 0; u < w->nready; u++)
			n[u] = w->ready[(w->hready + u) % w->lready];
		free(w->ready);
		w->ready = n;
		w->hready = 0;
		w->lready = w->lready ? w->lready * 2 : 64;
	}
	w->ready[(w->hready + w->nready) % w->lready] = t;
	w->nready++;
}

static struct tq_task *
ready_pop(struct worker *w)
{
	struct tq_task *t;

	if (w->nready == 0)
		return (NULL);
	t = w->ready[w->hready];
	w->hready = (w->hready + 1) % w->lready;
	w->nready--;
	return (t);
}

/*--------------------------------------------------------------------
 * Ending
 */

static void
on_stop_flushed(void *priv)
{
	struct worker *w;

	CAST_OBJ_NOTNULL(w, priv, WORKER_MAGIC);
	worker_end(w);
}

static void
maybe_finish(struct worker *w)
{
	if (!w->stopping || w->inflight > 0 || w->current != NULL ||
	    w->nsm > 0 || w->rendering > 0 || w->claiming || w->closing)
		return;
	tq_flush(w->q, on_stop_flushed, w);
}

static void
worker_on_outlook(void *priv, int queued, double lease_in, const char *err)
{
	struct worker *w;

	CAST_OBJ_NOTNULL(w, priv, WORKER_MAGIC);
	w->checking = 0;
	if (w->closing || w->stopping)
		return;
	if (err != NULL) {
		claim_later(w, w->cfg.poll);
		return;
	}
	if (!queued && lease_in < 0 && w->nready == 0 && w->inflight == 0 &&
	    w->nsm == 0 && w->rendering == 0 && tq_held(w->q) == 0) {
		worker_end(w);
		return;
	}
	/* Someone else's lease may run out: be there when it does. */
	if (queued)
		claim_later(w, 0.05);
	else
		claim_later(w,
		    lease_in + 0.05 < w->cfg.poll ? lease_in + 0.05
		                                  : w->cfg.poll);
}

static void
on_idle_flushed(void *priv)
{
	struct worker *w;

	CAST_OBJ_NOTNULL(w, priv, WORKER_MAGIC);
	if (w->closing || w->stopping)
		return;
	tq_outlook(w->q, worker_on_outlook, w);
}

/* With nothing in hand: is anything left for anyone? */
static void
check_idle(struct worker *w)
{
	if (!w->cfg.exit_when_idle || w->stopping || w->closing ||
	    w->checking || w->claiming || w->nready > 0 || w->inflight > 0 ||
	    w->current != NULL || w->nsm > 0 || w->rendering > 0)
		return;
	w->checking = 1;
	tq_flush(w->q, on_idle_flushed, w);
}

/*--------------------------------------------------------------------
 * Fetching
 */

/* warm_id: the signed request's, NULL for an unsigned one. */
static void
page_fill(struct wtask *wt, unsigned i, const struct fetch_result *res,
    const char *warm_id)
{
	struct tq_page *pg = &wt->pages[i];
	char *why = wt->reasons[i];

	pg->status = res->ok ? res->status : 0;
	pg->load_ms = res->time > 0 ? res->time * 1e3 : -1;
	pg->ttfb_ms = res->ok && res->ttfb > 0 ? res->ttfb * 1e3 : -1;
	pg->cache_status = res->ok ? (res->hit ? "hit" : "miss") : NULL;
	pg->outcome =
	    warm_verdict(res, warm_id, &pg->ttl, why, sizeof wt->reasons[i]);
	pg->reason = why[0] != '\0' ? why : NULL;
	free(wt->headers[i]);
	wt->headers[i] = res->kept != NULL ? fetch_kept_json(res->kept) : NULL;
	pg->headers = wt->headers[i];
}

static void
wtask_free(struct wtask *wt)
{
	unsigned u;

	free(wt->nodebuf);
	free(wt->hdrs);
	free(wt->timings);
	for (u = 0; u < WORKER_MAX_NODES; u++)
		free(wt->headers[u]);
	FREE_OBJ(wt);
}

/* Written back: the timings with the result of the node it was
 * rendered through. */
static void
wtask_complete(struct wtask *wt)
{
	struct worker *w = wt->w;

	w->st.tasks++;
	if (!wt->ok)
		w->st.tasks_failed++;
	wt->pages[0].timings = wt->timings;
	if (!w->closing)
		tq_complete(w->q, wt->t, wt->ok, wt->pages, wt->nnode);
	wtask_free(wt);
}

static void worker_after(struct worker *);
static void wtask_render(struct wtask *);

static void
wtask_end(struct wtask *wt)
{
	struct worker *w = wt->w;
	unsigned u;

	wt->ok = 1;
	for (u = 0; u < wt->nnode; u++)
		if (warm_verdict_failed(wt->pages[u].outcome))
			wt->ok = 0;
	/* A page that did not warm is not worth a browser's time. */
	if (wt->ok && wt->t->render && !w->closing && !w->stopping) {
		wtask_render(wt);
		return;
	}
	wtask_complete(wt);
}

/*--------------------------------------------------------------------
 * Rendering a page, once it is warm: what visitors will feel
 */

/* The assets are in the job (or could not be): the page is done, its
 * result saying what the plan left out. */
static void
worker_on_assets(void *priv, const struct tq_assets_done *d, const char *err)
{
	struct worker *w;
	struct wtask *wt;
	char *s;

	CAST_OBJ_NOTNULL(wt, priv, WTASK_MAGIC);
	w = wt->w;
	CHECK_OBJ_NOTNULL(w, WORKER_MAGIC);
	if (err != NULL) {
		log_warning(NULL, "queueing the assets of %s: %s", wt->t->url,
		    err);
	} else if (d->cut > 0) {
		s = render_report_cut(wt->timings, d->cut, d->note);
		free(wt->timings);
		wt->timings = s;
	}
	if (err == NULL)
		w->st.assets += d->queued;
	assert(w->rendering > 0);
	w->rendering--;
	wtask_complete(wt);
	worker_after(w);
}

static void
worker_on_rendered(void *priv, const struct render_report *rep)
{
	const char **urls;
	struct worker *w;
	struct wtask *wt;
	unsigned u;

	CAST_OBJ_NOTNULL(wt, priv, WTASK_MAGIC);
	w = wt->w;
	CHECK_OBJ_NOTNULL(w, WORKER_MAGIC);
	VTAILQ_REMOVE(&w->renders, wt, rendering);
	w->st.rendered++;
	if (rep->error != NULL) {
		w->st.render_failed++;
		log_info(NULL, "rendering %s: %s", wt->t->url, rep->error);
	}
	wt->timings = render_report_json(rep);
	urls = calloc(rep->nsub + 1, sizeof *urls);
	AN(urls);
	for (u = 0; u < rep->nsub; u++)
		urls[u] = rep->subs[u].url;
	/* Copied there and then: the report is gone once we return. */
	tq_assets(w->q, wt->t, urls, rep->nsub, worker_on_assets, wt);
	free(urls);
}

static void
wtask_render(struct wtask *wt)
{
	struct worker *w = wt->w;
	char *hosts, *s, *save = NULL;
	struct render_req rq;
	struct addr_url base;
	const char *why;
	unsigned u;

	if (w->rp == NULL)
		w->rp = render_pool_new(w->eb, w->f, &w->cfg.render);
	memset(&rq, 0, sizeof rq);
	rq.url = wt->t->url;
	rq.node = wt->nodes[0];
	/* The website's host, and the hosts it declared for its assets. */
	if (addr_url_parse(wt->t->base_url, &base, &why) == 0)
		rq.hosts[rq.nhost++] = base.host;
	hosts = strdup(wt->t->asset_hosts != NULL ? wt->t->asset_hosts : "");
	AN(hosts);
	for (s = strtok_r(hosts, " ", &save);
	     s != NULL && rq.nhost < RENDER_MAX_HOSTS;
	     s = strtok_r(NULL, " ", &save))
		rq.hosts[rq.nhost++] = s;
	for (u = 0; u < wt->nhdr && rq.nhdr < RENDER_MAX_HDRS; u++)
		rq.hdrs[rq.nhdr++] = wt->hdrs[u];
	if (w->cfg.nnode == 0)
		rq.addr = w->cfg.allow_private ? FETCH_ADDR_PRIVATE_OK
		                               : FETCH_ADDR_PUBLIC;
	rq.timeout = w->cfg.render_timeout;
	w->rendering++;
	VTAILQ_INSERT_TAIL(&w->renders, wt, rendering);
	render_pool_submit(w->rp, &rq, worker_on_rendered, wt);
	free(hosts);
}

static void fetch_start(struct worker *, struct wtask *, unsigned);

static void
worker_on_fetched(void *priv, const struct fetch_result *res)
{
	struct wfetch *wf;
	struct wtask *wt;
	struct worker *w;
	unsigned idx;

	CAST_OBJ_NOTNULL(wf, priv, WFETCH_MAGIC);
	wt = wf->wt;
	CHECK_OBJ_NOTNULL(wt, WTASK_MAGIC);
	w = wt->w;
	idx = wf->idx;
	assert(w->inflight > 0);
	w->inflight--;
	w->st.fetches++;
	if (!w->closing && ++wt->tries[idx] < WORKER_TRIES &&
	    (!res->ok || res->status >= 500 || res->status == 429)) {
		/* When the origin guard lets it: it saw the failure too. */
		w->st.retried++;
		FREE_OBJ(wf);
		fetch_start(w, wt, idx);
	} else {
		page_fill(wt, idx, res, w->cfg.key != NULL ? wf->id : NULL);
		w->st.outcome[wt->pages[idx].outcome]++;
		if (warm_verdict_failed(wt->pages[idx].outcome))
			w->st.fetches_failed++;
		FREE_OBJ(wf);
		if (++wt->ended == wt->nnode)
			wtask_end(wt);
	}
	worker_after(w);
}

/* Something ended: more may start, or all may be over. */
static void
worker_after(struct worker *w)
{
	if (w->closing)
		return;
	worker_pump(w);
	maybe_claim(w);
	maybe_finish(w);
	check_idle(w);
}

/* A fetch that cannot even start ends at once, as a failed page. */
static void
fetch_fail(struct wtask *wt, unsigned i, const char *why)
{
	struct fetch_result res;

	memset(&res, 0, sizeof res);
	res.error = why;
	page_fill(wt, i, &res, NULL);
	if (++wt->ended == wt->nnode)
		wtask_end(wt);
}

static void
fetch_start(struct worker *w, struct wtask *wt, unsigned i)
{
	char host[1024], path[3072], hdr[WARM_HDR_MAX + 16];
	struct fetch_req rq;
	struct wfetch *wf;
	unsigned u;

	ALLOC_OBJ(wf, WFETCH_MAGIC);
	AN(wf);
	wf->wt = wt;
	wf->idx = i;
	wt->pages[i].node = wt->nodes[i];
	if (wt->unreplayable[0] != '\0') {
		FREE_OBJ(wf);
		fetch_fail(wt, i, wt->unreplayable);
		return;
	}
	if (warm_url_split(wt->t->url, wt->nodes[i], wf->target,
	        sizeof wf->target, host, sizeof host, path, sizeof path) != 0) {
		FREE_OBJ(wf);
		fetch_fail(wt, i, "bad URL");
		return;
	}
	memset(&rq, 0, sizeof rq);
	rq.url = wf->target;
	rq.host = host;
	rq.method = "GET";
	rq.timeout = w->cfg.timeout;
	/* Not the operator's --node: the tenant's word, checked as it
	 * connects. */
	if (w->cfg.nnode == 0)
		rq.addr = w->cfg.allow_private ? FETCH_ADDR_PRIVATE_OK
		                               : FETCH_ADDR_PUBLIC;
	if (w->cfg.key != NULL) {
		snprintf(wf->id, sizeof wf->id, "job%jd-task%jd-%u",
		    (intmax_t)wt->t->job_id, (intmax_t)wt->t->id, i);
		strcpy(hdr, "Stoke-Warm: ");
		if (warm_sig_header(w->cfg.key, w->cfg.keylen, rq.method, host,
		        path, (int64_t)VTIM_real(), wf->id, hdr + 12,
		        sizeof hdr - 12) != 0) {
			FREE_OBJ(wf);
			fetch_fail(wt, i, "cannot sign");
			return;
		}
		rq.hdr[rq.nhdr++] = hdr;
	}
	for (u = 0; u < wt->nhdr; u++)
		rq.hdr[rq.nhdr++] = wt->hdrs[u];
	if (fetcher_submit(w->f, &rq, worker_on_fetched, wf) != 0) {
		FREE_OBJ(wf);
		fetch_fail(wt, i, "cannot fetch");
		return;
	}
	w->inflight++;
}

/*
 * The headers of the task's variant, made once for all its nodes.  One
 * slot is left for the signature.  A variant that cannot be replayed
 * fails the task: fetched plain, it would warm another variant.
 */
static void
wtask_replay(struct wtask *wt)
{
	const char *dims;
	char err[192];
	int n;

	wt->hdrs = calloc(FETCH_MAX_HDRS - 1, sizeof *wt->hdrs);
	AN(wt->hdrs);
	/* The website's word first: a worker serves many tenants. */
	dims = wt->t->dims[0] != '\0' ? wt->t->dims : wt->w->cfg.dims;
	n = variant_replay(wt->t->variant, dims, wt->hdrs, 0,
	    FETCH_MAX_HDRS - 1, err, sizeof err);
	if (n >= 0) {
		wt->nhdr = (unsigned)n;
		return;
	}
	snprintf(wt->unreplayable, sizeof wt->unreplayable,
	    "variant not replayable: %s%s", err,
	    dims == NULL ? " (no variant_inputs, no --dims)" : "");
}

static struct wtask *
wtask_new(struct worker *w, struct tq_task *t)
{
	struct wtask *wt;
	char *s, *save = NULL;
	unsigned u;

	ALLOC_OBJ(wt, WTASK_MAGIC);
	AN(wt);
	wt->w = w;
	wt->t = t;
	if (w->cfg.nnode > 0) {
		for (u = 0; u < w->cfg.nnode; u++)
			wt->nodes[u] = w->cfg.nodes[u];
		wt->nnode = w->cfg.nnode;
	} else {
		wt->nodebuf = strdup(t->nodes);
		AN(wt->nodebuf);
		for (s = strtok_r(wt->nodebuf, " ", &save);
		     s != NULL && wt->nnode < WORKER_MAX_NODES;
		     s = strtok_r(NULL, " ", &save))
			wt->nodes[wt->nnode++] = s;
	}
	/* No node: straight from the URL. */
	if (wt->nnode == 0)
		wt->nnode = 1;
	if (t->variant[0] != '\0')
		wtask_replay(wt);
	return (wt);
}

/*--------------------------------------------------------------------
 * Sitemap tasks: read beside the fetches, each on its own
 */

static void
worker_on_sitemap_end(void *priv, struct sitemap_task *st)
{
	struct worker *w;
	unsigned u;

	CAST_OBJ_NOTNULL(w, priv, WORKER_MAGIC);
	for (u = 0; u < w->nsm && w->sm[u] != st; u++)
		continue;
	assert(u < w->nsm);
	w->sm[u] = w->sm[--w->nsm];
	sitemap_task_free(&st);
	w->st.sitemaps++;
	if (w->closing)
		return;
	worker_pump(w);
	maybe_claim(w);
	maybe_finish(w);
	check_idle(w);
}

static void
sitemap_start(struct worker *w, struct tq_task *t)
{
	if (w->nsm == w->lsm) {
		w->lsm = w->lsm ? w->lsm * 2 : 4;
		w->sm = realloc(w->sm, w->lsm * sizeof *w->sm);
		AN(w->sm);
	}
	w->sm[w->nsm++] =
	    sitemap_task_start(w->eb, w->sf, w->q, t, worker_on_sitemap_end, w);
}

/* Start fetches while there is room; a task's fetches may straddle. */
static void
worker_pump(struct worker *w)
{
	struct tq_task *t;
	struct wtask *wt;

	/* Pages waiting for a tab hold their leases: so many, no more. */
	while (!w->closing && w->inflight < w->cfg.concurrency &&
	    w->rendering < w->render_max) {
		if (w->current == NULL) {
			if (w->stopping || (t = ready_pop(w)) == NULL)
				return;
			if (t->kind == TQ_SITEMAP) {
				sitemap_start(w, t);
				continue;
			}
			w->current = wtask_new(w, t);
		}
		wt = w->current;
		if (wt->started + 1 == wt->nnode)
			w->current = NULL;
		/* wt may be freed by a fetch that fails to start. */
		fetch_start(w, wt, wt->started++);
	}
}

/*--------------------------------------------------------------------
 * Claiming
 */

static void
worker_on_claimed(void *priv, struct tq_task **tasks, unsigned n,
    const char *err)
{
	struct worker *w;
	unsigned u;

	CAST_OBJ_NOTNULL(w, priv, WORKER_MAGIC);
	w->claiming = 0;
	if (w->closing)
		return;
	w->st.claims++;
	if (err != NULL) {
		w->st.claim_errors++;
		if (strcmp(err, w->lasterr) != 0)
			log_warning(NULL, "claiming tasks: %s", err);
		snprintf(w->lasterr, sizeof w->lasterr, "%s", err);
		claim_later(w, w->cfg.poll);
		maybe_finish(w);
		return;
	}
	w->lasterr[0] = '\0';
	if (w->stopping) {
		for (u = 0; u < n; u++)
			tq_release(w->q, tasks[u]);
		maybe_finish(w);
		return;
	}
	for (u = 0; u < n; u++)
		ready_push(w, tasks[u]);
	w->drained = (n < w->cfg.batch);
	worker_pump(w);
	if (w->drained) {
		/* The safety net for leases that run out unannounced. */
		claim_later(w, w->cfg.poll);
		check_idle(w);
	} else {
		maybe_claim(w);
	}
}

static void
maybe_claim(struct worker *w)
{
	/* Claim before the hand runs dry: a claim takes a round trip. */
	if (w->stopping || w->closing || w->claiming || w->drained ||
	    w->nready >= w->low)
		return;
	if (tq_claim(w->q, w->cfg.batch, worker_on_claimed, w) == 0)
		w->claiming = 1;
}

static void
on_claim_timer(evutil_socket_t fd, short what, void *priv)
{
	struct worker *w;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(w, priv, WORKER_MAGIC);
	w->drained = 0;
	maybe_claim(w);
	/* Still full-handed: the next look comes after the poll period. */
	if (!w->claiming)
		claim_later(w, w->cfg.poll);
}

static void
worker_on_deadline(evutil_socket_t fd, short what, void *priv)
{
	struct worker *w;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(w, priv, WORKER_MAGIC);
	log_warning(NULL,
	    "not all written back in time; the leases left will run out");
	worker_end(w);
}

/*--------------------------------------------------------------------
 * The worker
 */

void
worker_wake(struct worker *w)
{
	CHECK_OBJ_NOTNULL(w, WORKER_MAGIC);
	w->drained = 0;
	maybe_claim(w);
}

void
worker_start(struct worker *w)
{
	CHECK_OBJ_NOTNULL(w, WORKER_MAGIC);
	maybe_claim(w);
}

void
worker_stop(struct worker *w)
{
	struct tq_task *t;
	struct timeval tv;
	unsigned u;

	CHECK_OBJ_NOTNULL(w, WORKER_MAGIC);
	if (w->stopping || w->closing)
		return;
	w->stopping = 1;
	(void)evtimer_del(w->claim_timer);
	while ((t = ready_pop(w)) != NULL)
		tq_release(w->q, t);
	/* From the last: each one stopped leaves the list at once. */
	for (u = w->nsm; u > 0; u--)
		sitemap_task_stop(w->sm[u - 1]);
	tv.tv_sec = (time_t)(w->cfg.timeout + 10);
	tv.tv_usec = 0;
	AZ(evtimer_add(w->deadline, &tv));
	maybe_finish(w);
}

void
worker_close(struct worker *w)
{
	struct wtask *wt;
	unsigned u;

	CHECK_OBJ_NOTNULL(w, WORKER_MAGIC);
	w->closing = 1;
	for (u = 0; u < w->nsm; u++)
		sitemap_task_close(w->sm[u]);
	/* Before the fetcher goes: its pages fetch on it.  Their tasks'
	 * leases run out. */
	if (w->rp != NULL)
		render_pool_free(&w->rp);
	while ((wt = VTAILQ_FIRST(&w->renders)) != NULL) {
		VTAILQ_REMOVE(&w->renders, wt, rendering);
		wtask_free(wt);
	}
	(void)evtimer_del(w->claim_timer);
	(void)evtimer_del(w->deadline);
}

struct worker *
worker_new(struct event_base *eb, struct task_queue *q, struct fetcher *f,
    struct fetcher *sf, const struct worker_cfg *cfg, worker_end_f *end,
    void *priv)
{
	struct worker *w;

	AN(eb);
	AN(q);
	AN(f);
	AN(sf);
	AN(cfg);
	AN(end);
	assert(cfg->nnode <= WORKER_MAX_NODES);
	ALLOC_OBJ(w, WORKER_MAGIC);
	AN(w);
	w->eb = eb;
	w->q = q;
	w->f = f;
	w->sf = sf;
	w->cfg = *cfg;
	if (w->cfg.concurrency == 0)
		w->cfg.concurrency = 1;
	if (w->cfg.batch == 0)
		w->cfg.batch = w->cfg.concurrency;
	w->low = w->cfg.batch / 2 > w->cfg.concurrency ? w->cfg.batch / 2
	                                               : w->cfg.concurrency;
	if (!(w->cfg.timeout > 0))
		w->cfg.timeout = 30;
	if (!(w->cfg.poll > 0))
		w->cfg.poll = 2;
	w->end = end;
	w->end_priv = priv;
	VTAILQ_INIT(&w->renders);
	w->render_max = 2 *
	    (w->cfg.render.browsers > 0 ? w->cfg.render.browsers : 1) *
	    (w->cfg.render.tabs > 0 ? w->cfg.render.tabs : 4);
	w->claim_timer = evtimer_new(eb, on_claim_timer, w);
	w->deadline = evtimer_new(eb, worker_on_deadline, w);
	AN(w->claim_timer);
	AN(w->deadline);
	return (w);
}

void
worker_free(struct worker **wp)
{
	struct worker *w;

	TAKE_OBJ_NOTNULL(w, wp, WORKER_MAGIC);
	assert(w->closing);
	/* The tasks were the queue's, and went with it. */
	if (w->current != NULL)
		wtask_free(w->current);
	while (w->nsm > 0)
		sitemap_task_free(&w->sm[--w->nsm]);
	free(w->sm);
	free(w->ready);
	event_free(w->claim_timer);
	event_free(w->deadline);
	FREE_OBJ(w);
}

void
worker_stats(const struct worker *w, struct worker_stats *st)
{
	CHECK_OBJ_NOTNULL(w, WORKER_MAGIC);
	AN(st);
	*st = w->st;
}
