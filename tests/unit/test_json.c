/*
 * test_json.c - unit tests for json.c: strict parsing (every input ends at
 * a guard page), lookups, unescaping, and the bounded writer's exact bytes.
 */
#include "test.h"
#include "json.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define MAXTOK 2048
static jsmntok_t toks[MAXTOK];
static struct json_doc doc;

/* Parses s[0..n) copied to end at a guard page; doc stays valid until the
 * next call. */
static int parse_nm(const char *s, size_t n, int max)
{
	char *g = test_guard_copy(s, n);
	if (!g)
		return -100;
	return json_parse(&doc, g, n, toks, max);
}

static int parse_n(const char *s, size_t n)
{
	return parse_nm(s, n, MAXTOK);
}

static int parse(const char *s)
{
	return parse_n(s, strlen(s));
}

TEST(valid_documents)
{
	static const char *ok[] = {
		"{}", "[]", "0", "-0", "1.5e+10", "-1E-5", "0.0e0", "\"x\"", "\"\"",
		"true", "false", "null", " \t\r\n{\"a\" : [ 1 , 2 ] }\n ",
		"{\"a\":{\"b\":{\"c\":[]}}}", "[[[[]]]]", "[{}, [], \"\", 0, true, false, null]",
		"\"\\u00e9\\ud83d\\ude00\"", "\"\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac\xf4\x8f\xbf\xbf\"",
		"{\"\":\"\"}", "[1e5,-1E-5,0.0,123456789012345678901234567890]",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\ud800\"", "\"a\x7f" "b\"",
		"{\"a\":1,\"b\":[true,{\"c\":null}],\"d\":\"e\"}",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int r = parse(ok[i]);
		if (r < 1)
			fprintf(stderr, "  rejected valid: %s (%d)\n", ok[i], r);
		CHECK(r >= 1);
		CHECK_EQ_INT(doc.ntok, r);
	}
}

TEST(token_tree)
{
	REQUIRE(parse("{\"a\":[1,2]}") == 5);
	CHECK_EQ_INT(toks[0].type, JSMN_OBJECT);
	CHECK_EQ_INT(toks[0].size, 1);
	CHECK_EQ_INT(toks[0].parent, -1);
	CHECK_EQ_INT(toks[1].type, JSMN_STRING);
	CHECK_EQ_INT(toks[1].parent, 0);
	CHECK_EQ_INT(toks[2].type, JSMN_ARRAY);
	CHECK_EQ_INT(toks[2].size, 2);
	CHECK_EQ_INT(toks[2].parent, 1);
	CHECK_EQ_INT(toks[3].parent, 2);
	CHECK_EQ_INT(toks[4].parent, 2);
	CHECK_EQ_STR(json_raw(&doc, 4), json_raw_len(&doc, 4), "2");

	/* Top-level primitives (jsmn strict mode alone calls these partial). */
	REQUIRE(parse(" 42 ") == 1);
	CHECK_EQ_INT(toks[0].type, JSMN_PRIMITIVE);
	CHECK_EQ_INT(toks[0].start, 1);
	CHECK_EQ_INT(toks[0].end, 3);
	CHECK_EQ_INT(toks[0].parent, -1);
	REQUIRE(parse("-12.5e3") == 1);
	CHECK_EQ_STR(json_raw(&doc, 0), json_raw_len(&doc, 0), "-12.5e3");
	REQUIRE(parse("true") == 1);
	CHECK(json_is_true(&doc, 0));
	REQUIRE(parse("\"s\"") == 1);
	CHECK(json_str_eq(&doc, 0, "s"));
}

TEST(malformed_rejected)
{
	static const char *bad[] = {
		/* trailing garbage and extra values */
		"{\"a\":1}x", "{} {}", "1 2", "[1] ]", "\"a\" \"b\"", "{}}", "truex", "nulll",
		"\"a\":1",
		/* bad primitives */
		"[tru]", "[nul]", "[True]", "[fals ]", "[NaN]", "[Infinity]", "[-Infinity]",
		"[undefined]", "['a']",
		/* bad numbers */
		"[01]", "[-01]", "[00]", "[1.2.3]", "[1.]", "[.5]", "[+1]", "[1e]", "[1e+]",
		"[0x10]", "[--1]", "[-a]", "[1ee5]", "[1.e5]", "[- 1]", "01",
		/* bad escapes */
		"[\"\\x\"]", "[\"\\u12G4\"]", "[\"\\u12\"]", "[\"\\U0041\"]", "[\"\\'\"]", "[\"\\ \"]",
		/* raw control bytes in strings */
		"[\"a\tb\"]", "[\"a\nb\"]", "[\"\x01\"]", "[\"\x1f\"]",
		/* invalid UTF-8 in strings, and non-ASCII outside them */
		"[\"\xff\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]",
		"[\"\x80\"]", "[\"\xe2\x28\xa1\"]", "\xef\xbb\xbf{}", "[\xc3\xa9]",
		/* structure jsmn lets through */
		"[1,]", "[,1]", "[1 2]", "[1,,2]", "{\"a\" 1}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
		"{1:2}", "{\"a\":1 \"b\":2}", "[1:2]", "{]", "[}", "{\"a\":1]", "[\"a\":1]",
		"{,}", "{\"a\"::1}", "{\"a\":1,,\"b\":2}", "{{}}", "{[]:1}", "]", "}", ",", ":",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i]);
		if (r != -1)
			fprintf(stderr, "  %s -> %d, expected -1\n", bad[i], r);
		CHECK_EQ_INT(r, -1);
		CHECK_EQ_INT(doc.ntok, 0);
	}
	/* NUL bytes (jsmn stops at them as if the input ended there). */
	CHECK_EQ_INT(parse_n("[1]\0", 4), -1);
	CHECK_EQ_INT(parse_n("[1,\0 2]", 7), -1);
	CHECK_EQ_INT(parse_n("[\"a\0b\"]", 7), -1);
	CHECK_EQ_INT(parse_n("\0", 1), -1);
}

