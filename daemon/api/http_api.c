/*
 * The HTTP server: evhttp on the event loop, JSON bodies from jansson,
 * requests routed by one table (api_router.c matches), /metrics assembled
 * from every registered module.
 */

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "api_body.h"
#include "api_conns.h"
#include "api_router.h"
#include "api_stats.h"
#include "client_addr.h"
#include "http_api.h"

/*
 * A request routed to a handler.  It waits on the API's list until it
 * is answered; req is NULL once nobody waits (the server went first).
 */
struct api_req {
	unsigned magic;
#define API_REQ_MAGIC 0x7a91c0df
	struct http_api *api;
	struct evhttp_request *req;
	/* What the handler reads, while it runs. */
	struct api_params params;
	char *pval; /* the parameters' values, each ended by a '\0' */
	struct evkeyvalq query;
	json_t *in;
	const struct api_route *route;
	void *route_priv;
	struct api_caller caller;
	char peer[CLIENT_ADDR_LEN];
	double t0; /* when it came (VTIM_mono), for api_stats */
	unsigned running;
	unsigned replied;
	/* An answer in parts (http_api_stream_start): counted when it
	 * starts; gone once the client went (req is then libevent's
	 * request cut from its connection, still ours to free). */
	unsigned streaming;
	unsigned counted;
	unsigned gone;
	api_gone_f *gone_cb;
	void *gone_priv;
	TAILQ_ENTRY(api_req) list;
};

struct api_metric {
	metrics_f *fn;
	void *priv;
};

struct api_table {
	const struct api_route *route;
	unsigned n;
	void *priv;
};

#define API_MAX_TABLES 4
/* Connections waiting to be accepted, at most, as varnishd's
 * listen_depth (net.core.somaxconn may lower it). */
#define API_LISTEN_BACKLOG 1024
/*
 * What libevent reads of a body at most.  Past its limit, libevent 2.1
 * answers with an HTML page of its own, and has no hook before that
 * (2.2's evhttp_set_newreqcb) to answer in the API's shape: so its
 * limit is above the API's, which on_request() holds to, in JSON.
 */
#define API_READ_BODY (4 * API_MAX_WIRE_BODY)

struct http_api {
	unsigned magic;
#define HTTP_API_MAGIC 0x7a91c0de
	struct evhttp *http;
	unsigned port;
	unsigned mport; /* /metrics's own listener; 0: on port */
	struct api_table table[API_MAX_TABLES];
	unsigned ntable;
	api_auth_f *auth;
	void *auth_priv;
	/* GETs of paths no table has, outside /api: a route of its own,
	 * for its handler and its label in api_stats. */
	struct api_route fallback;
	void *fallback_priv;
	const struct client_trust *trust;
	struct api_stats *stats;
	struct api_conns *conns;
	/* What /metrics asks, in the order registered: a growing array. */
	struct api_metric *metric;
	unsigned nmetric, lmetric;
	TAILQ_HEAD(, api_req) pending;
};

/*--------------------------------------------------------------------
 * Answers.
 */

static void
reply_json(struct evhttp_request *req, int status, json_t *body)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	AN(b);
	s = json_dumps(body, JSON_COMPACT);
	AN(s);
	AZ(evbuffer_add(b, s, strlen(s)));
	AZ(evbuffer_add(b, "\n", 1));
	free(s);
	AZ(evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json"));
	evhttp_send_reply(req, status, NULL, b);
	evbuffer_free(b);
}

/* The code an error of this status has when nobody says a better one. */
static const char *
api_status_code(int status)
{
	switch (status) {
	case 400:
		return ("bad_request");
	case 401:
		return ("unauthorized");
	case 403:
		return ("forbidden");
	case 404:
		return ("not_found");
	case 405:
		return ("method_not_allowed");
	case 409:
		return ("conflict");
	case 413:
		return ("too_large");
	case 415:
		return ("unsupported_media_type");
	case 422:
		return ("invalid");
	case 429:
		return ("rate_limited");
	case 503:
		return ("unavailable");
	default:
		return (status >= 500 ? "internal" : "error");
	}
}

