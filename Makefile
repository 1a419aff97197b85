# SPDX-License-Identifier: MIT
# Front door: `make` builds build/rcauth, `make run` starts a demo server, `make test` runs
# every suite. Meson + Ninja do the real work.
BUILD ?= build
PY := /usr/bin/python3

.PHONY: all deps build run test unit e2e browser bench fuzz clean format format-check

all: build

deps:
	@scripts/install-deps.sh

# Reconfigure when the set of source files changes (meson.build lists them with find:
# C sources, SQL migrations, and every file of the panel in web/).
$(BUILD)/.files: deps FORCE
	@mkdir -p $(BUILD)
	@{ find src tests/unit bench -name '*.c' -o -name '*.sql'; find web -type f; } | LC_ALL=C sort > $(BUILD)/.files.new
	@if [ ! -f $(BUILD)/build.ninja ]; then meson setup $(BUILD) >/dev/null; \
	elif ! cmp -s $(BUILD)/.files.new $(BUILD)/.files; then meson setup --reconfigure $(BUILD) >/dev/null; fi
	@mv $(BUILD)/.files.new $(BUILD)/.files

build: $(BUILD)/.files
	@ninja -C $(BUILD) >/dev/null || ninja -C $(BUILD)

run: build
	@scripts/run-demo.sh

unit: build
	@meson test -C $(BUILD) --print-errorlogs

e2e: build
	@scripts/test-e2e.sh

browser: build
	@scripts/test-browser.sh

test: build
	@scripts/test-all.sh

bench: build
	@bench/run.sh $(BENCH_ARGS)

# libFuzzer targets under ASan+UBSan, FUZZ_SECONDS (default 60) each.
fuzz: deps
	@scripts/fuzz.sh

format:
	@find src tests/unit tests/fuzz bench -name '*.[ch]' | xargs clang-format -i

format-check:
	@find src tests/unit tests/fuzz bench -name '*.[ch]' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) build-fuzz build-asan build-tsan

FORCE:
