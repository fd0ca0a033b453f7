/*
 * What the origin guard thinks of each origin, for people and for
 * Prometheus: GET /api/v1/origins and stoke_origin_* metrics.
 */

#ifndef STOKE_API_ORIGINS_H
#define STOKE_API_ORIGINS_H

#include "http_api.h"

struct origin_guard;

api_handler_f api_origins_get;
/* The stoke_origin_* lines of /metrics. */
void api_origins_metrics(struct http_api *, struct origin_guard *);

#endif
