/*
 * A request's body as the API reads it, before any route looks at it:
 * inflated when it came gzipped (a bomb stopped at the route's limit),
 * one JSON object with no key twice, nested no deeper than
 * API_MAX_DEPTH.  Pure: bytes in, a JSON object or why out, so that the
 * fuzzer reads bodies exactly as the server does.
 */

#ifndef STOKE_API_BODY_H
#define STOKE_API_BODY_H

#include <stddef.h>

#include <jansson.h>

#include "api_input.h"

/* Deeper than any request of ours nests: a hostile body. */
#define API_MAX_DEPTH 16

/*
 * len bytes of a body (len > 0), gzipped or not, at most max once
 * inflated: 0 and a new reference in *out; or -1 and why in *err (400
 * bad_gzip or bad_json, 413 too_large).
 */
int api_body_parse(const void *buf, size_t len, int gzip, size_t max,
    json_t **out, struct api_input_err *err);

#endif
