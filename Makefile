# The front door. `make demo` and `make test` work on a fresh Debian 12 machine: they install
# what is missing, configure with CMake presets (Ninja), build, and run.
PRESET ?= release
JOBS   ?= $(shell nproc)
BUILD   = build/$(PRESET)

.PHONY: all demo test test-asan test-load build deps bench fuzz clean

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

clean:
	rm -rf build
