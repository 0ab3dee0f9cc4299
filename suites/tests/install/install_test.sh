#!/usr/bin/env bash
# install_test.sh BUILD_DIR [CFLAGS] - `cmake --install` gives a VM manager what it
# needs: the library, the one header, a pkg-config file and the CLI; a
# program built only from those forks a snapshot, the ABI holds
# (abi_caller.c), and README.md's example program builds and runs.
set -euo pipefail
build=$1
user_cflags=${2:-}
T=$(mktemp -d "${SNAPFORK_TEST_DIR:-/var/tmp}/snapfork-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
# In a coverage build the installed copies would write their counts over
# the build tree's (zeroing what the other tests counted): keep them apart.
export GCOV_PREFIX=$T/gcov
cmake --install "$build" --prefix "$T/prefix" >/dev/null
libdir=$(dirname "$(find "$T/prefix" -name libsnapfork.so | head -1)")
export PKG_CONFIG_PATH=$libdir/pkgconfig
test -x "$T/prefix/bin/snapfork"
test -f "$T/prefix/include/snapfork.h"
[ "$(ls "$T/prefix/include")" = snapfork.h ] || { echo "more than one header installed"; exit 1; }
cat >"$T/user.c" <<'C'
#include <snapfork.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(argv[1], argv[2], NULL, &rep);
	printf("%d %s %s\n", r, snapfork_kind_name(rep.kind), snapfork_via_name(rep.mem_via));
	return r != 0 || argc != 3;
}
C
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror $user_cflags -o "$T/user" "$T/user.c" $(pkg-config --cflags --libs snapfork) -Wl,-rpath,"$libdir"
# The shared library exports the snapfork_ API and nothing internal (a
# coverage build also carries libgcov's runtime: __gcov_*, mangle_path).
allowed='^snapfork_'
nm -D --defined-only "$libdir/libsnapfork.so" | grep -q ' __gcov_master$' && allowed='^(snapfork_|__gcov_|mangle_path$)'
if nm -D --defined-only "$libdir/libsnapfork.so" | awk '{print $3}' | grep -Ev "$allowed" | grep -q .; then
	echo "libsnapfork.so exports non-API symbols:"; nm -D --defined-only "$libdir/libsnapfork.so" | grep -v ' snapfork_'
	exit 1
fi
mkdir -p "$T/snap"
truncate -s 1G "$T/snap/memory"
echo '{}' >"$T/snap/config.json"
out=$("$T/user" "$T/snap" "$T/fork")
[ "$out" = "0 raw link" ] || { echo "unexpected: $out"; exit 1; }
# The ABI promises of snapfork.h, from a caller built against the
# installed header and run against the installed library.
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror $user_cflags -o "$T/abi" "$(dirname "$0")/abi_caller.c" \
	$(pkg-config --cflags --libs snapfork) -Wl,-rpath,"$libdir"
mkdir "$T/abi-scratch"
"$T/abi" "$T/snap" "$T/abi-scratch"
# The README's example program, as printed there.
sed -n '/^```c example$/,/^```$/p' "$(dirname "$0")/../../../README.md" | sed '1d;$d' >"$T/example.c"
[ -s "$T/example.c" ] || { echo "README.md has no \`\`\`c example block"; exit 1; }
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror $user_cflags -o "$T/example" "$T/example.c" \
	$(pkg-config --cflags --libs snapfork) -Wl,-rpath,"$libdir"
"$T/example" "$T/snap" "$T/example-fork" >"$T/example.out"
grep -q "via link" "$T/example.out" || { echo "README example: $(cat "$T/example.out")"; exit 1; }
"$T/prefix/bin/snapfork" verify "$T/snap" "$T/fork" >/dev/null
# The installed CLI finds the installed fixtures, not the source tree's.
out=$(env -u SNAPFORK_FIXTURES "$T/prefix/bin/snapfork" fixture list | tail -1)
case $out in *"15 fixtures in $(readlink -f "$T/prefix/share/snapfork/fixtures")"*) ;; *) echo "installed fixtures not found: $out"; exit 1 ;; esac
"$T/prefix/bin/snapfork" fixture extract qemu-stopped "$T/qs" >/dev/null
# Man pages: one per command the CLI lists, each naming every option of
# that command's --help and none it lacks (read from the roff source, where
# a hyphen is "\-"), and bash completion, installed where bash-completion
# looks.
sf=$T/prefix/bin/snapfork
man1=$T/prefix/share/man/man1
cmds=$("$sf" --help | sed -n '/^commands/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 10 ] || { echo "snapfork --help lists only: $cmds"; exit 1; }
[ -s "$man1/snapfork.1" ] || { echo "no snapfork.1 in $man1"; exit 1; }
opts() { grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u; }
for c in $cmds; do
	[ -s "$man1/snapfork-$c.1" ] || { echo "no man page snapfork-$c.1"; exit 1; }
	if ! diff <("$sf" "$c" --help | opts) <(sed 's/\\-/-/g' "$man1/snapfork-$c.1" | opts) >"$T/man.diff"; then
		echo "snapfork-$c.1 and snapfork $c --help name different options (< help, > page):"
		cat "$T/man.diff"
		exit 1
	fi
	# Each option the help lists as a term (its line starts with it) is a
	# term of the page (.TP then .B), not words inside a paragraph.
	terms=$(awk 'prev == ".TP" && /^\.B / { print } { prev = $0 }' "$man1/snapfork-$c.1" |
		sed 's/\\-/-/g' | { grep -o -- '^\.B --[a-z0-9-]*' || true; } | cut -c4- | sort -u)
	for t in $("$sf" "$c" --help | sed -n 's/^  \(--[a-z0-9][a-z0-9-]*\).*/\1/p' | sort -u); do
		echo "$terms" | grep -qx -- "$t" ||
			{ echo "snapfork-$c.1: $t is not an option term (.TP/.B) of the page"; exit 1; }
	done
	sed 's/\\-/-/g' "$man1/snapfork.1" | grep -q "^\.BR snapfork-$c (1)" || { echo "snapfork.1 does not refer to snapfork-$c(1)"; exit 1; }
done
if command -v groff >/dev/null; then
	for page in "$man1"/*.1; do
		w=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
		[ -z "$w" ] || { echo "$page: groff warns: $w"; exit 1; }
	done
else
	echo "note: groff is not installed (Debian package groff-base): the pages' roff not checked"
fi
comp=$T/prefix/share/bash-completion/completions/snapfork
got=$(PATH=$T/prefix/bin:$PATH bash -c '. "$1"; COMP_WORDS=(snapfork check --fork-); COMP_CWORD=2
	_snapfork; echo "${COMPREPLY[*]}"; COMP_WORDS=(snapfork kern); COMP_CWORD=1; _snapfork
	echo "${COMPREPLY[*]}"' _ "$comp")
[ "$got" = $'--fork-cmd --fork-dir --fork-timeout\nkernels' ] || { echo "bash completion gave: $got"; exit 1; }
# The QEMU commands' scripts and the doubles are installed beside the fixtures.
for f in vm/guest.sh vm/kernel.sh vm/rootfs.sh doubles/cp-ln.sh doubles/lib.sh; do
	[ -x "$T/prefix/share/snapfork/$f" ] || [ "$f" = doubles/lib.sh ] ||
		{ echo "not installed (executable): share/snapfork/$f"; exit 1; }
done
echo "5 passed, 0 failed"
