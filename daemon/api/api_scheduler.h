/*
 * The scheduler of stoked serve (and stoked run): starts each website's
 * scheduled sitemap job when its schedule says, in its time zone.
 *
 * Every replica runs one, over the one database: a timer reads the due
 * websites (schedule_store.h sc_due) and claims each slot in one
 * statement that locks the row with SKIP LOCKED, moves its next_run_at
 * past now and starts the job, so a slot is started once however many
 * replicas look, and a website that was due for hours (every replica
 * down) runs once.  A slot that comes while a job of the website is
 * still queued or running is skipped, and the website says so
 * (last_skipped_at).  The job is the one POST /api/websites/:id/jobs
 * makes without urls (trigger schedule): the worker holds it to the
 * plan as it holds that one.
 *
 * now is the real time, or --test-clock's (core/test_clock.h).
 */

#ifndef STOKE_API_SCHEDULER_H
#define STOKE_API_SCHEDULER_H

struct api_scheduler;
struct event_base;
struct metrics;
struct pg_pool;

/* Looks every period seconds; clock: a test clock's file, or NULL. */
struct api_scheduler *api_scheduler_new(struct event_base *, struct pg_pool *,
    const char *clock, double period);
/* No more looks; statements in flight end with the pool. */
void api_scheduler_stop(struct api_scheduler *);
/* After the pool. */
void api_scheduler_free(struct api_scheduler **);
/* stoke_schedule_slots_total */
void api_scheduler_metrics(void *priv, struct metrics *);

#endif
