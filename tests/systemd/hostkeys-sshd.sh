#!/bin/sh
# SPDX-License-Identifier: MIT
# TPM host keys end to end on swtpm: ssh-tpm-keygen -A -f PREFIX makes the
# ecdsa and rsa keys; ssh-tpm-hostkeys prints them and writes the sshd
# drop-in; a real sshd on 127.0.0.1 (PREFIX/etc/ssh bound over /etc/ssh in
# a private mount namespace) reads it and signs through the installed
# system handler behind systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept on
# /var/tmp/ssh-tpm-agent.sock: ssh-keyscan sees exactly the TPM keys, ssh
# logs in with StrictHostKeyChecking=yes for either algorithm and, with a
# CA-signed host certificate, trusting only the CA.  And sshd is never
# locked out: with the agent gone, sshd -t still finds its own keys.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
. "$TEST_LIB/install.sh"
in_namespace "$@"
install_tree || exit 1
swtpm_start || exit 1
cd "$WORK" || exit 1
SYSTEM_CMD=$(exec_start "$SYSTEMD_SYSTEM_UNIT_DIR/ssh-tpm-agent@.service")
HOST=$(hostname)

# --- ssh-tpm-keygen -A ----------------------------------------------------
P=$WORK/prefix
"$KEYGEN_BIN" -A -f "$P" 2>keygen.log
check_eq "-A exits 0" 0 $?
stamp='[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} INFO'
check_eq "-A logs each step as the manual shows" "4" "$(grep -cE "^$stamp " keygen.log)"
for t in ECDSA RSA; do
	l=$(echo "$t" | tr A-Z a-z)
	check_line "-A: 'Generating new $t host key'" keygen.log "Generating new $t host key" "^$stamp Generating new $t host key$"
	check_line "-A: 'Wrote ...$l...tpm'" keygen.log "Wrote" "^$stamp Wrote $P/etc/ssh/ssh_tpm_host_${l}_key.tpm$"
	for f in "$P/etc/ssh/ssh_tpm_host_${l}_key.tpm" "$P/etc/ssh/ssh_tpm_host_${l}_key.pub"; do
		check_eq "$f: mode 0600 (sshd reads the .pub as a key first)" 600 "$(stat -c %a "$f" 2>/dev/null)"
	done
	check_match "$l .pub: root@$HOST" " root@$HOST$" "$(cat "$P/etc/ssh/ssh_tpm_host_${l}_key.pub")"
