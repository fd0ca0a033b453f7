/*
 * warm_verdict: what came of one warm request, from Varnish's answer.
 */

#include "config.h"

#include <string.h>

#include "fetch/fetcher.h"
#include "warm/warm_verdict.h"
#include "unit.h"

static struct fetch_result res;
static char why[256];
static double ttl;

static void
answer(long status, unsigned hit, const char *cc)
{
	memset(&res, 0, sizeof res);
	res.ok = 1;
	res.status = status;
	res.hit = hit;
	res.cache_control = cc;
	res.age = -1;
}

static enum warm_outcome
verdict(const char *warm_id)
{
	return (warm_verdict(&res, warm_id, &ttl, why, sizeof why));
}

int
main(void)
{
	/* Cached, with the TTL s-maxage gives over max-age. */
	answer(200, 0, "public, max-age=60, s-maxage=300");
	CHECK_INT_EQ(verdict(NULL), WO_CACHED);
	CHECK(ttl == 300);
	CHECK_STR_EQ(why, "");
	answer(200, 0, NULL);
	CHECK_INT_EQ(verdict(NULL), WO_CACHED);
	CHECK(ttl == -1);

	/* A hit without a secret: in cache already, for what is left. */
	answer(200, 1, "max-age=100");
	res.age = 30;
	CHECK_INT_EQ(verdict(NULL), WO_FRESH);
	CHECK(ttl == 70);
	CHECK_STR_EQ(why, "");

	/* Uncacheable, and why. */
	answer(200, 0, "max-age=100");
	res.set_cookie = 1;
	CHECK_INT_EQ(verdict(NULL), WO_UNCACHEABLE);
	CHECK_STR_EQ(why, "Set-Cookie");
	answer(200, 0, "no-store, max-age=100");
	CHECK_INT_EQ(verdict(NULL), WO_UNCACHEABLE);
	CHECK_STR_EQ(why, "Cache-Control: no-store, max-age=100");
	answer(200, 0, "s-maxage=0");
	CHECK_INT_EQ(verdict(NULL), WO_UNCACHEABLE);
	CHECK_STR_EQ(why, "zero TTL (Cache-Control: s-maxage=0)");
	/* Directives whole: x-no-cache is not no-cache. */
	answer(200, 0, "x-no-cache, max-age=5");
	CHECK_INT_EQ(verdict(NULL), WO_CACHED);

	/* Errors and failures. */
	answer(503, 0, NULL);
	CHECK_INT_EQ(verdict(NULL), WO_ORIGIN_ERROR);
	CHECK_STR_EQ(why, "HTTP 503");
	memset(&res, 0, sizeof res);
	res.error = "Operation timed out after 5000 milliseconds";
	CHECK_INT_EQ(verdict(NULL), WO_TIMEOUT);
	res.error = "Timeout was reached";
	CHECK_INT_EQ(verdict(NULL), WO_TIMEOUT);
	res.error = "Could not resolve host: shop.invalid";
	CHECK_INT_EQ(verdict(NULL), WO_FAILED);
	CHECK_STR_EQ(why, "Could not resolve host: shop.invalid");
	res.error = NULL;
	CHECK_INT_EQ(verdict(NULL), WO_FAILED);
	CHECK_STR_EQ(why, "no answer");

	/* A signed request must come back as itself. */
	answer(200, 0, "max-age=60");
	CHECK_INT_EQ(verdict("job1-task2-0"), WO_FAILED);
	res.warm_id = "job1-task9-0";
	CHECK_INT_EQ(verdict("job1-task2-0"), WO_FAILED);
	res.warm_id = "job1-task2-0";
	CHECK_INT_EQ(verdict("job1-task2-0"), WO_CACHED);

	CHECK(!warm_verdict_failed(WO_CACHED));
	CHECK(!warm_verdict_failed(WO_FRESH));
	CHECK(!warm_verdict_failed(WO_UNCACHEABLE));
	CHECK(warm_verdict_failed(WO_ORIGIN_ERROR));
	CHECK(warm_verdict_failed(WO_TIMEOUT));
	CHECK(warm_verdict_failed(WO_FAILED));
	CHECK_STR_EQ(warm_outcome_name[WO_ORIGIN_ERROR], "origin_error");

	return (unit_done());
}
