/*
 * test_fmt.c - fmt_snprintf against the C library's snprintf: the same
 * bytes and the same return value for every format llmgw uses, integers
 * at their limits, strings with widths and precisions, and doubles from
 * every part of the range (random bit patterns, powers of ten, halfway
 * cases, subnormals, infinities, NaN) in %f %e %g with many precisions.
 * Not compared: %#g, where glibc itself is wrong when rounding adds a digit
 * (999999.5 gives "1.e+06"); llmgw never uses it. Also fmt_ip against
 * inet_ntop and fmt_strtod against strtod, fmt_ip_parse against inet_pton
 * (a table of edge cases, mutated real addresses and random strings over
 * the address alphabet), and fmt_sort against sortedness and qsort.
 */
#include "test.h"
#include "fmt.h"

#include <arpa/inet.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int mismatches;

/* Both formatters on the same arguments; one CHECK per call. */
#define SAME(cap, ...) do { \
	char a_[1200], b_[1200]; \
	memset(a_, 'x', sizeof a_); memset(b_, 'x', sizeof b_); \
	int ra_ = fmt_snprintf(a_, (cap), __VA_ARGS__); \
	int rb_ = snprintf(b_, (cap), __VA_ARGS__); \
	int ok_ = ra_ == rb_ && memcmp(a_, b_, sizeof a_) == 0; \
	if (!ok_ && mismatches++ < 10) \
		fprintf(stderr, "  fmt %s: got [%.80s] (%d), libc [%.80s] (%d)\n", #__VA_ARGS__, a_, ra_, b_, rb_); \
	CHECK(ok_); \
} while (0)

TEST(integers_and_strings)
{
	SAME(64, "%d %u %ld %lu %lld %llu", 0, 0u, 0L, 0UL, 0LL, 0ULL);
	SAME(64, "%d %d %lld %lld", INT32_MIN, INT32_MAX, (long long)INT64_MIN, (long long)INT64_MAX);
	SAME(64, "%u %llu %zu %zx %x %X %o", UINT32_MAX, (unsigned long long)UINT64_MAX, (size_t)12345,
	     (size_t)0xbeef, 0xabcdefu, 0xabcdefu, 8u);
	SAME(64, "[%5d|%-5d|%05d|%+d|% d|%.3d|%8.3d|%02lld|%03llu]", 42, 42, -42, 42, 42, 7, -7, 5LL, 9ULL);
	SAME(64, "[%.0d|%.0u|%#x|%#o|%c|%%|%5c]", 0, 0u, 255u, 8u, 'z', 'q');
	SAME(64, "[%s|%10s|%-10s|%.2s|%.*s|%*s]", "abc", "abc", "abc", "abc", 3, "abcdef", -6, "ab");
	SAME(64, "%hd %hu %hhd %hhu", 70000, 70000, 300, 300);
	/* truncation: same return value, same terminated prefix */
	SAME(8, "%s and %d", "a long string", 123456);
	SAME(1, "%s", "xyz");
	SAME(0, "%s", "xyz");
	SAME(64, "HTTP/1.1 %d %s\r\nContent-Length: %lld\r\n", 200, "OK", 1234LL);
}

static void one_double(double v)
{
	SAME(1200, "%.17g", v);
	SAME(1200, "%g|%e|%.3e|%.0e", v, v, v, v);
	SAME(1200, "%.1f|%.6f|%.0f|%.2f|%.4f", v, v, v, v, v);
	SAME(1200, "%.*g|%.*g|%#.3f|%G|%E", 3, v, 15, v, v, v, v);
	SAME(1200, "%12.3f|%-12.3e|%012.4g|%+.2f", v, v, v, v);
}

