/*
 * test_dialect_anthropic.c - the Anthropic Messages dialect: request,
 * response, error and stream decoding from fixtures written after the API
 * reference, exact encoder output from hand-built IR, round trips, streams
 * fed in random slices, and malformed input.
 */
#include <stdlib.h>
#include "dialect.h"
#include "test.h"
#include "test_stream.h"

#define MAXTOK 8192
TEST_HEAP_ARRAY(jsmntok_t, tok, MAXTOK)
TEST_HEAP_ARRAY(jsmntok_t, tok2, MAXTOK)
TEST_HEAP_ARRAY(jsmntok_t, stok, MAXTOK)
TEST_HEAP_ARRAY(struct ir_part, parts, IR_MAX_PARTS)
static struct ir_msg msgs[IR_MAX_MSGS];
static struct ir_tool tools[IR_MAX_TOOLS];
static ir_call_id call_ids[IR_MAX_PARTS];
static char out[1 << 16];
static char err[256];

static int parse(struct json_doc *d, const char *s, jsmntok_t *t)
{
	return json_parse(d, s, strlen(s), t, MAXTOK);
}

static void ir_init(struct ir_request *ir)
{
	memset(ir, 0, sizeof *ir);
	memset(tools, 0, sizeof tools);
	ir->parts = parts;
	ir->msgs = msgs;
	ir->tools = tools;
	ir->call_ids = call_ids;
}

static int decode_req(const char *js, struct ir_request *ir, struct json_doc *d)
{
	ir_init(ir);
	err[0] = 0;
	if (parse(d, js, tok) < 1)
		return -2;
	return dialect_anthropic.decode_request(d, ir, err, sizeof err);
}

static int str_is(const struct ir_str *s, const char *lit)
{
	return ir_str_eq(s, lit);
}

/* Structural JSON equality (object member order ignored). */
static int jeq(const struct json_doc *a, int ia, const struct json_doc *b, int ib)
{
	const jsmntok_t *ta = &a->tok[ia], *tb = &b->tok[ib];
	if (ta->type != tb->type || ta->size != tb->size)
		return 0;
	if (ta->type == JSMN_STRING) {
		char x[4096], y[4096];
		int nx = json_unescape(a, ia, x, sizeof x), ny = json_unescape(b, ib, y, sizeof y);
		return nx >= 0 && nx == ny && memcmp(x, y, (size_t)nx) == 0;
	}
	if (ta->type == JSMN_PRIMITIVE)
		return json_raw_len(a, ia) == json_raw_len(b, ib) && !memcmp(json_raw(a, ia), json_raw(b, ib), json_raw_len(a, ia));
	if (ta->type == JSMN_ARRAY) {
		for (int k = 0; k < ta->size; k++)
			if (!jeq(a, json_index(a, ia, k), b, json_index(b, ib, k)))
				return 0;
		return 1;
	}
	int i = ib + 1;
	for (int k = 0; k < tb->size; k++) {
		char kb[256];
		if (json_unescape(b, i, kb, sizeof kb) < 0)
			return 0;
		int va = json_get(a, ia, kb);
		if (va < 0 || !jeq(a, va, b, i + 1))
			return 0;
		i = json_skip(b, i + 1);
	}
	return 1;
}

static int json_same(const char *x, size_t nx, const char *y)
{
	struct json_doc a, b;
	if (json_parse(&a, x, nx, tok2, MAXTOK) < 1 || json_parse(&b, y, strlen(y), stok, MAXTOK) < 1)
		return 0;
	return jeq(&a, 0, &b, 0);
}

#define CHECK_OUT(o, lit) CHECK_EQ_STR((o).buf, (o).len, lit)

/* ------------------------------------------------------------------ */

static const char req_full[] =
	"{\"model\":\"claude-x\",\"max_tokens\":1024,"
	"\"system\":\"Be brief.\","
	"\"messages\":["
	"{\"role\":\"user\",\"content\":\"What is the weather in Paris and Rome?\"},"
	"{\"role\":\"assistant\",\"content\":["
	"{\"type\":\"thinking\",\"thinking\":\"Two cities.\",\"signature\":\"sig1\"},"
	"{\"type\":\"text\",\"text\":\"Checking.\"},"
	"{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}},"
	"{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"get_time\",\"input\":{\"city\":\"Rome\"}}]},"
	"{\"role\":\"user\",\"content\":["
	"{\"type\":\"text\",\"text\":\"Here you go.\"},"
	"{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"18C\"},"
	"{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\",\"is_error\":true,\"content\":["
	"{\"type\":\"text\",\"text\":\"no clock\"},"
	"{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"iVBO\"}}]},"
	"{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://e.x/a.png\"}}]}],"
	"\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,"
	"\"stop_sequences\":[\"END\",\"STOP\"],\"stream\":true,"
	"\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather\",\"input_schema\":{\"type\":\"object\","
	"\"properties\":{\"city\":{\"type\":\"string\"}}}},{\"name\":\"get_time\",\"input_schema\":{\"type\":\"object\"}}],"
	"\"tool_choice\":{\"type\":\"any\",\"disable_parallel_tool_use\":true},"
	"\"metadata\":{\"user_id\":\"u-42\"},"
	"\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048}}";

TEST(decode_request_full)
{
	struct ir_request ir;
	struct json_doc d;
	REQUIRE(decode_req(req_full, &ir, &d) == 0);
	CHECK(str_is(&ir.model, "claude-x"));
	CHECK_EQ_INT(ir.max_tokens, 1024);
	CHECK_EQ_INT(ir.sys_n, 1);
	CHECK(str_is(&parts[ir.sys_first].text, "Be brief."));
	/* user, assistant, tool (results), user (text + image) */
	REQUIRE(ir.nmsgs == 4);
	CHECK_EQ_INT(msgs[0].role, IR_USER);
	CHECK_EQ_INT(msgs[1].role, IR_ASSISTANT);
	CHECK_EQ_INT(msgs[2].role, IR_TOOL);
	CHECK_EQ_INT(msgs[3].role, IR_USER);
	const struct ir_part *a = &parts[msgs[1].first];
	REQUIRE(msgs[1].n == 4);
	CHECK_EQ_INT(a[0].kind, IR_THINKING);
	CHECK(str_is(&a[0].text, "Two cities."));
	CHECK(str_is(&a[0].sig, "sig1"));
	CHECK_EQ_INT(a[2].kind, IR_TOOL_CALL);
	CHECK(str_is(&a[2].a, "toolu_1"));
	CHECK(str_is(&a[2].b, "get_weather"));
	CHECK_EQ_INT(a[2].args.kind, IR_JSON);
	CHECK_EQ_STR(a[2].args.p, a[2].args.n, "{\"city\":\"Paris\"}");
	const struct ir_part *t = &parts[msgs[2].first];
	REQUIRE(msgs[2].n == 4);	/* result, result + 2 sub-parts */
	CHECK_EQ_INT(t[0].kind, IR_TOOL_RESULT);
	CHECK(str_is(&t[0].a, "toolu_1"));
	CHECK(str_is(&t[0].b, "get_weather"));	/* name from the tool_use */
	CHECK(str_is(&t[0].text, "18C"));
	CHECK_EQ_INT(t[0].nsub, 0);
	CHECK_EQ_INT(t[0].is_error, 0);
	CHECK_EQ_INT(t[1].kind, IR_TOOL_RESULT);
	CHECK(str_is(&t[1].b, "get_time"));
	CHECK_EQ_INT(t[1].is_error, 1);
	CHECK_EQ_INT(t[1].nsub, 2);
	CHECK_EQ_INT(t[2].kind, IR_TEXT);
	CHECK_EQ_INT(t[3].kind, IR_IMAGE);
	CHECK(str_is(&t[3].a, "image/png"));
	CHECK(str_is(&t[3].b, "iVBO"));
	const struct ir_part *u = &parts[msgs[3].first];
	REQUIRE(msgs[3].n == 2);
	CHECK(str_is(&u[0].text, "Here you go."));
	CHECK_EQ_INT(u[1].kind, IR_IMAGE);
	CHECK_EQ_INT(u[1].is_url, 1);
	CHECK(str_is(&u[1].b, "https://e.x/a.png"));
	CHECK_EQ_STR(ir.temperature.p, ir.temperature.n, "0.5");
	CHECK_EQ_STR(ir.top_k.p, ir.top_k.n, "40");
	CHECK_EQ_INT(ir.nstop, 2);
	CHECK(str_is(&ir.stop[1], "STOP"));
	CHECK_EQ_INT(ir.stream, 1);
	REQUIRE(ir.ntools == 2);
	CHECK(str_is(&tools[0].description, "Weather"));
	CHECK(tools[1].description.p == NULL);
	CHECK_EQ_STR(tools[1].parameters.p, tools[1].parameters.n, "{\"type\":\"object\"}");
	CHECK_EQ_INT(ir.tool_choice, IR_TC_REQUIRED);
	CHECK_EQ_INT(ir.parallel_tools, 0);
	CHECK(str_is(&ir.user, "u-42"));
	CHECK_EQ_INT(ir.thinking_budget, 2048);
	CHECK_EQ_INT(ir.seed, -1);
}

