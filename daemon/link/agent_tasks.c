/*
 * The agent's tasks (agent_tasks.h).  A task is in hand from its claim
 * to its result: waiting (the node's re-warm queue was full, or had the
 * same object already: tried again each second) or warming.  Results
 * wait a moment to be cut into one batch with those that follow.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "core/log.h"
#include "node/instance.h"
#include "render/render_pool.h"
#include "warm/variant_replay.h"
#include "warm/warm_verdict.h"
#include "agent_tasks.h"
#include "batch.h"
#include "control_link.h"
#include "spool.h"

#define AT_CONCURRENCY 8 /* until the website says */
#define AT_CONCURRENCY_MAX 1024
#define AT_RETRY 1.0 /* seconds between tries of a waiting task */
#define AT_DELAY 0.2 /* seconds a result waits for others */
#define AT_BATCH 1000 /* results in one batch, at most */
#define AT_PRIORITY 1.0 /* as popular as an object seen once */

#define AT_ASSETS_MAX 1000 /* a page's, as the control plane takes them */

enum at_state {
	AT_WAITING,
	AT_WARMING,
	AT_RENDERING, /* warmed, its row waits for the render's report */
};

struct at_task {
	unsigned magic;
#define AT_TASK_MAGIC 0x7a5c0e01
	VTAILQ_ENTRY(at_task) list;
	struct agent_tasks *at;
	int64_t id, job;
	enum at_state state;
	char *url, *host, *path, *variant;
	/* A page to render once warm: the hosts it may pull from, the
	 * website's first, space separated; NULL: not to render. */
	char *hosts;
	json_t *row; /* its result, while it renders */
};

struct agent_tasks {
	unsigned magic;
#define AGENT_TASKS_MAGIC 0x7a5c0e02
	struct event_base *eb;
	struct instance *inst;
	struct spool *spool;
	struct control_link *cl;
	char *run;
	uint64_t seq;
	unsigned concurrency;
	VTAILQ_HEAD(, at_task) tasks;
	unsigned ntask, nwaiting;
	json_t *done; /* results not yet in a batch */
	struct event *retry, *cut;
	uint64_t nok, nfailed, nbad;
	/* Rendering (at_render()): the pool made with the first page. */
	struct fetcher *rf;
	struct render_pool_conf rconf;
	struct render_pool *rp;
	char *node;
	double rtimeout;
};

/*--------------------------------------------------------------------
 * Results, into batches
 */

static json_t *
at_num(double v)
{
	return (v >= 0 ? json_real(v) : json_null());
}

