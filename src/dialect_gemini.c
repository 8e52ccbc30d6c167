/*
 * dialect_gemini.c - the Google Gemini dialect (Generative Language API,
 * generateContent / streamGenerateContent) around the intermediate form.
 *
 * Decoders point IR strings into the JSON text they read; encoders write
 * straight into the caller's bounded json_out. Per-stream state lives in
 * the xlate_stream's dec/enc areas (struct gem_dec / struct gem_enc) and,
 * for a streamed tool call whose arguments arrive in pieces, in
 * s->scratch. Nothing here allocates or blocks or keeps state between
 * calls; made-up call ids live in the IR's own storage (ir_call_id_make).
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
 *  - a member read that is not of its API type (top_types, gen_types, ...;
 *    null is absent): a maxOutputTokens outside 0..2^31-1 or of 1e400, a
 *    toolConfig that is a string: refused, never read as absent.
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
 *
 * Shape: the keys a decoder reads together are a table indexed by an
 * enum and looked up in one jgets() call; value names (finish reasons,
 * Google status names, modes) are tables of name and meaning; refusal
 * messages are plain format strings where they arise; JSON is written
 * through the typed writer (struct jw), one key or value per call, the
 * stream's SSE or array framing by hand around each chunk object.
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include "fmt.h"
#include "dialect.h"

/* ---- helpers ---- */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Where a refusal's message goes. */
struct er {
	char *err;
	size_t errlen;
};

/* Writes the message; always -1, so callers can `return fail(...)`. */
static int fail(const struct er *e, const char *f, ...) __attribute__((format(printf, 2, 3)));
static int fail(const struct er *e, const char *f, ...)
{
	va_list ap;
	if (!e->err || !e->errlen)
		return -1;
	va_start(ap, f);
	fmt_vsnprintf(e->err, e->errlen, f, ap);
	va_end(ap);
	return -1;
}

/* Length of a token's raw text, cut to max (for messages). */
static int clip(const struct json_doc *d, int i, size_t max)
{
	size_t n = json_raw_len(d, i);
	return (int)(n > max ? max : n);
}

/* The top-level usage key, written, read and named in the dialect table. */
#define USAGE_KEY "usageMetadata"

/* Members read together, each list in the order its enum gives. Keys are
 * camelCase; jget() also finds the snake_case spellings. */
enum { TOP_CACHED, TOP_SYSTEM, TOP_CONTENTS, TOP_TOOLS, TOP_TOOL_CONFIG, TOP_GEN_CONFIG, TOP_N };
static const char *const top_keys[TOP_N] = {
	[TOP_CACHED] = "cachedContent", [TOP_SYSTEM] = "systemInstruction", [TOP_CONTENTS] = "contents",
	[TOP_TOOLS] = "tools", [TOP_TOOL_CONFIG] = "toolConfig", [TOP_GEN_CONFIG] = "generationConfig",
};
/* The JSON types of members read as one type (json_check_members; null
 * passes as absent), here and in the lists below. */
static const unsigned char top_types[TOP_N] = {
	[TOP_SYSTEM] = JT_STRING | JT_OBJECT, [TOP_CONTENTS] = JT_ARRAY, [TOP_TOOLS] = JT_ARRAY,
	[TOP_TOOL_CONFIG] = JT_OBJECT, [TOP_GEN_CONFIG] = JT_OBJECT,
};
enum { CT_ROLE, CT_PARTS, CT_N };
static const char *const content_keys[CT_N] = { [CT_ROLE] = "role", [CT_PARTS] = "parts" };
/* A part's members; a response part is read only as far as PT_RESPONSE. */
enum { PT_TEXT, PT_CALL, PT_SIG, PT_THOUGHT, PT_RESPONSE, PT_INLINE, PT_FILE, PT_N };
static const char *const part_keys[PT_N] = {
	[PT_TEXT] = "text", [PT_CALL] = "functionCall", [PT_SIG] = "thoughtSignature", [PT_THOUGHT] = "thought",
	[PT_RESPONSE] = "functionResponse", [PT_INLINE] = "inlineData", [PT_FILE] = "fileData",
};
enum { FC_NAME, FC_ARGS, FC_ID, FC_N };
static const char *const fc_keys[FC_N] = { [FC_NAME] = "name", [FC_ARGS] = "args", [FC_ID] = "id" };
enum { FR_NAME, FR_ID, FR_RESPONSE, FR_N };
static const char *const fr_keys[FR_N] = { [FR_NAME] = "name", [FR_ID] = "id", [FR_RESPONSE] = "response" };
enum { DECL_NAME, DECL_DESCRIPTION, DECL_SCHEMA, DECL_N };
static const char *const decl_keys[DECL_N] = {
	[DECL_NAME] = "name", [DECL_DESCRIPTION] = "description", [DECL_SCHEMA] = "parametersJsonSchema",
};
enum { TC_MODE, TC_ALLOWED, TC_N };
static const char *const tc_keys[TC_N] = { [TC_MODE] = "mode", [TC_ALLOWED] = "allowedFunctionNames" };
static const unsigned char tc_types[TC_N] = { [TC_MODE] = JT_STRING, [TC_ALLOWED] = JT_ARRAY };
/* generationConfig: the numbers first (kept as their JSON text), in the
 * order the encoder writes them. */
enum { GC_TEMP, GC_TOPP, GC_TOPK, GC_MAXTOK, GC_SEED, GC_CC, GC_STOP, GC_MIME, GC_SCHEMA, GC_THINK, GC_N };
static const char *const gen_keys[GC_N] = {
	[GC_TEMP] = "temperature", [GC_TOPP] = "topP", [GC_TOPK] = "topK", [GC_MAXTOK] = "maxOutputTokens",
	[GC_SEED] = "seed", [GC_CC] = "candidateCount", [GC_STOP] = "stopSequences",
	[GC_MIME] = "responseMimeType", [GC_SCHEMA] = "responseJsonSchema", [GC_THINK] = "thinkingConfig",
};
static const unsigned char gen_types[GC_N] = {
	[GC_TEMP] = JT_NUMBER, [GC_TOPP] = JT_NUMBER, [GC_TOPK] = JT_NUMBER, [GC_MAXTOK] = JT_COUNT,
	[GC_SEED] = JT_INT, [GC_CC] = JT_INT, [GC_STOP] = JT_ARRAY, [GC_MIME] = JT_STRING, [GC_THINK] = JT_OBJECT,
};
/* thinkingConfig; a budget of -1 asks for dynamic thinking. */
enum { TH_BUDGET, TH_LEVEL, TH_N };
static const char *const think_keys[TH_N] = { [TH_BUDGET] = "thinkingBudget", [TH_LEVEL] = "thinkingLevel" };
static const unsigned char think_types[TH_N] = { [TH_BUDGET] = JT_INT, [TH_LEVEL] = JT_STRING };
enum { ID_RESPONSE, ID_MODEL, ID_N };
static const char *const id_keys[ID_N] = { [ID_RESPONSE] = "responseId", [ID_MODEL] = "modelVersion" };
enum { ERR_CODE, ERR_MESSAGE, ERR_STATUS, ERR_N };
static const char *const err_keys[ERR_N] = { [ERR_CODE] = "code", [ERR_MESSAGE] = "message", [ERR_STATUS] = "status" };
/* usageMetadata, in the order the members are written. */
enum { U_PROMPT, U_CANDIDATES, U_TOTAL, U_CACHED, U_THOUGHTS, U_N };
static const char *const usage_keys[U_N] = {
	[U_PROMPT] = "promptTokenCount", [U_CANDIDATES] = "candidatesTokenCount", [U_TOTAL] = "totalTokenCount",
	[U_CACHED] = "cachedContentTokenCount", [U_THOUGHTS] = "thoughtsTokenCount",
};

/* Part kinds nothing else speaks: refused by name. */
static const char *const unsupported_parts[] = { "executableCode", "codeExecutionResult", "toolCall", "toolResponse" };
/* The keys a tools[] element may hold: both name one declaration list. */
static const char *const decl_lists[] = { "functionDeclarations", "function_declarations" };
/* functionResponse.response {"result": X} / {"output": X} / {"error": X}. */
enum { RES_RESULT, RES_OUTPUT, RES_ERROR, RES_N };
static const char *const result_keys[RES_N] = { [RES_RESULT] = "result", [RES_OUTPUT] = "output", [RES_ERROR] = "error" };

/* contents[].role: "function"/"tool" contents are read as user ones. */
static const struct {
	const char *name;
	uint8_t model;
} roles[] = { { "model", 1 }, { "user", 0 }, { "function", 0 }, { "tool", 0 } };

