/*
 * Accounts, in PostgreSQL: users, their revoked tokens, projects (the
 * tenants) and their members.  Every statement that reads or changes a
 * project is bound to the user asking: a project someone is not a
 * member of does not exist for them (AS_NOT_FOUND, never another
 * project's row), and what needs a role checks it in the same
 * statement.  Answers are JSON that PostgreSQL builds itself.
 *
 * Roles: a viewer reads; an admin also changes the project (its name,
 * later its websites and jobs); an owner also deletes it and manages
 * its members.  A project always keeps an owner.
 *
 * The users of API keys (key_store.h) are members too, for the other
 * stores' statements; these show persons only.
 */

#ifndef STOKE_ACCOUNT_STORE_H
#define STOKE_ACCOUNT_STORE_H

#include <stdint.h>

struct pg_pool;

enum as_status {
	AS_OK,
	AS_NOT_FOUND, /* no such row, or not the caller's to see */
	AS_FORBIDDEN, /* visible, but the caller's role does not allow it */
	AS_CONFLICT, /* taken (an e-mail), already there, the last owner */
	AS_PLAN_LIMIT, /* the project's plan allows no more (websites) */
	AS_ERROR, /* the database failed: err says why */
};

/* json: the answer on AS_OK (NULL for statements that answer none), and
 * on AS_PLAN_LIMIT what the plan refused, if said: {"quota", "limit",
 * "used", "plan"} and "retry_after" (seconds) for a day's quota; err:
 * the database's error on AS_ERROR.  Both live for the call only. */
typedef void
as_done_f(void *priv, enum as_status, const char *json, const char *err);

/*
 * Every function: 0, and cb will be called once, from the loop; or -1
 * with *err ("the database is unreachable", "stopping"), and it will not.
 */

/*
 * For the stores of what hangs off a project (website_store.c): runs
 * st, whose one row is a verdict ('ok', 'not_found', 'forbidden',
 * 'conflict', 'plan_limit') and the JSON answer, as every statement
 * here does.
 */
struct pg_stmt;
int as_statement(struct pg_pool *, const struct pg_stmt *st,
    const char *const *values, as_done_f *, void *, const char **err);

/* {"id", "name", "email", "created_at"}; AS_CONFLICT: e-mail taken
 * (compared without case).  What the schema refuses is AS_ERROR, so
 * check it first: an e-mail not one '@' between two non-empty parts or
 * over 254 bytes, a name over 200. */
int as_user_create(struct pg_pool *, const char *name, const char *email,
    const char *password_hash, as_done_f *, void *, const char **err);
/* {"id", "password_hash"} of the e-mail's user; AS_NOT_FOUND. */
int as_user_credentials(struct pg_pool *, const char *email, as_done_f *,
    void *, const char **err);
/* {"user": {...}, "projects": [{"id", "name", "role", "plan"}, ...]} */
int as_user_me(struct pg_pool *, int64_t user, as_done_f *, void *,
    const char **err);

/* The token's id, revoked until it would have expired anyway. */
int as_token_revoke(struct pg_pool *, const char *jti, int64_t expires,
    as_done_f *, void *, const char **err);
/* AS_OK if the token is not revoked and its user still exists, else
 * AS_NOT_FOUND. */
int as_token_check(struct pg_pool *, const char *jti, int64_t user, as_done_f *,
    void *, const char **err);
/* Forget the revoked tokens that have expired anyway: {"deleted": n}. */
int as_tokens_prune(struct pg_pool *, as_done_f *, void *, const char **err);

/* {"projects": [{"id", "name", "role", "plan", "created_at"}, ...]} */
int as_projects(struct pg_pool *, int64_t user, as_done_f *, void *,
    const char **err);
/* On the free plan, the creator its owner: {"id", "name", ...}. */
int as_project_create(struct pg_pool *, int64_t user, const char *name,
    as_done_f *, void *, const char **err);
/* {"id", "name", "role", "plan", "created_at", "members": n} */
int as_project_get(struct pg_pool *, int64_t user, int64_t project, as_done_f *,
    void *, const char **err);
/* An admin's or owner's; the project as as_project_get() gives it. */
int as_project_rename(struct pg_pool *, int64_t user, int64_t project,
    const char *name, as_done_f *, void *, const char **err);
/* An owner's. */
int as_project_delete(struct pg_pool *, int64_t user, int64_t project,
    as_done_f *, void *, const char **err);

/* {"members": [{"user_id", "name", "email", "role"}, ...]} */
int as_members(struct pg_pool *, int64_t user, int64_t project, as_done_f *,
    void *, const char **err);
/* An owner's: the user of email joins with role ("owner", "admin",
 * "viewer"), or changes role if a member; AS_NOT_FOUND: no such user
 * (or project); AS_CONFLICT: the last owner would stop being one; the
 * member as as_members() lists them.  Another role: -1, "no such role". */
int as_member_put(struct pg_pool *, int64_t user, int64_t project,
    const char *email, const char *role, as_done_f *, void *, const char **err);
/* An owner's, or anyone's own membership; AS_CONFLICT: the last owner. */
int as_member_remove(struct pg_pool *, int64_t user, int64_t project,
    int64_t member, as_done_f *, void *, const char **err);

#endif
