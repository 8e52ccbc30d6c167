/*
 * der.h - a small ASN.1 DER writer for the certificates llmgw makes
 * (certgen.c): TLVs appended to a caller-owned fixed buffer, constructed
 * types closed after their content is written (the content is moved up
 * to make room for its header, so every length is exact and minimal).
 *
 * On overflow the writer sets ->overflow and drops the rest; the caller
 * checks once at the end. Nothing allocates, blocks or keeps state.
 */
#ifndef LLMGW_DER_H
#define LLMGW_DER_H

#include <stddef.h>
#include <stdint.h>

enum der_tag {
	DER_BOOLEAN = 0x01,
	DER_INTEGER = 0x02,
	DER_BIT_STRING = 0x03,
	DER_OCTET_STRING = 0x04,
	DER_OID = 0x06,
	DER_UTF8_STRING = 0x0c,
	DER_IA5_STRING = 0x16,
	DER_UTC_TIME = 0x17,
	DER_GENERALIZED_TIME = 0x18,
	DER_SEQUENCE = 0x30,
	DER_SET = 0x31,
};
/* Context-specific tags: [n] constructed (EXPLICIT wrappers) and [n]
 * primitive (IMPLICIT strings such as a subjectAltName's dNSName). */
#define DER_CONTEXT(n) (0xa0 | (n))
#define DER_CONTEXT_PRIM(n) (0x80 | (n))

struct der {
	unsigned char *buf;
	size_t cap, len;
	int overflow;
};
void der_init(struct der *d, unsigned char *buf, size_t cap);
/* Starts a constructed value: returns the mark to pass to der_close. */
size_t der_open(const struct der *d);
/* Ends the value begun at mark: everything written since becomes its
 * content, under tag. */
void der_close(struct der *d, size_t mark, unsigned tag);
/* A primitive value: tag, length, p[0..n). */
void der_prim(struct der *d, unsigned tag, const void *p, size_t n);
/* Bytes already DER-encoded, verbatim. */
void der_raw(struct der *d, const void *p, size_t n);
/* An OBJECT IDENTIFIER from its dotted text ("1.2.840.10045.4.3.2");
 * a malformed one sets overflow (a programming error, refused). */
void der_oid(struct der *d, const char *dotted);
/* An INTEGER from an unsigned big-endian magnitude (leading zeros
 * dropped, a zero byte added when the top bit is set). */
void der_uint(struct der *d, const unsigned char *be, size_t n);
void der_small_int(struct der *d, unsigned v);
/* A BIT STRING holding whole bytes (no unused bits). */
void der_bits(struct der *d, const void *p, size_t n);
/* A time as X.509 wants it (RFC 5280 4.1.2.5): UTCTime before 2050,
 * GeneralizedTime from 2050 on. unix_s must be within years 1950..9999. */
void der_time(struct der *d, int64_t unix_s);

#endif
