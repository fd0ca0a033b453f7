/*
 * A warm batch on a loop and a thread of its own.  The home loop hands
 * URLs over through an inbox under a mutex, and wakes the loop with a
 * byte on a pipe when the inbox was empty; the loop tells the home loop
 * that its batch ended the same way.  What a request costs stays on one
 * thread: its fetch, its answer, its verdict.  Handing each request or
 * answer to another thread costs two wake-ups a request, more than the
 * second thread gives.
 */

#define _GNU_SOURCE /* pipe2() */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
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
#include "fetch/fetcher.h"
#include "warm_loop.h"

struct warm_loop {
	unsigned magic;
#define WARM_LOOP_MAGIC 0x5a3d9e07
	struct event_base *home;
	struct event_base *eb;
	struct event *inbox_ev; /* on eb */
	struct event *end_ev; /* on home */
	int in_pipe[2];
	int end_pipe[2];
	struct fetcher *f;
	struct origin_guard *guard;
	struct warm_batch *job;
	wb_result_f *result;
	wl_end_f *ended;
	void *priv;
	pthread_t thr;
	unsigned started;
	unsigned closed; /* home: wl_close() came */
	unsigned told; /* home: ended was called */

	pthread_mutex_t mtx;
	char **in; /* mtx: URLs for the loop to add */
	size_t nin, ain; /* mtx */
	unsigned close_req; /* mtx */
	unsigned stop_req; /* mtx */
	unsigned done; /* mtx: the batch ended */
	struct wb_progress p; /* mtx: as of the last snapshot */
};

static void
wake(int fd)
{
	const char b = 'w';
	ssize_t n;

	/* A full pipe has a wake-up pending already. */
	do
		n = write(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	assert(n == 1 || errno == EAGAIN);
}

static void
drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		continue;
}

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
	wake(wl->end_pipe[1]);
	AZ(event_base_loopbreak(wl->eb));
}

/* The loop's thread: take what the home loop handed over. */
static void
on_inbox(evutil_socket_t fd, short what, void *priv)
{
	struct warm_loop *wl;
	char **in;
	size_t n, i;
	unsigned close_req, stop_req;

	(void)what;
	CAST_OBJ_NOTNULL(wl, priv, WARM_LOOP_MAGIC);
	drain(fd);
	AZ(pthread_mutex_lock(&wl->mtx));
	in = wl->in;
	n = wl->nin;
	wl->in = NULL;
	wl->nin = wl->ain = 0;
	close_req = wl->close_req;
	stop_req = wl->stop_req;
	AZ(pthread_mutex_unlock(&wl->mtx));
	for (i = 0; i < n; i++) {
		if (!stop_req)
			(void)wb_add(wl->job, in[i]);
		free(in[i]);
	}
	free(in);
	if (stop_req) {
		AZ(event_base_loopbreak(wl->eb));
		return;
	}
	/* Once: wb_close() may end the batch at once. */
	if (close_req == 1) {
		AZ(pthread_mutex_lock(&wl->mtx));
		wl->close_req = 2;
		AZ(pthread_mutex_unlock(&wl->mtx));
		wb_close(wl->job);
	}
	/* Closed, it says so: no longer listing, an ETA. */
	snap(wl);
}

/* The home loop: the batch ended. */
static void
on_end(evutil_socket_t fd, short what, void *priv)
{
	struct warm_loop *wl;
	unsigned done;

	(void)what;
	CAST_OBJ_NOTNULL(wl, priv, WARM_LOOP_MAGIC);
	drain(fd);
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

static int
pipe_nb(int p[2])
{
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
		p[0] = p[1] = -1;
		return (-1);
	}
	return (0);
}

struct warm_loop *
wl_new(struct event_base *home, const struct wb_conf *wc,
    const struct og_conf *og, wb_result_f *result, wl_end_f *ended, void *priv)
{
	struct warm_loop *wl;

	AN(home);
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
	if (pipe_nb(wl->in_pipe) != 0 || pipe_nb(wl->end_pipe) != 0 ||
	    (wl->eb = loop_new()) == NULL) {
		wl_free(&wl);
		return (NULL);
	}
	wl->inbox_ev = event_new(wl->eb, wl->in_pipe[0], EV_READ | EV_PERSIST,
	    on_inbox, wl);
	wl->end_ev =
	    event_new(home, wl->end_pipe[0], EV_READ | EV_PERSIST, on_end, wl);
	if (wl->inbox_ev == NULL || wl->end_ev == NULL ||
	    event_add(wl->inbox_ev, NULL) != 0 ||
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

int
wl_add(struct warm_loop *wl, const char *url)
{
	char **a;
	size_t n;
	int first;

	CHECK_OBJ_NOTNULL(wl, WARM_LOOP_MAGIC);
	assert(!wl->closed);
	if (!wb_url_ok(url))
		return (-1);
	if (!wl->started)
		return (wb_add(wl->job, url));
	AZ(pthread_mutex_lock(&wl->mtx));
	if (wl->nin == wl->ain) {
		n = wl->ain > 0 ? wl->ain * 2 : 256;
		a = realloc(wl->in, n * sizeof *a);
		AN(a);
		wl->in = a;
		wl->ain = n;
	}
	wl->in[wl->nin] = strdup(url);
	AN(wl->in[wl->nin]);
	first = wl->nin++ == 0;
	AZ(pthread_mutex_unlock(&wl->mtx));
	if (first)
		wake(wl->in_pipe[1]);
	return (1);
}

void
wl_close(struct warm_loop *wl)
{
	CHECK_OBJ_NOTNULL(wl, WARM_LOOP_MAGIC);
	assert(!wl->closed);
	wl->closed = 1;
	/* Through the inbox even before the thread starts: the batch may
	 * end at once, and its end is for the loop to tell. */
	AZ(pthread_mutex_lock(&wl->mtx));
	wl->close_req = 1;
	AZ(pthread_mutex_unlock(&wl->mtx));
	wake(wl->in_pipe[1]);
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
		AZ(pthread_mutex_lock(&wl->mtx));
		wl->stop_req = 1;
		AZ(pthread_mutex_unlock(&wl->mtx));
		wake(wl->in_pipe[1]);
		AZ(pthread_join(wl->thr, NULL));
	}
	/* The batch before the fetcher: the fetcher reports to it. */
	if (wl->job != NULL)
		wb_free(&wl->job);
	if (wl->f != NULL)
		fetcher_free(&wl->f);
	if (wl->guard != NULL)
		og_free(&wl->guard);
	if (wl->inbox_ev != NULL)
		event_free(wl->inbox_ev);
	if (wl->end_ev != NULL)
		event_free(wl->end_ev);
	if (wl->eb != NULL)
		event_base_free(wl->eb);
	for (i = 0; i < 2; i++) {
		if (wl->in_pipe[i] >= 0)
			(void)close(wl->in_pipe[i]);
		if (wl->end_pipe[i] >= 0)
			(void)close(wl->end_pipe[i]);
	}
	for (i = 0; i < wl->nin; i++)
		free(wl->in[i]);
	free(wl->in);
	AZ(pthread_mutex_destroy(&wl->mtx));
	FREE_OBJ(wl);
}
