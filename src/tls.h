/*
 * tls.h - TLS over non-blocking sockets with BearSSL. tls.c and
 * tls_server.c are the only files that include bearssl.h, besides
 * certgen.c (the `llmgw certgen` command: key generation and signing).
 *
 * tls_init() runs once at start-up: it loads the trust anchors from a PEM
 * bundle and allocates a fixed pool of client contexts with their record
 * buffers. The server side lives in its own file (tls_server.c), so that a
 * build without the TLS listener (LLMGW_TLS_LISTEN=0) does not link
 * BearSSL's server code: llmgw's listener calls tls_listen_init() for its
 * pool and loads certificates with tls_creds_load() (at start-up and on
 * each reload); tools/mockprov, the test and benchmark upstream, calls
 * tls_server_init() (one certificate, BearSSL's full server profile). A
 * struct tls is taken from a pool with tls_client_open() /
 * tls_server_accept() / tls_server_open() and given back with tls_close();
 * nothing is allocated per connection.
 *
 * I/O mirrors read(2)/write(2) on a non-blocking fd: the handshake runs
 * implicitly inside tls_read/tls_write/tls_flush, and -1 with errno EAGAIN
 * means "poll the fd for tls_want() and call again". Nothing here blocks.
 *
 * Client side: SNI and hostname verification against server_name, X.509
 * chain validation against the loaded anchors, and session resumption: the
 * parameters of the last session with each server name are cached (small
 * fixed table) and offered on the next connection to the same name. While
 * the system clock is before a fixed floor (a router without a real-time
 * clock that NTP has not set yet), tls_client_open() gives a connection
 * that has already failed (EPROTO, tls_error() says why): nothing is sent,
 * and connections opened once the clock is set work as usual.
 *
 * Protocol (options.h): TLS 1.2 only, ECDHE suites with AES-128/256-GCM or
 * ChaCha20-Poly1305 (LLMGW_TLS_MINIMAL_SUITES=0: also AES-CBC/SHA-2);
 * X25519 (unless LLMGW_TLS_X25519=0), P-256, P-384, P-521; ECDSA and
 * (unless LLMGW_TLS_RSA=0) RSA certificates. LLMGW_TLS=0: no TLS at all,
 * tls_init() with a ca_file fails with a message saying so.
 *
 * Memory: about 28 KB per pooled context (engine and X.509 context ~8 KB,
 * full 16 KB input record buffer, 4 KB output buffer since BearSSL splits
 * what it sends into records of that size). The pool is allocated at
 * tls_init() but a context is set up (its pages touched) only when first
 * used, so a large pool costs memory only as far as connections use it.
 */
#ifndef LLMGW_TLS_H
#define LLMGW_TLS_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

struct tls;

struct tls_options {
	const char *ca_file;		/* PEM bundle of trust anchors; NULL: no client side */
	unsigned max_clients;		/* client contexts in the pool */
};

/* Loads the anchors and allocates the client pool. Returns 0, or -1 with a
 * message (no secrets in it) written to err; after a failure nothing is
 * left allocated. Called with no ca_file (a server-only user) it only
 * checks that BearSSL has a random source. */
int tls_init(const struct tls_options *o, char *err, size_t errlen);

struct tls_server_options {
	const char *cert;		/* PEM chain, leaf first */
	const char *key;		/* PEM private key (RSA or EC) */
	unsigned max_servers;		/* server contexts in the pool */
};

/* Server side for tools/mockprov (tls_server.c): after tls_init(), loads
 * the credentials and allocates the server pool (BearSSL's full server
 * profile: CBC suites too). Returns 0, or -1 with a message in err; a
 * failure leaves the server side empty (tls_free() still frees the rest). */
int tls_server_init(const struct tls_server_options *o, char *err, size_t errlen);

/* Server side for llmgw's listener (tls_server.c). TLS 1.2, ECDHE with
 * AES-GCM or ChaCha20-Poly1305 (the client side's engine code), EC (P-256,
 * P-384, P-521) or RSA certificates; resumption by session id through
 * BearSSL's LRU session cache (4 entries per context, at least 64: about
 * 100 bytes each). */

/* A certificate chain and its private key, loaded from PEM files:
 * reference-counted, so a reload can replace a listener's certificate
 * while connections that began with the old one finish. */
struct tls_creds;
/* Reads cert (PEM chain, leaf first) and key (PEM: PKCS#8, or the
 * traditional RSA / EC forms; not encrypted) and checks that they belong
 * together. Blocks on the files: start-up and reload only. Returns the
 * first reference, or NULL with a message naming the file in err (never
 * key bytes). */
struct tls_creds *tls_creds_load(const char *cert, const char *key, char *err, size_t errlen);
/* Drops a reference; the last one wipes the key and frees it all. */
void tls_creds_put(struct tls_creds *c);
/* Whether a and b hold the same chain and key (a reload that changed
 * nothing keeps the running one, and its sessions). */
int tls_creds_same(const struct tls_creds *a, const struct tls_creds *b);
/* The SHA-256 fingerprint of the leaf certificate, "AB:CD:...", into buf
 * (96 bytes). */
