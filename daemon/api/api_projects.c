/*
 * Projects and their members, as the account store gives them: every
 * statement is bound to the caller, so what is not theirs is not found,
 * and what their role does not allow is forbidden.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/log.h"
#include "store/account_store.h"
#include "api_answer.h"
#include "api_input.h"
#include "api_projects.h"
#include "api_tenant.h"

#define PROJECT_NAME_MAX 200

/* How each route answers what the store says. */
static const struct api_answer op_list = { .ok = 200,
	.what = "listing projects" };
static const struct api_answer op_create = { .ok = 201,
	.what = "creating a project" };
static const struct api_answer op_get = { .ok = 200,
	.what = "reading a project",
	.not_found = "no such project" };
static const struct api_answer op_rename = { .ok = 200,
	.what = "renaming a project",
	.not_found = "no such project",
	.forbidden = "only an owner or an admin changes a project" };
static const struct api_answer op_delete = { .ok = 204,
	.what = "deleting a project",
	.not_found = "no such project",
	.forbidden = "only an owner deletes a project" };
static const struct api_answer op_members = { .ok = 200,
	.what = "listing members",
	.not_found = "no such project" };
static const struct api_answer op_member_put = { .ok = 200,
	.what = "adding a member",
	.not_found = "no such project, or no account with this e-mail",
	.forbidden = "only an owner manages members",
	.conflict = "a project keeps at least one owner" };
static const struct api_answer op_member_remove = { .ok = 204,
	.what = "removing a member",
	.not_found = "no such project or member",
	.forbidden = "only an owner manages members",
	.conflict = "a project keeps at least one owner" };

struct api_call {
	unsigned magic;
#define API_CALL_MAGIC 0x5e7a0c33
	struct api_req *r;
	const struct api_answer *op;
};

static void
api_call_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_call *c;
	struct api_req *r;
	const struct api_answer *op;

	CAST_OBJ_NOTNULL(c, priv, API_CALL_MAGIC);
	r = c->r;
	op = c->op;
	FREE_OBJ(c);
	api_answer(r, op, st, json, err);
}

static struct api_call *
api_call_new(struct api_req *r, const struct api_answer *op)
{
	struct api_call *c;

	ALLOC_OBJ(c, API_CALL_MAGIC);
	AN(c);
	c->r = r;
	c->op = op;
	return (c);
}

/* The store refused to queue it: said, and the call undone. */
static void
api_call_refused(struct api_call **cp, const char *err)
{
	struct api_call *c;

	TAKE_OBJ_NOTNULL(c, cp, API_CALL_MAGIC);
	http_api_error(c->r, 503, NULL, NULL, "%s", err);
	FREE_OBJ(c);
}

/* The route's :name as an id; -1 once answered 404. */
static int
api_id(struct api_req *r, const char *name, int64_t *id)
{
	if (api_param_id(r, name, id) == 0)
		return (0);
	http_api_error(r, 404, NULL, name, "no such %s",
	    !strcmp(name, "id") ? "project" : "member");
	return (-1);
}

static struct api_tenant *
api_tenant_of(void *priv)
{
	struct api_tenant *t;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	return (t);
}

/*--------------------------------------------------------------------
 * Projects
 */

void
api_projects_get(struct api_req *r, void *priv)
{
	struct api_tenant *t = api_tenant_of(priv);
	struct api_call *c;
	const char *err;
	int64_t user = api_caller(r)->user;

	c = api_call_new(r, &op_list);
	if (as_projects(t->pool, user, api_call_done, c, &err) != 0)
		api_call_refused(&c, err);
}

void
api_projects_post(struct api_req *r, void *priv)
{
	static const struct api_field f[] = {
		{ "name", AF_STRING, AF_REQUIRED, 1, PROJECT_NAME_MAX, NULL,
		    NULL, NULL },
	};
	struct api_tenant *t = api_tenant_of(priv);
	struct api_call *c;
	const char *err;
	int64_t user = api_caller(r)->user;
	json_t *v[1];

	if (api_input(r, f, 1, v) != 0)
		return;
	c = api_call_new(r, &op_create);
	if (as_project_create(t->pool, user, json_string_value(v[0]),
	        api_call_done, c, &err) != 0)
		api_call_refused(&c, err);
}

