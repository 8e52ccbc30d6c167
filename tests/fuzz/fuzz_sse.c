/*
 * fuzz_sse.c - libFuzzer harness for sse_next and sse_data_line: walks
 * every event in the input and checks each span is non-empty and inside the
 * input, that event and data point inside their span, and that the data
 * line walker finds exactly data_lines lines, the first being data.
 */
#include "http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void inside(const char *p, size_t n, const char *lo, size_t span)
{
	if (p == NULL || p < lo || p + n > lo + span)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct sse_event ev;
	size_t pos = 0;
	int r;

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	while ((r = sse_next(buf + pos, size - pos, &ev)) > 0) {
		const char *span = buf + pos, *d, *first = NULL;
		size_t dl, first_len = 0, p = 0;
		unsigned lines = 0;

		if ((size_t)r > size - pos)
			abort();
		if (ev.event)
			inside(ev.event, ev.event_len, span, (size_t)r);
		if (ev.data_lines)
			inside(ev.data, ev.data_len, span, (size_t)r);
		else if (ev.data != NULL)
			abort();
		while (sse_data_line(span, (size_t)r, &p, &d, &dl)) {
			inside(d, dl, span, (size_t)r);
			if (lines++ == 0) {
				first = d;
				first_len = dl;
			}
			if (p > (size_t)r)
				abort();
		}
		if (lines != ev.data_lines)
			abort();
		if (lines && (first != ev.data || first_len != ev.data_len))
			abort();
		pos += (size_t)r;
	}
	if (r != HTTP_INCOMPLETE)
		abort();
	free(buf);
	return 0;
}
