/*
 * The HTTP server: evhttp on the event loop, JSON bodies from jansson,
 * requests routed by one table (api_router.c matches), /metrics assembled
 * from every registered module.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "api_router.h"
#include "http_api.h"

/* A POST body is a small JSON object: a job, a setting. */
#define API_MAX_BODY 65536

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
	unsigned running;
	unsigned replied;
	TAILQ_ENTRY(api_req) list;
};

struct api_metric {
	metrics_f *fn;
	void *priv;
};

struct http_api {
	unsigned magic;
#define HTTP_API_MAGIC 0x7a91c0de
	struct evhttp *http;
	unsigned port;
	const struct api_route *route;
	unsigned nroute;
	void *route_priv;
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

static void
reply_error(struct evhttp_request *req, int status, const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);

	AN(j);
	reply_json(req, status, j);
	json_decref(j);
}

/*
 * The request is answered, or nobody waits for it any more: off the
 * list, and freed unless its handler still runs (api_run frees it then).
 */
static void
req_end(struct api_req *r)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AZ(r->replied);
	r->replied = 1;
	if (r->req != NULL) {
		CHECK_OBJ_NOTNULL(r->api, HTTP_API_MAGIC);
		TAILQ_REMOVE(&r->api->pending, r, list);
		r->req = NULL;
	}
	if (!r->running)
		FREE_OBJ(r);
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
		reply_error(r->req, status, err != NULL ? err : "error");
	json_decref(body);
	req_end(r);
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
	metrics_print(m, b);
	AZ(evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Content-Type", "text/plain; version=0.0.4"));
	evhttp_send_reply(r->req, 200, NULL, b);
	evbuffer_free(b);
	metrics_free(&m);
	req_end(r);
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
	assert(r->running);
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

/*--------------------------------------------------------------------
 * A request's way to its handler.
 */

/*
 * Whether the request may use a route of this scope: where
 * authentication plugs in.  Today every route is the operator's, on a
 * listener that is theirs (loopback unless told otherwise).
 */
static int
api_authorize(const struct api_req *r, enum api_scope scope, const char **err)
{
	CHECK_OBJ_NOTNULL(r, API_REQ_MAGIC);
	AN(err);
	switch (scope) {
	case API_PUBLIC:
	case API_OPERATOR:
		return (0);
	}
	WRONG("route scope");
}

/*
 * A POST's body: JSON, and said to be JSON, which a browser cannot send
 * to another site without asking it first (no cross-site requests).
 */
static int
read_json(struct evhttp_request *req, json_t **in)
{
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	const char *ct;
	json_error_t je;
	char msg[256];
	size_t len;

	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
		reply_error(req, 415, "the body must be application/json");
		return (-1);
	}
	len = evbuffer_get_length(b);
	if (len == 0) {
		reply_error(req, 400,
		    "the body is empty: a JSON object expected");
		return (-1);
	}
	*in = json_loadb((const char *)evbuffer_pullup(b, -1), len,
	    JSON_REJECT_DUPLICATES, &je);
	if (*in == NULL) {
		snprintf(msg, sizeof msg, "bad JSON: line %d: %s", je.line,
		    je.text);
		reply_error(req, 400, msg);
		return (-1);
	}
	if (!json_is_object(*in)) {
		json_decref(*in);
		*in = NULL;
		reply_error(req, 400, "the body must be a JSON object");
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

/* Run the handler; what it has not answered yet waits on the list. */
static void
api_run(struct http_api *api, const struct api_route *rt, struct api_req *r)
{
	r->running = 1;
	TAILQ_INSERT_TAIL(&api->pending, r, list);
	rt->handler(r, api->route_priv);
	r->running = 0;
	evhttp_clear_headers(&r->query);
	free(r->pval);
	r->pval = NULL;
	json_decref(r->in);
	r->in = NULL;
	if (r->replied)
		FREE_OBJ(r);
}

static void
on_request(struct evhttp_request *req, void *priv)
{
	const struct api_route *rt;
	struct http_api *api;
	const struct evhttp_uri *uri;
	struct api_params ps;
	struct api_req *r;
	const char *path, *q, *err = NULL;
	enum api_method m;
	json_t *in = NULL;
	char allow[64];
	unsigned methods;
	int status;

	CAST_OBJ_NOTNULL(api, priv, HTTP_API_MAGIC);
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL) {
		reply_error(req, 400, "bad request URI");
		return;
	}
	m = api_method_of(evhttp_request_get_command(req));
	rt = api_route_find(api->route, api->nroute, m, path, &ps, &methods);
	if (rt == NULL && methods == 0) {
		reply_error(req, 404, "no such endpoint");
		return;
	}
	if (rt == NULL) {
		(void)api_allow(methods, allow, sizeof allow);
		AZ(evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow));
		reply_error(req, 405, "method not allowed");
		return;
	}
	ALLOC_OBJ(r, API_REQ_MAGIC);
	AN(r);
	r->api = api;
	r->req = req;
	TAILQ_INIT(&r->query);
	status = api_authorize(r, rt->scope, &err);
	if (status != 0) {
		FREE_OBJ(r);
		reply_error(req, status, err);
		return;
	}
	if ((m == API_POST || m == API_PUT || m == API_PATCH) &&
	    read_json(req, &in) != 0) {
		FREE_OBJ(r);
		return;
	}
	q = evhttp_uri_get_query(uri);
	if (q != NULL && evhttp_parse_query_str(q, &r->query) != 0) {
		evhttp_clear_headers(&r->query);
		json_decref(in);
		FREE_OBJ(r);
		reply_error(req, 400, "bad query string");
		return;
	}
	r->in = in;
	r->params = ps;
	r->pval = param_values(&ps, path);
	api_run(api, rt, r);
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
	api->http = evhttp_new(eb);
	AN(api->http);
	bs = evhttp_bind_socket_with_handle(api->http, addr, (uint16_t)port);
	if (bs == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
		    strerror(errno));
		evhttp_free(api->http);
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
	evhttp_set_max_body_size(api->http, API_MAX_BODY);
	evhttp_set_gencb(api->http, on_request, api);
	return (api);
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
	while ((r = TAILQ_FIRST(&api->pending)) != NULL) {
		TAILQ_REMOVE(&api->pending, r, list);
		r->req = NULL;
		r->api = NULL;
	}
	evhttp_free(api->http);
	free(api->metric);
	FREE_OBJ(api);
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
 * The table is checked here, once: a mistake in it stops the daemon at
 * start, not a request later.
 */
void
http_api_routes(struct http_api *api, const struct api_route *rt, unsigned n,
    void *priv)
{
	const struct api_route *o;
	struct api_params ps;
	const char *why;
	unsigned i, allow;

	CHECK_OBJ_NOTNULL(api, HTTP_API_MAGIC);
	AN(rt);
	AZ(api->route);
	for (i = 0; i < n; i++) {
		AZ(api_pattern_check(rt[i].path, &why));
		AN(rt[i].handler);
		assert(rt[i].method != 0 &&
		    (rt[i].method & (rt[i].method - 1)) == 0);
		/*
		 * No earlier route of the method takes this one's paths:
		 * "/jobs/new" goes before "/jobs/:id", and no path twice.
		 */
		o = api_route_find(rt, i, rt[i].method, rt[i].path, &ps,
		    &allow);
		AZ(o);
	}
	api->route = rt;
	api->nroute = n;
	api->route_priv = priv;
}
