/*
 * What a caller of the fetcher gets back (fetcher.h), whatever carries
 * the fetch: the fields of struct fetch_result for the answers an
 * origin gives (lengths, chunks, read until close, 1xx, odd header
 * spellings, bodies past body_max), what a connection does (kept,
 * closed, reset, refused, silent), and the request's bytes as the
 * server reads them.  The public API only: it holds for libcurl's path
 * and for any other that plain fetches take.
 *
 * A small HTTP server on the same event loop answers as each case
 * scripts it: which bytes, in how many writes over how many loop turns,
 * whether it closes after, resets or drops a connection's nth request
 * unanswered, or never answers.  It records every request byte it
 * reads.  The loop runs until the fetches are done, or a deadline.
 */

#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "vtim.h"

#include "core/loop.h"
#include "fetch/fetch_kept.h"
#include "fetch/fetcher.h"
#include "unit.h"

#define SRV_MAXCONN 32
#define SRV_REQ_MAX 16384
#define SRV_RAW_MAX 65536

struct srv;

struct conn {
	struct srv *s;
	int fd;
	struct event *rev; /* reads requests */
	struct event *tev; /* the answer's next write */
	char req[SRV_REQ_MAX]; /* what came of the next request */
	size_t reqlen;
	unsigned nreq; /* requests read on this connection */
	unsigned answering;
	size_t pos; /* of the answer, written */
};

struct srv {
	struct event_base *eb;
	int lfd;
	unsigned port;
	struct event *lev;
	struct conn *conns[SRV_MAXCONN];
	unsigned accepted, open, max_open;
	unsigned requests, writes;
	unsigned answering, max_answering; /* requests being answered */
	char raw[SRV_RAW_MAX]; /* every request byte read, in order */
	size_t rawlen;
	char last[SRV_REQ_MAX + 1]; /* the last request, whole */
	size_t lastlen;

	/* The script. */
	const char *answer; /* what each request gets */
	size_t alen;
	size_t piece; /* bytes a write; 0: all at once */
	/* Before each write, seconds; 0 with piece: the next loop turn. */
	double gap;
	unsigned close_after; /* close once it answered */
	unsigned silent; /* never answer */
	unsigned drop_nth; /* a connection's nth request: not answered, */
	unsigned drop_reset; /* and closed, or reset (SO_LINGER 0) */
};

static struct event_base *eb;
static unsigned ndone; /* done callbacks, all fetches */
static unsigned submitting; /* inside fetcher_submit() */

static int conn_send(struct conn *);

static void
srv_script(struct srv *s, const char *answer)
{
	s->answer = answer;
	s->alen = strlen(answer);
}

static void
conn_close(struct conn *c, int reset)
{
	struct srv *s = c->s;
	struct linger l;
	unsigned u;

	if (reset) {
		l.l_onoff = 1;
		l.l_linger = 0;
		AZ(setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l));
	}
	event_free(c->rev);
	event_free(c->tev);
	AZ(close(c->fd));
	if (c->answering)
		s->answering--;
	assert(s->open > 0);
	s->open--;
	for (u = 0; u < SRV_MAXCONN; u++)
		if (s->conns[u] == c)
			s->conns[u] = NULL;
	free(c);
}

static void
conn_later(struct conn *c, double secs)
{
	struct timeval tv;

	tv.tv_sec = (long)secs;
	tv.tv_usec = (long)((secs - (double)tv.tv_sec) * 1e6);
	AZ(evtimer_add(c->tev, &tv));
}

static const char *
find_crlf2(const char *p, size_t len)
{
	size_t u;

	for (u = 0; u + 4 <= len; u++)
		if (!memcmp(p + u, "\r\n\r\n", 4))
			return (p + u);
	return (NULL);
}

/* Each whole request read: recorded, then answered as scripted.  0, or
 * -1 when the connection is gone. */
static int
conn_requests(struct conn *c)
{
	struct srv *s = c->s;
	const char *e;
	size_t len;

	while (!c->answering && (e = find_crlf2(c->req, c->reqlen)) != NULL) {
		len = (size_t)(e + 4 - c->req);
		memcpy(s->last, c->req, len);
		s->last[len] = '\0';
		s->lastlen = len;
		memmove(c->req, c->req + len, c->reqlen - len);
		c->reqlen -= len;
		c->nreq++;
		s->requests++;
		if (s->drop_nth == c->nreq) {
			conn_close(c, s->drop_reset);
			return (-1);
		}
		if (s->silent)
			continue;
		c->answering = 1;
		c->pos = 0;
		s->answering++;
		if (s->answering > s->max_answering)
			s->max_answering = s->answering;
		if (s->piece > 0 || s->gap > 0) {
			conn_later(c, s->gap);
			return (0);
		}
		if (conn_send(c) != 0)
			return (-1);
	}
	/* A request never fills the buffer here. */
	assert(c->reqlen < sizeof c->req);
	return (0);
}

/* The answer's next write; 0, or -1 when the connection is gone. */
static int
conn_send(struct conn *c)
{
	struct srv *s = c->s;
	size_t n = s->alen - c->pos;
	ssize_t w;

	AN(c->answering);
	if (s->piece > 0 && n > s->piece)
		n = s->piece;
	w = send(c->fd, s->answer + c->pos, n, MSG_NOSIGNAL);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			conn_later(c, 0.001);
			return (0);
		}
		/* The client went (a body cut short, say). */
		conn_close(c, 0);
		return (-1);
	}
	s->writes++;
	c->pos += (size_t)w;
	if (c->pos < s->alen) {
		conn_later(c, s->gap);
		return (0);
	}
	c->answering = 0;
	s->answering--;
	if (s->close_after) {
		conn_close(c, 0);
		return (-1);
	}
	return (conn_requests(c));
}

static void
conn_tick(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	(void)conn_send(priv);
}

static void
conn_read(evutil_socket_t fd, short what, void *priv)
{
	struct conn *c = priv;
	struct srv *s = c->s;
	ssize_t n;

	(void)what;
	n = read(fd, c->req + c->reqlen, sizeof c->req - c->reqlen);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		conn_close(c, 0);
		return;
	}
	assert(s->rawlen + (size_t)n <= sizeof s->raw);
	memcpy(s->raw + s->rawlen, c->req + c->reqlen, (size_t)n);
	s->rawlen += (size_t)n;
	c->reqlen += (size_t)n;
	(void)conn_requests(c);
}

static void
srv_accept(evutil_socket_t fd, short what, void *priv)
{
	struct srv *s = priv;
	struct conn *c;
	unsigned u;
	int cfd;

	(void)what;
	cfd = accept(fd, NULL, NULL);
	if (cfd < 0)
		return;
	AZ(fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) | O_NONBLOCK));
	c = calloc(1, sizeof *c);
	AN(c);
	c->s = s;
	c->fd = cfd;
	c->rev = event_new(s->eb, cfd, EV_READ | EV_PERSIST, conn_read, c);
	AN(c->rev);
	c->tev = evtimer_new(s->eb, conn_tick, c);
	AN(c->tev);
	AZ(event_add(c->rev, NULL));
	for (u = 0; u < SRV_MAXCONN; u++)
		if (s->conns[u] == NULL)
			break;
	assert(u < SRV_MAXCONN);
	s->conns[u] = c;
	s->accepted++;
	s->open++;
	if (s->open > s->max_open)
		s->max_open = s->open;
}

/* A server on the loopback of this family; NULL when there is none. */
static struct srv *
srv_new_family(int family)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (void *)&ss;
	struct sockaddr_in6 *sin6 = (void *)&ss;
	socklen_t sl;
	struct srv *s;

	s = calloc(1, sizeof *s);
	AN(s);
	s->eb = eb;
	s->lfd = socket(family, SOCK_STREAM, 0);
	assert(s->lfd >= 0);
	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof *sin;
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sl = sizeof *sin6;
	}
	if (bind(s->lfd, (struct sockaddr *)&ss, sl) != 0) {
		AZ(close(s->lfd));
		free(s);
		return (NULL);
	}
	AZ(listen(s->lfd, 64));
	AZ(getsockname(s->lfd, (struct sockaddr *)&ss, &sl));
	s->port = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
	s->lev = event_new(eb, s->lfd, EV_READ | EV_PERSIST, srv_accept, s);
	AN(s->lev);
	AZ(event_add(s->lev, NULL));
	return (s);
}

static struct srv *
srv_new(void)
{
	struct srv *s = srv_new_family(AF_INET);

	AN(s);
	return (s);
}

static void
srv_free(struct srv **sp)
{
	struct srv *s = *sp;
	unsigned u;

	*sp = NULL;
	for (u = 0; u < SRV_MAXCONN; u++)
		if (s->conns[u] != NULL)
			conn_close(s->conns[u], 0);
	event_free(s->lev);
	AZ(close(s->lfd));
	free(s);
}

static void
srv_url(const struct srv *s, const char *path, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "http://127.0.0.1:%u%s", s->port, path);
	assert(n > 0 && (size_t)n < len);
}

/* What a done callback was told, copied: valid during the call only. */
struct got {
	unsigned ncalls;
	unsigned in_submit; /* a call came from inside fetcher_submit() */
	int ok;
	long status;
	char *reason, *error;
	double time, ttfb, waited, started;
	uint64_t body_bytes;
	unsigned hit;
	uint32_t vxid;
	char *warm_id, *retry_after, *cache_control;
	unsigned set_cookie;
	char *cookies;
	long age;
	char *body, *location, *content_type;
	unsigned cut;
	unsigned has_kept;
	char *kept_json; /* fetch_kept_json()'s */
};

static char *
dup_or_null(const char *p)
{
	char *d;

	if (p == NULL)
		return (NULL);
	d = strdup(p);
	AN(d);
	return (d);
}

static void
got_clear(struct got *g)
{
	free(g->reason);
	free(g->error);
	free(g->warm_id);
	free(g->retry_after);
	free(g->cache_control);
	free(g->cookies);
	free(g->body);
	free(g->location);
	free(g->content_type);
	free(g->kept_json);
	memset(g, 0, sizeof *g);
}

static void
on_done(void *priv, const struct fetch_result *res)
{
	struct got *g = priv;

	ndone++;
	g->ncalls++;
	if (submitting)
		g->in_submit = 1;
	if (g->ncalls > 1)
		return;
	g->ok = res->ok;
	g->status = res->status;
	g->reason = dup_or_null(res->reason);
	g->error = dup_or_null(res->error);
	g->time = res->time;
	g->ttfb = res->ttfb;
	g->waited = res->waited;
	g->started = res->started;
	g->body_bytes = res->body_bytes;
	g->hit = res->hit;
	g->vxid = res->vxid;
	g->warm_id = dup_or_null(res->warm_id);
	g->retry_after = dup_or_null(res->retry_after);
	g->cache_control = dup_or_null(res->cache_control);
	g->set_cookie = res->set_cookie;
	g->cookies = dup_or_null(res->cookies);
	g->age = res->age;
	if (res->body != NULL) {
		g->body = malloc(res->body_bytes + 1);
		AN(g->body);
		memcpy(g->body, res->body, res->body_bytes);
		g->body[res->body_bytes] = '\0';
	}
	g->location = dup_or_null(res->location);
	g->content_type = dup_or_null(res->content_type);
	g->cut = res->cut;
	if (res->kept != NULL) {
		g->has_kept = 1;
		g->kept_json = fetch_kept_json(res->kept);
	}
}

static void
tick(evutil_socket_t fd, short what, void *priv)
{
	(void)fd;
	(void)what;
	(void)priv;
}

/* The loop run until *n reaches want, or secs went by: whether it did. */
static int
wait_for(const unsigned *n, unsigned want, double secs)
{
	struct timeval tv = { 0, 20000 };
	struct event *t;
	double deadline = VTIM_mono() + secs;

	/* Wakes the loop now and then, whatever else it waits for. */
	t = event_new(eb, -1, EV_PERSIST, tick, NULL);
	AN(t);
	AZ(event_add(t, &tv));
	while (*n < want && VTIM_mono() < deadline)
		AZ(event_base_loop(eb, EVLOOP_ONCE));
	event_free(t);
	return (*n >= want);
}

