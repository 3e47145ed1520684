# SPDX-License-Identifier: MIT
# agent.sh - sourced by agent tests: start our agent in its modes, make
# keys, run sshd.  Every process is killed by PID at exit.
AGENT="$BUILD_DIR/handler/ssh-tpm-agent"

# keys_make DIR: ecdsa 256/384/521 and rsa 2048 keys (comment = name),
# plus a certificate for the ecdsa-256 key signed by a throwaway CA.
keys_make() {
	mkdir -p "$1"
	"$KEYGEN" -q -N '' -t ecdsa -b 256 -C ecdsa256 -f "$1/ecdsa256" || return 1
	"$KEYGEN" -q -N '' -t ecdsa -b 384 -C ecdsa384 -f "$1/ecdsa384" || return 1
	"$KEYGEN" -q -N '' -t ecdsa -b 521 -C ecdsa521 -f "$1/ecdsa521" || return 1
	"$KEYGEN" -q -N '' -t rsa -b 2048 -C rsa2048 -f "$1/rsa2048" || return 1
	ssh-keygen -q -t ed25519 -N '' -C test-ca -f "$WORK/ca" || return 1
	ssh-keygen -q -s "$WORK/ca" -I cert-id -n root "$1/ecdsa256.pub" || return 1
	ssh-keygen -q -s "$WORK/ca" -I cert-id -n root "$1/rsa2048.pub" || return 1
}

AGENT_PIDS=""
agent_cleanup() {
	for p in $AGENT_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $AGENT_PIDS; do
		wait "$p" 2>/dev/null
	done
	AGENT_PIDS=""
}
add_cleanup agent_cleanup

# wait_socket PATH: until something accepts connections on PATH.
wait_socket() {
	i=0
	while [ $i -lt 300 ]; do
		if [ -S "$1" ]; then
			SSH_AUTH_SOCK="$1" ssh-add -l >/dev/null 2>&1
			# 0: identities, 1: none; 2: cannot connect.
			[ $? -le 1 ] && return 0
		fi
		i=$((i + 1))
		sleep 0.02
	done
	echo "no agent on $1" >&2
	return 1
}

# agent_start SOCK LOG ARGS...: standalone agent; sets AGENT_PID.
agent_start() {
	sock=$1 log=$2
	shift 2
	"$AGENT" -l "$sock" "$@" 2>"$log" &
	AGENT_PID=$!
	AGENT_PIDS="$AGENT_PIDS $AGENT_PID"
	wait_socket "$sock"
}

# activate_start MODE SOCK LOG ARGS...: our agent behind
# systemd-socket-activate; MODE is accept (Accept=yes), listen (Accept=no)
# or inetd.
activate_start() {
	mode=$1 sock=$2 log=$3
	shift 3
	case $mode in
	accept) flag=--accept ;;
	inetd) flag=--inetd ;;
	listen) flag= ;;
	esac
	# shellcheck disable=SC2086
	systemd-socket-activate $flag -l "$sock" -E SSH_TPM_AGENT_TCTI -E SSH_TPM_AGENT_KEYRING \
		-E TSS2_LOG -E XDG_RUNTIME_DIR "$AGENT" "$@" 2>"$log" &
	AGENT_PID=$!
	AGENT_PIDS="$AGENT_PIDS $AGENT_PID"
	wait_socket "$sock"
}

