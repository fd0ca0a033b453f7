/*
 * A cron expression of five fields: minute (0-59), hour (0-23), day of
 * the month (1-31), month (1-12), day of the week (0-7, 0 and 7 both
 * Sunday).  Each field is '*' or a list of numbers and ranges "a-b",
 * either of which may take a step ("*" "/15", "1-30/2").  Fields are
 * separated by spaces or tabs.  Names (jan, mon) and macros (@daily)
 * are not taken: one spelling of each schedule is enough.
 *
 * Parsed into the sets of values each field matches, for the scheduler
 * to compute the next run from; the API uses it to refuse a schedule
 * that would never parse later.
 */

#ifndef STOKE_CRON_H
#define STOKE_CRON_H

#include <stddef.h>
#include <stdint.h>

#define CRON_MAX 256 /* bytes an expression may take */

struct cron {
	uint64_t minute; /* bit i: minute i */
	uint32_t hour;
	uint32_t mday; /* bit i: day i, 1 to 31 */
	uint16_t month; /* bit i: month i, 1 to 12 */
	uint8_t wday; /* bit i: day i, 0 (Sunday) to 6 */
};

/* 0; or -1 with why (what is wrong, and in which field) written. */
int cron_parse(const char *expr, struct cron *, char *why, size_t len);

#endif
