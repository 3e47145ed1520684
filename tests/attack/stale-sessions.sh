#!/bin/sh
# SPDX-License-Identifier: MIT
# Sessions left in the TPM by handlers killed mid-signature: a policy
# session (a PCR key, killed after PolicyPCR) is reported by the TPM as
# 0x03..., an HMAC one (a PIN key, killed after StartAuthSession) as
# 0x02...; once three of them fill swtpm's session slots, the next
# signature flushes them and signs, whichever kind they are.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
mkdir keys
"$KEYGEN" -q --pcrs 23 -N '' -C pcr -f keys/pcr </dev/null || exit 1
"$KEYGEN" -q -N pin-4711 -C pin -f keys/pin </dev/null || exit 1
answer pin-4711
activate_pass "$WORK/a.sock" a.log --key-dir "$WORK/keys" || exit 1

# faulty_agent SOCK CALL: handlers that die (SIGKILL) right after CALL.
faulty_agent() {
	FAULT_AT=$2 FAULT_SIGNAL=9 setsid systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$1" \
		-E SSH_TPM_AGENT_TCTI -E TSS2_LOG -E SSH_ASKPASS -E SSH_ASKPASS_REQUIRE -E DISPLAY \
		-E ASKPASS_LOG -E ASKPASS_ANSWER -E SSH_TPM_AGENT_KEYRING \
		-E ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		-E LD_PRELOAD="$FAULT_SHIM" -E FAULT_AT -E FAULT_SIGNAL \
		"$AGENT" --no-cache --key-dir "$WORK/keys" 2>/dev/null &
	AGENT_PIDS="$AGENT_PIDS $!"
	wait_socket "$1"
}
sessions() { tpm2_getcap handles-loaded-session | grep -c 0x; }

for kind in policy hmac; do
	case $kind in
	policy) call=Esys_PolicyPCR key=pcr ;;
	hmac) call=Esys_StartAuthSession key=pin ;;
	esac
	faulty_agent "$WORK/$kind.sock" "$call" || exit 1
	for _ in 1 2 3; do
		sign_ok "$WORK/$kind.sock" "keys/$key.pub" && fail "$kind: a killed handler signs" signed
		# Its objects go (the next handler would flush them, and
		# the sessions with them): only sessions fill the TPM.
		tpm2_flushcontext -t >/dev/null 2>&1
	done
	check_eq "$kind: three killed handlers leave three sessions" 3 "$(sessions)"
	: > a.log
	check "$kind: the PCR key signs after them" sign_ok "$WORK/a.sock" keys/pcr.pub
	prefix=0x02
	[ $kind = policy ] && prefix=0x03
	check_eq "$kind: the stale sessions are flushed, loudly" 3 \
		"$(grep -a "TPM full: flushed stale session $prefix" a.log | grep -c .)"
	check "$kind: the PIN key signs" sign_ok "$WORK/a.sock" keys/pin.pub
	check_eq "$kind: no session left" 0 "$(sessions)"
done
finish
