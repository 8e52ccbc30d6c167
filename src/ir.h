/*
 * ir.h - the intermediate form every dialect decodes into and encodes from.
 *
 * One small representation instead of N x M translators: a client request
 * is decoded from its dialect into a struct ir_request, and the provider's
 * request is encoded from it; a provider response (or each SSE event of a
 * stream) is decoded into struct ir_response (or struct ir_event) and
 * encoded in the client's dialect. Adding a dialect is one decoder and one
 * encoder (dialect.h).
 *
 * Nothing is copied or allocated: every string is a struct ir_str pointing
 * into the JSON text it came from (the request buffer, or the response
 * buffer), and the arrays live in fixed per-exchange storage whose sizes
 * are below; running out is a clear 400/413/502, never a reallocation.
 * Output JSON is written straight into a caller buffer (json.h).
 * Nothing here blocks or keeps global state.
 */
#ifndef LLMGW_IR_H
#define LLMGW_IR_H

#include <stdint.h>
#include "json.h"

#define IR_MAX_PARTS 2048	/* content parts in one request (all messages) */
#define IR_MAX_MSGS 1024
#define IR_MAX_TOOLS 128
#define IR_MAX_STOP 8
#define IR_MAX_CALLS 64		/* tool calls in one response / stream */

/* The text of an id a decoder makes up for a tool call that came without
 * one ("call_0000"...: the call's number among the request's or response's
 * calls). Each IR owns the storage of its made-up ids, so no exchange sees
 * another's. */
#define IR_CALL_ID_LEN 9
typedef char ir_call_id[IR_CALL_ID_LEN];

/* How the bytes of a span are written. */
enum ir_str_kind {
	IR_RAW,		/* JSON string content as it stands between the quotes in
			 * the source (escapes intact): valid inside "..." as is */
	IR_PLAIN,	/* plain bytes (not escaped): json_str() them */
	IR_JSON,	/* the text of a whole JSON value (object, array, number...) */
};
struct ir_str {
	const char *p;		/* NULL: absent */
	uint32_t n;
	uint8_t kind;
};

enum ir_role { IR_USER, IR_ASSISTANT, IR_TOOL };

enum ir_part_kind {
	IR_TEXT,		/* text */
	IR_IMAGE,		/* a = media type ("image/png"), b = base64 data; or
				 * is_url and b = the URL (a absent) */
	IR_TOOL_CALL,		/* a = call id, b = function name, args = arguments
				 * (IR_RAW: escaped JSON text as in OpenAI's string;
				 *  IR_JSON: the object itself, as Anthropic/Gemini) */
	IR_TOOL_RESULT,		/* a = the call id it answers, b = function name when
				 * known (Gemini needs it; decoders fill it from the
				 * matching IR_TOOL_CALL earlier in the conversation),
				 * is_error; its content is the `nsub` parts that follow
				 * it (IR_TEXT / IR_IMAGE), or text when nsub is 0 */
	IR_THINKING,		/* reasoning text; sig = signature to echo back */
};

struct ir_part {
	uint8_t kind;
	uint8_t is_error;	/* IR_TOOL_RESULT */
	uint8_t is_url;		/* IR_IMAGE */
	uint16_t nsub;		/* IR_TOOL_RESULT: content parts following it */
	struct ir_str text;	/* IR_TEXT, IR_THINKING, IR_TOOL_RESULT (when nsub 0) */
	struct ir_str a, b;
	struct ir_str args;
	struct ir_str sig;	/* Anthropic thinking signature / Gemini thoughtSignature */
};

struct ir_msg {
	uint8_t role;		/* enum ir_role; IR_TOOL holds IR_TOOL_RESULT parts */
	uint16_t first;		/* index into parts */
	uint16_t n;
};

struct ir_tool {
	struct ir_str name, description;
	struct ir_str parameters;	/* IR_JSON: JSON Schema object, or absent */
};

enum ir_tool_choice { IR_TC_UNSET, IR_TC_AUTO, IR_TC_NONE, IR_TC_REQUIRED, IR_TC_TOOL };

enum ir_format { IR_FMT_TEXT, IR_FMT_JSON_OBJECT, IR_FMT_JSON_SCHEMA };

