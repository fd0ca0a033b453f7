/*
 * The SQL behind account_store.h.
 *
 * Every statement answers one row of two columns, or none: what became
 * of the call ('ok', 'not_found', 'forbidden', 'conflict') and the
 * JSON answer.  No row is AS_NOT_FOUND: a statement bound to a caller
 * who is not a member of the project finds nothing.  Those that need a
 * role read the caller's membership in a CTE (me) and decide from it
 * in the same statement, so that no answer depends on a read made
 * before.  The SQLSTATEs of a taken e-mail (unique_violation) and of a
 * project left without an owner (integrity_constraint_violation, from
 * 0004_accounts.sql's trigger, when two changes race) are AS_CONFLICT;
 * a plan's limit that a race reached first (SK001, 0012_plan_limits.sql)
 * is AS_PLAN_LIMIT.  A plan's refusal comes with what it refused (the
 * JSON column, or the error's DETAIL: 0021_plan_quotas.sql's
 * plan_refusal()), handed on as the answer.
 *
 * Users here are persons (kind 'person').  An API key's user (kind
 * 'key', key_store.h) is a member of its project, which is how it
 * reads and writes it, but none of these statements shows it: it is
 * not listed nor counted as a member, not found by e-mail, not removed
 * through the members, and never signed in (it has neither e-mail nor
 * password).
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

#include "account_store.h"
#include "pg_pool.h"

/*--------------------------------------------------------------------
 * Users and tokens
 */

static const struct pg_stmt as_st_user_create = { "as_user_create",
	"INSERT INTO users (name, email, password_hash) VALUES ($1, $2, $3)"
	" RETURNING 'ok', json_build_object('id', id, 'name', name,"
	"  'email', email, 'created_at', created_at)::text",
	3 };

static const struct pg_stmt as_st_user_credentials = { "as_user_credentials",
	"SELECT 'ok', json_build_object('id', id,"
	"  'password_hash', password_hash)::text"
	" FROM users WHERE lower(email) = lower($1) AND kind = 'person'",
	1 };

static const struct pg_stmt as_st_user_me = { "as_user_me",
	"SELECT 'ok', json_build_object("
	"  'user', json_build_object('id', u.id, 'name', u.name,"
	"    'email', u.email, 'created_at', u.created_at),"
	"  'projects', coalesce((SELECT json_agg(json_build_object("
	"      'id', p.id, 'name', p.name, 'role', m.role, 'plan', pl.name)"
	"      ORDER BY p.id)"
	"    FROM project_members m JOIN projects p ON p.id = m.project_id"
	"    JOIN plans pl ON pl.id = p.plan_id"
	"    WHERE m.user_id = u.id), '[]'))::text"
	" FROM users u WHERE u.id = $1::bigint AND u.kind = 'person'",
	1 };

/* Idempotent: a token revoked twice (a logout sent again) stays so. */
static const struct pg_stmt as_st_token_revoke = { "as_token_revoke",
	"WITH r AS ("
	"  INSERT INTO revoked_tokens (jti, expires_at)"
	"  VALUES ($1, to_timestamp($2::double precision))"
	"  ON CONFLICT (jti) DO NOTHING"
	") SELECT 'ok', NULL::text",
	2 };

static const struct pg_stmt as_st_token_check = { "as_token_check",
	"SELECT CASE WHEN EXISTS (SELECT 1 FROM users WHERE id = $2::bigint"
	"    AND kind = 'person')"
	"  AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)"
	"  THEN 'ok' ELSE 'not_found' END, NULL::text",
	2 };

static const struct pg_stmt as_st_tokens_prune = { "as_tokens_prune",
	"WITH d AS ("
	"  DELETE FROM revoked_tokens WHERE expires_at < now() RETURNING 1"
	") SELECT 'ok', json_build_object('deleted', count(*))::text FROM d",
	0 };

/*--------------------------------------------------------------------
 * Projects: p a project, pl its plan.
 */

#define AS_PROJECT_FIELDS                                                      \
	"'id', p.id, 'name', p.name, 'plan', pl.name,"                         \
	" 'created_at', p.created_at"
