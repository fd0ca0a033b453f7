/*
 * The crawl is a queue of URLs to fetch, worked through one at a time
 * from one timer: each step waits for the Crawl-delay since the last
 * answer came, takes the next URL, and fetches it; its answer queues
 * what it links to and schedules the next step.  A set of every URL
 * seen (queued, fetched, refused) keeps each fetched once; it is
 * bounded, as the queue is with it.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"
#include "vtim.h"

#include "fetch/fetcher.h"
#include "html_links.h"
#include "robots.h"
#include "site_crawl.h"

#define CRAWL_TIMEOUT_DEFAULT 30.0
/* Redirects followed from one link, as browsers cap them. */
#define CRAWL_MAX_HOPS 5
/* URLs remembered, fetched or not, per page the crawl may fetch. */
#define CRAWL_SEEN_PER_PAGE 20
/* Of each kind of thing left out, the first few are worth a note. */
#define CRAWL_NOTES_EACH 3

const char *const crawl_end_why[CRAWL_END__MAX] = {
	[CRAWL_END_ALL] = "every page within the depth was read",
	[CRAWL_END_PAGES] = "the page limit was reached",
	[CRAWL_END_TIME] = "the time limit was reached",
	[CRAWL_END_STOPPED] = "it was stopped, having found enough",
};

enum cu_kind { CU_ROBOTS, CU_PAGE };

struct cu {
	unsigned magic;
#define CU_MAGIC 0x3a9e51c1
	struct site_crawl *sc; /* NULL: the crawl was freed meanwhile */
	enum cu_kind kind;
	unsigned depth, hops;
	char *url;
	VTAILQ_ENTRY(cu) list;
};

struct seen {
	char *url;
	UT_hash_handle hh;
};

struct site_crawl {
	unsigned magic;
#define SITE_CRAWL_MAGIC 0x3a9e51c2
	struct fetcher *f;
	struct event *step;
	struct crawl_conf conf;
	char *start;
	size_t site_len; /* of start: "http://host:port" */
	struct robots_rules *rules;
	double delay; /* between fetches */
	double began, last; /* monotonic: the crawl's, the last answer's */
	crawl_url_f *url_cb;
	crawl_note_f *note_cb;
	crawl_done_f *done_cb;
	void *priv;
	VTAILQ_HEAD(, cu) todo;
	unsigned ntodo;
	struct cu *current;
	struct seen *seen;
	unsigned nseen, max_seen;
	struct crawl_stats st;
	char err[512];
	int stopping, ended;
};

/* The page being read, for its links. */
struct page_ctx {
	unsigned magic;
#define PAGE_CTX_MAGIC 0x3a9e51c3
	struct site_crawl *sc;
	struct cu *cu;
};

