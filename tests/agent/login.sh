#!/bin/sh
# SPDX-License-Identifier: MIT
# A real login: sshd on 127.0.0.1 and ssh using our agent, for an ecdsa and
# an rsa TPM key (rsa-sha2-256 and rsa-sha2-512) and a certificate; a key
# not in the agent fails.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
keys_make "$WORK/keys" || exit 1
ssh-keygen -q -t ecdsa -N '' -C not-in-agent -f "$WORK/other"
cat keys/ecdsa256.pub keys/rsa2048.pub keys/ecdsa384.pub other.pub > authorized_keys
echo "cert-authority $(cat ca.pub)" >> authorized_keys
sshd_start "$WORK/authorized_keys" || exit 1

activate_start accept "$WORK/agent.sock" "$WORK/agent.log" -d --key-dir "$WORK/keys" || exit 1
S=$WORK/agent.sock

check "login with ecdsa-256 TPM key" ssh_login "$S" keys/ecdsa256.pub
check "login with ecdsa-384 TPM key" ssh_login "$S" keys/ecdsa384.pub
check "login with rsa TPM key, rsa-sha2-256" ssh_login "$S" keys/rsa2048.pub -o PubkeyAcceptedAlgorithms=rsa-sha2-256
check "login with rsa TPM key, rsa-sha2-512" ssh_login "$S" keys/rsa2048.pub -o PubkeyAcceptedAlgorithms=rsa-sha2-512
fp=$(ssh-keygen -l -f keys/rsa2048.pub | cut -d' ' -f2)
check_line "agent saw the rsa-sha2-256 flag" agent.log "key $fp" "SIGN_REQUEST .*flags 0x2"
check_line "agent saw the rsa-sha2-512 flag" agent.log "key $fp" "SIGN_REQUEST .*flags 0x4"
check_match "sshd accepted rsa-sha2-256" "Accepted publickey for root .* RSA SHA256:" "$(cat sshd.log)"
check "login with an ecdsa certificate" ssh_login "$S" keys/ecdsa256-cert.pub -o CertificateFile="$WORK/keys/ecdsa256-cert.pub"
check_match "sshd accepted the certificate" "Accepted publickey for root .* ECDSA-CERT" "$(cat sshd.log)"

if ssh_login "$S" other.pub >/dev/null 2>&1; then
	fail "key not in the agent cannot log in" "login succeeded"
else
	ok "key not in the agent cannot log in"
fi
# The key file is in the key dir but not authorized: refused by sshd.
if ssh_login "$S" keys/ecdsa521.pub >/dev/null 2>&1; then
	fail "unauthorized TPM key cannot log in" "login succeeded"
else
	ok "unauthorized TPM key cannot log in"
fi

finish
