#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds rcauth and its unit tests under a sanitizer, in its own build directory:
#   scripts/build-sanitized.sh asan   → build-asan/  (AddressSanitizer + UBSan, any report fatal)
#   scripts/build-sanitized.sh tsan   → build-tsan/  (ThreadSanitizer)
# Idempotent: reconfigures only when the set of source files changed.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
asan) opts=(-Db_sanitize=address,undefined -Dc_args=-fno-sanitize-recover=undefined) ;;
tsan) opts=(-Db_sanitize=thread) ;;
*) echo "usage: scripts/build-sanitized.sh asan|tsan" >&2; exit 2 ;;
esac
dir="build-$1"
mkdir -p "$dir"
find src tests/unit -name '*.c' -o -name '*.sql' | LC_ALL=C sort >"$dir/.files.new"
find web -type f 2>/dev/null | LC_ALL=C sort >>"$dir/.files.new"
if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" -Db_lundef=false "${opts[@]}" >/dev/null
elif ! cmp -s "$dir/.files.new" "$dir/.files"; then
    meson setup --reconfigure "$dir" >/dev/null
fi
mv "$dir/.files.new" "$dir/.files"
ninja -C "$dir" >/dev/null || ninja -C "$dir"
