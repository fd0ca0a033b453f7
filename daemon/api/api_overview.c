/*
 * The overview: nothing to check in the request, the answer the
 * store's.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "store/overview_store.h"
#include "api_answer.h"
#include "api_overview.h"
#include "api_tenant.h"

static const struct api_answer op_overview = { .ok = 200,
	.what = "reading the overview",
	.not_found = "no such user" };

struct api_ov {
	unsigned magic;
#define API_OV_MAGIC 0x5e7a0cb3
	struct api_req *r;
};

static void
api_ov_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_ov *ov;
	struct api_req *r;

	CAST_OBJ_NOTNULL(ov, priv, API_OV_MAGIC);
	r = ov->r;
	FREE_OBJ(ov);
	api_answer(r, &op_overview, st, json, err);
}

void
api_overview_get(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_ov *ov;
	const char *err;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	ALLOC_OBJ(ov, API_OV_MAGIC);
	AN(ov);
	ov->r = r;
	if (ov_overview(t->pool, api_caller(r)->user, api_ov_done, ov, &err) !=
	    0) {
		http_api_error(r, 503, NULL, NULL, "%s", err);
		FREE_OBJ(ov);
	}
}
