#!/bin/sh
# SPDX-License-Identifier: MIT
# Malformed input: each bad frame gets FAILURE (5) or a closed connection,
# never a crash or a hang; the next client is served normally; the
# handlers (each one under valgrind) report no error and no leak.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
mkdir keys vg
"$KEYGEN" -q -N '' -C good -f keys/good
"$KEYGEN" -q -N '' -C doomed -f keys/doomed
RAW="python3 $SRC_DIR/tests/agent/rawclient.py"
blob() { cut -d' ' -f2 "$1" | base64 -d > "$2"; }
blob keys/good.pub good.blob
blob keys/doomed.pub doomed.blob

# Accept=yes, one handler per connection, each under valgrind -- or, in
# the ASan/UBSan build (valgrind cannot host ASan), with the sanitizers
# reporting into the log.
sock=$WORK/agent.sock
if ldd "$AGENT" | grep -q libasan; then
	SANITIZED=1
	set -- env ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
else
	SANITIZED=0
	set -- valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --log-file="$WORK/vg/vg.%p"
fi
systemd-socket-activate -E SSH_TPM_AGENT_KEYRING --accept -l "$sock" -E SSH_TPM_AGENT_TCTI -E TSS2_LOG \
	"$@" "$AGENT" -D --key-dir "$WORK/keys" 2>agent.log &
AGENT_PIDS="$AGENT_PIDS $!"
wait_socket "$sock" || exit 1

served() { # the next (real) client works
	check_eq "$1: next client served" "$(ssh-keygen -l -f keys/doomed.pub; ssh-keygen -l -f keys/good.pub)" \
		"$(SSH_AUTH_SOCK=$sock ssh-add -l 2>&1)"
}
raw() { timeout 60 $RAW "$@" 2>&1; }

check_eq "zero-length frame: closed (as OpenSSH's agent does)" "closed" "$(raw zero-length "$sock")"
served zero-length
check_eq "frame over 256 KiB: closed" "closed" "$(raw too-large "$sock")"
check_eq "frame of 4 GiB: closed" "closed" "$(raw huge-length "$sock")"
served too-large
check_eq "truncated frame: closed" "closed" "$(raw truncated-frame "$sock")"
check_eq "truncated header: closed" "closed" "$(raw truncated-header "$sock")"
served truncated
check_eq "unknown/unsupported types: FAILURE each, then served" "5,5,5,5,5,5,5,5,12" "$(raw unknown-type "$sock")"
check_eq "sign request for an unknown key: FAILURE" "5" "$(raw sign-unknown-key "$sock")"
check_eq "sign request with a truncated string: FAILURE" "5" "$(raw sign-truncated "$sock")"
check_eq "sign request with trailing bytes: FAILURE" "5" "$(raw sign-trailing "$sock" good.blob)"
check_eq "identities request with trailing bytes: FAILURE" "5" "$(raw identities-trailing "$sock")"
check_eq "valid sign request: SIGN_RESPONSE" "14" "$(raw sign-ok "$sock" doomed.blob)"
served sign

# A FIFO named like a key file (or its .pub) must not hang listing.
mkfifo keys/fifo.tpm keys/good2.pub
cp keys/good.tpm keys/good2.tpm
# (good2.tpm, a copy of good.tpm, is read -- its FIFO .pub too -- and
# listed once, as the same key.)
check_eq "FIFO key file: listing not blocked" "$(ssh-keygen -l -f keys/doomed.pub; ssh-keygen -l -f keys/good.pub)" \
	"$(SSH_AUTH_SOCK=$sock timeout 20 ssh-add -l 2>&1)"
rm keys/fifo.tpm keys/good2.pub keys/good2.tpm

# A key file that became garbage: not listed, cannot sign, others fine.
head -c 400 /dev/urandom > keys/doomed.tpm
check_eq "garbage key file: sign gets FAILURE" "5" "$(raw sign-ok "$sock" doomed.blob)"
check_eq "garbage key file: not listed, others are" "$(ssh-keygen -l -f keys/good.pub)" \
	"$(SSH_AUTH_SOCK=$sock ssh-add -l 2>&1)"
check_eq "good key still signs" "14" "$(raw sign-ok "$sock" good.blob)"

# Every handler ran under valgrind (or the sanitizers): no error, no leak.
agent_cleanup
sleep 0.5
if [ "$SANITIZED" = 1 ]; then
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' agent.log; then
		fail "ASan/UBSan: no error or leak in the handlers" "$(grep -A20 -E 'Sanitizer|runtime error' agent.log | head -n 40)"
	else
		ok "ASan/UBSan: no error or leak in the handlers"
	fi
else
	n=$(ls vg | wc -l)
	check_match "handlers ran under valgrind" '^[1-9][0-9]*$' "$n"
	bad=$(grep -l . vg/* 2>/dev/null | head -n 3)
	if [ -z "$bad" ]; then
		ok "valgrind: no error or leak in $n handlers"
	else
		fail "valgrind: no error or leak in $n handlers" "$(cat $bad | head -n 40)"
	fi
fi
check_eq "no handler died of a signal" "" "$(grep -E 'signal|core dumped' agent.log)"

finish
