/*
 * libcurl's multi socket interface on libevent, the way curl's own
 * hiperfifo example wires it: curl says which sockets to watch and when
 * to time out, libevent tells curl when they are ready.  Nothing here
 * blocks, and completions are delivered from the event loop, never from
 * inside a curl callback, so a done callback may submit new fetches.
 */

#include "config.h"

#include <sys/socket.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "core/str.h"
#include "addr_policy.h"
#include "fetch_kept.h"
#include "fetcher.h"
#include "h1_pool.h"
#include "origin_guard.h"

struct fetch_spare {
	CURL *easy;
	unsigned plain;
};

struct fetcher {
	unsigned magic;
#define FETCHER_MAGIC 0x5fe7c4a1
	struct event_base *eb;
	/* Plain GETs to a node's address (h1_pool.h); curl the rest. */
	struct h1_pool *h1;
	CURLM *multi;
	struct event *timer;
	int running;
	unsigned inflight; /* running and waiting */
	unsigned nwaiting;
	struct origin_guard *guard;
	/* fetcher_check_addresses(): every fetch's, whatever it asks */
	enum fetch_addr addr;
	struct event *retry; /* asks the guard again for waiting fetches */
	VTAILQ_HEAD(, fetch) active; /* in curl's hands */
	VTAILQ_HEAD(, fetch) waiting; /* held back by the guard, in order */
	/* Easy handles done with, for the next fetches: reset, or still
	 * set up as plain fetches want them. */
	struct fetch_spare *spare;
	unsigned nspare, maxspare;
	/* Sockets curl watches or watched, by descriptor. */
	struct sock **socks;
	size_t nsocks;
};

/*
 * Most of a fetch is text a header may fill: it is cleared by its first
 * byte (fetch_alloc()), not 10 kB a request.  Everything before errbuf
 * starts zeroed.
 */
struct fetch {
	unsigned magic;
#define FETCH_MAGIC 0x5fe7c4a2
	struct fetcher *f;
	VTAILQ_ENTRY(fetch) list;
	unsigned is_waiting;
	unsigned latency_later;
	unsigned no_kept;
	double submitted, started;
	double deadline; /* held back past this, it fails */
	double timeout; /* for the exchange, from its start */
	CURL *easy;
	unsigned plain; /* easy was set up by fetch_plain_opts() */
	struct curl_slist *hdrs;
	/* Or, in h1's hands, the request it sends (no easy handle). */
	struct h1_xfer *xfer;
	char *h1req;
	size_t h1reqlen;
	struct h1_target tgt;
	fetch_done_f *done;
	void *priv;
	uint64_t body;
	unsigned set_cookie;
	size_t body_max;
	char *buf; /* the body, with body_max */
	size_t buflen, bufsize;
	unsigned too_big;
	int body_cut;
	enum fetch_addr addr;
	unsigned refused; /* the class of an address refused, or 0 */

	char errbuf[CURL_ERROR_SIZE];
	char origin[256];
	char reason[128];
	char xvarnish[64];
	char warm_id[96];
	char retry_after[64];
	char cache_control[128];
	char age[24];
	char location[4096];
	char content_type[128];
	char cookies[256]; /* the names of those set, space separated */
	struct fetch_kept kept;
};

/* Origins told to wait, remembered in one pass over the waiting fetches. */
#define DRAIN_REFUSED 8
/* Expired fetches failed in one pass; the rest in the next, soon after. */
#define DRAIN_EXPIRED 64

/*
 * A socket curl watches, or watched.  One this fetcher opened stays
 * watched for reading while its connection waits for the next request
 * (parked): curl leaves a kept connection's socket after each answer
 * and asks for it again with the next request, which would otherwise
 * cost two epoll_ctl a request.  It goes when curl closes it.
 */
struct sock {
	unsigned magic;
#define FETCH_SOCK_MAGIC 0x1155edf9
	struct fetcher *f;
	struct event *ev; /* NULL until first watched */
	curl_socket_t fd;
	short kind; /* what ev is added for; 0: not added */
	unsigned ours; /* open_socket() made it: close_socket() ends it */
	unsigned parked; /* curl is not watching it */
};

static void
fetch_free(struct fetch *fe)
{
	struct fetcher *f = fe->f;

	curl_slist_free_all(fe->hdrs);
	free(fe->h1req);
	/*
	 * An easy handle is costly to make: it serves again, as it is for
	 * the next plain fetch, reset otherwise.  Nothing it points to
	 * outlives this fetch.
	 */
	if (fe->easy != NULL && f->nspare < f->maxspare) {
		if (fe->plain)
			curl_easy_setopt(fe->easy, CURLOPT_HTTPHEADER, NULL);
		else
			curl_easy_reset(fe->easy);
		f->spare[f->nspare].easy = fe->easy;
		f->spare[f->nspare].plain = fe->plain;
		f->nspare++;
	} else {
		curl_easy_cleanup(fe->easy);
	}
	free(fe->buf);
	fe->magic = 0;
	free(fe);
}

static struct fetch *
fetch_alloc(void)
{
	struct fetch *fe;

	fe = malloc(sizeof *fe);
	AN(fe);
	memset(fe, 0, offsetof(struct fetch, errbuf));
	fe->magic = FETCH_MAGIC;
	fe->errbuf[0] = fe->origin[0] = fe->reason[0] = '\0';
	fe->xvarnish[0] = fe->warm_id[0] = fe->retry_after[0] = '\0';
	fe->cache_control[0] = fe->age[0] = fe->location[0] = '\0';
	fe->content_type[0] = fe->cookies[0] = '\0';
	fetch_kept_clear(&fe->kept);
	return (fe);
}

