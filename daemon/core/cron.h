/*
 * A cron expression of five fields: minute (0-59), hour (0-23), day of
 * the month (1-31), month (1-12 or jan-dec), day of the week (0-7 or
 * sun-sat, 0 and 7 both Sunday).  Each field is '*' or a list of
 * values and ranges "a-b", either of which may take a step ("*" "/15",
 * "1-30/2", "mon-fri/2"); names are case-insensitive.  Fields are
 * separated by spaces or tabs.  Or one of the macros: @yearly
 * (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
 *
 * The day is Vixie cron's: when both the day of the month and the day
 * of the week are restricted (neither field starts with '*'), a day
 * matching either runs ("0 0 1,15 * fri": the 1st, the 15th and every
 * Friday); otherwise a day must match both.
 *
 * Parsed into the sets of values each field matches; cron_next() says
 * when the next run is, in a time zone's wall-clock time (tzfile.h).
 */

#ifndef STOKE_CRON_H
#define STOKE_CRON_H

#include <stddef.h>
#include <stdint.h>

#define CRON_MAX 256 /* bytes an expression may take */

struct tz;

struct cron {
	uint64_t minute; /* bit i: minute i */
	uint32_t hour;
	uint32_t mday; /* bit i: day i, 1 to 31 */
	uint16_t month; /* bit i: month i, 1 to 12 */
	uint8_t wday; /* bit i: day i, 0 (Sunday) to 6 */
	/* The field started with '*': the other decides the day alone. */
	uint8_t mday_star, wday_star;
};

/* 0; or -1 with why (what is wrong, and in which field) written. */
int cron_parse(const char *expr, struct cron *, char *why, size_t len);

/*
 * The first instant after `after` (seconds since the epoch) whose wall
 * time in zone z matches, in *next.  A wall time the clocks skipped
 * (02:30 on a spring-forward night) runs once, at the first instant
 * after the gap; one that came twice (a fall-back night) runs at its
 * first coming only.  0; -1: no match within CRON_HORIZON_YEARS ("0 0
 * 30 2 *" never comes).
 */
#define CRON_HORIZON_YEARS 10
int cron_next(const struct cron *, const struct tz *z, int64_t after,
    int64_t *next);

#endif
