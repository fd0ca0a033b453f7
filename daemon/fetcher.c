/*
 * libcurl's multi socket interface on libevent, the way curl's own
 * hiperfifo example wires it: curl says which sockets to watch and when
 * to time out, libevent tells curl when they are ready.  Nothing here
 * blocks, and completions are delivered from the event loop, never from
 * inside a curl callback, so a done callback may submit new fetches.
 */

#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "fetcher.h"

struct fetcher {
	unsigned magic;
#define FETCHER_MAGIC 0x5fe7c4a1
	struct event_base *eb;
	CURLM *multi;
	struct event *timer;
	int running;
	unsigned inflight;
	struct fetch *first; /* in flight, for aborting at the end */
};

struct fetch {
	unsigned magic;
#define FETCH_MAGIC 0x5fe7c4a2
	struct fetcher *f;
	struct fetch *next, *prev;
	CURL *easy;
	struct curl_slist *hdrs;
	fetch_done_f *done;
	void *priv;
	uint64_t body;
	char errbuf[CURL_ERROR_SIZE];
	char xvarnish[64];
	char warm_id[96];
	char retry_after[64];
};

struct sock {
	struct event *ev;
};

#define CHECK_F(f) assert((f) != NULL && (f)->magic == FETCHER_MAGIC)

static void
fetch_free(struct fetch *fe)
{
	curl_slist_free_all(fe->hdrs);
	curl_easy_cleanup(fe->easy);
	fe->magic = 0;
	free(fe);
}

static void
unlink_fetch(struct fetcher *f, struct fetch *fe)
{
	assert(f->inflight > 0);
	f->inflight--;
	if (fe->prev != NULL)
		fe->prev->next = fe->next;
	else
		f->first = fe->next;
	if (fe->next != NULL)
		fe->next->prev = fe->prev;
}

static void
finish(struct fetcher *f, CURL *easy, CURLcode rc)
{
	struct fetch_result res;
	struct fetch *fe;
	char *p;

	assert(curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p) == CURLE_OK);
	fe = (struct fetch *)(void *)p;
	assert(fe != NULL && fe->magic == FETCH_MAGIC);
	memset(&res, 0, sizeof res);
	res.ok = (rc == CURLE_OK);
	if (!res.ok)
		res.error =
		    fe->errbuf[0] != '\0' ? fe->errbuf : curl_easy_strerror(rc);
	(void)curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &res.status);
	(void)curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &res.time);
	(void)curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME, &res.ttfb);
	res.body_bytes = fe->body;
	/* "X-Varnish: 32770 8" names the request and the object's fetch. */
	res.hit = (strchr(fe->xvarnish, ' ') != NULL);
	res.warm_id = fe->warm_id[0] != '\0' ? fe->warm_id : NULL;
	res.retry_after = fe->retry_after[0] != '\0' ? fe->retry_after : NULL;
	(void)curl_multi_remove_handle(f->multi, easy);
	unlink_fetch(f, fe);
	fe->done(fe->priv, &res);
	fetch_free(fe);
}

static void
harvest(struct fetcher *f)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			finish(f, msg->easy_handle, msg->data.result);
}

static void
on_socket(evutil_socket_t fd, short kind, void *priv)
{
	struct fetcher *f = priv;
	int action;

	CHECK_F(f);
	action = ((kind & EV_READ) ? CURL_CSELECT_IN : 0) |
	    ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	(void)curl_multi_socket_action(f->multi, fd, action, &f->running);
	harvest(f);
	if (f->running <= 0)
		(void)evtimer_del(f->timer);
}

static void
on_timeout(evutil_socket_t fd, short kind, void *priv)
{
	struct fetcher *f = priv;

	(void)fd;
	(void)kind;
	CHECK_F(f);
	(void)curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0,
	    &f->running);
	harvest(f);
}

/* curl: watch this socket so (or no more). */
static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct fetcher *f = userp;
	struct sock *sk = sockp;
	short kind;

	(void)easy;
	CHECK_F(f);
	if (what == CURL_POLL_REMOVE) {
		if (sk != NULL) {
			event_free(sk->ev);
			free(sk);
		}
		(void)curl_multi_assign(f->multi, s, NULL);
		return (0);
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (sk == NULL) {
		sk = calloc(1, sizeof *sk);
		assert(sk != NULL);
		(void)curl_multi_assign(f->multi, s, sk);
	} else {
		event_free(sk->ev);
	}
	sk->ev = event_new(f->eb, s, kind, on_socket, f);
	assert(sk->ev != NULL);
	assert(event_add(sk->ev, NULL) == 0);
	return (0);
}