struct ir_request {
	struct ir_str model;		/* as the client sent it (for logs) */
	struct ir_part *parts;		/* storage: IR_MAX_PARTS */
	struct ir_msg *msgs;		/* storage: IR_MAX_MSGS */
	struct ir_tool *tools;		/* storage: IR_MAX_TOOLS */
	ir_call_id *call_ids;		/* storage: IR_MAX_PARTS (ir_call_id_make) */
	uint16_t nparts, nmsgs, ntools;
	uint16_t sys_first, sys_n;	/* system prompt: IR_TEXT parts in parts[] */
	uint8_t tool_choice;		/* enum ir_tool_choice */
	struct ir_str tool_choice_name;
	int8_t parallel_tools;		/* -1 unset, 0 no, 1 yes */
	uint8_t stream, include_usage;
	int64_t max_tokens;		/* -1: not given */
	struct ir_str temperature, top_p, top_k;	/* IR_JSON number text, or absent */
	struct ir_str stop[IR_MAX_STOP];
	uint8_t nstop;
	uint8_t format;			/* enum ir_format */
	struct ir_str schema;		/* IR_FMT_JSON_SCHEMA: the schema (IR_JSON) */
	struct ir_str schema_name;
	struct ir_str user;		/* end-user id (OpenAI user, Anthropic metadata.user_id) */
	int64_t seed;			/* -1: not given */
	struct ir_str reasoning;	/* OpenAI reasoning_effort (IR_RAW): low/medium/high */
	int64_t thinking_budget;	/* Anthropic/Gemini thinking budget, -1 unset */
};

enum ir_finish {
	IR_FIN_NONE,		/* not finished (yet) */
	IR_FIN_STOP,		/* natural end, stop sequence */
	IR_FIN_LENGTH,		/* max tokens, context window */
	IR_FIN_TOOL_CALLS,
	IR_FIN_CONTENT_FILTER,	/* safety, refusal */
	IR_FIN_ERROR,		/* e.g. Gemini MALFORMED_FUNCTION_CALL: a failure */
};

/* Usage with cached tokens counted once: input is the total prompt tokens
 * INCLUDING cached ones (OpenAI's prompt_tokens, Gemini's
 * promptTokenCount); Anthropic's input_tokens excludes them, so its
 * decoder adds cache reads and writes, and its encoder subtracts. */
struct ir_usage {
	uint8_t have;
	int64_t input, output, cached, cache_write, reasoning;
};

struct ir_response {
	struct ir_str id, model;
	int64_t created;		/* unix time: from the provider, or set by the gateway
					 * before encoding when the provider's dialect has none */
	struct ir_part *parts;		/* storage (IR_TEXT, IR_THINKING, IR_TOOL_CALL) */
	uint16_t nparts;
	uint16_t max_parts;		/* parts[0..max_parts) is storage; 0: IR_MAX_PARTS */
	uint8_t finish;			/* enum ir_finish */
	struct ir_str stop_sequence;	/* which stop sequence ended it, if known */
	struct ir_usage usage;
	ir_call_id call_ids[IR_MAX_CALLS];	/* made-up ids (ir_call_id_make) */
};

/* Error classes keep the status class across dialects. */
enum ir_err_class {
	IR_ERR_INVALID,		/* 400 */
	IR_ERR_AUTH,		/* 401 */
	IR_ERR_BILLING,		/* 402 */
	IR_ERR_PERMISSION,	/* 403 */
	IR_ERR_NOT_FOUND,	/* 404 */
	IR_ERR_TOO_LARGE,	/* 413 */
	IR_ERR_RATE_LIMIT,	/* 429 */
	IR_ERR_SERVER,		/* 500, 502 */
	IR_ERR_OVERLOADED,	/* 503, 529 */
	IR_ERR_TIMEOUT,		/* 504, 408 */
};

struct ir_error {
	uint8_t cls;		/* enum ir_err_class */
	int status;		/* the HTTP status to answer with */
	struct ir_str type;	/* the provider's own type/status/code string, if any */
	struct ir_str message;
	struct ir_str request_id;
};

/* Stream events, in order: START, then any of TEXT / THINKING / TOOL_START
 * / TOOL_ARGS, then FINISH, USAGE (any time; the last one wins), and END
 * for a clean end; ERROR replaces everything after it. */
