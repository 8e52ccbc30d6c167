/*
 * test_dialect_openai.c - the OpenAI Chat Completions dialect: request,
 * response, error and stream decoding and encoding (dialect_openai.c).
 * Fixtures follow the OpenAI API reference and openai-node's types.
 */
#include <stdlib.h>
#include "dialect.h"
#include "test.h"
#include "test_stream.h"

#define MAXTOK 4096
static jsmntok_t tok[MAXTOK];
static struct ir_part parts[IR_MAX_PARTS];
static struct ir_msg msgs[IR_MAX_MSGS];
static struct ir_tool tools[IR_MAX_TOOLS];
static ir_call_id call_ids[IR_MAX_PARTS];
static char out[65536];
static char err[256];

static int parse(struct json_doc *d, const char *js)
{
	return json_parse(d, js, strlen(js), tok, MAXTOK) > 0;
}

static void ir_init(struct ir_request *ir)
{
	memset(ir, 0, sizeof *ir);
	ir->parts = parts;
	ir->msgs = msgs;
	ir->tools = tools;
	ir->call_ids = call_ids;
}

#define STR_IS(s, lit) ir_str_eq(&(s), lit)
#define OUT_IS(o, lit) CHECK_EQ_STR((o).buf, (o).len, lit)

static int decode_req(const char *js, struct ir_request *ir, struct json_doc *d)
{
	ir_init(ir);
	err[0] = 0;
	if (!parse(d, js))
		return -2;
	return dialect_openai.decode_request(d, ir, err, sizeof err);
}

/* ---- request decoding ---- */

static const char full_req[] =
	"{\"model\":\"gpt-4o\",\"messages\":["
	"{\"role\":\"system\",\"content\":\"Be brief.\"},"
	"{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Use tools.\"}]},"
	"{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
	"{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\",\"detail\":\"low\"}},"
	"{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.jpg\"}}]},"
	"{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
	"{\"id\":\"call_a\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
	"{\"id\":\"call_b\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},"
	"{\"role\":\"tool\",\"tool_call_id\":\"call_a\",\"content\":\"sunny\"},"
	"{\"role\":\"tool\",\"tool_call_id\":\"call_b\",\"content\":[{\"type\":\"text\",\"text\":\"12:00\"}]},"
	"{\"role\":\"system\",\"content\":\"Late rule.\"},"
	"{\"role\":\"user\",\"content\":\"thanks\"}],"
	"\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather\","
	"\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}},\"strict\":true}},"
	"{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}],"
	"\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}},"
	"\"parallel_tool_calls\":false,\"max_completion_tokens\":300,\"max_tokens\":5,"
	"\"temperature\":0.5,\"top_p\":1,\"stop\":[\"END\",\"STOP\"],\"stream\":true,"
	"\"stream_options\":{\"include_usage\":true},\"user\":\"u1\",\"seed\":42,"
	"\"reasoning_effort\":\"low\",\"logprobs\":true,\"n\":1,"
	"\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"out\",\"schema\":{\"type\":\"object\"}}}}";

TEST(decode_request_full)
{
	struct ir_request ir;
	struct json_doc d;
	REQUIRE(decode_req(full_req, &ir, &d) == 0);
	CHECK(STR_IS(ir.model, "gpt-4o"));
	/* System prompt: both leading ones and the late one, contiguous. */
	CHECK_EQ_INT(ir.sys_n, 3);
	CHECK(STR_IS(ir.parts[ir.sys_first].text, "Be brief."));
	CHECK(STR_IS(ir.parts[ir.sys_first + 1].text, "Use tools."));
	CHECK(STR_IS(ir.parts[ir.sys_first + 2].text, "Late rule."));
	REQUIRE(ir.nmsgs == 4);
	/* user with text + base64 image + URL image */
	const struct ir_msg *m = &ir.msgs[0];
	CHECK_EQ_INT(m->role, IR_USER);
	REQUIRE(m->n == 3);
	const struct ir_part *p = &ir.parts[m->first];
	CHECK(p[0].kind == IR_TEXT && STR_IS(p[0].text, "What is this?"));
	CHECK(p[1].kind == IR_IMAGE && !p[1].is_url);
	CHECK(STR_IS(p[1].a, "image/png"));
	CHECK(STR_IS(p[1].b, "iVBORw0KGgo="));
	CHECK(p[2].kind == IR_IMAGE && p[2].is_url && STR_IS(p[2].b, "https://example.com/a.jpg"));
	/* assistant: two tool calls, no text */
	m = &ir.msgs[1];
	CHECK_EQ_INT(m->role, IR_ASSISTANT);
	REQUIRE(m->n == 2);
	p = &ir.parts[m->first];
	CHECK(p[0].kind == IR_TOOL_CALL && STR_IS(p[0].a, "call_a") && STR_IS(p[0].b, "get_weather"));
	CHECK(p[0].args.kind == IR_RAW);
	CHECK_EQ_STR(p[0].args.p, p[0].args.n, "{\\\"city\\\":\\\"Paris\\\"}");
	CHECK(p[1].kind == IR_TOOL_CALL && STR_IS(p[1].a, "call_b") && STR_IS(p[1].b, "get_time"));
	/* two consecutive tool messages: one IR_TOOL message, names filled */
	m = &ir.msgs[2];
	CHECK_EQ_INT(m->role, IR_TOOL);
	REQUIRE(m->n == 2);
	p = &ir.parts[m->first];
	CHECK(p[0].kind == IR_TOOL_RESULT && STR_IS(p[0].a, "call_a") && STR_IS(p[0].b, "get_weather"));
	CHECK(p[0].nsub == 0 && STR_IS(p[0].text, "sunny"));
	CHECK(p[1].kind == IR_TOOL_RESULT && STR_IS(p[1].a, "call_b") && STR_IS(p[1].b, "get_time"));
	CHECK(STR_IS(p[1].text, "12:00"));
	m = &ir.msgs[3];
	CHECK(m->role == IR_USER && m->n == 1 && STR_IS(ir.parts[m->first].text, "thanks"));
	/* tools and parameters */
	REQUIRE(ir.ntools == 2);
	CHECK(STR_IS(ir.tools[0].name, "get_weather") && STR_IS(ir.tools[0].description, "Weather"));
	CHECK(ir.tools[0].parameters.kind == IR_JSON);
	CHECK_EQ_STR(ir.tools[0].parameters.p, ir.tools[0].parameters.n,
		     "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}");
	CHECK(ir.tools[1].description.p == NULL && ir.tools[1].parameters.p == NULL);
	CHECK_EQ_INT(ir.tool_choice, IR_TC_TOOL);
	CHECK(STR_IS(ir.tool_choice_name, "get_weather"));
	CHECK_EQ_INT(ir.parallel_tools, 0);
	CHECK_EQ_INT(ir.max_tokens, 300);	/* max_completion_tokens wins */
	CHECK_EQ_STR(ir.temperature.p, ir.temperature.n, "0.5");
	CHECK_EQ_STR(ir.top_p.p, ir.top_p.n, "1");
	CHECK(ir.top_k.p == NULL);
	CHECK(ir.nstop == 2 && STR_IS(ir.stop[0], "END") && STR_IS(ir.stop[1], "STOP"));
	CHECK(ir.stream == 1 && ir.include_usage == 1);
	CHECK(STR_IS(ir.user, "u1"));
	CHECK_EQ_INT(ir.seed, 42);
	CHECK(STR_IS(ir.reasoning, "low"));
	CHECK_EQ_INT(ir.format, IR_FMT_JSON_SCHEMA);
	CHECK(STR_IS(ir.schema_name, "out"));
	CHECK_EQ_STR(ir.schema.p, ir.schema.n, "{\"type\":\"object\"}");
	CHECK_EQ_INT(ir.thinking_budget, -1);
}

