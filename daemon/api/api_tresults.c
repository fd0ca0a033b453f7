/*
 * A job's results, a page at a time (tjob_store.h tj_results).
 *
 * A page of JSON is PostgreSQL's text, sent as it is: parsing and
 * writing again a page of a hundred rows was most of what the loop
 * spent on a request.  So its cursor, opaque to the client, is made by
 * the store's statement (tjob_store.h says what it holds) and only read
 * here: a cursor of another sort or order, or one that does not decode,
 * is refused rather than guessed at.
 *
 * CSV is an export: every row the filters keep, from the cursor (if
 * any) on, read page by page and sent as one body, a header row first
 * and each field quoted when it must be (RFC 4180).
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vsb.h"

#include "core/log.h"
#include "fetch/addr_policy.h"
#include "store/tjob_store.h"
#include "warm/warm_verdict.h"
#include "api_tenant.h"
#include "api_tresults.h"

#define TR_LIMIT_DEFAULT 100
#define TR_LIMIT_MAX 1000
#define TR_CURSOR_MAX (ADDR_URL_MAX + 64)
/* Real numbers as PostgreSQL wrote them: a real's shortest text has at
 * most 9 digits, and 15 bring any such decimal back from a double. */
#define TR_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* The columns of a CSV export, in order: the JSON's names. */
static const char *const tr_columns[] = {
	"id",
	"url",
	"variant",
	"node",
	"status",
	"load_ms",
	"ttfb_ms",
	"cache_status",
	"outcome",
	"reason",
	"ttl",
	"recorded_at",
	"fragment",
};
#define TR_NCOLUMNS (sizeof tr_columns / sizeof tr_columns[0])

struct api_tr {
	unsigned magic;
#define API_TR_MAGIC 0x5e7a0c61
	struct api_req *r;
	struct api_tenant *t;
	int64_t user, job;
	struct tj_query q;
	char status[8];
	char key[TR_CURSOR_MAX];
	struct vsb *csv; /* NULL: a page of JSON */
};

static void
api_tr_free(struct api_tr **trp)
{
	struct api_tr *tr;

	TAKE_OBJ_NOTNULL(tr, trp, API_TR_MAGIC);
	if (tr->csv != NULL)
		VSB_destroy(&tr->csv);
	FREE_OBJ(tr);
}

/*--------------------------------------------------------------------
 * The cursor
 */

/* A sort key as the statement will read it; -1: not one. */
static int
api_tr_key_ok(enum tj_sort sort, const char *key, int64_t id)
{
	char *end;
	double d;

	switch (sort) {
	case TJ_SORT_ID:
		errno = 0;
		return (
		    strtoll(key, &end, 10) == id && *end == '\0' && errno == 0
		        ? 0
		        : -1);
	case TJ_SORT_TTFB:
	case TJ_SORT_LOAD:
		/* PostgreSQL reads what strtod does, Infinity too. */
		d = strtod(key, &end);
		return (*key != '\0' && *end == '\0' && !isnan(d) ? 0 : -1);
	default:
		return (0);
	}
}