/* more: members of the error's own (a plan's limit), or NULL. */
static void
reply_error_with(struct evhttp_request *req, int status, const char *code,
    const char *field, json_t *more, const char *msg)
{
	json_t *e, *j;

	e = json_pack("{s:s,s:s}", "code",
	    code != NULL ? code : api_status_code(status), "message", msg);
	AN(e);
	if (field != NULL)
		AZ(json_object_set_new(e, "field", json_string(field)));
	if (more != NULL)
		AZ(json_object_update_missing(e, more));
	j = json_pack("{s:o}", "error", e);
	AN(j);
	if (status == 401)
		AZ(evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer"));
	reply_json(req, status, j);
	json_decref(j);
}

static void
reply_error(struct evhttp_request *req, int status, const char *code,
    const char *field, const char *msg)
{
	reply_error_with(req, status, code, field, NULL, msg);
}

/*
 * The request is answered, or nobody waits for it any more: off the
 * list, and freed unless its handler still runs (api_run frees it then).
 */
static void
req_end(struct api_req *r, int status)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AZ(r->replied);
	r->replied = 1;
	if (r->req != NULL) {
		CHECK_OBJ_NOTNULL(r->api, HTTP_API_MAGIC);
		assert(status >= 100 && status < 600);
		if (!r->counted)
			api_stats_count(r->api->stats, r->route->path,
			    r->route->method, status, VTIM_mono() - r->t0);
		TAILQ_REMOVE(&r->api->pending, r, list);
		r->req = NULL;
	}
	if (!r->running) {
		evhttp_clear_headers(&r->query);
		free(r->pval);
		json_decref(r->in);
		FREE_OBJ(r);
	}
}

/*
 * libevent keeps a request whose client went away until it is answered
 * (and then frees it), but frees every request with the server: those
 * waiting are let go first (http_api_free).
 */
void
http_api_reply(struct api_req *r, int status, json_t *body, const char *err)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	if (r->req != NULL && body != NULL)
		reply_json(r->req, status, body);
	else if (r->req != NULL)
		reply_error(r->req, status, NULL, NULL,
		    err != NULL ? err : "error");
	json_decref(body);
	req_end(r, status);
}

/* The length of the UTF-8 sequence at s (RFC 3629: shortest form, no
 * surrogates, at most U+10FFFF), or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned c = s[0], n, u, i;

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		n = 1;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3;
	else
		return (0);
	u = c & (0x3f >> n);
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		u = u << 6 | (s[i] & 0x3fu);
	}
	if ((n == 2 && (u < 0x800 || (u >= 0xd800 && u <= 0xdfff))) ||
	    (n == 3 && (u < 0x10000 || u > 0x10ffff)))
		return (0);
	return (n + 1);
}

/*
 * A message may quote what a client sent, a byte of it, or be cut in
 * the middle of a character: JSON takes UTF-8 only, so what is not is
 * shown as '?' rather than the answer failing.
 */
static void
msg_scrub(char *msg)
{
	unsigned char *s = (unsigned char *)msg;
	size_t n;

	while (*s != '\0') {
		n = utf8_len(s);
		if (n == 0) {
			*s++ = '?';
			continue;
		}
		s += n;
	}
}

static void
api_error_v(struct api_req *r, int status, const char *code, const char *field,
    json_t *more, const char *fmt, va_list ap)
{
	char msg[512];

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	assert(status >= 400 && status < 600);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	msg_scrub(msg);
	if (r->req != NULL)
		reply_error_with(r->req, status, code, field, more, msg);
	req_end(r, status);
}

void
http_api_error(struct api_req *r, int status, const char *code,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	api_error_v(r, status, code, field, NULL, fmt, ap);
	va_end(ap);
}

void
http_api_error_with(struct api_req *r, int status, const char *code,
    const char *field, json_t *more, const char *fmt, ...)
{
	va_list ap;

	AN(more);
	va_start(ap, fmt);
	api_error_v(r, status, code, field, more, fmt, ap);
	va_end(ap);
}

void
http_api_reply_text(struct api_req *r, int status, const char *json)
{
	struct evbuffer *b;

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(json);
	if (r->req != NULL) {
		b = evbuffer_new();
		AN(b);
		AZ(evbuffer_add(b, json, strlen(json)));
		AZ(evbuffer_add(b, "\n", 1));
		AZ(evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Content-Type", "application/json"));
		evhttp_send_reply(r->req, status, NULL, b);
		evbuffer_free(b);
	}
	req_end(r, status);
}

void
http_api_reply_body(struct api_req *r, int status, const char *type,
    const char *body, size_t len)
{
	struct evbuffer *b;

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(type);
	AN(body);
	if (r->req != NULL) {
		b = evbuffer_new();
		AN(b);
		AZ(evbuffer_add(b, body, len));
		AZ(evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Content-Type", type));
		evhttp_send_reply(r->req, status, NULL, b);
		evbuffer_free(b);
	}
	req_end(r, status);
}

void
http_api_reply_file(struct api_req *r, int status, const char *type, int fd,
    size_t len)
{
	struct evkeyvalq *h;
	struct evbuffer *b;
	char cl[32];

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(type);
	assert(fd >= 0);
	if (r->req == NULL) {
		AZ(close(fd));
		req_end(r, status);
		return;
	}
	h = evhttp_request_get_output_headers(r->req);
	AZ(evhttp_add_header(h, "Content-Type", type));
	b = evbuffer_new();
	AN(b);
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD || len == 0) {
		/* evhttp says no length when it sends no body. */
		(void)snprintf(cl, sizeof cl, "%zu", len);
		AZ(evhttp_add_header(h, "Content-Length", cl));
		AZ(close(fd));
	} else {
		/* Sent from the file (sendfile), which the buffer closes. */
		AZ(evbuffer_add_file(b, fd, 0, (ev_off_t)len));
	}
	evhttp_send_reply(r->req, status, NULL, b);
	evbuffer_free(b);
	req_end(r, status);
}

void
http_api_reply_empty(struct api_req *r, int status)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	if (r->req != NULL)
		evhttp_send_reply(r->req, status, NULL, NULL);
	req_end(r, status);
}

