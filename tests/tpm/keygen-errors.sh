#!/bin/sh
# SPDX-License-Identifier: MIT
# Bad input to ssh-tpm-keygen: one clear line on stderr, non-zero exit, and
# no file created or changed.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1

"$KEYGEN" -q -N '' -C original -f exists
snap() { sha256sum exists.tpm exists.pub 2>&1; ls -A; }
before=$(snap)

# expect_fail NAME REGEX CMD...: non-zero exit, one stderr line matching
# REGEX, and the directory unchanged.
expect_fail() {
	name=$1 re=$2
	shift 2
	err=$("$@" 2>&1 >/dev/null </dev/null)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$name" "exit status 0"
		return
	fi
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$lines" -ne 1 ]; then
		fail "$name" "expected one line on stderr, got: $err"
		return
	fi
	if ! printf '%s\n' "$err" | grep -Eq -- "$re"; then
		fail "$name" "stderr [$err] does not match /$re/"
		return
	fi
	after=$(snap)
	if [ "$before" != "$after" ]; then
		fail "$name" "files changed: $after"
		return
	fi
	ok "$name"
}

expect_fail "unsupported -t" "unsupported key type 'ed25519'" "$KEYGEN" -N '' -t ed25519 -f new
expect_fail "unsupported -t dsa" "unsupported key type 'dsa'" "$KEYGEN" -N '' -t dsa -f new
expect_fail "bad ecdsa -b" "invalid -b 255 for ecdsa" "$KEYGEN" -N '' -t ecdsa -b 255 -f new
expect_fail "rsa -b too small" "invalid -b 1024 for rsa" "$KEYGEN" -N '' -t rsa -b 1024 -f new
expect_fail "rsa -b not supported by TPM" "rsa 4096 keys are not supported by this TPM" "$KEYGEN" -N '' -t rsa -b 4096 -f new
expect_fail "-b not a number" "invalid -b value 'lots'" "$KEYGEN" -N '' -b lots -f new
expect_fail "unknown option" "unknown option '--frobnicate'" "$KEYGEN" --frobnicate
expect_fail "missing option argument" "option '-f' needs an argument" "$KEYGEN" -f
expect_fail "stray argument" "unexpected argument 'extra'" "$KEYGEN" -N '' -f new extra

# Existing files, answer n (and no answer at all).
err=$(echo n | "$KEYGEN" -N '' -f exists 2>&1 >/dev/null)
rc=$?
check_eq "answer n: exit 1" 1 "$rc"
check_match "answer n: message" 'exists.tpm: not overwritten' "$err"
check_eq "answer n: files unchanged" "$before" "$(snap)"
expect_fail "no answer: not overwritten" 'not overwritten' "$KEYGEN" -N '' -f exists
# Only the .pub exists: still asks.
cp exists.pub lonely.pub
before=$(snap)
expect_fail "existing .pub alone: asks" 'lonely.tpm: not overwritten' "$KEYGEN" -N '' -f lonely
rm lonely.pub
before=$(snap)

# The second rename fails after the first (k.pub is a non-empty directory):
# the old key file comes back byte-for-byte, nothing else is left.
mkdir pair
"$KEYGEN" -q -N '' -f pair/k
rm pair/k.pub
mkdir pair/k.pub
touch pair/k.pub/keep
sum=$(sha256sum pair/k.tpm)
out=$(echo y | "$KEYGEN" -N '' -f pair/k 2>&1)
check_eq "failed .pub rename: exit 1" 1 "$?"
check_match "failed .pub rename: says so" "pair/k.pub|pair/k.tpm" "$out"
check_eq "failed .pub rename: old key restored" "$sum" "$(sha256sum pair/k.tpm)"
check_eq "failed .pub rename: no leftovers" "k.pub k.tpm" "$(ls -A pair | tr '\n' ' ' | sed 's/ $//')"
rm -rf pair
before=$(snap)

# Unwritable directory: a read-only bind mount (we run as root, so plain
# permissions would not stop us).
mkdir ro
before=$(snap)
before_ro=$(ls -A ro)
err=$(unshare --mount sh -c "mount --bind -o ro '$WORK/ro' '$WORK/ro' && exec '$KEYGEN' -N '' -f '$WORK/ro/k'" 2>&1)
rc=$?
check_match "read-only dir: exit" '^[1-9]' "$rc"
check_match "read-only dir: message names the file" "ro/k.tpm: cannot create file: Read-only file system" "$err"
check_eq "read-only dir: nothing created" "$before_ro" "$(ls -A ro)"
expect_fail "missing directory" "no-such-dir/k.tpm: cannot create file: No such file or directory" \
	"$KEYGEN" -N '' -f "$WORK/no-such-dir/k"

# No TPM reachable.
expect_fail "no TPM (bad socket)" "cannot reach the TPM \\(TCTI 'swtpm:path=/nonexistent/sock'\\)" \
	env SSH_TPM_AGENT_TCTI=swtpm:path=/nonexistent/sock "$KEYGEN" -N '' -f new
expect_fail "no TPM (--tcti)" "cannot reach the TPM \\(TCTI 'device:/dev/nonexistent-tpm'\\)" \
	"$KEYGEN" --tcti device:/dev/nonexistent-tpm -N '' -f new
