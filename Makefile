# stek: build, run and test. `make help` lists the targets.
.DEFAULT_GOAL := all
.SUFFIXES:

BUILD ?= build
SAN ?= 0
CC ?= cc
PKGS := libmicrohttpd jansson libpq libcrypto zlib libqrencode libcurl libical

WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Wformat=2 \
        -Wpointer-arith -Wvla -Wundef
CFLAGS_BASE := -std=c17 -D_DEFAULT_SOURCE -g $(WARN) -Iinclude -I$(BUILD)/gen
ifeq ($(SAN),1)
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else ifeq ($(SAN),fuzz)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
       -fno-sanitize-recover=all
else
OPT := -O2
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(CFLAGS_BASE) $(OPT) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(OPT) $(LDFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lstemmer -lpthread -lm

GEN := $(BUILD)/gen
OBJ := $(BUILD)/obj

COMMON_SRC := $(wildcard service/common/*.c)
STEKD_LIB_SRC := $(filter-out service/stekd/main.c,$(wildcard service/stekd/*.c service/stekd/*/*.c))
GEN_SRC := $(GEN)/openapi_json.c $(GEN)/migrations_list.c $(GEN)/web_assets.c
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
UNIT_SRC := $(wildcard tests/unit/*.c)

COMMON_OBJ := $(COMMON_SRC:%.c=$(OBJ)/%.o)
STEKD_LIB_OBJ := $(STEKD_LIB_SRC:%.c=$(OBJ)/%.o) $(GEN_SRC:$(GEN)/%.c=$(OBJ)/gen/%.o)

all: $(BUILD)/stekd $(BUILD)/stek-migrate

$(OBJ)/%.o: %.c $(wildcard include/stek/*.h include/stek/*.def service/stekd/db/*.h service/stekd/db/*.def)
	@mkdir -p $(dir $@)
	@echo 'CC  $<'
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OBJ)/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	@echo 'CC  $<'
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libstekd.a: $(STEKD_LIB_OBJ) $(COMMON_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/stekd: $(OBJ)/service/stekd/main.o $(BUILD)/libstekd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/stek-migrate: $(OBJ)/service/migrate/main.o $(COMMON_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The unit tests link the daemon's library (no main) and need no I/O.
$(BUILD)/unit-tests: $(UNIT_SRC:%.c=$(OBJ)/%.o) $(BUILD)/libstekd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The database tier: the db/ functions against a real PostgreSQL, without HTTP.
$(BUILD)/db-tests: $(OBJ)/tests/db/db_test.o $(BUILD)/libstekd.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

unit: $(BUILD)/unit-tests $(BUILD)/db-tests

# libFuzzer targets (clang): make fuzz runs each for FUZZ_SECONDS on a copy of its seed corpus.
FUZZ_TARGETS := json rrule privacy query ics
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz_%: $(OBJ)/tests/fuzz/fuzz_%.o $(BUILD)/libstekd.a
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build/fuzz SAN=fuzz CC=clang \
	    $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)

fuzz: fuzz-build
	@rc=0; for t in $(FUZZ_TARGETS); do \
	    mkdir -p build/fuzz/corpus/$$t && cp -n tests/fuzz/corpus/$$t/* build/fuzz/corpus/$$t/ 2>/dev/null; \
	    build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        build/fuzz/corpus/$$t >build/fuzz/$$t.log 2>&1 || rc=1; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s, $$(grep -o 'number_of_executed_units: [0-9]*' build/fuzz/$$t.log | cut -d' ' -f2) runs, $$(grep -c '^==.*ERROR' build/fuzz/$$t.log) findings"; \
	done; exit $$rc

# openapi.yaml is served as JSON from memory; it is converted at build time.
$(GEN)/openapi_json.c: openapi/openapi.yaml openapi/embed.py
	@mkdir -p $(GEN)
	python3 openapi/embed.py $< $@

# The public page and the widget are served from memory too.
$(GEN)/web_assets.c: $(wildcard service/web/*.js service/web/*.css service/web/*.html service/web/*.json service/web/templates/*.html) service/web/embed.py
	@mkdir -p $(GEN)
	python3 service/web/embed.py service/web $@

# The migrations the daemon expects; regenerated when the set of files changes.
$(GEN)/migrations_list.c: FORCE
	@mkdir -p $(GEN)
	@{ echo '#include "stek/embedded.h"'; echo 'const char *const stek_migrations[] = {'; \
	  for f in $(notdir $(MIGRATIONS)); do echo "    \"$$f\","; done; \
	  echo '    NULL,'; echo '};'; } > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

deps:
	@service/tools/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@service/tools/run.sh

# docs/configuration.md from the programs' --help (the test suite checks it is current).
docs: all
	@python3 service/tools/gen_configuration.py $(BUILD)

# make run without demo data, on a database of its own (stek_empty): docs/administration.md's First setup.
run-empty: deps
	@$(MAKE) --no-print-directory all
	@STEK_DEMO=0 STEK_PGDATABASE=stek_empty service/tools/run.sh

stop:
	@service/tools/localdb.sh stop

test:
	@bash tests/run.sh

memcheck:
	@bash tests/run.sh --memcheck

# The Debian package (dpkg-buildpackage, debhelper), checked by lintian: build/stek_*.deb.
deb:
	@service/tools/deb.sh

bench: deps all
	@bash tests/bench/run.sh
	@bash tests/bench/webhooks.sh
	@bash tests/bench/calendars.sh
	@bash tests/bench/search.sh
	@bash tests/bench/changes.sh

# A day's mixed load for SOAK_MINUTES (60): fails on growth that does not level off.
soak: deps all
	@bash tests/soak/run.sh

bench-changes: deps all
	@bash tests/bench/changes.sh

FORMAT_FILES = $(shell find service include tests/unit tests/db tests/fuzz -name '*.c' -o -name '*.h')
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)

help:
	@echo "make            build build/stekd and build/stek-migrate"
	@echo "make run        install what is missing, start a local PostgreSQL, migrate, load demo data, serve on :8080"
	@echo "make run-empty  the same without demo data, on a database of its own (STEK_DEMO=0 make run: no demo data)"
	@echo "make stop       stop the local PostgreSQL"
	@echo "make docs       regenerate docs/configuration.md from stekd --help"
	@echo "make test       the whole test suite (sanitizers, own PostgreSQL)"
	@echo "make memcheck   the HTTP tests with every daemon under valgrind (leaks, memory errors)"
	@echo "make deb        the Debian package build/stek_<version>_<arch>.deb (lintian-checked)"
	@echo "make bench      benchmarks with wrk"
	@echo "make bench-changes  the feed while its data changes (part of make bench)"
	@echo "make soak       a mixed load for SOAK_MINUTES (60); fails on growth that does not level off"
	@echo "make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60)"
	@echo "make format     clang-format the C sources"

FORCE:
.PHONY: all unit deps docs run run-empty stop test memcheck deb bench soak bench-changes fuzz fuzz-build format format-check clean help FORCE
