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
 * here.  suffix (or NULL): a SUMMARY's "_count" or "_sum". */
void metrics_u64(struct metrics *, enum metric_id, uint64_t v, ...)
    __attribute__((sentinel));
void metrics_dbl(struct metrics *, enum metric_id, double v, ...)
    __attribute__((sentinel));
void metrics_sfx_u64(struct metrics *, enum metric_id, const char *suffix,
    uint64_t v, ...) __attribute__((sentinel));
void metrics_sfx_dbl(struct metrics *, enum metric_id, const char *suffix,
    double v, ...) __attribute__((sentinel));

struct metrics *metrics_new(void);
/* Appends the scrape to out, in Prometheus' text format. */
void metrics_print(const struct metrics *, struct evbuffer *out);
void metrics_free(struct metrics **);

const char *metrics_name(enum metric_id);

/* What a module that counts things gives a scrape: its samples, added to
 * m.  Registered with whoever serves /metrics (http_api_metrics). */
typedef void metrics_f(void *priv, struct metrics *m);

#endif
