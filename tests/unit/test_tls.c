/*
 * test_tls.c - unit tests for src/tls.c: client and server in one process
 * over non-blocking socket pairs, pumped with poll() on what tls_want()
 * asks for. A poll round that sees nothing ready for STALL_MS counts as a
 * hang (tls_want() lied), and every exchange has an overall time bound.
 *
 * The certificates come from tools/gen-test-certs.sh, run into a temporary
 * directory (or into $TLS_TEST_CERT_DIR when set, e.g. build/test-certs);
 * a few more (an expired leaf, an RSA CA) are made here with openssl into
 * the temporary directory. The clock tests replace tls.c's clock with
 * tls_set_clock(). Built with -DLLMGW_TLS=0 it checks the stubs instead,
 * and with -DLLMGW_TLS_RSA=0 that RSA chains fail clearly.
 */
#include "test.h"
#include "tls.h"
#include "loop.h"
#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if !LLMGW_TLS
/* Built without TLS: every entry point answers cleanly, and a CA bundle
 * (an https:// provider) is refused with a message naming the switch. */
TEST(test_stubs)
{
	char err[256] = "";
	struct tls_options o = { "/etc/ssl/certs/ca-certificates.crt", 8 };
	struct tls_options none = { NULL, 0 };
	struct tls_server_options so = { "x.crt", "x.key", 1 };
	struct tls_stats st = { 1, 1, 1 };
	CHECK(tls_init(&o, err, sizeof err) < 0);
	CHECK(strcmp(err, "this llmgw was built without TLS (LLMGW_TLS=0): https:// providers "
		"cannot be used") == 0);
	CHECK(tls_init(&none, err, sizeof err) == 0);
	CHECK(tls_server_init(&so, err, sizeof err) < 0);
	CHECK(strstr(err, "LLMGW_TLS=0") != NULL);
	CHECK(tls_client_open("example.com") == NULL);
	CHECK(tls_server_open() == NULL);
	CHECK_EQ_INT(tls_anchor_count(), 0);
	tls_get_stats(&st);
	CHECK(st.handshakes == 0 && st.resumed == 0 && st.failures == 0);
	tls_close(NULL);
	tls_free();
}

int main(void)
{
	test_suite = "tls";
	RUN(test_stubs);
	return test_summary();
}

#else	/* LLMGW_TLS */

#define STALL_MS 3000
#define BOUND_MS 20000
#define BIG (100 * 1024)

static char certdir[512];
static char tmproot[256];
static char errbuf[256];

static const char *cert(const char *name)
{
	static char paths[8][600];
	static int k;
	if (name[0] == '/')	/* already a path (made by this test) */
		return name;
	char *p = paths[k++ & 7];
	snprintf(p, sizeof paths[0], "%s/%s", certdir, name);
	return p;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* A connected non-blocking pair: sv[0] client end, sv[1] server end.
 * tcp: loopback TCP instead of a UNIX socketpair; small: small socket
 * buffers so that writes come back short or EAGAIN. */
static int make_pair(int sv[2], int tcp, int small)
{
	if (!tcp) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			return -1;
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t al = sizeof a;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int l = socket(AF_INET, SOCK_STREAM, 0);
		if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0
			|| getsockname(l, (struct sockaddr *)&a, &al) < 0)
			return -1;
		sv[0] = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(sv[0], (struct sockaddr *)&a, sizeof a) < 0)
			return -1;
		sv[1] = accept(l, NULL, NULL);
		close(l);
		if (sv[1] < 0)
			return -1;
		int one = 1;
		setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	if (small) {
		int sz = 16384;	/* smaller makes loopback TCP crawl on 200 ms probes */
		for (int i = 0; i < 2; i++) {
			setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
			setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		}
	}
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	return 0;
}

static short to_poll(unsigned w)
{
	return (short)(((w & LOOP_IN) ? POLLIN : 0) | ((w & LOOP_OUT) ? POLLOUT : 0));
}

/* Waits for either end as tls_want() asks (plus extra). 0 ok, -1 stall. */
static int wait_pair(struct tls *c, int cfd, struct tls *s, int sfd)
{
	struct pollfd p[2] = { { cfd, 0, 0 }, { sfd, 0, 0 } };
	int n = 0;
	if (c) {
		unsigned w = tls_want(c);
		if (w == 0)
			return -1;
		p[n].fd = cfd;
		p[n++].events = to_poll(w);
	}
	if (s) {
		unsigned w = tls_want(s);
		if (w == 0)
			return -1;
		p[n].fd = sfd;
		p[n++].events = to_poll(w);
	}
	return poll(p, (nfds_t)n, STALL_MS) > 0 ? 0 : -1;
}

