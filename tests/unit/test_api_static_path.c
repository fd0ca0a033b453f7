/*
 * api_static_path: which file of the dashboard a request's path names.
 * Every way out of the directory is refused, decoded or not; the types,
 * the caching of hashed assets against the shell's, and Accept-Encoding
 * read as RFC 9110 says.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api/api_static_path.h"
#include "unit.h"

/* The file path names, or "!" when it names none. */
static const char *
rel_of(const char *path)
{
	static char rel[STATIC_PATH_MAX];
	const char *why = NULL;

	if (api_static_path(path, rel, sizeof rel, &why) != 0) {
		CHECK(why != NULL);
		return ("!");
	}
	return (rel);
}

static void
test_paths(void)
{
	CHECK_STR_EQ(rel_of("/"), "");
	CHECK_STR_EQ(rel_of("/index.html"), "index.html");
	CHECK_STR_EQ(rel_of("/assets/index-4f2a.js"), "assets/index-4f2a.js");
	CHECK_STR_EQ(rel_of("//assets///x.css"), "assets/x.css");
	CHECK_STR_EQ(rel_of("/projects/12/websites"), "projects/12/websites");
	CHECK_STR_EQ(rel_of("/a%20b.txt"), "a b.txt");
	CHECK_STR_EQ(rel_of("/caf%C3%A9"), "caf\xc3\xa9");
	/* A dot inside a name is a name. */
	CHECK_STR_EQ(rel_of("/a..b/c.d"), "a..b/c.d");
}

static void
test_refused(void)
{
	CHECK_STR_EQ(rel_of(""), "!");
	CHECK_STR_EQ(rel_of("index.html"), "!");
	CHECK_STR_EQ(rel_of("/.."), "!");
	CHECK_STR_EQ(rel_of("/../etc/passwd"), "!");
	CHECK_STR_EQ(rel_of("/assets/../../etc/passwd"), "!");
	CHECK_STR_EQ(rel_of("/assets/.."), "!");
	CHECK_STR_EQ(rel_of("/./index.html"), "!");
	/* Encoded, in either case, whole or in part. */
	CHECK_STR_EQ(rel_of("/%2e%2e/etc/passwd"), "!");
	CHECK_STR_EQ(rel_of("/%2E%2E/etc/passwd"), "!");
	CHECK_STR_EQ(rel_of("/.%2e/etc/passwd"), "!");
	CHECK_STR_EQ(rel_of("/assets%2f..%2f..%2fetc%2fpasswd"), "!");
	CHECK_STR_EQ(rel_of("/..%5c..%5cetc"), "!");
	CHECK_STR_EQ(rel_of("/a\\b"), "!");
	/* NUL, raw or encoded, cuts nothing short. */
	CHECK_STR_EQ(rel_of("/index.html%00.png"), "!");
	/* Bad escapes. */
	CHECK_STR_EQ(rel_of("/%"), "!");
	CHECK_STR_EQ(rel_of("/%2"), "!");
	CHECK_STR_EQ(rel_of("/%zz"), "!");
	/* Hidden files: a checkout's, a secret's. */
	CHECK_STR_EQ(rel_of("/.git/config"), "!");
	CHECK_STR_EQ(rel_of("/assets/.env"), "!");
	CHECK_STR_EQ(rel_of("/%2eenv"), "!");
}

static void
test_lengths(void)
{
	char path[STATIC_PATH_MAX + 16], rel[8];
	const char *why;

	memset(path, 'a', sizeof path - 1);
	path[0] = '/';
	path[sizeof path - 1] = '\0';
	CHECK_STR_EQ(rel_of(path), "!");
	/* The caller's buffer bounds the file's name. */
	CHECK(api_static_path("/1234567", rel, sizeof rel, &why) == 0);
	CHECK_STR_EQ(rel, "1234567");
	CHECK(api_static_path("/12345678", rel, sizeof rel, &why) != 0);
	CHECK(api_static_path("/123/4567", rel, sizeof rel, &why) != 0);
}

static void
test_types(void)
{
	CHECK_STR_EQ(api_static_type("index.html"), "text/html; charset=utf-8");
	CHECK_STR_EQ(api_static_type("assets/index-4f2a.js"),
	    "text/javascript; charset=utf-8");
	CHECK_STR_EQ(api_static_type("assets/index-4f2a.CSS"),
	    "text/css; charset=utf-8");
	CHECK_STR_EQ(api_static_type("manifest.webmanifest"),
	    "application/manifest+json");
	CHECK_STR_EQ(api_static_type("icon.svg"), "image/svg+xml");
	CHECK_STR_EQ(api_static_type("icon-192.png"), "image/png");
	CHECK_STR_EQ(api_static_type("assets/font.woff2"), "font/woff2");
	CHECK_STR_EQ(api_static_type("README"), "application/octet-stream");
	CHECK_STR_EQ(api_static_type("assets.d/README"),
	    "application/octet-stream");
	CHECK_STR_EQ(api_static_type("x.unknown"), "application/octet-stream");
}

static void
test_cache(void)
{
	CHECK_STR_EQ(api_static_cache("assets/index-4f2a.js"),
	    "public, max-age=31536000, immutable");
	CHECK_STR_EQ(api_static_cache("index.html"), "no-cache");
	CHECK_STR_EQ(api_static_cache("sw.js"), "no-cache");
	CHECK_STR_EQ(api_static_cache("assetsx/y.js"), "no-cache");
}

static void
test_gzip(void)
{
	CHECK(!api_static_gzip_ok(NULL));
	CHECK(!api_static_gzip_ok(""));
	CHECK(api_static_gzip_ok("gzip"));
	CHECK(api_static_gzip_ok("gzip, deflate, br"));
	CHECK(api_static_gzip_ok("br, GZIP;q=0.5"));
	CHECK(api_static_gzip_ok("x-gzip"));
	CHECK(api_static_gzip_ok("*"));
	CHECK(!api_static_gzip_ok("gzip;q=0"));
	CHECK(!api_static_gzip_ok("br, gzip; q=0.0"));
	CHECK(!api_static_gzip_ok("deflate, br"));
	CHECK(!api_static_gzip_ok("gzipx"));
	CHECK(!api_static_gzip_ok("*;q=0"));
	/* Named, gzip's own q wins over the star's. */
	CHECK(!api_static_gzip_ok("*, gzip;q=0"));
}

int
main(void)
{
	test_paths();
	test_refused();
	test_lengths();
	test_types();
	test_cache();
	test_gzip();
	return (unit_done());
}
