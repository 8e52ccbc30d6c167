/*
 * tls_server.c - the server side of tls.h: certificates and keys
 * (struct tls_creds), the pool of server contexts and BearSSL's session
 * cache. llmgw's TLS listener (tls_listen_init, tls_creds_load,
 * tls_server_accept) and tools/mockprov (tls_server_init,
 * tls_server_open) call it; a build without the listener
 * (LLMGW_TLS_LISTEN=0) never does, so a static llmgw then does not link
 * this file nor the BearSSL code it pulls in (server handshake, session
 * LRU, private-key decoding, RSA/ECDSA signing). The engine pump, PEM
 * reading and the connection state it shares with the client side are in
 * tls.c (see tls_int.h).
 *
 * Ownership: tls_creds_load() copies a chain and its private key into
 * memory it allocates, with one reference for the caller; each connection
 * accepted with them takes another until tls_close(), so a reload that
 * loads a new certificate (and drops the listener's reference to the old
 * one) never pulls the key from under a handshake in progress. The last
 * reference wipes the key and frees it. The pool (contexts set up on first
 * use, as on the client side) and the session cache are allocated once by
 * tls_listen_init() or tls_server_init() and freed by tls_server_free()
 * (also reached from tls_free() through tls_int_server_free). Nothing
 * blocks but the file reads of tls_creds_load().
 *
 * Engines: the listener's are put together from the client side's pieces
 * (tls_int_engine_aead: ECDHE, AES-GCM, ChaCha20-Poly1305, SHA-256/384);
 * mockprov's use BearSSL's full profiles (CBC suites too), to test our
 * client against more than it offers.
 *
 * Resumption: BearSSL's LRU session cache, through a thin wrapper that
 * notes which connection found its session there (tls_resumed()).
 */
#include "fmt.h"
#include "tls.h"
#include "options.h"

#if LLMGW_TLS

#include "tls_int.h"
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_LRU_MIN	64		/* session cache entries (100 bytes each) */

struct tls_creds {
	unsigned refs;
	br_x509_certificate *chain;
	size_t chain_len;
	unsigned char *chain_mem;
	size_t chain_bytes;
	int skey_type;			/* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *skey_mem;
	size_t skey_mem_len;
	unsigned issuer_key_type;
};

static struct {
	int inited;
	int full;		/* mockprov: BearSSL's full server profiles */
	/* full_setup or listen_setup, set by the init that ran: only that
	 * one is linked where the other init is never called (llmgw does
	 * not link BearSSL's full profiles, CBC, CCM, 3DES and all). */
	void (*setup)(struct tls *t, unsigned char *buf);
	struct tls_creds *creds;	/* mockprov's one certificate */
	br_ssl_session_cache_lru lru;
	unsigned char *lru_mem;
	size_t lru_len;
	struct tls *servers;
	unsigned nservers;
	unsigned nready;	/* servers[0..nready) have their engine set up */
	unsigned char *iobufs;
} G;

/* ------------------------------------------------- server credentials */

struct chain_load {
	struct tls_creds *c;
	int fill;
	size_t count, bytes;
};

static int chain_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
	struct chain_load *L = ctx;
	struct tls_creds *c = L->c;
	if (!tls_int_is_cert_name(name) || len == 0)
		return 0;
	if (L->fill) {
		if (L->count >= c->chain_len || L->bytes + len > c->chain_bytes)
			return -1;
		c->chain[L->count].data = c->chain_mem + L->bytes;
		c->chain[L->count].data_len = len;
		memcpy(c->chain_mem + L->bytes, der, len);
	}
	L->count++;
	L->bytes += len;
	return 0;
}

struct key_load {
	br_skey_decoder_context dc;
	int found, encrypted;
};

static int key_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
	struct key_load *K = ctx;
	if (K->found)
		return 0;
	if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
		K->encrypted = 1;
		return 0;
	}
	if (strcmp(name, "PRIVATE KEY") != 0 && strcmp(name, "RSA PRIVATE KEY") != 0
		&& strcmp(name, "EC PRIVATE KEY") != 0)
		return 0;	/* e.g. the EC PARAMETERS block openssl writes first */
	br_skey_decoder_init(&K->dc);
	br_skey_decoder_push(&K->dc, der, len);
	K->found = 1;
	return 0;
}

