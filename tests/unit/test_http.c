/*
 * test_http.c - unit tests for src/http.c: request and response heads
 * (whole, byte by byte with last_len, and ending at a guard page), the
 * smuggling rejections, header helpers, body framing info, chunked
 * decoding at every kind of split, and SSE framing.
 */
#include "http.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

#define S(lit) lit, (sizeof(lit) - 1)

/* ---- helpers: render a parse result relative to its buffer ---- */

/* A textual summary of a parsed request, with every string given as
 * offset:length into the buffer, so two parses of the same bytes at
 * different addresses compare equal exactly when they agree. */
static void render_req(char *out, size_t cap, int ret, const char *buf, const struct http_request *r)
{
	size_t n = 0, i;

	n += (size_t)snprintf(out + n, cap - n, "ret=%d", ret);
	if (ret <= 0)
		return;
	n += (size_t)snprintf(out + n, cap - n, " m=%td:%zu t=%td:%zu v=%d h=%zu",
	    r->method - buf, r->method_len, r->target - buf, r->target_len,
	    r->minor_version, r->num_headers);
	for (i = 0; i < r->num_headers && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, " %td:%zu=%td:%zu",
		    r->headers[i].name - buf, r->headers[i].name_len,
		    r->headers[i].value - buf, r->headers[i].value_len);
}

static void render_res(char *out, size_t cap, int ret, const char *buf, const struct http_response *r)
{
	size_t n = 0, i;

	n += (size_t)snprintf(out + n, cap - n, "ret=%d", ret);
	if (ret <= 0)
		return;
	n += (size_t)snprintf(out + n, cap - n, " v=%d s=%d r=%td:%zu h=%zu",
	    r->minor_version, r->status, r->reason - buf, r->reason_len, r->num_headers);
	for (i = 0; i < r->num_headers && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, " %td:%zu=%td:%zu",
		    r->headers[i].name - buf, r->headers[i].name_len,
		    r->headers[i].value - buf, r->headers[i].value_len);
}

static struct http_request g_req;
static struct http_response g_res;
static char g_whole[8192];

/*
 * Parses s whole from a guard-page copy, then every prefix of it (each at
 * a guard page, with last_len = the previous prefix's length): every
 * proper prefix up to the head's end must be INCOMPLETE, and the prefix
 * that completes the head must give the same result as the whole.
 * http_request_head_end must agree on every prefix: resumed or not, and
 * with the parser on where the head ends.
 * Returns the whole parse's result; g_req holds it (pointing into a
 * private copy that stays valid until the next call).
 */
static char g_keep[8192];
static int req_check(const char *s, size_t n)
{
	char got[8192];
	int ret, r;
	size_t k;
	char *p;

	p = test_guard_copy(s, n);
	ret = http_parse_request(p, n, 0, &g_req);
	render_req(g_whole, sizeof(g_whole), ret, p, &g_req);
	r = http_request_head_end(p, n, 0);
	if (ret > 0)
		CHECK_EQ_INT(r, ret);
	else if (ret == HTTP_TOO_MANY_HEADERS)
		CHECK(r > 0);
	else if (ret == HTTP_INCOMPLETE)
		CHECK_EQ_INT(r, HTTP_INCOMPLETE);
	for (k = 1; k <= n; k++) {
		p = test_guard_copy(s, k);
		r = http_request_head_end(p, k, k - 1);
		CHECK_EQ_INT(r, http_request_head_end(p, k, 0));
		if (r > 0 && (size_t)r < k)
			break;	/* already ended at the previous prefix */
		r = http_parse_request(p, k, k - 1, &g_req);
		if (ret > 0 && (size_t)ret > k) {
			CHECK_EQ_INT(r, HTTP_INCOMPLETE);
		} else if (ret > 0) {
			render_req(got, sizeof(got), r, p, &g_req);
			if (strcmp(got, g_whole) != 0) {
				fprintf(stderr, "  byte-by-byte at %zu: %s\n  whole: %s\n", k, got, g_whole);
				test_cur_failed = 1;
			}
			break;
		} else if (ret == HTTP_TOO_MANY_HEADERS) {
			/* only once the head is complete */
			CHECK(r == HTTP_INCOMPLETE || r == HTTP_TOO_MANY_HEADERS);
			if (r == HTTP_TOO_MANY_HEADERS)
				break;
			CHECK(k < n);
		} else {
			/* A bad head may be caught early, never late. */
			CHECK(r == HTTP_INCOMPLETE || r == HTTP_BAD);
			if (k == n)
				CHECK_EQ_INT(r, ret);
		}
	}
	/* Leave g_req describing a stable copy of s. */
	memcpy(g_keep, s, n);
	r = http_parse_request(g_keep, n, 0, &g_req);
	CHECK_EQ_INT(r, ret);
	return ret;
}

static int res_check(const char *s, size_t n)
{
	char got[8192];
	int ret, r;
	size_t k;
	char *p;

	p = test_guard_copy(s, n);
	ret = http_parse_response(p, n, 0, &g_res);
	render_res(g_whole, sizeof(g_whole), ret, p, &g_res);
	for (k = 1; k <= n; k++) {
		p = test_guard_copy(s, k);
		r = http_parse_response(p, k, k - 1, &g_res);
		if (ret > 0 && (size_t)ret > k) {
			CHECK_EQ_INT(r, HTTP_INCOMPLETE);
		} else if (ret > 0) {
			render_res(got, sizeof(got), r, p, &g_res);
			if (strcmp(got, g_whole) != 0) {
				fprintf(stderr, "  byte-by-byte at %zu: %s\n  whole: %s\n", k, got, g_whole);
				test_cur_failed = 1;
			}
			break;
		} else {
			CHECK(r == HTTP_INCOMPLETE || r == HTTP_BAD);
			if (k == n)
				CHECK_EQ_INT(r, ret);
		}
	}
	memcpy(g_keep, s, n);
	r = http_parse_response(g_keep, n, 0, &g_res);
	CHECK_EQ_INT(r, ret);
	return ret;
}

#define REQ_BAD(lit) do { if (req_check(S(lit)) != HTTP_BAD) { \
	fprintf(stderr, "  %s:%d: request not rejected: %s\n", __FILE__, __LINE__, #lit); \
	test_cur_failed = 1; } } while (0)
#define RES_BAD(lit) do { if (res_check(S(lit)) != HTTP_BAD) { \
	fprintf(stderr, "  %s:%d: response not rejected: %s\n", __FILE__, __LINE__, #lit); \
	test_cur_failed = 1; } } while (0)

/* ---- request heads ---- */