static void
req_init(struct fetch_req *rq, const char *url)
{
	memset(rq, 0, sizeof *rq);
	rq->url = url;
	rq->timeout = 5;
	rq->body_max = 1 << 20;
}

static int
submit(struct fetcher *f, const struct fetch_req *rq, struct got *g)
{
	int r;

	submitting = 1;
	r = fetcher_submit(f, rq, on_done, g);
	submitting = 0;
	return (r);
}

/* One fetch, done (or 5 s went by); called back once, never from
 * inside fetcher_submit(). */
static void
fetch_one(struct fetcher *f, const struct fetch_req *rq, struct got *g)
{
	got_clear(g);
	CHECK_INT_EQ(submit(f, rq, g), 0);
	CHECK(wait_for(&g->ncalls, 1, 5));
	CHECK_INT_EQ(g->ncalls, 1);
	CHECK_INT_EQ(g->in_submit, 0);
}

/* What most cases are: a server, a fetcher, one request and what its
 * last fetch was told. */
struct tcase {
	struct srv *s;
	struct fetcher *f;
	struct got g;
	struct fetch_req rq;
	char url[128];
};

/* The fetcher, and the request for tc->url: written by then, to a
 * server of the case's or to none. */
static void
tc_fetcher(struct tcase *tc, unsigned max_per_host)
{
	tc->f = fetcher_new(eb, max_per_host);
	AN(tc->f);
	req_init(&tc->rq, tc->url);
}

/* A case begun: named, a server on 127.0.0.1, a request for its path. */
static void
tc_open(struct tcase *tc, const char *name, const char *path,
    unsigned max_per_host)
{
	memset(tc, 0, sizeof *tc);
	printf("# %s\n", name);
	tc->s = srv_new();
	srv_url(tc->s, path, tc->url, sizeof tc->url);
	tc_fetcher(tc, max_per_host);
}

/* The fetcher first: what it still has in flight is told "stopped"
 * before the server goes.  Either may be gone already. */
static void
tc_close(struct tcase *tc)
{
	fetcher_free(&tc->f);
	if (tc->s != NULL)
		srv_free(&tc->s);
	got_clear(&tc->g);
}

static void
tc_fetch(struct tcase *tc)
{
	fetch_one(tc->f, &tc->rq, &tc->g);
}

/* A fetch that got an answer, whatever the answer. */
static void
tc_fetch_ok(struct tcase *tc)
{
	tc_fetch(tc);
	CHECK_INT_EQ(tc->g.ok, 1);
}

/* ... and this one: the status (0: not looked at) and the body (NULL:
 * none kept). */
static void
fetched_ok(struct tcase *tc, long status, const char *body)
{
	tc_fetch_ok(tc);
	if (status != 0)
		CHECK_INT_EQ(tc->g.status, status);
	CHECK_STR_EQ(tc->g.body, body);
}

/* ---------------------------------------------------------------- */

static const char a_full[] = "HTTP/1.1 200 Fine Thanks\r\n"
                             "Content-Length: 11\r\n"
                             "Cache-Control: public, max-age=60\r\n"
                             "Content-Type: text/html; charset=utf-8\r\n"
                             "Age: 42\r\n"
                             "Location: /elsewhere?x=1\r\n"
                             "X-Varnish: 5 3\r\n"
                             "Stoke-Warm-Id: w-123\r\n"
                             "Retry-After: 120\r\n"
                             "Set-Cookie: a=1; Path=/\r\n"
                             "Set-Cookie: b=2; HttpOnly\r\n"
                             "Server: tiny\r\n"
                             "\r\n"
                             "hello world";

static const char a_full_kept[] =
    "{\"Content-Length\":\"11\","
    "\"Cache-Control\":\"public, max-age=60\","
    "\"Content-Type\":\"text/html; charset=utf-8\","
    "\"Age\":\"42\",\"X-Varnish\":\"5 3\",\"Set-Cookie\":\"a, b\","
    "\"Server\":\"tiny\"}";

/* The least an answer is, with the connection kept. */
static const char a_ok[] = "HTTP/1.1 200 OK\r\n"
                           "Content-Length: 2\r\n"
                           "\r\n"
                           "ok";

/* Everything a_full says, as the caller gets it. */
static void
check_full(const struct got *g)
{
	CHECK_INT_EQ(g->ok, 1);
	CHECK_STR_EQ(g->error, NULL);
	CHECK_INT_EQ(g->status, 200);
	CHECK_STR_EQ(g->reason, "Fine Thanks");
	CHECK_STR_EQ(g->body, "hello world");
	CHECK_INT_EQ(g->body_bytes, 11);
	CHECK_INT_EQ(g->cut, 0);
	CHECK_STR_EQ(g->cache_control, "public, max-age=60");
	CHECK_STR_EQ(g->content_type, "text/html; charset=utf-8");
	CHECK_INT_EQ(g->age, 42);
	CHECK_STR_EQ(g->location, "/elsewhere?x=1");
	CHECK_INT_EQ(g->hit, 1);
	CHECK_INT_EQ(g->vxid, 5);
	CHECK_STR_EQ(g->warm_id, "w-123");
	CHECK_STR_EQ(g->retry_after, "120");
	CHECK_INT_EQ(g->set_cookie, 1);
	CHECK_STR_EQ(g->cookies, "a b");
	CHECK_INT_EQ(g->has_kept, 1);
	CHECK_STR_EQ(g->kept_json, a_full_kept);
	CHECK(g->time > 0);
	CHECK(g->ttfb > 0 && g->ttfb <= g->time);
	CHECK(g->waited >= 0 && g->waited < 1);
	CHECK(g->started > 0);
}

/* 1: a Content-Length body, and each field the answer fills; then one
 * that fills few. */
