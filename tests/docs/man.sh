#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual pages: mandoc -T lint and man-db (groff) render them without
# a message; each page documents exactly the options its program's --help
# lists (every "  -x, --long" of --help is an ".It Fl" item of the page and
# the other way round); every environment variable the programs read and
# every unit we install is documented somewhere; as installed, `man
# ssh-tpm-agent` (and each other page) is found and the installed units'
# Documentation= lines resolve (systemd-analyze verify --man=yes).  The
# examples run in tests/docs/examples.sh.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/install.sh"
in_namespace "$@"
B=$BUILD_DIR
M=$B/man
cd "$WORK" || exit 1

PAGES="ssh-tpm-agent.1 ssh-tpm-keygen.1 ssh-tpm-add.1 ssh-tpm-hostkeys.1 ssh-tpm-generator.8"

# --- lint ------------------------------------------------------------------
for p in $PAGES; do
	# Debian builds mandoc with NetBSD's conventions, where .Os takes no
	# argument; on Linux it names the package in the footer (groff shows
	# "BSD" without one), as other packages' mdoc pages do.
	# Its cross-reference check looks only in /usr/share/man's
	# mandoc.db, which Debian does not build (man-db is the indexer):
	# the .Xr references are resolved with man -w below, as installed.
	out=$(mandoc -T lint "$M/$p" 2>&1 |
		grep -v "STYLE: operating system explicitly specified: Os ssh-tpm-agent" |
		grep -v -e "outdated mandoc.db lacks .* entry" -e "STYLE: referenced manual not found: Xr ")
	check_eq "$p: mandoc -T lint is clean" "" "$out"
	out=$(MANWIDTH=80 man --warnings=w -l "$M/$p" 2>&1 >/dev/null)
	check_eq "$p: man (groff -ww) renders it without a warning" "" "$out"
	check_match "$p: has EXAMPLES" "^\.Sh EXAMPLES" "$(cat "$M/$p")"
	check_fails "$p: no @...@ left unconfigured" grep -n '@[a-z_]*@' "$M/$p"
	check_fails "$p: no TODO left" grep -n 'TODO' "$M/$p"
done

# --- options: --help and the page, both ways -------------------------------
# help_options PROGRAM: the options of --help's Options: list, one a line.
help_options() {
	"$1" --help | sed -n '/^Options:$/,$p' | grep '^  -' |
		sed 's/^  //; s/  .*//; s/ [^-,][^ ,]*//g' | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
		grep '^-' | sort -u
}
# page_options PAGE: the options of the page's ".It Fl" items.
page_options() {
	grep '^\.It Fl ' "$1" | grep -o 'Fl [^ ]*' | sed 's/^Fl //; s/\\-/-/g; s/^/-/' | sort -u
}
for pp in handler/ssh-tpm-agent:ssh-tpm-agent.1 tools/ssh-tpm-keygen:ssh-tpm-keygen.1 \
	tools/ssh-tpm-add:ssh-tpm-add.1 tools/ssh-tpm-hostkeys:ssh-tpm-hostkeys.1 \
	generators/ssh-tpm-generator:ssh-tpm-generator.8; do
	prog=$B/${pp%%:*}
	page=$M/${pp#*:}
	help_options "$prog" >help.list
	page_options "$page" >page.list
	check "${pp#*:}: --help lists options (sanity)" test "$(grep -c . help.list)" -ge 3
	missing=$(comm -23 help.list page.list | tr '\n' ' ')
	extra=$(comm -13 help.list page.list | tr '\n' ' ')
	check_eq "${pp#*:}: every option of --help is documented" "" "$missing"
	check_eq "${pp#*:}: every option documented is in --help" "" "$extra"
done

# --- environment variables and units -------------------------------------
# The variables the programs read (getenv and env_tunable in the sources
# of the programs and their libraries), less those not meant for users:
# another program's own (PATH, LD_LIBRARY_PATH, DBUS_*, XAUTHORITY passed on
# to askpass, the pcap TCTI's TCTI_PCAP_FILE, tpm2-tss's TSS2_LOG) and what
# systemd sets for every service (INVOCATION_ID, LISTEN_PID).
grep -rhoE '(getenv|env_tunable)\("[A-Z_0-9]+"' "$SRC_DIR/common" "$SRC_DIR/keystore" \
	"$SRC_DIR/cache" "$SRC_DIR/handler" "$SRC_DIR/tools" "$SRC_DIR/generators" "$SRC_DIR/units" |
	sed 's/.*("//; s/"$//' | sort -u |
	grep -vxE 'PATH|LD_LIBRARY_PATH|DBUS_SESSION_BUS_ADDRESS|DBUS_SYSTEM_BUS_ADDRESS|XAUTHORITY|TCTI_PCAP_FILE|TSS2_LOG|INVOCATION_ID|LISTEN_PID' \
	>env.list
check "the sources read environment variables (sanity)" test "$(grep -c . env.list)" -ge 10
undocumented=""
for v in $(cat env.list); do
	grep -qE "(Ev|Va) $v( |\$)" "$M"/*.[18] || undocumented="$undocumented $v"
done
check_eq "every environment variable read is documented (.Ev)" "" "$undocumented"
for u in $(cd "$SRC_DIR/units" && ls system user | grep '\.in$' | sed 's/\.in$//' | sort -u); do
	check "unit $u is documented" grep -qF "$u" "$M/ssh-tpm-agent.1" "$M/ssh-tpm-hostkeys.1" \
		"$M/ssh-tpm-keygen.1" "$M/ssh-tpm-generator.8"
done

# --- as installed ---------------------------------------------------------
install_tree || exit 1
for p in $PAGES; do
	name=${p%.*}
	sec=${p##*.}
	# (Debian's /usr/local/man is a link to share/man.)
	check_eq "man -w $sec $name finds the installed page" \
		"$(readlink -f "$MAN_DIR/man$sec/$p")" "$(readlink -f "$(man -w "$sec" "$name" 2>&1)")"
done
# Every .Xr names a page man finds (ours as installed, the others from
# the packages bootstrap installs) -- but two, from packages a user of a
# TCTI other than the default has and we do not need: tpm2-abrmd's daemon
# and libtss2-doc.
unresolved=""
for x in $(grep -ho 'Xr [^ ]* [0-9][a-z]*' "$M"/*.[18] | sed 's/^Xr //; s/ /:/' | sort -u |
	grep -vx -e 'tpm2-abrmd:8' -e 'Tss2_TctiLdr_Initialize:3'); do
	man -w "${x#*:}" "${x%:*}" >/dev/null 2>&1 || unresolved="$unresolved ${x%:*}(${x#*:})"
done
check_eq "every .Xr cross-reference resolves (man -w)" "" "$unresolved"
check_match "man ssh-tpm-agent renders the installed page" "ssh-tpm-agent" \
	"$(MANWIDTH=80 man ssh-tpm-agent 2>&1 | sed -n '/^NAME/,/^SYNOPSIS/p')"
S=$SYSTEMD_SYSTEM_UNIT_DIR
U=$SYSTEMD_USER_UNIT_DIR
out=$(cd "$S" && systemd-analyze verify --man=yes *.socket *.service 2>&1)
check_eq "systemd-analyze verify --man=yes: system units' Documentation= resolves" "0:" "$?:$out"
mkdir -m 0700 "$WORK/xdg"
out=$(cd "$U" && XDG_RUNTIME_DIR=$WORK/xdg systemd-analyze --user verify --man=yes *.socket *.service 2>&1)
check_eq "systemd-analyze --user verify --man=yes: user units' Documentation= resolves" "0:" "$?:$out"
finish
