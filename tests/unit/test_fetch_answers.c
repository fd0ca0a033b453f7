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

static void
case_start(const char *name, struct srv **s, struct fetcher **f,
    unsigned max_per_host)
{
	printf("# %s\n", name);
	*s = srv_new();
	*f = fetcher_new(eb, max_per_host);
	AN(*f);
}

static void
case_end(struct srv **s, struct fetcher **f, struct got *g)
{
	fetcher_free(f);
	srv_free(s);
	if (g != NULL)
		got_clear(g);
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
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];

	memset(&g, 0, sizeof g);
	case_start("1 fields of a Content-Length answer", &s, &f, 4);
	srv_url(s, "/a", url, sizeof url);
	req_init(&rq, url);
	srv_script(s, a_full);
	fetch_one(f, &rq, &g);
	check_full(&g);
	CHECK_INT_EQ(s->accepted, 1);

	/* No Age, one transaction in X-Varnish, nothing else. */
	srv_script(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 3\r\n"
	    "X-Varnish: 7\r\n"
	    "\r\n"
	    "abc");
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 200);
	CHECK_STR_EQ(g.reason, "OK");
	CHECK_STR_EQ(g.body, "abc");
	CHECK_INT_EQ(g.body_bytes, 3);
	CHECK_INT_EQ(g.age, -1);
	CHECK_INT_EQ(g.hit, 0);
	CHECK_INT_EQ(g.vxid, 7);
	CHECK_STR_EQ(g.warm_id, NULL);
	CHECK_STR_EQ(g.retry_after, NULL);
	CHECK_STR_EQ(g.cache_control, NULL);
	CHECK_STR_EQ(g.content_type, NULL);
	CHECK_STR_EQ(g.location, NULL);
	CHECK_INT_EQ(g.set_cookie, 0);
	CHECK_STR_EQ(g.cookies, NULL);
	CHECK_INT_EQ(g.has_kept, 1);
	CHECK_STR_EQ(g.kept_json,
	    "{\"Content-Length\":\"3\",\"X-Varnish\":\"7\"}");

	/* No X-Varnish: vxid 0; no reason phrase: "".  An empty body
	 * kept is "", not NULL. */
	srv_script(s,
	    "HTTP/1.1 404\r\n"
	    "Content-Length: 0\r\n"
	    "\r\n");
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 404);
	CHECK_STR_EQ(g.reason, "");
	CHECK_STR_EQ(g.body, "");
	CHECK_INT_EQ(g.body_bytes, 0);
	CHECK_INT_EQ(g.hit, 0);
	CHECK_INT_EQ(g.vxid, 0);

	/* no_kept: no headers kept, the rest as ever. */
	srv_script(s, a_full);
	rq.no_kept = 1;
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.has_kept, 0);
	CHECK_STR_EQ(g.body, "hello world");
	CHECK_STR_EQ(g.cookies, "a b");
	CHECK_INT_EQ(s->accepted, 1);
	case_end(&s, &f, &g);
}

/* 2: the same answer one byte a write, over as many loop turns. */
static void
t_bytewise(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];

	memset(&g, 0, sizeof g);
	case_start("2 one byte a write", &s, &f, 4);
	srv_url(s, "/a", url, sizeof url);
	req_init(&rq, url);
	srv_script(s, a_full);
	s->piece = 1;
	fetch_one(f, &rq, &g);
	check_full(&g);
	CHECK_INT_EQ(s->writes, sizeof a_full - 1);
	/* And the connection is kept after it. */
	fetch_one(f, &rq, &g);
	check_full(&g);
	CHECK_INT_EQ(s->accepted, 1);
	case_end(&s, &f, &g);
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
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];
	unsigned u;

	memset(&g, 0, sizeof g);
	case_start("3 chunked", &s, &f, 4);
	srv_url(s, "/c", url, sizeof url);
	req_init(&rq, url);
	srv_script(s, a_chunked);
	for (u = 0; u < sizeof pieces / sizeof pieces[0]; u++) {
		s->piece = pieces[u];
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 1);
		CHECK_INT_EQ(g.status, 200);
		CHECK_STR_EQ(g.body, "hello 0123456789");
		CHECK_INT_EQ(g.body_bytes, 16);
		CHECK_STR_EQ(g.content_type, "text/plain");
	}
	/* The trailer was read: the connection served them all. */
	CHECK_INT_EQ(s->accepted, 1);
	CHECK_INT_EQ(s->requests, 4);

	/* Counted only: the body's bytes, not the chunks'. */
	rq.body_max = 0;
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.body_bytes, 16);
	CHECK_STR_EQ(g.body, NULL);
	case_end(&s, &f, &g);
}