TEST(doubles_match_libc)
{
	static const double fixed[] = {
		0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 0.05, 0.005, 0.015, 1e-5, 5.24e-05,
		0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 9.5, 99.5, 999.9999995, 123456.789, 1e15, 1e16, 1e17, 1e21,
		1e22, 1e23, 9.999999999999999e22, 1e100, 1e300, DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN,
		4.9406564584124654e-324, 2.2250738585072009e-308, 0.000099999, 0.0001, 0.00001,
		999999.5, 9999995.0, 0.00012345, 5e-7, 1234.5, 0.45, 0.55, 1e-300, 3.0e8, 12.0, 100.0,
		INFINITY, -INFINITY, NAN,
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		one_double(fixed[i]);
	double up = 1, down = 1;
	for (int i = 0; i <= 30; i++, up *= 10, down /= 10) {
		one_double(up);
		one_double(down);
	}
	for (int i = 0; i < 3000; i++) {
		uint64_t b = next();
		double v;
		memcpy(&v, &b, sizeof v);
		one_double(v);
	}
	/* money-like values: small decimals with few digits, and their halves */
	for (int i = 0; i < 3000; i++) {
		double v = (double)(next() % 100000000) / (double)(1ull << (next() % 40));
		one_double(v);
		one_double((double)(next() % 1000000) / 1e6);
	}
}

/* fmt_ip writes RFC 5952 text: a fixed table everywhere, and, against
 * glibc's inet_ntop (which follows RFC 5952; musl's also shortens a single
 * zero group), addresses with every shape of zero run, mapped and
 * compatible IPv4 forms, and random ones. */
TEST(addresses_match_inet_ntop)
{
	static const struct { const char *in, *out; } rfc[] = {
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },
		{ "0:0:0:0:0:0:0:0", "::" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "fe80:0:0:0:a:b:c:d", "fe80::a:b:c:d" },
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
		{ "2001:DB8:AAAA:0:0:0:0:0", "2001:db8:aaaa::" },
	};
	unsigned char a[16];
	char x[64];
	int bad = 0;
	for (size_t i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
		REQUIRE(inet_pton(AF_INET6, rfc[i].in, a) == 1);
		fmt_ip(1, a, x, sizeof x);
		if (strcmp(x, rfc[i].out) != 0 && bad++ < 5)
			fprintf(stderr, "  fmt_ip(%s) = %s, want %s\n", rfc[i].in, x, rfc[i].out);
	}
	REQUIRE(inet_pton(AF_INET, "192.0.2.33", a) == 1);
	fmt_ip(0, a, x, sizeof x);
	CHECK(strcmp(x, "192.0.2.33") == 0);
#ifdef __GLIBC__
	char y[64];
	for (int i = 0; i < 20000; i++) {
		uint64_t r1 = next(), r2 = next(), m = next();
		memcpy(a, &r1, 8);
		memcpy(a + 8, &r2, 8);
		for (int k = 0; k < 8; k++)	/* zero whole groups, often */
			if (m >> (k * 3) & 1 || (m >> 40 & 3) == 0) {
				a[2 * k] = 0;
				a[2 * k + 1] = (m >> 50 & 1) && k == 7 ? 1 : 0;
			}
		if (i % 7 == 0) {
			memset(a, 0, 10);
			a[10] = a[11] = 0xff;
		}
		if (i % 11 == 0)
			memset(a, 0, 12);
		inet_ntop(AF_INET6, a, y, sizeof y);
		fmt_ip(1, a, x, sizeof x);
		if (strcmp(x, y) != 0 && bad++ < 5)
			fprintf(stderr, "  fmt_ip %s, inet_ntop %s\n", x, y);
		inet_ntop(AF_INET, a, y, sizeof y);
		fmt_ip(0, a, x, sizeof x);
		if (strcmp(x, y) != 0 && bad++ < 5)
			fprintf(stderr, "  fmt_ip %s, inet_ntop %s\n", x, y);
	}
#endif
	memset(a, 0, 16);
	fmt_ip(1, a, x, sizeof x);
	CHECK(strcmp(x, "::") == 0);
	a[15] = 1;
	fmt_ip(1, a, x, sizeof x);
	CHECK(strcmp(x, "::1") == 0);
	CHECK_EQ_INT(bad, 0);
}

