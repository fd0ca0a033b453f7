/*
 * The networks trusted to say who their client is, and the walk along
 * X-Forwarded-For (client_addr.h).  Addresses are compared as 16 bytes:
 * IPv4 ones, and IPv4-mapped IPv6 ones, as ::ffff:a.b.c.d, so that a
 * dual-stack listener's peers match the IPv4 networks they belong to.
 */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "client_addr.h"

struct client_net {
	unsigned char addr[16];
	unsigned bits; /* of the 128 */
};

struct client_trust {
	unsigned magic;
#define CLIENT_TRUST_MAGIC 0xc11e7a55
	struct client_net net[CLIENT_ADDR_MAX_NETS];
	unsigned n;
};

struct client_trust *
client_trust_new(void)
{
	struct client_trust *t;

	ALLOC_OBJ(t, CLIENT_TRUST_MAGIC);
	AN(t);
	return (t);
}

void
client_trust_free(struct client_trust **tp)
{
	struct client_trust *t;

	TAKE_OBJ_NOTNULL(t, tp, CLIENT_TRUST_MAGIC);
	FREE_OBJ(t);
}

unsigned
client_trust_n(const struct client_trust *t)
{
	if (t == NULL)
		return (0);
	CHECK_OBJ(t, CLIENT_TRUST_MAGIC);
	return (t->n);
}

/* An address as 16 bytes; *v4: it was an IPv4 one (or mapped). */
static int
addr_parse(const char *s, unsigned char a[16], int *v4)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a + 12) == 1) {
		memcpy(a, mapped, sizeof mapped);
		*v4 = 1;
		return (0);
	}
	if (inet_pton(AF_INET6, s, a) != 1)
		return (-1);
	*v4 = memcmp(a, mapped, sizeof mapped) == 0;
	return (0);
}

int
client_trust_add(struct client_trust *t, const char *cidr, char *why,
    size_t whylen)
{
	struct client_net *n;
	char buf[CLIENT_ADDR_LEN + 8], *slash, *end;
	unsigned long bits;
	int v4;

	CHECK_OBJ_NOTNULL(t, CLIENT_TRUST_MAGIC);
	AN(cidr);
	if (t->n == CLIENT_ADDR_MAX_NETS) {
		snprintf(why, whylen, "more than %d trusted networks",
		    CLIENT_ADDR_MAX_NETS);
		return (-1);
	}
	if (strlen(cidr) >= sizeof buf) {
		snprintf(why, whylen, "%s: not an address or network", cidr);
		return (-1);
	}
	strcpy(buf, cidr);
	n = &t->net[t->n];
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (addr_parse(buf, n->addr, &v4) != 0) {
		snprintf(why, whylen, "%s: not an address or network", cidr);
		return (-1);
	}
	n->bits = 128;
	if (slash != NULL) {
		errno = 0;
		bits = strtoul(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || errno != 0 ||
		    bits > (v4 ? 32UL : 128UL)) {
			snprintf(why, whylen, "%s: bad prefix length", cidr);
			return (-1);
		}
		n->bits = (unsigned)bits + (v4 ? 96 : 0);
	}
	t->n++;
	return (0);
}

static int
net_has(const struct client_net *n, const unsigned char a[16])
{
	unsigned full = n->bits / 8, rest = n->bits % 8;
	unsigned char mask;

	if (memcmp(n->addr, a, full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = (unsigned char)(0xff << (8 - rest));
	return ((n->addr[full] & mask) == (a[full] & mask));
}

int
client_trusted(const struct client_trust *t, const char *s)
{
	unsigned char a[16];
	unsigned i;
	int v4;

	AN(s);
	if (t == NULL)
		return (0);
	CHECK_OBJ(t, CLIENT_TRUST_MAGIC);
	if (addr_parse(s, a, &v4) != 0)
		return (0);
	for (i = 0; i < t->n; i++)
		if (net_has(&t->net[i], a))
			return (1);
	return (0);
}

void
client_addr(const struct client_trust *t, const char *peer, const char *xff,
    char *buf, size_t buflen)
{
	char hop[CLIENT_ADDR_LEN];
	unsigned char a[16];
	const char *e, *b;
	size_t l;
	int v4;

	AN(peer);
	AN(buf);
	snprintf(buf, buflen, "%s", peer);
	if (t == NULL || xff == NULL || !client_trusted(t, peer))
		return;
	CHECK_OBJ(t, CLIENT_TRUST_MAGIC);
	/* From the right: each hop trusted says who came before it. */
	e = xff + strlen(xff);
	while (e > xff) {
		for (b = e; b > xff && b[-1] != ','; b--)
			continue;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		l = (size_t)(e - b);
		while (l > 0 && (b[l - 1] == ' ' || b[l - 1] == '\t'))
			l--;
		/* Not an address: what the client wrote, not a proxy's; the
		 * last hop believed is the answer. */
		if (l == 0 || l >= sizeof hop)
			return;
		memcpy(hop, b, l);
		hop[l] = '\0';
		if (addr_parse(hop, a, &v4) != 0)
			return;
		snprintf(buf, buflen, "%s", hop);
		if (!client_trusted(t, hop))
			return;
		e = b;
		while (e > xff && e[-1] != ',')
			e--;
		if (e > xff)
			e--; /* the comma */
	}
}
