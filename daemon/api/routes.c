/*
 * Every route stoked serves, and who may call it.  The handlers live
 * with their subject (api_index.c, api_jobs.c, api_origins.c,
 * api_results.c; api_account.c, api_projects.c, api_keys.c,
 * api_websites.c, api_tjobs.c, api_tresults.c, api_events.c,
 * api_purge.c, api_analytics.c, api_invalidations.c, api_plans.c,
 * api_health.c, api_agents.c, api_schedule.c, api_channels.c,
 * api_overview.c; an agent's: api_agent_link.c, api_agent_poll.c); the
 * router is http_api.c.
 *
 * Two tables.  The operator's is the loopback API of the daemon's
 * operator, on the listener stoked run was given (--listen).  The
 * tenants' is the hosted service's (stoked serve, and stoked run beside
 * the operator's): public routes for liveness and signing in, the rest
 * for a signed-in user (api_session.c says who), whose role in a
 * project the store checks.
 *
 * The key column is what an API key needs to call a user's route:
 * reading a project's websites, jobs and results takes read; starting
 * and cancelling jobs, jobs; purging, purge.  KEY_NONE: no key may, only
 * a person signed in (accounts, members, keys, changes to a project or
 * its websites).
 *
 * The agents' routes (scope agent) are called by a website's stoked
 * agent with its token, and by nobody else (api_session.c).
 */

#include "config.h"

#include <stdio.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "api_account.h"
#include "api_agent_link.h"
#include "api_agent_poll.h"
#include "api_agents.h"
#include "api_analytics.h"
#include "api_channels.h"
#include "api_events.h"
#include "api_health.h"
#include "api_index.h"
#include "api_invalidations.h"
#include "api_jobs.h"
#include "api_keys.h"
#include "api_openapi.h"
#include "api_origins.h"
#include "api_overview.h"
#include "api_plans.h"
#include "api_projects.h"
#include "api_purge.h"
#include "api_results.h"
#include "api_schedule.h"
#include "api_session.h"
#include "api_tenant.h"
#include "api_tjobs.h"
#include "api_tresults.h"
#include "api_websites.h"
#include "http_api.h"
#include "routes.h"

/* clang-format off */
static const struct api_route api_routes[] = {
	/* method  path                     scope         key        handler */
	{ API_GET,  "/metrics",              API_OPERATOR, KEY_NONE,  http_api_metrics_get },

	/* What the nodes cache, and what they lost */
	{ API_GET,  "/api/v1/instances",     API_OPERATOR, KEY_NONE,  api_instances_get },
	{ API_GET,  "/api/v1/index",         API_OPERATOR, KEY_NONE,  api_index_get },
	{ API_GET,  "/api/v1/invalidations", API_OPERATOR, KEY_NONE,  api_invalidations_get },

	/* Warming */
	{ API_GET,  "/api/v1/jobs",          API_OPERATOR, KEY_NONE,  api_jobs_get },
	{ API_POST, "/api/v1/jobs",          API_OPERATOR, KEY_NONE,  api_jobs_post },
	{ API_GET,  "/api/v1/origins",       API_OPERATOR, KEY_NONE,  api_origins_get },
	{ API_GET,  "/api/v1/results",       API_OPERATOR, KEY_NONE,  api_results_get },
};

