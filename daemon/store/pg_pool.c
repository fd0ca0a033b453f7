/*
 * libpq on libevent.  Each connection is a small state machine: DOWN
 * (waiting to try again), CONNECTING (PQconnectPoll told us which way
 * the socket must become ready), IDLE, BUSY (a statement, or first its
 * PREPARE, in flight).  Output that libpq could not write at once is
 * flushed on write-ready; input is consumed on read-ready and results
 * are taken only when PQisBusy() says they are whole, so nothing here
 * ever waits on the server.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "pg_pool.h"

#define BACKOFF_MIN 0.1
#define BACKOFF_MAX 5.0
#define CONNECT_TIMEOUT 10.0
#define WAIT_DEFAULT 30.0

struct pg_query {
	unsigned magic;
#define PG_QUERY_MAGIC 0x2f8b61d3
	VTAILQ_ENTRY(pg_query) list;
	const struct pg_stmt *st;
	char **values;
	pg_result_f *cb;
	void *priv;
	double queued;
	unsigned early : 1; /* asked before the pool was settled */
};

enum conn_state {
	CONN_DOWN,
	CONN_CONNECTING,
	CONN_IDLE,
	CONN_BUSY,
};

struct pg_conn {
	unsigned magic;
#define PG_CONN_MAGIC 0x2f8b61d4
	struct pg_pool *pool;
	PGconn *pg;
	enum conn_state state;
	unsigned listener : 1;
	unsigned preparing : 1; /* q's PREPARE is in flight, then q */
	unsigned listening : 1; /* the LISTENs went through */
	unsigned relisten : 1; /* and must go again, for a new channel */
	unsigned was_up : 1;
	struct event *io; /* connecting: one-shot; then persistent read */
	struct event *wr; /* output libpq still holds */
	struct event *timer; /* next attempt; connect timeout */
	double backoff;
	struct pg_query *q; /* NULL in a listener's LISTEN */
	PGresult *res;
	const struct pg_stmt **prepared;
	unsigned nprepared, lprepared;
	char err[256];
};

struct pg_chan {
	char *name;
	pg_notify_f *cb;
	void *priv;
};

struct pg_pool {
	unsigned magic;
#define PG_POOL_MAGIC 0x2f8b61d5
	struct event_base *eb;
	char *conninfo;
	struct pg_conn *conns;
	unsigned nconn;
	struct pg_conn *listener;
	struct pg_chan *chans;
	unsigned nchan;
	VTAILQ_HEAD(pg_query_head, pg_query) waiting;
	unsigned nwaiting;
	struct event *pump;
	struct event *sweep;
	double wait;
	int closing;
	/* A query connection came up, or a connection failed: until then
	 * the pool is starting, and what is asked waits for it. */
	unsigned settled : 1;
	uint64_t queries, errors, reconnects;
	char lasterr[256];
};

static void conn_start(struct pg_conn *);
static void conn_send(struct pg_conn *);
static void pg_pool_pump(struct pg_pool *);

/* libpq's messages span lines; ours are one, for logs. */
static void
copy_msg(char *dst, size_t len, const char *pfx, const char *msg)
{
	char *s, *d;

	snprintf(dst, len, "%s%s", pfx, msg != NULL ? msg : "");
	for (s = d = dst; *s != '\0'; s++) {
		if (*s == '\n' || *s == '\t' || *s == '\r') {
			if (d > dst && d[-1] != ' ')
				*d++ = ' ';
			continue;
		}
		*d++ = *s;
	}
	while (d > dst && d[-1] == ' ')
		d--;
	*d = '\0';
}

/* Server notices would go to stderr; the FATAL before a drop is seen
 * again as the error that drops the connection. */
static void
ignore_notice(void *priv, const char *msg)
{
	(void)priv;
	(void)msg;
}

static void
query_end(struct pg_pool *p, struct pg_query *q, const PGresult *res,
    const char *err)
{
	CHECK_OBJ_NOTNULL(q, PG_QUERY_MAGIC);
	p->queries++;
	if (err != NULL)
		p->errors++;
	q->cb(q->priv, (const struct pg_result *)res, err);
	FREE_OBJ(q);
}

/*--------------------------------------------------------------------
 * Connections
 */

