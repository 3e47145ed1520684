#!/bin/sh
# SPDX-License-Identifier: MIT
# ssh-tpm-keygen on swtpm: every key type, files, modes, fingerprints as
# ssh-keygen -l prints them, prompts and --print-pubkey / --supported.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1

for spec in "ecdsa 256" "ecdsa 384" "ecdsa 521" "rsa 2048" "rsa 3072"; do
	set -- $spec
	k="k-$1-$2"
	out=$("$KEYGEN" -N '' -t "$1" -b "$2" -C "c-$k" -f "$k" 2>&1)
	rc=$?
	check_eq "$k: exit status" 0 "$rc"
	check_eq "$k: .tpm mode 0600" 600 "$(stat -c %a "$k.tpm" 2>&1)"
	check_eq "$k: .pub mode 0644" 644 "$(stat -c %a "$k.pub" 2>&1)"
	check_match "$k: .tpm is a TSS2 PEM" '^-----BEGIN TSS2 PRIVATE KEY-----$' "$(head -n1 "$k.tpm")"
	ours=$(printf '%s\n' "$out" | grep '^SHA256:')
	theirs=$(ssh-keygen -l -f "$k.pub" 2>&1)
	want_type=$(echo "$1" | tr a-z A-Z)
	check_eq "$k: ssh-keygen -l" "$2 $ours c-$k ($want_type)" "$theirs"
	check_eq "$k: --print-pubkey equals .pub key" \
		"$(cut -d' ' -f1-2 "$k.pub")" "$("$KEYGEN" --print-pubkey "$k.tpm" 2>&1 | cut -d' ' -f1-2)"
	# No temporary files left behind.
	check_eq "$k: no leftovers" "" "$(ls -A | grep -v '^k-' || true)"
done

# The manual's output lines, in order.
out=$("$KEYGEN" -N '' -C ssh-tpm-agent -f "$WORK/id_ecdsa" 2>&1)
check_eq "output lines" "Generating a sealed public/private ecdsa key pair.
Your identification has been saved in $WORK/id_ecdsa.tpm
Your public key has been saved in $WORK/id_ecdsa.pub
The key fingerprint is:
$(ssh-keygen -l -f id_ecdsa.pub | cut -d' ' -f2)
The key's randomart image is:
$(ssh-keygen -lv -f id_ecdsa.pub | tail -n +2)" "$out"
# The picture as ssh-keygen -lv draws it, for rsa and every curve too.
for k in k-ecdsa-384 k-ecdsa-521 k-rsa-2048 k-rsa-3072; do
	t=${k#k-}
	art=$("$KEYGEN" -N '' -t "${t%-*}" -b "${t#*-}" -f "art-$k" 2>&1 |
		sed -n '/^The key.s randomart image is:$/,$p' | tail -n +2)
	check_eq "randomart of a new ${t%-*} ${t#*-} key, as ssh-keygen -lv draws it" \
		"$(ssh-keygen -lv -f "art-$k.pub" | tail -n +2)" "$art"
	check_eq "... 11 lines, titled with type and size" "11 [${t%-*} ${t#*-}]" \
		"$(printf '%s\n' "$art" | wc -l) $(printf '%s\n' "$art" | head -1 | tr -d '+-' | tr A-Z a-z)"
done

# -q prints nothing.
check_eq "-q is quiet" "" "$("$KEYGEN" -q -N '' -f quiet 2>&1)"
check "-q still writes both files" test -s quiet.tpm -a -s quiet.pub

# Default path and the file prompt (HOME redirected into the work dir).
mkdir home
out=$(printf '\n' | HOME="$WORK/home" "$KEYGEN" -N '' 2>&1)
check_match "file prompt names the default" "Enter file in which to save the key \\($WORK/home/.ssh/id_ecdsa\\):" "$out"
check "default path used" test -s home/.ssh/id_ecdsa.tpm -a -s home/.ssh/id_ecdsa.pub
check_eq "~/.ssh created 0700" 700 "$(stat -c %a home/.ssh)"
# End of input at the prompt: the default too, ~/.ssh made (fresh $HOME).
mkdir home-eof
HOME="$WORK/home-eof" "$KEYGEN" -N '' </dev/null >eof.out 2>&1
check_eq "</dev/null at the file prompt: exit 0" 0 $?
check "... the default path used" test -s home-eof/.ssh/id_ecdsa.tpm -a -s home-eof/.ssh/id_ecdsa.pub
check_eq "... ~/.ssh created 0700" 700 "$(stat -c %a home-eof/.ssh)"
out=$(printf 'typed\n' | HOME="$WORK/home" "$KEYGEN" -N '' -t rsa 2>&1)
check "typed path used" test -s typed.tpm -a -s typed.pub
check_match "rsa default prompt" "id_rsa\\)" "$out"

# Default comment is user@host.
"$KEYGEN" -q -N '' -f defcomment
check_eq "default comment" "$(id -un)@$(hostname)" "$(cut -d' ' -f3 defcomment.pub)"

# Overwrite: 'y' replaces both files.
old=$(cat quiet.pub)
out=$(echo y | "$KEYGEN" -N '' -f quiet 2>&1)
check_match "overwrite asks" 'quiet.tpm already exists.' "$out"
check_match "overwrite prompt" 'Overwrite \(y/n\)\?' "$out"
if [ "$old" != "$(cat quiet.pub)" ]; then ok "overwrite y replaces"; else fail "overwrite y replaces" "same key"; fi
check_eq "overwrite keeps pair consistent" "$(cut -d' ' -f1-2 quiet.pub)" "$("$KEYGEN" --print-pubkey quiet.tpm | cut -d' ' -f1-2)"

# -f NAME.tpm is the same as -f NAME.
"$KEYGEN" -q -N '' -f suffix.tpm
check "-f x.tpm writes x.tpm and x.pub" test -s suffix.tpm -a -s suffix.pub -a ! -e suffix.tpm.tpm

# Passphrase key: emptyAuth written as an explicit FALSE (tpm2-openssl 1.1
# takes an absent emptyAuth for TRUE; see keystore/keyfile.c).
"$KEYGEN" -q -N 1234 -f pin
check_match "passphrase key has emptyAuth FALSE" 'BOOLEAN +:0$' "$(openssl asn1parse -in pin.tpm)"
check_match "no-passphrase key has emptyAuth TRUE" 'BOOLEAN +:255' "$(openssl asn1parse -in quiet.tpm)"

# Passphrase prompts (no terminal: read from stdin), and mismatch retry.
out=$(printf 'abcd\nabcd\n' | setsid -w "$KEYGEN" -f prompted 2>&1)
check_match "passphrase prompt" 'Enter passphrase \(empty for no passphrase\):' "$out"
check_match "confirm prompt" 'Confirm passphrase:' "$out"
check "prompted key written" test -s prompted.tpm
out=$(printf 'a\nb\nc\nd\ne\nf\n' | setsid -w "$KEYGEN" -f mismatch 2>&1)
rc=$?
check_match "mismatch message" 'Passphrases do not match' "$out"
check_eq "mismatch x3 fails" 1 "$rc"
check "mismatch writes nothing" test ! -e mismatch.tpm -a ! -e mismatch.pub

# --supported lists what this TPM (libtpms 0.9) can do.
check_eq "--supported" "ecdsa bit lengths: 256 384 521
rsa bit lengths: 2048 3072" "$("$KEYGEN" --supported 2>&1)"

# Nothing left loaded in the TPM.
check_eq "no transient objects left" "" "$(tpm2_getcap handles-transient 2>&1)"

finish
