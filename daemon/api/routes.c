/*
 * Every route stoked serves, and who may call it.  The handlers live
 * with their subject (api_index.c, api_jobs.c, api_origins.c,
 * api_results.c); the router is http_api.c.
 *
 * Operator routes are the loopback API of the daemon's operator, on the
 * listener stoked run was given (--listen).
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "api_index.h"
#include "api_jobs.h"
#include "api_origins.h"
#include "api_results.h"
#include "http_api.h"
#include "routes.h"

/* clang-format off */
static const struct api_route api_routes[] = {
	/* method  path                     scope         handler */
	{ API_GET,  "/metrics",              API_OPERATOR, http_api_metrics_get },

	/* What the nodes cache, and what they lost */
	{ API_GET,  "/api/v1/instances",     API_OPERATOR, api_instances_get },
	{ API_GET,  "/api/v1/index",         API_OPERATOR, api_index_get },
	{ API_GET,  "/api/v1/invalidations", API_OPERATOR, api_invalidations_get },

	/* Warming */
	{ API_GET,  "/api/v1/jobs",          API_OPERATOR, api_jobs_get },
	{ API_POST, "/api/v1/jobs",          API_OPERATOR, api_jobs_post },
	{ API_GET,  "/api/v1/origins",       API_OPERATOR, api_origins_get },
	{ API_GET,  "/api/v1/results",       API_OPERATOR, api_results_get },
};
/* clang-format on */

void
api_routes_register(struct http_api *api, struct api_ctx *ctx)
{
	CHECK_OBJ_NOTNULL(ctx, API_CTX_MAGIC);
	AN(ctx->inst);
	assert(ctx->ninst > 0);
	AN(ctx->guard);
	AN(ctx->jobs);
	/* The modules of /metrics that are the API's own. */
	http_api_metrics(api, api_origins_metrics, ctx->guard);
	http_api_routes(api, api_routes,
	    sizeof api_routes / sizeof api_routes[0], ctx);
}