static void
unlink_fetch(struct fetcher *f, struct fetch *fe)
{
	assert(f->inflight > 0);
	f->inflight--;
	if (fe->is_waiting) {
		assert(f->nwaiting > 0);
		f->nwaiting--;
		VTAILQ_REMOVE(&f->waiting, fe, list);
	} else {
		VTAILQ_REMOVE(&f->active, fe, list);
	}
}

static void drain(struct fetcher *, int);

/* Tell the guard how the origin answered. */
static void
fetcher_report(struct fetcher *f, struct fetch *fe,
    const struct fetch_result *res)
{
	struct og_outcome oc;

	if (f->guard == NULL)
		return;
	memset(&oc, 0, sizeof oc);
	oc.started = fe->started;
	oc.ok = res->ok;
	oc.status = res->status;
	oc.latency = res->ttfb > 0 ? res->ttfb : res->time;
	oc.retry_after = og_retry_after(res->retry_after, VTIM_real());
	oc.cached = res->hit;
	oc.latency_later = fe->latency_later;
	og_done(f->guard, fe->origin, VTIM_real(), &oc);
}

/*
 * The answer as the caller hears it, whoever fetched it.  stopped: the
 * body callback took less than it was given (too big, or no memory);
 * error: why it failed, when it did and fe->errbuf does not say.
 */
static void
fetch_end(struct fetcher *f, struct fetch *fe, struct fetch_result *res,
    unsigned stopped, const char *error)
{
	/* Cut where the caller wanted it: the answer is what came. */
	res->ok = res->ok || (fe->too_big && fe->body_cut && stopped);
	res->cut = fe->too_big && fe->body_cut;
	if (fe->refused != 0) {
		snprintf(fe->errbuf, sizeof fe->errbuf,
		    "the host resolves to %s: refused",
		    addr_class_name(fe->refused));
		res->ok = 0;
	} else if (fe->too_big && !fe->body_cut) {
		snprintf(fe->errbuf, sizeof fe->errbuf,
		    "answer larger than %zu bytes: refused", fe->body_max);
		res->ok = 0;
	}
	if (!res->ok)
		res->error = fe->errbuf[0] != '\0' ? fe->errbuf : error;
	res->reason = fe->reason;
	res->body_bytes = fe->body_max > 0 ? fe->buflen : fe->body;
	/* "X-Varnish: 32770 8" names the request and the object's fetch. */
	res->hit = (strchr(fe->xvarnish, ' ') != NULL);
	res->vxid = (uint32_t)strtoul(fe->xvarnish, NULL, 10);
	res->warm_id = fe->warm_id[0] != '\0' ? fe->warm_id : NULL;
	res->retry_after = fe->retry_after[0] != '\0' ? fe->retry_after : NULL;
	res->cache_control =
	    fe->cache_control[0] != '\0' ? fe->cache_control : NULL;
	res->set_cookie = fe->set_cookie;
	res->cookies = fe->cookies[0] != '\0' ? fe->cookies : NULL;
	res->age = fe->age[0] != '\0' ? strtol(fe->age, NULL, 10) : -1;
	res->location = fe->location[0] != '\0' ? fe->location : NULL;
	res->content_type =
	    fe->content_type[0] != '\0' ? fe->content_type : NULL;
	res->kept = fe->no_kept || res->status == 0 ? NULL : &fe->kept;
	if (fe->body_max > 0)
		res->body = fe->buf != NULL ? fe->buf : "";
	res->waited = fe->started - fe->submitted;
	res->started = fe->started;
	unlink_fetch(f, fe);
	fetcher_report(f, fe, res);
	/* A freed slot goes to whoever waited for it before new work. */
	drain(f, 0);
	fe->done(fe->priv, res);
	fetch_free(fe);
}

static void
fetcher_finish(struct fetcher *f, CURL *easy, CURLcode rc)
{
	struct fetch_result res;
	struct fetch *fe;
	char *p;

	AZ(curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p));
	CAST_OBJ_NOTNULL(fe, (void *)p, FETCH_MAGIC);
	memset(&res, 0, sizeof res);
	res.ok = (rc == CURLE_OK);
	(void)curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &res.status);
	(void)curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &res.time);
	(void)curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME, &res.ttfb);
	(void)curl_multi_remove_handle(f->multi, easy);
	fetch_end(f, fe, &res, rc == CURLE_WRITE_ERROR, curl_easy_strerror(rc));
}

static void
harvest(struct fetcher *f)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			fetcher_finish(f, msg->easy_handle, msg->data.result);
}

static void sock_watch(struct sock *, short);

static void
on_socket(evutil_socket_t fd, short kind, void *priv)
{
	struct fetcher *f;
	struct sock *sk;
	int action;

	CAST_OBJ_NOTNULL(sk, priv, FETCH_SOCK_MAGIC);
	f = sk->f;
	CHECK_OBJ_NOTNULL(f, FETCHER_MAGIC);
	if (sk->parked) {
		/*
		 * An idle connection spoke: the server closed it, most
		 * likely.  Curl finds out when it looks at it again, or
		 * closes it; until then it is not watched.
		 */
		sock_watch(sk, 0);
		return;
	}
	action = ((kind & EV_READ) ? CURL_CSELECT_IN : 0) |
	    ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	/* sk may be gone after this: curl may have closed the socket. */
	(void)curl_multi_socket_action(f->multi, fd, action, &f->running);
	/*
	 * curl's timer is curl's to clear (timer_cb with -1): a done
	 * callback may just have added a fetch that needs it.
	 */
	harvest(f);
}

