/*
 * Matching a request to a route: segment by segment, ":name" matching
 * any one non-empty segment.  No allocation, no HTTP.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "api_router.h"

/*--------------------------------------------------------------------
 * A segment runs to the next '/' or to the end.
 */

static size_t
router_seglen(const char *s)
{
	return (strcspn(s, "/"));
}

int
api_pattern_check(const char *pattern, const char **why)
{
	unsigned nparam = 0;
	size_t len;

	AN(why);
	if (pattern == NULL || pattern[0] != '/') {
		*why = "a path starts with '/'";
		return (-1);
	}
	do {
		pattern++;
		len = router_seglen(pattern);
		if (len == 0 && pattern[len] == '/') {
			*why = "an empty segment";
			return (-1);
		}
		if (pattern[0] == ':') {
			if (len == 1) {
				*why = "a parameter without a name";
				return (-1);
			}
			if (++nparam > API_MAX_PARAMS) {
				*why = "too many parameters";
				return (-1);
			}
		}
		pattern += len;
	} while (*pattern == '/');
	return (0);
}

int
api_path_match(const char *pattern, const char *path, struct api_params *ps)
{
	size_t plen, len;

	AN(pattern);
	AN(path);
	AN(ps);
	ps->n = 0;
	if (*pattern != '/' || *path != '/')
		return (0);
	while (*pattern == '/' && *path == '/') {
		pattern++;
		path++;
		plen = router_seglen(pattern);
		len = router_seglen(path);
		if (pattern[0] == ':') {
			if (len == 0)
				return (0);
			assert(ps->n < API_MAX_PARAMS);
			ps->p[ps->n].name = pattern + 1;
			ps->p[ps->n].namelen = plen - 1;
			ps->p[ps->n].val = path;
			ps->p[ps->n++].vallen = len;
		} else if (plen != len || memcmp(pattern, path, len) != 0)
			return (0);
		pattern += plen;
		path += len;
	}
	return (*pattern == '\0' && *path == '\0');
}

const struct api_route *
api_route_find(const struct api_route *r, unsigned n, enum api_method m,
    const char *path, struct api_params *ps, unsigned *allow)
{
	struct api_params tmp;
	unsigned i;

	AN(r);
	AN(ps);
	AN(allow);
	*allow = 0;
	for (i = 0; i < n; i++) {
		if (!api_path_match(r[i].path, path, &tmp))
			continue;
		*allow |= r[i].method;
		if (r[i].method == m) {
			*ps = tmp;
			return (&r[i]);
		}
	}
	return (NULL);
}

/*--------------------------------------------------------------------
 * HEAD goes with GET: evhttp sends a HEAD its headers only.
 */

size_t
api_allow(unsigned methods, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} m[] = {
		{ API_GET, "GET, HEAD" },
		{ API_POST, "POST" },
		{ API_PUT, "PUT" },
		{ API_PATCH, "PATCH" },
		{ API_DELETE, "DELETE" },
	};
	size_t o = 0;
	unsigned i;
	int l;

	AN(buf);
	assert(len > 0);
	buf[0] = '\0';
	for (i = 0; i < sizeof m / sizeof m[0]; i++) {
		if (!(methods & m[i].bit))
			continue;
		l = snprintf(buf + o, len - o, "%s%s", o > 0 ? ", " : "",
		    m[i].name);
		assert(l > 0 && (size_t)l < len - o);
		o += (size_t)l;
	}
	return (o);
}

int
api_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	long long n;
	char *end;

	AN(out);
	if (s == NULL)
		return (-1);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < min || n > max)
		return (-1);
	*out = n;
	return (0);
}
