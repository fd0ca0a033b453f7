/*
 * Popular paths and search terms (popular.h): two space-saving counters
 * whose keys are "HOUR<TAB>HOST<TAB>PATH" (or TERM), so that one bound
 * holds for every hour and Host together.  They count ten times what is
 * sent of them: a key sent is then very likely counted right (its error
 * at most a tenth of the mean count of those counted).
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/str.h"
#include "popular.h"
#include "topk.h"

#define POPULAR_HOST_MAX 255
/* A term's value read, at most, before it is cut. */
#define POPULAR_RAW_MAX (4 * POPULAR_TERM_MAX)
#define POPULAR_KEY_MAX (POPULAR_HOST_MAX + 3 * POPULAR_PATH_MAX + 64)

struct popular {
	unsigned magic;
#define POPULAR_MAGIC 0x9093a1a1
	struct topk *paths;
	struct topk *terms;
};

struct popular *
popular_new(void)
{
	struct popular *p;

	ALLOC_OBJ(p, POPULAR_MAGIC);
	AN(p);
	p->paths = topk_new(10 * POPULAR_PATHS);
	p->terms = topk_new(10 * POPULAR_TERMS);
	return (p);
}

void
popular_free(struct popular **pp)
{
	struct popular *p;

	TAKE_OBJ_NOTNULL(p, pp, POPULAR_MAGIC);
	topk_free(&p->paths);
	topk_free(&p->terms);
	FREE_OBJ(p);
}

/*--------------------------------------------------------------------
 * What is counted of a URL
 */

/* Printable ASCII but a space: what a Host or a path may hold here. */
static int
pop_printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return (0);
	return (1);
}

const char *
popular_search_of(const char *url, size_t *len)
{
	const char *q, *p, *e;

	AN(url);
	AN(len);
	q = strchr(url, '?');
	if (q == NULL || q - url < 7 || strncmp(q - 7, "/search", 7))
		return (NULL);
	for (p = q + 1; *p != '\0' && *p != '#'; p = e + (*e == '&')) {
		e = p + strcspn(p, "&#");
		if (!strncmp(p, "search=", 7)) {
			*len = (size_t)(e - p - 7);
			return (p + 7);
		}
	}
	return (NULL);
}

static int
pop_hex(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* A form's value decoded, as much of it as raw holds. */
static void
pop_decode(const char *v, size_t len, char *raw, size_t rawlen)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 1 < rawlen; i++, n++) {
		if (v[i] == '+')
			raw[n] = ' ';
		else if (v[i] == '%' && i + 2 < len && pop_hex(v[i + 1]) >= 0 &&
		    pop_hex(v[i + 2]) >= 0) {
			raw[n] =
			    (char)(pop_hex(v[i + 1]) * 16 + pop_hex(v[i + 2]));
			i += 2;
		} else
			raw[n] = v[i];
	}
	raw[n] = '\0';
}

