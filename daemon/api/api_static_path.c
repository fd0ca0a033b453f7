/*
 * The dashboard's files: which one a path names, its type, its caching.
 * No allocation, no HTTP, no file system.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"

#include "api_static_path.h"

/*--------------------------------------------------------------------
 * Paths
 */

static int
static_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* path's %XX decoded into buf: 0, or -1 with *why. */
static int
static_decode(const char *path, char *buf, size_t len, const char **why)
{
	size_t n = 0;
	int hi, lo, c;

	for (; *path != '\0'; path++) {
		c = (unsigned char)*path;
		if (c == '%') {
			hi = static_hex(path[1]);
			lo = hi < 0 ? -1 : static_hex(path[2]);
			if (lo < 0) {
				*why = "a bad %XX escape";
				return (-1);
			}
			c = hi * 16 + lo;
			path += 2;
		}
		if (c == '\0') {
			*why = "a NUL byte";
			return (-1);
		}
		if (n + 1 >= len) {
			*why = "too long";
			return (-1);
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return (0);
}

/* One segment, as decoded: a plain name, or -1 with *why. */
static int
static_segment(const char *s, size_t len, const char **why)
{
	if (len > 0 && s[0] == '.') {
		/* ".", "..", and hidden files alike. */
		*why = len <= 2 && strspn(s, ".") >= len ? "a . or .. segment"
		                                         : "a hidden file";
		return (-1);
	}
	if (memchr(s, '\\', len) != NULL) {
		*why = "a backslash";
		return (-1);
	}
	return (0);
}

int
api_static_path(const char *path, char *rel, size_t len, const char **why)
{
	char dec[STATIC_PATH_MAX];
	const char *s;
	size_t n = 0, sl;

	AN(path);
	AN(rel);
	AN(why);
	assert(len > 0);
	if (path[0] != '/') {
		*why = "not from /";
		return (-1);
	}
	if (static_decode(path, dec, sizeof dec, why) != 0)
		return (-1);
	/* Segment by segment, empty ones dropped ("//"). */
	for (s = dec; *s != '\0'; s += sl) {
		s += strspn(s, "/");
		sl = strcspn(s, "/");
		if (sl == 0)
			continue;
		if (static_segment(s, sl, why) != 0)
			return (-1);
		if (n + (n > 0) + sl + 1 > len) {
			*why = "too long";
			return (-1);
		}
		if (n > 0)
			rel[n++] = '/';
		memcpy(rel + n, s, sl);
		n += sl;
	}
	rel[n] = '\0';
	return (0);
}

/*--------------------------------------------------------------------
 * Types and caching
 */

static const struct {
	const char *ext;
	const char *type;
} static_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "ico", "image/x-icon" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "wasm", "application/wasm" },
};

const char *
api_static_type(const char *rel)
{
	const char *dot, *slash;
	unsigned i;

	AN(rel);
	dot = strrchr(rel, '.');
	slash = strrchr(rel, '/');
	if (dot != NULL && (slash == NULL || dot > slash))
		for (i = 0; i < sizeof static_types / sizeof static_types[0];
		     i++)
			if (!strcasecmp(dot + 1, static_types[i].ext))
				return (static_types[i].type);
	return ("application/octet-stream");
}

const char *
api_static_cache(const char *rel)
{
	AN(rel);
	if (!strncmp(rel, "assets/", 7))
		return ("public, max-age=31536000, immutable");
	return ("no-cache");
}

/*--------------------------------------------------------------------
 * Accept-Encoding: "gzip", "gzip;q=0.5", "*", "gzip;q=0" (refused).
 */

/* The q of one element (after its name), 1 when it gives none. */
static double
static_q(const char *p, const char *end)
{
	const char *q;

	for (q = p; q + 2 <= end; q++)
		if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=')
			return (strtod(q + 2, NULL));
	return (1);
}

int
api_static_gzip_ok(const char *ae)
{
	const char *p, *end;
	size_t nl;
	int star = 0;

	if (ae == NULL)
		return (0);
	for (p = ae; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		p += strspn(p, " \t");
		end = p + strcspn(p, ",");
		nl = strcspn(p, " \t;,");
		if ((nl == 4 && !strncasecmp(p, "gzip", 4)) ||
		    (nl == 6 && !strncasecmp(p, "x-gzip", 6)))
			return (static_q(p + nl, end) > 0);
		if (nl == 1 && *p == '*')
			star = static_q(p + 1, end) > 0;
	}
	return (star);
}
