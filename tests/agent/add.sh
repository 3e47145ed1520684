#!/bin/sh
# SPDX-License-Identifier: MIT
# ssh-add of ordinary keys (ed25519, ecdsa 256/384/521, rsa, a
# certificate): one client script run against OpenSSH's ssh-agent and
# against ours (--no-load, Accept=yes: a new process per connection, so
# everything added lives in the keyring), with identical client-visible
# outputs and exit codes; the added keys sign and log in to a real sshd;
# removal; lifetimes that hold with no process alive; 20 clients adding
# and removing at once; the secrets unreadable by another uid.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/agent.sh"
swtpm_start || exit 1
cd "$WORK" || exit 1
export SSH_TPM_AGENT_KEYRING="ta-add-$$-$(date +%s%N)"
add_cleanup keyring_cleanup
mkdir k
for spec in "ed25519 256" "ecdsa 256" "ecdsa 384" "ecdsa 521" "rsa 2048"; do
	set -- $spec
	ssh-keygen -q -t "$1" -b "$2" -N '' -C "key-$1-$2" -f "k/$1-$2"
done
ssh-keygen -q -t ed25519 -N '' -C ca -f ca
ssh-keygen -q -s ca -I cert-id -n root k/ecdsa-256.pub
echo payload > msg

# The client script: what a user sees (stdout and stderr, exit codes).
client() {
	for k in ed25519-256 ecdsa-256 ecdsa-384 ecdsa-521 rsa-2048; do
		ssh-add "k/$k" 2>&1; echo "add $k: $?"
	done
	ssh-add -l 2>&1; echo "-l: $?"
	ssh-add -L 2>&1; echo "-L: $?"
	for k in ed25519-256 ecdsa-256 ecdsa-384 ecdsa-521 rsa-2048 ecdsa-256-cert; do
		rm -f msg.sig
		ssh-keygen -Y sign -q -n file -f "k/$k.pub" msg 2>&1 >/dev/null; echo "sign $k: $?"
		ssh-keygen -Y check-novalidate -n file -f "k/$k.pub" -s msg.sig < msg 2>&1; echo "verify $k: $?"
	done
	ssh-add -d k/ecdsa-384 2>&1; echo "-d: $?"
	ssh-add -d k/ecdsa-384 2>&1; echo "-d again: $?"
	ssh-add -l 2>&1; echo "-l: $?"
	ssh-add -d k/ecdsa-256 2>&1; echo "-d with certificate: $?"
	ssh-add -l 2>&1; echo "-l: $?"
	ssh-add k/ecdsa-521 2>&1; echo "add again: $?"
	ssh-add -l 2>&1; echo "-l (same place): $?"
	ssh-add -t 2 k/ecdsa-384 2>&1; echo "-t 2: $?"
	ssh-add -l 2>&1 | grep -c 384; echo "listed before its time"
	sleep 3
	ssh-add -l 2>&1 | grep -c 384; echo "listed after its time"
	# Lock: passwords through an askpass that answers $LOCKPW.
	ssh-add -q k/ed25519-256 2>&1
	LOCKPW= ssh-add -x 2>&1; echo "-x empty: $?"
	LOCKPW=pw-1 ssh-add -x 2>&1; echo "-x: $?"
	ssh-add -l 2>&1; echo "-l locked: $?"
	ssh-add -L 2>&1; echo "-L locked: $?"
	rm -f msg.sig
	ssh-keygen -Y sign -q -n file -f k/ed25519-256.pub msg >/dev/null 2>&1; echo "sign locked: $?"
	ssh-add k/ecdsa-521 2>&1; echo "add locked: $?"
	ssh-add -D 2>&1; echo "-D locked: $?"
	LOCKPW=pw-2 ssh-add -x 2>&1; echo "-x twice: $?"
	LOCKPW=wrong ssh-add -X 2>&1; echo "-X wrong: $?"
	LOCKPW=pw-1 ssh-add -X 2>&1; echo "-X: $?"
	LOCKPW=pw-1 ssh-add -X 2>&1; echo "-X unlocked: $?"
	ssh-add -l 2>&1; echo "-l unlocked: $?"
	ssh-add -D 2>&1; echo "-D: $?"
	ssh-add -l 2>&1; echo "-l: $?"
	ssh-add -D 2>&1; echo "-D empty: $?"
}
cat > lockpass.sh <<'SH'
#!/bin/sh
printf '%s\n' "$LOCKPW"
SH
chmod +x lockpass.sh
export SSH_ASKPASS=$WORK/lockpass.sh SSH_ASKPASS_REQUIRE=force DISPLAY=:0

