/*
 * The agent's link to the control plane (control_link.h).  Four
 * channels, each with at most one request in flight and a backoff of
 * its own: hello, the batch, the long poll, the claim of tasks.
 * Batches, polls and claims go only
 * while the link is up (hello answered); a 401 on any channel brings
 * it back to hello.  A request answered after the link went back to
 * hello belongs to a session gone: its answer is left aside.
 */

#include "config.h"

#include <sys/random.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "core/log.h"
#include "core/metrics.h"
#include "fetch/fetcher.h"
#include "control_link.h"
#include "spool.h"

#define BACKOFF_MIN 0.5
#define BACKOFF_MAX 30.0
#define ANSWER_MAX (16 * 1024 * 1024)
#define HELLO_TIMEOUT 30.0
#define BATCH_TIMEOUT 60.0
#define COMMANDS_MAX 100
#define CLAIM_TIMEOUT 30.0
/* A claim at least this often while there is room: the control plane
 * gives tasks only to agents that claimed lately (two minutes). */
#define CLAIM_IDLE 30.0
/* A control plane older than the tasks: ask again this much later. */
#define CLAIM_UNKNOWN 600.0
#define CLAIM_MAX 100

enum cl_state {
	CL_HELLO, /* saying hello, or waiting to */
	CL_UP, /* hello answered: batches and polls go */
};

enum cl_kind { K_PURGE, K_SETTINGS, K_INVALIDATE, K_TASKS, K_UNKNOWN, K__MAX };

static const char *const cl_kind_name[K__MAX] = {
	[K_PURGE] = "purge",
	[K_SETTINGS] = "settings",
	[K_INVALIDATE] = "invalidate",
	[K_TASKS] = "tasks",
	[K_UNKNOWN] = "unknown",
};

/* One channel: its request in flight, its retry timer and backoff. */
struct cl_chan {
	unsigned magic;
#define CL_CHAN_MAGIC 0x6c1a0c02
	struct control_link *cl;
	const char *name;
	unsigned inflight : 1;
	unsigned idle : 1; /* its timer is a wait, not a backoff */
	unsigned session; /* the link's when it went */
	unsigned attempt; /* failures in a row */
	const char *hdr; /* one more header of its requests, or NULL */
	struct event *timer;
	void (*go)(struct control_link *);
};

struct control_link {
	unsigned magic;
#define CONTROL_LINK_MAGIC 0x6c1a0c01
	struct event_base *eb;
	struct fetcher *f;
	struct spool *spool;
	char *url, *auth, *ca_file, *hello, *cursor_file;
	unsigned poll_wait;
	cl_command_f *command;
	cl_website_f *website;
	void *priv;
	enum cl_state state;
	unsigned session;
	struct cl_chan c_hello, c_batch, c_poll, c_claim;
	const struct cl_tasks *tasks;
	void *tasks_priv;
	unsigned claim_max; /* the claim in flight's */
	unsigned claim_seq;
	unsigned claim_open : 1; /* claim_hdr's claim not answered yet */
	char claim_hdr[128]; /* its Idempotency-Key */
	char *run;
	unsigned said_no_tasks : 1;
	int64_t agent_id;
	int64_t cursor;
	int have_cursor; /* saved by an earlier run, or got from hello */
	unsigned up : 1;
	unsigned said_down : 1;
	unsigned said_refused : 1;
	unsigned draining : 1;
	char batch_key[128]; /* the batch in flight */
	unsigned batch_rows;
	uint64_t batches_sent, rows_refused;
	uint64_t commands[K__MAX];
	uint64_t tasks_claimed;
};

/*--------------------------------------------------------------------
 * The backoff, and the link going down and up
 */

static double
cl_jitter(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		r = (uint32_t)(VTIM_mono() * 1e6);
	return ((double)r / 4294967296.0);
}

/* The channel goes again after a backoff: full jitter, capped. */
static void
cl_retry(struct cl_chan *ch)
{
	struct timeval tv;
	double cap, d;

	CHECK_OBJ_NOTNULL(ch, CL_CHAN_MAGIC);
	cap = BACKOFF_MIN *
	    ldexp(1.0, (int)(ch->attempt < 16 ? ch->attempt : 16));
	if (cap > BACKOFF_MAX)
		cap = BACKOFF_MAX;
	d = cap * cl_jitter();
	if (d < 0.05)
		d = 0.05;
	ch->attempt++;
	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(ch->timer, &tv));
}

