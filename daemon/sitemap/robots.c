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

/*
 * One line "name: value", its end of line excluded: a comment cut off,
 * blanks around the name and the value trimmed.  0, or -1 when the line
 * holds no field.
 */
static int
rb_field(const char *s, size_t n, const char **name, size_t *namelen,
    const char **val, size_t *vallen)
{
	const char *hash, *colon, *e;

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
		return (-1);
	for (e = colon; e > s && rb_blank(e[-1]); e--)
		continue;
	*name = s;
	*namelen = (size_t)(e - s);
	n -= (size_t)(colon + 1 - s);
	s = colon + 1;
	while (n > 0 && rb_blank(*s)) {
		s++;
		n--;
	}
	*val = s;
	*vallen = n;
	return (0);
}

static int
rb_is(const char *name, size_t namelen, const char *what)
{
	return (namelen == strlen(what) && !strncasecmp(name, what, namelen));
}

/* One line, its end of line excluded. */
static int
rb_line(void *priv, const char *s, size_t n, unsigned line)
{
	struct rb_parse *p;
	const char *name;
	size_t i, namelen;

	CAST_OBJ_NOTNULL(p, priv, RB_PARSE_MAGIC);
	if (rb_field(s, n, &name, &namelen, &s, &n) != 0 ||
	    !rb_is(name, namelen, "sitemap"))
		return (0);
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

typedef int rb_line_f(void *priv, const char *s, size_t n, unsigned line);

/* Each line to f until it says non-zero; what it said last. */
static int
rb_scan(const char *s, size_t len, rb_line_f *f, void *priv)
{
	const char *end = s + len, *eol;
	unsigned line = 0;
	int r = 0;

	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (r == 0 && s < end) {
		line++;
		for (eol = s; eol < end && *eol != '\n' && *eol != '\r'; eol++)
			continue;
		r = f(priv, s, (size_t)(eol - s), line);
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
		r = rb_scan(body, len, rb_line, &p);
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

/*--------------------------------------------------------------------
 * The rules (RFC 9309): groups of user-agent lines and the rules after
 * them; ours are those of the groups naming our product token, else
 * those of "*".  Each rule is kept as written; the longest pattern that
 * matches a path decides, Allow on a tie.
 */

struct rb_rule {
	int allow;
	char *pat;
	size_t len;
};

struct robots_rules {
	unsigned magic;
#define ROBOTS_RULES_MAGIC 0x7b0e5c22
	struct rb_rule *rule;
	unsigned nrule, lrule;
	double delay; /* Crawl-delay, seconds; < 0: none */
	int all; /* no rule: 1 all allowed, 0 none */
};

/* While a robots.txt is read: ours and "*"'s, kept apart. */
struct rb_groups {
	unsigned magic;
#define RB_GROUPS_MAGIC 0x7b0e5c23
	const char *agent;
	struct robots_rules *mine, *star;
	int in_agents; /* the last field was a user-agent line */
	int is_mine, is_star; /* the group being read names us, or "*" */
	int seen_mine; /* some group named us */
};

static struct robots_rules *
rb_rules_new(int all)
{
	struct robots_rules *r;

	ALLOC_OBJ(r, ROBOTS_RULES_MAGIC);
	AN(r);
	r->delay = -1;
	r->all = all;
	return (r);
}

static void
rb_rule_add(struct robots_rules *r, int allow, const char *pat, size_t len)
{
	if (r->nrule == ROBOTS_MAX_RULES)
		return;
	if (r->nrule == r->lrule) {
		r->lrule = r->lrule ? r->lrule * 2 : 16;
		r->rule = realloc(r->rule, r->lrule * sizeof *r->rule);
		AN(r->rule);
	}
	r->rule[r->nrule].allow = allow;
	r->rule[r->nrule].pat = strndup(pat, len);
	AN(r->rule[r->nrule].pat);
	r->rule[r->nrule].len = len;
	r->nrule++;
}

/* "Googlebot/2.1 (+http://...)": is its product token ours? */
static int
rb_agent_is(const char *v, size_t n, const char *agent)
{
	size_t tok = 0;

	while (tok < n && v[tok] != '/' && !rb_blank(v[tok]))
		tok++;
	return (tok == strlen(agent) && !strncasecmp(v, agent, tok));
}

static void
rb_group_rule(struct rb_groups *g, int allow, const char *v, size_t n)
{
	/* "Disallow:" with no path forbids nothing. */
	if (n == 0)
		return;
	if (g->is_mine)
		rb_rule_add(g->mine, allow, v, n);
	if (g->is_star)
		rb_rule_add(g->star, allow, v, n);
}

static void
rb_group_delay(struct rb_groups *g, const char *v, size_t n)
{
	char buf[32], *end;
	double d;

	if (n == 0 || n >= sizeof buf)
		return;
	memcpy(buf, v, n);
	buf[n] = '\0';
	d = strtod(buf, &end);
	if (*end != '\0' || !(d >= 0) || d > 86400)
		return;
	if (g->is_mine)
		g->mine->delay = d;
	if (g->is_star)
		g->star->delay = d;
}

static int
rb_rules_line(void *priv, const char *s, size_t n, unsigned line)
{
	struct rb_groups *g;
	const char *name, *v;
	size_t namelen, vn;

	(void)line;
	CAST_OBJ_NOTNULL(g, priv, RB_GROUPS_MAGIC);
	if (rb_field(s, n, &name, &namelen, &v, &vn) != 0)
		return (0);
	if (rb_is(name, namelen, "user-agent")) {
		/* A user-agent line after rules begins another group. */
		if (!g->in_agents)
			g->is_mine = g->is_star = 0;
		g->in_agents = 1;
		if (rb_agent_is(v, vn, g->agent)) {
			g->is_mine = 1;
			g->seen_mine = 1;
		} else if (vn == 1 && *v == '*') {
			g->is_star = 1;
		}
		return (0);
	}
	if (rb_is(name, namelen, "sitemap"))
		return (0); /* of no group */
	g->in_agents = 0;
	if (rb_is(name, namelen, "allow"))
		rb_group_rule(g, 1, v, vn);
	else if (rb_is(name, namelen, "disallow"))
		rb_group_rule(g, 0, v, vn);
	else if (rb_is(name, namelen, "crawl-delay"))
		rb_group_delay(g, v, vn);
	return (0);
}

struct robots_rules *
robots_rules_new(const void *body, size_t len, const char *agent)
{
	struct rb_groups g;

	assert(body != NULL || len == 0);
	AN(agent);
	memset(&g, 0, sizeof g);
	g.magic = RB_GROUPS_MAGIC;
	g.agent = agent;
	g.mine = rb_rules_new(1);
	g.star = rb_rules_new(1);
	if (len > ROBOTS_MAX_BYTES)
		len = ROBOTS_MAX_BYTES;
	(void)rb_scan(body, len, rb_rules_line, &g);
	if (g.seen_mine) {
		robots_rules_free(&g.star);
		return (g.mine);
	}
	robots_rules_free(&g.mine);
	return (g.star);
}

struct robots_rules *
robots_rules_all(int allow)
{
	return (rb_rules_new(allow ? 1 : 0));
}

/*
 * Does pat (len bytes; '*' any run, '$' at its end the path's end)
 * match path from its start?  Greedy with one point to come back to,
 * as glob matchers are: linear in practice, quadratic at worst.
 */
static int
rb_match(const char *pat, size_t len, const char *path)
{
	const char *p = pat, *pe = pat + len, *s = path;
	const char *star = NULL, *mark = NULL;

	while (1) {
		if (p < pe && *p == '$' && p + 1 == pe) {
			if (*s == '\0')
				return (1);
		} else if (p == pe) {
			return (1);
		} else if (*p == '*') {
			star = ++p;
			mark = s;
			continue;
		} else if (*s != '\0' && *p == *s) {
			p++;
			s++;
			continue;
		}
		/* Mismatch: let the last '*' take one byte more. */
		if (star == NULL || *mark == '\0')
			return (0);
		p = star;
		s = ++mark;
	}
}

int
robots_allowed(const struct robots_rules *r, const char *path)
{
	size_t best = 0;
	int allow = 1, found = 0;
	unsigned u;

	CHECK_OBJ_NOTNULL(r, ROBOTS_RULES_MAGIC);
	AN(path);
	if (!strcmp(path, "/robots.txt"))
		return (1);
	if (r->nrule == 0)
		return (r->all);
	for (u = 0; u < r->nrule; u++) {
		if (!rb_match(r->rule[u].pat, r->rule[u].len, path))
			continue;
		if (!found || r->rule[u].len > best ||
		    (r->rule[u].len == best && r->rule[u].allow)) {
			best = r->rule[u].len;
			allow = r->rule[u].allow;
			found = 1;
		}
	}
	return (allow);
}

double
robots_crawl_delay(const struct robots_rules *r)
{
	CHECK_OBJ_NOTNULL(r, ROBOTS_RULES_MAGIC);
	return (r->delay);
}

void
robots_rules_free(struct robots_rules **rp)
{
	struct robots_rules *r;
	unsigned u;

	TAKE_OBJ_NOTNULL(r, rp, ROBOTS_RULES_MAGIC);
	for (u = 0; u < r->nrule; u++)
		free(r->rule[u].pat);
	free(r->rule);
	FREE_OBJ(r);
}
