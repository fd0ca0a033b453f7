/*
 * Cron expressions (core/cron.c), a website's schedule as its tenant
 * writes it, and the next runs of the ones that parse, in UTC and in
 * zones with DST and odd offsets.  The input's first string is the
 * expression; its next eight bytes, when there, the instant to start
 * from.
 */

#include "config.h"

#include <stdio.h>

#include "vdef.h"
#include "vas.h"

#include "core/cron.h"
#include "core/tzfile.h"

#include "fuzz/fuzz.h"

static const char *const zones[] = { "UTC", "Europe/Berlin", "America/New_York",
	"Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tz *z;
	struct tz_tm tm;
	int64_t after = 1700000000, next, prev;
	struct cron c;
	char why[256], *expr;
	unsigned i, k;
	uint64_t u;

	expr = fuzz_next(&data, &size);
	if (size >= sizeof u) {
		memcpy(&u, data, sizeof u);
		/* Years 1900 to 2500: what a schedule may run in. */
		after = -2208988800LL + (int64_t)(u % 19000000000ULL);
	}
	if (cron_parse(expr, &c, why, sizeof why) != 0) {
		assert(why[0] != '\0');
		free(expr);
		return (0);
	}
	assert(c.minute != 0 && c.hour != 0 && c.month != 0);
	for (i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		z = tz_get(zones[i], why, sizeof why);
		if (z == NULL)
			continue;
		prev = after;
		for (k = 0; k < 3; k++) {
			if (cron_next(&c, z, prev, &next) != 0)
				break;
			assert(next > prev);
			/* It runs on a minute that matches. */
			tz_split(tz_wall(z, next), &tm);
			assert(c.month & (1U << tm.mon));
			prev = next;
		}
	}
	free(expr);
	return (0);
}
