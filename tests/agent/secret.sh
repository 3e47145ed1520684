#!/bin/sh
# SPDX-License-Identifier: MIT
# The Secret Service cache (--cache secret) against a private
# gnome-keyring-daemon on a private session bus: stored, found by the next
# handler, listed by secret-tool, expiring; without a bus: a warning and
# no cache.
if [ -z "${TA_IN_DBUS:-}" ]; then
	TA_IN_DBUS=1 exec dbus-run-session -- sh "$0" "$@"
fi
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
export HOME="$WORK/home" XDG_RUNTIME_DIR="$WORK/run"
mkdir -p -m 0700 "$HOME" "$XDG_RUNTIME_DIR"
printf 'keyring-unlock' | gnome-keyring-daemon --foreground --unlock --components=secrets >gkd.out 2>gkd.err &
GKD_PID=$!
stop_gkd() { kill "$GKD_PID" 2>/dev/null; wait "$GKD_PID" 2>/dev/null; }
add_cleanup stop_gkd
# First wait until OUR daemon owns the name: asking earlier would make the
# bus auto-start a second, locked gnome-keyring from its service file.
secrets_owner() {
	dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
		awk '/uint32/ {print $2}'
}
i=0
until [ "$(secrets_owner)" = "$GKD_PID" ]; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$GKD_PID" 2>/dev/null; then
		echo "gnome-keyring-daemon did not take org.freedesktop.secrets" >&2
		exit 1
	fi
	sleep 0.05
done
# Ready means the unlocked default collection takes a secret.
i=0
until printf x | secret-tool store --label=probe ta-probe 1 >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		echo "gnome-keyring-daemon not ready" >&2
		exit 1
	fi
	sleep 0.05
done
secret-tool clear ta-probe 1

PASS=secret-pass-5Tz
mkdir keys
"$KEYGEN" -q -N "$PASS" -C secret-key -f keys/s
fp=$(ssh-keygen -l -f keys/s.pub | cut -d' ' -f2)
answer "$PASS"

act() { # SOCK LOG ARGS...
	sock=$1 log=$2
	shift 2
	setsid systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$sock" -E SSH_TPM_AGENT_TCTI -E TSS2_LOG \
		-E SSH_ASKPASS -E SSH_ASKPASS_REQUIRE -E DISPLAY -E ASKPASS_LOG \
		-E ASKPASS_ANSWER -E SSH_TPM_AGENT_KEYRING -E DBUS_SESSION_BUS_ADDRESS \
		-E XDG_RUNTIME_DIR "$AGENT" -d "$@" 2>"$log" &
	AGENT_PIDS="$AGENT_PIDS $!"
	wait_socket "$sock"
}
act "$WORK/s.sock" s.log --cache secret --key-dir "$WORK/keys" || exit 1
check "sign (secret cache, asked)" sign_ok "$WORK/s.sock" keys/s.pub
check "sign again (next handler)" sign_ok "$WORK/s.sock" keys/s.pub
check_eq "asked once: the next handler found the secret" 1 "$(askpass_calls)"
found=$(secret-tool search --all fingerprint "$fp" 2>&1)
check_match "secret-tool lists it with a recognisable label" "label = ssh-tpm-agent: passphrase for secret-key \\(SHA256:" "$found"
check "label has the fingerprint" sh -c "printf '%s' \"\$1\" | grep -qF \"$fp\"" x "$found"
check_match "stored secret carries an expiry" "^[0-9]+ $PASS\$" "$(secret-tool lookup fingerprint "$fp")"
check_eq "the kernel keyring was not used" "" "$(cached_id "$fp")"
items() { # COLLECTION: the object paths of its items
	dbus-send --session --print-reply --dest=org.freedesktop.secrets \
		"/org/freedesktop/secrets/collection/$1" org.freedesktop.DBus.Properties.Get \
		string:org.freedesktop.Secret.Collection string:Items 2>&1 | grep -o 'object path "[^"]*"'
}
check_match "stored in the in-memory session collection" "collection/session/" "$(items session)"
check_eq "nothing in the on-disk login collection" "" "$(items login)"

# Expiry: a short lifetime, then asked again.
secret-tool clear fingerprint "$fp"
: > "$ASKPASS_LOG"
act "$WORK/t.sock" t.log --cache secret --cache-timeout 1 --key-dir "$WORK/keys" || exit 1
check "sign (1 s lifetime)" sign_ok "$WORK/t.sock" keys/s.pub
sleep 2
check "sign after expiry" sign_ok "$WORK/t.sock" keys/s.pub
check_eq "expired secret: asked again" 2 "$(askpass_calls)"

# No session bus: a warning, signing still works, nothing cached.
: > "$ASKPASS_LOG"
(
	unset DBUS_SESSION_BUS_ADDRESS
	act "$WORK/n.sock" n.log --cache secret --key-dir "$WORK/keys" &&
		sign_ok "$WORK/n.sock" keys/s.pub && sign_ok "$WORK/n.sock" keys/s.pub
	echo $? > nobus.rc
	agent_cleanup
)
check_eq "without a bus: signing works" 0 "$(cat nobus.rc)"
check_eq "without a bus: asked every time" 2 "$(askpass_calls)"
check_match "without a bus: warned" "passphrase cache \\(secret\\) unavailable, not caching" "$(cat n.log)"
check_eq "no passphrase in logs or files" "" "$(grep -rlF "$PASS" "$WORK" --exclude=askpass.answer)"

finish
