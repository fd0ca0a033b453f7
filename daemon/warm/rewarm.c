/*
 * warm queue → fetch.  A task's variant ("currency=EUR vary.x-device=m")
 * is turned back into what a visitor sent: each declared dimension as
 * the cookie or header the VCL reads it from (learned from the dims
 * record), each Vary header as itself.  Nothing else of any visitor is
 * ever sent.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"
#include "vqueue.h"

#include "core/log.h"
#include "core/str.h"
#include "fetch/fetch_kept.h"
#include "fetch/fetcher.h"
#include "fetch/origin_guard.h"
#include "proto/warm_sig.h"
#include "rewarm.h"
#include "variant_replay.h"
#include "warm_queue.h"
#include "warm_verdict.h"
#include "warm_verify.h"

#define HDR_BUF VARIANT_HDR_LEN

/*
 * A task's trigger (opaque to the queue) holds why it was queued in its
 * low bit and the caller's key above it.
 */
#define TASK_TRIGGER(kind, key) ((key) << 1 | (uint64_t)(kind))
#define TASK_KIND(t) ((int)((t)&1))
#define TASK_KEY(t) ((t) >> 1)

struct rewarm {
	unsigned magic;
#define REWARM_MAGIC 0x4e3a9f21
	char *node;
	char key[WARM_KEY_MAX + 1];
	size_t keylen;
	unsigned concurrency;
	unsigned max_attempts;
	struct fetcher *fetcher;
	struct origin_guard *guard;
	struct warm_queue *queue;
	rewarm_dims_f *dims;
	void *dims_priv;
	struct warm_verify *verify;
	rewarm_result_f *result_cb;
	void *result_priv;
	rewarm_recached_f *recached;
	void *recached_priv;
	unsigned telling; /* in rewarm_object(): the index is mid-change */
	VTAILQ_HEAD(, rewarm_fetch) checking; /* answered, awaiting the log */
	uint64_t seq;
	unsigned closing;
	unsigned nlat, lat_next;
	double lat[REWARM_LATENCIES];
	struct rewarm_stats stats;
};

/* One fetch in flight, with the headers it sends. */
struct rewarm_fetch {
	unsigned magic;
#define REWARM_FETCH_MAGIC 0x8b376260
	struct rewarm *rw;
	struct warm_task *task;
	char id[WARM_ID_MAX + 1];
	char url[4096];
	char hdrbuf[FETCH_MAX_HDRS][HDR_BUF];
	/* Waiting for the log: the task is done with, this is left. */
	int trigger;
	uint64_t key;
	char *host, *path, *variant;
	char *headers; /* the answer's kept, as JSON */
	long status;
	double started, time, ttfb;
	unsigned attempts;
	double latency;
	/* Where the time went, for the debug log: from the loss to the
	 * task popped, held by the origin guard, the fetch, the log. */
	double lost, popped, waited, answered;
	double origin; /* the backend fetch's own, as logged; 0: none */
	struct wv_wait *wait;
	VTAILQ_ENTRY(rewarm_fetch) list;
};

static void rewarm_pump(struct rewarm *);

static void
rewarm_fetch_free(struct rewarm_fetch *rf)
{
	CHECK_OBJ_NOTNULL(rf, REWARM_FETCH_MAGIC);
	free(rf->host);
	free(rf->path);
	free(rf->variant);
	free(rf->headers);
	FREE_OBJ(rf);
}

/* Tells the caller what came of an object, unless stoked is stopping. */
static void
rewarm_report(struct rewarm *rw, const struct rewarm_fetch *rf,
    enum warm_outcome o, const char *reason, double ttl, unsigned verified)
{
	struct rewarm_result rr;

