#!/bin/sh
# SPDX-License-Identifier: MIT
# Interop with the tpm2-openssl provider on the same swtpm, both ways.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
O="-provider tpm2 -provider default -propquery ?provider=tpm2"
echo "message to sign" > msg

# tpm2-openssl -> us: same public key as `openssl pkey -pubout`.
for alg in "EC group:P-256" "EC group:P-384" "RSA bits:2048"; do
	set -- $alg
	name="openssl-$1-${2#*:}"
	# shellcheck disable=SC2086
	openssl genpkey $O -algorithm "$1" -pkeyopt "$2" -out "$name.pem" 2>/dev/null
	# shellcheck disable=SC2086
	openssl pkey $O -in "$name.pem" -pubout -out "$name.spki" 2>/dev/null
	"$KEYGEN" --print-pubkey "$name.pem" > "$name.ssh.pub" 2>"$name.err"
	check_eq "$name: --print-pubkey exit" 0 "$?"
	check_eq "$name: same public key as openssl pkey -pubout" \
		"$(cat "$name.spki")" "$(ssh-keygen -e -m PKCS8 -f "$name.ssh.pub" 2>&1)"
done

# us -> tpm2-openssl: our key signs through the provider and verifies
# against our .pub.
for spec in "ecdsa 256 sha256" "ecdsa 384 sha384" "rsa 2048 sha256" "rsa 2048 sha512"; do
	set -- $spec
	k="ours-$1-$2"
	[ -e "$k.tpm" ] || "$KEYGEN" -q -N '' -t "$1" -b "$2" -C "$k" -f "$k"
	ssh-keygen -e -m PKCS8 -f "$k.pub" > "$k.spki"
	# shellcheck disable=SC2086
	openssl dgst $O -"$3" -sign "$k.tpm" -out "$k.$3.sig" msg 2>"$k.err"
	check_eq "$k/$3: provider signs with our key" 0 "$?"
	check_eq "$k/$3: signature verifies against our .pub" "Verified OK" \
		"$(openssl dgst -"$3" -verify "$k.spki" -signature "$k.$3.sig" msg 2>&1)"
	echo tampered > other
	if openssl dgst -"$3" -verify "$k.spki" -signature "$k.$3.sig" other >/dev/null 2>&1; then
		fail "$k/$3: other data does not verify" "it verified"
	else
		ok "$k/$3: other data does not verify"
	fi
done

# A passphrase-protected key of ours needs the passphrase in the provider.
"$KEYGEN" -q -N 1234 -f ours-pin
# shellcheck disable=SC2086
openssl dgst $O -sha256 -sign "ours-pin.tpm" -passin pass:1234 -out pin.sig msg 2>pin.err
check_eq "passphrase key signs in the provider with its passphrase" 0 "$?"
ssh-keygen -e -m PKCS8 -f ours-pin.pub > ours-pin.spki
check_eq "passphrase key signature verifies" "Verified OK" \
	"$(openssl dgst -sha256 -verify ours-pin.spki -signature pin.sig msg 2>&1)"

finish