TEST(decode_request_defaults_and_system_blocks)
{
	struct ir_request ir;
	struct json_doc d;
	REQUIRE(decode_req("{\"model\":\"m\",\"system\":[{\"type\":\"text\",\"text\":\"A\"},{\"type\":\"text\",\"text\":\"B\","
			   "\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
			   "\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"},\"thinking\":{\"type\":\"disabled\"},"
			   "\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\"}},\"effort\":\"low\"}}",
			   &ir, &d) == 0);
	CHECK_EQ_INT(ir.max_tokens, -1);	/* lenient: the gateway applies its default */
	CHECK_EQ_INT(ir.sys_n, 2);
	CHECK(str_is(&parts[ir.sys_first + 1].text, "B"));
	CHECK_EQ_INT(ir.nmsgs, 1);
	CHECK_EQ_INT(ir.tool_choice, IR_TC_TOOL);
	CHECK(str_is(&ir.tool_choice_name, "f"));
	CHECK_EQ_INT(ir.parallel_tools, -1);
	CHECK_EQ_INT(ir.thinking_budget, 0);
	CHECK_EQ_INT(ir.format, IR_FMT_JSON_SCHEMA);
	CHECK_EQ_STR(ir.schema.p, ir.schema.n, "{\"type\":\"object\"}");
	CHECK(str_is(&ir.reasoning, "low"));
	CHECK(ir.temperature.p == NULL);
	CHECK_EQ_INT(ir.stream, 0);

	/* redacted thinking dropped; adaptive thinking = unset */
	REQUIRE(decode_req("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":["
			   "{\"type\":\"redacted_thinking\",\"data\":\"xx\"},{\"type\":\"text\",\"text\":\"b\"}]}],"
			   "\"thinking\":{\"type\":\"adaptive\"},\"tools\":[{\"type\":\"custom\",\"name\":\"f\",\"input_schema\":{}}]}",
			   &ir, &d) == 0);
	CHECK_EQ_INT(msgs[1].n, 1);
	CHECK_EQ_INT(parts[msgs[1].first].kind, IR_TEXT);
	CHECK_EQ_INT(ir.thinking_budget, -1);
	CHECK_EQ_INT(ir.ntools, 1);
}

TEST(decode_request_refusals)
{
	struct ir_request ir;
	struct json_doc d;
	static const struct { const char *js, *msg; } bad[] = {
		{ "[]", "object" },
		{ "{\"model\":\"m\"}", "messages" },
		{ "{\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}", "role" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "content" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{}}]}]}", "not supported" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"file\",\"file_id\":\"f\"}}]}]}", "image" },
		{ "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"x\"}]}]}", "not supported" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_use\",\"id\":\"x\",\"name\":\"f\",\"input\":{}}]}]}", "not supported" },
		{ "{\"messages\":[],\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]}", "server tools" },
		{ "{\"messages\":[],\"tool_choice\":{\"type\":\"tool\"}}", "name" },
		{ "{\"messages\":[],\"tool_choice\":{\"type\":\"required\"}}", "tool_choice" },
		{ "{\"messages\":[],\"max_tokens\":-5}", "max_tokens" },
		{ "{\"messages\":[],\"max_tokens\":1.5}", "max_tokens" },
		{ "{\"messages\":[],\"temperature\":\"hot\"}", "temperature" },
		{ "{\"messages\":[],\"stop_sequences\":[\"a\",1]}", "stop_sequences" },
		{ "{\"messages\":[],\"stop_sequences\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}", "too many" },
		{ "{\"messages\":[],\"thinking\":{\"type\":\"enabled\"}}", "budget" },
		{ "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"x\",\"name\":\"f\",\"input\":[1]}]}]}", "object" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = decode_req(bad[i].js, &ir, &d);
		if (rc != -1 || !strstr(err, bad[i].msg))
			fprintf(stderr, "  case %zu: rc %d err \"%s\"\n", i, rc, err);
		CHECK(rc == -1 && strstr(err, bad[i].msg));
	}
}

/* ------------------------------------------------------------------ */

static struct ir_part *add(struct ir_request *ir, uint8_t kind)
{
	struct ir_part *p = &ir->parts[ir->nparts++];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	return p;
}

static void add_msg(struct ir_request *ir, uint8_t role, uint16_t first)
{
	ir->msgs[ir->nmsgs].role = role;
	ir->msgs[ir->nmsgs].first = first;
	ir->msgs[ir->nmsgs].n = (uint16_t)(ir->nparts - first);
	ir->nmsgs++;
}

#define PL(s) ir_plain(s, (uint32_t)strlen(s))
static struct ir_str JS(const char *s)
{
	struct ir_str x = { s, (uint32_t)strlen(s), IR_JSON };
	return x;
}
static struct ir_str RAW(const char *s)
{
	struct ir_str x = { s, (uint32_t)strlen(s), IR_RAW };
	return x;
}

/* An OpenAI-shaped conversation: system, user, assistant with an empty
 * text and two calls (OpenAI string arguments, one malformed), two tool
 * messages and a user message after them, which must become ONE user turn
 * with the results first. */
