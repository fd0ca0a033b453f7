/*
 * The streams of one replica: their limit per user, their heartbeats,
 * the one LISTEN that wakes them, and the wire format of an event.
 *
 * A stream ends in one place (sse_finish), when whatever is in flight
 * allows: at once if no read is, else when the read says it is done.
 * Its client going, its token ending and its reader's end all come
 * there.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vsb.h"
#include "vtim.h"

#include "core/log.h"
#include "store/event_store.h"
#include "store/pg_pool.h"
#include "api_sse.h"
#include "http_api.h"

/* Written data a client may leave unread this long, in heartbeats,
 * and at least this many seconds, before it is taken for gone. */
#define SSE_STALL_BEATS 4
#define SSE_STALL_MIN 30.0

struct api_sse_stream {
	unsigned magic;
#define API_SSE_STREAM_MAGIC 0x55e0c001
	struct api_sse *sse;
	struct api_req *r;
	int64_t user, website, job;
	char jti[40]; /* the token's */
	uint64_t serial; /* ascending along the list */
	double expires; /* the token's end, VTIM_real() */
	struct event *beat;
	api_sse_read_f *read;
	api_sse_fini_f *fini;
	void *priv;
	unsigned reading; /* a read is in flight */
	unsigned again; /* woken meanwhile: read once more */
	unsigned ending; /* over, once the read in flight is */
	unsigned started; /* the first read was asked */
	VTAILQ_ENTRY(api_sse_stream) list;
};

/* A user's streams here that are not ending, for their limit. */
struct api_sse_user {
	unsigned magic;
#define API_SSE_USER_MAGIC 0x55e0c003
	int64_t user;
	unsigned n;
	VLIST_ENTRY(api_sse_user) hash;
};

VLIST_HEAD(api_sse_users, api_sse_user);

struct api_sse {
	unsigned magic;
#define API_SSE_MAGIC 0x55e0c000
	struct event_base *eb;
	struct pg_pool *pool;
	double heartbeat;
	unsigned nstream;
	uint64_t serial;
	VTAILQ_HEAD(, api_sse_stream) streams;
	/* The users with streams, by id: nbucket, a power of two. */
	struct api_sse_users *users;
	unsigned nbucket, nuser;
	/* Every heartbeat, the streams' right to read, in one statement:
	 * the serials of those asked, while it runs. */
	struct event *check;
	unsigned checking;
	uint64_t *asked;
	unsigned nasked;
};

/*--------------------------------------------------------------------
 * Streams by user: each open asks how many its user has, and ten
 * thousand users would make a walk of the list cost more than the rest
 * of the open together.
 */

static struct api_sse_users *
sse_users_bucket(const struct api_sse *sse, int64_t user)
{
	uint64_t h = (uint64_t)user * 0x9e3779b97f4a7c15ULL;

	return (&sse->users[h >> 32 & (sse->nbucket - 1)]);
}

static void
sse_users_grow(struct api_sse *sse)
{
	struct api_sse_users *old = sse->users;
	struct api_sse_user *u, *u2;
	unsigned i, n = sse->nbucket;

	sse->nbucket = n > 0 ? n * 2 : 64;
	sse->users = calloc(sse->nbucket, sizeof *sse->users);
	AN(sse->users);
	for (i = 0; i < n; i++) {
		VLIST_FOREACH_SAFE(u, &old[i], hash, u2)
		{
			VLIST_REMOVE(u, hash);
			VLIST_INSERT_HEAD(sse_users_bucket(sse, u->user), u,
			    hash);
		}
	}
	free(old);
}

/* The user's, NULL if none and not make. */
static struct api_sse_user *
sse_user(struct api_sse *sse, int64_t user, int make)
{
	struct api_sse_user *u;

	if (sse->nbucket > 0) {
		VLIST_FOREACH(u, sse_users_bucket(sse, user), hash)
		if (u->user == user)
			return (u);
	}
	if (!make)
		return (NULL);
	if (sse->nuser >= sse->nbucket)
		sse_users_grow(sse);
	ALLOC_OBJ(u, API_SSE_USER_MAGIC);
	AN(u);
	u->user = user;
	VLIST_INSERT_HEAD(sse_users_bucket(sse, user), u, hash);
	sse->nuser++;
	return (u);
}

