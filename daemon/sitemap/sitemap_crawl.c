/*
 * The crawl is a queue of documents to fetch (robots.txt, sitemaps,
 * sitemap indexes) worked through one at a time: a site's sitemaps are
 * few and an origin has better things to do than serve them in
 * parallel.  Every document URL is fetched once, so an index that lists
 * itself ends.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "fetch/addr_policy.h"
#include "fetch/fetcher.h"
#include "warm/warm_url.h"
#include "robots.h"
#include "sitemap_crawl.h"

#define MAX_URLS_DEFAULT 1000000
#define MAX_SITEMAPS_DEFAULT 1000
#define TIMEOUT_DEFAULT 60.0
/* sitemaps.org: an index lists sitemaps, not indexes; allow some slack. */
#define MAX_DEPTH 3
/* Rejected URLs are counted; only the first few are worth a note each. */
#define MAX_REJECT_NOTES 5
/* Redirects followed for one document, as browsers cap them. */
#define MAX_REDIRECTS 5

enum doc_kind { DOC_ROBOTS, DOC_SITEMAP };

struct doc {
	unsigned magic;
#define DOC_MAGIC 0x51c7a3e2
	struct sitemap_crawl *sc; /* NULL: the crawl was freed meanwhile */
	enum doc_kind kind;
	unsigned depth;
	unsigned redirects; /* followed to get here */
	char *url;
	char target[4096], host[1024], path[3072];
	VTAILQ_ENTRY(doc) list;
};

struct seen {
	char *url;
	UT_hash_handle hh;
};

struct sitemap_crawl {
	unsigned magic;
#define SC_MAGIC 0x51c7a3e1
	struct fetcher *f;
	struct sc_conf conf;
	char *start, *node;
	sc_url_f *url_cb;
	sc_note_f *note_cb;
	sc_done_f *done_cb;
	void *priv;
	VTAILQ_HEAD(, doc) todo;
	struct doc *current; /* being fetched */
	struct seen *seen;
	unsigned fetched;
	char first_err[512];
	struct sc_stats stats;
	unsigned stopping; /* over max_urls, or sc_stop(): no more documents */
	unsigned starting, ended; /* within sc_new(); it ended there */
	double now; /* what lastmod is judged against */
};

/* What a sitemap's entries are checked against while it is parsed. */
struct parse_ctx {
	unsigned magic;
#define PARSE_CTX_MAGIC 0x87a442b3
	struct sitemap_crawl *sc;
	struct doc *d;
};

static void next(struct sitemap_crawl *);

static void
note(struct sitemap_crawl *sc, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (sc->note_cb != NULL)
		sc->note_cb(sc->priv, buf);
}

static void
failed(struct sitemap_crawl *sc, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sc->stats.failed++;
	if (sc->first_err[0] == '\0')
		snprintf(sc->first_err, sizeof sc->first_err, "%s", buf);
	note(sc, "%s", buf);
}

static void
doc_free(struct doc *d)
{
	free(d->url);
	d->magic = 0;
	free(d);
}

/* Queue a document unless it was queued before.  0, or -1 when full. */
static int
want(struct sitemap_crawl *sc, enum doc_kind kind, const char *url,
    unsigned depth, unsigned redirects)
{
	struct seen *s;
	struct doc *d;

	HASH_FIND_STR(sc->seen, url, s);
	if (s != NULL)
		return (0);
	if (HASH_COUNT(sc->seen) >= sc->conf.max_sitemaps)
		return (-1);
	s = calloc(1, sizeof *s);
	AN(s);
	s->url = strdup(url);
	AN(s->url);
	HASH_ADD_KEYPTR(hh, sc->seen, s->url, strlen(s->url), s);
	d = calloc(1, sizeof *d);
	AN(d);
	d->magic = DOC_MAGIC;
	d->kind = kind;
	d->depth = depth;
	d->redirects = redirects;
	d->url = strdup(url);
	AN(d->url);
	VTAILQ_INSERT_TAIL(&sc->todo, d, list);
	return (0);
}

/* "https://shop.example/any" → "https://shop.example/sitemap.xml" */
static int
sibling(const char *url, const char *path, char *out, size_t outlen)
{
	CURLU *u = curl_url();
	char *s = NULL;
	int r = -1;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PATH, path, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK &&
	    (size_t)snprintf(out, outlen, "%s", s) < outlen)
		r = 0;
	curl_free(s);
	curl_url_cleanup(u);
	return (r);
}