#define AS_PROJECT_MEMBERS                                                     \
	"(SELECT count(*) FROM project_members c JOIN users u"                 \
	"  ON u.id = c.user_id AND u.kind = 'person'"                          \
	"  WHERE c.project_id = p.id)"

/* The caller's membership of project $2, if any: $1 is the caller. */
#define AS_ME                                                                  \
	"me AS (SELECT role FROM project_members"                              \
	"  WHERE project_id = $2::bigint AND user_id = $1::bigint)"

static const struct pg_stmt as_st_projects = { "as_projects",
	"SELECT 'ok', json_build_object('projects', coalesce(json_agg("
	"  json_build_object(" AS_PROJECT_FIELDS ", 'role', m.role)"
	"  ORDER BY p.id), '[]'))::text"
	" FROM project_members m JOIN projects p ON p.id = m.project_id"
	" JOIN plans pl ON pl.id = p.plan_id"
	" WHERE m.user_id = $1::bigint",
	1 };

/* No project for a user that is gone; the new member is not visible to
 * this statement, hence the count written out. */
static const struct pg_stmt as_st_project_create = { "as_project_create",
	"WITH p AS ("
	"  INSERT INTO projects (name, plan_id)"
	"  SELECT $2, id FROM plans WHERE name = 'free'"
	"    AND EXISTS (SELECT 1 FROM users WHERE id = $1::bigint)"
	"  RETURNING id, name, plan_id, created_at"
	"), m AS ("
	"  INSERT INTO project_members (project_id, user_id, role)"
	"  SELECT id, $1::bigint, 'owner' FROM p"
	") SELECT 'ok', json_build_object(" AS_PROJECT_FIELDS ","
	"  'role', 'owner', 'members', 1)::text"
	" FROM p JOIN plans pl ON pl.id = p.plan_id",
	2 };

static const struct pg_stmt as_st_project_get = { "as_project_get",
	"SELECT 'ok', json_build_object(" AS_PROJECT_FIELDS ","
	"  'role', m.role, 'members', " AS_PROJECT_MEMBERS ")::text"
	" FROM project_members m JOIN projects p ON p.id = m.project_id"
	" JOIN plans pl ON pl.id = p.plan_id"
	" WHERE m.user_id = $1::bigint AND m.project_id = $2::bigint",
	2 };

static const struct pg_stmt as_st_project_rename = { "as_project_rename",
	"WITH " AS_ME ", u AS ("
	"  UPDATE projects p SET name = $3 FROM me"
	"  WHERE p.id = $2::bigint AND me.role IN ('owner', 'admin')"
	"  RETURNING p.id, p.name, p.plan_id, p.created_at"
	") SELECT CASE"
	"  WHEN me.role NOT IN ('owner', 'admin') THEN 'forbidden'"
	"  WHEN NOT EXISTS (SELECT 1 FROM u) THEN 'not_found'"
	"  ELSE 'ok' END,"
	" (SELECT json_build_object(" AS_PROJECT_FIELDS ", 'role', me.role,"
	"   'members', " AS_PROJECT_MEMBERS ")::text"
	"  FROM u p JOIN plans pl ON pl.id = p.plan_id)"
	" FROM me",
	3 };

/* Its members, websites, jobs and results go with it (ON DELETE
 * CASCADE). */
static const struct pg_stmt as_st_project_delete = { "as_project_delete",
	"WITH " AS_ME ", d AS ("
	"  DELETE FROM projects p USING me"
	"  WHERE p.id = $2::bigint AND me.role = 'owner' RETURNING p.id"
	") SELECT CASE"
	"  WHEN me.role <> 'owner' THEN 'forbidden'"
	"  WHEN NOT EXISTS (SELECT 1 FROM d) THEN 'not_found'"
	"  ELSE 'ok' END, NULL::text"
	" FROM me",
	2 };

/*--------------------------------------------------------------------
 * Members: o another member, u their user.
 */

#define AS_MEMBER_FIELDS                                                       \
	"'user_id', u.id, 'name', u.name, 'email', u.email, 'role', o.role"

