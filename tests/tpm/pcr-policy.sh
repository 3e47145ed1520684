#!/bin/sh
# SPDX-License-Identifier: MIT
# PCR-bound keys: ssh-tpm-keygen --pcrs writes a PolicyPCR (AND
# PolicyAuthValue with a PIN) key; the agent signs in a policy session
# while the PCRs hold, fails with a clear message after an extend, and
# signs again once they hold again.  tpm2-tools signs with the same key
# through its own policy session (the [1] policy is the standard one).
# Keys with policies we do not run are still listed and printed.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
mkdir keys other
PIN=pcr-pin-6620
boot_a=$(printf boot-a | sha256sum | cut -d' ' -f1)
boot_b=$(printf boot-b | sha256sum | cut -d' ' -f1)
set_boot() { # VALUE: PCRs 16 and 23 reset, then extended with VALUE
	tpm2_pcrreset 16 && tpm2_pcrreset 23 &&
		tpm2_pcrextend "16:sha256=$1" && tpm2_pcrextend "23:sha256=$1"
}
set_boot "$boot_a" || exit 1

# Bad --pcrs values: clear errors, no files.
for bad in 24 7,7 sha3:7 '' 7, abc; do
	out=$("$KEYGEN" -q --pcrs "$bad" -N '' -f "keys/bad" 2>&1 </dev/null)
	check_eq "--pcrs '$bad': a usage error (exit 2)" 2 $?
	check_match "--pcrs '$bad': says what is expected" "invalid --pcrs '$bad': expected PCR numbers 0-23" "$out"
done
check "bad --pcrs: no key written" test ! -e keys/bad.tpm
out=$("$KEYGEN" -q --pcrs 23 -p -f keys/x 2>&1 </dev/null)
check_match "--pcrs with -p: refused" "pcrs goes with creating a key" "$out"

"$KEYGEN" -q --pcrs 23 -N '' -C pcr -f keys/pcr </dev/null
check_eq "keygen --pcrs 23" 0 $?
"$KEYGEN" -q --pcrs sha256:16,23 -N "$PIN" -C pcrpin -f keys/pcrpin </dev/null
check_eq "keygen --pcrs sha256:16,23 -N PIN" 0 $?
asn=$(openssl asn1parse -in keys/pcr.tpm 2>&1)
check_match "the key file has a [1] policy with TPM2_PolicyPCR" "cont \\[ 1 \\].*INTEGER +:017F" "$(echo "$asn" | tr '\n' ' ')"
asn=$(openssl asn1parse -in keys/pcrpin.tpm 2>&1 | tr '\n' ' ')
check_match "the PIN key's policy is PolicyPCR then PolicyAuthValue" "INTEGER +:017F.*INTEGER +:016B" "$asn"
check_match "the PIN key has emptyAuth FALSE" "BOOLEAN +:0 " "$asn"
check_eq "--print-pubkey of the PCR key is its .pub" "$(cut -d' ' -f1,2 keys/pcr.pub)" \
	"$("$KEYGEN" --print-pubkey keys/pcr.tpm 2>&1)"

# The agent signs while the PCRs hold.
answer "$PIN"
activate_pass "$WORK/a.sock" a.log --key-dir "$WORK/keys" || exit 1
A=$WORK/a.sock
check_eq "the agent lists both PCR keys" 2 "$(SSH_AUTH_SOCK=$A ssh-add -l | grep -c SHA256)"
check "a PCR key signs" sign_ok "$A" keys/pcr.pub
check "a PCR + PIN key signs" sign_ok "$A" keys/pcrpin.pub
check "again (from its saved context)" sign_ok "$A" keys/pcr.pub

# tpm2-tools: the same key and policy, its own session.
python3 "$TEST_LIB/tsskey.py" split keys/pcr.tpm t.pub t.priv
(
	tpm2_createprimary -Q -C o -G ecc256:aes128cfb -g sha256 \
		-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' -c prim.ctx &&
	tpm2_load -Q -C prim.ctx -u t.pub -r t.priv -c k.ctx &&
	tpm2_flushcontext -t &&
	tpm2_startauthsession --policy-session -S s.ctx &&
	tpm2_policypcr -Q -S s.ctx -l sha256:23 &&
	echo data > data.txt &&
	tpm2_sign -c k.ctx -g sha256 -p session:s.ctx -o t.sig data.txt
) >tools.out 2>&1
rc=$?; check_eq "tpm2-tools signs with the PCR key in its own PolicyPCR session" 0 $rc
tpm2_flushcontext -t >/dev/null 2>&1
tpm2_flushcontext -s >/dev/null 2>&1

