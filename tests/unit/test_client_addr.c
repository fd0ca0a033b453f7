/*
 * The client's address behind trusted proxies: a peer not trusted is
 * the client, whatever its header says; a trusted one's header is read
 * from the right past every trusted hop, and no further; what is not
 * an address stops the walk at the last hop believed.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vdef.h"
#include "vas.h"

#include "api/client_addr.h"

#include "unit.h"

static const char *
who(const struct client_trust *t, const char *peer, const char *xff)
{
	static char buf[CLIENT_ADDR_LEN];

	client_addr(t, peer, xff, buf, sizeof buf);
	return (buf);
}

static void
test_parse(void)
{
	struct client_trust *t = client_trust_new();
	char why[128];

	CHECK_INT_EQ(client_trust_add(t, "10.0.0.0/8", why, sizeof why), 0);
	CHECK_INT_EQ(client_trust_add(t, "192.0.2.7", why, sizeof why), 0);
	CHECK_INT_EQ(client_trust_add(t, "fd00::/8", why, sizeof why), 0);
	CHECK_INT_EQ(client_trust_add(t, "::1", why, sizeof why), 0);
	CHECK_INT_EQ(client_trust_n(t), 4);
	CHECK_INT_EQ(client_trust_add(t, "10.0.0.0/33", why, sizeof why), -1);
	CHECK(strstr(why, "prefix") != NULL);
	CHECK_INT_EQ(client_trust_add(t, "fd00::/129", why, sizeof why), -1);
	CHECK_INT_EQ(client_trust_add(t, "10.0.0.0/", why, sizeof why), -1);
	CHECK_INT_EQ(client_trust_add(t, "10.0.0.0/8x", why, sizeof why), -1);
	CHECK_INT_EQ(client_trust_add(t, "example.com", why, sizeof why), -1);
	CHECK(strstr(why, "not an address") != NULL);
	CHECK_INT_EQ(client_trust_add(t, "", why, sizeof why), -1);
	CHECK_INT_EQ(client_trust_n(t), 4);
	client_trust_free(&t);
	CHECK(t == NULL);
}

static void
test_walk(void)
{
	struct client_trust *t = client_trust_new();
	char why[128];

	AZ(client_trust_add(t, "10.0.0.0/8", why, sizeof why));
	AZ(client_trust_add(t, "fd00::/8", why, sizeof why));

	/* Nobody trusted: the peer, whatever the header. */
	CHECK_STR_EQ(who(NULL, "10.1.1.1", "6.6.6.6"), "10.1.1.1");
	CHECK_STR_EQ(who(t, "198.51.100.9", "6.6.6.6"), "198.51.100.9");
	/* A trusted peer without the header: itself. */
	CHECK_STR_EQ(who(t, "10.1.1.1", NULL), "10.1.1.1");
	/* One trusted hop. */
	CHECK_STR_EQ(who(t, "10.1.1.1", "203.0.113.5"), "203.0.113.5");
	/* A client's own claim, left of the address its proxy saw. */
	CHECK_STR_EQ(who(t, "10.1.1.1", "1.2.3.4, 203.0.113.5"), "203.0.113.5");
	/* Two trusted hops, spaces as proxies write them. */
	CHECK_STR_EQ(who(t, "10.1.1.1", "1.2.3.4,203.0.113.5 ,  10.9.9.9"),
	    "203.0.113.5");
	/* Every hop trusted: the leftmost. */
	CHECK_STR_EQ(who(t, "10.1.1.1", "10.2.2.2, 10.3.3.3"), "10.2.2.2");
	/* Garbage: the last hop believed. */
	CHECK_STR_EQ(who(t, "10.1.1.1", "nonsense, 10.3.3.3"), "10.3.3.3");
	CHECK_STR_EQ(who(t, "10.1.1.1", "203.0.113.5,"), "10.1.1.1");
	CHECK_STR_EQ(who(t, "10.1.1.1", ""), "10.1.1.1");
	CHECK_STR_EQ(who(t, "10.1.1.1", " , "), "10.1.1.1");
	/* IPv6, and IPv4 seen through a dual-stack socket. */
	CHECK_STR_EQ(who(t, "fd00::1", "2001:db8::7"), "2001:db8::7");
	CHECK_STR_EQ(who(t, "::ffff:10.1.1.1", "2001:db8::7, fd12::1"),
	    "2001:db8::7");
	/* Not a network's neighbour. */
	CHECK_STR_EQ(who(t, "11.0.0.1", "203.0.113.5"), "11.0.0.1");
	client_trust_free(&t);
}

static void
test_prefix_bits(void)
{
	struct client_trust *t = client_trust_new();
	char why[128];

	AZ(client_trust_add(t, "192.0.2.128/25", why, sizeof why));
	CHECK_STR_EQ(who(t, "192.0.2.200", "203.0.113.5"), "203.0.113.5");
	CHECK_STR_EQ(who(t, "192.0.2.127", "203.0.113.5"), "192.0.2.127");
	client_trust_free(&t);
}

int
main(void)
{
	test_parse();
	test_walk();
	test_prefix_bits();
	return (unit_done());
}
