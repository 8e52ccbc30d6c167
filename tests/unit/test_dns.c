/*
 * test_dns.c - unit tests for the stub resolver (src/dns.c).
 *
 * The resolver runs against a fake DNS server in a forked child: one UDP
 * socket on 127.0.0.1 that answers by name, one on 127.0.0.1 that never
 * answers (a dead server, also used to send spoofed replies from the wrong
 * port), and one on ::1 when the host has IPv6. The child logs every query
 * it receives (server, type, id, name) over a pipe, so tests can count the
 * queries that actually went out. It dies with alarm() if the test hangs,
 * on SIGPIPE if the test dies, and is killed by PID at the end.
 *
 * The resolver is driven with loop_run_once() in bounded loops; nothing
 * sleeps longer than the behaviour under test needs (a 1.5 s slow answer,
 * a 1 s TTL).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "test.h"
#include "dns.h"
#include "loop.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- building replies (used by the child and by the parser tests) ---- */

struct ans {
	const char *owner;
	int type;		/* 1 A, 5 CNAME, 28 AAAA */
	uint32_t ttl;
	const char *data;	/* address text or target name */
};

struct wbuf {
	unsigned char b[1024];
	size_t n;
	const char *names[16];	/* names written so far, for compression */
	size_t offs[16];
	int nnames;
};

static void put16(struct wbuf *w, unsigned v)
{
	w->b[w->n++] = (unsigned char)(v >> 8);
	w->b[w->n++] = (unsigned char)v;
}

static void put32(struct wbuf *w, uint32_t v)
{
	put16(w, v >> 16);
	put16(w, v & 0xffff);
}

/* Writes name, as a pointer when the same name was written before. */
static void put_name(struct wbuf *w, const char *name)
{
	for (int i = 0; i < w->nnames; i++) {
		if (strcasecmp(w->names[i], name) == 0) {
			put16(w, 0xC000 | (unsigned)w->offs[i]);
			return;
		}
	}
	if (w->nnames < 16) {
		w->names[w->nnames] = name;
		w->offs[w->nnames++] = w->n;
	}
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		w->b[w->n++] = (unsigned char)l;
		memcpy(w->b + w->n, p, l);
		w->n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	w->b[w->n++] = 0;
}

static size_t build(unsigned char *out, unsigned id, unsigned flags, const char *qname, int qtype,
    const struct ans *an, int nan)
{
	struct wbuf w;
	memset(&w, 0, sizeof w);
	put16(&w, id);
	put16(&w, flags);
	put16(&w, 1);
	put16(&w, (unsigned)nan);
	put16(&w, 0);
	put16(&w, 0);
	put_name(&w, qname);
	put16(&w, (unsigned)qtype);
	put16(&w, 1);
	for (int i = 0; i < nan; i++) {
		put_name(&w, an[i].owner);
		put16(&w, (unsigned)an[i].type);
		put16(&w, 1);
		put32(&w, an[i].ttl);
		if (an[i].type == 1) {
			put16(&w, 4);
			inet_pton(AF_INET, an[i].data, w.b + w.n);
			w.n += 4;
		} else if (an[i].type == 28) {
			put16(&w, 16);
			inet_pton(AF_INET6, an[i].data, w.b + w.n);
			w.n += 16;
		} else {
			size_t at = w.n;
			put16(&w, 0);
			put_name(&w, an[i].data);
			w.b[at] = (unsigned char)((w.n - at - 2) >> 8);
			w.b[at + 1] = (unsigned char)(w.n - at - 2);
		}
	}
	memcpy(out, w.b, w.n);
	return w.n;
}

#define OK_FLAGS 0x8180		/* QR, RD, RA, rcode 0 */

/* ---- the fake server (child process) ---- */

static int srv4 = -1, drop4 = -1, srv6 = -1;
static unsigned port4, portdrop, port6;
static int logp[2] = { -1, -1 };
static pid_t child = -1;

struct logrec {
	char srv;		/* 'n' 127.0.0.1 normal, 'd' dead server, '6' ::1 */
	unsigned char qtype;
	uint16_t id;
	char name[60];
};

struct delayed {
	int64_t due;
	int fd;
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;
	unsigned char buf[512];
};
static struct delayed dl[16];
static int ndl;

static void reply(int fd, const struct sockaddr_storage *to, socklen_t tl, const unsigned char *b, size_t n)
{
	sendto(fd, b, n, 0, (const struct sockaddr *)to, tl);
}