/* 4: neither length nor chunks: the body is what comes until close. */
static void
t_until_close(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];

	memset(&g, 0, sizeof g);
	case_start("4 read until close", &s, &f, 4);
	srv_url(s, "/u", url, sizeof url);
	req_init(&rq, url);
	srv_script(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "all of this, until the end");
	s->close_after = 1;
	s->piece = 5;
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 200);
	CHECK_STR_EQ(g.body, "all of this, until the end");
	CHECK_INT_EQ(g.body_bytes, 26);
	/* And the next fetch connects anew. */
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_STR_EQ(g.body, "all of this, until the end");
	CHECK_INT_EQ(s->accepted, 2);
	case_end(&s, &f, &g);
}

/* 5: "Connection: close" is heeded, whether or not the server closes. */
static void
t_conn_close(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g1, g2;
	char url[128];
	unsigned closes;

	memset(&g1, 0, sizeof g1);
	memset(&g2, 0, sizeof g2);
	for (closes = 0; closes < 2; closes++) {
		case_start(closes ? "5 Connection: close, closed"
		                  : "5 Connection: close, left open",
		    &s, &f, 4);
		srv_url(s, "/k", url, sizeof url);
		req_init(&rq, url);
		srv_script(s,
		    "HTTP/1.1 200 OK\r\n"
		    "Connection: close\r\n"
		    "Content-Length: 2\r\n"
		    "\r\n"
		    "ok");
		s->close_after = closes;
		fetch_one(f, &rq, &g1);
		fetch_one(f, &rq, &g2);
		CHECK_INT_EQ(g1.ok, 1);
		CHECK_STR_EQ(g1.body, "ok");
		CHECK_INT_EQ(g2.ok, 1);
		CHECK_STR_EQ(g2.body, "ok");
		CHECK_INT_EQ(s->accepted, 2);
		CHECK_INT_EQ(s->requests, 2);
		case_end(&s, &f, &g1);
		got_clear(&g2);
	}
}

/* 6: keep-alive: one connection for fetches in a row. */
static void
t_keepalive(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];
	unsigned u;

	memset(&g, 0, sizeof g);
	case_start("6 keep-alive", &s, &f, 4);
	srv_url(s, "/k", url, sizeof url);
	req_init(&rq, url);
	srv_script(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n"
	    "\r\n"
	    "ok");
	for (u = 0; u < 5; u++) {
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 1);
		CHECK_STR_EQ(g.body, "ok");
	}
	CHECK_INT_EQ(s->accepted, 1);
	CHECK_INT_EQ(s->requests, 5);
	case_end(&s, &f, &g);
}

