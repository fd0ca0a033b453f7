/*
 * A sitemap task's life: begun from the loop (never inside the call that
 * starts it), read by one crawl, its URLs kept in the order the sitemap
 * lists them with a set beside to keep each once, and ended by one
 * statement whose answer ends the task.  The crawl is stopped as soon as
 * the plan's cap is passed: what is left is not read for nothing.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vsb.h"

#include "core/log.h"
#include "fetch/addr_policy.h"
#include "sitemap/sitemap_crawl.h"
#include "store/task_queue.h"
#include "sitemap_task.h"

/* Documents read for one tenant's job, at most: a shop's few sitemaps
 * and its indexes, with room to spare. */
#define SMT_MAX_SITEMAPS 200
#define SMT_ERR_LEN 512

enum smt_state {
	SMT_BEGIN, /* waiting for the loop */
	SMT_READING,
	SMT_WRITING, /* tq_expand() in flight */
	SMT_ENDED,
};

struct smt_url {
	char *url;
	UT_hash_handle hh;
};

struct sitemap_task {
	unsigned magic;
#define SITEMAP_TASK_MAGIC 0x2f61c0d1
	enum smt_state state;
	int closed;
	struct fetcher *f;
	struct task_queue *q;
	struct tq_task *t;
	int64_t job; /* t's, for what is said after t is gone */
	struct event *begin;
	struct sitemap_crawl *crawl;
	char host[ADDR_HOST_MAX + 1]; /* the website's */
	/* The URLs kept, in order, and the set of them. */
	char **url;
	unsigned nurl, lurl;
	struct smt_url *seen;
	size_t foreign; /* on another host than the website's */
	unsigned capped; /* more URLs than the plan allows */
	sitemap_task_end_f *end;
	void *end_priv;
};

static void
smt_end(struct sitemap_task *st)
{
	st->state = SMT_ENDED;
	if (!st->closed)
		st->end(st->end_priv, st);
}

/*--------------------------------------------------------------------
 * The end, written
 */

static void
smt_on_expanded(void *priv, const struct tq_expanded *x, const char *err)
{
	struct sitemap_task *st;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	assert(st->state == SMT_WRITING);
	/* The queue has let go of it. */
	st->t = NULL;
	if (x != NULL && !x->ours)
		log_warning("worker",
		    "job %jd: the sitemap task's lease ran out; another "
		    "worker reads the sitemap again",
		    (intmax_t)st->job);
	else if (x != NULL && x->queued > 0)
		log_info("worker", "job %jd: %u warm tasks queued",
		    (intmax_t)st->job, x->queued);
	smt_end(st);
}

/* The job's end of it: URLs, or an error; notes either way. */
static void
smt_write(struct sitemap_task *st, const char *error, const char *notes)
{
	st->state = SMT_WRITING;
	tq_expand(st->q, st->t, (const char *const *)st->url, st->nurl, error,
	    notes, smt_on_expanded, st);
}

/*--------------------------------------------------------------------
 * The crawl
 */

static void
smt_on_url(void *priv, const char *url, double priority)
{
	struct sitemap_task *st;
	struct smt_url *s;
	struct addr_url u;
	const char *why;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	(void)priority; /* tenants' tasks share the queue as equals */
	if (addr_url_parse(url, &u, &why) != 0 || strcmp(u.host, st->host)) {
		st->foreign++;
		return;
	}
	HASH_FIND_STR(st->seen, url, s);
	if (s != NULL)
		return;
	if (st->nurl == st->t->max_urls) {
		st->capped = 1;
		sc_stop(st->crawl);
		return;
	}
	if (st->nurl == st->lurl) {
		st->lurl = st->lurl ? st->lurl * 2 : 1024;
		st->url = realloc(st->url, st->lurl * sizeof *st->url);
		AN(st->url);
	}
	s = calloc(1, sizeof *s);
	AN(s);
	s->url = strdup(url);
	AN(s->url);
	HASH_ADD_KEYPTR(hh, st->seen, s->url, strlen(s->url), s);
	/* The set's string: freed with the set. */
	st->url[st->nurl++] = s->url;
}

/* What the owner of the job is told of the sitemap, besides its URLs. */
static void
smt_notes(const struct sitemap_task *st, const struct sc_stats *ss,
    struct vsb *vsb)
{
	size_t malformed;

	VSB_printf(vsb, "%s: %u sitemap%s read, %u URL%s", st->t->url,
	    ss->sitemaps, ss->sitemaps == 1 ? "" : "s", st->nurl,
	    st->nurl == 1 ? "" : "s");
	if (ss->foreign + st->foreign > 0)
		VSB_printf(vsb, "; %zu URLs on other hosts than %s left out",
		    ss->foreign + st->foreign, st->host);
	malformed = ss->rejected - ss->foreign - ss->too_deep;
	if (malformed > 0)
		VSB_printf(vsb, "; %zu malformed URLs left out", malformed);
	if (st->capped)
		VSB_printf(vsb,
		    "; capped at %u URLs, the plan's most for a job: the "
		    "sitemap lists more",
		    st->t->max_urls);
}

