#!/bin/sh
# SPDX-License-Identifier: MIT
# The standalone listener: socket path choice, --print-socket, live/stale
# sockets, non-socket files, clean exit on SIGTERM/SIGINT, immediate EOF.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir keys run
"$KEYGEN" -q -N '' -C k -f keys/k

# --print-socket: -l, then SSH_TPM_AUTH_SOCK, then $XDG_RUNTIME_DIR.
check_eq "--print-socket default" "$WORK/run/ssh-tpm-agent.sock" \
	"$(env -u SSH_TPM_AUTH_SOCK XDG_RUNTIME_DIR=$WORK/run "$AGENT" --print-socket)"
check_eq "--print-socket SSH_TPM_AUTH_SOCK" "/x/y.sock" \
	"$(SSH_TPM_AUTH_SOCK=/x/y.sock XDG_RUNTIME_DIR=$WORK/run "$AGENT" --print-socket)"
check_eq "--print-socket -l" "/a/b.sock" \
	"$(SSH_TPM_AUTH_SOCK=/x/y.sock "$AGENT" -l /a/b.sock --print-socket)"
check_eq "--print-socket without XDG_RUNTIME_DIR" "/var/tmp/ssh-tpm-agent.sock" \
	"$(env -u SSH_TPM_AUTH_SOCK -u XDG_RUNTIME_DIR "$AGENT" --print-socket)"

# The manual's flow: agent on the default socket, SSH_AUTH_SOCK from it.
XDG_RUNTIME_DIR=$WORK/run "$AGENT" -D --key-dir "$WORK/keys" 2>def.log &
AGENT_PIDS="$AGENT_PIDS $!"
DEFPID=$!
sock=$(XDG_RUNTIME_DIR=$WORK/run "$AGENT" --print-socket)
wait_socket "$sock" || exit 1
check_eq "default socket serves" "$(ssh-keygen -l -f keys/k.pub)" "$(SSH_AUTH_SOCK=$sock ssh-add -l 2>&1)"

# A second agent on a live socket refuses and leaves it alone.
out=$(XDG_RUNTIME_DIR=$WORK/run timeout 10 "$AGENT" -D --key-dir "$WORK/keys" 2>&1)
rc=$?
check_eq "live socket: second agent exits 1" 1 "$rc"
check_match "live socket: says so" "an agent is already listening there" "$out"
check_eq "live socket: first agent still serves" "$(ssh-keygen -l -f keys/k.pub)" "$(SSH_AUTH_SOCK=$sock ssh-add -l 2>&1)"

# SIGTERM: exits 0 and removes its socket.
kill -TERM "$DEFPID"
wait "$DEFPID"
check_eq "SIGTERM: exit status 0" 0 "$?"
check "SIGTERM: socket removed" test ! -e "$sock"

# SIGINT likewise.
agent_start "$WORK/int.sock" int.log --key-dir "$WORK/keys" || exit 1
kill -INT "$AGENT_PID"
wait "$AGENT_PID"
check_eq "SIGINT: exit status 0" 0 "$?"
check "SIGINT: socket removed" test ! -e "$WORK/int.sock"

# A stale socket (nobody listening) is replaced.
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$WORK/stale.sock"
check "stale socket exists" test -S "$WORK/stale.sock"
agent_start "$WORK/stale.sock" stale.log --key-dir "$WORK/keys" || exit 1
check_eq "stale socket replaced and served" "$(ssh-keygen -l -f keys/k.pub)" "$(SSH_AUTH_SOCK=$WORK/stale.sock ssh-add -l 2>&1)"
check_match "stale socket: logged" "replacing stale socket" "$(cat stale.log)"

# Five agents racing for one stale socket: exactly one serves, the others
# say an agent is already there (none deletes a socket another made live).
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$WORK/race.sock"
pids=""
for i in 1 2 3 4 5; do
	"$AGENT" -l "$WORK/race.sock" --key-dir "$WORK/keys" 2>"race$i.log" &
	pids="$pids $!"
	AGENT_PIDS="$AGENT_PIDS $!"
done
i=0
while [ "$(cat race*.log | grep -c 'an agent is already listening there')" -lt 4 ] && [ $i -lt 200 ]; do
	i=$((i + 1))
	sleep 0.05
done
# (A refusing agent logs before it exits: give the four time to exit.)
for _ in $(seq 1 100); do
	alive=0
	for p in $pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	[ "$alive" -le 1 ] && break
	sleep 0.05
done
check_eq "racing agents: exactly one keeps running" 1 "$alive"
check_eq "racing agents: the other four refused" 4 "$(cat race*.log | grep -c 'an agent is already listening there')"
check_eq "racing agents: the survivor serves" "$(ssh-keygen -l -f keys/k.pub)" "$(SSH_AUTH_SOCK=$WORK/race.sock ssh-add -l 2>&1)"

# A regular file at the path is never deleted.
echo precious > "$WORK/file.sock"
out=$(timeout 10 "$AGENT" -l "$WORK/file.sock" --key-dir "$WORK/keys" 2>&1)
check_eq "non-socket path: exit 1" 1 "$?"
check_match "non-socket path: says so" "exists and is not a socket" "$out"
check_eq "non-socket path: file untouched" precious "$(cat "$WORK/file.sock")"

# Connect and close at once (sshd -t does this): no error, next one served.
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()" "$WORK/stale.sock"
check_eq "immediate EOF: next client served" "$(ssh-keygen -l -f keys/k.pub)" "$(SSH_AUTH_SOCK=$WORK/stale.sock ssh-add -l 2>&1)"

# -A with an unset SSH_AUTH_SOCK, or a path no socket can have: refused.
out=$("$AGENT" -D -l "$WORK/never.sock" -A "" 2>&1)
check_match "-A '': a usage error (exit 2), says why" "^2:.*-A '': no socket path" "$?:$out"
out=$("$AGENT" -D -l "$WORK/never.sock" -A "/$(printf '%0120d' 0)" 2>&1)
check_match "-A too long: a usage error (exit 2), says why" "^2:.*longer than a socket path" "$?:$out"
check_eq "-A refused: no socket made" "no" "$([ -e "$WORK/never.sock" ] && echo yes || echo no)"
out=$("$AGENT" --bogus 2>&1)
check_match "unknown option" "unknown option '--bogus'" "$out"

finish