/* 7: names in any case, blanks around values, a very long line. */
static void
t_header_lines(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128], *a, *p;
	size_t len;

	memset(&g, 0, sizeof g);
	case_start("7 header lines", &s, &f, 4);
	srv_url(s, "/h", url, sizeof url);
	req_init(&rq, url);
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
	srv_script(s, a);
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 200);
	CHECK_INT_EQ(g.hit, 1);
	CHECK_INT_EQ(g.vxid, 9);
	CHECK_STR_EQ(g.cache_control, "no-cache");
	CHECK_STR_EQ(g.content_type, "text/css");
	CHECK_INT_EQ(g.age, 7);
	CHECK_STR_EQ(g.warm_id, "after-long");
	CHECK_STR_EQ(g.retry_after, "5");
	CHECK_INT_EQ(g.set_cookie, 1);
	CHECK_STR_EQ(g.cookies, "Sess");
	CHECK_STR_EQ(g.location, "/there");
	CHECK_STR_EQ(g.body, "body");
	/* Kept under the list's spelling. */
	CHECK_STR_EQ(g.kept_json,
	    "{\"X-Varnish\":\"9 8\",\"Cache-Control\":\"no-cache\","
	    "\"Content-Type\":\"text/css\",\"Age\":\"7\","
	    "\"Set-Cookie\":\"Sess\",\"Content-Length\":\"4\"}");

	/* The same in pieces of 1000 bytes. */
	s->piece = 1000;
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.vxid, 9);
	CHECK_STR_EQ(g.warm_id, "after-long");
	CHECK_STR_EQ(g.body, "body");
	CHECK_INT_EQ(s->accepted, 1);
	case_end(&s, &f, &g);
	free(a);
}

/* 8: a body past body_max: refused, or cut when the caller takes it. */
static void
t_body_max(void)
{
	static const size_t pieces[] = { 0, 700 };
	static char a[64 + 5000];
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128], *body;
	unsigned u, i;

	memset(&g, 0, sizeof g);
	i = (unsigned)sprintf(a,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 5000\r\n"
	    "\r\n");
	body = a + i;
	for (u = 0; u < 5000; u++)
		body[u] = (char)('a' + u % 26);
	body[5000] = '\0';
	case_start("8 body_max", &s, &f, 4);
	srv_url(s, "/b", url, sizeof url);
	srv_script(s, a);
	for (u = 0; u < sizeof pieces / sizeof pieces[0]; u++) {
		s->piece = pieces[u];
		req_init(&rq, url);
		rq.body_max = 1000;
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 0);
		CHECK_INT_EQ(g.cut, 0);
		CHECK(g.error != NULL && strstr(g.error, "1000") != NULL);

		rq.body_cut = 1;
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 1);
		CHECK_STR_EQ(g.error, NULL);
		CHECK_INT_EQ(g.status, 200);
		CHECK_INT_EQ(g.cut, 1);
		CHECK_INT_EQ(g.body_bytes, 1000);
		CHECK(g.body != NULL && !memcmp(g.body, body, 1000));

		/* Exactly body_max: whole, cut or not. */
		rq.body_max = 5000;
		rq.body_cut = 0;
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 1);
		CHECK_INT_EQ(g.cut, 0);
		CHECK_INT_EQ(g.body_bytes, 5000);
		CHECK_STR_EQ(g.body, body);
		rq.body_cut = 1;
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 1);
		CHECK_INT_EQ(g.cut, 0);
		CHECK_INT_EQ(g.body_bytes, 5000);
		CHECK_STR_EQ(g.body, body);
	}
	case_end(&s, &f, &g);
}

/* 9: body_max 0: the body counted, not kept. */
static void
t_count_only(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];

	memset(&g, 0, sizeof g);
	case_start("9 body counted only", &s, &f, 4);
	srv_url(s, "/n", url, sizeof url);
	req_init(&rq, url);
	rq.body_max = 0;
	srv_script(s, a_full);
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 200);
	CHECK_INT_EQ(g.body_bytes, 11);
	CHECK_STR_EQ(g.body, NULL);
	CHECK_INT_EQ(g.vxid, 5);
	case_end(&s, &f, &g);
}

