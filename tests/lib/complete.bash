# SPDX-License-Identifier: MIT
# complete.bash - bash completion driven without a terminal, as bash
# itself calls a completion function:
#
#   bash --norc complete.bash FILES spec CMD    complete -p CMD
#   bash --norc complete.bash FILES comp LINE   the completions of LINE,
#                                               cursor at its end, sorted
#
# FILES: a directory whose completion files are sourced, or "-" for
# bash-completion's own loading by command name (from
# $BASH_COMPLETION_USER_DIR/completions, as installed).

. /usr/share/bash-completion/bash_completion || exit 1
if [[ $1 != - ]]; then
	for f in "$1"/*; do
		. "$f"
	done
fi

# spec_of CMD: complete -p CMD, loading it first the way bash-completion's
# default (-D) completion does.
spec_of() {
	complete -p "$1" 2>/dev/null && return
	_completion_loader "$1"
	complete -p "$1" 2>/dev/null
}

case $2 in
spec)
	spec_of "$3"
	;;
comp)
	line=$3
	# COMP_WORDS as bash splits the line: at blanks, and at '=' (in
	# COMP_WORDBREAKS), which is a word of its own.
	set -f
	COMP_WORDS=()
	for t in $line; do
		while [[ $t == *=* ]]; do
			[[ -n ${t%%=*} ]] && COMP_WORDS+=("${t%%=*}")
			COMP_WORDS+=('=')
			t=${t#*=}
		done
		[[ -n $t ]] && COMP_WORDS+=("$t")
	done
	set +f
	[[ $line == *' ' ]] && COMP_WORDS+=('')
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	spec_of "${COMP_WORDS[0]}" >/dev/null || exit 1
	spec=$(complete -p "${COMP_WORDS[0]}")
	fn=${spec#*-F }
	fn=${fn%% *}
	COMPREPLY=()
	"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | sort -u
	;;
esac
exit 0
