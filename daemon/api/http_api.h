/*
 * stoked's HTTP side: a JSON API and /metrics for Prometheus, served on
 * the daemon's event loop.
 *
 * A route is {method, path, scope, key, handler}: the path is a pattern
 * whose ":name" segments match one segment of the request's path each
 * and are handed to the handler by name; the scope says who may call
 * it, and key what scope an API key needs to (none: no key may).  The
 * whole API is one table of routes (routes.c), given to http_api_routes()
 * once.  A known path asked with another method is answered 405 with an
 * Allow header, an unknown path 404, both as JSON errors; HEAD is served
 * wherever GET is.
 *
 * Modules that count things give a metrics_f (core/metrics.h), which
 * whoever wires the daemon registers here; GET /metrics
 * (http_api_metrics_get, a route like the others) makes one scrape of
 * them all, printed with each metric's # HELP and # TYPE lines, and
 * the server's own: requests by route, method and status, and their
 * latency (api_stats.h).
 */

#ifndef STOKE_HTTP_API_H
#define STOKE_HTTP_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "auth/api_key.h"
#include "core/metrics.h"

struct event_base;
struct evbuffer;
struct http_api;
struct api_req;

/* One bit each, so that a path's methods make one Allow header. */
enum api_method {
	API_GET = 1U << 0,
	API_POST = 1U << 1,
	API_PUT = 1U << 2,
	API_PATCH = 1U << 3,
	API_DELETE = 1U << 4,
};

/*
 * Who may call a route.  The router asks one hook, before the handler,
 * whether the request may use the route's scope (http_api.c
 * on_request).  A user's route may also be called with an API key of
 * a project, if the route names the key scope it needs (auth/api_key.h
 * enum key_scope): then the key acts as a user of its own, a member of
 * its project only (api_session.c).
 */
enum api_scope {
	API_PUBLIC, /* anyone: liveness, login */
	API_OPERATOR, /* the daemon's operator: the listener is theirs */
	API_USER, /* a signed-in user: a bearer token of theirs */
	/* The same, whose token may also come as ?access_token=: a
	 * browser's EventSource cannot send a header (the event streams
	 * only, so that tokens stay out of other URLs and logs). */
	API_USER_QUERY_TOKEN,
	/* A website's agent (stoked agent): its token ("sta_...") and
	 * nothing else; no user's token or key calls it, and an agent's
	 * token calls nothing else.  Its bodies may be big and gzipped
	 * (a batch): up to API_MAX_AGENT_BODY, inflated. */
	API_AGENT,
};

/* A POST's body at most: a small JSON object (a job, a setting)... */
#define API_MAX_BODY 65536
/* ...but an agent's batch, after its gzip is inflated... */
#define API_MAX_AGENT_BODY (16 * 1024 * 1024)
/* ...and as it comes, before anyone is known: what libevent reads at
 * most, so that a stranger cannot make every replica read megabytes.
 * A batch of the protocol's size, gzipped, is well under. */
#define API_MAX_WIRE_BODY (1024 * 1024)

/* Who is asking, once the route's scope has let them in. */
struct api_caller {
	int64_t user; /* 0: nobody in particular (public, operator) */
	char jti[40]; /* the token's id */
	int64_t expires; /* when the token ends, seconds since the epoch */
	int64_t key; /* an API key's id (user: its bot); 0: a login token */
	unsigned key_scopes; /* the key's, as KEY_BIT()s */
	int64_t agent; /* an agent's id (API_AGENT), else 0 */
	int64_t website; /* and its website's */
};

/*
 * Decides whether the request may use a route of a tenant scope, key
 * the scope an API key needs for it: reads what it needs (api_header),
 * sets the caller (api_set_caller), and ends with http_api_pass() (on
 * to the handler) or http_api_error(), exactly once, now or from a
 * callback (the database's).
 */
typedef void
api_auth_f(void *priv, struct api_req *, enum api_scope, enum key_scope key);