static void answer(int fd, const struct sockaddr_storage *to, socklen_t tl, unsigned id, const char *q, int qt)
{
	unsigned char b[1024];
	size_t n;
	int isA = qt == 1;
	const char *bad = isA ? "6.6.6.6" : "6666::6";
	int badt = isA ? 1 : 28;
	struct ans an[24];

	if (!strcmp(q, "a.test")) {
		an[0] = (struct ans){ "a.test", qt, 60, isA ? "10.0.0.1" : "::1" };
		n = build(b, id, OK_FLAGS, q, qt, an, 1);
	} else if (!strcmp(q, "share.test")) {
		an[0] = (struct ans){ "share.test", 1, 60, "10.0.0.4" };
		n = build(b, id, OK_FLAGS, q, qt, an, isA);
	} else if (!strcmp(q, "cname.test")) {
		an[0] = (struct ans){ "cname.test", 5, 300, "a.test" };
		an[1] = (struct ans){ "a.test", qt, 60, isA ? "10.0.0.1" : "::1" };
		n = build(b, id, OK_FLAGS, q, qt, an, 2);
	} else if (!strcmp(q, "evil-cname.test")) {
		an[0] = (struct ans){ "evil-cname.test", 5, 50, "x.test" };
		an[1] = (struct ans){ "y.test", 1, 60, "6.6.6.6" };
		an[2] = (struct ans){ "x.test", 1, 40, "10.0.0.5" };
		n = build(b, id, OK_FLAGS, q, qt, an, isA ? 3 : 1);
	} else if (!strcmp(q, "nodata.test")) {
		n = build(b, id, OK_FLAGS, q, qt, an, 0);
	} else if (!strcmp(q, "slow.test")) {
		an[0] = (struct ans){ "slow.test", 1, 60, "10.0.0.7" };
		n = build(b, id, OK_FLAGS, q, qt, an, isA);
		if (ndl < 16) {
			struct delayed *d = &dl[ndl++];
			d->due = mono_ms() + 1500;
			d->fd = fd;
			d->to = *to;
			d->tolen = tl;
			d->len = n;
			memcpy(d->buf, b, n);
		}
		return;
	} else if (strlen(q) >= 9 && !strcmp(q + strlen(q) - 9, "drop.test")) {
		return;
	} else if (!strcmp(q, "servfail.test")) {
		n = build(b, id, OK_FLAGS | 2, q, qt, an, 0);
	} else if (!strcmp(q, "refused.test")) {
		n = build(b, id, OK_FLAGS | 5, q, qt, an, 0);
	} else if (!strcmp(q, "trunc.test")) {
		an[0] = (struct ans){ "trunc.test", badt, 60, bad };
		n = build(b, id, OK_FLAGS | 0x0200, q, qt, an, 1);
	} else if (!strcmp(q, "ttl1.test")) {
		an[0] = (struct ans){ "ttl1.test", 1, 1, "10.0.0.2" };
		n = build(b, id, OK_FLAGS, q, qt, an, isA);
	} else if (!strcmp(q, "upper.test")) {
		an[0] = (struct ans){ "UPPER.TEST", 1, 60, "10.0.0.8" };
		n = build(b, id, OK_FLAGS, "UPPER.TEST", qt, an, isA);
	} else if (!strcmp(q, "many.test")) {
		static const char *v4[10] = { "10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5",
			"10.1.0.6", "10.1.0.7", "10.1.0.8", "10.1.0.9", "10.1.0.10" };
		static const char *v6[10] = { "fd::1", "fd::2", "fd::3", "fd::4", "fd::5",
			"fd::6", "fd::7", "fd::8", "fd::9", "fd::a" };
		for (int i = 0; i < 10; i++)
			an[i] = (struct ans){ "many.test", qt, 60, isA ? v4[i] : v6[i] };
		n = build(b, id, OK_FLAGS, q, qt, an, 10);
	} else if (!strcmp(q, "garbage.test")) {
		an[0] = (struct ans){ "garbage.test", badt, 60, bad };
		/* A correct-looking reply from the right address, wrong port. */
		if (fd == srv4) {
			n = build(b, id, OK_FLAGS, q, qt, an, 1);
			reply(drop4, to, tl, b, n);
		}
		for (size_t i = 0; i < 40; i++)
			b[i] = (unsigned char)rand();
		reply(fd, to, tl, b, 40);
		n = build(b, id ^ 0x5555, OK_FLAGS, q, qt, an, 1);		/* wrong id */
		reply(fd, to, tl, b, n);
		n = build(b, id ^ 0x0101, OK_FLAGS | 3, q, qt, an, 0);	/* wrong id NXDOMAIN */
		reply(fd, to, tl, b, n);
		n = build(b, id, OK_FLAGS | 3, "b.test", qt, an, 0);	/* wrong question NXDOMAIN */
		reply(fd, to, tl, b, n);
		n = build(b, id, OK_FLAGS, "b.test", qt, an, 1);		/* wrong question */
		reply(fd, to, tl, b, n);
		n = build(b, id, OK_FLAGS & ~0x8000u, q, qt, an, 1);	/* QR clear */
		reply(fd, to, tl, b, n);
		n = build(b, id, OK_FLAGS | 0x0800, q, qt, an, 1);	/* opcode 1 */
		reply(fd, to, tl, b, n);
		n = build(b, id, OK_FLAGS, q, isA ? 28 : 1, an, 1);	/* wrong qtype */
		reply(fd, to, tl, b, n);
		n = build(b, id, OK_FLAGS, q, qt, an, 1);		/* cut short */
		reply(fd, to, tl, b, n - 3);
		n = build(b, id, OK_FLAGS, q, qt, an, 1);		/* ancount lies */
		b[7] = 2;
		reply(fd, to, tl, b, n);
		n = build(b, id, OK_FLAGS, q, qt, an, 1);		/* bad rdlength */
		b[n - (isA ? 4 : 16) - 1] = 3;
		reply(fd, to, tl, b, n);
		n = build(b, id, OK_FLAGS, q, qt, an, 0);		/* question is a pointer loop */
		b[12] = 0xC0;
		b[13] = 12;
		reply(fd, to, tl, b, 14);
		an[0] = (struct ans){ "garbage.test", 1, 60, "10.0.0.3" };
		n = build(b, id, OK_FLAGS, q, qt, an, isA);
	} else {
		n = build(b, id, OK_FLAGS | 3, q, qt, an, 0);		/* NXDOMAIN */
	}
	reply(fd, to, tl, b, n);
}

static void child_main(void)
{
	signal(SIGPIPE, SIG_DFL);	/* the test died: so do we */
	alarm(30);			/* and never outlive a hung test */
	srand((unsigned)getpid());
	for (;;) {
		struct pollfd p[3] = { { srv4, POLLIN, 0 }, { drop4, POLLIN, 0 }, { srv6, POLLIN, 0 } };
		int np = srv6 >= 0 ? 3 : 2, wait = 1000;
		int64_t now = mono_ms();
		for (int i = 0; i < ndl; i++)
			if (dl[i].due - now < wait)
				wait = dl[i].due - now < 0 ? 0 : (int)(dl[i].due - now);
		poll(p, (nfds_t)np, wait);
		now = mono_ms();
		for (int i = 0; i < ndl;) {
			if (dl[i].due <= now) {
				reply(dl[i].fd, &dl[i].to, dl[i].tolen, dl[i].buf, dl[i].len);
				dl[i] = dl[--ndl];
			} else {
				i++;
			}
		}
		for (int k = 0; k < np; k++) {
			if (!(p[k].revents & POLLIN))
				continue;
			unsigned char b[600];
			struct sockaddr_storage from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(p[k].fd, b, sizeof b, 0, (struct sockaddr *)&from, &fl);
			if (n < 17)
				continue;
			struct logrec rec;
			memset(&rec, 0, sizeof rec);
			rec.srv = k == 0 ? 'n' : k == 1 ? 'd' : '6';
			rec.id = (uint16_t)(b[0] << 8 | b[1]);
			char q[300];
			size_t off = 12, qn = 0;
			while (off < (size_t)n && b[off] && b[off] < 64 && off + 1 + b[off] < (size_t)n &&
			    qn + 2 + b[off] < sizeof q) {
				if (qn)
					q[qn++] = '.';
				for (unsigned i = 0; i < b[off]; i++) {
					char c = (char)b[off + 1 + i];
					q[qn++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
				}
				off += 1 + b[off];
			}
			q[qn] = 0;
			if (off + 5 > (size_t)n)
				continue;
			int qt = b[off + 1] << 8 | b[off + 2];
			rec.qtype = (unsigned char)qt;
			memcpy(rec.name, q, qn < sizeof rec.name ? qn : sizeof rec.name - 1);
			if (write(logp[1], &rec, sizeof rec) != (ssize_t)sizeof rec)
				_exit(1);
			if (k == 1)
				continue;	/* the dead server */
			answer(p[k].fd, &from, fl, rec.id, q, qt);
		}
	}
}

static int bind_udp(int family, unsigned *port)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof *s;
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_addr = in6addr_loopback;
		sl = sizeof *s;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int start_server(void)
{
	srv4 = bind_udp(AF_INET, &port4);
	drop4 = bind_udp(AF_INET, &portdrop);
	srv6 = bind_udp(AF_INET6, &port6);
	if (srv4 < 0 || drop4 < 0 || pipe(logp) < 0)
		return -1;
	fcntl(logp[0], F_SETFL, O_NONBLOCK);
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		close(logp[0]);
		child_main();
		_exit(0);
	}
	close(logp[1]);
	close(srv4);
	close(drop4);
	if (srv6 >= 0)
		close(srv6);
	return 0;
}