static int is_again(ssize_t r)
{
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Runs both handshakes to the end (driven by tls_read, as a caller waiting
 * for a response would). 0 done; -1 with cerr/serr = errno of the failure. */
static int handshake(struct tls *c, int cfd, struct tls *s, int sfd, int *cerr, int *serr)
{
	int64_t end = now_ms() + BOUND_MS;
	char b[16];
	*cerr = *serr = 0;
	while (now_ms() < end) {
		if (c && !*cerr && !tls_handshake_done(c)) {
			ssize_t r = tls_read(c, cfd, b, sizeof b);
			if (r >= 0)
				return -2;	/* nobody sent data */
			if (!is_again(r))
				*cerr = errno;
		}
		if (s && !*serr && !tls_handshake_done(s)) {
			ssize_t r = tls_read(s, sfd, b, sizeof b);
			if (r >= 0)
				return -2;
			if (!is_again(r))
				*serr = errno;
		}
		int cdone = !c || *cerr || tls_handshake_done(c);
		int sdone = !s || *serr || tls_handshake_done(s);
		if (cdone && sdone)
			return (*cerr || *serr) ? -1 : 0;
		/* A side that stopped (done or failed) is not waited on. */
		if (wait_pair(cdone ? NULL : c, cfd, sdone ? NULL : s, sfd) < 0) {
			fprintf(stderr, "  handshake stalled\n");
			return -3;
		}
	}
	fprintf(stderr, "  handshake timed out\n");
	return -3;
}

/* The client sends n bytes, the server echoes everything back, the client
 * checks it. chunk: the client's read size (small: exercises draining). */
static int echo(struct tls *c, int cfd, struct tls *s, int sfd, size_t n, size_t chunk)
{
	unsigned char *out = malloc(n), *back = malloc(n), *pend = malloc(n);
	size_t sent = 0, got = 0, pend_len = 0, pend_off = 0, srv_in = 0;
	int ret = -1;
	int64_t end = now_ms() + BOUND_MS;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)(i * 7 + (i >> 8));
	while (now_ms() < end) {
		if (sent < n) {
			ssize_t r = tls_write(c, cfd, out + sent, n - sent);
			if (r > 0)
				sent += (size_t)r;
			else if (!is_again(r)) {
				fprintf(stderr, "  client write: %s (%s)\n", strerror(errno), tls_error(c));
				goto out;
			}
		} else if (tls_flush(c, cfd) < 0 && errno != EAGAIN) {
			fprintf(stderr, "  client flush: %s\n", strerror(errno));
			goto out;
		}
		for (;;) {	/* server: read all there is */
			unsigned char b[5000];
			ssize_t r = tls_read(s, sfd, b, sizeof b);
			if (r > 0) {
				if (srv_in + (size_t)r > n) {
					fprintf(stderr, "  server got too much\n");
					goto out;
				}
				memcpy(pend + pend_len, b, (size_t)r);
				pend_len += (size_t)r;
				srv_in += (size_t)r;
				continue;
			}
			if (!is_again(r)) {
				fprintf(stderr, "  server read: %zd %s (%s)\n", r, strerror(errno), tls_error(s));
				goto out;
			}
			break;
		}
		if (pend_off < pend_len) {
			ssize_t r = tls_write(s, sfd, pend + pend_off, pend_len - pend_off);
			if (r > 0)
				pend_off += (size_t)r;
			else if (!is_again(r)) {
				fprintf(stderr, "  server write: %s\n", strerror(errno));
				goto out;
			}
		} else if (tls_flush(s, sfd) < 0 && errno != EAGAIN) {
			fprintf(stderr, "  server flush: %s\n", strerror(errno));
			goto out;
		}
		for (;;) {	/* client: drain in chunks */
			size_t want = n - got < chunk ? n - got : chunk;
			if (want == 0)
				break;
			ssize_t r = tls_read(c, cfd, back + got, want);
			if (r > 0) {
				got += (size_t)r;
				continue;
			}
			if (!is_again(r)) {
				fprintf(stderr, "  client read: %zd %s (%s)\n", r, strerror(errno), tls_error(c));
				goto out;
			}
			break;
		}
		if (got == n) {
			ret = memcmp(out, back, n) == 0 ? 0 : -1;
			if (ret)
				fprintf(stderr, "  echoed data differs\n");
			goto out;
		}
		if (tls_pending(c) || tls_pending(s))
			continue;
		if (wait_pair(c, cfd, s, sfd) < 0) {
			fprintf(stderr, "  echo stalled: sent %zu, server got %zu, echoed %zu, back %zu\n",
				sent, srv_in, pend_off, got);
			goto out;
		}
	}
	fprintf(stderr, "  echo timed out\n");
out:
	free(out);
	free(back);
	free(pend);
	return ret;
}

/* tls_init() for the client side, then tls_server_init() when crt is
 * given (as mockprov does); on failure everything is freed again. */
static int init_with(const char *ca, const char *crt, const char *key, unsigned nc, unsigned ns)
{
	struct tls_options o = { ca, nc };
	struct tls_server_options so = { crt, key, ns };
	errbuf[0] = 0;
	int r = tls_init(&o, errbuf, sizeof errbuf);
	if (r < 0) {
		fprintf(stderr, "  tls_init: %s\n", errbuf);
		return r;
	}
	if (crt && (r = tls_server_init(&so, errbuf, sizeof errbuf)) < 0) {
		fprintf(stderr, "  tls_server_init: %s\n", errbuf);
		tls_free();
	}
	return r;
}

/* Full exchange against a server with the given credentials: handshake,
 * 100 KB echo, close_notify seen by the server as a 0 read. */
static void exchange_ca(const char *ca, const char *crt, const char *key, int tcp, int small,
	size_t chunk)
{
	int sv[2], ce, se;
	REQUIRE(init_with(cert(ca), cert(crt), cert(key), 4, 4) == 0);
	REQUIRE(make_pair(sv, tcp, small) == 0);
	struct tls *c = tls_client_open("localhost"), *s = tls_server_open();
	REQUIRE(c && s);
	CHECK(!tls_handshake_done(c));
	CHECK(tls_want(c) != 0);
	CHECK_EQ_INT(handshake(c, sv[0], s, sv[1], &ce, &se), 0);
	CHECK(tls_handshake_done(c) && tls_handshake_done(s));
	CHECK(!tls_resumed(c) && !tls_resumed(s));
	CHECK_EQ_INT(echo(c, sv[0], s, sv[1], 10, 4096), 0);
	CHECK_EQ_INT(echo(c, sv[0], s, sv[1], BIG, chunk), 0);

	/* Clean shutdown: the server reads 0, then its writes say EPIPE. */
	int64_t end = now_ms() + BOUND_MS;
	int sh;
	while ((sh = tls_shutdown(c, sv[0])) < 0 && errno == EAGAIN && now_ms() < end)
		wait_pair(c, sv[0], NULL, -1);
	CHECK_EQ_INT(sh, 0);
	ssize_t r;
	char b[64];
	while ((r = tls_read(s, sv[1], b, sizeof b)) < 0 && errno == EAGAIN && now_ms() < end)
		wait_pair(NULL, -1, s, sv[1]);
	CHECK_EQ_INT(r, 0);
	CHECK(tls_write(s, sv[1], "x", 1) < 0 && errno == EPIPE);
	tls_close(c);
	tls_close(s);
	close(sv[0]);
	close(sv[1]);
	tls_free();
}

static void exchange(const char *crt, const char *key, int tcp, int small, size_t chunk)
{
	exchange_ca("ca.crt", crt, key, tcp, small, chunk);
}

