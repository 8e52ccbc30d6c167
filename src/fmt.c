/*
 * fmt.c - llmgw's own snprintf: the printf formats the code uses, without
 * the C library's stdio. Why: libc's printf engine is the largest piece of
 * libc in a static router build (musl's vfprintf with its long-double
 * float code and libgcc's soft long double: 25-40 KB of a 250 KB budget),
 * and glibc's costs one to two thousand instructions per call on the
 * request path. This one is a few hundred.
 *
 * Formats: flags - 0 + space #, width and precision (numbers or *), the
 * length modifiers hh h l ll z j t, conversions d i u x X o c s p % and
 * f F e E g G. Floating point is exact: the double's binary value is
 * expanded to all its decimal digits (a small base-1e9 big number on the
 * stack) and rounded half-to-even like glibc and musl, so the output is
 * the same as theirs (tests/unit/test_fmt.c compares the two).
 * Anything else (%n, %a, wide characters, positional arguments) is not
 * supported: it is written out as it stands.
 *
 * Owns nothing; never allocates; reentrant.
 */
#include "fmt.h"

#include <stdint.h>
#include <string.h>

struct out {
	char *buf;
	size_t cap, len;	/* len counts everything, written or not */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t room = o->cap - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void pad(struct out *o, char c, size_t n)
{
	if (!n)
		return;
	char b[32];
	memset(b, c, sizeof b);
	while (n) {
		size_t k = n < sizeof b ? n : sizeof b;
		put(o, b, k);
		n -= k;
	}
}

/* The flags and sizes of one conversion. */
struct spec {
	int minus, zero, plus, space, alt;
	size_t width;
	int prec;	/* -1: none */
};

/* Writes prefix (sign, 0x) and body with the width applied. */
static void field(struct out *o, const struct spec *sp, const char *prefix, size_t pn,
		  size_t zeros, const char *body, size_t bn)
{
	size_t n = pn + zeros + bn, w = sp->width > n ? sp->width - n : 0;
	if (!sp->minus && !sp->zero)
		pad(o, ' ', w);
	put(o, prefix, pn);
	if (!sp->minus && sp->zero)
		pad(o, '0', w);
	pad(o, '0', zeros);
	put(o, body, bn);
	if (sp->minus)
		pad(o, ' ', w);
}

static void integer(struct out *o, struct spec *sp, uint64_t v, int neg, char conv)
{
	char b[24], *e = b + sizeof b, *p = e, pre[3];
	size_t pn = 0;
	unsigned base = conv == 'x' || conv == 'X' || conv == 'p' ? 16 : conv == 'o' ? 8 : 10;
	const char *dig = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	while (v) {
		*--p = dig[v % base];
		v /= base;
	}
	if (neg)
		pre[pn++] = '-';
	else if (sp->plus && (conv == 'd' || conv == 'i'))
		pre[pn++] = '+';
	else if (sp->space && (conv == 'd' || conv == 'i'))
		pre[pn++] = ' ';
	if ((conv == 'p' || (sp->alt && base == 16)) && p != e) {
		pre[pn++] = '0';
		pre[pn++] = conv == 'X' ? 'X' : 'x';
	}
	if (sp->alt && base == 8 && (p == e || *p != '0'))
		*--p = '0';
	size_t bn = (size_t)(e - p), zeros = 0;
	if (sp->prec >= 0) {
		sp->zero = 0;
		if ((size_t)sp->prec > bn)
			zeros = (size_t)sp->prec - bn;
	} else if (bn == 0) {
		zeros = 1;	/* a zero with the default precision */
	}
	field(o, sp, pre, pn, zeros, p, bn);
}

/* ---- exact decimal expansion of a double ---- */

/* Enough base-1e9 words for 2^53 * 5^1074 (768 digits) or 2^1024. */
#define BIG_WORDS 90
#define MAX_DIGITS (BIG_WORDS * 9)

/* The digits of |v| (finite, not 0) into d (no leading zeros): *dexp is
 * where the decimal point goes, value = 0.d[0]d[1]... * 10^dexp. Returns
 * the number of digits. */
static size_t expand(double v, char *d, int *dexp)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	int be = (int)(bits >> 52 & 0x7ff);
	uint64_t m = bits & ((1ull << 52) - 1);
	if (be)
		m |= 1ull << 52;
	else
		be = 1;
	int e = be - 1075;	/* |v| = m * 2^e */
	uint32_t w[BIG_WORDS];
	size_t nw = 0;
	for (uint64_t t = m; t; t /= 1000000000u)
		w[nw++] = (uint32_t)(t % 1000000000u);
	/* times 2^e, or times 5^-e (then the point moves -e digits left) */
	int k = e >= 0 ? e : -e;
	while (k > 0) {
		int step = e >= 0 ? (k < 29 ? k : 29) : (k < 13 ? k : 13);
		uint64_t mul = 1;
		for (int i = 0; i < step; i++)
			mul *= e >= 0 ? 2 : 5;
		uint64_t carry = 0;
		for (size_t i = 0; i < nw; i++) {
			uint64_t t = (uint64_t)w[i] * mul + carry;
			w[i] = (uint32_t)(t % 1000000000u);
			carry = t / 1000000000u;
		}
		while (carry) {
			w[nw++] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
		k -= step;
	}
	size_t n = 0;
	for (size_t i = nw; i-- > 0;) {
		char g[9];
		uint32_t x = w[i];
		for (int j = 8; j >= 0; j--, x /= 10)
			g[j] = (char)('0' + x % 10);
		size_t j = 0;
		if (n == 0)
			while (j < 9 && g[j] == '0')
				j++;
		memcpy(d + n, g + j, 9 - j);
		n += 9 - j;
	}
	*dexp = (int)n - (e < 0 ? -e : 0);
	/* trailing zeros carry no information */
	while (n > 1 && d[n - 1] == '0')
		n--;
	return n;
}

/* Keeps the first `keep` digits (keep may be <= 0 or past n), rounding
 * half to even on the exact digits dropped. May add a digit ("99" -> "100",
 * *dexp + 1). Returns the new digit count (0 when it rounded to zero). */
static size_t round_kept(char *d, size_t n, int *dexp, long keep)
{
	if (keep >= (long)n)
		return n;
	if (keep < 0)
		return 0;
	size_t kk = (size_t)keep;
	int up;
	if (d[kk] > '5') {
		up = 1;
	} else if (d[kk] < '5') {
		up = 0;
	} else {
		up = 0;
		for (size_t i = kk + 1; i < n; i++)
			if (d[i] != '0')
				up = 1;
		if (!up)	/* an exact tie: to even */
			up = kk > 0 ? (d[kk - 1] - '0') & 1 : 0;
	}
	if (!up)
		return kk;
	size_t i = kk;
	while (i > 0 && d[i - 1] == '9')
		i--;
	if (i == 0) {
		d[0] = '1';
		(*dexp)++;
		return 1;
	}
	d[i - 1]++;
	return i;
}

/* round_kept() without the trailing zeros it may leave ("0.0500" after
 * rounding 0.05000000000000000277): digits past the count read as zeros. */
static size_t round_digits(char *d, size_t n, int *dexp, long keep)
{
	n = round_kept(d, n, dexp, keep);
	while (n > 1 && d[n - 1] == '0')
		n--;
	return n;
}

/* The digit at position i of the kept digits, '0' past them. */
static char dig_at(const char *d, size_t n, long i)
{
	return i >= 0 && (size_t)i < n ? d[i] : '0';
}

static void floating(struct out *o, struct spec *sp, double v, char conv)
{
	char pre[1];
	size_t pn = 0;
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	int neg = (int)(bits >> 63);
	int upper = conv == 'F' || conv == 'E' || conv == 'G';
	if (neg)
		pre[pn++] = '-';
	else if (sp->plus)
		pre[pn++] = '+';
	else if (sp->space)
		pre[pn++] = ' ';
	if ((bits >> 52 & 0x7ff) == 0x7ff) {
		const char *s = bits & ((1ull << 52) - 1) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
		sp->zero = 0;
		field(o, sp, pre, pn, 0, s, 3);
		return;
	}
	char d[MAX_DIGITS + 2];
	int dexp = 1;
	size_t n = 0;
	if (bits << 1)
		n = expand(v, d, &dexp);
	int prec = sp->prec < 0 ? 6 : sp->prec;
	char c = (char)(conv | 0x20);
	int strip = 0;
	if (c == 'g') {
		if (prec == 0)
			prec = 1;
		/* the exponent once rounded to prec significant digits */
		int x = dexp - 1;
		if (n) {
			char t[MAX_DIGITS + 2];
			int te = dexp;
			memcpy(t, d, n);
			if (round_digits(t, n, &te, prec) == 0)
				te = 1;
			x = te - 1;
		} else {
			x = 0;
		}
		if (x < prec && x >= -4) {
			c = 'f';
			prec = prec - 1 - x;
		} else {
			c = 'e';
			prec = prec - 1;
		}
		strip = !sp->alt;
	}
	/* body: the digits, a point, an exponent; at most one big run of
	 * zeros, written by field()/pad() without a buffer */
	char body[MAX_DIGITS + 48];
	size_t bn = 0;
	if (c == 'e') {
		int x = 0;
		if (n) {
			n = round_digits(d, n, &dexp, (long)prec + 1);
			x = n ? dexp - 1 : 0;
		}
		if (n == 0) {
			d[0] = '0';
			n = 1;
			x = 0;
		}
		body[bn++] = d[0];
		size_t frac = (size_t)prec;
		if (strip)
			frac = n - 1 < frac ? n - 1 : frac;
		if (frac || sp->alt)
			body[bn++] = '.';
		for (size_t i = 1; i <= frac; i++)
			body[bn++] = dig_at(d, n, (long)i);
		body[bn++] = upper ? 'E' : 'e';
		body[bn++] = x < 0 ? '-' : '+';
		unsigned ax = (unsigned)(x < 0 ? -x : x);
		char eb[4];
		int en = 0;
		do
			eb[en++] = (char)('0' + ax % 10);
		while ((ax /= 10));
		if (en < 2)
			eb[en++] = '0';
		while (en)
			body[bn++] = eb[--en];
		field(o, sp, pre, pn, 0, body, bn);
		return;
	}
	/* f: digits before the point are d[0 .. dexp), after it prec more */
	if (n) {
		n = round_digits(d, n, &dexp, (long)dexp + prec);
		if (n == 0)
			dexp = 1;
	}
	if (n == 0) {
		d[0] = '0';
		n = 1;
		dexp = 1;
	}
	long ip = dexp > 0 ? dexp : 0;	/* integer digits */
	size_t frac = (size_t)prec;
	if (strip) {
		/* drop trailing zeros: the last kept digit is at index n - 1 */
		long last = (long)n - 1 - dexp;	/* its place after the point, 0-based */
		frac = last < 0 ? 0 : (size_t)(last + 1) < frac ? (size_t)(last + 1) : frac;
	}
	/* the integer part can be up to 309 digits: write it in pieces */
	size_t wn = (size_t)(ip ? ip : 1) + (frac || sp->alt ? 1 + frac : 0);
	struct spec s2 = *sp;
	size_t w = s2.width > pn + wn ? s2.width - pn - wn : 0;
	if (!s2.minus && !s2.zero)
		pad(o, ' ', w);
	put(o, pre, pn);
	if (!s2.minus && s2.zero)
		pad(o, '0', w);
	if (ip == 0) {
		put(o, "0", 1);
	} else {
		for (long i = 0; i < ip;) {
			char chunk[64];
			size_t cn = 0;
			for (; i < ip && cn < sizeof chunk; i++)
				chunk[cn++] = dig_at(d, n, i);
			put(o, chunk, cn);
		}
	}
	if (frac || sp->alt)
		put(o, ".", 1);
	for (size_t i = 0; i < frac;) {
		char chunk[64];
		size_t cn = 0;
		for (; i < frac && cn < sizeof chunk; i++)
			chunk[cn++] = dig_at(d, n, dexp + (long)i);
		put(o, chunk, cn);
	}
	if (s2.minus)
		pad(o, ' ', w);
}

int fmt_vsnprintf(char *buf, size_t cap, const char *f, va_list ap)
{
	struct out o = { buf, cap ? cap - 1 : 0, 0 };
	while (*f) {
		const char *pc = strchr(f, '%');
		if (!pc) {
			put(&o, f, strlen(f));
			break;
		}
		put(&o, f, (size_t)(pc - f));
		const char *start = pc;
		f = pc + 1;
		struct spec sp = { 0, 0, 0, 0, 0, 0, -1 };
		for (;; f++) {
			if (*f == '-')
				sp.minus = 1;
			else if (*f == '0')
				sp.zero = 1;
			else if (*f == '+')
				sp.plus = 1;
			else if (*f == ' ')
				sp.space = 1;
			else if (*f == '#')
				sp.alt = 1;
			else
				break;
		}
		if (*f == '*') {
			int wv = va_arg(ap, int);
			if (wv < 0) {
				sp.minus = 1;
				wv = -wv;
			}
			sp.width = (size_t)wv;
			f++;
		} else {
			while (*f >= '0' && *f <= '9')
				sp.width = sp.width * 10 + (size_t)(*f++ - '0');
		}
		if (*f == '.') {
			f++;
			sp.prec = 0;
			if (*f == '*') {
				sp.prec = va_arg(ap, int);
				if (sp.prec < 0)
					sp.prec = -1;
				f++;
			} else {
				while (*f >= '0' && *f <= '9')
					sp.prec = sp.prec * 10 + (*f++ - '0');
			}
		}
		if (sp.minus)
			sp.zero = 0;
		int len = 0;	/* 1 h, 2 hh, 3 l, 4 ll, 5 z/t, 6 j */
		if (*f == 'h') {
			len = f[1] == 'h' ? 2 : 1;
			f += len;
		} else if (*f == 'l') {
			len = f[1] == 'l' ? 4 : 3;
			f += len - 2;
		} else if (*f == 'z' || *f == 't') {
			len = 5;
			f++;
		} else if (*f == 'j') {
			len = 6;
			f++;
		}
		char conv = *f;
		if (!conv) {
			put(&o, start, strlen(start));
			break;
		}
		f++;
		switch (conv) {
		case 'd': case 'i': {
			int64_t v;
			switch (len) {
			case 3: v = va_arg(ap, long); break;
			case 4: v = va_arg(ap, long long); break;
			case 5: v = (int64_t)va_arg(ap, ptrdiff_t); break;
			case 6: v = va_arg(ap, intmax_t); break;
			default: v = va_arg(ap, int); break;
			}
			if (len == 1)
				v = (short)v;
			else if (len == 2)
				v = (signed char)v;
			integer(&o, &sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0, conv);
			break;
		}
		case 'u': case 'x': case 'X': case 'o': {
			uint64_t v;
			switch (len) {
			case 3: v = va_arg(ap, unsigned long); break;
			case 4: v = va_arg(ap, unsigned long long); break;
			case 5: v = va_arg(ap, size_t); break;
			case 6: v = va_arg(ap, uintmax_t); break;
			default: v = va_arg(ap, unsigned); break;
			}
			if (len == 1)
				v = (unsigned short)v;
			else if (len == 2)
				v = (unsigned char)v;
			integer(&o, &sp, v, 0, conv);
			break;
		}
		case 'p':
			sp.alt = 1;
			integer(&o, &sp, (uint64_t)(uintptr_t)va_arg(ap, void *), 0, 'p');
			break;
		case 'c': {
			char ch = (char)va_arg(ap, int);
			sp.zero = 0;
			field(&o, &sp, "", 0, 0, &ch, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t n = sp.prec >= 0 ? strnlen(s, (size_t)sp.prec) : strlen(s);
			sp.zero = 0;
			field(&o, &sp, "", 0, 0, s, n);
			break;
		}
		case 'f': case 'F': case 'e': case 'E': case 'g': case 'G':
			floating(&o, &sp, va_arg(ap, double), conv);
			break;
		case '%':
			put(&o, "%", 1);
			break;
		default:	/* not supported: written as it stands */
			put(&o, start, (size_t)(f - start));
			break;
		}
	}
	if (cap)
		buf[o.len < o.cap ? o.len : o.cap] = 0;
	return o.len > (size_t)INT32_MAX ? -1 : (int)o.len;
}

int fmt_snprintf(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = fmt_vsnprintf(buf, cap, f, ap);
	va_end(ap);
	return n;
}

/* inet_ntop's text (RFC 5952: lowercase, the longest run of two or more
 * zero groups as "::", the first of equal runs; ::ffff:a.b.c.d and
 * ::a.b.c.d forms as musl and glibc write them), without libc's, which
 * formats with snprintf. */
const char *fmt_ip(int v6, const void *addr, char *buf, size_t cap)
{
	const unsigned char *a = addr;
	if (!v6) {
		fmt_snprintf(buf, cap, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		return buf;
	}
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char zero12[12] = { 0 };
	if (memcmp(a, mapped, 12) == 0) {
		fmt_snprintf(buf, cap, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return buf;
	}
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	int best = -1, blen = 0;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > blen && j - i >= 2) {
			best = i;
			blen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	char t[48];
	size_t n = 0;
	int embedded4 = memcmp(a, zero12, 12) == 0 && (g[6] || g[7] > 1) && best == 0 && blen == 6;
	for (int i = 0; i < (embedded4 ? 6 : 8); i++) {
		if (i == best) {
			t[n++] = ':';
			t[n++] = ':';
			i += blen - 1;
			continue;
		}
		if (n && t[n - 1] != ':')
			t[n++] = ':';
		n += (size_t)fmt_snprintf(t + n, sizeof t - n, "%x", g[i]);
	}
	if (embedded4)
		n += (size_t)fmt_snprintf(t + n, sizeof t - n, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
	t[n] = 0;
	fmt_snprintf(buf, cap, "%s", t);
	return buf;
}
