# lib.sh - shared by the test-double fork implementations (sourced).
# The doubles are shell forks that `snapfork check --fork-cmd` judges:
# correct ones must pass, broken ones must be caught by the named rule.
set -eu
SRC=$1 DST=$2
STAGE="$DST.double.$$"
trap 'rm -rf "$STAGE"' EXIT

# CONTRACT.md: a FIFO or device outside the skipped logs/ is refused.
# Relative to SRC: find's -path takes a glob, and SRC may hold * ? [ \.
refuse_special() {
	if (cd "$SRC" && find . -path ./logs -prune -o \( -type p -o -type b -o -type c \) -print) | grep -q .; then
		echo "refusing: $SRC holds a FIFO or device" >&2
		exit 1
	fi
}

# The raw mem-file: the first regular file (no symlink on the way) among
# the candidates; empty when none.
mem_file() {
	for m in memory-ranges memory snapshots/snapshot-latest/memory-ranges snapshots/snapshot-latest/memory; do
		case $m in snapshots/*) [ -L "$SRC/snapshots" ] || [ -L "$SRC/snapshots/snapshot-latest" ] && continue ;; esac
		if [ -f "$SRC/$m" ] && [ ! -L "$SRC/$m" ]; then echo "$m"; return; fi
	done
}

# Remove what the contract skips from a full copy in $1: the directory
# logs at the top (a regular file of that name is data), sockets, and
# half-written compression output that is a regular file.
drop_skipped() {
	if [ -d "$1/logs" ] && [ ! -L "$1/logs" ]; then rm -rf "$1/logs"; fi
	find "$1" -type s -delete
	find "$1" -type f \( -name '*.lz4.tmp' -o -name '*.zst.tmp' \) -delete
}

# Replace the copy of the raw mem-file in $1 by a hardlink to the
# snapshot's.  Where the link is refused (another filesystem, an immutable
# mem-file, protected_hardlinks, the link limit: CONTRACT.md's "link
# refused" class) the sparse copy stays and the fallback is reported, as
# the contract's Reporting section asks; any other failure fails the fork.
link_mem() {
	local mem err
	mem=$(mem_file)
	[ -n "$mem" ] || return 0
	if err=$(LC_ALL=C ln "$SRC/$mem" "$1/$mem.link" 2>&1); then
		rm -f "$1/$mem" # (mv refuses two names of one inode)
		mv "$1/$mem.link" "$1/$mem"
		return 0
	fi
	case $err in
	*"cross-device"* | *"Too many links"* | *"not permitted"* | *"Permission denied"* | *"not supported"*)
		echo "fallback: copy (link refused: ${err##*: })" ;;
	*) echo "$err" >&2; return 1 ;;
	esac
}

# Its data on the disk before the rename (syncfs: coreutils' sync -f): else
# a power cut after the fork can bring DST back with files of zeros
# (ext4's delayed allocation; snapfork powercut, CONTRACT.md C3).
publish() {
	sync -f "$STAGE"
	publish_unsynced
}

publish_unsynced() {
	mv -T -n "$STAGE" "$DST"
	[ ! -e "$STAGE" ] || { echo "DST appeared meanwhile" >&2; exit 1; }
}
