/*
 * tls.c - TLS over non-blocking sockets with BearSSL (see tls.h): the
 * engine pump shared by both sides, trust anchors and the client side. The
 * server side (tools/mockprov only) is in tls_server.c, which llmgw never
 * links: nothing here names anything of it (see tls_int.h).
 *
 * Ownership: everything lives in one static state block. tls_init() reads
 * the CA bundle, copies what BearSSL needs (anchor DNs and keys) into
 * memory it allocates, and allocates the pool of client contexts with their
 * record buffers (input BR_SSL_BUFSIZE_INPUT so any full record is
 * receivable, output 4 KB + overhead: BearSSL splits outgoing data into
 * records of that size). The pool is allocated but not touched: a context's
 * engine is set up the first time tls_client_open() takes it (and kept set
 * up), so untouched pages of a large pool cost no memory. After tls_init()
 * nothing is allocated: open/close take and give back pool entries.
 * tls_free() wipes the secrets and releases all of it.
 *
 * Cipher suites (LLMGW_TLS_MINIMAL_SUITES, options.h): the client engine is
 * put together piece by piece with only what TLS 1.2 ECDHE with AES-GCM or
 * ChaCha20-Poly1305 needs, so a static link leaves out the rest of BearSSL
 * (CBC, CCM, 3DES, static RSA key exchange, MD5/SHA-1, TLS 1.0 PRF). 0 uses
 * br_ssl_client_init_full(). LLMGW_TLS_RSA=0 also leaves out RSA
 * verification: an X.509 wrapper refuses RSA keys in the chain with a clear
 * error instead.
 *
 * Clock: a client handshake is not started while the system clock is
 * before TLS_CLOCK_FLOOR (a router without RTC before NTP): the connection
 * fails with a message saying so, and works as soon as the clock is set.
 *
 * Nothing blocks: the pump only calls read()/send() on the caller's
 * non-blocking fd and stops at EAGAIN. Failures are sticky per connection:
 * once a tls_* call has failed with EPROTO/ECONNRESET, every later call
 * returns the same, and tls_error() explains it.
 *
 * Resumption: the client keeps the session parameters of the last good
 * connection to each server name (TLS_SESS_SLOTS entries, least recently
 * used replaced) and offers them on the next connection to that name.
 */
#include "fmt.h"
#include "tls.h"
#include "options.h"

#if LLMGW_TLS

#include "port.h"
#include "tls_int.h"
#include "loop.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TLS_SESS_SLOTS	16
#define TLS_PEM_MAX	(16u << 20)	/* refuse absurd PEM files */

/* No certificate in use today was valid before this instant, so a clock
 * behind it is certainly wrong (typically a router without a battery-backed
 * clock that booted at 1970 and has not heard from NTP yet). A fixed
 * constant, not the build time: builds stay reproducible. Move it forward
 * now and then; it must stay before the real date of any system running
 * this build. 1793491200 = 2026-11-01 00:00:00 UTC. */
#define TLS_CLOCK_FLOOR	((time_t)1793491200)

/* BearSSL's X.509 time: days since 1 January of year 0 (proleptic
 * Gregorian); this many of them lie before the Unix epoch. */
#define TLS_DAYS_TO_EPOCH	719528u

/* Our own failure codes, kept apart from BearSSL's (which are >= 0). */
enum {
	TLS_E_HS_EOF = -1,	/* TCP closed before the handshake finished */
	TLS_E_EOF = -2,		/* TCP closed after it, without close_notify */
	TLS_E_SOCKET = -3,	/* read/send failed with another errno */
	TLS_E_CLOCK = -4,	/* system clock before TLS_CLOCK_FLOOR */
};

struct tls_sess {
	char name[TLS_NAME_MAX + 1];
	br_ssl_session_parameters p;
	unsigned long long used;	/* 0: free slot */
};

static struct {
	int inited;
	/* trust anchors: the array and one block for their DNs and keys */
	br_x509_trust_anchor *tas;
	size_t ntas;
	unsigned char *ta_mem;
	/* client pool: contexts and their record buffers, set up lazily */
	struct tls *clients;
	unsigned nclients;
	unsigned nready;	/* clients[0..nready) have their engine set up */
	unsigned char *iobufs;
	/* client session table */
	struct tls_sess sess[TLS_SESS_SLOTS];
	unsigned long long sess_clock;
	struct tls_stats stats;
} G;

/* Outside G: set before tls_init() by tests, and kept across it. */
static time_t (*clock_fn)(time_t *);

void (*tls_int_server_free)(void);
void (*tls_int_server_close)(struct tls *t);

/* ECDHE only (forward secrecy), AEAD first, TLS 1.2: what every provider
 * API serves and every current client offers. AES-128-GCM first (hardware
 * AES on most servers), ChaCha20 next (fast in software at both ends),
 * AES-256-GCM for servers that insist; the peer's preference decides
 * anyway. The first TLS_INT_AEAD_SUITES are the client's (minimal suites)
 * and the listener's; the CBC/SHA-2 rest serves older servers (the full
 * client profile, LLMGW_TLS_MINIMAL_SUITES=0) and mockprov. */
const uint16_t tls_int_suites[TLS_INT_ALL_SUITES] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
};

static int fail(struct tls *t, int code, int eno, int sock_errno);

void tls_int_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

/* ---------------------------------------------------------------- files */

int tls_int_read_file(const char *path, unsigned char **out, size_t *outlen,
	char *err, size_t errlen)
{
	char *buf;
	if (file_read(path, TLS_PEM_MAX, &buf, outlen, err, errlen) < 0)
		return -1;
	*out = (unsigned char *)buf;
	return 0;
}

/* --------------------------------------------------------------- PEM */

struct der_buf {
	unsigned char *p;
	size_t len, cap;
	int overflow;
};

static void der_append(void *ctx, const void *src, size_t n)
{
	struct der_buf *d = ctx;
	if (n > d->cap - d->len) {
		d->overflow = 1;
		return;
	}
	memcpy(d->p + d->len, src, n);
	d->len += n;
}

/* Calls cb for each well-formed PEM object in pem[0..len) with its decoded
 * DER in scratch (cap >= len is always enough: base64 shrinks). Objects
 * with bad base64 are skipped. Returns -1 if cb does, else 0. */
