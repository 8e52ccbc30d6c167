/*
 * certgen.h - `llmgw certgen`: a key and a self-signed certificate for
 * serving the gateway over TLS on the LAN without a public CA (llmgw's own
 * TLS listener: the command prints the `config listen` lines to use).
 *
 * Makes an EC P-256 key and an X.509 v3 certificate signed with it
 * (ecdsa-with-SHA256): subject and issuer CN = the first name given,
 * subjectAltName = every host name (dNSName) and address (iPAddress,
 * IPv4 and IPv6), basicConstraints CA:FALSE, keyUsage digitalSignature,
 * extKeyUsage serverAuth, a random 128-bit serial, valid from an hour
 * before now for `days` days (825 at most: Apple's limit for TLS server
 * certificates). The DER is written here (der.h); BearSSL does the key
 * generation, the signature and the PEM armour.
 *
 * Files: DIR/llmgw-cert.pem (0644) and DIR/llmgw-key.pem (PKCS#8, 0600,
 * created with that mode, never readable by others even for an instant);
 * each written to a temporary name and renamed into place. Existing files
 * are kept unless `force`.
 *
 * Command-line only: it blocks on the disk and on the kernel's random
 * source; never called by the running gateway. Key material on the stack
 * is wiped before returning.
 */
#ifndef LLMGW_CERTGEN_H
#define LLMGW_CERTGEN_H

#include <stddef.h>
#include <stdint.h>

#define CERTGEN_MAX_NAMES 16
#define CERTGEN_MAX_DAYS 825

struct certgen_req {
	const char *hosts[CERTGEN_MAX_NAMES];	/* DNS names */
	unsigned nhosts;
	const char *ips[CERTGEN_MAX_NAMES];	/* IPv4/IPv6 literals */
	unsigned nips;
	const char *out_dir;			/* NULL: the current directory */
	unsigned days;				/* 0: CERTGEN_MAX_DAYS */
	int force;				/* overwrite existing files */
};

struct certgen_result {
	char cert_path[4096], key_path[4096];
	char fingerprint[96];		/* SHA-256 of the DER, "AB:CD:..." */
	int64_t not_after;		/* unix seconds */
};

/* Checks req, makes the key and certificate and writes both files.
 * now: the unix time (the caller refuses a clock that is obviously unset).
 * Returns 0, or -1 with a message in err. */
int certgen_make(const struct certgen_req *req, int64_t now, struct certgen_result *res, char *err, size_t errlen);

/* The command `llmgw certgen ARGS...`: parses argv (after the word
 * "certgen"), runs certgen_make, and writes the report (files, the
 * fingerprint, one setup line per client kind) to fd 1, errors to fd 2.
 * Returns the process exit status. */
int certgen_main(int argc, char **argv);

#endif
