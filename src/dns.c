/*
 * dns.c - the non-blocking stub resolver (see dns.h).
 *
 * Owns: the UDP sockets (one per family), the server list, the hosts table
 * (one buffer holding the file plus a sorted index), the cache and the
 * in-flight lookup table. All of it is allocated by dns_init(), the hosts
 * table and server list again by dns_reload(); the resolve path only
 * copies into those fixed tables. Nothing here blocks: files are read only
 * at init/reload, sockets are non-blocking, retries run on loop timers.
 *
 * A lookup holds two queries (A and AAAA), each with its own timer, tries
 * and server rotation: try t goes to server t % nservers with a fresh
 * random id. Every try remembers the id and the exact server it went to,
 * so a late answer to an earlier try is still accepted, and a reply is
 * matched only when id, source address and port agree; the question must
 * then match too, or the packet is ignored and the try keeps waiting.
 *
 * Query ids come from a ChaCha20 keystream keyed at init by port_random()
 * (the kernel CSPRNG), so they are not predictable from earlier ids.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "dns.h"
#include "loop.h"
#include "port.h"
#include "util.h"

#define WIRE_MAX 255		/* a name in wire form, root label included */
#define CHAIN_MAX 16		/* names in one CNAME chain, the queried one included */
#define NEG_TTL_S 30		/* NXDOMAIN/NODATA, and answers missing one family */
#define RECV_BUDGET 64		/* datagrams per readable event, so a flood cannot starve the loop */
#define PKT_MAX 4096
#define FILE_MAX (64u << 20)	/* a hosts file bigger than this is refused */
#define RESOLV_MAX (1u << 20)

enum { T_A = 1, T_CNAME = 5, T_AAAA = 28, C_IN = 1 };
enum { Q_PENDING, Q_OK, Q_NODATA, Q_NXDOMAIN, Q_FAIL, Q_TIMEOUT };
enum { L_FREE, L_ACTIVE, L_COMPLETING };

/* A nameserver as the socket address queries go to (the rest zero). */
struct server {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	};
};

struct try_rec {
	uint16_t id;
	unsigned char live;		/* sent and not yet failed */
	struct server srv;
};

struct query {
	struct loop_timer timer;
	unsigned lk;			/* index of the owning lookup */
	uint16_t type;
	/* From ntries to addrs: zeroed when a lookup starts. */
	unsigned ntries;
	int result;			/* Q_* */
	int saw_fail;			/* a server said SERVFAIL/REFUSED/TC/... */
	uint32_t ttl;			/* set with n, on Q_OK only */
	unsigned n;
	struct dns_addr addrs[DNS_MAX_ADDRS];
	struct try_rec tries[DNS_MAX_ATTEMPTS];
};

struct lookup {
	int state;			/* L_* */
	unsigned gen;			/* D.gen at start: reload makes the answer uncacheable */
	uint32_t hash;
	struct dns_req *waiters;
	size_t wirelen;
	char name[DNS_NAME_MAX + 1];	/* normalized: lowercase, no trailing dot */
	unsigned char wire[WIRE_MAX + 1];
	struct query q[2];		/* A, AAAA */
	struct dns_addr res[DNS_MAX_ADDRS];	/* handed to the callbacks */
};

struct cache_ent {
	int live;
	int err;			/* 0 or DNS_ENOTFOUND */
	uint32_t hash;
	unsigned n;
	int64_t expires, used;		/* monotonic ms */
	struct dns_addr addrs[DNS_MAX_ADDRS];
	char name[DNS_NAME_MAX + 1];
};

struct hosts_ent {
	const char *name;		/* into the hosts buffer, normalized */
	unsigned seq;			/* file order, for a stable sort */
	struct dns_addr addr;
};

static struct state {
	unsigned timeout_ms, attempts, max_inflight, cache_size, max_ttl_s;	/* first: small offsets */
	int inited;
	char *resolv_conf, *hosts_file;
	int explicit_servers;
	struct server servers[DNS_MAX_SERVERS];
	unsigned nservers;
	int fd[2];			/* AF_INET, AF_INET6 */
	struct loop_fd w[2];
	struct lookup *lk;
	struct cache_ent *cache;
	struct hosts_ent *hosts;
	unsigned nhosts;
	char *hosts_buf;
	unsigned gen;
	uint32_t rng_key[8];
	uint64_t rng_ctr;
	unsigned char rng_buf[64];
	unsigned rng_pos;
} D;

static void errf(char *err, size_t errlen, const char *msg, const char *arg)
{
	if (err && errlen)
		fmt_snprintf(err, errlen, "%s%s%s", msg, arg ? ": " : "", arg ? arg : "");
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t now_ms(void)
{
	/* Fresh, not loop_now(): a caller may resolve after a long callback. */
	return loop_now_us() / 1000;
}

/* ---- query ids: a ChaCha20 keystream ---- */

#define ROTL(a, b) (((a) << (b)) | ((a) >> (32 - (b))))

/* The eight quarter rounds of a ChaCha double round: the four columns,
 * then the four diagonals, as indices into the state. */
static const uint8_t qr_idx[8][4] = {
	{ 0, 4, 8, 12 }, { 1, 5, 9, 13 }, { 2, 6, 10, 14 }, { 3, 7, 11, 15 },
	{ 0, 5, 10, 15 }, { 1, 6, 11, 12 }, { 2, 7, 8, 13 }, { 3, 4, 9, 14 },
};

static void rng_refill(void)
{
	uint32_t in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 }, x[16];
	memcpy(in + 4, D.rng_key, sizeof D.rng_key);
	in[12] = (uint32_t)D.rng_ctr;
	in[13] = (uint32_t)(D.rng_ctr >> 32);
	D.rng_ctr++;
	memcpy(x, in, sizeof x);
	for (int i = 0; i < 80; i++) {
		const uint8_t *q = qr_idx[i & 7];
		uint32_t a = x[q[0]], b = x[q[1]], c = x[q[2]], d = x[q[3]];
		a += b; d ^= a; d = ROTL(d, 16); c += d; b ^= c; b = ROTL(b, 12);
		a += b; d ^= a; d = ROTL(d, 8); c += d; b ^= c; b = ROTL(b, 7);
		x[q[0]] = a, x[q[1]] = b, x[q[2]] = c, x[q[3]] = d;
	}
	for (int i = 0; i < 64; i++)
		D.rng_buf[i] = (unsigned char)((x[i >> 2] + in[i >> 2]) >> (8 * (i & 3)));
	D.rng_pos = 0;
}

