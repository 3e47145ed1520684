#!/bin/sh
# SPDX-License-Identifier: MIT
# The askpass of tests/agent/landlock.sh (and of the SSH_TPM_LANDLOCK
# check in tests/systemd/user-manager.sh).  Says what it could do, each as
# "landlock-askpass: X=Y", on stderr (the log of the program that runs it)
# and, when ASKPASS_RESULT is set, in that file (a unit's stderr is the
# journal; the runtime dir is writable under SSH_TPM_LANDLOCK):
#   planted  read $PLANTED, a file outside what SSH_TPM_LANDLOCK allows,
#            with the shell's own redirection (no program run for it)
#   write    create $WRITE_PROBE, next to it
#   exec     run /bin/true (only this script and its interpreter may run)
#   core     the core-file limit of the program that runs it (its parent)
# then answers with $ASKPASS_PIN.
say() {
	echo "landlock-askpass: $1" >&2
	if [ -n "${ASKPASS_RESULT:-}" ]; then
		echo "landlock-askpass: $1" >> "$ASKPASS_RESULT"
	fi
}
if IFS= read -r line < "$PLANTED"; then
	say "planted=read:$line"
else
	say "planted=denied"
fi
if (: > "$WRITE_PROBE") 2>/dev/null; then
	say "write=ok"
else
	say "write=denied"
fi
if /bin/true 2>/dev/null; then
	say "exec=ok"
else
	say "exec=denied"
fi
while IFS= read -r l; do
	case $l in
	"Max core file size"*) set -- $l; say "core=$5:$6" ;;
	esac
done < "/proc/$PPID/limits"
printf '%s\n' "$ASKPASS_PIN"