/*--------------------------------------------------------------------
 * Answers in parts.
 *
 * libevent 2.1 keeps reading a connection that it writes a reply on,
 * only to see it close: then it cuts the request from the connection
 * (the reply is not done), frees the connection, and calls its close
 * callback on the way.  The request is ours from then on: ending it
 * (evhttp_send_reply_end) frees it.
 */

static void
api_stream_closed(void *priv)
{
	struct api_req *r;

	CAST_OBJ_NOTNULL(r, priv, API_REQ_MAGIC);
	AN(r->streaming);
	AZ(r->gone);
	AN(r->req);
	r->gone = 1;
	AN(r->gone_cb);
	r->gone_cb(r->gone_priv);
}

int
http_api_stream_start(struct api_req *r, int status, const char *type,
    api_gone_f *gone, void *priv)
{
	struct evkeyvalq *h;

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(type);
	AN(gone);
	AZ(r->replied);
	AZ(r->streaming);
	assert(status >= 200 && status < 300);
	if (r->req == NULL) {
		/* Nobody waits: a stream of nothing, ended by its owner. */
		r->streaming = 1;
		r->gone_cb = gone;
		r->gone_priv = priv;
		return (0);
	}
	CHECK_OBJ_NOTNULL(r->api, HTTP_API_MAGIC);
	h = evhttp_request_get_output_headers(r->req);
	AZ(evhttp_add_header(h, "Content-Type", type));
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD) {
		evhttp_send_reply(r->req, status, NULL, NULL);
		req_end(r, status);
		return (-1);
	}
	api_stats_count(r->api->stats, r->route->path, r->route->method, status,
	    VTIM_mono() - r->t0);
	r->counted = 1;
	r->streaming = 1;
	r->gone_cb = gone;
	r->gone_priv = priv;
	evhttp_send_reply_start(r->req, status, NULL);
	api_conns_watch(r->api->conns, evhttp_request_get_connection(r->req),
	    api_stream_closed, r);
	return (0);
}

void
http_api_stream_timeout(struct api_req *r, double seconds)
{
	struct bufferevent *bev;
	struct timeval tv;

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(r->streaming);
	assert(seconds >= 0);
	if (r->req == NULL || r->gone)
		return;
	bev = evhttp_connection_get_bufferevent(
	    evhttp_request_get_connection(r->req));
	AN(bev);
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	/* Reading has no deadline: a stream's client sends nothing. */
	AZ(bufferevent_set_timeouts(bev, NULL, seconds > 0 ? &tv : NULL));
}

void
http_api_stream_write(struct api_req *r, const char *buf, size_t len)
{
	struct evbuffer *b;

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(r->streaming);
	AZ(r->replied);
	AN(buf);
	if (r->req == NULL || r->gone || len == 0)
		return;
	b = evbuffer_new();
	AN(b);
	AZ(evbuffer_add(b, buf, len));
	evhttp_send_reply_chunk(r->req, b);
	evbuffer_free(b);
}

void
http_api_stream_end(struct api_req *r)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(r->streaming);
	if (r->req != NULL) {
		if (!r->gone)
			api_conns_watch(r->api->conns,
			    evhttp_request_get_connection(r->req), NULL, NULL);
		/* Also frees a request cut from its connection. */
		evhttp_send_reply_end(r->req);
	}
	req_end(r, 200);
}