TEST(decode_request_defaults)
{
	struct ir_request ir;
	struct json_doc d;
	REQUIRE(decode_req("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":7,"
			   "\"stop\":\"x\",\"response_format\":{\"type\":\"json_object\"}}", &ir, &d) == 0);
	CHECK_EQ_INT(ir.sys_n, 0);
	CHECK_EQ_INT(ir.nmsgs, 1);
	CHECK_EQ_INT(ir.max_tokens, 7);
	CHECK_EQ_INT(ir.parallel_tools, -1);
	CHECK_EQ_INT(ir.seed, -1);
	CHECK_EQ_INT(ir.tool_choice, IR_TC_UNSET);
	CHECK(ir.stream == 0 && ir.include_usage == 0);
	CHECK(ir.nstop == 1 && STR_IS(ir.stop[0], "x"));
	CHECK_EQ_INT(ir.format, IR_FMT_JSON_OBJECT);
	CHECK(ir.temperature.p == NULL);
	/* An escaped data URL still splits; an assistant message with
	 * content "" and tool calls has no empty text part. */
	REQUIRE(decode_req("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
			   "\"image_url\":{\"url\":\"data:image\\/jpeg;base64,AA\\/B\"}}]},"
			   "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
			   "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},"
			   "{\"role\":\"assistant\",\"content\":null}]}", &ir, &d) == 0);
	REQUIRE(ir.nmsgs == 3);
	CHECK(STR_IS(ir.parts[0].a, "image/jpeg") && STR_IS(ir.parts[0].b, "AA/B"));
	CHECK(ir.msgs[1].n == 1 && ir.parts[ir.msgs[1].first].kind == IR_TOOL_CALL);
	CHECK(ir.msgs[2].n == 1 && ir.parts[ir.msgs[2].first].kind == IR_TEXT);
	CHECK_EQ_INT(ir.parts[ir.msgs[2].first].text.n, 0);
	/* A tool result with several text parts: sub-parts. */
	REQUIRE(decode_req("{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"x\",\"content\":["
			   "{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}]}", &ir, &d) == 0);
	REQUIRE(ir.nmsgs == 1 && ir.msgs[0].n == 3);
	CHECK(ir.parts[0].kind == IR_TOOL_RESULT && ir.parts[0].nsub == 2 && ir.parts[0].b.p == NULL);
	CHECK(STR_IS(ir.parts[1].text, "a") && STR_IS(ir.parts[2].text, "b"));
}