	if (rw->result_cb == NULL || rw->closing)
		return;
	memset(&rr, 0, sizeof rr);
	rr.key = rf->key;
	rr.trigger = (enum rewarm_trigger)rf->trigger;
	rr.host = rf->host;
	rr.variant = rf->variant;
	rr.r.url = rf->path;
	rr.r.node = rw->node;
	rr.r.status = rf->status;
	rr.r.outcome = o;
	rr.r.reason = reason;
	rr.r.ttl = ttl;
	rr.r.time = rf->time;
	rr.r.ttfb = rf->ttfb;
	rr.r.attempts = rf->attempts;
	rr.r.verified = verified;
	rr.r.headers = rf->headers;
	rw->result_cb(rw->result_priv, &rr);
}

/* Why the log says Varnish did not keep what it fetched. */
static const char *
not_kept(const struct wv_txn *t, char *why, size_t len)
{
	const char *cc = t->cache_control;

	if (t->handling == EV_PASS)
		return ("passed by the VCL: never cached");
	if (t->set_cookie)
		return ("Set-Cookie");
	if (warm_cc_uncacheable(cc)) {
		snprintf(why, len, "Cache-Control: %s", cc);
		return (why);
	}
	if (t->ttl <= 0)
		return ("zero TTL");
	return ("made uncacheable by the VCL (hit-for-miss)");
}

/*
 * One refresh's time, phase by phase, at debug level: what a burst's
 * latency is made of (bench/invalidation.sh reads these lines).
 */
static void
trace_refresh(const struct rewarm_fetch *rf, double latency)
{
	double logged;

	if (!log_enabled(LL_DEBUG))
		return;
	logged = rf->answered > 0 ? VTIM_real() - rf->answered : 0;
	log_debug("rewarm",
	    "refreshed %s%s [%s] %.2f ms after its loss: queued %.2f, "
	    "origin guard %.2f, fetch %.2f (first byte %.2f), log %.2f, "
	    "origin's own %.2f",
	    rf->host, rf->path, rf->variant, latency * 1e3,
	    (rf->popped - rf->lost) * 1e3, rf->waited * 1e3, rf->time * 1e3,
	    rf->ttfb * 1e3, logged * 1e3, rf->origin * 1e3);
}

static void
count_refresh(struct rewarm *rw, const struct rewarm_fetch *rf, double latency)
{
	int trigger = rf->trigger;

	trace_refresh(rf, latency);
	rw->stats.refreshed++;
	/* Latency counts from the loss, for what was lost. */
	if (trigger != RW_INVALIDATED)
		return;
	rw->lat[rw->lat_next] = latency;
	rw->lat_next = (rw->lat_next + 1) % REWARM_LATENCIES;
	if (rw->nlat < REWARM_LATENCIES)
		rw->nlat++;
}

/* The guard's verdict on a refresh that went well, left to us. */
static void
guard_sample(const struct rewarm *rw, const struct rewarm_fetch *rf,
    const struct wv_txn *t)
{
	wv_guard_sample(rw->guard, rf->host, rf->started,
	    rf->ttfb > 0 ? rf->ttfb : rf->time, t);
}

/* What the log says of a refresh: kept in cache, or not, and why. */
static void
rewarm_on_logged(void *priv, const struct wv_txn *t)
{
	struct rewarm_fetch *rf;
	struct rewarm *rw;
	char why[160];

	CAST_OBJ_NOTNULL(rf, priv, REWARM_FETCH_MAGIC);
	rw = rf->rw;
	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	VTAILQ_REMOVE(&rw->checking, rf, list);
	if (t != NULL && t->fetched)
		rf->origin = t->fetch_time;
	guard_sample(rw, rf, t);
	if (t == NULL) {
		rw->stats.unverified++;
		count_refresh(rw, rf, rf->latency);
		rewarm_report(rw, rf, WO_CACHED, NULL, -1, 0);
	} else if (t->fetched && (t->fetch_failed || t->status >= 500)) {
		rw->stats.failed++;
		if (!t->fetch_failed)
			snprintf(why, sizeof why, "HTTP %ld from the origin",
			    t->status);
		rewarm_report(rw, rf, WO_ORIGIN_ERROR,
		    t->fetch_failed ? "backend fetch failed" : why, -1, 1);
	} else if (t->fetched && !t->cacheable) {
		rw->stats.uncacheable++;
		rewarm_report(rw, rf, WO_UNCACHEABLE,
		    not_kept(t, why, sizeof why), -1, 1);
	} else {
		count_refresh(rw, rf, rf->latency);
		rewarm_report(rw, rf, WO_CACHED, NULL, t->fetched ? t->ttl : -1,
		    1);
	}
	rewarm_fetch_free(rf);
}