# An extend of a bound PCR: the clear message, no DA strike.
before=$(lockout_counter)
tpm2_pcrextend "23:sha256=$boot_b" || exit 1
: > a.log
if sign_ok "$A" keys/pcr.pub; then fail "after an extend the PCR key does not sign" signed; else ok "after an extend the PCR key does not sign"; fi
check_match "the agent says the boot state changed and names the PCRs" \
	"the machine's boot state changed: this key is sealed to PCRs sha256:23, which now hold other values" "$(cat a.log)"
if sign_ok "$A" keys/pcrpin.pub; then fail "... nor the PCR + PIN key" signed; else ok "... nor the PCR + PIN key"; fi
check_match "... which names both its PCRs" "sealed to PCRs sha256:16,23" "$(cat a.log)"
check_eq "a PCR mismatch is no DA strike" "$before" "$(lockout_counter)"
check_eq "the keys are still listed" 2 "$(SSH_AUTH_SOCK=$A ssh-add -l | grep -c SHA256)"
check_eq "no session left in the TPM" "" "$(tpm2_getcap handles-loaded-session)"

# The same boot state again: the same keys sign again.
set_boot "$boot_a" || exit 1
check "back in the sealed state: the PCR key signs again" sign_ok "$A" keys/pcr.pub
check "... and the PCR + PIN key" sign_ok "$A" keys/pcrpin.pub

# A new PIN on a PCR key keeps its policy.
cp keys/pcrpin.tpm other/pcrpin.tpm
cp keys/pcrpin.pub other/pcrpin.pub
"$KEYGEN" -q -p -P "$PIN" -N new-pcr-pin -f other/pcrpin </dev/null
check_eq "keygen -p of a PCR + PIN key" 0 $?
check_match "... keeps PolicyPCR and PolicyAuthValue" "INTEGER +:017F.*INTEGER +:016B" \
	"$(openssl asn1parse -in other/pcrpin.tpm | tr '\n' ' ')"
answer new-pcr-pin
activate_pass "$WORK/o.sock" o.log --no-cache --key-dir "$WORK/other" || exit 1
check "... and signs with the new PIN" sign_ok "$WORK/o.sock" other/pcrpin.pub

# A policy step we do not run (here TPM2_PolicySecret instead of
# PolicyPCR): listed and printed, refused by name when signing.
mkdir foreign
make_foreign() { python3 "$TEST_LIB/tsskey.py" policy-cc "$1" "$2" 17f 151; }
make_foreign keys/pcr.tpm foreign/secret.tpm
make_foreign keys/pcrpin.tpm foreign/secretpin.tpm
chmod 600 foreign/secret.tpm foreign/secretpin.tpm
cp keys/pcr.pub foreign/secret.pub
cp keys/pcrpin.pub foreign/secretpin.pub
check_eq "--print-pubkey reads a key whose policy we do not run" "$(cut -d' ' -f1,2 keys/pcr.pub)" \
	"$("$KEYGEN" --print-pubkey foreign/secret.tpm 2>&1)"
activate_pass "$WORK/f.sock" f.log --key-dir "$WORK/foreign" || exit 1
check_eq "the agent lists them" 2 "$(SSH_AUTH_SOCK=$WORK/f.sock ssh-add -l | grep -c SHA256)"
if sign_ok "$WORK/f.sock" foreign/secret.pub; then fail "it is not used to sign" signed; else ok "it is not used to sign"; fi
check_match "the refusal names the step" "policy step 1 is TPM2_PolicySecret \\(0x151\\), which this agent does not run" "$(cat f.log)"
: > "$ASKPASS_LOG"
if sign_ok "$WORK/f.sock" foreign/secretpin.pub; then fail "... nor one with a passphrase" signed; else ok "... nor one with a passphrase"; fi
check_eq "... whose passphrase is not asked for" 0 "$(askpass_calls)"

