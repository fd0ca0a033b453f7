/*
 * The SQL behind key_store.h.  A project's keys are statements of the
 * account store's kind (as_statement: one row, a verdict and the JSON);
 * the authenticator's lookup answers columns of its own, read here.
 *
 * A key's hash goes to PostgreSQL as hex (decode($n, 'hex')), its
 * scopes as a text array, both written here from what the caller gave,
 * never spliced into SQL.  The key's user, its key and its membership
 * are made in one statement, and revoking takes the membership away in
 * one, so that no key is ever seen half made or half revoked.
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

#include "key_store.h"
#include "pg_pool.h"

#define KS_FIELDS                                                              \
	"'id', k.id, 'name', k.name, 'prefix', k.prefix,"                      \
	" 'scopes', k.scopes, 'created_at', k.created_at,"                     \
	" 'last_used_at', k.last_used_at, 'revoked_at', k.revoked_at"

/* The caller's membership of project $2, if any: $1 is the caller. */
#define KS_ME                                                                  \
	"me AS (SELECT role FROM project_members"                              \
	"  WHERE project_id = $2::bigint AND user_id = $1::bigint)"
#define KS_MAY_CHANGE "me.role IN ('owner', 'admin')"

/*
 * $3 the name, $4 the scopes, $5 the prefix, $6 the hash.  A key that
 * only reads acts as a viewer; one that may start jobs or purge needs
 * an admin's role for the statements of those routes.
 */
static const struct pg_stmt ks_st_create = { "ks_create",
	"WITH " KS_ME ", verdict AS ("
	"  SELECT CASE WHEN " KS_MAY_CHANGE " THEN 'ok' ELSE 'forbidden' END"
	"    AS status FROM me"
	"), bot AS ("
	"  INSERT INTO users (kind, name)"
	"  SELECT 'key', $3 FROM verdict WHERE verdict.status = 'ok'"
	"  RETURNING id"
	"), k AS ("
	"  INSERT INTO api_keys (project_id, user_id, name, prefix, key_hash,"
	"    scopes)"
	"  SELECT $2::bigint, bot.id, $3, $5, decode($6, 'hex'), $4::text[]"
	"  FROM bot RETURNING *"
	"), m AS ("
	"  INSERT INTO project_members (project_id, user_id, role)"
	"  SELECT $2::bigint, bot.id, CASE WHEN $4::text[] <@ ARRAY['read']"
	"    THEN 'viewer' ELSE 'admin' END::member_role FROM bot"
	") SELECT v.status, (SELECT json_build_object(" KS_FIELDS ")::text"
	"  FROM k)"
	" FROM verdict v",
	6 };

static const struct pg_stmt ks_st_list = { "ks_list",
	"WITH " KS_ME " SELECT 'ok', json_build_object('keys',"
	"  coalesce((SELECT json_agg(json_build_object(" KS_FIELDS ")"
	"    ORDER BY k.id)"
	"    FROM api_keys k WHERE k.project_id = $2::bigint), '[]'))::text"
	" FROM me",
	2 };

/*
 * $3 the key.  Two revokes at once: the second's UPDATE waits for the
 * first's row, finds it revoked, and answers the conflict.
 */
static const struct pg_stmt ks_st_revoke = { "ks_revoke",
	"WITH " KS_ME ", k AS ("
	"  SELECT revoked_at FROM api_keys"
	"  WHERE id = $3::bigint AND project_id = $2::bigint"
	"), verdict AS ("
	"  SELECT CASE"
	"    WHEN NOT " KS_MAY_CHANGE " THEN 'forbidden'"
	"    WHEN NOT EXISTS (SELECT 1 FROM k) THEN 'not_found'"
	"    WHEN (SELECT revoked_at FROM k) IS NOT NULL THEN 'conflict'"
	"    ELSE 'ok' END AS status"
	"  FROM me"
	"), r AS ("
	"  UPDATE api_keys a SET revoked_at = now() FROM verdict v"
	"  WHERE v.status = 'ok' AND a.id = $3::bigint"
	"    AND a.project_id = $2::bigint AND a.revoked_at IS NULL"
	"  RETURNING a.user_id"
	"), d AS ("
	"  DELETE FROM project_members m USING r WHERE m.user_id = r.user_id"
	") SELECT CASE"
	"  WHEN v.status = 'ok' AND NOT EXISTS (SELECT 1 FROM r)"
	"    THEN 'conflict'"
	"  ELSE v.status END, NULL::text"
	" FROM verdict v",
	3 };

/*
 * $1 the hash.  The minute is checked on the row the UPDATE locks, so
 * that of a burst of requests only the first writes.
 */
static const struct pg_stmt ks_st_authenticate = { "ks_authenticate",
	"WITH k AS ("
	"  SELECT id, user_id, project_id, scopes FROM api_keys"
	"  WHERE key_hash = decode($1, 'hex') AND revoked_at IS NULL"
	"), u AS ("
	"  UPDATE api_keys a SET last_used_at = now() FROM k"
	"  WHERE a.id = k.id AND a.revoked_at IS NULL"
	"    AND (a.last_used_at IS NULL"
	"      OR a.last_used_at <= now() - interval '1 minute')"
	") SELECT id, user_id, project_id, array_to_string(scopes, ' ')"
	" FROM k",
	1 };

/*--------------------------------------------------------------------
 * Parameters
 */

