#!/bin/sh
# SPDX-License-Identifier: MIT
# SO_PEERCRED: a client of another uid is refused even when the socket's
# mode would let it connect; root and our own uid are served.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir keys
"$KEYGEN" -q -N '' -C k -f keys/k
chmod 0711 "$WORK"

for mode in standalone accept; do
	sock=$WORK/$mode.sock
	if [ $mode = standalone ]; then
		agent_start "$sock" "$WORK/$mode.log" --key-dir "$WORK/keys" || exit 1
	else
		activate_start accept "$sock" "$WORK/$mode.log" --key-dir "$WORK/keys" || exit 1
	fi
	# Open the socket to everyone: only the peer check stands in the way.
	chmod 0666 "$sock"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		env SSH_AUTH_SOCK="$sock" ssh-add -l 2>&1)
	rc=$?
	# ssh-add exits 1 ("error fetching identities"), or dies of SIGPIPE
	# when our close wins the race with its write.
	check_match "$mode: other uid: ssh-add fails" '^(1|2|141)$' "$rc"
	fp=$(ssh-keygen -l -f keys/k.pub | cut -d' ' -f2)
	if printf '%s\n' "$out" | grep -qF "$fp"; then
		fail "$mode: other uid: nothing listed" "$out"
	else
		ok "$mode: other uid: nothing listed"
	fi
	check_match "$mode: refusal logged" "refusing connection from pid [0-9]+ uid 65534" "$(cat "$WORK/$mode.log")"
	check_eq "$mode: root still served" "$(ssh-keygen -l -f keys/k.pub)" "$(SSH_AUTH_SOCK=$sock ssh-add -l 2>&1)"
done

# The standalone socket is created 0600.
agent_start "$WORK/fresh.sock" "$WORK/fresh.log" --key-dir "$WORK/keys" || exit 1
check_eq "socket mode 0600" 600 "$(stat -c %a "$WORK/fresh.sock")"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	env SSH_AUTH_SOCK="$WORK/fresh.sock" ssh-add -l 2>&1)
check_eq "other uid cannot even connect to a 0600 socket" 2 "$?"

finish
