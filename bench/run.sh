#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: wrk against rcauth's token and verification endpoints, next to the
# hello-world ceiling (bench/hello_mhd.c, same HTTP library and thread settings), all in
# one run on loopback. Prints requests/s, p50/p99 latency and rcauth ÷ ceiling ratios.
# Usage: bench/run.sh [--duration SECONDS] [--runs N] [--accesses N] [--tokens N]
# Each figure is the median of --runs runs (default 3) of --duration seconds (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10 runs=3 accesses=1000 tokens=10000 conns=64 threads=2
while [ $# -gt 0 ]; do
    case "$1" in
    --duration) duration=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --accesses) accesses=$2; shift 2 ;;
    --tokens) tokens=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--duration S] [--runs N] [--accesses N] [--tokens N]" >&2; exit 2 ;;
    esac
done

bin=build/rcauth hello=build/hello-mhd
for b in "$bin" "$hello"; do [ -x "$b" ] || { echo "bench: $b missing (make build)" >&2; exit 1; }; done
command -v wrk >/dev/null || { echo "bench: wrk missing (scripts/install-deps.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/rcauth-bench.XXXXXX)
export BENCH_DIR=$work
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # url
    for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
    echo "bench: $1 did not come up" >&2
    exit 1
}

# wrk once; prints "rps p50_ms p99_ms errors" (errors = non-2xx + socket errors).
wrk_once() { # url [lua]
    local out
    out=$(wrk -t$threads -c$conns -d"${duration}s" --latency ${2:+-s "$2"} "$1")
    /usr/bin/python3 - "$out" <<'EOF'
import re, sys
out = sys.argv[1]
def ms(label):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\b" % label, out, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
print("%.0f %.2f %.2f %d" % (rps, ms("50"), ms("99"), errors))
EOF
}

# The median run (by requests/s) of $runs runs.
measure() { # url [lua]
    local all=() i
    for i in $(seq "$runs"); do all+=("$(wrk_once "$@")"); done
    printf '%s\n' "${all[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

# --- the servers --------------------------------------------------------------------------
hello_port=$(free_port)
"$hello" "$hello_port" 0 2>"$work/hello.log" &
pids+=($!)

rc_port=$(free_port)
mkdir -p "$work/data"
admin_key=$(env -u RCAUTH_DB "$bin" admin-key create --name bench --data "$work/data")
env -u RCAUTH_DB "$bin" serve --data "$work/data" --listen "127.0.0.1:$rc_port" \
    --log-level warn 2>"$work/rcauth.log" &
pids+=($!)
wait_up "http://127.0.0.1:$hello_port/"
wait_up "http://127.0.0.1:$rc_port/healthz"

echo "bench: creating $accesses accesses and $tokens tokens…" >&2
/usr/bin/python3 bench/setup.py "http://127.0.0.1:$rc_port" "$admin_key" "$work" "$accesses" "$tokens"

# --- the measurements ---------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: measuring ($runs × ${duration}s each, wrk -t$threads -c$conns)…" >&2
ceiling=$(measure "http://127.0.0.1:$hello_port/")
issue=$(measure "http://127.0.0.1:$rc_port" bench/token.lua)
verify=$(measure "http://127.0.0.1:$rc_port" bench/verify.lua)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

rps() { cut -d' ' -f1 <<<"$1"; }
ratio() { awk -v a="$(rps "$1")" -v b="$(rps "$2")" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "rcauth benchmark — $(nproc) cores, $(uname -r), load before $load_before, after $load_after"
echo "wrk -t$threads -c$conns -d${duration}s, median of $runs; $accesses accesses, $tokens tokens"
echo
printf '%-34s %10s %9s %9s %8s %8s\n' "measurement" "req/s" "p50 ms" "p99 ms" "errors" "÷ceiling"
row() { # label figures ratio
    read -r r p50 p99 err <<<"$2"
    printf '%-34s %10s %9s %9s %8s %8s\n' "$1" "$r" "$p50" "$p99" "$err" "$3"
}
row "hello-world (libmicrohttpd)" "$ceiling" "1.00"
row "rcauth POST /{account}/token" "$issue" "$(ratio "$issue" "$ceiling")"
row "rcauth GET /token (verify)" "$verify" "$(ratio "$verify" "$ceiling")"
echo
echo "ratio.issue=$(ratio "$issue" "$ceiling")"
echo "ratio.verify=$(ratio "$verify" "$ceiling")"
echo "p99_ms.issue=$(cut -d' ' -f3 <<<"$issue")"
echo "p99_ms.verify=$(cut -d' ' -f3 <<<"$verify")"
