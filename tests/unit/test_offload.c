/*
 * The offload pool: work runs off the loop, every done runs once and on
 * the loop, and freeing the pool drops what has not started.
 */

#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "vdef.h"
#include "vas.h"

#include "core/offload.h"

#include "unit.h"

#define NJOBS 100

static pthread_t loop_thread;

struct job {
	unsigned n;
	int worked; /* set by the pool's thread, read after done */
	int off_loop;
	unsigned ndone;
	unsigned *total;
	struct event_base *eb;
};

static void
work(void *priv)
{
	struct job *j = priv;

	j->off_loop = !pthread_equal(pthread_self(), loop_thread);
	j->worked++;
	/* Some jobs take longer, so that the two threads interleave. */
	if (j->n % 7 == 0)
		usleep(1000);
}

static void
done(void *priv)
{
	struct job *j = priv;

	CHECK(pthread_equal(pthread_self(), loop_thread));
	j->ndone++;
	if (++*j->total == NJOBS)
		event_base_loopexit(j->eb, NULL);
}

static void
test_many_jobs(void)
{
	struct event_base *eb;
	struct offload *o;
	struct job jobs[NJOBS];
	struct timeval limit = { 30, 0 };
	unsigned i, total = 0, bad = 0;

	eb = event_base_new();
	AN(eb);
	o = offload_new(eb, 2);
	CHECK(o != NULL);
	memset(jobs, 0, sizeof jobs);
	for (i = 0; i < NJOBS; i++) {
		jobs[i].n = i;
		jobs[i].total = &total;
		jobs[i].eb = eb;
		offload_run(o, work, done, &jobs[i]);
	}
	/* A safety net: the test fails rather than hangs. */
	AZ(event_base_loopexit(eb, &limit));
	AZ(event_base_dispatch(eb));
	CHECK_INT_EQ(total, NJOBS);
	for (i = 0; i < NJOBS; i++) {
		if (jobs[i].worked != 1 || jobs[i].ndone != 1 ||
		    !jobs[i].off_loop)
			bad++;
	}
	CHECK_INT_EQ(bad, 0);
	CHECK_INT_EQ(offload_queued(o), 0);
	offload_free(&o);
	CHECK(o == NULL);
	event_base_free(eb);
}

/*--------------------------------------------------------------------
 * Freed while one job runs and ten wait: the running one ends, the ten
 * never start, and no done is called.
 */

static int slow_started;

static void
slow_work(void *priv)
{
	struct job *j = priv;

	j->worked++;
	__atomic_store_n(&slow_started, 1, __ATOMIC_SEQ_CST);
	usleep(100 * 1000);
}

static void
never_done(void *priv)
{
	struct job *j = priv;

	j->ndone++;
}

static void
test_free_with_queued(void)
{
	struct event_base *eb;
	struct offload *o;
	struct job jobs[11];
	unsigned i, ran = 0, dones = 0;

	eb = event_base_new();
	AN(eb);
	o = offload_new(eb, 1);
	AN(o);
	memset(jobs, 0, sizeof jobs);
	for (i = 0; i < 11; i++)
		offload_run(o, slow_work, never_done, &jobs[i]);
	while (!__atomic_load_n(&slow_started, __ATOMIC_SEQ_CST))
		usleep(1000);
	CHECK_INT_EQ(offload_queued(o), 10);
	offload_free(&o);
	/* The loop may still run: nothing of the pool is left to call. */
	(void)event_base_loop(eb, EVLOOP_NONBLOCK);
	for (i = 0; i < 11; i++) {
		ran += jobs[i].worked;
		dones += jobs[i].ndone;
	}
	CHECK_INT_EQ(jobs[0].worked, 1);
	CHECK_INT_EQ(ran, 1);
	CHECK_INT_EQ(dones, 0);
	event_base_free(eb);
}

int
main(void)
{
	loop_thread = pthread_self();
	test_many_jobs();
	test_free_with_queued();
	return (unit_done());
}
