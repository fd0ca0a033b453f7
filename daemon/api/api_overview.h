/*
 * The overview across projects over the tenants' API:
 *	GET /api/overview
 * every website of the caller's projects with its latest jobs, its
 * agents and its visitors' hit ratio of the last 24 hours, and the jobs
 * running now: what the dashboard's landing page shows, in one request
 * (store/overview_store.h).  Any member; an API key, its project's.
 * priv: the struct api_tenant.
 */

#ifndef STOKE_API_OVERVIEW_H
#define STOKE_API_OVERVIEW_H

#include "http_api.h"

api_handler_f api_overview_get;

#endif
