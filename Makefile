# llmgw - see README.md. `make` builds build/release/{llmgw,mockprov};
# `make check` runs every test under ASan+UBSan; `make run` starts llmgw
# on the embedded default config; `make fuzz` runs the libFuzzer harnesses.
#
# Cross builds (README "Building for routers and the Pi"):
#   make TOOLCHAIN=port/toolchain/aarch64-linux-musl.mk [check]
#   make PROFILE=tiny TOOLCHAIN=...  the tiny profile (port/profile/tiny.mk)
#   make cross                      all five targets in both profiles, one
#                                   size table, budgets checked
#   make CROSS=mipsel-openwrt-linux-musl-   (OpenWrt: CC/CFLAGS/LDFLAGS from
#                                   the environment; CROSS_COMPILE works too)
# A cross build goes to build/<target>/ (build/<target>-tiny/ for the tiny
# profile; never mixed with the native build), links statically against a
# BearSSL built for the target by tools/bearssl.sh, and `make check` runs
# the tests under the target's qemu-user emulator.

TOOLCHAIN ?=
ifneq ($(TOOLCHAIN),)
include $(TOOLCHAIN)
endif
# The build profile: the set of src/options.h switches a build sets, one
# file per profile in port/profile/ (full: everything, the default; tiny:
# for 8 MB-flash routers). A profile other than full builds into its own
# directory (-<profile> after the target's, /<profile> natively).
PROFILE ?= full
PROFILE_MK := port/profile/$(PROFILE).mk
ifeq ($(wildcard $(PROFILE_MK)),)
$(error PROFILE=$(PROFILE): no $(PROFILE_MK) (profiles: $(notdir $(basename $(wildcard port/profile/*.mk)))))
endif
include $(PROFILE_MK)
PROFILE_SUFFIX := $(if $(filter-out full,$(PROFILE)),$(PROFILE))
CROSS_COMPILE ?=
CROSS ?= $(CROSS_COMPILE)
ifneq ($(CROSS),)
ifeq ($(origin CC),default)
CC := $(CROSS)gcc
endif
ifeq ($(origin AR),default)
AR := $(CROSS)ar
endif
STRIP ?= $(CROSS)strip
endif
STRIP ?= strip
CC ?= cc
CLANG ?= clang
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
# A cross build: a toolchain file, or a cross prefix the OpenWrt way.
XBUILD := $(if $(TOOLCHAIN)$(CROSS),1)
ifneq ($(XBUILD),)
TARGET ?= $(shell $(CC) -dumpmachine 2>/dev/null)
ifeq ($(TARGET),)
$(error cannot run $(CC): is the $(or $(TARGET),cross) compiler installed? (tools/deps.sh cross TARGET))
endif
BUILD ?= build/$(TARGET)$(PROFILE_SUFFIX:%=-%)
else
BUILD ?= build$(PROFILE_SUFFIX:%=/%)
endif

# BearSSL and jsmn: Debian's libbearssl-dev and libjsmn-dev by default;
# tools/deps.sh installs them when missing. A cross build uses its own,
# built from one source tree (headers and library together) by
# tools/bearssl.sh into build/<target>/deps, which both profiles link
# (BearSSL is built the same for both; BEARSSL_SRC / JSMN_SRC choose the
# trees).
ifneq ($(XBUILD),)
DEPS ?= build/$(TARGET)/deps
BEARSSL_CFLAGS ?= -I$(DEPS)/include
BEARSSL_LIBS ?= $(DEPS)/lib/libbearssl.a
else
DEPS :=
BEARSSL_CFLAGS ?=
BEARSSL_LIBS ?= -lbearssl
endif
JSMN_CFLAGS ?=

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
# Messages are cut with snprintf on purpose; gcc's guesses about it are noise.
GCC_ONLY := $(if $(shell $(CC) --version 2>/dev/null | grep -qi clang && echo clang),,-Wno-format-truncation)
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Isrc -Iport $(BEARSSL_CFLAGS) $(JSMN_CFLAGS) $(PROFILE_CFLAGS)
REL_CFLAGS ?= -O2 -g
REL_LDFLAGS ?=
LTO ?=
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard port/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
HDRS := $(wildcard src/*.h port/*.h tests/unit/*.h)

REL := $(BUILD)/release
ASAN := $(BUILD)/asan
FUZZ := $(BUILD)/fuzz

.PHONY: all deps deps-ok check unit integration sdk fuzz fuzz-smoke run clean install bench bench-quick bench-cg cross \
	size-check size-row ec-bench

all: deps-ok $(REL)/llmgw $(REL)/mockprov

ifeq ($(XBUILD),)
# Installs BearSSL/jsmn (and the test tools) with apt-get when missing.
deps:
	tools/deps.sh install
deps-ok:
	@tools/deps.sh check || tools/deps.sh install
else
# The cross compiler and emulator (tools/deps.sh cross), then BearSSL
# built for the target.
deps: deps-ok
deps-ok: $(DEPS)/lib/libbearssl.a
$(DEPS)/lib/libbearssl.a: tools/bearssl.sh $(filter-out $(PROFILE_MK),$(filter %.mk,$(MAKEFILE_LIST)))
	@command -v $(firstword $(CC)) >/dev/null 2>&1 || tools/deps.sh cross $(TARGET)
	CC="$(CC)" AR="$(AR)" CFLAGS="$(REL_CFLAGS) $(LTO) $(CFLAGS)" tools/bearssl.sh $(DEPS)
endif

$(REL)/%.o: %.c $(HDRS) $(PROFILE_MK) | deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(GCC_ONLY) $(REL_CFLAGS) $(LTO) $(CFLAGS) -c $< -o $@
$(ASAN)/%.o: %.c $(HDRS) $(PROFILE_MK) | deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(GCC_ONLY) $(ASAN_FLAGS) $(CFLAGS) -c $< -o $@

$(REL)/libllmgw.a: $(LIB_SRC:%.c=$(REL)/%.o)
	rm -f $@; $(AR) rcs $@ $^
$(ASAN)/libllmgw.a: $(LIB_SRC:%.c=$(ASAN)/%.o)
	rm -f $@; $(AR) rcs $@ $^

ifeq ($(XBUILD),)
$(REL)/llmgw: $(REL)/src/main.o $(REL)/libllmgw.a
	$(CC) $(REL_CFLAGS) $(LTO) $(REL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)
else
# Cross: static; llmgw.unstripped keeps the symbols (nm --size-sort), llmgw
# is the stripped binary to ship. The release build (`make TOOLCHAIN=...`)
# fails when it is over the budget the toolchain file sets for the profile
# (SIZE_BUDGET_KB_full, SIZE_BUDGET_KB_tiny; SIZE_BUDGET_KB= on the command
# line: no budget); `make check` tests it whatever its size.
SIZE_BUDGET_KB ?= $(SIZE_BUDGET_KB_$(PROFILE))
$(REL)/llmgw.unstripped: $(REL)/src/main.o $(REL)/libllmgw.a
	$(CC) $(REL_CFLAGS) $(LTO) $(REL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)
$(REL)/llmgw: $(REL)/llmgw.unstripped
	$(STRIP) -o $@ $<
all: size-check
size-check: $(REL)/llmgw
	@tools/size-check.sh $< $(TARGET) $(PROFILE) $(SIZE_BUDGET_KB)
# One row of `make cross`'s table, for a build already made.
size-row:
	@tools/size-check.sh $(REL)/llmgw $(TARGET) $(PROFILE) $(SIZE_BUDGET_KB_$(PROFILE))
# tools/ec-bench.sh: BearSSL's curve implementations counted and timed on the target.
$(REL)/tools/ec_bench: $(REL)/tools/ec_bench.o
	$(CC) $(REL_CFLAGS) $(LTO) $(REL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)
ec-bench: $(REL)/tools/ec_bench
	tools/ec-bench.sh '$(QEMU)' $< $(TARGET)
endif
$(REL)/mockprov: $(REL)/tools/mockprov.o $(REL)/libllmgw.a
	$(CC) $(REL_CFLAGS) $(LTO) $(REL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)
$(ASAN)/llmgw: $(ASAN)/src/main.o $(ASAN)/libllmgw.a
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)
$(ASAN)/mockprov: $(ASAN)/tools/mockprov.o $(ASAN)/libllmgw.a
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)
$(ASAN)/tests/unit/%: $(ASAN)/tests/unit/%.o $(ASAN)/libllmgw.a
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)

# LD_PRELOAD shim counting allocations (tests/integration/malloc_count.c).
$(REL)/malloc_count.so: tests/integration/malloc_count.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -shared -fPIC -o $@ $<

UNIT_BINS := $(UNIT_SRC:%.c=$(ASAN)/%)
ASAN_BINS := $(ASAN)/llmgw $(ASAN)/mockprov $(UNIT_BINS)

# test_tls once more with X25519 left out (tools/test-options.sh runs it):
# tls.c and the test built with LLMGW_TLS_X25519=0, then the ASan library
# for the rest (the linker takes its tls.o for nothing: the new one already
# defines every symbol of it).
X25519_OFF := $(ASAN)/x25519-off
$(X25519_OFF)/%.o: %.c $(HDRS) $(PROFILE_MK) | deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(GCC_ONLY) $(ASAN_FLAGS) $(CFLAGS) -DLLMGW_TLS_X25519=0 -c $< -o $@
$(ASAN)/tests/unit/test_tls-x25519-off: $(X25519_OFF)/tests/unit/test_tls.o $(X25519_OFF)/src/tls.o \
		$(ASAN)/libllmgw.a
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)

# The fuzz build: clang, libFuzzer, ASan+UBSan, the same library sources.
$(FUZZ)/%.o: %.c $(HDRS) $(PROFILE_MK) | deps-ok
	@mkdir -p $(dir $@)
	$(CLANG) $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(FUZZ)/libllmgw.a: $(LIB_SRC:%.c=$(FUZZ)/%.o)
	rm -f $@; $(AR) rcs $@ $^
$(FUZZ)/tests/fuzz/%: $(FUZZ)/tests/fuzz/%.o $(FUZZ)/libllmgw.a
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(BEARSSL_LIBS)
FUZZ_BINS := $(FUZZ_SRC:%.c=$(FUZZ)/%)

ifeq ($(XBUILD),)
# The README's test command: everything, under the sanitizers, one closing line.
check: deps-ok $(ASAN_BINS) $(FUZZ_BINS) $(REL)/llmgw $(REL)/mockprov $(REL)/malloc_count.so
	tests/run.sh $(BUILD)
else
# Cross: no sanitizers (no musl runtimes for them); the unit tests are
# built with the release flags and linked statically like llmgw. EMU is the
# tree tests/run.sh and the integration harness see: every binary there
# (under asan/, the directory name the harness looks in, and release/) is a
# two-line script running the target binary under $(QEMU).
EMU := $(BUILD)/emu
XUNIT_BINS := $(UNIT_SRC:%.c=$(REL)/%)
EMU_BINS := $(EMU)/asan/llmgw $(EMU)/asan/mockprov $(EMU)/release/llmgw $(EMU)/release/mockprov \
	$(UNIT_SRC:%.c=$(EMU)/asan/%)
$(REL)/tests/unit/%: $(REL)/tests/unit/%.o $(REL)/libllmgw.a
	$(CC) $(REL_CFLAGS) $(LTO) $(REL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)
define emu_wrap
@mkdir -p $(dir $@)
@command -v $(or $(firstword $(QEMU)),true) >/dev/null 2>&1 || tools/deps.sh cross $(TARGET)
@printf '#!/bin/sh\n# %s under emulation (make check TOOLCHAIN=...)\nexec %s %s "$$@"\n' \
	'$(TARGET)' '$(QEMU)' '$(abspath $<)' > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
endef
$(EMU)/asan/llmgw $(EMU)/release/llmgw: $(REL)/llmgw
	$(emu_wrap)
$(EMU)/asan/mockprov $(EMU)/release/mockprov: $(REL)/mockprov
	$(emu_wrap)
$(EMU)/asan/tests/unit/%: $(REL)/tests/unit/%
	$(emu_wrap)
check: deps-ok $(REL)/llmgw $(REL)/mockprov $(XUNIT_BINS) $(EMU_BINS)
	tests/run.sh $(EMU) emu
endif

unit: $(UNIT_BINS)
	tests/run.sh $(BUILD) unit

fuzz: $(FUZZ_BINS)
	tools/fuzz.sh $(BUILD) $${FUZZ_SECONDS:-60}

run: all
	$(REL)/llmgw

# The full run also builds the static musl x86_64 llmgw (the memory targets
# are judged on it); the quick one uses it when it is there.
bench: all
	$(MAKE) --no-print-directory TOOLCHAIN=port/toolchain/x86_64-linux-musl.mk BUILD=$(BUILD)/x86_64-linux-musl SIZE_BUDGET_KB= all
	tools/bench.sh $(BUILD) full
bench-quick: all
	tools/bench.sh $(BUILD) quick
# Only the instructions per request (callgrind), the guard rail for changes
# on the request path: about a minute.
bench-cg: all
	tools/bench.sh $(BUILD) cg

# Binary, man page, systemd unit (its paths follow BINDIR/SYSCONFDIR), the
# example configuration (never over an existing one) and a keys directory
# for LoadCredential=. tools/test-install.sh checks the file list.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/llmgw $(DESTDIR)$(PREFIX)/share/doc/llmgw
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/llmgw/keys
	install -m 0755 $(REL)/llmgw $(DESTDIR)$(BINDIR)/llmgw
	install -m 0644 port/llmgw.8 $(DESTDIR)$(MANDIR)/man8/llmgw.8
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' port/systemd/llmgw.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/llmgw.service.tmp
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/llmgw.service.tmp
	mv $(DESTDIR)$(SYSTEMDUNITDIR)/llmgw.service.tmp $(DESTDIR)$(SYSTEMDUNITDIR)/llmgw.service
	install -m 0644 port/openwrt/files/llmgw.config $(DESTDIR)$(PREFIX)/share/doc/llmgw/llmgw.conf.example
	test -e $(DESTDIR)$(SYSCONFDIR)/llmgw/llmgw.conf || \
		install -m 0640 port/openwrt/files/llmgw.config $(DESTDIR)$(SYSCONFDIR)/llmgw/llmgw.conf

# Every cross target (toolchains in port/toolchain/) in every profile, then
# one size table (target x profile) that fails when a build is over the
# budget its toolchain file sets for the profile. Everything is built
# first, so the table is complete.
CROSS_TARGETS ?= aarch64-linux-musl armhf-linux-musl mipsel-linux-musl mips-linux-musl x86_64-linux-musl
CROSS_PROFILES ?= full tiny
cross:
	@set -e; for t in $(CROSS_TARGETS); do for p in $(CROSS_PROFILES); do \
		$(MAKE) --no-print-directory TOOLCHAIN=port/toolchain/$$t.mk PROFILE=$$p SIZE_BUDGET_KB= all; \
	done; done
	@echo "stripped static llmgw (make cross):"; tools/size-check.sh --header; \
	rc=0; for t in $(CROSS_TARGETS); do for p in $(CROSS_PROFILES); do \
		$(MAKE) --no-print-directory -s TOOLCHAIN=port/toolchain/$$t.mk PROFILE=$$p size-row || rc=1; \
	done; done; exit $$rc

clean:
	rm -rf $(BUILD)

# `make -s print-VAR` prints a variable (tools/test-options.sh asks for a
# profile's PROFILE_CFLAGS).
print-%:
	@echo '$($*)'

.SECONDARY:
