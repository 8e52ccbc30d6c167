# mipsel-linux-musl: MIPS32r2 little-endian (MediaTek MT7621/MT7628 routers).
# Compiler here: Debian's musl-dev:mipsel (multiarch; tools/deps.sh cross).
# Debian's mipsel libc is hard-float; OpenWrt kernels emulate the FPU on
# FPU-less SoCs, and llmgw does almost no floating point. The OpenWrt SDK
# build (port/openwrt) uses OpenWrt's own soft-float toolchain.
TARGET := mipsel-linux-musl
mips16_keep_stubs := $(dir $(lastword $(MAKEFILE_LIST)))mips16-keep-stubs.ld
MUSL_CC ?= mipsel-linux-musl-gcc
GNU ?= mipsel-linux-gnu
QEMU ?= qemu-mipsel-static
# MIPS16e: the compressed instruction set every MIPS32r2 router core has
# (24Kc in ath79, 1004Kc in MT7621, 74Kc); OpenWrt builds packages with it
# too (CONFIG_USE_MIPS16). About 20 % less code than plain MIPS32;
# -minterlink-compressed lets it call musl's plain MIPS32 code.
# -mno-abicalls: a static binary needs no position-independent calls (each
# PIC call reloads $gp and goes through the GOT); 55 KB less on mipsel. ld
# warns "linking abicalls files with non-abicalls files" (musl's libc.a is
# PIC) and puts a small stub before each libc function that sets up $t9.
# mips16-keep-stubs.ld says why MIPS16 without abicalls needs it.
ARCH_CFLAGS ?= -mips32r2 -mips16 -minterlink-compressed -mno-abicalls -fno-pic
ARCH_LDFLAGS ?= -Wl,-T,$(mips16_keep_stubs)
SIZE_BUDGET_KB ?= 250
include $(dir $(lastword $(MAKEFILE_LIST)))musl.mk
