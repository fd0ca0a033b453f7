/*
 * The whole API: one table of routes (routes.c), and what its handlers
 * are given, set once when stoked run has made it all.
 */

#ifndef STOKE_ROUTES_H
#define STOKE_ROUTES_H

#include <stdio.h>

struct http_api;
struct instance;
struct origin_guard;
struct pg_pool;
struct sitemap_jobs;

/* What the handlers work on: the caller's, kept until the API is freed. */
struct api_ctx {
	unsigned magic;
#define API_CTX_MAGIC 0x5e1d3a78
	struct instance *const *inst; /* at least one */
	unsigned ninst;
	struct origin_guard *guard;
	struct sitemap_jobs *jobs;
	struct pg_pool *pool; /* NULL: no database */
};

void api_routes_register(struct http_api *, struct api_ctx *);
/*
 * /metrics alone, for a server without the operator's table (stoked
 * serve): whoever reaches the listener may read it, so the load
 * balancer in front should not route it.
 */
void api_metrics_register(struct http_api *);
/* /metrics and /healthz alone, for stoked agent: no API, no tenant. */
void api_agent_register(struct http_api *);

/* Every route of both tables, as http_api_routes_print() has them. */
void api_routes_print(FILE *);

#endif
