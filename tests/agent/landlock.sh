#!/bin/sh
# SPDX-License-Identifier: MIT
# SSH_TPM_LANDLOCK: with it, a handler's askpass (which inherits the
# handler's Landlock domain) cannot read a planted file outside the allowed
# set, cannot write next to it and cannot run another program, while
# signing with a PIN key still works; without it, it can do all three.
# The same for ssh-tpm-keygen and ssh-tpm-add asking for a passphrase, and
# for the --swtpm daemon started by a restricted program (it must itself
# stay unrestricted).  Handlers and the tools are not dumpable and have no
# core limit, always.
#
# When the kernel offers no Landlock, the "is enforced" checks are skipped
# with a loud message (and the programs must say they run unrestricted);
# the "still works" checks run in any case.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1

# The kernel's Landlock ABI: landlock_create_ruleset(NULL, 0, VERSION).
ABI=$(python3 -c 'import ctypes; print(max(ctypes.CDLL(None).syscall(444, None, 0, 1), 0))')
if [ "$ABI" -gt 0 ]; then
	echo "# Landlock ABI $ABI in kernel $(uname -r)"
else
	echo "################################################################"
	echo "# LANDLOCK IS NOT AVAILABLE in kernel $(uname -r):"
	echo "# landlock_create_ruleset(VERSION) fails ($(python3 -c 'import ctypes, os; l = ctypes.CDLL(None, use_errno=True); l.syscall(444, None, 0, 1); print(os.strerror(ctypes.get_errno()))'));"
	echo "# /sys/kernel/security/lsm: $(cat /sys/kernel/security/lsm 2>&1)"
	echo "# Needs CONFIG_SECURITY_LANDLOCK=y and landlock in lsm=."
	echo "# SKIPPING every 'is enforced' check; the 'still works' ones run."
	echo "################################################################"
fi

askpass_setup
PIN=ll-pin-4711
export SSH_ASKPASS="$SRC_DIR/tests/agent/landlock-askpass.sh" ASKPASS_PIN="$PIN"
# Outside every allowed directory: not the key dir, not the runtime dir.
mkdir keys planted
echo "planted-secret-$$" > planted/secret
export PLANTED="$WORK/planted/secret" WRITE_PROBE="$WORK/planted/written"
"$KEYGEN" -q -N "$PIN" -C pin -f keys/pin || exit 1
"$KEYGEN" -q -N '' -C plain -f keys/plain || exit 1

# What the askpass said last in LOG.
said() { # LOG WHAT
	sed -n "s/^landlock-askpass: $2=//p" "$1" | tail -n 1
}
# Checks that hold when the program restricted itself (or, without
# Landlock, that it said it could not); with "debug", its debug log names
# the ABI it used.
enforced() { # NAME LOG [debug]
	if [ "$ABI" -gt 0 ]; then
		check_eq "$1: the askpass cannot read the planted file" denied "$(said "$2" planted)"
		check_eq "$1: ... nor write next to it" denied "$(said "$2" write)"
		check_eq "$1: ... nor run /bin/true" denied "$(said "$2" exec)"
		[ "${3:-}" = debug ] &&
			check_match "$1: restricted with the kernel's ABI" "landlock: .* restricted \\(ABI $ABI," "$(cat "$2")"
	else
		echo "# SKIPPED (no Landlock): $1 is enforced"
		check_match "$1: says it runs unrestricted" "offers no Landlock" "$(cat "$2")"
	fi
}
unrestricted() { # NAME LOG
	check_eq "$1: the askpass reads the planted file" "read:planted-secret-$$" "$(said "$2" planted)"
	check_eq "$1: ... writes next to it" ok "$(said "$2" write)"
	check_eq "$1: ... runs /bin/true" ok "$(said "$2" exec)"
	check_eq "$1: no Landlock rules made" "" "$(grep 'landlock:' "$2")"
}
# A standalone agent (each connection's handler forked from it) without a
# terminal, SSH_TPM_LANDLOCK as given.
start() { # NAME LANDLOCK ARGS...
	n=$1 ll=$2
	shift 2
	rm -f "$WORK/planted/written"
	SSH_TPM_LANDLOCK=$ll setsid "$AGENT" -d -l "$WORK/$n.sock" --no-cache --key-dir "$WORK/keys" "$@" \
		2>"$WORK/$n.log" </dev/null &
	AGENT_PIDS="$AGENT_PIDS $!"
	wait_socket "$WORK/$n.sock"
}