TEST(req_simple_get)
{
	static const char s[] = "GET /v1/models?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
	int r = req_check(S(s));

	CHECK_EQ_INT(r, (int)sizeof(s) - 1);
	REQUIRE(r > 0);
	CHECK_EQ_STR(g_req.method, g_req.method_len, "GET");
	CHECK_EQ_STR(g_req.target, g_req.target_len, "/v1/models?x=1");
	CHECK_EQ_INT(g_req.minor_version, 1);
	REQUIRE(g_req.num_headers == 2);
	CHECK_EQ_STR(g_req.headers[0].name, g_req.headers[0].name_len, "Host");
	CHECK_EQ_STR(g_req.headers[0].value, g_req.headers[0].value_len, "example.com");
	CHECK_EQ_STR(g_req.headers[1].name, g_req.headers[1].name_len, "Accept");
	CHECK_EQ_STR(g_req.headers[1].value, g_req.headers[1].value_len, "*/*");
}

TEST(req_post_with_body_after_head)
{
	/* The body after the head is not part of the result. */
	static const char s[] = "POST /v1/chat/completions HTTP/1.1\r\nContent-Type: application/json\r\n"
	    "Content-Length: 2\r\nAuthorization: Bearer sk-x\r\n\r\n{}";
	int r = req_check(S(s));

	CHECK_EQ_INT(r, (int)sizeof(s) - 3);
	REQUIRE(r > 0);
	CHECK_EQ_STR(g_req.method, g_req.method_len, "POST");
	CHECK_EQ_INT(g_req.num_headers, 3);
	CHECK_EQ_STR(g_req.headers[2].value, g_req.headers[2].value_len, "Bearer sk-x");
}

TEST(req_bare_lf_and_mixed)
{
	static const char s[] = "GET / HTTP/1.0\nHost: a\r\nX: y\n\n";
	int r = req_check(S(s));

	CHECK_EQ_INT(r, (int)sizeof(s) - 1);
	REQUIRE(r > 0);
	CHECK_EQ_INT(g_req.minor_version, 0);
	CHECK_EQ_INT(g_req.num_headers, 2);
	CHECK_EQ_STR(g_req.headers[1].value, g_req.headers[1].value_len, "y");
	/* LF then CRLF also ends the head */
	CHECK_EQ_INT(req_check(S("GET / HTTP/1.1\nA: b\n\r\n")), 22);
	/* no headers at all */
	CHECK_EQ_INT(req_check(S("GET / HTTP/1.1\r\n\r\n")), 18);
	CHECK_EQ_INT(g_req.num_headers, 0);
}

TEST(req_leading_empty_line)
{
	int r = req_check(S("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));

	CHECK_EQ_INT(r, 29);
	REQUIRE(r > 0);
	CHECK(g_req.method == g_keep + 2);
	CHECK_EQ_INT(req_check(S("\nGET / HTTP/1.1\r\n\r\n")), 19);
	/* only one is skipped */
	REQ_BAD("\r\n\r\nGET / HTTP/1.1\r\n\r\n");
	REQ_BAD("\rGET / HTTP/1.1\r\n\r\n");
}

TEST(req_value_blanks_stripped)
{
	int r = req_check(S("GET / HTTP/1.1\r\nA:   v a l \t \r\nB:\r\nC:\t\r\nD:x\r\n\r\n"));

	REQUIRE(r > 0);
	REQUIRE(g_req.num_headers == 4);
	CHECK_EQ_STR(g_req.headers[0].value, g_req.headers[0].value_len, "v a l");
	CHECK_EQ_INT(g_req.headers[1].value_len, 0);
	CHECK_EQ_INT(g_req.headers[2].value_len, 0);
	CHECK_EQ_STR(g_req.headers[3].value, g_req.headers[3].value_len, "x");
	/* obs-text (UTF-8) in values is allowed */
	CHECK(req_check(S("GET / HTTP/1.1\r\nX-Name: caf\xc3\xa9\r\n\r\n")) > 0);
}

TEST(req_header_limit)
{
	char buf[4096];
	size_t n;
	int i;

	/* A hundred fields, as an SDK or a browser with cookies sends, and
	 * up to the array's size: a head's limit is its size in bytes. */
	CHECK(HTTP_MAX_HEADERS >= 100);
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "H%d: %d\r\n", i, i);
	memcpy(buf + n, "\r\n", 2);
	CHECK_EQ_INT(req_check(buf, n + 2), (int)n + 2);
	CHECK_EQ_INT(g_req.num_headers, HTTP_MAX_HEADERS);
	CHECK_EQ_STR(g_req.headers[99].name, g_req.headers[99].name_len, "H99");
	/* One more is too many: a 431 (too large), not a malformed head. */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "One: more\r\n\r\n");
	CHECK_EQ_INT(req_check(buf, n), HTTP_TOO_MANY_HEADERS);
	/* A malformed head with as many fields is still just malformed
	 * when the flaw comes first. */
	memcpy(buf + 16, " ", 1);	/* "GET / HTTP/1.1\r\n H0: 0" */
	CHECK_EQ_INT(req_check(buf, n), HTTP_BAD);
}

TEST(res_header_limit)
{
	char buf[4096];
	size_t n;
	int i;

	n = (size_t)snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "H%d: %d\r\n", i, i);
	memcpy(buf + n, "\r\n", 2);
	CHECK_EQ_INT(res_check(buf, n + 2), (int)n + 2);
	CHECK_EQ_INT(g_res.num_headers, HTTP_MAX_HEADERS);
	/* For a response, too many fields is a bad response (a 502). */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "One: more\r\n\r\n");
	CHECK_EQ_INT(res_check(buf, n), HTTP_BAD);
}