/* Trimmed, spaces collapsed, lower case; -1 at a control character. */
static int
pop_squeeze(const char *raw, char *out)
{
	int space = 0;
	size_t n = 0;
	const char *s;

	for (s = raw; *s != '\0'; s++) {
		if (strchr(" \t\n\r\f\v", *s) != NULL) {
			space = n > 0;
			continue;
		}
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return (-1);
		if (space)
			out[n++] = ' ';
		space = 0;
		out[n++] = (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s;
	}
	out[n] = '\0';
	return (0);
}

int
popular_term(const char *value, size_t len, char *out, size_t outlen)
{
	char raw[POPULAR_RAW_MAX + 1], sq[POPULAR_RAW_MAX + 1];
	const unsigned char *p;
	size_t n = 0, l;

	AN(value);
	AN(out);
	pop_decode(value, len, raw, sizeof raw);
	if (pop_squeeze(raw, sq) != 0 || strchr(sq, '@') != NULL)
		return (-1);
	/* Whole characters only, and valid UTF-8 throughout. */
	for (p = (const unsigned char *)sq; *p != '\0'; p += l) {
		l = str_utf8_len(p);
		if (l == 0)
			return (-1);
		if (n + l > POPULAR_TERM_MAX)
			break;
		n += l;
	}
	while (n > 0 && sq[n - 1] == ' ')
		n--;
	if (n == 0 || n + 1 > outlen)
		return (-1);
	memcpy(out, sq, n);
	out[n] = '\0';
	return (0);
}

int
popular_path(const char *url, char *out, size_t outlen)
{
	char term[POPULAR_TERM_MAX + 1];
	const char *v;
	size_t len, vlen;
	int r;

	AN(url);
	AN(out);
	len = strcspn(url, "?#");
	if (url[0] != '/' || len > POPULAR_PATH_MAX ||
	    !pop_printable(url, len) || len + 1 > outlen)
		return (-1);
	memcpy(out, url, len);
	out[len] = '\0';
	v = popular_search_of(url, &vlen);
	if (v == NULL || popular_term(v, vlen, term, sizeof term) != 0)
		return (0);
	r = snprintf(out + len, outlen - len, "?search=");
	if (r < 0 || (size_t)r >= outlen - len ||
	    str_form_encode(term, out + len + r, outlen - len - (size_t)r) != 0)
		out[len] = '\0';
	return (0);
}

void
popular_count(struct popular *p, double t, const char *host, const char *url)
{
	char path[3 * POPULAR_PATH_MAX], key[POPULAR_KEY_MAX];
	char term[POPULAR_TERM_MAX + 1];
	const char *v;
	intmax_t hour;
	size_t vlen;

	CHECK_OBJ_NOTNULL(p, POPULAR_MAGIC);
	if (host == NULL || url == NULL || strlen(host) == 0 ||
	    strlen(host) > POPULAR_HOST_MAX ||
	    !pop_printable(host, strlen(host)) ||
	    popular_path(url, path, sizeof path) != 0)
		return;
	hour = (intmax_t)(t / 3600) * 3600;
	snprintf(key, sizeof key, "%jd\t%s\t%s", hour, host, path);
	topk_add(p->paths, key, 1);
	v = popular_search_of(url, &vlen);
	if (v == NULL || popular_term(v, vlen, term, sizeof term) != 0)
		return;
	snprintf(key, sizeof key, "%jd\t%s\t%s", hour, host, term);
	topk_add(p->terms, key, 1);
}

/*--------------------------------------------------------------------
 * Handed over
 */

struct pop_take {
	unsigned magic;
#define POP_TAKE_MAGIC 0x9093a1a2
	json_t *a;
	const char *name, *count;
};

static void
pop_row(void *priv, const char *key, uint64_t count, uint64_t err)
{
	struct pop_take *pt;
	const char *host, *what;
	char *end;
	long long hour;
	json_t *o;

	CAST_OBJ_NOTNULL(pt, priv, POP_TAKE_MAGIC);
	hour = strtoll(key, &end, 10);
	assert(*end == '\t');
	host = end + 1;
	what = strchr(host, '\t');
	AN(what);
	/* What is sure to be its own: space-saving may count another
	 * key's visits to the one that took its place. */
	o = json_pack("{s:I, s:s%, s:s, s:I}", "hour", (json_int_t)hour, "host",
	    host, (size_t)(what - host), pt->name, what + 1, pt->count,
	    (json_int_t)(count - err));
	AN(o);
	AZ(json_array_append_new(pt->a, o));
}

static json_t *
pop_take(struct topk *tk, unsigned most, const char *name, const char *count)
{
	struct pop_take pt;

	if (topk_len(tk) == 0)
		return (NULL);
	INIT_OBJ(&pt, POP_TAKE_MAGIC);
	pt.a = json_array();
	AN(pt.a);
	pt.name = name;
	pt.count = count;
	(void)topk_take(tk, most, pop_row, &pt);
	return (pt.a);
}

void
popular_take(struct popular *p, json_t **paths, json_t **searches)
{
	CHECK_OBJ_NOTNULL(p, POPULAR_MAGIC);
	AN(paths);
	AN(searches);
	*paths = pop_take(p->paths, POPULAR_PATHS, "path", "hits");
	*searches = pop_take(p->terms, POPULAR_TERMS, "term", "n");
}
