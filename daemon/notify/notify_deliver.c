/*
 * The deliverer: claim, send, record, on the loop.
 *
 * One claim at a time, for as many rows as there is room for in flight;
 * a claim that came back full is followed by another at once, so that a
 * backlog drains at the concurrency's pace, not the poll's.  Each send
 * owns the claim's JSON it reads from, its words, and its post or mail,
 * until its outcome is written.
 *
 * What counts as delivered: an HTTP answer of 2xx, an SMTP exchange
 * that ended well.  A 4xx other than 408 and 429 will not get better by
 * trying again (a webhook deleted, a payload refused): given up at
 * once.  Everything else is tried again, later each time.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "core/log.h"
#include "fetch/fetcher.h"
#include "store/pg_pool.h"
#include "notify_deliver.h"

struct notify_deliver {
	unsigned magic;
#define NOTIFY_DELIVER_MAGIC 0x7e0e7e10
	struct event_base *eb;
	struct pg_pool *pool;
	struct notify_conf conf;
	struct fetcher *http; /* the channels': addresses checked */
	struct fetcher *smtp; /* the operator's server */
	struct event *poll, *watch_timer;
	unsigned inflight;
	int claiming, again, watching, stopping;
	struct notify_stats stats;
};

/* One row on its way. */
struct nd_send {
	unsigned magic;
#define ND_SEND_MAGIC 0x7e0e7e11
	struct notify_deliver *d;
	json_t *row; /* the claim's, which e borrows from */
	struct notify_event e;
	struct notify_text t;
	struct notify_post post;
	struct notify_mail *mail;
};

static void nd_claim(struct notify_deliver *);

/*--------------------------------------------------------------------
 * A send's end
 */

static void
nd_send_free(struct nd_send **sp)
{
	struct nd_send *s;

	TAKE_OBJ_NOTNULL(s, sp, ND_SEND_MAGIC);
	if (s->post.magic == NOTIFY_POST_MAGIC)
		notify_post_fini(&s->post);
	if (s->t.magic == NOTIFY_TEXT_MAGIC)
		notify_text_fini(&s->t);
	if (s->mail != NULL)
		notify_mail_free(&s->mail);
	json_decref(s->row);
	FREE_OBJ(s);
}

/* The outcome written (or not): room for another. */
static void
nd_recorded(void *priv, const char *json, const char *err)
{
	struct notify_deliver *d;
	struct nd_send *s;

	CAST_OBJ_NOTNULL(s, priv, ND_SEND_MAGIC);
	d = s->d;
	CHECK_OBJ_NOTNULL(d, NOTIFY_DELIVER_MAGIC);
	if (err != NULL && !d->stopping)
		/* The lease runs out and it is sent again. */
		log_warning("notify", "delivery %jd: writing its outcome: %s",
		    (intmax_t)s->e.id, err);
	else if (json != NULL && !strcmp(json, "failed"))
		d->stats.given_up++;
	nd_send_free(&s);
	assert(d->inflight > 0);
	d->inflight--;
	if (!d->stopping && d->again)
		nd_claim(d);
}

static void
nd_ok(struct nd_send *s, long status)
{
	struct notify_deliver *d = s->d;

	d->stats.delivered++;
	if (ob_delivered(d->pool, s->e.id, s->e.attempt, status, nd_recorded,
	        s) != 0)
		nd_recorded(s, NULL, "stopping");
}

static void
nd_fail(struct nd_send *s, const char *why, long status, int permanent)
{
	struct notify_deliver *d = s->d;

	d->stats.failed++;
	log_info("notify", "delivery %jd (%s), attempt %jd: %s",
	    (intmax_t)s->e.id, s->e.key, (intmax_t)s->e.attempt, why);
	if (ob_failed(d->pool, s->e.id, s->e.attempt, why, status, permanent,
	        &d->conf.retry, nd_recorded, s) != 0)
		nd_recorded(s, NULL, "stopping");
}

static void
nd_sent(void *priv, const struct fetch_result *res)
{
	struct nd_send *s;
	char why[256];
	int smtp;

	CAST_OBJ_NOTNULL(s, priv, ND_SEND_MAGIC);
	if (s->d->stopping) {
		nd_recorded(s, NULL, "stopping");
		return;
	}
	smtp = s->mail != NULL;
	if (!res->ok) {
		nd_fail(s, res->error != NULL ? res->error : "failed",
		    res->status, 0);
		return;
	}
	if (smtp || (res->status >= 200 && res->status < 300)) {
		nd_ok(s, res->status);
		return;
	}
	snprintf(why, sizeof why, "HTTP %ld%s%s", res->status,
	    res->reason != NULL && *res->reason != '\0' ? " " : "",
	    res->reason != NULL ? res->reason : "");
	nd_fail(s, why, res->status,
	    res->status >= 400 && res->status < 500 && res->status != 408 &&
	        res->status != 429);
}