/* 10: a server that never answers: the fetch's timeout ends it. */
static void
t_timeout(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];
	double t0, dt;

	memset(&g, 0, sizeof g);
	case_start("10 timeout", &s, &f, 4);
	srv_url(s, "/t", url, sizeof url);
	req_init(&rq, url);
	rq.timeout = 0.3;
	s->silent = 1;
	t0 = VTIM_mono();
	CHECK_INT_EQ(submit(f, &rq, &g), 0);
	CHECK(wait_for(&g.ncalls, 1, 3));
	dt = VTIM_mono() - t0;
	CHECK_INT_EQ(g.ncalls, 1);
	CHECK_INT_EQ(g.in_submit, 0);
	CHECK_INT_EQ(g.ok, 0);
	CHECK(g.error != NULL && strstr(g.error, "timed out") != NULL);
	CHECK(dt >= 0.25 && dt < 2);
	CHECK_INT_EQ(s->requests, 1);
	case_end(&s, &f, &g);
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
	struct fetch_req rq;
	struct fetcher *f;
	struct got g;
	char url[128];

	printf("# 11 connection refused\n");
	memset(&g, 0, sizeof g);
	f = fetcher_new(eb, 4);
	AN(f);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/r", dead_port());
	req_init(&rq, url);
	CHECK_INT_EQ(submit(f, &rq, &g), 0);
	CHECK_INT_EQ(g.ncalls, 0);
	CHECK(wait_for(&g.ncalls, 1, 3));
	CHECK_INT_EQ(g.ncalls, 1);
	CHECK_INT_EQ(g.in_submit, 0);
	CHECK_INT_EQ(g.ok, 0);
	CHECK_INT_EQ(g.status, 0);
	CHECK(g.error != NULL && g.error[0] != '\0');
	/* Nothing kept from a server never reached (kept may be NULL, or
	 * hold nothing). */
	CHECK(!g.has_kept || g.kept_json == NULL);

	/* Not even started: -1, and no call. */
	got_clear(&g);
	rq.url = NULL;
	CHECK_INT_EQ(submit(f, &rq, &g), -1);
	rq.url = url;
	rq.nhdr = FETCH_MAX_HDRS + 1;
	CHECK_INT_EQ(submit(f, &rq, &g), -1);
	CHECK_INT_EQ(fetcher_inflight(f), 0);
	fetcher_free(&f);
	CHECK_INT_EQ(g.ncalls, 0);
	got_clear(&g);
}

/* 12: a kept connection that dies with the next request unanswered: the
 * fetch is tried once more, on a new connection. */
static void
t_kept_dies(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];
	unsigned reset;

	memset(&g, 0, sizeof g);
	for (reset = 0; reset < 2; reset++) {
		case_start(reset ? "12 kept connection reset"
		                 : "12 kept connection closed",
		    &s, &f, 4);
		srv_url(s, "/d", url, sizeof url);
		req_init(&rq, url);
		srv_script(s,
		    "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 2\r\n"
		    "\r\n"
		    "ok");
		s->drop_nth = 2;
		s->drop_reset = reset;
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 1);
		CHECK_INT_EQ(s->accepted, 1);
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 1);
		CHECK_STR_EQ(g.error, NULL);
		CHECK_INT_EQ(g.status, 200);
		CHECK_STR_EQ(g.body, "ok");
		CHECK_INT_EQ(s->accepted, 2);
		CHECK_INT_EQ(s->requests, 3);
		case_end(&s, &f, &g);
	}
}

