#!/bin/sh
# SPDX-License-Identifier: MIT
# A TPM that stops answering (a real swtpm, stopped with SIGSTOP: it still
# accepts connections, as a hung one does, and never answers),
# and a client that leaves while its handler waits for the TPM: bounded,
# said clearly, nothing signed or cached for nobody.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
RAW="python3 $SRC_DIR/tests/agent/rawclient.py"
mkdir -m 0700 keys
"$KEYGEN" -q -N '' -C k -f keys/k
cut -d' ' -f2 keys/k.pub | base64 -d > k.blob

# A second swtpm, stopped.  (swtpm_start exports its TCTI: put the first
# one's back.)
T1=$SWTPM_TCTI D1=$SWTPM_DIR
swtpm_start || exit 1
HUNG_TCTI=$SWTPM_TCTI
HUNG=$SWTPM_PID
export SSH_TPM_AGENT_TCTI=$T1 TPM2TOOLS_TCTI=$T1 TPM2OPENSSL_TCTI=$T1
kill -STOP "$HUNG"
# Runs before swtpm_cleanup (added later): a stopped swtpm would not act
# on its SIGTERM.
hung_cleanup() { kill -CONT "$HUNG" 2>/dev/null; }
add_cleanup hung_cleanup

# keygen: gives up after --tpm-timeout, says so, writes nothing.
start=$(date +%s)
err=$(timeout 60 "$KEYGEN" --tcti "$HUNG_TCTI" --tpm-timeout 2 -q -N '' -f keys/never 2>&1)
rc=$?
check_eq "hung TPM: keygen exits 1" 1 "$rc"
check_match "hung TPM: keygen says so" "the TPM \\($HUNG_TCTI\\) did not answer within 2 s: giving up" "$err"
check "hung TPM: keygen gave up within 10 s" test $(( $(date +%s) - start )) -le 10
check "hung TPM: no files" test ! -e keys/never.tpm -a ! -e keys/never.pub -a -z "$(ls -A keys | grep '^\.')"

# -p with a TPM that hangs: the old key stays, no temp file is left.
"$KEYGEN" -q -N hang-pw -C hang -f keys/hp
before=$(sha256sum keys/hp.tpm)
err=$(timeout 60 "$KEYGEN" --tcti "$HUNG_TCTI" --tpm-timeout 2 -q -p -P hang-pw -N other-pw -f keys/hp 2>&1)
check_match "hung TPM: -p says so" "did not answer within 2 s" "$err"
check_eq "hung TPM: -p left the key as it was" "$before" "$(sha256sum keys/hp.tpm)"
check_eq "hung TPM: -p left no temp file" "" "$(ls -A keys | grep '^\.' || true)"
rm -f keys/hp.*

# A D-Bus system bus that accepts and never answers (a real dbus-daemon,
# stopped): tabrmd's attempt (its stderr muted) hangs; the watchdog's
# message must still be seen.
cat > bus.conf <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$WORK/bus</listen>
<policy context="default"><allow send_destination="*"/><allow own="*"/><allow user="*"/></policy>
</busconfig>
CONF
dbus-daemon --config-file=bus.conf --nofork --nopidfile >/dev/null 2>&1 &
BUS=$!
bus_cleanup() { kill -CONT "$BUS" 2>/dev/null; kill "$BUS" 2>/dev/null; wait "$BUS" 2>/dev/null; }
add_cleanup bus_cleanup
i=0; until [ -S "$WORK/bus" ] || [ $i -gt 250 ]; do i=$((i + 1)); sleep 0.02; done
kill -STOP "$BUS"
err=$(env -u SSH_TPM_AGENT_TCTI -u TPM2TOOLS_TCTI DBUS_SYSTEM_BUS_ADDRESS=unix:path=$WORK/bus \
	timeout 60 "$KEYGEN" --tpm-timeout 2 --supported 2>&1)
check_match "hung D-Bus: the watchdog's message is shown" "did not answer within 2 s: giving up" "$err"
bus_cleanup

# --swtpm that cannot start (the real swtpm, refusing a corrupt state
# file): started once, and the error names its TCTI.
mkdir -m 0700 swdir
head -c 2000 /dev/urandom > swdir/tpm2-00.permall
err=$(env -u SSH_TPM_AGENT_TCTI -u TPM2TOOLS_TCTI SSH_TPM_AGENT_SWTPM_DIR="$WORK/swdir" \
	"$KEYGEN" --swtpm --supported 2>&1)
check_match "--swtpm failing: swtpm itself refused" "Could not initialize libtpms" "$(cat swdir/swtpm.log)"
check_eq "--swtpm failing: started once" 1 "$(printf '%s\n' "$err" | grep -c 'starting swtpm')"
check_match "--swtpm failing: names the swtpm's TCTI" "cannot reach the TPM \\(TCTI 'swtpm:path=$WORK/swdir/sock'\\)" "$err"

# The agent: the handler gives up (the client sees the connection close).
systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$WORK/h.sock" -E TSS2_LOG \
	"$AGENT" -d --tcti "$HUNG_TCTI" --tpm-timeout 2 --key-dir "$WORK/keys" 2>h.log &
AGENT_PID=$!
AGENT_PIDS="$AGENT_PIDS $AGENT_PID"
wait_socket "$WORK/h.sock" || exit 1
out=$(timeout 60 $RAW sign-wait "$WORK/h.sock" k.blob 2>&1)
check_match "hung TPM: the handler gives up within 5 s" '^closed,[0-5]$' "$out"
check_match "hung TPM: the agent says so" "did not answer within 2 s: giving up" "$(cat h.log)"
check_eq "hung TPM: no handler left" "" "$(pgrep -P "$AGENT_PID")"
check_eq "hung TPM: listing still works (no TPM needed)" "$(ssh-keygen -l -f keys/k.pub)" "$(SSH_AUTH_SOCK=$WORK/h.sock ssh-add -l 2>&1)"
hung_cleanup

# A client that gives up while its handler waits for another's turn with
# the TPM: nothing is signed, nothing cached.
askpass_setup
"$KEYGEN" -q -N turn-pass -C pinned -f keys/pin
fp=$(ssh-keygen -l -f keys/pin.pub | cut -d' ' -f2)
cut -d' ' -f2 keys/pin.pub | base64 -d > pin.blob
answer turn-pass
activate_pass "$WORK/p.sock" p.log --key-dir "$WORK/keys" || exit 1
# Hold the swtpm's lock (as another handler would) for 4 s.
python3 -c 'import fcntl,os,sys,time; fd=os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(4)' \
	"$D1/sock.lock" "$WORK/held" &
holder=$!
i=0; until [ -e "$WORK/held" ] || [ $i -gt 250 ]; do i=$((i + 1)); sleep 0.02; done
before=$(lockout_counter)
check_eq "client leaves while the TPM is busy" abandoned "$(timeout 30 $RAW sign-abandon "$WORK/p.sock" pin.blob 1 2>&1)"
wait $holder
sleep 1
check_eq "busy TPM, client gone: nothing cached" "" "$(cached_id "$fp")"
check_match "busy TPM, client gone: logged" "the client went away" "$(cat p.log)"
check_eq "busy TPM, client gone: no strike" "$before" "$(lockout_counter)"

finish