/* Forget the connection itself; what it was running is the caller's. */
static void
conn_close(struct pg_conn *c)
{
	(void)event_del(c->io);
	(void)event_del(c->wr);
	(void)event_del(c->timer);
	if (c->res != NULL)
		PQclear(c->res);
	c->res = NULL;
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
	c->nprepared = 0;
	c->preparing = 0;
	c->listening = 0;
	c->relisten = 0;
	c->state = CONN_DOWN;
}

static void
conn_retry_later(struct pg_conn *c)
{
	struct timeval tv;
	double d;

	d = c->backoff;
	c->backoff =
	    c->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff * 2;
	/* Spread the pool's attempts a little, not all at one instant. */
	d *= 0.75 + 0.5 * (double)random() / RAND_MAX;
	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(c->timer, &tv));
}

/*
 * What was asked while the pool was starting (pg_pool_ask()) and still
 * waits when a connection fails with none up is told at once, as it
 * would have been asked a moment later.
 */
static void
fail_early(struct pg_pool *p, const char *err)
{
	struct pg_query_head early;
	struct pg_pool_stats ps;
	struct pg_query *q, *q2;

	pg_pool_stats(p, &ps);
	if (ps.connected > 0)
		return;
	VTAILQ_INIT(&early);
	VTAILQ_FOREACH_SAFE(q, &p->waiting, list, q2)
	{
		if (!q->early)
			continue;
		VTAILQ_REMOVE(&p->waiting, q, list);
		p->nwaiting--;
		VTAILQ_INSERT_TAIL(&early, q, list);
	}
	/* Their callers may ask again: the list is ours alone by then. */
	while ((q = VTAILQ_FIRST(&early)) != NULL) {
		VTAILQ_REMOVE(&early, q, list);
		query_end(p, q, NULL, err);
	}
}

/* The connection is gone: report it, fail its query, try again later. */
static void
conn_lost(struct pg_conn *c, const char *why)
{
	struct pg_pool *p = c->pool;
	struct pg_query *q;

	copy_msg(c->err, sizeof c->err, "", why);
	if (c->err[0] == '\0')
		strcpy(c->err, "connection lost");
	strcpy(p->lasterr, c->err);
	q = c->q;
	c->q = NULL;
	conn_close(c);
	conn_retry_later(c);
	p->settled = 1;
	if (q != NULL)
		query_end(p, q, NULL, c->err);
	fail_early(p, "the database is unreachable");
}

