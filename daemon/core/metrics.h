/*
 * /metrics from declared metrics.  Every metric is a row of
 * metrics_tbl.h (name, type, help); a module adds its samples to a
 * scrape by id, in any order and from any instance, and the scrape
 * prints each metric once, in the table's order: its # HELP and # TYPE
 * lines, then its samples.  A metric with no sample is left out.
 */

#ifndef STOKE_METRICS_H
#define STOKE_METRICS_H

#include <stdint.h>

struct evbuffer;
struct metrics;

enum metric_id {
#define METRIC(id, name, type, help) M_##id,
#include "core/metrics_tbl.h"
#undef METRIC
	M__MAX
};

/* Labels are pairs of name and value, ended by NULL; values are escaped
 * here.  suffix (or NULL): a SUMMARY's "_count" or "_sum".  A
 * HISTOGRAM's samples come from metrics_hist(). */
void metrics_u64(struct metrics *, enum metric_id, uint64_t v, ...)
    __attribute__((sentinel));
void metrics_dbl(struct metrics *, enum metric_id, double v, ...)
    __attribute__((sentinel));
void metrics_sfx_u64(struct metrics *, enum metric_id, const char *suffix,
    uint64_t v, ...) __attribute__((sentinel));
void metrics_sfx_dbl(struct metrics *, enum metric_id, const char *suffix,
    double v, ...) __attribute__((sentinel));

/*
 * A HISTOGRAM's observations, kept by the module that observes: fixed
 * upper bounds (ascending, +Inf implied), a count per bucket, the sum.
 * Pure data: no locking, no allocation; copy it freely.
 */
#define METRICS_HIST_MAX 16
struct metrics_hist {
	const double *le; /* the upper bounds, ascending; borrowed */
	unsigned n; /* how many, at most METRICS_HIST_MAX */
	uint64_t bucket[METRICS_HIST_MAX + 1]; /* [n]: above the last bound */
	uint64_t count;
	double sum;
};

void metrics_hist_init(struct metrics_hist *, const double *le, unsigned n);
void metrics_hist_observe(struct metrics_hist *, double v);
/* A histogram's samples, as Prometheus reads them: each bucket's
 * cumulative count (_bucket{le="..."}, "+Inf" last), _sum and _count,
 * with the labels given (NULL ended). */
void metrics_hist(struct metrics *, enum metric_id, const struct metrics_hist *,
    ...) __attribute__((sentinel));

struct metrics *metrics_new(void);
/* Appends the scrape to out, in Prometheus' text format. */
void metrics_print(const struct metrics *, struct evbuffer *out);
void metrics_free(struct metrics **);

const char *metrics_name(enum metric_id);

/* What a module that counts things gives a scrape: its samples, added to
 * m.  Registered with whoever serves /metrics (http_api_metrics). */
typedef void metrics_f(void *priv, struct metrics *m);

#endif