void
api_project_get(struct api_req *r, void *priv)
{
	struct api_tenant *t = api_tenant_of(priv);
	struct api_call *c;
	const char *err;
	int64_t user = api_caller(r)->user, id;

	if (api_id(r, "id", &id) != 0)
		return;
	c = api_call_new(r, &op_get);
	if (as_project_get(t->pool, user, id, api_call_done, c, &err) != 0)
		api_call_refused(&c, err);
}

void
api_project_put(struct api_req *r, void *priv)
{
	static const struct api_field f[] = {
		{ "name", AF_STRING, AF_REQUIRED, 1, PROJECT_NAME_MAX, NULL,
		    NULL, NULL },
	};
	struct api_tenant *t = api_tenant_of(priv);
	struct api_call *c;
	const char *err;
	int64_t user = api_caller(r)->user, id;
	json_t *v[1];

	if (api_id(r, "id", &id) != 0 || api_input(r, f, 1, v) != 0)
		return;
	c = api_call_new(r, &op_rename);
	if (as_project_rename(t->pool, user, id, json_string_value(v[0]),
	        api_call_done, c, &err) != 0)
		api_call_refused(&c, err);
}

void
api_project_delete(struct api_req *r, void *priv)
{
	struct api_tenant *t = api_tenant_of(priv);
	struct api_call *c;
	const char *err;
	int64_t user = api_caller(r)->user, id;

	if (api_id(r, "id", &id) != 0)
		return;
	c = api_call_new(r, &op_delete);
	if (as_project_delete(t->pool, user, id, api_call_done, c, &err) != 0)
		api_call_refused(&c, err);
}

/*--------------------------------------------------------------------
 * Members
 */

void
api_members_get(struct api_req *r, void *priv)
{
	struct api_tenant *t = api_tenant_of(priv);
	struct api_call *c;
	const char *err;
	int64_t user = api_caller(r)->user, id;

	if (api_id(r, "id", &id) != 0)
		return;
	c = api_call_new(r, &op_members);
	if (as_members(t->pool, user, id, api_call_done, c, &err) != 0)
		api_call_refused(&c, err);
}

void
api_members_post(struct api_req *r, void *priv)
{
	static const struct api_field f[] = {
		{ "email", AF_STRING, AF_REQUIRED, 3, 254, NULL, NULL, NULL },
		{ "role", AF_STRING, AF_REQUIRED, 1, 16, NULL, NULL, NULL },
	};
	struct api_tenant *t = api_tenant_of(priv);
	struct api_call *c;
	const char *err;
	int64_t user = api_caller(r)->user, id;
	const char *role;
	json_t *v[2];

	if (api_id(r, "id", &id) != 0 || api_input(r, f, 2, v) != 0)
		return;
	role = json_string_value(v[1]);
	if (strcmp(role, "owner") && strcmp(role, "admin") &&
	    strcmp(role, "viewer")) {
		http_api_error(r, 422, "invalid", "role",
		    "role must be owner, admin or viewer");
		return;
	}
	c = api_call_new(r, &op_member_put);
	if (as_member_put(t->pool, user, id, json_string_value(v[0]), role,
	        api_call_done, c, &err) != 0)
		api_call_refused(&c, err);
}

void
api_member_delete(struct api_req *r, void *priv)
{
	struct api_tenant *t = api_tenant_of(priv);
	struct api_call *c;
	const char *err;
	int64_t user = api_caller(r)->user, id, member;

	if (api_id(r, "id", &id) != 0 || api_id(r, "user_id", &member) != 0)
		return;
	c = api_call_new(r, &op_member_remove);
	if (as_member_remove(t->pool, user, id, member, api_call_done, c,
	        &err) != 0)
		api_call_refused(&c, err);
}
