/*
 * test_dialect_gemini.c - the Gemini dialect (src/dialect_gemini.c):
 * request/response/error decoding from fixtures shaped like the Gemini API
 * reference, exact encoder output from hand-built IR, round trips, stream
 * decoding fed in random slices, stream encoding (SSE and JSON array), and
 * malformed input.
 */
#include <stdlib.h>
#include "dialect.h"
#include "test.h"
#include "test_stream.h"

#define MAXTOK 4096
static jsmntok_t tok[MAXTOK], stok[MAXTOK];
static struct ir_part parts[IR_MAX_PARTS];
static struct ir_msg msgs[IR_MAX_MSGS];
static struct ir_tool tools[IR_MAX_TOOLS];
static ir_call_id call_ids[IR_MAX_PARTS];
static char out[65536], scratch[65536], err[256];
static const struct dialect_ops *G = &dialect_gemini;

static int parse(struct json_doc *d, const char *s)
{
	return json_parse(d, s, strlen(s), tok, MAXTOK);
}

static void ir_init(struct ir_request *ir)
{
	ir->parts = parts;
	ir->msgs = msgs;
	ir->tools = tools;
	ir->call_ids = call_ids;
	ir_request_init(ir);
}

static int decode_req(struct ir_request *ir, const char *js)
{
	static struct json_doc d;
	ir_init(ir);
	err[0] = 0;
	if (parse(&d, js) < 1)
		return -2;
	return G->decode_request(&d, ir, err, sizeof err);
}

static int str_is(const struct ir_str *s, const char *lit)
{
	return ir_str_eq(s, lit);
}

/* Strips blanks outside strings, so expectations can be written readably. */
static const char *squeeze(const char *s)
{
	static char buf[16384];
	size_t n = 0;
	int in = 0;
	for (; *s && n + 1 < sizeof buf; s++) {
		if (in) {
			buf[n++] = *s;
			if (*s == '\\' && s[1])
				buf[n++] = *++s;
			else if (*s == '"')
				in = 0;
		} else if (*s == '"') {
			in = 1;
			buf[n++] = *s;
		} else if (*s != ' ' && *s != '\n' && *s != '\t') {
			buf[n++] = *s;
		}
	}
	buf[n] = 0;
	return buf;
}

#define CHECK_OUT(o, exp) do { const char *e_ = squeeze(exp); \
	if ((o).len != strlen(e_) || memcmp((o).buf, e_, (o).len)) { \
		fprintf(stderr, "  %s:%d: got\n    %.*s\n  expected\n    %s\n", __FILE__, __LINE__, (int)(o).len, (o).buf, e_); \
		test_cur_failed = 1; } } while (0)

/* ---- request decoding ---- */

static const char *REQ_FULL =
	"{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},"
	"\"contents\":["
	"{\"role\":\"user\",\"parts\":[{\"text\":\"Weather in Paris and Rome?\"},"
	"{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}}]},"
	"{\"role\":\"model\",\"parts\":[{\"text\":\"thinking...\",\"thought\":true},"
	"{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},\"thoughtSignature\":\"c2ln\"},"
	"{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Rome\"}}}]},"
	"{\"role\":\"user\",\"parts\":["
	"{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"result\":\"sunny\"}}},"
	"{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"temp\":21,\"sky\":\"clear\"}}},"
	"{\"text\":\"Thanks\"}]}],"
	"\"tools\":[{\"functionDeclarations\":[{\"name\":\"get_weather\",\"description\":\"Get weather\","
	"\"parametersJsonSchema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}]}],"
	"\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"get_weather\"]}},"
	"\"safetySettings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"threshold\":\"BLOCK_NONE\"}],"
	"\"generationConfig\":{\"temperature\":0.5,\"topP\":0.9,\"topK\":40,\"maxOutputTokens\":256,"
	"\"stopSequences\":[\"END\"],\"seed\":7,\"responseMimeType\":\"application/json\","
	"\"responseJsonSchema\":{\"type\":\"object\"},\"thinkingConfig\":{\"thinkingBudget\":512}}}";

TEST(decode_request_full)
{
	struct ir_request ir;
	REQUIRE(decode_req(&ir, REQ_FULL) == 0);
	CHECK_EQ_INT(ir.sys_n, 1);
	CHECK(str_is(&ir.parts[ir.sys_first].text, "Be brief."));
	/* user, assistant, tool, user */
	REQUIRE(ir.nmsgs == 4);
	CHECK_EQ_INT(ir.msgs[0].role, IR_USER);
	CHECK_EQ_INT(ir.msgs[0].n, 2);
	CHECK_EQ_INT(ir.msgs[1].role, IR_ASSISTANT);
	CHECK_EQ_INT(ir.msgs[1].n, 3);
	CHECK_EQ_INT(ir.msgs[2].role, IR_TOOL);
	CHECK_EQ_INT(ir.msgs[2].n, 2);
	CHECK_EQ_INT(ir.msgs[3].role, IR_USER);
	const struct ir_part *u = &ir.parts[ir.msgs[0].first];
	CHECK_EQ_INT(u[0].kind, IR_TEXT);
	CHECK(str_is(&u[0].text, "Weather in Paris and Rome?"));
	CHECK_EQ_INT(u[1].kind, IR_IMAGE);
	CHECK(!u[1].is_url);
	CHECK(str_is(&u[1].a, "image/png"));
	CHECK(str_is(&u[1].b, "iVBORw0KGgo="));
	const struct ir_part *a = &ir.parts[ir.msgs[1].first];
	CHECK_EQ_INT(a[0].kind, IR_THINKING);
	CHECK(str_is(&a[0].text, "thinking..."));
	CHECK_EQ_INT(a[1].kind, IR_TOOL_CALL);
	CHECK(str_is(&a[1].a, "call_0000"));
	CHECK(str_is(&a[1].b, "get_weather"));
	CHECK_EQ_INT(a[1].args.kind, IR_JSON);
	CHECK_EQ_STR(a[1].args.p, a[1].args.n, "{\"city\":\"Paris\"}");
	CHECK(str_is(&a[1].sig, "c2ln"));
	CHECK(str_is(&a[2].a, "call_0001"));
	/* made-up ids are written in this IR's own storage, not a shared table */
	CHECK(a[1].a.p == ir.call_ids[0] && a[2].a.p == ir.call_ids[1]);
	CHECK(!a[2].sig.p);
	const struct ir_part *t = &ir.parts[ir.msgs[2].first];
	CHECK_EQ_INT(t[0].kind, IR_TOOL_RESULT);
	CHECK(str_is(&t[0].a, "call_0000"));	/* in order: first unanswered call of that name */
	CHECK(str_is(&t[0].b, "get_weather"));
	CHECK_EQ_INT(t[0].text.kind, IR_RAW);
	CHECK(str_is(&t[0].text, "sunny"));
	CHECK(str_is(&t[1].a, "call_0001"));
	CHECK_EQ_INT(t[1].text.kind, IR_JSON);
	CHECK_EQ_STR(t[1].text.p, t[1].text.n, "{\"temp\":21,\"sky\":\"clear\"}");
	CHECK(str_is(&ir.parts[ir.msgs[3].first].text, "Thanks"));
	REQUIRE(ir.ntools == 1);
	CHECK(str_is(&ir.tools[0].name, "get_weather"));
	CHECK(str_is(&ir.tools[0].description, "Get weather"));
	CHECK_EQ_STR(ir.tools[0].parameters.p, ir.tools[0].parameters.n,
		     "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");
	CHECK_EQ_INT(ir.tool_choice, IR_TC_TOOL);
	CHECK(str_is(&ir.tool_choice_name, "get_weather"));
	CHECK_EQ_STR(ir.temperature.p, ir.temperature.n, "0.5");
	CHECK_EQ_STR(ir.top_p.p, ir.top_p.n, "0.9");
	CHECK_EQ_STR(ir.top_k.p, ir.top_k.n, "40");
	CHECK_EQ_INT(ir.max_tokens, 256);
	CHECK_EQ_INT(ir.nstop, 1);
	CHECK(str_is(&ir.stop[0], "END"));
	CHECK_EQ_INT(ir.seed, 7);
	CHECK_EQ_INT(ir.format, IR_FMT_JSON_SCHEMA);
	CHECK_EQ_STR(ir.schema.p, ir.schema.n, "{\"type\":\"object\"}");
	CHECK_EQ_INT(ir.thinking_budget, 512);
}

