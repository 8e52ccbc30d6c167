/*
 * test_der.c - the DER writer (der.h): exact encodings from X.690 and
 * RFC 5280, long lengths, the UTCTime/GeneralizedTime switch, overflow.
 */
#include "der.h"
#include "test.h"

#define CHECK_BYTES(d, lit) CHECK_EQ_STR((const char *)(d).buf, (d).len, lit)

TEST(oids)
{
	unsigned char b[64];
	struct der d;
	der_init(&d, b, sizeof b);
	der_oid(&d, "1.2.840.10045.4.3.2");
	CHECK_BYTES(d, "\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02");
	der_init(&d, b, sizeof b);
	der_oid(&d, "2.5.29.17");
	CHECK_BYTES(d, "\x06\x03\x55\x1d\x11");
	der_init(&d, b, sizeof b);
	der_oid(&d, "1.3.6.1.5.5.7.3.1");
	CHECK_BYTES(d, "\x06\x08\x2b\x06\x01\x05\x05\x07\x03\x01");
	const char *bad[] = { "", "1", "1.", ".1.2", "1..2", "3.1", "1.40", "1.2.x", "1.2.99999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		der_init(&d, b, sizeof b);
		der_oid(&d, bad[i]);
		CHECK(d.overflow);
	}
}

TEST(integers)
{
	unsigned char b[64];
	struct der d;
	der_init(&d, b, sizeof b);
	der_small_int(&d, 2);
	CHECK_EQ_INT(d.len, 3);
	CHECK(memcmp(b, "\x02\x01\x02", 3) == 0);
	der_init(&d, b, sizeof b);
	der_small_int(&d, 0);
	CHECK_EQ_INT(d.len, 3);
	CHECK(memcmp(b, "\x02\x01\x00", 3) == 0);
	der_init(&d, b, sizeof b);
	der_small_int(&d, 128);	/* top bit set: a zero byte keeps it positive */
	CHECK_EQ_INT(d.len, 4);
	CHECK(memcmp(b, "\x02\x02\x00\x80", 4) == 0);
	der_init(&d, b, sizeof b);
	der_uint(&d, (const unsigned char *)"\x00\x00\x01\x00", 4);
	CHECK_EQ_INT(d.len, 4);
	CHECK(memcmp(b, "\x02\x02\x01\x00", 4) == 0);
}

TEST(nesting_and_long_lengths)
{
	unsigned char b[1024], payload[300];
	memset(payload, 0xab, sizeof payload);
	struct der d;
	der_init(&d, b, sizeof b);
	size_t outer = der_open(&d), inner = der_open(&d);
	der_prim(&d, DER_OCTET_STRING, payload, 127);
	der_close(&d, inner, DER_SEQUENCE);
	der_prim(&d, DER_OCTET_STRING, payload, 300);
	der_close(&d, outer, DER_SEQUENCE);
	REQUIRE(!d.overflow);
	/* outer: 30 82 01 b4 (436) | inner: 30 81 81 | 04 7f ... | 04 82 01 2c ... */
	CHECK(memcmp(b, "\x30\x82\x01\xb4\x30\x81\x81\x04\x7f", 9) == 0);
	CHECK(memcmp(b + 9 + 127, "\x04\x82\x01\x2c", 4) == 0);
	CHECK_EQ_INT(d.len, 4 + 3 + 2 + 127 + 4 + 300);
	der_init(&d, b, sizeof b);
	der_prim(&d, DER_SEQUENCE, "", 0);
	CHECK_EQ_INT(d.len, 2);
	CHECK(memcmp(b, "\x30\x00", 2) == 0);
}

TEST(times)
{
	unsigned char b[64];
	struct der d;
	der_init(&d, b, sizeof b);
	der_time(&d, 1796601600);	/* 2026-12-07 00:00:00 */
	CHECK_BYTES(d, "\x17\x0d" "261207000000Z");
	der_init(&d, b, sizeof b);
	der_time(&d, 2524607999);	/* 2049-12-31 23:59:59: still UTCTime */
	CHECK_BYTES(d, "\x17\x0d" "491231235959Z");
	der_init(&d, b, sizeof b);
	der_time(&d, 2524608000);	/* 2050-01-01: GeneralizedTime */
	CHECK_BYTES(d, "\x18\x0f" "20500101000000Z");
	der_init(&d, b, sizeof b);
	der_time(&d, -700000000);	/* 1947: not expressible */
	CHECK(d.overflow);
}

TEST(overflow_is_sticky)
{
	unsigned char b[8];
	struct der d;
	der_init(&d, b, sizeof b);
	size_t m = der_open(&d);
	der_prim(&d, DER_OCTET_STRING, "0123456789", 10);
	der_close(&d, m, DER_SEQUENCE);
	CHECK(d.overflow);
	CHECK(d.len <= sizeof b);
	der_init(&d, b, sizeof b);
	m = der_open(&d);
	der_prim(&d, DER_OCTET_STRING, "012345", 6);	/* fits: 8 bytes */
	CHECK(!d.overflow);
	der_close(&d, m, DER_SEQUENCE);	/* its header does not */
	CHECK(d.overflow);
}

int main(void)
{
	test_suite = "der";
	RUN(oids);
	RUN(integers);
	RUN(nesting_and_long_lengths);
	RUN(times);
	RUN(overflow_is_sticky);
	return test_summary();
}
