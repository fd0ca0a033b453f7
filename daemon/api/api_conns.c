/*
 * The API server's connections (api_conns.h): counted, watched, and
 * refused past the limit.
 *
 * A connection is counted in when evhttp asks for its bufferevent and
 * out in its close callback, which evhttp calls once, whether the
 * connection is reset or freed, before its socket is closed: so a
 * socket's number, which indexes the connections here, is free again
 * by the time accept() may hand it out anew.
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "core/log.h"
#include "api_conns.h"

/* A connection evhttp holds. */
struct api_conn {
	unsigned magic;
#define API_CONN_MAGIC 0xc0aa0001
	struct api_conns *conns;
	struct evhttp_connection *evcon;
	int fd;
	api_conn_gone_f *gone;
	void *gone_priv;
};

/* One of evhttp's listening sockets, and ours on the same socket. */
struct api_listener {
	unsigned magic;
#define API_LISTENER_MAGIC 0xc0aa0002
	struct api_conns *conns;
	struct evconnlistener *http; /* evhttp's: accepts for it */
	struct evconnlistener *refuse; /* ours: at the limit */
	struct event *pause;
	unsigned paused;
	unsigned limited;
	VTAILQ_ENTRY(api_listener) list;
};

#define API_CONNS_LISTENERS 4

struct api_conns {
	unsigned magic;
#define API_CONNS_MAGIC 0xc0aa0000
	struct event_base *eb;
	unsigned n; /* open now, adopted or not */
	unsigned max;
	unsigned full; /* at max: ours accept, to refuse */
	unsigned stopping;
	uint64_t refused;
	double warned; /* the last EMFILE said, VTIM_mono */
	/* Connections by socket: nfd slots. */
	struct api_conn **byfd;
	unsigned nfd;
	/* Bufferevents evhttp took and has not been adopted yet, each
	 * with a reference of ours. */
	struct bufferevent **fresh;
	unsigned nfresh, lfresh;
	struct event *adopt;
	struct api_listener *l[API_CONNS_LISTENERS];
	unsigned nl;
};

/*
 * Every listener of the process, for libevent's error callback: it
 * is handed evhttp's pointer, not ours.  Touched from the loop only.
 */
static VTAILQ_HEAD(, api_listener) api_listeners = VTAILQ_HEAD_INITIALIZER(
    api_listeners);

/*--------------------------------------------------------------------
 * Which listener accepts
 */

static void
conns_arm(struct api_listener *l)
{
	CHECK_OBJ_NOTNULL(l, API_LISTENER_MAGIC);
	if (l->paused || l->conns->stopping) {
		AZ(evconnlistener_disable(l->http));
		AZ(evconnlistener_disable(l->refuse));
	} else if (l->conns->full && l->limited) {
		AZ(evconnlistener_disable(l->http));
		AZ(evconnlistener_enable(l->refuse));
	} else {
		AZ(evconnlistener_disable(l->refuse));
		AZ(evconnlistener_enable(l->http));
	}
}

static void
conns_check_full(struct api_conns *c)
{
	unsigned full, u;

	full = c->n >= c->max;
	if (full == c->full)
		return;
	c->full = full;
	for (u = 0; u < c->nl; u++)
		conns_arm(c->l[u]);
}

/*--------------------------------------------------------------------
 * Refused: a newcomer past the limit
 */

#define API_CONNS_BUSY_BODY                                                    \
	"{\"error\":{\"code\":\"too_many_connections\",\"message\":"           \
	"\"the server has as many connections open as it takes; try again "    \
	"shortly\"}}\n"

static const char api_conns_busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                     "Content-Type: application/json\r\n"
                                     "X-Content-Type-Options: nosniff\r\n"
                                     "Retry-After: 1\r\n"
                                     "Connection: close\r\n"
                                     "Content-Length: %zu\r\n"
                                     "\r\n" API_CONNS_BUSY_BODY;

/*
 * Answered and closed at once, never waited for.  What the client sent
 * already is read first: a socket closed on unread data is reset, and
 * the answer with it.
 */
static void
conns_refuse(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *priv)
{
	struct api_listener *l;
	char buf[512];
	int len;

	(void)lev;
	(void)sa;
	(void)salen;
	CAST_OBJ_NOTNULL(l, priv, API_LISTENER_MAGIC);
	l->conns->refused++;
	(void)recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	len = snprintf(buf, sizeof buf, api_conns_busy,
	    sizeof API_CONNS_BUSY_BODY - 1);
	assert(len > 0 && (size_t)len < sizeof buf);
	(void)send(fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)close(fd);
}

/*--------------------------------------------------------------------
 * No descriptor left
 */

static struct api_listener *
conns_listener_of(const struct evconnlistener *lev)
{
	struct api_listener *l;

	VTAILQ_FOREACH(l, &api_listeners, list)
	if (l->http == lev || l->refuse == lev)
		return (l);
	return (NULL);
}