TEST(encode_request_exact)
{
	struct ir_request ir;
	ir_init(&ir);
	ir.parallel_tools = 0;
	ir.max_tokens = -1;
	ir.seed = 7;
	ir.thinking_budget = 100;
	ir.sys_first = 0;
	add(&ir, IR_TEXT)->text = PL("sys \"q\"");
	ir.sys_n = 1;
	uint16_t f = ir.nparts;
	add(&ir, IR_TEXT)->text = RAW("hi\\n");
	struct ir_part *img = add(&ir, IR_IMAGE);
	img->a = PL("image/jpeg");
	img->b = PL("AAAA");
	add_msg(&ir, IR_USER, f);
	f = ir.nparts;
	add(&ir, IR_TEXT)->text = PL("");
	struct ir_part *c = add(&ir, IR_TOOL_CALL);
	c->a = PL("call_1");
	c->b = PL("f");
	c->args = RAW("{\\\"x\\\":1}");
	c = add(&ir, IR_TOOL_CALL);
	c->a = PL("call_2");
	c->b = PL("g");
	c->args = RAW("{\\\"x\\\":");		/* truncated by the model */
	add(&ir, IR_THINKING)->text = PL("unsigned");	/* dropped */
	add_msg(&ir, IR_ASSISTANT, f);
	f = ir.nparts;
	struct ir_part *r = add(&ir, IR_TOOL_RESULT);
	r->a = PL("call_1");
	r->text = PL("one");
	add_msg(&ir, IR_TOOL, f);
	f = ir.nparts;
	add(&ir, IR_TEXT)->text = PL("and?");
	add_msg(&ir, IR_USER, f);
	f = ir.nparts;
	r = add(&ir, IR_TOOL_RESULT);
	r->a = PL("call_2");
	r->is_error = 1;
	r->nsub = 2;
	add(&ir, IR_TEXT)->text = PL("bad");
	struct ir_part *ui = add(&ir, IR_IMAGE);
	ui->is_url = 1;
	ui->b = PL("https://e.x/i.png");
	add_msg(&ir, IR_TOOL, f);
	ir.tools[0].name = PL("f");
	ir.tools[0].description = PL("d");
	ir.tools[0].parameters = JS("{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}}}");
	ir.tools[1].name = PL("g");
	ir.ntools = 2;
	ir.stop[0] = PL("X");
	ir.nstop = 1;
	ir.temperature = JS("1.7");
	ir.top_p = JS("0.5");
	ir.stream = 1;
	ir.user = PL("u");
	ir.format = IR_FMT_JSON_OBJECT;	/* dropped */

	struct json_out o;
	json_out_init(&o, out, sizeof out);
	REQUIRE(dialect_anthropic.encode_request(&ir, "claude-3", &o, err, sizeof err) == 0);
	REQUIRE(!o.overflow);
	CHECK_OUT(o, "{\"model\":\"claude-3\",\"max_tokens\":4096,\"system\":\"sys \\\"q\\\"\","
		  "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\\n\"},"
		  "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/jpeg\",\"data\":\"AAAA\"}}]},"
		  "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"f\",\"input\":{\"x\":1}},"
		  "{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"g\",\"input\":{}}]},"
		  "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"call_1\",\"content\":\"one\"},"
		  "{\"type\":\"tool_result\",\"tool_use_id\":\"call_2\",\"content\":[{\"type\":\"text\",\"text\":\"bad\"},"
		  "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://e.x/i.png\"}}],\"is_error\":true},"
		  "{\"type\":\"text\",\"text\":\"and?\"}]}],"
		  "\"tools\":[{\"name\":\"f\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}}}},"
		  "{\"name\":\"g\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}],"
		  "\"tool_choice\":{\"type\":\"auto\",\"disable_parallel_tool_use\":true},"
		  "\"stop_sequences\":[\"X\"],\"temperature\":1,\"top_p\":0.5,\"stream\":true,"
		  "\"metadata\":{\"user_id\":\"u\"},\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024}}");
	char path[64];
	CHECK(dialect_anthropic.request_path("m", 1, path, sizeof path) == 0 && !strcmp(path, "/v1/messages"));
	CHECK(dialect_anthropic.request_path("m", 0, path, 5) == -1);
}

TEST(encode_request_tool_choice_and_format)
{
	struct ir_request ir;
	static const struct { uint8_t tc; int8_t par; const char *want; } cases[] = {
		{ IR_TC_UNSET, -1, NULL },
		{ IR_TC_AUTO, -1, "\"tool_choice\":{\"type\":\"auto\"}" },
		{ IR_TC_REQUIRED, 0, "\"tool_choice\":{\"type\":\"any\",\"disable_parallel_tool_use\":true}" },
		{ IR_TC_NONE, 0, "\"tool_choice\":{\"type\":\"none\"}" },
		{ IR_TC_TOOL, 1, "\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"}" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ir_init(&ir);
		ir.max_tokens = 10;
		ir.thinking_budget = 0;
		ir.tool_choice = cases[i].tc;
		ir.tool_choice_name = PL("f");
		ir.parallel_tools = cases[i].par;
		ir.tools[0].name = PL("f");
		ir.ntools = 1;
		ir.format = IR_FMT_JSON_SCHEMA;
		ir.schema = JS("{\"type\":\"object\"}");
		uint16_t f = ir.nparts;
		add(&ir, IR_TEXT)->text = PL("x");
		add_msg(&ir, IR_USER, f);
		struct json_out o;
		json_out_init(&o, out, sizeof out);
		REQUIRE(dialect_anthropic.encode_request(&ir, "m", &o, err, sizeof err) == 0);
		out[o.len] = 0;
		if (cases[i].want)
			CHECK(strstr(out, cases[i].want) != NULL);
		else
			CHECK(strstr(out, "tool_choice") == NULL);
		CHECK(strstr(out, "\"max_tokens\":10,") != NULL);
		CHECK(strstr(out, "\"thinking\":{\"type\":\"disabled\"}") != NULL);
		CHECK(strstr(out, "\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\"}}}") != NULL);
		CHECK(json_valid(out, o.len) == 0);
	}
	/* no tools: no tool_choice at all; max_tokens 0 is not valid either */
	ir_init(&ir);
	ir.thinking_budget = -1;
	ir.tool_choice = IR_TC_REQUIRED;
	ir.parallel_tools = 0;
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	REQUIRE(dialect_anthropic.encode_request(&ir, "m", &o, err, sizeof err) == 0);
	CHECK_OUT(o, "{\"model\":\"m\",\"max_tokens\":4096,\"messages\":[]}");
}

