#!/bin/sh
# SPDX-License-Identifier: MIT
# The per-connection path's caches are safe and cheap: TPM commands per
# signature cold and warm (counted in tpm2-tss's TCTI trace); a saved
# context from before a TPM restart (startup-clear) or from another TPM
# falls back to Load and signs; another user's handler never uses ours; a
# PIN key still asks for its passphrase and a wrong cached one still costs
# one DA strike; a handler that only lists maps no tss2 library.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
# (Open before the first key is made: the swtpm's lock file takes the
# socket's mode, and another uid uses this TPM below.)
chmod 0755 "$WORK" "$SWTPM_DIR"
chmod 0666 "$SWTPM_DIR/sock" "$SWTPM_DIR/sock.ctrl"
mkdir keys
"$KEYGEN" -q -N '' -C k -f keys/k || exit 1
"$KEYGEN" -q -N '' -C k2 -f keys/k2 || exit 1
PASS=pin-for-ctx
"$KEYGEN" -q -N "$PASS" -C pin -f keys/pin || exit 1
answer "$PASS"
echo payload > data

TSS2_LOG=tcti+debug agent_start "$WORK/a.sock" "$WORK/a.log" -d --key-dir "$WORK/keys" || exit 1
A=$WORK/a.sock
# sign_cmds PUB: sign and verify; print the TPM command codes sent for it
# (hex, in order), or "no signature".
sign_cmds() {
	from=$(($(stat -c %s a.log) + 1))
	sign_ok "$A" "$1" || { echo "no signature"; return; }
	tail -c +"$from" a.log > last.log
	# (A TPM still testing itself answers its first Sign with
	# TPM_RC_RETRY, and ESYS sends it again: counted once.)
	grep -a 'Sending command with TPM_CC' last.log | sed 's/.*TPM_CC 0x\([0-9a-f]*\).*/\1/' | tr '\n' ' ' |
		sed 's/ $//; s/15d 15d/15d/'
}
# ReadPublic 173 (persistent SRK?), CreatePrimary 131, Load 157,
# ContextSave 162, ContextLoad 161, Sign 15d, FlushContext 165.
contexts_drop
check_eq "cold: SRK made and saved, key loaded and saved, signed" \
	"173 131 157 162 165 162 15d 165" "$(sign_cmds keys/k.pub)"
check_eq "warm: ContextLoad, Sign, flush" "161 15d 165" "$(sign_cmds keys/k.pub)"
check_match "... the debug log says so" "key loaded from its saved context" "$(cat last.log)"
check_eq "another key, SRK warm: ContextLoad(SRK), Load, ContextSave, Sign" \
	"161 157 165 162 15d 165" "$(sign_cmds keys/k2.pub)"
check_eq "... then warm too" "161 15d 165" "$(sign_cmds keys/k2.pub)"
check_eq "two keys, two saved contexts" 2 "$(contexts_count)"

# The swtpm restarted (Startup(CLEAR): contexts of transient objects die).
swtpm_restart || exit 1
chmod 0666 "$SWTPM_DIR/sock" "$SWTPM_DIR/sock.ctrl"
cmds=$(sign_cmds keys/k.pub)
check_match "after a TPM restart: the stale contexts fail, the key loads from its file and signs" \
	"^161 161 173 131 157 162 165 162 15d 165$" "$cmds"
check_match "... the debug log says why" "saved context of the key does not load .*TPM reset, restarted" \
	"$(cat last.log)"
check_eq "... and the renewed context is warm again" "161 15d 165" "$(sign_cmds keys/k.pub)"

