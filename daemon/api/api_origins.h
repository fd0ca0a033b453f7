/*
 * What the origin guard thinks of each origin, for people and for
 * Prometheus: /api/v1/origins and stoke_origin_* metrics.
 */

#ifndef STOKE_API_ORIGINS_H
#define STOKE_API_ORIGINS_H

struct http_api;
struct origin_guard;

void api_origins_register(struct http_api *, struct origin_guard *);

#endif
