/*
 * A project's websites, in PostgreSQL, bound to the caller as the
 * account store's statements are (account_store.h): a website of a
 * project the caller is not a member of is AS_NOT_FOUND, a change by a
 * viewer AS_FORBIDDEN; an admin or an owner creates, changes and
 * deletes.  Answers are JSON built by PostgreSQL with the table's
 * column names: {"id", "project_id", "name", "base_url", "sitemap_url",
 * "cache_type", "concurrency", "rate_limit", "schedule", "schedule_tz",
 * "variants",
 * "variant_inputs", "broadcast_invalidations", "varnish_nodes",
 * "search_terms", "auto_variants", "render", "asset_hosts",
 * "created_at"}.
 *
 * Settings are given as one JSON object of those columns (name,
 * base_url, sitemap_url, cache_type, concurrency, rate_limit, schedule,
 * schedule_tz, variants, variant_inputs, broadcast_invalidations,
 * varnish_nodes, search_terms, auto_variants, render, asset_hosts),
 * checked before (api_websites.c): what the schema
 * refuses is AS_ERROR.  Each function: 0, and cb called once
 * from the loop; or -1 with *err, and it will not be.
 */

#ifndef STOKE_WEBSITE_STORE_H
#define STOKE_WEBSITE_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

/* {"websites": [website, ...]}, by id. */
int ws_list(struct pg_pool *, int64_t user, int64_t project, as_done_f *,
    void *, const char **err);
/* The website made; settings absent take the schema's defaults (a
 * concurrency of 8, or the plan's if less).  AS_CONFLICT: the project
 * has a website of this base_url; AS_PLAN_LIMIT: the project's plan
 * allows no more websites, or not this concurrency (what it refused in
 * the JSON, account_store.h). */
int ws_create(struct pg_pool *, int64_t user, int64_t project,
    const char *settings, as_done_f *, void *, const char **err);
int ws_get(struct pg_pool *, int64_t user, int64_t website, as_done_f *, void *,
    const char **err);
/* The settings given replace theirs (null clears a nullable one), the
 * others stay; the website after.  AS_CONFLICT: another website of the
 * project has this base_url; AS_PLAN_LIMIT: a concurrency over the
 * plan's. */
int ws_update(struct pg_pool *, int64_t user, int64_t website,
    const char *settings, as_done_f *, void *, const char **err);
int ws_delete(struct pg_pool *, int64_t user, int64_t website, as_done_f *,
    void *, const char **err);

#endif