ssh-agent -D -a "$WORK/openssh.sock" >/dev/null 2>&1 &
AGENT_PIDS="$AGENT_PIDS $!"
wait_socket "$WORK/openssh.sock" || exit 1
SSH_AUTH_SOCK=$WORK/openssh.sock client > openssh.out
activate_start accept "$WORK/ours.sock" "$WORK/ours.log" -d --no-load || exit 1
SSH_AUTH_SOCK=$WORK/ours.sock client > ours.out
if diff -u openssh.out ours.out > diff.out; then
	ok "the same client script: identical output and exit codes to OpenSSH's ssh-agent"
else
	fail "the same client script: identical output and exit codes to OpenSSH's ssh-agent" "$(cat diff.out)"
fi
check_match "(the script added, signed and removed)" "Good \"file\" signature with ED25519" "$(cat ours.out)"
check_eq "... and all 6 signatures verified" 6 "$(grep -c '^verify .*: 0$' ours.out)"
check_eq "(the script locked, was refused and unlocked)" "Agent locked.|Failed to lock agent: agent refused operation|Failed to unlock agent: agent refused operation|Agent unlocked.|Failed to unlock agent: agent refused operation" \
	"$(grep -E '^(Agent (un)?locked|Failed to (un)?lock)' ours.out | sed -n '2,6p' | paste -sd'|')"
check_eq "... listing nothing while locked" "The agent has no identities.|-l locked: 1" \
	"$(grep -B1 '^-l locked' ours.out | paste -sd'|')"

# Added keys log in to a real sshd.
S=$WORK/ours.sock
for k in ed25519-256 ecdsa-256 ecdsa-521 rsa-2048; do SSH_AUTH_SOCK=$S ssh-add -q "k/$k"; done
cat k/ed25519-256.pub k/ecdsa-521.pub k/rsa-2048.pub > authorized_keys
echo "cert-authority $(cat ca.pub)" >> authorized_keys
sshd_start "$WORK/authorized_keys" || exit 1
check "login with an added ed25519 key" ssh_login "$S" k/ed25519-256.pub
check "login with an added ecdsa key" ssh_login "$S" k/ecdsa-521.pub
check "login with an added rsa key (rsa-sha2-512)" ssh_login "$S" k/rsa-2048.pub -o PubkeyAcceptedAlgorithms=rsa-sha2-512
check "login with an added certificate" ssh_login "$S" k/ecdsa-256-cert.pub -o CertificateFile="$WORK/k/ecdsa-256-cert.pub"
if ssh_login "$S" k/ecdsa-384.pub >/dev/null 2>&1; then
	fail "a key not added cannot log in" "login succeeded"
else
	ok "a key not added cannot log in"
fi

# The secret lives only in the keyring of the agent's uid.
kr=$(keyctl search @u keyring "$SSH_TPM_AGENT_KEYRING")
id=
for k in $(keyctl rlist "$kr"); do
	case $(keyctl rdescribe "$k" 2>/dev/null) in
	*";ssh-tpm-agent:identity:"*) id=$k ;;
	esac
done
check_match "the keyring holds the added identities" "ssh-tpm-agent:identity:[0-9a-f]{64}$" "$(keyctl rdescribe "${id:-0}" 2>&1)"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups keyctl print "$id" 2>&1)
check_match "another uid cannot read an added key" "Permission denied" "$out"
# ... and in no file: the ed25519 key's 32-byte seed (from its OpenSSH
# key file) is searched in every file the test can read but that file.
cat > seed.py <<'PY'
import base64, os, struct, sys
text = open(sys.argv[1]).read().split("-----")[2]
raw = base64.b64decode("".join(text.split()))
p = raw.index(b"\0") + 1
def s():
    global p
    n = struct.unpack(">I", raw[p:p + 4])[0]; p += 4
    v = raw[p:p + n]; p += n
    return v
