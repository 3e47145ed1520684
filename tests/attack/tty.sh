#!/bin/sh
# SPDX-License-Identifier: MIT
# Terminal prompts as another user attacks them (prompt-pty.py drives real ptys).
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
out=$(/usr/bin/python3 "$SRC_DIR/tests/attack/prompt-pty.py" "$KEYGEN" "$BUILD_DIR/handler/ssh-tpm-agent" "$WORK" 64131 2>&1)
echo "$out"
PASSED=$(echo "$out" | grep -c '^ok - ')
FAILED=$(echo "$out" | grep -c '^not ok - ')
# A crash of the driver itself counts as a failure.
echo "$out" | grep -q Traceback && FAILED=$((FAILED + 1))
finish
