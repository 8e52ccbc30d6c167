# mipsel-linux-musl: MIPS32r2 little-endian (MediaTek MT7621/MT7628 routers).
# Compiler here: Debian's musl-dev:mipsel (multiarch; tools/deps.sh cross).
# Debian's mipsel libc is hard-float; OpenWrt kernels emulate the FPU on
# FPU-less SoCs, and llmgw does almost no floating point. The OpenWrt SDK
# build (port/openwrt) uses OpenWrt's own soft-float toolchain.
TARGET := mipsel-linux-musl
MUSL_CC ?= mipsel-linux-musl-gcc
GNU ?= mipsel-linux-gnu
QEMU ?= qemu-mipsel-static
# MIPS16e: the compressed instruction set every MIPS32r2 router core has
# (24Kc in ath79, 1004Kc in MT7621, 74Kc); OpenWrt builds packages with it
# too (CONFIG_USE_MIPS16). About 20 % less code than plain MIPS32;
# -minterlink-compressed lets it call musl's plain MIPS32 code.
ARCH_CFLAGS ?= -mips32r2 -mips16 -minterlink-compressed
# No LTO with MIPS16: gcc 12 then loses the ISA bit on returns through the
# hard-float call stubs (test_status crashed under qemu with it).
LTO ?=
# The TLS glue (src/tls.c, src/tls_server.c) stays plain MIPS32: built as
# MIPS16 by gcc 12 it crashes in the handshake under qemu (test_tls, a
# write into the text segment; root cause not found), and it is the code
# that wants the faster instruction set anyway.
%/src/tls.o %/src/tls_server.o: ARCH_CFLAGS = -mips32r2 -minterlink-compressed
SIZE_BUDGET_KB ?= 250
include $(dir $(lastword $(MAKEFILE_LIST)))musl.mk
