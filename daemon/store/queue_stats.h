/*
 * The durable queue's depth (warm tasks that can be claimed now) and the
 * jobs by status, for /metrics.  A statement run while /metrics is being
 * scraped would make the scrape wait on the database (or fail with it),
 * so the numbers are read on a timer, on the loop, and a scrape prints
 * the last ones read; none until the first answer, and none again when
 * the last is older than three periods (the database is away: better
 * no sample than a stale one taken for true).
 */

#ifndef STOKE_QUEUE_STATS_H
#define STOKE_QUEUE_STATS_H

#include "core/metrics.h"

struct event_base;
struct pg_pool;
struct queue_stats;

/* Read every period seconds, the first time at once. */
struct queue_stats *
qs_new(struct event_base *, struct pg_pool *, double period);
void qs_free(struct queue_stats **);
/* priv: the struct queue_stats. */
metrics_f qs_metrics;

#endif
