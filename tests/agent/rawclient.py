#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Send hand-made (mostly malformed) agent-protocol frames to a socket and
print what came back, one token per request: the reply type number, or
"closed" when the agent closed the connection.  Used by bad-input.sh to
check that every bad frame gets FAILURE or a close, never a hang, and by
the forwarding and fallback tests for what no OpenSSH client sends on
purpose: forged or repeated session binds, forged key files, requests on
a connection held open across a fallback's restart.  It plays the hostile
client (and, in broken-fallback, a broken fallback agent); it stands in
for no real component: the clients and agents the tests rely on are
OpenSSH's ssh, ssh-add, ssh-keygen, ssh-agent and gpg-agent."""
import socket
import struct
import sys
import time

FAILURE, IDENTITIES_ANSWER, SIGN_RESPONSE = 5, 12, 14


def ssh_string(b):
    return struct.pack(">I", len(b)) + b


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def reply(s):
    try:
        return reply_or_raise(s)
    except ConnectionResetError:  # closed with our bytes still unread
        return "closed"


def reply_or_raise(s):
    hdr = recv_exact(s, 4)
    if hdr is None:
        return "closed"
    (n,) = struct.unpack(">I", hdr)
    body = recv_exact(s, n)
    if body is None or n == 0:
        return "closed"
    return str(body[0])


def body_or_none(s):
    hdr = recv_exact(s, 4)
    if hdr is None:
        return None
    (n,) = struct.unpack(">I", hdr)
    return recv_exact(s, n)


def request(s, body):
    s.sendall(ssh_string(body))
    return body_or_none(s)


def strings(b):
    out = []
    while b:
        (n,) = struct.unpack(">I", b[:4])
        out.append(b[4:4 + n])
        b = b[4 + n:]
    return out


class HostKey:
    """An ed25519 host key made and used with the openssl command."""

    def __init__(self, workdir):
        import os
        import subprocess
        self.pem = os.path.join(workdir, "bindkey.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.pem],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-in", self.pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.blob = ssh_string(b"ssh-ed25519") + ssh_string(der[-32:])

    def sign(self, data):
        import subprocess
        with open(self.pem + ".data", "wb") as f:
            f.write(data)
        sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", self.pem,
                              "-in", self.pem + ".data"],
                             check=True, capture_output=True).stdout
        return ssh_string(b"ssh-ed25519") + ssh_string(sig)


def bind(s, key, sid, sig, fwd):
    body = (bytes([27]) + ssh_string(b"session-bind@openssh.com") + ssh_string(key.blob) +
            ssh_string(sid) + ssh_string(sig) + bytes([fwd]))
    r = request(s, body)
    return str(r[0]) if r else "closed"


def listed(s):
    r = request(s, bytes([11]))
    (n,) = struct.unpack(">I", r[1:5])
    rest, names = r[5:], []
    for _ in range(n):
        (bl,) = struct.unpack(">I", rest[:4])
        rest = rest[4 + bl:]
        (cl,) = struct.unpack(">I", rest[:4])
        names.append(rest[4:4 + cl].decode())
        rest = rest[4 + cl:]
    return "listed:" + ",".join(names)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    return s


def small_x_p256_point():
    """A point on P-256 whose x is tiny: on the curve, and still refused
    by OpenSSH (sshkey_ec_validate_public)."""
    p = 2**256 - 2**224 + 2**192 + 2**96 - 1
    b = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b
    for x in range(1, 1000):
        rhs = (x ** 3 - 3 * x + b) % p
        y = pow(rhs, (p + 1) // 4, p)
        if y * y % p == rhs:
            return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    raise SystemExit("no point")


def broken_fallback(path, pub):
    """A broken fallback agent: lists malformed keys OpenSSH's clients
    would refuse the whole list for, then a good one; fails everything
    else; serves until killed."""
    import base64
    import os
    good = base64.b64decode(open(pub).read().split()[1])
    bad = [ssh_string(b"ssh-ed25519") + ssh_string(b"short"),
           ssh_string(b"RSA") + ssh_string(b"garbage"),
           ssh_string(b"rsa-sha2-256") + ssh_string(b"garbage"),
           ssh_string(b"ecdsa-sha2-nistp256") + ssh_string(b"nistp256") +
           ssh_string(small_x_p256_point()),
           ssh_string(b"sk-ecdsa-sha2-nistp256@openssh.com") + ssh_string(b"nistp256") +
           ssh_string(b"\x04" + bytes(64)) + ssh_string(b"ssh:")]
    listing = bytes([12]) + struct.pack(">I", len(bad) + 1)
    for k in bad:
        listing += ssh_string(k) + ssh_string(b"broken")
    listing += ssh_string(good) + ssh_string(b"good-fallback-key")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o600)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        try:
            while True:
                body = body_or_none(conn)
                if not body:
                    break
                conn.sendall(ssh_string(listing if body[0] == 11 else bytes([5])))
        except OSError:
            pass
        conn.close()


