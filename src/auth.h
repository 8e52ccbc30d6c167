/*
 * auth.h - client keys: generating them, hashing them, checking a
 * presented key in constant time, and finding the key in request headers.
 *
 * A client key is AUTH_KEY_PREFIX followed by 43 base64url characters (32
 * random bytes from the kernel, see port_random). The config keeps only
 * the SHA-256 of each key, so a presented key is hashed and the digests
 * are compared without an early exit.
 *
 * Memory: nothing is allocated; auth_extract_key() returns a span inside
 * the caller's header array. Blocking: only auth_keygen() can, and only
 * very early in boot (getrandom before the kernel pool is seeded); it is
 * for the command line, not the request path. No function here logs, and
 * none copies a key anywhere but into the caller's buffers; stack copies
 * of secrets are wiped.
 */
#ifndef LLMGW_AUTH_H
#define LLMGW_AUTH_H

#include <stddef.h>

struct http_header;

#define AUTH_KEY_PREFIX "llmgw-"
#define AUTH_KEY_LEN 49		/* strlen(AUTH_KEY_PREFIX) + 43, without the NUL */

/* Writes a new NUL-terminated client key into out. Returns 0, or -1 when
 * outlen < AUTH_KEY_LEN + 1 or the kernel gave no random bytes (out is
 * then the empty string when outlen > 0). */
int auth_keygen(char *out, size_t outlen);

/* Lowercase hex SHA-256 of key[0..len), NUL-terminated in out. */
void auth_sha256_hex(const char *key, size_t len, char out[65]);

/* 1 when SHA-256(key[0..len)) equals want_sha256, else 0. The digest
 * comparison looks at all 32 bytes whatever they hold. */
int auth_key_matches(const unsigned char want_sha256[32], const char *key, size_t len);

/* Finds the client key in headers h[0..n), looked up case-insensitively,
 * first header of each name, in this order:
 *   Authorization: Bearer <key>   (scheme case-insensitive, then SP/HTAB)
 *   x-api-key: <key>              (Anthropic clients)
 *   x-goog-api-key: <key>         (Gemini clients)
 * A header whose value is not usable (another scheme such as Basic, a
 * missing or empty key, or a key containing blanks or control bytes) is
 * skipped and the next style is tried. Returns 1 with *key and *len pointing
 * into the header value, or 0 with *key = NULL and *len = 0. */
int auth_extract_key(const struct http_header *h, size_t n, const char **key, size_t *len);

/* Decodes hex[0..len) (either case) into out. Returns the byte count
 * (len / 2), or -1 for an odd length, a non-hex character, or more than
 * outlen bytes (out may then hold part of the result). */
int auth_hex_decode(const char *hex, size_t len, unsigned char *out, size_t outlen);

#endif
