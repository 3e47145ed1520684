#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""maps.py AGENT KEYDIR PUB: run one handler of AGENT (inetd mode, on a
socketpair, so its pid is ours to read), ask it for its identities, then
for a signature with the key of PUB (an OpenSSH .pub line), and after each
reply -- with the connection still open -- print which tpm2-tss libraries
its /proc/PID/maps holds:

  list: reply 12, tss2: -
  sign: reply 14, tss2: libtss2-esys.so.0 ...

Also, for what OpenSSH's clients do not show exactly:
  maps.py --list-only AGENT KEYDIR   one handler's identities (inetd mode)
  maps.py --list-sock                the identities of $SSH_AUTH_SOCK
  maps.py --sign-sock SOCK PUB       a SIGN_REQUEST alone (no listing
                                     first); exit 0 on SIGN_RESPONSE
each identity printed as "hex-of-blob comment".

(The agent's own clients are OpenSSH's; this plays one only to hold the
connection open while the maps are read, or to send one request alone.)"""
import base64
import re
import socket
import struct
import subprocess
import sys


def s(b):
    return struct.pack(">I", len(b)) + b


def request(sock, body):
    sock.sendall(s(body))
    hdr = sock.recv(4, socket.MSG_WAITALL)
    n = struct.unpack(">I", hdr)[0]
    return sock.recv(n, socket.MSG_WAITALL)


def tss2_libs(pid):
    libs = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            m = re.search(r"/(libtss2-[^/\s]+)$", line.strip())
            if m:
                libs.add(m.group(1))
    return " ".join(sorted(libs)) or "-"


def identities(reply):
    (n,) = struct.unpack(">I", reply[1:5])
    off, out = 5, []
    for _ in range(n):
        (k,) = struct.unpack(">I", reply[off:off + 4])
        blob = reply[off + 4:off + 4 + k]
        off += 4 + k
        (k,) = struct.unpack(">I", reply[off:off + 4])
        comment = reply[off + 4:off + 4 + k].decode(errors="replace")
        off += 4 + k
        out.append("%s %s" % (blob.hex(), comment))
    return "\n".join(out)


def main():
    if sys.argv[1] == "--list-only":
        ours, theirs = socket.socketpair()
        p = subprocess.Popen([sys.argv[2], "--key-dir", sys.argv[3]], stdin=theirs, stdout=theirs)
        theirs.close()
        print(identities(request(ours, b"\x0b")))
        ours.close()
        sys.exit(p.wait())
    if sys.argv[1] in ("--list-sock", "--sign-sock"):
        import os
        ours = socket.socket(socket.AF_UNIX)
        ours.connect(sys.argv[2] if sys.argv[1] == "--sign-sock" else os.environ["SSH_AUTH_SOCK"])
        if sys.argv[1] == "--list-sock":
            print(identities(request(ours, b"\x0b")))
            sys.exit(0)
        blob = base64.b64decode(open(sys.argv[3]).read().split()[1])
        r = request(ours, b"\x0d" + s(blob) + s(b"data") + struct.pack(">I", 0))
        sys.exit(0 if r[0] == 14 else 1)
    agent, keydir, pub = sys.argv[1:4]
    blob = base64.b64decode(open(pub).read().split()[1])
    ours, theirs = socket.socketpair()
    p = subprocess.Popen([agent, "--key-dir", keydir], stdin=theirs, stdout=theirs)
    theirs.close()
    r = request(ours, b"\x0b")
    print("list: reply %d, tss2: %s" % (r[0], tss2_libs(p.pid)))
    r = request(ours, b"\x0d" + s(blob) + s(b"data") + struct.pack(">I", 0))
    print("sign: reply %d, tss2: %s" % (r[0], tss2_libs(p.pid)))
    ours.close()
    sys.exit(p.wait())


if __name__ == "__main__":
    main()
