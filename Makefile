# The front door. `make demo` and `make test` work on a fresh Debian 12 machine: they install
# what is missing, configure with CMake presets (Ninja), build, and run.
PRESET ?= release
JOBS   ?= $(shell nproc)
BUILD   = build/$(PRESET)

.PHONY: all demo test test-asan test-load build deps bench fuzz clean package package-test docs

all: build

deps:
	@scripts/install-deps.sh build

$(BUILD)/build.ninja: CMakeLists.txt CMakePresets.json
	cmake --preset $(PRESET) >/dev/null

build: deps $(BUILD)/build.ninja
	cmake --build --preset $(PRESET) -j $(JOBS)

demo: build
	$(BUILD)/bin/weft tour

test:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build PRESET=$(PRESET)
	ctest --preset $(PRESET) -j $(JOBS)

test-asan:
	@$(MAKE) --no-print-directory test PRESET=asan

# The suite 3 times in a row while busy loops keep every core busy (scripts/test-load.sh).
test-load:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build PRESET=$(PRESET)
	scripts/test-load.sh $(PRESET) 3

bench:
	@scripts/install-deps.sh bench
	scripts/bench.sh

fuzz:
	@scripts/install-deps.sh fuzz
	scripts/fuzz.sh

# Debian packages (weft, libweft<SOVERSION>, libweft-dev) in $(BUILD)/packages/, cut by CPack
# from the same build `make test` uses; only what they hold is built. lintian judges them:
# any error fails (cmake/WeftPackaging.cmake says why CPack and which packages).
package:
	@scripts/install-deps.sh package
	@$(MAKE) --no-print-directory $(BUILD)/build.ninja PRESET=$(PRESET)
	cmake --build --preset $(PRESET) -j $(JOBS) --target weft weft_shared weft_cli weft_cli_docs
	rm -rf $(BUILD)/packages
	cd $(BUILD) && cpack
	lintian --fail-on error $(BUILD)/packages/*.deb
	@ls -l $(BUILD)/packages/*.deb

# The packages installed with apt-get on a fresh Debian 12 chroot (debootstrap), used there,
# removed, and nothing left behind (scripts/package-test.sh). Takes minutes; root only.
package-test: package
	scripts/package-test.sh $(BUILD)/packages

# The API reference from the public headers: build/docs/html/index.html. Fails on a doxygen
# warning (an undocumented public symbol included) not in docs/api-undocumented.txt.
docs:
	@scripts/install-deps.sh docs
	rm -rf build/docs
	scripts/api-docs.sh build/docs

clean:
	rm -rf build