/* 13: interim answers (1xx) are passed over for the final one. */
static void
t_interim(void)
{
	static const size_t pieces[] = { 0, 25 };
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];
	unsigned u;

	memset(&g, 0, sizeof g);
	case_start("13 1xx", &s, &f, 4);
	srv_url(s, "/i", url, sizeof url);
	req_init(&rq, url);
	srv_script(s,
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
		s->piece = pieces[u];
		s->gap = pieces[u] > 0 ? 0.01 : 0;
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 1);
		CHECK_INT_EQ(g.status, 200);
		CHECK_STR_EQ(g.reason, "OK");
		CHECK_STR_EQ(g.body, "ok");
		CHECK_INT_EQ(g.vxid, 11);
		CHECK_INT_EQ(g.hit, 1);
		CHECK_STR_EQ(g.kept_json,
		    "{\"Content-Length\":\"2\",\"X-Varnish\":\"11 10\"}");
	}
	CHECK_INT_EQ(s->accepted, 1);
	case_end(&s, &f, &g);
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
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128], host[64];

	memset(&g, 0, sizeof g);
	case_start("14 request bytes", &s, &f, 4);
	srv_url(s, "/path?q=1", url, sizeof url);
	req_init(&rq, url);
	rq.host = "example.test";
	rq.nhdr = 2;
	rq.hdr[0] = "Accept-Language: de";
	rq.hdr[1] = "X-A: b";
	srv_script(s, "HTTP/1.1 204 No Content\r\n\r\n");
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 204);
	CHECK_INT_EQ(s->requests, 1);
	/* One request, whole, nothing after it. */
	CHECK_INT_EQ(s->rawlen, s->lastlen);
	CHECK(!strncmp(s->last, "GET /path?q=1 HTTP/1.1\r\n", 24));
	CHECK(s->lastlen >= 4 && !strcmp(s->last + s->lastlen - 4, "\r\n\r\n"));
	CHECK_INT_EQ(req_lines(s->last, "Host: example.test", 0), 1);
	CHECK_INT_EQ(req_lines(s->last, "Host:", 1), 1);
	CHECK_INT_EQ(req_lines(s->last, "Accept-Language: de", 0), 1);
	CHECK_INT_EQ(req_lines(s->last, "X-A: b", 0), 1);
	CHECK_INT_EQ(req_lines(s->last, "User-Agent: stoked/", 1), 1);

	/* Without a host of its own: the URL's, with its port. */
	rq.host = NULL;
	rq.nhdr = 0;
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	snprintf(host, sizeof host, "Host: 127.0.0.1:%u", s->port);
	CHECK(!strncmp(s->last, "GET /path?q=1 HTTP/1.1\r\n", 24));
	CHECK_INT_EQ(req_lines(s->last, host, 0), 1);
	CHECK_INT_EQ(req_lines(s->last, "Host:", 1), 1);
	CHECK_INT_EQ(req_lines(s->last, "User-Agent: stoked/", 1), 1);
	CHECK_INT_EQ(req_lines(s->last, "X-A:", 1), 0);

	/* A User-Agent of the caller's replaces ours. */
	rq.nhdr = 1;
	rq.hdr[0] = "User-Agent: replayed/1";
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(req_lines(s->last, "User-Agent: replayed/1", 0), 1);
	CHECK_INT_EQ(req_lines(s->last, "User-Agent:", 1), 1);
	CHECK_INT_EQ(s->accepted, 1);
	case_end(&s, &f, &g);
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
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];
	unsigned u;

	memset(&g, 0, sizeof g);
	case_start("21 no body, trailers, 101", &s, &f, 4);
	srv_url(s, "/n", url, sizeof url);
	req_init(&rq, url);
	for (u = 0; u < sizeof nobody / sizeof nobody[0]; u++) {
		srv_script(s, nobody[u]);
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 1);
		CHECK_INT_EQ(g.status, u == 0 ? 304 : 204);
		CHECK_INT_EQ(g.body_bytes, 0);
	}
	/* Kept after each, and in step. */
	CHECK_INT_EQ(s->accepted, 1);

	srv_script(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Trailer: X-Varnish\r\n"
	    "\r\n"
	    "2\r\nok\r\n"
	    "0\r\n"
	    "X-Varnish: 5 6\r\n"
	    "\r\n");
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_STR_EQ(g.body, "ok");
	CHECK_INT_EQ(g.vxid, 5);
	CHECK_INT_EQ(g.hit, 1);

	srv_script(s,
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: websocket\r\n"
	    "\r\n");
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.status, 101);
	srv_script(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 200);
	/* Not on the connection that switched. */
	CHECK_INT_EQ(s->accepted, 2);
	case_end(&s, &f, &g);
}

/* 22: URLs and headers as curl sends them: dot segments removed, a
 * header with nothing after its colon left out, "Name;" sent empty. */