TEST(request_round_trip)
{
	struct ir_request ir;
	struct json_doc d;
	static const char *reqs[] = {
		req_full,
		"{\"model\":\"m\",\"max_tokens\":5,\"system\":[{\"type\":\"text\",\"text\":\"A\"},{\"type\":\"text\",\"text\":\"B\"}],"
		"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"q\\u00e9\\\"\"}]},"
		"{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}],"
		"\"tools\":[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}],"
		"\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"},\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\"}}}}",
	};
	/* req_full as re-encoded: its mixed user turn comes back with the
	 * tool results first, and its string contents as text blocks. */
	static const char *want[] = {
		"{\"model\":\"claude-x\",\"max_tokens\":1024,\"system\":\"Be brief.\",\"messages\":["
		"{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is the weather in Paris and Rome?\"}]},"
		"{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"Two cities.\",\"signature\":\"sig1\"},"
		"{\"type\":\"text\",\"text\":\"Checking.\"},"
		"{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}},"
		"{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"get_time\",\"input\":{\"city\":\"Rome\"}}]},"
		"{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"18C\"},"
		"{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\",\"is_error\":true,\"content\":["
		"{\"type\":\"text\",\"text\":\"no clock\"},"
		"{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"iVBO\"}}]},"
		"{\"type\":\"text\",\"text\":\"Here you go.\"},"
		"{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://e.x/a.png\"}}]}],"
		"\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,\"stop_sequences\":[\"END\",\"STOP\"],\"stream\":true,"
		"\"tools\":[{\"name\":\"get_weather\",\"description\":\"Weather\",\"input_schema\":{\"type\":\"object\","
		"\"properties\":{\"city\":{\"type\":\"string\"}}}},{\"name\":\"get_time\",\"input_schema\":{\"type\":\"object\"}}],"
		"\"tool_choice\":{\"type\":\"any\",\"disable_parallel_tool_use\":true},\"metadata\":{\"user_id\":\"u-42\"},"
		"\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048}}",
		NULL,
	};
	for (int i = 0; i < 2; i++) {
		REQUIRE(decode_req(reqs[i], &ir, &d) == 0);
		struct json_out o;
		json_out_init(&o, out, sizeof out);
		REQUIRE(dialect_anthropic.encode_request(&ir, i == 0 ? "claude-x" : "m", &o, err, sizeof err) == 0);
		if (!json_same(out, o.len, want[i] ? want[i] : reqs[i]))
			fprintf(stderr, "  round trip %d: %.*s\n", i, (int)o.len, out);
		CHECK(json_same(out, o.len, want[i] ? want[i] : reqs[i]));
	}
}

/* ------------------------------------------------------------------ */

static const char resp_full[] =
	"{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-real\","
	"\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"S\"},"
	"{\"type\":\"redacted_thinking\",\"data\":\"zz\"},"
	"{\"type\":\"text\",\"text\":\"Let me check.\",\"citations\":null},"
	"{\"type\":\"tool_use\",\"id\":\"toolu_A\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}},"
	"{\"type\":\"tool_use\",\"id\":\"toolu_B\",\"name\":\"get_time\",\"input\":{}}],"
	"\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
	"\"usage\":{\"input_tokens\":100,\"cache_creation_input_tokens\":20,\"cache_read_input_tokens\":300,"
	"\"output_tokens\":50,\"service_tier\":\"standard\"}}";

TEST_HEAP_ARRAY(struct ir_part, rparts, IR_MAX_PARTS)

TEST(decode_response_full)
{
	struct json_doc d;
	struct ir_response r;
	memset(&r, 0, sizeof r);
	r.parts = rparts;
	REQUIRE(parse(&d, resp_full, tok) > 0);
	REQUIRE(dialect_anthropic.decode_response(&d, &r, err, sizeof err) == 0);
	CHECK(str_is(&r.id, "msg_01"));
	CHECK(str_is(&r.model, "claude-real"));
	REQUIRE(r.nparts == 4);
	CHECK_EQ_INT(rparts[0].kind, IR_THINKING);
	CHECK(str_is(&rparts[0].sig, "S"));
	CHECK_EQ_INT(rparts[1].kind, IR_TEXT);
	CHECK_EQ_INT(rparts[2].kind, IR_TOOL_CALL);
	CHECK(str_is(&rparts[2].a, "toolu_A"));
	CHECK_EQ_STR(rparts[3].args.p, rparts[3].args.n, "{}");
	CHECK_EQ_INT(r.finish, IR_FIN_TOOL_CALLS);
	CHECK_EQ_INT(r.usage.have, 1);
	CHECK_EQ_INT(r.usage.input, 420);
	CHECK_EQ_INT(r.usage.cached, 300);
	CHECK_EQ_INT(r.usage.cache_write, 20);
	CHECK_EQ_INT(r.usage.output, 50);

	static const struct { const char *sr; uint8_t fin; } fins[] = {
		{ "\"end_turn\"", IR_FIN_STOP }, { "\"stop_sequence\"", IR_FIN_STOP }, { "\"pause_turn\"", IR_FIN_STOP },
		{ "\"max_tokens\"", IR_FIN_LENGTH }, { "\"model_context_window_exceeded\"", IR_FIN_LENGTH },
		{ "\"tool_use\"", IR_FIN_TOOL_CALLS }, { "\"refusal\"", IR_FIN_CONTENT_FILTER }, { "null", IR_FIN_NONE },
	};
	for (size_t i = 0; i < sizeof fins / sizeof fins[0]; i++) {
		char js[256];
		snprintf(js, sizeof js, "{\"id\":\"x\",\"type\":\"message\",\"content\":[],\"stop_reason\":%s,"
			 "\"stop_sequence\":\"ZZ\",\"usage\":{\"input_tokens\":1,\"output_tokens\":2}}", fins[i].sr);
		REQUIRE(parse(&d, js, tok) > 0);
		REQUIRE(dialect_anthropic.decode_response(&d, &r, err, sizeof err) == 0);
		CHECK_EQ_INT(r.finish, fins[i].fin);
		CHECK(str_is(&r.stop_sequence, "ZZ"));
		CHECK_EQ_INT(r.usage.input, 1);
	}
	static const char *bad[] = {
		"[]", "{\"type\":\"error\",\"error\":{}}", "{\"type\":\"message\"}",
		"{\"content\":[{\"type\":\"text\"}]}", "{\"content\":[{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"b\",\"input\":\"s\"}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		REQUIRE(parse(&d, bad[i], tok) > 0);
		CHECK(dialect_anthropic.decode_response(&d, &r, err, sizeof err) == -1);
	}
}

TEST(encode_response_exact)
{
	struct ir_response r;
	memset(&r, 0, sizeof r);
	r.parts = rparts;
	rparts[0] = (struct ir_part){ .kind = IR_TEXT, .text = PL("") };	/* skipped */
	rparts[1] = (struct ir_part){ .kind = IR_TEXT, .text = RAW("Hi \\\"there\\\"") };
	rparts[2] = (struct ir_part){ .kind = IR_TOOL_CALL, .a = PL("call_9"), .b = PL("f"), .args = RAW("{\\\"a\\\":[1,2]}") };
	rparts[3] = (struct ir_part){ .kind = IR_TOOL_CALL, .a = PL("call_10"), .b = PL("g"), .args = RAW("not json") };
	r.nparts = 4;
	r.finish = IR_FIN_TOOL_CALLS;
	r.usage = (struct ir_usage){ .have = 1, .input = 1000, .output = 7, .cached = 600, .cache_write = 0 };
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	dialect_anthropic.encode_response(&r, "my-model", &o);
	CHECK_OUT(o, "{\"id\":\"msg_llmgw\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"my-model\","
		  "\"content\":[{\"type\":\"text\",\"text\":\"Hi \\\"there\\\"\"},"
		  "{\"type\":\"tool_use\",\"id\":\"call_9\",\"name\":\"f\",\"input\":{\"a\":[1,2]}},"
		  "{\"type\":\"tool_use\",\"id\":\"call_10\",\"name\":\"g\",\"input\":{}}],"
		  "\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
		  "\"usage\":{\"input_tokens\":400,\"output_tokens\":7,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":600}}");

	/* finish reasons and stop sequence */
	static const struct { uint8_t fin; int seq; const char *want; } fins[] = {
		{ IR_FIN_STOP, 0, "\"stop_reason\":\"end_turn\",\"stop_sequence\":null" },
		{ IR_FIN_STOP, 1, "\"stop_reason\":\"stop_sequence\",\"stop_sequence\":\"##\"" },
		{ IR_FIN_LENGTH, 0, "\"stop_reason\":\"max_tokens\"" },
		{ IR_FIN_CONTENT_FILTER, 0, "\"stop_reason\":\"refusal\"" },
		{ IR_FIN_NONE, 0, "\"stop_reason\":null" },
	};
	for (size_t i = 0; i < sizeof fins / sizeof fins[0]; i++) {
		memset(&r, 0, sizeof r);
		r.parts = rparts;
		r.id = RAW("chatcmpl-1");
		r.finish = fins[i].fin;
		if (fins[i].seq)
			r.stop_sequence = PL("##");
		json_out_init(&o, out, sizeof out);
		dialect_anthropic.encode_response(&r, "m", &o);
		out[o.len] = 0;
		CHECK(strstr(out, fins[i].want) != NULL);
		CHECK(strstr(out, "\"id\":\"chatcmpl-1\"") != NULL);
		CHECK(strstr(out, "\"usage\":{\"input_tokens\":0,\"output_tokens\":0,") != NULL);
	}
}

