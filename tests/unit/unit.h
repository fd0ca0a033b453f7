/*
 * A very small unit test helper: checks that report file:line and the
 * values involved, a count of checks and failures, and unit_done() to
 * turn the count into an exit status.  Include it in one file only.
 */

#ifndef STOKE_UNIT_H
#define STOKE_UNIT_H

#include <stdio.h>
#include <string.h>

static unsigned unit_nchecks;
static unsigned unit_nfailed;

static inline int
unit_check(int ok, const char *file, int line, const char *what)
{
	unit_nchecks++;
	if (ok)
		return (1);
	unit_nfailed++;
	fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
	return (0);
}

static inline int
unit_check_str(const char *a, const char *b, const char *file, int line,
    const char *sa, const char *sb)
{
	int ok;

	if (a == NULL || b == NULL)
		ok = (a == b);
	else
		ok = (strcmp(a, b) == 0);
	unit_nchecks++;
	if (ok)
		return (1);
	unit_nfailed++;
	fprintf(stderr,
	    "%s:%d: FAILED: %s == %s\n\tgot:      %s%s%s\n"
	    "\texpected: %s%s%s\n",
	    file, line, sa, sb, a == NULL ? "" : "\"", a == NULL ? "(null)" : a,
	    a == NULL ? "" : "\"", b == NULL ? "" : "\"",
	    b == NULL ? "(null)" : b, b == NULL ? "" : "\"");
	return (0);
}

static inline int
unit_check_int(long long a, long long b, const char *file, int line,
    const char *sa, const char *sb)
{
	unit_nchecks++;
	if (a == b)
		return (1);
	unit_nfailed++;
	fprintf(stderr,
	    "%s:%d: FAILED: %s == %s\n\tgot:      %lld\n"
	    "\texpected: %lld\n",
	    file, line, sa, sb, a, b);
	return (0);
}

/* Each evaluates to 1 when the check passed, 0 when it failed. */
#define CHECK(cond) unit_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_STR_EQ(a, b) unit_check_str((a), (b), __FILE__, __LINE__, #a, #b)
#define CHECK_INT_EQ(a, b)                                                     \
	unit_check_int((long long)(a), (long long)(b), __FILE__, __LINE__, #a, \
	    #b)

static inline int
unit_done(void)
{
	printf("%u checks, %u failed\n", unit_nchecks, unit_nfailed);
	return (unit_nfailed == 0 ? 0 : 1);
}

#endif