static void stop_server(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	close(logp[0]);
}

/* ---- the query log ---- */

static struct logrec logs[2048];
static int nlogs;

static void drain_log(void)
{
	struct logrec r;
	while (read(logp[0], &r, sizeof r) == (ssize_t)sizeof r)
		if (nlogs < 2048)
			logs[nlogs++] = r;
}

/* Queries for name seen by server srv (0: any). */
static int count_q(const char *name, char srv)
{
	drain_log();
	int n = 0;
	for (int i = 0; i < nlogs; i++)
		if (!strcmp(logs[i].name, name) && (!srv || logs[i].srv == srv))
			n++;
	return n;
}

/* ---- driving the resolver ---- */

struct ctx {
	struct dns_req req;
	int called, err;
	unsigned n;
	struct dns_addr a[DNS_MAX_ADDRS];
};

static void on_done(struct dns_req *r, int err, const struct dns_addr *a, unsigned n)
{
	struct ctx *c = container_of(r, struct ctx, req);
	c->called++;
	c->err = err;
	c->n = n;
	if (n && n <= DNS_MAX_ADDRS)
		memcpy(c->a, a, n * sizeof *a);
}

static void ctx_init(struct ctx *c)
{
	memset(c, 0, sizeof *c);
	dns_req_init(&c->req);
}

static void run_ms(int ms)
{
	int64_t end = mono_ms() + ms;
	for (int64_t now = mono_ms(); now < end; now = mono_ms())
		loop_run_once((int)(end - now));
	drain_log();
}

static int wait_for(struct ctx *c, int ms)
{
	int64_t end = mono_ms() + ms;
	while (!c->called && mono_ms() < end)
		loop_run_once(20);
	drain_log();
	return c->called;
}

static int is_addr(const struct dns_addr *a, const char *text)
{
	unsigned char b[16];
	if (inet_pton(AF_INET, text, b) == 1)
		return a->family == AF_INET && memcmp(a->addr, b, 4) == 0;
	if (inet_pton(AF_INET6, text, b) == 1)
		return a->family == AF_INET6 && memcmp(a->addr, b, 16) == 0;
	return 0;
}

static char hosts_path[64], resolv_path[64], srv_main[64], srv_dead[64], srv_v6[64];
static const char *servers_main[] = { srv_main, NULL };

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int setup(const char *const *servers, unsigned timeout_ms, unsigned attempts,
    unsigned max_inflight, unsigned max_ttl)
{
	struct dns_options o;
	char err[160];
	memset(&o, 0, sizeof o);
	o.resolv_conf = resolv_path;
	o.hosts_file = hosts_path;
	o.servers = servers;
	o.timeout_ms = timeout_ms;
	o.attempts = attempts;
	o.max_inflight = max_inflight;
	o.max_ttl_s = max_ttl;
	drain_log();
	nlogs = 0;
	if (dns_init(&o, err, sizeof err) < 0) {
		fprintf(stderr, "  dns_init: %s\n", err);
		return -1;
	}
	return 0;
}

/* ---- the parser, without the network ---- */

