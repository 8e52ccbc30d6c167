# aarch64-linux-musl: Raspberry Pi 3/4/5 (64-bit OS), arm64 boards and routers.
# Compiler here: Debian's musl-dev:arm64 (multiarch; tools/deps.sh cross).
TARGET := aarch64-linux-musl
MUSL_CC ?= aarch64-linux-musl-gcc
GNU ?= aarch64-linux-gnu
QEMU ?= qemu-aarch64-static
ARCH_CFLAGS ?=
SIZE_BUDGET_KB ?= 250
include $(dir $(lastword $(MAKEFILE_LIST)))musl.mk