static void
t_fields(void)
{
	struct tcase tc;

	tc_open(&tc, "1 fields of a Content-Length answer", "/a", 4);
	srv_script(tc.s, a_full);
	tc_fetch(&tc);
	check_full(&tc.g);
	CHECK_INT_EQ(tc.s->accepted, 1);

	/* No Age, one transaction in X-Varnish, nothing else. */
	srv_script(tc.s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 3\r\n"
	    "X-Varnish: 7\r\n"
	    "\r\n"
	    "abc");
	fetched_ok(&tc, 200, "abc");
	CHECK_STR_EQ(tc.g.reason, "OK");
	CHECK_INT_EQ(tc.g.body_bytes, 3);
	CHECK_INT_EQ(tc.g.age, -1);
	CHECK_INT_EQ(tc.g.hit, 0);
	CHECK_INT_EQ(tc.g.vxid, 7);
	CHECK_STR_EQ(tc.g.warm_id, NULL);
	CHECK_STR_EQ(tc.g.retry_after, NULL);
	CHECK_STR_EQ(tc.g.cache_control, NULL);
	CHECK_STR_EQ(tc.g.content_type, NULL);
	CHECK_STR_EQ(tc.g.location, NULL);
	CHECK_INT_EQ(tc.g.set_cookie, 0);
	CHECK_STR_EQ(tc.g.cookies, NULL);
	CHECK_INT_EQ(tc.g.has_kept, 1);
	CHECK_STR_EQ(tc.g.kept_json,
	    "{\"Content-Length\":\"3\",\"X-Varnish\":\"7\"}");

	/* No X-Varnish: vxid 0; no reason phrase: "".  An empty body
	 * kept is "", not NULL. */
	srv_script(tc.s,
	    "HTTP/1.1 404\r\n"
	    "Content-Length: 0\r\n"
	    "\r\n");
	fetched_ok(&tc, 404, "");
	CHECK_STR_EQ(tc.g.reason, "");
	CHECK_INT_EQ(tc.g.body_bytes, 0);
	CHECK_INT_EQ(tc.g.hit, 0);
	CHECK_INT_EQ(tc.g.vxid, 0);

	/* no_kept: no headers kept, the rest as ever. */
	srv_script(tc.s, a_full);
	tc.rq.no_kept = 1;
	fetched_ok(&tc, 0, "hello world");
	CHECK_INT_EQ(tc.g.has_kept, 0);
	CHECK_STR_EQ(tc.g.cookies, "a b");
	CHECK_INT_EQ(tc.s->accepted, 1);
	tc_close(&tc);
}

/* 2: the same answer one byte a write, over as many loop turns. */
static void
t_bytewise(void)
{
	struct tcase tc;

	tc_open(&tc, "2 one byte a write", "/a", 4);
	srv_script(tc.s, a_full);
	tc.s->piece = 1;
	tc_fetch(&tc);
	check_full(&tc.g);
	CHECK_INT_EQ(tc.s->writes, sizeof a_full - 1);
	/* And the connection is kept after it. */
	tc_fetch(&tc);
	check_full(&tc.g);
	CHECK_INT_EQ(tc.s->accepted, 1);
	tc_close(&tc);
}

static const char a_chunked[] = "HTTP/1.1 200 OK\r\n"
                                "Transfer-Encoding: chunked\r\n"
                                "Content-Type: text/plain\r\n"
                                "\r\n"
                                "5;ext=1\r\n"
                                "hello\r\n"
                                "1\r\n"
                                " \r\n"
                                "A; name=\"v\"\r\n"
                                "0123456789\r\n"
                                "0\r\n"
                                "X-Trailer: t\r\n"
                                "\r\n";

/* 3: chunked, with an extension and a trailer; whole, then in pieces
 * that split sizes, CRLFs and the trailer. */
static void
t_chunked(void)
{
	static const size_t pieces[] = { 0, 1, 3, 7 };
	struct tcase tc;
	unsigned u;

	tc_open(&tc, "3 chunked", "/c", 4);
	srv_script(tc.s, a_chunked);
	for (u = 0; u < sizeof pieces / sizeof pieces[0]; u++) {
		tc.s->piece = pieces[u];
		fetched_ok(&tc, 200, "hello 0123456789");
		CHECK_INT_EQ(tc.g.body_bytes, 16);
		CHECK_STR_EQ(tc.g.content_type, "text/plain");
	}
	/* The trailer was read: the connection served them all. */
	CHECK_INT_EQ(tc.s->accepted, 1);
	CHECK_INT_EQ(tc.s->requests, 4);

	/* Counted only: the body's bytes, not the chunks'. */
	tc.rq.body_max = 0;
	fetched_ok(&tc, 0, NULL);
	CHECK_INT_EQ(tc.g.body_bytes, 16);
	tc_close(&tc);
}

/* 4: neither length nor chunks: the body is what comes until close. */
static void
t_until_close(void)
{
	struct tcase tc;

	tc_open(&tc, "4 read until close", "/u", 4);
	srv_script(tc.s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "all of this, until the end");
	tc.s->close_after = 1;
	tc.s->piece = 5;
	fetched_ok(&tc, 200, "all of this, until the end");
	CHECK_INT_EQ(tc.g.body_bytes, 26);
	/* And the next fetch connects anew. */
	fetched_ok(&tc, 0, "all of this, until the end");
	CHECK_INT_EQ(tc.s->accepted, 2);
	tc_close(&tc);
}

/* 5: "Connection: close" is heeded, whether or not the server closes. */
static void
t_conn_close(void)
{
	struct tcase tc;
	unsigned closes;

	for (closes = 0; closes < 2; closes++) {
		tc_open(&tc,
		    closes ? "5 Connection: close, closed"
		           : "5 Connection: close, left open",
		    "/k", 4);
		srv_script(tc.s,
		    "HTTP/1.1 200 OK\r\n"
		    "Connection: close\r\n"
		    "Content-Length: 2\r\n"
		    "\r\n"
		    "ok");
		tc.s->close_after = closes;
		fetched_ok(&tc, 0, "ok");
		fetched_ok(&tc, 0, "ok");
		CHECK_INT_EQ(tc.s->accepted, 2);
		CHECK_INT_EQ(tc.s->requests, 2);
		tc_close(&tc);
	}
}