static void expect_client_failure(const char *ca, const char *crt, const char *key,
	const char *name, const char *want_msg);

#define RSA_OFF_MSG "RSA certificate chain, and this llmgw was built without RSA (LLMGW_TLS_RSA=0)"

TEST(test_exchange_ec_socketpair) { exchange("server-ec.crt", "server-ec.key", 0, 0, 65536); }
/* Loopback TCP with small socket buffers while both sides write at once;
 * the client reads 1000 bytes, then 1 byte, at a time. */
TEST(test_exchange_ec_tcp_small_buffers) { exchange("server-ec.crt", "server-ec.key", 1, 1, 1000); }
#if LLMGW_TLS_RSA
/* An RSA server key (ECDHE_RSA suites, RSA ServerKeyExchange signature). */
TEST(test_exchange_rsa_socketpair) { exchange("server-rsa.crt", "server-rsa.key", 0, 0, 65536); }
TEST(test_exchange_rsa_tcp_small_buffers) { exchange("server-rsa.crt", "server-rsa.key", 1, 1, 1); }
#else
TEST(test_exchange_rsa_socketpair)
{
	expect_client_failure(cert("ca.crt"), "server-rsa.crt", "server-rsa.key", "localhost",
		RSA_OFF_MSG);
}
#endif

static int connect_once(const char *name, int *resumed_c, int *resumed_s)
{
	int sv[2], ce, se, ret = -1;
	if (make_pair(sv, 0, 0) < 0)
		return -1;
	struct tls *c = tls_client_open(name), *s = tls_server_open();
	if (c && s && handshake(c, sv[0], s, sv[1], &ce, &se) == 0
		&& echo(c, sv[0], s, sv[1], 100, 100) == 0) {
		*resumed_c = tls_resumed(c);
		*resumed_s = tls_resumed(s);
		ret = 0;
	}
	tls_close(c);
	tls_close(s);
	close(sv[0]);
	close(sv[1]);
	return ret;
}

TEST(test_resumption)
{
	struct tls_stats a, b;
	int rc = -1, rs = -1;
	REQUIRE(init_with(cert("ca.crt"), cert("server-ec.crt"), cert("server-ec.key"), 2, 2) == 0);
	tls_get_stats(&a);
	CHECK_EQ_INT(connect_once("localhost", &rc, &rs), 0);
	CHECK(!rc && !rs);
	tls_get_stats(&b);
	CHECK_EQ_INT(b.handshakes - a.handshakes, 2);	/* client and server */
	CHECK_EQ_INT(b.resumed - a.resumed, 0);

	CHECK_EQ_INT(connect_once("localhost", &rc, &rs), 0);
	CHECK(rc && rs);
	tls_get_stats(&a);
	CHECK_EQ_INT(a.handshakes - b.handshakes, 0);
	CHECK_EQ_INT(a.resumed - b.resumed, 2);
	CHECK_EQ_INT(a.failures, 0);

	/* And again: the session stays usable. */
	CHECK_EQ_INT(connect_once("localhost", &rc, &rs), 0);
	CHECK(rc && rs);
	tls_free();

	/* A fresh init forgets sessions: full handshake again. */
	REQUIRE(init_with(cert("ca.crt"), cert("server-ec.crt"), cert("server-ec.key"), 2, 2) == 0);
	CHECK_EQ_INT(connect_once("localhost", &rc, &rs), 0);
	CHECK(!rc && !rs);
	tls_free();
}

/* A handshake that must fail on the client with reason want_msg. */
static void expect_client_failure(const char *ca, const char *crt, const char *key,
	const char *name, const char *want_msg)
{
	int sv[2], ce, se;
	struct tls_stats a, b;
	REQUIRE(init_with(ca, cert(crt), cert(key), 2, 2) == 0);
	REQUIRE(make_pair(sv, 0, 0) == 0);
	tls_get_stats(&a);
	struct tls *c = tls_client_open(name), *s = tls_server_open();
	REQUIRE(c && s);
	CHECK_EQ_INT(handshake(c, sv[0], s, sv[1], &ce, &se), -1);
	CHECK_EQ_INT(ce, EPROTO);
	CHECK(strcmp(tls_error(c), want_msg) == 0);
	if (strcmp(tls_error(c), want_msg) != 0)
		fprintf(stderr, "  client error \"%s\", expected \"%s\"\n", tls_error(c), want_msg);
	/* The server hears why from the client's alert. */
	CHECK_EQ_INT(se, EPROTO);
	CHECK(strncmp(tls_error(s), "peer sent alert 4", 17) == 0);
	if (strncmp(tls_error(s), "peer sent alert 4", 17) != 0)
		fprintf(stderr, "  server error \"%s\"\n", tls_error(s));
	CHECK(!tls_handshake_done(c));
	/* Sticky, and tls_want() still wakes the caller. */
	char b1[8];
	CHECK(tls_read(c, sv[0], b1, sizeof b1) < 0 && errno == EPROTO);
	CHECK(tls_write(c, sv[0], "x", 1) < 0 && errno == EPROTO);
	CHECK(tls_flush(c, sv[0]) < 0 && errno == EPROTO);
	CHECK_EQ_INT(tls_want(c), LOOP_IN | LOOP_OUT);
	tls_get_stats(&b);
	CHECK(b.failures - a.failures >= 1);
	CHECK_EQ_INT(b.handshakes - a.handshakes, 0);
	tls_close(c);
	tls_close(s);
	close(sv[0]);
	close(sv[1]);
	tls_free();
}

TEST(test_wrong_name)
{
	expect_client_failure(cert("ca.crt"), "wrong.crt", "wrong.key", "localhost",
		"server name mismatch");
}
TEST(test_wrong_name_requested)
{
	expect_client_failure(cert("ca.crt"), "server-rsa.crt", "server-rsa.key", "example.com",
		"server name mismatch");
}
TEST(test_untrusted)
{
	expect_client_failure(cert("ca.crt"), "untrusted.crt", "untrusted.key", "localhost",
		"certificate not trusted");
}