/* The stream is ending: its user's count goes down, once. */
static void
sse_user_forget(struct api_sse_stream *s)
{
	struct api_sse *sse = s->sse;
	struct api_sse_user *u;

	AZ(s->ending);
	s->ending = 1;
	u = sse_user(sse, s->user, 0);
	CHECK_OBJ_NOTNULL(u, API_SSE_USER_MAGIC);
	assert(u->n > 0);
	if (--u->n > 0)
		return;
	VLIST_REMOVE(u, hash);
	FREE_OBJ(u);
	assert(sse->nuser > 0);
	sse->nuser--;
}

/*--------------------------------------------------------------------
 * A stream's life
 */

static void
sse_finish(struct api_sse_stream *s)
{
	struct api_sse *sse;

	CHECK_OBJ_NOTNULL(s, API_SSE_STREAM_MAGIC);
	AZ(s->reading);
	sse = s->sse;
	CHECK_OBJ_NOTNULL(sse, API_SSE_MAGIC);
	if (!s->ending)
		sse_user_forget(s);
	VTAILQ_REMOVE(&sse->streams, s, list);
	assert(sse->nstream > 0);
	sse->nstream--;
	event_free(s->beat);
	s->fini(s->priv);
	http_api_stream_end(s->r);
	FREE_OBJ(s);
}

/* Over: now, or once the read in flight is. */
void
api_sse_end(struct api_sse_stream *s)
{
	CHECK_OBJ_NOTNULL(s, API_SSE_STREAM_MAGIC);
	if (!s->ending)
		sse_user_forget(s);
	if (!s->reading)
		sse_finish(s);
}

static void
sse_wake(struct api_sse_stream *s)
{
	CHECK_OBJ_NOTNULL(s, API_SSE_STREAM_MAGIC);
	if (s->ending)
		return;
	if (s->reading) {
		s->again = 1;
		return;
	}
	s->reading = 1;
	s->again = 0;
	s->read(s, s->priv);
}

void
api_sse_read_done(struct api_sse_stream *s, int end)
{
	CHECK_OBJ_NOTNULL(s, API_SSE_STREAM_MAGIC);
	AN(s->reading);
	s->reading = 0;
	if (end || s->ending)
		api_sse_end(s);
	else if (s->again)
		sse_wake(s);
}

static void
sse_gone(void *priv)
{
	struct api_sse_stream *s;

	CAST_OBJ_NOTNULL(s, priv, API_SSE_STREAM_MAGIC);
	api_sse_end(s);
}

static void
sse_write(struct api_sse_stream *s, const char *text)
{
	http_api_stream_write(s->r, text, strlen(text));
}

static void
sse_beat_arm(struct api_sse_stream *s, double seconds)
{
	struct timeval tv;

	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	AZ(event_add(s->beat, &tv));
}

/*
 * The first time, at once (from the loop: the handler has returned by
 * then), the first read.  Then a ping every heartbeat, and the end
 * once the token has ended.
 */
static void
sse_beat(evutil_socket_t fd, short what, void *priv)
{
	struct api_sse_stream *s;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(s, priv, API_SSE_STREAM_MAGIC);
	if (s->started && VTIM_real() >= s->expires) {
		api_sse_end(s);
		return;
	}
	sse_beat_arm(s, s->sse->heartbeat);
	if (s->started) {
		sse_write(s, ": ping\n\n");
		return;
	}
	s->started = 1;
	sse_wake(s);
}