/*
 * Serves one request.  It ends it with http_api_reply(), exactly once,
 * before it returns or later from a callback (a database query's).  The
 * request's path parameters, query and body can be read while the
 * handler runs, not after.  priv is what http_api_routes() was given.
 */
typedef void api_handler_f(struct api_req *, void *priv);

struct api_route {
	enum api_method method;
	const char *path;
	enum api_scope scope;
	enum key_scope key; /* a user's route: KEY_NONE, no key may */
	api_handler_f *handler;
};

/* listen: "ADDR:PORT"; port 0 picks a free one (see http_api_port). */
struct http_api *
http_api_new(struct event_base *, const char *listen, char *err, size_t errlen);
void http_api_free(struct http_api **);
/*
 * How long a client may stay silent, in seconds: while it sends its
 * request, or kept alive between two.  A client that sends its headers
 * a byte now and then is cut when they reach the headers' size limit.
 * Streams (http_api_stream_start) have their own deadline.  The default
 * is API_CLIENT_TIMEOUT.
 */
#define API_CLIENT_TIMEOUT 30.0
void http_api_set_timeout(struct http_api *, double seconds);
/*
 * The most client connections at once, on all the server's listeners;
 * past it, a newcomer to the API's is answered 503 (too_many_connections)
 * and closed at once (api_conns.h); /metrics's own still accepts.  0, the default: the open-file limit less a
 * reserve, which also bounds a number given.  Returns the limit.
 */
unsigned http_api_set_max_connections(struct http_api *, unsigned max);
unsigned http_api_port(const struct http_api *);
/*
 * /metrics on a listener of its own ("ADDR:PORT"), and no longer on the
 * API's: 0, or -1 with err.  Its port: the API's until then.
 */
int http_api_listen_metrics(struct http_api *, const char *listen, char *err,
    size_t errlen);
unsigned http_api_metrics_port(const struct http_api *);
/* fn(priv) adds its samples to each scrape, as long as the API lives. */
void http_api_metrics(struct http_api *, metrics_f *fn, void *priv);
/*
 * A table of routes, with the priv its handlers get; a server may have a
 * few (the operator's, the tenants').  The table and priv stay the
 * caller's, kept past the API.  No route of one table may hide one of
 * another.
 */
void http_api_routes(struct http_api *, const struct api_route *, unsigned n,
    void *priv);
/*
 * Who serves a GET (or HEAD) of a path that no route of any table has
 * and that is not the API's (/api and below, whose unknown paths stay
 * the API's JSON 404): the dashboard's files (api_static.h).  It is
 * called as a public route's handler is, priv its own.  One at most.
 */
void http_api_fallback(struct http_api *, api_handler_f *, void *priv);
/*
 * The proxies trusted to say who their client is (client_addr.h):
 * api_peer() is then the address they name.  t stays the caller's.
 */
struct client_trust;
void http_api_trust(struct http_api *, const struct client_trust *t);
/* Who decides for tenant scopes; without one, they are refused (401). */
void http_api_auth(struct http_api *, api_auth_f *, void *priv);
/* The authenticator's yes: the request goes on to its handler. */
void http_api_pass(struct api_req *);

/*
 * A table's routes, one line each, "METHOD PATH SCOPE KEY" ("GET
 * /api/projects/:id user read"): what stoked serve --print-routes
 * shows, so that a test can hold the API's description to what is
 * served.
 */
void http_api_routes_print(FILE *, const struct api_route *, unsigned n);

/* GET /metrics: every registered module's samples, in one scrape. */
api_handler_f http_api_metrics_get;

/* What the handler may read while it runs. */
/* The request's path, as sent (percent-encoded), without its query. */
const char *api_path(const struct api_req *);
const char *api_param(const struct api_req *, const char *name);
/* A path parameter that is an id: 1 to INT64_MAX, or -1. */
int api_param_id(const struct api_req *, const char *name, int64_t *);
/* A query parameter; the authenticator may read it too. */
const char *api_query(const struct api_req *, const char *name);
/*
 * A query parameter as a whole number from min to max, dflt when it is
 * not given (dflt need not be in range: absent then tells itself).
 * Returns 0, or -1 when it is given and is not such a number.
 */