TEST(decode_request_snake_case_and_variants)
{
	struct ir_request ir;
	REQUIRE(decode_req(&ir,
		"{\"system_instruction\":\"Plain string system\","
		"\"contents\":[{\"parts\":[{\"text\":\"hi\"},{\"file_data\":{\"mime_type\":\"image/jpeg\",\"file_uri\":\"https://x/y.jpg\"}}]},"
		"{\"role\":\"model\",\"parts\":[{\"function_call\":{\"id\":\"fc-9\",\"name\":\"f\"}}]},"
		"{\"role\":\"user\",\"parts\":[{\"function_response\":{\"id\":\"fc-9\",\"name\":\"f\",\"response\":{\"error\":\"boom\"}}}]}],"
		"\"tool_config\":{\"function_calling_config\":{\"mode\":\"NONE\"}},"
		"\"generation_config\":{\"max_output_tokens\":99,\"stop_sequences\":[\"a\",\"b\"],"
		"\"thinking_config\":{\"thinking_level\":\"HIGH\"}}}") == 0);
	CHECK_EQ_INT(ir.sys_n, 1);
	CHECK(str_is(&ir.parts[ir.sys_first].text, "Plain string system"));
	REQUIRE(ir.nmsgs == 3);
	const struct ir_part *u = &ir.parts[ir.msgs[0].first];
	CHECK_EQ_INT(u[1].kind, IR_IMAGE);
	CHECK(u[1].is_url);
	CHECK(str_is(&u[1].a, "image/jpeg"));
	CHECK(str_is(&u[1].b, "https://x/y.jpg"));
	const struct ir_part *c = &ir.parts[ir.msgs[1].first];
	CHECK(str_is(&c->a, "fc-9"));
	CHECK_EQ_STR(c->args.p, c->args.n, "{}");
	const struct ir_part *r = &ir.parts[ir.msgs[2].first];
	CHECK(str_is(&r->a, "fc-9"));
	CHECK(r->is_error);
	CHECK(str_is(&r->text, "boom"));
	CHECK_EQ_INT(ir.tool_choice, IR_TC_NONE);
	CHECK_EQ_INT(ir.max_tokens, 99);
	CHECK_EQ_INT(ir.nstop, 2);
	CHECK(str_is(&ir.reasoning, "high"));
	CHECK_EQ_INT(ir.format, IR_FMT_TEXT);
}

TEST(decode_request_refusals)
{
	struct ir_request ir;
	CHECK(decode_req(&ir, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
			      "\"generationConfig\":{\"candidateCount\":2}}") == -1);
	CHECK(strstr(err, "candidateCount") != NULL);
	CHECK(decode_req(&ir, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
			      "\"tools\":[{\"googleSearch\":{}}]}") == -1);
	CHECK(strstr(err, "googleSearch") != NULL);
	CHECK(decode_req(&ir, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"functionResponse\":"
			      "{\"name\":\"f\",\"response\":{}}}]}]}") == -1);
	CHECK(strstr(err, "no earlier functionCall") != NULL);
	CHECK(decode_req(&ir, "{\"contents\":[]}") == -1);
	CHECK(decode_req(&ir, "{\"contents\":[{\"role\":\"bot\",\"parts\":[]}]}") == -1);
	CHECK(decode_req(&ir, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"executableCode\":{\"code\":\"1\"}}]}]}") == -1);
	CHECK(decode_req(&ir, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],\"cachedContent\":\"c/1\"}") == -1);
	CHECK(decode_req(&ir, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
			      "\"generationConfig\":{\"temperature\":\"hot\"}}") == -1);
	CHECK(decode_req(&ir, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],"
			      "\"generationConfig\":{\"responseMimeType\":\"text/x.enum\"}}") == -1);
	CHECK(decode_req(&ir, "[1,2]") == -1);
	CHECK(decode_req(&ir, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":5}]}]}") == -1);
}

/* ---- request encoding ---- */

TEST(encode_request_from_ir)
{
	struct ir_request ir;
	ir_init(&ir);
	static char args[] = "{\\\"q\\\":\\\"x\\\"}";	/* as in OpenAI's arguments string */
	parts[0] = (struct ir_part){ .kind = IR_TEXT, .text = ir_plain("sys", 3) };
	parts[1] = (struct ir_part){ .kind = IR_TEXT, .text = ir_plain("hi \"you\"", 8) };
	parts[2] = (struct ir_part){ .kind = IR_TEXT, .text = ir_plain("ok", 2) };
	parts[3] = (struct ir_part){ .kind = IR_TOOL_CALL, .a = ir_plain("call_a", 6), .b = ir_plain("search", 6),
				     .args = { args, sizeof args - 1, IR_RAW } };
	parts[4] = (struct ir_part){ .kind = IR_TOOL_CALL, .a = ir_plain("call_b", 6), .b = ir_plain("search", 6),
				     .args = { "", 0, IR_RAW } };
	parts[5] = (struct ir_part){ .kind = IR_TOOL_RESULT, .a = ir_plain("call_a", 6), .b = ir_plain("search", 6),
				     .text = ir_plain("found", 5) };
	parts[6] = (struct ir_part){ .kind = IR_TOOL_RESULT, .a = ir_plain("call_b", 6),
				     .text = ir_plain("{\"n\":1}", 7) };
	parts[7] = (struct ir_part){ .kind = IR_TEXT, .text = ir_plain("next", 4) };
	ir.sys_first = 0;
	ir.sys_n = 1;
	msgs[0] = (struct ir_msg){ IR_USER, 1, 1 };
	msgs[1] = (struct ir_msg){ IR_ASSISTANT, 2, 3 };
	msgs[2] = (struct ir_msg){ IR_TOOL, 5, 1 };
	msgs[3] = (struct ir_msg){ IR_TOOL, 6, 1 };
	msgs[4] = (struct ir_msg){ IR_USER, 7, 1 };
	ir.nparts = 8;
	ir.nmsgs = 5;
	tools[0] = (struct ir_tool){ ir_plain("search", 6), ir_plain("Search it", 9), { "{\"type\":\"object\"}", 17, IR_JSON } };
	ir.ntools = 1;
	ir.tool_choice = IR_TC_REQUIRED;
	ir.max_tokens = 100;
	ir.temperature = (struct ir_str){ "0.2", 3, IR_JSON };
	ir.stop[0] = ir_plain("STOP", 4);
	ir.nstop = 1;
	ir.format = IR_FMT_JSON_OBJECT;
	ir.reasoning = ir_plain("medium", 6);
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	REQUIRE(G->encode_request(&ir, "gemini-2.5-flash", &o, err, sizeof err) == 0);
	REQUIRE(!o.overflow);
	CHECK_OUT(o, "{\"contents\":["
		"{\"role\":\"user\",\"parts\":[{\"text\":\"hi \\\"you\\\"\"}]},"
		"{\"role\":\"model\",\"parts\":[{\"text\":\"ok\"},"
		"{\"functionCall\":{\"name\":\"search\",\"args\":{\"q\":\"x\"}},\"thoughtSignature\":\"skip_thought_signature_validator\"},"
		"{\"functionCall\":{\"name\":\"search\",\"args\":{}}}]},"
		"{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"search\",\"response\":{\"result\":\"found\"}}},"
		"{\"functionResponse\":{\"name\":\"search\",\"response\":{\"n\":1}}},{\"text\":\"next\"}]}],"
		"\"systemInstruction\":{\"parts\":[{\"text\":\"sys\"}]},"
		"\"tools\":[{\"functionDeclarations\":[{\"name\":\"search\",\"description\":\"Search it\","
		"\"parametersJsonSchema\":{\"type\":\"object\"}}]}],"
		"\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\"}},"
		"\"generationConfig\":{\"temperature\":0.2,\"maxOutputTokens\":100,\"stopSequences\":[\"STOP\"],"
		"\"responseMimeType\":\"application/json\",\"thinkingConfig\":{\"thinkingBudget\":8192}}}");
}

