/*
 * A project's notification channels and their deliveries, for the
 * tenants' API, in PostgreSQL (0018_notifications.sql), bound to the
 * caller as key_store.h's statements are: a project the caller is not
 * a member of is AS_NOT_FOUND, and so is a channel of another project;
 * any member lists, an owner or an admin creates, changes, deletes and
 * tests (else AS_FORBIDDEN).
 *
 * A channel is JSON: {"id", "project_id", "kind", "name", "url",
 * "recipients", "events", "settings", "enabled", "created_at"}; never
 * its secret, which its creator is shown once.
 *
 * A delivery is an outbox row: {"id", "channel_id", "event",
 * "event_id", "idempotency_key", "status", "attempts", "last_error",
 * "last_status", "next_attempt_at" (while pending, else null),
 * "created_at", "delivered_at"}.
 *
 * What is sent, and when, is the deliverers' (outbox_store.h).  Each
 * function: 0, and cb called once from the loop; or -1 with *err, and
 * it will not be.
 */

#ifndef STOKE_CHANNEL_STORE_H
#define STOKE_CHANNEL_STORE_H

#include <stdint.h>

#include "account_store.h"

struct pg_pool;

/* A project has this many channels at most (AS_PLAN_LIMIT). */
#define CS_CHANNELS_MAX 50

/* What a channel is made of, checked by the caller: url for the HTTP
 * kinds, recipients (a text array, "{a@b,c@d}") for e-mail; secret for
 * a webhook; events a text array; settings a JSON object or NULL. */
struct cs_channel {
	const char *kind, *name, *url, *recipients, *secret, *events;
	const char *settings;
	int enabled;
};

/* {"channels": [channel, ...]}, oldest first. */
int cs_list(struct pg_pool *, int64_t user, int64_t project, as_done_f *,
    void *, const char **err);
/* The channel made. */
int cs_create(struct pg_pool *, int64_t user, int64_t project,
    const struct cs_channel *, as_done_f *, void *, const char **err);
/* The channel, and the caller's "role" in it. */
int cs_get(struct pg_pool *, int64_t user, int64_t project, int64_t channel,
    as_done_f *, void *, const char **err);
/* set: a JSON object of what changes (name, url, recipients, events,
 * settings, enabled), checked by the caller against the channel's
 * kind.  The channel after. */
int cs_update(struct pg_pool *, int64_t user, int64_t project, int64_t channel,
    const char *set, as_done_f *, void *, const char **err);
/* Its deliveries go with it.  No JSON. */
int cs_delete(struct pg_pool *, int64_t user, int64_t project, int64_t channel,
    as_done_f *, void *, const char **err);
/* An event "channel.test" owed to the channel alone, enabled or not: the
 * delivery made. */
int cs_test(struct pg_pool *, int64_t user, int64_t project, int64_t channel,
    as_done_f *, void *, const char **err);
/* {"deliveries": [delivery, ...], "next_before": id or null}, newest
 * first, those below before (0: from the newest), of one channel
 * (0: all), at most limit. */
int
cs_deliveries(struct pg_pool *, int64_t user, int64_t project, int64_t channel,
    int64_t before, unsigned limit, as_done_f *, void *, const char **err);

#endif
