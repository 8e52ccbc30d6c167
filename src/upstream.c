/*
 * upstream.c - connections to providers: DNS (dns.c), non-blocking connect
 * with a timeout, TLS (tls.c) or plain TCP, and a keep-alive pool keyed by
 * scheme, host and port, so a steady stream of requests pays one TCP and
 * TLS handshake per connection, not per request.
 *
 * The pool of struct upconn is allocated at start-up (max_upstream). A
 * connection belongs to at most one request at a time; when the request
 * is done it comes back idle (watched for the server closing it, expiring
 * after upstream_idle) or is closed. Events go to the request's callback
 * (struct up_req, upstream.h); nothing here calls back synchronously from
 * upstream_get(), so callers never see re-entrancy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fmt.h"
#include "gw.h"
#include "upstream.h"
#include "log.h"
#include "tls.h"

enum up_state { U_FREE, U_RESOLVING, U_CONNECTING, U_BUSY, U_IDLE };

struct upconn {
	struct loop_fd w;
	struct loop_timer timer;
	enum up_state state;
	const struct cfg_url *url;
	struct up_req *req;		/* the request holding it, NULL when idle */
	struct tls *tls;
	struct dns_req dns;
	struct dns_addr addrs[DNS_MAX_ADDRS];
	unsigned naddrs, ai;
	unsigned want;
	int reused;
	unsigned gen;			/* configuration generation of url */
	char err[160];
	struct upconn *next;		/* free list */
	struct upconn *inext, *iprev;	/* idle list, most recently idled first */
};

static struct upconn *ups;
static unsigned nups, ups_made;
static struct upconn *free_ups;
static struct upconn *idle_head, *idle_tail;	/* only idle connections: no scan of the pool */

static void idle_unlink(struct upconn *u)
{
	if (u->iprev)
		u->iprev->inext = u->inext;
	else
		idle_head = u->inext;
	if (u->inext)
		u->inext->iprev = u->iprev;
	else
		idle_tail = u->iprev;
	u->inext = u->iprev = NULL;
}

static void idle_push(struct upconn *u)
{
	u->iprev = NULL;
	u->inext = idle_head;
	if (idle_head)
		idle_head->iprev = u;
	else
		idle_tail = u;
	idle_head = u;
}

/* u->err as "<what>: <why>" ("connect failed: Connection refused"): the
 * kind of failure, never the provider's address, since the message goes
 * to clients; the caller's log line says which host it was. */
__attribute__((noinline)) static void conn_err(struct upconn *u, const char *what, const char *why)
{
	fmt_snprintf(u->err, sizeof u->err, "%s: %s", what, why);
}

/* u->err for a failed TLS read, write or flush. */
__attribute__((noinline)) static void tls_err(struct upconn *u)
{
	conn_err(u, "TLS", tls_error(u->tls));
}

static void on_io(struct loop_fd *w, unsigned ev);
static void on_timer(struct loop_timer *t);

static void report(struct upconn *u, unsigned what)
{
	u->req->cb(u->req, what);
}

int upstream_init(const struct cfg *config)
{
	nups = gw_upstream_slots(config);
	ups_made = 0;
	/* Entries are set up on first use (up_take): untouched ones cost no
	 * RSS, however large max_upstream is. */
	ups = calloc(nups, sizeof *ups);
	return ups ? 0 : -1;
}

/* A free connection slot: a returned one, else the next never-used entry. */
static struct upconn *up_take(void)
{
	struct upconn *u = free_ups;
	if (u) {
		free_ups = u->next;
	} else if (ups_made < nups) {
		u = &ups[ups_made++];
		loop_fd_init(&u->w);
		loop_timer_init(&u->timer);
		dns_req_init(&u->dns);
		u->state = U_FREE;
	}
	return u;
}

static void up_close(struct upconn *u)
{
	if (u->state == U_FREE)
		return;
	if (u->state == U_IDLE)
		idle_unlink(u);
	dns_cancel(&u->dns);
	loop_timer_stop(&u->timer);
	if (u->w.slot >= 0)
		loop_del(&u->w);
	if (u->tls) {
		tls_close(u->tls);
		u->tls = NULL;
	}
	if (u->w.fd >= 0)
		close(u->w.fd);
	u->w.fd = -1;
	u->req = NULL;
	u->state = U_FREE;
	u->next = free_ups;
	free_ups = u;
}

void upstream_free(void)
{
	if (!ups)
		return;
	for (unsigned i = 0; i < ups_made; i++)
		up_close(&ups[i]);
	free(ups);
	ups = NULL;
	free_ups = NULL;
	idle_head = idle_tail = NULL;
}

