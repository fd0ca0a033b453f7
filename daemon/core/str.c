/*
 * Small string helpers every stage needs.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "str.h"

char *
str_dup(const char *s)
{
	char *d;

	d = strdup(s != NULL ? s : "");
	AN(d);
	return (d);
}

char *
str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, m;

	AN(fmt);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert(n >= 0);
	s = malloc((size_t)n + 1);
	AN(s);
	va_start(ap, fmt);
	m = vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	assert(m == n);
	return (s);
}
