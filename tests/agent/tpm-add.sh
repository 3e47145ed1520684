#!/bin/sh
# SPDX-License-Identifier: MIT
# ssh-tpm-add: TPM keys (and their certificates) added to an agent through
# the tpm-add-key extension; with --no-load the agent serves exactly those;
# without it they come after the key-dir keys, never twice.  A passphrase
# key: asked in ssh-tpm-add's own terminal (a pty here), checked once
# against the TPM, cached, and then signed with by handlers that have no
# way to ask; a wrong passphrase costs one TPM strike and primes nothing.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
ADD=$BUILD_DIR/tools/ssh-tpm-add
export SSH_TPM_AGENT_KEYRING="ta-tpmadd-$$-$(date +%s%N)"
add_cleanup keyring_cleanup
mkdir -p home/.ssh kd
"$KEYGEN" -q -N '' -C plain-ecdsa -f home/.ssh/id_ecdsa || exit 1
"$KEYGEN" -q -N '' -t rsa -C plain-rsa -f home/.ssh/id_rsa || exit 1
"$KEYGEN" -q -N 'pin-4321' -C pin-key -f "$WORK/pin" || exit 1
ssh-keygen -q -t ed25519 -N '' -C ca -f ca
ssh-keygen -q -s ca -I tpm-cert -n root home/.ssh/id_ecdsa.pub

activate_start accept "$WORK/a.sock" "$WORK/a.log" -d --no-load || exit 1
S=$WORK/a.sock
out=$(HOME=$WORK/home SSH_AUTH_SOCK=$S "$ADD" 2>&1)
check_eq "ssh-tpm-add with no path: the two default keys, and the certificate" \
	"Identity added: $WORK/home/.ssh/id_ecdsa.tpm (plain-ecdsa)
Certificate added: $WORK/home/.ssh/id_ecdsa-cert.pub
Identity added: $WORK/home/.ssh/id_rsa.tpm (plain-rsa)" "$out"
check_eq "--no-load: the agent lists exactly the added keys" \
	"$(for k in id_ecdsa id_ecdsa-cert id_rsa; do ssh-keygen -l -f home/.ssh/$k.pub | cut -d' ' -f2; done)" \
	"$(SSH_AUTH_SOCK=$S ssh-add -l | cut -d' ' -f2)"
check_match "... with their comments and the certificate" "plain-ecdsa \(ECDSA-CERT\)" "$(SSH_AUTH_SOCK=$S ssh-add -l)"
for k in id_ecdsa id_rsa id_ecdsa-cert; do
	check "an added TPM key signs: $k" sign_ok "$S" "home/.ssh/$k.pub"
done
out=$(SSH_AUTH_SOCK=$S ssh-add -d home/.ssh/id_rsa.pub 2>&1)
check_match "ssh-add -d removes an added TPM key" "^Identity removed" "$out"
check_eq "... and it is gone" 2 "$(SSH_AUTH_SOCK=$S ssh-add -l | grep -c SHA256)"
out=$(SSH_TPM_AUTH_SOCK=$S SSH_AUTH_SOCK=/nonexistent "$ADD" -t 1m home/.ssh/id_rsa.tpm 2>&1)
check_match "SSH_TPM_AUTH_SOCK comes first; -t is a lifetime, as ssh-add takes it (1m)" "Identity added: home/.ssh/id_rsa.tpm \(plain-rsa\)
Lifetime set to 60 seconds" "$out"
out=$(SSH_AUTH_SOCK=/nonexistent/sock "$ADD" home/.ssh/id_rsa.tpm 2>&1)
check_match "no agent: exit 1 and one line saying so" "^1:ssh-tpm-add: cannot connect to the agent at /nonexistent/sock" "$?:$out"
out=$(SSH_AUTH_SOCK=$S "$ADD" "$WORK/nothing.tpm" 2>&1)
check_eq "a missing file: exit 1" 1 $?
check_match "... naming it" "nothing.tpm" "$out"

# Without --no-load: key-dir keys first, an added copy of one not twice.
cp home/.ssh/id_ecdsa.tpm home/.ssh/id_ecdsa.pub kd/
SSH_AUTH_SOCK=$S ssh-add -D >/dev/null
activate_start accept "$WORK/k.sock" "$WORK/k.log" -d --key-dir "$WORK/kd" || exit 1
SSH_AUTH_SOCK=$WORK/k.sock "$ADD" home/.ssh/id_rsa.tpm kd/id_ecdsa.tpm >/dev/null
check_eq "key-dir keys first, added ones after, none twice" "plain-ecdsa plain-rsa" \
	"$(SSH_AUTH_SOCK=$WORK/k.sock ssh-add -l | awk '{print $3}' | paste -sd' ')"

# A passphrase key, typed into ssh-tpm-add's own terminal.
cat > pty-add.py <<'PY'
import os, pty, select, sys, time
answer = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out, asked, deadline = b"", False, time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if fd in r:
        try:
            data = os.read(fd, 1024)
        except OSError:
            break
        if not data:
            break
        out += data
        if not asked and b"Enter passphrase" in out:
            os.write(fd, answer + b"\n")
            asked = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(status))
