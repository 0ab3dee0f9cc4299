#!/usr/bin/env bash
# bench/scale.sh SNAPFORK - the figures of README.md "Figures": build a
# realistic snapshot (Cloud Hypervisor layout), fork it
# with the reference implementation, verify the fork under CONTRACT.md, and
# show that the fork's cost does not grow with the mem-file (1 vs 64 GiB).
set -euo pipefail
SF=$1
T=$(mktemp -d "${SNAPFORK_TEST_DIR:-/var/tmp}/snapfork-main.XXXXXX")
trap 'rm -rf "$T"' EXIT

snapshot() { # snapshot DIR MEMSIZE
	local s=$1
	mkdir -p "$s/logs" "$s/snapshots/snapshot-latest" "$s/vol-overlays"
	echo '{"cpus": 2, "memory": "'"$2"'"}' >"$s/config.json"
	echo '{"state": "paused"}' >"$s/snapshots/snapshot-latest/state.json"
	cp "$s/config.json" "$s/snapshots/snapshot-latest/config.json"
	chmod 600 "$s/snapshots/snapshot-latest/state.json"
	echo booted >"$s/logs/vmm.log"
	truncate -s "$2" "$s/snapshots/snapshot-latest/memory-ranges"
	for off in 0 1000 50000 200000; do # 4 KiB pages, scattered
		head -c 65536 /dev/urandom | dd of="$s/snapshots/snapshot-latest/memory-ranges" bs=4096 seek=$off conv=notrunc status=none
	done
	truncate -s 2G "$s/overlay.raw" "$s/vol-overlays/data.raw"
	head -c 1048576 /dev/urandom | dd of="$s/overlay.raw" bs=4096 seek=300 conv=notrunc status=none
	ln -s config.json "$s/current-config"
}

echo "== snapfork $($SF --version | cut -d' ' -f2) on $(uname -r), scratch $T"
$SF probe "$T"
echo
snapshot "$T/snap" 1G
echo "== fork of a Cloud Hypervisor raw snapshot (1 GiB mem-file)"
$SF fork "$T/snap" "$T/fork"
echo
echo "== verify under CONTRACT.md"
$SF verify "$T/snap" "$T/fork"
echo
snapshot "$T/snap64" 64G
echo "== fork cost against mem-file size (median of 5 forks each, same run)"
for size in 1 64; do
	src=$T/snap; [ $size = 64 ] && src=$T/snap64
	for i in 1 2 3 4 5; do
		$SF fork --json "$src" "$T/t$size-$i" | jq -r .elapsed_ns
	done | sort -n | sed -n 3p >"$T/median$size"
	$SF verify "$src" "$T/t$size-1" >/dev/null
	printf '  %2d GiB mem-file: %s ms (shared inode: %s links, fork allocated %s)\n' \
		$size "$(awk '{printf "%.3f", $1/1e6}' "$T/median$size")" \
		"$(stat -c %h "$src/snapshots/snapshot-latest/memory-ranges")" \
		"$(du -sh "$T/t$size-1" | cut -f1)"
done
awk -v a="$(cat "$T/median1")" -v b="$(cat "$T/median64")" 'BEGIN { printf "  ratio 64 GiB / 1 GiB: %.2f\n", b / a }'
echo "scale demo: ok"