static const struct api_route api_tenant_routes[] = {
	/* method     path                                  scope       key        handler */
	{ API_GET,    "/healthz",                           API_PUBLIC, KEY_NONE,  api_healthz_get },
	{ API_GET,    "/readyz",                            API_PUBLIC, KEY_NONE,  api_readyz_get },
	{ API_GET,    "/api/openapi.json",                  API_PUBLIC, KEY_NONE,  api_openapi_get },

	/* Accounts */
	{ API_POST,   "/api/auth/register",                 API_PUBLIC, KEY_NONE,  api_register_post },
	{ API_POST,   "/api/auth/login",                    API_PUBLIC, KEY_NONE,  api_login_post },
	{ API_POST,   "/api/auth/logout",                   API_USER,   KEY_NONE,  api_logout_post },
	{ API_GET,    "/api/auth/me",                       API_USER,   KEY_NONE,  api_me_get },

	/* Projects, the tenants, their members and API keys */
	{ API_GET,    "/api/projects",                      API_USER,   KEY_READ,  api_projects_get },
	{ API_POST,   "/api/projects",                      API_USER,   KEY_NONE,  api_projects_post },
	{ API_GET,    "/api/projects/:id",                  API_USER,   KEY_READ,  api_project_get },
	{ API_PUT,    "/api/projects/:id",                  API_USER,   KEY_NONE,  api_project_put },
	{ API_DELETE, "/api/projects/:id",                  API_USER,   KEY_NONE,  api_project_delete },
	{ API_GET,    "/api/projects/:id/members",          API_USER,   KEY_NONE,  api_members_get },
	{ API_POST,   "/api/projects/:id/members",          API_USER,   KEY_NONE,  api_members_post },
	{ API_DELETE, "/api/projects/:id/members/:user_id", API_USER,   KEY_NONE,  api_member_delete },
	{ API_GET,    "/api/projects/:id/keys",             API_USER,   KEY_NONE,  api_keys_get },
	{ API_POST,   "/api/projects/:id/keys",             API_USER,   KEY_NONE,  api_keys_post },
	{ API_DELETE, "/api/projects/:id/keys/:key_id",     API_USER,   KEY_NONE,  api_key_delete },

	/* Websites, a project's */
	{ API_GET,    "/api/projects/:id/websites",         API_USER,   KEY_READ,  api_websites_get },
	{ API_POST,   "/api/projects/:id/websites",         API_USER,   KEY_NONE,  api_websites_post },
	{ API_GET,    "/api/websites/:id",                  API_USER,   KEY_READ,  api_website_get },
	{ API_GET,    "/api/websites/:id/schedule",         API_USER,   KEY_READ,  api_website_schedule_get },
	{ API_PUT,    "/api/websites/:id",                  API_USER,   KEY_NONE,  api_website_put },
	{ API_DELETE, "/api/websites/:id",                  API_USER,   KEY_NONE,  api_website_delete },
	{ API_POST,   "/api/websites/:id/purge",            API_USER,   KEY_PURGE, api_purge_post },

	/* A website's agents (stoked agent), and what they call */
	{ API_GET,    "/api/websites/:id/agents",           API_USER,   KEY_NONE,  api_agents_get },
	{ API_POST,   "/api/websites/:id/agents",           API_USER,   KEY_NONE,  api_agents_post },
	{ API_DELETE, "/api/websites/:id/agents/:agent_id", API_USER,   KEY_NONE,  api_agent_delete },
	{ API_POST,   "/api/agent/v1/hello",                API_AGENT,  KEY_NONE,  api_agent_hello_post },
	{ API_POST,   "/api/agent/v1/batches",              API_AGENT,  KEY_NONE,  api_agent_batches_post },
	{ API_GET,    "/api/agent/v1/commands",             API_AGENT,  KEY_NONE,  api_agent_commands_get },
	{ API_POST,   "/api/agent/v1/tasks/claim",          API_AGENT,  KEY_NONE,  api_agent_tasks_claim_post },

	/* Jobs, a website's, and their results */
	{ API_GET,    "/api/websites/:id/jobs",             API_USER,   KEY_READ,  api_tjobs_get },
	{ API_POST,   "/api/websites/:id/jobs",             API_USER,   KEY_JOBS,  api_tjobs_post },
	{ API_GET,    "/api/jobs/:id",                      API_USER,   KEY_READ,  api_tjob_get },
	{ API_DELETE, "/api/jobs/:id",                      API_USER,   KEY_JOBS,  api_tjob_delete },
	{ API_GET,    "/api/jobs/:id/results",              API_USER,   KEY_READ,  api_tresults_get },

	/* Live progress, as Server-Sent Events */
	{ API_GET,    "/api/jobs/:id/events",               API_USER_QUERY_TOKEN, KEY_READ, api_job_events_get },
	{ API_GET,    "/api/websites/:id/events",           API_USER_QUERY_TOKEN, KEY_READ, api_website_events_get },

	/* What a website's invalidations dropped, and what was re-warmed */
	{ API_GET,    "/api/websites/:id/invalidations",    API_USER,   KEY_READ,  api_website_invalidations_get },

	/* Analytics, from the hourly rollups, and what to change */
	{ API_GET,    "/api/websites/:id/analytics",        API_USER,   KEY_READ,  api_website_analytics_get },
	{ API_GET,    "/api/projects/:id/analytics",        API_USER,   KEY_READ,  api_project_analytics_get },
	{ API_GET,    "/api/analytics/dashboard",           API_USER,   KEY_READ,  api_dashboard_get },
	{ API_GET,    "/api/overview",                      API_USER,   KEY_READ,  api_overview_get },
	{ API_GET,    "/api/websites/:id/recommendations",  API_USER,   KEY_READ,  api_recommendations_get },

	/* Notifications: a project's channels, and what they were sent */
	{ API_GET,    "/api/projects/:id/channels",         API_USER,   KEY_READ,  api_channels_get },
	{ API_POST,   "/api/projects/:id/channels",         API_USER,   KEY_NONE,  api_channels_post },
	{ API_PATCH,  "/api/projects/:id/channels/:channel_id", API_USER, KEY_NONE, api_channel_patch },
	{ API_DELETE, "/api/projects/:id/channels/:channel_id", API_USER, KEY_NONE, api_channel_delete },
	{ API_POST,   "/api/projects/:id/channels/:channel_id/test", API_USER, KEY_NONE, api_channel_test_post },
	{ API_GET,    "/api/projects/:id/deliveries",       API_USER,   KEY_READ,  api_deliveries_get },

	/* Plans, and a project's use of its own */
	{ API_GET,    "/api/plans",                         API_PUBLIC, KEY_NONE,  api_plans_get },
	{ API_GET,    "/api/projects/:id/usage",            API_USER,   KEY_READ,  api_usage_get },
};

