/*
 * The reference is made safe for the URL parser first (bytes a browser
 * would percent-encode are encoded here), then parsed and resolved by
 * libcurl, then taken apart to change what is changed (url_norm.h) and
 * written back whole by libcurl again.  Everything is bounded: a
 * reference over a few URL lengths is refused before any of it.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "vdef.h"
#include "vas.h"
#include "vsb.h"

#include "url_norm.h"

/* Encoding triples a byte at most. */
#define UN_REF_MAX (3 * URL_NORM_MAX)

const struct url_norm_drop url_norm_tracking = {
	{ "utm_*", "gclid", "fbclid", "msclkid", "dclid", "yclid", "mc_cid",
	    "mc_eid", "_ga", "_gl" },
	10,
};

/* Session ids as servers name them, in paths and queries. */
static const char *const un_sessions[] = {
	"jsessionid",
	"phpsessid",
	"sid",
	"sessionid",
	"session_id",
	"aspsessionid",
	"cfid",
	"cftoken",
	"oscsid",
	"zenid",
	"sw-context-token",
};

int
url_norm_session(const char *name, size_t len)
{
	size_t u;

	for (u = 0; u < sizeof un_sessions / sizeof *un_sessions; u++)
		if (strlen(un_sessions[u]) == len &&
		    !strncasecmp(un_sessions[u], name, len))
			return (1);
	return (0);
}

int
url_norm_dropped(const struct url_norm_drop *d, const char *name, size_t len)
{
	const char *p;
	size_t pl;
	unsigned u;

	if (d == NULL)
		return (0);
	for (u = 0; u < d->n; u++) {
		p = d->name[u];
		pl = strlen(p);
		if (pl > 0 && p[pl - 1] == '*') {
			if (len >= pl - 1 && !strncasecmp(p, name, pl - 1))
				return (1);
		} else if (pl == len && !strncasecmp(p, name, len)) {
			return (1);
		}
	}
	return (0);
}

static int
un_hex(int c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F'));
}

/*
 * The reference as a browser sends it: surrounding white space gone,
 * tabs and line ends within dropped, and what may not stand in a URL
 * percent-encoded (a lone '%' too).  -1 when too long.
 */
static int
un_clean(const char *ref, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)ref, *e;
	size_t o = 0;

	e = s + strlen(ref);
	while (s < e && *s <= 0x20)
		s++;
	while (e > s && e[-1] <= 0x20)
		e--;
	if ((size_t)(e - s) > UN_REF_MAX)
		return (-1);
	for (; s < e; s++) {
		if (*s == '\t' || *s == '\n' || *s == '\r')
			continue;
		if (o + 4 > outlen)
			return (-1);
		if (*s <= 0x20 || *s >= 0x7f || *s == '"' || *s == '<' ||
		    *s == '>' || *s == '`' ||
		    (*s == '%' &&
		        !(s + 2 < e && un_hex(s[1]) && un_hex(s[2])))) {
			o +=
			    (size_t)snprintf(out + o, outlen - o, "%%%02X", *s);
			continue;
		}
		out[o++] = (char)*s;
	}
	out[o] = '\0';
	return (0);
}

/* The path without session ids among its parameters (";jsessionid=x"). */
static void
un_path(const char *path, struct vsb *vsb)
{
	const char *p = path, *q, *e, *n;

	while (*p != '\0') {
		q = strchr(p, ';');
		if (q == NULL) {
			VSB_cat(vsb, p);
			return;
		}
		VSB_bcat(vsb, p, q - p);
		/* A parameter: to the next ';', '/', or the end. */
		e = q + 1 + strcspn(q + 1, ";/");
		n = memchr(q + 1, '=', (size_t)(e - q - 1));
		if (n == NULL)
			n = e;
		if (!url_norm_session(q + 1, (size_t)(n - q - 1)))
			VSB_bcat(vsb, q, e - q);
		p = e;
	}
}

/* The query without the parameters dropped; "" when none is left. */
static void
un_query(const char *query, const struct url_norm_drop *drop, struct vsb *vsb)
{
	const char *p = query, *e, *n;
	int first = 1;

	while (*p != '\0') {
		e = p + strcspn(p, "&");
		n = memchr(p, '=', (size_t)(e - p));
		if (n == NULL)
			n = e;
		if (e > p && !url_norm_session(p, (size_t)(n - p)) &&
		    !url_norm_dropped(drop, p, (size_t)(n - p))) {
			if (!first)
				VSB_putc(vsb, '&');
			VSB_bcat(vsb, p, e - p);
			first = 0;
		}
		p = *e == '&' ? e + 1 : e;
	}
}

