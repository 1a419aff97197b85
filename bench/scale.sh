#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `bench/run.sh --scale`: does rcauth keep its speed and its memory with a big store?
#   - two stores, one of 1,000 accesses and one of 1,000,000 (--accesses), written straight
#     into SQLite by bench/gen_store.py (seconds, not the hour the admin API would take),
#     with accesses 1,000 to an account; a sample of the big store's accesses is checked by
#     issuing tokens before anything is measured;
#   - start-up time of each (process start → GET /healthz 200) and its resident memory;
#   - issuance and verification on both servers, in interleaved rounds (wrk -t2 -c64):
#     issuance spread over --spread accesses (default 100,000, so that the big store's
#     figure is not that of a few cached rows), and also over 1,000 of the big store's accesses
#     (the small store's working set: what the store's size alone costs), verification over
#     10,000 tokens of 10,000 accesses; the ratios big ÷ small;
#   - then --minutes (default 10) of mixed load on the big store: issue, verify and
#     /authorize in turn, and an admin write (a secret rotation, which empties the access
#     cache) every --admin-every requests (default 5,000), with VmRSS/VmHWM sampled every
#     --sample-every seconds (default 30) and printed as a series.
# Prints a table and machine-readable lines (scale.*=). Everything runs under /tmp and is
# removed on exit, the servers stopped.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
    cat >&2 <<'EOF'
usage: bench/scale.sh [--duration SECONDS] [--runs N] [--minutes M] [--accesses N]
                      [--spread N] [--admin-every N] [--sample-every SECONDS]
  (also: bench/run.sh --scale …; defaults 10 s, 5 runs, 10 minutes, 1000000 accesses,
  spread 100000, an admin write every 5000 requests, memory sampled every 30 s)
EOF
    exit 2
}

duration=10 runs=5 minutes=10 accesses=1000000 small=1000 spread=100000 tokens=10000
admin_every=5000 sample_every=30
while [ $# -gt 0 ]; do
    case "$1" in
    --duration) duration=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --minutes) minutes=${2:?}; shift 2 ;;
    --accesses) accesses=${2:?}; shift 2 ;;
    --spread) spread=${2:?}; shift 2 ;;
    --admin-every) admin_every=${2:?}; shift 2 ;;
    --sample-every) sample_every=${2:?}; shift 2 ;;
    *) usage ;;
    esac
done
for n in "$duration" "$runs" "$minutes" "$accesses" "$spread" "$admin_every" "$sample_every"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || usage
done
[ "$accesses" -gt "$small" ] || die "--accesses must be above $small"

