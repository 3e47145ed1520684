#!/bin/sh
# SPDX-License-Identifier: MIT
# ssh-agent's ways of starting, kept by the standalone agent: without -l
# and outside a systemd service it prints the lines for eval (sh or csh)
# and goes to the background; -D/-d keep it in the foreground; with a
# COMMAND it runs COMMAND with SSH_AUTH_SOCK set and ends with it.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir -m 0700 rt
mkdir keys
"$KEYGEN" -q -N '' -C evalkey -f "$WORK/keys/id_ecdsa" || exit 1
export SSH_TPM_AGENT_KEYRING="ta-eval-$$-$(date +%s%N)"
add_cleanup keyring_cleanup
ssh-keygen -q -t ed25519 -N '' -C soft -f "$WORK/soft"
daemon_cleanup() {
	[ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null
	return 0
}
add_cleanup daemon_cleanup

# eval $(ssh-tpm-agent): returns at once (the daemon keeps no stdout).
lines=$(env -u SSH_TPM_AUTH_SOCK -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt SHELL=/bin/sh \
	timeout 10 "$AGENT" --key-dir "$WORK/keys" 2>eval.err)
check_eq "ssh-tpm-agent (no -l) returns at once, exit 0" 0 $?
check_match "... printing ssh-agent's sh lines" \
	"^SSH_AUTH_SOCK=$WORK/rt/ssh-tpm-agent.sock; export SSH_AUTH_SOCK;
SSH_AGENT_PID=[0-9]+; export SSH_AGENT_PID;
echo Agent pid [0-9]+;$" "$lines"
eval "$lines" >/dev/null
DPID=$SSH_AGENT_PID
check "the agent runs in the background" kill -0 "$DPID"
check_eq "... in a session of its own" "$DPID" "$(ps -o sid= -p "$DPID" | tr -d ' ')"
check_match "eval'd SSH_AUTH_SOCK serves: ssh-add -l" "evalkey \(ECDSA\)" "$(ssh-add -l 2>&1)"
check "... and signs" sign_ok "$SSH_AUTH_SOCK" "$WORK/keys/id_ecdsa.pub"
ssh-add -q "$WORK/soft"
check_match "an added key is listed" "soft \(ED25519\)" "$(ssh-add -l 2>&1)"
kill -USR1 "$DPID"
i=0
while ssh-add -l 2>&1 | grep -q soft && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
check_eq "kill -USR1 drops the added identities, keeps the key-dir key" \
	"evalkey" "$(ssh-add -l 2>&1 | awk '{print $3}' | paste -sd' ')"
check "... and the agent runs on" kill -0 "$DPID"
kill "$DPID"
i=0
while kill -0 "$DPID" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
check "SIGTERM ends it and removes its socket" test ! -e "$WORK/rt/ssh-tpm-agent.sock"
DPID=
unset SSH_AUTH_SOCK SSH_AGENT_PID

lines=$(env -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt SHELL=/bin/tcsh timeout 10 "$AGENT" --key-dir "$WORK/keys" 2>/dev/null)
DPID=$(printf '%s\n' "$lines" | sed -n 's/^setenv SSH_AGENT_PID \([0-9]*\);$/\1/p')
check_match "a csh \$SHELL gets csh lines" "^setenv SSH_AUTH_SOCK $WORK/rt/ssh-tpm-agent.sock;
setenv SSH_AGENT_PID [0-9]+;
echo Agent pid [0-9]+;$" "$lines"
kill "$DPID" 2>/dev/null
while kill -0 "$DPID" 2>/dev/null; do sleep 0.02; done
lines=$(env -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt SHELL=/bin/tcsh timeout 10 "$AGENT" -s --key-dir "$WORK/keys" 2>/dev/null)
DPID=$(printf '%s\n' "$lines" | sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p')
check_match "-s forces sh lines" "^SSH_AUTH_SOCK=.*; export SSH_AUTH_SOCK;" "$lines"
kill "$DPID" 2>/dev/null
while kill -0 "$DPID" 2>/dev/null; do sleep 0.02; done
lines=$(env -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt SHELL=/bin/sh timeout 10 "$AGENT" -c --key-dir "$WORK/keys" 2>/dev/null)
DPID=$(printf '%s\n' "$lines" | sed -n 's/^setenv SSH_AGENT_PID \([0-9]*\);$/\1/p')
check_match "-c forces csh lines" "^setenv SSH_AUTH_SOCK " "$lines"
kill "$DPID" 2>/dev/null
while kill -0 "$DPID" 2>/dev/null; do sleep 0.02; done
DPID=

# -D: the same lines, in the foreground (the started pid is the agent).
env -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt SHELL=/bin/sh "$AGENT" -D --key-dir "$WORK/keys" >fg.out 2>fg.err &
FG=$!
AGENT_PIDS="$AGENT_PIDS $FG"
wait_socket "$WORK/rt/ssh-tpm-agent.sock" || exit 1
check_match "-D: stays in the foreground, printing the lines with its own pid" "^SSH_AGENT_PID=$FG; export" "$(cat fg.out)"
kill "$FG"
wait "$FG"
# Under a systemd service ($INVOCATION_ID): neither lines nor a fork.
INVOCATION_ID=0123 XDG_RUNTIME_DIR=$WORK/rt "$AGENT" --key-dir "$WORK/keys" >svc.out 2>svc.err &
SVC=$!
AGENT_PIDS="$AGENT_PIDS $SVC"
wait_socket "$WORK/rt/ssh-tpm-agent.sock" || exit 1
check "in a systemd service: stays the started process" kill -0 "$SVC"
check_eq "... and prints no shell lines" "" "$(cat svc.out)"
kill "$SVC"
wait "$SVC"

# ssh-tpm-agent COMMAND: COMMAND gets the agent, the agent ends with it.
out=$(env -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt "$AGENT" --key-dir "$WORK/keys" \
	sh -c 'ssh-add -l; echo "pid=$SSH_AGENT_PID sock=$SSH_AUTH_SOCK"; exit 7' 2>cmd.err)
check_eq "COMMAND's exit status is the agent's" 7 $?
check_match "COMMAND sees the agent (ssh-add -l)" "evalkey \(ECDSA\)" "$out"
cpid=$(printf '%s\n' "$out" | sed -n 's/^pid=\([0-9]*\) .*/\1/p')
check_match "... through SSH_AUTH_SOCK, a socket of its own in a private directory" \
	"sock=$WORK/rt/ssh-tpm-agent\.[A-Za-z0-9]{6}/agent\.sock$" "$out"
csock=$(printf '%s\n' "$out" | sed -n 's/.* sock=//p')
i=0
while { kill -0 "${cpid:-0}" 2>/dev/null || [ -e "$(dirname "$csock")" ]; } && [ $i -lt 200 ]; do
	sleep 0.02
	i=$((i + 1))
done
check "when COMMAND ends the agent ends" sh -c "! kill -0 ${cpid:-0} 2>/dev/null"
check "... and removes its socket and its directory" test ! -e "$(dirname "$csock")"
# (ssh-tpm-agent/ is the key dirs' index, kept for every agent.)
check_eq "... and nothing else is left in the runtime dir" "" \
	"$(ls "$WORK/rt" | grep -v -x -e 'ssh-tpm-agent\.sock' -e ssh-tpm-agent)"

# Its own socket: COMMAND runs beside an agent on the default path, and
# back to back (an agent still ending is never in the next one's way).
XDG_RUNTIME_DIR=$WORK/rt "$AGENT" -D --key-dir "$WORK/keys" 2>beside.log &
BESIDE=$!
AGENT_PIDS="$AGENT_PIDS $BESIDE"
wait_socket "$WORK/rt/ssh-tpm-agent.sock" || exit 1
bad=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	env -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt "$AGENT" --key-dir "$WORK/keys" \
		ssh-add -l >/dev/null 2>>back.err || bad=$((bad + 1))
done
check_eq "20 COMMAND agents back to back, beside the default one: all serve" "0:" "$bad:$(cat back.err)"
kill "$BESIDE"
wait "$BESIDE" 2>/dev/null
out=$(env -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt "$AGENT" --key-dir "$WORK/keys" \
	-l "$WORK/cmd.sock" -- ssh-add -l 2>&1)
check_match "with -l and -- COMMAND too" "evalkey \(ECDSA\)" "$out"
out=$(env -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt "$AGENT" --key-dir "$WORK/keys" no-such-program-x 2>&1)
check_eq "a COMMAND that does not exist: exit 127" 127 $?
check_match "... and a message" "^ssh-tpm-agent: no-such-program-x: No such file or directory$" "$out"
i=0
while [ -n "$(ls "$WORK/rt" | grep -vx ssh-tpm-agent)" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
check_eq "... and no agent or socket left" "" "$(ls "$WORK/rt" | grep -vx ssh-tpm-agent)"
out=$("$AGENT" --print-socket extra 2>&1)
check_match "an operand with --print-socket is a usage error (exit 2)" "^2:.*unexpected argument 'extra'" "$?:$out"
finish