/* fmt_strtod reads what strtod reads: the same double, bit for bit, and the
 * same end, for the hard cases (halfway points, the ends of the range,
 * subnormals, 800+ digits), doubles printed at every precision, random
 * decimal strings, and the exact midpoints between neighbouring doubles. */
static int strtod_bad;
static void same_strtod(const char *t)
{
	char *e1;
	const char *e2;
	double a = strtod(t, &e1), b = fmt_strtod(t, &e2);
	if ((memcmp(&a, &b, sizeof a) != 0 || e1 != e2) && strtod_bad++ < 10)
		fprintf(stderr, "  fmt_strtod(%.60s): %.17g (%ld), libc %.17g (%ld)\n", t, b, (long)(e2 - t), a,
			(long)(e1 - t));
}

TEST(strtod_matches_libc)
{
	static const char *const fixed[] = { "0", "-0", "1", "0.5", "9007199254740993", "9007199254740995",
		"18014398509481986", "0.1", "1e23", "8.5e-1", "2.2250738585072011e-308", "2.2250738585072012e-308",
		"1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "4.9406564584124654e-324",
		"2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400", "1e400", "123456789012345678901234567890",
		"0.000001", "5.2400000000000007e-05", "7e22", "7e23", "12.5e", "1e+", "-.5", ".5e1", "00012.500", "",
		"-", "x", "0.15", "3.75", "1e0000000000000000000000000001" };
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		same_strtod(fixed[i]);
	char b[1300];
	/* 830 significant digits: more than fmt_strtod keeps */
	memset(b, '7', 830);
	memcpy(b + 830, "e-500", 6);
	same_strtod(b);
	for (int i = 0; i < 20000; i++) {
		uint64_t u = next();
		double d;
		memcpy(&d, &u, sizeof d);
		if ((u >> 52 & 0x7ff) == 0x7ff)
			continue;	/* infinities and NaNs: not numbers in JSON */
		snprintf(b, sizeof b, "%.*e", (int)(next() % 30), d);
		same_strtod(b);
		snprintf(b, sizeof b, "%.*g", (int)(next() % 20) + 1, d);
		same_strtod(b);
	}
	for (int i = 0; i < 20000; i++) {
		int n = 1 + (int)(next() % 40), pt = (int)(next() % (uint64_t)(n + 1));
		char *q = b;
		if (next() & 1)
			*q++ = '-';
		for (int k = 0; k < n; k++) {
			if (k == pt)
				*q++ = '.';
			*q++ = (char)('0' + next() % 10);
		}
		snprintf(q, 16, "e%d", (int)(next() % 700) - 350);
		same_strtod(b);
	}
	for (int i = 0; i < 2000; i++) {	/* exact halfway points, in full */
		uint64_t u = next() & 0x7fefffffffffffffull, u2 = u + 1;
		if (u2 == 0x7ff0000000000000ull)
			continue;	/* its neighbour would be infinity */
		double d, d2;
		memcpy(&d, &u, sizeof d);
		memcpy(&d2, &u2, sizeof d2);
		/* exact where long double is wider than double (x86, aarch64);
		 * where it is not (mips), just a number next to d */
		snprintf(b, sizeof b, "%.800Le", (long double)d + ((long double)d2 - (long double)d) / 2);
		same_strtod(b);
	}
	CHECK_EQ_INT(strtod_bad, 0);
}


/* fmt_ip_parse must say yes to exactly what inet_pton says yes to, with
 * the same bytes, for both families. */
