/*
 * Small string helpers every stage needs.  They do not fail: running out
 * of memory is not something stoked carries on from (AN, as Varnish).
 */

#ifndef STOKE_STR_H
#define STOKE_STR_H

#include <stddef.h>

/* A copy of s, "" for NULL. */
char *str_dup(const char *s);
/* A new string, as printf would write it ("http://%s%s", host, path). */
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* a then b into dst, as snprintf("%s%s") would for a fraction of its
 * cost: 0, or -1 when they do not fit (dst is then unspecified). */
int str_join(char *dst, size_t dstlen, const char *a, const char *b);

/* The length of the valid UTF-8 sequence at p (of a string ending in
 * '\0'), 0 if there is none. */
size_t str_utf8_len(const unsigned char *p);
/*
 * s as the HTML standard's urlencoded serializer writes a form's value
 * (letters, digits and "*-._" as they are, a space as '+', every other
 * byte %XX), into out: 0, or -1 when it does not fit.
 */
int str_form_encode(const char *s, char *out, size_t outlen);

#endif