TEST(encode_request_signatures_and_refusals)
{
	struct ir_request ir;
	ir_init(&ir);
	/* A signature-only thinking part rides on the call after it; thought
	 * text without a signature is dropped. */
	parts[0] = (struct ir_part){ .kind = IR_TEXT, .text = ir_plain("q", 1) };
	parts[1] = (struct ir_part){ .kind = IR_THINKING, .text = ir_plain("hmm", 3) };
	parts[2] = (struct ir_part){ .kind = IR_THINKING, .text = ir_plain("", 0), .sig = ir_plain("U0lH", 4) };
	parts[3] = (struct ir_part){ .kind = IR_TOOL_CALL, .a = ir_plain("t1", 2), .b = ir_plain("f", 1),
				     .args = { "{\"a\":1}", 7, IR_JSON } };
	parts[4] = (struct ir_part){ .kind = IR_TOOL_RESULT, .a = ir_plain("t1", 2), .is_error = 1,
				     .text = ir_plain("bad", 3) };
	msgs[0] = (struct ir_msg){ IR_USER, 0, 1 };
	msgs[1] = (struct ir_msg){ IR_ASSISTANT, 1, 3 };
	msgs[2] = (struct ir_msg){ IR_TOOL, 4, 1 };
	ir.nparts = 5;
	ir.nmsgs = 3;
	ir.tool_choice = IR_TC_TOOL;
	ir.tool_choice_name = ir_plain("f", 1);
	ir.thinking_budget = 2048;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	REQUIRE(G->encode_request(&ir, "m", &o, err, sizeof err) == 0);
	CHECK_OUT(o, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"q\"}]},"
		"{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{\"a\":1}},\"thoughtSignature\":\"U0lH\"}]},"
		"{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"f\",\"response\":{\"error\":\"bad\"}}}]}],"
		"\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"f\"]}},"
		"\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":2048,\"includeThoughts\":true}}}");

	/* A result whose call is unknown: no name, refused. */
	parts[4].a = ir_plain("zz", 2);
	json_out_init(&o, out, sizeof out);
	CHECK(G->encode_request(&ir, "m", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "tool result for call zz has no function name") != NULL);
	/* Arguments that are not JSON: refused. */
	parts[4].a = ir_plain("t1", 2);
	parts[3].args = (struct ir_str){ "{oops", 5, IR_RAW };
	json_out_init(&o, out, sizeof out);
	CHECK(G->encode_request(&ir, "m", &o, err, sizeof err) == -1);
	CHECK(strstr(err, "not valid JSON") != NULL);
}

/* The refusal messages word for word (they are assembled from shared
 * phrases, so each phrase and argument kind is covered once). */
/* Every member the decoder reads has the one JSON type the API gives it
 * (null: absent), in either spelling; anything else is a 400 naming it. */
TEST(wrongly_typed_members)
{
#define C "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],"
	static const char *const cases[][2] = {
		{ C "\"generationConfig\":{\"maxOutputTokens\":1e400}}",
		  "generationConfig.maxOutputTokens must be an integer from 0 to 2147483647" },
		{ C "\"generationConfig\":{\"maxOutputTokens\":12345678901234567890123456}}",
		  "generationConfig.maxOutputTokens must be an integer from 0 to 2147483647" },
		{ C "\"generation_config\":{\"max_output_tokens\":\"5\"}}",
		  "generationConfig.maxOutputTokens must be an integer from 0 to 2147483647" },
		{ C "\"generationConfig\":{\"temperature\":1e400}}", "generationConfig.temperature must be a number" },
		{ C "\"generationConfig\":{\"responseMimeType\":1}}", "generationConfig.responseMimeType must be a string" },
		{ C "\"generationConfig\":{\"thinkingConfig\":\"x\"}}", "generationConfig.thinkingConfig must be an object" },
		{ C "\"generationConfig\":{\"thinkingConfig\":{\"thinkingBudget\":\"5\"}}}",
		  "generationConfig.thinkingConfig.thinkingBudget must be an integer" },
		{ C "\"generationConfig\":{\"thinkingConfig\":{\"thinkingLevel\":2}}}",
		  "generationConfig.thinkingConfig.thinkingLevel must be a string" },
		{ C "\"toolConfig\":\"x\"}", "toolConfig must be an object" },
		{ C "\"toolConfig\":{\"functionCallingConfig\":[]}}", "toolConfig.functionCallingConfig must be an object" },
		{ C "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":1}}}",
		  "toolConfig.functionCallingConfig.mode must be a string" },
		{ C "\"systemInstruction\":5}", "systemInstruction must be a string or an object" },
		{ "{\"contents\":\"x\"}", "contents must be an array" },
	};
#undef C
	struct ir_request ir;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		CHECK(decode_req(&ir, cases[k][0]) == -1);
		if (strcmp(err, cases[k][1]) != 0) {
			fprintf(stderr, "  case %zu: got \"%s\"\n", k, err);
			test_cur_failed = 1;
		}
	}
	REQUIRE(decode_req(&ir, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"systemInstruction\":null,\"tools\":null,"
			   "\"toolConfig\":null,\"generationConfig\":{\"maxOutputTokens\":null,\"temperature\":null,"
			   "\"thinkingConfig\":{\"thinkingBudget\":-1}}}") == 0);
	CHECK(ir.max_tokens == -1 && ir.thinking_budget == -1 && !ir.temperature.p);
	REQUIRE(decode_req(&ir, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"maxOutputTokens\":2147483647}}") == 0);
	CHECK(ir.max_tokens == 2147483647);
}

