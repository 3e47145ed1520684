#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark: ssh-tpm-agent vs OpenSSH ssh-agent, on one private swtpm, in
one run.  Prints a table (medians over N runs, milliseconds) and the ratios
against the targets of the agent issue; --markdown writes the same table
for BENCHMARKS.md.  Not a test: numbers on a noisy 2-core machine are
figures, not pass/fail.

usage: bench.py BUILD_DIR [--runs N] [--markdown FILE]"""
import argparse
import base64
import os
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, **kw)


def timed(cmd, env, runs):
    """Median wall time of running cmd, in ms (one warm-up run)."""
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(samples)


def timed_interleaved(cmds, runs):
    """Median wall times (ms) of several (cmd, env), one run of each in
    turn per round (one warm-up round)."""
    samples = [[] for _ in cmds]
    for r in range(runs + 1):
        for i, (cmd, env) in enumerate(cmds):
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            if r:
                samples[i].append((time.perf_counter() - t0) * 1e3)
    return [statistics.median(s) for s in samples]


def wait_sock(path, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                s.close()
                return
            except OSError:
                pass
        time.sleep(0.02)
    sys.exit("nothing listening on " + path)


def handler_peak_rss_kib(agent, keydir, env, blob):
    """Run one handler in inetd mode on a socketpair, make it list and
    sign, and read its peak RSS (VmHWM) from /proc while it is still
    connected.  (wait4's ru_maxrss would carry the forking parent's
    high-water mark across exec.)"""
    ours, theirs = socket.socketpair()
    p = subprocess.Popen([agent, "--key-dir", keydir], stdin=theirs,
                         stdout=theirs, stderr=subprocess.DEVNULL, env=env)
    theirs.close()

    def req(body):
        ours.sendall(struct.pack(">I", len(body)) + body)
        n = struct.unpack(">I", ours.recv(4, socket.MSG_WAITALL))[0]
        return ours.recv(n, socket.MSG_WAITALL)

    def s(b):
        return struct.pack(">I", len(b)) + b
    assert req(b"\x0b")[0] == 12
    assert req(b"\x0d" + s(blob) + s(b"data") + struct.pack(">I", 0))[0] == 14
    hwm = anon = rfile = None
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            if line.startswith("RssAnon:"):
                anon = int(line.split()[1])
            if line.startswith("RssFile:"):
                rfile = int(line.split()[1])
    # The file-backed pages by mapping (libraries, the binary).
    libs = {}
    with open("/proc/%d/smaps" % p.pid) as f:
        name = None
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "-" in parts[0] and parts[5].startswith("/"):
                name = os.path.basename(parts[5])
            elif len(parts) >= 2 and "-" in parts[0]:
                name = None
            elif line.startswith("Rss:") and name:
                libs[name] = libs.get(name, 0) + int(parts[1])
    ours.close()
    assert p.wait() == 0
    return hwm, anon, rfile, libs


def ssh_string(b):
    return struct.pack(">I", len(b)) + b


def sign_body(blob):
    return b"\x0d" + ssh_string(blob) + ssh_string(b"data") + struct.pack(">I", 0)


def inetd_request(agent, keydir, env, body, stderr=subprocess.DEVNULL):
    """One handler (inetd mode, on a socketpair), one request; the reply's
    type and the wall time from spawn to exit, in ms."""
    ours, theirs = socket.socketpair()
    t0 = time.perf_counter()
    p = subprocess.Popen([agent, "--key-dir", keydir], stdin=theirs, stdout=theirs,
                         stderr=stderr, env=env)
    theirs.close()
    ours.sendall(ssh_string(body))
    n = struct.unpack(">I", ours.recv(4, socket.MSG_WAITALL))[0]
    reply = ours.recv(n, socket.MSG_WAITALL)
    ours.close()
    p.wait()
    return reply[0], (time.perf_counter() - t0) * 1e3


def inetd_median(agent, keydir, env, body, runs, want):
    inetd_request(agent, keydir, env, body)
    out = []
    for _ in range(runs):
        t, ms = inetd_request(agent, keydir, env, body)
        if t != want:
            sys.exit("handler answered %d, not %d (%s)" % (t, want, keydir))
        out.append(ms)
    return statistics.median(out)


def handler_start(agent, env, runs):
    """A handler's start on its own: spawn (inetd mode), peer check, EOF, exit."""
    out = []
    for _ in range(runs + 1):
        ours, theirs = socket.socketpair()
        t0 = time.perf_counter()
        p = subprocess.Popen([agent, "--key-dir", "/nonexistent"], stdin=theirs,
                             stdout=theirs, stderr=subprocess.DEVNULL, env=env)
        theirs.close()
        ours.close()
        p.wait()
        out.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(out[1:])


