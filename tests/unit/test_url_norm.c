/*
 * url_norm: relative references resolved, the spelling made one, and
 * session ids and tracking parameters dropped; what is no page refused.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sitemap/url_norm.h"
#include "unit.h"

#define PAGE "http://Shop.Example:80/shop/cat/page.html?x=1"

static char out[URL_NORM_MAX + 1];
static const char *why;

static const char *
norm(const char *base, const char *ref, const struct url_norm_drop *drop)
{
	why = "(untouched)";
	if (url_norm(base, ref, drop, out, sizeof out, &why) != 0)
		return (NULL);
	return (out);
}

static void
t_resolve(void)
{
	/* RFC 3986 5.4's way, on a page of ours. */
	CHECK_STR_EQ(norm(PAGE, "next.html", NULL),
	    "http://shop.example/shop/cat/next.html");
	CHECK_STR_EQ(norm(PAGE, "../other/", NULL),
	    "http://shop.example/shop/other/");
	CHECK_STR_EQ(norm(PAGE, "/a/./b/../c", NULL),
	    "http://shop.example/a/c");
	CHECK_STR_EQ(norm(PAGE, "?page=2", NULL),
	    "http://shop.example/shop/cat/page.html?page=2");
	CHECK_STR_EQ(norm(PAGE, "//cdn.example/x.css", NULL),
	    "http://cdn.example/x.css");
	CHECK_STR_EQ(norm(PAGE, "https://Shop.example:443/secure", NULL),
	    "https://shop.example/secure");
	CHECK_STR_EQ(norm(PAGE, "HTTP://SHOP.EXAMPLE:8080/Case", NULL),
	    "http://shop.example:8080/Case");
	/* The page itself: empty, or a fragment of it. */
	CHECK_STR_EQ(norm(PAGE, "", NULL),
	    "http://shop.example/shop/cat/page.html?x=1");
	CHECK_STR_EQ(norm(PAGE, "#reviews", NULL),
	    "http://shop.example/shop/cat/page.html?x=1");
	CHECK_STR_EQ(norm(PAGE, "/p#top", NULL), "http://shop.example/p");
	/* White space a template left, and within. */
	CHECK_STR_EQ(norm(PAGE, "  \n /a\tb\n ", NULL),
	    "http://shop.example/ab");
	/* What a browser encodes before sending it (libcurl writes the
	 * hex digits of what it encodes in lower case). */
	CHECK_STR_EQ(norm(PAGE, "/a b/\xc3\xa4?q=\"x\"", NULL),
	    "http://shop.example/a%20b/%c3%a4?q=%22x%22");
	CHECK_STR_EQ(norm(PAGE, "/100%/x%41", NULL),
	    "http://shop.example/100%25/x%41");
	/* The page's own URL is cleaned as a reference is: resolved
	 * against it, "" and "?q" gave its raw bytes back (a fuzzer's
	 * find, fuzz/regress/url/). */
	CHECK_STR_EQ(norm("http://shop.example/a\xff b/", "", NULL),
	    "http://shop.example/a%ff%20b/");
	CHECK_STR_EQ(norm("http://shop.example/\xc3\xa4", "?q", NULL),
	    "http://shop.example/%c3%a4?q");
	/* A segment that is a dot segment once its session id is gone
	 * goes too, as it would the next time. */
	CHECK_STR_EQ(norm(PAGE, "/a/.;jsessionid=1", NULL),
	    "http://shop.example/a/");
	CHECK_STR_EQ(norm(PAGE, "/a/b/..;jsessionid=1/c", NULL),
	    "http://shop.example/a/c");
	/* Absolute, no base. */
	CHECK_STR_EQ(norm(NULL, "http://shop.example", NULL),
	    "http://shop.example/");
	CHECK_INT_EQ(url_norm_site_len("https://a.example:81/x?y"), 20);
	CHECK_INT_EQ(url_norm_site_len("http://a.example"), 16);
	CHECK_INT_EQ(url_norm_site_len("ftp://a.example/"), 0);
}

static void
t_drop(void)
{
	struct url_norm_drop mine = { { "ref", "Campaign*" }, 2 };

	CHECK_STR_EQ(norm(PAGE,
	                 "/p?utm_source=x&id=7&UTM_Medium=y&gclid=z&fbclid=q",
	                 &url_norm_tracking),
	    "http://shop.example/p?id=7");
	CHECK_STR_EQ(norm(PAGE, "/p?utm_source=x", &url_norm_tracking),
	    "http://shop.example/p");
	/* Not listed: kept, in its order and spelling. */
	CHECK_STR_EQ(norm(PAGE, "/p?b=2&a=1&utm=3&a=", &url_norm_tracking),
	    "http://shop.example/p?b=2&a=1&utm=3&a=");
	CHECK_STR_EQ(norm(PAGE, "/p?ref=a&campaign_id=1&x=1", &mine),
	    "http://shop.example/p?x=1");
	CHECK_STR_EQ(norm(PAGE, "/p?utm_source=a", &mine),
	    "http://shop.example/p?utm_source=a");
	/* Session ids, whatever the list: query and path parameters. */
	CHECK_STR_EQ(norm(PAGE, "/p?PHPSESSID=abc&page=2&sid=1", NULL),
	    "http://shop.example/p?page=2");
	CHECK_STR_EQ(norm(PAGE, "/p;jsessionid=ABC123?page=2", NULL),
	    "http://shop.example/p?page=2");
	CHECK_STR_EQ(norm(PAGE, "/a;JSESSIONID=x/b;v=1", NULL),
	    "http://shop.example/a/b;v=1");
	CHECK_STR_EQ(norm(PAGE, "/p?sidebar=1&&x", NULL),
	    "http://shop.example/p?sidebar=1&x");
	CHECK(url_norm_session("PHPSESSID", 9));
	CHECK(!url_norm_session("sids", 4));
	CHECK(url_norm_dropped(&url_norm_tracking, "utm_anything", 12));
	CHECK(!url_norm_dropped(NULL, "utm_x", 5));
}

static void
t_refused(void)
{
	char big[3 * URL_NORM_MAX];

	CHECK(norm(PAGE, "mailto:shop@example.com", NULL) == NULL);
	CHECK_STR_EQ(why, "not an http(s) URL");
	CHECK(norm(PAGE, "javascript:void(0)", NULL) == NULL);
	CHECK(norm(PAGE, "tel:+4912345", NULL) == NULL);
	CHECK(norm(PAGE, "ftp://shop.example/x", NULL) == NULL);
	CHECK(norm(PAGE, "http://user:pw@shop.example/", NULL) == NULL);
	CHECK_STR_EQ(why, "a user name in the URL");
	CHECK(norm(PAGE, "http://[bad/", NULL) == NULL);
	CHECK(norm(NULL, "/relative", NULL) == NULL);
	CHECK(norm("not a url", "/x", NULL) == NULL);
	memset(big, 'a', sizeof big - 1);
	big[0] = '/';
	big[sizeof big - 1] = '\0';
	CHECK(norm(PAGE, big, NULL) == NULL);
	CHECK_STR_EQ(why, "too long");
	/* Fits the caller's buffer or is refused. */
	why = NULL;
	CHECK(url_norm(PAGE, "/0123456789", NULL, out, 20, &why) == -1);
	CHECK_STR_EQ(why, "too long");
}

int
main(void)
{
	t_resolve();
	t_drop();
	t_refused();
	return (unit_done());
}
