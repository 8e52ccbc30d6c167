/*
 * options.h - compile-time switches, dropbear-style: every switch has a
 * default here, and a build overrides it with -D on the command line, e.g.
 *     make TOOLCHAIN=port/toolchain/mipsel-linux-musl.mk \
 *          CFLAGS='-DLLMGW_DIALECT_GEMINI=0 -DLLMGW_STATUS_PAGE=0'
 * 1 builds the feature in, 0 leaves it out. Leaving a feature out must give
 * a clear runtime answer (a config error naming the switch at `llmgw -t`,
 * or a 404/501 for its endpoint), never a silent change of behaviour. The
 * defaults are the full build; README "Building for routers and the Pi"
 * lists the sizes of the default and the smallest build.
 *
 * Owner: the lead wires each switch into src/ (this file only documents
 * them and gives the defaults). Plain macros only; no code.
 */
#ifndef LLMGW_OPTIONS_H
#define LLMGW_OPTIONS_H

/* Dialects (client side and provider types of that dialect). OpenAI's is
 * always in: it is the one every OpenAI-compatible service speaks.
 * Gemini: dialect_gemini.c, the /v1beta/models/... endpoints and the
 * `gemini` provider type (about 50 KB on aarch64, most of it a 27 KB table
 * of call ids that could be made at start-up instead). */
#ifndef LLMGW_DIALECT_GEMINI
#define LLMGW_DIALECT_GEMINI 1
#endif
/* Anthropic: dialect_anthropic.c, /v1/messages, count_tokens and the
 * `anthropic` provider type (about 21 KB). */
#ifndef LLMGW_DIALECT_ANTHROPIC
#define LLMGW_DIALECT_ANTHROPIC 1
#endif

/* Monitoring. /status and /status.json (status.c, about 11 KB) and
 * /metrics in the Prometheus text format (metrics.c, about 11 KB). */
#ifndef LLMGW_STATUS_PAGE
#define LLMGW_STATUS_PAGE 1
#endif
#ifndef LLMGW_METRICS
#define LLMGW_METRICS 1
#endif

/* Active probes of each provider's free list-models call (probe.c). Off:
 * health comes from real requests only. */
#ifndef LLMGW_PROBES
#define LLMGW_PROBES 1
#endif

/* Cost accounting: the price table (prices.c), per-client usage totals and
 * their file in state_dir (usage.c), x-llmgw-cost-usd, the `cheapest`
 * route strategy. Off: no prices, no totals, no floating-point printf. */
#ifndef LLMGW_USAGE
#define LLMGW_USAGE 1
#endif

/* TLS to providers. Off: http:// providers only (a local Ollama, llama.cpp
 * or vLLM; an https:// base_url is a config error), no BearSSL at all. */
#ifndef LLMGW_TLS
#define LLMGW_TLS 1
#endif
/* The cipher suites offered: 1 = only ECDHE with AES-128/256-GCM and
 * ChaCha20-Poly1305, TLS 1.2, P-256/P-384/X25519, RSA and ECDSA
 * certificates (what every provider API serves), set up suite by suite
 * instead of br_ssl_client_init_full(), which links every BearSSL
 * algorithm (CBC, 3DES, static RSA key exchange, ...): 40-60 KB less.
 * 0 = BearSSL's full client profile. */
#ifndef LLMGW_TLS_MINIMAL_SUITES
#define LLMGW_TLS_MINIMAL_SUITES 1
#endif
/* RSA certificate chains (most APIs are ECDSA behind CDNs, but not all).
 * Off saves BearSSL's RSA verification code; a provider with an RSA chain
 * then fails its handshake with a clear log line. */
#ifndef LLMGW_TLS_RSA
#define LLMGW_TLS_RSA 1
#endif

/* Logging to syslog (option syslog). Off: stderr only (procd and systemd
 * both collect stderr), musl's syslog client left out. */
#ifndef LLMGW_SYSLOG
#define LLMGW_SYSLOG 1
#endif

/* The named service types (groq, mistral, deepseek, openrouter, ...) with
 * their default base URLs and key variables. Off: `openai`,
 * `openai-compatible`, `anthropic`, `gemini` and the local servers only. */
#ifndef LLMGW_PROVIDER_PRESETS
#define LLMGW_PROVIDER_PRESETS 1
#endif

#endif
