#!/bin/sh
# SPDX-License-Identifier: MIT
# How the agent asks, like ssh(1): SSH_ASKPASS_REQUIRE never/prefer/force
# and DISPLAY/WAYLAND_DISPLAY, for a handler without a terminal.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
askpass_setup
mkdir keys
"$KEYGEN" -q -N modes-pass -C modes -f keys/k
answer modes-pass
n=0

mode() { # NAME EXPECT(asked|not) SIGN(ok|fail) ENV...
	name=$1 expect=$2 want=$3
	shift 3
	n=$((n + 1))
	: > "$ASKPASS_LOG"
	(
		unset SSH_ASKPASS_REQUIRE DISPLAY WAYLAND_DISPLAY
		export "$@"
		activate_pass "$WORK/m$n.sock" "m$n.log" --no-cache --key-dir "$WORK/keys" &&
			sign_ok "$WORK/m$n.sock" keys/k.pub
		echo $? > "m$n.rc"
		agent_cleanup
	) </dev/null
	if [ "$expect" = asked ]; then
		check_eq "$name: askpass used" 1 "$(askpass_calls)"
	else
		check_eq "$name: askpass not used" 0 "$(askpass_calls)"
	fi
	if [ "$want" = ok ]; then
		check_eq "$name: signs" 0 "$(cat "m$n.rc")"
	else
		check_match "$name: FAILURE" '^[1-9]' "$(cat "m$n.rc")"
	fi
}

mode "force, no display" asked ok SSH_ASKPASS_REQUIRE=force
mode "prefer, DISPLAY" asked ok SSH_ASKPASS_REQUIRE=prefer DISPLAY=:0
mode "prefer, no display" not fail SSH_ASKPASS_REQUIRE=prefer
mode "never, DISPLAY" not fail SSH_ASKPASS_REQUIRE=never DISPLAY=:0
mode "default, DISPLAY" asked ok DISPLAY=:0
mode "default, WAYLAND_DISPLAY" asked ok WAYLAND_DISPLAY=wayland-0
mode "default, no display" not fail TA_NOTHING=1
mode "missing askpass program" not fail SSH_ASKPASS_REQUIRE=force SSH_ASKPASS=/nonexistent/askpass
check_match "no way to ask: the log says what to set" \
	"SIGN_REQUEST .*cannot ask for the passphrase: no terminal, and the askpass program may not be used" "$(cat m7.log)"

finish
