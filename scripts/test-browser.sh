#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The panel in headless Chromium: tests/browser/*.test.mjs (node's test runner, TAP output)
# drive Debian's /usr/bin/chromium through playwright-core against build/rcauth (or
# $RCAUTH_BIN). Screenshots go to $BUILD/test-artifacts/browser/ (emptied first).
# `npm ci` runs when tests/browser/node_modules lacks playwright-core. A missing binary,
# browser, Node or package is a failure (exit 1), never a skip. Extra arguments go to node
# (e.g. --test-name-pattern=revoke).
set -uo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "test-browser: $*" >&2
    exit 1
}

bin="${RCAUTH_BIN:-build/rcauth}"
[ -x "$bin" ] || die "$bin not found or not executable (run \`make build\`)"
command -v node >/dev/null || die "node not found: run scripts/install-deps.sh"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || die "${CHROMIUM:-/usr/bin/chromium} not found: run scripts/install-deps.sh (Debian's chromium)"
if [ ! -f tests/browser/node_modules/playwright-core/package.json ]; then
    command -v npm >/dev/null || die "npm not found: run scripts/install-deps.sh"
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in tests/browser failed"
fi

artifacts="${BUILD:-build}/test-artifacts/browser"
rm -rf "$artifacts"
mkdir -p "$artifacts"
export RCAUTH_BIN="$bin" BROWSER_ARTIFACTS="$artifacts"
node --test --test-reporter=tap "$@" tests/browser/
