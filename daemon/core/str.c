/*
 * Small string helpers every stage needs.
 */

#include "config.h"

#include <ctype.h>
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

int
str_form_encode(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *t;
	size_t n = 0;

	AN(s);
	AN(out);
	for (t = (const unsigned char *)s; *t != '\0'; t++) {
		if (n + 4 > outlen)
			return (-1);
		if (isalnum(*t) || strchr("*-._", *t) != NULL)
			out[n++] = (char)*t;
		else if (*t == ' ')
			out[n++] = '+';
		else {
			out[n++] = '%';
			out[n++] = hex[*t >> 4];
			out[n++] = hex[*t & 0xf];
		}
	}
	if (n >= outlen)
		return (-1);
	out[n] = '\0';
	return (0);
}

int
str_join(char *dst, size_t dstlen, const char *a, const char *b)
{
	size_t la, lb;

	AN(dst);
	AN(a);
	AN(b);
	la = strlen(a);
	lb = strlen(b);
	if (la + lb >= dstlen)
		return (-1);
	memcpy(dst, a, la);
	memcpy(dst + la, b, lb + 1);
	return (0);
}

size_t
str_utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return ((p[1] & 0xc0) == 0x80 ? 2 : 0);
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0))
			return (0);
		return (3);
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80 || (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			return (0);
		return (4);
	}
	return (0);
}
