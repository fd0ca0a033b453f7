/*
 * The router's pure part, apart from HTTP so that it can be tested
 * alone: which route of a table a method and a path name, with the
 * path's parameters; the numbers in paths and query strings; the Allow
 * header.  Patterns are checked once, when the table is given.
 *
 * Path parameters point into the path and the pattern, which must
 * outlive them.  A value is a segment as sent (percent-encoded).
 */

#ifndef STOKE_API_ROUTER_H
#define STOKE_API_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "http_api.h"

/* More than any route needs: /projects/:id/websites/:id/jobs has two. */
#define API_MAX_PARAMS 8

struct api_params {
	unsigned n;
	struct {
		const char *name; /* in the pattern, after ':' */
		size_t namelen;
		const char *val; /* in the path */
		size_t vallen;
	} p[API_MAX_PARAMS];
};

/* 0, or -1 with *why: a pattern's syntax (a '/' then segments). */
int api_pattern_check(const char *pattern, const char **why);
/* 1 if path matches pattern, with its parameters; 0 if not. */
int api_path_match(const char *pattern, const char *path, struct api_params *);

/*
 * The route of n for method and path, with its parameters; NULL if none,
 * and then *allow holds the methods the path has (0: an unknown path).
 */
const struct api_route *api_route_find(const struct api_route *, unsigned n,
    enum api_method, const char *path, struct api_params *, unsigned *allow);

/* "GET, HEAD, POST" for API_GET | API_POST; the length written. */
size_t api_allow(unsigned methods, char *buf, size_t len);

/* s as a whole number from min to max: 0, or -1. */
int api_int(const char *s, int64_t min, int64_t max, int64_t *);

#endif