/* The channel goes again now, from the loop. */
static void
cl_soon(struct cl_chan *ch)
{
	struct timeval tv = { 0, 0 };

	CHECK_OBJ_NOTNULL(ch, CL_CHAN_MAGIC);
	if (ch->inflight || evtimer_pending(ch->timer, NULL))
		return;
	AZ(evtimer_add(ch->timer, &tv));
}

static void
cl_down(struct control_link *cl, const char *why)
{
	if (cl->up || !cl->said_down)
		log_warning("link",
		    "control plane %s unreachable (%s): re-warming goes on, "
		    "what it would send waits in the spool",
		    cl->url, why);
	cl->up = 0;
	cl->said_down = 1;
}

static void
cl_up(struct control_link *cl)
{
	struct spool_stats st;

	if (cl->up)
		return;
	spool_stats(cl->spool, &st);
	log_notice("link",
	    "control plane %s answers (agent %" PRId64 "): sending %" PRIu64
	    " waiting rows",
	    cl->url, cl->agent_id, st.rows);
	cl->up = 1;
	cl->said_down = 0;
	cl->said_refused = 0;
}

/* A 401: the token is not (or no longer) good.  Back to hello. */
static void
cl_refused(struct control_link *cl)
{
	if (!cl->said_refused)
		log_error("link",
		    "the control plane refuses this agent's token (revoked, "
		    "or not this control plane's): sending stopped, saying "
		    "hello again until it is taken");
	cl->said_refused = 1;
	cl->up = 0;
	cl->said_down = 1;
	if (cl->state == CL_UP) {
		cl->state = CL_HELLO;
		cl->session++;
		cl->c_hello.attempt =
		    cl->c_hello.attempt > 0 ? cl->c_hello.attempt : 1;
		cl_retry(&cl->c_hello);
	}
}

/*--------------------------------------------------------------------
 * Requests
 */

enum cl_verdict { V_OK, V_REFUSED, V_RETRY, V_BAD };

static enum cl_verdict
cl_verdict(const struct fetch_result *res)
{
	if (!res->ok)
		return (V_RETRY);
	if (res->status == 200)
		return (V_OK);
	if (res->status == 401)
		return (V_REFUSED);
	if (res->status == 429 || res->status >= 500 || res->status < 400)
		return (V_RETRY);
	return (V_BAD);
}

/* Why a request failed, for the log: never a header of ours. */
static void
cl_why(const struct fetch_result *res, char *buf, size_t len)
{
	if (!res->ok)
		snprintf(buf, len, "%s", res->error);
	else
		snprintf(buf, len, "HTTP %ld", res->status);
}

static int
cl_send(struct cl_chan *ch, const char *method, const char *path,
    const void *body, size_t len, int gzip, double timeout, fetch_done_f *done)
{
	struct control_link *cl = ch->cl;
	struct fetch_req rq;
	char url[2048];

	memset(&rq, 0, sizeof rq);
	if ((size_t)snprintf(url, sizeof url, "%s%s", cl->url, path) >=
	    sizeof url)
		return (-1);
	rq.url = url;
	rq.origin = "control plane";
	rq.method = method;
	rq.timeout = timeout;
	rq.body_max = ANSWER_MAX;
	rq.ca_file = cl->ca_file;
	rq.hdr[rq.nhdr++] = cl->auth;
	rq.hdr[rq.nhdr++] = "Accept: application/json";
	if (ch->hdr != NULL)
		rq.hdr[rq.nhdr++] = ch->hdr;
	if (body != NULL) {
		rq.body = body;
		rq.bodylen = len;
		rq.hdr[rq.nhdr++] = "Content-Type: application/json";
		/* No 100-continue round trip: the answer is the point. */
		rq.hdr[rq.nhdr++] = "Expect:";
		if (gzip)
			rq.hdr[rq.nhdr++] = "Content-Encoding: gzip";
	}
	if (fetcher_submit(cl->f, &rq, done, ch) != 0)
		return (-1);
	ch->inflight = 1;
	ch->session = cl->session;
	return (0);
}

