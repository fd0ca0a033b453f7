/*
 * Warm jobs over the API: POST /api/v1/jobs starts one, GET
 * /api/v1/jobs lists them, GET /api/v1/jobs?id=N shows one with its
 * failures.
 */

#ifndef STOKE_API_JOBS_H
#define STOKE_API_JOBS_H

struct http_api;
struct sitemap_jobs;

void api_jobs_register(struct http_api *, struct sitemap_jobs *);

#endif
