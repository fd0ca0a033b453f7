/*
 * A warm batch on a loop and a thread of its own.  It takes its URLs
 * from the job's feed through a tap (warm_tap.h), a few at a time; it
 * tells the home loop that its batch ended with a byte on a pipe, and
 * is told to stop the same way.  What a request costs stays on one
 * thread: its fetch, its answer, its verdict.  Handing each request or
 * answer to another thread costs two wake-ups a request, more than the
 * second thread gives.
 */

#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/loop.h"
#include "core/wake_pipe.h"
#include "fetch/fetcher.h"
#include "warm_loop.h"
#include "warm_tap.h"

struct warm_loop {
	unsigned magic;
#define WARM_LOOP_MAGIC 0x5a3d9e07
	struct event_base *home;
	struct event_base *eb;
	struct event *stop_ev; /* on eb */
	struct event *end_ev; /* on home */
	int stop_pipe[2];
	int end_pipe[2];
	struct fetcher *f;
	struct origin_guard *guard;
	struct warm_batch *job;
	struct warm_tap *tap;
	wb_result_f *result;
	wl_end_f *ended;
	void *priv;
	pthread_t thr;
	unsigned started;
	unsigned told; /* home: ended was called */

	pthread_mutex_t mtx;
	unsigned done; /* mtx: the batch ended */
	struct wb_progress p; /* mtx: as of the last snapshot */
};

/* The loop's thread: what the home loop may read of the batch. */
static void
snap(struct warm_loop *wl)
{
	struct wb_progress p;

	wb_progress(wl->job, &p);
	AZ(pthread_mutex_lock(&wl->mtx));
	wl->p = p;
	AZ(pthread_mutex_unlock(&wl->mtx));
}

static void
on_result(void *priv, const struct wb_result *r)
{
	struct warm_loop *wl;

	CAST_OBJ_NOTNULL(wl, priv, WARM_LOOP_MAGIC);
	wl->result(wl->priv, r);
	snap(wl);
}

static void
on_job_end(void *priv)
{
	struct warm_loop *wl;

	CAST_OBJ_NOTNULL(wl, priv, WARM_LOOP_MAGIC);
	snap(wl);
	AZ(pthread_mutex_lock(&wl->mtx));
	wl->done = 1;
	AZ(pthread_mutex_unlock(&wl->mtx));
	wake_pipe_write(wl->end_pipe[1]);
	AZ(event_base_loopbreak(wl->eb));
}

/* The loop's thread: wl_free() is waiting. */
static void
on_stop(evutil_socket_t fd, short what, void *priv)
{
	struct warm_loop *wl;

	(void)fd;
	(void)what;
	CAST_OBJ_NOTNULL(wl, priv, WARM_LOOP_MAGIC);
	AZ(event_base_loopbreak(wl->eb));
}

/* The home loop: the batch ended. */
static void
on_end(evutil_socket_t fd, short what, void *priv)
{
	struct warm_loop *wl;
	unsigned done;

	(void)what;
	CAST_OBJ_NOTNULL(wl, priv, WARM_LOOP_MAGIC);
	wake_pipe_drain(fd);
	AZ(pthread_mutex_lock(&wl->mtx));
	done = wl->done;
	AZ(pthread_mutex_unlock(&wl->mtx));
	if (done && !wl->told) {
		wl->told = 1;
		wl->ended(wl->priv);
	}
}

static void *
wl_thread(void *priv)
{
	struct warm_loop *wl;

	CAST_OBJ_NOTNULL(wl, priv, WARM_LOOP_MAGIC);
	(void)event_base_dispatch(wl->eb);
	return (NULL);
}