/* The server end goes away after its first flight: the client must fail
 * with ECONNRESET, not hang. Also before any answer, and after the
 * handshake without close_notify. */
TEST(test_peer_closes)
{
	int sv[2], ce, se;
	char b[64];
	REQUIRE(init_with(cert("ca.crt"), cert("server-ec.crt"), cert("server-ec.key"), 2, 2) == 0);

	for (int variant = 0; variant < 3; variant++) {
		REQUIRE(make_pair(sv, variant == 1, 0) == 0);
		struct tls *c = tls_client_open("localhost"), *s = tls_server_open();
		REQUIRE(c && s);
		CHECK(tls_read(c, sv[0], b, sizeof b) < 0 && errno == EAGAIN);	/* ClientHello out */
		if (variant >= 1) {
			/* Server reads the hello and sends its first flight. */
			CHECK(tls_read(s, sv[1], b, sizeof b) < 0 && errno == EAGAIN);
			CHECK_EQ_INT(tls_want(s), LOOP_IN);
			CHECK(!tls_handshake_done(s));
		}
		tls_close(s);
		close(sv[1]);
		int64_t end = now_ms() + BOUND_MS;
		ssize_t r;
		while ((r = tls_read(c, sv[0], b, sizeof b)) < 0 && errno == EAGAIN && now_ms() < end)
			CHECK(wait_pair(c, sv[0], NULL, -1) == 0);
		CHECK(r < 0 && errno == ECONNRESET);
		CHECK(strcmp(tls_error(c), "connection closed during handshake") == 0);
		CHECK(!tls_handshake_done(c));
		tls_close(c);
		close(sv[0]);
	}

	/* After the handshake: TCP close without close_notify. */
	REQUIRE(make_pair(sv, 0, 0) == 0);
	struct tls *c = tls_client_open("localhost"), *s = tls_server_open();
	REQUIRE(c && s);
	CHECK_EQ_INT(handshake(c, sv[0], s, sv[1], &ce, &se), 0);
	tls_close(s);
	close(sv[1]);
	/* Writing to the closed peer: an error, not SIGPIPE. The write may be
	 * taken (the record is queued) and the failure show on the flush. */
	ssize_t r = tls_write(c, sv[0], "x", 1);
	if (r == 1)
		r = tls_flush(c, sv[0]);
	CHECK(r < 0 && errno == ECONNRESET);
	CHECK(strcmp(tls_error(c), "connection closed without close_notify") == 0);
	r = tls_read(c, sv[0], b, sizeof b);
	CHECK(r < 0 && errno == ECONNRESET);
	tls_close(c);
	close(sv[0]);
	tls_free();
}

/* A peer that is not speaking TLS: a clear protocol error. */
TEST(test_not_tls)
{
	int sv[2];
	char b[64];
	REQUIRE(init_with(cert("ca.crt"), NULL, NULL, 2, 0) == 0);
	REQUIRE(make_pair(sv, 0, 0) == 0);
	struct tls *c = tls_client_open("localhost");
	REQUIRE(c);
	CHECK(tls_read(c, sv[0], b, sizeof b) < 0 && errno == EAGAIN);
	const char resp[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	CHECK(write(sv[1], resp, sizeof resp - 1) == (ssize_t)(sizeof resp - 1));
	ssize_t r = tls_read(c, sv[0], b, sizeof b);
	CHECK(r < 0 && errno == EPROTO);
	CHECK(strncmp(tls_error(c), "unsupported protocol version", 28) == 0);
	tls_close(c);
	close(sv[0]);
	close(sv[1]);
	tls_free();
}

/* Garbage from the "server" (random, or behind a plausible handshake
 * record header) ends in an error, never a hang or a crash. */
TEST(test_garbage)
{
	int sv[2];
	unsigned char junk[3000], b[64];
	uint32_t x = 12345;
	REQUIRE(init_with(cert("ca.crt"), NULL, NULL, 1, 0) == 0);
	for (int round = 0; round < 300; round++) {
		REQUIRE(make_pair(sv, 0, 0) == 0);
		struct tls *c = tls_client_open("localhost");
		REQUIRE(c);
		size_t n = 1 + (x % sizeof junk);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			junk[i] = (unsigned char)(x >> 16);
		}
		if (round & 1) {	/* handshake record, ServerHello type, random rest */
			junk[0] = 22;
			junk[1] = 3;
			junk[2] = 3;
			junk[3] = (unsigned char)((n - 5) >> 8);
			junk[4] = (unsigned char)(n - 5);
			if (n > 5)
				junk[5] = 2;
		}
		CHECK(tls_read(c, sv[0], b, sizeof b) < 0 && errno == EAGAIN);
		CHECK(write(sv[1], junk, n) == (ssize_t)n);
		if (round % 3 == 0)
			close(sv[1]);
		/* One call consumes what is there: an error, or EAGAIN when the
		 * peer is still open and the junk so far is a valid prefix. */
		ssize_t r = tls_read(c, sv[0], b, sizeof b);
		CHECK(r < 0);
		CHECK(errno == EAGAIN || errno == EPROTO || errno == ECONNRESET);
		if (round % 3 == 0)
			CHECK(errno != EAGAIN);
		CHECK(tls_want(c) != 0);
		tls_close(c);
		close(sv[0]);
		if (round % 3 != 0)
			close(sv[1]);
	}
	struct tls_stats st;
	tls_get_stats(&st);
	CHECK_EQ_INT(st.handshakes, 0);
	tls_free();
}

