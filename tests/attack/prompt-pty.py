#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Terminal prompts under attack, driven through real ptys.

usage: prompt-pty.py KEYGEN AGENT WORKDIR ATTACKER_UID

1. Another user, on a terminal of their own, takes flock(LOCK_EX) on
   /dev/tty (one inode shared by every terminal) and keeps it: our prompt
   on another terminal must still appear and be answered at once.
2. Two of our prompts on one terminal take turns: the second appears only
   after the first is answered (typed input is never split).
3. An agent on a terminal: a prompt that times out or whose client leaves
   says so on the terminal (whoever types must stop); the listener's own
   owner-password prompt does not keep the terminal from its handlers.
4. An askpass that reads the terminal itself still works (it must stay in
   the foreground process group).

Prints "ok - NAME" / "not ok - NAME: why" lines; exits 1 on any failure."""
import fcntl
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import sys
import time

KEYGEN, AGENT, WORK, ATTACKER = sys.argv[1:5]
failed = 0


def report(name, good, why=""):
    global failed
    if good:
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - %s: %s" % (name, why))


def spawn(argv, env=None):
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvpe(argv[0], argv, env if env is not None else os.environ)
        finally:
            os._exit(127)
    return pid, fd


class Term:
    def __init__(self, fd):
        self.fd, self.seen = fd, b""

    def expect(self, text, timeout):
        """True once text has appeared (counting from the last match)."""
        want = text.encode()
        deadline = time.monotonic() + timeout
        while want not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                continue
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            self.seen += data
        self.seen = self.seen[self.seen.index(want) + len(want):]
        return True

    def quiet_for(self, text, seconds):
        """True if text does not appear within seconds."""
        return not self.expect(text, seconds)

    def send(self, s):
        os.write(self.fd, s.encode())


def wait_exit(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p, status = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "timeout"


env = dict(os.environ, XDG_RUNTIME_DIR=os.path.join(WORK, "run"))
os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)

# 1. The attacker's terminal: flock /dev/tty and hold it.
holder = ("import fcntl,os,time; fd=os.open('/dev/tty', os.O_RDWR); "
          "fcntl.flock(fd, fcntl.LOCK_EX); print('LOCKED', flush=True); time.sleep(600)")
apid, afd = spawn(["setpriv", "--reuid=" + ATTACKER, "--regid=" + ATTACKER,
                   "--clear-groups", "/usr/bin/python3", "-c", holder])
attacker = Term(afd)
report("attacker (uid %s) holds flock on /dev/tty" % ATTACKER,
       attacker.expect("LOCKED", 10), attacker.seen)

# Root's keygen on its own terminal: the prompt appears, the answer works.
vpid, vfd = spawn([KEYGEN, "-q", "-C", "tty", "-f", os.path.join(WORK, "ttykey")], env)
victim = Term(vfd)
t0 = time.monotonic()
got = victim.expect("Enter passphrase", 10)
report("prompt appears despite the attacker's lock", got, victim.seen)
report("prompt appears within 5 s", got and time.monotonic() - t0 < 5, "%.1f s" % (time.monotonic() - t0))
if got:
    victim.send("tty-pass-1\n")
    report("confirmation prompt", victim.expect("Confirm passphrase", 10), victim.seen)
    victim.send("tty-pass-1\n")
report("keygen finished (exit 0)", wait_exit(vpid, 20) == 0)
report("key written", os.path.exists(os.path.join(WORK, "ttykey.tpm")))
os.kill(apid, signal.SIGKILL)
os.waitpid(apid, 0)

# 2. Two of our prompts on one terminal take turns.
script = ('"$0" -q -C a -f "$1/turn-a" & sleep 0.5; "$0" -q -C b -f "$1/turn-b" & wait')
spid, sfd = spawn(["sh", "-c", script, KEYGEN, WORK], env)
term = Term(sfd)
report("first prompt", term.expect("Enter passphrase", 10), term.seen)
report("second prompt waits while the first is unanswered", term.quiet_for("Enter passphrase", 1.5))
term.send("turn-pass\n")
report("first: confirmation", term.expect("Confirm passphrase", 10), term.seen)
report("second still waits during the confirmation", term.quiet_for("Enter passphrase", 1.0))
term.send("turn-pass\n")
report("second prompt once the first is done", term.expect("Enter passphrase", 10), term.seen)
term.send("turn-pass\n")
report("second: confirmation", term.expect("Confirm passphrase", 10), term.seen)
term.send("turn-pass\n")
report("both finished", wait_exit(spid, 20) == 0)
report("both keys written", all(os.path.exists(os.path.join(WORK, n)) for n in ("turn-a.tpm", "turn-b.tpm")))
rdir = os.path.join(env["XDG_RUNTIME_DIR"], "ssh-tpm-agent")
locks = [os.stat(os.path.join(rdir, n)) for n in os.listdir(rdir) if n.startswith("tty-")]
report("the turn-taking locks are our own 0600 files in our 0700 runtime dir",
       len(locks) == 2 and all(st.st_uid == os.geteuid() and st.st_mode & 0o777 == 0o600 for st in locks)
       and os.stat(rdir).st_mode & 0o777 == 0o700, locks)


def sign_request(sock_path, blob, wait):
    """Send a SIGN_REQUEST; wait for the reply (or just close after wait s)."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    body = b"\x0d" + struct.pack(">I", len(blob)) + blob + struct.pack(">I", 4) + b"data" + struct.pack(">I", 0)
    s.sendall(struct.pack(">I", len(body)) + body)
    return s