static void __attribute__((format(printf, 2, 3)))
crawl_note(struct site_crawl *sc, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (sc->note_cb == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sc->note_cb(sc->priv, buf);
}

static void
cu_free(struct cu *cu)
{
	free(cu->url);
	FREE_OBJ(cu);
}

static int
crawl_seen(struct site_crawl *sc, const char *url)
{
	struct seen *s;

	HASH_FIND_STR(sc->seen, url, s);
	return (s != NULL);
}

/* Remember url; -1 when the set is full. */
static int
crawl_remember(struct site_crawl *sc, const char *url)
{
	struct seen *s;

	if (sc->nseen == sc->max_seen)
		return (-1);
	s = calloc(1, sizeof *s);
	AN(s);
	s->url = strdup(url);
	AN(s->url);
	HASH_ADD_KEYPTR(hh, sc->seen, s->url, strlen(s->url), s);
	sc->nseen++;
	return (0);
}

static int
crawl_on_site(const struct site_crawl *sc, const char *url)
{
	return (url_norm_site_len(url) == sc->site_len &&
	    !strncmp(url, sc->start, sc->site_len));
}

static void
crawl_push(struct site_crawl *sc, enum cu_kind kind, const char *url,
    unsigned depth, unsigned hops, int first)
{
	struct cu *cu;

	ALLOC_OBJ(cu, CU_MAGIC);
	AN(cu);
	cu->kind = kind;
	cu->depth = depth;
	cu->hops = hops;
	cu->url = strdup(url);
	AN(cu->url);
	if (first)
		VTAILQ_INSERT_HEAD(&sc->todo, cu, list);
	else
		VTAILQ_INSERT_TAIL(&sc->todo, cu, list);
	sc->ntodo++;
}

/*
 * A URL of the site, to fetch at depth unless seen before or kept out
 * by robots.txt.  first: a redirect's, fetched next to keep its chain
 * together.
 */
static void
crawl_want(struct site_crawl *sc, const char *url, unsigned depth,
    unsigned hops, int first)
{
	if (crawl_seen(sc, url))
		return;
	if (crawl_remember(sc, url) != 0) {
		/* Far more URLs than pages may be fetched: the rest would
		 * never be reached anyway. */
		sc->st.unfetched++;
		return;
	}
	if (!robots_allowed(sc->rules, url + sc->site_len)) {
		if (sc->st.disallowed++ < CRAWL_NOTES_EACH)
			crawl_note(sc, "%s: kept out by robots.txt", url);
		return;
	}
	crawl_push(sc, CU_PAGE, url, depth, hops, first);
}

/*--------------------------------------------------------------------
 * What a page links to
 */

static void
crawl_on_link(void *priv, enum html_link_kind kind, const char *url)
{
	struct page_ctx *pc;
	struct site_crawl *sc;
	char key[URL_NORM_MAX + 8];

	CAST_OBJ_NOTNULL(pc, priv, PAGE_CTX_MAGIC);
	sc = pc->sc;
	if (sc->stopping)
		return;
	if (!crawl_on_site(sc, url)) {
		if (sc->st.offsite++ < CRAWL_NOTES_EACH)
			crawl_note(sc,
			    "%s: links to another site: %s not "
			    "followed",
			    pc->cu->url, url);
		return;
	}
	if (kind == HTML_ESI) {
		/* Its own key: a fragment may be a page too. */
		snprintf(key, sizeof key, "esi %s", url);
		if (crawl_seen(sc, key) || crawl_remember(sc, key) != 0)
			return;
		sc->st.fragments++;
		sc->url_cb(sc->priv, url, pc->cu->depth, 1);
		return;
	}
	if (pc->cu->depth >= sc->conf.max_depth) {
		if (!crawl_seen(sc, url))
			sc->st.too_deep++;
		return;
	}
	crawl_want(sc, url, pc->cu->depth + 1, 0, 0);
}

static void
crawl_read_page(struct site_crawl *sc, struct cu *cu,
    const struct fetch_result *res)
{
	struct page_ctx pc = { PAGE_CTX_MAGIC, sc, cu };
	struct html_links_stats hs;

	if (!html_is_html(res->content_type)) {
		if (sc->st.not_html++ < CRAWL_NOTES_EACH)
			crawl_note(sc, "%s: %s, not HTML: not warmed", cu->url,
			    res->content_type != NULL ? res->content_type
			                              : "no Content-Type");
		return;
	}
	sc->st.pages++;
	sc->url_cb(sc->priv, cu->url, cu->depth, 0);
	if (res->cut && sc->st.cut++ < CRAWL_NOTES_EACH)
		crawl_note(sc, "%s: longer than %zu bytes: read up to there",
		    cu->url, sc->conf.page_bytes);
	if (sc->stopping)
		return;
	(void)html_links(cu->url, res->body, res->body_bytes, sc->conf.drop,
	    crawl_on_link, &pc, &hs);
	sc->st.nofollow += hs.nofollow;
}

/*--------------------------------------------------------------------
 * Answers
 */

static void
crawl_redirect(struct site_crawl *sc, struct cu *cu, const char *location)
{
	char url[URL_NORM_MAX + 1];
	const char *why;

	if (url_norm(cu->url, location, sc->conf.drop, url, sizeof url, &why) !=
	    0) {
		sc->st.failed++;
		crawl_note(sc, "%s: redirected to an unusable URL (%s)",
		    cu->url, why);
	} else if (!crawl_on_site(sc, url)) {
		if (sc->st.offsite++ < CRAWL_NOTES_EACH)
			crawl_note(sc,
			    "%s: redirected to another site: %s not "
			    "followed",
			    cu->url, url);
	} else if (crawl_seen(sc, url)) {
		if (sc->st.loops++ < CRAWL_NOTES_EACH)
			crawl_note(sc,
			    "%s: redirected to %s, seen before: a "
			    "loop, or a page read already",
			    cu->url, url);
	} else if (cu->hops + 1 > CRAWL_MAX_HOPS) {
		if (sc->st.too_many_hops++ < CRAWL_NOTES_EACH)
			crawl_note(sc,
			    "%s: more than %d redirects: not "
			    "followed",
			    cu->url, CRAWL_MAX_HOPS);
	} else {
		crawl_want(sc, url, cu->depth, cu->hops + 1, 1);
	}
}

static void
crawl_robots(struct site_crawl *sc, struct cu *cu,
    const struct fetch_result *res)
{
	if (res->ok && res->status == 200)
		sc->rules =
		    robots_rules_new(res->body, res->body_bytes, ROBOTS_AGENT);
	else if (res->ok && res->status >= 300 && res->status < 500) {
		/* Not there; a redirect, not followed, counts as not there
		 * too (RFC 9309 2.3.1.2 and 2.3.1.3). */
		sc->rules = robots_rules_all(1);
		if (res->status < 400)
			crawl_note(sc,
			    "%s: HTTP %ld, not followed: read as "
			    "no robots.txt",
			    cu->url, res->status);
	} else {
		/* RFC 9309 2.3.1.4: unreachable means all disallowed. */
		sc->rules = robots_rules_all(0);
		snprintf(sc->err, sizeof sc->err,
		    "%s could not be read (%s): nothing may be crawled",
		    cu->url,
		    !res->ok
		        ? res->error
		        : (res->status >= 500 ? "a server error"
		                              : "an answer not understood"));
		return;
	}
	sc->st.crawl_delay = robots_crawl_delay(sc->rules);
	if (sc->st.crawl_delay > 0) {
		sc->delay = sc->st.crawl_delay;
		crawl_note(sc, "%s: Crawl-delay %.3g s kept", cu->url,
		    sc->delay);
	}
	crawl_want(sc, sc->start, 0, 0, 0);
	if (sc->ntodo == 0 && sc->err[0] == '\0')
		snprintf(sc->err, sizeof sc->err,
		    "%s: kept out by robots.txt: nothing may be crawled",
		    sc->start);
}

static void
crawl_answer(struct site_crawl *sc, struct cu *cu,
    const struct fetch_result *res)
{
	char why[256];

	if (res->ok && res->status >= 300 && res->status <= 399 &&
	    res->location != NULL) {
		crawl_redirect(sc, cu, res->location);
		return;
	}
	if (res->ok && res->status >= 200 && res->status <= 299) {
		crawl_read_page(sc, cu, res);
		return;
	}
	sc->st.failed++;
	if (res->ok)
		snprintf(why, sizeof why, "HTTP %ld", res->status);
	else
		snprintf(why, sizeof why, "%s", res->error);
	/* Without its start page, a crawl has nothing to go on. */
	if (cu->depth == 0 && sc->st.pages == 0)
		snprintf(sc->err, sizeof sc->err, "%s: %s", cu->url, why);
	else if (sc->st.failed <= CRAWL_NOTES_EACH)
		crawl_note(sc, "%s: %s", cu->url, why);
}

static void crawl_schedule(struct site_crawl *);

static void
crawl_on_fetched(void *priv, const struct fetch_result *res)
{
	struct site_crawl *sc;
	struct cu *cu;

	CAST_OBJ_NOTNULL(cu, priv, CU_MAGIC);
	sc = cu->sc;
	if (sc == NULL) {
		cu_free(cu);
		return;
	}
	CHECK_OBJ_NOTNULL(sc, SITE_CRAWL_MAGIC);
	assert(sc->current == cu);
	sc->current = NULL;
	/* The delay runs from the answer: a slow one is not made up for
	 * by asking sooner. */
	sc->last = VTIM_mono();
	if (cu->kind == CU_ROBOTS)
		crawl_robots(sc, cu, res);
	else
		crawl_answer(sc, cu, res);
	cu_free(cu);
	crawl_schedule(sc);
}

/*--------------------------------------------------------------------
 * Steps
 */

static void
crawl_end(struct site_crawl *sc, enum crawl_end end)
{
	struct cu *cu;

	sc->ended = 1;
	sc->st.end = end;
	while ((cu = VTAILQ_FIRST(&sc->todo)) != NULL) {
		VTAILQ_REMOVE(&sc->todo, cu, list);
		sc->st.unfetched++;
		cu_free(cu);
	}
	sc->ntodo = 0;
	sc->done_cb(sc->priv, &sc->st, sc->err[0] != '\0' ? sc->err : NULL);
}

/* Why the crawl cannot go on, or CRAWL_END__MAX. */
static enum crawl_end
crawl_must_end(const struct site_crawl *sc)
{
	if (sc->stopping)
		return (CRAWL_END_STOPPED);
	if (VTIM_mono() - sc->began > sc->conf.max_seconds)
		return (CRAWL_END_TIME);
	if (VTAILQ_EMPTY(&sc->todo))
		return (CRAWL_END_ALL);
	/* robots.txt is not a page. */
	if (sc->st.fetches > sc->conf.max_pages)
		return (CRAWL_END_PAGES);
	return (CRAWL_END__MAX);
}

static void
crawl_fetch(struct site_crawl *sc)
{
	struct fetch_req rq;
	struct cu *cu;
	enum crawl_end e;

	e = crawl_must_end(sc);
	if (e != CRAWL_END__MAX) {
		crawl_end(sc, e);
		return;
	}
	cu = VTAILQ_FIRST(&sc->todo);
	VTAILQ_REMOVE(&sc->todo, cu, list);
	sc->ntodo--;
	memset(&rq, 0, sizeof rq);
	rq.url = cu->url;
	rq.method = "GET";
	rq.timeout = sc->conf.timeout;
	rq.body_max =
	    cu->kind == CU_ROBOTS ? ROBOTS_MAX_BYTES : sc->conf.page_bytes;
	rq.body_cut = 1;
	cu->sc = sc;
	sc->current = cu;
	sc->st.fetches++;
	if (fetcher_submit(sc->f, &rq, crawl_on_fetched, cu) == 0)
		return;
	sc->current = NULL;
	sc->st.failed++;
	crawl_note(sc, "%s: cannot be fetched", cu->url);
	cu_free(cu);
	crawl_schedule(sc);
}

static void
crawl_on_step(evutil_socket_t fd, short what, void *priv)
{
	struct site_crawl *sc;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(sc, priv, SITE_CRAWL_MAGIC);
	crawl_fetch(sc);
}

/* The next step, from the loop, a Crawl-delay after the last fetch. */
static void
crawl_schedule(struct site_crawl *sc)
{
	struct timeval tv;
	double wait = 0;

	if (!sc->stopping && !VTAILQ_EMPTY(&sc->todo))
		wait = sc->last + sc->delay - VTIM_mono();
	if (wait < 0)
		wait = 0;
	tv.tv_sec = (time_t)wait;
	tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	/*
	 * A timer counts from the loop's cached time, which is as old as
	 * this pass over the loop: on a busy machine, older than the
	 * answer, and the next fetch would come early.
	 */
	AZ(event_base_update_cache_time(event_get_base(sc->step)));
	AZ(evtimer_add(sc->step, &tv));
}

/*--------------------------------------------------------------------
 * site_crawl.h
 */

struct site_crawl *
site_crawl_new(struct event_base *eb, struct fetcher *f,
    const struct crawl_conf *c, crawl_url_f *url_cb, crawl_note_f *note_cb,
    crawl_done_f *done_cb, void *priv)
{
	struct site_crawl *sc;
	char url[URL_NORM_MAX + 1];
	const char *why;

	AN(eb);
	AN(f);
	AN(c);
	AN(c->start);
	AN(url_cb);
	AN(done_cb);
	if (url_norm(NULL, c->start, c->drop, url, sizeof url, &why) != 0)
		return (NULL);
	ALLOC_OBJ(sc, SITE_CRAWL_MAGIC);
	AN(sc);
	sc->f = f;
	sc->conf = *c;
	sc->start = strdup(url);
	AN(sc->start);
	sc->conf.start = sc->start;
	sc->site_len = url_norm_site_len(sc->start);
	assert(sc->site_len > 0);
	if (sc->conf.max_depth == 0)
		sc->conf.max_depth = CRAWL_DEPTH_DEFAULT;
	if (sc->conf.max_depth > CRAWL_DEPTH_MAX)
		sc->conf.max_depth = CRAWL_DEPTH_MAX;
	if (sc->conf.max_pages == 0)
		sc->conf.max_pages = CRAWL_PAGES_DEFAULT;
	if (sc->conf.page_bytes == 0)
		sc->conf.page_bytes = CRAWL_PAGE_BYTES;
	if (!(sc->conf.timeout > 0))
		sc->conf.timeout = CRAWL_TIMEOUT_DEFAULT;
	if (!(sc->conf.max_seconds > 0))
		sc->conf.max_seconds = CRAWL_SECONDS_DEFAULT;
	if (sc->conf.drop == NULL)
		sc->conf.drop = &url_norm_tracking;
	sc->max_seen = sc->conf.max_pages * CRAWL_SEEN_PER_PAGE;
	sc->st.crawl_delay = -1;
	sc->url_cb = url_cb;
	sc->note_cb = note_cb;
	sc->done_cb = done_cb;
	sc->priv = priv;
	VTAILQ_INIT(&sc->todo);
	sc->step = evtimer_new(eb, crawl_on_step, sc);
	AN(sc->step);
	sc->began = VTIM_mono();
	/* robots.txt first: nothing else is fetched before it is read. */
	snprintf(url, sizeof url, "%.*s/robots.txt", (int)sc->site_len,
	    sc->start);
	crawl_push(sc, CU_ROBOTS, url, 0, 0, 0);
	crawl_schedule(sc);
	return (sc);
}

void
site_crawl_stop(struct site_crawl *sc)
{
	CHECK_OBJ_NOTNULL(sc, SITE_CRAWL_MAGIC);
	if (sc->stopping || sc->ended)
		return;
	sc->stopping = 1;
	/* The fetch in flight comes back to an end; else the timer. */
	if (sc->current == NULL)
		crawl_schedule(sc);
}

void
site_crawl_free(struct site_crawl **scp)
{
	struct site_crawl *sc;
	struct seen *s, *t;
	struct cu *cu;

	TAKE_OBJ_NOTNULL(sc, scp, SITE_CRAWL_MAGIC);
	/* In the fetcher's hands: it frees itself when it comes back. */
	if (sc->current != NULL)
		sc->current->sc = NULL;
	while ((cu = VTAILQ_FIRST(&sc->todo)) != NULL) {
		VTAILQ_REMOVE(&sc->todo, cu, list);
		cu_free(cu);
	}
	HASH_ITER(hh, sc->seen, s, t)
	{
		HASH_DEL(sc->seen, s);
		free(s->url);
		free(s);
	}
	if (sc->rules != NULL)
		robots_rules_free(&sc->rules);
	event_free(sc->step);
	free(sc->start);
	FREE_OBJ(sc);
}