TEST(refusal_messages_exact)
{
	static const char *const cases[][2] = {
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"cachedContent\":\"c/1\"}",
		  "cachedContent cannot be translated to another provider" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"tools\":[{\"googleSearch\":{}}]}",
		  "tool type \"googleSearch\" cannot be translated to another provider" },
		{ "{\"contents\":[{\"parts\":[{\"executable_code\":{}}]}]}",
		  "executableCode parts cannot be translated to another provider" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"responseMimeType\":\"text/x.enum\"}}",
		  "responseMimeType text/x.enum cannot be translated to another provider" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":[]}",
		  "generationConfig must be an object" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"topK\":\"9\"}}",
		  "generationConfig.topK must be a number" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"seed\":1.5}}",
		  "generationConfig.seed must be an integer" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"stopSequences\":\"x\"}}",
		  "generationConfig.stopSequences must be an array" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"tools\":{}}", "tools must be an array" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"tools\":[1]}", "tools[0] must be an object" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"tools\":[{\"functionDeclarations\":[{}]}]}",
		  "a function declaration needs a name" },
		{ "{\"systemInstruction\":{\"parts\":[{\"inlineData\":{}}]},\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}",
		  "systemInstruction parts must be text" },
		{ "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]},{\"role\":\"bot\",\"parts\":[]}]}",
		  "contents[1].role must be user or model" },
		{ "{\"contents\":[{\"parts\":[{\"functionResponse\":{\"response\":{}}}]}]}",
		  "functionResponse needs a name" },
		{ "{\"contents\":[{\"parts\":[{\"functionResponse\":{\"name\":\"f\",\"response\":{}}}]}]}",
		  "functionResponse \"f\" answers no earlier functionCall" },
		{ "{\"contents\":[{\"parts\":[{\"functionCall\":{\"name\":\"f\"}}]}]}",
		  "functionCall belongs in a model turn" },
		{ "{\"contents\":[{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":1}}]}]}",
		  "functionCall.args must be an object" },
	};
	struct ir_request ir;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		CHECK(decode_req(&ir, cases[k][0]) == -1);
		if (strcmp(err, cases[k][1]) != 0) {
			fprintf(stderr, "  case %zu: got \"%s\"\n", k, err);
			test_cur_failed = 1;
		}
	}
	/* Limits: one declaration more than IR_MAX_TOOLS. */
	static char big[16384];
	size_t n = (size_t)snprintf(big, sizeof big, "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],"
				   "\"tools\":[{\"functionDeclarations\":[");
	for (int t = 0; t <= IR_MAX_TOOLS; t++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"name\":\"f%d\"}", t ? "," : "", t);
	snprintf(big + n, sizeof big - n, "]}]}");
	CHECK(decode_req(&ir, big) == -1);
	CHECK(strcmp(err, "too many tools (limit 128)") == 0);

	/* Encoder refusals. */
	ir_init(&ir);
	parts[0] = (struct ir_part){ .kind = IR_TEXT, .text = ir_plain("q", 1) };
	msgs[0] = (struct ir_msg){ IR_USER, 0, 1 };
	tools[0] = (struct ir_tool){ .name = ir_plain("f", 1), .parameters = { "{bad", 4, IR_RAW } };
	ir.nparts = 1;
	ir.nmsgs = 1;
	ir.ntools = 1;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	CHECK(G->encode_request(&ir, "m", &o, err, sizeof err) == -1);
	CHECK(strcmp(err, "the parameters of a tool are not valid JSON") == 0);
	ir.ntools = 0;
	ir.nmsgs = 0;
	json_out_init(&o, out, sizeof out);
	CHECK(G->encode_request(&ir, "m", &o, err, sizeof err) == -1);
	CHECK(strcmp(err, "no messages to send") == 0);
	/* A short buffer gets the message's beginning. */
	char small[12];
	CHECK(G->decode_request(&(struct json_doc){ 0 }, &ir, small, sizeof small) == -1);
	CHECK(strcmp(small, "the request") == 0);
}

TEST(request_round_trip)
{
	/* Written in the encoder's order, so decode + encode gives it back
	 * byte for byte. */
	const char *in = squeeze("{\"contents\":["
		"{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\\nthere\"},{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"AAAA\"}}]},"
		"{\"role\":\"model\",\"parts\":[{\"text\":\"t\",\"thought\":true,\"thoughtSignature\":\"czE=\"},"
		"{\"functionCall\":{\"name\":\"f\",\"args\":{\"x\":[1,2]}},\"thoughtSignature\":\"czI=\"},"
		"{\"functionCall\":{\"name\":\"g\",\"args\":{}}}]},"
		"{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"f\",\"response\":{\"result\":\"r1\"}}},"
		"{\"functionResponse\":{\"name\":\"g\",\"response\":{\"a\":1,\"b\":2}}}]}],"
		"\"systemInstruction\":{\"parts\":[{\"text\":\"S1\"},{\"text\":\"S2\"}]},"
		"\"tools\":[{\"functionDeclarations\":[{\"name\":\"f\",\"parametersJsonSchema\":{\"type\":\"object\"}},{\"name\":\"g\"}]}],"
		"\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"AUTO\"}},"
		"\"generationConfig\":{\"temperature\":1,\"topP\":0.5,\"topK\":3,\"maxOutputTokens\":10,"
		"\"stopSequences\":[\"x\",\"y\"],\"seed\":1,\"responseMimeType\":\"application/json\","
		"\"responseJsonSchema\":{\"type\":\"array\"}}}");
	static char copy[8192];
	strcpy(copy, in);
	struct ir_request ir;
	REQUIRE(decode_req(&ir, copy) == 0);
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	REQUIRE(G->encode_request(&ir, "m", &o, err, sizeof err) == 0);
	CHECK_OUT(o, copy);
}

TEST(request_path)
{
	char b[128];
	CHECK(G->request_path("gemini-2.5-pro", 0, b, sizeof b) == 0);
	CHECK(strcmp(b, "/v1beta/models/gemini-2.5-pro:generateContent") == 0);
	CHECK(G->request_path("prov/model", 1, b, sizeof b) == 0);
	CHECK(strcmp(b, "/v1beta/models/prov/model:streamGenerateContent?alt=sse") == 0);
	CHECK(G->request_path("a?b", 0, b, sizeof b) == -1);
	CHECK(G->request_path("a#b", 0, b, sizeof b) == -1);
	CHECK(G->request_path("a b", 0, b, sizeof b) == -1);
	CHECK(G->request_path("a\nb", 0, b, sizeof b) == -1);
	CHECK(G->request_path("", 0, b, sizeof b) == -1);
	CHECK(G->request_path("gemini-2.5-pro", 0, b, 20) == -1);
}

/* ---- responses ---- */

static int decode_resp(struct ir_response *r, const char *js)
{
	static struct json_doc d;
	memset(r, 0, sizeof *r);
	r->parts = parts;
	if (parse(&d, js) < 1)
		return -2;
	return G->decode_response(&d, r, err, sizeof err);
}

