/*
 * Unit tests for core/tzfile.c: the calendar, zone names, offsets and
 * the instants of wall times on both DST nights in Europe/Berlin,
 * America/New_York and Australia/Sydney, the footer's rule against the
 * transitions it stands for, the C library's localtime_r() over two
 * centuries, and files cut short or damaged.
 *
 * This test alone sets TZ, for localtime_r(), in its one thread.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdef.h"
#include "vas.h"

#include "core/tzfile.h"
#include "unit.h"

static char why[256];

static int64_t
utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
	return (tz_join(y, mo, d, h, mi, 0));
}

static const char *
iso(int64_t t)
{
	static char buf[4][32];
	static unsigned n;
	struct tz_tm tm;
	char *b = buf[n++ % 4];

	tz_split(t, &tm);
	snprintf(b, sizeof buf[0], "%04jd-%02u-%02uT%02u:%02u:%02uZ",
	    (intmax_t)tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec);
	return (b);
}

static void
test_calendar(void)
{
	struct tz_tm tm;
	int64_t t;

	CHECK_INT_EQ(tz_join(1970, 1, 1, 0, 0, 0), 0);
	CHECK_INT_EQ(tz_join(2000, 3, 1, 0, 0, 0), 951868800);
	CHECK_STR_EQ(iso(-1), "1969-12-31T23:59:59Z");
	CHECK_STR_EQ(iso(4102444800), "2100-01-01T00:00:00Z");
	tz_split(utc(2024, 2, 29, 13, 7), &tm);
	CHECK_INT_EQ(tm.wday, 4);
	CHECK_INT_EQ(tm.hour, 13);
	CHECK_INT_EQ(tz_mdays(2024, 2), 29);
	CHECK_INT_EQ(tz_mdays(2100, 2), 28);
	CHECK_INT_EQ(tz_mdays(2000, 2), 29);
	/* Every day from 1600 to 2400 there and back. */
	for (t = utc(1600, 1, 1, 0, 0); t < utc(2400, 1, 1, 0, 0);
	     t += 86400 + 3671) {
		tz_split(t, &tm);
		if (!CHECK_INT_EQ(tz_join(tm.year, tm.mon, tm.mday, tm.hour,
		                      tm.min, tm.sec),
		        t))
			break;
	}
}

static void
test_names(void)
{
	CHECK(tz_name_check("Europe/Berlin", why, sizeof why) == 0);
	CHECK(tz_name_check("America/Argentina/Buenos_Aires", why,
	          sizeof why) == 0);
	CHECK(tz_name_check("Etc/GMT-14", why, sizeof why) == 0);
	CHECK(tz_name_check("UTC", why, sizeof why) == 0);
	CHECK(tz_name_check("", why, sizeof why) != 0);
	CHECK(tz_name_check("../../etc/passwd", why, sizeof why) != 0);
	CHECK(tz_name_check("Europe/../../etc", why, sizeof why) != 0);
	CHECK(tz_name_check("/etc/passwd", why, sizeof why) != 0);
	CHECK(tz_name_check("Europe//Berlin", why, sizeof why) != 0);
	CHECK(tz_name_check("Europe/", why, sizeof why) != 0);
	CHECK(tz_name_check("zone.tab", why, sizeof why) != 0);
	CHECK(tz_name_check("Europe/Ber lin", why, sizeof why) != 0);
	CHECK(strstr(why, "' '") != NULL);
	CHECK(tz_name_check("Europe/Berlin\n", why, sizeof why) != 0);
	CHECK(strstr(why, "byte 0x0a") != NULL);
	/* Half a character quoted would make the API's answer not UTF-8. */
	CHECK(tz_name_check("Europe/Z\xc3\xbcrich", why, sizeof why) != 0);
	CHECK(strstr(why, "byte 0xc3") != NULL);
	CHECK(tz_load(NULL, "Europe/Nowhere", why, sizeof why) == NULL);
	CHECK(strstr(why, "no time zone") != NULL);
	CHECK(tz_load(NULL, "Europe", why, sizeof why) == NULL);
	CHECK(tz_get("Mars/Olympus_Mons", why, sizeof why) == NULL);
	CHECK(tz_get("UTC", why, sizeof why) != NULL);
	CHECK(tz_get("Europe/Berlin", why, sizeof why) ==
	    tz_get("Europe/Berlin", why, sizeof why));
}

/* Wall time w of zone z is the instant expected. */
#define CHECK_INSTANT(z, w, expected)                                          \
	CHECK_STR_EQ(iso(tz_instant((z), (w))), (expected))

