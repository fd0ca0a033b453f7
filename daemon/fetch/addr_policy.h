/*
 * Where stoked may fetch for a tenant.  A tenant names URLs (a website,
 * its sitemap, its Varnish nodes) that stoked will later request from
 * inside the operator's network; a URL that resolves to that network
 * (loopback, private ranges, a cloud's metadata service) would let a
 * tenant read what only the operator should.  So each URL is parsed
 * strictly (http or https, a host, a port, no credentials) and every
 * address its host resolves to is classified; one refused address
 * refuses the URL.
 *
 * Pure but for addr_resolve(), which blocks (getaddrinfo): call it off
 * the loop, and decide with addr_verdict() on it.  Checking a URL when
 * it is saved does not make fetching it safe (DNS may answer otherwise
 * later): whoever connects must check the address it connects to.
 */

#ifndef STOKE_ADDR_POLICY_H
#define STOKE_ADDR_POLICY_H

#include <stddef.h>

struct sockaddr;

#define ADDR_URL_MAX 2048
#define ADDR_HOST_MAX 255

/* What an address is.  One bit each, so that a host's addresses make
 * one mask. */
enum addr_class {
	ADDR_PUBLIC = 1U << 0,
	ADDR_LOOPBACK = 1U << 1, /* 127/8, ::1 */
	ADDR_PRIVATE = 1U << 2, /* 10/8, 172.16/12, 192.168/16, fc00::/7 */
	ADDR_LINK_LOCAL = 1U << 3, /* 169.254/16, fe80::/10 */
	ADDR_METADATA = 1U << 4, /* a cloud's metadata service */
	ADDR_UNSPECIFIED = 1U << 5, /* 0.0.0.0/8, :: */
	ADDR_MULTICAST = 1U << 6, /* 224/4, ff00::/8 */
	ADDR_CGNAT = 1U << 7, /* 100.64/10 */
	ADDR_RESERVED = 1U << 8, /* 240/4 and broadcast */
};

struct addr_url {
	int https;
	char host[ADDR_HOST_MAX + 1]; /* lower case; an IPv6 address bare */
	unsigned port; /* the scheme's when not given */
	int has_port; /* the URL named a port */
	int has_path; /* anything after the authority but a lone "/" */
};

/*
 * Parses an absolute http(s) URL.  0, or -1 with *why set to what is
 * wrong with it (a static string).
 */
int addr_url_parse(const char *url, struct addr_url *, const char **why);

/* host is it, or a name under it ("shop.example" holds "cdn.shop.example");
 * both lower case. */
int addr_host_within(const char *host, const char *domain);

/* The class of one address (AF_INET, AF_INET6); an IPv4 address inside
 * IPv6 (mapped, NAT64) is classed as the IPv4 one. */
enum addr_class addr_classify(const struct sockaddr *);
/* The class of a host named for a metadata service, or 0. */
unsigned addr_name_class(const char *host);

/*
 * Blocks.  The classes of every address host resolves to, as a mask
 * (with addr_name_class()'s); 0 with *why when it does not resolve.
 */
unsigned addr_resolve(const char *host, const char **why);

/* The first class of mask that is refused, or 0 when all are allowed.
 * allow_private allows loopback and private addresses, nothing else. */
unsigned addr_verdict(unsigned mask, int allow_private);
/* "loopback", "a private network"...: for a message. */
const char *addr_class_name(enum addr_class);

#endif
