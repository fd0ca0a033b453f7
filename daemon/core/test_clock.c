/*
 * The clock of test_clock.h.
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdef.h"
#include "vas.h"

#include "log.h"
#include "test_clock.h"

int64_t
test_clock_now(const char *file)
{
	char buf[32], *end;
	long long v;
	size_t n;
	FILE *f;

	if (file == NULL)
		return ((int64_t)time(NULL));
	/* A small file of the test's, read on the loop: tests only. */
	f = fopen(file, "r");
	if (f == NULL) {
		log_warning("clock", "--test-clock %s: %s", file,
		    strerror(errno));
		return (-1);
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	(void)fclose(f);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (end == buf || errno != 0 || v < 0 ||
	    *(end + strspn(end, " \t\r\n")) != '\0') {
		log_warning("clock", "--test-clock %s: not a number of seconds",
		    file);
		return (-1);
	}
	return ((int64_t)v);
}
