/*
 * dialect_anthropic.c - the Anthropic Messages dialect (POST /v1/messages)
 * around the intermediate form (ir.h, dialect.h): request, response, error
 * and SSE stream, both as the client's dialect and as the provider's.
 *
 * Decoders point IR strings into the JSON text they were given and copy
 * nothing; encoders write through the typed JSON writer (struct jw, json.h)
 * into the caller's bounded struct json_out. Names are tables indexed by
 * the enum they stand for. The only state is per stream, in struct
 * xlate_stream's dec/enc areas. Nothing here allocates or blocks.
 *
 * Translated / dropped / refused
 * ------------------------------
 * Client request (Anthropic body -> IR):
 *  - translated: system (string or text blocks), messages (user/assistant;
 *    content as a string or blocks: text, image base64/url, tool_use,
 *    tool_result with string or text/image content and is_error, thinking
 *    with its signature), max_tokens, temperature, top_p, top_k,
 *    stop_sequences, stream, tools (custom tools: name, description,
 *    input_schema), tool_choice auto/any/tool/none and
 *    disable_parallel_tool_use, metadata.user_id,
 *    thinking enabled (budget_tokens) / disabled (budget 0),
 *    output_config.format json_schema, output_config.effort
 *    low/medium/high (as the OpenAI reasoning effort).
 *  - A user turn holding tool_result blocks becomes an IR_TOOL message with
 *    the results first, then (if the turn also has text or images) an
 *    IR_USER message with the rest: the API requires tool results to lead
 *    a user turn, and OpenAI/Gemini want the results right after the call.
 *    Each result's function name (b) is taken from the earlier tool_use
 *    with the same id (Gemini needs the name).
 *  - max_tokens absent: left at -1 for the gateway's default (lenient; the
 *    API itself would answer 400).
 *  - dropped: redacted_thinking blocks (opaque data only Anthropic can
 *    read), thinking {type: adaptive} (= let the model decide, as when
 *    unset), output_config.effort xhigh/max, cache_control everywhere,
 *    citations, service_tier, container, inference_geo, top-level
 *    cache_control, any other unknown field.
 *  - refused (400): server/built-in tools (a tool with a "type" other than
 *    "custom": web_search, bash, text_editor, ... only Anthropic runs
 *    them, and the decoder cannot know the request stays on Anthropic),
 *    document / search_result / server-tool blocks, image sources of type
 *    "file", roles other than user/assistant, more stop sequences, tools,
 *    messages or parts than the IR holds; a member read that is not of its
 *    API type (req_types, nested_types; null is absent): "stream":"yes", a
 *    count outside 0..2^31-1, 1e400, never read as absent.
 * Provider request (IR -> Anthropic body):
 *  - max_tokens is required (>= 1): ir->max_tokens < 1 (the gateway should
 *    have set its default) is written as 4096.
 *  - system: one part as a string, several as text blocks.
 *  - Consecutive IR messages that map to the same role are merged into one
 *    turn (IR_TOOL and IR_USER both map to "user"; the reference says the
 *    API merges consecutive same-role turns anyway, and parallel tool
 *    results must share one user turn). Inside a merged user turn every
 *    tool_result block comes first, then the text and images, as the API
 *    requires. Empty text parts are skipped (the API rejects empty text
 *    blocks) and a turn left with no blocks is left out.
 *  - Tool calls: input = the arguments as an object (OpenAI's string is
 *    parsed back to JSON); arguments that are not valid JSON (a model's
 *    malformed output) become {}. Tool results: content is the text, or
 *    blocks when the result has text/image parts; is_error kept.
 *  - Thinking parts with a signature are sent back as thinking blocks;
 *    without one they are dropped (the API rejects an unsigned block).
 *    A signature that came from another provider (Gemini thoughtSignature)
 *    would be rejected by Anthropic: only Anthropic clients should carry
 *    Anthropic thinking, and those go through the same-dialect path.
 *  - tools: parameters -> input_schema ({"type":"object","properties":{}}
 *    when absent). tool_choice: auto -> auto, required -> any, a named
 *    function -> {type: tool, name}, none -> none; parallel_tools = 0 ->
 *    disable_parallel_tool_use: true (with auto when no choice was given);
 *    tool_choice is left out when there are no tools.
 *  - stop -> stop_sequences; user -> metadata.user_id; format json_schema
 *    -> output_config.format {type: json_schema, schema} (models with
 *    structured outputs); thinking_budget > 0 -> thinking {type: enabled,
 *    budget_tokens} raised to the API's minimum of 1024, 0 -> {type:
 *    disabled}. max_tokens is not raised to exceed the budget (the API
 *    wants budget < max_tokens): the provider's 400 says so. Newer models
 *    want {type: adaptive} instead and refuse budget_tokens: same.
 *  - temperature, top_p, top_k are forwarded. The gateway sends
 *    anthropic-version 2023-06-01, which accepts them; the API reference
 *    marks all three deprecated (models newer than Claude Opus 4.6 accept
 *    only temperature 1.0 and top_p >= 0.99, and no top_k; API version
 *    2026-10-21 rejects them outright), and the SDKs that send 2026-10-21
 *    no longer set them. A model that refuses them answers 400 and the
 *    client sees that error. temperature above 1 (OpenAI allows up to 2)
 *    is clamped to 1, Anthropic's maximum.
 *  - dropped: format json_object (no JSON mode without a schema in the
 *    Messages API), seed, reasoning effort without a thinking budget
 *    (whether a model takes output_config.effort cannot be known here),
 *    include_usage (Anthropic streams always carry usage).
 *  - request_path is always /v1/messages (stream is in the body).
 * Response (Anthropic -> IR): text, tool_use (input as IR_JSON), thinking
 *  (with signature) kept; redacted_thinking and server-tool blocks dropped.
 *  stop_reason end_turn, stop_sequence, pause_turn -> stop; max_tokens,
 *  model_context_window_exceeded -> length; tool_use -> tool_calls;
 *  refusal -> content_filter. Usage: input = input_tokens +
 *  cache_creation_input_tokens + cache_read_input_tokens, cached = the
 *  reads, cache_write = the creations.
 * Response (IR -> Anthropic client): id is the provider's id, or
 *  "msg_llmgw" when it has none; model is the name the client asked for;
 *  input_tokens = input - cached - cache_write. Tool-call arguments that
 *  are not valid JSON are written as input {}. IR_FIN_NONE gives
 *  stop_reason null; stop gives "stop_sequence" when the sequence is known.
 * Errors: types <-> classes: invalid_request_error 400,
 *  authentication_error 401, billing_error 402, permission_error 403,
 *  not_found_error 404, request_too_large 413, rate_limit_error 429,
 *  api_error 500, overloaded_error 529 (class OVERLOADED), timeout_error
 *  504. The decoder trusts a known type over the status (status: the
 *  provider's, but 503 for overload: the gateway sends 529 to Anthropic
 *  clients); the encoder writes the type of the class and the provider's
 *  message and request id.
 * Stream (Anthropic SSE -> IR): message_start -> EV_START and EV_USAGE
 *  (input with cache tokens); tool_use blocks get dense tool indices in
 *  the order they start (not the content block index); text_delta ->
 *  EV_TEXT, input_json_delta -> EV_TOOL_ARGS (IR_RAW fragment),
 *  thinking_delta -> EV_THINKING, signature_delta -> EV_THINKING with sig
 *  and no text; message_delta -> EV_FINISH then EV_USAGE (all counts so
 *  far); message_stop -> EV_END; error -> EV_ERROR; ping, content_block_stop,
 *  citations_delta and unknown events are ignored. An event whose data is
 *  split over several data lines is refused (Anthropic never does that).
 * Stream (IR -> Anthropic client SSE, "event:" lines): message_start is
 *  written when the first event after EV_START that is not EV_USAGE
 *  arrives, so that a provider's input usage reported right after its
 *  start is in it (OpenAI reports usage only at the end: 0 then).
 *  Content blocks are numbered from 0 across all blocks; a text or
 *  thinking block opens on the first delta after anything else, a tool_use
 *  block on EV_TOOL_START (any open block is closed first). Tool arguments
 *  go out as input_json_delta (Gemini's whole-object IR_JSON as one
 *  partial_json string). Arguments for a tool whose block was already
 *  closed (an interleaving provider) are still sent as a delta with that
 *  tool's own block index (the SDK accumulates by index); arguments for a
 *  tool that never started are dropped. EV_END closes the open block and
 *  writes message_delta (stop_reason, output_tokens, and input/cache
 *  counts when known) and message_stop. EV_ERROR writes "event: error".
 *  No ping is ever written. The message id is the provider's (up to 120
 *  bytes) or "msg_llmgw".
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include "fmt.h"
#include "dialect.h"

#define ANTH_DEFAULT_MAX_TOKENS 4096
#define ANTH_MIN_THINKING_BUDGET 1024

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* names                                                               */

