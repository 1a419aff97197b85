# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # globals shared with bench/lib.sh and bench/run.sh
# Glewlwyd for bench/run.sh (sourced after bench/lib.sh): Debian's packages fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into $cache/glewlwyd (kept between
# runs), run from there without their post-install steps; the SQLite database (Debian's
# schema, which creates user admin/password) and the config live in the run's work dir.

glewlwyd_packages=(glewlwyd glewlwyd-common libhoel1.4 libiddawc1.1 liborcania2.3 librhonabwy1.1
    libulfius2.7 libyder2.0 libconfig9 liboath0 libmariadb3 mariadb-common)

glewlwyd_download() { # DIR
    (cd "$1" && apt-get download "${glewlwyd_packages[@]}") >"$work/apt.log" 2>&1
}

# glewlwyd_install: sets glw_root and glw_version; fails loudly when apt cannot fetch it.
glewlwyd_install() {
    local dest=$cache/glewlwyd tmp deb
    glw_root=$dest/root
    if [ ! -f "$dest/.installed" ]; then
        need apt-get dpkg-deb sqlite3
        note "fetching Glewlwyd's Debian packages into $dest…"
        tmp=$(mktemp -d "$cache/glewlwyd-tmp.XXXXXX")
        cleanup_paths+=("$tmp")
        chmod 755 "$tmp" # apt's sandbox user writes there
        # Stale package lists are the usual cause of a failure: refresh them once when we may.
        if ! glewlwyd_download "$tmp" &&
            ! { [ "$(id -u)" -eq 0 ] && apt-get update -qq >/dev/null 2>&1 && glewlwyd_download "$tmp"; }; then
            tail -n 20 "$work/apt.log" >&2
            die "cannot download Glewlwyd's packages with apt-get (no network, or run apt-get update)"
        fi
        for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
        dpkg-deb -f "$tmp"/glewlwyd_*.deb Version >"$tmp/version"
        # The config names a user-middleware module folder; the package ships none.
        mkdir -p "$tmp/root/usr/lib/glewlwyd/user_middleware"
        rm -f "$tmp"/*.deb
        touch "$tmp/.installed"
        rm -rf "$dest"
        mv "$tmp" "$dest"
    fi
    glw_version=$(cut -d- -f1 "$dest/version")
}

# glewlwyd_start: a fresh database and config in $work/glewlwyd; sets glw_url and bg_pid.
glewlwyd_start() {
    local d=$work/glewlwyd port lib
    port=$(free_port)
    glw_url=http://127.0.0.1:$port
    lib=$(echo "$glw_root"/usr/lib/*-linux-gnu)
    mkdir -p "$d"
    sqlite3 "$d/glewlwyd.db" <"$glw_root/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3"
    # No use_secure_connection line at all: even "=false" makes it ask for TLS files.
    cat >"$d/glewlwyd.conf" <<CONF
port=$port
bind_address="127.0.0.1"
external_url="$glw_url"
api_prefix="api"
log_mode="console"
log_level="WARNING"
cookie_secure=0
admin_session_authentication="cookie,api_key"
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="$glw_root/usr/lib/glewlwyd/user"
user_middleware_module_path="$glw_root/usr/lib/glewlwyd/user_middleware"
client_module_path="$glw_root/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="$glw_root/usr/lib/glewlwyd/scheme"
plugin_module_path="$glw_root/usr/lib/glewlwyd/plugin"
hash_algorithm="SHA512"
database = { type = "sqlite3"; path = "$d/glewlwyd.db"; };
CONF
    start_bg "$d/glewlwyd.log" env LD_LIBRARY_PATH="$lib" "$glw_root/usr/bin/glewlwyd" -c "$d/glewlwyd.conf"
    wait_http "$glw_url/config" "$bg_pid" "$d/glewlwyd.log"
}