/* functionCallingConfig.mode; MODE_UNSPECIFIED leaves the choice unset. */
static const struct {
	const char *name;
	uint8_t choice;
} modes[] = {
	{ "AUTO", IR_TC_AUTO }, { "VALIDATED", IR_TC_AUTO }, { "NONE", IR_TC_NONE }, { "ANY", IR_TC_REQUIRED },
	{ "MODE_UNSPECIFIED", IR_TC_UNSET },
};
static const char *const mode_of_choice[] = {
	[IR_TC_AUTO] = "AUTO", [IR_TC_NONE] = "NONE", [IR_TC_REQUIRED] = "ANY", [IR_TC_TOOL] = "ANY",
};

/* thinkingLevel, either case, read as the reasoning effort of the same
 * name in lower case. */
static const char *const levels[] = { "minimal", "low", "medium", "high", "MINIMAL", "LOW", "MEDIUM", "HIGH" };
/* reasoning effort -> thinkingBudget, as Google maps OpenAI's reasoning_effort. */
static const struct {
	const char *effort;
	int64_t budget;
} budgets[] = { { "low", 1024 }, { "medium", 8192 }, { "high", 24576 } };

/* finishReason values and what they mean; any other is a plain stop
 * (RECITATION, OTHER, FINISH_REASON_UNSPECIFIED, ...). */
static const struct {
	const char *name;
	uint8_t finish;
} finishes[] = {
	{ "STOP", IR_FIN_STOP }, { "MAX_TOKENS", IR_FIN_LENGTH },
	{ "SAFETY", IR_FIN_CONTENT_FILTER }, { "BLOCKLIST", IR_FIN_CONTENT_FILTER },
	{ "PROHIBITED_CONTENT", IR_FIN_CONTENT_FILTER }, { "SPII", IR_FIN_CONTENT_FILTER },
	{ "IMAGE_SAFETY", IR_FIN_CONTENT_FILTER }, { "IMAGE_PROHIBITED_CONTENT", IR_FIN_CONTENT_FILTER },
	{ "LANGUAGE", IR_FIN_CONTENT_FILTER },
	{ "MALFORMED_FUNCTION_CALL", IR_FIN_ERROR }, { "UNEXPECTED_TOOL_CALL", IR_FIN_ERROR },
	{ "TOO_MANY_TOOL_CALLS", IR_FIN_ERROR }, { "MISSING_THOUGHT_SIGNATURE", IR_FIN_ERROR },
	{ "MALFORMED_RESPONSE", IR_FIN_ERROR },
};
/* The finishReason written for each IR finish. */
static const char *const finish_names[] = {
	[IR_FIN_NONE] = "STOP", [IR_FIN_STOP] = "STOP", [IR_FIN_LENGTH] = "MAX_TOKENS",
	[IR_FIN_TOOL_CALLS] = "STOP", [IR_FIN_CONTENT_FILTER] = "SAFETY", [IR_FIN_ERROR] = "OTHER",
};
static const char malformed_call[] = "MALFORMED_FUNCTION_CALL";

/* Google status names and their classes. */
static const struct {
	const char *name;
	uint8_t cls;
} gstatus[] = {
	{ "INVALID_ARGUMENT", IR_ERR_INVALID }, { "FAILED_PRECONDITION", IR_ERR_INVALID },
	{ "OUT_OF_RANGE", IR_ERR_INVALID }, { "UNAUTHENTICATED", IR_ERR_AUTH },
	{ "PERMISSION_DENIED", IR_ERR_PERMISSION }, { "NOT_FOUND", IR_ERR_NOT_FOUND },
	{ "RESOURCE_EXHAUSTED", IR_ERR_RATE_LIMIT }, { "INTERNAL", IR_ERR_SERVER }, { "UNKNOWN", IR_ERR_SERVER },
	{ "DATA_LOSS", IR_ERR_SERVER }, { "UNAVAILABLE", IR_ERR_OVERLOADED }, { "DEADLINE_EXCEEDED", IR_ERR_TIMEOUT },
};
/* The status name written for each class. */
static const char *const class_status[] = {
	[IR_ERR_INVALID] = "INVALID_ARGUMENT", [IR_ERR_AUTH] = "UNAUTHENTICATED",
	[IR_ERR_BILLING] = "FAILED_PRECONDITION", [IR_ERR_PERMISSION] = "PERMISSION_DENIED",
	[IR_ERR_NOT_FOUND] = "NOT_FOUND", [IR_ERR_TOO_LARGE] = "INVALID_ARGUMENT",
	[IR_ERR_RATE_LIMIT] = "RESOURCE_EXHAUSTED", [IR_ERR_SERVER] = "INTERNAL",
	[IR_ERR_OVERLOADED] = "UNAVAILABLE", [IR_ERR_TIMEOUT] = "DEADLINE_EXCEEDED",
};


/* The snake_case spelling of key into sn (48 bytes); 0 when it is the same. */
static int snake(const char *key, char *sn)
{
	int up = 0;
	for (; *key; key++) {
		char c = *key;
		if (c >= 'A' && c <= 'Z') {
			*sn++ = '_';
			c += 'a' - 'A';
			up = 1;
		}
		*sn++ = c;
	}
	*sn = 0;
	return up;
}

/* Member key of obj, or -1. A camelCase key is also looked for under its
 * snake_case spelling ("thoughtSignature" -> "thought_signature"), which
 * the REST API accepts too; camelCase wins when both are present. */
static int jget(const struct json_doc *d, int obj, const char *key)
{
	int v = json_get(d, obj, key);
	char sn[48];
	if (v >= 0)
		return v;
	return snake(key, sn) ? json_get(d, obj, sn) : -1;
}

/* jget() of keys[0..n) into v[0..n). */
static void jgets(const struct json_doc *d, int obj, const char *const *keys, int n, int *v)
{
	for (int k = 0; k < n; k++)
		v[k] = jget(d, obj, keys[k]);
}

/* *s = token i (absent for -1): ir_tok_str() in one place. */
static void tok(struct ir_str *s, const struct json_doc *d, int i)
{
	*s = ir_tok_str(d, i);
}

static const struct ir_str no_str;			/* absent */
static const struct ir_str empty_obj = { "{}", 2, IR_JSON };
static const struct ir_str empty_raw = { "", 0, IR_RAW };

/* *s = token i (a jget() result or -1) as an IR string when it is a JSON
 * string (ir_tok_str() marks only those IR_RAW), else absent. */
static void str_tok(struct ir_str *s, const struct json_doc *d, int i)
{
	tok(s, d, i);
	if (s->kind != IR_RAW)
		*s = no_str;
}

/* The same for a non-empty string only (a call id). */
static void id_str(struct ir_str *s, const struct json_doc *d, int i)
{
	str_tok(s, d, i);
	if (!s->n)
		*s = no_str;
}

/* functionCall args: the object, or {} when absent or not an object. */
static void args_str(struct ir_str *s, const struct json_doc *d, int i)
{
	if (json_is_object(d, i))
		tok(s, d, i);
	else
		*s = empty_obj;
}

/* Absent or null. */
static int absent(const struct json_doc *d, int i)
{
	return i < 0 || json_is_null(d, i);
}

/* Elements of array i; 0 when i is not an array. */
static int array_len(const struct json_doc *d, int i)
{
	return json_is_array(d, i) ? d->tok[i].size : 0;
}

static const char sig_placeholder[] = "skip_thought_signature_validator";

/* Appends the escaped characters of s without quotes, all or none (for
 * concatenation). */
static void put_chars(struct json_out *o, const struct ir_str *s)
{
	if (!s->p)
		return;
	if (s->kind == IR_RAW)
		json_raw_append(o, s->p, s->n);
	else
		json_str_chars(o, s->p, s->n);
}

/* Index of the first non-blank byte of p[0..n), or n. */
static size_t skip_ws(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i;
}

/* ---- finish reasons, usage ---- */

static uint8_t finish_of(const struct json_doc *d, int i)
{
	if (!json_is_string(d, i))
		return IR_FIN_NONE;
	for (unsigned k = 0; k < COUNT(finishes); k++)
		if (json_str_eq(d, i, finishes[k].name))
			return finishes[k].finish;
	return IR_FIN_STOP;
}

static const char *finish_name(uint8_t f)
{
	return f < COUNT(finish_names) ? finish_names[f] : finish_names[IR_FIN_STOP];
}

/* The usageMetadata object's text js[0..n) (a span of a valid document),
 * in one pass without tokens: the same-dialect path reads usage straight
 * from the answer. Each count under its camelCase name, else its
 * snake_case one (camelCase wins, as in jget()). */