TEST(test_parse_reply)
{
	unsigned char b[1024];
	struct dns_reply r;
	struct ans an[4];

	an[0] = (struct ans){ "a.test", 1, 60, "10.0.0.1" };
	size_t n = build(b, 7, OK_FLAGS, "a.test", 1, an, 1);
	REQUIRE(dns_parse_reply(b, n, "a.test", 1, &r) == 0);
	CHECK_EQ_INT(r.rcode, 0);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.ttl, 60);
	CHECK(is_addr(&r.addrs[0], "10.0.0.1"));
	CHECK(dns_parse_reply(b, n, "A.Test.", 1, &r) == 0 && r.n == 1);
	CHECK(dns_parse_reply(b, n, "a.test", 28, &r) < 0);	/* wrong type */
	CHECK(dns_parse_reply(b, n, "b.test", 1, &r) < 0);	/* wrong name */
	/* Every prefix is incomplete; each ends at a guard page. */
	for (size_t k = 0; k < n; k++) {
		const unsigned char *g = (const unsigned char *)test_guard_copy((const char *)b, k);
		REQUIRE(g);
		CHECK(dns_parse_reply(g, k, "a.test", 1, &r) < 0);
	}
	const unsigned char *g = (const unsigned char *)test_guard_copy((const char *)b, n);
	CHECK(dns_parse_reply(g, n, "a.test", 1, &r) == 0 && r.n == 1);

	/* Header checks. */
	n = build(b, 7, OK_FLAGS & ~0x8000u, "a.test", 1, an, 1);
	CHECK(dns_parse_reply(b, n, "a.test", 1, &r) < 0);
	n = build(b, 7, OK_FLAGS, "a.test", 1, an, 1);
	b[5] = 2;	/* qdcount 2 */
	CHECK(dns_parse_reply(b, n, "a.test", 1, &r) < 0);
	n = build(b, 7, OK_FLAGS, "a.test", 1, an, 1);
	b[12 + 8 + 3] = 3;	/* class CH */
	CHECK(dns_parse_reply(b, n, "a.test", 1, &r) < 0);

	/* Compression: self pointer, forward pointer, a label pointing back
	 * at its own name, the 0x40 label type. */
	static const unsigned char self[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1 };
	CHECK(dns_parse_reply(self, sizeof self, "a.test", 1, &r) < 0);
	static const unsigned char fwd[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 16, 0, 1, 1, 'a', 0, 0 };
	CHECK(dns_parse_reply(fwd, sizeof fwd, "a", 1, &r) < 0);
	static const unsigned char loop2[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xC0, 12, 0, 1, 0, 1 };
	CHECK(dns_parse_reply(loop2, sizeof loop2, "a.a", 1, &r) < 0);
	static const unsigned char ext[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1 };
	CHECK(dns_parse_reply(ext, sizeof ext, "a", 1, &r) < 0);

	/* Suffix compression: the answer owner is "www" + pointer to "a.test"
	 * inside the question "www.a.test". */
	static const unsigned char sfx[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 1, 'a', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
		3, 'W', 'W', 'W', 0xC0, 16, 0, 1, 0, 1, 0x80, 0, 0, 5, 0, 4, 1, 2, 3, 4 };
	REQUIRE(dns_parse_reply(sfx, sizeof sfx, "www.a.test", 1, &r) == 0);
	CHECK_EQ_INT(r.n, 1);
	CHECK(is_addr(&r.addrs[0], "1.2.3.4"));
	CHECK_EQ_INT(r.ttl, 0);	/* top bit set: treated as zero */

	/* CNAME after the A record it leads to; an unrelated A ignored. */
	an[0] = (struct ans){ "b.test", 1, 30, "10.0.0.2" };
	an[1] = (struct ans){ "c.test", 1, 60, "6.6.6.6" };
	an[2] = (struct ans){ "a.test", 5, 20, "b.test" };
	n = build(b, 7, OK_FLAGS, "a.test", 1, an, 3);
	REQUIRE(dns_parse_reply(b, n, "a.test", 1, &r) == 0);
	CHECK_EQ_INT(r.n, 1);
	CHECK(is_addr(&r.addrs[0], "10.0.0.2"));
	CHECK_EQ_INT(r.ttl, 20);
	/* A CNAME loop terminates, with no addresses. */
	an[0] = (struct ans){ "a.test", 5, 20, "b.test" };
	an[1] = (struct ans){ "b.test", 5, 20, "a.test" };
	n = build(b, 7, OK_FLAGS, "a.test", 1, an, 2);
	CHECK(dns_parse_reply(b, n, "a.test", 1, &r) == 0 && r.n == 0);

	/* A record with a bad rdlength; an owner name over 255 bytes. */
	an[0] = (struct ans){ "a.test", 1, 60, "10.0.0.1" };
	n = build(b, 7, OK_FLAGS, "a.test", 1, an, 1);
	b[n - 5] = 5;
	CHECK(dns_parse_reply(b, n, "a.test", 1, &r) < 0);
	char longname[300];
	memset(longname, 'x', sizeof longname);
	for (int i = 63; i < 300; i += 64)
		longname[i] = '.';
	longname[4 * 64 - 1] = 0;	/* four 63-byte labels: 257 bytes on the wire */
	an[0] = (struct ans){ longname, 1, 60, "10.0.0.1" };
	n = build(b, 7, OK_FLAGS, "a.test", 1, an, 1);
	CHECK(dns_parse_reply(b, n, "a.test", 1, &r) < 0);

	/* NXDOMAIN and TC parse, the answer section unread. */
	n = build(b, 7, OK_FLAGS | 3, "a.test", 28, an, 0);
	CHECK(dns_parse_reply(b, n, "a.test", 28, &r) == 0 && r.rcode == 3 && r.n == 0);
	an[0] = (struct ans){ "a.test", 1, 60, "10.0.0.1" };
	n = build(b, 7, OK_FLAGS | 0x200, "a.test", 1, an, 1);
	CHECK(dns_parse_reply(b, n, "a.test", 1, &r) == 0 && r.tc && r.n == 0);
}

/* ---- the resolver ---- */

TEST(test_literals_and_names)
{
	struct dns_addr a[DNS_MAX_ADDRS];
	struct ctx c;
	ctx_init(&c);
	/* Literals need no dns_init; names do. */
	CHECK_EQ_INT(dns_resolve(&c.req, "10.1.2.3", a, DNS_MAX_ADDRS, on_done), 1);
	CHECK(is_addr(&a[0], "10.1.2.3"));
	CHECK_EQ_INT(dns_resolve(&c.req, "a.test", a, DNS_MAX_ADDRS, on_done), DNS_EBUSY);

	REQUIRE(setup(servers_main, 500, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "2001:db8::5", a, DNS_MAX_ADDRS, on_done), 1);
	CHECK(is_addr(&a[0], "2001:db8::5"));
	CHECK_EQ_INT(dns_resolve(&c.req, "::1", a, 1, on_done), 1);
	CHECK(is_addr(&a[0], "::1"));
	CHECK_EQ_INT(dns_resolve(&c.req, "::1", NULL, 0, on_done), 1);

	char l63[80], l64[80], n253[300], n254[300];
	memset(l63, 'a', 63);
	strcpy(l63 + 63, ".test");
	memset(l64, 'a', 64);
	strcpy(l64 + 64, ".test");
	memset(n253, 'b', 253);
	n253[253] = 0;
	for (int i = 63; i < 253; i += 64)
		n253[i] = '.';
	memcpy(n254, n253, 254);
	n254[253] = 'b';
	n254[254] = 0;
	const char *bad[] = { "", ".", "..", "a..b", ".a", "a.b..", "a b", "a\tb", "\x80x.test",
		"a.te\x7fst", l64, n254 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = dns_resolve(&c.req, bad[i], a, DNS_MAX_ADDRS, on_done);
		if (rc != DNS_EBADNAME)
			fprintf(stderr, "  bad name #%zu accepted (%d)\n", i, rc);
		CHECK_EQ_INT(rc, DNS_EBADNAME);
	}
	CHECK_EQ_INT(dns_resolve(&c.req, NULL, a, DNS_MAX_ADDRS, on_done), DNS_EBADNAME);
	/* The longest valid names start lookups (the server says NXDOMAIN). */
	struct ctx c2, c3;
	ctx_init(&c2);
	ctx_init(&c3);
	CHECK_EQ_INT(dns_resolve(&c2.req, l63, a, DNS_MAX_ADDRS, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&c3.req, n253, a, DNS_MAX_ADDRS, on_done), 0);
	CHECK(wait_for(&c2, 2000) && c2.err == DNS_ENOTFOUND);
	CHECK(wait_for(&c3, 2000) && c3.err == DNS_ENOTFOUND);
	CHECK_EQ_INT(c.called, 0);
	CHECK(strcmp(dns_strerror(DNS_ETIMEOUT), dns_strerror(DNS_ENOTFOUND)) != 0);
	dns_free();
}