TPM_CC = {"173": "ReadPublic", "131": "CreatePrimary", "157": "Load", "162": "ContextSave",
          "161": "ContextLoad", "15d": "Sign", "165": "FlushContext"}


def tpm_commands(agent, keydir, env, blob):
    """The TPM commands one sign-only handler sends (tpm2-tss's TCTI
    trace), as names; ESYS's resend of a Sign answered TPM_RC_RETRY by
    a TPM still self-testing counted once."""
    with tempfile.TemporaryFile() as err:
        t, _ = inetd_request(agent, keydir, dict(env, TSS2_LOG="tcti+debug"), sign_body(blob),
                             stderr=err)
        err.seek(0)
        codes = []
        for line in err.read().decode(errors="replace").splitlines():
            if "Sending command with TPM_CC 0x" in line:
                c = line.split("TPM_CC 0x")[1].split()[0]
                if not (codes and codes[-1] == c == "15d"):
                    codes.append(c)
    if t != 14:
        sys.exit("sign failed in the TPM-command count")
    return [TPM_CC.get(c, "0x" + c) for c in codes]


def parallel_sign(sock, blob, clients, per_client):
    """clients threads, each per_client sign-only requests on connections
    of their own (a handler each): signatures per second and failures."""
    import threading
    fails = [0]
    lock = threading.Lock()

    def run():
        for _ in range(per_client):
            try:
                c = socket.socket(socket.AF_UNIX)
                c.connect(sock)
                c.sendall(ssh_string(sign_body(blob)))
                n = struct.unpack(">I", c.recv(4, socket.MSG_WAITALL))[0]
                ok = c.recv(n, socket.MSG_WAITALL)[0] == 14
                c.close()
            except OSError:
                ok = False
            if not ok:
                with lock:
                    fails[0] += 1
    threads = [threading.Thread(target=run) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return clients * per_client / (time.perf_counter() - t0), fails[0]


def drop_contexts(keyring):
    subprocess.run(["sh", "-c", "kr=$(keyctl search @u keyring %s 2>/dev/null) || exit 0; "
                    "for k in $(keyctl rlist $kr); do keyctl rdescribe $k | grep -q ':tpm-context:' "
                    "&& keyctl unlink $k $kr; done" % keyring],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def unit_command(agent):
    """The user unit's ExecStart=, with the build's binary for @bindir@."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "units",
                       "user", "ssh-tpm-agent@.service.in")
    with open(src) as f:
        for line in f:
            if line.startswith("ExecStart="):
                words = line[len("ExecStart="):].split()
                return [agent] + words[1:]
    sys.exit(src + ": no ExecStart=")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--markdown")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    agent = os.path.join(build, "handler", "ssh-tpm-agent")
    keygen = os.path.join(build, "tools", "ssh-tpm-keygen")
    raw = os.path.join(build, "tests", "bench", "tpm-raw")
    work = tempfile.mkdtemp(prefix="ta-bench.")
    procs = []
    try:
        env = dict(os.environ, TSS2_LOG="all+NONE")
        env.pop("SSH_AUTH_SOCK", None)
        # A keyring (saved contexts, added keys) and a runtime directory
        # (key-dir indexes) of the benchmark's own.
        env["SSH_TPM_AGENT_KEYRING"] = "ta-bench-%d" % os.getpid()
        env["XDG_RUNTIME_DIR"] = os.path.join(work, "run")
        os.mkdir(env["XDG_RUNTIME_DIR"], 0o700)
        tcti = "swtpm:path=%s/sock" % work
        procs.append(subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + work,
             "--server", "type=unixio,path=%s/sock" % work,
             "--ctrl", "type=unixio,path=%s/sock.ctrl" % work,
             "--flags", "not-need-init,startup-clear"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        env["SSH_TPM_AGENT_TCTI"] = tcti
        wait_sock(work + "/sock")
        time.sleep(0.1)

        # Key dirs: 10 keys for listing, one of each type for signing.
        tdirs = {}
        for kind, t, b in (("list", None, None), ("ecdsa", "ecdsa", "256"),
                           ("rsa", "rsa", "2048")):
            d = os.path.join(work, "tpm-" + kind)
            os.mkdir(d)
            tdirs[kind] = d
        for i in range(10):
            t = "rsa" if i % 5 == 4 else "ecdsa"
            sh([keygen, "-q", "-N", "", "-t", t, "-f",
                "%s/k%d" % (tdirs["list"], i)], env=env)
        sh([keygen, "-q", "-N", "", "-t", "ecdsa", "-f", tdirs["ecdsa"] + "/k"], env=env)
        sh([keygen, "-q", "-N", "", "-t", "rsa", "-f", tdirs["rsa"] + "/k"], env=env)

        # Our agent, Accept=yes through systemd-socket-activate (fork+exec
        # per connection, as under systemd) and standalone -l (fork only).
        ours = {}
        for kind in tdirs:
            for mode in ("accept", "standalone"):
                sock = "%s/%s-%s.sock" % (work, mode, kind)
                if mode == "accept":
                    cmd = ["systemd-socket-activate", "--accept", "-l", sock,
                           "-E", "SSH_TPM_AGENT_TCTI", "-E", "TSS2_LOG",
                           "-E", "SSH_TPM_AGENT_KEYRING", "-E", "XDG_RUNTIME_DIR"] + \
                        unit_command(agent) + ["--key-dir", tdirs[kind]]
                else:
                    cmd = [agent, "-l", sock, "--key-dir", tdirs[kind]]
                procs.append(subprocess.Popen(cmd, env=env,
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
                wait_sock(sock)
                ours[(mode, kind)] = sock

        # OpenSSH ssh-agent with software keys of the same types.
        sdirs = {}
        for kind, t, b, n in (("list", "ecdsa", "256", 10), ("ecdsa", "ecdsa", "256", 1),
                              ("rsa", "rsa", "2048", 1)):
            d = os.path.join(work, "sw-" + kind)
            os.mkdir(d)
            sock = os.path.join(work, "ssh-agent-%s.sock" % kind)
            procs.append(subprocess.Popen(["ssh-agent", "-D", "-a", sock],
                                          stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            wait_sock(sock)
            for i in range(n):
                kt = "rsa" if (kind == "list" and i % 5 == 4) else t
                kb = "2048" if kt == "rsa" else b
                sh(["ssh-keygen", "-q", "-t", kt, "-b", kb, "-N", "", "-f",
                    "%s/k%d" % (d, i)])
                sh(["ssh-add", "-q", "%s/k%d" % (d, i)],
                   env=dict(env, SSH_AUTH_SOCK=sock))
            sdirs[kind] = (d, sock)

        with open(os.path.join(work, "msg"), "w") as f:
            f.write("a small file\n")
        msg = os.path.join(work, "msg")

        def sign_cmd(pub):
            return ["sh", "-c", "rm -f %s.sig && ssh-keygen -Y sign -q -n file -f %s %s"
                    % (msg, pub, msg)]

        res = {}
        R = a.runs
        # OpenSSH and ours interleaved, run by run: this machine's speed
        # drifts by tens of percent over a minute, and the ratios are what
        # is judged.
        m = timed_interleaved([
            (["ssh-add", "-l"], dict(env, SSH_AUTH_SOCK=sdirs["list"][1])),
            (["ssh-add", "-l"], dict(env, SSH_AUTH_SOCK=ours[("accept", "list")])),
            (["ssh-add", "-l"], dict(env, SSH_AUTH_SOCK=ours[("standalone", "list")]))], R)
        res["openssh list"], res["accept list"], res["standalone list"] = m
        for kind in ("ecdsa", "rsa"):
            m = timed_interleaved([
                (sign_cmd(sdirs[kind][0] + "/k0.pub"), dict(env, SSH_AUTH_SOCK=sdirs[kind][1])),
                (sign_cmd(tdirs[kind] + "/k.pub"), dict(env, SSH_AUTH_SOCK=ours[("accept", kind)])),
                (sign_cmd(tdirs[kind] + "/k.pub"), dict(env, SSH_AUTH_SOCK=ours[("standalone", kind)]))], R)
            res["openssh sign " + kind], res["accept sign " + kind], res["standalone sign " + kind] = m
            out = sh([raw, tdirs[kind] + "/k.tpm", str(R)], env=env).stdout
            res["raw " + kind] = float(out)

        # 10 ed25519 keys added with ssh-add: OpenSSH's agent, ours
        # Accept=yes and standalone (--no-load: only the added keys; in a
        # keyring of the benchmark's own).
        addk = os.path.join(work, "added")
        os.mkdir(addk)
        for i in range(10):
            sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "%s/k%d" % (addk, i)])
        asocks = {}
        for mode in ("openssh", "accept", "standalone"):
            sock = "%s/added-%s.sock" % (work, mode)
            if mode == "openssh":
                cmd = ["ssh-agent", "-D", "-a", sock]
            elif mode == "accept":
                cmd = ["systemd-socket-activate", "--accept", "-l", sock,
                       "-E", "SSH_TPM_AGENT_TCTI", "-E", "TSS2_LOG",
                       "-E", "SSH_TPM_AGENT_KEYRING", agent, "--no-load"]
            else:
                cmd = [agent, "-D", "-l", sock, "--no-load"]
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            wait_sock(sock)
            asocks[mode] = sock
        # Ours share one keyring: adding through one agent serves both.
        for m in ("openssh", "accept"):
            for i in range(10):
                sh(["ssh-add", "-q", "%s/k%d" % (addk, i)], env=dict(env, SSH_AUTH_SOCK=asocks[m]))
        modes = ("openssh", "accept", "standalone")
        m = timed_interleaved([(["ssh-add", "-l"], dict(env, SSH_AUTH_SOCK=asocks[x])) for x in modes], R)
        for x, v in zip(modes, m):
            res["added list " + x] = v
        m = timed_interleaved([(sign_cmd(addk + "/k0.pub"), dict(env, SSH_AUTH_SOCK=asocks[x]))
                               for x in modes], R)
        for x, v in zip(modes, m):
            res["added sign " + x] = v

        # The proxy example: OpenSSH's agent (10 keys; an ecdsa key) behind
        # ours (--no-load -A): what a fallback costs per request.
        for mode in ("accept", "standalone"):
            for kind in ("list", "ecdsa"):
                sock = "%s/proxy-%s-%s.sock" % (work, mode, kind)
                fb = ["--no-load", "-A", sdirs[kind][1]]
                if mode == "accept":
                    cmd = ["systemd-socket-activate", "--accept", "-l", sock,
                           "-E", "SSH_TPM_AGENT_TCTI", "-E", "TSS2_LOG",
                           "-E", "SSH_TPM_AGENT_KEYRING", agent] + fb
                else:
                    cmd = [agent, "-D", "-l", sock] + fb
                procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
                wait_sock(sock)
                e = dict(env, SSH_AUTH_SOCK=sock)
                if kind == "list":
                    res["proxy list " + mode] = timed(["ssh-add", "-l"], e, R)
                else:
                    res["proxy sign " + mode] = timed(sign_cmd(sdirs["ecdsa"][0] + "/k0.pub"), e, R)

        # Hierarchy keys (--hierarchy owner), standalone, in a keyring of
        # their own: warm (the kept tpm-context records) and cold (the
        # records dropped before each run, so the keys are derived again;
        # the dropping alone is timed too and taken off).
        hk = "ta-bench-hier-%d" % os.getpid()
        henv = dict(env, SSH_TPM_AGENT_KEYRING=hk)
        hsock = os.path.join(work, "hier.sock")
        hdir = os.path.join(work, "hier-empty")
        os.mkdir(hdir)
        procs.append(subprocess.Popen([agent, "-D", "-l", hsock, "--key-dir", hdir,
                                       "--hierarchy", "owner"], env=henv,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_sock(hsock)
        he = dict(henv, SSH_AUTH_SOCK=hsock)
        pubs = sh(["ssh-add", "-L"], env=he).stdout.decode().splitlines()
        for i, kind in enumerate(("rsa", "ecdsa")):
            with open(os.path.join(work, "hier-%s.pub" % kind), "w") as f:
                f.write(pubs[i] + "\n")
        drop = "kr=$(keyctl search @u keyring %s 2>/dev/null) && keyctl clear $kr; " % hk
        res["hier drop"] = timed(["sh", "-c", drop + "true"], he, R)
        res["hier list warm"] = timed(["ssh-add", "-l"], he, R)
        res["hier list cold"] = timed(["sh", "-c", drop + "ssh-add -l >/dev/null"], he, R) - res["hier drop"]
        for kind in ("rsa", "ecdsa"):
            pub = os.path.join(work, "hier-%s.pub" % kind)
            res["hier sign warm " + kind] = timed(sign_cmd(pub), he, R)
            res["hier sign cold " + kind] = timed(
                ["sh", "-c", drop + " ".join(sign_cmd(pub)[2:])], he, R) - res["hier drop"]
        subprocess.run(["sh", "-c", "kr=$(keyctl search @u keyring %s 2>/dev/null) && keyctl unlink $kr @u" % hk],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        # Process start alone: what every Accept=yes connection pays before
        # any work (fork + exec + dynamic linking).
        res["start true"] = timed(["/bin/true"], env, R)
        res["start agent"] = timed([agent, "--print-socket"], env, R)
        res["start handler"] = handler_start(agent, env, R)

        # TPM commands per signature (a sign-only handler), cold (no saved
        # contexts) and warm.
        eblob = base64.b64decode(open(tdirs["ecdsa"] + "/k.pub").read().split()[1])
        drop_contexts(env["SSH_TPM_AGENT_KEYRING"])
        cmds = {"cold": tpm_commands(agent, tdirs["ecdsa"], env, eblob)}
        cmds["warm"] = tpm_commands(agent, tdirs["ecdsa"], env, eblob)
        # A second key: its SRK's context is warm, its own is not.
        k2 = os.path.join(work, "tpm-k2")
        os.mkdir(k2)
        sh([keygen, "-q", "-N", "", "-t", "ecdsa", "-f", k2 + "/k"], env=env)
        cmds["srk warm"] = tpm_commands(agent, k2, env, base64.b64decode(
            open(k2 + "/k.pub").read().split()[1]))

        # 10, 100 and 1000 keys in the key dir: one handler per request
        # (spawn to exit, inetd mode), list-only and sign-only, and
        # ssh-add -l through a standalone agent (ssh-add's own work on
        # 1000 keys included).
        big = os.path.join(work, "k1000")
        os.mkdir(big)
        t0 = time.perf_counter()
        for i in range(1000):
            sh([keygen, "-q", "-N", "", "-t", "ecdsa", "-C", "k%04d" % i, "-f",
                "%s/k%04d" % (big, i)], env=env)
        res["make 1000"] = time.perf_counter() - t0
        scale = {}
        for n in (10, 100, 1000):
            d = big if n == 1000 else os.path.join(work, "k%d" % n)
            if n != 1000:
                os.mkdir(d)
                for i in range(n):
                    for ext in (".tpm", ".pub"):
                        shutil.copy2("%s/k%04d%s" % (big, i, ext), d)
            blob = base64.b64decode(open("%s/k%04d.pub" % (d, n // 2)).read().split()[1])
            sock = os.path.join(work, "scale-%d.sock" % n)
            procs.append(subprocess.Popen([agent, "-l", sock, "--key-dir", d], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_sock(sock)
            scale[n] = (d, blob, sock)
        # Interleaved, N by N, run by run (see timed_interleaved).
        samples = {n: ([], [], []) for n in scale}
        for r in range(R + 1):
            for n, (d, blob, sock) in scale.items():
                t1, ms1 = inetd_request(agent, d, env, b"\x0b")
                t2, ms2 = inetd_request(agent, d, env, sign_body(blob))
                t0 = time.perf_counter()
                subprocess.run(["ssh-add", "-l"], env=dict(env, SSH_AUTH_SOCK=sock), check=True,
                               stdout=subprocess.DEVNULL)
                ms3 = (time.perf_counter() - t0) * 1e3
                if (t1, t2) != (12, 14):
                    sys.exit("scale: handler answered %d/%d" % (t1, t2))
                if r:
                    for lst, v in zip(samples[n], (ms1, ms2, ms3)):
                        lst.append(v)
        scale = {n: tuple(statistics.median(x) for x in samples[n]) for n in samples}

        # Parallel signers on one TPM (standalone agent, warm contexts,
        # sign-only requests, a connection each) against the TPM's own
        # serial rate of Load + Sign + flush in one process.
        res["raw rate"] = float(sh([raw, "--rate", tdirs["ecdsa"] + "/k.tpm", "300"],
                                   env=env).stdout)
        par = {}
        for clients, each in ((1, 96), (8, 12), (32, 3)):
            par[clients] = parallel_sign(ours[("standalone", "ecdsa")], eblob, clients, each)

        rss = {}
        for kind in ("ecdsa", "rsa"):
            blob = base64.b64decode(open(tdirs[kind] + "/k.pub").read().split()[1])
            rss[kind] = handler_peak_rss_kib(agent, tdirs[kind], env, blob)
    finally:
        if env.get("SSH_TPM_AGENT_KEYRING"):
            subprocess.run(["sh", "-c", "kr=$(keyctl search @u keyring %s 2>/dev/null) && keyctl unlink $kr @u"
                            % env["SSH_TPM_AGENT_KEYRING"]], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)

    lines = []
    o_l, a_l, s_l = res["openssh list"], res["accept list"], res["standalone list"]
    lines.append("| measure (median of %d runs, ms) | OpenSSH ssh-agent | ours, Accept=yes | ours, standalone | ratio Accept=yes | ratio standalone | targets |" % R)
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    lines.append("| `ssh-add -l`, 10 keys | %.2f | %.2f | %.2f | %.2f× | %.2f× | ≤ 1.40×, ≤ 1.05× |"
                 % (o_l, a_l, s_l, a_l / o_l, s_l / o_l))
    for kind in ("ecdsa", "rsa"):
        o, acc, std = res["openssh sign " + kind], res["accept sign " + kind], res["standalone sign " + kind]
        lines.append("| `ssh-keygen -Y sign`, %s | %.2f | %.2f | %.2f | %.2f× | %.2f× | %s |"
                     % ("ecdsa-p256" if kind == "ecdsa" else "rsa-2048", o, acc, std, acc / o, std / o,
                        "≤ 1.60×, ≤ 1.25×" if kind == "ecdsa" else "(none)"))
    for what, label in (("list", "`ssh-add -l`, 10 added ed25519 keys"),
                        ("sign", "`ssh-keygen -Y sign`, an added ed25519 key")):
        o, acc, std = (res["added %s %s" % (what, m)] for m in ("openssh", "accept", "standalone"))
        lines.append("| %s | %.2f | %.2f | %.2f | %.2f× | %.2f× | standalone ≤ 1.30× |"
                     % (label, o, acc, std, acc / o, std / o))
    o = res["openssh list"]
    lines.append("| `ssh-add -l` through us, OpenSSH's agent (10 keys) as `-A` | %.2f | %.2f | %.2f | %.2f× | %.2f× | (none) |"
                 % (o, res["proxy list accept"], res["proxy list standalone"],
                    res["proxy list accept"] / o, res["proxy list standalone"] / o))
    o = res["openssh sign ecdsa"]
    lines.append("| `ssh-keygen -Y sign` through us, the `-A` agent's ecdsa key | %.2f | %.2f | %.2f | %.2f× | %.2f× | (none) |"
                 % (o, res["proxy sign accept"], res["proxy sign standalone"],
                    res["proxy sign accept"] / o, res["proxy sign standalone"] / o))
    lines.append("")
    lines.append("| process start (fork + exec + linking) | ms | × `/bin/true` | target |")
    lines.append("| --- | ---: | ---: | --- |")
    lines.append("| `/bin/true` | %.2f | 1.00× | |" % res["start true"])
    lines.append("| `ssh-tpm-agent --print-socket` | %.2f | %.2f× | |" % (res["start agent"], res["start agent"] / res["start true"]))
    lines.append("| a handler: spawn, peer check, EOF, exit | %.2f | %.2f× | ≤ 1.75× |"
                 % (res["start handler"], res["start handler"] / res["start true"]))
    lines.append("")
    lines.append("| TPM commands per ecdsa signature (TCTI trace) | commands | count (flushes aside) | target |")
    lines.append("| --- | --- | ---: | --- |")
    for what, tgt in (("cold", "≤ 4"), ("srk warm", ""), ("warm", "≤ 2")):
        c = cmds[what]
        label = {"cold": "cold (no saved context)", "srk warm": "a new key, SRK context saved",
                 "warm": "warm (the key's saved context)"}[what]
        lines.append("| %s | %s | %d | %s |" % (label, ", ".join(c),
                                                sum(1 for x in c if x != "FlushContext"), tgt))
    lines.append("")
    lines.append("| key dir of N ecdsa keys (median of %d, ms) | one handler: list | one handler: sign only | `ssh-add -l` (standalone) |" % R)
    lines.append("| --- | ---: | ---: | ---: |")
    for n in (10, 100, 1000):
        lines.append("| %d | %.2f | %.2f | %.2f |" % (n, scale[n][0], scale[n][1], scale[n][2]))
    lines.append("")
    lines.append("| parallel signers (standalone, sign-only, warm) | signatures/s | × raw serial Load+Sign | failures |")
    lines.append("| --- | ---: | ---: | ---: |")
    lines.append("| raw TPM in-process, serial Load + Sign + flush | %.0f | 1.00× | |" % res["raw rate"])
    for n in (1, 8, 32):
        lines.append("| %d client%s | %.0f | %.2f× | %d |" % (n, "s" if n > 1 else "", par[n][0],
                                                          par[n][0] / res["raw rate"], par[n][1]))
    lines.append("")
    lines.append("| `--hierarchy owner`, standalone (ms) | kept records (warm) | derived again (cold) |")
    lines.append("| --- | ---: | ---: |")
    lines.append("| `ssh-add -l` (RSA + ECDSA key) | %.2f | %.2f |" % (res["hier list warm"], res["hier list cold"]))
    for kind in ("rsa", "ecdsa"):
        lines.append("| `ssh-keygen -Y sign`, the %s key | %.2f | %.2f |"
                     % (kind.upper(), res["hier sign warm " + kind], res["hier sign cold " + kind]))
    lines.append("")
    lines.append("| raw TPM, in-process (open + SRK + Load + Sign + flush + close) | ms |")
    lines.append("| --- | ---: |")
    lines.append("| ecdsa-p256 | %.2f |" % res["raw ecdsa"])
    lines.append("| rsa-2048 | %.2f |" % res["raw rsa"])
    lines.append("")
    lines.append("| handler memory (list + sign, inetd mode) | peak RSS, KiB | private (RssAnon), KiB | shared file pages (RssFile), KiB | targets |")
    lines.append("| --- | ---: | ---: | ---: | --- |")
    for kind in ("ecdsa", "rsa"):
        lines.append("| %s | %d | %d | %d | ≤ 4096, ≤ 1024 |" % (kind, rss[kind][0], rss[kind][1], rss[kind][2]))
    top = sorted(rss["ecdsa"][3].items(), key=lambda kv: -kv[1])[:8]
    lines.append("")
    lines.append("RssFile of the ecdsa handler by file (KiB; pages shared with every process mapping them): " +
                 ", ".join("%s %d" % kv for kv in top))

    def met(ok):
        return "met" if ok else "NOT met"
    verdict = []
    verdict.append("Accept=yes list %.2f× (≤ 1.40): %s; standalone %.2f× (≤ 1.05): %s" % (
        a_l / o_l, met(a_l <= 1.4 * o_l), s_l / o_l, met(s_l <= 1.05 * o_l)))
    o = res["openssh sign ecdsa"]
    acc_s, std_s = res["accept sign ecdsa"], res["standalone sign ecdsa"]
    verdict.append("Accept=yes ecdsa sign %.2f× (≤ 1.60): %s; standalone %.2f× (≤ 1.25): %s" % (
        acc_s / o, met(acc_s <= 1.6 * o), std_s / o, met(std_s <= 1.25 * o)))
    verdict.append("handler start %.2f× /bin/true (≤ 1.75): %s" % (
        res["start handler"] / res["start true"], met(res["start handler"] <= 1.75 * res["start true"])))
    cw = sum(1 for x in cmds["warm"] if x != "FlushContext")
    cc = sum(1 for x in cmds["cold"] if x != "FlushContext")
    cs = sum(1 for x in cmds["srk warm"] if x != "FlushContext")
    verdict.append("TPM commands warm %d (≤ 2): %s; cold %d, a new key with the SRK saved %d (≤ 4): %s" % (
        cw, met(cw <= 2), cc, cs, met(cc <= 4) if cc <= 4 else "NOT met fully cold, %s with the SRK saved" % met(cs <= 4)))
    verdict.append("sign-only with 1000 keys %.2f× 10 keys (≤ 1.10): %s; list 1000 keys %.2f ms (≤ 30): %s" % (
        scale[1000][1] / scale[10][1], met(scale[1000][1] <= 1.1 * scale[10][1]), scale[1000][0],
        met(scale[1000][0] <= 30)))
    verdict.append("32 parallel signers %.2f× the raw serial rate (≥ 0.80), %d failures: %s" % (
        par[32][0] / res["raw rate"], par[32][1], met(par[32][0] >= 0.8 * res["raw rate"] and par[32][1] == 0)))
    peak = max(v[0] for v in rss.values())
    anon = max(v[1] for v in rss.values())
    verdict.append("peak RSS %d KiB (≤ 4096): %s; private %d KiB (≤ 1024): %s" % (
        peak, met(peak <= 4096), anon, met(anon <= 1024)))
    text = "\n".join(lines) + "\n\n" + "\n".join("- " + v for v in verdict) + "\n"
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
