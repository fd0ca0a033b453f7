/*
 * A website's invalidations over the tenants' API:
 *	GET /api/websites/:id/invalidations
 * newest first, a page at a time (limit, and before: the page's
 * next_before), of one kind if asked (kind=purge|ban|tag); each with
 * what it dropped and queued and its re-warm job's progress.  Any
 * member reads (store/inval_store.h).  priv: the struct api_tenant.
 */

#ifndef STOKE_API_INVALIDATIONS_H
#define STOKE_API_INVALIDATIONS_H

#include "http_api.h"

api_handler_f api_website_invalidations_get;

#endif
