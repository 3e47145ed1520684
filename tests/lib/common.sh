# SPDX-License-Identifier: MIT
# common.sh - sourced by every shell test: strict mode, counters, cleanup.
#
# Tests call `ok NAME` / `fail NAME MSG` (or the check helpers) and end with
# `finish`, which prints "N passed, N failed" and exits non-zero on any
# failure or when no check ran at all.

set -u

: "${BUILD_DIR:?BUILD_DIR must point at the meson build dir}"
: "${SRC_DIR:?SRC_DIR must point at the source dir}"
TEST_LIB="$SRC_DIR/tests/lib"
KEYGEN="$BUILD_DIR/tools/ssh-tpm-keygen"

PASSED=0
FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tatest.XXXXXX")
# A runtime directory of the test's own (the key dirs' index files, lock
# files): nothing of a test outlives it in /run or /tmp.  Tests that
# need another set XDG_RUNTIME_DIR themselves.
TEST_RUNTIME=$(mktemp -d "${TMPDIR:-/tmp}/tarun.XXXXXX")
export XDG_RUNTIME_DIR="$TEST_RUNTIME"
# Our agents' records (added keys, the lock, saved TPM contexts) are the
# uid's, in the kernel keyring: each test gets a keyring of its own, so
# that neither other tests running at the same time nor leftovers in the
# default one reach it.  Unlinked at exit.
export SSH_TPM_AGENT_KEYRING="ta-test-$$-$(date +%s%N)"
TEST_KEYRING=$SSH_TPM_AGENT_KEYRING
CLEANUPS=""

at_exit() {
	for c in $CLEANUPS; do
		"$c"
	done
	kr=$(keyctl search @u keyring "$TEST_KEYRING" 2>/dev/null) && keyctl unlink "$kr" @u >/dev/null 2>&1
	rm -rf "$WORK" "$TEST_RUNTIME"
}
trap at_exit EXIT
trap 'exit 130' INT TERM

add_cleanup() {
	CLEANUPS="$1 $CLEANUPS"
}

ok() {
	PASSED=$((PASSED + 1))
	echo "ok - $1"
}

fail() {
	FAILED=$((FAILED + 1))
	echo "not ok - $1: $2"
}

# check NAME CMD...: passes when CMD exits 0.
check() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		ok "$_name"
	else
		fail "$_name" "command failed: $* -> $_out"
	fi
}

# check_fails NAME CMD...: passes when CMD fails (a refusal that must hold).
check_fails() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		fail "$_name" "command succeeded: $*"
	else
		ok "$_name"
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "expected [$2], got [$3]"
	fi
}

# check_match NAME REGEX TEXT (extended regex, grep -E)
check_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		fail "$1" "[$3] does not match /$2/"
	fi
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}

# check_line NAME FILE FIXED REGEX: some line of FILE contains the fixed
# string FIXED and matches the extended regex REGEX.
check_line() {
	if grep -F -- "$3" "$2" | grep -Eq -- "$4"; then
		ok "$1"
	else
		fail "$1" "no line in $2 with [$3] matching /$4/"
	fi
}