s(); s(); s(); p += 4; s()          # cipher, kdf, kdfopts, nkeys, public key
priv = s(); q = 8                   # two check words
def t():
    global q
    n = struct.unpack(">I", priv[q:q + 4])[0]; q += 4
    v = priv[q:q + n]; q += n
    return v
t(); t(); seed = t()[:32]           # type, public, private (seed || public)
# A control: the search must find the seed where it is written raw.
open(os.environ["SEED_CONTROL"], "wb").write(b"x" + seed + b"y")
hits = []
for top in sys.argv[3:]:
    for dirpath, dirs, files in os.walk(top):
        for f in files:
            path = os.path.join(dirpath, f)
            if path == sys.argv[2] or not os.path.isfile(path) or os.path.islink(path):
                continue
            try:
                # Read what is there, not a 64 MiB buffer per file:
                # meson's MALLOC_PERTURB_ has glibc fill each one.
                size = os.path.getsize(path)
                with open(path, "rb") as fh:
                    if seed in fh.read(min(size, 64 << 20)):
                        hits.append(path)
            except OSError:
                pass
print("\n".join(hits))
PY
check_eq "an added key's secret is in no file (work dir, runtime dirs, /tmp, /var/tmp) but the control" \
	"$WORK/control.bin" \
	"$(SEED_CONTROL=$WORK/control.bin /usr/bin/python3 seed.py k/ed25519-256 "$WORK/k/ed25519-256" "$WORK" /tmp /var/tmp /run 2>/dev/null | sort -u)"
check_eq "... nor does the agent write it to its log" "" "$(grep -c 'PRIVATE\|BEGIN' ours.log | grep -v '^0$')"

# Certificates are checked whole (to their last byte, and their CA's
# signature): one bad one in a listing makes ssh refuse every identity.
ssh-keygen -q -t ed25519 -N '' -C certkey -f k/certkey
ssh-keygen -q -s ca -I cid -n root k/certkey.pub
cat > badcert.py <<'PY'
import base64, socket, struct, sys
def s(b): return struct.pack(">I", len(b)) + b
text = open(sys.argv[2]).read().split("-----")[2]
raw = base64.b64decode("".join(text.split()))
p = raw.index(b"\0") + 1
def g(buf, off):
    n = struct.unpack(">I", buf[off:off + 4])[0]
    return buf[off + 4:off + 4 + n], off + 4 + n
_, p = g(raw, p); _, p = g(raw, p); _, p = g(raw, p); p += 4; _, p = g(raw, p)
priv, _ = g(raw, p)
q = 8
_, q = g(priv, q); pk, q = g(priv, q); sk, q = g(priv, q)
cert = base64.b64decode(open(sys.argv[3]).read().split()[1])
T = b"ssh-ed25519-cert-v01@openssh.com"
def add(c):
    sock = socket.socket(socket.AF_UNIX); sock.connect(sys.argv[1])
    body = b"\x11" + s(T) + s(c) + s(pk) + s(sk) + s(b"certkey")
    sock.sendall(struct.pack(">I", len(body)) + body)
    n = struct.unpack(">I", sock.recv(4, socket.MSG_WAITALL))[0]
    return sock.recv(n, socket.MSG_WAITALL)[0]
flipped = cert[:-3] + bytes([cert[-3] ^ 1]) + cert[-2:]
print(",".join(str(add(c)) for c in (cert + b"GARBAGE", flipped, cert)))
PY
check_eq "a certificate with trailing bytes or a bad CA signature: FAILURE; a good one: SUCCESS" "5,5,6" \
	"$(/usr/bin/python3 badcert.py "$S" k/certkey k/certkey-cert.pub)"
check_match "... and the listing stays readable" "certkey \(ED25519-CERT\)" "$(SSH_AUTH_SOCK=$S ssh-add -l 2>&1)"

check_eq "an sk-* (FIDO) key: a clean FAILURE" 5 "$(/usr/bin/python3 -c '
import socket, struct, sys
def s(b): return struct.pack(">I", len(b)) + b
body = b"\x11" + s(b"sk-ssh-ed25519@openssh.com") + s(b"\x00" * 32) + s(b"ssh:") + b"\x01" + s(b"h") + s(b"") + s(b"c")
k = socket.socket(socket.AF_UNIX); k.connect(sys.argv[1])
k.sendall(struct.pack(">I", len(body)) + body)
n = struct.unpack(">I", k.recv(4, socket.MSG_WAITALL))[0]
print(k.recv(n, socket.MSG_WAITALL)[0])' "$S")"

