/*
 * test.h - the tiny unit-test harness shared by tests/unit/test_*.c.
 *
 * TEST(name) defines a test; CHECK(cond) records a failure and goes on;
 * REQUIRE(cond) records a failure and leaves the test; SKIP_TEST(why)
 * leaves it as skipped (a "SKIP name: why" line that tests/run.sh counts
 * apart, never as passed). main() calls RUN()
 * for each test and returns test_summary(), which prints the closing line
 * "<suite>: N passed, N failed" that tests/run.sh adds up.
 */
#ifndef LLMGW_TEST_H
#define LLMGW_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int test_passed, test_failed, test_cur_failed;
static const char *test_cur_skip;
static const char *test_suite = "unit";

#define TEST(name) static void name(void)
#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	test_cur_failed = 1; } } while (0)
#define REQUIRE(cond) do { if (!(cond)) { \
	fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, #cond); \
	test_cur_failed = 1; return; } } while (0)
#define SKIP_TEST(why) do { test_cur_skip = (why); return; } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); if (a_ != b_) { \
	fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, a_, #b, b_); \
	test_cur_failed = 1; } } while (0)
#define CHECK_EQ_STR(a, alen, lit) do { if ((alen) != strlen(lit) || memcmp((a), (lit), (alen)) != 0) { \
	fprintf(stderr, "  %s:%d: %s is \"%.*s\", expected \"%s\"\n", __FILE__, __LINE__, #a, (int)(alen), (a), (lit)); \
	test_cur_failed = 1; } } while (0)

static inline void test_run(const char *name, void (*fn)(void))
{
	test_cur_failed = 0;
	test_cur_skip = NULL;
	fn();
	if (test_cur_skip && !test_cur_failed) {
		printf("SKIP %s: %s\n", name, test_cur_skip);
	} else if (test_cur_failed) {
		test_failed++;
		printf("FAIL %s\n", name);
	} else {
		test_passed++;
		printf("ok   %s\n", name);
	}
	fflush(stdout);
}
#define RUN(name) test_run(#name, name)

static inline int test_summary(void)
{
	printf("%s: %d passed, %d failed\n", test_suite, test_passed, test_failed);
	return test_failed ? 1 : 0;
}

/* Copies s[0..n) so that it ends exactly at a PROT_NONE guard page: a
 * parser that reads one byte past its input crashes instead of passing.
 * The mapping is reused; each call invalidates the previous pointer. */
static inline char *test_guard_copy(const char *s, size_t n)
{
	static char *map;
	static size_t maplen;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t need = ((n + pg - 1) / pg + 1) * pg;
	if (map && maplen < need) {
		munmap(map, maplen);
		map = NULL;
	}
	if (!map) {
		map = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED) { map = NULL; return NULL; }
		maplen = need;
	}
	mprotect(map, maplen, PROT_READ | PROT_WRITE);
	mprotect(map + maplen - pg, pg, PROT_NONE);
	char *p = map + maplen - pg - n;
	memcpy(p, s, n);
	return p;
}

/* A big test array on the heap instead of in .bss: the aarch64 build
 * uses -mcmodel=tiny, where code and all static data must lie within 1 MB
 * of each other. Declares `static type *name`, allocated (zeroed) before
 * main(); sizeof name is then a pointer's, so sizes use n. */
#define TEST_HEAP_ARRAY(type, name, n) \
	static type *name; \
	__attribute__((constructor)) static void name##_alloc(void) \
	{ \
		if (!(name = calloc((n), sizeof(type)))) \
			abort(); \
	}

#endif
