/*
 * dns.h - a small non-blocking stub resolver.
 *
 * Answers come from, in order: literal addresses, the hosts file (read at
 * dns_init and on dns_reload), the cache (positive answers kept for their
 * TTL, capped; NXDOMAIN/NODATA kept about 30 s), then UDP queries for A and
 * AAAA to the configured nameservers (from resolv.conf, or given
 * explicitly, with an optional port), retried across servers with a
 * per-try timeout. Answers are checked against the source address, query
 * id, name and type; truncated or malformed replies are ignored or count as
 * a failed try. There is no TCP fallback, no search list and no ndots: a
 * name is queried exactly as given.
 *
 * The resolver owns one UDP socket per address family in use and a fixed
 * table of in-flight lookups allocated at dns_init(). A caller embeds a
 * struct dns_req in its object; identical names in flight share one query.
 * Nothing blocks: the socket is watched by the loop (loop.h), and every
 * retry runs on a loop timer. dns_init() and dns_reload() read files and
 * allocate; dns_resolve() and dns_cancel() never allocate.
 *
 * Loop budget: dns_init() must run after loop_init(); the resolver uses up
 * to 2 fds (one per family) and 2 * max_inflight timers.
 */
#ifndef LLMGW_DNS_H
#define LLMGW_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define DNS_MAX_ADDRS 8
#define DNS_NAME_MAX 255
#define DNS_MAX_SERVERS 8	/* nameservers used; later ones are ignored */
#define DNS_MAX_ATTEMPTS 8	/* cap on dns_options.attempts */

struct dns_addr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network order; 4 bytes used for AF_INET */
};

/* Zero fields take the defaults. The strings are copied by dns_init(). */
struct dns_options {
	const char *resolv_conf;	/* default "/etc/resolv.conf" */
	const char *hosts_file;		/* default "/etc/hosts" */
	const char *const *servers;	/* NULL-terminated "ip", "ip:port", "[v6]:port"; overrides resolv.conf */
	unsigned timeout_ms;		/* per try; default 1000 */
	unsigned attempts;		/* tries over all servers, per query type; default 3, max DNS_MAX_ATTEMPTS */
	unsigned max_inflight;		/* concurrent distinct lookups; default 16 */
	unsigned cache_size;		/* cached names; default 64 */
	unsigned max_ttl_s;		/* cap on cached TTLs; default 3600 */
};

struct dns_req;
/* err is 0 on success (n >= 1 addresses, IPv4 first), or a negative
 * DNS_E* code. Called from the loop, never from inside dns_resolve().
 * addrs is valid only during the call. The callback may call dns_resolve,
 * dns_cancel and dns_reload, but not dns_free. */
typedef void (*dns_cb)(struct dns_req *r, int err, const struct dns_addr *addrs, unsigned n);

struct dns_req {			/* embed in the caller's object */
	dns_cb cb;
	struct dns_req *next;		/* waiters on the same lookup */
	int lookup;			/* internal: slot, -1 when idle */
};

enum { DNS_ENOTFOUND = -1, DNS_ETIMEOUT = -2, DNS_EBUSY = -3, DNS_EBADNAME = -4, DNS_ESERVFAIL = -5 };

/* Reads resolv.conf (unless o->servers is set; no nameserver line means
 * 127.0.0.1, like glibc) and the hosts file (a missing file is empty),
 * seeds the query-id generator, opens the UDP sockets and registers them
 * with the loop, and allocates the lookup table and the cache. o may be
 * NULL. 0 on success; -1 with a message in err on failure. */
int dns_init(const struct dns_options *o, char *err, size_t errlen);
/* Releases everything; pending requests are dropped without callbacks. */
void dns_free(void);
/* Re-reads resolv.conf (unless servers were given explicitly) and hosts
 * and empties the cache (SIGHUP). Lookups in flight finish against the
 * servers they were sent to, but their answers are not cached. On error
 * (-1, message in err) the previous configuration stays. */
int dns_reload(char *err, size_t errlen);

/* Resolves name. Returns n >= 1 with addresses copied to out (up to max)
 * when the answer is known now (literal, hosts, cache); 0 when a lookup is
 * under way and cb(r, ...) will be called later; or a negative DNS_E* code
 * (DNS_EBUSY: too many lookups in flight, or no dns_init; DNS_ENOTFOUND
 * may come straight from the negative cache). If out is NULL or max is 0,
 * the number of known addresses is returned and nothing is copied. A name
 * is 1..253 printable ASCII characters (one trailing dot allowed), labels
 * 1..63, compared case-insensitively. If r is still pending it is
 * cancelled first.
 *
 * When the last waiter of a lookup cancels, the lookup keeps running so
 * that its answer fills the cache; such an orphaned lookup gives up its
 * slot to a new lookup when the table is full. */
int dns_resolve(struct dns_req *r, const char *name, struct dns_addr *out, unsigned max, dns_cb cb);
/* Cancels a pending request: its callback will not be called. Safe on an
 * idle request. */
void dns_cancel(struct dns_req *r);
static inline void dns_req_init(struct dns_req *r) { r->cb = 0; r->next = 0; r->lookup = -1; }
const char *dns_strerror(int err);

/* Writes the nameservers in use, e.g. "127.0.0.1:53 [::1]:5353", for
 * start-up logs and the status page. Returns the number of servers. */
unsigned dns_format_servers(char *buf, size_t len);

/* For tests and fuzzing: the reply parser the resolver uses, without the
 * id and source checks. Returns 0 when pkt is a well-formed reply to a
 * query for name/qtype (1 = A, 28 = AAAA) and fills out; -1 when it must
 * be ignored. out->addrs holds the records of qtype owned by name or by a
 * CNAME target chained from it; out->ttl is the minimum TTL of the records
 * used (0 when none). The answer section is only read when rcode is 0 and
 * TC is clear. */
struct dns_reply {
	int rcode;
	int tc;
	unsigned n;
	uint32_t ttl;
	struct dns_addr addrs[DNS_MAX_ADDRS];
};
int dns_parse_reply(const unsigned char *pkt, size_t len, const char *name, unsigned qtype, struct dns_reply *out);

#endif
