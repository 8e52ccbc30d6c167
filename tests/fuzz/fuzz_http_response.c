/*
 * fuzz_http_response.c - libFuzzer harness for http_parse_response,
 * http_response_body_info and http_chunked_decode. The bytes after a good
 * head (or the whole input when the head is not good) are chunk-decoded
 * twice: whole, and in two pieces split at a point taken from the input,
 * and the two must agree on result, decoded bytes and leftover bytes.
 */
#include "http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct outcome {
	ssize_t r;
	size_t dlen;
	char *dec;	/* decoded bytes, then leftover bytes */
};

/* Decodes in[0..n) fed as in[0..cut) then in[cut..n), laid out the way a
 * connection buffer would hold it. out->dec must hold n bytes. */
static void decode(const char *in, size_t n, size_t cut, struct outcome *out)
{
	struct http_chunked d;
	char *work = malloc(n ? n : 1);
	size_t len = cut, w;
	ssize_t r;

	if (work == NULL)
		abort();
	memset(&d, 0, sizeof(d));
	/* the first piece sits alone in an exact-size buffer */
	char *first = malloc(cut ? cut : 1);
	if (first == NULL)
		abort();
	memcpy(first, in, cut);
	r = http_chunked_decode(&d, first, &len);
	if (len > cut || (r >= 0 && (size_t)r + len > cut))
		abort();
	w = len;
	memcpy(work, first, len);
	if (r >= 0) {
		memcpy(work + w, first + len, (size_t)r);
		memcpy(work + w + (size_t)r, in + cut, n - cut);
		r += (ssize_t)(n - cut);
	} else if (r == HTTP_INCOMPLETE) {
		len = n - cut;
		memcpy(work + w, in + cut, len);
		r = http_chunked_decode(&d, work + w, &len);
		if (len > n - cut || (r >= 0 && (size_t)r + len > n - cut))
			abort();
		w += len;
	}
	free(first);
	out->r = r;
	out->dlen = w;
	memcpy(out->dec, work, n);
	free(work);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_response res;
	const char *buf = (const char *)data;
	struct http_body_info bi;
	struct outcome a, b;
	size_t off = 0, n, cut, i;
	int r;

	r = http_parse_response(buf, size, 0, &res);
	if (r > 0) {
		if ((size_t)r > size || res.num_headers > HTTP_MAX_HEADERS ||
		    res.status < 100 || res.status > 999)
			abort();
		for (i = 0; i < res.num_headers; i++)
			if (res.headers[i].value < buf ||
			    res.headers[i].value + res.headers[i].value_len > buf + r)
				abort();
		if (http_response_body_info(&res, size & 1, &bi) == 0 &&
		    bi.kind == HTTP_BODY_UNTIL_CLOSE && bi.keep_alive)
			abort();
		off = (size_t)r;
	} else if (r != HTTP_BAD && r != HTTP_INCOMPLETE) {
		abort();
	}

	n = size - off;
	cut = n ? (size > 0 ? (size_t)data[0] * 7919u % (n + 1) : 0) : 0;
	a.dec = malloc(n ? n : 1);
	b.dec = malloc(n ? n : 1);
	if (a.dec == NULL || b.dec == NULL)
		abort();
	decode(buf + off, n, n, &a);
	decode(buf + off, n, cut, &b);
	if (a.r != b.r || a.dlen != b.dlen || memcmp(a.dec, b.dec, a.dlen) != 0)
		abort();
	if (a.r >= 0 && memcmp(a.dec + a.dlen, b.dec + b.dlen, (size_t)a.r) != 0)
		abort();
	/* the leftover is exactly the tail of the input */
	if (a.r >= 0 && memcmp(a.dec + a.dlen, buf + size - (size_t)a.r, (size_t)a.r) != 0)
		abort();
	free(a.dec);
	free(b.dec);
	return 0;
}
