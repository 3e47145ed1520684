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
finish
