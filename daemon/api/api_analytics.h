/*
 * Analytics over the tenants' API, from the hourly rollups
 * (store/analytics_store.h):
 *	GET /api/websites/:id/analytics
 *	GET /api/projects/:id/analytics
 *	GET /api/analytics/dashboard		(all the caller's projects)
 * each over from and to (RFC 3339; to defaults to now, from to a day
 * before to), in buckets of an hour or a day (bucket=hour|day), with the
 * slowest URLs (slowest=1..25, 10 by default); and
 *	GET /api/websites/:id/recommendations
 * what to change in the VCL or at the origin for each reason the
 * website's uncacheable results gave (from and to as above, the last
 * seven days by default).  priv: the struct api_tenant.
 *
 * The range is widened to whole buckets (UTC hours or days): from down,
 * to up.  It may span 93 days at most and 744 buckets at most (31 days
 * of hours); past that, and for to not after from, 422 with the field.
 */

#ifndef STOKE_API_ANALYTICS_H
#define STOKE_API_ANALYTICS_H

#include "http_api.h"

api_handler_f api_website_analytics_get;
api_handler_f api_project_analytics_get;
api_handler_f api_dashboard_get;
api_handler_f api_recommendations_get;

#endif
