/*
 * One purge: a result per item and node, filled as the fetcher
 * answers, handed over once the last one is in.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "warm/warm_url.h"
#include "fetcher.h"
#include "purger.h"

#define PURGE_TARGET_MAX 4096
#define PURGE_HOST_MAX 512
#define PURGE_ERROR_MAX 256

/* One request: an item to one node. */
struct purge_fetch {
	unsigned magic;
#define PURGE_FETCH_MAGIC 0x7b0e5a02
	struct purge *p;
	unsigned idx; /* its result */
	char error[PURGE_ERROR_MAX];
};

struct purge {
	unsigned magic;
#define PURGE_MAGIC 0x7b0e5a01
	purge_done_f *done;
	void *priv;
	char **str; /* the copies the results point into */
	unsigned nstr;
	struct purge_result *res;
	struct purge_fetch *pf;
	unsigned n, left;
};

static const char *
purge_copy(struct purge *p, const char *s)
{
	AN(s);
	p->str[p->nstr] = strdup(s);
	AN(p->str[p->nstr]);
	return (p->str[p->nstr++]);
}

static void
purge_free(struct purge **pp)
{
	struct purge *p;
	unsigned u;

	TAKE_OBJ_NOTNULL(p, pp, PURGE_MAGIC);
	for (u = 0; u < p->nstr; u++)
		free(p->str[u]);
	free(p->str);
	free(p->res);
	free(p->pf);
	FREE_OBJ(p);
}

static void
purge_deliver(struct purge *p)
{
	CHECK_OBJ_NOTNULL(p, PURGE_MAGIC);
	AZ(p->left);
	p->done(p->priv, p->res, p->n);
	purge_free(&p);
}

/* Every request failed to start: said from the loop, as promised. */
static void
purge_deliver_cb(evutil_socket_t fd, short what, void *priv)
{
	struct purge *p;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(p, priv, PURGE_MAGIC);
	purge_deliver(p);
}

/* "Invalidated 3 objects", as vcl/shopware6.vcl answers an xkey purge. */
static long
purge_objects(const char *reason)
{
	long n;
	char tail[2];

	if (reason == NULL ||
	    sscanf(reason, "Invalidated %ld object%1s", &n, tail) != 2 || n < 0)
		return (-1);
	return (n);
}

static void
purge_fetched(void *priv, const struct fetch_result *fr)
{
	struct purge_fetch *pf;
	struct purge_result *r;
	struct purge *p;

	CAST_OBJ_NOTNULL(pf, priv, PURGE_FETCH_MAGIC);
	p = pf->p;
	CHECK_OBJ_NOTNULL(p, PURGE_MAGIC);
	r = &p->res[pf->idx];
	r->status = fr->ok ? fr->status : 0;
	r->ok = fr->ok && fr->status >= 200 && fr->status < 300;
	if (!fr->ok)
		snprintf(pf->error, sizeof pf->error, "%s",
		    fr->error != NULL ? fr->error : "no answer");
	else if (!r->ok)
		snprintf(pf->error, sizeof pf->error,
		    "the node answered %ld %s", fr->status,
		    fr->reason != NULL ? fr->reason : "");
	r->error = r->ok ? NULL : pf->error;
	if (r->ok && r->kind == PURGE_TAG)
		r->objects = purge_objects(fr->reason);
	assert(p->left > 0);
	if (--p->left == 0)
		purge_deliver(p);
}

/* One item to one node: its request started, or its result failed. */
static void
purge_start(struct fetcher *f, struct purge *p, unsigned idx, const char *url,
    const char *tag, const struct purge_req *rq)
{
	struct purge_fetch *pf = &p->pf[idx];
	struct purge_result *r = &p->res[idx];
	char target[PURGE_TARGET_MAX], path[PURGE_TARGET_MAX];
	char host[PURGE_HOST_MAX], hdr[PURGE_HOST_MAX];
	struct fetch_req fq;
	int bad;

	INIT_OBJ(pf, PURGE_FETCH_MAGIC);
	pf->p = p;
	pf->idx = idx;
	memset(&fq, 0, sizeof fq);
	fq.method = "PURGE";
	fq.timeout = rq->timeout;
	fq.url = target;
	fq.host = host;
	if (url != NULL) {
		/* To the node, with the URL's own Host. */
		bad = warm_url_split(url, r->node, target, sizeof target, host,
		    sizeof host, path, sizeof path);
	} else {
		bad = (size_t)snprintf(target, sizeof target, "%s/", r->node) >=
		        sizeof target ||
		    (size_t)snprintf(host, sizeof host, "%s", rq->host) >=
		        sizeof host ||
		    (size_t)snprintf(hdr, sizeof hdr, "%s: %s",
		        rq->hard ? "xkey-hard" : "xkey", tag) >= sizeof hdr;
		fq.hdr[fq.nhdr++] = hdr;
	}
	if (!bad && fetcher_submit(f, &fq, purge_fetched, pf) == 0)
		return;
	snprintf(pf->error, sizeof pf->error,
	    "the request could not be made (too long for the node?)");
	r->error = pf->error;
	assert(p->left > 0);
	p->left--;
}

void
purge_send(struct event_base *eb, struct fetcher *f, const struct purge_req *rq,
    purge_done_f *done, void *priv)
{
	struct purge_result *r;
	const char **node, *subject;
	struct purge *p;
	unsigned i, k, idx = 0;

	AN(eb);
	AN(f);
	AN(rq);
	AN(done);
	assert(rq->nnode > 0);
	assert(rq->nurl + rq->ntag > 0);
	assert(rq->ntag == 0 || rq->host != NULL);
	ALLOC_OBJ(p, PURGE_MAGIC);
	AN(p);
	p->done = done;
	p->priv = priv;
	p->n = p->left = (rq->nurl + rq->ntag) * rq->nnode;
	p->res = calloc(p->n, sizeof *p->res);
	p->pf = calloc(p->n, sizeof *p->pf);
	p->str = calloc(rq->nnode + rq->nurl + rq->ntag, sizeof *p->str);
	node = calloc(rq->nnode, sizeof *node);
	AN(p->res);
	AN(p->pf);
	AN(p->str);
	AN(node);
	for (k = 0; k < rq->nnode; k++)
		node[k] = purge_copy(p, rq->node[k]);
	/* The results first, all of them: a fetch answers only later. */
	for (i = 0; i < rq->nurl + rq->ntag; i++) {
		subject = purge_copy(p,
		    i < rq->nurl ? rq->url[i] : rq->tag[i - rq->nurl]);
		for (k = 0; k < rq->nnode; k++) {
			r = &p->res[i * rq->nnode + k];
			r->node = node[k];
			r->kind = i < rq->nurl ? PURGE_URL : PURGE_TAG;
			r->subject = subject;
			r->objects = -1;
		}
	}
	for (i = 0; i < rq->nurl + rq->ntag; i++)
		for (k = 0; k < rq->nnode; k++, idx++)
			purge_start(f, p, idx, i < rq->nurl ? rq->url[i] : NULL,
			    i < rq->nurl ? NULL : rq->tag[i - rq->nurl], rq);
	free(node);
	if (p->left == 0)
		AZ(event_base_once(eb, -1, EV_TIMEOUT, purge_deliver_cb, p,
		    &(struct timeval){ 0, 0 }));
}
