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
 * fmt_ip_parse (inet_pton) and fmt_sort (qsort) replace libc's for size
 * alone: the static musl binary drops their members.
 *
 * fmt_strtod is the other direction, for the same reasons (musl's strtod
 * brings its long-double scanner and, on aarch64, libgcc's soft long double
 * arithmetic: about 20 KB): exact too, by big-integer arithmetic when the
 * short exact path (at most 15 digits, |exponent| <= 22) does not apply.
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
enum { MINUS, ZERO, PLUS, SPACE, ALT };	/* flag[] indices */
/* flag[] index + 1 of the characters ' ' to '0', 0 for the others */
static const unsigned char flag_of[17] = {
	[' ' - ' '] = SPACE + 1, ['#' - ' '] = ALT + 1, ['+' - ' '] = PLUS + 1,
	['-' - ' '] = MINUS + 1, ['0' - ' '] = ZERO + 1,
};
struct spec {
	char flag[5];
	size_t width;
	int prec;	/* -1: none */
};

/* Writes prefix (sign, 0x) and body with the width applied. */
static void field(struct out *o, const struct spec *sp, const char *prefix, size_t pn,
		  size_t zeros, const char *body, size_t bn)
{
	size_t n = pn + zeros + bn, w = sp->width > n ? sp->width - n : 0;
	if (!sp->flag[MINUS] && !sp->flag[ZERO])
		pad(o, ' ', w);
	put(o, prefix, pn);
	if (!sp->flag[MINUS] && sp->flag[ZERO])
		pad(o, '0', w);
	pad(o, '0', zeros);
	put(o, body, bn);
	if (sp->flag[MINUS])
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
	else if (sp->flag[PLUS] && (conv == 'd' || conv == 'i'))
		pre[pn++] = '+';
	else if (sp->flag[SPACE] && (conv == 'd' || conv == 'i'))
		pre[pn++] = ' ';
	if ((conv == 'p' || (sp->flag[ALT] && base == 16)) && p != e) {
		pre[pn++] = '0';
		pre[pn++] = conv == 'X' ? 'X' : 'x';
	}
	if (sp->flag[ALT] && base == 8 && (p == e || *p != '0'))
		*--p = '0';
	size_t bn = (size_t)(e - p), zeros = 0;
	if (sp->prec >= 0) {
		sp->flag[ZERO] = 0;
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

/* The digits at positions [from, to) of the kept ones, in pieces. */
static void put_digits(struct out *o, const char *d, size_t n, long from, long to)
{
	while (from < to) {
		char chunk[64];
		size_t cn = 0;
		for (; from < to && cn < sizeof chunk; from++)
			chunk[cn++] = dig_at(d, n, from);
		put(o, chunk, cn);
	}
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
	else if (sp->flag[PLUS])
		pre[pn++] = '+';
	else if (sp->flag[SPACE])
		pre[pn++] = ' ';
	if ((bits >> 52 & 0x7ff) == 0x7ff) {
		const char *s = bits & ((1ull << 52) - 1) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
		sp->flag[ZERO] = 0;
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
		strip = !sp->flag[ALT];
	}
	/* e is f of the digits rounded to prec + 1 of them, with the point
	 * after the first and the exponent as a suffix */
	char suf[8];
	size_t sn = 0;
	if (c == 'e') {
		int x = 0;
		if (n) {
			n = round_digits(d, n, &dexp, (long)prec + 1);
			x = n ? dexp - 1 : 0;
		}
		suf[sn++] = upper ? 'E' : 'e';
		suf[sn++] = x < 0 ? '-' : '+';
		unsigned ax = (unsigned)(x < 0 ? -x : x);
		char eb[4];
		int en = 0;
		do
			eb[en++] = (char)('0' + ax % 10);
		while ((ax /= 10));
		if (en < 2)
			eb[en++] = '0';
		while (en)
			suf[sn++] = eb[--en];
		dexp = 1;
	} else if (n) {
		/* f: digits before the point are d[0 .. dexp), after it prec more */
		n = round_digits(d, n, &dexp, (long)dexp + prec);
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
	/* the integer part can be up to 309 digits, the fraction as long as
	 * the precision: written in pieces, without one buffer for all */
	size_t wn = (size_t)(ip ? ip : 1) + (frac || sp->flag[ALT] ? 1 + frac : 0) + sn;
	size_t w = sp->width > pn + wn ? sp->width - pn - wn : 0;
	if (!sp->flag[MINUS] && !sp->flag[ZERO])
		pad(o, ' ', w);
	put(o, pre, pn);
	if (!sp->flag[MINUS] && sp->flag[ZERO])
		pad(o, '0', w);
	if (ip == 0)
		put(o, "0", 1);
	else
		put_digits(o, d, n, 0, ip);
	if (frac || sp->flag[ALT])
		put(o, ".", 1);
	put_digits(o, d, n, dexp, dexp + (long)frac);
	put(o, suf, sn);
	if (sp->flag[MINUS])
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
		struct spec sp = { { 0 }, 0, -1 };
		for (unsigned k; (unsigned char)(*f - ' ') < sizeof flag_of && (k = flag_of[*f - ' ']) != 0; f++)
			sp.flag[k - 1] = 1;
		if (*f == '*') {
			int wv = va_arg(ap, int);
			if (wv < 0) {
				sp.flag[MINUS] = 1;
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
		if (sp.flag[MINUS])
			sp.flag[ZERO] = 0;
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
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': {
			/* Each argument read as the type it was passed as (C11
			 * 7.16.1.1), then cut to the modifier's width. */
			uint64_t v;
			int neg = 0;
			if (conv == 'd' || conv == 'i') {
				int64_t sv;
				switch (len) {
				case 3: sv = va_arg(ap, long); break;
				case 4: sv = va_arg(ap, long long); break;
				case 5: sv = va_arg(ap, ptrdiff_t); break;
				case 6: sv = va_arg(ap, intmax_t); break;
				case 1: sv = (short)va_arg(ap, int); break;
				case 2: sv = (signed char)va_arg(ap, int); break;
				default: sv = va_arg(ap, int); break;
				}
				neg = sv < 0;
				v = neg ? 0 - (uint64_t)sv : (uint64_t)sv;
			} else {
				switch (len) {
				case 3: v = va_arg(ap, unsigned long); break;
				case 4: v = va_arg(ap, unsigned long long); break;
				case 5: v = va_arg(ap, size_t); break;
				case 6: v = va_arg(ap, uintmax_t); break;
				case 1: v = (unsigned short)va_arg(ap, unsigned); break;
				case 2: v = (unsigned char)va_arg(ap, unsigned); break;
				default: v = va_arg(ap, unsigned); break;
				}
			}
			integer(&o, &sp, v, neg, conv);
			break;
		}
		case 'p':
			sp.flag[ALT] = 1;
			integer(&o, &sp, (uint64_t)(uintptr_t)va_arg(ap, void *), 0, 'p');
			break;
		case 'c': {
			char ch = (char)va_arg(ap, int);
			sp.flag[ZERO] = 0;
			field(&o, &sp, "", 0, 0, &ch, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t n = sp.prec >= 0 ? strnlen(s, (size_t)sp.prec) : strlen(s);
			sp.flag[ZERO] = 0;
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
	const unsigned char *a = addr, *q = a;	/* q: a dotted quad to end with, or NULL */
	char t[48];
	size_t n = 0;
	if (v6) {
		unsigned g[8];
		int z = 0;
		for (int i = 0; i < 8; i++)
			g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		while (z < 8 && g[z] == 0)
			z++;
		if (z == 6 || (z == 5 && g[5] == 0xffff)) {
			/* ::a.b.c.d (six zero groups, then not 0.0.0.0 or
			 * 0.0.0.1) and ::ffff:a.b.c.d */
			n = z == 6 ? 2 : 7;
			memcpy(t, "::ffff:", n);
			q += 12;
		} else {
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
			for (int i = 0; i < 8; i++) {
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
			q = NULL;
		}
	}
	if (q)
		n += (size_t)fmt_snprintf(t + n, sizeof t - n, "%u.%u.%u.%u", q[0], q[1], q[2], q[3]);
	t[n] = 0;
	fmt_snprintf(buf, cap, "%s", t);
	return buf;
}

/* ---- address text to bytes (fmt_ip_parse) ---- */

/* A whole dotted quad: four decimal parts of 1 to 3 digits, each at most
 * 255, no leading zeros (they would read as octal elsewhere). */
static int parse_ip4(const char *s, unsigned char *a)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, j = 0;
		while (j < 3 && s[j] >= '0' && s[j] <= '9')
			v = v * 10 + (unsigned)(s[j++] - '0');
		if (j == 0 || (j > 1 && s[0] == '0') || v > 255)
			return 0;
		a[i] = (unsigned char)v;
		s += j;
		if (*s++ != (i == 3 ? '\0' : '.'))
			return 0;
	}
	return 1;
}

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The grammar and the choices of musl's inet_pton (one "::" standing for
 * one or more zero groups, 1 to 4 hex digits a group, a dotted quad only
 * as the last two groups), written so that the parse has no libc in it:
 * musl's is 0.8 KB with its own tables, this is half that. */
int fmt_ip_parse(int v6, const char *s, void *addr)
{
	unsigned char *a = addr;
	unsigned short ip[8];
	int brk = -1, i, j, need4 = 0;

	if (!v6)
		return parse_ip4(s, a);
	if (*s == ':' && *++s != ':')
		return 0;
	for (i = 0;; i++) {
		if (s[0] == ':' && brk < 0) {
			brk = i;
			ip[i] = 0;
			if (!*++s)
				break;
			if (i == 7)
				return 0;
			continue;
		}
		unsigned v = 0;
		int d;
		for (j = 0; j < 4 && (d = hexdig(s[j])) >= 0; j++)
			v = v << 4 | (unsigned)d;
		if (j == 0)
			return 0;
		ip[i] = (unsigned short)v;
		if (!s[j] && (brk >= 0 || i == 7))
			break;
		if (i == 7)
			return 0;
		if (s[j] != ':') {
			/* a.b.c.d: the last two groups, s still at its start */
			if (s[j] != '.' || (i < 6 && brk < 0))
				return 0;
			need4 = 1;
			ip[++i] = 0;
			break;
		}
		s += j + 1;
	}
	if (brk >= 0) {
		memmove(ip + brk + 7 - i, ip + brk, 2 * (size_t)(i + 1 - brk));
		for (j = 0; j < 7 - i; j++)
			ip[brk + j] = 0;
	}
	for (j = 0; j < 8; j++) {
		a[2 * j] = (unsigned char)(ip[j] >> 8);
		a[2 * j + 1] = (unsigned char)ip[j];
	}
	return !need4 || parse_ip4(s, a + 12);
}

/* ---- sorting (fmt_sort) ---- */

static void swap_bytes(char *x, char *y, size_t n)
{
	while (n--) {
		char t = *x;
		*x++ = *y;
		*y++ = t;
	}
}

/* Heapsort: no recursion, no allocation, n log n at worst; musl's qsort
 * (smoothsort) is 2 KB for the same. Not stable: callers whose equal
 * elements must keep their order compare a sequence number last. */
void fmt_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *b = base;
	size_t i = n / 2, end = n;

	while (end > 1) {
		if (i > 0) {
			i--;		/* building the heap */
		} else {
			end--;		/* the largest goes last */
			swap_bytes(b, b + end * size, size);
		}
		for (size_t r = i, c; (c = 2 * r + 1) < end; r = c) {
			if (c + 1 < end && cmp(b + c * size, b + (c + 1) * size) < 0)
				c++;
			if (cmp(b + r * size, b + c * size) >= 0)
				break;
			swap_bytes(b + r * size, b + c * size, size);
		}
	}
}

/* ---- decimal text to double (fmt_strtod) ---- */

/* A non-negative big integer in base 2^32, least significant word first.
 * fmt_strtod's range checks keep every number it makes under 3,900 bits
 * (10^(330+800) shifted by 63), so the size guards below never drop bits;
 * they only keep a broken caller inside the array. */
#define SBIG_WORDS 128
struct sbig {
	uint32_t w[SBIG_WORDS];
	int n;		/* words in use; 0 is zero */
};

static void sbig_mul_add(struct sbig *b, uint32_t m, uint32_t add)
{
	uint64_t carry = add;
	for (int i = 0; i < b->n; i++) {
		uint64_t t = (uint64_t)b->w[i] * m + carry;
		b->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry && b->n < SBIG_WORDS)
		b->w[b->n++] = (uint32_t)carry;
}

static void sbig_pow10(struct sbig *b, int e)
{
	for (; e >= 9; e -= 9)
		sbig_mul_add(b, 1000000000u, 0);
	static const uint32_t p10[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000 };
	if (e > 0)
		sbig_mul_add(b, p10[e], 0);
}

static void sbig_shl(struct sbig *b, int bits)
{
	int words = bits / 32, r = bits % 32;
	if (b->n == 0)
		return;
	if (b->n + words + 1 > SBIG_WORDS)
		return;
	if (r) {
		uint32_t carry = 0;
		for (int i = 0; i < b->n; i++) {
			uint32_t v = b->w[i];
			b->w[i] = v << r | carry;
			carry = v >> (32 - r);
		}
		if (carry)
			b->w[b->n++] = carry;
	}
	if (words) {
		memmove(b->w + words, b->w, (size_t)b->n * sizeof b->w[0]);
		memset(b->w, 0, (size_t)words * sizeof b->w[0]);
		b->n += words;
	}
}

static int sbig_bits(const struct sbig *b)
{
	if (b->n == 0)
		return 0;
	uint32_t top = b->w[b->n - 1];
	int k = 0;
	while (top) {
		k++;
		top >>= 1;
	}
	return (b->n - 1) * 32 + k;
}

static int sbig_cmp(const struct sbig *a, const struct sbig *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (int i = a->n; i-- > 0;)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

static void sbig_sub(struct sbig *a, const struct sbig *b)	/* a >= b */
{
	int64_t borrow = 0;
	for (int i = 0; i < a->n; i++) {
		int64_t t = (int64_t)a->w[i] - (i < b->n ? b->w[i] : 0) - borrow;
		borrow = t < 0;
		a->w[i] = (uint32_t)(t + (borrow ? (int64_t)1 << 32 : 0));
	}
	while (a->n && a->w[a->n - 1] == 0)
		a->n--;
}

/* Bit i of b. */
static int sbig_bit(const struct sbig *b, int i)
{
	return i / 32 < b->n ? (int)(b->w[i / 32] >> (i % 32) & 1) : 0;
}

/* m * 2^e (m < 2^64; `sticky`: nonzero bits below m were dropped), rounded
 * half to even into a double, subnormals and overflow to infinity
 * included. */
static double make_double(uint64_t m, int e, int sticky)
{
	if (m == 0)
		return 0.0;
	while (!(m >> 63)) {	/* m in [2^63, 2^64) */
		m <<= 1;
		e--;
	}
	int top = e + 63;	/* the exponent of m's top bit */
	int keep = top < -1022 ? 53 - (-1022 - top) : 53;	/* fewer bits for a subnormal */
	if (keep < 0)
		return 0.0;	/* below half the smallest subnormal */
	int drop = 64 - keep;	/* 11..64 */
	uint64_t mant = drop == 64 ? 0 : m >> drop;
	uint64_t rest = drop == 64 ? m : m & ((1ull << drop) - 1);
	uint64_t half = 1ull << (drop - 1);
	if (rest > half || (rest == half && (sticky || (mant & 1))))
		mant++;
	int exp2 = e + drop;	/* value = mant * 2^exp2 */
	if (mant == 1ull << 53) {
		mant >>= 1;
		exp2++;
	}
	uint64_t bits;
	if (mant >> 52) {	/* normal: mant * 2^exp2 = 1.f * 2^(exp2 + 52) */
		int be = exp2 + 1075;
		bits = be >= 2047 ? 0x7ffull << 52 : (uint64_t)be << 52 | (mant & ((1ull << 52) - 1));
	} else {
		bits = mant;	/* subnormal: mant * 2^-1074 */
	}
	double d;
	memcpy(&d, &bits, sizeof d);
	return d;
}

double fmt_strtod(const char *s, const char **end)
{
	enum { MAX_SIG = 800 };	/* digits kept; beyond, only whether any is not 0 */
	char dig[MAX_SIG];
	const char *p = s;
	int neg = 0, nd = 0, sig_int = 0, lead_frac = 0, any = 0, point = 0, sticky = 0;
	long dexp;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))	/* as strtod does */
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (;; p++) {
		if (*p == '.' && !point) {
			point = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		any = 1;
		if (*p == '0' && nd == 0 && !sticky) {
			if (point)
				lead_frac++;	/* 0.000ddd */
			continue;
		}
		if (!point)
			sig_int++;
		if (nd < MAX_SIG)
			dig[nd++] = *p;
		else if (*p != '0')
			sticky = 1;
	}
	if (!any) {
		if (end)
			*end = s;
		return 0.0;
	}
	/* value = 0.d1d2... * 10^(sig_int - lead_frac) = D * 10^dexp */
	long ex = 0;
	if (*p == 'e' || *p == 'E') {
		const char *q = p + 1;
		int eneg = 0;
		if (*q == '-' || *q == '+')
			eneg = *q++ == '-';
		if (*q >= '0' && *q <= '9') {
			for (; *q >= '0' && *q <= '9'; q++)
				if (ex < 100000)
					ex = ex * 10 + (*q - '0');
			if (eneg)
				ex = -ex;
			p = q;
		}
	}
	if (end)
		*end = p;
	while (nd > 0 && dig[nd - 1] == '0' && !sticky)
		nd--;
	dexp = (long)sig_int - lead_frac - nd + ex;
	double r;
	if (nd == 0) {
		r = 0.0;
	} else if (nd + dexp > 310) {
		r = 1e308 * 10;	/* infinity */
	} else if (nd + dexp < -330) {
		r = 0.0;
	} else if (nd <= 15 && dexp >= -22 && dexp <= 22) {
		/* exact integer, exact power of ten: one correctly rounded step */
		uint64_t v = 0;
		for (int i = 0; i < nd; i++)
			v = v * 10 + (uint64_t)(dig[i] - '0');
		/* 10^|dexp| by multiplying: every power up to 1e22 is a
		 * double exactly, so each product is exact too */
		double p10 = 1;
		for (long k = dexp < 0 ? -dexp : dexp; k > 0; k--)
			p10 *= 10;
		r = dexp >= 0 ? (double)v * p10 : (double)v / p10;
	} else {
		struct sbig d = { { 0 }, 0 };
		for (int i = 0; i < nd; i++) {
			if (d.n)
				sbig_mul_add(&d, 10, (uint32_t)(dig[i] - '0'));
			else if (dig[i] != '0') {
				d.w[0] = (uint32_t)(dig[i] - '0');
				d.n = 1;
			}
		}
		uint64_t m = 0;
		int e2, st = sticky;
		if (dexp >= 0) {
			sbig_pow10(&d, (int)dexp);
			int bits = sbig_bits(&d), lo = bits > 64 ? bits - 64 : 0;
			for (int i = bits - 1; i >= lo; i--)
				m = m << 1 | (uint64_t)sbig_bit(&d, i);
			for (int i = 0; i < lo && !st; i++)
				st = sbig_bit(&d, i);
			e2 = lo;
		} else {
			/* q = floor(D * 2^k / 10^-dexp), 64 bits at most, the
			 * remainder a sticky bit */
			struct sbig v = { { 1 }, 1 }, t;
			sbig_pow10(&v, (int)-dexp);
			int k = sbig_bits(&v) - sbig_bits(&d) + 63;
			if (k >= 0)
				sbig_shl(&d, k);
			else
				sbig_shl(&v, -k);	/* D much longer than 10^-dexp */
			for (int i = sbig_bits(&d) - sbig_bits(&v); i >= 0; i--) {
				t = v;
				sbig_shl(&t, i);
				int bit = sbig_cmp(&d, &t) >= 0;
				if (bit)
					sbig_sub(&d, &t);
				m = m << 1 | (uint64_t)bit;
			}
			e2 = -k;
			st = st || d.n != 0;
		}
		r = make_double(m, e2, st);
	}
	return neg ? -r : r;
}

const char *fmt_find(const char *h, size_t n, const char *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(h + i, needle, m) == 0)
			return h + i;
	return NULL;
}
