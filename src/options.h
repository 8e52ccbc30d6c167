/*
 * options.h - compile-time switches, dropbear-style: every switch has a
 * default here, and a build overrides it with -D on the command line, e.g.
 *     make TOOLCHAIN=port/toolchain/mipsel-linux-musl.mk \
 *          CFLAGS='-DLLMGW_DIALECT_GEMINI=0 -DLLMGW_STATUS_PAGE=0'
 * 1 builds the feature in, 0 leaves it out. Leaving a feature out must give
 * a clear runtime answer (a config error naming the switch at `llmgw -t`,
 * or a 404/501 for its endpoint), never a silent change of behaviour. The
 * defaults are the full build. A build profile is a set of these switches
 * in one file, port/profile/<name>.mk (`make PROFILE=tiny`: tiny leaves out
 * LLMGW_STATUS_PAGE and LLMGW_METRICS, and LLMGW_TLS_P256_M31 on aarch64);
 * README "Size" lists the sizes of both profiles.
 *
 * How a switch is wired: the code stays compiled in every build; the few
 * places that call into a feature test the macro as a constant
 * (`if (LLMGW_USAGE && ...)`, `#if` only where a table is named), so -Os,
 * --gc-sections (and LTO) drop the module, and a switch cannot bit-rot.
 * `llmgw -V` lists the switches a binary was built without;
 * tools/test-options.sh builds the smallest one and the tiny profile and
 * checks every answer.
 *
 * Sizes below: what each switch alone changes in the stripped static musl
 * binary of `make TOOLCHAIN=...` (aarch64 and mipsel, LTO as one
 * partition), measured 2026-11-28 against that day's default build
 * (aarch64 255,312 B, mipsel 232,860 B). LTO moves a few hundred
 * bytes either way whatever a switch removes. All the switches below at 0
 * together, TLS still in: aarch64 193,816 B, mipsel 181,608 B. The TLS
 * curve switches (X25519, P256_M31) were measured 2026-12-08 against the
 * full build of that day.
 *
 * The modules in src/ test each switch themselves; this file only
 * documents them and gives the defaults. Plain macros only; no code.
 */
#ifndef LLMGW_OPTIONS_H
#define LLMGW_OPTIONS_H

/* Dialects (client side and provider types of that dialect). OpenAI's is
 * always in: it is the one every OpenAI-compatible service speaks.
 * Gemini: dialect_gemini.c, the /v1beta/models/... endpoints and the
 * `gemini` provider type. Saves 16.0 KB aarch64 / 13.7 KB mipsel, plus
 * 27 KB of bss (memory, not file). Off: type 'gemini' is a config error
 * ("provider type 'gemini' is not in this build (LLMGW_DIALECT_GEMINI=0)"),
 * /v1beta/models/... answers 501 in Gemini's error shape, and the embedded
 * default config warns when GEMINI_API_KEY is set. */
#ifndef LLMGW_DIALECT_GEMINI
#define LLMGW_DIALECT_GEMINI 1
#endif
/* Anthropic: dialect_anthropic.c, /v1/messages, count_tokens and the
 * `anthropic` provider type. Saves 14.5 KB aarch64 / 11.7 KB mipsel. Off:
 * as for Gemini (config error for type 'anthropic'; /v1/messages and
 * /v1/messages/count_tokens answer 501 in Anthropic's error shape). */
#ifndef LLMGW_DIALECT_ANTHROPIC
#define LLMGW_DIALECT_ANTHROPIC 1
#endif

/* Monitoring. /status and /status.json (status.c): saves 7.2 KB aarch64 /
 * 6.0 KB mipsel. /metrics in the Prometheus text format (metrics.c and its
 * counters): saves 4.0 KB / 4.4 KB. Off: the page answers 404 "... is not
 * in this build (LLMGW_X=0)"; `option status_page 1` / `option metrics 1`
 * is a config error (the option's default follows the switch). */
#ifndef LLMGW_STATUS_PAGE
#define LLMGW_STATUS_PAGE 1
#endif
#ifndef LLMGW_METRICS
#define LLMGW_METRICS 1
#endif

/* Active probes of each provider's free list-models call (probe.c): saves
 * 48 B aarch64 / 1.2 KB mipsel (LTO had folded most of it into code that
 * stays). Off: health comes from real requests
 * only; probe_interval defaults to 0, and a non-zero probe_interval or any
 * probe_interval_open is a config error. */
#ifndef LLMGW_PROBES
#define LLMGW_PROBES 1
#endif

/* Cost accounting: the price table (prices.c), per-client usage totals and
 * their file in state_dir (usage.c), client limits and budgets,
 * x-llmgw-cost-usd, the `cheapest` route strategy. Saves 8.0 KB aarch64 /
 * 10.0 KB mipsel. Off: no prices, no totals (/metrics leaves out the token
 * and money families; /status shows them as 0 and says "built with
 * LLMGW_USAGE=0" where the price table's date goes). Config errors:
 * strategy cheapest, min_quality, client rpm/tpm/daily_usd/monthly_usd
 * (non-zero), target prices and quality. The request header
 * x-llmgw-route-strategy: cheapest answers 501. state_dir and
 * flush_interval are accepted and unused. (musl's printf keeps its
 * floating-point code either way: it is one function.) */
#ifndef LLMGW_USAGE
#define LLMGW_USAGE 1
#endif

