/*
 * test_tls.c - unit tests for src/tls.c: client and server in one process
 * over non-blocking socket pairs, pumped with poll() on what tls_want()
 * asks for. A poll round that sees nothing ready for STALL_MS counts as a
 * hang (tls_want() lied), and every exchange has an overall time bound.
 *
 * The certificates come from tools/gen-test-certs.sh, run into a temporary
 * directory (or into $TLS_TEST_CERT_DIR when set, e.g. build/test-certs).
 */
#include "test.h"
#include "tls.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

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

static int init_with(const char *ca, const char *crt, const char *key, unsigned nc, unsigned ns)
{
	struct tls_options o = { ca, nc, crt, key, ns };
	errbuf[0] = 0;
	int r = tls_init(&o, errbuf, sizeof errbuf);
	if (r < 0)
		fprintf(stderr, "  tls_init: %s\n", errbuf);
	return r;
}

/* Full exchange against a server with the given credentials: handshake,
 * 100 KB echo, close_notify seen by the server as a 0 read. */
static void exchange(const char *crt, const char *key, int tcp, int small, size_t chunk)
{
	int sv[2], ce, se;
	REQUIRE(init_with(cert("ca.crt"), cert(crt), cert(key), 4, 4) == 0);
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

TEST(test_exchange_ec_socketpair) { exchange("server-ec.crt", "server-ec.key", 0, 0, 65536); }
TEST(test_exchange_rsa_socketpair) { exchange("server-rsa.crt", "server-rsa.key", 0, 0, 65536); }
/* Loopback TCP with small socket buffers while both sides write at once;
 * the client reads 1000 bytes, then 1 byte, at a time. */
TEST(test_exchange_ec_tcp_small_buffers) { exchange("server-ec.crt", "server-ec.key", 1, 1, 1000); }
TEST(test_exchange_rsa_tcp_small_buffers) { exchange("server-rsa.crt", "server-rsa.key", 1, 1, 1); }

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
	RUN(test_exchange_ec_socketpair);
	RUN(test_exchange_rsa_socketpair);
	RUN(test_exchange_ec_tcp_small_buffers);
	RUN(test_exchange_rsa_tcp_small_buffers);
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
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmproot);
	if (system(cmd) != 0)
		fprintf(stderr, "  could not remove %s\n", tmproot);
	printf("     (%lld ms)\n", (long long)(now_ms() - t0));
	return test_summary();
}
