/*
 * dialect.h - one wire dialect (OpenAI Chat Completions, Anthropic
 * Messages, Gemini generateContent) as a table of functions around the
 * intermediate form in ir.h. Each dialect_X.c defines one
 * `const struct dialect_ops dialect_X`; dialect_get() picks by enum dialect.
 *
 * Decoders read a parsed JSON document (json.h) and fill IR structs whose
 * strings point into that document's text; encoders write JSON straight
 * into a bounded struct json_out (on overflow the caller answers an error).
 * Stream decoders turn one provider SSE event into IR events and hand each
 * to xlate_emit(), which calls the client dialect's encoder. Nothing here
 * allocates or blocks, and per-stream state lives in struct xlate_stream,
 * owned by the exchange; the text of ids a decoder makes up for tool calls
 * without one lives in the IR's storage. No dialect has global state.
 */
#ifndef LLMGW_DIALECT_H
#define LLMGW_DIALECT_H

#include <stddef.h>
#include "http.h"
#include "ir.h"
#include "providers.h"

struct xlate_stream;

struct dialect_ops {
	enum dialect id;
	const char *name;

	/* Client request (root object at token 0) -> IR. The decoder empties
	 * ir first (ir_request_init: the storage pointers stay), so the caller
	 * sets only parts, msgs and tools. A model in the URL (Gemini) is not
	 * the decoder's business. Returns 0, or -1 with a message for the
	 * client (400) in err. */
	int (*decode_request)(const struct json_doc *d, struct ir_request *ir, char *err, size_t errlen);
	/* IR -> provider request body, for `model` (a plain C string). Returns
	 * 0, or -1 with a reason in err when something cannot be expressed in
	 * this dialect (400 to the client). Overflow shows in o->overflow. */
	int (*encode_request)(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen);
	/* The provider URL path after the base URL's prefix, e.g.
	 * "/v1/chat/completions", "/v1/messages",
	 * "/v1beta/models/<model>:streamGenerateContent?alt=sse". -1 if it does
	 * not fit. */
	int (*request_path)(const char *model, int stream, char *buf, size_t len);

	/* Provider response body (root object at token 0) -> IR. 0, or -1 with
	 * a reason when it is not a valid response of this dialect (then the
	 * gateway answers 502). */
	int (*decode_response)(const struct json_doc *d, struct ir_response *r, char *err, size_t errlen);
	/* IR -> the client's response body. model: the name the client asked for. */
	void (*encode_response)(const struct ir_response *r, const char *model, struct json_out *o);

	/* A provider error body (d NULL when not JSON) with its HTTP status ->
	 * IR: class from status and type, the provider's message and type. */
	void (*decode_error)(const struct json_doc *d, int status, struct ir_error *e);
	/* IR -> the client's error body. */
	void (*encode_error)(const struct ir_error *e, struct json_out *o);

	/* One provider SSE event (ev, framed by sse_next; its data parsed by
	 * the decoder itself with s->tok) -> zero or more xlate_emit() calls.
	 * Returns 0, or -1 when the event is malformed (the gateway then
	 * ends the stream with an error). An error event from the provider is
	 * emitted as EV_ERROR; the provider's end marker ([DONE], message_stop)
	 * as EV_END. Gemini has no end marker: the gateway emits EV_END itself
	 * at the end of the body (xlate_end). */
	int (*decode_event)(struct xlate_stream *s, const struct sse_event *ev);
	/* One IR event -> complete SSE events (or, for a Gemini client without
	 * alt=sse, pieces of one JSON array) appended to o. */
	void (*encode_event)(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o);
	/* The client stream's media type: "text/event-stream", or
	 * "application/json" for a Gemini JSON-array stream. */
	const char *(*stream_type)(const struct xlate_stream *s);
	/* The usage object of a response (key usage_key at the top level:
	 * "usage" or "usageMetadata"): its text js[0..n), a span of a valid
	 * document, -> u, read without tokens (a same-dialect answer is never
	 * tokenized). u->have is 0 when it is not an object. */
	const char *usage_key;
	void (*scan_usage)(const char *js, size_t n, struct ir_usage *u);