/* The owners first, then by user. */
static const struct pg_stmt as_st_members = { "as_members",
	"WITH " AS_ME " SELECT 'ok', json_build_object('members',"
	"  coalesce((SELECT json_agg(json_build_object(" AS_MEMBER_FIELDS ")"
	"    ORDER BY o.role, u.id)"
	"    FROM project_members o JOIN users u ON u.id = o.user_id"
	"    WHERE o.project_id = $2::bigint AND u.kind = 'person'),"
	"    '[]'))::text"
	" FROM me",
	2 };

/*
 * who: the user of e-mail $3; was: their role now, if a member.  The
 * last owner may not become anything else; that a statement racing this
 * one does not make it so is the trigger's part.
 */
static const struct pg_stmt as_st_member_put = { "as_member_put",
	"WITH " AS_ME ", who AS ("
	"  SELECT id, name, email FROM users"
	"  WHERE lower(email) = lower($3) AND kind = 'person'"
	"), was AS ("
	"  SELECT o.role FROM project_members o JOIN who ON who.id = o.user_id"
	"  WHERE o.project_id = $2::bigint"
	"), verdict AS ("
	"  SELECT CASE"
	"    WHEN me.role <> 'owner' THEN 'forbidden'"
	"    WHEN NOT EXISTS (SELECT 1 FROM who) THEN 'not_found'"
	"    WHEN (SELECT role FROM was) = 'owner'"
	"      AND $4::member_role <> 'owner'"
	"      AND (SELECT count(*) FROM project_members"
	"        WHERE project_id = $2::bigint AND role = 'owner') = 1"
	"      THEN 'conflict'"
	"    ELSE 'ok' END AS status"
	"  FROM me"
	"), put AS ("
	"  INSERT INTO project_members (project_id, user_id, role)"
	"  SELECT $2::bigint, who.id, $4::member_role FROM who, verdict"
	"  WHERE verdict.status = 'ok'"
	"  ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role"
	"  RETURNING role"
	") SELECT CASE"
	"  WHEN v.status = 'ok' AND NOT EXISTS (SELECT 1 FROM put)"
	"    THEN 'not_found'"
	"  ELSE v.status END,"
	" (SELECT json_build_object(" AS_MEMBER_FIELDS ")::text"
	"  FROM put o, who u)"
	" FROM verdict v",
	4 };

/* An owner removes anyone, anyone themselves; the last owner stays. */
static const struct pg_stmt as_st_member_remove = { "as_member_remove",
	"WITH " AS_ME ", them AS ("
	"  SELECT o.role FROM project_members o JOIN users u"
	"    ON u.id = o.user_id AND u.kind = 'person'"
	"  WHERE o.project_id = $2::bigint AND o.user_id = $3::bigint"
	"), verdict AS ("
	"  SELECT CASE"
	"    WHEN me.role <> 'owner' AND $3::bigint <> $1::bigint"
	"      THEN 'forbidden'"
	"    WHEN NOT EXISTS (SELECT 1 FROM them) THEN 'not_found'"
	"    WHEN (SELECT role FROM them) = 'owner'"
	"      AND (SELECT count(*) FROM project_members"
	"        WHERE project_id = $2::bigint AND role = 'owner') = 1"
	"      THEN 'conflict'"
	"    ELSE 'ok' END AS status"
	"  FROM me"
	"), d AS ("
	"  DELETE FROM project_members o USING verdict"
	"  WHERE verdict.status = 'ok'"
	"    AND o.project_id = $2::bigint AND o.user_id = $3::bigint"
	"  RETURNING 1"
	") SELECT CASE"
	"  WHEN v.status = 'ok' AND NOT EXISTS (SELECT 1 FROM d)"
	"    THEN 'not_found'"
	"  ELSE v.status END, NULL::text"
	" FROM verdict v",
	3 };

/*--------------------------------------------------------------------
 * Asking and answering
 */

static const struct {
	const char *name;
	enum as_status status;
} as_verdicts[] = {
	{ "ok", AS_OK },
	{ "not_found", AS_NOT_FOUND },
	{ "forbidden", AS_FORBIDDEN },
	{ "conflict", AS_CONFLICT },
	{ "plan_limit", AS_PLAN_LIMIT },
};

/* A query on its way: whom to tell. */
struct as_call {
	unsigned magic;
#define AS_CALL_MAGIC 0x5ac0c7a1
	as_done_f *cb;
	void *priv;
};

