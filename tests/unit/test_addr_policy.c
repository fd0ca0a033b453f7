/*
 * Unit tests for fetch/addr_policy.c: URLs parsed strictly (scheme,
 * host, port, no credentials), hosts within a domain, every address
 * class (IPv4, IPv6, IPv4 inside IPv6), the metadata name, the verdict
 * with and without --allow-private, and resolving a literal and
 * localhost.
 */

#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fetch/addr_policy.h"
#include "unit.h"

static int
parses(const char *url)
{
	struct addr_url u;
	const char *why;

	return (addr_url_parse(url, &u, &why) == 0);
}

static void
test_parse(void)
{
	struct addr_url u;
	const char *why = NULL;
	char long_url[ADDR_URL_MAX + 2];

	CHECK(addr_url_parse("https://Shop.Example:8443/a?b#c", &u, &why) == 0);
	CHECK_STR_EQ(u.host, "shop.example");
	CHECK(u.https && u.port == 8443 && u.has_port && u.has_path);
	CHECK(addr_url_parse("http://shop.example", &u, &why) == 0);
	CHECK(!u.https && u.port == 80 && !u.has_port && !u.has_path);
	CHECK(addr_url_parse("http://shop.example/", &u, &why) == 0);
	CHECK(!u.has_path);
	CHECK(addr_url_parse("http://[::FFFF:127.0.0.1]:81", &u, &why) == 0);
	CHECK_STR_EQ(u.host, "::ffff:127.0.0.1");
	CHECK(u.port == 81);

	CHECK(addr_url_parse("http://user:pw@shop.example/", &u, &why) != 0);
	CHECK(why != NULL && strstr(why, "credentials") != NULL);
	CHECK(!parses("http://@shop.example/"));
	CHECK(parses("http://shop.example/a@b")); /* '@' in the path */
	CHECK(!parses("ftp://shop.example/"));
	CHECK(!parses("file:///etc/passwd"));
	CHECK(!parses("gopher://shop.example/"));
	CHECK(!parses("//shop.example/"));
	CHECK(!parses("http://"));
	CHECK(!parses("http:///path"));
	CHECK(!parses("http://:80/"));
	CHECK(!parses("http://shop.example:/"));
	CHECK(!parses("http://shop.example:0/"));
	CHECK(!parses("http://shop.example:65536/"));
	CHECK(!parses("http://shop.example:80a/"));
	CHECK(!parses("http://shop example/"));
	CHECK(!parses("http://shop.example/\n"));
	CHECK(!parses("http://sh%6fp.example/"));
	CHECK(!parses("http://.shop.example/"));
	CHECK(!parses("http://shop..example/"));
	CHECK(!parses("http://[::1/"));
	CHECK(!parses("http://[fe80::1%25eth0]/"));
	CHECK(!parses("http://shöp.example/"));
	memset(long_url, 'a', sizeof long_url - 1);
	memcpy(long_url, "http://x/", 9);
	long_url[sizeof long_url - 1] = '\0';
	CHECK(!parses(long_url));
	long_url[sizeof long_url - 2] = '\0';
	CHECK(parses(long_url));
}

static void
test_within(void)
{
	CHECK(addr_host_within("shop.example", "shop.example"));
	CHECK(addr_host_within("cdn.shop.example", "shop.example"));
	CHECK(!addr_host_within("evilshop.example", "shop.example"));
	CHECK(!addr_host_within("shop.example.evil", "shop.example"));
	CHECK(!addr_host_within("example", "shop.example"));
}

static unsigned
class4(const char *a)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof s);
	s.sin_family = AF_INET;
	if (inet_pton(AF_INET, a, &s.sin_addr) != 1)
		return (~0U);
	return (addr_classify((const struct sockaddr *)&s));
}

static unsigned
class6(const char *a)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof s);
	s.sin6_family = AF_INET6;
	if (inet_pton(AF_INET6, a, &s.sin6_addr) != 1)
		return (~0U);
	return (addr_classify((const struct sockaddr *)&s));
}