TEST(response_round_trip)
{
	struct json_doc d;
	struct ir_response r;
	memset(&r, 0, sizeof r);
	r.parts = rparts;
	REQUIRE(parse(&d, resp_full, tok) > 0);
	REQUIRE(dialect_anthropic.decode_response(&d, &r, err, sizeof err) == 0);
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	dialect_anthropic.encode_response(&r, "claude-real", &o);
	CHECK(json_same(out, o.len,
			"{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-real\","
			"\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"S\"},"
			"{\"type\":\"text\",\"text\":\"Let me check.\"},"
			"{\"type\":\"tool_use\",\"id\":\"toolu_A\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}},"
			"{\"type\":\"tool_use\",\"id\":\"toolu_B\",\"name\":\"get_time\",\"input\":{}}],"
			"\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
			"\"usage\":{\"input_tokens\":100,\"cache_creation_input_tokens\":20,\"cache_read_input_tokens\":300,"
			"\"output_tokens\":50}}"));
}

/* ------------------------------------------------------------------ */

TEST(errors)
{
	static const struct { const char *type; int status; uint8_t cls; } types[] = {
		{ "invalid_request_error", 400, IR_ERR_INVALID }, { "authentication_error", 401, IR_ERR_AUTH },
		{ "billing_error", 402, IR_ERR_BILLING }, { "permission_error", 403, IR_ERR_PERMISSION },
		{ "not_found_error", 404, IR_ERR_NOT_FOUND }, { "request_too_large", 413, IR_ERR_TOO_LARGE },
		{ "rate_limit_error", 429, IR_ERR_RATE_LIMIT }, { "api_error", 500, IR_ERR_SERVER },
		{ "overloaded_error", 529, IR_ERR_OVERLOADED }, { "timeout_error", 504, IR_ERR_TIMEOUT },
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		char js[256], want[300];
		snprintf(js, sizeof js, "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":\"m %zu\"},\"request_id\":\"req_1\"}",
			 types[i].type, i);
		struct json_doc d;
		struct ir_error e;
		REQUIRE(parse(&d, js, tok) > 0);
		dialect_anthropic.decode_error(&d, types[i].status, &e);
		CHECK_EQ_INT(e.cls, types[i].cls);
		CHECK_EQ_INT(e.status, types[i].cls == IR_ERR_OVERLOADED ? 503 : types[i].status);
		CHECK(str_is(&e.type, types[i].type));
		CHECK(str_is(&e.request_id, "req_1"));
		struct json_out o;
		json_out_init(&o, out, sizeof out);
		dialect_anthropic.encode_error(&e, &o);
		snprintf(want, sizeof want, "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":\"m %zu\"},\"request_id\":\"req_1\"}",
			 types[i].type, i);
		CHECK_EQ_STR(out, o.len, want);
	}
	/* not JSON (a 413 from a proxy), and a 503 from elsewhere */
	struct ir_error e;
	dialect_anthropic.decode_error(NULL, 413, &e);
	CHECK_EQ_INT(e.cls, IR_ERR_TOO_LARGE);
	CHECK(e.message.p == NULL);
	struct json_out o;
	json_out_init(&o, out, sizeof out);
	dialect_anthropic.encode_error(&e, &o);
	CHECK_OUT(o, "{\"type\":\"error\",\"error\":{\"type\":\"request_too_large\",\"message\":\"Request too large\"}}");
	memset(&e, 0, sizeof e);
	e.cls = IR_ERR_OVERLOADED;
	e.message = PL("busy \"now\"");
	json_out_init(&o, out, sizeof out);
	dialect_anthropic.encode_error(&e, &o);
	CHECK_OUT(o, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy \\\"now\\\"\"}}");
	/* known type beats an odd status; unknown type keeps the status class */
	struct json_doc d;
	REQUIRE(parse(&d, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"x\"}}", tok) > 0);
	dialect_anthropic.decode_error(&d, 500, &e);
	CHECK_EQ_INT(e.cls, IR_ERR_OVERLOADED);
	REQUIRE(parse(&d, "{\"type\":\"error\",\"error\":{\"type\":\"weird\",\"message\":\"x\"}}", tok) > 0);
	dialect_anthropic.decode_error(&d, 429, &e);
	CHECK_EQ_INT(e.cls, IR_ERR_RATE_LIMIT);
	CHECK_EQ_INT(e.status, 429);
}

/* ------------------------------------------------------------------ */
/* streams                                                             */

struct rec {
	uint8_t kind, finish;
	uint16_t index;
	char text[128], id[64], name[64], sig[64];
	struct ir_usage usage;
	struct ir_error error;
	char emsg[64];
};
static struct rec recs[256];
static int nrec;

static void copy_str(char *dst, size_t cap, const struct ir_str *s)
{
	struct json_out o;
	json_out_init(&o, dst, cap - 1);
	if (s->p && s->kind == IR_RAW)
		json_raw_append(&o, s->p, s->n);	/* keep escapes: what encoders get */
	else if (s->p)
		json_raw_append(&o, s->p, s->n);
	dst[o.len] = 0;
}

static void rec_event(struct xlate_stream *s, const struct ir_event *ev, struct json_out *o)
{
	if (nrec >= 256)
		return;
	struct rec *r = &recs[nrec++];
	memset(r, 0, sizeof *r);
	r->kind = ev->kind;
	r->finish = ev->finish;
	r->index = ev->index;
	copy_str(r->text, sizeof r->text, &ev->text);
	copy_str(r->id, sizeof r->id, &ev->id);
	copy_str(r->name, sizeof r->name, &ev->name);
	copy_str(r->sig, sizeof r->sig, &ev->sig);
	copy_str(r->emsg, sizeof r->emsg, &ev->error.message);
	r->usage = ev->usage;
	r->error = ev->error;
}

static const struct dialect_ops recorder = { .id = DIALECT_OPENAI, .name = "rec", .encode_event = rec_event };

static char scratch[4096];
static char feedbuf[1 << 15];

static unsigned rng = 4242;
static unsigned rnd(void)
{
	return test_rand(&rng);
}

/* Feeds the SSE text through from -> to in random slices (maxstep 0:
 * whole). Returns -1 if an event failed to decode. */
