#!/bin/sh
# SPDX-License-Identifier: MIT
# 100 clients at once listing and 20 at once signing, against one swtpm
# (no resource manager, 3 object slots): every one succeeds, nothing stays
# loaded in the TPM.  Standalone and Accept=yes.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir keys
for i in 1 2 3 4 5; do
	"$KEYGEN" -q -N '' -t ecdsa -C "e$i" -f "keys/e$i"
done
"$KEYGEN" -q -N '' -t rsa -C r1 -f keys/r1
echo payload > data
expected_l=$(SSH_AUTH_SOCK=none; for f in keys/*.pub; do ssh-keygen -l -f "$f"; done)

burst() { # MODE SOCK
	mode=$1 sock=$2
	rm -rf out
	mkdir out
	pids=""
	for i in $(seq 1 100); do
		SSH_AUTH_SOCK=$sock ssh-add -l > "out/l$i" 2>&1 &
		pids="$pids $!"
	done
	bad=0
	for p in $pids; do
		wait "$p" || bad=$((bad + 1))
	done
	check_eq "$mode: 100 parallel ssh-add -l all exit 0" 0 "$bad"
	same=0
	for i in $(seq 1 100); do
		[ "$(cat "out/l$i")" = "$expected_l" ] && same=$((same + 1))
	done
	check_eq "$mode: 100 parallel listings all complete" 100 "$same"

	pids=""
	for i in $(seq 1 20); do
		# Spread over every key, RSA included.
		k=$(ls keys/*.pub | sed -n "$(( (i % 6) + 1 ))p")
		cp data "out/d$i"
		( SSH_AUTH_SOCK=$sock ssh-keygen -Y sign -n file -f "$k" "out/d$i" >/dev/null 2>&1 &&
			ssh-keygen -Y check-novalidate -n file -f "$k" -s "out/d$i.sig" < "out/d$i" >/dev/null 2>&1 ) &
		pids="$pids $!"
	done
	bad=0
	for p in $pids; do
		wait "$p" || bad=$((bad + 1))
	done
	check_eq "$mode: 20 parallel signatures all verify" 0 "$bad"
	check_eq "$mode: no object left loaded in the TPM" "" "$(tpm2_getcap handles-transient 2>&1)"
}

agent_start "$WORK/std.sock" "$WORK/std.log" --key-dir "$WORK/keys" || exit 1
burst standalone "$WORK/std.sock"
activate_start accept "$WORK/acc.sock" "$WORK/acc.log" --key-dir "$WORK/keys" || exit 1
burst "Accept=yes" "$WORK/acc.sock"
check_eq "no TPM errors logged" "" "$(cat std.log acc.log | grep -iE 'object memory|TPM command failed')"

# A handler killed mid-operation leaves objects behind (swtpm flushes
# nothing); the next signer recovers.
tpm2_createprimary -Q -C o -c p1.ctx && tpm2_createprimary -Q -C o -c p2.ctx &&
	tpm2_createprimary -Q -C o -c p3.ctx
check_eq "TPM slots filled by a dead process" 3 "$(tpm2_getcap handles-transient | grep -c 0x)"
check "signing recovers from leaked objects" env SSH_AUTH_SOCK="$WORK/std.sock" \
	ssh-keygen -Y sign -n file -f keys/e1.pub data
check_eq "leaked objects flushed" "" "$(tpm2_getcap handles-transient 2>&1)"
check_match "the flush is logged" "TPM full: flushed stale transient object 0x80" "$(cat std.log)"

finish