/* The answer's JSON, or NULL. */
static json_t *
cl_json(const struct fetch_result *res)
{
	if (res->body == NULL)
		return (NULL);
	return (json_loadb(res->body, res->body_bytes, 0, NULL));
}

/*--------------------------------------------------------------------
 * hello
 */

static void cl_chan_go(evutil_socket_t, short, void *);
static void cl_wait(struct cl_chan *, double);

static void
on_hello(void *priv, const struct fetch_result *res)
{
	struct control_link *cl;
	struct cl_chan *ch;
	json_t *a, *w;
	json_int_t id, cursor;
	char why[512];

	CAST_OBJ_NOTNULL(ch, priv, CL_CHAN_MAGIC);
	cl = ch->cl;
	ch->inflight = 0;
	switch (cl_verdict(res)) {
	case V_OK:
		break;
	case V_REFUSED:
		cl_refused(cl);
		cl_retry(ch);
		return;
	default:
		cl_why(res, why, sizeof why);
		cl_down(cl, why);
		cl_retry(ch);
		return;
	}
	a = cl_json(res);
	w = NULL;
	if (a == NULL ||
	    json_unpack(a, "{s:I, s:o, s:I}", "agent_id", &id, "website", &w,
	        "cursor", &cursor) != 0 ||
	    !json_is_object(w)) {
		json_decref(a);
		cl_down(cl, "hello: an answer not as the protocol says");
		cl_retry(ch);
		return;
	}
	ch->attempt = 0;
	cl->agent_id = id;
	if (!cl->have_cursor) {
		/* Commands made before this agent said hello are not its. */
		cl->cursor = cursor;
		cl->have_cursor = 1;
	}
	cl->state = CL_UP;
	cl->session++;
	cl_up(cl);
	cl->website(cl->priv, w);
	json_decref(a);
	cl->c_batch.attempt = 0;
	cl->c_poll.attempt = 0;
	cl->c_claim.attempt = 0;
	cl_soon(&cl->c_batch);
	cl_soon(&cl->c_poll);
	cl_claim(cl);
}

static void
cl_hello(struct control_link *cl)
{
	if (cl->state != CL_HELLO)
		return;
	if (cl_send(&cl->c_hello, "POST", "/api/agent/v1/hello", cl->hello,
	        strlen(cl->hello), 0, HELLO_TIMEOUT, on_hello) != 0) {
		log_error("link", "hello to %s cannot even start", cl->url);
		cl_retry(&cl->c_hello);
	}
}

/*--------------------------------------------------------------------
 * Batches
 */

static void
on_batch(void *priv, const struct fetch_result *res)
{
	struct control_link *cl;
	struct cl_chan *ch;
	char why[512];

	CAST_OBJ_NOTNULL(ch, priv, CL_CHAN_MAGIC);
	cl = ch->cl;
	ch->inflight = 0;
	switch (cl_verdict(res)) {
	case V_OK:
		/* Delivered, whichever session sent it. */
		spool_pop(cl->spool);
		cl->batches_sent++;
		ch->attempt = 0;
		if (cl->state == CL_UP)
			cl_up(cl);
		cl_soon(ch);
		return;
	case V_BAD:
		cl_why(res, why, sizeof why);
		log_error("link",
		    "the control plane refused batch %s (%u rows) for its "
		    "content, %s: dropped",
		    cl->batch_key, cl->batch_rows, why);
		spool_pop(cl->spool);
		cl->rows_refused += cl->batch_rows;
		cl_soon(ch);
		return;
	case V_REFUSED:
		cl_refused(cl);
		return;
	default:
		cl_why(res, why, sizeof why);
		if (res->ok && cl->up)
			log_warning("link", "batch %s: %s, sent again later",
			    cl->batch_key, why);
		else if (!res->ok)
			cl_down(cl, why);
		cl_retry(ch);
		return;
	}
}