TEST(decode_response_tool_calls_and_usage)
{
	struct ir_response r;
	REQUIRE(decode_resp(&r,
		"{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
		"{\"text\":\"Let me check.\"},"
		"{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},\"thoughtSignature\":\"QUJD\"},"
		"{\"functionCall\":{\"name\":\"get_time\",\"args\":{}}}]},"
		"\"finishReason\":\"STOP\",\"index\":0,\"safetyRatings\":[]}],"
		"\"usageMetadata\":{\"promptTokenCount\":100,\"candidatesTokenCount\":20,\"totalTokenCount\":150,"
		"\"cachedContentTokenCount\":60,\"thoughtsTokenCount\":30},"
		"\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"abc123\"}") == 0);
	CHECK_EQ_INT(r.finish, IR_FIN_TOOL_CALLS);
	REQUIRE(r.nparts == 4);
	CHECK_EQ_INT(parts[0].kind, IR_TEXT);
	CHECK_EQ_INT(parts[1].kind, IR_THINKING);	/* the signature, before its call */
	CHECK_EQ_INT(parts[1].text.n, 0);
	CHECK(str_is(&parts[1].sig, "QUJD"));
	CHECK_EQ_INT(parts[2].kind, IR_TOOL_CALL);
	CHECK(str_is(&parts[2].a, "call_0000"));
	CHECK(str_is(&parts[2].b, "get_weather"));
	CHECK_EQ_STR(parts[2].args.p, parts[2].args.n, "{\"city\":\"Paris\"}");
	CHECK(str_is(&parts[3].a, "call_0001"));
	CHECK(parts[2].a.p == r.call_ids[0] && parts[3].a.p == r.call_ids[1]);	/* the response's own storage */
	CHECK(r.usage.have);
	CHECK_EQ_INT(r.usage.input, 100);
	CHECK_EQ_INT(r.usage.output, 50);
	CHECK_EQ_INT(r.usage.reasoning, 30);
	CHECK_EQ_INT(r.usage.cached, 60);
	CHECK(str_is(&r.id, "abc123"));
	CHECK(str_is(&r.model, "gemini-2.5-flash"));
}

TEST(decode_response_finish_reasons)
{
	static const struct { const char *fr; uint8_t want; } cases[] = {
		{ "STOP", IR_FIN_STOP }, { "MAX_TOKENS", IR_FIN_LENGTH }, { "SAFETY", IR_FIN_CONTENT_FILTER },
		{ "BLOCKLIST", IR_FIN_CONTENT_FILTER }, { "PROHIBITED_CONTENT", IR_FIN_CONTENT_FILTER },
		{ "SPII", IR_FIN_CONTENT_FILTER }, { "IMAGE_SAFETY", IR_FIN_CONTENT_FILTER },
		{ "LANGUAGE", IR_FIN_CONTENT_FILTER }, { "RECITATION", IR_FIN_STOP }, { "OTHER", IR_FIN_STOP },
		{ "MALFORMED_FUNCTION_CALL", IR_FIN_ERROR }, { "UNEXPECTED_TOOL_CALL", IR_FIN_ERROR },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char js[256];
		snprintf(js, sizeof js, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"%s\"}]}", cases[k].fr);
		struct ir_response r;
		REQUIRE(decode_resp(&r, js) == 0);
		if (r.finish != cases[k].want)
			fprintf(stderr, "  finish %s -> %d\n", cases[k].fr, r.finish);
		CHECK_EQ_INT(r.finish, cases[k].want);
	}
	struct ir_response r;
	REQUIRE(decode_resp(&r, "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":{\"promptTokenCount\":5}}") == 0);
	CHECK_EQ_INT(r.finish, IR_FIN_CONTENT_FILTER);
	CHECK_EQ_INT(r.nparts, 0);
	CHECK(decode_resp(&r, "{\"usageMetadata\":{}}") == -1);
	CHECK(decode_resp(&r, "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"args\":{}}}]}}]}") == -1);
}

TEST(encode_response_exact)
{
	struct ir_response r;
	memset(&r, 0, sizeof r);
	r.parts = parts;
	parts[0] = (struct ir_part){ .kind = IR_THINKING, .text = ir_plain("why", 3), .sig = ir_plain("c2ln", 4) };
	parts[1] = (struct ir_part){ .kind = IR_TEXT, .text = ir_plain("Hello", 5) };
	parts[2] = (struct ir_part){ .kind = IR_TOOL_CALL, .a = ir_plain("toolu_1", 7), .b = ir_plain("f", 1),
				     .args = { "{\\\"k\\\":true}", 12, IR_RAW } };
	r.nparts = 3;
	r.finish = IR_FIN_TOOL_CALLS;
	r.id = ir_plain("msg_1", 5);
	r.usage = (struct ir_usage){ 1, 100, 40, 80, 0, 10 };
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	G->encode_response(&r, "my-model", &o);
	CHECK_OUT(o, "{\"candidates\":[{\"content\":{\"parts\":["
		"{\"text\":\"why\",\"thought\":true,\"thoughtSignature\":\"c2ln\"},{\"text\":\"Hello\"},"
		"{\"functionCall\":{\"id\":\"toolu_1\",\"name\":\"f\",\"args\":{\"k\":true}}}],\"role\":\"model\"},"
		"\"finishReason\":\"STOP\",\"index\":0}],"
		"\"usageMetadata\":{\"promptTokenCount\":100,\"candidatesTokenCount\":30,\"totalTokenCount\":140,"
		"\"cachedContentTokenCount\":80,\"thoughtsTokenCount\":10},"
		"\"modelVersion\":\"my-model\",\"responseId\":\"msg_1\"}");
	/* Broken arguments: the call is left out, MALFORMED_FUNCTION_CALL. */
	parts[2].args = (struct ir_str){ "{\\\"k\\\":", 7, IR_RAW };
	r.nparts = 3;
	r.usage.have = 0;
	r.id.p = NULL;
	json_out_init(&o, out, sizeof out);
	G->encode_response(&r, "m", &o);
	CHECK_OUT(o, "{\"candidates\":[{\"content\":{\"parts\":["
		"{\"text\":\"why\",\"thought\":true,\"thoughtSignature\":\"c2ln\"},{\"text\":\"Hello\"}],\"role\":\"model\"},"
		"\"finishReason\":\"MALFORMED_FUNCTION_CALL\",\"index\":0}],\"modelVersion\":\"m\"}");
}

TEST(response_round_trip)
{
	const char *in = squeeze("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"},"
		"{\"functionCall\":{\"id\":\"x1\",\"name\":\"f\",\"args\":{\"q\":1}},\"thoughtSignature\":\"U0c=\"}],"
		"\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],"
		"\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":4,\"totalTokenCount\":7},"
		"\"modelVersion\":\"m\",\"responseId\":\"r9\"}");
	static char copy[4096];
	strcpy(copy, in);
	struct ir_response r;
	REQUIRE(decode_resp(&r, copy) == 0);
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	G->encode_response(&r, "m", &o);
	CHECK_OUT(o, copy);
}

/* ---- errors ---- */

