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
 *   - a member read that is not of its API type (request_types; null is
 *     absent): "stream":"yes", a count outside 0..2^31-1, 1e400 -> 400
 *     naming it, never read as absent.
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
 * Decoders read the members of an object in one walk (members()) and match
 * names against tables indexed by an enum; encoders write through the
 * typed JSON writer (struct jw, json.h), which places the commas.
 */
#include <stdarg.h>
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
/* Sets the message and yields -1. */
#define fail(...) (set_err(__VA_ARGS__), -1)

static const struct ir_str no_str = { NULL, 0, IR_RAW };

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
static int get_string(const struct json_doc *d, int obj, const char *key)
{
	return member(d, obj, key, JSMN_STRING);
}

/* The values (of any type, null included) of the members of object obj
 * named in keys[0..n) (indexed by the caller's enum) into v[0..n), -1 when
 * absent: one walk over obj instead of one json_get() per key. As with
 * json_get(), keys compare unescaped and the last duplicate wins. */
static void members(const struct json_doc *d, int obj, const char *const *keys, int *v, int n)
{
	for (int k = 0; k < n; k++)
		v[k] = -1;
	if (type_of(d, obj) != JSMN_OBJECT)
		return;
	for (int i = 0, k = obj + 1; i < d->tok[obj].size; i++, k = json_skip(d, k)) {
		int w = json_str_index(d, k, keys, n);
		if (w >= 0)
			v[w] = k + 1;
	}
}

/* A tool call object's members (the first F_CALL_NKEYS), and its
 * function's name (a string, else -1) and arguments. */
enum { F_TYPE, F_ID, F_FUNCTION, F_INDEX, F_CALL_NKEYS, F_NAME = F_CALL_NKEYS, F_ARGUMENTS, F_NKEYS };
static const char *const call_keys[F_CALL_NKEYS] = {
	[F_TYPE] = "type", [F_ID] = "id", [F_FUNCTION] = "function", [F_INDEX] = "index",
};
static void call_fields(const struct json_doc *d, int el, int v[F_NKEYS])
{
	members(d, el, call_keys, v, F_CALL_NKEYS);
	v[F_NAME] = get_string(d, v[F_FUNCTION], "name");
	v[F_ARGUMENTS] = json_get(d, v[F_FUNCTION], "arguments");
}

/* Tool call arguments: a string or an object, else absent. */
static struct ir_str args_str(const struct json_doc *d, int args)
{
	int t = type_of(d, args);
	return t == JSMN_STRING || t == JSMN_OBJECT ? ir_tok_str(d, args) : no_str;
}

static int raw_has_prefix(const struct ir_str *s, const char *lit)
{
	size_t n = strlen(lit);
	return s->p && s->n >= n && memcmp(s->p, lit, n) == 0;
}

/* ------------------------------------------------------------------ */
/* Request decoding                                                    */

/* The top-level members a request decoder reads. */
enum {
	R_MODEL, R_MESSAGES, R_FUNCTIONS, R_FUNCTION_CALL, R_TOOLS, R_TOOL_CHOICE, R_PARALLEL,
	R_MAX_COMPLETION_TOKENS, R_MAX_TOKENS, R_TEMPERATURE, R_TOP_P, R_TOP_K, R_STOP, R_STREAM,
	R_STREAM_OPTIONS, R_RESPONSE_FORMAT, R_USER, R_SAFETY_IDENTIFIER, R_SEED, R_REASONING, R_N, R_NKEYS
};
static const char *const request_keys[R_NKEYS] = {
	[R_MODEL] = "model", [R_MESSAGES] = "messages", [R_FUNCTIONS] = "functions",
	[R_FUNCTION_CALL] = "function_call", [R_TOOLS] = "tools", [R_TOOL_CHOICE] = "tool_choice",
	[R_PARALLEL] = "parallel_tool_calls", [R_MAX_COMPLETION_TOKENS] = "max_completion_tokens",
	[R_MAX_TOKENS] = "max_tokens", [R_TEMPERATURE] = "temperature", [R_TOP_P] = "top_p",
	[R_TOP_K] = "top_k", [R_STOP] = "stop", [R_STREAM] = "stream", [R_STREAM_OPTIONS] = "stream_options",
	[R_RESPONSE_FORMAT] = "response_format", [R_USER] = "user", [R_SAFETY_IDENTIFIER] = "safety_identifier",
	[R_SEED] = "seed", [R_REASONING] = "reasoning_effort", [R_N] = "n",
};
/* The JSON types they may have (json_check_members; null passes as absent). */
static const unsigned char request_types[R_NKEYS] = {
	[R_MODEL] = JT_STRING, [R_MESSAGES] = JT_ARRAY, [R_TOOLS] = JT_ARRAY,
	[R_TOOL_CHOICE] = JT_STRING | JT_OBJECT, [R_PARALLEL] = JT_BOOL, [R_MAX_COMPLETION_TOKENS] = JT_COUNT,
	[R_MAX_TOKENS] = JT_COUNT, [R_TEMPERATURE] = JT_NUMBER, [R_TOP_P] = JT_NUMBER, [R_TOP_K] = JT_NUMBER,
	[R_STOP] = JT_STRING | JT_ARRAY, [R_STREAM] = JT_BOOL, [R_STREAM_OPTIONS] = JT_OBJECT,
	[R_RESPONSE_FORMAT] = JT_OBJECT, [R_USER] = JT_STRING, [R_SAFETY_IDENTIFIER] = JT_STRING,
	[R_SEED] = JT_INT, [R_REASONING] = JT_STRING, [R_N] = JT_INT,
};

