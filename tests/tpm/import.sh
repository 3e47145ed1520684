#!/bin/sh
# SPDX-License-Identifier: MIT
# ssh-tpm-keygen --import and --wrap against swtpm, real OpenSSH keys and
# tpm2-tools: software keys (OpenSSH plain and encrypted, PKCS#8 plain and
# encrypted, traditional PEM) become TPM keys with the same public key and
# comment that sign through the agent and through tpm2-openssl; keys
# wrapped for a second swtpm ("the other machine", its parent exported by
# tpm2_createprimary -f pem) import there, for ECC and RSA parents; bad
# input is refused in one line with no file written.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
HERE=$SWTPM_TCTI
swtpm_start || exit 1
OTHER=$SWTPM_TCTI
export SSH_TPM_AGENT_TCTI="$HERE" TPM2TOOLS_TCTI="$HERE" TPM2OPENSSL_TCTI="$HERE"
cd "$WORK" || exit 1
mkdir keys src
O="-provider tpm2 -provider default -propquery ?provider=tpm2"
echo "message to sign" > msg

# src/NAME: ssh-keygen's key (and NAME.pub); $1 ssh-keygen options.
make_src() {
	name=$1
	shift
	ssh-keygen -q -C "comment of $name" "$@" -f "src/$name" || exit 1
}
make_src e256 -t ecdsa -b 256 -N ''
make_src e384 -t ecdsa -b 384 -N 'pass 384'
make_src e521 -t ecdsa -b 521 -N ''
make_src r2048 -t rsa -b 2048 -N 'pass rsa'
make_src e256p8 -t ecdsa -b 256 -N '' -m PKCS8
make_src r2048p8 -t rsa -b 2048 -N 'pass p8' -m PKCS8
make_src e384pem -t ecdsa -b 384 -N '' -m PEM
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -aes-256-cbc -pass pass:openssl \
	-out src/o521.pem 2>/dev/null || exit 1

agent_start "$WORK/a.sock" "$WORK/agent.log" -D --key-dir "$WORK/keys" || exit 1

for spec in "e256 -" "e384 pass_384" "e521 -" "r2048 pass_rsa" "e256p8 -" "r2048p8 pass_p8" \
	"e384pem -" "o521.pem openssl"; do
	set -- $spec
	name=$1 pass=$(echo "$2" | tr _ ' ')
	if [ "$pass" = - ]; then
		"$KEYGEN" --import "src/$name" -N '' -f "keys/$name" > "$name.out" 2>&1
	else
		"$KEYGEN" --import "src/$name" -P "$pass" -N '' -f "keys/$name" > "$name.out" 2>&1
	fi
	check_eq "--import $name: exit 0" 0 $?
	if [ "$pass" = - ]; then want=$(ssh-keygen -y -f "src/$name"); else want=$(ssh-keygen -y -P "$pass" -f "src/$name"); fi
	case $name in
	*pem | *p8) # no comment in the file: the one of the .pub next to it
		[ -e "src/$name.pub" ] && want="$want comment of $name" ;;
	esac
	case $name in
	o521.pem) check_eq "$name: the .pub is the source's public key" "$want" \
		"$(cut -d' ' -f1,2 "keys/$name.pub")" ;;
	*) check_eq "$name: the .pub equals ssh-keygen -y of the source" "$want" "$(cat "keys/$name.pub")" ;;
	esac
	check_match "$name: the key file is a loadable TSS2 key" "2.23.133.10.1.3" \
		"$(openssl asn1parse -in "keys/$name.tpm" 2>&1)"
	cut -d' ' -f1,2 "keys/$name.pub" > "$name.srcpub"
	check "$name: signs through the agent, verifying with the source's public key" \
		sign_ok "$WORK/a.sock" "$name.srcpub"
	ssh-keygen -e -m PKCS8 -f "$name.srcpub" > "$name.spki"
	case $name in e384*) md=sha384 ;; e521* | o521*) md=sha512 ;; *) md=sha256 ;; esac
	# shellcheck disable=SC2086
	openssl dgst $O -$md -sign "keys/$name.tpm" -out "$name.osig" msg 2>"$name.oerr"
	check_eq "$name: tpm2-openssl signs with the imported key" "Verified OK" \
		"$(openssl dgst -$md -verify "$name.spki" -signature "$name.osig" msg 2>&1)"
