#!/bin/sh
# SPDX-License-Identifier: MIT
# The units as installed: meson install puts exactly our files into
# systemd's dirs under the prefix (and DESTDIR); systemd-analyze verify
# passes on each with the configured paths; the settings that matter are
# there; --install-system-units and --install-user-units write exactly the
# installed files, change nothing on a second run, replace a Go-style unit
# and fail in one line naming the path they cannot write.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/install.sh"
in_namespace "$@"
install_tree || exit 1
S=$SYSTEMD_SYSTEM_UNIT_DIR
U=$SYSTEMD_USER_UNIT_DIR
SYSTEM_UNITS="ssh-tpm-agent.socket ssh-tpm-agent@.service ssh-tpm-genkeys.service ssh-tpm-swtpm.service"
USER_UNITS="ssh-tpm-agent.socket ssh-tpm-agent@.service ssh-tpm-swtpm.service"

# --- what meson installs, and where ---------------------------------------
{
	for b in ssh-tpm-add ssh-tpm-agent ssh-tpm-hostkeys ssh-tpm-keygen; do echo "$INSTALL_BINDIR/$b"; done
	echo "$SYSTEMD_GENERATOR_DIR/ssh-tpm-generator"
	for u in $SYSTEM_UNITS; do echo "$S/$u"; done
	for u in $USER_UNITS; do echo "$U/$u"; done
	echo "$TMPFILES_DIR/ssh-tpm-agent.conf"
	for m in man1/ssh-tpm-agent.1 man1/ssh-tpm-keygen.1 man1/ssh-tpm-add.1 man1/ssh-tpm-hostkeys.1 \
		man8/ssh-tpm-generator.8; do
		echo "$MAN_DIR/$m"
	done
	[ "$BASH_COMPLETION_DIR" = no ] ||
		for b in ssh-tpm-add ssh-tpm-agent ssh-tpm-hostkeys ssh-tpm-keygen; do echo "$BASH_COMPLETION_DIR/$b"; done
	[ "$ZSH_COMPLETION_DIR" = no ] || echo "$ZSH_COMPLETION_DIR/_ssh-tpm-agent"
} | sort > expected.list
(cd "$DEST" && find . -type f -o -type l) | sed 's|^\.||' | sort > installed.list
check "meson install (DESTDIR) writes exactly our files" diff -u expected.list installed.list
for d in "$S" "$U" "$SYSTEMD_GENERATOR_DIR" "$TMPFILES_DIR"; do
	check_match "$d is under the prefix $INSTALL_PREFIX" "^$INSTALL_PREFIX/" "$d"
done
check_eq "installed units name the installed programs" \
	"$INSTALL_BINDIR/ssh-tpm-agent --key-dir /etc/ssh" "$(exec_start "$S/ssh-tpm-agent@.service")"

# Another --prefix moves every systemd dir with it (configure only).
if meson setup "$WORK/b2" "$SRC_DIR" --prefix=/opt/ta-test -Dtests=false >"$WORK/b2.log" 2>&1; then
	meson introspect "$WORK/b2" --installed > installed.json
	for f in lib/systemd/system/ssh-tpm-agent.socket lib/systemd/user/ssh-tpm-agent.socket \
		lib/systemd/system-generators/ssh-tpm-generator lib/tmpfiles.d/ssh-tpm-agent.conf; do
		check_match "--prefix=/opt/ta-test installs /opt/ta-test/$f" "\"/opt/ta-test/$f\"" "$(cat installed.json)"
	done
	for f in share/bash-completion/completions/ssh-tpm-agent share/zsh/site-functions/_ssh-tpm-agent; do
		check_match "--prefix=/opt/ta-test installs /opt/ta-test/$f" "\"/opt/ta-test/$f\"" "$(cat installed.json)"
	done
	check_match "--prefix units name /opt/ta-test/bin" "ExecStart=/opt/ta-test/bin/ssh-tpm-agent" \
		"$(cat "$WORK/b2/units/user/ssh-tpm-agent@.service")"
else
	fail "meson setup --prefix" "$(cat "$WORK/b2.log")"
fi