	/* What the gateway asks of a dialect beyond the codecs, so that
	 * proxy.c and api.c never test a dialect's id: a new dialect is one
	 * file and one table row. */
	const char *success_key;	/* every successful response has it at the top */
	const char *list_key;		/* the request's required message list */
	const char *request_id_header;	/* where its SDKs read the provider's request id */
	/* Headers on every request to a provider of this dialect: value NULL
	 * is sent only when a client of the same dialect sent it, and a
	 * client's own value goes through; ends at name NULL. */
	const struct dialect_header *headers;
	/* A streamed same-dialect request is made to report usage by adding
	 * this member after its '{' (NULL: it always reports it). */
	const char *stream_usage_member;
	/* Token counting (NULL path: this API has none): the provider path,
	 * -1 when the model cannot be put in it; the request body when it is
	 * not encode_request's (NULL); the count's key in the answer. */
	int (*count_tokens_path)(const char *model, char *buf, size_t len);
	int (*encode_count_tokens)(const struct ir_request *ir, const char *model, struct json_out *o, char *err,
				   size_t errlen);
	const char *count_tokens_key;
	unsigned char model_in_url;	/* model and streaming are named in the URL, not the body */
	unsigned char end_marker;	/* its streams end with their own marker event */
	unsigned char json_array_stream; /* its clients stream one JSON array unless they ask for SSE */
	unsigned char needs_max_tokens;	/* a request must say max_tokens (the gateway's default then) */
	unsigned char status_529;	/* its SDKs know "overloaded" as HTTP 529 (others: 503) */
};

struct dialect_header {
	const char *name;
	const char *value;
};

extern const struct dialect_ops dialect_openai, dialect_anthropic, dialect_gemini;
/* An encoder that writes nothing: a same-dialect relay runs the provider's
 * decoder into it to learn usage, content and errors from the stream. */
extern const struct dialect_ops dialect_sink;
/* NULL for a dialect left out of this build (options.h LLMGW_DIALECT_*):
 * config.c refuses such provider types, so the request path never asks. */
const struct dialect_ops *dialect_get(enum dialect d);

/* Per-stream translation state, embedded in the exchange. The two opaque
 * areas belong to the provider dialect's decoder and the client dialect's
 * encoder (each casts to its own struct and _Static_asserts the size). */
struct xlate_stream {
	const struct dialect_ops *from;	/* provider dialect (decoder) */
	const struct dialect_ops *to;	/* client dialect (encoder) */
	jsmntok_t *tok;			/* for parsing event data */
	int maxtok;
	char *scratch;			/* encoder scratch (e.g. Gemini tool args) */
	size_t scratch_cap;
	const char *model;		/* the model name the client asked for */
	long long created;		/* unix time for ids/created fields */
	unsigned long long serial;	/* for made-up ids: set by the stream's owner after
					 * xlate_begin, a number no other stream gets */
	int sse;			/* client wants SSE (always, but Gemini without alt=sse) */
	int client_usage;		/* OpenAI client asked stream_options.include_usage */
	struct json_out *out;		/* where encoded events go (set by xlate) */
	unsigned events_out;		/* IR events encoded */
	unsigned content_events;	/* TEXT/THINKING/TOOL_* encoded: the stream is committed */
	uint64_t content_bytes;		/* their text's bytes: what an aborted stream is billed on */
	unsigned last_kinds;		/* bit (1 << kind) of each event the last xlate_event emitted */
	int ended, failed;
	struct ir_usage usage;		/* last usage seen */
	uint8_t finish;			/* finish reason seen */
	_Alignas(8) unsigned char dec[512];
	_Alignas(8) unsigned char enc[1024];
};

/* Resets s for a new stream between dialects from -> to. Everything else
 * is zero: the owner then sets serial (and client_usage). */
void xlate_begin(struct xlate_stream *s, const struct dialect_ops *from, const struct dialect_ops *to,
		 jsmntok_t *tok, int maxtok, char *scratch, size_t scratch_cap, const char *model, int sse);
/* Decodes one provider event, encoding what it yields into out. 0 or -1. */
int xlate_event(struct xlate_stream *s, const struct sse_event *ev, struct json_out *out);
/* Called by decoders for each IR event they produce. */
void xlate_emit(struct xlate_stream *s, const struct ir_event *ev);
/* The provider's body ended: emits EV_END when the decoder's dialect has no
 * end marker and none was seen. */
void xlate_end(struct xlate_stream *s, struct json_out *out);

#endif