done
check_match "the import says what it did" "Your identification has been saved in keys/e256.tpm" \
	"$(cat e256.out)"

# A TPM passphrase on the imported key: asked for when signing.
"$KEYGEN" -q --import src/e256 -N 'tpm pin' -f keys/pin >/dev/null 2>&1
check_eq "--import -N: the key file asks for its passphrase" "0" \
	"$(openssl asn1parse -in keys/pin.tpm | grep -c 'BOOLEAN *:255')"

# The default output is next to the source, keeping ssh-keygen's .pub
# (same key) without a question.
cp src/e521 src/e521.pub keys/ 2>/dev/null
mv keys/e521 keys/next; mv keys/e521.pub keys/next.pub
"$KEYGEN" -q --import keys/next -N '' </dev/null >next.out 2>&1
check_eq "--import without -f: exit 0 (the same .pub replaced without asking)" 0 $?
check "... writes NAME.tpm next to NAME" test -s keys/next.tpm
check_eq "... with the same .pub" "$(cat src/e521.pub)" "$(cat keys/next.pub)"
rm -f keys/next

# Remote wrapping: the other machine's parent, as the how-to says.
H2="restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda"
TPM2TOOLS_TCTI=$OTHER tpm2_createprimary -Q -C o -g sha256 -G ecc256:null:aes128cfb -a "$H2" \
	-c ecc.ctx -f pem -o ecc-parent.pem && TPM2TOOLS_TCTI=$OTHER tpm2_flushcontext -t || exit 1
TPM2TOOLS_TCTI=$OTHER tpm2_createprimary -Q -C o -g sha256 -G rsa2048:null:aes128cfb -a "$H2" \
	-c rsa.ctx -f pem -o rsa-parent.pem && TPM2TOOLS_TCTI=$OTHER tpm2_flushcontext -t || exit 1
mkdir other
for spec in "ecc e256 -" "rsa e384 pass_384" "ecc r2048 pass_rsa" "rsa r2048p8 pass_p8"; do
	set -- $spec
	p=$1 name=$2 pass=$(echo "$3" | tr _ ' ')
	w="other/$p-$name"
	if [ "$pass" = - ]; then
		"$KEYGEN" -q --wrap "src/$name" --wrap-with "$p-parent.pem" -N '' -f "$w" >/dev/null 2>&1
	else
		"$KEYGEN" -q --wrap "src/$name" -P "$pass" --wrap-with "$p-parent.pem" -N '' -f "$w" >/dev/null 2>&1
	fi
	check_eq "--wrap $name for an $p parent: exit 0" 0 $?
	asn=$(openssl asn1parse -in "$w.tpm" 2>&1)
	check_match "... an importable key (2.23.133.10.1.4)" "OBJECT +:2.23.133.10.1.4" "$asn"
	check_match "... carrying [2] secret" "cont \[ 2 \]" "$asn"
	case $p in
	rsa) check_match "... [5] rsaParent for an RSA parent" "cont \[ 5 \]" "$asn" ;;
	ecc) check_eq "... no [5] rsaParent for an ECC parent" 0 "$(echo "$asn" | grep -c 'cont \[ 5 \]')" ;;
	esac
	cp "$w.tpm" "$w.importable"
	SSH_TPM_AGENT_TCTI=$HERE "$KEYGEN" -q --import "$w.tpm" -f "wrongtpm-$p-$name" >"wrong-$p-$name.out" 2>&1
	check_eq "... imported on the wrong TPM: refused" 1 $?
	check_match "... saying it was wrapped for another parent" "wrapped for another parent" \
		"$(cat "wrong-$p-$name.out")"
	check_eq "... in one line" 1 "$(wc -l < "wrong-$p-$name.out")"
	check_eq "... and no file written" "" "$(ls wrongtpm-* 2>/dev/null)"
	SSH_TPM_AGENT_TCTI=$OTHER "$KEYGEN" -q --import "$w.tpm" >/dev/null 2>&1
	check_eq "... --import on the target TPM (in place): exit 0" 0 $?
	check_match "... now loadable" "OBJECT +:2.23.133.10.1.3" "$(openssl asn1parse -in "$w.tpm" 2>&1)"
	check_eq "... keeping the comment of the wrapped pair's .pub" "$(cut -d' ' -f3- "src/$name.pub")" \
		"$(cut -d' ' -f3- "$w.pub")"
	cut -d' ' -f1,2 "$w.pub" > "$w.srcpub"
	check_eq "... same public key as the source" "$(ssh-keygen -y -P "$(echo "$3" | tr _ ' ' | sed 's/^-$//')" -f "src/$name" | cut -d' ' -f1,2)" \
		"$(cat "$w.srcpub")"
