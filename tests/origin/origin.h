/*
 * What the test origin's sites share (origin.c): the demo shop and the
 * trap site live in origin.c, the Shopware-like storefront (-s
 * shopware) in origin_shopware.c, the render site (/render/) in
 * origin_render.c.
 */

#ifndef STOKE_ORIGIN_H
#define STOKE_ORIGIN_H

#include <stddef.h>

struct evbuffer;
struct evhttp_request;
struct evkeyvalq;

/* Request bytes only reach HTML through here, shortened and escaped. */
void html_escape(struct evbuffer *, const char *, size_t max);
/* src gzip'd into dst, as a .gz file: 0, or -1. */
int gzip_buffer(struct evbuffer *src, struct evbuffer *dst);
/* The Host header, or "localhost" for anything but a plain host[:port]. */
const char *req_host(struct evhttp_request *);

/*
 * The storefront's answer, its headers and body written, or 0 for a
 * path it has nothing at (the demo shop's routes then answer).  seq
 * numbers the request, for its session cookie.
 */
int shop6_route(struct evhttp_request *, const char *path, long nproducts,
    unsigned long long seq, struct evkeyvalq *oh, struct evbuffer *b);

/*
 * The render site's answer (origin_render.c), its headers and body
 * written, or 0 for a path it has nothing at; offsite: the -o URL
 * (scheme, host and port) its pages pull a script from.
 */
int render_route(const char *path, const char *offsite, struct evkeyvalq *oh,
    struct evbuffer *b);

#endif
