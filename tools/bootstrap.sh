#!/bin/sh
# SPDX-License-Identifier: MIT
# Install every Debian package the build, the tests and the benchmarks need.
# Idempotent: packages already present are left alone.
set -eu

# libtss2-tcti-tabrmd0: not needed to build or run, but installed so that
# the tests prove the default TPM choice stays quiet where tabrmd's TCTI
# is installed without a D-Bus system bus (common on servers).
PKGS="
build-essential meson ninja-build pkg-config
libtss2-dev libssl-dev libsystemd-dev libsecret-1-dev libkeyutils-dev libcriterion-dev
swtpm swtpm-tools tpm2-tools tpm2-openssl
libtss2-tcti-tabrmd0
openssh-client openssh-server gpg-agent softhsm2
openssl systemd keyutils dbus dbus-bin dbus-daemon gnome-keyring libsecret-tools
util-linux iproute2 procps valgrind python3
bash-completion zsh
clang libclang-rt-14-dev
mandoc man-db manpages
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "bootstrap: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing
