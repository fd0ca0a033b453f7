/*
 * What the event streams say (api_events.h), read from the store
 * (store/event_store.h) on each of the stream's reads (api_sse.h).
 *
 * A stream remembers where it is: the last id it sent (a result's, an
 * invalidation's), and each job it told of with its counters as they
 * were told, so that progress is said when it changes and a job's end
 * exactly once.  A read that finds more rows than it takes goes on
 * at once, within the same read.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/log.h"
#include "store/event_store.h"
#include "api_answer.h"
#include "api_events.h"
#include "api_router.h"
#include "api_sse.h"
#include "api_tenant.h"

/* Rows one read takes, at most: a stream catching up reads again. */
#define API_EV_ROWS 500

static const struct api_answer api_ev_op_job = { .ok = 200,
	.what = "opening a job's events",
	.not_found = "no such job" };
static const struct api_answer api_ev_op_website = { .ok = 200,
	.what = "opening a website's events",
	.not_found = "no such website" };

/* A job told of, and what its last progress said. */
struct api_ev_job {
	int64_t id;
	json_int_t total, completed, failed;
	char status[16];
};

/* What one read found: */
enum api_ev_next {
	API_EV_IDLE, /* all of it: wait for the next */
	API_EV_MORE, /* not all: read again now */
	API_EV_END, /* the job ended: so does the stream */
};

/* One stream, of a job or of a website. */
struct api_ev {
	unsigned magic;
#define API_EV_MAGIC 0x55e0c002
	struct api_tenant *t;
	struct api_req *r; /* until the stream opens */
	struct api_sse_stream *s; /* once it is */
	int64_t user;
	char jti[40];
	int64_t job, website; /* a job's stream: both */
	/* The last result's or invalidation's id sent; -1: a website's
	 * stream before its first read (from the newest on). */
	int64_t after;
	/* A website's: every job above this one is read; -1 as after. */
	int64_t above_job;
	struct api_ev_job *told; /* not ended yet */
	unsigned ntold, ltold;
	int64_t *ids; /* told's ids, for the store */
};

static struct api_ev *
api_ev_new(struct api_req *r, void *priv)
{
	const struct api_caller *c = api_caller(r);
	struct api_ev *e;

	ALLOC_OBJ(e, API_EV_MAGIC);
	AN(e);
	CAST_OBJ_NOTNULL(e->t, priv, API_TENANT_MAGIC);
	AN(e->t->sse);
	e->r = r;
	e->user = c->user;
	snprintf(e->jti, sizeof e->jti, "%s", c->jti);
	return (e);
}

static void
api_ev_fini(void *priv)
{
	struct api_ev *e;

	CAST_OBJ_NOTNULL(e, priv, API_EV_MAGIC);
	free(e->told);
	free(e->ids);
	FREE_OBJ(e);
}

/*--------------------------------------------------------------------
 * What is said
 */

static void
api_ev_send(struct api_ev *e, const char *name, int64_t id, json_t *data)
{
	char ids[24], *text;

	snprintf(ids, sizeof ids, "%" PRId64, id);
	/* 15 digits, all a double holds for sure: PostgreSQL's reals
	 * (ttfb_ms...) come back as it wrote them, 0.369 not
	 * 0.36899999999999999. */
	text = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(15));
	AN(text);
	api_sse_event(e->s, name, id > 0 ? ids : NULL, text);
	free(text);
}

static int
api_ev_ended(json_t *job)
{
	const char *st = json_string_value(json_object_get(job, "status"));

	AN(st);
	return (strcmp(st, "queued") != 0 && strcmp(st, "running") != 0);
}

static struct api_ev_job *
api_ev_told(struct api_ev *e, int64_t id)
{
	unsigned u;

	for (u = 0; u < e->ntold; u++)
		if (e->told[u].id == id)
			return (&e->told[u]);
	if (e->ntold == e->ltold) {
		e->ltold = e->ltold > 0 ? e->ltold * 2 : 4;
		e->told = realloc(e->told, e->ltold * sizeof *e->told);
		e->ids = realloc(e->ids, e->ltold * sizeof *e->ids);
		AN(e->told);
		AN(e->ids);
	}
	memset(&e->told[e->ntold], 0, sizeof e->told[0]);
	e->told[e->ntold].id = id;
	e->told[e->ntold].total = -1;
	return (&e->told[e->ntold++]);
}

static void
api_ev_forget(struct api_ev *e, struct api_ev_job *j)
{
	assert(j >= e->told && j < e->told + e->ntold);
	*j = e->told[--e->ntold];
}

/*
 * The job's progress, if it changed since it was told (the rate and
 * the ETA change with the clock alone: they go with the counters);
 * then its end, if it ended, and it is forgotten.  1: it ended.
 */
static int
api_ev_job(struct api_ev *e, json_t *job)
{
	struct api_ev_job *j;
	json_int_t total, completed, failed;
	const char *status;
	json_t *p;
	int64_t id;

	id = json_integer_value(json_object_get(job, "id"));
	total = json_integer_value(json_object_get(job, "urls_total"));
	completed = json_integer_value(json_object_get(job, "urls_completed"));
	failed = json_integer_value(json_object_get(job, "urls_failed"));
	status = json_string_value(json_object_get(job, "status"));
	assert(id > 0);
	AN(status);
	j = api_ev_told(e, id);
	if (j->total != total || j->completed != completed ||
	    j->failed != failed || strcmp(j->status, status) != 0) {
		j->total = total;
		j->completed = completed;
		j->failed = failed;
		snprintf(j->status, sizeof j->status, "%s", status);
		p = json_pack("{s:I,s:I,s:I,s:I,s:O,s:O,s:s}", "job_id",
		    (json_int_t)id, "urls_total", total, "urls_completed",
		    completed, "urls_failed", failed, "rate",
		    json_object_get(job, "rate"), "eta_seconds",
		    json_object_get(job, "eta_seconds"), "status", status);
		AN(p);
		api_ev_send(e, "progress", 0, p);
		json_decref(p);
	}
	if (!api_ev_ended(job))
		return (0);
	api_ev_send(e, "end", 0, job);
	api_ev_forget(e, j);
	return (1);
}

/* A job's stream: {"job", "results", "more"}. */
static enum api_ev_next
api_ev_job_said(struct api_ev *e, json_t *doc)
{
	json_t *res, *job;
	size_t i;

	json_array_foreach(json_object_get(doc, "results"), i, res)
	{
		e->after = json_integer_value(json_object_get(res, "id"));
		assert(e->after > 0);
		api_ev_send(e, "result", e->after, res);
	}
	job = json_object_get(doc, "job");
	AN(job);
	if (json_is_true(json_object_get(doc, "more"))) {
		/* Its end waits for its last results. */
		if (!api_ev_ended(job))
			(void)api_ev_job(e, job);
		return (API_EV_MORE);
	}
	return (api_ev_job(e, job) ? API_EV_END : API_EV_IDLE);
}

/* A website's stream: {"jobs", "last_job", "invalidations",
 * "last_invalidation", "more"}. */
static enum api_ev_next
api_ev_website_said(struct api_ev *e, json_t *doc)
{
	json_t *v;
	size_t i;
	int64_t id;
	char ids[24];

	if (e->after < 0) {
		/* From the newest on: the id to come back with, before any
		 * invalidation gives one. */
		e->after = json_integer_value(
		    json_object_get(doc, "last_invalidation"));
		snprintf(ids, sizeof ids, "%" PRId64, e->after);
		api_sse_id(e->s, ids);
	}
	json_array_foreach(json_object_get(doc, "invalidations"), i, v)
	{
		e->after = json_integer_value(json_object_get(v, "id"));
		assert(e->after > 0);
		api_ev_send(e, "invalidation", e->after, v);
	}
	json_array_foreach(json_object_get(doc, "jobs"), i, v)
	{
		id = json_integer_value(json_object_get(v, "id"));
		if (id > e->above_job && e->above_job >= 0)
			e->above_job = id;
		(void)api_ev_job(e, v);
	}
	if (e->above_job < 0)
		e->above_job =
		    json_integer_value(json_object_get(doc, "last_job"));
	return (json_is_true(json_object_get(doc, "more")) ? API_EV_MORE
	                                                   : API_EV_IDLE);
}

static enum api_ev_next
api_ev_said(struct api_ev *e, const char *json)
{
	enum api_ev_next next;
	json_t *doc;

	AN(json);
	doc = json_loads(json, 0, NULL);
	AN(doc);
	next =
	    e->job > 0 ? api_ev_job_said(e, doc) : api_ev_website_said(e, doc);
	json_decref(doc);
	return (next);
}

/*--------------------------------------------------------------------
 * Reading
 */

static as_done_f api_ev_read_done;

static int
api_ev_ask(struct api_ev *e, as_done_f *cb, const char **err)
{
	struct es_website_at at;
	unsigned u;

	if (e->job > 0)
		return (es_job(e->t->pool, e->user, e->jti, e->job, e->after,
		    API_EV_ROWS, cb, e, err));
	for (u = 0; u < e->ntold; u++)
		e->ids[u] = e->told[u].id;
	memset(&at, 0, sizeof at);
	at.after = e->after;
	at.above_job = e->above_job;
	at.tracked = e->ids;
	at.ntracked = e->ntold;
	at.limit = API_EV_ROWS;
	return (es_website(e->t->pool, e->user, e->jti, e->website, &at, cb, e,
	    err));
}

static void
api_ev_read(struct api_sse_stream *s, void *priv)
{
	struct api_ev *e;
	const char *err;

	CAST_OBJ_NOTNULL(e, priv, API_EV_MAGIC);
	assert(e->s == s);
	if (api_ev_ask(e, api_ev_read_done, &err) != 0) {
		/* The next heartbeat tries again. */
		log_debug("api", "an event stream's read: %s", err);
		api_sse_read_done(s, 0);
	}
}

static void
api_ev_read_done(void *priv, enum as_status st, const char *json,
    const char *err)
{
	struct api_ev *e;

	CAST_OBJ_NOTNULL(e, priv, API_EV_MAGIC);
	switch (st) {
	case AS_OK:
		switch (api_ev_said(e, json)) {
		case API_EV_MORE:
			api_ev_read(e->s, e);
			return;
		case API_EV_END:
			api_sse_read_done(e->s, 1);
			return;
		case API_EV_IDLE:
			api_sse_read_done(e->s, 0);
			return;
		}
		WRONG("api_ev_next");
		break;
	case AS_NOT_FOUND:
		/* Not the caller's any more, or its token was revoked. */
		api_sse_read_done(e->s, 1);
		return;
	default:
		log_warning("api", "an event stream's read: %s",
		    err != NULL ? err : "?");
		api_sse_read_done(e->s, 0);
		return;
	}
}

/*--------------------------------------------------------------------
 * Opening: the first read answers the request
 */

static void
api_ev_opened(void *priv, enum as_status st, const char *json, const char *err)
{
	const struct api_answer *op;
	struct api_ev *e;
	struct api_req *r;
	json_t *doc;

	CAST_OBJ_NOTNULL(e, priv, API_EV_MAGIC);
	r = e->r;
	op = e->job > 0 ? &api_ev_op_job : &api_ev_op_website;
	if (st != AS_OK) {
		api_ev_fini(e);
		api_answer(r, op, st, json, err);
		return;
	}
	if (e->job > 0) {
		doc = json_loads(json, 0, NULL);
		AN(doc);
		e->website = json_integer_value(
		    json_object_get(json_object_get(doc, "job"), "website_id"));
		json_decref(doc);
	}
	e->s = api_sse_open(e->t->sse, r, e->website, e->job, api_ev_read,
	    api_ev_fini, e);
	if (e->s == NULL) {
		api_ev_fini(e);
		return;
	}
	e->r = NULL;
	/* What is left (MORE) comes with the stream's first read. */
	if (api_ev_said(e, json) == API_EV_END)
		api_sse_end(e->s);
}

/* Where the client left off: Last-Event-ID, else ?last_event_id=;
 * dflt if neither.  -1 once answered. */
static int
api_ev_last_id(struct api_req *r, int64_t dflt, int64_t *id)
{
	const char *h = api_header(r, "Last-Event-ID");

	if (h != NULL && *h != '\0') {
		if (api_int(h, 0, INT64_MAX, id) == 0)
			return (0);
	} else if (api_query_int(r, "last_event_id", dflt, 0, INT64_MAX, id) ==
	    0) {
		return (0);
	}
	http_api_error(r, 422, "invalid", "last_event_id",
	    "Last-Event-ID is an event's id, a whole number");
	return (-1);
}

static void
api_ev_start(struct api_req *r, void *priv, int job)
{
	struct api_ev *e;
	const char *err;
	int64_t id, after;

	if (api_param_id(r, "id", &id) != 0) {
		http_api_error(r, 404, NULL, "id", "no such %s",
		    job ? "job" : "website");
		return;
	}
	/* A job's stream starts at its first result; a website's at
	 * what comes next. */
	if (api_ev_last_id(r, job ? 0 : -1, &after) != 0)
		return;
	e = api_ev_new(r, priv);
	if (job)
		e->job = id;
	else
		e->website = id;
	e->after = after;
	e->above_job = -1;
	if (api_ev_ask(e, api_ev_opened, &err) != 0) {
		api_ev_fini(e);
		http_api_error(r, 503, NULL, NULL, "%s", err);
	}
}

void
api_job_events_get(struct api_req *r, void *priv)
{
	api_ev_start(r, priv, 1);
}

void
api_website_events_get(struct api_req *r, void *priv)
{
	api_ev_start(r, priv, 0);
}
