# llmgw - see README.md. `make` builds build/release/{llmgw,mockprov};
# `make check` runs every test under ASan+UBSan; `make run` starts llmgw
# on the embedded default config; `make fuzz` runs the libFuzzer harnesses.

CC ?= cc
CLANG ?= clang
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build

# BearSSL and jsmn: Debian's libbearssl-dev and libjsmn-dev by default;
# tools/deps.sh installs them when missing.
BEARSSL_CFLAGS ?=
BEARSSL_LIBS ?= -lbearssl
JSMN_CFLAGS ?=

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
# Messages are cut with snprintf on purpose; gcc's guesses about it are noise.
GCC_ONLY := $(if $(shell $(CC) --version 2>/dev/null | grep -qi clang && echo clang),,-Wno-format-truncation)
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Isrc -Iport $(BEARSSL_CFLAGS) $(JSMN_CFLAGS)
REL_CFLAGS ?= -O2 -g
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard port/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
HDRS := $(wildcard src/*.h port/*.h tests/unit/*.h)

REL := $(BUILD)/release
ASAN := $(BUILD)/asan
FUZZ := $(BUILD)/fuzz

.PHONY: all deps check unit integration sdk fuzz fuzz-smoke run clean install bench bench-quick

all: deps-ok $(REL)/llmgw $(REL)/mockprov

# Installs BearSSL/jsmn (and the test tools) with apt-get when missing.
deps:
	tools/deps.sh install
deps-ok:
	@tools/deps.sh check || tools/deps.sh install

$(REL)/%.o: %.c $(HDRS) | deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(GCC_ONLY) $(REL_CFLAGS) $(CFLAGS) -c $< -o $@
$(ASAN)/%.o: %.c $(HDRS) | deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(GCC_ONLY) $(ASAN_FLAGS) $(CFLAGS) -c $< -o $@

$(REL)/libllmgw.a: $(LIB_SRC:%.c=$(REL)/%.o)
	rm -f $@; $(AR) rcs $@ $^
$(ASAN)/libllmgw.a: $(LIB_SRC:%.c=$(ASAN)/%.o)
	rm -f $@; $(AR) rcs $@ $^

$(REL)/llmgw: $(REL)/src/main.o $(REL)/libllmgw.a
	$(CC) $(REL_CFLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)
$(REL)/mockprov: $(REL)/tools/mockprov.o $(REL)/libllmgw.a
	$(CC) $(REL_CFLAGS) $(LDFLAGS) -o $@ $^ $(BEARSSL_LIBS)
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

# The fuzz build: clang, libFuzzer, ASan+UBSan, the same library sources.
$(FUZZ)/%.o: %.c $(HDRS) | deps-ok
	@mkdir -p $(dir $@)
	$(CLANG) $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(FUZZ)/libllmgw.a: $(LIB_SRC:%.c=$(FUZZ)/%.o)
	rm -f $@; $(AR) rcs $@ $^
$(FUZZ)/tests/fuzz/%: $(FUZZ)/tests/fuzz/%.o $(FUZZ)/libllmgw.a
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(BEARSSL_LIBS)
FUZZ_BINS := $(FUZZ_SRC:%.c=$(FUZZ)/%)

# The README's test command: everything, under the sanitizers, one closing line.
check: deps-ok $(ASAN_BINS) $(FUZZ_BINS) $(REL)/llmgw $(REL)/mockprov $(REL)/malloc_count.so
	tests/run.sh $(BUILD)

unit: $(UNIT_BINS)
	tests/run.sh $(BUILD) unit

fuzz: $(FUZZ_BINS)
	tools/fuzz.sh $(BUILD) $${FUZZ_SECONDS:-60}

run: all
	$(REL)/llmgw

bench bench-quick: all
	tools/bench.sh $(BUILD) $(if $(filter bench-quick,$@),quick,full)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(REL)/llmgw $(DESTDIR)$(PREFIX)/bin/llmgw

clean:
	rm -rf $(BUILD)

.SECONDARY:
