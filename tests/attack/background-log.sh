#!/bin/sh
# SPDX-License-Identifier: MIT
# An agent gone to the background logs to syslog with facility AUTH and
# its pid, as ssh-agent does: when there is no journal, with its handlers
# under SSH_TPM_LANDLOCK (they restrict themselves after the socket to
# syslog is open), and when the journal's socket is there but refuses
# (journald gone: a message it does not take goes to syslog, not lost,
# not as LOG_USER).  syslog is a datagram socket at /dev/log of our own,
# in a private mount namespace with a /dev and a /run of its own.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
export SSH_TPM_AGENT_KEYRING="ta-bglog-$$-$(date +%s%N)"
add_cleanup keyring_cleanup
mkdir keys
"$KEYGEN" -q -N '' -C 'bg key' -f keys/k </dev/null || exit 1
fp=$(ssh-keygen -l -f keys/k.pub | cut -d' ' -f2)
re() { printf '%s' "$1" | sed 's/[+]/[+]/g'; }

cat > sign.py <<'PY'
import base64, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
blob = base64.b64decode(open(sys.argv[2]).read().split()[1])
st = lambda b: struct.pack(">I", len(b)) + b
s.sendall(st(b"\x0d" + st(blob) + st(b"data") + struct.pack(">I", 0)))
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
print(s.recv(n, socket.MSG_WAITALL)[0])
PY
# A syslog daemon: each datagram a line of the file.
cat > syslogd.py <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).replace(b"\n", b" ") + b"\n")
PY
cat > ns.sh <<'EOF'
set -u
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
mount -t tmpfs -o mode=0755 tmpfs /dev || exit 1
mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
	mknod -m 666 /dev/urandom c 1 9 && mknod -m 666 /dev/random c 1 8 || exit 1
python3 "$WORK/syslogd.py" "$WORK/syslog.txt" &
S=$!
C=
trap 'kill $C 2>/dev/null; kill -9 $S 2>/dev/null' EXIT
i=0
until [ -e "$WORK/syslog.txt.ready" ] || [ $i -gt 200 ]; do sleep 0.05; i=$((i + 1)); done
# bg NAME [ENV...]: an agent started for eval, one signature through it.
bg() {
	n=$1
	shift
	mkdir -m 0700 "$WORK/rt-$n"
	eval "$(env -u JOURNAL_STREAM -u INVOCATION_ID XDG_RUNTIME_DIR=$WORK/rt-$n "$@" "$AGENT" -s --key-dir "$WORK/keys")" >/dev/null
	C="$C $SSH_AGENT_PID"
	echo "$SSH_AGENT_PID" > "$WORK/$n.pid"
	python3 "$WORK/sign.py" "$SSH_AUTH_SOCK" "$WORK/keys/k.pub" > "$WORK/$n.sign"
	sleep 0.3
}
bg landlock SSH_TPM_LANDLOCK=1
# The journal's socket, with nobody behind it.
mkdir -p /run/systemd/journal
python3 -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind("/run/systemd/journal/socket")'
bg refused
EOF
AGENT=$AGENT WORK=$WORK timeout 60 unshare --mount --propagation private sh ns.sh
# <38>: facility AUTH (4), priority info (6).
for n in landlock refused; do
	case $n in
	landlock) what="no journal, handlers under Landlock" ;;
	refused) what="a journal socket that refuses" ;;
	esac
	pid=$(cat "$n.pid")
	check_eq "$what: the signature was made" 14 "$(cat "$n.sign")"
	check_match "... the agent's start in syslog, facility AUTH, with its pid" \
		"^<38>.* ssh-tpm-agent\\[$pid\\]: listening on $WORK/rt-$n/ssh-tpm-agent\\.sock\$" \
		"$(grep -a "rt-$n/" syslog.txt)"
	check_match "... the handler's audit line too" \
		"^<38>.* ssh-tpm-agent\\[[0-9]+\\]: audit: signed with $(re "$fp") \\(bg key\\) .*: ok\$" \
		"$(grep -a 'audit: ' syslog.txt | sed -n "$([ $n = landlock ] && echo 1 || echo 2)p")"
done
check_eq "two audit lines in all" 2 "$(grep -ac 'audit: ' syslog.txt)"
finish
