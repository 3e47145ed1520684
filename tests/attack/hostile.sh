#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile clients, bounded: a request sent a byte at a time or stalled
# after its first bytes, and replies never read, end their own handler
# once the frame bound is over (short here: SSH_TPM_AGENT_FRAME_TIMEOUT_MS),
# in every entry mode, while ssh-add is served all along; an idle client
# between requests is not cut off.  The -l listener runs at most
# SSH_TPM_AGENT_MAX_CONNECTIONS handlers (more wait for a slot, and are
# served when one frees), and logs a handler killed by a signal.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir keys
"$KEYGEN" -q -N '' -C k -f keys/k
want=$(ssh-keygen -l -f keys/k.pub)
HC="/usr/bin/python3 $SRC_DIR/tests/attack/hostile-client.py"

BG=""
bg_cleanup() {
	for p in $BG; do kill "$p" 2>/dev/null; done
	for p in $BG; do wait "$p" 2>/dev/null; done
	BG=""
}
add_cleanup bg_cleanup

# in_range NAME LOW HIGH VALUE: LOW <= VALUE <= HIGH (decimals).
in_range() {
	echo "# $1: $4"
	if printf '%s\n' "$4" | grep -Eqx '[0-9]+(\.[0-9]+)?' &&
		awk -v v="$4" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 >= lo && v + 0 <= hi) }'; then
		ok "$1"
	else
		fail "$1" "[$4] not in $2 .. $3"
	fi
}

# served_start SOCK NAME: ssh-add -l against SOCK in a loop until
# served_stop, one line per try in NAME.served ("ok", or what went wrong).
served_start() {
	: > "$2.served"
	rm -f "$2.stop"
	(
		while [ ! -e "$2.stop" ]; do
			out=$(SSH_AUTH_SOCK=$1 timeout 5 ssh-add -l 2>&1)
			if [ "$out" = "$want" ]; then echo ok; else echo "failed: $out"; fi
			sleep 0.1
		done >> "$2.served"
	) &
	SERVED_PID=$!
	BG="$BG $SERVED_PID"
}
# served_stop NAME MIN: stop the loop; every try was served, at least MIN.
served_stop() {
	touch "$1.stop"
	wait "$SERVED_PID"
	check_eq "$1: ssh-add served throughout" "" "$(grep -v '^ok$' "$1.served" | head -n 3)"
	in_range "$1: ssh-add tries during the attacks" "$2" 100000 "$(grep -c '^ok$' "$1.served")"
}

# The slow clients, against SOCK; the agent's log is LOG.
attacks() {
	sock=$1 name=$2
	# One byte every 250 ms: each read makes progress, the frame is 21
	# bytes, yet it is cut off 1 s after its first byte.
	out=$($HC trickle "$sock" 250)
	check_match "$name: trickled request: closed" "^closed " "$out"
	in_range "$name: trickled request: closed after the 1 s bound" 0.9 4 "$(echo "$out" | cut -d' ' -f2)"
	in_range "$name: trickled request: cut off mid-frame" 1 10 "$(echo "$out" | cut -d' ' -f3)"
	# A length (100 bytes) and one byte of body, then nothing.
	out=$($HC stall "$sock" 0000006401)
	in_range "$name: stalled body: closed after the 1 s bound" 0.9 4 "$(echo "$out" | sed -n 's/^closed //p')"
	# One byte of the length, then nothing.
	out=$($HC stall "$sock" 00)
	in_range "$name: stalled length: closed after the 1 s bound" 0.9 4 "$(echo "$out" | sed -n 's/^closed //p')"
	# Requests sent, replies never read.
	out=$($HC noread "$sock")
	check_match "$name: unread replies: closed" "^closed " "$out"
	in_range "$name: unread replies: closed after the 1 s bound" 0.9 5 "$(echo "$out" | cut -d' ' -f2)"
	echo "# $name: unread replies: closed this long after the last request the agent took: $(echo "$out" | cut -d' ' -f3)"
	in_range "$name: unread replies: the agent took requests until its replies filled the socket" 50 10000000 "$(echo "$out" | cut -d' ' -f4)"
}

# The standalone listener (-l): one forked handler per connection.
export SSH_TPM_AGENT_FRAME_TIMEOUT_MS=1000
agent_start "$WORK/l.sock" l.log --key-dir "$WORK/keys" || exit 1
served_start "$WORK/l.sock" listener
attacks "$WORK/l.sock" listener
# Idle between requests (1.5 s each, over the frame bound): served.
check_eq "listener: idle client between requests: not cut off" "answered 12 12" "$($HC idle "$WORK/l.sock" 1.5)"
served_stop listener 10
check_eq "listener: slow requests logged" 3 \
	"$(grep -c 'did not send the rest of a request within 1000 ms of its first byte: closing' l.log)"
check_eq "listener: unread replies logged" 1 \
	"$(grep -c 'has not read its replies (one waited 1000 ms to be sent): closing' l.log)"
check_eq "listener: serves after the attacks" "$want" "$(SSH_AUTH_SOCK=$WORK/l.sock ssh-add -l 2>&1)"
check_eq "listener: no handler died of a signal" 0 "$(grep -c 'was killed by signal' l.log)"
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null

