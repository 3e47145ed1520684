#!/bin/sh
# SPDX-License-Identifier: MIT
# The installed @.service command lines, run as written behind
# systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept (what systemd does with Accept=yes),
# against a private swtpm: the user handler serves ~/.ssh, the system one
# /etc/ssh (the test's, bound over the real one in a private mount
# namespace) on /var/tmp/ssh-tpm-agent.sock; ssh-add -l and ssh-keygen -Y
# sign + verify through each; the system handler refuses a non-root peer,
# the user handler another uid.  The swtpm unit's command line starts one
# swtpm that handlers of SSH_TPM_AGENT_SWTPM share and that keeps the keys
# across its restarts.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
. "$TEST_LIB/install.sh"
in_namespace "$@"
install_tree || exit 1
swtpm_start || exit 1
cd "$WORK" || exit 1
chmod 0711 "$WORK"
USER_CMD=$(exec_start "$SYSTEMD_USER_UNIT_DIR/ssh-tpm-agent@.service")
SYSTEM_CMD=$(exec_start "$SYSTEMD_SYSTEM_UNIT_DIR/ssh-tpm-agent@.service")
SWTPM_CMD=$(exec_start "$SYSTEMD_USER_UNIT_DIR/ssh-tpm-swtpm.service")
check_eq "user handler's command line" "$INSTALL_BINDIR/ssh-tpm-agent" "$USER_CMD"
check_eq "system handler's command line" "$INSTALL_BINDIR/ssh-tpm-agent --key-dir /etc/ssh" "$SYSTEM_CMD"

# serve SOCK LOG [ENV=VALUE...] -- CMD...: the command line behind
# systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept, its stderr (the journal) in LOG.
serve() {
	sock=$1 log=$2
	shift 2
	envs=""
	while [ "$1" != -- ]; do envs="$envs -E $1"; shift; done
	shift
	# shellcheck disable=SC2086
	(exec systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$sock" -E SSH_TPM_AGENT_TCTI -E TSS2_LOG -E SSH_TPM_AGENT_KEYRING \
		$envs "$@" 2>"$log") &
	AGENT_PIDS="$AGENT_PIDS $!"
	wait_socket "$sock" || return 1
	# Open to everyone (systemd-socket-activate makes it 0644): the
	# handler's own peer check is what refuses.
	chmod 0666 "$sock"
}

# --- the user handler: ~/.ssh of $HOME ------------------------------------
H=$WORK/home
mkdir -p "$H/.ssh"
"$KEYGEN_BIN" -q -N '' -t ecdsa -C user-ecdsa -f "$H/.ssh/id_ecdsa" || exit 1
"$KEYGEN_BIN" -q -N '' -t rsa -C user-rsa -f "$H/.ssh/id_rsa" || exit 1
# shellcheck disable=SC2086
serve "$WORK/user.sock" "$WORK/user.log" HOME="$H" -- $USER_CMD || exit 1
out=$(SSH_AUTH_SOCK=$WORK/user.sock ssh-add -l)
check_match "user handler lists ~/.ssh/id_ecdsa" "SHA256:.* user-ecdsa \(ECDSA\)" "$out"
check_match "user handler lists ~/.ssh/id_rsa" "SHA256:.* user-rsa \(RSA\)" "$out"
check "user handler signs (ecdsa), the signature verifies" sign_ok "$WORK/user.sock" "$H/.ssh/id_ecdsa.pub"
check "user handler signs (rsa), the signature verifies" sign_ok "$WORK/user.sock" "$H/.ssh/id_rsa.pub"
# systemd proper names the fd "connection"; systemd-socket-activate leaves
# the name empty unless told: both work.
# shellcheck disable=SC2086
serve "$WORK/named.sock" "$WORK/named.log" HOME="$H" -- --fdname=connection $USER_CMD || exit 1
check "with LISTEN_FDNAMES=connection too" sign_ok "$WORK/named.sock" "$H/.ssh/id_ecdsa.pub"

# As the user's own handler (uid A), it refuses uid B.
A=64152 B=64153
AH=$WORK/ahome
mkdir -p "$AH/.ssh"
cp "$H/.ssh/id_ecdsa.pub" "$H/.ssh/id_ecdsa.tpm" "$AH/.ssh/"
chown -R "$A:$A" "$AH"
mkdir -m 0777 "$WORK/open"
# shellcheck disable=SC2086
(exec setpriv --reuid=$A --regid=$A --clear-groups systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept \
	-l "$WORK/open/a.sock" -E HOME="$AH" $USER_CMD -d 2>"$WORK/a.log") &
AGENT_PIDS="$AGENT_PIDS $!"
wait_socket "$WORK/open/a.sock" || exit 1
chmod 0666 "$WORK/open/a.sock"
out=$(SSH_AUTH_SOCK=$WORK/open/a.sock setpriv --reuid=$A --regid=$A --clear-groups ssh-add -l 2>&1)
check_match "uid A's handler serves uid A" "user-ecdsa \(ECDSA\)" "$out"
out=$(SSH_AUTH_SOCK=$WORK/open/a.sock setpriv --reuid=$B --regid=$B --clear-groups ssh-add -l 2>&1)
# ssh-add: 1 ("error fetching identities"), or SIGPIPE when our close wins.
check_match "uid A's handler refuses uid B" '^(1|141)$' $?
check_line "... and says so" "$WORK/a.log" "refusing connection" "uid $B \(only uid $A and root"
case $out in *user-ecdsa*) fail "uid B sees no key" "$out" ;; *) ok "uid B sees no key" ;; esac

