/*
 * certgen.c - see certgen.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>	/* rename */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bearssl.h>
#include "certgen.h"
#include "der.h"
#include "fmt.h"
#include "port.h"
#include "util.h"

#define CERT_FILE "llmgw-cert.pem"
#define KEY_FILE "llmgw-key.pem"
/* The certificate is valid from an hour before now, so a client whose
 * clock is a little behind the router's accepts it at once. */
#define BACKDATE_S 3600
/* The TLS listener refuses a clock before this too (tls.c's floor). */
#define CLOCK_SET_AFTER 1704067200	/* 2024-01-01 */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A host name for a dNSName: labels of letters, digits and inner '-'
 * joined by '.' (a leading "*." for a wildcard), 1 to 253 characters. */
static int host_ok(const char *h)
{
	size_t n = strlen(h), label = 0;
	if (n == 0 || n > 253)
		return 0;
	if (h[0] == '*' && h[1] == '.')
		h += 2;
	for (const char *p = h; *p; p++) {
		char c = *p;
		if (c == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (c == '-' && label == 0)
			return 0;	/* a label neither starts nor ends with '-' */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && h[strlen(h) - 1] != '-';
}

/* An extension: SEQUENCE { extnID, [critical TRUE], extnValue OCTET
 * STRING { value } }, the value written by the caller between open and
 * close. */
static size_t ext_open(struct der *d, const char *oid, int critical, size_t *inner)
{
	size_t mark = der_open(d);
	der_oid(d, oid);
	if (critical)
		der_prim(d, DER_BOOLEAN, "\xff", 1);
	*inner = der_open(d);
	return mark;
}

static void ext_close(struct der *d, size_t mark, size_t inner)
{
	der_close(d, inner, DER_OCTET_STRING);
	der_close(d, mark, DER_SEQUENCE);
}

static void algorithm_ecdsa_sha256(struct der *d)
{
	size_t m = der_open(d);
	der_oid(d, "1.2.840.10045.4.3.2");	/* ecdsa-with-SHA256, no parameters (RFC 5758) */
	der_close(d, m, DER_SEQUENCE);
}

/* Name: one RDN, CN = cn. */
static void name_cn(struct der *d, const char *cn)
{
	size_t name = der_open(d), rdn = der_open(d), atv = der_open(d);
	der_oid(d, "2.5.4.3");	/* commonName */
	der_prim(d, DER_UTF8_STRING, cn, strlen(cn));
	der_close(d, atv, DER_SEQUENCE);
	der_close(d, rdn, DER_SET);
	der_close(d, name, DER_SEQUENCE);
}

/* The TBSCertificate into d. */
static void tbs(struct der *d, const struct certgen_req *req, const unsigned char ip[][16], const int *ip_v6,
		const unsigned char serial[16], const br_ec_public_key *pk, int64_t from, int64_t until)
{
	const char *cn = req->nhosts ? req->hosts[0] : req->ips[0];
	size_t cert = der_open(d);

	size_t v = der_open(d);
	der_small_int(d, 2);	/* v3 */
	der_close(d, v, DER_CONTEXT(0));
	der_uint(d, serial, 16);
	algorithm_ecdsa_sha256(d);
	name_cn(d, cn);
	size_t validity = der_open(d);
	der_time(d, from);
	der_time(d, until);
	der_close(d, validity, DER_SEQUENCE);
	name_cn(d, cn);

	size_t spki = der_open(d), alg = der_open(d);
	der_oid(d, "1.2.840.10045.2.1");	/* id-ecPublicKey */
	der_oid(d, "1.2.840.10045.3.1.7");	/* prime256v1 */
	der_close(d, alg, DER_SEQUENCE);
	der_bits(d, pk->q, pk->qlen);
	der_close(d, spki, DER_SEQUENCE);

	size_t exts_wrap = der_open(d), exts = der_open(d), inner, e;

	e = ext_open(d, "2.5.29.19", 1, &inner);	/* basicConstraints: CA:FALSE (the default, so empty) */
	size_t bc = der_open(d);
	der_close(d, bc, DER_SEQUENCE);
	ext_close(d, e, inner);

	e = ext_open(d, "2.5.29.15", 1, &inner);	/* keyUsage: digitalSignature (bit 0) */
	der_prim(d, DER_BIT_STRING, "\x07\x80", 2);	/* 7 unused bits, then 1000 0000 */
	ext_close(d, e, inner);

	e = ext_open(d, "2.5.29.37", 0, &inner);	/* extKeyUsage: serverAuth */
	size_t eku = der_open(d);
	der_oid(d, "1.3.6.1.5.5.7.3.1");
	der_close(d, eku, DER_SEQUENCE);
	ext_close(d, e, inner);

	e = ext_open(d, "2.5.29.17", 0, &inner);	/* subjectAltName */
	size_t san = der_open(d);
	for (unsigned i = 0; i < req->nhosts; i++)
		der_prim(d, DER_CONTEXT_PRIM(2), req->hosts[i], strlen(req->hosts[i]));	/* dNSName */
	for (unsigned i = 0; i < req->nips; i++)
		der_prim(d, DER_CONTEXT_PRIM(7), ip[i], ip_v6[i] ? 16 : 4);	/* iPAddress */
	der_close(d, san, DER_SEQUENCE);
	ext_close(d, e, inner);

	e = ext_open(d, "2.5.29.14", 0, &inner);	/* subjectKeyIdentifier: RFC 7093 method 1 */
	unsigned char h[32];
	br_sha256_context sc;
	br_sha256_init(&sc);
	br_sha256_update(&sc, pk->q, pk->qlen);
	br_sha256_out(&sc, h);
	der_prim(d, DER_OCTET_STRING, h, 20);
	ext_close(d, e, inner);

	der_close(d, exts, DER_SEQUENCE);
	der_close(d, exts_wrap, DER_CONTEXT(3));
	der_close(d, cert, DER_SEQUENCE);
}

/* Writes data to dir/name through a temporary file renamed into place,
 * created with mode (never wider, whatever the umask). */
static int write_file(const char *path, const void *data, size_t n, mode_t mode, char *err, size_t errlen)
{
	char tmp[4200];
	fmt_snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return fail(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
	const char *p = data;
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return fail(err, errlen, "cannot write %s: %s", tmp, strerror(e));
		}
		off += (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return fail(err, errlen, "cannot write %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return fail(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(e));
	}
	return 0;
}

static int pem(const char *banner, const unsigned char *der, size_t n, char *out, size_t cap)
{
	size_t need = br_pem_encode(NULL, der, n, banner, BR_PEM_LINE64);
	if (need + 1 > cap)
		return -1;
	return (int)br_pem_encode(out, der, n, banner, BR_PEM_LINE64);
}

int certgen_make(const struct certgen_req *req, int64_t now, struct certgen_result *res, char *err, size_t errlen)
{
	unsigned char ip[CERTGEN_MAX_NAMES][16];
	int ip_v6[CERTGEN_MAX_NAMES];
	unsigned days = req->days ? req->days : CERTGEN_MAX_DAYS;
	const char *dir = req->out_dir && *req->out_dir ? req->out_dir : ".";
	int rc = -1;

	memset(res, 0, sizeof *res);
	if (req->nhosts + req->nips == 0)
		return fail(err, errlen, "name at least one --host or --ip for the certificate");
	if (req->nhosts > CERTGEN_MAX_NAMES || req->nips > CERTGEN_MAX_NAMES)
		return fail(err, errlen, "at most %d host names and %d addresses", CERTGEN_MAX_NAMES, CERTGEN_MAX_NAMES);
	for (unsigned i = 0; i < req->nhosts; i++)
		if (!host_ok(req->hosts[i]))
			return fail(err, errlen, "'%s' is not a host name (letters, digits, '-' and '.')", req->hosts[i]);
	for (unsigned i = 0; i < req->nips; i++) {
		ip_v6[i] = strchr(req->ips[i], ':') != NULL;
		if (!fmt_ip_parse(ip_v6[i], req->ips[i], ip[i]))
			return fail(err, errlen, "'%s' is not an IPv4 or IPv6 address", req->ips[i]);
	}
	if (days > CERTGEN_MAX_DAYS)
		return fail(err, errlen, "--days %u: at most %d (clients refuse longer-lived server certificates)", days,
			    CERTGEN_MAX_DAYS);
	if (now < CLOCK_SET_AFTER)
		return fail(err, errlen, "the system clock is not set (it says %lld): set the time (NTP) first, "
			    "or the certificate's dates will be wrong", (long long)now);
	if (fmt_snprintf(res->cert_path, sizeof res->cert_path, "%s/%s", dir, CERT_FILE) >= (int)sizeof res->cert_path ||
	    fmt_snprintf(res->key_path, sizeof res->key_path, "%s/%s", dir, KEY_FILE) >= (int)sizeof res->key_path)
		return fail(err, errlen, "--out: path too long");
	if (!req->force && (access(res->cert_path, F_OK) == 0 || access(res->key_path, F_OK) == 0))
		return fail(err, errlen, "%s or %s exists already: remove it, choose another --out, or add --force",
			    res->cert_path, res->key_path);

	/* Key: BearSSL's HMAC-DRBG seeded from the kernel. */
	unsigned char seed[48], serial[16];
	if (port_random(seed, sizeof seed) < 0 || port_random(serial, sizeof serial) < 0)
		return fail(err, errlen, "no random bytes from the kernel: %s", strerror(errno));
	serial[0] &= 0x7f;	/* positive, and at most 16 bytes encoded */
	serial[0] |= 0x40;	/* no leading zero byte to drop */
	br_hmac_drbg_context rng;
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof seed);
	const br_ec_impl *ec = &br_ec_prime_i31;
	br_ec_private_key sk;
	br_ec_public_key pk;
	unsigned char skbuf[BR_EC_KBUF_PRIV_MAX_SIZE], pkbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	unsigned char certbuf[2048], sig[80], hash[32], keyder[256];
	char certpem[3072], keypem[512];
	if (br_ec_keygen(&rng.vtable, ec, &sk, skbuf, BR_EC_secp256r1) == 0 ||
	    br_ec_compute_pub(ec, &pk, pkbuf, &sk) == 0) {
		fail(err, errlen, "EC key generation failed");
		goto out;
	}

	struct der d;
	der_init(&d, certbuf, sizeof certbuf);
	size_t cert = der_open(&d);
	int64_t from = now - BACKDATE_S, until = now + (int64_t)days * 86400;
	tbs(&d, req, (const unsigned char(*)[16])ip, ip_v6, serial, &pk, from, until);
	if (d.overflow) {
		fail(err, errlen, "certificate too large (too many or too long names)");
		goto out;
	}
	br_sha256_context sc;
	br_sha256_init(&sc);
	br_sha256_update(&sc, certbuf + cert, d.len - cert);
	br_sha256_out(&sc, hash);
	size_t siglen = br_ecdsa_i31_sign_asn1(ec, &br_sha256_vtable, hash, &sk, sig);
	if (siglen == 0) {
		fail(err, errlen, "signing failed");
		goto out;
	}
	algorithm_ecdsa_sha256(&d);
	der_bits(&d, sig, siglen);
	der_close(&d, cert, DER_SEQUENCE);
	if (d.overflow) {
		fail(err, errlen, "certificate too large (too many or too long names)");
		goto out;
	}

	size_t keylen = br_encode_ec_pkcs8_der(keyder, &sk, &pk);
	int cl = pem("CERTIFICATE", certbuf, d.len, certpem, sizeof certpem);
	int kl = keylen ? pem("PRIVATE KEY", keyder, keylen, keypem, sizeof keypem) : -1;
	if (cl < 0 || kl < 0) {
		fail(err, errlen, "PEM encoding failed");
		goto out;
	}
	/* The key first: a certificate without its key is no use, a key
	 * without a certificate is just made again. */
	if (write_file(res->key_path, keypem, (size_t)kl, 0600, err, errlen) < 0 ||
	    write_file(res->cert_path, certpem, (size_t)cl, 0644, err, errlen) < 0)
		goto out;

	br_sha256_init(&sc);
	br_sha256_update(&sc, certbuf, d.len);
	br_sha256_out(&sc, hash);
	char *f = res->fingerprint;
	for (size_t i = 0; i < sizeof hash; i++) {
		if (i)
			*f++ = ':';
		fmt_snprintf(f, 3, "%02X", hash[i]);
		f += 2;
	}
	res->not_after = until;
	rc = 0;
out:
	/* The key material, wiped where a plain memset could be dropped. */
	explicit_bzero(skbuf, sizeof skbuf);
	explicit_bzero(seed, sizeof seed);
	explicit_bzero(keyder, sizeof keyder);
	explicit_bzero(keypem, sizeof keypem);
	explicit_bzero(&rng, sizeof rng);
	explicit_bzero(&sk, sizeof sk);
	return rc;
}

/* ---- the command ---- */

static const char usage_text[] =
	"usage: llmgw certgen --host NAME [--host NAME...] [--ip ADDRESS...] [--out DIR] [--days N] [--force]\n"
	"  makes an EC P-256 key and a self-signed certificate for the TLS listener:\n"
	"  DIR/llmgw-cert.pem and DIR/llmgw-key.pem (DIR: the current directory)\n";

int certgen_main(int argc, char **argv)
{
	struct certgen_req req;
	memset(&req, 0, sizeof req);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--force") == 0) {
			req.force = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fd_say(1, "%s", usage_text);
			return 0;
		}
		if (!v || (strcmp(a, "--host") && strcmp(a, "--ip") && strcmp(a, "--out") && strcmp(a, "--days"))) {
			fd_say(2, "llmgw certgen: %s '%s'\n%s", v ? "unknown argument" : "missing value after", a, usage_text);
			return 2;
		}
		i++;
		if (strcmp(a, "--host") == 0 || strcmp(a, "--ip") == 0) {
			int host = a[2] == 'h';
			unsigned *n = host ? &req.nhosts : &req.nips;
			if (*n == CERTGEN_MAX_NAMES) {
				fd_say(2, "llmgw certgen: at most %d of %s\n", CERTGEN_MAX_NAMES, a);
				return 2;
			}
			(host ? req.hosts : req.ips)[(*n)++] = v;
		} else if (strcmp(a, "--out") == 0) {
			req.out_dir = v;
		} else {
			unsigned long long days = 0;
			const char *p = v;
			while (*p >= '0' && *p <= '9' && days <= CERTGEN_MAX_DAYS)
				days = days * 10 + (unsigned)(*p++ - '0');
			if (*p || p == v || days == 0 || days > CERTGEN_MAX_DAYS) {
				fd_say(2, "llmgw certgen: --days '%s': a number of days from 1 to %d\n", v, CERTGEN_MAX_DAYS);
				return 2;
			}
			req.days = (unsigned)days;
		}
	}
	struct certgen_result res;
	char err[512];
	if (certgen_make(&req, (int64_t)time(NULL), &res, err, sizeof err) < 0) {
		fd_say(2, "llmgw certgen: %s\n", err);
		return 1;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(floor_div(res.not_after, 86400), &y, &m, &d);
	const char *c = res.cert_path;
	char cabs[PATH_MAX], kabs[PATH_MAX];
	const char *ca = realpath(res.cert_path, cabs) ? cabs : res.cert_path;
	const char *ka = realpath(res.key_path, kabs) ? kabs : res.key_path;
	fd_say(1, "wrote %s (mode 0600) and %s: EC P-256, self-signed, valid until %04lld-%02u-%02u\n"
	       "SHA-256 fingerprint: %s\n"
	       "\n"
	       "Trust it on each client (copy %s there and use its path):\n"
	       "  Node (openai, @anthropic-ai/sdk, @google/genai, ollama; Codex, Claude Code, Gemini CLI):\n"
	       "      export NODE_EXTRA_CA_CERTS=%s\n"
	       "  Python (openai, anthropic, google-genai, httpx):  export SSL_CERT_FILE=%s\n"
	       "  Python (requests):  export REQUESTS_CA_BUNDLE=%s\n"
	       "  Go, OpenSSL-based tools:  export SSL_CERT_FILE=%s\n"
	       "  curl:  curl --cacert %s https://HOST:8443/healthz\n"
	       "  Debian/Raspberry Pi OS, system-wide:  cp %s /usr/local/share/ca-certificates/llmgw.crt && update-ca-certificates\n"
	       "\n"
	       "Serve it: add to the configuration (/etc/config/llmgw or /etc/llmgw/llmgw.conf), then restart\n"
	       "llmgw (a renewed certificate at the same paths needs only SIGHUP: kill -HUP <pid>):\n"
	       "config listen 'lan_tls'\n"
	       "\toption address '0.0.0.0:8443'\n"
	       "\toption tls_cert '%s'\n"
	       "\toption tls_key '%s'\n"
	       "\t# list allow_cidr '192.168.1.0/24'   (optional: only these clients)\n",
	    res.key_path, c, (long long)y, m, d, res.fingerprint, CERT_FILE, c, c, c, c, c, c, ca, ka);
	return 0;
}
