/*
 * Unit tests for core/cron.c: the five fields, '*', numbers, names,
 * ranges, lists and steps, the macros, what each field takes, Sunday as
 * 0 and 7, and what is refused with a reason naming the field; then the
 * next runs, in UTC and across both DST nights in Europe/Berlin and
 * America/New_York, with Vixie's rule for the day.
 */

#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "core/cron.h"
#include "core/tzfile.h"
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
test_names_macros(void)
{
	struct cron c, d;

	CHECK(cron_parse("0 0 * jan,MAR,Dec sun", &c, why, sizeof why) == 0);
	CHECK(c.month == (1U << 1 | 1U << 3 | 1U << 12));
	CHECK(c.wday == 1U);
	CHECK(cron_parse("0 0 * Jun-aug Mon-FRI", &c, why, sizeof why) == 0);
	CHECK(c.month == (1U << 6 | 1U << 7 | 1U << 8));
	CHECK(c.wday == 0x3e);
	CHECK(
	    cron_parse("0 0 * jan-dec/3 sun-sat/2", &c, why, sizeof why) == 0);
	CHECK(c.month == (1U << 1 | 1U << 4 | 1U << 7 | 1U << 10));
	CHECK(c.wday == (1U | 1U << 2 | 1U << 4 | 1U << 6));
	CHECK(cron_parse("0 0 * * fri-7", &c, why, sizeof why) == 0);
	CHECK(c.wday == (1U | 1U << 5 | 1U << 6));
	/* "a/step": from a to the field's last value. */
	CHECK(cron_parse("50/5 * * * *", &c, why, sizeof why) == 0);
	CHECK(c.minute == ((uint64_t)1 << 50 | (uint64_t)1 << 55));
	CHECK(cron_parse("@daily", &c, why, sizeof why) == 0);
	CHECK(cron_parse("0 0 * * *", &d, why, sizeof why) == 0);
	CHECK(!memcmp(&c, &d, sizeof c));
	CHECK(cron_parse(" @Midnight ", &c, why, sizeof why) == 0);
	CHECK(!memcmp(&c, &d, sizeof c));
	CHECK(cron_parse("@hourly", &c, why, sizeof why) == 0);
	CHECK(c.minute == 1 && c.hour == 0xffffff);
	CHECK(cron_parse("@weekly", &c, why, sizeof why) == 0);
	CHECK(c.wday == 1 && c.mday == 0xfffffffe && !c.wday_star);
	CHECK(cron_parse("@monthly", &c, why, sizeof why) == 0);
	CHECK(c.mday == 2 && c.wday_star);
	CHECK(cron_parse("@yearly", &c, why, sizeof why) == 0);
	CHECK(cron_parse("@annually", &d, why, sizeof why) == 0);
	CHECK(!memcmp(&c, &d, sizeof c));
	CHECK(c.month == 2 && c.mday == 2);
	/* Which day field is restricted, for Vixie's rule. */
	CHECK(cron_parse("0 0 1,15 * fri", &c, why, sizeof why) == 0);
	CHECK(!c.mday_star && !c.wday_star);
	CHECK(cron_parse("0 0 */2 * fri", &c, why, sizeof why) == 0);
	CHECK(c.mday_star && !c.wday_star);
}

static int64_t
utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
	return (tz_join(y, mo, d, h, mi, 0));
}

static const char *
iso(int64_t t)
{
	static char buf[32];
	struct tz_tm tm;

	tz_split(t, &tm);
	snprintf(buf, sizeof buf, "%04jd-%02u-%02uT%02u:%02uZ",
	    (intmax_t)tm.year, tm.mon, tm.mday, tm.hour, tm.min);
	return (buf);
}

/*
 * The runs of expr in zone after `after`, each as iso() writes it,
 * against the NULL-ended list; the first failure says which.
 */
static void
runs(const char *expr, const char *zone, int64_t after, ...)
{
	const struct tz *z;
	const char *want;
	struct cron c;
	int64_t t = after, n;
	va_list ap;

	z = tz_get(zone, why, sizeof why);
	AN(z);
	if (!CHECK(cron_parse(expr, &c, why, sizeof why) == 0))
		return;
	va_start(ap, after);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (!CHECK(cron_next(&c, z, t, &n) == 0))
			break;
		if (!CHECK_STR_EQ(iso(n), want)) {
			fprintf(stderr, "\t%s in %s\n", expr, zone);
			break;
		}
		t = n;
	}
	va_end(ap);
}