static json_t *
at_str(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

/* Cut what is done into one batch, in the spool. */
static void
at_cut(struct agent_tasks *at)
{
	unsigned char *z = NULL;
	size_t len, zlen;
	json_t *b;
	char key[128], *body;
	unsigned rows;
	int gz = 0;

	rows = (unsigned)json_array_size(at->done);
	if (rows == 0)
		return;
	snprintf(key, sizeof key, "%s:t%" PRIu64, at->run, ++at->seq);
	b = json_pack("{s:s, s:f, s:o}", "batch", key, "sent_at", VTIM_real(),
	    "tasks", at->done);
	AN(b);
	at->done = json_array();
	AN(at->done);
	body = json_dumps(b, JSON_COMPACT);
	AN(body);
	json_decref(b);
	len = strlen(body);
	if (len > BATCH_GZIP_OVER && batch_gzip(body, len, &z, &zlen) == 0)
		gz = 1;
	/* No room: its tasks are left to their leases, and warmed again. */
	if (spool_push(at->spool, key, gz ? (const void *)z : body,
	        gz ? zlen : len, gz, rows) != 0)
		log_warning("tasks",
		    "the spool is full: %u task results dropped, their "
		    "tasks will be claimed again",
		    rows);
	free(z);
	free(body);
}

static void
at_on_cut(evutil_socket_t fd, short what, void *priv)
{
	struct agent_tasks *at;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(at, priv, AGENT_TASKS_MAGIC);
	at_cut(at);
}

static void
at_task_free(struct agent_tasks *at, struct at_task *t)
{
	CHECK_OBJ_NOTNULL(t, AT_TASK_MAGIC);
	VTAILQ_REMOVE(&at->tasks, t, list);
	assert(at->ntask > 0);
	at->ntask--;
	if (t->state == AT_WAITING) {
		assert(at->nwaiting > 0);
		at->nwaiting--;
	}
	free(t->url);
	free(t->host);
	free(t->path);
	free(t->variant);
	free(t->hosts);
	if (t->row != NULL)
		json_decref(t->row);
	FREE_OBJ(t);
}

static struct at_task *
at_find(const struct agent_tasks *at, int64_t id)
{
	struct at_task *t;

	VTAILQ_FOREACH(t, &at->tasks, list)
	if (t->id == id)
		return (t);
	return (NULL);
}

/* Cut soon, with what follows. */
static void
at_done(struct agent_tasks *at, json_t *row)
{
	struct timeval tv = { 0, (suseconds_t)(AT_DELAY * 1e6) };

	AN(row);
	AZ(json_array_append_new(at->done, row));
	if (json_array_size(at->done) >= AT_BATCH)
		at_cut(at);
	else if (!evtimer_pending(at->cut, NULL))
		AZ(evtimer_add(at->cut, &tv));
}

static int at_render_start(struct agent_tasks *, struct at_task *);

/* One task's result: the protocol's "tasks" row; a page to render waits
 * for its report to go with it. */
static void
at_result(void *priv, const struct rewarm_result *rr)
{
	struct agent_tasks *at;
	const struct wb_result *r;
	struct at_task *t;
	json_t *o;
	int ok;

	CAST_OBJ_NOTNULL(at, priv, AGENT_TASKS_MAGIC);
	t = at_find(at, (int64_t)rr->key);
	if (t == NULL)
		return;
	r = &rr->r;
	ok = !warm_verdict_failed(r->outcome);
	if (ok)
		at->nok++;
	else
		at->nfailed++;
	o = json_pack("{s:I, s:b, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o,"
	              " s:f}",
	    "task", (json_int_t)t->id, "ok", ok, "node", at_str(r->node),
	    "status", r->status > 0 ? json_integer(r->status) : json_null(),
	    "load_ms", at_num(r->time > 0 ? r->time * 1e3 : -1), "ttfb_ms",
	    at_num(r->ttfb > 0 ? r->ttfb * 1e3 : -1), "cache_status",
	    at_str(r->outcome == WO_FRESH ? "hit"
	            : r->status > 0       ? "miss"
	                                  : NULL),
	    "outcome", warm_outcome_name[r->outcome], "reason",
	    at_str(r->reason), "ttl", at_num(r->ttl), "recorded_at",
	    VTIM_real());
	AN(o);
	batch_row_headers(o, r->headers);
	if (ok && t->hosts != NULL && at->rf != NULL) {
		t->row = o;
		if (at_render_start(at, t) == 0)
			return;
		t->row = NULL;
	}
	at_done(at, o);
	at_task_free(at, t);
	if (at->cl != NULL)
		cl_claim(at->cl);
}

/*--------------------------------------------------------------------
 * Rendering a page once it is warm, as stoked worker does
 * (queue/worker.c): through the agent's own node, what it pulled in
 * sent with its result, for the control plane to make tasks of
 */

static void
at_rendered(void *priv, const struct render_report *rep)
{
	struct agent_tasks *at;
	struct at_task *t;
	json_t *tm, *assets;
	char *s;
	unsigned u;

	CAST_OBJ_NOTNULL(t, priv, AT_TASK_MAGIC);
	at = t->at;
	CHECK_OBJ_NOTNULL(at, AGENT_TASKS_MAGIC);
	assert(t->state == AT_RENDERING);
	if (rep->error != NULL)
		log_info("tasks", "rendering %s: %s", t->url, rep->error);
	s = render_report_json(rep);
	tm = json_loads(s, 0, NULL);
	free(s);
	AN(tm);
	AZ(json_object_set_new(t->row, "timings", tm));
	assets = json_array();
	AN(assets);
	for (u = 0; u < rep->nsub && u < AT_ASSETS_MAX; u++)
		AZ(json_array_append_new(assets,
		    json_string(rep->subs[u].url)));
	AZ(json_object_set_new(t->row, "assets", assets));
	at_done(at, t->row);
	t->row = NULL;
	at_task_free(at, t);
	if (at->cl != NULL)
		cl_claim(at->cl);
}

/* 0: the page renders; -1: it cannot (its variant cannot be replayed). */
static int
at_render_start(struct agent_tasks *at, struct at_task *t)
{
	char hdrs[RENDER_MAX_HDRS][VARIANT_HDR_LEN], err[192];
	char *hosts, *h, *save = NULL;
	struct render_req rq;
	unsigned u;
	int n;

	n = variant_replay(t->variant, instance_dims(at->inst), hdrs, 0,
	    RENDER_MAX_HDRS, err, sizeof err);
	if (n < 0) {
		log_info("tasks", "not rendering %s: variant: %s", t->url, err);
		return (-1);
	}
	memset(&rq, 0, sizeof rq);
	rq.url = t->url;
	rq.node = at->node;
	hosts = strdup(t->hosts);
	AN(hosts);
	for (h = strtok_r(hosts, " ", &save);
	     h != NULL && rq.nhost < RENDER_MAX_HOSTS;
	     h = strtok_r(NULL, " ", &save))
		rq.hosts[rq.nhost++] = h;
	for (u = 0; u < (unsigned)n; u++)
		rq.hdrs[rq.nhdr++] = hdrs[u];
	rq.addr = FETCH_ADDR_ANY;
	rq.timeout = at->rtimeout;
	if (at->rp == NULL)
		at->rp = render_pool_new(at->eb, at->rf, &at->rconf);
	t->state = AT_RENDERING;
	/* The request is copied. */
	render_pool_submit(at->rp, &rq, at_rendered, t);
	free(hosts);
	return (0);
}

/* "http://host:port/..." of base_url: host; else NULL.  To free. */
static char *
at_host_of(const char *base_url)
{
	const char *h;
	size_t n;

	h = strstr(base_url, "://");
	if (h == NULL)
		return (NULL);
	h += 3;
	n = strcspn(h, "/?#:");
	if (n == 0)
		return (NULL);
	return (strndup(h, n));
}

/* A task's "render", "base_url" and "asset_hosts", as t->hosts. */
static void
at_render_of(struct at_task *t, const json_t *j)
{
	const json_t *a, *x;
	const char *base;
	char *host;
	size_t i, len;

	base = json_string_value(json_object_get(j, "base_url"));
	if (!json_is_true(json_object_get(j, "render")) || base == NULL)
		return;
	host = at_host_of(base);
	if (host == NULL)
		return;
	len = strlen(host) + 1;
	a = json_object_get(j, "asset_hosts");
	json_array_foreach(a, i, x) if (json_is_string(x)) len +=
	    json_string_length(x) + 1;
	t->hosts = malloc(len);
	AN(t->hosts);
	strcpy(t->hosts, host);
	free(host);
	json_array_foreach(a, i, x)
	{
		if (!json_is_string(x) || strchr(json_string_value(x), ' '))
			continue;
		strcat(t->hosts, " ");
		strcat(t->hosts, json_string_value(x));
	}
}

/*--------------------------------------------------------------------
 * Warming
 */

/* Queued on the node: 1; 0 to try again later. */
static int
at_warm(struct agent_tasks *at, struct at_task *t)
{
	int r;

	r = instance_warm(at->inst, t->host, t->path, t->variant, AT_PRIORITY,
	    (uint64_t)t->id);
	return (r > 0);
}

static void
at_wait(struct agent_tasks *at, struct at_task *t)
{
	struct timeval tv = { (time_t)AT_RETRY, 0 };

	t->state = AT_WAITING;
	at->nwaiting++;
	if (!evtimer_pending(at->retry, NULL))
		AZ(evtimer_add(at->retry, &tv));
}

static void
at_on_retry(evutil_socket_t fd, short what, void *priv)
{
	struct timeval tv = { (time_t)AT_RETRY, 0 };
	struct agent_tasks *at;
	struct at_task *t;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(at, priv, AGENT_TASKS_MAGIC);
	VTAILQ_FOREACH(t, &at->tasks, list)
	{
		if (t->state != AT_WAITING || !at_warm(at, t))
			continue;
		t->state = AT_WARMING;
		at->nwaiting--;
	}
	if (at->nwaiting > 0)
		AZ(evtimer_add(at->retry, &tv));
}

/*
 * "http://host[:port]/path?query" taken apart as the node is asked:
 * Host, and the path with its query (a fragment is the browser's).
 */
static int
at_split(const char *url, char **host, char **path)
{
	const char *h, *p, *e;

	h = strstr(url, "://");
	if (h == NULL || (strncmp(url, "http", 4) != 0))
		return (-1);
	h += 3;
	p = h + strcspn(h, "/?#");
	if (p == h)
		return (-1);
	e = p + strcspn(p, "#");
	*host = strndup(h, (size_t)(p - h));
	AN(*host);
	if (*p == '/') {
		*path = strndup(p, (size_t)(e - p));
	} else {
		*path = malloc((size_t)(e - p) + 2);
		AN(*path);
		(*path)[0] = '/';
		memcpy(*path + 1, p, (size_t)(e - p));
		(*path)[e - p + 1] = '\0';
	}
	AN(*path);
	return (0);
}

static unsigned
at_room(void *priv)
{
	struct agent_tasks *at;

	CAST_OBJ_NOTNULL(at, priv, AGENT_TASKS_MAGIC);
	return (at->ntask < at->concurrency ? at->concurrency - at->ntask : 0);
}

static void
at_claimed(void *priv, const json_t *tasks)
{
	struct agent_tasks *at;
	struct at_task *t;
	const char *url, *variant;
	json_int_t id, job;
	json_t *j;
	size_t i;

	CAST_OBJ_NOTNULL(at, priv, AGENT_TASKS_MAGIC);
	json_array_foreach(tasks, i, j)
	{
		if (json_unpack(j, "{s:I, s:I, s:s, s:s}", "id", &id, "job",
		        &job, "url", &url, "variant", &variant) != 0 ||
		    id <= 0 || (uint64_t)id >= INSTANCE_KEY_WARM) {
			at->nbad++;
			log_warning("tasks",
			    "a task not as the protocol says: "
			    "skipped");
			continue;
		}
		/* Claimed again, its lease run out: it is warming. */
		if (at_find(at, (int64_t)id) != NULL)
			continue;
		ALLOC_OBJ(t, AT_TASK_MAGIC);
		AN(t);
		t->at = at;
		t->id = (int64_t)id;
		t->job = (int64_t)job;
		if (at_split(url, &t->host, &t->path) != 0) {
			/* Failed, not left to its lease: it would come back
			 * for ever. */
			at->nbad++;
			at->nfailed++;
			at_done(at,
			    json_pack("{s:I, s:b, s:s, s:s, s:f}", "task", id,
			        "ok", 0, "outcome", "failed", "reason",
			        "not an http URL", "recorded_at", VTIM_real()));
			FREE_OBJ(t);
			continue;
		}
		t->variant = strdup(variant);
		AN(t->variant);
		t->url = strdup(url);
		AN(t->url);
		at_render_of(t, j);
		VTAILQ_INSERT_TAIL(&at->tasks, t, list);
		at->ntask++;
		if (at_warm(at, t))
			t->state = AT_WARMING;
		else
			at_wait(at, t);
	}
}

static const struct cl_tasks at_hooks = {
	.room = at_room,
	.claimed = at_claimed,
};

/*--------------------------------------------------------------------
 * The tasks
 */

struct agent_tasks *
at_new(struct event_base *eb, struct instance *inst, struct spool *spool,
    const char *run)
{
	struct agent_tasks *at;

	AN(eb);
	AN(inst);
	AN(spool);
	AN(run);
	ALLOC_OBJ(at, AGENT_TASKS_MAGIC);
	AN(at);
	at->eb = eb;
	at->inst = inst;
	at->spool = spool;
	at->run = strdup(run);
	AN(at->run);
	at->concurrency = AT_CONCURRENCY;
	VTAILQ_INIT(&at->tasks);
	at->done = json_array();
	AN(at->done);
	at->retry = evtimer_new(eb, at_on_retry, at);
	at->cut = evtimer_new(eb, at_on_cut, at);
	AN(at->retry);
	AN(at->cut);
	instance_set_warm_results(inst, at_result, at);
	return (at);
}

void
at_link(struct agent_tasks *at, struct control_link *cl)
{
	CHECK_OBJ_NOTNULL(at, AGENT_TASKS_MAGIC);
	AN(cl);
	at->cl = cl;
	cl_set_tasks(cl, &at_hooks, at);
}

void
at_website(struct agent_tasks *at, const json_t *w)
{
	json_int_t c;

	CHECK_OBJ_NOTNULL(at, AGENT_TASKS_MAGIC);
	c = json_integer_value(json_object_get(w, "concurrency"));
	if (c < 1 || c > AT_CONCURRENCY_MAX)
		return;
	at->concurrency = (unsigned)c;
	if (at->cl != NULL)
		cl_claim(at->cl);
}

void
at_render(struct agent_tasks *at, struct fetcher *f,
    const struct render_pool_conf *conf, const char *node, double timeout)
{
	CHECK_OBJ_NOTNULL(at, AGENT_TASKS_MAGIC);
	AN(f);
	AN(conf);
	AN(node);
	AZ(at->rf);
	at->rf = f;
	at->rconf = *conf;
	at->node = strdup(node);
	AN(at->node);
	at->rtimeout = timeout;
}

void
at_flush(struct agent_tasks *at)
{
	CHECK_OBJ_NOTNULL(at, AGENT_TASKS_MAGIC);
	at_cut(at);
}

void
at_free(struct agent_tasks **atp)
{
	struct agent_tasks *at;

	TAKE_OBJ_NOTNULL(at, atp, AGENT_TASKS_MAGIC);
	/* Its pages dropped unreported: their tasks are left to their
	 * leases. */
	if (at->rp != NULL)
		render_pool_free(&at->rp);
	free(at->node);
	while (!VTAILQ_EMPTY(&at->tasks))
		at_task_free(at, VTAILQ_FIRST(&at->tasks));
	json_decref(at->done);
	event_free(at->retry);
	event_free(at->cut);
	free(at->run);
	FREE_OBJ(at);
}

void
at_metrics(void *priv, struct metrics *m)
{
	struct agent_tasks *at;

	CAST_OBJ_NOTNULL(at, priv, AGENT_TASKS_MAGIC);
	metrics_u64(m, M_AGENT_TASKS_DONE, at->nok, "ok", "true", NULL);
	metrics_u64(m, M_AGENT_TASKS_DONE, at->nfailed, "ok", "false", NULL);
}
