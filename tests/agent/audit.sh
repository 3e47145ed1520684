#!/bin/sh
# SPDX-License-Identifier: MIT
# The audit trail: one line per signature naming the key (fingerprint and
# comment), the peer (pid, uid, executable, systemd unit), the SSH login
# (user, host key of the bound session) and the result; never the signed
# data or a passphrase.  On stderr, and under a real systemd-journald (in
# a private mount namespace) as journal fields; what the peer names (its
# executable) is plain text there too.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
mkdir keys
PIN=audit-pin-5521
"$KEYGEN" -q -N '' -C 'plain key' -f keys/plain </dev/null
"$KEYGEN" -q -N "$PIN" -C 'pin key' -f keys/pin </dev/null
fp=$(ssh-keygen -l -f keys/plain.pub | cut -d' ' -f2)
pinfp=$(ssh-keygen -l -f keys/pin.pub | cut -d' ' -f2)
MARK=AUDIT-DATA-MARKER-7731
# A fingerprint as a regular expression (base64 has '+').
re() { printf '%s' "$1" | sed 's/[+]/[+]/g'; }

# sign_raw SOCK PUB: a sign request of data holding MARK, as any client may
# send; prints the reply type.
sign_raw() {
	python3 - "$1" "$2" "$MARK" <<'EOF'
import base64, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
blob = base64.b64decode(open(sys.argv[2]).read().split()[1])
st = lambda b: struct.pack(">I", len(b)) + b
body = b"\x0d" + st(blob) + st(sys.argv[3].encode() * 3) + struct.pack(">I", 0)
s.sendall(st(body))
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
print(s.recv(n, socket.MSG_WAITALL)[0])
EOF
}

answer "$PIN"
activate_pass "$WORK/a.sock" a.log --key-dir "$WORK/keys" || exit 1
A=$WORK/a.sock
check "ssh-keygen -Y sign through the agent" sign_ok "$A" keys/plain.pub
lines=$(grep -a 'audit: ' a.log)
check_eq "exactly one audit line for one signature" 1 "$(printf '%s\n' "$lines" | grep -c .)"
check_match "the line names key, comment, peer and result" \
	"ssh-tpm-agent: audit: signed with $(re "$fp") \\(plain key\\) for pid [0-9]+ uid 0 exe /usr/bin/ssh-keygen unit [^ ]+: ok$" "$lines"

: > a.log
check_eq "a raw client's signature" 14 "$(sign_raw "$A" keys/pin.pub)"
check_eq "... one audit line" 1 "$(grep -ac 'audit: ' a.log)"
check_match "... naming the PIN key and the python client" \
	"audit: signed with $(re "$pinfp") \\(pin key\\) for pid [0-9]+ uid 0 exe [^ ]*/python3[.0-9]* unit [^ ]+: ok" \
	"$(grep -a 'audit: ' a.log)"
check "the signed data is not in the log" sh -c "! grep -aq '$MARK' a.log"
check "the passphrase is not in the log" sh -c "! grep -aq '$PIN' a.log"

# A refusal is audited too.
: > a.log
answer wrong-pin
keyctl purge -s user "ssh-tpm-agent:passphrase:$pinfp" >/dev/null 2>&1
cached=$(cached_id "$pinfp")
[ -n "$cached" ] && keyctl invalidate "$cached"
check_eq "a wrong passphrase: FAILURE" 5 "$(sign_raw "$A" keys/pin.pub)"
tpm2_dictionarylockout -c >/dev/null 2>&1
check_match "... audited as refused, with the reason" \
	"audit: refused to sign with $(re "$pinfp") \\(pin key\\) for pid [0-9]+ uid 0 exe [^ ]+ unit [^ ]+: TPM authorization failed" \
	"$(grep -a 'audit: ' a.log)"
check "... no passphrase in the log" sh -c "! grep -aq 'wrong-pin' a.log"

# An SSH login: the user, and the host key of the session ssh bound.
cat keys/plain.pub > authorized_keys
sshd_start "$WORK/authorized_keys" || exit 1
hostfp=$(ssh-keygen -l -f hostkey.pub | cut -d' ' -f2)
: > a.log
check "ssh login with the agent's key" ssh_login "$A" keys/plain.pub
check_match "the login's audit line names the SSH user and the host key" \
	"audit: signed with $(re "$fp") \\(plain key\\) for pid [0-9]+ uid 0 exe /usr/bin/ssh unit [^ ]+ ssh login of root to host key $(re "$hostfp"): ok" \
	"$(grep -a 'audit: ' a.log)"

# Under the journal: a real systemd-journald in a mount namespace of its
# own, the agent's stderr a journal stream with JOURNAL_STREAM naming it
# (as systemd sets it for a service).
cat > sign.py <<'PY'
import base64, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
blob = base64.b64decode(open(sys.argv[2]).read().split()[1])
st = lambda b: struct.pack(">I", len(b)) + b
s.sendall(st(b"\x0d" + st(blob) + st(sys.argv[3].encode()) + struct.pack(">I", 0)))
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
print(s.recv(n, socket.MSG_WAITALL)[0])
PY
cat > journal.sh <<'EOF'
set -u
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
mkdir -p /run/systemd/journal /run/log/journal
/lib/systemd/systemd-journald 2>journald.err &
J=$!
C=
trap 'kill -9 $J $C 2>/dev/null' EXIT
i=0
until [ -S /run/systemd/journal/stdout ] || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
systemd-cat -t ta-audit-test sh -c 'export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); exec "$0" -d -l "$1" --key-dir "$2"' \
	"$AGENT" "$WORK/j.sock" "$WORK/keys" &
