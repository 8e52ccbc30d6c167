/*
 * tls_int.h - what tls.c (engine pump, trust anchors, client side) and
 * tls_server.c (server side: llmgw's TLS listener and tools/mockprov) share. Not a public
 * header: only those two files include it, and only when LLMGW_TLS is on
 * (it includes bearssl.h).
 *
 * The split is about size: a build without the TLS listener
 * (LLMGW_TLS_LISTEN=0) calls only tls.c, so a static link never pulls in
 * tls_server.o and with it BearSSL's server handshake, session cache,
 * private-key decoder and signing code. Hence tls.c never names a symbol
 * of tls_server.c; the two things it must reach there (freeing the server
 * side in tls_free(), a server connection's end in tls_close()) go through
 * hooks that the server side's init sets.
 */
#ifndef LLMGW_TLS_INT_H
#define LLMGW_TLS_INT_H

#include "tls.h"

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_IBUF_LEN	BR_SSL_BUFSIZE_INPUT
#define TLS_OBUF_LEN	(4096 + 85)
#define TLS_IOBUF_LEN	((size_t)TLS_IBUF_LEN + TLS_OBUF_LEN)	/* per context */
#define TLS_NAME_MAX	255		/* BearSSL keeps server_name[256] */
#define TLS_MSG_LEN	160		/* tls_error() text, the clock one is the longest */

struct tls_creds;

struct tls {
	br_ssl_engine_context *eng;
	unsigned char *iobuf;		/* its record buffers, TLS_IOBUF_LEN bytes */
	unsigned char in_use, server, hs_done, resumed;
	unsigned char ready;		/* engine set up (done on first use, then kept) */
	unsigned char closed_clean;	/* close_notify seen: reads return 0 */
	unsigned char shutdown;		/* tls_shutdown() started our close_notify */
	unsigned char offered_len;	/* client: session id offered, 0 if none */
	unsigned char offered_id[32];
	int err;			/* BearSSL error or TLS_E_*; 0 while fine */
	int fail_errno;			/* sticky errno once failed, else 0 */
	char msg[TLS_MSG_LEN];		/* tls_error() text */
	union {
		struct {
			br_ssl_client_context cc;
			br_x509_minimal_context xc;
			/* Our X.509 wrapper around xc (LLMGW_TLS_RSA=0):
			 * BearSSL passes &xw back. */
			const br_x509_class *xw;
			unsigned char rsa_refused;	/* xw saw an RSA key */
			char name[TLS_NAME_MAX + 1];
		} c;
		struct {
			br_ssl_server_context sc;
			/* Our cache wrapper: BearSSL passes &cache_vt back. */
			const br_ssl_session_cache_class *cache_vt;
			unsigned char hit;
			unsigned char hit_id[32];
			struct tls_creds *creds;	/* a reference, or NULL (mockprov's own) */
		} s;
	} u;
};

/* Set by the server side's init: called (then cleared) by tls_free(), and
 * by tls_close() for each server connection. */
extern void (*tls_int_server_free)(void);
extern void (*tls_int_server_close)(struct tls *t);

/* Whether tls_init() has run (and tls_free() not since). */
int tls_int_inited(void);
/* Clears memory that held secrets in a way the compiler cannot drop. */
void tls_int_wipe(void *p, size_t n);
/* Reads a whole regular file (at most 16 MB) into memory it allocates. */
int tls_int_read_file(const char *path, unsigned char **out, size_t *outlen,
	char *err, size_t errlen);
typedef int (*tls_pem_cb)(void *ctx, const char *name, const unsigned char *der, size_t len);
/* Calls cb for each well-formed PEM object with its DER (see tls.c). */
int tls_int_pem_each(const unsigned char *pem, size_t len, unsigned char *scratch,
	size_t cap, tls_pem_cb cb, void *ctx);
int tls_int_is_cert_name(const char *name);
/* Copies n bytes to *dst, advances *dst, returns where they went. */
unsigned char *tls_int_copy_out(unsigned char **dst, const void *src, size_t n);
/* What every engine gets: TLS 1.2 only, these suites, no renegotiation,
 * the record buffers (TLS_IBUF_LEN then TLS_OBUF_LEN at buf). */
/* The cipher suites in order (tls.c): AEAD first, then CBC/SHA-2. */
#define TLS_INT_AEAD_SUITES 6
#define TLS_INT_ALL_SUITES 10
extern const uint16_t tls_int_suites[TLS_INT_ALL_SUITES];
void tls_int_engine_common(br_ssl_engine_context *eng, const uint16_t *suites, size_t nsuites,
	unsigned char *buf);
/* Hashes, PRFs, curves, AES-GCM and ChaCha20-Poly1305 of either side's
 * engine; returns the curve code set (for ECDSA signing). */
const br_ec_impl *tls_int_engine_aead(br_ssl_engine_context *eng);
/* The curve code of both sides (P-256/384/521, X25519: see tls.c). */
const br_ec_impl *tls_int_ec(void);
/* Marks a pool entry taken with a fresh connection state. */
void tls_int_conn_reset(struct tls *t);
/* The first free context of pool[0..n), set up by setup() with its slice
 * of iobufs the first time it is taken (contexts are taken lowest first,
 * so the set-up ones stay the prefix pool[0..*nready)). NULL when all are
 * in use. */
struct tls *tls_int_take(struct tls *pool, unsigned n, unsigned char *iobufs, unsigned *nready,
			 void (*setup)(struct tls *t, unsigned char *buf));

#endif
