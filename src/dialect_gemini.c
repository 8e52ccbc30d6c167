/*
 * dialect_gemini.c - the Google Gemini dialect (Generative Language API,
 * generateContent / streamGenerateContent) around the intermediate form.
 *
 * Decoders point IR strings into the JSON text they read; encoders write
 * straight into the caller's bounded json_out. Per-stream state lives in
 * the xlate_stream's dec/enc areas (struct gem_dec / struct gem_enc) and,
 * for a streamed tool call whose arguments arrive in pieces, in
 * s->scratch. Nothing here allocates, blocks or keeps global state.
 *
 * Translated / dropped / refused
 * ------------------------------
 * Gemini request in (decode_request); camelCase and the snake_case
 * spellings the REST API also accepts (system_instruction, inline_data,
 * function_call, generation_config, max_output_tokens, ...):
 *  - contents[].role user/model -> user/assistant ("function"/"tool" are
 *    read as user). A user content holding functionResponse parts becomes
 *    an IR tool message (the other parts of it a user message, in order).
 *  - parts: text; thought:true -> thinking (thoughtSignature -> sig; a
 *    thoughtSignature on any other part is kept on that part);
 *    inlineData{mimeType,data} -> image (any MIME type is passed on as is:
 *    the target decides); fileData{mimeType?,fileUri} -> image by URL;
 *    functionCall{id?,name,args} -> tool call (no id: "call_NNNN", the
 *    4-digit position of the call among the request's calls, e.g.
 *    "call_0000"); functionResponse{id?,name,response} -> tool result
 *    answering the call with that id, or without an id the earliest
 *    earlier unanswered call of that name (none: refused).
 *    The result's text: response {"result": X} or {"output": X} -> X, and
 *    {"error": X} -> X with is_error (X a string: its text; otherwise its
 *    JSON text); any other response object -> its whole JSON text.
 *  - executableCode / codeExecutionResult parts: refused.
 *  - systemInstruction (Content, or a plain string) -> system prompt.
 *  - tools[].functionDeclarations[{name,description,parameters |
 *    parametersJsonSchema}] -> tools. Schemas are passed verbatim; the
 *    OpenAI and Anthropic encoders lowercase OpenAPI-style type names
 *    ("OBJECT" -> "object", ir_write_schema). Other tool kinds (googleSearch,
 *    codeExecution, urlContext, ...): refused.
 *  - toolConfig.functionCallingConfig.mode AUTO -> auto, VALIDATED -> auto,
 *    NONE -> none, ANY -> required, or ANY with exactly one
 *    allowedFunctionNames -> that tool (ANY with several names: required,
 *    the restriction dropped).
 *  - generationConfig: temperature, topP, topK, maxOutputTokens,
 *    stopSequences (up to 8), seed, thinkingConfig.thinkingBudget ->
 *    thinking budget, thinkingConfig.thinkingLevel -> reasoning effort;
 *    responseMimeType application/json -> json_object, with responseSchema
 *    or responseJsonSchema -> json_schema. candidateCount > 1, other
 *    response MIME types: refused. presencePenalty, frequencyPenalty,
 *    responseLogprobs, logprobs, responseModalities, speechConfig,
 *    mediaResolution, includeThoughts: dropped.
 *  - safetySettings, labels: dropped. cachedContent: refused (a cache
 *    on Google's side means nothing to another provider).
 *
 * Gemini request out (encode_request; the model goes in the URL):
 *  - assistant -> "model"; consecutive same-role messages merge into one
 *    content (tool results and the user text after them share a "user"
 *    content). Tool results -> functionResponse{name, response}: a result
 *    whose text is a JSON object is sent as that object, other text as
 *    {"result": text}, an error result as {"error": text}; images in a
 *    result follow it as inlineData parts. The name comes from the IR
 *    (b) or the earlier call with that id; unknown: refused (400).
 *  - tool calls -> functionCall{name,args} (no id: not every Gemini
 *    model takes one); arguments that are not valid JSON: refused (400).
 *  - thinking with text -> a thought part {text, thought:true,
 *    thoughtSignature?}; thinking with only a signature -> the signature
 *    rides on the next part of the same message (dropped when none
 *    follows); thinking text without a signature is dropped (Gemini reads
 *    nothing from it). The first functionCall of each model content that
 *    carries no signature gets Google's documented placeholder
 *    "skip_thought_signature_validator", so history made by another
 *    provider (or by a client that cannot keep signatures, e.g. OpenAI's)
 *    passes Gemini 3's signature check.
 *  - images -> inlineData; by URL -> fileData{fileUri} (Gemini fetches
 *    only the URLs it supports).
 *  - system -> systemInstruction; tools -> functionDeclarations with
 *    "parametersJsonSchema" (full JSON Schema; "parameters" takes only
 *    Google's OpenAPI subset); tool_choice auto/required/none/tool ->
 *    AUTO/ANY/NONE/ANY+allowedFunctionNames; max_tokens -> maxOutputTokens;
 *    stop -> stopSequences; json_object -> responseMimeType
 *    application/json; json_schema -> that plus responseJsonSchema (the
 *    schema name is dropped); seed; thinking budget -> thinkingConfig
 *    {thinkingBudget, includeThoughts:true}; OpenAI reasoning_effort
 *    low/medium/high -> thinkingBudget 1024/8192/24576 (Google's own
 *    OpenAI-compatibility mapping). user, parallel_tool_calls,
 *    include_usage: dropped (Gemini always reports usage).
 *
 * Gemini response in (decode_response, decode_event):
 *  - candidates[0] only. Text, thought parts, functionCall parts (id from
 *    functionCall.id when Gemini gives one, else made up: "call_NNNN" by
 *    position in a response, "call_<serial>_<index>" in a stream). A
 *    thoughtSignature on a non-thought part becomes a thinking part with
 *    no text and that signature, right before the part (so an Anthropic
 *    client can carry it back; this encoder puts it back on the part).
 *    Other parts (inlineData, executableCode, ...): dropped.
 *  - finishReason: STOP -> stop (tool_calls when a functionCall came);
 *    MAX_TOKENS -> length; SAFETY, BLOCKLIST, PROHIBITED_CONTENT, SPII,
 *    IMAGE_SAFETY, IMAGE_PROHIBITED_CONTENT, LANGUAGE -> content_filter;
 *    MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS,
 *    MISSING_THOUGHT_SIGNATURE, MALFORMED_RESPONSE -> error; RECITATION,
 *    OTHER and the rest -> stop. No candidates but promptFeedback
 *    .blockReason -> content_filter.
 *  - usageMetadata: input = promptTokenCount (it includes cached tokens),
 *    output = candidatesTokenCount + thoughtsTokenCount (OpenAI counts
 *    reasoning inside completion_tokens), reasoning = thoughtsTokenCount,
 *    cached = cachedContentTokenCount. In a stream, usage is emitted from
 *    the chunk with the finishReason on (each chunk carries running
 *    totals; the last one is the total).
 *  - responseId -> id, modelVersion -> model.
 *  - errors: {"error":{code,message,status,details}} (also inside a
 *    one-element array). Class from the HTTP status (the body's code when
 *    the status is not an error, e.g. an error chunk in a 200 stream); a
 *    400 whose details say API_KEY_INVALID (or whose message says "API
 *    key not valid") is an auth error, 401.
 *
 * Gemini response out (encode_response, encode_event):
 *  - {"candidates":[{"content":{"role":"model","parts":[...]},
 *    "finishReason","index":0}],"usageMetadata","modelVersion":<the
 *    client's model>,"responseId"}. Tool calls -> functionCall{id,name,
 *    args} (the id lets the client answer with functionResponse.id).
 *    tool_calls -> STOP, length -> MAX_TOKENS, content_filter -> SAFETY,
 *    error -> OTHER. A tool call whose arguments are not valid JSON is
 *    left out and the finishReason is MALFORMED_FUNCTION_CALL.
 *  - usageMetadata: promptTokenCount = input, candidatesTokenCount =
 *    output - reasoning, thoughtsTokenCount = reasoning,
 *    cachedContentTokenCount = cached, totalTokenCount = input + output.
 *  - streams: with alt=sse each chunk is "data: {...}\r\n\r\n" (as Google
 *    sends); without, one JSON array written piece by piece. Text and
 *    thinking go out as they come; a tool call is held (its arguments
 *    gathered in s->scratch) and sent whole when the next thing starts;
 *    the last chunk carries finishReason and usageMetadata and is written
 *    at the end of the stream. Tool-argument pieces are taken in call
 *    order (as OpenAI and Anthropic send them); a piece for another call
 *    than the open one is dropped. An error becomes a chunk
 *    {"error":{code,message,status}} (in array mode the array is closed
 *    after it).
 *  - errors: {"error":{"code","message","status"}}, status from the
 *    class (a Google status name from a Gemini provider is kept when it
 *    agrees with the class); overload is 503 UNAVAILABLE.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fmt.h"
#include "dialect.h"

/* ---- helpers ---- */

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Member of obj by its camelCase name, or its snake_case one. */
static int jget(const struct json_doc *d, int obj, const char *camel, const char *snake)
{
	if (obj < 0 || !json_is_object(d, obj))
		return -1;
	int v = json_get(d, obj, camel);
	if (v < 0 && snake)
		v = json_get(d, obj, snake);
	return v;
}

