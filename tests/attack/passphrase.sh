#!/bin/sh
# SPDX-License-Identifier: MIT
# Passphrases that must never reach the TPM (each would cost a
# dictionary-attack strike for every user of the TPM), prompts that must
# end when nobody waits for them, and keys from another TPM.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
RAW="python3 $SRC_DIR/tests/agent/rawclient.py"
PASS=pin-Zq81
mkdir keys
"$KEYGEN" -q -N "$PASS" -C pinned -f keys/pin
fp=$(ssh-keygen -l -f keys/pin.pub | cut -d' ' -f2)
cut -d' ' -f2 keys/pin.pub | base64 -d > pin.blob

# agent SOCK LOG ARGS...: Accept=yes agent passing on what askpass needs.
agent() {
	sock=$1 log=$2
	shift 2
	setsid systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$sock" -E SSH_TPM_AGENT_TCTI -E TSS2_LOG \
		-E SSH_ASKPASS -E SSH_ASKPASS_REQUIRE -E DISPLAY -E ASKPASS_LOG \
		-E ASKPASS_ANSWER -E ASKPASS_PIDS -E ASKPASS_DELAY -E SSH_TPM_AGENT_KEYRING \
		"$AGENT" -d --key-dir "$WORK/keys" "$@" 2>"$log" &
	AGENT_PID=$!
	AGENT_PIDS="$AGENT_PIDS $AGENT_PID"
	wait_socket "$sock"
}
# all_dead FILE: every pid listed in FILE has exited (waits up to 5 s).
all_dead() {
	for _ in $(seq 1 100); do
		alive=0
		for p in $(cat "$1" 2>/dev/null); do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ $alive -eq 0 ] && return 0
		sleep 0.05
	done
	return 1
}
handlers() { pgrep -P "$1" | tr '\n' ' '; }
wait_no_handlers() {
	for _ in $(seq 1 100); do
		[ -z "$(handlers "$1")" ] && return 0
		sleep 0.05
	done
	return 1
}
uncached() { [ -z "$(cached_id "$fp")" ]; }

agent "$WORK/a.sock" a.log || exit 1
A=$WORK/a.sock

# Enter at the prompt / an askpass printing an empty line: "cancel".
answer ""
before=$(lockout_counter)
: > "$ASKPASS_LOG"
if sign_ok "$A" keys/pin.pub; then fail "empty passphrase: FAILURE" signed; else ok "empty passphrase: FAILURE"; fi
check_eq "empty passphrase: no TPM strike" "$before" "$(lockout_counter)"
check_eq "empty passphrase: asked once" 1 "$(askpass_calls)"
check "empty passphrase: nothing cached" uncached
check_match "empty passphrase: logged as cancelled" "empty passphrase for .*: cancelled, nothing sent to the TPM" "$(cat a.log)"
# Four empty answers in a row would have locked out a 3-try TPM.
for i in 1 2 3 4; do sign_ok "$A" keys/pin.pub; done
check_eq "four empty answers: still no strike" "$before" "$(lockout_counter)"

# A comment with terminal escape sequences (a .pub is just a file) never
# reaches the prompt raw: OSC 52 could set the clipboard, CSI could draw a
# spoofed prompt.
mkdir esc
"$KEYGEN" -q -N "$PASS" -C "$(printf 'x\033]52;c;ZWNobw==\007\033[2Kspoofed')" -f esc/k
chmod 700 esc
agent "$WORK/e.sock" e.log --key-dir "$WORK/esc" || exit 1
answer "$PASS"
: > "$ASKPASS_LOG"
check "escape-sequence comment: signs" sign_ok "$WORK/e.sock" esc/k.pub
check_eq "escape-sequence comment: no ESC or BEL in the prompt" 0 "$(tr -cd '\033\007' < "$ASKPASS_LOG" | wc -c)"
check_match "escape-sequence comment: shown as ?" 'TPM key x\?\]52;c;ZWNobw==\?\?\[2Kspoofed \(SHA256:' "$(cat "$ASKPASS_LOG")"
check_eq "escape-sequence comment: ssh-add -l shows no ESC" 0 "$(SSH_AUTH_SOCK=$WORK/e.sock ssh-add -l | tr -cd '\033\007' | wc -c)"
keyctl invalidate "$(cached_id "$(ssh-keygen -l -f esc/k.pub | cut -d' ' -f2)")" 2>/dev/null

# Longer than the key's authValue can be: cannot be right.
answer "$(printf '%040d' 3)"
if sign_ok "$A" keys/pin.pub; then fail "40-byte passphrase: FAILURE" signed; else ok "40-byte passphrase: FAILURE"; fi
check_eq "40-byte passphrase: no TPM strike" "$before" "$(lockout_counter)"
check_match "40-byte passphrase: says why" "more than the 32 this key can have: not sent to the TPM" "$(cat a.log)"

