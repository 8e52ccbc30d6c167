/*
 * dialect_anthropic.c - the Anthropic Messages dialect (POST /v1/messages)
 * around the intermediate form (ir.h, dialect.h): request, response, error
 * and SSE stream, both as the client's dialect and as the provider's.
 *
 * Decoders point IR strings into the JSON text they were given and copy
 * nothing; encoders write into the caller's bounded struct json_out. The
 * only state is per stream, in struct xlate_stream's dec/enc areas. Nothing
 * here allocates or blocks.
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
 *    messages or parts than the IR holds.
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

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

/* Name lists, packed "a\0b\0...\0" (json_list_find() and fmt_list_nth() walk them): one list
 * per closed set of names, shared by the decoder and the encoder. The
 * order is the order of the matching enum where there is one. */
#define ROLES "user\0assistant\0"			/* = IR_USER, IR_ASSISTANT */
#define BLOCKS "text\0image\0tool_use\0tool_result\0thinking\0redacted_thinking\0"
enum { B_TEXT, B_IMAGE, B_TOOL_USE, B_TOOL_RESULT, B_THINKING, B_REDACTED };	/* = IR_TEXT... for the first five */
#define TOOL_CHOICES "auto\0none\0any\0tool\0"		/* = IR_TC_AUTO - 1 ... */
/* stop_reason: the decoder maps index -> finish (an unknown one is a
 * stop), the encoder finish -> index. */
#define STOP_REASONS "max_tokens\0model_context_window_exceeded\0tool_use\0refusal\0end_turn\0stop_sequence\0"
/* Error types in enum ir_err_class order; api_error is the fallback. */
#define ERR_TYPES "invalid_request_error\0authentication_error\0billing_error\0permission_error\0" \
	"not_found_error\0request_too_large\0rate_limit_error\0api_error\0overloaded_error\0timeout_error\0"
#define ERR_MESSAGES "Invalid request\0Authentication failed\0Billing error\0Permission denied\0" \
	"Not found\0Request too large\0Rate limited\0Internal server error\0Overloaded\0Timeout\0"
/* Stream deltas and the key that carries each one's payload. */
#define DELTAS "text_delta\0input_json_delta\0thinking_delta\0signature_delta\0"
#define DELTA_KEYS "text\0partial_json\0thinking\0signature\0"
enum { D_TEXT, D_JSON, D_THINKING, D_SIG };
#define EVENTS "message_start\0content_block_start\0content_block_delta\0message_delta\0message_stop\0error\0"
enum { E_START, E_BLOCK_START, E_DELTA, E_MSG_DELTA, E_STOP, E_ERROR };



static int has(const struct ir_str *s)
{
	return s->p && s->n;
}

static int str_same(const struct ir_str *a, const struct ir_str *b)
{
	return a->p && b->p && a->kind == b->kind && a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Present and not null. */
static int given(const struct json_doc *d, int v)
{
	return v >= 0 && !json_is_null(d, v);
}

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

/* The values of the keys in a packed list in object obj -> v[] (-1 when
 * absent; the last duplicate wins, as with json_get), in one pass over
 * obj: a top-level object holds the messages or content, which every
 * json_get would walk again. */
static void get_keys(const struct json_doc *d, int obj, const char *list, int *v, int n)
{
	while (n--)
		v[n] = -1;
	if (!json_is_object(d, obj))
		return;
	for (int k = 0, i = obj + 1; k < d->tok[obj].size; k++, i = json_skip(d, i)) {
		int j = json_list_find(d, i, list);
		if (j >= 0)
			v[j] = i + 1;
	}
}

/* The writer: put() appends fmt with each of these bytes replaced by the
 * next argument, so one call writes what would be a run of json_lit()s. */
#define STR "\1"	/* const struct ir_str *: a JSON string (ir_write_string) */
#define NUM "\2"	/* int64_t */
#define LIT "\3"	/* const char *: verbatim */
#define CSTR "\4"	/* const char *: quoted (json_cstr) */
#define VAL "\5"	/* const struct ir_str *: tool input; {} when not valid JSON
			 * (a model's malformed arguments) */
#define SCHEMA "\6"	/* const struct ir_str *: ir_write_schema */

static void put(struct json_out *o, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	for (;; f++) {
		const char *q = f;
		while ((unsigned char)*q > 6)
			q++;
		json_raw_append(o, f, (size_t)(q - f));
		f = q;
		if (*f == 0)
			break;
		if (*f == 2) {
			json_i64(o, va_arg(ap, int64_t));
			continue;
		}
		/* every other directive takes a pointer: one va_arg for all */
		const void *a = va_arg(ap, const void *);
		if (*f == 3)
			json_lit(o, a);
		else if (*f == 4)
			json_cstr(o, a);
		else if (*f == 1)
			ir_write_string(o, a);
		else if (*f == 6)
			ir_write_schema(o, a);
		else if (ir_write_value(o, a) < 0)
			json_lit(o, "{}");
	}
	va_end(ap);
}

/* A "," before every item but the first (*n counts them). */
static void comma(struct json_out *o, int *n)
{
	if ((*n)++)
		json_lit(o, ",");
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
};

/* The message for the client (or the gateway's log): fmt with arg. */
static int failw(struct dec *r, const char *fmt, const char *arg)
{
	if (r->err && r->errlen)
		fmt_snprintf(r->err, r->errlen, fmt, arg);
	return -1;
}

static int fail(struct dec *r, const char *msg)
{
	return failw(r, "%s", msg);
}

static struct ir_part *new_part(struct dec *r, uint8_t kind)
{
	if (*r->nparts >= IR_MAX_PARTS) {
		failw(r, "too many %s", r->resp ? "content blocks" : "content parts");
		return NULL;
	}
	struct ir_part *p = &r->parts[(*r->nparts)++];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	return p;
}

/* The string and object fields of content blocks (and of an image's
 * source, and of a tool), as rows walked by get_fields() and set_fields():
 * the token type a field must have; whether it must be there (REQ), may
 * be absent (OPT) or is ignored when it is not of that type (ANY); the
 * message when it is wrong (an index in FIELD_MSGS, whose first four have
 * a response's wording 4 further on); and where its span goes. Each row's
 * key is the same-numbered name in FIELD_KEYS. */
#define FIELD_KEYS "text\0thinking\0signature\0id\0name\0input\0tool_use_id\0media_type\0data\0url\0" \
	"name\0description\0input_schema\0"
enum { F_TEXT = 0, F_THINKING = 1, F_TOOL_USE = 3, F_TOOL_RESULT = 6, F_BASE64 = 7, F_URL = 9, F_TOOL = 10 };
#define FIELD_MSGS "text block without a text string\0thinking block without thinking text\0" \
	"tool_use needs an id and a name\0tool_use input must be an object\0" \
	"text block without text\0thinking block without thinking\0malformed tool_use block\0malformed tool_use block\0" \
	"tool_result without tool_use_id\0image source needs media_type and data\0image url source needs a url\0" \
	"tool without a name\0tool input_schema must be an object\0"
enum { REQ, OPT, ANY };
static const struct field {
	uint8_t type, need, msg, off;
} fields[] = {
#define PART(f) offsetof(struct ir_part, f)
	{ JSMN_STRING, REQ, 0, PART(text) },		/* text */
	{ JSMN_STRING, REQ, 1, PART(text) },		/* thinking */
	{ JSMN_STRING, ANY, 0, PART(sig) },
	{ JSMN_STRING, REQ, 2, PART(a) },		/* tool_use */
	{ JSMN_STRING, REQ, 2, PART(b) },
	{ JSMN_OBJECT, OPT, 3, PART(args) },
	{ JSMN_STRING, REQ, 8, PART(a) },		/* tool_result */
	{ JSMN_STRING, REQ, 9, PART(a) },		/* image source base64 */
	{ JSMN_STRING, REQ, 9, PART(b) },
	{ JSMN_STRING, REQ, 10, PART(b) },		/* image source url */
	{ JSMN_STRING, REQ, 11, offsetof(struct ir_tool, name) },	/* tool */
	{ JSMN_STRING, ANY, 0, offsetof(struct ir_tool, description) },
	{ JSMN_OBJECT, OPT, 12, offsetof(struct ir_tool, parameters) },
};
_Static_assert(offsetof(struct ir_part, sig) < 256, "field offsets are bytes");

/* The tokens of fields [f, f + n) of obj -> v[] (-1: absent). 0, or -1
 * with the message of the first one that is wrong. */
static int get_fields(struct dec *r, int obj, unsigned f, unsigned n, int *v)
{
	const struct json_doc *d = r->d;
	const char *k = fmt_list_nth(FIELD_KEYS, f);
	for (unsigned i = 0; i < n; i++, k += strlen(k) + 1) {
		const struct field *fl = &fields[f + i];
		int t = v[i] = json_get(d, obj, k);
		if (t < 0 ? fl->need == REQ : d->tok[t].type != fl->type) {
			if (fl->need != ANY)
				return fail(r, fmt_list_nth(FIELD_MSGS, fl->msg + (r->resp ? 4u : 0u)));
			v[i] = -1;
		}
	}
	return 0;
}

static void set_fields(const struct json_doc *d, unsigned f, unsigned n, const int *v, void *base)
{
	for (unsigned i = 0; i < n; i++)
		*(struct ir_str *)(void *)((char *)base + fields[f + i].off) = ir_tok_str(d, v[i]);
}

/* Fields [f, f + n) of obj -> a new part of kind, or NULL. */
static struct ir_part *dec_part(struct dec *r, int obj, unsigned f, unsigned n, uint8_t kind)
{
	int v[3];
	struct ir_part *p;
	if (get_fields(r, obj, f, n, v) || !(p = new_part(r, kind)))
		return NULL;
	set_fields(r->d, f, n, v, p);
	return p;
}

static int dec_block(struct dec *r, int b, int t);

/* The blocks of array c: those whose type is in take (bits of B_*) are
 * decoded, those in skip passed over; any other is refused with fmt/what,
 * or passed over too when fmt is NULL. */
static int dec_blocks(struct dec *r, int c, unsigned take, unsigned skip, const char *fmt, const char *what)
{
	const struct json_doc *d = r->d;
	int n = d->tok[c].size;
	for (int k = 0, b = c + 1; k < n; k++, b = json_skip(d, b)) {
		int t = json_list_find(d, json_get(d, b, "type"), BLOCKS);
		unsigned bit = t < 0 ? 0 : 1u << t;
		if (bit & take) {
			if (dec_block(r, b, t))
				return -1;
		} else if (!(bit & skip) && fmt) {
			return failw(r, fmt, what);
		}
	}
	return 0;
}

#define STR_OR_ARRAY "%s must be a string or an array"
#define NOT_SUPPORTED "%s content block type not supported through translation"

/* The name of the earlier tool_use with this id, for Gemini. */
static struct ir_str call_name(const struct dec *r, const struct ir_str *id)
{
	struct ir_str none = { NULL, 0, IR_RAW };
	for (int i = (int)*r->nparts - 1; i >= 0; i--)
		if (r->parts[i].kind == IR_TOOL_CALL && str_same(&r->parts[i].a, id))
			return r->parts[i].b;
	return none;
}

/* Block b of type t (B_*, which is also the part's kind) -> new parts. */
static int dec_block(struct dec *r, int b, int t)
{
	static const uint8_t rows[][2] = {	/* the fields of each B_* */
		{ F_TEXT, 1 }, { 0, 0 }, { F_TOOL_USE, 3 }, { F_TOOL_RESULT, 1 }, { F_THINKING, 2 },
	};
	const struct json_doc *d = r->d;
	struct ir_part *p;
	int url = 0;

	if (t == B_IMAGE) {
		b = json_get(d, b, "source");
		url = json_list_find(d, json_get(d, b, "type"), "base64\0url\0");
		if (url < 0)
			return fail(r, "image source type not supported through translation (base64 and url are)");
		p = dec_part(r, b, url ? F_URL : F_BASE64, 2u - (unsigned)url, IR_IMAGE);
	} else {
		p = dec_part(r, b, rows[t][0], rows[t][1], (uint8_t)t);
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
		return failw(r, STR_OR_ARRAY, "tool_result content");
	uint16_t before = *r->nparts;
	if (dec_blocks(r, c, 1u << B_TEXT | 1u << B_IMAGE, 0, NOT_SUPPORTED, "tool_result"))
		return -1;
	p->nsub = (uint16_t)(*r->nparts - before);
	return 0;
}

/* ------------------------------------------------------------------ */
/* request decoding                                                    */

static int open_msg(struct dec *r, int role)
{
	if (r->ir->nmsgs >= IR_MAX_MSGS)
		return failw(r, "too many %s", "messages");
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
	int role = json_list_find(d, json_get(d, msg, "role"), ROLES), c = json_get(d, msg, "content");
	int str = json_is_string(d, c);

	if (role < 0)
		return fail(r, "message role must be user or assistant");
	if (!str && !json_is_array(d, c))
		return failw(r, STR_OR_ARRAY, "message content");
	if (role == IR_USER && !str) {
		/* The tool results first (as an IR_TOOL message), then the
		 * rest (as an IR_USER message). */
		if (open_msg(r, IR_TOOL) || dec_blocks(r, c, 1u << B_TOOL_RESULT, 0, NULL, NULL))
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
	} else if (role == IR_USER ? dec_blocks(r, c, 1u << B_TEXT | 1u << B_IMAGE, 1u << B_TOOL_RESULT, NOT_SUPPORTED, "user")
		   : dec_blocks(r, c, 1u << B_TEXT | 1u << B_TOOL_USE | 1u << B_THINKING,
				1u << B_REDACTED /* dropped: see the header */, NOT_SUPPORTED, "assistant")) {
		return -1;
	}
	close_msg(r);
	return 0;
}

#define REQ_KEYS "model\0system\0messages\0max_tokens\0temperature\0top_p\0top_k\0stop_sequences\0stream\0" \
	"tools\0tool_choice\0metadata\0thinking\0output_config\0"
enum { R_MODEL, R_SYSTEM, R_MESSAGES, R_MAX_TOKENS, R_TEMPERATURE, R_TOP_P, R_TOP_K, R_STOP, R_STREAM, R_TOOLS,
       R_TOOL_CHOICE, R_METADATA, R_THINKING, R_OUTPUT_CONFIG, R_N };

/* temperature, top_p, top_k (key index k, token v). */
static int dec_number(struct dec *r, int v, int k, struct ir_str *out)
{
	if (!given(r->d, v))
		return 0;
	if (!json_is_number(r->d, v))
		return failw(r, "%s must be a number", fmt_list_nth(REQ_KEYS, (unsigned)k));
	*out = ir_tok_str(r->d, v);
	return 0;
}

static int dec_tools(struct dec *r, int arr)
{
	const struct json_doc *d = r->d;
	if (!given(d, arr))
		return 0;
	if (!json_is_array(d, arr))
		return failw(r, "%s must be an array", "tools");
	int n = d->tok[arr].size;
	if (n > IR_MAX_TOOLS)
		return failw(r, "too many %s", "tools");
	for (int k = 0, t = arr + 1; k < n; k++, t = json_skip(d, t)) {
		int ty = json_get(d, t, "type"), v[3];
		if (given(d, ty) && !json_str_eq(d, ty, "custom"))
			return fail(r, "server tools (a tool with a type, e.g. web_search) cannot be translated to another provider");
		if (get_fields(r, t, F_TOOL, 3, v))
			return -1;
		set_fields(d, F_TOOL, 3, v, &r->ir->tools[r->ir->ntools++]);
	}
	return 0;
}

static int dec_tool_choice(struct dec *r, int tc)
{
	const struct json_doc *d = r->d;
	if (!given(d, tc))
		return 0;
	int c = json_list_find(d, json_get(d, tc, "type"), TOOL_CHOICES) + 1, dp = json_get(d, tc, "disable_parallel_tool_use");
	if (c == IR_TC_UNSET)
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

static void reset_request(struct ir_request *ir)
{
	struct ir_part *parts = ir->parts;
	struct ir_msg *msgs = ir->msgs;
	struct ir_tool *tools = ir->tools;
	memset(ir, 0, sizeof *ir);
	ir->parts = parts;
	ir->msgs = msgs;
	ir->tools = tools;
	ir->parallel_tools = -1;
	ir->max_tokens = -1;
	ir->seed = -1;
	ir->thinking_budget = -1;
}

static int anth_decode_request(const struct json_doc *d, struct ir_request *ir, char *err, size_t errlen)
{
	struct dec r = { d, ir, ir->parts, &ir->nparts, err, errlen, 0 };
	int key[R_N], v;

	reset_request(ir);
	if (!json_is_object(d, 0))
		return fail(&r, "request body must be a JSON object");
	get_keys(d, 0, REQ_KEYS, key, R_N);
	str_of(d, key[R_MODEL], &ir->model);

	/* System prompt: parts first, so they precede every message's. */
	v = key[R_SYSTEM];
	if (json_is_string(d, v)) {
		new_part(&r, IR_TEXT)->text = ir_tok_str(d, v);	/* the first part: there is room */
	} else if (json_is_array(d, v)) {
		if (dec_blocks(&r, v, 1u << B_TEXT, 0, "system blocks must be text blocks", NULL))
			return -1;
	} else if (given(d, v))
		return fail(&r, "system must be a string or an array of text blocks");
	ir->sys_n = ir->nparts;	/* sys_first is 0 */

	v = key[R_MESSAGES];
	if (!json_is_array(d, v))
		return failw(&r, "%s must be an array", "messages");
	int n = d->tok[v].size;
	for (int k = 0, m = v + 1; k < n; k++, m = json_skip(d, m)) {
		if (!json_is_object(d, m))
			return fail(&r, "each message must be an object");
		if (dec_message(&r, m))
			return -1;
	}

	if (given(d, v = key[R_MAX_TOKENS])) {
		if (json_get_i64(d, v, &ir->max_tokens) || ir->max_tokens < 1)
			return fail(&r, "max_tokens must be a positive integer");
	}
	static const uint16_t num_off[3] = { offsetof(struct ir_request, temperature), offsetof(struct ir_request, top_p),
					     offsetof(struct ir_request, top_k) };
	for (int i = 0; i < 3; i++)
		if (dec_number(&r, key[R_TEMPERATURE + i], R_TEMPERATURE + i, (struct ir_str *)(void *)((char *)ir + num_off[i])))
			return -1;

	if (given(d, v = key[R_STOP])) {
		if (!json_is_array(d, v))
			return fail(&r, "stop_sequences must be an array of strings");
		int ns = d->tok[v].size;
		if (ns > IR_MAX_STOP)
			return failw(&r, "too many %s", "stop_sequences");
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
		int ty = json_list_find(d, json_get(d, v, "type"), "enabled\0disabled\0adaptive\0");
		if (ty < 0)
			return fail(&r, "thinking.type must be enabled, disabled or adaptive");
		if (ty == 0) {
			if (json_get_i64(d, json_get(d, v, "budget_tokens"), &ir->thinking_budget) || ir->thinking_budget < 0)
				return fail(&r, "thinking.budget_tokens must be a non-negative integer");
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
	if (json_list_find(d, v, "low\0medium\0high\0") >= 0)
		ir->reasoning = ir_tok_str(d, v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* request and response content encoding                               */

#define TEXT_BLOCK "{\"type\":\"text\",\"text\":" STR "}"

static void enc_image(struct json_out *o, const struct ir_part *p)
{
	if (p->is_url)
		put(o, "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":" STR "}}", &p->b);
	else
		put(o, "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":" STR ",\"data\":" STR "}}",
		    &p->a, &p->b);
}

static void enc_part(struct json_out *o, const struct ir_part *p, unsigned nsub);

/* One tool result with the nsub content parts that follow it. */
__attribute__((noinline)) static void enc_tool_result(struct json_out *o, const struct ir_part *p, unsigned nsub)
{
	put(o, "{\"type\":\"tool_result\",\"tool_use_id\":" STR, &p->a);
	if (nsub) {
		json_lit(o, ",\"content\":[");
		int n = 0;
		for (unsigned k = 1; k <= nsub; k++) {
			const struct ir_part *s = p + k;
			if (s->kind == IR_TEXT ? has(&s->text) : s->kind == IR_IMAGE) {
				comma(o, &n);
				enc_part(o, s, 0);
			}
		}
		json_lit(o, "]");
	} else if (has(&p->text)) {
		put(o, ",\"content\":" STR, &p->text);
	}
	json_lit(o, p->is_error ? ",\"is_error\":true}" : "}");
}

/* One content block (a tool result takes the nsub parts after it). */
static void enc_part(struct json_out *o, const struct ir_part *p, unsigned nsub)
{
	switch (p->kind) {
	case IR_TEXT:
		put(o, TEXT_BLOCK, &p->text);
		break;
	case IR_IMAGE:
		enc_image(o, p);
		break;
	case IR_THINKING:
		put(o, "{\"type\":\"thinking\",\"thinking\":" STR ",\"signature\":" STR "}", &p->text, &p->sig);
		break;
	case IR_TOOL_CALL:
		put(o, "{\"type\":\"tool_use\",\"id\":" STR ",\"name\":" STR ",\"input\":" VAL "}", &p->a, &p->b, &p->args);
		break;
	case IR_TOOL_RESULT:
		enc_tool_result(o, p, nsub);
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
static void enc_msg_parts(struct json_out *o, const struct ir_request *ir, const struct ir_msg *m, int pass, int *n)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct ir_part *p = &ir->parts[m->first + i];
		int is_res = p->kind == IR_TOOL_RESULT;
		unsigned skip = is_res ? p->nsub : 0;
		if (skip > m->n - 1 - i)
			skip = m->n - 1 - i;	/* sub-parts past the message: ignore them */
		if ((pass == 2 || is_res != pass) && part_emits(p)) {
			comma(o, n);
			enc_part(o, p, skip);
		}
		i += skip;
	}
}

static void enc_messages(struct json_out *o, const struct ir_request *ir)
{
	json_lit(o, ",\"messages\":[");
	int nm = 0;
	unsigned i = 0;
	while (i < ir->nmsgs) {
		if (!msg_emits(ir, &ir->msgs[i])) {
			i++;
			continue;
		}
		int role = ir->msgs[i].role == IR_ASSISTANT;	/* IR_TOOL is a user turn */
		unsigned j = i + 1;	/* the group is [i, j) */
		while (j < ir->nmsgs && (!msg_emits(ir, &ir->msgs[j]) || (ir->msgs[j].role == IR_ASSISTANT) == role))
			j++;
		comma(o, &nm);
		put(o, "{\"role\":\"" LIT "\",\"content\":[", fmt_list_nth(ROLES, (unsigned)role));
		int n = 0, pass = role ? 2 : 0;
		do {
			for (unsigned k = i; k < j; k++)
				enc_msg_parts(o, ir, &ir->msgs[k], pass, &n);
		} while (pass++ == 0);	/* a user turn: results, then the rest */
		json_lit(o, "]}");
		i = j;
	}
	json_lit(o, "]");
}

/* A number field; temperature (clamp): OpenAI allows 0..2, Anthropic 0..1. */
static void enc_number(struct json_out *o, const char *k, const struct ir_str *t, int clamp)
{
	if (!t->p || t->kind != IR_JSON)
		return;
	put(o, ",\"" LIT "\":", k);
	if (clamp && t->n < 64) {
		char buf[64];
		memcpy(buf, t->p, t->n);
		buf[t->n] = 0;
		const char *end;
		double v = fmt_strtod(buf, &end);
		if (end != buf && v > 1.0) {
			json_lit(o, "1");
			return;
		}
	}
	json_raw_append(o, t->p, t->n);
}

static int sys_text(const struct ir_request *ir, unsigned i)
{
	const struct ir_part *p = &ir->parts[ir->sys_first + i];
	return p->kind == IR_TEXT && p->text.p;
}

static int anth_encode_request(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen)
{
	unsigned i, ns = 0;
	int n = 0;

	put(o, "{\"model\":" CSTR ",\"max_tokens\":" NUM, model ? model : "",
	    ir->max_tokens > 0 ? ir->max_tokens : (int64_t)ANTH_DEFAULT_MAX_TOKENS);

	/* system: one part as a string, several as text blocks */
	for (i = 0; i < ir->sys_n && ir->sys_first + i < ir->nparts; i++)
		ns += (unsigned)sys_text(ir, i);
	if (ns) {
		json_lit(o, ns > 1 ? ",\"system\":[" : ",\"system\":");
		for (i = 0; i < ir->sys_n && ir->sys_first + i < ir->nparts; i++) {
			if (!sys_text(ir, i))
				continue;
			comma(o, &n);
			put(o, ns > 1 ? TEXT_BLOCK : STR, &ir->parts[ir->sys_first + i].text);
		}
		if (ns > 1)
			json_lit(o, "]");
	}

	enc_messages(o, ir);

	if (ir->ntools) {
		json_lit(o, ",\"tools\":[");
		for (i = 0; i < ir->ntools; i++) {
			const struct ir_tool *t = &ir->tools[i];
			put(o, &",{\"name\":" STR[!i], &t->name);
			if (t->description.p)
				put(o, ",\"description\":" STR, &t->description);
			if (t->parameters.p && t->parameters.kind == IR_JSON)
				put(o, ",\"input_schema\":" SCHEMA "}", &t->parameters);
			else
				json_lit(o, ",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}");
		}
		json_lit(o, "]");

		/* auto, none, any, tool; auto when only parallel use is limited */
		unsigned c = ir->tool_choice;
		if (c - 1 < 4 || ir->parallel_tools == 0) {
			put(o, ",\"tool_choice\":{\"type\":\"" LIT "\"", fmt_list_nth(TOOL_CHOICES, c - 1 < 4 ? c - 1 : 0));
			if (c == IR_TC_TOOL)
				put(o, ",\"name\":" STR, &ir->tool_choice_name);
			json_lit(o, ir->parallel_tools == 0 && c != IR_TC_NONE ? ",\"disable_parallel_tool_use\":true}" : "}");
		}
	}

	if (ir->nstop) {
		json_lit(o, ",\"stop_sequences\":[");
		for (i = 0; i < ir->nstop && i < IR_MAX_STOP; i++)
			put(o, &"," STR[!i], &ir->stop[i]);
		json_lit(o, "]");
	}
	enc_number(o, "temperature", &ir->temperature, 1);
	enc_number(o, "top_p", &ir->top_p, 0);
	enc_number(o, "top_k", &ir->top_k, 0);
	if (ir->stream)
		json_lit(o, ",\"stream\":true");
	if (ir->user.p)
		put(o, ",\"metadata\":{\"user_id\":" STR "}", &ir->user);
	if (ir->thinking_budget > 0)
		put(o, ",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":" NUM "}",
		    ir->thinking_budget < ANTH_MIN_THINKING_BUDGET ? (int64_t)ANTH_MIN_THINKING_BUDGET : ir->thinking_budget);
	else if (ir->thinking_budget == 0)
		json_lit(o, ",\"thinking\":{\"type\":\"disabled\"}");
	if (ir->format == IR_FMT_JSON_SCHEMA && ir->schema.p && ir->schema.kind == IR_JSON)
		put(o, ",\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":" SCHEMA "}}", &ir->schema);
	json_lit(o, "}");
	return 0;
}

static int anth_request_path(const char *model, int stream, char *buf, size_t len)
{
	int n = fmt_snprintf(buf, len, "/v1/messages");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* responses                                                           */

static uint8_t finish_of(const struct json_doc *d, int v)
{
	if (!given(d, v))
		return IR_FIN_NONE;
	int k = json_list_find(d, v, STOP_REASONS);	/* end_turn, stop_sequence, pause_turn, unknown: stop */
	return k >= 0 && k < 4 ? (uint8_t)"\2\2\3\4"[k] : IR_FIN_STOP;
}

__attribute__((noinline)) static const char *stop_reason_name(uint8_t f, int have_seq)
{
	/* none, stop, length, tool calls, content filter -> end_turn,
	 * end_turn or stop_sequence, max_tokens, tool_use, refusal */
	return fmt_list_nth(STOP_REASONS, f < 5 ? (unsigned)"\4\4\0\2\3"[f] + (f == IR_FIN_STOP && have_seq) : 4);
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
	struct ir_part *parts = r->parts;
	struct dec x = { d, NULL, parts, &r->nparts, err, errlen, 1 };
	int key[K_N];
	int64_t raw = 0;

	memset(r, 0, sizeof *r);
	r->parts = parts;
	if (!json_is_object(d, 0))
		return fail(&x, "response is not a JSON object");
	get_keys(d, 0, "type\0content\0id\0model\0stop_reason\0stop_sequence\0usage\0", key, K_N);
	if (key[K_TYPE] >= 0 && !json_str_eq(d, key[K_TYPE], "message"))
		return fail(&x, "response is not a message");
	if (!json_is_array(d, key[K_CONTENT]))
		return fail(&x, "response has no content array");
	str_of(d, key[K_ID], &r->id);
	str_of(d, key[K_MODEL], &r->model);
	/* redacted_thinking, server tool blocks, unknown: dropped */
	if (dec_blocks(&x, key[K_CONTENT], 1u << B_TEXT | 1u << B_TOOL_USE | 1u << B_THINKING, 0, NULL, NULL))
		return -1;
	r->finish = finish_of(d, key[K_STOP_REASON]);
	str_of(d, key[K_STOP_SEQUENCE], &r->stop_sequence);
	usage_read(d, key[K_USAGE], &r->usage, &raw);
	return 0;
}

__attribute__((noinline)) static int64_t raw_input_of(const struct ir_usage *u)
{
	int64_t x = u->input - u->cached - u->cache_write;
	return x < 0 ? 0 : x;
}

/* The cache counts of a usage object, written by all three encoders. */
__attribute__((noinline)) static void cache_counts(struct json_out *o, const struct ir_usage *u)
{
	put(o, ",\"cache_creation_input_tokens\":" NUM ",\"cache_read_input_tokens\":" NUM, u->cache_write, u->cached);
}

static const struct ir_str default_id = { "msg_llmgw", 9, IR_RAW };

#define MESSAGE_HEAD ",\"type\":\"message\",\"role\":\"assistant\",\"model\":"

static void anth_encode_response(const struct ir_response *r, const char *model, struct json_out *o)
{
	put(o, "{\"id\":" STR MESSAGE_HEAD, has(&r->id) ? &r->id : &default_id);
	if (model)
		json_cstr(o, model);
	else
		ir_write_string(o, &r->model);
	json_lit(o, ",\"content\":[");
	int n = 0;
	for (unsigned i = 0; i < r->nparts; i++) {
		const struct ir_part *p = &r->parts[i];
		if (p->kind == IR_TEXT ? has(&p->text) : p->kind == IR_THINKING || p->kind == IR_TOOL_CALL) {
			comma(o, &n);
			enc_part(o, p, 0);
		}
	}
	if (r->finish == IR_FIN_NONE)
		json_lit(o, "],\"stop_reason\":null");
	else
		put(o, "],\"stop_reason\":\"" LIT "\"", stop_reason_name(r->finish, r->stop_sequence.p != NULL));
	if (r->finish == IR_FIN_STOP && r->stop_sequence.p)
		put(o, ",\"stop_sequence\":" STR, &r->stop_sequence);
	else
		json_lit(o, ",\"stop_sequence\":null");
	const struct ir_usage *u = &r->usage;
	put(o, ",\"usage\":{\"input_tokens\":" NUM ",\"output_tokens\":" NUM, raw_input_of(u), u->output);
	cache_counts(o, u);
	json_lit(o, "}}");
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
	int k = json_list_find(d, str_at(d, er, "type", &e->type), ERR_TYPES);
	if (k >= 0)
		e->cls = (uint8_t)k;
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

/* ,"error":{"type":...,"message":...}, then the request id when given. */
static void enc_error_tail(const struct ir_error *e, const struct ir_str *request_id, struct json_out *o)
{
	unsigned k = e->cls <= IR_ERR_TIMEOUT ? e->cls : IR_ERR_SERVER;
	put(o, ",\"error\":{\"type\":\"" LIT "\",\"message\":", fmt_list_nth(ERR_TYPES, k));
	if (has(&e->message))
		put(o, STR "}", &e->message);
	else
		put(o, CSTR "}", fmt_list_nth(ERR_MESSAGES, k));
	if (request_id && request_id->p)
		put(o, ",\"request_id\":" STR, request_id);
}

static void anth_encode_error(const struct ir_error *e, struct json_out *o)
{
	json_lit(o, "{\"type\":\"error\"");
	enc_error_tail(e, &e->request_id, o);
	json_lit(o, "}");
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
	int key[6];	/* type, then the object each kind carries, index, usage */
	get_keys(d, 0, "type\0message\0content_block\0delta\0index\0usage\0", key, 6);
	if (!json_is_string(d, key[0]))
		return -1;
	int k = json_list_find(d, key[0], EVENTS);
	int m = key[k == E_START ? 1 : k == E_BLOCK_START ? 2 : 3];
	if ((k == E_BLOCK_START || k == E_DELTA) && (json_get_i64(d, key[4], &idx) || idx < 0))
		return -1;
	if ((unsigned)k <= E_DELTA && !json_is_object(d, m))
		return -1;
	enum { M_TYPE, M_ID, M_NAME, M_MODEL, M_USAGE, M_INPUT, M_STOP_REASON, M_DELTA, M_N = M_DELTA + 4 };
	int mv[M_N];	/* the members of m; M_DELTA + D_*: each delta's payload */
	get_keys(d, m, "type\0id\0name\0model\0usage\0input\0stop_reason\0" DELTA_KEYS, mv, M_N);
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
		i = json_list_find(d, mv[M_TYPE], BLOCKS);
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
		i = json_list_find(d, mv[M_TYPE], DELTAS);
		if (i < 0)
			break;		/* citations_delta, unknown deltas: ignored */
	text:
		if (!json_is_string(d, v = mv[M_DELTA + i]))
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
		ev.kind = (uint8_t)"\1\4\2\2"[i];	/* EV_TEXT, EV_TOOL_ARGS, EV_THINKING */
		emit(s, &ev);
		break;
	case E_MSG_DELTA:
		v = mv[M_STOP_REASON];
		if (json_is_string(d, v)) {
			ev.kind = EV_FINISH;
			ev.finish = finish_of(d, v);
			emit(s, &ev);
		}
		emit_usage(s, st, d, key[5], &ev);
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

/* "event: NAME" and the data up to its "type":"NAME"; the caller writes
 * the rest of the object and "\n\n". */
static void ev_begin(struct json_out *o, const char *name)
{
	put(o, "event: " LIT "\ndata: {\"type\":\"" LIT "\"", name, name);
}

static void close_block(struct anth_enc *st, struct json_out *o)
{
	if (st->open == BLK_NONE)
		return;
	ev_begin(o, "content_block_stop");
	put(o, ",\"index\":" NUM "}\n\n", (int64_t)st->nblocks - 1);
	st->open = BLK_NONE;
}

/* Starts block kind, whose content_block is put(cb, a, b). */
static void open_block(struct anth_enc *st, struct json_out *o, uint8_t kind, const char *cb,
		       const struct ir_str *a, const struct ir_str *b)
{
	close_block(st, o);
	ev_begin(o, "content_block_start");
	put(o, ",\"index\":" NUM ",\"content_block\":", (int64_t)st->nblocks);
	put(o, cb, a, b);
	json_lit(o, "}\n\n");
	st->nblocks++;
	st->open = kind;
}

static void delta(struct json_out *o, int64_t index, unsigned k, const struct ir_str *v)
{
	ev_begin(o, "content_block_delta");
	put(o, ",\"index\":" NUM ",\"delta\":{\"type\":\"" LIT "\",\"" LIT "\":" STR "}}\n\n", index, fmt_list_nth(DELTAS, k),
	    fmt_list_nth(DELTA_KEYS, k), v);
}

static void write_message_start(struct xlate_stream *s, struct anth_enc *st, struct json_out *o)
{
	struct ir_str id = { st->id, st->id_len, st->id_kind };
	const struct ir_usage *u = &st->usage;
	ev_begin(o, "message_start");
	put(o, ",\"message\":{\"id\":" STR MESSAGE_HEAD CSTR
	    ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":" NUM,
	    st->id_len ? &id : &default_id, s->model ? s->model : "", u->have ? raw_input_of(u) : 0);
	if (u->have)
		cache_counts(o, u);
	put(o, ",\"output_tokens\":" NUM "}}}\n\n", u->have ? u->output : 0);
	st->start_pending = 0;
	st->started = 1;
}

static void anth_encode_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	struct anth_enc *st = (struct anth_enc *)s->enc;
	const struct ir_usage *u = &st->usage;

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
		ev_begin(o, "error");
		enc_error_tail(&ev->error, NULL, o);
		json_lit(o, "}\n\n");
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
		if (st->open != ev->kind)
			open_block(st, o, ev->kind, th ? "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}"
							: "{\"type\":\"text\",\"text\":\"\"}", NULL, NULL);
		if (text)
			delta(o, (int64_t)st->nblocks - 1, th ? D_THINKING : D_TEXT, &ev->text);
		if (sig)
			delta(o, (int64_t)st->nblocks - 1, D_SIG, &ev->sig);
		return;
	}
	case EV_TOOL_START:
		if (ev->index >= IR_MAX_CALLS)
			return;
		open_block(st, o, BLK_TOOL, "{\"type\":\"tool_use\",\"id\":" STR ",\"name\":" STR ",\"input\":{}}",
			   &ev->id, &ev->name);
		st->tool_block[ev->index] = (int32_t)st->nblocks - 1;
		return;
	case EV_TOOL_ARGS:
		if (ev->index >= IR_MAX_CALLS || st->tool_block[ev->index] < 0 || !has(&ev->text))
			return;
		delta(o, st->tool_block[ev->index], D_JSON, &ev->text);
		return;
	case EV_END:
		close_block(st, o);
		ev_begin(o, "message_delta");
		put(o, ",\"delta\":{\"stop_reason\":\"" LIT "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" NUM,
		    stop_reason_name(st->finish, 0), u->output);
		if (u->have) {
			put(o, ",\"input_tokens\":" NUM, raw_input_of(u));
			cache_counts(o, u);
		}
		json_lit(o, "}}\n\n");
		ev_begin(o, "message_stop");
		json_lit(o, "}\n\n");
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
