#!/bin/sh
# SPDX-License-Identifier: MIT
# Debian's gpg-agent (--enable-ssh-support, holding a key added with
# ssh-add) as our fallback: its key is listed and signs through us, logs in
# to sshd through us and through a forwarded agent.  gpg-agent does not
# take session-bind@openssh.com (it knows only its misspelt
# "session-bind@openssh.org"): our binding, which we answer ourselves,
# stands, and a destination-constrained key of ours logs in next to it.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir keys private
mkdir -m 0700 gnupg
export SSH_TPM_AGENT_KEYRING="ta-gpg-$$-$(date +%s%N)"
add_cleanup keyring_cleanup
"$KEYGEN" -q -N '' -C tpm-key -f keys/tpm || exit 1

# A pinentry that answers gpg-agent's questions (the passphrase it protects
# the added key with, and asks for again when it signs).
cat > pinentry.sh <<'PIN'
#!/bin/sh
echo "OK ready"
while read -r cmd rest; do
	case "$cmd" in
	GETPIN) echo "D test passphrase"; echo OK ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
PIN
chmod +x pinentry.sh
printf 'pinentry-program %s\nenable-ssh-support\n' "$WORK/pinentry.sh" > gnupg/gpg-agent.conf
GPG_SOCK=$(gpgconf --homedir "$WORK/gnupg" --list-dirs agent-ssh-socket)
gpg_stop() { gpgconf --homedir "$WORK/gnupg" --kill gpg-agent 2>/dev/null; }
add_cleanup gpg_stop
gpg-agent --homedir "$WORK/gnupg" --daemon --enable-ssh-support > gpg.out 2> gpg.err || {
	cat gpg.err >&2
	exit 1
}
wait_socket "$GPG_SOCK" || exit 1
ssh-keygen -q -t ed25519 -N '' -C gpg-held-key -f private/gpg
mv private/gpg.pub .
check "ssh-add to gpg-agent" env SSH_AUTH_SOCK="$GPG_SOCK" timeout 30 ssh-add private/gpg

ssh-keygen -q -t ed25519 -N '' -C restricted-key -f private/restricted
mv private/restricted.pub .
cat keys/tpm.pub gpg.pub restricted.pub > authorized_keys
sshd_start "$WORK/authorized_keys" || exit 1
echo "testhost $(cut -d' ' -f1-2 hostkey.pub)" > hosts

activate_start accept "$WORK/agent.sock" "$WORK/agent.log" -d --key-dir "$WORK/keys" -A "$GPG_SOCK" || exit 1
export SSH_AUTH_SOCK="$WORK/agent.sock"
S=$SSH_AUTH_SOCK
check "ssh-add -h testhost of a key of ours" ssh-add -h testhost -H hosts private/restricted
L=$(ssh-add -l)
check_eq "listed: ours, then gpg-agent's" "tpm-key restricted-key gpg-held-key" "$(printf '%s\n' "$L" | awk '{print $3}' | paste -sd' ')"
check "gpg-agent's key signs through us" sign_ok "$S" gpg.pub
check "gpg-agent's key logs in through us" ssh_login "$S" gpg.pub
check_line "... gpg-agent did not take the session binding" agent.log "$GPG_SOCK" "did not take the session binding"
check_line "... and we bound the session ourselves" agent.log "session-bind" "session 1 bound$"
check "our restricted key logs in on the bound session" ssh -F /dev/null -o IdentitiesOnly=yes \
	-o IdentityFile="$WORK/restricted.pub" -o HostKeyAlias=testhost \
	-o UserKnownHostsFile="$WORK/hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes \
	-p "$SSHD_PORT" root@127.0.0.1 true
check "our TPM key logs in" ssh_login "$S" keys/tpm.pub
far=$(ssh -F /dev/null -A -o IdentitiesOnly=yes -o IdentityFile="$WORK/gpg.pub" \
	-o UserKnownHostsFile="$WORK/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes \
	-p "$SSHD_PORT" root@127.0.0.1 'ssh-add -l' 2>&1)
check_match "ssh -A with gpg-agent's key: the far side lists it" "gpg-held-key \(ED25519\)" "$far"
check_match "... and our TPM key" "tpm-key \(ECDSA\)" "$far"
case $far in
*restricted-key*) fail "... not the key restricted to testhost (no farther hop allowed)" "$far" ;;
*) ok "... not the key restricted to testhost (no farther hop allowed)" ;;
esac
finish