# Accept=yes (connection on fd 3) and inetd (stdin/stdout): the same
# handler, the same bounds.
for mode in accept inetd; do
	systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --$mode -l "$WORK/$mode.sock" -E SSH_TPM_AGENT_TCTI \
		-E SSH_TPM_AGENT_FRAME_TIMEOUT_MS -E XDG_RUNTIME_DIR -E SSH_TPM_AGENT_KEYRING \
		"$AGENT" --key-dir "$WORK/keys" 2>"$mode.log" &
	AGENT_PID=$!
	AGENT_PIDS="$AGENT_PIDS $AGENT_PID"
	wait_socket "$WORK/$mode.sock" || exit 1
	served_start "$WORK/$mode.sock" "$mode"
	attacks "$WORK/$mode.sock" "$mode"
	served_stop "$mode" 5
	check_eq "$mode: slow requests logged" 3 \
		"$(grep -c 'did not send the rest of a request within 1000 ms' "$mode.log")"
	check_eq "$mode: unread replies logged" 1 "$(grep -c 'has not read its replies' "$mode.log")"
	kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
done
unset SSH_TPM_AGENT_FRAME_TIMEOUT_MS

# The default bound is 10 s: a stalled request is still open after 3 s.
agent_start "$WORK/d.sock" d.log --key-dir "$WORK/keys" || exit 1
$HC stall "$WORK/d.sock" 0000006401 > d.out &
STALL_PID=$!
BG="$BG $STALL_PID"
sleep 3
check_eq "default bound: a stalled request is not cut off within 3 s" "" "$(cat d.out)"
kill "$STALL_PID"
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null

# At most SSH_TPM_AGENT_MAX_CONNECTIONS handlers: two held connections,
# a third waits (not refused) and is served when one of them closes.
export SSH_TPM_AGENT_MAX_CONNECTIONS=2
# (ASan's own SIGSEGV handler would turn the kill below into an abort.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0" \
	agent_start "$WORK/c.sock" c.log --key-dir "$WORK/keys" || exit 1
out=$($HC cap "$WORK/c.sock" 2)
check_eq "cap 2: a third connection waits" waiting "$(echo "$out" | head -n 1)"
in_range "cap 2: ... and is served once a slot frees" 0 3 "$(echo "$out" | sed -n 's/^served //p')"
check_match "cap 2: logged" "2 handlers running, the most at once \\(SSH_TPM_AGENT_MAX_CONNECTIONS\\): new connections wait until one ends" "$(cat c.log)"
# Real clients: two connections held, ssh-add waits; a handler killed by
# SIGSEGV frees its slot and is logged with its pid and signal.
for i in 1 2; do
	$HC hold "$WORK/c.sock" > "hold$i.out" &
	BG="$BG $!"
done
for _ in $(seq 1 250); do
	[ "$(cat hold1.out hold2.out | grep -c '^held$')" -eq 2 ] && break
	sleep 0.02
done
check_eq "cap 2: two connections held" 2 "$(cat hold1.out hold2.out | grep -c '^held$')"
check_eq "cap 2: two handlers running" 2 "$(pgrep -P "$AGENT_PID" | wc -l)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat"; }
before=$(cpu_ticks)
SSH_AUTH_SOCK=$WORK/c.sock timeout 2 ssh-add -l >/dev/null 2>&1
check_eq "cap 2: ssh-add is not served while both are held" 124 "$?"
check_eq "cap 2: still two handlers" 2 "$(pgrep -P "$AGENT_PID" | wc -l)"
in_range "cap 2: the waiting listener does not spin (CPU ticks in 2 s)" 0 20 "$(( $(cpu_ticks) - before ))"
victim=$(pgrep -P "$AGENT_PID" | head -n 1)
kill -SEGV "$victim"
for _ in $(seq 1 250); do
	grep -q "handler pid $victim was killed" c.log && break
	sleep 0.02
done
check_match "killed handler: logged with its pid and signal" \
	"ssh-tpm-agent: handler pid $victim was killed by signal 11 \\(Segmentation fault\\)" "$(cat c.log)"
check_eq "killed handler: the only one logged" 1 "$(grep -c 'was killed by signal' c.log)"
for _ in $(seq 1 250); do
	grep -q '^closed$' hold1.out hold2.out && break
	sleep 0.02
done
check_eq "killed handler: its client sees the close" 1 "$(cat hold1.out hold2.out | grep -c '^closed$')"
check_eq "killed handler: its slot serves ssh-add" "$want" \
	"$(SSH_AUTH_SOCK=$WORK/c.sock timeout 10 ssh-add -l 2>&1)"
bg_cleanup
check_eq "cap 2: serves after the held ones end" "$want" \
	"$(SSH_AUTH_SOCK=$WORK/c.sock timeout 10 ssh-add -l 2>&1)"
check_eq "cap 2: the listener is still running" 0 "$(kill -0 "$AGENT_PID"; echo $?)"
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
unset SSH_TPM_AGENT_MAX_CONNECTIONS

# The knobs are checked.
out=$(SSH_TPM_AGENT_FRAME_TIMEOUT_MS=0 timeout 10 "$AGENT" -l "$WORK/bad.sock" --key-dir "$WORK/keys" 2>&1)
check_match "frame bound 0: refused" "^1:.*invalid SSH_TPM_AGENT_FRAME_TIMEOUT_MS='0': expected a number in 1 .. 3600000" "$?:$out"
out=$(SSH_TPM_AGENT_MAX_CONNECTIONS=many timeout 10 "$AGENT" -l "$WORK/bad.sock" --key-dir "$WORK/keys" 2>&1)
check_match "cap 'many': refused" "^1:.*invalid SSH_TPM_AGENT_MAX_CONNECTIONS='many'" "$?:$out"

finish
