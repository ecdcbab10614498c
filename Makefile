# vigil — top-level entry points. `make demo` and `make test` work on a fresh Debian 12 machine as
# root: they install what is missing (scripts/install-deps.sh), build, and run.
CORPUS ?= ../shared/corpus
JOBS ?= 2
MAKEFLAGS += --no-print-directory
export VIGIL_CORPUS ?= $(CORPUS)

.PHONY: all deps build build-asan build-tsan build-fuzz test unit demo bench fuzz clean format

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j$(JOBS) -- -s

build-asan: deps
	@CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j$(JOBS) -- -s

# ThreadSanitizer (clang): the --workers suite runs a few captures with it when build-tsan exists.
build-tsan: deps
	@CC=clang cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_TSAN=ON >/dev/null
	@cmake --build build-tsan -j$(JOBS) --target vigil test_workers -- -s

build-fuzz: deps
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j$(JOBS) -- -s

# Everything: unit tests (normal and ASan+UBSan), capture tests, tshark cross-checks, a corpus sweep
# under sanitizers, and a short run of every fuzzer. Prints "N passed, N failed" at the end.
test: build build-asan build-tsan build-fuzz
	@bash tests/run-all.sh

# Unit tests only, for a quick edit-compile-test loop.
unit: build
	@bash tests/run-all.sh --only unit

demo: build
	@./build/vigil analyze -o vigil-out tests/sample/demo.pcap
	@echo "events written to vigil-out/eve.json; the alerts:"
	@grep '"event_type":"alert"' vigil-out/eve.json | head -n 10 | cut -c1-300

# Longer fuzzing by hand: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 300
fuzz: build-fuzz
	@bash tests/run-fuzzers.sh $(FUZZ_SECONDS)

bench: build
	@bash bench/make-big-pcap.sh && bash bench/throughput.sh bench/out/big.pcap

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-tsan build-fuzz vigil-out
