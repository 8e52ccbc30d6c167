/*
 * sseclient.c - the benchmark's own HTTP/1.1 client (tools/bench.sh builds it
 * into BUILD/bench/sseclient). Plain TCP to a loopback address, keep-alive,
 * nothing but libc. Every wait is bounded (a per-mode deadline); nothing
 * retries.
 *
 *   sseclient reqs   HOST PORT N BODYFILE [HEADER...]
 *       N sequential requests on one keep-alive connection; each must
 *       answer 200. Prints "reqs ok=N fail=F first_status=S" and exits 1
 *       on any failure. Used for warm-up, smoke checks and callgrind runs.
 *
 *   sseclient stream HOST PORT N BODYFILE [HEADER...]
 *       N sequential streaming requests on one keep-alive connection. For
 *       each, the clock (CLOCK_MONOTONIC) starts just before the request is
 *       written; every SSE event (a blank line in the decoded body) is
 *       stamped when the read() that completed it returns. Prints
 *       "E <i> <ns since write> <read number> <content>" per event, then
 *       "R <i> <status>"; <content> is 1 for an event carrying a token
 *       ("content":"<non-empty>"); two events with the same read number
 *       arrived together (batched). Exits 1 on a non-200 or a broken
 *       response.
 *
 *   sseclient hold   HOST IDLEPORT STREAMPORT IDLE STREAMS SECONDS BODYFILE STREAMBODYFILE [HEADER...]
 *       Opens IDLE connections to IDLEPORT that each complete one request
 *       and then stay open (idle keep-alive), then STREAMS connections to
 *       STREAMPORT each sending the streaming body; once every stream has
 *       delivered its first event it prints "READY" (the caller samples
 *       memory then) and waits for the streams to finish, at most SECONDS
 *       in all. Prints "hold idle_ok= streams_ok= err=" and exits 1 on any
 *       error, including an idle connection the server closed.
 *
 * HEADER arguments are "Name: value" lines added to every request; in hold
 * mode "I:Name: value" goes only on the idle requests, "S:Name: value" only
 * on the streams.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the request ---- */

static char *req_buf[2];
static size_t req_len[2];

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "sseclient: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);
	size_t r;
	while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			b = realloc(b, cap *= 2);
	}
	fclose(f);
	if (!b)
		exit(2);
	*len = n;
	return b;
}

/* which: 0 the plain request, 1 the stream request (hold mode); headers
 * prefixed "I:" go on 0 only, "S:" on 1 only. */
static void build_request(int which, const char *host, const char *port, const char *bodyfile,
			  int nh, char **hdrs)
{
	size_t blen;
	char *body = read_file(bodyfile, &blen);
	size_t cap = blen + 4096;
	for (int i = 0; i < nh; i++)
		cap += strlen(hdrs[i]) + 2;
	char *r = malloc(cap);
	if (!r)
		exit(2);
	int n = snprintf(r, cap, "POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%s\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n", host, port, blen);
	for (int i = 0; i < nh; i++) {
		const char *h = hdrs[i];
		if ((h[0] == 'I' || h[0] == 'S') && h[1] == ':') {
			if ((h[0] == 'I') != (which == 0))
				continue;
			h += 2;
		}
		n += snprintf(r + n, cap - (size_t)n, "%s\r\n", h);
	}
	n += snprintf(r + n, cap - (size_t)n, "\r\n");
	memcpy(r + n, body, blen);
	req_buf[which] = r;
	req_len[which] = (size_t)n + blen;
	free(body);
}

/* ---- the response parser: head, then Content-Length, chunked or
 * until-close body; counts SSE events in the decoded body. ---- */

enum { P_HEAD, P_CLEN, P_CSIZE, P_CDATA, P_CCRLF, P_TRAILER, P_CLOSE, P_DONE };

struct resp {
	int st;
	char head[16384];
	size_t hlen;
	int status;
	long long left;
	char line[64];
	size_t llen;
	int nl;			/* consecutive '\n' in the body, '\r' ignored */
	int events;		/* completed SSE events */
	int content_events;	/* of which carried content (a token) */
	int m;			/* bytes of CONTENT_PAT matched in this event */
	int has_content;	/* this event carries a non-empty "content" */
};

