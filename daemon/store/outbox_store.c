/*
 * The SQL behind outbox_store.h.  Every statement answers one row of
 * one text column (or none), handed to the caller as it came.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "outbox_store.h"
#include "pg_pool.h"

/*
 * $1 the limit, $2 the lease's seconds.  The due index serves the order;
 * rows leased by a live deliverer are passed over, locked or not.
 */
static const struct pg_stmt ob_st_claim = { "ob_claim",
	"WITH c AS ("
	"  SELECT o.id FROM notify_outbox o"
	"  WHERE o.status = 'pending' AND o.next_attempt_at <= now()"
	"    AND (o.lease_until IS NULL OR o.lease_until < now())"
	"  ORDER BY o.next_attempt_at, o.id LIMIT $1::integer"
	"  FOR UPDATE SKIP LOCKED"
	"), u AS ("
	"  UPDATE notify_outbox o SET attempts = o.attempts + 1,"
	"    lease_until = now() + make_interval(secs => $2::float8)"
	"  FROM c WHERE o.id = c.id"
	"  RETURNING o.*"
	") SELECT coalesce(json_agg(json_build_object('id', u.id,"
	"  'attempt', u.attempts, 'key', u.idempotency_key,"
	"  'event', u.event, 'payload', u.payload, 'kind', ch.kind,"
	"  'url', ch.url, 'secret', ch.secret,"
	"  'recipients', ch.recipients) ORDER BY u.id), '[]')::text"
	" FROM u JOIN notify_channels ch ON ch.id = u.channel_id",
	2 };

static const struct pg_stmt ob_st_delivered = { "ob_delivered",
	"UPDATE notify_outbox SET status = 'delivered', delivered_at = now(),"
	"  lease_until = NULL, last_error = NULL, last_status = $3::integer"
	" WHERE id = $1::bigint AND attempts = $2::integer"
	"  AND status = 'pending'"
	" RETURNING 'ok'",
	3 };

/* $3 the error, $4 the status (NULL: none), $5 permanent, $6 base,
 * $7 cap, $8 max age. */
static const struct pg_stmt ob_st_failed = { "ob_failed",
	"WITH n AS ("
	"  SELECT o.id, now() + make_interval(secs => least($7::float8,"
	"    $6::float8 * power(2, least(o.attempts - 1, 30)))"
	"    * (0.5 + random() / 2)) AS next_at, o.created_at"
	"  FROM notify_outbox o"
	"  WHERE o.id = $1::bigint AND o.attempts = $2::integer"
	"    AND o.status = 'pending'"
	") UPDATE notify_outbox o SET lease_until = NULL,"
	"  last_error = left($3, 1000), last_status = $4::integer,"
	"  next_attempt_at = n.next_at,"
	"  status = CASE WHEN $5::boolean OR n.next_at > n.created_at"
	"    + make_interval(secs => $8::float8)"
	"    THEN 'failed' ELSE 'pending' END::delivery_status"
	" FROM n WHERE o.id = n.id"
	" RETURNING o.status::text",
	8 };

static const struct pg_stmt ob_st_watch = { "ob_watch",
	"SELECT notify_watch(NULL)::text", 0 };

/*--------------------------------------------------------------------
 * One text, or none
 */

struct ob_call {
	unsigned magic;
#define OB_CALL_MAGIC 0x0b0ca11e
	ob_done_f *cb;
	void *priv;
};

static void
ob_answered(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct ob_call *c;
	const char *json = NULL;

	CAST_OBJ_NOTNULL(c, priv, OB_CALL_MAGIC);
	if (err == NULL && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		json = PQgetvalue(r, 0, 0);
	c->cb(c->priv, json, err);
	FREE_OBJ(c);
}

static int
ob_query(struct pg_pool *pool, const struct pg_stmt *st, const char *const *v,
    ob_done_f *cb, void *priv)
{
	struct ob_call *c;

	AN(pool);
	AN(cb);
	ALLOC_OBJ(c, OB_CALL_MAGIC);
	AN(c);
	c->cb = cb;
	c->priv = priv;
	if (pg_pool_query(pool, st, v, ob_answered, c) != 0) {
		FREE_OBJ(c);
		return (-1);
	}
	return (0);
}

#define OB_NUM_LEN 32

int
ob_claim(struct pg_pool *pool, unsigned limit, double lease, ob_done_f *cb,
    void *priv)
{
	char l[OB_NUM_LEN], s[OB_NUM_LEN];
	const char *v[2] = { l, s };

	assert(limit > 0);
	assert(lease > 0);
	snprintf(l, sizeof l, "%u", limit);
	snprintf(s, sizeof s, "%.3f", lease);
	return (ob_query(pool, &ob_st_claim, v, cb, priv));
}

int
ob_delivered(struct pg_pool *pool, int64_t id, int64_t attempt, long status,
    ob_done_f *cb, void *priv)
{
	char i[OB_NUM_LEN], a[OB_NUM_LEN], s[OB_NUM_LEN];
	const char *v[3] = { i, a, s };

	snprintf(i, sizeof i, "%" PRId64, id);
	snprintf(a, sizeof a, "%" PRId64, attempt);
	snprintf(s, sizeof s, "%ld", status);
	return (ob_query(pool, &ob_st_delivered, v, cb, priv));
}

int
ob_failed(struct pg_pool *pool, int64_t id, int64_t attempt, const char *error,
    long status, int permanent, const struct ob_retry *rt, ob_done_f *cb,
    void *priv)
{
	char i[OB_NUM_LEN], a[OB_NUM_LEN], s[OB_NUM_LEN];
	char b[OB_NUM_LEN], c[OB_NUM_LEN], m[OB_NUM_LEN];
	const char *v[8];

	AN(error);
	AN(rt);
	snprintf(i, sizeof i, "%" PRId64, id);
	snprintf(a, sizeof a, "%" PRId64, attempt);
	snprintf(s, sizeof s, "%ld", status);
	snprintf(b, sizeof b, "%.3f", rt->base);
	snprintf(c, sizeof c, "%.3f", rt->cap);
	snprintf(m, sizeof m, "%.3f", rt->max_age);
	v[0] = i;
	v[1] = a;
	v[2] = error;
	v[3] = status > 0 ? s : NULL;
	v[4] = permanent ? "true" : "false";
	v[5] = b;
	v[6] = c;
	v[7] = m;
	return (ob_query(pool, &ob_st_failed, v, cb, priv));
}

int
ob_watch(struct pg_pool *pool, ob_done_f *cb, void *priv)
{
	return (ob_query(pool, &ob_st_watch, NULL, cb, priv));
}
