/*
 * Websites' schedules in PostgreSQL (0017_schedules.sql): what a
 * tenant reads of one, bound to the caller as website_store.h's
 * statements are, and what the scheduler (api/api_scheduler.c) runs on
 * every replica: the due websites read, each armed or claimed.
 *
 * Times go in as seconds since the epoch and come out as ISO 8601 in
 * UTC ("2025-03-30T01:00:00Z"); a slot is a whole second.
 *
 * Each function: 0, and cb called once from the loop; or -1 with *err,
 * and it will not be.
 */

#ifndef STOKE_SCHEDULE_STORE_H
#define STOKE_SCHEDULE_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

/*
 * Any member's: {"website_id", "schedule", "schedule_tz",
 * "next_run_at" (the slot the scheduler armed; null: none yet),
 * "last_run_at", "last_job_id", "last_skipped_at" (a slot skipped
 * because a job of the website was still queued or running),
 * "last_skipped_job_id" (that job)}.
 */
int sc_schedule(struct pg_pool *, int64_t user, int64_t website, as_done_f *,
    void *, const char **err);

/*
 * At most limit websites with a schedule that are due at now or not
 * armed yet, the longest waiting first: {"websites": [{"id",
 * "schedule", "schedule_tz", "slot" (seconds; null: to arm), "base_url",
 * "sitemap_url", "variants"}, ...]}.
 */
int sc_due(struct pg_pool *, int64_t now, unsigned limit, as_done_f *, void *,
    const char **err);

/*
 * The website's first slot, next (seconds; -1: never, as a schedule that
 * no longer parses), if it is still not armed and its schedule and zone
 * are still these.  AS_NOT_FOUND: another replica armed it, or it
 * changed.
 */
int sc_arm(struct pg_pool *, int64_t website, const char *schedule,
    const char *tz, int64_t next, as_done_f *, void *, const char **err);

/* A due slot to claim, as sc_due read it. */
struct sc_claim {
	int64_t website;
	const char *schedule, *tz; /* as read: unchanged since */
	int64_t slot; /* its next_run_at as read */
	int64_t next; /* the slot after now; -1: never */
	int64_t now;
	const char *start; /* where the sitemap job reads */
	const char *const *variants;
	unsigned nvariant;
};

/*
 * The slot claimed, exactly once whichever replicas try: the row
 * locked (SKIP LOCKED: a replica claiming it already is left to), its
 * next_run_at moved to next, and, unless a job of the website is still
 * queued or running, its sitemap job started (trigger schedule), as
 * POST /api/websites/:id/jobs starts one, all in one statement.
 * {"outcome": "started" | "skipped" | "taken", "job_id", "busy_job_id"}:
 * taken, another replica claimed the slot or the schedule changed.
 */
int sc_claim(struct pg_pool *, const struct sc_claim *, as_done_f *, void *,
    const char **err);

#endif
