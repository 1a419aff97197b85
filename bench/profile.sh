#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Where rcauth's time goes, per endpoint (issue, verify, authorize), on the fixtures of
# bench/run.sh (1,000 accesses, 10,000 live tokens). For each endpoint:
#   - perf (when `perf record -e cpu-clock` works here): rcauth under the load of run.sh
#     (wrk -t2 -c64) for --duration seconds, sampled at ~1 kHz on the CPU clock (this VM has
#     no hardware counters); the share of time by library and by function (self time);
#   - callgrind: rcauth under valgrind answering wrk -t1 -c4 for --cg-seconds seconds (after
#     as long a warm-up, not profiled), one profile per thread; per request, on the threads that serve requests: instructions, the
#     top inclusive and self costs with their callers, the calls of malloc/free and of a few
#     costly functions and who asks for them (bench/cg_report.py).
# Prints Markdown on stdout (bench/RESULTS.md quotes it). Needs valgrind; perf is optional.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
    echo "usage: bench/profile.sh [--duration SECONDS] [--cg-seconds SECONDS] [--only LIST] [--top N]" >&2
    echo "  defaults: 10 s of perf, 10 s of callgrind, LIST = issue,verify,authorize, top 15" >&2
    exit 2
}
duration=10 cg_seconds=10 only=issue,verify,authorize top=15
while [ $# -gt 0 ]; do
    case "$1" in
    --duration) duration=${2:?}; shift 2 ;;
    --cg-seconds) cg_seconds=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --top) top=${2:?}; shift 2 ;;
    *) usage ;;
    esac
done
for e in ${only//,/ }; do [[ $e =~ ^(issue|verify|authorize)$ ]] || usage; done

need wrk curl valgrind callgrind_annotate
make -C "$repo" -s build >&2
bench_init
setup() { $PY "$repo/bench/setup.py" "$@"; }
have_perf=0
perf record -q -e cpu-clock -o "$work/probe.data" true >/dev/null 2>&1 && have_perf=1
declare -A status=([issue]=200 [verify]=200 [authorize]=204)
declare -A what=([issue]="POST /{account}/token" [verify]="GET /token" [authorize]="GET /authorize")

data=$work/data
admin_key=$("${rcauth[@]}" admin-key create --name bench --data "$data" 2>/dev/null)
rcauth_start "$data"
setup rcauth-accesses "$rc_url" "$admin_key" "$work" 1000
setup rcauth-tokens "$rc_url" "$work" 10000 86400
stop_bg "$bg_pid"

# callgrind_run NAME REQUEST_FILE: rcauth under callgrind, first warmed up with the file for
# --cg-seconds without instrumentation (caches filled, as in a long run), then profiled for
# --cg-seconds; the per-thread profiles in $work/NAME.cg-NN, the number of requests answered
# while profiled in $cg_requests.
callgrind_run() {
    rcauth_start "$data" valgrind --tool=callgrind --separate-threads=yes --instr-atstart=no \
        --callgrind-out-file="$work/$1.cg"
    cg_load "$2" >/dev/null
    callgrind_control -i on "$bg_pid" >/dev/null 2>&1 || die "callgrind_control failed"
    cg_requests=$(cg_load "$2")
    stop_bg "$bg_pid" 60
    compgen -G "$work/$1.cg-*" >/dev/null || die "callgrind wrote no profile for $1"
}
cg_load() {
    $PY "$repo/bench/wrk_run.py" --url "$rc_url" --requests "$1" --pid "$bg_pid" \
        --duration "$cg_seconds" --threads 1 --connections 4 |
        $PY -c 'import json,sys; r=json.load(sys.stdin); assert not r["errors"], r; print(r["requests"])'
}

echo "## Profiles of rcauth, commit $(commit_label), $(date -u +%Y-%m-%d)"
echo
echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); load average at the start $(load_avg)."
for e in ${only//,/ }; do
    echo
    echo "### $e: ${what[$e]}"
    if [ "$have_perf" = 1 ]; then
        note "$e: perf, ${duration} s under wrk -t2 -c64…"
        rcauth_start "$data"
        setup check "$rc_url" "$work/$e.req" "${status[$e]}"
        perf record -q -e cpu-clock -F 999 -p "$bg_pid" -o "$work/$e.perf" -- sleep "$duration" \
            >/dev/null 2>&1 &
        perf_pid=$!
        result=$($PY "$repo/bench/wrk_run.py" --url "$rc_url" --requests "$work/$e.req" \
            --pid "$bg_pid" --duration "$duration")
        wait "$perf_pid" || die "perf record failed"
        stop_bg "$bg_pid"
        echo
        echo "perf, wrk -t2 -c64 for ${duration} s: $(echo "$result" | $PY -c 'import json,sys
r = json.load(sys.stdin)
print("%.0f req/s, p99 %.2f ms, %d errors, rcauth used %.2f cores, other processes %.2f" % (
    r["rps"], r["p99_ms"], r["errors"], r["server_cores"], r["other_cores"]))')"
        echo
        echo '```'
        echo "share of rcauth's CPU time by library:"
        perf report -i "$work/$e.perf" --stdio --no-children --sort dso --percent-limit 0.5 2>/dev/null |
            grep -E '^ +[0-9]' | sed 's/ *$//'
        echo
        echo "by function (self time), top $top:"
        perf report -i "$work/$e.perf" --stdio --no-children --sort dso,symbol 2>/dev/null |
            grep -E '^ +[0-9]' | sed -n "1,${top}p" | sed -E 's/ +$//; s/ +- +- *$//'
        echo '```'
    fi
    note "$e: callgrind, ${cg_seconds} s under wrk -t1 -c4…"
    callgrind_run "$e" "$work/$e.req"
    echo
    echo "callgrind, wrk -t1 -c4 for ${cg_seconds} s:"
    echo
    echo '```'
    $PY "$repo/bench/cg_report.py" "$work/$e.cg" "$cg_requests" "$cg_seconds" "$top"
    echo '```'
done
