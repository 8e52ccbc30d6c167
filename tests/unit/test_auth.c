/*
 * test_auth.c - unit tests for auth.c (client keys) and port_random.
 */
#include "test.h"
#include "auth.h"
#include "http.h"
#include "port.h"

#include <stdint.h>

static const char b64url_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(random_bytes)
{
	unsigned char a[4096], b[4096];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	REQUIRE(port_random(a, sizeof(a)) == 0);
	REQUIRE(port_random(b, sizeof(b)) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	/* 4096 bytes all zero or all equal would be a broken source. */
	int zeros = 0;
	for (size_t i = 0; i < sizeof(a); i++)
		zeros += a[i] == 0;
	CHECK(zeros < 100);
	CHECK(port_random(a, 0) == 0);
}

TEST(keygen_format)
{
	char k[AUTH_KEY_LEN + 1];
	REQUIRE(auth_keygen(k, sizeof(k)) == 0);
	CHECK_EQ_INT(strlen(k), AUTH_KEY_LEN);
	CHECK_EQ_INT(strlen(k), 49);
	CHECK(strncmp(k, "llmgw-", 6) == 0);
	for (size_t i = 6; i < AUTH_KEY_LEN; i++)
		CHECK(k[i] && strchr(b64url_chars, k[i]) != NULL);
	/* 256 bits in 43 characters: the last one carries 4 bits and two zero
	 * bits, so its alphabet index is a multiple of 4. */
	const char *last = strchr(b64url_chars, k[AUTH_KEY_LEN - 1]);
	REQUIRE(last != NULL);
	CHECK((last - b64url_chars) % 4 == 0);
}

TEST(keygen_buffer_size)
{
	char k[64];
	memset(k, 'x', sizeof(k));
	CHECK_EQ_INT(auth_keygen(k, AUTH_KEY_LEN), -1);
	CHECK_EQ_INT(k[0], '\0');
	CHECK_EQ_INT(auth_keygen(k, 0), -1);
	CHECK_EQ_INT(auth_keygen(NULL, 64), -1);
	memset(k, 'x', sizeof(k));
	CHECK_EQ_INT(auth_keygen(k, AUTH_KEY_LEN + 1), 0);
	CHECK_EQ_INT(strlen(k), AUTH_KEY_LEN);
}

TEST(keygen_unique)
{
	static char keys[200][AUTH_KEY_LEN + 1];
	for (int i = 0; i < 200; i++)
		REQUIRE(auth_keygen(keys[i], sizeof(keys[i])) == 0);
	int dup = 0;
	for (int i = 0; i < 200; i++)
		for (int j = i + 1; j < 200; j++)
			dup += strcmp(keys[i], keys[j]) == 0;
	CHECK_EQ_INT(dup, 0);
	/* Every base64url character shows up somewhere in 200 * 43 draws. */
	int seen[256] = { 0 };
	for (int i = 0; i < 200; i++)
		for (int j = 6; j < AUTH_KEY_LEN - 1; j++)
			seen[(unsigned char)keys[i][j]] = 1;
	int distinct = 0;
	for (int c = 0; c < 256; c++)
		distinct += seen[c];
	CHECK_EQ_INT(distinct, 64);
}

TEST(sha256_vectors)
{
	char hex[65];
	auth_sha256_hex("abc", 3, hex);
	CHECK_EQ_STR(hex, strlen(hex), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	auth_sha256_hex("", 0, hex);
	CHECK_EQ_STR(hex, strlen(hex), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	auth_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	CHECK_EQ_STR(hex, strlen(hex), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* Only len bytes are hashed. */
	auth_sha256_hex("abcdef", 3, hex);
	CHECK_EQ_STR(hex, strlen(hex), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(key_matching)
{
	char key[AUTH_KEY_LEN + 1], hex[65];
	unsigned char want[32];
	REQUIRE(auth_keygen(key, sizeof(key)) == 0);
	auth_sha256_hex(key, strlen(key), hex);
	REQUIRE(auth_hex_decode(hex, 64, want, sizeof(want)) == 32);
	CHECK_EQ_INT(auth_key_matches(want, key, strlen(key)), 1);
	/* One character different, at either end. */
	char other[AUTH_KEY_LEN + 1];
	memcpy(other, key, sizeof(key));
	other[AUTH_KEY_LEN - 1] = other[AUTH_KEY_LEN - 1] == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(auth_key_matches(want, other, strlen(other)), 0);
	memcpy(other, key, sizeof(key));
	other[0] = 'L';
	CHECK_EQ_INT(auth_key_matches(want, other, strlen(other)), 0);
	/* Different lengths: a prefix, and the key with a byte appended. */
	CHECK_EQ_INT(auth_key_matches(want, key, strlen(key) - 1), 0);
	char longer[AUTH_KEY_LEN + 2];
	memcpy(longer, key, AUTH_KEY_LEN);
	longer[AUTH_KEY_LEN] = 'x';
	CHECK_EQ_INT(auth_key_matches(want, longer, AUTH_KEY_LEN + 1), 0);
	CHECK_EQ_INT(auth_key_matches(want, "", 0), 0);
	/* A digest that differs only in its last byte does not match. */
	want[31] ^= 1;
	CHECK_EQ_INT(auth_key_matches(want, key, strlen(key)), 0);
	want[31] ^= 1;
	want[0] ^= 0x80;
	CHECK_EQ_INT(auth_key_matches(want, key, strlen(key)), 0);
	/* The known vector. */
	REQUIRE(auth_hex_decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 64,
				want, sizeof(want)) == 32);
	CHECK_EQ_INT(auth_key_matches(want, "abc", 3), 1);
	CHECK_EQ_INT(auth_key_matches(want, "abd", 3), 0);
}

static struct http_header hdr(const char *name, const char *value)
{
	struct http_header h = { name, strlen(name), value, strlen(value) };
	return h;
}

/* Runs auth_extract_key on the given headers and checks the result. */
static int extract_is(const struct http_header *h, size_t n, const char *want)
{
	const char *k = (const char *)1;
	size_t len = 99;
	int r = auth_extract_key(h, n, &k, &len);
	if (!want)
		return r == 0 && k == NULL && len == 0;
	if (r != 1 || len != strlen(want) || memcmp(k, want, len) != 0) {
		fprintf(stderr, "  got %d \"%.*s\", want \"%s\"\n", r, r ? (int)len : 0, r ? k : "", want);
		return 0;
	}
	return 1;
}

TEST(extract_header_styles)
{
	struct http_header h[4] = { { 0 } };
	h[0] = hdr("Host", "x");
	h[1] = hdr("Authorization", "Bearer llmgw-abc");
	CHECK(extract_is(h, 2, "llmgw-abc"));
	h[1] = hdr("authorization", "bearer k1");
	CHECK(extract_is(h, 2, "k1"));
	h[1] = hdr("AUTHORIZATION", "BEARER  k2");
	CHECK(extract_is(h, 2, "k2"));
	h[1] = hdr("Authorization", "Bearer\tk3 ");
	CHECK(extract_is(h, 2, "k3"));
	h[1] = hdr("x-api-key", "sk-ant-1");
	CHECK(extract_is(h, 2, "sk-ant-1"));
	h[1] = hdr("X-Api-Key", "k4");
	CHECK(extract_is(h, 2, "k4"));
	h[1] = hdr("x-goog-api-key", "AIza5");
	CHECK(extract_is(h, 2, "AIza5"));
	h[1] = hdr("X-Goog-Api-Key", "k6");
	CHECK(extract_is(h, 2, "k6"));
	/* The key points into the header value, not a copy. */
	const char *k;
	size_t len;
	h[1] = hdr("Authorization", "Bearer zz");
	REQUIRE(auth_extract_key(h, 2, &k, &len) == 1);
	CHECK(k == h[1].value + 7 && len == 2);
}

TEST(extract_malformed)
{
	struct http_header h[4] = { { 0 } };
	static const char *bad[] = {
		"Bearer", "Bearer ", "Bearer  \t ", "Basic xyz", "Basic dXNlcjpwYXNz", "Bearerxyz",
		"Bearer a b", "Bearer a\x01", "Bearer \xc3\xa9", "", "Token abc", "Bear abc",
	};
	CHECK(extract_is(h, 0, NULL));
	h[0] = hdr("Host", "x");
	CHECK(extract_is(h, 1, NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h[1] = hdr("Authorization", bad[i]);
		if (!extract_is(h, 2, NULL))
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
		CHECK(extract_is(h, 2, NULL));
	}
	h[1] = hdr("x-api-key", "");
	CHECK(extract_is(h, 2, NULL));
	h[1] = hdr("x-api-key", "  ");
	CHECK(extract_is(h, 2, NULL));
	h[1] = hdr("x-goog-api-key", "a b");
	CHECK(extract_is(h, 2, NULL));
	/* Names must match whole. */
	h[1] = hdr("x-api-key2", "k");
	CHECK(extract_is(h, 2, NULL));
	h[1] = hdr("x-api-ke", "k");
	CHECK(extract_is(h, 2, NULL));
	h[1] = hdr("Authorization2", "Bearer k");
	CHECK(extract_is(h, 2, NULL));
}

TEST(extract_precedence)
{
	struct http_header h[4] = { { 0 } };
	h[0] = hdr("x-goog-api-key", "g");
	h[1] = hdr("x-api-key", "a");
	h[2] = hdr("Authorization", "Bearer b");
	CHECK(extract_is(h, 3, "b"));
	CHECK(extract_is(h, 2, "a"));
	CHECK(extract_is(h, 1, "g"));
	/* An unusable Authorization falls through to the other styles. */
	h[2] = hdr("Authorization", "Basic xyz");
	CHECK(extract_is(h, 3, "a"));
	h[1] = hdr("x-api-key", "");
	CHECK(extract_is(h, 3, "g"));
	/* First header of a name counts. */
	h[0] = hdr("x-api-key", "first");
	h[1] = hdr("x-api-key", "second");
	CHECK(extract_is(h, 2, "first"));
}

TEST(hex_decode)
{
	unsigned char out[8];
	memset(out, 0xee, sizeof(out));
	CHECK_EQ_INT(auth_hex_decode("00ff10Ab", 8, out, sizeof(out)), 4);
	CHECK(out[0] == 0x00 && out[1] == 0xff && out[2] == 0x10 && out[3] == 0xab && out[4] == 0xee);
	CHECK_EQ_INT(auth_hex_decode("", 0, out, sizeof(out)), 0);
	CHECK_EQ_INT(auth_hex_decode("abc", 3, out, sizeof(out)), -1);
	CHECK_EQ_INT(auth_hex_decode("zz", 2, out, sizeof(out)), -1);
	CHECK_EQ_INT(auth_hex_decode("0g", 2, out, sizeof(out)), -1);
	CHECK_EQ_INT(auth_hex_decode("g0", 2, out, sizeof(out)), -1);
	CHECK_EQ_INT(auth_hex_decode(" 0", 2, out, sizeof(out)), -1);
	CHECK_EQ_INT(auth_hex_decode("000102", 6, out, 2), -1);
	CHECK_EQ_INT(auth_hex_decode("000102", 6, out, 3), 3);
	/* Only len characters are read. */
	CHECK_EQ_INT(auth_hex_decode("0a0bXX", 4, out, sizeof(out)), 2);
	CHECK(out[0] == 0x0a && out[1] == 0x0b);
}

int main(void)
{
	test_suite = "auth";
	RUN(random_bytes);
	RUN(keygen_format);
	RUN(keygen_buffer_size);
	RUN(keygen_unique);
	RUN(sha256_vectors);
	RUN(key_matching);
	RUN(extract_header_styles);
	RUN(extract_malformed);
	RUN(extract_precedence);
	RUN(hex_decode);
	return test_summary();
}
