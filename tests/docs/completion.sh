#!/bin/sh
# SPDX-License-Identifier: MIT
# Tab completion (tools/completion/) in bash and in zsh, first the files of
# the source tree, then as meson installs them (bash-completion loading each
# program's file by its name, zsh's compinit finding _ssh-tpm-agent in
# site-functions).  For every program, "-" completes exactly the options
# its --help lists, "--" exactly the long ones; values: .tpm key files for
# --print-pubkey, -p -f and ssh-tpm-add, .pem files for --wrap-with, any
# file for --import, --wrap, -f, -l and -A, directories for --key-dir,
# -A -f and --prefix, the words of --cache, --hierarchy, --parent-handle,
# -t and -b (by -t); after the agent's options a command, then that
# command's own completion.
. "$SRC_DIR/tests/lib/common.sh"
. "$TEST_LIB/install.sh"
in_namespace "$@"
: "${BASH_COMPLETION_DIR:?}" "${ZSH_COMPLETION_DIR:?}"
PROGS="ssh-tpm-agent ssh-tpm-keygen ssh-tpm-add ssh-tpm-hostkeys"

# The programs on $PATH, for the agent's COMMAND.
mkdir "$WORK/bin"
ln -s "$BUILD_DIR/handler/ssh-tpm-agent" "$WORK/bin/"
for p in ssh-tpm-keygen ssh-tpm-add ssh-tpm-hostkeys; do
	ln -s "$BUILD_DIR/tools/$p" "$WORK/bin/"
done
PATH=$WORK/bin:$PATH
export PATH

# What --help lists: the options on the lines under "Options:" ("  -o,
# --owner-password  text", "  --cache keyring|secret text").
for p in $PROGS; do
	"$p" --help | awk '/^Options:/ { on = 1; next }
		on && /^[^ ]/ { on = 0 }
		on && /^  -/ { print $1; if ($1 ~ /,$/) print $2 }' |
		tr -d , | sort -u > "$WORK/$p.options"
	grep '^--' "$WORK/$p.options" > "$WORK/$p.long"
	check_eq "$p --help's options (parsed) include -h, --help and --version" \
		3 "$(grep -cxE -- '-h|--help|--version' "$WORK/$p.options")"
done

# The directory where values are completed.
F=$WORK/files
mkdir -p "$F/keys"
(cd "$F" && touch a.tpm b.pub c.tpm d.pem)
ALL="a.tpm b.pub c.tpm d.pem keys"
HIER="endorsement null owner platform"

# LINE|EXPECTED: what a Tab after LINE offers, in the directory above.
cat > "$WORK/values" <<CASES
ssh-tpm-keygen --print-pubkey |a.tpm c.tpm keys
ssh-tpm-keygen --print-pubkey=|a.tpm c.tpm keys
ssh-tpm-keygen -p -f |a.tpm c.tpm keys
ssh-tpm-keygen -A -f |keys
ssh-tpm-keygen -f |$ALL
ssh-tpm-keygen --import |$ALL
ssh-tpm-keygen -I |$ALL
ssh-tpm-keygen --wrap |$ALL
ssh-tpm-keygen --wrap-with |d.pem keys
ssh-tpm-keygen --parent-handle |$HIER
ssh-tpm-keygen --hierarchy |$HIER
ssh-tpm-keygen -t |ecdsa rsa
ssh-tpm-keygen -b |256 384 521
ssh-tpm-keygen -t ecdsa -b |256 384 521
ssh-tpm-keygen -t rsa -b |2048 3072 4096
ssh-tpm-keygen -q -t rsa -C x -b |2048 3072 4096
ssh-tpm-add |a.tpm c.tpm keys
ssh-tpm-add -c a.tpm |a.tpm c.tpm keys
ssh-tpm-agent --cache |keyring secret
ssh-tpm-agent --cache=|keyring secret
ssh-tpm-agent --hierarchy |$HIER
ssh-tpm-agent --key-dir |keys
ssh-tpm-agent -l |$ALL
ssh-tpm-agent -A |$ALL
ssh-tpm-hostkeys -f |keys
ssh-tpm-hostkeys --prefix |keys
ssh-tpm-hostkeys -l |$ALL
ssh-tpm-agent -D ssh-tpm-k|ssh-tpm-keygen
ssh-tpm-agent -D ssh-tpm-keygen --print-p|--print-pubkey
ssh-tpm-agent --key-dir keys ssh-tpm-keygen --print-pubkey |a.tpm c.tpm keys
CASES