/* TLS to providers. Off: http:// providers only (a local Ollama, llama.cpp
 * or vLLM; an https:// base_url is a config error), no BearSSL at all. */
#ifndef LLMGW_TLS
#define LLMGW_TLS 1
#endif
/* The cipher suites offered: 1 = only ECDHE with AES-128/256-GCM and
 * ChaCha20-Poly1305, TLS 1.2, P-256/P-384/P-521 (X25519: below), RSA and
 * ECDSA certificates (what every provider API serves), set up suite by suite
 * instead of br_ssl_client_init_full(), which links every BearSSL
 * algorithm (CBC, 3DES, static RSA key exchange, ...): 40-60 KB less.
 * 0 = BearSSL's full client profile. */
#ifndef LLMGW_TLS_MINIMAL_SUITES
#define LLMGW_TLS_MINIMAL_SUITES 1
#endif
/* X25519 key exchange, next to P-256/P-384/P-521 (with the minimal
 * suites): BearSSL's br_ec_c25519_i31, which shares the generic big-integer
 * code of the P-384/P-521 curves. On in both profiles: it is what most
 * servers prefer, and a server that allows X25519 only (a hardened nginx
 * with `ssl_ecdh_curve X25519`) fails the handshake without it ("peer sent
 * alert 40 (handshake failure)" in the log; make check builds test_tls a
 * second time with 0 to check that, tools/test-options.sh). Costs 1.2 KB
 * aarch64 / 0.7 KB mipsel. */
#ifndef LLMGW_TLS_X25519
#define LLMGW_TLS_X25519 1
#endif
/* P-256 (the curve of nearly every provider's key exchange and
 * certificates) with BearSSL's P-256-only code, br_ec_p256_m31, instead of
 * its generic br_ec_prime_i31, which P-384/P-521 use anyway: a P-256
 * operation in about half the instructions on aarch64 and mipsel (src/tls.c
 * has the counts), for 5.3 KB aarch64 / 7.7 KB mipsel in the full build.
 * The tiny profile turns it off on aarch64 only, for room (8 KB there;
 * port/profile/tiny.mk): each new provider connection then spends a few
 * milliseconds more in its handshake (keep-alive and session resumption
 * make new handshakes rare). */
#ifndef LLMGW_TLS_P256_M31
#define LLMGW_TLS_P256_M31 1
#endif
/* RSA certificate chains (most APIs are ECDSA behind CDNs, but not all).
 * Off leaves out BearSSL's RSA verification (48 B aarch64 / 752 B mipsel:
 * its big-integer code stays for the elliptic curves); a provider with an
 * RSA chain then fails its handshake with a clear log line. */
#ifndef LLMGW_TLS_RSA
#define LLMGW_TLS_RSA 1
#endif

/* The TLS listener: `config listen` sections (tls_cert, tls_key,
 * allow_cidr) and BearSSL's server side in llmgw (tls_server.c: server
 * handshake, session cache, private keys, ECDSA and RSA signing). Needs
 * LLMGW_TLS. The tiny profile leaves it out (about 20 KB; the tiny aarch64
 * build has under 5 KB to spare). Off: a `config listen` section and
 * max_tls_connections are config errors naming the switch; the gateway's
 * plain `listen` and `allow_cidr` stay. */
#ifndef LLMGW_TLS_LISTEN
#define LLMGW_TLS_LISTEN LLMGW_TLS
#endif

/* Logging to syslog (option syslog). Off: stderr only (procd and systemd
 * both collect stderr). log.c talks to /dev/log itself, so this saves
 * nothing now (measured 280 B larger on aarch64, 288 B on mipsel: LTO).
 * `option syslog 1` is a config error (the
 * OpenWrt package's default config sets it: a build for it with this
 * switch off needs that line changed to 0). */
#ifndef LLMGW_SYSLOG
#define LLMGW_SYSLOG 1
#endif

/* The seccomp filter (port/seccomp_linux.c): after start-up llmgw may
 * make only the system calls it needs (README "Security"); any other one
 * ends the process with "llmgw: seccomp: system call N is not allowed" on
 * stderr and exit status 159. Linux on x86_64, aarch64, arm, mipsel and
 * mips; elsewhere, on kernels without seccomp filters and under qemu-user
 * llmgw logs that it runs without the filter. 760 B in the tiny aarch64
 * build (measured 2026-12-08), which leaves it out for room
 * (port/profile/tiny.mk); the other tiny builds keep it. 2: log only (the kernel
 * logs each call outside the list as an audit record, type=1326 ...
 * syscall=N, and runs it): for checking the list after a change, with the
 * integration suite. */
#ifndef LLMGW_SECCOMP
#define LLMGW_SECCOMP 1
#endif

/* Not a switch: the named service types (groq, mistral, deepseek,
 * openrouter, ...). Leaving them out was measured at 168 bytes on aarch64,
 * since their names and key variables must stay to tell a config why its
 * type is refused; not worth a switch. */

/* LLMGW_CERTGEN: `llmgw certgen`, a key and self-signed certificate for
 * the TLS listener (certgen.c, der.c: EC key generation and ECDSA signing
 * from BearSSL). Needs LLMGW_TLS. */
#ifndef LLMGW_CERTGEN
#define LLMGW_CERTGEN LLMGW_TLS
#endif

#endif