# free_port: a TCP port on 127.0.0.1 below the ephemeral range, unused.
free_port() {
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
	for _ in $(seq 1 50); do
		p=$(( (($$ * 7919 + $(date +%N | sed 's/^0*//') ) % (low - 20000)) + 20000 ))
		if [ -z "$(ss -Htan "sport = :$p")" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

SSHD_PIDS=""
sshd_cleanup() {
	for p in $SSHD_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $SSHD_PIDS; do
		wait "$p" 2>/dev/null
	done
}
add_cleanup sshd_cleanup

# sshd_start AUTHORIZED_KEYS [HOSTKEY_LINES]: sshd on 127.0.0.1:$SSHD_PORT
# in a private mount namespace (for /run/sshd); host key in $WORK/hostkey
# (known_hosts has it), unless HOSTKEY_LINES (sshd_config lines) say other.
sshd_start() {
	[ -f "$WORK/hostkey" ] || ssh-keygen -q -t ecdsa -N '' -f "$WORK/hostkey"
	SSHD_PORT=$(free_port) || return 1
	cat > "$WORK/sshd_config" <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
${2:-HostKey $WORK/hostkey}
PidFile none
AuthorizedKeysFile $1
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
LogLevel VERBOSE
CFG
	unshare --mount --propagation private sh -c \
		"mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec /usr/sbin/sshd -D -e -f '$WORK/sshd_config'" \
		2>"$WORK/sshd.log" &
	SSHD_PID=$!
	SSHD_PIDS="$SSHD_PIDS $SSHD_PID"
	echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1-2 "$WORK/hostkey.pub")" > "$WORK/known_hosts"
	i=0
	until ss -Htln "sport = :$SSHD_PORT" | grep -q .; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$SSHD_PID" 2>/dev/null; then
			echo "sshd did not start" >&2
			cat "$WORK/sshd.log" >&2
			return 1
		fi
		sleep 0.02
	done
}

# ssh_login SOCK PUBKEY [extra ssh options...]: run `true` on the test sshd.
ssh_login() {
	sock=$1 pub=$2
	shift 2
	ssh -F /dev/null -o IdentityAgent="$sock" -o IdentitiesOnly=yes \
		-o IdentityFile="$pub" -o UserKnownHostsFile="$WORK/known_hosts" \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10 \
		"$@" -p "$SSHD_PORT" root@127.0.0.1 true
}

# Passphrase tests: our askpass, a private keyring name, cleanup of it.
ASKPASS="$SRC_DIR/tests/agent/askpass.sh"
askpass_setup() {
	export SSH_ASKPASS="$ASKPASS" SSH_ASKPASS_REQUIRE=force DISPLAY=:0
	export ASKPASS_LOG="$WORK/askpass.log" ASKPASS_ANSWER="$WORK/askpass.answer"
	: > "$ASKPASS_LOG"
	# A keyring the test named before is still cleaned up at exit.
	TA_KEYRINGS="${TA_KEYRINGS:-} ${SSH_TPM_AGENT_KEYRING:-}"
	export SSH_TPM_AGENT_KEYRING="ta-test-$$-$(date +%s%N)"
	add_cleanup keyring_cleanup
}
# Unlink every keyring this test used (our agents' records live there).
keyring_cleanup() {
	for n in ${TA_KEYRINGS:-} ${SSH_TPM_AGENT_KEYRING:-}; do
		kr=$(keyctl search @u keyring "$n" 2>/dev/null) &&
			keyctl unlink "$kr" @u >/dev/null 2>&1
	done
	return 0
}
# Drop the saved TPM contexts (keys' and SRKs') from the agent's keyring
# (SSH_TPM_AGENT_KEYRING, else the default one): the next signature loads
# its key from the file again.
contexts_drop() {
	kr=$(keyctl search @u keyring "${SSH_TPM_AGENT_KEYRING:-ssh-tpm-agent}" 2>/dev/null) || return 0
	for k in $(keyctl rlist "$kr"); do
		case $(keyctl rdescribe "$k" 2>/dev/null) in
		*";ssh-tpm-agent:tpm-context:key-"* | *";ssh-tpm-agent:tpm-context:srk-"*)
			keyctl unlink "$k" "$kr" >/dev/null ;;
		esac
	done
	return 0
}
# How many saved contexts the agent's keyring holds.
contexts_count() {
	kr=$(keyctl search @u keyring "${SSH_TPM_AGENT_KEYRING:-ssh-tpm-agent}" 2>/dev/null) || { echo 0; return; }
	n=0
	for k in $(keyctl rlist "$kr"); do
		case $(keyctl rdescribe "$k" 2>/dev/null) in *";ssh-tpm-agent:tpm-context:key-"*) n=$((n + 1)) ;; esac
	done
	echo $n
}
askpass_calls() { grep -c . "$ASKPASS_LOG"; }
answer() { printf '%s\n' "$1" > "$ASKPASS_ANSWER"; }
# The cached entry's key id, or nothing.
cached_id() { # FINGERPRINT
	kr=$(keyctl search @u keyring "$SSH_TPM_AGENT_KEYRING" 2>/dev/null) || return 0
	keyctl search "$kr" user "ssh-tpm-agent:passphrase:$1" 2>/dev/null
}
# Activated agent that passes on what the passphrase machinery needs; -d
# always, so the tests show that no passphrase reaches the debug log.
activate_pass() { # SOCK LOG ARGS...
	sock=$1 log=$2
	shift 2
	# setsid: no controlling terminal, as under systemd (and no prompt on
	# the terminal of whoever runs the tests).
	setsid systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$sock" -E SSH_TPM_AGENT_TCTI -E TSS2_LOG \
		-E SSH_ASKPASS -E SSH_ASKPASS_REQUIRE -E DISPLAY -E ASKPASS_LOG \
		-E ASKPASS_ANSWER -E SSH_TPM_AGENT_KEYRING -E SSH_TPM_AGENT_OWNER_PASSWORD \
		-E WAYLAND_DISPLAY -E TCTI_PCAP_FILE "$AGENT" -d "$@" 2>"$log" &
	AGENT_PID=$!
	AGENT_PIDS="$AGENT_PIDS $AGENT_PID"
	wait_socket "$sock"
}
# sign_ok SOCK PUB: ssh-keygen -Y sign through the agent, then verify.
sign_ok() {
	rm -f "$WORK/data.sig"
	echo "payload" > "$WORK/data"
	SSH_AUTH_SOCK=$1 ssh-keygen -Y sign -n file -f "$2" "$WORK/data" >/dev/null 2>&1 &&
		ssh-keygen -Y check-novalidate -n file -f "$2" -s "$WORK/data.sig" < "$WORK/data" >/dev/null 2>&1
}
# TPM_PT_LOCKOUT_COUNTER (failed authorizations counted by the TPM).
lockout_counter() {
	printf '%d\n' "$(tpm2_getcap properties-variable | awk '/TPM2_PT_LOCKOUT_COUNTER/ {print $2}')"
}
