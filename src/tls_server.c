/*
 * tls_server.c - the server side of tls.h: credentials, the pool of server
 * contexts and BearSSL's session cache. Only tools/mockprov (the mock
 * provider the tests and benchmarks use) calls it; llmgw never does, so a
 * static llmgw does not link this file nor the BearSSL code it pulls in
 * (server handshake, session LRU, private-key decoding, RSA/ECDSA signing).
 * The engine pump, PEM reading and the connection state it shares with the
 * client side are in tls.c (see tls_int.h).
 *
 * Ownership: tls_server_init() copies the chain and the private key into
 * memory it allocates and allocates the pool (contexts set up on first
 * use, as on the client side) and the session cache; tls_free() wipes and
 * frees all of it through tls_int_server_free. Nothing blocks.
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

static struct {
	int inited;
	br_x509_certificate *chain;
	size_t chain_len;
	unsigned char *chain_mem;
	int skey_type;
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *skey_mem;
	size_t skey_mem_len;
	unsigned issuer_key_type;
	br_ssl_session_cache_lru lru;
	unsigned char *lru_mem;
	size_t lru_len;
	struct tls *servers;
	unsigned nservers;
	unsigned nready;	/* servers[0..nready) have their engine set up */
	unsigned char *iobufs;
} G;

/* Every suite BearSSL's full server profiles support that a TLS 1.2 client
 * of ours could ask for: ECDHE with AEAD first, then with CBC/SHA-2. */