TEST(test_pool_limits)
{
	REQUIRE(init_with(cert("ca.crt"), cert("server-rsa.crt"), cert("server-rsa.key"), 2, 2) == 0);
	struct tls *c1 = tls_client_open("localhost"), *c2 = tls_client_open("localhost");
	CHECK(c1 && c2 && c1 != c2);
	CHECK(tls_client_open("localhost") == NULL);
	struct tls *s1 = tls_server_open(), *s2 = tls_server_open();
	CHECK(s1 && s2 && s1 != s2);
	CHECK(tls_server_open() == NULL);
	tls_close(c1);
	struct tls *c3 = tls_client_open("other.example");
	CHECK(c3 == c1);
	CHECK(tls_client_open("localhost") == NULL);
	tls_close(s2);
	CHECK(tls_server_open() == s2);
	/* Bad names never take a context. */
	tls_close(c2);
	CHECK(tls_client_open("") == NULL);
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	CHECK(tls_client_open(longname) == NULL);
	CHECK(tls_client_open("localhost") == c2);
	tls_close(c2);
	tls_close(c3);
	tls_close(s1);
	tls_close(s2);
	tls_close(NULL);
	/* No server credentials: no server contexts. */
	tls_free();
	REQUIRE(init_with(cert("ca.crt"), NULL, NULL, 1, 5) == 0);
	CHECK(tls_server_open() == NULL);
	CHECK_EQ_INT(tls_anchor_count(), 1);
	/* A second init without free is refused. */
	CHECK(init_with(cert("ca.crt"), NULL, NULL, 1, 0) < 0);
	CHECK(strstr(errbuf, "already") != NULL);
	tls_free();
}

/* ------------------------------------------------ certificates made here */

static char extra[600];		/* tmproot/extra: the certificates below */

static const char *xcert(const char *name)
{
	static char paths[8][700];
	static int k;
	char *p = paths[k++ & 7];
	snprintf(p, sizeof paths[0], "%s/%s", extra, name);
	return p;
}

/* expired.crt/.key: "localhost" under the test CA, expired yesterday;
 * p384.crt/.key: "localhost" with a P-384 key, signed with SHA-384;
 * rsaca.crt: an RSA CA, and ecbyrsa.crt/.key: an EC "localhost" under it. */
static int make_extra_certs(void)
{
	snprintf(extra, sizeof extra, "%s/extra", tmproot);
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
		"set -e; mkdir -p '%s'; cd '%s'; C='%s'\n"
		"printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\n"
		"extendedKeyUsage=serverAuth\\nsubjectAltName=DNS:localhost\\n' > leaf.ext\n"
		"leaf() { # NAME KEYGEN-ARGS CA CAKEY DAYS DIGEST\n"
		"  openssl $2 -out $1.key 2>/dev/null\n"
		"  openssl req -new -key $1.key -subj /CN=localhost -config /dev/null -out $1.csr 2>/dev/null\n"
		"  openssl x509 -req -in $1.csr -CA $3 -CAkey $4 -CAserial $1.srl -CAcreateserial"
		" -days $5 -$6 -extfile leaf.ext -out $1.leaf 2>/dev/null\n"
		"  cat $1.leaf $3 > $1.crt; }\n"
		"leaf expired 'ecparam -name prime256v1 -genkey -noout' $C/ca.crt $C/ca.key -1 sha256\n"
		"leaf p384 'ecparam -name secp384r1 -genkey -noout' $C/ca.crt $C/ca.key 3650 sha384\n"
		"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsaca.key 2>/dev/null\n"
		"openssl req -new -x509 -key rsaca.key -subj '/CN=llmgw test RSA CA' -days 3650 -sha256"
		" -config /dev/null -addext basicConstraints=critical,CA:TRUE"
		" -addext keyUsage=critical,keyCertSign,cRLSign -out rsaca.crt 2>/dev/null\n"
		"leaf ecbyrsa 'ecparam -name prime256v1 -genkey -noout' rsaca.crt rsaca.key 3650 sha256\n",
		extra, extra, certdir);
	int r = system(cmd);
	if (r != 0)
		fprintf(stderr, "  making the extra certificates failed (%d)\n", r);
	return r == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- clock */

static time_t fake_now;

static time_t fake_clock(time_t *out)
{
	if (out)
		*out = fake_now;
	return fake_now;
}

static const char *day_of(time_t t)
{
	static char b[32];
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(b, sizeof b, "%Y-%m-%d", &tm);
	return b;
}

#define CLOCK_FLOOR ((time_t)1793491200)	/* tls.c's TLS_CLOCK_FLOOR, 2026-11-01 */

/* A router that booted at 1970 (no RTC, no NTP yet): the connection fails
 * at once with a message saying why, nothing goes on the wire, and once
 * the clock is set the next connection works without a new tls_init(). */
TEST(test_clock_unset)
{
	int sv[2], ce, se;
	char b[64];
	struct tls_stats a, st;
	REQUIRE(init_with(cert("ca.crt"), cert("server-ec.crt"), cert("server-ec.key"), 2, 2) == 0);
	tls_set_clock(fake_clock);
	const time_t bad[] = { 0, 86400 * 365, CLOCK_FLOOR - 1 };
	const char *want[] = {
		"system clock is 1970-01-01, before 2026-11-01: certificates cannot be checked "
			"until the time is set (NTP); will retry",
		"system clock is 1971-01-01, before 2026-11-01: certificates cannot be checked "
			"until the time is set (NTP); will retry",
		"system clock is 2026-10-31, before 2026-11-01: certificates cannot be checked "
			"until the time is set (NTP); will retry",
	};
	for (int i = 0; i < 3; i++) {
		fake_now = bad[i];
		REQUIRE(make_pair(sv, 0, 0) == 0);
		tls_get_stats(&a);
		struct tls *c = tls_client_open("localhost");
		REQUIRE(c);
		CHECK(strcmp(tls_error(c), want[i]) == 0);
		if (strcmp(tls_error(c), want[i]) != 0)
			fprintf(stderr, "  got \"%s\"\n", tls_error(c));
		CHECK(tls_read(c, sv[0], b, sizeof b) < 0 && errno == EPROTO);
		CHECK(tls_write(c, sv[0], "GET", 3) < 0 && errno == EPROTO);
		CHECK(tls_flush(c, sv[0]) < 0 && errno == EPROTO);
		CHECK_EQ_INT(tls_want(c), LOOP_IN | LOOP_OUT);
		CHECK(!tls_handshake_done(c));
		/* No ClientHello went out. */
		CHECK(read(sv[1], b, sizeof b) < 0 && errno == EAGAIN);
		tls_get_stats(&st);
		CHECK_EQ_INT(st.failures - a.failures, 1);
		CHECK(strcmp(tls_error(c), want[i]) == 0);	/* still, after the calls */
		tls_close(c);
		close(sv[0]);
		close(sv[1]);
	}
	/* NTP sets the clock: the same pool works. */
	fake_now = time(NULL);
	REQUIRE(make_pair(sv, 0, 0) == 0);
	struct tls *c = tls_client_open("localhost"), *s = tls_server_open();
	REQUIRE(c && s);
	CHECK_EQ_INT(handshake(c, sv[0], s, sv[1], &ce, &se), 0);
	CHECK_EQ_INT(echo(c, sv[0], s, sv[1], 1000, 1000), 0);
	tls_close(c);
	tls_close(s);
	close(sv[0]);
	close(sv[1]);
	tls_set_clock(NULL);
	tls_free();
}