static void gem_scan_usage(const char *js, size_t n, struct ir_usage *u)
{
	enum { S_PROMPT, S_CANDIDATES, S_CACHED, S_THOUGHTS, S_N };
	static const char *const keys[2 * S_N] = {
		[S_PROMPT] = "promptTokenCount", [S_CANDIDATES] = "candidatesTokenCount",
		[S_CACHED] = "cachedContentTokenCount", [S_THOUGHTS] = "thoughtsTokenCount",
		[S_N + S_PROMPT] = "prompt_token_count", [S_N + S_CANDIDATES] = "candidates_token_count",
		[S_N + S_CACHED] = "cached_content_token_count", [S_N + S_THOUGHTS] = "thoughts_token_count",
	};
	size_t vs[2 * S_N], ve[2 * S_N];
	int64_t v[S_N] = { 0, 0, 0, 0 };
	memset(u, 0, sizeof *u);
	if (json_top_scan(js, n, keys, 2 * S_N, vs, ve) < 0)
		return;
	u->have = 1;
	for (int k = 0; k < S_N; k++) {
		int at = ve[k] ? k : k + S_N;
		json_span_count(js, vs[at], ve[at], &v[k]);
	}
	u->input = v[S_PROMPT];
	u->reasoning = v[S_THOUGHTS];
	u->output = v[S_CANDIDATES] + v[S_THOUGHTS];
	u->cached = v[S_CACHED];
}

static void usage_of(const struct json_doc *d, int um, struct ir_usage *u)
{
	if (json_is_object(d, um))
		gem_scan_usage(json_raw(d, um), json_raw_len(d, um), u);
	else
		memset(u, 0, sizeof *u);
}

/* "usageMetadata":{...} when there is usage. */
static void write_usage(struct jw *w, const struct ir_usage *u)
{
	if (!u->have)
		return;
	int64_t candidates = u->output - u->reasoning;
	jw_key(w, USAGE_KEY);
	jw_obj(w);
	jw_ki64(w, usage_keys[U_PROMPT], u->input);
	jw_ki64(w, usage_keys[U_CANDIDATES], candidates < 0 ? 0 : candidates);
	jw_ki64(w, usage_keys[U_TOTAL], u->input + u->output);
	if (u->cached > 0)
		jw_ki64(w, usage_keys[U_CACHED], u->cached);
	if (u->reasoning > 0)
		jw_ki64(w, usage_keys[U_THOUGHTS], u->reasoning);
	jw_obj_end(w);
}

/* ---- request decoding ---- */

struct rq {
	struct er e;
	const struct json_doc *d;
	struct ir_request *ir;
	unsigned ncalls;
	uint16_t content_msg;	/* first IR message of the current content */
};

