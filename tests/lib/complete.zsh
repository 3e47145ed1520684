# SPDX-License-Identifier: MIT
# complete.zsh - zsh completion driven headless: an interactive zsh -f in
# a pseudo-terminal (zsh/zpty) runs compinit with FPATH_DIR first in
# $fpath, cds to DIR and gets each LINE followed by a Tab.
#
#   zsh -f complete.zsh FPATH_DIR DIR LINE...
#
# For each LINE in turn: the matches its completion added (what compadd
# was given, after matching what is typed), sorted, then a line "---".
# Tab is bound to a completion widget that records every match and then
# neither lists nor inserts anything.

zmodload zsh/zpty zsh/zselect || exit 1
export COMPLETE_FPATH=$1 COMPLETE_OUT=${TMPDIR:-/tmp}/complete-zsh.$$
setup_file=$COMPLETE_OUT.setup
dir=$2
shift 2

# What the shell in the pty sources first (from a file: what is typed
# goes through its line editor, where a tab completes).
print -r -- '
fpath=($COMPLETE_FPATH $fpath)
autoload -U compinit
compinit -u -D
compadd() {
	local -a hits
	local -i i=${argv[(i)--]}
	# Calls that only collect matches (-O, -A, -D) are not offers.
	if [[ " ${argv[1,i-1]} " == *" "-[OAD]* ]]; then
		builtin compadd "$@"
		return
	fi
	builtin compadd -A hits "$@"
	(( $#hits )) && print -rl -- $hits >> $COMPLETE_OUT
	builtin compadd "$@"
}
complete_end() {
	compstate[list]=
	compstate[insert]=
	print -r -- "--end--" >> $COMPLETE_OUT
}
complete_recorded() {
	comppostfuncs=(complete_end)
	_main_complete
}
zle -C complete-recorded complete-word complete_recorded
bindkey "^I" complete-recorded
' > $setup_file || exit 1
zpty shell zsh -f -i || exit 1
zpty -w shell "source ${(q)setup_file}"
zpty -w shell "cd ${(q)dir}"
for l in "$@"; do
	: > $COMPLETE_OUT
	zpty -w -n shell "$l"$'\t'
	# Up to 5 s for the completion, draining what the shell echoes; a
	# line that gets no answer ends the run.
	for ((n = 0; n < 500; n++)); do
		while zpty -rt shell out; do :; done
		grep -qx -- --end-- $COMPLETE_OUT && break
		zselect -t 1
	done
	if (( n == 500 )); then
		print -ru2 -- "complete.zsh: no completion for '$l' within 5 s"
		break
	fi
	grep -vx -- --end-- $COMPLETE_OUT | sort -u
	print -r -- ---
	zpty -w -n shell $'\C-u'
done
zpty -d shell
rm -f $COMPLETE_OUT $setup_file