static void
conn_fail_msg(struct pg_conn *c)
{
	conn_lost(c, c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory");
}

static int
conn_flush(struct pg_conn *c)
{
	switch (PQflush(c->pg)) {
	case 0:
		return (0);
	case 1:
		AZ(event_add(c->wr, NULL));
		return (0);
	default:
		return (-1);
	}
}

static void
notify_all(struct pg_pool *p, const char *channel, const char *payload)
{
	unsigned u;

	for (u = 0; u < p->nchan; u++)
		if (channel == NULL || !strcmp(p->chans[u].name, channel))
			p->chans[u].cb(p->chans[u].priv, p->chans[u].name,
			    payload);
}

static void
take_notifies(struct pg_conn *c)
{
	PGnotify *n;

	while (c->pg != NULL && (n = PQnotifies(c->pg)) != NULL) {
		if (c->listener)
			notify_all(c->pool, n->relname,
			    n->extra != NULL ? n->extra : "");
		PQfreemem(n);
	}
}

/* LISTEN is a utility statement: no parameters, so escape the names. */
static void
conn_listen(struct pg_conn *c)
{
	struct pg_pool *p = c->pool;
	char *sql, *id;
	size_t len = 1;
	unsigned u;

	if (p->nchan == 0)
		return;
	for (u = 0; u < p->nchan; u++)
		len += strlen(p->chans[u].name) * 2 + 16;
	sql = malloc(len);
	AN(sql);
	sql[0] = '\0';
	for (u = 0; u < p->nchan; u++) {
		id = PQescapeIdentifier(c->pg, p->chans[u].name,
		    strlen(p->chans[u].name));
		if (id == NULL) {
			free(sql);
			conn_fail_msg(c);
			return;
		}
		strcat(sql, "LISTEN ");
		strcat(sql, id);
		strcat(sql, ";");
		PQfreemem(id);
	}
	c->state = CONN_BUSY;
	c->q = NULL;
	if (!PQsendQuery(c->pg, sql) || conn_flush(c) != 0)
		conn_fail_msg(c);
	free(sql);
}

static int
is_prepared(const struct pg_conn *c, const struct pg_stmt *st)
{
	unsigned u;

	for (u = 0; u < c->nprepared; u++)
		if (c->prepared[u] == st)
			return (1);
	return (0);
}

static void
add_prepared(struct pg_conn *c, const struct pg_stmt *st)
{
	if (c->nprepared == c->lprepared) {
		c->lprepared = c->lprepared ? c->lprepared * 2 : 8;
		c->prepared =
		    realloc(c->prepared, c->lprepared * sizeof *c->prepared);
		AN(c->prepared);
	}
	c->prepared[c->nprepared++] = st;
}

static const char *
result_error(const PGresult *res, char *buf, size_t len)
{
	if (res == NULL)
		return ("no result");
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		return (NULL);
	default:
		/* The primary message; the rest points into the SQL. */
		copy_msg(buf, len, "",
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		if (buf[0] == '\0')
			copy_msg(buf, len, "",
			    PQresStatus(PQresultStatus(res)));
		return (buf);
	}
}

/* The statement in flight has given all its results. */
static void
conn_step_done(struct pg_conn *c)
{
	struct pg_pool *p = c->pool;
	struct pg_query *q = c->q;
	const char *err;
	PGresult *res;
	char buf[512];

	res = c->res;
	c->res = NULL;
	err = result_error(res, buf, sizeof buf);
	if (q == NULL) {
		/* A listener's LISTENs. */
		PQclear(res);
		if (err != NULL) {
			conn_lost(c, err);
			return;
		}
		c->state = CONN_IDLE;
		if (c->relisten) {
			/* A channel came while these LISTENs were out. */
			c->relisten = 0;
			conn_listen(c);
			return;
		}
		c->listening = 1;
		notify_all(p, NULL, NULL);
		return;
	}
	if (c->preparing) {
		c->preparing = 0;
		if (err == NULL) {
			PQclear(res);
			add_prepared(c, q->st);
			conn_send(c);
			return;
		}
	}
	c->q = NULL;
	c->state = CONN_IDLE;
	query_end(p, q, res, err);
	PQclear(res);
}

static void
on_write(evutil_socket_t fd, short what, void *priv)
{
	struct pg_conn *c;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(c, priv, PG_CONN_MAGIC);
	if (c->pg != NULL && conn_flush(c) != 0)
		conn_fail_msg(c);
}

static void
on_read(evutil_socket_t fd, short what, void *priv)
{
	struct pg_conn *c;
	PGresult *r;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(c, priv, PG_CONN_MAGIC);
	if (!PQconsumeInput(c->pg)) {
		conn_fail_msg(c);
		return;
	}
	take_notifies(c);
	/* libpq may need input read before it can write the rest. */
	if (c->pg != NULL && PQisnonblocking(c->pg) && conn_flush(c) != 0) {
		conn_fail_msg(c);
		return;
	}
	while (c->state == CONN_BUSY && !PQisBusy(c->pg)) {
		r = PQgetResult(c->pg);
		if (r == NULL) {
			conn_step_done(c);
			continue;
		}
		/* One statement, one result; keep the first error. */
		if (c->res == NULL)
			c->res = r;
		else if (PQresultStatus(c->res) != PGRES_FATAL_ERROR &&
		    PQresultStatus(r) == PGRES_FATAL_ERROR) {
			PQclear(c->res);
			c->res = r;
		} else {
			PQclear(r);
		}
	}
	if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_BAD) {
		conn_fail_msg(c);
		return;
	}
	if (c->state == CONN_IDLE && !c->listener)
		pg_pool_pump(c->pool);
}

static void
conn_up(struct pg_conn *c)
{
	struct pg_pool *p = c->pool;
	evutil_socket_t fd;

	(void)event_del(c->timer);
	if (PQsetnonblocking(c->pg, 1) != 0) {
		conn_fail_msg(c);
		return;
	}
	fd = PQsocket(c->pg);
	AZ(event_assign(c->io, p->eb, fd, EV_READ | EV_PERSIST, on_read, c));
	AZ(event_assign(c->wr, p->eb, fd, EV_WRITE, on_write, c));
	AZ(event_add(c->io, NULL));
	c->state = CONN_IDLE;
	c->backoff = BACKOFF_MIN;
	p->lasterr[0] = '\0';
	if (c->was_up)
		p->reconnects++;
	c->was_up = 1;
	if (c->listener) {
		conn_listen(c);
	} else {
		p->settled = 1;
		pg_pool_pump(p);
	}
}

