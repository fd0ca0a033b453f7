/*
 * warm_url_split: a URL taken apart exactly as curl's URL parser takes it
 * apart, whether our own short way or curl's was taken.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "warm/warm_url.h"
#include "unit.h"

/* What curl makes of url: host[:port] and path[?query]; -1 if bad. */
static int
by_curl(const char *url, char *host, size_t hlen, char *path, size_t plen)
{
	char *h = NULL, *port = NULL, *p = NULL, *q = NULL;
	CURLU *u = curl_url();
	int r = -1;

	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &p, 0) == CURLUE_OK) {
		(void)curl_url_get(u, CURLUPART_PORT, &port, 0);
		(void)curl_url_get(u, CURLUPART_QUERY, &q, 0);
		snprintf(host, hlen, "%s%s%s", h, port ? ":" : "",
		    port ? port : "");
		snprintf(path, plen, "%s%s%s", p, q ? "?" : "", q ? q : "");
		r = 0;
	}
	curl_free(h);
	curl_free(port);
	curl_free(p);
	curl_free(q);
	curl_url_cleanup(u);
	return (r);
}

static const char *const urls[] = {
	/* The short way. */
	"http://shop.example.com/product/1?v=0&ttl=3600",
	"http://127.0.0.1:6081/",
	"https://www.example.de:8443/a/b;c=d/e?x=1&y=%41@:,+*!$'()~",
	"http://h:80/a",
	"http://h:65535/a..b/c.",
	"http://h./x",
	"http://h/a?b?c",
	"http://h/a%2",
	"http://h/a?x=/./",
	/* curl's. */
	"http://h:080/a",
	"http://h:0/",
	"http://h:65536/",
	"http://h:8080/a?",
	"http://h/a?b#c",
	"http://H/a",
	"HTTP://h/a",
	"http://h/a/./b",
	"http://h/a/../b",
	"http://h/.well-known/x",
	"http://h/a b",
	"http://h",
	"http://h?q",
	"http://user:pw@h/a",
	"http://[::1]:8080/a",
	"http://h/\xc3\xa9",
	"http://h/a\\b",
	"ftp://h/a",
	"http:///a",
	"http://h:/a",
	"http://h:99999999999/a",
	"",
};

int
main(void)
{
	char t[512], h[128], p[256], eh[128], ep[256], tt[512];
	unsigned u;
	int r, e;

	for (u = 0; u < sizeof urls / sizeof urls[0]; u++) {
		e = by_curl(urls[u], eh, sizeof eh, ep, sizeof ep);
		r = warm_url_split(urls[u], NULL, t, sizeof t, h, sizeof h, p,
		    sizeof p);
		if (!CHECK_INT_EQ(r, e))
			fprintf(stderr, "  url %s\n", urls[u]);
		if (r != 0 || e != 0)
			continue;
		CHECK_STR_EQ(h, eh);
		CHECK_STR_EQ(p, ep);
		CHECK_STR_EQ(t, urls[u]);
		/* Through a node: the node, then the path. */
		r = warm_url_split(urls[u], "http://10.0.0.1:6081", t, sizeof t,
		    h, sizeof h, p, sizeof p);
		CHECK_INT_EQ(r, 0);
		snprintf(tt, sizeof tt, "http://10.0.0.1:6081%s", ep);
		CHECK_STR_EQ(t, tt);
	}

	/* Too long for the caller's buffers, either way. */
	CHECK_INT_EQ(warm_url_split("http://shop.example.com/a", NULL, t,
	                 sizeof t, h, 16, p, sizeof p),
	    -1);
	CHECK_INT_EQ(warm_url_split("http://h/product/1", NULL, t, sizeof t, h,
	                 sizeof h, p, 8),
	    -1);
	CHECK_INT_EQ(warm_url_split("http://h/product/1", "http://node", t, 12,
	                 h, sizeof h, p, sizeof p),
	    -1);
	CHECK_INT_EQ(warm_url_split("http://h/a/./b", NULL, t, sizeof t, h,
	                 sizeof h, p, 4),
	    -1);
	/* Exactly full, with its '\0', and one byte short. */
	CHECK_INT_EQ(warm_url_split("http://h/ab", "http://n", t, 12, h,
	                 sizeof h, p, 4),
	    0);
	CHECK_STR_EQ(t, "http://n/ab");
	CHECK_STR_EQ(p, "/ab");
	CHECK_INT_EQ(warm_url_split("http://h/ab", "http://n", t, 11, h,
	                 sizeof h, p, sizeof p),
	    -1);
	CHECK_INT_EQ(warm_url_split("http://h/ab", NULL, t, sizeof t, h,
	                 sizeof h, p, 3),
	    -1);
	return (unit_done());
}