TEST(test_hosts)
{
	struct dns_addr a[DNS_MAX_ADDRS];
	struct ctx c;
	ctx_init(&c);
	write_file(hosts_path,
	    "# comment line\n"
	    "127.0.0.1\tlocalhost\n"
	    "::1 localhost ip6-localhost\n"
	    "192.168.1.5 MyHost.LAN. myhost alias2 # trailing comment ignored-name\n"
	    "::5 myhost.lan\r\n"
	    "10.9.9.9   myhost.lan\n"
	    "not-an-ip bogus.name\n"
	    "10.0.0.99 bad..name good.name\n"
	    "192.168.1.5 myhost.lan\n"
	    "10.7.7.7 last.name");
	REQUIRE(setup(servers_main, 500, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "myhost.lan", a, DNS_MAX_ADDRS, on_done), 3);
	CHECK(is_addr(&a[0], "192.168.1.5"));
	CHECK(is_addr(&a[1], "10.9.9.9"));
	CHECK(is_addr(&a[2], "::5"));
	CHECK_EQ_INT(dns_resolve(&c.req, "MYHOST.lan.", a, DNS_MAX_ADDRS, on_done), 3);
	CHECK_EQ_INT(dns_resolve(&c.req, "myhost.lan", a, 1, on_done), 1);
	CHECK_EQ_INT(dns_resolve(&c.req, "alias2", a, DNS_MAX_ADDRS, on_done), 1);
	CHECK(is_addr(&a[0], "192.168.1.5"));
	CHECK_EQ_INT(dns_resolve(&c.req, "localhost", a, DNS_MAX_ADDRS, on_done), 2);
	CHECK(is_addr(&a[0], "127.0.0.1"));
	CHECK(is_addr(&a[1], "::1"));
	CHECK_EQ_INT(dns_resolve(&c.req, "good.name", a, DNS_MAX_ADDRS, on_done), 1);
	CHECK(is_addr(&a[0], "10.0.0.99"));
	CHECK_EQ_INT(dns_resolve(&c.req, "last.name", a, DNS_MAX_ADDRS, on_done), 1);
	CHECK_EQ_INT(count_q("myhost.lan", 0), 0);
	/* Not in the file: these go to the server. */
	CHECK_EQ_INT(dns_resolve(&c.req, "ignored-name", a, DNS_MAX_ADDRS, on_done), 0);
	dns_cancel(&c.req);
	CHECK_EQ_INT(dns_resolve(&c.req, "bogus.name", a, DNS_MAX_ADDRS, on_done), 0);
	dns_cancel(&c.req);

	/* Reload picks up the new file and empties the cache. */
	struct ctx d;
	ctx_init(&d);
	CHECK_EQ_INT(dns_resolve(&d.req, "a.test", a, DNS_MAX_ADDRS, on_done), 0);
	CHECK(wait_for(&d, 2000) && d.err == 0);
	CHECK_EQ_INT(dns_resolve(&d.req, "a.test", a, DNS_MAX_ADDRS, on_done), 2);
	write_file(hosts_path, "10.1.1.1 newhost\n");
	char err[128];
	CHECK_EQ_INT(dns_reload(err, sizeof err), 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "newhost", a, DNS_MAX_ADDRS, on_done), 1);
	CHECK(is_addr(&a[0], "10.1.1.1"));
	CHECK_EQ_INT(dns_resolve(&c.req, "myhost.lan", a, DNS_MAX_ADDRS, on_done), 0);
	dns_cancel(&c.req);
	ctx_init(&d);
	CHECK_EQ_INT(dns_resolve(&d.req, "a.test", a, DNS_MAX_ADDRS, on_done), 0);
	CHECK(wait_for(&d, 2000) && d.err == 0 && d.n == 2);
	dns_free();
	write_file(hosts_path, "");
}

TEST(test_resolv_conf)
{
	char buf[256], err[128], text[512];
	struct dns_options o;
	memset(&o, 0, sizeof o);
	o.hosts_file = hosts_path;
	o.resolv_conf = resolv_path;
	snprintf(text, sizeof text,
	    "# comment\ndomain example.com\nsearch a b\n"
	    "nameserver 127.0.0.1:%u\n"
	    "nameserver\t::1\n"
	    "options ndots:2\nnameserver bogus\nnameserver\n", port4);
	write_file(resolv_path, text);
	REQUIRE(dns_init(&o, err, sizeof err) == 0);
	unsigned n = dns_format_servers(buf, sizeof buf);
	char want[128];
	snprintf(want, sizeof want, srv6 >= 0 ? "127.0.0.1:%u [::1]:53" : "127.0.0.1:%u", port4);
	CHECK_EQ_INT(n, srv6 >= 0 ? 2 : 1);
	CHECK_EQ_STR(buf, strlen(buf), want);
	struct ctx c;
	ctx_init(&c);
	CHECK_EQ_INT(dns_resolve(&c.req, "a.test", NULL, 0, on_done), 0);
	CHECK(wait_for(&c, 2000) && c.err == 0 && c.n == 2);
	dns_free();

	/* No nameserver line, or no file: 127.0.0.1 like glibc. */
	write_file(resolv_path, "search example.com\n");
	REQUIRE(dns_init(&o, err, sizeof err) == 0);
	dns_format_servers(buf, sizeof buf);
	CHECK_EQ_STR(buf, strlen(buf), "127.0.0.1:53");
	dns_free();
	o.resolv_conf = "/nonexistent/resolv.conf";
	REQUIRE(dns_init(&o, err, sizeof err) == 0);
	CHECK_EQ_INT(dns_format_servers(buf, sizeof buf), 1);
	dns_free();

	/* Explicit servers override the file; bad ones are refused. */
	const char *sv[] = { "[::1]:5353", "1.2.3.4", "5.6.7.8:99", NULL };
	o.servers = sv;
	if (srv6 >= 0) {
		REQUIRE(dns_init(&o, err, sizeof err) == 0);
		dns_format_servers(buf, sizeof buf);
		CHECK_EQ_STR(buf, strlen(buf), "[::1]:5353 1.2.3.4:53 5.6.7.8:99");
		dns_free();
	}
	const char *bads[] = { "1.2.3.4:99999", "[::1", "1.2.3.4:", "[1.2.3.4]:53", "host.name", "::1]:53", "1.2.3.4:0" };
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		const char *one[] = { bads[i], NULL };
		o.servers = one;
		err[0] = 0;
		CHECK(dns_init(&o, err, sizeof err) < 0);
		CHECK(strstr(err, bads[i]) != NULL);
	}
}