PY
fp=$(ssh-keygen -l -f pin.pub | cut -d' ' -f2)
before=$(lockout_counter)
out=$(env -u SSH_ASKPASS -u DISPLAY SSH_AUTH_SOCK=$S /usr/bin/python3 pty-add.py wrong-pin "$ADD" "$WORK/pin.tpm" 2>&1)
check_eq "a wrong passphrase: not added (exit 1)" 1 $?
check_match "... saying so" "wrong passphrase \(or none given\): not added" "$out"
check_eq "... after exactly one TPM strike" $((before + 1)) "$(lockout_counter)"
check_eq "... and nothing cached" "" "$(cached_id "$fp")"
check "... nor listed" sh -c "! SSH_AUTH_SOCK=$S ssh-add -l | grep -q pin-key"
out=$(env -u SSH_ASKPASS -u DISPLAY SSH_AUTH_SOCK=$S /usr/bin/python3 pty-add.py pin-4321 "$ADD" "$WORK/pin.tpm" 2>&1)
check_eq "the right passphrase, typed in its terminal: added" 0 $?
check_match "... asked there" "Enter passphrase for $WORK/pin.tpm:" "$out"
check_match "... and said" "Identity added: $WORK/pin.tpm \(pin-key\)" "$out"
check_match "... the passphrase cached for the agent" "^[0-9]+$" "$(cached_id "$fp")"
check "an agent with no terminal and no askpass signs with it" sign_ok "$S" pin.pub
check_eq "... without a prompt anywhere (no new TPM strike)" $((before + 1)) "$(lockout_counter)"
# How long the passphrase stays: the cache's 600 s, or -t's lifetime.
expiry() { awk -v id="$(printf '%08x' "$1")" '$1 == id { print $4 }' /proc/keys; }
check_match "... for the cache's 600 s without -t" "^(9|10)m$" "$(expiry "$(cached_id "$fp")")"
out=$(env -u SSH_ASKPASS -u DISPLAY SSH_AUTH_SOCK=$S /usr/bin/python3 pty-add.py pin-4321 "$ADD" -t 30 "$WORK/pin.tpm" 2>&1)
check_match "added again with -t 30" "Lifetime set to 30 seconds" "$out"
check_match "... the passphrase goes with the key, after 30 s" "^(2[0-9]|30)s$" "$(expiry "$(cached_id "$fp")")"

# A handler with no way to ask, and no cache: the message names the fix.
keyring_cleanup
activate_start accept "$WORK/n.sock" "$WORK/n.log" -d --key-dir "$WORK" || exit 1
check_fails "no way to ask: no signature" sign_ok "$WORK/n.sock" pin.pub
check_line "... and the log says to use ssh-tpm-add" "$WORK/n.log" "no terminal and no askpass" "run ssh-tpm-add on that key"

# -c on a TPM key, and --confirm-loaded for key-dir keys.
askpass_setup
answer ""
activate_pass "$WORK/c.sock" "$WORK/c.log" --no-load || exit 1
SSH_AUTH_SOCK=$WORK/c.sock "$ADD" -c home/.ssh/id_rsa.tpm >/dev/null
check "ssh-tpm-add -c: approved, signs" sign_ok "$WORK/c.sock" home/.ssh/id_rsa.pub
check_match "... after asking" "Allow use of key plain-rsa" "$(cat "$ASKPASS_LOG")"
answer CANCEL
check_fails "ssh-tpm-add -c: denied, no signature" sign_ok "$WORK/c.sock" home/.ssh/id_rsa.pub
: > "$ASKPASS_LOG"
answer ""
SSH_AUTH_SOCK=$WORK/c.sock ssh-add -D >/dev/null
activate_pass "$WORK/ck.sock" "$WORK/ck.log" --key-dir "$WORK/kd" || exit 1
SSH_AUTH_SOCK=$WORK/ck.sock "$ADD" -c kd/id_ecdsa.tpm >/dev/null
check "ssh-tpm-add -c of a key-dir key: it asks now" sign_ok "$WORK/ck.sock" kd/id_ecdsa.pub
check_match "... (asked)" "Allow use of key plain-ecdsa" "$(cat "$ASKPASS_LOG")"
check_eq "... and it is listed once" 1 "$(SSH_AUTH_SOCK=$WORK/ck.sock ssh-add -l | grep -c plain-ecdsa)"
SSH_AUTH_SOCK=$WORK/ck.sock ssh-add -D >/dev/null
: > "$ASKPASS_LOG"
activate_pass "$WORK/cl.sock" "$WORK/cl.log" --confirm-loaded --key-dir "$WORK/kd" || exit 1
check "--confirm-loaded: a key-dir key asks, then signs" sign_ok "$WORK/cl.sock" kd/id_ecdsa.pub
check_match "... asked" "Allow use of key plain-ecdsa" "$(cat "$ASKPASS_LOG")"
finish
