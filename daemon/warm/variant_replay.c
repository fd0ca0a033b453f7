/*
 * Both lists are fields separated by spaces, each split at its first
 * '=' (RECORD_FORMAT.md): a value never holds a space.  Whatever would
 * not come out as the very input a visitor sent (a control character
 * that could start another header, a ';' that would start another
 * cookie, a name that is not an HTTP token) fails the replay rather
 * than send something else: a wrong variant warmed is worse than none.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "vdef.h"
#include "vas.h"

#include "proto/record.h"
#include "variant_replay.h"

#define SRC_MAX 128 /* a cookie or header name */
#define VAL_MAX 1024

struct field {
	const char *name, *val;
	size_t nlen, vlen;
	int has_val;
};

/* The field at p, or NULL at the end; returns where the next starts. */
static const char *
field_next(const char *p, struct field *f)
{
	const char *e, *eq;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return (NULL);
	e = p + strcspn(p, " ");
	eq = memchr(p, '=', (size_t)(e - p));
	f->name = p;
	f->nlen = (size_t)((eq != NULL ? eq : e) - p);
	f->has_val = eq != NULL;
	f->val = eq != NULL ? eq + 1 : e;
	f->vlen = (size_t)(e - f->val);
	return (e);
}

static void
variant_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* RFC 9110's token: what a header or cookie name may be. */
static int
is_token(const char *s, size_t l)
{
	size_t i;

	if (l == 0)
		return (0);
	for (i = 0; i < l; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127 ||
		    strchr("\"(),/:;<=>?@[\\]{}", s[i]) != NULL)
			return (0);
	return (1);
}

/* The value decoded into val; -1 when it could not be sent as it was. */
static int
value(const struct field *f, int cookie, char *val, char *err, size_t errlen)
{
	ssize_t l, i;

	l = rec_decode(val, VAL_MAX - 1, f->val, f->vlen);
	if (l < 0) {
		variant_fail(err, errlen,
		    "%.*s: badly encoded or too long value", (int)f->nlen,
		    f->name);
		return (-1);
	}
	val[l] = '\0';
	for (i = 0; i < l; i++)
		if ((unsigned char)val[i] < ' ' || val[i] == 127 ||
		    (cookie && val[i] == ';')) {
			variant_fail(err, errlen,
			    "%.*s: a value that cannot be sent", (int)f->nlen,
			    f->name);
			return (-1);
		}
	return (0);
}

/* "cookie:NAME[:key]" or "header:NAME[:key]": 0, or -1. */
static int
source(const struct field *d, int *cookie, char *src)
{
	const char *v = d->val, *e = d->val + d->vlen, *c;
	size_t l;

	if (d->vlen > 7 && !strncmp(v, "cookie:", 7))
		*cookie = 1;
	else if (d->vlen > 7 && !strncmp(v, "header:", 7))
		*cookie = 0;
	else
		return (-1);
	v += 7;
	c = memchr(v, ':', (size_t)(e - v));
	l = (size_t)((c != NULL ? c : e) - v);
	if (!is_token(v, l) || l >= SRC_MAX)
		return (-1);
	if (c != NULL && ((size_t)(e - c) != 4 || strncmp(c, ":key", 4)))
		return (-1);
	memcpy(src, v, l);
	src[l] = '\0';
	return (0);
}

/* Where dimension f comes from, by dims. */
static int
dim_source(const char *dims, const struct field *f, int *cookie, char *src,
    char *err, size_t errlen)
{
	struct field d;
	const char *p = dims;

	while (p != NULL && (p = field_next(p, &d)) != NULL) {
		if (d.nlen != f->nlen || memcmp(d.name, f->name, f->nlen))
			continue;
		if (d.has_val && source(&d, cookie, src) == 0)
			return (0);
		break;
	}
	variant_fail(err, errlen, "the source of dimension %.*s is not known",
	    (int)f->nlen, f->name);
	return (-1);
}

static int
variant_put(char (*hdr)[VARIANT_HDR_LEN], unsigned *n, unsigned max,
    const char *name, size_t nlen, const char *val, char *err, size_t errlen)
{
	int l;

	if (*n >= max) {
		variant_fail(err, errlen, "too many headers");
		return (-1);
	}
	l = snprintf(hdr[*n], VARIANT_HDR_LEN, "%.*s: %s", (int)nlen, name,
	    val);
	if (l < 0 || l >= VARIANT_HDR_LEN) {
		variant_fail(err, errlen, "%.*s: header too long", (int)nlen,
		    name);
		return (-1);
	}
	(*n)++;
	return (0);
}