static struct ir_part *new_part(struct rq *q, uint8_t role)
{
	struct ir_request *ir = q->ir;
	if (ir->nparts >= IR_MAX_PARTS) {
		fail(&q->e, "too many content parts (limit %d)", IR_MAX_PARTS);
		return NULL;
	}
	struct ir_msg *m = ir->nmsgs > q->content_msg ? &ir->msgs[ir->nmsgs - 1] : NULL;
	if (!m || m->role != role || m->first + m->n != ir->nparts) {
		if (ir->nmsgs >= IR_MAX_MSGS) {
			fail(&q->e, "too many messages (limit %d)", IR_MAX_MSGS);
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
		if (ir->parts[i].kind == IR_TOOL_RESULT && ir_str_same(&ir->parts[i].a, id))
			return 1;
	return 0;
}

static int decode_fresponse(struct rq *q, int fr)
{
	const struct json_doc *d = q->d;
	int v[FR_N];
	jgets(d, fr, fr_keys, FR_N, v);
	int name = v[FR_NAME], resp = v[FR_RESPONSE];
	struct ir_str nm;
	str_tok(&nm, d, name);
	if (!nm.p)
		return fail(&q->e, "functionResponse needs a name");
	struct ir_part *p = new_part(q, IR_TOOL);
	if (!p)
		return -1;
	p->kind = IR_TOOL_RESULT;
	p->b = nm;
	id_str(&p->a, d, v[FR_ID]);
	if (!p->a.p) {
		/* The earliest earlier call of that name not answered yet. */
		struct ir_request *ir = q->ir;
		for (unsigned i = 0; i + 1 < ir->nparts; i++) {
			struct ir_part *c = &ir->parts[i];
			if (c->kind == IR_TOOL_CALL && ir_str_same(&c->b, &p->b) && !answered(ir, &c->a)) {
				p->a = c->a;
				break;
			}
		}
		if (!p->a.p)
			return fail(&q->e, "functionResponse \"%.*s\" answers no earlier functionCall",
				    clip(d, name, 64), json_raw(d, name));
	}
	tok(&p->text, d, resp);
	if (absent(d, resp)) {
		p->text = empty_obj;
	} else if (!json_is_object(d, resp)) {
		return fail(&q->e, "functionResponse.response must be an object");
	} else if (d->tok[resp].size == 1) {
		/* {"result": X} / {"output": X} -> X; {"error": X} -> X, an error */
		int k = json_str_index(d, resp + 1, result_keys, RES_N);
		if (k >= 0) {
			tok(&p->text, d, resp + 2);
			p->is_error = k == RES_ERROR;
		}
	}
	return 0;
}

static int decode_part(struct rq *q, int part, int model)
{
	const struct json_doc *d = q->d;
	struct ir_part t;
	int v[PT_N];
	if (!json_is_object(d, part))
		return fail(&q->e, "each part must be an object");
	jgets(d, part, part_keys, PT_N, v);
	int text = v[PT_TEXT], fc = v[PT_CALL], inl = v[PT_INLINE], fd = v[PT_FILE];
	memset(&t, 0, sizeof t);
	str_tok(&t.sig, d, v[PT_SIG]);

	if (v[PT_RESPONSE] >= 0) {
		if (model)
			return fail(&q->e, "functionResponse belongs in a user turn");
		return decode_fresponse(q, v[PT_RESPONSE]);
	}
	if (text >= 0) {
		str_tok(&t.text, d, text);
		if (!t.text.p)
			return fail(&q->e, "part text must be a string");
		t.kind = json_is_true(d, v[PT_THOUGHT]) ? IR_THINKING : IR_TEXT;
	} else if (fc >= 0) {
		int f[FC_N];
		jgets(d, fc, fc_keys, FC_N, f);
		int args = f[FC_ARGS];
		str_tok(&t.b, d, f[FC_NAME]);
		if (!model)
			return fail(&q->e, "functionCall belongs in a model turn");
		if (!t.b.p)
			return fail(&q->e, "functionCall needs a name");
		if (!absent(d, args) && !json_is_object(d, args))
			return fail(&q->e, "functionCall.args must be an object");
		t.kind = IR_TOOL_CALL;
		args_str(&t.args, d, args);
		id_str(&t.a, d, f[FC_ID]);
		if (!t.a.p) {
			if (q->ncalls >= IR_MAX_PARTS)
				return fail(&q->e, "too many content parts");
			t.a = ir_call_id_make(&q->ir->call_ids[q->ncalls], q->ncalls);
		}
		q->ncalls++;
	} else if (inl >= 0) {
		str_tok(&t.a, d, jget(d, inl, "mimeType"));
		str_tok(&t.b, d, jget(d, inl, "data"));
		if (!t.a.p || !t.b.p)
			return fail(&q->e, "inlineData needs mimeType and data");
		t.kind = IR_IMAGE;
	} else if (fd >= 0) {
		str_tok(&t.a, d, jget(d, fd, "mimeType"));
		str_tok(&t.b, d, jget(d, fd, "fileUri"));
		if (!t.b.p)
			return fail(&q->e, "fileData needs fileUri");
		t.kind = IR_IMAGE;
		t.is_url = 1;
	} else {
		for (unsigned u = 0; u < COUNT(unsupported_parts); u++)
			if (jget(d, part, unsupported_parts[u]) >= 0)
				return fail(&q->e, "%s parts cannot be translated to another provider", unsupported_parts[u]);
		if (!t.sig.p)
			return 0;	/* an empty part: nothing to carry */
		t.kind = IR_THINKING;	/* a part holding only a signature */
		t.text = empty_raw;
	}
	struct ir_part *p = new_part(q, model ? IR_ASSISTANT : IR_USER);
	if (!p)
		return -1;
	*p = t;
	return 0;
}

static int decode_contents(struct rq *q, int contents)
{
	const struct json_doc *d = q->d;
	if (!json_is_array(d, contents) || d->tok[contents].size == 0)
		return fail(&q->e, "contents must be a non-empty array");
	for (int c = 0, ct = contents + 1; c < d->tok[contents].size; c++, ct = json_skip(d, ct)) {
		int v[CT_N];
		jgets(d, ct, content_keys, CT_N, v);
		int role = v[CT_ROLE], parts = v[CT_PARTS], model = 0;
		if (!json_is_array(d, parts))	/* also when ct is not an object */
			return fail(&q->e, "contents[%d] needs a parts array", c);
		if (!absent(d, role)) {
			unsigned k = 0;
			while (k < COUNT(roles) && !json_str_eq(d, role, roles[k].name))
				k++;
			if (k == COUNT(roles))
				return fail(&q->e, "contents[%d].role must be user or model", c);
			model = roles[k].model;
		}
		q->content_msg = q->ir->nmsgs;
		for (int n = 0, pt = parts + 1; n < d->tok[parts].size; n++, pt = json_skip(d, pt))
			if (decode_part(q, pt, model) < 0)
				return -1;
	}
	return 0;
}

/* systemInstruction: a Content, or a plain string. Decoded first, so its
 * parts start at 0 (sys_first, as ir was cleared). */
static int decode_system(struct rq *q, int si)
{
	const struct json_doc *d = q->d;
	struct ir_request *ir = q->ir;
	int parts = -1, n = 1;
	if (absent(d, si))
		return 0;
	if (!json_is_string(d, si)) {
		parts = jget(d, si, content_keys[CT_PARTS]);
		if (!json_is_array(d, parts))
			return fail(&q->e, "systemInstruction needs parts");
		n = d->tok[parts].size;
		si = parts + 1;
	}
	for (int k = 0; k < n; k++, si = json_skip(d, si)) {
		struct ir_str text;
		str_tok(&text, d, parts < 0 ? si : jget(d, si, part_keys[PT_TEXT]));
		if (!text.p)
			return fail(&q->e, "systemInstruction parts must be text");
		if (ir->nparts >= IR_MAX_PARTS)
			return fail(&q->e, "too many content parts");
		struct ir_part *p = &ir->parts[ir->nparts++];
		memset(p, 0, sizeof *p);
		p->kind = IR_TEXT;
		p->text = text;
		ir->sys_n++;
	}
	return 0;
}

static int decode_tools(struct rq *q, int tools)
{
	const struct json_doc *d = q->d;
	struct ir_request *ir = q->ir;
	if (absent(d, tools))	/* else an array (top_types) */
		return 0;
	for (int t = 0, tool = tools + 1; t < d->tok[tools].size; t++, tool = json_skip(d, tool)) {
		if (!json_is_object(d, tool))
			return fail(&q->e, "tools[%d] must be an object", t);
		for (int k = tool + 1, m = 0; m < d->tok[tool].size; m++, k = json_skip(d, k)) {
			if (json_str_index(d, k, decl_lists, COUNT(decl_lists)) < 0)
				return fail(&q->e, "tool type \"%.*s\" cannot be translated to another provider",
					    clip(d, k, 40), json_raw(d, k));
			int decls = k + 1;
			if (!json_is_array(d, decls))
				return fail(&q->e, "functionDeclarations must be an array");
			for (int j = 0, fd = decls + 1; j < d->tok[decls].size; j++, fd = json_skip(d, fd)) {
				int v[DECL_N];
				jgets(d, fd, decl_keys, DECL_N, v);
				int par = v[DECL_SCHEMA];
				struct ir_str name;
				if (par < 0)
					par = jget(d, fd, "parameters");
				str_tok(&name, d, v[DECL_NAME]);
				if (!name.p)
					return fail(&q->e, "a function declaration needs a name");
				if (ir->ntools >= IR_MAX_TOOLS)
					return fail(&q->e, "too many tools (limit %d)", IR_MAX_TOOLS);
				struct ir_tool *it = &ir->tools[ir->ntools++];
				it->name = name;
				str_tok(&it->description, d, v[DECL_DESCRIPTION]);
				tok(&it->parameters, d, json_is_object(d, par) ? par : -1);
			}
		}
	}
	return 0;
}

static int decode_tool_config(struct rq *q, int tc)
{
	const struct json_doc *d = q->d;
	struct ir_request *ir = q->ir;
	int v[TC_N], fcc = jget(d, tc, "functionCallingConfig");
	static const char *const fcc_key[1] = { "functionCallingConfig" };
	static const unsigned char fcc_type[1] = { JT_OBJECT };
	jgets(d, fcc, tc_keys, TC_N, v);
	if (json_check_members(d, &fcc, fcc_key, fcc_type, 1, "toolConfig.", q->e.err, q->e.errlen) < 0 ||
	    json_check_members(d, v, tc_keys, tc_types, TC_N, "toolConfig.functionCallingConfig.", q->e.err, q->e.errlen) < 0)
		return -1;
	int mode = v[TC_MODE], allowed = v[TC_ALLOWED];
	if (absent(d, mode))
		return 0;
	unsigned k = 0;
	while (k < COUNT(modes) && !json_str_eq(d, mode, modes[k].name))
		k++;
	if (k == COUNT(modes))
		return fail(&q->e, "unknown functionCallingConfig.mode");
	ir->tool_choice = modes[k].choice;	/* still IR_TC_UNSET before: MODE_UNSPECIFIED keeps it */
	if (ir->tool_choice == IR_TC_REQUIRED && json_is_array(d, allowed) && d->tok[allowed].size == 1 &&
	    json_is_string(d, allowed + 1)) {
		ir->tool_choice = IR_TC_TOOL;
		tok(&ir->tool_choice_name, d, allowed + 1);
	}
	return 0;
}

static int decode_gen_config(struct rq *q, int gc)
{
	const struct json_doc *d = q->d;
	struct ir_request *ir = q->ir;
	int v[GC_N], th[TH_N];
	jgets(d, gc, gen_keys, GC_N, v);
	jgets(d, v[GC_THINK], think_keys, TH_N, th);
	if (json_check_members(d, v, gen_keys, gen_types, GC_N, "generationConfig.", q->e.err, q->e.errlen) < 0 ||
	    json_check_members(d, th, think_keys, think_types, TH_N, "generationConfig.thinkingConfig.", q->e.err,
			       q->e.errlen) < 0)
		return -1;
	/* The types are checked: a number is what is asked. */
	struct ir_str *const num[] = { [GC_TEMP] = &ir->temperature, [GC_TOPP] = &ir->top_p, [GC_TOPK] = &ir->top_k };
	for (int k = GC_TEMP; k <= GC_TOPK; k++)
		if (!absent(d, v[k]))
			tok(num[k], d, v[k]);
	int64_t cc = 1;
	json_get_i64(d, v[GC_MAXTOK], &ir->max_tokens);
	json_get_i64(d, v[GC_SEED], &ir->seed);
	json_get_i64(d, v[GC_CC], &cc);
	json_get_i64(d, th[TH_BUDGET], &ir->thinking_budget);
	if (cc > 1)
		return fail(&q->e, "candidateCount > 1 cannot be translated to another provider");
	int stop = v[GC_STOP], mime = v[GC_MIME], schema = v[GC_SCHEMA];
	if (!absent(d, stop)) {
		if (d->tok[stop].size > IR_MAX_STOP)
			return fail(&q->e, "stopSequences must be an array of at most %d strings", IR_MAX_STOP);
		for (int k = 0, s = stop + 1; k < d->tok[stop].size; k++, s = json_skip(d, s)) {
			if (!json_is_string(d, s))
				return fail(&q->e, "stopSequences must hold strings");
			tok(&ir->stop[ir->nstop++], d, s);
		}
	}
	if (schema < 0)
		schema = jget(d, gc, "responseSchema");
	if (json_str_eq(d, mime, "application/json")) {
		ir->format = IR_FMT_JSON_OBJECT;
		if (json_is_object(d, schema)) {
			ir->format = IR_FMT_JSON_SCHEMA;
			tok(&ir->schema, d, schema);
		}
	} else if (json_is_string(d, mime) && !json_str_eq(d, mime, "text/plain")) {
		return fail(&q->e, "responseMimeType %.*s cannot be translated to another provider",
			    clip(d, mime, 40), json_raw(d, mime));
	}
	int k = json_str_index(d, th[TH_LEVEL], levels, COUNT(levels));
	if (k >= 0) {
		const char *l = levels[k & 3];	/* the lower-case spelling */
		ir->reasoning = ir_plain(l, (uint32_t)strlen(l));
	}
	return 0;
}

static int gem_decode_request(const struct json_doc *d, struct ir_request *ir, char *err, size_t errlen)
{
	struct rq q = { { err, errlen }, d, ir, 0, 0 };
	ir_request_init(ir);
	if (err && errlen)
		err[0] = 0;
	if (d->ntok < 1 || !json_is_object(d, 0))
		return fail(&q.e, "the request body must be a JSON object");
	int v[TOP_N];
	jgets(d, 0, top_keys, TOP_N, v);
	if (json_check_members(d, v, top_keys, top_types, TOP_N, "", err, errlen) < 0)
		return -1;
	if (v[TOP_CACHED] >= 0)
		return fail(&q.e, "cachedContent cannot be translated to another provider");
	/* Every refusal below writes its own message. */
	if (decode_system(&q, v[TOP_SYSTEM]) < 0 || decode_contents(&q, v[TOP_CONTENTS]) < 0 ||
	    decode_tools(&q, v[TOP_TOOLS]) < 0 || decode_tool_config(&q, v[TOP_TOOL_CONFIG]) < 0 ||
	    decode_gen_config(&q, v[TOP_GEN_CONFIG]) < 0)
		return -1;
	return 0;
}

/* ---- request encoding ---- */

/* Writes "contents" as runs of same-role parts. */
struct cw {
	struct jw *w;
	int role;		/* -1 none open (nothing written yet), 0 user, 1 model */
	int fc_signed;		/* the open model content's first functionCall is handled */
};

/* Before each part: a new content when the role changes. */
static void cw_part(struct cw *c, int role)
{
	if (c->role == role)
		return;
	if (c->role >= 0) {
		jw_arr_end(c->w);
		jw_obj_end(c->w);
	}
	jw_obj(c->w);
	jw_kcstr(c->w, "role", role ? "model" : "user");
	jw_key(c->w, "parts");
	jw_arr(c->w);
	c->role = role;
	c->fc_signed = 0;
}

/* Ends a part: "thoughtSignature":sig when sig is present, then }. */
static void part_end(struct jw *w, const struct ir_str *sig)
{
	if (sig->p) {
		jw_kir_str(w, "thoughtSignature", sig);
	}
	jw_obj_end(w);
}

/* A text part, a thought when thought is set. */
static void write_text(struct jw *w, const struct ir_str *text, int thought, const struct ir_str *sig)
{
	jw_obj(w);
	jw_kir_str(w, "text", text);
	if (thought)
		jw_kbool(w, "thought", 1);
	part_end(w, sig);
}

static void write_image(struct jw *w, const struct ir_part *p, const struct ir_str *sig)
{
	jw_obj(w);
	jw_key(w, p->is_url ? "fileData" : "inlineData");
	jw_obj(w);
	if (p->a.p || !p->is_url) {
		jw_kir_str(w, "mimeType", &p->a);
	}
	jw_key(w, p->is_url ? "fileUri" : "data");
	jw_ir_str(w, &p->b);
	jw_obj_end(w);
	part_end(w, sig);
}

/* One functionCall part (id only when present). When the arguments are
 * not valid JSON it writes nothing and returns -1: the output and the
 * writer are taken back to where the part began. */
static int write_call(struct jw *w, const struct ir_str *id, const struct ir_str *name,
		      const struct ir_str *args, const struct ir_str *sig)
{
	struct jw at = *w;
	size_t len = w->o->len;
	jw_obj(w);
	jw_key(w, "functionCall");
	jw_obj(w);
	if (id->p && id->n) {
		jw_kir_str(w, "id", id);
	}
	jw_kir_str(w, "name", name);
	jw_key(w, "args");
	if (jw_ir_value(w, args) < 0) {	/* never on overflow: len is sound */
		*w = at;
		w->o->len = len;
		return -1;
	}
	jw_obj_end(w);
	part_end(w, sig);
	return 0;
}

/* Whether the unescaped text of s is a JSON object (-1: it does not fit
 * in tmp to be checked). */
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
	size_t i = skip_ws(t, n);
	return i < n && t[i] == '{' && json_valid(t, n) == 0;
}

/* functionResponse.response for a result with no sub-parts: its text when
 * that is a JSON object, else {"result"|"error": text}. */
static void write_result_value(struct jw *w, const struct ir_part *p)
{
	struct json_out *o = w->o;
	int obj = p->is_error ? 0
		: p->text.kind == IR_JSON ? (p->text.p && p->text.p[0] == '{')
		: is_json_object(&p->text, o->buf + o->len, o->cap - o->len);	/* the free output as scratch */
	if (obj > 0) {
		jw_ir_value(w, &p->text);	/* cannot fail: checked above */
		return;
	}
	jw_obj(w);
	jw_key(w, p->is_error ? "error" : "result");
	if (p->text.kind == IR_JSON && p->text.p)
		jw_raw(w, p->text.p, p->text.n);
	else
		jw_ir_str(w, &p->text);
	jw_obj_end(w);
}

static int write_tool_result(const struct ir_request *ir, unsigned idx, struct cw *c, const struct er *e)
{
	const struct ir_part *p = &ir->parts[idx];
	struct jw *w = c->w;
	struct ir_str name = p->b;
	if (!name.p) {
		for (unsigned i = idx; i-- > 0;)
			if (ir->parts[i].kind == IR_TOOL_CALL && ir_str_same(&ir->parts[i].a, &p->a)) {
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
		return fail(e, "tool result for call %s has no function name", p->a.p ? id : "(no id)");
	}
	unsigned end = idx + p->nsub < ir->nparts ? idx + p->nsub : ir->nparts - 1u;
	cw_part(c, 0);
	jw_obj(w);
	jw_key(w, "functionResponse");
	jw_obj(w);
	jw_kir_str(w, "name", &name);
	jw_key(w, "response");
	if (p->nsub == 0) {
		write_result_value(w, p);
	} else {
		/* The text sub-parts joined into one string. */
		jw_obj(w);
		jw_key(w, p->is_error ? "error" : "result");
		jw_str_begin(w);
		for (unsigned k = idx + 1; k <= end; k++)
			if (ir->parts[k].kind == IR_TEXT)
				jw_ir_chars(w, &ir->parts[k].text);
		jw_str_end(w);
		jw_obj_end(w);
	}
	jw_obj_end(w);
	jw_obj_end(w);
	for (unsigned k = idx + 1; k <= end; k++)
		if (ir->parts[k].kind == IR_IMAGE) {
			cw_part(c, 0);
			write_image(w, &ir->parts[k], &no_str);
		}
	return 0;
}

static int write_contents(const struct ir_request *ir, struct jw *w, const struct er *e)
{
	struct cw c = { w, -1, 0 };
	jw_key(w, "contents");
	jw_arr(w);
	for (unsigned m = 0; m < ir->nmsgs; m++) {
		const struct ir_msg *msg = &ir->msgs[m];
		int role = msg->role == IR_ASSISTANT;
		struct ir_str pend = no_str;	/* a signature waiting for its part */
		for (unsigned k = 0; k < msg->n; k++) {
			unsigned idx = msg->first + k;
			if (idx >= ir->nparts)
				break;
			const struct ir_part *p = &ir->parts[idx];
			struct ir_str sig = p->sig.p ? p->sig : pend;
			switch (p->kind) {
			case IR_TEXT:
			case IR_IMAGE:
				if (msg->role == IR_TOOL)
					break;	/* a tool result's sub-part */
				cw_part(&c, role);
				if (p->kind == IR_TEXT)
					write_text(w, &p->text, 0, &sig);
				else
					write_image(w, p, &sig);
				pend.p = NULL;
				break;
			case IR_THINKING:
				if (p->text.p && p->text.n > 0) {
					if (!p->sig.p)
						break;	/* unsigned thought text: Gemini reads nothing from it */
					cw_part(&c, role);
					write_text(w, &p->text, 1, &p->sig);
				} else if (p->sig.p) {
					pend = p->sig;
				}
				break;
			case IR_TOOL_CALL:
				if (!role)
					return fail(e, "a tool call must be in an assistant message");
				cw_part(&c, 1);
				if (!sig.p && !c.fc_signed)
					sig = ir_plain(sig_placeholder, sizeof sig_placeholder - 1);
				c.fc_signed = 1;
				if (write_call(w, &no_str, &p->b, &p->args, &sig) < 0)
					return fail(e, "the arguments of tool call %.*s are not valid JSON",
						    (int)(p->b.n > 64 ? 64 : p->b.n), p->b.p ? p->b.p : "");
				pend.p = NULL;
				break;
			case IR_TOOL_RESULT:
				if (write_tool_result(ir, idx, &c, e) < 0)
					return -1;
				break;
			}
		}
	}
	if (c.role < 0)
		return fail(e, "no messages to send");
	jw_arr_end(w);
	jw_obj_end(w);
	jw_arr_end(w);
	return 0;
}

/* The thinking budget to ask for: the IR's, else one for the reasoning
 * effort, else -1. */
static int64_t thinking_budget(const struct ir_request *ir)
{
	if (ir->thinking_budget >= 0 || !ir->reasoning.p)
		return ir->thinking_budget;
	for (unsigned k = 0; k < COUNT(budgets); k++)
		if (ir_str_eq(&ir->reasoning, budgets[k].effort))
			return budgets[k].budget;
	return -1;
}

/* generationConfig, when something goes in it. */
static int write_gen_config(const struct ir_request *ir, struct jw *w, const struct er *e)
{
	const struct ir_str *nums[] = { [GC_TEMP] = &ir->temperature, [GC_TOPP] = &ir->top_p, [GC_TOPK] = &ir->top_k };
	int json = ir->format == IR_FMT_JSON_OBJECT || ir->format == IR_FMT_JSON_SCHEMA;
	int64_t budget = thinking_budget(ir);
	if (!ir->temperature.p && !ir->top_p.p && !ir->top_k.p && ir->max_tokens < 0 && !ir->nstop &&
	    ir->seed < 0 && !json && budget < 0)
		return 0;
	jw_key(w, top_keys[TOP_GEN_CONFIG]);
	jw_obj(w);
	for (unsigned k = GC_TEMP; k <= GC_TOPK; k++) {
		if (!nums[k]->p)
			continue;
		jw_key(w, gen_keys[k]);
		if (jw_ir_value(w, nums[k]) < 0)
			return fail(e, "%s is not a number", gen_keys[k]);
	}
	if (ir->max_tokens >= 0)
		jw_ki64(w, gen_keys[GC_MAXTOK], ir->max_tokens);
	if (ir->nstop) {
		jw_key(w, gen_keys[GC_STOP]);
		jw_arr(w);
		for (unsigned k = 0; k < ir->nstop; k++)
			jw_ir_str(w, &ir->stop[k]);
		jw_arr_end(w);
	}
	if (ir->seed >= 0)
		jw_ki64(w, gen_keys[GC_SEED], ir->seed);
	if (json) {
		jw_kcstr(w, gen_keys[GC_MIME], "application/json");
		if (ir->format == IR_FMT_JSON_SCHEMA && ir->schema.p) {
			jw_key(w, gen_keys[GC_SCHEMA]);
			if (jw_ir_value(w, &ir->schema) < 0)
				return fail(e, "the response schema is not valid JSON");
		}
	}
	if (budget >= 0) {
		jw_key(w, gen_keys[GC_THINK]);
		jw_obj(w);
		jw_ki64(w, "thinkingBudget", budget);
		if (ir->thinking_budget > 0)
			jw_kbool(w, "includeThoughts", 1);
		jw_obj_end(w);
	}
	jw_obj_end(w);
	return 0;
}

static int gem_encode_request(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen)
{
	const struct er e = { err, errlen };
	struct jw w;
	(void)model;		/* it goes in the URL (request_path) */
	jw_init(&w, o);
	jw_obj(&w);
	if (write_contents(ir, &w, &e) < 0)
		return -1;
	if (ir->sys_n) {
		jw_key(&w, top_keys[TOP_SYSTEM]);
		jw_obj(&w);
		jw_key(&w, "parts");
		jw_arr(&w);
		for (unsigned k = 0; k < ir->sys_n && ir->sys_first + k < ir->nparts; k++) {
			jw_obj(&w);
			jw_kir_str(&w, "text", &ir->parts[ir->sys_first + k].text);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	if (ir->ntools) {
		jw_key(&w, "tools");
		jw_arr(&w);
		jw_obj(&w);
		jw_key(&w, "functionDeclarations");
		jw_arr(&w);
		for (unsigned t = 0; t < ir->ntools; t++) {
			const struct ir_tool *tl = &ir->tools[t];
			jw_obj(&w);
			jw_kir_str(&w, "name", &tl->name);
			if (tl->description.p) {
				jw_kir_str(&w, "description", &tl->description);
			}
			if (tl->parameters.p) {
				jw_key(&w, "parametersJsonSchema");
				if (jw_ir_value(&w, &tl->parameters) < 0)
					return fail(&e, "the parameters of a tool are not valid JSON");
			}
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
		jw_arr_end(&w);
	}
	if (ir->tool_choice != IR_TC_UNSET) {
		if (ir->tool_choice >= COUNT(mode_of_choice))
			return fail(&e, "unknown tool_choice");
		jw_key(&w, top_keys[TOP_TOOL_CONFIG]);
		jw_obj(&w);
		jw_key(&w, "functionCallingConfig");
		jw_obj(&w);
		jw_kcstr(&w, "mode", mode_of_choice[ir->tool_choice]);
		if (ir->tool_choice == IR_TC_TOOL) {
			jw_key(&w, "allowedFunctionNames");
			jw_arr(&w);
			jw_ir_str(&w, &ir->tool_choice_name);
			jw_arr_end(&w);
		}
		jw_obj_end(&w);
		jw_obj_end(&w);
	}
	if (write_gen_config(ir, &w, &e) < 0)
		return -1;
	jw_obj_end(&w);
	return 0;
}

static int gem_request_path(const char *model, int stream, char *buf, size_t len)
{
	if (!model || !*model)
		return -1;
	for (const unsigned char *c = (const unsigned char *)model; *c; c++)
		if (*c <= ' ' || *c == '?' || *c == '#' || *c == 0x7f)
			return -1;
	int n = fmt_snprintf(buf, len, "/v1beta/models/%s:%s", model,
			 stream ? "streamGenerateContent?alt=sse" : "generateContent");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ---- response decoding ---- */

/* The IR of response part pt, for both decoders: out[0] a thinking part
 * with no text carrying a signature that sits on a non-thought part (when
 * *lone), then the part itself: a functionCall (a = its id when a
 * non-empty string, else absent; b = its name when a string, else
 * absent), text or thought text. Returns how many parts; *call when the
 * last is a functionCall. */
static int part_ir(const struct json_doc *d, int pt, struct ir_part out[2], int *lone, int *call)
{
	int v[PT_RESPONSE], f[FC_N], n = 0;
	struct ir_str text, sig;
	jgets(d, pt, part_keys, PT_RESPONSE, v);
	int fc = v[PT_CALL], thought = json_is_true(d, v[PT_THOUGHT]);
	jgets(d, fc, fc_keys, FC_N, f);
	str_tok(&text, d, v[PT_TEXT]);
	str_tok(&sig, d, v[PT_SIG]);
	memset(out, 0, 2 * sizeof *out);
	*call = json_is_object(d, fc);
	*lone = sig.p && !(thought && text.p);
	if (*lone) {
		out[0].kind = IR_THINKING;
		out[0].text = empty_raw;
		out[0].sig = sig;
		n++;
	}
	if (*call) {
		out[n].kind = IR_TOOL_CALL;
		str_tok(&out[n].b, d, f[FC_NAME]);
		args_str(&out[n].args, d, f[FC_ARGS]);
		id_str(&out[n].a, d, f[FC_ID]);
		n++;
	} else if (text.p) {
		out[n].kind = thought ? IR_THINKING : IR_TEXT;
		out[n].text = text;
		if (thought)
			out[n].sig = sig;
		n++;
	}
	return n;
}

/* responseId and modelVersion of a response or chunk. */
static void resp_ids(const struct json_doc *d, struct ir_str *id, struct ir_str *model)
{
	int v[ID_N];
	jgets(d, 0, id_keys, ID_N, v);
	str_tok(id, d, v[ID_RESPONSE]);
	str_tok(model, d, v[ID_MODEL]);
}

/* The parts array of the first candidate cand (-1 when none). */
static int cand_parts(const struct json_doc *d, int *cand)
{
	*cand = json_index(d, jget(d, 0, "candidates"), 0);
	return jget(d, jget(d, *cand, "content"), content_keys[CT_PARTS]);
}

/* No candidates because the prompt was blocked. */
static int blocked(const struct json_doc *d)
{
	return jget(d, jget(d, 0, "promptFeedback"), "blockReason") >= 0;
}

static int gem_decode_response(const struct json_doc *d, struct ir_response *r, char *err, size_t errlen)
{
	const struct er e = { err, errlen };
	int cand;
	r->nparts = 0;
	r->finish = IR_FIN_NONE;
	if (d->ntok < 1 || !json_is_object(d, 0))
		return fail(&e, "the response is not a JSON object");
	resp_ids(d, &r->id, &r->model);
	usage_of(d, jget(d, 0, USAGE_KEY), &r->usage);
	int parts = cand_parts(d, &cand);
	if (cand < 0) {
		if (blocked(d)) {
			r->finish = IR_FIN_CONTENT_FILTER;
			return 0;
		}
		return fail(&e, "the response has no candidates");
	}
	if (!json_is_object(d, cand))
		return fail(&e, "a candidate is not an object");
	unsigned ncalls = 0;
	for (int k = 0, np = array_len(d, parts), pt = parts + 1; k < np; k++, pt = json_skip(d, pt)) {
		struct ir_part two[2];
		int lone, call, n = part_ir(d, pt, two, &lone, &call);
		if (!n)
			continue;	/* inlineData, executableCode, ...: dropped */
		if ((unsigned)r->nparts + 2 > ir_response_room(r) || (call && ncalls >= IR_MAX_CALLS))
			return fail(&e, "too many parts in the response");
		for (int i = 0; i < n; i++) {
			int is_call = two[i].kind == IR_TOOL_CALL;
			if (is_call && !two[i].b.p)
				return fail(&e, "a functionCall has no name");
			struct ir_part *p = &r->parts[r->nparts++];
			*p = two[i];
			if (is_call && !p->a.p)
				p->a = ir_call_id_make(&r->call_ids[ncalls], ncalls);
			ncalls += is_call;
		}
	}
	r->finish = finish_of(d, jget(d, cand, "finishReason"));
	if (ncalls && (r->finish == IR_FIN_STOP || r->finish == IR_FIN_NONE))
		r->finish = IR_FIN_TOOL_CALLS;
	return 0;
}

/* ---- response encoding ---- */

/* {"candidates":[{"content":{"parts":[ : a response or chunk up to its
 * first part. */
static void parts_open(struct jw *w)
{
	jw_obj(w);
	jw_key(w, "candidates");
	jw_arr(w);
	jw_obj(w);
	jw_key(w, "content");
	jw_obj(w);
	jw_key(w, "parts");
	jw_arr(w);
}

/* Closes the parts and the candidate (finish: its finishReason, or NULL). */
static void parts_close(struct jw *w, const char *finish)
{
	jw_arr_end(w);
	jw_kcstr(w, "role", "model");
	jw_obj_end(w);
	if (finish)
		jw_kcstr(w, "finishReason", finish);
	jw_ki64(w, "index", 0);
	jw_obj_end(w);
	jw_arr_end(w);
}

/* The end of a response or chunk: the client's model name and the id. */
static void model_ref(struct jw *w, const char *model, const struct ir_str *id)
{
	jw_kcstr(w, id_keys[ID_MODEL], model ? model : "");
	if (id->p && id->n) {
		jw_key(w, id_keys[ID_RESPONSE]);
		jw_ir_str(w, id);
	}
	jw_obj_end(w);
}

static void gem_encode_response(const struct ir_response *r, const char *model, struct json_out *o)
{
	struct jw w;
	int malformed = 0;
	struct ir_str pend = no_str;	/* a signature riding on the next part */
	jw_init(&w, o);
	parts_open(&w);
	for (unsigned k = 0; k < r->nparts; k++) {
		const struct ir_part *p = &r->parts[k];
		struct ir_str sig = p->sig.p ? p->sig : pend;
		switch (p->kind) {
		case IR_TEXT:
			write_text(&w, &p->text, 0, &sig);
			break;
		case IR_THINKING:
			if (!p->text.p || p->text.n == 0) {
				/* a lone signature: on the next part, or alone when last */
				if (k + 1 < r->nparts) {
					if (p->sig.p)
						pend = p->sig;
					continue;
				}
				if (!p->sig.p)
					continue;
			}
			write_text(&w, &p->text, 1, &p->sig);
			break;
		case IR_TOOL_CALL:
			if (write_call(&w, &p->a, &p->b, &p->args, &sig) < 0) {
				malformed = 1;
				pend.p = NULL;
				continue;
			}
			break;
		default:
			continue;
		}
		pend.p = NULL;
	}
	parts_close(&w, malformed ? malformed_call : r->finish != IR_FIN_NONE ? finish_name(r->finish) : NULL);
	write_usage(&w, &r->usage);
	model_ref(&w, model, &r->id);
}

/* ---- errors ---- */

static int key_invalid(const struct json_doc *d, int eobj, int msg)
{
	int det = jget(d, eobj, "details");
	for (int k = 0, n = array_len(d, det), it = det + 1; k < n; k++, it = json_skip(d, it))
		if (json_str_eq(d, jget(d, it, "reason"), "API_KEY_INVALID"))
			return 1;
	return json_is_string(d, msg) && fmt_find(json_raw(d, msg), json_raw_len(d, msg), "API key not valid", 17);
}

/* Fills e from the "error" object eobj (or nothing) and the HTTP status. */
static void error_of(const struct json_doc *d, int eobj, int status, struct ir_error *e)
{
	memset(e, 0, sizeof *e);
	int v[ERR_N];
	jgets(d, eobj, err_keys, ERR_N, v);
	int code = v[ERR_CODE], msg = v[ERR_MESSAGE], st = v[ERR_STATUS];
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
		unsigned k = 0;
		while (k < COUNT(gstatus) && !json_str_eq(d, st, gstatus[k].name))
			k++;
		e->cls = k < COUNT(gstatus) ? gstatus[k].cls : IR_ERR_SERVER;
		status = ir_err_status(e->cls);
	}
	e->status = status;
	if ((e->cls == IR_ERR_INVALID || e->cls == IR_ERR_PERMISSION) && key_invalid(d, eobj, msg)) {
		e->cls = IR_ERR_AUTH;
		e->status = 401;
	}
	str_tok(&e->type, d, st);
	str_tok(&e->message, d, msg);
}

static void gem_decode_error(const struct json_doc *d, int status, struct ir_error *e)
{
	int eobj = -1;
	if (d && d->ntok > 0) {
		eobj = jget(d, json_is_array(d, 0) ? json_index(d, 0, 0) : 0, "error");
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

static void gem_encode_error(const struct ir_error *e, struct json_out *o)
{
	struct jw w;
	const char *st = class_status[e->cls < COUNT(class_status) ? e->cls : IR_ERR_INVALID];
	/* a Gemini provider's own status name, when it agrees with the class */
	for (unsigned k = 0; e->type.p && k < COUNT(gstatus); k++)
		if (gstatus[k].cls == e->cls && ir_str_eq(&e->type, gstatus[k].name))
			st = gstatus[k].name;
	int64_t code = e->cls == IR_ERR_OVERLOADED ? 503
		     : e->status >= 400 && e->status <= 599 ? e->status : ir_err_status(e->cls);
	jw_init(&w, o);
	jw_obj(&w);
	jw_key(&w, "error");
	jw_obj(&w);
	jw_ki64(&w, err_keys[ERR_CODE], code);
	jw_key(&w, err_keys[ERR_MESSAGE]);
	if (e->message.p)
		jw_ir_str(&w, &e->message);
	else
		jw_cstr(&w, e->cls == IR_ERR_RATE_LIMIT ? "Resource has been exhausted (e.g. check quota)."
			    : e->cls == IR_ERR_OVERLOADED ? "The model is overloaded. Please try again later."
			    : "The request failed.");
	jw_kcstr(&w, err_keys[ERR_STATUS], st);
	jw_obj_end(&w);
	jw_obj_end(&w);
}

/* ---- stream decoding (Gemini provider) ---- */

struct gem_dec {
	uint8_t started, finished;
	uint16_t ncalls;
	char id[48];
};
_Static_assert(sizeof(struct gem_dec) <= sizeof(((struct xlate_stream *)0)->dec), "gem_dec too large");

/* Emits ev as an event of kind k, then clears it for the next one. */
static void emit(struct xlate_stream *s, struct ir_event *ev, uint8_t k)
{
	ev->kind = k;
	xlate_emit(s, ev);
	memset(ev, 0, sizeof *ev);
}

static int gem_decode_event(struct xlate_stream *s, const struct sse_event *sev)
{
	struct gem_dec *g = (struct gem_dec *)s->dec;
	struct json_doc doc, *d = &doc;
	struct ir_event ev;
	int cand;
	if (sev->data_lines == 0)
		return 0;	/* comment or keep-alive */
	if (sev->data_lines != 1 || !sev->data)
		return -1;
	if (json_parse(d, sev->data, sev->data_len, s->tok, s->maxtok) < 1 || !json_is_object(d, 0))
		return -1;
	memset(&ev, 0, sizeof ev);
	int eobj = jget(d, 0, "error");
	if (eobj >= 0) {
		if (json_is_object(d, eobj)) {
			error_of(d, eobj, 0, &ev.error);
		} else {
			ev.error.cls = IR_ERR_SERVER;
			ev.error.status = 500;
		}
		emit(s, &ev, EV_ERROR);
		return 0;
	}
	if (!g->started) {
		g->started = 1;
		resp_ids(d, &ev.id, &ev.name);
		emit(s, &ev, EV_START);
	}
	int parts = cand_parts(d, &cand);
	for (int k = 0, np = array_len(d, parts), pt = parts + 1; k < np; k++, pt = json_skip(d, pt)) {
		struct ir_part two[2];
		int lone, call, n = part_ir(d, pt, two, &lone, &call);
		for (int i = 0; i < n; i++) {
			const struct ir_part *p = &two[i];
			if (p->kind == IR_TOOL_CALL) {
				if (!p->b.p || g->ncalls >= IR_MAX_CALLS)
					return -1;
				ev.index = g->ncalls;
				ev.name = p->b;
				ev.id = p->a;
				if (!p->a.p) {
					int len = fmt_snprintf(g->id, sizeof g->id, "call_%llu_%u", s->serial, (unsigned)g->ncalls);
					ev.id = ir_plain(g->id, (uint32_t)len);
				}
				emit(s, &ev, EV_TOOL_START);
				ev.index = g->ncalls;
				ev.text = p->args;
				emit(s, &ev, EV_TOOL_ARGS);
				g->ncalls++;
			} else if (i < lone || p->text.n > 0) {
				/* the lone signature, text, thought text (empty text is dropped) */
				ev.text = p->text;
				ev.sig = p->sig;
				emit(s, &ev, p->kind == IR_TEXT ? EV_TEXT : EV_THINKING);
			}
		}
	}
	if (!g->finished) {
		/* finishReason (a string: never IR_FIN_NONE), or a blocked prompt */
		int fr = jget(d, cand, "finishReason");
		uint8_t f = json_is_string(d, fr) ? finish_of(d, fr)
			  : cand < 0 && blocked(d) ? IR_FIN_CONTENT_FILTER : IR_FIN_NONE;
		if (f) {
			g->finished = 1;
			ev.finish = f == IR_FIN_STOP && g->ncalls ? IR_FIN_TOOL_CALLS : f;
			emit(s, &ev, EV_FINISH);
		}
	}
	if (g->finished) {
		int um = jget(d, 0, USAGE_KEY);
		if (json_is_object(d, um)) {
			usage_of(d, um, &ev.usage);
			emit(s, &ev, EV_USAGE);
		}
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

/* Each chunk is one JSON object, framed by hand: with alt=sse as
 * "data: {...}\r\n\r\n" (as Google sends), else as an element of one
 * array ("[" before the first, ",\r\n" between, "]" after the last). */
static void chunk_begin(struct xlate_stream *s, struct gem_enc *e, struct json_out *o, struct jw *w)
{
	json_lit(o, s->sse ? "data: " : e->nchunks ? ",\r\n" : "[");
	e->nchunks++;
	jw_init(w, o);
}

/* Closes the chunk object with the model and the response id. */
static void chunk_end(struct xlate_stream *s, struct gem_enc *e, struct json_out *o, struct jw *w)
{
	struct ir_str id = { e->rid, e->rid_len, IR_RAW };
	model_ref(w, s->model, &id);
	if (s->sse)
		json_lit(o, "\r\n\r\n");
}

/* Appends v to the scratch at `at` (escaped characters when as_chars,
 * else as it stands); its length, or -1 when it does not fit. */
static long scratch_put(struct xlate_stream *s, size_t at, const struct ir_str *v, int as_chars)
{
	struct json_out so;
	if (at > s->scratch_cap)
		return -1;
	json_out_init(&so, s->scratch + at, s->scratch_cap - at);
	if (as_chars)
		put_chars(&so, v);
	else if (v->p)
		json_raw_append(&so, v->p, v->n);
	return so.overflow ? -1 : (long)so.len;
}

/* Sends the open tool call, whole, as a chunk of its own. */
static void flush_call(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	if (!e->call_open)
		return;
	e->call_open = 0;
	const char *base = s->scratch;
	struct ir_str id = { base, e->id_len, IR_RAW };
	struct ir_str name = { base + e->id_len, e->name_len, IR_RAW };
	struct ir_str args = { base + e->id_len + e->name_len, e->args_len, e->call_kind };
	int blank = skip_ws(args.p, args.n) == args.n;
	if (e->scratch_full || (args.kind != IR_RAW && !blank && json_valid(args.p, args.n) != 0)) {
		e->malformed = 1;
		return;
	}
	if (args.kind != IR_RAW && blank)
		args.n = 0;
	size_t st = o->len;
	uint32_t nc = e->nchunks;
	struct jw w;
	chunk_begin(s, e, o, &w);
	parts_open(&w);
	if (write_call(&w, &id, &name, &args, &no_str) < 0) {
		o->len = st;	/* the chunk taken back: never on overflow */
		e->nchunks = nc;
		e->malformed = 1;
		return;
	}
	parts_close(&w, NULL);
	chunk_end(s, e, o, &w);
}

static void gem_encode_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	struct gem_enc *e = (struct gem_enc *)s->enc;
	struct jw w;
	if (e->done)
		return;
	switch (ev->kind) {
	case EV_START:
		if (ev->id.p) {
			struct json_out ro;
			json_out_init(&ro, e->rid, sizeof e->rid);
			put_chars(&ro, &ev->id);
			e->rid_len = ro.overflow ? 0 : (uint16_t)ro.len;
		}
		break;
	case EV_TEXT:
	case EV_THINKING:
		flush_call(s, e, o);
		if ((!ev->text.p || ev->text.n == 0) && (ev->kind == EV_TEXT || !ev->sig.p))
			break;
		chunk_begin(s, e, o, &w);
		parts_open(&w);
		write_text(&w, &ev->text, ev->kind == EV_THINKING, ev->kind == EV_THINKING ? &ev->sig : &no_str);
		parts_close(&w, NULL);
		chunk_end(s, e, o, &w);
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
		chunk_begin(s, e, o, &w);
		jw_obj(&w);
		jw_key(&w, "candidates");
		jw_arr(&w);
		jw_obj(&w);
		jw_kcstr(&w, "finishReason", e->malformed ? malformed_call : finish_name(s->finish));
		jw_ki64(&w, "index", 0);
		jw_obj_end(&w);
		jw_arr_end(&w);
		write_usage(&w, &s->usage);
		chunk_end(s, e, o, &w);
		if (!s->sse)
			json_lit(o, "]");
		e->done = 1;
		break;
	case EV_ERROR:
		chunk_begin(s, e, o, &w);
		gem_encode_error(&ev->error, o);
		json_lit(o, s->sse ? "\r\n\r\n" : "]");
		e->done = 1;
		break;
	}
}

static const char *gem_stream_type(const struct xlate_stream *s)
{
	return s->sse ? "text/event-stream" : "application/json";
}

static int gem_count_tokens_path(const char *model, char *buf, size_t len)
{
	if (gem_request_path(model, 0, buf, len) < 0)
		return -1;
	int n = fmt_snprintf(buf, len, "/v1beta/models/%s:countTokens", model);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* countTokens counts a whole generateContent request, wrapped as
 * {"generateContentRequest":{"model":"models/M", ...its members}}. */
static int gem_encode_count_tokens(const struct ir_request *ir, const char *model, struct json_out *o, char *err,
				   size_t errlen)
{
	char mm[300];
	fmt_snprintf(mm, sizeof mm, "models/%s", model);
	json_lit(o, "{\"generateContentRequest\":{\"model\":");
	json_cstr(o, mm);
	json_lit(o, ",");
	size_t at = o->len;
	if (gem_encode_request(ir, model, o, err, errlen) < 0)
		return -1;
	if (o->overflow)
		return 0;
	/* Drop the encoded object's own '{' (an empty "{}" leaves "}"). */
	memmove(o->buf + at, o->buf + at + 1, o->len - at - 1);
	o->len--;
	if (o->len > 0 && o->buf[o->len - 1] == '}' && o->buf[o->len - 2] == ',') {
		o->buf[o->len - 2] = '}';
		o->len--;
	}
	json_lit(o, "}");
	return 0;
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
	.usage_key = USAGE_KEY,
	.scan_usage = gem_scan_usage,
	.success_key = "candidates",
	.list_key = "contents",
	.request_id_header = "x-request-id",
	.count_tokens_path = gem_count_tokens_path,
	.encode_count_tokens = gem_encode_count_tokens,
	.count_tokens_key = "totalTokens",
	.model_in_url = 1,
	.json_array_stream = 1,	/* streamGenerateContent without alt=sse */
};
