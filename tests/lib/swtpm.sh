# SPDX-License-Identifier: MIT
# swtpm.sh - sourced by shell tests: a private swtpm per test.
#
#   . "$TEST_LIB/swtpm.sh"
#   swtpm_start          # sets SWTPM_DIR, SWTPM_PID and exports the TCTIs
#   ...                  # the EXIT trap kills exactly that swtpm
#
# swtpm_start may be called more than once (e.g. a second TPM); every
# instance is killed by PID and its directory removed at exit.

SWTPM_PIDS=""
SWTPM_DIRS=""

swtpm_cleanup() {
	for p in $SWTPM_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $SWTPM_PIDS; do
		# swtpm was started by this shell: wait reaps it.
		wait "$p" 2>/dev/null
	done
	for d in $SWTPM_DIRS; do
		rm -rf "$d"
	done
	SWTPM_PIDS=""
	SWTPM_DIRS=""
}

swtpm_start() {
	SWTPM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/swtpm-test.XXXXXX")
	swtpm socket --tpm2 --tpmstate dir="$SWTPM_DIR" \
		--server type=unixio,path="$SWTPM_DIR/sock" \
		--ctrl type=unixio,path="$SWTPM_DIR/sock.ctrl" \
		--flags not-need-init,startup-clear \
		--log file="$SWTPM_DIR/log" >/dev/null 2>&1 &
	SWTPM_PID=$!
	SWTPM_PIDS="$SWTPM_PIDS $SWTPM_PID"
	SWTPM_DIRS="$SWTPM_DIRS $SWTPM_DIR"
	SWTPM_TCTI="swtpm:path=$SWTPM_DIR/sock"
	export SSH_TPM_AGENT_TCTI="$SWTPM_TCTI"
	export TPM2TOOLS_TCTI="$SWTPM_TCTI"
	export TPM2OPENSSL_TCTI="$SWTPM_TCTI"
	export TSS2_LOG=all+NONE
	i=0
	# Ready means a command round-trips, not that the socket exists.
	until [ -S "$SWTPM_DIR/sock" ] && tpm2_getrandom 4 >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 500 ] || ! kill -0 "$SWTPM_PID" 2>/dev/null; then
			echo "swtpm did not start in $SWTPM_DIR" >&2
			return 1
		fi
		sleep 0.01
	done
}
# swtpm_restart: the last swtpm stopped and started again on its state
# (a TPM reset: Startup(CLEAR)); the socket keeps its path (and mode).
swtpm_restart() {
	kill "$SWTPM_PID" && wait "$SWTPM_PID" 2>/dev/null
	swtpm socket --tpm2 --tpmstate dir="$SWTPM_DIR" \
		--server type=unixio,path="$SWTPM_DIR/sock" \
		--ctrl type=unixio,path="$SWTPM_DIR/sock.ctrl" \
		--flags not-need-init,startup-clear >/dev/null 2>&1 &
	SWTPM_PID=$!
	SWTPM_PIDS="$SWTPM_PIDS $SWTPM_PID"
	i=0
	until tpm2_getrandom 4 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 500 ] && return 1
		sleep 0.01
	done
}
add_cleanup swtpm_cleanup
