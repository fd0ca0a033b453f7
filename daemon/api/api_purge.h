/*
 * A website's purge over the tenants' API:
 *	POST /api/websites/:id/purge {"urls": [...], "tags": [...],
 *	    "hard": false}
 * sent to the website's Varnish nodes (fetch/purger.h), reported per
 * node and item, recorded, and the URLs purged re-warmed by a job of
 * trigger purge.  priv: the struct api_tenant.
 */

#ifndef STOKE_API_PURGE_H
#define STOKE_API_PURGE_H

#include "http_api.h"

api_handler_f api_purge_post;

#endif
