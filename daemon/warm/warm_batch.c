/*
 * Requests are (URL, node) pairs taken in order; failures worth another
 * try (5xx, 429, timeouts) go again before anything new, when the
 * fetcher's origin guard lets them.  A request's answer is judged from
 * what Varnish sent back (warm_verdict.c), then, with the node's log,
 * from what Varnish did (refine()).
 */

#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "fetch/fetch_kept.h"
#include "proto/warm_sig.h"
#include "warm_batch.h"
#include "warm_url.h"
#include "warm_verify.h"

#define HDR_BUF (WARM_HDR_MAX + 16)

struct wb_url {
	char *url;
	UT_hash_handle hh;
};

/* The text buffers come last: wb_req_new() clears what is before. */
struct wb_req {
	unsigned magic;
#define WB_REQ_MAGIC 0x77a1c0d2
	struct warm_batch *job; /* NULL: the job was freed meanwhile */
	size_t url; /* index in job->urls */
	unsigned node;
	unsigned attempts;
	struct wv_wait *wait;
	/* The guard waits for the origin's latency (latency_later), from
	 * the log when owed is set. */
	unsigned later, owed;
	double started; /* fetch_result.started */
	char *headers; /* out.headers */
	VTAILQ_ENTRY(wb_req) list;
	/* Judged from the answer, waiting for the log (out.reason: why). */
	struct wb_result out;

	char id[WARM_ID_MAX + 1];
	char target[4096];
	char host[1024];
	char path[3072];
	char sig[HDR_BUF];
	char why[512];
};

struct warm_batch {
	unsigned magic;
#define WARM_JOB_MAGIC 0x77a1c0d1
	struct fetcher *f;
	struct origin_guard *guard; /* the fetcher's, or NULL */
	struct wb_conf conf;
	char key[WARM_KEY_MAX + 1];
	wb_result_f *result_cb;
	wb_end_f *end_cb;
	void *priv;
	struct wb_url *set;
	const char **urls; /* the set's, or wb_add_listed()'s caller's */
	size_t nurl, cap;
	size_t next; /* the next (URL, node) pair to start */
	unsigned inflight, verifying;
	unsigned closed, ended;
	VTAILQ_HEAD(, wb_req) active; /* in flight */
	VTAILQ_HEAD(, wb_req) checking; /* answered, waiting for the log */
	VTAILQ_HEAD(, wb_req) again; /* to be tried again first */
	wb_low_f *low_cb;
	void *low_priv;
	unsigned low, in_low;
	uint64_t seq;
	double started;
	struct wb_progress prog;
};

/* Not calloc(): 9 kB of text a request, each written before it is read. */
static struct wb_req *
wb_req_new(struct warm_batch *j)
{
	struct wb_req *r;

	r = malloc(sizeof *r);
	AN(r);
	memset(r, 0, offsetof(struct wb_req, id));
	r->magic = WB_REQ_MAGIC;
	r->job = j;
	r->id[0] = r->target[0] = r->host[0] = r->path[0] = '\0';
	r->sig[0] = r->why[0] = '\0';
	return (r);
}

static void
wb_req_free(struct wb_req *r)
{
	CHECK_OBJ_NOTNULL(r, WB_REQ_MAGIC);
	free(r->headers);
	r->magic = 0;
	free(r);
}

static unsigned
nodes(const struct warm_batch *j)
{
	return (j->conf.nnode > 0 ? j->conf.nnode : 1);
}

/* What came of one request, as far as its answer tells. */
static void
judge(const struct warm_batch *j, const struct wb_req *r,
    const struct fetch_result *res, struct wb_result *out, char *why,
    size_t whylen)
{
	out->status = res->status;
	out->outcome = warm_verdict(res, j->conf.keylen > 0 ? r->id : NULL,
	    &out->ttl, why, whylen);
	out->reason = why[0] != '\0' ? why : NULL;
}

