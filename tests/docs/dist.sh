#!/bin/sh
# SPDX-License-Identifier: MIT
# meson dist: the tarball holds exactly the committed tree (nothing of a
# build dir, nothing untracked), and it configures, builds and passes the
# unit tests on its own, away from the git checkout.
. "$SRC_DIR/tests/lib/common.sh"
cd "$WORK" || exit 1

# (tests/meson.build registers this test only in a git checkout.)
if [ ! -e "$SRC_DIR/.git" ]; then
	fail "meson dist" "$SRC_DIR is not a git checkout: nothing to pack"
	finish
fi
: "${PROJECT_VERSION:?}"
NAME=ssh-tpm-agent-$PROJECT_VERSION

# (One meson dist at a time per build dir: it works in its meson-dist/.)
flock "$BUILD_DIR/meson-private/ta-dist.lock" sh -c '
	meson dist -C "$1" --no-tests --allow-dirty --formats gztar >"$2/dist.log" 2>&1 &&
	cp "$1/meson-dist/$3.tar.gz" "$2/"' sh "$BUILD_DIR" "$WORK" "$NAME"
check "meson dist makes $NAME.tar.gz" test -s "$WORK/$NAME.tar.gz"
[ -s "$WORK/$NAME.tar.gz" ] || { cat dist.log; finish; }

tar -tzf "$NAME.tar.gz" | grep -v '/$' | sed "s|^$NAME/||" | sort >tar.list
git -C "$SRC_DIR" ls-tree -r --name-only HEAD | sort >git.list
check "the tarball holds exactly the committed files" diff -u git.list tar.list
for f in meson.build man/ssh-tpm-agent.1.in units/user/ssh-tpm-agent.socket.in tools/bootstrap.sh; do
	check "the tarball has $f" grep -qx "$f" tar.list
done

tar -xzf "$NAME.tar.gz"
# plain: no optimisation, for speed; the unit suite needs no TPM.
if meson setup "$WORK/b" "$WORK/$NAME" --buildtype=plain >setup.log 2>&1; then
	ok "the tarball configures"
else
	fail "the tarball configures" "$(tail -n 20 setup.log)"
	finish
fi
if ninja -C "$WORK/b" >build.log 2>&1; then
	ok "the tarball builds"
else
	fail "the tarball builds" "$(tail -n 20 build.log)"
	finish
fi
meson test -C "$WORK/b" --suite unit --num-processes 2 >test.log 2>&1
rc=$?
# Its unit tests' keyring (tests/meson.build names it after the build dir,
# as meson's underscorify does): gone with the build dir.
kr=$(keyctl search @u keyring "ta-unit-$(printf '%s' "$WORK/b" | tr -c 'A-Za-z0-9' _)" 2>/dev/null) &&
	keyctl unlink "$kr" @u >/dev/null
n=$(grep -c '"name"' "$WORK/b/meson-logs/testlog.json" 2>/dev/null || echo 0)
check_eq "its unit tests pass (exit 0)" 0 "$rc"
check_eq "... and, with no repository to pack there, no dist test of its own" 0 \
	"$(meson test -C "$WORK/b" --list 2>/dev/null | grep -c docs_dist_sh)"
check "its unit tests ran (at least 5)" test "$n" -ge 5
[ "$rc" -eq 0 ] || tail -n 30 test.log
finish
