#!/bin/sh
# SPDX-License-Identifier: MIT
# The user units under a real systemd user manager (systemd --user of a
# test uid, in a cgroup of its own and a private mount namespace: systemd
# is not PID 1 here, but a user manager runs fine): the manual's steps
# (--install-user-units, then the printed systemctl line) give a socket
# that ssh-add and ssh-keygen -Y sign use; a burst of connections does
# not stop the socket (TriggerLimitBurst=0); MaxConnections is a hard
# ceiling; no failed or leftover handler units; a passphrase cached by one
# handler serves the next (KeyringMode=shared); with SSH_TPM_AGENT_SWTPM
# in the manager's environment the handlers pull in ssh-tpm-swtpm.service,
# which outlives them.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
. "$TEST_LIB/install.sh"
in_namespace "$@"
install_tree || exit 1
swtpm_start || exit 1
U=64170
AS="setpriv --reuid=$U --regid=$U --clear-groups"
chmod 0711 "$WORK"
chmod 0755 "$SWTPM_DIR"
chmod 0666 "$SWTPM_DIR/sock" "$SWTPM_DIR/sock.ctrl"
H=$WORK/home
RT=/run/user/$U
mkdir -p "$H/.ssh" "$RT" /run/systemd/system # the last: sd_booted() for systemd --user
chown "$U:$U" "$H" "$H/.ssh" "$RT"
chmod 0700 "$H/.ssh"
chmod 0700 "$RT"
# OpenSSH wants a passwd entry: one for the test uid, in this namespace.
cp /etc/passwd "$WORK/passwd" && cp /etc/group "$WORK/group"
echo "ta-user:x:$U:$U:test user:$H:/bin/sh" >> "$WORK/passwd"
echo "ta-user:x:$U:" >> "$WORK/group"
chmod 0644 "$WORK/passwd" "$WORK/group"
mount --bind "$WORK/passwd" /etc/passwd && mount --bind "$WORK/group" /etc/group || exit 1
UENV="env HOME=$H XDG_RUNTIME_DIR=$RT TSS2_LOG=all+NONE"
u() { $AS $UENV "$@"; }
uctl() { $AS $UENV systemctl --user "$@"; }

# --- a user manager of our own --------------------------------------------
CG=ta-user-manager-$$
for h in systemd unified; do
	[ -d "/sys/fs/cgroup/$h" ] || { fail "cgroup hierarchy /sys/fs/cgroup/$h" "missing: cannot run systemd --user"; finish; }
	mkdir "/sys/fs/cgroup/$h/$CG" && chown -R "$U:$U" "/sys/fs/cgroup/$h/$CG" || exit 1
