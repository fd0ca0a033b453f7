/*
 * What the tenants' event streams read (api/api_events.c), in
 * PostgreSQL.  Each statement is bound to the caller as every tenant
 * statement is, and to the caller's token as well: a job or a website
 * of a project the caller is not a member of, or a token revoked since
 * the stream began (a logout on any replica), is AS_NOT_FOUND, and the
 * stream ends.
 *
 * What changes them is NOTIFYed on ES_CHANNEL by triggers, whoever
 * writes it (0010_live_events.sql); es_payload() reads a payload.  Rows
 * are read after the last id a stream sent: a job's results, a
 * website's invalidation events, whose ids become visible in order.
 *
 * Each reading function: 0, and cb called once from the loop; or -1
 * with *err, and it will not be.
 */

#ifndef STOKE_EVENT_STORE_H
#define STOKE_EVENT_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

#define ES_CHANNEL "stoke_events"

/*
 * A notification's payload: what changed.  *job is 0 when it is the
 * website's invalidations.  0, or -1 for a payload not of ours.
 */
int es_payload(const char *payload, int64_t *website, int64_t *job);

/*
 * {"job": job, "results": [result, ...], "more": bool}: the job as
 * tjob_store.h writes one, then its results of ids above after, by id,
 * at most limit, each as tj_results() writes one; more: there are
 * others after these.
 */
int es_job(struct pg_pool *, int64_t user, const char *jti, int64_t job,
    int64_t after, unsigned limit, as_done_f *, void *, const char **err);

/* What a website's stream already follows, and where it is. */
struct es_website_at {
	/* The website's invalidation events after this id; -1: none
	 * yet, only where they are now ("last_invalidation"). */
	int64_t after;
	/* Jobs above this id too, whatever their status; -1: none, only
	 * where they are now ("last_job"). */
	int64_t above_job;
	/* Jobs the stream has told of and not seen end: read again, so
	 * that their end is seen. */
	const int64_t *tracked;
	unsigned ntracked;
	unsigned limit; /* invalidation events at most */
};

/*
 * {"jobs": [job, ...], "last_job": id or null, "invalidations":
 * [{"id", "kind", "soft", "node", "subject", "objects_dropped",
 * "objects_queued", "job_id", "occurred_at"}, ...],
 * "last_invalidation": id or null, "more": bool}: the website's jobs
 * that are queued or running, those tracked and those above above_job,
 * by id; its newest job's and newest invalidation's ids; the
 * invalidation events after at->after, by id.
 */
int es_website(struct pg_pool *, int64_t user, const char *jti, int64_t website,
    const struct es_website_at *at, as_done_f *, void *, const char **err);

/*
 * Which of n streams may no longer read, in one statement for them all:
 * stream i is user[i]'s, with the token jti[i], about website[i] (or a
 * job of it).  [i, ...]: the indexes, from 0, of those whose token was
 * revoked since, or whose user is no longer a member of the website's
 * project (or is gone, or the website is).
 */
int es_check(struct pg_pool *, unsigned n, const int64_t *user,
    const char *const *jti, const int64_t *website, as_done_f *, void *,
    const char **err);

#endif