# --- systemd-analyze verify, as installed ---------------------------------
# (--man=yes: the installed man pages answer the Documentation= lines.)
out=$(cd "$S" && systemd-analyze verify --man=yes $SYSTEM_UNITS 2>&1)
check_eq "systemd-analyze verify: system units (rc 0, no output)" "0:" "$?:$out"
mkdir -m 0700 "$WORK/xdg"
out=$(cd "$U" && XDG_RUNTIME_DIR=$WORK/xdg systemd-analyze --user verify --man=yes $USER_UNITS 2>&1)
check_eq "systemd-analyze --user verify: user units (rc 0, no output)" "0:" "$?:$out"

# --- the settings that matter ---------------------------------------------
has() { grep -qx -- "$2" "$1"; }
for sock in "$S/ssh-tpm-agent.socket" "$U/ssh-tpm-agent.socket"; do
	check "$sock: Accept=yes" has "$sock" "Accept=yes"
	check "$sock: SocketMode=0600" has "$sock" "SocketMode=0600"
	check "$sock: TriggerLimitBurst=0" has "$sock" "TriggerLimitBurst=0"
	mc=$(sed -n 's/^MaxConnections=//p' "$sock")
	check "$sock: MaxConnections=$mc, well above systemd's 64" test "${mc:-0}" -ge 256
	check "$sock: no Service= (refused with Accept=yes)" sh -c "! grep -q '^Service=' '$sock'"
	check "$sock: no PollLimit* (unknown to systemd 252)" sh -c "! grep -q '^PollLimit' '$sock'"
done
check_line "user socket: %t/ssh-tpm-agent.sock" "$U/ssh-tpm-agent.socket" "ListenStream=" "^ListenStream=%t/ssh-tpm-agent\.sock$"
check_line "system socket: the manual's path" "$S/ssh-tpm-agent.socket" "ListenStream=" "^ListenStream=/var/tmp/ssh-tpm-agent\.sock$"
for t in "$S/ssh-tpm-agent@.service" "$U/ssh-tpm-agent@.service"; do
	check "$t: Type=simple" has "$t" "Type=simple"
	check "$t: CollectMode=inactive-or-failed" has "$t" "CollectMode=inactive-or-failed"
	check "$t: no ConditionEnvironment=" sh -c "! grep -q '^ConditionEnvironment=' '$t'"
	check "$t: no ExecStartPre=" sh -c "! grep -q '^ExecStartPre=' '$t'"
	check "$t: no idle timeout (sshd keeps its connection)" sh -c "! grep -q '^RuntimeMaxSec=' '$t'"
	check "$t: swtpm pulled in, ordered before" sh -c "grep -qx 'Wants=ssh-tpm-swtpm.service' '$t' && grep -qx 'After=ssh-tpm-swtpm.service' '$t'"
done
check "user handler: KeyringMode=shared" has "$U/ssh-tpm-agent@.service" "KeyringMode=shared"
# The audit entry of a signature is at info: neither handler unit may
# filter it out (LogLevelMax= applies to the unit's own messages too).
for h in "$U/ssh-tpm-agent@.service" "$S/ssh-tpm-agent@.service"; do
	check "$h: no LogLevelMax= below info" sh -c "! grep -Eq '^LogLevelMax=(emerg|alert|crit|err|warning|notice|[0-5])\$' '$h'"
done
sys="$S/ssh-tpm-agent@.service"
for l in "KeyringMode=private" "DeviceAllow=/dev/tpmrm0 rw" "SupplementaryGroups=tss" \
	"ProtectSystem=strict" "PrivateTmp=yes" "NoNewPrivileges=yes" "CapabilityBoundingSet=" \
	"DevicePolicy=closed" "Environment=SSH_TPM_AGENT_KEYRING=ssh-tpm-agent-hostkeys"; do
	check "system handler: $l" has "$sys" "$l"
done
g="$S/ssh-tpm-genkeys.service"
check "genkeys: Type=oneshot" has "$g" "Type=oneshot"
check "genkeys: ReadWritePaths=/etc/ssh" has "$g" "ReadWritePaths=/etc/ssh"
check_line "genkeys: a finite TimeoutStartSec=" "$g" "TimeoutStartSec=" "^TimeoutStartSec=[0-9]+(s|min)$"
check_eq "genkeys: keys first, then the sshd drop-in" \
	"$INSTALL_BINDIR/ssh-tpm-keygen -A|$INSTALL_BINDIR/ssh-tpm-hostkeys --install-sshd-config" \
	"$(sed -n 's/^ExecStart=//p' "$g" | paste -sd'|')"
