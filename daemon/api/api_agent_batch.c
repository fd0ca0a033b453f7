/*
 * An agent's batch (POST /api/agent/v1/batches, api_agent_link.c's
 * protocol): its key and time, then each row of each kind, checked
 * field by field.  Pure, as api_input.c is, so that the fuzzer reads
 * batches exactly as the API does.
 */

#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "vsb.h"

#include "fetch/fetch_kept.h"
#include "store/pg_array.h"
#include "api_agent_batch.h"

#define AGENT_TEXT_MAX 65536
#define AGENT_INT_MAX 2147483647LL
/* Traffic counters: bigint, summed; well within it. */
#define AGENT_COUNT_MAX 1000000000000LL
/* What one rendered page pulled in, at most. */
#define AGENT_ASSETS_MAX 1000

/*--------------------------------------------------------------------
 * What a batch's rows may be
 */

enum agent_ftype {
	AGF_UUID,
	AGF_TEXT, /* max: bytes */
	AGF_INT, /* min, max */
	AGF_NUMBER, /* min, max */
	AGF_TIME, /* seconds since the epoch */
	AGF_BOOL,
	AGF_COUNTS, /* {"reason": n, ...} */
	AGF_HEADERS, /* {"Name": "value", ...}, fetch/fetch_kept.h's bounds */
	AGF_TIMINGS, /* {"name": number, text or null, ...}: a render's */
	AGF_URLS, /* ["http(s)://...", ...], max: how many */
};

#define AGF_REQUIRED 1U
#define AGF_NULLABLE 2U

struct agent_field {
	const char *name;
	enum agent_ftype type;
	unsigned flags;
	long long min, max;
	const char *const *one_of; /* a text's values; NULL: any */
};

static const char *const agent_triggers[] = { "purge", "ban", "tag", "expiry",
	"manual", "sitemap", "schedule", NULL };
static const char *const agent_statuses[] = { "queued", "running", "done",
	"failed", "cancelled", NULL };
static const char *const agent_kinds[] = { "purge", "ban", "tag", NULL };
static const char *const agent_outcomes[] = { "cached", "fresh", "uncacheable",
	"origin_error", "timeout", "failed", NULL };

#define R AGF_REQUIRED
#define N AGF_NULLABLE

static const struct agent_field agent_job_fields[] = {
	{ "key", AGF_UUID, R, 0, 0, NULL },
	{ "trigger", AGF_TEXT, R, 0, 16, agent_triggers },
	{ "source", AGF_TEXT, N, 0, AGENT_TEXT_MAX, NULL },
	{ "status", AGF_TEXT, R, 0, 16, agent_statuses },
	{ "created_at", AGF_TIME, R, 0, 0, NULL },
	{ "finished_at", AGF_TIME, N, 0, 0, NULL },
	{ "urls_total", AGF_INT, R, 0, AGENT_INT_MAX, NULL },
	{ "urls_completed", AGF_INT, R, 0, AGENT_INT_MAX, NULL },
	{ "urls_failed", AGF_INT, R, 0, AGENT_INT_MAX, NULL },
	{ "error", AGF_TEXT, N, 0, AGENT_TEXT_MAX, NULL },
};

static const struct agent_field agent_inval_fields[] = {
	{ "key", AGF_UUID, R, 0, 0, NULL },
	{ "job", AGF_UUID, N, 0, 0, NULL },
	{ "kind", AGF_TEXT, R, 0, 16, agent_kinds },
	{ "soft", AGF_BOOL, 0, 0, 0, NULL },
	{ "node", AGF_TEXT, N, 0, AGENT_URL_MAX, NULL },
	{ "subject", AGF_TEXT, R, 0, AGENT_TEXT_MAX, NULL },
	{ "objects_dropped", AGF_INT, 0, 0, AGENT_INT_MAX, NULL },
	{ "objects_queued", AGF_INT, 0, 0, AGENT_INT_MAX, NULL },
	{ "occurred_at", AGF_TIME, R, 0, 0, NULL },
	{ "echo", AGF_BOOL, 0, 0, 0, NULL },
};