static void
test_next(void)
{
	const struct tz *u;
	struct cron c;
	int64_t n;

	/* The next five, each after the one before. */
	runs("0 9 * * mon-fri", "UTC", utc(2025, 1, 3, 10, 0),
	    "2025-01-06T09:00Z", "2025-01-07T09:00Z", "2025-01-08T09:00Z",
	    "2025-01-09T09:00Z", "2025-01-10T09:00Z", NULL);
	runs("*/20 * * * *", "UTC", utc(2025, 1, 1, 23, 30),
	    "2025-01-01T23:40Z", "2025-01-02T00:00Z", "2025-01-02T00:20Z",
	    "2025-01-02T00:40Z", "2025-01-02T01:00Z", NULL);
	/* Strictly after: a run at the very second is the one after. */
	runs("0 * * * *", "UTC", utc(2025, 1, 1, 5, 0), "2025-01-01T06:00Z",
	    NULL);
	runs("0 * * * *", "UTC", utc(2025, 1, 1, 5, 0) - 1, "2025-01-01T05:00Z",
	    NULL);
	runs("@yearly", "UTC", utc(2025, 6, 1, 0, 0), "2026-01-01T00:00Z",
	    "2027-01-01T00:00Z", NULL);
	runs("0 0 31 * *", "UTC", utc(2025, 1, 31, 0, 0), "2025-03-31T00:00Z",
	    "2025-05-31T00:00Z", "2025-07-31T00:00Z", "2025-08-31T00:00Z",
	    "2025-10-31T00:00Z", NULL);
	runs("0 0 29 feb *", "UTC", utc(2025, 1, 1, 0, 0), "2028-02-29T00:00Z",
	    "2032-02-29T00:00Z", NULL);
	/* Vixie: both days restricted, either runs (2025-01-01 is a
	 * Wednesday); one of them '*'-led, both must. */
	runs("0 0 1,15 * fri", "UTC", utc(2025, 1, 1, 0, 0),
	    "2025-01-03T00:00Z", "2025-01-10T00:00Z", "2025-01-15T00:00Z",
	    "2025-01-17T00:00Z", "2025-01-24T00:00Z", NULL);
	runs("0 0 */2 * fri", "UTC", utc(2025, 1, 1, 0, 0), "2025-01-03T00:00Z",
	    "2025-01-17T00:00Z", "2025-01-31T00:00Z", "2025-02-07T00:00Z",
	    NULL);
	runs("0 0 13 * *", "UTC", utc(2025, 1, 1, 0, 0), "2025-01-13T00:00Z",
	    NULL);
	/* Never. */
	u = tz_get("UTC", why, sizeof why);
	AN(u);
	CHECK(cron_parse("0 0 30 2 *", &c, why, sizeof why) == 0);
	CHECK(cron_next(&c, u, utc(2025, 1, 1, 0, 0), &n) == -1);
	CHECK(cron_parse("0 0 31 apr,jun,sep,nov *", &c, why, sizeof why) == 0);
	CHECK(cron_next(&c, u, utc(2025, 1, 1, 0, 0), &n) == -1);
}

