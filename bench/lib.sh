# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Sourced by bench/run.sh, bench/scale.sh and bench/profile.sh: a work directory under /tmp
# and the processes a benchmark starts, both removed and stopped on exit whatever happens
# (error, Ctrl-C, SIGTERM); free ports; waiting for a server to answer; starting rcauth.
# Nothing is ever written inside the repository but build/ (by make).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
# The helpers import each other: no __pycache__ left in bench/.
export PYTHONDONTWRITEBYTECODE=1
# Peers are installed here, outside the repository, and kept between runs.
cache=${RCAUTH_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rcauth-bench}
work=""
pids=()
cleanup_paths=()

note() { echo "bench: $*" >&2; }
die() {
    echo "bench: error: $*" >&2
    exit 1
}

# stop_pid PID [SECONDS]: SIGTERM, up to SECONDS (default 5) to finish, then SIGKILL.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || return 0
    local _
    for _ in $(seq $((${2:-5} * 10))); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# stop_all: every server started so far.
stop_all() {
    local p
    for p in "${pids[@]}"; do stop_pid "$p"; done
    pids=()
}

bench_cleanup() {
    local p
    stop_all
    for p in "${cleanup_paths[@]}" "$work"; do [ -n "$p" ] && rm -rf "$p"; done
    return 0
}

bench_init() {
    work=$(mktemp -d /tmp/rcauth-bench.XXXXXX)
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mkdir -p "$cache"
}

# start_bg LOG CMD…: CMD in the background, its output in LOG, its pid in $bg_pid (and
# stopped on exit). CMD must be a program (env … is fine), not a shell function: the
# background child then execs it and the pid is the server's own.
start_bg() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    bg_pid=$!
    pids+=("$bg_pid")
}

# stop_bg PID [SECONDS]: stop one server now (it is also forgotten by the exit trap).
stop_bg() {
    local keep=() p
    stop_pid "$1" "${2:-5}"
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]}")
}

free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL PID LOG [SECONDS]: until URL answers 2xx (default 30 s); fails loudly, with
# the end of LOG, when PID exits first or the time is up.
wait_http() {
    local url=$1 pid=$2 log=$3 _
    for _ in $(seq $((${4:-30} * 20))); do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$log" >&2
            die "the server for $url exited (log above)"
        fi
        curl -sf -o /dev/null --max-time 2 "$url" && return 0
        sleep 0.05
    done
    tail -n 20 "$log" >&2
    die "$url did not answer within ${4:-30} s (log above)"
}

# The rcauth command, without the RCAUTH_* variables of the caller's environment: an array,
# not a function, so that start_bg execs it and $bg_pid is the server's own pid.
rcauth=(env)
for v in $(compgen -e); do [[ $v == RCAUTH_* ]] && rcauth+=(-u "$v"); done
rcauth+=("$repo/build/rcauth")

# rcauth_start DATA_DIR [WRAPPER…]: serve DATA_DIR on a free loopback port (run by WRAPPER,
# e.g. valgrind, when given), wait for /healthz; sets rc_url and bg_pid.
rcauth_start() {
    local port data=$1
    shift
    port=$(free_port)
    rc_url=http://127.0.0.1:$port
    start_bg "$work/rcauth-$port.log" "${rcauth[@]:0:${#rcauth[@]}-1}" "$@" "${rcauth[-1]}" \
        serve --data "$data" --listen "127.0.0.1:$port" --log-level warn
    wait_http "$rc_url/healthz" "$bg_pid" "$work/rcauth-$port.log" $(($# ? 120 : 30))
}

need() {
    local c
    for c in "$@"; do command -v "$c" >/dev/null || die "$c is missing (scripts/install-deps.sh)"; done
}

# seconds_since T0 [T1]: T1 (default now) − T0, both $EPOCHREALTIME values, to 0.1 s.
seconds_since() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; }

# commit_label: the commit measured, "+changes" when the working tree differs from it.
commit_label() {
    local c
    c=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
    git -C "$repo" diff --quiet HEAD 2>/dev/null || c="$c+changes"
    echo "$c"
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
