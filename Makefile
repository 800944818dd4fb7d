# NSCore build. `make demo` and `make test` are the README's two commands.
PREFIX     ?= /usr/local
BUILD      := build
SWIFT      ?= swift
CONFIG     ?= release
SCRATCH    ?= .build
ABI_MAJOR  := 0
VERSION    := 0.1.0
SWIFTFLAGS := -c $(CONFIG) --scratch-path $(SCRATCH) -Xswiftc -static-stdlib
LIBFLAGS   := -Xlinker --version-script=$(CURDIR)/include/nscore.map -Xlinker -soname=libnscore.so.$(ABI_MAJOR) -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors
SOURCES    := $(shell find Sources -name '*.swift' -o -name '*.c' -o -name '*.h') Package.swift include/nscore.map

.PHONY: all lib cli init-image demo test test-swift test-c test-vm test-python test-cli test-init test-init-aarch64 test-install test-wheel wheel install clean bench

all: lib cli $(BUILD)/nscore.pc

# nscore-init is a freestanding static program embedded into the library (Sources/CNSCoreShim/init_image.h).
init-image: Sources/CNSCoreShim/init_image.h
Sources/CNSCoreShim/init_image.h: Sources/nscore-init/init.c Sources/CNSCoreShim/raw_syscall.h tools/build-init.sh
	tools/build-init.sh $(BUILD)

lib: $(BUILD)/libnscore.so
$(BUILD)/libnscore.so: $(SOURCES) Sources/CNSCoreShim/init_image.h
	@mkdir -p $(BUILD)
	$(SWIFT) build $(SWIFTFLAGS) $(LIBFLAGS) --product NSCoreABI
	@# A new file renamed over the old one: a process that has the library loaded keeps its copy.
	cp $(SCRATCH)/$(CONFIG)/libNSCoreABI.so $(BUILD)/libnscore.so.$(ABI_MAJOR).tmp
	mv -f $(BUILD)/libnscore.so.$(ABI_MAJOR).tmp $(BUILD)/libnscore.so.$(ABI_MAJOR)
	ln -sf libnscore.so.$(ABI_MAJOR) $(BUILD)/libnscore.so

cli: $(BUILD)/nscore
# The CLI is a fully static executable: it starts in about half the time of one that loads
# libc dynamically with the Swift runtime linked in (-static-stdlib), with a smaller RSS.
# Its own scratch directory keeps the two flag sets from rebuilding each other.
# It is linked with lld, with the functions (and data) that `nscore run` uses packed together
# first, in the order of tools/cli-order.txt (tools/gen-cli-order.sh regenerates it): the kernel
# pages code in 64 KiB at a time, so scattered functions cost their neighbours too.
# --no-rosegment (read-only data in the code's segment) and --icf=safe (identical functions
# folded) save a few more of those blocks. Peak RSS of `nscore run`: about 1.4 MiB (3.8 before all this).
CLI_SCRATCH ?= .build-static
CLI_ORDER   := tools/cli-order.txt
# Concrete generic metadata (such as [String]'s array storage) is instantiated through accessor
# functions rather than by demangling a type name at run time: the runtime's demangler is
# ~100 KiB of code a short run would otherwise fault in.
CLI_SWIFTC  := -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors
CLI_LDFLAGS := $(CLI_SWIFTC) -Xswiftc -use-ld=lld -Xlinker --symbol-ordering-file=$(CURDIR)/$(CLI_ORDER) \
	-Xlinker --no-warn-symbol-ordering -Xlinker --no-rosegment -Xlinker --icf=safe
$(BUILD)/nscore: $(SOURCES) Sources/CNSCoreShim/init_image.h $(CLI_ORDER)
	@mkdir -p $(BUILD)
	rm -f $(CLI_SCRATCH)/$(CONFIG)/nscore  # SwiftPM does not relink when only the order file changed
	$(SWIFT) build -c $(CONFIG) --scratch-path $(CLI_SCRATCH) -Xswiftc -static-executable $(CLI_LDFLAGS) --product nscore 2>&1 \
		| grep -v 'statically linked applications requires at runtime' || true
	test -x $(CLI_SCRATCH)/$(CONFIG)/nscore
	cp $(CLI_SCRATCH)/$(CONFIG)/nscore $(BUILD)/nscore

