/*
 * What a Varnish node answers to a GET, as the lean HTTP/1.1 client
 * reads it (fetch/h1_pool.c, http_parser): the node relays an origin's
 * headers and bodies, so every byte of it is untrusted.  Each input is
 * what a server on 127.0.0.1 answers, on one connection, to one GET
 * sent by a pool of our own (h1_pool_new(eb, 2), fresh per input, on
 * one libevent base made once).
 *
 * The input's first byte is not sent, it picks the route:
 *   bit 0   a second GET on the same pool once the first is done: on
 *           the kept connection (answered there when bit 1 kept the
 *           server's side open), or the retry on a new one when the
 *           kept one is found dead; the server answers it with a fixed
 *           valid answer;
 *   bit 1   the server's side stays open after the answer until the
 *           client has read it all and still waits (then
 *           shutdown(SHUT_WR)), instead of shutdown(SHUT_WR) at once;
 *   bit 2   a turn of the loop before the second GET, where the kept
 *           connection hears what the server did meanwhile (its close,
 *           or the rest of the answer) as it idles;
 *   3-7     where the answer is cut in two writes, in 32nds of its
 *           length, a turn of the loop between them (0: one write).
 *
 * The server's side runs on the same event base as the client's (the
 * request on a new connection is sent from the loop's own write event,
 * so a server waiting in poll() would wait for nothing).
 *
 * Asserted: each line handed over ends "\r\n", holds no other CR or LF
 * and is at most H1_LINE_MAX long; an answer's first line starts
 * "HTTP/"; no body before a status line; done comes once, never from
 * inside h1_start(), and within the exchange's own timeout; ok means a
 * status of 100 to 999, the one of the last status line handed over;
 * stopped means ok, and the body buffer full; the request arrives as
 * it was given.
 */

#define _GNU_SOURCE /* accept4() */

#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "vtim.h"

#include "fetch/h1_pool.h"

#include "fuzz/fuzz.h"

/* The exchange's timeout, and how long the harness waits for done. */
#define TIMEOUT 2.0
#define DEADLINE 5.0
#define BODY_MAX 1024
#define HEAD_MAX 16384
#define NSCONN 8

