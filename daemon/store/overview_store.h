/*
 * The overview across projects, for the tenants' API: every website of
 * every project the caller is a member of, with its latest jobs, its
 * agents and its visitors' traffic, and the jobs running now.  One
 * statement, where a page would otherwise ask each website's routes in
 * turn.  Bound to the caller as every tenant statement is
 * (account_store.h): only the caller's projects' websites, and nothing
 * to refuse: a caller of no project gets empty lists.
 */

#ifndef STOKE_OVERVIEW_STORE_H
#define STOKE_OVERVIEW_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

/* Jobs of each website given, newest first. */
#define OV_JOBS 3
/* Jobs running (or queued) listed, oldest first. */
#define OV_RUNNING 100

/*
 * {"websites": [{"id", "project_id", "project_name", "name", "base_url",
 * "jobs": [Job...], "agents": [Agent...], "visitors": {"hits",
 * "misses", "passes", "hit_ratio"}}, ...] by project and id,
 * "running": [Job...]}: a Job as tjob_store.h answers one, an Agent as
 * agent_store.h lists one, the visitors of the last 24 hours (from the
 * hour 24 hours back) as the agents counted them.  0, and cb called
 * once from the loop; or -1 with *err.
 */
int ov_overview(struct pg_pool *, int64_t user, as_done_f *, void *,
    const char **err);

#endif
