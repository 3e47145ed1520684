#!/bin/sh
# SPDX-License-Identifier: MIT
# The documentation's examples, run as written (tests/lib/doc_examples.py
# finds and checks them; man/README.md has the rules): every command of
# every man page's EXAMPLES and of README.md's console blocks exits 0 and
# prints the output shown.  Each page gets what a reader's machine has:
# the programs installed at their real paths, its own swtpm as "the TPM"
# (SSH_TPM_AGENT_TCTI), its own passphrase and key cache in the kernel
# keyring (SSH_TPM_AGENT_KEYRING), a fresh HOME, a private writable /etc and install
# prefix (the page may install units or write /etc/ssh), private /run and
# /var/tmp, and its own PID namespace: whatever an example starts dies
# with the page.
#
#   TEST_PAGES="man/ssh-tpm-keygen.1" meson test -C build docs_examples_sh
# runs only the named pages (paths relative to the build dir, absolute
# paths, or README.md); TEST_KEEP_OUTPUT=DIR keeps what each command
# printed (DIR/outN/M.out), for writing the expected lines.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/swtpm.sh"
. "$TEST_LIB/install.sh"
in_namespace "$@"

DEST=$WORK/dest
flock "$BUILD_DIR/meson-private/ta-install.lock" \
	meson install -C "$BUILD_DIR" --no-rebuild --quiet --destdir "$DEST" \
	>"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; exit 1; }

# Files mounted over /etc by the container (hosts, resolv.conf, ...): an
# overlay of /etc shows what is under them, so they are copied back.
mkdir "$WORK/etc-mounts"
ETC_MOUNTS=$(awk '$5 ~ /^\/etc\// { print $5 }' /proc/self/mountinfo)
for m in $ETC_MOUNTS; do
	[ -f "$m" ] && cp "$m" "$WORK/etc-mounts/$(echo "$m" | tr / _)"
done

# private_rw DIR LOWER...: DIR becomes an overlay of LOWER... (first wins)
# whose changes go to a tmpfs of its own.
private_rw() {
	d=$1
	shift
	t=$(mktemp -d "$WORK/ovl.XXXXXX")
	mount -t tmpfs tmpfs "$t" && mkdir "$t/upper" "$t/work" &&
		mount -t overlay overlay -o "lowerdir=$(echo "$@" | tr ' ' :),upperdir=$t/upper,workdir=$t/work" "$d"
}

PAGES=${TEST_PAGES:-"man/ssh-tpm-agent.1 man/ssh-tpm-keygen.1 man/ssh-tpm-add.1 man/ssh-tpm-hostkeys.1 man/ssh-tpm-generator.8 README.md"}
n=0
for page in $PAGES; do
	n=$((n + 1))
	case $page in
	README.md) file=$SRC_DIR/README.md ;;
	/*) file=$page ;;
	*) file=$BUILD_DIR/$page ;;
	esac
	if [ ! -f "$file" ]; then
		fail "$page" "no such page: $file"
		continue
	fi
	private_rw "$INSTALL_PREFIX" "$DEST$INSTALL_PREFIX" "$INSTALL_PREFIX" || exit 1
	private_rw /etc /etc || exit 1
	for m in $ETC_MOUNTS; do
		s=$WORK/etc-mounts/$(echo "$m" | tr / _)
		[ -f "$s" ] && cat "$s" >"$m"
	done
	swtpm_start || exit 1
	home=$WORK/home$n
	runtime=$WORK/run$n
	mkdir -m 0700 "$home" "$runtime"
	# Keys an example adds live in the kernel keyring, which every process
	# of the uid shares: each page gets its own, unlinked after it.
	export SSH_TPM_AGENT_KEYRING="ta-doc-$$-$n"
	echo "# $page"
	(cd "$home" && env -u SSH_AUTH_SOCK -u SSH_AGENT_PID -u SSH_TPM_AUTH_SOCK -u DISPLAY \
		HOME="$home" USER=root LOGNAME=root SHELL=/bin/sh XDG_RUNTIME_DIR="$runtime" \
		PATH="$INSTALL_BINDIR:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		unshare --pid --fork --mount-proc --kill-child \
		python3 "$TEST_LIB/doc_examples.py" run "$file" "$WORK/out$n") >"$WORK/result$n" 2>&1
	cat "$WORK/result$n"
	[ -n "${TEST_KEEP_OUTPUT:-}" ] && mkdir -p "$TEST_KEEP_OUTPUT" && cp -r "$WORK/out$n" "$TEST_KEEP_OUTPUT/"
	PASSED=$((PASSED + $(grep -c '^ok - ' "$WORK/result$n")))
	FAILED=$((FAILED + $(grep -c '^not ok - ' "$WORK/result$n")))
	if ! grep -q '^ok - ' "$WORK/result$n" && ! grep -q '^not ok - ' "$WORK/result$n"; then
		fail "$page" "the runner printed no result"
	fi
	swtpm_cleanup
	kr=$(keyctl search @u keyring "$SSH_TPM_AGENT_KEYRING" 2>/dev/null) && keyctl unlink "$kr" @u >/dev/null
	umount /etc "$INSTALL_PREFIX" "$WORK"/ovl.*
	rmdir "$WORK"/ovl.*
done
finish
