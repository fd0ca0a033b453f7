/*
 * Ban expressions, as vmod_stoke logs them when Varnish takes a ban
 * (index/ban_expr.c).  The input's first string is the expression; the
 * rest, when there is any, the object it is tried on: its URL, then
 * "name: value" headers, one a string, answered for req.http.* and
 * obj.http.* alike.
 */

#include "config.h"

#include <strings.h>

#include "vdef.h"
#include "vas.h"

#include "index/ban_expr.h"

#include "fuzz/fuzz.h"

#define NHDR 8

struct subject {
	char *hdr[NHDR];
	unsigned nhdr;
};

static const char *
hdr(const void *priv, const char *name)
{
	const struct subject *s = priv;
	size_t l = strlen(name);
	const char *v;
	unsigned i;

	for (i = 0; i < s->nhdr; i++) {
		if (strncasecmp(s->hdr[i], name, l) || s->hdr[i][l] != ':')
			continue;
		for (v = s->hdr[i] + l + 1; *v == ' ' || *v == '\t'; v++)
			continue;
		return (v);
	}
	return (NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ban_subject bs;
	struct subject s;
	struct ban_expr *be = NULL;
	char err[256], *text, *url;
	unsigned i;
	int r;

	text = fuzz_next(&data, &size);
	url = fuzz_next(&data, &size);
	memset(&s, 0, sizeof s);
	while (size > 0 && s.nhdr < NHDR)
		s.hdr[s.nhdr++] = fuzz_next(&data, &size);

	if (ban_expr_compile(text, &be, err, sizeof err) == 0) {
		AN(be);
		assert(ban_expr_nconds(be) > 0);
		(void)ban_expr_lurker_friendly(be);
		memset(&bs, 0, sizeof bs);
		bs.req_url = url;
		bs.req_hdr = hdr;
		bs.obj_hdr = hdr;
		bs.priv = &s;
		bs.obj_status = 200 + (unsigned)strlen(url) % 400;
		bs.t_origin = 1700000000.0;
		bs.ttl = 120;
		bs.grace = 10;
		bs.keep = 3600;
		r = ban_expr_match(be, &bs, 1700000060.0);
		assert(r == 0 || r == 1);
		ban_expr_free(&be);
		AZ(be);
	} else {
		AZ(be);
		assert(err[0] != '\0');
	}
	free(text);
	free(url);
	for (i = 0; i < s.nhdr; i++)
		free(s.hdr[i]);
	return (0);
}
