/*
 * A site's pages found by following its links, for a site without a
 * sitemap (or whose owner asks for it): breadth first from a start
 * page, to a depth and a number of pages, on the start's own site only
 * (scheme, host and port, once normalised: url_norm.h), keeping to its
 * robots.txt (Allow, Disallow, Crawl-delay, for ROBOTS_AGENT) and to
 * rel=nofollow and <meta name="robots" content="nofollow">
 * (html_links.h).
 *
 * One page is fetched at a time, on the event loop, Crawl-delay apart,
 * and read up to a byte cap (a longer page is cut there and read as
 * far as it goes).  Only text/html is read for links.  A redirect is
 * followed within the site only, a few hops at most; every URL is
 * fetched once, so a redirect loop or a page linking to itself ends.
 * Traps (an endless calendar, a session id in every link) are held by
 * the normalisation, the depth, the page cap and a time cap.
 */

#ifndef STOKE_SITE_CRAWL_H
#define STOKE_SITE_CRAWL_H

#include <stddef.h>

#include "url_norm.h"

struct event_base;
struct fetcher;
struct site_crawl;

#define CRAWL_DEPTH_DEFAULT 5U
#define CRAWL_DEPTH_MAX 20U
#define CRAWL_PAGES_DEFAULT 500U
#define CRAWL_PAGE_BYTES (2UL * 1024 * 1024)
#define CRAWL_SECONDS_DEFAULT 900.0

struct crawl_conf {
	const char *start; /* an http(s) URL of the site */
	unsigned max_depth; /* links from the start; 0: the default */
	unsigned max_pages; /* pages fetched, robots.txt aside; 0: default */
	size_t page_bytes; /* read of one page; 0: CRAWL_PAGE_BYTES */
	double timeout; /* per fetch; 0: 30 s */
	double max_seconds; /* the whole crawl; 0: the default */
	const struct url_norm_drop *drop; /* NULL: url_norm_tracking */
};

enum crawl_end {
	CRAWL_END_ALL, /* nothing left to follow within the depth */
	CRAWL_END_PAGES, /* the page cap */
	CRAWL_END_TIME, /* the time cap */
	CRAWL_END_STOPPED, /* crawl_stop() */
	CRAWL_END__MAX
};

/* Why the crawl ended, as its notes say it. */
extern const char *const crawl_end_why[CRAWL_END__MAX];

struct crawl_stats {
	enum crawl_end end;
	unsigned pages; /* HTML pages read, and given */
	unsigned fragments; /* ESI fragments given */
	unsigned fetches; /* requests made, robots.txt's included */
	unsigned failed; /* no answer, or not 2xx nor a redirect */
	unsigned not_html; /* answers of another type: not read */
	unsigned cut; /* pages longer than the byte cap, cut */
	unsigned disallowed; /* URLs robots.txt keeps us from: not fetched */
	unsigned offsite; /* links and redirects to other sites: left */
	unsigned nofollow; /* links not followed: rel or meta nofollow */
	unsigned too_deep; /* links past the depth: not followed */
	unsigned loops; /* redirects back to a URL already seen */
	unsigned too_many_hops; /* redirect chains cut at the hop limit */
	unsigned unfetched; /* left queued when the crawl ended */
	double crawl_delay; /* robots.txt's, as kept; < 0: none */
};

/* A page (fragment 0) or one of its ESI fragments, normalised, on the
 * site; each once.  The crawl may be stopped from here. */
typedef void
crawl_url_f(void *priv, const char *url, unsigned depth, int fragment);
/* Something worth telling whoever runs the crawl. */
typedef void crawl_note_f(void *priv, const char *msg);
/*
 * The end; err non-NULL when nothing could be crawled (robots.txt
 * unreadable, the start page not there).  The crawl may be freed from
 * here.
 */
typedef void
crawl_done_f(void *priv, const struct crawl_stats *, const char *err);

/* NULL when the start is not an http(s) URL or cannot be fetched at all;
 * no callback is called from in here. */
struct site_crawl *
site_crawl_new(struct event_base *, struct fetcher *, const struct crawl_conf *,
    crawl_url_f *, crawl_note_f *, crawl_done_f *, void *priv);
/* Fetch no more: done is called from the loop, once the fetch in flight
 * (if any) has ended. */
void site_crawl_stop(struct site_crawl *);
/* Stopped while it runs, it calls nothing any more. */
void site_crawl_free(struct site_crawl **);

#endif