for sw in "$S/ssh-tpm-swtpm.service" "$U/ssh-tpm-swtpm.service"; do
	check "$sw: runs only with SSH_TPM_AGENT_SWTPM" has "$sw" "ConditionEnvironment=SSH_TPM_AGENT_SWTPM"
	check "$sw: Type=forking (started = answering)" has "$sw" "Type=forking"
done
# Exposure scores: at most 2.0 for what runs as root.
for u in ssh-tpm-agent@.service ssh-tpm-genkeys.service ssh-tpm-swtpm.service; do
	score=$(cd "$S" && systemd-analyze security --offline=yes "$u" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security, system $u: $score"
	check "system $u exposure $score <= 2.0" awk "BEGIN { exit !(\"$score\" != \"\" && $score <= 2.0) }"
done
score=$(cd "$U" && XDG_RUNTIME_DIR=$WORK/xdg systemd-analyze --user security --offline=yes ssh-tpm-agent@.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security, user handler: $score (baseline 7.0)"
check "user handler exposure $score <= 7.0" awk "BEGIN { exit !(\"$score\" != \"\" && $score <= 7.0) }"

# --- the tmpfiles.d snippet -----------------------------------------------
T=$WORK/tmpfiles-root
mkdir -p "$T/var/tmp/ssh-tpm-agent" "$T/var/tmp/ssh-tpm-agent-1000" "$T/var/tmp/other" \
	"$T/var/tmp/ssh-tpm-agent.sock/planted"
chmod 1777 "$T/var/tmp"
for f in ssh-tpm-agent/tpm2-00.permall ssh-tpm-agent-1000/tpm2-00.permall other/f \
	ssh-tpm-agent.sock/planted/f; do
	touch -d '60 days ago' "$T/var/tmp/$f"
done
touch -d '60 days ago' "$T/var/tmp"/*
# Fedora's rule (Debian ships it commented out),
# (ages by mtime only: a test cannot make a file's ctime old)
echo 'q /var/tmp 1777 root root m:30d' > "$WORK/fedora-tmp.conf"
systemd-tmpfiles --root="$T" --clean "$WORK/fedora-tmp.conf" "$TMPFILES_DIR/ssh-tpm-agent.conf" 2>/dev/null
check "tmpfiles: a 30-day /var/tmp clean removes other old files" test ! -e "$T/var/tmp/other/f"
check "... but keeps root's swtpm state" test -e "$T/var/tmp/ssh-tpm-agent/tpm2-00.permall"
check "... and the users' swtpm state" test -e "$T/var/tmp/ssh-tpm-agent-1000/tpm2-00.permall"
systemd-tmpfiles --root="$T" --boot --remove "$TMPFILES_DIR/ssh-tpm-agent.conf" 2>/dev/null
check "tmpfiles at boot: what another user planted at the socket's path is gone" \
	test ! -e "$T/var/tmp/ssh-tpm-agent.sock"
check "... and nothing else" test -e "$T/var/tmp/ssh-tpm-agent/tpm2-00.permall"

# --- ssh-tpm-hostkeys --install-system-units ------------------------------
R=$WORK/root
out=$("$HOSTKEYS_BIN" --install-system-units -f "$R")
check_eq "--install-system-units exits 0" 0 $?
exp=""
for u in $SYSTEM_UNITS; do exp="${exp}Installed $R$S/$u
"; done
check_eq "--install-system-units prints each installed path" \
	"${exp}Enable with: systemctl enable --now ssh-tpm-agent.socket" "$out"
for u in $SYSTEM_UNITS; do
	check "--install-system-units: $u is the installed file, byte for byte" cmp "$R$S/$u" "$S/$u"
done
check_eq "--install-system-units writes nothing else" "$(echo $SYSTEM_UNITS | tr ' ' '\n' | sort)" \
	"$(ls "$R$S" | sort)"
before=$(stat -c '%i %Y %n' "$R$S"/* )
sleep 1.1
out=$("$HOSTKEYS_BIN" --install-system-units -f "$R")
check_eq "a second run says nothing changed" "$(echo $SYSTEM_UNITS | tr ' ' '\n' | sed "s|^|Unchanged $R$S/|")
Enable with: systemctl enable --now ssh-tpm-agent.socket" "$out"
check_eq "a second run rewrites nothing (inode, mtime)" "$before" "$(stat -c '%i %Y %n' "$R$S"/*)"
echo "# changed" >> "$R$S/ssh-tpm-genkeys.service"
out=$("$HOSTKEYS_BIN" --install-system-units -f "$R")
check_match "a changed unit is replaced" "^Installed $R$S/ssh-tpm-genkeys.service$" "$out"
check "the replaced unit is the installed file again" cmp "$R$S/ssh-tpm-genkeys.service" "$S/ssh-tpm-genkeys.service"
check_eq "no temporary files left" "$(echo $SYSTEM_UNITS | tr ' ' '\n' | sort)" "$(ls -A "$R$S" | sort)"
: > "$WORK/afile"
err=$("$HOSTKEYS_BIN" --install-system-units -f "$WORK/afile" 2>&1 >/dev/null)
check_eq "an unwritable target fails" 1 $?
check_eq "... in one line" 1 "$(printf '%s\n' "$err" | wc -l)"
check_match "... naming the path" "cannot install $WORK/afile$S/ssh-tpm-agent.socket: Not a directory" "$err"
mkdir -m 0755 "$WORK/rootonly"
err=$(setpriv --reuid=64151 --regid=64151 --clear-groups "$HOSTKEYS_BIN" --install-system-units -f "$WORK/rootonly" 2>&1 >/dev/null)
check_eq "another uid cannot install there" 1 $?
check_match "... and is told why, naming the path" "^ssh-tpm-hostkeys: cannot install $WORK/rootonly$S/ssh-tpm-agent.socket: Permission denied$" "$err"
# Run from the build tree, the units would name programs that are not
# there: refused before anything is written.
err=$("$BUILD_DIR/tools/ssh-tpm-hostkeys" --install-system-units -f "$WORK/fromtree" 2>&1)
check_eq "from the build tree: refused" 1 $?
check_match "... saying why" "would run $BUILD_DIR/tools/ssh-tpm-agent: No such file" "$err"
check "... and nothing written" test ! -e "$WORK/fromtree"

# --- ssh-tpm-agent --install-user-units -----------------------------------
H=$WORK/home
mkdir -p "$H"
out=$(env -u XDG_CONFIG_HOME HOME="$H" "$AGENT_BIN" --install-user-units)
check_eq "--install-user-units exits 0" 0 $?
D=$H/.config/systemd/user
exp=""
for u in $USER_UNITS; do exp="${exp}Installed $D/$u
"; done
check_eq "--install-user-units prints each path and how to enable" \
	"${exp}Enable with: systemctl --user enable --now ssh-tpm-agent.socket" "$out"
for u in $USER_UNITS; do
	check "--install-user-units: $u is the installed file (this binary's path)" cmp "$D/$u" "$U/$u"
done
check_eq "--install-user-units writes nothing else" "$(echo $USER_UNITS | tr ' ' '\n' | sort)" "$(ls -A "$D" | sort)"
before=$(stat -c '%i %Y %n' "$D"/*)
sleep 1.1
out=$(env -u XDG_CONFIG_HOME HOME="$H" "$AGENT_BIN" --install-user-units)
check_match "a second run changes nothing" "^Unchanged $D/ssh-tpm-agent.socket$" "$out"
check_eq "... not even a time" "$before" "$(stat -c '%i %Y %n' "$D"/*)"
out=$(HOME="$H" XDG_CONFIG_HOME="$WORK/cfg" "$AGENT_BIN" --install-user-units)
check "\$XDG_CONFIG_HOME/systemd/user is used" cmp "$WORK/cfg/systemd/user/ssh-tpm-agent.socket" "$U/ssh-tpm-agent.socket"
out=$(cd "$WORK" && HOME="$H" XDG_CONFIG_HOME=relative "$AGENT_BIN" --install-user-units)
check "a relative \$XDG_CONFIG_HOME is ignored (XDG spec)" test ! -e "$WORK/relative"

# A Go ssh-tpm-agent's units (Accept=no, Service=) in their place.
G=$WORK/gohome/.config/systemd/user
mkdir -p "$G"
printf '[Socket]\nListenStream=%%t/ssh-tpm-agent.sock\nSocketMode=0600\nService=ssh-tpm-agent.service\n' > "$G/ssh-tpm-agent.socket"
printf '[Service]\nExecStart=/usr/bin/ssh-tpm-agent\n' > "$G/ssh-tpm-agent.service"
out=$(HOME=$WORK/gohome "$AGENT_BIN" --install-user-units 2>"$WORK/go.err")
check "a Go-style socket unit is replaced" cmp "$G/ssh-tpm-agent.socket" "$U/ssh-tpm-agent.socket"
check_match "... saying so" "another ssh-tpm-agent's socket unit \(Accept=no\): replacing it" "$(cat "$WORK/go.err")"
check_match "... and pointing at its service" "$G/ssh-tpm-agent.service belongs to that other agent .*systemctl --user disable" "$(cat "$WORK/go.err")"
out=$(cd "$G" && XDG_RUNTIME_DIR=$WORK/xdg systemd-analyze --user verify --man=no $USER_UNITS 2>&1)
check_eq "the result verifies (no mixed pair)" "0:" "$?:$out"

# Interrupted (SIGTERM at the first fsync, while a unit is half written):
# no temporary file left behind.
IH=$WORK/ihome
mkdir -p "$IH"
# (Under ASan the shim is loaded before its runtime: allowed here.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" HOME=$IH FAULT_AT=fsync FAULT_SIGNAL=15 LD_PRELOAD=$FAULT_SHIM "$AGENT_BIN" --install-user-units >/dev/null 2>&1
check_eq "--install-user-units killed mid-write: ended by the signal" 143 $?
check_eq "... and no temporary file left" "" "$(ls -A "$IH/.config/systemd/user")"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	FAULT_AT=fsync FAULT_NTH=2 FAULT_SIGNAL=2 LD_PRELOAD=$FAULT_SHIM "$HOSTKEYS_BIN" --install-system-units -f "$WORK/iroot" >/dev/null 2>&1
check_eq "--install-system-units interrupted at the second unit: only whole units" \
	"ssh-tpm-agent.socket" "$(ls -A "$WORK/iroot$S")"
check "... the one written is whole" cmp "$WORK/iroot$S/ssh-tpm-agent.socket" "$S/ssh-tpm-agent.socket"

# The programs' directory as a unit names it: '%' escaped, what
# would need quoting refused.
mkdir -p "$WORK/50%off\$x" "$WORK/with space"
cp "$AGENT_BIN" "$WORK/50%off\$x/"
cp "$AGENT_BIN" "$WORK/with space/"
PH=$WORK/phome
mkdir -p "$PH"
HOME=$PH "$WORK/50%off\$x/ssh-tpm-agent" --install-user-units >/dev/null
check_eq "a '%' in the path is escaped in ExecStart= ('$' is taken as it is there)" \
	"ExecStart=$WORK/50%%off\$x/ssh-tpm-agent" "$(grep '^ExecStart=' "$PH/.config/systemd/user/ssh-tpm-agent@.service")"
out=$(cd "$PH/.config/systemd/user" && XDG_RUNTIME_DIR=$WORK/xdg systemd-analyze --user verify --man=no $USER_UNITS 2>&1)
check_eq "... and systemd finds the program there" "0:" "$?:$out"
err=$(HOME=$PH "$WORK/with space/ssh-tpm-agent" --install-user-units 2>&1 >/dev/null)
check_match "a path with a space is refused, saying why" "^1:ssh-tpm-agent: $WORK/with space: a unit's ExecStart= cannot name programs there" "$?:$err"

mkdir -p "$WORK/ro/.config/systemd"
: > "$WORK/ro/.config/systemd/user"
err=$(HOME=$WORK/ro "$AGENT_BIN" --install-user-units 2>&1 >/dev/null)
check_eq "an unwritable user unit dir fails" 1 $?
check_eq "... in one line naming the path" \
	"ssh-tpm-agent: cannot install $WORK/ro/.config/systemd/user/ssh-tpm-agent.socket: Not a directory" "$err"
finish