/*--------------------------------------------------------------------
 * A send's start
 */

/* The row's fields, borrowed; -1 when it is not what a claim makes. */
static int
nd_event(struct nd_send *s)
{
	struct notify_event *e = &s->e;
	json_t *r = s->row;

	INIT_OBJ(e, NOTIFY_EVENT_MAGIC);
	e->id = json_integer_value(json_object_get(r, "id"));
	e->attempt = json_integer_value(json_object_get(r, "attempt"));
	e->key = json_string_value(json_object_get(r, "key"));
	e->event = json_string_value(json_object_get(r, "event"));
	e->kind = json_string_value(json_object_get(r, "kind"));
	e->url = json_string_value(json_object_get(r, "url"));
	e->secret = json_string_value(json_object_get(r, "secret"));
	e->payload = json_object_get(r, "payload");
	e->recipients = json_object_get(r, "recipients");
	if (e->id <= 0 || e->key == NULL || e->event == NULL ||
	    e->kind == NULL || !json_is_object(e->payload))
		return (-1);
	return (0);
}

static void
nd_http(struct nd_send *s, const struct notify_kind *k)
{
	struct notify_deliver *d = s->d;
	struct fetch_req rq;
	unsigned u;

	if (s->e.url == NULL || (k == &notify_webhook && s->e.secret == NULL)) {
		nd_fail(s, "the channel has no URL or secret", 0, 1);
		return;
	}
	notify_post_init(&s->post, &s->e);
	k->post(&s->e, &s->t, VTIM_real(), &s->post);
	memset(&rq, 0, sizeof rq);
	rq.url = s->e.url;
	rq.method = "POST";
	rq.body = s->post.body;
	rq.bodylen = strlen(s->post.body);
	rq.timeout = d->conf.timeout;
	assert(s->post.nhdr <= FETCH_MAX_HDRS);
	for (u = 0; u < s->post.nhdr; u++)
		rq.hdr[u] = s->post.hdr[u];
	rq.nhdr = s->post.nhdr;
	if (fetcher_submit(d->http, &rq, nd_sent, s) != 0)
		nd_fail(s, "the request could not be made (the URL?)", 0, 0);
}

static void
nd_mail(struct nd_send *s)
{
	struct notify_deliver *d = s->d;
	struct fetch_req rq;

	if (d->conf.smtp.url == NULL) {
		nd_fail(s, "no SMTP server is configured (--smtp-url)", 0, 0);
		return;
	}
	s->mail = notify_mail_new(&s->e, &s->t, &d->conf.smtp, VTIM_real());
	memset(&rq, 0, sizeof rq);
	notify_mail_req(s->mail, &rq);
	rq.timeout = d->conf.timeout;
	if (fetcher_submit(d->smtp, &rq, nd_sent, s) != 0)
		nd_fail(s, "the message could not be made (no recipients?)", 0,
		    1);
}

static void
nd_send(struct notify_deliver *d, json_t *row)
{
	const struct notify_kind *k;
	struct nd_send *s;

	ALLOC_OBJ(s, ND_SEND_MAGIC);
	AN(s);
	s->d = d;
	s->row = json_incref(row);
	d->inflight++;
	if (nd_event(s) != 0) {
		/* Not written by ob_claim: nothing to record it against. */
		log_error("notify", "a claimed row without its fields");
		nd_recorded(s, NULL, NULL);
		return;
	}
	k = notify_kind_of(s->e.kind);
	if (k == NULL) {
		nd_fail(s, "no such kind of channel", 0, 1);
		return;
	}
	notify_text_init(&s->t, &s->e, d->conf.public_url);
	if (k->post != NULL)
		nd_http(s, k);
	else
		nd_mail(s);
}

/*--------------------------------------------------------------------
 * Claims
 */

static void
nd_claimed(void *priv, const char *json, const char *err)
{
	struct notify_deliver *d;
	json_t *rows, *row;
	size_t i, n;
	unsigned asked;

	CAST_OBJ_NOTNULL(d, priv, NOTIFY_DELIVER_MAGIC);
	asked = (unsigned)d->claiming;
	d->claiming = 0;
	if (d->stopping)
		return;
	if (err != NULL || json == NULL) {
		log_warning("notify", "claiming deliveries: %s",
		    err != NULL ? err : "no answer");
		return;
	}
	rows = json_loads(json, 0, NULL);
	AN(rows);
	n = json_array_size(rows);
	json_array_foreach(rows, i, row)
	{
		nd_send(d, row);
	}
	json_decref(rows);
	/* Full: there may be more due. */
	d->again = (n == asked);
	if (d->again)
		nd_claim(d);
}