/* Made-up call ids "call_0000".."call_2999": IR strings point at them (the
 * decoders own no storage), so they live in one table for the process's
 * life. It is written on first use, as far as the highest id asked for:
 * a table in the binary would cost 27 KB of flash, this costs the RAM of
 * the ids actually used (one page for a request with a few calls). */
#define GEM_ID_LEN 9
#define GEM_NIDS 3000
_Static_assert(IR_MAX_PARTS <= GEM_NIDS, "id table too small");
static char gem_ids[GEM_NIDS * GEM_ID_LEN];
static unsigned gem_ids_made;

static struct ir_str made_id(unsigned n)
{
	if (n >= GEM_NIDS)
		n = GEM_NIDS - 1;
	for (; gem_ids_made <= n; gem_ids_made++) {
		char *d = gem_ids + (size_t)gem_ids_made * GEM_ID_LEN;
		unsigned v = gem_ids_made;
		memcpy(d, "call_", 5);
		for (int i = 8; i >= 5; i--, v /= 10)
			d[i] = (char)('0' + v % 10);
	}
	struct ir_str s = { gem_ids + (size_t)n * GEM_ID_LEN, GEM_ID_LEN, IR_PLAIN };
	return s;
}

static const char sig_placeholder[] = "skip_thought_signature_validator";

/* Appends the escaped content of s without quotes (for concatenation). */
static void put_content(struct json_out *o, const struct ir_str *s)
{
	if (!s->p)
		return;
	if (s->kind == IR_RAW) {
		json_raw_append(o, s->p, s->n);
		return;
	}
	size_t st = o->len;
	json_str(o, s->p, s->n);
	if (o->overflow || o->len < st + 2)
		return;
	memmove(o->buf + st, o->buf + st + 1, o->len - st - 2);
	o->len -= 2;
}

/* Unescaped comparison of two IR strings (names, ids). */
static int str_same(const struct ir_str *a, const struct ir_str *b)
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

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
	return 1;
}

/* ---- finish reasons, usage ---- */

static uint8_t finish_of(const struct json_doc *d, int i)
{
	static const struct { const char *name; uint8_t f; } map[] = {
		{ "STOP", IR_FIN_STOP }, { "MAX_TOKENS", IR_FIN_LENGTH },
		{ "SAFETY", IR_FIN_CONTENT_FILTER }, { "BLOCKLIST", IR_FIN_CONTENT_FILTER },
		{ "PROHIBITED_CONTENT", IR_FIN_CONTENT_FILTER }, { "SPII", IR_FIN_CONTENT_FILTER },
		{ "IMAGE_SAFETY", IR_FIN_CONTENT_FILTER }, { "IMAGE_PROHIBITED_CONTENT", IR_FIN_CONTENT_FILTER },
		{ "LANGUAGE", IR_FIN_CONTENT_FILTER },
		{ "MALFORMED_FUNCTION_CALL", IR_FIN_ERROR }, { "UNEXPECTED_TOOL_CALL", IR_FIN_ERROR },
		{ "TOO_MANY_TOOL_CALLS", IR_FIN_ERROR }, { "MISSING_THOUGHT_SIGNATURE", IR_FIN_ERROR },
		{ "MALFORMED_RESPONSE", IR_FIN_ERROR },
	};
	if (i < 0 || !json_is_string(d, i))
		return IR_FIN_NONE;
	for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
		if (json_str_eq(d, i, map[k].name))
			return map[k].f;
	return IR_FIN_STOP;	/* RECITATION, OTHER, FINISH_REASON_UNSPECIFIED, ... */
}

static const char *finish_name(uint8_t f)
{
	switch (f) {
	case IR_FIN_LENGTH: return "MAX_TOKENS";
	case IR_FIN_CONTENT_FILTER: return "SAFETY";
	case IR_FIN_ERROR: return "OTHER";
	}
	return "STOP";
}

static int64_t get_count(const struct json_doc *d, int obj, const char *camel, const char *snake)
{
	int64_t v = 0;
	int i = jget(d, obj, camel, snake);
	if (i < 0 || json_get_i64(d, i, &v) < 0 || v < 0)
		return 0;
	return v;
}

static void usage_of(const struct json_doc *d, int um, struct ir_usage *u)
{
	memset(u, 0, sizeof *u);
	if (um < 0 || !json_is_object(d, um))
		return;
	u->have = 1;
	u->input = get_count(d, um, "promptTokenCount", "prompt_token_count");
	u->reasoning = get_count(d, um, "thoughtsTokenCount", "thoughts_token_count");
	u->output = get_count(d, um, "candidatesTokenCount", "candidates_token_count") + u->reasoning;
	u->cached = get_count(d, um, "cachedContentTokenCount", "cached_content_token_count");
}

static void write_usage(struct json_out *o, const struct ir_usage *u)
{
	int64_t cand = u->output - u->reasoning;
	if (cand < 0)
		cand = 0;
	json_lit(o, "\"usageMetadata\":{\"promptTokenCount\":");
	json_i64(o, u->input);
	json_lit(o, ",\"candidatesTokenCount\":");
	json_i64(o, cand);
	json_lit(o, ",\"totalTokenCount\":");
	json_i64(o, u->input + u->output);
	if (u->cached > 0) {
		json_lit(o, ",\"cachedContentTokenCount\":");
		json_i64(o, u->cached);
	}
	if (u->reasoning > 0) {
		json_lit(o, ",\"thoughtsTokenCount\":");
		json_i64(o, u->reasoning);
	}
	json_lit(o, "}");
}

/* ---- request decoding ---- */

struct rq {
	const struct json_doc *d;
	struct ir_request *ir;
	char *err;
	size_t errlen;
	unsigned ncalls;
	uint16_t content_msg;	/* first IR message of the current content */
};

static struct ir_part *new_part(struct rq *q, uint8_t role)
{
	struct ir_request *ir = q->ir;
	if (ir->nparts >= IR_MAX_PARTS) {
		fail(q->err, q->errlen, "too many content parts (limit %d)", IR_MAX_PARTS);
		return NULL;
	}
	struct ir_msg *m = ir->nmsgs > q->content_msg ? &ir->msgs[ir->nmsgs - 1] : NULL;
	if (!m || m->role != role || m->first + m->n != ir->nparts) {
		if (ir->nmsgs >= IR_MAX_MSGS) {
			fail(q->err, q->errlen, "too many messages (limit %d)", IR_MAX_MSGS);
			return NULL;
		}
		m = &ir->msgs[ir->nmsgs++];
		m->role = role;
		m->first = ir->nparts;
		m->n = 0;
	}
	m->n++;
	struct ir_part *p = &ir->parts[ir->nparts++];
	memset(p, 0, sizeof *p);
	return p;
}

/* Whether some tool result already answers call id. */
static int answered(const struct ir_request *ir, const struct ir_str *id)
{
	for (unsigned i = 0; i < ir->nparts; i++)
		if (ir->parts[i].kind == IR_TOOL_RESULT && str_same(&ir->parts[i].a, id))
			return 1;
	return 0;
}

static int decode_fresponse(struct rq *q, int fr)
{
	const struct json_doc *d = q->d;
	int name = jget(d, fr, "name", NULL);
	int id = jget(d, fr, "id", NULL);
	int resp = jget(d, fr, "response", NULL);
	if (!json_is_string(d, name)) {
		fail(q->err, q->errlen, "functionResponse needs a name");
		return -1;
	}
	struct ir_part *p = new_part(q, IR_TOOL);
	if (!p)
		return -1;
	p->kind = IR_TOOL_RESULT;
	p->b = ir_tok_str(d, name);
	if (json_is_string(d, id) && json_raw_len(d, id) > 0) {
		p->a = ir_tok_str(d, id);
	} else {
		/* The earliest earlier call of that name not answered yet. */
		struct ir_request *ir = q->ir;
		for (unsigned i = 0; i + 1 < ir->nparts; i++) {
			struct ir_part *c = &ir->parts[i];
			if (c->kind == IR_TOOL_CALL && str_same(&c->b, &p->b) && !answered(ir, &c->a)) {
				p->a = c->a;
				break;
			}
		}
		if (!p->a.p) {
			fail(q->err, q->errlen, "functionResponse \"%.*s\" answers no earlier functionCall",
			     (int)(json_raw_len(d, name) > 64 ? 64 : json_raw_len(d, name)), json_raw(d, name));
			return -1;
		}
	}
	if (resp < 0 || json_is_null(d, resp)) {
		p->text = (struct ir_str){ "{}", 2, IR_JSON };
	} else if (!json_is_object(d, resp)) {
		fail(q->err, q->errlen, "functionResponse.response must be an object");
		return -1;
	} else if (d->tok[resp].size == 1) {
		int k = resp + 1;
		if (json_str_eq(d, k, "result") || json_str_eq(d, k, "output")) {
			p->text = ir_tok_str(d, k + 1);
		} else if (json_str_eq(d, k, "error")) {
			p->text = ir_tok_str(d, k + 1);
			p->is_error = 1;
		} else {
			p->text = ir_tok_str(d, resp);
		}
	} else {
		p->text = ir_tok_str(d, resp);
	}
	return 0;
}

