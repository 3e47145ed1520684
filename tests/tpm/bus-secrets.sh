#!/bin/sh
# SPDX-License-Identifier: MIT
# What crosses the TPM bus: every command and response of the agent and of
# ssh-tpm-keygen is captured with tpm2-tss's pcap TCTI, and the capture
# holds no PIN (old or new), no owner password and no imported private
# key.  The test first shows it can see one: tpm2-tools' own password
# session puts the PIN on the bus in clear.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
mkdir keys src
PLAIN_TCTI=$SSH_TPM_AGENT_TCTI
export SSH_TPM_AGENT_TCTI="pcap:$PLAIN_TCTI"

# in_capture FILE HEX: how often the bytes occur in the capture.
in_capture() {
	python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(bytes.fromhex(sys.argv[2])))' "$1" "$2"
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# TPM command codes in a capture (host-to-TPM frames start with tag 8001
# or 8002, size, code): "how many Sign commands", say.
commands() {
	python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
out, tpm_port, i = [], None, 0
# pcapng enhanced packet blocks (type 6) of IPv4 (20) + TCP (20) + the
# TPM frame; the first packet goes to the TPM's port.
while i + 12 <= len(data):
    btype, blen = struct.unpack_from("<II", data, i)
    if blen < 12:
        break
    if btype == 6:
        cap = struct.unpack_from("<I", data, i + 20)[0]
        pkt = data[i + 28:i + 28 + cap]
        dport = struct.unpack_from(">H", pkt, 22)[0]
        if tpm_port is None:
            tpm_port = dport
        f = pkt[40:]
        if dport == tpm_port and len(f) >= 10:
            out.append("%x" % struct.unpack_from(">I", f, 6)[0])
    i += blen
print(" ".join(out))
EOF
}
PIN=Bus-Pin-4471
NEWPIN=Bus-New-9038

# 1. The test can see a PIN: tpm2-tools sends a Create's sensitive area and
# a password session's auth in clear.
TPM2TOOLS_TCTI="pcap:$PLAIN_TCTI" TCTI_PCAP_FILE=$WORK/tools.pcap sh -c '
	tpm2_createprimary -Q -C o -c prim.ctx &&
	tpm2_create -Q -C prim.ctx -G ecc -p "$0" -u t.pub -r t.priv' "$PIN" >tools.out 2>&1
check_eq "tpm2-tools made a PIN key through the pcap TCTI" 0 $?
tpm2_flushcontext -t >/dev/null 2>&1
check_match "the capture sees a PIN crossing in clear (tpm2_create -p)" '^[1-9]' "$(in_capture tools.pcap "$(hex "$PIN")")"

# 2. ssh-tpm-keygen -N PIN: Create's sensitive area is encrypted.
TCTI_PCAP_FILE=$WORK/create.pcap "$KEYGEN" -q -N "$PIN" -C pin -f keys/pin </dev/null
check_eq "keygen -N through the pcap TCTI" 0 $?
check_match "the keygen capture holds its commands (CreatePrimary, StartAuthSession, Create)" \
	'(^| )131 .*176 .*153( |$)' "$(commands create.pcap)"
check_eq "keygen -N: the PIN is not on the bus" 0 "$(in_capture create.pcap "$(hex "$PIN")")"

# 3. ssh-tpm-keygen -p: the old PIN authorises by HMAC, the new one is
# encrypted.
mkdir other
cp keys/pin.tpm other/pin.tpm
TCTI_PCAP_FILE=$WORK/passwd.pcap "$KEYGEN" -q -p -P "$PIN" -N "$NEWPIN" -f other/pin </dev/null
check_eq "keygen -p through the pcap TCTI" 0 $?
check_match "the -p capture holds ObjectChangeAuth in a session" '176 .*150' "$(commands passwd.pcap)"
check_eq "keygen -p: the old PIN is not on the bus" 0 "$(in_capture passwd.pcap "$(hex "$PIN")")"
check_eq "keygen -p: the new PIN is not on the bus" 0 "$(in_capture passwd.pcap "$(hex "$NEWPIN")")"

# 4. A signature through the agent, cold (key loaded from its file) and
# warm (from its saved context), with the PIN from askpass.
answer "$PIN"
export TCTI_PCAP_FILE=$WORK/sign.pcap
activate_pass "$WORK/a.sock" a.log --no-cache --key-dir "$WORK/keys" || exit 1
contexts_drop
check "agent signs with the PIN key (cold)" sign_ok "$WORK/a.sock" keys/pin.pub
check "agent signs with the PIN key (warm context)" sign_ok "$WORK/a.sock" keys/pin.pub
check_eq "askpass asked twice (--no-cache)" 2 "$(askpass_calls)"
# StartAuthSession (176) before each Sign (15d).
cmds=$(commands sign.pcap | tr ' ' '\n' | grep -x '176\|15d' | tr '\n' ' ')
check_eq "both signatures ran in salted sessions (StartAuthSession before each Sign)" \
	"176 15d 176 15d " "$cmds"
