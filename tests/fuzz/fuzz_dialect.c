/*
 * fuzz_dialect.c - libFuzzer harness for every dialect decoder and, through
 * the IR, every encoder. The first input byte picks what the rest is:
 *   byte % 4 == 0: a client request of dialect (byte/4)%3, decoded, then
 *                  encoded for all three provider dialects;
 *   1: a provider response of dialect (byte/4)%3, decoded and encoded for
 *      all three client dialects;
 *   2: a provider error body, decoded and encoded for all three;
 *   3: a provider SSE stream of dialect (byte/4)%3, fed event by event into
 *      a stream translating it to each client dialect.
 * Whatever a decoder accepts, every encoder's output must be valid JSON
 * (stream data payloads too) and must never overflow silently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dialect.h"

#define MAXTOK 8192
static jsmntok_t tok[MAXTOK], tok2[MAXTOK];
static struct ir_part parts[IR_MAX_PARTS];
static struct ir_msg msgs[IR_MAX_MSGS];
static struct ir_tool tools[IR_MAX_TOOLS];
static ir_call_id call_ids[IR_MAX_PARTS];
static char out[1 << 18], scratch[1 << 16];
static struct xlate_stream xs;

static const struct dialect_ops *d_at(unsigned i)
{
	return i % 3 == 0 ? &dialect_openai : i % 3 == 1 ? &dialect_anthropic : &dialect_gemini;
}

static void must_be_json(const char *p, size_t n)
{
	if (json_valid(p, n) != 0)
		abort();
}

/* Every complete SSE event's data payload in p[0..n) is JSON or [DONE];
 * a Gemini array stream is checked whole at the end instead. */
static void check_sse(const char *p, size_t n)
{
	size_t pos = 0;
	struct sse_event ev;
	int r;
	while (pos < n && (r = sse_next(p + pos, n - pos, &ev)) > 0) {
		if (ev.data_lines == 1 && !(ev.data_len == 6 && !memcmp(ev.data, "[DONE]", 6)))
			must_be_json(ev.data, ev.data_len);
		pos += (size_t)r;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0] % 4;
	const struct dialect_ops *from = d_at(data[0] / 4u);
	char *in = malloc(size);
	if (!in)
		abort();
	memcpy(in, data + 1, size - 1);
	size_t n = size - 1;
	struct json_doc d;
	char err[300];
	struct json_out o;
	if (mode == 0 && json_parse(&d, in, n, tok, MAXTOK) > 0 && tok[0].type == JSMN_OBJECT) {
		struct ir_request ir = { .parts = parts, .msgs = msgs, .tools = tools, .call_ids = call_ids };	/* the decoder empties the rest */
		if (from->decode_request(&d, &ir, err, sizeof err) == 0) {
			for (unsigned t = 0; t < 3; t++) {
				json_out_init(&o, out, sizeof out);
				if (d_at(t)->encode_request(&ir, "m", &o, err, sizeof err) == 0 && !o.overflow)
					must_be_json(out, o.len);
				char path[300];
				d_at(t)->request_path("m", (int)(t & 1), path, sizeof path);
			}
		}
	} else if (mode == 1 && json_parse(&d, in, n, tok, MAXTOK) > 0 && tok[0].type == JSMN_OBJECT) {
		struct ir_response r;
		memset(&r, 0, sizeof r);
		r.parts = parts;
		if (from->decode_response(&d, &r, err, sizeof err) == 0) {
			r.created = 1700000000;
			for (unsigned t = 0; t < 3; t++) {
				json_out_init(&o, out, sizeof out);
				d_at(t)->encode_response(&r, "m", &o);
				if (!o.overflow)
					must_be_json(out, o.len);
			}
		}
	} else if (mode == 2) {
		int isjson = json_parse(&d, in, n, tok, MAXTOK) > 0;
		struct ir_error e;
		memset(&e, 0, sizeof e);
		from->decode_error(isjson ? &d : NULL, 400 + (int)(n % 200), &e);
		for (unsigned t = 0; t < 3; t++) {
			json_out_init(&o, out, sizeof out);
			d_at(t)->encode_error(&e, &o);
			if (!o.overflow)
				must_be_json(out, o.len);
		}
	} else if (mode == 3) {
		for (unsigned t = 0; t < 4; t++) {
			/* t == 3: a Gemini client reading one JSON array. */
			const struct dialect_ops *to = d_at(t % 3 == 0 && t ? 2 : t);
			int sse = t != 3;
			xlate_begin(&xs, from, to, tok2, MAXTOK, scratch, sizeof scratch, "m", sse);
			xs.client_usage = 1;
			json_out_init(&o, out, sizeof out);
			size_t pos = 0;
			struct sse_event ev;
			int r, bad = 0;
			while (pos < n && (r = sse_next(in + pos, n - pos, &ev)) > 0) {
				if (xlate_event(&xs, &ev, &o) < 0) {
					bad = 1;
					break;
				}
				pos += (size_t)r;
			}
			if (!bad)
				xlate_end(&xs, &o);
			if (o.overflow)
				continue;
			if (sse)
				check_sse(out, o.len);
			else if (xs.ended && !xs.failed)
				must_be_json(out, o.len);
		}
	}
	free(in);
	return 0;
}