static void dec_err(struct ir_error *e, const char *js, int status)
{
	static struct json_doc d;
	if (js && parse(&d, js) > 0)
		G->decode_error(&d, status, e);
	else
		G->decode_error(NULL, status, e);
}

TEST(errors)
{
	struct ir_error e;
	dec_err(&e, "{\"error\":{\"code\":429,\"message\":\"Quota exceeded\",\"status\":\"RESOURCE_EXHAUSTED\","
		    "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"37s\"}]}}", 429);
	CHECK_EQ_INT(e.cls, IR_ERR_RATE_LIMIT);
	CHECK_EQ_INT(e.status, 429);
	CHECK(str_is(&e.message, "Quota exceeded"));
	CHECK(str_is(&e.type, "RESOURCE_EXHAUSTED"));
	dec_err(&e, "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API key.\","
		    "\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\","
		    "\"reason\":\"API_KEY_INVALID\",\"domain\":\"googleapis.com\"}]}}", 400);
	CHECK_EQ_INT(e.cls, IR_ERR_AUTH);
	CHECK_EQ_INT(e.status, 401);
	dec_err(&e, "[{\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}]", 503);
	CHECK_EQ_INT(e.cls, IR_ERR_OVERLOADED);
	CHECK(str_is(&e.message, "The model is overloaded."));
	dec_err(&e, "<html>bad gateway</html>", 502);
	CHECK_EQ_INT(e.cls, IR_ERR_SERVER);
	CHECK_EQ_INT(e.status, 502);
	CHECK(!e.message.p);

	struct json_out o;
	memset(&e, 0, sizeof e);
	e.cls = IR_ERR_OVERLOADED;
	e.status = 529;
	e.type = ir_plain("overloaded_error", 16);
	e.message = ir_plain("Overloaded", 10);
	json_out_init(&o, out, sizeof out);
	G->encode_error(&e, &o);
	CHECK_OUT(o, "{\"error\":{\"code\":503,\"message\":\"Overloaded\",\"status\":\"UNAVAILABLE\"}}");
	e.cls = IR_ERR_INVALID;
	e.status = 400;
	e.type = ir_plain("FAILED_PRECONDITION", 19);
	e.message.p = NULL;
	json_out_init(&o, out, sizeof out);
	G->encode_error(&e, &o);
	CHECK_OUT(o, "{\"error\":{\"code\":400,\"message\":\"The request failed.\",\"status\":\"FAILED_PRECONDITION\"}}");
	e.cls = IR_ERR_AUTH;
	e.status = 401;
	e.type = ir_plain("INVALID_ARGUMENT", 16);	/* disagrees with the class: not kept */
	json_out_init(&o, out, sizeof out);
	G->encode_error(&e, &o);
	CHECK_OUT(o, "{\"error\":{\"code\":401,\"message\":\"The request failed.\",\"status\":\"UNAUTHENTICATED\"}}");
}

/* ---- streams ---- */

struct rec {
	uint8_t kind, finish;
	uint16_t index;
	char text[128], id[64], name[64], sig[64];
	struct ir_usage usage;
	uint8_t ecls;
};
static struct rec evs[64];
static int nevs;

static void copy_str(char *dst, size_t cap, const struct ir_str *s)
{
	struct json_out o;
	json_out_init(&o, dst, cap - 1);
	if (s->kind == IR_JSON && s->p)
		json_raw_append(&o, s->p, s->n);
	else
		ir_write_unescaped(&o, s);
	dst[o.len] = 0;
}

static void rec_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	(void)s;
	(void)o;
	if (nevs >= 64)
		return;
	struct rec *r = &evs[nevs++];
	memset(r, 0, sizeof *r);
	r->kind = ev->kind;
	r->finish = ev->finish;
	r->index = ev->index;
	copy_str(r->text, sizeof r->text, &ev->text);
	copy_str(r->id, sizeof r->id, &ev->id);
	copy_str(r->name, sizeof r->name, &ev->name);
	copy_str(r->sig, sizeof r->sig, &ev->sig);
	r->usage = ev->usage;
	r->ecls = ev->error.cls;
}

static const struct dialect_ops rec_ops = { .id = DIALECT_OPENAI, .name = "rec", .encode_event = rec_event };

static const char *STREAM =
	"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"},\"index\":0}],"
	"\"usageMetadata\":{\"promptTokenCount\":9,\"totalTokenCount\":9},\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"rid1\"}\r\n\r\n"
	"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo\"},"
	"{\"functionCall\":{\"name\":\"a\",\"args\":{\"x\":1}},\"thoughtSignature\":\"U0k=\"},"
	"{\"functionCall\":{\"name\":\"b\",\"args\":{}}}],\"role\":\"model\"},\"index\":0}],\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"rid1\"}\r\n\r\n"
	"data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"c\",\"args\":{\"s\":\"\\u00e9\"}}}],\"role\":\"model\"},"
	"\"finishReason\":\"STOP\",\"index\":0}],"
	"\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":5,\"totalTokenCount\":14,\"thoughtsTokenCount\":2},"
	"\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"rid1\"}\r\n\r\n";

static int run_stream_decode(const char *in, size_t len, unsigned seed)
{
	static char feed[16384];
	static struct xlate_stream s;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	xlate_begin(&s, G, &rec_ops, stok, MAXTOK, scratch, sizeof scratch, "m", 1);
	s.serial = 7;
	nevs = 0;
	unsigned r = seed;
	return test_feed_sse(&s, in, len, feed, sizeof feed, seed ? 23 : 0, &r, &o);
}

TEST(stream_decode_random_slices)
{
	for (unsigned seed = 0; seed < 20; seed++) {
		REQUIRE(run_stream_decode(STREAM, strlen(STREAM), seed) == 0);
		/* START, TEXT, TEXT, THINKING(sig), TOOL_START a, ARGS, TOOL_START b,
		 * ARGS, TOOL_START c, ARGS, FINISH, USAGE, END */
		REQUIRE(nevs == 13);
		CHECK_EQ_INT(evs[0].kind, EV_START);
		CHECK(strcmp(evs[0].id, "rid1") == 0);
		CHECK(strcmp(evs[0].name, "gemini-2.5-flash") == 0);
		CHECK_EQ_INT(evs[1].kind, EV_TEXT);
		CHECK(strcmp(evs[1].text, "Hel") == 0);
		CHECK(strcmp(evs[2].text, "lo") == 0);
		CHECK_EQ_INT(evs[3].kind, EV_THINKING);
		CHECK(strcmp(evs[3].sig, "U0k=") == 0);
		CHECK_EQ_INT(evs[4].kind, EV_TOOL_START);
		CHECK_EQ_INT(evs[4].index, 0);
		CHECK(strcmp(evs[4].id, "call_7_0") == 0);
		CHECK(strcmp(evs[4].name, "a") == 0);
		CHECK_EQ_INT(evs[5].kind, EV_TOOL_ARGS);
		CHECK(strcmp(evs[5].text, "{\"x\":1}") == 0);
		CHECK_EQ_INT(evs[6].index, 1);
		CHECK(strcmp(evs[6].id, "call_7_1") == 0);
		CHECK(strcmp(evs[7].text, "{}") == 0);
		CHECK_EQ_INT(evs[8].index, 2);
		CHECK(strcmp(evs[8].name, "c") == 0);
		CHECK(strcmp(evs[9].text, "{\"s\":\"\\u00e9\"}") == 0);
		CHECK_EQ_INT(evs[10].kind, EV_FINISH);
		CHECK_EQ_INT(evs[10].finish, IR_FIN_TOOL_CALLS);
		CHECK_EQ_INT(evs[11].kind, EV_USAGE);
		CHECK_EQ_INT(evs[11].usage.input, 9);
		CHECK_EQ_INT(evs[11].usage.output, 7);
		CHECK_EQ_INT(evs[11].usage.reasoning, 2);
		CHECK_EQ_INT(evs[12].kind, EV_END);
		if (test_cur_failed)
			return;
	}
}

