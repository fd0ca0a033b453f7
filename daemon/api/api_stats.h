/*
 * What the HTTP API answered, for /metrics: requests by route pattern,
 * method and status, and how long each route took, in a histogram.  A
 * route is named by its pattern ("/api/projects/:id"), never by the
 * path asked, so that the labels stay as few as the routes; a path no
 * route takes is "unmatched".  Kept on the loop, per server: each
 * replica counts its own, Prometheus adds them up.
 */

#ifndef STOKE_API_STATS_H
#define STOKE_API_STATS_H

#include "core/metrics.h"

struct api_stats;

struct api_stats *api_stats_new(void);
void api_stats_free(struct api_stats **);
/* route: a route's pattern, kept by the caller past the stats; NULL:
 * unmatched.  method: one of enum api_method, or 0 (none of them). */
void api_stats_count(struct api_stats *, const char *route, unsigned method,
    int status, double seconds);
/* priv: the struct api_stats. */
metrics_f api_stats_metrics;

#endif