def wait_socket(path, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


# 3. The agent on a terminal, asking there (no askpass, no display).
keys = os.path.join(WORK, "ptykeys")
os.makedirs(keys, mode=0o700, exist_ok=True)
subprocess.run([KEYGEN, "-q", "-N", "pty-pass", "-C", "ptykey", "-f", os.path.join(keys, "k")], check=True)
pub = open(os.path.join(keys, "k.pub")).read().split()
import base64
blob = base64.b64decode(pub[1])
aenv = {k: v for k, v in env.items() if k not in ("SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "DISPLAY", "WAYLAND_DISPLAY")}
sock = os.path.join(WORK, "pty-agent.sock")
gpid, gfd = spawn([AGENT, "-l", sock, "--no-cache", "--prompt-timeout", "2", "--key-dir", keys], aenv)
agent = Term(gfd)
report("agent on a terminal started", wait_socket(sock))
c = sign_request(sock, blob, 0)
report("agent prompts on its terminal", agent.expect("Enter passphrase for TPM key ptykey", 10), agent.seen)
agent.send("pty-")  # typing has begun when the prompt ends
report("a timed-out prompt says so", agent.expect("(prompt timed out)", 10), agent.seen)
c.close()
c = sign_request(sock, blob, 0)
report("next prompt", agent.expect("Enter passphrase for TPM key ptykey", 10), agent.seen)
time.sleep(0.3)
c.close()
report("a prompt whose client left says so", agent.expect("(prompt cancelled: the client went away)", 10), agent.seen)
os.kill(gpid, signal.SIGTERM)
wait_exit(gpid, 10)

# The listener's -o prompt, then: its handlers can take the terminal.
sock2 = os.path.join(WORK, "pty-agent2.sock")
gpid, gfd = spawn([AGENT, "-o", "-l", sock2, "--no-cache", "--key-dir", keys], aenv)
agent = Term(gfd)
report("-o: owner password asked first", agent.expect("Enter the TPM owner password", 10), agent.seen)
agent.send("\n")
report("-o: then listening", agent.expect("listening on", 10), agent.seen)
held = []
for n in os.listdir(rdir):
    if n.startswith("tty-"):
        fd = os.open(os.path.join(rdir, n), os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            held.append(n)
        os.close(fd)
report("-o: the listener does not keep the terminal's turn", not held, held)
c = sign_request(sock2, blob, 0)
report("-o: a handler can prompt", agent.expect("Enter passphrase for TPM key ptykey", 10), agent.seen)
agent.send("pty-pass\n")
c.settimeout(20)
try:
    hdr = c.recv(5)
    report("-o: signed after the prompt", len(hdr) == 5 and hdr[4] == 14, hdr)
except OSError as e:
    report("-o: signed after the prompt", False, e)
c.close()
os.kill(gpid, signal.SIGTERM)
wait_exit(gpid, 10)

# 4. An askpass that reads the terminal (stays in our process group).
askpass = os.path.join(WORK, "askpass-tty.sh")
with open(askpass, "w") as f:
    f.write("#!/bin/sh\nprintf '%s' \"$1\" >/dev/tty\nread -r p </dev/tty\nprintf '%s\\n' \"$p\"\n")
os.chmod(askpass, 0o755)
kenv = dict(env, SSH_ASKPASS=askpass, SSH_ASKPASS_REQUIRE="force")
kpid, kfd = spawn([KEYGEN, "-q", "-C", "viatty", "-f", os.path.join(WORK, "viatty")], kenv)
term = Term(kfd)
report("tty-reading askpass: asks", term.expect("Enter passphrase", 10), term.seen)
term.send("ap-pass\n")
report("tty-reading askpass: asks again", term.expect("Confirm passphrase", 10), term.seen)
term.send("ap-pass\n")
report("tty-reading askpass: keygen finished", wait_exit(kpid, 20) == 0)
sys.exit(1 if failed else 0)