/* In the order of enum ags_result_col: a field is its column. */
static const struct agent_field agent_result_fields[] = {
	{ "key", AGF_UUID, R, 0, 0, NULL },
	{ "job", AGF_UUID, R, 0, 0, NULL },
	{ "url", AGF_TEXT, R, 1, AGENT_URL_MAX, NULL },
	{ "variant", AGF_TEXT, 0, 0, AGENT_TEXT_MAX, NULL },
	{ "node", AGF_TEXT, N, 0, AGENT_URL_MAX, NULL },
	{ "status", AGF_INT, N, 0, 999, NULL },
	{ "load_ms", AGF_NUMBER, N, 0, 1000000000, NULL },
	{ "ttfb_ms", AGF_NUMBER, N, 0, 1000000000, NULL },
	{ "cache_status", AGF_TEXT, N, 0, 32, NULL },
	{ "outcome", AGF_TEXT, R, 0, 16, agent_outcomes },
	{ "reason", AGF_TEXT, N, 0, AGENT_TEXT_MAX, NULL },
	{ "ttl", AGF_NUMBER, N, -1000000000, 1000000000, NULL },
	{ "recorded_at", AGF_TIME, R, 0, 0, NULL },
	{ "headers", AGF_HEADERS, N, 0, FETCH_KEPT_VALUE_MAX, NULL },
};

_Static_assert(sizeof agent_result_fields / sizeof agent_result_fields[0] ==
        AGS_RESULT_COLS,
    "a result's fields are its columns");

/* A task of the agent's done: its one result, its URL, variant and job
 * the task's. */
static const struct agent_field agent_task_fields[] = {
	{ "task", AGF_INT, R, 1, INT64_MAX, NULL },
	{ "ok", AGF_BOOL, R, 0, 0, NULL },
	{ "node", AGF_TEXT, N, 0, AGENT_URL_MAX, NULL },
	{ "status", AGF_INT, N, 0, 999, NULL },
	{ "load_ms", AGF_NUMBER, N, 0, 1000000000, NULL },
	{ "ttfb_ms", AGF_NUMBER, N, 0, 1000000000, NULL },
	{ "cache_status", AGF_TEXT, N, 0, 32, NULL },
	{ "outcome", AGF_TEXT, R, 0, 16, agent_outcomes },
	{ "reason", AGF_TEXT, N, 0, AGENT_TEXT_MAX, NULL },
	{ "ttl", AGF_NUMBER, N, -1000000000, 1000000000, NULL },
	{ "recorded_at", AGF_TIME, R, 0, 0, NULL },
	{ "headers", AGF_HEADERS, N, 0, FETCH_KEPT_VALUE_MAX, NULL },
	/* A page the agent rendered: its report (render_report_json()),
	 * and what it pulled in, to warm as tasks of the agent's. */
	{ "timings", AGF_TIMINGS, N, 0, 1000000000, NULL },
	{ "assets", AGF_URLS, N, 0, AGENT_ASSETS_MAX, NULL },
};

static const struct agent_field agent_traffic_fields[] = {
	{ "minute", AGF_TIME, R, 0, 0, NULL },
	{ "host", AGF_TEXT, R, 1, 255, NULL },
	{ "hits", AGF_INT, R, 0, AGENT_COUNT_MAX, NULL },
	{ "misses", AGF_INT, R, 0, AGENT_COUNT_MAX, NULL },
	{ "passes", AGF_INT, R, 0, AGENT_COUNT_MAX, NULL },
	{ "uncacheable", AGF_COUNTS, 0, 0, AGENT_COUNT_MAX, NULL },
};

