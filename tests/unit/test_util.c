/*
 * test_util.c - the shared small helpers (util.h) and the IR string
 * helpers built on the typed writer (ir.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "ir.h"
#include "util.h"
#include "test.h"

TEST(hex_digits)
{
	static const char digits[] = "0123456789abcdefABCDEF";
	for (int c = 0; c < 256; c++) {
		const char *at = c ? strchr(digits, c) : NULL;
		int want = !at ? -1 : at - digits < 16 ? (int)(at - digits) : (int)(at - digits) - 6;
		CHECK_EQ_INT(hex_digit(c), want);
	}
}

TEST(ascii_case)
{
	for (int c = 0; c < 256; c++)
		CHECK_EQ_INT(ascii_lower(c), c >= 'A' && c <= 'Z' ? c + 32 : c);
	CHECK(ascii_eq_nocase("Content-Length", "content-LENGTH", 14));
	CHECK(!ascii_eq_nocase("Content-Length", "content-lengtx", 14));
	CHECK(ascii_eq_nocase("", "", 0));
	/* not a locale's idea of case: 0xC4 and 0xE4 differ */
	CHECK(!ascii_eq_nocase("\xc4", "\xe4", 1));
}

TEST(calendar_dates)
{
	/* known days */
	CHECK_EQ_INT(days_from_civil(1970, 1, 1), 0);
	CHECK_EQ_INT(days_from_civil(2000, 3, 1), 11017);
	CHECK_EQ_INT(days_from_civil(1969, 12, 31), -1);
	CHECK_EQ_INT(days_from_civil(2026, 12, 7), 20794);
	/* every day from 1600 to 2400 round-trips, in order */
	int64_t prev = days_from_civil(1599, 12, 31);
	for (int64_t day = prev + 1; day < days_from_civil(2400, 1, 1); day++) {
		int64_t y;
		unsigned m, d;
		civil_from_days(day, &y, &m, &d);
		if (days_from_civil(y, m, d) != day || m < 1 || m > 12 || d < 1 || d > 31) {
			CHECK(0);
			break;
		}
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days_from_civil(2024, 2, 29), &y, &m, &d);
	CHECK(y == 2024 && m == 2 && d == 29);
	civil_from_days(-719468, &y, &m, &d);	/* 0000-03-01 */
	CHECK(y == 0 && m == 3 && d == 1);
	CHECK_EQ_INT(floor_div(-1, 86400), -1);
	CHECK_EQ_INT(floor_div(-86400, 86400), -1);
	CHECK_EQ_INT(floor_div(86399, 86400), 0);
	CHECK_EQ_INT(floor_div(0, 7), 0);
}

