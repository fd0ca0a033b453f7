/*
 * A warm batch kept topped up from its job's feed (warm_feed.h), on the
 * batch's own loop: whenever fewer than `low` of its requests are left
 * to start it takes as many again; when the feed is empty it waits to
 * be woken; once the feed has ended it closes the batch.  Made on the
 * thread that will run the loop, or before that thread starts.
 */

#ifndef STOKE_WARM_TAP_H
#define STOKE_WARM_TAP_H

struct event_base;
struct warm_batch;
struct warm_feed;
struct warm_tap;

/*
 * A batch of that concurrency is topped up below this: often enough to
 * lock the feed once for a few requests, seldom enough that what it
 * holds back behind slow requests at the end is little.
 */
#define WT_LOW(concurrency) ((concurrency) < 8 ? 1 : (concurrency) / 4)

/* NULL when out of resources. */
struct warm_tap *wt_new(struct warm_feed *, struct event_base *,
    struct warm_batch *, unsigned low);
/* Before its batch is freed. */
void wt_free(struct warm_tap **);

#endif