TEST(stream_decode_errors_and_blocks)
{
	const char *e = "data: {\"error\":{\"code\":429,\"message\":\"slow down\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n";
	REQUIRE(run_stream_decode(e, strlen(e), 0) == 0);
	REQUIRE(nevs == 1);
	CHECK_EQ_INT(evs[0].kind, EV_ERROR);
	CHECK_EQ_INT(evs[0].ecls, IR_ERR_RATE_LIMIT);
	const char *b = "data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},\"usageMetadata\":{\"promptTokenCount\":4}}\r\r";
	REQUIRE(run_stream_decode(b, strlen(b), 0) == 0);
	REQUIRE(nevs == 4);
	CHECK_EQ_INT(evs[1].kind, EV_FINISH);
	CHECK_EQ_INT(evs[1].finish, IR_FIN_CONTENT_FILTER);
	CHECK_EQ_INT(evs[2].kind, EV_USAGE);
	CHECK_EQ_INT(evs[3].kind, EV_END);
	const char *bad = "data: {\"candidates\":[\n\n";
	CHECK(run_stream_decode(bad, strlen(bad), 0) == -1);
	const char *ping = ": keep-alive\n\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"MAX_TOKENS\"}]}\n\n";
	REQUIRE(run_stream_decode(ping, strlen(ping), 3) == 0);
	REQUIRE(nevs == 4);
	CHECK_EQ_INT(evs[2].finish, IR_FIN_LENGTH);
}

static void enc(struct xlate_stream *s, struct json_out *o, struct ir_event ev)
{
	s->out = o;
	xlate_emit(s, &ev);
}

TEST(stream_encode_sse_and_array)
{
	static struct xlate_stream s;
	static char args1[] = "{\\\"ci";
	static char args2[] = "ty\\\":\\\"Paris\\\"}";
	for (int sse = 1; sse >= 0; sse--) {
		struct json_out o;
		json_out_init(&o, out, sizeof out);
		xlate_begin(&s, &rec_ops, G, stok, MAXTOK, scratch, sizeof scratch, "cm", sse);
		enc(&s, &o, (struct ir_event){ .kind = EV_START, .id = ir_plain("chatcmpl-1", 10), .name = ir_plain("gpt", 3) });
		CHECK_EQ_INT(o.len, 0);	/* nothing before content */
		enc(&s, &o, (struct ir_event){ .kind = EV_TEXT, .text = ir_plain("Hi", 2) });
		enc(&s, &o, (struct ir_event){ .kind = EV_TOOL_START, .index = 0, .id = ir_plain("call_x", 6), .name = ir_plain("w", 1) });
		enc(&s, &o, (struct ir_event){ .kind = EV_TOOL_ARGS, .index = 0, .text = { args1, sizeof args1 - 1, IR_RAW } });
		enc(&s, &o, (struct ir_event){ .kind = EV_TOOL_ARGS, .index = 0, .text = { args2, sizeof args2 - 1, IR_RAW } });
		enc(&s, &o, (struct ir_event){ .kind = EV_TOOL_START, .index = 1, .id = ir_plain("call_y", 6), .name = ir_plain("v", 1) });
		enc(&s, &o, (struct ir_event){ .kind = EV_FINISH, .finish = IR_FIN_TOOL_CALLS });
		enc(&s, &o, (struct ir_event){ .kind = EV_USAGE, .usage = { 1, 10, 5, 4, 0, 0 } });
		enc(&s, &o, (struct ir_event){ .kind = EV_END });
		const char *c1 = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},\"index\":0}],"
				 "\"modelVersion\":\"cm\",\"responseId\":\"chatcmpl-1\"}";
		const char *c2 = "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"id\":\"call_x\",\"name\":\"w\","
				 "\"args\":{\"city\":\"Paris\"}}}],\"role\":\"model\"},\"index\":0}],"
				 "\"modelVersion\":\"cm\",\"responseId\":\"chatcmpl-1\"}";
		const char *c3 = "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"id\":\"call_y\",\"name\":\"v\","
				 "\"args\":{}}}],\"role\":\"model\"},\"index\":0}],"
				 "\"modelVersion\":\"cm\",\"responseId\":\"chatcmpl-1\"}";
		const char *c4 = "{\"candidates\":[{\"finishReason\":\"STOP\",\"index\":0}],"
				 "\"usageMetadata\":{\"promptTokenCount\":10,\"candidatesTokenCount\":5,\"totalTokenCount\":15,"
				 "\"cachedContentTokenCount\":4},\"modelVersion\":\"cm\",\"responseId\":\"chatcmpl-1\"}";
		char exp[4096];
		if (sse)
			snprintf(exp, sizeof exp, "data: %s\r\n\r\ndata: %s\r\n\r\ndata: %s\r\n\r\ndata: %s\r\n\r\n", c1, c2, c3, c4);
		else
			snprintf(exp, sizeof exp, "[%s,\r\n%s,\r\n%s,\r\n%s]", c1, c2, c3, c4);
		if (o.len != strlen(exp) || memcmp(out, exp, o.len)) {
			fprintf(stderr, "  sse=%d got\n%.*s\n  expected\n%s\n", sse, (int)o.len, out, exp);
			test_cur_failed = 1;
		}
		CHECK(strcmp(G->stream_type(&s), sse ? "text/event-stream" : "application/json") == 0);
	}
}

TEST(stream_encode_error_and_malformed)
{
	static struct xlate_stream s;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	xlate_begin(&s, &rec_ops, G, stok, MAXTOK, scratch, sizeof scratch, "cm", 0);
	struct ir_event ev = { .kind = EV_ERROR };
	ev.error.cls = IR_ERR_RATE_LIMIT;
	ev.error.status = 429;
	ev.error.message = ir_plain("too many", 8);
	enc(&s, &o, ev);
	CHECK_OUT(o, "[{\"error\":{\"code\":429,\"message\":\"too many\",\"status\":\"RESOURCE_EXHAUSTED\"}}]");

	/* Arguments that never form JSON: the call is dropped, the finish says so. */
	json_out_init(&o, out, sizeof out);
	xlate_begin(&s, &rec_ops, G, stok, MAXTOK, scratch, sizeof scratch, "cm", 1);
	enc(&s, &o, (struct ir_event){ .kind = EV_TOOL_START, .index = 0, .id = ir_plain("i", 1), .name = ir_plain("f", 1) });
	enc(&s, &o, (struct ir_event){ .kind = EV_TOOL_ARGS, .index = 0, .text = { "{\\\"a", 4, IR_RAW } });
	enc(&s, &o, (struct ir_event){ .kind = EV_FINISH, .finish = IR_FIN_TOOL_CALLS });
	enc(&s, &o, (struct ir_event){ .kind = EV_END });
	const char *exp = "data: {\"candidates\":[{\"finishReason\":\"MALFORMED_FUNCTION_CALL\",\"index\":0}],\"modelVersion\":\"cm\"}\r\n\r\n";
	CHECK_EQ_STR(out, o.len, exp);
}

