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
 *
 * Shape: this file is sized for small flash, so repeated sequences are
 * folded: snake_case keys are derived from the camelCase ones (jget); every
 * JSON name sits in one block (names) that calls address by a small offset,
 * lists of them NUL-separated and walked by one loop (jgets, str_index,
 * nth); refusal messages are numbered formats (messages) sharing phrases
 * that fail() splices back in; and JSON is written by put(), one call per
 * run of literals and values instead of one json_lit() per piece.
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include "fmt.h"
#include "dialect.h"

/* ---- helpers ---- */

/* Where a refusal's message goes (first member of struct rq). */
struct er {
	char *err;
	size_t errlen;
};

/* Phrases the messages share, spliced in by fail() where a message holds
 * their code (a control byte, as a literal of its own so no digit can
 * follow it); phrase_at[] below says where each is in names. */
#define P_UNTRANS "\1"
#define P_OBJECT "\2"
#define P_ARRAY "\3"
#define P_FR "\4"
#define P_FC "\5"
#define P_NAME "\6"
#define P_MANY "\7"
#define P_JSON "\10"
#define P_SYS "\11"
#define P_GC "\12"
#define P_STOP "\13"
#define P_CONTENTS "\14"

/* Every refusal's message (a format), by number: a call site passes a
 * small constant instead of a string's address. */
#define MESSAGES(X) \
	X(M_PARTS_LIMIT, P_MANY "content parts (limit %d)") \
	X(M_MSGS_LIMIT, P_MANY "messages (limit %d)") \
	X(M_FR_NAME, P_FR P_NAME) \
	X(M_FR_UNANSWERED, P_FR " \"%.*s\" answers no earlier " P_FC) \
	X(M_FR_RESPONSE, P_FR ".response" P_OBJECT) \
	X(M_PART_OBJECT, "each part" P_OBJECT) \
	X(M_FR_TURN, P_FR " belongs in a user turn") \
	X(M_TEXT_STRING, "part text must be a string") \
	X(M_FC_TURN, P_FC " belongs in a model turn") \
	X(M_FC_NAME, P_FC P_NAME) \
	X(M_FC_ARGS, P_FC ".args" P_OBJECT) \
	X(M_PART_KIND, "%s parts" P_UNTRANS) \
	X(M_CONTENTS, P_CONTENTS " must be a non-empty array") \
	X(M_CONTENT_PARTS, P_CONTENTS "[%d] needs a parts array") \
	X(M_CONTENT_ROLE, P_CONTENTS "[%d].role must be user or model") \
	X(M_SYS_PARTS, P_SYS " needs parts") \
	X(M_SYS_TEXT, P_SYS " parts must be text") \
	X(M_PARTS_FULL, P_MANY "content parts") \
	X(M_TOOLS, "tools" P_ARRAY) \
	X(M_TOOL_OBJECT, "tools[%d]" P_OBJECT) \
	X(M_TOOL_TYPE, "tool type \"%.*s\"" P_UNTRANS) \
	X(M_DECLS, "functionDeclarations" P_ARRAY) \
	X(M_DECL_NAME, "a function declaration" P_NAME) \
	X(M_TOOLS_LIMIT, P_MANY "tools (limit %d)") \
	X(M_MODE, "unknown functionCallingConfig.mode") \
	X(M_GC_NUMBER, P_GC ".%s must be a number") \
	X(M_INTEGER, "%s must be an integer") \
	X(M_GC, P_GC P_OBJECT) \
	X(M_CAND_COUNT, "candidateCount > 1" P_UNTRANS) \
	X(M_STOP, P_STOP P_ARRAY " of at most %d strings") \
	X(M_STOP_STRINGS, P_STOP " must hold strings") \
	X(M_MIME, "responseMimeType %.*s" P_UNTRANS) \
	X(M_BODY, "the request body must be a JSON object") \
	X(M_CACHED, "cachedContent" P_UNTRANS) \
	X(M_RESULT_NAME, "tool result for call %s has no function name") \
	X(M_CALL_ROLE, "a tool call must be in an assistant message") \
	X(M_CALL_ARGS, "the arguments of tool call %.*s are" P_JSON) \
	X(M_NO_MESSAGES, "no messages to send") \
	X(M_TOOL_PARAMS, "the parameters of a tool are" P_JSON) \
	X(M_TOOL_CHOICE, "unknown tool_choice") \
	X(M_NOT_NUMBER, "%s is not a number") \
	X(M_SCHEMA, "the response schema is" P_JSON) \
	X(M_RESP_OBJECT, "the response is not a JSON object") \
	X(M_NO_CANDIDATES, "the response has no candidates") \
	X(M_CAND_OBJECT, "a candidate is not an object") \
	X(M_RESP_PARTS, P_MANY "parts in the response") \
	X(M_RESP_FC_NAME, "a " P_FC " has no name") \
	X(M_INLINE, "inlineData needs mimeType and data") \
	X(M_FILEDATA, "fileData needs fileUri")
#define M_ENUM(id, text) id,
#define M_TEXT(id, text) text "\0"
enum { MESSAGES(M_ENUM) };
static const char messages[] = MESSAGES(M_TEXT);


/* Length of a token's raw text, cut to max (for messages). */
static int clip(const struct json_doc *d, int i, size_t max)
{
	size_t n = json_raw_len(d, i);
	return (int)(n > max ? max : n);
}

/* Every name the decoders look up or match (and the encoders reuse), in
 * one block: a call passes a name's small offset (N()) instead of its
 * address. A list is NUL-separated names ending with an empty one.
 * Keys are camelCase; jget() derives the snake_case spellings.
 *  fin_names: finishReason values: STOP, MAX_TOKENS, then 7 that mean
 *    content_filter, then 5 that mean error (FIN_MALFORMED the first).
 *  gnames: Google status names (gclass holds their classes).
 *  usage_keys: usageMetadata members in the order they are written (the
 *    decoder reads all but the total).
 *  gen_keys: generationConfig members, the numbers first (G_*).
 *  levels: thinkingLevel names; reasoning_effort takes the middle three. */