static int load_key(struct tls_creds *c, const char *path, char *err, size_t errlen)
{
	unsigned char *pem, *scratch;
	size_t len;
	struct key_load *K;
	int ret = -1;

	if (tls_int_read_file(path, &pem, &len, err, errlen) < 0)
		return -1;
	scratch = malloc(len + 1);
	K = calloc(1, sizeof *K);
	if (!scratch || !K) {
		fmt_snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	tls_int_pem_each(pem, len, scratch, len + 1, key_cb, K);
	if (!K->found) {
		fmt_snprintf(err, errlen, K->encrypted ? "%s: encrypted private keys are not supported"
			: "%s: no PRIVATE KEY in the file", path);
		goto out;
	}
	int type = br_skey_decoder_key_type(&K->dc);
	if (type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *k = br_skey_decoder_get_rsa(&K->dc);
		c->skey_mem_len = k->plen + k->qlen + k->dplen + k->dqlen + k->iqlen;
		if (!(c->skey_mem = malloc(c->skey_mem_len)))
			goto oom;
		unsigned char *m = c->skey_mem;
		c->rsa.n_bitlen = k->n_bitlen;
		c->rsa.p = tls_int_copy_out(&m, k->p, k->plen);
		c->rsa.plen = k->plen;
		c->rsa.q = tls_int_copy_out(&m, k->q, k->qlen);
		c->rsa.qlen = k->qlen;
		c->rsa.dp = tls_int_copy_out(&m, k->dp, k->dplen);
		c->rsa.dplen = k->dplen;
		c->rsa.dq = tls_int_copy_out(&m, k->dq, k->dqlen);
		c->rsa.dqlen = k->dqlen;
		c->rsa.iq = tls_int_copy_out(&m, k->iq, k->iqlen);
		c->rsa.iqlen = k->iqlen;
	} else if (type == BR_KEYTYPE_EC) {
		const br_ec_private_key *k = br_skey_decoder_get_ec(&K->dc);
		c->skey_mem_len = k->xlen;
		if (!(c->skey_mem = malloc(c->skey_mem_len)))
			goto oom;
		c->ec.curve = k->curve;
		unsigned char *m = c->skey_mem;
		c->ec.x = tls_int_copy_out(&m, k->x, k->xlen);
		c->ec.xlen = k->xlen;
	} else {
		fmt_snprintf(err, errlen, "%s: private key not understood (BearSSL error %d)",
			path, br_skey_decoder_last_error(&K->dc));
		goto out;
	}
	c->skey_type = type;
	ret = 0;
	goto out;
oom:
	fmt_snprintf(err, errlen, "%s: out of memory", path);
out:
	if (scratch)
		tls_int_wipe(scratch, len + 1);
	tls_int_wipe(pem, len);
	if (K)
		tls_int_wipe(K, sizeof *K);
	free(scratch);
	free(pem);
	free(K);
	return ret;
}

/* Whether the leaf's public key is the private key's: the EC point or
 * the RSA modulus, computed again from the private key. A key that does
 * not belong to its certificate would otherwise load and fail every
 * handshake. */
static int key_matches(const struct tls_creds *c, const br_x509_pkey *pk)
{
	unsigned char buf[512 + 1];	/* an EC point, or an RSA modulus of up to 4096 bits */
	size_t n = 0;
	const unsigned char *want = NULL;
	size_t wlen = 0;
	if (pk->key_type != c->skey_type)
		return 0;
	if (c->skey_type == BR_KEYTYPE_EC) {
		br_ec_public_key out;
		const br_ec_impl *ec = tls_int_ec();
		if (pk->key.ec.curve == c->ec.curve && (ec->supported_curves >> c->ec.curve & 1))
			n = br_ec_compute_pub(ec, &out, buf, &c->ec);
		want = pk->key.ec.q;
		wlen = pk->key.ec.qlen;
	} else if ((c->rsa.n_bitlen + 7) / 8 <= sizeof buf) {
		n = br_rsa_i31_compute_modulus(buf, &c->rsa);
		want = pk->key.rsa.n;
		wlen = pk->key.rsa.nlen;
		while (wlen > 0 && *want == 0) {	/* DER's leading zero */
			want++;
			wlen--;
		}
	}
	int ok = n && n == wlen && memcmp(buf, want, n) == 0;
	tls_int_wipe(buf, sizeof buf);
	return ok;
}

static void creds_free(struct tls_creds *c)
{
	if (c->skey_mem)
		tls_int_wipe(c->skey_mem, c->skey_mem_len);
	free(c->chain);
	free(c->chain_mem);
	free(c->skey_mem);
	tls_int_wipe(c, sizeof *c);	/* the key structs */
	free(c);
}

struct tls_creds *tls_creds_load(const char *cert, const char *key, char *err, size_t errlen)
{
	unsigned char *pem, *scratch = NULL;
	size_t len;
	struct tls_creds *c = calloc(1, sizeof *c);

	if (!c) {
		fmt_snprintf(err, errlen, "tls: out of memory");
		return NULL;
	}
	c->refs = 1;
	if (!cert || !key) {
		fmt_snprintf(err, errlen, "a certificate needs its private key");
		free(c);
		return NULL;
	}
	if (tls_int_read_file(cert, &pem, &len, err, errlen) < 0) {
		free(c);
		return NULL;
	}
	int ok = 0;
	scratch = malloc(len + 1);
	if (!scratch) {
		fmt_snprintf(err, errlen, "%s: out of memory", cert);
		goto out;
	}
	struct chain_load L = { c, 0, 0, 0 };
	tls_int_pem_each(pem, len, scratch, len + 1, chain_cb, &L);
	if (L.count == 0) {
		fmt_snprintf(err, errlen, "%s: no CERTIFICATE in the file", cert);
		goto out;
	}
	c->chain = calloc(L.count, sizeof *c->chain);
	c->chain_mem = malloc(L.bytes);
	if (!c->chain || !c->chain_mem) {
		fmt_snprintf(err, errlen, "%s: out of memory", cert);
		goto out;
	}
	c->chain_len = L.count;
	c->chain_bytes = L.bytes;
	struct chain_load F = { c, 1, 0, 0 };
	if (tls_int_pem_each(pem, len, scratch, len + 1, chain_cb, &F) < 0 || F.count != L.count) {
		fmt_snprintf(err, errlen, "%s: changed while being read", cert);
		goto out;
	}
	/* The leaf's key type must match the private key; the type of the key
	 * that signed the leaf matters to BearSSL's EC server profile. */
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, c->chain[0].data, c->chain[0].data_len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk) {
		fmt_snprintf(err, errlen, "%s: first certificate not understood (BearSSL error %d)",
			cert, br_x509_decoder_last_error(&dc));
		goto out;
	}
	c->issuer_key_type = (unsigned)br_x509_decoder_get_signer_key_type(&dc);
	if (load_key(c, key, err, errlen) < 0)
		goto out;
	if (pk->key_type != c->skey_type) {
		fmt_snprintf(err, errlen, "%s and %s: certificate and key types differ", cert, key);
		goto out;
	}
	if (!key_matches(c, pk)) {
		fmt_snprintf(err, errlen, "%s is not the private key of the certificate in %s", key, cert);
		goto out;
	}
	if (c->skey_type == BR_KEYTYPE_EC && c->issuer_key_type != BR_KEYTYPE_RSA)
		c->issuer_key_type = BR_KEYTYPE_EC;
	ok = 1;
out:
	free(pem);
	free(scratch);
	if (!ok) {
		creds_free(c);
		return NULL;
	}
	return c;
}

