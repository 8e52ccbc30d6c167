/*
 * test_proxy.c - the exchange's life through server.c, proxy.c and
 * upstream.c, in this process: the gateway listens on loopback, the test
 * is both its client and its providers (plain sockets it answers by hand),
 * and drives the loop one round at a time. Covers an attempt, a failover
 * to the second target after a provider error, the release of exchanges
 * (a client waiting for the only exchange gets it once the first request
 * ends, and not before the loop round it ended in is over), the upstream client alone through its callback (a pooled
 * connection handed back and taken again), and a health probe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "test.h"
#include "gw.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "probe.h"
#include "upstream.h"
#include "usage.h"

/* What main.c provides to the modules: the runtime and the configuration
 * holds (one configuration here, never replaced). */
struct gw gw;
void gw_cfg_hold(unsigned gen) { (void)gen; }
void gw_cfg_release(unsigned gen) { (void)gen; }

static int listen_any(unsigned short *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static void pump(void)
{
	loop_run_once(5);
}

/* The fake provider's side: accepts one connection (running the loop
 * meanwhile). -1 when none came. */
static int fake_accept(int lfd)
{
	for (int i = 0; i < 400; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd >= 0)
			return fd;
		pump();
	}
	return -1;
}

/* Reads one HTTP message (head and Content-Length body) from fd, running
 * the loop while it comes. Its length, 0 when it did not come whole. */
static size_t read_message(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	for (int i = 0; i < 400 && n + 1 < cap; i++) {
		ssize_t r = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT);
		if (r > 0)
			n += (size_t)r;
		else if (r == 0)
			break;
		buf[n] = 0;
		char *end = strstr(buf, "\r\n\r\n");
		if (end) {
			const char *cl = strstr(buf, "Content-Length: ");
			size_t want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
			if (n >= want)
				return n;
		}
		pump();
	}
	buf[n] = 0;
	return 0;
}

