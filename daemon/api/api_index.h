/*
 * The API's view of the instances: what is cached and what the latest
 * invalidations dropped.
 *
 *   GET /api/v1/instances
 *   GET /api/v1/index?[instance=N][&tag=T | &url=U[&host=H]][&limit=L]
 *   GET /api/v1/invalidations?[instance=N][&limit=L]
 */

#ifndef STOKE_API_INDEX_H
#define STOKE_API_INDEX_H

#include "http_api.h"

api_handler_f api_instances_get;
api_handler_f api_index_get;
api_handler_f api_invalidations_get;

#endif