/* An OpenAI chunk with a token: "content":"<at least one character>". The
 * role chunk ("content":"") and the finish chunk do not match. */
static const char CONTENT_PAT[] = "\"content\":\"";

static void resp_reset(struct resp *r)
{
	r->st = P_HEAD;
	r->hlen = r->llen = 0;
	r->status = 0;
	r->left = 0;
	r->nl = 0;
	r->events = 0;
	r->content_events = 0;
	r->m = 0;
	r->has_content = 0;
}

static void body_byte(struct resp *r, char c)
{
	if (r->m == (int)sizeof CONTENT_PAT - 1) {
		if (c != '"')
			r->has_content = 1;
		r->m = 0;
	}
	if (c == CONTENT_PAT[r->m])
		r->m++;
	else
		r->m = c == CONTENT_PAT[0];
	if (c == '\n') {
		if (++r->nl == 2) {
			r->events++;
			r->content_events += r->has_content;
			r->has_content = 0;
			r->m = 0;
		}
	} else if (c != '\r') {
		r->nl = 0;
	}
}

static int head_value(const struct resp *r, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = strstr(r->head, "\r\n");
	while (p && p[2] != '\r') {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			const char *e = strstr(v, "\r\n");
			size_t l = e ? (size_t)(e - v) : strlen(v);
			if (l >= outlen)
				l = outlen - 1;
			memcpy(out, v, l);
			out[l] = 0;
			return 1;
		}
		p = strstr(p, "\r\n");
	}
	return 0;
}

/* Feeds n bytes; returns -1 on a malformed response, else 0. Sets
 * r->st = P_DONE at the end of the response (bytes after it are ignored:
 * this client never pipelines). */
static int resp_feed(struct resp *r, const char *p, size_t n)
{
	for (size_t i = 0; i < n && r->st != P_DONE; i++) {
		char c = p[i];
		switch (r->st) {
		case P_HEAD:
			if (r->hlen + 1 >= sizeof r->head)
				return -1;
			r->head[r->hlen++] = c;
			if (r->hlen >= 4 && !memcmp(r->head + r->hlen - 4, "\r\n\r\n", 4)) {
				r->head[r->hlen] = 0;
				if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
					return -1;
				char v[64];
				if (head_value(r, "transfer-encoding", v, sizeof v) && strcasestr(v, "chunked"))
					r->st = P_CSIZE;
				else if (head_value(r, "content-length", v, sizeof v)) {
					r->left = atoll(v);
					r->st = r->left > 0 ? P_CLEN : P_DONE;
				} else
					r->st = P_CLOSE;
			}
			break;
		case P_CLEN:
			body_byte(r, c);
			if (--r->left == 0)
				r->st = P_DONE;
			break;
		case P_CLOSE:
			body_byte(r, c);
			break;
		case P_CSIZE:
			if (c == '\n') {
				r->line[r->llen] = 0;
				r->left = strtoll(r->line, NULL, 16);
				r->llen = 0;
				r->st = r->left > 0 ? P_CDATA : P_TRAILER;
			} else if (r->llen + 1 < sizeof r->line)
				r->line[r->llen++] = c;
			else
				return -1;
			break;
		case P_CDATA:
			body_byte(r, c);
			if (--r->left == 0)
				r->st = P_CCRLF;
			break;
		case P_CCRLF:
			if (c == '\n')
				r->st = P_CSIZE;
			break;
		case P_TRAILER:
			/* Only an empty trailer is expected: the line after "0". */
			if (c == '\n') {
				if (r->llen == 0)
					r->st = P_DONE;
				r->llen = 0;
			} else if (c != '\r')
				r->llen = 1;
			break;
		}
	}
	return 0;
}

/* ---- sockets ---- */