static void
conns_resume(evutil_socket_t fd, short what, void *priv)
{
	struct api_listener *l;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(l, priv, API_LISTENER_MAGIC);
	l->paused = 0;
	conns_arm(l);
}

static void
conns_accept_error(struct evconnlistener *lev, void *priv)
{
	struct api_listener *l;
	struct timeval tv;
	int err = errno;
	double now;

	(void)priv;
	l = conns_listener_of(lev);
	AN(l);
	now = VTIM_mono();
	if (now - l->conns->warned >= 10) {
		l->conns->warned = now;
		log_warning("api", "cannot accept a connection: %s%s",
		    strerror(err),
		    err == EMFILE || err == ENFILE
		        ? " (see --max-connections and the open-file limit)"
		        : "");
	}
	/* Whatever it is, trying again at once would fail again. */
	l->paused = 1;
	conns_arm(l);
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)(API_CONNS_PAUSE * 1e6);
	AZ(evtimer_add(l->pause, &tv));
}

/*--------------------------------------------------------------------
 * Counted in, adopted, counted out
 */

static void
conns_out(struct api_conns *c)
{
	assert(c->n > 0);
	c->n--;
	if (!c->stopping)
		conns_check_full(c);
}

static void
conns_closed(struct evhttp_connection *evcon, void *priv)
{
	struct api_conn *k;
	struct api_conns *c;

	CAST_OBJ_NOTNULL(k, priv, API_CONN_MAGIC);
	assert(k->evcon == evcon);
	c = k->conns;
	CHECK_OBJ_NOTNULL(c, API_CONNS_MAGIC);
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	assert((unsigned)k->fd < c->nfd && c->byfd[k->fd] == k);
	c->byfd[k->fd] = NULL;
	if (k->gone != NULL && !c->stopping)
		k->gone(k->gone_priv);
	FREE_OBJ(k);
	conns_out(c);
}

static void
conns_slot(struct api_conns *c, int fd)
{
	unsigned n;

	if ((unsigned)fd < c->nfd)
		return;
	n = c->nfd > 0 ? c->nfd : 1024;
	while (n <= (unsigned)fd)
		n *= 2;
	c->byfd = realloc(c->byfd, n * sizeof *c->byfd);
	AN(c->byfd);
	memset(c->byfd + c->nfd, 0, (n - c->nfd) * sizeof *c->byfd);
	c->nfd = n;
}

/*
 * evhttp made its connection on bev, whose callbacks' argument it is;
 * one that failed since has had them cleared.
 */
static void
conns_adopt_one(struct api_conns *c, struct bufferevent *bev)
{
	bufferevent_data_cb readcb;
	struct api_conn *k;
	void *arg;
	int fd;

	bufferevent_getcb(bev, &readcb, NULL, NULL, &arg);
	fd = bufferevent_getfd(bev);
	if (readcb == NULL || arg == NULL || fd < 0) {
		conns_out(c);
		return;
	}
	conns_slot(c, fd);
	/* Counted out already, if evhttp forgot to say (it does not). */
	AZ(c->byfd[fd]);
	ALLOC_OBJ(k, API_CONN_MAGIC);
	AN(k);
	k->conns = c;
	k->evcon = arg;
	k->fd = fd;
	c->byfd[fd] = k;
	evhttp_connection_set_closecb(k->evcon, conns_closed, k);
}

static void
conns_adopt_all(struct api_conns *c)
{
	unsigned u;

	for (u = 0; u < c->nfresh; u++) {
		conns_adopt_one(c, c->fresh[u]);
		(void)bufferevent_decref(c->fresh[u]);
	}
	c->nfresh = 0;
}

static void
conns_adopt(evutil_socket_t fd, short what, void *priv)
{
	struct api_conns *c;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(c, priv, API_CONNS_MAGIC);
	conns_adopt_all(c);
}

/* As evhttp makes its own (it closes the socket itself), but counted
 * and kept until adopted. */
static struct bufferevent *
conns_bev(struct event_base *eb, void *priv)
{
	struct api_conns *c;
	struct bufferevent *bev;

	CAST_OBJ_NOTNULL(c, priv, API_CONNS_MAGIC);
	bev = bufferevent_socket_new(eb, -1, 0);
	AN(bev);
	bufferevent_incref(bev);
	if (c->nfresh == c->lfresh) {
		c->lfresh = c->lfresh > 0 ? c->lfresh * 2 : 64;
		c->fresh = realloc(c->fresh, c->lfresh * sizeof *c->fresh);
		AN(c->fresh);
	}
	c->fresh[c->nfresh++] = bev;
	if (c->nfresh == 1)
		event_active(c->adopt, EV_TIMEOUT, 0);
	c->n++;
	/* The listener's loop sees it disabled and accepts no more. */
	conns_check_full(c);
	return (bev);
}