# Another TPM's context under this TPM's record: it does not load there.
A_TCTI=$SWTPM_TCTI A_DIR=$SWTPM_DIR A_PID=$SWTPM_PID
swtpm_start || exit 1
B_TCTI=$SWTPM_TCTI
export SSH_TPM_AGENT_TCTI="$A_TCTI" TPM2TOOLS_TCTI="$A_TCTI"
SWTPM_DIR=$A_DIR SWTPM_PID=$A_PID
mkdir keys-b
SSH_TPM_AGENT_TCTI=$B_TCTI "$KEYGEN" -q -N '' -C kb -f keys-b/kb || exit 1
kr=$(keyctl search @u keyring "$SSH_TPM_AGENT_KEYRING")
ctx_ids() { for k in $(keyctl rlist "$kr"); do keyctl rdescribe "$k" | grep -q ':tpm-context:key-' && echo "$k"; done | sort; }
before=$(ctx_ids)
SSH_TPM_AGENT_TCTI=$B_TCTI agent_start "$WORK/b.sock" "$WORK/b.log" -d --key-dir "$WORK/keys-b" || exit 1
check "TPM B signs its key" sign_ok "$WORK/b.sock" keys-b/kb.pub
b_id=$(ctx_ids | grep -vxF "$before")
a_id=$(printf '%s\n' "$before" | head -n 1)
check "... and keeps a context of its own" test -n "$b_id"
keyctl pipe "$a_id" > a.rec
keyctl pupdate "$b_id" < a.rec
: > b.log
check "a context from TPM A in TPM B's record: TPM B still signs" sign_ok "$WORK/b.sock" keys-b/kb.pub
check_match "... having fallen back to the key file" "saved context (of the key does not load|is another object)" "$(cat b.log)"
keyctl pipe "$b_id" > b.rec
check_fails "... and the record holds TPM B's context again" cmp -s a.rec b.rec

# Another user (uid 64121) with a copy of the very same key file: its
# handler has its own keyring and never sees ours.
U=64121
RUN_U="setpriv --reuid=$U --regid=$U --clear-groups"
mkdir -p ukeys uhome
cp keys/k.tpm keys/k.pub ukeys/
chown -R "$U:$U" ukeys uhome
chmod 0700 ukeys
ucleanup() {
	[ -n "${U_PID:-}" ] && kill "$U_PID" 2>/dev/null
	$RUN_U keyctl clear @u >/dev/null 2>&1
	rm -rf "/tmp/ssh-tpm-agent-$U"
	return 0
}
add_cleanup ucleanup
check "our context for k is warm" test "$(sign_cmds keys/k.pub)" = "161 15d 165"
$RUN_U env -u SSH_TPM_AGENT_KEYRING -u XDG_RUNTIME_DIR HOME="$WORK/uhome" "$AGENT" -d \
	-l "$WORK/uhome/u.sock" --key-dir "$WORK/ukeys" 2>u.log &
U_PID=$!
wait_socket "$WORK/uhome/u.sock" || exit 1
# (ssh-add -T: the agent signs, ssh-add verifies; ssh-keygen -Y would
# want a passwd entry for the uid.)
usign() { $RUN_U env SSH_AUTH_SOCK="$WORK/uhome/u.sock" ssh-add -T ukeys/k.pub; }
check "uid $U signs with its copy" usign
check_eq "... loading it from the file (our saved context is not its)" 0 \
	"$(grep -c 'key loaded from its saved context' u.log)"
check "uid $U signs again" usign
check_eq "... now from its own saved context" 1 "$(grep -c 'key loaded from its saved context' u.log)"
check_fails "uid $U cannot read our saved context of that key" $RUN_U keyctl pipe "$a_id"

# Listing maps no tss2 library; signing on the same connection does.
out=$(python3 "$SRC_DIR/tests/agent/maps.py" "$AGENT" "$WORK/keys" keys/k.pub 2>&1)
check_match "a listing handler has no tss2 library mapped" "^list: reply 12, tss2: -$" "$out"
check_match "... and maps them once it signs" "sign: reply 14, tss2: .*libtss2-esys.so" "$out"

# A PIN key with a warm context still asks for its passphrase; a wrong
# cached one costs one DA strike, is dropped and asked again.
fp=$(ssh-keygen -l -f keys/pin.pub | cut -d' ' -f2)
: > "$ASKPASS_LOG"
check "PIN key signs" sign_ok "$A" keys/pin.pub
check_eq "... asked once" 1 "$(askpass_calls)"
keyctl invalidate "$(cached_id "$fp")"
from=$(($(stat -c %s a.log) + 1))
check "PIN key, warm context, no cached passphrase" sign_ok "$A" keys/pin.pub
check_eq "... asked again" 2 "$(askpass_calls)"
check_match "... with the key from its saved context" "key loaded from its saved context" \
	"$(tail -c +"$from" a.log)"
printf 'wrong-pass' | keyctl pupdate "$(cached_id "$fp")"
before=$(lockout_counter)
from=$(($(stat -c %s a.log) + 1))
check "a wrong cached passphrase, warm context: still signs" sign_ok "$A" keys/pin.pub
check_eq "... one DA strike" $((before + 1)) "$(lockout_counter)"
check_eq "... asked once more" 3 "$(askpass_calls)"
check_eq "... both tries from the saved context" 2 \
	"$(tail -c +"$from" a.log | grep -c 'key loaded from its saved context')"
