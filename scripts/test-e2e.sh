#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Black-box end-to-end suite: starts build/rcauth (or $RCAUTH_BIN) on fresh SQLite data
# dirs and talks to it over HTTP. Extra arguments go to pytest (e.g. -k scope, -x, -v).
# Exit code: pytest's, except "no tests collected" (5), which counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bin="${RCAUTH_BIN:-build/rcauth}"
if [ ! -x "$bin" ]; then
    echo "test-e2e: $bin not found or not executable (run \`make build\`)" >&2
    exit 1
fi
export RCAUTH_BIN="$bin"
export PYTHONDONTWRITEBYTECODE=1

/usr/bin/python3 -m pytest tests/e2e -q -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "test-e2e: no tests collected" >&2
    exit 1
fi
exit "$rc"
