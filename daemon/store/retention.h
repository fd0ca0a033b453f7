/*
 * Old page results go: each project's plan says how long they are kept
 * (plans.result_retention), and the database function
 * prune_page_results() deletes a bounded batch of the expired ones.
 * stoked calls it now and then from the event loop, batch after batch
 * while there is a backlog, so that no delete holds locks for long.
 * Many may run it (stoked run, each stoked worker): a batch is
 * deleted by one at a time, the others skip that round.
 */

#ifndef STOKE_RETENTION_H
#define STOKE_RETENTION_H

#include <stdint.h>

#include "core/metrics.h"

struct event_base;
struct pg_pool;
struct retention;

/* every: seconds between rounds; batch: rows a statement deletes. */
struct retention *retention_new(struct event_base *, struct pg_pool *,
    double every, unsigned batch);
void retention_free(struct retention **);
/* stoke_db_results_pruned_total and stoke_db_prune_errors_total of the
 * retention (priv); register it with /metrics. */
metrics_f retention_metrics;
uint64_t retention_pruned(const struct retention *);

#endif
