/*
 * The SQL behind channel_store.h, run as the account store runs its own
 * (as_statement: one row, a verdict and the JSON).  A change is a JSON
 * object whose members say what changes (jsonb's ?), so that one
 * statement serves every PATCH.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "vdef.h"
#include "vas.h"

#include "channel_store.h"
#include "pg_pool.h"

#define CS_FIELDS                                                              \
	"'id', c.id, 'project_id', c.project_id, 'kind', c.kind,"              \
	" 'name', c.name, 'url', c.url, 'recipients', c.recipients,"           \
	" 'events', c.events, 'settings', c.settings,"                         \
	" 'enabled', c.enabled, 'created_at', c.created_at"

#define CS_DELIVERY_FIELDS                                                     \
	"'id', d.id, 'channel_id', d.channel_id, 'event', d.event,"            \
	" 'event_id', d.event_id, 'idempotency_key', d.idempotency_key,"       \
	" 'status', d.status, 'attempts', d.attempts,"                         \
	" 'last_error', d.last_error, 'last_status', d.last_status,"           \
	" 'next_attempt_at', CASE WHEN d.status = 'pending'"                   \
	"  THEN d.next_attempt_at END,"                                        \
	" 'created_at', d.created_at, 'delivered_at', d.delivered_at"

/* The caller's membership of project $2, if any: $1 is the caller. */
#define CS_ME                                                                  \
	"me AS (SELECT role FROM project_members"                              \
	"  WHERE project_id = $2::bigint AND user_id = $1::bigint)"
#define CS_MAY_CHANGE "me.role IN ('owner', 'admin')"
/* $3: a channel of the project, or none. */
#define CS_CHANNEL                                                             \
	"ch AS (SELECT * FROM notify_channels"                                 \
	"  WHERE id = $3::bigint AND project_id = $2::bigint)"
/* Changes to channel $3: forbidden, then not found. */
#define CS_VERDICT                                                             \
	"verdict AS (SELECT CASE"                                              \
	"  WHEN NOT " CS_MAY_CHANGE " THEN 'forbidden'"                        \
	"  WHEN NOT EXISTS (SELECT 1 FROM ch) THEN 'not_found'"                \
	"  ELSE 'ok' END AS status FROM me)"

static const struct pg_stmt cs_st_list = { "cs_list",
	"WITH " CS_ME " SELECT 'ok', json_build_object('channels',"
	"  coalesce((SELECT json_agg(json_build_object(" CS_FIELDS ")"
	"    ORDER BY c.id)"
	"    FROM notify_channels c WHERE c.project_id = $2::bigint),"
	"  '[]'))::text"
	" FROM me",
	2 };

/* $3 kind, $4 name, $5 url, $6 recipients, $7 secret, $8 events,
 * $9 settings, $10 enabled. */
static const struct pg_stmt cs_st_create = { "cs_create",
	"WITH " CS_ME ", verdict AS ("
	"  SELECT CASE WHEN NOT " CS_MAY_CHANGE " THEN 'forbidden'"
	"    WHEN (SELECT count(*) FROM notify_channels"
	"      WHERE project_id = $2::bigint) >= $11::integer"
	"      THEN 'plan_limit'"
	"    ELSE 'ok' END AS status FROM me"
	"), c AS ("
	"  INSERT INTO notify_channels (project_id, kind, name, url,"
	"    recipients, secret, events, settings, enabled)"
	"  SELECT $2::bigint, $3::channel_kind, $4, $5,"
	"    coalesce($6::text[], '{}'), $7, $8::text[],"
	"    coalesce($9::jsonb, '{}'), $10::boolean"
	"  FROM verdict WHERE verdict.status = 'ok'"
	"  RETURNING *"
	") SELECT v.status, (SELECT json_build_object(" CS_FIELDS ")::text"
	"  FROM c)"
	" FROM verdict v",
	11 };

static const struct pg_stmt cs_st_get = { "cs_get",
	"SELECT 'ok', json_build_object(" CS_FIELDS ", 'role', m.role)::text"
	" FROM notify_channels c JOIN project_members m"
	"  ON m.project_id = c.project_id AND m.user_id = $1::bigint"
	" WHERE c.id = $3::bigint AND c.project_id = $2::bigint",
	3 };