static void
rewarm_on_done(void *priv, const struct fetch_result *res)
{
	struct rewarm_fetch *rf;
	struct rewarm *rw;
	struct wv_wait *w;
	char why[160];

	CAST_OBJ_NOTNULL(rf, priv, REWARM_FETCH_MAGIC);
	rw = rf->rw;
	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	if (!rw->closing &&
	    (!res->ok || res->status == 0 || res->status >= 500 ||
	        res->status == 429) &&
	    rf->task->attempts + 1 < rw->max_attempts) {
		/* The guard decides when: it has seen the failure too. */
		rw->stats.retried++;
		wq_retry(rw->queue, rf->task);
		rewarm_fetch_free(rf);
		rewarm_pump(rw);
		return;
	}
	rf->status = res->ok ? res->status : 0;
	rf->answered = VTIM_real();
	rf->waited = res->waited;
	rf->started = res->started;
	rf->time = res->time;
	rf->ttfb = res->ttfb;
	rf->attempts = rf->task->attempts + 1;
	if (res->kept != NULL)
		rf->headers = fetch_kept_json(res->kept);
	if (!res->ok || res->status == 0) {
		rw->stats.failed++;
		rewarm_report(rw, rf,
		    res->error != NULL && strstr(res->error, "timed out")
		        ? WO_TIMEOUT
		        : WO_FAILED,
		    res->error != NULL ? res->error : "no answer", -1, 0);
	} else if (res->status >= 500 || res->status == 429) {
		rw->stats.failed++;
		snprintf(why, sizeof why, "HTTP %ld", res->status);
		rewarm_report(rw, rf, WO_ORIGIN_ERROR, why, -1, 0);
	} else if (res->hit || res->warm_id == NULL ||
	    strcmp(res->warm_id, rf->id)) {
		/* A hit was the guard's at once: the origin was not asked. */
		if (!res->hit)
			guard_sample(rw, rf, NULL);
		rw->stats.not_warm++;
		/* Someone had it fetched again first, or the VCL refused. */
		rewarm_report(rw, rf, WO_FRESH,
		    "served from cache: not taken as a warm request", -1, 0);
	} else if (rw->verify == NULL || res->vxid == 0 || rw->closing) {
		guard_sample(rw, rf, NULL);
		count_refresh(rw, rf, VTIM_real() - rf->task->queued);
		rewarm_report(rw, rf, WO_CACHED, NULL, -1, 0);
	} else {
		rf->latency = VTIM_real() - rf->task->queued;
		wq_done(rw->queue, rf->task);
		rf->task = NULL;
		VTAILQ_INSERT_TAIL(&rw->checking, rf, list);
		/* Called back at once (rf gone) when the log came first. */
		w = wv_wait(rw->verify, res->vxid, rewarm_on_logged, rf);
		if (w != NULL)
			rf->wait = w;
		rewarm_pump(rw);
		return;
	}
	wq_done(rw->queue, rf->task);
	rewarm_fetch_free(rf);
	rewarm_pump(rw);
}

/* A task that ends before any fetch: said, and done with. */
static void
not_started(struct rewarm *rw, struct rewarm_fetch *rf, const char *why)
{
	rewarm_report(rw, rf, WO_FAILED, why, -1, 0);
	wq_done(rw->queue, rf->task);
	rewarm_fetch_free(rf);
}

/*
 * Someone else's fetch brought it back while it waited: a second fetch
 * would cost the origin and tell nothing new.
 */
