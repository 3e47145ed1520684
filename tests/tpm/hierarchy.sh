#!/bin/sh
# SPDX-License-Identifier: MIT
# Hierarchy keys (--hierarchy): listed as the manual shows ("Owner
# hierarchy key (RSA)", then ECDSA), they sign and verify; the same TPM
# gives the same keys at every agent start; a TPM reset (swtpm restarted)
# keeps the owner and endorsement keys and makes a new null key; a
# TPM2_Clear makes a new owner key and keeps the endorsement key -- also
# through the agent's kept records (tpm-context in the keyring), which must
# notice both; a set owner password is asked for by name; signing from a
# kept record makes no CreatePrimary; ssh-tpm-keygen -A --hierarchy
# writes only .pub host keys, the agent's keys.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir keys
add_cleanup keyring_cleanup
new_keyring() {
	TA_KEYRINGS="${TA_KEYRINGS:-} ${SSH_TPM_AGENT_KEYRING:-}"
	export SSH_TPM_AGENT_KEYRING="ta-hier-$$-$(date +%s%N)"
}
new_keyring


# keys_of HIERARCHY: the agent's listing (ssh-add -L) with --hierarchy,
# from a fresh agent each time.
n=0
keys_of() {
	n=$((n + 1))
	agent_start "$WORK/h$n.sock" "$WORK/h$n.log" -D -d --key-dir "$WORK/keys" --hierarchy "$1" ||
		return 1
	SSH_AUTH_SOCK=$WORK/h$n.sock ssh-add -L
	kill "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
}

agent_start "$WORK/a.sock" "$WORK/a.log" -D --key-dir "$WORK/keys" --hierarchy owner || exit 1
l=$(SSH_AUTH_SOCK=$WORK/a.sock ssh-add -l)
check_match "owner: the RSA key as the manual lists it" "^2048 SHA256:[^ ]+ Owner hierarchy key \(RSA\)$" \
	"$(echo "$l" | sed -n 1p)"
check_match "owner: then the ECDSA key" "^256 SHA256:[^ ]+ Owner hierarchy key \(ECDSA\)$" \
	"$(echo "$l" | sed -n 2p)"
SSH_AUTH_SOCK=$WORK/a.sock ssh-add -L > owner.pubs
sed -n 1p owner.pubs > rsa.pub
sed -n 2p owner.pubs > ecdsa.pub
check "the RSA hierarchy key signs and verifies" sign_ok "$WORK/a.sock" rsa.pub
check "the ECDSA hierarchy key signs and verifies" sign_ok "$WORK/a.sock" ecdsa.pub
check_fails "ssh-add -d of a hierarchy key is refused" env SSH_AUTH_SOCK="$WORK/a.sock" ssh-add -d rsa.pub
check_line "... saying what it is" a.log "REMOVE_IDENTITY" "Owner hierarchy key is a hierarchy key"
SSH_AUTH_SOCK=$WORK/a.sock ssh-add -D >/dev/null 2>&1
check_eq "ssh-add -D leaves the hierarchy keys" 2 "$(SSH_AUTH_SOCK=$WORK/a.sock ssh-add -l | wc -l)"
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null

# Kept records: a signature from one makes no CreatePrimary.
TSS2_LOG=esys+trace agent_start "$WORK/t.sock" "$WORK/t.log" -D --key-dir "$WORK/keys" --hierarchy owner || exit 1
SSH_AUTH_SOCK=$WORK/t.sock ssh-add -l >/dev/null
from=$(($(stat -c %s t.log) + 1))
check "a signature from the kept record" sign_ok "$WORK/t.sock" rsa.pub
tail -c +"$from" t.log > last.log
check_eq "... makes no CreatePrimary (the saved context loads)" 0 "$(grep -ac 'Esys_CreatePrimary_Async(' last.log)"
check_eq "... one ContextLoad" 1 "$(grep -ac 'Esys_ContextLoad_Async(' last.log)"
check_eq "... one ReadClock (the connection's listing is reused for its signature)" 1 \
	"$(grep -ac 'Esys_ReadClock_Async(' last.log)"
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null

for h in owner endorsement null; do
	new_keyring
	eval "first_$h=\$(keys_of $h)"
	new_keyring
	eval "again_$h=\$(keys_of $h)"
	eval "check_eq \"$h: two agent starts, nothing kept: the same keys\" \"\$first_$h\" \"\$again_$h\""
	eval "check_match \"$h: two keys\" '^ssh-rsa .*ecdsa-sha2-nistp256 ' \"\$(echo \$first_$h)\""
done
check_eq "owner keys are the ones listed first" "$(cat owner.pubs)" "$first_owner"
[ "$first_owner" != "$first_endorsement" ] && [ "$first_owner" != "$first_null" ] &&
	ok "each hierarchy has its own keys" || fail "each hierarchy has its own keys" "some are equal"
# Records kept for all three in the current keyring.
for h in owner endorsement null; do keys_of $h >/dev/null; done

