/*
 * What h1_pool takes of a URL: http://, an address for a host, a path
 * of bytes that need no encoding.  Anything else is curl's, which
 * resolves, encodes and normalizes; here a URL is read as it is, per
 * request, with no allocation.
 */

#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "h1_pool.h"

static int
target_path(const char *p, struct h1_target *t)
{
	const char *q;
	unsigned query = 0;

	if (*p == '\0') {
		t->path = "/";
		t->pathlen = 1;
		return (0);
	}
	if (*p != '/' && *p != '?')
		return (-1);
	for (q = p; *q != '\0'; q++) {
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f ||
		    *q == '#')
			return (-1);
		/* Dot segments: curl removes them ("/a/./b/../c" is
		 * "/a/c"), and Varnish hashes what it is sent. */
		if (*q == '?')
			query = 1;
		else if (!query && q[0] == '/' && q[1] == '.')
			return (-1);
	}
	/* "http://a?q" asks for "/?q"; curl's, then. */
	if (*p == '?')
		return (-1);
	t->path = p;
	t->pathlen = (size_t)(q - p);
	return (0);
}

/* "[::1]:8080", "192.0.2.1": per request, so not snprintf(). */
static void
target_host(struct h1_target *t, const char *addr, int v6, unsigned port)
{
	char digits[8], *d = digits + sizeof digits;
	size_t n = strlen(addr), u = 0;

	assert(n + 9 < sizeof t->host);
	if (v6)
		t->host[u++] = '[';
	memcpy(t->host + u, addr, n);
	u += n;
	if (v6)
		t->host[u++] = ']';
	if (port != 80) {
		do {
			*--d = (char)('0' + port % 10);
			port /= 10;
		} while (port > 0);
		t->host[u++] = ':';
		n = (size_t)(digits + sizeof digits - d);
		memcpy(t->host + u, d, n);
		u += n;
	}
	t->host[u] = '\0';
}

int
h1_target_parse(const char *url, struct h1_target *t)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&t->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->sa;
	const char *h, *e, *p;
	char addr[INET6_ADDRSTRLEN], canon[INET6_ADDRSTRLEN];
	unsigned long port = 80;
	char *end;
	int v6;

	AN(url);
	AN(t);
	memset(t, 0, sizeof *t);
	if (strncmp(url, "http://", 7))
		return (-1);
	h = url + 7;
	v6 = (*h == '[');
	if (v6) {
		e = strchr(h, ']');
		if (e == NULL)
			return (-1);
		h++;
		p = e + 1;
	} else {
		e = h + strcspn(h, ":/?#");
		p = e;
	}
	if (e == h || (size_t)(e - h) >= sizeof addr)
		return (-1);
	memcpy(addr, h, (size_t)(e - h));
	addr[e - h] = '\0';
	if (*p == ':') {
		if (p[1] < '0' || p[1] > '9')
			return (-1);
		port = strtoul(p + 1, &end, 10);
		if (port == 0 || port > 65535 || end - p > 6)
			return (-1);
		p = end;
	}
	if (target_path(p, t) != 0)
		return (-1);
	if (v6) {
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return (-1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		t->salen = sizeof *s6;
	} else {
		/* inet_pton: four decimal parts without leading zeros,
		 * nothing curl would read otherwise ("0x7f.1", "127.1",
		 * "127.0.0.01"): the form curl writes in the Host header. */
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return (-1);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		t->salen = sizeof *s4;
	}
	/* As curl writes it in the Host header ("[::1]" for
	 * "[0:0:0:0:0:0:0:1]"), or curl's.  (inet_ntop() is a sprintf()
	 * a part: for IPv4 the form inet_pton() took is that already.) */
	if (v6 &&
	    (inet_ntop(AF_INET6, &s6->sin6_addr, canon, sizeof canon) == NULL ||
	        strcmp(canon, addr)))
		return (-1);
	target_host(t, addr, v6, (unsigned)port);
	return (0);
}
