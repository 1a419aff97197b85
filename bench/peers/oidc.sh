# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # globals shared with bench/lib.sh and bench/run.sh
# node-oidc-provider for bench/run.sh (sourced after bench/lib.sh). `npm ci` of the pinned
# bench/peers/oidc/package-lock.json into $cache/oidc-<hash of the lock>, kept between runs;
# nothing of it is written into the repository.

# oidc_install: sets oidc_dir; fails loudly when npm cannot install it (no network…).
oidc_install() {
    local src=$repo/bench/peers/oidc hash tmp
    need node npm
    hash=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-12)
    oidc_dir=$cache/oidc-$hash
    if [ ! -f "$oidc_dir/.installed" ]; then
        note "installing node-oidc-provider (npm ci) into $oidc_dir…"
        tmp=$(mktemp -d "$cache/oidc-tmp.XXXXXX")
        cleanup_paths+=("$tmp")
        cp "$src/package.json" "$src/package-lock.json" "$tmp/"
        if ! (cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1; then
            tail -n 20 "$work/npm.log" >&2
            die "cannot install node-oidc-provider with npm ci (no access to the npm registry?)"
        fi
        touch "$tmp/.installed"
        rm -rf "$oidc_dir"
        mv "$tmp" "$oidc_dir"
    fi
    oidc_version=$(node -p "require('$oidc_dir/node_modules/oidc-provider/package.json').version")
    # ESM resolves 'oidc-provider' next to the importing file: the script goes beside its
    # node_modules (it is ours, copied each run).
    cp "$src/server.mjs" "$oidc_dir/server.mjs"
}

# oidc_start MODE NCLIENTS: MODE is opaque or jwt; sets oidc_url and bg_pid.
oidc_start() {
    local port
    port=$(free_port)
    oidc_url=http://127.0.0.1:$port
    start_bg "$work/oidc-$1.log" env NODE_ENV=production node "$oidc_dir/server.mjs" "$port" "$1" "$2"
    wait_http "$oidc_url/.well-known/openid-configuration" "$bg_pid" "$work/oidc-$1.log"
}