TEST(test_a_and_cache)
{
	struct dns_addr a[DNS_MAX_ADDRS];
	struct ctx c, c2;
	ctx_init(&c);
	ctx_init(&c2);
	REQUIRE(setup(servers_main, 1000, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "a.test", a, DNS_MAX_ADDRS, on_done), 0);
	CHECK_EQ_INT(c.called, 0);	/* never from inside dns_resolve */
	REQUIRE(wait_for(&c, 2000));
	CHECK_EQ_INT(c.called, 1);
	CHECK_EQ_INT(c.err, 0);
	REQUIRE(c.n == 2);
	CHECK(is_addr(&c.a[0], "10.0.0.1"));
	CHECK(is_addr(&c.a[1], "::1"));
	CHECK_EQ_INT(count_q("a.test", 'n'), 2);
	/* From the cache: immediate, no query, no callback. */
	memset(a, 0, sizeof a);
	CHECK_EQ_INT(dns_resolve(&c2.req, "a.test", a, DNS_MAX_ADDRS, on_done), 2);
	CHECK(is_addr(&a[0], "10.0.0.1"));
	CHECK(is_addr(&a[1], "::1"));
	CHECK_EQ_INT(dns_resolve(&c2.req, "A.Test.", a, DNS_MAX_ADDRS, on_done), 2);
	run_ms(50);
	CHECK_EQ_INT(count_q("a.test", 0), 2);
	CHECK_EQ_INT(c2.called, 0);
	CHECK_EQ_INT(c.called, 1);
	dns_free();
}

TEST(test_cname)
{
	struct ctx c, d;
	ctx_init(&c);
	ctx_init(&d);
	REQUIRE(setup(servers_main, 1000, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "cname.test", NULL, 0, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&d.req, "evil-cname.test", NULL, 0, on_done), 0);
	REQUIRE(wait_for(&c, 2000) && wait_for(&d, 2000));
	CHECK_EQ_INT(c.err, 0);
	CHECK_EQ_INT(c.n, 2);
	CHECK(is_addr(&c.a[0], "10.0.0.1"));
	CHECK(is_addr(&c.a[1], "::1"));
	CHECK_EQ_INT(d.err, 0);
	CHECK_EQ_INT(d.n, 1);
	CHECK(is_addr(&d.a[0], "10.0.0.5"));
	dns_free();
}

TEST(test_negative)
{
	struct ctx c, d;
	ctx_init(&c);
	ctx_init(&d);
	REQUIRE(setup(servers_main, 1000, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "nx.test", NULL, 0, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&d.req, "nodata.test", NULL, 0, on_done), 0);
	REQUIRE(wait_for(&c, 2000) && wait_for(&d, 2000));
	CHECK_EQ_INT(c.err, DNS_ENOTFOUND);
	CHECK_EQ_INT(c.n, 0);
	CHECK_EQ_INT(d.err, DNS_ENOTFOUND);
	run_ms(30);
	int qn = count_q("nx.test", 0), qd = count_q("nodata.test", 0);
	CHECK(qn >= 1 && qn <= 2);
	CHECK_EQ_INT(qd, 2);
	/* Both kinds are cached. */
	CHECK_EQ_INT(dns_resolve(&c.req, "nx.test", NULL, 0, on_done), DNS_ENOTFOUND);
	CHECK_EQ_INT(dns_resolve(&d.req, "nodata.test", NULL, 0, on_done), DNS_ENOTFOUND);
	run_ms(30);
	CHECK_EQ_INT(count_q("nx.test", 0), qn);
	CHECK_EQ_INT(count_q("nodata.test", 0), qd);
	CHECK_EQ_INT(c.called, 1);
	dns_free();
}

TEST(test_ttl_expiry)
{
	struct ctx c, d;
	ctx_init(&c);
	ctx_init(&d);
	/* ttl1.test has TTL 1; a.test has 60, capped to 1 by max_ttl_s. */
	REQUIRE(setup(servers_main, 1000, 2, 0, 1) == 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "ttl1.test", NULL, 0, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&d.req, "a.test", NULL, 0, on_done), 0);
	REQUIRE(wait_for(&c, 2000) && wait_for(&d, 2000));
	CHECK_EQ_INT(c.err, 0);
	CHECK_EQ_INT(c.n, 1);
	CHECK(is_addr(&c.a[0], "10.0.0.2"));
	CHECK_EQ_INT(dns_resolve(&c.req, "ttl1.test", NULL, 0, on_done), 1);
	CHECK_EQ_INT(dns_resolve(&d.req, "a.test", NULL, 0, on_done), 2);
	run_ms(1100);
	ctx_init(&c);
	ctx_init(&d);
	CHECK_EQ_INT(dns_resolve(&c.req, "ttl1.test", NULL, 0, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&d.req, "a.test", NULL, 0, on_done), 0);
	CHECK(wait_for(&c, 2000) && c.err == 0 && c.n == 1);
	CHECK(wait_for(&d, 2000) && d.err == 0 && d.n == 2);
	CHECK_EQ_INT(count_q("ttl1.test", 0), 4);
	CHECK_EQ_INT(count_q("a.test", 0), 4);
	dns_free();
}

TEST(test_timeout)
{
	struct ctx c;
	ctx_init(&c);
	REQUIRE(setup(servers_main, 100, 2, 0, 0) == 0);
	int64_t t0 = mono_ms();
	CHECK_EQ_INT(dns_resolve(&c.req, "x.drop.test", NULL, 0, on_done), 0);
	REQUIRE(wait_for(&c, 3000));
	int64_t el = mono_ms() - t0;
	CHECK_EQ_INT(c.err, DNS_ETIMEOUT);
	CHECK(el >= 190 && el < 1500);
	run_ms(150);	/* and nothing more goes out */
	CHECK_EQ_INT(count_q("x.drop.test", 0), 4);
	CHECK_EQ_INT(c.called, 1);
	dns_free();
}

