#!/usr/bin/python3
"""Terminal prompts under attack, driven through real ptys.

usage: prompt-pty.py KEYGEN WORKDIR ATTACKER_UID

1. Another user, on a terminal of their own, takes flock(LOCK_EX) on
   /dev/tty (one inode shared by every terminal) and keeps it: our prompt
   on another terminal must still appear and be answered at once.
2. Two of our prompts on one terminal take turns: the second appears only
   after the first is answered (typed input is never split).

Prints "ok - NAME" / "not ok - NAME: why" lines; exits 1 on any failure."""
import os
import pty
import select
import signal
import sys
import time

KEYGEN, WORK, ATTACKER = sys.argv[1], sys.argv[2], sys.argv[3]
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
sys.exit(1 if failed else 0)