void tls_creds_put(struct tls_creds *c)
{
	if (c && --c->refs == 0)
		creds_free(c);
}

int tls_creds_same(const struct tls_creds *a, const struct tls_creds *b)
{
	return a->chain_bytes == b->chain_bytes && a->chain_len == b->chain_len
		&& memcmp(a->chain_mem, b->chain_mem, a->chain_bytes) == 0
		&& a->skey_type == b->skey_type && a->skey_mem_len == b->skey_mem_len
		&& memcmp(a->skey_mem, b->skey_mem, a->skey_mem_len) == 0;
}

void tls_creds_fingerprint(const struct tls_creds *c, char *buf, size_t cap)
{
	unsigned char h[32];
	br_sha256_context sc;
	br_sha256_init(&sc);
	br_sha256_update(&sc, c->chain[0].data, c->chain[0].data_len);
	br_sha256_out(&sc, h);
	size_t o = 0;
	for (unsigned i = 0; i < sizeof h && o + 3 < cap; i++)
		o += (size_t)fmt_snprintf(buf + o, cap - o, i ? ":%02X" : "%02X", h[i]);
	if (cap && o == 0)
		buf[0] = 0;
}

/* --------------------------------------------------------------- pools */

/* BearSSL server session cache, wrapped so that a lookup hit is recorded in
 * the connection that made it (how tls_resumed() knows on the server). */