static int run_stream(const struct dialect_ops *from, const struct dialect_ops *to, const char *sse, unsigned maxstep,
		      struct json_out *o)
{
	static struct xlate_stream s;
	xlate_begin(&s, from, to, stok, MAXTOK, scratch, sizeof scratch, "client-model", 1);
	nrec = 0;
	return test_feed_sse(&s, sse, strlen(sse), feedbuf, sizeof feedbuf, maxstep, &rng, o);
}

/* An Anthropic stream as the API reference shows it: thinking, text, two
 * tool_use blocks, pings, usage at start and in message_delta. */
static const char anth_stream[] =
	"event: message_start\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_S\",\"type\":\"message\",\"role\":\"assistant\","
	"\"content\":[],\"model\":\"claude-real\",\"stop_reason\":null,\"stop_sequence\":null,"
	"\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":70,\"output_tokens\":1}}}\n\n"
	"event: ping\ndata: {\"type\": \"ping\"}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me think\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"SIG\"}}\n\n"
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Checking \\\"both\\\"\"}}\n\n"
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_A\","
	"\"name\":\"get_weather\",\"input\":{}}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Pa\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"ris\\\"}\"}}\n\n"
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_B\","
	"\"name\":\"get_time\",\"input\":{}}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"tz\\\":\\\"CET\\\"}\"}}\n\n"
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":3}\n\n"
	"event: ping\ndata: {\"type\": \"ping\"}\n\n"
	"event: message_delta\n"
	"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\n\n"
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

TEST(stream_decode)
{
	for (unsigned pass = 0; pass < 4; pass++) {
		char buf[8192];
		struct json_out o;
		json_out_init(&o, buf, sizeof buf);
		REQUIRE(run_stream(&dialect_anthropic, &recorder, anth_stream, pass == 0 ? 0 : pass == 1 ? 1 : 37, &o) == 0);
		REQUIRE(nrec == 13);
		CHECK_EQ_INT(recs[0].kind, EV_START);
		CHECK(!strcmp(recs[0].id, "msg_S"));
		CHECK(!strcmp(recs[0].name, "claude-real"));
		CHECK_EQ_INT(recs[1].kind, EV_USAGE);
		CHECK_EQ_INT(recs[1].usage.input, 100);
		CHECK_EQ_INT(recs[1].usage.cached, 70);
		CHECK_EQ_INT(recs[1].usage.cache_write, 5);
		CHECK_EQ_INT(recs[2].kind, EV_THINKING);
		CHECK(!strcmp(recs[2].text, "Let me think"));
		CHECK_EQ_INT(recs[3].kind, EV_THINKING);
		CHECK(!strcmp(recs[3].sig, "SIG") && recs[3].text[0] == 0);
		CHECK_EQ_INT(recs[4].kind, EV_TEXT);
		CHECK(!strcmp(recs[4].text, "Checking \\\"both\\\""));
		CHECK_EQ_INT(recs[5].kind, EV_TOOL_START);
		CHECK_EQ_INT(recs[5].index, 0);	/* dense, not the block index 2 */
		CHECK(!strcmp(recs[5].id, "toolu_A") && !strcmp(recs[5].name, "get_weather"));
		CHECK_EQ_INT(recs[6].kind, EV_TOOL_ARGS);
		CHECK_EQ_INT(recs[6].index, 0);
		CHECK(!strcmp(recs[6].text, "{\\\"city\\\": \\\"Pa"));
		CHECK(!strcmp(recs[7].text, "ris\\\"}"));
		CHECK_EQ_INT(recs[8].kind, EV_TOOL_START);
		CHECK_EQ_INT(recs[8].index, 1);
		CHECK_EQ_INT(recs[9].kind, EV_TOOL_ARGS);
		CHECK_EQ_INT(recs[9].index, 1);
		CHECK_EQ_INT(recs[10].kind, EV_FINISH);
		CHECK_EQ_INT(recs[10].finish, IR_FIN_TOOL_CALLS);
		CHECK_EQ_INT(recs[11].kind, EV_USAGE);
		CHECK_EQ_INT(recs[11].usage.input, 100);
		CHECK_EQ_INT(recs[11].usage.output, 89);
		CHECK_EQ_INT(recs[12].kind, EV_END);
	}
}

TEST(stream_decode_error_and_bad)
{
	char buf[4096];
	struct json_out o;
	json_out_init(&o, buf, sizeof buf);
	REQUIRE(run_stream(&dialect_anthropic, &recorder,
			   "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"x\"}}\n\n"
			   ": comment\n\n"
			   "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
			   5, &o) == 0);
	REQUIRE(nrec == 2);
	CHECK_EQ_INT(recs[0].kind, EV_START);
	CHECK_EQ_INT(recs[1].kind, EV_ERROR);
	CHECK_EQ_INT(recs[1].error.cls, IR_ERR_OVERLOADED);
	CHECK(!strcmp(recs[1].emsg, "Overloaded"));

	static const char *bad[] = {
		"data: not json\n\n",
		"data: {\"no\":\"type\"}\n\n",
		"event: x\ndata: {\"type\":\"message_start\"}\n\n",
		"data: {\"type\":\"content_block_delta\",\"index\":5,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n",
		"data: {\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":\"text\"}}\n\n",
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":5}}\n\n",
		"data: {\"type\":\"message_delta\"\ndata: ,\"x\":1}\n\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_out_init(&o, buf, sizeof buf);
		CHECK(run_stream(&dialect_anthropic, &recorder, bad[i], 0, &o) == -1);
	}
}

static void ev_simple(struct xlate_stream *s, uint8_t kind)
{
	struct ir_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	xlate_emit(s, &ev);
}

/* OpenAI-shaped IR: start, text, two tools whose args come as OpenAI
 * fragments, usage only at the end. */
