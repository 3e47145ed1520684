#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark of the systemd pieces (issue 9): the generator's run time
(medians of N runs, target under 2 ms) on the no-TPM path and on the
full path, and the Accept=yes handlers' per-connection cost through the
installed units' command lines (ExecStart= read from the files meson
installs, run as written behind systemd-socket-activate --accept) against
a private swtpm.  Runs as root in a private mount namespace: the build is
installed into a temp DESTDIR and laid over the prefix (overlayfs), the
test's host keys bound over /etc/ssh.  Figures, not pass/fail.

usage: bench-systemd.py BUILD_DIR [--runs N]"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import sh, timed, wait_sock  # noqa: E402


def exec_start(path):
    with open(path) as f:
        for line in f:
            if line.startswith("ExecStart="):
                return line[len("ExecStart="):].split()
    sys.exit(path + ": no ExecStart=")


def median_ms(cmd, env, runs):
    samples = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(samples[1:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=100)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    if not os.environ.get("TA_BENCH_NS"):
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private",
                               sys.executable] + sys.argv,
                   dict(os.environ, TA_BENCH_NS="1"))
    opts = {o["name"]: o["value"] for o in json.loads(
        sh(["meson", "introspect", build, "--buildoptions"]).stdout)}
    prefix = opts["prefix"]
    bindir = os.path.join(prefix, opts["bindir"])
    work = tempfile.mkdtemp(prefix="ta-bench-systemd.")
    procs = []
    try:
        dest = os.path.join(work, "dest")
        # One meson install at a time per build dir (the tests do the same).
        sh(["flock", os.path.join(build, "meson-private", "ta-install.lock"),
            "meson", "install", "-C", build, "--no-rebuild", "--quiet", "--destdir", dest])
        sh(["mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=%s%s:%s" % (dest, prefix, prefix), prefix])
        units = {}
        for root, _, files in os.walk(dest):
            for f in files:
                if f == "ssh-tpm-agent@.service":
                    scope = "user" if "/user" in root else "system"
                    units[scope] = os.path.join(root[len(dest):], f)
                if f == "ssh-tpm-generator":
                    gen = os.path.join(root[len(dest):], f)

        env = dict(os.environ, TSS2_LOG="all+NONE")
        env.pop("SSH_AUTH_SOCK", None)
        procs.append(subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + work,
             "--server", "type=unixio,path=%s/sock" % work,
             "--ctrl", "type=unixio,path=%s/sock.ctrl" % work,
             "--flags", "not-need-init,startup-clear"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        env["SSH_TPM_AGENT_TCTI"] = "swtpm:path=%s/sock" % work
        wait_sock(work + "/sock")
        time.sleep(0.1)
        keygen = os.path.join(bindir, "ssh-tpm-keygen")
        home = os.path.join(work, "home")
        os.makedirs(home + "/.ssh")
        sh([keygen, "-q", "-N", "", "-t", "ecdsa", "-f", home + "/.ssh/id_ecdsa"], env=env)
        pfx = os.path.join(work, "prefix")
        sh([keygen, "-A", "-q", "-f", pfx], env=env)
        sh(["mount", "--bind", pfx + "/etc/ssh", "/etc/ssh"])
        sh(["mount", "-t", "tmpfs", "tmpfs", "/var/tmp"])

        socks = {}
        for scope, sock, extra in (("user", work + "/user.sock", ["-E", "HOME=" + home]),
                                   ("system", "/var/tmp/ssh-tpm-agent.sock", [])):
            cmd = ["systemd-socket-activate", "--accept", "-l", sock, "-E",
                   "SSH_TPM_AGENT_TCTI", "-E", "TSS2_LOG"] + extra + exec_start(units[scope])
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            wait_sock(sock)
            socks[scope] = sock
        msg = os.path.join(work, "msg")
        with open(msg, "w") as f:
            f.write("a small file\n")

        def sign(pub):
            return ["sh", "-c", "rm -f %s.sig && ssh-keygen -Y sign -q -n file -f %s %s"
                    % (msg, pub, msg)]
        # OpenSSH's ssh-agent with a software key: the yardstick of this run.
        osock = os.path.join(work, "openssh.sock")
        procs.append(subprocess.Popen(["ssh-agent", "-D", "-a", osock],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_sock(osock)
        sh(["ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", work + "/sw"])
        sh(["ssh-add", "-q", work + "/sw"], env=dict(env, SSH_AUTH_SOCK=osock))
        R = max(10, a.runs // 2)
        res = {
            "openssh list": timed(["ssh-add", "-l"], dict(env, SSH_AUTH_SOCK=osock), R),
            "openssh sign": timed(sign(work + "/sw.pub"), dict(env, SSH_AUTH_SOCK=osock), R),
            "user list": timed(["ssh-add", "-l"], dict(env, SSH_AUTH_SOCK=socks["user"]), R),
            "user sign": timed(sign(home + "/.ssh/id_ecdsa.pub"), dict(env, SSH_AUTH_SOCK=socks["user"]), R),
            "system list": timed(["ssh-add", "-l"], dict(env, SSH_AUTH_SOCK=socks["system"]), R),
            "system sign ecdsa": timed(sign("/etc/ssh/ssh_tpm_host_ecdsa_key.pub"),
                                       dict(env, SSH_AUTH_SOCK=socks["system"]), R),
            "system sign rsa": timed(sign("/etc/ssh/ssh_tpm_host_rsa_key.pub"),
                                     dict(env, SSH_AUTH_SOCK=socks["system"]), R),
        }

        # The generator: a root of its inputs (a sysfs tpmrm entry, our
        # units, Debian's ssh.service: the full path), and one without a TPM.
        groot = os.path.join(work, "groot")
        udir = os.path.dirname(units["system"])
        os.makedirs(groot + "/sys/class/tpmrm/tpmrm0")
        os.makedirs(groot + udir)
        os.makedirs(groot + "/lib/systemd/system")
        for u in ("ssh-tpm-agent.socket", "ssh-tpm-genkeys.service"):
            shutil.copy(os.path.join(udir, u), groot + udir)
        shutil.copy("/lib/systemd/system/ssh.service", groot + "/lib/systemd/system/")
        nroot = os.path.join(work, "nroot")
        os.makedirs(nroot)
        # On a tmpfs, as /run/systemd/generator is.
        out_fs = os.path.join(work, "gen-fs")
        os.mkdir(out_fs)
        sh(["mount", "-t", "tmpfs", "tmpfs", out_fs])
        out = os.path.join(out_fs, "out")

        def gen_runs(root):
            genv = dict(env, SSH_TPM_GENERATOR_ROOT=root, SYSTEMD_PROC_CMDLINE="quiet")
            samples = []
            for _ in range(a.runs + 1):
                shutil.rmtree(out, ignore_errors=True)
                os.mkdir(out)
                t0 = time.perf_counter()
                subprocess.run([gen, out], env=genv, check=True)
                samples.append((time.perf_counter() - t0) * 1e3)
            return statistics.median(samples[1:])
        res["generator full"] = gen_runs(groot)
        res["generator no-TPM"] = gen_runs(nroot)
        res["start true"] = median_ms(["/bin/true"], env, a.runs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        shutil.rmtree(work, ignore_errors=True)

    print("systemd pieces, medians (ms), %d runs:" % a.runs)
    print("  generator, full path (TPM, Debian ssh.service)  %6.2f  (target < 2)" % res["generator full"])
    print("  generator, no TPM                               %6.2f" % res["generator no-TPM"])
    print("  /bin/true (fork+exec floor of this machine)     %6.2f" % res["start true"])
    print("OpenSSH ssh-agent, software ecdsa key (this run's yardstick):")
    print("  ssh-add -l                                      %6.2f" % res["openssh list"])
    print("  sign ecdsa                                      %6.2f" % res["openssh sign"])
    print("installed units' command lines behind systemd-socket-activate --accept:")
    print("  user ssh-tpm-agent@.service: ssh-add -l          %6.2f" % res["user list"])
    print("  user ssh-tpm-agent@.service: sign ecdsa          %6.2f" % res["user sign"])
    print("  system ssh-tpm-agent@.service: ssh-add -l        %6.2f" % res["system list"])
    print("  system ssh-tpm-agent@.service: sign ecdsa host   %6.2f" % res["system sign ecdsa"])
    print("  system ssh-tpm-agent@.service: sign rsa host     %6.2f" % res["system sign rsa"])


if __name__ == "__main__":
    main()