static void cache_save(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
	const br_ssl_session_parameters *p)
{
	(void)ctx;
	G.lru.vtable->save(&G.lru.vtable, sc, p);
}

static int cache_load(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc,
	br_ssl_session_parameters *p)
{
	struct tls *t = container_of(ctx, struct tls, u.s.cache_vt);
	int hit = G.lru.vtable->load(&G.lru.vtable, sc, p);
	if (hit) {
		t->u.s.hit = 1;
		memcpy(t->u.s.hit_id, p->session_id, sizeof t->u.s.hit_id);
	}
	return hit;
}

static const br_ssl_session_cache_class cache_class = {
	sizeof(const br_ssl_session_cache_class *), cache_save, cache_load,
};

/* What both setups end with: the record buffers at buf, the cache. */
static void setup_common(struct tls *t, const uint16_t *suites, size_t n, unsigned char *buf)
{
	t->eng = &t->u.s.sc.eng;
	t->server = 1;
	tls_int_engine_common(t->eng, suites, n, buf);
	t->u.s.cache_vt = &cache_class;
	br_ssl_server_set_cache(&t->u.s.sc, &t->u.s.cache_vt);
	t->ready = 1;
}

/* Sets up the engine of pool entry t, once; each connection then only
 * resets it (the listener's also sets its certificate then). mockprov:
 * BearSSL's full profile with its one certificate. */
static void full_setup(struct tls *t, unsigned char *buf)
{
	br_ssl_server_context *sc = &t->u.s.sc;
	const struct tls_creds *c = G.creds;
	if (c->skey_type == BR_KEYTYPE_RSA)
		br_ssl_server_init_full_rsa(sc, c->chain, c->chain_len, &c->rsa);
	else
		br_ssl_server_init_full_ec(sc, c->chain, c->chain_len, c->issuer_key_type, &c->ec);
	setup_common(t, tls_int_suites, TLS_INT_ALL_SUITES, buf);	/* mockprov: all */
	br_ssl_engine_add_flags(t->eng, BR_OPT_ENFORCE_SERVER_PREFERENCES);
}

static void listen_setup(struct tls *t, unsigned char *buf)
{
	br_ssl_server_zero(&t->u.s.sc);
	tls_int_engine_aead(&t->u.s.sc.eng);
	setup_common(t, tls_int_suites, TLS_INT_AEAD_SUITES, buf);	/* listener: AEAD only */
}

/* A connection's end: its reference to the certificate goes. */
static void server_close(struct tls *t)
{
	tls_creds_put(t->u.s.creds);
	t->u.s.creds = NULL;
}

static void lru_init(void)
{
	tls_int_wipe(G.lru_mem, G.lru_len);	/* its entries hold master secrets */
	br_ssl_session_cache_lru_init(&G.lru, G.lru_mem, G.lru_len);
}

static int make_pool(unsigned n, char *err, size_t errlen)
{
	if (n == 0)
		return 0;
	G.servers = calloc(n, sizeof *G.servers);
	G.iobufs = calloc(n, TLS_IOBUF_LEN);	/* calloc: checks n * len */
	size_t entries = n * 4u < TLS_LRU_MIN ? TLS_LRU_MIN : n * 4u;
	G.lru_len = entries * 100;
	G.lru_mem = malloc(G.lru_len);
	if (!G.servers || !G.iobufs || !G.lru_mem) {
		fmt_snprintf(err, errlen, "tls: out of memory for %u server contexts", n);
		return -1;
	}
	lru_init();
	G.nservers = n;
	return 0;
}

