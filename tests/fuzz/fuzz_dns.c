/*
 * fuzz_dns.c - libFuzzer harness for the DNS reply parser (src/dns.c,
 * dns_parse_reply). The first input byte picks the queried name and type;
 * the rest is the reply packet. Besides not crashing, a parse that
 * succeeds must respect the reply contract: at most DNS_MAX_ADDRS
 * addresses, all of the queried family, no TTL with the top bit set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[4] = { "a.test", "cname.test", "www.a.test", "x" };
	struct dns_reply r;
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	unsigned qtype = (sel & 1) ? 28 : 1;
	/* A copy of exactly the packet's size, so ASan sees any over-read. */
	size_t n = size - 1;
	unsigned char *pkt = malloc(n ? n : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + 1, n);
	if (dns_parse_reply(pkt, n, names[(sel >> 1) & 3], qtype, &r) == 0) {
		if (r.n > DNS_MAX_ADDRS || r.ttl > 0x7fffffffu || (r.n == 0 && r.ttl != 0))
			abort();
		if ((r.tc || r.rcode) && r.n)
			abort();
		for (unsigned i = 0; i < r.n; i++)
			if (r.addrs[i].family != (qtype == 1 ? AF_INET : AF_INET6))
				abort();
	}
	free(pkt);
	return 0;
}