void tls_creds_fingerprint(const struct tls_creds *c, char *buf, size_t cap);
/* Allocates the listener's pool of n server contexts (set up on first use,
 * like the client side's) and the session cache. 0, or -1 with err. Does
 * not need tls_init(). */
int tls_listen_init(unsigned n, char *err, size_t errlen);
/* Frees what tls_listen_init() allocated (and tls_server_init()'s); every
 * connection must be closed and every creds reference dropped before. */
void tls_server_free(void);
/* A server context for a new connection that presents creds (a reference
 * is taken until tls_close()); NULL when every context is in use. */
struct tls *tls_server_accept(struct tls_creds *creds);
/* Forgets every cached session: after a certificate change, no new
 * connection resumes one made with the old certificate. */
void tls_server_forget_sessions(void);
/* Frees both sides and wipes every secret; harmless when not initialised. */
void tls_free(void);
/* Number of trust anchors loaded. */
unsigned tls_anchor_count(void);

/* A client context for a new connection to server_name (SNI + hostname
 * check); NULL when the pool is exhausted (or server_name is empty or
 * longer than 255 bytes). */
struct tls *tls_client_open(const char *server_name);
/* A server context; NULL when the pool is exhausted or there is none. */
struct tls *tls_server_open(void);
/* Returns the context to the pool; for a client whose handshake completed,
 * the session parameters are kept for resumption. Does not close the fd. */
void tls_close(struct tls *t);

/* >0 bytes of application data; 0 when the peer closed cleanly
 * (close_notify); -1 with errno EAGAIN (poll for tls_want()), or -1 with
 * errno EPROTO (TLS failure: see tls_error()) or ECONNRESET (TCP closed
 * without close_notify). Failures are sticky: every later call on t gives
 * the same. Decrypted data waiting in the engine does not make the fd
 * readable, so call again until EAGAIN (or check tls_pending()). */
ssize_t tls_read(struct tls *t, int fd, void *buf, size_t len);
/* Accepts up to len bytes of application data (>0), flushing records to the
 * socket as far as it takes them; -1 with errno EAGAIN or as tls_read, or
 * EPIPE after the peer's close_notify. Records it could not push yet stay
 * in the engine: tls_want() then includes LOOP_OUT and tls_flush() sends
 * them. */
ssize_t tls_write(struct tls *t, int fd, const void *buf, size_t len);
/* Runs the handshake as far as the socket allows: 1 once it is complete
 * and its last records are on the wire; -1 with errno EAGAIN (poll for
 * tls_want() and call again) or as tls_read. Optional: tls_read() and
 * tls_write() run the handshake too; a server calls this to finish it
 * before it commits any memory to the connection. */
int tls_handshake(struct tls *t, int fd);
/* tls_write() of the pieces iov[0..n) in turn, sealed into records
 * together (a response head and its body: one record, one send). */
ssize_t tls_writev(struct tls *t, int fd, const struct iovec *iov, int n);
/* Pushes out records still held in the engine: 0 when all are on the wire,
 * -1 with errno EAGAIN or as tls_read. */
int tls_flush(struct tls *t, int fd);
/* Sends close_notify (after any pending data): 0 once it is on the wire,
 * -1 with errno EAGAIN (call again when tls_want() says) or as tls_read.
 * The peer's tls_read() then returns 0. Optional: tls_close() without it is
 * fine for protocols that delimit their own messages. */
int tls_shutdown(struct tls *t, int fd);
/* Bytes of decrypted application data buffered in the engine. */
size_t tls_pending(const struct tls *t);
/* Whether records the socket has not taken yet are held in the engine
 * (tls_flush() sends them); 0 once the connection failed or was closed. */
int tls_unsent(const struct tls *t);
/* LOOP_IN and/or LOOP_OUT (see loop.h): what the engine waits for; never 0
 * (both once the connection has failed, so the next call reports it). */
unsigned tls_want(const struct tls *t);
/* Whether the handshake is finished. */
int tls_handshake_done(const struct tls *t);
/* Whether this connection resumed a cached session (no full handshake). */
int tls_resumed(const struct tls *t);
/* Human-readable reason for the last failure ("certificate not trusted",
 * "server name mismatch", "peer sent alert 40", "system clock is
 * 1970-01-01, before ...", ...); at most 159 bytes, never secret. */
const char *tls_error(const struct tls *t);

/* The clock tls_client_open() checks against the floor and certificate
 * dates against, time(2)-shaped; NULL (the default) is time(). For tests
 * (a router at 1970, a clock years ahead); may be set before tls_init()
 * and stays across tls_free(). */
void tls_set_clock(time_t (*now)(time_t *));

/* Counters for benchmarks and /metrics, client and server together:
 * handshakes = full handshakes completed, resumed = abbreviated ones,
 * failures = connections that failed before their handshake completed. */
struct tls_stats { unsigned long long handshakes, resumed, failures; };
void tls_get_stats(struct tls_stats *s);

#endif