static void on_connect_io(evutil_socket_t, short, void *);

static void
conn_wait(struct pg_conn *c, PostgresPollingStatusType how)
{
	evutil_socket_t fd;

	fd = PQsocket(c->pg);
	if (fd < 0) {
		conn_fail_msg(c);
		return;
	}
	(void)event_del(c->io);
	AZ(event_assign(c->io, c->pool->eb, fd,
	    how == PGRES_POLLING_READING ? EV_READ : EV_WRITE, on_connect_io,
	    c));
	AZ(event_add(c->io, NULL));
}

static void
on_connect_io(evutil_socket_t fd, short what, void *priv)
{
	struct pg_conn *c;
	PostgresPollingStatusType st;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(c, priv, PG_CONN_MAGIC);
	assert(c->state == CONN_CONNECTING);
	st = PQconnectPoll(c->pg);
	switch (st) {
	case PGRES_POLLING_READING:
	case PGRES_POLLING_WRITING:
		conn_wait(c, st);
		break;
	case PGRES_POLLING_OK:
		conn_up(c);
		break;
	default:
		conn_fail_msg(c);
		break;
	}
}

static void
pg_pool_on_timer(evutil_socket_t fd, short what, void *priv)
{
	struct pg_conn *c;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(c, priv, PG_CONN_MAGIC);
	if (c->state == CONN_CONNECTING)
		conn_lost(c, "timed out connecting");
	else if (c->state == CONN_DOWN)
		conn_start(c);
}

static void
conn_start(struct pg_conn *c)
{
	/* Ours come before dbname, so that the URL's own win. */
	static const char *const kw[] = { "fallback_application_name",
		"connect_timeout", "dbname", NULL };
	const char *val[] = { "stoked", "10", c->pool->conninfo, NULL };
	struct timeval tv = { (time_t)CONNECT_TIMEOUT, 0 };

	assert(c->state == CONN_DOWN);
	c->pg = PQconnectStartParams(kw, val, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
		conn_fail_msg(c);
		return;
	}
	(void)PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
	c->state = CONN_CONNECTING;
	AZ(evtimer_add(c->timer, &tv));
	/* As if PQconnectPoll() had asked for write-ready. */
	conn_wait(c, PGRES_POLLING_WRITING);
}

static void
conn_init(struct pg_pool *p, struct pg_conn *c, int listener)
{
	INIT_OBJ(c, PG_CONN_MAGIC);
	c->pool = p;
	c->listener = listener ? 1 : 0;
	c->backoff = BACKOFF_MIN;
	c->io = event_new(p->eb, -1, 0, on_connect_io, c);
	c->wr = event_new(p->eb, -1, 0, on_write, c);
	c->timer = evtimer_new(p->eb, pg_pool_on_timer, c);
	AN(c->io);
	AN(c->wr);
	AN(c->timer);
	conn_start(c);
}

static void
conn_fini(struct pg_conn *c)
{
	struct pg_query *q;

	CHECK_OBJ_NOTNULL(c, PG_CONN_MAGIC);
	q = c->q;
	c->q = NULL;
	conn_close(c);
	if (q != NULL)
		query_end(c->pool, q, NULL, "stopped");
	event_free(c->io);
	event_free(c->wr);
	event_free(c->timer);
	free(c->prepared);
	c->magic = 0;
}

/*--------------------------------------------------------------------
 * Queries
 */

static void
conn_send(struct pg_conn *c)
{
	const struct pg_stmt *st;
	const char *const *v;
	int ok;

	CHECK_OBJ_NOTNULL(c->q, PG_QUERY_MAGIC);
	st = c->q->st;
	v = (const char *const *)c->q->values;
	c->state = CONN_BUSY;
	if (st->name == NULL) {
		ok = PQsendQueryParams(c->pg, st->sql, st->nparams, NULL, v,
		    NULL, NULL, 0);
	} else if (is_prepared(c, st)) {
		ok = PQsendQueryPrepared(c->pg, st->name, st->nparams, v, NULL,
		    NULL, 0);
	} else {
		c->preparing = 1;
		ok = PQsendPrepare(c->pg, st->name, st->sql, st->nparams, NULL);
	}
	if (!ok && PQstatus(c->pg) == CONNECTION_OK) {
		/* The statement, not the connection, is at fault. */
		struct pg_query *q = c->q;
		char buf[256];

		copy_msg(buf, sizeof buf, "", PQerrorMessage(c->pg));
		c->q = NULL;
		c->preparing = 0;
		c->state = CONN_IDLE;
		query_end(c->pool, q, NULL, buf);
		return;
	}
	if (!ok || conn_flush(c) != 0)
		conn_fail_msg(c);
}

