/*
 * A scrape of /metrics: samples gathered per metric, printed in the
 * table's order under their # HELP and # TYPE lines, as Prometheus'
 * text format asks (all of one metric's samples together, whichever
 * module or instance gave them).
 */

#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "metrics.h"

enum metric_type { GAUGE, COUNTER, SUMMARY, HISTOGRAM };

static const struct metric_def {
	const char *name;
	enum metric_type type;
	const char *help;
} metric_defs[M__MAX] = {
#define METRIC(id, n, t, h) [M_##id] = { n, t, h },
#include "core/metrics_tbl.h"
#undef METRIC
};

static const char *const metric_type_name[] = {
	[GAUGE] = "gauge",
	[COUNTER] = "counter",
	[SUMMARY] = "summary",
	[HISTOGRAM] = "histogram",
};

struct metrics {
	unsigned magic;
#define METRICS_MAGIC 0x6d657431
	struct evbuffer *samples[M__MAX]; /* NULL: none yet */
};

const char *
metrics_name(enum metric_id id)
{
	assert(id < M__MAX);
	return (metric_defs[id].name);
}

struct metrics *
metrics_new(void)
{
	struct metrics *m;

	ALLOC_OBJ(m, METRICS_MAGIC);
	AN(m);
	return (m);
}

void
metrics_free(struct metrics **mp)
{
	struct metrics *m;
	unsigned i;

	TAKE_OBJ_NOTNULL(m, mp, METRICS_MAGIC);
	for (i = 0; i < M__MAX; i++)
		if (m->samples[i] != NULL)
			evbuffer_free(m->samples[i]);
	FREE_OBJ(m);
}

/* Label values and help text: backslash, newline (and in a label value,
 * the double quote) escaped. */
static void
metrics_escape(struct evbuffer *b, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || (quote && *s == '"'))
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

/*
 * Starts a sample's line: its name, suffix and labels, up to the value.
 * le (or NULL): a histogram bucket's bound, the last label.
 */
static struct evbuffer *
metrics_line(struct metrics *m, enum metric_id id, const char *suffix,
    const char *le, va_list ap)
{
	struct evbuffer *b;
	const char *k, *v;
	int n = 0;

	CHECK_OBJ_NOTNULL(m, METRICS_MAGIC);
	assert(id < M__MAX);
	if (m->samples[id] == NULL) {
		m->samples[id] = evbuffer_new();
		AN(m->samples[id]);
	}
	b = m->samples[id];
	evbuffer_add_printf(b, "%s%s", metric_defs[id].name,
	    suffix != NULL ? suffix : "");
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		AN(v);
		evbuffer_add_printf(b, "%s%s=\"", n++ ? "," : "{", k);
		metrics_escape(b, v, 1);
		evbuffer_add(b, "\"", 1);
	}
	if (le != NULL)
		evbuffer_add_printf(b, "%sle=\"%s\"", n++ ? "," : "{", le);
	if (n > 0)
		evbuffer_add(b, "}", 1);
	return (b);
}

void
metrics_sfx_u64(struct metrics *m, enum metric_id id, const char *suffix,
    uint64_t v, ...)
{
	va_list ap;

	va_start(ap, v);
	evbuffer_add_printf(metrics_line(m, id, suffix, NULL, ap),
	    " %" PRIu64 "\n", v);
	va_end(ap);
}

void
metrics_sfx_dbl(struct metrics *m, enum metric_id id, const char *suffix,
    double v, ...)
{
	va_list ap;

	va_start(ap, v);
	evbuffer_add_printf(metrics_line(m, id, suffix, NULL, ap), " %.6f\n",
	    v);
	va_end(ap);
}

void
metrics_u64(struct metrics *m, enum metric_id id, uint64_t v, ...)
{
	va_list ap;

	va_start(ap, v);
	evbuffer_add_printf(metrics_line(m, id, NULL, NULL, ap),
	    " %" PRIu64 "\n", v);
	va_end(ap);
}

void
metrics_dbl(struct metrics *m, enum metric_id id, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	evbuffer_add_printf(metrics_line(m, id, NULL, NULL, ap), " %.6f\n", v);
	va_end(ap);
}

/*--------------------------------------------------------------------
 * Histograms
 */

void
metrics_hist_init(struct metrics_hist *h, const double *le, unsigned n)
{
	unsigned i;

	AN(h);
	AN(le);
	assert(n > 0 && n <= METRICS_HIST_MAX);
	for (i = 1; i < n; i++)
		assert(le[i - 1] < le[i]);
	memset(h, 0, sizeof *h);
	h->le = le;
	h->n = n;
}

/* The first bucket whose bound is not below v: Prometheus' le is <=. */
void
metrics_hist_observe(struct metrics_hist *h, double v)
{
	unsigned i;

	AN(h);
	AN(h->le);
	for (i = 0; i < h->n && v > h->le[i]; i++)
		continue;
	h->bucket[i]++;
	h->count++;
	h->sum += v;
}

void
metrics_hist(struct metrics *m, enum metric_id id, const struct metrics_hist *h,
    ...)
{
	char le[32];
	uint64_t cum = 0;
	unsigned i;
	va_list ap;

	AN(h);
	assert(metric_defs[id].type == HISTOGRAM);
	for (i = 0; i <= h->n; i++) {
		cum += h->bucket[i];
		if (i < h->n)
			snprintf(le, sizeof le, "%g", h->le[i]);
		else
			snprintf(le, sizeof le, "+Inf");
		va_start(ap, h);
		evbuffer_add_printf(metrics_line(m, id, "_bucket", le, ap),
		    " %" PRIu64 "\n", cum);
		va_end(ap);
	}
	va_start(ap, h);
	evbuffer_add_printf(metrics_line(m, id, "_sum", NULL, ap), " %.6f\n",
	    h->sum);
	va_end(ap);
	va_start(ap, h);
	evbuffer_add_printf(metrics_line(m, id, "_count", NULL, ap),
	    " %" PRIu64 "\n", h->count);
	va_end(ap);
}

void
metrics_print(const struct metrics *m, struct evbuffer *out)
{
	const struct metric_def *d;
	unsigned i;

	CHECK_OBJ_NOTNULL(m, METRICS_MAGIC);
	AN(out);
	for (i = 0; i < M__MAX; i++) {
		if (m->samples[i] == NULL)
			continue;
		d = &metric_defs[i];
		evbuffer_add_printf(out, "# HELP %s ", d->name);
		metrics_escape(out, d->help, 0);
		evbuffer_add_printf(out, "\n# TYPE %s %s\n", d->name,
		    metric_type_name[d->type]);
		AZ(evbuffer_add_buffer_reference(out, m->samples[i]));
	}
}