static int
on_robots_sitemap(void *priv, const char *url, unsigned line)
{
	struct parse_ctx *pc;
	struct sitemap_crawl *sc;
	char why[256];

	CAST_OBJ_NOTNULL(pc, priv, PARSE_CTX_MAGIC);
	sc = pc->sc;
	/* Only sitemaps of the site being warmed: never someone else's
	 * (the robots.txt's own URL, where a redirect may have led). */
	if (sitemap_url_check(pc->d->url, url, 0, why, sizeof why) != 0) {
		note(sc, "%s line %u: sitemap %s left out: %s", pc->d->url,
		    line, url, why);
		return (0);
	}
	if (want(sc, DOC_SITEMAP, url, 0, 0) != 0) {
		failed(sc, "more than %u sitemaps: the rest left out",
		    sc->conf.max_sitemaps);
		return (1);
	}
	return (0);
}

/* Is loc an http(s) URL of another host than url's? */
static int
foreign(const char *url, const char *loc)
{
	struct addr_url a, b;
	const char *why;

	return (addr_url_parse(url, &a, &why) == 0 &&
	    addr_url_parse(loc, &b, &why) == 0 && strcmp(a.host, b.host) != 0);
}

static int
on_entry(void *priv, enum sitemap_kind kind, const struct sitemap_entry *e)
{
	struct parse_ctx *pc;
	struct sitemap_crawl *sc;
	char why[256];

	CAST_OBJ_NOTNULL(pc, priv, PARSE_CTX_MAGIC);
	sc = pc->sc;
	if (sc->stopping)
		return (1);
	if (sitemap_url_check(pc->d->url, e->loc, sc->conf.limits.max_url, why,
	        sizeof why) != 0) {
		if (foreign(pc->d->url, e->loc))
			sc->stats.foreign++;
		if (sc->stats.rejected++ < MAX_REJECT_NOTES)
			note(sc, "%s line %u: %s", pc->d->url, e->line, why);
		return (0);
	}
	if (kind == SITEMAP_INDEX) {
		if (pc->d->depth + 1 >= MAX_DEPTH) {
			sc->stats.too_deep++;
			if (sc->stats.rejected++ < MAX_REJECT_NOTES)
				note(sc,
				    "%s line %u: indexes nested too deep: "
				    "%s left out",
				    pc->d->url, e->line, e->loc);
			return (0);
		}
		if (want(sc, DOC_SITEMAP, e->loc, pc->d->depth + 1, 0) != 0) {
			failed(sc, "more than %u sitemaps: the rest left out",
			    sc->conf.max_sitemaps);
			return (1);
		}
		return (0);
	}
	if (sc->stats.urls == sc->conf.max_urls) {
		failed(sc, "more than %zu URLs: the rest left out",
		    sc->conf.max_urls);
		sc->stopping = 1;
		return (1);
	}
	sc->stats.urls++;
	sc->url_cb(sc->priv, e->loc, sitemap_value(e, sc->now));
	/* sc_stop() from the callback. */
	return (sc->stopping ? 1 : 0);
}

static void
read_sitemap(struct sitemap_crawl *sc, struct doc *d,
    const struct fetch_result *res)
{
	struct parse_ctx pc = { PARSE_CTX_MAGIC, sc, d };
	struct sitemap_stats st;
	char err[512];
	int r;

	r = sitemap_parse(res->body, res->body_bytes, &sc->conf.limits,
	    on_entry, &pc, &st, err, sizeof err);
	if (r < 0) {
		failed(sc, "%s: %s", d->url, err);
		return;
	}
	sc->stats.sitemaps++;
	if (sc->conf.doc != NULL)
		sc->conf.doc(sc->priv, d->url, st.kind == SITEMAP_INDEX);
	note(sc, "%s: %s, %zu entries", d->url,
	    st.kind == SITEMAP_INDEX ? "sitemap index" : "sitemap", st.entries);
}

static void
read_robots(struct sitemap_crawl *sc, struct doc *d,
    const struct fetch_result *res)
{
	struct parse_ctx pc = { PARSE_CTX_MAGIC, sc, d };
	struct robots_stats st;
	char err[512], url[2048];
	int r;

	memset(&st, 0, sizeof st);
	if (res->status == 200) {
		r = robots_sitemaps(d->url, res->body, res->body_bytes, NULL,
		    on_robots_sitemap, &pc, &st, err, sizeof err);
		if (r < 0)
			note(sc, "%s: %s", d->url, err);
	}
	if (st.sitemaps > 0) {
		note(sc, "%s: %zu sitemap%s", d->url, st.sitemaps,
		    st.sitemaps == 1 ? "" : "s");
		return;
	}
	/* No robots.txt or no Sitemap: line: where sitemaps usually are. */
	if (sibling(d->url, "/sitemap.xml", url, sizeof url) == 0) {
		note(sc, "%s names no sitemap: trying %s", d->url, url);
		(void)want(sc, DOC_SITEMAP, url, 0, 0);
	}
}