/* cookies += "; src=val" */
static int
add_cookie(char *cookies, const char *src, const char *val, char *err,
    size_t errlen)
{
	size_t l = strlen(cookies);
	int r;

	r = snprintf(cookies + l, VARIANT_HDR_LEN - l, "%s%s=%s",
	    l > 0 ? "; " : "", src, val);
	if (r < 0 || (size_t)r >= VARIANT_HDR_LEN - l) {
		variant_fail(err, errlen, "cookies too long");
		return (-1);
	}
	return (0);
}

int
variant_replay(const char *variant, const char *dims,
    char (*hdr)[VARIANT_HDR_LEN], unsigned first, unsigned max, char *err,
    size_t errlen)
{
	char cookies[VARIANT_HDR_LEN] = "", src[SRC_MAX], val[VAL_MAX];
	const char *p = variant;
	struct field f;
	unsigned n = first;
	int cookie;

	AN(variant);
	AN(hdr);
	AN(err);
	while ((p = field_next(p, &f)) != NULL) {
		if (f.nlen > 5 && !strncmp(f.name, "vary.", 5)) {
			/* An absent Vary header stays absent. */
			if (!f.has_val)
				continue;
			if (!is_token(f.name + 5, f.nlen - 5)) {
				variant_fail(err, errlen,
				    "%.*s: not a header name", (int)f.nlen,
				    f.name);
				return (-1);
			}
			if (value(&f, 0, val, err, errlen) != 0 ||
			    variant_put(hdr, &n, max, f.name + 5, f.nlen - 5,
			        val, err, errlen) != 0)
				return (-1);
			continue;
		}
		if (!f.has_val) {
			variant_fail(err, errlen, "%.*s: no value", (int)f.nlen,
			    f.name);
			return (-1);
		}
		if (dim_source(dims, &f, &cookie, src, err, errlen) != 0 ||
		    value(&f, cookie, val, err, errlen) != 0)
			return (-1);
		if (cookie && add_cookie(cookies, src, val, err, errlen) != 0)
			return (-1);
		if (!cookie &&
		    variant_put(hdr, &n, max, src, strlen(src), val, err,
		        errlen) != 0)
			return (-1);
	}
	if (cookies[0] != '\0' &&
	    variant_put(hdr, &n, max, "Cookie", 6, cookies, err, errlen) != 0)
		return (-1);
	return ((int)n);
}

int
variant_dims_check(const char *dims, char *err, size_t errlen)
{
	char src[SRC_MAX];
	const char *p = dims;
	struct field d;
	int cookie;

	AN(dims);
	AN(err);
	while ((p = field_next(p, &d)) != NULL)
		if (d.nlen == 0 || !d.has_val ||
		    source(&d, &cookie, src) != 0) {
			variant_fail(err, errlen,
			    "'%.*s' is not name=cookie:NAME or "
			    "name=header:NAME",
			    (int)(d.val + d.vlen - d.name), d.name);
			return (-1);
		}
	return (0);
}

int
variant_check(const char *variant, char *err, size_t errlen)
{
	char val[VAL_MAX];
	const char *p = variant;
	struct field f;
	int cookie;

	AN(variant);
	AN(err);
	while ((p = field_next(p, &f)) != NULL) {
		if (f.nlen > 5 && !strncmp(f.name, "vary.", 5)) {
			if (!is_token(f.name + 5, f.nlen - 5)) {
				variant_fail(err, errlen,
				    "%.*s: not a header name", (int)f.nlen,
				    f.name);
				return (-1);
			}
		} else if (f.nlen == 0 || !f.has_val) {
			variant_fail(err, errlen, "'%.*s' is not name=value",
			    (int)(f.val + f.vlen - f.name), f.name);
			return (-1);
		}
		/* Cookie or header is known only from the dims: the
		 * stricter for a dimension. */
		cookie = strncmp(f.name, "vary.", 5) != 0;
		if (f.has_val && value(&f, cookie, val, err, errlen) != 0)
			return (-1);
	}
	return (0);
}