TEST(stream_encode_exact)
{
	static struct xlate_stream s;
	char buf[8192];
	struct json_out o;
	json_out_init(&o, buf, sizeof buf);
	xlate_begin(&s, &dialect_anthropic, &dialect_anthropic, stok, MAXTOK, scratch, sizeof scratch, "cm", 1);
	s.out = &o;
	struct ir_event ev;
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_START;
	ev.id = RAW("chatcmpl-1");
	ev.name = PL("gpt");
	xlate_emit(&s, &ev);
	CHECK_EQ_INT(o.len, 0);		/* held until the first content */
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_TEXT;
	ev.text = RAW("Hi\\n");
	xlate_emit(&s, &ev);
	xlate_emit(&s, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_TOOL_START;
	ev.index = 0;
	ev.id = PL("call_a");
	ev.name = PL("f");
	xlate_emit(&s, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_TOOL_ARGS;
	ev.index = 0;
	ev.text = RAW("{\\\"x\\\":");
	xlate_emit(&s, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_TOOL_START;
	ev.index = 1;
	ev.id = PL("call_b");
	ev.name = PL("g");
	xlate_emit(&s, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_TOOL_ARGS;
	ev.index = 1;
	ev.text = JS("{\"y\":2}");	/* Gemini-style whole object */
	xlate_emit(&s, &ev);
	ev.index = 0;			/* late args for a closed block */
	ev.text = RAW("1}");
	xlate_emit(&s, &ev);
	ev.index = 5;			/* never started: dropped */
	xlate_emit(&s, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_FINISH;
	ev.finish = IR_FIN_TOOL_CALLS;
	xlate_emit(&s, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_USAGE;
	ev.usage = (struct ir_usage){ .have = 1, .input = 50, .output = 9, .cached = 10 };
	xlate_emit(&s, &ev);
	ev_simple(&s, EV_END);
	CHECK_EQ_STR(buf, o.len,
		     "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"chatcmpl-1\",\"type\":\"message\","
		     "\"role\":\"assistant\",\"model\":\"cm\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
		     "\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}\n\n"
		     "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
		     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\\n\"}}\n\n"
		     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\\n\"}}\n\n"
		     "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
		     "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"call_a\",\"name\":\"f\",\"input\":{}}}\n\n"
		     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"x\\\":\"}}\n\n"
		     "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
		     "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"call_b\",\"name\":\"g\",\"input\":{}}}\n\n"
		     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"y\\\":2}\"}}\n\n"
		     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"1}\"}}\n\n"
		     "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
		     "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},"
		     "\"usage\":{\"output_tokens\":9,\"input_tokens\":40,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":10}}\n\n"
		     "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");

	/* an error mid-stream, and nothing after it */
	json_out_init(&o, buf, sizeof buf);
	xlate_begin(&s, &dialect_anthropic, &dialect_anthropic, stok, MAXTOK, scratch, sizeof scratch, "cm", 1);
	s.out = &o;
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_START;
	xlate_emit(&s, &ev);
	ev.kind = EV_THINKING;
	ev.text = PL("t");
	ev.sig = PL("s");
	xlate_emit(&s, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = EV_ERROR;
	ev.error.cls = IR_ERR_RATE_LIMIT;
	ev.error.message = PL("slow down");
	xlate_emit(&s, &ev);
	ev_simple(&s, EV_END);
	CHECK_EQ_STR(buf, o.len,
		     "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_llmgw\",\"type\":\"message\","
		     "\"role\":\"assistant\",\"model\":\"cm\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
		     "\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}\n\n"
		     "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n"
		     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"t\"}}\n\n"
		     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"s\"}}\n\n"
		     "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
		     "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}\n\n");
	CHECK(!strcmp(dialect_anthropic.stream_type(&s), "text/event-stream"));
}

/* Anthropic -> Anthropic through the IR: the same events come out (no
 * pings; the message_start keeps its usage because it waits for it). */
TEST(stream_round_trip)
{
	static const char want[] =
		"event: message_start\n"
		"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_S\",\"type\":\"message\",\"role\":\"assistant\","
		"\"model\":\"client-model\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
		"\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":70,\"output_tokens\":1}}}\n\n"
		"event: content_block_start\n"
		"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n"
		"event: content_block_delta\n"
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me think\"}}\n\n"
		"event: content_block_delta\n"
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"SIG\"}}\n\n"
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
		"event: content_block_start\n"
		"data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
		"event: content_block_delta\n"
		"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Checking \\\"both\\\"\"}}\n\n"
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
		"event: content_block_start\n"
		"data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_A\","
		"\"name\":\"get_weather\",\"input\":{}}}\n\n"
		"event: content_block_delta\n"
		"data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Pa\"}}\n\n"
		"event: content_block_delta\n"
		"data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"ris\\\"}\"}}\n\n"
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
		"event: content_block_start\n"
		"data: {\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_B\","
		"\"name\":\"get_time\",\"input\":{}}}\n\n"
		"event: content_block_delta\n"
		"data: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"tz\\\":\\\"CET\\\"}\"}}\n\n"
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":3}\n\n"
		"event: message_delta\n"
		"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},"
		"\"usage\":{\"output_tokens\":89,\"input_tokens\":25,\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":70}}\n\n"
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
	static char buf[16384], first[16384];
	size_t first_len = 0;
	for (unsigned pass = 0; pass < 5; pass++) {
		struct json_out o;
		json_out_init(&o, buf, sizeof buf);
		REQUIRE(run_stream(&dialect_anthropic, &dialect_anthropic, anth_stream, pass == 0 ? 0 : 1 + pass * 13, &o) == 0);
		if (pass == 0) {
			CHECK_EQ_STR(buf, o.len, want);
			memcpy(first, buf, o.len);
			first_len = o.len;
		} else {
			CHECK(o.len == first_len && !memcmp(buf, first, o.len));
		}
	}
}

/* ------------------------------------------------------------------ */
/* malformed input never crashes                                       */

TEST(mutations_never_crash)
{
	static const char *seeds[] = { req_full, resp_full };
	static char m[8192];
	static char big[1 << 17];
	int parsed = 0;
	for (int iter = 0; iter < 20000; iter++) {
		const char *seed = seeds[iter & 1];
		size_t n = strlen(seed);
		memcpy(m, seed, n);
		int edits = 1 + (int)(rnd() % 4);
		for (int e = 0; e < edits; e++) {
			size_t at = rnd() % n;
			static const char alphabet[] = "{}[]\",:0-1.5etrufalsn \\x";
			m[at] = alphabet[rnd() % (sizeof alphabet - 1)];
		}
		if (rnd() % 4 == 0)
			n = rnd() % n;	/* truncated */
		struct json_doc d;
		if (json_parse(&d, m, n, tok, MAXTOK) < 1)
			continue;
		parsed++;
		struct ir_request ir;
		ir_init(&ir);
		struct json_out o;
		if (dialect_anthropic.decode_request(&d, &ir, err, sizeof err) == 0) {
			json_out_init(&o, big, sizeof big);
			CHECK(dialect_anthropic.encode_request(&ir, "m", &o, err, sizeof err) == 0);
			CHECK(o.overflow || json_valid(big, o.len) == 0);
		}
		struct ir_response r;
		memset(&r, 0, sizeof r);
		r.parts = rparts;
		if (dialect_anthropic.decode_response(&d, &r, err, sizeof err) == 0) {
			json_out_init(&o, big, sizeof big);
			dialect_anthropic.encode_response(&r, "m", &o);
			CHECK(json_valid(big, o.len) == 0);
		}
		struct ir_error e;
		dialect_anthropic.decode_error(&d, 400, &e);
		json_out_init(&o, big, sizeof big);
		dialect_anthropic.encode_error(&e, &o);
		CHECK(json_valid(big, o.len) == 0);
	}
	CHECK(parsed > 100);

	/* streams: mutated bytes, any slice; output must stay well-formed SSE
	 * whose data lines are JSON */
	size_t n = strlen(anth_stream);
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(m, anth_stream, n);
		m[n] = 0;
		for (int e = 0; e < 3; e++)
			m[rnd() % n] = "{}\":,x1\n "[rnd() % 9];
		struct json_out o;
		json_out_init(&o, big, sizeof big);
		run_stream(&dialect_anthropic, &dialect_anthropic, m, 50, &o);
		size_t pos = 0;
		struct sse_event ev;
		int k;
		while ((k = sse_next(big + pos, o.len - pos, &ev)) > 0) {
			CHECK(ev.data_lines == 1 && json_valid(ev.data, ev.data_len) == 0);
			pos += (size_t)k;
		}
		CHECK(pos == o.len);
	}
}

TEST(output_overflow_is_flagged)
{
	struct ir_request ir;
	struct json_doc d;
	REQUIRE(decode_req(req_full, &ir, &d) == 0);
	char small[100];
	struct json_out o;
	json_out_init(&o, small, sizeof small);
	dialect_anthropic.encode_request(&ir, "m", &o, err, sizeof err);
	CHECK(o.overflow);
	CHECK(o.len <= sizeof small);
}

/* The usage of a same-dialect answer, read from its text without tokens:
 * input counts the cache reads and writes too. */
/* The whole text of the refusals whose messages are built from one
 * format with a varying word, and the number fields read by one loop. */
/* Every member the decoder reads has the one JSON type the API gives it
 * (null: absent); anything else is a 400 naming it, never read as absent. */
TEST(wrongly_typed_members)
{
	static const struct { const char *js, *want; } cases[] = {
		{ "{\"messages\":[],\"stream\":\"yes\"}", "stream must be a boolean" },
		{ "{\"messages\":[],\"max_tokens\":1e400}", "max_tokens must be an integer from 0 to 2147483647" },
		{ "{\"messages\":[],\"max_tokens\":12345678901234567890123456}",
		  "max_tokens must be an integer from 0 to 2147483647" },
		{ "{\"messages\":[],\"max_tokens\":0}", "max_tokens must be a positive integer" },
		{ "{\"messages\":[],\"temperature\":1e400}", "temperature must be a number" },
		{ "{\"messages\":[],\"system\":5}", "system must be a string or an array" },
		{ "{\"messages\":[],\"stop_sequences\":\"x\"}", "stop_sequences must be an array" },
		{ "{\"messages\":[],\"tool_choice\":\"auto\"}", "tool_choice must be an object" },
		{ "{\"messages\":[],\"tool_choice\":{\"type\":\"auto\",\"disable_parallel_tool_use\":\"yes\"}}",
		  "tool_choice.disable_parallel_tool_use must be a boolean" },
		{ "{\"messages\":[],\"metadata\":\"u\"}", "metadata must be an object" },
		{ "{\"messages\":[],\"metadata\":{\"user_id\":5}}", "metadata.user_id must be a string" },
		{ "{\"messages\":[],\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":\"1024\"}}",
		  "thinking.budget_tokens must be an integer from 0 to 2147483647" },
		{ "{\"messages\":[],\"thinking\":{\"type\":\"enabled\"}}", "thinking.budget_tokens is required with type enabled" },
		{ "{\"messages\":[],\"output_config\":\"x\"}", "output_config must be an object" },
		{ "{\"messages\":[],\"output_config\":{\"effort\":1}}", "output_config.effort must be a string" },
		{ "{\"messages\":[],\"model\":[]}", "model must be a string" },
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
	REQUIRE(decode_req("{\"model\":\"m\",\"messages\":[],\"system\":null,\"max_tokens\":null,\"stream\":null,"
			   "\"temperature\":null,\"top_p\":null,\"top_k\":null,\"stop_sequences\":null,\"tools\":null,"
			   "\"tool_choice\":null,\"metadata\":{\"user_id\":null},\"thinking\":null,\"output_config\":null}",
			   &ir, &d) == 0);
	CHECK(ir.max_tokens == -1 && !ir.stream && !ir.user.p);
	REQUIRE(decode_req("{\"messages\":[],\"max_tokens\":2147483647,\"stream\":false}", &ir, &d) == 0);
	CHECK(ir.max_tokens == 2147483647 && !ir.stream);
}

TEST(refusal_messages_exact)
{
	static const struct { const char *js, *want; } cases[] = {
		{ "{\"messages\":{}}", "messages must be an array" },
		{ "{\"messages\":[],\"tools\":{}}", "tools must be an array" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":1}]}", "message content must be a string or an array" },
		{ "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":1}]}]}",
		  "tool_result content must be a string or an array" },
		{ "{\"messages\":[],\"stop_sequences\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}", "too many stop_sequences" },
		{ "{\"messages\":[],\"top_p\":\"x\"}", "top_p must be a number" },
		{ "{\"messages\":[],\"top_k\":true}", "top_k must be a number" },
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
	struct ir_request ir;
	struct json_doc d;
	REQUIRE(decode_req("{\"messages\":[],\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40}", &ir, &d) == 0);
	CHECK(str_is(&ir.temperature, "0.5") && str_is(&ir.top_p, "0.9") && str_is(&ir.top_k, "40"));
}