def main():
    case, path = sys.argv[1], sys.argv[2]
    if case == "broken-fallback":
        broken_fallback(path, sys.argv[3])
        return
    blob = (open(sys.argv[3], "rb").read()
            if len(sys.argv) > 3 and case != "list-wait-list" else b"")
    ident = struct.pack(">IB", 1, 11)
    s = connect(path)
    out = []
    if case == "zero-length":
        s.sendall(struct.pack(">I", 0))
        out.append(reply(s))
    elif case == "too-large":
        s.sendall(struct.pack(">I", 256 * 1024 + 1) + b"\x0b" * 1024)
        out.append(reply(s))
    elif case == "huge-length":
        s.sendall(struct.pack(">I", 0xFFFFFFFF))
        out.append(reply(s))
    elif case == "truncated-frame":
        s.sendall(struct.pack(">I", 100) + b"\x0d" * 10)
        s.shutdown(socket.SHUT_WR)
        out.append(reply(s))
    elif case == "truncated-header":
        s.sendall(b"\x00\x00")
        s.shutdown(socket.SHUT_WR)
        out.append(reply(s))
    elif case == "unknown-type":
        for t in (0, 1, 99, 255, 17, 21, 22, 27):
            s.sendall(struct.pack(">IB", 1, t))
            out.append(reply(s))
        s.sendall(ident)
        out.append(reply(s))
    elif case == "sign-unknown-key":
        body = b"\x0d" + ssh_string(b"\x00\x00\x00\x07ssh-rsa") + ssh_string(b"data") + struct.pack(">I", 0)
        s.sendall(ssh_string(body))
        out.append(reply(s))
    elif case == "sign-truncated":
        body = b"\x0d" + struct.pack(">I", 1000) + b"abc"
        s.sendall(ssh_string(body))
        out.append(reply(s))
    elif case == "sign-trailing":
        body = b"\x0d" + ssh_string(blob) + ssh_string(b"data") + struct.pack(">I", 0) + b"junk"
        s.sendall(ssh_string(body))
        out.append(reply(s))
    elif case == "sign-ok":
        body = b"\x0d" + ssh_string(blob) + ssh_string(b"data") + struct.pack(">I", 0)
        s.sendall(ssh_string(body))
        out.append(reply(s))
    elif case == "sign-abandon":
        # Ask, then give up before the answer (as a client killed by the
        # user would): the agent must notice and stop asking.
        body = b"\x0d" + ssh_string(blob) + ssh_string(b"data") + struct.pack(">I", 0)
        s.sendall(ssh_string(body))
        time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 0.5)
        out.append("abandoned")
    elif case == "sign-wait":
        # Ask and wait (up to 60 s); print the reply and the seconds taken.
        s.settimeout(60)
        body = b"\x0d" + ssh_string(blob) + ssh_string(b"data") + struct.pack(">I", 0)
        t0 = time.monotonic()
        s.sendall(ssh_string(body))
        out.append(reply(s))
        out.append("%d" % round(time.monotonic() - t0))
    elif case == "sign-halfclose":
        # Send the request, shut down our writing side, wait for the answer.
        s.settimeout(60)
        body = b"\x0d" + ssh_string(blob) + ssh_string(b"data") + struct.pack(">I", 0)
        s.sendall(ssh_string(body))
        s.shutdown(socket.SHUT_WR)
        out.append(reply(s))
    elif case == "sign-flags":
        # Sign with the flags given; print the signature's algorithm name.
        flags = int(sys.argv[4])
        body = b"\x0d" + ssh_string(blob) + ssh_string(b"data") + struct.pack(">I", flags)
        s.sendall(ssh_string(body))
        hdr = recv_exact(s, 4)
        (n,) = struct.unpack(">I", hdr)
        resp = recv_exact(s, n)
        if resp[0] != SIGN_RESPONSE:
            out.append(str(resp[0]))
        else:
            (alg_len,) = struct.unpack(">I", resp[5:9])
            out.append(resp[9:9 + alg_len].decode())
    elif case == "query":
        r = request(s, bytes([27]) + ssh_string(b"query"))
        out.append(" ".join([str(r[0])] + [x.decode() for x in strings(r[1:])]))
    elif case in ("bind-forged", "bind-twice"):
        import os
        key = HostKey(os.path.dirname(os.path.abspath(sys.argv[3])))
        sid1, sid2 = os.urandom(32), os.urandom(32)
        if case == "bind-forged":
            sig = bytearray(key.sign(sid1))
            sig[-1] ^= 1
            out.append(bind(s, key, sid1, bytes(sig), 0) + " " + listed(s))
        else:
            out.append(bind(s, key, sid1, key.sign(sid1), 0))
            out.append(bind(s, key, sid2, key.sign(sid2), 0))
            out.append(bind(s, key, sid1, key.sign(sid1), 1))
    elif case == "tpm-add-restricted":
        # tpm-add-key of a key file, restricted to a host nobody binds.
        import os
        key = HostKey(os.path.dirname(os.path.abspath(sys.argv[3])))
        hop_from = ssh_string(b"") + ssh_string(b"") + ssh_string(b"")
        hop_to = ssh_string(b"") + ssh_string(b"elsewhere") + ssh_string(b"") + ssh_string(key.blob) + b"\x00"
        cons = ssh_string(ssh_string(hop_from) + ssh_string(hop_to) + ssh_string(b""))
        body = (bytes([27]) + ssh_string(b"tpm-add-key") + bytes([25]) + ssh_string(b"TPMKEY") +
                ssh_string(blob) + ssh_string(b"") + b"\xff" +
                ssh_string(b"restrict-destination-v00@openssh.com") + ssh_string(cons))
        r = request(s, body)
        out.append(str(r[0]) if r else "closed")
    elif case == "tpm-add-forged":
        # The key file's DER with one byte of its private part (the last
        # field) changed: the right public key, a wrapping no TPM made.
        import base64
        lines = blob.decode().strip().splitlines()
        der = bytearray(base64.b64decode("".join(lines[1:-1])))
        der[-1] ^= 1
        body = (bytes([27]) + ssh_string(b"tpm-add-key") + bytes([17]) + ssh_string(b"TPMKEY") +
                ssh_string(bytes(der)) + ssh_string(b""))
        r = request(s, body)
        out.append(str(r[0]) if r else "closed")
    elif case == "bind-tpm-add-plain":
        # From a forwarded connection: tpm-add-key of a key we hold,
        # without its constraints.
        import os
        key = HostKey(os.path.dirname(os.path.abspath(sys.argv[3])))
        sid = os.urandom(32)
        out.append(bind(s, key, sid, key.sign(sid), 1))
        body = (bytes([27]) + ssh_string(b"tpm-add-key") + bytes([17]) + ssh_string(b"TPMKEY") +
                ssh_string(blob) + ssh_string(b""))
        r = request(s, body)
        out.append(str(r[0]) if r else "closed")
    elif case in ("bind-remove-all", "bind-forged-add-unknown"):
        import os
        key = HostKey(os.path.dirname(os.path.abspath(sys.argv[3])))
        sid = os.urandom(32)
        sig = key.sign(sid)
        if case == "bind-forged-add-unknown":
            sig = sig[:-1] + bytes([sig[-1] ^ 1])
            request(s, bytes([11]))  # the fallbacks are connected now
        out.append(bind(s, key, sid, sig, 1))
        if case == "bind-remove-all":
            r = request(s, bytes([19]))
        else:
            r = request(s, bytes([17]) + ssh_string(b"unknown-type@example.com") +
                        ssh_string(b"x" * 32) + ssh_string(b"comment"))
        out.append(str(r[0]) if r else "closed")
    elif case == "ext-unknown":
        r = request(s, bytes([27]) + ssh_string(b"no-such-extension@example.com"))
        out.append(str(r[0]) if r else "closed")
        r = request(s, bytes([27]) + ssh_string(b"session-bind@openssh.com") + b"\x00")
        out.append(str(r[0]) if r else "closed")
    elif case == "list-wait-list":
        # One connection: list, wait for the flag file, list again.
        import os
        out.append(listed(s))
        open(sys.argv[3] + ".first", "w").close()
        deadline = time.time() + 30
        while not os.path.exists(sys.argv[3]) and time.time() < deadline:
            time.sleep(0.05)
        out.append(listed(s))
    elif case == "identities-trailing":
        s.sendall(struct.pack(">IBB", 2, 11, 0))
        out.append(reply(s))
    else:
        sys.exit("unknown case " + case)
    s.close()
    print(",".join(out))


main()
