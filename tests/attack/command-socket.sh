#!/bin/sh
# SPDX-License-Identifier: MIT
# The agent's own socket for ssh-tpm-agent COMMAND and its background
# forms, started the careless ways: with standard descriptors closed, so
# that the listening socket could take one of their numbers.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/agent.sh"
cd "$WORK" || exit 1
mkdir -m 0700 rt home
mkdir empty
export HOME=$WORK/home
export SSH_TPM_AGENT_KEYRING="ta-cmdsock-$$-$(date +%s%N)"
add_cleanup keyring_cleanup
# run ARGS...: the agent as a user starts it by hand (no socket named).
run() {
	env -u INVOCATION_ID -u SSH_TPM_AUTH_SOCK XDG_RUNTIME_DIR=$WORK/rt timeout 20 "$AGENT" "$@"
}

# Started with stdin and stdout closed (from a daemon, a cron job, by
# hand with <&- >&-): its socket must not be the number COMMAND's agent
# then points at /dev/null, or it spins on accept() and floods its log.
run -D --key-dir "$WORK/empty" sh -c 'ssh-add -l >/dev/null 2>&1; echo "rc=$?" >&2' <&- >&- 2>closed.err
check_match "stdin and stdout closed: COMMAND reaches the agent" "^rc=1$" "$(grep '^rc=' closed.err)"
check_eq "... which never accepts on a non-socket" 0 "$(grep -c 'accept:' closed.err)"
check_eq "... and ends with COMMAND, its directory gone" "ssh-tpm-agent" "$(ls rt)"
finish