void tls_server_free(void)
{
	if (!G.inited)
		return;
	if (G.nready) {
		tls_int_wipe(G.servers, G.nready * sizeof *G.servers);
		tls_int_wipe(G.iobufs, G.nready * TLS_IOBUF_LEN);
	}
	if (G.lru_mem)
		tls_int_wipe(G.lru_mem, G.lru_len);
	if (G.creds)
		tls_creds_put(G.creds);
	free(G.servers);
	free(G.iobufs);
	free(G.lru_mem);
	tls_int_wipe(&G, sizeof G);
	tls_int_server_free = NULL;
	tls_int_server_close = NULL;
}

/* Pool, cache and hooks; on failure nothing is left allocated. */
static int server_init(unsigned n, char *err, size_t errlen)
{
	const char *src = NULL;
	if (G.inited) {
		fmt_snprintf(err, errlen, "tls: server side already initialised");
		return -1;
	}
	if (br_prng_seeder_system(&src) == 0) {
		fmt_snprintf(err, errlen, "tls: BearSSL has no OS random source");
		return -1;
	}
	G.inited = 1;
	tls_int_server_free = tls_server_free;
	tls_int_server_close = server_close;
	if (make_pool(n, err, errlen) < 0) {
		tls_server_free();
		return -1;
	}
	return 0;
}

int tls_listen_init(unsigned n, char *err, size_t errlen)
{
	if (server_init(n, err, errlen) < 0)
		return -1;
	G.setup = listen_setup;
	return 0;
}

int tls_server_init(const struct tls_server_options *o, char *err, size_t errlen)
{
	if (!tls_int_inited()) {
		fmt_snprintf(err, errlen, "tls: tls_init() must come before tls_server_init()");
		return -1;
	}
	if (!o->cert) {
		fmt_snprintf(err, errlen, "tls: no server certificate");
		return -1;
	}
	if (!o->key) {
		fmt_snprintf(err, errlen, "server_cert given without server_key");
		return -1;
	}
	struct tls_creds *c = tls_creds_load(o->cert, o->key, err, errlen);
	if (!c)
		return -1;
	if (server_init(o->max_servers, err, errlen) < 0) {
		tls_creds_put(c);
		return -1;
	}
	G.full = 1;
	G.setup = full_setup;
	G.creds = c;
	return 0;
}

void tls_server_forget_sessions(void)
{
	if (G.lru_mem)
		lru_init();
}

static struct tls *take(struct tls_creds *c)
{
	struct tls *t = tls_int_take(G.servers, G.nservers, G.iobufs, &G.nready, G.setup);
	if (!t)
		return NULL;
	tls_int_conn_reset(t);
	t->u.s.hit = 0;
	t->u.s.creds = NULL;
	if (c) {
		br_ssl_server_context *sc = &t->u.s.sc;
		if (c->skey_type == BR_KEYTYPE_RSA)
			br_ssl_server_set_single_rsa(sc, c->chain, c->chain_len, &c->rsa, BR_KEYTYPE_SIGN,
				br_rsa_i31_private, br_rsa_i31_pkcs1_sign);
		else
			br_ssl_server_set_single_ec(sc, c->chain, c->chain_len, &c->ec, BR_KEYTYPE_SIGN,
				c->issuer_key_type, br_ssl_engine_get_ec(t->eng), br_ecdsa_i31_sign_asn1);
		c->refs++;
		t->u.s.creds = c;
	}
	if (!br_ssl_server_reset(&t->u.s.sc)) {
		server_close(t);
		t->in_use = 0;
		return NULL;
	}
	return t;
}

struct tls *tls_server_accept(struct tls_creds *creds)
{
	return creds ? take(creds) : NULL;
}

struct tls *tls_server_open(void)
{
	return G.full ? take(NULL) : NULL;
}

#else	/* !LLMGW_TLS */

#include <errno.h>
#include <stdio.h>

int tls_server_init(const struct tls_server_options *o, char *err, size_t errlen)
{
	fmt_snprintf(err, errlen, "this build has no TLS (LLMGW_TLS=0)");
	return -1;
}

struct tls *tls_server_open(void)
{
	errno = EPROTONOSUPPORT;
	return NULL;
}

#endif	/* LLMGW_TLS */
