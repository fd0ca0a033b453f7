/*
 * A website's invalidations: the query checked here, the page the
 * store's.
 */

#include "config.h"

#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "store/inval_store.h"
#include "api_answer.h"
#include "api_invalidations.h"
#include "api_tenant.h"

#define IV_LIST_DEFAULT 20
#define IV_LIST_MAX 100

/* As invalidation_kind (0001_schema.sql). */
static const char *const iv_kinds[] = { "purge", "ban", "tag" };

static const struct api_answer op_list = { .ok = 200,
	.what = "listing invalidations",
	.not_found = "no such website" };

struct api_iv {
	unsigned magic;
#define API_IV_MAGIC 0x5e7a0c91
	struct api_req *r;
};

static void
api_iv_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_iv *iv;
	struct api_req *r;

	CAST_OBJ_NOTNULL(iv, priv, API_IV_MAGIC);
	r = iv->r;
	FREE_OBJ(iv);
	api_answer(r, &op_list, st, json, err);
}

/* kind, NULL for any; -1 once answered. */
static int
api_iv_kind(struct api_req *r, const char **kind)
{
	const char *s = api_query(r, "kind");
	unsigned u;

	*kind = NULL;
	if (s == NULL)
		return (0);
	for (u = 0; u < sizeof iv_kinds / sizeof iv_kinds[0]; u++)
		if (!strcmp(s, iv_kinds[u])) {
			*kind = iv_kinds[u];
			return (0);
		}
	http_api_error(r, 422, "invalid", "kind", "kind is purge, ban or tag");
	return (-1);
}

void
api_website_invalidations_get(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_iv *iv;
	const char *err, *kind;
	int64_t id, before, limit;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_param_id(r, "id", &id) != 0) {
		http_api_error(r, 404, NULL, "id", "no such website");
		return;
	}
	if (api_query_int(r, "before", 0, 1, INT64_MAX, &before) != 0) {
		http_api_error(r, 422, "invalid", "before",
		    "before is an invalidation's id");
		return;
	}
	if (api_query_int(r, "limit", IV_LIST_DEFAULT, 1, IV_LIST_MAX,
	        &limit) != 0) {
		http_api_error(r, 422, "invalid", "limit",
		    "limit is from 1 to %d", IV_LIST_MAX);
		return;
	}
	if (api_iv_kind(r, &kind) != 0)
		return;
	ALLOC_OBJ(iv, API_IV_MAGIC);
	AN(iv);
	iv->r = r;
	if (is_list(t->pool, api_caller(r)->user, id, before, (unsigned)limit,
	        kind, api_iv_done, iv, &err) != 0) {
		http_api_error(r, 503, NULL, NULL, "%s", err);
		FREE_OBJ(iv);
	}
}
