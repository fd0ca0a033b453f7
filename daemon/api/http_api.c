/*
 * The HTTP server: evhttp on the event loop, GET and POST, JSON bodies from
 * jansson, /metrics assembled from every registered module.
 */

#include "config.h"

#include <assert.h>
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

#include "http_api.h"

#define API_MAX_ROUTES 32
/* A POST body is a small JSON object: a job, a setting. */
#define API_MAX_BODY 65536
#define API_MAX_METRICS 16

struct api_route {
	char *path;
	api_handler_f *fn;
	api_post_f *post;
	api_async_f *async;
	void *priv;
};

/* A request waiting for its answer; req NULL once nobody waits. */
struct api_reply {
	unsigned magic;
#define API_REPLY_MAGIC 0x7a91c0df
	struct http_api *api;
	struct evhttp_request *req;
	TAILQ_ENTRY(api_reply) list;
};

struct api_metric {
	api_metrics_f *fn;
	void *priv;
};

struct http_api {
	unsigned magic;
#define HTTP_API_MAGIC 0x7a91c0de
	struct evhttp *http;
	unsigned port;
	unsigned nroute;
	struct api_route route[API_MAX_ROUTES];
	unsigned nmetric;
	struct api_metric metric[API_MAX_METRICS];
	TAILQ_HEAD(, api_reply) pending;
};

#define CHECK_API(a) assert((a) != NULL && (a)->magic == HTTP_API_MAGIC)

static void
reply_json(struct evhttp_request *req, int status, json_t *body)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	assert(b != NULL);
	s = json_dumps(body, JSON_COMPACT);
	assert(s != NULL);
	evbuffer_add(b, s, strlen(s));
	evbuffer_add(b, "\n", 1);
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, status, NULL, b);
	evbuffer_free(b);
}

static void
reply_error(struct evhttp_request *req, int status, const char *msg)
{
	json_t *j = json_pack("{s:s}", "error", msg);

	assert(j != NULL);
	reply_json(req, status, j);
	json_decref(j);
}

