/*
 * test_stream.h - feeds a provider's SSE body to a translation stream the
 * way a socket delivers it; shared by the dialect tests and the golden
 * driver.
 *
 * The body arrives in the caller's buffer whole, or in slices of random
 * length from a fixed-seed generator, and each event is handed to
 * xlate_event() as soon as it is complete. A decoder that mishandles an
 * event split across reads then gives other output than the whole pass.
 */
#ifndef LLMGW_TEST_STREAM_H
#define LLMGW_TEST_STREAM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dialect.h"
#include "http.h"

/* The tests' pseudo-random numbers, 0..32767: a linear congruential
 * generator whose state (seed it) the caller keeps. */
static inline unsigned test_rand(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

/* Feeds sse[0..len) to s through buf (bufsize bytes, at least len):
 * whole when maxstep is 0, else in slices of 1..maxstep bytes drawn with
 * test_rand(rng); then ends the stream (xlate_end). Returns 0, or -1 as
 * soon as xlate_event() fails (the stream is left unended). */
static inline int test_feed_sse(struct xlate_stream *s, const char *sse, size_t len, char *buf, size_t bufsize,
				unsigned maxstep, unsigned *rng, struct json_out *o)
{
	if (len > bufsize) {
		fprintf(stderr, "test_feed_sse: %zu bytes do not fit in %zu\n", len, bufsize);
		abort();
	}
	size_t fed = 0, used = 0;
	while (fed < len) {
		size_t step = maxstep ? 1 + test_rand(rng) % maxstep : len;
		if (step > len - fed)
			step = len - fed;
		memcpy(buf + fed, sse + fed, step);
		fed += step;
		for (;;) {
			struct sse_event ev;
			int n = sse_next(buf + used, fed - used, &ev);
			if (n < 0)
				break;
			if (xlate_event(s, &ev, o) < 0)
				return -1;
			used += (size_t)n;
		}
	}
	xlate_end(s, o);
	return 0;
}

#endif
