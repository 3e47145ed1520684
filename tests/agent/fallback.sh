#!/bin/sh
# SPDX-License-Identifier: MIT
# Fallback agents (-A), as the manual's proxy example uses them: OpenSSH's
# ssh-agent holding an rsa key behind our agent.  Both agents' keys are
# listed (ours first) and sign; the fallback restarted on the same socket
# is used again (by new connections and by a connection that was open
# across the restart) without restarting ours; killed, it leaves our keys
# working.  What we do not hold goes to the fallback: a dsa key from
# ssh-add, a PKCS#11 provider (ssh-add -s, SoftHSM), its signatures;
# ssh-add -D clears both.  A fallback run by another uid is skipped; an
# agent that is its own fallback neither hangs nor multiplies.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir -m 0700 rt
mkdir keys
export SSH_TPM_AGENT_KEYRING="ta-fb-$$-$(date +%s%N)"
add_cleanup keyring_cleanup
RAW="$SRC_DIR/tests/agent/rawclient.py"

OA_PID=
oa_start() { # the fallback, on its socket
	ssh-agent -D -a "$WORK/openssh.sock" > "$WORK/openssh-agent.log" 2>&1 &
	OA_PID=$!
	wait_socket "$WORK/openssh.sock"
}
oa_stop() {
	[ -n "$OA_PID" ] && kill "$OA_PID" 2>/dev/null && wait "$OA_PID" 2>/dev/null
	OA_PID=
	return 0
}
add_cleanup oa_stop
DPID=
daemon_cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	return 0
}
add_cleanup daemon_cleanup

# The manual's example, step by step.
oa_start || exit 1
export SSH_AUTH_SOCK="$WORK/openssh.sock"
ssh-keygen -q -t rsa -b 2048 -N '' -C ssh-agent -f id_rsa
echo payload > msg
check_eq "ssh-add id_rsa (to OpenSSH's agent)" "Identity added: id_rsa (ssh-agent)" "$(ssh-add id_rsa 2>&1)"
# Private keys out of ssh-keygen's reach: a signature must come from an
# agent, not from a file next to the .pub.
mkdir -m 0700 private
mv id_rsa private/
"$KEYGEN" -q -N '' -C ssh-tpm-agent -f "$WORK/keys/id_ecdsa" || exit 1
# ssh-tpm-agent -A "${SSH_AUTH_SOCK}" &
env -u INVOCATION_ID XDG_RUNTIME_DIR="$WORK/rt" SHELL=/bin/sh \
	"$AGENT" -d -A "${SSH_AUTH_SOCK}" --key-dir "$WORK/keys" 2> ours.log > ours.out &
OURS_FG=$!
wait_socket "$WORK/rt/ssh-tpm-agent.sock" || exit 1
DPID=$OURS_FG
export SSH_AUTH_SOCK="$(env XDG_RUNTIME_DIR="$WORK/rt" "$AGENT" --print-socket)"
check_eq "--print-socket names our socket" "$WORK/rt/ssh-tpm-agent.sock" "$SSH_AUTH_SOCK"
L=$(ssh-add -L)
check_eq "ssh-add -L: two keys" 2 "$(printf '%s\n' "$L" | grep -c .)"
check_match "ssh-add -L: ours first" "^ecdsa-sha2-nistp256 [^ ]+ ssh-tpm-agent$" "$(printf '%s\n' "$L" | sed -n 1p)"
check_eq "ssh-add -L: then the fallback's rsa key" "$(cat id_rsa.pub)" "$(printf '%s\n' "$L" | sed -n 2p)"
check "our TPM key signs" sign_ok "$SSH_AUTH_SOCK" keys/id_ecdsa.pub
check "the fallback's rsa key signs through us" sign_ok "$SSH_AUTH_SOCK" id_rsa.pub
check_line "... signed by the fallback" ours.log "SIGN_REQUEST" "signed by fallback agent $WORK/openssh.sock"

