# mips-linux-musl: MIPS32r2 big-endian (Qualcomm Atheros ath79 routers).
# Debian 12 has no mips architecture any more, so no musl-dev:mips: musl is
# built from Debian's musl source package with gcc-mips-linux-gnu by
# tools/musl.sh into build/toolchain/mips-linux-musl (tools/deps.sh cross).
TARGET := mips-linux-musl
MUSL_CC ?= $(abspath build/toolchain/mips-linux-musl/bin/mips-linux-musl-gcc)
GNU ?= mips-linux-gnu
QEMU ?= qemu-mips-static
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
SIZE_BUDGET_KB ?=
include $(dir $(lastword $(MAKEFILE_LIST)))musl.mk