struct warm_loop *
wl_new(struct event_base *home, struct warm_feed *feed,
    const struct wb_conf *wc, const struct og_conf *og, wb_result_f *result,
    wl_end_f *ended, void *priv)
{
	struct warm_loop *wl;

	AN(home);
	AN(feed);
	AN(wc);
	AN(og);
	AN(result);
	AN(ended);
	ALLOC_OBJ(wl, WARM_LOOP_MAGIC);
	if (wl == NULL)
		return (NULL);
	AZ(pthread_mutex_init(&wl->mtx, NULL));
	wl->home = home;
	wl->result = result;
	wl->ended = ended;
	wl->priv = priv;
	wl->end_pipe[0] = wl->end_pipe[1] = -1;
	if (wake_pipe(wl->stop_pipe) != 0 || wake_pipe(wl->end_pipe) != 0 ||
	    (wl->eb = loop_new_coarse()) == NULL) {
		wl_free(&wl);
		return (NULL);
	}
	wl->stop_ev = event_new(wl->eb, wl->stop_pipe[0], EV_READ, on_stop, wl);
	wl->end_ev =
	    event_new(home, wl->end_pipe[0], EV_READ | EV_PERSIST, on_end, wl);
	if (wl->stop_ev == NULL || wl->end_ev == NULL ||
	    event_add(wl->stop_ev, NULL) != 0 ||
	    event_add(wl->end_ev, NULL) != 0) {
		wl_free(&wl);
		return (NULL);
	}
	wl->f = fetcher_new(wl->eb, wc->concurrency);
	wl->guard = og_new(og);
	if (wl->f == NULL || wl->guard == NULL) {
		wl_free(&wl);
		return (NULL);
	}
	fetcher_set_guard(wl->f, wl->guard);
	wl->job = wb_new(wl->f, wc, on_result, on_job_end, wl);
	wl->tap = wt_new(feed, wl->eb, wl->job, WT_LOW(wc->concurrency));
	if (wl->tap == NULL) {
		wl_free(&wl);
		return (NULL);
	}
	return (wl);
}

int
wl_start(struct warm_loop *wl)
{
	sigset_t all, old;
	int e;

	CHECK_OBJ_NOTNULL(wl, WARM_LOOP_MAGIC);
	assert(!wl->started);
	snap(wl);
	/* Signals are the home thread's to take. */
	AZ(sigfillset(&all));
	AZ(pthread_sigmask(SIG_SETMASK, &all, &old));
	e = pthread_create(&wl->thr, NULL, wl_thread, wl);
	AZ(pthread_sigmask(SIG_SETMASK, &old, NULL));
	if (e != 0)
		return (-1);
	wl->started = 1;
	return (0);
}

void
wl_progress(struct warm_loop *wl, struct wb_progress *p)
{
	CHECK_OBJ_NOTNULL(wl, WARM_LOOP_MAGIC);
	AN(p);
	if (!wl->started) {
		wb_progress(wl->job, p);
		return;
	}
	AZ(pthread_mutex_lock(&wl->mtx));
	*p = wl->p;
	AZ(pthread_mutex_unlock(&wl->mtx));
}

void
wl_free(struct warm_loop **pwl)
{
	struct warm_loop *wl;
	size_t i;

	TAKE_OBJ_NOTNULL(wl, pwl, WARM_LOOP_MAGIC);
	if (wl->started) {
		wake_pipe_write(wl->stop_pipe[1]);
		AZ(pthread_join(wl->thr, NULL));
	}
	if (wl->tap != NULL)
		wt_free(&wl->tap);
	/* The batch before the fetcher: the fetcher reports to it. */
	if (wl->job != NULL)
		wb_free(&wl->job);
	if (wl->f != NULL)
		fetcher_free(&wl->f);
	if (wl->guard != NULL)
		og_free(&wl->guard);
	if (wl->stop_ev != NULL)
		event_free(wl->stop_ev);
	if (wl->end_ev != NULL)
		event_free(wl->end_ev);
	if (wl->eb != NULL)
		event_base_free(wl->eb);
	for (i = 0; i < 2; i++) {
		if (wl->stop_pipe[i] >= 0)
			(void)close(wl->stop_pipe[i]);
		if (wl->end_pipe[i] >= 0)
			(void)close(wl->end_pipe[i]);
	}
	AZ(pthread_mutex_destroy(&wl->mtx));
	FREE_OBJ(wl);
}
