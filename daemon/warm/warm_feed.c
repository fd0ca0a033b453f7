/*
 * One mutex guards the list and the waiters; a take holds it for a
 * handful of pointers.  Waiters are woken when a take's worth has
 * gathered, or when the lister says it has put what it had: a waiter
 * woken for each URL would cost a wake-up a request.
 */

#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/wake_pipe.h"
#include "warm_batch.h"
#include "warm_feed.h"

/* URLs gathered before waiters are woken without a flush. */
#define WF_WAKE_AT 64
#define WF_MAX_WAITERS 64

struct wf_url {
	char *url;
	UT_hash_handle hh;
};

struct warm_feed {
	unsigned magic;
#define WARM_FEED_MAGIC 0x1f3e5d71
	struct wf_url *set; /* the lister's own: no lock */

	pthread_mutex_t mtx;
	const char **url; /* mtx */
	size_t n, cap, next; /* mtx */
	unsigned closed; /* mtx */
	int waiter[WF_MAX_WAITERS]; /* mtx */
	unsigned nwaiter; /* mtx */
};

struct warm_feed *
wf_new(void)
{
	struct warm_feed *wf;

	ALLOC_OBJ(wf, WARM_FEED_MAGIC);
	if (wf == NULL)
		return (NULL);
	AZ(pthread_mutex_init(&wf->mtx, NULL));
	return (wf);
}

/* Under mtx: the waiters, taken off the list, into fd. */
static unsigned
waiters(struct warm_feed *wf, int *fd)
{
	unsigned n = wf->nwaiter;

	memcpy(fd, wf->waiter, n * sizeof *fd);
	wf->nwaiter = 0;
	return (n);
}

static void
wake_all(const int *fd, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		wake_pipe_write(fd[i]);
}

int
wf_put(struct warm_feed *wf, const char *url)
{
	int fd[WF_MAX_WAITERS];
	struct wf_url *u;
	const char **a;
	unsigned nfd = 0;

	CHECK_OBJ_NOTNULL(wf, WARM_FEED_MAGIC);
	if (!wb_url_ok(url))
		return (-1);
	HASH_FIND_STR(wf->set, url, u);
	if (u != NULL)
		return (0);
	u = calloc(1, sizeof *u);
	AN(u);
	u->url = strdup(url);
	AN(u->url);
	HASH_ADD_KEYPTR(hh, wf->set, u->url, strlen(u->url), u);

	AZ(pthread_mutex_lock(&wf->mtx));
	assert(!wf->closed);
	if (wf->n == wf->cap) {
		wf->cap = wf->cap > 0 ? wf->cap * 2 : 1024;
		a = realloc(wf->url, wf->cap * sizeof *a);
		AN(a);
		wf->url = a;
	}
	wf->url[wf->n++] = u->url;
	if (wf->n - wf->next >= WF_WAKE_AT)
		nfd = waiters(wf, fd);
	AZ(pthread_mutex_unlock(&wf->mtx));
	wake_all(fd, nfd);
	return (1);
}

void
wf_flush(struct warm_feed *wf)
{
	int fd[WF_MAX_WAITERS];
	unsigned nfd = 0;

	CHECK_OBJ_NOTNULL(wf, WARM_FEED_MAGIC);
	AZ(pthread_mutex_lock(&wf->mtx));
	if (wf->n > wf->next)
		nfd = waiters(wf, fd);
	AZ(pthread_mutex_unlock(&wf->mtx));
	wake_all(fd, nfd);
}

void
wf_close(struct warm_feed *wf)
{
	int fd[WF_MAX_WAITERS];
	unsigned nfd;

	CHECK_OBJ_NOTNULL(wf, WARM_FEED_MAGIC);
	AZ(pthread_mutex_lock(&wf->mtx));
	wf->closed = 1;
	nfd = waiters(wf, fd);
	AZ(pthread_mutex_unlock(&wf->mtx));
	wake_all(fd, nfd);
}

size_t
wf_take(struct warm_feed *wf, const char **out, size_t max, int wake_fd,
    int *ended)
{
	size_t n;
	unsigned i;

	CHECK_OBJ_NOTNULL(wf, WARM_FEED_MAGIC);
	AN(out);
	AN(ended);
	AZ(pthread_mutex_lock(&wf->mtx));
	n = wf->n - wf->next;
	if (n > max)
		n = max;
	if (n > 0)
		memcpy(out, wf->url + wf->next, n * sizeof *out);
	wf->next += n;
	*ended = wf->closed && wf->next == wf->n;
	if (n == 0 && !wf->closed) {
		for (i = 0; i < wf->nwaiter; i++)
			if (wf->waiter[i] == wake_fd)
				break;
		if (i == wf->nwaiter) {
			assert(wf->nwaiter < WF_MAX_WAITERS);
			wf->waiter[wf->nwaiter++] = wake_fd;
		}
	}
	AZ(pthread_mutex_unlock(&wf->mtx));
	return (n);
}

void
wf_forget(struct warm_feed *wf, int wake_fd)
{
	unsigned i;

	CHECK_OBJ_NOTNULL(wf, WARM_FEED_MAGIC);
	AZ(pthread_mutex_lock(&wf->mtx));
	for (i = 0; i < wf->nwaiter; i++)
		if (wf->waiter[i] == wake_fd) {
			wf->waiter[i] = wf->waiter[--wf->nwaiter];
			break;
		}
	AZ(pthread_mutex_unlock(&wf->mtx));
}

size_t
wf_listed(struct warm_feed *wf)
{
	size_t n;

	CHECK_OBJ_NOTNULL(wf, WARM_FEED_MAGIC);
	AZ(pthread_mutex_lock(&wf->mtx));
	n = wf->n;
	AZ(pthread_mutex_unlock(&wf->mtx));
	return (n);
}

int
wf_closed(struct warm_feed *wf)
{
	int closed;

	CHECK_OBJ_NOTNULL(wf, WARM_FEED_MAGIC);
	AZ(pthread_mutex_lock(&wf->mtx));
	closed = wf->closed;
	AZ(pthread_mutex_unlock(&wf->mtx));
	return (closed);
}

void
wf_free(struct warm_feed **pwf)
{
	struct warm_feed *wf;
	struct wf_url *u, *t;

	TAKE_OBJ_NOTNULL(wf, pwf, WARM_FEED_MAGIC);
	HASH_ITER(hh, wf->set, u, t)
	{
		HASH_DEL(wf->set, u);
		free(u->url);
		free(u);
	}
	free(wf->url);
	AZ(pthread_mutex_destroy(&wf->mtx));
	FREE_OBJ(wf);
}
