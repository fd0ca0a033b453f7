/*
 * Sitemap: lines out of a robots.txt.  The body is scanned in place,
 * line by line, without copying it; URLs are parsed and relative ones
 * resolved by libcurl's URL API (curl_url_set() on a copy of the handle
 * holding robots.txt's own URL), the parser the fetches will use.
 *
 * Relative URLs are resolved rather than refused: sitemaps.org asks for
 * full URLs, but "Sitemap: /sitemap.xml" is common, and what it means is
 * not in doubt.  The result is checked for scheme, as any other.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "robots.h"

struct rb_parse {
	unsigned magic;
#define RB_PARSE_MAGIC 0x7b0e5c21
	struct robots_limits lim;
	CURLU *base;
	robots_sitemap_f *cb;
	void *priv;
	struct robots_stats st;
	char *val; /* max_url + 1 bytes: the value, NUL-terminated */
	int failed;
	char err[256];
};

static int
rb_blank(int c)
{
	return (c == ' ' || c == '\t');
}

static int __attribute__((format(printf, 2, 3)))
rb_fail(struct rb_parse *p, const char *fmt, ...)
{
	va_list ap;

	CHECK_OBJ_NOTNULL(p, RB_PARSE_MAGIC);
	if (p->failed)
		return (-1);
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
	return (-1);
}

/* A line that is skipped counts; the first one's reason is kept. */
static int __attribute__((format(printf, 3, 4)))
rb_skip(struct rb_parse *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	CHECK_OBJ_NOTNULL(p, RB_PARSE_MAGIC);
	if (p->st.skipped++ == 0) {
		p->st.first_skip_line = line;
		va_start(ap, fmt);
		vsnprintf(p->st.first_skip, sizeof p->st.first_skip, fmt, ap);
		va_end(ap);
	}
	return (0);
}

/* Resolve and check one value, then hand it over. */
static int
rb_sitemap(struct rb_parse *p, unsigned line)
{
	char *url = NULL, *scheme = NULL;
	CURLUcode rc;
	CURLU *u;
	int r = 0;

	CHECK_OBJ_NOTNULL(p, RB_PARSE_MAGIC);
	u = curl_url_dup(p->base);
	if (u == NULL)
		return (rb_fail(p, "out of memory"));
	rc = curl_url_set(u, CURLUPART_URL, p->val, 0);
	if (rc == CURLUE_UNSUPPORTED_SCHEME)
		r = rb_skip(p, line, "not an http(s) URL");
	else if (rc != CURLUE_OK)
		r = rb_skip(p, line, "unparsable URL (%s)",
		    curl_url_strerror(rc));
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
	        strcasecmp(scheme, "https") != 0))
		r = rb_skip(p, line, "not an http(s) URL");
	else if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
		r = rb_skip(p, line, "unparsable URL");
	else if (strlen(url) > p->lim.max_url)
		r = rb_skip(p, line, "URL too long once resolved (limit %zu)",
		    p->lim.max_url);
	else if (p->st.sitemaps == p->lim.max_sitemaps)
		r = rb_fail(p,
		    "too many sitemaps in robots.txt (over %zu, "
		    "limit max_sitemaps)",
		    p->lim.max_sitemaps);
	else {
		p->st.sitemaps++;
		if (p->cb != NULL && p->cb(p->priv, url, line) != 0)
			r = 1;
	}
	curl_free(url);
	curl_free(scheme);
	curl_url_cleanup(u);
	return (r);
}

