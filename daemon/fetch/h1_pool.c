/*
 * What a warm request costs the daemon is mostly libcurl's general
 * machinery: a URL parsed, a connection looked up, liveness polled,
 * headers formatted and matched, for a GET that is the same every time
 * but for its path.  Here that GET is a write and a read: the request
 * head comes ready, the answer is parsed by http_parser as it arrives.
 *
 * A connection carries one exchange at a time.  Idle ones stay watched
 * for reading: a server closing one is seen at once, and it goes.  One
 * found dead as it is used (the server closed it as we sent) costs the
 * exchange one more try on a new connection, as curl does.  Nothing
 * here blocks, and done callbacks run from the loop's own events.
 */

#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <http_parser.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "h1_pool.h"

/* Idle this long, a connection is not trusted again (curl's 118 s). */
#define H1_IDLE_MAX 118.0
/* Read at most this much a turn; the rest on the next. */
#define H1_READ_BUF 65536

struct h1_host;
struct h1_conn;

struct h1_xfer {
	unsigned magic;
#define H1_XFER_MAGIC 0x1e3d7a51
	struct h1_pool *pool;
	struct h1_host *host;
	struct h1_conn *conn; /* NULL while queued */
	VTAILQ_ENTRY(h1_xfer) list; /* the host's queue */
	const struct h1_ops *ops;
	void *priv;
	struct event *timer;
	double t0, ta, ttfb; /* started, this try started, first byte */
	unsigned tries;
	uint64_t got; /* answer bytes read */

	/* The answer, as it is parsed. */
	http_parser parser;
	unsigned complete, stopped, status_sent, in_value;
	const char *bad; /* why on_headers() refused it */
	size_t reasonlen, linelen;
	char reason[128];
	char line[H1_LINE_MAX];

	const char *req; /* the request head, the caller's */
	size_t reqlen;
};

struct h1_conn {
	unsigned magic;
#define H1_CONN_MAGIC 0x1e3d7a52
	struct h1_pool *pool;
	struct h1_host *host;
	VTAILQ_ENTRY(h1_conn) list; /* the host's idle ones */
	int fd;
	struct event *rev; /* EV_READ | EV_PERSIST, from connected on */
	struct event *wev; /* connecting, or a request not all sent */
	unsigned connected, served, idle;
	int connect_errno; /* a connect() that failed at once */
	int send_errno; /* a send() that failed, told from the loop */
	double idle_since;
	struct h1_xfer *x;
	size_t sent;
	VTAILQ_ENTRY(h1_conn) sendq; /* the pool's, while queued */
	unsigned queued;
};

struct h1_host {
	unsigned magic;
#define H1_HOST_MAGIC 0x1e3d7a53
	VTAILQ_ENTRY(h1_host) list;
	struct sockaddr_storage sa;
	socklen_t salen;
	char name[64]; /* for errors: "192.0.2.1 port 80" */
	struct h1_pool *pool;
	struct event *no_socket; /* on_no_socket() */
	int sock_errno;
	unsigned nconn; /* open: busy, idle or connecting */
	VTAILQ_HEAD(h1_conn_head, h1_conn) idle; /* the last used first */
	VTAILQ_HEAD(, h1_xfer) queue; /* waiting for a connection */
};

struct h1_pool {
	unsigned magic;
#define H1_POOL_MAGIC 0x1e3d7a54
	struct event_base *eb;
	unsigned max_per_host;
	VTAILQ_HEAD(, h1_host) hosts;
	/* Requests are sent once the loop's turn has read every answer
	 * it had (on_flush()). */
	VTAILQ_HEAD(, h1_conn) sendq;
	struct event *flush_ev;
	struct event *look_ev; /* on_look() */
	http_parser_settings settings;
	char buf[H1_READ_BUF];
};

static void conn_send(struct h1_conn *);
static void host_pump(struct h1_host *);

