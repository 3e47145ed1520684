#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark: ssh-tpm-agent vs OpenSSH ssh-agent, on one private swtpm, in
one run.  Prints a table (medians over N runs, milliseconds) and the ratios
against the targets of the agent issue; --markdown writes the same table
for BENCHMARKS.md.  Not a test: numbers on a noisy 2-core machine are
figures, not pass/fail.

usage: bench.py BUILD_DIR [--runs N] [--markdown FILE]"""
import argparse
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
    hwm = anon = None
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            if line.startswith("RssAnon:"):
                anon = int(line.split()[1])
    ours.close()
    assert p.wait() == 0
    return hwm, anon


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
                           agent, "--key-dir", tdirs[kind]]
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
        res["openssh list"] = timed(["ssh-add", "-l"], dict(env, SSH_AUTH_SOCK=sdirs["list"][1]), R)
        for mode in ("accept", "standalone"):
            res[mode + " list"] = timed(["ssh-add", "-l"], dict(env, SSH_AUTH_SOCK=ours[(mode, "list")]), R)
        for kind in ("ecdsa", "rsa"):
            res["openssh sign " + kind] = timed(
                sign_cmd(sdirs[kind][0] + "/k0.pub"), dict(env, SSH_AUTH_SOCK=sdirs[kind][1]), R)
            for mode in ("accept", "standalone"):
                res[mode + " sign " + kind] = timed(
                    sign_cmd(tdirs[kind] + "/k.pub"), dict(env, SSH_AUTH_SOCK=ours[(mode, kind)]), R)
            out = sh([raw, tdirs[kind] + "/k.tpm", str(R)], env=env).stdout
            res["raw " + kind] = float(out)

        # 10 ed25519 keys added with ssh-add: OpenSSH's agent, ours
        # Accept=yes and standalone (--no-load: only the added keys; in a
        # keyring of the benchmark's own).
        env["SSH_TPM_AGENT_KEYRING"] = "ta-bench-%d" % os.getpid()
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
        for mode in ("openssh", "accept", "standalone"):
            e = dict(env, SSH_AUTH_SOCK=asocks[mode])
            res["added list " + mode] = timed(["ssh-add", "-l"], e, R)
            res["added sign " + mode] = timed(sign_cmd(addk + "/k0.pub"), e, R)

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
        # any work (fork + exec + dynamic linking of 15 libraries).
        res["start true"] = timed(["/bin/true"], env, R)
        res["start agent"] = timed([agent, "--print-socket"], env, R)

        blob_line = open(tdirs["ecdsa"] + "/k.pub").read().split()[1]
        import base64
        rss = {}
        for kind in ("ecdsa", "rsa"):
            blob = base64.b64decode(open(tdirs[kind] + "/k.pub").read().split()[1])
            rss[kind] = handler_peak_rss_kib(agent, tdirs[kind], env, blob)
        del blob_line
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
    lines.append("| measure (median of %d runs, ms) | OpenSSH ssh-agent | ours, Accept=yes | ours, standalone | ratio (Accept=yes) | target |" % R)
    lines.append("| --- | ---: | ---: | ---: | ---: | --- |")
    o, acc, std = res["openssh list"], res["accept list"], res["standalone list"]
    lines.append("| `ssh-add -l`, 10 keys | %.2f | %.2f | %.2f | %.2f× | ≤ 1.30× |" % (o, acc, std, acc / o))
    for kind in ("ecdsa", "rsa"):
        o, acc, std = res["openssh sign " + kind], res["accept sign " + kind], res["standalone sign " + kind]
        budget = o + res["raw " + kind] + 1.0
        tgt = "≤ %.2f ms (OpenSSH + raw + 1 ms)" % budget if kind == "ecdsa" else "(none)"
        lines.append("| `ssh-keygen -Y sign`, %s | %.2f | %.2f | %.2f | %.2f× | %s |"
                     % ("ecdsa-p256" if kind == "ecdsa" else "rsa-2048", o, acc, std, acc / o, tgt))
    for what, label in (("list", "`ssh-add -l`, 10 added ed25519 keys"),
                        ("sign", "`ssh-keygen -Y sign`, an added ed25519 key")):
        o, acc, std = (res["added %s %s" % (what, m)] for m in ("openssh", "accept", "standalone"))
        lines.append("| %s | %.2f | %.2f | %.2f | %.2f× (standalone %.2f×) | standalone ≤ 1.30× |"
                     % (label, o, acc, std, acc / o, std / o))
    o = res["openssh list"]
    lines.append("| `ssh-add -l` through us, OpenSSH's agent (10 keys) as `-A` | %.2f | %.2f | %.2f | %.2f× (standalone %.2f×) | (none) |"
                 % (o, res["proxy list accept"], res["proxy list standalone"],
                    res["proxy list accept"] / o, res["proxy list standalone"] / o))
    o = res["openssh sign ecdsa"]
    lines.append("| `ssh-keygen -Y sign` through us, the `-A` agent's ecdsa key | %.2f | %.2f | %.2f | %.2f× (standalone %.2f×) | (none) |"
                 % (o, res["proxy sign accept"], res["proxy sign standalone"],
                    res["proxy sign accept"] / o, res["proxy sign standalone"] / o))
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
    lines.append("| process start (fork + exec + linking), no work | ms |")
    lines.append("| --- | ---: |")
    lines.append("| `/bin/true` | %.2f |" % res["start true"])
    lines.append("| `ssh-tpm-agent --print-socket` | %.2f |" % res["start agent"])
    lines.append("")
    lines.append("| handler memory (list + sign, inetd mode) | peak RSS, KiB | private (RssAnon), KiB | target |")
    lines.append("| --- | ---: | ---: | --- |")
    for kind in ("ecdsa", "rsa"):
        lines.append("| %s | %d | %d | peak RSS ≤ 4096 |" % (kind, rss[kind][0], rss[kind][1]))
    verdict = []
    eb = res["openssh sign ecdsa"] + res["raw ecdsa"] + 1.0
    for mode in ("accept", "standalone"):
        name = "Accept=yes" if mode == "accept" else "standalone"
        verdict.append("%s: list ratio %.2f (target ≤ 1.30): %s" % (
            name, res[mode + " list"] / res["openssh list"],
            "met" if res[mode + " list"] <= 1.3 * res["openssh list"] else "NOT met"))
        verdict.append("%s: ecdsa sign %.2f ms vs budget %.2f ms: %s" % (
            name, res[mode + " sign ecdsa"], eb,
            "met" if res[mode + " sign ecdsa"] <= eb else "NOT met"))
    for what in ("list", "sign"):
        ratio = res["added %s standalone" % what] / res["added %s openssh" % what]
        verdict.append("standalone: added-key %s ratio %.2f (target ≤ 1.30): %s" % (
            what, ratio, "met" if ratio <= 1.3 else "NOT met"))
    peak = max(v[0] for v in rss.values())
    verdict.append("peak RSS %d KiB (target ≤ 4096): %s" % (
        peak, "met" if peak <= 4096 else "NOT met"))
    # What Accept=yes could reach with no linking cost at all: standalone
    # plus one fork+exec of a trivial program.
    floor = res["start true"]
    verdict.append("Accept=yes floor (standalone + fork/exec of /bin/true): list %.2f ms = %.2f×, ecdsa sign %.2f ms" % (
        res["standalone list"] + floor, (res["standalone list"] + floor) / res["openssh list"],
        res["standalone sign ecdsa"] + floor))
    text = "\n".join(lines) + "\n\n" + "\n".join("- " + v for v in verdict) + "\n"
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
