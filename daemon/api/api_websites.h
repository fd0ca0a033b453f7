/*
 * A project's websites over the tenants' API:
 *	GET|POST /api/projects/:id/websites
 *	GET|PUT|DELETE /api/websites/:id
 * priv: the struct api_tenant.  Every setting is checked here, the
 * addresses its URLs resolve to included (fetch/addr_policy.h); who may
 * do what, the store says.
 */

#ifndef STOKE_API_WEBSITES_H
#define STOKE_API_WEBSITES_H

#include "http_api.h"

api_handler_f api_websites_get;
api_handler_f api_websites_post;
api_handler_f api_website_get;
api_handler_f api_website_put;
api_handler_f api_website_delete;

#endif
