#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A TPM that never answers: listens on SOCK and SOCK.ctrl (as the swtpm
TCTI expects), accepts every connection, reads what comes and replies
nothing, until killed.  usage: hung-tpm.py SOCK"""
import os
import selectors
import socket
import sys

path = sys.argv[1]
sel = selectors.DefaultSelector()
for p in (path, path + ".ctrl"):
    if os.path.exists(p):
        os.unlink(p)
    s = socket.socket(socket.AF_UNIX)
    s.bind(p)
    s.listen(16)
    sel.register(s, selectors.EVENT_READ, "listen")
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        if key.data == "listen":
            c, _ = key.fileobj.accept()
            sel.register(c, selectors.EVENT_READ, "client")
        elif not key.fileobj.recv(65536):
            sel.unregister(key.fileobj)
            key.fileobj.close()
