/*
 * A share of a warm job on an event loop and a thread of its own: its
 * own fetcher, origin guard and warm batch (warm_batch.h), taking URLs
 * from the job's feed (warm_feed.h) as it goes.  One loop is as fast as one
 * thread can send and read; `stoked warm --loops N` runs the job on the
 * home loop and N - 1 of these, each with its share of the concurrency
 * and of the origin's limits, so that together they ask no more of the
 * origin than one loop would.
 *
 * Results are reported on the loop's own thread: the callback must be
 * safe to call from there.  Everything else is called from the home
 * loop's thread.
 */

#ifndef STOKE_WARM_LOOP_H
#define STOKE_WARM_LOOP_H

#include "fetch/origin_guard.h"
#include "warm_batch.h"

struct event_base;
struct warm_feed;
struct warm_loop;

/* On the home loop: this loop's batch has ended (the feed's too). */
typedef void wl_end_f(void *priv);

/*
 * A loop for wc's job under og's limits, its URLs from feed, which must
 * outlive it; ended is called on home's thread.  NULL when out of
 * resources.
 */
struct warm_loop *wl_new(struct event_base *home, struct warm_feed *feed,
    const struct wb_conf *wc, const struct og_conf *og, wb_result_f *result,
    wl_end_f *ended, void *priv);
/* The thread starts; 0, or -1 when none could be made. */
int wl_start(struct warm_loop *);
/* What is done so far; exact once ended has come. */
void wl_progress(struct warm_loop *, struct wb_progress *);
/* Stops the thread (what is in flight is dropped, unreported), frees. */
void wl_free(struct warm_loop **);

#endif
