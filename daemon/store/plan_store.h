/*
 * Plans, and a project's use of its own, for the tenants' API.  A plan
 * is {"id", "name", "max_websites", "max_urls_per_job",
 * "max_warms_per_day", "max_concurrency", "result_retention_days"}.
 *
 * Warms are the warm requests a project's websites made, one a result,
 * counted by UTC day in usage_daily as the results arrive (the rollup
 * trigger of 0009_analytics.sql).
 *
 * Each function: 0, and cb called once from the loop; or -1 with *err,
 * and it will not be.
 */

#ifndef STOKE_PLAN_STORE_H
#define STOKE_PLAN_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

/* {"plans": [plan, ...]}, by id. */
int ps_plans(struct pg_pool *, as_done_f *, void *, const char **err);
/*
 * Any member's: {"project_id", "plan": plan, "websites": {"used",
 * "max", "remaining"}, "warms_today": {"day", "used", "max", "queued",
 * "remaining", "resets_in"}, "concurrency": {"used", "max",
 * "remaining"}, "max_urls_per_job", "result_retention_days",
 * "warms_by_day": [{"day", "warms"}, ...]} (the last 30 UTC days,
 * today's included, oldest first; days of no warms are 0).  Warms
 * today: "used" made, "queued" still to make in open jobs, "remaining"
 * what a new job may have, "resets_in" seconds to the next UTC day;
 * concurrency "used": the warm requests leased to workers and agents
 * now.  AS_NOT_FOUND: not a member.
 */
int ps_usage(struct pg_pool *, int64_t user, int64_t project, as_done_f *,
    void *, const char **err);

#endif