static void
t_curl_forms(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];

	memset(&g, 0, sizeof g);
	case_start("22 curl's forms", &s, &f, 4);
	srv_script(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	srv_url(s, "/a/./b/../c?x=/./", url, sizeof url);
	req_init(&rq, url);
	rq.nhdr = 3;
	rq.hdr[0] = "X-Empty:";
	rq.hdr[1] = "X-Semi;";
	rq.hdr[2] = "X-Full: 1";
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK(!strncmp(s->last, "GET /a/c?x=/./ HTTP/1.1\r\n", 25));
	CHECK_INT_EQ(req_lines(s->last, "X-Empty", 1), 0);
	CHECK_INT_EQ(req_lines(s->last, "X-Semi:", 0), 1);
	CHECK_INT_EQ(req_lines(s->last, "X-Full: 1", 0), 1);
	CHECK_INT_EQ(req_lines(s->last, "Accept: */*", 0), 1);
	case_end(&s, &f, &g);
}

/* 15: max_per_host: never more connections than that, all served. */
static void
t_per_host(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g[6];
	char url[128];
	unsigned u, nok = 0;

	memset(g, 0, sizeof g);
	case_start("15 max_per_host", &s, &f, 2);
	srv_url(s, "/p", url, sizeof url);
	req_init(&rq, url);
	srv_script(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n"
	    "\r\n"
	    "ok");
	s->gap = 0.03; /* each answer a little later */
	ndone = 0;
	for (u = 0; u < 6; u++)
		CHECK_INT_EQ(submit(f, &rq, &g[u]), 0);
	CHECK_INT_EQ(fetcher_inflight(f), 6);
	CHECK(wait_for(&ndone, 6, 5));
	for (u = 0; u < 6; u++) {
		CHECK_INT_EQ(g[u].ncalls, 1);
		CHECK_INT_EQ(g[u].in_submit, 0);
		if (g[u].ok && g[u].status == 200 && g[u].body != NULL &&
		    !strcmp(g[u].body, "ok"))
			nok++;
	}
	CHECK_INT_EQ(nok, 6);
	CHECK_INT_EQ(fetcher_inflight(f), 0);
	CHECK_INT_EQ(s->requests, 6);
	CHECK(s->max_open <= 2);
	CHECK(s->max_answering <= 2);
	/* The cap is used: two at once. */
	CHECK_INT_EQ(s->max_open, 2);
	case_end(&s, &f, NULL);
	for (u = 0; u < 6; u++)
		got_clear(&g[u]);
}

/* 16: an error status is an answer all the same. */
static void
t_error_status(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];

	memset(&g, 0, sizeof g);
	case_start("16 503 with a body", &s, &f, 4);
	srv_url(s, "/e", url, sizeof url);
	req_init(&rq, url);
	srv_script(s,
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Length: 4\r\n"
	    "Retry-After: 30\r\n"
	    "\r\n"
	    "down");
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_STR_EQ(g.error, NULL);
	CHECK_INT_EQ(g.status, 503);
	CHECK_STR_EQ(g.reason, "Service Unavailable");
	CHECK_STR_EQ(g.body, "down");
	CHECK_STR_EQ(g.retry_after, "30");
	case_end(&s, &f, &g);
}

/* 17: fetcher_free() ends what is in flight, telling each "stopped". */
static void
t_free_inflight(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g[3];
	char url[128];
	unsigned u;

	memset(g, 0, sizeof g);
	case_start("17 fetcher_free() in flight", &s, &f, 4);
	srv_url(s, "/s", url, sizeof url);
	req_init(&rq, url);
	s->silent = 1;
	ndone = 0;
	for (u = 0; u < 3; u++)
		CHECK_INT_EQ(submit(f, &rq, &g[u]), 0);
	CHECK(wait_for(&s->requests, 3, 5));
	CHECK_INT_EQ(ndone, 0);
	fetcher_free(&f);
	/* Told before it returns: nothing of the fetcher is left after. */
	CHECK_INT_EQ(ndone, 3);
	for (u = 0; u < 3; u++) {
		CHECK_INT_EQ(g[u].ncalls, 1);
		CHECK_INT_EQ(g[u].ok, 0);
		CHECK_STR_EQ(g[u].error, "stopped");
		got_clear(&g[u]);
	}
	srv_free(&s);
}

