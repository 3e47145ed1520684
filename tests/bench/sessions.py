#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What keeping secrets off the TPM bus costs: sign-only handlers (inetd
mode, one process per request, as under Accept=yes) on one private swtpm,
for a key without PIN (password session), a PIN key (salted HMAC session
with parameter encryption), a PCR-bound key (policy session) and a PCR +
PIN key; warm (saved contexts) and cold (contexts dropped before each
request).  Prints, per case, the median wall time and the median CPU time
of the handler (user + system, from its rusage) and its TPM commands.
Not a test: figures for BENCHMARKS.md.

usage: sessions.py BUILD_DIR [--runs N]"""
import argparse
import base64
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

PIN = "bench-pin-3141"
bench.TPM_CC.update({"176": "StartAuthSession", "17f": "PolicyPCR", "16b": "PolicyAuthValue"})


def cpu_request(agent, keydir, env, body):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t, ms = bench.inetd_request(agent, keydir, env, body)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if t != 14:
        sys.exit("sign failed for %s (reply %d)" % (keydir, t))
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e3
    return ms, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    agent = os.path.join(build, "handler", "ssh-tpm-agent")
    keygen = os.path.join(build, "tools", "ssh-tpm-keygen")
    work = tempfile.mkdtemp(prefix="tasess.")
    swtpm = None
    try:
        os.mkdir(os.path.join(work, "tpm"))
        os.mkdir(os.path.join(work, "run"), 0o700)
        sock = os.path.join(work, "tpm", "sock")
        swtpm = subprocess.Popen(["swtpm", "socket", "--tpm2", "--tpmstate",
                                  "dir=" + os.path.join(work, "tpm"), "--server",
                                  "type=unixio,path=" + sock, "--ctrl",
                                  "type=unixio,path=" + sock + ".ctrl", "--flags",
                                  "startup-clear"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bench.wait_sock(sock)
        askpass = os.path.join(work, "askpass")
        with open(askpass, "w") as f:
            f.write("#!/bin/sh\necho %s\n" % PIN)
        os.chmod(askpass, 0o755)
        keyring = "ta-bench-sess-%d" % os.getpid()
        env = dict(os.environ, SSH_TPM_AGENT_TCTI="swtpm:path=" + sock,
                   TPM2TOOLS_TCTI="swtpm:path=" + sock, XDG_RUNTIME_DIR=os.path.join(work, "run"),
                   SSH_TPM_AGENT_KEYRING=keyring, SSH_ASKPASS=askpass,
                   SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
        subprocess.run(["tpm2_pcrreset", "23"], env=env, check=True)
        cases = [("no PIN (password session)", []), ("PIN (salted HMAC session)", ["-N", PIN]),
                 ("PCR 23 (policy session)", ["--pcrs", "23"]),
                 ("PCR 23 + PIN (policy session)", ["--pcrs", "23", "-N", PIN])]
        dirs = []
        for i, (name, extra) in enumerate(cases):
            d = os.path.join(work, "k%d" % i)
            os.mkdir(d)
            bench.sh([keygen, "-q", "-t", "ecdsa", "-f", os.path.join(d, "k")] +
                     (extra if "-N" in extra else extra + ["-N", ""]), env=env)
            with open(os.path.join(d, "k.pub")) as f:
                blob = base64.b64decode(f.read().split()[1])
            dirs.append((name, d, blob))
        rows = []
        for mode in ("warm", "cold"):
            samples = {name: ([], []) for name, _, _ in dirs}
            for name, d, blob in dirs:  # warm-up: PIN cached, contexts saved
                cpu_request(agent, d, env, bench.sign_body(blob))
            for _ in range(args.runs):
                for name, d, blob in dirs:
                    if mode == "cold":
                        bench.drop_contexts(keyring)
                    ms, cpu = cpu_request(agent, d, env, bench.sign_body(blob))
                    samples[name][0].append(ms)
                    samples[name][1].append(cpu)
            for name, d, blob in dirs:
                if mode == "cold":
                    bench.drop_contexts(keyring)
                else:
                    cpu_request(agent, d, env, bench.sign_body(blob))
                cmds = bench.tpm_commands(agent, d, env, blob)
                rows.append((mode, name, statistics.median(samples[name][0]),
                             statistics.median(samples[name][1]), len(cmds), " ".join(cmds)))
        start = bench.handler_start(agent, env, args.runs)
        print("| contexts | key | wall ms | handler CPU ms | TPM commands | commands |")
        print("| --- | --- | --- | --- | --- | --- |")
        for mode, name, ms, cpu, n, cmds in rows:
            print("| %s | %s | %.2f | %.2f | %d | %s |" % (mode, name, ms, cpu, n, cmds))
        print("\nhandler start alone (spawn, peer check, EOF): %.2f ms; runs per case: %d"
              % (start, args.runs))
        subprocess.run(["keyctl", "purge", "-s", "keyring", keyring],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        if swtpm:
            swtpm.terminate()
            swtpm.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
