/*
 * A URL to warm, taken apart: where to connect (a Varnish node, or the
 * URL itself), which Host to send and which path to sign.
 */

#ifndef STOKE_WARM_URL_H
#define STOKE_WARM_URL_H

#include <stddef.h>

/* node: "http://ADDR:PORT" or NULL.  0, or -1 if bad or too long. */
int warm_url_split(const char *url, const char *node, char *target, size_t tlen,
    char *host, size_t hlen, char *path, size_t plen);

#endif
