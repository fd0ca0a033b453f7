/*
 * A website's invalidations (invalidation_events), for the tenants'
 * API: what each purge, ban or tag invalidation dropped and queued, and
 * how far the re-warm job it started has come.  Bound to the caller as
 * every tenant statement is (account_store.h): a website of a project
 * the caller is not a member of is AS_NOT_FOUND; any member reads.
 */

#ifndef STOKE_INVAL_STORE_H
#define STOKE_INVAL_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

/*
 * {"invalidations": [{"id", "kind", "soft", "node", "subject",
 * "objects_dropped", "objects_queued", "occurred_at", "job": null or
 * {"id", "status", "urls_total", "urls_completed", "urls_failed",
 * "started_at", "finished_at"}}, ...], "next_before": id or null},
 * newest (highest id) first, those below before (0: from the newest),
 * of the kind given (NULL: any; else "purge", "ban" or "tag"), at most
 * limit.  0, and cb called once from the loop; or -1 with *err.
 */
int is_list(struct pg_pool *, int64_t user, int64_t website, int64_t before,
    unsigned limit, const char *kind, as_done_f *, void *, const char **err);

#endif
