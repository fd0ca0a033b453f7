/*
 * The held polls of one replica.  A poll reads its agent's commands
 * (agent_store.h); none, and a wait: it is held, its answer started
 * (status and headers), and read again at once, since a command made
 * between the first read and the hold was told to nobody.  It is read
 * again whenever woken, never twice at once (a wake during a read makes
 * one more read after it), and ends in one place (ap_finish) with its
 * body: the commands, or none at the end of its wait.
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
#include "store/agent_store.h"
#include "store/pg_pool.h"
#include "api_agent_poll.h"
#include "api_tenant.h"

struct api_agent_poll {
	unsigned magic;
#define API_AGENT_POLL_MAGIC 0xa9e4b011
	struct api_agent_polls *polls;
	struct api_req *r;
	int64_t agent, after;
	double wait;
	struct event *timer;
	unsigned held; /* its answer started, it is on the list */
	unsigned reading; /* a read is in flight */
	unsigned again; /* woken meanwhile: read once more */
	unsigned ending; /* over, once the read in flight is */
	char *body; /* what it ends with; NULL: no command */
	VTAILQ_ENTRY(api_agent_poll) list;
};

struct api_agent_polls {
	unsigned magic;
#define API_AGENT_POLLS_MAGIC 0xa9e4b010
	struct event_base *eb;
	struct pg_pool *pool;
	unsigned stopped;
	VTAILQ_HEAD(, api_agent_poll) held;
};

static void ap_read(struct api_agent_poll *);

/* The end of a poll: its body, or none; the poll freed. */
static void
ap_finish(struct api_agent_poll *p)
{
	char empty[64];
	const char *body;

	CHECK_OBJ_NOTNULL(p, API_AGENT_POLL_MAGIC);
	AZ(p->reading);
	snprintf(empty, sizeof empty, "{\"commands\":[],\"cursor\":%jd}",
	    (intmax_t)p->after);
	body = p->body != NULL ? p->body : empty;
	if (p->held) {
		VTAILQ_REMOVE(&p->polls->held, p, list);
		event_free(p->timer);
		http_api_stream_write(p->r, body, strlen(body));
		http_api_stream_write(p->r, "\n", 1);
		http_api_stream_end(p->r);
	} else {
		http_api_reply_text(p->r, 200, body);
	}
	free(p->body);
	FREE_OBJ(p);
}

/* Over: now, or once the read in flight is. */
static void
ap_end(struct api_agent_poll *p)
{
	CHECK_OBJ_NOTNULL(p, API_AGENT_POLL_MAGIC);
	p->ending = 1;
	if (!p->reading)
		ap_finish(p);
}

static void
ap_timeout(evutil_socket_t fd, short what, void *priv)
{
	struct api_agent_poll *p;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(p, priv, API_AGENT_POLL_MAGIC);
	ap_end(p);
}

static void
ap_gone(void *priv)
{
	struct api_agent_poll *p;

	CAST_OBJ_NOTNULL(p, priv, API_AGENT_POLL_MAGIC);
	ap_end(p);
}

static void
ap_wake(struct api_agent_poll *p)
{
	CHECK_OBJ_NOTNULL(p, API_AGENT_POLL_MAGIC);
	if (p->ending)
		return;
	if (p->reading) {
		p->again = 1;
		return;
	}
	ap_read(p);
}

/* Nothing yet: held, until a command or its wait's end. */
static void
ap_hold(struct api_agent_poll *p)
{
	struct api_agent_polls *ps = p->polls;
	struct api_agent_poll *o, *o2;
	struct timeval tv;

	/* The agent's poll before this one is over: one per agent. */
	VTAILQ_FOREACH_SAFE(o, &ps->held, list, o2)
	if (o->agent == p->agent)
		ap_end(o);
	if (http_api_stream_start(p->r, 200, "application/json", ap_gone, p) !=
	    0) {
		/* HEAD: the headers were all. */
		FREE_OBJ(p);
		return;
	}
	p->held = 1;
	VTAILQ_INSERT_TAIL(&ps->held, p, list);
	p->timer = event_new(ps->eb, -1, 0, ap_timeout, p);
	AN(p->timer);
	tv.tv_sec = (time_t)p->wait;
	tv.tv_usec = (suseconds_t)((p->wait - (double)tv.tv_sec) * 1e6);
	AZ(event_add(p->timer, &tv));
	ap_read(p);
}

/* Whether an answer of the store holds a command. */
static int
ap_has_commands(const char *json)
{
	json_t *j;
	int n;

	j = json_loads(json, 0, NULL);
	AN(j);
	n = json_array_size(json_object_get(j, "commands")) > 0;
	json_decref(j);
	return (n);
}