int api_query_int(const struct api_req *, const char *name, int64_t dflt,
    int64_t min, int64_t max, int64_t *);
/* A POST's, PUT's or PATCH's body: a JSON object, borrowed.  It may
 * come gzipped (Content-Encoding: gzip), and is inflated, up to the
 * route's limit (413 beyond). */
json_t *api_body(const struct api_req *);
/*
 * The body checked against the fields a route takes (api_input.h): 0,
 * with each field's value in vals[i] (borrowed from the body; NULL when
 * absent, JSON null when null and nullable); or -1 once the request has
 * been answered with why (400, 422, the field named).
 */
struct api_field;
struct api_input_err;
int api_input(struct api_req *, const struct api_field *, unsigned n,
    json_t **vals);
/* A refused body answered, as api_input() answers it. */
void api_input_answer(struct api_req *, const struct api_input_err *);
/* A request header, from the route's match to the answer. */
const char *api_header(const struct api_req *, const char *name);
/* The client's address, as text: the peer's, or behind the proxies
 * trusted (http_api_trust), the one they name. */
const char *api_peer(const struct api_req *);
const struct api_caller *api_caller(const struct api_req *);
/* A request handed to a callback as its priv, checked. */
struct api_req *api_req_cast(void *priv);
void api_set_caller(struct api_req *, const struct api_caller *);

/* A header of the answer to come (Retry-After), before it is sent. */
void http_api_header(struct api_req *, const char *name, const char *value);

/*
 * An answer sent in parts for as long as the client stays (Server-Sent
 * Events): the status and headers (those given with http_api_header,
 * and type), then writes, then http_api_stream_end(), which the caller
 * owes once whatever happens.  Should the client go first, gone(priv)
 * is called once, from the loop, so that the stream's resources go at
 * once; writes after it go nowhere.  Once the server is freed, writes
 * go nowhere either and gone is not called.
 *
 * Returns 0; -1 when no body is wanted (HEAD): the headers went and the
 * request is ended already.
 */
typedef void api_gone_f(void *priv);
int http_api_stream_start(struct api_req *, int status, const char *type,
    api_gone_f *gone, void *priv);
void http_api_stream_write(struct api_req *, const char *buf, size_t len);
/* Says the end to the client, if it is still there; r is freed. */
void http_api_stream_end(struct api_req *);
/* How long written data may wait for a client that reads nothing
 * before it is taken for gone; 0: forever (the default). */
void http_api_stream_timeout(struct api_req *, double seconds);

/*
 * Sends the answer, if anyone still waits; body (a new reference,
 * taken) or, when body is NULL, the error err (its code the status's).
 */
void
http_api_reply(struct api_req *, int status, json_t *body, const char *err);
/*
 * An error, in the one shape every route answers with:
 *	{"error": {"code": "...", "message": "...", "field": "..."}}
 * code: stable, for programs ("email_taken"); NULL: the status's
 * ("not_found").  field: the input it is about, or NULL.  The message
 * says what to fix.
 */
void http_api_error(struct api_req *, int status, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The same, with more members of the error object's own (a plan's
 * "limit" and "used"), borrowed; code, message and field stay these. */
void http_api_error_with(struct api_req *, int status, const char *code,
    const char *field, json_t *more, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* JSON text made elsewhere (by PostgreSQL), sent as it is. */
void http_api_reply_text(struct api_req *, int status, const char *json);
/* A body of another type (text/csv...), sent as it is. */
void http_api_reply_body(struct api_req *, int status, const char *type,
    const char *body, size_t len);
/*
 * A file's len bytes from fd, which is taken (closed once sent), as
 * type; to a HEAD, only its length.
 */
void http_api_reply_file(struct api_req *, int status, const char *type, int fd,
    size_t len);
/* No body: 204 and the like. */
void http_api_reply_empty(struct api_req *, int status);

#endif