TEST(decode_request_refusals)
{
	static const struct { const char *js, *want; } cases[] = {
		{ "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}", "n > 1" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"functions\":[{\"name\":\"f\"}]}", "legacy" },
		{ "{\"messages\":[{\"role\":\"function\",\"name\":\"f\",\"content\":\"x\"}]}", "legacy" },
		{ "{\"messages\":[{\"role\":\"assistant\",\"function_call\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}", "legacy" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\",\"input_audio\":{}}]}]}", "input_audio" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/svg+xml,<svg/>\"}}]}]}", "base64" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"ftp://x\"}}]}]}", "URL" },
		{ "{\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x\"}}]}]}", "text" },
		{ "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", "unknown role" },
		{ "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "tool_call_id" },
		{ "{\"messages\":{}}", "messages" },
		{ "[]", "object" },
		{ "{\"messages\":[],\"temperature\":\"hot\"}", "temperature" },
		{ "{\"messages\":[],\"max_tokens\":-1}", "max_tokens" },
		{ "{\"messages\":[],\"max_completion_tokens\":1.5}", "max_completion_tokens" },
		{ "{\"messages\":[],\"tool_choice\":\"sometimes\"}", "tool_choice" },
		{ "{\"messages\":[],\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"x\"}}]}", "function tools" },
		{ "{\"messages\":[],\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}", "stop" },
		{ "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}]}", "id" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ir_request ir;
		struct json_doc d;
		int r = decode_req(cases[i].js, &ir, &d);
		if (r != -1 || !strstr(err, cases[i].want)) {
			fprintf(stderr, "  case %zu: r=%d err=\"%s\", want \"%s\"\n", i, r, err, cases[i].want);
			CHECK(0);
		}
	}
}

/* ---- request encoding ---- */

static struct ir_str P(const char *s)
{
	return ir_plain(s, (uint32_t)strlen(s));
}

TEST(encode_request_exact)
{
	struct ir_request ir;
	ir_init(&ir);
	ir.parallel_tools = -1;
	ir.seed = -1;
	ir.thinking_budget = 2000;
	ir.max_tokens = 100;
	/* system: two parts, one with a quote to escape */
	parts[0] = (struct ir_part){ .kind = IR_TEXT, .text = P("Be \"brief\"") };
	parts[1] = (struct ir_part){ .kind = IR_TEXT, .text = P("Line2") };
	ir.sys_first = 0;
	ir.sys_n = 2;
	/* user: text + base64 image */
	parts[2] = (struct ir_part){ .kind = IR_TEXT, .text = P("look") };
	parts[3] = (struct ir_part){ .kind = IR_IMAGE, .a = P("image/png"), .b = P("QUJD") };
	/* assistant: thinking (dropped), text, tool call with IR_JSON args */
	parts[4] = (struct ir_part){ .kind = IR_THINKING, .text = P("hmm") };
	parts[5] = (struct ir_part){ .kind = IR_TEXT, .text = P("Calling.") };
	parts[6] = (struct ir_part){ .kind = IR_TOOL_CALL, .a = P("toolu_1"), .b = P("f"),
				     .args = { "{\"x\": 1}", 8, IR_JSON } };
	/* user turn (Anthropic style): tool result with text + image, then text */
	parts[7] = (struct ir_part){ .kind = IR_TOOL_RESULT, .a = P("toolu_1"), .b = P("f"), .nsub = 2 };
	parts[8] = (struct ir_part){ .kind = IR_TEXT, .text = P("done") };
	parts[9] = (struct ir_part){ .kind = IR_IMAGE, .a = P("image/png"), .b = P("QUJD") };
	parts[10] = (struct ir_part){ .kind = IR_TEXT, .text = P("and?") };
	ir.nparts = 11;
	msgs[0] = (struct ir_msg){ IR_USER, 2, 2 };
	msgs[1] = (struct ir_msg){ IR_ASSISTANT, 4, 3 };
	msgs[2] = (struct ir_msg){ IR_USER, 7, 4 };
	ir.nmsgs = 3;
	tools[0] = (struct ir_tool){ P("f"), P("does f"), { "{\"type\":\"object\"}", 17, IR_JSON } };
	ir.ntools = 1;
	ir.tool_choice = IR_TC_REQUIRED;
	ir.top_k = (struct ir_str){ "40", 2, IR_JSON };
	ir.stop[0] = P("\n\n");
	ir.nstop = 1;
	ir.stream = 1;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	REQUIRE(dialect_openai.encode_request(&ir, "gpt-4o-mini", &o, err, sizeof err) == 0);
	REQUIRE(!o.overflow);
	OUT_IS(o, "{\"model\":\"gpt-4o-mini\",\"messages\":["
		  "{\"role\":\"system\",\"content\":\"Be \\\"brief\\\"\\n\\nLine2\"},"
		  "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
		  "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,QUJD\"}}]},"
		  "{\"role\":\"assistant\",\"content\":\"Calling.\",\"tool_calls\":[{\"id\":\"toolu_1\",\"type\":\"function\","
		  "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\": 1}\"}}]},"
		  "{\"role\":\"tool\",\"tool_call_id\":\"toolu_1\",\"content\":\"done\\n\\n[image omitted]\"},"
		  "{\"role\":\"user\",\"content\":\"and?\"}],"
		  "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"does f\","
		  "\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"required\",\"max_tokens\":100,"
		  "\"stop\":[\"\\n\\n\"],\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
	/* A reasoning model: max_completion_tokens and the budget as effort. */
	json_out_init(&o, out, sizeof out);
	ir.stream = 0;
	ir.nmsgs = 0;
	ir.sys_n = 0;
	ir.ntools = 0;
	ir.tool_choice = IR_TC_UNSET;
	ir.nstop = 0;
	REQUIRE(dialect_openai.encode_request(&ir, "openai/o3-mini", &o, err, sizeof err) == 0);
	OUT_IS(o, "{\"model\":\"openai/o3-mini\",\"messages\":[],\"max_completion_tokens\":100,\"reasoning_effort\":\"low\"}");
	char path[64];
	CHECK(dialect_openai.request_path("m", 1, path, sizeof path) == 0 && !strcmp(path, "/v1/chat/completions"));
	CHECK(dialect_openai.request_path("m", 1, path, 5) == -1);
}

/* Decode our own request and encode it back: the same JSON (key order as
 * the encoder writes it). */
TEST(request_round_trip)
{
	static const char js[] =
		"{\"model\":\"x\",\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
		"{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\\u00e9\\\"\"},"
		"{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/gif;base64,R0lG\"}}]},"
		"{\"role\":\"assistant\",\"content\":\"ok\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
		"\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":[1,2]}\"}},{\"id\":\"c2\",\"type\":\"function\","
		"\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]},"
		"{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"r1\"},"
		"{\"role\":\"tool\",\"tool_call_id\":\"c2\",\"content\":\"r2\"},"
		"{\"role\":\"user\",\"content\":\"next\"}],"
		"\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}],"
		"\"parallel_tool_calls\":true,\"tool_choice\":\"auto\",\"max_tokens\":10,\"temperature\":0.2,\"top_p\":0.9,"
		"\"stop\":[\"z\"],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\",\"schema\":{}}},"
		"\"user\":\"u\",\"seed\":3,\"reasoning_effort\":\"high\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
	struct ir_request ir;
	struct json_doc d;
	REQUIRE(decode_req(js, &ir, &d) == 0);
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	REQUIRE(dialect_openai.encode_request(&ir, "x", &o, err, sizeof err) == 0);
	OUT_IS(o, js);
}

/* ---- responses ---- */

TEST(decode_response_tools_usage)
{
	static const char js[] =
		"{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion\",\"created\":1741569952,\"model\":\"gpt-4.1\","
		"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Let me check.\",\"refusal\":null,"
		"\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}},"
		"{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}],"
		"\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],"
		"\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,"
		"\"prompt_tokens_details\":{\"cached_tokens\":8,\"audio_tokens\":0},"
		"\"completion_tokens_details\":{\"reasoning_tokens\":4}},\"service_tier\":\"default\"}";
	struct json_doc d;
	REQUIRE(parse(&d, js));
	struct ir_response r;
	memset(&r, 0, sizeof r);
	r.parts = parts;
	REQUIRE(dialect_openai.decode_response(&d, &r, err, sizeof err) == 0);
	CHECK(STR_IS(r.id, "chatcmpl-123") && STR_IS(r.model, "gpt-4.1"));
	CHECK_EQ_INT(r.created, 1741569952);
	REQUIRE(r.nparts == 3);
	CHECK(r.parts[0].kind == IR_TEXT && STR_IS(r.parts[0].text, "Let me check."));
	CHECK(r.parts[1].kind == IR_TOOL_CALL && STR_IS(r.parts[1].a, "call_1") && STR_IS(r.parts[1].b, "f"));
	CHECK_EQ_STR(r.parts[1].args.p, r.parts[1].args.n, "{\\\"a\\\":1}");
	CHECK(r.parts[2].kind == IR_TOOL_CALL && STR_IS(r.parts[2].b, "g"));
	CHECK_EQ_INT(r.finish, IR_FIN_TOOL_CALLS);
	CHECK(r.usage.have && r.usage.input == 19 && r.usage.output == 10 && r.usage.cached == 8 && r.usage.reasoning == 4);
	/* and back out for a client that asked for "my-model" */
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	dialect_openai.encode_response(&r, "my-model", &o);
	OUT_IS(o, "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion\",\"created\":1741569952,\"model\":\"my-model\","
		  "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Let me check.\",\"refusal\":null,"
		  "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}},"
		  "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]},"
		  "\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],"
		  "\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,"
		  "\"prompt_tokens_details\":{\"cached_tokens\":8},\"completion_tokens_details\":{\"reasoning_tokens\":4}}}");
}

/* The usage of a same-dialect answer, read from its text without tokens. */
TEST(scan_usage)
{
	struct ir_usage u;
	static const char full[] = "{\"prompt_tokens\":23,\"completion_tokens\":8,\"total_tokens\":31,"
		"\"prompt_tokens_details\":{\"cached_tokens\":5,\"audio_tokens\":0},"
		"\"completion_tokens_details\":{\"reasoning_tokens\":3}}";
	dialect_openai.scan_usage(full, strlen(full), &u);
	CHECK(u.have && u.input == 23 && u.output == 8 && u.cached == 5 && u.reasoning == 3);
	/* DeepSeek's prompt_cache_hit_tokens when there are no details;
	 * escaped keys, a duplicate (the last wins), null and a negative. */
	static const char ds[] = "{\"prompt_tokens\":10,\"prompt_cache_hit_tokens\":4,\"completion_tokens\":7,"
		"\"completion_\\u0074okens\":2,\"prompt_tokens_details\":null,\"completion_tokens_details\":{\"reasoning_tokens\":-1}}";
	dialect_openai.scan_usage(ds, strlen(ds), &u);
	CHECK(u.have && u.input == 10 && u.cached == 4 && u.output == 2 && u.reasoning == 0);
	dialect_openai.scan_usage("null", 4, &u);
	CHECK(!u.have && u.input == 0);
	dialect_openai.scan_usage("{}", 2, &u);
	CHECK(u.have && u.input == 0 && u.output == 0);
}

TEST(decode_response_variants)
{
	static const struct { const char *js; uint8_t fin; int nparts; } cases[] = {
		{ "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}", IR_FIN_STOP, 1 },
		{ "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"length\"}]}", IR_FIN_LENGTH, 1 },
		{ "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null},\"finish_reason\":\"content_filter\"}]}", IR_FIN_CONTENT_FILTER, 0 },
		/* a refusal: text, and content_filter */
		{ "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"refusal\":\"No.\"},\"finish_reason\":\"stop\"}]}", IR_FIN_CONTENT_FILTER, 1 },
		/* Ollama-style: tool calls with finish "stop" */
		{ "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"x\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}}]},\"finish_reason\":\"stop\"}]}", IR_FIN_TOOL_CALLS, 1 },
		{ "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"x\",\"reasoning_content\":\"think\"},\"finish_reason\":\"function_call\"}]}", IR_FIN_TOOL_CALLS, 2 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_doc d;
		REQUIRE(parse(&d, cases[i].js));
		struct ir_response r;
		memset(&r, 0, sizeof r);
		r.parts = parts;
		REQUIRE(dialect_openai.decode_response(&d, &r, err, sizeof err) == 0);
		CHECK_EQ_INT(r.finish, cases[i].fin);
		CHECK_EQ_INT(r.nparts, cases[i].nparts);
		CHECK(!r.usage.have && r.id.p == NULL);
	}
	/* An object argument (some servers) stays IR_JSON. */
	struct json_doc d;
	REQUIRE(parse(&d, cases[4].js));
	struct ir_response r;
	memset(&r, 0, sizeof r);
	r.parts = parts;
	REQUIRE(dialect_openai.decode_response(&d, &r, err, sizeof err) == 0);
	CHECK(r.parts[0].args.kind == IR_JSON);
	/* Not a response. */
	static const char *bad[] = { "{}", "{\"choices\":[]}", "{\"choices\":[{\"index\":0}]}", "[1]", "{\"choices\":{}}" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		REQUIRE(parse(&d, bad[i]));
		CHECK(dialect_openai.decode_response(&d, &r, err, sizeof err) == -1);
	}
}