/* location, as answered to url, resolved against it. */
static int
resolve(const char *url, const char *location, char *out, size_t outlen)
{
	CURLU *u = curl_url();
	char *s = NULL;
	int r = -1;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK &&
	    (size_t)snprintf(out, outlen, "%s", s) < outlen)
		r = 0;
	curl_free(s);
	curl_url_cleanup(u);
	return (r);
}

/*
 * A redirect, followed as the same document if it stays on the host:
 * 0, or -1 with why.  A document redirected to one already read is not
 * read twice.
 */
static int
follow(struct sitemap_crawl *sc, const struct doc *d, const char *location,
    char *why, size_t whylen)
{
	struct addr_url from, to;
	const char *e;
	char url[2048];

	if (d->redirects >= MAX_REDIRECTS) {
		snprintf(why, whylen, "more than %d redirects", MAX_REDIRECTS);
		return (-1);
	}
	if (resolve(d->url, location, url, sizeof url) != 0 ||
	    addr_url_parse(url, &to, &e) != 0) {
		snprintf(why, whylen, "redirected to an unusable URL");
		return (-1);
	}
	AZ(addr_url_parse(d->url, &from, &e));
	if (strcmp(from.host, to.host) != 0) {
		snprintf(why, whylen,
		    "redirected to another host (%s): not followed", to.host);
		return (-1);
	}
	note(sc, "%s: redirected to %s", d->url, url);
	if (want(sc, d->kind, url, d->depth, d->redirects + 1) != 0) {
		snprintf(why, whylen, "more than %u sitemaps",
		    sc->conf.max_sitemaps);
		return (-1);
	}
	return (0);
}

static void
redirected(struct sitemap_crawl *sc, struct doc *d,
    const struct fetch_result *res)
{
	char why[512];

	if (follow(sc, d, res->location, why, sizeof why) == 0)
		return;
	if (d->kind == DOC_SITEMAP) {
		failed(sc, "%s: %s", d->url, why);
		return;
	}
	/* As a robots.txt that is not there: /sitemap.xml next. */
	note(sc, "%s: %s", d->url, why);
	read_robots(sc, d, res);
}

static int
is_redirect(const struct fetch_result *res)
{
	return (res->ok && res->location != NULL &&
	    (res->status == 301 || res->status == 302 || res->status == 303 ||
	        res->status == 307 || res->status == 308));
}

static void
sc_on_fetched(void *priv, const struct fetch_result *res)
{
	struct doc *d;
	struct sitemap_crawl *sc;

	CAST_OBJ_NOTNULL(d, priv, DOC_MAGIC);
	sc = d->sc;
	if (sc == NULL) {
		/* The crawl was stopped while this was in flight. */
		doc_free(d);
		return;
	}
	CHECK_OBJ_NOTNULL(sc, SC_MAGIC);
	assert(sc->current == d);
	sc->current = NULL;
	if (is_redirect(res))
		redirected(sc, d, res);
	else if (d->kind == DOC_ROBOTS && res->ok)
		read_robots(sc, d, res);
	else if (!res->ok)
		failed(sc, "%s: %s", d->url, res->error);
	else if (res->status != 200) {
		if (res->status == 404 || res->status == 410)
			sc->stats.missing++;
		failed(sc, "%s: HTTP %ld", d->url, res->status);
	} else
		read_sitemap(sc, d, res);
	doc_free(d);
	next(sc);
}

static void
sc_finish(struct sitemap_crawl *sc)
{
	/* sc_new() says so itself: its caller has no crawl to free yet. */
	if (sc->starting) {
		sc->ended = 1;
		return;
	}
	if (sc->stats.sitemaps == 0 && sc->first_err[0] == '\0')
		snprintf(sc->first_err, sizeof sc->first_err,
		    "no sitemap found for %s", sc->start);
	sc->done_cb(sc->priv, &sc->stats,
	    sc->first_err[0] != '\0' ? sc->first_err : NULL);
}

static void
next(struct sitemap_crawl *sc)
{
	struct fetch_req rq;
	struct doc *d;

	while ((d = VTAILQ_FIRST(&sc->todo)) != NULL) {
		VTAILQ_REMOVE(&sc->todo, d, list);
		if (sc->stopping) {
			doc_free(d);
			continue;
		}
		memset(&rq, 0, sizeof rq);
		rq.url = d->url;
		if (sc->conf.node != NULL) {
			if (warm_url_split(d->url, sc->conf.node, d->target,
			        sizeof d->target, d->host, sizeof d->host,
			        d->path, sizeof d->path) != 0) {
				failed(sc, "%s: URL too long", d->url);
				doc_free(d);
				continue;
			}
			rq.url = d->target;
			rq.host = d->host;
		}
		rq.method = "GET";
		rq.timeout = sc->conf.timeout;
		/* Compressed, a sitemap is smaller than inflated. */
		rq.body_max = d->kind == DOC_ROBOTS ? ROBOTS_MAX_BYTES
		                                    : sc->conf.limits.max_bytes;
		d->sc = sc;
		sc->current = d;
		sc->fetched++;
		if (fetcher_submit(sc->f, &rq, sc_on_fetched, d) == 0)
			return;
		sc->current = NULL;
		failed(sc, "%s: cannot be fetched", d->url);
		doc_free(d);
	}
	sc_finish(sc);
}

