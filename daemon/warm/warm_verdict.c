/*
 * The judgement reads what Varnish sent back: X-Varnish names one
 * transaction for a miss or a pass and two for a hit; Cache-Control and
 * Set-Cookie say whether the builtin VCL will have kept it.
 */

#define _GNU_SOURCE /* strcasestr() */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"

#include "fetch/fetcher.h"
#include "warm_verdict.h"

const char *const warm_outcome_name[WO__MAX] = {
	[WO_CACHED] = "cached",
	[WO_FRESH] = "fresh",
	[WO_UNCACHEABLE] = "uncacheable",
	[WO_ORIGIN_ERROR] = "origin_error",
	[WO_TIMEOUT] = "timeout",
	[WO_FAILED] = "failed",
};

int
warm_verdict_failed(enum warm_outcome o)
{
	assert((unsigned)o < WO__MAX);
	return (o == WO_ORIGIN_ERROR || o == WO_TIMEOUT || o == WO_FAILED);
}

#define WARM_TTL_MAX (10.0 * 365 * 86400)

double
warm_cc_ttl(const char *cc)
{
	const char *p;
	double max_age = -1, s_maxage = -1, ttl;

	for (p = cc; p != NULL && *p != '\0'; p++) {
		if (p != cc && p[-1] != ' ' && p[-1] != ',')
			continue;
		if (!strncasecmp(p, "s-maxage=", 9))
			s_maxage = strtod(p + 9, NULL);
		else if (!strncasecmp(p, "max-age=", 8))
			max_age = strtod(p + 8, NULL);
	}
	/* From the network: a TTL past ten years means nothing more. */
	ttl = s_maxage >= 0 ? s_maxage : max_age;
	if (!isfinite(ttl) || ttl < 0)
		return (-1);
	return (ttl > WARM_TTL_MAX ? WARM_TTL_MAX : ttl);
}

/* A whole directive, not part of another ("no-cache" in "x-no-cache"). */
static int
cc_has(const char *cc, const char *word)
{
	size_t l = strlen(word);
	const char *p;

	for (p = cc; p != NULL && (p = strcasestr(p, word)) != NULL; p += l)
		if ((p == cc || p[-1] == ' ' || p[-1] == ',') &&
		    (p[l] == '\0' || p[l] == ',' || p[l] == ' ' || p[l] == '='))
			return (1);
	return (0);
}

int
warm_cc_uncacheable(const char *cc)
{
	return (cc_has(cc, "private") || cc_has(cc, "no-store") ||
	    cc_has(cc, "no-cache"));
}

/* curl's own words: "Operation timed out after..." in its error
 * buffer, "Timeout was reached" when only the code is known. */
static int
timed_out(const char *error)
{
	return (strstr(error, "timed out") != NULL ||
	    strstr(error, "Timeout was reached") != NULL);
}

enum warm_outcome
warm_verdict(const struct fetch_result *res, const char *warm_id, double *ttl,
    char *why, size_t whylen)
{
	const char *cc = res->cache_control;
	double t;

	AN(res);
	AN(ttl);
	AN(why);
	assert(whylen > 0);
	*ttl = -1;
	why[0] = '\0';
	if (!res->ok) {
		snprintf(why, whylen, "%s",
		    res->error != NULL && res->error[0] != '\0' ? res->error
		                                                : "no answer");
		return (timed_out(why) ? WO_TIMEOUT : WO_FAILED);
	}
	if (res->status >= 400) {
		snprintf(why, whylen, "HTTP %ld", res->status);
		return (WO_ORIGIN_ERROR);
	}
	if (warm_id != NULL &&
	    (res->warm_id == NULL || strcmp(res->warm_id, warm_id) != 0)) {
		/* Asked to refresh, Varnish did not take it as asked. */
		snprintf(why, whylen,
		    "not taken as a warm request (check the secret and the "
		    "VCL)");
		return (WO_FAILED);
	}
	if (res->hit) {
		t = warm_cc_ttl(cc);
		if (t >= 0 && res->age >= 0)
			*ttl = t - (double)res->age;
		return (WO_FRESH);
	}
	if (res->set_cookie) {
		snprintf(why, whylen, "Set-Cookie");
		return (WO_UNCACHEABLE);
	}
	if (warm_cc_uncacheable(cc)) {
		snprintf(why, whylen, "Cache-Control: %s", cc);
		return (WO_UNCACHEABLE);
	}
	t = warm_cc_ttl(cc);
	if (t == 0) {
		snprintf(why, whylen, "zero TTL (Cache-Control: %s)", cc);
		return (WO_UNCACHEABLE);
	}
	*ttl = t;
	return (WO_CACHED);
}