static void
serve_metrics(struct http_api *api, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	unsigned i;

	assert(b != NULL);
	for (i = 0; i < api->nmetric; i++)
		api->metric[i].fn(api->metric[i].priv, b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, NULL, b);
	evbuffer_free(b);
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

static void
serve_async(struct http_api *api, const struct api_route *r,
    struct evhttp_request *req, const struct evkeyvalq *query)
{
	struct api_reply *ar;

	ar = calloc(1, sizeof *ar);
	assert(ar != NULL);
	ar->magic = API_REPLY_MAGIC;
	ar->api = api;
	ar->req = req;
	TAILQ_INSERT_TAIL(&api->pending, ar, list);
	r->async(r->priv, query, ar);
}

/*
 * libevent keeps a request whose client went away until it is answered
 * (and then frees it), but frees every request with the server: those
 * waiting are let go first.
 */
void
http_api_reply(struct api_reply *ar, int status, json_t *body, const char *err)
{
	assert(ar != NULL && ar->magic == API_REPLY_MAGIC);
	if (ar->req != NULL) {
		CHECK_API(ar->api);
		TAILQ_REMOVE(&ar->api->pending, ar, list);
		if (body != NULL)
			reply_json(ar->req, status, body);
		else
			reply_error(ar->req, status,
			    err != NULL ? err : "error");
	}
	json_decref(body);
	ar->magic = 0;
	free(ar);
}

static void
on_request(struct evhttp_request *req, void *priv)
{
	struct http_api *api = priv;
	const struct evhttp_uri *uri;
	struct evkeyvalq query;
	const char *path, *q, *err = NULL;
	enum evhttp_cmd_type cmd;
	json_t *body = NULL, *in = NULL;
	unsigned i;
	int status;

	CHECK_API(api);
	cmd = evhttp_request_get_command(req);
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL) {
		reply_error(req, 400, "bad request URI");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD &&
	    cmd != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, POST");
		reply_error(req, 405, "method not allowed");
		return;
	}
	if (!strcmp(path, "/metrics") && cmd != EVHTTP_REQ_POST) {
		serve_metrics(api, req);
		return;
	}
	for (i = 0; i < api->nroute; i++)
		if (!strcmp(path, api->route[i].path) &&
		    (api->route[i].post != NULL) == (cmd == EVHTTP_REQ_POST))
			break;
	if (i == api->nroute) {
		for (i = 0; i < api->nroute; i++)
			if (!strcmp(path, api->route[i].path))
				break;
		if (i == api->nroute) {
			reply_error(req, 404, "no such endpoint");
			return;
		}
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", api->route[i].post != NULL ? "POST" : "GET");
		reply_error(req, 405, "method not allowed here");
		return;
	}
	if (cmd == EVHTTP_REQ_POST && read_json(req, &in) != 0)
		return;
	TAILQ_INIT(&query);
	q = evhttp_uri_get_query(uri);
	if (q != NULL && evhttp_parse_query_str(q, &query) != 0) {
		evhttp_clear_headers(&query);
		reply_error(req, 400, "bad query string");
		return;
	}
	if (in != NULL) {
		status = api->route[i].post(api->route[i].priv, &query, in,
		    &body, &err);
		json_decref(in);
	} else if (api->route[i].async != NULL) {
		serve_async(api, &api->route[i], req, &query);
		evhttp_clear_headers(&query);
		return;
	} else {
		status =
		    api->route[i].fn(api->route[i].priv, &query, &body, &err);
	}
	evhttp_clear_headers(&query);
	if (body == NULL) {
		reply_error(req, status, err != NULL ? err : "error");
		return;
	}
	reply_json(req, status, body);
	json_decref(body);
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

	assert(eb != NULL);
	if (listen == NULL ||
	    split_listen(listen, addr, sizeof addr, &port) != 0) {
		snprintf(err, errlen,
		    "bad listen address '%s' (want ADDR:PORT)",
		    listen != NULL ? listen : "");
		return (NULL);
	}
	api = calloc(1, sizeof *api);
	assert(api != NULL);
	api->magic = HTTP_API_MAGIC;
	TAILQ_INIT(&api->pending);
	api->http = evhttp_new(eb);
	assert(api->http != NULL);
	bs = evhttp_bind_socket_with_handle(api->http, addr, (uint16_t)port);
	if (bs == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
		    strerror(errno));
		evhttp_free(api->http);
		free(api);
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
	struct api_reply *ar;
	unsigned i;

	assert(ap != NULL);
	api = *ap;
	*ap = NULL;
	if (api == NULL)
		return;
	CHECK_API(api);
	while ((ar = TAILQ_FIRST(&api->pending)) != NULL) {
		TAILQ_REMOVE(&api->pending, ar, list);
		ar->req = NULL;
		ar->api = NULL;
	}
	evhttp_free(api->http);
	for (i = 0; i < api->nroute; i++)
		free(api->route[i].path);
	api->magic = 0;
	free(api);
}

unsigned
http_api_port(const struct http_api *api)
{
	CHECK_API(api);
	return (api->port);
}

void
http_api_metrics(struct http_api *api, api_metrics_f *fn, void *priv)
{
	CHECK_API(api);
	assert(api->nmetric < API_MAX_METRICS);
	api->metric[api->nmetric].fn = fn;
	api->metric[api->nmetric++].priv = priv;
}

/* A new route for path: one of its handlers is set by the caller. */
static struct api_route *
add_route(struct http_api *api, const char *path, void *priv)
{
	struct api_route *r;

	CHECK_API(api);
	assert(api->nroute < API_MAX_ROUTES);
	r = &api->route[api->nroute++];
	memset(r, 0, sizeof *r);
	r->path = strdup(path);
	assert(r->path != NULL);
	r->priv = priv;
	return (r);
}

void
http_api_route(struct http_api *api, const char *path, api_handler_f *fn,
    void *priv)
{
	add_route(api, path, priv)->fn = fn;
}

void
http_api_route_post(struct http_api *api, const char *path, api_post_f *fn,
    void *priv)
{
	add_route(api, path, priv)->post = fn;
}

void
http_api_route_async(struct http_api *api, const char *path, api_async_f *fn,
    void *priv)
{
	add_route(api, path, priv)->async = fn;
}
