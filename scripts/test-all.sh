#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make test`: every suite, after `make build` (which ran install-deps.sh). Runs the static
# checks, each cmocka unit binary, the end-to-end suite against build/rcauth on SQLite, then
# starts a throwaway PostgreSQL (scripts/pg-test.sh) and runs the PostgreSQL unit tests and
# the whole end-to-end suite again on it, then the panel's browser suite
# (scripts/test-browser.sh), and ends with one line "N passed, N failed" summing test cases
# over all suites. Exit 0 only when nothing failed and every suite ran at least one test.
# Arguments go to pytest (both passes).
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD="${BUILD:-build}"
passed=0
failed=0
log_dir="$BUILD/test-logs"
mkdir -p "$log_dir"

fail_suite() { # name why
    echo "test-all: $1: $2" >&2
    failed=$((failed + 1))
}

# --- static checks: each counts as one test --------------------------------------------
check() { # name command...
    local name=$1
    shift
    if "$@" >"$log_dir/$name.log" 2>&1; then
        passed=$((passed + 1))
    else
        fail_suite "$name" "failed (see $log_dir/$name.log)"
        cat "$log_dir/$name.log" >&2
    fi
}
no_banned_calls() {
    ! grep -rnE '\b(sprintf|strcpy|strcat|strtok|atoi|gets|rand)\s*\(' src --include='*.[ch]'
}
check format make -s format-check
check banned-calls no_banned_calls

# --- unit tests (cmocka prints its summary on stderr) ----------------------------------
run_unit() { # path: one cmocka binary (in its build dir), its cases added to the totals
    local t=$1 name log rc p f
    name=$(basename "$t")
    log="$log_dir/$(basename "$(dirname "$t")")-$name.log"
    (cd "$(dirname "$t")" && "./$name") >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ] || [ -z "$p$f" ]; then
        # a sanitizer report at exit turns a passing binary's status non-zero
        [ -n "$f" ] || fail_suite "$name" "exited $rc (see $log)"
        grep -E 'FAILED|ERROR|Assert|error|Sanitizer' "$log" >&2
    fi
}
# The PostgreSQL units need the server started below.
units=$(find "$BUILD" -maxdepth 1 -name 'test_*' ! -name 'test_*pg*' -type f -executable |
    LC_ALL=C sort)
pg_units=$(find "$BUILD" -maxdepth 1 -name 'test_*pg*' -type f -executable | LC_ALL=C sort)
[ -n "$units" ] || fail_suite unit "no unit test binaries in $BUILD (is libcmocka-dev installed?)"
for t in $units; do
    run_unit "$t"
done

# --- fuzz targets, briefly (make fuzz runs them longer): one test each -------------------
fuzz_log="$log_dir/fuzz.log"
FUZZ_SECONDS="${FUZZ_SECONDS:-10}" scripts/fuzz.sh >"$fuzz_log" 2>&1
p=$(grep -c '^fuzz: .* ok' "$fuzz_log")
f=$(grep -c '^fuzz: .* FAILED' "$fuzz_log")
passed=$((passed + p))
failed=$((failed + f))
grep '^fuzz:' "$fuzz_log"
[ "$p" -gt 0 ] || fail_suite fuzz "no fuzz target ran (see $fuzz_log)"

# --- end-to-end suite --------------------------------------------------------------------
run_e2e() { # name pytest-args...: one pass of the suite, its cases added to the totals
    local name=$1 e2e_log="$log_dir/e2e-$1.log" summary p f e k
    shift
    echo "test-all: end-to-end suite on $name"
    scripts/test-e2e.sh "$@" 2>&1 | tee "$e2e_log"
    summary=$(grep -E '^=*\s*[0-9]+ (passed|failed)' "$e2e_log" | tail -1)
    [ -n "$summary" ] || summary=$(grep -E '[0-9]+ (passed|failed|error)' "$e2e_log" | tail -1)
    p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+')
    f=$(grep -oE '[0-9]+ failed' <<<"$summary" | grep -oE '[0-9]+')
    e=$(grep -oE '[0-9]+ errors?' <<<"$summary" | grep -oE '[0-9]+')
    k=$(grep -oE '[0-9]+ (skipped|xfailed|xpassed)' <<<"$summary" | awk '{s += $1} END {print s + 0}')
    passed=$((passed + ${p:-0}))
    # a skipped or expected-to-fail case proves nothing: it counts as a failure
    failed=$((failed + ${f:-0} + ${e:-0} + ${k:-0}))
    [ -n "$p" ] || fail_suite "e2e-$name" "no test passed (see $e2e_log)"
}
RCAUTH_E2E_BACKEND=sqlite run_e2e sqlite "$@"