/* curl: call me back in this many ms (or never). */
static int
timer_cb(CURLM *multi, long ms, void *userp)
{
	struct fetcher *f = userp;
	struct timeval tv;

	(void)multi;
	CHECK_F(f);
	if (ms < 0) {
		(void)evtimer_del(f->timer);
		return (0);
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	assert(evtimer_add(f->timer, &tv) == 0);
	return (0);
}

static size_t
on_body(char *p, size_t size, size_t n, void *priv)
{
	struct fetch *fe = priv;

	(void)p;
	fe->body += size * n;
	return (size * n);
}

static void
hdr_copy(char *dst, size_t dstlen, const char *v, size_t len)
{
	while (len > 0 &&
	    (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	while (len > 0 && *v == ' ') {
		v++;
		len--;
	}
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *priv)
{
	struct fetch *fe = priv;
	size_t len = size * n;

#define HDR(name, field)                                                       \
	if (len > sizeof name && !strncasecmp(p, name ":", sizeof name))       \
		hdr_copy(fe->field, sizeof fe->field, p + sizeof name,         \
		    len - sizeof name);
	HDR("X-Varnish", xvarnish)
	HDR("Stoke-Warm-Id", warm_id)
	HDR("Retry-After", retry_after)
#undef HDR
	return (len);
}

int
fetcher_submit(struct fetcher *f, const struct fetch_req *rq,
    fetch_done_f *done, void *priv)
{
	struct curl_slist *l;
	struct fetch *fe;
	char host[512];
	unsigned i;

	CHECK_F(f);
	assert(rq != NULL && done != NULL);
	if (rq->url == NULL || rq->nhdr > FETCH_MAX_HDRS)
		return (-1);
	fe = calloc(1, sizeof *fe);
	assert(fe != NULL);
	fe->magic = FETCH_MAGIC;
	fe->f = f;
	fe->done = done;
	fe->priv = priv;
	fe->easy = curl_easy_init();
	assert(fe->easy != NULL);
	if (rq->host != NULL) {
		if ((size_t)snprintf(host, sizeof host, "Host: %s", rq->host) >=
		    sizeof host) {
			fetch_free(fe);
			return (-1);
		}
		l = curl_slist_append(fe->hdrs, host);
		assert(l != NULL);
		fe->hdrs = l;
	}
	for (i = 0; i < rq->nhdr; i++) {
		l = curl_slist_append(fe->hdrs, rq->hdr[i]);
		assert(l != NULL);
		fe->hdrs = l;
	}
	if (curl_easy_setopt(fe->easy, CURLOPT_URL, rq->url) != CURLE_OK) {
		fetch_free(fe);
		return (-1);
	}
	/* Straight to the node, whatever proxy the environment names. */
	curl_easy_setopt(fe->easy, CURLOPT_PROXY, "");
	curl_easy_setopt(fe->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(fe->easy, CURLOPT_HTTPHEADER, fe->hdrs);
	curl_easy_setopt(fe->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(fe->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(fe->easy, CURLOPT_ERRORBUFFER, fe->errbuf);
	curl_easy_setopt(fe->easy, CURLOPT_PRIVATE, (char *)(void *)fe);
	curl_easy_setopt(fe->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(fe->easy, CURLOPT_WRITEDATA, fe);
	curl_easy_setopt(fe->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(fe->easy, CURLOPT_HEADERDATA, fe);
	curl_easy_setopt(fe->easy, CURLOPT_USERAGENT,
	    "stoked/" PACKAGE_VERSION);
	curl_easy_setopt(fe->easy, CURLOPT_TIMEOUT_MS,
	    (long)((rq->timeout > 0 ? rq->timeout : 30.0) * 1000));
	if (rq->method != NULL && !strcmp(rq->method, "HEAD"))
		curl_easy_setopt(fe->easy, CURLOPT_NOBODY, 1L);
	if (curl_multi_add_handle(f->multi, fe->easy) != CURLM_OK) {
		fetch_free(fe);
		return (-1);
	}
	f->inflight++;
	fe->next = f->first;
	if (f->first != NULL)
		f->first->prev = fe;
	f->first = fe;
	return (0);
}

struct fetcher *
fetcher_new(struct event_base *eb, unsigned max_per_host)
{
	struct fetcher *f;

	assert(eb != NULL);
	f = calloc(1, sizeof *f);
	assert(f != NULL);
	f->magic = FETCHER_MAGIC;
	f->eb = eb;
	f->multi = curl_multi_init();
	assert(f->multi != NULL);
	f->timer = evtimer_new(eb, on_timeout, f);
	assert(f->timer != NULL);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	/* The ceiling per origin node; the rest wait in curl's queue. */
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)(max_per_host > 0 ? max_per_host : 8));
	return (f);
}

void
fetcher_free(struct fetcher **fp)
{
	struct fetcher *f;

	assert(fp != NULL);
	f = *fp;
	*fp = NULL;
	if (f == NULL)
		return;
	CHECK_F(f);
	/* What is still in flight ends here, and its owner is told so. */
	while (f->first != NULL) {
		struct fetch_result res;
		struct fetch *fe = f->first;

		memset(&res, 0, sizeof res);
		res.error = "stopped";
		(void)curl_multi_remove_handle(f->multi, fe->easy);
		unlink_fetch(f, fe);
		fe->done(fe->priv, &res);
		fetch_free(fe);
	}
	curl_multi_cleanup(f->multi);
	event_free(f->timer);
	f->magic = 0;
	free(f);
}

unsigned
fetcher_inflight(const struct fetcher *f)
{
	CHECK_F(f);
	return (f->inflight);
}