/* One table per closed set of names, shared by the decoder and the
 * encoder, indexed by the enum it stands for. */
static const char *const roles[] = { [IR_USER] = "user", [IR_ASSISTANT] = "assistant" };

/* A block type is also the kind of the part it becomes. */
enum block { B_TEXT = IR_TEXT, B_IMAGE = IR_IMAGE, B_TOOL_USE = IR_TOOL_CALL, B_TOOL_RESULT = IR_TOOL_RESULT,
	     B_THINKING = IR_THINKING, B_REDACTED };
static const char *const blocks[] = {
	[B_TEXT] = "text", [B_IMAGE] = "image", [B_TOOL_USE] = "tool_use",
	[B_TOOL_RESULT] = "tool_result", [B_THINKING] = "thinking", [B_REDACTED] = "redacted_thinking",
};

static const char *const tool_choices[] = {
	[IR_TC_AUTO] = "auto", [IR_TC_NONE] = "none", [IR_TC_REQUIRED] = "any", [IR_TC_TOOL] = "tool",
};

/* Error types and the message written when the provider gave none, by
 * class; api_error is the fallback. */
static const struct {
	const char *type, *message;
} errors[] = {
	[IR_ERR_INVALID] = { "invalid_request_error", "Invalid request" },
	[IR_ERR_AUTH] = { "authentication_error", "Authentication failed" },
	[IR_ERR_BILLING] = { "billing_error", "Billing error" },
	[IR_ERR_PERMISSION] = { "permission_error", "Permission denied" },
	[IR_ERR_NOT_FOUND] = { "not_found_error", "Not found" },
	[IR_ERR_TOO_LARGE] = { "request_too_large", "Request too large" },
	[IR_ERR_RATE_LIMIT] = { "rate_limit_error", "Rate limited" },
	[IR_ERR_SERVER] = { "api_error", "Internal server error" },
	[IR_ERR_OVERLOADED] = { "overloaded_error", "Overloaded" },
	[IR_ERR_TIMEOUT] = { "timeout_error", "Timeout" },
};

/* The members of a stream event's payload object (message, content_block
 * or delta) the decoder reads; the last four carry the deltas' text. */
enum member { M_TYPE, M_ID, M_NAME, M_MODEL, M_USAGE, M_INPUT, M_STOP_REASON,
	      M_TEXT, M_PARTIAL_JSON, M_THINKING, M_SIGNATURE, M_N };
static const char *const members[M_N] = {
	[M_TYPE] = "type", [M_ID] = "id", [M_NAME] = "name", [M_MODEL] = "model", [M_USAGE] = "usage",
	[M_INPUT] = "input", [M_STOP_REASON] = "stop_reason", [M_TEXT] = "text",
	[M_PARTIAL_JSON] = "partial_json", [M_THINKING] = "thinking", [M_SIGNATURE] = "signature",
};

/* Stream deltas: the member that carries each one's payload and the
 * event it becomes. */
enum delta { D_TEXT, D_JSON, D_THINKING, D_SIG };
static const struct {
	const char *type;
	uint8_t member;		/* enum member */
	uint8_t ev;		/* enum ir_ev_kind */
} deltas[] = {
	[D_TEXT] = { "text_delta", M_TEXT, EV_TEXT },
	[D_JSON] = { "input_json_delta", M_PARTIAL_JSON, EV_TOOL_ARGS },
	[D_THINKING] = { "thinking_delta", M_THINKING, EV_THINKING },
	[D_SIG] = { "signature_delta", M_SIGNATURE, EV_THINKING },
};

enum event { E_START, E_BLOCK_START, E_DELTA, E_MSG_DELTA, E_STOP, E_ERROR };
static const char *const events[] = {
	[E_START] = "message_start", [E_BLOCK_START] = "content_block_start", [E_DELTA] = "content_block_delta",
	[E_MSG_DELTA] = "message_delta", [E_STOP] = "message_stop", [E_ERROR] = "error",
};

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static int has(const struct ir_str *s)
{
	return s->p && s->n;
}

/* Present and not null. */
static int given(const struct json_doc *d, int v)
{
	return v >= 0 && !json_is_null(d, v);
}

#define FIND(d, i, names) json_str_index(d, i, names, NELEM(names))

/* Token v when it is a string (its span into *s), else -1 with *s
 * untouched. */
static int str_of(const struct json_doc *d, int v, struct ir_str *s)
{
	if (!json_is_string(d, v))
		return -1;
	*s = ir_tok_str(d, v);
	return v;
}

/* The same for the value of key k in obj. */
static int str_at(const struct json_doc *d, int obj, const char *k, struct ir_str *s)
{
	return str_of(d, json_get(d, obj, k), s);
}

/* The values of keys[0..n) in object obj -> v[] (-1 when absent; the last
 * duplicate wins, as with json_get), in one pass over obj: a top-level
 * object holds the messages or content, which every json_get would walk
 * again. */
static void get_keys(const struct json_doc *d, int obj, const char *const *keys, unsigned n, int *v)
{
	for (unsigned k = 0; k < n; k++)
		v[k] = -1;
	if (!json_is_object(d, obj))
		return;
	for (int k = 0, i = obj + 1; k < d->tok[obj].size; k++, i = json_skip(d, i)) {
		int j = json_str_index(d, i, keys, n);
		if (j >= 0)
			v[j] = i + 1;
	}
}

/* ------------------------------------------------------------------ */
/* request and response content decoding                               */

/* Decoder state: request decoding fills ir; response decoding (resp = 1,
 * ir NULL) only parts, and words its errors as a provider's fault. */
struct dec {
	const struct json_doc *d;
	struct ir_request *ir;
	struct ir_part *parts;
	uint16_t *nparts;
	char *err;
	size_t errlen;
	uint8_t resp;
	unsigned max_parts;	/* parts[0..max_parts) is the storage */
};

