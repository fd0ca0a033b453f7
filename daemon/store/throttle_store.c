/*
 * The SQL behind throttle_store.h.  Every statement answers one row of
 * one column, the seconds a lock has left (0: none), so that one
 * callback reads them all.  ts_fail counts and decides in one upsert:
 * two replicas counting the same key at once are serialised by its row,
 * and each sees the other's failure.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "pg_pool.h"
#include "throttle_store.h"

/* $3 the limit, $4 the window and $5 the lock, in seconds. */
#define TS_WINDOW "make_interval(secs => $4::double precision)"
#define TS_LOCK "make_interval(secs => $5::double precision)"
/* In the upsert, t is the row as it was; NULL never decides a CASE. */
#define TS_LOCKED "coalesce(t.locked_until > now(), false)"
#define TS_STALE "(t.window_start < now() - " TS_WINDOW ")"
#define TS_COUNT "(CASE WHEN " TS_STALE " THEN 1 ELSE t.failures + 1 END)"
#define TS_REACHED "(NOT " TS_LOCKED " AND " TS_COUNT " >= $3::integer)"
/* Seconds left of a row's lock, whole, at least 1 while it lasts (in
 * RETURNING, of the row as it now is). */
#define TS_LEFT                                                                \
	"CASE WHEN locked_until > now() THEN"                                  \
	" greatest(1, ceil(extract(epoch FROM locked_until - now())))::bigint" \
	" ELSE 0 END"

static const struct pg_stmt ts_st_fail = { "ts_fail",
	"INSERT INTO auth_throttle AS t"
	"  (kind, key, window_start, failures, locked_until)"
	" SELECT $1::text, $2::text, now(), 1, NULL WHERE $3::integer > 1"
	" UNION ALL"
	" SELECT $1::text, $2::text, now(), 0, now() + " TS_LOCK
	" WHERE $3::integer <= 1"
	" ON CONFLICT (kind, key) DO UPDATE SET"
	"  failures = CASE WHEN " TS_LOCKED " THEN t.failures"
	"    WHEN " TS_REACHED " THEN 0 ELSE " TS_COUNT " END,"
	"  window_start = CASE WHEN " TS_LOCKED " THEN t.window_start"
	"    WHEN " TS_REACHED " OR " TS_STALE " THEN now()"
	"    ELSE t.window_start END,"
	"  locked_until = CASE WHEN " TS_REACHED " THEN now() + " TS_LOCK
	"    ELSE t.locked_until END"
	" RETURNING " TS_LEFT,
	5 };

static const struct pg_stmt ts_st_check = { "ts_check",
	"SELECT coalesce(max(" TS_LEFT "), 0) FROM auth_throttle"
	" WHERE locked_until > now()"
	"  AND ((kind = $1 AND key = $2) OR (kind = $3 AND key = $4))",
	4 };

static const struct pg_stmt ts_st_clear = { "ts_clear",
	"WITH d AS ("
	"  DELETE FROM auth_throttle"
	"  WHERE kind = $1 AND key = $2"
	"    AND (locked_until IS NULL OR locked_until <= now())"
	") SELECT 0::bigint",
	2 };

static const struct pg_stmt ts_st_prune = { "ts_prune",
	"WITH d AS ("
	"  DELETE FROM auth_throttle"
	"  WHERE window_start < now() - make_interval(secs => $1::double "
	"precision)"
	"    AND (locked_until IS NULL OR locked_until <= now())"
	") SELECT 0::bigint",
	1 };

/* A statement on its way: whom to tell. */
struct ts_call {
	unsigned magic;
#define TS_CALL_MAGIC 0x75c0c7a1
	ts_done_f *cb;
	void *priv;
};

static void
ts_on_rows(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct ts_call *c;
	int64_t left = 0;

	CAST_OBJ_NOTNULL(c, priv, TS_CALL_MAGIC);
	if (err == NULL && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		left = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else if (err == NULL)
		err = "the throttle statement answered no row";
	c->cb(c->priv, left > 0 ? left : 0, err);
	FREE_OBJ(c);
}

static int
ts_query(struct pg_pool *pool, const struct pg_stmt *st, const char *const *v,
    ts_done_f *cb, void *priv, const char **err)
{
	struct ts_call *c;

	AN(pool);
	AN(cb);
	AN(err);
	ALLOC_OBJ(c, TS_CALL_MAGIC);
	AN(c);
	c->cb = cb;
	c->priv = priv;
	/* Said at once rather than after the pool's wait for a connection. */
	if (pg_pool_ask(pool, st, v, ts_on_rows, c, err) != 0) {
		FREE_OBJ(c);
		return (-1);
	}
	return (0);
}

/*--------------------------------------------------------------------
 * throttle_store.h
 */

int
ts_fail(struct pg_pool *pool, const struct ts_policy *p, const char *key,
    ts_done_f *cb, void *priv, const char **err)
{
	char lim[16], win[32], lock[32];
	const char *v[5] = { NULL, key, lim, win, lock };

	AN(p);
	AN(p->kind);
	AN(key);
	assert(p->limit > 0 && p->window > 0 && p->lock > 0);
	v[0] = p->kind;
	snprintf(lim, sizeof lim, "%u", p->limit);
	snprintf(win, sizeof win, "%.3f", p->window);
	snprintf(lock, sizeof lock, "%.3f", p->lock);
	return (ts_query(pool, &ts_st_fail, v, cb, priv, err));
}

int
ts_check(struct pg_pool *pool, const char *kind1, const char *key1,
    const char *kind2, const char *key2, ts_done_f *cb, void *priv,
    const char **err)
{
	const char *v[4] = { kind1, key1, kind2, key2 };

	AN(kind1);
	AN(key1);
	assert((kind2 == NULL) == (key2 == NULL));
	return (ts_query(pool, &ts_st_check, v, cb, priv, err));
}

int
ts_clear(struct pg_pool *pool, const char *kind, const char *key, ts_done_f *cb,
    void *priv, const char **err)
{
	const char *v[2] = { kind, key };

	AN(kind);
	AN(key);
	return (ts_query(pool, &ts_st_clear, v, cb, priv, err));
}

int
ts_prune(struct pg_pool *pool, double older, ts_done_f *cb, void *priv,
    const char **err)
{
	char o[32];
	const char *v[1] = { o };

	assert(older > 0);
	snprintf(o, sizeof o, "%.3f", older);
	return (ts_query(pool, &ts_st_prune, v, cb, priv, err));
}