static int
retryable(const struct fetch_result *res)
{
	return (!res->ok || res->status >= 500 || res->status == 429);
}

static void wb_pump(struct warm_batch *);

static void
maybe_end(struct warm_batch *j)
{
	if (j->closed && !j->ended && j->inflight == 0 && j->verifying == 0 &&
	    VTAILQ_EMPTY(&j->again) && j->next == j->nurl * nodes(j)) {
		j->ended = 1;
		if (j->end_cb != NULL)
			j->end_cb(j->priv);
	}
}

static void
wb_report(struct warm_batch *j, struct wb_req *r, struct wb_result *out,
    const char *why)
{
	(void)why;
	j->prog.done++;
	j->prog.outcome[out->outcome]++;
	if (out->verified)
		j->prog.verified++;
	if (j->result_cb != NULL)
		j->result_cb(j->priv, out);
	wb_req_free(r);
	wb_pump(j);
	maybe_end(j);
}

/*
 * What Varnish's log adds to the answer: a pass is never cached, and a
 * miss shows what the origin sent and what Varnish kept of it (the TTL
 * after the VCL, or nothing, and why).
 */
static void
refine(struct wb_result *o, char *why, size_t whylen, const struct wv_txn *t,
    unsigned signed_req)
{
	const char *cc = t->cache_control;

	o->verified = 1;
	switch (t->handling) {
	case EV_HIT:
		if (!signed_req) {
			o->outcome = WO_FRESH;
			o->ttl = t->ttl_left;
			o->reason = NULL;
		}
		return;
	case EV_PASS:
		o->outcome = WO_UNCACHEABLE;
		snprintf(why, whylen, "passed by the VCL: never cached");
		o->reason = why;
		o->ttl = -1;
		return;
	case EV_MISS:
		break;
	default:
		return;
	}
	if (!t->fetched)
		return;
	o->reason = why;
	o->ttl = -1;
	if (t->fetch_failed) {
		o->outcome = WO_ORIGIN_ERROR;
		snprintf(why, whylen, "backend fetch failed");
	} else if (t->status >= 400) {
		o->outcome = WO_ORIGIN_ERROR;
		snprintf(why, whylen, "HTTP %ld from the origin", t->status);
	} else if (t->cacheable && t->ttl > 0) {
		o->outcome = WO_CACHED;
		o->ttl = t->ttl;
		o->reason = NULL;
	} else {
		o->outcome = WO_UNCACHEABLE;
		if (t->set_cookie)
			snprintf(why, whylen, "Set-Cookie");
		else if (warm_cc_uncacheable(cc))
			snprintf(why, whylen, "Cache-Control: %s", cc);
		else if (t->ttl <= 0 || warm_cc_ttl(cc) == 0)
			snprintf(why, whylen, "zero TTL");
		else
			snprintf(why, whylen,
			    "made uncacheable by the VCL (hit-for-miss)");
	}
}

static void
wb_on_logged(void *priv, const struct wv_txn *t)
{
	struct wb_req *r;
	struct warm_batch *j;

	CAST_OBJ_NOTNULL(r, priv, WB_REQ_MAGIC);
	j = r->job;
	CHECK_OBJ_NOTNULL(j, WARM_JOB_MAGIC);
	VTAILQ_REMOVE(&j->checking, r, list);
	assert(j->verifying > 0);
	j->verifying--;
	r->wait = NULL;
	if (r->owed)
		wv_guard_sample(j->guard, r->host, r->started,
		    r->out.ttfb > 0 ? r->out.ttfb : r->out.time, t);
	if (t != NULL)
		refine(&r->out, r->why, sizeof r->why, t, j->conf.keylen > 0);
	wb_report(j, r, &r->out, r->why);
}

