#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: rcauth side by side with the HTTP ceiling and with two peers, all measured in
# one run, on loopback, with wrk (2 threads, 64 keep-alive connections, bench/requests.lua).
#   ceiling    hello-world JSON on libmicrohttpd with rcauth's thread settings (hello_mhd.c)
#   bound      the same server answering one Ed25519 signature per request (hello_mhd.c sign):
#              what issuance could reach here if signing were all it did
#   issue      rcauth POST /{account}/token, JSON client credentials over 1,000 accesses
#   verify     rcauth GET /token?access_token=… over 10,000 live tokens
#   authorize  rcauth GET /authorize (nginx auth_request) over the same tokens
#   oidc       node-oidc-provider (npm, pinned in bench/peers/oidc): opaque and RS256 JWT
#              tokens, introspection of opaque tokens
#   glewlwyd   Glewlwyd (Debian's package): tokens with its default PBKDF2 cost, and with a
#              lowered cost (labelled)
# Prints one table (req/s, p50, p99, errors, ratios, load) and then machine-readable lines:
# ratio.*= (rcauth's rows and the bound ÷ ceiling; ratio.issue_of_bound= issuance ÷ bound),
# vs.*= (rcauth issuance ÷ peer), p99_ms.*=.
# Peers are installed at run time into ~/.cache/rcauth-bench (RCAUTH_BENCH_CACHE); every
# process started is stopped and the work directory removed on exit.
# Exit status: 0; 1 when something could not be set up or measured; 3 when the ceiling, the
# bound or an rcauth measurement had errors (non-2xx answers or socket errors).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=bench/peers/oidc.sh
. "$repo/bench/peers/oidc.sh"
# shellcheck source=bench/peers/glewlwyd.sh
. "$repo/bench/peers/glewlwyd.sh"

usage() {
    cat >&2 <<'EOF'
usage: bench/run.sh [--duration SECONDS] [--runs N] [--only LIST] [--accesses N] [--tokens N]
                    [--peer-clients N] [--glewlwyd-low-iterations N]
       bench/run.sh --scale [bench/scale.sh options]
  --duration    seconds per wrk run (default 10)
  --runs        runs per measurement, in interleaved rounds; figures are medians (default 3)
  --only        comma-separated: ceiling bound issue verify authorize oidc glewlwyd, or the
                groups rcauth (= ceiling,bound,issue,verify,authorize), peers (= oidc,glewlwyd), all
                (default all)
  --accesses    rcauth accesses the issuance cycles over (default 1000)
  --tokens      live rcauth tokens verification and /authorize cycle over (default 10000)
  --peer-clients  clients of node-oidc-provider and of Glewlwyd (default 1000 and 100)
  --glewlwyd-low-iterations  the lowered PBKDF2 cost of the second Glewlwyd row (default 1000)
EOF
    exit 2
}

duration=10 runs=3 only=all accesses=1000 tokens=10000 oidc_clients=1000 glw_clients=100 low_iter=1000
while [ $# -gt 0 ]; do
    case "$1" in
    --scale) shift; exec "$repo/bench/scale.sh" "$@" ;;
    --duration) duration=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --accesses) accesses=${2:?}; shift 2 ;;
    --tokens) tokens=${2:?}; shift 2 ;;
    --peer-clients) oidc_clients=${2:?} glw_clients=${2:?}; shift 2 ;;
    --glewlwyd-low-iterations) low_iter=${2:?}; shift 2 ;;
    *) usage ;;
    esac
done
for n in "$duration" "$runs" "$accesses" "$tokens" "$oidc_clients" "$low_iter"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || usage
done

declare -A want=()
for item in ${only//,/ }; do
    case $item in
    all) for k in ceiling bound issue verify authorize oidc glewlwyd; do want[$k]=1; done ;;
    rcauth) for k in ceiling bound issue verify authorize; do want[$k]=1; done ;;
    peers) want[oidc]=1 want[glewlwyd]=1 ;;
    ceiling | bound | issue | verify | authorize | oidc | glewlwyd) want[$item]=1 ;;
    *) usage ;;
    esac
