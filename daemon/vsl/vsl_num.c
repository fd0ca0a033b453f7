/*
 * Reading the numbers of log records without sscanf(): see vsl_num.h.
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "vdef.h"
#include "vas.h"

#include "vsl_num.h"

/* Up to 10^19 fits in 64 bits; beyond, digits are strtod()'s job. */
#define MAX_DIGITS 18

static const double exp10_of[MAX_DIGITS + 1] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
	1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
	1e18 };

static const char *
blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return (p);
}

static int
is_digit(char c)
{
	return (c >= '0' && c <= '9');
}

const char *
vsl_num_u64(const char *p, uint64_t *v)
{
	uint64_t n = 0, d;
	const char *b;

	AN(p);
	AN(v);
	p = blanks(p);
	/* Up to 19 digits cannot overflow: checked past those only. */
	for (b = p; is_digit(*p) && p - b < 19; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	for (; is_digit(*p); p++) {
		d = (uint64_t)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return (NULL);
		n = n * 10 + d;
	}
	if (p == b)
		return (NULL);
	*v = n;
	return (p);
}

const char *
vsl_num_dbl(const char *p, double *v)
{
	uint64_t i = 0, f = 0;
	const char *b, *e;
	unsigned ni = 0, nf = 0, neg = 0;
	char *end;
	double d;

	AN(p);
	AN(v);
	p = blanks(p);
	b = p;
	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	for (; is_digit(*p); p++, ni++)
		i = i * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; is_digit(*p); p++, nf++)
			f = f * 10 + (uint64_t)(*p - '0');
	e = p;
	/* Exponents, inf, nan, long digit strings: the slow way. */
	if (ni + nf == 0 || ni > MAX_DIGITS || nf > MAX_DIGITS || *e == 'e' ||
	    *e == 'E' || (*e != '\0' && *e != ' ' && *e != '\t')) {
		d = strtod(b, &end);
		if (end == b)
			return (NULL);
		*v = d;
		return (end);
	}
	*v = (double)i + (double)f / exp10_of[nf];
	if (neg)
		*v = -*v;
	return (e);
}

const char *
vsl_num_skip(const char *p)
{
	AN(p);
	p = blanks(p);
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	return (blanks(p));
}