# --- the system handler: /etc/ssh, for sshd (root) ------------------------
P=$WORK/prefix
"$KEYGEN_BIN" -A -f "$P" 2>"$WORK/keygen-A.log" || { cat "$WORK/keygen-A.log"; exit 1; }
mount --bind "$P/etc/ssh" /etc/ssh || exit 1
# shellcheck disable=SC2086
serve /var/tmp/ssh-tpm-agent.sock "$WORK/system.log" -- $SYSTEM_CMD || exit 1
out=$(SSH_AUTH_SOCK=/var/tmp/ssh-tpm-agent.sock ssh-add -L | cut -d' ' -f1,2 | sort)
check_eq "system handler lists exactly the host keys" \
	"$(cat /etc/ssh/ssh_tpm_host_*_key.pub | cut -d' ' -f1,2 | sort)" "$out"
check "system handler signs with the ecdsa host key" sign_ok /var/tmp/ssh-tpm-agent.sock /etc/ssh/ssh_tpm_host_ecdsa_key.pub
check "system handler signs with the rsa host key" sign_ok /var/tmp/ssh-tpm-agent.sock /etc/ssh/ssh_tpm_host_rsa_key.pub
out=$(SSH_AUTH_SOCK=/var/tmp/ssh-tpm-agent.sock setpriv --reuid=64154 --regid=64154 --clear-groups ssh-add -l 2>&1)
check_match "system handler refuses a non-root peer" '^(1|141)$' $?
check_line "... and says so" "$WORK/system.log" "refusing connection" "uid 64154 \(only uid 0 and root"

# --- the swtpm unit's command line ----------------------------------------
SW=$WORK/swtpm-unit
check_eq "swtpm unit's command line" "$INSTALL_BINDIR/ssh-tpm-agent --start-swtpm" "$SWTPM_CMD"
swtpm_unit_cleanup() {
	[ -f "$SW/swtpm.pid" ] && kill "$(cat "$SW/swtpm.pid")" 2>/dev/null
	return 0
}
add_cleanup swtpm_unit_cleanup
# shellcheck disable=SC2086
env -u SSH_TPM_AGENT_TCTI SSH_TPM_AGENT_SWTPM=1 SSH_TPM_AGENT_SWTPM_DIR="$SW" $SWTPM_CMD 2>"$WORK/start.log"
check_eq "--start-swtpm exits 0 once swtpm answers" 0 $?
pid1=$(cat "$SW/swtpm.pid" 2>/dev/null)
check "... and the daemon runs" kill -0 "${pid1:-0}"
check "... with the shared TPM lock ready for sandboxed handlers" test -f "$SW/sock.lock"
env -u SSH_TPM_AGENT_TCTI SSH_TPM_AGENT_SWTPM_DIR="$SW" "$KEYGEN_BIN" --swtpm -q -N '' -C swtpm-key -f "$WORK/sw_ecdsa" || exit 1
mkdir -p "$WORK/swkeys"
mv "$WORK/sw_ecdsa.tpm" "$WORK/sw_ecdsa.pub" "$WORK/swkeys/"
# SSH_TPM_AGENT_SWTPM as the manager's environment passes it on.
# shellcheck disable=SC2086
(exec env -u SSH_TPM_AGENT_TCTI systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$WORK/sw.sock" \
	-E SSH_TPM_AGENT_SWTPM=1 -E SSH_TPM_AGENT_SWTPM_DIR="$SW" -E TSS2_LOG -E SSH_TPM_AGENT_KEYRING \
	$USER_CMD --key-dir "$WORK/swkeys" 2>"$WORK/sw.log") &
AGENT_PIDS="$AGENT_PIDS $!"
wait_socket "$WORK/sw.sock" || exit 1
for i in 1 2 3; do
	check "handler $i signs with the unit's swtpm" sign_ok "$WORK/sw.sock" "$WORK/swkeys/sw_ecdsa.pub"
done
check_eq "... which is still the one swtpm (no handler started its own)" \
	"$pid1" "$(pgrep -f "tpmstate dir=$SW" | paste -sd' ')"
env -u SSH_TPM_AGENT_TCTI SSH_TPM_AGENT_SWTPM_DIR="$SW" $SWTPM_CMD 2>>"$WORK/start.log"
check_eq "a second --start-swtpm leaves the running one" "$pid1" "$(cat "$SW/swtpm.pid")"
# The unit stopped and started again: the keys still work.
kill "$pid1"
i=0
while kill -0 "$pid1" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
env -u SSH_TPM_AGENT_TCTI SSH_TPM_AGENT_SWTPM_DIR="$SW" $SWTPM_CMD 2>>"$WORK/start.log"
pid2=$(cat "$SW/swtpm.pid")
check "a restarted swtpm is a new process" test "$pid2" != "$pid1"
check "the key made before the restart still signs" sign_ok "$WORK/sw.sock" "$WORK/swkeys/sw_ecdsa.pub"
finish