static int decode_part(struct rq *q, int part, int model)
{
	const struct json_doc *d = q->d;
	if (!json_is_object(d, part)) {
		fail(q->err, q->errlen, "each part must be an object");
		return -1;
	}
	int text = jget(d, part, "text", NULL);
	int thought = jget(d, part, "thought", NULL);
	int sig = jget(d, part, "thoughtSignature", "thought_signature");
	int fc = jget(d, part, "functionCall", "function_call");
	int fr = jget(d, part, "functionResponse", "function_response");
	int inl = jget(d, part, "inlineData", "inline_data");
	int fd = jget(d, part, "fileData", "file_data");
	struct ir_str s = ir_tok_str(d, json_is_string(d, sig) ? sig : -1);
	uint8_t role = model ? IR_ASSISTANT : IR_USER;
	struct ir_part *p;

	if (fr >= 0) {
		if (model) {
			fail(q->err, q->errlen, "functionResponse belongs in a user turn");
			return -1;
		}
		return decode_fresponse(q, fr);
	}
	if (text >= 0) {
		if (!json_is_string(d, text)) {
			fail(q->err, q->errlen, "part text must be a string");
			return -1;
		}
		if (!(p = new_part(q, role)))
			return -1;
		p->kind = json_is_true(d, thought) ? IR_THINKING : IR_TEXT;
		p->text = ir_tok_str(d, text);
		p->sig = s;
		return 0;
	}
	if (fc >= 0) {
		int name = jget(d, fc, "name", NULL);
		int args = jget(d, fc, "args", NULL);
		int id = jget(d, fc, "id", NULL);
		if (!model) {
			fail(q->err, q->errlen, "functionCall belongs in a model turn");
			return -1;
		}
		if (!json_is_string(d, name)) {
			fail(q->err, q->errlen, "functionCall needs a name");
			return -1;
		}
		if (args >= 0 && !json_is_object(d, args) && !json_is_null(d, args)) {
			fail(q->err, q->errlen, "functionCall.args must be an object");
			return -1;
		}
		if (!(p = new_part(q, role)))
			return -1;
		p->kind = IR_TOOL_CALL;
		p->b = ir_tok_str(d, name);
		p->args = ir_tok_str(d, json_is_object(d, args) ? args : -1);
		if (!p->args.p)
			p->args = (struct ir_str){ "{}", 2, IR_JSON };
		p->a = json_is_string(d, id) && json_raw_len(d, id) > 0 ? ir_tok_str(d, id) : made_id(q->ncalls);
		q->ncalls++;
		p->sig = s;
		return 0;
	}
	if (inl >= 0 || fd >= 0) {
		int obj = inl >= 0 ? inl : fd;
		int mime = jget(d, obj, "mimeType", "mime_type");
		int data = inl >= 0 ? jget(d, obj, "data", NULL) : jget(d, obj, "fileUri", "file_uri");
		if (!json_is_string(d, data) || (inl >= 0 && !json_is_string(d, mime))) {
			fail(q->err, q->errlen, inl >= 0 ? "inlineData needs mimeType and data" : "fileData needs fileUri");
			return -1;
		}
		if (!(p = new_part(q, role)))
			return -1;
		p->kind = IR_IMAGE;
		p->is_url = inl < 0;
		p->a = ir_tok_str(d, json_is_string(d, mime) ? mime : -1);
		p->b = ir_tok_str(d, data);
		p->sig = s;
		return 0;
	}
	static const char *const unsupported[][2] = {
		{ "executableCode", "executable_code" }, { "codeExecutionResult", "code_execution_result" },
		{ "toolCall", "tool_call" }, { "toolResponse", "tool_response" },
	};
	for (size_t k = 0; k < sizeof unsupported / sizeof unsupported[0]; k++)
		if (jget(d, part, unsupported[k][0], unsupported[k][1]) >= 0) {
			fail(q->err, q->errlen, "%s parts cannot be translated to another provider", unsupported[k][0]);
			return -1;
		}
	if (s.p) {		/* a part holding only a signature */
		if (!(p = new_part(q, role)))
			return -1;
		p->kind = IR_THINKING;
		p->text = (struct ir_str){ "", 0, IR_RAW };
		p->sig = s;
	}
	return 0;		/* an empty part: nothing to carry */
}

static int decode_contents(struct rq *q, int contents)
{
	const struct json_doc *d = q->d;
	if (!json_is_array(d, contents) || d->tok[contents].size == 0) {
		fail(q->err, q->errlen, "contents must be a non-empty array");
		return -1;
	}
	for (int c = 0; c < d->tok[contents].size; c++) {
		int ct = json_index(d, contents, c);
		int role = jget(d, ct, "role", NULL);
		int parts = jget(d, ct, "parts", NULL);
		if (!json_is_object(d, ct) || !json_is_array(d, parts)) {
			fail(q->err, q->errlen, "contents[%d] needs a parts array", c);
			return -1;
		}
		int model = 0;
		if (role >= 0 && !json_is_null(d, role)) {
			if (json_str_eq(d, role, "model"))
				model = 1;
			else if (!json_str_eq(d, role, "user") && !json_str_eq(d, role, "function") &&
				 !json_str_eq(d, role, "tool")) {
				fail(q->err, q->errlen, "contents[%d].role must be user or model", c);
				return -1;
			}
		}
		q->content_msg = q->ir->nmsgs;
		for (int k = 0; k < d->tok[parts].size; k++)
			if (decode_part(q, json_index(d, parts, k), model) < 0)
				return -1;
	}
	return 0;
}

static int decode_system(struct rq *q, int si)
{
	const struct json_doc *d = q->d;
	struct ir_request *ir = q->ir;
	ir->sys_first = ir->nparts;
	ir->sys_n = 0;
	if (si < 0 || json_is_null(d, si))
		return 0;
	if (json_is_string(d, si)) {
		if (ir->nparts >= IR_MAX_PARTS)
			return -1;
		struct ir_part *p = &ir->parts[ir->nparts++];
		memset(p, 0, sizeof *p);
		p->kind = IR_TEXT;
		p->text = ir_tok_str(d, si);
		ir->sys_n = 1;
		return 0;
	}
	int parts = jget(d, si, "parts", NULL);
	if (!json_is_array(d, parts)) {
		fail(q->err, q->errlen, "systemInstruction needs parts");
		return -1;
	}
	for (int k = 0; k < d->tok[parts].size; k++) {
		int pt = json_index(d, parts, k);
		int text = jget(d, pt, "text", NULL);
		if (!json_is_string(d, text)) {
			fail(q->err, q->errlen, "systemInstruction parts must be text");
			return -1;
		}
		if (ir->nparts >= IR_MAX_PARTS) {
			fail(q->err, q->errlen, "too many content parts");
			return -1;
		}
		struct ir_part *p = &ir->parts[ir->nparts++];
		memset(p, 0, sizeof *p);
		p->kind = IR_TEXT;
		p->text = ir_tok_str(d, text);
		ir->sys_n++;
	}
	return 0;
}

static int decode_tools(struct rq *q, int tools)
{
	const struct json_doc *d = q->d;
	struct ir_request *ir = q->ir;
	if (tools < 0 || json_is_null(d, tools))
		return 0;
	if (!json_is_array(d, tools)) {
		fail(q->err, q->errlen, "tools must be an array");
		return -1;
	}
	for (int t = 0; t < d->tok[tools].size; t++) {
		int tool = json_index(d, tools, t);
		if (!json_is_object(d, tool)) {
			fail(q->err, q->errlen, "tools[%d] must be an object", t);
			return -1;
		}
		for (int k = tool + 1, m = 0; m < d->tok[tool].size; m++, k = json_skip(d, k)) {
			if (!json_str_eq(d, k, "functionDeclarations") && !json_str_eq(d, k, "function_declarations")) {
				fail(q->err, q->errlen, "tool type \"%.*s\" cannot be translated to another provider",
				     (int)(json_raw_len(d, k) > 40 ? 40 : json_raw_len(d, k)), json_raw(d, k));
				return -1;
			}
			int decls = k + 1;
			if (!json_is_array(d, decls)) {
				fail(q->err, q->errlen, "functionDeclarations must be an array");
				return -1;
			}
			for (int j = 0; j < d->tok[decls].size; j++) {
				int fd = json_index(d, decls, j);
				int name = jget(d, fd, "name", NULL);
				int desc = jget(d, fd, "description", NULL);
				int par = jget(d, fd, "parametersJsonSchema", "parameters_json_schema");
				if (par < 0)
					par = jget(d, fd, "parameters", NULL);
				if (!json_is_string(d, name)) {
					fail(q->err, q->errlen, "a function declaration needs a name");
					return -1;
				}
				if (ir->ntools >= IR_MAX_TOOLS) {
					fail(q->err, q->errlen, "too many tools (limit %d)", IR_MAX_TOOLS);
					return -1;
				}
				struct ir_tool *it = &ir->tools[ir->ntools++];
				memset(it, 0, sizeof *it);
				it->name = ir_tok_str(d, name);
				it->description = ir_tok_str(d, json_is_string(d, desc) ? desc : -1);
				it->parameters = ir_tok_str(d, json_is_object(d, par) ? par : -1);
			}
		}
	}
	return 0;
}