/* What visitors asked for most in an hour (link/popular.h). */
static const struct agent_field agent_popular_fields[] = {
	{ "hour", AGF_TIME, R, 0, 0, NULL },
	{ "host", AGF_TEXT, R, 1, 255, NULL },
	{ "path", AGF_TEXT, R, 1, AGENT_PATH_MAX, NULL },
	{ "hits", AGF_INT, R, 0, AGENT_COUNT_MAX, NULL },
};

static const struct agent_field agent_search_fields[] = {
	{ "hour", AGF_TIME, R, 0, 0, NULL },
	{ "host", AGF_TEXT, R, 1, 255, NULL },
	{ "term", AGF_TEXT, R, 1, AGENT_TERM_MAX, NULL },
	{ "n", AGF_INT, R, 0, AGENT_COUNT_MAX, NULL },
};

#undef R
#undef N

struct agent_rows {
	const char *name;
	const struct agent_field *field;
	unsigned nfield;
	unsigned max; /* rows in a batch */
};

#define AGENT_ROWS(name, f, max)                                               \
	{                                                                      \
		name, f, sizeof f / sizeof f[0], max                           \
	}

/* In the order of struct ags_batch's arrays. */
static const struct agent_rows agent_rows[] = {
	AGENT_ROWS("jobs", agent_job_fields, AGENT_BATCH_ROWS_MAX),
	AGENT_ROWS("invalidations", agent_inval_fields, AGENT_BATCH_ROWS_MAX),
	AGENT_ROWS("results", agent_result_fields, AGENT_BATCH_ROWS_MAX),
	AGENT_ROWS("traffic", agent_traffic_fields, AGENT_BATCH_ROWS_MAX),
	AGENT_ROWS("tasks", agent_task_fields, AGENT_BATCH_ROWS_MAX),
	AGENT_ROWS("popular", agent_popular_fields, AGENT_POPULAR_ROWS_MAX),
	AGENT_ROWS("searches", agent_search_fields, AGENT_SEARCH_ROWS_MAX),
};
#define AGENT_NROWS (sizeof agent_rows / sizeof agent_rows[0])
_Static_assert(AGENT_NROWS == AGENT_BATCH_KINDS, "a batch's kinds");

/* 8-4-4-4-12 hex digits. */
static int
agent_is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return (0);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL) {
			return (0);
		}
	}
	return (1);
}

static int
agent_text(struct api_input_err *r, const struct agent_field *f, json_t *v,
    const char *path)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	unsigned i;

	if (strlen(s) != len) {
		api_input_fail(r, 422, "invalid", path,
		    "%s must not hold a NUL character", path);
		return (-1);
	}
	if (f->type == AGF_UUID) {
		if (agent_is_uuid(s))
			return (0);
		api_input_fail(r, 422, "invalid", path, "%s must be a uuid",
		    path);
		return (-1);
	}
	if ((long long)len < f->min || (long long)len > f->max) {
		api_input_fail(r, 422, len > 0 ? "too_long" : "required", path,
		    "%s must hold %lld to %lld bytes", path, f->min, f->max);
		return (-1);
	}
	if (f->one_of == NULL)
		return (0);
	for (i = 0; f->one_of[i] != NULL; i++)
		if (!strcmp(s, f->one_of[i]))
			return (0);
	api_input_fail(r, 422, "invalid", path,
	    "%s: '%.32s' is not one of %s%s", path, s, f->one_of[0],
	    i > 1 ? ", ..." : "");
	return (-1);
}

static int
agent_number(struct api_input_err *r, const struct agent_field *f, double x,
    const char *path)
{
	double min = (double)f->min, max = (double)f->max;

	if (f->type == AGF_TIME) {
		min = 0;
		max = AGENT_TIME_MAX;
	}
	if (isfinite(x) && x >= min && x <= max)
		return (0);
	api_input_fail(r, 422, "out_of_range", path,
	    "%s must be from %.0f to %.0f", path, min, max);
	return (-1);
}

/* An object of most members at most (what), each named (one) by 1 to
 * 64 bytes. */
