/*
 * A tap keeps between `low` and twice that many requests ready to start
 * in its batch: few enough that the loops run out of work together at
 * the end, enough that the feed's lock is taken once for many requests.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/wake_pipe.h"
#include "warm_batch.h"
#include "warm_feed.h"
#include "warm_tap.h"

#define WT_MAX_TAKE 256

struct warm_tap {
	unsigned magic;
#define WARM_TAP_MAGIC 0x2b6f0c93
	struct warm_feed *feed;
	struct warm_batch *job;
	struct event *wake_ev;
	int pipe[2];
	unsigned low;
	unsigned asleep; /* the feed was empty: it writes to pipe[1] */
	unsigned ended; /* the feed has: the batch is closed */
};

/*
 * The batch's low callback, and only that: the batch asks again for as
 * long as it is low, whatever came of what was taken (started, or
 * refused at once).
 */
static void
fill(struct warm_tap *t)
{
	const char *url[WT_MAX_TAKE];
	size_t n, i;
	int ended;

	if (t->asleep || t->ended)
		return;
	n = wf_take(t->feed, url, t->low, t->pipe[1], &ended);
	for (i = 0; i < n; i++)
		wb_add_listed(t->job, url[i]);
	if (n > 0)
		return;
	if (!ended) {
		t->asleep = 1;
		return;
	}
	t->ended = 1;
	/* Last: the batch may end at once. */
	wb_close(t->job);
}

static void
on_low(void *priv)
{
	struct warm_tap *t;

	CAST_OBJ_NOTNULL(t, priv, WARM_TAP_MAGIC);
	fill(t);
}

static void
on_wake(evutil_socket_t fd, short what, void *priv)
{
	struct warm_tap *t;

	(void)what;
	CAST_OBJ_NOTNULL(t, priv, WARM_TAP_MAGIC);
	wake_pipe_drain(fd);
	t->asleep = 0;
	wb_kick(t->job);
}

struct warm_tap *
wt_new(struct warm_feed *feed, struct event_base *eb, struct warm_batch *job,
    unsigned low)
{
	struct warm_tap *t;

	AN(feed);
	AN(eb);
	AN(job);
	ALLOC_OBJ(t, WARM_TAP_MAGIC);
	if (t == NULL)
		return (NULL);
	t->feed = feed;
	t->job = job;
	t->low = low < 1 ? 1 : low > WT_MAX_TAKE ? WT_MAX_TAKE : low;
	if (wake_pipe(t->pipe) != 0) {
		FREE_OBJ(t);
		return (NULL);
	}
	t->wake_ev =
	    event_new(eb, t->pipe[0], EV_READ | EV_PERSIST, on_wake, t);
	if (t->wake_ev == NULL || event_add(t->wake_ev, NULL) != 0) {
		wt_free(&t);
		return (NULL);
	}
	wb_set_low(job, t->low, on_low, t);
	/* Empty as it is likely to be: the first URLs wake it. */
	wb_kick(job);
	return (t);
}

void
wt_free(struct warm_tap **pt)
{
	struct warm_tap *t;

	TAKE_OBJ_NOTNULL(t, pt, WARM_TAP_MAGIC);
	wb_set_low(t->job, 0, NULL, NULL);
	wf_forget(t->feed, t->pipe[1]);
	if (t->wake_ev != NULL)
		event_free(t->wake_ev);
	(void)close(t->pipe[0]);
	(void)close(t->pipe[1]);
	FREE_OBJ(t);
}
