/*
 * auth.c - client key generation, hashing and checking, and extraction of
 * the presented key from request headers (see auth.h).
 *
 * Only SHA-256 comes from BearSSL (the hash header, not the TLS API that
 * tls.c owns). The header lookup is done here rather than through http.c
 * so this module depends on http.h's struct only. Nothing allocates; only
 * auth_keygen() may block, at early boot (port_random).
 */
#include "auth.h"
#include "http.h"
#include "port.h"
#include "util.h"

#include <string.h>

/* Debian installs BearSSL's headers under bearssl/; a source build puts
 * its inc/ directory on the include path instead. */
#if defined(__has_include)
#if __has_include(<bearssl_hash.h>)
#include <bearssl_hash.h>
#else
#include <bearssl/bearssl_hash.h>
#endif
#else
#include <bearssl_hash.h>
#endif

#define KEY_RANDOM_BYTES 32

/* Stores through a volatile pointer so the compiler cannot drop the
 * clearing of a buffer that is dead afterwards. */
static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

static void sha256(const char *key, size_t len, unsigned char out[32])
{
	br_sha256_context c;

	br_sha256_init(&c);
	br_sha256_update(&c, key, len);
	br_sha256_out(&c, out);
	wipe(&c, sizeof(c));
}

/* base64url without padding; out needs 4 * ceil(n / 3) bytes at most and
 * gets no NUL. Returns the characters written. */
static size_t b64url(const unsigned char *in, size_t n, char *out)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	unsigned long v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		out[o++] = al[v >> 6 & 63];
		out[o++] = al[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)in[i] << 16;
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		out[o++] = al[v >> 6 & 63];
	}
	return o;
}

int auth_keygen(char *out, size_t outlen)
{
	unsigned char rnd[KEY_RANDOM_BYTES];
	size_t plen = sizeof(AUTH_KEY_PREFIX) - 1, n;

	if (out && outlen > 0)
		out[0] = '\0';
	if (!out || outlen < AUTH_KEY_LEN + 1)
		return -1;
	if (port_random(rnd, sizeof(rnd)) != 0) {
		wipe(rnd, sizeof(rnd));
		return -1;
	}
	memcpy(out, AUTH_KEY_PREFIX, plen);
	n = b64url(rnd, sizeof(rnd), out + plen);
	out[plen + n] = '\0';
	wipe(rnd, sizeof(rnd));
	return 0;
}

void auth_sha256_hex(const char *key, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[32];
	size_t i;

	sha256(key, len, d);
	for (i = 0; i < sizeof(d); i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
	wipe(d, sizeof(d));
}

int auth_key_matches(const unsigned char want_sha256[32], const char *key, size_t len)
{
	unsigned char d[32];
	unsigned diff = 0;
	size_t i;

	sha256(key, len, d);
	/* Accumulate every byte's difference; no branch depends on the data. */
	for (i = 0; i < sizeof(d); i++)
		diff |= (unsigned)(d[i] ^ want_sha256[i]);
	wipe(d, sizeof(d));
	return (int)(1 & ((diff - 1) >> 8));
}

static int ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || ascii_lower((unsigned char)s[i]) != ascii_lower((unsigned char)lit[i]))
			return 0;
	return lit[n] == '\0';
}

static const struct http_header *find(const struct http_header *h, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ieq(h[i].name, h[i].name_len, name))
			return &h[i];
	return NULL;
}

static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks around v[0..n) and accepts the rest as a key when it is
 * non-empty and made of visible ASCII only. */
static int take_key(const char *v, size_t n, const char **key, size_t *len)
{
	size_t i;

	while (n > 0 && is_blank((unsigned char)v[0])) {
		v++;
		n--;
	}
	while (n > 0 && is_blank((unsigned char)v[n - 1]))
		n--;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return 0;
	*key = v;
	*len = n;
	return 1;
}

int auth_extract_key(const struct http_header *h, size_t n, const char **key, size_t *len)
{
	static const char *const plain[] = { "x-api-key", "x-goog-api-key" };
	const struct http_header *a;
	size_t i;

	*key = NULL;
	*len = 0;
	a = find(h, n, "authorization");
	if (a && a->value_len > 6 && ieq(a->value, 6, "bearer") &&
	    is_blank((unsigned char)a->value[6]) &&
	    take_key(a->value + 7, a->value_len - 7, key, len))
		return 1;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		a = find(h, n, plain[i]);
		if (a && take_key(a->value, a->value_len, key, len))
			return 1;
	}
	return 0;
}


int auth_hex_decode(const char *hex, size_t len, unsigned char *out, size_t outlen)
{
	size_t i;
	int hi, lo;

	if (len % 2 != 0 || len / 2 > outlen || len / 2 > (size_t)0x7fffffff)
		return -1;
	for (i = 0; i < len / 2; i++) {
		hi = hex_digit((unsigned char)hex[2 * i]);
		lo = hex_digit((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(len / 2);
}