void
http_api_metrics_get(struct api_req *r, void *priv)
{
	struct http_api *api;
	struct evbuffer *b = evbuffer_new();
	struct metrics *m;
	unsigned i;

	(void)priv;
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	api = r->api;
	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	AN(r->req);
	AN(b);
	m = metrics_new();
	for (i = 0; i < api->nmetric; i++)
		api->metric[i].fn(api->metric[i].priv, m);
	/* This request is not counted yet: it is being answered. */
	api_stats_metrics(api->stats, m);
	api_conns_metrics(api->conns, m);
	metrics_print(m, b);
	AZ(evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Content-Type", "text/plain; version=0.0.4"));
	evhttp_send_reply(r->req, 200, NULL, b);
	evbuffer_free(b);
	metrics_free(&m);
	req_end(r, 200);
}

/*--------------------------------------------------------------------
 * What a handler reads.
 */

const char *
api_param(const struct api_req *r, const char *name)
{
	const char *v;
	unsigned i;

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(name);
	assert(r->running);
	v = r->pval;
	for (i = 0; i < r->params.n; i++) {
		if (strlen(name) == r->params.p[i].namelen &&
		    !strncmp(name, r->params.p[i].name, r->params.p[i].namelen))
			return (v);
		v += strlen(v) + 1;
	}
	return (NULL);
}

int
api_param_id(const struct api_req *r, const char *name, int64_t *id)
{
	return (api_int(api_param(r, name), 1, INT64_MAX, id));
}

const char *
api_query(const struct api_req *r, const char *name)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(name);
	/* The authenticator's too: the query is parsed before it asks,
	 * and cleared once the handler has run. */
	AZ(r->replied);
	return (evhttp_find_header(&r->query, name));
}

int
api_query_int(const struct api_req *r, const char *name, int64_t dflt,
    int64_t min, int64_t max, int64_t *n)
{
	const char *v = api_query(r, name);

	AN(n);
	if (v == NULL) {
		*n = dflt;
		return (0);
	}
	return (api_int(v, min, max, n));
}

json_t *
api_body(const struct api_req *r)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	assert(r->running);
	return (r->in);
}

void
api_input_answer(struct api_req *r, const struct api_input_err *e)
{
	AN(e);
	http_api_error(r, e->status, e->code,
	    e->field[0] != '\0' ? e->field : NULL, "%s", e->message);
}

int
api_input(struct api_req *r, const struct api_field *f, unsigned n,
    json_t **vals)
{
	struct api_input_err e;

	if (api_input_check(api_body(r), f, n, vals, &e) == 0)
		return (0);
	api_input_answer(r, &e);
	return (-1);
}

const char *
api_header(const struct api_req *r, const char *name)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(name);
	AZ(r->replied);
	if (r->req == NULL)
		return (NULL);
	return (
	    evhttp_find_header(evhttp_request_get_input_headers(r->req), name));
}

const char *
api_peer(const struct api_req *r)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AZ(r->replied);
	return (r->peer);
}

/* Once, as the request comes: the header is the proxies' then. */
static void
api_peer_find(struct api_req *r)
{
	struct evhttp_connection *c;
	char *addr = NULL;
	uint16_t port;

	c = evhttp_request_get_connection(r->req);
	if (c != NULL)
		evhttp_connection_get_peer(c, &addr, &port);
	client_addr(r->api->trust, addr != NULL ? addr : "",
	    evhttp_find_header(evhttp_request_get_input_headers(r->req),
	        "X-Forwarded-For"),
	    r->peer, sizeof r->peer);
}

struct api_req *
api_req_cast(void *priv)
{
	struct api_req *r;

	CAST_OBJ_NOTNULL(r, priv, API_REQ_MAGIC);
	return (r);
}

void
http_api_header(struct api_req *r, const char *name, const char *value)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(name);
	AN(value);
	AZ(r->replied);
	if (r->req != NULL)
		AZ(evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    name, value));
}

const char *
api_path(const struct api_req *r)
{
	const struct evhttp_uri *uri;

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(r->running);
	AN(r->req);
	uri = evhttp_request_get_evhttp_uri(r->req);
	AN(uri);
	return (evhttp_uri_get_path(uri));
}

const struct api_caller *
api_caller(const struct api_req *r)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	return (&r->caller);
}

void
api_set_caller(struct api_req *r, const struct api_caller *c)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(c);
	r->caller = *c;
}

/*--------------------------------------------------------------------
 * A request's way to its handler.
 */

/*
 * A POST's body: JSON, and said to be JSON, which a browser cannot send
 * to another site without asking it first (no cross-site requests).
 */
