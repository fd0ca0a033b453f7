/*
 * A kept connection's socket stays watched between requests (fetcher.c,
 * struct sock): a connection the server closed while idle must give way
 * to a new one, even on the same descriptor number, and a kept one must
 * be watched again when curl sends on it.  A small HTTP server on the
 * same event loop answers; it closes after answering when told to.
 */

#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "vtim.h"

#include "core/loop.h"
#include "fetch/fetcher.h"
#include "unit.h"

static const char answer[] = "HTTP/1.1 200 OK\r\n"
                             "Content-Length: 2\r\n"
                             "\r\n"
                             "ok";

struct srv {
	struct event_base *eb;
	int lfd;
	unsigned accepted;
	unsigned close_after; /* close each connection once it answered */
};

struct got {
	unsigned done;
	int ok;
	long status;
	char error[256];
};

static void
srv_read(evutil_socket_t fd, short what, void *priv)
{
	struct event *ev = NULL;
	struct srv *s;
	char buf[4096];
	ssize_t n;

	(void)what;
	s = priv;
	ev = event_base_get_running_event(s->eb);
	n = read(fd, buf, sizeof buf);
	if (n > 0) {
		/* A request is one small read here. */
		assert(write(fd, answer, sizeof answer - 1) ==
		    (ssize_t)(sizeof answer - 1));
		if (!s->close_after)
			return;
	}
	event_free(ev);
	AZ(close(fd));
}

static void
srv_accept(evutil_socket_t fd, short what, void *priv)
{
	struct event *ev;
	struct srv *s;
	int c;

	(void)what;
	s = priv;
	c = accept(fd, NULL, NULL);
	if (c < 0)
		return;
	s->accepted++;
	ev = event_new(s->eb, c, EV_READ | EV_PERSIST, srv_read, s);
	AN(ev);
	AZ(event_add(ev, NULL));
}

static void
on_done(void *priv, const struct fetch_result *res)
{
	struct got *g = priv;

	g->done = 1;
	g->ok = res->ok;
	g->status = res->status;
	snprintf(g->error, sizeof g->error, "%s",
	    res->error != NULL ? res->error : "");
}

/* One fetch, the loop run until it is done (or 5 s went by). */
static void
fetch_once(struct event_base *eb, struct fetcher *f, const char *url,
    struct got *g)
{
	struct fetch_req rq;
	double deadline = VTIM_real() + 5;

	memset(g, 0, sizeof *g);
	memset(&rq, 0, sizeof rq);
	rq.url = url;
	rq.timeout = 5;
	rq.no_kept = 1;
	AZ(fetcher_submit(f, &rq, on_done, g));
	while (!g->done && VTIM_real() < deadline)
		AZ(event_base_loop(eb, EVLOOP_ONCE));
}

int
main(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	struct event *lev;
	struct fetcher *f;
	struct srv s;
	struct got g;
	char url[64];

	memset(&s, 0, sizeof s);
	s.eb = loop_new();
	AN(s.eb);
	s.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert(s.lfd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	AZ(bind(s.lfd, (struct sockaddr *)&sin, sizeof sin));
	AZ(listen(s.lfd, 8));
	AZ(getsockname(s.lfd, (struct sockaddr *)&sin, &sl));
	snprintf(url, sizeof url, "http://127.0.0.1:%u/x",
	    (unsigned)ntohs(sin.sin_port));
	lev = event_new(s.eb, s.lfd, EV_READ | EV_PERSIST, srv_accept, &s);
	AN(lev);
	AZ(event_add(lev, NULL));
	f = fetcher_new(s.eb, 4);
	AN(f);

	/* Answered, then closed by the server while idle. */
	s.close_after = 1;
	fetch_once(s.eb, f, url, &g);
	CHECK_INT_EQ(g.done, 1);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 200);
	/* The idle socket reads the close now. */
	AZ(event_base_loop(s.eb, EVLOOP_NONBLOCK));

	/* A new connection, kept this time. */
	s.close_after = 0;
	fetch_once(s.eb, f, url, &g);
	CHECK_INT_EQ(g.done, 1);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_STR_EQ(g.error, "");
	CHECK_INT_EQ(g.status, 200);
	CHECK_INT_EQ(s.accepted, 2);

	/* The kept one again, and again: watched each time. */
	fetch_once(s.eb, f, url, &g);
	CHECK_INT_EQ(g.done, 1);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 200);
	fetch_once(s.eb, f, url, &g);
	CHECK_INT_EQ(g.done, 1);
	CHECK_INT_EQ(g.status, 200);
	CHECK_INT_EQ(s.accepted, 2);

	/* Closed while idle once more: the next fetch connects anew. */
	s.close_after = 1;
	fetch_once(s.eb, f, url, &g);
	CHECK_INT_EQ(g.status, 200);
	AZ(event_base_loop(s.eb, EVLOOP_NONBLOCK));
	fetch_once(s.eb, f, url, &g);
	CHECK_INT_EQ(g.done, 1);
	CHECK_INT_EQ(g.ok, 1);
	CHECK_INT_EQ(g.status, 200);
	CHECK_INT_EQ(s.accepted, 3);

	/* Frees what it still watches (the sanitizer's leak check). */
	fetcher_free(&f);
	event_free(lev);
	AZ(close(s.lfd));
	event_base_free(s.eb);
	return (unit_done());
}