static int
recached(struct rewarm *rw, struct rewarm_fetch *rf)
{
	const struct warm_task *t = rf->task;

	if (rf->trigger != RW_INVALIDATED || rw->recached == NULL ||
	    rw->telling ||
	    !rw->recached(rw->recached_priv, t->host, t->url, t->variant))
		return (0);
	rw->stats.recached++;
	rewarm_report(rw, rf, WO_FRESH,
	    "cached again since its loss, by another fetch: not fetched", -1,
	    0);
	wq_done(rw->queue, rf->task);
	rewarm_fetch_free(rf);
	return (1);
}

static void
rewarm_start(struct rewarm *rw, struct warm_task *t)
{
	struct rewarm_fetch *rf;
	struct fetch_req rq;
	char err[256];
	int n;

	ALLOC_OBJ(rf, REWARM_FETCH_MAGIC);
	AN(rf);
	rf->rw = rw;
	rf->task = t;
	rf->trigger = TASK_KIND(t->trigger);
	rf->key = TASK_KEY(t->trigger);
	rf->host = str_dup(t->host);
	rf->path = str_dup(t->url);
	rf->variant = str_dup(t->variant);
	rf->attempts = t->attempts + 1;
	rf->lost = t->queued;
	rf->popped = VTIM_real();
	if (recached(rw, rf))
		return;
	memset(&rq, 0, sizeof rq);
	/* Slot 0 is the warm header, the variant's headers follow. */
	n = variant_replay(t->variant, rw->dims(rw->dims_priv), rf->hdrbuf, 1,
	    FETCH_MAX_HDRS, err, sizeof err);
	/* A path, always: "@host/x" would make the node part a user name. */
	if (n < 0 || t->url[0] != '/' ||
	    (size_t)snprintf(rf->url, sizeof rf->url, "%s%s", rw->node,
	        t->url) >= sizeof rf->url) {
		rw->stats.unreplayable++;
		not_started(rw, rf,
		    "its variant cannot be replayed yet (the VCL's "
		    "declarations are not known)");
		return;
	}
	snprintf(rf->id, sizeof rf->id, "rw-%ju", (uintmax_t)++rw->seq);
	strcpy(rf->hdrbuf[0], "Stoke-Warm: ");
	if (warm_sig_header(rw->key, rw->keylen, "GET", t->host, t->url,
	        (int64_t)VTIM_real(), rf->id, rf->hdrbuf[0] + 12,
	        HDR_BUF - 12) != 0) {
		rw->stats.failed++;
		not_started(rw, rf, "the warm request could not be signed");
		return;
	}
	rq.url = rf->url;
	rq.host = t->host;
	rq.method = "GET";
	rq.timeout = 30;
	/* The log will say how long the origin itself took. */
	rq.latency_later = rw->verify != NULL;
	for (rq.nhdr = 0; rq.nhdr < (unsigned)n; rq.nhdr++)
		rq.hdr[rq.nhdr] = rf->hdrbuf[rq.nhdr];
	if (fetcher_submit(rw->fetcher, &rq, rewarm_on_done, rf) != 0) {
		rw->stats.failed++;
		not_started(rw, rf, "the fetch could not be started");
	}
}

static void
rewarm_pump(struct rewarm *rw)
{
	struct warm_task *t;

	while (!rw->closing && wq_inflight(rw->queue) < rw->concurrency &&
	    (t = wq_pop(rw->queue)) != NULL)
		rewarm_start(rw, t);
}

int
rewarm_object(struct rewarm *rw, const char *host, const char *url,
    const char *variant, double priority, double since,
    enum rewarm_trigger trigger, uint64_t key)
{
	int r;

	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	AZ(key >> 63);
	r = wq_push(rw->queue, host, url, variant, priority, since,
	    TASK_TRIGGER(trigger, key));
	if (r > 0) {
		/* Seeing the loss: how late the log was read. */
		log_debug("rewarm", "queued %s%s [%s] %.2f ms after its loss",
		    host, url, variant, (VTIM_real() - since) * 1e3);
		rw->stats.queued++;
		if (trigger == RW_EXPIRING)
			rw->stats.expiring++;
	} else if (r == 0)
		rw->stats.duplicates++;
	else
		rw->stats.dropped++;
	rw->telling = 1;
	rewarm_pump(rw);
	rw->telling = 0;
	return (r);
}

