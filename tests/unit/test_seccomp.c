/*
 * test_seccomp.c - the system call filter (port/seccomp_linux.c), in a
 * forked child each time (a filter cannot be removed): a call outside the
 * list ends the process with exit status 159 and one line on stderr
 * naming the call; what llmgw does after start-up (files as a reload and a
 * usage flush use them, sockets, poll, clocks, memory, random bytes) still
 * works under it. Where the kernel or the emulator has no seccomp filters
 * (qemu-user: `make check TOOLCHAIN=...`), port_seccomp() must say so and
 * return 1; the tests that need a filter are then skipped, not passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "test.h"
#include "options.h"
#include "port.h"

/* Made by the parent (binding is start-up work), used by the child. */
static int tcp_listen_fd = -1, udp_fd = -1;
static struct sockaddr_in tcp_addr, udp_addr;
static char dir[64];		/* the child makes it (as llmgw makes state_dir) */

#define UNAVAILABLE 77		/* the child's exit status: port_seccomp() returned 1 */
#define INSTALL_FAILED 78

struct child {
	int status;		/* waitpid's */
	char err[512];		/* its stderr */
	char why[256];		/* port_seccomp's message when it returned 1 */
};

/* Runs body() in a child under the filter; its stderr is collected. */
static int run_filtered(void (*body)(void), struct child *out)
{
	int p[2], w[2];
	memset(out, 0, sizeof *out);
	if (pipe(p) < 0 || pipe(w) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		close(w[0]);
		dup2(p[1], 2);
		char err[256] = "";
		int r = port_seccomp(err, sizeof err);
		if (r != 0) {
			ssize_t n = write(w[1], err, strlen(err));
			(void)n;
			_exit(r > 0 ? UNAVAILABLE : INSTALL_FAILED);
		}
		body();
		_exit(0);
	}
	close(p[1]);
	close(w[1]);
	size_t got = 0;
	ssize_t n;
	while (got < sizeof out->err - 1 && (n = read(p[0], out->err + got, sizeof out->err - 1 - got)) > 0)
		got += (size_t)n;
	n = read(w[0], out->why, sizeof out->why - 1);
	(void)n;
	close(p[0]);
	close(w[0]);
	if (waitpid(pid, &out->status, 0) != pid)
		return -1;
	return 0;
}

static int unavailable(const struct child *c)
{
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == UNAVAILABLE;
}

static void forbidden(void)
{
	/* chroot: nothing llmgw does after start-up needs it. */
	syscall(SYS_chroot, "/");
	_exit(3);	/* not reached when the filter works */
}

TEST(forbidden_call_ends_the_process_naming_it)
{
	struct child c;
	REQUIRE(run_filtered(forbidden, &c) == 0);
	if (unavailable(&c)) {
		/* The documented answer where there are no filters. */
		CHECK(strstr(c.why, "not supported by this kernel or emulator") != NULL);
		SKIP_TEST("no seccomp filters here (kernel or qemu-user): checked the message only");
	}
	CHECK(WIFEXITED(c.status));
	CHECK_EQ_INT(WEXITSTATUS(c.status), 128 + SIGSYS);
	char want[128];
	snprintf(want, sizeof want, "llmgw: seccomp: system call %d is not allowed\n", (int)SYS_chroot);
	if (strcmp(c.err, want) != 0)
		fprintf(stderr, "  stderr: \"%s\", want \"%s\"\n", c.err, want);
	CHECK(strcmp(c.err, want) == 0);
}

/* What a reload, a usage flush, the loop and the sockets do. Each failure
 * is its own exit status. */