static int pton_bad;
static void same_pton(const char *t)
{
	for (int v6 = 0; v6 < 2; v6++) {
		unsigned char a[16], b[16];
		memset(a, 0xaa, sizeof a);
		memset(b, 0xaa, sizeof b);
		int ra = inet_pton(v6 ? AF_INET6 : AF_INET, t, a), rb = fmt_ip_parse(v6, t, b);
		if ((ra != rb || (ra == 1 && memcmp(a, b, v6 ? 16 : 4) != 0)) && pton_bad++ < 10)
			fprintf(stderr, "  fmt_ip_parse(%d, \"%s\") = %d, inet_pton %d\n", v6, t, rb, ra);
	}
}

TEST(ip_parse_matches_inet_pton)
{
	static const char *const fixed[] = { "", ".", ":", "::", ":::", "::1", "1::", "1:::2", ":1::", "::1:",
		"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "01.2.3.4", "1.02.3.4",
		"1.2.3.04", "1.2.3.0", "0.1.2.3", "1..2.3", "1.2.3.1234", "1.2.3.-4", "+1.2.3.4", " 1.2.3.4",
		"1.2.3.4 ", "0x1.2.3.4", "1.2.3.4%eth0", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
		"1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "1::2:3:4:5:6:7:8",
		"1::2:3:4:5:6:7", "1:2:3::5:6:7:8", "12345::", "1234::", "fffff::", "FFFF:ffff::", "g::",
		"::ffff:1.2.3.4", "::1.2.3.4", "1::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:1.2.3.4",
		"1:2:3:4:5::1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::a.2.3.4", "::1234.1.1.1",
		"::1.2.3", "::1.2.3.4.5", "::01.2.3.4", "::256.2.3.4", "::1.2.3.4:5", "::1.2.3.4::", "1.2.3.4::",
		"::ffff:1.2.3.4%1", "fe80::1%eth0", "[::1]", "::1 ", " ::1", "0:0:0:0:0:0:0:0", "00000::",
		"0000:0000:0000:0000:0000:0000:0000:0000", "::0:0", "1::2::3", "::ffff:0.0.0.0", "a:b:c:d:e:f:0.0.0.0" };
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		same_pton(fixed[i]);
	static const char alpha[] = "0123456789abcdefABCDEFg:::::.....%x ";
	char t[64], u[64];
	unsigned char a[16];
	for (int i = 0; i < 200000; i++) {
		size_t n = next() % 46;
		for (size_t k = 0; k < n; k++)
			t[k] = alpha[next() % (sizeof alpha - 1)];
		t[n] = 0;
		same_pton(t);
		/* real addresses of every shape, then one change to them */
		uint64_t r1 = next(), r2 = next(), m = next();
		memcpy(a, &r1, 8);
		memcpy(a + 8, &r2, 8);
		for (int k = 0; k < 8; k++)
			if (m >> (k * 3) & 1)
				a[2 * k] = a[2 * k + 1] = 0;
		if (i % 5 == 0)
			memset(a, 0, 10 + (i % 3 == 0) * 2), a[10] = a[11] = (i % 3 ? 0xff : 0);
		fmt_ip((int)(m >> 60 & 1) || i % 5 == 0, a, u, sizeof u);
		same_pton(u);
		size_t ul = strlen(u), at = next() % (ul + 1);
		switch (m >> 61) {
		case 0: /* delete a character */
			memmove(u + at, u + at + (at < ul), ul - at);
			break;
		case 1: /* insert one */
			memmove(u + at + 1, u + at, ul - at + 1);
			u[at] = alpha[next() % (sizeof alpha - 1)];
			break;
		case 2: /* change one */
			if (at < ul)
				u[at] = alpha[next() % (sizeof alpha - 1)];
			break;
		case 3: /* uppercase hex and zero-padded groups */
			if (at < ul && u[at] >= 'a' && u[at] <= 'f')
				u[at] = (char)(u[at] - 32);
			else if (ul < 40) {
				memmove(u + at + 1, u + at, ul - at + 1);
				u[at] = '0';
			}
			break;
		default: /* doubled separators */
			if (ul < 40) {
				memmove(u + at + 1, u + at, ul - at + 1);
				u[at] = (m & 1) ? ':' : '.';
			}
			break;
		}
		same_pton(u);
	}
	CHECK_EQ_INT(pton_bad, 0);
	CHECK(fmt_ip_parse(1, "2001:db8::ff00:42:8329", a) == 1);
	CHECK(a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8 && a[10] == 0xff && a[15] == 0x29);
	CHECK(fmt_ip_parse(0, "10.0.0.255", a) == 1 && a[0] == 10 && a[3] == 255);
	CHECK(fmt_ip_parse(0, "::1", a) == 0);
	CHECK(fmt_ip_parse(1, "10.0.0.1", a) == 0);
}

