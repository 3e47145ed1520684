#!/bin/sh
# SPDX-License-Identifier: MIT
# mktestdata.sh - (re)generate the TSS2 PEM fixtures in tests/data/.
#
# The fixtures are checked in; this script documents how they were made and
# remakes them all from scratch (cf. OpenSSH regress/unittests/sshkey/
# mktestdata.sh).  Re-running it replaces every file it owns, so the keys
# (and their fingerprints) change: commit the whole directory together.
#
# It starts a private swtpm in a temporary directory (never the user's
# /dev/tpmrm0 or the agent's --swtpm daemon) and stops it by PID on exit.
#
# Needs: swtpm, openssl with the tpm2-openssl provider, ssh-keygen, and our
# ssh-tpm-keygen (built here with ninja when the build dir is configured).
#
# Usage: tools/mktestdata.sh [BUILDDIR]      (default: ./build)
#        KEYGEN=/path/to/ssh-tpm-keygen tools/mktestdata.sh
#
# Files written to tests/data/:
#   ecdsa256.tpm .pub .fp   ssh-tpm-keygen -t ecdsa (short TPMKey form)
#   rsa2048.tpm .pub .fp    ssh-tpm-keygen -t rsa -b 2048
#   openssl-ec.pem          tpm2-openssl provider, EC P-256 (BOOLEAN 1, BER)
#   openssl-ec.pub.pem      its SubjectPublicKeyInfo (openssl pkey -pubout)
#   openssl-ec.pub .fp      the same key as an SSH line (ssh-keygen -i)
#   with-description.tpm    ecdsa256's key re-encoded with [4] description
#   with-description.txt    the exact description text (no newline)
#   with-policy.tpm         ecdsa256's key with [1] PolicyAuthValue policy
#   importable.tpm          OID 2.23.133.10.1.4 with a [2] secret
#   wrong-oid.tpm           OID 1.2.3.4, otherwise ecdsa256's key
#   wrong-label.pem         ecdsa256.tpm's base64 under BEGIN PRIVATE KEY
#   truncated.tpm           ecdsa256.tpm's DER cut to 100 bytes, valid PEM
#   garbage.tpm             512 pseudo-random bytes (AES-CTR keystream)
#   parent-zero.tpm         ecdsa256's key with parent INTEGER 0
#   pub-size-mismatch.tpm   ecdsa256.tpm with its TPM2B_PUBLIC size field 8
#                           too small (found by tests/fuzz/fuzz-keyfile)
#   X.fp is `ssh-keygen -l -f X.pub`: "<bits> SHA256:<fp> <comment> (<TYPE>)".
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
out=$top/tests/data
keygen=${KEYGEN:-$build/tools/ssh-tpm-keygen}

for tool in swtpm openssl ssh-keygen; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "mktestdata: $tool not found (run tools/bootstrap.sh)" >&2
		exit 1
	fi
done
if [ -z "${KEYGEN:-}" ] && [ -f "$build/build.ninja" ]; then
	ninja -C "$build" tools/ssh-tpm-keygen >/dev/null
fi
if [ ! -x "$keygen" ]; then
	echo "mktestdata: $keygen missing (meson setup build -Dtests=false && ninja -C build)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mktestdata.XXXXXX")
