#!/bin/sh
# SPDX-License-Identifier: MIT
# The key dir as another local user sees it: files and directories others
# can change are refused (with one warning naming the file and the fix),
# keys without a passphrase that others can read are refused, a copy of a
# key is listed once, and files renamed during a listing never make the
# whole listing fail.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
OTHER=64111
mkdir keys
"$KEYGEN" -q -N '' -C good -f keys/good
"$KEYGEN" -q -N '' -C planted -f keys/planted
"$KEYGEN" -q -N 'pin-4471' -C withpin -f keys/withpin
activate_start accept "$WORK/a.sock" a.log --key-dir "$WORK/keys" || exit 1
A=$WORK/a.sock
listed() { SSH_AUTH_SOCK=$A ssh-add -l 2>&1 | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//'; }
check_eq "all three listed at first" "good planted withpin" "$(listed)"

# A key file owned by another user (mode 0666): planted by them, refused.
chown "$OTHER" keys/planted.tpm
chmod 0666 keys/planted.tpm
check_eq "other user's 0666 key file: not listed" "good withpin" "$(listed)"
check_line "warning names the file and why" a.log "keys/planted.tpm: key file is owned by another user" "uid $OTHER, mode 0666.*chmod 600"
if sign_ok "$A" keys/planted.pub; then fail "other user's key: no signature" signed; else ok "other user's key: no signature"; fi
chown 0 keys/planted.tpm
check_eq "ours but 0666: not listed" "good withpin" "$(listed)"
check_line "0666: writable by group or others" a.log "keys/planted.tpm: key file is writable by group or others" "mode 0666"

# No passphrase and readable by others: anyone who reaches the TPM could
# sign with it.  With a passphrase, 0644 is fine (the TPM guards the PIN).
chmod 0644 keys/planted.tpm keys/withpin.tpm
check_eq "passphrase-less 0644: refused, passphrase 0644: listed" "good withpin" "$(listed)"
check_line "UNPROTECTED warning" a.log "UNPROTECTED KEY FILE" "keys/planted.tpm.*mode 0644.*chmod 600"
chmod 0600 keys/planted.tpm
check_eq "chmod 600: listed again" "good planted withpin" "$(listed)"
check "chmod 600: signs" sign_ok "$A" keys/planted.pub

# A certificate someone else could have written is not used.
ssh-keygen -q -t ed25519 -N '' -f ca
ssh-keygen -q -s ca -I id -n root keys/good.pub
check_eq "certificate listed" 4 "$(SSH_AUTH_SOCK=$A ssh-add -l | wc -l)"
chmod 0666 keys/good-cert.pub
check_eq "0666 certificate: not listed" 3 "$(SSH_AUTH_SOCK=$A ssh-add -l | wc -l)"
check_line "certificate warning" a.log "keys/good-cert.pub: certificate file is writable by group or others" "mode 0666"
chmod 0644 keys/good-cert.pub

# A key dir others can write: none of its keys.
chmod 0777 keys
out=$(SSH_AUTH_SOCK=$A ssh-add -l 2>&1)
check_eq "0777 key dir: nothing listed" "The agent has no identities." "$out"
check_line "key dir warning" a.log "keys: key directory is writable by group or others" "mode 0777.*chmod go-w"
if sign_ok "$A" keys/good.pub; then fail "0777 key dir: no signature" signed; else ok "0777 key dir: no signature"; fi
chmod 0755 keys
chown "$OTHER" keys
check_eq "key dir owned by another user: nothing listed" "The agent has no identities." "$(SSH_AUTH_SOCK=$A ssh-add -l 2>&1)"
check_line "owner warning" a.log "keys: key directory is owned by another user" "uid $OTHER"
chown 0 keys
check_eq "fixed: listed again" "good good planted withpin" "$(listed)"

# A copy of a key is one identity (ssh would offer it twice).
cp -p keys/good.tpm keys/good-backup.tpm
cp -p keys/good.pub keys/good-backup.pub
check_eq "copied key listed once" 4 "$(SSH_AUTH_SOCK=$A ssh-add -l | wc -l)"
check_eq "copied key: one line for its fingerprint" 1 \
	"$(SSH_AUTH_SOCK=$A ssh-add -l | grep -F "$(ssh-keygen -l -f keys/good.pub | cut -d' ' -f2) good (" | grep -c 'ECDSA)$')"
check "copied key still signs" sign_ok "$A" keys/good.pub

# Files renamed while listings run (the key of a certificate among them):
# a listing may miss a file that is away, but it never fails.
"$KEYGEN" -q -N '' -C moving -f keys/moving
ssh-keygen -q -s ca -I id -n root keys/moving.pub
# At exactly the worst moment: the key file renamed away just after the
# agent opened it (the fault shim does the rename), its certificate there.
# (LD_PRELOAD for the handler only, not for systemd-socket-activate.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
FAULT_AT=open FAULT_PATH=/moving.tpm FAULT_ACTION=rename \
	systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$WORK/r.sock" -E SSH_TPM_AGENT_TCTI -E TSS2_LOG \
	-E LD_PRELOAD="$FAULT_SHIM" -E FAULT_AT -E FAULT_PATH -E FAULT_ACTION -E ASAN_OPTIONS \
	"$AGENT" -d --key-dir "$WORK/keys" 2>r.log &
AGENT_PIDS="$AGENT_PIDS $!"
i=0; until [ -S "$WORK/r.sock" ] || [ $i -gt 200 ]; do i=$((i + 1)); sleep 0.02; done
out=$(SSH_AUTH_SOCK=$WORK/r.sock ssh-add -l 2>&1)
check_eq "key renamed away mid-listing: the listing succeeds" 0 "$?"
check_match "key renamed away mid-listing: the key and its certificate, as read" \
	"moving \(ECDSA\).*moving \(ECDSA-CERT\)" "$(echo $out)"
check "the shim did rename it" test -e keys/moving.tpm.away
mv keys/moving.tpm.away keys/moving.tpm

touch "$WORK/keep-moving"
# (A tight loop: the key of the certificate is away half of the time.)
python3 -c '
import os, sys
k, away, flag = sys.argv[1:4]
while os.path.exists(flag):
    try:
        os.rename(k, away)
        os.rename(away, k)
    except OSError:
        pass
' keys/moving.tpm keys/.away "$WORK/keep-moving" &
mover=$!
failures=0
for i in $(seq 1 400); do
	SSH_AUTH_SOCK=$A ssh-add -l >/dev/null 2>&1
	[ $? -le 1 ] || failures=$((failures + 1))
done
rm -f "$WORK/keep-moving"
wait $mover
check_eq "400 listings during renames: none failed" 0 "$failures"
check_eq "no handler crashed" "" "$(grep -iE 'segfault|sanitizer|core dumped' a.log)"

finish
