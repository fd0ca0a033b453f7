/*
 * Plans and usage: each route one statement of the plan store,
 * answered as it says.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "store/plan_store.h"
#include "api_answer.h"
#include "api_plans.h"
#include "api_tenant.h"

static const struct api_answer op_plans = { .ok = 200,
	.what = "listing plans" };
static const struct api_answer op_usage = { .ok = 200,
	.what = "reading a project's usage",
	.not_found = "no such project" };

/* The request, and how to answer it, until the store says. */
struct api_pl {
	unsigned magic;
#define API_PL_MAGIC 0x5e7a0c81
	struct api_req *r;
	const struct api_answer *op;
};

static struct api_pl *
api_pl_new(struct api_req *r, const struct api_answer *op)
{
	struct api_pl *p;

	ALLOC_OBJ(p, API_PL_MAGIC);
	AN(p);
	p->r = r;
	p->op = op;
	return (p);
}

static void
api_pl_done(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_pl *p;
	struct api_req *r;
	const struct api_answer *op;

	CAST_OBJ_NOTNULL(p, priv, API_PL_MAGIC);
	r = p->r;
	op = p->op;
	FREE_OBJ(p);
	api_answer(r, op, st, json, err);
}

static void
api_pl_refused(struct api_pl *p, const char *err)
{
	CHECK_OBJ_NOTNULL(p, API_PL_MAGIC);
	http_api_error(p->r, 503, NULL, NULL, "%s", err);
	FREE_OBJ(p);
}

void
api_plans_get(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_pl *p;
	const char *err;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	p = api_pl_new(r, &op_plans);
	if (ps_plans(t->pool, api_pl_done, p, &err) != 0)
		api_pl_refused(p, err);
}

void
api_usage_get(struct api_req *r, void *priv)
{
	struct api_tenant *t;
	struct api_pl *p;
	const char *err;
	int64_t id;

	CAST_OBJ_NOTNULL(t, priv, API_TENANT_MAGIC);
	if (api_param_id(r, "id", &id) != 0) {
		http_api_error(r, 404, NULL, "id", "no such project");
		return;
	}
	p = api_pl_new(r, &op_usage);
	if (ps_usage(t->pool, api_caller(r)->user, id, api_pl_done, p, &err) !=
	    0)
		api_pl_refused(p, err);
}