static const char fixed[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* One GET: what the client handed over. */
struct xchg {
	unsigned ndone;
	unsigned nlines;
	long last_status; /* of the last status line */
	struct h1_end end;
	size_t headlen, bodylen;
	char head[HEAD_MAX];
	char body[BODY_MAX];
};

/* The server's side of one connection. */
struct sconn {
	int fd; /* -1: unused */
	struct event *rev, *wev, *tev;
	size_t got; /* of the request */
	const uint8_t *out, *next;
	size_t outlen, nextlen;
	unsigned shut_after; /* SHUT_* once all is written */
	unsigned wshut;
	unsigned then_fixed; /* asked again while still answering */
};

enum { SHUT_NEVER, SHUT_NOW, SHUT_IF_WAITING };

static struct event_base *eb;
static struct event *lev;
static int lfd = -1;
static struct h1_target tgt;
static char req[128];
static size_t reqlen;

/* This input's. */
static struct sconn sconns[NSCONN];
static const uint8_t *ans;
static size_t anslen, split;
static unsigned keep_open, ans_sent, in_start;
static struct xchg *cur; /* the first exchange: the one answered */

/*--------------------------------------------------------------------
 * The client's callbacks.
 */

static void
op_line(void *priv, const char *p, size_t len)
{
	struct xchg *ex = priv;
	const char *sp;
	size_t n;

	AN(ex);
	AN(p);
	AZ(ex->ndone);
	assert(len >= 2 && len <= H1_LINE_MAX);
	assert(p[len - 2] == '\r' && p[len - 1] == '\n');
	AZ(memchr(p, '\r', len - 2));
	AZ(memchr(p, '\n', len - 1));
	if (ex->nlines == 0)
		assert(len >= 5 && !memcmp(p, "HTTP/", 5));
	if (len >= 5 && !memcmp(p, "HTTP/", 5)) {
		/* "HTTP/1.1 200 OK": the status, three digits. */
		sp = memchr(p, ' ', len);
		AN(sp);
		assert(sp + 4 < p + len);
		assert(sp[1] >= '0' && sp[1] <= '9');
		assert(sp[2] >= '0' && sp[2] <= '9');
		assert(sp[3] >= '0' && sp[3] <= '9');
		ex->last_status =
		    (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
	}
	ex->nlines++;
	n = len < sizeof ex->head - ex->headlen ? len
	                                        : sizeof ex->head - ex->headlen;
	memcpy(ex->head + ex->headlen, p, n);
	ex->headlen += n;
}

static size_t
op_body(void *priv, const char *p, size_t len)
{
	struct xchg *ex = priv;
	size_t n;

	AN(ex);
	AZ(ex->ndone);
	assert(ex->nlines > 0);
	n = len < sizeof ex->body - ex->bodylen ? len
	                                        : sizeof ex->body - ex->bodylen;
	if (n > 0) {
		AN(p);
		memcpy(ex->body + ex->bodylen, p, n);
	}
	ex->bodylen += n;
	return (n);
}

static void
op_done(void *priv, const struct h1_end *end)
{
	struct xchg *ex = priv;

	AN(ex);
	AN(end);
	AZ(in_start);
	AZ(ex->ndone);
	ex->ndone++;
	ex->end = *end;
	ex->end.error = NULL;
	if (end->ok) {
		assert(end->status >= 100 && end->status <= 999);
		assert(end->status == ex->last_status);
	} else {
		AN(end->error);
		AN(*end->error);
		AZ(end->stopped);
	}
	if (end->stopped)
		assert(ex->bodylen == sizeof ex->body);
}

static const struct h1_ops ops = {
	.line = op_line,
	.body = op_body,
	.done = op_done,
};

/*--------------------------------------------------------------------
 * The server's side.
 */

static void
sconn_close(struct sconn *s)
{
	assert(s->fd >= 0);
	event_free(s->rev);
	event_free(s->wev);
	event_free(s->tev);
	AZ(close(s->fd));
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

static void
sconn_shut(struct sconn *s)
{
	if (s->wshut)
		return;
	/* ENOTCONN when the client is gone already. */
	(void)shutdown(s->fd, SHUT_WR);
	s->wshut = 1;
}

static void sconn_answer(struct sconn *);

/* Write what is left; the rest when the socket takes it. */
static void
sconn_flush(struct sconn *s)
{
	ssize_t n;

	while (s->outlen > 0) {
		n = send(s->fd, s->out, s->outlen, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			AZ(event_add(s->wev, NULL));
			return;
		}
		if (n < 0) {
			/* The client closed: nothing more to say. */
			s->outlen = s->nextlen = 0;
			s->shut_after = SHUT_NEVER;
			return;
		}
		s->out += n;
		s->outlen -= (size_t)n;
	}
	if (s->nextlen > 0) {
		/* The second part after a turn of the loop, once the
		 * client has read the first. */
		s->out = s->next;
		s->outlen = s->nextlen;
		s->nextlen = 0;
		AZ(event_add(s->tev, &(struct timeval){ 0, 0 }));
		return;
	}
	if (s->then_fixed) {
		s->then_fixed = 0;
		sconn_answer(s);
		return;
	}
	if (s->shut_after == SHUT_NOW)
		sconn_shut(s);
	else if (s->shut_after == SHUT_IF_WAITING)
		AZ(event_add(s->tev, &(struct timeval){ 0, 0 }));
}

static void
on_stimer(evutil_socket_t fd, short what, void *priv)
{
	struct sconn *s = priv;

	(void)fd;
	(void)what;
	if (s->outlen > 0) {
		sconn_flush(s);
		return;
	}
	/* A turn after the answer's last byte: the client has read it
	 * all, and waits for more unless it is done. */
	if (s->shut_after == SHUT_IF_WAITING && cur->ndone == 0)
		sconn_shut(s);
	s->shut_after = SHUT_NEVER;
}

static void
on_swrite(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	sconn_flush(priv);
}

/* A whole request came on s. */
static void
sconn_answer(struct sconn *s)
{
	if (!ans_sent) {
		/* The first: the input. */
		ans_sent = 1;
		s->out = ans;
		s->outlen = split > 0 ? split : anslen;
		s->next = ans + s->outlen;
		s->nextlen = anslen - s->outlen;
		s->shut_after = keep_open ? SHUT_IF_WAITING : SHUT_NOW;
	} else if (s->outlen > 0 || s->nextlen > 0) {
		/* The input is not all said: this answer after it. */
		s->then_fixed = 1;
		return;
	} else if (s->wshut) {
		/* Said all it could: the client sees the close. */
		sconn_close(s);
		return;
	} else {
		s->out = (const uint8_t *)fixed;
		s->outlen = sizeof fixed - 1;
		s->nextlen = 0;
		s->shut_after = SHUT_NOW;
	}
	sconn_flush(s);
}

static void
on_sread(evutil_socket_t fd, short what, void *priv)
{
	struct sconn *s = priv;
	char buf[256];
	ssize_t n;

	(void)what;
	n = recv(fd, buf, sizeof buf, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		sconn_close(s);
		return;
	}
	/* One request at a time, as it was given. */
	assert(s->got + (size_t)n <= reqlen);
	assert(!memcmp(buf, req + s->got, (size_t)n));
	s->got += (size_t)n;
	if (s->got == reqlen) {
		s->got = 0;
		sconn_answer(s);
	}
}

static void
on_accept(evutil_socket_t fd, short what, void *priv)
{
	struct sconn *s;
	unsigned i;
	int sfd;

	(void)what;
	(void)priv;
	while ((sfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	    0) {
		for (i = 0; i < NSCONN && sconns[i].fd >= 0; i++)
			continue;
		assert(i < NSCONN);
		s = &sconns[i];
		s->fd = sfd;
		s->rev = event_new(eb, sfd, EV_READ | EV_PERSIST, on_sread, s);
		s->wev = event_new(eb, sfd, EV_WRITE, on_swrite, s);
		s->tev = evtimer_new(eb, on_stimer, s);
		AN(s->rev);
		AN(s->wev);
		AN(s->tev);
		AZ(event_add(s->rev, NULL));
	}
	assert(errno == EAGAIN || errno == ECONNABORTED);
}

static void
init(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	char url[64];
	unsigned i;
	int len;

	eb = event_base_new();
	AN(eb);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert(lfd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	AZ(bind(lfd, (struct sockaddr *)&sin, sizeof sin));
	AZ(listen(lfd, 64));
	AZ(getsockname(lfd, (struct sockaddr *)&sin, &sl));
	lev = event_new(eb, lfd, EV_READ | EV_PERSIST, on_accept, NULL);
	AN(lev);
	AZ(event_add(lev, NULL));
	snprintf(url, sizeof url, "http://127.0.0.1:%u/x",
	    (unsigned)ntohs(sin.sin_port));
	AZ(h1_target_parse(url, &tgt));
	len = snprintf(req, sizeof req, "GET /x HTTP/1.1\r\nHost: %s\r\n\r\n",
	    tgt.host);
	assert(len > 0 && (size_t)len < sizeof req);
	reqlen = (size_t)len;
	for (i = 0; i < NSCONN; i++)
		sconns[i].fd = -1;
}

/*--------------------------------------------------------------------
 * The client's side.
 */

/* One GET, the loop run until it is done. */
static void
exchange(struct h1_pool *pool, struct xchg *ex)
{
	struct h1_xfer *x;
	double deadline;

	in_start = 1;
	x = h1_start(pool, &tgt, req, reqlen, TIMEOUT, &ops, ex);
	in_start = 0;
	AN(x);
	deadline = VTIM_mono() + DEADLINE;
	while (ex->ndone == 0) {
		/* Its own timeout ends it first. */
		assert(VTIM_mono() < deadline);
		(void)event_base_loop(eb, EVLOOP_ONCE);
	}
}

/* What was left for the server to do in this input. */
static void
sconn_all(unsigned wshut_only)
{
	unsigned i;
	int fd;

	for (i = 0; i < NSCONN; i++)
		if (sconns[i].fd >= 0 && (!wshut_only || sconns[i].wshut))
			sconn_close(&sconns[i]);
	if (wshut_only)
		return;
	/* Connections the loop never got to accept. */
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		AZ(close(fd));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xchg ex[2];
	struct h1_pool *pool;
	unsigned again, turn;

	if (size < 1)
		return (0);
	if (eb == NULL)
		init();
	again = data[0] & 1;
	keep_open = (data[0] >> 1) & 1;
	ans = data + 1;
	anslen = size - 1;
	turn = (data[0] >> 2) & 1;
	split = anslen * (data[0] >> 3) / 32;
	ans_sent = 0;
	memset(ex, 0, sizeof ex);
	cur = &ex[0];

	pool = h1_pool_new(eb, 2);
	AN(pool);
	exchange(pool, &ex[0]);
	/* The server's side is closed once the exchange is over, but
	 * where it may still answer a second GET. */
	sconn_all(again);
	if (again) {
		if (turn)
			(void)event_base_loop(eb, EVLOOP_NONBLOCK);
		exchange(pool, &ex[1]);
		sconn_all(0);
	}
	h1_pool_free(&pool);
	AZ(pool);
	return (0);
}