static int
agent_members(struct api_input_err *r, json_t *v, const char *path, size_t most,
    const char *what, const char *one)
{
	char sub[256];
	const char *k;
	json_t *x;

	if (json_object_size(v) > most) {
		api_input_fail(r, 422, "too_long", path,
		    "%s holds %zu %s at most", path, most, what);
		return (-1);
	}
	json_object_foreach(v, k, x)
	{
		if (strlen(k) > 0 && strlen(k) <= 64)
			continue;
		snprintf(sub, sizeof sub, "%.160s.%.64s", path, k);
		api_input_fail(r, 422, "invalid", sub,
		    "%s: %s is 1 to 64 bytes", sub, one);
		return (-1);
	}
	return (0);
}

static int
agent_counts(struct api_input_err *r, const struct agent_field *f, json_t *v,
    const char *path)
{
	char sub[256];
	const char *k;
	json_t *n;

	if (agent_members(r, v, path, 64, "reasons", "a reason") != 0)
		return (-1);
	json_object_foreach(v, k, n)
	{
		snprintf(sub, sizeof sub, "%.160s.%.64s", path, k);
		if (!json_is_integer(n)) {
			api_input_fail(r, 422, "invalid", sub,
			    "%s must be a whole number", sub);
			return (-1);
		}
		if (agent_number(r, f, (double)json_integer_value(n), sub) != 0)
			return (-1);
	}
	return (0);
}

/* A header's name: an HTTP token. */
static int
agent_is_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > FETCH_KEPT_NAME_MAX || strlen(s) != len)
		return (0);
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f ||
		    strchr("\"(),/:;<=>?@[\\]{}", s[i]) != NULL)
			return (0);
	return (1);
}

/* The headers a result kept: as many and as long as fetch_kept.h
 * keeps them, at most. */
static int
agent_headers(struct api_input_err *r, const struct agent_field *f, json_t *v,
    const char *path)
{
	char sub[256];
	const char *k;
	json_t *s;

	if (json_object_size(v) > FETCH_KEPT_MAX) {
		api_input_fail(r, 422, "too_long", path,
		    "%s holds %d headers at most", path, FETCH_KEPT_MAX);
		return (-1);
	}
	json_object_foreach(v, k, s)
	{
		snprintf(sub, sizeof sub, "%.160s.%.64s", path, k);
		if (!agent_is_token(k, strlen(k))) {
			api_input_fail(r, 422, "invalid", sub,
			    "%s: a header's name is 1 to %d bytes of a token",
			    sub, FETCH_KEPT_NAME_MAX);
			return (-1);
		}
		if (!json_is_string(s)) {
			api_input_fail(r, 422, "invalid", sub,
			    "%s must be a string", sub);
			return (-1);
		}
		if (agent_text(r, f, s, sub) != 0)
			return (-1);
	}
	return (0);
}

/* A render's report: a few names, each a number within the field's
 * bounds, a short text or null. */
static int
agent_timings(struct api_input_err *r, const struct agent_field *f, json_t *v,
    const char *path)
{
	char sub[256];
	const char *k;
	json_t *x;

	if (agent_members(r, v, path, 32, "timings", "a name") != 0)
		return (-1);
	json_object_foreach(v, k, x)
	{
		snprintf(sub, sizeof sub, "%.160s.%.64s", path, k);
		if (json_is_number(x)) {
			if (agent_number(r, f, json_number_value(x), sub) != 0)
				return (-1);
		} else if (json_is_string(x)) {
			if (json_string_length(x) > 1024) {
				api_input_fail(r, 422, "too_long", sub,
				    "%s holds 1024 bytes at most", sub);
				return (-1);
			}
		} else if (!json_is_null(x)) {
			api_input_fail(r, 422, "invalid", sub,
			    "%s must be a number, a string or null", sub);
			return (-1);
		}
	}
	return (0);
}

