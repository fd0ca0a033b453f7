/*
 * What the tenants' purge route asks of the database, bound to the
 * caller as website_store.h's statements are: a website of a project
 * the caller is not a member of is AS_NOT_FOUND; a viewer's purge is
 * AS_FORBIDDEN (an admin or an owner purges).
 *
 * Each function: 0, and cb called once from the loop; or -1 with *err,
 * and it will not be.
 */

#ifndef STOKE_PURGE_STORE_H
#define STOKE_PURGE_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

/* What a purge is sent with: {"base_url", "cache_type", "variants",
 * "varnish_nodes", "agents": n}, agents those not revoked. */
int purge_website(struct pg_pool *, int64_t user, int64_t website, as_done_f *,
    void *, const char **err);

/*
 * What the nodes did, recorded, the role checked again: the re-warm job
 * (trigger purge, source "urls", empty: its tasks are queued with
 * tq_enqueue) made when rewarm is not 0, and one invalidation_events
 * row for each of events, a JSON array of {"kind": "purge" (a URL) or
 * "tag", "node", "subject" (the URL or the tag), "soft", "dropped"
 * (objects, 0 when unknown)}, a URL's tied to the job; and one purge
 * command for each agent of the website, command (a JSON object:
 * {"urls", "tags", "hard"}) and a purge_id.  {"job_id": id or null,
 * "events": n, "agents": [name, ...]}, the agents told.
 */
int purge_record(struct pg_pool *, int64_t user, int64_t website,
    unsigned rewarm, const char *events, const char *command, as_done_f *,
    void *, const char **err);

#endif