/* 6: keep-alive: one connection for fetches in a row. */
static void
t_keepalive(void)
{
	struct tcase tc;
	unsigned u;

	tc_open(&tc, "6 keep-alive", "/k", 4);
	srv_script(tc.s, a_ok);
	for (u = 0; u < 5; u++)
		fetched_ok(&tc, 0, "ok");
	CHECK_INT_EQ(tc.s->accepted, 1);
	CHECK_INT_EQ(tc.s->requests, 5);
	tc_close(&tc);
}

/* 7: names in any case, blanks around values, a very long line. */
static void
t_header_lines(void)
{
	struct tcase tc;
	char *a, *p;
	size_t len;

	tc_open(&tc, "7 header lines", "/h", 4);
	len = 1024 + 6000;
	a = malloc(len);
	AN(a);
	p = a;
	p += sprintf(p,
	    "HTTP/1.1 200 OK\r\n"
	    "x-VARNISH: 9 8\r\n"
	    "cache-control:   no-cache  \r\n"
	    "CONTENT-TYPE:text/css\r\n"
	    "aGe:  7\r\n"
	    "X-Long: ");
	memset(p, 'x', 6000);
	p += 6000;
	p += sprintf(p,
	    "\r\n"
	    "stoke-warm-id: after-long\r\n"
	    "RETRY-AFTER: 5 \r\n"
	    "set-cookie: Sess=1\r\n"
	    "location:  /there\r\n"
	    "Content-Length: 4\r\n"
	    "\r\n"
	    "body");
	assert((size_t)(p - a) < len);
	srv_script(tc.s, a);
	fetched_ok(&tc, 200, "body");
	CHECK_INT_EQ(tc.g.hit, 1);
	CHECK_INT_EQ(tc.g.vxid, 9);
	CHECK_STR_EQ(tc.g.cache_control, "no-cache");
	CHECK_STR_EQ(tc.g.content_type, "text/css");
	CHECK_INT_EQ(tc.g.age, 7);
	CHECK_STR_EQ(tc.g.warm_id, "after-long");
	CHECK_STR_EQ(tc.g.retry_after, "5");
	CHECK_INT_EQ(tc.g.set_cookie, 1);
	CHECK_STR_EQ(tc.g.cookies, "Sess");
	CHECK_STR_EQ(tc.g.location, "/there");
	/* Kept under the list's spelling. */
	CHECK_STR_EQ(tc.g.kept_json,
	    "{\"X-Varnish\":\"9 8\",\"Cache-Control\":\"no-cache\","
	    "\"Content-Type\":\"text/css\",\"Age\":\"7\","
	    "\"Set-Cookie\":\"Sess\",\"Content-Length\":\"4\"}");

	/* The same in pieces of 1000 bytes. */
	tc.s->piece = 1000;
	fetched_ok(&tc, 0, "body");
	CHECK_INT_EQ(tc.g.vxid, 9);
	CHECK_STR_EQ(tc.g.warm_id, "after-long");
	CHECK_INT_EQ(tc.s->accepted, 1);
	tc_close(&tc);
	free(a);
}

/* 8: a body past body_max: refused, or cut when the caller takes it. */
static void
t_body_max(void)
{
	static const size_t pieces[] = { 0, 700 };
	static char a[64 + 5000];
	struct tcase tc;
	char *body;
	unsigned u, i, cut;

	i = (unsigned)sprintf(a,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 5000\r\n"
	    "\r\n");
	body = a + i;
	for (u = 0; u < 5000; u++)
		body[u] = (char)('a' + u % 26);
	body[5000] = '\0';
	tc_open(&tc, "8 body_max", "/b", 4);
	srv_script(tc.s, a);
	for (u = 0; u < sizeof pieces / sizeof pieces[0]; u++) {
		tc.s->piece = pieces[u];
		req_init(&tc.rq, tc.url);
		tc.rq.body_max = 1000;
		tc_fetch(&tc);
		CHECK_INT_EQ(tc.g.ok, 0);
		CHECK_INT_EQ(tc.g.cut, 0);
		CHECK(tc.g.error != NULL && strstr(tc.g.error, "1000") != NULL);

		tc.rq.body_cut = 1;
		tc_fetch_ok(&tc);
		CHECK_STR_EQ(tc.g.error, NULL);
		CHECK_INT_EQ(tc.g.status, 200);
		CHECK_INT_EQ(tc.g.cut, 1);
		CHECK_INT_EQ(tc.g.body_bytes, 1000);
		CHECK(tc.g.body != NULL && !memcmp(tc.g.body, body, 1000));

		/* Exactly body_max: whole, cut or not. */
		tc.rq.body_max = 5000;
		for (cut = 0; cut < 2; cut++) {
			tc.rq.body_cut = cut;
			fetched_ok(&tc, 0, body);
			CHECK_INT_EQ(tc.g.cut, 0);
			CHECK_INT_EQ(tc.g.body_bytes, 5000);
		}
	}
	tc_close(&tc);
}

/* 9: body_max 0: the body counted, not kept. */
static void
t_count_only(void)
{
	struct tcase tc;

	tc_open(&tc, "9 body counted only", "/n", 4);
	tc.rq.body_max = 0;
	srv_script(tc.s, a_full);
	fetched_ok(&tc, 200, NULL);
	CHECK_INT_EQ(tc.g.body_bytes, 11);
	CHECK_INT_EQ(tc.g.vxid, 5);
	tc_close(&tc);
}

/* 10: a server that never answers: the fetch's timeout ends it. */
static void
t_timeout(void)
{
	struct tcase tc;
	double t0, dt;

	tc_open(&tc, "10 timeout", "/t", 4);
	tc.rq.timeout = 0.3;
	tc.s->silent = 1;
	t0 = VTIM_mono();
	CHECK_INT_EQ(submit(tc.f, &tc.rq, &tc.g), 0);
	CHECK(wait_for(&tc.g.ncalls, 1, 3));
	dt = VTIM_mono() - t0;
	CHECK_INT_EQ(tc.g.ncalls, 1);
	CHECK_INT_EQ(tc.g.in_submit, 0);
	CHECK_INT_EQ(tc.g.ok, 0);
	CHECK(tc.g.error != NULL && strstr(tc.g.error, "timed out") != NULL);
	CHECK(dt >= 0.25 && dt < 2);
	CHECK_INT_EQ(tc.s->requests, 1);
	tc_close(&tc);
}

