# port/toolchain/musl.mk - what every musl toolchain file shares; included
# by port/toolchain/<target>.mk after it set:
#   TARGET    the build directory's name: build/$(TARGET)/
#   MUSL_CC   the musl compiler driver (Debian's musl-dev:<arch> wrapper
#             <triplet>-gcc, or any musl cross gcc: musl.cc, musl-cross-make,
#             the OpenWrt SDK's <arch>-openwrt-linux-musl-gcc)
#   GNU       the binutils prefix used when no <musl triplet>-ar exists
#             (Debian's wrappers bring only gcc; ar/strip are GNU binutils)
#   QEMU      the qemu-user emulator `make check` runs target binaries with
#             (empty: runs natively)
#   SIZE_BUDGET_KB_full, SIZE_BUDGET_KB_tiny  optional: the stripped llmgw
#             of that profile must not be larger (KB of 1024 B)
#   ARCH_CFLAGS / ARCH_LDFLAGS  optional: the target's own flags
# CC, AR, STRIP, REL_CFLAGS and REL_LDFLAGS can all be overridden on the
# command line or from the environment.

ifeq ($(origin CC),default)
CC := $(MUSL_CC)
endif
# <triplet>-ar next to the compiler if there is one, else GNU binutils.
musl_bin = $(or $(shell command -v $(patsubst %gcc,%$(1),$(firstword $(MUSL_CC))) 2>/dev/null),$(GNU)-$(1))
# Link-time optimisation of llmgw and BearSSL (bearssl.sh gets it too) as
# one partition, the whole program seen at once: about 10 KB less on
# aarch64 and mipsel (one partition instead of gcc's parallel ones: 3 KB;
# BearSSL in it: 1 KB). The archives of LTO objects need the compiler's ar
# wrapper, gcc-ar. LTO= turns it off.
LTO ?= -flto -flto-partition=one
ifeq ($(origin AR),default)
AR := $(call musl_bin,$(if $(LTO),gcc-ar,ar))
endif
STRIP ?= $(call musl_bin,strip)

# Small and static: -Os; no position-independent code (the compilers
# default to PIE, and a static binary is never moved); a section per
# function and object so the linker drops everything llmgw and BearSSL do
# not call; no unwind tables (C without exceptions needs none; they were
# 38 KB of .eh_frame on aarch64).
# LLMGW_OWN_MALLOC: port/alloc_static.c's small allocator becomes malloc,
# free, calloc, ... so musl's mallocng (about 8.7 KB on aarch64, built for
# threads and long-running churn llmgw does not have) stays out of the
# binary. Only here: glibc and the sanitizer builds keep their own malloc.
REL_CFLAGS ?= -Os -fno-pie -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -DLLMGW_OWN_MALLOC=1 $(ARCH_CFLAGS)
# No RELRO segment: musl's static start-up never mprotects PT_GNU_RELRO (a
# static musl binary's RELRO pages stay writable, checked in /proc/PID/maps),
# so it protects nothing there and costs the page-alignment padding in the
# file (about 10 KB with aarch64's 16 KB pages).
# -u malloc: with LTO, gcc leaves builtins such as malloc out of an object's
# symbol table, so without it the linker would only pull alloc_static.o in
# for posix_memalign (and take musl's malloc for binaries that never call
# it: mockprov, most unit tests).
REL_LDFLAGS ?= -static -Wl,--gc-sections -Wl,-z,norelro -Wl,-u,malloc $(ARCH_LDFLAGS)