#define NAMES(X) \
	X(p_untrans, " cannot be translated to another provider") \
	X(p_object, " must be an object") \
	X(p_array, " must be an array") \
	X(p_name, " needs a name") \
	X(p_many, "too many ") \
	X(p_json, " not valid JSON") \
	X(top_keys, "cachedContent\0systemInstruction\0contents\0tools\0toolConfig\0generationConfig\0") \
	X(content_keys, "role\0parts\0") \
	X(roles, "model\0user\0function\0tool\0") \
	X(part_keys, "text\0functionCall\0thoughtSignature\0thought\0") \
	X(part_more, "functionResponse\0inlineData\0fileData\0") \
	X(unsupported, "executableCode\0codeExecutionResult\0toolCall\0toolResponse\0") \
	X(fc_keys, "name\0args\0id\0") \
	X(fr_keys, "name\0id\0response\0") \
	X(results, "result\0output\0error\0") \
	X(k_mime, "mimeType") \
	X(k_data, "data") \
	X(k_uri, "fileUri") \
	X(decl_lists, "functionDeclarations\0function_declarations\0") \
	X(decl_keys, "name\0description\0parametersJsonSchema\0") \
	X(k_params, "parameters") \
	X(k_fcc, "functionCallingConfig") \
	X(tc_keys, "mode\0allowedFunctionNames\0") \
	X(modes, "AUTO\0VALIDATED\0NONE\0ANY\0MODE_UNSPECIFIED\0") \
	X(gen_keys, "temperature\0topP\0topK\0maxOutputTokens\0seed\0candidateCount\0" \
		    "stopSequences\0responseMimeType\0responseJsonSchema\0thinkingConfig\0") \
	X(k_rschema, "responseSchema") \
	X(k_budget, "thinkingBudget") \
	X(k_level, "thinkingLevel") \
	X(levels, "minimal\0low\0medium\0high\0MINIMAL\0LOW\0MEDIUM\0HIGH\0") \
	X(ids, "responseId\0modelVersion\0") \
	X(k_usage, "usageMetadata") \
	X(usage_keys, "promptTokenCount\0candidatesTokenCount\0totalTokenCount\0cachedContentTokenCount\0" \
		      "thoughtsTokenCount\0") \
	X(k_cands, "candidates") \
	X(k_content, "content") \
	X(k_feedback, "promptFeedback") \
	X(k_block, "blockReason") \
	X(k_finish, "finishReason") \
	X(fin_names, "STOP\0MAX_TOKENS\0SAFETY\0BLOCKLIST\0PROHIBITED_CONTENT\0SPII\0IMAGE_SAFETY\0" \
		     "IMAGE_PROHIBITED_CONTENT\0LANGUAGE\0MALFORMED_FUNCTION_CALL\0UNEXPECTED_TOOL_CALL\0" \
		     "TOO_MANY_TOOL_CALLS\0MISSING_THOUGHT_SIGNATURE\0MALFORMED_RESPONSE\0") \
	X(k_error, "error") \
	X(err_keys, "code\0message\0status\0") \
	X(k_details, "details") \
	X(k_reason, "reason") \
	X(gnames, "INVALID_ARGUMENT\0FAILED_PRECONDITION\0OUT_OF_RANGE\0UNAUTHENTICATED\0PERMISSION_DENIED\0" \
		  "NOT_FOUND\0RESOURCE_EXHAUSTED\0INTERNAL\0UNKNOWN\0DATA_LOSS\0UNAVAILABLE\0DEADLINE_EXCEEDED\0")
#define N_FIELD(id, text) char id[sizeof text];
#define N_INIT(id, text) text,
static const struct names { NAMES(N_FIELD) } names = { NAMES(N_INIT) };
#define N(id) ((unsigned)offsetof(struct names, id))
#define NAME(off) ((const char *)&names + (off))
/* Where the phrase of code k + 1 (P_*) is: a name of its own, or a key the
 * decoders look up anyway (the sizeof skips the names before it). */
static const uint16_t phrase_at[] = {
	N(p_untrans), N(p_object), N(p_array),
	N(part_more),						/* functionResponse */
	N(part_keys) + sizeof "text",				/* functionCall */
	N(p_name), N(p_many), N(p_json),
	N(top_keys) + sizeof "cachedContent",			/* systemInstruction */
	N(top_keys) + sizeof "cachedContent\0systemInstruction\0contents\0tools\0toolConfig",
	N(gen_keys) + sizeof "temperature\0topP\0topK\0maxOutputTokens\0seed\0candidateCount",
	N(top_keys) + sizeof "cachedContent\0systemInstruction",	/* contents */
};

/* Writes message m (phrases spliced in) with its arguments; always -1, so
 * callers can `return fail(...)`. */
static int fail(const struct er *e, unsigned m, ...)
{
	va_list ap;
	char f[160];
	size_t n = 0;
	const char *s = fmt_list_nth(messages, m), *back = NULL;
	if (!e->err || !e->errlen)
		return -1;
	for (;;) {		/* the format, its phrases spliced in */
		char c = *s++;
		if (!c && !back)
			break;
		if (!c) {
			s = back;
			back = NULL;
		} else if ((unsigned char)c < ' ') {
			back = s;
			s = NAME(phrase_at[(unsigned char)c - 1u]);
		} else if (n < sizeof f - 1) {
			f[n++] = c;
		}
	}
	f[n] = 0;
	va_start(ap, m);
	fmt_vsnprintf(e->err, e->errlen, f, ap);
	va_end(ap);
	return -1;
}

enum { G_TEMP, G_TOPP, G_TOPK, G_MAXTOK, G_SEED, G_CC, G_STOP, G_MIME, G_SCHEMA, G_THINK };
#define FIN_MALFORMED 9		/* MALFORMED_FUNCTION_CALL */

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
static int jget(const struct json_doc *d, int obj, unsigned n)
{
	const char *key = NAME(n);
	int v = json_get(d, obj, key);
	char sn[48];
	if (v >= 0)
		return v;
	return snake(key, sn) ? json_get(d, obj, sn) : -1;
}

/* jget() of each key of a name list, in order, into v[]. */
static void jgets(const struct json_doc *d, int obj, unsigned list, int *v)
{
	for (; *NAME(list); list += strlen(NAME(list)) + 1)
		*v++ = jget(d, obj, list);
}