out=$(SSH_AUTH_SOCK=$S ssh-add -s /nonexistent/pkcs11.so </dev/null 2>&1)
check_eq "ssh-add -s (PKCS#11): a clean refusal" 1 $?
check_match "... agent refused" "Could not add card \"/nonexistent/pkcs11.so\": agent refused operation" "$out"

# 20 clients at once: 20 adds, then 20 removes, nothing lost or doubled.
SSH_AUTH_SOCK=$S ssh-add -D >/dev/null
mkdir many
for i in $(seq 1 20); do ssh-keygen -q -t ed25519 -N '' -C "many-$i" -f "many/k$i"; done
P=""
for i in $(seq 1 20); do SSH_AUTH_SOCK=$S ssh-add -q "many/k$i" & P="$P $!"; done
wait $P
check_eq "20 concurrent adds: 20 identities, each once" \
	"$(seq 1 20 | sed 's/^/many-/' | sort)" "$(SSH_AUTH_SOCK=$S ssh-add -l | awk '{print $3}' | sort)"
P=""
for i in $(seq 1 2 20); do SSH_AUTH_SOCK=$S ssh-add -q -d "many/k$i" 2>/dev/null & P="$P $!"; done
for i in $(seq 2 2 20); do SSH_AUTH_SOCK=$S ssh-add -q "many/k$i" & P="$P $!"; done
wait $P
check_eq "10 removes racing 10 re-adds: exactly the even ones left" \
	"$(seq 2 2 20 | sed 's/^/many-/' | sort)" "$(SSH_AUTH_SOCK=$S ssh-add -l | awk '{print $3}' | sort)"

# What OpenSSH's agent does not do: a key-dir key cannot be removed.
mkdir tk
"$KEYGEN" -q -N '' -C tpm-key -f tk/id_ecdsa || exit 1
activate_start accept "$WORK/kd.sock" "$WORK/kd.log" -d --key-dir "$WORK/tk" || exit 1
out=$(SSH_AUTH_SOCK=$WORK/kd.sock ssh-add -d tk/id_ecdsa.pub 2>&1)
check_eq "ssh-add -d of a key-dir key: refused" 1 $?
check_line "... the agent says why" "$WORK/kd.log" "REMOVE_IDENTITY" "is a key file in the key dir: remove or move the file"
check_match "-D leaves key-dir keys (they are files)" "tpm-key \(ECDSA\)" \
	"$(SSH_AUTH_SOCK=$WORK/kd.sock ssh-add -D >/dev/null 2>&1; SSH_AUTH_SOCK=$WORK/kd.sock ssh-add -l)"
SSH_AUTH_SOCK=$WORK/kd.sock ssh-add -q k/ed25519-256
check_eq "added keys come after key-dir keys" "tpm-key key-ed25519-256" \
	"$(SSH_AUTH_SOCK=$WORK/kd.sock ssh-add -l | awk '{print $3}' | paste -sd' ')"

# The lock across handlers: TPM keys too; wrong unlocks wait longer each
# time, counted across handlers; a malformed UNLOCK unlocks nothing.
LK=$WORK/kd.sock
LOCKPW=lock-pw SSH_AUTH_SOCK=$LK ssh-add -x >/dev/null 2>&1
check_eq "locked: the key-dir TPM key is not listed" "The agent has no identities." "$(SSH_AUTH_SOCK=$LK ssh-add -l 2>&1)"
check_fails "locked: the TPM key does not sign" sign_ok "$LK" tk/id_ecdsa.pub
for i in 1 2 3; do LOCKPW=bad SSH_AUTH_SOCK=$LK ssh-add -X >/dev/null 2>&1; done
t0=$(date +%s%N)
LOCKPW=bad SSH_AUTH_SOCK=$LK ssh-add -X >/dev/null 2>&1
t1=$(date +%s%N)
check "the 4th wrong unlock (each a new handler) waits at least 300 ms" test $(( (t1 - t0) / 1000000 )) -ge 300
cat > rawunlock.py <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
def req(body):
    s.sendall(struct.pack(">I", len(body)) + body)
    n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
    return s.recv(n, socket.MSG_WAITALL)[0]