check_eq "agent signatures: the PIN is not on the bus" 0 "$(in_capture sign.pcap "$(hex "$PIN")")"
unset TCTI_PCAP_FILE
# A key without a PIN keeps the cheaper path: no session.
"$KEYGEN" -q -N '' -C nopin -f keys/nopin </dev/null
TCTI_PCAP_FILE=$WORK/nopin.pcap activate_pass "$WORK/n.sock" n.log --key-dir "$WORK/keys" || exit 1
check "agent signs with a key without PIN" sign_ok "$WORK/n.sock" keys/nopin.pub
check_match "a key without PIN: no session started" '15d' "$(commands nopin.pcap)"
case " $(commands nopin.pcap) " in
*" 176 "*) fail "a key without PIN: no session started" "$(commands nopin.pcap)" ;;
*) ok "a key without PIN: no StartAuthSession" ;;
esac

# A wrong PIN in a session: refused, and the failed session is flushed.
answer wrong-pin
if sign_ok "$WORK/a.sock" keys/pin.pub; then fail "a wrong PIN is refused" signed; else ok "a wrong PIN is refused"; fi
tpm2_dictionarylockout -c >/dev/null 2>&1
answer "$PIN"
i=0
while [ $i -lt 5 ]; do
	sign_ok "$WORK/a.sock" keys/pin.pub || break
	i=$((i + 1))
done
check_eq "five more PIN signatures" 5 "$i"
check_eq "no session left in the TPM" "" "$(TPM2TOOLS_TCTI=$PLAIN_TCTI tpm2_getcap handles-loaded-session)"
check_eq "no transient object left in the TPM" "" "$(TPM2TOOLS_TCTI=$PLAIN_TCTI tpm2_getcap handles-transient)"

# 5. An imported private key: its bytes travel wrapped to the parent.
ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -f src/e256
priv=$(openssl pkey -in src/e256 -noout -text 2>/dev/null |
	awk '/^priv:/{f=1; next} /^pub:/{f=0} f' | tr -d ' :\n')
check_match "the imported key's private scalar is known" '^[0-9a-f]{64,66}$' "$priv"
priv=$(printf '%s' "$priv" | sed 's/^00//')
TCTI_PCAP_FILE=$WORK/import.pcap "$KEYGEN" -q --import src/e256 -N "$PIN" -f keys/imported </dev/null >import.out 2>&1
check_eq "keygen --import through the pcap TCTI" 0 $?
check_match "the import capture holds Import" '(^| )156( |$)' "$(commands import.pcap)"
check_eq "--import: the private key is not on the bus" 0 "$(in_capture import.pcap "$priv")"
check_eq "--import: its PIN is not on the bus" 0 "$(in_capture import.pcap "$(hex "$PIN")")"

# 6. The owner password: CreatePrimary under the owner in a session salted
# to a null-hierarchy primary.
OWNER=Owner-Pw-5512
TPM2TOOLS_TCTI=$PLAIN_TCTI tpm2_changeauth -c owner "$OWNER" || exit 1
contexts_drop
TCTI_PCAP_FILE=$WORK/owner.pcap SSH_TPM_AGENT_OWNER_PASSWORD=$OWNER \
	"$KEYGEN" -q -N "$PIN" -C owned -f keys/owned </dev/null
check_eq "keygen under an owner password through the pcap TCTI" 0 $?
check_eq "keygen: the owner password is not on the bus" 0 "$(in_capture owner.pcap "$(hex "$OWNER")")"
check_eq "keygen: the PIN is not on the bus" 0 "$(in_capture owner.pcap "$(hex "$PIN")")"
export TCTI_PCAP_FILE=$WORK/owner-sign.pcap
SSH_TPM_AGENT_OWNER_PASSWORD=$OWNER activate_pass "$WORK/o.sock" o.log --no-cache --key-dir "$WORK/keys" || exit 1
check "agent signs under an owner password" sign_ok "$WORK/o.sock" keys/owned.pub
unset TCTI_PCAP_FILE
check_match "the owner-password signature made the SRK (CreatePrimary)" '131' "$(commands owner-sign.pcap)"
check_eq "agent: the owner password is not on the bus" 0 "$(in_capture owner-sign.pcap "$(hex "$OWNER")")"
check_eq "agent: the PIN is not on the bus" 0 "$(in_capture owner-sign.pcap "$(hex "$PIN")")"
TPM2TOOLS_TCTI=$PLAIN_TCTI tpm2_changeauth -c owner -p "$OWNER" >/dev/null 2>&1
finish