static void
test_classes(void)
{
	CHECK(class4("8.8.8.8") == ADDR_PUBLIC);
	CHECK(class4("93.184.216.34") == ADDR_PUBLIC);
	CHECK(class4("127.0.0.1") == ADDR_LOOPBACK);
	CHECK(class4("127.255.0.9") == ADDR_LOOPBACK);
	CHECK(class4("10.0.0.5") == ADDR_PRIVATE);
	CHECK(class4("172.16.0.1") == ADDR_PRIVATE);
	CHECK(class4("172.31.255.255") == ADDR_PRIVATE);
	CHECK(class4("172.32.0.1") == ADDR_PUBLIC);
	CHECK(class4("172.15.255.255") == ADDR_PUBLIC);
	CHECK(class4("192.168.1.1") == ADDR_PRIVATE);
	CHECK(class4("169.254.169.254") == ADDR_METADATA);
	CHECK(class4("169.254.0.1") == ADDR_LINK_LOCAL);
	CHECK(class4("0.0.0.0") == ADDR_UNSPECIFIED);
	CHECK(class4("0.1.2.3") == ADDR_UNSPECIFIED);
	CHECK(class4("224.0.0.1") == ADDR_MULTICAST);
	CHECK(class4("239.255.255.250") == ADDR_MULTICAST);
	CHECK(class4("100.64.0.1") == ADDR_CGNAT);
	CHECK(class4("100.100.100.200") == ADDR_CGNAT);
	CHECK(class4("100.127.255.255") == ADDR_CGNAT);
	CHECK(class4("100.128.0.1") == ADDR_PUBLIC);
	CHECK(class4("255.255.255.255") == ADDR_RESERVED);
	CHECK(class4("240.0.0.1") == ADDR_RESERVED);

	CHECK(class6("2001:db8::1") == ADDR_PUBLIC);
	CHECK(class6("2606:4700::1111") == ADDR_PUBLIC);
	CHECK(class6("::1") == ADDR_LOOPBACK);
	CHECK(class6("::") == ADDR_UNSPECIFIED);
	CHECK(class6("fc00::1") == ADDR_PRIVATE);
	CHECK(class6("fd00:ec2::254") == ADDR_PRIVATE);
	CHECK(class6("fe80::1") == ADDR_LINK_LOCAL);
	CHECK(class6("febf::1") == ADDR_LINK_LOCAL);
	CHECK(class6("fec0::1") == ADDR_PUBLIC);
	CHECK(class6("ff02::1") == ADDR_MULTICAST);
	CHECK(class6("::ffff:127.0.0.1") == ADDR_LOOPBACK);
	CHECK(class6("::ffff:10.1.2.3") == ADDR_PRIVATE);
	CHECK(class6("::ffff:169.254.169.254") == ADDR_METADATA);
	CHECK(class6("::ffff:8.8.8.8") == ADDR_PUBLIC);
	CHECK(class6("64:ff9b::a9fe:a9fe") == ADDR_METADATA);
	CHECK(class6("::127.0.0.1") == ADDR_LOOPBACK);

	CHECK(addr_name_class("metadata.google.internal") == ADDR_METADATA);
	CHECK(addr_name_class("Metadata.Google.Internal.") == ADDR_METADATA);
	CHECK(addr_name_class("metadata.google.internal.evil") == 0);
	CHECK(addr_name_class("shop.example") == 0);
}

static void
test_verdict(void)
{
	CHECK(addr_verdict(ADDR_PUBLIC, 0) == 0);
	CHECK(addr_verdict(ADDR_PUBLIC | ADDR_LOOPBACK, 0) == ADDR_LOOPBACK);
	CHECK(addr_verdict(ADDR_PRIVATE, 0) == ADDR_PRIVATE);
	CHECK(addr_verdict(ADDR_PRIVATE | ADDR_LOOPBACK, 1) == 0);
	CHECK(addr_verdict(ADDR_LINK_LOCAL, 1) == ADDR_LINK_LOCAL);
	CHECK(addr_verdict(ADDR_METADATA, 1) == ADDR_METADATA);
	CHECK(addr_verdict(ADDR_UNSPECIFIED, 1) == ADDR_UNSPECIFIED);
	CHECK(addr_verdict(ADDR_MULTICAST, 1) == ADDR_MULTICAST);
	CHECK(addr_verdict(ADDR_CGNAT, 1) == ADDR_CGNAT);
	CHECK(addr_verdict(ADDR_RESERVED, 1) == ADDR_RESERVED);
	CHECK_STR_EQ(addr_class_name(ADDR_METADATA),
	    "a cloud metadata service");
}

static void
test_resolve(void)
{
	const char *why = NULL;

	CHECK(addr_resolve("127.0.0.1", &why) == ADDR_LOOPBACK);
	CHECK(addr_resolve("10.0.0.5", &why) == ADDR_PRIVATE);
	CHECK(addr_resolve("::ffff:169.254.169.254", &why) == ADDR_METADATA);
	/* inet_aton's shorthands reach loopback too */
	CHECK(addr_resolve("127.1", &why) == ADDR_LOOPBACK);
	CHECK(addr_resolve("2130706433", &why) == ADDR_LOOPBACK);
	CHECK((addr_resolve("localhost", &why) & ~ADDR_LOOPBACK) == 0);
	CHECK(addr_resolve("localhost", &why) != 0);
	CHECK(addr_resolve("metadata.google.internal", &why) == ADDR_METADATA);
	CHECK(addr_resolve("no-such-host.invalid", &why) == 0);
	CHECK(why != NULL);
}

int
main(void)
{
	test_parse();
	test_within();
	test_classes();
	test_verdict();
	test_resolve();
	return (unit_done());
}