TEST(test_failover)
{
	const char *sv[] = { srv_dead, srv_main, NULL };
	struct ctx c;
	ctx_init(&c);
	REQUIRE(setup(sv, 100, 2, 0, 0) == 0);
	int64_t t0 = mono_ms();
	CHECK_EQ_INT(dns_resolve(&c.req, "a.test", NULL, 0, on_done), 0);
	REQUIRE(wait_for(&c, 2000));
	CHECK(mono_ms() - t0 >= 90);
	CHECK_EQ_INT(c.err, 0);
	CHECK_EQ_INT(c.n, 2);
	CHECK(is_addr(&c.a[0], "10.0.0.1"));
	CHECK_EQ_INT(count_q("a.test", 'd'), 2);
	CHECK_EQ_INT(count_q("a.test", 'n'), 2);
	dns_free();
}

TEST(test_server_failures)
{
	static const char *names[] = { "servfail.test", "refused.test", "trunc.test" };
	struct ctx c[3];
	REQUIRE(setup(servers_main, 2000, 2, 0, 0) == 0);
	int64_t t0 = mono_ms();
	for (int i = 0; i < 3; i++) {
		ctx_init(&c[i]);
		CHECK_EQ_INT(dns_resolve(&c[i].req, names[i], NULL, 0, on_done), 0);
	}
	for (int i = 0; i < 3; i++) {
		REQUIRE(wait_for(&c[i], 3000));
		CHECK_EQ_INT(c[i].err, DNS_ESERVFAIL);
		CHECK_EQ_INT(count_q(names[i], 0), 4);	/* both tries, no waiting */
	}
	CHECK(mono_ms() - t0 < 1500);
	/* Failures are not cached. */
	CHECK_EQ_INT(dns_resolve(&c[0].req, "servfail.test", NULL, 0, on_done), 0);
	dns_cancel(&c[0].req);
	dns_free();
}

TEST(test_garbage)
{
	struct ctx c;
	ctx_init(&c);
	REQUIRE(setup(servers_main, 1000, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "garbage.test", NULL, 0, on_done), 0);
	REQUIRE(wait_for(&c, 2000));
	CHECK_EQ_INT(c.err, 0);
	CHECK_EQ_INT(c.n, 1);
	CHECK(is_addr(&c.a[0], "10.0.0.3"));
	CHECK_EQ_INT(count_q("garbage.test", 0), 2);	/* answered on the first try */
	dns_free();
}

TEST(test_upper_and_many)
{
	struct ctx c, d;
	ctx_init(&c);
	ctx_init(&d);
	REQUIRE(setup(servers_main, 1000, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "upper.test", NULL, 0, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&d.req, "many.test", NULL, 0, on_done), 0);
	REQUIRE(wait_for(&c, 2000) && wait_for(&d, 2000));
	CHECK(c.err == 0 && c.n == 1 && is_addr(&c.a[0], "10.0.0.8"));
	/* 10 + 10 records: 8 kept, IPv4 first, room left for IPv6. */
	CHECK_EQ_INT(d.err, 0);
	REQUIRE(d.n == DNS_MAX_ADDRS);
	CHECK(is_addr(&d.a[0], "10.1.0.1"));
	CHECK(is_addr(&d.a[3], "10.1.0.4"));
	CHECK(is_addr(&d.a[4], "fd::1"));
	CHECK(is_addr(&d.a[7], "fd::4"));
	dns_free();
}

TEST(test_shared_and_cancel)
{
	struct ctx c1, c2, c3, c4;
	ctx_init(&c1);
	ctx_init(&c2);
	ctx_init(&c3);
	ctx_init(&c4);
	REQUIRE(setup(servers_main, 1000, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c1.req, "share.test", NULL, 0, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&c2.req, "share.test", NULL, 0, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&c3.req, "share.test", NULL, 0, on_done), 0);
	dns_cancel(&c2.req);
	CHECK_EQ_INT(c2.req.lookup, -1);
	dns_cancel(&c2.req);	/* twice, and on an idle request: harmless */
	dns_cancel(&c4.req);
	CHECK_EQ_INT(dns_resolve(&c4.req, "a.test", NULL, 0, on_done), 0);
	dns_cancel(&c4.req);	/* the last waiter: the lookup goes on for the cache */
	REQUIRE(wait_for(&c1, 2000) && wait_for(&c3, 2000));
	CHECK(c1.err == 0 && c1.n == 1 && is_addr(&c1.a[0], "10.0.0.4"));
	CHECK(c3.err == 0 && c3.n == 1 && is_addr(&c3.a[0], "10.0.0.4"));
	CHECK_EQ_INT(count_q("share.test", 0), 2);
	int64_t end = mono_ms() + 2000;
	while (count_q("a.test", 0) < 2 && mono_ms() < end)
		loop_run_once(10);
	run_ms(50);
	CHECK_EQ_INT(c2.called, 0);
	CHECK_EQ_INT(c4.called, 0);
	CHECK_EQ_INT(c1.called, 1);
	struct dns_addr a[DNS_MAX_ADDRS];
	CHECK_EQ_INT(dns_resolve(&c4.req, "a.test", a, DNS_MAX_ADDRS, on_done), 2);
	dns_free();
}

/* A callback that re-resolves its name and cancels another waiter. */
static struct ctx *victim;
static int reresolve_rc = 99;
static void on_done_reenter(struct dns_req *r, int err, const struct dns_addr *a, unsigned n)
{
	on_done(r, err, a, n);
	if (victim)
		dns_cancel(&victim->req);
	struct dns_addr out[DNS_MAX_ADDRS];
	reresolve_rc = dns_resolve(r, "share.test", out, DNS_MAX_ADDRS, on_done);
}

TEST(test_reentrant_callback)
{
	struct ctx c1, c2;
	ctx_init(&c1);
	ctx_init(&c2);
	victim = &c2;
	REQUIRE(setup(servers_main, 1000, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c1.req, "share.test", NULL, 0, on_done_reenter), 0);
	CHECK_EQ_INT(dns_resolve(&c2.req, "share.test", NULL, 0, on_done), 0);
	REQUIRE(wait_for(&c1, 2000));
	run_ms(30);
	CHECK_EQ_INT(c1.called, 1);
	CHECK_EQ_INT(c2.called, 0);
	CHECK_EQ_INT(reresolve_rc, 1);	/* served from the cache just filled */
	victim = NULL;
	dns_free();
}