int tls_int_pem_each(const unsigned char *pem, size_t len, unsigned char *scratch,
	size_t cap, tls_pem_cb cb, void *ctx)
{
	br_pem_decoder_context pc;
	struct der_buf d = { scratch, 0, cap, 0 };
	char name[128];
	int inobj = 0, tail = 0, ret = 0;

	br_pem_decoder_init(&pc);
	for (;;) {
		if (len == 0 && !tail) {
			/* A final newline ends an END line that has none. */
			pem = (const unsigned char *)"\n";
			len = 1;
			tail = 1;
		}
		size_t n = br_pem_decoder_push(&pc, pem, len);
		pem += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			fmt_snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
			d.len = 0;
			d.overflow = 0;
			br_pem_decoder_setdest(&pc, der_append, &d);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			if (inobj && !d.overflow && cb(ctx, name, scratch, d.len) < 0)
				ret = -1;
			inobj = 0;
			break;
		case BR_PEM_ERROR:
			inobj = 0;
			break;
		default:
			break;
		}
		if (ret < 0 || (len == 0 && tail))
			break;
	}
	tls_int_wipe(&pc, sizeof pc);	/* it may have held key bytes */
	return ret;
}

/* ------------------------------------------------------- trust anchors */

struct ta_load {
	int fill;		/* 0: count pass, 1: copy pass */
	size_t count, bytes;	/* totals of the count pass / progress of the copy */
	unsigned char *dn;	/* DN scratch */
	size_t dncap;
};

int tls_int_is_cert_name(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
}

static size_t pkey_bytes(const br_x509_pkey *pk)
{
	if (pk->key_type == BR_KEYTYPE_RSA)
		return pk->key.rsa.nlen + pk->key.rsa.elen;
	return pk->key.ec.qlen;
}

unsigned char *tls_int_copy_out(unsigned char **dst, const void *src, size_t n)
{
	unsigned char *p = *dst;
	memcpy(p, src, n);
	*dst += n;
	return p;
}

static int ta_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
	struct ta_load *L = ctx;
	if (!tls_int_is_cert_name(name))
		return 0;
	br_x509_decoder_context dc;
	struct der_buf dn = { L->dn, 0, L->dncap, 0 };
	br_x509_decoder_init(&dc, der_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	/* Certificates BearSSL cannot use (unknown key type, odd encoding)
	 * are skipped: one exotic root must not take the whole bundle down. */
	if (!pk || dn.overflow || dn.len == 0)
		return 0;
	if (pk->key_type != BR_KEYTYPE_RSA && pk->key_type != BR_KEYTYPE_EC)
		return 0;
	size_t need = dn.len + pkey_bytes(pk);
	if (!L->fill) {
		L->count++;
		L->bytes += need;
		return 0;
	}
	if (L->count >= G.ntas)
		return -1;	/* the file changed between passes */
	br_x509_trust_anchor *ta = &G.tas[L->count];
	unsigned char *mem = G.ta_mem + L->bytes;
	ta->dn.data = tls_int_copy_out(&mem, dn.p, dn.len);
	ta->dn.len = dn.len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey = *pk;	/* type, lengths, curve; the pointers are redone */
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = tls_int_copy_out(&mem, pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.e = tls_int_copy_out(&mem, pk->key.rsa.e, pk->key.rsa.elen);
	} else {
		ta->pkey.key.ec.q = tls_int_copy_out(&mem, pk->key.ec.q, pk->key.ec.qlen);
	}
	L->count++;
	L->bytes += need;
	return 0;
}

static int load_anchors(const char *path, char *err, size_t errlen)
{
	unsigned char *pem, *scratch = NULL, *dn = NULL;
	size_t len;
	const char *why = "out of memory";

	if (tls_int_read_file(path, &pem, &len, err, errlen) < 0)
		return -1;
	scratch = malloc(len + 1);
	dn = malloc(len + 1);
	if (!scratch || !dn)
		goto out;
	struct ta_load L = { 0, 0, 0, dn, len + 1 };
	tls_int_pem_each(pem, len, scratch, len + 1, ta_cb, &L);
	why = "no usable CERTIFICATE in the file";
	if (L.count == 0)
		goto out;
	G.tas = calloc(L.count, sizeof *G.tas);
	G.ta_mem = malloc(L.bytes);
	why = "out of memory";
	if (!G.tas || !G.ta_mem)
		goto out;
	G.ntas = L.count;
	struct ta_load F = { 1, 0, 0, dn, len + 1 };
	why = "changed while being read";
	if (tls_int_pem_each(pem, len, scratch, len + 1, ta_cb, &F) == 0 && F.count == G.ntas
		&& F.bytes == L.bytes)
		why = NULL;
out:
	if (why)
		fmt_snprintf(err, errlen, "%s: %s", path, why);
	free(pem);
	free(scratch);
	free(dn);
	return why ? -1 : 0;
}

/* ------------------------------------------------------- client engine */

#if LLMGW_TLS_MINIMAL_SUITES
/* Symmetric implementations: BearSSL's constant-time ones, the 64-bit
 * variants where words are 64 bits (faster, and measured no larger there).
 * TLS_CT64 can be forced either way with -D for measurements. */
#ifndef TLS_CT64
#if UINTPTR_MAX > 0xFFFFFFFFu
#define TLS_CT64 1
#else
#define TLS_CT64 0
#endif
#endif
#if TLS_CT64
#define TLS_AES_CTR	(&br_aes_ct64_ctr_vtable)
#define TLS_GHASH	br_ghash_ctmul64
#else
#define TLS_AES_CTR	(&br_aes_ct_ctr_vtable)
#define TLS_GHASH	br_ghash_ctmul
#endif

/* Elliptic curves, for ECDHE and for ECDSA certificate checks: P-384 and
 * P-521 with BearSSL's generic br_ec_prime_i31; X25519 (LLMGW_TLS_X25519)
 * with br_ec_c25519_i31, which shares prime_i31's big-integer code; P-256
 * with br_ec_p256_m31 (LLMGW_TLS_P256_M31) or else prime_i31.
 *
 * P-256 is what nearly every provider's ECDHE and certificates use. The
 * P-256-only m31 code against the generic i31, instructions per operation
 * counted under qemu-user (tools/ec-bench.sh, `make ec-bench TOOLCHAIN=`),
 * as a ratio to i31 (lower is faster):
 *                    mul (ECDHE)  mulgen (key share)  muladd (ECDSA check)
 *   aarch64 p256_m31   0.48          0.34                0.42
 *           p256_m15   1.16          0.77                0.98
 *   mipsel  p256_m31   0.51         (0.46)              (0.58)
 *           p256_m15   0.73         (0.80)              (0.89)
 * (in parentheses: CPU time under qemu, where counting MIPS16 takes too
 * long). m31 is the fastest on every target measured, so it is the default;
 * it costs 5.3 KB aarch64 / 7.7 KB mipsel, and the tiny profile leaves it
 * out on aarch64 for room. m15 (for cores without a fast 32x32->64
 * multiply) is slower than m31 everywhere. */