pw = b"lock-pw"
out = [req(b"\x17" + struct.pack(">I", len(pw)) + pw + b"\x00"),   # trailing byte
       req(b"\x17" + struct.pack(">I", len(pw) + 5) + pw),          # truncated
       req(b"\x17"),                                                 # no password
       req(b"\x0b")]
print(",".join(str(x) for x in out))
PY
check_eq "malformed UNLOCKs fail and leave it locked (an empty list after)" "5,5,5,12" "$(/usr/bin/python3 rawunlock.py "$LK")"
check_eq "... still locked" "The agent has no identities." "$(SSH_AUTH_SOCK=$LK ssh-add -l 2>&1)"
kr=$(keyctl search @u keyring "$SSH_TPM_AGENT_KEYRING")
lid=
for k in $(keyctl rlist "$kr"); do
	case $(keyctl rdescribe "$k" 2>/dev/null) in *";ssh-tpm-agent:lock:agent") lid=$k ;; esac
done
check_match "the lock's hash: unreadable by another uid" "Permission denied" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups keyctl print "${lid:-0}" 2>&1)"
LOCKPW=lock-pw SSH_AUTH_SOCK=$LK ssh-add -X >/dev/null 2>&1
check_match "the right password unlocks after failures" "tpm-key \(ECDSA\)" "$(SSH_AUTH_SOCK=$LK ssh-add -l 2>&1)"

# ssh-add -c: every use is confirmed through SSH_ASKPASS.
cat > confirm-askpass.sh <<'SH'
#!/bin/sh
printf 'PROMPT=%s|%s\n' "${SSH_ASKPASS_PROMPT:-}" "$1" >> "$ASKPASS_LOG"
answer=$(cat "$ASKPASS_ANSWER")
[ "$answer" = NO ] && exit 1
printf '%s\n' "$answer"
SH
chmod +x confirm-askpass.sh
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY
askpass_setup
export SSH_ASKPASS=$WORK/confirm-askpass.sh
activate_pass "$WORK/c.sock" "$WORK/c.log" --no-load || exit 1
out=$(SSH_AUTH_SOCK=$WORK/c.sock ssh-add -c k/ecdsa-384 2>&1)
check_match "ssh-add -c: added, as OpenSSH says it" "Identity added: k/ecdsa-384 \(key-ecdsa-384\)" "$out"
check_match "... with the confirm notice" "The user must confirm each use of the key" "$out"
fp384=$(ssh-keygen -l -f k/ecdsa-384.pub | cut -d' ' -f2)
answer ""
check "approved (an empty answer): signs" sign_ok "$WORK/c.sock" k/ecdsa-384.pub
check_match "the askpass was run as a confirm prompt" "^PROMPT=confirm\|Allow use of key key-ecdsa-384\?$" "$(cat "$ASKPASS_LOG")"
check_line "... naming the key's fingerprint (on a line of its own)" "$ASKPASS_LOG" "Key fingerprint $fp384." "^Key fingerprint "
check_match "... and the program asking, with its command line" \
	"^Requested by /usr/bin/ssh-keygen \(pid [0-9]+\): ssh-keygen -Y sign -n file -f k/ecdsa-384.pub" "$(cat "$ASKPASS_LOG")"
answer NO
check_fails "denied: no signature" sign_ok "$WORK/c.sock" k/ecdsa-384.pub
answer maybe
check_fails "an answer other than yes: no signature" sign_ok "$WORK/c.sock" k/ecdsa-384.pub
answer yes
check "'yes': signs" sign_ok "$WORK/c.sock" k/ecdsa-384.pub
check_eq "asked once per use" 4 "$(grep -c '^PROMPT=confirm' "$ASKPASS_LOG")"
SSH_AUTH_SOCK=$WORK/c.sock ssh-add -q k/ed25519-256
n=$(grep -c '^PROMPT=' "$ASKPASS_LOG")
check "a key added without -c signs without asking" sign_ok "$WORK/c.sock" k/ed25519-256.pub
check_eq "... (no prompt)" "$n" "$(grep -c '^PROMPT=' "$ASKPASS_LOG")"
finish
