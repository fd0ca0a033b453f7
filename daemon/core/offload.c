/*
 * A fixed pool of threads for work that would block the loop.  Jobs wait
 * in a queue under one mutex; a thread that ends one puts it on the done
 * list and writes a byte to a pipe, whose read end is a libevent event:
 * so every done callback runs on the loop, as everything else there.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vqueue.h"

#include "offload.h"

struct offload_job {
	unsigned magic;
#define OFFLOAD_JOB_MAGIC 0x0ff10ad1
	offload_work_f *work;
	offload_done_f *done;
	void *priv;
	VSTAILQ_ENTRY(offload_job) list;
};

VSTAILQ_HEAD(offload_jobs, offload_job);

struct offload {
	unsigned magic;
#define OFFLOAD_MAGIC 0x0ff10ad0
	struct event_base *eb;
	struct event *wake;
	int pipe[2];

	pthread_mutex_t mtx;
	pthread_cond_t cond;
	struct offload_jobs todo; /* mtx */
	struct offload_jobs done; /* mtx */
	unsigned nqueued; /* mtx */
	int stopping; /* mtx */

	unsigned nthreads;
	pthread_t *threads;
};

/*--------------------------------------------------------------------
 * The threads: take a job, run it, hand it back to the loop.
 */

static struct offload_job *
offload_take(struct offload *o)
{
	struct offload_job *j;

	AZ(pthread_mutex_lock(&o->mtx));
	while (!o->stopping && VSTAILQ_EMPTY(&o->todo))
		AZ(pthread_cond_wait(&o->cond, &o->mtx));
	j = NULL;
	if (!o->stopping) {
		j = VSTAILQ_FIRST(&o->todo);
		VSTAILQ_REMOVE_HEAD(&o->todo, list);
		assert(o->nqueued > 0);
		o->nqueued--;
	}
	AZ(pthread_mutex_unlock(&o->mtx));
	return (j);
}

static void
offload_hand_back(struct offload *o, struct offload_job *j)
{
	const char b = 'j';
	ssize_t n;

	AZ(pthread_mutex_lock(&o->mtx));
	VSTAILQ_INSERT_TAIL(&o->done, j, list);
	AZ(pthread_mutex_unlock(&o->mtx));
	/*
	 * The pipe only wakes the loop, which then takes the whole done
	 * list: if the pipe is full, a wake-up is already pending.
	 */
	do
		n = write(o->pipe[1], &b, 1);
	while (n < 0 && errno == EINTR);
	assert(n == 1 || errno == EAGAIN);
}

static void *
offload_thread(void *priv)
{
	struct offload *o;
	struct offload_job *j;

	CAST_OBJ_NOTNULL(o, priv, OFFLOAD_MAGIC);
	while ((j = offload_take(o)) != NULL) {
		CHECK_OBJ_NOTNULL(j, OFFLOAD_JOB_MAGIC);
		j->work(j->priv);
		offload_hand_back(o, j);
	}
	return (NULL);
}

/*--------------------------------------------------------------------
 * The loop's side: drain the pipe, call done for what has ended.
 */

static void
offload_on_wake(evutil_socket_t fd, short what, void *priv)
{
	struct offload *o;
	struct offload_jobs done;
	struct offload_job *j;
	char buf[64];

	(void)what;
	CAST_OBJ_NOTNULL(o, priv, OFFLOAD_MAGIC);
	while (read(fd, buf, sizeof buf) > 0)
		continue;
	VSTAILQ_INIT(&done);
	AZ(pthread_mutex_lock(&o->mtx));
	VSTAILQ_CONCAT(&done, &o->done);
	AZ(pthread_mutex_unlock(&o->mtx));
	while ((j = VSTAILQ_FIRST(&done)) != NULL) {
		CHECK_OBJ_NOTNULL(j, OFFLOAD_JOB_MAGIC);
		VSTAILQ_REMOVE_HEAD(&done, list);
		j->done(j->priv);
		FREE_OBJ(j);
	}
}