/*--------------------------------------------------------------------
 * Up and down
 */

unsigned
api_conns_max_default(void)
{
	struct rlimit rl;
	rlim_t n;

	AZ(getrlimit(RLIMIT_NOFILE, &rl));
	n = rl.rlim_cur;
	if (n == RLIM_INFINITY || n > 1000000)
		n = 1000000;
	n = n > API_CONNS_RESERVE + 16 ? n - API_CONNS_RESERVE : 16;
	return ((unsigned)n);
}

unsigned
api_conns_set_max(struct api_conns *c, unsigned max)
{
	unsigned most = api_conns_max_default();

	CHECK_OBJ_NOTNULL(c, API_CONNS_MAGIC);
	if (max > most)
		log_warning("api",
		    "%u connections at most, not %u: the open-file limit "
		    "allows no more (ulimit -n, LimitNOFILE=)",
		    most, max);
	c->max = max == 0 || max > most ? most : max;
	conns_check_full(c);
	return (c->max);
}

struct api_conns *
api_conns_new(struct event_base *eb, struct evhttp *http)
{
	struct api_conns *c;

	AN(eb);
	AN(http);
	ALLOC_OBJ(c, API_CONNS_MAGIC);
	AN(c);
	c->eb = eb;
	c->max = api_conns_max_default();
	c->warned = -1e9;
	c->adopt = event_new(eb, -1, 0, conns_adopt, c);
	AN(c->adopt);
	evhttp_set_bevcb(http, conns_bev, c);
	return (c);
}

void
api_conns_listener(struct api_conns *c, struct evhttp_bound_socket *bs,
    int limited)
{
	struct api_listener *l;

	CHECK_OBJ_NOTNULL(c, API_CONNS_MAGIC);
	AN(bs);
	assert(c->nl < API_CONNS_LISTENERS);
	ALLOC_OBJ(l, API_LISTENER_MAGIC);
	AN(l);
	l->conns = c;
	l->limited = limited;
	l->http = evhttp_bound_socket_get_listener(bs);
	AN(l->http);
	/* Not the socket's owner: evhttp closes it.  No listen(). */
	l->refuse = evconnlistener_new(c->eb, conns_refuse, l,
	    LEV_OPT_DISABLED | LEV_OPT_CLOSE_ON_EXEC, -1,
	    evconnlistener_get_fd(l->http));
	AN(l->refuse);
	evconnlistener_set_error_cb(l->http, conns_accept_error);
	evconnlistener_set_error_cb(l->refuse, conns_accept_error);
	l->pause = evtimer_new(c->eb, conns_resume, l);
	AN(l->pause);
	VTAILQ_INSERT_TAIL(&api_listeners, l, list);
	c->l[c->nl++] = l;
	conns_arm(l);
}

void
api_conns_watch(struct api_conns *c, struct evhttp_connection *evcon,
    api_conn_gone_f *fn, void *priv)
{
	struct api_conn *k;
	int fd;

	CHECK_OBJ_NOTNULL(c, API_CONNS_MAGIC);
	AN(evcon);
	AZ(c->stopping);
	/* A request is read after its connection's turn: adopted by now,
	 * unless in the middle of that very turn. */
	conns_adopt_all(c);
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	assert(fd >= 0 && (unsigned)fd < c->nfd);
	k = c->byfd[fd];
	CHECK_OBJ_NOTNULL(k, API_CONN_MAGIC);
	assert(k->evcon == evcon);
	assert(fn == NULL || k->gone == NULL);
	k->gone = fn;
	k->gone_priv = priv;
}

void
api_conns_stop(struct api_conns *c)
{
	unsigned u;

	CHECK_OBJ_NOTNULL(c, API_CONNS_MAGIC);
	c->stopping = 1;
	/* Before evhttp closes the sockets they listen on. */
	for (u = 0; u < c->nl; u++) {
		VTAILQ_REMOVE(&api_listeners, c->l[u], list);
		evconnlistener_free(c->l[u]->refuse);
		event_free(c->l[u]->pause);
		FREE_OBJ(c->l[u]);
	}
	c->nl = 0;
}

void
api_conns_free(struct api_conns **cp)
{
	struct api_conns *c;

	TAKE_OBJ_NOTNULL(c, cp, API_CONNS_MAGIC);
	AN(c->stopping);
	/* evhttp freed its connections: each was counted out. */
	conns_adopt_all(c);
	AZ(c->n);
	event_free(c->adopt);
	free(c->fresh);
	free(c->byfd);
	FREE_OBJ(c);
}

void
api_conns_metrics(const struct api_conns *c, struct metrics *m)
{
	CHECK_OBJ_NOTNULL(c, API_CONNS_MAGIC);
	metrics_u64(m, M_API_CONNECTIONS, c->n, NULL);
	metrics_u64(m, M_API_CONNECTIONS_REFUSED, c->refused, NULL);
}
