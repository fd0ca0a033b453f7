/*
 * Unit tests for vsl/vsl_num.c: the numbers of Varnish's log records read
 * as strtod() and strtoull() read them, the fast path and the slow one
 * alike, and what is not a number refused without touching the value.
 */

#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vsl/vsl_num.h"
#include "unit.h"

/* Within a rounding of strtod(): the fast path may differ in one bit. */
static int
near(double a, double b)
{
	if (a == b)
		return (1);
	return (fabs(a - b) <= fabs(b) * 4e-16);
}

static void
test_decimals(void)
{
	static const char *const in[] = { "0", "1", "-1.000", "120.000",
		"1796621229.040523", "0.000001", "3600", "+2.5",
		"123456789012.5", "1e3", "inf", "-inf",
		"1234567890123456789012.25", "0.1234567890123456789", NULL };
	const char *const *s;
	const char *e;
	double v;
	char *end;

	for (s = in; *s != NULL; s++) {
		e = vsl_num_dbl(*s, &v);
		CHECK(e != NULL);
		CHECK(near(v, strtod(*s, &end)));
		CHECK(e == end);
	}
}

static void
test_fields(void)
{
	const char *p = "RFC 120 10 0 1796621229 1796621229 0 0 cacheable";
	double v = 7.;
	uint64_t u = 7;

	p = vsl_num_skip(p);
	p = vsl_num_dbl(p, &v);
	CHECK(p != NULL && v == 120.);
	p = vsl_num_dbl(p, &v);
	CHECK(p != NULL && v == 10.);
	CHECK(vsl_num_u64(" \t 42 rest", &u) != NULL && u == 42);
	CHECK(
	    vsl_num_u64("18446744073709551615", &u) != NULL && u == UINT64_MAX);
	/* Not numbers: the value stays as it was. */
	u = 7;
	v = 7.;
	CHECK(vsl_num_u64("", &u) == NULL);
	CHECK(vsl_num_u64("x1", &u) == NULL);
	CHECK(vsl_num_u64("-1", &u) == NULL);
	CHECK(vsl_num_u64("99999999999999999999", &u) == NULL);
	CHECK(vsl_num_dbl("", &v) == NULL);
	CHECK(vsl_num_dbl("-", &v) == NULL);
	CHECK(vsl_num_dbl("cacheable", &v) == NULL);
	CHECK(u == 7 && v == 7.);
	CHECK(*vsl_num_skip("word") == '\0');
	CHECK(*vsl_num_skip("") == '\0');
}

int
main(void)
{
	test_decimals();
	test_fields();
	return (unit_done());
}