TEST(encode_response_thinking_no_usage)
{
	struct ir_response r;
	memset(&r, 0, sizeof r);
	r.parts = parts;
	parts[0] = (struct ir_part){ .kind = IR_THINKING, .text = P("plan"), .sig = P("sig") };
	parts[1] = (struct ir_part){ .kind = IR_TEXT, .text = P("Hel") };
	parts[2] = (struct ir_part){ .kind = IR_TEXT, .text = P("lo") };
	parts[3] = (struct ir_part){ .kind = IR_TOOL_CALL, .b = P("f"), .args = { "{\"q\":\"x\"}", 9, IR_JSON } };
	r.nparts = 4;
	r.created = 1700000000;
	r.finish = IR_FIN_TOOL_CALLS;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	dialect_openai.encode_response(&r, "m", &o);
	OUT_IS(o, "{\"id\":\"chatcmpl-llmgw\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"m\","
		  "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\",\"refusal\":null,"
		  "\"reasoning_content\":\"plan\",\"tool_calls\":[{\"id\":\"call_llmgw_0\",\"type\":\"function\","
		  "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"q\\\":\\\"x\\\"}\"}}]},"
		  "\"logprobs\":null,\"finish_reason\":\"tool_calls\"}]}");
}

/* ---- errors ---- */