TEST(truncated)
{
	static const char *part[] = {
		"", "   ", "{", "[", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "\"abc",
		"\"abc\\", "\"\\u12", "tr", "fals", "n", "-", "1.", "1e", "1e-", "[1", "[[]",
		"[\"\xe2\x82", "{\"a\" ", "[1,", "[tr", "[-",
	};
	for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		int r = parse(part[i]);
		if (r != -2)
			fprintf(stderr, "  \"%s\" -> %d, expected -2\n", part[i], r);
		CHECK_EQ_INT(r, -2);
	}
}

static const char chat_req[] =
	"{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":"
	"\"You are terse.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\","
	"\"text\":\"Caf\\u00e9 \\\"quoted\\\" \\ud83d\\ude00 \xe2\x82\xac\"}]}],"
	"\"temperature\":0.7,\"max_tokens\":1024,\"stream\":true,\"stop\":null,"
	"\"tools\":[],\"n\":-1,\"top_p\":1e-3}";

/* Every proper prefix of a document that starts with a bracket is
 * truncated, never malformed, and none reads past its end. */
TEST(byte_by_byte_prefixes)
{
	size_t n = strlen(chat_req);
	for (size_t k = 0; k < n; k++) {
		int r = parse_n(chat_req, k);
		if (r != -2)
			fprintf(stderr, "  prefix %zu -> %d\n", k, r);
		CHECK_EQ_INT(r, -2);
	}
	CHECK(parse_n(chat_req, n) > 0);
}

TEST(too_many_tokens)
{
	CHECK_EQ_INT(parse_nm("[1,2,3]", 7, 3), -3);
	CHECK_EQ_INT(parse_nm("[1,2,3]", 7, 4), 4);
	CHECK_EQ_INT(parse_nm("{\"a\":1}", 7, 0), -3);
	CHECK_EQ_INT(parse_nm("1", 1, 0), -3);
	CHECK_EQ_INT(parse_nm("1", 1, 1), 1);
	/* Malformed wins over too many tokens. */
	CHECK_EQ_INT(parse_nm("[1,2,3,]", 8, 2), -1);
	CHECK_EQ_INT(parse_nm("[1,2,3", 6, 2), -2);

	/* Nesting: JSON_MAX_DEPTH levels parse, one more is refused. */
	static char deep[2 * (JSON_MAX_DEPTH + 1)];
	size_t d = JSON_MAX_DEPTH;
	memset(deep, '[', d);
	memset(deep + d, ']', d);
	CHECK_EQ_INT(parse_n(deep, 2 * d), JSON_MAX_DEPTH);
	d = JSON_MAX_DEPTH + 1;
	memset(deep, '[', d);
	memset(deep + d, ']', d);
	CHECK_EQ_INT(parse_n(deep, 2 * d), -3);
}

TEST(get_with_escaped_keys)
{
	REQUIRE(parse("{\"model\":\"gpt\",\"m\\u006fdel2\":1,\"a\\\"b\":2,"
		      "\"x\":{\"model\":\"inner\"},\"dup\":1,\"dup\":2,"
		      "\"\\u00e9t\\u00e9\":3,\"nul\\u0000\":4,\"\\ud83d\\ude00\":5}") > 0);
	int v = json_get(&doc, 0, "model");
	CHECK(json_str_eq(&doc, v, "gpt"));
	CHECK(!json_str_eq(&doc, v, "gp"));
	CHECK(!json_str_eq(&doc, v, "gptx"));
	int64_t i64 = 0;
	CHECK(json_get_i64(&doc, json_get(&doc, 0, "model2"), &i64) == 0 && i64 == 1);
	CHECK(json_get_i64(&doc, json_get(&doc, 0, "a\"b"), &i64) == 0 && i64 == 2);
	CHECK(json_get_i64(&doc, json_get(&doc, 0, "\xc3\xa9t\xc3\xa9"), &i64) == 0 && i64 == 3);
	CHECK(json_get_i64(&doc, json_get(&doc, 0, "\xf0\x9f\x98\x80"), &i64) == 0 && i64 == 5);
	/* The key with an escaped NUL matches neither "nul" nor anything else. */
	CHECK_EQ_INT(json_get(&doc, 0, "nul"), -1);
	/* Last duplicate wins. */
	CHECK(json_get_i64(&doc, json_get(&doc, 0, "dup"), &i64) == 0 && i64 == 2);
	int x = json_get(&doc, 0, "x");
	CHECK(json_is_object(&doc, x));
	CHECK(json_str_eq(&doc, json_get(&doc, x, "model"), "inner"));
	CHECK_EQ_INT(json_get(&doc, 0, "inner"), -1);
	CHECK_EQ_INT(json_get(&doc, 0, "missing"), -1);
	CHECK_EQ_INT(json_get(&doc, 0, "gpt"), -1);	/* values are not keys */
	CHECK_EQ_INT(json_get(&doc, v, "model"), -1);	/* not an object */
	CHECK_EQ_INT(json_get(&doc, -1, "model"), -1);
	CHECK_EQ_INT(json_get(&doc, doc.ntok, "model"), -1);

	/* A wanted key with a backslash: the raw key a\\b stands for it, the
	 * raw key a\b (same bytes as the wanted one) stands for "a" and a
	 * backspace, and must not match byte for byte. */
	static const char bs[] = "{\"a\\\\b\":1,\"a\\b\":2}";
	REQUIRE(parse(bs) == 5);
	CHECK(json_get_i64(&doc, json_get(&doc, 0, "a\\b"), &i64) == 0 && i64 == 1);
	CHECK(json_get_i64(&doc, json_get(&doc, 0, "a\b"), &i64) == 0 && i64 == 2);
	const char *const bk[2] = { "a\\b", "a\b" };
	size_t bvs[2], bve[2];
	CHECK_EQ_INT(json_valid_top(bs, strlen(bs), bk, 2, bvs, bve), 0);
	CHECK(bve[0] == bvs[0] + 1 && bs[bvs[0]] == '1');
	CHECK(bve[1] == bvs[1] + 1 && bs[bvs[1]] == '2');
	CHECK_EQ_INT(json_top_scan(bs, strlen(bs), bk, 2, bvs, bve), 2);
	CHECK(bs[bvs[0]] == '1' && bs[bvs[1]] == '2');

	REQUIRE(parse("{}") == 1);
	CHECK_EQ_INT(json_get(&doc, 0, ""), -1);
	REQUIRE(parse("{\"\":7}") == 3);
	CHECK_EQ_INT(json_get(&doc, 0, ""), 2);
}