static void
cl_batch(struct control_link *cl)
{
	struct spool_batch b;

	if (cl->state != CL_UP || cl->c_batch.inflight)
		return;
	if (!spool_head(cl->spool, &b))
		return;
	snprintf(cl->batch_key, sizeof cl->batch_key, "%s", b.key);
	cl->batch_rows = b.rows;
	if (cl_send(&cl->c_batch, "POST", "/api/agent/v1/batches", b.body,
	        b.len, b.gzip, BATCH_TIMEOUT, on_batch) != 0) {
		log_error("link", "batch %s cannot even start", b.key);
		cl_retry(&cl->c_batch);
	}
}

static void
cl_spooled(void *priv)
{
	struct control_link *cl;

	CAST_OBJ_NOTNULL(cl, priv, CONTROL_LINK_MAGIC);
	if (cl->state == CL_UP && cl->c_batch.attempt == 0)
		cl_soon(&cl->c_batch);
}

/*--------------------------------------------------------------------
 * Commands
 */

static void
cl_save_cursor(const struct control_link *cl)
{
	char tmp[PATH_MAX];
	FILE *f;
	int ok;

	if (cl->cursor_file == NULL)
		return;
	snprintf(tmp, sizeof tmp, "%s.tmp", cl->cursor_file);
	f = fopen(tmp, "we");
	if (f == NULL) {
		log_warning("link", "%s: %s", tmp, strerror(errno));
		return;
	}
	ok = fprintf(f, "%" PRId64 "\n", cl->cursor) > 0;
	if (fclose(f) != 0 || !ok || rename(tmp, cl->cursor_file) != 0) {
		log_warning("link", "%s: %s", cl->cursor_file, strerror(errno));
		(void)unlink(tmp);
	}
}

static void
cl_load_cursor(struct control_link *cl)
{
	long long v;
	FILE *f;

	if (cl->cursor_file == NULL)
		return;
	f = fopen(cl->cursor_file, "re");
	if (f == NULL)
		return;
	if (fscanf(f, "%lld", &v) == 1 && v >= 0) {
		cl->cursor = (int64_t)v;
		cl->have_cursor = 1;
	}
	(void)fclose(f);
}

static enum cl_kind
cl_kind_of(const char *kind)
{
	unsigned k;

	for (k = 0; k < K_UNKNOWN; k++)
		if (!strcmp(kind, cl_kind_name[k]))
			return ((enum cl_kind)k);
	return (K_UNKNOWN);
}

/* The commands of one answer, in order; 0, or -1: not as agreed. */
static int
cl_commands(struct control_link *cl, const json_t *a)
{
	json_t *cmds, *c;
	json_int_t cursor, id;
	const char *kind;
	enum cl_kind k;
	size_t i;

	if (json_unpack((json_t *)(uintptr_t)a, "{s:o, s:I}", "commands", &cmds,
	        "cursor", &cursor) != 0 ||
	    !json_is_array(cmds))
		return (-1);
	json_array_foreach(cmds, i, c)
	{
		if (json_unpack(c, "{s:I, s:s}", "id", &id, "kind", &kind) !=
		    0) {
			log_warning("link",
			    "a command without id or kind: "
			    "skipped");
			continue;
		}
		if (id <= cl->cursor)
			continue;
		k = cl_kind_of(kind);
		if (k == K_TASKS && cl->tasks != NULL) {
			/* Claimed when the answer is handled: now. */
			cl->commands[k]++;
			cl_claim(cl);
			continue;
		}
		if (k == K_UNKNOWN || k == K_TASKS ||
		    cl->command(cl->priv, c) != 0) {
			log_warning("link",
			    "command %" PRId64 ": kind \"%.64s\" not known "
			    "to this agent: skipped",
			    (int64_t)id, kind);
			k = K_UNKNOWN;
		}
		cl->commands[k]++;
	}
	if (cursor > cl->cursor) {
		cl->cursor = cursor;
		cl_save_cursor(cl);
	}
	return (0);
}

