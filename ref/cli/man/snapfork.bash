# bash completion for snapfork.  Commands and options are read from the
# CLI's own --help (as the man pages are), so they cannot fall behind it;
# fixture names from `snapfork fixture list`.
_snapfork()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local sf=${COMP_WORDS[0]} cmd=${COMP_WORDS[1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		local cmds
		cmds=$("$sf" --help 2>/dev/null | sed -n '/^commands/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p')
		mapfile -t COMPREPLY < <(compgen -W "$cmds --help --version" -- "$cur")
		return
	fi
	# Fixture names: the table's first column, not its header or footer.
	fixtures() { "$sf" fixture list 2>/dev/null | awk 'NR > 1 && $1 !~ /^\(/ { print $1 }'; }
	case $prev in
	--fixture | --exclude)
		mapfile -t COMPREPLY < <(compgen -W "$(fixtures)" -- "$cur")
		[ "$prev" = --fixture ] && mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--fork-cmd | --clean-cmd) return ;; # a shell command: nothing to offer
	esac
	if [ "$cmd" = fixture ] && [ "$COMP_CWORD" -eq 2 ]; then
		mapfile -t COMPREPLY < <(compgen -W "list extract capture" -- "$cur")
	elif [ "$cmd" = fixture ] && [ "${COMP_WORDS[2]}" = extract ] && [ "$COMP_CWORD" -eq 3 ]; then
		mapfile -t COMPREPLY < <(compgen -W "$(fixtures)" -- "$cur")
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
	elif [[ $cur == -* ]]; then
		# Options from the usage lines and the option lines, not the prose.
		mapfile -t COMPREPLY < <(compgen -W "$("$sf" "$cmd" --help 2>/dev/null |
			awk '/^usage:/ || /^ +(\[|snapfork )/ || /^  -/' |
			grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u)" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}
complete -o filenames -F _snapfork snapfork
