/*
 * ec_bench.c - runs one elliptic-curve operation of one BearSSL
 * implementation N times, for choosing the P-256 code per target
 * (src/tls.c, README "Size"). tools/ec-bench.sh runs it under the target's
 * qemu and counts the instructions it executes.
 *
 *     ec_bench IMPL OP N
 *
 * IMPL: prime_i31, prime_i15 (BearSSL's generic code for P-256/384/521),
 * p256_m31, p256_m15 (its P-256-only code), c25519_i31 (X25519).
 * OP: mul (a point times a scalar: the ECDHE shared secret), mulgen (the
 * generator times a scalar: the ECDHE key share), muladd (x*A + y*G: an
 * ECDSA signature check). N = 0 does only the set-up, which an instruction
 * count subtracts. Prints the operations per second of CPU time
 * (CLOCK_PROCESS_CPUTIME_ID: under emulation, qemu's own CPU time, so only
 * relative to one another, but less disturbed by a busy machine than wall
 * time); exits 1 when an operation fails.
 *
 * Owner: tools only; links against libbearssl.a, never part of llmgw.
 */
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *name;
	const br_ec_impl *impl;
	int curve;
} impls[] = {
	{ "prime_i31", &br_ec_prime_i31, BR_EC_secp256r1 },
	{ "prime_i15", &br_ec_prime_i15, BR_EC_secp256r1 },
	{ "p256_m31", &br_ec_p256_m31, BR_EC_secp256r1 },
	{ "p256_m15", &br_ec_p256_m15, BR_EC_secp256r1 },
	{ "c25519_i31", &br_ec_c25519_i31, BR_EC_curve25519 },
};

/* Two fixed scalars below every curve's order (their top byte is small). */
static const unsigned char sx[32] = {
	0x1d, 0x4b, 0x2f, 0x93, 0x6a, 0x0e, 0xc7, 0x58, 0x31, 0x9a, 0x44, 0xe2, 0x7b, 0x06, 0xd5, 0x8c,
	0x21, 0xf0, 0x5e, 0x97, 0x3c, 0xa8, 0x12, 0x6f, 0xbe, 0x49, 0x83, 0x0d, 0x74, 0xe5, 0x2a, 0x61,
};
static const unsigned char sy[32] = {
	0x0a, 0x62, 0xd1, 0x38, 0x9f, 0x45, 0x0c, 0xb7, 0x13, 0xee, 0x50, 0x29, 0x86, 0x7d, 0xc4, 0x3b,
	0x95, 0x08, 0x6e, 0xf1, 0x27, 0xdc, 0x4a, 0xb3, 0x5f, 0x16, 0x89, 0xe0, 0x72, 0x3d, 0xa4, 0x0b,
};

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s IMPL mul|mulgen|muladd N\n", argv[0]);
		return 2;
	}
	const br_ec_impl *ec = NULL;
	int curve = 0;
	for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++)
		if (strcmp(argv[1], impls[i].name) == 0) {
			ec = impls[i].impl;
			curve = impls[i].curve;
		}
	const char *op = argv[2];
	long n = atol(argv[3]);
	if (!ec || n < 0 || (strcmp(op, "mul") && strcmp(op, "mulgen") && strcmp(op, "muladd"))) {
		fprintf(stderr, "%s: unknown implementation or operation, or N < 0\n", argv[0]);
		return 2;
	}
	if (curve == BR_EC_curve25519 && strcmp(op, "mul")) {
		fprintf(stderr, "%s: X25519 has only mul\n", argv[0]);
		return 2;
	}

	/* A starting point: the generator (X25519: its u coordinate); muladd
	 * adds x*Q to y*G, with Q = y*G. */
	unsigned char p[65], q[65];
	size_t plen;
	const unsigned char *g = ec->generator(curve, &plen);
	memcpy(p, g, plen);
	if (strcmp(op, "muladd") == 0 && ec->mulgen(q, sy, sizeof sy, curve) != plen)
		return 1;

	struct timespec t0, t1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	uint32_t ok = 1;
	for (long i = 0; i < n; i++) {
		if (strcmp(op, "mul") == 0)
			ok &= ec->mul(p, plen, sx, sizeof sx, curve);
		else if (strcmp(op, "mulgen") == 0)
			ok &= ec->mulgen(p, sx, sizeof sx, curve) == plen;
		else {
			memcpy(p, q, plen);
			ok &= ec->muladd(p, NULL, plen, sx, sizeof sx, sy, sizeof sy, curve);
		}
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (n > 0)
		printf("%s %s %ld: %.1f per second\n", argv[1], op, n, (double)n / s);
	return ok ? 0 : 1;
}
