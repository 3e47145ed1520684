#!/bin/sh
# SPDX-License-Identifier: MIT
# The kernel keyring unavailable (here: a non-root user whose key quota is
# exhausted, so the agent cannot create its keyring): the agent warns and
# works uncached -- asking every time -- instead of failing.  Also runs the
# whole agent as a non-root user.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
mkdir keys
"$KEYGEN" -q -N quota-pass -C quota -f keys/k
answer quota-pass
# Let uid 65534 reach the TPM, read the key and write the askpass log.
chmod 0755 "$WORK" "$SWTPM_DIR" keys
chmod 0666 "$SWTPM_DIR/sock" "$SWTPM_DIR/sock.ctrl" "$ASKPASS_LOG"
chmod 0644 keys/k.tpm "$ASKPASS_ANSWER"

unfill() { $NOBODY keyctl clear @u >/dev/null 2>&1; rm -rf /tmp/ssh-tpm-agent-65534; }
add_cleanup unfill
unfill
# Fill uid 65534's key quota (maxkeys: tiny payloads, so the count runs out).
$NOBODY sh -c 'i=0; while keyctl add user "f$i" x @u >/dev/null 2>&1; do i=$((i + 1)); [ $i -gt 5000 ] && break; done'
if $NOBODY keyctl add keyring probe "" @u >/dev/null 2>&1; then
	fail "quota exhausted" "a keyring could still be created"
else
	ok "quota exhausted"
fi

mkdir "$WORK/nb"
chown 65534:65534 "$WORK/nb"
sock=$WORK/nb/agent.sock
$NOBODY env -u XDG_RUNTIME_DIR setsid systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$sock" \
	-E SSH_TPM_AGENT_TCTI -E TSS2_LOG -E SSH_ASKPASS -E SSH_ASKPASS_REQUIRE -E DISPLAY \
	-E ASKPASS_LOG -E ASKPASS_ANSWER -E SSH_TPM_AGENT_KEYRING \
	"$AGENT" -D --key-dir "$WORK/keys" 2>nobody.log &
AGENT_PIDS="$AGENT_PIDS $!"
i=0
until [ -S "$sock" ] || [ $i -gt 200 ]; do i=$((i + 1)); sleep 0.02; done
# The socket belongs to uid 65534: sign as that user.
nsign() {
	rm -f "$WORK/data.sig"
	echo payload > "$WORK/data"
	chmod 0666 "$WORK/data"
	chmod 0777 "$WORK"
	$NOBODY env SSH_AUTH_SOCK="$sock" ssh-keygen -Y sign -n file -f keys/k.pub "$WORK/data" >"$WORK/nsign.out" 2>&1 &&
		ssh-keygen -Y check-novalidate -n file -f keys/k.pub -s "$WORK/data.sig" < "$WORK/data" >/dev/null 2>&1
}
check "non-root agent, no keyring: first signature" nsign
check "non-root agent, no keyring: second signature" nsign
check_eq "uncached: asked every time" 2 "$(askpass_calls)"
check_match "warned that the cache is unavailable" \
	"passphrase cache \\(keyring\\) unavailable, not caching" "$(cat nobody.log)"

check_eq "one warning per handler, not per attempt" 2 "$(grep -c 'cache (keyring) unavailable' nobody.log)"

finish
