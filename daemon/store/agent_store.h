/*
 * The agents of a website (stoked agent, beside each of its Varnish
 * nodes), in PostgreSQL (0014_agents.sql): their tokens, what they
 * send, what they are told to do.
 *
 * Two kinds of caller.  A tenant's statements (create, list, revoke)
 * are bound to the caller as website_store.h's are: a website of a
 * project the caller is not a member of is AS_NOT_FOUND; any member
 * lists, an owner or an admin creates and revokes (else AS_FORBIDDEN).
 * An agent's statements are bound to the agent, whose one website is
 * the row's: nothing an agent sends names a website, and a revoked
 * agent is AS_NOT_FOUND.
 *
 * Only a token's SHA-256 and its prefix are kept; the token is made in
 * C (api_key.h) and shown once.  An agent is JSON: {"id", "website_id",
 * "name", "prefix", "created_at", "last_seen_at", "version", "node",
 * "lag_seconds"}; never its hash.  Revoked agents are not listed.
 *
 * Each function: 0, and cb called once from the loop; or -1 with *err,
 * and it will not be.
 */

#ifndef STOKE_AGENT_STORE_H
#define STOKE_AGENT_STORE_H

#include <stdint.h>

#include "auth/api_key.h"
#include "account_store.h"

struct pg_pool;

/* The channel a command's insert is NOTIFYed on; the payload is the
 * agent's id. */
#define AGS_CHANNEL "stoke_agents"
/* Commands in one answer, at most. */
#define AGS_COMMANDS_MAX 100
/* Tasks in one claim, at most, and the seconds they are leased for. */
#define AGS_TASKS_MAX 100
#define AGS_TASK_LEASE 120

/*--------------------------------------------------------------------
 * A tenant's
 */

/* A new agent of the website, its token made by api_key_new(). */
int ags_create(struct pg_pool *, int64_t user, int64_t website,
    const char *name, const char *prefix, const uint8_t hash[API_KEY_HASH_LEN],
    as_done_f *, void *, const char **err);
/* {"agents": [agent, ...]}, oldest first. */
int ags_list(struct pg_pool *, int64_t user, int64_t website, as_done_f *,
    void *, const char **err);
/* Revoked at once, for every replica, its commands gone; AS_NOT_FOUND:
 * no such agent of this website (or revoked already).  No JSON. */
int ags_revoke(struct pg_pool *, int64_t user, int64_t website, int64_t agent,
    as_done_f *, void *, const char **err);

/*--------------------------------------------------------------------
 * An agent's
 */

struct ags_agent {
	int64_t id;
	int64_t website;
};

typedef void ags_auth_f(void *priv, enum as_status, const struct ags_agent *,
    const char *err);

/* The agent of this token's hash, unless revoked (AS_NOT_FOUND); its
 * last_seen_at brought up to now when it is half a minute old. */
int ags_authenticate(struct pg_pool *, const uint8_t hash[API_KEY_HASH_LEN],
    ags_auth_f *, void *, const char **err);

/*
 * What the agent says of itself recorded (version, node, run may be
 * NULL): {"agent_id", "website": WEBSITE, "cursor"}, WEBSITE as
 * agent_website() of 0014_agents.sql writes it, cursor the id of its
 * newest command (0: none).
 */
int ags_hello(struct pg_pool *, int64_t agent, const char *name,
    const char *version, const char *node, const char *run, as_done_f *, void *,
    const char **err);

/*
 * A batch's results come a column each, as PostgreSQL array literals
 * (pg_array.h), in this order: thousands of rows a batch, which the
 * database reads as arrays at about half the cost of JSON.
 */
enum ags_result_col {
	AGS_RC_KEY, /* uuid */
	AGS_RC_JOB, /* uuid */
	AGS_RC_URL,
	AGS_RC_VARIANT,
	AGS_RC_NODE,
	AGS_RC_STATUS, /* integer */
	AGS_RC_LOAD_MS, /* real */
	AGS_RC_TTFB_MS, /* real */
	AGS_RC_CACHE_STATUS,
	AGS_RC_OUTCOME,
	AGS_RC_REASON,
	AGS_RC_TTL, /* real */
	AGS_RC_RECORDED_AT, /* float8, seconds since the epoch */
	AGS_RC_HEADERS, /* jsonb */
	AGS_RESULT_COLS
};

/* A batch: its rows each a JSON array as the protocol has them, but
 * for its results. */
struct ags_batch {
	const char *key;
	double sent_at;
	const char *results[AGS_RESULT_COLS];
	const char *jobs, *invalidations, *traffic, *tasks;
	const char *popular, *searches;
	size_t ninvalidations, ntasks; /* items of those arrays */
	size_t npopular; /* of popular and searches together */
};

/*
 * A batch stored in one statement, or nothing of it when the agent
 * sent it before: {"batch", "duplicate": true}, or {"batch",
 * "duplicate": false, "stored": {"jobs", "invalidations", "results",
 * "traffic", "tasks", "popular", "searches"}, "dropped": {"foreign_host", "unknown_job",
 * "tasks"}}.  A task is stored (done or failed, its result made, its
 * job counted) only when it is the agent's and still open: a task
 * said done twice, in one batch or two, counts once.
 */
int ags_ingest(struct pg_pool *, int64_t agent, const struct ags_batch *,
    as_done_f *, void *, const char **err);

/*
 * The agent's commands after the cursor, at most AGS_COMMANDS_MAX, those
 * up to it acknowledged (deleted): {"commands": [...], "cursor": n},
 * cursor the last one's id, or after when there are none.
 */
int ags_commands(struct pg_pool *, int64_t agent, int64_t after, as_done_f *,
    void *, const char **err);

/*
 * Up to max (1 to AGS_TASKS_MAX) of the agent's open tasks leased to it
 * for AGS_TASK_LEASE seconds: {"tasks": [{"id", "job", "url",
 * "variant", "attempts", "lease_until"}], "lease"}; a page to render
 * too has "render": true, "base_url" and "asset_hosts" (its website's).
 * The same key (or NULL) again is answered the tasks its claim leased
 * as well, while their lease holds: a lost answer loses no task.
 */
int ags_claim(struct pg_pool *, int64_t agent, unsigned max, const char *key,
    as_done_f *, void *, const char **err);

#endif