/* $4: what changes. */
static const struct pg_stmt cs_st_update = { "cs_update",
	"WITH " CS_ME ", " CS_CHANNEL ", " CS_VERDICT ", u AS ("
	"  UPDATE notify_channels c SET"
	"    name = CASE WHEN $4::jsonb ? 'name'"
	"      THEN $4::jsonb ->> 'name' ELSE c.name END,"
	"    url = CASE WHEN $4::jsonb ? 'url'"
	"      THEN $4::jsonb ->> 'url' ELSE c.url END,"
	"    recipients = CASE WHEN $4::jsonb ? 'recipients'"
	"      THEN ARRAY(SELECT jsonb_array_elements_text("
	"        $4::jsonb -> 'recipients')) ELSE c.recipients END,"
	"    events = CASE WHEN $4::jsonb ? 'events'"
	"      THEN ARRAY(SELECT jsonb_array_elements_text("
	"        $4::jsonb -> 'events')) ELSE c.events END,"
	"    settings = CASE WHEN $4::jsonb ? 'settings'"
	"      THEN $4::jsonb -> 'settings' ELSE c.settings END,"
	"    enabled = CASE WHEN $4::jsonb ? 'enabled'"
	"      THEN ($4::jsonb ->> 'enabled')::boolean ELSE c.enabled END"
	"  FROM verdict v WHERE v.status = 'ok' AND c.id = $3::bigint"
	"  RETURNING c.*"
	") SELECT v.status, (SELECT json_build_object(" CS_FIELDS ")::text"
	"  FROM u c)"
	" FROM verdict v",
	4 };

static const struct pg_stmt cs_st_delete = { "cs_delete",
	"WITH " CS_ME ", " CS_CHANNEL ", " CS_VERDICT ", d AS ("
	"  DELETE FROM notify_channels c USING verdict v"
	"  WHERE v.status = 'ok' AND c.id = $3::bigint"
	") SELECT v.status, NULL::text FROM verdict v",
	3 };

/*
 * Written here rather than by notify_enqueue(), whose row this
 * statement's snapshot would not see: a test goes to its channel even
 * when it is disabled, which is when one wants to try it.
 */
static const struct pg_stmt cs_st_test = { "cs_test",
	"WITH " CS_ME ", " CS_CHANNEL ", " CS_VERDICT ", e AS ("
	"  SELECT 'channel.test/' || gen_random_uuid() AS id"
	"  FROM verdict WHERE status = 'ok'"
	"), d AS ("
	"  INSERT INTO notify_outbox (project_id, channel_id, event, event_id,"
	"    idempotency_key, payload)"
	"  SELECT ch.project_id, ch.id, 'channel.test', e.id,"
	"    e.id || ':' || ch.id, jsonb_build_object('event', 'channel.test',"
	"    'id', e.id, 'channel_id', ch.id, 'occurred_at', now(),"
	"    'project', (SELECT jsonb_build_object('id', p.id, 'name', p.name)"
	"      FROM projects p WHERE p.id = ch.project_id),"
	"    'channel', jsonb_build_object('id', ch.id, 'name', ch.name,"
	"      'kind', ch.kind))"
	"  FROM e, ch"
	"  RETURNING *, pg_notify('stoke_notify', '')"
	") SELECT v.status,"
	" (SELECT json_build_object(" CS_DELIVERY_FIELDS ")::text FROM d)"
	" FROM verdict v",
	3 };

/* $3 the channel (0: any), $4 before (0: the newest), $5 the limit. */
static const struct pg_stmt cs_st_deliveries = { "cs_deliveries",
	"WITH " CS_ME ", p AS ("
	"  SELECT * FROM notify_outbox WHERE project_id = $2::bigint"
	"    AND ($3::bigint = 0 OR channel_id = $3::bigint)"
	"    AND ($4::bigint = 0 OR id < $4::bigint)"
	"  ORDER BY id DESC LIMIT $5::integer + 1"
	"), n AS ("
	"  SELECT row_number() OVER (ORDER BY id DESC) AS rn, * FROM p"
	") SELECT 'ok', json_build_object('deliveries', coalesce("
	"  (SELECT json_agg(json_build_object(" CS_DELIVERY_FIELDS ")"
	"    ORDER BY d.rn) FROM n d WHERE d.rn <= $5::integer), '[]'),"
	"  'next_before', (SELECT d.id FROM n d WHERE d.rn = $5::integer"
	"    AND EXISTS (SELECT 1 FROM n WHERE rn > $5::integer)))::text"
	" FROM me",
	5 };