cleanup() {
	if [ -s "$tmp/pid" ]; then
		kill "$(cat "$tmp/pid")" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

swtpm socket --tpm2 --tpmstate dir="$tmp" \
	--server type=unixio,path="$tmp/sock" \
	--ctrl type=unixio,path="$tmp/sock.ctrl" \
	--flags not-need-init,startup-clear --pid file="$tmp/pid" -d
i=0
while [ ! -S "$tmp/sock" ] || [ ! -s "$tmp/pid" ]; do
	i=$((i + 1))
	if [ "$i" -gt 50 ]; then
		echo "mktestdata: swtpm did not start" >&2
		exit 1
	fi
	sleep 0.1
done
tcti="swtpm:path=$tmp/sock"

# Everything is built in $new and moved into tests/data/ only at the end,
# so a failure never leaves a half-updated fixture set behind.
new=$tmp/new
mkdir "$new"

# --- keys made by our own tool -------------------------------------------
SSH_TPM_AGENT_TCTI=$tcti "$keygen" -q -N '' -t ecdsa -b 256 \
	-C 'ecdsa256@mktestdata' -f "$new/ecdsa256"
SSH_TPM_AGENT_TCTI=$tcti "$keygen" -q -N '' -t rsa -b 2048 \
	-C 'rsa2048@mktestdata' -f "$new/rsa2048"

# --- a key made by the tpm2-openssl provider -----------------------------
TPM2OPENSSL_TCTI=$tcti openssl genpkey -provider tpm2 -provider default \
	-propquery '?provider=tpm2' -algorithm EC -pkeyopt group:P-256 \
	-out "$new/openssl-ec.pem" 2>/dev/null
TPM2OPENSSL_TCTI=$tcti openssl pkey -provider tpm2 -provider default \
	-propquery '?provider=tpm2' -in "$new/openssl-ec.pem" -pubout \
	-out "$new/openssl-ec.pub.pem"
# ssh-keygen -i writes no comment; give the line one like the others.
ssh-keygen -i -m PKCS8 -f "$new/openssl-ec.pub.pem" |
	sed -e 's/$/ openssl-ec@mktestdata/' >"$new/openssl-ec.pub"

# Relative names, so no temporary path can leak into a .fp file.
for k in ecdsa256 rsa2048 openssl-ec; do
	(cd "$new" && ssh-keygen -l -f "$k.pub") >"$new/$k.fp"
done

# --- re-encoded variants of ecdsa256.tpm ---------------------------------
# Pull parent, pubkey and privkey out of the real key so every variant that
# we do accept is loadable by the TPM that made it.
openssl asn1parse -in "$new/ecdsa256.tpm" >"$tmp/ecdsa256.asn1"
field() { # field TYPE INDEX: the INDEXth depth-1 value of TYPE, as hex
	awk -v t="prim: +$1 *:" -v n="$2" '
		/:d=1 / && $0 ~ t {
			if (++seen == n) {
				v = $0
				sub(/.*:/, "", v)
				print v
			}
		}' "$tmp/ecdsa256.asn1"
}
parent=$(field 'INTEGER' 1)
pubkey=$(field 'OCTET STRING +\\[HEX DUMP\\]' 1)
privkey=$(field 'OCTET STRING +\\[HEX DUMP\\]' 2)
if [ -z "$parent" ] || [ -z "$pubkey" ] || [ -z "$privkey" ]; then
	echo "mktestdata: cannot read fields of ecdsa256.tpm" >&2
	exit 1
fi

# UTF-8 on purpose ("ü" as octal escapes, independent of the locale).
description=$(printf 'Go ssh-tpm-agent key of j\303\274rgen@example')
printf '%s' "$description" >"$new/with-description.txt"

# genconf OID [EXTRA_SECTION_LINES] [PARENT]: a TPMKey config on stdout.
genconf() {
	printf 'asn1=SEQUENCE:tpmkey\n[tpmkey]\n'
	printf 'type=OID:%s\n' "$1"
	printf 'emptyAuth=EXPLICIT:0,BOOLEAN:TRUE\n'
	if [ -n "$2" ]; then
		printf '%s\n' "$2"
	fi
	printf 'parent=INTEGER:0x%s\n' "${3:-$parent}"
	printf 'pubkey=FORMAT:HEX,OCTETSTRING:%s\n' "$pubkey"
	printf 'privkey=FORMAT:HEX,OCTETSTRING:%s\n' "$privkey"
	# Sub-sections for the policy variant (ignored by the others).
	printf '[policies]\np0=SEQUENCE:pol0\n'
	printf '[pol0]\ncommandCode=EXPLICIT:0,INTEGER:0x16B\n'
	printf 'commandPolicy=EXPLICIT:1,OCTETSTRING:\n'
}

# pemwrap LABEL < DER: PEM text with 64-column base64 on stdout.
pemwrap() {
	printf -- '-----BEGIN %s-----\n' "$1"
	openssl base64 -e
	printf -- '-----END %s-----\n' "$1"
}

# mkder NAME OID [EXTRA] [PARENT]: write NAME as TSS2 PRIVATE KEY PEM.
mkder() {
	genconf "$2" "${3:-}" "${4:-}" >"$tmp/$1.cnf"
	openssl asn1parse -genconf "$tmp/$1.cnf" -noout -out "$tmp/$1.der"
	pemwrap 'TSS2 PRIVATE KEY' <"$tmp/$1.der" >"$new/$1"
}

loadable=2.23.133.10.1.3
mkder with-description.tpm "$loadable" \
	"description=EXPLICIT:4,FORMAT:UTF8,UTF8String:$description"
mkder with-policy.tpm "$loadable" \
	'policy=EXPLICIT:1,SEQUENCE:policies'
mkder importable.tpm 2.23.133.10.1.4 \
	"secret=EXPLICIT:2,FORMAT:HEX,OCTETSTRING:$(printf '%064d' 0)"
mkder wrong-oid.tpm 1.2.3.4
mkder parent-zero.tpm "$loadable" '' 0

# --- broken files --------------------------------------------------------
sed -e 's/TSS2 PRIVATE KEY/PRIVATE KEY/' "$new/ecdsa256.tpm" \
	>"$new/wrong-label.pem"
sed -e '/^-----/d' "$new/ecdsa256.tpm" | openssl base64 -d | head -c 100 |
	pemwrap 'TSS2 PRIVATE KEY' >"$new/truncated.tpm"
# The TPM2B_PUBLIC size field disagrees with the TPMT_PUBLIC it prefixes.
python3 - "$new/ecdsa256.tpm" "$new/pub-size-mismatch.tpm" <<'PY'
import base64, sys
src = open(sys.argv[1]).read()
der = bytearray(base64.b64decode(''.join(
    l for l in src.splitlines() if not l.startswith('-----'))))
for i in range(len(der) - 4):  # the pubkey OCTET STRING: 04 len size(2)
    n, size = der[i + 1], der[i + 2] << 8 | der[i + 3]
    if der[i] == 0x04 and n < 0x80 and n > 40 and size == n - 2:
        der[i + 2:i + 4] = (size - 8).to_bytes(2, 'big')
        break
b64 = base64.b64encode(bytes(der)).decode()
open(sys.argv[2], 'w').write('-----BEGIN TSS2 PRIVATE KEY-----\n' +
    '\n'.join(b64[j:j + 64] for j in range(0, len(b64), 64)) +
    '\n-----END TSS2 PRIVATE KEY-----\n')
PY
# Deterministic "random" bytes, so re-running does not churn this file.
head -c 512 /dev/zero |
	openssl enc -aes-128-ctr -K 6d6b74657374646174612d6761726261 \
		-iv 00000000000000000000000000000000 >"$new/garbage.tpm"

# Sanity: every file we expect to load must parse with OpenSSL.
for f in ecdsa256.tpm rsa2048.tpm openssl-ec.pem with-description.tpm \
	with-policy.tpm importable.tpm wrong-oid.tpm parent-zero.tpm; do
	openssl asn1parse -in "$new/$f" >/dev/null
done

mkdir -p "$out"
for f in "$new"/*; do
	chmod 0644 "$f"
	mv -f "$f" "$out/"
done
echo "mktestdata: fixtures written to $out"
