#!/bin/sh
# SPDX-License-Identifier: MIT
# Test askpass: logs each prompt to $ASKPASS_LOG and answers with the
# content of $ASKPASS_ANSWER ("CANCEL" -> exit 1, like a cancelled dialog).
printf '%s\n' "$1" >> "$ASKPASS_LOG"
answer=$(cat "$ASKPASS_ANSWER")
[ "$answer" = CANCEL ] && exit 1
printf '%s\n' "$answer"
