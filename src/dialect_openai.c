/*
 * dialect_openai.c - the OpenAI Chat Completions dialect (POST
 * /v1/chat/completions), spoken by OpenAI and by every "OpenAI-compatible"
 * server (Groq, Mistral, DeepSeek, OpenRouter, Ollama, vLLM, ...): request,
 * response, error and stream decoders and encoders around the IR (ir.h,
 * dialect.h).
 *
 * Ownership: decoders point IR strings into the caller's JSON text and
 * never copy; encoders write into the caller's bounded struct json_out.
 * Per-stream state lives in the xlate_stream's dec/enc areas (struct
 * oa_dec / struct oa_enc below). Nothing allocates or blocks; no globals.
 *
 * Translated / dropped / refused
 * ------------------------------
 * Client requests (decode):
 *   - system and developer messages -> the IR system prompt, wherever they
 *     stand in the conversation: a later one is appended to the system
 *     prompt (Anthropic and Gemini have a single system prompt). Only text
 *     content is allowed there (400 otherwise).
 *   - user: string or parts; text; image_url with a data: URL -> base64
 *     image (media type and data split at ";base64,"); http(s) URL -> image
 *     by URL; a non-base64 data: URL, input_audio and file parts -> 400.
 *     image_url.detail and message `name` are dropped.
 *   - assistant: content (string, text or refusal parts) -> text; the
 *     `refusal` field -> text; tool_calls -> tool calls (arguments kept as
 *     the JSON string); reasoning_content/audio are dropped; an empty
 *     assistant message keeps one empty text part.
 *   - tool: one tool result per message (content string, or text parts);
 *     CONSECUTIVE tool messages become ONE IR_TOOL message with several
 *     results (one Anthropic user turn / one Gemini content); the function
 *     name is filled from the earlier assistant tool call with that id.
 *   - legacy `functions`, `function_call` and role "function" -> 400
 *     (answers would come back as tool_calls, which such a client does not
 *     read); custom tools and tool_choice "allowed_tools" -> 400; n > 1 -> 400.
 *   - tools (function: name, description, parameters; `strict` dropped),
 *     tool_choice, parallel_tool_calls, max_completion_tokens (preferred) or
 *     max_tokens, temperature, top_p, top_k (a vLLM/OpenRouter extension),
 *     stop (string or array), stream, stream_options.include_usage,
 *     response_format (text, json_object, json_schema{name, schema}), user
 *     (or safety_identifier), seed, reasoning_effort -> IR.
 *   - dropped: logprobs, top_logprobs, frequency_penalty, presence_penalty,
 *     logit_bias, metadata, store, service_tier, modalities, audio,
 *     prediction, web_search_options, prompt_cache_key, verbosity.
 * Provider requests (encode):
 *   - the system parts -> one {"role":"system"} message first, joined with
 *     a blank line ("\n\n"); assistant text parts joined with nothing (as a
 *     stream would concatenate them).
 *   - tool results -> one {"role":"tool"} message each, always placed
 *     before the rest of the turn they came in; text content only: image
 *     parts of a result become the text "[image omitted]"; is_error dropped.
 *   - images -> image_url with a data: URL (or the URL as given).
 *   - thinking parts dropped (Chat Completions takes no reasoning input).
 *   - max tokens -> "max_tokens" (what Ollama, vLLM, Groq and older servers
 *     know), except "max_completion_tokens" for OpenAI reasoning models
 *     (o1/o3/o4..., gpt-5..., also after a "vendor/" prefix) which refuse
 *     max_tokens.
 *   - reasoning_effort from the client is passed on; an Anthropic/Gemini
 *     thinking budget becomes reasoning_effort (<4096 low, <16384 medium,
 *     else high) only for those reasoning models; a budget of 0 is dropped.
 *   - top_k dropped (OpenAI refuses it); parallel_tool_calls written only
 *     with tools (OpenAI refuses it otherwise).
 *   - a stream always asks for stream_options.include_usage (the gateway
 *     needs usage; the client-side encoder drops it if not asked for).
 * Responses (decode): choices[0] only; message.reasoning_content /
 *   reasoning (DeepSeek, OpenRouter) -> thinking; a refusal -> text with
 *   finish content_filter; finish_reason stop/length/tool_calls/
 *   content_filter, function_call -> tool_calls, "error" -> error, other ->
 *   stop, and "stop" with tool calls present -> tool_calls; usage with
 *   prompt_tokens_details.cached_tokens (or DeepSeek prompt_cache_hit_tokens)
 *   and completion_tokens_details.reasoning_tokens.
 * Responses (encode): id kept from the provider, else "chatcmpl-llmgw"; a
 *   tool call without an id gets "call_llmgw_<k>" (k: its position);
 *   model = the name the client asked for; thinking text -> the
 *   non-standard message.reasoning_content (as DeepSeek; the SDKs keep
 *   unknown fields), signatures dropped; usage omitted when the provider
 *   gave none; IR_FIN_ERROR -> finish_reason "error" (as OpenRouter).
 * Streams (decode): EV_START on the first chunk with choices or usage (an
 *   Azure-style empty first chunk is skipped); reasoning_content/reasoning
 *   -> thinking; refusal -> text (finish content_filter); tool-call indices
 *   mapped to dense 0-based IR indices in order of appearance (a new id at
 *   a known index, or with no index, starts a new call); arguments as
 *   string fragments (IR_RAW) or a whole object (IR_JSON); usage (also
 *   Groq's x_groq.usage) -> EV_USAGE; [DONE] -> EV_END; {"error":..} ->
 *   EV_ERROR, class from its type/code (or a numeric code); comments and
 *   empty chunks ignored; an event with several data lines -> -1.
 * Streams (encode): chunk id = the provider's id from EV_START, else
 *   "chatcmpl-llmgw-<serial>"; made-up tool call ids "call_<serial>_<index>";
 *   thinking -> delta.reasoning_content; the usage chunk only when the
 *   client asked (stream_options.include_usage), written just before
 *   [DONE]; a stream that ends without a finish reason gets "stop" (the
 *   SDK's stream helper throws without one); a tool argument object
 *   (Gemini) is stringified whole.
 * Errors: OpenAI shape with type by class and code = the provider's own
 *   type/code (else a class default); request_id not in the body.
 *
 * Kept small for the embedded builds: decoders read the members of an
 * object in one walk (members()) and match names against NUL-separated
 * lists; encoders write through put(), a tiny format writer, instead of
 * runs of json_lit() calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include "fmt.h"
#include "dialect.h"

/* Where a failing function writes its message; the request decoder also
 * carries its document, IR and top-level members here, so its helpers
 * take one pointer. */
struct ctx {
	char *err;
	size_t errlen;
	const struct json_doc *d;
	struct ir_request *ir;
	const int *top;
};