static void
test_dst(void)
{
	const struct tz *b, *ny, *syd, *u;

	b = tz_get("Europe/Berlin", why, sizeof why);
	ny = tz_get("America/New_York", why, sizeof why);
	syd = tz_get("Australia/Sydney", why, sizeof why);
	u = tz_get("UTC", why, sizeof why);
	AN(b);
	AN(ny);
	AN(syd);
	AN(u);
	CHECK_STR_EQ(tz_name(b), "Europe/Berlin");
	CHECK_INT_EQ(tz_offset(u, utc(2025, 6, 1, 0, 0)), 0);
	CHECK_INSTANT(u, utc(2025, 3, 30, 2, 30), "2025-03-30T02:30:00Z");

	/* Berlin forward: 02:00 CET is 03:00 CEST, at 01:00 UTC. */
	CHECK_INT_EQ(tz_offset(b, utc(2025, 3, 30, 0, 59)), 3600);
	CHECK_INT_EQ(tz_offset(b, utc(2025, 3, 30, 1, 0)), 7200);
	CHECK_INSTANT(b, utc(2025, 3, 30, 1, 59), "2025-03-30T00:59:00Z");
	CHECK_INSTANT(b, utc(2025, 3, 30, 2, 0), "2025-03-30T01:00:00Z");
	CHECK_INSTANT(b, utc(2025, 3, 30, 2, 30), "2025-03-30T01:00:00Z");
	CHECK_INSTANT(b, utc(2025, 3, 30, 3, 0), "2025-03-30T01:00:00Z");
	CHECK_INSTANT(b, utc(2025, 3, 30, 3, 1), "2025-03-30T01:01:00Z");
	/* Berlin back: 03:00 CEST is 02:00 CET, at 01:00 UTC; 02:xx twice. */
	CHECK_INT_EQ(tz_offset(b, utc(2025, 10, 26, 0, 59)), 7200);
	CHECK_INT_EQ(tz_offset(b, utc(2025, 10, 26, 1, 0)), 3600);
	CHECK_INSTANT(b, utc(2025, 10, 26, 2, 30), "2025-10-26T00:30:00Z");
	CHECK_INSTANT(b, utc(2025, 10, 26, 3, 0), "2025-10-26T02:00:00Z");
	CHECK_INT_EQ(tz_wall(b, utc(2025, 10, 26, 1, 30)),
	    utc(2025, 10, 26, 2, 30));

	/* New York forward at 07:00 UTC, back at 06:00 UTC. */
	CHECK_INSTANT(ny, utc(2025, 3, 9, 2, 30), "2025-03-09T07:00:00Z");
	CHECK_INSTANT(ny, utc(2025, 3, 9, 1, 59), "2025-03-09T06:59:00Z");
	CHECK_INSTANT(ny, utc(2025, 11, 2, 1, 30), "2025-11-02T05:30:00Z");
	CHECK_INSTANT(ny, utc(2025, 11, 2, 2, 0), "2025-11-02T07:00:00Z");
	CHECK_INT_EQ(tz_offset(ny, utc(2025, 11, 2, 5, 59)), -4 * 3600);
	CHECK_INT_EQ(tz_offset(ny, utc(2025, 11, 2, 6, 0)), -5 * 3600);

	/* Sydney, whose summer is over the new year: back on April 6th
	 * (03:00 AEDT is 02:00 AEST), forward on October 5th. */
	CHECK_INT_EQ(tz_offset(syd, utc(2025, 1, 1, 0, 0)), 11 * 3600);
	CHECK_INT_EQ(tz_offset(syd, utc(2025, 7, 1, 0, 0)), 10 * 3600);
	CHECK_INSTANT(syd, utc(2025, 4, 6, 2, 30), "2025-04-05T15:30:00Z");
	CHECK_INSTANT(syd, utc(2025, 10, 5, 2, 30), "2025-10-04T16:00:00Z");
	/* Past the files' table (2037): the footer's rule. */
	CHECK_INT_EQ(tz_offset(b, utc(2090, 7, 1, 0, 0)), 7200);
	CHECK_INT_EQ(tz_offset(syd, utc(2090, 7, 1, 0, 0)), 10 * 3600);
	CHECK_INSTANT(b, utc(2090, 3, 26, 2, 30), "2090-03-26T01:00:00Z");
	CHECK_INSTANT(ny, utc(2090, 11, 5, 1, 30), "2090-11-05T05:30:00Z");
}

/* A version 2 tzfile of no transitions: the footer's rule alone. */
static size_t
footer_only(unsigned char *buf, size_t len, int32_t off, const char *rule)
{
	size_t n = 0;
	unsigned pass, i;

	for (pass = 0; pass < 2; pass++) {
		memcpy(buf + n, "TZif2", 5);
		memset(buf + n + 5, 0, 39);
		buf[n + 39] = 1; /* typecnt */
		buf[n + 43] = 4; /* charcnt */
		n += 44;
		for (i = 0; i < 4; i++)
			buf[n++] =
			    (unsigned char)((uint32_t)off >> (24 - 8 * i));
		buf[n++] = 0;
		buf[n++] = 0;
		memcpy(buf + n, "STD", 4);
		n += 4;
	}
	n += (size_t)snprintf((char *)buf + n, len - n, "\n%s\n", rule);
	assert(n < len);
	return (n);
}