struct api_sse_stream *
api_sse_open(struct api_sse *sse, struct api_req *r, int64_t website,
    int64_t job, api_sse_read_f *read, api_sse_fini_f *fini, void *priv)
{
	const struct api_caller *c = api_caller(r);
	struct api_sse_stream *s;
	struct api_sse_user *u;
	char retry[32];
	double stall;

	CHECK_OBJ_NOTNULL(sse, API_SSE_MAGIC);
	AN(read);
	AN(fini);
	assert(c->user > 0);
	assert(website > 0 || job > 0);
	u = sse_user(sse, c->user, 0);
	if (u != NULL && u->n >= API_SSE_PER_USER) {
		http_api_header(r, "Retry-After", "5");
		http_api_error(r, 429, "too_many_streams", NULL,
		    "%d event streams are open for you here already; "
		    "close one first",
		    API_SSE_PER_USER);
		return (NULL);
	}
	http_api_header(r, "Cache-Control", "no-cache");
	/* nginx would hold the events back to fill its buffer. */
	http_api_header(r, "X-Accel-Buffering", "no");
	ALLOC_OBJ(s, API_SSE_STREAM_MAGIC);
	AN(s);
	if (http_api_stream_start(r, 200, "text/event-stream", sse_gone, s) !=
	    0) {
		/* HEAD: the headers were all. */
		FREE_OBJ(s);
		return (NULL);
	}
	s->sse = sse;
	s->r = r;
	s->user = c->user;
	snprintf(s->jti, sizeof s->jti, "%s", c->jti);
	s->serial = ++sse->serial;
	s->website = website;
	s->job = job;
	s->expires = (double)c->expires;
	s->read = read;
	s->fini = fini;
	s->priv = priv;
	stall = sse->heartbeat * SSE_STALL_BEATS;
	http_api_stream_timeout(r,
	    stall > SSE_STALL_MIN ? stall : SSE_STALL_MIN);
	VTAILQ_INSERT_TAIL(&sse->streams, s, list);
	sse->nstream++;
	sse_user(sse, s->user, 1)->n++;
	snprintf(retry, sizeof retry, "retry: %d\n\n", API_SSE_RETRY_MS);
	sse_write(s, retry);
	s->beat = event_new(sse->eb, -1, 0, sse_beat, s);
	AN(s->beat);
	sse_beat_arm(s, 0);
	return (s);
}

/*
 * Each line of data its own "data:" line, as the format wants; JSON
 * written compact has none but the last, but a reader's text may.
 */
void
api_sse_event(struct api_sse_stream *s, const char *name, const char *id,
    const char *data)
{
	struct vsb *vsb;
	const char *p, *nl;

	CHECK_OBJ_NOTNULL(s, API_SSE_STREAM_MAGIC);
	AN(name);
	AN(data);
	AZ(strpbrk(name, "\r\n"));
	vsb = VSB_new_auto();
	AN(vsb);
	if (id != NULL) {
		AZ(strpbrk(id, "\r\n"));
		VSB_printf(vsb, "id: %s\n", id);
	}
	VSB_printf(vsb, "event: %s\n", name);
	for (p = data;; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL) {
			VSB_printf(vsb, "data: %s\n", p);
			break;
		}
		VSB_printf(vsb, "data: %.*s\n", (int)(nl - p), p);
	}
	VSB_cat(vsb, "\n");
	AZ(VSB_finish(vsb));
	http_api_stream_write(s->r, VSB_data(vsb), (size_t)VSB_len(vsb));
	VSB_destroy(&vsb);
}

/* An id and no data: the client keeps the id, and sees no event. */
void
api_sse_id(struct api_sse_stream *s, const char *id)
{
	char line[64];

	CHECK_OBJ_NOTNULL(s, API_SSE_STREAM_MAGIC);
	AN(id);
	AZ(strpbrk(id, "\r\n"));
	assert(strlen(id) < sizeof line - 7);
	snprintf(line, sizeof line, "id: %s\n\n", id);
	sse_write(s, line);
}

/*--------------------------------------------------------------------
 * The one LISTEN
 */

static void
sse_notified(void *priv, const char *channel, const char *payload)
{
	struct api_sse *sse;
	struct api_sse_stream *s, *s2;
	int64_t website = 0, job = 0;
	int all;

	CAST_OBJ_NOTNULL(sse, priv, API_SSE_MAGIC);
	(void)channel;
	/* NULL: listening (again); what was said meanwhile is lost. */
	all = payload == NULL;
	if (!all && es_payload(payload, &website, &job) != 0) {
		log_debug("api", "event streams: a notification not ours: %s",
		    payload);
		return;
	}
	/* A read ended at once may end its stream: the next is kept. */
	VTAILQ_FOREACH_SAFE(s, &sse->streams, list, s2)
	{
		if (all || (s->job != 0 && s->job == job) ||
		    (s->job == 0 && s->website == website))
			sse_wake(s);
	}
}

/*--------------------------------------------------------------------
 * The heartbeat's check
 */