static int decode_tool_config(struct rq *q, int tc)
{
	const struct json_doc *d = q->d;
	struct ir_request *ir = q->ir;
	int fcc = jget(d, tc, "functionCallingConfig", "function_calling_config");
	int mode = jget(d, fcc, "mode", NULL);
	int names = jget(d, fcc, "allowedFunctionNames", "allowed_function_names");
	if (mode < 0 || json_is_null(d, mode))
		return 0;
	if (json_str_eq(d, mode, "AUTO") || json_str_eq(d, mode, "VALIDATED")) {
		ir->tool_choice = IR_TC_AUTO;
	} else if (json_str_eq(d, mode, "NONE")) {
		ir->tool_choice = IR_TC_NONE;
	} else if (json_str_eq(d, mode, "ANY")) {
		ir->tool_choice = IR_TC_REQUIRED;
		if (json_is_array(d, names) && d->tok[names].size == 1 && json_is_string(d, names + 1)) {
			ir->tool_choice = IR_TC_TOOL;
			ir->tool_choice_name = ir_tok_str(d, names + 1);
		}
	} else if (!json_str_eq(d, mode, "MODE_UNSPECIFIED")) {
		fail(q->err, q->errlen, "unknown functionCallingConfig.mode");
		return -1;
	}
	return 0;
}

static int number_field(struct rq *q, int gc, const char *camel, const char *snake, struct ir_str *out)
{
	int v = jget(q->d, gc, camel, snake);
	if (v < 0 || json_is_null(q->d, v))
		return 0;
	if (!json_is_number(q->d, v)) {
		fail(q->err, q->errlen, "generationConfig.%s must be a number", camel);
		return -1;
	}
	*out = ir_tok_str(q->d, v);
	return 0;
}

static int int_field(struct rq *q, int obj, const char *camel, const char *snake, int64_t *out)
{
	int v = jget(q->d, obj, camel, snake);
	if (v < 0 || json_is_null(q->d, v))
		return 0;
	if (json_get_i64(q->d, v, out) < 0) {
		fail(q->err, q->errlen, "%s must be an integer", camel);
		return -1;
	}
	return 0;
}

static int decode_gen_config(struct rq *q, int gc)
{
	const struct json_doc *d = q->d;
	struct ir_request *ir = q->ir;
	if (gc < 0 || json_is_null(d, gc))
		return 0;
	if (!json_is_object(d, gc)) {
		fail(q->err, q->errlen, "generationConfig must be an object");
		return -1;
	}
	if (number_field(q, gc, "temperature", NULL, &ir->temperature) < 0 ||
	    number_field(q, gc, "topP", "top_p", &ir->top_p) < 0 ||
	    number_field(q, gc, "topK", "top_k", &ir->top_k) < 0 ||
	    int_field(q, gc, "maxOutputTokens", "max_output_tokens", &ir->max_tokens) < 0 ||
	    int_field(q, gc, "seed", NULL, &ir->seed) < 0)
		return -1;
	int64_t cc = 1;
	if (int_field(q, gc, "candidateCount", "candidate_count", &cc) < 0)
		return -1;
	if (cc > 1) {
		fail(q->err, q->errlen, "candidateCount > 1 cannot be translated to another provider");
		return -1;
	}
	int stop = jget(d, gc, "stopSequences", "stop_sequences");
	if (stop >= 0 && !json_is_null(d, stop)) {
		if (!json_is_array(d, stop) || d->tok[stop].size > IR_MAX_STOP) {
			fail(q->err, q->errlen, "stopSequences must be an array of at most %d strings", IR_MAX_STOP);
			return -1;
		}
		for (int k = 0; k < d->tok[stop].size; k++) {
			int s = json_index(d, stop, k);
			if (!json_is_string(d, s)) {
				fail(q->err, q->errlen, "stopSequences must hold strings");
				return -1;
			}
			ir->stop[ir->nstop++] = ir_tok_str(d, s);
		}
	}
	int mime = jget(d, gc, "responseMimeType", "response_mime_type");
	int schema = jget(d, gc, "responseJsonSchema", "response_json_schema");
	if (schema < 0)
		schema = jget(d, gc, "responseSchema", "response_schema");
	if (json_is_string(d, mime) && json_str_eq(d, mime, "application/json")) {
		ir->format = IR_FMT_JSON_OBJECT;
		if (json_is_object(d, schema)) {
			ir->format = IR_FMT_JSON_SCHEMA;
			ir->schema = ir_tok_str(d, schema);
		}
	} else if (json_is_string(d, mime) && !json_str_eq(d, mime, "text/plain")) {
		fail(q->err, q->errlen, "responseMimeType %.*s cannot be translated to another provider",
		     (int)(json_raw_len(d, mime) > 40 ? 40 : json_raw_len(d, mime)), json_raw(d, mime));
		return -1;
	}
	int th = jget(d, gc, "thinkingConfig", "thinking_config");
	if (json_is_object(d, th)) {
		if (int_field(q, th, "thinkingBudget", "thinking_budget", &ir->thinking_budget) < 0)
			return -1;
		int lvl = jget(d, th, "thinkingLevel", "thinking_level");
		static const char *const levels[] = { "minimal", "low", "medium", "high" };
		static const char *const upper[] = { "MINIMAL", "LOW", "MEDIUM", "HIGH" };
		for (int k = 0; k < 4 && json_is_string(d, lvl); k++)
			if (json_str_eq(d, lvl, levels[k]) || json_str_eq(d, lvl, upper[k]))
				ir->reasoning = ir_plain(levels[k], (uint32_t)strlen(levels[k]));
	}
	return 0;
}

static int gem_decode_request(const struct json_doc *d, struct ir_request *ir, char *err, size_t errlen)
{
	struct rq q = { d, ir, err, errlen, 0, 0 };
	struct ir_part *parts = ir->parts;
	struct ir_msg *msgs = ir->msgs;
	struct ir_tool *tools = ir->tools;
	memset(ir, 0, sizeof *ir);
	ir->parts = parts;
	ir->msgs = msgs;
	ir->tools = tools;
	ir->tool_choice = IR_TC_UNSET;
	ir->parallel_tools = -1;
	ir->max_tokens = -1;
	ir->seed = -1;
	ir->thinking_budget = -1;
	ir->format = IR_FMT_TEXT;
	if (err && errlen)
		err[0] = 0;
	if (d->ntok < 1 || !json_is_object(d, 0)) {
		fail(err, errlen, "the request body must be a JSON object");
		return -1;
	}
	if (jget(d, 0, "cachedContent", "cached_content") >= 0) {
		fail(err, errlen, "cachedContent cannot be translated to another provider");
		return -1;
	}
	if (decode_system(&q, jget(d, 0, "systemInstruction", "system_instruction")) < 0 ||
	    decode_contents(&q, jget(d, 0, "contents", NULL)) < 0 ||
	    decode_tools(&q, jget(d, 0, "tools", NULL)) < 0 ||
	    decode_tool_config(&q, jget(d, 0, "toolConfig", "tool_config")) < 0 ||
	    decode_gen_config(&q, jget(d, 0, "generationConfig", "generation_config")) < 0) {
		if (err && errlen && !err[0])
			fail(err, errlen, "too many content parts");
		return -1;
	}
	return 0;
}

/* ---- request encoding ---- */

/* Writes "contents" as runs of same-role parts. */
struct cw {
	struct json_out *o;
	int role;		/* -1 none open, 0 user, 1 model */
	int np;			/* parts in the open content */
	int n;			/* contents written */
	int fc_signed;		/* the open model content's first functionCall is handled */
};

static void cw_part(struct cw *w, int role)
{
	if (w->role != role) {
		if (w->role >= 0)
			json_lit(w->o, "]}");
		json_lit(w->o, w->n++ ? ",{" : "{");
		json_lit(w->o, role ? "\"role\":\"model\",\"parts\":[" : "\"role\":\"user\",\"parts\":[");
		w->role = role;
		w->np = 0;
		w->fc_signed = 0;
	}
	if (w->np++)
		json_lit(w->o, ",");
}

static void put_sig(struct json_out *o, const struct ir_str *sig)
{
	json_lit(o, ",\"thoughtSignature\":");
	ir_write_string(o, sig);
}

static void write_image(struct json_out *o, const struct ir_part *p)
{
	if (p->is_url) {
		json_lit(o, "{\"fileData\":{");
		if (p->a.p) {
			json_lit(o, "\"mimeType\":");
			ir_write_string(o, &p->a);
			json_lit(o, ",");
		}
		json_lit(o, "\"fileUri\":");
		ir_write_string(o, &p->b);
		json_lit(o, "}");
	} else {
		json_lit(o, "{\"inlineData\":{\"mimeType\":");
		ir_write_string(o, &p->a);
		json_lit(o, ",\"data\":");
		ir_write_string(o, &p->b);
		json_lit(o, "}");
	}
}