static uint16_t rng_u16(void)
{
	if (D.rng_pos + 2 > sizeof D.rng_buf)
		rng_refill();
	uint16_t v = (uint16_t)(D.rng_buf[D.rng_pos] | D.rng_buf[D.rng_pos + 1] << 8);
	D.rng_pos += 2;
	return v;
}

static int rng_seed(void)
{
	if (port_random(D.rng_key, sizeof D.rng_key) < 0)
		return -1;
	D.rng_ctr = 0;
	D.rng_pos = sizeof D.rng_buf;
	return 0;
}

/* ---- names ---- */

/* Validates name; writes its normalized text (lowercase, no trailing dot)
 * to text[DNS_NAME_MAX + 1] and its wire form to wire[WIRE_MAX + 1].
 * Returns the text length or DNS_EBADNAME. */
static int name_norm(const char *name, char *text, unsigned char *wire, size_t *wirelen)
{
	size_t len = strnlen(name, DNS_NAME_MAX + 2), lab = 0, lstart = 0;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return DNS_EBADNAME;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.') {
			if (lab == 0)
				return DNS_EBADNAME;
			wire[lstart] = (unsigned char)lab;
			lstart = i + 1;
			lab = 0;
			text[i] = '.';
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			return DNS_EBADNAME;
		if (++lab > 63)
			return DNS_EBADNAME;
		text[i] = (char)ascii_lower(c);
		wire[i + 1] = (unsigned char)ascii_lower(c);
	}
	if (lab == 0)
		return DNS_EBADNAME;
	wire[lstart] = (unsigned char)lab;
	wire[len + 1] = 0;
	*wirelen = len + 2;
	text[len] = 0;
	return (int)len;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* An IPv4 (unless v6only) or IPv6 literal into addr: its family, or 0. */
static int ip_parse(const char *s, unsigned char *addr, int v6only)
{
	for (int v6 = v6only; v6 < 2; v6++)
		if (fmt_ip_parse(v6, s, addr) == 1)
			return v6 ? AF_INET6 : AF_INET;
	return 0;
}

/* ---- servers ---- */

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* "1.2.3.4", "1.2.3.4:5353", "::1", "fe80::1%eth0", "[::1]:5353". */
static int parse_server(const char *s, struct server *sv)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port = NULL, *h = s;
	size_t hl;
	int bracket = 0;

	uint16_t pnum = 53;
	uint32_t scope = 0;
	unsigned char addr[16];

	memset(sv, 0, sizeof *sv);
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e)
			return -1;
		h = s + 1;
		hl = (size_t)(e - h);
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return -1;
		bracket = 1;
	} else {
		const char *c = strchr(s, ':');
		if (c && !strchr(c + 1, ':')) {
			hl = (size_t)(c - s);
			port = c + 1;
		} else {
			hl = strlen(s);
		}
	}
	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, h, hl);
	host[hl] = 0;
	if (port && parse_port(port, &pnum) < 0)
		return -1;
	char *pct = strchr(host, '%');
	if (pct) {
		*pct++ = 0;
		scope = if_nametoindex(pct);
		if (!scope) {
			uint16_t num;
			if (parse_port(pct, &num) < 0)	/* a small decimal scope id */
				return -1;
			scope = num;
		}
	}
	int fam = ip_parse(host, addr, bracket || pct);
	if (fam == AF_INET) {
		sv->in.sin_port = htons(pnum);
		memcpy(&sv->in.sin_addr, addr, 4);
	} else if (fam) {
		sv->in6.sin6_port = htons(pnum);
		sv->in6.sin6_scope_id = scope;
		memcpy(&sv->in6.sin6_addr, addr, 16);
	}
	sv->sa.sa_family = (sa_family_t)fam;
	return fam ? 0 : -1;
}

static int fam_idx(int family)
{
	return family == AF_INET6;
}

static socklen_t server_len(const struct server *sv)
{
	return sv->sa.sa_family == AF_INET ? sizeof sv->in : sizeof sv->in6;
}

/* The scope id is not compared: the kernel reports the arrival interface,
 * and address plus port already pin the server. */
static int server_eq(const struct server *a, const struct server *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port && memcmp(&a->in.sin_addr, &b->in.sin_addr, 4) == 0;
	return a->in6.sin6_port == b->in6.sin6_port && memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
}

