#!/bin/sh
# SPDX-License-Identifier: MIT
# The askpass of tests/agent/landlock.sh.  Says on stderr (the log of the
# program that runs it) what it could do, each as "landlock-askpass: X=Y":
#   planted  read $PLANTED, a file outside what SSH_TPM_LANDLOCK allows,
#            with the shell's own redirection (no program run for it)
#   write    create $WRITE_PROBE, next to it
#   exec     run /bin/true (only this script and its interpreter may run)
#   core     the core-file limit of the program that runs it (its parent)
# then answers with $ASKPASS_PIN.
if IFS= read -r line < "$PLANTED"; then
	echo "landlock-askpass: planted=read:$line" >&2
else
	echo "landlock-askpass: planted=denied" >&2
fi
if (: > "$WRITE_PROBE") 2>/dev/null; then
	echo "landlock-askpass: write=ok" >&2
else
	echo "landlock-askpass: write=denied" >&2
fi
if /bin/true 2>/dev/null; then
	echo "landlock-askpass: exec=ok" >&2
else
	echo "landlock-askpass: exec=denied" >&2
fi
while IFS= read -r l; do
	case $l in
	"Max core file size"*) set -- $l; echo "landlock-askpass: core=$5:$6" >&2 ;;
	esac
done < "/proc/$PPID/limits"
printf '%s\n' "$ASKPASS_PIN"