static void
on_poll(void *priv, const struct fetch_result *res)
{
	struct control_link *cl;
	struct cl_chan *ch;
	char why[512];
	json_t *a;
	int bad;

	CAST_OBJ_NOTNULL(ch, priv, CL_CHAN_MAGIC);
	cl = ch->cl;
	ch->inflight = 0;
	/* Hello again first: it starts the poll once answered. */
	if (cl->state != CL_UP)
		return;
	switch (cl_verdict(res)) {
	case V_OK:
		break;
	case V_REFUSED:
		cl_refused(cl);
		return;
	default:
		cl_why(res, why, sizeof why);
		if (!res->ok || res->status >= 500)
			cl_down(cl, why);
		else
			log_warning("link", "commands: %s", why);
		cl_retry(ch);
		return;
	}
	a = cl_json(res);
	bad = a == NULL || cl_commands(cl, a) != 0;
	json_decref(a);
	if (bad) {
		log_warning("link",
		    "commands: an answer not as the protocol "
		    "says");
		cl_retry(ch);
		return;
	}
	ch->attempt = 0;
	cl_up(cl);
	cl_soon(ch);
}

static void
cl_poll(struct control_link *cl)
{
	char path[128];

	if (cl->state != CL_UP || cl->draining)
		return;
	snprintf(path, sizeof path,
	    "/api/agent/v1/commands?after=%" PRId64 "&wait=%u", cl->cursor,
	    cl->poll_wait);
	if (cl_send(&cl->c_poll, "GET", path, NULL, 0, 0,
	        (double)cl->poll_wait + 15, on_poll) != 0) {
		log_error("link", "commands: the poll cannot even start");
		cl_retry(&cl->c_poll);
	}
}

/*--------------------------------------------------------------------
 * Tasks
 */

/* The channel waits s seconds, unless told to claim before. */
static void
cl_wait(struct cl_chan *ch, double s)
{
	struct timeval tv;

	CHECK_OBJ_NOTNULL(ch, CL_CHAN_MAGIC);
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(ch->timer, &tv));
	ch->idle = 1;
}

static void
on_claim(void *priv, const struct fetch_result *res)
{
	struct control_link *cl;
	struct cl_chan *ch;
	json_t *a, *t;
	char why[512];
	size_t n;

	CAST_OBJ_NOTNULL(ch, priv, CL_CHAN_MAGIC);
	cl = ch->cl;
	ch->inflight = 0;
	if (cl->state != CL_UP || ch->session != cl->session)
		return;
	switch (cl_verdict(res)) {
	case V_OK:
		break;
	case V_REFUSED:
		cl_refused(cl);
		return;
	case V_BAD:
		/* A control plane that has no tasks for agents (404). */
		cl_why(res, why, sizeof why);
		if (!cl->said_no_tasks)
			log_notice("link",
			    "the control plane gives no tasks (%s): asking "
			    "again in %.0f s",
			    why, CLAIM_UNKNOWN);
		cl->said_no_tasks = 1;
		cl->claim_open = 0;
		cl_wait(ch, CLAIM_UNKNOWN);
		return;
	default:
		cl_why(res, why, sizeof why);
		if (!res->ok || res->status >= 500)
			cl_down(cl, why);
		cl_retry(ch);
		return;
	}
	a = cl_json(res);
	t = a != NULL ? json_object_get(a, "tasks") : NULL;
	if (!json_is_array(t)) {
		json_decref(a);
		log_warning("link",
		    "claim: an answer not as the protocol says");
		cl_retry(ch);
		return;
	}
	ch->attempt = 0;
	cl->said_no_tasks = 0;
	cl->claim_open = 0;
	n = json_array_size(t);
	cl->tasks_claimed += n;
	if (n > 0)
		cl->tasks->claimed(cl->tasks_priv, t);
	json_decref(a);
	/* As many as asked for: more may wait. */
	if (n > 0 && n >= cl->claim_max)
		cl_claim(cl);
	else
		cl_wait(ch, CLAIM_IDLE);
}