unsigned dns_format_servers(char *buf, size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = 0;
	/* off may pass len: fmt_snprintf counts what did not fit. */
	for (unsigned i = 0; i < D.nservers && off < len; i++) {
		const struct server *sv = &D.servers[i];
		char a[INET6_ADDRSTRLEN];
		int v4 = sv->sa.sa_family == AF_INET;
		fmt_ip(!v4, v4 ? (const void *)&sv->in.sin_addr : &sv->in6.sin6_addr, a, sizeof a);
		off += (size_t)fmt_snprintf(buf + off, len - off, v4 ? "%s%s:%u" : "%s[%s]:%u", i ? " " : "", a,
					    ntohs(v4 ? sv->in.sin_port : sv->in6.sin6_port));
	}
	return D.nservers;
}

/* Reads a whole file into a malloc'd NUL-terminated buffer. A missing
 * file is an empty one (*buf NULL). Init/reload only. */
static int read_file(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen)
{
	if (file_read(path, max, buf, len, err, errlen) == 0 || errno == ENOENT)
		return 0;
	return -1;
}

/* NUL counts as a separator: the hosts parser writes NULs after the names
 * it keeps, and a stray NUL in a file must split the same way in both of
 * its passes. */
static int is_space(char c)
{
	return c == 0 || c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Next whitespace-separated token in [*p, end); NULL when none. */
static char *next_token(char **p, char *end, size_t *tlen)
{
	char *s = *p;
	while (s < end && is_space(*s))
		s++;
	if (s >= end)
		return NULL;
	char *t = s;
	while (s < end && !is_space(*s))
		s++;
	*tlen = (size_t)(s - t);
	*p = s;
	return t;
}

/* next_token() copied NUL-terminated into out[cap], or "" when it does
 * not fit (no caller accepts an empty token); NULL when there is none. */
static char *token_copy(char **p, char *end, char *out, size_t cap)
{
	size_t tl;
	char *t = next_token(p, end, &tl);
	if (t && tl < cap)
		memcpy(out, t, tl);
	else
		tl = 0;
	out[tl] = 0;
	return t;
}

static int load_resolv(const char *path, struct server *out, unsigned *nout, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	unsigned n = 0;
	if (read_file(path, RESOLV_MAX, &buf, &len, err, errlen) < 0)
		return -1;
	for (char *line = buf; line && line < buf + len;) {
		char *end = memchr(line, '\n', (size_t)(buf + len - line));
		char *next = end ? end + 1 : buf + len;
		if (!end)
			end = buf + len;
		char *p = line, kw[sizeof "nameserver"];
		if (token_copy(&p, end, kw, sizeof kw) && strcmp(kw, "nameserver") == 0 && n < DNS_MAX_SERVERS) {
			char tmp[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
			if (token_copy(&p, end, tmp, sizeof tmp) && parse_server(tmp, &out[n]) == 0)
				n++;
		}
		line = next;
	}
	free(buf);
	if (n == 0) {	/* glibc's default: a resolver on this host */
		parse_server("127.0.0.1", &out[0]);
		n = 1;
	}
	*nout = n;
	return 0;
}

static void on_readable(struct loop_fd *w, unsigned revents);

/* Makes sure a socket exists for every server's family; servers whose
 * family cannot get one (no IPv6 in the kernel) are dropped. */
static int open_sockets(struct server *sv, unsigned *n, char *err, size_t errlen)
{
	unsigned k = 0;
	for (unsigned i = 0; i < *n; i++) {
		int f = fam_idx(sv[i].sa.sa_family);
		if (D.fd[f] < 0) {
			int fd = socket(sv[i].sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd >= 0) {
				loop_fd_init(&D.w[f]);
				if (loop_add(&D.w[f], fd, LOOP_IN, on_readable) < 0) {
					close(fd);
					errf(err, errlen, "event loop full", NULL);
					return -1;
				}
				D.fd[f] = fd;
			}
		}
		if (D.fd[f] >= 0)
			sv[k++] = sv[i];
	}
	*n = k;
	if (k == 0) {
		errf(err, errlen, "no usable nameserver (cannot open a UDP socket)", NULL);
		return -1;
	}
	return 0;
}

/* ---- hosts ---- */

/* One pass over the hosts text. With ents NULL it only counts; otherwise
 * it fills ents and rewrites each name in place, normalized and
 * NUL-terminated (the normalized form is never longer, and line ends are
 * found before anything is written, so both passes see the same input). */
static unsigned hosts_scan(char *buf, size_t len, struct hosts_ent *ents)
{
	unsigned n = 0;
	for (char *line = buf; line < buf + len;) {
		char *end = memchr(line, '\n', (size_t)(buf + len - line));
		char *next = end ? end + 1 : buf + len;
		if (!end)
			end = buf + len;
		char *hash = memchr(line, '#', (size_t)(end - line));
		if (hash)
			end = hash;
		char *p = line, *t;
		char tmp[INET6_ADDRSTRLEN + 1];
		struct dns_addr a;
		memset(&a, 0, sizeof a);
		if (!token_copy(&p, end, tmp, sizeof tmp) || !(a.family = ip_parse(tmp, a.addr, 0))) {
			line = next;
			continue;
		}
		char raw[DNS_NAME_MAX + 2];
		while ((t = token_copy(&p, end, raw, sizeof raw))) {
			char text[DNS_NAME_MAX + 1];
			unsigned char wire[WIRE_MAX + 1];
			size_t wl;
			int nl = name_norm(raw, text, wire, &wl);
			if (nl < 0)
				continue;
			if (ents) {
				memcpy(t, text, (size_t)nl);
				t[nl] = 0;
				ents[n].name = t;
				ents[n].seq = n;
				ents[n].addr = a;
			}
			n++;
		}
		line = next;
	}
	return n;
}

static int hosts_cmp(const void *x, const void *y)
{
	const struct hosts_ent *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	if (a->addr.family != b->addr.family)
		return a->addr.family == AF_INET ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int load_hosts(const char *path, struct hosts_ent **ents, unsigned *n, char **buf, char *err, size_t errlen)
{
	size_t len;
	*ents = NULL;
	*n = 0;
	if (read_file(path, FILE_MAX, buf, &len, err, errlen) < 0)
		return -1;
	if (!*buf)
		return 0;
	unsigned cnt = hosts_scan(*buf, len, NULL);
	if (cnt == 0)
		return 0;
	*ents = malloc((size_t)cnt * sizeof **ents);
	if (!*ents) {
		free(*buf);
		*buf = NULL;
		errf(err, errlen, "out of memory reading", path);
		return -1;
	}
	*n = hosts_scan(*buf, len, *ents);
	fmt_sort(*ents, *n, sizeof **ents, hosts_cmp);
	return 0;
}

static unsigned hosts_find(const char *name, struct dns_addr *out)
{
	size_t lo = 0, hi = D.nhosts;
	while (lo < hi) {	/* lower bound */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(D.hosts[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	unsigned n = 0;
	for (size_t i = lo; i < D.nhosts && n < DNS_MAX_ADDRS && strcmp(D.hosts[i].name, name) == 0; i++) {
		const struct dns_addr *a = &D.hosts[i].addr;
		unsigned j;
		for (j = 0; j < n; j++)
			if (out[j].family == a->family && memcmp(out[j].addr, a->addr, 16) == 0)
				break;
		if (j == n)
			out[n++] = *a;
	}
	return n;
}

/* ---- cache ---- */

static struct cache_ent *cache_get(const char *name, uint32_t hash, int64_t now)
{
	for (unsigned i = 0; i < D.cache_size; i++) {
		struct cache_ent *e = &D.cache[i];
		if (!e->live || e->hash != hash || strcmp(e->name, name) != 0)
			continue;
		if (now >= e->expires) {
			e->live = 0;
			return NULL;
		}
		e->used = now;
		return e;
	}
	return NULL;
}

static void cache_put(const char *name, uint32_t hash, int err, const struct dns_addr *a, unsigned n, uint32_t ttl_s)
{
	int64_t now = now_ms();
	struct cache_ent *e = NULL, *lru = NULL;
	if (ttl_s > D.max_ttl_s)
		ttl_s = D.max_ttl_s;
	if (ttl_s == 0 || D.cache_size == 0)
		return;
	for (unsigned i = 0; i < D.cache_size; i++) {
		struct cache_ent *c = &D.cache[i];
		if (c->live && c->hash == hash && strcmp(c->name, name) == 0) {
			e = c;
			break;
		}
		if (!c->live || now >= c->expires) {
			if (!e)
				e = c;	/* keep looking for the same name */
			continue;
		}
		if (!lru || c->used < lru->used)
			lru = c;
	}
	if (!e)
		e = lru;
	e->live = 1;
	e->err = err;
	e->hash = hash;
	e->n = n;
	memcpy(e->addrs, a, n * sizeof *a);
	e->expires = now + (int64_t)ttl_s * 1000;
	e->used = now;
	memcpy(e->name, name, strlen(name) + 1);
}

/* ---- reply parsing ---- */

/* Reads the possibly compressed name at *off into out (uncompressed wire
 * form, lowercased) and moves *off past its in-packet part. A pointer must
 * point strictly before the start of the labels that led to it, so every
 * jump goes backwards and loops are impossible. */
static int read_name(const unsigned char *p, size_t len, size_t *off, unsigned char *out, size_t *outlen)
{
	size_t pos = *off, o = 0, end = 0, limit = *off;
	int jumped = 0;
	for (;;) {
		if (pos >= len)
			return -1;
		unsigned c = p[pos];
		if ((c & 0xC0) == 0xC0) {
			if (pos + 1 >= len)
				return -1;
			size_t target = (size_t)(c & 0x3F) << 8 | p[pos + 1];
			if (!jumped)
				end = pos + 2;
			jumped = 1;
			if (target >= limit)
				return -1;
			limit = pos = target;
			continue;
		}
		if (c & 0xC0)	/* 0x40 and 0x80 label types are obsolete/unknown */
			return -1;
		if (c == 0) {
			out[o++] = 0;
			pos++;
			break;
		}
		if (pos + 1 + c > len || o + 1 + c + 1 > WIRE_MAX)
			return -1;
		out[o++] = (unsigned char)c;
		for (unsigned i = 0; i < c; i++)
			out[o++] = (unsigned char)ascii_lower(p[pos + 1 + i]);
		pos += 1 + c;
	}
	*outlen = o;
	*off = jumped ? end : pos;
	return 0;
}

struct rr {
	unsigned char owner[WIRE_MAX + 1];
	size_t ownerlen;
	uint16_t type, cls;
	uint32_t ttl;
	size_t rdata, rdlen;
};

static int read_rr(const unsigned char *p, size_t len, size_t *off, struct rr *rr)
{
	if (read_name(p, len, off, rr->owner, &rr->ownerlen) < 0 || *off + 10 > len)
		return -1;
	const unsigned char *h = p + *off;
	rr->type = get16(h);
	rr->cls = get16(h + 2);
	rr->ttl = get32(h + 4);
	if (rr->ttl > 0x7fffffffu)	/* RFC 2181 8: treat as zero */
		rr->ttl = 0;
	rr->rdlen = get16(h + 8);
	rr->rdata = *off + 10;
	if (rr->rdata + rr->rdlen > len)
		return -1;
	*off = rr->rdata + rr->rdlen;
	return 0;
}

struct chain {
	unsigned n;
	size_t len[CHAIN_MAX];
	unsigned char name[CHAIN_MAX][WIRE_MAX + 1];
};

static int in_chain(const struct chain *c, const unsigned char *name, size_t len)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->len[i] == len && memcmp(c->name[i], name, len) == 0)
			return 1;
	return 0;
}

static int parse_reply(const unsigned char *p, size_t len, const unsigned char *qwire, size_t qwlen,
    unsigned qtype, struct dns_reply *rep)
{
	unsigned char nm[WIRE_MAX + 1];
	size_t nl, off = 12;
	struct chain ch;
	struct rr rr;

	memset(rep, 0, sizeof *rep);
	if (len < 12)
		return -1;
	unsigned flags = get16(p + 2), qd = get16(p + 4), an = get16(p + 6);
	if (!(flags & 0x8000) || (flags >> 11 & 0xF) != 0 || qd != 1)
		return -1;
	rep->tc = !!(flags & 0x0200);
	rep->rcode = (int)(flags & 0xF);
	if (read_name(p, len, &off, nm, &nl) < 0 || nl != qwlen || memcmp(nm, qwire, nl) != 0)
		return -1;
	if (off + 4 > len || get16(p + off) != qtype || get16(p + off + 2) != C_IN)
		return -1;
	off += 4;
	if (rep->tc || rep->rcode != 0)
		return 0;

	/* The answer may list CNAME records in any order: collect the chain
	 * starting at the queried name until a pass adds nothing (at most
	 * CHAIN_MAX passes); then a last pass takes the qtype records. */
	size_t ans = off, alen = qtype == T_A ? 4 : 16;
	uint32_t ttl = UINT32_MAX;
	ch.n = 1;
	ch.len[0] = qwlen;
	memcpy(ch.name[0], qwire, qwlen);
	for (unsigned pass = 0, last = 0;; pass++) {
		int added = 0;
		off = ans;
		for (unsigned i = 0; i < an; i++) {
			if (read_rr(p, len, &off, &rr) < 0)
				return -1;
			if (rr.type != (last ? qtype : T_CNAME) || rr.cls != C_IN || !in_chain(&ch, rr.owner, rr.ownerlen))
				continue;
			if (last) {
				if (rr.rdlen != alen)
					return -1;
				if (rep->n == DNS_MAX_ADDRS)
					continue;
				struct dns_addr *a = &rep->addrs[rep->n];
				memset(a, 0, sizeof *a);
				a->family = qtype == T_A ? AF_INET : AF_INET6;
				memcpy(a->addr, p + rr.rdata, alen);
				unsigned j;
				for (j = 0; j < rep->n; j++)
					if (memcmp(rep->addrs[j].addr, a->addr, alen) == 0)
						break;
				if (j == rep->n)
					rep->n++;
			} else {
				size_t r = rr.rdata;
				if (read_name(p, len, &r, nm, &nl) < 0 || r != rr.rdata + rr.rdlen)
					return -1;
				if (in_chain(&ch, nm, nl))
					continue;
				if (ch.n == CHAIN_MAX)
					return -1;
				ch.len[ch.n] = nl;
				memcpy(ch.name[ch.n++], nm, nl);
				added = 1;
			}
			if (rr.ttl < ttl)
				ttl = rr.ttl;
		}
		if (last)
			break;
		last = !added || pass + 1 == CHAIN_MAX;
	}
	rep->ttl = rep->n ? ttl : 0;
	return 0;
}

int dns_parse_reply(const unsigned char *pkt, size_t len, const char *name, unsigned qtype, struct dns_reply *out)
{
	char text[DNS_NAME_MAX + 1];
	unsigned char wire[WIRE_MAX + 1];
	size_t wl;
	memset(out, 0, sizeof *out);
	if (!pkt || !name || (qtype != T_A && qtype != T_AAAA) || name_norm(name, text, wire, &wl) < 0)
		return -1;
	return parse_reply(pkt, len, wire, wl, qtype, out);
}

/* ---- lookups ---- */

static void finish(struct lookup *L);

static void stop_timers(struct lookup *L)
{
	loop_timer_stop(&L->q[0].timer);
	loop_timer_stop(&L->q[1].timer);
}
static void on_timer(struct loop_timer *t);

/* The live try with this id: any, or with src set only one of a query
 * still pending that went to src. *qp is set to its query. */
static struct try_rec *find_try(uint16_t id, const struct server *src, struct query **qp)
{
	for (unsigned i = 0; i < D.max_inflight; i++) {
		struct lookup *L = &D.lk[i];
		if (L->state != L_ACTIVE)
			continue;
		for (int k = 0; k < 2; k++) {
			struct query *q = &L->q[k];
			if (src && q->result != Q_PENDING)
				continue;
			for (unsigned t = 0; t < q->ntries; t++) {
				struct try_rec *tr = &q->tries[t];
				if (tr->live && tr->id == id && (!src || server_eq(&tr->srv, src))) {
					*qp = q;
					return tr;
				}
			}
		}
	}
	return NULL;
}

static uint16_t new_id(void)
{
	uint16_t id = rng_u16();
	/* Unique among live tries, so a reply matches at most one of them;
	 * a handful of redraws is plenty with at most a few hundred live. */
	struct query *q;
	for (int i = 0; i < 16 && find_try(id, NULL, &q); i++)
		id = rng_u16();
	return id;
}

/* Sends the next try of q and arms its timer. -1 only when the timer
 * cannot be armed (the loop's timer heap is too small). */
static int send_try(struct lookup *L, struct query *q)
{
	unsigned char pkt[12 + WIRE_MAX + 4];
	unsigned t = q->ntries;
	const struct server *sv = &D.servers[t % D.nservers];
	struct try_rec *tr = &q->tries[t];
	uint16_t id = new_id();

	memset(pkt, 0, 12);
	pkt[0] = (unsigned char)(id >> 8);
	pkt[1] = (unsigned char)id;
	pkt[2] = 0x01;		/* RD */
	pkt[5] = 1;		/* QDCOUNT */
	memcpy(pkt + 12, L->wire, L->wirelen);
	size_t n = 12 + L->wirelen;
	pkt[n++] = (unsigned char)(q->type >> 8);
	pkt[n++] = (unsigned char)q->type;
	pkt[n++] = 0;
	pkt[n++] = C_IN;

	tr->id = id;
	tr->srv = *sv;
	tr->live = 1;
	q->ntries++;
	ssize_t r = sendto(D.fd[fam_idx(sv->sa.sa_family)], pkt, n, 0, &sv->sa, server_len(sv));
	int64_t wait = D.timeout_ms;
	if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR) {
		/* A hard error (no route, no address of that family): move on at
		 * the next loop round rather than now, so no callback can run
		 * from inside dns_resolve(). A full buffer counts as a lost
		 * packet and waits out the timeout. */
		tr->live = 0;
		wait = 0;
	}
	loop_timer_set(&q->timer, wait, on_timer);
	return loop_timer_armed(&q->timer) ? 0 : -1;
}

static void query_done(struct lookup *L, struct query *q)
{
	loop_timer_stop(&q->timer);
	if (q->result == Q_NXDOMAIN || (L->q[0].result != Q_PENDING && L->q[1].result != Q_PENDING))
		finish(L);
}

/* The current try is over (timeout or failure reply): next try or give up. */
static void advance(struct lookup *L, struct query *q)
{
	loop_timer_stop(&q->timer);
	if (q->ntries < D.attempts && send_try(L, q) == 0)
		return;
	q->result = q->saw_fail ? Q_FAIL : Q_TIMEOUT;
	query_done(L, q);
}

static void on_timer(struct loop_timer *t)
{
	struct query *q = container_of(t, struct query, timer);
	advance(&D.lk[q->lk], q);
}

static void got_reply(struct lookup *L, struct query *q, unsigned t, const struct dns_reply *rep)
{
	if (rep->tc || (rep->rcode != 0 && rep->rcode != 3)) {
		/* SERVFAIL, REFUSED, FORMERR, truncated (no TCP fallback): this
		 * server failed; if it was the current try, move on now. */
		q->saw_fail = 1;
		q->tries[t].live = 0;
		if (t + 1 == q->ntries)
			advance(L, q);
		return;
	}
	if (rep->rcode == 3) {
		q->result = Q_NXDOMAIN;
	} else if (rep->n == 0) {
		q->result = Q_NODATA;
	} else {
		q->result = Q_OK;
		q->n = rep->n;
		q->ttl = rep->ttl;
		memcpy(q->addrs, rep->addrs, rep->n * sizeof rep->addrs[0]);
	}
	query_done(L, q);
}

static void handle_packet(const unsigned char *p, size_t len, const struct sockaddr_storage *ss, socklen_t sl)
{
	struct server src;
	if (len < 12 || (ss->ss_family != AF_INET && ss->ss_family != AF_INET6))
		return;
	memcpy(&src, ss, sizeof src);
	if (sl < server_len(&src))
		return;
	struct query *q;
	struct try_rec *tr = find_try(get16(p), &src, &q);
	if (!tr)
		return;
	struct lookup *L = &D.lk[q->lk];
	struct dns_reply rep;
	/* Ids are unique among live tries: this is the only candidate. A
	 * reply that does not parse or does not match the question is
	 * ignored; the try keeps waiting for the real one. */
	if (parse_reply(p, len, L->wire, L->wirelen, q->type, &rep) == 0)
		got_reply(L, q, (unsigned)(tr - q->tries), &rep);
}

static void on_readable(struct loop_fd *w, unsigned revents)
{
	static unsigned char buf[PKT_MAX];
	for (int i = 0; i < RECV_BUDGET; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t n = recvfrom(w->fd, buf, sizeof buf, 0, (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;	/* EAGAIN, or a pending ICMP error now cleared */
		}
		handle_packet(buf, (size_t)n, &ss, sl);
	}
}

/* Combines the two queries, fills the cache and calls the waiters. */
static void finish(struct lookup *L)
{
	struct query *a = &L->q[0], *b = &L->q[1];
	/* The results of both queries, as a set of Q_* bits. */
	unsigned n = 0, m = 1u << a->result | 1u << b->result;
	int err = 0, cacheable = 1;
	uint32_t ttl = NEG_TTL_S;

	stop_timers(L);
	/* COMPLETING: not matched by new resolves (they start afresh) and
	 * not reusable until every waiter has been called. */
	L->state = L_COMPLETING;
	if (m & 1u << Q_OK) {
		/* n and ttl stay 0 in a query that did not end Q_OK. */
		unsigned n4 = a->n, n6 = b->n;
		/* IPv4 first, but leave room for some IPv6 so a caller that
		 * falls back across families still has both. */
		unsigned keep6 = n6 < DNS_MAX_ADDRS / 2 ? n6 : DNS_MAX_ADDRS / 2;
		unsigned take4 = n4 < DNS_MAX_ADDRS - keep6 ? n4 : DNS_MAX_ADDRS - keep6;
		unsigned take6 = n6 < DNS_MAX_ADDRS - take4 ? n6 : DNS_MAX_ADDRS - take4;
		memcpy(L->res, a->addrs, take4 * sizeof L->res[0]);
		memcpy(L->res + take4, b->addrs, take6 * sizeof L->res[0]);
		n = take4 + take6;
		ttl = UINT32_MAX;
		if (n4 && a->ttl < ttl)
			ttl = a->ttl;
		if (n6 && b->ttl < ttl)
			ttl = b->ttl;
		/* One family failed: do not pin the partial answer for long. */
		if ((m & (1u << Q_FAIL | 1u << Q_TIMEOUT)) && ttl > NEG_TTL_S)
			ttl = NEG_TTL_S;
	} else if (m & 1u << Q_NXDOMAIN || m == 1u << Q_NODATA) {
		err = DNS_ENOTFOUND;
	} else {
		err = m & 1u << Q_FAIL ? DNS_ESERVFAIL : DNS_ETIMEOUT;
		cacheable = 0;
	}
	if (cacheable && L->gen == D.gen)
		cache_put(L->name, L->hash, err, L->res, n, ttl);

	/* Pop one waiter at a time: a callback may cancel a later waiter of
	 * this lookup, or start new resolves (which never land here). */
	struct dns_req *r;
	while ((r = L->waiters)) {
		L->waiters = r->next;
		r->next = NULL;
		r->lookup = -1;
		r->cb(r, err, err ? NULL : L->res, n);
	}
	L->state = L_FREE;
}

static void lookup_drop(struct lookup *L)
{
	stop_timers(L);
	L->state = L_FREE;
	L->waiters = NULL;
}

static struct lookup *lookup_alloc(void)
{
	struct lookup *orphan = NULL;
	for (unsigned i = 0; i < D.max_inflight; i++) {
		if (D.lk[i].state == L_FREE)
			return &D.lk[i];
		if (D.lk[i].state == L_ACTIVE && !D.lk[i].waiters && !orphan)
			orphan = &D.lk[i];
	}
	if (orphan)	/* nobody waits for it: its cache fill is worth less */
		lookup_drop(orphan);
	return orphan;
}

static int give(struct dns_addr *out, unsigned max, const struct dns_addr *a, unsigned n)
{
	if (!out || !max)
		return (int)n;
	if (n > max)
		n = max;
	memcpy(out, a, n * sizeof *a);
	return (int)n;
}

int dns_resolve(struct dns_req *r, const char *name, struct dns_addr *out, unsigned max, dns_cb cb)
{
	char text[DNS_NAME_MAX + 1];
	unsigned char wire[WIRE_MAX + 1];
	struct dns_addr tmp[DNS_MAX_ADDRS];
	size_t wl;

	if (r->lookup >= 0)
		dns_cancel(r);
	r->next = NULL;
	r->lookup = -1;
	if (!name)
		return DNS_EBADNAME;
	memset(tmp, 0, sizeof tmp[0]);
	tmp[0].family = ip_parse(name, tmp[0].addr, 0);
	if (tmp[0].family)
		return give(out, max, tmp, 1);
	int tl = name_norm(name, text, wire, &wl);
	if (tl < 0)
		return tl;
	if (!D.inited)
		return DNS_EBUSY;

	unsigned n = hosts_find(text, tmp);
	if (n)
		return give(out, max, tmp, n);

	uint32_t hash = name_hash(text);
	const struct cache_ent *e = cache_get(text, hash, now_ms());
	if (e)
		return e->err ? e->err : give(out, max, e->addrs, e->n);

	for (unsigned i = 0; i < D.max_inflight; i++) {
		struct lookup *L = &D.lk[i];
		if (L->state != L_ACTIVE || L->hash != hash || strcmp(L->name, text) != 0)
			continue;
		struct dns_req **pp = &L->waiters;
		while (*pp)
			pp = &(*pp)->next;
		*pp = r;
		r->cb = cb;
		r->lookup = (int)i;
		return 0;
	}

	struct lookup *L = lookup_alloc();
	if (!L)
		return DNS_EBUSY;
	L->state = L_ACTIVE;
	L->gen = D.gen;
	L->hash = hash;
	memcpy(L->name, text, (size_t)tl + 1);
	memcpy(L->wire, wire, wl);
	L->wirelen = wl;
	L->waiters = r;
	r->cb = cb;
	r->lookup = (int)(L - D.lk);
	for (int k = 0; k < 2; k++) {
		struct query *q = &L->q[k];
		q->type = k ? T_AAAA : T_A;
		memset(&q->ntries, 0, offsetof(struct query, addrs) - offsetof(struct query, ntries));	/* Q_PENDING */
	}
	if (send_try(L, &L->q[0]) < 0 || send_try(L, &L->q[1]) < 0) {
		lookup_drop(L);
		r->lookup = -1;
		return DNS_EBUSY;
	}
	return 0;
}

void dns_cancel(struct dns_req *r)
{
	if (!r || r->lookup < 0)
		return;
	if (D.lk && (unsigned)r->lookup < D.max_inflight) {
		/* Unlink by identity, so a stale slot number is harmless. The
		 * lookup itself keeps running to fill the cache (see dns.h). */
		for (struct dns_req **pp = &D.lk[r->lookup].waiters; *pp; pp = &(*pp)->next) {
			if (*pp == r) {
				*pp = r->next;
				break;
			}
		}
	}
	r->next = NULL;
	r->lookup = -1;
}

const char *dns_strerror(int err)
{
	/* Indexed by -err: 0 and the DNS_E* codes. */
	static const char *const text[] = {
		[0] = "success",
		[-DNS_ENOTFOUND] = "host name not found",
		[-DNS_ETIMEOUT] = "DNS timeout",
		[-DNS_EBUSY] = "too many DNS lookups in flight",
		[-DNS_EBADNAME] = "invalid host name",
		[-DNS_ESERVFAIL] = "DNS server failure",
	};
	return err <= 0 && err >= DNS_ESERVFAIL ? text[-err] : "unknown DNS error";
}

/* ---- init, reload, free ---- */

static void cache_clear(void)
{
	for (unsigned i = 0; i < D.cache_size; i++)
		D.cache[i].live = 0;
}

void dns_free(void)
{
	/* Never initialized: D is all zero, fd 0 is not ours; only reset. */
	if (D.inited) {
		if (D.lk)
			for (unsigned i = 0; i < D.max_inflight; i++)
				lookup_drop(&D.lk[i]);
		for (int f = 0; f < 2; f++) {
			if (D.fd[f] >= 0) {
				loop_del(&D.w[f]);
				close(D.fd[f]);
			}
		}
		free(D.lk);
		free(D.cache);
		free(D.hosts);
		free(D.hosts_buf);
		free(D.resolv_conf);
		free(D.hosts_file);
		explicit_bzero(D.rng_key, sizeof D.rng_key);
	}
	memset(&D, 0, sizeof D);
	D.fd[0] = D.fd[1] = -1;
}

int dns_init(const struct dns_options *o, char *err, size_t errlen)
{
	static const struct dns_options defaults;
	if (!o)
		o = &defaults;
	dns_free();	/* also resets D */
	D.inited = 1;
	/* The numeric options, as {offset in dns_options, offset in D, default}. */
	static const struct { uint8_t from, to; uint16_t def; } num[] = {
		{ offsetof(struct dns_options, timeout_ms), offsetof(struct state, timeout_ms), 1000 },
		{ offsetof(struct dns_options, attempts), offsetof(struct state, attempts), 3 },
		{ offsetof(struct dns_options, max_inflight), offsetof(struct state, max_inflight), 16 },
		{ offsetof(struct dns_options, cache_size), offsetof(struct state, cache_size), 64 },
		{ offsetof(struct dns_options, max_ttl_s), offsetof(struct state, max_ttl_s), 3600 },
	};
	for (unsigned i = 0; i < sizeof num / sizeof num[0]; i++) {
		unsigned v = *(const unsigned *)((const char *)o + num[i].from);
		*(unsigned *)((char *)&D + num[i].to) = v ? v : num[i].def;
	}
	if (D.attempts > DNS_MAX_ATTEMPTS)
		D.attempts = DNS_MAX_ATTEMPTS;
	D.resolv_conf = strdup(o->resolv_conf ? o->resolv_conf : "/etc/resolv.conf");
	D.hosts_file = strdup(o->hosts_file ? o->hosts_file : "/etc/hosts");
	D.lk = calloc(D.max_inflight, sizeof *D.lk);
	D.cache = calloc(D.cache_size, sizeof *D.cache);
	if (!D.resolv_conf || !D.hosts_file || !D.lk || !D.cache) {
		errf(err, errlen, "out of memory", NULL);
		goto fail;
	}
	for (unsigned i = 0; i < D.max_inflight; i++) {
		for (int k = 0; k < 2; k++) {
			loop_timer_init(&D.lk[i].q[k].timer);
			D.lk[i].q[k].lk = i;
		}
	}
	if (rng_seed() < 0) {
		errf(err, errlen, "no entropy source for DNS query ids", NULL);
		goto fail;
	}
	if (o->servers && o->servers[0]) {
		D.explicit_servers = 1;
		for (unsigned i = 0; o->servers[i]; i++) {
			struct server sv;
			if (parse_server(o->servers[i], &sv) < 0) {
				errf(err, errlen, "bad nameserver address", o->servers[i]);
				goto fail;
			}
			if (D.nservers < DNS_MAX_SERVERS)	/* the rest are ignored */
				D.servers[D.nservers++] = sv;
		}
	}
	/* The rest is a reload's work: resolv.conf, sockets, hosts. */
	if (dns_reload(err, errlen) == 0)
		return 0;
fail:
	dns_free();
	return -1;
}

int dns_reload(char *err, size_t errlen)
{
	struct server sv[DNS_MAX_SERVERS];
	unsigned nsv = D.nservers;
	struct hosts_ent *hosts;
	unsigned nhosts;
	char *hbuf;

	if (!D.inited) {
		errf(err, errlen, "resolver not initialized", NULL);
		return -1;
	}
	memcpy(sv, D.servers, sizeof sv);
	/* Explicit servers are kept from dns_init. */
	if ((!D.explicit_servers && load_resolv(D.resolv_conf, sv, &nsv, err, errlen) < 0) ||
	    open_sockets(sv, &nsv, err, errlen) < 0)
		return -1;
	if (load_hosts(D.hosts_file, &hosts, &nhosts, &hbuf, err, errlen) < 0)
		return -1;
	free(D.hosts);
	free(D.hosts_buf);
	D.hosts = hosts;
	D.nhosts = nhosts;
	D.hosts_buf = hbuf;
	memcpy(D.servers, sv, sizeof sv);
	D.nservers = nsv;
	cache_clear();
	D.gen++;
	return 0;
}