/*--------------------------------------------------------------------
 * The answer, through http_parser's callbacks: lines put back together
 * as curl gives them to its header callback.
 */

static void
line_add(struct h1_xfer *x, const char *p, size_t len)
{
	/* Room kept for the "\r\n" that ends it. */
	if (x->linelen + len > sizeof x->line - 2)
		len = sizeof x->line - 2 - x->linelen;
	memcpy(x->line + x->linelen, p, len);
	x->linelen += len;
}

static void
line_flush(struct h1_xfer *x)
{
	if (!x->in_value)
		return;
	x->line[x->linelen++] = '\r';
	x->line[x->linelen++] = '\n';
	x->ops->line(x->priv, x->line, x->linelen);
	x->linelen = 0;
	x->in_value = 0;
}

/*
 * The status line, once an answer, before its first header.  Debian's
 * http_parser is lenient ("HTVP/1.1 0" passes): curl takes HTTP/1.0
 * and 1.1 and codes of 100 or more, and so does this; -1 for the rest.
 */
static int
status_flush(struct h1_xfer *x)
{
	http_parser *p = &x->parser;
	char *l = x->line;

	if (x->status_sent)
		return (0);
	/* curl 7.88 takes 1.0 and 1.1 alone. */
	if (p->http_major != 1 || p->http_minor > 1) {
		x->bad = "not HTTP/1.0 or 1.1";
		return (-1);
	}
	if (p->status_code < 100 || p->status_code > 999) {
		x->bad = "a status not of three digits";
		return (-1);
	}
	x->status_sent = 1;
	/* Not snprintf(): once an answer. */
	memcpy(l, "HTTP/1.1 200 ", 13);
	l[7] = (char)('0' + p->http_minor);
	l[9] = (char)('0' + p->status_code / 100);
	l[10] = (char)('0' + p->status_code / 10 % 10);
	l[11] = (char)('0' + p->status_code % 10);
	memcpy(l + 13, x->reason, x->reasonlen);
	memcpy(l + 13 + x->reasonlen, "\r\n", 2);
	x->ops->line(x->priv, l, 15 + x->reasonlen);
	return (0);
}

static int
on_status(http_parser *p, const char *at, size_t len)
{
	struct h1_xfer *x;

	CAST_OBJ_NOTNULL(x, p->data, H1_XFER_MAGIC);
	if (x->reasonlen + len > sizeof x->reason)
		len = sizeof x->reason - x->reasonlen;
	memcpy(x->reason + x->reasonlen, at, len);
	x->reasonlen += len;
	return (0);
}

static int
on_field(http_parser *p, const char *at, size_t len)
{
	struct h1_xfer *x;

	CAST_OBJ_NOTNULL(x, p->data, H1_XFER_MAGIC);
	if (status_flush(x) != 0)
		return (-1);
	line_flush(x);
	line_add(x, at, len);
	return (0);
}

static int
on_value(http_parser *p, const char *at, size_t len)
{
	struct h1_xfer *x;

	CAST_OBJ_NOTNULL(x, p->data, H1_XFER_MAGIC);
	if (!x->in_value) {
		line_add(x, ": ", 2);
		x->in_value = 1;
	}
	line_add(x, at, len);
	return (0);
}

static int
on_headers(http_parser *p)
{
	struct h1_xfer *x;

	CAST_OBJ_NOTNULL(x, p->data, H1_XFER_MAGIC);
	if (status_flush(x) != 0)
		return (-1);
	line_flush(x);
	x->linelen = 0;
	/* No body, whatever Content-Length says (RFC 9112 6.3), as curl
	 * reads them: http_parser would wait for it. */
	if (p->status_code / 100 == 1 || p->status_code == 204 ||
	    p->status_code == 304)
		return (1);
	return (0);
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct h1_xfer *x;

	CAST_OBJ_NOTNULL(x, p->data, H1_XFER_MAGIC);
	if (x->ops->body(x->priv, at, len) < len) {
		x->stopped = 1;
		http_parser_pause(p, 1);
	}
	return (0);
}