/* The cursor given, read into tr->q; -1: not one of ours for this. */
static int
api_tr_uncursor(struct api_tr *tr, const char *cursor)
{
	char raw[TR_CURSOR_MAX], sort[16], order[8];
	size_t len;
	int n = 0;
	long long id;

	if (strlen(cursor) > TR_CURSOR_MAX * 4 / 3 ||
	    sodium_base642bin((unsigned char *)raw, sizeof raw - 1, cursor,
	        strlen(cursor), NULL, &len, NULL,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return (-1);
	raw[len] = '\0';
	if (memchr(raw, '\0', len) != NULL ||
	    sscanf(raw, "%15s %7s %lld %n", sort, order, &id, &n) != 3 ||
	    n == 0 || id < 1)
		return (-1);
	if (strcmp(sort, tj_sort_name[tr->q.sort]) != 0 ||
	    strcmp(order, tr->q.desc ? "desc" : "asc") != 0)
		return (-1);
	/* The key follows one space; a URL's own spaces are its own. */
	if (raw[n - 1] != ' ' || raw[n] == '\0')
		return (-1);
	snprintf(tr->key, sizeof tr->key, "%s", raw + n);
	if (api_tr_key_ok(tr->q.sort, tr->key, id) != 0)
		return (-1);
	tr->q.after_key = tr->key;
	tr->q.after_id = id;
	return (0);
}

/*--------------------------------------------------------------------
 * Answers
 */

static void
api_tr_csv_field(struct vsb *vsb, json_t *v)
{
	const char *s, *p;
	char *num;

	if (v == NULL || json_is_null(v))
		return;
	if (!json_is_string(v)) {
		num = json_dumps(v, JSON_ENCODE_ANY | TR_JSON_FLAGS);
		AN(num);
		VSB_cat(vsb, num);
		free(num);
		return;
	}
	s = json_string_value(v);
	if (strpbrk(s, ",\"\r\n") == NULL && *s != ' ') {
		VSB_cat(vsb, s);
		return;
	}
	VSB_putc(vsb, '"');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			VSB_putc(vsb, '"');
		VSB_putc(vsb, *p);
	}
	VSB_putc(vsb, '"');
}

static void
api_tr_csv_rows(struct vsb *vsb, json_t *results)
{
	size_t i, c;
	json_t *row;

	json_array_foreach(results, i, row)
	{
		for (c = 0; c < TR_NCOLUMNS; c++) {
			if (c > 0)
				VSB_putc(vsb, ',');
			api_tr_csv_field(vsb,
			    json_object_get(row, tr_columns[c]));
		}
		VSB_cat(vsb, "\r\n");
	}
}

static void api_tr_query(struct api_tr *);

/* The CSV export's rows, and the page after if any: 0, or -1 with the
 * cursor the store made that does not read back. */
static int
api_tr_csv_page(struct api_tr *tr, const char *json, int *more)
{
	json_t *page, *next;
	int rv = 0;

	page = json_loads(json, 0, NULL);
	AN(page);
	api_tr_csv_rows(tr->csv, json_object_get(page, "results"));
	next = json_object_get(page, "next_cursor");
	*more = json_is_string(next);
	if (*more)
		rv = api_tr_uncursor(tr, json_string_value(next));
	json_decref(page);
	return (rv);
}

/*
 * A page from the store: a page of JSON is sent as PostgreSQL wrote it,
 * cursor and all; a CSV export asks for the next, or ends.
 */
static void
api_tr_page(void *priv, enum as_status st, const char *json, const char *err)
{
	struct api_tr *tr;
	int more;

	CAST_OBJ_NOTNULL(tr, priv, API_TR_MAGIC);
	if (st == AS_NOT_FOUND) {
		http_api_error(tr->r, 404, NULL, NULL, "no such job");
		api_tr_free(&tr);
		return;
	}
	if (st != AS_OK || json == NULL) {
		log_warning("api", "reading results: %s",
		    err != NULL ? err : "?");
		http_api_error(tr->r, 503, NULL, NULL,
		    "the database did not answer; try again");
		api_tr_free(&tr);
		return;
	}
	if (tr->csv == NULL) {
		http_api_reply_text(tr->r, 200, json);
		api_tr_free(&tr);
		return;
	}
	if (api_tr_csv_page(tr, json, &more) != 0) {
		log_warning("api", "exporting results: a bad cursor made");
		http_api_error(tr->r, 500, NULL, NULL,
		    "the export stopped at a row it could not page past");
		api_tr_free(&tr);
		return;
	}
	if (more) {
		api_tr_query(tr);
		return;
	}
	AZ(VSB_finish(tr->csv));
	http_api_reply_body(tr->r, 200, "text/csv; charset=utf-8",
	    VSB_data(tr->csv), (size_t)VSB_len(tr->csv));
	api_tr_free(&tr);
}

static void
api_tr_query(struct api_tr *tr)
{
	const char *err;

	CHECK_OBJ_NOTNULL(tr, API_TR_MAGIC);
	if (tj_results(tr->t->pool, tr->user, tr->job, &tr->q, api_tr_page, tr,
	        &err) != 0) {
		http_api_error(tr->r, 503, NULL, NULL, "%s", err);
		api_tr_free(&tr);
	}
}

/*--------------------------------------------------------------------
 * The query string
 */

/* -1 once answered. */
static int
api_tr_params(struct api_tr *tr)
{
	struct api_req *r = tr->r;
	const char *s;
	int64_t n;
	unsigned u;

	s = api_query(r, "sort");
	for (u = 0; s != NULL && u < TJ_SORT__MAX; u++)
		if (!strcmp(s, tj_sort_name[u]))
			break;
	if (s != NULL && u == TJ_SORT__MAX) {
		http_api_error(r, 422, "invalid", "sort",
		    "sort is id, ttfb, load_time or url");
		return (-1);
	}
	tr->q.sort = s != NULL ? (enum tj_sort)u : TJ_SORT_ID;
	s = api_query(r, "order");
	if (s != NULL && strcmp(s, "asc") && strcmp(s, "desc")) {
		http_api_error(r, 422, "invalid", "order",
		    "order is asc or desc");
		return (-1);
	}
	tr->q.desc = s != NULL && !strcmp(s, "desc");
	s = api_query(r, "outcome");
	for (u = 0; s != NULL && u < WO__MAX; u++)
		if (!strcmp(s, warm_outcome_name[u]))
			break;
	if (s != NULL && u == WO__MAX) {
		http_api_error(r, 422, "invalid", "outcome",
		    "outcome is cached, fresh, uncacheable, origin_error, "
		    "timeout or failed");
		return (-1);
	}
	tr->q.outcome = s;
	s = api_query(r, "cache_status");
	if (s != NULL && strlen(s) > 64) {
		http_api_error(r, 422, "invalid", "cache_status",
		    "cache_status is at most 64 bytes");
		return (-1);
	}
	tr->q.cache_status = s;
	if (api_query_int(r, "status", 0, 100, 599, &n) != 0) {
		http_api_error(r, 422, "invalid", "status",
		    "status is an HTTP status, 100 to 599");
		return (-1);
	}
	if (n != 0) {
		snprintf(tr->status, sizeof tr->status, "%" PRId64, n);
		tr->q.status = tr->status;
	}
	s = api_query(r, "url");
	if (s != NULL && strlen(s) > ADDR_URL_MAX) {
		http_api_error(r, 422, "invalid", "url",
		    "url is at most %d bytes", ADDR_URL_MAX);
		return (-1);
	}
	tr->q.url = s;
	s = api_query(r, "fragment");
	if (s != NULL && strcmp(s, "true") && strcmp(s, "false")) {
		http_api_error(r, 422, "invalid", "fragment",
		    "fragment is true (ESI fragments only) or false (pages "
		    "only)");
		return (-1);
	}
	tr->q.fragment = s;
	if (api_query_int(r, "limit", TR_LIMIT_DEFAULT, 1, TR_LIMIT_MAX, &n) !=
	    0) {
		http_api_error(r, 422, "invalid", "limit",
		    "limit is from 1 to %d", TR_LIMIT_MAX);
		return (-1);
	}
	tr->q.limit = (unsigned)n;
	s = api_query(r, "cursor");
	if (s != NULL && api_tr_uncursor(tr, s) != 0) {
		http_api_error(r, 422, "invalid_cursor", "cursor",
		    "cursor is a next_cursor of this sort and order, as "
		    "given");
		return (-1);
	}
	return (0);
}

void
api_tresults_get(struct api_req *r, void *priv)
{
	struct api_tr *tr;
	const char *accept;
	unsigned c;

	ALLOC_OBJ(tr, API_TR_MAGIC);
	AN(tr);
	CAST_OBJ_NOTNULL(tr->t, priv, API_TENANT_MAGIC);
	tr->r = r;
	tr->user = api_caller(r)->user;
	if (api_param_id(r, "id", &tr->job) != 0) {
		http_api_error(r, 404, NULL, "id", "no such job");
		api_tr_free(&tr);
		return;
	}
	if (api_tr_params(tr) != 0) {
		api_tr_free(&tr);
		return;
	}
	accept = api_header(r, "Accept");
	if (accept != NULL && strstr(accept, "text/csv") != NULL) {
		tr->csv = VSB_new_auto();
		AN(tr->csv);
		for (c = 0; c < TR_NCOLUMNS; c++)
			VSB_printf(tr->csv, "%s%s", c > 0 ? "," : "",
			    tr_columns[c]);
		VSB_cat(tr->csv, "\r\n");
		/* Large pages: an export reads them all. */
		tr->q.limit = TR_LIMIT_MAX;
	}
	api_tr_query(tr);
}