# check_set NAME EXPECTED ACTUAL: the same words (any order); else which
# are missing and which extra.
check_set() {
	echo "$2" | tr -s ' \n' '\n\n' | sed '/^$/d' | sort -u > "$WORK/set.exp"
	echo "$3" | tr -s ' \n' '\n\n' | sed '/^$/d' | sort -u > "$WORK/set.got"
	if cmp -s "$WORK/set.exp" "$WORK/set.got"; then
		ok "$1"
	else
		fail "$1" "missing [$(comm -23 "$WORK/set.exp" "$WORK/set.got" | paste -sd' ')], extra [$(comm -13 "$WORK/set.exp" "$WORK/set.got" | paste -sd' ')]"
	fi
}

# bash_checks WHAT FILES: FILES as complete.bash takes it.
bash_checks() {
	for p in $PROGS; do
		fn=_$(echo "$p" | tr - _)
		check_eq "bash ($1): complete -p $p is ours" "complete -F $fn $p" \
			"$(bash --norc "$TEST_LIB/complete.bash" "$2" spec "$p")"
		check_set "bash ($1): $p -<Tab> is --help's options" "$(cat "$WORK/$p.options")" \
			"$(bash --norc "$TEST_LIB/complete.bash" "$2" comp "$p -")"
		check_set "bash ($1): $p --<Tab> is --help's long options" "$(cat "$WORK/$p.long")" \
			"$(bash --norc "$TEST_LIB/complete.bash" "$2" comp "$p --")"
	done
	while IFS='|' read -r line exp; do
		check_set "bash ($1): '$line<Tab>'" "$exp" \
			"$(cd "$F" && bash --norc "$TEST_LIB/complete.bash" "$2" comp "$line")"
	done < "$WORK/values"
}

# zsh_checks WHAT FPATH_DIR: every line in one shell; section N of its
# output answers line N.
zsh_checks() {
	lines=$WORK/zsh.lines
	for p in $PROGS; do printf '%s -\n%s --\n' "$p" "$p"; done > "$lines"
	cut -d'|' -f1 "$WORK/values" >> "$lines"
	# (One argument per line: read into an array by the zsh below.)
	zsh -f -c 'cd "$1" && exec zsh -f "$2" "$3" "$1" "${(@f)$(<$4)}"' zsh \
		"$F" "$TEST_LIB/complete.zsh" "$2" "$lines" > "$WORK/zsh.out" 2>"$WORK/zsh.err"
	check_eq "zsh ($1): an answer for each line (and no errors)" \
		"$(wc -l < "$lines"):" "$(grep -cx -- --- "$WORK/zsh.out"):$(cat "$WORK/zsh.err")"
	section() { awk -v n="$1" '$0 == "---" { i++; next } i == n' "$WORK/zsh.out"; }
	i=0
	for p in $PROGS; do
		check_set "zsh ($1): $p -<Tab> is --help's options" "$(cat "$WORK/$p.options")" "$(section $i)"
		check_set "zsh ($1): $p --<Tab> is --help's long options" "$(cat "$WORK/$p.long")" "$(section $((i + 1)))"
		i=$((i + 2))
	done
	while IFS='|' read -r line exp; do
		check_set "zsh ($1): '$line<Tab>'" "$exp" "$(section $i)"
		i=$((i + 1))
	done < "$WORK/values"
}

# --- the source tree -------------------------------------------------------
bash_checks "source tree" "$SRC_DIR/tools/completion/bash"
zsh_checks "source tree" "$SRC_DIR/tools/completion/zsh"

# --- as installed ------------------------------------------------------------
install_tree || exit 1
if [ "$BASH_COMPLETION_DIR" = no ]; then
	echo "# bashcompletiondir=no: no bash completion installed"
else
	for p in $PROGS; do
		check "installed: $BASH_COMPLETION_DIR/$p is the source's" \
			cmp "$BASH_COMPLETION_DIR/$p" "$SRC_DIR/tools/completion/bash/$p"
	done
	# bash-completion looks in $BASH_COMPLETION_USER_DIR/completions first.
	BASH_COMPLETION_USER_DIR=${BASH_COMPLETION_DIR%/completions}
	export BASH_COMPLETION_USER_DIR
	check_eq "installed: bash-completion knows none of them before loading" "" \
		"$(bash --norc -c '. /usr/share/bash-completion/bash_completion; complete -p ssh-tpm-agent ssh-tpm-add' 2>/dev/null)"
	bash_checks installed -
fi
if [ "$ZSH_COMPLETION_DIR" = no ]; then
	echo "# zshcompletiondir=no: no zsh completion installed"
else
	check "installed: $ZSH_COMPLETION_DIR/_ssh-tpm-agent is the source's" \
		cmp "$ZSH_COMPLETION_DIR/_ssh-tpm-agent" "$SRC_DIR/tools/completion/zsh/_ssh-tpm-agent"
	zsh_checks installed "$ZSH_COMPLETION_DIR"
fi
finish
