#!/bin/sh
# SPDX-License-Identifier: MIT
# TCTI selection order (--tcti, --swtpm, SSH_TPM_AGENT_TCTI,
# SSH_TPM_AGENT_SWTPM, TPM2TOOLS_TCTI) and the --swtpm daemon.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
swtpm_start || exit 1
GOOD=$SWTPM_TCTI
BAD="swtpm:path=$WORK/nothing-here"
cd "$WORK" || exit 1
unset SSH_TPM_AGENT_TCTI TPM2TOOLS_TCTI SSH_TPM_AGENT_SWTPM

k() { "$KEYGEN" --supported >/dev/null 2>&1; }
check "--tcti beats SSH_TPM_AGENT_TCTI" env SSH_TPM_AGENT_TCTI="$BAD" "$KEYGEN" --tcti "$GOOD" --supported
check "SSH_TPM_AGENT_TCTI beats TPM2TOOLS_TCTI" env SSH_TPM_AGENT_TCTI="$GOOD" TPM2TOOLS_TCTI="$BAD" "$KEYGEN" --supported
check "TPM2TOOLS_TCTI used alone" env TPM2TOOLS_TCTI="$GOOD" "$KEYGEN" --supported
if env SSH_TPM_AGENT_TCTI="$BAD" TPM2TOOLS_TCTI="$GOOD" "$KEYGEN" --supported >/dev/null 2>&1; then
	fail "SSH_TPM_AGENT_TCTI is used first" "fell through to TPM2TOOLS_TCTI"
else
	ok "SSH_TPM_AGENT_TCTI is used first"
fi

# The lock for a swtpm sits next to its socket (shared by all its users).
check "swtpm lock file next to the socket" test -f "$SWTPM_DIR/sock.lock"

# --swtpm: a persistent daemon in a private directory, started once.
export SSH_TPM_AGENT_SWTPM_DIR="$WORK/swtpmd"
stop_daemon() {
	if [ -f "$SSH_TPM_AGENT_SWTPM_DIR/swtpm.pid" ]; then
		kill "$(cat "$SSH_TPM_AGENT_SWTPM_DIR/swtpm.pid")" 2>/dev/null
	fi
}
add_cleanup stop_daemon

out=$("$KEYGEN" --swtpm -N '' -C daemon -f d1 2>&1)
check_eq "--swtpm creates a key" 0 "$?"
check_match "--swtpm says it is a software TPM" "starting swtpm in $SSH_TPM_AGENT_SWTPM_DIR \\(a software TPM: keys are NOT protected by hardware\\)" "$out"
check_eq "daemon dir is 0700" 700 "$(stat -c %a "$SSH_TPM_AGENT_SWTPM_DIR")"
pid1=$(cat "$SSH_TPM_AGENT_SWTPM_DIR/swtpm.pid" 2>/dev/null)
check "daemon is running" kill -0 "$pid1"
out=$(SSH_TPM_AGENT_SWTPM=1 "$KEYGEN" -N '' -f d2 2>&1)
check_eq "SSH_TPM_AGENT_SWTPM uses the daemon" 0 "$?"
check_eq "daemon reused (no second start)" "" "$(printf '%s\n' "$out" | grep 'starting swtpm')"
check_eq "same daemon pid" "$pid1" "$(cat "$SSH_TPM_AGENT_SWTPM_DIR/swtpm.pid")"

# Keys made on the daemon load on it later (state persists across
# processes and a daemon restart): sign through tpm2-openssl.
echo msg > msg
ssh-keygen -e -m PKCS8 -f d1.pub > d1.spki
sign_d1() {
	TPM2OPENSSL_TCTI="swtpm:path=$SSH_TPM_AGENT_SWTPM_DIR/sock" openssl dgst \
		-provider tpm2 -provider default -propquery '?provider=tpm2' \
		-sha256 -sign d1.tpm -out d1.sig msg &&
		openssl dgst -sha256 -verify d1.spki -signature d1.sig msg
}
check "daemon key signs" sign_d1
kill "$pid1"
# The daemon is not our child: wait until its socket stops answering.
i=0
while [ -S "$SSH_TPM_AGENT_SWTPM_DIR/sock" ] && [ $i -lt 100 ] &&
	tpm2_getrandom -T "swtpm:path=$SSH_TPM_AGENT_SWTPM_DIR/sock" 4 >/dev/null 2>&1; do
	sleep 0.05
	i=$((i + 1))
done
out=$("$KEYGEN" --swtpm --supported 2>&1)
check_match "dead daemon is restarted" "starting swtpm" "$out"
check "key still signs after daemon restart" sign_d1

# Parallel first use starts exactly one daemon.
stop_daemon
sleep 0.2
export SSH_TPM_AGENT_SWTPM_DIR="$WORK/swtpmd2"
pids=""
for i in 1 2 3 4 5; do
	"$KEYGEN" --swtpm --supported > "par$i.out" 2>&1 &
	pids="$pids $!"
done
# Not a bare `wait`: that would also wait for this test's swtpm.
for p in $pids; do
	wait "$p"
done
check_eq "five parallel users, one daemon start" 1 "$(cat par*.out | grep -c 'starting swtpm')"
check_eq "five parallel users all served" 5 "$(cat par*.out | grep -c 'ecdsa bit lengths')"

# A squatted (not private) daemon directory is refused.
stop_daemon
export SSH_TPM_AGENT_SWTPM_DIR="$WORK/open"
mkdir -m 0755 "$SSH_TPM_AGENT_SWTPM_DIR"
if "$KEYGEN" --swtpm --supported >/dev/null 2>&1; then
	fail "non-private daemon dir refused" "accepted"
else
	ok "non-private daemon dir refused"
fi

finish
