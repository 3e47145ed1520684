#!/bin/sh
# SPDX-License-Identifier: MIT
# ssh-tpm-keygen interrupted at the worst moments, and pointed at
# directories: no temporary files left, no key lost, no key file and .pub
# that disagree, nothing but our two files ever moved, and a TPM without a
# resource manager that still works after processes died inside
# TPM2_Create (every TPM path flushes stale objects and retries).
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
: "${FAULT_SHIM:?FAULT_SHIM must name the fault-injection library}"
# Under ASan the shim comes before the sanitizer runtime in the library list.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
mkdir d
leftovers() { ls -A d | grep -v -e '^k\.tpm$' -e '^k\.pub$' || true; }
# The pair agrees: the .pub holds the public key of the .tpm.
pair_ok() {
	[ "$("$KEYGEN" --print-pubkey d/k.tpm 2>/dev/null | cut -d' ' -f1-2)" = "$(cut -d' ' -f1-2 d/k.pub 2>/dev/null)" ]
}
transients() { tpm2_getcap handles-transient 2>/dev/null | grep -c 0x; }

"$KEYGEN" -q -N '' -C first -f d/k || exit 1
first=$(cat d/k.pub)

# Killed (SIGKILL) right after TPM2_Create, three times: the SRKs they
# loaded stay in the TPM (no resource manager) and fill its 3 slots.
for i in 1 2 3; do
	echo y | FAULT_AT=Esys_Create FAULT_SIGNAL=9 LD_PRELOAD=$FAULT_SHIM \
		"$KEYGEN" -q -N '' -C "killed$i" -f d/k >/dev/null 2>&1
done
check_eq "killed keygens left objects in the TPM" 3 "$(transients)"
check_eq "killed inside TPM2_Create: key pair untouched" "$first" "$(cat d/k.pub)"
check_eq "killed inside TPM2_Create: no temp files" "" "$(leftovers)"
out=$(echo y | "$KEYGEN" -q -N '' -C after-kills -f d/k 2>&1)
check_eq "next keygen works (stale objects flushed)" 0 "$?"
check_match "said what it flushed" "flushed stale transient object" "$out"
check "new pair agrees" pair_ok
check_match "new pair written" "after-kills" "$(cat d/k.pub)"
# The same with exactly two stale objects: CreatePrimary still fits, and
# TPM2_Create itself runs out of room (it needs a slot of its own).
for i in 1 2; do
	echo y | FAULT_AT=Esys_Create FAULT_SIGNAL=9 LD_PRELOAD=$FAULT_SHIM \
		"$KEYGEN" -q -N '' -f d/k >/dev/null 2>&1
done
check_eq "two stale objects" 2 "$(transients)"
out=$(echo y | "$KEYGEN" -q -N '' -C after-two -f d/k 2>&1)
check_eq "TPM2_Create out of room: flushed and retried" 0 "$?"
check "pair agrees after two" pair_ok
before=$(cat d/k.pub)

# SIGINT while the temporary files exist (at their fsync): both removed,
# the old pair kept.
for n in 1 2; do
	echo y | FAULT_AT=fsync FAULT_NTH=$n FAULT_SIGNAL=2 LD_PRELOAD=$FAULT_SHIM \
		"$KEYGEN" -q -N '' -C interrupted -f d/k >/dev/null 2>&1
	check_eq "SIGINT at fsync $n: exit by the signal" 130 "$(( $? ))"
	check_eq "SIGINT at fsync $n: no temp files" "" "$(leftovers)"
	check_eq "SIGINT at fsync $n: old pair kept" "$before" "$(cat d/k.pub)"
done
echo y | FAULT_AT=fsync FAULT_SIGNAL=15 LD_PRELOAD=$FAULT_SHIM \
	"$KEYGEN" -q -N '' -f d/k >/dev/null 2>&1
check_eq "SIGTERM at fsync: no temp files" "" "$(leftovers)"
echo y | FAULT_AT=fsync FAULT_SIGNAL=1 LD_PRELOAD=$FAULT_SHIM \
	"$KEYGEN" -q -N '' -f d/k >/dev/null 2>&1
check_eq "SIGHUP at fsync: no temp files" "" "$(leftovers)"
# Every deadly catchable signal, not only INT/TERM/HUP (Ctrl-\ is QUIT).
for sig in 3 10 12 13 14 24 25; do
	echo y | FAULT_AT=fsync FAULT_SIGNAL=$sig LD_PRELOAD=$FAULT_SHIM \
		"$KEYGEN" -q -N '' -f d/k >/dev/null 2>&1
	check_eq "signal $sig at fsync: no temp files" "" "$(leftovers)"
	echo y | FAULT_AT=rename FAULT_NTH=1 FAULT_SIGNAL=$sig LD_PRELOAD=$FAULT_SHIM \
		"$KEYGEN" -q -N '' -C "sig$sig" -f d/k >/dev/null 2>&1
	check "signal $sig at the first rename: pair complete and agrees" pair_ok
	check_eq "signal $sig at the first rename: no leftovers" "" "$(leftovers)"
