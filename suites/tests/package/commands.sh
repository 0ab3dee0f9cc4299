#!/usr/bin/env bash
# commands.sh ROOT SRC - the installed package's commands in the chroot
# ROOT (package_test.sh installed it there; no build tree exists in it):
# each must find its fixtures, scripts and doubles under /usr/share/snapfork
# and its caches under /var/cache/snapfork.  Exit 1 if any check failed.
set -uo pipefail
root=$1
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	LANG=C.UTF-8 TERM=dumb "$@"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# expect CODE TEXT WHAT -- COMMAND...: its exit code, and TEXT in its output.
expect() {
	local code=$1 text=$2 what=$3 rc=0
	shift 4
	in_root "$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -eq "$code" ] && grep -qF -- "$text" "$log"; then
		ok "$what"
	else
		bad "$what: exit $rc (want $code), '$text' $(grep -qF -- "$text" "$log" && echo found || echo 'not in its output'):"
		tail -5 "$log" | sed 's/^/    /'
	fi
}

expect 0 qemu-raw "fixture list reads /usr/share/snapfork/fixtures" -- snapfork fixture list
expect 0 "every MUST rule holds" "check: the reference on every bundled fixture" -- snapfork check
expect 0 "every MUST rule holds" "check --fork-cmd cp-ln.sh --generate 50" -- \
	snapfork check --fork-cmd '/usr/share/snapfork/doubles/cp-ln.sh {src} {dst}' --generate 50 --seed 1
expect 0 "libsnapfork.so.0" "libsnapfork.so.0 known to ld.so" -- ldconfig -p
expect 0 "Libs:" "snapfork.pc installed" -- cat /usr/lib/x86_64-linux-gnu/pkgconfig/snapfork.pc

# Man pages: one per command, each with every option its --help names.
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends man-db \
	>"$log" 2>&1 || { bad "apt-get install man-db"; tail -3 "$log"; }
cmds=$(in_root snapfork --help | sed -n '/^commands/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 10 ] || bad "snapfork --help lists $(echo "$cmds" | wc -w) commands"
for c in $cmds; do
	want=$(in_root snapfork "$c" --help | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u)
	have=$(in_root man "snapfork-$c" 2>/dev/null | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u)
	missing=$(comm -23 <(echo "$want") <(echo "$have") | tr '\n' ' ')
	extra=$(comm -13 <(echo "$want") <(echo "$have") | tr '\n' ' ')
	if [ -z "$missing$extra" ]; then
		ok "man snapfork-$c: its $(echo "$want" | wc -l) options"
	else
		bad "man snapfork-$c: missing [$missing], not in --help [$extra]"
	fi
done
expect 0 "SNAPFORK-CHECK" "man snapfork-check" -- man snapfork-check

# Bash completion, as bash-completion loads it.
expect 0 "--fork-cmd --fork-dir --fork-timeout" "bash completion of check --fork-" -- bash -c \
	'. /usr/share/bash-completion/completions/snapfork; COMP_WORDS=(snapfork check --fork-)
	 COMP_CWORD=2; _snapfork; echo "${COMPREPLY[*]}"'

# What is missing is named with its Debian package (Recommends not installed).
expect 1 "ERROR: mkfs.xfs is not installed (Debian package xfsprogs)" "matrix names xfsprogs" -- snapfork matrix --legs xfs-reflink
expect 2 "(Debian package dmsetup)" "powercut names dmsetup" -- snapfork powercut --fs ext4
expect 3 "cpio is not installed (Debian package cpio)" "vmcheck names cpio for its guest" -- \
	snapfork vmcheck --rounds link --forks 1
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cpio \
	>"$log" 2>&1 || bad "apt-get install cpio"
expect 3 "apt-get install qemu-system-x86" "vmcheck makes its guest, then names QEMU" -- \
	snapfork vmcheck --rounds link --forks 1
if [ -s "$root/var/cache/snapfork/vm-guest/initrd.img" ] && [ -s "$root/var/cache/snapfork/vm-guest/vmlinuz" ]; then
	ok "vmcheck's guest made on first use in /var/cache/snapfork/vm-guest"
else
	bad "no guest in /var/cache/snapfork/vm-guest"
fi
expect 0 "linux-image-6.12." "kernels --list: 6.12 defaults from /usr/share/snapfork/vm/kernel.sh" -- \
	snapfork kernels --list
expect 0 "linux-image-6.1.0-" "kernels --list: 6.1 defaults" -- snapfork kernels --list
expect 0 "snapfork-check - conformance check of a fork implementation\"" "the NAME line whatis reads (lexgrog)" -- lexgrog /usr/share/man/man1/snapfork-check.1
expect 0 "--fork-cmd" "snapfork help check is check --help" -- snapfork help check
[ "$fails" -eq 0 ]