/* The message for the client (or the gateway's log); always -1. */
static int fail(struct dec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct dec *r, const char *fmt, ...)
{
	if (r->err && r->errlen) {
		va_list ap;
		va_start(ap, fmt);
		fmt_vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static struct ir_part *new_part(struct dec *r, uint8_t kind)
{
	if (*r->nparts >= r->max_parts) {
		if (r->resp)
			fail(r, "too many content blocks");
		else
			fail(r, "too many content parts");
		return NULL;
	}
	struct ir_part *p = &r->parts[(*r->nparts)++];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	return p;
}

/* The string and object fields of content blocks (and of an image's
 * source, and of a tool), walked by get_fields() and set_fields(): the
 * token type a field must have; whether it must be there (REQ), may be
 * absent (OPT) or is ignored when it is not of that type (ANY); the
 * message when it is wrong (in a request, and in a provider's response
 * when that is worded differently); and where its span goes. */
enum need { REQ, OPT, ANY };
struct field {
	const char *key;
	uint8_t type;			/* jsmntype_t */
	uint8_t need;			/* enum need */
	uint16_t off;			/* of the struct ir_str in the part or tool */
	const char *msg, *resp_msg;	/* resp_msg NULL: msg */
};
#define MAX_FIELDS 3
#define PART(f) offsetof(struct ir_part, f)
#define TOOL(f) offsetof(struct ir_tool, f)

static const struct field text_fields[] = {
	{ "text", JSMN_STRING, REQ, PART(text), "text block without a text string", "text block without text" },
};
static const struct field thinking_fields[] = {
	{ "thinking", JSMN_STRING, REQ, PART(text), "thinking block without thinking text",
	  "thinking block without thinking" },
	{ "signature", JSMN_STRING, ANY, PART(sig), NULL, NULL },
};
static const struct field tool_use_fields[] = {
	{ "id", JSMN_STRING, REQ, PART(a), "tool_use needs an id and a name", "malformed tool_use block" },
	{ "name", JSMN_STRING, REQ, PART(b), "tool_use needs an id and a name", "malformed tool_use block" },
	{ "input", JSMN_OBJECT, OPT, PART(args), "tool_use input must be an object", "malformed tool_use block" },
};
static const struct field tool_result_fields[] = {
	{ "tool_use_id", JSMN_STRING, REQ, PART(a), "tool_result without tool_use_id", NULL },
};
static const struct field base64_fields[] = {
	{ "media_type", JSMN_STRING, REQ, PART(a), "image source needs media_type and data", NULL },
	{ "data", JSMN_STRING, REQ, PART(b), "image source needs media_type and data", NULL },
};
static const struct field url_fields[] = {
	{ "url", JSMN_STRING, REQ, PART(b), "image url source needs a url", NULL },
};
static const struct field tool_fields[] = {
	{ "name", JSMN_STRING, REQ, TOOL(name), "tool without a name", NULL },
	{ "description", JSMN_STRING, ANY, TOOL(description), NULL, NULL },
	{ "input_schema", JSMN_OBJECT, OPT, TOOL(parameters), "tool input_schema must be an object", NULL },
};
_Static_assert(NELEM(tool_use_fields) <= MAX_FIELDS && NELEM(tool_fields) <= MAX_FIELDS, "MAX_FIELDS");

/* The tokens of fields f[0..n) of obj -> v[] (-1: absent). 0, or -1
 * with the message of the first one that is wrong. */
static int get_fields(struct dec *r, int obj, const struct field *f, unsigned n, int *v)
{
	const struct json_doc *d = r->d;
	for (unsigned i = 0; i < n; i++) {
		int t = v[i] = json_get(d, obj, f[i].key);
		if (t < 0 ? f[i].need == REQ : d->tok[t].type != f[i].type) {
			if (f[i].need != ANY)
				return fail(r, "%s", r->resp && f[i].resp_msg ? f[i].resp_msg : f[i].msg);
			v[i] = -1;
		}
	}
	return 0;
}

static void set_fields(const struct json_doc *d, const struct field *f, unsigned n, const int *v, void *base)
{
	for (unsigned i = 0; i < n; i++)
		*(struct ir_str *)(void *)((char *)base + f[i].off) = ir_tok_str(d, v[i]);
}

/* Fields f[0..n) of obj -> a new part of kind, or NULL. */
static struct ir_part *dec_part(struct dec *r, int obj, const struct field *f, unsigned n, uint8_t kind)
{
	int v[MAX_FIELDS];
	struct ir_part *p;
	if (get_fields(r, obj, f, n, v) || !(p = new_part(r, kind)))
		return NULL;
	set_fields(r->d, f, n, v, p);
	return p;
}

static int dec_block(struct dec *r, int b, int t);

/* The blocks of array c: those whose type is in take (bits of B_*) are
 * decoded, those in skip passed over; any other is refused with the
 * message refuse, or passed over too when refuse is NULL. */
static int dec_blocks(struct dec *r, int c, unsigned take, unsigned skip, const char *refuse)
{
	const struct json_doc *d = r->d;
	int n = d->tok[c].size;
	for (int k = 0, b = c + 1; k < n; k++, b = json_skip(d, b)) {
		int t = FIND(d, json_get(d, b, "type"), blocks);
		unsigned bit = t < 0 ? 0 : 1u << t;
		if (bit & take) {
			if (dec_block(r, b, t))
				return -1;
		} else if (!(bit & skip) && refuse) {
			return fail(r, "%s", refuse);
		}
	}
	return 0;
}

/* The name of the earlier tool_use with this id, for Gemini. */
static struct ir_str call_name(const struct dec *r, const struct ir_str *id)
{
	struct ir_str none = { NULL, 0, IR_RAW };
	for (int i = (int)*r->nparts - 1; i >= 0; i--)
		if (r->parts[i].kind == IR_TOOL_CALL && ir_str_same(&r->parts[i].a, id))
			return r->parts[i].b;
	return none;
}

/* Block b of type t (B_*, which is also the part's kind) -> new parts. */
static int dec_block(struct dec *r, int b, int t)
{
	static const struct {
		const struct field *f;
		uint8_t n;
	} block_fields[] = {
		[B_TEXT] = { text_fields, NELEM(text_fields) },
		[B_TOOL_USE] = { tool_use_fields, NELEM(tool_use_fields) },
		[B_TOOL_RESULT] = { tool_result_fields, NELEM(tool_result_fields) },
		[B_THINKING] = { thinking_fields, NELEM(thinking_fields) },
	};
	static const char *const sources[] = { "base64", "url" };
	const struct json_doc *d = r->d;
	struct ir_part *p;
	int url = 0;

	if (t == B_IMAGE) {
		b = json_get(d, b, "source");
		url = FIND(d, json_get(d, b, "type"), sources);
		if (url < 0)
			return fail(r, "image source type not supported through translation (base64 and url are)");
		p = url ? dec_part(r, b, url_fields, NELEM(url_fields), IR_IMAGE)
			: dec_part(r, b, base64_fields, NELEM(base64_fields), IR_IMAGE);
	} else {
		p = dec_part(r, b, block_fields[t].f, block_fields[t].n, (uint8_t)t);
	}
	if (!p)
		return -1;
	p->is_url = (uint8_t)url;
	if (t == B_TOOL_USE && !p->args.p)
		p->args = (struct ir_str){ "{}", 2, IR_JSON };
	if (t != B_TOOL_RESULT)
		return 0;

	/* a tool result: is_error, and content as a string or blocks */
	int c = json_get(d, b, "content");
	p->b = call_name(r, &p->a);
	p->is_error = (uint8_t)json_is_true(d, json_get(d, b, "is_error"));
	if (!given(d, c))
		return 0;
	if (json_is_string(d, c)) {
		p->text = ir_tok_str(d, c);
		return 0;
	}
	if (!json_is_array(d, c))
		return fail(r, "tool_result content must be a string or an array");
	uint16_t before = *r->nparts;
	if (dec_blocks(r, c, 1u << B_TEXT | 1u << B_IMAGE, 0,
		       "tool_result content block type not supported through translation"))
		return -1;
	p->nsub = (uint16_t)(*r->nparts - before);
	return 0;
}

/* ------------------------------------------------------------------ */
/* request decoding                                                    */

static int open_msg(struct dec *r, int role)
{
	if (r->ir->nmsgs >= IR_MAX_MSGS)
		return fail(r, "too many messages");
	struct ir_msg *m = &r->ir->msgs[r->ir->nmsgs];
	m->role = (uint8_t)role;
	m->first = r->ir->nparts;
	m->n = 0;
	return 0;
}

/* Closes the message opened last; an empty one is not kept. */
static void close_msg(struct dec *r)
{
	struct ir_msg *m = &r->ir->msgs[r->ir->nmsgs];
	m->n = (uint16_t)(r->ir->nparts - m->first);
	if (m->n)
		r->ir->nmsgs++;
}

static int dec_message(struct dec *r, int msg)
{
	const struct json_doc *d = r->d;
	int role = FIND(d, json_get(d, msg, "role"), roles), c = json_get(d, msg, "content");
	int str = json_is_string(d, c);

	if (role < 0)
		return fail(r, "message role must be user or assistant");
	if (!str && !json_is_array(d, c))
		return fail(r, "message content must be a string or an array");
	if (role == IR_USER && !str) {
		/* The tool results first (as an IR_TOOL message), then the
		 * rest (as an IR_USER message). */
		if (open_msg(r, IR_TOOL) || dec_blocks(r, c, 1u << B_TOOL_RESULT, 0, NULL))
			return -1;
		close_msg(r);
	}
	if (open_msg(r, role))
		return -1;
	if (str) {
		struct ir_part *p = new_part(r, IR_TEXT);
		if (!p)
			return -1;
		p->text = ir_tok_str(d, c);
	} else if (role == IR_USER ? dec_blocks(r, c, 1u << B_TEXT | 1u << B_IMAGE, 1u << B_TOOL_RESULT,
						"user content block type not supported through translation")
		   : dec_blocks(r, c, 1u << B_TEXT | 1u << B_TOOL_USE | 1u << B_THINKING,
				1u << B_REDACTED /* dropped: see the header */,
				"assistant content block type not supported through translation")) {
		return -1;
	}
	close_msg(r);
	return 0;
}

enum req_key { R_MODEL, R_SYSTEM, R_MESSAGES, R_MAX_TOKENS, R_TEMPERATURE, R_TOP_P, R_TOP_K, R_STOP, R_STREAM,
	       R_TOOLS, R_TOOL_CHOICE, R_METADATA, R_THINKING, R_OUTPUT_CONFIG, R_N };
static const char *const req_keys[R_N] = {
	[R_MODEL] = "model", [R_SYSTEM] = "system", [R_MESSAGES] = "messages", [R_MAX_TOKENS] = "max_tokens",
	[R_TEMPERATURE] = "temperature", [R_TOP_P] = "top_p", [R_TOP_K] = "top_k", [R_STOP] = "stop_sequences",
	[R_STREAM] = "stream", [R_TOOLS] = "tools", [R_TOOL_CHOICE] = "tool_choice", [R_METADATA] = "metadata",
	[R_THINKING] = "thinking", [R_OUTPUT_CONFIG] = "output_config",
};
/* The JSON types they may have (json_check_members; null passes as absent). */
static const unsigned char req_types[R_N] = {
	[R_MODEL] = JT_STRING, [R_SYSTEM] = JT_STRING | JT_ARRAY, [R_MESSAGES] = JT_ARRAY,
	[R_MAX_TOKENS] = JT_COUNT, [R_TEMPERATURE] = JT_NUMBER, [R_TOP_P] = JT_NUMBER, [R_TOP_K] = JT_NUMBER,
	[R_STOP] = JT_ARRAY, [R_STREAM] = JT_BOOL, [R_TOOLS] = JT_ARRAY, [R_TOOL_CHOICE] = JT_OBJECT,
	[R_METADATA] = JT_OBJECT, [R_THINKING] = JT_OBJECT, [R_OUTPUT_CONFIG] = JT_OBJECT,
};
/* Members of those objects read as one type. */
static const struct {
	uint8_t in;		/* enum req_key */
	uint8_t want;
	const char *key, *prefix;
} nested_types[] = {
	{ R_TOOL_CHOICE, JT_BOOL, "disable_parallel_tool_use", "tool_choice." },
	{ R_METADATA, JT_STRING, "user_id", "metadata." },
	{ R_THINKING, JT_COUNT, "budget_tokens", "thinking." },
	{ R_OUTPUT_CONFIG, JT_STRING, "effort", "output_config." },
};

static int dec_tools(struct dec *r, int arr)
{
	const struct json_doc *d = r->d;
	if (!given(d, arr))	/* else an array (req_types) */
		return 0;
	int n = d->tok[arr].size;
	if (n > IR_MAX_TOOLS)
		return fail(r, "too many tools");
	for (int k = 0, t = arr + 1; k < n; k++, t = json_skip(d, t)) {
		int ty = json_get(d, t, "type"), v[MAX_FIELDS];
		if (given(d, ty) && !json_str_eq(d, ty, "custom"))
			return fail(r, "server tools (a tool with a type, e.g. web_search) cannot be translated to another provider");
		if (get_fields(r, t, tool_fields, NELEM(tool_fields), v))
			return -1;
		set_fields(d, tool_fields, NELEM(tool_fields), v, &r->ir->tools[r->ir->ntools++]);
	}
	return 0;
}

static int dec_tool_choice(struct dec *r, int tc)
{
	const struct json_doc *d = r->d;
	if (!given(d, tc))
		return 0;
	int c = FIND(d, json_get(d, tc, "type"), tool_choices), dp = json_get(d, tc, "disable_parallel_tool_use");
	if (c < 0)
		return fail(r, "tool_choice type must be auto, any, tool or none");
	if (c == IR_TC_TOOL && str_at(d, tc, "name", &r->ir->tool_choice_name) < 0)
		return fail(r, "tool_choice of type tool needs a name");
	r->ir->tool_choice = (uint8_t)c;
	if (json_is_true(d, dp))
		r->ir->parallel_tools = 0;
	else if (json_is_false(d, dp))
		r->ir->parallel_tools = 1;
	return 0;
}

static int anth_decode_request(const struct json_doc *d, struct ir_request *ir, char *err, size_t errlen)
{
	static const char *const thinking_types[] = { "enabled", "disabled", "adaptive" };
	static const char *const efforts[] = { "low", "medium", "high" };
	struct dec r = { d, ir, ir->parts, &ir->nparts, err, errlen, 0, IR_MAX_PARTS };
	int key[R_N], v;

	ir_request_init(ir);
	if (!json_is_object(d, 0))
		return fail(&r, "request body must be a JSON object");
	get_keys(d, 0, req_keys, R_N, key);
	if (json_check_members(d, key, req_keys, req_types, R_N, "", err, errlen) < 0)
		return -1;
	for (unsigned k = 0; k < NELEM(nested_types); k++)
		if (json_check_member(d, key[nested_types[k].in], nested_types[k].key, nested_types[k].want,
				      nested_types[k].prefix, err, errlen) < 0)
			return -1;
	str_of(d, key[R_MODEL], &ir->model);

	/* System prompt: parts first, so they precede every message's. */
	v = key[R_SYSTEM];
	if (json_is_string(d, v)) {
		new_part(&r, IR_TEXT)->text = ir_tok_str(d, v);	/* the first part: there is room */
	} else if (json_is_array(d, v)) {
		if (dec_blocks(&r, v, 1u << B_TEXT, 0, "system blocks must be text blocks"))
			return -1;
	}
	ir->sys_n = ir->nparts;	/* sys_first is 0 */

	v = key[R_MESSAGES];
	if (!json_is_array(d, v))
		return fail(&r, "messages must be an array");
	int n = d->tok[v].size;
	for (int k = 0, m = v + 1; k < n; k++, m = json_skip(d, m)) {
		if (!json_is_object(d, m))
			return fail(&r, "each message must be an object");
		if (dec_message(&r, m))
			return -1;
	}

	/* The types are checked (req_types): a number is what is asked. */
	if (json_get_i64(d, key[R_MAX_TOKENS], &ir->max_tokens) == 0 && ir->max_tokens < 1)
		return fail(&r, "max_tokens must be a positive integer");
	static const uint8_t nums[] = { R_TEMPERATURE, R_TOP_P, R_TOP_K };
	struct ir_str *const num[] = { &ir->temperature, &ir->top_p, &ir->top_k };
	for (unsigned k = 0; k < NELEM(nums); k++)
		if (given(d, key[nums[k]]))
			*num[k] = ir_tok_str(d, key[nums[k]]);

	if (given(d, v = key[R_STOP])) {
		int ns = d->tok[v].size;
		if (ns > IR_MAX_STOP)
			return fail(&r, "too many stop_sequences");
		for (int k = 0, s = v + 1; k < ns; k++, s = json_skip(d, s)) {
			if (!json_is_string(d, s))
				return fail(&r, "stop_sequences must be an array of strings");
			ir->stop[ir->nstop++] = ir_tok_str(d, s);
		}
	}
	ir->stream = (uint8_t)json_is_true(d, key[R_STREAM]);

	if (dec_tools(&r, key[R_TOOLS]) || dec_tool_choice(&r, key[R_TOOL_CHOICE]))
		return -1;

	str_at(d, key[R_METADATA], "user_id", &ir->user);

	if (given(d, v = key[R_THINKING])) {
		int ty = FIND(d, json_get(d, v, "type"), thinking_types);
		if (ty < 0)
			return fail(&r, "thinking.type must be enabled, disabled or adaptive");
		if (ty == 0) {
			if (json_get_i64(d, json_get(d, v, "budget_tokens"), &ir->thinking_budget))
				return fail(&r, "thinking.budget_tokens is required with type enabled");
		} else if (ty == 1) {
			ir->thinking_budget = 0;
		}
	}

	int oc = key[R_OUTPUT_CONFIG];
	if (given(d, v = json_get(d, oc, "format"))) {
		int sc = json_get(d, v, "schema");
		if (!json_str_eq(d, json_get(d, v, "type"), "json_schema") || !json_is_object(d, sc))
			return fail(&r, "output_config.format must be {type: json_schema, schema: {...}}");
		ir->format = IR_FMT_JSON_SCHEMA;
		ir->schema = ir_tok_str(d, sc);
	}
	v = json_get(d, oc, "effort");
	if (FIND(d, v, efforts) >= 0)
		ir->reasoning = ir_tok_str(d, v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* request and response content encoding                               */

static void text_block(struct jw *w, const struct ir_str *text)
{
	jw_obj(w);
	jw_kcstr(w, "type", "text");
	jw_kir_str(w, "text", text);
	jw_obj_end(w);
}

static void enc_image(struct jw *w, const struct ir_part *p)
{
	jw_obj(w);
	jw_kcstr(w, "type", "image");
	jw_key(w, "source");
	jw_obj(w);
	if (p->is_url) {
		jw_kcstr(w, "type", "url");
		jw_kir_str(w, "url", &p->b);
	} else {
		jw_kcstr(w, "type", "base64");
		jw_kir_str(w, "media_type", &p->a);
		jw_kir_str(w, "data", &p->b);
	}
	jw_obj_end(w);
	jw_obj_end(w);
}

/* "input": the tool arguments as an object; {} when they are not valid
 * JSON (a model's malformed output). */
static void enc_input(struct jw *w, const struct ir_str *args)
{
	jw_key(w, "input");
	if (jw_ir_value(w, args) < 0)
		json_lit(w->o, "{}");	/* the value's place is taken, nothing was written */
}

static void enc_part(struct jw *w, const struct ir_part *p, unsigned nsub);

/* One tool result with the nsub content parts that follow it. */
static void enc_tool_result(struct jw *w, const struct ir_part *p, unsigned nsub)
{
	jw_obj(w);
	jw_kcstr(w, "type", "tool_result");
	jw_kir_str(w, "tool_use_id", &p->a);
	if (nsub) {
		jw_key(w, "content");
		jw_arr(w);
		for (unsigned k = 1; k <= nsub; k++) {
			const struct ir_part *s = p + k;
			if (s->kind == IR_TEXT ? has(&s->text) : s->kind == IR_IMAGE)
				enc_part(w, s, 0);
		}
		jw_arr_end(w);
	} else if (has(&p->text)) {
		jw_kir_str(w, "content", &p->text);
	}
	if (p->is_error)
		jw_kbool(w, "is_error", 1);
	jw_obj_end(w);
}

/* One content block (a tool result takes the nsub parts after it). */
static void enc_part(struct jw *w, const struct ir_part *p, unsigned nsub)
{
	switch (p->kind) {
	case IR_TEXT:
		text_block(w, &p->text);
		break;
	case IR_IMAGE:
		enc_image(w, p);
		break;
	case IR_THINKING:
		jw_obj(w);
		jw_kcstr(w, "type", "thinking");
		jw_kir_str(w, "thinking", &p->text);
		jw_kir_str(w, "signature", &p->sig);
		jw_obj_end(w);
		break;
	case IR_TOOL_CALL:
		jw_obj(w);
		jw_kcstr(w, "type", "tool_use");
		jw_kir_str(w, "id", &p->a);
		jw_kir_str(w, "name", &p->b);
		enc_input(w, &p->args);
		jw_obj_end(w);
		break;
	case IR_TOOL_RESULT:
		enc_tool_result(w, p, nsub);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* request encoding                                                    */

/* Whether part i of a message yields a block (see enc_part). */
static int part_emits(const struct ir_part *p)
{
	switch (p->kind) {
	case IR_TEXT: return has(&p->text);
	case IR_THINKING: return has(&p->sig);
	case IR_IMAGE: case IR_TOOL_CALL: case IR_TOOL_RESULT: return 1;
	}
	return 0;
}

static int msg_emits(const struct ir_request *ir, const struct ir_msg *m)
{
	for (unsigned i = 0; i < m->n; i++)
		if (part_emits(&ir->parts[m->first + i]))
			return 1;
	return 0;
}

/* Blocks of message m. pass 0: only tool results; pass 1: everything
 * else; pass 2: everything in order. */
static void enc_msg_parts(struct jw *w, const struct ir_request *ir, const struct ir_msg *m, int pass)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct ir_part *p = &ir->parts[m->first + i];
		int is_res = p->kind == IR_TOOL_RESULT;
		unsigned skip = is_res ? p->nsub : 0;
		if (skip > m->n - 1 - i)
			skip = m->n - 1 - i;	/* sub-parts past the message: ignore them */
		if ((pass == 2 || is_res != pass) && part_emits(p))
			enc_part(w, p, skip);
		i += skip;
	}
}

static void enc_messages(struct jw *w, const struct ir_request *ir)
{
	jw_key(w, "messages");
	jw_arr(w);
	unsigned i = 0;
	while (i < ir->nmsgs) {
		if (!msg_emits(ir, &ir->msgs[i])) {
			i++;
			continue;
		}
		int assistant = ir->msgs[i].role == IR_ASSISTANT;	/* IR_TOOL is a user turn */
		unsigned j = i + 1;	/* the group is [i, j) */
		while (j < ir->nmsgs && (!msg_emits(ir, &ir->msgs[j]) || (ir->msgs[j].role == IR_ASSISTANT) == assistant))
			j++;
		jw_obj(w);
		jw_kcstr(w, "role", roles[assistant ? IR_ASSISTANT : IR_USER]);
		jw_key(w, "content");
		jw_arr(w);
		int pass = assistant ? 2 : 0;
		do {
			for (unsigned k = i; k < j; k++)
				enc_msg_parts(w, ir, &ir->msgs[k], pass);
		} while (pass++ == 0);	/* a user turn: results, then the rest */
		jw_arr_end(w);
		jw_obj_end(w);
		i = j;
	}
	jw_arr_end(w);
}

/* A number field; temperature (clamp): OpenAI allows 0..2, Anthropic 0..1. */
static void enc_number(struct jw *w, const char *k, const struct ir_str *t, int clamp)
{
	if (!t->p || t->kind != IR_JSON)
		return;
	jw_key(w, k);
	if (clamp && t->n < 64) {
		char buf[64];
		memcpy(buf, t->p, t->n);
		buf[t->n] = 0;
		const char *end;
		double v = fmt_strtod(buf, &end);
		if (end != buf && v > 1.0) {
			jw_raw(w, "1", 1);
			return;
		}
	}
	jw_raw(w, t->p, t->n);
}

static int sys_text(const struct ir_request *ir, unsigned i)
{
	const struct ir_part *p = &ir->parts[ir->sys_first + i];
	return p->kind == IR_TEXT && p->text.p;
}

static const char empty_schema[] = "{\"type\":\"object\",\"properties\":{}}";

static void enc_tools(struct jw *w, const struct ir_request *ir)
{
	jw_key(w, "tools");
	jw_arr(w);
	for (unsigned i = 0; i < ir->ntools; i++) {
		const struct ir_tool *t = &ir->tools[i];
		jw_obj(w);
		jw_kir_str(w, "name", &t->name);
		if (t->description.p)
			jw_kir_str(w, "description", &t->description);
		jw_key(w, "input_schema");
		if (t->parameters.p && t->parameters.kind == IR_JSON)
			jw_ir_schema(w, &t->parameters);
		else
			jw_raw(w, empty_schema, sizeof empty_schema - 1);
		jw_obj_end(w);
	}
	jw_arr_end(w);

	/* auto, none, any, tool; auto when only parallel use is limited */
	unsigned c = ir->tool_choice;
	int known = c >= IR_TC_AUTO && c <= IR_TC_TOOL;
	if (!known && ir->parallel_tools != 0)
		return;
	jw_key(w, "tool_choice");
	jw_obj(w);
	jw_kcstr(w, "type", tool_choices[known ? c : IR_TC_AUTO]);
	if (c == IR_TC_TOOL)
		jw_kir_str(w, "name", &ir->tool_choice_name);
	if (ir->parallel_tools == 0 && c != IR_TC_NONE)
		jw_kbool(w, "disable_parallel_tool_use", 1);
	jw_obj_end(w);
}

static int anth_encode_request(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen)
{
	struct jw jw, *w = &jw;
	unsigned i, ns = 0;

	jw_init(w, o);
	jw_obj(w);
	jw_kcstr(w, "model", model ? model : "");
	jw_ki64(w, "max_tokens", ir->max_tokens > 0 ? ir->max_tokens : ANTH_DEFAULT_MAX_TOKENS);

	/* system: one part as a string, several as text blocks */
	for (i = 0; i < ir->sys_n && ir->sys_first + i < ir->nparts; i++)
		ns += (unsigned)sys_text(ir, i);
	if (ns) {
		jw_key(w, "system");
		if (ns > 1)
			jw_arr(w);
		for (i = 0; i < ir->sys_n && ir->sys_first + i < ir->nparts; i++) {
			if (!sys_text(ir, i))
				continue;
			if (ns > 1)
				text_block(w, &ir->parts[ir->sys_first + i].text);
			else
				jw_ir_str(w, &ir->parts[ir->sys_first + i].text);
		}
		if (ns > 1)
			jw_arr_end(w);
	}

	enc_messages(w, ir);
	if (ir->ntools)
		enc_tools(w, ir);

	if (ir->nstop) {
		jw_key(w, "stop_sequences");
		jw_arr(w);
		for (i = 0; i < ir->nstop && i < IR_MAX_STOP; i++)
			jw_ir_str(w, &ir->stop[i]);
		jw_arr_end(w);
	}
	enc_number(w, "temperature", &ir->temperature, 1);
	enc_number(w, "top_p", &ir->top_p, 0);
	enc_number(w, "top_k", &ir->top_k, 0);
	if (ir->stream)
		jw_kbool(w, "stream", 1);
	if (ir->user.p) {
		jw_key(w, "metadata");
		jw_obj(w);
		jw_kir_str(w, "user_id", &ir->user);
		jw_obj_end(w);
	}
	if (ir->thinking_budget >= 0) {
		jw_key(w, "thinking");
		jw_obj(w);
		if (ir->thinking_budget > 0) {
			jw_kcstr(w, "type", "enabled");
			jw_ki64(w, "budget_tokens", ir->thinking_budget < ANTH_MIN_THINKING_BUDGET ? ANTH_MIN_THINKING_BUDGET
											: ir->thinking_budget);
		} else {
			jw_kcstr(w, "type", "disabled");
		}
		jw_obj_end(w);
	}
	if (ir->format == IR_FMT_JSON_SCHEMA && ir->schema.p && ir->schema.kind == IR_JSON) {
		jw_key(w, "output_config");
		jw_obj(w);
		jw_key(w, "format");
		jw_obj(w);
		jw_kcstr(w, "type", "json_schema");
		jw_key(w, "schema");
		jw_ir_schema(w, &ir->schema);
		jw_obj_end(w);
		jw_obj_end(w);
	}
	jw_obj_end(w);
	return 0;
}

static int anth_request_path(const char *model, int stream, char *buf, size_t len)
{
	int n = fmt_snprintf(buf, len, "/v1/messages");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* responses                                                           */

/* stop_reason -> finish: end_turn, stop_sequence, pause_turn and unknown
 * ones are a stop. */
static uint8_t finish_of(const struct json_doc *d, int v)
{
	static const struct {
		const char *name;
		uint8_t finish;
	} reasons[] = {
		{ "max_tokens", IR_FIN_LENGTH }, { "model_context_window_exceeded", IR_FIN_LENGTH },
		{ "tool_use", IR_FIN_TOOL_CALLS }, { "refusal", IR_FIN_CONTENT_FILTER },
	};
	if (!given(d, v))
		return IR_FIN_NONE;
	for (unsigned k = 0; k < NELEM(reasons); k++)
		if (json_str_eq(d, v, reasons[k].name))
			return reasons[k].finish;
	return IR_FIN_STOP;
}

/* finish -> stop_reason; a stop is "stop_sequence" when the sequence is
 * known. */
static const char *stop_reason_name(uint8_t f, int have_seq)
{
	switch (f) {
	case IR_FIN_LENGTH: return "max_tokens";
	case IR_FIN_TOOL_CALLS: return "tool_use";
	case IR_FIN_CONTENT_FILTER: return "refusal";
	case IR_FIN_STOP: return have_seq ? "stop_sequence" : "end_turn";
	}
	return "end_turn";
}

/* Reads the Anthropic usage object whose text is js[0..n) (a span of a
 * valid document) into u, in one pass and without tokens. Fields missing
 * or null keep their value in u (message_delta carries only what
 * changed). Returns whether it is an object. */
static int usage_scan(const char *js, size_t n, struct ir_usage *u, int64_t *raw_input)
{
	static const char *const keys[4] = { "input_tokens", "cache_creation_input_tokens",
					     "cache_read_input_tokens", "output_tokens" };
	int64_t *dst[4] = { raw_input, &u->cache_write, &u->cached, &u->output };
	size_t vs[4], ve[4];
	if (json_top_scan(js, n, keys, 4, vs, ve) < 0)
		return 0;
	u->have = 1;
	for (unsigned i = 0; i < 4; i++)
		json_span_count(js, vs[i], ve[i], dst[i]);
	u->input = *raw_input + u->cache_write + u->cached;
	return 1;
}

/* usage_scan for token obj of d. */
static int usage_read(const struct json_doc *d, int obj, struct ir_usage *u, int64_t *raw_input)
{
	return json_is_object(d, obj) && usage_scan(json_raw(d, obj), json_raw_len(d, obj), u, raw_input);
}

static int anth_decode_response(const struct json_doc *d, struct ir_response *r, char *err, size_t errlen)
{
	enum { K_TYPE, K_CONTENT, K_ID, K_MODEL, K_STOP_REASON, K_STOP_SEQUENCE, K_USAGE, K_N };
	static const char *const keys[K_N] = {
		[K_TYPE] = "type", [K_CONTENT] = "content", [K_ID] = "id", [K_MODEL] = "model",
		[K_STOP_REASON] = "stop_reason", [K_STOP_SEQUENCE] = "stop_sequence", [K_USAGE] = "usage",
	};
	struct ir_part *parts = r->parts;
	struct dec x = { d, NULL, parts, &r->nparts, err, errlen, 1, ir_response_room(r) };
	int key[K_N];
	int64_t raw = 0;

	memset(r, 0, sizeof *r);
	r->parts = parts;
	if (!json_is_object(d, 0))
		return fail(&x, "response is not a JSON object");
	get_keys(d, 0, keys, K_N, key);
	if (key[K_TYPE] >= 0 && !json_str_eq(d, key[K_TYPE], "message"))
		return fail(&x, "response is not a message");
	if (!json_is_array(d, key[K_CONTENT]))
		return fail(&x, "response has no content array");
	str_of(d, key[K_ID], &r->id);
	str_of(d, key[K_MODEL], &r->model);
	/* redacted_thinking, server tool blocks, unknown: dropped */
	if (dec_blocks(&x, key[K_CONTENT], 1u << B_TEXT | 1u << B_TOOL_USE | 1u << B_THINKING, 0, NULL))
		return -1;
	r->finish = finish_of(d, key[K_STOP_REASON]);
	str_of(d, key[K_STOP_SEQUENCE], &r->stop_sequence);
	usage_read(d, key[K_USAGE], &r->usage, &raw);
	return 0;
}

/* input_tokens as Anthropic counts them: without the cache reads and
 * writes. */
static int64_t raw_input_of(const struct ir_usage *u)
{
	int64_t x = u->input - u->cached - u->cache_write;
	return x < 0 ? 0 : x;
}

/* The cache counts of a usage object, written by all three encoders. */
static void cache_counts(struct jw *w, const struct ir_usage *u)
{
	jw_ki64(w, "cache_creation_input_tokens", u->cache_write);
	jw_ki64(w, "cache_read_input_tokens", u->cached);
}

static const struct ir_str default_id = { "msg_llmgw", 9, IR_RAW };

/* The members of a message up to its model: "id", "type", "role". */
static void message_head(struct jw *w, const struct ir_str *id)
{
	jw_kir_str(w, "id", id);
	jw_kcstr(w, "type", "message");
	jw_kcstr(w, "role", "assistant");
}

static void anth_encode_response(const struct ir_response *r, const char *model, struct json_out *o)
{
	struct jw jw, *w = &jw;
	const struct ir_usage *u = &r->usage;

	jw_init(w, o);
	jw_obj(w);
	message_head(w, has(&r->id) ? &r->id : &default_id);
	if (model)
		jw_kcstr(w, "model", model);
	else
		jw_kir_str(w, "model", &r->model);
	jw_key(w, "content");
	jw_arr(w);
	for (unsigned i = 0; i < r->nparts; i++) {
		const struct ir_part *p = &r->parts[i];
		if (p->kind == IR_TEXT ? has(&p->text) : p->kind == IR_THINKING || p->kind == IR_TOOL_CALL)
			enc_part(w, p, 0);
	}
	jw_arr_end(w);
	jw_key(w, "stop_reason");
	if (r->finish == IR_FIN_NONE)
		jw_null(w);
	else
		jw_cstr(w, stop_reason_name(r->finish, r->stop_sequence.p != NULL));
	jw_key(w, "stop_sequence");
	if (r->finish == IR_FIN_STOP && r->stop_sequence.p)
		jw_ir_str(w, &r->stop_sequence);
	else
		jw_null(w);
	jw_key(w, "usage");
	jw_obj(w);
	jw_ki64(w, "input_tokens", raw_input_of(u));
	jw_ki64(w, "output_tokens", u->output);
	cache_counts(w, u);
	jw_obj_end(w);
	jw_obj_end(w);
}

/* ------------------------------------------------------------------ */
/* errors                                                              */

/* Fills e from an {"type":"error","error":{...}} object at token obj (or
 * a bare {"type","message"} error object); a known type sets the class. */
static void error_read(const struct json_doc *d, int obj, struct ir_error *e)
{
	int er = json_get(d, obj, "error");
	if (!json_is_object(d, er))
		er = obj;
	int t = str_at(d, er, "type", &e->type);
	if (json_is_string(d, t))
		for (unsigned k = 0; k < NELEM(errors); k++)
			if (json_str_eq(d, t, errors[k].type)) {
				e->cls = (uint8_t)k;
				break;
			}
	str_at(d, er, "message", &e->message);
	str_at(d, obj, "request_id", &e->request_id);
}

static void anth_decode_error(const struct json_doc *d, int status, struct ir_error *e)
{
	memset(e, 0, sizeof *e);
	e->cls = ir_err_class_of_status(status);
	if (d && d->ntok > 0 && json_is_object(d, 0))
		error_read(d, 0, e);	/* a known type decides the class */
	/* 529 is Anthropic's own: the class says overload, and the gateway
	 * answers 529 to Anthropic clients, 503 to the others. */
	e->status = e->cls == IR_ERR_OVERLOADED ? 503 : status >= 400 ? status : ir_err_status(e->cls);
}

/* The members of an error body after its "type": the error object, then
 * the request id when given. */
static void enc_error_members(struct jw *w, const struct ir_error *e, const struct ir_str *request_id)
{
	unsigned k = e->cls < NELEM(errors) ? e->cls : IR_ERR_SERVER;
	jw_key(w, "error");
	jw_obj(w);
	jw_kcstr(w, "type", errors[k].type);
	if (has(&e->message))
		jw_kir_str(w, "message", &e->message);
	else
		jw_kcstr(w, "message", errors[k].message);
	jw_obj_end(w);
	if (request_id && request_id->p)
		jw_kir_str(w, "request_id", request_id);
}

static void anth_encode_error(const struct ir_error *e, struct json_out *o)
{
	struct jw jw, *w = &jw;
	jw_init(w, o);
	jw_obj(w);
	jw_kcstr(w, "type", "error");
	enc_error_members(w, e, &e->request_id);
	jw_obj_end(w);
}

/* ------------------------------------------------------------------ */
/* stream decoding (Anthropic SSE -> IR events)                        */

struct anth_dec {
	uint16_t ntools;			/* tool_use blocks seen */
	uint32_t tool_block[IR_MAX_CALLS];	/* content block index of each */
	int64_t raw_input;			/* input_tokens as Anthropic counts */
	struct ir_usage usage;
};
_Static_assert(sizeof(struct anth_dec) <= sizeof(((struct xlate_stream *)0)->dec), "anth_dec too big");

/* Emits ev and clears it for the next one. */
static void emit(struct xlate_stream *s, struct ir_event *ev)
{
	xlate_emit(s, ev);
	memset(ev, 0, sizeof *ev);
}

/* EV_USAGE with all counts so far, when u is a usage object. */
static void emit_usage(struct xlate_stream *s, struct anth_dec *st, const struct json_doc *d, int u, struct ir_event *ev)
{
	if (usage_read(d, u, &st->usage, &st->raw_input)) {
		ev->kind = EV_USAGE;
		ev->usage = st->usage;
		emit(s, ev);
	}
}

static int anth_decode_event(struct xlate_stream *s, const struct sse_event *sev)
{
	/* the members of an event: its type, the object each kind carries,
	 * the block index, message_delta's usage */
	enum { K_TYPE, K_MESSAGE, K_CONTENT_BLOCK, K_DELTA, K_INDEX, K_USAGE, K_N };
	static const char *const keys[K_N] = {
		[K_TYPE] = "type", [K_MESSAGE] = "message", [K_CONTENT_BLOCK] = "content_block",
		[K_DELTA] = "delta", [K_INDEX] = "index", [K_USAGE] = "usage",
	};
	struct anth_dec *st = (struct anth_dec *)s->dec;
	struct json_doc doc, *d = &doc;
	struct ir_event ev;
	int64_t idx = 0;
	int v, i;

	if (sev->data_lines == 0)
		return 0;		/* comment or empty event */
	if (sev->data_lines != 1)
		return -1;
	if (json_parse(d, sev->data, sev->data_len, s->tok, s->maxtok) < 1 || !json_is_object(d, 0))
		return -1;
	int key[K_N];
	get_keys(d, 0, keys, K_N, key);
	if (!json_is_string(d, key[K_TYPE]))
		return -1;
	int k = FIND(d, key[K_TYPE], events);
	int m = key[k == E_START ? K_MESSAGE : k == E_BLOCK_START ? K_CONTENT_BLOCK : K_DELTA];
	if ((k == E_BLOCK_START || k == E_DELTA) && (json_get_i64(d, key[K_INDEX], &idx) || idx < 0))
		return -1;
	if ((unsigned)k <= E_DELTA && !json_is_object(d, m))
		return -1;
	int mv[M_N];
	get_keys(d, m, members, M_N, mv);
	memset(&ev, 0, sizeof ev);

	switch (k) {
	case E_START:
		memset(st, 0, sizeof *st);
		ev.kind = EV_START;
		str_of(d, mv[M_ID], &ev.id);
		str_of(d, mv[M_MODEL], &ev.name);
		emit(s, &ev);
		emit_usage(s, st, d, mv[M_USAGE], &ev);
		break;
	case E_BLOCK_START:
		i = FIND(d, mv[M_TYPE], blocks);
		if (i == B_TOOL_USE) {
			int in = mv[M_INPUT];
			if (str_of(d, mv[M_ID], &ev.id) < 0 || str_of(d, mv[M_NAME], &ev.name) < 0)
				return -1;
			if (st->ntools >= IR_MAX_CALLS || idx > UINT32_MAX)
				return -1;
			st->tool_block[st->ntools] = (uint32_t)idx;
			ev.kind = EV_TOOL_START;
			ev.index = st->ntools++;
			emit(s, &ev);
			if (json_is_object(d, in) && d->tok[in].size > 0) {
				/* a start that already carries the input */
				ev.kind = EV_TOOL_ARGS;
				ev.index = (uint16_t)(st->ntools - 1);
				ev.text = ir_tok_str(d, in);
				emit(s, &ev);
			}
			break;
		}
		/* a text or thinking block may start with some text: as a
		 * delta, but without one nothing is wrong */
		if (i != B_TEXT && i != B_THINKING)
			break;
		i = i == B_TEXT ? D_TEXT : D_THINKING;
		goto text;
	case E_DELTA:
		for (i = 0; i < (int)NELEM(deltas) && !json_str_eq(d, mv[M_TYPE], deltas[i].type); i++)
			;
		if (i == (int)NELEM(deltas))
			break;		/* citations_delta, unknown deltas: ignored */
	text:
		if (!json_is_string(d, v = mv[deltas[i].member]))
			return k == E_DELTA ? -1 : 0;
		if (i == D_JSON) {
			int t;
			for (t = (int)st->ntools - 1; t >= 0 && (int64_t)st->tool_block[t] != idx; t--)
				;
			if (t < 0)
				return -1;
			ev.index = (uint16_t)t;
		}
		if (i == D_SIG)
			ev.sig = ir_tok_str(d, v);	/* sent even when empty */
		else if (json_raw_len(d, v) == 0)
			break;
		else
			ev.text = ir_tok_str(d, v);
		ev.kind = deltas[i].ev;
		emit(s, &ev);
		break;
	case E_MSG_DELTA:
		v = mv[M_STOP_REASON];
		if (json_is_string(d, v)) {
			ev.kind = EV_FINISH;
			ev.finish = finish_of(d, v);
			emit(s, &ev);
		}
		emit_usage(s, st, d, key[K_USAGE], &ev);
		break;
	case E_STOP:
		ev.kind = EV_END;
		emit(s, &ev);
		break;
	case E_ERROR:
		ev.kind = EV_ERROR;
		ev.error.cls = IR_ERR_SERVER;
		error_read(d, 0, &ev.error);
		ev.error.status = ir_err_status(ev.error.cls);
		emit(s, &ev);
		break;
	}
	return 0;		/* ping, content_block_stop, unknown: ignored */
}

/* ------------------------------------------------------------------ */
/* stream encoding (IR events -> Anthropic client SSE)                 */

enum { BLK_NONE, BLK_TEXT, BLK_THINKING, BLK_TOOL };	/* = EV_TEXT, EV_THINKING */

#define ANTH_ID_MAX 120

struct anth_enc {
	uint8_t start_pending;		/* EV_START seen, message_start not written */
	uint8_t started;		/* message_start written */
	uint8_t open;			/* BLK_* of the open block */
	uint8_t finish;
	uint8_t id_kind;
	uint8_t id_len;
	uint32_t nblocks;		/* blocks started so far */
	int32_t tool_block[IR_MAX_CALLS];	/* block index of each tool, -1 none */
	struct ir_usage usage;
	char id[ANTH_ID_MAX];
};
_Static_assert(sizeof(struct anth_enc) <= sizeof(((struct xlate_stream *)0)->enc), "anth_enc too big");

/* "event: NAME", and its data object opened with "type":"NAME"; the
 * caller writes the rest of the object and ends it with ev_end(). */
static void ev_begin(struct jw *w, struct json_out *o, const char *name)
{
	json_lit(o, "event: ");
	json_lit(o, name);
	json_lit(o, "\ndata: ");
	jw_init(w, o);
	jw_obj(w);
	jw_kcstr(w, "type", name);
}

static void ev_end(struct jw *w)
{
	jw_obj_end(w);
	json_lit(w->o, "\n\n");
}

static void close_block(struct anth_enc *st, struct json_out *o)
{
	struct jw w;
	if (st->open == BLK_NONE)
		return;
	ev_begin(&w, o, "content_block_stop");
	jw_ki64(&w, "index", (int64_t)st->nblocks - 1);
	ev_end(&w);
	st->open = BLK_NONE;
}

/* The content_block of a text or thinking block's start: empty, the text
 * follows as deltas. */
static const char empty_text[] = "{\"type\":\"text\",\"text\":\"\"}";
static const char empty_thinking[] = "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}";

/* Starts a block of kind: its content_block_start event up to the
 * content_block, which the caller writes before ev_end(). */
static void open_block(struct anth_enc *st, struct jw *w, struct json_out *o, uint8_t kind)
{
	close_block(st, o);
	ev_begin(w, o, "content_block_start");
	jw_ki64(w, "index", st->nblocks);
	jw_key(w, "content_block");
	st->nblocks++;
	st->open = kind;
}

static void delta(struct json_out *o, int64_t index, enum delta k, const struct ir_str *v)
{
	struct jw w;
	ev_begin(&w, o, "content_block_delta");
	jw_ki64(&w, "index", index);
	jw_key(&w, "delta");
	jw_obj(&w);
	jw_kcstr(&w, "type", deltas[k].type);
	jw_kir_str(&w, members[deltas[k].member], v);
	jw_obj_end(&w);
	ev_end(&w);
}

static void write_message_start(struct xlate_stream *s, struct anth_enc *st, struct json_out *o)
{
	struct ir_str id = { st->id, st->id_len, st->id_kind };
	const struct ir_usage *u = &st->usage;
	struct jw jw, *w = &jw;

	ev_begin(w, o, "message_start");
	jw_key(w, "message");
	jw_obj(w);
	message_head(w, st->id_len ? &id : &default_id);
	jw_kcstr(w, "model", s->model ? s->model : "");
	jw_key(w, "content");
	jw_arr(w);
	jw_arr_end(w);
	jw_key(w, "stop_reason");
	jw_null(w);
	jw_key(w, "stop_sequence");
	jw_null(w);
	jw_key(w, "usage");
	jw_obj(w);
	jw_ki64(w, "input_tokens", u->have ? raw_input_of(u) : 0);
	if (u->have)
		cache_counts(w, u);
	jw_ki64(w, "output_tokens", u->have ? u->output : 0);
	jw_obj_end(w);
	jw_obj_end(w);
	ev_end(w);
	st->start_pending = 0;
	st->started = 1;
}

static void anth_encode_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	struct anth_enc *st = (struct anth_enc *)s->enc;
	const struct ir_usage *u = &st->usage;
	struct jw jw, *w = &jw;

	switch (ev->kind) {
	case EV_START:
		if (st->started || st->start_pending)
			return;		/* one message per stream */
		memset(st, 0, sizeof *st);
		memset(st->tool_block, 0xff, sizeof st->tool_block);	/* all -1 */
		st->start_pending = 1;
		if (has(&ev->id) && ev->id.n <= ANTH_ID_MAX && ev->id.kind != IR_JSON) {
			memcpy(st->id, ev->id.p, ev->id.n);
			st->id_len = (uint8_t)ev->id.n;
			st->id_kind = ev->id.kind;
		}
		return;
	case EV_USAGE:
		st->usage = ev->usage;
		st->usage.have = 1;
		return;
	case EV_FINISH:
		st->finish = ev->finish;
		return;
	case EV_ERROR:
		close_block(st, o);
		ev_begin(w, o, "error");
		enc_error_members(w, &ev->error, NULL);
		ev_end(w);
		return;
	}
	if (!st->started) {
		if (!st->start_pending)	/* no EV_START: start anyway */
			memset(st->tool_block, 0xff, sizeof st->tool_block);
		write_message_start(s, st, o);
	}

	switch (ev->kind) {
	case EV_TEXT:
	case EV_THINKING: {
		int th = ev->kind == EV_THINKING, text = has(&ev->text), sig = th && has(&ev->sig);
		if (!text && !sig)
			return;
		if (st->open != ev->kind) {
			open_block(st, w, o, ev->kind);
			if (th)
				jw_raw(w, empty_thinking, sizeof empty_thinking - 1);
			else
				jw_raw(w, empty_text, sizeof empty_text - 1);
			ev_end(w);
		}
		if (text)
			delta(o, (int64_t)st->nblocks - 1, th ? D_THINKING : D_TEXT, &ev->text);
		if (sig)
			delta(o, (int64_t)st->nblocks - 1, D_SIG, &ev->sig);
		return;
	}
	case EV_TOOL_START:
		if (ev->index >= IR_MAX_CALLS)
			return;
		open_block(st, w, o, BLK_TOOL);
		jw_obj(w);
		jw_kcstr(w, "type", "tool_use");
		jw_kir_str(w, "id", &ev->id);
		jw_kir_str(w, "name", &ev->name);
		jw_kraw(w, "input", "{}", 2);	/* the arguments follow as deltas */
		jw_obj_end(w);
		ev_end(w);
		st->tool_block[ev->index] = (int32_t)st->nblocks - 1;
		return;
	case EV_TOOL_ARGS:
		if (ev->index >= IR_MAX_CALLS || st->tool_block[ev->index] < 0 || !has(&ev->text))
			return;
		delta(o, st->tool_block[ev->index], D_JSON, &ev->text);
		return;
	case EV_END:
		close_block(st, o);
		ev_begin(w, o, "message_delta");
		jw_key(w, "delta");
		jw_obj(w);
		jw_kcstr(w, "stop_reason", stop_reason_name(st->finish, 0));
		jw_key(w, "stop_sequence");
		jw_null(w);
		jw_obj_end(w);
		jw_key(w, "usage");
		jw_obj(w);
		jw_ki64(w, "output_tokens", u->output);
		if (u->have) {
			jw_ki64(w, "input_tokens", raw_input_of(u));
			cache_counts(w, u);
		}
		jw_obj_end(w);
		ev_end(w);
		ev_begin(w, o, "message_stop");
		ev_end(w);
		return;
	}
}

static const char *anth_stream_type(const struct xlate_stream *s)
{
	return "text/event-stream";
}

static void anth_scan_usage(const char *js, size_t n, struct ir_usage *u)
{
	int64_t raw = 0;
	memset(u, 0, sizeof *u);
	usage_scan(js, n, u, &raw);
}

/* A client's own API version and betas go through (it wrote its body for
 * them); a translated body is written for 2023-06-01. */
static const struct dialect_header anth_headers[] = {
	{ "anthropic-version", "2023-06-01" },
	{ "anthropic-beta", NULL },
	{ NULL, NULL },
};

static int anth_count_tokens_path(const char *model, char *buf, size_t len)
{
	int n = fmt_snprintf(buf, len, "/v1/messages/count_tokens");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

const struct dialect_ops dialect_anthropic = {
	.id = DIALECT_ANTHROPIC,
	.name = "anthropic",
	.decode_request = anth_decode_request,
	.encode_request = anth_encode_request,
	.request_path = anth_request_path,
	.decode_response = anth_decode_response,
	.encode_response = anth_encode_response,
	.decode_error = anth_decode_error,
	.encode_error = anth_encode_error,
	.decode_event = anth_decode_event,
	.encode_event = anth_encode_event,
	.stream_type = anth_stream_type,
	.usage_key = "usage",
	.scan_usage = anth_scan_usage,
	.success_key = "content",
	.list_key = "messages",
	.request_id_header = "request-id",
	.headers = anth_headers,
	.count_tokens_path = anth_count_tokens_path,
	.count_tokens_key = "input_tokens",
	.end_marker = 1,	/* message_stop */
	.needs_max_tokens = 1,
	.status_529 = 1,
};
