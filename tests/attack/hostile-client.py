#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Agent clients that misbehave on purpose, for tests/attack/hostile.sh:
each prints one line saying what the agent did, for the test to check.

  trickle SOCK MS    a 21-byte request, one byte every MS ms:
                     "closed AFTER SENT" (seconds from the first byte,
                     bytes sent) or "answered" / "not closed"
  stall SOCK HEX     these bytes at once (a partial frame), then nothing:
                     "closed AFTER" (seconds from the bytes) or "not closed"
  idle SOCK S        nothing for S seconds, a listing, S seconds more, a
                     listing: "answered T1 T2" (reply types)
  noread SOCK        requests, never reading a reply, as fast as the agent
                     takes them: "closed AFTER SINCE N" (seconds from the
                     first request and from the last one the agent took,
                     requests sent) or "not closed"
  cap SOCK N         N connections, each served once and held; one more
                     with a request: "waiting" while no reply comes in
                     1.5 s, then one of the N closed: "served AFTER"
  hold SOCK          one connection, served once ("held", flushed), then
                     held until the agent closes it ("closed"), at most
                     10 minutes

Nothing here stands in for a real component: the clients that are served
meanwhile are OpenSSH's ssh-add."""
import os
import select
import socket
import struct
import sys
import time

LIMIT = 20  # seconds: no agent bound a test uses is close to this

REQUEST_IDENTITIES = 11
UNKNOWN = 200  # no such request: FAILURE without touching a key


def frame(body):
    return struct.pack(">I", len(body)) + body


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def reply_type(s, timeout):
    """The type of the next reply, None if none came in time, "closed"."""
    s.settimeout(timeout)
    try:
        data = b""
        while len(data) < 5:
            chunk = s.recv(5 - len(data))
            if not chunk:
                return "closed"
            data += chunk
    except socket.timeout:
        return None
    except ConnectionResetError:
        return "closed"
    (n,) = struct.unpack(">I", data[:4])
    rest = b""
    while len(rest) < n - 1:
        chunk = s.recv(n - 1 - len(rest))
        if not chunk:
            return "closed"
        rest += chunk
    return str(data[4])


def closed_within(s, seconds):
    """Whether the agent closes s within seconds (anything it sends is
    read and dropped)."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([s], [], [], left)
        if r:
            try:
                if not s.recv(4096):
                    return True
            except ConnectionResetError:
                return True


def trickle(path, ms):
    s = connect(path)
    data = frame(bytes([UNKNOWN]) + b"x" * 16)
    first = time.monotonic()
    for i, b in enumerate(data):
        try:
            s.send(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            print("closed %.2f %d" % (time.monotonic() - first, i))
            return
        r, _, _ = select.select([s], [], [], ms / 1000)
        if r:
            try:
                got = s.recv(4096)
            except ConnectionResetError:
                got = b""
            if got:
                print("answered")
            else:
                print("closed %.2f %d" % (time.monotonic() - first, i + 1))
            return
    print("closed %.2f %d" % (time.monotonic() - first, len(data))
          if closed_within(s, LIMIT) else "not closed")


def stall(path, hexbytes):
    s = connect(path)
    s.sendall(bytes.fromhex(hexbytes))
    start = time.monotonic()
    print("closed %.2f" % (time.monotonic() - start)
          if closed_within(s, LIMIT) else "not closed")


def idle(path, seconds):
    s = connect(path)
    types = []
    for _ in range(2):
        time.sleep(seconds)
        s.sendall(frame(bytes([REQUEST_IDENTITIES])))
        types.append(str(reply_type(s, 10)))
    print("answered " + " ".join(types))


def noread(path):
    s = connect(path)
    s.setblocking(False)
    req = frame(bytes([UNKNOWN]))
    sent = 0
    start = last = time.monotonic()
    end = last + LIMIT
    while time.monotonic() < end:
        try:
            s.send(req)
            sent += 1
            last = time.monotonic()
            continue
        except BlockingIOError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            print("closed %.2f %.2f %d" % (time.monotonic() - start,
                                           time.monotonic() - last, sent))
            return
        # Our requests are not taken: the agent is stuck on its reply.
        # Wait for it to hang up (POLLHUP), still reading nothing.
        p = select.poll()
        p.register(s, select.POLLOUT)
        for _, ev in p.poll(200):
            if ev & (select.POLLHUP | select.POLLERR):
                print("closed %.2f %.2f %d" % (time.monotonic() - start,
                                               time.monotonic() - last, sent))
                return
    print("not closed")


def cap(path, n):
    held = []
    for _ in range(n):
        s = connect(path)
        s.sendall(frame(bytes([REQUEST_IDENTITIES])))
        if reply_type(s, 10) != "12":
            print("held connection not served")
            return
        held.append(s)
    extra = connect(path)
    extra.sendall(frame(bytes([REQUEST_IDENTITIES])))
    got = reply_type(extra, 1.5)
    if got is not None:
        print("served at once (%s)" % got)
        return
    print("waiting", flush=True)
    held.pop(0).close()
    start = time.monotonic()
    got = reply_type(extra, 10)
    print("served %.2f" % (time.monotonic() - start) if got == "12"
          else "not served (%s)" % got)


def hold(path):
    s = connect(path)
    s.sendall(frame(bytes([REQUEST_IDENTITIES])))
    if reply_type(s, 10) != "12":
        print("not served", flush=True)
        return
    print("held", flush=True)
    if closed_within(s, 600):
        print("closed", flush=True)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "trickle":
        trickle(path, int(sys.argv[3]))
    elif mode == "stall":
        stall(path, sys.argv[3])
    elif mode == "idle":
        idle(path, float(sys.argv[3]))
    elif mode == "noread":
        noread(path)
    elif mode == "cap":
        cap(path, int(sys.argv[3]))
    elif mode == "hold":
        hold(path)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    os.environ.pop("SSH_AUTH_SOCK", None)
    main()
