/*
 * The store's verdicts as HTTP answers, for every tenant route.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "vdef.h"
#include "vas.h"

#include "core/log.h"
#include "api_answer.h"
#include "http_api.h"

/*--------------------------------------------------------------------
 * A plan's refusals, by quota: the status, the input it is about, and
 * what the message says of the limit and the use (in this order).
 * Only a day's warms come back by themselves (429, and when); the rest
 * need a bigger plan (402).
 */

static const struct api_quota {
	const char *quota;
	int status;
	const char *field;
	const char *fmt;
} api_quotas[] = {
	{ "websites", 402, NULL,
	    "the %s plan allows %jd website(s) in a project; it has %jd" },
	{ "urls_per_job", 402, "urls",
	    "the %s plan allows %jd URLs in a job; this one has %jd" },
	{ "crawl_pages", 402, "max_pages",
	    "the %s plan allows %jd URLs in a job; max_pages is %jd" },
	{ "concurrency", 402, "concurrency",
	    "the %s plan allows a concurrency of %jd; %jd was asked" },
	{ "warms_per_day", 429, NULL,
	    "the %s plan allows %jd warm requests a day; %jd are made or "
	    "queued today: more after midnight UTC" },
};

int
api_plan_refused(struct api_req *r, json_t *refusal)
{
	const struct api_quota *q = NULL;
	const char *quota, *plan;
	json_int_t lim, used, after;
	json_t *more;
	char ra[24];
	size_t i;

	AN(refusal);
	quota = json_string_value(json_object_get(refusal, "quota"));
	plan = json_string_value(json_object_get(refusal, "plan"));
	lim = json_integer_value(json_object_get(refusal, "limit"));
	used = json_integer_value(json_object_get(refusal, "used"));
	for (i = 0; quota != NULL && i < sizeof api_quotas / sizeof *api_quotas;
	     i++)
		if (!strcmp(quota, api_quotas[i].quota))
			q = &api_quotas[i];
	if (q == NULL || plan == NULL)
		return (-1);
	more = json_pack("{s:s, s:I, s:I, s:s}", "quota", quota, "limit", lim,
	    "used", used, "plan", plan);
	AN(more);
	after = json_integer_value(json_object_get(refusal, "retry_after"));
	if (q->status == 429) {
		snprintf(ra, sizeof ra, "%jd",
		    (intmax_t)(after > 0 ? after : 1));
		http_api_header(r, "Retry-After", ra);
	}
	http_api_error_with(r, q->status, "plan_limit", q->field, more, q->fmt,
	    plan, (intmax_t)lim, (intmax_t)used);
	json_decref(more);
	return (0);
}

/* What the store said the plan refused, as text; -1: not said. */
static int
api_plan_said(struct api_req *r, const char *json)
{
	json_t *j;
	int rv;

	if (json == NULL || (j = json_loads(json, 0, NULL)) == NULL)
		return (-1);
	rv = api_plan_refused(r, j);
	json_decref(j);
	return (rv);
}

void
api_answer(struct api_req *r, const struct api_answer *a, enum as_status st,
    const char *json, const char *err)
{
	AN(a);
	switch (st) {
	case AS_OK:
		if (json != NULL && a->ok != 204)
			http_api_reply_text(r, a->ok, json);
		else
			http_api_reply_empty(r, a->ok);
		return;
	case AS_NOT_FOUND:
		http_api_error(r, 404, NULL, NULL, "%s",
		    a->not_found != NULL ? a->not_found : "not found");
		return;
	case AS_FORBIDDEN:
		http_api_error(r, 403, NULL, NULL, "%s",
		    a->forbidden != NULL ? a->forbidden
		                         : "your role does not allow this");
		return;
	case AS_CONFLICT:
		http_api_error(r, 409, a->conflict_code, a->conflict_field,
		    "%s", a->conflict != NULL ? a->conflict : "conflict");
		return;
	case AS_PLAN_LIMIT:
		if (api_plan_said(r, json) == 0)
			return;
		if (a->plan != NULL) {
			http_api_error(r,
			    a->plan_status != 0 ? a->plan_status : 402,
			    "plan_limit", a->plan_field, "%s", a->plan);
			return;
		}
		/* A route with no plan limit: the store went wrong. */
		/* FALLTHROUGH */
	default:
		log_warning("api", "%s: %s", a->what, err != NULL ? err : "?");
		http_api_error(r, 503, NULL, NULL,
		    "the database did not answer; try again");
		return;
	}
}
