/*
 * robots.txt bodies (sitemap/robots.c): the Sitemap: lines, resolved
 * against the robots.txt's URL, and the rules for Stoke's crawler,
 * asked about a few paths.  The first string of the input is the body,
 * the next ones paths to ask about.
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"

#include "sitemap/robots.h"

#include "fuzz/fuzz.h"

static int
sitemap(void *priv, const char *url, unsigned line)
{
	unsigned *n = priv;

	AN(url);
	assert(line > 0);
	assert(strlen(url) <= ROBOTS_MAX_URL);
	++*n;
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/", "/robots.txt", "/a/b?c=d",
		"/%E2%82%AC", "/private/", "" };
	struct robots_limits lim = { 0, 50, 0 };
	struct robots_stats st;
	struct robots_rules *rr;
	char err[256], *path;
	unsigned n = 0, i;
	int r;

	r = robots_sitemaps("https://shop.example/robots.txt", data, size, &lim,
	    sitemap, &n, &st, err, sizeof err);
	assert(r >= -1 && r <= 1);
	assert(n <= 50);

	rr = robots_rules_new(data, size, ROBOTS_AGENT);
	AN(rr);
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
		(void)robots_allowed(rr, paths[i]);
	assert(robots_allowed(rr, "/robots.txt"));
	/* The input's own strings as paths, past its first. */
	free(fuzz_next(&data, &size));
	for (i = 0; i < 4 && size > 0; i++) {
		path = fuzz_next(&data, &size);
		if (path[0] == '/') /* as a URL's path always is */
			(void)robots_allowed(rr, path);
		free(path);
	}
	(void)robots_crawl_delay(rr);
	robots_rules_free(&rr);
	AZ(rr);
	return (0);
}