TEST(test_busy_and_ids)
{
	struct ctx c[4];
	for (int i = 0; i < 4; i++)
		ctx_init(&c[i]);
	REQUIRE(setup(servers_main, 2000, 1, 2, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c[0].req, "1.drop.test", NULL, 0, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&c[1].req, "2.drop.test", NULL, 0, on_done), 0);
	CHECK_EQ_INT(dns_resolve(&c[2].req, "3.drop.test", NULL, 0, on_done), DNS_EBUSY);
	CHECK_EQ_INT(dns_resolve(&c[3].req, "1.drop.test", NULL, 0, on_done), 0);	/* shares */
	dns_cancel(&c[1].req);	/* orphans 2.drop.test: its slot can be taken */
	CHECK_EQ_INT(dns_resolve(&c[2].req, "3.drop.test", NULL, 0, on_done), 0);
	dns_free();
	for (int i = 0; i < 4; i++)
		dns_req_init(&c[i].req);

	/* Query ids: 16 queries in flight, all distinct, not a sequence. */
	struct ctx d[8];
	char names[8][32];
	REQUIRE(setup(servers_main, 2000, 1, 0, 0) == 0);
	for (int i = 0; i < 8; i++) {
		ctx_init(&d[i]);
		snprintf(names[i], sizeof names[i], "id%d.drop.test", i);
		CHECK_EQ_INT(dns_resolve(&d[i].req, names[i], NULL, 0, on_done), 0);
	}
	/* Late log records of the first half may still arrive: keep ours. */
	uint16_t ids[16];
	int nids = 0;
	int64_t end = mono_ms() + 2000;
	for (int seen = 0; nids < 16 && mono_ms() < end;) {
		loop_run_once(10);
		drain_log();
		for (; seen < nlogs && nids < 16; seen++)
			if (!strncmp(logs[seen].name, "id", 2))
				ids[nids++] = logs[seen].id;
	}
	REQUIRE(nids == 16);
	int dup = 0, step = 0;
	for (int i = 0; i < 16; i++) {
		for (int j = i + 1; j < 16; j++)
			dup += ids[i] == ids[j];
		if (i && (uint16_t)(ids[i] - ids[i - 1]) <= 2)
			step++;
	}
	CHECK_EQ_INT(dup, 0);
	CHECK(step < 4);
	dns_free();
}

TEST(test_ipv6_server)
{
	if (srv6 < 0) {
		printf("  (no IPv6 loopback: skipped)\n");
		return;
	}
	const char *sv[] = { srv_v6, NULL };
	struct ctx c;
	ctx_init(&c);
	REQUIRE(setup(sv, 1000, 2, 0, 0) == 0);
	CHECK_EQ_INT(dns_resolve(&c.req, "a.test", NULL, 0, on_done), 0);
	REQUIRE(wait_for(&c, 2000));
	CHECK(c.err == 0 && c.n == 2 && is_addr(&c.a[0], "10.0.0.1"));
	CHECK_EQ_INT(count_q("a.test", '6'), 2);
	dns_free();
}

/* A 10 ms ticker: the loop must keep running while slow.test is pending. */
static int64_t last_tick, max_gap;
static int ticks;
static void on_tick(struct loop_timer *t)
{
	int64_t now = mono_ms();
	if (last_tick && now - last_tick > max_gap)
		max_gap = now - last_tick;
	last_tick = now;
	ticks++;
	loop_timer_set(t, 10, on_tick);
}

TEST(test_slow_does_not_stall)
{
	struct ctx c;
	struct loop_timer tick;
	ctx_init(&c);
	loop_timer_init(&tick);
	REQUIRE(setup(servers_main, 3000, 1, 0, 0) == 0);
	int64_t t0 = mono_ms();
	CHECK_EQ_INT(dns_resolve(&c.req, "slow.test", NULL, 0, on_done), 0);
	last_tick = 0;
	max_gap = 0;
	ticks = 0;
	loop_timer_set(&tick, 10, on_tick);
	REQUIRE(wait_for(&c, 3000));
	loop_timer_stop(&tick);
	int64_t el = mono_ms() - t0;
	CHECK(c.err == 0 && c.n == 1 && is_addr(&c.a[0], "10.0.0.7"));
	CHECK(el >= 1400);
	CHECK(ticks >= 50);
	if (max_gap >= 300)
		fprintf(stderr, "  max tick gap %lld ms\n", (long long)max_gap);
	CHECK(max_gap < 300);
	dns_free();
}

int main(void)
{
	test_suite = "dns";
	alarm(60);	/* a hung test fails instead of hanging the run */
	signal(SIGPIPE, SIG_IGN);
	snprintf(hosts_path, sizeof hosts_path, "/tmp/test_dns_hosts.%d", (int)getpid());
	snprintf(resolv_path, sizeof resolv_path, "/tmp/test_dns_resolv.%d", (int)getpid());
	write_file(hosts_path, "");
	write_file(resolv_path, "");
	if (loop_init(64, 256) < 0 || start_server() < 0) {
		fprintf(stderr, "cannot start the fake DNS server\n");
		return 1;
	}
	snprintf(srv_main, sizeof srv_main, "127.0.0.1:%u", port4);
	snprintf(srv_dead, sizeof srv_dead, "127.0.0.1:%u", portdrop);
	snprintf(srv_v6, sizeof srv_v6, "[::1]:%u", port6);

	RUN(test_parse_reply);
	RUN(test_literals_and_names);
	RUN(test_hosts);
	RUN(test_resolv_conf);
	RUN(test_a_and_cache);
	RUN(test_cname);
	RUN(test_negative);
	RUN(test_ttl_expiry);
	RUN(test_timeout);
	RUN(test_failover);
	RUN(test_server_failures);
	RUN(test_garbage);
	RUN(test_upper_and_many);
	RUN(test_shared_and_cancel);
	RUN(test_reentrant_callback);
	RUN(test_busy_and_ids);
	RUN(test_ipv6_server);
	RUN(test_slow_does_not_stall);

	dns_free();
	stop_server();
	loop_free();
	unlink(hosts_path);
	unlink(resolv_path);
	return test_summary();
}