static void
on_timeout(evutil_socket_t fd, short kind, void *priv)
{
	struct fetcher *f;

	(void)fd;
	(void)kind;
	CAST_OBJ_NOTNULL(f, priv, FETCHER_MAGIC);
	(void)curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0,
	    &f->running);
	harvest(f);
}

static struct sock *
sock_find(const struct fetcher *f, curl_socket_t s)
{
	if (s < 0 || (size_t)s >= f->nsocks)
		return (NULL);
	return (f->socks[s]);
}

static struct sock *
sock_make(struct fetcher *f, curl_socket_t s, unsigned ours)
{
	struct sock **a;
	struct sock *sk;
	size_t n;

	assert(s >= 0);
	AZ(sock_find(f, s));
	if ((size_t)s >= f->nsocks) {
		n = f->nsocks > 0 ? f->nsocks : 64;
		while (n <= (size_t)s)
			n *= 2;
		a = realloc(f->socks, n * sizeof *a);
		AN(a);
		memset(a + f->nsocks, 0, (n - f->nsocks) * sizeof *a);
		f->socks = a;
		f->nsocks = n;
	}
	ALLOC_OBJ(sk, FETCH_SOCK_MAGIC);
	AN(sk);
	sk->f = f;
	sk->fd = s;
	sk->ours = ours;
	f->socks[s] = sk;
	return (sk);
}

/* Watch for this (EV_READ, EV_WRITE or both), or nothing (0); what is
 * watched already costs nothing. */
static void
sock_watch(struct sock *sk, short kind)
{
	CHECK_OBJ_NOTNULL(sk, FETCH_SOCK_MAGIC);
	if (kind == sk->kind)
		return;
	if (sk->kind != 0)
		AZ(event_del(sk->ev));
	sk->kind = kind;
	if (kind == 0)
		return;
	if (sk->ev == NULL) {
		sk->ev = event_new(sk->f->eb, sk->fd, kind | EV_PERSIST,
		    on_socket, sk);
		AN(sk->ev);
	} else {
		AZ(event_assign(sk->ev, sk->f->eb, sk->fd, kind | EV_PERSIST,
		    on_socket, sk));
	}
	AZ(event_add(sk->ev, NULL));
}

static void
sock_drop(struct sock *sk)
{
	struct fetcher *f;

	CHECK_OBJ_NOTNULL(sk, FETCH_SOCK_MAGIC);
	f = sk->f;
	assert(f->socks[sk->fd] == sk);
	f->socks[sk->fd] = NULL;
	if (sk->ev != NULL)
		event_free(sk->ev);
	FREE_OBJ(sk);
}

/* curl: watch this socket so (or no more). */
static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct fetcher *f;
	struct sock *sk;

	(void)easy;
	(void)sockp;
	CAST_OBJ_NOTNULL(f, userp, FETCHER_MAGIC);
	sk = sock_find(f, s);
	if (what == CURL_POLL_REMOVE) {
		if (sk == NULL)
			return (0);
		if (!sk->ours) {
			/* Closed behind our back (the resolver's): its
			 * number may come back as another socket. */
			sock_drop(sk);
			return (0);
		}
		sk->parked = 1;
		sock_watch(sk, EV_READ);
		return (0);
	}
	if (sk == NULL)
		sk = sock_make(f, s, 0);
	sk->parked = 0;
	sock_watch(sk,
	    ((what & CURL_POLL_IN) ? EV_READ : 0) |
	        ((what & CURL_POLL_OUT) ? EV_WRITE : 0));
	return (0);
}