static const uint16_t server_suites[] = {
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

/* ------------------------------------------------- server credentials */

struct chain_load {
	int fill;
	size_t count, bytes;
};

static int chain_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
	struct chain_load *L = ctx;
	if (!tls_int_is_cert_name(name) || len == 0)
		return 0;
	if (L->fill) {
		if (L->count >= G.chain_len)
			return -1;
		G.chain[L->count].data = G.chain_mem + L->bytes;
		G.chain[L->count].data_len = len;
		memcpy(G.chain_mem + L->bytes, der, len);
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

static int load_key(const char *path, char *err, size_t errlen)
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
		G.skey_mem_len = k->plen + k->qlen + k->dplen + k->dqlen + k->iqlen;
		if (!(G.skey_mem = malloc(G.skey_mem_len)))
			goto oom;
		unsigned char *m = G.skey_mem;
		G.rsa.n_bitlen = k->n_bitlen;
		G.rsa.p = tls_int_copy_out(&m, k->p, k->plen);
		G.rsa.plen = k->plen;
		G.rsa.q = tls_int_copy_out(&m, k->q, k->qlen);
		G.rsa.qlen = k->qlen;
		G.rsa.dp = tls_int_copy_out(&m, k->dp, k->dplen);
		G.rsa.dplen = k->dplen;
		G.rsa.dq = tls_int_copy_out(&m, k->dq, k->dqlen);
		G.rsa.dqlen = k->dqlen;
		G.rsa.iq = tls_int_copy_out(&m, k->iq, k->iqlen);
		G.rsa.iqlen = k->iqlen;
	} else if (type == BR_KEYTYPE_EC) {
		const br_ec_private_key *k = br_skey_decoder_get_ec(&K->dc);
		G.skey_mem_len = k->xlen;
		if (!(G.skey_mem = malloc(G.skey_mem_len)))
			goto oom;
		G.ec.curve = k->curve;
		unsigned char *m = G.skey_mem;
		G.ec.x = tls_int_copy_out(&m, k->x, k->xlen);
		G.ec.xlen = k->xlen;
	} else {
		fmt_snprintf(err, errlen, "%s: private key not understood (BearSSL error %d)",
			path, br_skey_decoder_last_error(&K->dc));
		goto out;
	}
	G.skey_type = type;
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

static int load_server(const char *cert, const char *key, char *err, size_t errlen)
{
	unsigned char *pem, *scratch;
	size_t len;
	int ret = -1;

	if (!key) {
		fmt_snprintf(err, errlen, "server_cert given without server_key");
		return -1;
	}
	if (tls_int_read_file(cert, &pem, &len, err, errlen) < 0)
		return -1;
	scratch = malloc(len + 1);
	if (!scratch) {
		fmt_snprintf(err, errlen, "%s: out of memory", cert);
		goto out;
	}
	struct chain_load L = { 0, 0, 0 };
	tls_int_pem_each(pem, len, scratch, len + 1, chain_cb, &L);
	if (L.count == 0) {
		fmt_snprintf(err, errlen, "%s: no CERTIFICATE in the file", cert);
		goto out;
	}
	G.chain = calloc(L.count, sizeof *G.chain);
	G.chain_mem = malloc(L.bytes);
	if (!G.chain || !G.chain_mem) {
		fmt_snprintf(err, errlen, "%s: out of memory", cert);
		goto out;
	}
	G.chain_len = L.count;
	struct chain_load F = { 1, 0, 0 };
	if (tls_int_pem_each(pem, len, scratch, len + 1, chain_cb, &F) < 0 || F.count != L.count) {
		fmt_snprintf(err, errlen, "%s: changed while being read", cert);
		goto out;
	}
	/* The leaf's key type must match the private key; the type of the key
	 * that signed the leaf matters to BearSSL's EC server profile. */
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, G.chain[0].data, G.chain[0].data_len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk) {
		fmt_snprintf(err, errlen, "%s: first certificate not understood (BearSSL error %d)",
			cert, br_x509_decoder_last_error(&dc));
		goto out;
	}
	int leaf_type = pk->key_type;
	G.issuer_key_type = (unsigned)br_x509_decoder_get_signer_key_type(&dc);
	if (load_key(key, err, errlen) < 0)
		goto out;
	if (leaf_type != G.skey_type) {
		fmt_snprintf(err, errlen, "%s and %s: certificate and key types differ", cert, key);
		goto out;
	}
	if (G.skey_type == BR_KEYTYPE_EC && G.issuer_key_type != BR_KEYTYPE_RSA)
		G.issuer_key_type = BR_KEYTYPE_EC;
	ret = 0;
out:
	free(pem);
	free(scratch);
	return ret;
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

static void server_setup(struct tls *t, unsigned char *buf)
{
	br_ssl_server_context *sc = &t->u.s.sc;
	if (G.skey_type == BR_KEYTYPE_RSA)
		br_ssl_server_init_full_rsa(sc, G.chain, G.chain_len, &G.rsa);
	else
		br_ssl_server_init_full_ec(sc, G.chain, G.chain_len, G.issuer_key_type, &G.ec);
	t->eng = &sc->eng;
	t->server = 1;
	tls_int_engine_common(t->eng, server_suites, sizeof server_suites / sizeof server_suites[0],
		buf);
	br_ssl_engine_add_flags(t->eng, BR_OPT_ENFORCE_SERVER_PREFERENCES);
	t->u.s.cache_vt = &cache_class;
	br_ssl_server_set_cache(sc, &t->u.s.cache_vt);
	t->ready = 1;
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
	br_ssl_session_cache_lru_init(&G.lru, G.lru_mem, G.lru_len);
	G.nservers = n;
	return 0;
}

static void server_free(void)
{
	if (G.nready) {
		tls_int_wipe(G.servers, G.nready * sizeof *G.servers);
		tls_int_wipe(G.iobufs, G.nready * TLS_IOBUF_LEN);
	}
	if (G.skey_mem)
		tls_int_wipe(G.skey_mem, G.skey_mem_len);
	if (G.lru_mem)
		tls_int_wipe(G.lru_mem, G.lru_len);	/* its entries hold master secrets */
	free(G.servers);
	free(G.iobufs);
	free(G.chain);
	free(G.chain_mem);
	free(G.skey_mem);
	free(G.lru_mem);
	tls_int_wipe(&G, sizeof G);	/* the key structs */
}

int tls_server_init(const struct tls_server_options *o, char *err, size_t errlen)
{
	if (!tls_int_inited()) {
		fmt_snprintf(err, errlen, "tls: tls_init() must come before tls_server_init()");
		return -1;
	}
	if (G.inited) {
		fmt_snprintf(err, errlen, "tls: server side already initialised");
		return -1;
	}
	memset(&G, 0, sizeof G);
	if (!o->cert) {
		fmt_snprintf(err, errlen, "tls: no server certificate");
		return -1;
	}
	if (load_server(o->cert, o->key, err, errlen) < 0
		|| make_pool(o->max_servers, err, errlen) < 0) {
		server_free();
		return -1;
	}
	G.inited = 1;
	tls_int_server_free = server_free;
	return 0;
}

struct tls *tls_server_open(void)
{
	struct tls *t = tls_int_take(G.servers, G.nservers, G.iobufs, &G.nready, server_setup);
	if (!t)
		return NULL;
	tls_int_conn_reset(t);
	t->u.s.hit = 0;
	if (!br_ssl_server_reset(&t->u.s.sc)) {
		t->in_use = 0;
		return NULL;
	}
	return t;
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