/* stoked serve's, which has no operator's table. */
static const struct api_route api_metrics_routes[] = {
	{ API_GET,  "/metrics",              API_OPERATOR, KEY_NONE,  http_api_metrics_get },
};

/* stoked agent's: /metrics, and that it answers. */
static const struct api_route api_agent_routes[] = {
	{ API_GET,  "/metrics",              API_OPERATOR, KEY_NONE,  http_api_metrics_get },
	{ API_GET,  "/healthz",              API_PUBLIC,   KEY_NONE,  api_healthz_get },
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

void
api_tenant_register(struct http_api *api, struct api_tenant *t)
{
	CHECK_OBJ_NOTNULL(t, API_TENANT_MAGIC);
	AN(t->pool);
	AN(t->keys);
	AN(t->offload);
	AN(t->limits);
	AN(t->sse);
	AN(t->polls);
	assert(t->token_ttl > 0);
	http_api_routes(api, api_tenant_routes,
	    sizeof api_tenant_routes / sizeof api_tenant_routes[0], t);
	http_api_auth(api, api_session_auth, t);
}

void
api_metrics_register(struct http_api *api)
{
	http_api_routes(api, api_metrics_routes,
	    sizeof api_metrics_routes / sizeof api_metrics_routes[0], NULL);
}

void
api_agent_register(struct http_api *api)
{
	http_api_routes(api, api_agent_routes,
	    sizeof api_agent_routes / sizeof api_agent_routes[0], NULL);
}

/* The very tables the router is given, as they are: the operator's
 * (stoked run), the tenants', and /metrics alone (stoked serve). */
void
api_routes_print(FILE *f)
{
	http_api_routes_print(f, api_routes,
	    sizeof api_routes / sizeof api_routes[0]);
	http_api_routes_print(f, api_tenant_routes,
	    sizeof api_tenant_routes / sizeof api_tenant_routes[0]);
	http_api_routes_print(f, api_metrics_routes,
	    sizeof api_metrics_routes / sizeof api_metrics_routes[0]);
}
