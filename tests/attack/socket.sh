#!/bin/sh
# SPDX-License-Identifier: MIT
# Sockets and directories in shared places, as another local user attacks
# them: a lock on a sticky directory cannot block start-up, a socket or
# directory of another uid is never ours, an empty -l is no abstract
# socket, a non-root user's default socket is private, and a squatted lock
# directory falls back to a private one.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
A_UID=64121 # the attacker
V_UID=64122 # a victim who is not root
AS_A="setpriv --reuid=$A_UID --regid=$A_UID --clear-groups"
AS_V="setpriv --reuid=$V_UID --regid=$V_UID --clear-groups"
chmod 0711 "$WORK"
mkdir keys pub run
chmod 1777 pub # like /tmp and /var/tmp
"$KEYGEN" -q -N '' -C k -f keys/k
want=$(ssh-keygen -l -f keys/k.pub)

BG=""
bg_cleanup() {
	for p in $BG; do kill "$p" 2>/dev/null; done
	for p in $BG; do wait "$p" 2>/dev/null; done
	rm -rf "/tmp/ssh-tpm-agent-$V_UID" "/var/tmp/ssh-tpm-agent-$V_UID"
}
add_cleanup bg_cleanup
bg_cleanup

# Another user holds a lock on the socket's (sticky, world-writable)
# directory: our agent starts anyway, at once.
$AS_A /usr/bin/python3 -c 'import fcntl,os,sys,time; fd=os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); time.sleep(600)' "$WORK/pub" &
BG="$BG $!"
i=0
until ! flock -n "$WORK/pub" true 2>/dev/null || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.02; done
check "attacker holds a lock on the directory" sh -c "! flock -n '$WORK/pub' true"
start=$(date +%s)
agent_start "$WORK/pub/a.sock" a.log --key-dir "$WORK/keys"
check_eq "agent started despite the lock" "$want" "$(SSH_AUTH_SOCK=$WORK/pub/a.sock ssh-add -l 2>&1)"
check "started within 5 s" test $(( $(date +%s) - start )) -le 5

# -l '': bind() would make an abstract socket anyone can reach.
out=$(timeout 10 "$AGENT" -l '' --key-dir "$WORK/keys" 2>&1)
check_eq "-l '': a usage error (exit 2)" 2 "$?"
check_match "-l '': says why" "invalid -l '': the socket path is empty" "$out"
out=$(SSH_TPM_AUTH_SOCK= XDG_RUNTIME_DIR=$WORK/run timeout 10 "$AGENT" --print-socket 2>&1)
check_eq "empty SSH_TPM_AUTH_SOCK counts as unset" "$WORK/run/ssh-tpm-agent.sock" "$out"

# A directory others may write without the sticky bit, or one that
# belongs to another user: they could swap our socket for theirs.
mkdir open theirs
chmod 0777 open
chown "$A_UID" theirs
out=$(timeout 10 "$AGENT" -l "$WORK/open/s.sock" --key-dir "$WORK/keys" 2>&1)
check_eq "world-writable directory: exit 1" 1 "$?"
check_match "world-writable directory: says why" "open on the way to it is writable by group or others \\(owner uid 0, mode 0777\\)" "$out"
check_match "world-writable directory: refused" "open/s.sock: refusing a socket that another user could redirect" "$out"
check "world-writable directory: no socket made" test ! -e open/s.sock
out=$(timeout 10 "$AGENT" -l "$WORK/theirs/s.sock" --key-dir "$WORK/keys" 2>&1)
check_eq "another user's directory: exit 1" 1 "$?"
check_match "another user's directory: says why" "theirs on the way to it is owned by another user \\(owner uid $A_UID" "$out"

# A symlink of another user's on the way to the socket: they could point
# it elsewhere later, so the socket is refused.
mkdir -m 0755 adir mine
chown "$A_UID" adir
$AS_A ln -s "$WORK/mine" "$WORK/adir/link"
out=$(timeout 10 "$AGENT" -l "$WORK/adir/link/s.sock" --key-dir "$WORK/keys" 2>&1)
check_eq "socket path through another user's directory: exit 1" 1 "$?"
check_match "socket path through another user's directory: names it" "adir on the way to it is owned by another user \(owner uid $A_UID" "$out"
check "socket path through another user's directory: no socket" test ! -e mine/s.sock
ln -s "$WORK/mine" "$WORK/rootlink"
chown -h "$A_UID" "$WORK/rootlink"
out=$(timeout 10 "$AGENT" -l "$WORK/rootlink/s.sock" --key-dir "$WORK/keys" 2>&1)
check_match "another user's symlink on the way: refused" "rootlink on the way to it is a symlink owned by another user" "$out"

