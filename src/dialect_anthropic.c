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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "dialect.h"

#define ANTH_DEFAULT_MAX_TOKENS 4096
#define ANTH_MIN_THINKING_BUDGET 1024

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static int fail(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		fmt_snprintf(err, errlen, "%s", msg);
	return -1;
}

static int str_same(const struct ir_str *a, const struct ir_str *b)
{
	return a->p && b->p && a->kind == b->kind && a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Writes s as a JSON string value when present, else "". */
static void put_str(struct json_out *o, const struct ir_str *s)
{
	ir_write_string(o, s);
}

static void key(struct json_out *o, const char *k)
{
	json_lit(o, ",\"");
	json_lit(o, k);
	json_lit(o, "\":");
}

/* ------------------------------------------------------------------ */
/* request decoding                                                    */

struct req_dec {
	const struct json_doc *d;
	struct ir_request *ir;
	char *err;
	size_t errlen;
};

static struct ir_part *new_part(struct req_dec *r, uint8_t kind)
{
	if (r->ir->nparts >= IR_MAX_PARTS)
		return NULL;
	struct ir_part *p = &r->ir->parts[r->ir->nparts++];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	return p;
}

static int too_many(struct req_dec *r)
{
	return fail(r->err, r->errlen, "too many content parts");
}

static int dec_text_block(struct req_dec *r, int blk)
{
	int t = json_get(r->d, blk, "text");
	if (!json_is_string(r->d, t))
		return fail(r->err, r->errlen, "text block without a text string");
	struct ir_part *p = new_part(r, IR_TEXT);
	if (!p)
		return too_many(r);
	p->text = ir_tok_str(r->d, t);
	return 0;
}

static int dec_image_block(struct req_dec *r, int blk)
{
	const struct json_doc *d = r->d;
	int src = json_get(d, blk, "source");
	int ty = json_get(d, src, "type");
	struct ir_part *p;

	if (json_str_eq(d, ty, "base64")) {
		int mt = json_get(d, src, "media_type"), data = json_get(d, src, "data");
		if (!json_is_string(d, mt) || !json_is_string(d, data))
			return fail(r->err, r->errlen, "image source needs media_type and data");
		if (!(p = new_part(r, IR_IMAGE)))
			return too_many(r);
		p->a = ir_tok_str(d, mt);
		p->b = ir_tok_str(d, data);
		return 0;
	}
	if (json_str_eq(d, ty, "url")) {
		int url = json_get(d, src, "url");
		if (!json_is_string(d, url))
			return fail(r->err, r->errlen, "image url source needs a url");
		if (!(p = new_part(r, IR_IMAGE)))
			return too_many(r);
		p->is_url = 1;
		p->b = ir_tok_str(d, url);
		return 0;
	}
	return fail(r->err, r->errlen, "image source type not supported through translation (base64 and url are)");
}

/* The name of the earlier tool_use with this id, for Gemini. */
static struct ir_str call_name(const struct ir_request *ir, const struct ir_str *id)
{
	struct ir_str none = { NULL, 0, IR_RAW };
	for (int i = (int)ir->nparts - 1; i >= 0; i--)
		if (ir->parts[i].kind == IR_TOOL_CALL && str_same(&ir->parts[i].a, id))
			return ir->parts[i].b;
	return none;
}

static int dec_tool_result(struct req_dec *r, int blk)
{
	const struct json_doc *d = r->d;
	int id = json_get(d, blk, "tool_use_id"), c = json_get(d, blk, "content");
	int ie = json_get(d, blk, "is_error");
	struct ir_part *p;

	if (!json_is_string(d, id))
		return fail(r->err, r->errlen, "tool_result without tool_use_id");
	if (!(p = new_part(r, IR_TOOL_RESULT)))
		return too_many(r);
	p->a = ir_tok_str(d, id);
	p->b = call_name(r->ir, &p->a);
	p->is_error = json_is_true(d, ie);
	if (c < 0 || json_is_null(d, c))
		return 0;
	if (json_is_string(d, c)) {
		p->text = ir_tok_str(d, c);
		return 0;
	}
	if (!json_is_array(d, c))
		return fail(r->err, r->errlen, "tool_result content must be a string or an array");
	int n = d->tok[c].size;
	for (int k = 0, b = c + 1; k < n; k++, b = json_skip(d, b)) {
		int bt = json_get(d, b, "type");
		int rc;
		if (json_str_eq(d, bt, "text"))
			rc = dec_text_block(r, b);
		else if (json_str_eq(d, bt, "image"))
			rc = dec_image_block(r, b);
		else
			return fail(r->err, r->errlen, "tool_result content block type not supported through translation");
		if (rc)
			return rc;
		p->nsub++;
	}
	return 0;
}

static int dec_tool_use(struct req_dec *r, int blk)
{
	const struct json_doc *d = r->d;
	int id = json_get(d, blk, "id"), nm = json_get(d, blk, "name"), in = json_get(d, blk, "input");
	struct ir_part *p;

	if (!json_is_string(d, id) || !json_is_string(d, nm))
		return fail(r->err, r->errlen, "tool_use needs an id and a name");
	if (in >= 0 && !json_is_object(d, in))
		return fail(r->err, r->errlen, "tool_use input must be an object");
	if (!(p = new_part(r, IR_TOOL_CALL)))
		return too_many(r);
	p->a = ir_tok_str(d, id);
	p->b = ir_tok_str(d, nm);
	if (in >= 0)
		p->args = ir_tok_str(d, in);
	else
		p->args = (struct ir_str){ "{}", 2, IR_JSON };
	return 0;
}

static int dec_thinking(struct req_dec *r, int blk)
{
	const struct json_doc *d = r->d;
	int t = json_get(d, blk, "thinking"), sg = json_get(d, blk, "signature");
	struct ir_part *p;

	if (!json_is_string(d, t))
		return fail(r->err, r->errlen, "thinking block without thinking text");
	if (!(p = new_part(r, IR_THINKING)))
		return too_many(r);
	p->text = ir_tok_str(d, t);
	if (json_is_string(d, sg))
		p->sig = ir_tok_str(d, sg);
	return 0;
}

static int open_msg(struct req_dec *r, uint8_t role)
{
	if (r->ir->nmsgs >= IR_MAX_MSGS)
		return fail(r->err, r->errlen, "too many messages");
	struct ir_msg *m = &r->ir->msgs[r->ir->nmsgs];
	m->role = role;
	m->first = r->ir->nparts;
	m->n = 0;
	return 0;
}

/* Closes the message opened last; an empty one is not kept. */
static void close_msg(struct req_dec *r)
{
	struct ir_msg *m = &r->ir->msgs[r->ir->nmsgs];
	m->n = (uint16_t)(r->ir->nparts - m->first);
	if (m->n)
		r->ir->nmsgs++;
}

static int dec_message(struct req_dec *r, int msg)
{
	const struct json_doc *d = r->d;
	int role = json_get(d, msg, "role"), c = json_get(d, msg, "content");
	int user;

	if (json_str_eq(d, role, "user"))
		user = 1;
	else if (json_str_eq(d, role, "assistant"))
		user = 0;
	else
		return fail(r->err, r->errlen, "message role must be user or assistant");

	if (json_is_string(d, c)) {
		if (open_msg(r, user ? IR_USER : IR_ASSISTANT))
			return -1;
		struct ir_part *p = new_part(r, IR_TEXT);
		if (!p)
			return too_many(r);
		p->text = ir_tok_str(d, c);
		close_msg(r);
		return 0;
	}
	if (!json_is_array(d, c))
		return fail(r->err, r->errlen, "message content must be a string or an array");
	int n = d->tok[c].size;

	if (!user) {
		if (open_msg(r, IR_ASSISTANT))
			return -1;
		for (int k = 0, b = c + 1; k < n; k++, b = json_skip(d, b)) {
			int t = json_get(d, b, "type"), rc = 0;
			if (json_str_eq(d, t, "text"))
				rc = dec_text_block(r, b);
			else if (json_str_eq(d, t, "tool_use"))
				rc = dec_tool_use(r, b);
			else if (json_str_eq(d, t, "thinking"))
				rc = dec_thinking(r, b);
			else if (json_str_eq(d, t, "redacted_thinking"))
				rc = 0;		/* dropped: see the header */
			else
				rc = fail(r->err, r->errlen, "assistant content block type not supported through translation");
			if (rc)
				return rc;
		}
		close_msg(r);
		return 0;
	}

	/* User turn: the tool results first (as an IR_TOOL message), then
	 * the rest (as an IR_USER message). */
	if (open_msg(r, IR_TOOL))
		return -1;
	for (int k = 0, b = c + 1; k < n; k++, b = json_skip(d, b))
		if (json_str_eq(d, json_get(d, b, "type"), "tool_result") && dec_tool_result(r, b))
			return -1;
	close_msg(r);
	if (open_msg(r, IR_USER))
		return -1;
	for (int k = 0, b = c + 1; k < n; k++, b = json_skip(d, b)) {
		int t = json_get(d, b, "type"), rc = 0;
		if (json_str_eq(d, t, "tool_result"))
			continue;
		if (json_str_eq(d, t, "text"))
			rc = dec_text_block(r, b);
		else if (json_str_eq(d, t, "image"))
			rc = dec_image_block(r, b);
		else
			rc = fail(r->err, r->errlen, "user content block type not supported through translation");
		if (rc)
			return rc;
	}
	close_msg(r);
	return 0;
}

static int dec_number(struct req_dec *r, int v, struct ir_str *out, const char *what)
{
	if (v < 0 || json_is_null(r->d, v))
		return 0;
	if (!json_is_number(r->d, v)) {
		char m[96];
		fmt_snprintf(m, sizeof m, "%s must be a number", what);
		return fail(r->err, r->errlen, m);
	}
	*out = ir_tok_str(r->d, v);
	return 0;
}

static int dec_tools(struct req_dec *r, int arr)
{
	const struct json_doc *d = r->d;
	if (arr < 0 || json_is_null(d, arr))
		return 0;
	if (!json_is_array(d, arr))
		return fail(r->err, r->errlen, "tools must be an array");
	int n = d->tok[arr].size;
	if (n > IR_MAX_TOOLS)
		return fail(r->err, r->errlen, "too many tools");
	for (int k = 0, t = arr + 1; k < n; k++, t = json_skip(d, t)) {
		int ty = json_get(d, t, "type"), nm = json_get(d, t, "name");
		int ds = json_get(d, t, "description"), sc = json_get(d, t, "input_schema");
		if (ty >= 0 && !json_is_null(d, ty) && !json_str_eq(d, ty, "custom"))
			return fail(r->err, r->errlen,
				    "server tools (a tool with a type, e.g. web_search) cannot be translated to another provider");
		if (!json_is_string(d, nm))
			return fail(r->err, r->errlen, "tool without a name");
		if (sc >= 0 && !json_is_object(d, sc))
			return fail(r->err, r->errlen, "tool input_schema must be an object");
		struct ir_tool *tl = &r->ir->tools[r->ir->ntools++];
		memset(tl, 0, sizeof *tl);
		tl->name = ir_tok_str(d, nm);
		if (json_is_string(d, ds))
			tl->description = ir_tok_str(d, ds);
		if (sc >= 0)
			tl->parameters = ir_tok_str(d, sc);
	}
	return 0;
}

static int dec_tool_choice(struct req_dec *r, int tc)
{
	const struct json_doc *d = r->d;
	if (tc < 0 || json_is_null(d, tc))
		return 0;
	int ty = json_get(d, tc, "type"), dp = json_get(d, tc, "disable_parallel_tool_use");
	if (json_str_eq(d, ty, "auto"))
		r->ir->tool_choice = IR_TC_AUTO;
	else if (json_str_eq(d, ty, "any"))
		r->ir->tool_choice = IR_TC_REQUIRED;
	else if (json_str_eq(d, ty, "none"))
		r->ir->tool_choice = IR_TC_NONE;
	else if (json_str_eq(d, ty, "tool")) {
		int nm = json_get(d, tc, "name");
		if (!json_is_string(d, nm))
			return fail(r->err, r->errlen, "tool_choice of type tool needs a name");
		r->ir->tool_choice = IR_TC_TOOL;
		r->ir->tool_choice_name = ir_tok_str(d, nm);
	} else
		return fail(r->err, r->errlen, "tool_choice type must be auto, any, tool or none");
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
	struct req_dec r = { d, ir, err, errlen };
	int v;

	reset_request(ir);
	if (!json_is_object(d, 0))
		return fail(err, errlen, "request body must be a JSON object");
	if (json_is_string(d, v = json_get(d, 0, "model")))
		ir->model = ir_tok_str(d, v);

	/* System prompt: parts first, so they precede every message's. */
	v = json_get(d, 0, "system");
	ir->sys_first = ir->nparts;
	if (json_is_string(d, v)) {
		struct ir_part *p = new_part(&r, IR_TEXT);
		p->text = ir_tok_str(d, v);
	} else if (json_is_array(d, v)) {
		int n = d->tok[v].size;
		for (int k = 0, b = v + 1; k < n; k++, b = json_skip(d, b)) {
			if (!json_str_eq(d, json_get(d, b, "type"), "text"))
				return fail(err, errlen, "system blocks must be text blocks");
			if (dec_text_block(&r, b))
				return -1;
		}
	} else if (v >= 0 && !json_is_null(d, v))
		return fail(err, errlen, "system must be a string or an array of text blocks");
	ir->sys_n = (uint16_t)(ir->nparts - ir->sys_first);

	v = json_get(d, 0, "messages");
	if (!json_is_array(d, v))
		return fail(err, errlen, "messages must be an array");
	int n = d->tok[v].size;
	for (int k = 0, m = v + 1; k < n; k++, m = json_skip(d, m)) {
		if (!json_is_object(d, m))
			return fail(err, errlen, "each message must be an object");
		if (dec_message(&r, m))
			return -1;
	}

	if ((v = json_get(d, 0, "max_tokens")) >= 0 && !json_is_null(d, v)) {
		int64_t mt;
		if (json_get_i64(d, v, &mt) || mt < 1)
			return fail(err, errlen, "max_tokens must be a positive integer");
		ir->max_tokens = mt;
	}
	if (dec_number(&r, json_get(d, 0, "temperature"), &ir->temperature, "temperature") ||
	    dec_number(&r, json_get(d, 0, "top_p"), &ir->top_p, "top_p") ||
	    dec_number(&r, json_get(d, 0, "top_k"), &ir->top_k, "top_k"))
		return -1;

	if ((v = json_get(d, 0, "stop_sequences")) >= 0 && !json_is_null(d, v)) {
		if (!json_is_array(d, v))
			return fail(err, errlen, "stop_sequences must be an array of strings");
		int ns = d->tok[v].size;
		if (ns > IR_MAX_STOP)
			return fail(err, errlen, "too many stop_sequences");
		for (int k = 0, s = v + 1; k < ns; k++, s = json_skip(d, s)) {
			if (!json_is_string(d, s))
				return fail(err, errlen, "stop_sequences must be an array of strings");
			ir->stop[ir->nstop++] = ir_tok_str(d, s);
		}
	}
	ir->stream = json_is_true(d, json_get(d, 0, "stream"));

	if (dec_tools(&r, json_get(d, 0, "tools")) || dec_tool_choice(&r, json_get(d, 0, "tool_choice")))
		return -1;

	v = json_get(d, json_get(d, 0, "metadata"), "user_id");
	if (json_is_string(d, v))
		ir->user = ir_tok_str(d, v);

	if ((v = json_get(d, 0, "thinking")) >= 0 && !json_is_null(d, v)) {
		int ty = json_get(d, v, "type");
		if (json_str_eq(d, ty, "enabled")) {
			int64_t b;
			if (json_get_i64(d, json_get(d, v, "budget_tokens"), &b) || b < 0)
				return fail(err, errlen, "thinking.budget_tokens must be a non-negative integer");
			ir->thinking_budget = b;
		} else if (json_str_eq(d, ty, "disabled")) {
			ir->thinking_budget = 0;
		} else if (!json_str_eq(d, ty, "adaptive")) {
			return fail(err, errlen, "thinking.type must be enabled, disabled or adaptive");
		}
	}

	int oc = json_get(d, 0, "output_config");
	if ((v = json_get(d, oc, "format")) >= 0 && !json_is_null(d, v)) {
		int sc = json_get(d, v, "schema");
		if (!json_str_eq(d, json_get(d, v, "type"), "json_schema") || !json_is_object(d, sc))
			return fail(err, errlen, "output_config.format must be {type: json_schema, schema: {...}}");
		ir->format = IR_FMT_JSON_SCHEMA;
		ir->schema = ir_tok_str(d, sc);
	}
	v = json_get(d, oc, "effort");
	if (json_str_eq(d, v, "low") || json_str_eq(d, v, "medium") || json_str_eq(d, v, "high"))
		ir->reasoning = ir_tok_str(d, v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* request encoding                                                    */

static int anth_role(uint8_t r)
{
	return r == IR_ASSISTANT ? IR_ASSISTANT : IR_USER;
}

/* Whether part i of a message yields a block (see enc_part). */
static int part_emits(const struct ir_part *p)
{
	switch (p->kind) {
	case IR_TEXT: return p->text.p && p->text.n > 0;
	case IR_THINKING: return p->sig.p && p->sig.n > 0;
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

static void enc_image(struct json_out *o, const struct ir_part *p)
{
	if (p->is_url) {
		json_lit(o, "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":");
		put_str(o, &p->b);
		json_lit(o, "}}");
	} else {
		json_lit(o, "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":");
		put_str(o, &p->a);
		json_lit(o, ",\"data\":");
		put_str(o, &p->b);
		json_lit(o, "}}");
	}
}

static void enc_text(struct json_out *o, const struct ir_str *t)
{
	json_lit(o, "{\"type\":\"text\",\"text\":");
	put_str(o, t);
	json_lit(o, "}");
}

static void enc_tool_input(struct json_out *o, const struct ir_str *args)
{
	if (ir_write_value(o, args) < 0)
		json_lit(o, "{}");	/* malformed arguments from a model */
}

/* One tool result with the nsub content parts that follow it. */
static void enc_tool_result(struct json_out *o, const struct ir_part *p, unsigned nsub)
{
	json_lit(o, "{\"type\":\"tool_result\",\"tool_use_id\":");
	put_str(o, &p->a);
	if (nsub) {
		json_lit(o, ",\"content\":[");
		int first = 1;
		for (unsigned k = 1; k <= nsub; k++) {
			const struct ir_part *s = p + k;
			if (s->kind == IR_TEXT) {
				if (!s->text.p || !s->text.n)
					continue;
				if (!first)
					json_lit(o, ",");
				enc_text(o, &s->text);
			} else if (s->kind == IR_IMAGE) {
				if (!first)
					json_lit(o, ",");
				enc_image(o, s);
			} else
				continue;
			first = 0;
		}
		json_lit(o, "]");
	} else if (p->text.p && p->text.n) {
		json_lit(o, ",\"content\":");
		put_str(o, &p->text);
	}
	if (p->is_error)
		json_lit(o, ",\"is_error\":true");
	json_lit(o, "}");
}

/* Blocks of message m. pass 0: only tool results; pass 1: everything
 * else; pass 2: everything in order. */
static void enc_msg_parts(struct json_out *o, const struct ir_request *ir, const struct ir_msg *m, int pass, int *first)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct ir_part *p = &ir->parts[m->first + i];
		unsigned skip = p->kind == IR_TOOL_RESULT ? p->nsub : 0;
		if (skip > m->n - 1 - i)
			skip = m->n - 1 - i;	/* sub-parts past the message: ignore them */
		int is_res = p->kind == IR_TOOL_RESULT;
		if ((pass == 0 && !is_res) || (pass == 1 && is_res) || !part_emits(p)) {
			i += skip;
			continue;
		}
		if (!*first)
			json_lit(o, ",");
		*first = 0;
		switch (p->kind) {
		case IR_TEXT:
			enc_text(o, &p->text);
			break;
		case IR_IMAGE:
			enc_image(o, p);
			break;
		case IR_THINKING:
			json_lit(o, "{\"type\":\"thinking\",\"thinking\":");
			put_str(o, &p->text);
			json_lit(o, ",\"signature\":");
			put_str(o, &p->sig);
			json_lit(o, "}");
			break;
		case IR_TOOL_CALL:
			json_lit(o, "{\"type\":\"tool_use\",\"id\":");
			put_str(o, &p->a);
			json_lit(o, ",\"name\":");
			put_str(o, &p->b);
			json_lit(o, ",\"input\":");
			enc_tool_input(o, &p->args);
			json_lit(o, "}");
			break;
		case IR_TOOL_RESULT:
			enc_tool_result(o, p, skip);
			break;
		}
		i += skip;
	}
}

static void enc_messages(struct json_out *o, const struct ir_request *ir)
{
	json_lit(o, ",\"messages\":[");
	int firstmsg = 1;
	unsigned i = 0;
	while (i < ir->nmsgs) {
		if (!msg_emits(ir, &ir->msgs[i])) {
			i++;
			continue;
		}
		int role = anth_role(ir->msgs[i].role);
		unsigned j = i + 1;	/* the group is [i, j) */
		while (j < ir->nmsgs && (!msg_emits(ir, &ir->msgs[j]) || anth_role(ir->msgs[j].role) == role))
			j++;
		if (!firstmsg)
			json_lit(o, ",");
		firstmsg = 0;
		json_lit(o, role == IR_ASSISTANT ? "{\"role\":\"assistant\",\"content\":[" : "{\"role\":\"user\",\"content\":[");
		int first = 1;
		if (role == IR_ASSISTANT) {
			for (unsigned k = i; k < j; k++)
				enc_msg_parts(o, ir, &ir->msgs[k], 2, &first);
		} else {
			for (unsigned k = i; k < j; k++)
				enc_msg_parts(o, ir, &ir->msgs[k], 0, &first);
			for (unsigned k = i; k < j; k++)
				enc_msg_parts(o, ir, &ir->msgs[k], 1, &first);
		}
		json_lit(o, "]}");
		i = j;
	}
	json_lit(o, "]");
}

/* temperature: OpenAI allows 0..2, Anthropic 0..1: clamp. */
static void enc_temperature(struct json_out *o, const struct ir_str *t)
{
	char buf[64];
	if (t->n < sizeof buf) {
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

static void enc_number_field(struct json_out *o, const char *k, const struct ir_str *v)
{
	if (!v->p || v->kind != IR_JSON)
		return;
	key(o, k);
	json_raw_append(o, v->p, v->n);
}

static int anth_encode_request(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen)
{
	json_lit(o, "{\"model\":");
	json_cstr(o, model ? model : "");
	key(o, "max_tokens");
	json_i64(o, ir->max_tokens > 0 ? ir->max_tokens : ANTH_DEFAULT_MAX_TOKENS);

	/* system */
	unsigned ns = 0;
	for (unsigned i = 0; i < ir->sys_n && ir->sys_first + i < ir->nparts; i++)
		if (ir->parts[ir->sys_first + i].kind == IR_TEXT && ir->parts[ir->sys_first + i].text.p)
			ns++;
	if (ns == 1) {
		for (unsigned i = 0; i < ir->sys_n; i++) {
			const struct ir_part *p = &ir->parts[ir->sys_first + i];
			if (p->kind == IR_TEXT && p->text.p) {
				key(o, "system");
				put_str(o, &p->text);
			}
		}
	} else if (ns > 1) {
		key(o, "system");
		json_lit(o, "[");
		int first = 1;
		for (unsigned i = 0; i < ir->sys_n && ir->sys_first + i < ir->nparts; i++) {
			const struct ir_part *p = &ir->parts[ir->sys_first + i];
			if (p->kind != IR_TEXT || !p->text.p)
				continue;
			if (!first)
				json_lit(o, ",");
			first = 0;
			enc_text(o, &p->text);
		}
		json_lit(o, "]");
	}

	enc_messages(o, ir);

	if (ir->ntools) {
		key(o, "tools");
		json_lit(o, "[");
		for (unsigned i = 0; i < ir->ntools; i++) {
			const struct ir_tool *t = &ir->tools[i];
			json_lit(o, i ? ",{\"name\":" : "{\"name\":");
			put_str(o, &t->name);
			if (t->description.p) {
				key(o, "description");
				put_str(o, &t->description);
			}
			key(o, "input_schema");
			if (t->parameters.p && t->parameters.kind == IR_JSON)
				ir_write_schema(o, &t->parameters);
			else
				json_lit(o, "{\"type\":\"object\",\"properties\":{}}");
			json_lit(o, "}");
		}
		json_lit(o, "]");

		const char *tc = NULL;
		switch (ir->tool_choice) {
		case IR_TC_AUTO: tc = "auto"; break;
		case IR_TC_REQUIRED: tc = "any"; break;
		case IR_TC_NONE: tc = "none"; break;
		case IR_TC_TOOL: tc = "tool"; break;
		default: if (ir->parallel_tools == 0) tc = "auto"; break;
		}
		if (tc) {
			key(o, "tool_choice");
			json_lit(o, "{\"type\":\"");
			json_lit(o, tc);
			json_lit(o, "\"");
			if (ir->tool_choice == IR_TC_TOOL) {
				key(o, "name");
				put_str(o, &ir->tool_choice_name);
			}
			if (ir->parallel_tools == 0 && ir->tool_choice != IR_TC_NONE)
				json_lit(o, ",\"disable_parallel_tool_use\":true");
			json_lit(o, "}");
		}
	}

	if (ir->nstop) {
		key(o, "stop_sequences");
		json_lit(o, "[");
		for (unsigned i = 0; i < ir->nstop && i < IR_MAX_STOP; i++) {
			if (i)
				json_lit(o, ",");
			put_str(o, &ir->stop[i]);
		}
		json_lit(o, "]");
	}
	if (ir->temperature.p && ir->temperature.kind == IR_JSON) {
		key(o, "temperature");
		enc_temperature(o, &ir->temperature);
	}
	enc_number_field(o, "top_p", &ir->top_p);
	enc_number_field(o, "top_k", &ir->top_k);
	if (ir->stream)
		json_lit(o, ",\"stream\":true");
	if (ir->user.p) {
		key(o, "metadata");
		json_lit(o, "{\"user_id\":");
		put_str(o, &ir->user);
		json_lit(o, "}");
	}
	if (ir->thinking_budget > 0) {
		key(o, "thinking");
		json_lit(o, "{\"type\":\"enabled\",\"budget_tokens\":");
		json_i64(o, ir->thinking_budget < ANTH_MIN_THINKING_BUDGET ? ANTH_MIN_THINKING_BUDGET : ir->thinking_budget);
		json_lit(o, "}");
	} else if (ir->thinking_budget == 0) {
		key(o, "thinking");
		json_lit(o, "{\"type\":\"disabled\"}");
	}
	if (ir->format == IR_FMT_JSON_SCHEMA && ir->schema.p && ir->schema.kind == IR_JSON) {
		key(o, "output_config");
		json_lit(o, "{\"format\":{\"type\":\"json_schema\",\"schema\":");
		ir_write_schema(o, &ir->schema);
		json_lit(o, "}}");
	}
	json_lit(o, "}");
	(void)err;
	(void)errlen;
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
	if (v < 0 || json_is_null(d, v))
		return IR_FIN_NONE;
	if (json_str_eq(d, v, "max_tokens") || json_str_eq(d, v, "model_context_window_exceeded"))
		return IR_FIN_LENGTH;
	if (json_str_eq(d, v, "tool_use"))
		return IR_FIN_TOOL_CALLS;
	if (json_str_eq(d, v, "refusal"))
		return IR_FIN_CONTENT_FILTER;
	return IR_FIN_STOP;	/* end_turn, stop_sequence, pause_turn, unknown */
}

static int64_t num_or0(const struct json_doc *d, int v)
{
	int64_t x;
	if (v < 0 || json_get_i64(d, v, &x) || x < 0)
		return 0;
	return x;
}

/* Reads an Anthropic usage object into u. Fields missing or null keep
 * their value in u (message_delta carries only what changed). */
static void usage_read(const struct json_doc *d, int obj, struct ir_usage *u, int64_t *raw_input)
{
	int v;
	if (!json_is_object(d, obj))
		return;
	u->have = 1;
	if (json_is_number(d, v = json_get(d, obj, "input_tokens")))
		*raw_input = num_or0(d, v);
	if (json_is_number(d, v = json_get(d, obj, "cache_creation_input_tokens")))
		u->cache_write = num_or0(d, v);
	if (json_is_number(d, v = json_get(d, obj, "cache_read_input_tokens")))
		u->cached = num_or0(d, v);
	if (json_is_number(d, v = json_get(d, obj, "output_tokens")))
		u->output = num_or0(d, v);
	u->input = *raw_input + u->cache_write + u->cached;
}

static int anth_decode_response(const struct json_doc *d, struct ir_response *r, char *err, size_t errlen)
{
	struct ir_part *parts = r->parts;
	memset(r, 0, sizeof *r);
	r->parts = parts;
	if (!json_is_object(d, 0))
		return fail(err, errlen, "response is not a JSON object");
	int ty = json_get(d, 0, "type");
	if (ty >= 0 && !json_str_eq(d, ty, "message"))
		return fail(err, errlen, "response is not a message");
	int c = json_get(d, 0, "content");
	if (!json_is_array(d, c))
		return fail(err, errlen, "response has no content array");
	int v;
	if (json_is_string(d, v = json_get(d, 0, "id")))
		r->id = ir_tok_str(d, v);
	if (json_is_string(d, v = json_get(d, 0, "model")))
		r->model = ir_tok_str(d, v);
	int n = d->tok[c].size;
	for (int k = 0, b = c + 1; k < n; k++, b = json_skip(d, b)) {
		int bt = json_get(d, b, "type");
		struct ir_part *p;
		if (json_str_eq(d, bt, "text")) {
			int t = json_get(d, b, "text");
			if (!json_is_string(d, t))
				return fail(err, errlen, "text block without text");
			if (r->nparts >= IR_MAX_PARTS)
				return fail(err, errlen, "too many content blocks");
			p = &r->parts[r->nparts++];
			memset(p, 0, sizeof *p);
			p->kind = IR_TEXT;
			p->text = ir_tok_str(d, t);
		} else if (json_str_eq(d, bt, "tool_use")) {
			int id = json_get(d, b, "id"), nm = json_get(d, b, "name"), in = json_get(d, b, "input");
			if (!json_is_string(d, id) || !json_is_string(d, nm) || (in >= 0 && !json_is_object(d, in)))
				return fail(err, errlen, "malformed tool_use block");
			if (r->nparts >= IR_MAX_PARTS)
				return fail(err, errlen, "too many content blocks");
			p = &r->parts[r->nparts++];
			memset(p, 0, sizeof *p);
			p->kind = IR_TOOL_CALL;
			p->a = ir_tok_str(d, id);
			p->b = ir_tok_str(d, nm);
			p->args = in >= 0 ? ir_tok_str(d, in) : (struct ir_str){ "{}", 2, IR_JSON };
		} else if (json_str_eq(d, bt, "thinking")) {
			int t = json_get(d, b, "thinking"), sg = json_get(d, b, "signature");
			if (!json_is_string(d, t))
				return fail(err, errlen, "thinking block without thinking");
			if (r->nparts >= IR_MAX_PARTS)
				return fail(err, errlen, "too many content blocks");
			p = &r->parts[r->nparts++];
			memset(p, 0, sizeof *p);
			p->kind = IR_THINKING;
			p->text = ir_tok_str(d, t);
			if (json_is_string(d, sg))
				p->sig = ir_tok_str(d, sg);
		}
		/* redacted_thinking, server tool blocks, unknown: dropped */
	}
	r->finish = finish_of(d, json_get(d, 0, "stop_reason"));
	if (json_is_string(d, v = json_get(d, 0, "stop_sequence")))
		r->stop_sequence = ir_tok_str(d, v);
	int64_t raw = 0;
	usage_read(d, json_get(d, 0, "usage"), &r->usage, &raw);
	return 0;
}

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

static int64_t raw_input_of(const struct ir_usage *u)
{
	int64_t x = u->input - u->cached - u->cache_write;
	return x < 0 ? 0 : x;
}

static void enc_usage_body(struct json_out *o, const struct ir_usage *u)
{
	json_lit(o, "{\"input_tokens\":");
	json_i64(o, raw_input_of(u));
	key(o, "output_tokens");
	json_i64(o, u->output);
	key(o, "cache_creation_input_tokens");
	json_i64(o, u->cache_write);
	key(o, "cache_read_input_tokens");
	json_i64(o, u->cached);
	json_lit(o, "}");
}

static void anth_encode_response(const struct ir_response *r, const char *model, struct json_out *o)
{
	json_lit(o, "{\"id\":");
	if (r->id.p && r->id.n)
		put_str(o, &r->id);
	else
		json_lit(o, "\"msg_llmgw\"");
	json_lit(o, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
	if (model)
		json_cstr(o, model);
	else
		put_str(o, &r->model);
	json_lit(o, ",\"content\":[");
	int first = 1;
	for (unsigned i = 0; i < r->nparts; i++) {
		const struct ir_part *p = &r->parts[i];
		if (p->kind == IR_TEXT && !(p->text.p && p->text.n))
			continue;
		if (p->kind != IR_TEXT && p->kind != IR_THINKING && p->kind != IR_TOOL_CALL)
			continue;
		if (!first)
			json_lit(o, ",");
		first = 0;
		if (p->kind == IR_TEXT) {
			enc_text(o, &p->text);
		} else if (p->kind == IR_THINKING) {
			json_lit(o, "{\"type\":\"thinking\",\"thinking\":");
			put_str(o, &p->text);
			json_lit(o, ",\"signature\":");
			put_str(o, &p->sig);
			json_lit(o, "}");
		} else {
			json_lit(o, "{\"type\":\"tool_use\",\"id\":");
			put_str(o, &p->a);
			json_lit(o, ",\"name\":");
			put_str(o, &p->b);
			json_lit(o, ",\"input\":");
			enc_tool_input(o, &p->args);
			json_lit(o, "}");
		}
	}
	json_lit(o, "],\"stop_reason\":");
	if (r->finish == IR_FIN_NONE) {
		json_lit(o, "null");
	} else {
		json_lit(o, "\"");
		json_lit(o, stop_reason_name(r->finish, r->stop_sequence.p != NULL));
		json_lit(o, "\"");
	}
	json_lit(o, ",\"stop_sequence\":");
	if (r->finish == IR_FIN_STOP && r->stop_sequence.p)
		put_str(o, &r->stop_sequence);
	else
		json_lit(o, "null");
	json_lit(o, ",\"usage\":");
	enc_usage_body(o, &r->usage);
	json_lit(o, "}");
}

/* ------------------------------------------------------------------ */
/* errors                                                              */

static const struct {
	const char *type;
	uint8_t cls;
} err_types[] = {
	{ "invalid_request_error", IR_ERR_INVALID },
	{ "authentication_error", IR_ERR_AUTH },
	{ "billing_error", IR_ERR_BILLING },
	{ "permission_error", IR_ERR_PERMISSION },
	{ "not_found_error", IR_ERR_NOT_FOUND },
	{ "request_too_large", IR_ERR_TOO_LARGE },
	{ "rate_limit_error", IR_ERR_RATE_LIMIT },
	{ "api_error", IR_ERR_SERVER },
	{ "overloaded_error", IR_ERR_OVERLOADED },
	{ "timeout_error", IR_ERR_TIMEOUT },
};

static const char *err_type_of(uint8_t cls)
{
	for (size_t i = 0; i < sizeof err_types / sizeof err_types[0]; i++)
		if (err_types[i].cls == cls)
			return err_types[i].type;
	return "api_error";
}

static const char *err_default_message(uint8_t cls)
{
	switch (cls) {
	case IR_ERR_INVALID: return "Invalid request";
	case IR_ERR_AUTH: return "Authentication failed";
	case IR_ERR_BILLING: return "Billing error";
	case IR_ERR_PERMISSION: return "Permission denied";
	case IR_ERR_NOT_FOUND: return "Not found";
	case IR_ERR_TOO_LARGE: return "Request too large";
	case IR_ERR_RATE_LIMIT: return "Rate limited";
	case IR_ERR_OVERLOADED: return "Overloaded";
	case IR_ERR_TIMEOUT: return "Timeout";
	}
	return "Internal server error";
}

/* Fills e from an {"type":"error","error":{...}} object at token obj (or
 * a bare {"type","message"} error object). Returns 1 when a known type
 * set the class. */
static int error_read(const struct json_doc *d, int obj, struct ir_error *e)
{
	int er = json_get(d, obj, "error"), v;
	int known = 0;
	if (!json_is_object(d, er))
		er = obj;
	if (json_is_string(d, v = json_get(d, er, "type"))) {
		e->type = ir_tok_str(d, v);
		for (size_t i = 0; i < sizeof err_types / sizeof err_types[0]; i++)
			if (json_str_eq(d, v, err_types[i].type)) {
				e->cls = err_types[i].cls;
				known = 1;
			}
	}
	if (json_is_string(d, v = json_get(d, er, "message")))
		e->message = ir_tok_str(d, v);
	if (json_is_string(d, v = json_get(d, obj, "request_id")))
		e->request_id = ir_tok_str(d, v);
	return known;
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

static void enc_error_obj(const struct ir_error *e, struct json_out *o)
{
	json_lit(o, "{\"type\":\"error\",\"error\":{\"type\":\"");
	json_lit(o, err_type_of(e->cls));
	json_lit(o, "\",\"message\":");
	if (e->message.p && e->message.n)
		put_str(o, &e->message);
	else
		json_cstr(o, err_default_message(e->cls));
	json_lit(o, "}");
	if (e->request_id.p) {
		key(o, "request_id");
		put_str(o, &e->request_id);
	}
	json_lit(o, "}");
}

static void anth_encode_error(const struct ir_error *e, struct json_out *o)
{
	enc_error_obj(e, o);
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

static int tool_of_block(const struct anth_dec *st, int64_t blk)
{
	for (int i = (int)st->ntools - 1; i >= 0; i--)
		if ((int64_t)st->tool_block[i] == blk)
			return i;
	return -1;
}

static void emit0(struct xlate_stream *s, struct ir_event *ev, uint8_t kind)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
}

static int anth_decode_event(struct xlate_stream *s, const struct sse_event *sev)
{
	struct anth_dec *st = (struct anth_dec *)s->dec;
	struct json_doc doc, *d = &doc;
	struct ir_event ev;
	int v;

	if (sev->data_lines == 0)
		return 0;		/* comment or empty event */
	if (sev->data_lines != 1)
		return -1;
	if (json_parse(d, sev->data, sev->data_len, s->tok, s->maxtok) < 1 || !json_is_object(d, 0))
		return -1;
	int ty = json_get(d, 0, "type");
	if (!json_is_string(d, ty))
		return -1;

	if (json_str_eq(d, ty, "message_start")) {
		int m = json_get(d, 0, "message");
		if (!json_is_object(d, m))
			return -1;
		memset(st, 0, sizeof *st);
		emit0(s, &ev, EV_START);
		if (json_is_string(d, v = json_get(d, m, "id")))
			ev.id = ir_tok_str(d, v);
		if (json_is_string(d, v = json_get(d, m, "model")))
			ev.name = ir_tok_str(d, v);
		xlate_emit(s, &ev);
		if (json_is_object(d, v = json_get(d, m, "usage"))) {
			usage_read(d, v, &st->usage, &st->raw_input);
			emit0(s, &ev, EV_USAGE);
			ev.usage = st->usage;
			xlate_emit(s, &ev);
		}
		return 0;
	}
	if (json_str_eq(d, ty, "content_block_start")) {
		int64_t idx;
		int cb = json_get(d, 0, "content_block");
		if (json_get_i64(d, json_get(d, 0, "index"), &idx) || idx < 0 || !json_is_object(d, cb))
			return -1;
		int bt = json_get(d, cb, "type");
		if (json_str_eq(d, bt, "text")) {
			v = json_get(d, cb, "text");
			if (json_is_string(d, v) && json_raw_len(d, v) > 0) {
				emit0(s, &ev, EV_TEXT);
				ev.text = ir_tok_str(d, v);
				xlate_emit(s, &ev);
			}
		} else if (json_str_eq(d, bt, "tool_use")) {
			int id = json_get(d, cb, "id"), nm = json_get(d, cb, "name"), in = json_get(d, cb, "input");
			if (!json_is_string(d, id) || !json_is_string(d, nm))
				return -1;
			if (st->ntools >= IR_MAX_CALLS || idx > UINT32_MAX)
				return -1;
			st->tool_block[st->ntools] = (uint32_t)idx;
			emit0(s, &ev, EV_TOOL_START);
			ev.index = st->ntools++;
			ev.id = ir_tok_str(d, id);
			ev.name = ir_tok_str(d, nm);
			xlate_emit(s, &ev);
			if (json_is_object(d, in) && d->tok[in].size > 0) {
				/* a start that already carries the input */
				uint16_t ti = ev.index;
				emit0(s, &ev, EV_TOOL_ARGS);
				ev.index = ti;
				ev.text = ir_tok_str(d, in);
				xlate_emit(s, &ev);
			}
		} else if (json_str_eq(d, bt, "thinking")) {
			v = json_get(d, cb, "thinking");
			if (json_is_string(d, v) && json_raw_len(d, v) > 0) {
				emit0(s, &ev, EV_THINKING);
				ev.text = ir_tok_str(d, v);
				xlate_emit(s, &ev);
			}
		}
		return 0;
	}
	if (json_str_eq(d, ty, "content_block_delta")) {
		int64_t idx;
		int dl = json_get(d, 0, "delta");
		if (json_get_i64(d, json_get(d, 0, "index"), &idx) || idx < 0 || !json_is_object(d, dl))
			return -1;
		int dt = json_get(d, dl, "type");
		if (json_str_eq(d, dt, "text_delta")) {
			if (!json_is_string(d, v = json_get(d, dl, "text")))
				return -1;
			if (json_raw_len(d, v) == 0)
				return 0;
			emit0(s, &ev, EV_TEXT);
			ev.text = ir_tok_str(d, v);
			xlate_emit(s, &ev);
		} else if (json_str_eq(d, dt, "input_json_delta")) {
			if (!json_is_string(d, v = json_get(d, dl, "partial_json")))
				return -1;
			int ti = tool_of_block(st, idx);
			if (ti < 0)
				return -1;
			if (json_raw_len(d, v) == 0)
				return 0;
			emit0(s, &ev, EV_TOOL_ARGS);
			ev.index = (uint16_t)ti;
			ev.text = ir_tok_str(d, v);
			xlate_emit(s, &ev);
		} else if (json_str_eq(d, dt, "thinking_delta")) {
			if (!json_is_string(d, v = json_get(d, dl, "thinking")))
				return -1;
			if (json_raw_len(d, v) == 0)
				return 0;
			emit0(s, &ev, EV_THINKING);
			ev.text = ir_tok_str(d, v);
			xlate_emit(s, &ev);
		} else if (json_str_eq(d, dt, "signature_delta")) {
			if (!json_is_string(d, v = json_get(d, dl, "signature")))
				return -1;
			emit0(s, &ev, EV_THINKING);
			ev.sig = ir_tok_str(d, v);
			xlate_emit(s, &ev);
		}
		/* citations_delta, unknown deltas: ignored */
		return 0;
	}
	if (json_str_eq(d, ty, "message_delta")) {
		int dl = json_get(d, 0, "delta");
		v = json_get(d, dl, "stop_reason");
		if (json_is_string(d, v)) {
			emit0(s, &ev, EV_FINISH);
			ev.finish = finish_of(d, v);
			xlate_emit(s, &ev);
		}
		if (json_is_object(d, v = json_get(d, 0, "usage"))) {
			usage_read(d, v, &st->usage, &st->raw_input);
			emit0(s, &ev, EV_USAGE);
			ev.usage = st->usage;
			xlate_emit(s, &ev);
		}
		return 0;
	}
	if (json_str_eq(d, ty, "message_stop")) {
		emit0(s, &ev, EV_END);
		xlate_emit(s, &ev);
		return 0;
	}
	if (json_str_eq(d, ty, "error")) {
		emit0(s, &ev, EV_ERROR);
		ev.error.cls = IR_ERR_SERVER;
		error_read(d, 0, &ev.error);
		ev.error.status = ir_err_status(ev.error.cls);
		xlate_emit(s, &ev);
		return 0;
	}
	return 0;		/* ping, content_block_stop, unknown */
}

/* ------------------------------------------------------------------ */
/* stream encoding (IR events -> Anthropic client SSE)                 */

enum { BLK_NONE, BLK_TEXT, BLK_THINKING, BLK_TOOL };

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

static void sse_begin(struct json_out *o, const char *name)
{
	json_lit(o, "event: ");
	json_lit(o, name);
	json_lit(o, "\ndata: ");
}

static void sse_end(struct json_out *o)
{
	json_lit(o, "\n\n");
}

static void write_message_start(struct xlate_stream *s, struct anth_enc *st, struct json_out *o)
{
	sse_begin(o, "message_start");
	json_lit(o, "{\"type\":\"message_start\",\"message\":{\"id\":");
	if (st->id_len) {
		struct ir_str id = { st->id, st->id_len, st->id_kind };
		put_str(o, &id);
	} else {
		json_lit(o, "\"msg_llmgw\"");
	}
	json_lit(o, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
	json_cstr(o, s->model ? s->model : "");
	json_lit(o, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":");
	json_i64(o, st->usage.have ? raw_input_of(&st->usage) : 0);
	if (st->usage.have) {
		key(o, "cache_creation_input_tokens");
		json_i64(o, st->usage.cache_write);
		key(o, "cache_read_input_tokens");
		json_i64(o, st->usage.cached);
	}
	key(o, "output_tokens");
	json_i64(o, st->usage.have ? st->usage.output : 0);
	json_lit(o, "}}}");
	sse_end(o);
	st->start_pending = 0;
	st->started = 1;
}

static void close_block(struct anth_enc *st, struct json_out *o)
{
	if (st->open == BLK_NONE)
		return;
	sse_begin(o, "content_block_stop");
	json_lit(o, "{\"type\":\"content_block_stop\",\"index\":");
	json_i64(o, (int64_t)st->nblocks - 1);
	json_lit(o, "}");
	sse_end(o);
	st->open = BLK_NONE;
}

static void open_block(struct anth_enc *st, struct json_out *o, uint8_t kind, const char *cb_json)
{
	close_block(st, o);
	sse_begin(o, "content_block_start");
	json_lit(o, "{\"type\":\"content_block_start\",\"index\":");
	json_i64(o, st->nblocks);
	json_lit(o, ",\"content_block\":");
	json_lit(o, cb_json);
	json_lit(o, "}");
	sse_end(o);
	st->nblocks++;
	st->open = kind;
}

static void delta_begin(struct json_out *o, int64_t index, const char *type)
{
	sse_begin(o, "content_block_delta");
	json_lit(o, "{\"type\":\"content_block_delta\",\"index\":");
	json_i64(o, index);
	json_lit(o, ",\"delta\":{\"type\":\"");
	json_lit(o, type);
	json_lit(o, "\"");
}

static void anth_encode_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	struct anth_enc *st = (struct anth_enc *)s->enc;

	if (ev->kind == EV_START) {
		if (st->started || st->start_pending)
			return;		/* one message per stream */
		memset(st, 0, sizeof *st);
		for (int i = 0; i < IR_MAX_CALLS; i++)
			st->tool_block[i] = -1;
		st->start_pending = 1;
		if (ev->id.p && ev->id.n && ev->id.n <= ANTH_ID_MAX && ev->id.kind != IR_JSON) {
			memcpy(st->id, ev->id.p, ev->id.n);
			st->id_len = (uint8_t)ev->id.n;
			st->id_kind = ev->id.kind;
		}
		return;
	}
	if (ev->kind == EV_USAGE) {
		st->usage = ev->usage;
		st->usage.have = 1;
		return;
	}
	if (ev->kind == EV_FINISH) {
		st->finish = ev->finish;
		return;
	}
	if (ev->kind == EV_ERROR) {
		close_block(st, o);
		sse_begin(o, "error");
		struct ir_error e = ev->error;
		e.request_id.p = NULL;
		enc_error_obj(&e, o);
		sse_end(o);
		return;
	}
	if (!st->started) {
		if (!st->start_pending) {	/* no EV_START: start anyway */
			for (int i = 0; i < IR_MAX_CALLS; i++)
				st->tool_block[i] = -1;
		}
		write_message_start(s, st, o);
	}

	switch (ev->kind) {
	case EV_TEXT:
		if (!ev->text.p || !ev->text.n)
			return;
		if (st->open != BLK_TEXT)
			open_block(st, o, BLK_TEXT, "{\"type\":\"text\",\"text\":\"\"}");
		delta_begin(o, (int64_t)st->nblocks - 1, "text_delta");
		json_lit(o, ",\"text\":");
		put_str(o, &ev->text);
		json_lit(o, "}}");
		sse_end(o);
		return;
	case EV_THINKING:
		if ((!ev->text.p || !ev->text.n) && (!ev->sig.p || !ev->sig.n))
			return;
		if (st->open != BLK_THINKING)
			open_block(st, o, BLK_THINKING, "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}");
		if (ev->text.p && ev->text.n) {
			delta_begin(o, (int64_t)st->nblocks - 1, "thinking_delta");
			json_lit(o, ",\"thinking\":");
			put_str(o, &ev->text);
			json_lit(o, "}}");
			sse_end(o);
		}
		if (ev->sig.p && ev->sig.n) {
			delta_begin(o, (int64_t)st->nblocks - 1, "signature_delta");
			json_lit(o, ",\"signature\":");
			put_str(o, &ev->sig);
			json_lit(o, "}}");
			sse_end(o);
		}
		return;
	case EV_TOOL_START:
		if (ev->index >= IR_MAX_CALLS)
			return;
		close_block(st, o);
		sse_begin(o, "content_block_start");
		json_lit(o, "{\"type\":\"content_block_start\",\"index\":");
		json_i64(o, st->nblocks);
		json_lit(o, ",\"content_block\":{\"type\":\"tool_use\",\"id\":");
		put_str(o, &ev->id);
		json_lit(o, ",\"name\":");
		put_str(o, &ev->name);
		json_lit(o, ",\"input\":{}}}");
		sse_end(o);
		st->tool_block[ev->index] = (int32_t)st->nblocks;
		st->nblocks++;
		st->open = BLK_TOOL;
		return;
	case EV_TOOL_ARGS:
		if (ev->index >= IR_MAX_CALLS || st->tool_block[ev->index] < 0 || !ev->text.p || !ev->text.n)
			return;
		delta_begin(o, st->tool_block[ev->index], "input_json_delta");
		json_lit(o, ",\"partial_json\":");
		put_str(o, &ev->text);
		json_lit(o, "}}");
		sse_end(o);
		return;
	case EV_END:
		close_block(st, o);
		sse_begin(o, "message_delta");
		json_lit(o, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"");
		json_lit(o, stop_reason_name(st->finish, 0));
		json_lit(o, "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":");
		json_i64(o, st->usage.output);
		if (st->usage.have) {
			key(o, "input_tokens");
			json_i64(o, raw_input_of(&st->usage));
			key(o, "cache_creation_input_tokens");
			json_i64(o, st->usage.cache_write);
			key(o, "cache_read_input_tokens");
			json_i64(o, st->usage.cached);
		}
		json_lit(o, "}}");
		sse_end(o);
		sse_begin(o, "message_stop");
		json_lit(o, "{\"type\":\"message_stop\"}");
		sse_end(o);
		return;
	}
}

static const char *anth_stream_type(const struct xlate_stream *s)
{
	return "text/event-stream";
}

static void anth_decode_usage(const struct json_doc *d, int obj, struct ir_usage *u)
{
	int64_t raw = 0;
	memset(u, 0, sizeof *u);
	usage_read(d, obj, u, &raw);
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
	.decode_usage = anth_decode_usage,
};
