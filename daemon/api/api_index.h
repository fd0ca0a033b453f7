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

struct api_index;
struct http_api;
struct instance;

struct api_index *
api_index_new(struct http_api *, struct instance *const *, unsigned n);
void api_index_free(struct api_index **);

#endif