static int dial(const char *host, const char *port, int blocking_timeout_s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port)) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "sseclient: HOST must be an IPv4 address\n");
		exit(2);
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (blocking_timeout_s > 0) {
		struct timeval tv = { .tv_sec = blocking_timeout_s };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One request on fd, blocking with the socket timeouts. With stamps, prints
 * an E line per event. Returns the status, or -1. */
static int exchange(int fd, int idx, int stamps, struct resp *r)
{
	static char buf[65536];
	resp_reset(r);
	long long t0 = now_ns();
	if (write_all(fd, req_buf[0], req_len[0]) < 0)
		return -1;
	int reads = 0;
	while (r->st != P_DONE) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && r->st == P_CLOSE)
			break;
		if (n <= 0)
			return -1;
		long long t = now_ns();
		reads++;
		int before = r->events, cbefore = r->content_events;
		if (resp_feed(r, buf, (size_t)n) < 0)
			return -1;
		/* Events completed by this read: the content ones first is a
		 * guess that does not matter, only counts per read are used. */
		if (stamps)
			for (int e = before; e < r->events; e++)
				printf("E %d %lld %d %d\n", idx, t - t0, reads,
				       e - before < r->content_events - cbefore);
	}
	return r->status;
}

static int mode_seq(int argc, char **argv, int stamps)
{
	if (argc < 6)
		return 2;
	const char *host = argv[2], *port = argv[3];
	int n = atoi(argv[4]);
	build_request(0, host, port, argv[5], argc - 6, argv + 6);
	static struct resp r;
	int fd = dial(host, port, 30);
	if (fd < 0) {
		fprintf(stderr, "sseclient: connect %s:%s: %s\n", host, port, strerror(errno));
		return 1;
	}
	int ok = 0, fail = 0, first = 0;
	for (int i = 0; i < n; i++) {
		int st = exchange(fd, i, stamps, &r);
		if (!first)
			first = st;
		if (stamps)
			printf("R %d %d\n", i, st);
		if (st == 200)
			ok++;
		else {
			fail++;
			if (r.hlen)
				fprintf(stderr, "sseclient: request %d: status %d: %.300s\n", i, st, r.head);
			else
				fprintf(stderr, "sseclient: request %d: %s\n", i, st < 0 ? "connection error" : "bad status");
			break;
		}
		if (r.st == P_CLOSE) {	/* the server closed: reconnect */
			close(fd);
			if ((fd = dial(host, port, 30)) < 0)
				return 1;
		}
	}
	close(fd);
	if (!stamps)
		printf("reqs ok=%d fail=%d first_status=%d\n", ok, fail, first);
	return fail ? 1 : 0;
}

/* ---- hold: many idle keep-alive connections plus active streams ---- */

struct hconn {
	int fd;
	int stream;
	size_t off;		/* bytes of the request written */
	int done;		/* response complete (idle) or stream finished */
	int first;		/* a stream delivered its first event */
	struct resp r;
};