/* Whether the unescaped text of s is a JSON object. */
static int is_json_object(const struct ir_str *s, char *tmp, size_t tmplen)
{
	if (!s->p)
		return 0;
	const char *t = s->p;
	size_t n = s->n;
	if (s->kind == IR_RAW) {
		struct json_out o;
		json_out_init(&o, tmp, tmplen);
		ir_write_unescaped(&o, s);
		if (o.overflow)
			return -1;
		t = tmp;
		n = o.len;
	}
	size_t i = 0;
	while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i < n && t[i] == '{' && json_valid(t, n) == 0;
}

static int write_tool_result(const struct ir_request *ir, unsigned idx, struct cw *w, char *err, size_t errlen)
{
	const struct ir_part *p = &ir->parts[idx];
	struct json_out *o = w->o;
	struct ir_str name = p->b;
	if (!name.p) {
		for (unsigned i = idx; i-- > 0;)
			if (ir->parts[i].kind == IR_TOOL_CALL && str_same(&ir->parts[i].a, &p->a)) {
				name = ir->parts[i].b;
				break;
			}
	}
	if (!name.p) {
		char id[80];
		struct json_out io;
		json_out_init(&io, id, sizeof id - 1);
		ir_write_unescaped(&io, &p->a);
		id[io.len] = 0;
		fail(err, errlen, "tool result for call %s has no function name", p->a.p ? id : "(no id)");
		return -1;
	}
	cw_part(w, 0);
	json_lit(o, "{\"functionResponse\":{\"name\":");
	ir_write_string(o, &name);
	json_lit(o, ",\"response\":");
	const char *key = p->is_error ? "{\"error\":" : "{\"result\":";
	if (p->nsub == 0) {
		int obj = p->is_error ? 0 : p->text.kind == IR_JSON ? (p->text.p && p->text.p[0] == '{')
									 : is_json_object(&p->text, o->buf + o->len, o->cap - o->len);
		if (obj > 0) {
			ir_write_value(o, &p->text);
		} else if (p->text.kind == IR_JSON && p->text.p) {
			json_lit(o, key);
			json_raw_append(o, p->text.p, p->text.n);
			json_lit(o, "}");
		} else {
			json_lit(o, key);
			ir_write_string(o, &p->text);
			json_lit(o, "}");
		}
	} else {
		/* The text sub-parts joined into one string. */
		json_lit(o, key);
		json_lit(o, "\"");
		for (unsigned k = 1; k <= p->nsub && idx + k < ir->nparts; k++)
			if (ir->parts[idx + k].kind == IR_TEXT)
				put_content(o, &ir->parts[idx + k].text);
		json_lit(o, "\"}");
	}
	json_lit(o, "}}");
	for (unsigned k = 1; k <= p->nsub && idx + k < ir->nparts; k++)
		if (ir->parts[idx + k].kind == IR_IMAGE) {
			cw_part(w, 0);
			write_image(o, &ir->parts[idx + k]);
			json_lit(o, "}");
		}
	return 0;
}

static int write_contents(const struct ir_request *ir, struct json_out *o, char *err, size_t errlen)
{
	struct cw w = { o, -1, 0, 0, 0 };
	json_lit(o, "\"contents\":[");
	for (unsigned m = 0; m < ir->nmsgs; m++) {
		const struct ir_msg *msg = &ir->msgs[m];
		int role = msg->role == IR_ASSISTANT;
		struct ir_str pend = { NULL, 0, IR_RAW };	/* a signature waiting for its part */
		for (unsigned k = 0; k < msg->n; k++) {
			unsigned idx = msg->first + k;
			if (idx >= ir->nparts)
				break;
			const struct ir_part *p = &ir->parts[idx];
			struct ir_str sig = p->sig.p ? p->sig : pend;
			switch (p->kind) {
			case IR_TEXT:
				if (msg->role == IR_TOOL)
					break;	/* a tool result's sub-part */
				cw_part(&w, role);
				json_lit(o, "{\"text\":");
				ir_write_string(o, &p->text);
				if (sig.p)
					put_sig(o, &sig);
				json_lit(o, "}");
				pend.p = NULL;
				break;
			case IR_IMAGE:
				if (msg->role == IR_TOOL)
					break;
				cw_part(&w, role);
				write_image(o, p);
				if (sig.p)
					put_sig(o, &sig);
				json_lit(o, "}");
				pend.p = NULL;
				break;
			case IR_THINKING:
				if (p->text.p && p->text.n > 0) {
					if (!p->sig.p)
						break;	/* unsigned thought text: Gemini reads nothing from it */
					cw_part(&w, role);
					json_lit(o, "{\"text\":");
					ir_write_string(o, &p->text);
					json_lit(o, ",\"thought\":true");
					put_sig(o, &p->sig);
					json_lit(o, "}");
				} else if (p->sig.p) {
					pend = p->sig;
				}
				break;
			case IR_TOOL_CALL:
				if (!role) {
					fail(err, errlen, "a tool call must be in an assistant message");
					return -1;
				}
				cw_part(&w, 1);
				if (!sig.p && !w.fc_signed)
					sig = (struct ir_str){ sig_placeholder, sizeof sig_placeholder - 1, IR_PLAIN };
				w.fc_signed = 1;
				json_lit(o, "{\"functionCall\":{\"name\":");
				ir_write_string(o, &p->b);
				json_lit(o, ",\"args\":");
				if (ir_write_value(o, &p->args) < 0) {
					fail(err, errlen, "the arguments of tool call %.*s are not valid JSON",
					     (int)(p->b.n > 64 ? 64 : p->b.n), p->b.p ? p->b.p : "");
					return -1;
				}
				json_lit(o, "}");
				if (sig.p)
					put_sig(o, &sig);
				json_lit(o, "}");
				pend.p = NULL;
				break;
			case IR_TOOL_RESULT:
				if (write_tool_result(ir, idx, &w, err, errlen) < 0)
					return -1;
				break;
			}
		}
	}
	if (w.role >= 0)
		json_lit(o, "]}");
	json_lit(o, "]");
	if (w.n == 0) {
		fail(err, errlen, "no messages to send");
		return -1;
	}
	return 0;
}