/*--------------------------------------------------------------------
 * channel_store.h
 */

#define CS_ID_LEN 24

static void
cs_id(char *buf, int64_t id)
{
	snprintf(buf, CS_ID_LEN, "%" PRId64, id);
}

/* A statement of the caller, the project and a channel. */
static int
cs_run(struct pg_pool *pool, const struct pg_stmt *st, int64_t user,
    int64_t project, int64_t channel, as_done_f *cb, void *priv,
    const char **err)
{
	char u[CS_ID_LEN], p[CS_ID_LEN], c[CS_ID_LEN];
	const char *v[3] = { u, p, c };

	assert(st->nparams == 3);
	cs_id(u, user);
	cs_id(p, project);
	cs_id(c, channel);
	return (as_statement(pool, st, v, cb, priv, err));
}

int
cs_list(struct pg_pool *pool, int64_t user, int64_t project, as_done_f *cb,
    void *priv, const char **err)
{
	char u[CS_ID_LEN], p[CS_ID_LEN];
	const char *v[2] = { u, p };

	cs_id(u, user);
	cs_id(p, project);
	return (as_statement(pool, &cs_st_list, v, cb, priv, err));
}

int
cs_create(struct pg_pool *pool, int64_t user, int64_t project,
    const struct cs_channel *c, as_done_f *cb, void *priv, const char **err)
{
	char u[CS_ID_LEN], p[CS_ID_LEN], max[CS_ID_LEN];
	const char *v[11];

	AN(c);
	AN(c->kind);
	AN(c->name);
	AN(c->events);
	cs_id(u, user);
	cs_id(p, project);
	cs_id(max, CS_CHANNELS_MAX);
	v[0] = u;
	v[1] = p;
	v[2] = c->kind;
	v[3] = c->name;
	v[4] = c->url;
	v[5] = c->recipients;
	v[6] = c->secret;
	v[7] = c->events;
	v[8] = c->settings;
	v[9] = c->enabled ? "true" : "false";
	v[10] = max;
	return (as_statement(pool, &cs_st_create, v, cb, priv, err));
}

int
cs_get(struct pg_pool *pool, int64_t user, int64_t project, int64_t channel,
    as_done_f *cb, void *priv, const char **err)
{
	return (
	    cs_run(pool, &cs_st_get, user, project, channel, cb, priv, err));
}

int
cs_update(struct pg_pool *pool, int64_t user, int64_t project, int64_t channel,
    const char *set, as_done_f *cb, void *priv, const char **err)
{
	char u[CS_ID_LEN], p[CS_ID_LEN], c[CS_ID_LEN];
	const char *v[4] = { u, p, c, set };

	AN(set);
	cs_id(u, user);
	cs_id(p, project);
	cs_id(c, channel);
	return (as_statement(pool, &cs_st_update, v, cb, priv, err));
}

int
cs_delete(struct pg_pool *pool, int64_t user, int64_t project, int64_t channel,
    as_done_f *cb, void *priv, const char **err)
{
	return (
	    cs_run(pool, &cs_st_delete, user, project, channel, cb, priv, err));
}

int
cs_test(struct pg_pool *pool, int64_t user, int64_t project, int64_t channel,
    as_done_f *cb, void *priv, const char **err)
{
	return (
	    cs_run(pool, &cs_st_test, user, project, channel, cb, priv, err));
}

int
cs_deliveries(struct pg_pool *pool, int64_t user, int64_t project,
    int64_t channel, int64_t before, unsigned limit, as_done_f *cb, void *priv,
    const char **err)
{
	char u[CS_ID_LEN], p[CS_ID_LEN], c[CS_ID_LEN], b[CS_ID_LEN];
	char l[CS_ID_LEN];
	const char *v[5] = { u, p, c, b, l };

	assert(channel >= 0);
	assert(before >= 0);
	assert(limit > 0);
	cs_id(u, user);
	cs_id(p, project);
	cs_id(c, channel);
	cs_id(b, before);
	cs_id(l, limit);
	return (as_statement(pool, &cs_st_deliveries, v, cb, priv, err));
}
