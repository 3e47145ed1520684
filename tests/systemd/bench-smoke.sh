#!/bin/sh
# SPDX-License-Identifier: MIT
# The systemd benchmark runs and prints its figures (a few runs only: the
# numbers of a CI machine are not judged here, see BENCHMARKS.md).
. "$SRC_DIR/tests/lib/common.sh"
out=$(python3 "$SRC_DIR/tests/bench/bench-systemd.py" "$BUILD_DIR" --runs 3 2>&1)
check_eq "bench-systemd.py exits 0" 0 $?
for l in "generator, full path" "generator, no TPM" "user ssh-tpm-agent@.service: ssh-add -l" \
	"user ssh-tpm-agent@.service: sign ecdsa" "system ssh-tpm-agent@.service: sign rsa host"; do
	check_match "prints: $l" "$l[^0-9]*[0-9]+\.[0-9]+" "$out"
done
printf '%s\n' "$out" | sed 's/^/# /'
# And bench.py (issue 13's figures), as few runs as it takes to print them.
out=$(python3 "$SRC_DIR/tests/bench/bench.py" "$BUILD_DIR" --runs 2 2>&1)
check_eq "bench.py exits 0" 0 $?
for l in "ssh-add -l., 10 keys" "a handler: spawn" "warm .the key's saved context" "^\| 1000 \|" \
	"32 clients" "handler memory" "32 parallel signers"; do
	check_match "bench.py prints: $l" "$l" "$out"
done
check_match "... with no failed signer" "\| 32 clients \| [0-9]+ \| [0-9.]+× \| 0 \|" "$out"
printf '%s\n' "$out" | sed 's/^/# /'
finish
