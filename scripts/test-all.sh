#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make test`: every suite, after `make build` (which ran install-deps.sh). Runs the static
# checks, each cmocka unit binary, the end-to-end suite against build/rcauth and the panel's
# browser suite (scripts/test-browser.sh), and ends with one line "N passed, N failed"
# summing test cases over all suites. Exit 0 only when nothing failed and every suite ran
# at least one test.
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
units=$(find "$BUILD" -maxdepth 1 -name 'test_*' -type f -executable | LC_ALL=C sort)
[ -n "$units" ] || fail_suite unit "no unit test binaries in $BUILD (is libcmocka-dev installed?)"
for t in $units; do
    name=$(basename "$t")
    (cd "$BUILD" && "./$name") >"$log_dir/$name.log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log_dir/$name.log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log_dir/$name.log" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ] || [ -z "$p$f" ]; then
        [ -n "$f" ] || fail_suite "$name" "exited $rc without a cmocka summary"
        grep -E 'FAILED|ERROR|Assert|error' "$log_dir/$name.log" >&2
    fi
done

# --- end-to-end suite --------------------------------------------------------------------
e2e_log="$log_dir/e2e.log"
scripts/test-e2e.sh "$@" 2>&1 | tee "$e2e_log"
summary=$(grep -E '^=*\s*[0-9]+ (passed|failed)' "$e2e_log" | tail -1)
[ -n "$summary" ] || summary=$(grep -E '[0-9]+ (passed|failed|error)' "$e2e_log" | tail -1)
p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+')
f=$(grep -oE '[0-9]+ failed' <<<"$summary" | grep -oE '[0-9]+')
e=$(grep -oE '[0-9]+ errors?' <<<"$summary" | grep -oE '[0-9]+')
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0} + ${e:-0}))
[ -n "$p" ] || fail_suite e2e "no test passed (see $e2e_log)"

# --- the panel in headless Chromium (node's test runner, TAP) -----------------------------
browser_log="$log_dir/browser.log"
scripts/test-browser.sh >"$browser_log" 2>&1
rc=$?
tap() { sed -n "s/^# $1 \([0-9]*\)\$/\1/p" "$browser_log" | tail -1; }
p=$(tap pass)
f=$(tap fail)
c=$(tap cancelled)
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0} + ${c:-0}))
grep -E '^(not ok|# (tests|pass|fail|cancelled) )|^test-browser:' "$browser_log"
if [ "$rc" -ne 0 ] && [ $((${f:-0} + ${c:-0})) -eq 0 ]; then
    fail_suite browser "exited $rc (see $browser_log)"
elif [ "${p:-0}" -eq 0 ]; then
    fail_suite browser "no test passed (see $browser_log)"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
