/*
 * A project's API keys.  A key is made here, on the loop (libsodium's
 * CSPRNG, a SHA-256): the store gets its hash and prefix, the caller
 * the key itself, in the answer to its creation and never again.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "auth/api_key.h"
#include "store/key_store.h"
#include "api_answer.h"
#include "api_input.h"
#include "api_keys.h"
#include "api_tenant.h"

#define KEY_NAME_MAX 200

/* How each route answers what the store says. */
static const struct api_answer op_list = { .ok = 200,
	.what = "listing API keys",
	.not_found = "no such project" };
static const struct api_answer op_create = { .ok = 201,
	.what = "creating an API key",
	.not_found = "no such project",
	.forbidden = "only an owner or an admin creates API keys" };
static const struct api_answer op_revoke = { .ok = 204,
	.what = "revoking an API key",
	.not_found = "no such project or API key",
	.forbidden = "only an owner or an admin revokes API keys",
	.conflict_code = "key_revoked",
	.conflict = "the API key was revoked already" };

/* A scope's name: its bounds are the longest name's. */
static const struct api_field api_key_f_scope = { "scope", AF_STRING, 0, 1, 16,
	NULL, NULL, NULL };

static const struct api_field api_key_fields[] = {
	{ "name", AF_STRING, AF_REQUIRED, 1, KEY_NAME_MAX, NULL, NULL, NULL },
	{ "scopes", AF_ARRAY, 0, 1, KEY__MAX - 1, &api_key_f_scope, NULL,
	    NULL },
};
#define API_KEY_NFIELDS (sizeof api_key_fields / sizeof api_key_fields[0])

/* A request on its way to the store and back. */
struct api_kc {
	unsigned magic;
#define API_KC_MAGIC 0x5e7a0c61
	struct api_req *r;
	const struct api_answer *op;
	char key[API_KEY_LEN + 1]; /* a creation's, for its answer */
};

static struct api_kc *
api_kc_new(struct api_req *r, const struct api_answer *op)
{
	struct api_kc *c;

	ALLOC_OBJ(c, API_KC_MAGIC);
	AN(c);
	c->r = r;
	c->op = op;
	return (c);
}

static void
api_kc_free(struct api_kc **cp)
{
	struct api_kc *c;

	TAKE_OBJ_NOTNULL(c, cp, API_KC_MAGIC);
	explicit_bzero(c->key, sizeof c->key);
	FREE_OBJ(c);
}

static void
api_kc_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_kc *c;
	struct api_req *r;
	const struct api_answer *op;

	CAST_OBJ_NOTNULL(c, priv, API_KC_MAGIC);
	r = c->r;
	op = c->op;
	api_kc_free(&c);
	api_answer(r, op, st, json, err);
}

/* The key as listed, and the key itself, this once. */
static void
api_kc_created(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_kc *c;
	json_t *k;

	CAST_OBJ_NOTNULL(c, priv, API_KC_MAGIC);
	if (st != AS_OK || json == NULL) {
		api_kc_done(c, st, json, err);
		return;
	}
	k = json_loads(json, 0, NULL);
	AN(k);
	AZ(json_object_set_new(k, "key", json_string(c->key)));
	http_api_reply(c->r, 201, k, NULL);
	api_kc_free(&c);
}

/* The store refused to queue it: said, and the call undone. */
static void
api_kc_refused(struct api_kc **cp, const char *err)
{
	struct api_kc *c;

	TAKE_OBJ_NOTNULL(c, cp, API_KC_MAGIC);
	http_api_error(c->r, 503, NULL, NULL, "%s", err);
	api_kc_free(&c);
}

/* The route's :name as an id; -1 once answered 404. */
static int
api_key_id(struct api_req *r, const char *name, int64_t *id)
{
	if (api_param_id(r, name, id) == 0)
		return (0);
	http_api_error(r, 404, NULL, name, "no such %s",
	    !strcmp(name, "id") ? "project" : "API key");
	return (-1);
}

/*
 * The scopes of a body, as KEY_BIT()s: read when none are given; each
 * one known, none twice.  0 once answered.
 */
static unsigned
api_key_scopes(struct api_req *r, json_t *v)
{
	enum key_scope k;
	unsigned scopes = 0;
	char field[32];
	size_t i;
	json_t *e;

	if (v == NULL)
		return (KEY_BIT(KEY_READ));
	json_array_foreach(v, i, e)
	{
		k = key_scope_of(json_string_value(e));
		snprintf(field, sizeof field, "scopes[%zu]", i);
		if (k == KEY_NONE) {
			http_api_error(r, 422, "invalid", field,
			    "%s must be read, jobs or purge", field);
			return (0);
		}
		if (scopes & KEY_BIT(k)) {
			http_api_error(r, 422, "invalid", field,
			    "%s: %s is given twice", field, key_scope_name[k]);
			return (0);
		}
		scopes |= KEY_BIT(k);
	}
	AN(scopes);
	return (scopes);
}

/*--------------------------------------------------------------------
 * The routes
 */

void
api_keys_get(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_kc *c;
	const char *err;
	int64_t id;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_key_id(r, "id", &id) != 0)
		return;
	c = api_kc_new(r, &op_list);
	if (ks_list(t->pool, api_caller(r)->user, id, api_kc_done, c, &err) !=
	    0)
		api_kc_refused(&c, err);
}

void
api_keys_post(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_kc *c;
	char prefix[API_KEY_PREFIX_LEN + 1];
	uint8_t hash[API_KEY_HASH_LEN];
	json_t *v[API_KEY_NFIELDS];
	const char *err;
	unsigned scopes;
	int64_t id;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_key_id(r, "id", &id) != 0 ||
	    api_input(r, api_key_fields, API_KEY_NFIELDS, v) != 0)
		return;
	scopes = api_key_scopes(r, v[1]);
	if (scopes == 0)
		return;
	c = api_kc_new(r, &op_create);
	api_key_new(c->key, prefix, hash);
	if (ks_create(t->pool, api_caller(r)->user, id, json_string_value(v[0]),
	        scopes, prefix, hash, api_kc_created, c, &err) != 0)
		api_kc_refused(&c, err);
	explicit_bzero(hash, sizeof hash);
}

void
api_key_delete(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_kc *c;
	const char *err;
	int64_t id, key;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_key_id(r, "id", &id) != 0 || api_key_id(r, "key_id", &key) != 0)
		return;
	c = api_kc_new(r, &op_revoke);
	if (ks_revoke(t->pool, api_caller(r)->user, id, key, api_kc_done, c,
	        &err) != 0)
		api_kc_refused(&c, err);
}
