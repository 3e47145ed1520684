#!/bin/sh
# SPDX-License-Identifier: MIT
# The agent's own socket for ssh-tpm-agent COMMAND and its background
# forms, started the careless ways: with standard descriptors closed, so
# that the listening socket could take one of their numbers; with a
# relative XDG_RUNTIME_DIR; as root with a user's HOME (sudo -E); and run
# over and over (nothing left behind per run).  And what its handlers
# inherit of its signal mask.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/agent.sh"
cd "$WORK" || exit 1
chmod 0711 "$WORK"
mkdir -m 0700 rt home
mkdir empty
export HOME=$WORK/home
export SSH_TPM_AGENT_KEYRING="ta-cmdsock-$$-$(date +%s%N)"
add_cleanup keyring_cleanup
U_UID=64181 # a user who is not root
AS_U="setpriv --reuid=$U_UID --regid=$U_UID --clear-groups"
# The user's keyring records and lock directory (root's go with $WORK).
u_cleanup() {
	kr=$($AS_U keyctl search @u keyring "$SSH_TPM_AGENT_KEYRING" 2>/dev/null) &&
		$AS_U keyctl unlink "$kr" @u >/dev/null 2>&1
	rm -rf "/tmp/ssh-tpm-agent-$U_UID"
	return 0
}
add_cleanup u_cleanup
mkdir -m 0700 uhome
chown "$U_UID:$U_UID" uhome
# run ARGS...: the agent as a user starts it by hand (no socket named).
run() {
	env -u INVOCATION_ID -u SSH_TPM_AUTH_SOCK XDG_RUNTIME_DIR=$WORK/rt timeout 20 "$AGENT" "$@"
}

# Started with stdin and stdout closed (from a daemon, a cron job, by
# hand with <&- >&-): its socket must not be the number COMMAND's agent
# then points at /dev/null, or it spins on accept() and floods its log.
run -D --key-dir "$WORK/empty" sh -c 'ssh-add -l >/dev/null 2>&1; echo "rc=$?" >&2' <&- >&- 2>closed.err
check_match "stdin and stdout closed: COMMAND reaches the agent" "^rc=1$" "$(grep '^rc=' closed.err)"
check_eq "... which never accepts on a non-socket" 0 "$(grep -c 'accept:' closed.err)"
check_eq "... and ends with COMMAND, its directory gone" "ssh-tpm-agent" "$(ls rt)"

# Each COMMAND's socket is in a directory of its own: no start-up lock
# named after that directory is left behind, one file per COMMAND run
# (in ~/.ssh/agent or /tmp they would pile up across logins).
for i in 1 2 3; do
	run --key-dir "$WORK/empty" true 2>>runs.err
done
check_eq "three COMMANDs: no lock file left in the runtime directory" "" \
	"$(ls rt/ssh-tpm-agent | grep '^listen-')"
check_eq "... and no message" "" "$(cat runs.err)"

# COMMAND's agent blocks SIGTERM, SIGINT and SIGHUP from its fork until
# its listen loop takes them; its handlers (and the askpass programs they
# run) must not inherit that: a handler would ignore kill, an askpass
# its TERM (it took the KILL a second later), a ^C would not end a
# terminal prompt.
cat > sigblk.py <<'PY'
import os, socket, time
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ["SSH_AUTH_SOCK"])
time.sleep(0.3)
ag = os.environ["SSH_AGENT_PID"]
for k in open("/proc/%s/task/%s/children" % (ag, ag)).read().split():
    blk = [l.split()[1] for l in open("/proc/%s/status" % k) if l.startswith("SigBlk")][0]
    # SIGHUP 1, SIGINT 2, SIGTERM 15: bits 0, 1 and 14.
    print("handler blocks %s" % ("none of TERM, INT, HUP" if int(blk, 16) & 0x4003 == 0 else blk))
PY
check_eq "COMMAND's agent: its handler leaves TERM, INT and HUP unblocked" "handler blocks none of TERM, INT, HUP" \
	"$(run --key-dir "$WORK/empty" python3 sigblk.py 2>&1)"

# XDG_RUNTIME_DIR relative (the XDG spec: invalid, to be ignored): a
# socket named relative to the start directory is lost to whatever
# changes directory.
out=$(env -u SSH_TPM_AUTH_SOCK XDG_RUNTIME_DIR=rt "$AGENT" --print-socket 2>&1)
check_match "relative XDG_RUNTIME_DIR: warned" "XDG_RUNTIME_DIR=rt is not an absolute path: ignoring it" "$out"
check_eq "... --print-socket names root's system socket instead" "/var/tmp/ssh-tpm-agent.sock" "$(echo "$out" | tail -n1)"
mkdir -m 0700 uhome/rt
chown "$U_UID:$U_UID" uhome/rt
out=$(cd uhome && $AS_U env -u INVOCATION_ID -u SSH_TPM_AUTH_SOCK XDG_RUNTIME_DIR=rt HOME="$WORK/uhome" \
	timeout 20 "$AGENT" --key-dir "$WORK/empty" sh -c 'echo "sock=$SSH_AUTH_SOCK"; cd /; ssh-add -l >/dev/null 2>&1; echo "rc=$?"' 2>&1)
check_match "... COMMAND's socket is an absolute path, in ~/.ssh/agent" \
	"^sock=$WORK/uhome/\.ssh/agent/ssh-tpm-agent\.[A-Za-z0-9]{6}/agent\.sock$" "$(echo "$out" | grep '^sock=')"
check_eq "... reached after cd /" "rc=1" "$(echo "$out" | grep '^rc=')"
check_eq "... nothing made in the relative directory" "" "$(ls uhome/rt)"

# Root with a user's HOME (sudo -E, no XDG_RUNTIME_DIR of root's): the
# socket under it would be one the user can redirect, so it is refused --
# with nothing made there first: a root-owned ~/.ssh or ~/.ssh/agent in
# the user's home locks the user out of their own.
mkdir -m 0755 vhome
chown "$U_UID:$U_UID" vhome
out=$(env -u INVOCATION_ID -u SSH_TPM_AUTH_SOCK -u XDG_RUNTIME_DIR HOME="$WORK/vhome" \
	timeout 20 "$AGENT" --key-dir "$WORK/empty" true 2>&1)
check_eq "root, HOME another user's: exit 1" 1 "$?"
check_match "... says why" "vhome on the way to it is owned by another user \(owner uid $U_UID" "$out"
check_match "... and what to do" "cannot use $WORK/vhome/\.ssh/agent for the agent's socket \(see above\); give one with -l" "$out"
check_eq "... and makes nothing in that home" "" "$(ls -A vhome)"
finish