enum ir_ev_kind { EV_START, EV_TEXT, EV_THINKING, EV_TOOL_START, EV_TOOL_ARGS, EV_FINISH, EV_USAGE, EV_ERROR, EV_END };

struct ir_event {
	uint8_t kind;
	uint8_t finish;			/* EV_FINISH */
	uint16_t index;			/* EV_TOOL_START / EV_TOOL_ARGS: the tool call's
					 * 0-based index among this response's tool calls */
	struct ir_str text;		/* EV_TEXT, EV_THINKING delta; EV_TOOL_ARGS fragment
					 * (IR_RAW: a piece of the escaped JSON text; IR_JSON:
					 * the whole arguments object at once, as Gemini) */
	struct ir_str id, name;		/* EV_START: id, name = model; EV_TOOL_START: call id, function name */
	struct ir_str sig;		/* EV_THINKING signature */
	struct ir_usage usage;		/* EV_USAGE */
	struct ir_error error;		/* EV_ERROR */
};

/* Writers shared by the encoders. */
/* s as a JSON string: RAW verbatim in quotes, PLAIN escaped, JSON stringified. */
void ir_write_string(struct json_out *o, const struct ir_str *s);
/* s as a JSON value: JSON verbatim; RAW unescaped (it holds JSON text, as
 * OpenAI's tool arguments do) and checked to be valid JSON, an empty one
 * written as {}. Returns 0, or -1 when the text is not valid JSON. */
int ir_write_value(struct json_out *o, const struct ir_str *s);
/* A JSON Schema (IR_JSON) copied with "type" values lowercased, since
 * Gemini clients send OpenAPI-style "OBJECT"/"STRING"; otherwise as
 * ir_write_value(). */
int ir_write_schema(struct json_out *o, const struct ir_str *s);
/* The unescaped bytes of s appended without quotes (for concatenation). */
void ir_write_unescaped(struct json_out *o, const struct ir_str *s);
static inline struct ir_str ir_tok_str(const struct json_doc *d, int i)
{
	struct ir_str s = { NULL, 0, IR_RAW };
	if (i >= 0) {
		s.p = json_raw(d, i);
		s.n = (uint32_t)json_raw_len(d, i);
		s.kind = d->tok[i].type == JSMN_STRING ? IR_RAW : IR_JSON;
	}
	return s;
}
/* How many parts a response's storage holds. */
static inline unsigned ir_response_room(const struct ir_response *r)
{
	return r->max_parts ? r->max_parts : IR_MAX_PARTS;
}
static inline struct ir_str ir_plain(const char *p, uint32_t n)
{
	struct ir_str s = { p, n, IR_PLAIN };
	return s;
}
/* Writes "call_NNNN" (n < 10000) into *slot and returns it as a string. */
struct ir_str ir_call_id_make(ir_call_id *slot, unsigned n);
int ir_str_eq(const struct ir_str *s, const char *lit);	/* compares unescaped content */
/* Whether two present strings have the same unescaped content (ids and
 * names arrive escaped differently by different clients); 0 when either
 * is absent or longer than 255 bytes unescaped. */
int ir_str_same(const struct ir_str *a, const struct ir_str *b);
/* Empties ir for a new request: every field zero or "not given" (-1),
 * the storage pointers parts, msgs and tools kept as they are. */
void ir_request_init(struct ir_request *ir);

/* The typed writer (json.h) for IR strings. */
/* s as a JSON string value (ir_write_string). */
void jw_ir_str(struct jw *w, const struct ir_str *s);
/* "key": s as a JSON string. */
static inline void jw_kir_str(struct jw *w, const char *key, const struct ir_str *s)
{
	jw_key(w, key);
	jw_ir_str(w, s);
}
/* s's characters inside a string being written (jw_str_begin): RAW as it
 * stands, PLAIN escaped, JSON stringified. */
void jw_ir_chars(struct jw *w, const struct ir_str *s);
/* s as a JSON value (ir_write_value): 0, or -1 when it is not valid JSON. */
int jw_ir_value(struct jw *w, const struct ir_str *s);
/* A JSON Schema value (ir_write_schema): 0 or -1. */
int jw_ir_schema(struct jw *w, const struct ir_str *s);
const char *ir_finish_name(uint8_t f);				/* for logs */
int ir_err_status(uint8_t cls);					/* default status of a class */
uint8_t ir_err_class_of_status(int status);

#endif