TEST(req_head_end)
{
	struct http_request r;

	/* The head's end alone, as the parser finds it, resumable. */
	CHECK_EQ_INT(http_request_head_end(S("GET / HTTP/1.1\r\nHost: a\r\n\r\n{}"), 0), 27);
	CHECK_EQ_INT(http_parse_request(S("GET / HTTP/1.1\r\nHost: a\r\n\r\n{}"), 0, &r), 27);
	CHECK_EQ_INT(http_request_head_end(S("\r\nGET / HTTP/1.1\n\n"), 0), 18);
	CHECK_EQ_INT(http_request_head_end(S("GET / HTTP/1.1\r\nHost: a\r\n\r"), 0), HTTP_INCOMPLETE);
	CHECK_EQ_INT(http_request_head_end(S("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 26), 27);
	CHECK_EQ_INT(http_request_head_end(S("G"), 0), HTTP_INCOMPLETE);
	CHECK_EQ_INT(http_request_head_end(S("\r"), 0), HTTP_INCOMPLETE);
	CHECK_EQ_INT(http_request_head_end(S(""), 0), HTTP_INCOMPLETE);
	/* It does not tokenize: a complete but malformed head ends too ... */
	CHECK_EQ_INT(http_request_head_end(S("GET  / HTTP/1.1\r\n\r\n"), 0), 19);
	/* ... but bytes that cannot start a request fail at once. */
	CHECK_EQ_INT(http_request_head_end(S("\x16\x03\x01"), 0), HTTP_BAD);
	CHECK_EQ_INT(http_request_head_end(S("\rX"), 0), HTTP_BAD);
	CHECK_EQ_INT(http_request_head_end(S(" GET"), 0), HTTP_BAD);
}

/* Whole and byte by byte through req_check, then the Host rule. */
static int host_ok(const char *s, size_t n)
{
	int r = req_check(s, n);

	CHECK(r > 0);
	return r > 0 && http_request_host_ok(&g_req);
}
#define HOST_OK(lit) CHECK(host_ok(S(lit)) == 1)
#define HOST_BAD(lit) CHECK(host_ok(S(lit)) == 0)

TEST(req_host_rule)
{
	/* RFC 9112 3.2: exactly one Host in HTTP/1.1 ... */
	HOST_OK("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
	HOST_OK("GET / HTTP/1.1\r\nhOST: 192.168.1.1:8080\r\n\r\n");
	HOST_OK("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
	HOST_OK("GET / HTTP/1.1\r\nHost: router.lan.\r\n\r\n");
	HOST_OK("GET / HTTP/1.1\r\nHost: xn--caf-dma.example\r\n\r\n");
	HOST_OK("GET / HTTP/1.1\r\nHost:\r\n\r\n");	/* empty: allowed */
	HOST_OK("GET / HTTP/1.1\r\nX: 1\r\nHost: a\r\nX-Host: b\r\nHosts: c\r\n\r\n");
	HOST_BAD("GET / HTTP/1.1\r\n\r\n");
	HOST_BAD("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n");
	HOST_BAD("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n");
	HOST_BAD("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\nHOST: b\r\n\r\n");
	/* ... at most one in HTTP/1.0 ... */
	HOST_OK("GET / HTTP/1.0\r\n\r\n");
	HOST_OK("GET / HTTP/1.0\r\nHost: a\r\n\r\n");
	HOST_BAD("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n");
	/* ... and a host[:port] for a value. */
	HOST_BAD("GET / HTTP/1.1\r\nHost: a b\r\n\r\n");
	HOST_BAD("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n");
	HOST_BAD("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n");
	HOST_BAD("GET / HTTP/1.1\r\nHost: a\tb\r\n\r\n");
	HOST_BAD("GET / HTTP/1.1\r\nHost: \"a\"\r\n\r\n");
	HOST_BAD("GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n");
	HOST_BAD("GET / HTTP/1.0\r\nHost: a?b\r\n\r\n");
}

TEST(req_resume_split_in_terminator)
{
	/* Two pieces, split at every byte, including inside the final
	 * CRLFCRLF: the second call's last_len must not hide the end. */
	static const char s[] = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t n = sizeof(s) - 1, k;
	struct http_request r;

	for (k = 1; k < n; k++) {
		char *p = test_guard_copy(s, k);
		CHECK_EQ_INT(http_parse_request(p, k, 0, &r), HTTP_INCOMPLETE);
		p = test_guard_copy(s, n);
		CHECK_EQ_INT(http_parse_request(p, n, k, &r), (int)n);
	}
	/* a bogus last_len beyond len is treated as 0 */
	CHECK_EQ_INT(http_parse_request(s, n, n + 50, &r), (int)n);
	CHECK_EQ_INT(http_parse_request(s, 0, 0, &r), HTTP_INCOMPLETE);
}

TEST(req_reject_smuggling_syntax)
{
	REQ_BAD("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n");	/* obs-fold */
	REQ_BAD("GET / HTTP/1.1\r\nHost: a\r\n\tfolded\r\n\r\n");
	REQ_BAD("GET / HTTP/1.1\r\n Host: a\r\n\r\n");		/* blank-started first field */
	REQ_BAD("GET / HTTP/1.1\r\nHost : a\r\n\r\n");		/* space before colon */
	REQ_BAD("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n");
	REQ_BAD("GET / HTTP/1.1\r\nHost\r\n\r\n");		/* no colon */
	REQ_BAD("GET / HTTP/1.1\r\n: a\r\n\r\n");			/* empty name */
	REQ_BAD("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n");		/* non-token name */
	REQ_BAD("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n");		/* NUL */
	REQ_BAD("GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n");
	REQ_BAD("GET / HTTP/1.1\r\nHost: a\x01" "b\r\n\r\n");	/* control */
	REQ_BAD("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n");		/* DEL */
	REQ_BAD("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n");		/* bare CR */
	REQ_BAD("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n");
}

/* Every byte in a field name and as the first byte of a method: exactly
 * the RFC 9110 tchar set is accepted (http.c keeps it as a bitmap). */
TEST(tchar_every_byte)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	for (int c = 0; c < 256; c++) {
		int tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    (c != 0 && memchr(extra, c, sizeof extra - 1) != NULL);
		char buf[64];
		struct http_request r;
		int n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nX%cy: v\r\n\r\n", c);
		buf[17] = (char)c;	/* snprintf stops at a NUL; the byte goes in anyway */
		int ret = http_parse_request(buf, (size_t)n, 0, &r);
		/* ':' ends the name early ("X"), which is still a good head. */
		CHECK((ret > 0) == (tchar || c == ':'));
		buf[0] = (char)c;	/* as the method's first byte */
		memcpy(buf + 1, "ET / HTTP/1.1\r\n\r\n", 18);
		ret = http_parse_request(buf, 19, 0, &r);
		/* A lone LF there is the empty line allowed before a request. */
		CHECK((ret > 0) == (tchar || c == '\n'));
	}
}

TEST(req_reject_request_line)
{
	REQ_BAD("GE(T / HTTP/1.1\r\n\r\n");		/* method not a token */
	REQ_BAD("G\x80T / HTTP/1.1\r\n\r\n");
	REQ_BAD(" GET / HTTP/1.1\r\n\r\n");
	REQ_BAD("GET  / HTTP/1.1\r\n\r\n");		/* two spaces */
	REQ_BAD("GET /  HTTP/1.1\r\n\r\n");
	REQ_BAD("GET\t/ HTTP/1.1\r\n\r\n");
	REQ_BAD("GET HTTP/1.1\r\n\r\n");		/* no target */
	REQ_BAD("GET /\r\n\r\n");			/* HTTP/0.9 */
	REQ_BAD("GET / HTTP/1.1 \r\n\r\n");		/* trailing space */
	REQ_BAD("GET / HTTP/2.0\r\n\r\n");
	REQ_BAD("GET / HTTP/1.2\r\n\r\n");
	REQ_BAD("GET / HTTP/1.10\r\n\r\n");
	REQ_BAD("GET / http/1.1\r\n\r\n");
	REQ_BAD("GET /a\x01 HTTP/1.1\r\n\r\n");	/* control in target */
	REQ_BAD("GET /\xc3\xa9 HTTP/1.1\r\n\r\n");	/* raw non-ASCII target */
	REQ_BAD("GET / HTTP/1.1\rX\r\n\r\n");
	REQ_BAD("\r\n\r\n");
}

TEST(req_garbage_fails_early)
{
	/* A TLS ClientHello on the plain port: BAD at the first byte, not
	 * INCOMPLETE until the buffer fills. */
	struct http_request r;
	char *p = test_guard_copy("\x16\x03\x01\x02\x00", 5);

	CHECK_EQ_INT(http_parse_request(p, 1, 0, &r), HTTP_BAD);
	CHECK_EQ_INT(http_parse_request(p, 5, 0, &r), HTTP_BAD);
	CHECK_EQ_INT(http_parse_request("GET", 3, 0, &r), HTTP_INCOMPLETE);
}

/* ---- response heads ---- */

TEST(res_simple)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nBODY";
	int r = res_check(S(s));

	CHECK_EQ_INT(r, (int)sizeof(s) - 5);
	REQUIRE(r > 0);
	CHECK_EQ_INT(g_res.minor_version, 1);
	CHECK_EQ_INT(g_res.status, 200);
	CHECK_EQ_STR(g_res.reason, g_res.reason_len, "OK");
	REQUIRE(g_res.num_headers == 2);
	CHECK_EQ_STR(g_res.headers[1].name, g_res.headers[1].name_len, "Transfer-Encoding");
	CHECK_EQ_STR(g_res.headers[1].value, g_res.headers[1].value_len, "chunked");
}

TEST(res_reason_forms)
{
	CHECK_EQ_INT(res_check(S("HTTP/1.0 404 Not Found Here\n\n")), 29);
	CHECK_EQ_INT(g_res.minor_version, 0);
	CHECK_EQ_INT(g_res.status, 404);
	CHECK_EQ_STR(g_res.reason, g_res.reason_len, "Not Found Here");
	CHECK_EQ_INT(res_check(S("HTTP/1.1 204\r\n\r\n")), 16);
	CHECK_EQ_INT(g_res.status, 204);
	CHECK_EQ_INT(g_res.reason_len, 0);
	CHECK_EQ_INT(res_check(S("HTTP/1.1 500 \r\n\r\n")), 17);
	CHECK_EQ_INT(g_res.reason_len, 0);
	CHECK(res_check(S("HTTP/1.1 200 \xc3\xa9\tok\r\n\r\n")) > 0);
	CHECK_EQ_INT(g_res.reason_len, 5);
}

TEST(res_reject)
{
	RES_BAD("HTTP/1.1 20 OK\r\n\r\n");
	RES_BAD("HTTP/1.1 2000 OK\r\n\r\n");
	RES_BAD("HTTP/1.1 099 Low\r\n\r\n");
	RES_BAD("HTTP/1.1 2x0 OK\r\n\r\n");
	RES_BAD("HTTP/1.1  200 OK\r\n\r\n");
	RES_BAD("HTTP/2 200 OK\r\n\r\n");
	RES_BAD("HTTP/1.2 200 OK\r\n\r\n");
	RES_BAD("HTTP/1.1 200 O\x01K\r\n\r\n");
	RES_BAD("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n");
	RES_BAD("HTTP/1.1 200 OK\r\nX : a\r\n\r\n");
	RES_BAD("HTTP/1.1 200 OK\r\nX: \0\r\n\r\n");
	RES_BAD("http/1.1 200 OK\r\n\r\n");
	/* garbage is caught before the head completes */
	struct http_response r;
	CHECK_EQ_INT(http_parse_response("HTTX", 4, 0, &r), HTTP_BAD);
	CHECK_EQ_INT(http_parse_response("HTT", 3, 0, &r), HTTP_INCOMPLETE);
	CHECK_EQ_INT(http_parse_response("", 0, 0, &r), HTTP_INCOMPLETE);
}

/* ---- header helpers ---- */

TEST(header_lookup)
{
	int r = req_check(S("GET / HTTP/1.1\r\nHost: a\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n"));
	const struct http_header *h;

	REQUIRE(r > 0);
	h = http_find_header(g_req.headers, g_req.num_headers, "host");
	REQUIRE(h != NULL);
	CHECK_EQ_STR(h->value, h->value_len, "a");
	h = http_find_header(g_req.headers, g_req.num_headers, "X-DUP");
	REQUIRE(h != NULL);
	CHECK_EQ_STR(h->value, h->value_len, "1");
	CHECK(http_find_header(g_req.headers, g_req.num_headers, "X-Du") == NULL);
	CHECK(http_find_header(g_req.headers, g_req.num_headers, "X-Dupe") == NULL);
	CHECK(http_find_header(g_req.headers, 0, "host") == NULL);
}

TEST(token_eq_and_list_has)
{
	CHECK(http_token_eq("Chunked", 7, "chunked"));
	CHECK(!http_token_eq("chunke", 6, "chunked"));
	CHECK(!http_token_eq("chunkedx", 8, "chunked"));
	CHECK(http_token_eq("", 0, ""));
	CHECK(!http_token_eq("a", 1, ""));
	CHECK(http_token_prefix("X-RateLimit-Reset", 17, "x-ratelimit-"));
	CHECK(http_token_prefix("anthropic-ratelimit-requests-reset", 34, "anthropic-ratelimit-"));
	CHECK(!http_token_prefix("x-ratelimi", 10, "x-ratelimit-"));
	CHECK(http_token_prefix("Text/Event-Stream; charset=utf-8", 32, "text/event-stream"));

	CHECK(http_list_has(S("keep-alive, Upgrade"), "upgrade"));
	CHECK(http_list_has(S("keep-alive, Upgrade"), "Keep-Alive"));
	CHECK(http_list_has(S("  close  "), "close"));
	CHECK(http_list_has(S(",,\tclose\t,,"), "close"));
	CHECK(!http_list_has(S("closed"), "close"));
	CHECK(!http_list_has(S("xclose, nope"), "close"));
	CHECK(!http_list_has(S("clo se"), "close"));
	CHECK(!http_list_has(S(""), "close"));
	/* the length bounds the value, not a NUL */
	CHECK(!http_list_has("close", 4, "close"));
}

/* ---- body info ---- */

static int req_info(const char *s, size_t n, struct http_body_info *bi)
{
	int r = req_check(s, n);

	if (r <= 0)
		return 99;
	return http_request_body_info(&g_req, bi);
}

#define REQI(lit, bi) req_info(S(lit), (bi))

TEST(req_body_info_kinds)
{
	struct http_body_info bi;

	CHECK_EQ_INT(REQI("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_NONE);
	CHECK_EQ_INT(bi.keep_alive, 1);
	CHECK_EQ_INT(bi.expect_continue, 0);

	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 1234\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_LENGTH);
	CHECK_EQ_INT(bi.length, 1234);

	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_LENGTH);
	CHECK_EQ_INT(bi.length, 0);

	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 007\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.length, 7);

	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_CHUNKED);

	/* repeated identical Content-Length is allowed */
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 05\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_LENGTH);
	CHECK_EQ_INT(bi.length, 5);
}

