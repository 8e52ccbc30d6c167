/*
 * acl.h - address ACLs: the networks of `list allow_cidr` (IPv4 and IPv6,
 * "192.168.1.0/24", "fd00::/8", or a bare address for one host) and the
 * check a listener makes on a new connection before reading a byte of it.
 *
 * An IPv4 network is kept as its IPv4-mapped IPv6 network (::ffff:a.b.c.d,
 * prefix + 96), and a peer's IPv4 address is mapped the same way, so a
 * client of a dual-stack socket (which the kernel reports as
 * ::ffff:192.168.1.5) and of an IPv4 socket compare alike.
 *
 * Pure functions on caller-owned memory: no allocation, nothing blocks.
 */
#ifndef LLMGW_ACL_H
#define LLMGW_ACL_H

#include <sys/socket.h>

struct acl_net {
	unsigned char addr[16];		/* IPv6, or IPv4-mapped; bits past the prefix are 0 */
	unsigned char bits;		/* prefix length, 0..128 */
	unsigned char v4;		/* written as IPv4 (for messages) */
};

enum {
	ACL_BAD_ADDRESS = -1,		/* not an IPv4 or IPv6 address */
	ACL_BAD_PREFIX = -2,		/* the length after '/' is not 0..32 (IPv4) or 0..128 */
	ACL_HOST_BITS = -3,		/* bits set past the prefix: *out holds the network */
};

/* Parses "ADDRESS/LENGTH" or "ADDRESS" (one host) into *out: 0, or one of
 * the ACL_ errors above. */
int acl_parse(const char *s, struct acl_net *out);

/* The network as text ("192.168.1.0/24", "fd00::/8") into buf; returns buf. */
const char *acl_format(const struct acl_net *n, char *buf, size_t cap);

/* Whether the peer address sa (AF_INET or AF_INET6; any other family is
 * refused) lies in one of nets[0..n). n == 0: no list, everyone is let in. */
int acl_allows(const struct acl_net *nets, unsigned n, const struct sockaddr *sa);

#endif