TEST(errors)
{
	struct json_doc d;
	struct ir_error e;
	struct json_out o;
	/* 429 as OpenAI sends it */
	REQUIRE(parse(&d, "{\"error\":{\"message\":\"Rate limit reached for gpt-4o\",\"type\":\"requests\",\"param\":null,"
			  "\"code\":\"rate_limit_exceeded\"}}"));
	dialect_openai.decode_error(&d, 429, &e);
	CHECK(e.cls == IR_ERR_RATE_LIMIT && e.status == 429);
	CHECK(STR_IS(e.message, "Rate limit reached for gpt-4o") && STR_IS(e.type, "rate_limit_exceeded"));
	json_out_init(&o, out, sizeof out);
	dialect_openai.encode_error(&e, &o);
	OUT_IS(o, "{\"error\":{\"message\":\"Rate limit reached for gpt-4o\",\"type\":\"requests\",\"param\":null,"
		  "\"code\":\"rate_limit_exceeded\"}}");
	/* 401 */
	REQUIRE(parse(&d, "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\","
			  "\"param\":null,\"code\":\"invalid_api_key\"}}"));
	dialect_openai.decode_error(&d, 401, &e);
	CHECK(e.cls == IR_ERR_AUTH && e.status == 401);
	json_out_init(&o, out, sizeof out);
	dialect_openai.encode_error(&e, &o);
	OUT_IS(o, "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\",\"param\":null,"
		  "\"code\":\"invalid_api_key\"}}");
	/* 400 with code null: type stays, code null */
	REQUIRE(parse(&d, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":null}}"));
	dialect_openai.decode_error(&d, 400, &e);
	json_out_init(&o, out, sizeof out);
	dialect_openai.encode_error(&e, &o);
	OUT_IS(o, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
	/* 529 from a compatible server: overloaded, status 503 */
	dialect_openai.decode_error(NULL, 529, &e);
	CHECK(e.cls == IR_ERR_OVERLOADED && e.status == 503 && e.message.p == NULL);
	json_out_init(&o, out, sizeof out);
	dialect_openai.encode_error(&e, &o);
	OUT_IS(o, "{\"error\":{\"message\":\"The upstream server is overloaded\",\"type\":\"server_error\",\"param\":null,"
		  "\"code\":\"overloaded\"}}");
	/* a bare string error, a vLLM-style body, a FastAPI detail */
	REQUIRE(parse(&d, "{\"error\":\"model not loaded\"}"));
	dialect_openai.decode_error(&d, 404, &e);
	CHECK(e.cls == IR_ERR_NOT_FOUND && STR_IS(e.message, "model not loaded"));
	REQUIRE(parse(&d, "{\"object\":\"error\",\"message\":\"too long\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}"));
	dialect_openai.decode_error(&d, 400, &e);
	CHECK(e.cls == IR_ERR_INVALID && STR_IS(e.message, "too long") && STR_IS(e.type, "BadRequestError"));
	REQUIRE(parse(&d, "{\"detail\":\"Not Found\"}"));
	dialect_openai.decode_error(&d, 404, &e);
	CHECK(STR_IS(e.message, "Not Found"));
	/* An Anthropic-classed error into OpenAI: provider type becomes the code. */
	memset(&e, 0, sizeof e);
	e.cls = IR_ERR_PERMISSION;
	e.status = 403;
	e.type = P("permission_error");
	e.message = P("no \"access\"");
	json_out_init(&o, out, sizeof out);
	dialect_openai.encode_error(&e, &o);
	OUT_IS(o, "{\"error\":{\"message\":\"no \\\"access\\\"\",\"type\":\"permission_error\",\"param\":null,\"code\":null}}");
}

/* The whole text of the refusals whose messages are built from one
 * format with a varying word: each must read exactly as before. */
/* Every member the decoder reads has the one JSON type the API gives it:
 * anything else is a 400 naming the member, never read as absent ("stream":
 * "yes" is not a non-stream request), and counts and numbers out of range
 * (1e400, 26 digits) are refused. null stands for absent, as the SDKs send
 * it. */
TEST(wrongly_typed_members)
{
	static const struct { const char *js, *want; } cases[] = {
		{ "{\"messages\":[],\"stream\":\"yes\"}", "stream must be a boolean" },
		{ "{\"messages\":[],\"stream\":1}", "stream must be a boolean" },
		{ "{\"messages\":[],\"max_tokens\":1e400}", "max_tokens must be an integer from 0 to 2147483647" },
		{ "{\"messages\":[],\"max_tokens\":12345678901234567890123456}",
		  "max_tokens must be an integer from 0 to 2147483647" },
		{ "{\"messages\":[],\"max_completion_tokens\":2147483648}",
		  "max_completion_tokens must be an integer from 0 to 2147483647" },
		{ "{\"messages\":[],\"max_completion_tokens\":10,\"max_tokens\":\"5\"}",
		  "max_tokens must be an integer from 0 to 2147483647" },
		{ "{\"messages\":[],\"max_tokens\":-1}", "max_tokens must be an integer from 0 to 2147483647" },
		{ "{\"messages\":[],\"temperature\":1e400}", "temperature must be a number" },
		{ "{\"messages\":[],\"top_p\":\"0.9\"}", "top_p must be a number" },
		{ "{\"messages\":[],\"parallel_tool_calls\":\"no\"}", "parallel_tool_calls must be a boolean" },
		{ "{\"messages\":[],\"stream\":true,\"stream_options\":true}", "stream_options must be an object" },
		{ "{\"messages\":[],\"stream\":true,\"stream_options\":{\"include_usage\":\"yes\"}}",
		  "stream_options.include_usage must be a boolean" },
		{ "{\"messages\":[],\"user\":5}", "user must be a string" },
		{ "{\"messages\":[],\"safety_identifier\":[]}", "safety_identifier must be a string" },
		{ "{\"messages\":[],\"reasoning_effort\":1}", "reasoning_effort must be a string" },
		{ "{\"messages\":[],\"stop\":5}", "stop must be a string or an array" },
		{ "{\"messages\":[],\"tool_choice\":5}", "tool_choice must be a string or an object" },
		{ "{\"messages\":[],\"response_format\":\"json\"}", "response_format must be an object" },
		{ "{\"messages\":[],\"model\":5}", "model must be a string" },
		{ "{\"messages\":[],\"seed\":1.5}", "seed must be an integer" },
		{ "{\"messages\":[],\"n\":\"1\"}", "n must be an integer" },
	};
	struct ir_request ir;
	struct json_doc d;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = decode_req(cases[i].js, &ir, &d);
		if (r != -1 || strcmp(err, cases[i].want) != 0) {
			fprintf(stderr, "  case %zu: r=%d err=\"%s\", want \"%s\"\n", i, r, err, cases[i].want);
			CHECK(0);
		}
	}
	/* null for every optional member, as the SDKs may send it. */
	REQUIRE(decode_req("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":null,"
			   "\"stream_options\":null,\"max_tokens\":null,\"max_completion_tokens\":null,\"temperature\":null,"
			   "\"top_p\":null,\"top_k\":null,\"stop\":null,\"tools\":null,\"tool_choice\":null,"
			   "\"parallel_tool_calls\":null,\"user\":null,\"safety_identifier\":null,\"seed\":null,\"n\":null,"
			   "\"response_format\":null,\"reasoning_effort\":null}", &ir, &d) == 0);
	CHECK(ir.max_tokens == -1 && !ir.stream && ir.seed == -1 && !ir.temperature.p);
	REQUIRE(decode_req("{\"messages\":[],\"max_tokens\":2147483647,\"temperature\":1e2,\"stream\":true,"
			   "\"stream_options\":{\"include_usage\":null}}", &ir, &d) == 0);
	CHECK(ir.max_tokens == 2147483647 && ir.stream && !ir.include_usage);
	REQUIRE(decode_req("{\"messages\":[],\"max_completion_tokens\":1024.0,\"max_tokens\":7}", &ir, &d) == 0);
	CHECK(ir.max_tokens == 1024);
}