static int
read_json(struct api_req *r, json_t **in)
{
	struct evhttp_request *req = r->req;
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct api_input_err e;
	const unsigned char *body;
	const char *ct, *ce;
	size_t len, max;

	max = r->route->scope == API_AGENT ? API_MAX_AGENT_BODY : API_MAX_BODY;
	ct = evhttp_find_header(h, "Content-Type");
	ce = evhttp_find_header(h, "Content-Encoding");
	len = evbuffer_get_length(b);
	if (len > max) {
		/* libevent's own limit is an agent's: the others' is here. */
		http_api_error(r, 413, "too_large", NULL,
		    "the body is over %zu bytes", max);
		return (-1);
	}
	if (ct == NULL && len == 0) {
		/* No body at all (a logout): no fields. */
		*in = json_object();
		AN(*in);
		return (0);
	}
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
		http_api_error(r, 415, NULL, NULL,
		    "the body must be application/json");
		return (-1);
	}
	if (ce != NULL && strcasecmp(ce, "identity") &&
	    strcasecmp(ce, "gzip")) {
		http_api_error(r, 415, NULL, NULL,
		    "a body may come gzipped, or not encoded at all");
		return (-1);
	}
	if (len == 0) {
		http_api_error(r, 400, "bad_json", NULL,
		    "the body is empty: a JSON object expected");
		return (-1);
	}
	body = evbuffer_pullup(b, -1);
	if (api_body_parse(body, len, ce != NULL && !strcasecmp(ce, "gzip"),
	        max, in, &e) != 0) {
		api_input_answer(r, &e);
		return (-1);
	}
	return (0);
}

/* Our method for evhttp's, HEAD as GET; 0 for one no route has. */
static enum api_method
api_method_of(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		return (API_GET);
	case EVHTTP_REQ_POST:
		return (API_POST);
	case EVHTTP_REQ_PUT:
		return (API_PUT);
	case EVHTTP_REQ_PATCH:
		return (API_PATCH);
	case EVHTTP_REQ_DELETE:
		return (API_DELETE);
	default:
		return ((enum api_method)0);
	}
}

/* The parameters' values as strings, one after the other. */
static char *
param_values(const struct api_params *ps, const char *path)
{
	char *buf, *p;
	unsigned i;

	buf = malloc(strlen(path) + 1);
	AN(buf);
	p = buf;
	for (i = 0; i < ps->n; i++) {
		memcpy(p, ps->p[i].val, ps->p[i].vallen);
		p += ps->p[i].vallen;
		*p++ = '\0';
	}
	return (buf);
}

/* Run the handler; what it has not answered yet stays on the list. */
static void
api_run(struct api_req *r)
{
	AZ(r->running);
	r->running = 1;
	r->route->handler(r, r->route_priv);
	r->running = 0;
	evhttp_clear_headers(&r->query);
	free(r->pval);
	r->pval = NULL;
	json_decref(r->in);
	r->in = NULL;
	if (r->replied)
		FREE_OBJ(r);
}

void
http_api_pass(struct api_req *r)
{
	enum api_method m;
	json_t *in = NULL;

	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(r->route);
	AZ(r->replied);
	if (r->req == NULL) {
		/* The server went while the authenticator asked around. */
		req_end(r, 0);
		return;
	}
	m = r->route->method;
	if ((m == API_POST || m == API_PUT || m == API_PATCH) &&
	    read_json(r, &in) != 0)
		return;
	r->in = in;
	api_run(r);
}

/* The route of every table that takes method and path; allow: what the
 * path has, in all of them. */
static const struct api_route *
api_find(const struct http_api *api, enum api_method m, const char *path,
    struct api_params *ps, void **priv, unsigned *allow)
{
	const struct api_route *rt;
	unsigned i, a;

	*allow = 0;
	for (i = 0; i < api->ntable; i++) {
		rt = api_route_find(api->table[i].route, api->table[i].n, m,
		    path, ps, &a);
		if (rt != NULL) {
			*priv = api->table[i].priv;
			return (rt);
		}
		*allow |= a;
	}
	return (NULL);
}

/* The port of the listener that took the request. */
static unsigned
req_local_port(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	evutil_socket_t fd;

	if (c == NULL)
		return (0);
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(c));
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return (0);
	if (ss.ss_family == AF_INET)
		return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
	if (ss.ss_family == AF_INET6)
		return (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	return (0);
}

/*
 * With a listener of its own, /metrics is served there and only there:
 * the API's port may face the world, the scraper's need not.
 */
static int
wrong_listener(const struct http_api *api, struct evhttp_request *req,
    const char *path)
{
	int scrape;

	if (api->mport == 0)
		return (0);
	scrape = !strcmp(path, "/metrics");
	return (scrape != (req_local_port(req) == api->mport));
}

/* The API's paths: /api and below. */
static int
api_path_is_api(const char *path)
{
	return (strncmp(path, "/api", 4) == 0 &&
	    (path[4] == '\0' || path[4] == '/'));
}

/*
 * What every answer says of itself, whoever makes it: that a browser
 * must not guess its type (a JSON string taken for a page), nor show it
 * in another site's frame.  stoked speaks plain HTTP behind a proxy that
 * ends TLS: HSTS only when a proxy it trusts says the client came over
 * HTTPS, for a header on plain HTTP is either ignored or a lie.
 */