C=$!
i=0
until [ -S "$WORK/j.sock" ] || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
python3 "$WORK/sign.py" "$WORK/j.sock" "$WORK/keys/plain.pub" journal-data >sign.out
sleep 0.5
journalctl -D /run/log/journal -o export "SSH_TPM_KEY_FP=$FP" > export.txt 2>journalctl.err
journalctl -D /run/log/journal -o cat -t ssh-tpm-agent > plain.txt 2>>journalctl.err
# An agent gone to the background (eval form: no stderr of its own, no
# JOURNAL_STREAM) sends its messages to the journal too.
mkdir -m 0700 "$WORK/bgrt"
eval "$(env -u JOURNAL_STREAM -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/bgrt "$AGENT" -s --key-dir "$WORK/keys")"
C="$C $SSH_AGENT_PID"
python3 "$WORK/sign.py" "$SSH_AUTH_SOCK" "$WORK/keys/plain.pub" background-data >bg-sign.out
sleep 0.5
journalctl -D /run/log/journal -o export "SSH_TPM_KEY_FP=$FP" > bg-all.txt 2>>journalctl.err
journalctl -D /run/log/journal -o cat SYSLOG_IDENTIFIER=ssh-tpm-agent > bg-plain.txt 2>>journalctl.err
echo "$SSH_AUTH_SOCK" > bg-sock.txt
# A client whose executable's name holds a line break and an escape
# sequence (the peer chooses it).
"$WORK/$HOSTILE_EXE" "$WORK/sign.py" "$SSH_AUTH_SOCK" "$WORK/keys/plain.pub" hostile-data >hostile-sign.out
sleep 0.5
journalctl -D /run/log/journal -o json SSH_TPM_KEY_FP=$FP > hostile.json 2>>journalctl.err
EOF
HOSTILE_EXE=$(printf 'py\nFORGED: audit: signed\033[31m')
cp /usr/bin/python3 "$WORK/$HOSTILE_EXE"
FP=$fp AGENT=$AGENT WORK=$WORK HOSTILE_EXE=$HOSTILE_EXE timeout 60 unshare --mount --propagation private sh journal.sh
check_eq "under the journal: the signature was made" 14 "$(cat sign.out)"
exp=$(cat export.txt)
check_match "journalctl SSH_TPM_KEY_FP= finds the signature" "SSH_TPM_KEY_FP=$(re "$fp")" "$exp"
check_match "... with the comment" "SSH_TPM_KEY_COMMENT=plain key" "$exp"
check_match "... the peer's pid" "SSH_TPM_PEER_PID=[0-9]+" "$exp"
check_match "... uid" "SSH_TPM_PEER_UID=0" "$exp"
check_match "... executable" "SSH_TPM_PEER_EXE=[^ ]*/python3" "$exp"
check_match "... unit field" "SSH_TPM_PEER_UNIT=" "$exp"
check_match "... and result" "SSH_TPM_RESULT=ok" "$exp"
check_match "... the message" "MESSAGE=ssh-tpm-agent: audit: signed with $(re "$fp")" "$exp"
check_eq "... exactly one entry" 1 "$(grep -c '^SSH_TPM_KEY_FP=' export.txt)"
check "... no signed data in the journal" sh -c "! grep -q journal-data export.txt plain.txt"
check_eq "in the background: the signature was made" 14 "$(cat bg-sign.out)"
check_match "... the agent says where it listens, in the journal" \
	"^listening on $(re "$(cat bg-sock.txt)")\$" "$(cat bg-plain.txt)"
check_eq "... its audit entry has the structured fields (two entries for the key now)" 2 \
	"$(grep -c '^SSH_TPM_KEY_FP=' bg-all.txt)"
check_eq "... both with SSH_TPM_RESULT=ok" 2 "$(grep -c '^SSH_TPM_RESULT=ok$' bg-all.txt)"
check "... no signed data in the journal" sh -c "! grep -q background-data bg-all.txt bg-plain.txt"
check_eq "a client named with a line break and an escape: signed" 14 "$(cat hostile-sign.out)"
# journalctl -o json gives a field with a control character as an array
# of bytes, plain text as a string.
hostile=$(python3 -c 'import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if "hostile" in str(e.get("SSH_TPM_PEER_EXE")) or "FORGED" in str(e.get("MESSAGE")) or isinstance(e.get("MESSAGE"), list):
        print(repr(e.get("MESSAGE")))
        print(repr(e.get("SSH_TPM_PEER_EXE")))' hostile.json)
check_match "... its journal entry's message is one line of text, the name's controls marked" \
	"^'ssh-tpm-agent: audit: signed with .* exe $WORK/py\?FORGED: audit: signed\?\[31m unit .*: ok'\$" \
	"$(echo "$hostile" | head -n1)"
check_match "... and so is its SSH_TPM_PEER_EXE field" "^'$WORK/py\?FORGED: audit: signed\?\[31m'\$" \
	"$(echo "$hostile" | tail -n1)"
finish