/* Those it names may no longer read: their reader finds out itself. */
static void
sse_checked(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_sse *sse;
	struct api_sse_stream *s, *s2;
	json_t *doc, *v;
	json_int_t i;
	size_t u;

	CAST_OBJ_NOTNULL(sse, priv, API_SSE_MAGIC);
	AN(sse->checking);
	sse->checking = 0;
	if (st != AS_OK) {
		log_debug("api", "event streams' check: %s",
		    err != NULL ? err : "?");
		return;
	}
	doc = json_loads(json, 0, NULL);
	AN(doc);
	/* Both ascending: the list by serial, the answer by index. */
	s = VTAILQ_FIRST(&sse->streams);
	json_array_foreach(doc, u, v)
	{
		i = json_integer_value(v);
		assert(i >= 0 && (size_t)i < sse->nasked);
		while (s != NULL && s->serial < sse->asked[i])
			s = VTAILQ_NEXT(s, list);
		if (s == NULL)
			break;
		if (s->serial != sse->asked[i])
			continue;
		/* A read ended at once may end its stream. */
		s2 = VTAILQ_NEXT(s, list);
		sse_wake(s);
		s = s2;
	}
	json_decref(doc);
}

static void
sse_check(evutil_socket_t fd, short what, void *priv)
{
	struct api_sse *sse;
	struct api_sse_stream *s;
	const char **jti, *err;
	int64_t *user, *website;
	unsigned n = 0;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(sse, priv, API_SSE_MAGIC);
	if (sse->checking || sse->nstream == 0)
		return;
	user = malloc(sse->nstream * sizeof *user);
	jti = malloc(sse->nstream * sizeof *jti);
	website = malloc(sse->nstream * sizeof *website);
	sse->asked = realloc(sse->asked, sse->nstream * sizeof *sse->asked);
	AN(user);
	AN(jti);
	AN(website);
	AN(sse->asked);
	VTAILQ_FOREACH(s, &sse->streams, list)
	{
		if (s->ending)
			continue;
		user[n] = s->user;
		jti[n] = s->jti;
		website[n] = s->website;
		sse->asked[n++] = s->serial;
	}
	sse->nasked = n;
	if (n > 0 &&
	    es_check(sse->pool, n, user, jti, website, sse_checked, sse,
	        &err) == 0)
		sse->checking = 1;
	else if (n > 0)
		log_debug("api", "event streams' check: %s", err);
	free(user);
	free(jti);
	free(website);
}

/*--------------------------------------------------------------------
 * Up and down
 */

struct api_sse *
api_sse_new(struct event_base *eb, struct pg_pool *pool, double heartbeat)
{
	struct api_sse *sse;
	struct timeval tv;

	AN(eb);
	AN(pool);
	assert(heartbeat > 0);
	ALLOC_OBJ(sse, API_SSE_MAGIC);
	AN(sse);
	sse->eb = eb;
	sse->pool = pool;
	sse->heartbeat = heartbeat;
	VTAILQ_INIT(&sse->streams);
	pg_pool_listen(pool, ES_CHANNEL, sse_notified, sse);
	sse->check = event_new(eb, -1, EV_PERSIST, sse_check, sse);
	AN(sse->check);
	tv.tv_sec = (time_t)heartbeat;
	tv.tv_usec = (suseconds_t)((heartbeat - (double)tv.tv_sec) * 1e6);
	AZ(event_add(sse->check, &tv));
	return (sse);
}

void
api_sse_stop(struct api_sse *sse)
{
	struct api_sse_stream *s, *s2;

	CHECK_OBJ_NOTNULL(sse, API_SSE_MAGIC);
	AZ(event_del(sse->check));
	VTAILQ_FOREACH_SAFE(s, &sse->streams, list, s2)
	api_sse_end(s);
}

void
api_sse_free(struct api_sse **ssep)
{
	struct api_sse *sse;
	struct api_sse_stream *s;

	TAKE_OBJ_NOTNULL(sse, ssep, API_SSE_MAGIC);
	while ((s = VTAILQ_FIRST(&sse->streams)) != NULL) {
		AZ(s->reading);
		sse_finish(s);
	}
	AZ(sse->nstream);
	AZ(sse->nuser);
	free(sse->users);
	/* The pool went first: no check is in flight. */
	AZ(sse->checking);
	event_free(sse->check);
	free(sse->asked);
	FREE_OBJ(sse);
}

void
api_sse_metrics(void *priv, struct metrics *m)
{
	struct api_sse *sse;

	CAST_OBJ_NOTNULL(sse, priv, API_SSE_MAGIC);
	metrics_u64(m, M_API_SSE_STREAMS, sse->nstream, NULL);
}
