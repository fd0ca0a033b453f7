/*
 * A job's results over the tenants' API: GET /api/jobs/:id/results,
 * filtered (outcome, cache_status, status, url), sorted (sort=id, ttfb,
 * load_time or url; order=asc or desc), a page at a time (limit, and
 * the cursor the page before answered with as next_cursor); as JSON, or
 * as CSV when the client accepts text/csv.  priv: the struct
 * api_tenant.
 */

#ifndef STOKE_API_TRESULTS_H
#define STOKE_API_TRESULTS_H

#include "http_api.h"

api_handler_f api_tresults_get;

#endif
