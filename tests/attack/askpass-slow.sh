#!/bin/sh
# SPDX-License-Identifier: MIT
# Test askpass that takes its time, like a dialog nobody answers: records
# its pid and its child's in $ASKPASS_PIDS, waits $ASKPASS_DELAY seconds,
# then answers with the content of $ASKPASS_ANSWER.
printf '%s\n' "$1" >> "$ASKPASS_LOG"
sleep "${ASKPASS_DELAY:-600}" &
printf '%s %s\n' "$$" "$!" >> "$ASKPASS_PIDS"
wait
cat "$ASKPASS_ANSWER"
