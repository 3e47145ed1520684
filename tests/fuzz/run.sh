#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh FUZZER RUNS SEED...: run a libFuzzer target for a fixed number of
# inputs (not a time: the same work on a slow or busy machine) from a copy
# of the seed files, so nothing is written into the source tree.  Exits
# with the fuzzer's status: non-zero on any crash, leak or failed check.
# Long runs (a time or a number of inputs, with the rate and the corpus
# reported): tools/fuzz.sh.
set -u
fuzzer=$1 runs=$2
shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
for s in "$@"; do
	cp "$s" "$work/corpus/"
done
cd "$work" || exit 1
# -error_exitcode=1: libFuzzer's default, 77, means "skipped" to meson.
"$fuzzer" -runs="$runs" -seed=1 -max_len=4096 -close_fd_mask=2 -error_exitcode=1 \
	-print_final_stats=1 corpus >log 2>&1 &
pid=$!
wait "$pid"
rc=$?
# The handler fuzzer keeps added identities in a keyring named after its
# pid; it unlinks it at exit, but not on every way out: here too.
kr=$(keyctl search @u keyring "$(basename "$fuzzer")-$pid" 2>/dev/null) &&
	keyctl unlink "$kr" @u >/dev/null 2>&1
tail -n 40 log
# A failing input outlives the work dir, for the next look at it.
for f in crash-* leak-* timeout-* oom-*; do
	[ -f "$f" ] || continue
	mkdir -p "$OLDPWD/fuzz-artifacts" && cp "$f" "$OLDPWD/fuzz-artifacts/$(basename "$fuzzer")-$f" &&
		echo "kept: $OLDPWD/fuzz-artifacts/$(basename "$fuzzer")-$f"
done
exit $rc