answer wrong-typed
keyctl invalidate "$(cached_id "$fp")"
before=$(lockout_counter)
check_fails "a wrong typed passphrase, warm context: no signature" sign_ok "$A" keys/pin.pub
check_eq "... one DA strike" $((before + 1)) "$(lockout_counter)"
tpm2_dictionarylockout -c # (the strikes above must not lock out what follows)

# The key-dir index: what a listing gives from it is what a scan gives,
# after every kind of change to the directory.  (scan_L: a handler with
# a runtime directory of its own, so no index: a scan.)
scan_L() {
	d=$(mktemp -d "$WORK/rt.XXXXXX")
	XDG_RUNTIME_DIR=$d python3 "$SRC_DIR/tests/agent/maps.py" --list-only "$AGENT" "$WORK/$1"
}
mkdir ik
"$KEYGEN" -q -N '' -C i1 -f ik/i1 && "$KEYGEN" -q -N '' -C i2 -f ik/i2 && "$KEYGEN" -q -N '' -C i3 -f ik/i3 || exit 1
agent_start "$WORK/i.sock" "$WORK/i.log" -d --key-dir "$WORK/ik" || exit 1
il() { SSH_AUTH_SOCK=$WORK/i.sock ssh-add -L; }
check_eq "listed from a fresh index: as a scan" "$(scan_L ik)" "$(SSH_AUTH_SOCK=$WORK/i.sock python3 "$SRC_DIR/tests/agent/maps.py" --list-sock)"
idx=$(ls "$XDG_RUNTIME_DIR"/ssh-tpm-agent/keydir-*.index 2>/dev/null | head -n 1)
check "the index is in our runtime directory" test -n "$idx"
check_eq "... mode 0600" 600 "$(stat -c %a "$idx" 2>/dev/null)"
before=$(il)
cp ik/i3.tpm ik/i1.tpm # in place: same inode, other key
check_eq "a key file rewritten in place: listed as a scan lists it" \
	"$(scan_L ik)" "$(SSH_AUTH_SOCK=$WORK/i.sock python3 "$SRC_DIR/tests/agent/maps.py" --list-sock)"
check "... and the listing changed" test "$before" != "$(il)"
chmod 0644 ik/i2.tpm
check_eq "a key file opened to others (no passphrase): dropped as a scan drops it" \
	"$(scan_L ik)" "$(SSH_AUTH_SOCK=$WORK/i.sock python3 "$SRC_DIR/tests/agent/maps.py" --list-sock)"
check_match "... with the scan's warning" "UNPROTECTED KEY FILE" "$(cat i.log)"
il >/dev/null
check "... and again at the next listing (no index while a file is refused)" \
	test "$(grep -c 'UNPROTECTED KEY FILE' i.log)" -ge 2
chmod 0600 ik/i2.tpm
"$KEYGEN" -q -N '' -C i4 -f ik/i4 || exit 1
echo "$(cut -d' ' -f1-2 ik/i4.pub) renamed-comment" > ik/i4.pub.new && mv ik/i4.pub.new ik/i4.pub
check_eq "a new key and a new .pub comment: as a scan" \
	"$(scan_L ik)" "$(SSH_AUTH_SOCK=$WORK/i.sock python3 "$SRC_DIR/tests/agent/maps.py" --list-sock)"
check_match "... the comment is the new one" " renamed-comment$" "$(il)"
# A signature through the index reads the file and checks it.
SSH_AUTH_SOCK=$WORK/i.sock ssh-add -L >/dev/null
cp ik/i2.tpm ik/i4.tpm
check_fails "a key the index names, rewritten in place: its old key no longer signs" sign_ok "$WORK/i.sock" ik/i4.pub
cp keys/k.pub ik/k-copy.pub && cp keys/k.tpm ik/k-copy.tpm
check "a key added since the index was written signs (sign only, no listing first)" \
	python3 "$SRC_DIR/tests/agent/maps.py" --sign-sock "$WORK/i.sock" ik/k-copy.pub
chmod 0664 "$idx"
check_eq "an index others could write is not used (a scan)" \
	"$(scan_L ik)" "$(SSH_AUTH_SOCK=$WORK/i.sock python3 "$SRC_DIR/tests/agent/maps.py" --list-sock)"
finish