/* The rule as it stands, against the transitions the files list. */
static void
test_rule(const char *name, const char *rule, int32_t std, int64_t from)
{
	unsigned char buf[256];
	const struct tz *real;
	struct tz *z;
	int64_t t;
	size_t n;

	n = footer_only(buf, sizeof buf, std, rule);
	z = tz_parse(name, buf, n, why, sizeof why);
	if (!CHECK(z != NULL))
		return;
	real = tz_get(name, why, sizeof why);
	AN(real);
	for (t = from; t < utc(2037, 1, 1, 0, 0); t += 1799)
		if (!CHECK_INT_EQ(tz_offset(z, t), tz_offset(real, t))) {
			fprintf(stderr, "\t%s at %s\n", name, iso(t));
			break;
		}
	for (t = from; t < utc(2037, 1, 1, 0, 0); t += 86400 * 3 + 1800)
		if (!CHECK_INT_EQ(tz_instant(z, t), tz_instant(real, t))) {
			fprintf(stderr, "\t%s wall %s\n", name, iso(t));
			break;
		}
	tz_free(&z);
}

/* Against the C library, which reads the same files. */
static void
test_libc(const char *name)
{
	const struct tz *z;
	struct tm tm;
	time_t tt;
	int64_t t, w;

	z = tz_get(name, why, sizeof why);
	if (!CHECK(z != NULL))
		return;
	AZ(setenv("TZ", name, 1));
	tzset();
	for (t = utc(1950, 1, 1, 0, 0); t < utc(2150, 1, 1, 0, 0);
	     t += 6 * 3600 + 7 * 60 + 13) {
		tt = (time_t)t;
		AN(localtime_r(&tt, &tm));
		if (!CHECK_INT_EQ(tz_offset(z, t), tm.tm_gmtoff)) {
			fprintf(stderr, "\t%s at %s\n", name, iso(t));
			break;
		}
		/* Back from the wall time: this instant or an earlier
		 * one of the same wall time. */
		w = tz_wall(z, t);
		if (!CHECK(tz_instant(z, w) <= t) ||
		    !CHECK_INT_EQ(tz_wall(z, tz_instant(z, w)), w)) {
			fprintf(stderr, "\t%s at %s\n", name, iso(t));
			break;
		}
	}
}

static void
test_damaged(void)
{
	unsigned char *buf, *bad;
	struct tz *z;
	size_t len, n;
	unsigned i;
	FILE *f;

	f = fopen(TZ_DIR "/America/New_York", "rb");
	AN(f);
	buf = malloc(65536);
	AN(buf);
	len = fread(buf, 1, 65536, f);
	AZ(fclose(f));
	z = tz_parse("America/New_York", buf, len, why, sizeof why);
	CHECK(z != NULL);
	if (z != NULL)
		tz_free(&z);
	for (n = 0; n < len; n++) {
		z = tz_parse("cut", buf, n, why, sizeof why);
		if (!CHECK(z == NULL)) {
			tz_free(&z);
			break;
		}
	}
	/* Bytes changed at random: refused, or a zone that answers. */
	bad = malloc(len);
	AN(bad);
	srandom(42);
	for (i = 0; i < 20000; i++) {
		memcpy(bad, buf, len);
		bad[(size_t)random() % len] = (unsigned char)random();
		bad[(size_t)random() % 100] = (unsigned char)random();
		z = tz_parse("bad", bad, len, why, sizeof why);
		if (z == NULL)
			continue;
		(void)tz_offset(z, utc(2025, 1, 1, 0, 0));
		(void)tz_instant(z, utc(2025, 3, 9, 2, 30));
		(void)tz_instant(z, utc(2090, 3, 9, 2, 30));
		tz_free(&z);
	}
	CHECK(tz_parse("x", "TZif", 4, why, sizeof why) == NULL);
	CHECK(tz_parse("x", "not a zone at all, not at all, no: text", 40, why,
	          sizeof why) == NULL);
	free(bad);
	free(buf);
}

int
main(void)
{
	test_calendar();
	test_names();
	test_dst();
	test_rule("Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3", 3600,
	    utc(1996, 1, 1, 0, 0));
	test_rule("America/New_York", "EST5EDT,M3.2.0,M11.1.0", -5 * 3600,
	    utc(2007, 1, 1, 0, 0));
	test_rule("Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3", 10 * 3600,
	    utc(2008, 1, 1, 0, 0));
	test_rule("Australia/Lord_Howe", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
	    10 * 3600 + 1800, utc(2008, 1, 1, 0, 0));
	test_libc("Europe/Berlin");
	test_libc("America/New_York");
	test_libc("Australia/Sydney");
	test_libc("Australia/Lord_Howe");
	test_libc("Asia/Kathmandu");
	test_libc("America/Santiago");
	test_libc("Pacific/Chatham");
	test_libc("Asia/Tokyo");
	test_damaged();
	return (unit_done());
}
