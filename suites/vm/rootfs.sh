#!/usr/bin/env bash
# suites/vm/rootfs.sh OUT.img MODULES_DIR JOB SNAPFORK FIXTURES DOUBLES - the
# initramfs `snapfork kernels` boots each kernel with: busybox-static for
# the shell, this machine's own tools that the check and the matrix call
# (mount, losetup, mkfs.ext4/xfs/btrfs, chattr, GNU coreutils, tar, rsync;
# each with the shared libraries ldd names, at the same paths), the
# snapfork binary and its libraries, the bundled fixtures (FIXTURES: where
# this binary finds them) and the doubles at their own paths, each
# --guest-file at its own path (files with their libraries), and
# the kernel's own modules for loop, ext4, xfs, btrfs, overlay, virtio-blk
# and device-mapper's log-writes and snapshot targets (`snapfork powercut`)
# with every module they depend on (read from each .ko's modinfo; Debian's
# package ships no modules.dep).  MODULES_DIR is lib/modules/VERSION of
# the kernel.  The init runs JOB with /results for its output, then writes
# /results as a tar onto /dev/vda (the host reads it back) and powers off.
set -euo pipefail
out=$1 mods=$2 job=$3 sf=$4 fixtures=$5 doubles=$6
shift 6 # the rest: --guest-file paths (a user's fork and what it needs)
# Tools this script needs, each with the Debian package that has it.
need_tool() {
	command -v "$1" >/dev/null || { echo "${0##*/}: $1 is not installed (Debian package $2)" >&2; exit 1; }
}
need_tool cpio cpio
need_tool gzip gzip
need_tool ldd libc-bin
# BUSYBOX=PATH: a busybox-static not in PATH.
bb=${BUSYBOX:-$(command -v busybox || true)}
[ -n "$bb" ] || need_tool busybox busybox-static
ver=$(basename "$mods")
root=$(mktemp -d "${TMPDIR:-/tmp}/snapfork-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
# mktemp made it 0700: the matrix runs forks as nobody, who must reach /.
chmod 0755 "$root"
mkdir -p "$root"/{bin,usr/bin,usr/sbin,proc,sys,dev,tmp,var/tmp,run,results,etc,lib/modules/"$ver"}
ln -s bin "$root/sbin"

cp "$bb" "$root/bin/busybox"

# A host file and every library it needs, at the same paths.
with_libs() {
	local f=$1
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
	ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
# dmsetup, the fscks and blockdev: `snapfork powercut` (dm-log-writes); env
# and bash: the doubles (`#!/usr/bin/env bash`) as --fork-cmd in a guest.
for tool in mount umount losetup mkfs.ext4 mke2fs mkfs.xfs mkfs.btrfs chattr lsattr truncate cp ln \
	mv rm stat dd find tar rsync chmod chown mkdir sha256sum cat sort dmsetup e2fsck xfs_repair \
	btrfs blockdev sync env bash; do
	p=$(command -v "$tool" || true)
	[ -n "$p" ] || continue
	# /usr/bin or /usr/sbin in the guest whatever the host's merged-/usr says.
	case $p in */sbin/*) dest=/usr/sbin/$tool ;; *) dest=/usr/bin/$tool ;; esac
	with_libs "$(readlink -f "$p")"
	[ "$(readlink -f "$p")" = "$dest" ] || ln -sf "$(readlink -f "$p")" "$root$dest"
done
with_libs "$(readlink -f "$sf")"
mkdir -p "$root$(dirname "$sf")"
[ -e "$root$sf" ] || ln -s "$(readlink -f "$sf")" "$root$sf"
fixtures=$(readlink -f "$fixtures") doubles=$(readlink -f "$doubles")
mkdir -p "$root$(dirname "$fixtures")" "$root$(dirname "$doubles")"
cp -a "$fixtures" "$root$fixtures"
cp -a "$doubles" "$root$doubles"
# Each --guest-file at its own path: a file with the libraries ldd names,
# a directory as it is.
for extra in "$@"; do
	p=$(readlink -f "$extra")
	if [ -d "$p" ]; then
		mkdir -p "$root$(dirname "$p")"
		cp -a "$p" "$root$(dirname "$p")/"
	else
		with_libs "$p"
	fi
	[ "$extra" = "$p" ] || { mkdir -p "$root$(dirname "$extra")"; ln -sfn "$p" "$root$extra"; }
done
cp "$job" "$root/job.sh"
chmod +x "$root/job.sh"

# The modules wanted and what they depend on, loaded in that order.
# Debian's 6.12 kernels ship them compressed (.ko.xz; .ko.zst elsewhere):
# read and copied decompressed, as busybox's insmod takes plain ELF only.
declare -A path seen
while IFS= read -r -d '' ko; do
	n=$(basename "$ko")
	n=${n%.xz} n=${n%.zst} n=${n%.ko}
	path[${n//-/_}]=$ko
	case $ko in *.xz) need_tool xz xz-utils ;; *.zst) need_tool zstd zstd ;; esac
done < <(find "$mods" \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' \) -print0)
ko_text() {
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -qdc "$1" ;;
	*) cat "$1" ;;
	esac
}
order=()
need() {
	local m=${1//-/_} dep
	[ -n "${seen[$m]:-}" ] && return
	seen[$m]=1
	[ -n "${path[$m]:-}" ] || return 0 # built in
	# Hard dependencies (depends=) and the crypto algorithms they load by
	# name (softdep=pre: crc32c for libcrc32c, xxhash and blake2b for btrfs).
	local text
	text=$(ko_text "${path[$m]}" | grep -a -o -e 'depends=[a-z0-9_,-]*' -e 'softdep=pre: [a-z0-9_ -]*')
	for dep in $(echo "$text" | grep '^depends=' | head -1 | cut -d= -f2 | tr ',' ' ') \
		$(echo "$text" | grep '^softdep=pre:' | cut -d: -f2); do
		need "$dep"
		[ -n "${path[${dep//-/_}_generic]:-}" ] && need "${dep}_generic"
	done
	order+=("$m")
}
for m in loop ext4 xfs btrfs overlay virtio_blk virtio_pci dm_mod dm_log_writes dm_snapshot; do need "$m"; done
: >"$root/modules.order"
for m in "${order[@]}"; do
	ko=$(basename "${path[$m]}")
	ko=${ko%.xz} ko=${ko%.zst}
	ko_text "${path[$m]}" >"$root/lib/modules/$ver/$ko"
	echo "/lib/modules/$ver/$ko" >>"$root/modules.order"
done

cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# The initramfs is unpacked into a tmpfs (no root= given): /var/tmp, where
# the check and the matrix make their scratch, is on it already.
mount -t tmpfs run /run
while read -r m; do insmod "$m" 2>/dev/null || echo "insmod $m failed"; done </modules.order
echo "SNAPFORK-KERNEL $(uname -r)"
sh /job.sh >/results/job.log 2>&1
rc=$?
tail -40 /results/job.log
echo "$rc" >/results/rc
(cd /results && tar -cf /dev/vda .) && sync
echo "SNAPFORK-JOB-DONE rc=$rc"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