static int
on_complete(http_parser *p)
{
	struct h1_xfer *x;

	CAST_OBJ_NOTNULL(x, p->data, H1_XFER_MAGIC);
	/* A chunked body's trailer lines end here, not at on_headers(). */
	line_flush(x);
	/* An interim answer (100 Continue): the real one follows. */
	if (p->status_code / 100 == 1 && p->status_code != 101) {
		x->status_sent = 0;
		x->reasonlen = 0;
		return (0);
	}
	x->complete = 1;
	http_parser_pause(p, 1);
	return (0);
}

/*--------------------------------------------------------------------
 * Exchanges: queued on their host, then on a connection, then done.
 */

static void
xfer_free(struct h1_xfer *x)
{
	CHECK_OBJ_NOTNULL(x, H1_XFER_MAGIC);
	AZ(x->conn);
	event_free(x->timer);
	x->magic = 0;
	free(x);
}

/* Tell the caller, and forget it. */
static void
xfer_end(struct h1_xfer *x, int ok, const char *error)
{
	struct h1_end end;

	CHECK_OBJ_NOTNULL(x, H1_XFER_MAGIC);
	AZ(x->conn);
	memset(&end, 0, sizeof end);
	end.ok = ok;
	end.stopped = x->stopped;
	end.status = x->status_sent ? (long)x->parser.status_code : 0;
	end.error = ok ? NULL : error;
	end.time = VTIM_real() - x->t0;
	end.ttfb = x->ttfb;
	x->ops->done(x->priv, &end);
	xfer_free(x);
}

static void
host_free(struct h1_pool *pool, struct h1_host *h)
{
	CHECK_OBJ_NOTNULL(h, H1_HOST_MAGIC);
	AZ(h->nconn);
	assert(VTAILQ_EMPTY(&h->queue));
	VTAILQ_REMOVE(&pool->hosts, h, list);
	event_free(h->no_socket);
	FREE_OBJ(h);
}

/* A host with nothing open and nothing waiting is forgotten. */
static void
host_tidy(struct h1_pool *pool, struct h1_host *h)
{
	if (h->nconn == 0 && VTAILQ_EMPTY(&h->queue))
		host_free(pool, h);
}

static void
conn_unqueue(struct h1_conn *c)
{
	if (!c->queued)
		return;
	VTAILQ_REMOVE(&c->pool->sendq, c, sendq);
	c->queued = 0;
}

static void
conn_close(struct h1_conn *c)
{
	struct h1_host *h;

	CHECK_OBJ_NOTNULL(c, H1_CONN_MAGIC);
	AZ(c->x);
	conn_unqueue(c);
	h = c->host;
	if (c->idle)
		VTAILQ_REMOVE(&h->idle, c, list);
	assert(h->nconn > 0);
	h->nconn--;
	if (c->rev != NULL)
		event_free(c->rev);
	event_free(c->wev);
	AZ(close(c->fd));
	FREE_OBJ(c);
}

/*
 * The exchange on c is over: c serves the next one waiting, or idles,
 * or goes.  Then whoever waits on the host gets a connection.
 */
static void
conn_release(struct h1_conn *c, unsigned keep)
{
	struct h1_host *h = c->host;
	struct h1_pool *pool = c->pool;
	struct h1_xfer *x;

	CHECK_OBJ_NOTNULL(c, H1_CONN_MAGIC);
	AZ(c->x);
	conn_unqueue(c);
	(void)event_del(c->wev);
	if (keep)
		c->served = 1;
	if (keep && !VTAILQ_EMPTY(&h->queue)) {
		x = VTAILQ_FIRST(&h->queue);
		VTAILQ_REMOVE(&h->queue, x, list);
		x->conn = c;
		c->x = x;
		conn_send(c);
		return;
	}
	if (keep) {
		c->idle = 1;
		c->idle_since = VTIM_real();
		VTAILQ_INSERT_HEAD(&h->idle, c, list);
		return;
	}
	conn_close(c);
	host_pump(h);
	host_tidy(pool, h);
}

