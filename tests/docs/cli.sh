#!/bin/sh
# SPDX-License-Identifier: MIT
# --help and --version of every program, and the exit status of a command
# line it cannot act on: --help/-h print the usage and the options on
# stdout and exit 0 (1 when stdout cannot take it); --version prints the
# project version from meson; an unknown option, a missing or bad argument,
# an operand where none goes or modes that exclude each other exit 2 with
# one line on stderr naming what is wrong and nothing on stdout.
. "$SRC_DIR/tests/lib/common.sh"
: "${PROJECT_VERSION:?}"
B=$BUILD_DIR
cd "$WORK" || exit 1

for p in handler/ssh-tpm-agent tools/ssh-tpm-keygen tools/ssh-tpm-add tools/ssh-tpm-hostkeys \
	generators/ssh-tpm-generator; do
	prog=${p#*/}
	for h in --help -h; do
		"$B/$p" $h >out 2>err
		rc=$?
		check_eq "$prog $h: exit 0, nothing on stderr" "0:" "$rc:$(cat err)"
		check_match "$prog $h: the usage on stdout" "^usage: $prog " "$(head -n 1 out)"
		sed -n '/^Options:$/,$p' out >opts
		check "$prog $h: the Options: list has -h, --help" grep -q '^  -h, --help ' opts
		check "$prog $h: the Options: list has --version" grep -q '^  --version ' opts
	done
	"$B/$p" --help >/dev/full 2>err
	check_eq "$prog --help >/dev/full: exit 1" 1 $?
	"$B/$p" --version >out 2>err
	rc=$?
	if [ "$prog" = ssh-tpm-agent ]; then
		want="ssh-tpm-agent $PROJECT_VERSION"
	else
		want="$prog (ssh-tpm-agent) $PROJECT_VERSION"
	fi
	check_eq "$prog --version: exit 0, the meson version, nothing on stderr" "0:$want:" \
		"$rc:$(cat out):$(cat err)"
done

# usage_error NAME REGEX PROGRAM ARGS...: exit 2, stdout empty, one stderr
# line matching REGEX.
usage_error() {
	n=$1 re=$2 p=$3
	shift 3
	"$B/$p" "$@" >out 2>err </dev/null
	rc=$?
	check_eq "$n: exit 2, nothing on stdout" "2:" "$rc:$(cat out)"
	check_eq "$n: one line on stderr" 1 "$(grep -c . err)"
	check_match "$n: says what is wrong" "$re" "$(cat err)"
}

for p in handler/ssh-tpm-agent tools/ssh-tpm-keygen tools/ssh-tpm-add tools/ssh-tpm-hostkeys \
	generators/ssh-tpm-generator; do
	usage_error "${p#*/} --frobnicate" "unknown option '--frobnicate'" "$p" --frobnicate
done
for p in handler/ssh-tpm-agent tools/ssh-tpm-keygen tools/ssh-tpm-add tools/ssh-tpm-hostkeys; do
	usage_error "${p#*/} -Z" "unknown option '-Z'" "$p" -Z
done
usage_error "ssh-tpm-agent -l (no argument)" "option '-l' needs an argument" handler/ssh-tpm-agent -l
usage_error "ssh-tpm-agent --key-dir (no argument)" "option '--key-dir' needs an argument" \
	handler/ssh-tpm-agent --key-dir
usage_error "ssh-tpm-agent --cache bogus" "invalid --cache 'bogus'" handler/ssh-tpm-agent --cache bogus
usage_error "ssh-tpm-agent --cache-timeout 0" "invalid --cache-timeout '0'" \
	handler/ssh-tpm-agent --cache-timeout 0
usage_error "ssh-tpm-agent --print-socket COMMAND" "unexpected argument 'true'" \
	handler/ssh-tpm-agent --print-socket true
usage_error "ssh-tpm-keygen -f (no argument)" "option '-f' needs an argument" tools/ssh-tpm-keygen -f
usage_error "ssh-tpm-keygen -b x" "invalid -b value 'x'" tools/ssh-tpm-keygen -b x
usage_error "ssh-tpm-keygen an operand" "unexpected argument 'extra'" tools/ssh-tpm-keygen -q extra
usage_error "ssh-tpm-keygen -p --supported" "separate modes" tools/ssh-tpm-keygen -p --supported
usage_error "ssh-tpm-keygen --hierarchy without -A" "--hierarchy goes with -A" \
	tools/ssh-tpm-keygen --hierarchy owner
usage_error "ssh-tpm-keygen --pcrs 99" "invalid --pcrs '99'" tools/ssh-tpm-keygen --pcrs 99
usage_error "ssh-tpm-add -t (no argument)" "option '-t' needs an argument" tools/ssh-tpm-add -t
usage_error "ssh-tpm-add -t 1x" "invalid -t '1x'" tools/ssh-tpm-add -t 1x
usage_error "ssh-tpm-add --tpm-timeout 0" "invalid --tpm-timeout '0'" tools/ssh-tpm-add --tpm-timeout 0
usage_error "ssh-tpm-hostkeys -l relative" "invalid -l 'sock'" tools/ssh-tpm-hostkeys -l sock
usage_error "ssh-tpm-hostkeys -l without --install-sshd-config" "-l goes with --install-sshd-config" \
	tools/ssh-tpm-hostkeys -l /run/x.sock
usage_error "ssh-tpm-hostkeys an operand" "unexpected argument 'extra'" tools/ssh-tpm-hostkeys extra
usage_error "ssh-tpm-hostkeys both install modes" "separate steps" \
	tools/ssh-tpm-hostkeys --install-system-units --install-sshd-config
usage_error "ssh-tpm-generator with two directories" "expected one or three output directories" \
	generators/ssh-tpm-generator "$WORK/a" "$WORK/b"
finish
