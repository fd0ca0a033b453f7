/*
 * Warm jobs in the database, as the CLI makes and shows them (stoked
 * job): the SQL stays here, cmd/ calls these.  The job's tasks are
 * queued with tq_enqueue() (task_queue.h).
 */

#ifndef STOKE_JOB_STORE_H
#define STOKE_JOB_STORE_H

#include <stdint.h>

struct pg_pool;

/* id: the job made, when err is NULL. */
typedef void job_created_f(void *priv, int64_t id, const char *err);

/*
 * Makes a job for the website whose base URL is website, in the default
 * project, making the website if it is new.  trigger is a job_trigger
 * ("manual"...), source may be NULL.  cb is called once, from the loop.
 */
void job_store_create(struct pg_pool *, const char *website,
    const char *trigger, const char *source, job_created_f *cb, void *priv);

/* json: the job, its counters and its tasks by state; NULL: no such job. */
typedef void job_shown_f(void *priv, const char *json, const char *err);

void job_store_show(struct pg_pool *, int64_t id, job_shown_f *cb, void *priv);

#endif