static struct pg_conn *
idle_conn(struct pg_pool *p)
{
	unsigned u;

	for (u = 0; u < p->nconn; u++)
		if (p->conns[u].state == CONN_IDLE)
			return (&p->conns[u]);
	return (NULL);
}

static void
pg_pool_pump(struct pg_pool *p)
{
	struct pg_query *q;
	struct pg_conn *c;

	CHECK_OBJ_NOTNULL(p, PG_POOL_MAGIC);
	while ((q = VTAILQ_FIRST(&p->waiting)) != NULL &&
	    (c = idle_conn(p)) != NULL) {
		VTAILQ_REMOVE(&p->waiting, q, list);
		p->nwaiting--;
		c->q = q;
		conn_send(c);
	}
}

static void
on_pump(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	pg_pool_pump(priv);
}

/* Queries do not wait for ever: a caller may need to say the DB is down. */
static void
on_sweep(evutil_socket_t fd, short what, void *priv)
{
	struct pg_pool *p;
	struct pg_query *q;
	char err[384];
	double now;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(p, priv, PG_POOL_MAGIC);
	now = VTIM_mono();
	while ((q = VTAILQ_FIRST(&p->waiting)) != NULL &&
	    now - q->queued > p->wait) {
		VTAILQ_REMOVE(&p->waiting, q, list);
		p->nwaiting--;
		if (p->lasterr[0] != '\0')
			snprintf(err, sizeof err,
			    "no database connection free in %.0f s (%s)",
			    p->wait, p->lasterr);
		else
			snprintf(err, sizeof err,
			    "no database connection free in %.0f s", p->wait);
		query_end(p, q, NULL, err);
	}
}

int
pg_pool_query(struct pg_pool *p, const struct pg_stmt *st,
    const char *const *values, pg_result_f *cb, void *priv)
{
	struct pg_query *q;
	size_t len, l;
	char *s;
	int i;

	CHECK_OBJ_NOTNULL(p, PG_POOL_MAGIC);
	AN(st);
	AN(st->sql);
	AN(cb);
	assert(st->nparams >= 0);
	if (p->closing)
		return (-1);
	/* One allocation: the query, its value pointers, the values. */
	len = sizeof *q + (size_t)st->nparams * sizeof(char *);
	for (i = 0; i < st->nparams; i++)
		if (values[i] != NULL)
			len += strlen(values[i]) + 1;
	q = calloc(1, len);
	AN(q);
	q->magic = PG_QUERY_MAGIC;
	q->st = st;
	q->cb = cb;
	q->priv = priv;
	q->queued = VTIM_mono();
	q->values = (char **)(void *)(q + 1);
	s = (char *)(q->values + st->nparams);
	for (i = 0; i < st->nparams; i++) {
		if (values[i] == NULL)
			continue;
		l = strlen(values[i]) + 1;
		memcpy(s, values[i], l);
		q->values[i] = s;
		s += l;
	}
	VTAILQ_INSERT_TAIL(&p->waiting, q, list);
	p->nwaiting++;
	event_active(p->pump, EV_TIMEOUT, 0);
	return (0);
}

/*--------------------------------------------------------------------
 * The pool
 */

int
pg_pool_ask(struct pg_pool *p, const struct pg_stmt *st,
    const char *const *values, pg_result_f *cb, void *priv, const char **err)
{
	struct pg_pool_stats ps;

	AN(err);
	pg_pool_stats(p, &ps);
	/*
	 * Down, it is said at once rather than after the wait, so that
	 * the API says 503 while the database is away.  Starting, what is
	 * asked waits for the first connection: a request that came as
	 * the process began is not refused for being early.
	 */
	if (ps.connected == 0 && p->settled) {
		*err = "the database is unreachable";
		return (-1);
	}
	if (pg_pool_query(p, st, values, cb, priv) != 0) {
		*err = "stopping";
		return (-1);
	}
	/* No connection to take it: it is last in the queue. */
	if (ps.connected == 0)
		VTAILQ_LAST(&p->waiting, pg_query_head)->early = 1;
	return (0);
}

