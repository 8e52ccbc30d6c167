# mips-linux-musl: MIPS32r2 big-endian (Qualcomm Atheros ath79 routers).
# Debian 12 has no mips architecture any more, so no musl-dev:mips: musl is
# built from Debian's musl source package with gcc-mips-linux-gnu by
# tools/musl.sh into build/toolchain/mips-linux-musl (tools/deps.sh cross).
TARGET := mips-linux-musl
mips16_keep_stubs := $(dir $(lastword $(MAKEFILE_LIST)))mips16-keep-stubs.ld
MUSL_CC ?= $(abspath build/toolchain/mips-linux-musl/bin/mips-linux-musl-gcc)
GNU ?= mips-linux-gnu
QEMU ?= qemu-mips-static
# MIPS16e: the compressed instruction set every MIPS32r2 router core has
# (24Kc in ath79, 1004Kc in MT7621, 74Kc); OpenWrt builds packages with it
# too (CONFIG_USE_MIPS16). About 20 % less code than plain MIPS32;
# -minterlink-compressed lets it call musl's plain MIPS32 code.
# -mno-abicalls and the stub script: as in mipsel-linux-musl.mk.
ARCH_CFLAGS ?= -mips32r2 -mips16 -minterlink-compressed -mno-abicalls -fno-pic
ARCH_LDFLAGS ?= -Wl,-T,$(mips16_keep_stubs)
SIZE_BUDGET_KB ?=
include $(dir $(lastword $(MAKEFILE_LIST)))musl.mk
