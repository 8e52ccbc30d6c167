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
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fmt.h"
#include "dialect.h"

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		fmt_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const struct ir_str no_str = { NULL, 0, IR_RAW };

/* The token of key in obj when it is a string, else -1. */
static int get_string(const struct json_doc *d, int obj, const char *key)
{
	int v = json_get(d, obj, key);
	return json_is_string(d, v) ? v : -1;
}

/* Present and not null. */
static int given(const struct json_doc *d, int v)
{
	return v >= 0 && !json_is_null(d, v);
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

static struct ir_part *new_part(struct ir_request *ir)
{
	if (ir->nparts >= IR_MAX_PARTS)
		return NULL;
	struct ir_part *p = &ir->parts[ir->nparts++];
	memset(p, 0, sizeof *p);
	return p;
}

#define NEW_PART(p, ir, err, errlen) do { \
	if (!((p) = new_part(ir))) \
		return fail(err, errlen, "too many content parts (at most %d)", IR_MAX_PARTS); \
} while (0)

static int add_text(struct ir_request *ir, struct ir_str t, char *err, size_t errlen)
{
	struct ir_part *p;
	NEW_PART(p, ir, err, errlen);
	p->kind = IR_TEXT;
	p->text = t;
	return 0;
}

/* System/developer content: a string or text parts only. */
static int dec_system(const struct json_doc *d, int c, struct ir_request *ir, char *err, size_t errlen)
{
	if (json_is_string(d, c))
		return add_text(ir, ir_tok_str(d, c), err, errlen);
	if (!json_is_array(d, c))
		return fail(err, errlen, "system message content must be a string or an array of text parts");
	for (int k = 0; k < d->tok[c].size; k++) {
		int el = json_index(d, c, k);
		int t = get_string(d, el, "text");
		if (!json_is_object(d, el) || !json_str_eq(d, json_get(d, el, "type"), "text") || t < 0)
			return fail(err, errlen, "system message content parts must be text");
		if (add_text(ir, ir_tok_str(d, t), err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int dec_image(const struct json_doc *d, int el, struct ir_request *ir, char *err, size_t errlen)
{
	int iu = json_get(d, el, "image_url");
	int u = json_is_string(d, iu) ? iu : get_string(d, iu, "url");
	if (u < 0)
		return fail(err, errlen, "image_url part without a url");
	struct ir_str url = ir_tok_str(d, u);
	struct ir_part *p;
	NEW_PART(p, ir, err, errlen);
	p->kind = IR_IMAGE;
	if (raw_has_prefix(&url, "data:")) {
		static const char sep[] = ";base64,";
		const char *q = memmem(url.p, url.n, sep, sizeof sep - 1);
		if (!q)
			return fail(err, errlen, "image data URL must be base64 (data:<type>;base64,<data>)");
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
	return fail(err, errlen, "image_url must be a data: URL or an http(s) URL");
}

static int dec_user(const struct json_doc *d, int c, struct ir_request *ir, char *err, size_t errlen)
{
	if (json_is_string(d, c))
		return add_text(ir, ir_tok_str(d, c), err, errlen);
	if (!json_is_array(d, c))
		return fail(err, errlen, "user message content must be a string or an array of parts");
	for (int k = 0; k < d->tok[c].size; k++) {
		int el = json_index(d, c, k);
		int ty = json_get(d, el, "type");
		if (json_str_eq(d, ty, "text")) {
			int t = get_string(d, el, "text");
			if (t < 0)
				return fail(err, errlen, "text part without text");
			if (add_text(ir, ir_tok_str(d, t), err, errlen) < 0)
				return -1;
		} else if (json_str_eq(d, ty, "image_url")) {
			if (dec_image(d, el, ir, err, errlen) < 0)
				return -1;
		} else if (json_str_eq(d, ty, "input_audio") || json_str_eq(d, ty, "file")) {
			return fail(err, errlen, "%s content parts are not supported by the gateway",
				    json_str_eq(d, ty, "file") ? "file" : "input_audio");
		} else {
			return fail(err, errlen, "unknown content part type");
		}
	}
	if (d->tok[c].size == 0)
		return add_text(ir, ir_plain("", 0), err, errlen);
	return 0;
}

static int dec_assistant(const struct json_doc *d, int m, struct ir_request *ir, char *err, size_t errlen)
{
	uint16_t first = ir->nparts;
	int c = json_get(d, m, "content");
	if (json_is_string(d, c)) {
		if (json_raw_len(d, c) && add_text(ir, ir_tok_str(d, c), err, errlen) < 0)
			return -1;
	} else if (json_is_array(d, c)) {
		for (int k = 0; k < d->tok[c].size; k++) {
			int el = json_index(d, c, k);
			int ty = json_get(d, el, "type");
			int t = json_str_eq(d, ty, "text") ? get_string(d, el, "text")
			      : json_str_eq(d, ty, "refusal") ? get_string(d, el, "refusal") : -2;
			if (t == -2)
				return fail(err, errlen, "assistant content parts must be text or refusal");
			if (t < 0)
				return fail(err, errlen, "assistant content part without text");
			if (json_raw_len(d, t) && add_text(ir, ir_tok_str(d, t), err, errlen) < 0)
				return -1;
		}
	} else if (given(d, c)) {
		return fail(err, errlen, "assistant content must be a string, an array or null");
	}
	int r = get_string(d, m, "refusal");
	if (r >= 0 && json_raw_len(d, r) && add_text(ir, ir_tok_str(d, r), err, errlen) < 0)
		return -1;
	if (given(d, json_get(d, m, "function_call")))
		return fail(err, errlen, "legacy function_call messages are not supported: use tool_calls");
	int tc = json_get(d, m, "tool_calls");
	if (json_is_array(d, tc)) {
		for (int k = 0; k < d->tok[tc].size; k++) {
			int el = json_index(d, tc, k);
			int ty = json_get(d, el, "type");
			if (ty >= 0 && !json_str_eq(d, ty, "function"))
				return fail(err, errlen, "only function tool calls are supported");
			int id = get_string(d, el, "id");
			int fn = json_get(d, el, "function");
			int name = get_string(d, fn, "name");
			if (id < 0 || name < 0)
				return fail(err, errlen, "assistant tool_calls need an id and a function name");
			int args = json_get(d, fn, "arguments");
			struct ir_part *p;
			NEW_PART(p, ir, err, errlen);
			p->kind = IR_TOOL_CALL;
			p->a = ir_tok_str(d, id);
			p->b = ir_tok_str(d, name);
			p->args = json_is_string(d, args) || json_is_object(d, args) ? ir_tok_str(d, args) : no_str;
		}
	} else if (given(d, tc)) {
		return fail(err, errlen, "tool_calls must be an array");
	}
	if (ir->nparts == first && add_text(ir, ir_plain("", 0), err, errlen) < 0)
		return -1;
	return 0;
}

static int dec_tool(const struct json_doc *d, int m, struct ir_request *ir, char *err, size_t errlen)
{
	int id = get_string(d, m, "tool_call_id");
	if (id < 0)
		return fail(err, errlen, "tool message without tool_call_id");
	struct ir_part *p;
	NEW_PART(p, ir, err, errlen);
	uint16_t pi = (uint16_t)(ir->nparts - 1);
	p->kind = IR_TOOL_RESULT;
	p->a = ir_tok_str(d, id);
	for (int k = (int)pi - 1; k >= 0; k--) {
		const struct ir_part *q = &ir->parts[k];
		if (q->kind == IR_TOOL_CALL && same_str(&q->a, &p->a)) {
			p->b = q->b;
			break;
		}
	}
	int c = json_get(d, m, "content");
	if (json_is_string(d, c)) {
		p->text = ir_tok_str(d, c);
	} else if (json_is_array(d, c)) {
		int n = d->tok[c].size;
		for (int k = 0; k < n; k++) {
			int el = json_index(d, c, k);
			int t = get_string(d, el, "text");
			if (!json_str_eq(d, json_get(d, el, "type"), "text") || t < 0)
				return fail(err, errlen, "tool message content parts must be text");
			if (n == 1) {
				ir->parts[pi].text = ir_tok_str(d, t);
			} else {
				if (add_text(ir, ir_tok_str(d, t), err, errlen) < 0)
					return -1;
				ir->parts[pi].nsub++;
			}
		}
		if (n == 0)
			ir->parts[pi].text = ir_plain("", 0);
	} else {
		return fail(err, errlen, "tool message content must be a string or an array of text parts");
	}
	return 0;
}

static int dec_number(const struct json_doc *d, int root, const char *key, struct ir_str *out, char *err, size_t errlen)
{
	int v = json_get(d, root, key);
	if (!given(d, v))
		return 0;
	if (!json_is_number(d, v))
		return fail(err, errlen, "%s must be a number", key);
	*out = ir_tok_str(d, v);
	return 0;
}

static int dec_messages(const struct json_doc *d, int msgs, struct ir_request *ir, char *err, size_t errlen)
{
	int n = d->tok[msgs].size;
	/* Pass 1: the system prompt, kept contiguous at the start of parts[]. */
	ir->sys_first = ir->nparts;
	for (int k = 0; k < n; k++) {
		int m = json_index(d, msgs, k);
		int role = json_get(d, m, "role");
		if (!json_is_object(d, m) || !json_is_string(d, role))
			return fail(err, errlen, "messages[%d] must be an object with a role", k);
		if (json_str_eq(d, role, "system") || json_str_eq(d, role, "developer")) {
			int c = json_get(d, m, "content");
			if (dec_system(d, c, ir, err, errlen) < 0)
				return -1;
		}
	}
	ir->sys_n = (uint16_t)(ir->nparts - ir->sys_first);
	/* Pass 2: the conversation. */
	for (int k = 0; k < n; k++) {
		int m = json_index(d, msgs, k);
		int role = json_get(d, m, "role");
		uint8_t r;
		if (json_str_eq(d, role, "system") || json_str_eq(d, role, "developer"))
			continue;
		if (json_str_eq(d, role, "user"))
			r = IR_USER;
		else if (json_str_eq(d, role, "assistant"))
			r = IR_ASSISTANT;
		else if (json_str_eq(d, role, "tool"))
			r = IR_TOOL;
		else if (json_str_eq(d, role, "function"))
			return fail(err, errlen, "legacy role \"function\" is not supported: use tool messages");
		else
			return fail(err, errlen, "messages[%d]: unknown role", k);
		/* Consecutive tool messages share one IR_TOOL message. */
		if (r == IR_TOOL && ir->nmsgs && ir->msgs[ir->nmsgs - 1].role == IR_TOOL) {
			struct ir_msg *prev = &ir->msgs[ir->nmsgs - 1];
			if (dec_tool(d, m, ir, err, errlen) < 0)
				return -1;
			prev->n = (uint16_t)(ir->nparts - prev->first);
			continue;
		}
		if (ir->nmsgs >= IR_MAX_MSGS)
			return fail(err, errlen, "too many messages (at most %d)", IR_MAX_MSGS);
		uint16_t first = ir->nparts;
		int rc = r == IR_USER ? dec_user(d, json_get(d, m, "content"), ir, err, errlen)
		       : r == IR_ASSISTANT ? dec_assistant(d, m, ir, err, errlen)
		       : dec_tool(d, m, ir, err, errlen);
		if (rc < 0)
			return -1;
		struct ir_msg *im = &ir->msgs[ir->nmsgs++];
		im->role = r;
		im->first = first;
		im->n = (uint16_t)(ir->nparts - first);
	}
	return 0;
}

static int dec_tools(const struct json_doc *d, int root, struct ir_request *ir, char *err, size_t errlen)
{
	if (given(d, json_get(d, root, "functions")) || given(d, json_get(d, root, "function_call")))
		return fail(err, errlen, "legacy functions/function_call are not supported: use tools/tool_choice");
	int t = json_get(d, root, "tools");
	if (given(d, t)) {
		if (!json_is_array(d, t))
			return fail(err, errlen, "tools must be an array");
		if (d->tok[t].size > IR_MAX_TOOLS)
			return fail(err, errlen, "too many tools (at most %d)", IR_MAX_TOOLS);
		for (int k = 0; k < d->tok[t].size; k++) {
			int el = json_index(d, t, k);
			int fn = json_get(d, el, "function");
			int name = get_string(d, fn, "name");
			if (!json_str_eq(d, json_get(d, el, "type"), "function"))
				return fail(err, errlen, "only function tools are supported");
			if (name < 0)
				return fail(err, errlen, "tools[%d].function.name is required", k);
			struct ir_tool *tl = &ir->tools[ir->ntools++];
			memset(tl, 0, sizeof *tl);
			tl->name = ir_tok_str(d, name);
			int desc = get_string(d, fn, "description");
			tl->description = desc >= 0 ? ir_tok_str(d, desc) : no_str;
			int par = json_get(d, fn, "parameters");
			if (given(d, par) && !json_is_object(d, par))
				return fail(err, errlen, "tools[%d].function.parameters must be an object", k);
			tl->parameters = json_is_object(d, par) ? ir_tok_str(d, par) : no_str;
		}
	}
	int tc = json_get(d, root, "tool_choice");
	if (json_is_string(d, tc)) {
		if (json_str_eq(d, tc, "none"))
			ir->tool_choice = IR_TC_NONE;
		else if (json_str_eq(d, tc, "auto"))
			ir->tool_choice = IR_TC_AUTO;
		else if (json_str_eq(d, tc, "required"))
			ir->tool_choice = IR_TC_REQUIRED;
		else
			return fail(err, errlen, "tool_choice must be none, auto, required or a function");
	} else if (json_is_object(d, tc)) {
		int name = get_string(d, json_get(d, tc, "function"), "name");
		if (!json_str_eq(d, json_get(d, tc, "type"), "function") || name < 0)
			return fail(err, errlen, "tool_choice object must be {\"type\":\"function\",\"function\":{\"name\":...}}");
		ir->tool_choice = IR_TC_TOOL;
		ir->tool_choice_name = ir_tok_str(d, name);
	} else if (given(d, tc)) {
		return fail(err, errlen, "tool_choice must be a string or an object");
	}
	int ptc = json_get(d, root, "parallel_tool_calls");
	if (json_is_true(d, ptc))
		ir->parallel_tools = 1;
	else if (json_is_false(d, ptc))
		ir->parallel_tools = 0;
	return 0;
}

static int dec_params(const struct json_doc *d, int root, struct ir_request *ir, char *err, size_t errlen)
{
	int v = json_get(d, root, "max_completion_tokens");
	const char *mk = "max_completion_tokens";
	if (!given(d, v)) {
		v = json_get(d, root, "max_tokens");
		mk = "max_tokens";
	}
	if (given(d, v)) {
		int64_t x;
		if (json_get_i64(d, v, &x) < 0 || x < 0)
			return fail(err, errlen, "%s must be a non-negative integer", mk);
		ir->max_tokens = x;
	}
	if (dec_number(d, root, "temperature", &ir->temperature, err, errlen) < 0 ||
	    dec_number(d, root, "top_p", &ir->top_p, err, errlen) < 0 ||
	    dec_number(d, root, "top_k", &ir->top_k, err, errlen) < 0)
		return -1;
	v = json_get(d, root, "stop");
	if (json_is_string(d, v)) {
		ir->stop[ir->nstop++] = ir_tok_str(d, v);
	} else if (json_is_array(d, v)) {
		if (d->tok[v].size > IR_MAX_STOP)
			return fail(err, errlen, "too many stop sequences (at most %d)", IR_MAX_STOP);
		for (int k = 0; k < d->tok[v].size; k++) {
			int s = json_index(d, v, k);
			if (!json_is_string(d, s))
				return fail(err, errlen, "stop must be a string or an array of strings");
			ir->stop[ir->nstop++] = ir_tok_str(d, s);
		}
	} else if (given(d, v)) {
		return fail(err, errlen, "stop must be a string or an array of strings");
	}
	v = json_get(d, root, "stream");
	ir->stream = json_is_true(d, v);
	if (ir->stream)
		ir->include_usage = json_is_true(d, json_get(d, json_get(d, root, "stream_options"), "include_usage"));
	v = json_get(d, root, "response_format");
	if (json_is_object(d, v)) {
		int ty = json_get(d, v, "type");
		if (json_str_eq(d, ty, "json_object")) {
			ir->format = IR_FMT_JSON_OBJECT;
		} else if (json_str_eq(d, ty, "json_schema")) {
			int js = json_get(d, v, "json_schema");
			int sc = json_get(d, js, "schema");
			int nm = get_string(d, js, "name");
			if (json_is_object(d, sc)) {
				ir->format = IR_FMT_JSON_SCHEMA;
				ir->schema = ir_tok_str(d, sc);
				ir->schema_name = nm >= 0 ? ir_tok_str(d, nm) : no_str;
			} else {
				ir->format = IR_FMT_JSON_OBJECT;
			}
		} else if (!json_str_eq(d, ty, "text")) {
			return fail(err, errlen, "response_format.type must be text, json_object or json_schema");
		}
	} else if (given(d, v)) {
		return fail(err, errlen, "response_format must be an object");
	}
	v = get_string(d, root, "user");
	if (v < 0)
		v = get_string(d, root, "safety_identifier");
	if (v >= 0)
		ir->user = ir_tok_str(d, v);
	v = json_get(d, root, "seed");
	if (given(d, v) && json_get_i64(d, v, &ir->seed) < 0)
		return fail(err, errlen, "seed must be an integer");
	v = get_string(d, root, "reasoning_effort");
	if (v >= 0)
		ir->reasoning = ir_tok_str(d, v);
	v = json_get(d, root, "n");
	if (given(d, v)) {
		int64_t n;
		if (json_get_i64(d, v, &n) < 0 || n < 1)
			return fail(err, errlen, "n must be a positive integer");
		if (n > 1)
			return fail(err, errlen, "n > 1 is not supported across dialects");
	}
	return 0;
}

static int oa_decode_request(const struct json_doc *d, struct ir_request *ir, char *err, size_t errlen)
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
	if (!d || d->ntok < 1 || !json_is_object(d, 0))
		return fail(err, errlen, "the request body must be a JSON object");
	int v = get_string(d, 0, "model");
	if (v >= 0)
		ir->model = ir_tok_str(d, v);
	int msgs_tok = json_get(d, 0, "messages");
	if (!json_is_array(d, msgs_tok))
		return fail(err, errlen, "messages must be an array");
	if (dec_messages(d, msgs_tok, ir, err, errlen) < 0 || dec_tools(d, 0, ir, err, errlen) < 0 ||
	    dec_params(d, 0, ir, err, errlen) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Request encoding                                                    */

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

/* OpenAI reasoning models refuse max_tokens and take reasoning_effort. */
static int reasoning_model(const char *model)
{
	const char *m = strrchr(model, '/');
	m = m ? m + 1 : model;
	return (m[0] == 'o' && m[1] >= '1' && m[1] <= '9') || strncmp(m, "gpt-5", 5) == 0;
}

static void write_data_url(struct json_out *o, const struct ir_part *p)
{
	if (p->is_url) {
		ir_write_string(o, &p->b);
		return;
	}
	json_lit(o, "\"data:");
	if (p->a.p)
		write_str_body(o, &p->a);
	else
		json_lit(o, "image/png");
	json_lit(o, ";base64,");
	write_str_body(o, &p->b);
	json_lit(o, "\"");
}

/* The content of a tool result as one string. */
static void write_result_content(struct json_out *o, const struct ir_part *parts, int i)
{
	const struct ir_part *p = &parts[i];
	if (!p->nsub) {
		ir_write_string(o, &p->text);
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
	json_lit(o, "\"");
}

static void enc_msg(const struct ir_request *ir, const struct ir_msg *m, struct json_out *o, int *nout)
{
	const struct ir_part *parts = ir->parts;
	int end = m->first + m->n;
	/* Tool results first: they must follow the assistant's tool calls. */
	for (int i = m->first; i < end; i++) {
		const struct ir_part *p = &parts[i];
		if (p->kind != IR_TOOL_RESULT)
			continue;
		json_lit(o, (*nout)++ ? ",{\"role\":\"tool\",\"tool_call_id\":" : "{\"role\":\"tool\",\"tool_call_id\":");
		ir_write_string(o, &p->a);
		json_lit(o, ",\"content\":");
		write_result_content(o, parts, i);
		json_lit(o, "}");
		i += p->nsub;
	}
	if (m->role == IR_TOOL)
		return;
	/* What remains of the turn, skipping tool results and their sub-parts. */
	int ntext = 0, nimg = 0, ncall = 0, nrest = 0;
	for (int i = m->first; i < end; i++) {
		const struct ir_part *p = &parts[i];
		if (p->kind == IR_TOOL_RESULT) {
			i += p->nsub;
			continue;
		}
		nrest++;
		ntext += p->kind == IR_TEXT;
		nimg += p->kind == IR_IMAGE;
		ncall += p->kind == IR_TOOL_CALL;
	}
	if (nrest == 0 && m->n != 0)
		return;		/* a turn of tool results only */
	json_lit(o, (*nout)++ ? "," : "");
	if (m->role == IR_ASSISTANT) {
		json_lit(o, "{\"role\":\"assistant\",\"content\":");
		if (ntext) {
			json_lit(o, "\"");
			for (int i = m->first; i < end; i++) {
				if (parts[i].kind == IR_TOOL_RESULT)
					i += parts[i].nsub;
				else if (parts[i].kind == IR_TEXT)
					write_str_body(o, &parts[i].text);
			}
			json_lit(o, "\"");
		} else {
			json_lit(o, "null");
		}
		if (ncall) {
			json_lit(o, ",\"tool_calls\":[");
			int k = 0;
			for (int i = m->first; i < end; i++) {
				const struct ir_part *p = &parts[i];
				if (p->kind == IR_TOOL_RESULT)
					i += p->nsub;
				if (p->kind != IR_TOOL_CALL)
					continue;
				json_lit(o, k++ ? ",{\"id\":" : "{\"id\":");
				ir_write_string(o, &p->a);
				json_lit(o, ",\"type\":\"function\",\"function\":{\"name\":");
				ir_write_string(o, &p->b);
				json_lit(o, ",\"arguments\":");
				if (p->args.p && p->args.n)
					ir_write_string(o, &p->args);
				else
					json_lit(o, "\"{}\"");
				json_lit(o, "}}");
			}
			json_lit(o, "]");
		}
		json_lit(o, "}");
		return;
	}
	json_lit(o, "{\"role\":\"user\",\"content\":");
	if (nimg == 0 && ntext <= 1) {
		const struct ir_str *t = &no_str;
		for (int i = m->first; i < end; i++) {
			if (parts[i].kind == IR_TOOL_RESULT)
				i += parts[i].nsub;
			else if (parts[i].kind == IR_TEXT)
				t = &parts[i].text;
		}
		ir_write_string(o, t);
		json_lit(o, "}");
		return;
	}
	json_lit(o, "[");
	int k = 0;
	for (int i = m->first; i < end; i++) {
		const struct ir_part *p = &parts[i];
		if (p->kind == IR_TOOL_RESULT) {
			i += p->nsub;
		} else if (p->kind == IR_TEXT) {
			json_lit(o, k++ ? ",{\"type\":\"text\",\"text\":" : "{\"type\":\"text\",\"text\":");
			ir_write_string(o, &p->text);
			json_lit(o, "}");
		} else if (p->kind == IR_IMAGE) {
			json_lit(o, k++ ? ",{\"type\":\"image_url\",\"image_url\":{\"url\":"
					: "{\"type\":\"image_url\",\"image_url\":{\"url\":");
			write_data_url(o, p);
			json_lit(o, "}}");
		}
	}
	json_lit(o, "]}");
}

static int oa_encode_request(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen)
{
	int rm = reasoning_model(model);
	json_lit(o, "{\"model\":");
	json_cstr(o, model);
	json_lit(o, ",\"messages\":[");
	int nout = 0;
	if (ir->sys_n) {
		json_lit(o, "{\"role\":\"system\",\"content\":\"");
		for (int i = 0; i < ir->sys_n; i++) {
			if (i)
				json_lit(o, "\\n\\n");
			write_str_body(o, &ir->parts[ir->sys_first + i].text);
		}
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
			json_lit(o, k ? ",{\"type\":\"function\",\"function\":{\"name\":" : "{\"type\":\"function\",\"function\":{\"name\":");
			ir_write_string(o, &t->name);
			if (t->description.p) {
				json_lit(o, ",\"description\":");
				ir_write_string(o, &t->description);
			}
			if (t->parameters.p) {
				json_lit(o, ",\"parameters\":");
				if (ir_write_schema(o, &t->parameters) < 0)
					return fail(err, errlen, "tool parameters are not valid JSON");
			}
			json_lit(o, "}}");
		}
		json_lit(o, "]");
		if (ir->parallel_tools >= 0)
			json_lit(o, ir->parallel_tools ? ",\"parallel_tool_calls\":true" : ",\"parallel_tool_calls\":false");
	}
	switch (ir->tool_choice) {
	case IR_TC_AUTO: json_lit(o, ",\"tool_choice\":\"auto\""); break;
	case IR_TC_NONE: json_lit(o, ",\"tool_choice\":\"none\""); break;
	case IR_TC_REQUIRED: json_lit(o, ",\"tool_choice\":\"required\""); break;
	case IR_TC_TOOL:
		json_lit(o, ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":");
		ir_write_string(o, &ir->tool_choice_name);
		json_lit(o, "}}");
		break;
	}
	if (ir->max_tokens >= 0) {
		json_lit(o, rm ? ",\"max_completion_tokens\":" : ",\"max_tokens\":");
		json_i64(o, ir->max_tokens);
	}
	if (ir->temperature.p) {
		json_lit(o, ",\"temperature\":");
		json_raw_append(o, ir->temperature.p, ir->temperature.n);
	}
	if (ir->top_p.p) {
		json_lit(o, ",\"top_p\":");
		json_raw_append(o, ir->top_p.p, ir->top_p.n);
	}
	if (ir->nstop) {
		json_lit(o, ",\"stop\":[");
		for (int k = 0; k < ir->nstop; k++) {
			if (k)
				json_lit(o, ",");
			ir_write_string(o, &ir->stop[k]);
		}
		json_lit(o, "]");
	}
	if (ir->format == IR_FMT_JSON_OBJECT) {
		json_lit(o, ",\"response_format\":{\"type\":\"json_object\"}");
	} else if (ir->format == IR_FMT_JSON_SCHEMA) {
		json_lit(o, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":");
		if (ir->schema_name.p)
			ir_write_string(o, &ir->schema_name);
		else
			json_lit(o, "\"response\"");
		json_lit(o, ",\"schema\":");
		if (ir_write_schema(o, &ir->schema) < 0)
			return fail(err, errlen, "response schema is not valid JSON");
		json_lit(o, "}}");
	}
	if (ir->user.p) {
		json_lit(o, ",\"user\":");
		ir_write_string(o, &ir->user);
	}
	if (ir->seed >= 0) {
		json_lit(o, ",\"seed\":");
		json_i64(o, ir->seed);
	}
	if (ir->reasoning.p) {
		json_lit(o, ",\"reasoning_effort\":");
		ir_write_string(o, &ir->reasoning);
	} else if (rm && ir->thinking_budget > 0) {
		json_lit(o, ir->thinking_budget < 4096 ? ",\"reasoning_effort\":\"low\""
			  : ir->thinking_budget < 16384 ? ",\"reasoning_effort\":\"medium\""
			  : ",\"reasoning_effort\":\"high\"");
	}
	if (ir->stream)
		json_lit(o, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
	json_lit(o, "}");
	return 0;
}

static int oa_request_path(const char *model, int stream, char *buf, size_t len)
{
	int n = fmt_snprintf(buf, len, "/v1/chat/completions");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Responses                                                           */

static uint8_t finish_of(const struct json_doc *d, int f)
{
	if (!json_is_string(d, f))
		return IR_FIN_NONE;
	if (json_str_eq(d, f, "stop"))
		return IR_FIN_STOP;
	if (json_str_eq(d, f, "length"))
		return IR_FIN_LENGTH;
	if (json_str_eq(d, f, "tool_calls") || json_str_eq(d, f, "function_call"))
		return IR_FIN_TOOL_CALLS;
	if (json_str_eq(d, f, "content_filter"))
		return IR_FIN_CONTENT_FILTER;
	if (json_str_eq(d, f, "error"))
		return IR_FIN_ERROR;
	return IR_FIN_STOP;
}

static int64_t get_int(const struct json_doc *d, int obj, const char *key)
{
	int64_t v = 0;
	if (json_get_i64(d, json_get(d, obj, key), &v) < 0 || v < 0)
		return 0;
	return v;
}

static void dec_usage(const struct json_doc *d, int u, struct ir_usage *us)
{
	memset(us, 0, sizeof *us);
	us->have = 1;
	us->input = get_int(d, u, "prompt_tokens");
	us->output = get_int(d, u, "completion_tokens");
	us->cached = get_int(d, json_get(d, u, "prompt_tokens_details"), "cached_tokens");
	if (!us->cached)
		us->cached = get_int(d, u, "prompt_cache_hit_tokens");	/* DeepSeek */
	us->reasoning = get_int(d, json_get(d, u, "completion_tokens_details"), "reasoning_tokens");
}

/* The choice with index 0 (or the first one). */
static int choice0(const struct json_doc *d, int choices)
{
	if (!json_is_array(d, choices) || d->tok[choices].size == 0)
		return -1;
	for (int k = 0; k < d->tok[choices].size; k++) {
		int c = json_index(d, choices, k);
		int64_t ix;
		if (json_get_i64(d, json_get(d, c, "index"), &ix) == 0 && ix == 0)
			return c;
	}
	return json_index(d, choices, 0);
}

static int reasoning_tok(const struct json_doc *d, int obj)
{
	int t = get_string(d, obj, "reasoning_content");
	if (t < 0 || json_raw_len(d, t) == 0)
		t = get_string(d, obj, "reasoning");
	return t >= 0 && json_raw_len(d, t) ? t : -1;
}

static int oa_decode_response(const struct json_doc *d, struct ir_response *r, char *err, size_t errlen)
{
	struct ir_part *parts = r->parts;
	memset(r, 0, sizeof *r);
	r->parts = parts;
	if (!d || d->ntok < 1 || !json_is_object(d, 0))
		return fail(err, errlen, "response is not a JSON object");
	int c = choice0(d, json_get(d, 0, "choices"));
	int m = json_get(d, c, "message");
	if (c < 0 || !json_is_object(d, m))
		return fail(err, errlen, "response has no choices[0].message");
	int v = get_string(d, 0, "id");
	if (v >= 0 && json_raw_len(d, v))
		r->id = ir_tok_str(d, v);
	v = get_string(d, 0, "model");
	if (v >= 0)
		r->model = ir_tok_str(d, v);
	int64_t created;
	if (json_get_i64(d, json_get(d, 0, "created"), &created) == 0)
		r->created = created;
	int t = reasoning_tok(d, m);
	if (t >= 0) {
		struct ir_part *p = &r->parts[r->nparts++];
		memset(p, 0, sizeof *p);
		p->kind = IR_THINKING;
		p->text = ir_tok_str(d, t);
	}
	t = get_string(d, m, "content");
	if (t >= 0 && json_raw_len(d, t)) {
		struct ir_part *p = &r->parts[r->nparts++];
		memset(p, 0, sizeof *p);
		p->kind = IR_TEXT;
		p->text = ir_tok_str(d, t);
	}
	int refusal = get_string(d, m, "refusal");
	if (refusal >= 0 && json_raw_len(d, refusal)) {
		struct ir_part *p = &r->parts[r->nparts++];
		memset(p, 0, sizeof *p);
		p->kind = IR_TEXT;
		p->text = ir_tok_str(d, refusal);
	} else {
		refusal = -1;
	}
	int tc = json_get(d, m, "tool_calls");
	int ncalls = 0;
	if (json_is_array(d, tc)) {
		for (int k = 0; k < d->tok[tc].size; k++) {
			int el = json_index(d, tc, k);
			int fn = json_get(d, el, "function");
			int name = get_string(d, fn, "name");
			if (name < 0)
				continue;	/* not a function call */
			if (ncalls >= IR_MAX_CALLS || r->nparts >= IR_MAX_PARTS)
				return fail(err, errlen, "too many tool calls in the response");
			int id = get_string(d, el, "id");
			int args = json_get(d, fn, "arguments");
			struct ir_part *p = &r->parts[r->nparts++];
			memset(p, 0, sizeof *p);
			p->kind = IR_TOOL_CALL;
			p->a = id >= 0 ? ir_tok_str(d, id) : no_str;
			p->b = ir_tok_str(d, name);
			p->args = json_is_string(d, args) || json_is_object(d, args) ? ir_tok_str(d, args) : no_str;
			ncalls++;
		}
	}
	r->finish = finish_of(d, json_get(d, c, "finish_reason"));
	if (ncalls && (r->finish == IR_FIN_STOP || r->finish == IR_FIN_NONE))
		r->finish = IR_FIN_TOOL_CALLS;
	if (refusal >= 0 && (r->finish == IR_FIN_STOP || r->finish == IR_FIN_NONE))
		r->finish = IR_FIN_CONTENT_FILTER;
	int u = json_get(d, 0, "usage");
	if (json_is_object(d, u))
		dec_usage(d, u, &r->usage);
	return 0;
}

static const char *finish_str(uint8_t f)
{
	switch (f) {
	case IR_FIN_LENGTH: return "\"length\"";
	case IR_FIN_TOOL_CALLS: return "\"tool_calls\"";
	case IR_FIN_CONTENT_FILTER: return "\"content_filter\"";
	case IR_FIN_ERROR: return "\"error\"";
	}
	return "\"stop\"";
}

static void write_usage(struct json_out *o, const struct ir_usage *u)
{
	json_lit(o, "{\"prompt_tokens\":");
	json_i64(o, u->input);
	json_lit(o, ",\"completion_tokens\":");
	json_i64(o, u->output);
	json_lit(o, ",\"total_tokens\":");
	json_i64(o, u->input + u->output);
	json_lit(o, ",\"prompt_tokens_details\":{\"cached_tokens\":");
	json_i64(o, u->cached);
	json_lit(o, "},\"completion_tokens_details\":{\"reasoning_tokens\":");
	json_i64(o, u->reasoning);
	json_lit(o, "}}");
}

/* Text parts (or thinking parts) of a response concatenated as one string. */
static void write_joined(struct json_out *o, const struct ir_part *parts, int n, uint8_t kind)
{
	json_lit(o, "\"");
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
	json_lit(o, "{\"id\":");
	if (r->id.p && r->id.n)
		ir_write_string(o, &r->id);
	else
		json_lit(o, "\"chatcmpl-llmgw\"");
	json_lit(o, ",\"object\":\"chat.completion\",\"created\":");
	json_i64(o, r->created);
	json_lit(o, ",\"model\":");
	json_cstr(o, model);
	json_lit(o, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
	if (ntext)
		write_joined(o, r->parts, r->nparts, IR_TEXT);
	else
		json_lit(o, "null");
	json_lit(o, ",\"refusal\":null");
	if (nthink) {
		json_lit(o, ",\"reasoning_content\":");
		write_joined(o, r->parts, r->nparts, IR_THINKING);
	}
	if (ncall) {
		json_lit(o, ",\"tool_calls\":[");
		int k = 0;
		for (int i = 0; i < r->nparts; i++) {
			const struct ir_part *p = &r->parts[i];
			if (p->kind != IR_TOOL_CALL)
				continue;
			json_lit(o, k ? ",{\"id\":" : "{\"id\":");
			if (p->a.p && p->a.n) {
				ir_write_string(o, &p->a);
			} else {
				char id[32];
				fmt_snprintf(id, sizeof id, "call_llmgw_%d", k);
				json_cstr(o, id);
			}
			json_lit(o, ",\"type\":\"function\",\"function\":{\"name\":");
			ir_write_string(o, &p->b);
			json_lit(o, ",\"arguments\":");
			if (p->args.p && p->args.n)
				ir_write_string(o, &p->args);
			else
				json_lit(o, "\"{}\"");
			json_lit(o, "}}");
			k++;
		}
		json_lit(o, "]");
	}
	json_lit(o, "},\"logprobs\":null,\"finish_reason\":");
	json_lit(o, finish_str(r->finish));
	json_lit(o, "}]");
	if (r->usage.have) {
		json_lit(o, ",\"usage\":");
		write_usage(o, &r->usage);
	}
	json_lit(o, "}");
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static int str_has(const struct ir_str *s, const char *lit)
{
	return s->p && memmem(s->p, s->n, lit, strlen(lit)) != NULL;
}

/* The class of an error known only by its type/code (in-stream errors). */
static uint8_t class_of_type(const struct ir_str *t)
{
	if (str_has(t, "rate_limit") || ir_str_eq(t, "requests") || ir_str_eq(t, "tokens") ||
	    str_has(t, "quota") || ir_str_eq(t, "RESOURCE_EXHAUSTED"))
		return IR_ERR_RATE_LIMIT;
	if (str_has(t, "api_key") || str_has(t, "authentication") || ir_str_eq(t, "UNAUTHENTICATED"))
		return IR_ERR_AUTH;
	if (str_has(t, "permission") || ir_str_eq(t, "PERMISSION_DENIED"))
		return IR_ERR_PERMISSION;
	if (str_has(t, "not_found") || ir_str_eq(t, "NOT_FOUND"))
		return IR_ERR_NOT_FOUND;
	if (str_has(t, "overloaded") || str_has(t, "unavailable") || ir_str_eq(t, "UNAVAILABLE"))
		return IR_ERR_OVERLOADED;
	if (str_has(t, "timeout") || ir_str_eq(t, "DEADLINE_EXCEEDED"))
		return IR_ERR_TIMEOUT;
	if (str_has(t, "invalid_request") || str_has(t, "context_length") || ir_str_eq(t, "INVALID_ARGUMENT"))
		return IR_ERR_INVALID;
	return IR_ERR_SERVER;
}

/* Fills e from an error object or string at token v (or the root when it
 * carries "message" itself, as vLLM's {"object":"error",...}). status 0:
 * unknown (an in-stream error), the class then comes from the type. */
static void dec_error_tok(const struct json_doc *d, int v, int status, struct ir_error *e)
{
	int code_num = 0;
	if (json_is_string(d, v)) {
		e->message = ir_tok_str(d, v);
	} else if (json_is_object(d, v)) {
		int m = get_string(d, v, "message");
		if (m >= 0)
			e->message = ir_tok_str(d, m);
		int t = get_string(d, v, "type");
		int c = json_get(d, v, "code");
		if (json_is_string(d, c) && json_raw_len(d, c))
			e->type = ir_tok_str(d, c);
		else if (t >= 0 && json_raw_len(d, t))
			e->type = ir_tok_str(d, t);
		int64_t n;
		if (json_is_number(d, c) && json_get_i64(d, c, &n) == 0 && n >= 400 && n <= 599)
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
	if (d && d->ntok > 0 && json_is_object(d, 0)) {
		v = json_get(d, 0, "error");
		if (!json_is_object(d, v) && !json_is_string(d, v)) {
			if (get_string(d, 0, "message") >= 0)
				v = 0;
			else
				v = get_string(d, 0, "detail");	/* FastAPI-style servers */
		}
	}
	if (v >= 0) {
		dec_error_tok(d, v, status, e);
		return;
	}
	e->cls = status >= 400 ? ir_err_class_of_status(status) : IR_ERR_SERVER;
	e->status = e->cls == IR_ERR_OVERLOADED ? 503 : status >= 400 ? status : ir_err_status(e->cls);
}

static void write_error_obj(const struct ir_error *e, struct json_out *o)
{
	static const struct { const char *type, *code, *msg; } tab[] = {
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
	uint8_t c = e->cls < sizeof tab / sizeof tab[0] ? e->cls : IR_ERR_SERVER;
	json_lit(o, "{\"message\":");
	if (e->message.p)
		ir_write_string(o, &e->message);
	else
		json_cstr(o, tab[c].msg);
	json_lit(o, ",\"type\":");
	json_cstr(o, tab[c].type);
	json_lit(o, ",\"param\":null,\"code\":");
	if (e->type.p && e->type.n && !ir_str_eq(&e->type, tab[c].type))
		ir_write_string(o, &e->type);
	else if (tab[c].code)
		json_cstr(o, tab[c].code);
	else
		json_lit(o, "null");
	json_lit(o, "}");
}

static void oa_encode_error(const struct ir_error *e, struct json_out *o)
{
	json_lit(o, "{\"error\":");
	write_error_obj(e, o);
	json_lit(o, "}");
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

static int dec_tool_deltas(struct xlate_stream *s, struct oa_dec *st, const struct json_doc *d, int tcs)
{
	for (int k = 0; k < d->tok[tcs].size; k++) {
		int el = json_index(d, tcs, k);
		if (!json_is_object(d, el))
			return -1;
		int64_t pidx = -1;
		int ix = json_get(d, el, "index");
		if (given(d, ix) && (json_get_i64(d, ix, &pidx) < 0 || pidx < 0 || pidx > 32767))
			return -1;
		int id = get_string(d, el, "id");
		int fn = json_get(d, el, "function");
		int name = get_string(d, fn, "name");
		struct ir_str ids = id >= 0 && json_raw_len(d, id) ? ir_tok_str(d, id) : no_str;
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
		struct ir_event ev;
		if (found < 0) {
			if (st->ncalls >= IR_MAX_CALLS)
				return -1;
			found = st->ncalls++;
			st->call[found].pidx = (int16_t)pidx;
			st->call[found].idh = ids.p ? id_hash(&ids) : 0;
			memset(&ev, 0, sizeof ev);
			ev.kind = EV_TOOL_START;
			ev.index = (uint16_t)found;
			ev.id = ids;
			ev.name = name >= 0 ? ir_tok_str(d, name) : no_str;
			xlate_emit(s, &ev);
		}
		int args = json_get(d, fn, "arguments");
		if ((json_is_string(d, args) && json_raw_len(d, args)) || json_is_object(d, args)) {
			memset(&ev, 0, sizeof ev);
			ev.kind = EV_TOOL_ARGS;
			ev.index = (uint16_t)found;
			ev.text = ir_tok_str(d, args);
			xlate_emit(s, &ev);
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
		ev.kind = EV_END;
		xlate_emit(s, &ev);
		return 0;
	}
	struct json_doc doc, *d = &doc;
	if (json_parse(d, sev->data, sev->data_len, s->tok, s->maxtok) < 1 || !json_is_object(d, 0))
		return -1;
	int er = json_get(d, 0, "error");
	if (json_is_object(d, er) || json_is_string(d, er)) {
		ev.kind = EV_ERROR;
		dec_error_tok(d, er, 0, &ev.error);
		xlate_emit(s, &ev);
		return 0;
	}
	int choices = json_get(d, 0, "choices");
	if (given(d, choices) && !json_is_array(d, choices))
		return -1;
	int c = choice0(d, choices);
	int u = json_get(d, 0, "usage");
	if (!json_is_object(d, u)) {
		int xg = json_get(d, 0, "x_groq");	/* Groq puts the usage there */
		u = json_get(d, xg, "usage");
		if (!json_is_object(d, u))
			u = -1;
	}
	if (c < 0 && u < 0)
		return 0;
	if (!st->started) {
		st->started = 1;
		int id = get_string(d, 0, "id");
		int model = get_string(d, 0, "model");
		ev.kind = EV_START;
		ev.id = id >= 0 && json_raw_len(d, id) ? ir_tok_str(d, id) : no_str;
		ev.name = model >= 0 ? ir_tok_str(d, model) : no_str;
		xlate_emit(s, &ev);
	}
	if (c >= 0) {
		int delta = json_get(d, c, "delta");
		if (json_is_object(d, delta)) {
			int t = reasoning_tok(d, delta);
			if (t >= 0) {
				memset(&ev, 0, sizeof ev);
				ev.kind = EV_THINKING;
				ev.text = ir_tok_str(d, t);
				xlate_emit(s, &ev);
			}
			t = get_string(d, delta, "content");
			if (t >= 0 && json_raw_len(d, t)) {
				memset(&ev, 0, sizeof ev);
				ev.kind = EV_TEXT;
				ev.text = ir_tok_str(d, t);
				xlate_emit(s, &ev);
			}
			t = get_string(d, delta, "refusal");
			if (t >= 0 && json_raw_len(d, t)) {
				st->refusal = 1;
				memset(&ev, 0, sizeof ev);
				ev.kind = EV_TEXT;
				ev.text = ir_tok_str(d, t);
				xlate_emit(s, &ev);
			}
			int tcs = json_get(d, delta, "tool_calls");
			if (json_is_array(d, tcs) && dec_tool_deltas(s, st, d, tcs) < 0)
				return -1;
		} else if (given(d, delta)) {
			return -1;
		}
		uint8_t f = finish_of(d, json_get(d, c, "finish_reason"));
		if (f != IR_FIN_NONE && !st->finished) {
			st->finished = 1;
			if (f == IR_FIN_STOP && st->ncalls)
				f = IR_FIN_TOOL_CALLS;
			if (f == IR_FIN_STOP && st->refusal)
				f = IR_FIN_CONTENT_FILTER;
			memset(&ev, 0, sizeof ev);
			ev.kind = EV_FINISH;
			ev.finish = f;
			xlate_emit(s, &ev);
		}
	}
	if (u >= 0) {
		memset(&ev, 0, sizeof ev);
		ev.kind = EV_USAGE;
		dec_usage(d, u, &ev.usage);
		xlate_emit(s, &ev);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Stream encoding (an OpenAI client)                                  */

struct oa_enc {
	uint8_t started, finished;
	uint16_t idlen;		/* 0: made-up id */
	char id[256];		/* the provider's id, JSON-escaped */
};
_Static_assert(sizeof(struct oa_enc) <= sizeof(((struct xlate_stream *)0)->enc), "oa_enc too large");

static void chunk_open(struct xlate_stream *s, struct oa_enc *st, struct json_out *o)
{
	json_lit(o, "data: {\"id\":\"");
	if (st->idlen) {
		json_raw_append(o, st->id, st->idlen);
	} else {
		char id[48];
		fmt_snprintf(id, sizeof id, "chatcmpl-llmgw-%llu", s->serial);
		json_lit(o, id);
	}
	json_lit(o, "\",\"object\":\"chat.completion.chunk\",\"created\":");
	json_i64(o, s->created);
	json_lit(o, ",\"model\":");
	json_cstr(o, s->model);
}

/* A chunk with choices[0].delta = {<delta>} and the finish reason (a JSON
 * literal); the caller writes the delta's members between. */
static void delta_open(struct xlate_stream *s, struct oa_enc *st, struct json_out *o)
{
	chunk_open(s, st, o);
	json_lit(o, ",\"choices\":[{\"index\":0,\"delta\":{");
}

static void delta_close(struct xlate_stream *s, struct json_out *o, const char *finish)
{
	json_lit(o, "},\"logprobs\":null,\"finish_reason\":");
	json_lit(o, finish);
	json_lit(o, s->client_usage ? "}],\"usage\":null}\n\n" : "}]}\n\n");
}

static void enc_start(struct xlate_stream *s, struct oa_enc *st, struct json_out *o)
{
	st->started = 1;
	delta_open(s, st, o);
	json_lit(o, "\"role\":\"assistant\",\"content\":\"\"");
	delta_close(s, o, "null");
}

static void oa_encode_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	struct oa_enc *st = (struct oa_enc *)s->enc;
	if (ev->kind == EV_ERROR) {
		json_lit(o, "data: {\"error\":");
		write_error_obj(&ev->error, o);
		json_lit(o, "}\n\n");
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
	switch (ev->kind) {
	case EV_TEXT:
	case EV_THINKING:
		if (!ev->text.p || !ev->text.n)
			return;
		delta_open(s, st, o);
		json_lit(o, ev->kind == EV_TEXT ? "\"content\":" : "\"reasoning_content\":");
		ir_write_string(o, &ev->text);
		delta_close(s, o, "null");
		return;
	case EV_TOOL_START:
		delta_open(s, st, o);
		json_lit(o, "\"tool_calls\":[{\"index\":");
		json_i64(o, ev->index);
		json_lit(o, ",\"id\":");
		if (ev->id.p && ev->id.n) {
			ir_write_string(o, &ev->id);
		} else {
			char id[64];
			fmt_snprintf(id, sizeof id, "\"call_%llu_%u\"", s->serial, (unsigned)ev->index);
			json_lit(o, id);
		}
		json_lit(o, ",\"type\":\"function\",\"function\":{\"name\":");
		ir_write_string(o, &ev->name);
		json_lit(o, ",\"arguments\":\"\"}}]");
		delta_close(s, o, "null");
		return;
	case EV_TOOL_ARGS:
		if (!ev->text.p || !ev->text.n)
			return;
		delta_open(s, st, o);
		json_lit(o, "\"tool_calls\":[{\"index\":");
		json_i64(o, ev->index);
		json_lit(o, ",\"function\":{\"arguments\":");
		ir_write_string(o, &ev->text);
		json_lit(o, "}}]");
		delta_close(s, o, "null");
		return;
	case EV_FINISH:
		if (st->finished)
			return;
		st->finished = 1;
		delta_open(s, st, o);
		delta_close(s, o, finish_str(ev->finish));
		return;
	case EV_END:
		if (!st->finished) {
			st->finished = 1;
			delta_open(s, st, o);
			delta_close(s, o, finish_str(s->finish));
		}
		if (s->client_usage && s->usage.have) {
			chunk_open(s, st, o);
			json_lit(o, ",\"choices\":[],\"usage\":");
			write_usage(o, &s->usage);
			json_lit(o, "}\n\n");
		}
		json_lit(o, "data: [DONE]\n\n");
		return;
	}
}

static const char *oa_stream_type(const struct xlate_stream *s)
{
	return "text/event-stream";
}

static void oa_decode_usage(const struct json_doc *d, int obj, struct ir_usage *u)
{
	if (json_is_object(d, obj))
		dec_usage(d, obj, u);
	else
		memset(u, 0, sizeof *u);
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
	.decode_usage = oa_decode_usage,
};
