#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Take TSS2 PRIVATE KEY files apart and make the broken or foreign ones
the tests need (the test plays the hostile or other tool; the agent and
keygen read what it writes).

  tsskey.py split KEY PUB PRIV         the TPM2B public and private blobs
  tsskey.py policy-cc KEY OUT OLD NEW  a [1] step's command code replaced
  tsskey.py drop-policy KEY OUT        the key without its [1] policy
  tsskey.py bad-selection KEY OUT      PolicyPCR's sizeofSelect 3 -> 4
  tsskey.py swap-priv KEY OLD NEW      the private blob OLD replaced by NEW
                                       in place, emptyAuth set FALSE
  tsskey.py attributes KEY             the public area's objectAttributes
                                       (decimal)"""
import base64
import sys

LABEL = "TSS2 PRIVATE KEY"


def read(path):
    text = open(path).read().split("\n")
    return base64.b64decode("".join(line for line in text if line and not line.startswith("-----")))


def write(path, der):
    b = base64.b64encode(bytes(der)).decode()
    with open(path, "w") as f:
        f.write("-----BEGIN %s-----\n" % LABEL)
        f.write("\n".join(b[k:k + 64] for k in range(0, len(b), 64)) + "\n")
        f.write("-----END %s-----\n" % LABEL)


def tlv(b, i):
    """(tag, contents, end) of the TLV at i."""
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + n], i + n


def enc(tag, v):
    n = len(v)
    ln = bytes([n]) if n < 0x80 else bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + ln + v


def fields(der):
    """The key SEQUENCE's fields as (tag, contents, whole TLV)."""
    _, seq, _ = tlv(der, 0)
    out, i = [], 0
    while i < len(seq):
        start = i
        tag, val, i = tlv(seq, i)
        out.append((tag, val, seq[start:i]))
    return out


def main():
    cmd, key = sys.argv[1], sys.argv[2]
    der = read(key)
    if cmd == "split":
        octets = [v for t, v, _ in fields(der) if t == 0x04]
        open(sys.argv[3], "wb").write(octets[-2])
        open(sys.argv[4], "wb").write(octets[-1])
    elif cmd == "policy-cc":
        old, new = int(sys.argv[4], 16), int(sys.argv[5], 16)
        pat = bytes([0xa0, 0x04, 0x02, 0x02]) + old.to_bytes(2, "big")
        der = bytearray(der)
        i = der.find(pat)
        assert i > 0, "no such command code"
        der[i + 4:i + 6] = new.to_bytes(2, "big")
        write(sys.argv[3], der)
    elif cmd == "attributes":
        # TPM2B_PUBLIC: size, type, nameAlg, then objectAttributes.
        pub = [v for t, v, _ in fields(der) if t == 0x04][-2]
        print(int.from_bytes(pub[6:10], "big"))
    elif cmd == "drop-policy":
        write(sys.argv[3], enc(0x30, b"".join(w for t, _, w in fields(der) if t != 0xa1)))
    elif cmd == "bad-selection":
        out = b""
        for t, val, whole in fields(der):
            if t != 0xa1:
                out += whole
                continue
            _, steps, _ = tlv(val, 0)
            _, step, _ = tlv(steps, 0)
            _, a0, k = tlv(step, 0)
            _, a1, _ = tlv(step, k)
            _, body, _ = tlv(a1, 0)
            assert body[:7] == bytes([0, 0, 0, 1, 0, 0x0b, 3])
            body = body[:6] + bytes([4]) + body[7:10] + b"\0" + body[10:]
            out += enc(0xa1, enc(0x30, enc(0x30, enc(0xa0, a0) + enc(0xa1, enc(0x04, body)))))
        write(sys.argv[3], enc(0x30, out))
    elif cmd == "swap-priv":
        old, new = open(sys.argv[3], "rb").read(), open(sys.argv[4], "rb").read()
        der = bytearray(der)
        assert len(old) == len(new) and der.count(old) == 1
        i = der.find(old)
        der[i:i + len(old)] = new
        j = der.find(bytes([0xa0, 0x03, 0x01, 0x01, 0xff]))  # [0] emptyAuth TRUE
        assert j > 0
        der[j + 4] = 0x00
        write(key, der)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