static void
test_dst(void)
{
	/* Berlin, forward on 2025-03-30: 02:30 never comes, and runs once
	 * at 03:00 CEST (01:00 UTC), the gap's end. */
	runs("30 2 * * *", "Europe/Berlin", utc(2025, 3, 28, 12, 0),
	    "2025-03-29T01:30Z", "2025-03-30T01:00Z", "2025-03-31T00:30Z",
	    "2025-04-01T00:30Z", "2025-04-02T00:30Z", NULL);
	/* Every half hour: 02:00 and 02:30 are one run with 03:00. */
	runs("*/30 * * * *", "Europe/Berlin", utc(2025, 3, 30, 0, 0),
	    "2025-03-30T00:30Z", "2025-03-30T01:00Z", "2025-03-30T01:30Z",
	    "2025-03-30T02:00Z", NULL);
	/* Back on 2025-10-26: 02:30 comes twice, runs at the first. */
	runs("30 2 * * *", "Europe/Berlin", utc(2025, 10, 25, 12, 0),
	    "2025-10-26T00:30Z", "2025-10-27T01:30Z", "2025-10-28T01:30Z",
	    NULL);
	runs("*/30 * * * *", "Europe/Berlin", utc(2025, 10, 25, 23, 45),
	    "2025-10-26T00:00Z", "2025-10-26T00:30Z", "2025-10-26T02:00Z",
	    "2025-10-26T02:30Z", NULL);
	/* Asked during the second 02:10: the next is 03:00 CET. */
	runs("*/30 * * * *", "Europe/Berlin", utc(2025, 10, 26, 1, 10),
	    "2025-10-26T02:00Z", NULL);
	/* New York, forward on 2025-03-09 at 02:00 EST (07:00 UTC)... */
	runs("30 2 * * *", "America/New_York", utc(2025, 3, 8, 12, 0),
	    "2025-03-09T07:00Z", "2025-03-10T06:30Z", "2025-03-11T06:30Z",
	    "2025-03-12T06:30Z", "2025-03-13T06:30Z", NULL);
	/* ...and back on 2025-11-02: 01:30 EDT, not 01:30 EST. */
	runs("30 1 * * *", "America/New_York", utc(2025, 11, 1, 12, 0),
	    "2025-11-02T05:30Z", "2025-11-03T06:30Z", "2025-11-04T06:30Z",
	    NULL);
	runs("0 * * * *", "America/New_York", utc(2025, 11, 2, 4, 30),
	    "2025-11-02T05:00Z", "2025-11-02T07:00Z", "2025-11-02T08:00Z",
	    NULL);
	/* A time that is not near a change keeps its wall time. */
	runs("15 8 * * mon", "America/New_York", utc(2025, 3, 1, 0, 0),
	    "2025-03-03T13:15Z", "2025-03-10T12:15Z", NULL);
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
	CHECK(!ok("@reboot"));
	CHECK(strstr(why, "@reboot") != NULL);
	CHECK(!ok("@fortnightly"));
	CHECK(strstr(why, "not a macro") != NULL);
	CHECK(!ok("@daily 5"));
	CHECK(!ok("* * * january *"));
	CHECK(strstr(why, "month: 'january' is not a name") != NULL);
	CHECK(!ok("* * * * monday"));
	CHECK(strstr(why, "day of the week") != NULL);
	CHECK(!ok("* * * mon *"));
	CHECK(strstr(why, "jan-dec") != NULL);
	CHECK(!ok("* * * * jan"));
	CHECK(strstr(why, "sun-sat") != NULL);
	CHECK(!ok("* * mon * *"));
	CHECK(strstr(why, "day of the month: 'mon' is not a number") != NULL);
	CHECK(!ok("* * * * fri-mon"));
	CHECK(strstr(why, "down to") != NULL);
	CHECK(ok("* * * jan/2 *"));
	CHECK(!ok("* * * */feb *"));
	CHECK(!ok("* * * * *\n"));
	memset(big, ' ', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "* * * * *", 9);
	CHECK(!ok(big));
	CHECK(strstr(why, "bytes") != NULL);
}

/*
 * Fuzzing, as a loop of the test: expressions of cron's own characters
 * at random, and mutations of good ones.  Each is refused with a
 * reason, or parses to sets within each field's range whose next run,
 * if any, is a later minute that matches.
 */
static void
test_fuzz(void)
{
	static const char alpha[] = "0123456789*/-, \tjanmofriSUNDECW@dhly";
	static const char *const good[] = { "*/15 2,14 1-10/3 12 7",
		"0 0 * jan-dec/3 sun-sat/2", "@weekly", "59 23 31 12 fri" };
	const struct tz *z;
	char e[40];
	struct cron c;
	int64_t n, after;
	unsigned i, k, len;
	struct tz_tm tm;

	z = tz_get("Europe/Berlin", why, sizeof why);
	AN(z);
	srandom(7);
	after = tz_join(2025, 3, 29, 22, 0, 0);
	for (i = 0; i < 200000; i++) {
		if (i % 2) {
			len = (unsigned)random() % (sizeof e - 1);
			for (k = 0; k < len; k++)
				e[k] = alpha[(unsigned)random() %
				    (sizeof alpha - 1)];
			e[len] = '\0';
		} else {
			snprintf(e, sizeof e, "%s", good[i / 2 % 4]);
			len = (unsigned)strlen(e);
			e[(unsigned)random() % len] =
			    alpha[(unsigned)random() % (sizeof alpha - 1)];
		}
		why[0] = '\0';
		if (cron_parse(e, &c, why, sizeof why) != 0) {
			if (!CHECK(why[0] != '\0'))
				break;
			continue;
		}
		if (!CHECK(c.minute >> 60 == 0 && c.hour >> 24 == 0 &&
		        (c.mday & 1) == 0 && (c.month & 0xe001) == 0 &&
		        c.wday >> 7 == 0))
			break;
		if (i % 16 != 0 || cron_next(&c, z, after, &n) != 0)
			continue;
		tz_split(tz_wall(z, n), &tm);
		if (!CHECK(n > after && n % 60 == 0) ||
		    !CHECK((c.month >> tm.mon) & 1))
			break;
	}
}

int
main(void)
{
	test_sets();
	test_names_macros();
	test_refused();
	test_next();
	test_dst();
	test_fuzz();
	return (unit_done());
}
