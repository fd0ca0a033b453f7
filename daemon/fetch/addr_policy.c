/*
 * The URL parser and the address classes of addr_policy.h.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vdef.h"
#include "vas.h"

#include "addr_policy.h"

/*--------------------------------------------------------------------
 * URLs
 */

/* A byte a host name may hold: letters, digits, '-', '.'; '_' too,
 * which DNS allows outside host names proper. */
static int
addr_host_byte(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '.' || c == '_');
}

static int
addr_v6_byte(int c)
{
	return ((c >= 'a' && c <= 'f') || (c >= '0' && c <= '9') || c == ':' ||
	    c == '.');
}

/* "[v6]" or a name, lower case, into u->host; the rest from *pp. */
static int
addr_url_host(const char **pp, const char *end, struct addr_url *u,
    const char **why)
{
	const char *p = *pp, *e;
	size_t n = 0;
	int c, v6 = 0;

	if (p < end && *p == '[') {
		v6 = 1;
		e = memchr(p, ']', (size_t)(end - p));
		if (e == NULL) {
			*why = "an IPv6 address without its ']'";
			return (-1);
		}
		p++;
	} else {
		for (e = p; e < end && *e != ':'; e++)
			continue;
	}
	if (e == p) {
		*why = "no host";
		return (-1);
	}
	for (; p < e; p++) {
		c = *p;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (v6 ? !addr_v6_byte(c) : !addr_host_byte(c)) {
			*why = "a host holding a character hosts do not";
			return (-1);
		}
		if (n == ADDR_HOST_MAX) {
			*why = "a host over 255 characters";
			return (-1);
		}
		u->host[n++] = (char)c;
	}
	u->host[n] = '\0';
	if (!v6 && (u->host[0] == '.' || strstr(u->host, "..") != NULL)) {
		*why = "a host with an empty label";
		return (-1);
	}
	*pp = v6 ? e + 1 : e;
	return (0);
}

static int
addr_url_port(const char *p, const char *end, struct addr_url *u,
    const char **why)
{
	unsigned port = 0;

	if (p == end)
		return (0);
	if (*p++ != ':' || p == end) {
		*why = "a port that is not a number";
		return (-1);
	}
	for (; p < end; p++) {
		if (*p < '0' || *p > '9') {
			*why = "a port that is not a number";
			return (-1);
		}
		port = port * 10 + (unsigned)(*p - '0');
		if (port > 65535) {
			*why = "a port over 65535";
			return (-1);
		}
	}
	if (port == 0) {
		*why = "port 0";
		return (-1);
	}
	u->port = port;
	u->has_port = 1;
	return (0);
}

int
addr_url_parse(const char *url, struct addr_url *u, const char **why)
{
	const char *p, *end;
	size_t len;

	AN(url);
	AN(u);
	AN(why);
	memset(u, 0, sizeof *u);
	len = strlen(url);
	if (len > ADDR_URL_MAX) {
		*why = "a URL over 2048 bytes";
		return (-1);
	}
	for (p = url; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			*why = "a URL holding a space, a control character "
			       "or a byte outside ASCII";
			return (-1);
		}
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		u->https = 1;
		u->port = 443;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		u->port = 80;
		p = url + 7;
	} else {
		*why = "not an http:// or https:// URL";
		return (-1);
	}
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)) != NULL) {
		*why = "a URL holding credentials (user@)";
		return (-1);
	}
	if (addr_url_host(&p, end, u, why) != 0 ||
	    addr_url_port(p, end, u, why) != 0)
		return (-1);
	u->has_path = *end != '\0' && strcmp(end, "/") != 0;
	return (0);
}

int
addr_host_within(const char *host, const char *domain)
{
	size_t h, d;

	AN(host);
	AN(domain);
	h = strlen(host);
	d = strlen(domain);
	if (h == d)
		return (strcmp(host, domain) == 0);
	return (h > d && host[h - d - 1] == '.' &&
	    strcmp(host + h - d, domain) == 0);
}

/*--------------------------------------------------------------------
 * Addresses
 */