/* curl: call me back in this many ms (or never). */
static int
timer_cb(CURLM *multi, long ms, void *userp)
{
	struct fetcher *f;
	struct timeval tv;

	(void)multi;
	CAST_OBJ_NOTNULL(f, userp, FETCHER_MAGIC);
	if (ms < 0) {
		(void)evtimer_del(f->timer);
		return (0);
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	AZ(evtimer_add(f->timer, &tv));
	return (0);
}

/* Body bytes: all taken, or fewer to stop the transfer. */
static size_t
fetch_body(struct fetch *fe, const char *p, size_t len)
{
	size_t want;
	char *b;

	fe->body += len;
	if (fe->body_max == 0)
		return (len);
	if (fe->buflen + len > fe->body_max) {
		/* Stops the transfer: curl sees a short write.  What fits
		 * is kept when the caller takes a cut body. */
		fe->too_big = 1;
		if (!fe->body_cut)
			return (0);
		len = fe->body_max - fe->buflen;
	}
	if (fe->buflen + len + 1 > fe->bufsize) {
		want = fe->bufsize > 0 ? fe->bufsize : 16384;
		while (want < fe->buflen + len + 1)
			want *= 2;
		if (want > fe->body_max + 1)
			want = fe->body_max + 1;
		b = realloc(fe->buf, want);
		if (b == NULL)
			return (0);
		fe->buf = b;
		fe->bufsize = want;
	}
	memcpy(fe->buf + fe->buflen, p, len);
	fe->buflen += len;
	fe->buf[fe->buflen] = '\0';
	return (fe->too_big ? 0 : len);
}

static size_t
on_body(char *p, size_t size, size_t n, void *priv)
{
	struct fetch *fe;

	CAST_OBJ_NOTNULL(fe, priv, FETCH_MAGIC);
	return (fetch_body(fe, p, size * n));
}

static void
hdr_copy(char *dst, size_t dstlen, const char *v, size_t len)
{
	while (len > 0 &&
	    (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ' ||
	        v[len - 1] == '\t'))
		len--;
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	if (len >= dstlen)
		len = dstlen - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

/* A Set-Cookie's name, kept beside the others' while they fit. */
static void
fetch_cookie(struct fetch *fe, const char *v, size_t len)
{
	size_t have = strlen(fe->cookies), n;

	while (len > 0 && *v == ' ') {
		v++;
		len--;
	}
	n = fetch_kept_cookie_name(v, len);
	if (n == 0 || have + 1 + n >= sizeof fe->cookies)
		return;
	if (have > 0)
		fe->cookies[have++] = ' ';
	memcpy(fe->cookies + have, v, n);
	fe->cookies[have + n] = '\0';
}

/* "HTTP/1.1 200 Invalidated 3 objects": what follows the code, of the
 * last status line (one after a 100 Continue). */
static void
fetch_reason(struct fetch *fe, const char *p, size_t len)
{
	const char *sp;

	fe->reason[0] = '\0';
	sp = memchr(p, ' ', len);
	/* The space, three digits, a space. */
	if (sp == NULL || (size_t)(sp - p) + 5 > len)
		return;
	sp += 5;
	hdr_copy(fe->reason, sizeof fe->reason, sp, len - (size_t)(sp - p));
}

/* One line of the answer's head, as curl gives it: "Name: value\r\n". */
static void
fetch_header(struct fetch *fe, const char *p, size_t len)
{
	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		/* Another answer's (after a 100 Continue): its own. */
		fetch_reason(fe, p, len);
		fetch_kept_clear(&fe->kept);
		fe->xvarnish[0] = fe->warm_id[0] = fe->retry_after[0] = '\0';
		fe->cache_control[0] = fe->age[0] = fe->location[0] = '\0';
		fe->content_type[0] = fe->cookies[0] = '\0';
		fe->set_cookie = 0;
		return;
	}
	if (!fe->no_kept)
		fetch_kept_line(&fe->kept, p, len);
#define HDR(name, field)                                                       \
	if (len > sizeof name && (p[0] | 0x20) == (name[0] | 0x20) &&          \
	    !strncasecmp(p, name ":", sizeof name))                            \
		hdr_copy(fe->field, sizeof fe->field, p + sizeof name,         \
		    len - sizeof name);
	/* The first letter first: each line is tried against them all. */
	HDR("X-Varnish", xvarnish)
	HDR("Stoke-Warm-Id", warm_id)
	HDR("Retry-After", retry_after)
	HDR("Cache-Control", cache_control)
	HDR("Age", age)
	HDR("Location", location)
	HDR("Content-Type", content_type)
#undef HDR
	if (len > 11 && (p[0] | 0x20) == 's' &&
	    !strncasecmp(p, "Set-Cookie:", 11)) {
		fe->set_cookie = 1;
		fetch_cookie(fe, p + 11, len - 11);
	}
}

static size_t
on_header(char *p, size_t size, size_t n, void *priv)
{
	struct fetch *fe;

	CAST_OBJ_NOTNULL(fe, priv, FETCH_MAGIC);
	fetch_header(fe, p, size * n);
	return (size * n);
}

/*--------------------------------------------------------------------
 * Plain GETs to an address, through h1_pool.h: the same fetch, the
 * same callbacks, without curl.
 */

static void
lean_line(void *priv, const char *p, size_t len)
{
	struct fetch *fe;

	CAST_OBJ_NOTNULL(fe, priv, FETCH_MAGIC);
	fetch_header(fe, p, len);
}

static size_t
lean_body(void *priv, const char *p, size_t len)
{
	struct fetch *fe;

	CAST_OBJ_NOTNULL(fe, priv, FETCH_MAGIC);
	return (fetch_body(fe, p, len));
}

static void
lean_done(void *priv, const struct h1_end *end)
{
	struct fetch_result res;
	struct fetch *fe;

	CAST_OBJ_NOTNULL(fe, priv, FETCH_MAGIC);
	fe->xfer = NULL;
	memset(&res, 0, sizeof res);
	res.ok = end->ok && !end->stopped;
	res.status = end->status;
	res.time = end->time;
	res.ttfb = end->ttfb;
	fetch_end(fe->f, fe, &res, end->stopped,
	    end->stopped ? "Failed writing received data" : end->error);
}

static const struct h1_ops lean_ops = {
	.line = lean_line,
	.body = lean_body,
	.done = lean_done,
};

/* Hand a fetch to h1 or curl; one that waited leaves the waiting list. */
static int
fetcher_start(struct fetcher *f, struct fetch *fe)
{
	fe->started = VTIM_real();
	if (fe->h1req != NULL) {
		fe->xfer = h1_start(f->h1, &fe->tgt, fe->h1req, fe->h1reqlen,
		    fe->timeout, &lean_ops, fe);
		if (fe->xfer == NULL)
			return (-1);
	} else if (curl_multi_add_handle(f->multi, fe->easy) != CURLM_OK) {
		return (-1);
	}
	if (fe->is_waiting) {
		VTAILQ_REMOVE(&f->waiting, fe, list);
		f->nwaiting--;
		fe->is_waiting = 0;
	}
	VTAILQ_INSERT_TAIL(&f->active, fe, list);
	return (0);
}

/* A fetch that never reached curl ends here. */
static void
fail_waiting(struct fetcher *f, struct fetch *fe, const char *why)
{
	struct fetch_result res;

	memset(&res, 0, sizeof res);
	res.error = why;
	unlink_fetch(f, fe);
	fe->done(fe->priv, &res);
	fetch_free(fe);
}

/* Fetches held back past their own timeout: failed, not kept waiting. */
static unsigned
expired(struct fetcher *f, double now, struct fetch **out, unsigned max)
{
	struct fetch *fe, *fe2;
	unsigned n = 0;

	VTAILQ_FOREACH_SAFE(fe, &f->waiting, list, fe2)
	{
		if (n == max)
			break;
		if (fe->deadline > now)
			continue;
		VTAILQ_REMOVE(&f->waiting, fe, list);
		f->nwaiting--;
		fe->is_waiting = 0;
		out[n++] = fe;
	}
	return (n);
}

/*
 * Start what the guard lets go, in submission order per origin, and ask
 * again when the soonest of the rest may go (or reaches its deadline).
 * Only from the timer (expire) do fetches fail here: a caller of
 * fetcher_submit() never hears back before the call returns.
 */
static void
drain(struct fetcher *f, int expire)
{
	struct fetch *fe, *fe2, *gone[DRAIN_EXPIRED];
	struct timeval tv;
	double now, w, soonest = 3600;
	const char *refused[DRAIN_REFUSED];
	unsigned nrefused = 0, ngone = 0, u;

	if (f->guard == NULL || f->nwaiting == 0)
		return;
	now = VTIM_real();
	if (expire)
		ngone = expired(f, now, gone, DRAIN_EXPIRED);
	VTAILQ_FOREACH_SAFE(fe, &f->waiting, list, fe2)
	{
		if (fe->deadline - now < soonest)
			soonest = fe->deadline - now;
		/*
		 * An origin that said wait says the same to its next fetches
		 * at the same moment: ask once a pass, not once a fetch
		 * waiting, which each fetch done would pay for.
		 */
		for (u = 0; u < nrefused; u++)
			if (!strcmp(refused[u], fe->origin))
				break;
		if (u < nrefused)
			continue;
		w = og_admit(f->guard, fe->origin, now);
		if (w > 0) {
			if (w < soonest)
				soonest = w;
			if (nrefused < DRAIN_REFUSED)
				refused[nrefused++] = fe->origin;
			continue;
		}
		if (fetcher_start(f, fe) != 0) {
			/* Out of resources: it waits, and is asked again. */
			og_cancel(f->guard, fe->origin);
			if (soonest > 0.01)
				soonest = 0.01;
		}
	}
	if (f->nwaiting > 0) {
		if (soonest < 0.001)
			soonest = 0.001;
		/* Re-armed every time: the soonest may be sooner now. */
		tv.tv_sec = (long)soonest;
		tv.tv_usec = (long)((soonest - (double)tv.tv_sec) * 1e6);
		AZ(evtimer_add(f->retry, &tv));
	}
	for (u = 0; u < ngone; u++) {
		struct fetch_result res;

		memset(&res, 0, sizeof res);
		res.error = "held back past its timeout: the origin is "
		            "paused or failing";
		res.waited = now - gone[u]->submitted;
		assert(f->inflight > 0);
		f->inflight--;
		gone[u]->done(gone[u]->priv, &res);
		fetch_free(gone[u]);
	}
}

static void
on_retry(evutil_socket_t fd, short kind, void *priv)
{
	struct fetcher *f;

	(void)fd;
	(void)kind;
	CAST_OBJ_NOTNULL(f, priv, FETCHER_MAGIC);
	drain(f, 1);
}

/*
 * Each socket curl opens for a fetch is known as ours, to stay watched
 * between requests (struct sock).  For a tenant's fetch, each address
 * is judged first: what the policy refuses is never connected to (curl
 * then tries the host's next address, if any, and fails when none is
 * left).
 */
static curl_socket_t
open_socket(void *priv, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct fetch *fe;
	struct sock *sk;
	curl_socket_t s;
	unsigned bad;

	CAST_OBJ_NOTNULL(fe, priv, FETCH_MAGIC);
	if (purpose == CURLSOCKTYPE_IPCXN && fe->addr != FETCH_ADDR_ANY) {
		bad = addr_verdict(addr_classify(&a->addr),
		    fe->addr == FETCH_ADDR_PRIVATE_OK);
		if (bad != 0) {
			fe->refused = bad;
			return (CURL_SOCKET_BAD);
		}
	}
	s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (s == CURL_SOCKET_BAD)
		return (s);
	/* Its number was another socket's, closed unseen: forgotten. */
	sk = sock_find(fe->f, s);
	if (sk != NULL)
		sock_drop(sk);
	(void)sock_make(fe->f, s, 1);
	return (s);
}

/* Every socket open_socket() made ends here, whoever closes it. */
static int
close_socket(void *priv, curl_socket_t s)
{
	struct fetcher *f;
	struct sock *sk;

	CAST_OBJ_NOTNULL(f, priv, FETCHER_MAGIC);
	sk = sock_find(f, s);
	if (sk != NULL)
		sock_drop(sk);
	return (close(s));
}

/*
 * A plain fetch (GET, no body, no CA of its own, nothing prepared, any
 * address) leaves its handle as every plain fetch sets it up: the next
 * one sets only what is its own, with no reset and no options again.
 */
static unsigned
fetch_is_plain(const struct fetcher *f, const struct fetch_req *rq)
{
	return (rq->prepare == NULL && rq->body == NULL &&
	    rq->ca_file == NULL &&
	    (rq->method == NULL || !strcmp(rq->method, "GET")) &&
	    f->addr == FETCH_ADDR_ANY && rq->addr == FETCH_ADDR_ANY);
}

#define FETCH_UA "stoked/" PACKAGE_VERSION

/* Options every fetch sets alike. */
static void
fetch_common_opts(struct fetcher *f, CURL *e)
{
	/* Straight to the node, whatever proxy the environment names. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	/* Else curl reads no_proxy from the environment every request. */
	curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, f);
}

