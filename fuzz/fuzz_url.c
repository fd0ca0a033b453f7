/*
 * URLs, by every parser of them that input reaches: references
 * resolved and normalised (sitemap/url_norm.c, which a crawl applies to
 * every link), a tenant's URLs checked for where stoked may fetch
 * (fetch/addr_policy.c), a warm URL taken apart (warm/warm_url.c), a
 * sitemap's <loc> checked against the sitemap (sitemap.c), a warm
 * URL read for the lean HTTP/1.1 client (fetch/h1_target.c).  The
 * input's first string is a base, the second a reference; the first
 * byte of the base picks the drop list.
 */

#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "fetch/addr_policy.h"
#include "fetch/h1_pool.h"
#include "sitemap/sitemap.h"
#include "sitemap/url_norm.h"
#include "warm/warm_url.h"

#include "fuzz/fuzz.h"

static void
norm(const char *base, const char *ref)
{
	static const struct url_norm_drop drop = {
		{ "utm_*", "gclid", "x", "*" }, 4
	};
	char out[URL_NORM_MAX + 1], again[URL_NORM_MAX + 1];
	const char *why = NULL;
	size_t l;

	if (url_norm(base, ref, &drop, out, sizeof out, &why) != 0) {
		AN(why);
		return;
	}
	assert(strlen(out) <= URL_NORM_MAX);
	l = url_norm_site_len(out);
	assert(l > 0 && l <= strlen(out));
	AZ(url_norm(NULL, out, &drop, again, sizeof again, &why));
	assert(!strcmp(again, out));
	/* A smaller buffer than it needs is refused, never overrun. */
	if (strlen(out) > 0)
		(void)url_norm(base, ref, &drop, again, strlen(out), &why);
}

static void
policy(const char *url, const char *other)
{
	struct addr_url au;
	const char *why = NULL;

	if (addr_url_parse(url, &au, &why) != 0) {
		AN(why);
		return;
	}
	assert(strlen(au.host) <= ADDR_HOST_MAX);
	assert(au.port > 0 && au.port < 65536);
	(void)addr_name_class(au.host);
	(void)addr_host_within(au.host, "shop.example");
	(void)addr_host_within("cdn.shop.example", au.host);
	(void)other;
}

static void
warm(const char *url, const char *node)
{
	char target[512], host[256], path[512];

	if (warm_url_split(url, NULL, target, sizeof target, host, sizeof host,
	        path, sizeof path) == 0) {
		assert(strlen(target) < sizeof target);
		assert(strlen(path) < sizeof path);
	}
	(void)warm_url_split(url, node, target, sizeof target, host,
	    sizeof host, path, sizeof path);
	(void)warm_url_split(url, "http://127.0.0.1:6081", target, 16, host, 8,
	    path, 8);
}

/*
 * What h1_pool may send: a path of plain bytes that starts with '/',
 * an address, a Host header that fits.
 */
static void
h1_target(const char *url)
{
	struct h1_target t;
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;
	char canon[INET_ADDRSTRLEN];
	size_t u;

	if (h1_target_parse(url, &t) != 0)
		return;
	assert(!strncmp(url, "http://", 7));
	AN(t.path);
	assert(t.pathlen >= 1);
	assert(t.path[0] == '/');
	/* Into the URL, to its end, or the "/" of one without a path. */
	if (t.path < url || t.path > url + strlen(url))
		assert(t.pathlen == 1);
	else
		assert(t.path + t.pathlen == url + strlen(url));
	for (u = 0; u < t.pathlen; u++)
		assert((unsigned char)t.path[u] > 0x20 &&
		    (unsigned char)t.path[u] < 0x7f && t.path[u] != '#');
	AN(memchr(t.host, '\0', sizeof t.host));
	assert(t.host[0] != '\0');
	if (t.salen == sizeof *s4) {
		s4 = (const void *)&t.sa;
		assert(s4->sin_family == AF_INET);
		/* The Host header is the address as curl writes it. */
		AN(inet_ntop(AF_INET, &s4->sin_addr, canon, sizeof canon));
		u = strlen(canon);
		assert(!strncmp(t.host, canon, u));
		assert(t.host[u] == '\0' || t.host[u] == ':');
	} else {
		assert(t.salen == sizeof *s6);
		s6 = (const void *)&t.sa;
		assert(s6->sin6_family == AF_INET6);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *base, *ref, why[128];

	base = fuzz_next(&data, &size);
	ref = fuzz_next(&data, &size);
	norm(base, ref);
	norm(NULL, base);
	policy(base, ref);
	policy(ref, base);
	warm(base, ref);
	h1_target(base);
	(void)sitemap_url_check(base, ref, 0, why, sizeof why);
	(void)url_norm_session(ref, strlen(ref));
	(void)url_norm_dropped(&url_norm_tracking, ref, strlen(ref));
	free(base);
	free(ref);
	return (0);
}
