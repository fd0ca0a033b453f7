/*
 * stoked's HTTP side: a JSON API and /metrics for Prometheus, served on
 * the daemon's event loop.  Modules register what they serve; this file
 * knows none of them.
 */

#ifndef STOKE_HTTP_API_H
#define STOKE_HTTP_API_H

#include <stddef.h>

#include <jansson.h>

struct event_base;
struct evbuffer;
struct evkeyvalq;
struct http_api;
struct api_reply;

/* Appends Prometheus text lines for one module. */
typedef void api_metrics_f(void *priv, struct evbuffer *out);
/*
 * Answers GET path?query: sets *body (a new reference) and returns the
 * HTTP status.  On an error status, *body may be NULL and *err says why.
 */
typedef int api_handler_f(void *priv, const struct evkeyvalq *query,
    json_t **body, const char **err);
/* The same for POST, with the request's JSON body (an object). */
typedef int api_post_f(void *priv, const struct evkeyvalq *query, json_t *in,
    json_t **body, const char **err);

/*
 * A GET answered later, from a callback (a database query's): the
 * handler keeps reply and ends it with http_api_reply(), exactly once,
 * whatever became of the client or of the API meanwhile.
 */
typedef void
api_async_f(void *priv, const struct evkeyvalq *query, struct api_reply *);

/* listen: "ADDR:PORT"; port 0 picks a free one (see http_api_port). */
struct http_api *
http_api_new(struct event_base *, const char *listen, char *err, size_t errlen);
void http_api_free(struct http_api **);
unsigned http_api_port(const struct http_api *);
void http_api_metrics(struct http_api *, api_metrics_f *, void *priv);
void http_api_route(struct http_api *, const char *path, api_handler_f *,
    void *priv);
void http_api_route_post(struct http_api *, const char *path, api_post_f *,
    void *priv);
void http_api_route_async(struct http_api *, const char *path, api_async_f *,
    void *priv);
/* Sends the answer, if anyone still waits; body (or NULL: err) is taken. */
void
http_api_reply(struct api_reply *, int status, json_t *body, const char *err);

#endif