void
pg_pool_listen(struct pg_pool *p, const char *channel, pg_notify_f *cb,
    void *priv)
{
	struct pg_chan *ch;

	CHECK_OBJ_NOTNULL(p, PG_POOL_MAGIC);
	AN(channel);
	AN(cb);
	p->chans = realloc(p->chans, (p->nchan + 1) * sizeof *p->chans);
	AN(p->chans);
	ch = &p->chans[p->nchan++];
	ch->name = strdup(channel);
	AN(ch->name);
	ch->cb = cb;
	ch->priv = priv;
	if (p->listener == NULL) {
		p->listener = malloc(sizeof *p->listener);
		AN(p->listener);
		conn_init(p, p->listener, 1);
	} else if (p->listener->state == CONN_IDLE) {
		/* Again for all: LISTEN on a channel twice is harmless. */
		conn_listen(p->listener);
	} else if (p->listener->state == CONN_BUSY) {
		p->listener->relisten = 1;
	}
	/* Otherwise the LISTENs made on connecting will include it. */
}

struct pg_pool *
pg_pool_new(struct event_base *eb, const char *conninfo, unsigned nconn,
    char *err, size_t errlen)
{
	PQconninfoOption *opts;
	struct pg_pool *p;
	struct timeval sec = { 1, 0 };
	char *msg = NULL;
	unsigned u;

	AN(eb);
	AN(conninfo);
	opts = PQconninfoParse(conninfo, &msg);
	if (opts == NULL) {
		copy_msg(err, errlen,
		    "bad database URL: ", msg != NULL ? msg : "out of memory");
		PQfreemem(msg);
		return (NULL);
	}
	PQconninfoFree(opts);
	ALLOC_OBJ(p, PG_POOL_MAGIC);
	AN(p);
	p->eb = eb;
	p->conninfo = strdup(conninfo);
	AN(p->conninfo);
	p->wait = WAIT_DEFAULT;
	VTAILQ_INIT(&p->waiting);
	p->pump = event_new(eb, -1, 0, on_pump, p);
	p->sweep = event_new(eb, -1, EV_PERSIST, on_sweep, p);
	AN(p->pump);
	AN(p->sweep);
	AZ(event_add(p->sweep, &sec));
	p->nconn = nconn > 0 ? nconn : 1;
	p->conns = calloc(p->nconn, sizeof *p->conns);
	AN(p->conns);
	for (u = 0; u < p->nconn; u++)
		conn_init(p, &p->conns[u], 0);
	return (p);
}

void
pg_pool_free(struct pg_pool **pp)
{
	struct pg_pool *p;
	struct pg_query *q;
	unsigned u;

	TAKE_OBJ_NOTNULL(p, pp, PG_POOL_MAGIC);
	p->closing = 1;
	for (u = 0; u < p->nconn; u++)
		conn_fini(&p->conns[u]);
	if (p->listener != NULL) {
		conn_fini(p->listener);
		free(p->listener);
	}
	while ((q = VTAILQ_FIRST(&p->waiting)) != NULL) {
		VTAILQ_REMOVE(&p->waiting, q, list);
		p->nwaiting--;
		query_end(p, q, NULL, "stopped");
	}
	for (u = 0; u < p->nchan; u++)
		free(p->chans[u].name);
	free(p->chans);
	free(p->conns);
	free(p->conninfo);
	event_free(p->pump);
	event_free(p->sweep);
	FREE_OBJ(p);
}

void
pg_pool_set_wait(struct pg_pool *p, double seconds)
{
	CHECK_OBJ_NOTNULL(p, PG_POOL_MAGIC);
	assert(seconds > 0);
	p->wait = seconds;
}

void
pg_pool_stats(const struct pg_pool *p, struct pg_pool_stats *st)
{
	unsigned u;

	CHECK_OBJ_NOTNULL(p, PG_POOL_MAGIC);
	AN(st);
	memset(st, 0, sizeof *st);
	for (u = 0; u < p->nconn; u++)
		if (p->conns[u].state >= CONN_IDLE)
			st->connected++;
	st->listening = p->listener != NULL && p->listener->listening;
	st->waiting = p->nwaiting;
	st->queries = p->queries;
	st->errors = p->errors;
	st->reconnects = p->reconnects;
}

const char *
pg_pool_last_error(const struct pg_pool *p)
{
	CHECK_OBJ_NOTNULL(p, PG_POOL_MAGIC);
	return (p->lasterr);
}
