/*
 * fuzz_http_request.c - libFuzzer harness for http_parse_request,
 * http_request_head_end, http_request_host_ok and http_request_body_info.
 * Besides "never crash", it checks the contract: the result never exceeds
 * the input, every string lies inside the head, http_request_head_end
 * finds the end the parser finds, and feeding the input one byte at a time
 * (each prefix in an exact-size allocation, with the right last_len)
 * agrees with parsing it whole.
 */
#include "http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PREFIX_CHECK 2048

static void within(const char *p, size_t n, const char *lo, size_t span)
{
	if (p < lo || p + n > lo + span)
		abort();
}

static void check_req(const char *buf, int r, const struct http_request *q)
{
	size_t i;

	if (r <= 0)
		return;
	within(q->method, q->method_len, buf, (size_t)r);
	within(q->target, q->target_len, buf, (size_t)r);
	if (q->method_len == 0 || q->target_len == 0 || q->minor_version < 0 || q->minor_version > 1)
		abort();
	if (q->num_headers > HTTP_MAX_HEADERS)
		abort();
	for (i = 0; i < q->num_headers; i++) {
		within(q->headers[i].name, q->headers[i].name_len, buf, (size_t)r);
		within(q->headers[i].value, q->headers[i].value_len, buf, (size_t)r);
	}
}

/* Same parse, compared as offsets into each buffer. */
static int same(const char *a, const struct http_request *x, const char *b, const struct http_request *y)
{
	size_t i;

	if (x->method - a != y->method - b || x->method_len != y->method_len ||
	    x->target - a != y->target - b || x->target_len != y->target_len ||
	    x->minor_version != y->minor_version || x->num_headers != y->num_headers)
		return 0;
	for (i = 0; i < x->num_headers; i++)
		if (x->headers[i].name - a != y->headers[i].name - b ||
		    x->headers[i].name_len != y->headers[i].name_len ||
		    x->headers[i].value - a != y->headers[i].value - b ||
		    x->headers[i].value_len != y->headers[i].value_len)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_request whole, part;
	const char *buf = (const char *)data;
	struct http_body_info bi;
	int r, rp;
	size_t k;

	r = http_parse_request(buf, size, 0, &whole);
	if (r != HTTP_BAD && r != HTTP_INCOMPLETE && r != HTTP_TOO_MANY_HEADERS && (r <= 0 || (size_t)r > size))
		abort();
	check_req(buf, r, &whole);
	int e = http_request_head_end(buf, size, 0);
	if ((r > 0 && e != r) || (r == HTTP_TOO_MANY_HEADERS && e <= 0) || ((r == HTTP_INCOMPLETE) != (e == HTTP_INCOMPLETE)))
		abort();
	if (r > 0 && http_request_host_ok(&whole) > 1)
		abort();
	if (r > 0 && http_request_body_info(&whole, &bi) == 0) {
		if (bi.kind != HTTP_BODY_LENGTH && bi.length != 0)
			abort();
		if (bi.kind == HTTP_BODY_UNTIL_CLOSE)
			abort();	/* never for a request */
	}

	if (size > MAX_PREFIX_CHECK)
		return 0;
	for (k = 1; k <= size; k++) {
		char *p = malloc(k);
		if (p == NULL)
			return 0;
		memcpy(p, buf, k);
		rp = http_parse_request(p, k, k - 1, &part);
		if (rp == HTTP_TOO_MANY_HEADERS) {
			/* only on the prefix that completes the head */
			if (r != HTTP_TOO_MANY_HEADERS)
				abort();
			free(p);
			break;
		}
		if (rp == HTTP_BAD) {
			/* caught early or on the same complete head: so must
			 * the whole be */
			if (r != HTTP_BAD)
				abort();
			free(p);
			break;
		}
		if (rp > 0) {
			if (rp != r || !same(buf, &whole, p, &part))
				abort();
			free(p);
			break;
		}
		if (r > 0 && k >= (size_t)r)
			abort();	/* whole found a head this prefix holds */
		free(p);
	}
	return 0;
}