need wrk curl
[ -x "$PY" ] || die "$PY is missing"
make -C "$repo" -s build >&2
bench_init
load_before=$(load_avg)
setup() { $PY "$repo/bench/setup.py" "$@"; }
json_id() { $PY -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
meta=()

# make_store NAME N: $work/NAME/data with N accesses (one made by the CLI, the template of
# the others), an admin key in $work/NAME/admin.key, and the request files in $work/NAME.
make_store() {
    local dir=$work/$1 data=$work/$1/data acct cid t0
    mkdir -p "$data"
    t0=$EPOCHREALTIME
    acct=$("${rcauth[@]}" account create --name bench --data "$data" 2>/dev/null | json_id id)
    "${rcauth[@]}" env create --account "$acct" --name production --main --data "$data" >/dev/null 2>&1
    cid=$("${rcauth[@]}" access create --account "$acct" --name template --data "$data" \
        --actions "campaign.list campaign.read campaign.toggle flag.list flag.read" 2>/dev/null |
        json_id client_id)
    "${rcauth[@]}" admin-key create --name bench --data "$data" 2>/dev/null >"$dir/admin.key"
    $PY "$repo/bench/gen_store.py" "$data" "$cid" "$2" 1000 "$spread" "$dir"
    meta+=("build_s.$1=$(seconds_since "$t0")" "db_mib.$1=$(awk -v b="$(stat -c %s "$data/rcauth.db")" 'BEGIN { printf "%.1f", b / 1048576 }')")
}

# start_timed NAME: serve $work/NAME/data; the time from the process start to the first
# /healthz 200 (polled without pause) and the memory then go to the meta lines. Sets rc_url,
# bg_pid.
start_timed() {
    local port t0 log
    port=$(free_port)
    rc_url=http://127.0.0.1:$port
    log=$work/$1/rcauth.log
    t0=$EPOCHREALTIME
    start_bg "$log" "${rcauth[@]}" serve --data "$work/$1/data" --listen "127.0.0.1:$port" \
        --log-level warn
    until curl -sf -o /dev/null --max-time 1 "$rc_url/healthz"; do
        kill -0 "$bg_pid" 2>/dev/null || { tail -n 20 "$log" >&2; die "rcauth ($1) exited (log above)"; }
        [ "${EPOCHREALTIME%.*}" -lt $((${t0%.*} + 60)) ] || die "rcauth ($1) did not answer within 60 s"
    done
    meta+=("startup_ms.$1=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')")
    meta+=("rss_start.$1=$(rss "$bg_pid")")
}

rss() { awk '/^VmRSS|^VmHWM/ { printf "%s ", $2 }' "/proc/$1/status"; }

note "writing the stores: $small and $accesses accesses…"
make_store small "$small"
make_store big "$accesses"

# Read through ${!name} below.
start_timed small
# shellcheck disable=SC2034
small_url=$rc_url small_pid=$bg_pid
start_timed big
big_url=$rc_url big_pid=$bg_pid
for s in small big; do
    url=${s}_url
    # The generated rows must be real accesses: tokens for a sample of them, then fixtures.
    setup check "${!url}" "$work/$s/issue.req" 200 access_token
    setup rcauth-tokens "${!url}" "$work/$s" "$tokens" 86400
done

# the big store's issuance over as many accesses as the small store has
head -n "$small" "$work/big/issue.req" >"$work/big/issue_same.req"

note "measuring: $runs rounds × 5 × ${duration} s…"
for round in $(seq "$runs"); do
    for kind in issue issue_same verify; do
        for s in small big; do
            [ "$kind.$s" != issue_same.small ] || continue # the small store's issue is that
            url=${s}_url pid=${s}_pid
            note "round $round/$runs: $kind, $s store"
            printf '%s.%s\t%s\n' "$kind" "$s" "$($PY "$repo/bench/wrk_run.py" --url "${!url}" \
                --requests "$work/$s/$kind.req" --pid "${!pid}" --duration "$duration")" \
                >>"$work/results.tsv"
            setup check "${!url}" "$work/$s/$kind.req" 200
        done
    done
done
meta+=("rss_after_runs.small=$(rss "$small_pid")" "rss_after_runs.big=$(rss "$big_pid")")
stop_bg "$small_pid"

note "mixed load on the big store for $minutes min…"
setup rcauth-churn "$big_url" "$(cat "$work/big/admin.key")" "$work/big" 100
setup rcauth-mix "$work/big" "$admin_every"
printf 'mixed\t%s\n' "$($PY "$repo/bench/wrk_run.py" --url "$big_url" --requests "$work/big/mixed.req" \
    --pid "$big_pid" --duration $((minutes * 60)) --rss-every "$sample_every")" >>"$work/results.tsv"
setup check "$big_url" "$work/big/verify.req" 200
setup check "$big_url" "$work/big/issue.req" 200 access_token
load_after=$(load_avg)
stop_all

$PY "$repo/bench/scale_report.py" "$work/results.tsv" --meta "commit=$(commit_label)" "cores=$(nproc)" \
    "load_before=$load_before" "load_after=$load_after" "duration=$duration" "runs=$runs" \
    "minutes=$minutes" "accesses.small=$small" "accesses.big=$accesses" "spread=$spread" \
    "tokens=$tokens" "admin_every=$admin_every" "${meta[@]}"