static int same_host(const struct cfg_url *a, const struct cfg_url *b)
{
	return a->tls == b->tls && a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* Starts a TCP connect to the next address; 1 started, 0 none left. */
static int connect_next(struct upconn *u)
{
	while (u->ai < u->naddrs) {
		const struct dns_addr *a = &u->addrs[u->ai++];
		struct sockaddr_storage ss;
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		int v4 = a->family == AF_INET;
		socklen_t slen = v4 ? sizeof *s4 : sizeof *s6;
		/* The family and port sit at the same offsets in both. */
		_Static_assert(offsetof(struct sockaddr_in, sin_port) == offsetof(struct sockaddr_in6, sin6_port),
			       "port offsets");
		memset(&ss, 0, sizeof ss);
		ss.ss_family = v4 ? AF_INET : AF_INET6;
		s4->sin_port = htons(u->url->port);
		memcpy(v4 ? (void *)&s4->sin_addr : (void *)&s6->sin6_addr, a->addr, v4 ? 4 : 16);
		if (u->w.fd >= 0) {
			loop_del(&u->w);
			close(u->w.fd);
			u->w.fd = -1;
		}
		int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			conn_err(u, "socket", strerror(errno));
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, (struct sockaddr *)&ss, slen) < 0 && errno != EINPROGRESS) {
			conn_err(u, "connect failed", strerror(errno));
			close(fd);
			continue;
		}
		if (loop_add(&u->w, fd, LOOP_OUT, on_io) < 0) {
			close(fd);
			fmt_snprintf(u->err, sizeof u->err, "too many open files");
			return 0;
		}
		u->state = U_CONNECTING;
		gw.upstream_connects++;
		loop_timer_set(&u->timer, gw.cfg->gw.connect_timeout_ms, on_timer);
		return 1;
	}
	return 0;
}

static void on_dns(struct dns_req *r, int err, const struct dns_addr *addrs, unsigned n)
{
	struct upconn *u = container_of(r, struct upconn, dns);
	if (err < 0) {
		conn_err(u, "name lookup failed", dns_strerror(err));
		report(u, UP_FAILED);
		return;
	}
	if (n > DNS_MAX_ADDRS)
		n = DNS_MAX_ADDRS;
	memcpy(u->addrs, addrs, n * sizeof *addrs);
	u->naddrs = n;
	u->ai = 0;
	if (!connect_next(u))
		report(u, UP_FAILED);
}

int upstream_get(struct up_req *r, const struct cfg_url *url)
{
	/* Reuse the most recently idled connection to the same host: it is the
	 * least likely to have been closed by the server meanwhile. */
	struct upconn *best = NULL;
	for (struct upconn *u = idle_head; u && !r->fresh; u = u->inext)
		if (same_host(u->url, url)) {
			best = u;	/* the list is newest first */
			break;
		}
	if (best) {
		idle_unlink(best);
		loop_timer_stop(&best->timer);
		best->state = U_BUSY;
		best->req = r;
		best->url = url;
		best->gen = gw.gen;
		best->reused = 1;
		best->want = 0;
		best->err[0] = 0;
		r->u = best;
		return 1;
	}
	struct upconn *u = up_take();
	if (!u) {
		/* Evict the idle connection unused the longest. */
		struct upconn *old = idle_tail;	/* unused the longest */
		if (!old)
			return -1;
		up_close(old);
		u = up_take();
	}
	u->next = NULL;
	u->req = r;
	u->url = url;
	u->gen = gw.gen;
	u->reused = 0;
	u->want = 0;
	u->err[0] = 0;
	u->naddrs = u->ai = 0;
	u->w.fd = -1;
	r->u = u;
	if (url->tls) {
		u->tls = tls_client_open(url->host);
		if (!u->tls) {
			u->state = U_BUSY;
			fmt_snprintf(u->err, sizeof u->err, "no free TLS context (max_upstream)");
			return -1;
		}
	}
	u->state = U_RESOLVING;
	int n = dns_resolve(&u->dns, url->host, u->addrs, DNS_MAX_ADDRS, on_dns);
	if (n < 0) {
		conn_err(u, "name lookup failed", dns_strerror(n));
		return -1;
	}
	if (n == 0) {
		loop_timer_set(&u->timer, gw.cfg->gw.connect_timeout_ms, on_timer);
		return 0;
	}
	u->naddrs = (unsigned)n;
	if (!connect_next(u))
		return -1;
	return 0;
}