# A PCR key without a passphrase: its policy has no PolicyAuthValue, so a
# passphrase would never be checked by the TPM.  keygen -p refuses to add
# one (and leaves the file alone); a key that has an auth value anyway
# (here set with tpm2_changeauth, emptyAuth FALSE) signs without asking
# for it and its signature verifies (ESYS would key the digest's
# encryption with the unused auth value and the TPM sign garbage).
set_boot "$boot_a" || exit 1
mkdir noauth
"$KEYGEN" -q --pcrs 23 -N '' -C noauth -f noauth/k </dev/null || exit 1
cp noauth/k.tpm noauth/k.orig
out=$("$KEYGEN" -q -p -P '' -N added-pin -f noauth/k 2>&1 </dev/null)
check_eq "keygen -p adding a passphrase to a PCR key without PolicyAuthValue: exit 1" 1 $?
check_match "... says why" "does not include TPM2_PolicyAuthValue" "$out"
check "... and leaves the file as it was" cmp noauth/k.tpm noauth/k.orig
python3 "$TEST_LIB/tsskey.py" split noauth/k.tpm n.pub n.priv
tpm2_flushcontext -t >/dev/null 2>&1
(
	tpm2_createprimary -Q -C o -G ecc256:aes128cfb -g sha256 \
		-a 'restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda' -c nprim.ctx &&
	tpm2_load -Q -C nprim.ctx -u n.pub -r n.priv -c nk.ctx &&
	tpm2_flushcontext -t &&
	tpm2_changeauth -Q -c nk.ctx -C nprim.ctx -r n2.priv unused-pin
) >changeauth.out 2>&1
rc=$?; check_eq "tpm2_changeauth gives the PCR key an auth value" 0 $rc
tpm2_flushcontext -t >/dev/null 2>&1
python3 "$TEST_LIB/tsskey.py" swap-priv noauth/k.tpm n.priv n2.priv
check_match "the key now says it has a passphrase (emptyAuth FALSE)" "BOOLEAN +:0 " \
	"$(openssl asn1parse -in noauth/k.tpm | tr '\n' ' ')"
answer unused-pin
: > "$ASKPASS_LOG"
activate_pass "$WORK/n.sock" n.log --no-cache --key-dir "$WORK/noauth" || exit 1
check "a PCR key with an auth value its policy never checks: a valid signature" \
	sign_ok "$WORK/n.sock" noauth/k.pub
check_eq "... and no passphrase asked for" 0 "$(askpass_calls)"

# A PolicyPCR whose selection the TPM refuses (sizeofSelect 4: swtpm
# takes 3): the TPM's TPM_RC_VALUE is of parameter 2, not the digest's
# (1) -- no "boot state changed", which would send the user looking for
# an update that never happened.
mkdir badsel
python3 "$TEST_LIB/tsskey.py" bad-selection keys/pcr.tpm badsel/k.tpm
chmod 600 badsel/k.tpm
cp keys/pcr.pub badsel/k.pub
activate_pass "$WORK/b.sock" b.log --key-dir "$WORK/badsel" || exit 1
if sign_ok "$WORK/b.sock" badsel/k.pub; then fail "a refused PCR selection does not sign" signed; else ok "a refused PCR selection does not sign"; fi
check_match "... and says the TPM refuses the selection" "policy step 1 \(TPM2_PolicyPCR\) failed: the TPM refuses its PCR selection sha256:23" "$(cat b.log)"
if grep -aq "boot state changed" b.log; then fail "... not that the boot state changed" "$(grep -a 'boot state' b.log)"; else ok "... not that the boot state changed"; fi

# The key file without its [1] policy: the TPM still wants one.
python3 "$TEST_LIB/tsskey.py" drop-policy keys/pcr.tpm foreign/nopolicy.tpm
chmod 600 foreign/nopolicy.tpm
rm -f foreign/secret.tpm foreign/secretpin.tpm foreign/*.pub
cp keys/pcr.pub foreign/nopolicy.pub
: > f.log
if sign_ok "$WORK/f.sock" foreign/nopolicy.pub; then fail "a PCR key whose file lost its policy does not sign" signed; else ok "a PCR key whose file lost its policy does not sign"; fi
check_match "... and says its policy is missing" "policy is missing" "$(cat f.log)"

# The Go key-file library's PolicyPCR + PolicyAuthValue test key.
check_match "--print-pubkey of the Go library's PolicyPCR+PolicyAuthValue key" '^ecdsa-sha2-nistp256 AAAA' \
	"$("$KEYGEN" --print-pubkey "$SRC_DIR/tests/data/go-pcr-authvalue.tpm" 2>&1)"
tpm2_pcrreset 16 >/dev/null 2>&1
tpm2_pcrreset 23 >/dev/null 2>&1
finish