done
manager_cleanup() {
	uctl exit >/dev/null 2>&1
	i=0
	while kill -0 "$MGR_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	for h in systemd unified; do
		for p in $(cat "/sys/fs/cgroup/$h/$CG"/cgroup.procs "/sys/fs/cgroup/$h/$CG"/*/cgroup.procs \
			"/sys/fs/cgroup/$h/$CG"/*/*/cgroup.procs 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
	wait "$MGR_PID" 2>/dev/null
	sleep 0.1
	for h in systemd unified; do
		find "/sys/fs/cgroup/$h/$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	# A swtpm a failed step let a tool start outside the manager.
	[ -f "$H/swtpm/swtpm.pid" ] && kill "$(cat "$H/swtpm/swtpm.pid")" 2>/dev/null
	kr=$(u keyctl search @u keyring "$KEYRING" 2>/dev/null) && u keyctl unlink "$kr" @u >/dev/null 2>&1
	return 0
}
KEYRING=ta-user-manager-$$
sh -c "echo \$\$ > /sys/fs/cgroup/systemd/$CG/cgroup.procs && echo \$\$ > /sys/fs/cgroup/unified/$CG/cgroup.procs &&
	exec $AS env -i HOME=$H XDG_RUNTIME_DIR=$RT PATH=/usr/local/bin:/usr/bin:/bin /lib/systemd/systemd --user" \
	>"$WORK/manager.log" 2>&1 &
MGR_PID=$!
add_cleanup manager_cleanup
i=0
until [ "$(uctl is-system-running 2>/dev/null)" = running ]; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$MGR_PID" 2>/dev/null; then
		fail "systemd --user starts" "$(cat "$WORK/manager.log")"
		finish
	fi
	sleep 0.05
done
ok "systemd --user runs for uid $U"
# LeakSanitizer (the ASan build) stops the world with ptrace, which the
# units' SystemCallFilter= forbids: it would fail every process at exit.
uctl set-environment SSH_TPM_AGENT_TCTI="$SWTPM_TCTI" TSS2_LOG=all+NONE SSH_TPM_AGENT_KEYRING="$KEYRING" \
	ASAN_OPTIONS=detect_leaks=0

# --- the manual's steps ---------------------------------------------------
u "$KEYGEN_BIN" -q -N '' -t ecdsa -C plain -f "$H/.ssh/id_ecdsa" </dev/null || exit 1
out=$(u "$AGENT_BIN" --install-user-units)
check_match "--install-user-units prints the systemctl line" \
	"^Enable with: systemctl --user enable --now ssh-tpm-agent.socket$" "$out"
line=$(printf '%s\n' "$out" | sed -n 's/^Enable with: //p')
# shellcheck disable=SC2086
out=$($AS $UENV $line 2>&1)
check_eq "'$line' as printed: exit 0" 0 $?
check_eq "the socket is active" active "$(uctl is-active ssh-tpm-agent.socket)"
check_eq "%t/ssh-tpm-agent.sock, 0600, the user's" "srw------- $U" "$(stat -c '%A %u' "$RT/ssh-tpm-agent.sock")"
check_eq "--print-socket names it" "$RT/ssh-tpm-agent.sock" "$(u "$AGENT_BIN" --print-socket)"
S=$RT/ssh-tpm-agent.sock
check_match "ssh-add -l through the socket" "SHA256:.* plain \(ECDSA\)" "$(u env SSH_AUTH_SOCK=$S ssh-add -l 2>&1)"
sign_as() { # SOCK PUB
	rm -f "$H/data.sig"
	u sh -c "echo payload > '$H/data' && SSH_AUTH_SOCK='$1' ssh-keygen -Y sign -q -n file -f '$2' '$H/data' &&
		ssh-keygen -Y check-novalidate -n file -f '$2' -s '$H/data.sig' < '$H/data'" >"$WORK/sign.out" 2>&1 || { cat "$WORK/sign.out" >&2; return 1; }
}
check "ssh-keygen -Y sign through it, verified" sign_as "$S" "$H/.ssh/id_ecdsa.pub"

# --- a burst: TriggerLimitBurst=0 -----------------------------------------
cat > "$WORK/burst.py" <<'PY'
import socket, struct, sys, threading, time
path, n = sys.argv[1], int(sys.argv[2])
ok = [0]
lock = threading.Lock()
def one():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(struct.pack(">IB", 1, 11))
    hdr = s.recv(4, socket.MSG_WAITALL)
    if len(hdr) == 4 and s.recv(1, socket.MSG_WAITALL) == b"\x0c":
        with lock:
            ok[0] += 1
    s.close()
def worker(k):
    for _ in range(k):
        try:
            one()
        except OSError:
            pass
t0 = time.time()
ts = [threading.Thread(target=worker, args=(n // 10,)) for _ in range(10)]
for t in ts: t.start()
for t in ts: t.join()
print(ok[0], "%.2f" % (time.time() - t0))
PY
read -r nok secs <<EOF2
$(u /usr/bin/python3 "$WORK/burst.py" "$S" 400)
EOF2
echo "# 400 connections in $secs s"
check_eq "a burst of 400 connections: all answered" 400 "$nok"
check_eq "... the socket still active (no trigger limit)" active "$(uctl is-active ssh-tpm-agent.socket)"
check_eq "... nothing refused" "NRefused=0" "$(uctl show -p NRefused ssh-tpm-agent.socket)"
check "... and it serves on" sign_as "$S" "$H/.ssh/id_ecdsa.pub"

# --- MaxConnections: a hard ceiling ---------------------------------------
max=$(sed -n 's/^MaxConnections=//p' "$SYSTEMD_USER_UNIT_DIR/ssh-tpm-agent.socket")
cat > "$WORK/hold.py" <<'PY'
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
held = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b"\0\0\0\1\x0b")       # each waits for its own handler
    s.recv(5, socket.MSG_WAITALL)
    held.append(s)
extra = socket.socket(socket.AF_UNIX)
extra.connect(path)
extra.settimeout(10)
try:
    extra.sendall(b"\0\0\0\1\x0b")
    got = extra.recv(5)
except OSError:
    got = b""
print("extra:", "refused" if not got else "served")
sys.stdout.flush()
time.sleep(float(sys.argv[3]))
PY
u /usr/bin/python3 "$WORK/hold.py" "$S" "$max" 3 > "$WORK/hold.out" 2>&1 &
HOLD=$!
i=0
until grep -q extra: "$WORK/hold.out" || [ $i -gt 1200 ]; do sleep 0.05; i=$((i + 1)); done
check_eq "$max live handlers: connection $((max + 1)) is dropped" "extra: refused" "$(cat "$WORK/hold.out")"
check_eq "... counted as refused" "NRefused=1" "$(uctl show -p NRefused ssh-tpm-agent.socket)"
check_eq "... and the socket stays up" active "$(uctl is-active ssh-tpm-agent.socket)"
wait $HOLD
i=0
while [ -n "$(uctl list-units --all --plain --no-legend 'ssh-tpm-agent@*' 2>/dev/null)" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
check_eq "afterwards: no handler unit left, none failed (CollectMode)" "" \
	"$(uctl list-units --all --plain --no-legend 'ssh-tpm-agent@*')"
check "... and it serves on" sign_as "$S" "$H/.ssh/id_ecdsa.pub"

# --- KeyringMode=shared: one handler's cached passphrase, the next's ------
u "$KEYGEN_BIN" -q -N 'pin-1234' -t ecdsa -C locked -f "$H/.ssh/id_locked" </dev/null || exit 1
printf 'pin-1234\n' > "$WORK/answer"
: > "$WORK/askpass.log"
chmod 0644 "$WORK/answer"
chmod 0666 "$WORK/askpass.log"
uctl set-environment SSH_ASKPASS="$SRC_DIR/tests/agent/askpass.sh" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
	ASKPASS_LOG="$WORK/askpass.log" ASKPASS_ANSWER="$WORK/answer"
check "a key with a passphrase signs (asked through askpass)" sign_as "$S" "$H/.ssh/id_locked.pub"
check_eq "... asked once" 1 "$(grep -c . "$WORK/askpass.log")"
check "a later handler signs with it" sign_as "$S" "$H/.ssh/id_locked.pub"
check_eq "... without asking: the first handler's cache is readable (KeyringMode=shared)" 1 \
	"$(grep -c . "$WORK/askpass.log")"
uctl unset-environment SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY ASKPASS_LOG ASKPASS_ANSWER

# --- SSH_TPM_LANDLOCK=1 in the manager's environment ----------------------
# The unit's SystemCallFilter= lets the handler restrict itself: its askpass
# (tests/agent/landlock-askpass.sh) cannot read a file the uid can read.
if [ "$(python3 -c 'import ctypes; print(max(ctypes.CDLL(None).syscall(444, None, 0, 1), 0))')" -gt 0 ]; then
	u "$KEYGEN_BIN" -q -N 'pin-ll-5678' -t ecdsa -C landlocked -f "$H/.ssh/id_ll" </dev/null || exit 1
	echo "planted-$$" > "$WORK/planted"
	chmod 0644 "$WORK/planted"
	LLOUT=$RT/ssh-tpm-agent/landlock-askpass.out
	uctl set-environment SSH_TPM_LANDLOCK=1 SSH_ASKPASS="$SRC_DIR/tests/agent/landlock-askpass.sh" \
		SSH_ASKPASS_REQUIRE=force DISPLAY=:0 PLANTED="$WORK/planted" WRITE_PROBE="$H/written" \
		ASKPASS_PIN=pin-ll-5678 ASKPASS_RESULT="$LLOUT"
	check "SSH_TPM_LANDLOCK=1 under the unit: a PIN key signs (asked through askpass)" \
		sign_as "$S" "$H/.ssh/id_ll.pub"
	check_eq "... whose askpass cannot read a planted file the uid may read" "planted=denied" \
		"$(grep -o 'planted=.*' "$LLOUT" 2>&1)"
	check_eq "... nor write in the uid's home" "write=denied" "$(grep -o 'write=.*' "$LLOUT" 2>&1)"
	check_eq "... and whose handler has no core limit (LimitCORE=0)" "core=0:0" "$(grep -o 'core=.*' "$LLOUT" 2>&1)"
	uctl unset-environment SSH_TPM_LANDLOCK SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY PLANTED WRITE_PROBE \
		ASKPASS_PIN ASKPASS_RESULT
else
	echo "# SKIPPED: no Landlock in kernel $(uname -r): SSH_TPM_LANDLOCK under the user unit"
fi

# --- the swtpm unit, pulled in by SSH_TPM_AGENT_SWTPM ---------------------
check_eq "without SSH_TPM_AGENT_SWTPM the swtpm unit does not run" inactive \
	"$(uctl is-active ssh-tpm-swtpm.service)"
check_eq "... its condition said no" "ConditionResult=no" "$(uctl show -p ConditionResult ssh-tpm-swtpm.service)"
SWD=$H/swtpm
uctl unset-environment SSH_TPM_AGENT_TCTI
uctl set-environment SSH_TPM_AGENT_SWTPM=1 SSH_TPM_AGENT_SWTPM_DIR="$SWD"
u env SSH_AUTH_SOCK="$S" ssh-add -l >/dev/null 2>&1
check_eq "with it, the first connection pulls in ssh-tpm-swtpm.service" active "$(uctl is-active ssh-tpm-swtpm.service)"
main=$(uctl show -p MainPID --value ssh-tpm-swtpm.service)
check_eq "... whose main process is the swtpm" "$(cat "$SWD/swtpm.pid" 2>/dev/null)" "$main"
u env -u SSH_TPM_AGENT_TCTI SSH_TPM_AGENT_SWTPM_DIR="$SWD" "$KEYGEN_BIN" --swtpm -q -N '' -C in-swtpm \
	-f "$H/.ssh/id_sw" </dev/null || exit 1
check "a key made in it signs through the handlers" sign_as "$S" "$H/.ssh/id_sw.pub"
check "... again, from another handler" sign_as "$S" "$H/.ssh/id_sw.pub"
check_eq "the swtpm outlived every handler (the same process)" "$main" \
	"$(uctl show -p MainPID --value ssh-tpm-swtpm.service)"
check_eq "... and only it runs on that state" "$main" "$(pgrep -f "tpmstate dir=$SWD" | paste -sd' ')"
uctl stop ssh-tpm-swtpm.service
check "stopping the unit stops the swtpm" sh -c "! kill -0 $main 2>/dev/null"
check "the next connection starts it again and the key still signs" sign_as "$S" "$H/.ssh/id_sw.pub"

# --- a fallback agent (-A) through a drop-in, as the README shows ---------
# Not through u(): a function in the background is a subshell, whose PID
# is not the agent's.
$AS $UENV ssh-agent -D -a "$RT/openssh.sock" >"$WORK/openssh-agent.log" 2>&1 &
OA=$!
oa_cleanup() { kill "$OA" 2>/dev/null; return 0; }
add_cleanup oa_cleanup
i=0
while [ ! -S "$RT/openssh.sock" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
u ssh-keygen -q -t rsa -b 2048 -N '' -C in-openssh-agent -f "$H/fb_rsa" </dev/null
u env SSH_AUTH_SOCK="$RT/openssh.sock" ssh-add -q "$H/fb_rsa"
rm -f "$H/fb_rsa"
mkdir -p "$H/.config/systemd/user/ssh-tpm-agent@.service.d"
printf '[Service]\nExecStart=\nExecStart=%s -A %%t/openssh.sock\n' "$AGENT_BIN" \
	> "$H/.config/systemd/user/ssh-tpm-agent@.service.d/fallback.conf"
chown -R "$U:$U" "$H/.config"
uctl daemon-reload
out=$(u env SSH_AUTH_SOCK="$S" ssh-add -l 2>&1)
check_match "with the -A drop-in: our keys are listed" "plain \(ECDSA\)" "$out"
check_eq "... and the fallback's after them" "in-openssh-agent (RSA)" "$(printf '%s\n' "$out" | tail -1 | cut -d' ' -f3-)"
check "... and signs through the handlers" sign_as "$S" "$H/fb_rsa.pub"
rm -r "$H/.config/systemd/user/ssh-tpm-agent@.service.d"
uctl daemon-reload
kill "$OA"

# --- control: what TriggerLimitBurst=0 prevents ---------------------------
# With any finite limit (here 50 per minute, so that a slow machine trips
# it too) the same burst stops the socket for good.
mkdir -p "$H/.config/systemd/user/ssh-tpm-agent.socket.d"
printf '[Socket]\nTriggerLimitIntervalSec=60s\nTriggerLimitBurst=50\n' \
	> "$H/.config/systemd/user/ssh-tpm-agent.socket.d/limit.conf"
chown -R "$U:$U" "$H/.config"
uctl daemon-reload
uctl restart ssh-tpm-agent.socket
u /usr/bin/python3 "$WORK/burst.py" "$S" 400 >/dev/null
check_eq "control: with a finite trigger limit the burst kills the socket" \
	"failed Result=trigger-limit-hit" "$(uctl is-active ssh-tpm-agent.socket) $(uctl show -p Result ssh-tpm-agent.socket)"
finish
