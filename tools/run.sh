#!/bin/sh
# The main job: install what is missing, build, and create a TPM-wrapped SSH
# key on a TPM -- the machine's own (/dev/tpmrm0) when it has one, else a
# swtpm daemon (--swtpm, state under /var/tmp) -- and print its public key.
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

demo=build/demo
mkdir -p "$demo"
rm -f "$demo/id_ecdsa.tpm" "$demo/id_ecdsa.pub"
"$KEYGEN" -N '' -C "ssh-tpm-agent demo" -f "$demo/id_ecdsa"
echo
echo "Public key (from the TPM-wrapped key file):"
"$KEYGEN" --print-pubkey "$demo/id_ecdsa.tpm"
echo
ssh-keygen -l -f "$demo/id_ecdsa.pub"
