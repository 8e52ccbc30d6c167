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

struct server {
	int family;
	uint16_t port;			/* host order */
	uint32_t scope;			/* IPv6 scope id, 0 if none */
	unsigned char addr[16];
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
	unsigned ntries;
	int result;			/* Q_* */
	int saw_fail;			/* a server said SERVFAIL/REFUSED/TC/... */
	uint32_t ttl;
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

static struct {
	int inited;
	char *resolv_conf, *hosts_file;
	int explicit_servers;
	struct server servers[DNS_MAX_SERVERS];
	unsigned nservers;
	int fd[2];			/* AF_INET, AF_INET6 */
	struct loop_fd w[2];
	unsigned timeout_ms, attempts, max_inflight, cache_size, max_ttl_s;
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

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int64_t now_ms(void)
{
	/* Fresh, not loop_now(): a caller may resolve after a long callback. */
	return loop_now_us() / 1000;
}

/* ---- query ids: a ChaCha20 keystream ---- */

#define ROTL(a, b) (((a) << (b)) | ((a) >> (32 - (b))))
#define QR(a, b, c, d) do { \
	a += b; d ^= a; d = ROTL(d, 16); c += d; b ^= c; b = ROTL(b, 12); \
	a += b; d ^= a; d = ROTL(d, 8); c += d; b ^= c; b = ROTL(b, 7); } while (0)

static void rng_refill(void)
{
	uint32_t in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 }, x[16];
	memcpy(in + 4, D.rng_key, sizeof D.rng_key);
	in[12] = (uint32_t)D.rng_ctr;
	in[13] = (uint32_t)(D.rng_ctr >> 32);
	D.rng_ctr++;
	memcpy(x, in, sizeof x);
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++) {
		uint32_t v = x[i] + in[i];
		D.rng_buf[4 * i] = (unsigned char)v;
		D.rng_buf[4 * i + 1] = (unsigned char)(v >> 8);
		D.rng_buf[4 * i + 2] = (unsigned char)(v >> 16);
		D.rng_buf[4 * i + 3] = (unsigned char)(v >> 24);
	}
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
		text[i] = (char)lower(c);
		wire[i + 1] = lower(c);
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

	memset(sv, 0, sizeof *sv);
	sv->port = 53;
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
	if (port && parse_port(port, &sv->port) < 0)
		return -1;
	char *pct = strchr(host, '%');
	if (pct) {
		*pct++ = 0;
		sv->scope = if_nametoindex(pct);
		if (!sv->scope) {
			uint16_t num;
			if (parse_port(pct, &num) < 0)	/* a small decimal scope id */
				return -1;
			sv->scope = num;
		}
	}
	if (!bracket && !pct && fmt_ip_parse(0, host, sv->addr) == 1) {
		sv->family = AF_INET;
		return 0;
	}
	if (fmt_ip_parse(1, host, sv->addr) == 1) {
		sv->family = AF_INET6;
		return 0;
	}
	return -1;
}

static int fam_idx(int family)
{
	return family == AF_INET6;
}