static void set_err(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(const struct ctx *c, const char *fmt, ...)
{
	if (c->err && c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		fmt_vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
}
/* Sets the message and yields -1 (a call, not a tail call: the failure
 * paths then share one epilogue). */
#define fail(...) (set_err(__VA_ARGS__), -1)

/* Messages that differ in one word, written from one format each. */
#define MSG_TEXT_PARTS "%s message content must be a string or an array of text parts"
#define MSG_PARTS_TEXT "%s message content parts must be text"
#define MUST_ARRAY "%s must be an array"
#define TOO_MANY "too many %s (at most %d)"
#define ONLY_FN "only function %s are supported"

static const struct ir_str no_str = { NULL, 0, IR_RAW };

/* lit, after a comma unless k is 0: for the elements of a JSON array. */
#define COMMA_IF(k, lit) (&("," lit)[!(k)])



/* The finish reasons in enum ir_finish order from IR_FIN_STOP; the
 * decoder also reads function_call (as tool_calls). */
static const char finish_names[] = "stop\0length\0tool_calls\0content_filter\0error\0function_call\0";

/* The type of token v (JSMN_OBJECT, _ARRAY, _STRING, _PRIMITIVE), or
 * JSMN_UNDEFINED when v is absent (-1) or null: one call answers what
 * several json_is_*() calls would. */
static int type_of(const struct json_doc *d, int v)
{
	return v >= 0 && v < d->ntok && !json_is_null(d, v) ? (int)d->tok[v].type : JSMN_UNDEFINED;
}

/* v when it is of type t, else -1. */
static int of_type(const struct json_doc *d, int v, int t)
{
	return type_of(d, v) == t ? v : -1;
}

/* The same for a string, and -1 for an empty one too. */
static int nonempty(const struct json_doc *d, int v)
{
	return of_type(d, v, JSMN_STRING) >= 0 && json_raw_len(d, v) ? v : -1;
}

/* The value of key in obj when it is of type t, else -1. */
static int member(const struct json_doc *d, int obj, const char *key, int t)
{
	return of_type(d, json_get(d, obj, key), t);
}

/* The token of key in obj when it is a string, else -1. */
__attribute__((noinline)) static int get_string(const struct json_doc *d, int obj, const char *key)
{
	return member(d, obj, key, JSMN_STRING);
}

/* The values (of any type, null included) of the members of object obj
 * named in the NUL-separated list keys (n names, in the order of the
 * caller's enum) into v[0..n), -1 when absent: one walk over obj instead
 * of one json_get() per key. As with json_get(), keys compare unescaped
 * and the last duplicate wins. */
static void members(const struct json_doc *d, int obj, const char *keys, int *v, int n)
{
	memset(v, 0xff, (size_t)n * sizeof *v);	/* all -1 */
	if (type_of(d, obj) != JSMN_OBJECT)
		return;
	for (int i = 0, k = obj + 1; i < d->tok[obj].size; i++, k = json_skip(d, k)) {
		int w = json_list_find(d, k, keys);
		if (w >= 0)
			v[w] = k + 1;
	}
}

/* A tool call object's members, and its function's name (a string, else
 * -1) and arguments. */
enum { F_TYPE, F_ID, F_FUNCTION, F_INDEX, F_NAME, F_ARGUMENTS, F_NKEYS };
static void call_fields(const struct json_doc *d, int el, int v[F_NKEYS])
{
	members(d, el, "type\0id\0function\0index\0", v, F_NAME);
	v[F_NAME] = get_string(d, v[F_FUNCTION], "name");
	v[F_ARGUMENTS] = json_get(d, v[F_FUNCTION], "arguments");
}

/* Tool call arguments: a string or an object, else absent. */
__attribute__((noinline)) static struct ir_str args_str(const struct json_doc *d, int args)
{
	int t = type_of(d, args);
	return t == JSMN_STRING || t == JSMN_OBJECT ? ir_tok_str(d, args) : no_str;
}

static int raw_has_prefix(const struct ir_str *s, const char *lit)
{
	size_t n = strlen(lit);
	return s->p && s->n >= n && memcmp(s->p, lit, n) == 0;
}

/* Two spans naming the same string (ids may be escaped differently). */
static int same_str(const struct ir_str *a, const struct ir_str *b)
{
	if (!a->p || !b->p)
		return 0;
	if (a->kind == b->kind && a->n == b->n && memcmp(a->p, b->p, a->n) == 0)
		return 1;
	char ba[256], bb[256];
	struct json_out oa, ob;
	json_out_init(&oa, ba, sizeof ba);
	json_out_init(&ob, bb, sizeof bb);
	ir_write_unescaped(&oa, a);
	ir_write_unescaped(&ob, b);
	return !oa.overflow && !ob.overflow && oa.len == ob.len && memcmp(ba, bb, oa.len) == 0;
}

/* ------------------------------------------------------------------ */
/* Request decoding                                                    */

/* The top-level members a request decoder reads. */
enum {
	R_MODEL, R_MESSAGES, R_FUNCTIONS, R_FUNCTION_CALL, R_TOOLS, R_TOOL_CHOICE, R_PARALLEL,
	R_MAX_COMPLETION_TOKENS, R_MAX_TOKENS, R_TEMPERATURE, R_TOP_P, R_TOP_K, R_STOP, R_STREAM,
	R_STREAM_OPTIONS, R_RESPONSE_FORMAT, R_USER, R_SAFETY_IDENTIFIER, R_SEED, R_REASONING, R_N, R_NKEYS
};
static const char request_keys[] = "model\0messages\0functions\0function_call\0tools\0tool_choice\0"
	"parallel_tool_calls\0max_completion_tokens\0max_tokens\0temperature\0top_p\0top_k\0stop\0stream\0"
	"stream_options\0response_format\0user\0safety_identifier\0seed\0reasoning_effort\0n\0";

/* The members of a message. */
enum { M_ROLE, M_CONTENT, M_REFUSAL, M_FUNCTION_CALL, M_TOOL_CALLS, M_TOOL_CALL_ID, M_NKEYS };
static const char message_keys[] = "role\0content\0refusal\0function_call\0tool_calls\0tool_call_id\0";

static struct ir_part *new_part(const struct ctx *c, uint8_t kind)
{
	struct ir_request *ir = c->ir;
	if (ir->nparts >= IR_MAX_PARTS) {
		set_err(c, TOO_MANY, "content parts", IR_MAX_PARTS);
		return NULL;
	}
	struct ir_part *p = &ir->parts[ir->nparts++];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	return p;
}

static int add_text(const struct ctx *c, struct ir_str t)
{
	struct ir_part *p = new_part(c, IR_TEXT);
	if (!p)
		return -1;
	p->text = t;
	return 0;
}

/* String token t as a text part, unless it is absent or empty. */
static int add_nonempty(const struct ctx *c, int t)
{
	return t >= 0 && json_raw_len(c->d, t) ? add_text(c, ir_tok_str(c->d, t)) : 0;
}

/* The text token of a {"type":"text","text":...} part, or -1. */
static int text_part(const struct json_doc *d, int el)
{
	return json_str_eq(d, json_get(d, el, "type"), "text") ? get_string(d, el, "text") : -1;
}

/* System/developer content (res NULL: each text a part) or a tool
 * result's (res: its text, or with several texts its nsub parts): a
 * string or text parts only; role words the messages. */
static int dec_text_content(const struct ctx *c, int ct, const char *role, struct ir_part *res)
{
	const struct json_doc *d = c->d;
	int ty = type_of(d, ct);
	if (ty == JSMN_STRING) {
		if (!res)
			return add_text(c, ir_tok_str(d, ct));
		res->text = ir_tok_str(d, ct);
		return 0;
	}
	if (ty != JSMN_ARRAY)
		return fail(c, MSG_TEXT_PARTS, role);
	int n = d->tok[ct].size;
	for (int k = 0; k < n; k++) {
		int t = text_part(d, json_index(d, ct, k));
		if (t < 0)
			return fail(c, MSG_PARTS_TEXT, role);
		if (res && n == 1) {
			res->text = ir_tok_str(d, t);
		} else {
			if (add_text(c, ir_tok_str(d, t)) < 0)
				return -1;
			if (res)
				res->nsub++;
		}
	}
	if (res && n == 0)
		res->text = ir_plain("", 0);
	return 0;
}

static int dec_image(const struct ctx *c, int el)
{
	const struct json_doc *d = c->d;
	int iu = json_get(d, el, "image_url");
	int u = type_of(d, iu) == JSMN_STRING ? iu : get_string(d, iu, "url");
	if (u < 0)
		return fail(c, "image_url part without a url");
	struct ir_str url = ir_tok_str(d, u);
	struct ir_part *p = new_part(c, IR_IMAGE);
	if (!p)
		return -1;
	if (raw_has_prefix(&url, "data:")) {
		static const char sep[] = ";base64,";
		const char *q = fmt_find(url.p, url.n, sep, sizeof sep - 1);
		if (!q)
			return fail(c, "image data URL must be base64 (data:<type>;base64,<data>)");
		p->a = url;
		p->a.p += 5;
		p->a.n = (uint32_t)(q - p->a.p);
		p->b = url;
		p->b.p = q + sizeof sep - 1;
		p->b.n = (uint32_t)(url.p + url.n - p->b.p);
		return 0;
	}
	if (raw_has_prefix(&url, "https://") || raw_has_prefix(&url, "http://")) {
		p->is_url = 1;
		p->b = url;
		return 0;
	}
	return fail(c, "image_url must be a data: URL or an http(s) URL");
}

static const char part_types[] = "text\0image_url\0input_audio\0file\0";

static int dec_user(const struct ctx *c, int ct)
{
	const struct json_doc *d = c->d;
	int ty = type_of(d, ct);
	if (ty == JSMN_STRING)
		return add_text(c, ir_tok_str(d, ct));
	if (ty != JSMN_ARRAY)
		return fail(c, "user message content must be a string or an array of parts");
	for (int k = 0; k < d->tok[ct].size; k++) {
		int el = json_index(d, ct, k);
		int rc, i = json_list_find(d, json_get(d, el, "type"), part_types);
		switch (i) {
		case 0: {
			int t = get_string(d, el, "text");
			if (t < 0)
				return fail(c, "text part without text");
			rc = add_text(c, ir_tok_str(d, t));
			break;
		}
		case 1:
			rc = dec_image(c, el);
			break;
		case 2:
		case 3:
			return fail(c, "%s content parts are not supported by the gateway", fmt_list_nth(part_types, i));
		default:
			return fail(c, "unknown content part type");
		}
		if (rc < 0)
			return -1;
	}
	if (d->tok[ct].size == 0)
		return add_text(c, ir_plain("", 0));
	return 0;
}

static int dec_assistant(const struct ctx *c, const int *mv)
{
	const struct json_doc *d = c->d;
	struct ir_request *ir = c->ir;
	uint16_t first = ir->nparts;
	int ct = mv[M_CONTENT];
	switch (type_of(d, ct)) {
	case JSMN_UNDEFINED:
		break;
	case JSMN_STRING:
		if (add_nonempty(c, ct) < 0)
			return -1;
		break;
	case JSMN_ARRAY:
		for (int k = 0; k < d->tok[ct].size; k++) {
			int el = json_index(d, ct, k);
			int i = json_list_find(d, json_get(d, el, "type"), "text\0refusal\0");
			if (i < 0)
				return fail(c, "assistant content parts must be text or refusal");
			int t = get_string(d, el, i ? "refusal" : "text");
			if (t < 0)
				return fail(c, "assistant content part without text");
			if (add_nonempty(c, t) < 0)
				return -1;
		}
		break;
	default:
		return fail(c, "assistant content must be a string, an array or null");
	}
	if (add_nonempty(c, of_type(d, mv[M_REFUSAL], JSMN_STRING)) < 0)
		return -1;
	if (type_of(d, mv[M_FUNCTION_CALL]))
		return fail(c, "legacy function_call messages are not supported: use tool_calls");
	int tc = mv[M_TOOL_CALLS];
	int ty = type_of(d, tc);
	if (ty == JSMN_ARRAY) {
		for (int k = 0; k < d->tok[tc].size; k++) {
			int v[F_NKEYS];
			call_fields(d, json_index(d, tc, k), v);
			if (v[F_TYPE] >= 0 && !json_str_eq(d, v[F_TYPE], "function"))
				return fail(c, ONLY_FN, "tool calls");
			int id = of_type(d, v[F_ID], JSMN_STRING);
			if (id < 0 || v[F_NAME] < 0)
				return fail(c, "assistant tool_calls need an id and a function name");
			struct ir_part *p = new_part(c, IR_TOOL_CALL);
			if (!p)
				return -1;
			p->a = ir_tok_str(d, id);
			p->b = ir_tok_str(d, v[F_NAME]);
			p->args = args_str(d, v[F_ARGUMENTS]);
		}
	} else if (ty) {
		return fail(c, MUST_ARRAY, "tool_calls");
	}
	if (ir->nparts == first && add_text(c, ir_plain("", 0)) < 0)
		return -1;
	return 0;
}

static int dec_tool(const struct ctx *c, const int *mv)
{
	const struct json_doc *d = c->d;
	struct ir_request *ir = c->ir;
	int id = of_type(d, mv[M_TOOL_CALL_ID], JSMN_STRING);
	if (id < 0)
		return fail(c, "tool message without tool_call_id");
	struct ir_part *p = new_part(c, IR_TOOL_RESULT);
	if (!p)
		return -1;
	p->a = ir_tok_str(d, id);
	for (int k = ir->nparts - 2; k >= 0; k--) {
		const struct ir_part *q = &ir->parts[k];
		if (q->kind == IR_TOOL_CALL && same_str(&q->a, &p->a)) {
			p->b = q->b;
			break;
		}
	}
	return dec_text_content(c, mv[M_CONTENT], "tool", p);
}

/* messages[].role values: 0-1 go to the system prompt, 2-4 are
 * IR_USER, IR_ASSISTANT, IR_TOOL (role - 2). */
static const char roles[] = "system\0developer\0user\0assistant\0tool\0function\0";

static int dec_messages(const struct ctx *c, int msgs)
{
	const struct json_doc *d = c->d;
	struct ir_request *ir = c->ir;
	int n = d->tok[msgs].size;
	int mv[M_NKEYS];
	/* Pass 1: the system prompt, kept contiguous at the start of parts[]. */
	ir->sys_first = ir->nparts;
	for (int k = 0; k < n; k++) {
		members(d, json_index(d, msgs, k), message_keys, mv, M_NKEYS);
		int role = of_type(d, mv[M_ROLE], JSMN_STRING);
		if (role < 0)
			return fail(c, "messages[%d] must be an object with a role", k);
		int ri = json_list_find(d, role, roles);
		if (ri >= 0 && ri < 2 && dec_text_content(c, mv[M_CONTENT], "system", NULL) < 0)
			return -1;
	}
	ir->sys_n = (uint16_t)(ir->nparts - ir->sys_first);
	/* Pass 2: the conversation. */
	for (int k = 0; k < n; k++) {
		members(d, json_index(d, msgs, k), message_keys, mv, M_NKEYS);
		int ri = json_list_find(d, mv[M_ROLE], roles);
		if (ri == 0 || ri == 1)
			continue;
		if (ri == 5)
			return fail(c, "legacy role \"function\" is not supported: use tool messages");
		if (ri < 0)
			return fail(c, "messages[%d]: unknown role", k);
		uint8_t r = (uint8_t)(ri - 2);
		/* Consecutive tool messages share one IR_TOOL message. */
		if (r == IR_TOOL && ir->nmsgs && ir->msgs[ir->nmsgs - 1].role == IR_TOOL) {
			struct ir_msg *prev = &ir->msgs[ir->nmsgs - 1];
			if (dec_tool(c, mv) < 0)
				return -1;
			prev->n = (uint16_t)(ir->nparts - prev->first);
			continue;
		}
		if (ir->nmsgs >= IR_MAX_MSGS)
			return fail(c, TOO_MANY, "messages", IR_MAX_MSGS);
		uint16_t first = ir->nparts;
		int rc = r == IR_USER ? dec_user(c, mv[M_CONTENT])
		       : r == IR_ASSISTANT ? dec_assistant(c, mv)
		       : dec_tool(c, mv);
		if (rc < 0)
			return -1;
		struct ir_msg *im = &ir->msgs[ir->nmsgs++];
		im->role = r;
		im->first = first;
		im->n = (uint16_t)(ir->nparts - first);
	}
	return 0;
}

/* tool_choice strings, in enum ir_tool_choice order from IR_TC_AUTO. */
static const char tool_choices[] = "auto\0none\0required\0";

static int dec_tools(const struct ctx *c)
{
	const struct json_doc *d = c->d;
	struct ir_request *ir = c->ir;
	if (type_of(d, c->top[R_FUNCTIONS]) || type_of(d, c->top[R_FUNCTION_CALL]))
		return fail(c, "legacy functions/function_call are not supported: use tools/tool_choice");
	int t = c->top[R_TOOLS];
	int ty = type_of(d, t);
	if (ty) {
		if (ty != JSMN_ARRAY)
			return fail(c, MUST_ARRAY, "tools");
		if (d->tok[t].size > IR_MAX_TOOLS)
			return fail(c, TOO_MANY, "tools", IR_MAX_TOOLS);
		for (int k = 0; k < d->tok[t].size; k++) {
			int el = json_index(d, t, k);
			int fn = json_get(d, el, "function");
			int name = get_string(d, fn, "name");
			if (!json_str_eq(d, json_get(d, el, "type"), "function"))
				return fail(c, ONLY_FN, "tools");
			if (name < 0)
				return fail(c, "tools[%d].function.name is required", k);
			struct ir_tool *tl = &ir->tools[ir->ntools++];
			memset(tl, 0, sizeof *tl);
			tl->name = ir_tok_str(d, name);
			tl->description = ir_tok_str(d, get_string(d, fn, "description"));
			int par = json_get(d, fn, "parameters");
			int pt = type_of(d, par);
			if (pt && pt != JSMN_OBJECT)
				return fail(c, "tools[%d].function.parameters must be an object", k);
			tl->parameters = pt ? ir_tok_str(d, par) : no_str;
		}
	}
	int tc = c->top[R_TOOL_CHOICE];
	switch (type_of(d, tc)) {
	case JSMN_UNDEFINED:
		break;
	case JSMN_STRING: {
		int i = json_list_find(d, tc, tool_choices);
		if (i < 0)
			return fail(c, "tool_choice must be none, auto, required or a function");
		ir->tool_choice = (uint8_t)(IR_TC_AUTO + i);
		break;
	}
	case JSMN_OBJECT: {
		int name = get_string(d, json_get(d, tc, "function"), "name");
		if (!json_str_eq(d, json_get(d, tc, "type"), "function") || name < 0)
			return fail(c, "tool_choice object must be {\"type\":\"function\",\"function\":{\"name\":...}}");
		ir->tool_choice = IR_TC_TOOL;
		ir->tool_choice_name = ir_tok_str(d, name);
		break;
	}
	default:
		return fail(c, "tool_choice must be a string or an object");
	}
	int ptc = c->top[R_PARALLEL];
	if (json_is_true(d, ptc))
		ir->parallel_tools = 1;
	else if (json_is_false(d, ptc))
		ir->parallel_tools = 0;
	return 0;
}

static int dec_params(const struct ctx *c)
{
	const struct json_doc *d = c->d;
	struct ir_request *ir = c->ir;
	const int *top = c->top;
	int mk = type_of(d, top[R_MAX_COMPLETION_TOKENS]) ? R_MAX_COMPLETION_TOKENS : R_MAX_TOKENS;
	int v = top[mk];
	if (type_of(d, v)) {
		int64_t x;
		if (json_get_i64(d, v, &x) < 0 || x < 0)
			return fail(c, "%s must be a non-negative integer", fmt_list_nth(request_keys, mk));
		ir->max_tokens = x;
	}
	static const uint16_t num_off[3] = { offsetof(struct ir_request, temperature), offsetof(struct ir_request, top_p),
					     offsetof(struct ir_request, top_k) };
	for (int i = 0; i < 3; i++) {
		v = top[R_TEMPERATURE + i];
		if (!type_of(d, v))
			continue;
		if (!json_is_number(d, v))
			return fail(c, "%s must be a number", fmt_list_nth(request_keys, R_TEMPERATURE + i));
		*(struct ir_str *)(void *)((char *)ir + num_off[i]) = ir_tok_str(d, v);
	}
	v = top[R_STOP];
	switch (type_of(d, v)) {
	case JSMN_UNDEFINED:
		break;
	case JSMN_STRING:
		ir->stop[ir->nstop++] = ir_tok_str(d, v);
		break;
	case JSMN_ARRAY:
		if (d->tok[v].size > IR_MAX_STOP)
			return fail(c, TOO_MANY, "stop sequences", IR_MAX_STOP);
		for (int k = 0; k < d->tok[v].size; k++) {
			int s = json_index(d, v, k);
			if (type_of(d, s) != JSMN_STRING)
				goto bad_stop;
			ir->stop[ir->nstop++] = ir_tok_str(d, s);
		}
		break;
	default:
	bad_stop:
		return fail(c, "stop must be a string or an array of strings");
	}
	ir->stream = json_is_true(d, top[R_STREAM]);
	if (ir->stream)
		ir->include_usage = json_is_true(d, json_get(d, top[R_STREAM_OPTIONS], "include_usage"));
	v = top[R_RESPONSE_FORMAT];
	int ty = type_of(d, v);
	if (ty == JSMN_OBJECT) {
		switch (json_list_find(d, json_get(d, v, "type"), "text\0json_object\0json_schema\0")) {
		case 0:
			break;
		case 1:
			ir->format = IR_FMT_JSON_OBJECT;
			break;
		case 2: {
			int js = json_get(d, v, "json_schema");
			int sc = member(d, js, "schema", JSMN_OBJECT);
			if (sc >= 0) {
				ir->format = IR_FMT_JSON_SCHEMA;
				ir->schema = ir_tok_str(d, sc);
				ir->schema_name = ir_tok_str(d, get_string(d, js, "name"));
			} else {
				ir->format = IR_FMT_JSON_OBJECT;
			}
			break;
		}
		default:
			return fail(c, "response_format.type must be text, json_object or json_schema");
		}
	} else if (ty) {
		return fail(c, "response_format must be an object");
	}
	v = of_type(d, top[R_USER], JSMN_STRING);
	ir->user = ir_tok_str(d, v >= 0 ? v : of_type(d, top[R_SAFETY_IDENTIFIER], JSMN_STRING));
	v = top[R_SEED];
	if (type_of(d, v) && json_get_i64(d, v, &ir->seed) < 0)
		return fail(c, "seed must be an integer");
	ir->reasoning = ir_tok_str(d, of_type(d, top[R_REASONING], JSMN_STRING));
	v = top[R_N];
	if (type_of(d, v)) {
		int64_t n;
		if (json_get_i64(d, v, &n) < 0 || n < 1)
			return fail(c, "n must be a positive integer");
		if (n > 1)
			return fail(c, "n > 1 is not supported across dialects");
	}
	return 0;
}

static int oa_decode_request(const struct json_doc *d, struct ir_request *ir, char *err, size_t errlen)
{
	int top[R_NKEYS];
	const struct ctx c = { err, errlen, d, ir, top };
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
	if (!d || d->ntok < 1 || d->tok[0].type != JSMN_OBJECT)
		return fail(&c, "the request body must be a JSON object");
	members(d, 0, request_keys, top, R_NKEYS);
	ir->model = ir_tok_str(d, of_type(d, top[R_MODEL], JSMN_STRING));
	int msgs_tok = of_type(d, top[R_MESSAGES], JSMN_ARRAY);
	if (msgs_tok < 0)
		return fail(&c, MUST_ARRAY, "messages");
	if (dec_messages(&c, msgs_tok) < 0 || dec_tools(&c) < 0 || dec_params(&c) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

/* The JSON-escaped content of s, without quotes, for concatenation. */
static void write_str_body(struct json_out *o, const struct ir_str *s)
{
	if (!s->p)
		return;
	if (s->kind == IR_RAW) {
		json_raw_append(o, s->p, s->n);
		return;
	}
	size_t start = o->len;
	ir_write_string(o, s);
	if (o->overflow || o->len < start + 2)
		return;
	memmove(o->buf + start, o->buf + start + 1, o->len - start - 2);
	o->len -= 2;
}

/* Appends the text of f, except for these directives, each taking one
 * pointer argument:
 *   %s  const struct ir_str *: a JSON string (ir_write_string)
 *   %b  const struct ir_str *: its escaped body without quotes
 *   %r  const struct ir_str *: its bytes as they stand (number text)
 *   %c  const char *: a JSON string (json_cstr)
 *   %l  const char *: verbatim
 *   %d  const int64_t *
 * One call instead of a run of json_lit()/ir_write_string() calls keeps
 * the encoders small. No literal text here contains a '%'. */
static void vput(struct json_out *o, const char *f, va_list ap)
{
	for (;;) {
		const char *e = strchrnul(f, '%');
		json_raw_append(o, f, (size_t)(e - f));
		if (!*e)
			return;
		const void *a = va_arg(ap, const void *);
		const struct ir_str *s = a;
		switch (e[1]) {
		case 's':
			ir_write_string(o, s);
			break;
		case 'b':
			write_str_body(o, s);
			break;
		case 'r':
			json_raw_append(o, s->p, s->n);
			break;
		case 'c':
			json_cstr(o, a);
			break;
		case 'l':
			json_lit(o, a);
			break;
		case 'd':
			json_i64(o, *(const int64_t *)a);
			break;
		}
		f = e + 2;
	}
}

static void put(struct json_out *o, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vput(o, f, ap);
	va_end(ap);
}

/* Written in place of an absent value. */
static const struct ir_str empty_args = { "{}", 2, IR_RAW };

/* The k-th tool call of a message (k > 0 after a comma); made_up: a call
 * without an id gets "call_llmgw_<k>" (else it is written as given). */
__attribute__((noinline)) static void write_call(struct json_out *o, const struct ir_part *p, int k, int made_up)
{
	struct ir_str id = p->a;
	char buf[32];
	if (made_up && !(id.p && id.n)) {
		fmt_snprintf(buf, sizeof buf, "call_llmgw_%d", k);
		id = ir_plain(buf, (uint32_t)strlen(buf));
	}
	put(o, COMMA_IF(k, "{\"id\":%s,\"type\":\"function\",\"function\":{\"name\":%s,\"arguments\":%s}}"),
	    &id, &p->b, p->args.p && p->args.n ? &p->args : &empty_args);
}

/* ------------------------------------------------------------------ */
/* Request encoding                                                    */

/* OpenAI reasoning models refuse max_tokens and take reasoning_effort. */
static int reasoning_model(const char *model)
{
	const char *m = strrchr(model, '/');
	m = m ? m + 1 : model;
	return (m[0] == 'o' && m[1] >= '1' && m[1] <= '9') || strncmp(m, "gpt-5", 5) == 0;
}

/* The content of a tool result as one string, and the end of its message. */
static void write_result_content(struct json_out *o, const struct ir_part *parts, int i)
{
	const struct ir_part *p = &parts[i];
	if (!p->nsub) {
		put(o, "%s}", &p->text);
		return;
	}
	json_lit(o, "\"");
	for (int k = 1; k <= p->nsub; k++) {
		const struct ir_part *q = &parts[i + k];
		if (k > 1)
			json_lit(o, "\\n\\n");
		if (q->kind == IR_TEXT)
			write_str_body(o, &q->text);
		else
			json_lit(o, "[image omitted]");
	}
	json_lit(o, "\"}");
}

static void enc_msg(const struct ir_request *ir, const struct ir_msg *m, struct json_out *o, int *nout)
{
	static const struct ir_str png = { "image/png", 9, IR_RAW };
	const struct ir_part *parts = ir->parts;
	int end = m->first + m->n;
	/* Tool results first: they must follow the assistant's tool calls. */
	for (int i = m->first; i < end; i++) {
		const struct ir_part *p = &parts[i];
		if (p->kind != IR_TOOL_RESULT)
			continue;
		put(o, COMMA_IF((*nout)++, "{\"role\":\"tool\",\"tool_call_id\":%s,\"content\":"), &p->a);
		write_result_content(o, parts, i);
		i += p->nsub;
	}
	if (m->role == IR_TOOL)
		return;
	/* What remains of the turn, skipping tool results and their sub-parts. */
	int n[IR_THINKING + 1] = { 0 }, nrest = 0;
	const struct ir_str *t = &no_str;
	for (int i = m->first; i < end; i++) {
		const struct ir_part *p = &parts[i];
		if (p->kind == IR_TOOL_RESULT) {
			i += p->nsub;
			continue;
		}
		nrest++;
		if (p->kind <= IR_THINKING)
			n[p->kind]++;
		if (p->kind == IR_TEXT)
			t = &p->text;	/* the last: a user turn's only text */
	}
	if (nrest == 0 && m->n != 0)
		return;		/* a turn of tool results only */
	int k = (*nout)++;
	if (m->role == IR_ASSISTANT) {
		put(o, COMMA_IF(k, "{\"role\":\"assistant\",\"content\":%l"), n[IR_TEXT] ? "\"" : "null");
		if (n[IR_TEXT]) {
			for (int i = m->first; i < end; i++) {
				if (parts[i].kind == IR_TOOL_RESULT)
					i += parts[i].nsub;
				else if (parts[i].kind == IR_TEXT)
					write_str_body(o, &parts[i].text);
			}
			json_lit(o, "\"");
		}
		if (n[IR_TOOL_CALL]) {
			json_lit(o, ",\"tool_calls\":[");
			k = 0;
			for (int i = m->first; i < end; i++) {
				const struct ir_part *p = &parts[i];
				if (p->kind == IR_TOOL_RESULT)
					i += p->nsub;
				if (p->kind == IR_TOOL_CALL)
					write_call(o, p, k++, 0);
			}
		}
		json_lit(o, n[IR_TOOL_CALL] ? "]}" : "}");
		return;
	}
	if (n[IR_IMAGE] == 0 && n[IR_TEXT] <= 1) {
		put(o, COMMA_IF(k, "{\"role\":\"user\",\"content\":%s}"), t);
		return;
	}
	json_lit(o, COMMA_IF(k, "{\"role\":\"user\",\"content\":["));
	k = 0;
	for (int i = m->first; i < end; i++) {
		const struct ir_part *p = &parts[i];
		if (p->kind == IR_TOOL_RESULT)
			i += p->nsub;
		else if (p->kind == IR_TEXT)
			put(o, COMMA_IF(k++, "{\"type\":\"text\",\"text\":%s}"), &p->text);
		else if (p->kind == IR_IMAGE && p->is_url)
			put(o, COMMA_IF(k++, "{\"type\":\"image_url\",\"image_url\":{\"url\":%s}}"), &p->b);
		else if (p->kind == IR_IMAGE)	/* a data: URL */
			put(o, COMMA_IF(k++, "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:%b;base64,%b\"}}"),
			    p->a.p ? &p->a : &png, &p->b);
	}
	json_lit(o, "]}");
}

static int oa_encode_request(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen)
{
	static const struct ir_str response = { "response", 8, IR_RAW };
	const struct ctx c = { err, errlen, NULL, NULL, NULL };
	int rm = reasoning_model(model);
	put(o, "{\"model\":%c,\"messages\":[", model);
	int nout = 0;
	if (ir->sys_n) {
		json_lit(o, "{\"role\":\"system\",\"content\":\"");
		for (int i = 0; i < ir->sys_n; i++)
			put(o, &"\\n\\n%b"[i ? 0 : 4], &ir->parts[ir->sys_first + i].text);	/* joined by a blank line */
		json_lit(o, "\"}");
		nout++;
	}
	for (int k = 0; k < ir->nmsgs; k++)
		enc_msg(ir, &ir->msgs[k], o, &nout);
	json_lit(o, "]");
	if (ir->ntools) {
		json_lit(o, ",\"tools\":[");
		for (int k = 0; k < ir->ntools; k++) {
			const struct ir_tool *t = &ir->tools[k];
			put(o, COMMA_IF(k, "{\"type\":\"function\",\"function\":{\"name\":%s"), &t->name);
			if (t->description.p)
				put(o, ",\"description\":%s", &t->description);
			if (t->parameters.p) {
				json_lit(o, ",\"parameters\":");
				if (ir_write_schema(o, &t->parameters) < 0)
					return fail(&c, "tool parameters are not valid JSON");
			}
			json_lit(o, "}}");
		}
		json_lit(o, "]");
		if (ir->parallel_tools >= 0)
			put(o, ",\"parallel_tool_calls\":%l", ir->parallel_tools ? "true" : "false");
	}
	if (ir->tool_choice == IR_TC_TOOL)
		put(o, ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":%s}}", &ir->tool_choice_name);
	else if (ir->tool_choice >= IR_TC_AUTO && ir->tool_choice <= IR_TC_REQUIRED)
		put(o, ",\"tool_choice\":\"%l\"", fmt_list_nth(tool_choices, ir->tool_choice - IR_TC_AUTO));
	if (ir->max_tokens >= 0)
		put(o, ",\"%l\":%d", rm ? "max_completion_tokens" : "max_tokens", &ir->max_tokens);
	if (ir->temperature.p)
		put(o, ",\"temperature\":%r", &ir->temperature);
	if (ir->top_p.p)
		put(o, ",\"top_p\":%r", &ir->top_p);
	if (ir->nstop) {
		json_lit(o, ",\"stop\":[");
		for (int k = 0; k < ir->nstop; k++)
			put(o, COMMA_IF(k, "%s"), &ir->stop[k]);
		json_lit(o, "]");
	}
	if (ir->format == IR_FMT_JSON_OBJECT) {
		json_lit(o, ",\"response_format\":{\"type\":\"json_object\"}");
	} else if (ir->format == IR_FMT_JSON_SCHEMA) {
		put(o, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":%s,\"schema\":",
		    ir->schema_name.p ? &ir->schema_name : &response);
		if (ir_write_schema(o, &ir->schema) < 0)
			return fail(&c, "response schema is not valid JSON");
		json_lit(o, "}}");
	}
	if (ir->user.p)
		put(o, ",\"user\":%s", &ir->user);
	if (ir->seed >= 0)
		put(o, ",\"seed\":%d", &ir->seed);
	if (ir->reasoning.p)
		put(o, ",\"reasoning_effort\":%s", &ir->reasoning);
	else if (rm && ir->thinking_budget > 0)
		put(o, ",\"reasoning_effort\":\"%l\"", ir->thinking_budget < 4096 ? "low"
			: ir->thinking_budget < 16384 ? "medium" : "high");
	json_lit(o, ir->stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}" : "}");
	return 0;
}

static int oa_request_path(const char *model, int stream, char *buf, size_t len)
{
	int n = fmt_snprintf(buf, len, "/v1/chat/completions");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */

/* The top-level members of a response, a stream chunk or an error body,
 * and those of an error object. */
enum { T_CHOICES, T_ID, T_MODEL, T_USAGE, T_CREATED, T_ERROR, T_X_GROQ, T_MESSAGE, T_DETAIL, T_CODE, T_TYPE, T_NKEYS };
static const char top_keys[] = "choices\0id\0model\0usage\0created\0error\0x_groq\0message\0detail\0code\0type\0";

/* What choices[0].message (a response) or .delta (a chunk) carries: the
 * tokens of its reasoning text (DeepSeek reasoning_content, OpenRouter
 * reasoning), content and refusal, -1 when absent or empty, and of its
 * tool_calls array, -1 when not an array. */
enum { C_THINKING, C_CONTENT, C_REFUSAL, C_TOOL_CALLS };
static void choice_msg(const struct json_doc *d, int m, int v[4])
{
	int mv[5];
	members(d, m, "reasoning_content\0reasoning\0content\0refusal\0tool_calls\0", mv, 5);
	v[C_THINKING] = nonempty(d, mv[0]);
	if (v[C_THINKING] < 0)
		v[C_THINKING] = nonempty(d, mv[1]);
	v[C_CONTENT] = nonempty(d, mv[2]);
	v[C_REFUSAL] = nonempty(d, mv[3]);
	v[C_TOOL_CALLS] = of_type(d, mv[4], JSMN_ARRAY);
}

static uint8_t finish_of(const struct json_doc *d, int f)
{
	if (type_of(d, f) != JSMN_STRING)
		return IR_FIN_NONE;
	int i = json_list_find(d, f, finish_names);
	return i < 0 ? IR_FIN_STOP : i == 5 ? IR_FIN_TOOL_CALLS : (uint8_t)(IR_FIN_STOP + i);
}

/* A count inside the object at js[vs, ve) (ve 0: absent), else 0. */
static int64_t inner_count(const char *js, size_t vs, size_t ve, const char *key)
{
	size_t a, b;
	int64_t x = 0;
	if (ve && json_top_get(js + vs, ve - vs, key, &a, &b) == 0)
		json_span_count(js + vs, a, b, &x);
	return x;
}

/* The usage object's text js[0..n): one pass over it, no tokens (the
 * same-dialect path reads usage straight from the answer). */
static void oa_scan_usage(const char *js, size_t n, struct ir_usage *us)
{
	static const char *const keys[5] = { "prompt_tokens", "completion_tokens", "prompt_tokens_details",
					     "prompt_cache_hit_tokens", "completion_tokens_details" };
	size_t vs[5], ve[5];
	memset(us, 0, sizeof *us);
	if (json_top_scan(js, n, keys, 5, vs, ve) < 0)
		return;
	us->have = 1;
	json_span_count(js, vs[0], ve[0], &us->input);
	json_span_count(js, vs[1], ve[1], &us->output);
	us->cached = inner_count(js, vs[2], ve[2], "cached_tokens");
	if (!us->cached)
		json_span_count(js, vs[3], ve[3], &us->cached);	/* DeepSeek */
	us->reasoning = inner_count(js, vs[4], ve[4], "reasoning_tokens");
}

static void dec_usage(const struct json_doc *d, int u, struct ir_usage *us)
{
	oa_scan_usage(json_raw(d, u), json_raw_len(d, u), us);
}

/* The choice with index 0 (or the first one). */
static int choice0(const struct json_doc *d, int choices)
{
	if (type_of(d, choices) != JSMN_ARRAY || d->tok[choices].size == 0)
		return -1;
	for (int k = 0, c = choices + 1; k < d->tok[choices].size; k++, c = json_skip(d, c)) {
		int64_t ix;
		if (json_get_i64(d, json_get(d, c, "index"), &ix) == 0 && ix == 0)
			return c;
	}
	return choices + 1;
}

__attribute__((noinline)) static struct ir_part *resp_part(struct ir_response *r, uint8_t kind, struct ir_str text)
{
	struct ir_part *p = &r->parts[r->nparts++];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	p->text = text;
	return p;
}

static int oa_decode_response(const struct json_doc *d, struct ir_response *r, char *err, size_t errlen)
{
	const struct ctx cx = { err, errlen, NULL, NULL, NULL };
	struct ir_part *parts = r->parts;
	memset(r, 0, sizeof *r);
	r->parts = parts;
	if (!d || d->ntok < 1 || d->tok[0].type != JSMN_OBJECT)
		return fail(&cx, "response is not a JSON object");
	int tv[T_NKEYS], v[4];
	members(d, 0, top_keys, tv, T_NKEYS);
	int c = choice0(d, tv[T_CHOICES]);
	int m = member(d, c, "message", JSMN_OBJECT);
	if (c < 0 || m < 0)
		return fail(&cx, "response has no choices[0].message");
	r->id = ir_tok_str(d, nonempty(d, tv[T_ID]));
	r->model = ir_tok_str(d, of_type(d, tv[T_MODEL], JSMN_STRING));
	int64_t created;
	if (json_get_i64(d, tv[T_CREATED], &created) == 0)
		r->created = created;
	choice_msg(d, m, v);
	for (int i = C_THINKING; i <= C_REFUSAL; i++)
		if (v[i] >= 0)
			resp_part(r, i == C_THINKING ? IR_THINKING : IR_TEXT, ir_tok_str(d, v[i]));
	int tc = v[C_TOOL_CALLS];
	int ncalls = 0;
	if (tc >= 0) {
		for (int k = 0; k < d->tok[tc].size; k++) {
			int cv[F_NKEYS];
			call_fields(d, json_index(d, tc, k), cv);
			if (cv[F_NAME] < 0)
				continue;	/* not a function call */
			if (ncalls >= IR_MAX_CALLS || r->nparts >= IR_MAX_PARTS)
				return fail(&cx, "too many tool calls in the response");
			struct ir_part *p = resp_part(r, IR_TOOL_CALL, no_str);
			p->a = ir_tok_str(d, of_type(d, cv[F_ID], JSMN_STRING));
			p->b = ir_tok_str(d, cv[F_NAME]);
			p->args = args_str(d, cv[F_ARGUMENTS]);
			ncalls++;
		}
	}
	r->finish = finish_of(d, json_get(d, c, "finish_reason"));
	if (r->finish == IR_FIN_STOP || r->finish == IR_FIN_NONE) {
		if (ncalls)
			r->finish = IR_FIN_TOOL_CALLS;
		else if (v[C_REFUSAL] >= 0)
			r->finish = IR_FIN_CONTENT_FILTER;
	}
	int u = of_type(d, tv[T_USAGE], JSMN_OBJECT);
	if (u >= 0)
		dec_usage(d, u, &r->usage);
	return 0;
}

/* The name of finish reason f: IR_FIN_NONE (a stream cut short) and
 * unknown values as "stop". */
__attribute__((noinline)) static const char *finish_str(uint8_t f)
{
	return fmt_list_nth(finish_names, f >= IR_FIN_STOP && f <= IR_FIN_ERROR ? f - IR_FIN_STOP : 0);
}

/* The usage object between the literals pre and post. */
__attribute__((noinline)) static void write_usage(struct json_out *o, const struct ir_usage *u, const char *pre, const char *post)
{
	int64_t total = u->input + u->output;
	put(o, "%l{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d,"
	       "\"prompt_tokens_details\":{\"cached_tokens\":%d},"
	       "\"completion_tokens_details\":{\"reasoning_tokens\":%d}}%l",
	    pre, &u->input, &u->output, &total, &u->cached, &u->reasoning, post);
}

/* pre, then the text parts (or thinking parts) of a response concatenated
 * as one string. */
static void write_joined(struct json_out *o, const struct ir_part *parts, int n, uint8_t kind, const char *pre)
{
	put(o, "%l\"", pre);
	for (int i = 0; i < n; i++)
		if (parts[i].kind == kind)
			write_str_body(o, &parts[i].text);
	json_lit(o, "\"");
}

static void oa_encode_response(const struct ir_response *r, const char *model, struct json_out *o)
{
	int ntext = 0, nthink = 0, ncall = 0;
	for (int i = 0; i < r->nparts; i++) {
		ntext += r->parts[i].kind == IR_TEXT;
		nthink += r->parts[i].kind == IR_THINKING && r->parts[i].text.p && r->parts[i].text.n;
		ncall += r->parts[i].kind == IR_TOOL_CALL;
	}
	static const struct ir_str made_up_id = { "chatcmpl-llmgw", 14, IR_RAW };
	put(o, "{\"id\":%s,\"object\":\"chat.completion\",\"created\":%d,\"model\":%c,"
	       "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":",
	    r->id.p && r->id.n ? &r->id : &made_up_id, &r->created, model);
	if (ntext)
		write_joined(o, r->parts, r->nparts, IR_TEXT, "");
	else
		json_lit(o, "null");
	json_lit(o, ",\"refusal\":null");
	if (nthink)
		write_joined(o, r->parts, r->nparts, IR_THINKING, ",\"reasoning_content\":");
	if (ncall) {
		json_lit(o, ",\"tool_calls\":[");
		int k = 0;
		for (int i = 0; i < r->nparts; i++)
			if (r->parts[i].kind == IR_TOOL_CALL)
				write_call(o, &r->parts[i], k++, 1);
		json_lit(o, "]");
	}
	put(o, "},\"logprobs\":null,\"finish_reason\":\"%l\"}]", finish_str(r->finish));
	if (r->usage.have)
		write_usage(o, &r->usage, ",\"usage\":", "}");
	else
		json_lit(o, "}");
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/* The class of an error known only by its type/code (in-stream errors):
 * the first matching pattern wins. Each pattern's first character is the
 * class ('A' + enum ir_err_class) for a substring match, or the same in
 * lower case for a whole-string match. */
static const char type_patterns[] =
	"Grate_limit\0" "grequests\0" "gtokens\0" "Gquota\0" "gRESOURCE_EXHAUSTED\0"
	"Bapi_key\0" "Bauthentication\0" "bUNAUTHENTICATED\0"
	"Dpermission\0" "dPERMISSION_DENIED\0"
	"Enot_found\0" "eNOT_FOUND\0"
	"Ioverloaded\0" "Iunavailable\0" "iUNAVAILABLE\0"
	"Jtimeout\0" "jDEADLINE_EXCEEDED\0"
	"Ainvalid_request\0" "Acontext_length\0" "aINVALID_ARGUMENT\0";
_Static_assert(IR_ERR_RATE_LIMIT == 'G' - 'A' && IR_ERR_AUTH == 'B' - 'A' && IR_ERR_PERMISSION == 'D' - 'A' &&
	       IR_ERR_NOT_FOUND == 'E' - 'A' && IR_ERR_OVERLOADED == 'I' - 'A' && IR_ERR_TIMEOUT == 'J' - 'A' &&
	       IR_ERR_INVALID == 0, "type_patterns classes");

static uint8_t class_of_type(const struct ir_str *t)
{
	for (const char *p = type_patterns; *p; p += strlen(p) + 1) {
		const char *lit = p + 1;
		if (*p >= 'a' ? ir_str_eq(t, lit) : t->p && fmt_find(t->p, t->n, lit, strlen(lit)) != NULL)
			return (uint8_t)((*p | 0x20) - 'a');
	}
	return IR_ERR_SERVER;
}

/* Fills e from an error object or string at token v (or the root when it
 * carries "message" itself, as vLLM's {"object":"error",...}). status 0:
 * unknown (an in-stream error), the class then comes from the type. */
static void dec_error_tok(const struct json_doc *d, int v, int status, struct ir_error *e)
{
	int code_num = 0;
	int ty = type_of(d, v);
	if (ty == JSMN_STRING) {
		e->message = ir_tok_str(d, v);
	} else if (ty == JSMN_OBJECT) {
		int ev[T_NKEYS];
		members(d, v, top_keys, ev, T_NKEYS);
		int m = of_type(d, ev[T_MESSAGE], JSMN_STRING);
		if (m >= 0)
			e->message = ir_tok_str(d, m);
		int c = ev[T_CODE];
		int t = nonempty(d, c);
		if (t < 0)
			t = nonempty(d, ev[T_TYPE]);
		if (t >= 0)
			e->type = ir_tok_str(d, t);
		int64_t n;
		if (json_get_i64(d, c, &n) == 0 && n >= 400 && n <= 599)
			code_num = (int)n;
	}
	if (status < 400)
		status = code_num;
	if (status >= 400) {
		e->cls = ir_err_class_of_status(status);
		e->status = e->cls == IR_ERR_OVERLOADED ? 503 : status;
	} else {
		e->cls = class_of_type(&e->type);
		e->status = ir_err_status(e->cls);
	}
}

static void oa_decode_error(const struct json_doc *d, int status, struct ir_error *e)
{
	memset(e, 0, sizeof *e);
	int v = -1;
	if (d && d->ntok > 0 && d->tok[0].type == JSMN_OBJECT) {
		int tv[T_NKEYS];
		members(d, 0, top_keys, tv, T_NKEYS);
		v = tv[T_ERROR];
		int ty = type_of(d, v);
		if (ty != JSMN_OBJECT && ty != JSMN_STRING) {
			if (of_type(d, tv[T_MESSAGE], JSMN_STRING) >= 0)
				v = 0;
			else
				v = of_type(d, tv[T_DETAIL], JSMN_STRING);	/* FastAPI-style servers */
		}
	}
	/* v -1: no error object, the class from the status (or, without
	 * one, from the empty type: a server error). */
	dec_error_tok(d, v, status, e);
}

/* OpenAI's type and code for each class (indexes into err_names; code
 * 0: null), and the message when the provider gave none. */
static const char err_names[] =
	"\0invalid_request_error\0insufficient_quota\0permission_error\0requests\0server_error\0"
	"invalid_api_key\0not_found\0request_too_large\0rate_limit_exceeded\0overloaded\0timeout\0";
static const uint8_t err_tab[][2] = {
	[IR_ERR_INVALID] = { 1, 0 },
	[IR_ERR_AUTH] = { 1, 6 },
	[IR_ERR_BILLING] = { 2, 2 },
	[IR_ERR_PERMISSION] = { 3, 0 },
	[IR_ERR_NOT_FOUND] = { 1, 7 },
	[IR_ERR_TOO_LARGE] = { 1, 8 },
	[IR_ERR_RATE_LIMIT] = { 4, 9 },
	[IR_ERR_SERVER] = { 5, 0 },
	[IR_ERR_OVERLOADED] = { 5, 10 },
	[IR_ERR_TIMEOUT] = { 5, 11 },
};
static const char err_msgs[] =
	"Invalid request\0Authentication failed\0Payment required\0Permission denied\0Not found\0"
	"Request too large\0Rate limit exceeded\0The upstream server had an error\0"
	"The upstream server is overloaded\0The upstream server timed out";

/* The error object between the literals pre and post. */
static void write_error_obj(const struct ir_error *e, struct json_out *o, const char *pre, const char *post)
{
	uint8_t c = e->cls < sizeof err_tab / sizeof err_tab[0] ? e->cls : IR_ERR_SERVER;
	const char *type = fmt_list_nth(err_names, err_tab[c][0]);
	put(o, "%l{\"message\":", pre);
	if (e->message.p)
		ir_write_string(o, &e->message);
	else
		json_cstr(o, fmt_list_nth(err_msgs, c));
	put(o, ",\"type\":%c,\"param\":null,\"code\":", type);
	if (e->type.p && e->type.n && !ir_str_eq(&e->type, type))
		ir_write_string(o, &e->type);
	else if (err_tab[c][1])
		json_cstr(o, fmt_list_nth(err_names, err_tab[c][1]));
	else
		json_lit(o, "null");
	put(o, "}%l", post);
}

static void oa_encode_error(const struct ir_error *e, struct json_out *o)
{
	write_error_obj(e, o, "{\"error\":", "}");
}

/* ------------------------------------------------------------------ */
/* Stream decoding (an OpenAI-dialect provider)                        */

struct oa_dec {
	uint8_t started, finished, refusal;
	uint16_t ncalls;
	/* Provider tool-call index -> IR index (position in this array), and
	 * a hash of the call id: some servers reuse one index for several
	 * calls, so a new id at a known index is a new call. */
	struct {
		int16_t pidx;
		uint16_t idh;
	} call[IR_MAX_CALLS];
};
_Static_assert(sizeof(struct oa_dec) <= sizeof(((struct xlate_stream *)0)->dec), "oa_dec too large");

static uint16_t id_hash(const struct ir_str *s)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < s->n; i++)
		h = (h ^ (unsigned char)s->p[i]) * 16777619u;
	h ^= h >> 16;
	return (uint16_t)(h & 0xffff ? h : 1);	/* 0 means "no id" */
}

/* Emits *ev as kind and clears it for the next one. */
static void emit(struct xlate_stream *s, struct ir_event *ev, uint8_t kind)
{
	ev->kind = kind;
	xlate_emit(s, ev);
	memset(ev, 0, sizeof *ev);
}

/* Emits string token t (when not -1) as the text of an event of kind. */
static int emit_text(struct xlate_stream *s, struct ir_event *ev, uint8_t kind, const struct json_doc *d, int t)
{
	if (t < 0)
		return 0;
	ev->text = ir_tok_str(d, t);
	emit(s, ev, kind);
	return 1;
}

static int dec_tool_deltas(struct xlate_stream *s, struct oa_dec *st, const struct json_doc *d, int tcs, struct ir_event *ev)
{
	for (int k = 0; k < d->tok[tcs].size; k++) {
		int el = json_index(d, tcs, k);
		if (type_of(d, el) != JSMN_OBJECT)
			return -1;
		int v[F_NKEYS];
		call_fields(d, el, v);
		int64_t pidx = -1;
		if (type_of(d, v[F_INDEX]) && (json_get_i64(d, v[F_INDEX], &pidx) < 0 || pidx < 0 || pidx > 32767))
			return -1;
		struct ir_str ids = ir_tok_str(d, nonempty(d, v[F_ID]));
		/* The latest call with this provider index (or the latest at all
		 * when the server sends no index). */
		int found = -1;
		for (int c = st->ncalls - 1; c >= 0; c--)
			if (pidx < 0 || st->call[c].pidx == pidx) {
				found = c;
				break;
			}
		if (found >= 0 && ids.p && st->call[found].idh && st->call[found].idh != id_hash(&ids))
			found = -1;
		if (found < 0) {
			if (st->ncalls >= IR_MAX_CALLS)
				return -1;
			found = st->ncalls++;
			st->call[found].pidx = (int16_t)pidx;
			st->call[found].idh = ids.p ? id_hash(&ids) : 0;
			ev->index = (uint16_t)found;
			ev->id = ids;
			ev->name = ir_tok_str(d, v[F_NAME]);
			emit(s, ev, EV_TOOL_START);
		}
		int args = v[F_ARGUMENTS];
		int at = type_of(d, args);
		if ((at == JSMN_STRING && json_raw_len(d, args)) || at == JSMN_OBJECT) {
			ev->index = (uint16_t)found;
			emit_text(s, ev, EV_TOOL_ARGS, d, args);
		}
	}
	return 0;
}

static int oa_decode_event(struct xlate_stream *s, const struct sse_event *sev)
{
	struct oa_dec *st = (struct oa_dec *)s->dec;
	if (sev->data_lines == 0)
		return 0;		/* comments and keep-alives */
	if (sev->data_lines != 1 || !sev->data)
		return -1;
	struct ir_event ev;
	memset(&ev, 0, sizeof ev);
	if (sev->data_len == 6 && memcmp(sev->data, "[DONE]", 6) == 0) {
		emit(s, &ev, EV_END);
		return 0;
	}
	struct json_doc doc, *d = &doc;
	if (json_parse(d, sev->data, sev->data_len, s->tok, s->maxtok) < 1 || d->tok[0].type != JSMN_OBJECT)
		return -1;
	int tv[T_NKEYS];
	members(d, 0, top_keys, tv, T_NKEYS);
	int er = tv[T_ERROR];
	int ty = type_of(d, er);
	if (ty == JSMN_OBJECT || ty == JSMN_STRING) {
		dec_error_tok(d, er, 0, &ev.error);
		emit(s, &ev, EV_ERROR);
		return 0;
	}
	ty = type_of(d, tv[T_CHOICES]);
	if (ty && ty != JSMN_ARRAY)
		return -1;
	int c = choice0(d, tv[T_CHOICES]);
	int u = of_type(d, tv[T_USAGE], JSMN_OBJECT);
	if (u < 0)	/* Groq puts the usage in x_groq */
		u = member(d, tv[T_X_GROQ], "usage", JSMN_OBJECT);
	if (c < 0 && u < 0)
		return 0;
	if (!st->started) {
		st->started = 1;
		ev.id = ir_tok_str(d, nonempty(d, tv[T_ID]));
		ev.name = ir_tok_str(d, of_type(d, tv[T_MODEL], JSMN_STRING));
		emit(s, &ev, EV_START);
	}
	if (c >= 0) {
		int delta = json_get(d, c, "delta");
		ty = type_of(d, delta);
		if (ty == JSMN_OBJECT) {
			int v[4];
			choice_msg(d, delta, v);
			emit_text(s, &ev, EV_THINKING, d, v[C_THINKING]);
			emit_text(s, &ev, EV_TEXT, d, v[C_CONTENT]);
			st->refusal |= emit_text(s, &ev, EV_TEXT, d, v[C_REFUSAL]);
			if (v[C_TOOL_CALLS] >= 0 && dec_tool_deltas(s, st, d, v[C_TOOL_CALLS], &ev) < 0)
				return -1;
		} else if (ty) {
			return -1;
		}
		uint8_t f = finish_of(d, json_get(d, c, "finish_reason"));
		if (f != IR_FIN_NONE && !st->finished) {
			st->finished = 1;
			if (f == IR_FIN_STOP && st->ncalls)
				f = IR_FIN_TOOL_CALLS;
			if (f == IR_FIN_STOP && st->refusal)
				f = IR_FIN_CONTENT_FILTER;
			ev.finish = f;
			emit(s, &ev, EV_FINISH);
		}
	}
	if (u >= 0) {
		dec_usage(d, u, &ev.usage);
		emit(s, &ev, EV_USAGE);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Stream encoding (an OpenAI client)                                  */

struct oa_enc {
	uint8_t started, finished;
	uint16_t idlen;
	char id[256];		/* the chunk id, JSON-escaped: the provider's, else made up */
};
_Static_assert(sizeof(struct oa_enc) <= sizeof(((struct xlate_stream *)0)->enc), "oa_enc too large");

/* A chunk's start, up to the literal tail. */
__attribute__((noinline)) static void chunk_open(struct xlate_stream *s, struct oa_enc *st, struct json_out *o, const char *tail)
{
	struct ir_str id = { st->id, st->idlen, IR_RAW };
	int64_t created = s->created;
	put(o, "data: {\"id\":\"%r\",\"object\":\"chat.completion.chunk\",\"created\":%d,\"model\":%c%l",
	    &id, &created, s->model, tail);
}

/* A chunk with choices[0].delta = {f...} (f and its arguments as put()
 * takes them) and finish reason fin (-1: null). */
static void chunk(struct xlate_stream *s, struct oa_enc *st, struct json_out *o, int fin, const char *f, ...)
{
	va_list ap;
	chunk_open(s, st, o, ",\"choices\":[{\"index\":0,\"delta\":{");
	va_start(ap, f);
	vput(o, f, ap);
	va_end(ap);
	const char *q = fin < 0 ? "" : "\"";
	put(o, "},\"logprobs\":null,\"finish_reason\":%l%l%l%l", q, fin < 0 ? "null" : finish_str((uint8_t)fin), q,
	    s->client_usage ? "}],\"usage\":null}\n\n" : "}]}\n\n");
}

static void enc_start(struct xlate_stream *s, struct oa_enc *st, struct json_out *o)
{
	st->started = 1;
	/* No id from the provider: made up once for the whole stream. */
	if (!st->idlen)
		st->idlen = (uint16_t)fmt_snprintf(st->id, sizeof st->id, "chatcmpl-llmgw-%llu", s->serial);
	chunk(s, st, o, -1, "\"role\":\"assistant\",\"content\":\"\"");
}

static void oa_encode_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	struct oa_enc *st = (struct oa_enc *)s->enc;
	if (ev->kind == EV_ERROR) {
		write_error_obj(&ev->error, o, "data: {\"error\":", "}\n\n");
		return;
	}
	if (ev->kind == EV_START) {
		if (st->started)
			return;
		if (ev->id.p && ev->id.n) {
			struct json_out io;
			json_out_init(&io, st->id, sizeof st->id);
			write_str_body(&io, &ev->id);
			st->idlen = io.overflow ? 0 : (uint16_t)io.len;
		}
		enc_start(s, st, o);
		return;
	}
	if (ev->kind == EV_USAGE)
		return;		/* s->usage holds it; written before [DONE] */
	if (!st->started)
		enc_start(s, st, o);
	int64_t index = ev->index;
	switch (ev->kind) {
	case EV_TEXT:
	case EV_THINKING:
		if (ev->text.p && ev->text.n)
			chunk(s, st, o, -1, "\"%l\":%s", ev->kind == EV_TEXT ? "content" : "reasoning_content", &ev->text);
		return;
	case EV_TOOL_START: {
		struct ir_str id = ev->id;
		char buf[64];
		if (!(id.p && id.n)) {
			fmt_snprintf(buf, sizeof buf, "call_%llu_%u", s->serial, (unsigned)ev->index);
			id = ir_plain(buf, (uint32_t)strlen(buf));
		}
		chunk(s, st, o, -1, "\"tool_calls\":[{\"index\":%d,\"id\":%s,\"type\":\"function\",\"function\":"
			"{\"name\":%s,\"arguments\":\"\"}}]", &index, &id, &ev->name);
		return;
	}
	case EV_TOOL_ARGS:
		if (ev->text.p && ev->text.n)
			chunk(s, st, o, -1, "\"tool_calls\":[{\"index\":%d,\"function\":{\"arguments\":%s}}]",
			      &index, &ev->text);
		return;
	case EV_FINISH:
	case EV_END:
		if (!st->finished) {
			st->finished = 1;
			chunk(s, st, o, ev->kind == EV_FINISH ? ev->finish : s->finish, "");
		}
		if (ev->kind == EV_FINISH)
			return;
		if (s->client_usage && s->usage.have) {
			chunk_open(s, st, o, ",\"choices\":[],\"usage\":");
			write_usage(o, &s->usage, "", "}\n\n");
		}
		json_lit(o, "data: [DONE]\n\n");
		return;
	}
}

static const char *oa_stream_type(const struct xlate_stream *s)
{
	return "text/event-stream";
}

const struct dialect_ops dialect_openai = {
	.id = DIALECT_OPENAI,
	.name = "openai",
	.decode_request = oa_decode_request,
	.encode_request = oa_encode_request,
	.request_path = oa_request_path,
	.decode_response = oa_decode_response,
	.encode_response = oa_encode_response,
	.decode_error = oa_decode_error,
	.encode_error = oa_encode_error,
	.decode_event = oa_decode_event,
	.encode_event = oa_encode_event,
	.stream_type = oa_stream_type,
	.usage_key = "usage",
	.scan_usage = oa_scan_usage,
	.success_key = "choices",
	.list_key = "messages",
	.request_id_header = "x-request-id",
	/* A stream reports usage only when asked. */
	.stream_usage_member = "\"stream_options\":{\"include_usage\":true},",
	.end_marker = 1,	/* data: [DONE] */
};
