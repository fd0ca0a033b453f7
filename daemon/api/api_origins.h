/*
 * What the origin guard thinks of each origin, for people and for
 * Prometheus: GET /api/v1/origins and stoke_origin_* metrics.
 */

#ifndef STOKE_API_ORIGINS_H
#define STOKE_API_ORIGINS_H

#include "core/metrics.h"
#include "http_api.h"

api_handler_f api_origins_get;
/* The stoke_origin_* samples of the origin guard (priv). */
metrics_f api_origins_metrics;

#endif