/* With a good clock the checks are all there: success for the right name,
 * a wrong name still fails, and so does a clock that is past the floor
 * but wrong (years ahead: expired; days behind: not yet valid). */
TEST(test_clock_checks_stay)
{
	int rc, rs;
	char want[160];
	tls_set_clock(fake_clock);
	fake_now = time(NULL);
	REQUIRE(init_with(cert("ca.crt"), cert("server-ec.crt"), cert("server-ec.key"), 2, 2) == 0);
	CHECK_EQ_INT(connect_once("localhost", &rc, &rs), 0);
	tls_free();
	expect_client_failure(cert("ca.crt"), "wrong.crt", "wrong.key", "localhost",
		"server name mismatch");

	fake_now = time(NULL) + 20 * 366 * 86400LL;	/* the test certificates last 10 years */
	snprintf(want, sizeof want, "certificate expired or not yet valid (system clock says %s)",
		day_of(fake_now));
	expect_client_failure(cert("ca.crt"), "server-ec.crt", "server-ec.key", "localhost", want);

	/* The certificates were made a moment ago: two days back is before
	 * their notBefore (and after the floor, unless this runs before it). */
	fake_now = time(NULL) - 2 * 86400;
	if (fake_now >= CLOCK_FLOOR) {
		snprintf(want, sizeof want, "certificate expired or not yet valid "
			"(system clock says %s)", day_of(fake_now));
		expect_client_failure(cert("ca.crt"), "server-ec.crt", "server-ec.key", "localhost",
			want);
	}
	tls_set_clock(NULL);
}

/* A certificate that really expired (yesterday), with the real clock. */
TEST(test_expired_certificate)
{
	char want[160];
	snprintf(want, sizeof want, "certificate expired or not yet valid (system clock says %s)",
		day_of(time(NULL)));
	expect_client_failure(cert("ca.crt"), xcert("expired.crt"), xcert("expired.key"),
		"localhost", want);
}

/* P-384 server key, certificate signed with ECDSA/SHA-384. */
TEST(test_p384_sha384)
{
	exchange_ca("ca.crt", xcert("p384.crt"), xcert("p384.key"), 0, 0, 65536);
}

/* An EC server certificate issued by an RSA CA: RSA signature checks in
 * the chain (most public chains have one). */
TEST(test_rsa_ca_chain)
{
#if LLMGW_TLS_RSA
	exchange_ca(xcert("rsaca.crt"), xcert("ecbyrsa.crt"), xcert("ecbyrsa.key"), 0, 0, 4096);
#else
	expect_client_failure(xcert("rsaca.crt"), xcert("ecbyrsa.crt"), xcert("ecbyrsa.key"),
		"localhost", RSA_OFF_MSG);
#endif
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = -1;
	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = -1;
		fclose(f);
	}
	return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* A large pool costs no memory until used: contexts are set up on first
 * use (this pool is ~110 MB of address space). */
TEST(test_lazy_pool)
{
	int rc, rs;
	long before = rss_kb();
	REQUIRE(init_with(cert("ca.crt"), cert("server-ec.crt"), cert("server-ec.key"), 4000, 2) == 0);
	long after = rss_kb();
	printf("     4000-context pool: RSS %+ld KB\n", after - before);
	if (before >= 0)
		CHECK(after - before < 4096);
	CHECK_EQ_INT(connect_once("localhost", &rc, &rs), 0);
	CHECK_EQ_INT(connect_once("localhost", &rc, &rs), 0);
	CHECK(rc && rs);
	/* Entries set up on first use are reused, and later ones still work. */
	struct tls *c[5];
	for (int i = 0; i < 5; i++)
		CHECK((c[i] = tls_client_open("localhost")) != NULL);
	for (int i = 0; i < 5; i++)
		tls_close(c[i]);
	CHECK_EQ_INT(connect_once("localhost", &rc, &rs), 0);
	tls_free();
}

TEST(test_server_init_order)
{
	struct tls_server_options so = { cert("server-ec.crt"), cert("server-ec.key"), 1 };
	struct tls_options o = { NULL, 0 };
	CHECK(tls_server_init(&so, errbuf, sizeof errbuf) < 0);
	CHECK(strstr(errbuf, "tls_init") != NULL);
	REQUIRE(tls_init(&o, errbuf, sizeof errbuf) == 0);
	CHECK(tls_client_open("localhost") == NULL);	/* no client side */
	CHECK(tls_server_init(&so, errbuf, sizeof errbuf) == 0);
	CHECK(tls_server_init(&so, errbuf, sizeof errbuf) < 0);
	CHECK(strstr(errbuf, "already") != NULL);
	CHECK(tls_server_open() != NULL);
	tls_free();
	CHECK(tls_server_open() == NULL);
}

/* ------------------------------------------------------ OpenSSL interop */

/* Our client against `openssl s_server -www` limited to one suite and one
 * group: every suite and curve the client offers works with another TLS
 * stack (mockprov is BearSSL's server), and one it must
 * not offer fails. 1 ok, 0 failed (reason in got), -1 openssl unusable. */
