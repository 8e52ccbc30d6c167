# mipsel-linux-musl: MIPS32r2 little-endian (MediaTek MT7621/MT7628 routers).
# Compiler here: Debian's musl-dev:mipsel (multiarch; tools/deps.sh cross).
# Debian's mipsel libc is hard-float; OpenWrt kernels emulate the FPU on
# FPU-less SoCs, and llmgw does almost no floating point. The OpenWrt SDK
# build (port/openwrt) uses OpenWrt's own soft-float toolchain.
TARGET := mipsel-linux-musl
MUSL_CC ?= mipsel-linux-musl-gcc
GNU ?= mipsel-linux-gnu
QEMU ?= qemu-mipsel-static
# Size budgets of the stripped llmgw per profile (make cross; README "Size").
SIZE_BUDGET_KB_full ?= 384
SIZE_BUDGET_KB_tiny ?= 250
include $(dir $(lastword $(MAKEFILE_LIST)))mips16.mk
