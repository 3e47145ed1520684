#!/bin/sh
# SPDX-License-Identifier: MIT
# Dictionary-attack lockout caused by someone else: any user who may open
# the TPM can make it count wrong passphrases (at a key of their own) until
# it refuses every DA-protected object.  TPM host keys are noDA -- they
# have no passphrase, so there is nothing to guess -- and keep signing for
# sshd; ssh-tpm-keygen -p refuses to give one a passphrase the TPM would
# not count guesses at.  A user's key is DA-protected even without a
# passphrase (so that -p can add one later, as ssh-keygen's does), and
# during the lockout the agent's refusal says what is wrong.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
# Two wrong guesses lock the TPM out, for ten minutes.
tpm2_dictionarylockout -s -n 2 -t 600 -l 600 || exit 1

mkdir -m 0700 keys
"$KEYGEN" -q -N '' -C plain -f keys/plain || exit 1
"$KEYGEN" -q -N 'pin-1234' -C pin -f pin || exit 1
"$KEYGEN" -A -f "$WORK/host" 2>host.log || exit 1
H=$WORK/host/etc/ssh
# TPMA_OBJECT_NODA is bit 10 of the key file's public area's attributes.
for k in "$H/ssh_tpm_host_ecdsa_key.tpm" "$H/ssh_tpm_host_rsa_key.tpm" keys/plain.tpm pin.tpm; do
	a=$(python3 "$TEST_LIB/tsskey.py" attributes "$k")
	case $k in
	"$H"/*) check_eq "$(basename "$k"): noDA" 1 "$(( (a >> 10) & 1 ))" ;;
	*) check_eq "$(basename "$k"): not noDA" 0 "$(( (a >> 10) & 1 ))" ;;
	esac
done

agent_start "$WORK/host.sock" host-agent.log -D --key-dir "$H" || exit 1
agent_start "$WORK/user.sock" user-agent.log -D --key-dir "$WORK/keys" || exit 1
check "before: the host key signs" sign_ok "$WORK/host.sock" "$H/ssh_tpm_host_ecdsa_key.pub"
check "before: the user key signs" sign_ok "$WORK/user.sock" keys/plain.pub

# Someone guesses at their own key's passphrase until the TPM locks out.
for i in 1 2 3; do
	"$KEYGEN" -p -f pin -P "wrong-$i" -N 'x' >/dev/null 2>&1
done
check_match "the TPM is in lockout" "inLockout: +1" "$(tpm2_getcap properties-variable)"

check "during the lockout: the host key still signs (noDA)" sign_ok "$WORK/host.sock" "$H/ssh_tpm_host_ecdsa_key.pub"
check "... the RSA one too" sign_ok "$WORK/host.sock" "$H/ssh_tpm_host_rsa_key.pub"
check_fails "during the lockout: the user key is refused" sign_ok "$WORK/user.sock" keys/plain.pub
check_line "... and the agent's log says why" user-agent.log "lockout" "dictionary-attack lockout"

out=$("$KEYGEN" -p -f "$H/ssh_tpm_host_ecdsa_key" -N 'new-pin' 2>&1)
check_eq "-p will not put a passphrase on a noDA host key" 1 $?
check_match "... saying why" "made without a passphrase, so the TPM does not count wrong guesses at it \(noDA\)" "$out"

tpm2_dictionarylockout -c || exit 1
check "after the owner clears the lockout: the user key signs again" sign_ok "$WORK/user.sock" keys/plain.pub
check "... and -p gives it a passphrase, as ssh-keygen -p would" "$KEYGEN" -q -p -f keys/plain -N 'later-pin'
finish