static socklen_t server_sockaddr(const struct server *sv, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (sv->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(sv->port);
		memcpy(&sin->sin_addr, sv->addr, 4);
		return sizeof *sin;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(sv->port);
	sin6->sin6_scope_id = sv->scope;
	memcpy(&sin6->sin6_addr, sv->addr, 16);
	return sizeof *sin6;
}

static int sockaddr_server(const struct sockaddr_storage *ss, socklen_t len, struct server *sv)
{
	memset(sv, 0, sizeof *sv);
	if (ss->ss_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		sv->family = AF_INET;
		sv->port = ntohs(sin->sin_port);
		memcpy(sv->addr, &sin->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		sv->family = AF_INET6;
		sv->port = ntohs(sin6->sin6_port);
		memcpy(sv->addr, &sin6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/* The scope id is not compared: the kernel reports the arrival interface,
 * and address plus port already pin the server. */
static int server_eq(const struct server *a, const struct server *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

static size_t format_server(const struct server *sv, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	fmt_ip(sv->family == AF_INET6, sv->addr, a, sizeof a);
	int n = sv->family == AF_INET ? fmt_snprintf(buf, len, "%s:%u", a, sv->port)
	    : fmt_snprintf(buf, len, "[%s]:%u", a, sv->port);
	return n < 0 ? 0 : (size_t)n;
}

unsigned dns_format_servers(char *buf, size_t len)
{
	size_t off = 0;
	if (len)
		buf[0] = 0;
	for (unsigned i = 0; i < D.nservers; i++) {
		if (i && off + 1 < len)
			buf[off++] = ' ', buf[off] = 0;
		if (off < len)
			off += format_server(&D.servers[i], buf + off, len - off);
	}
	return D.nservers;
}

/* Reads a whole file into a malloc'd NUL-terminated buffer. A missing
 * file is an empty one (*buf NULL). Init/reload only. */
static int read_file(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		errf(err, errlen, "cannot open", path);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > max) {
		close(fd);
		errf(err, errlen, "cannot read (or too large)", path);
		return -1;
	}
	size_t cap = (size_t)st.st_size, got = 0;
	char *b = malloc(cap + 1);
	if (!b) {
		close(fd);
		errf(err, errlen, "out of memory reading", path);
		return -1;
	}
	while (got < cap) {
		ssize_t n = read(fd, b + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(b);
			close(fd);
			errf(err, errlen, "cannot read", path);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
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
		char *p = line;
		size_t tl;
		char *kw = next_token(&p, end, &tl);
		if (kw && tl == 10 && memcmp(kw, "nameserver", 10) == 0 && n < DNS_MAX_SERVERS) {
			char tmp[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
			char *a = next_token(&p, end, &tl);
			if (a && tl < sizeof tmp && !memchr(a, 0, tl)) {
				memcpy(tmp, a, tl);
				tmp[tl] = 0;
				if (parse_server(tmp, &out[n]) == 0)
					n++;
			}
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
		int f = fam_idx(sv[i].family);
		if (D.fd[f] < 0) {
			int fd = socket(sv[i].family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
		size_t tl;
		char tmp[INET6_ADDRSTRLEN + 1];
		struct dns_addr a;
		t = next_token(&p, end, &tl);
		if (!t || tl >= sizeof tmp) {
			line = next;
			continue;
		}
		memcpy(tmp, t, tl);
		tmp[tl] = 0;
		memset(&a, 0, sizeof a);
		if (fmt_ip_parse(0, tmp, a.addr) == 1)
			a.family = AF_INET;
		else if (fmt_ip_parse(1, tmp, a.addr) == 1)
			a.family = AF_INET6;
		else {
			line = next;
			continue;
		}
		while ((t = next_token(&p, end, &tl))) {
			char raw[DNS_NAME_MAX + 2], text[DNS_NAME_MAX + 1];
			unsigned char wire[WIRE_MAX + 1];
			size_t wl;
			if (tl >= sizeof raw || memchr(t, 0, tl))
				continue;
			memcpy(raw, t, tl);
			raw[tl] = 0;
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
			out[o++] = lower(p[pos + 1 + i]);
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
	 * starting at the queried name until a pass adds nothing. */
	size_t ans = off;
	uint32_t ttl = UINT32_MAX;
	ch.n = 1;
	ch.len[0] = qwlen;
	memcpy(ch.name[0], qwire, qwlen);
	for (unsigned pass = 0; pass < CHAIN_MAX; pass++) {
		int added = 0;
		off = ans;
		for (unsigned i = 0; i < an; i++) {
			if (read_rr(p, len, &off, &rr) < 0)
				return -1;
			if (rr.type != T_CNAME || rr.cls != C_IN || !in_chain(&ch, rr.owner, rr.ownerlen))
				continue;
			size_t r = rr.rdata;
			if (read_name(p, len, &r, nm, &nl) < 0 || r != rr.rdata + rr.rdlen)
				return -1;
			if (in_chain(&ch, nm, nl))
				continue;
			if (ch.n == CHAIN_MAX)
				return -1;
			ch.len[ch.n] = nl;
			memcpy(ch.name[ch.n++], nm, nl);
			if (rr.ttl < ttl)
				ttl = rr.ttl;
			added = 1;
		}
		if (!added)
			break;
	}

	size_t alen = qtype == T_A ? 4 : 16;
	off = ans;
	for (unsigned i = 0; i < an; i++) {
		if (read_rr(p, len, &off, &rr) < 0)
			return -1;
		if (rr.type != qtype || rr.cls != C_IN || !in_chain(&ch, rr.owner, rr.ownerlen))
			continue;
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
		if (rr.ttl < ttl)
			ttl = rr.ttl;
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
static void on_timer(struct loop_timer *t);

static int id_in_use(uint16_t id)
{
	for (unsigned i = 0; i < D.max_inflight; i++) {
		const struct lookup *L = &D.lk[i];
		if (L->state != L_ACTIVE)
			continue;
		for (int k = 0; k < 2; k++)
			for (unsigned t = 0; t < L->q[k].ntries; t++)
				if (L->q[k].tries[t].live && L->q[k].tries[t].id == id)
					return 1;
	}
	return 0;
}

static uint16_t new_id(void)
{
	uint16_t id = rng_u16();
	/* Unique among live tries, so a reply matches at most one of them;
	 * a handful of redraws is plenty with at most a few hundred live. */
	for (int i = 0; i < 16 && id_in_use(id); i++)
		id = rng_u16();
	return id;
}

/* Sends the next try of q and arms its timer. -1 only when the timer
 * cannot be armed (the loop's timer heap is too small). */
static int send_try(struct lookup *L, struct query *q)
{
	unsigned char pkt[12 + WIRE_MAX + 4];
	struct sockaddr_storage ss;
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
	socklen_t sl = server_sockaddr(sv, &ss);
	ssize_t r = sendto(D.fd[fam_idx(sv->family)], pkt, n, 0, (struct sockaddr *)&ss, sl);
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
	if (len < 12 || sockaddr_server(ss, sl, &src) < 0)
		return;
	uint16_t id = get16(p);
	for (unsigned i = 0; i < D.max_inflight; i++) {
		struct lookup *L = &D.lk[i];
		if (L->state != L_ACTIVE)
			continue;
		for (int k = 0; k < 2; k++) {
			struct query *q = &L->q[k];
			if (q->result != Q_PENDING)
				continue;
			for (unsigned t = 0; t < q->ntries; t++) {
				struct try_rec *tr = &q->tries[t];
				if (!tr->live || tr->id != id || !server_eq(&tr->srv, &src))
					continue;
				struct dns_reply rep;
				/* Ids are unique among live tries: this is the only
				 * candidate. A reply that does not parse or does not
				 * match the question is ignored; the try keeps
				 * waiting for the real one. */
				if (parse_reply(p, len, L->wire, L->wirelen, q->type, &rep) == 0)
					got_reply(L, q, t, &rep);
				return;
			}
		}
	}
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
	unsigned n = 0;
	int err = 0, cacheable = 1;
	uint32_t ttl = NEG_TTL_S;

	loop_timer_stop(&a->timer);
	loop_timer_stop(&b->timer);
	/* COMPLETING: not matched by new resolves (they start afresh) and
	 * not reusable until every waiter has been called. */
	L->state = L_COMPLETING;
	if (a->result == Q_OK || b->result == Q_OK) {
		unsigned n4 = a->result == Q_OK ? a->n : 0, n6 = b->result == Q_OK ? b->n : 0;
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
		if ((a->result == Q_FAIL || a->result == Q_TIMEOUT || b->result == Q_FAIL || b->result == Q_TIMEOUT)
		    && ttl > NEG_TTL_S)
			ttl = NEG_TTL_S;
	} else if (a->result == Q_NXDOMAIN || b->result == Q_NXDOMAIN ||
	    (a->result == Q_NODATA && b->result == Q_NODATA)) {
		err = DNS_ENOTFOUND;
	} else {
		err = (a->result == Q_FAIL || b->result == Q_FAIL) ? DNS_ESERVFAIL : DNS_ETIMEOUT;
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
	loop_timer_stop(&L->q[0].timer);
	loop_timer_stop(&L->q[1].timer);
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
	if (fmt_ip_parse(0, name, tmp[0].addr) == 1) {
		tmp[0].family = AF_INET;
		return give(out, max, tmp, 1);
	}
	if (fmt_ip_parse(1, name, tmp[0].addr) == 1) {
		tmp[0].family = AF_INET6;
		return give(out, max, tmp, 1);
	}
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
		q->ntries = 0;
		q->result = Q_PENDING;
		q->saw_fail = 0;
		q->n = 0;
		q->ttl = 0;
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
	switch (err) {
	case 0: return "success";
	case DNS_ENOTFOUND: return "host name not found";
	case DNS_ETIMEOUT: return "DNS timeout";
	case DNS_EBUSY: return "too many DNS lookups in flight";
	case DNS_EBADNAME: return "invalid host name";
	case DNS_ESERVFAIL: return "DNS server failure";
	default: return "unknown DNS error";
	}
}

/* ---- init, reload, free ---- */

static void cache_clear(void)
{
	for (unsigned i = 0; i < D.cache_size; i++)
		D.cache[i].live = 0;
}

void dns_free(void)
{
	if (!D.inited)
		return;
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
	memset(&D, 0, sizeof D);
	D.fd[0] = D.fd[1] = -1;
}

static int load_servers(struct server *sv, unsigned *n, char *err, size_t errlen)
{
	if (D.explicit_servers)
		return 0;	/* kept from dns_init */
	return load_resolv(D.resolv_conf, sv, n, err, errlen);
}

int dns_init(const struct dns_options *o, char *err, size_t errlen)
{
	static const struct dns_options defaults;
	if (!o)
		o = &defaults;
	dns_free();
	memset(&D, 0, sizeof D);
	D.fd[0] = D.fd[1] = -1;
	D.inited = 1;
	D.timeout_ms = o->timeout_ms ? o->timeout_ms : 1000;
	D.attempts = o->attempts ? o->attempts : 3;
	if (D.attempts > DNS_MAX_ATTEMPTS)
		D.attempts = DNS_MAX_ATTEMPTS;
	D.max_inflight = o->max_inflight ? o->max_inflight : 16;
	D.cache_size = o->cache_size ? o->cache_size : 64;
	D.max_ttl_s = o->max_ttl_s ? o->max_ttl_s : 3600;
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
	} else if (load_resolv(D.resolv_conf, D.servers, &D.nservers, err, errlen) < 0) {
		goto fail;
	}
	if (open_sockets(D.servers, &D.nservers, err, errlen) < 0)
		goto fail;
	if (load_hosts(D.hosts_file, &D.hosts, &D.nhosts, &D.hosts_buf, err, errlen) < 0)
		goto fail;
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
	if (load_servers(sv, &nsv, err, errlen) < 0 || open_sockets(sv, &nsv, err, errlen) < 0)
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