done
check_match "the ecdsa host key is P-256" "^ecdsa-sha2-nistp256 " "$(cat "$P/etc/ssh/ssh_tpm_host_ecdsa_key.pub")"
check_match "the rsa host key is 2048 bits" "^2048 " "$(ssh-keygen -l -f "$P/etc/ssh/ssh_tpm_host_rsa_key.pub")"
sums=$(md5sum "$P"/etc/ssh/*)
out=$("$KEYGEN_BIN" -A -f "$P" 2>&1)
check_eq "-A again: exit 0, nothing to say" "0:" "$?:$out"
check_eq "-A again: nothing changed" "$sums" "$(md5sum "$P"/etc/ssh/*)"
rm "$P/etc/ssh/ssh_tpm_host_rsa_key.pub"
"$KEYGEN_BIN" -A -f "$P" 2>keygen2.log
check_eq "a lost .pub is written again from the .tpm (no new key)" "$sums" "$(md5sum "$P"/etc/ssh/*)"
check_match "... and said" "INFO Wrote public key $P/etc/ssh/ssh_tpm_host_rsa_key.pub" "$(cat keygen2.log)"

# --- ssh-tpm-hostkeys -----------------------------------------------------
out=$("$HOSTKEYS_BIN" -f "$P")
check_eq "ssh-tpm-hostkeys prints the host keys" "$(cat "$P/etc/ssh/ssh_tpm_host_ecdsa_key.pub" "$P/etc/ssh/ssh_tpm_host_rsa_key.pub")" "$out"
err=$("$HOSTKEYS_BIN" -f "$WORK/none" 2>&1)
check_match "no host keys: fails, saying what to do" "^1:ssh-tpm-hostkeys: no TPM host keys in $WORK/none/etc/ssh: create them with ssh-tpm-keygen -A$" "$?:$err"
err=$("$HOSTKEYS_BIN" --install-sshd-config -f "$WORK/none" 2>&1)
check_match "--install-sshd-config without keys: fails" "^1:.*no TPM host keys .* not written$" "$?:$err"
check "... and writes nothing" test ! -e "$WORK/none"

D=$P/etc/ssh/sshd_config.d/10-ssh-tpm-agent.conf
out=$("$HOSTKEYS_BIN" --install-sshd-config -f "$P" 2>dropin.err)
check_match "no software host keys: a warning says what that means" \
	"sshd has no host keys of its own in $P/etc/ssh: without the agent it cannot start .*run this again" "$(cat dropin.err)"
check_eq "--install-sshd-config" "Installed $D
Restart sshd: systemctl restart sshd" "$out"
check_eq "the drop-in: the agent and the TPM host keys" \
	"HostKeyAgent /var/tmp/ssh-tpm-agent.sock
HostKey /etc/ssh/ssh_tpm_host_ecdsa_key.pub
HostKey /etc/ssh/ssh_tpm_host_rsa_key.pub" "$(grep -v '^#' "$D")"
out=$("$HOSTKEYS_BIN" --install-sshd-config -f "$P")
check_eq "a second run changes nothing" "Unchanged $D" "$out"
mkdir -p "$WORK/ro/etc/ssh"
cp "$P"/etc/ssh/ssh_tpm_host_* "$WORK/ro/etc/ssh/"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/ro/etc/ssh/ssh_host_ed25519_key"
: > "$WORK/ro/etc/ssh/sshd_config.d"
err=$("$HOSTKEYS_BIN" --install-sshd-config -f "$WORK/ro" 2>&1 >/dev/null)
check_eq "an unwritable drop-in dir fails in one line naming the path" \
	"1:ssh-tpm-hostkeys: cannot install $WORK/ro/etc/ssh/sshd_config.d/10-ssh-tpm-agent.conf: Not a directory" "$?:$err"
for bad in 'bad path' "/a'b" '/a"b' '/a\b' 'relative.sock'; do
	err=$("$HOSTKEYS_BIN" --install-sshd-config -f "$P" -l "$bad" 2>&1)
	check_match "-l refuses what sshd_config cannot hold: $bad" "^ssh-tpm-hostkeys: invalid -l" "$err"
done
# FIFOs where files are read: nothing hangs (genkeys runs at boot).
FP=$WORK/fifo
mkdir -p "$FP/etc/ssh"
cp "$P"/etc/ssh/ssh_tpm_host_*_key.tpm "$P"/etc/ssh/ssh_tpm_host_*_key.pub "$FP/etc/ssh/"
mkfifo "$FP/etc/ssh/sshd_config" "$FP/etc/ssh/ssh_host_ecdsa_key.pub"
: > "$FP/etc/ssh/ssh_host_ecdsa_key"
ssh-keygen -q -t ed25519 -N '' -f "$FP/etc/ssh/ssh_host_ed25519_key"
timeout 20 "$HOSTKEYS_BIN" --install-sshd-config -f "$FP" >/dev/null 2>&1
check_eq "FIFOs as sshd_config and as a .pub: no hang" 0 $?
check_match "... the key behind the FIFO .pub counted as shadowed" "ssh_host_ecdsa_key is left out" \
	"$(cat "$FP/etc/ssh/sshd_config.d/10-ssh-tpm-agent.conf")"
# Another uid's directory on the way: refused (it could redirect the file).
OP=$WORK/owned
mkdir -p "$OP/etc"
cp -r "$FP/etc/ssh" "$OP/etc/ssh" 2>/dev/null
rm -f "$OP/etc/ssh/sshd_config" "$OP/etc/ssh/ssh_host_ecdsa_key.pub"
rm -rf "$OP/etc/ssh/sshd_config.d"
chown 64160 "$OP/etc/ssh"
err=$("$HOSTKEYS_BIN" --install-sshd-config -f "$OP" 2>&1)
check_match "a drop-in dir another uid could redirect: refused" "^1:.*$OP/etc/ssh" "$?:$err"
check "... nothing written" test ! -e "$OP/etc/ssh/sshd_config.d/10-ssh-tpm-agent.conf"
err=$("$KEYGEN_BIN" -A -f "$OP" 2>&1)
check_match "-A into a dir another uid owns: refused" "^1:.*$OP/etc/ssh" "$?:$err"

# A fleet CA signs the TPM ecdsa host key.
ssh-keygen -q -t ed25519 -N '' -C fleet-ca -f ca
ssh-keygen -q -s ca -I tpm-host -h -n 127.0.0.1 "$P/etc/ssh/ssh_tpm_host_ecdsa_key.pub"
out=$("$HOSTKEYS_BIN" --install-sshd-config -f "$P")
check_match "a host certificate changes the drop-in" "^Installed $D" "$out"
check_eq "... which names it after its key" \
	"HostKeyAgent /var/tmp/ssh-tpm-agent.sock
HostKey /etc/ssh/ssh_tpm_host_ecdsa_key.pub
HostCertificate /etc/ssh/ssh_tpm_host_ecdsa_key-cert.pub
HostKey /etc/ssh/ssh_tpm_host_rsa_key.pub" "$(grep -v '^#' "$D")"

# --- sshd with the drop-in, the system handler behind it ------------------
mount --bind "$P/etc/ssh" /etc/ssh || exit 1
# With a keyring of its own, as the unit gives it (apart from root's
# personal agents'); this test's copy of the name, removed at exit.
HOSTKEY_KEYRING=$(sed -n 's/^Environment=SSH_TPM_AGENT_KEYRING=//p' "$SYSTEMD_SYSTEM_UNIT_DIR/ssh-tpm-agent@.service")
HOSTKEY_KEYRING=${HOSTKEY_KEYRING:?the unit names no keyring}-test-$$
hostkey_keyring_cleanup() {
	kr=$(keyctl search @u keyring "$HOSTKEY_KEYRING" 2>/dev/null) && keyctl unlink "$kr" @u >/dev/null
}
add_cleanup hostkey_keyring_cleanup
(exec systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l /var/tmp/ssh-tpm-agent.sock -E SSH_TPM_AGENT_TCTI -E TSS2_LOG \
	-E SSH_TPM_AGENT_KEYRING="$HOSTKEY_KEYRING" $SYSTEM_CMD 2>handler.log) &
HANDLER_PID=$!
AGENT_PIDS="$AGENT_PIDS $HANDLER_PID"
wait_socket /var/tmp/ssh-tpm-agent.sock || exit 1

ssh-keygen -q -t ed25519 -N '' -C client -f client
cp client.pub authorized_keys
PORT=$(free_port) || exit 1
cat > sshd_config <<CFG
Include /etc/ssh/sshd_config.d/*.conf
Port $PORT
ListenAddress 127.0.0.1
PidFile none
AuthorizedKeysFile $WORK/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
LogLevel VERBOSE
CFG
check "sshd -t accepts the config with the drop-in" /usr/sbin/sshd -t -f sshd_config
/usr/sbin/sshd -D -e -f "$WORK/sshd_config" 2>sshd.log &
SSHD_PID=$!
SSHD_PIDS="$SSHD_PIDS $SSHD_PID"
i=0
until ss -Htln "sport = :$PORT" | grep -q .; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$SSHD_PID" 2>/dev/null; then
		cat sshd.log
		fail "sshd starts" "not listening"
		finish
	fi
	sleep 0.02
done
ok "sshd starts with the TPM host keys"

scan=$(ssh-keyscan -p "$PORT" 127.0.0.1 2>/dev/null | cut -d' ' -f2,3 | sort)
check_eq "ssh-keyscan returns exactly the TPM host keys" \
	"$(cat /etc/ssh/ssh_tpm_host_ecdsa_key.pub /etc/ssh/ssh_tpm_host_rsa_key.pub | cut -d' ' -f1,2 | sort)" "$scan"

login() { # KNOWN_HOSTS [ssh options...]
	kh=$1
	shift
	ssh -F /dev/null -i "$WORK/client" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o UserKnownHostsFile="$kh" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10 \
		"$@" -p "$PORT" root@127.0.0.1 echo logged-in
}
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 /etc/ssh/ssh_tpm_host_ecdsa_key.pub)" > kh_ecdsa
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 /etc/ssh/ssh_tpm_host_rsa_key.pub)" > kh_rsa
check_eq "login, known_hosts = the TPM ecdsa host key" logged-in \
	"$(login kh_ecdsa -o HostKeyAlgorithms=ecdsa-sha2-nistp256 2>login.err)"
for alg in rsa-sha2-256 rsa-sha2-512; do
	check_eq "login, known_hosts = the TPM rsa host key ($alg)" logged-in \
		"$(login kh_rsa -o HostKeyAlgorithms=$alg 2>>login.err)"
done
echo "@cert-authority [127.0.0.1]:$PORT $(cut -d' ' -f1,2 ca.pub)" > kh_ca
out=$(login kh_ca -v -o HostKeyAlgorithms=ecdsa-sha2-nistp256-cert-v01@openssh.com 2>ca.err)
check_eq "login trusting only the CA (host certificate)" logged-in "$out"
check_match "... with the TPM key's certificate" "Server host certificate: ecdsa-sha2-nistp256-cert-v01@openssh.com" "$(cat ca.err)"
ssh-keygen -q -t ecdsa -N '' -f impostor
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 impostor.pub)" > kh_wrong
if login kh_wrong -o HostKeyAlgorithms=ecdsa-sha2-nistp256 >/dev/null 2>&1; then
	fail "a known_hosts with another key refuses the server" "login succeeded"
else
	ok "a known_hosts with another key refuses the server"
fi
check_match "the handler signed for sshd" "Connection from PID [0-9]+/UID 0" "$(cat handler.log)"
kill "$SSHD_PID"
wait "$SSHD_PID" 2>/dev/null

# --- never locked out -----------------------------------------------------
# sshd's own keys next to the TPM keys: the drop-in keeps them listed.
P2=$WORK/prefix2
mkdir -p "$P2/etc/ssh"
ssh-keygen -A -f "$P2" || exit 1
cp "$P"/etc/ssh/ssh_tpm_host_* "$P2/etc/ssh/"
rm "$P2"/etc/ssh/*-cert.pub
"$HOSTKEYS_BIN" --install-sshd-config -f "$P2" >/dev/null
# Those of an algorithm a TPM key has are left out: sshd would sign with
# them while announcing the TPM key (seen here as "incorrect signature").
check_eq "with sshd's own keys: those of other algorithms stay listed" \
	"HostKeyAgent /var/tmp/ssh-tpm-agent.sock
HostKey /etc/ssh/ssh_tpm_host_ecdsa_key.pub
HostKey /etc/ssh/ssh_tpm_host_rsa_key.pub
HostKey /etc/ssh/ssh_host_ed25519_key" "$(grep -v '^#' "$P2/etc/ssh/sshd_config.d/10-ssh-tpm-agent.conf")"
check_match "... and the drop-in says why the others are not" \
	"ssh_host_ecdsa_key is left out: a TPM key has its algorithm" "$(cat "$P2/etc/ssh/sshd_config.d/10-ssh-tpm-agent.conf")"
P3=$WORK/prefix3
mkdir -p "$P3/etc/ssh"
cp "$P"/etc/ssh/ssh_tpm_host_*_key.* "$P3/etc/ssh/"
ssh-keygen -q -t rsa -N '' -f "$P3/etc/ssh/ssh_host_rsa_key"
err=$("$HOSTKEYS_BIN" --install-sshd-config -f "$P3" 2>&1)
check_match "only an rsa key of sshd's own: refused (it would have none without the agent)" \
	"^1:.*none can stay listed.*Create one first .*not written$" "$?:$err"
check "... nothing written" test ! -e "$P3/etc/ssh/sshd_config.d"
ssh-keygen -q -t ecdsa -b 384 -N '' -f "$P3/etc/ssh/ssh_host_ecdsa_key"
"$HOSTKEYS_BIN" --install-sshd-config -f "$P3" >/dev/null
check_match "a P-384 ecdsa key of sshd's own is another algorithm: listed" \
	"^HostKey /etc/ssh/ssh_host_ecdsa_key$" "$(cat "$P3/etc/ssh/sshd_config.d/10-ssh-tpm-agent.conf")"
umount /etc/ssh && mount --bind "$P2/etc/ssh" /etc/ssh || exit 1
# With the agent up, the TPM key is the one sshd uses for ecdsa.
/usr/sbin/sshd -D -e -f "$WORK/sshd_config" 2>sshd2.log &
SSHD_PID=$!
SSHD_PIDS="$SSHD_PIDS $SSHD_PID"
i=0
until ss -Htln "sport = :$PORT" | grep -q . || [ $i -gt 300 ]; do i=$((i + 1)); sleep 0.02; done
check_eq "both kinds listed: ssh-keyscan -t ecdsa gets the TPM key" \
	"$(cut -d' ' -f1,2 /etc/ssh/ssh_tpm_host_ecdsa_key.pub)" \
	"$(ssh-keyscan -t ecdsa -p "$PORT" 127.0.0.1 2>/dev/null | cut -d' ' -f2,3)"
check_eq "... and logins with it work" logged-in "$(login kh_ecdsa -o HostKeyAlgorithms=ecdsa-sha2-nistp256 2>/dev/null)"
kill "$SSHD_PID"
wait "$SSHD_PID" 2>/dev/null
# The agent gone.
kill "$HANDLER_PID"
wait "$HANDLER_PID" 2>/dev/null
rm -f /var/tmp/ssh-tpm-agent.sock
out=$(/usr/sbin/sshd -t -f sshd_config 2>&1)
check_eq "agent socket absent: sshd -t still passes on its own keys" 0 $?
check_match "... having tried the agent" "Could not connect to agent|Unable to load host key" "$out"
hk=$(/usr/sbin/sshd -T -f sshd_config 2>/dev/null | grep '^hostkey ' | sort)
check_eq "... and finds its own key" "hostkey /etc/ssh/ssh_host_ed25519_key" "$(printf '%s\n' "$hk" | grep -v ssh_tpm_host)"
# Why: a drop-in with only the TPM keys locks sshd out when the agent is
# down (documents the choice; this is the first prefix's drop-in).
umount /etc/ssh && mount --bind "$P/etc/ssh" /etc/ssh || exit 1
out=$(/usr/sbin/sshd -t -f sshd_config 2>&1)
check_match "TPM keys alone and no agent: sshd refuses to start (hence the listed keys)" \
	"no hostkeys available" "$out"
finish
