# smmud - top-level, non-recursive GNU Makefile.
#
#   make            build everything (objects under build/)
#   make check      build and run every test (installs missing packages
#                   as root, or prints the apt-get line)
#   make SAN=1 check  the same under AddressSanitizer + UBSan (build/san/)
#   make bench      run the benchmarks (prints figures)
#   make valgrind   unit tests under valgrind (no fork)
#   make clean
#
# User CFLAGS/CPPFLAGS/LDFLAGS are appended to ours, never replaced.

SHELL := /bin/bash
CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif

PKG_CONFIG ?= pkg-config

ifeq ($(SAN),1)
B := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
else ifeq ($(SAN),thread)
B := build/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
else
B := build
SANFLAGS :=
endif

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith \
	-Wcast-qual -Wstrict-prototypes -Wmissing-prototypes \
	-Wmissing-declarations -Wwrite-strings -Wundef -Wvla \
	-Wimplicit-fallthrough -Wno-unused-parameter
OPT := -O2 -g
BASE_CFLAGS := -std=gnu11 $(OPT) $(WARN) -pthread -fno-strict-aliasing \
	-fstack-protector-strong $(SANFLAGS)
BASE_CPPFLAGS := -D_GNU_SOURCE -MMD -MP
ifeq ($(SAN),)
BASE_CPPFLAGS += -D_FORTIFY_SOURCE=2
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)
ALL_CPPFLAGS = $(BASE_CPPFLAGS) $(CPPFLAGS)
ALL_LDFLAGS = -pthread $(SANFLAGS) $(LDFLAGS)

ifneq ($(V),1)
Q := @
endif

# ---------------------------------------------------------------------
# Debian 12 dependencies: "pkg-config module:debian package" pairs, plus
# the programs the build runs.  Checked before anything needing them.
DEP_PKGS := libevent_core:libevent-dev libevent_pthreads:libevent-dev \
	libprotobuf-c:libprotobuf-c-dev libsystemd:libsystemd-dev \
	yaml-0.1:libyaml-dev json-c:libjson-c-dev check:check
DEP_PROGS := protoc-c:protobuf-c-compiler pkg-config:pkg-config
DEB_ALL := libevent-dev libprotobuf-c-dev protobuf-c-compiler \
	libsystemd-dev libyaml-dev libjson-c-dev check pkg-config

.PHONY: all deps check unit bench valgrind clean run
.DEFAULT_GOAL := all

# deps: install what is missing (as root) or print the exact command.
deps:
	@missing=""; \
	for p in $(DEP_PROGS); do \
		command -v $${p%%:*} >/dev/null 2>&1 || missing="$$missing $${p#*:}"; \
	done; \
	if command -v $(PKG_CONFIG) >/dev/null 2>&1; then \
		for p in $(DEP_PKGS); do \
			$(PKG_CONFIG) --exists $${p%%:*} || missing="$$missing $${p#*:}"; \
		done; \
	else \
		missing="$$missing $(DEB_ALL)"; \
	fi; \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -n "$${missing// /}" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing missing Debian packages:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null || \
			{ DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; } || \
			{ echo "error: apt-get install failed" >&2; exit 1; }; \
		else \
			echo "missing build dependencies; run:" >&2; \
			echo "  sudo apt-get install -y $$missing" >&2; \
			exit 1; \
		fi; \
	fi

# ---------------------------------------------------------------------
# lib/: libsmmu, the engine (pure C, pthreads only).
LIB_SRCS := $(sort $(wildcard lib/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
LIBSMMU := $(B)/libsmmu.a

.PHONY: lib
lib: $(LIBSMMU)

$(LIBSMMU): $(LIB_OBJS)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -fvisibility=hidden -c $< -o $@

# ---------------------------------------------------------------------
# tests/unit: one Check runner with every suite.
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(B)/%.o)
UNIT_BIN := $(B)/tests/unit/smmu-unit
# json-c reads the conformance vectors in tests/data.
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check json-c 2>/dev/null)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check json-c 2>/dev/null)