/* fe's easy handle: a spare one if any, set up for what fe is. */
static void
fetch_easy(struct fetcher *f, struct fetch *fe, unsigned plain)
{
	struct fetch_spare *sp;

	fe->plain = plain;
	if (f->nspare == 0) {
		fe->easy = curl_easy_init();
		AN(fe->easy);
	} else {
		sp = &f->spare[--f->nspare];
		fe->easy = sp->easy;
		if (plain && sp->plain)
			return;
		if (sp->plain)
			curl_easy_reset(fe->easy);
	}
	fetch_common_opts(f, fe->easy);
	/*
	 * A plain fetch sends it among its headers instead: curl formats
	 * CURLOPT_USERAGENT's line anew every request.  Not the others',
	 * whose headers may be an e-mail's (SMTP).
	 */
	if (!plain)
		curl_easy_setopt(fe->easy, CURLOPT_USERAGENT, FETCH_UA);
}

/* rq brings a header of this name ("Name:"), a variant's replayed. */
static unsigned
fetch_names(const struct fetch_req *rq, const char *name)
{
	size_t len = strlen(name);
	unsigned i;

	for (i = 0; i < rq->nhdr; i++)
		if (!strncasecmp(rq->hdr[i], name, len))
			return (1);
	return (0);
}

/* What curl makes of a caller's header (7.88, Curl_add_custom_headers). */
enum lean_hdr {
	LH_SEND, /* "Name: value", as it is */
	LH_EMPTY, /* "Name;": sent as "Name:" */
	LH_SKIP, /* "Name:" with nothing after, or no ':': not sent */
	LH_CURL, /* control bytes, or a name curl reads itself: curl's */
};

/* A header curl writes itself, named in h's first n bytes. */
static int
lean_own(const char *h, size_t n)
{
	static const char *const own[] = { "Host", "Accept", "User-Agent" };
	unsigned u;

	for (u = 0; u < sizeof own / sizeof own[0]; u++)
		if (n == strlen(own[u]) && !strncasecmp(h, own[u], n))
			return (1);
	return (0);
}

static enum lean_hdr
lean_header(const char *h)
{
	const char *c, *p;

	for (p = h; *p != '\0'; p++)
		if (((unsigned char)*p < ' ' && *p != '\t') ||
		    (unsigned char)*p == 0x7f)
			return (LH_CURL);
	c = strchr(h, ':');
	if (c == NULL) {
		c = strchr(h, ';');
		/* ";" alone curl sends as ":": not ours to copy. */
		if (c == h)
			return (LH_CURL);
		if (c == NULL || c[1] != '\0')
			return (LH_SKIP);
	}
	/* One curl weighs against its own, in the other forms. */
	if (*c == ';')
		return (lean_own(h, (size_t)(c - h)) ? LH_CURL : LH_EMPTY);
	if (c == h)
		return (LH_SKIP);
	for (p = c + 1; *p == ' ' || *p == '\t'; p++)
		continue;
	if (*p != '\0')
		return (LH_SEND);
	return (lean_own(h, (size_t)(c - h)) ? LH_CURL : LH_SKIP);
}

/* a (alen bytes), b, and the line's end, at dst; their length. */
static size_t
lean_put(char *dst, const char *a, size_t alen, const char *b)
{
	size_t lb = strlen(b);

	memcpy(dst, a, alen);
	memcpy(dst + alen, b, lb);
	memcpy(dst + alen + lb, "\r\n", 2);
	return (alen + lb + 2);
}

#define LEAN_PUT(dst, lit, b) lean_put(dst, lit, sizeof lit - 1, b)

/*
 * The request head curl would send for this plain GET, in fe->h1req;
 * -1 when the URL is not an address h1 takes, or a header is one curl
 * reads otherwise.
 */
