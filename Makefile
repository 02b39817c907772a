# otapack — the two commands that matter: `make demo` and `make check`.
# Everything else (CMake, ctest, sanitizers) is driven from here.

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build build-asan demo check check-fast check-asan check-valgrind bench fuzz install clean

all: build

deps:
	@./scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DOTA_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_ASAN) -j$(JOBS)

# The quickstart walkthrough: keys, a package, a device, an install, two refusals.
demo: build
	@bash examples/quickstart/run.sh $(BUILD)/bin

# The whole test suite, then again under AddressSanitizer + UndefinedBehaviorSanitizer.
check: check-fast check-asan

check-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

check-asan: build-asan
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

# The CLI integration tests with every otapack/otaupdate run under valgrind (slow: CI runs it).
check-valgrind: build
	@bash tests/valgrind.sh $(BUILD)

# Throughput and memory, as ratios against openssl dgst and cp in the same run.
bench: deps
	@cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DOTA_TESTS=OFF >/dev/null
	@cmake --build build-release -j$(JOBS)
	@bash bench/run.sh build-release

# Coverage-guided fuzzing with libFuzzer (clang), FUZZ_SECONDS per harness (default 60).
fuzz: deps
	@bash tests/fuzz/run.sh

install: build
	@cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-release
