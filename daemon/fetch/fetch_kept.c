/*
 * A small fixed list, looked up per header line: a response has a few
 * dozen lines at most, and this runs in curl's header callback, on the
 * loop.  Values are copied as they come, joined when a name repeats,
 * and cut at the bound once, so that a server sending megabytes of
 * headers costs no more than one that sends a few.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "vdef.h"
#include "vas.h"

#include "fetch_kept.h"

/* What explains a cache status, and what the answer is.  More names
 * than FETCH_KEPT_MAX: a response rarely has them all. */
static const struct fk_name {
	const char *name;
	size_t len;
} fk_names[] = {
#define FK(n)                                                                  \
	{                                                                      \
		n, sizeof n - 1                                                \
	}
	FK("Cache-Control"),
	FK("Age"),
	FK("Expires"),
	FK("Vary"),
	FK("Set-Cookie"),
	FK("X-Varnish"),
	FK("X-Cache"),
	FK("X-Cache-Hits"),
	FK("Via"),
	FK("Content-Type"),
	FK("Content-Length"),
	FK("ETag"),
	FK("Last-Modified"),
	FK("Surrogate-Control"),
	FK("xkey"),
	FK("X-Cache-Tags"),
	FK("Server"),
#undef FK
};
#define FK_NNAMES (sizeof fk_names / sizeof fk_names[0])

#define FK_CUT "..."

void
fetch_kept_clear(struct fetch_kept *k)
{
	AN(k);
	k->n = 0;
}

/* The list's name of a line, and where its value starts; NULL: not
 * one we keep. */
static const char *
fk_name(const char *line, size_t len, size_t *vstart)
{
	const char *colon;
	size_t nlen, u;

	colon = memchr(line, ':', len);
	if (colon == NULL)
		return (NULL);
	nlen = (size_t)(colon - line);
	/* Per line of every answer: the length first, strings after. */
	for (u = 0; u < FK_NNAMES; u++) {
		if (fk_names[u].len == nlen &&
		    !strncasecmp(line, fk_names[u].name, nlen)) {
			*vstart = nlen + 1;
			return (fk_names[u].name);
		}
	}
	return (NULL);
}

static struct fetch_kept_hdr *
fk_slot(struct fetch_kept *k, const char *name)
{
	struct fetch_kept_hdr *h;
	unsigned u;

	for (u = 0; u < k->n; u++)
		if (k->h[u].name == name)
			return (&k->h[u]);
	if (k->n == FETCH_KEPT_MAX)
		return (NULL);
	h = &k->h[k->n++];
	h->name = name;
	h->len = 0;
	h->full = 0;
	h->value[0] = '\0';
	return (h);
}

/* Bytes added to h's value as far as they fit; past the bound, cut
 * with the mark that says so, and full. */
static void
fk_put(struct fetch_kept_hdr *h, const char *v, size_t len)
{
	const size_t mark = strlen(FK_CUT);
	size_t u;
	char c;

	if (h->full)
		return;
	if (len > FETCH_KEPT_VALUE_MAX - h->len) {
		h->full = 1;
		if (h->len > FETCH_KEPT_VALUE_MAX - mark)
			h->len = FETCH_KEPT_VALUE_MAX - mark;
		len = FETCH_KEPT_VALUE_MAX - mark - h->len;
	}
	for (u = 0; u < len; u++) {
		c = v[u];
		h->value[h->len++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	if (h->full) {
		memcpy(h->value + h->len, FK_CUT, mark);
		h->len += mark;
	}
	assert(h->len <= FETCH_KEPT_VALUE_MAX);
	h->value[h->len] = '\0';
}

size_t
fetch_kept_cookie_name(const char *v, size_t len)
{
	size_t n;

	AN(v);
	for (n = 0; n < len && strchr("=; \t\r\n", v[n]) == NULL; n++)
		continue;
	return (n);
}

void
fetch_kept_line(struct fetch_kept *k, const char *line, size_t len)
{
	struct fetch_kept_hdr *h;
	const char *name, *v;
	size_t start;

	AN(k);
	AN(line);
	name = fk_name(line, len, &start);
	if (name == NULL)
		return;
	v = line + start;
	len -= start;
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 &&
	    (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ' ||
	        v[len - 1] == '\t'))
		len--;
	if (!strcmp(name, "Set-Cookie"))
		len = fetch_kept_cookie_name(v, len);
	if (len == 0)
		return;
	h = fk_slot(k, name);
	if (h == NULL)
		return;
	if (h->len > 0)
		fk_put(h, ", ", 2);
	fk_put(h, v, len);
}

char *
fetch_kept_json(const struct fetch_kept *k)
{
	json_t *o;
	char *s;
	unsigned u;

	AN(k);
	if (k->n == 0)
		return (NULL);
	o = json_object();
	AN(o);
	for (u = 0; u < k->n; u++)
		AZ(json_object_set_new(o, k->h[u].name,
		    json_stringn(k->h[u].value, k->h[u].len)));
	s = json_dumps(o, JSON_COMPACT);
	AN(s);
	json_decref(o);
	return (s);
}
