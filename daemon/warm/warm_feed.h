/*
 * The URLs of one warm job run on several loops (`stoked warm --loops`),
 * listed once each, for the loops to take a few at a time as each runs
 * low (warm_tap.h).  Dealt out up front, one loop may still be busy
 * long after another has run dry; taken as needed, they end together.
 *
 * URLs are put and the feed closed from one thread, the one that lists
 * them; they are taken from any.  A taker that finds it empty leaves a
 * file descriptor, written to once there is more, or the end.
 */

#ifndef STOKE_WARM_FEED_H
#define STOKE_WARM_FEED_H

#include <stddef.h>

struct warm_feed;

struct warm_feed *wf_new(void);
/* 1: listed; 0: listed already; -1: not an http(s) URL (wb_url_ok()). */
int wf_put(struct warm_feed *, const char *url);
/* Wakes whoever waits for what was put since the last wake. */
void wf_flush(struct warm_feed *);
/* No more URLs: whoever waits is woken to find the end. */
void wf_close(struct warm_feed *);
/*
 * Up to max URLs into out, each valid until wf_free().  None: *ended
 * says whether more can come; when it can, wake_fd is written a byte
 * once some has.
 */
size_t wf_take(struct warm_feed *, const char **out, size_t max, int wake_fd,
    int *ended);
/* wake_fd is not to be written any more: its taker is going. */
void wf_forget(struct warm_feed *, int wake_fd);
/* URLs listed so far. */
size_t wf_listed(struct warm_feed *);
int wf_closed(struct warm_feed *);
void wf_free(struct warm_feed **);

#endif