TEST(req_body_info_smuggling)
{
	struct http_body_info bi;

	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 5,5\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 18446744073709551621\r\n\r\n", &bi), HTTP_BAD);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", &bi), HTTP_BAD);
	/* a big but sane length is fine */
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nContent-Length: 1099511627776\r\n\r\n", &bi), 0);
	CHECK(bi.length == 1099511627776ULL);
}

TEST(req_body_info_keepalive_expect)
{
	struct http_body_info bi;

	CHECK_EQ_INT(REQI("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 0);
	CHECK_EQ_INT(REQI("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 0);
	CHECK_EQ_INT(REQI("GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 0);
	CHECK_EQ_INT(REQI("GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 1);
	CHECK_EQ_INT(REQI("GET / HTTP/1.0\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 0);
	CHECK_EQ_INT(REQI("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 1);
	CHECK_EQ_INT(REQI("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 0);

	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.expect_continue, 1);
	CHECK_EQ_INT(REQI("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.expect_continue, 0);
	CHECK_EQ_INT(REQI("POST / HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 3\r\n\r\n", &bi), 0);
	CHECK_EQ_INT(bi.expect_continue, 0);
}

static int res_info(const char *s, size_t n, int head, struct http_body_info *bi)
{
	int r = res_check(s, n);

	if (r <= 0)
		return 99;
	return http_response_body_info(&g_res, head, bi);
}

#define RESI(lit, head, bi) res_info(S(lit), (head), (bi))

TEST(res_body_info)
{
	struct http_body_info bi;

	CHECK_EQ_INT(RESI("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_LENGTH);
	CHECK_EQ_INT(bi.length, 42);
	CHECK_EQ_INT(bi.keep_alive, 1);

	CHECK_EQ_INT(RESI("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_CHUNKED);
	CHECK_EQ_INT(bi.keep_alive, 1);

	CHECK_EQ_INT(RESI("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_UNTIL_CLOSE);
	CHECK_EQ_INT(bi.keep_alive, 0);

	CHECK_EQ_INT(RESI("HTTP/1.1 204 No Content\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_NONE);
	CHECK_EQ_INT(bi.keep_alive, 1);
	CHECK_EQ_INT(RESI("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_NONE);
	CHECK_EQ_INT(RESI("HTTP/1.1 100 Continue\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_NONE);
	CHECK_EQ_INT(RESI("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 1, &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_NONE);
	CHECK_EQ_INT(bi.keep_alive, 1);

	/* TE wins over CL, but the connection is not reused */
	CHECK_EQ_INT(RESI("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.kind, HTTP_BODY_CHUNKED);
	CHECK_EQ_INT(bi.keep_alive, 0);

	CHECK_EQ_INT(RESI("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, &bi), HTTP_BAD);
	CHECK_EQ_INT(RESI("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, &bi), HTTP_BAD);
	CHECK_EQ_INT(RESI("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, &bi), HTTP_BAD);

	CHECK_EQ_INT(RESI("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 0);
	CHECK_EQ_INT(RESI("HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 1);
	CHECK_EQ_INT(RESI("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n", 0, &bi), 0);
	CHECK_EQ_INT(bi.keep_alive, 0);
	CHECK_EQ_INT(bi.expect_continue, 0);
}

/* ---- chunked ---- */

/*
 * Feeds in[0..n) to a fresh decoder in pieces ending at cuts[0..ncuts)
 * (ascending, each < n), the way a connection would: decoded bytes stay at
 * the front of work and each read is appended right after them. Returns the
 * final result; out gets the decoded bytes and, when done, *left the
 * leftover bytes.
 */
static char g_work[1 << 16];
static ssize_t chunk_feed(const char *in, size_t n, const size_t *cuts, size_t ncuts,
    char *out, size_t *outlen, char *left, size_t *leftlen)
{
	struct http_chunked d;
	size_t w = 0, from = 0, i;
	ssize_t r = HTTP_INCOMPLETE;

	memset(&d, 0, sizeof(d));
	*leftlen = 0;
	for (i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : n, plen = to - from;
		memcpy(g_work + w, in + from, plen);
		r = http_chunked_decode(&d, g_work + w, &plen);
		w += plen;
		from = to;
		if (r != HTTP_INCOMPLETE)
			break;
	}
	memcpy(out, g_work, w);
	*outlen = w;
	if (r >= 0) {
		/* the rest of the input that was never fed is leftover too */
		memcpy(left, g_work + w, (size_t)r);
		memcpy(left + r, in + from, n - from);
		*leftlen = (size_t)r + (n - from);
	}
	return r;
}

static const char chunk_msg[] =
    "5\r\nhello\r\n"
    "6;name=value;x=\"q;s\"\r\n world\r\n"
    "1A \t;e\r\nabcdefghijklmnopqrstuvwxyz\r\n"
    "000a\r\n0123456789\r\n"
    "0;last\r\n"
    "Trailer-One: a\r\nX-T: \r\n"
    "\r\n"
    "HTTP/1.1 200 OK\r\n";
static const char chunk_body[] = "hello worldabcdefghijklmnopqrstuvwxyz0123456789";
static const char chunk_left[] = "HTTP/1.1 200 OK\r\n";

TEST(chunked_whole)
{
	char out[512], left[512];
	size_t ol, ll;
	char buf[512];
	struct http_chunked d;
	size_t len = sizeof(chunk_msg) - 1;
	ssize_t r;

	/* straight in place: leftover lands at buf + *len */
	memcpy(buf, chunk_msg, len);
	memset(&d, 0, sizeof(d));
	r = http_chunked_decode(&d, buf, &len);
	CHECK_EQ_INT(r, (ssize_t)strlen(chunk_left));
	CHECK_EQ_STR(buf, len, chunk_body);
	CHECK(memcmp(buf + len, chunk_left, strlen(chunk_left)) == 0);
	/* once done, everything else is leftover */
	len = 7;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), 7);
	CHECK_EQ_INT(len, 0);

	r = chunk_feed(S(chunk_msg), NULL, 0, out, &ol, left, &ll);
	CHECK_EQ_INT(r, (ssize_t)strlen(chunk_left));
	CHECK_EQ_STR(out, ol, chunk_body);
	CHECK_EQ_STR(left, ll, chunk_left);

	/* no leftover: 0, which is not HTTP_INCOMPLETE */
	r = chunk_feed(S("3\r\nabc\r\n0\r\n\r\n"), NULL, 0, out, &ol, left, &ll);
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_STR(out, ol, "abc");
	/* empty body */
	r = chunk_feed(S("0\r\n\r\n"), NULL, 0, out, &ol, left, &ll);
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(ol, 0);
}

TEST(chunked_byte_by_byte)
{
	size_t n = sizeof(chunk_msg) - 1, cuts[512], i;
	char out[512], left[512];
	size_t ol, ll;
	ssize_t r;

	for (i = 0; i + 1 < n; i++)
		cuts[i] = i + 1;
	r = chunk_feed(chunk_msg, n, cuts, n - 1, out, &ol, left, &ll);
	CHECK_EQ_INT(r, 0);	/* the last byte arrives alone; nothing after it in its piece */
	CHECK_EQ_STR(out, ol, chunk_body);
	CHECK_EQ_STR(left, ll, chunk_left);
}

TEST(chunked_every_two_way_split)
{
	/* split at every position: inside size lines, extensions, data,
	 * the CRLF after data, trailers and the final CRLF */
	size_t n = sizeof(chunk_msg) - 1, k;
	char out[512], left[512];
	size_t ol, ll;

	for (k = 1; k < n; k++) {
		ssize_t r = chunk_feed(chunk_msg, n, &k, 1, out, &ol, left, &ll);
		CHECK(r >= 0);
		CHECK_EQ_STR(out, ol, chunk_body);
		CHECK_EQ_STR(left, ll, chunk_left);
	}
}

TEST(chunked_random_splits)
{
	/* xorshift, fixed seed: the same splits every run */
	uint32_t x = 0x1234567u;
	size_t n = sizeof(chunk_msg) - 1;
	int iter;

	for (iter = 0; iter < 2000; iter++) {
		size_t cuts[64], nc = 0, pos = 0;
		char out[512], left[512];
		size_t ol, ll;
		ssize_t r;

		for (;;) {
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			pos += 1 + x % 9;
			if (pos >= n || nc == 64)
				break;
			cuts[nc++] = pos;
		}
		r = chunk_feed(chunk_msg, n, cuts, nc, out, &ol, left, &ll);
		CHECK(r >= 0);
		if (ol != strlen(chunk_body) || memcmp(out, chunk_body, ol) != 0 ||
		    ll != strlen(chunk_left) || memcmp(left, chunk_left, ll) != 0) {
			fprintf(stderr, "  random split iteration %d differs\n", iter);
			test_cur_failed = 1;
			break;
		}
	}
}

TEST(chunked_explicit_resume_points)
{
	struct http_chunked d;
	char buf[64];
	size_t len;

	memset(&d, 0, sizeof(d));
	/* split in the middle of the size line: "1" then "0\r\n" = 16 bytes */
	memcpy(buf, "1", 1), len = 1;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), HTTP_INCOMPLETE);
	CHECK_EQ_INT(len, 0);
	memcpy(buf, "0\r\n0123456789abcdef\r", 20), len = 20;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), HTTP_INCOMPLETE);
	CHECK_EQ_STR(buf, len, "0123456789abcdef");
	/* split between the CR and the LF after the data */
	memcpy(buf, "\n0\r", 3), len = 3;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), HTTP_INCOMPLETE);
	CHECK_EQ_INT(len, 0);
	memcpy(buf, "\n\r", 2), len = 2;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), HTTP_INCOMPLETE);
	memcpy(buf, "\nXY", 3), len = 3;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), 2);
	CHECK_EQ_INT(len, 0);
	CHECK(memcmp(buf, "XY", 2) == 0);

	/* a chunk of exactly 2^40 is accepted (and still incomplete) */
	memset(&d, 0, sizeof(d));
	memcpy(buf, "10000000000\r\nab", 15), len = 15;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), HTTP_INCOMPLETE);
	CHECK_EQ_STR(buf, len, "ab");
	CHECK(d.remaining == (1ULL << 40) - 2);
}

static ssize_t chunk_whole(const char *s, size_t n)
{
	char out[512], left[512];
	size_t ol, ll, cuts[512], i;
	ssize_t r = chunk_feed(s, n, NULL, 0, out, &ol, left, &ll);

	/* byte by byte must agree */
	for (i = 0; i + 1 < n; i++)
		cuts[i] = i + 1;
	CHECK_EQ_INT(chunk_feed(s, n, cuts, n ? n - 1 : 0, out, &ol, left, &ll), r);
	return r;
}

#define CHUNK(lit) chunk_whole(S(lit))

TEST(chunked_reject)
{
	CHECK_EQ_INT(CHUNK("\r\n"), HTTP_BAD);			/* no digits */
	CHECK_EQ_INT(CHUNK(";x\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("g\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("-5\r\nhello\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("+5\r\nhello\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("0x5\r\nhello\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK(" 5\r\nhello\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("5 5\r\nhello\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("5\nhello\r\n"), HTTP_BAD);		/* bare LF */
	CHECK_EQ_INT(CHUNK("5\rhello\r\n"), HTTP_BAD);		/* bare CR */
	CHECK_EQ_INT(CHUNK("5\r\nhelloX\r\n"), HTTP_BAD);	/* data too long */
	CHECK_EQ_INT(CHUNK("5\r\nhello\n0\r\n\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("5\r\nhello\r\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("5;a\nb\r\nhello\r\n"), HTTP_BAD);	/* LF in extension */
	CHECK_EQ_INT(CHUNK("5;a\0\r\nhello\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("10000000001\r\n"), HTTP_BAD);		/* > 2^40 */
	CHECK_EQ_INT(CHUNK("ffffffffffffffffffff\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("0\r\n folded: x\r\n\r\n"), HTTP_BAD);	/* trailers */
	CHECK_EQ_INT(CHUNK("0\r\nnocolon\r\n\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("0\r\nA : b\r\n\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("0\r\nA: b\x01\r\n\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("0\r\nA: b\n\r\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("0\r\n\n"), HTTP_BAD);
	CHECK_EQ_INT(CHUNK("0\r\n\rX"), HTTP_BAD);
	/* still fine: */
	CHECK_EQ_INT(CHUNK("0000000000000000000000005\r\nhello\r\n0\r\n\r\n"), 0);
	CHECK_EQ_INT(CHUNK("5\r\nhello\r\n"), HTTP_INCOMPLETE);
	CHECK_EQ_INT(CHUNK("5\r\nhel"), HTTP_INCOMPLETE);
	CHECK_EQ_INT(CHUNK(""), HTTP_INCOMPLETE);
}

TEST(chunked_bad_is_sticky_and_trailer_limit)
{
	struct http_chunked d;
	char buf[8192];
	size_t len, n;
	int i;

	memset(&d, 0, sizeof(d));
	memcpy(buf, "z", 1), len = 1;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), HTTP_BAD);
	memcpy(buf, "0\r\n\r\n", 5), len = 5;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), HTTP_BAD);

	n = (size_t)snprintf(buf, sizeof(buf), "0\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "T%d: v\r\n", i);
	memset(&d, 0, sizeof(d));
	len = n;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), HTTP_INCOMPLETE);
	memcpy(buf, "\r\n", 2), len = 2;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), 0);
	n = (size_t)snprintf(buf, sizeof(buf), "0\r\n");
	for (i = 0; i <= HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "T%d: v\r\n", i);
	memset(&d, 0, sizeof(d));
	len = n;
	CHECK_EQ_INT(http_chunked_decode(&d, buf, &len), HTTP_BAD);
}

TEST(chunked_guard_page)
{
	/* the decoder writes in place, and test_guard_copy's page is
	 * writable up to the guard: nothing may touch the byte after */
	struct http_chunked d;
	size_t len = sizeof(chunk_msg) - 1;
	char *p = test_guard_copy(chunk_msg, len);

	memset(&d, 0, sizeof(d));
	CHECK_EQ_INT(http_chunked_decode(&d, p, &len), (ssize_t)strlen(chunk_left));
	CHECK_EQ_STR(p, len, chunk_body);
	len = 4;
	memset(&d, 0, sizeof(d));
	p = test_guard_copy("5\r\nh", 4);
	CHECK_EQ_INT(http_chunked_decode(&d, p, &len), HTTP_INCOMPLETE);
	CHECK_EQ_STR(p, len, "h");
}

/* ---- SSE ---- */

static int sse_at_guard(const char *s, size_t n, struct sse_event *ev)
{
	return sse_next(test_guard_copy(s, n), n, ev);
}

TEST(sse_basic_lf)
{
	static const char s[] = "data: hello\n\ndata: next\n\n";
	struct sse_event ev;
	int r = sse_next(s, sizeof(s) - 1, &ev);

	CHECK_EQ_INT(r, 13);
	CHECK_EQ_INT(ev.data_lines, 1);
	CHECK(ev.data == s + 6);
	CHECK_EQ_STR(ev.data, ev.data_len, "hello");
	CHECK(ev.event == NULL);
	r = sse_next(s + 13, sizeof(s) - 14, &ev);
	CHECK_EQ_INT(r, 12);
	CHECK_EQ_STR(ev.data, ev.data_len, "next");
}

TEST(sse_crlf_and_cr)
{
	struct sse_event ev;

	CHECK_EQ_INT(sse_at_guard(S("event: delta\r\ndata: {\"a\":1}\r\n\r\nrest"), &ev), 31);
	CHECK_EQ_STR(ev.event, ev.event_len, "delta");
	CHECK_EQ_STR(ev.data, ev.data_len, "{\"a\":1}");
	CHECK_EQ_INT(sse_at_guard(S("event: e\rdata: d\r\r"), &ev), 18);
	CHECK_EQ_STR(ev.event, ev.event_len, "e");
	CHECK_EQ_STR(ev.data, ev.data_len, "d");
	CHECK_EQ_INT(ev.data_lines, 1);
	/* mixed separators within one event */
	CHECK_EQ_INT(sse_at_guard(S("event: x\rdata: y\r\n\n"), &ev), 19);
	CHECK_EQ_STR(ev.event, ev.event_len, "x");
	CHECK_EQ_STR(ev.data, ev.data_len, "y");
}

TEST(sse_fields)
{
	struct sse_event ev;
	static const char multi[] = "data: line one\ndata:line two\ndata\ndata:  sp\n\n";
	size_t pos = 0, dl;
	const char *d;

	/* last event name wins; id/retry/unknown ignored; no-colon line */
	CHECK_EQ_INT(sse_at_guard(S("event: a\nid: 7\nretry: 100\nfoo: bar\nevent:b\ndata\n\n"), &ev), 49);
	CHECK_EQ_STR(ev.event, ev.event_len, "b");
	CHECK_EQ_INT(ev.data_lines, 1);
	CHECK_EQ_INT(ev.data_len, 0);
	/* only one space is removed; field names are case-sensitive */
	CHECK_EQ_INT(sse_at_guard(S("data:  two\nData: no\nEVENT: no\n\n"), &ev), 31);
	CHECK_EQ_STR(ev.data, ev.data_len, " two");
	CHECK_EQ_INT(ev.data_lines, 1);
	CHECK(ev.event == NULL);
	/* colon inside the value stays */
	CHECK_EQ_INT(sse_at_guard(S("data: a: b\n\n"), &ev), 12);
	CHECK_EQ_STR(ev.data, ev.data_len, "a: b");
	/* an empty event name is present but empty */
	CHECK_EQ_INT(sse_at_guard(S("event:\n\n"), &ev), 8);
	CHECK(ev.event != NULL);
	CHECK_EQ_INT(ev.event_len, 0);

	/* several data lines: count them, walk them */
	CHECK_EQ_INT(sse_next(S(multi), &ev), (int)sizeof(multi) - 1);
	CHECK_EQ_INT(ev.data_lines, 4);
	CHECK_EQ_STR(ev.data, ev.data_len, "line one");
	REQUIRE(sse_data_line(multi, sizeof(multi) - 1, &pos, &d, &dl) == 1);
	CHECK_EQ_STR(d, dl, "line one");
	REQUIRE(sse_data_line(multi, sizeof(multi) - 1, &pos, &d, &dl) == 1);
	CHECK_EQ_STR(d, dl, "line two");
	REQUIRE(sse_data_line(multi, sizeof(multi) - 1, &pos, &d, &dl) == 1);
	CHECK_EQ_INT(dl, 0);
	REQUIRE(sse_data_line(multi, sizeof(multi) - 1, &pos, &d, &dl) == 1);
	CHECK_EQ_STR(d, dl, " sp");
	CHECK_EQ_INT(sse_data_line(multi, sizeof(multi) - 1, &pos, &d, &dl), 0);
	/* the walker stops at the blank line, even in a longer buffer */
	pos = 0;
	CHECK_EQ_INT(sse_data_line(S(": c\n\ndata: x\n\n"), &pos, &d, &dl), 0);
}

TEST(sse_comments_and_pings)
{
	struct sse_event ev;

	CHECK_EQ_INT(sse_at_guard(S(": ping\n\n"), &ev), 8);
	CHECK_EQ_INT(ev.data_lines, 0);
	CHECK(ev.event == NULL);
	CHECK(ev.data == NULL);
	CHECK_EQ_INT(sse_at_guard(S(":\r\n\r\n"), &ev), 5);
	CHECK_EQ_INT(ev.data_lines, 0);
	/* a comment inside an event does not disturb it */
	CHECK_EQ_INT(sse_at_guard(S("event: m\n: keepalive\ndata: z\n\n"), &ev), 30);
	CHECK_EQ_STR(ev.event, ev.event_len, "m");
	CHECK_EQ_STR(ev.data, ev.data_len, "z");
	/* a bare blank line is an empty event of one byte */
	CHECK_EQ_INT(sse_at_guard(S("\ndata: q\n\n"), &ev), 1);
	CHECK_EQ_INT(ev.data_lines, 0);
}

TEST(sse_incomplete)
{
	struct sse_event ev;

	CHECK_EQ_INT(sse_at_guard(S(""), &ev), HTTP_INCOMPLETE);
	CHECK_EQ_INT(sse_at_guard(S("data: x"), &ev), HTTP_INCOMPLETE);
	CHECK_EQ_INT(sse_at_guard(S("data: x\n"), &ev), HTTP_INCOMPLETE);
	CHECK_EQ_INT(sse_at_guard(S("data: x\r"), &ev), HTTP_INCOMPLETE);
	CHECK_EQ_INT(sse_at_guard(S("data: x\r\n"), &ev), HTTP_INCOMPLETE);
	CHECK_EQ_INT(sse_at_guard(S("data: x\r\n\r"), &ev), 10);
	CHECK_EQ_STR(ev.data, ev.data_len, "x");
	/* the LF that completes that CRLF comes alone as an empty event */
	CHECK_EQ_INT(sse_at_guard(S("\n"), &ev), 1);
	CHECK_EQ_INT(ev.data_lines, 0);
	CHECK(ev.event == NULL);
	CHECK_EQ_INT(sse_at_guard(S("data: x\n\r"), &ev), 9);
	CHECK_EQ_INT(sse_at_guard(S("data: x\r\r"), &ev), 9);
}

/*
 * Streams s through a fixed-size buffer the way a connection would,
 * adding `step` bytes at a time, and renders the events it yields.
 */
static void sse_stream(const char *s, size_t n, size_t step, char *out, size_t cap)
{
	static char buf[4096];
	size_t have = 0, fed = 0, o = 0;
	struct sse_event ev;

	out[0] = '\0';
	while (fed < n || have > 0) {
		int r;
		size_t add = n - fed < step ? n - fed : step;
		memcpy(buf + have, s + fed, add);
		have += add;
		fed += add;
		while ((r = sse_next(buf, have, &ev)) > 0) {
			REQUIRE((size_t)r <= have);
			/* skip the empty events a split CRLF may produce */
			if (ev.data_lines || ev.event)
				o += (size_t)snprintf(out + o, cap - o, "[%.*s|%.*s|%u]",
				    (int)ev.event_len, ev.event ? ev.event : "",
				    (int)ev.data_len, ev.data ? ev.data : "", ev.data_lines);
			memmove(buf, buf + r, have - (size_t)r);
			have -= (size_t)r;
		}
		CHECK_EQ_INT(r, HTTP_INCOMPLETE);
		if (add == 0)
			break;
	}
}

TEST(sse_split_across_calls)
{
	static const char s[] =
	    "event: message_start\r\ndata: {\"type\":\"message_start\"}\r\n\r\n"
	    ": ping\r\n\r\n"
	    "event: content_block_delta\ndata: {\"t\":\"Hi\"}\n\n"
	    "data: a\rdata: b\r\r"
	    "data: [DONE]\r\n\r\n";
	static const char want[] =
	    "[message_start|{\"type\":\"message_start\"}|1]"
	    "[content_block_delta|{\"t\":\"Hi\"}|1]"
	    "[|a|2]"
	    "[|[DONE]|1]";
	char got[2048];
	size_t step;

	for (step = 1; step <= sizeof(s); step++) {
		sse_stream(s, sizeof(s) - 1, step, got, sizeof(got));
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "  step %zu: %s\n", step, got);
			test_cur_failed = 1;
			break;
		}
	}
}

int main(void)
{
	test_suite = "http";
	RUN(req_simple_get);
	RUN(req_post_with_body_after_head);
	RUN(req_bare_lf_and_mixed);
	RUN(req_leading_empty_line);
	RUN(req_value_blanks_stripped);
	RUN(req_header_limit);
	RUN(res_header_limit);
	RUN(req_head_end);
	RUN(req_host_rule);
	RUN(req_resume_split_in_terminator);
	RUN(req_reject_smuggling_syntax);
	RUN(tchar_every_byte);
	RUN(req_reject_request_line);
	RUN(req_garbage_fails_early);
	RUN(res_simple);
	RUN(res_reason_forms);
	RUN(res_reject);
	RUN(header_lookup);
	RUN(token_eq_and_list_has);
	RUN(req_body_info_kinds);
	RUN(req_body_info_smuggling);
	RUN(req_body_info_keepalive_expect);
	RUN(res_body_info);
	RUN(chunked_whole);
	RUN(chunked_byte_by_byte);
	RUN(chunked_every_two_way_split);
	RUN(chunked_random_splits);
	RUN(chunked_explicit_resume_points);
	RUN(chunked_reject);
	RUN(chunked_bad_is_sticky_and_trailer_limit);
	RUN(chunked_guard_page);
	RUN(sse_basic_lf);
	RUN(sse_crlf_and_cr);
	RUN(sse_fields);
	RUN(sse_comments_and_pings);
	RUN(sse_incomplete);
	RUN(sse_split_across_calls);
	return test_summary();
}