static int gem_encode_request(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen)
{
	(void)model;		/* it goes in the URL (request_path) */
	json_lit(o, "{");
	if (write_contents(ir, o, err, errlen) < 0)
		return -1;
	if (ir->sys_n) {
		json_lit(o, ",\"systemInstruction\":{\"parts\":[");
		for (unsigned k = 0; k < ir->sys_n && ir->sys_first + k < ir->nparts; k++) {
			json_lit(o, k ? ",{\"text\":" : "{\"text\":");
			ir_write_string(o, &ir->parts[ir->sys_first + k].text);
			json_lit(o, "}");
		}
		json_lit(o, "]}");
	}
	if (ir->ntools) {
		json_lit(o, ",\"tools\":[{\"functionDeclarations\":[");
		for (unsigned t = 0; t < ir->ntools; t++) {
			const struct ir_tool *tl = &ir->tools[t];
			json_lit(o, t ? ",{\"name\":" : "{\"name\":");
			ir_write_string(o, &tl->name);
			if (tl->description.p) {
				json_lit(o, ",\"description\":");
				ir_write_string(o, &tl->description);
			}
			if (tl->parameters.p) {
				json_lit(o, ",\"parametersJsonSchema\":");
				if (ir_write_value(o, &tl->parameters) < 0) {
					fail(err, errlen, "the parameters of a tool are not valid JSON");
					return -1;
				}
			}
			json_lit(o, "}");
		}
		json_lit(o, "]}]");
	}
	if (ir->tool_choice != IR_TC_UNSET) {
		static const char *const modes[] = {
			[IR_TC_AUTO] = "AUTO", [IR_TC_NONE] = "NONE", [IR_TC_REQUIRED] = "ANY", [IR_TC_TOOL] = "ANY",
		};
		if (ir->tool_choice > IR_TC_TOOL) {
			fail(err, errlen, "unknown tool_choice");
			return -1;
		}
		json_lit(o, ",\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"");
		json_lit(o, modes[ir->tool_choice]);
		json_lit(o, "\"");
		if (ir->tool_choice == IR_TC_TOOL) {
			json_lit(o, ",\"allowedFunctionNames\":[");
			ir_write_string(o, &ir->tool_choice_name);
			json_lit(o, "]");
		}
		json_lit(o, "}}");
	}
	/* generationConfig: written only when something goes in it. */
	size_t gstart = o->len;
	int ng = 0;
	json_lit(o, ",\"generationConfig\":{");
#define GKEY(k) json_lit(o, ng++ ? ",\"" k "\":" : "\"" k "\":")
	const struct { const char *key; const struct ir_str *v; } nums[] = {
		{ "temperature", &ir->temperature }, { "topP", &ir->top_p }, { "topK", &ir->top_k },
	};
	for (size_t k = 0; k < 3; k++) {
		if (!nums[k].v->p)
			continue;
		json_lit(o, ng++ ? ",\"" : "\"");
		json_lit(o, nums[k].key);
		json_lit(o, "\":");
		if (ir_write_value(o, nums[k].v) < 0) {
			fail(err, errlen, "%s is not a number", nums[k].key);
			return -1;
		}
	}
	if (ir->max_tokens >= 0) {
		GKEY("maxOutputTokens");
		json_i64(o, ir->max_tokens);
	}
	if (ir->nstop) {
		GKEY("stopSequences");
		json_lit(o, "[");
		for (unsigned k = 0; k < ir->nstop; k++) {
			if (k)
				json_lit(o, ",");
			ir_write_string(o, &ir->stop[k]);
		}
		json_lit(o, "]");
	}
	if (ir->seed >= 0) {
		GKEY("seed");
		json_i64(o, ir->seed);
	}
	if (ir->format == IR_FMT_JSON_OBJECT || ir->format == IR_FMT_JSON_SCHEMA) {
		GKEY("responseMimeType");
		json_lit(o, "\"application/json\"");
		if (ir->format == IR_FMT_JSON_SCHEMA && ir->schema.p) {
			GKEY("responseJsonSchema");
			if (ir_write_value(o, &ir->schema) < 0) {
				fail(err, errlen, "the response schema is not valid JSON");
				return -1;
			}
		}
	}
	int64_t budget = ir->thinking_budget;
	int include = budget > 0;
	if (budget < 0 && ir->reasoning.p) {
		if (ir_str_eq(&ir->reasoning, "low"))
			budget = 1024;
		else if (ir_str_eq(&ir->reasoning, "medium"))
			budget = 8192;
		else if (ir_str_eq(&ir->reasoning, "high"))
			budget = 24576;
	}
	if (budget >= 0) {
		GKEY("thinkingConfig");
		json_lit(o, "{\"thinkingBudget\":");
		json_i64(o, budget);
		if (include)
			json_lit(o, ",\"includeThoughts\":true");
		json_lit(o, "}");
	}
#undef GKEY
	if (ng)
		json_lit(o, "}");
	else if (!o->overflow)
		o->len = gstart;
	json_lit(o, "}");
	return 0;
}

static int gem_request_path(const char *model, int stream, char *buf, size_t len)
{
	if (!model || !*model)
		return -1;
	for (const char *c = model; *c; c++)
		if (*c == '?' || *c == '#' || *c == ' ' || (unsigned char)*c < 0x21 || *c == 0x7f)
			return -1;
	int n = fmt_snprintf(buf, len, "/v1beta/models/%s:%s", model,
			 stream ? "streamGenerateContent?alt=sse" : "generateContent");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ---- response decoding ---- */

static int gem_decode_response(const struct json_doc *d, struct ir_response *r, char *err, size_t errlen)
{
	r->nparts = 0;
	r->finish = IR_FIN_NONE;
	if (d->ntok < 1 || !json_is_object(d, 0)) {
		fail(err, errlen, "the response is not a JSON object");
		return -1;
	}
	r->id = ir_tok_str(d, json_is_string(d, jget(d, 0, "responseId", "response_id")) ? jget(d, 0, "responseId", "response_id") : -1);
	r->model = ir_tok_str(d, json_is_string(d, jget(d, 0, "modelVersion", "model_version")) ? jget(d, 0, "modelVersion", "model_version") : -1);
	usage_of(d, jget(d, 0, "usageMetadata", "usage_metadata"), &r->usage);
	int cands = jget(d, 0, "candidates", NULL);
	int cand = json_is_array(d, cands) ? json_index(d, cands, 0) : -1;
	if (cand < 0) {
		int pf = jget(d, 0, "promptFeedback", "prompt_feedback");
		if (jget(d, pf, "blockReason", "block_reason") >= 0) {
			r->finish = IR_FIN_CONTENT_FILTER;
			return 0;
		}
		fail(err, errlen, "the response has no candidates");
		return -1;
	}
	if (!json_is_object(d, cand)) {
		fail(err, errlen, "a candidate is not an object");
		return -1;
	}
	int content = jget(d, cand, "content", NULL);
	int parts = jget(d, content, "parts", NULL);
	unsigned ncalls = 0;
	for (int k = 0; json_is_array(d, parts) && k < d->tok[parts].size; k++) {
		int pt = json_index(d, parts, k);
		int text = jget(d, pt, "text", NULL);
		int fc = jget(d, pt, "functionCall", "function_call");
		int sig = jget(d, pt, "thoughtSignature", "thought_signature");
		int thought = json_is_true(d, jget(d, pt, "thought", NULL));
		if (!json_is_string(d, text) && !json_is_object(d, fc) && !json_is_string(d, sig))
			continue;	/* inlineData, executableCode, ...: dropped */
		if (r->nparts + 2 > IR_MAX_PARTS || (json_is_object(d, fc) && ncalls >= IR_MAX_CALLS)) {
			fail(err, errlen, "too many parts in the response");
			return -1;
		}
		if (json_is_string(d, sig) && !(thought && json_is_string(d, text))) {
			struct ir_part *s = &r->parts[r->nparts++];
			memset(s, 0, sizeof *s);
			s->kind = IR_THINKING;
			s->text = (struct ir_str){ "", 0, IR_RAW };
			s->sig = ir_tok_str(d, sig);
		}
		struct ir_part *p = &r->parts[r->nparts];
		memset(p, 0, sizeof *p);
		if (json_is_object(d, fc)) {
			int name = jget(d, fc, "name", NULL);
			int args = jget(d, fc, "args", NULL);
			int id = jget(d, fc, "id", NULL);
			if (!json_is_string(d, name)) {
				fail(err, errlen, "a functionCall has no name");
				return -1;
			}
			p->kind = IR_TOOL_CALL;
			p->b = ir_tok_str(d, name);
			p->args = json_is_object(d, args) ? ir_tok_str(d, args) : (struct ir_str){ "{}", 2, IR_JSON };
			p->a = json_is_string(d, id) && json_raw_len(d, id) ? ir_tok_str(d, id) : made_id(ncalls);
			ncalls++;
			r->nparts++;
		} else if (json_is_string(d, text)) {
			p->kind = thought ? IR_THINKING : IR_TEXT;
			p->text = ir_tok_str(d, text);
			if (thought)
				p->sig = ir_tok_str(d, json_is_string(d, sig) ? sig : -1);
			r->nparts++;
		}
	}
	r->finish = finish_of(d, jget(d, cand, "finishReason", "finish_reason"));
	if (ncalls && (r->finish == IR_FIN_STOP || r->finish == IR_FIN_NONE))
		r->finish = IR_FIN_TOOL_CALLS;
	return 0;
}

/* ---- response encoding ---- */

static void write_model_ref(struct json_out *o, const char *model, const struct ir_str *id)
{
	json_lit(o, ",\"modelVersion\":");
	json_cstr(o, model ? model : "");
	if (id->p && id->n) {
		json_lit(o, ",\"responseId\":");
		ir_write_string(o, id);
	}
}

/* One functionCall part; -1 (nothing written) when the arguments are not
 * valid JSON. */
static int write_call(struct json_out *o, const struct ir_str *id, const struct ir_str *name,
		      const struct ir_str *args, const struct ir_str *sig)
{
	size_t st = o->len;
	json_lit(o, "{\"functionCall\":{");
	if (id->p && id->n) {
		json_lit(o, "\"id\":");
		ir_write_string(o, id);
		json_lit(o, ",");
	}
	json_lit(o, "\"name\":");
	ir_write_string(o, name);
	json_lit(o, ",\"args\":");
	if (ir_write_value(o, args) < 0) {
		if (!o->overflow)
			o->len = st;
		return -1;
	}
	json_lit(o, "}");
	if (sig && sig->p)
		put_sig(o, sig);
	json_lit(o, "}");
	return 0;
}

static void gem_encode_response(const struct ir_response *r, const char *model, struct json_out *o)
{
	int np = 0, malformed = 0;
	struct ir_str pend = { NULL, 0, IR_RAW };
	json_lit(o, "{\"candidates\":[{\"content\":{\"parts\":[");
	for (unsigned k = 0; k < r->nparts; k++) {
		const struct ir_part *p = &r->parts[k];
		struct ir_str sig = p->sig.p ? p->sig : pend;
		size_t st = o->len;
		if (np)
			json_lit(o, ",");
		switch (p->kind) {
		case IR_TEXT:
			json_lit(o, "{\"text\":");
			ir_write_string(o, &p->text);
			if (sig.p)
				put_sig(o, &sig);
			json_lit(o, "}");
			break;
		case IR_THINKING:
			if (!p->text.p || p->text.n == 0) {
				if (p->sig.p && k + 1 < r->nparts) {
					pend = p->sig;	/* rides on the next part */
					o->len = st;
					continue;
				}
				if (!p->sig.p) {
					o->len = st;
					continue;
				}
			}
			json_lit(o, "{\"text\":");
			ir_write_string(o, &p->text);
			json_lit(o, ",\"thought\":true");
			if (p->sig.p)
				put_sig(o, &p->sig);
			json_lit(o, "}");
			break;
		case IR_TOOL_CALL:
			if (write_call(o, &p->a, &p->b, &p->args, sig.p ? &sig : NULL) < 0) {
				malformed = 1;
				o->len = st;
				pend.p = NULL;
				continue;
			}
			break;
		default:
			o->len = st;
			continue;
		}
		np++;
		pend.p = NULL;
	}
	json_lit(o, "],\"role\":\"model\"}");
	if (malformed) {
		json_lit(o, ",\"finishReason\":\"MALFORMED_FUNCTION_CALL\"");
	} else if (r->finish != IR_FIN_NONE) {
		json_lit(o, ",\"finishReason\":\"");
		json_lit(o, finish_name(r->finish));
		json_lit(o, "\"");
	}
	json_lit(o, ",\"index\":0}]");
	if (r->usage.have) {
		json_lit(o, ",");
		write_usage(o, &r->usage);
	}
	write_model_ref(o, model, &r->id);
	json_lit(o, "}");
}

/* ---- errors ---- */

static const struct { const char *name; uint8_t cls; } gstatus[] = {
	{ "INVALID_ARGUMENT", IR_ERR_INVALID }, { "FAILED_PRECONDITION", IR_ERR_INVALID },
	{ "OUT_OF_RANGE", IR_ERR_INVALID }, { "UNAUTHENTICATED", IR_ERR_AUTH },
	{ "PERMISSION_DENIED", IR_ERR_PERMISSION }, { "NOT_FOUND", IR_ERR_NOT_FOUND },
	{ "RESOURCE_EXHAUSTED", IR_ERR_RATE_LIMIT }, { "INTERNAL", IR_ERR_SERVER },
	{ "UNKNOWN", IR_ERR_SERVER }, { "DATA_LOSS", IR_ERR_SERVER },
	{ "UNAVAILABLE", IR_ERR_OVERLOADED }, { "DEADLINE_EXCEEDED", IR_ERR_TIMEOUT },
};

static const char *status_of_class(uint8_t cls)
{
	switch (cls) {
	case IR_ERR_AUTH: return "UNAUTHENTICATED";
	case IR_ERR_BILLING: return "FAILED_PRECONDITION";
	case IR_ERR_PERMISSION: return "PERMISSION_DENIED";
	case IR_ERR_NOT_FOUND: return "NOT_FOUND";
	case IR_ERR_RATE_LIMIT: return "RESOURCE_EXHAUSTED";
	case IR_ERR_SERVER: return "INTERNAL";
	case IR_ERR_OVERLOADED: return "UNAVAILABLE";
	case IR_ERR_TIMEOUT: return "DEADLINE_EXCEEDED";
	}
	return "INVALID_ARGUMENT";
}

static int key_invalid(const struct json_doc *d, int eobj, int msg)
{
	int det = jget(d, eobj, "details", NULL);
	for (int k = 0; json_is_array(d, det) && k < d->tok[det].size; k++)
		if (json_str_eq(d, jget(d, json_index(d, det, k), "reason", NULL), "API_KEY_INVALID"))
			return 1;
	if (json_is_string(d, msg)) {
		const char *m = json_raw(d, msg);
		size_t n = json_raw_len(d, msg);
		static const char needle[] = "API key not valid";
		for (size_t i = 0; i + sizeof needle - 1 <= n; i++)
			if (memcmp(m + i, needle, sizeof needle - 1) == 0)
				return 1;
	}
	return 0;
}

/* Fills e from the "error" object eobj (or nothing) and the HTTP status. */
static void error_of(const struct json_doc *d, int eobj, int status, struct ir_error *e)
{
	memset(e, 0, sizeof *e);
	int code = jget(d, eobj, "code", NULL);
	int msg = jget(d, eobj, "message", NULL);
	int st = jget(d, eobj, "status", NULL);
	int64_t c = 0;
	if (status < 400 || status > 599) {
		if (code >= 0 && json_get_i64(d, code, &c) == 0 && c >= 400 && c <= 599)
			status = (int)c;
		else
			status = 0;
	}
	if (status) {
		e->cls = ir_err_class_of_status(status);
	} else {
		e->cls = IR_ERR_SERVER;
		for (size_t k = 0; json_is_string(d, st) && k < sizeof gstatus / sizeof gstatus[0]; k++)
			if (json_str_eq(d, st, gstatus[k].name))
				e->cls = gstatus[k].cls;
		status = ir_err_status(e->cls);
	}
	e->status = status;
	if (eobj >= 0 && (e->cls == IR_ERR_INVALID || e->cls == IR_ERR_PERMISSION) && key_invalid(d, eobj, msg)) {
		e->cls = IR_ERR_AUTH;
		e->status = 401;
	}
	if (json_is_string(d, st))
		e->type = ir_tok_str(d, st);
	if (json_is_string(d, msg))
		e->message = ir_tok_str(d, msg);
}

static void gem_decode_error(const struct json_doc *d, int status, struct ir_error *e)
{
	int eobj = -1;
	if (d && d->ntok > 0) {
		int root = 0;
		if (json_is_array(d, 0))
			root = json_index(d, 0, 0);
		eobj = jget(d, root, "error", NULL);
		if (!json_is_object(d, eobj))
			eobj = -1;
	}
	if (eobj < 0) {
		memset(e, 0, sizeof *e);
		e->cls = ir_err_class_of_status(status);
		e->status = status >= 400 && status <= 599 ? status : ir_err_status(e->cls);
		return;
	}
	error_of(d, eobj, status, e);
}

static void write_error(const struct ir_error *e, struct json_out *o)
{
	const char *st = status_of_class(e->cls);
	for (size_t k = 0; e->type.p && k < sizeof gstatus / sizeof gstatus[0]; k++)
		if (gstatus[k].cls == e->cls && ir_str_eq(&e->type, gstatus[k].name))
			st = gstatus[k].name;
	int code = e->cls == IR_ERR_OVERLOADED ? 503 : e->status >= 400 && e->status <= 599 ? e->status : ir_err_status(e->cls);
	json_lit(o, "{\"error\":{\"code\":");
	json_i64(o, code);
	json_lit(o, ",\"message\":");
	if (e->message.p)
		ir_write_string(o, &e->message);
	else
		json_cstr(o, e->cls == IR_ERR_RATE_LIMIT ? "Resource has been exhausted (e.g. check quota)."
			     : e->cls == IR_ERR_OVERLOADED ? "The model is overloaded. Please try again later."
			     : "The request failed.");
	json_lit(o, ",\"status\":\"");
	json_lit(o, st);
	json_lit(o, "\"}}");
}

static void gem_encode_error(const struct ir_error *e, struct json_out *o)
{
	write_error(e, o);
}

/* ---- stream decoding (Gemini provider) ---- */

struct gem_dec {
	uint8_t started, saw_call, finished;
	uint16_t ncalls;
	char id[48];
};
_Static_assert(sizeof(struct gem_dec) <= sizeof(((struct xlate_stream *)0)->dec), "gem_dec too large");

static int gem_decode_event(struct xlate_stream *s, const struct sse_event *sev)
{
	struct gem_dec *g = (struct gem_dec *)s->dec;
	struct json_doc doc, *d = &doc;
	struct ir_event ev;
	if (sev->data_lines == 0)
		return 0;	/* comment or keep-alive */
	if (sev->data_lines != 1 || !sev->data)
		return -1;
	if (json_parse(d, sev->data, sev->data_len, s->tok, s->maxtok) < 1 || !json_is_object(d, 0))
		return -1;
	int eobj = jget(d, 0, "error", NULL);
	if (eobj >= 0) {
		memset(&ev, 0, sizeof ev);
		ev.kind = EV_ERROR;
		if (json_is_object(d, eobj))
			error_of(d, eobj, 0, &ev.error);
		else {
			ev.error.cls = IR_ERR_SERVER;
			ev.error.status = 500;
		}
		xlate_emit(s, &ev);
		return 0;
	}
	if (!g->started) {
		g->started = 1;
		memset(&ev, 0, sizeof ev);
		ev.kind = EV_START;
		int id = jget(d, 0, "responseId", "response_id");
		int mv = jget(d, 0, "modelVersion", "model_version");
		ev.id = ir_tok_str(d, json_is_string(d, id) ? id : -1);
		ev.name = ir_tok_str(d, json_is_string(d, mv) ? mv : -1);
		xlate_emit(s, &ev);
	}
	int cands = jget(d, 0, "candidates", NULL);
	int cand = json_is_array(d, cands) ? json_index(d, cands, 0) : -1;
	int parts = jget(d, jget(d, cand, "content", NULL), "parts", NULL);
	for (int k = 0; json_is_array(d, parts) && k < d->tok[parts].size; k++) {
		int pt = json_index(d, parts, k);
		int text = jget(d, pt, "text", NULL);
		int fc = jget(d, pt, "functionCall", "function_call");
		int sig = jget(d, pt, "thoughtSignature", "thought_signature");
		int thought = json_is_true(d, jget(d, pt, "thought", NULL));
		if (json_is_string(d, sig) && !(thought && json_is_string(d, text))) {
			memset(&ev, 0, sizeof ev);
			ev.kind = EV_THINKING;
			ev.text = (struct ir_str){ "", 0, IR_RAW };
			ev.sig = ir_tok_str(d, sig);
			xlate_emit(s, &ev);
		}
		if (json_is_object(d, fc)) {
			int name = jget(d, fc, "name", NULL);
			int args = jget(d, fc, "args", NULL);
			int id = jget(d, fc, "id", NULL);
			if (!json_is_string(d, name) || g->ncalls >= IR_MAX_CALLS)
				return -1;
			memset(&ev, 0, sizeof ev);
			ev.kind = EV_TOOL_START;
			ev.index = g->ncalls;
			ev.name = ir_tok_str(d, name);
			if (json_is_string(d, id) && json_raw_len(d, id)) {
				ev.id = ir_tok_str(d, id);
			} else {
				int n = fmt_snprintf(g->id, sizeof g->id, "call_%llu_%u", s->serial, (unsigned)g->ncalls);
				ev.id = ir_plain(g->id, (uint32_t)n);
			}
			xlate_emit(s, &ev);
			memset(&ev, 0, sizeof ev);
			ev.kind = EV_TOOL_ARGS;
			ev.index = g->ncalls;
			ev.text = json_is_object(d, args) ? ir_tok_str(d, args) : (struct ir_str){ "{}", 2, IR_JSON };
			xlate_emit(s, &ev);
			g->ncalls++;
			g->saw_call = 1;
		} else if (json_is_string(d, text) && json_raw_len(d, text) > 0) {
			memset(&ev, 0, sizeof ev);
			ev.kind = thought ? EV_THINKING : EV_TEXT;
			ev.text = ir_tok_str(d, text);
			if (thought)
				ev.sig = ir_tok_str(d, json_is_string(d, sig) ? sig : -1);
			xlate_emit(s, &ev);
		}
	}
	int fr = jget(d, cand, "finishReason", "finish_reason");
	int now_finished = 0;
	if (!g->finished && json_is_string(d, fr)) {
		now_finished = 1;
	} else if (!g->finished && cand < 0) {
		int pf = jget(d, 0, "promptFeedback", "prompt_feedback");
		if (jget(d, pf, "blockReason", "block_reason") >= 0)
			now_finished = 2;
	}
	if (now_finished) {
		g->finished = 1;
		memset(&ev, 0, sizeof ev);
		ev.kind = EV_FINISH;
		ev.finish = now_finished == 2 ? IR_FIN_CONTENT_FILTER : finish_of(d, fr);
		if (g->saw_call && ev.finish == IR_FIN_STOP)
			ev.finish = IR_FIN_TOOL_CALLS;
		xlate_emit(s, &ev);
	}
	int um = jget(d, 0, "usageMetadata", "usage_metadata");
	if (g->finished && json_is_object(d, um)) {
		memset(&ev, 0, sizeof ev);
		ev.kind = EV_USAGE;
		usage_of(d, um, &ev.usage);
		xlate_emit(s, &ev);
	}
	return 0;
}

/* ---- stream encoding (Gemini client) ---- */

struct gem_enc {
	uint32_t nchunks;	/* chunks (array elements) written */
	uint8_t call_open, call_kind, malformed, done;
	uint16_t call_index;
	uint32_t id_len, name_len, args_len;	/* in s->scratch, one after the other */
	uint8_t scratch_full;
	uint16_t rid_len;
	char rid[400];		/* responseId, escaped */
};
_Static_assert(sizeof(struct gem_enc) <= sizeof(((struct xlate_stream *)0)->enc), "gem_enc too large");

static void chunk_begin(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	if (s->sse)
		json_lit(o, "data: ");
	else
		json_lit(o, e->nchunks ? ",\r\n" : "[");
	e->nchunks++;
}

static void chunk_end(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	json_lit(o, ",\"modelVersion\":");
	json_cstr(o, s->model ? s->model : "");
	if (e->rid_len) {
		json_lit(o, ",\"responseId\":\"");
		json_raw_append(o, e->rid, e->rid_len);
		json_lit(o, "\"");
	}
	json_lit(o, "}");
	if (s->sse)
		json_lit(o, "\r\n\r\n");
}

static void parts_open(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	chunk_begin(s, e, o);
	json_lit(o, "{\"candidates\":[{\"content\":{\"parts\":[");
}

static void parts_close(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	json_lit(o, "],\"role\":\"model\"},\"index\":0}]");
	chunk_end(s, e, o);
}

/* Appends s's escaped content to the scratch; the length, or -1. */
static long scratch_put(struct xlate_stream *s, size_t at, const struct ir_str *v, int as_content)
{
	struct json_out so;
	if (at > s->scratch_cap)
		return -1;
	json_out_init(&so, s->scratch + at, s->scratch_cap - at);
	if (as_content)
		put_content(&so, v);
	else if (v->p)
		json_raw_append(&so, v->p, v->n);
	return so.overflow ? -1 : (long)so.len;
}

/* Sends the open tool call, whole. */
static void flush_call(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	if (!e->call_open)
		return;
	e->call_open = 0;
	const char *base = s->scratch;
	struct ir_str id = { base, e->id_len, IR_RAW };
	struct ir_str name = { base + e->id_len, e->name_len, IR_RAW };
	struct ir_str args = { base + e->id_len + e->name_len, e->args_len, e->call_kind };
	if (e->scratch_full || (args.kind != IR_RAW && !blank(args.p, args.n) && json_valid(args.p, args.n) != 0)) {
		e->malformed = 1;
		return;
	}
	if (args.kind != IR_RAW && blank(args.p, args.n))
		args.n = 0;
	size_t st = o->len;
	uint32_t nc = e->nchunks;
	parts_open(s, e, o);
	if (write_call(o, &id, &name, &args, NULL) < 0) {
		if (!o->overflow)
			o->len = st;
		e->nchunks = nc;
		e->malformed = 1;
		return;
	}
	parts_close(s, e, o);
}

static void gem_encode_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	struct gem_enc *e = (struct gem_enc *)s->enc;
	if (e->done)
		return;
	switch (ev->kind) {
	case EV_START:
		if (ev->id.p) {
			struct json_out ro;
			json_out_init(&ro, e->rid, sizeof e->rid);
			put_content(&ro, &ev->id);
			e->rid_len = ro.overflow ? 0 : (uint16_t)ro.len;
		}
		break;
	case EV_TEXT:
		flush_call(s, e, o);
		if (!ev->text.p || ev->text.n == 0)
			break;
		parts_open(s, e, o);
		json_lit(o, "{\"text\":");
		ir_write_string(o, &ev->text);
		json_lit(o, "}");
		parts_close(s, e, o);
		break;
	case EV_THINKING:
		flush_call(s, e, o);
		if ((!ev->text.p || ev->text.n == 0) && !ev->sig.p)
			break;
		parts_open(s, e, o);
		json_lit(o, "{\"text\":");
		ir_write_string(o, &ev->text);
		json_lit(o, ",\"thought\":true");
		if (ev->sig.p)
			put_sig(o, &ev->sig);
		json_lit(o, "}");
		parts_close(s, e, o);
		break;
	case EV_TOOL_START: {
		flush_call(s, e, o);
		long a = scratch_put(s, 0, &ev->id, 1);
		long b = a < 0 ? -1 : scratch_put(s, (size_t)a, &ev->name, 1);
		e->call_open = 1;
		e->call_index = ev->index;
		e->call_kind = IR_RAW;
		e->scratch_full = b < 0;
		e->id_len = a < 0 ? 0 : (uint32_t)a;
		e->name_len = b < 0 ? 0 : (uint32_t)b;
		e->args_len = 0;
		break;
	}
	case EV_TOOL_ARGS: {
		if (!e->call_open || ev->index != e->call_index || e->scratch_full || !ev->text.p)
			break;
		if (e->args_len == 0)
			e->call_kind = ev->text.kind == IR_RAW ? IR_RAW : IR_JSON;
		long n = scratch_put(s, (size_t)e->id_len + e->name_len + e->args_len, &ev->text, 0);
		if (n < 0)
			e->scratch_full = 1;
		else
			e->args_len += (uint32_t)n;
		break;
	}
	case EV_FINISH:
	case EV_USAGE:
		flush_call(s, e, o);	/* the final chunk waits for EV_END, to carry the usage */
		break;
	case EV_END:
		flush_call(s, e, o);
		chunk_begin(s, e, o);
		json_lit(o, "{\"candidates\":[{\"finishReason\":\"");
		json_lit(o, e->malformed ? "MALFORMED_FUNCTION_CALL" : finish_name(s->finish));
		json_lit(o, "\",\"index\":0}]");
		if (s->usage.have) {
			json_lit(o, ",");
			write_usage(o, &s->usage);
		}
		chunk_end(s, e, o);
		if (!s->sse)
			json_lit(o, "]");
		e->done = 1;
		break;
	case EV_ERROR:
		chunk_begin(s, e, o);
		write_error(&ev->error, o);
		if (s->sse)
			json_lit(o, "\r\n\r\n");
		else
			json_lit(o, "]");
		e->done = 1;
		break;
	}
}

static const char *gem_stream_type(const struct xlate_stream *s)
{
	return s->sse ? "text/event-stream" : "application/json";
}

static void gem_decode_usage(const struct json_doc *d, int obj, struct ir_usage *u)
{
	usage_of(d, obj, u);
}

const struct dialect_ops dialect_gemini = {
	.id = DIALECT_GEMINI,
	.name = "gemini",
	.decode_request = gem_decode_request,
	.encode_request = gem_encode_request,
	.request_path = gem_request_path,
	.decode_response = gem_decode_response,
	.encode_response = gem_encode_response,
	.decode_error = gem_decode_error,
	.encode_error = gem_encode_error,
	.decode_event = gem_decode_event,
	.encode_event = gem_encode_event,
	.stream_type = gem_stream_type,
	.usage_key = "usageMetadata",
	.decode_usage = gem_decode_usage,
};