.PHONY: unit-build
unit-build: $(UNIT_BIN)

$(B)/tests/unit/%.o: tests/unit/%.c | deps
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) -iquote lib -iquote tests/unit $(ALL_CFLAGS) \
		$(CHECK_CFLAGS) -c $< -o $@

$(UNIT_BIN): $(UNIT_OBJS) $(LIBSMMU)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) $(CHECK_LIBS) -lm

# The unit runner finds its data relative to the source tree.
unit: deps $(UNIT_BIN)
	$(Q)SMMU_TEST_DATA=$(CURDIR)/tests/data $(UNIT_BIN)


# ThreadSanitizer over the suites that run threads (CK_FORK=no so TSan
# sees every thread; TSAN_OPTIONS makes any report fail the run).
TSAN_SUITES := gmem tlb cfgcache stats concurrency smmu regs cmdq evtq msi guest \
	domain
.PHONY: tsan
tsan: deps
	$(Q)$(MAKE) --no-print-directory SAN=thread unit-build
	$(Q)for s in $(TSAN_SUITES); do \
		CK_FORK=no CK_RUN_SUITE=$$s SMMU_TEST_DATA=$(CURDIR)/tests/data \
		TSAN_OPTIONS=halt_on_error=1:exitcode=66 \
		build/tsan/tests/unit/smmu-unit 2>&1 | grep -v '^runner:' \
		| grep -q '100%: Checks' || { echo "tsan: suite $$s failed"; \
		exit 1; }; echo "tsan: $$s clean"; done

valgrind: deps $(UNIT_BIN)
	$(Q)CK_FORK=no CK_TIMEOUT_MULTIPLIER=20 SMMU_TEST_DATA=$(CURDIR)/tests/data \
		SMMU_TEST_QUICK=1 valgrind -q --leak-check=full \
		--errors-for-leak-kinds=definite --error-exitcode=99 $(UNIT_BIN)

