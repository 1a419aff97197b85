#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A throwaway PostgreSQL server for the tests, from Debian's packages (never a system
# service): its files in DIR, listening on 127.0.0.1 only, run as an unprivileged user
# (`postgres` when we are root), trusting local connections as the superuser `rcauth`.
#
#   scripts/pg-test.sh start DIR [PORT]   initdb DIR when new, start, print the URL of the
#                                         `postgres` database (the port is kept in DIR/port)
#   scripts/pg-test.sh stop DIR           stop it (fast shutdown: sessions are cut)
#   scripts/pg-test.sh destroy DIR        stop it and remove DIR
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|destroy DIR [PORT]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
dir=$2

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "pg-test: PostgreSQL is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
fi

# initdb refuses to run as root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U rcauth --auth=trust -E UTF8 --no-locale \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    local port=${1:-}
    [ -n "$port" ] || port=$(cat "$dir/port" 2>/dev/null || free_port)
    echo "$port" >"$dir/port"
    # Durability is not the point of a test server: no fsync.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
    echo "postgresql://rcauth@127.0.0.1:$port/postgres"
}

stop() {
    [ -f "$dir/data/postmaster.pid" ] || return 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

case "$cmd" in
start) start "${3:-}" ;;
stop) stop ;;
destroy)
    stop
    rm -rf "$dir"
    ;;
*) usage ;;
esac