static int
offload_pipe(int fds[2])
{
	int i;

	if (pipe(fds))
		return (-1);
	for (i = 0; i < 2; i++) {
		if (fcntl(fds[i], F_SETFL, O_NONBLOCK) ||
		    fcntl(fds[i], F_SETFD, FD_CLOEXEC)) {
			closefd(&fds[0]);
			closefd(&fds[1]);
			return (-1);
		}
	}
	return (0);
}

/*--------------------------------------------------------------------
 * Life of the pool.
 */

struct offload *
offload_new(struct event_base *eb, unsigned nthreads)
{
	struct offload *o;

	AN(eb);
	assert(nthreads > 0);
	ALLOC_OBJ(o, OFFLOAD_MAGIC);
	AN(o);
	o->eb = eb;
	VSTAILQ_INIT(&o->todo);
	VSTAILQ_INIT(&o->done);
	if (offload_pipe(o->pipe)) {
		FREE_OBJ(o);
		return (NULL);
	}
	o->wake =
	    event_new(eb, o->pipe[0], EV_READ | EV_PERSIST, offload_on_wake, o);
	AN(o->wake);
	AZ(event_add(o->wake, NULL));
	AZ(pthread_mutex_init(&o->mtx, NULL));
	AZ(pthread_cond_init(&o->cond, NULL));
	o->threads = calloc(nthreads, sizeof *o->threads);
	AN(o->threads);
	for (; o->nthreads < nthreads; o->nthreads++) {
		if (pthread_create(&o->threads[o->nthreads], NULL,
		        offload_thread, o) != 0)
			break;
	}
	if (o->nthreads < nthreads) {
		offload_free(&o);
		return (NULL);
	}
	return (o);
}

static void
offload_drop(struct offload_jobs *jobs)
{
	struct offload_job *j;

	while ((j = VSTAILQ_FIRST(jobs)) != NULL) {
		CHECK_OBJ_NOTNULL(j, OFFLOAD_JOB_MAGIC);
		VSTAILQ_REMOVE_HEAD(jobs, list);
		FREE_OBJ(j);
	}
}

void
offload_free(struct offload **op)
{
	struct offload *o;
	unsigned u;

	TAKE_OBJ_NOTNULL(o, op, OFFLOAD_MAGIC);
	AZ(pthread_mutex_lock(&o->mtx));
	o->stopping = 1;
	AZ(pthread_cond_broadcast(&o->cond));
	AZ(pthread_mutex_unlock(&o->mtx));
	for (u = 0; u < o->nthreads; u++)
		AZ(pthread_join(o->threads[u], NULL));
	/* No thread is left: the lists are ours without the lock. */
	offload_drop(&o->todo);
	offload_drop(&o->done);
	free(o->threads);
	AZ(pthread_cond_destroy(&o->cond));
	AZ(pthread_mutex_destroy(&o->mtx));
	event_free(o->wake);
	closefd(&o->pipe[0]);
	closefd(&o->pipe[1]);
	FREE_OBJ(o);
}

void
offload_run(struct offload *o, offload_work_f *work, offload_done_f *done,
    void *priv)
{
	struct offload_job *j;

	CHECK_OBJ_NOTNULL(o, OFFLOAD_MAGIC);
	AN(work);
	AN(done);
	ALLOC_OBJ(j, OFFLOAD_JOB_MAGIC);
	AN(j);
	j->work = work;
	j->done = done;
	j->priv = priv;
	AZ(pthread_mutex_lock(&o->mtx));
	VSTAILQ_INSERT_TAIL(&o->todo, j, list);
	o->nqueued++;
	AZ(pthread_cond_signal(&o->cond));
	AZ(pthread_mutex_unlock(&o->mtx));
}

unsigned
offload_queued(const struct offload *o)
{
	struct offload *mo;
	unsigned n;

	CHECK_OBJ_NOTNULL(o, OFFLOAD_MAGIC);
	/* The mutex is not const, though reading the count changes nothing. */
	mo = TRUST_ME(o);
	AZ(pthread_mutex_lock(&mo->mtx));
	n = mo->nqueued;
	AZ(pthread_mutex_unlock(&mo->mtx));
	return (n);
}