# ---------------------------------------------------------------------
# proto/: the wire contract, generated at build time into $(B)/gen, and
# the frame helper shared by daemon and client.
GEN := $(B)/gen/smmu.pb-c.c $(B)/gen/smmu.pb-c.h
PROTO_CFLAGS = $(shell $(PKG_CONFIG) --cflags libprotobuf-c 2>/dev/null)
PROTO_LIBS = $(shell $(PKG_CONFIG) --libs libprotobuf-c 2>/dev/null)
PROTO_SRCS := $(sort $(wildcard proto/*.c))
# PIC objects: they go into libsmmuclient.so as well as smmud.
PROTO_OBJS := $(B)/gen/smmu.pb-c.o $(PROTO_SRCS:%.c=$(B)/%.o)

# Generated files are not intermediates: keep them between builds.
.SECONDARY: $(GEN) $(B)/gen/conf_default.c

$(B)/gen/%.pb-c.c $(B)/gen/%.pb-c.h: proto/%.proto | deps
	@mkdir -p $(@D)
	@echo "  PROTOC  $<"
	$(Q)protoc-c --proto_path=proto --c_out=$(B)/gen $<

# Generated code gets relaxed warnings (it is not ours to fix).
$(B)/gen/smmu.pb-c.o: $(B)/gen/smmu.pb-c.c
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) -iquote $(B)/gen -std=gnu11 $(OPT) -fPIC \
		-fvisibility=hidden $(SANFLAGS) $(PROTO_CFLAGS) $(CFLAGS) -c $< -o $@

$(B)/proto/%.o: proto/%.c | $(GEN)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) -iquote proto -iquote $(B)/gen $(ALL_CFLAGS) \
		-fPIC -fvisibility=hidden $(PROTO_CFLAGS) -c $< -o $@

# ---------------------------------------------------------------------
# daemon/: smmud.
DAEMON_SRCS := $(sort $(wildcard daemon/*.c))
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/%.o)
DAEMON_PKGS := libevent_core libevent_pthreads libprotobuf-c libsystemd \
	yaml-0.1
DAEMON_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(DAEMON_PKGS) 2>/dev/null)
DAEMON_LIBS = $(shell $(PKG_CONFIG) --libs $(DAEMON_PKGS) 2>/dev/null)
SMMUD := $(B)/smmud
VERSION := 0.1.0

$(B)/daemon/%.o: daemon/%.c | $(GEN)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) -DSMMUD_VERSION='"$(VERSION)"' -iquote lib \
		-iquote proto -iquote daemon -iquote $(B)/gen $(ALL_CFLAGS) \
		$(DAEMON_CFLAGS) -c $< -o $@

$(SMMUD): $(DAEMON_OBJS) $(B)/gen/conf_default.o $(PROTO_OBJS) $(LIBSMMU)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) $(DAEMON_LIBS)

# ---------------------------------------------------------------------
# client/: libsmmuclient.so (soname libsmmuclient.so.0, only smmu_client_*
# exported) and smmuctl, which links only the library (and json-c).
CLIENT_LIB_SRCS := client/client.c
CLIENT_LIB_OBJS := $(CLIENT_LIB_SRCS:%.c=$(B)/%.o)
CTL_SRCS := $(filter-out $(CLIENT_LIB_SRCS),$(sort $(wildcard client/*.c)))
CTL_OBJS := $(CTL_SRCS:%.c=$(B)/%.o)
SOVER := 0
LIBCLIENT := $(B)/libsmmuclient.so
LIBCLIENT_SO := $(LIBCLIENT).$(SOVER)
JSON_CFLAGS = $(shell $(PKG_CONFIG) --cflags json-c 2>/dev/null)
JSON_LIBS = $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null)
SMMUCTL := $(B)/smmuctl

$(B)/client/%.o: client/%.c | $(GEN)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) -DSMMUD_VERSION='"$(VERSION)"' -iquote client \
		-iquote proto -iquote $(B)/gen $(ALL_CFLAGS) -fPIC \
		-fvisibility=hidden $(PROTO_CFLAGS) $(JSON_CFLAGS) -c $< -o $@

$(LIBCLIENT_SO): $(CLIENT_LIB_OBJS) $(PROTO_OBJS) client/libsmmuclient.map
	@echo "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,libsmmuclient.so.$(SOVER) \
		-Wl,--version-script=client/libsmmuclient.map -Wl,--no-undefined \
		$(ALL_CFLAGS) $(CLIENT_LIB_OBJS) $(PROTO_OBJS) -o $@ \
		$(ALL_LDFLAGS) $(PROTO_LIBS)

$(LIBCLIENT): $(LIBCLIENT_SO)
	$(Q)ln -sf libsmmuclient.so.$(SOVER) $@

$(SMMUCTL): $(CTL_OBJS) $(LIBCLIENT)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(CTL_OBJS) -o $@ -L$(B) -lsmmuclient \
		-Wl,-rpath,'$$ORIGIN:$$ORIGIN/../lib' $(ALL_LDFLAGS) $(JSON_LIBS)

.PHONY: daemon client
daemon: $(SMMUD)
client: $(LIBCLIENT) $(SMMUCTL)

# ---------------------------------------------------------------------
# tests/integration: a real smmud driven over its socket.
ITEST_SRCS := $(sort $(wildcard tests/integration/*.c))
ITEST_OBJS := $(ITEST_SRCS:%.c=$(B)/%.o)
ITEST_EXTRA_OBJS := $(B)/daemon/conf.o $(B)/gen/conf_default.o $(LIBSMMU)
ITEST_BIN := $(B)/tests/integration/smmu-integration

$(B)/tests/integration/%.o: tests/integration/%.c | $(GEN)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) -iquote tests/integration -iquote client \
		-iquote proto -iquote lib -iquote daemon -iquote $(B)/gen \
		$(ALL_CFLAGS) $(CHECK_CFLAGS) $(PROTO_CFLAGS) $(JSON_CFLAGS) \
		$(shell $(PKG_CONFIG) --cflags yaml-0.1) -c $< -o $@

$(ITEST_BIN): $(ITEST_OBJS) $(PROTO_OBJS) $(ITEST_EXTRA_OBJS) $(LIBCLIENT)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(ITEST_OBJS) $(PROTO_OBJS) \
		$(ITEST_EXTRA_OBJS) -o $@ -L$(B) \
		-lsmmuclient -Wl,-rpath,'$$ORIGIN/../..' $(ALL_LDFLAGS) \
		$(CHECK_LIBS) $(PROTO_LIBS) $(JSON_LIBS) \
		$(shell $(PKG_CONFIG) --libs yaml-0.1)

.PHONY: integration
integration: deps $(ITEST_BIN) $(SMMUD) $(SMMUCTL)
	$(Q)SMMU_BUILD_DIR=$(CURDIR)/$(B) SMMU_SRC_DIR=$(CURDIR) $(ITEST_BIN)

# The embedded default topology: conf/smmud.yaml as a C byte array.
$(B)/gen/conf_default.c: conf/smmud.yaml
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q){ echo '/* generated from conf/smmud.yaml; do not edit */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const char conf_default_yaml[];'; \
	  echo 'extern const size_t conf_default_yaml_len;'; \
	  echo 'const char conf_default_yaml[] = {'; \
	  od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; \
	  echo 'const size_t conf_default_yaml_len = sizeof(conf_default_yaml) - 1;'; \
	} > $@

$(B)/gen/conf_default.o: $(B)/gen/conf_default.c
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# make demo: the README tour, scripted (also part of make check).
.PHONY: demo
demo: deps $(SMMUD) $(SMMUCTL)
	$(Q)bash tests/integration/demo.sh $(B)

# make run: smmud in the foreground on the default topology; the
# socket and state land under the build tree.
run: all
	@mkdir -p $(B)/run
	@echo "smmud: starting on conf/smmud.yaml; in another shell:"
	@echo "  export SMMUD_SOCKET=$(CURDIR)/$(B)/run/smmud.sock"
	@echo "  $(CURDIR)/$(SMMUCTL) stats"
	$(Q)cd $(B) && exec ./smmud -f -c $(CURDIR)/conf/smmud.yaml

# ---------------------------------------------------------------------
# tests/bench: figures, not pass/fail.
# smmu-bench: the engine (everything but bench_rpc.c); smmu-bench-rpc:
# the daemon over its socket, through libsmmuclient.
BENCH_SRCS := $(filter-out tests/bench/bench_rpc.c,\
	$(sort $(wildcard tests/bench/*.c)))
BENCH_OBJS := $(BENCH_SRCS:%.c=$(B)/%.o)
BENCH_BIN := $(B)/tests/bench/smmu-bench
BENCH_RPC_BIN := $(if $(wildcard tests/bench/bench_rpc.c),\
	$(B)/tests/bench/smmu-bench-rpc)

$(B)/tests/bench/%.o: tests/bench/%.c | $(GEN)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CPPFLAGS) -iquote lib -iquote tests/unit -iquote client \
		-iquote proto -iquote $(B)/gen $(ALL_CFLAGS) $(PROTO_CFLAGS) \
		-c $< -o $@

$(B)/tests/bench/smmu-bench-rpc: $(B)/tests/bench/bench_rpc.o $(PROTO_OBJS) \
		$(LIBCLIENT) $(SMMUD)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(B)/tests/bench/bench_rpc.o $(PROTO_OBJS) -o $@ \
		-L$(B) -lsmmuclient -Wl,-rpath,'$$ORIGIN/../..' $(ALL_LDFLAGS) \
		$(PROTO_LIBS)

$(BENCH_BIN): $(BENCH_OBJS) $(B)/tests/unit/tbuild.o $(LIBSMMU)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) -lm

bench: deps $(BENCH_BIN) $(BENCH_RPC_BIN)
	$(Q)$(BENCH_BIN)
	$(if $(BENCH_RPC_BIN),$(Q)SMMU_BUILD_DIR=$(CURDIR)/$(B) \
		SMMU_SRC_DIR=$(CURDIR) $(BENCH_RPC_BIN))

check: unit $(if $(DAEMON_SRCS),integration demo)

# ---------------------------------------------------------------------
# install: honours PREFIX and DESTDIR (and the *DIR variables).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system

# Files that bake in paths are regenerated whenever the paths change.
PATHS := $(PREFIX):$(SBINDIR):$(LIBDIR):$(INCLUDEDIR):$(VERSION)
$(B)/paths.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(PATHS)' | cmp -s - $@ || echo '$(PATHS)' > $@

$(B)/libsmmuclient.pc: client/libsmmuclient.pc.in $(B)/paths.stamp
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		$< > $@

$(B)/systemd/%: systemd/% $(B)/paths.stamp
	@mkdir -p $(@D)
	$(Q)sed -e 's|/usr/sbin/smmud|$(SBINDIR)/smmud|g' $< > $@

.PHONY: install uninstall FORCE
FORCE:

install: all $(B)/libsmmuclient.pc $(B)/systemd/smmud.service \
		$(B)/systemd/smmud.socket
	install -D -m 0755 $(SMMUD) $(DESTDIR)$(SBINDIR)/smmud
	install -D -m 0755 $(SMMUCTL) $(DESTDIR)$(SBINDIR)/smmuctl
	install -D -m 0755 $(LIBCLIENT_SO) \
		$(DESTDIR)$(LIBDIR)/libsmmuclient.so.$(SOVER)
	ln -sf libsmmuclient.so.$(SOVER) $(DESTDIR)$(LIBDIR)/libsmmuclient.so
	install -D -m 0644 client/smmu_client.h \
		$(DESTDIR)$(INCLUDEDIR)/smmu_client.h
	install -D -m 0644 $(B)/libsmmuclient.pc \
		$(DESTDIR)$(LIBDIR)/pkgconfig/libsmmuclient.pc
	install -D -m 0644 daemon/smmud.8 $(DESTDIR)$(MANDIR)/man8/smmud.8
	install -D -m 0644 client/smmuctl.8 $(DESTDIR)$(MANDIR)/man8/smmuctl.8
	install -D -m 0644 daemon/smmud.yaml.5 \
		$(DESTDIR)$(MANDIR)/man5/smmud.yaml.5
	install -D -m 0644 $(B)/systemd/smmud.service \
		$(DESTDIR)$(UNITDIR)/smmud.service
	install -D -m 0644 $(B)/systemd/smmud.socket \
		$(DESTDIR)$(UNITDIR)/smmud.socket
	install -D -m 0644 conf/examples/system.yaml \
		$(DESTDIR)$(SYSCONFDIR)/smmud/smmud.yaml.example

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/smmud $(DESTDIR)$(SBINDIR)/smmuctl \
		$(DESTDIR)$(LIBDIR)/libsmmuclient.so.$(SOVER) \
		$(DESTDIR)$(LIBDIR)/libsmmuclient.so \
		$(DESTDIR)$(INCLUDEDIR)/smmu_client.h \
		$(DESTDIR)$(LIBDIR)/pkgconfig/libsmmuclient.pc \
		$(DESTDIR)$(MANDIR)/man8/smmud.8 $(DESTDIR)$(MANDIR)/man8/smmuctl.8 \
		$(DESTDIR)$(MANDIR)/man5/smmud.yaml.5 \
		$(DESTDIR)$(UNITDIR)/smmud.service $(DESTDIR)$(UNITDIR)/smmud.socket \
		$(DESTDIR)$(SYSCONFDIR)/smmud/smmud.yaml.example

all: deps lib unit-build $(BENCH_BIN) \
	$(if $(DAEMON_SRCS),$(SMMUD)) \
	$(if $(wildcard client/client.c),$(LIBCLIENT) $(SMMUCTL))

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
