/*
 * Small string helpers every stage needs.  They do not fail: running out
 * of memory is not something stoked carries on from (AN, as Varnish).
 */

#ifndef STOKE_STR_H
#define STOKE_STR_H

/* A copy of s, "" for NULL. */
char *str_dup(const char *s);
/* A new string, as printf would write it ("http://%s%s", host, path). */
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