static const br_ec_impl *ec_for(int curve)
{
	if (LLMGW_TLS_X25519 && curve == BR_EC_curve25519)
		return &br_ec_c25519_i31;
	if (LLMGW_TLS_P256_M31 && curve == BR_EC_secp256r1)
		return &br_ec_p256_m31;
	return &br_ec_prime_i31;
}

static const unsigned char *ec_generator(int curve, size_t *len)
{
	return ec_for(curve)->generator(curve, len);
}

static const unsigned char *ec_order(int curve, size_t *len)
{
	return ec_for(curve)->order(curve, len);
}

static size_t ec_xoff(int curve, size_t *len)
{
	return ec_for(curve)->xoff(curve, len);
}

static uint32_t ec_mul(unsigned char *g, size_t glen, const unsigned char *x, size_t xlen,
	int curve)
{
	return ec_for(curve)->mul(g, glen, x, xlen, curve);
}

static size_t ec_mulgen(unsigned char *r, const unsigned char *x, size_t xlen, int curve)
{
	return ec_for(curve)->mulgen(r, x, xlen, curve);
}

static uint32_t ec_muladd(unsigned char *a, const unsigned char *b, size_t len,
	const unsigned char *x, size_t xlen, const unsigned char *y, size_t ylen, int curve)
{
	return ec_for(curve)->muladd(a, b, len, x, xlen, y, ylen, curve);
}

/* The curves offered: what ec_for() has code for. */
static const br_ec_impl tls_ec = {
	(uint32_t)1 << BR_EC_secp256r1 | (uint32_t)1 << BR_EC_secp384r1 | (uint32_t)1 << BR_EC_secp521r1
		| (uint32_t)LLMGW_TLS_X25519 << BR_EC_curve25519,
	ec_generator, ec_order, ec_xoff, ec_mul, ec_mulgen, ec_muladd,
};
#endif

#if !LLMGW_TLS_RSA
#if LLMGW_TLS_MINIMAL_SUITES
/* Without RSA code the engine must never be handed an RSA key: the X.509
 * wrapper below refuses them first. This stands in for the verifier so a
 * path we did not foresee fails the handshake instead of calling NULL. */
static uint32_t rsa_vrfy_refuse(const unsigned char *x, size_t xlen,
	const unsigned char *hash_oid, size_t hash_len, const br_rsa_public_key *pk,
	unsigned char *hash_out)
{
	return 0;
}
#endif

/* X.509 wrapper: passes everything to the minimal engine, and at the end
 * of the chain turns "an RSA key was needed" (a certificate signed with
 * RSA, or an RSA server key) into a failure that tls_error() can name. */
static br_x509_minimal_context *xw_inner(const br_x509_class *const *ctx)
{
	return &container_of(ctx, struct tls, u.c.xw)->u.c.xc;
}

static void xw_start_chain(const br_x509_class **ctx, const char *server_name)
{
	br_x509_minimal_context *xc = xw_inner(ctx);
	xc->vtable->start_chain(&xc->vtable, server_name);
}

static void xw_start_cert(const br_x509_class **ctx, uint32_t length)
{
	br_x509_minimal_context *xc = xw_inner(ctx);
	xc->vtable->start_cert(&xc->vtable, length);
}

static void xw_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	br_x509_minimal_context *xc = xw_inner(ctx);
	xc->vtable->append(&xc->vtable, buf, len);
}

static void xw_end_cert(const br_x509_class **ctx)
{
	br_x509_minimal_context *xc = xw_inner(ctx);
	xc->vtable->end_cert(&xc->vtable);
}

static unsigned xw_end_chain(const br_x509_class **ctx)
{
	struct tls *t = container_of(ctx, struct tls, u.c.xw);
	br_x509_minimal_context *xc = &t->u.c.xc;
	unsigned r = xc->vtable->end_chain(&xc->vtable);
	if (r == BR_ERR_X509_UNSUPPORTED && xc->cert_signer_key_type == BR_KEYTYPE_RSA) {
		t->u.c.rsa_refused = 1;	/* a signature to check with an RSA key */
	} else if (r == 0) {
		const br_x509_pkey *pk = xc->vtable->get_pkey(&xc->vtable, NULL);
		if (!pk || pk->key_type == BR_KEYTYPE_RSA) {
			t->u.c.rsa_refused = 1;	/* the server's own key */
			r = BR_ERR_X509_UNSUPPORTED;
		}
	}
	return r;
}

static const br_x509_pkey *xw_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	br_x509_minimal_context *xc = xw_inner(ctx);
	return xc->vtable->get_pkey(&xc->vtable, usages);
}

static const br_x509_class xw_class = {
	sizeof(const br_x509_class *), xw_start_chain, xw_start_cert, xw_append,
	xw_end_cert, xw_end_chain, xw_get_pkey,
};
#endif

void tls_int_engine_common(br_ssl_engine_context *eng, const uint16_t *suites, size_t nsuites,
	unsigned char *buf)
{
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, suites, nsuites);
	/* Renegotiation buys nothing here and would complicate the pump. */
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
	br_ssl_engine_set_buffers_bidi(eng, buf, TLS_IBUF_LEN, buf + TLS_IBUF_LEN, TLS_OBUF_LEN);
}

/* Sets up the engine of client context t (record buffers at buf). Run once
 * per pool entry, the first time it is used; tls_client_open() resets it
 * for each connection. */