/* One line, its end of line excluded. */
static int
rb_line(struct rb_parse *p, const char *s, size_t n, unsigned line)
{
	const char *hash, *colon, *e;
	size_t i, namelen;

	CHECK_OBJ_NOTNULL(p, RB_PARSE_MAGIC);
	hash = memchr(s, '#', n);
	if (hash != NULL)
		n = (size_t)(hash - s);
	while (n > 0 && rb_blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && rb_blank(s[n - 1]))
		n--;
	colon = memchr(s, ':', n);
	if (colon == NULL)
		return (0);
	for (e = colon; e > s && rb_blank(e[-1]); e--)
		continue;
	namelen = (size_t)(e - s);
	if (namelen != strlen("sitemap") ||
	    strncasecmp(s, "sitemap", namelen) != 0)
		return (0);
	n -= (size_t)(colon + 1 - s);
	s = colon + 1;
	while (n > 0 && rb_blank(*s)) {
		s++;
		n--;
	}
	if (n == 0)
		return (rb_skip(p, line, "no URL"));
	if (n > p->lim.max_url)
		return (rb_skip(p, line, "URL too long (%zu bytes, limit %zu)",
		    n, p->lim.max_url));
	/* NUL included: the value becomes a C string below. */
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return (rb_skip(p, line,
			    "control character, space or non-ASCII byte "
			    "in URL"));
	memcpy(p->val, s, n);
	p->val[n] = '\0';
	return (rb_sitemap(p, line));
}

static int
rb_scan(struct rb_parse *p, const char *s, size_t len)
{
	const char *end = s + len, *eol;
	unsigned line = 0;
	int r = 0;

	CHECK_OBJ_NOTNULL(p, RB_PARSE_MAGIC);
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (r == 0 && s < end) {
		line++;
		for (eol = s; eol < end && *eol != '\n' && *eol != '\r'; eol++)
			continue;
		r = rb_line(p, s, (size_t)(eol - s), line);
		/* LF, CRLF or CR */
		s = eol;
		if (s < end && *s == '\r' && s + 1 < end && s[1] == '\n')
			s += 2;
		else if (s < end)
			s++;
	}
	return (r);
}

static void
rb_limits(struct robots_limits *l, const struct robots_limits *in)
{
	if (in != NULL)
		*l = *in;
	else
		memset(l, 0, sizeof *l);
	if (l->max_bytes == 0)
		l->max_bytes = ROBOTS_MAX_BYTES;
	if (l->max_sitemaps == 0)
		l->max_sitemaps = ROBOTS_MAX_SITEMAPS;
	if (l->max_url == 0)
		l->max_url = ROBOTS_MAX_URL;
}

int
robots_sitemaps(const char *robots_url, const void *body, size_t len,
    const struct robots_limits *lim, robots_sitemap_f *cb, void *priv,
    struct robots_stats *stats, char *err, size_t errlen)
{
	struct rb_parse p;
	CURLUcode rc;
	char *scheme = NULL;
	int r = -1;

	AN(robots_url);
	assert(body != NULL || len == 0);
	memset(&p, 0, sizeof p);
	p.magic = RB_PARSE_MAGIC;
	rb_limits(&p.lim, lim);
	p.cb = cb;
	p.priv = priv;
	p.base = curl_url();
	/* A value is at most max_url bytes, and it is in the body. */
	p.val = malloc((p.lim.max_url < len ? p.lim.max_url : len) + 1);
	if (p.base == NULL || p.val == NULL)
		rb_fail(&p, "out of memory");
	else if ((rc = curl_url_set(p.base, CURLUPART_URL, robots_url, 0)) !=
	    CURLUE_OK)
		rb_fail(&p, "bad robots.txt URL (%s)", curl_url_strerror(rc));
	else if (curl_url_get(p.base, CURLUPART_SCHEME, &scheme, 0) !=
	        CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
	        strcasecmp(scheme, "https") != 0))
		rb_fail(&p, "bad robots.txt URL (not http or https)");
	else if (len > p.lim.max_bytes)
		rb_fail(&p,
		    "robots.txt too large (over %zu bytes, limit max_bytes)",
		    p.lim.max_bytes);
	else
		r = rb_scan(&p, body, len);
	if (p.failed)
		r = -1;
	if (stats != NULL)
		*stats = p.st;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", r < 0 ? p.err : "");
	curl_free(scheme);
	curl_url_cleanup(p.base);
	free(p.val);
	p.magic = 0;
	return (r);
}
