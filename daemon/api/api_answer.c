/*
 * The store's verdicts as HTTP answers, for every tenant route.
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"

#include "core/log.h"
#include "api_answer.h"
#include "http_api.h"

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
