/*
 * der.c - see der.h.
 */
#include <string.h>
#include "der.h"
#include "fmt.h"
#include "util.h"

void der_init(struct der *d, unsigned char *buf, size_t cap)
{
	d->buf = buf;
	d->cap = cap;
	d->len = 0;
	d->overflow = 0;
}

size_t der_open(const struct der *d)
{
	return d->len;
}

/* The header of a value: tag and minimal length, into h; its size. */
static size_t header(unsigned char h[6], unsigned tag, size_t n)
{
	size_t k = 0;
	h[k++] = (unsigned char)tag;
	if (n < 0x80) {
		h[k++] = (unsigned char)n;
		return k;
	}
	unsigned nb = 0;
	for (size_t v = n; v; v >>= 8)
		nb++;
	h[k++] = (unsigned char)(0x80 | nb);
	while (nb--)
		h[k++] = (unsigned char)(n >> (8 * nb));
	return k;
}

void der_close(struct der *d, size_t mark, unsigned tag)
{
	if (d->overflow)
		return;
	unsigned char h[6];
	size_t n = d->len - mark, hl = header(h, tag, n);
	if (hl > d->cap - d->len) {
		d->overflow = 1;
		return;
	}
	memmove(d->buf + mark + hl, d->buf + mark, n);
	memcpy(d->buf + mark, h, hl);
	d->len += hl;
}

void der_raw(struct der *d, const void *p, size_t n)
{
	if (d->overflow)
		return;
	if (n > d->cap - d->len) {
		d->overflow = 1;
		return;
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
}

void der_prim(struct der *d, unsigned tag, const void *p, size_t n)
{
	size_t mark = der_open(d);
	der_raw(d, p, n);
	der_close(d, mark, tag);
}

/* One arc in base 128, high groups first, continuation bit on all but the
 * last. */
static void arc(struct der *d, uint32_t v)
{
	unsigned char b[5];
	int k = 5;
	b[--k] = (unsigned char)(v & 0x7f);
	while (v >>= 7)
		b[--k] = (unsigned char)(0x80 | (v & 0x7f));
	der_raw(d, b + k, (size_t)(5 - k));
}

void der_oid(struct der *d, const char *dotted)
{
	uint32_t arcs[16];
	unsigned n = 0;
	const char *p = dotted;
	for (;;) {
		uint64_t v = 0;
		if (*p < '0' || *p > '9' || n == 16)
			goto bad;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (uint64_t)(*p++ - '0');
			if (v > UINT32_MAX)
				goto bad;
		}
		arcs[n++] = (uint32_t)v;
		if (!*p)
			break;
		if (*p++ != '.')
			goto bad;
	}
	if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
		goto bad;
	size_t mark = der_open(d);
	arc(d, arcs[0] * 40 + arcs[1]);
	for (unsigned i = 2; i < n; i++)
		arc(d, arcs[i]);
	der_close(d, mark, DER_OID);
	return;
bad:
	d->overflow = 1;
}

void der_uint(struct der *d, const unsigned char *be, size_t n)
{
	while (n > 1 && be[0] == 0) {
		be++;
		n--;
	}
	size_t mark = der_open(d);
	if (n == 0 || be[0] & 0x80)
		der_raw(d, "", 1);	/* the NUL: a zero byte keeps it positive */
	der_raw(d, be, n);
	der_close(d, mark, DER_INTEGER);
}

void der_small_int(struct der *d, unsigned v)
{
	unsigned char be[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
				(unsigned char)v };
	der_uint(d, be, sizeof be);
}

void der_bits(struct der *d, const void *p, size_t n)
{
	size_t mark = der_open(d);
	der_raw(d, "", 1);	/* no unused bits */
	der_raw(d, p, n);
	der_close(d, mark, DER_BIT_STRING);
}

void der_time(struct der *d, int64_t unix_s)
{
	int64_t y;
	unsigned mo, day;
	int64_t days = floor_div(unix_s, 86400), s = unix_s - days * 86400;
	civil_from_days(days, &y, &mo, &day);
	if (y < 1950 || y > 9999) {
		d->overflow = 1;
		return;
	}
	char t[20];
	unsigned h = (unsigned)(s / 3600), mi = (unsigned)(s / 60 % 60), sec = (unsigned)(s % 60);
	int n;
	if (y < 2050)
		n = fmt_snprintf(t, sizeof t, "%02u%02u%02u%02u%02u%02uZ", (unsigned)(y % 100), mo, day, h, mi, sec);
	else
		n = fmt_snprintf(t, sizeof t, "%04u%02u%02u%02u%02u%02uZ", (unsigned)y, mo, day, h, mi, sec);
	der_prim(d, y < 2050 ? DER_UTC_TIME : DER_GENERALIZED_TIME, t, (size_t)n);
}
