/*
 * Unit tests for core/cron.c: the five fields, '*', numbers, ranges,
 * lists and steps, what each field takes, Sunday as 0 and 7, and what
 * is refused with a reason naming the field.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "core/cron.h"
#include "unit.h"

static char why[256];

static int
ok(const char *e)
{
	struct cron c;

	return (cron_parse(e, &c, why, sizeof why) == 0);
}

static void
test_sets(void)
{
	struct cron c;

	CHECK(cron_parse("* * * * *", &c, why, sizeof why) == 0);
	CHECK(c.minute == (((uint64_t)1 << 60) - 1));
	CHECK(c.hour == 0xffffff);
	CHECK(c.mday == 0xfffffffe);
	CHECK(c.month == 0x1ffe);
	CHECK(c.wday == 0x7f);
	CHECK(cron_parse("*/15 2,14 1-10/3 12 7", &c, why, sizeof why) == 0);
	CHECK(c.minute ==
	    ((uint64_t)1 | (uint64_t)1 << 15 | (uint64_t)1 << 30 |
	        (uint64_t)1 << 45));
	CHECK(c.hour == (1U << 2 | 1U << 14));
	CHECK(c.mday == (1U << 1 | 1U << 4 | 1U << 7 | 1U << 10));
	CHECK(c.month == 1U << 12);
	CHECK(c.wday == 1U); /* 7 is Sunday, 0 */
	CHECK(cron_parse("\t0  3 * *\t1-5 ", &c, why, sizeof why) == 0);
	CHECK(c.wday == 0x3e);
}

static void
test_refused(void)
{
	char big[CRON_MAX + 8];

	CHECK(ok("0 0 1 1 0"));
	CHECK(ok("59 23 31 12 7"));
	CHECK(ok("0-59/59 * * * *"));
	CHECK(!ok(""));
	CHECK(!ok("* * * *"));
	CHECK(strstr(why, "4 fields") != NULL);
	CHECK(!ok("* * * * * *"));
	CHECK(!ok("60 * * * *"));
	CHECK(strstr(why, "minute") != NULL);
	CHECK(!ok("* 24 * * *"));
	CHECK(strstr(why, "hour") != NULL);
	CHECK(!ok("* * 0 * *"));
	CHECK(!ok("* * 32 * *"));
	CHECK(!ok("* * * 0 *"));
	CHECK(!ok("* * * 13 *"));
	CHECK(!ok("* * * * 8"));
	CHECK(strstr(why, "day of the week") != NULL);
	CHECK(!ok("5-1 * * * *"));
	CHECK(!ok("*/0 * * * *"));
	CHECK(!ok("*/61 * * * *"));
	CHECK(!ok("1,,2 * * * *"));
	CHECK(!ok("1, * * * *"));
	CHECK(!ok(",1 * * * *"));
	CHECK(!ok("1- * * * *"));
	CHECK(!ok("-1 * * * *"));
	CHECK(!ok("** * * * *"));
	CHECK(!ok("*-5 * * * *"));
	CHECK(!ok("1/2/3 * * * *"));
	CHECK(!ok("0001 * * * *"));
	CHECK(!ok("a * * * *"));
	CHECK(!ok("@daily"));
	CHECK(!ok("* * * jan mon"));
	CHECK(!ok("* * * * *\n"));
	memset(big, ' ', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "* * * * *", 9);
	CHECK(!ok(big));
	CHECK(strstr(why, "bytes") != NULL);
}

int
main(void)
{
	test_sets();
	test_refused();
	return (unit_done());
}