static void
api_secure_headers(const struct http_api *api, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evhttp_connection *c;
	const char *proto;
	char *peer = NULL;
	uint16_t port;

	AZ(evhttp_add_header(h, "X-Content-Type-Options", "nosniff"));
	AZ(evhttp_add_header(h, "X-Frame-Options", "DENY"));
	proto = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Forwarded-Proto");
	if (proto == NULL || strcasecmp(proto, "https") != 0)
		return;
	c = evhttp_request_get_connection(req);
	if (c != NULL)
		evhttp_connection_get_peer(c, &peer, &port);
	if (peer != NULL && client_trusted(api->trust, peer))
		AZ(evhttp_add_header(h, "Strict-Transport-Security",
		    "max-age=31536000"));
}

/* The API's answers are data, never a page: nothing in them runs, loads
 * or leaks where it came from.  The dashboard's files say their own. */
static void
api_data_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	AZ(evhttp_add_header(h, "Content-Security-Policy",
	    "default-src 'none'; frame-ancestors 'none'"));
	AZ(evhttp_add_header(h, "Referrer-Policy", "no-referrer"));
}

static void
on_request(struct evhttp_request *req, void *priv)
{
	const struct api_route *rt;
	struct http_api *api;
	const struct evhttp_uri *uri;
	struct api_params ps;
	struct api_req *r;
	const char *path, *q;
	enum api_method m;
	char allow[64], msg[64];
	unsigned methods;
	void *rpriv = NULL;
	double t0;

	CAST_OBJ_NOTNULL(api, priv, HTTP_API_MAGIC);
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	t0 = VTIM_mono();
	m = api_method_of(evhttp_request_get_command(req));
	api_secure_headers(api, req);
	if (path == NULL) {
		api_stats_count(api->stats, NULL, m, 400, VTIM_mono() - t0);
		reply_error(req, 400, NULL, NULL, "bad request URI");
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    API_MAX_WIRE_BODY) {
		api_stats_count(api->stats, NULL, m, 413, VTIM_mono() - t0);
		(void)snprintf(msg, sizeof msg, "the body is over %d bytes",
		    API_MAX_WIRE_BODY);
		reply_error(req, 413, "too_large", NULL, msg);
		return;
	}
	if (wrong_listener(api, req, path)) {
		api_stats_count(api->stats, NULL, m, 404, VTIM_mono() - t0);
		reply_error(req, 404, NULL, NULL, "no such endpoint");
		return;
	}
	rt = api_find(api, m, path, &ps, &rpriv, &methods);
	if (rt == NULL && methods == 0 && m == API_GET &&
	    api->fallback.handler != NULL && !api_path_is_api(path)) {
		rt = &api->fallback;
		rpriv = api->fallback_priv;
		ps.n = 0;
	}
	if (rt != &api->fallback)
		api_data_headers(req);
	if (rt == NULL && methods == 0) {
		api_stats_count(api->stats, NULL, m, 404, VTIM_mono() - t0);
		reply_error(req, 404, NULL, NULL, "no such endpoint");
		return;
	}
	if (rt == NULL) {
		(void)api_allow(methods, allow, sizeof allow);
		AZ(evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow));
		api_stats_count(api->stats, NULL, m, 405, VTIM_mono() - t0);
		reply_error(req, 405, NULL, NULL, "method not allowed");
		return;
	}
	ALLOC_OBJ(r, API_REQ_MAGIC);
	AN(r);
	r->t0 = t0;
	r->api = api;
	r->req = req;
	r->route = rt;
	r->route_priv = rpriv;
	api_peer_find(r);
	TAILQ_INIT(&r->query);
	TAILQ_INSERT_TAIL(&api->pending, r, list);
	q = evhttp_uri_get_query(uri);
	if (q != NULL && evhttp_parse_query_str(q, &r->query) != 0) {
		evhttp_clear_headers(&r->query);
		http_api_error(r, 400, NULL, NULL, "bad query string");
		return;
	}
	r->params = ps;
	r->pval = param_values(&ps, path);
	switch (rt->scope) {
	case API_PUBLIC:
	case API_OPERATOR:
		/* The operator's listener is theirs (loopback unless they
		 * said otherwise). */
		http_api_pass(r);
		return;
	case API_USER:
	case API_USER_QUERY_TOKEN:
	case API_AGENT:
		if (api->auth == NULL) {
			http_api_error(r, 401, NULL, NULL,
			    "this server has no accounts");
			return;
		}
		api->auth(api->auth_priv, r, rt->scope, rt->key);
		return;
	}
	WRONG("route scope");
}