static void send_str(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static int client_connect(unsigned short port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	return fd;
}

static const char chat_body[] = "{\"model\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
static const char ok_body[] = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
	"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
	"\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";

static void send_chat(int fd)
{
	char req[512];
	snprintf(req, sizeof req, "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n\r\n%s", strlen(chat_body), chat_body);
	send_str(fd, req);
}

static void answer(int fd, int status, const char *body)
{
	char resp[1024];
	snprintf(resp, sizeof resp, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		 status, strlen(body), body);
	send_str(fd, resp);
}

/* ---- the gateway in this process ---- */

static struct cfg cfg;
static int prov_a, prov_b;		/* the fake providers' listening sockets */
static unsigned short gw_port;
static int probing;			/* probe_init() was called */

static int setup(const char *gateway_extra)
{
	unsigned short pa, pb;
	prov_a = listen_any(&pa);
	prov_b = listen_any(&pb);
	int t = listen_any(&gw_port);	/* a free port for the gateway */
	close(t);
	if (prov_a < 0 || prov_b < 0 || t < 0)
		return -1;
	setenv("TEST_PROXY_KEY", "sk-test", 1);
	char text[2048];
	snprintf(text, sizeof text,
		 "config gateway 'main'\n\toption listen '127.0.0.1:%u'\n\toption log_level 'error'\n"
		 "\toption access_log '0'\n\toption max_inflight '1'\n\toption state_dir '/nonexistent'\n%s"
		 "config provider 'a'\n\toption type 'openai-compatible'\n\toption base_url 'http://127.0.0.1:%u/v1'\n"
		 "\toption key_env 'TEST_PROXY_KEY'\n"
		 "config provider 'b'\n\toption type 'openai-compatible'\n\toption base_url 'http://127.0.0.1:%u/v1'\n"
		 "\toption key_env 'TEST_PROXY_KEY'\n"
		 "config route 'r'\n\tlist target 'a/m'\n\tlist target 'b/m'\n",
		 gw_port, gateway_extra, pa, pb);
	memset(&cfg, 0, sizeof cfg);
	if (cfg_load_text("test.conf", text, strlen(text), &cfg, NULL, NULL) != 0)
		return -1;
	memset(&gw, 0, sizeof gw);
	gw.cfg = &cfg;
	log_setup(LOG_LVL_ERROR, 0, "test_proxy");
	struct dns_options dopt = { 0 };
	struct health_options ho = { .probe_interval_ms = cfg.gw.probe_interval_ms,
				     .probe_interval_open_ms = cfg.gw.probe_interval_open_ms };
	char err[256];
	if (loop_init(256, 256) < 0 || dns_init(&dopt, err, sizeof err) < 0 ||
	    health_init(cfg.ntargets_all, &ho) < 0 || metrics_init(cfg.ntargets_all) < 0 ||
	    (LLMGW_USAGE && usage_init(cfg.nclients, cfg.ntargets_all, cfg.nroutes) < 0) ||
	    upstream_init(&cfg) < 0 || server_init(&cfg) < 0 || server_listen(&cfg, err, sizeof err) < 0)
		return -1;
	return 0;
}

static void teardown(void)
{
	if (probing)
		probe_free();
	probing = 0;
	server_free();
	upstream_free();
	dns_free();
	loop_free();
	if (LLMGW_USAGE)
		usage_free();
	health_free();
	metrics_free();
	cfg_free(&cfg);
	close(prov_a);
	close(prov_b);
}

/* A chat request for route r: the first target answers. */
TEST(attempt_answered)
{
	REQUIRE(setup("") == 0);
	int c = client_connect(gw_port);
	REQUIRE(c >= 0);
	send_chat(c);
	int up = fake_accept(prov_a);
	REQUIRE(up >= 0);
	char buf[4096];
	REQUIRE(read_message(up, buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "POST /v1/chat/completions HTTP/1.1\r\n", 36) == 0);
	CHECK(strstr(buf, "Authorization: Bearer sk-test\r\n") != NULL);
	CHECK(strstr(buf, "\"model\":\"m\"") != NULL);
	answer(up, 200, ok_body);
	REQUIRE(read_message(c, buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	CHECK(strstr(buf, "x-llmgw-provider: a\r\n") != NULL);
	CHECK(strstr(buf, "x-llmgw-attempts: 1\r\n") != NULL);
	CHECK(strstr(buf, "\"content\":\"ok\"") != NULL);
	pump();
	CHECK_EQ_INT(gw.nactive, 0);
	CHECK_EQ_INT(gw.requests, 1);
	close(up);
	close(c);
	teardown();
}

/* The first target fails with a 500 before anything reached the client:
 * the second target serves the request, unseen by the client. */
TEST(failover_to_second_target)
{
	REQUIRE(setup("") == 0);
	int c = client_connect(gw_port);
	REQUIRE(c >= 0);
	send_chat(c);
	char buf[4096];
	int ua = fake_accept(prov_a);
	REQUIRE(ua >= 0);
	REQUIRE(read_message(ua, buf, sizeof buf) > 0);
	answer(ua, 500, "{\"error\":{\"message\":\"boom\"}}");
	int ub = fake_accept(prov_b);
	REQUIRE(ub >= 0);
	REQUIRE(read_message(ub, buf, sizeof buf) > 0);
	CHECK(strstr(buf, "\"model\":\"m\"") != NULL);
	answer(ub, 200, ok_body);
	REQUIRE(read_message(c, buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	CHECK(strstr(buf, "x-llmgw-provider: b\r\n") != NULL);
	CHECK(strstr(buf, "x-llmgw-attempts: 2\r\n") != NULL);
	close(ua);
	close(ub);
	close(c);
	teardown();
}

/* With one exchange (max_inflight 1) a second client waits; when the
 * first request ends its exchange goes back to the pool at the end of the
 * round and on to the waiting client, which is then served in full. */
/* What the test's watcher saw in the round c1's answer went out. */
static struct {
	int client;
	int answered;		/* c1's whole answer was readable */
	unsigned nactive;	/* exchanges in use then */
} mid;

static void on_mid_round(struct loop_fd *w, unsigned ev)
{
	(void)ev;
	char b[4096];
	ssize_t n = recv(mid.client, b, sizeof b - 1, MSG_PEEK | MSG_DONTWAIT);
	b[n > 0 ? n : 0] = 0;
	if (n > 0 && strstr(b, "\r\n\r\n") && strstr(b, "}")) {
		mid.answered = 1;
		mid.nactive = gw.nactive;
		char x;
		(void)read(w->fd, &x, 1);
	}
}

TEST(release_hands_exchange_to_waiting_client)
{
	REQUIRE(setup("") == 0);
	int c1 = client_connect(gw_port), c2 = client_connect(gw_port);
	REQUIRE(c1 >= 0 && c2 >= 0);
	send_chat(c1);
	char buf[4096];
	int u1 = fake_accept(prov_a);
	REQUIRE(u1 >= 0);
	REQUIRE(read_message(u1, buf, sizeof buf) > 0);
	send_chat(c2);
	for (int i = 0; i < 20; i++)
		pump();
	CHECK_EQ_INT(gw.nactive, 1);	/* c2 waits: no exchange for it yet */
	/* The provider's answer and a watcher of the test's, dispatched after
	 * the gateway's sockets in the same round, look at the exchanges
	 * while c1's request ends: its exchange is not yet c2's (no callee
	 * hands away what a caller up the stack still holds). */
	int pfd[2];
	REQUIRE(pipe(pfd) == 0);
	struct loop_fd watch;
	loop_fd_init(&watch);
	mid.client = c1;
	REQUIRE(loop_add(&watch, pfd[0], LOOP_IN, on_mid_round) == 0);
	answer(u1, 200, ok_body);
	REQUIRE(write(pfd[1], "x", 1) == 1);
	for (int i = 0; i < 20 && !mid.answered; i++)
		pump();
	loop_del(&watch);
	close(pfd[0]);
	close(pfd[1]);
	REQUIRE(mid.answered);
	CHECK_EQ_INT(mid.nactive, 0);	/* c1's exchange ended, c2 not yet in */
	REQUIRE(read_message(c1, buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	/* The upstream connection went back to the pool: c2's request may
	 * come on it (keep-alive) or on a new one. */
	int u2 = -1;
	char b2[4096];
	size_t n = 0;
	for (int i = 0; i < 400 && !n; i++) {
		n = 0;
		ssize_t r = recv(u1, b2, sizeof b2 - 1, MSG_DONTWAIT | MSG_PEEK);
		if (r > 0) {
			n = read_message(u1, b2, sizeof b2);
			u2 = u1;
			break;
		}
		int fd = accept4(prov_a, NULL, NULL, SOCK_NONBLOCK);
		if (fd >= 0) {
			u2 = fd;
			n = read_message(fd, b2, sizeof b2);
			break;
		}
		pump();
	}
	REQUIRE(u2 >= 0 && n > 0);
	answer(u2, 200, ok_body);
	REQUIRE(read_message(c2, buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	pump();
	CHECK_EQ_INT(gw.nactive, 0);
	CHECK_EQ_INT(gw.requests, 2);
	if (u2 != u1)
		close(u2);
	close(u1);
	close(c1);
	close(c2);
	teardown();
}

/* ---- the upstream client alone, through its callback ---- */

struct user {
	struct up_req up;
	unsigned events[8];
	int n;
};

static void on_user(struct up_req *r, unsigned what)
{
	struct user *us = container_of(r, struct user, up);
	if (us->n < 8)
		us->events[us->n++] = what;
}

TEST(upstream_reports_through_callback_and_pools)
{
	REQUIRE(setup("") == 0);
	const struct cfg_url *url = &cfg.providers[0].url;
	struct user us = { .up = { .cb = on_user } };
	REQUIRE(upstream_get(&us.up, url) == 0);	/* new: reported later, never from inside */
	CHECK_EQ_INT(us.n, 0);
	int fd = fake_accept(prov_a);
	REQUIRE(fd >= 0);
	for (int i = 0; i < 100 && us.n == 0; i++)
		pump();
	REQUIRE(us.n == 1);
	CHECK_EQ_INT(us.events[0], UP_CONNECTED);
	struct iovec iov = { (void *)"ping", 4 };
	CHECK_EQ_INT(upstream_writev(&us.up, &iov, 1), 4);
	char b[8];
	CHECK(read(fd, b, 4) == 4 && memcmp(b, "ping", 4) == 0);
	upstream_want(&us.up, UP_READABLE);
	send_str(fd, "pong");
	for (int i = 0; i < 100 && us.n == 1; i++)
		pump();
	REQUIRE(us.n == 2);
	CHECK_EQ_INT(us.events[1], UP_READABLE);
	CHECK_EQ_INT(upstream_read(&us.up, b, sizeof b), 4);
	upstream_release(&us.up, 1);
	CHECK(us.up.u == NULL);
	/* Pooled: the next request to that host takes it, connected. */
	struct user u2 = { .up = { .cb = on_user } };
	CHECK_EQ_INT(upstream_get(&u2.up, url), 1);
	CHECK(upstream_was_reused(&u2.up));
	upstream_release(&u2.up, 0);
	/* A fresh request never takes a pooled one; a refused connect is
	 * reported as UP_FAILED through the callback. */
	close(prov_a);
	prov_a = socket(AF_INET, SOCK_STREAM, 0);	/* closed again by teardown */
	struct user u3 = { .up = { .cb = on_user, .fresh = 1 } };
	CHECK_EQ_INT(upstream_get(&u3.up, url), 0);
	for (int i = 0; i < 100 && u3.n == 0; i++)
		pump();
	REQUIRE(u3.n == 1);
	CHECK_EQ_INT(u3.events[0], UP_FAILED);
	upstream_release(&u3.up, 0);
	close(fd);
	teardown();
}

/* A probe owns its upstream request: it asks the provider's models path
 * on a connection of its own and closes it after the answer. */
TEST(probe_asks_models_path)
{
	if (!LLMGW_PROBES)
		SKIP_TEST("health probes are compiled out (LLMGW_PROBES=0)");
	REQUIRE(setup("\toption probe_interval '1ms'\n") == 0);
	REQUIRE(probe_init() == 0);
	probing = 1;
	int fd = fake_accept(prov_a);
	REQUIRE(fd >= 0);
	char buf[2048];
	REQUIRE(read_message(fd, buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "GET /v1/models HTTP/1.1\r\n", 25) == 0);
	CHECK(strstr(buf, "Connection: close\r\n") != NULL);
	CHECK(strstr(buf, "Authorization: Bearer sk-test\r\n") != NULL);
	answer(fd, 200, "{\"data\":[]}");
	/* The probe concludes and closes its connection. */
	int closed = 0;
	for (int i = 0; i < 200 && !closed; i++) {
		pump();
		char b;
		closed = recv(fd, &b, 1, MSG_DONTWAIT) == 0;
	}
	CHECK(closed);
	close(fd);
	teardown();
}

int main(void)
{
	test_suite = "proxy";
	RUN(attempt_answered);
	RUN(failover_to_second_target);
	RUN(release_hands_exchange_to_waiting_client);
	RUN(upstream_reports_through_callback_and_pools);
	RUN(probe_asks_models_path);
	return test_summary();
}
