/*
 * tls.c - TLS over non-blocking sockets with BearSSL (see tls.h).
 *
 * Ownership: everything lives in one static state block. tls_init() reads
 * the PEM files, copies what BearSSL needs (anchor DNs and keys, the server
 * chain and private key) into memory it allocates, and allocates the pools
 * of contexts with their record buffers (input BR_SSL_BUFSIZE_INPUT so any
 * full record is receivable, output 4 KB + overhead: BearSSL splits outgoing
 * data into records of that size). After that nothing is allocated:
 * open/close take and give back pool entries. tls_free() wipes the secrets
 * and releases all of it.
 *
 * Nothing blocks: the pump only calls read()/send() on the caller's
 * non-blocking fd and stops at EAGAIN. Failures are sticky per connection:
 * once a tls_* call has failed with EPROTO/ECONNRESET, every later call
 * returns the same, and tls_error() explains it.
 *
 * Resumption: the client keeps the session parameters of the last good
 * connection to each server name (TLS_SESS_SLOTS entries, least recently
 * used replaced) and offers them on the next connection to that name. The
 * server side uses BearSSL's LRU session cache through a thin wrapper that
 * notes which connection found its session there.
 */
#include "tls.h"
#include "loop.h"

#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TLS_IBUF_LEN	BR_SSL_BUFSIZE_INPUT
#define TLS_OBUF_LEN	(4096 + 85)
#define TLS_SESS_SLOTS	16
#define TLS_NAME_MAX	255		/* BearSSL keeps server_name[256] */
#define TLS_PEM_MAX	(16u << 20)	/* refuse absurd PEM files */
#define TLS_LRU_MIN	64		/* server session cache entries (100 bytes each) */

/* Our own failure codes, kept apart from BearSSL's (which are >= 0). */
enum {
	TLS_E_HS_EOF = -1,	/* TCP closed before the handshake finished */
	TLS_E_EOF = -2,		/* TCP closed after it, without close_notify */
	TLS_E_SOCKET = -3,	/* read/send failed with another errno */
};

struct tls {
	br_ssl_engine_context *eng;
	unsigned char in_use, server, hs_done, resumed;
	unsigned char closed_clean;	/* close_notify seen: reads return 0 */
	unsigned char shutdown;		/* tls_shutdown() started our close_notify */
	unsigned char offered_len;	/* client: session id offered, 0 if none */
	unsigned char offered_id[32];
	int err;			/* BearSSL error or TLS_E_*; 0 while fine */
	int fail_errno;			/* sticky errno once failed, else 0 */
	char msg[64];			/* tls_error() text */
	union {
		struct {
			br_ssl_client_context cc;
			br_x509_minimal_context xc;
			char name[TLS_NAME_MAX + 1];
		} c;
		struct {
			br_ssl_server_context sc;
			/* Our cache wrapper: BearSSL passes &cache_vt back. */
			const br_ssl_session_cache_class *cache_vt;
			unsigned char hit;
			unsigned char hit_id[32];
		} s;
	} u;
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
	/* server credentials */
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
	/* pools */
	struct tls *clients, *servers;
	unsigned nclients, nservers;
	unsigned char *iobufs;
	size_t iobufs_len;
	/* client session table */
	struct tls_sess sess[TLS_SESS_SLOTS];
	unsigned long long sess_clock;
	struct tls_stats stats;
} G;

/* ECDHE with AEAD first, then ECDHE with CBC/SHA-2 for older servers. TLS
 * 1.2 only: every provider API speaks it and it keeps the suite list short. */
static const uint16_t tls_suites[] = {
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

/* Clears memory that held secrets in a way the compiler cannot drop. */
static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

/* ---------------------------------------------------------------- files */

static int read_file(const char *path, unsigned char **out, size_t *outlen,
	char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uintmax_t)st.st_size > TLS_PEM_MAX) {
		snprintf(err, errlen, "cannot read %s: not a regular file of at most %u bytes",
			path, TLS_PEM_MAX);
		close(fd);
		return -1;
	}
	size_t cap = (size_t)st.st_size, len = 0;
	unsigned char *buf = malloc(cap + 1);
	if (!buf) {
		snprintf(err, errlen, "cannot read %s: out of memory", path);
		close(fd);
		return -1;
	}
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*out = buf;
	*outlen = len;
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

typedef int (*pem_cb)(void *ctx, const char *name, const unsigned char *der, size_t len);

/* Calls cb for each well-formed PEM object in pem[0..len) with its decoded
 * DER in scratch (cap >= len is always enough: base64 shrinks). Objects
 * with bad base64 are skipped. Returns -1 if cb does, else 0. */
