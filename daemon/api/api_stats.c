/*
 * The API's request counters.  One row per (route, method) that has been
 * asked, found by a linear search: the rows are at most the routes (and
 * "unmatched" by method), a few dozen, and a request costs far more than
 * the search.  The statuses of a row are few too: those the handlers
 * answer with; past API_STATS_STATUSES, the rest are counted as "other".
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "api_stats.h"
#include "http_api.h"

#define API_STATS_STATUSES 15
/* Seconds.  Logins and sign-ups hash a password (about 0.1 s or more),
 * everything else is one or two statements. */
static const double api_stats_le[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10 };
static const char api_stats_unmatched[] = "unmatched";

struct api_stats_row {
	const char *route;
	unsigned method;
	struct {
		int status;
		uint64_t n;
	} st[API_STATS_STATUSES + 1]; /* [nst]: the others, once full */
	unsigned nst;
	struct metrics_hist lat;
};

struct api_stats {
	unsigned magic;
#define API_STATS_MAGIC 0x5a7a7001
	struct api_stats_row *row;
	unsigned nrow, lrow;
};

struct api_stats *
api_stats_new(void)
{
	struct api_stats *s;

	ALLOC_OBJ(s, API_STATS_MAGIC);
	AN(s);
	return (s);
}

void
api_stats_free(struct api_stats **sp)
{
	struct api_stats *s;

	TAKE_OBJ_NOTNULL(s, sp, API_STATS_MAGIC);
	free(s->row);
	FREE_OBJ(s);
}

static struct api_stats_row *
api_stats_row(struct api_stats *s, const char *route, unsigned method)
{
	struct api_stats_row *w;
	unsigned i;

	for (i = 0; i < s->nrow; i++)
		if (s->row[i].route == route && s->row[i].method == method)
			return (&s->row[i]);
	if (s->nrow == s->lrow) {
		s->lrow = s->lrow > 0 ? s->lrow * 2 : 16;
		s->row = realloc(s->row, s->lrow * sizeof *s->row);
		AN(s->row);
	}
	w = &s->row[s->nrow++];
	memset(w, 0, sizeof *w);
	w->route = route;
	w->method = method;
	metrics_hist_init(&w->lat, api_stats_le,
	    sizeof api_stats_le / sizeof api_stats_le[0]);
	return (w);
}

void
api_stats_count(struct api_stats *s, const char *route, unsigned method,
    int status, double seconds)
{
	struct api_stats_row *w;
	unsigned i;

	CHECK_OBJ_NOTNULL(s, API_STATS_MAGIC);
	w = api_stats_row(s, route != NULL ? route : api_stats_unmatched,
	    method);
	metrics_hist_observe(&w->lat, seconds > 0 ? seconds : 0);
	for (i = 0; i < w->nst; i++)
		if (w->st[i].status == status)
			break;
	if (i == w->nst && w->nst < API_STATS_STATUSES)
		w->st[w->nst++].status = status;
	/* else the slot past the last: "other" (status 0) */
	w->st[i].n++;
}

static const char *
api_stats_method(unsigned m)
{
	switch (m) {
	case API_GET:
		return ("GET");
	case API_POST:
		return ("POST");
	case API_PUT:
		return ("PUT");
	case API_PATCH:
		return ("PATCH");
	case API_DELETE:
		return ("DELETE");
	default:
		return ("OTHER");
	}
}

void
api_stats_metrics(void *priv, struct metrics *m)
{
	const struct api_stats_row *w;
	struct api_stats *s;
	const char *meth;
	char st[16];
	unsigned i, j;

	CAST_OBJ_NOTNULL(s, priv, API_STATS_MAGIC);
	for (i = 0; i < s->nrow; i++) {
		w = &s->row[i];
		meth = api_stats_method(w->method);
		for (j = 0; j <= w->nst; j++) {
			if (j == w->nst && w->st[j].n == 0)
				break;
			if (j == w->nst)
				snprintf(st, sizeof st, "other");
			else
				snprintf(st, sizeof st, "%d", w->st[j].status);
			metrics_u64(m, M_API_REQUESTS, w->st[j].n, "route",
			    w->route, "method", meth, "status", st, NULL);
		}
		metrics_hist(m, M_API_REQUEST_DURATION, &w->lat, "route",
		    w->route, "method", meth, NULL);
	}
}