done

# The target's agent: an importable key in its key dir is refused with a
# message saying to import it; the imported ones sign.
mkdir otherkeys
cp other/ecc-e256.tpm other/ecc-e256.pub other/rsa-e384.tpm other/rsa-e384.pub otherkeys/
cp other/rsa-r2048p8.importable otherkeys/pending.tpm
"$KEYGEN" --print-pubkey other/rsa-r2048p8.importable > otherkeys/pending.pub 2>/dev/null ||
	cp other/rsa-r2048p8.pub otherkeys/pending.pub
SSH_TPM_AGENT_TCTI=$OTHER agent_start "$WORK/o.sock" "$WORK/other-agent.log" -D -d --key-dir "$WORK/otherkeys" || exit 1
check_eq "the target's agent lists the imported keys, not the importable one" 2 \
	"$(SSH_AUTH_SOCK=$WORK/o.sock ssh-add -l | wc -l)"
check_line "... and says to --import it" other-agent.log "pending.tpm" "ssh-tpm-keygen --import"
check "an ECC-parent import signs on the target" sign_ok "$WORK/o.sock" other/ecc-e256.srcpub
check "an RSA-parent import signs on the target" sign_ok "$WORK/o.sock" other/rsa-e384.srcpub

# 300 consecutive ECC wraps all import (full-width coordinates: a
# minimal-length x, about 1 in 256 ephemeral keys, must not break it).
mkdir many
i=0 bad=0
while [ $i -lt 300 ]; do
	"$KEYGEN" -q --wrap src/e256 --wrap-with ecc-parent.pem -N '' -f many/w >/dev/null 2>&1 &&
		SSH_TPM_AGENT_TCTI=$OTHER "$KEYGEN" -q --import many/w.tpm >/dev/null 2>&1 || bad=$((bad + 1))
	rm -f many/w.tpm many/w.pub
	i=$((i + 1))
done
check_eq "300 consecutive ECC wraps all import" 0 "$bad"

