/*
 * Plans and a project's use of its own, over the tenants' API:
 *	GET /api/plans			(public: what each plan allows)
 *	GET /api/projects/:id/usage	(any member)
 * priv: the struct api_tenant.  The store says it all
 * (store/plan_store.h).
 */

#ifndef STOKE_API_PLANS_H
#define STOKE_API_PLANS_H

#include "http_api.h"

api_handler_f api_plans_get;
api_handler_f api_usage_get;

#endif
