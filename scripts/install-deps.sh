#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs, with apt-get, the Debian 12 packages rcauth needs to build, run and test.
# Idempotent: installs only what is missing, and does nothing when all is there.
set -euo pipefail

packages=(
    build-essential pkg-config meson ninja-build clang-format
    libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libinih-dev libssl-dev
    libpq-dev libcmocka-dev libcurl4-openssl-dev
    python3 python3-pytest python3-requests python3-jwt python3-cryptography
    sqlite3 wrk curl nginx
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