static void
smt_on_crawled(void *priv, const struct sc_stats *ss, const char *err)
{
	struct sitemap_task *st;
	char error[SMT_ERR_LEN];
	struct vsb *notes;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	assert(st->state == SMT_READING);
	error[0] = '\0';
	/* A sitemap that could not be read fails the job: warming a part
	 * of a site as if it were all of it would say it is warm. */
	if (err != NULL)
		snprintf(error, sizeof error, "%s", err);
	else if (ss->too_deep > 0)
		snprintf(error, sizeof error,
		    "sitemap indexes nested too deep: %u left out",
		    ss->too_deep);
	else if (st->nurl == 0)
		snprintf(error, sizeof error, "the sitemap lists no URL on %s",
		    st->host);
	notes = VSB_new_auto();
	AN(notes);
	smt_notes(st, ss, notes);
	AZ(VSB_finish(notes));
	if (error[0] != '\0')
		log_info("worker", "job %jd: %s (%s)", (intmax_t)st->job, error,
		    VSB_data(notes));
	smt_write(st, error[0] != '\0' ? error : NULL, VSB_data(notes));
	VSB_destroy(&notes);
}

static void
smt_on_note(void *priv, const char *msg)
{
	struct sitemap_task *st;

	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	log_debug("worker", "job %jd: %s", (intmax_t)st->job, msg);
}

static void
smt_begin(evutil_socket_t fd, short what, void *priv)
{
	struct sitemap_task *st;
	struct sc_conf c;
	struct addr_url b;
	char error[SMT_ERR_LEN];
	const char *why;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(st, priv, SITEMAP_TASK_MAGIC);
	assert(st->state == SMT_BEGIN);
	st->state = SMT_READING;
	if (st->t->attempts > SITEMAP_TASK_TRIES) {
		snprintf(error, sizeof error,
		    "%s: not read: its worker stopped each of %u times",
		    st->t->url, SITEMAP_TASK_TRIES);
		smt_write(st, error, NULL);
		return;
	}
	if (addr_url_parse(st->t->base_url, &b, &why) != 0) {
		snprintf(error, sizeof error, "the website's base_url: %s",
		    why);
		smt_write(st, error, NULL);
		return;
	}
	snprintf(st->host, sizeof st->host, "%s", b.host);
	memset(&c, 0, sizeof c);
	c.start = st->t->url;
	c.max_sitemaps = SMT_MAX_SITEMAPS;
	st->crawl =
	    sc_new(st->f, &c, smt_on_url, smt_on_note, smt_on_crawled, st);
	if (st->crawl == NULL) {
		snprintf(error, sizeof error, "%s: cannot be fetched",
		    st->t->url);
		smt_write(st, error, NULL);
	}
}

/*--------------------------------------------------------------------
 * sitemap_task.h
 */

struct sitemap_task *
sitemap_task_start(struct event_base *eb, struct fetcher *f,
    struct task_queue *q, struct tq_task *t, sitemap_task_end_f *end,
    void *priv)
{
	struct sitemap_task *st;

	AN(eb);
	AN(f);
	AN(q);
	CHECK_OBJ_NOTNULL(t, TQ_TASK_MAGIC);
	assert(t->kind == TQ_SITEMAP);
	AN(end);
	ALLOC_OBJ(st, SITEMAP_TASK_MAGIC);
	AN(st);
	st->f = f;
	st->q = q;
	st->t = t;
	st->job = t->job_id;
	st->end = end;
	st->end_priv = priv;
	st->begin = event_new(eb, -1, 0, smt_begin, st);
	AN(st->begin);
	event_active(st->begin, EV_TIMEOUT, 0);
	return (st);
}

void
sitemap_task_stop(struct sitemap_task *st)
{
	CHECK_OBJ_NOTNULL(st, SITEMAP_TASK_MAGIC);
	if (st->state != SMT_BEGIN && st->state != SMT_READING)
		return;
	/* Its end being written: the answer ends it. */
	(void)event_del(st->begin);
	sc_free(&st->crawl);
	tq_release(st->q, st->t);
	st->t = NULL;
	smt_end(st);
}

void
sitemap_task_close(struct sitemap_task *st)
{
	CHECK_OBJ_NOTNULL(st, SITEMAP_TASK_MAGIC);
	st->closed = 1;
	(void)event_del(st->begin);
	sc_free(&st->crawl);
}

void
sitemap_task_free(struct sitemap_task **stp)
{
	struct sitemap_task *st;
	struct smt_url *s, *s2;

	TAKE_OBJ_NOTNULL(st, stp, SITEMAP_TASK_MAGIC);
	/* Freed while its end is written, the answer would find it gone. */
	assert(st->state != SMT_WRITING || st->closed);
	sc_free(&st->crawl);
	event_free(st->begin);
	HASH_ITER(hh, st->seen, s, s2)
	{
		HASH_DEL(st->seen, s);
		free(s->url);
		free(s);
	}
	free(st->url);
	FREE_OBJ(st);
}