static void client_setup(struct tls *t, unsigned char *buf)
{
	br_ssl_client_context *cc = &t->u.c.cc;
	br_x509_minimal_context *xc = &t->u.c.xc;
	br_ssl_engine_context *eng = &cc->eng;
#if LLMGW_TLS_MINIMAL_SUITES
	/* What br_ssl_client_init_full() does, restricted to our suites. */
	br_ssl_client_zero(cc);
	/* The X.509 engine hashes DNs with SHA-256. Certificate signatures:
	 * SHA-256 and SHA-384 are what CAs use; SHA-512 comes almost free
	 * with SHA-384 (same code) and some RSA-4096 chains use it. */
	br_x509_minimal_init(xc, &br_sha256_vtable, G.tas, G.ntas);
	br_x509_minimal_set_hash(xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(xc, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(xc, br_sha512_ID, &br_sha512_vtable);
	tls_int_engine_aead(eng);
	br_ssl_engine_set_ecdsa(eng, &br_ecdsa_i31_vrfy_asn1);
	br_x509_minimal_set_ecdsa(xc, &tls_ec, &br_ecdsa_i31_vrfy_asn1);
#if LLMGW_TLS_RSA
	br_ssl_engine_set_rsavrfy(eng, &br_rsa_i31_pkcs1_vrfy);
	br_x509_minimal_set_rsa(xc, &br_rsa_i31_pkcs1_vrfy);
#else
	br_ssl_engine_set_rsavrfy(eng, &rsa_vrfy_refuse);
#endif
#else
	br_ssl_client_init_full(cc, xc, G.tas, G.ntas);
#if !LLMGW_TLS_RSA
	br_x509_minimal_set_rsa(xc, 0);
#endif
#endif
#if LLMGW_TLS_RSA
	br_ssl_engine_set_x509(eng, &xc->vtable);
#else
	t->u.c.xw = &xw_class;
	br_ssl_engine_set_x509(eng, &t->u.c.xw);
#endif
	t->eng = eng;
	tls_int_engine_common(eng, tls_int_suites, LLMGW_TLS_MINIMAL_SUITES ? TLS_INT_AEAD_SUITES : TLS_INT_ALL_SUITES, buf);
	t->ready = 1;
}

/* The record layer and key exchange both sides share: SHA-256/384
 * (transcript, PRFs, ServerKeyExchange signatures: only these two are
 * offered in signature_algorithms, and they are the PRF hashes of our
 * suites), the curves of tls_ec, AES-GCM and ChaCha20-Poly1305. */
const br_ec_impl *tls_int_ec(void)
{
#if LLMGW_TLS_MINIMAL_SUITES
	return &tls_ec;
#else
	return br_ec_get_default();
#endif
}

const br_ec_impl *tls_int_engine_aead(br_ssl_engine_context *eng)
{
#if LLMGW_TLS_MINIMAL_SUITES
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_ec(eng, &tls_ec);
	br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(eng, TLS_AES_CTR);
	br_ssl_engine_set_ghash(eng, &TLS_GHASH);
#if defined(__x86_64__) || defined(__i386__)
	/* x86 boxes (an x86 OpenWrt router, a mini PC): AES-NI and PCLMUL
	 * when the CPU has them, several times cheaper per record and
	 * constant-time too; BearSSL's getters return NULL otherwise (or
	 * when it was built without them) and the portable code stays. */
	const br_block_ctr_class *ni = br_aes_x86ni_ctr_get_vtable();
	br_ghash gh = br_ghash_pclmul_get();
	if (ni)
		br_ssl_engine_set_aes_ctr(eng, ni);
	if (gh)
		br_ssl_engine_set_ghash(eng, gh);
#endif
	br_ssl_engine_set_chapol(eng, &br_sslrec_in_chapol_vtable, &br_sslrec_out_chapol_vtable);
	br_ssl_engine_set_chacha20(eng, &br_chacha20_ct_run);
	br_ssl_engine_set_poly1305(eng, &br_poly1305_ctmul_run);
	return &tls_ec;
#else
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	return br_ssl_engine_get_ec(eng);
#endif
}

/* Allocates the client pool without touching it: calloc of a large block
 * maps fresh zero pages, which cost memory only once written. */
static int make_pool(unsigned n, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	G.clients = calloc(n, sizeof *G.clients);
	G.iobufs = calloc(n, TLS_IOBUF_LEN);	/* calloc: checks n * len */
	if (!G.clients || !G.iobufs) {
		fmt_snprintf(err, errlen, "tls: out of memory for %u contexts", n);
		return -1;
	}
	G.nclients = n;
	return 0;
}

/* ---------------------------------------------------------- init/free */

int tls_int_inited(void)
{
	return G.inited;
}

int tls_init(const struct tls_options *o, char *err, size_t errlen)
{
	if (G.inited) {
		fmt_snprintf(err, errlen, "tls: already initialised");
		return -1;
	}
	memset(&G, 0, sizeof G);
	/* BearSSL seeds each engine's PRNG from the OS; without a source every
	 * handshake would fail with BR_ERR_NO_RANDOM, so refuse now. */
	const char *src = NULL;
	if (br_prng_seeder_system(&src) == 0) {
		fmt_snprintf(err, errlen, "tls: BearSSL has no OS random source");
		return -1;
	}
	if (o->ca_file && load_anchors(o->ca_file, err, errlen) < 0)
		goto fail;
	if (make_pool(o->ca_file ? o->max_clients : 0, err, errlen) < 0)
		goto fail;
	G.inited = 1;
	return 0;
fail:
	G.inited = 1;
	tls_free();
	return -1;
}

void tls_free(void)
{
	if (!G.inited)
		return;
	if (tls_int_server_free) {
		tls_int_server_free();
		tls_int_server_free = NULL;
	}
	/* Only contexts that were used hold anything, and only their pages
	 * were ever touched: wiping the rest would map them all now. */
	if (G.nready) {
		tls_int_wipe(G.clients, G.nready * sizeof *G.clients);
		tls_int_wipe(G.iobufs, G.nready * TLS_IOBUF_LEN);
	}
	free(G.clients);
	free(G.iobufs);
	free(G.tas);
	free(G.ta_mem);
	tls_int_wipe(&G, sizeof G);	/* the session table */
}

unsigned tls_anchor_count(void)
{
	return (unsigned)G.ntas;
}

void tls_get_stats(struct tls_stats *s)
{
	*s = G.stats;
}

void tls_set_clock(time_t (*now)(time_t *))
{
	clock_fn = now;
}

/* ------------------------------------------------------ client sessions */

static struct tls_sess *sess_find(const char *name)
{
	for (unsigned i = 0; i < TLS_SESS_SLOTS; i++)
		if (G.sess[i].used && strcmp(G.sess[i].name, name) == 0)
			return &G.sess[i];
	return NULL;
}

static void sess_store(const char *name, const br_ssl_session_parameters *p)
{
	struct tls_sess *s = sess_find(name);
	if (!s) {
		s = &G.sess[0];
		for (unsigned i = 0; i < TLS_SESS_SLOTS; i++) {
			if (!G.sess[i].used) {
				s = &G.sess[i];
				break;
			}
			if (G.sess[i].used < s->used)
				s = &G.sess[i];
		}
		fmt_snprintf(s->name, sizeof s->name, "%s", name);
	}
	s->p = *p;
	s->used = ++G.sess_clock;
}

static void sess_drop(const char *name)
{
	struct tls_sess *s = sess_find(name);
	if (s)
		tls_int_wipe(s, sizeof *s);
}

/* --------------------------------------------------------- open/close */

struct tls *tls_int_take(struct tls *pool, unsigned n, unsigned char *iobufs, unsigned *nready,
			 void (*setup)(struct tls *t, unsigned char *buf))
{
	for (unsigned i = 0; i < n; i++) {
		struct tls *t = &pool[i];
		if (t->in_use)
			continue;
		if (!t->ready) {
			t->iobuf = iobufs + TLS_IOBUF_LEN * (size_t)i;
			setup(t, t->iobuf);
			*nready = i + 1;
		}
		return t;
	}
	return NULL;
}

void tls_int_conn_reset(struct tls *t)
{
	t->in_use = 1;
	t->hs_done = t->resumed = t->closed_clean = t->shutdown = 0;
	t->offered_len = 0;
	t->err = 0;
	t->fail_errno = 0;
	fmt_snprintf(t->msg, sizeof t->msg, "no error");
}

/* The UTC date of t as YYYY-MM-DD. */
static void ymd(char *b, size_t cap, time_t t)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(floor_div((int64_t)t, 86400), &y, &m, &d);
	fmt_snprintf(b, cap, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* Fails a client connection before its handshake because the clock is
 * unusable (see TLS_CLOCK_FLOOR): nothing is sent, and the first tls_*
 * call reports EPROTO with this text. */
static void clock_refuse(struct tls *t, time_t now)
{
	char have[24], floor[24];
	ymd(have, sizeof have, now);
	ymd(floor, sizeof floor, (time_t)TLS_CLOCK_FLOOR);
	t->err = TLS_E_CLOCK;
	t->fail_errno = EPROTO;
	fmt_snprintf(t->msg, sizeof t->msg, "system clock is %s, before %s: certificates cannot be "
		"checked until the time is set (NTP); will retry", have, floor);
	G.stats.failures++;
}

struct tls *tls_client_open(const char *server_name)
{
	if (!server_name || !*server_name || strlen(server_name) > TLS_NAME_MAX)
		return NULL;
	struct tls *t = tls_int_take(G.clients, G.nclients, G.iobufs, &G.nready, client_setup);
	if (!t)
		return NULL;
	tls_int_conn_reset(t);
	t->u.c.rsa_refused = 0;
	fmt_snprintf(t->u.c.name, sizeof t->u.c.name, "%s", server_name);
	/* Validity dates need the real time. Before the floor the clock is
	 * certainly unset: refuse rather than fail every certificate as "not
	 * yet valid" (or, worse, be tempted to skip the check). */
	time_t now = clock_fn ? clock_fn(NULL) : time(NULL);
	if (now < TLS_CLOCK_FLOOR) {
		clock_refuse(t, now);
		return t;
	}
	br_x509_minimal_set_time(&t->u.c.xc, (uint32_t)(now / 86400) + TLS_DAYS_TO_EPOCH,
		(uint32_t)(now % 86400));
	const struct tls_sess *s = sess_find(server_name);
	if (s) {
		br_ssl_engine_set_session_parameters(t->eng, &s->p);
		t->offered_len = s->p.session_id_len;
		memcpy(t->offered_id, s->p.session_id, sizeof t->offered_id);
	} else {
		br_ssl_client_forget_session(&t->u.c.cc);
	}
	if (!br_ssl_client_reset(&t->u.c.cc, server_name, 1)) {
		t->in_use = 0;
		return NULL;
	}
	return t;
}

/* Notes the end of the handshake (first time the engine offers application
 * data) and whether it resumed: the client got back the session id it
 * offered; the server found the session id it ended up using in its cache. */
static void note_state(struct tls *t, unsigned st)
{
	if (t->hs_done || !(st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
		return;
	const br_ssl_session_parameters *p = &t->eng->session;
	t->hs_done = 1;
	if (t->server)
		t->resumed = t->u.s.hit && p->session_id_len == sizeof t->u.s.hit_id
			&& memcmp(p->session_id, t->u.s.hit_id, sizeof t->u.s.hit_id) == 0;
	else
		t->resumed = t->offered_len && p->session_id_len == t->offered_len
			&& memcmp(p->session_id, t->offered_id, t->offered_len) == 0;
	if (t->resumed)
		G.stats.resumed++;
	else
		G.stats.handshakes++;
	/* Cache the session now, not at close: connections opened meanwhile
	 * to the same server (a pool filling up under load) resume it. */
	if (!t->server && p->session_id_len > 0)
		sess_store(t->u.c.name, p);
}

void tls_close(struct tls *t)
{
	if (!t || !t->in_use)
		return;
	int saved_errno = errno;
	if (!t->fail_errno) {
		int err = br_ssl_engine_last_error(t->eng);
		if (err)
			(void)fail(t, err, EPROTO, 0);	/* counts it, keeps tls_error() right */
		else
			note_state(t, br_ssl_engine_current_state(t->eng));
	}
	if (!t->server) {
		/* A session whose connection ended in a TLS error is not reused
		 * (RFC 5246 7.2.2); a plain TCP close after the handshake is the
		 * normal end of many HTTP exchanges and keeps it. */
		int tls_failed = t->fail_errno == EPROTO || br_ssl_engine_last_error(t->eng) != 0;
		if (t->hs_done && !tls_failed) {
			br_ssl_session_parameters p;
			br_ssl_engine_get_session_parameters(t->eng, &p);
			if (p.session_id_len > 0)
				sess_store(t->u.c.name, &p);
			tls_int_wipe(&p, sizeof p);
		} else if (t->offered_len && tls_failed) {
			sess_drop(t->u.c.name);
		}
	}
	/* The engine keeps the master secret until its next reset. */
	tls_int_wipe(&t->eng->session, sizeof t->eng->session);
	if (t->server && tls_int_server_close)
		tls_int_server_close(t);
	/* The record buffers (21 KB) back to the kernel until the context
	 * is used again: a pool that once served a burst of connections
	 * does not keep their pages, and no plaintext stays behind. */
	port_mem_release(t->iobuf, TLS_IOBUF_LEN);
	t->in_use = 0;
	errno = saved_errno;
}

/* ---------------------------------------------------------------- pump */

/* Error texts as one string of entries "<key byte>text\0", ended by an
 * empty entry: a key byte and the text cost less than a switch's jump table
 * or an array of pointers. Looked up only when a connection fails. */
static const char *text_find(const char *tbl, int key)
{
	for (; *tbl; tbl += strlen(tbl) + 1)
		if ((unsigned char)*tbl == key)
			return tbl + 1;
	return NULL;
}

/* TLS alert descriptions (RFC 5246 7.2), keyed by the alert number. */
static const char alert_texts[] =
	"\012" "unexpected message\0"
	"\024" "bad record MAC\0"
	"\050" "handshake failure\0"
	"\052" "bad certificate\0"
	"\053" "unsupported certificate\0"
	"\054" "certificate revoked\0"
	"\055" "certificate expired\0"
	"\056" "certificate unknown\0"
	"\057" "illegal parameter\0"
	"\060" "unknown CA\0"
	"\062" "decode error\0"
	"\063" "decrypt error\0"
	"\106" "protocol version\0"
	"\107" "insufficient security\0"
	"\120" "internal error\0"
	"\132" "user canceled\0"
	"\144" "no renegotiation\0"
	"\160" "unrecognized name\0";

/* Our codes and BearSSL's, keyed by code + ERR_KEY (all >= -3, so every
 * key byte is 1 or more). */
#define ERR_KEY 4
#define EK(e) ((e) + ERR_KEY)
static const char err_texts[] = {
	"\001" "socket error: \0"	/* TLS_E_SOCKET: then strerror */
	"\002" "connection closed without close_notify\0"
	"\003" "connection closed during handshake\0"
	"\004" "no error\0"
	"\007" "unsupported protocol version (TLS 1.2 required)\0"	/* and BAD_VERSION */
	"\012" "record too large\0"
	"\013" "bad record MAC\0"
	"\014" "no random source\0"
	"\016" "unexpected message\0"
	"\022" "malformed handshake message\0"
	"\024" "no common cipher suite\0"
	"\037" "bad handshake signature\0"
	"\047" "peer sent no certificate\0"
	"\065" "unsupported certificate\0"
	"\070" "bad certificate signature\0"
	"\071" "certificate dates cannot be checked\0"
	"\072" "certificate expired or not yet valid\0"
	"\074" "server name mismatch\0"
	"\076" "certificate issuer is not a CA\0"
	"\077" "certificate key usage forbids this use\0"
	"\100" "certificate key too weak\0"
	"\102" "certificate not trusted\0"
};
/* The key bytes above, checked against BearSSL's numbers. */
_Static_assert(EK(TLS_E_SOCKET) == 1 && EK(TLS_E_EOF) == 2 && EK(TLS_E_HS_EOF) == 3
	&& EK(BR_ERR_UNSUPPORTED_VERSION) == 7
	&& EK(BR_ERR_TOO_LARGE) == 10 && EK(BR_ERR_BAD_MAC) == 11 && EK(BR_ERR_NO_RANDOM) == 12
	&& EK(BR_ERR_UNEXPECTED) == 14 && EK(BR_ERR_BAD_HANDSHAKE) == 18
	&& EK(BR_ERR_BAD_CIPHER_SUITE) == 20 && EK(BR_ERR_BAD_SIGNATURE) == 31
	&& EK(BR_ERR_X509_EMPTY_CHAIN) == 39 && EK(BR_ERR_X509_UNSUPPORTED) == 53
	&& EK(BR_ERR_X509_BAD_SIGNATURE) == 56 && EK(BR_ERR_X509_TIME_UNKNOWN) == 57
	&& EK(BR_ERR_X509_EXPIRED) == 58 && EK(BR_ERR_X509_BAD_SERVER_NAME) == 60
	&& EK(BR_ERR_X509_NOT_CA) == 62 && EK(BR_ERR_X509_FORBIDDEN_KEY_USAGE) == 63
	&& EK(BR_ERR_X509_WEAK_PUBLIC_KEY) == 64 && EK(BR_ERR_X509_NOT_TRUSTED) == 66,
	"err_texts keys");

static void format_error(struct tls *t, int sock_errno)
{
	int e = t->err, k = e == BR_ERR_BAD_VERSION ? BR_ERR_UNSUPPORTED_VERSION : e;
	const char *s = k >= -ERR_KEY + 1 && k < 256 - ERR_KEY ? text_find(err_texts, EK(k)) : NULL;
	const char *f = "%s", *arg = NULL;
	int num = e;

	if (e == TLS_E_SOCKET) {
		f = "%s%s";
		arg = strerror(sock_errno);
	} else if (e == BR_ERR_X509_EXPIRED && !t->server) {
		/* The date it was checked against: a clock past the floor can
		 * still be wrong. */
		time_t now = (time_t)(t->u.c.xc.days - TLS_DAYS_TO_EPOCH) * 86400
			+ (time_t)t->u.c.xc.seconds;
		char day[24];
		ymd(day, sizeof day, now);
		fmt_snprintf(t->msg, sizeof t->msg, "%s (system clock says %s)", s, day);
		return;
#if !LLMGW_TLS_RSA
	} else if (e == BR_ERR_X509_UNSUPPORTED && !t->server && t->u.c.rsa_refused) {
		s = "RSA certificate chain, and this llmgw was built without RSA "
			"(LLMGW_TLS_RSA=0)";
#endif
	} else if (s) {
		/* "%s" */
	} else if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT + 256) {
		num = e & 255;
		s = e < BR_ERR_SEND_FATAL_ALERT ? "peer " : "";
		arg = text_find(alert_texts, num);
		f = arg ? "%ssent alert %d (%s)" : "%ssent alert %d";
		fmt_snprintf(t->msg, sizeof t->msg, f, s, num, arg);
		return;
	} else {
		f = e >= BR_ERR_X509_OK && e < BR_ERR_RECV_FATAL_ALERT ? "bad certificate (X.509 error %d)"
			: "TLS error %d";
		fmt_snprintf(t->msg, sizeof t->msg, f, num);
		return;
	}
	fmt_snprintf(t->msg, sizeof t->msg, f, s, arg);
}

/* Makes the connection failed (sticky) and returns -1 with errno set. */
static int fail(struct tls *t, int code, int eno, int sock_errno)
{
	if (!t->fail_errno) {
		t->err = code;
		t->fail_errno = eno;
		format_error(t, sock_errno);
		if (!t->hs_done)
			G.stats.failures++;
	}
	errno = t->fail_errno;
	return -1;
}

static ssize_t xsend(int fd, const void *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
	if (n < 0 && errno == ENOTSOCK)	/* a pipe in tests: plain write */
		n = write(fd, buf, len);
	return n;
}

/* Sends once from the engine's outgoing records: 1 progress (or nothing to
 * send), 0 would block, -1 failed (errno set; t may be closed_clean). */
static int send_some(struct tls *t, int fd)
{
	size_t len;
	unsigned char *buf = br_ssl_engine_sendrec_buf(t->eng, &len);
	if (!buf)
		return 1;
	for (;;) {
		ssize_t n = xsend(fd, buf, len);
		if (n > 0) {
			br_ssl_engine_sendrec_ack(t->eng, (size_t)n);
			return 1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		int e = n < 0 ? errno : EIO;
		if (e == EPIPE || e == ECONNRESET) {
			/* The peer said close_notify and went away before our
			 * reply got out: still a clean close. */
			if (t->eng->close_received) {
				t->closed_clean = 1;
				return -1;
			}
			return fail(t, t->hs_done ? TLS_E_EOF : TLS_E_HS_EOF, ECONNRESET, 0);
		}
		return fail(t, TLS_E_SOCKET, e, e);
	}
}

/* Reads once into the engine: 1 progress, 0 would block, -1 failed. */
static int recv_some(struct tls *t, int fd)
{
	size_t len;
	unsigned char *buf = br_ssl_engine_recvrec_buf(t->eng, &len);
	if (!buf)
		return 0;
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n > 0) {
			br_ssl_engine_recvrec_ack(t->eng, (size_t)n);
			return 1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == 0 || errno == ECONNRESET)
			return fail(t, t->hs_done ? TLS_E_EOF : TLS_E_HS_EOF, ECONNRESET, 0);
		return fail(t, TLS_E_SOCKET, errno, errno);
	}
}

/* BearSSL fails a client on a bad certificate without telling the server,
 * which would then wait for its timeout. The client's direction is still
 * plaintext at that point (the certificate is checked before the client
 * sends its key exchange), so a plain fatal alert record is valid: send one,
 * best effort, so the peer logs why. */
static void send_cert_alert(struct tls *t, int fd, int err)
{
	if (t->server || t->hs_done || err < BR_ERR_X509_OK || err >= BR_ERR_RECV_FATAL_ALERT)
		return;
	unsigned char alert = err == BR_ERR_X509_NOT_TRUSTED ? 48	/* unknown_ca */
		: err == BR_ERR_X509_EXPIRED ? 45			/* certificate_expired */
		: err == BR_ERR_X509_UNSUPPORTED ? 43			/* unsupported_certificate */
		: 42;							/* bad_certificate */
	unsigned char rec[7] = { 21, 3, 3, 0, 2, 2, alert };
	(void)xsend(fd, rec, sizeof rec);
}

/* Common entry check: 1 go on (*stp = engine state), 0 closed cleanly,
 * -1 failed (errno set). An engine error is final; an alert BearSSL
 * queued for the peer gets one best-effort push first. */
static int status(struct tls *t, int fd, unsigned *stp)
{
	if (t->fail_errno) {
		errno = t->fail_errno;
		return -1;
	}
	if (t->closed_clean)
		return 0;
	int err = br_ssl_engine_last_error(t->eng);
	unsigned st = br_ssl_engine_current_state(t->eng);
	if (err) {
		size_t len;
		unsigned char *b;
		while ((b = br_ssl_engine_sendrec_buf(t->eng, &len)) != NULL) {
			ssize_t n = xsend(fd, b, len);
			if (n > 0)
				br_ssl_engine_sendrec_ack(t->eng, (size_t)n);
			else if (n < 0 && errno == EINTR)
				continue;
			else
				break;
		}
		send_cert_alert(t, fd, err);
		return fail(t, err, EPROTO, 0);
	}
	if (st & BR_SSL_CLOSED) {
		if (!t->hs_done)
			return fail(t, TLS_E_HS_EOF, ECONNRESET, 0);
		t->closed_clean = 1;
		return 0;
	}
	note_state(t, st);
	*stp = st;
	return 1;
}

/* Runs the engine until its state has one of the `until` flags: 1 then,
 * 0 on clean close, -1 with errno (EAGAIN: see tls_want()). Pending records
 * are always pushed out before reading; when the socket will not take them,
 * reading still goes on so that two peers writing at once cannot deadlock. */
static int pump(struct tls *t, int fd, unsigned until)
{
	int out_blocked = 0;
	for (;;) {
		unsigned st;
		int r = status(t, fd, &st);
		if (r <= 0)
			return r;
		if ((st & BR_SSL_SENDREC) && !out_blocked) {
			r = send_some(t, fd);
			if (r > 0)
				continue;
			if (r < 0)
				return t->closed_clean ? 0 : -1;
			out_blocked = 1;
		}
		if (st & until)
			return 1;
		if (st & BR_SSL_RECVREC) {
			r = recv_some(t, fd);
			if (r > 0)
				continue;
			if (r < 0)
				return -1;
		}
		errno = EAGAIN;
		return -1;
	}
}

/* Pushes out every queued record: 0 done, -1 errno (EAGAIN or failure);
 * 1 if the connection is closed cleanly. */
static int push_records(struct tls *t, int fd)
{
	for (;;) {
		unsigned st;
		int r = status(t, fd, &st);
		if (r <= 0)
			return r < 0 ? -1 : 1;
		if (!(st & BR_SSL_SENDREC))
			return 0;
		r = send_some(t, fd);
		if (r == 0) {
			errno = EAGAIN;
			return -1;
		}
		if (r < 0)
			return t->closed_clean ? 1 : -1;
	}
}

ssize_t tls_read(struct tls *t, int fd, void *buf, size_t len)
{
	int r = pump(t, fd, BR_SSL_RECVAPP);
	if (r <= 0)
		return r;
	if (len == 0)
		return 0;
	size_t avail;
	unsigned char *p = br_ssl_engine_recvapp_buf(t->eng, &avail);
	if (avail > len)
		avail = len;
	memcpy(buf, p, avail);
	br_ssl_engine_recvapp_ack(t->eng, avail);
	return (ssize_t)avail;
}

ssize_t tls_writev(struct tls *t, int fd, const struct iovec *iov, int n)
{
	size_t done = 0, total = 0;
	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (total == 0)
		return 0;
	for (int i = 0; i < n; i++) {
		const unsigned char *src = iov[i].iov_base;
		size_t len = iov[i].iov_len, off = 0;
		while (off < len) {
			int r = pump(t, fd, BR_SSL_SENDAPP);
			if (r <= 0) {
				if (done)
					goto seal;
				if (r == 0)
					errno = EPIPE;	/* the peer closed: nothing more goes out */
				return -1;
			}
			size_t avail;
			unsigned char *p = br_ssl_engine_sendapp_buf(t->eng, &avail);
			if (avail > len - off)
				avail = len - off;
			memcpy(p, src + off, avail);
			/* A full buffer becomes a record inside the ack. */
			br_ssl_engine_sendapp_ack(t->eng, avail);
			off += avail;
			done += avail;
		}
	}
seal:
	/* Seal what is buffered into a record (the pieces together: one
	 * record, not one per piece) and push as far as the socket takes; the
	 * rest goes out with tls_flush() or the next call. An error here is
	 * sticky and reported by the next call. */
	br_ssl_engine_flush(t->eng, 0);
	(void)push_records(t, fd);
	return (ssize_t)done;
}

ssize_t tls_write(struct tls *t, int fd, const void *buf, size_t len)
{
	struct iovec v = { (void *)buf, len };
	return tls_writev(t, fd, &v, 1);
}

int tls_handshake(struct tls *t, int fd)
{
	int r = pump(t, fd, BR_SSL_SENDAPP | BR_SSL_RECVAPP);
	if (r < 0)
		return -1;
	/* Done once the last handshake records are on the wire: the peer
	 * waits for them before it says anything more. */
	return push_records(t, fd) < 0 ? -1 : 1;
}

int tls_flush(struct tls *t, int fd)
{
	if (!t->fail_errno && !t->closed_clean)
		br_ssl_engine_flush(t->eng, 0);
	int r = push_records(t, fd);
	return r > 0 ? 0 : r;
}

int tls_shutdown(struct tls *t, int fd)
{
	if (!t->shutdown && !t->fail_errno && !t->closed_clean) {
		t->shutdown = 1;
		br_ssl_engine_flush(t->eng, 0);
		br_ssl_engine_close(t->eng);
	}
	int r = push_records(t, fd);
	return r > 0 ? 0 : r;
}

int tls_unsent(const struct tls *t)
{
	return !t->fail_errno && !t->closed_clean && (br_ssl_engine_current_state(t->eng) & BR_SSL_SENDREC);
}

size_t tls_pending(const struct tls *t)
{
	size_t len = 0;
	if (!t->fail_errno && !t->closed_clean)
		(void)br_ssl_engine_recvapp_buf(t->eng, &len);
	return len;
}

unsigned tls_want(const struct tls *t)
{
	if (t->fail_errno || t->closed_clean || br_ssl_engine_last_error(t->eng))
		return LOOP_IN | LOOP_OUT;	/* the next call reports it at once */
	unsigned st = br_ssl_engine_current_state(t->eng), w = 0;
	if (st & BR_SSL_CLOSED)
		return LOOP_IN | LOOP_OUT;
	if (st & BR_SSL_SENDREC)
		w |= LOOP_OUT;
	if (st & BR_SSL_RECVREC)
		w |= LOOP_IN;
	/* Never 0: a caller waiting on nothing would hang. */
	return w ? w : LOOP_IN;
}

int tls_handshake_done(const struct tls *t)
{
	return t->hs_done;
}

int tls_resumed(const struct tls *t)
{
	return t->resumed;
}

const char *tls_error(const struct tls *t)
{
	return t->msg;
}

#else	/* !LLMGW_TLS */

/* Built without TLS: no BearSSL at all. tls_init() refuses a CA bundle
 * (config.c already rejects https:// base URLs in such a build; this is
 * the backstop), and there is never a struct tls, so the rest only has to
 * fail cleanly if called anyway. */
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TLS_OFF_MSG "this llmgw was built without TLS (LLMGW_TLS=0): " \
	"https:// providers cannot be used"

int tls_init(const struct tls_options *o, char *err, size_t errlen)
{
	if (o && o->ca_file) {
		fmt_snprintf(err, errlen, "%s", TLS_OFF_MSG);
		return -1;
	}
	return 0;
}

void tls_free(void)
{
}

unsigned tls_anchor_count(void)
{
	return 0;
}

void tls_set_clock(time_t (*now)(time_t *))
{
	(void)now;
}

struct tls *tls_client_open(const char *server_name)
{
	(void)server_name;
	errno = EPROTONOSUPPORT;
	return NULL;
}

void tls_close(struct tls *t)
{
	(void)t;
}

ssize_t tls_read(struct tls *t, int fd, void *buf, size_t len)
{
	errno = EPROTO;
	return -1;
}

ssize_t tls_write(struct tls *t, int fd, const void *buf, size_t len)
{
	errno = EPROTO;
	return -1;
}

ssize_t tls_writev(struct tls *t, int fd, const struct iovec *iov, int n)
{
	errno = EPROTO;
	return -1;
}

int tls_flush(struct tls *t, int fd)
{
	errno = EPROTO;
	return -1;
}

int tls_shutdown(struct tls *t, int fd)
{
	errno = EPROTO;
	return -1;
}

size_t tls_pending(const struct tls *t)
{
	return 0;
}

int tls_unsent(const struct tls *t)
{
	return 0;
}

int tls_handshake(struct tls *t, int fd)
{
	errno = EPROTO;
	return -1;
}

unsigned tls_want(const struct tls *t)
{
	return LOOP_IN | LOOP_OUT;	/* the next call reports the failure */
}

int tls_handshake_done(const struct tls *t)
{
	return 0;
}

int tls_resumed(const struct tls *t)
{
	return 0;
}

const char *tls_error(const struct tls *t)
{
	return TLS_OFF_MSG;
}

void tls_get_stats(struct tls_stats *s)
{
	memset(s, 0, sizeof *s);
}

#endif	/* LLMGW_TLS */