static void
wb_on_done(void *priv, const struct fetch_result *res)
{
	struct wb_req *r;
	struct warm_verify *wv;
	struct wv_wait *w;
	struct warm_batch *j;
	struct wb_result out;
	char why[512];

	CAST_OBJ_NOTNULL(r, priv, WB_REQ_MAGIC);
	j = r->job;
	if (j == NULL) {
		wb_req_free(r);
		return;
	}
	CHECK_OBJ_NOTNULL(j, WARM_JOB_MAGIC);
	VTAILQ_REMOVE(&j->active, r, list);
	j->inflight--;
	r->attempts++;
	if (retryable(res) && r->attempts < j->conf.max_attempts) {
		VTAILQ_INSERT_TAIL(&j->again, r, list);
		wb_pump(j);
		return;
	}
	memset(&out, 0, sizeof out);
	out.url = j->urls[r->url];
	out.node = j->conf.nnode > 0 ? j->conf.nodes[r->node] : NULL;
	out.time = res->time;
	out.ttfb = res->ttfb;
	out.attempts = r->attempts;
	if (res->kept != NULL && !j->conf.no_headers)
		r->headers = fetch_kept_json(res->kept);
	out.headers = r->headers;
	judge(j, r, res, &out, why, sizeof why);
	wv = j->conf.nnode > 0 ? j->conf.verify[r->node] : NULL;
	/* A failure or a hit the guard judged on the answer. */
	r->owed = r->later && !retryable(res) && !res->hit;
	r->started = res->started;
	if (wv == NULL || !res->ok || res->vxid == 0) {
		if (r->owed)
			wv_guard_sample(j->guard, r->host, r->started,
			    res->ttfb > 0 ? res->ttfb : res->time, NULL);
		wb_report(j, r, &out, why);
		return;
	}
	/* The answer is in: the log says the rest. */
	r->out = out;
	snprintf(r->why, sizeof r->why, "%s", why);
	r->out.reason = out.reason != NULL ? r->why : NULL;
	VTAILQ_INSERT_TAIL(&j->checking, r, list);
	j->verifying++;
	/* Called back at once (r gone) when the log came first. */
	w = wv_wait(wv, res->vxid, wb_on_logged, r);
	if (w != NULL)
		r->wait = w;
	wb_pump(j);
}

/* Sends r (again); 0, or -1 when it cannot even be sent. */
static int
send_req(struct warm_batch *j, struct wb_req *r)
{
	struct fetch_req rq;

	memset(&rq, 0, sizeof rq);
	rq.url = r->target;
	rq.host = r->host;
	rq.method = j->conf.method;
	rq.timeout = j->conf.timeout;
	memcpy(rq.hdr, j->conf.hdrs, j->conf.nhdr * sizeof rq.hdr[0]);
	rq.nhdr = j->conf.nhdr;
	/* The log will say how long the origin itself took. */
	r->later = j->guard != NULL && j->conf.nnode > 0 &&
	    j->conf.verify[r->node] != NULL;
	rq.latency_later = r->later;
	rq.no_kept = j->conf.no_headers;
	if (j->conf.keylen > 0) {
		/* A fresh id and time for every try: ids are not reused. */
		snprintf(r->id, sizeof r->id, "job-%ld-%ju", (long)getpid(),
		    (uintmax_t)++j->seq);
		strcpy(r->sig, "Stoke-Warm: ");
		if (warm_sig_header(j->key, j->conf.keylen, j->conf.method,
		        r->host, r->path, (int64_t)VTIM_real(), r->id,
		        r->sig + 12, sizeof r->sig - 12) != 0)
			return (-1);
		rq.hdr[rq.nhdr++] = r->sig;
	}
	if (fetcher_submit(j->f, &rq, wb_on_done, r) != 0)
		return (-1);
	VTAILQ_INSERT_TAIL(&j->active, r, list);
	j->inflight++;
	return (0);
}