/* The members of a message. */
enum { M_ROLE, M_CONTENT, M_REFUSAL, M_FUNCTION_CALL, M_TOOL_CALLS, M_TOOL_CALL_ID, M_NKEYS };
static const char *const message_keys[M_NKEYS] = {
	[M_ROLE] = "role", [M_CONTENT] = "content", [M_REFUSAL] = "refusal",
	[M_FUNCTION_CALL] = "function_call", [M_TOOL_CALLS] = "tool_calls", [M_TOOL_CALL_ID] = "tool_call_id",
};

static struct ir_part *new_part(const struct ctx *c, uint8_t kind)
{
	struct ir_request *ir = c->ir;
	if (ir->nparts >= IR_MAX_PARTS) {
		set_err(c, "too many content parts (at most %d)", IR_MAX_PARTS);
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
		return fail(c, "%s message content must be a string or an array of text parts", role);
	int n = d->tok[ct].size;
	for (int k = 0; k < n; k++) {
		int t = text_part(d, json_index(d, ct, k));
		if (t < 0)
			return fail(c, "%s message content parts must be text", role);
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

/* Content part types of a user message. */
enum { PT_TEXT, PT_IMAGE_URL, PT_INPUT_AUDIO, PT_FILE, PT_NTYPES };
static const char *const part_types[PT_NTYPES] = {
	[PT_TEXT] = "text", [PT_IMAGE_URL] = "image_url", [PT_INPUT_AUDIO] = "input_audio", [PT_FILE] = "file",
};

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
		int rc, i = json_str_index(d, json_get(d, el, "type"), part_types, PT_NTYPES);
		switch (i) {
		case PT_TEXT: {
			int t = get_string(d, el, "text");
			if (t < 0)
				return fail(c, "text part without text");
			rc = add_text(c, ir_tok_str(d, t));
			break;
		}
		case PT_IMAGE_URL:
			rc = dec_image(c, el);
			break;
		case PT_INPUT_AUDIO:
		case PT_FILE:
			return fail(c, "%s content parts are not supported by the gateway", part_types[i]);
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
			int ty = json_get(d, el, "type");
			int text = json_str_eq(d, ty, "text");
			if (!text && !json_str_eq(d, ty, "refusal"))
				return fail(c, "assistant content parts must be text or refusal");
			int t = get_string(d, el, text ? "text" : "refusal");
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
				return fail(c, "only function tool calls are supported");
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
		return fail(c, "tool_calls must be an array");
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
		if (q->kind == IR_TOOL_CALL && ir_str_same(&q->a, &p->a)) {
			p->b = q->b;
			break;
		}
	}
	return dec_text_content(c, mv[M_CONTENT], "tool", p);
}

/* messages[].role values: system and developer go to the system prompt;
 * user, assistant and tool are the IR roles. */
enum { ROLE_SYSTEM, ROLE_DEVELOPER, ROLE_USER, ROLE_ASSISTANT, ROLE_TOOL, ROLE_FUNCTION, NROLES };
static const char *const roles[NROLES] = {
	[ROLE_SYSTEM] = "system", [ROLE_DEVELOPER] = "developer", [ROLE_USER] = "user",
	[ROLE_ASSISTANT] = "assistant", [ROLE_TOOL] = "tool", [ROLE_FUNCTION] = "function",
};
static const uint8_t ir_role_of[NROLES] = {
	[ROLE_USER] = IR_USER, [ROLE_ASSISTANT] = IR_ASSISTANT, [ROLE_TOOL] = IR_TOOL,
};

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
		int ri = json_str_index(d, role, roles, NROLES);
		if ((ri == ROLE_SYSTEM || ri == ROLE_DEVELOPER) && dec_text_content(c, mv[M_CONTENT], "system", NULL) < 0)
			return -1;
	}
	ir->sys_n = (uint16_t)(ir->nparts - ir->sys_first);
	/* Pass 2: the conversation. */
	for (int k = 0; k < n; k++) {
		members(d, json_index(d, msgs, k), message_keys, mv, M_NKEYS);
		int ri = json_str_index(d, mv[M_ROLE], roles, NROLES);
		if (ri == ROLE_SYSTEM || ri == ROLE_DEVELOPER)
			continue;
		if (ri == ROLE_FUNCTION)
			return fail(c, "legacy role \"function\" is not supported: use tool messages");
		if (ri < 0)
			return fail(c, "messages[%d]: unknown role", k);
		uint8_t r = ir_role_of[ri];
		/* Consecutive tool messages share one IR_TOOL message. */
		if (r == IR_TOOL && ir->nmsgs && ir->msgs[ir->nmsgs - 1].role == IR_TOOL) {
			struct ir_msg *prev = &ir->msgs[ir->nmsgs - 1];
			if (dec_tool(c, mv) < 0)
				return -1;
			prev->n = (uint16_t)(ir->nparts - prev->first);
			continue;
		}
		if (ir->nmsgs >= IR_MAX_MSGS)
			return fail(c, "too many messages (at most %d)", IR_MAX_MSGS);
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

/* tool_choice strings by enum ir_tool_choice (IR_TC_TOOL is an object). */
static const char *const tool_choices[IR_TC_TOOL] = {
	[IR_TC_AUTO] = "auto", [IR_TC_NONE] = "none", [IR_TC_REQUIRED] = "required",
};

static int dec_tools(const struct ctx *c)
{
	const struct json_doc *d = c->d;
	struct ir_request *ir = c->ir;
	if (type_of(d, c->top[R_FUNCTIONS]) || type_of(d, c->top[R_FUNCTION_CALL]))
		return fail(c, "legacy functions/function_call are not supported: use tools/tool_choice");
	int t = c->top[R_TOOLS];
	if (type_of(d, t)) {	/* an array (request_types) */
		if (d->tok[t].size > IR_MAX_TOOLS)
			return fail(c, "too many tools (at most %d)", IR_MAX_TOOLS);
		for (int k = 0; k < d->tok[t].size; k++) {
			int el = json_index(d, t, k);
			int fn = json_get(d, el, "function");
			int name = get_string(d, fn, "name");
			if (!json_str_eq(d, json_get(d, el, "type"), "function"))
				return fail(c, "only function tools are supported");
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
		int i = json_str_index(d, tc, tool_choices, IR_TC_TOOL);
		if (i < 0)
			return fail(c, "tool_choice must be none, auto, required or a function");
		ir->tool_choice = (uint8_t)i;
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
	/* The types are checked (request_types): a number is what is asked. */
	int v = top[type_of(d, top[R_MAX_COMPLETION_TOKENS]) ? R_MAX_COMPLETION_TOKENS : R_MAX_TOKENS];
	json_get_i64(d, v, &ir->max_tokens);
	static const int num_keys[] = { R_TEMPERATURE, R_TOP_P, R_TOP_K };
	struct ir_str *const num[] = { &ir->temperature, &ir->top_p, &ir->top_k };
	for (int i = 0; i < 3; i++)
		if (type_of(d, v = top[num_keys[i]]))
			*num[i] = ir_tok_str(d, v);
	v = top[R_STOP];
	switch (type_of(d, v)) {
	case JSMN_UNDEFINED:
		break;
	case JSMN_STRING:
		ir->stop[ir->nstop++] = ir_tok_str(d, v);
		break;
	case JSMN_ARRAY:
		if (d->tok[v].size > IR_MAX_STOP)
			return fail(c, "too many stop sequences (at most %d)", IR_MAX_STOP);
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
	if (json_check_member(d, top[R_STREAM_OPTIONS], "include_usage", JT_BOOL, "stream_options.", c->err, c->errlen) < 0)
		return -1;
	ir->include_usage = ir->stream && json_is_true(d, json_get(d, top[R_STREAM_OPTIONS], "include_usage"));
	v = top[R_RESPONSE_FORMAT];
	if (type_of(d, v)) {	/* an object */
		static const char *const formats[] = {
			[IR_FMT_TEXT] = "text", [IR_FMT_JSON_OBJECT] = "json_object", [IR_FMT_JSON_SCHEMA] = "json_schema",
		};
		switch (json_str_index(d, json_get(d, v, "type"), formats, IR_FMT_JSON_SCHEMA + 1)) {
		case IR_FMT_TEXT:
			break;
		case IR_FMT_JSON_OBJECT:
			ir->format = IR_FMT_JSON_OBJECT;
			break;
		case IR_FMT_JSON_SCHEMA: {
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
	}
	v = of_type(d, top[R_USER], JSMN_STRING);
	ir->user = ir_tok_str(d, v >= 0 ? v : of_type(d, top[R_SAFETY_IDENTIFIER], JSMN_STRING));
	json_get_i64(d, top[R_SEED], &ir->seed);
	ir->reasoning = ir_tok_str(d, of_type(d, top[R_REASONING], JSMN_STRING));
	int64_t n = 1;
	json_get_i64(d, top[R_N], &n);
	if (n < 1)
		return fail(c, "n must be a positive integer");
	if (n > 1)
		return fail(c, "n > 1 is not supported across dialects");
	return 0;
}

static int oa_decode_request(const struct json_doc *d, struct ir_request *ir, char *err, size_t errlen)
{
	int top[R_NKEYS];
	const struct ctx c = { err, errlen, d, ir, top };
	ir_request_init(ir);
	if (!d || d->ntok < 1 || d->tok[0].type != JSMN_OBJECT)
		return fail(&c, "the request body must be a JSON object");
	members(d, 0, request_keys, top, R_NKEYS);
	if (json_check_members(d, top, request_keys, request_types, R_NKEYS, "", err, errlen) < 0)
		return -1;
	ir->model = ir_tok_str(d, of_type(d, top[R_MODEL], JSMN_STRING));
	int msgs_tok = of_type(d, top[R_MESSAGES], JSMN_ARRAY);
	if (msgs_tok < 0)
		return fail(&c, "messages must be an array");
	if (dec_messages(&c, msgs_tok) < 0 || dec_tools(&c) < 0 || dec_params(&c) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

/* A constant JSON value, and a member with one: json is a string literal
 * holding JSON, written as it stands with its length known when compiled
 * (nothing to measure or escape per request). */
#define key_json(w, key, json) (jw_key((w), (key)), JW_CONST((w), json))

/* "type":"function","function":{"name":name, leaving the function object
 * open for the caller's other members and jw_obj_end(). */
static void function_open(struct jw *w, const struct ir_str *name)
{
	key_json(w, "type", "\"function\"");
	jw_key(w, "function");
	jw_obj(w);
	jw_kir_str(w, "name", name);
}

/* The text parts (or thinking parts) of parts[0..n) concatenated as one
 * string. */
static void write_joined(struct jw *w, const struct ir_part *parts, int n, uint8_t kind)
{
	jw_str_begin(w);
	for (int i = 0; i < n; i++)
		if (parts[i].kind == kind)
			jw_ir_chars(w, &parts[i].text);
	jw_str_end(w);
}

/* A tool call. k >= 0: its position among the message's calls, and a
 * call without an id gets "call_llmgw_<k>"; k -1: the id as given. */
static void write_call(struct jw *w, const struct ir_part *p, int k)
{
	jw_obj(w);
	jw_key(w, "id");
	if (k >= 0 && !(p->a.p && p->a.n)) {
		char buf[32];
		int n = fmt_snprintf(buf, sizeof buf, "call_llmgw_%d", k);
		jw_str(w, buf, (size_t)n);
	} else {
		jw_ir_str(w, &p->a);
	}
	function_open(w, &p->b);
	jw_key(w, "arguments");
	if (p->args.p && p->args.n)
		jw_ir_str(w, &p->args);
	else
		JW_CONST(w, "\"{}\"");
	jw_obj_end(w);
	jw_obj_end(w);
}

/* The usage object (prompt_tokens counts the cached ones). */
static void write_usage(struct jw *w, const struct ir_usage *u)
{
	jw_obj(w);
	jw_ki64(w, "prompt_tokens", u->input);
	jw_ki64(w, "completion_tokens", u->output);
	jw_ki64(w, "total_tokens", u->input + u->output);
	jw_key(w, "prompt_tokens_details");
	jw_obj(w);
	jw_ki64(w, "cached_tokens", u->cached);
	jw_obj_end(w);
	jw_key(w, "completion_tokens_details");
	jw_obj(w);
	jw_ki64(w, "reasoning_tokens", u->reasoning);
	jw_obj_end(w);
	jw_obj_end(w);
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

/* A tool result as one {"role":"tool"} message: its content as one string,
 * the texts of its sub-parts joined by a blank line. */
static void enc_result(struct jw *w, const struct ir_part *parts, int i)
{
	const struct ir_part *p = &parts[i];
	jw_obj(w);
	key_json(w, "role", "\"tool\"");
	jw_kir_str(w, "tool_call_id", &p->a);
	jw_key(w, "content");
	if (!p->nsub) {
		jw_ir_str(w, &p->text);
	} else {
		jw_str_begin(w);
		for (int k = 1; k <= p->nsub; k++) {
			const struct ir_part *q = &parts[i + k];
			if (k > 1)
				jw_str_add(w, "\n\n", 2);
			if (q->kind == IR_TEXT)
				jw_ir_chars(w, &q->text);
			else
				jw_str_add(w, "[image omitted]", 15);
		}
		jw_str_end(w);
	}
	jw_obj_end(w);
}

/* The content parts of a user turn that needs an array (images, or more
 * than one text). */
static void enc_user_parts(struct jw *w, const struct ir_part *parts, int first, int end)
{
	static const struct ir_str png = { "image/png", 9, IR_RAW };
	jw_arr(w);
	for (int i = first; i < end; i++) {
		const struct ir_part *p = &parts[i];
		if (p->kind == IR_TOOL_RESULT) {
			i += p->nsub;
			continue;
		}
		if (p->kind != IR_TEXT && p->kind != IR_IMAGE)
			continue;
		jw_obj(w);
		if (p->kind == IR_TEXT) {
			key_json(w, "type", "\"text\"");
			jw_kir_str(w, "text", &p->text);
		} else {
			key_json(w, "type", "\"image_url\"");
			jw_key(w, "image_url");
			jw_obj(w);
			jw_key(w, "url");
			if (p->is_url) {
				jw_ir_str(w, &p->b);
			} else {	/* a data: URL */
				jw_str_begin(w);
				jw_str_add(w, "data:", 5);
				jw_ir_chars(w, p->a.p ? &p->a : &png);
				jw_str_add(w, ";base64,", 8);
				jw_ir_chars(w, &p->b);
				jw_str_end(w);
			}
			jw_obj_end(w);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void enc_msg(const struct ir_request *ir, const struct ir_msg *m, struct jw *w)
{
	const struct ir_part *parts = ir->parts;
	int end = m->first + m->n;
	/* Tool results first: they must follow the assistant's tool calls. */
	for (int i = m->first; i < end; i++) {
		if (parts[i].kind != IR_TOOL_RESULT)
			continue;
		enc_result(w, parts, i);
		i += parts[i].nsub;
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
	jw_obj(w);
	if (m->role == IR_ASSISTANT) {
		key_json(w, "role", "\"assistant\"");
		jw_key(w, "content");
		if (n[IR_TEXT]) {
			jw_str_begin(w);	/* the texts joined, as a stream would */
			for (int i = m->first; i < end; i++) {
				if (parts[i].kind == IR_TOOL_RESULT)
					i += parts[i].nsub;
				else if (parts[i].kind == IR_TEXT)
					jw_ir_chars(w, &parts[i].text);
			}
			jw_str_end(w);
		} else {
			jw_null(w);
		}
		if (n[IR_TOOL_CALL]) {
			jw_key(w, "tool_calls");
			jw_arr(w);
			for (int i = m->first; i < end; i++) {
				if (parts[i].kind == IR_TOOL_RESULT)
					i += parts[i].nsub;
				else if (parts[i].kind == IR_TOOL_CALL)
					write_call(w, &parts[i], -1);
			}
			jw_arr_end(w);
		}
	} else {
		key_json(w, "role", "\"user\"");
		jw_key(w, "content");
		if (n[IR_IMAGE] == 0 && n[IR_TEXT] <= 1)
			jw_ir_str(w, t);
		else
			enc_user_parts(w, parts, m->first, end);
	}
	jw_obj_end(w);
}

static int oa_encode_request(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen)
{
	const struct ctx c = { err, errlen, NULL, NULL, NULL };
	int rm = reasoning_model(model);
	struct jw w;
	jw_init(&w, o);
	jw_obj(&w);
	jw_kcstr(&w, "model", model);
	jw_key(&w, "messages");
	jw_arr(&w);
	if (ir->sys_n) {
		jw_obj(&w);
		key_json(&w, "role", "\"system\"");
		jw_key(&w, "content");
		jw_str_begin(&w);
		for (int i = 0; i < ir->sys_n; i++) {
			if (i)
				jw_str_add(&w, "\n\n", 2);	/* joined by a blank line */
			jw_ir_chars(&w, &ir->parts[ir->sys_first + i].text);
		}
		jw_str_end(&w);
		jw_obj_end(&w);
	}
	for (int k = 0; k < ir->nmsgs; k++)
		enc_msg(ir, &ir->msgs[k], &w);
	jw_arr_end(&w);
	if (ir->ntools) {
		jw_key(&w, "tools");
		jw_arr(&w);
		for (int k = 0; k < ir->ntools; k++) {
			const struct ir_tool *t = &ir->tools[k];
			jw_obj(&w);
			function_open(&w, &t->name);
			if (t->description.p)
				jw_kir_str(&w, "description", &t->description);
			if (t->parameters.p) {
				jw_key(&w, "parameters");
				if (jw_ir_schema(&w, &t->parameters) < 0)
					return fail(&c, "tool parameters are not valid JSON");
			}
			jw_obj_end(&w);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		if (ir->parallel_tools >= 0)
			jw_kbool(&w, "parallel_tool_calls", ir->parallel_tools);
	}
	if (ir->tool_choice == IR_TC_TOOL) {
		jw_key(&w, "tool_choice");
		jw_obj(&w);
		function_open(&w, &ir->tool_choice_name);
		jw_obj_end(&w);
		jw_obj_end(&w);
	} else if (ir->tool_choice >= IR_TC_AUTO && ir->tool_choice <= IR_TC_REQUIRED) {
		jw_kcstr(&w, "tool_choice", tool_choices[ir->tool_choice]);
	}
	if (ir->max_tokens >= 0)
		jw_ki64(&w, rm ? "max_completion_tokens" : "max_tokens", ir->max_tokens);
	if (ir->temperature.p)
		jw_kraw(&w, "temperature", ir->temperature.p, ir->temperature.n);
	if (ir->top_p.p)
		jw_kraw(&w, "top_p", ir->top_p.p, ir->top_p.n);
	if (ir->nstop) {
		jw_key(&w, "stop");
		jw_arr(&w);
		for (int k = 0; k < ir->nstop; k++)
			jw_ir_str(&w, &ir->stop[k]);
		jw_arr_end(&w);
	}
	if (ir->format == IR_FMT_JSON_OBJECT) {
		jw_key(&w, "response_format");
		jw_obj(&w);
		key_json(&w, "type", "\"json_object\"");
		jw_obj_end(&w);
	} else if (ir->format == IR_FMT_JSON_SCHEMA) {
		jw_key(&w, "response_format");
		jw_obj(&w);
		key_json(&w, "type", "\"json_schema\"");
		jw_key(&w, "json_schema");
		jw_obj(&w);
		jw_key(&w, "name");
		if (ir->schema_name.p)
			jw_ir_str(&w, &ir->schema_name);
		else
			JW_CONST(&w, "\"response\"");
		jw_key(&w, "schema");
		if (jw_ir_schema(&w, &ir->schema) < 0)
			return fail(&c, "response schema is not valid JSON");
		jw_obj_end(&w);
		jw_obj_end(&w);
	}
	if (ir->user.p)
		jw_kir_str(&w, "user", &ir->user);
	if (ir->seed >= 0)
		jw_ki64(&w, "seed", ir->seed);
	if (ir->reasoning.p) {
		jw_kir_str(&w, "reasoning_effort", &ir->reasoning);
	} else if (rm && ir->thinking_budget > 0) {
		jw_kcstr(&w, "reasoning_effort", ir->thinking_budget < 4096 ? "low"
			 : ir->thinking_budget < 16384 ? "medium" : "high");
	}
	if (ir->stream) {
		key_json(&w, "stream", "true");
		jw_key(&w, "stream_options");
		jw_obj(&w);
		key_json(&w, "include_usage", "true");
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
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
static const char *const top_keys[T_NKEYS] = {
	[T_CHOICES] = "choices", [T_ID] = "id", [T_MODEL] = "model", [T_USAGE] = "usage",
	[T_CREATED] = "created", [T_ERROR] = "error", [T_X_GROQ] = "x_groq", [T_MESSAGE] = "message",
	[T_DETAIL] = "detail", [T_CODE] = "code", [T_TYPE] = "type",
};

/* finish_reason by enum ir_finish; the decoder also reads function_call
 * (as tool_calls). */
static const char *const finish_names[IR_FIN_ERROR + 1] = {
	[IR_FIN_STOP] = "stop", [IR_FIN_LENGTH] = "length", [IR_FIN_TOOL_CALLS] = "tool_calls",
	[IR_FIN_CONTENT_FILTER] = "content_filter", [IR_FIN_ERROR] = "error",
};

/* What choices[0].message (a response) or .delta (a chunk) carries: the
 * tokens of its reasoning text (DeepSeek reasoning_content, OpenRouter
 * reasoning), content and refusal, -1 when absent or empty, and of its
 * tool_calls array, -1 when not an array. */
enum { C_THINKING, C_CONTENT, C_REFUSAL, C_TOOL_CALLS, C_REASONING, C_NKEYS };
static const char *const choice_keys[C_NKEYS] = {
	[C_THINKING] = "reasoning_content", [C_CONTENT] = "content", [C_REFUSAL] = "refusal",
	[C_TOOL_CALLS] = "tool_calls", [C_REASONING] = "reasoning",
};
static void choice_msg(const struct json_doc *d, int m, int v[C_NKEYS])
{
	members(d, m, choice_keys, v, C_NKEYS);
	v[C_THINKING] = nonempty(d, v[C_THINKING]);
	if (v[C_THINKING] < 0)
		v[C_THINKING] = nonempty(d, v[C_REASONING]);
	v[C_CONTENT] = nonempty(d, v[C_CONTENT]);
	v[C_REFUSAL] = nonempty(d, v[C_REFUSAL]);
	v[C_TOOL_CALLS] = of_type(d, v[C_TOOL_CALLS], JSMN_ARRAY);
}

static uint8_t finish_of(const struct json_doc *d, int f)
{
	if (type_of(d, f) != JSMN_STRING)
		return IR_FIN_NONE;
	int i = json_str_index(d, f, finish_names, IR_FIN_ERROR + 1);
	if (i >= 0)
		return (uint8_t)i;
	return json_str_eq(d, f, "function_call") ? IR_FIN_TOOL_CALLS : IR_FIN_STOP;
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

static struct ir_part *resp_part(struct ir_response *r, uint8_t kind, struct ir_str text)
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
	int tv[T_NKEYS], v[C_NKEYS];
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
			if (ncalls >= IR_MAX_CALLS || r->nparts >= ir_response_room(r))
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
static const char *finish_str(uint8_t f)
{
	return finish_names[f >= IR_FIN_STOP && f <= IR_FIN_ERROR ? f : IR_FIN_STOP];
}

static void oa_encode_response(const struct ir_response *r, const char *model, struct json_out *o)
{
	int ntext = 0, nthink = 0, ncall = 0;
	for (int i = 0; i < r->nparts; i++) {
		ntext += r->parts[i].kind == IR_TEXT;
		nthink += r->parts[i].kind == IR_THINKING && r->parts[i].text.p && r->parts[i].text.n;
		ncall += r->parts[i].kind == IR_TOOL_CALL;
	}
	struct jw w;
	jw_init(&w, o);
	jw_obj(&w);
	jw_key(&w, "id");
	if (r->id.p && r->id.n)
		jw_ir_str(&w, &r->id);
	else
		JW_CONST(&w, "\"chatcmpl-llmgw\"");
	key_json(&w, "object", "\"chat.completion\"");
	jw_ki64(&w, "created", r->created);
	jw_kcstr(&w, "model", model);
	jw_key(&w, "choices");
	jw_arr(&w);
	jw_obj(&w);
	key_json(&w, "index", "0");
	jw_key(&w, "message");
	jw_obj(&w);
	key_json(&w, "role", "\"assistant\"");
	jw_key(&w, "content");
	if (ntext)
		write_joined(&w, r->parts, r->nparts, IR_TEXT);
	else
		jw_null(&w);
	key_json(&w, "refusal", "null");
	if (nthink) {
		jw_key(&w, "reasoning_content");
		write_joined(&w, r->parts, r->nparts, IR_THINKING);
	}
	if (ncall) {
		jw_key(&w, "tool_calls");
		jw_arr(&w);
		for (int i = 0, k = 0; i < r->nparts; i++)
			if (r->parts[i].kind == IR_TOOL_CALL)
				write_call(&w, &r->parts[i], k++);
		jw_arr_end(&w);
	}
	jw_obj_end(&w);
	key_json(&w, "logprobs", "null");
	jw_kcstr(&w, "finish_reason", finish_str(r->finish));
	jw_obj_end(&w);
	jw_arr_end(&w);
	if (r->usage.have) {
		jw_key(&w, "usage");
		write_usage(&w, &r->usage);
	}
	jw_obj_end(&w);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/* The class of an error known only by its type/code (in-stream errors):
 * the first matching pattern wins, as a substring of the type or, with
 * whole set, as the whole type. */
static const struct {
	const char *pat;
	uint8_t cls;		/* enum ir_err_class */
	uint8_t whole;
} type_patterns[] = {
	{ "rate_limit", IR_ERR_RATE_LIMIT, 0 },
	{ "requests", IR_ERR_RATE_LIMIT, 1 },
	{ "tokens", IR_ERR_RATE_LIMIT, 1 },
	{ "quota", IR_ERR_RATE_LIMIT, 0 },
	{ "RESOURCE_EXHAUSTED", IR_ERR_RATE_LIMIT, 1 },
	{ "api_key", IR_ERR_AUTH, 0 },
	{ "authentication", IR_ERR_AUTH, 0 },
	{ "UNAUTHENTICATED", IR_ERR_AUTH, 1 },
	{ "permission", IR_ERR_PERMISSION, 0 },
	{ "PERMISSION_DENIED", IR_ERR_PERMISSION, 1 },
	{ "not_found", IR_ERR_NOT_FOUND, 0 },
	{ "NOT_FOUND", IR_ERR_NOT_FOUND, 1 },
	{ "overloaded", IR_ERR_OVERLOADED, 0 },
	{ "unavailable", IR_ERR_OVERLOADED, 0 },
	{ "UNAVAILABLE", IR_ERR_OVERLOADED, 1 },
	{ "timeout", IR_ERR_TIMEOUT, 0 },
	{ "DEADLINE_EXCEEDED", IR_ERR_TIMEOUT, 1 },
	{ "invalid_request", IR_ERR_INVALID, 0 },
	{ "context_length", IR_ERR_INVALID, 0 },
	{ "INVALID_ARGUMENT", IR_ERR_INVALID, 1 },
};

static uint8_t class_of_type(const struct ir_str *t)
{
	for (size_t i = 0; i < sizeof type_patterns / sizeof type_patterns[0]; i++) {
		const char *pat = type_patterns[i].pat;
		if (type_patterns[i].whole ? ir_str_eq(t, pat) : t->p && fmt_find(t->p, t->n, pat, strlen(pat)) != NULL)
			return type_patterns[i].cls;
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

/* OpenAI's type and code for each class (code NULL: null), and the
 * message when the provider gave none. */
static const struct {
	const char *type, *code, *message;
} err_tab[] = {
	[IR_ERR_INVALID] = { "invalid_request_error", NULL, "Invalid request" },
	[IR_ERR_AUTH] = { "invalid_request_error", "invalid_api_key", "Authentication failed" },
	[IR_ERR_BILLING] = { "insufficient_quota", "insufficient_quota", "Payment required" },
	[IR_ERR_PERMISSION] = { "permission_error", NULL, "Permission denied" },
	[IR_ERR_NOT_FOUND] = { "invalid_request_error", "not_found", "Not found" },
	[IR_ERR_TOO_LARGE] = { "invalid_request_error", "request_too_large", "Request too large" },
	[IR_ERR_RATE_LIMIT] = { "requests", "rate_limit_exceeded", "Rate limit exceeded" },
	[IR_ERR_SERVER] = { "server_error", NULL, "The upstream server had an error" },
	[IR_ERR_OVERLOADED] = { "server_error", "overloaded", "The upstream server is overloaded" },
	[IR_ERR_TIMEOUT] = { "server_error", "timeout", "The upstream server timed out" },
};

/* {"error":{message, type, param, code}}: code is the provider's own
 * type/code when it differs from the type, else the class's. Also the
 * data of an in-stream error event. */
static void oa_encode_error(const struct ir_error *e, struct json_out *o)
{
	uint8_t c = e->cls < sizeof err_tab / sizeof err_tab[0] ? e->cls : IR_ERR_SERVER;
	const char *type = err_tab[c].type;
	struct jw w;
	jw_init(&w, o);
	jw_obj(&w);
	jw_key(&w, "error");
	jw_obj(&w);
	jw_key(&w, "message");
	if (e->message.p)
		jw_ir_str(&w, &e->message);
	else
		jw_cstr(&w, err_tab[c].message);
	jw_kcstr(&w, "type", type);
	key_json(&w, "param", "null");
	jw_key(&w, "code");
	if (e->type.p && e->type.n && !ir_str_eq(&e->type, type))
		jw_ir_str(&w, &e->type);
	else
		jw_cstr(&w, err_tab[c].code);	/* NULL: null */
	jw_obj_end(&w);
	jw_obj_end(&w);
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
			int v[C_NKEYS];
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

/* Opens a chunk: "data: " and the members every chunk starts with. */
static void chunk_open(const struct xlate_stream *s, const struct oa_enc *st, struct jw *w, struct json_out *o)
{
	const struct ir_str id = { st->id, st->idlen, IR_RAW };
	json_lit(o, "data: ");
	jw_init(w, o);
	jw_obj(w);
	jw_kir_str(w, "id", &id);
	key_json(w, "object", "\"chat.completion.chunk\"");
	jw_ki64(w, "created", s->created);
	jw_kcstr(w, "model", s->model);
}

static void chunk_close(struct jw *w)
{
	jw_obj_end(w);
	json_lit(w->o, "\n\n");
}

/* Opens a chunk with choices[0].delta: the caller writes the delta's
 * members, then delta_close(). */
static void delta_open(const struct xlate_stream *s, const struct oa_enc *st, struct jw *w, struct json_out *o)
{
	chunk_open(s, st, w, o);
	jw_key(w, "choices");
	jw_arr(w);
	jw_obj(w);
	key_json(w, "index", "0");
	jw_key(w, "delta");
	jw_obj(w);
}

/* Closes the delta with finish reason fin (-1: null), and the chunk. */
static void delta_close(const struct xlate_stream *s, struct jw *w, int fin)
{
	jw_obj_end(w);
	key_json(w, "logprobs", "null");
	jw_key(w, "finish_reason");
	if (fin < 0)
		jw_null(w);
	else
		jw_cstr(w, finish_str((uint8_t)fin));
	jw_obj_end(w);
	jw_arr_end(w);
	if (s->client_usage) {
		key_json(w, "usage", "null");
	}
	chunk_close(w);
}

/* Opens delta.tool_calls[0] for the call at index; closed by
 * tool_delta_close(). */
static void tool_delta_open(struct jw *w, uint16_t index)
{
	jw_key(w, "tool_calls");
	jw_arr(w);
	jw_obj(w);
	jw_ki64(w, "index", index);
}

static void tool_delta_close(struct jw *w)
{
	jw_obj_end(w);
	jw_arr_end(w);
}

static void enc_start(struct xlate_stream *s, struct oa_enc *st, struct json_out *o)
{
	struct jw w;
	st->started = 1;
	/* No id from the provider: made up once for the whole stream. */
	if (!st->idlen)
		st->idlen = (uint16_t)fmt_snprintf(st->id, sizeof st->id, "chatcmpl-llmgw-%llu", s->serial);
	delta_open(s, st, &w, o);
	key_json(&w, "role", "\"assistant\"");
	key_json(&w, "content", "\"\"");
	delta_close(s, &w, -1);
}

/* Keeps the provider's id, JSON-escaped, for every chunk: a RAW id when it
 * fits, one that needs escaping when it fits with its quotes; else idlen
 * stays 0 and enc_start() makes one up. */
static void keep_id(struct oa_enc *st, const struct ir_str *id)
{
	struct json_out io;
	json_out_init(&io, st->id, sizeof st->id);
	if (id->kind == IR_RAW) {
		json_raw_append(&io, id->p, id->n);
	} else {
		io.cap -= 2;
		json_str_chars(&io, id->p, id->n);
	}
	st->idlen = io.overflow ? 0 : (uint16_t)io.len;
}

static void oa_encode_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	struct oa_enc *st = (struct oa_enc *)s->enc;
	struct jw w;
	if (ev->kind == EV_ERROR) {
		json_lit(o, "data: ");
		oa_encode_error(&ev->error, o);
		json_lit(o, "\n\n");
		return;
	}
	if (ev->kind == EV_START) {
		if (st->started)
			return;
		if (ev->id.p && ev->id.n)
			keep_id(st, &ev->id);
		enc_start(s, st, o);
		return;
	}
	if (ev->kind == EV_USAGE)
		return;		/* s->usage holds it; written before [DONE] */
	if (!st->started)
		enc_start(s, st, o);
	switch (ev->kind) {
	case EV_TEXT:
	case EV_THINKING:
		if (!(ev->text.p && ev->text.n))
			return;
		delta_open(s, st, &w, o);
		jw_kir_str(&w, ev->kind == EV_TEXT ? "content" : "reasoning_content", &ev->text);
		delta_close(s, &w, -1);
		return;
	case EV_TOOL_START:
		delta_open(s, st, &w, o);
		tool_delta_open(&w, ev->index);
		jw_key(&w, "id");
		if (ev->id.p && ev->id.n) {
			jw_ir_str(&w, &ev->id);
		} else {
			char buf[64];
			int n = fmt_snprintf(buf, sizeof buf, "call_%llu_%u", s->serial, (unsigned)ev->index);
			jw_str(&w, buf, (size_t)n);
		}
		function_open(&w, &ev->name);
		key_json(&w, "arguments", "\"\"");
		jw_obj_end(&w);
		tool_delta_close(&w);
		delta_close(s, &w, -1);
		return;
	case EV_TOOL_ARGS:
		if (!(ev->text.p && ev->text.n))
			return;
		delta_open(s, st, &w, o);
		tool_delta_open(&w, ev->index);
		jw_key(&w, "function");
		jw_obj(&w);
		jw_kir_str(&w, "arguments", &ev->text);
		jw_obj_end(&w);
		tool_delta_close(&w);
		delta_close(s, &w, -1);
		return;
	case EV_FINISH:
	case EV_END:
		if (!st->finished) {
			st->finished = 1;
			delta_open(s, st, &w, o);
			delta_close(s, &w, ev->kind == EV_FINISH ? ev->finish : s->finish);
		}
		if (ev->kind == EV_FINISH)
			return;
		if (s->client_usage && s->usage.have) {
			chunk_open(s, st, &w, o);
			jw_key(&w, "choices");
			jw_arr(&w);
			jw_arr_end(&w);
			jw_key(&w, "usage");
			write_usage(&w, &s->usage);
			chunk_close(&w);
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