static int
split_listen(const char *listen, char *addr, size_t addrlen, unsigned *port)
{
	const char *c = strrchr(listen, ':');
	char *end;
	long p;

	if (c == NULL || (size_t)(c - listen) >= addrlen || c == listen)
		return (-1);
	memcpy(addr, listen, (size_t)(c - listen));
	addr[c - listen] = '\0';
	/* [::1]:80 */
	if (addr[0] == '[' && addr[strlen(addr) - 1] == ']') {
		memmove(addr, addr + 1, strlen(addr) - 2);
		addr[strlen(addr) - 2] = '\0';
	}
	errno = 0;
	p = strtol(c + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == c + 1 || p < 0 || p > 65535)
		return (-1);
	*port = (unsigned)p;
	return (0);
}

static unsigned
bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	evutil_socket_t fd = evhttp_bound_socket_get_fd(bs);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return (0);
	if (ss.ss_family == AF_INET)
		return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
	if (ss.ss_family == AF_INET6)
		return (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	return (0);
}

/*
 * A listening socket of the server's, its connections counted and
 * limited (api_conns.h).  NULL: errno says why.
 */
static struct evhttp_bound_socket *
api_bind(struct http_api *api, const char *addr, unsigned port, int limited)
{
	struct evhttp_bound_socket *bs;
	evutil_socket_t fd;

	bs = evhttp_bind_socket_with_handle(api->http, addr, (uint16_t)port);
	if (bs == NULL)
		return (NULL);
	fd = evhttp_bound_socket_get_fd(bs);
	/* evhttp's queue is 128: thousands of dashboards coming back at
	 * once (a replica restarted) would wait for their SYNs sent
	 * again, a second and more. */
	AZ(listen(fd, API_LISTEN_BACKLOG));
	/*
	 * An answer goes out as a few writes (headers, a body bigger than a
	 * segment): with Nagle on, its last piece waits for the client's
	 * delayed ACK, 40 ms on Linux, on every request of a kept-alive
	 * connection.  Accepted connections inherit it from the listener.
	 */
	AZ(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int)));
	api_conns_listener(api->conns, bs, limited);
	return (bs);
}

struct http_api *
http_api_new(struct event_base *eb, const char *listen, char *err,
    size_t errlen)
{
	struct evhttp_bound_socket *bs;
	struct http_api *api;
	char addr[256];
	unsigned port;

	AN(eb);
	if (listen == NULL ||
	    split_listen(listen, addr, sizeof addr, &port) != 0) {
		snprintf(err, errlen,
		    "bad listen address '%s' (want ADDR:PORT)",
		    listen != NULL ? listen : "");
		return (NULL);
	}
	ALLOC_OBJ(api, HTTP_API_MAGIC);
	AN(api);
	TAILQ_INIT(&api->pending);
	api->stats = api_stats_new();
	api->http = evhttp_new(eb);
	AN(api->http);
	api->conns = api_conns_new(eb, api->http);
	bs = api_bind(api, addr, port, 1);
	if (bs == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
		    strerror(errno));
		api_conns_stop(api->conns);
		evhttp_free(api->http);
		api_conns_free(&api->conns);
		api_stats_free(&api->stats);
		FREE_OBJ(api);
		return (NULL);
	}
	api->port = bound_port(bs);
	/* Others too, so that they get a 405 saying what is allowed. */
	evhttp_set_allowed_methods(api->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
	        EVHTTP_REQ_OPTIONS);
	evhttp_set_max_headers_size(api->http, 16384);
	/* An agent's batch is the biggest body; the others' limit is
	 * read_json()'s, once the route is known.  Both are answered in
	 * JSON here (too_large): libevent reads a little more for that. */
	evhttp_set_max_body_size(api->http, API_READ_BODY);
	evhttp_set_gencb(api->http, on_request, api);
	/* Else a client that sends half its request holds its socket for
	 * ever, and enough of them take every socket there is. */
	http_api_set_timeout(api, API_CLIENT_TIMEOUT);
	return (api);
}

unsigned
http_api_set_max_connections(struct http_api *api, unsigned max)
{
	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	return (api_conns_set_max(api->conns, max));
}

void
http_api_set_timeout(struct http_api *api, double seconds)
{
	struct timeval tv;

	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	assert(seconds > 0);
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	evhttp_set_timeout_tv(api->http, &tv);
}

void
http_api_free(struct http_api **ap)
{
	struct http_api *api;
	struct api_req *r;

	AN(ap);
	api = *ap;
	*ap = NULL;
	if (api == NULL)
		return;
	CHECK_OBJ(api, HTTP_API_MAGIC);
	/* evhttp_free() frees the connections, and tells no stream. */
	api_conns_stop(api->conns);
	while ((r = TAILQ_FIRST(&api->pending)) != NULL) {
		TAILQ_REMOVE(&api->pending, r, list);
		/* One cut from its connection is no longer libevent's. */
		if (r->streaming && r->gone)
			evhttp_send_reply_end(r->req);
		r->req = NULL;
		r->api = NULL;
	}
	evhttp_free(api->http);
	api_conns_free(&api->conns);
	api_stats_free(&api->stats);
	free(api->metric);
	FREE_OBJ(api);
}