# One connection open across the fallback's restart.
python3 "$RAW" list-wait-list "$SSH_AUTH_SOCK" "$WORK/restarted" > held.out 2>&1 &
HELD=$!
i=0
while [ ! -e "$WORK/restarted.first" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
oa_stop
oa_start || exit 1
SSH_AUTH_SOCK="$WORK/openssh.sock" ssh-add -q private/id_rsa
touch "$WORK/restarted"
wait "$HELD"
check_eq "a connection open across the restart finds the new fallback" \
	"listed:ssh-tpm-agent,ssh-agent,listed:ssh-tpm-agent,ssh-agent" "$(cat held.out)"
check "restarted fallback: its key signs through us again" sign_ok "$SSH_AUTH_SOCK" id_rsa.pub
check "... ours never restarted" kill -0 "$DPID"

# What we do not hold goes to the fallback.
ssh-keygen -q -t dsa -N '' -C dsa-key -f private/dsa
mv private/dsa.pub .
check "ssh-add of a dsa key (a type we do not hold)" ssh-add private/dsa
check_match "... it is the fallback's" "dsa-key \(DSA\)" "$(SSH_AUTH_SOCK=$WORK/openssh.sock ssh-add -l)"
check_match "... listed through us" "dsa-key \(DSA\)" "$(ssh-add -l)"
check "... and signs through us" sign_ok "$SSH_AUTH_SOCK" dsa.pub
mkdir -p hsm/tokens
cat > hsm/softhsm2.conf <<EOF
directories.tokendir = $WORK/hsm/tokens
objectstore.backend = file
log.level = ERROR
EOF
export SOFTHSM2_CONF="$WORK/hsm/softhsm2.conf"
softhsm2-util --init-token --free --label tok --pin 1234 --so-pin 1234 >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out hsm/k.pem 2>/dev/null
softhsm2-util --import hsm/k.pem --token tok --label hsmkey --id 01 --pin 1234 >/dev/null
printf '#!/bin/sh\necho 1234\n' > hsm/pin.sh
chmod +x hsm/pin.sh
# The fallback loads the provider: it needs SOFTHSM2_CONF itself.
oa_stop
SOFTHSM2_CONF="$WORK/hsm/softhsm2.conf" oa_start || exit 1
SSH_AUTH_SOCK="$WORK/openssh.sock" ssh-add -q private/id_rsa
P11=/usr/lib/softhsm/libsofthsm2.so
out=$(SSH_ASKPASS="$WORK/hsm/pin.sh" SSH_ASKPASS_REQUIRE=force ssh-add -s "$P11" 2>&1)
check_match "ssh-add -s (PKCS#11) through us" "^Card added: $P11" "$out"
ssh-keygen -D "$P11" 2>/dev/null | head -1 > hsm.pub
check_eq "... its key is listed through us" 1 "$(ssh-add -L | grep -cF "$(cut -d' ' -f2 hsm.pub)")"
check "... and signs through us" sign_ok "$SSH_AUTH_SOCK" hsm.pub
check_match "ssh-add -e through us" "^Card removed: $P11" "$(ssh-add -e "$P11" 2>&1)"
check_eq "... its key is gone" 0 "$(ssh-add -L | grep -cF "$(cut -d' ' -f2 hsm.pub)")"

ssh-keygen -q -t ed25519 -N '' -C soft -f soft
ssh-add -q soft
check_eq "ssh-add -D through us" "All identities removed." "$(ssh-add -D 2>&1)"
check_eq "... clears the fallback too" "The agent has no identities." \
	"$(SSH_AUTH_SOCK=$WORK/openssh.sock ssh-add -l 2>&1)"
check_eq "... and leaves our key-dir key" "ssh-tpm-agent" "$(ssh-add -l | awk '{print $3}')"
SSH_AUTH_SOCK="$WORK/openssh.sock" ssh-add -q private/id_rsa

# A bind we refuse still reaches the fallback (it judges it itself), and
# nothing we do not hold is passed on from that connection.
out=$(python3 "$RAW" bind-forged-add-unknown "$SSH_AUTH_SOCK" "$WORK/msg" 2>&1)
check_eq "forged bind, then an add of an unknown key type: EXTENSION_FAILURE, FAILURE" "28,5" "$out"
check_line "... the fallback was told of the bind" ours.log "$WORK/openssh.sock" "did not take the session binding"
check_line "... the add was not passed on" ours.log "refusing to pass on" "forwarded connection"

# Killed, the fallback leaves our keys working.
oa_stop
out=$(ssh-add -L 2>&1)
check_match "fallback dead: ssh-add -L lists ours, exit 0" "^0:ecdsa-sha2-nistp256 [^ ]+ ssh-tpm-agent$" "$?:$out"
check "fallback dead: our key signs" sign_ok "$SSH_AUTH_SOCK" keys/id_ecdsa.pub
check_fails "fallback dead: its key does not sign" sign_ok "$SSH_AUTH_SOCK" id_rsa.pub
check_line "fallback dead: a debug line says it was skipped" ours.log "$WORK/openssh.sock" "debug: .*skipped"
check "... and ours runs on" kill -0 "$DPID"
kill "$DPID"
DPID=

# A fallback another uid runs: skipped (it would get our clients' requests).
U=64171
chmod 0711 "$WORK"
mkdir -m 0777 other
setpriv --reuid=$U --regid=$U --clear-groups ssh-agent -D -a "$WORK/other/agent.sock" > other.log 2>&1 &
OTHER=$!
stop_other() { kill "$OTHER" 2>/dev/null; }
add_cleanup stop_other
i=0
while [ ! -S other/agent.sock ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
agent_start "$WORK/o.sock" o.log -d -A "$WORK/other/agent.sock" --key-dir "$WORK/keys" || exit 1
check_eq "another uid's fallback: not asked" "ssh-tpm-agent" "$(SSH_AUTH_SOCK=$WORK/o.sock ssh-add -l | awk '{print $3}')"
check_line "... a debug line says why" o.log "other/agent.sock" "run by uid $U, not by uid 0: skipped"
kill "$OTHER"

# A fallback that lists a malformed key: left out, the rest still listed.
ssh-keygen -q -t ed25519 -N '' -C good-fallback-key -f good
# (A hostile peer, not a stand-in: the fallbacks this test relies on are
# OpenSSH's agent above and gpg-agent in gpg-fallback.sh.)
python3 "$RAW" broken-fallback "$WORK/broken.sock" good.pub &
BROKEN=$!
stop_broken() { kill "$BROKEN" 2>/dev/null; }
add_cleanup stop_broken
i=0
while [ ! -S broken.sock ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
out=$(SSH_AUTH_SOCK=$WORK/broken.sock ssh-add -l 2>&1)
check_match "the broken agent's own list: ssh-add -l refuses it" "^[12]:" "$?:$out"
agent_start "$WORK/f.sock" f.log -d -A "$WORK/broken.sock" --key-dir "$WORK/keys" || exit 1
out=$(SSH_AUTH_SOCK=$WORK/f.sock ssh-add -l 2>&1)
check_eq "a fallback's malformed keys (short ed25519, 'RSA' and 'rsa-sha2-256' names, small-x and off-curve points): left out, ssh-add -l works" \
	"0:ssh-tpm-agent good-fallback-key" "$?:$(printf '%s\n' "$out" | awk '{print $3}' | paste -sd' ')"
kill "$BROKEN"

# Our own socket as our fallback: answered, no endless chain of handlers.
agent_start "$WORK/loop.sock" loop.log -d -A "$WORK/loop.sock" --key-dir "$WORK/keys" || exit 1
out=$(SSH_AUTH_SOCK=$WORK/loop.sock timeout 20 ssh-add -l 2>&1)
check_eq "its own fallback: ssh-add -l answers, once each key" "ssh-tpm-agent" "$(printf '%s\n' "$out" | awk '{print $3}')"
check "... and it signs" sign_ok "$WORK/loop.sock" keys/id_ecdsa.pub
check_line "... the loop is cut" loop.log "own socket" "skipped"

# Two agents each other's fallback: bounded (3 deep), answered.
agent_start "$WORK/p.sock" p.log -d -A "$WORK/q.sock" -A "$WORK/q.sock" --key-dir "$WORK/keys" || exit 1
agent_start "$WORK/q.sock" q.log -d -A "$WORK/p.sock" --no-load || exit 1
out=$(SSH_AUTH_SOCK=$WORK/p.sock timeout 20 ssh-add -l 2>&1)
check_eq "each other's fallback: ssh-add -l answers, each key once" "ssh-tpm-agent" "$(printf '%s\n' "$out" | awk '{print $3}')"
check_line "... the chain is cut" q.log "agents deep" "skipped"
check_line "... -A given twice is asked once" p.log "given twice" "asked once"
finish