/* x is over on its connection: the connection goes on, x ends. */
static void
xfer_finish(struct h1_xfer *x, unsigned keep, int ok, const char *error)
{
	struct h1_conn *c = x->conn;

	CHECK_OBJ_NOTNULL(c, H1_CONN_MAGIC);
	c->x = NULL;
	x->conn = NULL;
	(void)event_del(x->timer);
	conn_release(c, keep);
	xfer_end(x, ok, error);
}

/* "Failed to connect to ...: why", "... before answering": curl's
 * words where it has some, so that messages read the same. */
static void
xfer_fail(struct h1_xfer *x, const char *what, int err)
{
	char msg[256];

	if (err != 0)
		snprintf(msg, sizeof msg, "%s %s: %s", what, x->host->name,
		    strerror(err));
	else
		snprintf(msg, sizeof msg, "%s %s", what, x->host->name);
	xfer_finish(x, 0, 0, msg);
}

/* An answer http_parser cannot read. */
static void
xfer_bad(struct h1_xfer *x, const char *why)
{
	char msg[256];

	snprintf(msg, sizeof msg, "Malformed answer from %s: %s", x->host->name,
	    why);
	xfer_finish(x, 0, 0, msg);
}

static int conn_socket(const struct h1_host *);
static void conn_open(struct h1_host *, struct h1_xfer *, int fd);

/*
 * A connection that served before died under a new request before a
 * byte of the answer came: the server closed it as we sent.  Once, the
 * exchange goes again, on a new connection (another idle one may be as
 * dead).  Without a socket for it, it fails as it is.
 */
static int
xfer_retry(struct h1_xfer *x)
{
	struct h1_conn *c = x->conn;
	struct h1_host *h = x->host;
	int fd;

	CHECK_OBJ_NOTNULL(c, H1_CONN_MAGIC);
	CHECK_OBJ_NOTNULL(h, H1_HOST_MAGIC);
	if (!c->served || x->got > 0 || x->tries > 0)
		return (0);
	fd = conn_socket(h);
	if (fd < 0)
		return (0);
	x->tries++;
	c->x = NULL;
	x->conn = NULL;
	conn_close(c);
	conn_open(h, x, fd);
	return (1);
}

static void
on_timeout(evutil_socket_t fd, short what, void *priv)
{
	struct h1_xfer *x;
	struct h1_host *h;
	char msg[128];

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(x, priv, H1_XFER_MAGIC);
	snprintf(msg, sizeof msg,
	    "Operation timed out after %.0f milliseconds with %ju bytes "
	    "received",
	    (VTIM_real() - x->t0) * 1e3, (uintmax_t)x->got);
	if (x->conn != NULL) {
		/* Mid-answer: the connection cannot serve again. */
		xfer_finish(x, 0, 0, msg);
		return;
	}
	h = x->host;
	VTAILQ_REMOVE(&h->queue, x, list);
	host_tidy(x->pool, h);
	xfer_end(x, 0, msg);
}

/*--------------------------------------------------------------------
 * Connections.
 */

