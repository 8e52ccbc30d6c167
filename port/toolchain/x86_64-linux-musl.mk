# x86_64-linux-musl: x86-64 boxes and VMs (OpenWrt x86/64, any Linux).
# Compiler here: Debian's musl-tools/musl-dev (x86_64-linux-musl-gcc); runs
# natively, no emulator.
TARGET := x86_64-linux-musl
MUSL_CC ?= x86_64-linux-musl-gcc
GNU ?= x86_64-linux-gnu
QEMU ?=
ARCH_CFLAGS ?=
include $(dir $(lastword $(MAKEFILE_LIST)))musl.mk