/* URLs a page pulled in: http or https, each as long as a result's. */
static int
agent_urls(struct api_input_err *r, const struct agent_field *f, json_t *v,
    const char *path)
{
	static const struct agent_field url = { "url", AGF_TEXT, 0, 1,
		AGENT_URL_MAX, NULL };
	char sub[256];
	const char *s;
	json_t *x;
	size_t i;

	if ((long long)json_array_size(v) > f->max) {
		api_input_fail(r, 422, "too_long", path,
		    "%s holds %lld URLs at most", path, f->max);
		return (-1);
	}
	json_array_foreach(v, i, x)
	{
		snprintf(sub, sizeof sub, "%.160s[%zu]", path, i);
		s = json_string_value(x);
		if (s == NULL ||
		    (strncmp(s, "http://", 7) != 0 &&
		        strncmp(s, "https://", 8) != 0)) {
			api_input_fail(r, 422, "invalid", sub,
			    "%s must be an http or https URL", sub);
			return (-1);
		}
		if (agent_text(r, &url, x, sub) != 0)
			return (-1);
	}
	return (0);
}

/* One value, not null. */
static int
agent_value(struct api_input_err *r, const struct agent_field *f, json_t *v,
    const char *path)
{
	static const char *const want[] = {
		[AGF_UUID] = "a uuid",
		[AGF_TEXT] = "a string",
		[AGF_INT] = "a whole number",
		[AGF_NUMBER] = "a number",
		[AGF_TIME] = "a time, seconds since the epoch",
		[AGF_BOOL] = "true or false",
		[AGF_COUNTS] = "an object of counts",
		[AGF_HEADERS] = "an object of header names to values",
		[AGF_TIMINGS] = "an object of timings",
		[AGF_URLS] = "an array of URLs",
	};

	switch (f->type) {
	case AGF_UUID:
	case AGF_TEXT:
		if (json_is_string(v))
			return (agent_text(r, f, v, path));
		break;
	case AGF_INT:
		if (json_is_integer(v))
			return (agent_number(r, f,
			    (double)json_integer_value(v), path));
		break;
	case AGF_NUMBER:
	case AGF_TIME:
		if (json_is_number(v))
			return (agent_number(r, f, json_number_value(v), path));
		break;
	case AGF_BOOL:
		if (json_is_boolean(v))
			return (0);
		break;
	case AGF_COUNTS:
		if (json_is_object(v))
			return (agent_counts(r, f, v, path));
		break;
	case AGF_HEADERS:
		if (json_is_object(v))
			return (agent_headers(r, f, v, path));
		break;
	case AGF_TIMINGS:
		if (json_is_object(v))
			return (agent_timings(r, f, v, path));
		break;
	case AGF_URLS:
		if (json_is_array(v))
			return (agent_urls(r, f, v, path));
		break;
	default:
		WRONG("agent field type");
	}
	api_input_fail(r, 422, "invalid", path, "%s must be %s", path,
	    want[f->type]);
	return (-1);
}

/*
 * One row: each field known, each required one there.  A field's path
 * is written only for its error: a batch has thousands of fields, and
 * writing each one's took more of the batch's time than checking it.
 * A value is checked again once its path is written, to say why.
 * vals, when not NULL, takes each field's value by its place in
 * rw->field (NULL: absent).
 */