static int openssl_try(const char *crt, const char *key, const char *suite, const char *group,
	char *got, size_t gotlen)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0
		|| getsockname(l, (struct sockaddr *)&a, &al) < 0)
		return -1;
	close(l);	/* a free port for s_server (it may be taken meanwhile: rare) */
	char port[16];
	snprintf(port, sizeof port, "%u", ntohs(a.sin_port));
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int dn = open("/dev/null", O_RDWR);
		dup2(dn, 0);
		dup2(dn, 1);
		dup2(dn, 2);
		execlp("openssl", "openssl", "s_server", "-accept", port, "-cert", cert(crt),
			"-key", cert(key), "-tls1_2", "-cipher", suite, "-groups", group, "-www",
			(char *)NULL);
		_exit(127);
	}
	int fd = -1, ret = 0;
	int64_t end = now_ms() + 5000;
	while (now_ms() < end) {	/* until s_server listens */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(20000);
	}
	if (fd < 0) {
		ret = -1;
		goto out;
	}
	set_nonblock(fd);
	struct tls *c = tls_client_open("localhost");
	if (!c) {
		snprintf(got, gotlen, "no context");
		goto out;
	}
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	static char resp[65536];
	size_t sent = 0, n = 0;
	for (;;) {
		ssize_t r;
		if (sent < sizeof req - 1) {
			r = tls_write(c, fd, req + sent, sizeof req - 1 - sent);
			if (r > 0)
				sent += (size_t)r;
		}
		r = tls_read(c, fd, resp + n, sizeof resp - 1 - n);
		if (r > 0) {
			n += (size_t)r;
			if (n < sizeof resp - 1)
				continue;
		}
		if (r == 0 || (r < 0 && errno == ECONNRESET && tls_handshake_done(c)) || n >= sizeof resp - 1)
			break;	/* -www answers and closes */
		if (r < 0 && errno != EAGAIN) {
			snprintf(got, gotlen, "%s", tls_error(c));
			tls_close(c);
			goto out;
		}
		struct pollfd p = { fd, to_poll(tls_want(c)), 0 };
		if (now_ms() > end + 10000 || poll(&p, 1, STALL_MS) <= 0) {
			snprintf(got, gotlen, "stalled");
			tls_close(c);
			goto out;
		}
	}
	resp[n] = 0;
	char want[128];
	snprintf(want, sizeof want, "Cipher is %s", suite);
	ret = strstr(resp, want) != NULL;
	snprintf(got, gotlen, ret ? "ok" : "response without \"%s\"", want);
	tls_close(c);
out:
	if (fd >= 0)
		close(fd);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return ret;
}

