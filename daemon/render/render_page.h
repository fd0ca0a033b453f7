/*
 * One page loaded in one tab of a browser, as a visitor would: in a
 * browser context of its own (no cookie or storage of another page),
 * navigated, scrolled to its end to trigger lazy loading, then left
 * until its network has been quiet for a moment (render_idle.h), all
 * within a time bound.  What it asked for and its timings are reported.
 *
 * Every request the page (or a frame or worker of it) makes is paused
 * by the Fetch domain and answered by stoked, never by the browser's
 * own network: only GET and HEAD of http(s) URLs on one of the allowed
 * hosts (the website's, its declared asset hosts) are fetched, through
 * the Varnish node with the URL's Host, with the variant's headers, on
 * the caller's fetcher (so its origin guard holds each one until it
 * may go); anything else fails as BlockedByClient and is counted.
 * Popups are counted, and closed as they open if the browser's own
 * blocker lets them through.
 *
 * Driven by render_pool.c, which owns the browser and routes its
 * events here.
 */

#ifndef STOKE_RENDER_PAGE_H
#define STOKE_RENDER_PAGE_H

#include <stdint.h>

#include <jansson.h>

#include "fetch/fetcher.h"

struct cdp_pipe;
struct event_base;
struct render_page;

#define RENDER_MAX_HOSTS 17 /* the website's and 16 asset hosts */
#define RENDER_MAX_HDRS (FETCH_MAX_HDRS - 2) /* and Accept, a spare */

struct render_req {
	const char *url; /* the page */
	const char *node; /* http://ADDR:PORT for every request; NULL: none */
	const char *hosts[RENDER_MAX_HOSTS]; /* let through, by name */
	unsigned nhost;
	const char *hdrs[RENDER_MAX_HDRS]; /* "Name: value", the variant's */
	unsigned nhdr;
	enum fetch_addr addr; /* where a fetch may connect */
	double timeout; /* seconds for the whole page; 0: 30 */
	double quiet; /* seconds without a request that make idle; 0: 0.5 */
};

/* A request the page made, other than its own document. */
struct render_sub {
	char *url;
	char *type; /* the browser's resourceType: Stylesheet, Image, XHR... */
	long status; /* 0: no answer */
	uint64_t bytes;
	unsigned hit; /* Varnish answered from its cache */
};

/* Milliseconds from the navigation's start; < 0: unknown. */
struct render_timings {
	double ttfb, dcl, load, lcp, tti;
};

struct render_report {
	const char *error; /* NULL: rendered; else why not in full */
	int crashed, timed_out;
	struct render_timings t;
	const struct render_sub *subs; /* each URL once */
	unsigned nsub;
	unsigned sub_hits;
	uint64_t sub_bytes;
	unsigned blocked; /* requests refused */
	unsigned popups; /* windows it opened, closed */
	double elapsed; /* seconds */
};

typedef void render_done_f(void *priv, const struct render_report *);

/*
 * The report as page_results.timings holds it (0023_render.sql):
 * {"ttfb_ms", "dcl_ms", "load_ms", "lcp_ms", "tti_ms", "subrequests",
 * "subrequest_bytes", "subrequest_hits", "blocked", "popups",
 * "render_ms", "error"}, unknown times null.  To free.
 */
char *render_report_json(const struct render_report *);
/*
 * Such a report (json) with what the plan's warm requests of the day
 * left out of its assets: "assets_cut", how many were not warmed, and
 * "assets_note", why (may be NULL).  To free.
 */
char *render_report_cut(const char *json, unsigned cut, const char *note);

/* For render_pool.c.  The page starts at once; done is called once,
 * never from in here. */
struct render_page *render_page_start(struct event_base *, struct cdp_pipe *,
    struct fetcher *, const struct render_req *, render_done_f *, void *priv);
/* A browser event that may be this page's (1: it was). */
int render_page_event(struct render_page *, const char *session,
    const char *method, json_t *params);
/* The browser has gone: the page ends with why. */
void render_page_lost(struct render_page *, const char *why);
int render_page_ended(const struct render_page *);
void render_page_free(struct render_page **);

#endif
