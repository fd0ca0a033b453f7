/*
 * A few headless browsers, a few tabs each, that render pages
 * (render_page.h) in the order asked.  Browsers start when first
 * needed and are restarted after so many pages, after a page that
 * timed out (its renderer may still spin), past a memory ceiling (the
 * resident size of all their processes), or when they crash; a page
 * then waiting is not lost, it goes to the next browser.  Each page's
 * JavaScript heap is bounded (cdp_conf.heap_mb): a page that allocates
 * without end crashes its own tab, not the worker.
 */

#ifndef STOKE_RENDER_POOL_H
#define STOKE_RENDER_POOL_H

#include <stdint.h>

#include "cdp_pipe.h"
#include "render_page.h"

struct event_base;
struct fetcher;
struct render_pool;

struct render_pool_conf {
	struct cdp_conf cdp;
	unsigned browsers; /* at most; 0: 1 */
	unsigned tabs; /* pages at once in each; 0: 4 */
	unsigned pages; /* a browser is restarted after so many; 0: 200 */
	unsigned long rss_max_mb; /* and past this, all its processes; 0: no */
};

struct render_pool_stats {
	uint64_t pages; /* ended */
	uint64_t failed; /* ended with an error */
	uint64_t crashed, timed_out;
	uint64_t started; /* browsers */
	unsigned queued, running;
	unsigned long rss_kb; /* of the browsers running now */
};

/*
 * Pages render on the fetcher's connections (and its origin guard), in
 * the order submitted.  done is called once per page, from the loop,
 * never from render_pool_submit().
 */
struct render_pool *render_pool_new(struct event_base *, struct fetcher *,
    const struct render_pool_conf *);
/* The request is copied. */
void render_pool_submit(struct render_pool *, const struct render_req *,
    render_done_f *, void *priv);
void render_pool_stats(struct render_pool *, struct render_pool_stats *);
/* Browsers killed; pages queued or running are dropped, unreported. */
void render_pool_free(struct render_pool **);

#endif
