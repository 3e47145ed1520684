#!/bin/sh
# SPDX-License-Identifier: MIT
# Agent forwarding as OpenSSH 8.9+ does it: an added software key and a TPM
# key log in to sshd on 127.0.0.1 through our agent (Accept=yes: one
# handler per connection, so every binding lives with its connection);
# `ssh -A` into it, then `ssh-add -l` and `ssh-keygen -Y sign` on the far
# side through the forwarded socket (session-bind accepted, the forwarding
# bind recorded); a key added with `ssh-add -h` for another host is refused
# for this one and hidden from the forwarded listing; query; a forged bind.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir keys
"$KEYGEN" -q -N '' -t ecdsa -C tpm-key -f keys/tpm || exit 1
# The private keys apart from their .pub files: ssh-keygen -Y sign -f
# X.pub falls back to a file X next to it when the agent does not sign,
# and every signature here must come from the agent.
mkdir -m 0700 private
ssh-keygen -q -t ed25519 -N '' -C soft-key -f private/soft
ssh-keygen -q -t ed25519 -N '' -C other-host-key -f private/elsewhere
mv private/soft.pub private/elsewhere.pub .
ssh-keygen -q -t ed25519 -N '' -C other-host -f otherhost
cat keys/tpm.pub soft.pub elsewhere.pub > authorized_keys
sshd_start "$WORK/authorized_keys" || exit 1
# Hosts for ssh-add -h: this sshd as "testhost", another one elsewhere.
echo "testhost $(cut -d' ' -f1-2 hostkey.pub)" > hosts
echo "otherhost $(cut -d' ' -f1-2 otherhost.pub)" >> hosts

export SSH_TPM_AGENT_KEYRING="ta-fwd-$$-$(date +%s%N)"
add_cleanup keyring_cleanup
activate_start accept "$WORK/agent.sock" "$WORK/agent.log" -d --key-dir "$WORK/keys" || exit 1
export SSH_AUTH_SOCK="$WORK/agent.sock"
S=$SSH_AUTH_SOCK
check "ssh-add of a software key" ssh-add private/soft
check "ssh-add -h otherhost of another key" ssh-add -h otherhost -H hosts private/elsewhere

fwd() { # PUBKEY COMMAND: ssh -A into the test sshd, run COMMAND there
	pub=$1
	shift
	ssh -F /dev/null -A -o IdentitiesOnly=yes -o IdentityFile="$pub" \
		-o UserKnownHostsFile="$WORK/known_hosts" -o StrictHostKeyChecking=yes \
		-o BatchMode=yes -o ConnectTimeout=10 -p "$SSHD_PORT" root@127.0.0.1 "$@"
}

check "login with the added software key" ssh_login "$S" soft.pub
check "login with the TPM key" ssh_login "$S" keys/tpm.pub
check_line "session-bind accepted for the login" agent.log "session-bind" "session 1 bound$"

# The far side lists through the forwarded socket: both keys, not the one
# restricted to otherhost.
far=$(fwd soft.pub 'ssh-add -l; echo "exit $?"' 2>&1)
check_match "far side: ssh-add -l lists the TPM key" "SHA256:[^ ]+ tpm-key \(ECDSA\)" "$far"
check_match "far side: ssh-add -l lists the software key" "SHA256:[^ ]+ soft-key \(ED25519\)" "$far"
case $far in
*other-host-key*) fail "far side: the otherhost key is hidden" "$far" ;;
*) ok "far side: the otherhost key is hidden" ;;
esac
check_line "the forwarding was bound" agent.log "session-bind" "bound \(forwarding\)$"

# ssh-keygen -Y sign on the far side, with each key, verified here.
echo payload > msg
for k in keys/tpm soft; do
	sig=$(fwd soft.pub "cd '$WORK' && printf 'payload\n' > far.msg && rm -f far.msg.sig && ssh-keygen -Y sign -q -n file -f '$WORK/$k.pub' far.msg >/dev/null 2>&1 && cat far.msg.sig" 2>/dev/null)
	printf '%s\n' "$sig" > "far-$(basename $k).sig"
	if ssh-keygen -Y check-novalidate -n file -f "$k.pub" -s "far-$(basename $k).sig" < msg >/dev/null 2>&1; then
		ok "far side: ssh-keygen -Y sign with $(basename $k)"
	else
		fail "far side: ssh-keygen -Y sign with $(basename $k)" "[$sig]"
	fi
done