int
http_api_listen_metrics(struct http_api *api, const char *listen, char *err,
    size_t errlen)
{
	struct evhttp_bound_socket *bs;
	char addr[256];
	unsigned port;

	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	AZ(api->mport);
	if (split_listen(listen, addr, sizeof addr, &port) != 0) {
		snprintf(err, errlen,
		    "bad listen address '%s' (want ADDR:PORT)", listen);
		return (-1);
	}
	/* The scraper's: it answers while the API is full. */
	bs = api_bind(api, addr, port, 0);
	if (bs == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
		    strerror(errno));
		return (-1);
	}
	api->mport = bound_port(bs);
	AN(api->mport);
	return (0);
}

unsigned
http_api_metrics_port(const struct http_api *api)
{
	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	return (api->mport != 0 ? api->mport : api->port);
}

unsigned
http_api_port(const struct http_api *api)
{
	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	return (api->port);
}

void
http_api_metrics(struct http_api *api, metrics_f *fn, void *priv)
{
	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	AN(fn);
	if (api->nmetric == api->lmetric) {
		api->lmetric = api->lmetric > 0 ? api->lmetric * 2 : 8;
		api->metric =
		    realloc(api->metric, api->lmetric * sizeof *api->metric);
		AN(api->metric);
	}
	api->metric[api->nmetric].fn = fn;
	api->metric[api->nmetric++].priv = priv;
}

/*
 * A table is checked here, once: a mistake in it stops the daemon at
 * start, not a request later.
 */
void
http_api_routes(struct http_api *api, const struct api_route *rt, unsigned n,
    void *priv)
{
	const struct api_route *o;
	struct api_params ps;
	const char *why;
	unsigned i, t, allow;
	void *opriv;

	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	AN(rt);
	assert(api->ntable < API_MAX_TABLES);
	for (i = 0; i < n; i++) {
		AZ(api_pattern_check(rt[i].path, &why));
		AN(rt[i].handler);
		assert(rt[i].method != 0 &&
		    (rt[i].method & (rt[i].method - 1)) == 0);
		/* Only the authenticator hears of keys. */
		assert(rt[i].key < KEY__MAX);
		assert(rt[i].key == KEY_NONE || rt[i].scope == API_USER ||
		    rt[i].scope == API_USER_QUERY_TOKEN);
		/*
		 * No earlier route of the method takes this one's paths:
		 * "/jobs/new" goes before "/jobs/:id", and no path twice,
		 * in this table or an earlier one.
		 */
		o = api_route_find(rt, i, rt[i].method, rt[i].path, &ps,
		    &allow);
		AZ(o);
		o = api_find(api, rt[i].method, rt[i].path, &ps, &opriv,
		    &allow);
		AZ(o);
	}
	t = api->ntable++;
	api->table[t].route = rt;
	api->table[t].n = n;
	api->table[t].priv = priv;
}

void
http_api_routes_print(FILE *f, const struct api_route *rt, unsigned n)
{
	static const char *const scope[] = {
		[API_PUBLIC] = "public",
		[API_OPERATOR] = "operator",
		[API_USER] = "user",
		[API_USER_QUERY_TOKEN] = "user-query-token",
		[API_AGENT] = "agent",
	};
	const char *m;
	unsigned i;

	AN(f);
	AN(rt);
	for (i = 0; i < n; i++) {
		switch (rt[i].method) {
		case API_GET:
			m = "GET";
			break;
		case API_POST:
			m = "POST";
			break;
		case API_PUT:
			m = "PUT";
			break;
		case API_PATCH:
			m = "PATCH";
			break;
		case API_DELETE:
			m = "DELETE";
			break;
		default:
			WRONG("route method");
		}
		assert(rt[i].scope < sizeof scope / sizeof scope[0]);
		AN(scope[rt[i].scope]);
		assert(rt[i].key < KEY__MAX);
		fprintf(f, "%s %s %s %s\n", m, rt[i].path, scope[rt[i].scope],
		    key_scope_name[rt[i].key]);
	}
}

void
http_api_fallback(struct http_api *api, api_handler_f *fn, void *priv)
{
	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	AN(fn);
	AZ(api->fallback.handler);
	api->fallback = (struct api_route){ .method = API_GET,
		.path = "/*",
		.scope = API_PUBLIC,
		.key = KEY_NONE,
		.handler = fn };
	api->fallback_priv = priv;
}

void
http_api_trust(struct http_api *api, const struct client_trust *t)
{
	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	api->trust = t;
}

void
http_api_auth(struct http_api *api, api_auth_f *fn, void *priv)
{
	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	AN(fn);
	api->auth = fn;
	api->auth_priv = priv;
}