# --- the same on PostgreSQL ----------------------------------------------------------------
pg_dir=$(mktemp -d /tmp/rcauth-pg-XXXXXX)
trap 'scripts/pg-test.sh destroy "$pg_dir" >/dev/null 2>&1' EXIT
if pg_url=$(scripts/pg-test.sh start "$pg_dir"); then
    export RCAUTH_TEST_PG="$pg_url" RCAUTH_TEST_PG_REQUIRED=1
    [ -n "$pg_units" ] || fail_suite unit-pg "no PostgreSQL unit test binary in $BUILD"
    for t in $pg_units; do
        run_unit "$t"
    done
    RCAUTH_E2E_BACKEND=postgres run_e2e postgres "$@"
else
    fail_suite postgres "could not start a PostgreSQL server (see $pg_dir)"
fi
scripts/pg-test.sh destroy "$pg_dir" || fail_suite postgres "could not stop the PostgreSQL server"
trap - EXIT

# --- under sanitizers: ASan+UBSan for the units and the whole e2e suite on SQLite, TSan for
# the threaded units and the e2e modules that load the server from many threads. A report
# fails the binary (exit status) or the e2e test whose server or CLI printed it.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:exitcode=66"
if scripts/build-sanitized.sh asan >"$log_dir/build-asan.log" 2>&1; then
    for t in $(find build-asan -maxdepth 1 -name 'test_*' ! -name 'test_*pg*' -type f -executable |
        LC_ALL=C sort); do
        run_unit "$t"
    done
    RCAUTH_BIN=build-asan/rcauth RCAUTH_E2E_BACKEND=sqlite run_e2e asan-sqlite "$@"
else
    fail_suite asan "the ASan build failed (see $log_dir/build-asan.log)"
fi
if scripts/build-sanitized.sh tsan >"$log_dir/build-tsan.log" 2>&1; then
    for t in test_token test_token_keys test_revoked_tokens test_store_sqlite test_throttle \
        test_token_cache test_access_cache test_http_limits; do
        run_unit "build-tsan/$t"
    done
    RCAUTH_BIN=build-tsan/rcauth RCAUTH_E2E_BACKEND=sqlite run_e2e tsan-sqlite \
        -k "concurrency or hostile or revoke or throttle or gate or drain or slow_clients or zz_logs" "$@"
else
    fail_suite tsan "the TSan build failed (see $log_dir/build-tsan.log)"
fi

# --- the panel in headless Chromium (node's test runner, TAP) -----------------------------
browser_log="$log_dir/browser.log"
scripts/test-browser.sh >"$browser_log" 2>&1
rc=$?
tap() { sed -n "s/^# $1 \([0-9]*\)\$/\1/p" "$browser_log" | tail -1; }
p=$(tap pass)
f=$(tap fail)
c=$(tap cancelled)
k=$(( $(tap skipped || true) + $(tap todo || true) + 0 ))
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0} + ${c:-0} + k)) # a skipped case proves nothing
grep -E '^(not ok|# (tests|pass|fail|cancelled) )|^test-browser:' "$browser_log"
if [ "$rc" -ne 0 ] && [ $((${f:-0} + ${c:-0})) -eq 0 ]; then
    fail_suite browser "exited $rc (see $browser_log)"
elif [ "${p:-0}" -eq 0 ]; then
    fail_suite browser "no test passed (see $browser_log)"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
