#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make fuzz`: builds the libFuzzer targets of tests/fuzz with clang, ASan and UBSan (any
# report aborts), replays the kept regression inputs, then fuzzes each target for
# FUZZ_SECONDS (default 60) from its seed corpus. New inputs go to build-fuzz/corpus, never
# into the repository; a crash is written to build-fuzz/findings/<target>/ — copy it to
# tests/fuzz/regressions/<target>/ once fixed. Prints "fuzz: <target> ok|FAILED" per
# target and exits non-zero if any failed. Arguments: target names to run only those.
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD_FUZZ="${BUILD_FUZZ:-build-fuzz}"
seconds="${FUZZ_SECONDS:-60}"
cc="$(command -v clang-14 || command -v clang || true)"
if [ -z "$cc" ]; then
    echo "fuzz: clang not found (scripts/install-deps.sh installs it)" >&2
    exit 1
fi

mkdir -p "$BUILD_FUZZ"
find src tests/fuzz -name '*.c' -o -name '*.sql' | LC_ALL=C sort >"$BUILD_FUZZ/.files.new"
if [ ! -f "$BUILD_FUZZ/build.ninja" ]; then
    CC="$cc" meson setup "$BUILD_FUZZ" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dc_args=-fno-sanitize-recover=undefined >/dev/null || exit 1
elif ! cmp -s "$BUILD_FUZZ/.files.new" "$BUILD_FUZZ/.files"; then
    meson setup --reconfigure "$BUILD_FUZZ" >/dev/null || exit 1
fi
mv "$BUILD_FUZZ/.files.new" "$BUILD_FUZZ/.files"
ninja -C "$BUILD_FUZZ" >/dev/null || ninja -C "$BUILD_FUZZ" || exit 1

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=0
for t in "${targets[@]}"; do
    bin="$BUILD_FUZZ/$t"
    work="$BUILD_FUZZ/corpus/$t"
    findings="$BUILD_FUZZ/findings/$t"
    log="$BUILD_FUZZ/$t.log"
    mkdir -p "$work" "$findings"
    ok=1
    regressions=(tests/fuzz/regressions/"$t"/*)
    if [ -e "${regressions[0]}" ] && ! "$bin" "${regressions[@]}" >"$log" 2>&1; then
        ok=0
    fi
    if [ $ok -eq 1 ] && ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -artifact_prefix="$findings/" "$work" "tests/fuzz/corpus/$t" \
        >>"$log" 2>&1; then
        ok=0
    fi
    if [ $ok -eq 1 ]; then
        runs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -1)
        echo "fuzz: $t ok (${runs:-no summary}, ${seconds}s)"
    else
        echo "fuzz: $t FAILED (see $log; inputs in $findings)"
        tail -30 "$log" >&2
        failed=$((failed + 1))
    fi
done
[ "$failed" -eq 0 ]
