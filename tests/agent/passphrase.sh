#!/bin/sh
# SPDX-License-Identifier: MIT
# Passphrase-protected keys through the agent: askpass, the kernel-keyring
# cache (timeout, --no-cache), a wrong cached passphrase, cancel, lockout,
# and no passphrase in any log.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
PASS=pin-7Wq2x
mkdir keys
"$KEYGEN" -q -N "$PASS" -C pinned-key -f keys/pin
fp=$(ssh-keygen -l -f keys/pin.pub | cut -d' ' -f2)
answer "$PASS"

activate_pass "$WORK/a.sock" a.log -d --key-dir "$WORK/keys" || exit 1
A=$WORK/a.sock
check "sign with a passphrase key (askpass answers)" sign_ok "$A" keys/pin.pub
check_eq "askpass called once" 1 "$(askpass_calls)"
check_match "prompt names the key" "Enter passphrase for TPM key pinned-key \\(SHA256:" "$(cat "$ASKPASS_LOG")"
check "prompt has the fingerprint" grep -qF "$fp" "$ASKPASS_LOG"
check "second sign" sign_ok "$A" keys/pin.pub
check_eq "second sign within the timeout: askpass not called" 1 "$(askpass_calls)"
id=$(cached_id "$fp")
check_match "keyctl finds the cached entry" '^[0-9]+$' "$id"
check_eq "cached value is the passphrase" "$PASS" "$(keyctl pipe "$id" 2>&1)"
# /proc/keys shows the remaining lifetime (not "perm") of our entry.
hexid=$(printf '%08x' "$id")
check_match "entry has a timeout" '^[0-9a-f]+ +[^ ]+ +[0-9]+ +[0-9]+[smhd] ' "$(grep "^$hexid" /proc/keys)"
check_match "entry is readable by the owner uid, not others" ' 3f3b0000 |3f3f0000' "$(grep "^$hexid" /proc/keys)"

# Short timeout: asked again after it.
: > "$ASKPASS_LOG"
keyctl invalidate "$id"
activate_pass "$WORK/t.sock" t.log --cache-timeout 2 --key-dir "$WORK/keys" || exit 1
check "sign (short timeout)" sign_ok "$WORK/t.sock" keys/pin.pub
check "sign again at once" sign_ok "$WORK/t.sock" keys/pin.pub
check_eq "within 2 s: asked once" 1 "$(askpass_calls)"
sleep 3
check "sign after the timeout" sign_ok "$WORK/t.sock" keys/pin.pub
check_eq "after the timeout: asked again" 2 "$(askpass_calls)"

# --no-cache: asked every time, nothing stored.
keyctl invalidate "$(cached_id "$fp")" 2>/dev/null
: > "$ASKPASS_LOG"
activate_pass "$WORK/n.sock" n.log --no-cache --key-dir "$WORK/keys" || exit 1
for i in 1 2 3; do sign_ok "$WORK/n.sock" keys/pin.pub || fail "--no-cache sign $i" failed; done
check_eq "--no-cache: asked every time" 3 "$(askpass_calls)"
check_eq "--no-cache: nothing cached" "" "$(cached_id "$fp")"

# A wrong cached passphrase: exactly one TPM auth failure, dropped, asked.
check "prime the cache" sign_ok "$A" keys/pin.pub
id=$(cached_id "$fp")
printf 'wrong-pass' | keyctl pupdate "$id"
before=$(lockout_counter)
: > "$ASKPASS_LOG"
check "sign with a wrong cached passphrase recovers" sign_ok "$A" keys/pin.pub
check_eq "cost exactly one TPM auth failure" $((before + 1)) "$(lockout_counter)"
check_eq "asked once after dropping it" 1 "$(askpass_calls)"
check_eq "cache now holds the right passphrase" "$PASS" "$(keyctl pipe "$(cached_id "$fp")" 2>&1)"
check_match "logged the drop" "cached passphrase for .* is wrong: dropped" "$(cat a.log)"

# Cancel: FAILURE and no cache entry.
keyctl invalidate "$(cached_id "$fp")"
answer CANCEL
: > "$ASKPASS_LOG"
check_fails "cancelled prompt fails the signature" sign_ok "$A" keys/pin.pub
check_eq "cancel: asked once" 1 "$(askpass_calls)"
check_eq "cancel: nothing cached" "" "$(cached_id "$fp")"

# A wrongly typed passphrase: FAILURE, one TPM strike, not cached, no loop.
answer wrong-typed
before=$(lockout_counter)
: > "$ASKPASS_LOG"
check_fails "wrong passphrase fails" sign_ok "$A" keys/pin.pub
check_eq "wrong typed: asked once (no loop)" 1 "$(askpass_calls)"
check_eq "wrong typed: one TPM strike" $((before + 1)) "$(lockout_counter)"
check_eq "wrong typed: nothing cached" "" "$(cached_id "$fp")"

# Lockout: a low maxTries, then the clear message, no crash, no retry loop.
tpm2_dictionarylockout -s -n 3 -t 600 -l 600 >/dev/null 2>&1 ||
	fail "set maxTries" "tpm2_dictionarylockout failed"
answer wrong-typed
: > "$ASKPASS_LOG"
for i in 1 2 3 4 5; do sign_ok "$A" keys/pin.pub; done
check_eq "five requests, five prompts (no retry loop)" 5 "$(askpass_calls)"
check_match "TPM reports lockout" "TPM is in dictionary-attack lockout" "$(cat a.log)"
answer "$PASS"
check_fails "right passphrase during lockout still refused" sign_ok "$A" keys/pin.pub
check_eq "lockout: right passphrase not cached" "" "$(cached_id "$fp")"
check_eq "no handler crashed" "" "$(grep -iE 'segfault|core dumped|sanitizer' a.log t.log n.log)"

# Passphrases never appear in any log or file the test can read (the
# askpass answer file and the keyring excepted, by construction).
leak=$(grep -rlF -e "$PASS" -e wrong-pass -e wrong-typed "$WORK" --exclude=askpass.answer 2>/dev/null)
check_eq "no passphrase in logs or files" "" "$leak"

finish