# Bad input: one line, exit 1, nothing written.
bad_input() { # NAME EXPECTED-REGEX ARGS...
	n=$1 re=$2
	shift 2
	rm -rf out && mkdir out
	"$KEYGEN" "$@" >bad.out 2>bad.err </dev/null
	rc=$?
	check_eq "$n: exit 1" 1 "$rc"
	check_match "$n: says why" "$re" "$(cat bad.err)"
	check_eq "$n: one line (after any prompt)" 1 "$(grep -vc '^Enter passphrase' bad.err)"
	check_eq "$n: no file created" "" "$(ls out)"
}
ssh-keygen -q -t ed25519 -N '' -f src/ed || exit 1
bad_input "ed25519" "ed25519 keys cannot be imported" -q --import src/ed -N '' -f out/k
ssh-keygen -q -t dsa -N '' -f src/dsa 2>/dev/null && bad_input "dsa" "dsa keys cannot be imported" -q --import src/dsa -N '' -f out/k
ssh-keygen -q -t rsa -b 1024 -N '' -f src/r1024 || exit 1
bad_input "rsa 1024" "rsa 1024 keys cannot be imported" -q --import src/r1024 -N '' -f out/k
bad_input "wrong passphrase (OpenSSH)" "incorrect passphrase" -q --import src/e384 -P wrong -N '' -f out/k
bad_input "wrong passphrase (PKCS#8)" "incorrect passphrase" -q --import src/r2048p8 -P wrong -N '' -f out/k
bad_input "no passphrase for an encrypted key" "passphrase" -q --import src/e384 -N '' -f out/k
head -c 300 other/ecc-e256.importable > corrupt.tpm
bad_input "a truncated importable file" "TSS2|PEM" -q --import corrupt.tpm -f out/k
# One byte of the duplicate changed: the TPM's integrity check fails.
"$KEYGEN" -q --wrap src/e256 --wrap-with ecc-parent.pem -N '' -f flip >/dev/null 2>&1 || exit 1
python3 - flip.tpm <<'PY'
import base64, sys
p = sys.argv[1]
lines = open(p).read().split("\n")
der = bytearray(base64.b64decode("".join(l for l in lines if l and not l.startswith("-----"))))
der[-5] ^= 0x01
b = base64.b64encode(bytes(der)).decode()
open(p, "w").write("-----BEGIN TSS2 PRIVATE KEY-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + "\n-----END TSS2 PRIVATE KEY-----\n")
PY
SSH_TPM_AGENT_TCTI=$OTHER bad_input "a corrupted duplicate" "cannot unwrap the key" -q --import flip.tpm -f out/k
bad_input "a parent that is not a public key" "not a parent public key" -q --wrap src/e256 --wrap-with src/e256 -N '' -f out/k
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 2>/dev/null | openssl pkey -pubout > p384.pem
bad_input "a P-384 parent" "ECC P-256 or RSA-2048" -q --wrap src/e256 --wrap-with p384.pem -N '' -f out/k
bad_input "--wrap without -f" "needs -f" -q --wrap src/e256 --wrap-with ecc-parent.pem -N ''
bad_input "--wrap without --wrap-with" "needs --wrap-with" -q --wrap src/e256 -N '' -f out/k
bad_input "not a key file" "not a private key file" -q --import msg -N '' -f out/k
bad_input "a loadable TPM key" "nothing to import" -q --import keys/e256.tpm -N '' -f out/k
bad_input "a missing file" "No such file" -q --import src/none -N '' -f out/k

# Found by an attack review: a parent whose RSA exponent would not hide
# the seed (e = 1), a parent a hierarchy does not make, RSA keys a TPM
# cannot hold, ciphers refused before any prompt, a software key named
# NAME.tpm not replaced without a question.
TPM2TOOLS_TCTI=$OTHER tpm2_createprimary -Q -C o -g sha256 -G rsa2048:null:aes128cfb -a "$H2" \
	-c rsa2.ctx && TPM2TOOLS_TCTI=$OTHER tpm2_readpublic -Q -c rsa2.ctx -o rsa-parent.tpm2b &&
	TPM2TOOLS_TCTI=$OTHER tpm2_flushcontext -t || exit 1
check "a TPM2B_PUBLIC parent (tpm2_readpublic -o) wraps" "$KEYGEN" -q --wrap src/e256 \
	--wrap-with rsa-parent.tpm2b -N '' -f tpm2b-wrapped
python3 -c "import sys; b = bytearray(open('rsa-parent.tpm2b', 'rb').read()); b[-262:-258] = (1).to_bytes(4, 'big'); open('e1.tpm2b', 'wb').write(b)"
bad_input "an RSA parent with exponent 1" "not a parent public key" -q --wrap src/e256 --wrap-with e1.tpm2b -N '' -f out/k
TPM2TOOLS_TCTI=$OTHER tpm2_createprimary -Q -C o -g sha256 -G ecc256:null:aes256cfb -a "$H2" \
	-c odd.ctx && TPM2TOOLS_TCTI=$OTHER tpm2_readpublic -Q -c odd.ctx -o odd-parent.tpm2b &&
	TPM2TOOLS_TCTI=$OTHER tpm2_flushcontext -t || exit 1
bad_input "a parent that is not the SRK template, for a hierarchy parent" "--parent-handle 0x81" \
	-q --wrap src/e256 --wrap-with odd-parent.tpm2b -N '' -f out/k
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 -out src/e3.pem 2>/dev/null
bad_input "rsa with e = 3" "public exponent 65537" -q --import src/e3.pem -N '' -f out/k
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_primes:3 -out src/p3.pem 2>/dev/null
bad_input "rsa with three primes" "two primes" -q --import src/p3.pem -N '' -f out/k
ssh-keygen -q -t ecdsa -N 'x' -Z chacha20-poly1305@openssh.com -f src/chacha || exit 1
bad_input "a cipher we do not read: refused before asking" "does not read" -q --import src/chacha -N '' -f out/k
check_eq "... no passphrase asked" 0 "$(grep -c 'Enter passphrase' bad.err)"
cp src/e256 soft.tpm
"$KEYGEN" -q --import soft.tpm -N '' </dev/null >/dev/null 2>&1
check_eq "a software key named NAME.tpm: not replaced without a yes" "$(cat src/e256)" "$(cat soft.tpm)"

finish