/* Gemini provider -> Gemini client through the IR: the chunks keep their
 * meaning (the signature goes back on its call). */
TEST(stream_gemini_to_gemini)
{
	static char feed[8192];
	static struct xlate_stream s;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	xlate_begin(&s, G, G, stok, MAXTOK, scratch, sizeof scratch, "cm", 1);
	s.serial = 1;
	REQUIRE(test_feed_sse(&s, STREAM, strlen(STREAM), feed, sizeof feed, 0, NULL, &o) == 0);
	const char *tail = "data: {\"candidates\":[{\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":9,"
			   "\"candidatesTokenCount\":5,\"totalTokenCount\":16,\"thoughtsTokenCount\":2},\"modelVersion\":\"cm\",\"responseId\":\"rid1\"}\r\n\r\n";
	REQUIRE(o.len > strlen(tail));
	CHECK(memcmp(out + o.len - strlen(tail), tail, strlen(tail)) == 0);
	CHECK(memmem(out, o.len, "{\"functionCall\":{\"id\":\"call_1_2\",\"name\":\"c\",\"args\":{\"s\":\"\\u00e9\"}}}", 66) != NULL);
	CHECK(memmem(out, o.len, "\"thought\":true,\"thoughtSignature\":\"U0k=\"", 40) != NULL);
}

/* ---- malformed input never crashes ---- */

TEST(mutated_inputs_do_not_crash)
{
	static const char *const seeds[] = { NULL, NULL };
	const char *in[3] = { REQ_FULL, STREAM, seeds[0] };
	static char buf[8192];
	unsigned r = 99;
	for (int which = 0; which < 2; which++) {
		size_t n = strlen(in[which]);
		for (int iter = 0; iter < 3000; iter++) {
			memcpy(buf, in[which], n);
			int flips = 1 + iter % 4;
			for (int f = 0; f < flips; f++) {
				r = r * 1103515245u + 12345u;
				size_t at = (r >> 8) % n;
				r = r * 1103515245u + 12345u;
				buf[at] = "{}[]\",:0a\\ -"[(r >> 16) % 12];
			}
			size_t cut = iter % 7 == 0 ? (r >> 4) % n : n;
			char *g = test_guard_copy(buf, cut);
			REQUIRE(g);
			struct json_doc d;
			if (json_parse(&d, g, cut, tok, MAXTOK) > 0) {
				struct ir_request ir;
				ir_init(&ir);
				if (G->decode_request(&d, &ir, err, sizeof err) == 0) {
					struct json_out o;
					json_out_init(&o, out, sizeof out);
					G->encode_request(&ir, "m", &o, err, sizeof err);
				}
				struct ir_response rs;
				memset(&rs, 0, sizeof rs);
				rs.parts = parts;
				if (G->decode_response(&d, &rs, err, sizeof err) == 0) {
					struct json_out o;
					json_out_init(&o, out, sizeof out);
					G->encode_response(&rs, "m", &o);
				}
				struct ir_error e;
				G->decode_error(&d, 500, &e);
			}
			run_stream_decode(g, cut, (unsigned)iter);
		}
	}
}

/* The usage of a same-dialect answer, read from its text without tokens:
 * camelCase or snake_case names (camelCase wins), thoughts counted in the
 * output. */
TEST(scan_usage)
{
	struct ir_usage u;
	static const char full[] = "{\"promptTokenCount\":12,\"candidatesTokenCount\":5,\"totalTokenCount\":20,"
		"\"cachedContentTokenCount\":4,\"thoughtsTokenCount\":3}";
	dialect_gemini.scan_usage(full, strlen(full), &u);
	CHECK(u.have && u.input == 12 && u.output == 8 && u.reasoning == 3 && u.cached == 4);
	static const char snake[] = "{\"prompt_token_count\":9,\"candidates_token_count\":2,\"promptTokenCount\":null,"
		"\"cached_content_token_count\":1}";
	dialect_gemini.scan_usage(snake, strlen(snake), &u);
	CHECK(u.have && u.input == 0 && u.output == 2 && u.cached == 1 && u.reasoning == 0);
	dialect_gemini.scan_usage("\"x\"", 3, &u);
	CHECK(!u.have);
	/* every snake_case spelling, and the total never read */
	static const char all_snake[] = "{\"prompt_token_count\":7,\"candidates_token_count\":4,\"total_token_count\":99,"
		"\"cached_content_token_count\":2,\"thoughts_token_count\":5,\"thoughtsTokenCount\":1}";
	dialect_gemini.scan_usage(all_snake, strlen(all_snake), &u);
	CHECK(u.have && u.input == 7 && u.output == 5 && u.cached == 2 && u.reasoning == 1);
	CHECK(strcmp(dialect_gemini.usage_key, "usageMetadata") == 0);
}

/* A response decoded into storage behind a request's parts (as the proxy
 * does) stops at the storage's end with an error: never a write past it. */
TEST(decode_response_respects_storage_room)
{
	static char js[4096];
	size_t n = (size_t)snprintf(js, sizeof js, "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[");
	for (int i = 0; i < 12; i++)
		n += (size_t)snprintf(js + n, sizeof js - n, "%s{\"text\":\"t%d\"}", i ? "," : "", i);
	snprintf(js + n, sizeof js - n, "]},\"finishReason\":\"STOP\"}]}");
	struct json_doc d;
	REQUIRE(parse(&d, js) > 0);
	struct ir_response r;
	struct ir_part *room = malloc(4 * sizeof *room);	/* ASan sees a write past it */
	REQUIRE(room);
	memset(&r, 0, sizeof r);
	r.parts = room;
	r.max_parts = 4;
	CHECK(G->decode_response(&d, &r, err, sizeof err) == -1);
	CHECK(r.nparts <= 4);
	CHECK(strstr(err, "too many") != NULL);
	free(room);
}

int main(void)
{
	test_suite = "dialect_gemini";
	RUN(decode_request_full);
	RUN(decode_request_snake_case_and_variants);
	RUN(decode_request_refusals);
	RUN(encode_request_from_ir);
	RUN(encode_request_signatures_and_refusals);
	RUN(refusal_messages_exact);
	RUN(wrongly_typed_members);
	RUN(request_round_trip);
	RUN(request_path);
	RUN(decode_response_tool_calls_and_usage);
	RUN(decode_response_respects_storage_room);
	RUN(decode_response_finish_reasons);
	RUN(encode_response_exact);
	RUN(response_round_trip);
	RUN(errors);
	RUN(stream_decode_random_slices);
	RUN(stream_decode_errors_and_blocks);
	RUN(stream_encode_sse_and_array);
	RUN(stream_encode_error_and_malformed);
	RUN(stream_gemini_to_gemini);
	RUN(mutated_inputs_do_not_crash);
	RUN(scan_usage);
	return test_summary();
}
