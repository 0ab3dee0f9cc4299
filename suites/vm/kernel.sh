#!/usr/bin/env bash
# suites/vm/kernel.sh - Debian's kernels for `snapfork kernels`.
#   kernel.sh fetch PACKAGE CACHE   apt-get download PACKAGE (once: the
#                                   unpacked tree stays in CACHE/PACKAGE),
#                                   dpkg -x; prints the tree's directory
#                                   (boot/vmlinuz-*, lib/modules/VERSION)
#   kernel.sh defaults              the kernels a run takes by default: the
#                                   oldest and the newest build of each
#                                   series Debian 12 ships (6.1, and 6.12
#                                   from bookworm's updates), and the
#                                   newest -rt
set -euo pipefail
lists() { apt-cache search --names-only "^linux-image-6\\.1\\.0-[0-9]+-$1\$" | awk '{print $1}' | sort -V; }
# 6.12's packages are named by version: linux-image-6.12.N+deb12-FLAVOUR.
lists612() { apt-cache search --names-only "^linux-image-6\\.12\\.[0-9]+\\+deb12-$1\$" | awk '{print $1}' | sort -V; }
case ${1:-} in
fetch)
	pkg=${2:?} cache=${3:?}
	case $pkg in linux-image-*) ;; *) echo "kernel.sh: $pkg: not a linux-image package" >&2; exit 2 ;; esac
	mkdir -p "$cache"
	cache=$(cd "$cache" && pwd)
	if [ ! -d "$cache/$pkg" ]; then
		tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		(cd "$tmp" && { apt-get download "$pkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get download "$pkg" >/dev/null; }; })
		dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/tree"
		mv "$tmp/tree" "$cache/$pkg"
	fi
	echo "$cache/$pkg"
	;;
defaults)
	generic=$(lists amd64)
	[ -n "$generic" ] || { echo "kernel.sh: no linux-image-6.1.0-*-amd64 in the package lists (apt-get update?)" >&2; exit 1; }
	echo "$generic" | head -1
	echo "$generic" | tail -1
	# 6.12 where the lists have it (bookworm-updates / backports); none
	# is no error: the 6.1 ones are the release's own.
	g612=$(lists612 amd64)
	if [ -n "$g612" ]; then
		echo "$g612" | head -1
		echo "$g612" | tail -1
	fi
	# The newest -rt of the newest series.
	rt=$(lists612 rt-amd64 | tail -1)
	[ -n "$rt" ] || rt=$(lists rt-amd64 | tail -1)
	echo "$rt"
	;;
*) echo "usage: kernel.sh fetch PACKAGE CACHE | defaults" >&2; exit 2 ;;
esac
