/*
 * A website's schedule over the tenants' API:
 *	GET /api/websites/:id/schedule	(any member)
 * its expression and zone, its next five runs (now on, as the
 * scheduler will start them: core/cron.h), and what came of the last
 * slots (store/schedule_store.h).  priv: the struct api_tenant.
 */

#ifndef STOKE_API_SCHEDULE_H
#define STOKE_API_SCHEDULE_H

#include "http_api.h"

#define API_SCHEDULE_RUNS 5

api_handler_f api_website_schedule_get;

#endif
