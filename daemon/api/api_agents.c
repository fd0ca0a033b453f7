/*
 * A website's agents.  A token is made here, on the loop (libsodium's
 * CSPRNG, a SHA-256): the store gets its hash and prefix, the caller
 * the token itself, in the answer to its creation and never again.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "auth/api_key.h"
#include "store/agent_store.h"
#include "api_agents.h"
#include "api_answer.h"
#include "api_input.h"
#include "api_tenant.h"

#define AGENT_NAME_MAX 200

static const struct api_answer op_list = { .ok = 200,
	.what = "listing agents",
	.not_found = "no such website" };
static const struct api_answer op_create = { .ok = 201,
	.what = "creating an agent",
	.not_found = "no such website",
	.forbidden = "only an owner or an admin adds agents" };
static const struct api_answer op_revoke = { .ok = 204,
	.what = "revoking an agent",
	.not_found = "no such website or agent",
	.forbidden = "only an owner or an admin revokes agents" };

static const struct api_field api_agent_fields[] = {
	{ "name", AF_STRING, AF_REQUIRED, 1, AGENT_NAME_MAX, NULL, NULL, NULL },
};
#define API_AGENT_NFIELDS (sizeof api_agent_fields / sizeof api_agent_fields[0])

/* A request on its way to the store and back. */
struct api_ac {
	unsigned magic;
#define API_AC_MAGIC 0x5e7a0c81
	struct api_req *r;
	const struct api_answer *op;
	char token[API_KEY_LEN + 1]; /* a creation's, for its answer */
};

static struct api_ac *
api_ac_new(struct api_req *r, const struct api_answer *op)
{
	struct api_ac *c;

	ALLOC_OBJ(c, API_AC_MAGIC);
	AN(c);
	c->r = r;
	c->op = op;
	return (c);
}

static void
api_ac_free(struct api_ac **cp)
{
	struct api_ac *c;

	TAKE_OBJ_NOTNULL(c, cp, API_AC_MAGIC);
	explicit_bzero(c->token, sizeof c->token);
	FREE_OBJ(c);
}

static void
api_ac_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_ac *c;
	struct api_req *r;
	const struct api_answer *op;

	CAST_OBJ_NOTNULL(c, priv, API_AC_MAGIC);
	r = c->r;
	op = c->op;
	api_ac_free(&c);
	api_answer(r, op, st, json, err);
}

/* The agent as listed, and its token, this once. */
static void
api_ac_created(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_ac *c;
	json_t *a;

	CAST_OBJ_NOTNULL(c, priv, API_AC_MAGIC);
	if (st != AS_OK || json == NULL) {
		api_ac_done(c, st, json, err);
		return;
	}
	a = json_loads(json, 0, NULL);
	AN(a);
	AZ(json_object_set_new(a, "token", json_string(c->token)));
	http_api_reply(c->r, 201, a, NULL);
	api_ac_free(&c);
}

static void
api_ac_refused(struct api_ac **cp, const char *err)
{
	struct api_ac *c;

	TAKE_OBJ_NOTNULL(c, cp, API_AC_MAGIC);
	http_api_error(c->r, 503, NULL, NULL, "%s", err);
	api_ac_free(&c);
}

/* The route's :name as an id; -1 once answered 404. */
static int
api_agent_id(struct api_req *r, const char *name, int64_t *id)
{
	if (api_param_id(r, name, id) == 0)
		return (0);
	http_api_error(r, 404, NULL, name, "no such %s",
	    !strcmp(name, "id") ? "website" : "agent");
	return (-1);
}

/*--------------------------------------------------------------------
 * The routes
 */

void
api_agents_get(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_ac *c;
	const char *err;
	int64_t id;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_agent_id(r, "id", &id) != 0)
		return;
	c = api_ac_new(r, &op_list);
	if (ags_list(t->pool, api_caller(r)->user, id, api_ac_done, c, &err) !=
	    0)
		api_ac_refused(&c, err);
}

void
api_agents_post(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_ac *c;
	char prefix[API_KEY_PREFIX_LEN + 1];
	uint8_t hash[API_KEY_HASH_LEN];
	json_t *v[API_AGENT_NFIELDS];
	const char *err;
	int64_t id;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_agent_id(r, "id", &id) != 0 ||
	    api_input(r, api_agent_fields, API_AGENT_NFIELDS, v) != 0)
		return;
	c = api_ac_new(r, &op_create);
	agent_token_new(c->token, prefix, hash);
	if (ags_create(t->pool, api_caller(r)->user, id,
	        json_string_value(v[0]), prefix, hash, api_ac_created, c,
	        &err) != 0)
		api_ac_refused(&c, err);
	explicit_bzero(hash, sizeof hash);
}

void
api_agent_delete(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_ac *c;
	const char *err;
	int64_t id, agent;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_agent_id(r, "id", &id) != 0 ||
	    api_agent_id(r, "agent_id", &agent) != 0)
		return;
	c = api_ac_new(r, &op_revoke);
	if (ags_revoke(t->pool, api_caller(r)->user, id, agent, api_ac_done, c,
	        &err) != 0)
		api_ac_refused(&c, err);
}