static int pem_each(const unsigned char *pem, size_t len, unsigned char *scratch,
	size_t cap, pem_cb cb, void *ctx)
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
			snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
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
	wipe(&pc, sizeof pc);	/* it may have held key bytes */
	return ret;
}

/* ------------------------------------------------------- trust anchors */

struct ta_load {
	int fill;		/* 0: count pass, 1: copy pass */
	size_t count, bytes;	/* totals of the count pass / progress of the copy */
	unsigned char *dn;	/* DN scratch */
	size_t dncap;
};

static int is_cert_name(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
}

static size_t pkey_bytes(const br_x509_pkey *pk)
{
	if (pk->key_type == BR_KEYTYPE_RSA)
		return pk->key.rsa.nlen + pk->key.rsa.elen;
	return pk->key.ec.qlen;
}

static unsigned char *copy_out(unsigned char **dst, const void *src, size_t n)
{
	unsigned char *p = *dst;
	memcpy(p, src, n);
	*dst += n;
	return p;
}

static int ta_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
	struct ta_load *L = ctx;
	if (!is_cert_name(name))
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
	ta->dn.data = copy_out(&mem, dn.p, dn.len);
	ta->dn.len = dn.len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = copy_out(&mem, pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = copy_out(&mem, pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = copy_out(&mem, pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	L->count++;
	L->bytes += need;
	return 0;
}

static int load_anchors(const char *path, char *err, size_t errlen)
{
	unsigned char *pem, *scratch = NULL, *dn = NULL;
	size_t len;
	int ret = -1;

	if (read_file(path, &pem, &len, err, errlen) < 0)
		return -1;
	scratch = malloc(len + 1);
	dn = malloc(len + 1);
	if (!scratch || !dn) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	struct ta_load L = { 0, 0, 0, dn, len + 1 };
	pem_each(pem, len, scratch, len + 1, ta_cb, &L);
	if (L.count == 0) {
		snprintf(err, errlen, "%s: no usable CERTIFICATE in the file", path);
		goto out;
	}
	G.tas = calloc(L.count, sizeof *G.tas);
	G.ta_mem = malloc(L.bytes);
	if (!G.tas || !G.ta_mem) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	G.ntas = L.count;
	struct ta_load F = { 1, 0, 0, dn, len + 1 };
	if (pem_each(pem, len, scratch, len + 1, ta_cb, &F) < 0 || F.count != G.ntas
		|| F.bytes != L.bytes) {
		snprintf(err, errlen, "%s: changed while being read", path);
		goto out;
	}
	ret = 0;
out:
	free(pem);
	free(scratch);
	free(dn);
	return ret;
}

/* ------------------------------------------------- server credentials */

struct chain_load {
	int fill;
	size_t count, bytes;
};

static int chain_cb(void *ctx, const char *name, const unsigned char *der, size_t len)
{
	struct chain_load *L = ctx;
	if (!is_cert_name(name) || len == 0)
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

	if (read_file(path, &pem, &len, err, errlen) < 0)
		return -1;
	scratch = malloc(len + 1);
	K = calloc(1, sizeof *K);
	if (!scratch || !K) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	pem_each(pem, len, scratch, len + 1, key_cb, K);
	if (!K->found) {
		snprintf(err, errlen, K->encrypted ? "%s: encrypted private keys are not supported"
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
		G.rsa.p = copy_out(&m, k->p, k->plen);
		G.rsa.plen = k->plen;
		G.rsa.q = copy_out(&m, k->q, k->qlen);
		G.rsa.qlen = k->qlen;
		G.rsa.dp = copy_out(&m, k->dp, k->dplen);
		G.rsa.dplen = k->dplen;
		G.rsa.dq = copy_out(&m, k->dq, k->dqlen);
		G.rsa.dqlen = k->dqlen;
		G.rsa.iq = copy_out(&m, k->iq, k->iqlen);
		G.rsa.iqlen = k->iqlen;
	} else if (type == BR_KEYTYPE_EC) {
		const br_ec_private_key *k = br_skey_decoder_get_ec(&K->dc);
		G.skey_mem_len = k->xlen;
		if (!(G.skey_mem = malloc(G.skey_mem_len)))
			goto oom;
		G.ec.curve = k->curve;
		unsigned char *m = G.skey_mem;
		G.ec.x = copy_out(&m, k->x, k->xlen);
		G.ec.xlen = k->xlen;
	} else {
		snprintf(err, errlen, "%s: private key not understood (BearSSL error %d)",
			path, br_skey_decoder_last_error(&K->dc));
		goto out;
	}
	G.skey_type = type;
	ret = 0;
	goto out;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
out:
	if (scratch)
		wipe(scratch, len + 1);
	wipe(pem, len);
	if (K)
		wipe(K, sizeof *K);
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
		snprintf(err, errlen, "server_cert given without server_key");
		return -1;
	}
	if (read_file(cert, &pem, &len, err, errlen) < 0)
		return -1;
	scratch = malloc(len + 1);
	if (!scratch) {
		snprintf(err, errlen, "%s: out of memory", cert);
		goto out;
	}
	struct chain_load L = { 0, 0, 0 };
	pem_each(pem, len, scratch, len + 1, chain_cb, &L);
	if (L.count == 0) {
		snprintf(err, errlen, "%s: no CERTIFICATE in the file", cert);
		goto out;
	}
	G.chain = calloc(L.count, sizeof *G.chain);
	G.chain_mem = malloc(L.bytes);
	if (!G.chain || !G.chain_mem) {
		snprintf(err, errlen, "%s: out of memory", cert);
		goto out;
	}
	G.chain_len = L.count;
	struct chain_load F = { 1, 0, 0 };
	if (pem_each(pem, len, scratch, len + 1, chain_cb, &F) < 0 || F.count != L.count) {
		snprintf(err, errlen, "%s: changed while being read", cert);
		goto out;
	}
	/* The leaf's key type must match the private key; the type of the key
	 * that signed the leaf matters to BearSSL's EC server profile. */
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, G.chain[0].data, G.chain[0].data_len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk) {
		snprintf(err, errlen, "%s: first certificate not understood (BearSSL error %d)",
			cert, br_x509_decoder_last_error(&dc));
		goto out;
	}
	int leaf_type = pk->key_type;
	G.issuer_key_type = (unsigned)br_x509_decoder_get_signer_key_type(&dc);
	if (load_key(key, err, errlen) < 0)
		goto out;
	if (leaf_type != G.skey_type) {
		snprintf(err, errlen, "%s and %s: certificate and key types differ", cert, key);
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

static void engine_common(br_ssl_engine_context *eng, unsigned char *ibuf, unsigned char *obuf)
{
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(eng, tls_suites, sizeof tls_suites / sizeof tls_suites[0]);
	/* Renegotiation buys nothing here and would complicate the pump. */
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
	br_ssl_engine_set_buffers_bidi(eng, ibuf, TLS_IBUF_LEN, obuf, TLS_OBUF_LEN);
}

static int make_pools(unsigned nc, unsigned ns, char *err, size_t errlen)
{
	size_t per = (size_t)TLS_IBUF_LEN + TLS_OBUF_LEN;
	if (nc + ns == 0)
		return 0;
	if (nc)
		G.clients = calloc(nc, sizeof *G.clients);
	if (ns)
		G.servers = calloc(ns, sizeof *G.servers);
	G.iobufs_len = per * (nc + ns);
	G.iobufs = malloc(G.iobufs_len);
	if ((nc && !G.clients) || (ns && !G.servers) || !G.iobufs) {
		snprintf(err, errlen, "tls: out of memory for %u+%u contexts", nc, ns);
		return -1;
	}
	G.nclients = nc;
	G.nservers = ns;
	unsigned char *b = G.iobufs;
	for (unsigned i = 0; i < nc; i++, b += per) {
		struct tls *t = &G.clients[i];
		br_ssl_client_init_full(&t->u.c.cc, &t->u.c.xc, G.tas, G.ntas);
		t->eng = &t->u.c.cc.eng;
		engine_common(t->eng, b, b + TLS_IBUF_LEN);
	}
	if (ns) {
		size_t entries = ns * 4u < TLS_LRU_MIN ? TLS_LRU_MIN : ns * 4u;
		G.lru_len = entries * 100;
		if (!(G.lru_mem = malloc(G.lru_len))) {
			snprintf(err, errlen, "tls: out of memory for the session cache");
			return -1;
		}
		br_ssl_session_cache_lru_init(&G.lru, G.lru_mem, G.lru_len);
	}
	for (unsigned i = 0; i < ns; i++, b += per) {
		struct tls *t = &G.servers[i];
		br_ssl_server_context *sc = &t->u.s.sc;
		if (G.skey_type == BR_KEYTYPE_RSA)
			br_ssl_server_init_full_rsa(sc, G.chain, G.chain_len, &G.rsa);
		else
			br_ssl_server_init_full_ec(sc, G.chain, G.chain_len, G.issuer_key_type, &G.ec);
		t->eng = &sc->eng;
		t->server = 1;
		engine_common(t->eng, b, b + TLS_IBUF_LEN);
		br_ssl_engine_add_flags(t->eng, BR_OPT_ENFORCE_SERVER_PREFERENCES);
		t->u.s.cache_vt = &cache_class;
		br_ssl_server_set_cache(sc, &t->u.s.cache_vt);
	}
	return 0;
}

/* ---------------------------------------------------------- init/free */

int tls_init(const struct tls_options *o, char *err, size_t errlen)
{
	if (G.inited) {
		snprintf(err, errlen, "tls: already initialised");
		return -1;
	}
	memset(&G, 0, sizeof G);
	/* BearSSL seeds each engine's PRNG from the OS; without a source every
	 * handshake would fail with BR_ERR_NO_RANDOM, so refuse now. */
	const char *src = NULL;
	if (br_prng_seeder_system(&src) == 0) {
		snprintf(err, errlen, "tls: BearSSL has no OS random source");
		return -1;
	}
	if (o->ca_file && load_anchors(o->ca_file, err, errlen) < 0)
		goto fail;
	if (o->server_cert && load_server(o->server_cert, o->server_key, err, errlen) < 0)
		goto fail;
	if (make_pools(o->ca_file ? o->max_clients : 0, o->server_cert ? o->max_servers : 0,
		err, errlen) < 0)
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
	if (G.clients)
		wipe(G.clients, G.nclients * sizeof *G.clients);
	if (G.servers)
		wipe(G.servers, G.nservers * sizeof *G.servers);
	if (G.iobufs)
		wipe(G.iobufs, G.iobufs_len);
	if (G.skey_mem)
		wipe(G.skey_mem, G.skey_mem_len);
	if (G.lru_mem)
		wipe(G.lru_mem, G.lru_len);	/* its entries hold master secrets */
	free(G.clients);
	free(G.servers);
	free(G.iobufs);
	free(G.tas);
	free(G.ta_mem);
	free(G.chain);
	free(G.chain_mem);
	free(G.skey_mem);
	free(G.lru_mem);
	wipe(&G, sizeof G);	/* the session table and the key structs */
}

unsigned tls_anchor_count(void)
{
	return (unsigned)G.ntas;
}

void tls_get_stats(struct tls_stats *s)
{
	*s = G.stats;
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
		snprintf(s->name, sizeof s->name, "%s", name);
	}
	s->p = *p;
	s->used = ++G.sess_clock;
}

static void sess_drop(const char *name)
{
	struct tls_sess *s = sess_find(name);
	if (s)
		wipe(s, sizeof *s);
}

/* --------------------------------------------------------- open/close */

static void conn_reset(struct tls *t)
{
	t->in_use = 1;
	t->hs_done = t->resumed = t->closed_clean = t->shutdown = 0;
	t->offered_len = 0;
	t->err = 0;
	t->fail_errno = 0;
	snprintf(t->msg, sizeof t->msg, "no error");
}

struct tls *tls_client_open(const char *server_name)
{
	if (!server_name || !*server_name || strlen(server_name) > TLS_NAME_MAX)
		return NULL;
	struct tls *t = NULL;
	for (unsigned i = 0; i < G.nclients; i++) {
		if (!G.clients[i].in_use) {
			t = &G.clients[i];
			break;
		}
	}
	if (!t)
		return NULL;
	conn_reset(t);
	snprintf(t->u.c.name, sizeof t->u.c.name, "%s", server_name);
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

struct tls *tls_server_open(void)
{
	struct tls *t = NULL;
	for (unsigned i = 0; i < G.nservers; i++) {
		if (!G.servers[i].in_use) {
			t = &G.servers[i];
			break;
		}
	}
	if (!t)
		return NULL;
	conn_reset(t);
	t->u.s.hit = 0;
	if (!br_ssl_server_reset(&t->u.s.sc)) {
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
			wipe(&p, sizeof p);
		} else if (t->offered_len && tls_failed) {
			sess_drop(t->u.c.name);
		}
	}
	/* The engine keeps the master secret until its next reset. */
	wipe(&t->eng->session, sizeof t->eng->session);
	t->in_use = 0;
	errno = saved_errno;
}

/* ---------------------------------------------------------------- pump */

static const char *alert_name(int a)
{
	switch (a) {
	case 10: return "unexpected message";
	case 20: return "bad record MAC";
	case 40: return "handshake failure";
	case 42: return "bad certificate";
	case 43: return "unsupported certificate";
	case 44: return "certificate revoked";
	case 45: return "certificate expired";
	case 46: return "certificate unknown";
	case 47: return "illegal parameter";
	case 48: return "unknown CA";
	case 50: return "decode error";
	case 51: return "decrypt error";
	case 70: return "protocol version";
	case 71: return "insufficient security";
	case 80: return "internal error";
	case 90: return "user canceled";
	case 100: return "no renegotiation";
	case 112: return "unrecognized name";
	default: return NULL;
	}
}

static void format_error(struct tls *t, int sock_errno)
{
	const char *s = NULL;
	int e = t->err;
	switch (e) {
	case 0: s = "no error"; break;
	case TLS_E_HS_EOF: s = "connection closed during handshake"; break;
	case TLS_E_EOF: s = "connection closed without close_notify"; break;
	case TLS_E_SOCKET:
		snprintf(t->msg, sizeof t->msg, "socket error: %s", strerror(sock_errno));
		return;
	case BR_ERR_X509_NOT_TRUSTED: s = "certificate not trusted"; break;
	case BR_ERR_X509_BAD_SERVER_NAME: s = "server name mismatch"; break;
	case BR_ERR_X509_EXPIRED: s = "certificate expired or not yet valid"; break;
	case BR_ERR_X509_TIME_UNKNOWN: s = "certificate dates cannot be checked"; break;
	case BR_ERR_X509_NOT_CA: s = "certificate issuer is not a CA"; break;
	case BR_ERR_X509_BAD_SIGNATURE: s = "bad certificate signature"; break;
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE: s = "certificate key usage forbids this use"; break;
	case BR_ERR_X509_WEAK_PUBLIC_KEY: s = "certificate key too weak"; break;
	case BR_ERR_X509_EMPTY_CHAIN: s = "peer sent no certificate"; break;
	case BR_ERR_X509_UNSUPPORTED: s = "unsupported certificate"; break;
	case BR_ERR_UNSUPPORTED_VERSION: case BR_ERR_BAD_VERSION:
		s = "unsupported protocol version (TLS 1.2 required)"; break;
	case BR_ERR_BAD_CIPHER_SUITE: s = "no common cipher suite"; break;
	case BR_ERR_BAD_MAC: s = "bad record MAC"; break;
	case BR_ERR_NO_RANDOM: s = "no random source"; break;
	case BR_ERR_UNEXPECTED: s = "unexpected message"; break;
	case BR_ERR_BAD_HANDSHAKE: s = "malformed handshake message"; break;
	case BR_ERR_BAD_SIGNATURE: s = "bad handshake signature"; break;
	case BR_ERR_TOO_LARGE: s = "record too large"; break;
	default: break;
	}
	if (s) {
		snprintf(t->msg, sizeof t->msg, "%s", s);
		return;
	}
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_RECV_FATAL_ALERT + 256) {
		int a = e - BR_ERR_RECV_FATAL_ALERT;
		const char *n = alert_name(a);
		snprintf(t->msg, sizeof t->msg, n ? "peer sent alert %d (%s)" : "peer sent alert %d",
			a, n);
	} else if (e >= BR_ERR_SEND_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT + 256) {
		int a = e - BR_ERR_SEND_FATAL_ALERT;
		const char *n = alert_name(a);
		snprintf(t->msg, sizeof t->msg, n ? "sent alert %d (%s)" : "sent alert %d", a, n);
	} else if (e >= BR_ERR_X509_OK && e < BR_ERR_RECV_FATAL_ALERT) {
		snprintf(t->msg, sizeof t->msg, "bad certificate (X.509 error %d)", e);
	} else {
		snprintf(t->msg, sizeof t->msg, "TLS error %d", e);
	}
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

ssize_t tls_write(struct tls *t, int fd, const void *buf, size_t len)
{
	const unsigned char *src = buf;
	size_t done = 0;
	if (len == 0)
		return 0;
	while (done < len) {
		int r = pump(t, fd, BR_SSL_SENDAPP);
		if (r <= 0) {
			if (done)
				break;
			if (r == 0)
				errno = EPIPE;	/* the peer closed: nothing more goes out */
			return -1;
		}
		size_t avail;
		unsigned char *p = br_ssl_engine_sendapp_buf(t->eng, &avail);
		if (avail > len - done)
			avail = len - done;
		memcpy(p, src + done, avail);
		/* A full buffer becomes a record inside the ack. */
		br_ssl_engine_sendapp_ack(t->eng, avail);
		done += avail;
	}
	/* Seal what is buffered into a record and push as far as the socket
	 * takes; the rest goes out with tls_flush() or the next call. An error
	 * here is sticky and reported by the next call. */
	br_ssl_engine_flush(t->eng, 0);
	(void)push_records(t, fd);
	return (ssize_t)done;
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