TEST(refusal_messages_exact)
{
	static const struct { const char *js, *want; } cases[] = {
		{ "{\"messages\":[{\"role\":\"system\",\"content\":1}]}",
		  "system message content must be a string or an array of text parts" },
		{ "{\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":\"image_url\"}]}]}",
		  "system message content parts must be text" },
		{ "{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":{}}]}",
		  "tool message content must be a string or an array of text parts" },
		{ "{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},1]}]}",
		  "tool message content parts must be text" },
		{ "{\"messages\":{}}", "messages must be an array" },
		{ "{\"messages\":[],\"tools\":{}}", "tools must be an array" },
		{ "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":{}}]}", "tool_calls must be an array" },
		{ "{\"messages\":[],\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}",
		  "too many stop sequences (at most 8)" },
		{ "{\"messages\":[],\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"x\"}}]}", "only function tools are supported" },
		{ "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"type\":\"custom\",\"id\":\"c\"}]}]}",
		  "only function tool calls are supported" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ir_request ir;
		struct json_doc d;
		int r = decode_req(cases[i].js, &ir, &d);
		if (r != -1 || strcmp(err, cases[i].want) != 0) {
			fprintf(stderr, "  case %zu: r=%d err=\"%s\", want \"%s\"\n", i, r, err, cases[i].want);
			CHECK(0);
		}
	}
	/* a tool result of two text parts: its nsub parts follow it */
	struct ir_request ir;
	struct json_doc d;
	REQUIRE(decode_req("{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
			   "{\"type\":\"text\",\"text\":\"b\"}]}]}", &ir, &d) == 0);
	CHECK(ir.nparts == 3 && ir.parts[0].kind == IR_TOOL_RESULT && ir.parts[0].nsub == 2 && STR_IS(ir.parts[2].text, "b"));
	/* encoder refusals */
	static const struct ir_str bad = { "{x", 2, IR_RAW };	/* checked when unescaped */
	ir_init(&ir);
	ir.max_tokens = ir.seed = ir.thinking_budget = -1;
	ir.parallel_tools = -1;
	ir.ntools = 1;
	memset(&tools[0], 0, sizeof tools[0]);
	tools[0].name = P("f");
	tools[0].parameters = bad;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	CHECK(dialect_openai.encode_request(&ir, "m", &o, err, sizeof err) == -1 && strcmp(err, "tool parameters are not valid JSON") == 0);
	ir.ntools = 0;
	ir.format = IR_FMT_JSON_SCHEMA;
	ir.schema = bad;
	json_out_init(&o, out, sizeof out);
	CHECK(dialect_openai.encode_request(&ir, "m", &o, err, sizeof err) == -1 && strcmp(err, "response schema is not valid JSON") == 0);
	/* no body and no error status: a server error */
	struct ir_error e;
	dialect_openai.decode_error(NULL, 0, &e);
	CHECK(e.cls == IR_ERR_SERVER && e.status == 500 && !e.type.p && !e.message.p);
}

/* ---- streams ---- */

/* A capturing client dialect: each IR event as one line of text. */
static char cap[65536];
static size_t caplen;

static void cap_str(const char *tag, const struct ir_str *s)
{
	char buf[4096];
	struct json_out o;
	json_out_init(&o, buf, sizeof buf);
	ir_write_unescaped(&o, s);
	caplen += (size_t)snprintf(cap + caplen, sizeof cap - caplen, " %s=%.*s", tag, (int)o.len, buf);
}

static void cap_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	static const char *names[] = { "START", "TEXT", "THINK", "TSTART", "TARGS", "FINISH", "USAGE", "ERROR", "END" };
	caplen += (size_t)snprintf(cap + caplen, sizeof cap - caplen, "%s", names[ev->kind]);
	switch (ev->kind) {
	case EV_START: cap_str("id", &ev->id); cap_str("model", &ev->name); break;
	case EV_TEXT: case EV_THINKING: cap_str("t", &ev->text); break;
	case EV_TOOL_START:
		caplen += (size_t)snprintf(cap + caplen, sizeof cap - caplen, " %u", ev->index);
		cap_str("id", &ev->id);
		cap_str("name", &ev->name);
		break;
	case EV_TOOL_ARGS:
		caplen += (size_t)snprintf(cap + caplen, sizeof cap - caplen, " %u", ev->index);
		cap_str("a", &ev->text);
		break;
	case EV_FINISH: caplen += (size_t)snprintf(cap + caplen, sizeof cap - caplen, " %s", ir_finish_name(ev->finish)); break;
	case EV_USAGE:
		caplen += (size_t)snprintf(cap + caplen, sizeof cap - caplen, " %lld/%lld/%lld/%lld", (long long)ev->usage.input,
					   (long long)ev->usage.output, (long long)ev->usage.cached, (long long)ev->usage.reasoning);
		break;
	case EV_ERROR:
		caplen += (size_t)snprintf(cap + caplen, sizeof cap - caplen, " %d %d", ev->error.cls, ev->error.status);
		cap_str("m", &ev->error.message);
		break;
	}
	caplen += (size_t)snprintf(cap + caplen, sizeof cap - caplen, "\n");
}

static const struct dialect_ops cap_ops = { .name = "capture", .encode_event = cap_event };