/* 18: a new connection closed or reset with the request unanswered, or
 * a body shorter than its length: failures. */
static void
t_broken(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128];
	unsigned reset;

	memset(&g, 0, sizeof g);
	for (reset = 0; reset < 2; reset++) {
		case_start(reset ? "18 reset unanswered"
		                 : "18 closed unanswered",
		    &s, &f, 4);
		srv_url(s, "/x", url, sizeof url);
		req_init(&rq, url);
		s->drop_nth = 1;
		s->drop_reset = reset;
		fetch_one(f, &rq, &g);
		CHECK_INT_EQ(g.ok, 0);
		CHECK_INT_EQ(g.status, 0);
		CHECK(g.error != NULL && g.error[0] != '\0');
		case_end(&s, &f, &g);
	}

	case_start("18 body cut short", &s, &f, 4);
	srv_url(s, "/x", url, sizeof url);
	req_init(&rq, url);
	srv_script(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 100\r\n"
	    "\r\n"
	    "only ten b");
	s->close_after = 1;
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 0);
	CHECK(g.error != NULL && g.error[0] != '\0');
	case_end(&s, &f, &g);

	case_start("18 chunks cut short", &s, &f, 4);
	srv_url(s, "/x", url, sizeof url);
	req_init(&rq, url);
	srv_script(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n"
	    "5\r\nhello\r\n");
	s->close_after = 1;
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 0);
	CHECK(g.error != NULL && g.error[0] != '\0');
	case_end(&s, &f, &g);
}

/* 19: a done callback may submit the next fetch. */
static struct fetcher *chain_f;
static struct fetch_req chain_rq;
static struct got chain_g[3];
static unsigned chain_n;

static void
on_chain(void *priv, const struct fetch_result *res)
{
	on_done(priv, res);
	if (chain_n < 3) {
		submitting = 1;
		CHECK_INT_EQ(fetcher_submit(chain_f, &chain_rq, on_chain,
		                 &chain_g[chain_n++]),
		    0);
		submitting = 0;
	}
}

static void
t_chain(void)
{
	struct srv *s;
	char url[128];
	unsigned u;

	memset(chain_g, 0, sizeof chain_g);
	case_start("19 submitted from a done callback", &s, &chain_f, 4);
	srv_url(s, "/n", url, sizeof url);
	req_init(&chain_rq, url);
	srv_script(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\n"
	    "\r\n"
	    "ok");
	ndone = 0;
	chain_n = 1;
	submitting = 1;
	CHECK_INT_EQ(fetcher_submit(chain_f, &chain_rq, on_chain, &chain_g[0]),
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
	CHECK_INT_EQ(s->requests, 3);
	CHECK_INT_EQ(s->accepted, 1);
	case_end(&s, &chain_f, NULL);
}

/* 20: an IPv6 literal: connected to, and named so in Host. */
static void
t_ipv6(void)
{
	struct fetch_req rq;
	struct fetcher *f;
	struct srv *s;
	struct got g;
	char url[128], host[64];

	printf("# 20 IPv6 literal\n");
	s = srv_new_family(AF_INET6);
	if (s == NULL) {
		printf("# no IPv6 loopback here: skipped\n");
		return;
	}
	memset(&g, 0, sizeof g);
	f = fetcher_new(eb, 4);
	AN(f);
	snprintf(url, sizeof url, "http://[::1]:%u/six", s->port);
	req_init(&rq, url);
	srv_script(s,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 3\r\n"
	    "\r\n"
	    "six");
	fetch_one(f, &rq, &g);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_STR_EQ(g.body, "six");
	snprintf(host, sizeof host, "Host: [::1]:%u", s->port);
	CHECK(!strncmp(s->last, "GET /six HTTP/1.1\r\n", 19));
	CHECK_INT_EQ(req_lines(s->last, host, 0), 1);
	case_end(&s, &f, &g);
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