swtpm_restart || exit 1
for h in owner endorsement null; do eval "reset_$h=\$(keys_of $h)"; done
check_eq "TPM reset: the owner keys stay (kept records used)" "$first_owner" "$reset_owner"
check_eq "TPM reset: the endorsement keys stay" "$first_endorsement" "$reset_endorsement"
[ "$reset_null" != "$first_null" ] && [ -n "$reset_null" ] &&
	ok "TPM reset: new null keys (the kept record is not used)" ||
	fail "TPM reset: new null keys" "[$reset_null]"
new_keyring
check_eq "... and derived afresh they are the same" "$reset_null" "$(keys_of null)"
agent_start "$WORK/n.sock" "$WORK/n.log" -D --key-dir "$WORK/keys" --hierarchy null || exit 1
SSH_AUTH_SOCK=$WORK/n.sock ssh-add -L | sed -n 2p > null-ecdsa.pub
check "the new null key signs" sign_ok "$WORK/n.sock" null-ecdsa.pub
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null

tpm2_clear -c p || exit 1
for h in owner endorsement; do eval "clear_$h=\$(keys_of $h)"; done
[ "$clear_owner" != "$first_owner" ] && [ -n "$clear_owner" ] &&
	ok "TPM2_Clear: new owner keys (the kept record is not used)" ||
	fail "TPM2_Clear: new owner keys" "[$clear_owner]"
check_eq "TPM2_Clear: the endorsement keys stay" "$first_endorsement" "$clear_endorsement"

# An owner password set: without it, a clear error and no owner keys.
tpm2_changeauth -c o ownerpw || exit 1
new_keyring
out=$(keys_of owner)
check_eq "owner password set, not given: no owner keys listed" "The agent has no identities." "$out"
check_line "... the log names the owner password" "$(ls -t h*.log | head -1)" "Owner hierarchy key" \
	"owner hierarchy has a password .*-o or SSH_TPM_AGENT_OWNER_PASSWORD"
check_eq "... given (SSH_TPM_AGENT_OWNER_PASSWORD): listed" "$clear_owner" \
	"$(SSH_TPM_AGENT_OWNER_PASSWORD=ownerpw keys_of owner)"
out=$("$KEYGEN" -A -f "$WORK/hk-nopw" --hierarchy owner 2>&1)
check_eq "ssh-tpm-keygen -A --hierarchy owner without the password: exit 1" 1 $?
check_match "... naming the owner password" "owner hierarchy has a password" "$out"
check_eq "... and no file" "" "$(find "$WORK/hk-nopw" -type f 2>/dev/null)"
tpm2_changeauth -c o -p ownerpw || exit 1

# ssh-tpm-keygen -A --hierarchy: only .pub files, the agent's keys.
out=$("$KEYGEN" -A -f "$WORK/hk" --hierarchy owner 2>&1)
check_eq "ssh-tpm-keygen -A --hierarchy owner: exit 0" 0 $?
check_match "... says what it does" "Generating new hierarchy host key algorithm=RSA hierarchy=owner" "$out"
check_eq "... writes only the two .pub files" \
	"$WORK/hk/etc/ssh/ssh_tpm_host_ecdsa_key.pub $WORK/hk/etc/ssh/ssh_tpm_host_rsa_key.pub" \
	"$(find "$WORK/hk" -type f | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "... the agent's owner keys" "$(echo "$clear_owner" | cut -d' ' -f1,2 | sort)" \
	"$(cut -d' ' -f1,2 "$WORK"/hk/etc/ssh/ssh_tpm_host_*_key.pub | sort)"
check_fails "--hierarchy without -A is refused" "$KEYGEN" --hierarchy owner -N '' -f "$WORK/x"
check_fails "a bad --hierarchy is refused (keygen)" "$KEYGEN" -A -f "$WORK/hk2" --hierarchy lockout
check_fails "a bad --hierarchy is refused (agent)" "$AGENT" --hierarchy nope -l "$WORK/bad.sock"

# For sshd: the .pub host keys from -A --hierarchy, the keys signed by an
# agent with --hierarchy owner behind HostKeyAgent; a real ssh login
# checks the host key against known_hosts, for each type.
ssh-keygen -q -t ecdsa -N '' -C user -f "$WORK/user" || exit 1
agent_start "$WORK/hostagent.sock" "$WORK/hostagent.log" -D --key-dir "$WORK/hk/etc/ssh" \
	--hierarchy owner || exit 1
sshd_start "$WORK/user.pub" "HostKey $WORK/hk/etc/ssh/ssh_tpm_host_ecdsa_key.pub
HostKey $WORK/hk/etc/ssh/ssh_tpm_host_rsa_key.pub
HostKeyAgent $WORK/hostagent.sock" || exit 1
for alg in ecdsa-sha2-nistp256:ecdsa rsa-sha2-256:rsa; do
	echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1-2 "$WORK/hk/etc/ssh/ssh_tpm_host_${alg#*:}_key.pub")" > kh
	check "sshd with the owner hierarchy ${alg#*:} host key: ssh logs in, host key verified" \
		ssh -F /dev/null -i "$WORK/user" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o UserKnownHostsFile="$WORK/kh" -o StrictHostKeyChecking=yes -o BatchMode=yes \
		-o HostKeyAlgorithms="${alg%:*}" -o ConnectTimeout=10 -p "$SSHD_PORT" root@127.0.0.1 true
done

finish