done
rm -f core core.*

# SIGINT in the middle of the renames (old key moved aside): the signal
# waits until the pair is in place.
for n in 1 2 3; do
	echo y | FAULT_AT=rename FAULT_NTH=$n FAULT_SIGNAL=2 LD_PRELOAD=$FAULT_SHIM \
		"$KEYGEN" -q -N '' -C "renamed$n" -f d/k >/dev/null 2>&1
	check_eq "SIGINT at rename $n: no temp or backup files" "" "$(leftovers)"
	check "SIGINT at rename $n: pair agrees" pair_ok
done

mkdir d3
# SIGKILL (nothing to hold) between the renames: the key's name never goes
# missing, and the old key survives (in place, or kept as .NAME.XXXXXX.old).
for n in 1 2; do
	"$KEYGEN" -q -N '' -C "before-kill$n" -f d3/kk >/dev/null 2>&1 <<EOF2
y
EOF2
	old_pub=$("$KEYGEN" --print-pubkey d3/kk.tpm | cut -d' ' -f1-2)
	echo y | FAULT_AT=rename FAULT_NTH=$n FAULT_SIGNAL=9 LD_PRELOAD=$FAULT_SHIM \
		"$KEYGEN" -q -N '' -f d3/kk >/dev/null 2>&1
	check "SIGKILL after rename $n: the key file still exists" test -s d3/kk.tpm
	kept=no
	for f in d3/kk.tpm d3/.kk.tpm.*.old; do
		[ -e "$f" ] && [ "$("$KEYGEN" --print-pubkey "$f" 2>/dev/null | cut -d' ' -f1-2)" = "$old_pub" ] && kept=yes
	done
	check_eq "SIGKILL after rename $n: the old key survives" yes "$kept"
	rm -f d3/.kk.* d3/kk.*
done

# -p interrupted right after TPM2_ObjectChangeAuth (no resource manager):
# the signal waits until the TPM work is released; nothing stays loaded.
"$KEYGEN" -q -N cpw-1 -C changing -f d3/ch
echo y | FAULT_AT=Esys_ObjectChangeAuth FAULT_SIGNAL=2 LD_PRELOAD=$FAULT_SHIM \
	"$KEYGEN" -q -p -P cpw-1 -N cpw-2 -f d3/ch >/dev/null 2>&1
check_eq "SIGINT inside -p: exit by the signal" 130 "$?"
check_eq "SIGINT inside -p: no objects left in the TPM" 0 "$(transients)"
check_eq "SIGINT inside -p: no temp files" "" "$(ls -A d3 | grep '^\.' || true)"

# -p that removes the passphrase of a 0644 key: the key would be readable
# by others without a passphrase; -p writes it 0600.
"$KEYGEN" -q -N open-pw -C loose -f d3/loose
chmod 0644 d3/loose.tpm
"$KEYGEN" -q -p -P open-pw -N '' -f d3/loose
check_eq "-p to no passphrase: mode 0600, not 0644" 600 "$(stat -c %a d3/loose.tpm)"
chmod 0664 d3/loose.tpm
"$KEYGEN" -q -p -P '' -N again-pw -f d3/loose
check_eq "-p: write access for others dropped" 644 "$(stat -c %a d3/loose.tpm)"

# kill -INT at random moments (RSA keys take a while on swtpm).
bad=0
for i in $(seq 1 25); do
	echo y | "$KEYGEN" -q -N '' -t rsa -C "random$i" -f d/k >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$(( (i * 37) % 10 ))$(( i % 10 ))"
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	if [ -n "$(leftovers)" ] || ! pair_ok; then
		bad=$((bad + 1))
		echo "# after interrupt $i: $(ls -A d)"
	fi
done
check_eq "25 random SIGINTs: no leftovers, pair always agrees" 0 "$bad"
check_eq "random SIGINTs: no objects left in the TPM" 0 "$(transients)"

