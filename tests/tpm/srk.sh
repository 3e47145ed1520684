#!/bin/sh
# SPDX-License-Identifier: MIT
# A persistent SRK at 0x81000001 (made with tpm2-tools, as a provisioning
# tool would): when it is the TCG's ECC SRK (the template our keys' parent
# is made from, and its name matches its public area) a signature uses it
# and makes no primary; any other key there (an RSA primary, an ECC one
# with other attributes) is left alone and the primary is made as before.
# TPM commands are counted in tpm2-tss's own trace of the agent.
# ssh-tpm-keygen --parent-handle: keys under each hierarchy and under a
# persistent key sign through the agent; a bad handle is refused.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir keys
"$KEYGEN" -q -N '' -C srk-test -f keys/k || exit 1
echo payload > msg
TSS2_LOG=esys+trace agent_start "$WORK/a.sock" "$WORK/agent.log" -D -d --key-dir "$WORK/keys" || exit 1

# sign_count: sign through the agent, verify; print how many
# CreatePrimary and Load calls the agent made for it.
sign_count() {
	contexts_drop # (no saved context: the parent is what is counted)
	from=$(($(stat -c %s agent.log) + 1))
	sign_ok "$WORK/a.sock" keys/k.pub || { echo "no signature"; return; }
	tail -c +"$from" agent.log > last.log
	echo "$(grep -c 'Esys_CreatePrimary_Async(' last.log) $(grep -c 'Esys_Load_Async(' last.log)"
}
persist() { # tpm2_createprimary options...: that key at 0x81000001
	tpm2_evictcontrol -Q -C o -c 0x81000001 >/dev/null 2>&1
	tpm2_createprimary -Q -C o "$@" -c p.ctx && tpm2_evictcontrol -Q -C o -c p.ctx 0x81000001 >/dev/null &&
		tpm2_flushcontext -t
}
H2="restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda"

check_eq "no persistent SRK: one CreatePrimary, one Load per signature" "1 1" "$(sign_count)"
persist -g sha256 -G ecc256:null:aes128cfb -a "$H2" || exit 1
check_eq "the TCG ECC SRK at 0x81000001: no CreatePrimary, the key loads under it" "0 1" "$(sign_count)"
check_eq "... again (every handler checks it)" "0 1" "$(sign_count)"
persist -G rsa2048 || exit 1
check_eq "an RSA primary at 0x81000001: not used, the primary made" "1 1" "$(sign_count)"
check_line "... the debug line says why" last.log "0x81000001" "not the ECC SRK: not used"
persist -g sha256 -G ecc256:null:aes128cfb -a "restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth" || exit 1
check_eq "an ECC primary with other attributes (no noDA): not used" "1 1" "$(sign_count)"
tpm2_evictcontrol -Q -C o -c 0x81000001 >/dev/null 2>&1
check_eq "evicted again: as before" "1 1" "$(sign_count)"

# --parent-handle.
for spec in "owner 40000001" "e 4000000B" "null 40000007" "platform 4000000C"; do
	set -- $spec
	out=$("$KEYGEN" -q -N '' --parent-handle "$1" -C "under-$1" -f "keys/p-$1" 2>&1)
	check_eq "--parent-handle $1: exit 0" 0 $?
	grep -v -- '^-----' "keys/p-$1.tpm" | base64 -d > p.der
	check_match "... the key file names parent 0x$2" "INTEGER +:$2$" "$(openssl asn1parse -inform DER -in p.der 2>&1)"
	check "... and signs through the agent" sign_ok "$WORK/a.sock" "keys/p-$1.pub"
done
check_match "--parent-handle null warns" "lost at the next TPM reset" \
	"$("$KEYGEN" -q -N '' --parent-handle n -f keys/p-null2 2>&1)"
persist -g sha256 -G ecc256:null:aes128cfb -a "$H2" || exit 1
check "--parent-handle 0x81000001 (a persistent key)" "$KEYGEN" -q -N '' --parent-handle 0x81000001 -f keys/p-persist
check "... signs through the agent" sign_ok "$WORK/a.sock" keys/p-persist.pub
tpm2_evictcontrol -Q -C o -c 0x81000001 >/dev/null 2>&1
check_fails "... and not once that handle is gone (it was the parent)" sign_ok "$WORK/a.sock" keys/p-persist.pub
for bad in 0x40000001 0x80000001 junk 0x81000000000 ""; do
	out=$("$KEYGEN" -q -N '' --parent-handle "$bad" -f keys/never 2>&1)
	check_match "--parent-handle '$bad': a usage error (exit 2), says why" "^2:.*invalid --parent-handle" "$?:$out"
done
check "... no key written" test ! -e keys/never.tpm
finish