static int mode_hold(int argc, char **argv)
{
	if (argc < 10)
		return 2;
	const char *host = argv[2], *iport = argv[3], *sport = argv[4];
	int nidle = atoi(argv[5]), nstream = atoi(argv[6]);
	long long deadline = now_ns() + atoll(argv[7]) * 1000000000LL;
	build_request(0, host, iport, argv[8], argc - 10, argv + 10);
	build_request(1, host, sport, argv[9], argc - 10, argv + 10);
	int total = nidle + nstream;
	struct hconn *c = calloc((size_t)total, sizeof *c);
	struct pollfd *pf = calloc((size_t)total, sizeof *pf);
	if (!c || !pf)
		return 2;
	int err = 0, idle_ok = 0, streams_ok = 0, firsts = 0, ready = 0;
	static char buf[65536];
	for (int i = 0; i < total; i++) {
		c[i].stream = i >= nidle;
		c[i].fd = -1;
		resp_reset(&c[i].r);
	}
	/* Phase 1 opens the idle connections, phase 2 the streams. */
	for (int phase = 1; phase <= 2 && !err; phase++) {
		int lo = phase == 1 ? 0 : nidle, hi = phase == 1 ? nidle : total;
		for (int i = lo; i < hi; i++) {
			if ((c[i].fd = dial(host, phase == 1 ? iport : sport, 0)) < 0) {
				fprintf(stderr, "sseclient: connect %d: %s\n", i, strerror(errno));
				err++;
				break;
			}
		}
		for (;;) {
			int pending = 0, np = 0;
			for (int i = lo; i < hi; i++) {
				struct hconn *h = &c[i];
				pf[np].fd = -1;
				if (h->fd < 0 || h->done)
					continue;
				pending++;
				pf[np].fd = h->fd;
				pf[np].events = h->off < req_len[h->stream] ? POLLOUT : POLLIN;
				pf[np].revents = 0;
				np++;
			}
			if (phase == 2 && firsts == nstream && !ready) {
				printf("READY\n");
				fflush(stdout);
				ready = 1;
			}
			if (!pending || err)
				break;
			long long left = deadline - now_ns();
			if (left <= 0) {
				fprintf(stderr, "sseclient: hold: deadline with %d connections unfinished\n", pending);
				err++;
				break;
			}
			int pr = poll(pf, (nfds_t)np, (int)(left / 1000000 + 1));
			if (pr < 0 && errno != EINTR)
				return 2;
			int k = 0;
			for (int i = lo; i < hi; i++) {
				struct hconn *h = &c[i];
				if (h->fd < 0 || h->done)
					continue;
				short rev = pf[k++].revents;
				if (!rev)
					continue;
				if (h->off < req_len[h->stream]) {
					ssize_t w = write(h->fd, req_buf[h->stream] + h->off, req_len[h->stream] - h->off);
					if (w > 0)
						h->off += (size_t)w;
					else if (w < 0 && errno != EAGAIN && errno != EINTR) {
						err++;
						h->done = 1;
					}
					continue;
				}
				ssize_t n = read(h->fd, buf, sizeof buf);
				if (n < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				if (n <= 0 || resp_feed(&h->r, buf, (size_t)n) < 0) {
					fprintf(stderr, "sseclient: hold: connection %d %s\n", i, n == 0 ? "closed" : "failed");
					err++;
					h->done = 1;
					continue;
				}
				if (h->stream && !h->first && h->r.events > 0) {
					h->first = 1;
					firsts++;
				}
				if (h->r.st == P_DONE) {
					h->done = 1;
					if (h->r.status != 200) {
						fprintf(stderr, "sseclient: hold: connection %d: status %d\n", i, h->r.status);
						err++;
					} else if (h->stream)
						streams_ok++;
					else
						idle_ok++;
				}
			}
		}
	}
	if (!ready && !err) {
		printf("READY\n");
		fflush(stdout);
	}
	/* The idle connections must still be open: the server may not have
	 * dropped them while the streams ran. */
	int closed = 0;
	for (int i = 0; i < nidle; i++) {
		struct pollfd p1 = { .fd = c[i].fd, .events = POLLIN };
		if (c[i].fd >= 0 && poll(&p1, 1, 0) > 0)
			closed++;
	}
	if (closed) {
		fprintf(stderr, "sseclient: hold: %d idle connections were closed by the server\n", closed);
		err++;
	}
	printf("hold idle_ok=%d streams_ok=%d err=%d\n", idle_ok, streams_ok, err);
	for (int i = 0; i < total; i++)
		if (c[i].fd >= 0)
			close(c[i].fd);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rc = 2;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc >= 2 && !strcmp(argv[1], "reqs"))
		rc = mode_seq(argc, argv, 0);
	else if (argc >= 2 && !strcmp(argv[1], "stream"))
		rc = mode_seq(argc, argv, 1);
	else if (argc >= 2 && !strcmp(argv[1], "hold"))
		rc = mode_hold(argc, argv);
	if (rc == 2)
		fprintf(stderr, "usage: sseclient reqs|stream HOST PORT N BODYFILE [HEADER...]\n"
			"       sseclient hold HOST IDLEPORT STREAMPORT IDLE STREAMS SECONDS BODYFILE STREAMBODYFILE [HEADER...]\n");
	fflush(stdout);
	return rc;
}