# At exit the agent removes only the socket it made, not what has taken
# its name since.
agent_start "$WORK/mine/a.sock" mine.log --key-dir "$WORK/keys" || exit 1
mv mine/a.sock mine/moved.sock
echo keep > mine/a.sock
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
check_eq "exit: a file that took the socket's name is kept" keep "$(cat mine/a.sock)"

# A socket of another uid at our path (a squatter listening, or one that
# left): refused, named, left alone.
$AS_A /usr/bin/python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(600)' "$WORK/pub/sq.sock" &
BG="$BG $!"
$AS_A /usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$WORK/pub/stale.sock"
i=0; until [ -S pub/sq.sock ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.02; done
for s in sq stale; do
	out=$(timeout 10 "$AGENT" -l "$WORK/pub/$s.sock" --key-dir "$WORK/keys" 2>&1)
	check_eq "$s socket of uid $A_UID: exit 1" 1 "$?"
	check_match "$s socket of uid $A_UID: named as not ours" "pub/$s.sock belongs to uid $A_UID, not to us \\(uid 0\\): refusing to use or replace it" "$out"
	check_eq "$s socket of uid $A_UID: left alone" "$A_UID" "$(stat -c %u "pub/$s.sock")"
done
out=$(SSH_TPM_AUTH_SOCK=$WORK/pub/sq.sock "$AGENT" --print-socket 2>&1 >/dev/null)
check_match "--print-socket warns about a foreign socket" "sq.sock belongs to uid $A_UID, not to us" "$out"

# XDG_RUNTIME_DIR that is not ours is ignored, with a warning.
out=$(env -u SSH_TPM_AUTH_SOCK XDG_RUNTIME_DIR=$WORK/theirs "$AGENT" --print-socket 2>&1)
check_match "foreign XDG_RUNTIME_DIR: warned" "XDG_RUNTIME_DIR=$WORK/theirs is owned by another user: ignoring it" "$out"
check_match "foreign XDG_RUNTIME_DIR: root's system socket instead" "^/var/tmp/ssh-tpm-agent.sock$" "$(echo "$out" | tail -n1)"

# A non-root user without XDG_RUNTIME_DIR: a private per-user socket,
# not the shared /var/tmp/ssh-tpm-agent.sock.
mkdir -m 0700 vhome
"$KEYGEN" -q -N '' -C vk -f vhome/vk
chown -R "$V_UID:$V_UID" vhome
chmod 0755 "$SWTPM_DIR"
chmod 0666 "$SWTPM_DIR/sock" "$SWTPM_DIR/sock.ctrl"
rm -f "$SWTPM_DIR/sock.lock"
as_v() { $AS_V env -u XDG_RUNTIME_DIR -u SSH_TPM_AUTH_SOCK HOME="$WORK/vhome" "$@"; }
check_eq "non-root default socket" "$WORK/vhome/.ssh/agent/ssh-tpm-agent.sock" "$(as_v "$AGENT" --print-socket 2>&1)"
[ "$(as_v "$AGENT" --print-socket 2>&1)" = "$WORK/vhome/.ssh/agent/ssh-tpm-agent.sock" ] ||
	finish # never start a test agent on a shared path
$AS_A mkdir -m 0777 "/tmp/ssh-tpm-agent-$V_UID"
$AS_V env -u XDG_RUNTIME_DIR -u SSH_TPM_AUTH_SOCK HOME="$WORK/vhome" \
	"$AGENT" -D --key-dir "$WORK/vhome" 2>v.log &
BG="$BG $!"
vsock=$WORK/vhome/.ssh/agent/ssh-tpm-agent.sock
i=0; until [ -S "$vsock" ] || [ $i -gt 200 ]; do i=$((i + 1)); sleep 0.02; done
check_eq "non-root agent serves its user" "$(ssh-keygen -l -f vhome/vk.pub)" "$(as_v env SSH_AUTH_SOCK="$vsock" ssh-add -l 2>&1)"
check_eq "its directory is private" "700 $V_UID" "$(stat -c '%a %u' vhome/.ssh/agent)"

# Lock-directory squatting: another user made /tmp/ssh-tpm-agent-V
# before V's first use (above: the agent's start-up lock went there too).
check_match "squatted lock dir: agent start-up says so" "using $WORK/vhome/.ssh/agent for lock files instead" "$(cat v.log)"
mkdir -m 0700 vhome/other && chown "$V_UID" vhome/other
out=$(as_v "$KEYGEN" -q -N '' -C squatted -f "$WORK/vhome/other/sq" 2>&1)
check_eq "squatted lock dir: keygen still works" 0 "$?"
check_match "squatted lock dir: says why" "/tmp/ssh-tpm-agent-$V_UID belongs to uid $A_UID, not to us" "$out"
check_match "squatted lock dir: says where instead" "using $WORK/vhome/.ssh/agent for lock files instead" "$out"
check "squatted lock dir: lock file in the fallback" sh -c "ls '$WORK/vhome/.ssh/agent' | grep -q '^tpm-.*\\.lock$'"
check_eq "squatted lock dir: signing works too" "$(ssh-keygen -l -f vhome/vk.pub)" "$(as_v env SSH_AUTH_SOCK="$vsock" ssh-add -l 2>&1)"
cut -d' ' -f2 vhome/vk.pub | base64 -d > vk.blob
check_eq "squatted lock dir: agent signs" 14 "$(as_v /usr/bin/python3 "$SRC_DIR/tests/agent/rawclient.py" sign-ok "$vsock" "$WORK/vk.blob" 2>&1)"
# The swtpm state directory squatted: a clear error naming the way out.
$AS_A mkdir -m 0777 "/var/tmp/ssh-tpm-agent-$V_UID"
out=$(as_v env -u SSH_TPM_AGENT_TCTI -u TPM2TOOLS_TCTI "$KEYGEN" --swtpm -q -N '' -f "$WORK/vhome/sw" 2>&1)
check_eq "squatted swtpm dir: exit 1" 1 "$?"
check_match "squatted swtpm dir: names the owner" "/var/tmp/ssh-tpm-agent-$V_UID belongs to uid $A_UID" "$out"
check_match "squatted swtpm dir: names the way out" "set SSH_TPM_AGENT_SWTPM_DIR" "$out"

# A lock file another user planted next to a swtpm's socket (in a sticky
# directory) is not the swtpm's lock: it is ignored, not waited for.
mkdir -m 1777 pub2
mkdir -m 0700 vtpm && chown "$V_UID" vtpm
$AS_V swtpm socket --tpm2 --tpmstate dir="$WORK/vtpm" \
	--server type=unixio,path="$WORK/pub2/vsock" --ctrl type=unixio,path="$WORK/pub2/vsock.ctrl" \
	--flags not-need-init,startup-clear >/dev/null 2>&1 &
BG="$BG $!"
i=0; until [ -S pub2/vsock ] || [ $i -gt 250 ]; do i=$((i + 1)); sleep 0.02; done
$AS_A /usr/bin/python3 -c 'import fcntl,os,sys,time; os.umask(0); fd=os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o666); fcntl.flock(fd, fcntl.LOCK_EX); time.sleep(600)' "$WORK/pub2/vsock.lock" &
BG="$BG $!"
i=0; until [ -e pub2/vsock.lock ] || [ $i -gt 250 ]; do i=$((i + 1)); sleep 0.02; done
out=$(as_v env SSH_TPM_AGENT_TCTI="swtpm:path=$WORK/pub2/vsock" timeout 60 "$KEYGEN" -q -N '' -f "$WORK/vhome/other/planted" 2>&1)
check_eq "planted swtpm lock: keygen works" 0 "$?"
check_match "planted swtpm lock: ignored, said why" "pub2/vsock.lock is not the swtpm's lock \(owner uid $A_UID" "$out"
out=$(timeout 10 "$KEYGEN" --tcti "swtpm:path=$WORK/pub2/none" -q -N '' -f "$WORK/never" 2>&1)
check "no socket: no lock file made next to it" test ! -e pub2/none.lock

# No usable HOME and a squatted /tmp/ssh-tpm-agent-UID: no private place
# for lock files.  The agent still starts on a socket of its own (the
# start-up lock is only for agents starting together) and says why.
mkdir -m 0700 vsockdir && chown "$V_UID" vsockdir
out=$($AS_V env -u XDG_RUNTIME_DIR HOME=/nonexistent timeout 3 "$AGENT" -l "$WORK/vsockdir/a.sock" --key-dir "$WORK/vhome" 2>&1)
check_match "no private lock dir: the agent starts anyway" "listening on $WORK/vsockdir/a.sock" "$out"
check_match "no private lock dir: says so" "no private directory for the start-up lock" "$out"

# ~/.ssh/agent of the wrong mode: refused with a message that says how.
chmod 0755 vhome/.ssh/agent
out=$(as_v timeout 10 "$AGENT" -D --key-dir "$WORK/vhome" 2>&1)
check_eq "~/.ssh/agent 0755: exit 1" 1 "$?"
check_match "~/.ssh/agent 0755: says why" "agent has mode 0755, not 0700: not a private directory, not using it \(chmod 700" "$out"
check_match "~/.ssh/agent 0755: says what then" "cannot use .*/.ssh/agent for the agent's socket \(see above\); give one with -l" "$out"

finish