TEST(skip_and_index)
{
	REQUIRE(parse("[{\"a\":[1,{\"b\":2}],\"c\":3},4,\"s\",[]]") > 0);
	/* 0 [ 1 { 2 "a" 3 [ 4 1 5 { 6 "b" 7 2 8 "c" 9 3 10 4 11 "s" 12 [] */
	CHECK_EQ_INT(doc.ntok, 13);
	CHECK_EQ_INT(json_skip(&doc, 0), 13);
	CHECK_EQ_INT(json_skip(&doc, 1), 10);
	CHECK_EQ_INT(json_skip(&doc, 2), 8);	/* a key: key and value */
	CHECK_EQ_INT(json_skip(&doc, 3), 8);
	CHECK_EQ_INT(json_skip(&doc, 5), 8);
	CHECK_EQ_INT(json_skip(&doc, 4), 5);
	CHECK_EQ_INT(json_skip(&doc, 12), 13);
	CHECK_EQ_INT(json_skip(&doc, 13), -1);
	CHECK_EQ_INT(json_skip(&doc, -1), -1);
	CHECK_EQ_INT(json_index(&doc, 0, 0), 1);
	CHECK_EQ_INT(json_index(&doc, 0, 1), 10);
	CHECK_EQ_INT(json_index(&doc, 0, 2), 11);
	CHECK_EQ_INT(json_index(&doc, 0, 3), 12);
	CHECK_EQ_INT(json_index(&doc, 0, 4), -1);
	CHECK_EQ_INT(json_index(&doc, 0, -1), -1);
	CHECK_EQ_INT(json_index(&doc, 12, 0), -1);	/* empty */
	CHECK_EQ_INT(json_index(&doc, 1, 0), -1);	/* object */
	CHECK_EQ_INT(json_index(&doc, 3, 1), 5);

	/* Member walk as documented in json.h. */
	int k = 2, n;
	const char *names[] = { "a", "c" };
	for (n = 0; n < toks[1].size; n++) {
		CHECK(json_str_eq(&doc, k, names[n]));
		k = json_skip(&doc, k);
	}
	CHECK_EQ_INT(k, 10);
}