#define KS_ID_LEN 24
#define KS_HEX_LEN (2 * API_KEY_HASH_LEN + 1)
/* "{read,jobs,purge}" and more */
#define KS_SCOPES_LEN 64

static void
ks_id(char *buf, int64_t id)
{
	snprintf(buf, KS_ID_LEN, "%" PRId64, id);
}

static void
ks_hex(char *buf, const uint8_t hash[API_KEY_HASH_LEN])
{
	size_t i;

	for (i = 0; i < API_KEY_HASH_LEN; i++)
		snprintf(buf + 2 * i, 3, "%02x", hash[i]);
}

/* The scopes as a text array, in the order of enum key_scope. */
static void
ks_scopes(char *buf, unsigned scopes)
{
	size_t l;
	unsigned s;

	assert(scopes != 0);
	assert((scopes & KEY_BIT(KEY_NONE)) == 0);
	assert(scopes < KEY_BIT(KEY__MAX));
	l = (size_t)snprintf(buf, KS_SCOPES_LEN, "{");
	for (s = KEY_NONE + 1; s < KEY__MAX; s++) {
		if (!(scopes & KEY_BIT(s)))
			continue;
		l += (size_t)snprintf(buf + l, KS_SCOPES_LEN - l, "%s%s",
		    l > 1 ? "," : "", key_scope_name[s]);
	}
	l += (size_t)snprintf(buf + l, KS_SCOPES_LEN - l, "}");
	assert(l < KS_SCOPES_LEN);
}

/*--------------------------------------------------------------------
 * A project's keys
 */

int
ks_create(struct pg_pool *pool, int64_t user, int64_t project, const char *name,
    unsigned scopes, const char *prefix, const uint8_t hash[API_KEY_HASH_LEN],
    as_done_f *cb, void *priv, const char **err)
{
	char u[KS_ID_LEN], p[KS_ID_LEN], s[KS_SCOPES_LEN], h[KS_HEX_LEN];
	const char *v[6] = { u, p, name, s, prefix, h };

	AN(name);
	AN(prefix);
	AN(hash);
	ks_id(u, user);
	ks_id(p, project);
	ks_scopes(s, scopes);
	ks_hex(h, hash);
	return (as_statement(pool, &ks_st_create, v, cb, priv, err));
}

int
ks_list(struct pg_pool *pool, int64_t user, int64_t project, as_done_f *cb,
    void *priv, const char **err)
{
	char u[KS_ID_LEN], p[KS_ID_LEN];
	const char *v[2] = { u, p };

	ks_id(u, user);
	ks_id(p, project);
	return (as_statement(pool, &ks_st_list, v, cb, priv, err));
}

int
ks_revoke(struct pg_pool *pool, int64_t user, int64_t project, int64_t key,
    as_done_f *cb, void *priv, const char **err)
{
	char u[KS_ID_LEN], p[KS_ID_LEN], k[KS_ID_LEN];
	const char *v[3] = { u, p, k };

	ks_id(u, user);
	ks_id(p, project);
	ks_id(k, key);
	return (as_statement(pool, &ks_st_revoke, v, cb, priv, err));
}

/*--------------------------------------------------------------------
 * The authenticator's lookup
 */

struct ks_call {
	unsigned magic;
#define KS_CALL_MAGIC 0x6b5ca11e
	ks_auth_f *cb;
	void *priv;
};

/* "read jobs": the scopes the database holds, which its CHECK keeps to
 * the names of enum key_scope. */
static unsigned
ks_scopes_of(const char *s)
{
	char buf[KS_SCOPES_LEN], *w, *save;
	unsigned scopes = 0;
	enum key_scope k;

	assert(strlen(s) < sizeof buf);
	strcpy(buf, s);
	for (w = strtok_r(buf, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save)) {
		k = key_scope_of(w);
		assert(k != KEY_NONE);
		scopes |= KEY_BIT(k);
	}
	return (scopes);
}

static void
ks_found(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct ks_call *c;
	struct ks_key k;

	CAST_OBJ_NOTNULL(c, priv, KS_CALL_MAGIC);
	if (err != NULL) {
		c->cb(c->priv, AS_ERROR, NULL, err);
	} else if (PQntuples(r) == 0) {
		c->cb(c->priv, AS_NOT_FOUND, NULL, NULL);
	} else {
		assert(PQntuples(r) == 1 && PQnfields(r) == 4);
		memset(&k, 0, sizeof k);
		k.id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		k.user = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		k.project = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		k.scopes = ks_scopes_of(PQgetvalue(r, 0, 3));
		assert(k.id > 0 && k.user > 0 && k.project > 0);
		c->cb(c->priv, AS_OK, &k, NULL);
	}
	FREE_OBJ(c);
}

int
ks_authenticate(struct pg_pool *pool, const uint8_t hash[API_KEY_HASH_LEN],
    ks_auth_f *cb, void *priv, const char **err)
{
	struct ks_call *c;
	char h[KS_HEX_LEN];
	const char *v[1] = { h };

	AN(pool);
	AN(hash);
	AN(cb);
	AN(err);
	ks_hex(h, hash);
	ALLOC_OBJ(c, KS_CALL_MAGIC);
	AN(c);
	c->cb = cb;
	c->priv = priv;
	if (pg_pool_ask(pool, &ks_st_authenticate, v, ks_found, c, err) != 0) {
		FREE_OBJ(c);
		return (-1);
	}
	return (0);
}
