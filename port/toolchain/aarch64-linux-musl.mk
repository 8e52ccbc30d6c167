# aarch64-linux-musl: Raspberry Pi 3/4/5 (64-bit OS), arm64 boards and routers.
# Compiler here: Debian's musl-dev:arm64 (multiarch; tools/deps.sh cross).
TARGET := aarch64-linux-musl
MUSL_CC ?= aarch64-linux-musl-gcc
GNU ?= aarch64-linux-gnu
QEMU ?= qemu-aarch64-static
# -mcmodel=tiny: the whole program within 1 MB, so one ADR instead of an
# ADRP+ADD pair reaches any symbol (7.7 KB less).
ARCH_CFLAGS ?= -mcmodel=tiny
# Segments aligned to 16 KB instead of ld's default 64 KB: 16 KB less file
# padding, and it still loads on the 16 KB-page kernel of the Pi 5 (and on
# 4 KB pages everywhere else; not on 64 KB-page kernels). A small common
# page size lets the data segment start right after the code in the file
# (the page they share is mapped twice, as the kernel allows) instead of on
# the next 4 KB boundary: up to 4 KB less file, and no 4 KB steps in size.
ARCH_LDFLAGS ?= -Wl,-z,max-page-size=16384 -Wl,-z,common-page-size=64
# Size budgets of the stripped llmgw per profile (make cross; README "Size").
SIZE_BUDGET_KB_full ?= 384
SIZE_BUDGET_KB_tiny ?= 250
include $(dir $(lastword $(MAKEFILE_LIST)))musl.mk
