/*
 * Compiled zone files, TZif 1 to 4 (core/tzfile.c), and their footers'
 * POSIX TZ rules: a zone made from the input answers offsets, wall
 * times and instants for times around its transitions and far past
 * them.  Zone names are checked as a tenant gives them.
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"

#include "core/tzfile.h"

#include "fuzz/fuzz.h"

static const int64_t times[] = { -2208988800LL, 0, 1700000000, 1711846800,
	1729990800, 4102444800LL, 32503680000LL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256], iso[TZ_ISO_LEN], *name;
	struct tz *z;
	int64_t w, t;
	int32_t off;
	unsigned i;

	name = fuzz_str(data, size < TZ_NAME_MAX ? size : TZ_NAME_MAX);
	(void)tz_name_check(name, why, sizeof why);
	free(name);

	z = tz_parse("fuzz", data, size, why, sizeof why);
	if (z == NULL) {
		assert(why[0] != '\0');
		return (0);
	}
	for (i = 0; i < sizeof times / sizeof times[0]; i++) {
		off = tz_offset(z, times[i]);
		/* Offsets are within a day of UTC. */
		assert(off > -86400 * 2 && off < 86400 * 2);
		w = tz_wall(z, times[i]);
		t = tz_instant(z, w);
		(void)t;
		tz_iso(z, times[i], iso);
		assert(strlen(iso) < TZ_ISO_LEN);
	}
	tz_free(&z);
	AZ(z);
	return (0);
}
