#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs, with apt-get, the Debian 12 packages rcauth needs to build, run and test.
# Idempotent: installs only what is missing, and does nothing when all is there.
set -euo pipefail

packages=(
    build-essential pkg-config meson ninja-build clang-format clang libclang-rt-14-dev
    libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libinih-dev libssl-dev
    libpq-dev postgresql libcmocka-dev libcurl4-openssl-dev
    python3 python3-pytest python3-requests python3-jwt python3-cryptography
    python3-requests-oauthlib sqlite3 wrk curl openssl nginx chromium
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# chromium: the panel's browser suite (tests/browser) drives it headless.
# tests/interop runs npm packages: any Node that is there will do; the nodejs package only
# when there is no node at all, and Debian's npm only when that nodejs came without one
# (NodeSource's has npm inside and conflicts with Debian's).
have() { command -v "$1" >/dev/null 2>&1; }
have node || missing+=(nodejs)
[ ${#missing[@]} -eq 0 ] && have npm && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
install() {
    echo "install-deps: installing $*" >&2
    $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
$sudo apt-get update -qq
[ ${#missing[@]} -eq 0 ] || install "${missing[@]}"
have npm || install npm
