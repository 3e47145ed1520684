#!/bin/sh
# SPDX-License-Identifier: MIT
# ssh-add -l/-L and ssh-keygen -Y sign/verify through our agent, in every
# entry mode: standalone -l, Accept=yes, Accept=no and inetd (the last three
# through systemd-socket-activate).
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
keys_make "$WORK/keys" || exit 1
echo "data to sign" > data

# What ssh-add should list: every .pub, and each -cert.pub after its key,
# in file-name order.
expected_L=$(for f in keys/*.tpm; do
	b=${f%.tpm}
	cut -d' ' -f1-3 "$b.pub"
	[ -f "$b-cert.pub" ] && printf '%s %s\n' "$(cut -d' ' -f1-2 "$b-cert.pub")" "$(cut -d' ' -f3 "$b.pub")"
done)
expected_l=$(for f in keys/*.tpm; do
	b=${f%.tpm}
	ssh-keygen -l -f "$b.pub"
	[ -f "$b-cert.pub" ] && ssh-keygen -l -f "$b.pub" | sed 's/)$/-CERT)/'
done)

sign_verify() { # NAME SOCK PUB [ssh-keygen -Y sign options]
	name=$1 sock=$2 pub=$3
	shift 3
	rm -f data.sig
	if ! out=$(SSH_AUTH_SOCK="$sock" ssh-keygen -Y sign -n file -f "$pub" "$@" data 2>&1); then
		fail "$name: sign" "$out"
		return
	fi
	base=${pub%-cert.pub}
	base=${base%.pub}
	if out=$(ssh-keygen -Y check-novalidate -n file -f "$base.pub" -s data.sig < data 2>&1); then
		ok "$name: signature verifies"
	else
		fail "$name: signature verifies" "$out"
	fi
	# A signature over other data must not verify (the check can fail).
	if echo other | ssh-keygen -Y check-novalidate -n file -f "$base.pub" -s data.sig >/dev/null 2>&1; then
		fail "$name: other data rejected" "verified"
	fi
}

run_mode() { # MODE SOCK
	mode=$1 sock=$2
	check_eq "$mode: ssh-add -L" "$expected_L" "$(SSH_AUTH_SOCK=$sock ssh-add -L 2>&1)"
	check_eq "$mode: ssh-add -l" "$expected_l" "$(SSH_AUTH_SOCK=$sock ssh-add -l 2>&1)"
	for k in ecdsa256 ecdsa384 ecdsa521 rsa2048; do
		sign_verify "$mode: $k" "$sock" "keys/$k.pub"
	done
	sign_verify "$mode: ecdsa256 certificate" "$sock" keys/ecdsa256-cert.pub
	sign_verify "$mode: rsa2048 certificate" "$sock" keys/rsa2048-cert.pub
}

agent_start "$WORK/std.sock" "$WORK/std.log" -d --key-dir "$WORK/keys" || exit 1
run_mode standalone "$WORK/std.sock"
check_eq "standalone socket is 0600" 600 "$(stat -c %a "$WORK/std.sock")"
# -d logs one line per request with type, key fingerprint, peer pid/uid.
fp=$(ssh-keygen -l -f keys/rsa2048.pub | cut -d' ' -f2)
# (ssh-keygen -Y always signs RSA with rsa-sha2-512, flag 0x4; rsa-sha2-256
# is exercised by the sshd login test.)
check_line "-d logs sign requests with fingerprint, peer and flags" std.log \
	"key $fp" "SIGN_REQUEST from pid [0-9]+ uid 0: key .*flags 0x4"
check_match "-d logs identity requests" "REQUEST_IDENTITIES from pid [0-9]+ uid 0: 6 identities" "$(cat std.log)"
if grep -q "data to sign" std.log; then fail "no signed data in the log" "found"; else ok "no signed data in the log"; fi

activate_start accept "$WORK/acc.sock" "$WORK/acc.log" --key-dir "$WORK/keys" || exit 1
run_mode "Accept=yes" "$WORK/acc.sock"
activate_start listen "$WORK/lis.sock" "$WORK/lis.log" --key-dir "$WORK/keys" || exit 1
run_mode "Accept=no" "$WORK/lis.sock"
activate_start inetd "$WORK/ine.sock" "$WORK/ine.log" --key-dir "$WORK/keys" || exit 1
run_mode inetd "$WORK/ine.sock"

# SIGN_REQUEST flags pick the RSA hash as OpenSSH's agent does: both
# flags give rsa-sha2-256, none the old ssh-rsa.
cut -d' ' -f2 keys/rsa2048.pub | base64 -d > rsa.blob
for f in "6 rsa-sha2-256" "2 rsa-sha2-256" "4 rsa-sha2-512" "0 ssh-rsa"; do
	set -- $f
	check_eq "RSA flags $1: $2" "$2" "$(python3 "$SRC_DIR/tests/agent/rawclient.py" sign-flags "$WORK/std.sock" rsa.blob "$1" 2>&1)"
done

# Keys appear and disappear without a restart (read per request).
"$KEYGEN" -q -N '' -C late -f keys/late
check_match "new key listed without restart" " late$" "$(SSH_AUTH_SOCK=$WORK/std.sock ssh-add -L)"
rm keys/late.tpm keys/late.pub
check_eq "removed key gone without restart" "" "$(SSH_AUTH_SOCK=$WORK/std.sock ssh-add -L | grep ' late$')"

# --no-load lists nothing; an empty key dir lists nothing.
agent_start "$WORK/noload.sock" "$WORK/noload.log" --no-load --key-dir "$WORK/keys" || exit 1
check_eq "--no-load lists no keys" "The agent has no identities." "$(SSH_AUTH_SOCK=$WORK/noload.sock ssh-add -l 2>&1)"

# Listing never opens the TPM: it works with the TPM gone.
kill "$SWTPM_PID"
wait "$SWTPM_PID" 2>/dev/null
check_eq "listing works without a TPM" "$expected_l" "$(SSH_AUTH_SOCK=$WORK/std.sock ssh-add -l 2>&1)"
if SSH_AUTH_SOCK=$WORK/std.sock ssh-keygen -Y sign -n file -f keys/ecdsa256.pub data >/dev/null 2>&1; then
	fail "signing without a TPM fails" "it signed"
else
	ok "signing without a TPM fails"
fi
check_match "TPM failure is logged" "SIGN_REQUEST .*cannot reach the TPM" "$(cat std.log)"

finish