static void allowed(void)
{
	char path[96], tmp[96];
	snprintf(path, sizeof path, "%s/usage.state", dir);
	snprintf(tmp, sizeof tmp, "%s/usage.state.tmp", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		_exit(10);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1 || fsync(fd) < 0 || close(fd) < 0)
		_exit(11);
	if (rename(tmp, path) < 0 || access(path, F_OK) < 0)
		_exit(12);
	struct stat st;
	char b[8];
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size != 1 || pread(fd, b, 1, 0) != 1 || read(fd, b, 1) != 1)
		_exit(13);
	close(fd);
	if (unlink(path) < 0)
		_exit(14);
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0 || clock_gettime(CLOCK_REALTIME, &ts) < 0 || time(NULL) <= 0)
		_exit(15);
	unsigned char rnd[16];
	if (port_random(rnd, sizeof rnd) < 0)
		_exit(16);
	/* Memory: a large block is mapped and unmapped; pages given back. */
	char *m = malloc(1 << 20);
	if (!m)
		_exit(17);
	memset(m, 1, 1 << 20);
	port_mem_release(m, 1 << 20);
	free(m);
	if (port_rss_bytes() == 0)
		_exit(18);
	/* Sockets as the loop uses them: a UDP query and its answer (DNS), a
	 * TCP connection made, accepted and spoken over, polled throughout. */
	int q = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (q < 0 || sendto(q, "q", 1, 0, (struct sockaddr *)&udp_addr, sizeof udp_addr) != 1)
		_exit(19);
	struct pollfd pf = { udp_fd, POLLIN, 0 };
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	if (poll(&pf, 1, 5000) != 1 || recvfrom(udp_fd, b, sizeof b, 0, (struct sockaddr *)&from, &fl) != 1)
		_exit(20);
	close(q);
	int t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, e = 0;
	socklen_t el = sizeof e;
	if (t < 0 || setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		_exit(21);
	if (connect(t, (struct sockaddr *)&tcp_addr, sizeof tcp_addr) < 0 && errno != EINPROGRESS)
		_exit(22);
	pf = (struct pollfd){ t, POLLOUT, 0 };
	if (poll(&pf, 1, 5000) != 1 || getsockopt(t, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e)
		_exit(23);
	pf = (struct pollfd){ tcp_listen_fd, POLLIN, 0 };
	int s = poll(&pf, 1, 5000) == 1 ? accept4(tcp_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC) : -1;
	if (s < 0 || send(t, "hi", 2, MSG_NOSIGNAL) != 2)
		_exit(24);
	pf = (struct pollfd){ s, POLLIN, 0 };
	if (poll(&pf, 1, 5000) != 1 || recv(s, b, sizeof b, 0) != 2 || shutdown(s, SHUT_WR) < 0)
		_exit(25);
	close(s);
	close(t);
	_exit(0);
}

TEST(what_llmgw_does_after_start_up_still_works)
{
	struct child c;
	socklen_t l = sizeof tcp_addr;
	tcp_addr = udp_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	tcp_listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(tcp_listen_fd >= 0 && udp_fd >= 0);
	REQUIRE(bind(tcp_listen_fd, (struct sockaddr *)&tcp_addr, sizeof tcp_addr) == 0 && listen(tcp_listen_fd, 4) == 0);
	REQUIRE(getsockname(tcp_listen_fd, (struct sockaddr *)&tcp_addr, &l) == 0);
	l = sizeof udp_addr;
	REQUIRE(bind(udp_fd, (struct sockaddr *)&udp_addr, sizeof udp_addr) == 0);
	REQUIRE(getsockname(udp_fd, (struct sockaddr *)&udp_addr, &l) == 0);
	snprintf(dir, sizeof dir, "/tmp/llmgw-seccomp-%d", (int)getpid());
	int r = run_filtered(allowed, &c);
	rmdir(dir);
	close(tcp_listen_fd);
	close(udp_fd);
	REQUIRE(r == 0);
	if (unavailable(&c))
		SKIP_TEST("no seccomp filters here (kernel or qemu-user)");
	if (c.err[0])
		fprintf(stderr, "  child's stderr: %s", c.err);
	CHECK(WIFEXITED(c.status));
	CHECK_EQ_INT(WEXITSTATUS(c.status), 0);
}

int main(void)
{
	test_suite = "seccomp";
	if (!LLMGW_SECCOMP) {
		printf("SKIP seccomp: built with LLMGW_SECCOMP=0\n");
		return test_summary();
	}
	RUN(forbidden_call_ends_the_process_naming_it);
	RUN(what_llmgw_does_after_start_up_still_works);
	return test_summary();
}
