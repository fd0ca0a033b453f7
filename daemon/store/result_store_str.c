/*
 * result_store: strings made fit for PostgreSQL, and the URLs of jobs.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "core/str.h"
#include "result_store_priv.h"

/*--------------------------------------------------------------------
 * Strings
 */

/* Room for s as rs_clean() writes it, its '\0' included. */
size_t
rs_clean_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 1, l;

	for (; *p != '\0'; p += l) {
		l = str_utf8_len(p);
		if (l == 0) {
			n += 3;
			l = 1;
		} else {
			n += l;
		}
	}
	return (n);
}

/* s with bytes that are not UTF-8 written %XX, as PostgreSQL takes it. */
char *
rs_clean(char *dst, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	char *d = dst;
	size_t l;

	for (; *p != '\0'; p += l) {
		l = str_utf8_len(p);
		if (l == 0) {
			*d++ = '%';
			*d++ = hex[*p >> 4];
			*d++ = hex[*p & 15];
			l = 1;
		} else {
			memcpy(d, p, l);
			d += l;
		}
	}
	*d = '\0';
	return (dst);
}

char *
rs_clean_dup(const char *s)
{
	char *d;

	if (s == NULL)
		return (NULL);
	d = malloc(rs_clean_len(s));
	AN(d);
	return (rs_clean(d, s));
}

/* "http://host/", the host in lower case. */
char *
rs_base_of(const char *host)
{
	char *b, *p;

	b = str_printf("http://%s/", host);
	for (p = b + 7; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	p = rs_clean_dup(b);
	free(b);
	return (p);
}

/* The host (and port) of an http(s) URL. */
char *
rs_host_of(const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;
	char *d;

	h = h != NULL ? h + 3 : url;
	n = strcspn(h, "/?#");
	d = malloc(n + 1);
	AN(d);
	memcpy(d, h, n);
	d[n] = '\0';
	return (d);
}