static void
nd_claim(struct notify_deliver *d)
{
	unsigned room;

	CHECK_OBJ_NOTNULL(d, NOTIFY_DELIVER_MAGIC);
	if (d->stopping || d->claiming)
		return;
	room = d->conf.concurrency > d->inflight
	    ? d->conf.concurrency - d->inflight
	    : 0;
	if (room == 0) {
		d->again = 1;
		return;
	}
	d->again = 0;
	if (ob_claim(d->pool, room, d->conf.timeout + 30, nd_claimed, d) == 0)
		d->claiming = (int)room;
}

static void
nd_on_poll(evutil_socket_t fd, short what, void *priv)
{
	struct notify_deliver *d;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(d, priv, NOTIFY_DELIVER_MAGIC);
	nd_claim(d);
}

/* A row was written (payload NULL: LISTEN again; anything missed). */
static void
nd_on_notify(void *priv, const char *channel, const char *payload)
{
	struct notify_deliver *d;

	(void)channel;
	(void)payload;
	CAST_OBJ_NOTNULL(d, priv, NOTIFY_DELIVER_MAGIC);
	nd_claim(d);
}

/*--------------------------------------------------------------------
 * Anomalies and reports
 */

static void
nd_watched(void *priv, const char *json, const char *err)
{
	struct notify_deliver *d;

	CAST_OBJ_NOTNULL(d, priv, NOTIFY_DELIVER_MAGIC);
	d->watching = 0;
	if (err != NULL && !d->stopping)
		log_warning("notify", "looking for anomalies: %s", err);
	else if (json != NULL && strcmp(json, "0") && strcmp(json, "-1"))
		log_info("notify", "anomalies and reports: %s events", json);
}

static void
nd_on_watch(evutil_socket_t fd, short what, void *priv)
{
	struct notify_deliver *d;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(d, priv, NOTIFY_DELIVER_MAGIC);
	if (d->stopping || d->watching)
		return;
	if (ob_watch(d->pool, nd_watched, d) == 0)
		d->watching = 1;
}

/*--------------------------------------------------------------------
 * notify_deliver.h
 */

void
notify_conf_default(struct notify_conf *c)
{
	AN(c);
	memset(c, 0, sizeof *c);
	c->retry.base = 60;
	c->retry.cap = 3600;
	c->retry.max_age = 2 * 86400;
	c->poll = 5;
	c->watch = 60;
	c->timeout = 30;
	c->concurrency = 8;
}

static struct event *
nd_timer(struct notify_deliver *d, double every, event_callback_fn cb)
{
	struct timeval tv;
	struct event *ev;

	ev = event_new(d->eb, -1, EV_PERSIST, cb, d);
	AN(ev);
	tv.tv_sec = (long)every;
	tv.tv_usec = (long)((every - (double)tv.tv_sec) * 1e6);
	AZ(event_add(ev, &tv));
	return (ev);
}

struct notify_deliver *
notify_deliver_new(struct event_base *eb, struct pg_pool *pool,
    const struct notify_conf *conf)
{
	struct notify_deliver *d;

	AN(eb);
	AN(pool);
	AN(conf);
	assert(conf->poll > 0);
	assert(conf->concurrency > 0);
	ALLOC_OBJ(d, NOTIFY_DELIVER_MAGIC);
	AN(d);
	d->eb = eb;
	d->pool = pool;
	d->conf = *conf;
	d->http = fetcher_new(eb, conf->concurrency);
	fetcher_check_addresses(d->http, conf->allow_private);
	d->smtp = fetcher_new(eb, 2);
	d->poll = nd_timer(d, conf->poll, nd_on_poll);
	if (conf->watch > 0) {
		d->watch_timer = nd_timer(d, conf->watch, nd_on_watch);
		/* At start too: an anomaly that began while none looked. */
		event_active(d->watch_timer, EV_TIMEOUT, 0);
	}
	pg_pool_listen(pool, OB_CHANNEL, nd_on_notify, d);
	nd_claim(d);
	return (d);
}

void
notify_deliver_stop(struct notify_deliver *d)
{
	CHECK_OBJ_NOTNULL(d, NOTIFY_DELIVER_MAGIC);
	d->stopping = 1;
	/* What is in flight ends here, unrecorded. */
	fetcher_free(&d->http);
	fetcher_free(&d->smtp);
	if (d->poll != NULL)
		event_free(d->poll);
	if (d->watch_timer != NULL)
		event_free(d->watch_timer);
	d->poll = d->watch_timer = NULL;
}

void
notify_deliver_free(struct notify_deliver **dp)
{
	struct notify_deliver *d;

	TAKE_OBJ_NOTNULL(d, dp, NOTIFY_DELIVER_MAGIC);
	if (!d->stopping)
		notify_deliver_stop(d);
	AZ(d->inflight);
	FREE_OBJ(d);
}

void
notify_deliver_stats(const struct notify_deliver *d, struct notify_stats *st)
{
	CHECK_OBJ_NOTNULL(d, NOTIFY_DELIVER_MAGIC);
	AN(st);
	*st = d->stats;
}