expect_fail "no TPM (default TCTI)" "cannot reach the TPM" \
	env -u SSH_TPM_AGENT_TCTI -u TPM2TOOLS_TCTI -u SSH_TPM_AGENT_SWTPM "$KEYGEN" -N '' -f new
# With tabrmd's TCTI installed (bootstrap installs it to prove this) and
# no D-Bus, or a bus without tabrmd: still one clear line, no glib noise.
check "tabrmd TCTI installed" sh -c 'ls /usr/lib/*/libtss2-tcti-tabrmd.so.0 >/dev/null 2>&1'
NOTCTI="env -u SSH_TPM_AGENT_TCTI -u TPM2TOOLS_TCTI -u SSH_TPM_AGENT_SWTPM"
expect_fail "no TPM, a D-Bus address leading nowhere" "cannot reach the TPM" \
	$NOTCTI DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus "$KEYGEN" -N '' -f new
expect_fail "no TPM, --tcti tabrmd without a bus" "cannot reach the TPM \\(TCTI 'tabrmd'\\)" \
	$NOTCTI DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus "$KEYGEN" --tcti tabrmd -N '' -f new
cat > bus.conf <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$WORK/bus</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/><allow user="*"/></policy>
</busconfig>
CONF
dbus-daemon --config-file=bus.conf --nofork --nopidfile >/dev/null 2>&1 &
BUS=$!
bus_cleanup() { kill "$BUS" 2>/dev/null; wait "$BUS" 2>/dev/null; }
add_cleanup bus_cleanup
i=0; until [ -S "$WORK/bus" ] || [ $i -gt 250 ]; do i=$((i + 1)); sleep 0.02; done
before=$(snap)
expect_fail "no TPM, a D-Bus system bus without tabrmd" "cannot reach the TPM" \
	$NOTCTI DBUS_SYSTEM_BUS_ADDRESS=unix:path=$WORK/bus "$KEYGEN" -N '' -f new
out=$(cd "$WORK" && $NOTCTI DBUS_SYSTEM_BUS_ADDRESS=unix:path=$WORK/bus sh -c 'mkdir -p ak && chmod 700 ak && "$1" -q -N "" --tcti "$2" -f ak/k && cp ak/k.pub ak.pub && rm -f ak.tpm' x "$KEYGEN" "$SWTPM_TCTI" 2>&1)
check_eq "a key to ask the agent for" "" "$out"
printf 'payload\n' > data
err=$($NOTCTI DBUS_SYSTEM_BUS_ADDRESS=unix:path=$WORK/bus timeout 30 systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --inetd -l "$WORK/none.sock" \
	"$BUILD_DIR/handler/ssh-tpm-agent" --key-dir "$WORK/ak" 2>&1 >/dev/null &
	pid=$!; i=0; until [ -S "$WORK/none.sock" ] || [ $i -gt 250 ]; do i=$((i + 1)); sleep 0.02; done
	SSH_AUTH_SOCK=$WORK/none.sock ssh-keygen -Y sign -n file -f "$WORK/ak/k.pub" "$WORK/data" >/dev/null 2>&1
	kill $pid; wait $pid)
check_eq "agent, no TPM: no glib noise" "" "$(printf '%s\n' "$err" | grep -c CRITICAL | grep -v '^0$')"
check_match "agent, no TPM: says so" "cannot reach the TPM" "$err"
before=$(snap)

# Passphrases given twice, or before a bad option, are not leaked (each
# copy is wiped and freed).  valgrind cannot host the ASan build.
if ! ldd "$KEYGEN" | grep -q libasan; then
	for args in "-N a -N bb --tcti swtpm:path=/nonexistent/x --supported" "-N secretx --bogus" "-P old1 -P old2 -N x -p -f /nonexistent/k"; do
		# shellcheck disable=SC2086
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
			"$KEYGEN" $args >/dev/null 2>vg.out
		check "no leak: keygen $args" sh -c '[ $1 -ne 99 ]' x "$?"
	done
	rm -f vg.out
fi
before=$(snap)

expect_fail "no TPM: --supported" "cannot reach the TPM" \
	env SSH_TPM_AGENT_TCTI=swtpm:path=/nonexistent/sock "$KEYGEN" --supported

# Corrupt key files for --print-pubkey.
head -c 300 /dev/urandom > garbage.tpm
sed 's/TSS2 PRIVATE KEY/PRIVATE KEY/' exists.tpm > label.tpm
head -n 4 exists.tpm > cut.tpm; tail -n 1 exists.tpm >> cut.tpm
before=$(snap)
expect_fail "garbage key file" "garbage.tpm: not a PEM file" "$KEYGEN" --print-pubkey garbage.tpm
expect_fail "wrong PEM label" "label.tpm: PEM label is not 'TSS2 PRIVATE KEY'" "$KEYGEN" --print-pubkey label.tpm
expect_fail "truncated key file" "cut.tpm: (TSS2 key: ASN.1 structure is invalid|not a PEM file)" "$KEYGEN" --print-pubkey cut.tpm
expect_fail "missing key file" "nope.tpm: No such file or directory" "$KEYGEN" --print-pubkey nope.tpm
expect_fail "directory as key file" "ro: Is a directory" "$KEYGEN" --print-pubkey ro

finish