/* The parts changed on the parsed URL; NULL, or why not. */
static const char *
un_parts(CURLU *u, const struct url_norm_drop *drop)
{
	char *s = NULL, *h;
	struct vsb *vsb;
	const char *why = NULL;

	if (curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
	    (strcasecmp(s, "http") && strcasecmp(s, "https"))) {
		curl_free(s);
		return ("not an http(s) URL");
	}
	curl_free(s);
	s = NULL;
	if (curl_url_get(u, CURLUPART_USER, &s, 0) == CURLUE_OK) {
		curl_free(s);
		return ("a user name in the URL");
	}
	if (curl_url_get(u, CURLUPART_HOST, &s, 0) != CURLUE_OK)
		return ("no host");
	for (h = s; *h != '\0'; h++)
		if (*h >= 'A' && *h <= 'Z')
			*h = (char)(*h - 'A' + 'a');
	if (curl_url_set(u, CURLUPART_HOST, s, 0) != CURLUE_OK)
		why = "a bad host";
	curl_free(s);
	if (why != NULL)
		return (why);
	(void)curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	vsb = VSB_new_auto();
	AN(vsb);
	if (curl_url_get(u, CURLUPART_PATH, &s, 0) == CURLUE_OK) {
		un_path(s, vsb);
		curl_free(s);
		AZ(VSB_finish(vsb));
		if (curl_url_set(u, CURLUPART_PATH,
		        VSB_len(vsb) > 0 ? VSB_data(vsb) : "/", 0) != CURLUE_OK)
			why = "a bad path";
	}
	VSB_clear(vsb);
	if (why == NULL &&
	    curl_url_get(u, CURLUPART_QUERY, &s, 0) == CURLUE_OK) {
		un_query(s, drop, vsb);
		curl_free(s);
		AZ(VSB_finish(vsb));
		if (curl_url_set(u, CURLUPART_QUERY,
		        VSB_len(vsb) > 0 ? VSB_data(vsb) : NULL,
		        0) != CURLUE_OK)
			why = "a bad query";
	}
	VSB_destroy(&vsb);
	return (why);
}

/* Does the reference name a scheme other than http(s) ("mailto:")? */
static int
un_other_scheme(const char *ref)
{
	size_t n = 0;

	if (!((*ref >= 'a' && *ref <= 'z') || (*ref >= 'A' && *ref <= 'Z')))
		return (0);
	n = strspn(ref,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789+-.");
	if (ref[n] != ':')
		return (0);
	return (!(n == 4 && !strncasecmp(ref, "http", 4)) &&
	    !(n == 5 && !strncasecmp(ref, "https", 5)));
}

int
url_norm(const char *base, const char *ref, const struct url_norm_drop *drop,
    char *out, size_t outlen, const char **why)
{
	char clean[UN_REF_MAX + 1], cbase[UN_REF_MAX + 1], *s = NULL;
	const char *w = NULL;
	CURLU *u;

	AN(ref);
	AN(out);
	AN(why);
	if (un_clean(ref, clean, sizeof clean) != 0) {
		*why = "too long";
		return (-1);
	}
	/*
	 * The page's URL as a reference is: a start URL or a redirect's
	 * Location may hold bytes that libcurl keeps as they are, and a
	 * reference resolved against it would give them back raw.
	 */
	if (base != NULL && un_clean(base, cbase, sizeof cbase) != 0) {
		*why = "the page's own URL is too long";
		return (-1);
	}
	if (un_other_scheme(clean)) {
		*why = "not an http(s) URL";
		return (-1);
	}
	/* "#x" is the page itself (libcurl resolves it as "./"). */
	if (clean[0] == '#')
		clean[0] = '\0';
	u = curl_url();
	AN(u);
	if (base != NULL &&
	    curl_url_set(u, CURLUPART_URL, cbase, 0) != CURLUE_OK)
		w = "the page's own URL cannot be parsed";
	/* An empty reference is the page itself. */
	else if ((base == NULL || clean[0] != '\0') &&
	    curl_url_set(u, CURLUPART_URL, clean, 0) != CURLUE_OK)
		w = "not a URL";
	if (w == NULL)
		w = un_parts(u, drop);
	/*
	 * Once a session id is gone, a segment may be a dot segment
	 * ("/a/.;jsessionid=1"): parsed again, it goes as any other,
	 * so that what comes out comes out the same a second time.
	 */
	if (w == NULL &&
	    (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK ||
	        curl_url_set(u, CURLUPART_URL, s, 0) != CURLUE_OK))
		w = "not a URL";
	curl_free(s);
	s = NULL;
	if (w == NULL &&
	    curl_url_get(u, CURLUPART_URL, &s, CURLU_NO_DEFAULT_PORT) !=
	        CURLUE_OK)
		w = "not a URL";
	if (w == NULL && (strlen(s) >= outlen || strlen(s) > URL_NORM_MAX))
		w = "too long";
	if (w == NULL)
		snprintf(out, outlen, "%s", s);
	curl_free(s);
	curl_url_cleanup(u);
	*why = w;
	return (w == NULL ? 0 : -1);
}

size_t
url_norm_site_len(const char *url)
{
	const char *p;

	AN(url);
	if (!strncmp(url, "http://", 7))
		p = url + 7;
	else if (!strncmp(url, "https://", 8))
		p = url + 8;
	else
		return (0);
	p += strcspn(p, "/?#");
	return ((size_t)(p - url));
}