/* A loopback port nobody listens on. */
static unsigned
dead_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	AZ(bind(fd, (struct sockaddr *)&sin, sizeof sin));
	AZ(getsockname(fd, (struct sockaddr *)&sin, &sl));
	AZ(close(fd));
	return (ntohs(sin.sin_port));
}

/* 11: connection refused: an error, told after fetcher_submit()
 * returned. */
static void
t_refused(void)
{
	struct tcase tc;

	memset(&tc, 0, sizeof tc);
	printf("# 11 connection refused\n");
	snprintf(tc.url, sizeof tc.url, "http://127.0.0.1:%u/r", dead_port());
	tc_fetcher(&tc, 4);
	CHECK_INT_EQ(submit(tc.f, &tc.rq, &tc.g), 0);
	CHECK_INT_EQ(tc.g.ncalls, 0);
	CHECK(wait_for(&tc.g.ncalls, 1, 3));
	CHECK_INT_EQ(tc.g.ncalls, 1);
	CHECK_INT_EQ(tc.g.in_submit, 0);
	CHECK_INT_EQ(tc.g.ok, 0);
	CHECK_INT_EQ(tc.g.status, 0);
	CHECK(tc.g.error != NULL && tc.g.error[0] != '\0');
	/* Nothing kept from a server never reached (kept may be NULL, or
	 * hold nothing). */
	CHECK(!tc.g.has_kept || tc.g.kept_json == NULL);

	/* Not even started: -1, and no call. */
	got_clear(&tc.g);
	tc.rq.url = NULL;
	CHECK_INT_EQ(submit(tc.f, &tc.rq, &tc.g), -1);
	tc.rq.url = tc.url;
	tc.rq.nhdr = FETCH_MAX_HDRS + 1;
	CHECK_INT_EQ(submit(tc.f, &tc.rq, &tc.g), -1);
	CHECK_INT_EQ(fetcher_inflight(tc.f), 0);
	fetcher_free(&tc.f);
	CHECK_INT_EQ(tc.g.ncalls, 0);
	tc_close(&tc);
}

/* 12: a kept connection that dies with the next request unanswered: the
 * fetch is tried once more, on a new connection. */
static void
t_kept_dies(void)
{
	struct tcase tc;
	unsigned reset;

	for (reset = 0; reset < 2; reset++) {
		tc_open(&tc,
		    reset ? "12 kept connection reset"
		          : "12 kept connection closed",
		    "/d", 4);
		srv_script(tc.s, a_ok);
		tc.s->drop_nth = 2;
		tc.s->drop_reset = reset;
		tc_fetch_ok(&tc);
		CHECK_INT_EQ(tc.s->accepted, 1);
		fetched_ok(&tc, 200, "ok");
		CHECK_STR_EQ(tc.g.error, NULL);
		CHECK_INT_EQ(tc.s->accepted, 2);
		CHECK_INT_EQ(tc.s->requests, 3);
		tc_close(&tc);
	}
}

/* 13: interim answers (1xx) are passed over for the final one. */
static void
t_interim(void)
{
	static const size_t pieces[] = { 0, 25 };
	struct tcase tc;
	unsigned u;

	tc_open(&tc, "13 1xx", "/i", 4);
	srv_script(tc.s,
	    "HTTP/1.1 100 Continue\r\n"
	    "\r\n"
	    "HTTP/1.1 103 Early Hints\r\n"
	    "Link: </s.css>; rel=preload\r\n"
	    "\r\n"
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n"
	    "X-Varnish: 11 10\r\n"
	    "\r\n"
	    "ok");
	for (u = 0; u < sizeof pieces / sizeof pieces[0]; u++) {
		tc.s->piece = pieces[u];
		tc.s->gap = pieces[u] > 0 ? 0.01 : 0;
		fetched_ok(&tc, 200, "ok");
		CHECK_STR_EQ(tc.g.reason, "OK");
		CHECK_INT_EQ(tc.g.vxid, 11);
		CHECK_INT_EQ(tc.g.hit, 1);
		CHECK_STR_EQ(tc.g.kept_json,
		    "{\"Content-Length\":\"2\",\"X-Varnish\":\"11 10\"}");
	}
	CHECK_INT_EQ(tc.s->accepted, 1);
	tc_close(&tc);
}

/* The request's lines, each without its CRLF: whether one is line, or,
 * with prefix, how many begin so. */
static unsigned
req_lines(const char *req, const char *line, int prefix)
{
	const char *p = req, *e;
	size_t len = strlen(line);
	unsigned n = 0;

	while ((e = strstr(p, "\r\n")) != NULL && e != p) {
		if (prefix ? ((size_t)(e - p) >= len && !strncmp(p, line, len))
		           : ((size_t)(e - p) == len && !strncmp(p, line, len)))
			n++;
		p = e + 2;
	}
	return (n);
}

