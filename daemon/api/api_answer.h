/*
 * How a tenant route answers what the store said.  Each route has a row:
 * its success status, what to log, and what each refusal says, so that
 * the mapping from the store's statuses to HTTP is written once.
 */

#ifndef STOKE_API_ANSWER_H
#define STOKE_API_ANSWER_H

#include <jansson.h>

#include "store/account_store.h"

struct api_req;

struct api_answer {
	int ok; /* 200, 201, or 204 (no body) */
	const char *what; /* for the log: "creating a job" */
	const char *not_found; /* 404: "no such job" */
	const char *forbidden; /* 403; NULL: "your role does not allow this" */
	/* 409 */
	const char *conflict_code; /* NULL: "conflict" */
	const char *conflict_field;
	const char *conflict;
	/* AS_PLAN_LIMIT: 402, or another status the route's input calls */
	int plan_status;
	const char *plan_field;
	const char *plan;
};

/* The store's verdict answered: json (on AS_OK) as it is, a refusal as
 * the row says (a plan's as api_plan_refused() when the store said what
 * it refused), a database failure logged and answered 503. */
void api_answer(struct api_req *, const struct api_answer *, enum as_status,
    const char *json, const char *err);

/*
 * A plan's refusal (account_store.h: {"quota", "limit", "used", "plan",
 * "retry_after"}) answered plan_limit, with the limit, the use and the
 * plan in the error: 402, but 429 with Retry-After for a day's warms.
 * 0; -1 (nothing answered) for a refusal not of a known quota.
 */
int api_plan_refused(struct api_req *, json_t *refusal);

#endif