static void
refused(struct warm_batch *j, struct wb_req *r, const char *why)
{
	struct wb_result out;

	memset(&out, 0, sizeof out);
	out.url = j->urls[r->url];
	out.node = j->conf.nnode > 0 ? j->conf.nodes[r->node] : NULL;
	out.outcome = WO_FAILED;
	out.reason = why;
	out.ttl = -1;
	out.attempts = r->attempts;
	j->prog.done++;
	j->prog.outcome[WO_FAILED]++;
	if (j->result_cb != NULL)
		j->result_cb(j->priv, &out);
	wb_req_free(r);
}

/* Starts what the concurrency allows, retries first. */
static void
wb_start(struct warm_batch *j)
{
	struct wb_req *r;

	while (j->inflight < j->conf.concurrency) {
		r = VTAILQ_FIRST(&j->again);
		if (r != NULL) {
			VTAILQ_REMOVE(&j->again, r, list);
		} else if (j->next < j->nurl * nodes(j)) {
			r = wb_req_new(j);
			r->url = j->next / nodes(j);
			r->node = (unsigned)(j->next % nodes(j));
			j->next++;
			if (warm_url_split(j->urls[r->url],
			        j->conf.nnode > 0 ? j->conf.nodes[r->node]
			                          : NULL,
			        r->target, sizeof r->target, r->host,
			        sizeof r->host, r->path, sizeof r->path) != 0) {
				refused(j, r, "URL too long or malformed");
				continue;
			}
		} else {
			break;
		}
		if (send_req(j, r) != 0)
			refused(j, r, "cannot be sent");
	}
}

/*
 * Starts what it can; then, running low, asks for more (wb_set_low())
 * for as long as more comes and it is still low: what a take brings may
 * all start, or all be refused, at once, and leave it low again.
 */
static void
wb_pump(struct warm_batch *j)
{
	size_t had;

	for (;;) {
		wb_start(j);
		if (j->low_cb == NULL || j->closed || j->in_low ||
		    j->nurl * nodes(j) - j->next >= j->low)
			return;
		had = j->nurl;
		j->in_low = 1;
		j->low_cb(j->low_priv);
		j->in_low = 0;
		if (j->nurl == had)
			return;
	}
}

int
wb_url_ok(const char *url)
{
	return (url != NULL &&
	    (strncasecmp(url, "http://", 7) == 0 ||
	        strncasecmp(url, "https://", 8) == 0));
}

/* url, new to the batch, at the end of its list; then what it can go. */
static void
wb_list(struct warm_batch *j, const char *url)
{
	const char **a;

	if (j->nurl == j->cap) {
		j->cap = j->cap > 0 ? j->cap * 2 : 1024;
		a = realloc(j->urls, j->cap * sizeof *a);
		AN(a);
		j->urls = a;
	}
	j->urls[j->nurl++] = url;
	wb_pump(j);
}

int
wb_add(struct warm_batch *j, const char *url)
{
	struct wb_url *u;

	CHECK_OBJ_NOTNULL(j, WARM_JOB_MAGIC);
	assert(!j->closed);
	if (!wb_url_ok(url))
		return (-1);
	HASH_FIND_STR(j->set, url, u);
	if (u != NULL)
		return (0);
	u = calloc(1, sizeof *u);
	AN(u);
	u->url = strdup(url);
	AN(u->url);
	HASH_ADD_KEYPTR(hh, j->set, u->url, strlen(u->url), u);
	wb_list(j, u->url);
	return (1);
}

void
wb_add_listed(struct warm_batch *j, const char *url)
{
	CHECK_OBJ_NOTNULL(j, WARM_JOB_MAGIC);
	assert(!j->closed);
	assert(wb_url_ok(url));
	wb_list(j, url);
}

void
wb_set_low(struct warm_batch *j, unsigned low, wb_low_f *cb, void *priv)
{
	CHECK_OBJ_NOTNULL(j, WARM_JOB_MAGIC);
	j->low = low;
	j->low_cb = cb;
	j->low_priv = priv;
}

void
wb_kick(struct warm_batch *j)
{
	CHECK_OBJ_NOTNULL(j, WARM_JOB_MAGIC);
	assert(!j->in_low);
	wb_pump(j);
}

