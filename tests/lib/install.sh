# SPDX-License-Identifier: MIT
# install.sh - sourced by the systemd tests: the build installed as a
# package would be (meson install into $WORK/dest), then seen at its real
# paths inside a private mount namespace, so that units are verified and
# run exactly as installed.
#
#   . "$TEST_LIB/install.sh"
#   in_namespace "$@"   # first thing: re-runs the script in its own mount
#                       # namespace (private /run, /var/tmp)
#   install_tree        # meson install + the installed tree over $PREFIX
#
# Meson passes the configured directories: INSTALL_PREFIX, INSTALL_BINDIR,
# SYSTEMD_SYSTEM_UNIT_DIR, SYSTEMD_USER_UNIT_DIR, SYSTEMD_GENERATOR_DIR,
# TMPFILES_DIR.

: "${INSTALL_PREFIX:?}" "${INSTALL_BINDIR:?}" "${SYSTEMD_SYSTEM_UNIT_DIR:?}"
: "${SYSTEMD_USER_UNIT_DIR:?}" "${SYSTEMD_GENERATOR_DIR:?}" "${TMPFILES_DIR:?}"

# in_namespace "$@": re-exec this script in a private mount namespace
# with tmpfs on /run and /var/tmp (sshd's /run/sshd, the system socket's
# /var/tmp path) -- nothing of the host's is changed.
in_namespace() {
	if [ -z "${TA_IN_NAMESPACE:-}" ]; then
		# The exec skips this shell's exit trap: its (still empty)
		# directories go now; the re-run makes its own.
		rmdir "$WORK" "$TEST_RUNTIME" 2>/dev/null
		TA_IN_NAMESPACE=1 exec unshare --mount --propagation private sh "$0" "$@"
	fi
	mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
	mkdir -m 0755 /run/sshd || exit 1
	mount -t tmpfs -o mode=1777 tmpfs /var/tmp || exit 1
}

# install_tree: meson install into $DEST and lay it over the real prefix
# (overlayfs: the host's own files stay visible), so every installed file
# is at the path it names.  One meson install at a time per build dir.
install_tree() {
	DEST=$WORK/dest
	flock "$BUILD_DIR/meson-private/ta-install.lock" \
		meson install -C "$BUILD_DIR" --no-rebuild --quiet --destdir "$DEST" \
		>"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; return 1; }
	mount -t overlay overlay -o "lowerdir=$DEST$INSTALL_PREFIX:$INSTALL_PREFIX" \
		"$INSTALL_PREFIX" || return 1
	AGENT_BIN=$INSTALL_BINDIR/ssh-tpm-agent
	KEYGEN_BIN=$INSTALL_BINDIR/ssh-tpm-keygen
	HOSTKEYS_BIN=$INSTALL_BINDIR/ssh-tpm-hostkeys
	GENERATOR_BIN=$SYSTEMD_GENERATOR_DIR/ssh-tpm-generator
}

# exec_start UNIT_FILE: its ExecStart= command line (the first one).
exec_start() {
	sed -n 's/^ExecStart=//p' "$1" | head -n 1
}