struct srec {
	unsigned key, seq;
	char pad[5];		/* an odd size, so the swap is not word-sized */
};

static int srec_cmp(const void *x, const void *y)
{
	const struct srec *a = x, *b = y;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int uint_cmp(const void *x, const void *y)
{
	unsigned a = *(const unsigned *)x, b = *(const unsigned *)y;
	return a < b ? -1 : a > b;
}

/* fmt_sort gives qsort's order (a total order here) for every size from
 * 0 to 300 and for inputs sorted, reversed, all equal and random. */
TEST(sort_matches_qsort)
{
	static struct srec x[300], y[300];
	int bad = 0;
	for (size_t n = 0; n <= 300; n += n < 40 ? 1 : 13) {
		for (int shape = 0; shape < 4; shape++) {
			for (size_t i = 0; i < n; i++) {
				x[i].key = shape == 0 ? (unsigned)i : shape == 1 ? (unsigned)(n - i) : shape == 2 ? 7u
				    : (unsigned)(next() % (n / 2 + 1));
				x[i].seq = (unsigned)i;
				memset(x[i].pad, (int)i, sizeof x[i].pad);
			}
			memcpy(y, x, n * sizeof x[0]);
			fmt_sort(x, n, sizeof x[0], srec_cmp);
			qsort(y, n, sizeof y[0], srec_cmp);
			if (memcmp(x, y, n * sizeof x[0]) != 0 && bad++ < 5)
				fprintf(stderr, "  fmt_sort differs from qsort: n %zu, shape %d\n", n, shape);
		}
	}
	CHECK_EQ_INT(bad, 0);
	unsigned v[6] = { 3, 1, 2, 5, 4, 1 };
	fmt_sort(v, 6, sizeof v[0], uint_cmp);
	CHECK(v[0] == 1 && v[1] == 1 && v[2] == 2 && v[3] == 3 && v[4] == 4 && v[5] == 5);
}

/* fmt_find keeps memmem's contract: the first match, NULL when there is
 * none, an empty needle found at the start. Small alphabets so matches,
 * near-matches and overlaps are common. */
TEST(find_matches_memmem)
{
	char h[40], nd[6];
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		size_t n = next() % sizeof h, m = next() % sizeof nd;
		for (size_t k = 0; k < n; k++)
			h[k] = (char)('a' + next() % 3);
		for (size_t k = 0; k < m; k++)
			nd[k] = (char)('a' + next() % 3);
		if (fmt_find(h, n, nd, m) != memmem(h, n, nd, m) && bad++ < 5)
			fprintf(stderr, "  fmt_find differs from memmem: '%.*s' in '%.*s'\n", (int)m, nd, (int)n, h);
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(fmt_find("data:image/png;base64,", 22, ";base64,", 8) != NULL);
	CHECK(fmt_find("abc", 3, "abcd", 4) == NULL);
}

int main(void)
{
	test_suite = "fmt";
	RUN(integers_and_strings);
	RUN(doubles_match_libc);
	RUN(addresses_match_inet_ntop);
	RUN(strtod_matches_libc);
	RUN(ip_parse_matches_inet_pton);
	RUN(sort_matches_qsort);
	RUN(find_matches_memmem);
	return test_summary();
}