TEST(file_read_whole)
{
	char dir[] = "/tmp/llmgw-util-XXXXXX";
	REQUIRE(mkdtemp(dir));
	char path[128], err[256];
	snprintf(path, sizeof path, "%s/f", dir);
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	fputs("hello\nworld", f);
	fclose(f);

	char *buf;
	size_t len;
	REQUIRE(file_read(path, 100, &buf, &len, err, sizeof err) == 0);
	CHECK_EQ_STR(buf, len, "hello\nworld");
	CHECK(buf[len] == 0);
	file_free(buf, len);

	/* larger than allowed */
	CHECK(file_read(path, 5, &buf, &len, err, sizeof err) == -1);
	CHECK_EQ_INT(errno, EFBIG);
	CHECK(buf == NULL && len == 0);
	CHECK(strstr(err, path) && strstr(err, "too large"));
	CHECK(!strstr(err, "hello"));

	/* missing */
	char missing[160];
	snprintf(missing, sizeof missing, "%s/none", dir);
	CHECK(file_read(missing, 100, &buf, &len, err, sizeof err) == -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK(strstr(err, missing) != NULL);

	/* a directory, and a FIFO (must not block) */
	CHECK(file_read(dir, 100, &buf, &len, err, sizeof err) == -1);
	CHECK_EQ_INT(errno, EISDIR);
	char fifo[160];
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	REQUIRE(mkfifo(fifo, 0600) == 0);
	CHECK(file_read(fifo, 100, &buf, &len, err, sizeof err) == -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(strstr(err, "not a regular file") != NULL);

	/* empty */
	char empty[160];
	snprintf(empty, sizeof empty, "%s/empty", dir);
	f = fopen(empty, "w");
	REQUIRE(f);
	fclose(f);
	REQUIRE(file_read(empty, 100, &buf, &len, err, sizeof err) == 0);
	CHECK(len == 0 && buf && buf[0] == 0);
	file_free(buf, len);

	unlink(path);
	unlink(fifo);
	unlink(empty);
	rmdir(dir);
}

TEST(ir_strings_same)
{
	struct ir_str a = { "call_1", 6, IR_RAW }, b = { "call\\u005f1", 11, IR_RAW };
	struct ir_str c = ir_plain("call_1", 6), d = { "call_2", 6, IR_RAW }, none = { NULL, 0, IR_RAW };
	CHECK(ir_str_same(&a, &a));
	CHECK(ir_str_same(&a, &b));	/* escaped differently */
	CHECK(ir_str_same(&a, &c));	/* raw and plain */
	CHECK(!ir_str_same(&a, &d));
	CHECK(!ir_str_same(&a, &none));
	CHECK(!ir_str_same(&none, &none));
}

TEST(ir_request_init_keeps_storage)
{
	struct ir_part parts[2];
	struct ir_msg msgs[2];
	struct ir_tool tools[2];
	ir_call_id call_ids[2];
	struct ir_request ir;
	memset(&ir, 0x5a, sizeof ir);
	ir.parts = parts;
	ir.msgs = msgs;
	ir.tools = tools;
	ir.call_ids = call_ids;
	ir_request_init(&ir);
	CHECK(ir.parts == parts && ir.msgs == msgs && ir.tools == tools && ir.call_ids == call_ids);
	CHECK(ir.nparts == 0 && ir.nmsgs == 0 && ir.ntools == 0 && ir.nstop == 0);
	CHECK(ir.max_tokens == -1 && ir.seed == -1 && ir.thinking_budget == -1 && ir.parallel_tools == -1);
	CHECK(ir.tool_choice == IR_TC_UNSET && ir.format == IR_FMT_TEXT && !ir.model.p && !ir.stream);
}

TEST(ir_strings_through_typed_writer)
{
	char buf[256];
	struct json_out o;
	struct jw w;
	json_out_init(&o, buf, sizeof buf);
	jw_init(&w, &o);
	struct ir_str raw = { "a\\nb", 4, IR_RAW }, plain = ir_plain("q\"", 2);
	struct ir_str js = { "{\"k\":1}", 7, IR_JSON }, args = { "{\\\"x\\\":2}", 9, IR_RAW };
	struct ir_str bad = { "{nope", 5, IR_RAW };
	jw_obj(&w);
	jw_key(&w, "raw");
	jw_ir_str(&w, &raw);
	jw_key(&w, "plain");
	jw_ir_str(&w, &plain);
	jw_key(&w, "json_as_string");
	jw_ir_str(&w, &js);
	jw_key(&w, "value");
	CHECK(jw_ir_value(&w, &js) == 0);
	jw_key(&w, "args");
	CHECK(jw_ir_value(&w, &args) == 0);
	jw_key(&w, "joined");
	jw_str_begin(&w);
	jw_ir_chars(&w, &raw);
	jw_str_add(&w, "/", 1);
	jw_ir_chars(&w, &plain);
	jw_str_end(&w);
	jw_obj_end(&w);
	REQUIRE(jw_done(&w));
	CHECK_EQ_STR(buf, o.len,
		     "{\"raw\":\"a\\nb\",\"plain\":\"q\\\"\",\"json_as_string\":\"{\\\"k\\\":1}\","
		     "\"value\":{\"k\":1},\"args\":{\"x\":2},\"joined\":\"a\\nb/q\\\"\"}");
	CHECK(json_valid(buf, o.len) == 0);

	json_out_init(&o, buf, sizeof buf);
	jw_init(&w, &o);
	jw_arr(&w);
	CHECK(jw_ir_value(&w, &bad) == -1);

	/* characters outside a string are refused */
	json_out_init(&o, buf, sizeof buf);
	jw_init(&w, &o);
	jw_ir_chars(&w, &raw);
	CHECK(o.overflow);
}

int main(void)
{
	test_suite = "util";
	RUN(hex_digits);
	RUN(ascii_case);
	RUN(calendar_dates);
	RUN(file_read_whole);
	RUN(ir_strings_same);
	RUN(ir_request_init_keeps_storage);
	RUN(ir_strings_through_typed_writer);
	return test_summary();
}
