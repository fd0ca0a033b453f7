/*
 * Unit tests for fetch/fetch_kept.c: the headers of the list kept with
 * the list's spelling, others and every request header left out;
 * Set-Cookie as the cookies' names only; a header twice joined; the
 * value, count and byte bounds whatever a server sends; a second
 * answer's status line starting again; and the JSON.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "fetch/fetch_kept.h"
#include "unit.h"

static void
line(struct fetch_kept *k, const char *s)
{
	fetch_kept_line(k, s, strlen(s));
}

static const char *
value(const struct fetch_kept *k, const char *name)
{
	unsigned u;

	for (u = 0; u < k->n; u++)
		if (!strcmp(k->h[u].name, name))
			return (k->h[u].value);
	return (NULL);
}

static void
test_kept(void)
{
	struct fetch_kept k;
	char *j;

	memset(&k, 0xa5, sizeof k);
	fetch_kept_clear(&k);
	CHECK(fetch_kept_json(&k) == NULL);
	line(&k, "cache-control:   public, max-age=300 \r\n");
	line(&k, "X-Varnish: 32770 8\r\n");
	line(&k, "Age: 12\r\n");
	line(&k, "Authorization: Bearer secret\r\n");
	line(&k, "Cookie: session=abc\r\n");
	line(&k, "X-Cache-Tagsx: nope\r\n");
	line(&k, "Set-Cookie: session=0123456789abcdef; Path=/; HttpOnly\r\n");
	line(&k, "Set-Cookie:sw-states=x\r\n");
	line(&k, "Via: 1.1 varnish (Varnish/7.5)\r\n");
	line(&k, "VIA: 1.1 cdn\r\n");
	line(&k, "Empty:\r\n");
	line(&k, "Server:\r\n");
	line(&k, "no colon at all\r\n");
	line(&k, "\r\n");
	CHECK(k.n == 5);
	CHECK_STR_EQ(value(&k, "Cache-Control"), "public, max-age=300");
	CHECK_STR_EQ(value(&k, "X-Varnish"), "32770 8");
	CHECK_STR_EQ(value(&k, "Age"), "12");
	CHECK_STR_EQ(value(&k, "Set-Cookie"), "session, sw-states");
	CHECK_STR_EQ(value(&k, "Via"), "1.1 varnish (Varnish/7.5), 1.1 cdn");
	CHECK(value(&k, "Server") == NULL);
	j = fetch_kept_json(&k);
	AN(j);
	CHECK_STR_EQ(j,
	    "{\"Cache-Control\":\"public, max-age=300\","
	    "\"X-Varnish\":\"32770 8\",\"Age\":\"12\","
	    "\"Set-Cookie\":\"session, sw-states\","
	    "\"Via\":\"1.1 varnish (Varnish/7.5), 1.1 cdn\"}");
	CHECK(strstr(j, "0123456789abcdef") == NULL);
	CHECK(strstr(j, "secret") == NULL);
	free(j);
}

static void
test_bounds(void)
{
	struct fetch_kept k;
	char big[4096], l[4200];
	const char *v;
	char *j;
	unsigned u;

	fetch_kept_clear(&k);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	snprintf(l, sizeof l, "xkey: %s\r\n", big);
	line(&k, l);
	v = value(&k, "xkey");
	AN(v);
	CHECK(strlen(v) == FETCH_KEPT_VALUE_MAX);
	CHECK(!strcmp(v + FETCH_KEPT_VALUE_MAX - 3, "..."));
	/* Cut once: what comes after adds nothing. */
	line(&k, "xkey: more\r\n");
	CHECK(strlen(value(&k, "xkey")) == FETCH_KEPT_VALUE_MAX);

	/* Filled exactly, then joined: the mark takes the last bytes. */
	fetch_kept_clear(&k);
	memset(big, 'b', FETCH_KEPT_VALUE_MAX);
	big[FETCH_KEPT_VALUE_MAX] = '\0';
	snprintf(l, sizeof l, "Vary: %s\r\n", big);
	line(&k, l);
	CHECK(strlen(value(&k, "Vary")) == FETCH_KEPT_VALUE_MAX);
	CHECK(value(&k, "Vary")[FETCH_KEPT_VALUE_MAX - 1] == 'b');
	line(&k, "Vary: Accept\r\n");
	v = value(&k, "Vary");
	CHECK(strlen(v) == FETCH_KEPT_VALUE_MAX);
	CHECK(!strcmp(v + FETCH_KEPT_VALUE_MAX - 3, "..."));

	/* Bytes that are not printable ASCII are '?': JSON-safe. */
	fetch_kept_clear(&k);
	line(&k, "ETag: \"caf\xc3\xa9\x01\"\r\n");
	CHECK_STR_EQ(value(&k, "ETag"), "\"caf???\"");
	j = fetch_kept_json(&k);
	CHECK_STR_EQ(j, "{\"ETag\":\"\\\"caf???\\\"\"}");
	free(j);

	/* Every name of the list, many times: FETCH_KEPT_MAX at most. */
	fetch_kept_clear(&k);
	for (u = 0; u < 4; u++) {
		line(&k, "Cache-Control: a\r\n");
		line(&k, "Age: 1\r\n");
		line(&k, "Expires: x\r\n");
		line(&k, "Vary: y\r\n");
		line(&k, "Set-Cookie: c=1\r\n");
		line(&k, "X-Varnish: 1\r\n");
		line(&k, "X-Cache: HIT\r\n");
		line(&k, "X-Cache-Hits: 1\r\n");
		line(&k, "Via: v\r\n");
		line(&k, "Content-Type: t\r\n");
		line(&k, "Content-Length: 1\r\n");
		line(&k, "ETag: e\r\n");
		line(&k, "Last-Modified: l\r\n");
		line(&k, "Surrogate-Control: s\r\n");
		line(&k, "xkey: k\r\n");
		line(&k, "X-Cache-Tags: t\r\n");
		line(&k, "Server: s\r\n");
	}
	CHECK(k.n == FETCH_KEPT_MAX);
	CHECK(value(&k, "Server") == NULL);
	CHECK_STR_EQ(value(&k, "Age"), "1, 1, 1, 1");
	j = fetch_kept_json(&k);
	AN(j);
	CHECK(strlen(j) < FETCH_KEPT_MAX *
	        (FETCH_KEPT_NAME_MAX + 2 * FETCH_KEPT_VALUE_MAX + 6));
	free(j);
}

static void
test_cookie_name(void)
{
	CHECK(fetch_kept_cookie_name("a=b", 3) == 1);
	CHECK(fetch_kept_cookie_name("abc; Path=/", 11) == 3);
	CHECK(fetch_kept_cookie_name("abc\r\n", 5) == 3);
	CHECK(fetch_kept_cookie_name("=x", 2) == 0);
	CHECK(fetch_kept_cookie_name("abc", 2) == 2);
}

int
main(void)
{
	test_kept();
	test_bounds();
	test_cookie_name();
	return (unit_done());
}
