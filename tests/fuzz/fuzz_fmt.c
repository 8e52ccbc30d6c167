/*
 * fuzz_fmt.c - libFuzzer harness for fmt.c: the input picks a double (its
 * eight bytes), an integer, a precision and a width, and fmt_snprintf must
 * write exactly what the C library's snprintf writes for the float and
 * integer formats llmgw uses (and the same return value), whatever the
 * buffer size; and the bytes after the first 19, read as a number by
 * fmt_strtod, give strtod's double and end. Any difference aborts.
 */
#include "fmt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(int ra, const char *a, int rb, const char *b, size_t cap)
{
	if (ra != rb || (cap && strcmp(a, b) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	double v;
	long long iv;
	if (size < 19)
		return 0;
	memcpy(&v, data, 8);
	memcpy(&iv, data + 8, 8);
	int prec = data[16] % 40, width = data[17] % 30;
	size_t cap = (size_t)data[18] * 5 % 1100;
	static const char *const ffmt[] = { "%.*f", "%.*e", "%.*g", "%*.*f", "%-*.*e", "%0*.*g", "%+.*f", "%.*G" };
	static const char *const ifmt[] = { "%*lld", "%-*lld", "%0*lld", "%*llx", "%+*lld", "%*.3lld" };
	char a[1100], b[1100];
	const char *f = ffmt[data[16] / 40 % 8];
	int ra, rb;
	if (strchr(f, '*') != strrchr(f, '*')) {
		ra = fmt_snprintf(a, cap, f, width, prec, v);
		rb = snprintf(b, cap, f, width, prec, v);
	} else {
		ra = fmt_snprintf(a, cap, f, prec, v);
		rb = snprintf(b, cap, f, prec, v);
	}
	same(ra, a, rb, b, cap);
	const char *g = ifmt[data[17] / 30 % 6];
	ra = fmt_snprintf(a, cap, g, width, iv);
	rb = snprintf(b, cap, g, width, iv);
	same(ra, a, rb, b, cap);
	/* the other direction: the input's bytes as a number's text */
	{
		char t[64], *e1;
		const char *e2;
		size_t n = size - 19 < sizeof t - 1 ? size - 19 : sizeof t - 1;
		memcpy(t, data + 19, n);
		t[n] = 0;
		double x = strtod(t, &e1), y = fmt_strtod(t, &e2);
		/* fmt_strtod reads no inf, nan or hex (JSON has none): texts with
		 * those letters are libc's alone */
		if (!strpbrk(t, "xXiInN") && (memcmp(&x, &y, sizeof x) != 0 || e1 != e2))
			abort();
	}
	/* the round-trip format of the metrics and the usage file */
	ra = fmt_snprintf(a, cap, "%.17g|%g", v, v);
	rb = snprintf(b, cap, "%.17g|%g", v, v);
	same(ra, a, rb, b, cap);
	return 0;
}
