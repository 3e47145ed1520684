#!/bin/sh
# SPDX-License-Identifier: MIT
# ssh-tpm-keygen -p changes a key's passphrase in the TPM: the old one stops
# working, the new one works; a wrong -P leaves the file byte-for-byte
# unchanged; a cached passphrase of the key is dropped.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
mkdir keys
"$KEYGEN" -q -N old-pass-1 -C changing -f keys/k
fp=$(ssh-keygen -l -f keys/k.pub | cut -d' ' -f2)
activate_pass "$WORK/a.sock" a.log --key-dir "$WORK/keys" || exit 1
A=$WORK/a.sock

answer old-pass-1
check "old passphrase works before" sign_ok "$A" keys/k.pub
check_match "passphrase cached" '^[0-9]+$' "$(cached_id "$fp")"

# Wrong -P: error, file unchanged.
sum=$(sha256sum keys/k.tpm)
out=$("$KEYGEN" -p -f keys/k -P not-it -N new-pass-2 2>&1)
check_eq "wrong -P: exit 1" 1 "$?"
check_match "wrong -P: says so" "keys/k.tpm: incorrect passphrase supplied" "$out"
check_eq "wrong -P: file byte-for-byte unchanged" "$sum" "$(sha256sum keys/k.tpm)"
check_eq "wrong -P: no temp files left" "k.pub k.tpm" "$(ls -A keys | tr '\n' ' ' | sed 's/ $//')"

# Right -P: changed.
out=$("$KEYGEN" -p -f keys/k -P old-pass-1 -N new-pass-2 2>&1)
check_eq "-p: exit 0" 0 "$?"
check_match "-p: message" "Your identification has been saved with the new passphrase." "$out"
check_eq "-p: mode stays 0600" 600 "$(stat -c %a keys/k.tpm)"
check_eq "-p: cached passphrase dropped" "" "$(cached_id "$fp")"
check_eq "-p: same public key" "$(cut -d' ' -f1-2 keys/k.pub)" "$("$KEYGEN" --print-pubkey keys/k.tpm | cut -d' ' -f1-2)"
answer old-pass-1
if sign_ok "$A" keys/k.pub; then fail "old passphrase fails after -p" signed; else ok "old passphrase fails after -p"; fi
answer new-pass-2
check "new passphrase works after -p" sign_ok "$A" keys/k.pub

# Prompts instead of -P/-N (no terminal: stdin), and -f NAME.tpm.
out=$(printf 'new-pass-2\nthird-3\nthird-3\n' | env -u SSH_ASKPASS_REQUIRE -u DISPLAY \
	setsid -w "$KEYGEN" -p -f keys/k.tpm 2>&1)
check_eq "-p with prompts: exit 0" 0 "$?"
check_match "-p asks the old passphrase" "Enter old passphrase:" "$out"
check_match "-p asks the new passphrase" "Enter new passphrase \\(empty for no passphrase\\):" "$out"
check_match "-p asks it again" "Enter same passphrase again:" "$out"
keyctl invalidate "$(cached_id "$fp")" 2>/dev/null
answer third-3
check "prompted new passphrase works" sign_ok "$A" keys/k.pub

# Remove the passphrase: -N '' gives an emptyAuth key that signs unasked.
"$KEYGEN" -q -p -f keys/k -P third-3 -N ''
check_match "-N '': emptyAuth TRUE" 'BOOLEAN +:255' "$(openssl asn1parse -in keys/k.tpm)"
: > "$ASKPASS_LOG"
answer CANCEL
check "no-passphrase key signs" sign_ok "$A" keys/k.pub
check_eq "no-passphrase key: askpass not called" 0 "$(askpass_calls)"
# And add one to a key that had none (no -P needed).
"$KEYGEN" -q -p -f keys/k -N fourth-4
answer fourth-4
check "passphrase added to a key without one" sign_ok "$A" keys/k.pub

# A symlinked key: the real file is rewritten (the link stays a link), and
# its mode is kept.
mkdir real
"$KEYGEN" -q -N link-5 -f real/lk
chmod 0640 real/lk.tpm
ln -s ../real/lk.tpm keys/lk.tpm
"$KEYGEN" -q -p -f keys/lk -P link-5 -N link-6
check "symlink still a symlink" test -L keys/lk.tpm
check_eq "real file kept its mode" 640 "$(stat -c %a real/lk.tpm)"
cp real/lk.pub keys/lk.pub
answer link-6
keyctl invalidate "$(cached_id "$(ssh-keygen -l -f keys/lk.pub | cut -d' ' -f2)")" 2>/dev/null
check "new passphrase works through the symlink" sign_ok "$A" keys/lk.pub

# Errors.
out=$("$KEYGEN" -p -f keys/missing -P x -N y 2>&1)
check_match "-p on a missing file" "keys/missing.tpm: No such file or directory" "$out"
check_eq "no passphrase in logs or files" "" \
	"$(grep -rlF -e old-pass-1 -e new-pass-2 -e third-3 -e fourth-4 -e link-5 -e link-6 "$WORK" --exclude=askpass.answer)"

finish