# An empty or over-long entry in the cache is dropped and asked again,
# without a TPM strike.
answer "$PASS"
check "prime the cache" sign_ok "$A" keys/pin.pub
printf '%064d' 1 | keyctl pupdate "$(cached_id "$fp")"
: > "$ASKPASS_LOG"
check "over-long cached passphrase: dropped, asked, signed" sign_ok "$A" keys/pin.pub
check_eq "over-long cached passphrase: asked once" 1 "$(askpass_calls)"
check_eq "over-long cached passphrase: no TPM strike" "$before" "$(lockout_counter)"
check_eq "cache holds the right one again" "$PASS" "$(keyctl pipe "$(cached_id "$fp")")"
keyctl invalidate "$(cached_id "$fp")"

# A client that gives up while askpass waits: the askpass (and what it
# started) is killed at once, nothing is signed or cached -- even when the
# askpass would have answered a moment later.
export SSH_ASKPASS=$SRC_DIR/tests/attack/askpass-slow.sh ASKPASS_PIDS=$WORK/pids ASKPASS_DELAY=3
: > "$WORK/pids"
agent "$WORK/s.sock" s.log || exit 1
S=$WORK/s.sock
out=$(timeout 30 $RAW sign-abandon "$S" pin.blob 1 2>&1)
check_eq "abandoning client" abandoned "$out"
check "askpass killed when the client went away" all_dead "$WORK/pids"
check "askpass ran (the test saw it)" test -s "$WORK/pids"
check "the handler ended" wait_no_handlers "$AGENT_PID"
sleep 3.5
check "abandoned: nothing cached (late answer never came)" uncached
check_eq "abandoned: no TPM command (no strike, no signature)" "$before" "$(lockout_counter)"
check_match "abandoned: logged" "the client went away" "$(cat s.log)"

# The whole prompt is bounded: --prompt-timeout 2, nobody answers.
: > "$WORK/pids"
ASKPASS_DELAY=600 agent "$WORK/t.sock" t.log --prompt-timeout 2 || exit 1
out=$(timeout 30 $RAW sign-wait "$WORK/t.sock" pin.blob 2>&1)
check_match "prompt timeout: FAILURE after about 2 s" '^5,[234]$' "$out"
check "prompt timeout: askpass killed" all_dead "$WORK/pids"
check_match "prompt timeout: logged" "no passphrase for .* within 2 s" "$(cat t.log)"
check "prompt timeout: nothing cached" uncached
check_match "--prompt-timeout 0 refused" "invalid --prompt-timeout '0'" "$("$AGENT" --prompt-timeout 0 2>&1)"

# A client that only shuts down its writing side still gets its answer.
: > "$WORK/pids"
ASKPASS_DELAY=0 agent "$WORK/h.sock" h.log || exit 1
check_eq "half-closed client: signed" 14 "$(timeout 30 $RAW sign-halfclose "$WORK/h.sock" pin.blob 2>&1)"
keyctl invalidate "$(cached_id "$fp")" 2>/dev/null

# A key made on another TPM (or before a TPM2_Clear): say so.
T1=$SWTPM_TCTI
swtpm_start || exit 1
T2=$SWTPM_TCTI
export SSH_TPM_AGENT_TCTI=$T1 TPM2TOOLS_TCTI=$T1
mkdir other
"$KEYGEN" -q -N '' --tcti "$T2" -C foreign -f other/foreign
chmod 700 other
SSH_ASKPASS=$ASKPASS agent "$WORK/f.sock" f.log --key-dir "$WORK/other" || exit 1
if sign_ok "$WORK/f.sock" other/foreign.pub; then fail "foreign key: FAILURE" signed; else ok "foreign key: FAILURE"; fi
check_match "foreign key: says it belongs to another TPM" \
	"does not belong to this TPM: it was made on another TPM, or this TPM was cleared" "$(cat f.log)"
err=$("$KEYGEN" -p -P '' -N new -f other/foreign 2>&1)
check_match "keygen -p, foreign key: says so" "does not belong to this TPM" "$err"

# keygen -p: an empty or over-long old passphrase is refused up front.
before=$(lockout_counter)
err=$("$KEYGEN" -p -P '' -N new -f keys/pin 2>&1)
check_eq "-p with empty old passphrase: exit 1" 1 "$?"
check_match "-p with empty old passphrase: says why" "an empty old passphrase cannot be right" "$err"
err=$("$KEYGEN" -p -P "$(printf '%040d' 1)" -N new -f keys/pin 2>&1)
check_match "-p with 40-byte old passphrase: says why" "longer than the 32 bytes this key can have" "$err"
err=$("$KEYGEN" -p -P "$PASS" -N "$(printf '%040d' 1)" -f keys/pin 2>&1)
check_match "-p with 40-byte new passphrase: names the limit" "passphrase too long: the TPM takes at most 32 bytes" "$err"
check_eq "-p refusals: no TPM strike" "$before" "$(lockout_counter)"

finish