TEST(scan_usage)
{
	struct ir_usage u;
	static const char full[] = "{\"input_tokens\":10,\"cache_creation_input_tokens\":3,"
		"\"cache_read_input_tokens\":5,\"output_tokens\":7,\"service_tier\":\"standard\"}";
	dialect_anthropic.scan_usage(full, strlen(full), &u);
	CHECK(u.have && u.input == 18 && u.cache_write == 3 && u.cached == 5 && u.output == 7);
	static const char nul[] = "{\"input_tokens\":10,\"cache_read_input_tokens\":null,\"output_tokens\":-2}";
	dialect_anthropic.scan_usage(nul, strlen(nul), &u);
	CHECK(u.have && u.input == 10 && u.cached == 0 && u.output == 0);
	dialect_anthropic.scan_usage("[1]", 3, &u);
	CHECK(!u.have);
}

/* A response decoded into storage behind a request's parts (as the proxy
 * does) stops at the storage's end with an error: never a write past it. */
TEST(decode_response_respects_storage_room)
{
	static char js[4096];
	size_t n = (size_t)snprintf(js, sizeof js, "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
				  "\"model\":\"m\",\"content\":[");
	for (int i = 0; i < 12; i++)
		n += (size_t)snprintf(js + n, sizeof js - n, "%s{\"type\":\"text\",\"text\":\"t%d\"}", i ? "," : "", i);
	snprintf(js + n, sizeof js - n, "],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}");
	struct json_doc d;
	struct ir_response r;
	REQUIRE(parse(&d, js, tok) > 0);
	struct ir_part *room = malloc(4 * sizeof *room);	/* ASan sees a write past it */
	REQUIRE(room);
	memset(&r, 0, sizeof r);
	r.parts = room;
	r.max_parts = 4;
	CHECK(dialect_anthropic.decode_response(&d, &r, err, sizeof err) == -1);
	CHECK(r.nparts <= 4);
	CHECK(strstr(err, "too many") != NULL);
	memset(&r, 0, sizeof r);
	r.parts = room;
	r.max_parts = 4;
	free(room);
	room = malloc(12 * sizeof *room);
	REQUIRE(room);
	r.parts = room;
	r.max_parts = 12;
	CHECK(dialect_anthropic.decode_response(&d, &r, err, sizeof err) == 0);
	CHECK_EQ_INT(r.nparts, 12);
	free(room);
}

int main(void)
{
	test_suite = "dialect_anthropic";
	RUN(decode_request_full);
	RUN(decode_request_defaults_and_system_blocks);
	RUN(decode_request_refusals);
	RUN(encode_request_exact);
	RUN(encode_request_tool_choice_and_format);
	RUN(request_round_trip);
	RUN(decode_response_full);
	RUN(decode_response_respects_storage_room);
	RUN(encode_response_exact);
	RUN(response_round_trip);
	RUN(errors);
	RUN(stream_decode);
	RUN(stream_decode_error_and_bad);
	RUN(stream_encode_exact);
	RUN(stream_round_trip);
	RUN(mutations_never_crash);
	RUN(output_overflow_is_flagged);
	RUN(scan_usage);
	RUN(refusal_messages_exact);
	RUN(wrongly_typed_members);
	return test_summary();
}