# --- the agent --------------------------------------------------------------
start on 1 || exit 1
check "SSH_TPM_LANDLOCK=1: signing with the PIN key works" sign_ok "$WORK/on.sock" keys/pin.pub
check_eq "... the askpass was asked" "0:0" "$(said on.log core)"
enforced "SSH_TPM_LANDLOCK=1 handler" on.log debug
check_eq "... and the planted file is intact" "planted-secret-$$" "$(cat planted/secret)"
check "SSH_TPM_LANDLOCK=1: signing with a key without PIN" sign_ok "$WORK/on.sock" keys/plain.pub
check_eq "SSH_TPM_LANDLOCK=1: both keys listed" 2 "$(SSH_AUTH_SOCK=$WORK/on.sock ssh-add -l | grep -c ECDSA)"

start off "" || exit 1
check "without SSH_TPM_LANDLOCK: signing with the PIN key works" sign_ok "$WORK/off.sock" keys/pin.pub
unrestricted "without SSH_TPM_LANDLOCK, handler" off.log
check_eq "... and the handler has no core limit (the askpass sees 0)" "0:0" "$(said off.log core)"

start empty "" || exit 1
check "SSH_TPM_LANDLOCK= (empty) is off" sign_ok "$WORK/empty.sock" keys/pin.pub
check_eq "... the askpass reads the planted file" "read:planted-secret-$$" "$(said empty.log planted)"

# --- ssh-tpm-keygen and ssh-tpm-add asking through the askpass ---------------
mkdir keys2
rm -f planted/written
SSH_TPM_LANDLOCK=1 "$KEYGEN" -d -q -C made -f keys2/made </dev/null >kg.log 2>&1
check_eq "SSH_TPM_LANDLOCK=1 ssh-tpm-keygen makes a PIN key (asking twice)" "0:2" \
	"$?:$(grep -c 'landlock-askpass: planted=' kg.log)"
enforced "SSH_TPM_LANDLOCK=1 ssh-tpm-keygen" kg.log debug
check_eq "... and has no core limit" "0:0" "$(said kg.log core)"
cp keys2/made.tpm keys2/made.pub keys/
check "... the key signs through the restricted agent" sign_ok "$WORK/on.sock" keys/made.pub

# No -f: restricted once the name is typed (a name anywhere, not only in
# ~/.ssh), before the passphrase is asked.
mkdir keys4
rm -f planted/written
printf '%s\n' "$WORK/keys4/typed" | SSH_TPM_LANDLOCK=1 setsid "$KEYGEN" -d -q -C typed >kg4.log 2>&1
check "SSH_TPM_LANDLOCK=1 ssh-tpm-keygen, file name typed: the key is written there" \
	test -s keys4/typed.tpm -a -s keys4/typed.pub
enforced "SSH_TPM_LANDLOCK=1 ssh-tpm-keygen with a typed name" kg4.log debug

rm -f planted/written
out=$(SSH_TPM_LANDLOCK=1 SSH_AUTH_SOCK=$WORK/off.sock "$BUILD_DIR/tools/ssh-tpm-add" keys/pin.tpm 2>add.log)
check_match "SSH_TPM_LANDLOCK=1 ssh-tpm-add checks the PIN and adds the key" "^Identity added: keys/pin.tpm" "$out"
enforced "SSH_TPM_LANDLOCK=1 ssh-tpm-add" add.log
check_eq "... and has no core limit" "0:0" "$(said add.log core)"