/* What a failed statement means: a conflict, or the database's error. */
static enum as_status
as_error_status(const PGresult *r)
{
	const char *state;

	if (r == NULL)
		return (AS_ERROR);
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (state == NULL)
		return (AS_ERROR);
	if (strcmp(state, "23505") == 0 || strcmp(state, "23000") == 0)
		return (AS_CONFLICT);
	if (strcmp(state, "SK001") == 0)
		return (AS_PLAN_LIMIT);
	return (AS_ERROR);
}

static void
as_answer(struct as_call *c, const PGresult *r)
{
	const char *verdict, *json;
	size_t i;

	if (PQntuples(r) == 0) {
		c->cb(c->priv, AS_NOT_FOUND, NULL, NULL);
		return;
	}
	assert(PQntuples(r) == 1 && PQnfields(r) == 2);
	verdict = PQgetvalue(r, 0, 0);
	json = PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1);
	for (i = 0; i < sizeof as_verdicts / sizeof as_verdicts[0]; i++) {
		if (strcmp(verdict, as_verdicts[i].name) != 0)
			continue;
		c->cb(c->priv, as_verdicts[i].status,
		    as_verdicts[i].status == AS_OK ||
		            as_verdicts[i].status == AS_PLAN_LIMIT
		        ? json
		        : NULL,
		    NULL);
		return;
	}
	WRONG("account statement answered an unknown verdict");
}

static void
as_on_rows(void *priv, const struct pg_result *res, const char *err)
{
	const PGresult *r = (const PGresult *)res;
	struct as_call *c;
	enum as_status st;

	CAST_OBJ_NOTNULL(c, priv, AS_CALL_MAGIC);
	if (err == NULL) {
		as_answer(c, r);
	} else {
		st = as_error_status(r);
		c->cb(c->priv, st,
		    st == AS_PLAN_LIMIT
		        ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)
		        : NULL,
		    st == AS_ERROR ? err : NULL);
	}
	FREE_OBJ(c);
}

static int
as_query(struct pg_pool *pool, const struct pg_stmt *st, const char *const *v,
    as_done_f *cb, void *priv, const char **err)
{
	struct as_call *c;

	AN(pool);
	AN(cb);
	AN(err);
	ALLOC_OBJ(c, AS_CALL_MAGIC);
	AN(c);
	c->cb = cb;
	c->priv = priv;
	/* Said at once rather than after the pool's wait for a connection. */
	if (pg_pool_ask(pool, st, v, as_on_rows, c, err) != 0) {
		FREE_OBJ(c);
		return (-1);
	}
	return (0);
}

int
as_statement(struct pg_pool *pool, const struct pg_stmt *st,
    const char *const *v, as_done_f *cb, void *priv, const char **err)
{
	AN(st);
	return (as_query(pool, st, v, cb, priv, err));
}

/* An id as a statement's parameter. */
#define AS_ID_LEN 24
static void
as_id(char *buf, int64_t id)
{
	snprintf(buf, AS_ID_LEN, "%" PRId64, id);
}

/*--------------------------------------------------------------------
 * account_store.h
 */

int
as_user_create(struct pg_pool *pool, const char *name, const char *email,
    const char *password_hash, as_done_f *cb, void *priv, const char **err)
{
	const char *v[3] = { name, email, password_hash };

	AN(name);
	AN(email);
	return (as_query(pool, &as_st_user_create, v, cb, priv, err));
}

int
as_user_credentials(struct pg_pool *pool, const char *email, as_done_f *cb,
    void *priv, const char **err)
{
	const char *v[1] = { email };

	AN(email);
	return (as_query(pool, &as_st_user_credentials, v, cb, priv, err));
}

int
as_user_me(struct pg_pool *pool, int64_t user, as_done_f *cb, void *priv,
    const char **err)
{
	char u[AS_ID_LEN];
	const char *v[1] = { u };

	as_id(u, user);
	return (as_query(pool, &as_st_user_me, v, cb, priv, err));
}