struct rewarm *
rewarm_new(struct event_base *eb, const struct rewarm_conf *c,
    rewarm_dims_f *dims, void *dims_priv)
{
	struct rewarm *rw;

	AN(c);
	AN(c->node);
	AN(dims);
	assert(c->keylen <= WARM_KEY_MAX);
	rw = calloc(1, sizeof *rw);
	AN(rw);
	rw->magic = REWARM_MAGIC;
	rw->node = strdup(c->node);
	AN(rw->node);
	/* "http://host:port/" and "http://host:port" alike. */
	if (rw->node[0] != '\0' && rw->node[strlen(rw->node) - 1] == '/')
		rw->node[strlen(rw->node) - 1] = '\0';
	memcpy(rw->key, c->key, c->keylen);
	rw->keylen = c->keylen;
	rw->concurrency = c->concurrency > 0 ? c->concurrency : 8;
	rw->max_attempts = c->max_attempts > 0 ? c->max_attempts : 3;
	rw->fetcher = fetcher_new(eb, rw->concurrency);
	rw->guard = c->guard;
	if (c->guard != NULL)
		fetcher_set_guard(rw->fetcher, c->guard);
	rw->queue = wq_new(c->queue_max > 0 ? c->queue_max : 100000);
	rw->dims = dims;
	rw->dims_priv = dims_priv;
	VTAILQ_INIT(&rw->checking);
	return (rw);
}

void
rewarm_free(struct rewarm **rwp)
{
	struct rewarm_fetch *rf;
	struct rewarm *rw;

	AN(rwp);
	rw = *rwp;
	*rwp = NULL;
	if (rw == NULL)
		return;
	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	/* Fetches in flight are stopped, and start nothing new. */
	rw->closing = 1;
	fetcher_free(&rw->fetcher);
	while ((rf = VTAILQ_FIRST(&rw->checking)) != NULL) {
		VTAILQ_REMOVE(&rw->checking, rf, list);
		if (rf->wait != NULL)
			wv_cancel(rw->verify, rf->wait);
		rewarm_fetch_free(rf);
	}
	wq_free(&rw->queue);
	memset(rw->key, 0, sizeof rw->key);
	free(rw->node);
	rw->magic = 0;
	free(rw);
}

const struct rewarm_stats *
rewarm_stats(const struct rewarm *rw)
{
	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	return (&rw->stats);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

unsigned
rewarm_latency(const struct rewarm *rw, double *p50, double *p99, double *max)
{
	double *v;
	unsigned n;

	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	n = rw->nlat;
	if (n == 0)
		return (0);
	v = malloc(n * sizeof *v);
	AN(v);
	memcpy(v, rw->lat, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_double);
	*p50 = v[(n - 1) / 2];
	*p99 = v[(size_t)((n - 1) * 0.99)];
	*max = v[n - 1];
	free(v);
	return (n);
}

size_t
rewarm_queue_length(const struct rewarm *rw)
{
	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	return (wq_len(rw->queue));
}

void
rewarm_set_results(struct rewarm *rw, rewarm_result_f *fn, void *priv)
{
	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	rw->result_cb = fn;
	rw->result_priv = priv;
}

void
rewarm_set_recached(struct rewarm *rw, rewarm_recached_f *fn, void *priv)
{
	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	rw->recached = fn;
	rw->recached_priv = priv;
}

void
rewarm_set_verify(struct rewarm *rw, struct warm_verify *wv)
{
	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	rw->verify = wv;
}

size_t
rewarm_inflight(const struct rewarm *rw)
{
	CHECK_OBJ_NOTNULL(rw, REWARM_MAGIC);
	return (wq_inflight(rw->queue));
}
