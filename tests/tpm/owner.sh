#!/bin/sh
# SPDX-License-Identifier: MIT
# A TPM whose owner hierarchy has a password: keygen and the agent need it
# (-o or SSH_TPM_AGENT_OWNER_PASSWORD) and say so clearly without it.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
mkdir keys
"$KEYGEN" -q -N '' -C before -f keys/before
tpm2_changeauth -c owner owner-pw-9 || exit 1
unset SSH_TPM_AGENT_OWNER_PASSWORD

out=$("$KEYGEN" -N '' -f keys/none 2>&1 </dev/null)
check_eq "keygen without owner password: exit 1" 1 "$?"
check_match "keygen without owner password: clear error" "TPM owner authorization failed: the owner hierarchy has a password" "$out"
check "keygen without owner password: no files" test ! -e keys/none.tpm -a ! -e keys/none.pub
out=$(SSH_TPM_AGENT_OWNER_PASSWORD=owner-pw-9 "$KEYGEN" -N '' -C env -f keys/env 2>&1)
check_eq "keygen with SSH_TPM_AGENT_OWNER_PASSWORD" 0 "$?"
out=$(printf 'owner-pw-9\n' | env -u SSH_ASKPASS_REQUIRE -u DISPLAY setsid -w "$KEYGEN" -o -N '' -C opt -f keys/opt 2>&1)
check_eq "keygen -o (prompted)" 0 "$?"
check_match "keygen -o prompt" "Enter the TPM owner password:" "$out"
out=$(printf 'wrong\n' | env -u SSH_ASKPASS_REQUIRE -u DISPLAY setsid -w "$KEYGEN" -o -N '' -f keys/bad 2>&1)
check_match "keygen -o with a wrong password" "TPM owner authorization failed" "$out"

# The agent: listing needs no TPM; signing needs the owner password.
activate_pass "$WORK/plain.sock" plain.log --key-dir "$WORK/keys" || exit 1
check_eq "agent lists without owner password" 3 "$(SSH_AUTH_SOCK=$WORK/plain.sock ssh-add -l | grep -c SHA256)"
if sign_ok "$WORK/plain.sock" keys/env.pub; then fail "agent without owner password cannot sign" signed; else ok "agent without owner password cannot sign"; fi
check_match "agent logs the owner-password error" "TPM owner authorization failed" "$(cat plain.log)"
SSH_TPM_AGENT_OWNER_PASSWORD=owner-pw-9 activate_pass "$WORK/env.sock" env.log --key-dir "$WORK/keys" || exit 1
check "agent with SSH_TPM_AGENT_OWNER_PASSWORD signs" sign_ok "$WORK/env.sock" keys/env.pub
check "agent signs a key made before the password was set" sign_ok "$WORK/env.sock" keys/before.pub
answer owner-pw-9
: > "$ASKPASS_LOG"
activate_pass "$WORK/o.sock" o.log -o --key-dir "$WORK/keys" || exit 1
# (No saved TPM contexts: the SRK is made, under the owner hierarchy.)
contexts_drop
check "agent -o (askpass) signs" sign_ok "$WORK/o.sock" keys/opt.pub
check_match "agent -o asked for the owner password" "Enter the TPM owner password:" "$(cat "$ASKPASS_LOG")"
contexts_drop
check "a later handler signs too" sign_ok "$WORK/o.sock" keys/opt.pub
check_eq "... without asking again: the owner password is cached in the keyring" 1 \
	"$(grep -c 'Enter the TPM owner password:' "$ASKPASS_LOG")"
check_eq "owner password in no log or file" "" "$(grep -rlF owner-pw-9 "$WORK" --exclude=askpass.answer)"
# A wrong one is asked for, refused by the TPM, and not kept.
kr=$(keyctl search @u keyring "$SSH_TPM_AGENT_KEYRING")
for k in $(keyctl rlist "$kr"); do
	case $(keyctl rdescribe "$k" 2>/dev/null) in *";ssh-tpm-agent:owner-password:"*) keyctl unlink "$k" "$kr" >/dev/null ;; esac
done
# With the key's saved context the owner hierarchy is not used at all:
# -o does not ask then.
answer wrong-owner
check "a saved context signs without the owner hierarchy" sign_ok "$WORK/o.sock" keys/opt.pub
check_eq "... and -o did not ask for the password" 1 "$(grep -c 'Enter the TPM owner password:' "$ASKPASS_LOG")"
contexts_drop
if sign_ok "$WORK/o.sock" keys/opt.pub; then fail "a wrong owner password: no signature" signed; else ok "a wrong owner password: no signature"; fi
answer owner-pw-9
check "... and the next connection asks again and signs" sign_ok "$WORK/o.sock" keys/opt.pub
check_eq "... (asked twice more)" 3 "$(grep -c 'Enter the TPM owner password:' "$ASKPASS_LOG")"
check_eq "... the wrong one was not kept, the right one is" 1 \
	"$(for k in $(keyctl rlist "$kr"); do keyctl rdescribe "$k"; done | grep -c ':owner-password:')"
activate_pass "$WORK/nc.sock" nc.log -o --no-cache --key-dir "$WORK/keys" || exit 1
contexts_drop
sign_ok "$WORK/nc.sock" keys/opt.pub && contexts_drop && sign_ok "$WORK/nc.sock" keys/opt.pub
check_eq "--no-cache: asked at every connection that needs it" 5 "$(grep -c 'Enter the TPM owner password:' "$ASKPASS_LOG")"

finish