static unsigned rng = 4242;
static unsigned next_rand(void)
{
	return test_rand(&rng);
}

static char feed[65536];

/* Feeds an SSE body through the decoder in random slices; 0 or -1. */
static int run_stream(const struct dialect_ops *from, const struct dialect_ops *to, const char *sse, int whole,
		      struct json_out *o, int client_usage)
{
	static struct xlate_stream st;
	xlate_begin(&st, from, to, tok, MAXTOK, NULL, 0, "my-model", 1);
	st.created = 1700000000;
	st.serial = 7;
	st.client_usage = client_usage;
	caplen = 0;
	cap[0] = 0;
	return test_feed_sse(&st, sse, strlen(sse), feed, sizeof feed, whole ? 0 : 23, &rng, o);
}

static const char tool_stream[] =
	": keep-alive\n\n"
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[],"
	"\"prompt_filter_results\":[]}\n\n"
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":"
	"[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":"
	"[{\"index\":0,\"delta\":{\"reasoning_content\":\"Think\"},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":"
	"[{\"index\":0,\"delta\":{\"content\":\"Sure\\n\"},\"finish_reason\":null}]}\n\n"
	/* provider indices 3 and 5: dense IR indices 0 and 1 */
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":"
	"[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":3,\"id\":\"call_A\",\"type\":\"function\",\"function\":"
	"{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":"
	"[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":3,\"function\":{\"arguments\":\"{\\\"ci\"}}]},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":"
	"[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":5,\"id\":\"call_B\",\"type\":\"function\",\"function\":"
	"{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":"
	"[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":3,\"function\":{\"arguments\":\"ty\\\":\\\"Paris\\\"}\"}}]},"
	"\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":"
	"[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
	"data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[],"
	"\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20,\"total_tokens\":70,"
	"\"prompt_tokens_details\":{\"cached_tokens\":32},\"completion_tokens_details\":{\"reasoning_tokens\":5}}}\n\n"
	"data: [DONE]\n\n";

static const char tool_stream_ir[] =
	"START id=chatcmpl-9 model=gpt-4o\n"
	"THINK t=Think\n"
	"TEXT t=Sure\n\n"
	"TSTART 0 id=call_A name=get_weather\n"
	"TARGS 0 a={\"ci\n"
	"TSTART 1 id=call_B name=get_time\n"
	"TARGS 1 a={}\n"
	"TARGS 0 a=ty\":\"Paris\"}\n"
	"FINISH tool_calls\n"
	"USAGE 50/20/32/5\n"
	"END\n";

TEST(stream_decode_slices)
{
	for (int pass = 0; pass < 20; pass++) {
		struct json_out o;
		json_out_init(&o, out, sizeof out);
		REQUIRE(run_stream(&dialect_openai, &cap_ops, tool_stream, pass == 0, &o, 0) == 0);
		if (strcmp(cap, tool_stream_ir) != 0) {
			fprintf(stderr, "  pass %d got:\n%s", pass, cap);
			CHECK(0);
			return;
		}
	}
}

TEST(stream_decode_odd_servers)
{
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	/* No index (some servers), one id per call; a repeated id is the
	 * same call; index 0 reused with a new id is a new call; finish
	 * "stop" after tool calls is tool_calls; Groq's x_groq usage. */
	static const char sse[] =
		"data: {\"id\":\"x\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"c1\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}}]}\n\n"
		"data: {\"id\":\"x\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"c1\",\"function\":{\"arguments\":\"}\"}}]}}]}\n\n"
		"data: {\"id\":\"x\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c2\",\"function\":{\"name\":\"g\",\"arguments\":{\"a\":1}}}]}}]}\n\n"
		"data: {\"id\":\"x\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"x_groq\":{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}}\n\n"
		"data: [DONE]\n\n";
	REQUIRE(run_stream(&dialect_openai, &cap_ops, sse, 1, &o, 0) == 0);
	CHECK_EQ_STR(cap, caplen,
		     "START id=x model=m\n"
		     "TSTART 0 id=c1 name=f\n"
		     "TARGS 0 a={\n"
		     "TARGS 0 a=}\n"
		     "TSTART 1 id=c2 name=g\n"
		     "TARGS 1 a={\"a\":1}\n"
		     "FINISH tool_calls\n"
		     "USAGE 3/4/0/0\n"
		     "END\n");
	/* A mid-stream error object; then the stream is failed. */
	json_out_init(&o, out, sizeof out);
	REQUIRE(run_stream(&dialect_openai, &cap_ops,
			   "data: {\"id\":\"x\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"
			   "data: {\"error\":{\"message\":\"Rate limit\",\"type\":\"tokens\",\"code\":\"rate_limit_exceeded\"}}\n\n"
			   "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n", 1, &o, 0) == 0);
	CHECK_EQ_STR(cap, caplen, "START id=x model=m\nTEXT t=a\nERROR 6 429 m=Rate limit\n");
}

TEST(stream_decode_malformed)
{
	static const char *bad[] = {
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}\n\n",	/* truncated JSON */
		"data: not json\n\n",
		"data: [1,2]\n\n",
		"data: {\"choices\":{}}\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":\"x\"}]}\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":-1}]}}]}\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[7]}}]}\n\n",
		"data: {\"a\":1}\ndata: {\"b\":2}\n\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct json_out o;
		json_out_init(&o, out, sizeof out);
		CHECK(run_stream(&dialect_openai, &cap_ops, bad[i], 1, &o, 0) == -1);
	}
	/* More than IR_MAX_CALLS distinct calls: -1, not an overrun. */
	static char big[40000];
	size_t n = 0;
	for (int k = 0; k <= IR_MAX_CALLS; k++)
		n += (size_t)snprintf(big + n, sizeof big - n, "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
				      "[{\"index\":%d,\"id\":\"c%d\",\"function\":{\"name\":\"f\"}}]}}]}\n\n", k, k);
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	CHECK(run_stream(&dialect_openai, &cap_ops, big, 1, &o, 0) == -1);
}

/* IR events -> OpenAI SSE: the decoder's own output fed back into the
 * encoder (openai -> openai), with usage asked for. */