static void
cl_claim_go(struct control_link *cl)
{
	char body[64];
	unsigned room;
	int l;

	if (cl->state != CL_UP || cl->draining || cl->tasks == NULL)
		return;
	room = cl->tasks->room(cl->tasks_priv);
	if (room == 0)
		return;
	cl->claim_max = room < CLAIM_MAX ? room : CLAIM_MAX;
	/*
	 * A claim not answered may have leased tasks all the same (the
	 * control plane gone after its commit): it is asked again under
	 * its key, and answered them.
	 */
	if (!cl->claim_open) {
		cl->claim_seq++;
		l = snprintf(cl->claim_hdr, sizeof cl->claim_hdr,
		    "Idempotency-Key: %.64s/%u", cl->run, cl->claim_seq);
		assert(l > 0 && (size_t)l < sizeof cl->claim_hdr);
		cl->claim_open = 1;
	}
	cl->c_claim.hdr = cl->claim_hdr;
	snprintf(body, sizeof body, "{\"max\":%u}", cl->claim_max);
	if (cl_send(&cl->c_claim, "POST", "/api/agent/v1/tasks/claim", body,
	        strlen(body), 0, CLAIM_TIMEOUT, on_claim) != 0) {
		log_error("link", "claim: the request cannot even start");
		cl_retry(&cl->c_claim);
	}
}

void
cl_claim(struct control_link *cl)
{
	struct cl_chan *ch;

	CHECK_OBJ_NOTNULL(cl, CONTROL_LINK_MAGIC);
	ch = &cl->c_claim;
	if (cl->tasks == NULL || cl->state != CL_UP || ch->inflight)
		return;
	/* A wait is cut short; a backoff is not. */
	if (evtimer_pending(ch->timer, NULL)) {
		if (!ch->idle || cl->said_no_tasks)
			return;
		AZ(evtimer_del(ch->timer));
	}
	cl_soon(ch);
}

void
cl_set_tasks(struct control_link *cl, const struct cl_tasks *t, void *priv)
{
	CHECK_OBJ_NOTNULL(cl, CONTROL_LINK_MAGIC);
	AN(t);
	AN(t->room);
	AN(t->claimed);
	cl->tasks = t;
	cl->tasks_priv = priv;
}

/*--------------------------------------------------------------------
 * The link
 */

static void
cl_chan_go(evutil_socket_t fd, short what, void *priv)
{
	struct cl_chan *ch;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(ch, priv, CL_CHAN_MAGIC);
	ch->idle = 0;
	if (!ch->inflight)
		ch->go(ch->cl);
}

static void
cl_chan_init(struct control_link *cl, struct cl_chan *ch, const char *name,
    void (*go)(struct control_link *))
{
	INIT_OBJ(ch, CL_CHAN_MAGIC);
	ch->cl = cl;
	ch->name = name;
	ch->go = go;
	ch->timer = evtimer_new(cl->eb, cl_chan_go, ch);
	AN(ch->timer);
}

static char *
cl_strdup(const char *s)
{
	char *p;

	if (s == NULL)
		return (NULL);
	p = strdup(s);
	AN(p);
	return (p);
}

struct control_link *
cl_new(struct event_base *eb, const struct cl_conf *c, struct spool *spool,
    cl_command_f *command, cl_website_f *website, void *priv)
{
	struct control_link *cl;
	json_t *h;
	size_t l;

	AN(eb);
	AN(c);
	AN(c->url);
	AN(c->token);
	AN(spool);
	AN(command);
	AN(website);
	ALLOC_OBJ(cl, CONTROL_LINK_MAGIC);
	AN(cl);
	cl->eb = eb;
	cl->f = fetcher_new(eb, 4);
	cl->spool = spool;
	cl->url = cl_strdup(c->url);
	l = strlen(cl->url);
	while (l > 0 && cl->url[l - 1] == '/')
		cl->url[--l] = '\0';
	cl->auth = malloc(strlen(c->token) + sizeof "Authorization: Bearer ");
	AN(cl->auth);
	sprintf(cl->auth, "Authorization: Bearer %s", c->token);
	cl->ca_file = cl_strdup(c->ca_file);
	cl->run = cl_strdup(c->run != NULL ? c->run : "run");
	h = json_pack("{s:s, s:s, s:s, s:s}", "name", c->name, "version",
	    c->version, "node", c->node, "run", c->run);
	AN(h);
	cl->hello = json_dumps(h, JSON_COMPACT);
	AN(cl->hello);
	json_decref(h);
	if (c->state_dir != NULL) {
		cl->cursor_file =
		    malloc(strlen(c->state_dir) + sizeof "/cursor");
		AN(cl->cursor_file);
		sprintf(cl->cursor_file, "%s/cursor", c->state_dir);
	}
	cl->poll_wait = c->poll_wait > 0 ? c->poll_wait : 25;
	if (cl->poll_wait > 30)
		cl->poll_wait = 30;
	cl->command = command;
	cl->website = website;
	cl->priv = priv;
	cl->state = CL_HELLO;
	cl_chan_init(cl, &cl->c_hello, "hello", cl_hello);
	cl_chan_init(cl, &cl->c_batch, "batches", cl_batch);
	cl_chan_init(cl, &cl->c_poll, "commands", cl_poll);
	cl_chan_init(cl, &cl->c_claim, "tasks", cl_claim_go);
	cl_load_cursor(cl);
	spool_set_notify(spool, cl_spooled, cl);
	return (cl);
}