void
wb_close(struct warm_batch *j)
{
	CHECK_OBJ_NOTNULL(j, WARM_JOB_MAGIC);
	j->closed = 1;
	maybe_end(j);
}

void
wb_progress(const struct warm_batch *j, struct wb_progress *p)
{
	CHECK_OBJ_NOTNULL(j, WARM_JOB_MAGIC);
	*p = j->prog;
	p->total = j->nurl * nodes(j);
	p->listing = !j->closed;
	p->elapsed = VTIM_real() - j->started;
	wb_progress_reckon(p);
}

void
wb_progress_reckon(struct wb_progress *p)
{
	AN(p);
	p->rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
	p->eta = (!p->listing && p->rate > 0)
	    ? (double)(p->total - p->done) / p->rate
	    : -1;
}

void
wb_progress_add(struct wb_progress *sum, const struct wb_progress *p)
{
	unsigned k;

	AN(sum);
	AN(p);
	sum->total += p->total;
	sum->done += p->done;
	for (k = 0; k < WO__MAX; k++)
		sum->outcome[k] += p->outcome[k];
	sum->verified += p->verified;
	sum->listing |= p->listing;
	if (p->elapsed > sum->elapsed)
		sum->elapsed = p->elapsed;
	wb_progress_reckon(sum);
}

struct warm_batch *
wb_new(struct fetcher *f, const struct wb_conf *c, wb_result_f *result_cb,
    wb_end_f *end_cb, void *priv)
{
	struct warm_batch *j;

	AN(f);
	AN(c);
	assert(c->nnode <= WB_MAX_NODES);
	assert(c->nhdr < FETCH_MAX_HDRS);
	assert(c->keylen <= WARM_KEY_MAX);
	j = calloc(1, sizeof *j);
	AN(j);
	j->magic = WARM_JOB_MAGIC;
	j->f = f;
	j->guard = fetcher_guard(f);
	j->conf = *c;
	if (c->keylen > 0)
		memcpy(j->key, c->key, c->keylen);
	j->conf.key = NULL;
	if (j->conf.method == NULL)
		j->conf.method = "GET";
	if (j->conf.concurrency == 0)
		j->conf.concurrency = 8;
	if (j->conf.timeout <= 0)
		j->conf.timeout = 30;
	if (j->conf.max_attempts == 0)
		j->conf.max_attempts = 2;
	j->result_cb = result_cb;
	j->end_cb = end_cb;
	j->priv = priv;
	VTAILQ_INIT(&j->active);
	VTAILQ_INIT(&j->again);
	VTAILQ_INIT(&j->checking);
	j->started = VTIM_real();
	return (j);
}

void
wb_free(struct warm_batch **jp)
{
	struct warm_batch *j;
	struct wb_url *u, *t;
	struct wb_req *r;

	AN(jp);
	j = *jp;
	*jp = NULL;
	if (j == NULL)
		return;
	CHECK_OBJ_NOTNULL(j, WARM_JOB_MAGIC);
	/* In the fetcher's hands: each frees itself when it comes back. */
	VTAILQ_FOREACH(r, &j->active, list)
	r->job = NULL;
	while ((r = VTAILQ_FIRST(&j->again)) != NULL) {
		VTAILQ_REMOVE(&j->again, r, list);
		wb_req_free(r);
	}
	while ((r = VTAILQ_FIRST(&j->checking)) != NULL) {
		VTAILQ_REMOVE(&j->checking, r, list);
		if (r->wait != NULL)
			wv_cancel(j->conf.verify[r->node], r->wait);
		wb_req_free(r);
	}
	HASH_ITER(hh, j->set, u, t)
	{
		HASH_DEL(j->set, u);
		free(u->url);
		free(u);
	}
	free(j->urls);
	memset(j->key, 0, sizeof j->key);
	j->magic = 0;
	free(j);
}
