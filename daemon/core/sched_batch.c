/*
 * SCHED_BATCH needs no privilege: any thread may ask it for itself.
 */

#define _GNU_SOURCE /* SCHED_BATCH */

#include "config.h"

#include <errno.h>
#include <sched.h>

#include "sched_batch.h"

int
sched_batch(void)
{
#ifdef SCHED_BATCH
	struct sched_param sp = { .sched_priority = 0 };

	/* 0: this thread; its policy is what pthread_create() copies. */
	return (sched_setscheduler(0, SCHED_BATCH, &sp));
#else
	errno = ENOSYS;
	return (-1);
#endif
}
