#!/usr/bin/env bash
# suites/vm/guest.sh OUTDIR - a guest for the VM checks, from Debian's
# packages only: the newest linux-image-6.1.0-*-cloud-amd64 and
# busybox-static, fetched with `apt-get download` into OUTDIR/cache (kept
# between runs), unpacked with dpkg -x (nothing installed).  Writes
# OUTDIR/vmlinuz and OUTDIR/initrd.img, whose init prints a ready line,
# then a counter that keeps rising while it rewrites guest RAM, and takes
# a tag from the serial line ("tag NAME"), printed with every counter:
#   SNAPFORK-READY
#   SNAPFORK-COUNTER 17 tag=fork-1
set -euo pipefail
out=${1:?usage: guest.sh OUTDIR}
# Tools this script needs, each with the Debian package that has it.
need_tool() {
	command -v "$1" >/dev/null || { echo "${0##*/}: $1 is not installed (Debian package $2)" >&2; exit 1; }
}
need_tool apt-get apt
need_tool dpkg dpkg
need_tool cpio cpio
need_tool gzip gzip
mkdir -p "$out/cache"
out=$(cd "$out" && pwd)
# One maker at a time (two root runs share /var/cache/snapfork); what a
# reader tests for, vmlinuz and initrd.img, appears whole (renamed into
# place), so a run stopped midway leaves nothing that looks made.
exec 9>"$out/.lock"
flock 9
cache=$out/cache
cd "$cache"

fetch() { # fetch PACKAGE -> the .deb's path
	local deb
	deb=$(ls "$1"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		apt-get download "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get download "$1" >/dev/null; }
		deb=$(ls "$1"_*.deb | head -1)
	fi
	echo "$cache/$deb"
}

kernel_pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' | awk '{print $1}' |
	sort -V | tail -1)
[ -n "$kernel_pkg" ] || { echo "guest.sh: no linux-image-6.1.0-*-cloud-amd64 in the package lists (apt-get update?)" >&2; exit 1; }
kdeb=$(fetch "$kernel_pkg")
bdeb=$(fetch busybox-static)
rm -rf kernel busybox
dpkg -x "$kdeb" kernel
dpkg -x "$bdeb" busybox
cp kernel/boot/vmlinuz-* "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
# What snapfork vmcheck reports as the guest's kernel.
echo "$(basename "$kdeb" .deb)" >"$out/vmlinuz.txt"

root=$(mktemp -d "$out/initrd.XXXXXX")
trap 'rm -rf "$root" "$cache/kernel" "$cache/busybox"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp busybox/bin/busybox "$root/bin/busybox"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "SNAPFORK-READY"
n=0 tag=template
while :; do
	n=$((n + 1))
	# Guest RAM that keeps changing: a fresh 1 MiB of random bytes each turn.
	dd if=/dev/urandom of=/tmp/ram bs=65536 count=16 2>/dev/null
	echo "SNAPFORK-COUNTER $n tag=$tag"
	if read -t 1 line; then
		case $line in tag\ *) tag=${line#tag } ;; esac
	fi
done
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "guest: $kernel_pkg, $(basename "$bdeb" .deb); $out/vmlinuz, $out/initrd.img"
