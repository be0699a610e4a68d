# Two entry points (see README): `make serve` and `make test`. Both install what is
# missing on a fresh Debian 12 machine first, then build.
BUILD   ?= build
JOBS    ?= $(shell nproc)
MODEL   ?=
HOST    ?= 127.0.0.1
PORT    ?= 8080
QVL     := $(BUILD)/bin/qvl
DEMO    := $(BUILD)/demo/qwen3-tiny-hybrid.gguf

APT_PACKAGES := build-essential cmake nlohmann-json3-dev libcpp-httplib-dev libcurl4-openssl-dev libstb-dev libwebp-dev libpng-dev libjpeg62-turbo-dev \
                libavformat-dev libavcodec-dev libavutil-dev libswscale-dev \
                libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev libssl-dev zlib1g-dev libre2-dev \
                pkg-config git curl clang-14 libclang-rt-14-dev \
                chromium haproxy python3-requests

.PHONY: all deps deps-apt deps-npm deps-llama-src build serve test test-unit test-node test-fuzz fuzz-build clean

all: build

deps: deps-apt deps-npm deps-llama-src

# Installs only packages that are missing, so a prepared machine skips apt entirely.
deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@# Node.js may come from outside Debian (as on our machines); install Debian's only when absent.
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; }

# Test references (llama.cpp bindings, HF jinja, Qwen3 tokenizer, openai SDK) from the lock file.
deps-npm: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	@# `npm ci` rejects this lock (the registry has no lock entries for node-llama-cpp's
	@# mac/windows optional packages); `npm install` follows the same lock and leaves it unchanged.
	NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-audit --no-fund --ignore-scripts
	@touch $@

# llama.cpp's source from the git bundle inside node-llama-cpp (tests read the
# vocabulary GGUFs it ships; bench/build-llamacpp.sh builds its tools from it).
# Under .cache/, git-ignored: never committed.
LLAMA_SRC := .cache/llama.cpp-src
deps-llama-src: $(LLAMA_SRC)/.git/HEAD
$(LLAMA_SRC)/.git/HEAD: | node_modules/.package-lock.json
	rm -rf $(LLAMA_SRC) && mkdir -p $(dir $(LLAMA_SRC))
	git -c advice.detachedHead=false clone --quiet node_modules/node-llama-cpp/llama/gitRelease.bundle $(LLAMA_SRC)

build: deps-apt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

$(DEMO): | build deps-npm
	@mkdir -p $(dir $@)
	$(QVL) make-test-model --arch qwen3 --shape tiny --format gguf --template hybrid --seed 1 --out $@

serve: build $(if $(MODEL),,$(DEMO))
	$(QVL) serve --model $(if $(MODEL),$(MODEL),$(DEMO)) --host $(HOST) --port $(PORT)

test: deps build
	$(MAKE) test-unit test-node test-fuzz

test-unit:
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-node:
	QVL_BIN=$(abspath $(QVL)) bash tests/run_node_tests.sh

# libFuzzer smoke runs (FUZZ_SECONDS each) of every harness in tests/fuzz, built with
# clang + ASan + UBSan in their own build dir; long runs: see docs/FUZZING.md.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 10
fuzz-build: deps-apt
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQVL_FUZZ=ON \
	  -DQVL_FUZZ_SMOKE_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $$(cd tests/fuzz && ls fuzz_*.cpp | sed 's/\.cpp$$//')

test-fuzz: fuzz-build
	cd $(FUZZ_BUILD) && ctest -L fuzz --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