TEST(test_openssl_interop)
{
#if LLMGW_TLS_RSA
#define RSA_FAIL NULL
#else
#define RSA_FAIL RSA_OFF_MSG
#endif
	static const char no_suite[] = "peer sent alert 40 (handshake failure)";
	static const struct {
		const char *crt, *key, *suite, *group;
		int ok;
		const char *why;	/* tls_error() when not ok */
	} cases[] = {
		{ "server-ec.crt", "server-ec.key", "ECDHE-ECDSA-AES128-GCM-SHA256", "P-256", 1, NULL },
		{ "server-ec.crt", "server-ec.key", "ECDHE-ECDSA-AES256-GCM-SHA384", "P-384", 1, NULL },
		{ "server-ec.crt", "server-ec.key", "ECDHE-ECDSA-CHACHA20-POLY1305", "P-256", 1, NULL },
		/* X25519 only when built in (or with BearSSL's full profile) */
		{ "server-ec.crt", "server-ec.key", "ECDHE-ECDSA-AES128-GCM-SHA256", "X25519",
			LLMGW_TLS_X25519 || !LLMGW_TLS_MINIMAL_SUITES, no_suite },
		{ "server-ec.crt", "server-ec.key", "ECDHE-ECDSA-AES128-GCM-SHA256", "P-521", 1, NULL },
		{ "server-rsa.crt", "server-rsa.key", "ECDHE-RSA-AES128-GCM-SHA256", "P-521",
			LLMGW_TLS_RSA, RSA_FAIL },
		{ "server-rsa.crt", "server-rsa.key", "ECDHE-RSA-AES256-GCM-SHA384", "P-256",
			LLMGW_TLS_RSA, RSA_FAIL },
		{ "server-rsa.crt", "server-rsa.key", "ECDHE-RSA-CHACHA20-POLY1305", "P-384",
			LLMGW_TLS_RSA, RSA_FAIL },
		/* CBC: offered only by the full profile; static RSA key exchange
		 * never (we offer ECDHE suites only). */
		{ "server-ec.crt", "server-ec.key", "ECDHE-ECDSA-AES128-SHA256", "P-256",
			!LLMGW_TLS_MINIMAL_SUITES, no_suite },
		{ "server-rsa.crt", "server-rsa.key", "AES128-GCM-SHA256", "P-256", 0, no_suite },
	};
	if (system("openssl version >/dev/null 2>&1") != 0) {
		printf("SKIP test_openssl_interop: no openssl\n");
		return;
	}
	REQUIRE(init_with(cert("ca.crt"), NULL, NULL, 2, 0) == 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char got[200] = "";
		int r = openssl_try(cases[i].crt, cases[i].key, cases[i].suite, cases[i].group,
			got, sizeof got);
		if (r < 0) {
			printf("SKIP %s/%s: openssl s_server did not start\n", cases[i].suite, cases[i].group);
			continue;
		}
		CHECK_EQ_INT(r, cases[i].ok);
		if (!cases[i].ok && cases[i].why)
			CHECK(strcmp(got, cases[i].why) == 0);
		if (r != cases[i].ok || (!cases[i].ok && cases[i].why && strcmp(got, cases[i].why)))
			fprintf(stderr, "  %s/%s: %s\n", cases[i].suite, cases[i].group, got);
	}
	tls_free();
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

TEST(test_init_errors)
{
	char p[600];
	CHECK(init_with("/nonexistent/ca.pem", NULL, NULL, 1, 0) < 0);
	CHECK(strstr(errbuf, "/nonexistent/ca.pem") != NULL && strstr(errbuf, "cannot open") != NULL);
	CHECK(init_with(certdir, NULL, NULL, 1, 0) < 0);	/* a directory */
	CHECK(strstr(errbuf, "regular file") != NULL);

	snprintf(p, sizeof p, "%s/empty.pem", tmproot);
	write_file(p, "");
	CHECK(init_with(p, NULL, NULL, 1, 0) < 0);
	CHECK(strstr(errbuf, "no usable CERTIFICATE") != NULL);
	write_file(p, "just some text\n-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
	CHECK(init_with(p, NULL, NULL, 1, 0) < 0);
	CHECK(strstr(errbuf, "no usable CERTIFICATE") != NULL);
	/* A key file is not a CA bundle. */
	CHECK(init_with(cert("server-ec.key"), NULL, NULL, 1, 0) < 0);
	CHECK(strstr(errbuf, "no usable CERTIFICATE") != NULL);
	/* One bad object among good ones is skipped, not fatal. */
	char *mixed = NULL;
	{
		FILE *f = fopen(cert("server-rsa.crt"), "r");
		REQUIRE(f);
		static char body[8192];
		size_t n = fread(body, 1, sizeof body - 1, f);
		fclose(f);
		body[n] = 0;
		static char all[9000];
		snprintf(all, sizeof all, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n%s", body);
		mixed = all;
	}
	write_file(p, mixed);
	CHECK(init_with(p, NULL, NULL, 1, 0) == 0);
	CHECK_EQ_INT(tls_anchor_count(), 2);	/* leaf + CA */
	tls_free();

	/* Server credentials. */
	CHECK(init_with(NULL, cert("server-ec.crt"), NULL, 0, 1) < 0);
	CHECK(strstr(errbuf, "server_key") != NULL);
	CHECK(init_with(NULL, cert("server-ec.crt"), cert("server-rsa.key"), 0, 1) < 0);
	CHECK(strstr(errbuf, "types differ") != NULL);
	CHECK(init_with(NULL, cert("server-ec.crt"), cert("ca.crt"), 0, 1) < 0);
	CHECK(strstr(errbuf, "no PRIVATE KEY") != NULL);
	CHECK(init_with(NULL, cert("server-ec.key"), cert("server-ec.key"), 0, 1) < 0);
	CHECK(strstr(errbuf, "no CERTIFICATE") != NULL);
	write_file(p, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
	CHECK(init_with(NULL, cert("server-ec.crt"), p, 0, 1) < 0);
	CHECK(strstr(errbuf, "encrypted") != NULL);
	/* No secret material in messages: a key's base64 never shows up. */
	CHECK(strstr(errbuf, "AAAA") == NULL);
	/* Failed inits leave nothing behind: a good one works after them. */
	CHECK(init_with(cert("ca.crt"), cert("server-ec.crt"), cert("server-ec.key"), 1, 1) == 0);
	tls_free();
	tls_free();	/* harmless twice */
}

TEST(test_system_bundle)
{
	const char *path = "/etc/ssl/certs/ca-certificates.crt";
	if (access(path, R_OK) != 0) {
		printf("SKIP test_system_bundle: %s absent\n", path);
		return;
	}
	REQUIRE(init_with(path, NULL, NULL, 1, 0) == 0);
	unsigned n = tls_anchor_count();
	printf("     system bundle: %u trust anchors\n", n);
	CHECK(n > 50);
	tls_free();
	/* With only the system anchors, our test server is not trusted. */
	expect_client_failure(path, "server-ec.crt", "server-ec.key", "localhost",
		"certificate not trusted");
}

/* Runs the generator; returns 0 when certdir holds the set. */
static int make_certs(void)
{
	const char *script = "tools/gen-test-certs.sh";
	static char alt[600];
	if (access(script, X_OK) != 0) {
		/* Run from elsewhere: find it next to this source file. */
		snprintf(alt, sizeof alt, "%s", __FILE__);
		char *cut = strstr(alt, "tests/unit/test_tls.c");
		if (!cut)
			return -1;
		snprintf(cut, sizeof alt - (size_t)(cut - alt), "tools/gen-test-certs.sh");
		script = alt;
	}
	const char *env = getenv("TLS_TEST_CERT_DIR");
	if (env && *env) {
		snprintf(certdir, sizeof certdir, "%s", env);
	} else {
		snprintf(tmproot, sizeof tmproot, "/tmp/llmgw-test-tls.XXXXXX");
		if (!mkdtemp(tmproot))
			return -1;
		snprintf(certdir, sizeof certdir, "%s/certs", tmproot);
	}
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "sh '%s' '%s'", script, certdir);
	int r = system(cmd);
	if (r != 0)
		fprintf(stderr, "  %s failed (%d)\n", cmd, r);
	return r == 0 ? 0 : -1;
}

int main(void)
{
	test_suite = "tls";
	int64_t t0 = now_ms();
	if (make_certs() < 0) {
		printf("FAIL gen-test-certs.sh\n");
		test_failed++;
		return test_summary();
	}
	if (!tmproot[0]) {
		snprintf(tmproot, sizeof tmproot, "/tmp/llmgw-test-tls.XXXXXX");
		if (!mkdtemp(tmproot))
			return 1;
	}
	if (make_extra_certs() < 0) {
		printf("FAIL making the extra certificates with openssl\n");
		test_failed++;
		return test_summary();
	}
	RUN(test_exchange_ec_socketpair);
	RUN(test_exchange_rsa_socketpair);
	RUN(test_exchange_ec_tcp_small_buffers);
#if LLMGW_TLS_RSA
	RUN(test_exchange_rsa_tcp_small_buffers);
#endif
	RUN(test_resumption);
	RUN(test_wrong_name);
	RUN(test_wrong_name_requested);
	RUN(test_untrusted);
	RUN(test_peer_closes);
	RUN(test_not_tls);
	RUN(test_garbage);
	RUN(test_pool_limits);
	RUN(test_init_errors);
	RUN(test_system_bundle);
	RUN(test_clock_unset);
	RUN(test_clock_checks_stay);
	RUN(test_expired_certificate);
	RUN(test_p384_sha384);
	RUN(test_rsa_ca_chain);
	RUN(test_lazy_pool);
	RUN(test_server_init_order);
	RUN(test_openssl_interop);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmproot);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", tmproot);
	printf("     (%lld ms)\n", (long long)(now_ms() - t0));
	return test_summary();
}

#endif	/* LLMGW_TLS */