int
as_token_revoke(struct pg_pool *pool, const char *jti, int64_t expires,
    as_done_f *cb, void *priv, const char **err)
{
	char e[AS_ID_LEN];
	const char *v[2] = { jti, e };

	AN(jti);
	as_id(e, expires);
	return (as_query(pool, &as_st_token_revoke, v, cb, priv, err));
}

int
as_token_check(struct pg_pool *pool, const char *jti, int64_t user,
    as_done_f *cb, void *priv, const char **err)
{
	char u[AS_ID_LEN];
	const char *v[2] = { jti, u };

	AN(jti);
	as_id(u, user);
	return (as_query(pool, &as_st_token_check, v, cb, priv, err));
}

int
as_tokens_prune(struct pg_pool *pool, as_done_f *cb, void *priv,
    const char **err)
{
	return (as_query(pool, &as_st_tokens_prune, NULL, cb, priv, err));
}

int
as_projects(struct pg_pool *pool, int64_t user, as_done_f *cb, void *priv,
    const char **err)
{
	char u[AS_ID_LEN];
	const char *v[1] = { u };

	as_id(u, user);
	return (as_query(pool, &as_st_projects, v, cb, priv, err));
}

int
as_project_create(struct pg_pool *pool, int64_t user, const char *name,
    as_done_f *cb, void *priv, const char **err)
{
	char u[AS_ID_LEN];
	const char *v[2] = { u, name };

	AN(name);
	as_id(u, user);
	return (as_query(pool, &as_st_project_create, v, cb, priv, err));
}

int
as_project_get(struct pg_pool *pool, int64_t user, int64_t project,
    as_done_f *cb, void *priv, const char **err)
{
	char u[AS_ID_LEN], p[AS_ID_LEN];
	const char *v[2] = { u, p };

	as_id(u, user);
	as_id(p, project);
	return (as_query(pool, &as_st_project_get, v, cb, priv, err));
}

int
as_project_rename(struct pg_pool *pool, int64_t user, int64_t project,
    const char *name, as_done_f *cb, void *priv, const char **err)
{
	char u[AS_ID_LEN], p[AS_ID_LEN];
	const char *v[3] = { u, p, name };

	AN(name);
	as_id(u, user);
	as_id(p, project);
	return (as_query(pool, &as_st_project_rename, v, cb, priv, err));
}

int
as_project_delete(struct pg_pool *pool, int64_t user, int64_t project,
    as_done_f *cb, void *priv, const char **err)
{
	char u[AS_ID_LEN], p[AS_ID_LEN];
	const char *v[2] = { u, p };

	as_id(u, user);
	as_id(p, project);
	return (as_query(pool, &as_st_project_delete, v, cb, priv, err));
}

int
as_members(struct pg_pool *pool, int64_t user, int64_t project, as_done_f *cb,
    void *priv, const char **err)
{
	char u[AS_ID_LEN], p[AS_ID_LEN];
	const char *v[2] = { u, p };

	as_id(u, user);
	as_id(p, project);
	return (as_query(pool, &as_st_members, v, cb, priv, err));
}

/* A role the database would refuse is refused here, before asking. */
static int
as_is_role(const char *role)
{
	return (strcmp(role, "owner") == 0 || strcmp(role, "admin") == 0 ||
	    strcmp(role, "viewer") == 0);
}

int
as_member_put(struct pg_pool *pool, int64_t user, int64_t project,
    const char *email, const char *role, as_done_f *cb, void *priv,
    const char **err)
{
	char u[AS_ID_LEN], p[AS_ID_LEN];
	const char *v[4] = { u, p, email, role };

	AN(email);
	AN(role);
	AN(err);
	if (!as_is_role(role)) {
		*err = "no such role";
		return (-1);
	}
	as_id(u, user);
	as_id(p, project);
	return (as_query(pool, &as_st_member_put, v, cb, priv, err));
}

int
as_member_remove(struct pg_pool *pool, int64_t user, int64_t project,
    int64_t member, as_done_f *cb, void *priv, const char **err)
{
	char u[AS_ID_LEN], p[AS_ID_LEN], m[AS_ID_LEN];
	const char *v[3] = { u, p, m };

	as_id(u, user);
	as_id(p, project);
	as_id(m, member);
	return (as_query(pool, &as_st_member_remove, v, cb, priv, err));
}