static void
ap_read_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_agent_poll *p;

	CAST_OBJ_NOTNULL(p, priv, API_AGENT_POLL_MAGIC);
	AN(p->reading);
	p->reading = 0;
	if (st == AS_OK && ap_has_commands(json)) {
		p->body = strdup(json);
		AN(p->body);
		ap_end(p);
		return;
	}
	if (!p->held && st != AS_OK) {
		/* Nothing sent yet: the answer can still say why. */
		if (st == AS_NOT_FOUND)
			http_api_error(p->r, 401, "invalid_agent_token", NULL,
			    "no such agent token, or it was revoked");
		else
			http_api_error(p->r, 503, NULL, NULL,
			    "the database did not answer; try again");
		if (st != AS_NOT_FOUND)
			log_warning("api", "an agent's commands: %s",
			    err != NULL ? err : "?");
		FREE_OBJ(p);
		return;
	}
	if (st != AS_OK || p->ending || p->wait <= 0 || p->polls->stopped) {
		/* A held poll whose read failed ends empty: the agent
		 * polls again, as it does after any answer. */
		if (st == AS_ERROR)
			log_warning("api", "an agent's commands: %s",
			    err != NULL ? err : "?");
		ap_end(p);
		return;
	}
	if (!p->held) {
		ap_hold(p);
		return;
	}
	if (p->again) {
		p->again = 0;
		ap_read(p);
	}
}

static void
ap_read(struct api_agent_poll *p)
{
	const char *err;

	CHECK_OBJ_NOTNULL(p, API_AGENT_POLL_MAGIC);
	AZ(p->reading);
	p->reading = 1;
	p->again = 0;
	if (ags_commands(p->polls->pool, p->agent, p->after, ap_read_done, p,
	        &err) == 0)
		return;
	p->reading = 0;
	if (p->held) {
		ap_end(p);
		return;
	}
	http_api_error(p->r, 503, NULL, NULL, "%s", err);
	FREE_OBJ(p);
}

/*--------------------------------------------------------------------
 * The route
 */

void
api_agent_commands_get(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_agent_poll *p;
	int64_t after, wait;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	CHECK_OBJ_NOTNULL(t->polls, API_AGENT_POLLS_MAGIC);
	assert(api_caller(r)->agent > 0);
	if (api_query_int(r, "after", 0, 0, INT64_MAX, &after) != 0) {
		http_api_error(r, 422, "invalid", "after",
		    "after is a command's id, 0 or more");
		return;
	}
	if (api_query_int(r, "wait", 0, 0, AGENT_POLL_WAIT_MAX, &wait) != 0) {
		http_api_error(r, 422, "invalid", "wait",
		    "wait is seconds, from 0 to %d", AGENT_POLL_WAIT_MAX);
		return;
	}
	ALLOC_OBJ(p, API_AGENT_POLL_MAGIC);
	AN(p);
	p->polls = t->polls;
	p->r = r;
	p->agent = api_caller(r)->agent;
	p->after = after;
	p->wait = t->polls->stopped ? 0 : (double)wait;
	ap_read(p);
}

/*--------------------------------------------------------------------
 * The one LISTEN
 */

static void
ap_notified(void *priv, const char *channel, const char *payload)
{
	struct api_agent_polls *ps;
	struct api_agent_poll *p, *p2;
	int64_t agent = 0;
	char *end;

	CAST_OBJ_NOTNULL(ps, priv, API_AGENT_POLLS_MAGIC);
	(void)channel;
	if (payload != NULL) {
		agent = strtoll(payload, &end, 10);
		if (*payload == '\0' || *end != '\0' || agent <= 0) {
			log_debug("api", "agents: a notification not ours: %s",
			    payload);
			return;
		}
	}
	/* NULL: listening (again); what was said meanwhile is lost. */
	VTAILQ_FOREACH_SAFE(p, &ps->held, list, p2)
	{
		if (payload == NULL || p->agent == agent)
			ap_wake(p);
	}
}

/*--------------------------------------------------------------------
 * Up and down
 */

struct api_agent_polls *
api_agent_polls_new(struct event_base *eb, struct pg_pool *pool)
{
	struct api_agent_polls *ps;

	AN(eb);
	AN(pool);
	ALLOC_OBJ(ps, API_AGENT_POLLS_MAGIC);
	AN(ps);
	ps->eb = eb;
	ps->pool = pool;
	VTAILQ_INIT(&ps->held);
	pg_pool_listen(pool, AGS_CHANNEL, ap_notified, ps);
	return (ps);
}

void
api_agent_polls_stop(struct api_agent_polls *ps)
{
	struct api_agent_poll *p, *p2;

	CHECK_OBJ_NOTNULL(ps, API_AGENT_POLLS_MAGIC);
	ps->stopped = 1;
	VTAILQ_FOREACH_SAFE(p, &ps->held, list, p2)
	ap_end(p);
}

void
api_agent_polls_free(struct api_agent_polls **psp)
{
	struct api_agent_polls *ps;
	struct api_agent_poll *p;

	TAKE_OBJ_NOTNULL(ps, psp, API_AGENT_POLLS_MAGIC);
	while ((p = VTAILQ_FIRST(&ps->held)) != NULL) {
		AZ(p->reading);
		ap_finish(p);
	}
	FREE_OBJ(ps);
}
