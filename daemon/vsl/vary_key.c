/*
 * Building the Vary part of cache keys.  The fetch and the hit side must
 * produce the same bytes for the same object, so both go through
 * add_token() with names in the order the object's Vary gave them.
 */

#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"

#include "proto/record.h"
#include "vary_key.h"

#define PREFIX "vary."

struct out {
	char *buf;
	size_t len;
	size_t size;
	int err;
};

static void
vary_key_put(struct out *o, const char *s, size_t len)
{
	if (o->err || o->len + len >= o->size) {
		o->err = 1;
		return;
	}
	memcpy(o->buf + o->len, s, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

static const char *
find(const char *const *name, const char *const *val, unsigned n, const char *h,
    size_t hlen)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (strlen(name[i]) == hlen && !strncasecmp(name[i], h, hlen))
			return (val[i]);
	return (NULL);
}

static void
add_token(struct out *o, const char *h, size_t hlen, const char *const *name,
    const char *const *val, unsigned n)
{
	const char *v = find(name, val, n, h, hlen);
	char lower[64];
	size_t i, need;

	if (hlen >= sizeof lower) {
		o->err = 1;
		return;
	}
	for (i = 0; i < hlen; i++)
		lower[i] = (char)tolower((unsigned char)h[i]);
	if (o->len > 0)
		vary_key_put(o, " ", 1);
	vary_key_put(o, PREFIX, sizeof PREFIX - 1);
	vary_key_put(o, lower, hlen);
	if (v == NULL || o->err)
		return;
	vary_key_put(o, "=", 1);
	need = rec_encode(NULL, 0, v, strlen(v));
	if (o->err || o->len + need >= o->size) {
		o->err = 1;
		return;
	}
	(void)rec_encode(o->buf + o->len, o->size - o->len, v, strlen(v));
	o->len += need;
	o->buf[o->len] = '\0';
}

static int
skip_name(const char *h, size_t hlen)
{
	return (hlen == 15 && !strncasecmp(h, "Accept-Encoding", 15));
}

int
vary_key_build(char *dst, size_t dstlen, const char *vary,
    const char *const *name, const char *const *val, unsigned n)
{
	struct out o = { dst, 0, dstlen, 0 };
	const char *p, *q;
	unsigned names = 0;

	AN(dst);
	assert(dstlen > 0);
	dst[0] = '\0';
	if (vary == NULL)
		return (0);
	for (p = vary; *p != '\0'; p = q) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		for (q = p; *q != '\0' && *q != ' ' && *q != '\t' && *q != ',';
		     q++)
			continue;
		if (q == p || skip_name(p, (size_t)(q - p)))
			continue;
		if (++names > VARY_KEY_MAX_NAMES)
			return (-1);
		add_token(&o, p, (size_t)(q - p), name, val, n);
	}
	return (o.err ? -1 : (int)o.len);
}

const char *
vary_key_of(const char *variant)
{
	const char *p;

	if (variant == NULL)
		return ("");
	if (!strncmp(variant, PREFIX, sizeof PREFIX - 1))
		return (variant);
	p = strstr(variant, " " PREFIX);
	return (p != NULL ? p + 1 : "");
}

int
vary_key_like(char *dst, size_t dstlen, const char *variant,
    const char *const *name, const char *const *val, unsigned n)
{
	struct out o = { dst, 0, dstlen, 0 };
	const char *p, *q, *e;

	AN(dst);
	assert(dstlen > 0);
	dst[0] = '\0';
	for (p = vary_key_of(variant); *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (strncmp(p, PREFIX, sizeof PREFIX - 1) != 0)
			return (-1);
		p += sizeof PREFIX - 1;
		for (q = p; q < e && *q != '='; q++)
			continue;
		add_token(&o, p, (size_t)(q - p), name, val, n);
	}
	return (o.err ? -1 : (int)o.len);
}