# Directories are never moved or written into.
mkdir -p d2/dir.tpm && echo precious > d2/dir.tpm/inside
err=$(echo y | "$KEYGEN" -q -N '' -f d2/dir 2>&1)
check_eq "NAME.tpm a directory: exit 1" 1 "$?"
check_match "NAME.tpm a directory: says so" "d2/dir.tpm: Is a directory" "$err"
check_eq "NAME.tpm a directory: untouched" precious "$(cat d2/dir.tpm/inside)"
check_eq "NAME.tpm a directory: nothing else created" "dir.tpm" "$(ls -A d2)"
mkdir d2/dir2.pub
err=$(echo y | "$KEYGEN" -q -N '' -f d2/dir2 2>&1)
check_match "NAME.pub a directory: says so" "d2/dir2.pub: Is a directory" "$err"
check_eq "NAME.pub a directory: nothing created" "dir.tpm dir2.pub" "$(ls -A d2 | tr '\n' ' ' | sed 's/ $//')"
err=$("$KEYGEN" -q -N '' -f d2/ 2>&1)
check_eq "-f dir/: exit 1" 1 "$?"
check_match "-f dir/: Is a directory" "d2/: Is a directory" "$err"
check "-f dir/: no dir/.tpm" test ! -e d2/.tpm -a ! -e d2/.pub
err=$("$KEYGEN" -q -N '' -f d2/.tpm 2>&1)
check_match "-f dir/.tpm: Is a directory" "Is a directory" "$err"
check_eq "directories: nothing hidden created" "dir.tpm dir2.pub" "$(ls -A d2 | tr '\n' ' ' | sed 's/ $//')"

# Answers from a pipe: the file name, then the passphrase twice, then the
# overwrite answer -- each prompt reads only its own line.
printf '%s\n' "$WORK/d/piped" pw-piped pw-piped | setsid "$KEYGEN" -q >/dev/null 2>&1
check_eq "piped answers: file name and passphrase taken" 0 "$?"
check "piped answers: key written" test -s d/piped.tpm
# ([0] emptyAuth FALSE: the key has a passphrase.)
check_match "piped answers: the key has a passphrase" "BOOLEAN +:0$" \
	"$(openssl asn1parse -in d/piped.tpm 2>&1 | grep BOOLEAN)"
printf 'y\n%s\n%s\n' pw2 pw2 | setsid "$KEYGEN" -q -f "$WORK/d/piped" >/dev/null 2>&1
check_eq "piped overwrite answer, then passphrases" 0 "$?"

# A passphrase longer than the TPM takes: refused before any TPM work.
err=$("$KEYGEN" -q -N "$(printf '%040d' 7)" -f d/long 2>&1)
check_eq "-N of 40 bytes: exit 1" 1 "$?"
check_match "-N of 40 bytes: names the limit" "passphrase too long: the TPM takes at most 32 bytes" "$err"
check "-N of 40 bytes: no files" test ! -e d/long.tpm -a ! -e d/long.pub
check "-N of 32 bytes works" "$KEYGEN" -q -N "$(printf '%032d' 7)" -f d/long32

# Root runs -p on a user's key (a symlink to it); while -p waits for the
# old passphrase, the user swaps the key's directory for a symlink to a
# directory of root's.  The new key must land where the old one was read,
# never over root's file of the same name.
A_UID=64141
chmod 0711 "$WORK"
mkdir -m 0755 ah etc
echo "root:x:0:0" > etc/passwd
mkdir ah/x
"$KEYGEN" -q -N old1 -C theirs -f ah/x/k
mv ah/x/k.tpm ah/x/passwd
ln -s passwd ah/x/k.tpm
chown -R "$A_UID:$A_UID" ah
mkfifo answers
setsid "$KEYGEN" -p -f "$WORK/ah/x/k.tpm" -N new2 <answers >p.out 2>p.err &
pid=$!
exec 7>answers
i=0; until grep -q "Enter old passphrase" p.err || [ $i -gt 250 ]; do i=$((i + 1)); sleep 0.02; done
setpriv --reuid=$A_UID --regid=$A_UID --clear-groups sh -c "mv '$WORK/ah/x' '$WORK/ah/x.old' && ln -s '$WORK/etc' '$WORK/ah/x'"
echo old1 >&7
exec 7>&-
wait $pid
check_eq "-p with the directory swapped: root's file untouched" "root:x:0:0" "$(cat etc/passwd)"
check_eq "-p with the directory swapped: root's file still root's" "0" "$(stat -c %u etc/passwd)"
check_match "-p with the directory swapped: the key read was rewritten" "^-----BEGIN TSS2 PRIVATE KEY" "$(head -n1 ah/x.old/passwd)"
check_eq "-p with the directory swapped: still the user's file" "$A_UID" "$(stat -c %u ah/x.old/passwd)"
check_eq "-p with the directory swapped: nothing else in root's dir" "passwd" "$(ls -A etc)"

finish