TEST(stream_encode)
{
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	REQUIRE(run_stream(&dialect_openai, &dialect_openai, tool_stream, 1, &o, 1) == 0);
#define CH(delta, fin) "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1700000000," \
	"\"model\":\"my-model\",\"choices\":[{\"index\":0,\"delta\":{" delta "},\"logprobs\":null,\"finish_reason\":" fin "}]," \
	"\"usage\":null}\n\n"
	OUT_IS(o, CH("\"role\":\"assistant\",\"content\":\"\"", "null")
		  CH("\"reasoning_content\":\"Think\"", "null")
		  CH("\"content\":\"Sure\\n\"", "null")
		  CH("\"tool_calls\":[{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]", "null")
		  CH("\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"ci\"}}]", "null")
		  CH("\"tool_calls\":[{\"index\":1,\"id\":\"call_B\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"\"}}]", "null")
		  CH("\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"{}\"}}]", "null")
		  CH("\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ty\\\":\\\"Paris\\\"}\"}}]", "null")
		  CH("", "\"tool_calls\"")
		  "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"my-model\","
		  "\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20,\"total_tokens\":70,"
		  "\"prompt_tokens_details\":{\"cached_tokens\":32},\"completion_tokens_details\":{\"reasoning_tokens\":5}}}\n\n"
		  "data: [DONE]\n\n");
#undef CH
}

TEST(stream_encode_by_hand)
{
	/* No provider id, no START, made-up tool id, JSON args, usage that
	 * arrives before the finish, no client usage, no finish at END. */
	static struct xlate_stream st;
	xlate_begin(&st, &cap_ops, &dialect_openai, tok, MAXTOK, NULL, 0, "m\"x", 1);
	st.created = 1700000000;
	st.serial = 3;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	st.out = &o;
	struct ir_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_USAGE;
	ev.usage.have = 1;
	ev.usage.input = 5;
	xlate_emit(&st, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_TOOL_START;
	ev.index = 0;
	ev.name = P("f");
	xlate_emit(&st, &ev);
	ev.kind = EV_TOOL_ARGS;
	ev.text = (struct ir_str){ "{\"a\": \"b\"}", 10, IR_JSON };
	xlate_emit(&st, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_END;
	xlate_emit(&st, &ev);
#define CH(delta, fin) "data: {\"id\":\"chatcmpl-llmgw-3\",\"object\":\"chat.completion.chunk\",\"created\":1700000000," \
	"\"model\":\"m\\\"x\",\"choices\":[{\"index\":0,\"delta\":{" delta "},\"logprobs\":null,\"finish_reason\":" fin "}]}\n\n"
	OUT_IS(o, CH("\"role\":\"assistant\",\"content\":\"\"", "null")
		  CH("\"tool_calls\":[{\"index\":0,\"id\":\"call_3_0\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]", "null")
		  CH("\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\": \\\"b\\\"}\"}}]", "null")
		  CH("", "\"stop\"")
		  "data: [DONE]\n\n");
#undef CH
	/* An error event: in-band, OpenAI shape. */
	xlate_begin(&st, &cap_ops, &dialect_openai, tok, MAXTOK, NULL, 0, "m", 1);
	json_out_init(&o, out, sizeof out);
	st.out = &o;
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_ERROR;
	ev.error.cls = IR_ERR_OVERLOADED;
	ev.error.status = 503;
	ev.error.type = P("overloaded_error");
	ev.error.message = P("Overloaded");
	xlate_emit(&st, &ev);
	OUT_IS(o, "data: {\"error\":{\"message\":\"Overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":\"overloaded_error\"}}\n\n");
	CHECK_EQ_STR(dialect_openai.stream_type(&st), strlen(dialect_openai.stream_type(&st)), "text/event-stream");
}

/* Random byte mutations of valid inputs never crash the decoders or the
 * encoders they feed (ASan/UBSan watch). */
TEST(mutations_do_not_crash)
{
	static char buf[8192];
	size_t n = strlen(full_req);
	int parsed = 0;
	for (int it = 0; it < 20000; it++) {
		memcpy(buf, full_req, n);
		int flips = 1 + (int)(next_rand() % 4);
		for (int f = 0; f < flips; f++)
			buf[next_rand() % n] = "{}[]\":,0a \\-nt"[next_rand() % 15];
		size_t len = next_rand() % 8 == 0 ? next_rand() % n : n;
		struct json_doc d;
		if (json_parse(&d, buf, len, tok, MAXTOK) < 1)
			continue;
		parsed++;
		struct ir_request ir;
		ir_init(&ir);
		if (dialect_openai.decode_request(&d, &ir, err, sizeof err) == 0) {
			struct json_out o;
			json_out_init(&o, out, sizeof out);
			dialect_openai.encode_request(&ir, "m", &o, err, sizeof err);
			CHECK(o.overflow || json_valid(out, o.len) == 0);
		}
		struct ir_response r;
		memset(&r, 0, sizeof r);
		r.parts = parts;
		if (dialect_openai.decode_response(&d, &r, err, sizeof err) == 0) {
			struct json_out o;
			json_out_init(&o, out, sizeof out);
			dialect_openai.encode_response(&r, "m", &o);
			CHECK(json_valid(out, o.len) == 0);
		}
		struct ir_error e;
		dialect_openai.decode_error(&d, 500, &e);
	}
	CHECK(parsed > 100);
	/* The stream decoder on mutated streams, fed through the encoder. */
	n = strlen(tool_stream);
	for (int it = 0; it < 3000; it++) {
		memcpy(buf, tool_stream, n);
		buf[n] = 0;
		for (int f = 0; f < 3; f++)
			buf[next_rand() % n] = "{}[]\":,0a \\-n\n"[next_rand() % 15];
		struct json_out o;
		json_out_init(&o, out, sizeof out);
		run_stream(&dialect_openai, &dialect_openai, buf, 0, &o, 1);
	}
}

int main(void)
{
	test_suite = "dialect_openai";
	RUN(decode_request_full);
	RUN(decode_request_defaults);
	RUN(decode_request_refusals);
	RUN(encode_request_exact);
	RUN(request_round_trip);
	RUN(decode_response_tools_usage);
	RUN(scan_usage);
	RUN(decode_response_variants);
	RUN(encode_response_thinking_no_usage);
	RUN(errors);
	RUN(stream_decode_slices);
	RUN(stream_decode_odd_servers);
	RUN(stream_decode_malformed);
	RUN(stream_encode);
	RUN(stream_encode_by_hand);
	RUN(mutations_do_not_crash);
	RUN(refusal_messages_exact);
	RUN(wrongly_typed_members);
	return test_summary();
}