static int
lean_request(struct fetch *fe, const struct fetch_req *rq)
{
	struct h1_target *t = &fe->tgt;
	enum lean_hdr kind[FETCH_MAX_HDRS];
	const char *host;
	size_t len, u;
	unsigned i, ua, accept;
	char *r;

	if (h1_target_parse(rq->url, t) != 0)
		return (-1);
	host = rq->host != NULL ? rq->host : t->host;
	for (u = 0; host[u] != '\0'; u++)
		if ((unsigned char)host[u] <= ' ' ||
		    (unsigned char)host[u] >= 0x7f)
			return (-1);
	if (u == 0 || fetch_names(rq, "Host:"))
		return (-1);
	len = t->pathlen + u + 64 + sizeof FETCH_UA;
	for (i = 0; i < rq->nhdr; i++) {
		kind[i] = lean_header(rq->hdr[i]);
		if (kind[i] == LH_CURL)
			return (-1);
		len += strlen(rq->hdr[i]) + 2;
	}
	ua = !fetch_names(rq, "User-Agent:");
	accept = !fetch_names(rq, "Accept:");
	r = malloc(len);
	AN(r);
	memcpy(r, "GET ", 4);
	u = 4;
	memcpy(r + u, t->path, t->pathlen);
	u += t->pathlen;
	u += LEAN_PUT(r + u, " HTTP/1.1", "");
	u += LEAN_PUT(r + u, "Host: ", host);
	if (accept)
		u += LEAN_PUT(r + u, "Accept: */*", "");
	for (i = 0; i < rq->nhdr; i++)
		if (kind[i] == LH_SEND)
			u +=
			    lean_put(r + u, rq->hdr[i], strlen(rq->hdr[i]), "");
		else if (kind[i] == LH_EMPTY)
			u += lean_put(r + u, rq->hdr[i], strlen(rq->hdr[i]) - 1,
			    ":");
	if (ua)
		u += LEAN_PUT(r + u, "User-Agent: " FETCH_UA, "");
	memcpy(r + u, "\r\n", 2);
	u += 2;
	assert(u <= len);
	fe->h1req = r;
	fe->h1reqlen = u;
	/* Into the caller's URL, which is not kept. */
	t->path = NULL;
	return (0);
}

/* fe on a curl easy handle; -1 when curl will not take it. */
static int
fetch_curl(struct fetcher *f, struct fetch *fe, const struct fetch_req *rq,
    unsigned plain)
{
	struct curl_slist *l;
	char host[512];
	unsigned i;

	fetch_easy(f, fe, plain);
	if (rq->host != NULL) {
		if (str_join(host, sizeof host, "Host: ", rq->host) != 0)
			return (-1);
		l = curl_slist_append(fe->hdrs, host);
		AN(l);
		fe->hdrs = l;
	}
	for (i = 0; i < rq->nhdr; i++) {
		l = curl_slist_append(fe->hdrs, rq->hdr[i]);
		AN(l);
		fe->hdrs = l;
	}
	if (fe->plain && !fetch_names(rq, "User-Agent:")) {
		l = curl_slist_append(fe->hdrs, "User-Agent: " FETCH_UA);
		AN(l);
		fe->hdrs = l;
	}
	if (curl_easy_setopt(fe->easy, CURLOPT_URL, rq->url) != CURLE_OK)
		return (-1);
	/* This fetch's own, whatever the handle served before. */
	curl_easy_setopt(fe->easy, CURLOPT_HTTPHEADER, fe->hdrs);
	curl_easy_setopt(fe->easy, CURLOPT_ERRORBUFFER, fe->errbuf);
	curl_easy_setopt(fe->easy, CURLOPT_PRIVATE, (char *)(void *)fe);
	curl_easy_setopt(fe->easy, CURLOPT_WRITEDATA, fe);
	curl_easy_setopt(fe->easy, CURLOPT_HEADERDATA, fe);
	curl_easy_setopt(fe->easy, CURLOPT_TIMEOUT_MS,
	    (long)((rq->timeout > 0 ? rq->timeout : 30.0) * 1000));
	if (rq->body != NULL) {
		curl_easy_setopt(fe->easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rq->bodylen);
		if (curl_easy_setopt(fe->easy, CURLOPT_COPYPOSTFIELDS,
		        rq->body) != CURLE_OK)
			return (-1);
	}
	if (rq->ca_file != NULL)
		curl_easy_setopt(fe->easy, CURLOPT_CAINFO, rq->ca_file);
	if (rq->method != NULL && !strcmp(rq->method, "HEAD"))
		curl_easy_setopt(fe->easy, CURLOPT_NOBODY, 1L);
	else if (rq->method != NULL && strcmp(rq->method, "GET"))
		curl_easy_setopt(fe->easy, CURLOPT_CUSTOMREQUEST, rq->method);
	if (rq->prepare != NULL && rq->prepare(rq->prepare_priv, fe->easy) != 0)
		return (-1);
	curl_easy_setopt(fe->easy, CURLOPT_OPENSOCKETDATA, fe);
	return (0);
}