rm -f planted/written
SSH_TPM_LANDLOCK= "$KEYGEN" -q -C made2 -f keys2/made2 </dev/null >kg2.log 2>&1
check_eq "without SSH_TPM_LANDLOCK, ssh-tpm-keygen makes the key" 0 "$?"
unrestricted "without SSH_TPM_LANDLOCK, ssh-tpm-keygen" kg2.log

# --- host keys: -A makes the key dir before it restricts itself ---------------
SSH_TPM_LANDLOCK=1 "$KEYGEN" -A -f "$WORK/hk" >hk.log 2>&1
check_eq "SSH_TPM_LANDLOCK=1 ssh-tpm-keygen -A -f PREFIX (dir made first)" "0:2" \
	"$?:$(ls "$WORK"/hk/etc/ssh/ssh_tpm_host_*_key.tpm 2>/dev/null | wc -l)"
out=$(SSH_TPM_LANDLOCK=1 "$BUILD_DIR/tools/ssh-tpm-hostkeys" -f "$WORK/hk" 2>hk2.log)
check_eq "SSH_TPM_LANDLOCK=1 ssh-tpm-hostkeys prints them" 2 "$(printf '%s\n' "$out" | grep -c '^ecdsa-sha2-nistp256 \|^ssh-rsa ')"

# --- the --swtpm daemon, started by a restricted program ----------------------
# It is started before the restriction, so it is not restricted itself: it
# writes its state (key creation changes it) and serves the next handler.
SWD=$WORK/swd
swd_cleanup() {
	[ -f "$SWD/swtpm.pid" ] && kill "$(cat "$SWD/swtpm.pid")" 2>/dev/null
	return 0
}
add_cleanup swd_cleanup
mkdir -m 0700 keys3
(
	unset SSH_TPM_AGENT_TCTI TPM2TOOLS_TCTI
	export SSH_TPM_AGENT_SWTPM=1 SSH_TPM_AGENT_SWTPM_DIR="$SWD" SSH_TPM_LANDLOCK=1
	"$KEYGEN" -q -N "$PIN" -C sw -f keys3/sw >sw-kg.log 2>&1 || echo "keygen failed" >> sw-kg.log
	setsid "$AGENT" -d -l "$WORK/sw.sock" --no-cache --key-dir "$WORK/keys3" 2>"$WORK/sw.log" </dev/null &
	echo $! > sw.pid
	wait_socket "$WORK/sw.sock" && sign_ok "$WORK/sw.sock" keys3/sw.pub
	echo $? > sw.rc
	kill "$(cat sw.pid)"
)
check_eq "--swtpm daemon started by a restricted ssh-tpm-keygen: the key is made" "" "$(grep 'keygen failed' sw-kg.log)"
check_eq "... and a restricted handler signs with it" 0 "$(cat sw.rc)"
check "... the daemon's state was written" test -s "$SWD/tpm2-00.permall"
[ "$ABI" -gt 0 ] && check_match "... by a restricted handler" "landlock: the handler restricted" "$(cat sw.log)"

# --- not dumpable, whatever SSH_TPM_LANDLOCK says ---------------------------
# As another uid (root reads every /proc/PID anyway): the files in /proc/PID
# of a process that is not dumpable are root's.
U=64173
chmod 0711 "$WORK"
mkdir -m 0700 "$WORK/u"
chown "$U:$U" "$WORK/u"
XDG_RUNTIME_DIR=$WORK/u setpriv --reuid=$U --regid=$U --clear-groups \
	"$AGENT" -D -l "$WORK/u/a.sock" --key-dir "$WORK/u" 2>u.log </dev/null &
upid=$!
AGENT_PIDS="$AGENT_PIDS $upid"
wait_socket "$WORK/u/a.sock"
check_eq "the agent runs as uid $U" "$U" "$(awk '/^Uid:/ {print $2}' /proc/$upid/status)"
check_eq "... and is not dumpable (its /proc/PID/status is root's)" 0 "$(stat -c %u /proc/$upid/status)"
check_match "... and has no core limit" "^Max core file size +0 +0 " "$(grep '^Max core file size' /proc/$upid/limits)"

finish
