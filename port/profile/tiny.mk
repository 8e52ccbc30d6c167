# port/profile/tiny.mk - the tiny build (PROFILE=tiny) for routers with
# 8 MB of flash: 250 KB (256,000 B) stripped on aarch64 and mipsel
# (SIZE_BUDGET_KB_tiny in the toolchain files).
#
# In: the OpenAI, Anthropic and Gemini dialects, the TLS client (X25519,
# P-256/384/521, RSA and ECDSA chains), routing and failover, health and
# probes, usage, prices and budgets, /healthz and /v1/models.
# Out (src/options.h says what each answers when asked for):
#   LLMGW_STATUS_PAGE=0  /status and /status.json
#   LLMGW_METRICS=0      /metrics
#   LLMGW_CERTGEN=0      `llmgw certgen` (make the certificate on another
#                        machine; the tiny build serves no TLS itself)
#   LLMGW_TLS_LISTEN=0   the TLS listener (`config listen` sections): BearSSL's
#                        server side does not fit; plain `listen` and
#                        allow_cidr stay
#   LLMGW_TLS_P256_M31=0 on aarch64 only: P-256 with the generic code, about
#                        twice the instructions per handshake operation.
#                        BearSSL's fast P-256 code is 8 KB of the tiny build
#                        there and would leave under 5 KB of the budget;
#                        the MIPS builds keep it with 25 KB to spare, and
#                        MIPS routers are the slow ones (README "Size").
#   LLMGW_SECCOMP=0      on aarch64 only: the system call filter, 760 B
#                        there (README "Security"); the other builds keep it.
#   LLMGW_TLS_X25519=0   on aarch64 only: X25519 key exchange, 2 KB there;
#                        TLS uses ECDHE over P-256, which every provider
#                        offers (the other builds keep X25519).
# Lazy (=): TARGET is known only after this file is read.
PROFILE_CFLAGS = -DLLMGW_STATUS_PAGE=0 -DLLMGW_METRICS=0 -DLLMGW_CERTGEN=0 -DLLMGW_TLS_LISTEN=0 \
	$(if $(filter aarch64-%,$(TARGET)),-DLLMGW_TLS_P256_M31=0 -DLLMGW_SECCOMP=0 -DLLMGW_TLS_X25519=0)