static int
agent_row(struct api_input_err *r, const struct agent_rows *rw, json_t *row,
    size_t i, json_t **vals)
{
	char path[256];
	const char *k;
	json_t *v;
	unsigned u;

	if (!json_is_object(row)) {
		snprintf(path, sizeof path, "%s[%zu]", rw->name, i);
		api_input_fail(r, 422, "invalid", path, "%s must be an object",
		    path);
		return (-1);
	}
	json_object_foreach(row, k, v)
	{
		for (u = 0; u < rw->nfield; u++)
			if (!strcmp(k, rw->field[u].name))
				break;
		if (vals != NULL && u < rw->nfield)
			vals[u] = v;
		if (u < rw->nfield && json_is_null(v) &&
		    (rw->field[u].flags & AGF_NULLABLE))
			continue;
		if (u < rw->nfield && !json_is_null(v) &&
		    agent_value(r, &rw->field[u], v, "") == 0)
			continue;
		snprintf(path, sizeof path, "%s[%zu].%.64s", rw->name, i, k);
		if (u == rw->nfield) {
			api_input_fail(r, 422, "unknown_field", path,
			    "unknown field %s", path);
			return (-1);
		}
		if (json_is_null(v)) {
			api_input_fail(r, 422, "invalid", path,
			    "%s may not be null", path);
			return (-1);
		}
		/* Checked again, to say where: the same verdict, or none. */
		if (agent_value(r, &rw->field[u], v, path) == 0)
			continue;
		return (-1);
	}
	for (u = 0; u < rw->nfield; u++) {
		if (!(rw->field[u].flags & AGF_REQUIRED) ||
		    json_object_get(row, rw->field[u].name) != NULL)
			continue;
		snprintf(path, sizeof path, "%s[%zu].%s", rw->name, i,
		    rw->field[u].name);
		api_input_fail(r, 422, "required", path, "%s is required",
		    path);
		return (-1);
	}
	return (0);
}

/* The rows of one kind, when there: an array, not too long; -1 with
 * why in r. */
static int
agent_rows_shape(struct api_input_err *r, const struct agent_rows *rw,
    json_t *a)
{
	if (a != NULL && !json_is_array(a)) {
		api_input_fail(r, 422, "invalid", rw->name,
		    "%s must be an array", rw->name);
		return (-1);
	}
	if (json_array_size(a) > rw->max) {
		api_input_fail(r, 422, "too_long", rw->name,
		    "%s must hold at most %u rows: send a batch more often",
		    rw->name, rw->max);
		return (-1);
	}
	return (0);
}

/* One value of a result in its column's literal. */
static void
agent_result_value(struct vsb *col, const struct agent_field *f, json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v)) {
		pg_array_null(col);
		return;
	}
	switch (f->type) {
	case AGF_UUID:
	case AGF_TEXT:
		pg_array_text(col, json_string_value(v));
		break;
	case AGF_INT:
		pg_array_int(col, json_integer_value(v));
		break;
	case AGF_NUMBER:
	case AGF_TIME:
		pg_array_double(col, json_number_value(v));
		break;
	case AGF_HEADERS:
		s = json_dumps(v, JSON_COMPACT);
		AN(s);
		pg_array_text(col, s);
		free(s);
		break;
	default:
		WRONG("a result's field of no column type");
	}
}

/* The results checked, a column each (struct ags_batch); -1 with why
 * in r. */
static int
agent_result_cols(struct api_input_err *r, const struct agent_rows *rw,
    json_t *a, char **cols)
{
	struct vsb *col[AGS_RESULT_COLS];
	json_t *vals[AGS_RESULT_COLS], *row;
	size_t i;
	unsigned u;

	assert(rw->nfield == AGS_RESULT_COLS);
	if (agent_rows_shape(r, rw, a) != 0)
		return (-1);
	for (u = 0; u < AGS_RESULT_COLS; u++)
		col[u] = pg_array_new();
	json_array_foreach(a, i, row)
	{
		memset(vals, 0, sizeof vals);
		if (agent_row(r, rw, row, i, vals) != 0) {
			for (u = 0; u < AGS_RESULT_COLS; u++)
				VSB_destroy(&col[u]);
			return (-1);
		}
		for (u = 0; u < AGS_RESULT_COLS; u++)
			agent_result_value(col[u], &rw->field[u], vals[u]);
	}
	for (u = 0; u < AGS_RESULT_COLS; u++) {
		pg_array_end(col[u]);
		cols[u] = strdup(VSB_data(col[u]));
		AN(cols[u]);
		VSB_destroy(&col[u]);
	}
	return (0);
}

/* A batch's fields: its key and time, then agent_rows[]'s. */
static const char *const agent_batch_fields[] = { "batch", "sent_at", "jobs",
	"invalidations", "results", "traffic", "tasks", "popular", "searches" };
