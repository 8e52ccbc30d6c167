/*
 * test_acl.c - unit tests for acl.c: allow_cidr text into networks (IPv4,
 * IPv6, bare hosts, every malformed shape), the text form back, and the
 * prefix match of peer addresses, IPv4-mapped IPv6 peers included.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "acl.h"
#include "test.h"

static struct sockaddr_storage peer(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	return ss;
}

static int allows(const struct acl_net *nets, unsigned n, const char *ip)
{
	struct sockaddr_storage ss = peer(ip);
	return acl_allows(nets, n, (const struct sockaddr *)&ss);
}

static int round_trip(const char *in, const char *want)
{
	struct acl_net n;
	char buf[80];
	if (acl_parse(test_guard_copy(in, strlen(in) + 1), &n) != 0)
		return 0;
	acl_format(&n, buf, sizeof buf);
	if (strcmp(buf, want) != 0) {
		fprintf(stderr, "  %s -> %s, want %s\n", in, buf, want);
		return 0;
	}
	return 1;
}

TEST(test_parse)
{
	struct acl_net n;
	CHECK(round_trip("192.168.1.0/24", "192.168.1.0/24"));
	CHECK(round_trip("10.0.0.0/8", "10.0.0.0/8"));
	CHECK(round_trip("127.0.0.1/32", "127.0.0.1/32"));
	CHECK(round_trip("127.0.0.2", "127.0.0.2/32"));
	CHECK(round_trip("0.0.0.0/0", "0.0.0.0/0"));
	CHECK(round_trip("fd00::/8", "fd00::/8"));
	CHECK(round_trip("::1", "::1/128"));
	CHECK(round_trip("::/0", "::/0"));
	CHECK(round_trip("2001:db8::/32", "2001:db8::/32"));
	CHECK(round_trip("fe80::/10", "fe80::/10"));

	CHECK_EQ_INT(acl_parse("192.168.1.0/24", &n), 0);
	CHECK(n.v4 && n.bits == 120);
	CHECK_EQ_INT(acl_parse("fd00::/8", &n), 0);
	CHECK(!n.v4 && n.bits == 8 && n.addr[0] == 0xfd);

	/* Bits past the prefix: an error, with the network it meant. */
	char buf[80];
	CHECK_EQ_INT(acl_parse("192.168.1.5/24", &n), ACL_HOST_BITS);
	CHECK(strcmp(acl_format(&n, buf, sizeof buf), "192.168.1.0/24") == 0);
	CHECK_EQ_INT(acl_parse("fd00::1/8", &n), ACL_HOST_BITS);
	CHECK(strcmp(acl_format(&n, buf, sizeof buf), "fd00::/8") == 0);
	CHECK_EQ_INT(acl_parse("10.0.0.1/31", &n), ACL_HOST_BITS);

	static const char *const bad_addr[] = {
		"", "/24", "192.168.1/24", "192.168.1.256/24", "192.168.01.0/24", "host.lan/24",
		"192.168.1.0 /24", " 192.168.1.0/24", "[::1]/128", "1.2.3.4.5",
		"fe80::1%eth0/64", "::ffff:1.2.3/96",
	};
	for (size_t i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++) {
		int r = acl_parse(test_guard_copy(bad_addr[i], strlen(bad_addr[i]) + 1), &n);
		if (r != ACL_BAD_ADDRESS)
			fprintf(stderr, "  '%s' gave %d\n", bad_addr[i], r);
		CHECK_EQ_INT(r, ACL_BAD_ADDRESS);
	}
	static const char *const bad_prefix[] = {
		"10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08", "10.0.0.0/8x",
		"10.0.0.0/ 8", "::/129", "::/1280", "::/99999999999999999999", "10.0.0.0/0x8", "fd00::/8/8",
	};
	for (size_t i = 0; i < sizeof bad_prefix / sizeof bad_prefix[0]; i++) {
		int r = acl_parse(test_guard_copy(bad_prefix[i], strlen(bad_prefix[i]) + 1), &n);
		if (r != ACL_BAD_PREFIX)
			fprintf(stderr, "  '%s' gave %d\n", bad_prefix[i], r);
		CHECK_EQ_INT(r, ACL_BAD_PREFIX);
	}
	/* A long address text does not overrun anything. */
	char big[300];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK_EQ_INT(acl_parse(big, &n), ACL_BAD_ADDRESS);
}

static unsigned parse_list(struct acl_net *nets, const char *const *texts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (acl_parse(texts[i], &nets[i]) != 0)
			return 0;
	return n;
}

TEST(test_match)
{
	struct acl_net nets[4];
	static const char *const lan[] = { "192.168.1.0/24", "fd00::/8", "127.0.0.1/32" };
	unsigned n = parse_list(nets, lan, 3);
	REQUIRE(n == 3);

	CHECK(allows(nets, n, "192.168.1.1"));
	CHECK(allows(nets, n, "192.168.1.255"));
	CHECK(!allows(nets, n, "192.168.2.1"));
	CHECK(!allows(nets, n, "192.168.0.255"));
	CHECK(allows(nets, n, "127.0.0.1"));
	CHECK(!allows(nets, n, "127.0.0.2"));
	CHECK(allows(nets, n, "fd12:3456::1"));
	CHECK(allows(nets, n, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	CHECK(!allows(nets, n, "fe80::1"));
	CHECK(!allows(nets, n, "::1"));
	CHECK(!allows(nets, n, "2001:db8::1"));
	/* A dual-stack socket reports IPv4 peers as IPv4-mapped IPv6. */
	CHECK(allows(nets, n, "::ffff:192.168.1.7"));
	CHECK(allows(nets, n, "::ffff:127.0.0.1"));
	CHECK(!allows(nets, n, "::ffff:192.168.2.7"));
	CHECK(!allows(nets, n, "::ffff:127.0.0.2"));
	/* ... but not the other IPv6 forms of an IPv4 address. */
	CHECK(!allows(nets, n, "::192.168.1.7"));
	CHECK(!allows(nets, n, "64:ff9b::192.168.1.7"));

	/* Odd prefix lengths. */
	static const char *const odd[] = { "10.0.0.0/31", "fe80::/10" };
	n = parse_list(nets, odd, 2);
	REQUIRE(n == 2);
	CHECK(allows(nets, n, "10.0.0.0") && allows(nets, n, "10.0.0.1") && !allows(nets, n, "10.0.0.2"));
	CHECK(allows(nets, n, "fe80::1") && allows(nets, n, "febf::1") && !allows(nets, n, "fec0::1"));

	/* /0 takes everything of its kind; an IPv6 ::/0 also takes the
	 * IPv4 peers (they are ::ffff:a.b.c.d). */
	static const char *const all4[] = { "0.0.0.0/0" };
	n = parse_list(nets, all4, 1);
	CHECK(allows(nets, n, "8.8.8.8") && allows(nets, n, "::ffff:8.8.8.8") && !allows(nets, n, "2001:db8::1"));
	static const char *const all6[] = { "::/0" };
	n = parse_list(nets, all6, 1);
	CHECK(allows(nets, n, "2001:db8::1") && allows(nets, n, "8.8.8.8"));

	/* No list: everyone. Another family: no one. */
	CHECK(allows(nets, 0, "8.8.8.8"));
	struct sockaddr_storage unix_peer;
	memset(&unix_peer, 0, sizeof unix_peer);
	unix_peer.ss_family = AF_UNIX;
	CHECK(!acl_allows(nets, 1, (const struct sockaddr *)&unix_peer));
}

int main(void)
{
	test_suite = "acl";
	RUN(test_parse);
	RUN(test_match);
	return test_summary();
}