# The .pc names PREFIX, so it is written again at install time for the PREFIX given there.
# `rpath` holds the linker flag that records libdir in a program, for a PREFIX whose lib
# directory the loader does not search: `$(pkg-config --variable=rpath nscore)`.
define write-pc
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\nrpath=-Wl,-rpath,$${libdir}\n\nName: nscore\nDescription: Embeddable Linux namespace and container engine\nVersion: %s\nLibs: -L$${libdir} -lnscore\nCflags: -I$${includedir}\n' '$(PREFIX)' '$(VERSION)' > $(1)
endef

$(BUILD)/nscore.pc: Makefile
	@mkdir -p $(BUILD)
	$(call write-pc,$@)

demo: all
	tools/demo.sh

test: all
	tools/deps.sh
	$(MAKE) test-init test-swift test-c test-vm test-python test-cli test-install test-wheel
	$(MAKE) bench QUICK=1

test-swift:
	$(SWIFT) build --build-tests --scratch-path .build-test
	$(SWIFT) test --skip-build --no-parallel --scratch-path .build-test

test-install: all
	tools/test-install.sh

test-init:
	tools/test-init.sh

# The aarch64 nscore-init image, run under qemu-user (installed from Debian when missing); the
# checks that user-mode emulation cannot pass are skipped with their reasons. Not part of `test`.
test-init-aarch64:
	tools/build-init.sh $(BUILD) >/dev/null
	command -v qemu-aarch64 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null; }
	NSCORE_INIT_RUNNER=qemu-aarch64 tools/test-init.sh $(BUILD)/nscore-init.aarch64

test-cli: cli
	NSCORE_BIN=$(CURDIR)/$(BUILD)/nscore tests-cli/run.sh

test-c: lib
	tests-c/run.sh

# The cgroup tests on a real cgroup2 hierarchy with controllers: Debian's kernel booted in qemu
# (KVM when usable, else TCG) with a busybox initramfs (tools/vm/run.sh; installs its packages).
test-vm: all
	tools/vm/run.sh

# A base directory of its own: pytest prunes the numbered ones it shares with every other session
# of the same user, which took a concurrent session's rootless copies away mid-test.
test-python: lib
	@tmp=$$(mktemp -d /tmp/nscore-pytest.XXXXXX) && \
	NSCORE_LIBRARY=$(CURDIR)/$(BUILD)/libnscore.so python3 -m pytest -q --basetemp=$$tmp bindings/python/tests; \
	rc=$$?; rm -rf $$tmp; exit $$rc

bench: all
	bench/run.sh $(if $(QUICK),--quick,)

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/libnscore.so.$(ABI_MAJOR) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libnscore.so.$(ABI_MAJOR) $(DESTDIR)$(PREFIX)/lib/libnscore.so
	install -m 0644 include/nscore.h $(DESTDIR)$(PREFIX)/include/
	$(call write-pc,$(DESTDIR)$(PREFIX)/lib/pkgconfig/nscore.pc)
	install -m 0755 $(BUILD)/nscore $(DESTDIR)$(PREFIX)/bin/
	@$(if $(DESTDIR),true,tools/install-ldconfig.sh $(PREFIX)/lib)

# A wheel of the Python bindings with libnscore.so.0 inside (bindings/python/setup.py copies
# it in), tagged manylinux_2_X_<arch> from the library's symbol versions
# (bindings/python/wheel_tag.py): it installs without a Swift toolchain on glibc 2.X and newer.
wheel: lib
	@mkdir -p $(BUILD)/wheel
	rm -f $(BUILD)/wheel/nscore-*.whl
	NSCORE_LIBRARY=$(CURDIR)/$(BUILD)/libnscore.so.$(ABI_MAJOR) python3 -m pip wheel -q --no-deps --no-build-isolation --no-index -w $(BUILD)/wheel ./bindings/python
	rm -rf bindings/python/build bindings/python/nscore.egg-info
	@ls $(BUILD)/wheel/nscore-*.whl

test-wheel: lib
	tools/test-wheel.sh

clean:
	rm -rf $(BUILD) .build .build-test .build-static bindings/python/build bindings/python/nscore.egg-info