#define AGENT_BATCH_NFIELDS                                                    \
	(sizeof agent_batch_fields / sizeof agent_batch_fields[0])

/* The rows of one kind checked, as JSON for the store ("[]" when
 * absent); NULL with why in r. */
static char *
agent_rows_json(struct api_input_err *r, const struct agent_rows *rw, json_t *a)
{
	char *s;
	size_t i;
	json_t *row;

	if (a == NULL) {
		s = strdup("[]");
		AN(s);
		return (s);
	}
	if (agent_rows_shape(r, rw, a) != 0)
		return (NULL);
	json_array_foreach(a, i, row)
	{
		if (agent_row(r, rw, row, i, NULL) != 0)
			return (NULL);
	}
	s = json_dumps(a, JSON_COMPACT);
	AN(s);
	return (s);
}

int
agent_batch_read(json_t *body, struct agent_batch_in *in,
    struct api_input_err *r)
{
	const char *k;
	json_t *v;
	unsigned u, n;

	AN(body);
	AN(in);
	AN(r);
	memset(in, 0, sizeof *in);
	/* Not api_input(): its array items are all of one type. */
	json_object_foreach(body, k, v)
	{
		for (u = 0; u < AGENT_BATCH_NFIELDS; u++)
			if (!strcmp(k, agent_batch_fields[u]))
				break;
		if (u == AGENT_BATCH_NFIELDS) {
			api_input_fail(r, 400, "unknown_field", k,
			    "unknown field '%.64s': a batch has batch, "
			    "sent_at, jobs, invalidations, results, traffic, "
			    "tasks, popular, searches",
			    k);
			return (-1);
		}
	}
	v = json_object_get(body, "batch");
	if (v == NULL || !json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > 200 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		api_input_fail(r, 422, v == NULL ? "required" : "invalid",
		    "batch", "batch is its key: 1 to 200 bytes, a string");
		return (-1);
	}
	v = json_object_get(body, "sent_at");
	if (v == NULL || !json_is_number(v) ||
	    !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
	    json_number_value(v) > AGENT_TIME_MAX) {
		api_input_fail(r, 422, v == NULL ? "required" : "invalid",
		    "sent_at", "sent_at is a time, seconds since the epoch");
		return (-1);
	}
	in->bt.key = json_string_value(json_object_get(body, "batch"));
	in->bt.sent_at = json_number_value(v);
	for (n = 0; n < AGENT_NROWS; n++) {
		v = json_object_get(body, agent_rows[n].name);
		if (agent_rows[n].field == agent_result_fields) {
			if (agent_result_cols(r, &agent_rows[n], v,
			        in->results) == 0)
				continue;
		} else {
			in->rows[n] = agent_rows_json(r, &agent_rows[n], v);
			if (in->rows[n] != NULL)
				continue;
		}
		agent_batch_clear(in);
		return (-1);
	}
	in->bt.jobs = in->rows[0];
	in->bt.invalidations = in->rows[1];
	for (u = 0; u < AGS_RESULT_COLS; u++)
		in->bt.results[u] = in->results[u];
	in->bt.traffic = in->rows[3];
	in->bt.tasks = in->rows[4];
	in->bt.popular = in->rows[5];
	in->bt.searches = in->rows[6];
	in->bt.npopular = json_array_size(json_object_get(body, "popular")) +
	    json_array_size(json_object_get(body, "searches"));
	in->bt.ninvalidations =
	    json_array_size(json_object_get(body, "invalidations"));
	in->bt.ntasks = json_array_size(json_object_get(body, "tasks"));
	return (0);
}

void
agent_batch_clear(struct agent_batch_in *in)
{
	unsigned u;

	AN(in);
	for (u = 0; u < AGENT_BATCH_KINDS; u++)
		free(in->rows[u]);
	for (u = 0; u < AGS_RESULT_COLS; u++)
		free(in->results[u]);
	memset(in, 0, sizeof *in);
}
