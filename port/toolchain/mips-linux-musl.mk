# mips-linux-musl: MIPS32r2 big-endian (Qualcomm Atheros ath79 routers).
# Debian 12 has no mips architecture any more, so no musl-dev:mips: musl is
# built from Debian's musl source package with gcc-mips-linux-gnu by
# tools/musl.sh into build/toolchain/mips-linux-musl (tools/deps.sh cross).
TARGET := mips-linux-musl
MUSL_CC ?= $(abspath build/toolchain/mips-linux-musl/bin/mips-linux-musl-gcc)
GNU ?= mips-linux-gnu
QEMU ?= qemu-mips-static
include $(dir $(lastword $(MAKEFILE_LIST)))mips16.mk