static void
conn_read(struct h1_conn *c)
{
	struct h1_pool *pool = c->pool;
	struct h1_xfer *x = c->x;
	enum http_errno e;
	ssize_t n;
	size_t done;
	unsigned keep;
	int err;

	CHECK_OBJ_NOTNULL(x, H1_XFER_MAGIC);
	if (c->queued) {
		/* Spoken to before it was asked (closing, most likely):
		 * nothing it says is an answer to x. */
		conn_unqueue(c);
		if (!xfer_retry(x))
			xfer_fail(x, "Connection spoke before the request to",
			    0);
		return;
	}
	n = recv(c->fd, pool->buf, sizeof pool->buf, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* Before xfer_retry(), whose socket() may set another. */
		err = errno;
		if (!xfer_retry(x))
			xfer_fail(x, "Recv failure from", err);
		return;
	}
	if (n == 0 && x->got == 0) {
		if (!xfer_retry(x))
			xfer_fail(x, "Empty reply from", 0);
		return;
	}
	if (x->got == 0)
		x->ttfb = VTIM_real() - x->ta;
	x->got += (uint64_t)n;
	/* n == 0: the close, which ends an answer read until it. */
	done = http_parser_execute(&x->parser, &pool->settings, pool->buf,
	    (size_t)n);
	e = HTTP_PARSER_ERRNO(&x->parser);
	if (x->stopped) {
		xfer_finish(x, 0, 1, NULL);
		return;
	}
	if (x->complete) {
		/* Bytes past the answer, another protocol (101), an answer
		 * before the whole request: nothing this connection says
		 * next would be in step. */
		keep = n > 0 && done == (size_t)n &&
		    http_should_keep_alive(&x->parser) && !x->parser.upgrade &&
		    x->parser.status_code != 101 && c->sent == x->reqlen;
		xfer_finish(x, keep, 1, NULL);
		return;
	}
	if (e != HPE_OK) {
		xfer_bad(x,
		    x->bad != NULL ? x->bad : http_errno_description(e));
		return;
	}
	if (n == 0)
		xfer_fail(x, "Connection closed mid-answer by", 0);
}

/* An idle connection spoke: closed by the server, most likely. */
static void
conn_idle_read(struct h1_conn *c)
{
	struct h1_host *h = c->host;
	struct h1_pool *pool = c->pool;

	CHECK_OBJ_NOTNULL(c, H1_CONN_MAGIC);
	conn_close(c);
	/* A slot for whoever waits. */
	host_pump(h);
	host_tidy(pool, h);
}

static void
on_read(evutil_socket_t fd, short what, void *priv)
{
	struct h1_conn *c;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(c, priv, H1_CONN_MAGIC);
	/* One that answers early (a 400 to a request not all sent) is
	 * heard as well. */
	if (c->idle || c->x == NULL)
		conn_idle_read(c);
	else
		conn_read(c);
}

/* The request, or what is left of it; then the answer is waited for. */
static void
conn_write(struct h1_conn *c)
{
	struct h1_xfer *x = c->x;
	ssize_t n;

	CHECK_OBJ_NOTNULL(x, H1_XFER_MAGIC);
	while (c->sent < x->reqlen) {
		n = send(c->fd, x->req + c->sent, x->reqlen - c->sent,
		    MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			AZ(event_add(c->wev, NULL));
			return;
		}
		if (n < 0) {
			/* Told from the loop: this may run in h1_start(). */
			c->send_errno = errno;
			event_active(c->wev, EV_WRITE, 0);
			return;
		}
		c->sent += (size_t)n;
	}
}

static void
conn_connected(struct h1_conn *c)
{
	int one = 1;

	c->connected = 1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->rev =
	    event_new(c->pool->eb, c->fd, EV_READ | EV_PERSIST, on_read, c);
	AN(c->rev);
	AZ(event_add(c->rev, NULL));
}