TEST(unescape)
{
	char out[64];
	int r;
	REQUIRE(parse("[\"plain\",\"\\\"\\\\\\/\\b\\f\\n\\r\\t\","
		      "\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\",\"\\ud800x\",\"\\udc00\","
		      "\"\\ud800\\u0041\",\"\\ud800\\ud800\\udc00\",\"a\\u0000b\",\"\","
		      "\"\\uDBFF\\uDFFF\",1]") == 12);
	r = json_unescape(&doc, 1, out, sizeof(out));
	CHECK_EQ_STR(out, (size_t)r, "plain");
	CHECK_EQ_INT(out[5], 0);
	r = json_unescape(&doc, 2, out, sizeof(out));
	CHECK_EQ_STR(out, (size_t)r, "\"\\/\b\f\n\r\t");
	r = json_unescape(&doc, 3, out, sizeof(out));
	CHECK_EQ_STR(out, (size_t)r, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	CHECK(json_str_eq(&doc, 3, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
	r = json_unescape(&doc, 4, out, sizeof(out));
	CHECK_EQ_STR(out, (size_t)r, "\xef\xbf\xbdx");
	r = json_unescape(&doc, 5, out, sizeof(out));
	CHECK_EQ_STR(out, (size_t)r, "\xef\xbf\xbd");
	r = json_unescape(&doc, 6, out, sizeof(out));
	CHECK_EQ_STR(out, (size_t)r, "\xef\xbf\xbd" "A");
	r = json_unescape(&doc, 7, out, sizeof(out));
	CHECK_EQ_STR(out, (size_t)r, "\xef\xbf\xbd\xf0\x90\x80\x80");
	r = json_unescape(&doc, 8, out, sizeof(out));
	CHECK_EQ_INT(r, 3);
	CHECK(memcmp(out, "a\0b", 4) == 0);
	r = json_unescape(&doc, 9, out, sizeof(out));
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(out[0], 0);
	r = json_unescape(&doc, 10, out, sizeof(out));
	CHECK_EQ_STR(out, (size_t)r, "\xf4\x8f\xbf\xbf");

	/* Fit: needs length + 1 for the NUL. */
	CHECK_EQ_INT(json_unescape(&doc, 1, out, 5), -1);
	CHECK_EQ_INT(json_unescape(&doc, 1, out, 6), 5);
	CHECK_EQ_INT(json_unescape(&doc, 3, out, 10), -1);	/* 10 bytes of UTF-8 */
	CHECK_EQ_INT(json_unescape(&doc, 3, out, 11), 10);
	CHECK_EQ_INT(json_unescape(&doc, 9, out, 1), 0);
	CHECK_EQ_INT(json_unescape(&doc, 9, out, 0), -1);
	/* Not a string, out of range. */
	CHECK_EQ_INT(json_unescape(&doc, 0, out, sizeof(out)), -1);
	CHECK_EQ_INT(json_unescape(&doc, 11, out, sizeof(out)), -1);
	CHECK_EQ_INT(json_unescape(&doc, 12, out, sizeof(out)), -1);
	CHECK_EQ_INT(json_unescape(&doc, -1, out, sizeof(out)), -1);
}

/* json_parse never produces these, but a hand-made doc must not crash the
 * unescaper: it fails cleanly instead. */
TEST(unescape_malformed_tokens)
{
	static const char *raw[] = { "\\x", "\\u12", "ab\\", "\\u12G4", "\\" };
	char out[32];
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		size_t n = strlen(raw[i]);
		char *g = test_guard_copy(raw[i], n);
		jsmntok_t t = { JSMN_STRING, 0, (int)n, 0, -1 };
		struct json_doc d = { g, n, &t, 1 };
		CHECK_EQ_INT(json_unescape(&d, 0, out, sizeof(out)), -1);
		CHECK(!json_str_eq(&d, 0, raw[i]));
	}
}

TEST(numbers)
{
	int64_t v;
	double dv;
	REQUIRE(parse("[0,-0,42,-9223372036854775808,9223372036854775807,"
		      "9223372036854775808,-9223372036854775809,1e3,1024.0,1.5,\"1\",true,"
		      "1e300,-2.5e-3,1e400,99999999999999999999]") == 17);
	CHECK(json_get_i64(&doc, 1, &v) == 0 && v == 0);
	CHECK(json_get_i64(&doc, 2, &v) == 0 && v == 0);
	CHECK(json_get_i64(&doc, 3, &v) == 0 && v == 42);
	CHECK(json_get_i64(&doc, 4, &v) == 0 && v == INT64_MIN);
	CHECK(json_get_i64(&doc, 5, &v) == 0 && v == INT64_MAX);
	CHECK_EQ_INT(json_get_i64(&doc, 6, &v), -1);
	CHECK_EQ_INT(json_get_i64(&doc, 7, &v), -1);
	CHECK(json_get_i64(&doc, 8, &v) == 0 && v == 1000);
	CHECK(json_get_i64(&doc, 9, &v) == 0 && v == 1024);
	CHECK_EQ_INT(json_get_i64(&doc, 10, &v), -1);
	CHECK_EQ_INT(json_get_i64(&doc, 11, &v), -1);
	CHECK_EQ_INT(json_get_i64(&doc, 12, &v), -1);
	CHECK_EQ_INT(json_get_i64(&doc, 13, &v), -1);
	CHECK_EQ_INT(json_get_i64(&doc, 0, &v), -1);
	CHECK(json_get_double(&doc, 10, &dv) == 0 && dv == 1.5);
	CHECK(json_get_double(&doc, 14, &dv) == 0 && dv == -2.5e-3);
	CHECK(json_get_double(&doc, 13, &dv) == 0 && dv == 1e300);
	CHECK_EQ_INT(json_get_double(&doc, 15, &dv), -1);
	CHECK(json_get_double(&doc, 16, &dv) == 0 && dv == 1e20);
	CHECK_EQ_INT(json_get_double(&doc, 11, &dv), -1);
	CHECK_EQ_INT(json_get_double(&doc, 12, &dv), -1);
	CHECK_EQ_INT(json_get_double(&doc, 99, &dv), -1);

	/* A top-level number ends the buffer at the guard page. */
	REQUIRE(parse("-7") == 1);
	CHECK(json_get_i64(&doc, 0, &v) == 0 && v == -7);
	CHECK(json_get_double(&doc, 0, &dv) == 0 && dv == -7.0);
}

TEST(type_checks)
{
	REQUIRE(parse("[\"s\",true,false,null,1,{},[]]") == 8);
	CHECK(json_is_string(&doc, 1) && !json_is_string(&doc, 2));
	CHECK(json_is_true(&doc, 2) && !json_is_true(&doc, 3) && !json_is_true(&doc, 1));
	CHECK(json_is_false(&doc, 3) && !json_is_false(&doc, 2));
	CHECK(json_is_null(&doc, 4) && !json_is_null(&doc, 5));
	CHECK(json_is_number(&doc, 5) && !json_is_number(&doc, 2) && !json_is_number(&doc, 1));
	CHECK(json_is_object(&doc, 6) && !json_is_object(&doc, 7));
	CHECK(json_is_array(&doc, 7) && json_is_array(&doc, 0) && !json_is_array(&doc, 6));
	CHECK(!json_is_string(&doc, 8) && !json_is_true(&doc, -1) && !json_is_null(&doc, 99));
	/* "true" as a string is not true. */
	REQUIRE(parse("[\"true\",\"null\"]") == 3);
	CHECK(!json_is_true(&doc, 1) && !json_is_null(&doc, 2));
}

#define OUT_IS(o, lit) CHECK_EQ_STR((o).buf, (o).len, lit)

TEST(writer_escaping)
{
	char buf[256];
	struct json_out o;

	json_out_init(&o, buf, sizeof(buf));
	json_str(&o, "a\"b\\c/\n\r\t\b\f\x01\x1f\x7f", 14);
	OUT_IS(o, "\"a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"");
	CHECK(!o.overflow);

	json_out_init(&o, buf, sizeof(buf));
	json_str(&o, "a\0b", 3);
	OUT_IS(o, "\"a\\u0000b\"");

	/* Valid UTF-8 passes through untouched. */
	json_out_init(&o, buf, sizeof(buf));
	json_cstr(&o, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbf\xbd");
	OUT_IS(o, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbf\xbd\"");

	/* Each maximal invalid subsequence becomes one U+FFFD. */
	static const struct { const char *in, *out; } bad[] = {
		{ "\xff", "\"\xef\xbf\xbd\"" },
		{ "a\xe2\x82", "\"a\xef\xbf\xbd\"" },
		{ "\xe2\x82" "A", "\"\xef\xbf\xbd" "A\"" },
		{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xf0\x9f\x98", "\"\xef\xbf\xbd\"" },
		{ "x\x80y\n", "\"x\xef\xbf\xbdy\\n\"" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_out_init(&o, buf, sizeof(buf));
		json_cstr(&o, bad[i].in);
		OUT_IS(o, bad[i].out);
	}

	json_out_init(&o, buf, sizeof(buf));
	json_cstr(&o, NULL);
	json_lit(&o, ",");
	json_str(&o, NULL, 0);
	json_lit(&o, ",");
	json_cstr(&o, "");
	OUT_IS(o, "null,\"\",\"\"");
}

TEST(writer_numbers)
{
	char buf[256];
	struct json_out o;

	json_out_init(&o, buf, sizeof(buf));
	json_i64(&o, INT64_MIN);
	json_lit(&o, " ");
	json_i64(&o, INT64_MAX);
	json_lit(&o, " ");
	json_i64(&o, 0);
	json_lit(&o, " ");
	json_i64(&o, -1);
	OUT_IS(o, "-9223372036854775808 9223372036854775807 0 -1");

	static const struct { double v; const char *s; } dv[] = {
		{ 0.1, "0.1" }, { 0.1 + 0.2, "0.30000000000000004" }, { 1.0 / 3, "0.3333333333333333" },
		{ 100, "100" }, { 0.5, "0.5" }, { 1e21, "1e+21" }, { 1e-7, "1e-07" }, { -0.0, "-0" },
		{ 0.7, "0.7" }, { 5e-324, "4.94065645841247e-324" }, { 123456789.125, "123456789.125" },
	};
	for (size_t i = 0; i < sizeof(dv) / sizeof(dv[0]); i++) {
		json_out_init(&o, buf, sizeof(buf));
		json_double(&o, dv[i].v);
		OUT_IS(o, dv[i].s);
	}
	json_out_init(&o, buf, sizeof(buf));
	json_double(&o, NAN);
	json_lit(&o, ",");
	json_double(&o, INFINITY);
	json_lit(&o, ",");
	json_double(&o, -INFINITY);
	OUT_IS(o, "0,0,0");
}

/* Written doubles are valid JSON numbers that read back bit for bit. */
TEST(doubles_round_trip)
{
	char buf[64];
	struct json_out o;
	uint64_t x = 88172645463325252ull;
	static const double fixed[] = { 0.1, 0.3, 1e300, -1e-300, 5e-324, DBL_MAX, -DBL_MAX, DBL_MIN,
		2.2250738585072009e-308, 9007199254740993.0, 1e22, 1e23, -0.0, 0.0, 3.141592653589793 };
	int bad = 0;

	for (int i = 0; i < 20000; i++) {
		double v, back;
		if (i < (int)(sizeof(fixed) / sizeof(fixed[0]))) {
			v = fixed[i];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(&v, &x, sizeof(v));
			if (isnan(v) || isinf(v))
				continue;
		}
		json_out_init(&o, buf, sizeof(buf));
		json_double(&o, v);
		if (o.overflow || parse_n(buf, o.len) != 1 || json_get_double(&doc, 0, &back) != 0 ||
		    memcmp(&back, &v, sizeof(v)) != 0) {
			if (bad++ < 5)
				fprintf(stderr, "  %.17g written as %.*s\n", v, (int)o.len, buf);
		}
	}
	CHECK_EQ_INT(bad, 0);
}

TEST(writer_overflow)
{
	char buf[16];
	struct json_out o;

	/* A string that does not fit writes nothing; later appends are dropped. */
	json_out_init(&o, buf, 10);
	json_lit(&o, "[");
	json_cstr(&o, "abcdefghij");
	CHECK(o.overflow);
	CHECK_EQ_INT(o.len, 1);
	json_lit(&o, "]");
	CHECK_EQ_INT(o.len, 1);
	OUT_IS(o, "[");

	/* Exact fit. */
	json_out_init(&o, buf, 7);
	json_cstr(&o, "abcde");
	CHECK(!o.overflow);
	OUT_IS(o, "\"abcde\"");
	json_raw_append(&o, "", 0);
	CHECK(!o.overflow);
	json_raw_append(&o, "x", 1);
	CHECK(o.overflow);
	OUT_IS(o, "\"abcde\"");

	/* One short, and escapes that push a short string over. */
	json_out_init(&o, buf, 6);
	json_cstr(&o, "abcde");
	CHECK(o.overflow);
	CHECK_EQ_INT(o.len, 0);
	json_out_init(&o, buf, 5);
	json_str(&o, "\n\n", 2);
	CHECK(o.overflow);
	CHECK_EQ_INT(o.len, 0);
	json_out_init(&o, buf, 6);
	json_str(&o, "\n\n", 2);
	CHECK(!o.overflow);
	OUT_IS(o, "\"\\n\\n\"");
	json_out_init(&o, buf, 8);
	json_str(&o, "\x01", 1);
	CHECK(!o.overflow);
	OUT_IS(o, "\"\\u0001\"");
	json_out_init(&o, buf, 7);
	json_str(&o, "\x01", 1);
	CHECK(o.overflow);

	/* Numbers and raw text are all-or-nothing too. */
	json_out_init(&o, buf, 4);
	json_lit(&o, "ab");
	json_i64(&o, 123);
	CHECK(o.overflow);
	OUT_IS(o, "ab");
	json_out_init(&o, buf, 4);
	json_double(&o, 0.125);
	CHECK(o.overflow);
	CHECK_EQ_INT(o.len, 0);
	json_out_init(&o, NULL, 0);
	json_lit(&o, "");
	CHECK(!o.overflow);
	json_cstr(&o, "");
	CHECK(o.overflow);
	CHECK_EQ_INT(o.len, 0);
}

/* Every string json_str writes parses back to the bytes it was given
 * (for valid UTF-8 input). */
TEST(writer_reader_round_trip)
{
	char in[160], buf[1024], back[256];
	struct json_out o;
	size_t n = 0;
	for (int c = 0; c < 128; c++)
		in[n++] = (char)c;
	memcpy(in + n, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
	n += 9;
	json_out_init(&o, buf, sizeof(buf));
	json_str(&o, in, n);
	REQUIRE(!o.overflow);
	REQUIRE(parse_n(buf, o.len) == 1);
	int r = json_unescape(&doc, 0, back, sizeof(back));
	CHECK_EQ_INT(r, (int)n);
	CHECK(r == (int)n && memcmp(back, in, n) == 0);
}

/* json_top_get finds top-level members without tokens, agreeing with
 * json_get (escaped keys, nested look-alikes, last duplicate wins). */
TEST(top_level_get_without_tokens)
{
	static const char top[] =
		" {\"messages\":[{\"model\":\"inner\",\"x\":\"}\\\"]\"}],\"m\\u006fdel\":\"gpt-4\\\"x\","
		"\"stream\": true ,\"n\":12,\"o\":{\"model\":1},\"model\":\"last\"} ";
	size_t n = sizeof top - 1, vs, ve;
	REQUIRE(json_valid(top, n) == 0);
	const char *g = test_guard_copy(top, n);
	REQUIRE(g);
	REQUIRE(json_top_get(g, n, "model", &vs, &ve) == 0);
	CHECK_EQ_STR(g + vs, ve - vs, "\"last\"");
	REQUIRE(json_top_get(g, n, "stream", &vs, &ve) == 0);
	CHECK_EQ_STR(g + vs, ve - vs, "true");
	REQUIRE(json_top_get(g, n, "n", &vs, &ve) == 0);
	CHECK_EQ_STR(g + vs, ve - vs, "12");
	REQUIRE(json_top_get(g, n, "o", &vs, &ve) == 0);
	CHECK_EQ_STR(g + vs, ve - vs, "{\"model\":1}");
	REQUIRE(json_top_get(g, n, "messages", &vs, &ve) == 0);
	CHECK(g[vs] == '[' && g[ve - 1] == ']');
	CHECK(json_top_get(g, n, "x", &vs, &ve) < 0);	/* only nested */
	CHECK(json_top_get(g, n, "absent", &vs, &ve) < 0);
	static const char arr[] = "[{\"model\":\"a\"}]";
	CHECK(json_top_get(arr, sizeof arr - 1, "model", &vs, &ve) < 0);
	static const char esc[] = "{\"model\":\"a\\u0041\"}";
	REQUIRE(json_top_get(esc, sizeof esc - 1, "model", &vs, &ve) == 0);
	char buf[16];
	struct json_out o;
	json_out_init(&o, buf, sizeof buf);
	CHECK(json_unescape_append(&o, esc + vs + 1, ve - vs - 2) == 0);
	CHECK_EQ_STR(buf, o.len, "aA");
}

/* json_valid_top validates and finds the members in one pass: the same
 * verdicts as json_valid, the same spans as json_top_scan. */
TEST(span_numbers)
{
	int64_t v = 0;
	CHECK(json_span_i64("42", 2, &v) == 0 && v == 42);
	CHECK(json_span_i64("-7,", 2, &v) == 0 && v == -7);
	CHECK(json_span_i64("1e3", 3, &v) == 0 && v == 1000);
	CHECK(json_span_i64("1024.0", 6, &v) == 0 && v == 1024);
	CHECK(json_span_i64("9223372036854775807", 19, &v) == 0 && v == INT64_MAX);
	CHECK_EQ_INT(json_span_i64("9223372036854775808", 19, &v), -1);
	CHECK_EQ_INT(json_span_i64("1.5", 3, &v), -1);
	CHECK_EQ_INT(json_span_i64("\"12\"", 4, &v), -1);
	CHECK_EQ_INT(json_span_i64("null", 4, &v), -1);
	CHECK_EQ_INT(json_span_i64("{}", 2, &v), -1);
	CHECK_EQ_INT(json_span_i64("", 0, &v), -1);
	/* What json_top_scan hands over, read straight from the document. */
	static const char u[] = "{\"prompt_tokens\":23,\"d\":{\"cached_tokens\":4}}";
	const char *const k[2] = { "prompt_tokens", "d" };
	size_t vs[2], ve[2], ivs, ive;
	REQUIRE(json_top_scan(u, strlen(u), k, 2, vs, ve) == 2);
	CHECK(json_span_i64(u + vs[0], ve[0] - vs[0], &v) == 0 && v == 23);
	REQUIRE(json_top_get(u + vs[1], ve[1] - vs[1], "cached_tokens", &ivs, &ive) == 0);
	CHECK(json_span_i64(u + vs[1] + ivs, ive - ivs, &v) == 0 && v == 4);
}

/* json_valid_request: a top-level key given twice, however it is spelled,
 * is -4 with that key's span; nested objects and arrays may repeat keys;
 * more than JSON_MAX_TOP_MEMBERS members is -5; anything else as
 * json_valid_top. */
static int valid_request(const char *s, size_t *at, size_t *len)
{
	size_t n = strlen(s), vs[1], ve[1];
	const char *const k[1] = { "model" };
	const char *g = test_guard_copy(s, n);
	return g ? json_valid_request(g, n, k, 1, vs, ve, at, len) : -100;
}

TEST(valid_request_duplicate_keys)
{
	size_t at = 0, len = 0;
	static const char two[] = "{\"model\":\"fast\",\"model\":\"oai/gpt-4.1\"}";
	CHECK_EQ_INT(valid_request(two, &at, &len), -4);
	CHECK(at == 17 && len == 5);
	/* The same key however escaped: \u006d is m, \/ is /, \u00e9 is the
	 * raw two bytes of e-acute. */
	CHECK_EQ_INT(valid_request("{\"model\":\"a\",\"stream\":true,\"\\u006dodel\":\"b\"}", &at, &len), -4);
	CHECK(at == 28 && len == 10);
	CHECK_EQ_INT(valid_request("{\"a/b\":1,\"a\\/b\":2}", &at, &len), -4);
	CHECK_EQ_INT(valid_request("{\"\xc3\xa9\":1,\"\\u00e9\":2}", &at, &len), -4);
	CHECK_EQ_INT(valid_request("{\"\":1,\"\":2}", &at, &len), -4);
	CHECK_EQ_INT(valid_request("{\"stream\":null,\"x\":{},\"stream\":false}", &at, &len), -4);
	/* Different keys, nested repeats, arrays and scalars are fine. */
	static const char *const ok[] = {
		"{\"model\":\"a\",\"Model\":\"b\",\"model \":1,\"mode\":2,\"a\\\\b\":3,\"a\\b\":4}",
		"{\"a\":{\"x\":1,\"x\":2},\"b\":[{\"y\":1,\"y\":2}]}",
		"[{\"a\":1,\"a\":2}]", "\"x\"", "{}",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		CHECK_EQ_INT(valid_request(ok[i], &at, &len), 0);
	/* Invalid documents keep their verdicts. */
	CHECK_EQ_INT(valid_request("{\"a\":1,}", &at, &len), -1);
	CHECK_EQ_INT(valid_request("{\"a\":1", &at, &len), -2);
	/* The member limit. */
	static char big[JSON_MAX_TOP_MEMBERS * 12 + 32];
	size_t n = 0;
	big[n++] = '{';
	for (int i = 0; i <= JSON_MAX_TOP_MEMBERS; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":0", i ? "," : "", i);
	big[n++] = '}';
	big[n] = 0;
	CHECK_EQ_INT(valid_request(big, &at, &len), -5);
	CHECK(len == 4 && memcmp(big + at, "k256", 4) == 0);
	char *last = strrchr(big, ',');	/* one member fewer: at the limit */
	strcpy(last, "}");
	CHECK_EQ_INT(valid_request(big, &at, &len), 0);
}

/* The type rules decoders and api.c check members by. */
TEST(member_types)
{
	int64_t v = -5;
	CHECK(json_span_count_strict("2147483647", 10, &v) == 0 && v == 2147483647);
	CHECK(json_span_count_strict("0", 1, &v) == 0 && v == 0);
	CHECK(json_span_count_strict("1e3", 3, &v) == 0 && v == 1000);
	CHECK_EQ_INT(json_span_count_strict("2147483648", 10, &v), -1);
	CHECK_EQ_INT(json_span_count_strict("-1", 2, &v), -1);
	CHECK_EQ_INT(json_span_count_strict("1e400", 5, &v), -1);
	CHECK_EQ_INT(json_span_count_strict("12345678901234567890123456", 26, &v), -1);
	CHECK_EQ_INT(json_span_count_strict("1.5", 3, &v), -1);
	CHECK_EQ_INT(json_span_count_strict("\"7\"", 3, &v), -1);
	CHECK(v == 1000);	/* untouched by the failures */

	static const char body[] = "{\"stream\":\"yes\",\"n\":null,\"max_tokens\":1e400,\"t\":1e400,\"o\":[],\"c\":12}";
	const char *const keys[] = { "stream", "n", "max_tokens", "t", "o", "c", "absent" };
	enum { NK = sizeof keys / sizeof keys[0] };
	size_t vs[NK], ve[NK];
	REQUIRE(json_valid_top(body, strlen(body), keys, NK, vs, ve) == 0);
	char err[100];
	unsigned char want[NK] = { 0 };
	CHECK_EQ_INT(json_check_spans(body, vs, ve, keys, want, NK, err, sizeof err), 0);
	want[0] = JT_BOOL;
	CHECK_EQ_INT(json_check_spans(body, vs, ve, keys, want, NK, err, sizeof err), -1);
	CHECK_EQ_STR(err, strlen(err), "stream must be a boolean");
	want[0] = JT_STRING;
	want[1] = JT_ARRAY;	/* null passes */
	want[6] = JT_BOOL;	/* absent passes */
	want[5] = JT_COUNT;
	CHECK_EQ_INT(json_check_spans(body, vs, ve, keys, want, NK, err, sizeof err), 0);
	want[2] = JT_COUNT;
	CHECK_EQ_INT(json_check_spans(body, vs, ve, keys, want, NK, err, sizeof err), -1);
	CHECK_EQ_STR(err, strlen(err), "max_tokens must be an integer from 0 to 2147483647");
	want[2] = 0;
	want[3] = JT_NUMBER | JT_STRING;
	CHECK_EQ_INT(json_check_spans(body, vs, ve, keys, want, NK, err, sizeof err), -1);
	CHECK_EQ_STR(err, strlen(err), "t must be a number or a string");
	want[3] = 0;
	want[4] = JT_OBJECT;
	CHECK_EQ_INT(json_check_spans(body, vs, ve, keys, want, NK, err, sizeof err), -1);
	CHECK_EQ_STR(err, strlen(err), "o must be an object");

	/* The token form: strings are told from numbers by their token type,
	 * not their text ("12" is no count). */
	REQUIRE(parse("{\"a\":\"12\",\"b\":12,\"c\":{\"d\":true}}") > 0);
	int v2[2] = { json_get(&doc, 0, "a"), json_get(&doc, 0, "b") };
	const char *const k2[2] = { "a", "b" };
	unsigned char w2[2] = { JT_COUNT, JT_COUNT };
	CHECK_EQ_INT(json_check_members(&doc, v2, k2, w2, 2, "p.", err, sizeof err), -1);
	CHECK_EQ_STR(err, strlen(err), "p.a must be an integer from 0 to 2147483647");
	w2[0] = JT_STRING;
	CHECK_EQ_INT(json_check_members(&doc, v2, k2, w2, 2, "p.", err, sizeof err), 0);
	CHECK_EQ_INT(json_check_member(&doc, json_get(&doc, 0, "c"), "d", JT_BOOL, "c.", err, sizeof err), 0);
	CHECK_EQ_INT(json_check_member(&doc, json_get(&doc, 0, "c"), "d", JT_STRING, "c.", err, sizeof err), -1);
	CHECK_EQ_STR(err, strlen(err), "c.d must be a string");
	CHECK_EQ_INT(json_check_member(&doc, json_get(&doc, 0, "b"), "d", JT_STRING, "", err, sizeof err), 0);
	/* A message cut to fit is still a C string. */
	char small[8];
	CHECK_EQ_INT(json_check_member(&doc, json_get(&doc, 0, "c"), "d", JT_STRING, "c.", small, sizeof small), -1);
	CHECK(strlen(small) < sizeof small);
}

TEST(valid_top_one_pass)
{
	static const char *const docs[] = {
		" {\"messages\":[{\"model\":\"inner\",\"x\":\"}\\\"]\"}],\"m\\u006fdel\":\"gpt-4\\\"x\","
		"\"stream\": true ,\"n\":12,\"o\":{\"model\":1},\"e\":{},\"a\":[],\"model\":\"last\"} ",
		"{}", "[]", "[{\"model\":\"a\"}]", "\"model\"", "{\"model\":[1,{\"model\":2}]}",
		"{\"model\":\"a\",}", "{\"model\":\"a\"", "{\"model\" \"a\"}", "{\"stream\":tru}",
		"{\"e\":{}, \"a\" : [ ] , \"n\":-1.5e3}",
		"{\"x\":\"0123456789abcdef\\u00e9\u00e9\\\"\\\\\"}",
	};
	const char *const keys[] = { "model", "stream", "n", "o", "e", "a", "messages", "x" };
	enum { NK = sizeof keys / sizeof keys[0] };
	for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
		size_t n = strlen(docs[d]), vs[NK], ve[NK], vs2[NK], ve2[NK];
		const char *g = test_guard_copy(docs[d], n);
		REQUIRE(g);
		int v = json_valid(g, n);
		CHECK_EQ_INT(json_valid_top(g, n, keys, NK, vs, ve), v);
		if (v != 0)
			continue;
		json_top_scan(g, n, keys, NK, vs2, ve2);
		for (int k = 0; k < NK; k++) {
			CHECK(vs[k] == vs2[k] && ve[k] == ve2[k]);
		}
	}
	/* A long plain string and one with a control byte past the first
	 * eight-byte word: the word-at-a-time scan must not skip it. */
	char big[200];
	memset(big, 'a', sizeof big);
	big[0] = '"';
	big[sizeof big - 1] = '"';
	CHECK_EQ_INT(json_valid(big, sizeof big), 0);
	for (size_t at = 1; at < sizeof big - 1; at += 7) {
		big[at] = 0x1f;
		CHECK_EQ_INT(json_valid(big, sizeof big), -1);
		big[at] = '"';
		CHECK(json_valid(big, sizeof big) != 0);
		big[at] = (char)0xff;
		CHECK_EQ_INT(json_valid(big, sizeof big), -1);
		big[at] = 'a';
	}
}

/* ---- typed writer ---- */

#define JW_BUF(name, cap) char name##_buf[cap]; struct json_out name##_o; struct jw name; \
	json_out_init(&name##_o, name##_buf, sizeof name##_buf); jw_init(&name, &name##_o)

TEST(typed_writer_commas)
{
	JW_BUF(w, 256);
	jw_obj(&w);
	jw_kcstr(&w, "model", "gpt");
	jw_key(&w, "messages");
	jw_arr(&w);
	jw_obj(&w);
	jw_kcstr(&w, "role", "user");
	jw_kstr(&w, "content", "a\"b\n", 4);
	jw_obj_end(&w);
	jw_obj(&w);
	jw_obj_end(&w);
	jw_arr(&w);
	jw_arr_end(&w);
	jw_i64(&w, -3);
	jw_null(&w);
	jw_arr_end(&w);
	jw_kbool(&w, "stream", 1);
	jw_ki64(&w, "n", 9007199254740993LL);
	jw_kdouble(&w, "t", 0.1);
	jw_kraw(&w, "raw", "{\"x\":[1]}", 9);
	jw_key(&w, "s");
	jw_str_begin(&w);
	jw_str_add(&w, "x\ty", 3);
	jw_str_add(&w, "", 0);
	jw_str_add(&w, "\"", 1);
	jw_str_end(&w);
	jw_kcstr(&w, "nul", NULL);
	jw_obj_end(&w);
	REQUIRE(jw_done(&w));
	CHECK_EQ_STR(w_buf, w_o.len,
		     "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"a\\\"b\\n\"},{},[],-3,null],"
		     "\"stream\":true,\"n\":9007199254740993,\"t\":0.1,\"raw\":{\"x\":[1]},\"s\":\"x\\ty\\\"\",\"nul\":null}");
	CHECK(json_valid(w_buf, w_o.len) == 0);
}

TEST(typed_writer_top_level_sequence)
{
	/* SSE framing written around one event's object on the same json_out */
	JW_BUF(w, 64);
	json_lit(&w_o, "data: ");
	jw_obj(&w);
	jw_ki64(&w, "a", 1);
	jw_obj_end(&w);
	json_lit(&w_o, "\n\n");
	CHECK(jw_done(&w));
	CHECK_EQ_STR(w_buf, w_o.len, "data: {\"a\":1}\n\n");
}

TEST(typed_writer_misuse_refused)
{
	{	/* a value where a key is due */
		JW_BUF(w, 64);
		jw_obj(&w);
		jw_i64(&w, 1);
		CHECK(w_o.overflow);
		CHECK(!jw_done(&w));
	}
	{	/* a key in an array */
		JW_BUF(w, 64);
		jw_arr(&w);
		jw_key(&w, "k");
		CHECK(w_o.overflow);
	}
	{	/* two keys in a row */
		JW_BUF(w, 64);
		jw_obj(&w);
		jw_key(&w, "a");
		jw_key(&w, "b");
		CHECK(w_o.overflow);
	}
	{	/* mismatched and extra closes */
		JW_BUF(w, 64);
		jw_obj(&w);
		jw_arr_end(&w);
		CHECK(w_o.overflow);
		JW_BUF(v, 64);
		jw_obj_end(&v);
		CHECK(v_o.overflow);
	}
	{	/* a key whose value never came, an open container */
		JW_BUF(w, 64);
		jw_obj(&w);
		jw_key(&w, "a");
		CHECK(!w_o.overflow);
		CHECK(!jw_done(&w));
		JW_BUF(v, 64);
		jw_arr(&v);
		CHECK(!jw_done(&v));
	}
	{	/* string pieces outside a string */
		JW_BUF(w, 64);
		jw_str_add(&w, "x", 1);
		CHECK(w_o.overflow);
	}
	{	/* nesting past the limit */
		JW_BUF(w, 256);
		for (int i = 0; i <= JW_MAX_DEPTH; i++)
			jw_arr(&w);
		CHECK(w_o.overflow);
	}
}

TEST(typed_writer_overflow)
{
	JW_BUF(w, 10);
	jw_obj(&w);
	jw_kcstr(&w, "key", "a long value");
	jw_obj_end(&w);
	CHECK(w_o.overflow);
	CHECK(!jw_done(&w));
	CHECK(w_o.len <= 10);
}

int main(void)
{
	test_suite = "json";
	RUN(valid_documents);
	RUN(token_tree);
	RUN(malformed_rejected);
	RUN(truncated);
	RUN(byte_by_byte_prefixes);
	RUN(too_many_tokens);
	RUN(get_with_escaped_keys);
	RUN(skip_and_index);
	RUN(unescape);
	RUN(unescape_malformed_tokens);
	RUN(numbers);
	RUN(type_checks);
	RUN(writer_escaping);
	RUN(writer_numbers);
	RUN(doubles_round_trip);
	RUN(writer_overflow);
	RUN(writer_reader_round_trip);
	RUN(top_level_get_without_tokens);
	RUN(span_numbers);
	RUN(valid_top_one_pass);
	RUN(valid_request_duplicate_keys);
	RUN(member_types);
	RUN(typed_writer_commas);
	RUN(typed_writer_top_level_sequence);
	RUN(typed_writer_misuse_refused);
	RUN(typed_writer_overflow);
	return test_summary();
}