done
[ ${#want[@]} -gt 0 ] || usage
wants() { [ -n "${want[$1]:-}" ]; }

need wrk curl
[ -x "$PY" ] || die "$PY is missing"
make -C "$repo" -s build >&2
bench_init
load_before=$(load_avg)
cores=$(nproc)

# Peers first: a peer that cannot be installed stops the run before anything is measured.
if wants oidc; then oidc_install; fi
if wants glewlwyd; then glewlwyd_install; fi

# plan KEY LABEL URL REQUEST_FILE STATUS PID [SUBSTRING]: one measurement of the rounds below
# (SUBSTRING last: read would merge an empty field in the middle with its neighbour).
plan() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$work/plan.tsv"; }
setup() { $PY "$repo/bench/setup.py" "$@"; }

printf 'GET\t/\t\n' >"$work/hello.req"
if wants ceiling; then
    port=$(free_port)
    start_bg "$work/hello.log" "$repo/build/hello-mhd" "$port" 0
    wait_http "http://127.0.0.1:$port/" "$bg_pid" "$work/hello.log"
    plan ceiling "hello-world JSON, libmicrohttpd ($cores threads)" "http://127.0.0.1:$port" \
        "$work/hello.req" 200 "$bg_pid"
fi
if wants bound; then
    port=$(free_port)
    start_bg "$work/bound.log" "$repo/build/hello-mhd" "$port" 0 sign
    wait_http "http://127.0.0.1:$port/" "$bg_pid" "$work/bound.log"
    plan bound "hello-world + one Ed25519 signature" "http://127.0.0.1:$port" \
        "$work/hello.req" 200 "$bg_pid" '"sig":'
fi

if wants issue || wants verify || wants authorize; then
    mkdir -p "$work/rcauth"
    admin_key=$("${rcauth[@]}" admin-key create --name bench --data "$work/rcauth" 2>/dev/null)
    rcauth_start "$work/rcauth"
    t0=$EPOCHREALTIME
    setup rcauth-accesses "$rc_url" "$admin_key" "$work" "$accesses"
    t1=$EPOCHREALTIME
    setup rcauth-tokens "$rc_url" "$work" "$tokens" 86400
    note "rcauth fixtures: $accesses accesses in $(seconds_since "$t0" "$t1") s, $tokens tokens in $(seconds_since "$t1") s"
    wants issue && plan issue "rcauth issue: POST /{account}/token" "$rc_url" "$work/issue.req" 200 "$bg_pid"
    wants verify && plan verify "rcauth verify: GET /token" "$rc_url" "$work/verify.req" 200 "$bg_pid"
    wants authorize && plan authorize "rcauth gate: GET /authorize" "$rc_url" "$work/authorize.req" 204 "$bg_pid"
fi

if wants oidc; then
    oidc_start opaque "$oidc_clients"
    setup oidc "$oidc_url" "$work" "$oidc_clients" "$tokens"
    plan oidc_opaque "node-oidc-provider $oidc_version token, opaque" "$oidc_url" \
        "$work/oidc_token.req" 200 "$bg_pid"
    plan oidc_introspect "node-oidc-provider introspection (opaque)" "$oidc_url" \
        "$work/oidc_introspect.req" 200 "$bg_pid" '"active":true'
    oidc_start jwt "$oidc_clients"
    plan oidc_jwt "node-oidc-provider token, JWT RS256" "$oidc_url" "$work/oidc_token.req" 200 "$bg_pid"
fi

if wants glewlwyd; then
    glewlwyd_start
    setup glewlwyd "$glw_url" "$work" "$glw_clients" "$low_iter"
    plan glewlwyd "Glewlwyd $glw_version token, default PBKDF2" "$glw_url" "$work/glewlwyd.req" 200 "$bg_pid"
    plan glewlwyd_low "Glewlwyd token, PBKDF2 lowered to $low_iter iter." "$glw_url" \
        "$work/glewlwyd_low.req" 200 "$bg_pid"
fi

# Rounds: each measurement once per round, so that a noisy minute on this shared machine
# spreads over all of them instead of spoiling one. Every run is preceded and followed by a
# check of the answers (status, and for introspection "active":true).
nplan=$(wc -l <"$work/plan.tsv")
note "measuring: $runs rounds × $nplan measurements × ${duration} s (wrk -t2 -c64)…"
for round in $(seq "$runs"); do
    while IFS=$'\t' read -r -u 3 key label url file status pid substring; do
        note "round $round/$runs: $label"
        setup check "$url" "$file" "$status" "$substring"
        result=$($PY "$repo/bench/wrk_run.py" --url "$url" --requests "$file" --pid "$pid" \
            --duration "$duration")
        setup check "$url" "$file" "$status" "$substring"
        printf '%s\t%s\n' "$key" "$result" >>"$work/results.tsv"
    done 3<"$work/plan.tsv"
done
load_after=$(load_avg)
stop_all

$PY "$repo/bench/report.py" "$work/plan.tsv" "$work/results.tsv" \
    --meta "commit=$(commit_label)" "cores=$cores" "load_before=$load_before" "load_after=$load_after" \
    "duration=$duration" "runs=$runs" "accesses=$accesses" "tokens=$tokens" \
    "oidc_clients=$oidc_clients" "glw_clients=$glw_clients"