static void
on_write(evutil_socket_t fd, short what, void *priv)
{
	struct h1_conn *c;
	socklen_t sl;
	int err = 0;

	(void)what;
	CAST_OBJ_NOTNULL(c, priv, H1_CONN_MAGIC);
	CHECK_OBJ_NOTNULL(c->x, H1_XFER_MAGIC);
	if (!c->connected) {
		err = c->connect_errno;
		sl = sizeof err;
		if (err == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
			err = errno;
		if (err != 0) {
			xfer_fail(c->x, "Failed to connect to", err);
			return;
		}
		conn_connected(c);
	} else if (c->send_errno != 0) {
		err = c->send_errno;
		c->send_errno = 0;
		if (!xfer_retry(c->x))
			xfer_fail(c->x, "Send failure to", err);
		return;
	}
	conn_write(c);
}

/*
 * The loop's turn has read what answers it had: the requests they made
 * room for go together.  Sent as each answer came, varnishd's threads
 * would be woken one at a time, their answers would come one at a
 * time, and each would wake this loop on its own: a wake-up a request
 * on either side, where a turn's worth at once costs one.
 */
static const struct timeval no_time = { 0, 0 };

static void
on_flush(evutil_socket_t fd, short what, void *priv)
{
	struct h1_pool *pool;
	struct h1_conn *c;
	double now;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(pool, priv, H1_POOL_MAGIC);
	if (VTAILQ_EMPTY(&pool->sendq))
		return;
	now = VTIM_real();
	while ((c = VTAILQ_FIRST(&pool->sendq)) != NULL) {
		conn_unqueue(c);
		/* The try starts as it is sent, not as it was queued. */
		c->x->ta = now;
		conn_write(c);
	}
	/* A timer due now: the loop's next wait does not sleep. */
	AZ(evtimer_add(pool->look_ev, &no_time));
}

/*
 * Nothing to do but to have been due: the loop looked for answers once
 * more before it slept.  While the requests just sent wake varnishd's
 * threads, the answers to earlier ones come in; read on this turn, they
 * are read together, where a loop asleep would have been woken for the
 * first alone.  wrk looks again the same way: it writes on the turn
 * after it read, and a socket ready to write does not let it sleep.
 */
static void
on_look(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	(void)priv;
}

/* After the events this turn of the loop has already taken. */
static void
conn_queue(struct h1_conn *c)
{
	struct h1_pool *pool = c->pool;

	if (c->queued)
		return;
	VTAILQ_INSERT_TAIL(&pool->sendq, c, sendq);
	c->queued = 1;
	event_active(pool->flush_ev, EV_TIMEOUT, 0);
}

/* x on c, from its first byte. */
static void
conn_send(struct h1_conn *c)
{
	struct h1_xfer *x = c->x;

	CHECK_OBJ_NOTNULL(x, H1_XFER_MAGIC);
	c->sent = 0;
	c->send_errno = 0;
	/* The time to the first byte is this try's, as curl counts it:
	 * not the wait for a connection. */
	x->ta = VTIM_real();
	x->got = 0;
	x->complete = x->stopped = x->status_sent = x->in_value = 0;
	x->bad = NULL;
	x->reasonlen = x->linelen = 0;
	http_parser_init(&x->parser, HTTP_RESPONSE);
	x->parser.data = x;
	/* Chunked and a Content-Length: the chunks, as curl reads it. */
	x->parser.allow_chunked_length = 1;
	if (c->connected)
		conn_queue(c);
	else if (c->connect_errno != 0)
		/* Failed at once: told from the loop, not from here. */
		event_active(c->wev, EV_WRITE, 0);
	else
		AZ(event_add(c->wev, NULL));
}

/* A socket for a connection to h, or -1 (errno says why). */
static int
conn_socket(const struct h1_host *h)
{
	return (socket(h->sa.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

/* A new connection for x, on fd (conn_socket()'s). */
static void
conn_open(struct h1_host *h, struct h1_xfer *x, int fd)
{
	struct h1_conn *c;
	int on = 1;

	assert(fd >= 0);
	ALLOC_OBJ(c, H1_CONN_MAGIC);
	AN(c);
	c->pool = x->pool;
	c->host = h;
	c->fd = fd;
	c->wev = event_new(c->pool->eb, fd, EV_WRITE, on_write, c);
	AN(c->wev);
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
	if (connect(fd, (const struct sockaddr *)&h->sa, h->salen) != 0 &&
	    errno != EINPROGRESS)
		c->connect_errno = errno;
	h->nconn++;
	c->x = x;
	x->conn = c;
	conn_send(c);
}

/* An idle connection still to be trusted, or NULL. */
static struct h1_conn *
host_idle(struct h1_host *h)
{
	struct h1_conn *c;
	double now;

	c = VTAILQ_FIRST(&h->idle);
	if (c == NULL)
		return (NULL);
	now = VTIM_real();
	/* The oldest go first: they are at the tail. */
	while (c != NULL && now - c->idle_since > H1_IDLE_MAX) {
		c = VTAILQ_LAST(&h->idle, h1_conn_head);
		conn_close(c);
		c = VTAILQ_FIRST(&h->idle);
	}
	if (c == NULL)
		return (NULL);
	VTAILQ_REMOVE(&h->idle, c, list);
	c->idle = 0;
	return (c);
}

/*
 * Out of sockets with no connection open to wait for: whoever waits on
 * h fails, from the loop, rather than wait out its timeout.
 */
static void
on_no_socket(evutil_socket_t fd, short what, void *priv)
{
	VTAILQ_HEAD(, h1_xfer) gone;
	struct h1_host *h;
	struct h1_xfer *x;
	char msg[256];

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(h, priv, H1_HOST_MAGIC);
	if (h->nconn > 0)
		return;
	snprintf(msg, sizeof msg, "No socket for a connection to %s: %s",
	    h->name, strerror(h->sock_errno));
	VTAILQ_INIT(&gone);
	VTAILQ_CONCAT(&gone, &h->queue, list);
	/* h may go now, and is not touched again: a done callback may
	 * start another exchange, which may find or free a host. */
	host_tidy(h->pool, h);
	while ((x = VTAILQ_FIRST(&gone)) != NULL) {
		VTAILQ_REMOVE(&gone, x, list);
		xfer_end(x, 0, msg);
	}
}

/* Whoever waits on h, while it has connections to give. */
static void
host_pump(struct h1_host *h)
{
	struct h1_xfer *x;
	struct h1_conn *c;
	int fd;

	CHECK_OBJ_NOTNULL(h, H1_HOST_MAGIC);
	while ((x = VTAILQ_FIRST(&h->queue)) != NULL) {
		c = host_idle(h);
		if (c == NULL && h->nconn >= h->pool->max_per_host)
			return;
		fd = -1;
		if (c == NULL && (fd = conn_socket(h)) < 0) {
			/* It waits for one to close, if any is open. */
			h->sock_errno = errno;
			if (h->nconn == 0)
				event_active(h->no_socket, EV_TIMEOUT, 0);
			return;
		}
		VTAILQ_REMOVE(&h->queue, x, list);
		if (c != NULL) {
			x->conn = c;
			c->x = x;
			conn_send(c);
		} else {
			conn_open(h, x, fd);
		}
	}
}

static struct h1_host *
host_get(struct h1_pool *pool, const struct h1_target *t)
{
	struct h1_host *h;
	char addr[INET6_ADDRSTRLEN];
	unsigned port;

	VTAILQ_FOREACH(h, &pool->hosts, list)
	if (h->salen == t->salen && !memcmp(&h->sa, &t->sa, t->salen))
		return (h);
	ALLOC_OBJ(h, H1_HOST_MAGIC);
	AN(h);
	memcpy(&h->sa, &t->sa, t->salen);
	h->salen = t->salen;
	if (t->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&t->sa;

		AN(inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr));
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)&t->sa;

		AN(inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr));
		port = ntohs(s4->sin_port);
	}
	snprintf(h->name, sizeof h->name, "%s port %u", addr, port);
	VTAILQ_INIT(&h->idle);
	VTAILQ_INIT(&h->queue);
	h->pool = pool;
	h->no_socket = event_new(pool->eb, -1, 0, on_no_socket, h);
	AN(h->no_socket);
	VTAILQ_INSERT_TAIL(&pool->hosts, h, list);
	return (h);
}

struct h1_xfer *
h1_start(struct h1_pool *pool, const struct h1_target *t, const char *req,
    size_t reqlen, double timeout, const struct h1_ops *ops, void *priv)
{
	struct h1_xfer *x;
	struct h1_host *h;
	struct timeval tv;

	CHECK_OBJ_NOTNULL(pool, H1_POOL_MAGIC);
	AN(t);
	AN(req);
	AN(ops);
	AN(ops->line);
	AN(ops->body);
	AN(ops->done);
	x = malloc(sizeof *x);
	if (x == NULL)
		return (NULL);
	/* The line and the reason are written before they are read. */
	memset(x, 0, offsetof(struct h1_xfer, reason));
	x->magic = H1_XFER_MAGIC;
	x->pool = pool;
	x->ops = ops;
	x->priv = priv;
	x->t0 = VTIM_real();
	x->req = req;
	x->reqlen = reqlen;
	x->timer = evtimer_new(pool->eb, on_timeout, x);
	AN(x->timer);
	tv.tv_sec = (long)timeout;
	tv.tv_usec = (long)((timeout - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(x->timer, &tv));
	h = host_get(pool, t);
	x->host = h;
	VTAILQ_INSERT_TAIL(&h->queue, x, list);
	host_pump(h);
	if (x->conn == NULL && h->nconn == 0) {
		/* Nothing open to wait for, and no socket to be had. */
		VTAILQ_REMOVE(&h->queue, x, list);
		host_tidy(pool, h);
		xfer_free(x);
		return (NULL);
	}
	return (x);
}

void
h1_cancel(struct h1_xfer *x)
{
	struct h1_conn *c;
	struct h1_host *h;

	CHECK_OBJ_NOTNULL(x, H1_XFER_MAGIC);
	h = x->host;
	c = x->conn;
	if (c != NULL) {
		c->x = NULL;
		x->conn = NULL;
		/* Not whoever waits behind it: the caller is going away,
		 * and cancels them next. */
		conn_close(c);
	} else {
		VTAILQ_REMOVE(&h->queue, x, list);
	}
	host_tidy(x->pool, h);
	xfer_free(x);
}

struct h1_pool *
h1_pool_new(struct event_base *eb, unsigned max_per_host)
{
	struct h1_pool *pool;

	AN(eb);
	ALLOC_OBJ(pool, H1_POOL_MAGIC);
	AN(pool);
	pool->eb = eb;
	AN(max_per_host);
	pool->max_per_host = max_per_host;
	VTAILQ_INIT(&pool->hosts);
	VTAILQ_INIT(&pool->sendq);
	pool->flush_ev = event_new(eb, -1, 0, on_flush, pool);
	AN(pool->flush_ev);
	pool->look_ev = evtimer_new(eb, on_look, pool);
	AN(pool->look_ev);
	http_parser_settings_init(&pool->settings);
	pool->settings.on_status = on_status;
	pool->settings.on_header_field = on_field;
	pool->settings.on_header_value = on_value;
	pool->settings.on_headers_complete = on_headers;
	pool->settings.on_body = on_body;
	pool->settings.on_message_complete = on_complete;
	return (pool);
}

void
h1_pool_free(struct h1_pool **pp)
{
	struct h1_pool *pool;
	struct h1_host *h;

	TAKE_OBJ_NOTNULL(pool, pp, H1_POOL_MAGIC);
	while ((h = VTAILQ_FIRST(&pool->hosts)) != NULL) {
		/* Only idle ones are left: the rest were cancelled. */
		assert(VTAILQ_EMPTY(&h->queue));
		while (!VTAILQ_EMPTY(&h->idle))
			conn_close(VTAILQ_FIRST(&h->idle));
		host_free(pool, h);
	}
	assert(VTAILQ_EMPTY(&pool->sendq));
	event_free(pool->flush_ev);
	event_free(pool->look_ev);
	FREE_OBJ(pool);
}
