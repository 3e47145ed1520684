#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what is missing, build, and run every test (unit + swtpm-backed),
# then the same suite again under AddressSanitizer/UBSan, then the libFuzzer
# targets (clang, ASan/UBSan, a fixed number of inputs each).
# Usage (as root on Debian 12): ./tools/test.sh
set -eu
cd "$(dirname "$0")/.."

./tools/bootstrap.sh

# run_suite DIR [MESON SETUP ARGS...]; $SUITE limits the tests to one suite.
run_suite() {
	dir=$1
	shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
	rc=0
	meson test -C "$dir" --print-errorlogs --num-processes 2 ${SUITE:+--suite "$SUITE"} || rc=$?
	# Meson exits 0 when there is nothing to run: refuse that.
	n=$(grep -c '"name"' "$dir/meson-logs/testlog.json" 2>/dev/null || echo 0)
	failed=$(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\)"' "$dir/meson-logs/testlog.json" 2>/dev/null || true)
	echo "$dir: $((n - failed)) passed, $failed failed"
	if [ "$n" -eq 0 ]; then
		echo "$dir: no test ran" >&2
		return 1
	fi
	return $rc
}

run_suite build
# ASan and LeakSanitizer need ptrace-free leak checks; Criterion forks.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
CC=clang SUITE=fuzz UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_suite build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