/* 14: what the server reads. */
static void
t_request(void)
{
	struct tcase tc;
	const char *last;
	char host[64];

	tc_open(&tc, "14 request bytes", "/path?q=1", 4);
	last = tc.s->last;
	tc.rq.host = "example.test";
	tc.rq.nhdr = 2;
	tc.rq.hdr[0] = "Accept-Language: de";
	tc.rq.hdr[1] = "X-A: b";
	srv_script(tc.s, "HTTP/1.1 204 No Content\r\n\r\n");
	tc_fetch_ok(&tc);
	CHECK_INT_EQ(tc.g.status, 204);
	CHECK_INT_EQ(tc.s->requests, 1);
	/* One request, whole, nothing after it. */
	CHECK_INT_EQ(tc.s->rawlen, tc.s->lastlen);
	CHECK(!strncmp(last, "GET /path?q=1 HTTP/1.1\r\n", 24));
	CHECK(tc.s->lastlen >= 4 &&
	    !strcmp(last + tc.s->lastlen - 4, "\r\n\r\n"));
	CHECK_INT_EQ(req_lines(last, "Host: example.test", 0), 1);
	CHECK_INT_EQ(req_lines(last, "Host:", 1), 1);
	CHECK_INT_EQ(req_lines(last, "Accept-Language: de", 0), 1);
	CHECK_INT_EQ(req_lines(last, "X-A: b", 0), 1);
	CHECK_INT_EQ(req_lines(last, "User-Agent: stoked/", 1), 1);

	/* Without a host of its own: the URL's, with its port. */
	tc.rq.host = NULL;
	tc.rq.nhdr = 0;
	tc_fetch_ok(&tc);
	snprintf(host, sizeof host, "Host: 127.0.0.1:%u", tc.s->port);
	CHECK(!strncmp(last, "GET /path?q=1 HTTP/1.1\r\n", 24));
	CHECK_INT_EQ(req_lines(last, host, 0), 1);
	CHECK_INT_EQ(req_lines(last, "Host:", 1), 1);
	CHECK_INT_EQ(req_lines(last, "User-Agent: stoked/", 1), 1);
	CHECK_INT_EQ(req_lines(last, "X-A:", 1), 0);

	/* A User-Agent of the caller's replaces ours. */
	tc.rq.nhdr = 1;
	tc.rq.hdr[0] = "User-Agent: replayed/1";
	tc_fetch_ok(&tc);
	CHECK_INT_EQ(req_lines(last, "User-Agent: replayed/1", 0), 1);
	CHECK_INT_EQ(req_lines(last, "User-Agent:", 1), 1);
	CHECK_INT_EQ(tc.s->accepted, 1);
	tc_close(&tc);
}

/* 21: answers curl reads as having no body, a Content-Length or not;
 * a trailer's fields; a 101, after which the connection is another's. */
static void
t_no_body(void)
{
	static const char *const nobody[] = {
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
	};
	struct tcase tc;
	unsigned u;

	tc_open(&tc, "21 no body, trailers, 101", "/n", 4);
	for (u = 0; u < sizeof nobody / sizeof nobody[0]; u++) {
		srv_script(tc.s, nobody[u]);
		tc_fetch_ok(&tc);
		CHECK_INT_EQ(tc.g.status, u == 0 ? 304 : 204);
		CHECK_INT_EQ(tc.g.body_bytes, 0);
	}
	/* Kept after each, and in step. */
	CHECK_INT_EQ(tc.s->accepted, 1);

	srv_script(tc.s,
	    "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Trailer: X-Varnish\r\n"
	    "\r\n"
	    "2\r\nok\r\n"
	    "0\r\n"
	    "X-Varnish: 5 6\r\n"
	    "\r\n");
	fetched_ok(&tc, 0, "ok");
	CHECK_INT_EQ(tc.g.vxid, 5);
	CHECK_INT_EQ(tc.g.hit, 1);

	srv_script(tc.s,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: websocket\r\n"
	    "\r\n");
	tc_fetch(&tc);
	CHECK_INT_EQ(tc.g.status, 101);
	srv_script(tc.s, a_ok);
	tc_fetch_ok(&tc);
	CHECK_INT_EQ(tc.g.status, 200);
	/* Not on the connection that switched. */
	CHECK_INT_EQ(tc.s->accepted, 2);
	tc_close(&tc);
}

/* 22: URLs and headers as curl sends them: dot segments removed, a
 * header with nothing after its colon left out, "Name;" sent empty. */
static void
t_curl_forms(void)
{
	struct tcase tc;

	tc_open(&tc, "22 curl's forms", "/a/./b/../c?x=/./", 4);
	srv_script(tc.s, a_ok);
	tc.rq.nhdr = 3;
	tc.rq.hdr[0] = "X-Empty:";
	tc.rq.hdr[1] = "X-Semi;";
	tc.rq.hdr[2] = "X-Full: 1";
	tc_fetch_ok(&tc);
	CHECK(!strncmp(tc.s->last, "GET /a/c?x=/./ HTTP/1.1\r\n", 25));
	CHECK_INT_EQ(req_lines(tc.s->last, "X-Empty", 1), 0);
	CHECK_INT_EQ(req_lines(tc.s->last, "X-Semi:", 0), 1);
	CHECK_INT_EQ(req_lines(tc.s->last, "X-Full: 1", 0), 1);
	CHECK_INT_EQ(req_lines(tc.s->last, "Accept: */*", 0), 1);
	tc_close(&tc);
}

/* 15: max_per_host: never more connections than that, all served. */
static void
t_per_host(void)
{
	struct tcase tc;
	struct got g[6];
	unsigned u, nok = 0;

	memset(g, 0, sizeof g);
	tc_open(&tc, "15 max_per_host", "/p", 2);
	srv_script(tc.s, a_ok);
	tc.s->gap = 0.03; /* each answer a little later */
	ndone = 0;
	for (u = 0; u < 6; u++)
		CHECK_INT_EQ(submit(tc.f, &tc.rq, &g[u]), 0);
	CHECK_INT_EQ(fetcher_inflight(tc.f), 6);
	CHECK(wait_for(&ndone, 6, 5));
	for (u = 0; u < 6; u++) {
		CHECK_INT_EQ(g[u].ncalls, 1);
		CHECK_INT_EQ(g[u].in_submit, 0);
		if (g[u].ok && g[u].status == 200 && g[u].body != NULL &&
		    !strcmp(g[u].body, "ok"))
			nok++;
	}
	CHECK_INT_EQ(nok, 6);
	CHECK_INT_EQ(fetcher_inflight(tc.f), 0);
	CHECK_INT_EQ(tc.s->requests, 6);
	CHECK(tc.s->max_open <= 2);
	CHECK(tc.s->max_answering <= 2);
	/* The cap is used: two at once. */
	CHECK_INT_EQ(tc.s->max_open, 2);
	tc_close(&tc);
	for (u = 0; u < 6; u++)
		got_clear(&g[u]);
}

/* 16: an error status is an answer all the same. */
static void
t_error_status(void)
{
	struct tcase tc;

	tc_open(&tc, "16 503 with a body", "/e", 4);
	srv_script(tc.s,
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Length: 4\r\n"
	    "Retry-After: 30\r\n"
	    "\r\n"
	    "down");
	fetched_ok(&tc, 503, "down");
	CHECK_STR_EQ(tc.g.error, NULL);
	CHECK_STR_EQ(tc.g.reason, "Service Unavailable");
	CHECK_STR_EQ(tc.g.retry_after, "30");
	tc_close(&tc);
}