int
fetcher_submit(struct fetcher *f, const struct fetch_req *rq,
    fetch_done_f *done, void *priv)
{
	struct fetch *fe;
	const char *origin;
	unsigned plain;

	CHECK_OBJ_NOTNULL(f, FETCHER_MAGIC);
	AN(rq);
	AN(done);
	if (rq->url == NULL || rq->nhdr > FETCH_MAX_HDRS)
		return (-1);
	fe = fetch_alloc();
	fe->f = f;
	fe->done = done;
	fe->priv = priv;
	fe->body_max = rq->body_max;
	fe->body_cut = rq->body_cut;
	fe->latency_later = rq->latency_later;
	fe->no_kept = rq->no_kept;
	plain = fetch_is_plain(f, rq);
	if ((!plain || lean_request(fe, rq) != 0) &&
	    fetch_curl(f, fe, rq, plain) != 0) {
		fetch_free(fe);
		return (-1);
	}
	fe->addr = f->addr != FETCH_ADDR_ANY ? f->addr : rq->addr;
	origin = rq->origin != NULL ? rq->origin
	    : rq->host != NULL      ? rq->host
	                            : rq->url;
	if (str_join(fe->origin, sizeof fe->origin, "", origin) != 0) {
		fetch_free(fe);
		return (-1);
	}
	fe->submitted = VTIM_real();
	fe->timeout = rq->timeout > 0 ? rq->timeout : 30.0;
	fe->deadline = fe->submitted + fe->timeout;
	if (f->guard != NULL &&
	    (f->nwaiting > 0 ||
	        og_admit(f->guard, fe->origin, fe->submitted) > 0)) {
		/* Behind whoever waits already, in order. */
		fe->is_waiting = 1;
		VTAILQ_INSERT_TAIL(&f->waiting, fe, list);
		f->nwaiting++;
		f->inflight++;
		drain(f, 0);
		return (0);
	}
	if (fetcher_start(f, fe) != 0) {
		if (f->guard != NULL)
			og_cancel(f->guard, fe->origin);
		fetch_free(fe);
		return (-1);
	}
	f->inflight++;
	return (0);
}

struct fetcher *
fetcher_new(struct event_base *eb, unsigned max_per_host)
{
	struct fetcher *f;

	AN(eb);
	f = calloc(1, sizeof *f);
	AN(f);
	f->magic = FETCHER_MAGIC;
	f->eb = eb;
	f->multi = curl_multi_init();
	AN(f->multi);
	f->timer = evtimer_new(eb, on_timeout, f);
	AN(f->timer);
	f->retry = evtimer_new(eb, on_retry, f);
	AN(f->retry);
	VTAILQ_INIT(&f->active);
	VTAILQ_INIT(&f->waiting);
	if (max_per_host == 0)
		max_per_host = 8;
	/*
	 * Each carrier has the cap: a node may see it twice over when one
	 * fetcher sends it plain GETs (h1) and others (curl) at once, which
	 * only a caller's header in a form of curl's own makes happen.
	 */
	f->h1 = h1_pool_new(eb, max_per_host);
	f->maxspare = max_per_host;
	f->spare = calloc(f->maxspare, sizeof *f->spare);
	AN(f->spare);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	/* The ceiling per origin node; the rest wait in curl's queue. */
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)max_per_host);
	/*
	 * Idle connections kept for the next fetches.  curl's default is
	 * four per fetch running, so a guard holding fetches back made it
	 * close connections the next ones had to open again.
	 */
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS,
	    (long)max_per_host * 4);
	return (f);
}

void
fetcher_free(struct fetcher **fp)
{
	struct fetcher *f;
	size_t u;

	AN(fp);
	f = *fp;
	*fp = NULL;
	if (f == NULL)
		return;
	CHECK_OBJ_NOTNULL(f, FETCHER_MAGIC);
	/* What is still in flight ends here, and its owner is told so. */
	while (!VTAILQ_EMPTY(&f->waiting))
		fail_waiting(f, VTAILQ_FIRST(&f->waiting), "stopped");
	while (!VTAILQ_EMPTY(&f->active)) {
		struct fetch_result res;
		struct fetch *fe = VTAILQ_FIRST(&f->active);

		memset(&res, 0, sizeof res);
		res.error = "stopped";
		if (fe->xfer != NULL)
			h1_cancel(fe->xfer);
		else
			(void)curl_multi_remove_handle(f->multi, fe->easy);
		unlink_fetch(f, fe);
		if (f->guard != NULL)
			og_cancel(f->guard, fe->origin);
		fe->done(fe->priv, &res);
		fetch_free(fe);
	}
	AZ(f->inflight);
	while (f->nspare > 0)
		curl_easy_cleanup(f->spare[--f->nspare].easy);
	free(f->spare);
	/* Closes the kept connections, through close_socket(). */
	curl_multi_cleanup(f->multi);
	h1_pool_free(&f->h1);
	for (u = 0; u < f->nsocks; u++)
		if (f->socks[u] != NULL)
			sock_drop(f->socks[u]);
	free(f->socks);
	event_free(f->timer);
	event_free(f->retry);
	f->magic = 0;
	free(f);
}

unsigned
fetcher_inflight(const struct fetcher *f)
{
	CHECK_OBJ_NOTNULL(f, FETCHER_MAGIC);
	return (f->inflight);
}

unsigned
fetcher_waiting(const struct fetcher *f)
{
	CHECK_OBJ_NOTNULL(f, FETCHER_MAGIC);
	return (f->nwaiting);
}

void
fetcher_check_addresses(struct fetcher *f, int allow_private)
{
	CHECK_OBJ_NOTNULL(f, FETCHER_MAGIC);
	AZ(f->inflight);
	f->addr = allow_private ? FETCH_ADDR_PRIVATE_OK : FETCH_ADDR_PUBLIC;
}

void
fetcher_set_guard(struct fetcher *f, struct origin_guard *g)
{
	CHECK_OBJ_NOTNULL(f, FETCHER_MAGIC);
	AZ(f->inflight);
	f->guard = g;
}

struct origin_guard *
fetcher_guard(const struct fetcher *f)
{
	CHECK_OBJ_NOTNULL(f, FETCHER_MAGIC);
	return (f->guard);
}
