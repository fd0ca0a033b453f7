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

struct api_sse {
	unsigned magic;
#define API_SSE_MAGIC 0x55e0c000
	struct event_base *eb;
	double heartbeat;
	unsigned nstream;
	VTAILQ_HEAD(, api_sse_stream) streams;
};

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
	s->ending = 1;
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
 * then), the first read.  Then a ping and a read every heartbeat: what
 * no notification says (a token revoked, a membership ended) is seen
 * within one.
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
	if (s->started)
		sse_write(s, ": ping\n\n");
	s->started = 1;
	sse_beat_arm(s, s->sse->heartbeat);
	sse_wake(s);
}

static unsigned
sse_count(const struct api_sse *sse, int64_t user)
{
	const struct api_sse_stream *s;
	unsigned n = 0;

	VTAILQ_FOREACH(s, &sse->streams, list)
	if (s->user == user && !s->ending)
		n++;
	return (n);
}

struct api_sse_stream *
api_sse_open(struct api_sse *sse, struct api_req *r, int64_t website,
    int64_t job, api_sse_read_f *read, api_sse_fini_f *fini, void *priv)
{
	const struct api_caller *c = api_caller(r);
	struct api_sse_stream *s;
	char retry[32];
	double stall;

	CHECK_OBJ_NOTNULL(sse, API_SSE_MAGIC);
	AN(read);
	AN(fini);
	assert(c->user > 0);
	assert(website > 0 || job > 0);
	if (sse_count(sse, c->user) >= API_SSE_PER_USER) {
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
 * Up and down
 */

struct api_sse *
api_sse_new(struct event_base *eb, struct pg_pool *pool, double heartbeat)
{
	struct api_sse *sse;

	AN(eb);
	AN(pool);
	assert(heartbeat > 0);
	ALLOC_OBJ(sse, API_SSE_MAGIC);
	AN(sse);
	sse->eb = eb;
	sse->heartbeat = heartbeat;
	VTAILQ_INIT(&sse->streams);
	pg_pool_listen(pool, ES_CHANNEL, sse_notified, sse);
	return (sse);
}

void
api_sse_stop(struct api_sse *sse)
{
	struct api_sse_stream *s, *s2;

	CHECK_OBJ_NOTNULL(sse, API_SSE_MAGIC);
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
	FREE_OBJ(sse);
}

void
api_sse_metrics(void *priv, struct metrics *m)
{
	struct api_sse *sse;

	CAST_OBJ_NOTNULL(sse, priv, API_SSE_MAGIC);
	metrics_u64(m, M_API_SSE_STREAMS, sse->nstream, NULL);
}