/* 17: fetcher_free() ends what is in flight, telling each "stopped". */
static void
t_free_inflight(void)
{
	struct tcase tc;
	struct got g[3];
	unsigned u;

	memset(g, 0, sizeof g);
	tc_open(&tc, "17 fetcher_free() in flight", "/s", 4);
	tc.s->silent = 1;
	ndone = 0;
	for (u = 0; u < 3; u++)
		CHECK_INT_EQ(submit(tc.f, &tc.rq, &g[u]), 0);
	CHECK(wait_for(&tc.s->requests, 3, 5));
	CHECK_INT_EQ(ndone, 0);
	fetcher_free(&tc.f);
	/* Told before it returns: nothing of the fetcher is left after. */
	CHECK_INT_EQ(ndone, 3);
	for (u = 0; u < 3; u++) {
		CHECK_INT_EQ(g[u].ncalls, 1);
		CHECK_INT_EQ(g[u].ok, 0);
		CHECK_STR_EQ(g[u].error, "stopped");
		got_clear(&g[u]);
	}
	tc_close(&tc);
}

/* 18: a new connection closed or reset with the request unanswered, or
 * a body shorter than its length: failures. */
static void
t_broken(void)
{
	static const struct {
		const char *name, *answer;
	} short_by[] = {
		{ "18 body cut short",
		    "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 100\r\n"
		    "\r\n"
		    "only ten b" },
		{ "18 chunks cut short",
		    "HTTP/1.1 200 OK\r\n"
		    "Transfer-Encoding: chunked\r\n"
		    "\r\n"
		    "5\r\nhello\r\n" },
	};
	struct tcase tc;
	unsigned reset, u;

	for (reset = 0; reset < 2; reset++) {
		tc_open(&tc,
		    reset ? "18 reset unanswered" : "18 closed unanswered",
		    "/x", 4);
		tc.s->drop_nth = 1;
		tc.s->drop_reset = reset;
		tc_fetch(&tc);
		CHECK_INT_EQ(tc.g.ok, 0);
		CHECK_INT_EQ(tc.g.status, 0);
		CHECK(tc.g.error != NULL && tc.g.error[0] != '\0');
		tc_close(&tc);
	}

	/* The server closes once it wrote what it had. */
	for (u = 0; u < sizeof short_by / sizeof short_by[0]; u++) {
		tc_open(&tc, short_by[u].name, "/x", 4);
		srv_script(tc.s, short_by[u].answer);
		tc.s->close_after = 1;
		tc_fetch(&tc);
		CHECK_INT_EQ(tc.g.ok, 0);
		CHECK(tc.g.error != NULL && tc.g.error[0] != '\0');
		tc_close(&tc);
	}
}

/* 19: a done callback may submit the next fetch. */
static struct tcase chain_tc;
static struct got chain_g[3];
static unsigned chain_n;

static void
on_chain(void *priv, const struct fetch_result *res)
{
	on_done(priv, res);
	if (chain_n < 3) {
		submitting = 1;
		CHECK_INT_EQ(fetcher_submit(chain_tc.f, &chain_tc.rq, on_chain,
		                 &chain_g[chain_n++]),
		    0);
		submitting = 0;
	}
}

static void
t_chain(void)
{
	unsigned u;

	memset(chain_g, 0, sizeof chain_g);
	tc_open(&chain_tc, "19 submitted from a done callback", "/n", 4);
	srv_script(chain_tc.s, a_ok);
	ndone = 0;
	chain_n = 1;
	submitting = 1;
	CHECK_INT_EQ(fetcher_submit(chain_tc.f, &chain_tc.rq, on_chain,
	                 &chain_g[0]),
	    0);
	submitting = 0;
	CHECK(wait_for(&ndone, 3, 5));
	for (u = 0; u < 3; u++) {
		CHECK_INT_EQ(chain_g[u].ncalls, 1);
		CHECK_INT_EQ(chain_g[u].in_submit, 0);
		CHECK_INT_EQ(chain_g[u].ok, 1);
		CHECK_STR_EQ(chain_g[u].body, "ok");
		got_clear(&chain_g[u]);
	}
	CHECK_INT_EQ(chain_tc.s->requests, 3);
	CHECK_INT_EQ(chain_tc.s->accepted, 1);
	tc_close(&chain_tc);
}

/* 20: an IPv6 literal: connected to, and named so in Host. */
static void
t_ipv6(void)
{
	struct tcase tc;
	char host[64];

	memset(&tc, 0, sizeof tc);
	printf("# 20 IPv6 literal\n");
	tc.s = srv_new_family(AF_INET6);
	if (tc.s == NULL) {
		printf("# no IPv6 loopback here: skipped\n");
		return;
	}
	snprintf(tc.url, sizeof tc.url, "http://[::1]:%u/six", tc.s->port);
	tc_fetcher(&tc, 4);
	srv_script(tc.s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 3\r\n"
	    "\r\n"
	    "six");
	fetched_ok(&tc, 0, "six");
	snprintf(host, sizeof host, "Host: [::1]:%u", tc.s->port);
	CHECK(!strncmp(tc.s->last, "GET /six HTTP/1.1\r\n", 19));
	CHECK_INT_EQ(req_lines(tc.s->last, host, 0), 1);
	tc_close(&tc);
}

int
main(void)
{
	eb = loop_new();
	AN(eb);
	t_fields();
	t_bytewise();
	t_chunked();
	t_until_close();
	t_conn_close();
	t_keepalive();
	t_header_lines();
	t_body_max();
	t_count_only();
	t_timeout();
	t_refused();
	t_kept_dies();
	t_interim();
	t_request();
	t_per_host();
	t_error_status();
	t_free_inflight();
	t_broken();
	t_chain();
	t_ipv6();
	t_no_body();
	t_curl_forms();
	event_base_free(eb);
	return (unit_done());
}
