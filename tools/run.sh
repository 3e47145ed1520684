#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: install what is missing, build, create TPM-wrapped SSH keys
# on a TPM -- the machine's own (/dev/tpmrm0) when it has one, else a swtpm
# daemon (--swtpm, state under /var/tmp) -- start ssh-tpm-agent with them
# and show `ssh-add -l` and a signature working against it.
# Usage (as root on Debian 12): ./tools/run.sh
set -eu
cd "$(dirname "$0")/.."

./tools/bootstrap.sh
if [ -d build ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build

KEYGEN=build/tools/ssh-tpm-keygen
if [ -e /dev/tpmrm0 ] && [ -z "${SSH_TPM_AGENT_SWTPM:-}" ]; then
	echo "Using the TPM at /dev/tpmrm0"
else
	echo "No TPM found: using swtpm (--swtpm). This is for trying things out; it protects nothing."
	export SSH_TPM_AGENT_SWTPM=1
fi

demo=$PWD/build/demo
sock=$demo/agent.sock
mkdir -p "$demo"
# A previous run's agent: stop it (by its PID) before starting a new one.
if [ -f "$demo/agent.pid" ]; then
	kill "$(cat "$demo/agent.pid")" 2>/dev/null || true
	sleep 0.2
fi
if [ ! -f "$demo/id_ecdsa.tpm" ] || ! "$KEYGEN" --print-pubkey "$demo/id_ecdsa.tpm" >/dev/null 2>&1; then
	rm -f "$demo/id_ecdsa.tpm" "$demo/id_ecdsa.pub"
	"$KEYGEN" -N '' -C "ssh-tpm-agent demo" -f "$demo/id_ecdsa"
fi
if [ ! -f "$demo/id_rsa.tpm" ]; then
	"$KEYGEN" -q -N '' -t rsa -C "ssh-tpm-agent demo (rsa)" -f "$demo/id_rsa"
fi

# The agent: one short-lived handler process per connection, keys read
# from the key dir on demand.
nohup build/handler/ssh-tpm-agent -l "$sock" --key-dir "$demo" >"$demo/agent.log" 2>&1 &
echo $! > "$demo/agent.pid"
i=0
until [ -S "$sock" ] || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.05; done

echo
echo "\$ SSH_AUTH_SOCK=$sock ssh-add -l"
SSH_AUTH_SOCK=$sock ssh-add -l
echo
echo "\$ SSH_AUTH_SOCK=$sock ssh-keygen -Y sign -n file -f $demo/id_ecdsa.pub"
echo "signed through the TPM" > "$demo/message"
rm -f "$demo/message.sig"
SSH_AUTH_SOCK=$sock ssh-keygen -Y sign -n file -f "$demo/id_ecdsa.pub" "$demo/message"
ssh-keygen -Y check-novalidate -n file -f "$demo/id_ecdsa.pub" -s "$demo/message.sig" < "$demo/message"
echo
echo "The agent keeps running (pid $(cat "$demo/agent.pid")). Use it with:"
echo "  export SSH_AUTH_SOCK=$sock"
echo "Stop it with: kill $(cat "$demo/agent.pid")"