/* Where to begin: a site's robots.txt, or the sitemap given. */
static int
first_doc(struct sitemap_crawl *sc)
{
	char *path = NULL, url[2048];
	CURLU *u = curl_url();
	int r = -1, site;

	if (u == NULL ||
	    curl_url_set(u, CURLUPART_URL, sc->start, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	site = !strcmp(path, "/") || !strcmp(path, "");
	if (site || !strcmp(path, "/robots.txt")) {
		if (sibling(sc->start, "/robots.txt", url, sizeof url) != 0)
			goto out;
		r = want(sc, DOC_ROBOTS, url, 0, 0);
	} else {
		r = want(sc, DOC_SITEMAP, sc->start, 0, 0);
	}
out:
	curl_free(path);
	curl_url_cleanup(u);
	return (r);
}

struct sitemap_crawl *
sc_new(struct fetcher *f, const struct sc_conf *c, sc_url_f *url_cb,
    sc_note_f *note_cb, sc_done_f *done_cb, void *priv)
{
	struct sitemap_crawl *sc;
	char why[256];

	AN(f);
	AN(c);
	AN(c->start);
	AN(url_cb);
	AN(done_cb);
	sc = calloc(1, sizeof *sc);
	AN(sc);
	sc->magic = SC_MAGIC;
	sc->f = f;
	sc->conf = *c;
	sc->start = strdup(c->start);
	AN(sc->start);
	sc->conf.start = sc->start;
	if (c->node != NULL) {
		sc->node = strdup(c->node);
		AN(sc->node);
		sc->conf.node = sc->node;
	}
	if (sc->conf.limits.max_bytes == 0)
		sc->conf.limits.max_bytes = SITEMAP_MAX_BYTES;
	if (sc->conf.max_urls == 0)
		sc->conf.max_urls = MAX_URLS_DEFAULT;
	if (sc->conf.max_sitemaps == 0)
		sc->conf.max_sitemaps = MAX_SITEMAPS_DEFAULT;
	if (sc->conf.timeout <= 0)
		sc->conf.timeout = TIMEOUT_DEFAULT;
	sc->now = VTIM_real();
	sc->url_cb = url_cb;
	sc->note_cb = note_cb;
	sc->done_cb = done_cb;
	sc->priv = priv;
	VTAILQ_INIT(&sc->todo);
	/* The start itself must be a plain http(s) URL. */
	if (sitemap_url_check(sc->start, sc->start, 0, why, sizeof why) != 0 ||
	    first_doc(sc) != 0) {
		sc_free(&sc);
		return (NULL);
	}
	sc->starting = 1;
	next(sc);
	sc->starting = 0;
	if (sc->ended)
		sc_free(&sc);
	return (sc);
}

void
sc_free(struct sitemap_crawl **scp)
{
	struct sitemap_crawl *sc;
	struct seen *s, *t;
	struct doc *d;

	AN(scp);
	sc = *scp;
	*scp = NULL;
	if (sc == NULL)
		return;
	CHECK_OBJ_NOTNULL(sc, SC_MAGIC);
	/* In the fetcher's hands: it frees itself when it comes back. */
	if (sc->current != NULL)
		sc->current->sc = NULL;
	while ((d = VTAILQ_FIRST(&sc->todo)) != NULL) {
		VTAILQ_REMOVE(&sc->todo, d, list);
		doc_free(d);
	}
	HASH_ITER(hh, sc->seen, s, t)
	{
		HASH_DEL(sc->seen, s);
		free(s->url);
		free(s);
	}
	free(sc->start);
	free(sc->node);
	sc->magic = 0;
	free(sc);
}

void
sc_stop(struct sitemap_crawl *sc)
{
	CHECK_OBJ_NOTNULL(sc, SC_MAGIC);
	/* on_entry() and next() see it. */
	sc->stopping = 1;
}

const struct sc_stats *
sc_stats(const struct sitemap_crawl *sc)
{
	CHECK_OBJ_NOTNULL(sc, SC_MAGIC);
	return (&sc->stats);
}