void upstream_release(struct up_req *r, int reusable)
{
	struct upconn *u = r->u;
	if (!u)
		return;
	r->u = NULL;
	u->req = NULL;
	if (!reusable || u->state != U_BUSY || gw.stopping || gw.cfg->gw.upstream_idle_ms == 0 || u->gen != gw.gen) {
		up_close(u);
		return;
	}
	u->state = U_IDLE;
	idle_push(u);
	u->want = 0;
	loop_set(&u->w, LOOP_IN);
	loop_timer_set(&u->timer, gw.cfg->gw.upstream_idle_ms, on_timer);
}

ssize_t upstream_read(struct up_req *r, void *buf, size_t len)
{
	struct upconn *u = r->u;
	if (u->tls) {
		ssize_t n = tls_read(u->tls, u->w.fd, buf, len);
		if (n < 0 && errno == EPROTO)
			tls_err(u);
		return n;
	}
	for (;;) {
		ssize_t n = recv(u->w.fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			conn_err(u, "read failed", strerror(errno));
		return n;
	}
}

ssize_t upstream_writev(struct up_req *r, const struct iovec *iov, int n)
{
	struct upconn *u = r->u;
	if (u->tls) {
		ssize_t total = 0;
		for (int i = 0; i < n; i++) {
			size_t off = 0;
			while (off < iov[i].iov_len) {
				ssize_t w = tls_write(u->tls, u->w.fd, (const char *)iov[i].iov_base + off, iov[i].iov_len - off);
				if (w < 0) {
					if (errno == EPROTO)
						tls_err(u);
					return total > 0 ? total : -1;
				}
				off += (size_t)w;
				total += w;
			}
		}
		/* Records of a complete request go out now, not at the next read. */
		if (tls_flush(u->tls, u->w.fd) < 0 && errno != EAGAIN) {
			tls_err(u);
			return -1;
		}
		return total;
	}
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
	for (;;) {
		ssize_t w = sendmsg(u->w.fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			conn_err(u, "write failed", strerror(errno));
		return w;
	}
}

void upstream_want(struct up_req *r, unsigned what)
{
	struct upconn *u = r->u;
	u->want = what;
	if (u->state != U_BUSY)
		return;
	unsigned ev = ((what & UP_READABLE) ? LOOP_IN : 0) | ((what & UP_WRITABLE) ? LOOP_OUT : 0);
	/* TLS may need the other direction first (records to flush before a
	 * read, a handshake message to read before a write). Paused (what 0)
	 * means paused, whatever the engine holds. */
	if (u->tls && what)
		ev = tls_want(u->tls);
	if (u->w.slot < 0)
		loop_add(&u->w, u->w.fd, ev, on_io);	/* was parked after a hang-up */
	else
		loop_set(&u->w, ev);
}

void upstream_timeout(struct up_req *r, unsigned ms)
{
	struct upconn *u = r->u;
	if (ms)
		loop_timer_set(&u->timer, ms, on_timer);
	else
		loop_timer_stop(&u->timer);
}

int upstream_was_reused(const struct up_req *r)
{
	return r->u && r->u->reused;
}

const char *upstream_error(const struct up_req *r)
{
	return r->u && r->u->err[0] ? r->u->err : "connection failed";
}

static void on_io(struct loop_fd *w, unsigned ev)
{
	struct upconn *u = container_of(w, struct upconn, w);
	switch (u->state) {
	case U_CONNECTING: {
		int e = 0;
		socklen_t el = sizeof e;
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e) {
			conn_err(u, "connect failed", strerror(e));
			if (!connect_next(u))
				report(u, UP_FAILED);
			return;
		}
		u->state = U_BUSY;
		loop_set(w, 0);
		/* The timer keeps running: connect_timeout covers the TLS
		 * handshake and request, until proxy.c arms first_byte. */
		report(u, UP_CONNECTED);
		return;
	}
	case U_BUSY:
		if (!u->want) {
			/* Paused for a slow client, but poll reports hang-ups
			 * regardless: park the fd until the proxy wants it. */
			loop_del(w);
			return;
		}
		report(u, u->want);
		return;
	case U_IDLE:
		/* The server closed (or sent something unasked): drop it. */
		up_close(u);
		return;
	default:
		return;
	}
}

static void on_timer(struct loop_timer *t)
{
	struct upconn *u = container_of(t, struct upconn, timer);
	if (u->state == U_IDLE) {
		up_close(u);
		return;
	}
	if (u->state == U_RESOLVING || u->state == U_CONNECTING)
		conn_err(u, "connect failed", "timed out");
	if (u->req)
		report(u, UP_TIMEOUT);
}

unsigned upstream_open_count(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ups_made; i++)
		n += ups[i].state != U_FREE;
	return n;
}

void upstream_reconfigure(void)
{
	while (idle_head)
		up_close(idle_head);
}