/* a: the address in host order. */
static enum addr_class
addr_classify4(uint32_t a)
{
	if (a == 0xa9fea9feU) /* 169.254.169.254 */
		return (ADDR_METADATA);
	switch (a >> 24) {
	case 0:
		return (ADDR_UNSPECIFIED);
	case 10:
		return (ADDR_PRIVATE);
	case 127:
		return (ADDR_LOOPBACK);
	default:
		break;
	}
	if ((a & 0xfff00000U) == 0xac100000U || /* 172.16/12 */
	    (a & 0xffff0000U) == 0xc0a80000U) /* 192.168/16 */
		return (ADDR_PRIVATE);
	if ((a & 0xffff0000U) == 0xa9fe0000U)
		return (ADDR_LINK_LOCAL);
	if ((a & 0xffc00000U) == 0x64400000U)
		return (ADDR_CGNAT);
	if ((a & 0xf0000000U) == 0xe0000000U)
		return (ADDR_MULTICAST);
	if ((a & 0xf0000000U) == 0xf0000000U)
		return (ADDR_RESERVED);
	return (ADDR_PUBLIC);
}

static uint32_t
addr_v4_at(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | (uint32_t)b[3]);
}

static enum addr_class
addr_classify6(const uint8_t *b)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const uint8_t zero[16];

	if (!memcmp(b, zero, 16))
		return (ADDR_UNSPECIFIED);
	if (!memcmp(b, zero, 15) && b[15] == 1)
		return (ADDR_LOOPBACK);
	/* Addresses that carry an IPv4 address reach it: class it. */
	if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12))
		return (addr_classify4(addr_v4_at(b + 12)));
	/* The deprecated IPv4-compatible ::a.b.c.d */
	if (!memcmp(b, zero, 12))
		return (addr_classify4(addr_v4_at(b + 12)));
	if (b[0] == 0xff)
		return (ADDR_MULTICAST);
	if ((b[0] & 0xfe) == 0xfc)
		return (ADDR_PRIVATE);
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return (ADDR_LINK_LOCAL);
	/* fd00:ec2::254, AWS's metadata over IPv6, is in fc00::/7. */
	return (ADDR_PUBLIC);
}

enum addr_class
addr_classify(const struct sockaddr *sa)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	AN(sa);
	switch (sa->sa_family) {
	case AF_INET:
		s4 = (const void *)sa;
		return (addr_classify4(ntohl(s4->sin_addr.s_addr)));
	case AF_INET6:
		s6 = (const void *)sa;
		return (addr_classify6(s6->sin6_addr.s6_addr));
	default:
		/* Nothing stoked would connect to: refused. */
		return (ADDR_RESERVED);
	}
}

unsigned
addr_name_class(const char *host)
{
	size_t n;

	AN(host);
	n = strlen(host);
	/* A name's trailing dot (fully qualified) names the same host. */
	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == strlen("metadata.google.internal") &&
	    !strncasecmp(host, "metadata.google.internal", n))
		return (ADDR_METADATA);
	return (0);
}

/* The name has no address, as against DNS failing now. */
static int
addr_gai_none(int e)
{
#ifdef EAI_NODATA
	if (e == EAI_NODATA)
		return (1);
#endif
	return (e == EAI_NONAME);
}

unsigned
addr_resolve(const char *host, const char **why)
{
	struct addrinfo hints, *res, *ai;
	unsigned mask;
	int e;

	AN(host);
	AN(why);
	/* Refused by its name, whether it resolves here or not. */
	mask = addr_name_class(host);
	if (mask != 0)
		return (mask);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	e = getaddrinfo(host, NULL, &hints, &res);
	if (e != 0) {
		*why = addr_gai_none(e) ? "the host does not resolve"
		                        : "the host could not be resolved now";
		return (0);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		mask |= (unsigned)addr_classify(ai->ai_addr);
	freeaddrinfo(res);
	if (mask == 0)
		*why = "the host resolves to no address";
	return (mask);
}

unsigned
addr_verdict(unsigned mask, int allow_private)
{
	unsigned allowed = ADDR_PUBLIC, bit;

	if (allow_private)
		allowed |= ADDR_LOOPBACK | ADDR_PRIVATE;
	for (bit = 1; bit <= ADDR_RESERVED; bit <<= 1)
		if ((mask & bit) && !(allowed & bit))
			return (bit);
	return (0);
}

const char *
addr_class_name(enum addr_class c)
{
	switch (c) {
	case ADDR_PUBLIC:
		return ("a public address");
	case ADDR_LOOPBACK:
		return ("a loopback address");
	case ADDR_PRIVATE:
		return ("a private network address");
	case ADDR_LINK_LOCAL:
		return ("a link-local address");
	case ADDR_METADATA:
		return ("a cloud metadata service");
	case ADDR_UNSPECIFIED:
		return ("the unspecified address");
	case ADDR_MULTICAST:
		return ("a multicast address");
	case ADDR_CGNAT:
		return ("a carrier-grade NAT address");
	case ADDR_RESERVED:
		return ("a reserved address");
	default:
		WRONG("address class");
	}
}