/* Index in list of the string token i, or -1 (also for a non-string). */
static int str_index(const struct json_doc *d, int i, unsigned n)
{
	return json_list_find(d, i, NAME(n));
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

/* put() directives, as separate literals so no digit can follow them. */
#define S_ "\001"	/* const struct ir_str *: ir_write_string */
#define I_ "\002"	/* const int64_t *: json_i64 */
#define L_ "\003"	/* const char *: verbatim */
#define C_ "\004"	/* const char *: json_cstr */

/* Appends f to o, its literal runs verbatim and each directive replaced
 * by the next argument (all pointers: one va_arg site is smaller). */
static void put(struct json_out *o, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	for (;;) {
		size_t n = 0;
		while ((unsigned char)f[n] > 4)
			n++;
		json_raw_append(o, f, n);
		f += n;
		char c = *f++;
		if (!c)
			break;
		const void *a = va_arg(ap, const void *);
		if (c == 1)
			ir_write_string(o, a);
		else if (c == 2)
			json_i64(o, *(const int64_t *)a);
		else if (c == 3)
			json_lit(o, a);
		else
			json_cstr(o, a);
	}
	va_end(ap);
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
	int k = str_index(d, i, N(fin_names));
	return k == 1 ? IR_FIN_LENGTH : k >= FIN_MALFORMED ? IR_FIN_ERROR : k >= 2 ? IR_FIN_CONTENT_FILTER
		: IR_FIN_STOP;	/* STOP; RECITATION, OTHER, FINISH_REASON_UNSPECIFIED, ... */
}

/* f an enum ir_finish, or -1 for MALFORMED_FUNCTION_CALL. */
static const char *finish_name(int f)
{
	switch (f) {
	case -1: return fmt_list_nth(names.fin_names, FIN_MALFORMED);
	case IR_FIN_LENGTH: return fmt_list_nth(names.fin_names, 1);
	case IR_FIN_CONTENT_FILTER: return fmt_list_nth(names.fin_names, 2);
	case IR_FIN_ERROR: return "OTHER";
	}
	return names.fin_names;
}


/* The usageMetadata object's text js[0..n) (a span of a valid document),
 * in one pass without tokens: the same-dialect path reads usage straight
 * from the answer. Each count under its camelCase name, else its
 * snake_case one (camelCase wins, as in jget()). */
static void gem_scan_usage(const char *js, size_t n, struct ir_usage *u)
{
	/* usage_keys but the total (k 2), then their snake_case spellings */
	const char *keys[8];
	char sn[4][48];
	size_t vs[8], ve[8];
	int64_t v[4] = { 0, 0, 0, 0 };
	const char *key = names.usage_keys;
	for (int k = 0, i = 0; k < 5; k++, key += strlen(key) + 1)
		if (k != 2) {
			keys[i] = key;
			snake(key, sn[i]);
			keys[i + 4] = sn[i];
			i++;
		}
	memset(u, 0, sizeof *u);
	if (json_top_scan(js, n, keys, 8, vs, ve) < 0)
		return;
	u->have = 1;
	for (int k = 0; k < 4; k++) {
		int at = ve[k] ? k : k + 4;
		json_span_count(js, vs[at], ve[at], &v[k]);
	}
	u->input = v[0];
	u->reasoning = v[3];
	u->output = v[1] + v[3];
	u->cached = v[2];
}

static void usage_of(const struct json_doc *d, int um, struct ir_usage *u)
{
	if (json_is_object(d, um))
		gem_scan_usage(json_raw(d, um), json_raw_len(d, um), u);
	else
		memset(u, 0, sizeof *u);
}

/* ,"usageMetadata":{...} when there is usage. */
static void write_usage(struct json_out *o, const struct ir_usage *u)
{
	if (!u->have)
		return;
	int64_t v[5] = { u->input, u->output - u->reasoning, u->input + u->output, u->cached, u->reasoning };
	if (v[1] < 0)
		v[1] = 0;
	const char *key = names.usage_keys;
	for (int k = 0; k < 5; k++, key += strlen(key) + 1)
		if (k < 3 || v[k] > 0)
			put(o, L_ "\"" L_ "\":" I_, k ? "," : ",\"usageMetadata\":{", key, &v[k]);
	json_lit(o, "}");
}

/* ---- request decoding ---- */

struct rq {
	struct er e;		/* first: a struct rq * is a struct er * for fail() */
	const struct json_doc *d;
	struct ir_request *ir;
	unsigned ncalls;
	uint16_t content_msg;	/* first IR message of the current content */
};

static struct ir_part *new_part(struct rq *q, uint8_t role)
{
	struct ir_request *ir = q->ir;
	if (ir->nparts >= IR_MAX_PARTS) {
		fail(&q->e, M_PARTS_LIMIT, IR_MAX_PARTS);
		return NULL;
	}
	struct ir_msg *m = ir->nmsgs > q->content_msg ? &ir->msgs[ir->nmsgs - 1] : NULL;
	if (!m || m->role != role || m->first + m->n != ir->nparts) {
		if (ir->nmsgs >= IR_MAX_MSGS) {
			fail(&q->e, M_MSGS_LIMIT, IR_MAX_MSGS);
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
	int v[3];
	jgets(d, fr, N(fr_keys), v);
	int name = v[0], id = v[1], resp = v[2];
	struct ir_str nm;
	str_tok(&nm, d, name);
	if (!nm.p)
		return fail(&q->e, M_FR_NAME);
	struct ir_part *p = new_part(q, IR_TOOL);
	if (!p)
		return -1;
	p->kind = IR_TOOL_RESULT;
	p->b = nm;
	id_str(&p->a, d, id);
	if (!p->a.p) {
		/* The earliest earlier call of that name not answered yet. */
		struct ir_request *ir = q->ir;
		for (unsigned i = 0; i + 1 < ir->nparts; i++) {
			struct ir_part *c = &ir->parts[i];
			if (c->kind == IR_TOOL_CALL && str_same(&c->b, &p->b) && !answered(ir, &c->a)) {
				p->a = c->a;
				break;
			}
		}
		if (!p->a.p)
			return fail(&q->e, M_FR_UNANSWERED,
				    clip(d, name, 64), json_raw(d, name));
	}
	tok(&p->text, d, resp);
	if (absent(d, resp)) {
		p->text = empty_obj;
	} else if (!json_is_object(d, resp)) {
		return fail(&q->e, M_FR_RESPONSE);
	} else if (d->tok[resp].size == 1) {
		/* {"result": X} / {"output": X} -> X; {"error": X} -> X, an error */
		int k = str_index(d, resp + 1, N(results));
		if (k >= 0) {
			tok(&p->text, d, resp + 2);
			p->is_error = k == 2;
		}
	}
	return 0;
}

static int decode_part(struct rq *q, int part, int model)
{
	const struct json_doc *d = q->d;
	struct ir_part t;
	int v[7];
	if (!json_is_object(d, part))
		return fail(&q->e, M_PART_OBJECT);
	jgets(d, part, N(part_keys), v);
	jgets(d, part, N(part_more), v + 4);
	int text = v[0], fc = v[1], thought = v[3], fr = v[4], inl = v[5], fd = v[6];
	memset(&t, 0, sizeof t);
	str_tok(&t.sig, d, v[2]);

	if (fr >= 0) {
		if (model)
			return fail(&q->e, M_FR_TURN);
		return decode_fresponse(q, fr);
	}
	if (text >= 0) {
		str_tok(&t.text, d, text);
		if (!t.text.p)
			return fail(&q->e, M_TEXT_STRING);
		t.kind = json_is_true(d, thought) ? IR_THINKING : IR_TEXT;
	} else if (fc >= 0) {
		jgets(d, fc, N(fc_keys), v);
		int args = v[1];
		str_tok(&t.b, d, v[0]);
		if (!model)
			return fail(&q->e, M_FC_TURN);
		if (!t.b.p)
			return fail(&q->e, M_FC_NAME);
		if (!absent(d, args) && !json_is_object(d, args))
			return fail(&q->e, M_FC_ARGS);
		t.kind = IR_TOOL_CALL;
		args_str(&t.args, d, args);
		id_str(&t.a, d, v[2]);
		if (!t.a.p)
			t.a = made_id(q->ncalls);
		q->ncalls++;
	} else if (inl >= 0 || fd >= 0) {
		int obj = inl >= 0 ? inl : fd;
		str_tok(&t.a, d, jget(d, obj, N(k_mime)));
		str_tok(&t.b, d, jget(d, obj, inl >= 0 ? N(k_data) : N(k_uri)));
		if (!t.b.p || (inl >= 0 && !t.a.p))
			return fail(&q->e, inl >= 0 ? M_INLINE : M_FILEDATA);
		t.kind = IR_IMAGE;
		t.is_url = inl < 0;
	} else {
		for (unsigned u = N(unsupported); *NAME(u); u += strlen(NAME(u)) + 1)
			if (jget(d, part, u) >= 0)
				return fail(&q->e, M_PART_KIND, NAME(u));
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
		return fail(&q->e, M_CONTENTS);
	for (int c = 0, ct = contents + 1; c < d->tok[contents].size; c++, ct = json_skip(d, ct)) {
		int v[2];
		jgets(d, ct, N(content_keys), v);
		int role = v[0], parts = v[1];
		if (!json_is_array(d, parts))	/* also when ct is not an object */
			return fail(&q->e, M_CONTENT_PARTS, c);
		/* "function"/"tool" contents are read as user ones */
		int k = absent(d, role) ? 1 : str_index(d, role, N(roles));
		if (k < 0)
			return fail(&q->e, M_CONTENT_ROLE, c);
		q->content_msg = q->ir->nmsgs;
		for (int n = 0, pt = parts + 1; n < d->tok[parts].size; n++, pt = json_skip(d, pt))
			if (decode_part(q, pt, k == 0) < 0)
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
		parts = jget(d, si, N(content_keys) + sizeof "role");	/* "parts" */
		if (!json_is_array(d, parts))
			return fail(&q->e, M_SYS_PARTS);
		n = d->tok[parts].size;
		si = parts + 1;
	}
	for (int k = 0; k < n; k++, si = json_skip(d, si)) {
		struct ir_str text;
		str_tok(&text, d, parts < 0 ? si : jget(d, si, N(part_keys)));	/* "text" */
		if (!text.p)
			return fail(&q->e, M_SYS_TEXT);
		if (ir->nparts >= IR_MAX_PARTS)
			return fail(&q->e, M_PARTS_FULL);
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
	if (absent(d, tools))
		return 0;
	if (!json_is_array(d, tools))
		return fail(&q->e, M_TOOLS);
	for (int t = 0, tool = tools + 1; t < d->tok[tools].size; t++, tool = json_skip(d, tool)) {
		if (!json_is_object(d, tool))
			return fail(&q->e, M_TOOL_OBJECT, t);
		for (int k = tool + 1, m = 0; m < d->tok[tool].size; m++, k = json_skip(d, k)) {
			if (str_index(d, k, N(decl_lists)) < 0)
				return fail(&q->e, M_TOOL_TYPE, clip(d, k, 40), json_raw(d, k));
			int decls = k + 1;
			if (!json_is_array(d, decls))
				return fail(&q->e, M_DECLS);
			for (int j = 0, fd = decls + 1; j < d->tok[decls].size; j++, fd = json_skip(d, fd)) {
				int v[3];
				jgets(d, fd, N(decl_keys), v);
				int par = v[2];
				struct ir_str name;
				if (par < 0)
					par = jget(d, fd, N(k_params));
				str_tok(&name, d, v[0]);
				if (!name.p)
					return fail(&q->e, M_DECL_NAME);
				if (ir->ntools >= IR_MAX_TOOLS)
					return fail(&q->e, M_TOOLS_LIMIT, IR_MAX_TOOLS);
				struct ir_tool *it = &ir->tools[ir->ntools++];
				it->name = name;
				str_tok(&it->description, d, v[1]);
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
	int v[2];
	jgets(d, jget(d, tc, N(k_fcc)), N(tc_keys), v);
	int mode = v[0], allowed = v[1];
	if (absent(d, mode))
		return 0;
	static const uint8_t choice[] = { IR_TC_AUTO, IR_TC_AUTO, IR_TC_NONE, IR_TC_REQUIRED, IR_TC_UNSET };
	int k = str_index(d, mode, N(modes));
	if (k < 0)
		return fail(&q->e, M_MODE);
	ir->tool_choice = choice[k];	/* still IR_TC_UNSET before: MODE_UNSPECIFIED keeps it */
	if (k == 3 && json_is_array(d, allowed) && d->tok[allowed].size == 1 && json_is_string(d, allowed + 1)) {
		ir->tool_choice = IR_TC_TOOL;
		tok(&ir->tool_choice_name, d, allowed + 1);
	}
	return 0;
}

/* A number member of generationConfig (kept as its JSON text) when out is
 * an ir_str, else an integer one of obj. */
static int num_field(struct rq *q, int obj, unsigned n, struct ir_str *str, int64_t *out)
{
	const char *key = NAME(n);
	int v = jget(q->d, obj, n);
	if (absent(q->d, v))
		return 0;
	if (str) {
		if (!json_is_number(q->d, v))
			return fail(&q->e, M_GC_NUMBER, key);
		tok(str, q->d, v);
	} else if (json_get_i64(q->d, v, out) < 0) {
		return fail(&q->e, M_INTEGER, key);
	}
	return 0;
}

static int decode_gen_config(struct rq *q, int gc)
{
	const struct json_doc *d = q->d;
	struct ir_request *ir = q->ir;
	if (absent(d, gc))
		return 0;
	if (!json_is_object(d, gc))
		return fail(&q->e, M_GC);
	int64_t cc = 1;
	struct ir_str *strs[] = { &ir->temperature, &ir->top_p, &ir->top_k };
	int64_t *ints[] = { &ir->max_tokens, &ir->seed, &cc };
	unsigned key = N(gen_keys);
	for (int k = 0; k < 6; k++, key += strlen(NAME(key)) + 1)
		if (num_field(q, gc, key, k < 3 ? strs[k] : NULL, k < 3 ? NULL : ints[k - 3]) < 0)
			return -1;
	if (cc > 1)
		return fail(&q->e, M_CAND_COUNT);
	int v[4];
	jgets(d, gc, key, v);	/* stopSequences ... thinkingConfig */
	int stop = v[0], mime = v[1], schema = v[2], th = v[3];
	if (!absent(d, stop)) {
		if (!json_is_array(d, stop) || d->tok[stop].size > IR_MAX_STOP)
			return fail(&q->e, M_STOP, IR_MAX_STOP);
		for (int k = 0, s = stop + 1; k < d->tok[stop].size; k++, s = json_skip(d, s)) {
			if (!json_is_string(d, s))
				return fail(&q->e, M_STOP_STRINGS);
			tok(&ir->stop[ir->nstop++], d, s);
		}
	}
	if (schema < 0)
		schema = jget(d, gc, N(k_rschema));
	if (json_str_eq(d, mime, "application/json")) {
		ir->format = IR_FMT_JSON_OBJECT;
		if (json_is_object(d, schema)) {
			ir->format = IR_FMT_JSON_SCHEMA;
			tok(&ir->schema, d, schema);
		}
	} else if (json_is_string(d, mime) && !json_str_eq(d, mime, "text/plain")) {
		return fail(&q->e, M_MIME, clip(d, mime, 40), json_raw(d, mime));
	}
	if (json_is_object(d, th)) {
		if (num_field(q, th, N(k_budget), NULL, &ir->thinking_budget) < 0)
			return -1;
		int k = str_index(d, jget(d, th, N(k_level)), N(levels));
		if (k >= 0) {
			const char *l = fmt_list_nth(names.levels, (unsigned)k & 3);
			ir->reasoning = ir_plain(l, (uint32_t)strlen(l));
		}
	}
	return 0;
}

static int gem_decode_request(const struct json_doc *d, struct ir_request *ir, char *err, size_t errlen)
{
	struct rq q = { { err, errlen }, d, ir, 0, 0 };
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
	if (d->ntok < 1 || !json_is_object(d, 0))
		return fail(&q.e, M_BODY);
	int v[6];
	jgets(d, 0, N(top_keys), v);
	if (v[0] >= 0)
		return fail(&q.e, M_CACHED);
	/* Every refusal below writes its own message. */
	if (decode_system(&q, v[1]) < 0 || decode_contents(&q, v[2]) < 0 || decode_tools(&q, v[3]) < 0 ||
	    decode_tool_config(&q, v[4]) < 0 || decode_gen_config(&q, v[5]) < 0)
		return -1;
	return 0;
}

/* ---- request encoding ---- */

/* Writes "contents" as runs of same-role parts. */
struct cw {
	struct json_out *o;
	int role;		/* -1 none open (nothing written yet), 0 user, 1 model */
	int fc_signed;		/* the open model content's first functionCall is handled */
};

/* Before each part: a comma, or a new content when the role changes (an
 * open content always has a part already). */
static void cw_part(struct cw *w, int role)
{
	if (w->role == role) {
		json_lit(w->o, ",");
		return;
	}
	put(w->o, L_ "{\"role\":\"" L_ "\",\"parts\":[", w->role < 0 ? "" : "]},", role ? "model" : "user");
	w->role = role;
	w->fc_signed = 0;
}

/* Closes a part: ,"thoughtSignature":sig when sig is present, then }. */
static void sig_close(struct json_out *o, const struct ir_str *sig)
{
	if (sig->p)
		put(o, ",\"thoughtSignature\":" S_ "}", sig);
	else
		json_lit(o, "}");
}

/* A text part, a thought when thought is set. */
static void write_text(struct json_out *o, const struct ir_str *text, int thought, const struct ir_str *sig)
{
	put(o, "{\"text\":" S_ L_, text, thought ? ",\"thought\":true" : "");
	sig_close(o, sig);
}

static void write_image(struct json_out *o, const struct ir_part *p, const struct ir_str *sig)
{
	if (p->is_url) {
		json_lit(o, "{\"fileData\":{");
		if (p->a.p)
			put(o, "\"mimeType\":" S_ ",", &p->a);
		put(o, "\"fileUri\":" S_ "}", &p->b);
	} else {
		put(o, "{\"inlineData\":{\"mimeType\":" S_ ",\"data\":" S_ "}", &p->a, &p->b);
	}
	sig_close(o, sig);
}

/* One functionCall part (id only when present); -1 (nothing written)
 * when the arguments are not valid JSON. */
static int write_call(struct json_out *o, const struct ir_str *id, const struct ir_str *name,
		      const struct ir_str *args, const struct ir_str *sig)
{
	size_t st = o->len;
	json_lit(o, "{\"functionCall\":{");
	if (id->p && id->n)
		put(o, "\"id\":" S_ ",", id);
	put(o, "\"name\":" S_ ",\"args\":", name);
	if (ir_write_value(o, args) < 0) {
		if (!o->overflow)
			o->len = st;
		return -1;
	}
	json_lit(o, "}");
	sig_close(o, sig);
	return 0;
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
	size_t i = skip_ws(t, n);
	return i < n && t[i] == '{' && json_valid(t, n) == 0;
}

static int write_tool_result(const struct ir_request *ir, unsigned idx, struct cw *w, const struct er *e)
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
		return fail(e, M_RESULT_NAME, p->a.p ? id : "(no id)");
	}
	cw_part(w, 0);
	put(o, "{\"functionResponse\":{\"name\":" S_ ",\"response\":", &name);
	const char *key = p->is_error ? "{\"error\":" : "{\"result\":";
	if (p->nsub == 0) {
		int obj = p->is_error ? 0 : p->text.kind == IR_JSON ? (p->text.p && p->text.p[0] == '{')
								 : is_json_object(&p->text, o->buf + o->len, o->cap - o->len);
		if (obj > 0) {
			ir_write_value(o, &p->text);
			json_lit(o, "}}");
		} else {
			json_lit(o, key);
			if (p->text.kind == IR_JSON && p->text.p)
				json_raw_append(o, p->text.p, p->text.n);
			else
				ir_write_string(o, &p->text);
			json_lit(o, "}}}");
		}
	} else {
		/* The text sub-parts joined into one string. */
		put(o, L_ "\"", key);
		for (unsigned k = 1; k <= p->nsub && idx + k < ir->nparts; k++)
			if (ir->parts[idx + k].kind == IR_TEXT)
				put_content(o, &ir->parts[idx + k].text);
		json_lit(o, "\"}}}");
	}
	for (unsigned k = 1; k <= p->nsub && idx + k < ir->nparts; k++)
		if (ir->parts[idx + k].kind == IR_IMAGE) {
			cw_part(w, 0);
			write_image(o, &ir->parts[idx + k], &no_str);
		}
	return 0;
}

static int write_contents(const struct ir_request *ir, struct json_out *o, const struct er *e)
{
	struct cw w = { o, -1, 0 };
	json_lit(o, "{\"contents\":[");
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
				cw_part(&w, role);
				if (p->kind == IR_TEXT)
					write_text(o, &p->text, 0, &sig);
				else
					write_image(o, p, &sig);
				pend.p = NULL;
				break;
			case IR_THINKING:
				if (p->text.p && p->text.n > 0) {
					if (!p->sig.p)
						break;	/* unsigned thought text: Gemini reads nothing from it */
					cw_part(&w, role);
					write_text(o, &p->text, 1, &p->sig);
				} else if (p->sig.p) {
					pend = p->sig;
				}
				break;
			case IR_TOOL_CALL:
				if (!role)
					return fail(e, M_CALL_ROLE);
				cw_part(&w, 1);
				if (!sig.p && !w.fc_signed)
					sig = (struct ir_str){ sig_placeholder, sizeof sig_placeholder - 1, IR_PLAIN };
				w.fc_signed = 1;
				if (write_call(o, &no_str, &p->b, &p->args, &sig) < 0)
					return fail(e, M_CALL_ARGS,
						    (int)(p->b.n > 64 ? 64 : p->b.n), p->b.p ? p->b.p : "");
				pend.p = NULL;
				break;
			case IR_TOOL_RESULT:
				if (write_tool_result(ir, idx, &w, e) < 0)
					return -1;
				break;
			}
		}
	}
	put(o, L_ "]", w.role >= 0 ? "]}" : "");
	if (w.role < 0)
		return fail(e, M_NO_MESSAGES);
	return 0;
}

/* generationConfig key k (gen_keys), after a comma unless it is the first. */
static void gkey(struct json_out *o, int *ng, unsigned k)
{
	put(o, L_ "\"" L_ "\":", (*ng)++ ? "," : "", fmt_list_nth(names.gen_keys, k));
}

static int gem_encode_request(const struct ir_request *ir, const char *model, struct json_out *o, char *err, size_t errlen)
{
	const struct er e = { err, errlen };
	(void)model;		/* it goes in the URL (request_path) */
	if (write_contents(ir, o, &e) < 0)
		return -1;
	if (ir->sys_n) {
		json_lit(o, ",\"systemInstruction\":{\"parts\":[");
		for (unsigned k = 0; k < ir->sys_n && ir->sys_first + k < ir->nparts; k++)
			put(o, L_ "{\"text\":" S_ "}", k ? "," : "", &ir->parts[ir->sys_first + k].text);
		json_lit(o, "]}");
	}
	if (ir->ntools) {
		json_lit(o, ",\"tools\":[{\"functionDeclarations\":[");
		for (unsigned t = 0; t < ir->ntools; t++) {
			const struct ir_tool *tl = &ir->tools[t];
			put(o, L_ "{\"name\":" S_, t ? "," : "", &tl->name);
			if (tl->description.p)
				put(o, ",\"description\":" S_, &tl->description);
			if (tl->parameters.p) {
				json_lit(o, ",\"parametersJsonSchema\":");
				if (ir_write_value(o, &tl->parameters) < 0)
					return fail(&e, M_TOOL_PARAMS);
			}
			json_lit(o, "}");
		}
		json_lit(o, "]}]");
	}
	if (ir->tool_choice != IR_TC_UNSET) {
		/* auto, none, required, tool -> AUTO, NONE, ANY, ANY (modes) */
		if (ir->tool_choice > IR_TC_TOOL)
			return fail(&e, M_TOOL_CHOICE);
		put(o, ",\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"" L_ "\"",
		    fmt_list_nth(names.modes, "\0\2\3\3"[ir->tool_choice - 1]));
		if (ir->tool_choice == IR_TC_TOOL)
			put(o, ",\"allowedFunctionNames\":[" S_ "]", &ir->tool_choice_name);
		json_lit(o, "}}");
	}
	/* generationConfig: written only when something goes in it. */
	size_t gstart = o->len;
	int ng = 0;
	json_lit(o, ",\"generationConfig\":{");
	const struct ir_str *nums[] = { &ir->temperature, &ir->top_p, &ir->top_k };
	for (unsigned k = G_TEMP; k <= G_TOPK; k++) {
		if (!nums[k]->p)
			continue;
		gkey(o, &ng, k);
		if (ir_write_value(o, nums[k]) < 0)
			return fail(&e, M_NOT_NUMBER, fmt_list_nth(names.gen_keys, k));
	}
	if (ir->max_tokens >= 0) {
		gkey(o, &ng, G_MAXTOK);
		json_i64(o, ir->max_tokens);
	}
	if (ir->nstop) {
		gkey(o, &ng, G_STOP);
		for (unsigned k = 0; k < ir->nstop; k++)
			put(o, L_ S_, k ? "," : "[", &ir->stop[k]);
		json_lit(o, "]");
	}
	if (ir->seed >= 0) {
		gkey(o, &ng, G_SEED);
		json_i64(o, ir->seed);
	}
	if (ir->format == IR_FMT_JSON_OBJECT || ir->format == IR_FMT_JSON_SCHEMA) {
		gkey(o, &ng, G_MIME);
		json_lit(o, "\"application/json\"");
		if (ir->format == IR_FMT_JSON_SCHEMA && ir->schema.p) {
			gkey(o, &ng, G_SCHEMA);
			if (ir_write_value(o, &ir->schema) < 0)
				return fail(&e, M_SCHEMA);
		}
	}
	int64_t budget = ir->thinking_budget;
	int include = budget > 0;
	if (budget < 0 && ir->reasoning.p) {
		/* low/medium/high, as Google maps OpenAI's reasoning_effort */
		static const int64_t budgets[] = { 1024, 8192, 24576 };
		const char *l = names.levels;
		for (unsigned k = 0; k < 3; k++)
			if (ir_str_eq(&ir->reasoning, l += strlen(l) + 1))
				budget = budgets[k];
	}
	if (budget >= 0) {
		gkey(o, &ng, G_THINK);
		put(o, "{\"thinkingBudget\":" I_ L_ "}", &budget, include ? ",\"includeThoughts\":true" : "");
	}
	if (!ng && !o->overflow)
		o->len = gstart;
	json_lit(o, ng ? "}}" : "}");
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
	int v[4], f[3], n = 0;
	struct ir_str text, sig;
	jgets(d, pt, N(part_keys), v);
	int fc = v[1], thought = json_is_true(d, v[3]);
	jgets(d, fc, N(fc_keys), f);
	str_tok(&text, d, v[0]);
	str_tok(&sig, d, v[2]);
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
		str_tok(&out[n].b, d, f[0]);
		args_str(&out[n].args, d, f[1]);
		id_str(&out[n].a, d, f[2]);
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
	int v[2];
	jgets(d, 0, N(ids), v);
	str_tok(id, d, v[0]);
	str_tok(model, d, v[1]);
}

/* The parts array of the first candidate cand (-1 when none). */
static int cand_parts(const struct json_doc *d, int *cand)
{
	*cand = json_index(d, jget(d, 0, N(k_cands)), 0);
	return jget(d, jget(d, *cand, N(k_content)), N(content_keys) + sizeof "role");	/* "parts" */
}

/* No candidates because the prompt was blocked. */
static int blocked(const struct json_doc *d)
{
	return jget(d, jget(d, 0, N(k_feedback)), N(k_block)) >= 0;
}

static int gem_decode_response(const struct json_doc *d, struct ir_response *r, char *err, size_t errlen)
{
	const struct er e = { err, errlen };
	int cand;
	r->nparts = 0;
	r->finish = IR_FIN_NONE;
	if (d->ntok < 1 || !json_is_object(d, 0))
		return fail(&e, M_RESP_OBJECT);
	resp_ids(d, &r->id, &r->model);
	usage_of(d, jget(d, 0, N(k_usage)), &r->usage);
	int parts = cand_parts(d, &cand);
	if (cand < 0) {
		if (blocked(d)) {
			r->finish = IR_FIN_CONTENT_FILTER;
			return 0;
		}
		return fail(&e, M_NO_CANDIDATES);
	}
	if (!json_is_object(d, cand))
		return fail(&e, M_CAND_OBJECT);
	unsigned ncalls = 0;
	for (int k = 0, np = array_len(d, parts), pt = parts + 1; k < np; k++, pt = json_skip(d, pt)) {
		struct ir_part two[2];
		int lone, call, n = part_ir(d, pt, two, &lone, &call);
		if (!n)
			continue;	/* inlineData, executableCode, ...: dropped */
		if (r->nparts + 2 > IR_MAX_PARTS || (call && ncalls >= IR_MAX_CALLS))
			return fail(&e, M_RESP_PARTS);
		for (int i = 0; i < n; i++) {
			int is_call = two[i].kind == IR_TOOL_CALL;
			if (is_call && !two[i].b.p)
				return fail(&e, M_RESP_FC_NAME);
			struct ir_part *p = &r->parts[r->nparts++];
			*p = two[i];
			if (is_call && !p->a.p)
				p->a = made_id(ncalls);
			ncalls += is_call;
		}
	}
	r->finish = finish_of(d, jget(d, cand, N(k_finish)));
	if (ncalls && (r->finish == IR_FIN_STOP || r->finish == IR_FIN_NONE))
		r->finish = IR_FIN_TOOL_CALLS;
	return 0;
}

/* ---- response encoding ---- */

static const char parts_end[] = "],\"role\":\"model\"},\"index\":0}]";

/* The tail of a response or chunk: the client's model name, the id, then
 * tail. */
static void model_ref(struct json_out *o, const char *model, const struct ir_str *id, const char *tail)
{
	put(o, ",\"modelVersion\":" C_, model ? model : "");
	if (id->p && id->n)
		put(o, ",\"responseId\":" S_ L_, id, tail);
	else
		json_lit(o, tail);
}

static void gem_encode_response(const struct ir_response *r, const char *model, struct json_out *o)
{
	int np = 0, malformed = 0;
	struct ir_str pend = no_str;
	json_lit(o, "{\"candidates\":[{\"content\":{\"parts\":[");
	for (unsigned k = 0; k < r->nparts; k++) {
		const struct ir_part *p = &r->parts[k];
		struct ir_str sig = p->sig.p ? p->sig : pend;
		size_t st = o->len;
		if (np)
			json_lit(o, ",");
		switch (p->kind) {
		case IR_TEXT:
			write_text(o, &p->text, 0, &sig);
			break;
		case IR_THINKING:
			if (!p->text.p || p->text.n == 0) {
				if (p->sig.p && k + 1 < r->nparts)
					pend = p->sig;	/* rides on the next part */
				if (!p->sig.p || k + 1 < r->nparts) {
					o->len = st;
					continue;
				}
			}
			write_text(o, &p->text, 1, &p->sig);
			break;
		case IR_TOOL_CALL:
			if (write_call(o, &p->a, &p->b, &p->args, &sig) < 0) {
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
	if (malformed || r->finish != IR_FIN_NONE)
		put(o, "],\"role\":\"model\"},\"finishReason\":\"" L_ "\",\"index\":0}]",
		    finish_name(malformed ? -1 : r->finish));
	else
		json_lit(o, parts_end);
	write_usage(o, &r->usage);
	model_ref(o, model, &r->id, "}");
}

/* ---- errors ---- */

static const uint8_t gclass[] = {
	IR_ERR_INVALID, IR_ERR_INVALID, IR_ERR_INVALID, IR_ERR_AUTH, IR_ERR_PERMISSION, IR_ERR_NOT_FOUND,
	IR_ERR_RATE_LIMIT, IR_ERR_SERVER, IR_ERR_SERVER, IR_ERR_SERVER, IR_ERR_OVERLOADED, IR_ERR_TIMEOUT,
};
static const uint8_t class_status[] = {
	[IR_ERR_INVALID] = 0, [IR_ERR_AUTH] = 3, [IR_ERR_BILLING] = 1, [IR_ERR_PERMISSION] = 4,
	[IR_ERR_NOT_FOUND] = 5, [IR_ERR_TOO_LARGE] = 0, [IR_ERR_RATE_LIMIT] = 6, [IR_ERR_SERVER] = 7,
	[IR_ERR_OVERLOADED] = 10, [IR_ERR_TIMEOUT] = 11,
};

static int key_invalid(const struct json_doc *d, int eobj, int msg)
{
	int det = jget(d, eobj, N(k_details));
	for (int k = 0, n = array_len(d, det), it = det + 1; k < n; k++, it = json_skip(d, it))
		if (json_str_eq(d, jget(d, it, N(k_reason)), "API_KEY_INVALID"))
			return 1;
	return json_is_string(d, msg) && fmt_find(json_raw(d, msg), json_raw_len(d, msg), "API key not valid", 17);
}

/* Fills e from the "error" object eobj (or nothing) and the HTTP status. */
static void error_of(const struct json_doc *d, int eobj, int status, struct ir_error *e)
{
	memset(e, 0, sizeof *e);
	int v[3];
	jgets(d, eobj, N(err_keys), v);
	int code = v[0], msg = v[1], st = v[2];
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
		int k = str_index(d, st, N(gnames));
		e->cls = k < 0 ? IR_ERR_SERVER : gclass[k];
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
		eobj = jget(d, json_is_array(d, 0) ? json_index(d, 0, 0) : 0, N(k_error));
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
	const char *st = fmt_list_nth(names.gnames, e->cls < sizeof class_status ? class_status[e->cls] : 0);
	/* a Gemini provider's own status name, when it agrees with the class */
	const char *n = names.gnames;
	for (unsigned k = 0; e->type.p && *n; k++, n += strlen(n) + 1)
		if (gclass[k] == e->cls && ir_str_eq(&e->type, n))
			st = n;
	int64_t code = e->cls == IR_ERR_OVERLOADED ? 503 : e->status >= 400 && e->status <= 599 ? e->status : ir_err_status(e->cls);
	put(o, "{\"error\":{\"code\":" I_ ",\"message\":", &code);
	if (e->message.p)
		ir_write_string(o, &e->message);
	else
		json_cstr(o, e->cls == IR_ERR_RATE_LIMIT ? "Resource has been exhausted (e.g. check quota)."
			     : e->cls == IR_ERR_OVERLOADED ? "The model is overloaded. Please try again later."
			     : "The request failed.");
	put(o, ",\"status\":\"" L_ "\"}}", st);
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
	int eobj = jget(d, 0, N(k_error));
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
		int fr = jget(d, cand, N(k_finish));
		uint8_t f = json_is_string(d, fr) ? finish_of(d, fr)
			  : cand < 0 && blocked(d) ? IR_FIN_CONTENT_FILTER : IR_FIN_NONE;
		if (f) {
			g->finished = 1;
			ev.finish = f == IR_FIN_STOP && g->ncalls ? IR_FIN_TOOL_CALLS : f;
			emit(s, &ev, EV_FINISH);
		}
	}
	if (g->finished) {
		int um = jget(d, 0, N(k_usage));
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

/* "data: ", or the array's "[" / ",\r\n" before a chunk. */
static void chunk_begin(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	json_lit(o, s->sse ? "data: " : e->nchunks ? ",\r\n" : "[");
	e->nchunks++;
}

static void chunk_end(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	struct ir_str id = { e->rid, e->rid_len, IR_RAW };
	model_ref(o, s->model, &id, s->sse ? "}\r\n\r\n" : "}");
}

static void parts_open(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	chunk_begin(s, e, o);
	json_lit(o, "{\"candidates\":[{\"content\":{\"parts\":[");
}

static void parts_close(struct xlate_stream *s, struct gem_enc *e, struct json_out *o)
{
	json_lit(o, parts_end);
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
	int blank = skip_ws(args.p, args.n) == args.n;
	if (e->scratch_full || (args.kind != IR_RAW && !blank && json_valid(args.p, args.n) != 0)) {
		e->malformed = 1;
		return;
	}
	if (args.kind != IR_RAW && blank)
		args.n = 0;
	size_t st = o->len;
	uint32_t nc = e->nchunks;
	parts_open(s, e, o);
	if (write_call(o, &id, &name, &args, &no_str) < 0) {
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
	case EV_THINKING:
		flush_call(s, e, o);
		if ((!ev->text.p || ev->text.n == 0) && (ev->kind == EV_TEXT || !ev->sig.p))
			break;
		parts_open(s, e, o);
		write_text(o, &ev->text, ev->kind == EV_THINKING, ev->kind == EV_THINKING ? &ev->sig : &no_str);
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
		put(o, "{\"candidates\":[{\"finishReason\":\"" L_ "\",\"index\":0}]",
		    finish_name(e->malformed ? -1 : s->finish));
		write_usage(o, &s->usage);
		chunk_end(s, e, o);
		if (!s->sse)
			json_lit(o, "]");
		e->done = 1;
		break;
	case EV_ERROR:
		chunk_begin(s, e, o);
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
	.usage_key = names.k_usage,
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
