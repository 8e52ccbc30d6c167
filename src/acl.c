/*
 * acl.c - address ACLs (see acl.h): CIDR text into networks, and the
 * prefix match of a peer address. Addresses are read by fmt_ip_parse(),
 * the inet_pton of fmt.c.
 */
#include <netinet/in.h>
#include <string.h>
#include "acl.h"
#include "fmt.h"

static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Clears the bits of a past its first `bits`; whether any was set. */
static int mask(unsigned char a[16], unsigned bits)
{
	int had = 0;
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;
		unsigned char m = (unsigned char)(0xff00u >> keep);
		had |= (a[i] & ~m) != 0;
		a[i] &= m;
	}
	return had;
}

int acl_parse(const char *s, struct acl_net *out)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned bits = 0;

	memset(out, 0, sizeof *out);
	if (n == 0 || n >= sizeof addr)
		return ACL_BAD_ADDRESS;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (fmt_ip_parse(0, addr, out->addr + 12)) {
		memcpy(out->addr, v4_mapped, sizeof v4_mapped);
		out->v4 = 1;
	} else if (!fmt_ip_parse(1, addr, out->addr)) {
		return ACL_BAD_ADDRESS;
	}
	unsigned max = out->v4 ? 32 : 128;
	if (!slash) {
		bits = max;
	} else {
		const char *p = slash + 1;
		if (!*p || (p[0] == '0' && p[1]))
			return ACL_BAD_PREFIX;
		for (; *p; p++) {
			if (*p < '0' || *p > '9' || (bits = bits * 10 + (unsigned)(*p - '0')) > max)
				return ACL_BAD_PREFIX;
		}
	}
	out->bits = (unsigned char)(bits + (out->v4 ? 96 : 0));
	return mask(out->addr, out->bits) ? ACL_HOST_BITS : 0;
}

const char *acl_format(const struct acl_net *n, char *buf, size_t cap)
{
	char ip[64];
	fmt_ip(!n->v4, n->v4 ? n->addr + 12 : n->addr, ip, sizeof ip);
	fmt_snprintf(buf, cap, "%s/%u", ip, n->bits - (n->v4 ? 96u : 0u));
	return buf;
}

int acl_allows(const struct acl_net *nets, unsigned n, const struct sockaddr *sa)
{
	unsigned char a[16];

	if (n == 0)
		return 1;
	if (sa->sa_family == AF_INET) {
		memcpy(a, v4_mapped, sizeof v4_mapped);
		memcpy(a + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	} else {
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned char m[16];
		memcpy(m, a, 16);
		mask(m, nets[i].bits);
		if (memcmp(m, nets[i].addr, 16) == 0)
			return 1;
	}
	return 0;
}