# The key restricted to otherhost cannot log in here (sshd would take it).
check_fails "a key added with -h otherhost is refused for this host" ssh_login "$S" elsewhere.pub
check_line "the refusal is logged" agent.log "destination" "not permitted|refusing"
# ... and added again for this host, it logs in.
check "ssh-add -h testhost" ssh-add -h "testhost" -H hosts private/elsewhere
check "the same key, restricted to this host, logs in" ssh -F /dev/null -o IdentitiesOnly=yes \
	-o IdentityFile="$WORK/elsewhere.pub" -o HostKeyAlias=testhost \
	-o UserKnownHostsFile="$WORK/hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes \
	-p "$SSHD_PORT" root@127.0.0.1 true
# Locally (no session bound) it is listed, and signing anything but a
# login is refused, as OpenSSH refuses it.
check_match "locally: the restricted key is listed" "other-host-key" "$(ssh-add -l)"
check_fails "locally: the restricted key signs no file" ssh-keygen -Y sign -q -n file -f elsewhere.pub msg

# query, and session-bind by hand: a forged signature, then a bind after
# a login bind.
out=$(python3 "$SRC_DIR/tests/agent/rawclient.py" query "$SSH_AUTH_SOCK" 2>&1)
check_eq "query: extension response naming session-bind" \
	"29 query session-bind@openssh.com tpm-add-key" "$out"
out=$(python3 "$SRC_DIR/tests/agent/rawclient.py" ext-unknown "$SSH_AUTH_SOCK" 2>&1)
check_eq "an unknown extension: FAILURE; a malformed session-bind: EXTENSION_FAILURE (as OpenSSH 9.4+; 9.2 says FAILURE)" "5,28" "$out"
out=$(python3 "$SRC_DIR/tests/agent/rawclient.py" bind-forged "$SSH_AUTH_SOCK" "$WORK/msg" 2>&1)
check_eq "session-bind with a bad signature: EXTENSION_FAILURE, then restricted keys hidden" \
	"28 listed:tpm-key,soft-key" "$out"
out=$(python3 "$SRC_DIR/tests/agent/rawclient.py" bind-twice "$SSH_AUTH_SOCK" "$WORK/msg" 2>&1)
check_eq "a session-bind after a login bind: EXTENSION_FAILURE (either kind)" "6,28,28" "$out"

# A constraint on a key-dir key (tpm-add-key of the same file, restricted
# to a host nobody binds): a forwarded connection's REMOVE_ALL cannot strip
# it; the user's own (local) ssh-add -D can.
out=$(python3 "$SRC_DIR/tests/agent/rawclient.py" tpm-add-restricted "$SSH_AUTH_SOCK" "$WORK/keys/tpm.tpm" 2>&1)
check_eq "tpm-add-key of the key-dir key, restricted elsewhere: SUCCESS" 6 "$out"
check_fails "the restricted key-dir key signs no file" sign_ok "$SSH_AUTH_SOCK" keys/tpm.pub
out=$(python3 "$SRC_DIR/tests/agent/rawclient.py" bind-remove-all "$SSH_AUTH_SOCK" "$WORK/msg" 2>&1)
check_eq "REMOVE_ALL from a forwarded connection: SUCCESS" "6,6" "$out"
check_fails "... the key-dir key's constraint stays" sign_ok "$SSH_AUTH_SOCK" keys/tpm.pub
out=$(python3 "$SRC_DIR/tests/agent/rawclient.py" bind-tpm-add-plain "$SSH_AUTH_SOCK" "$WORK/keys/tpm.tpm" 2>&1)
check_eq "tpm-add-key of it without constraints, from a forwarded connection: refused" "6,5" "$out"
check_fails "... the constraint stays" sign_ok "$SSH_AUTH_SOCK" keys/tpm.pub
out=$(python3 "$SRC_DIR/tests/agent/rawclient.py" tpm-add-forged "$SSH_AUTH_SOCK" "$WORK/keys/tpm.tpm" 2>&1)
check_eq "tpm-add-key of a forged key file (its public key, a wrapping no TPM made), locally: refused" "5" "$out"
check_line "... it does not load in this TPM" agent.log "tpm-add-key" "does not load in this TPM"
check_fails "... the constraint stays" sign_ok "$SSH_AUTH_SOCK" keys/tpm.pub
check_eq "... the other added keys are gone" "tpm-key" "$(ssh-add -l | awk '{print $3}' | paste -sd' ')"
check "local ssh-add -D" ssh-add -D
check "... lifts it: the key-dir key signs again" sign_ok "$SSH_AUTH_SOCK" keys/tpm.pub
finish