void
cl_start(struct control_link *cl)
{
	CHECK_OBJ_NOTNULL(cl, CONTROL_LINK_MAGIC);
	cl_soon(&cl->c_hello);
}

static void
cl_on_deadline(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	*(int *)priv = 1;
}

void
cl_drain(struct control_link *cl, double timeout)
{
	struct spool_stats st;
	struct timeval tv;
	struct event *ev;
	int late = 0;

	CHECK_OBJ_NOTNULL(cl, CONTROL_LINK_MAGIC);
	cl->draining = 1;
	ev = evtimer_new(cl->eb, cl_on_deadline, &late);
	AN(ev);
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(ev, &tv));
	cl_soon(&cl->c_batch);
	for (;;) {
		spool_stats(cl->spool, &st);
		if (late || (st.batches == 0 && !cl->c_batch.inflight) ||
		    cl->state != CL_UP)
			break;
		(void)event_base_loop(cl->eb, EVLOOP_ONCE);
	}
	event_free(ev);
}

void
cl_free(struct control_link **clp)
{
	struct control_link *cl;

	TAKE_OBJ_NOTNULL(cl, clp, CONTROL_LINK_MAGIC);
	spool_set_notify(cl->spool, NULL, NULL);
	/* What is in flight ends here, its callbacks never called. */
	fetcher_free(&cl->f);
	event_free(cl->c_hello.timer);
	event_free(cl->c_batch.timer);
	event_free(cl->c_poll.timer);
	event_free(cl->c_claim.timer);
	free(cl->url);
	/* The token goes as it came: nowhere but its header. */
	memset(cl->auth, 0, strlen(cl->auth));
	free(cl->auth);
	free(cl->ca_file);
	free(cl->run);
	free(cl->hello);
	free(cl->cursor_file);
	FREE_OBJ(cl);
}

void
cl_metrics(void *priv, struct metrics *m)
{
	struct control_link *cl;
	struct spool_stats st;
	unsigned k;

	CAST_OBJ_NOTNULL(cl, priv, CONTROL_LINK_MAGIC);
	spool_stats(cl->spool, &st);
	metrics_u64(m, M_AGENT_LINK_UP, cl->up, NULL);
	metrics_u64(m, M_AGENT_SPOOL_ROWS, st.rows, NULL);
	metrics_u64(m, M_AGENT_SPOOL_BYTES, st.mem_bytes, "where", "memory",
	    NULL);
	metrics_u64(m, M_AGENT_SPOOL_BYTES, st.disk_bytes, "where", "disk",
	    NULL);
	metrics_u64(m, M_AGENT_BATCHES_SENT, cl->batches_sent, NULL);
	metrics_u64(m, M_AGENT_ROWS_DROPPED, st.dropped_rows + cl->rows_refused,
	    NULL);
	for (k = 0; k < K__MAX; k++)
		metrics_u64(m, M_AGENT_COMMANDS, cl->commands[k], "kind",
		    cl_kind_name[k], NULL);
	metrics_u64(m, M_AGENT_TASKS_CLAIMED, cl->tasks_claimed, NULL);
}
